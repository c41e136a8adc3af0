/* conv.c — convolution forward (see conv.h).
 *
 * Strategy: for large outputs (ho*wo >= 256) each sample is one sgemm per group,
 * W_g (og, cg*k*k) x col (cg*k*k, ho*wo), written straight into y.  For small spatial sizes
 * the columns of several samples are laid side by side so that one sgemm covers a chunk of
 * the batch (N dimension >= ~1024), then scattered back to NCHW.  A 1x1, stride-1,
 * unpadded conv uses x itself as the column matrix.  Depthwise convs (groups = cin = cout)
 * run a direct loop.
 */
#include "nn/conv.h"

#include <cblas.h>
#include <stddef.h>
#include <string.h>

#include "base/check.h"

enum { CHUNK_COLS = 1024, DIRECT_HW = 256 };

ConvGeom conv_geom(int cin, int h, int w, int cout, int k, int stride, int pad, int groups)
{
    ConvGeom g = {cin, h, w, cout, k, stride, pad, groups, 0, 0};
    g.ho = (h + 2 * pad - k) / stride + 1;
    g.wo = (w + 2 * pad - k) / stride + 1;
    return g;
}

static int is_depthwise(const ConvGeom *g) { return g->groups > 1 && g->groups == g->cin && g->cout == g->cin; }
static int is_pointwise(const ConvGeom *g) { return g->k == 1 && g->stride == 1 && g->pad == 0; }

static int chunk_samples(const ConvGeom *g, int n)
{
    int hw = g->ho * g->wo;
    if (hw >= DIRECT_HW) return 1;
    int nb = (CHUNK_COLS + hw - 1) / hw;
    return nb < n ? nb : n;
}

static size_t depthwise_work_floats(const ConvGeom *g);

size_t conv_work_floats(const ConvGeom *g, int n)
{
    if (is_depthwise(g)) return depthwise_work_floats(g);
    size_t hw = (size_t)g->ho * g->wo, kk = (size_t)(g->cin / g->groups) * g->k * g->k;
    int nb = chunk_samples(g, n);
    if (nb == 1) return is_pointwise(g) ? 0 : kk * hw;
    return kk * hw * nb + (size_t)(g->cout / g->groups) * hw * nb;
}

/* Copy of a short row: an inline loop (a libc call per 7..28 floats costs more than the copy). */
static inline void copy_row(float *restrict d, const float *restrict s, int n)
{
    if (n >= 64) { memcpy(d, s, sizeof(float) * (size_t)n); return; }
    for (int i = 0; i < n; i++) d[i] = s[i];
}

/* r[i][j] = x[i + di][j + dj], 0 where that is outside the (h, w) plane: the rows in range
 * are one contiguous copy of the plane from offset di*w + dj, then the dj columns that
 * wrapped to the neighbouring row are zeroed. */
static void shifted_plane(float *restrict r, const float *restrict x, int h, int w, int di, int dj)
{
    int i0 = di < 0 ? -di : 0, i1 = di > 0 ? h - di : h;   /* rows in range */
    if (i1 < i0) i1 = i0;
    size_t hw = (size_t)h * w;
    for (size_t j = 0; j < (size_t)i0 * w; j++) r[j] = 0;
    for (size_t j = (size_t)i1 * w; j < hw; j++) r[j] = 0;
    if (i1 == i0) return;
    /* flat positions [a, b) of r read flat positions [a + off, b + off) of x */
    ptrdiff_t off = (ptrdiff_t)di * w + dj, a = (ptrdiff_t)i0 * w, b = (ptrdiff_t)i1 * w;
    ptrdiff_t ca = a + off < 0 ? -off : a, cb = b + off > (ptrdiff_t)hw ? (ptrdiff_t)hw - off : b;
    for (ptrdiff_t j = a; j < ca; j++) r[j] = 0;
    for (ptrdiff_t j = cb; j < b; j++) r[j] = 0;
    if (cb > ca) memcpy(r + ca, x + ca + off, sizeof(float) * (size_t)(cb - ca));
    int z = dj < 0 ? -dj : dj;
    if (z > w) z = w;
    for (int i = i0; i < i1; i++) {
        float *ri = r + (size_t)i * w;
        if (dj < 0)
            for (int j = 0; j < z; j++) ri[j] = 0;
        else
            for (int j = w - z; j < w; j++) ri[j] = 0;
    }
}

void im2col(const ConvGeom *g, const float *x, float *col, int ldc)
{
    int cg = g->cin / g->groups, k = g->k, s = g->stride, p = g->pad;
    int h = g->h, w = g->w, ho = g->ho, wo = g->wo;
    if (is_pointwise(g)) {   /* rows are whole channels */
        for (int c = 0; c < cg; c++) memcpy(col + (size_t)c * ldc, x + (size_t)c * h * w, sizeof(float) * (size_t)h * w);
        return;
    }
    if (s == 1 && ho == h && wo == w) {   /* "same" padding: each column row is the plane shifted */
        for (int c = 0; c < cg; c++) {
            const float *xc = x + (size_t)c * h * w;
            for (int ki = 0; ki < k; ki++)
                for (int kj = 0; kj < k; kj++)
                    shifted_plane(col + (size_t)((c * k + ki) * k + kj) * ldc, xc, h, w, ki - p, kj - p);
        }
        return;
    }
    for (int c = 0; c < cg; c++) {
        const float *xc = x + (size_t)c * h * w;
        for (int ki = 0; ki < k; ki++)
            for (int kj = 0; kj < k; kj++) {
                float *row = col + (size_t)((c * k + ki) * k + kj) * ldc;
                for (int oi = 0; oi < ho; oi++) {
                    int ii = oi * s - p + ki;
                    float *r = row + oi * wo;
                    if (ii < 0 || ii >= h) { memset(r, 0, sizeof(float) * (size_t)wo); continue; }
                    const float *xr = xc + (size_t)ii * w;
                    if (s == 1) {
                        int lo = p - kj, hi = w + p - kj;   /* valid oj: lo <= oj < hi */
                        if (lo < 0) lo = 0;
                        if (hi > wo) hi = wo;
                        for (int oj = 0; oj < lo && oj < wo; oj++) r[oj] = 0;
                        if (hi > lo) copy_row(r + lo, xr + lo - p + kj, hi - lo);
                        for (int oj = hi > lo ? hi : lo; oj < wo; oj++) r[oj] = 0;
                    } else {
                        for (int oj = 0; oj < wo; oj++) {
                            int jj = oj * s - p + kj;
                            r[oj] = (jj >= 0 && jj < w) ? xr[jj] : 0.0f;
                        }
                    }
                }
            }
    }
}

static void add_bias(const ConvGeom *g, const float *b, float *y, int n)
{
    size_t hw = (size_t)g->ho * g->wo;
    for (int i = 0; i < n; i++)
        for (int o = 0; o < g->cout; o++) {
            float *yo = y + ((size_t)i * g->cout + o) * hw, bo = b[o];
            for (size_t j = 0; j < hw; j++) yo[j] += bo;
        }
}

/* Output columns oj with 0 <= oj*s - p + kj < w, as [*lo, *hi). */
static void valid_cols(int w, int wo, int s, int p, int kj, int *lo, int *hi)
{
    *lo = p - kj > 0 ? (p - kj + s - 1) / s : 0;
    *hi = w - 1 + p - kj < 0 ? 0 : (w - 1 + p - kj) / s + 1;
    if (*hi > wo) *hi = wo;
    if (*hi < *lo) *hi = *lo;
}

/* Depthwise convs (groups = cin = cout) run direct loops over a zero-padded copy of each
 * input plane, so every output sums all k*k taps in (ki, kj) order with no bounds tests; a
 * tap in the padding adds w*0 = +-0, which leaves a sum that started at +0 unchanged, so the
 * result equals summing the in-range taps only (as PyTorch's and the reference's direct
 * loops).  k = 3 (every depthwise conv of the model zoo) gets its own copy with the taps
 * unrolled. */
typedef struct {
    float *buf;
    int hp, wp;   /* padded plane */
} PadPlane;

static void pad_plane(PadPlane *pp, const float *xc, int h, int w, int p)
{
    int wp = pp->wp;
    float *b = pp->buf;
    for (int j = 0; j < p * wp; j++) b[j] = 0;
    for (int i = 0; i < h; i++) {
        float *r = b + (size_t)(i + p) * wp;
        for (int j = 0; j < p; j++) r[j] = 0;
        for (int j = 0; j < w; j++) r[p + j] = xc[(size_t)i * w + j];
        for (int j = p + w; j < wp; j++) r[j] = 0;
    }
    for (int j = (h + p) * wp; j < pp->hp * wp; j++) b[j] = 0;
}

/* The padded plane of a (h, w) input for a k x k window at stride s and pad p: the rows and
 * columns the windows read (at least the input plus its padding). */
static void pad_dims(const ConvGeom *g, int *hp, int *wp)
{
    int rh = (g->ho - 1) * g->stride + g->k, rw = (g->wo - 1) * g->stride + g->k;
    *hp = rh > g->h + 2 * g->pad ? rh : g->h + 2 * g->pad;
    *wp = rw > g->w + 2 * g->pad ? rw : g->w + 2 * g->pad;
}

static inline __attribute__((always_inline)) void dw_fwd_plane(const float *xp, int wp, const float *wc, float *yc,
                                                               int ho, int wo, int K, int S)
{
    for (int oi = 0; oi < ho; oi++) {
        const float *x0 = xp + (size_t)oi * S * wp;
        float *yr = yc + (size_t)oi * wo;
        for (int oj = 0; oj < wo; oj++) {
            float acc = 0;
            for (int ki = 0; ki < K; ki++)
                for (int kj = 0; kj < K; kj++) acc += wc[ki * K + kj] * x0[(size_t)ki * wp + oj * S + kj];
            yr[oj] = acc;
        }
    }
}

/* dw[tap] += sum over the output plane, row by row, of dy * x at the tap; one running sum per
 * tap (independent chains, each in the order of the plain loop). */
static inline __attribute__((always_inline)) void dw_wgrad_plane(const float *xp, int wp, const float *dyc, float *dwc,
                                                                 int ho, int wo, int K, int S)
{
    float acc[K * K];
    for (int t = 0; t < K * K; t++) acc[t] = 0;
    for (int oi = 0; oi < ho; oi++) {
        const float *x0 = xp + (size_t)oi * S * wp, *dr = dyc + (size_t)oi * wo;
        for (int oj = 0; oj < wo; oj++) {
            float d = dr[oj];
            for (int ki = 0; ki < K; ki++)
                for (int kj = 0; kj < K; kj++) acc[ki * K + kj] += d * x0[(size_t)ki * wp + oj * S + kj];
        }
    }
    for (int t = 0; t < K * K; t++) dwc[t] += acc[t];
}

static void depthwise_forward(const ConvGeom *g, const float *x, const float *w, float *y, int n, float *work)
{
    int k = g->k, s = g->stride, ho = g->ho, wo = g->wo;
    PadPlane pp = {work, 0, 0};
    pad_dims(g, &pp.hp, &pp.wp);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < g->cin; c++) {
            const float *xc = x + ((size_t)i * g->cin + c) * g->h * g->w;
            const float *wc = w + (size_t)c * k * k;
            float *yc = y + ((size_t)i * g->cout + c) * ho * wo;
            pad_plane(&pp, xc, g->h, g->w, g->pad);
            if (k == 3 && s == 1) dw_fwd_plane(pp.buf, pp.wp, wc, yc, ho, wo, 3, 1);
            else if (k == 3 && s == 2) dw_fwd_plane(pp.buf, pp.wp, wc, yc, ho, wo, 3, 2);
            else dw_fwd_plane(pp.buf, pp.wp, wc, yc, ho, wo, k, s);
        }
}

void conv2d_forward(const ConvGeom *g, const float *x, const float *w, const float *b, float *y,
                    int n, float *work)
{
    int cg = g->cin / g->groups, og = g->cout / g->groups;
    int hw = g->ho * g->wo, kk = cg * g->k * g->k;
    size_t xs = (size_t)g->cin * g->h * g->w, ys = (size_t)g->cout * hw;
    if (is_depthwise(g)) {
        depthwise_forward(g, x, w, y, n, work);
    } else if (chunk_samples(g, n) == 1) {
        for (int i = 0; i < n; i++)
            for (int gr = 0; gr < g->groups; gr++) {
                const float *xg = x + i * xs + (size_t)gr * cg * g->h * g->w;
                const float *col = xg;
                if (!is_pointwise(g)) { im2col(g, xg, work, hw); col = work; }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, og, hw, kk, 1.0f,
                            w + (size_t)gr * og * kk, kk, col, hw, 0.0f,
                            y + i * ys + (size_t)gr * og * hw, hw);
            }
    } else {
        int nb = chunk_samples(g, n);
        float *col = work, *out = work + (size_t)kk * hw * nb;
        for (int i0 = 0; i0 < n; i0 += nb) {
            int m = n - i0 < nb ? n - i0 : nb, ld = m * hw;
            for (int gr = 0; gr < g->groups; gr++) {
                for (int i = 0; i < m; i++)
                    im2col(g, x + (i0 + i) * xs + (size_t)gr * cg * g->h * g->w, col + (size_t)i * hw, ld);
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, og, ld, kk, 1.0f,
                            w + (size_t)gr * og * kk, kk, col, ld, 0.0f, out, ld);
                for (int i = 0; i < m; i++)
                    for (int o = 0; o < og; o++)
                        memcpy(y + (i0 + i) * ys + (size_t)(gr * og + o) * hw, out + (size_t)o * ld + (size_t)i * hw,
                               sizeof(float) * (size_t)hw);
            }
        }
    }
    if (b) add_bias(g, b, y, n);
}

void conv2d_forward_ref(const ConvGeom *g, const float *x, const float *w, const float *b, float *y, int n)
{
    int cg = g->cin / g->groups, og = g->cout / g->groups, k = g->k;
    for (int i = 0; i < n; i++)
        for (int o = 0; o < g->cout; o++) {
            int gr = o / og;
            for (int oi = 0; oi < g->ho; oi++)
                for (int oj = 0; oj < g->wo; oj++) {
                    double acc = b ? b[o] : 0.0;
                    for (int c = 0; c < cg; c++)
                        for (int ki = 0; ki < k; ki++)
                            for (int kj = 0; kj < k; kj++) {
                                int ii = oi * g->stride - g->pad + ki, jj = oj * g->stride - g->pad + kj;
                                if (ii < 0 || ii >= g->h || jj < 0 || jj >= g->w) continue;
                                acc += (double)x[(((size_t)i * g->cin + gr * cg + c) * g->h + ii) * g->w + jj] *
                                       w[(((size_t)o * cg + c) * k + ki) * k + kj];
                            }
                    y[(((size_t)i * g->cout + o) * g->ho + oi) * g->wo + oj] = (float)acc;
                }
        }
}

/* ---------------------------------------------------------------- backward */

size_t conv_bwd_work_floats(const ConvGeom *g, int n)
{
    if (is_depthwise(g)) return depthwise_work_floats(g);
    size_t hw = (size_t)g->ho * g->wo, kk = (size_t)(g->cin / g->groups) * g->k * g->k;
    int nb = chunk_samples(g, n);
    /* col + dcol (+ gathered dy for chunks) */
    return 2 * kk * hw * nb + (nb > 1 ? (size_t)(g->cout / g->groups) * hw * nb : 0);
}

enum { COL2IM_FLAT = 4096 };

/* col2im_add for 3x3, stride 1, pad 1 on an (h, w) plane: per channel and kernel row, the sum
 * of the three taps for every input element in one pass over the flat plane (into t; the
 * first and last columns, which lack a tap, recomputed as the row-wise path does), then
 * dx += t.  The same sums in the same order as the row-wise path below, in long loops. */
static void col2im_add_same3(const float *col, int ldc, float *dx, int cg, int h, int w)
{
    float t[COL2IM_FLAT];
    for (int c = 0; c < cg; c++) {
        float *xc = dx + (size_t)c * h * w;
        for (int ki = 0; ki < 3; ki++) {
            int ii0 = ki > 1 ? ki - 1 : 0, ii1 = ki < 1 ? h - 1 + ki : h;   /* rows with oi = ii + 1 - ki in range */
            if (ii1 <= ii0) continue;
            const float *r0 = col + (size_t)((c * 3 + ki) * 3) * ldc;
            const float *r1 = r0 + ldc, *r2 = r1 + ldc;
            ptrdiff_t off = (ptrdiff_t)(1 - ki) * w, f0 = (ptrdiff_t)ii0 * w, f1 = (ptrdiff_t)ii1 * w;
            /* input (ii, j) takes tap kj from output (ii + 1 - ki, j + 1 - kj) */
            const float *q0 = r0 + off + 1, *q1 = r1 + off, *q2 = r2 + off - 1;
            for (ptrdiff_t f = f0; f < f1; f++) t[f - f0] = (q0[f] + q1[f]) + q2[f];
            for (int ii = ii0; ii < ii1; ii++) {
                ptrdiff_t a = (ptrdiff_t)ii * w, b = a + w - 1;
                float u = 0;   /* j = 0: no tap 2 */
                if (w > 1) u += q0[a];
                u += q1[a];
                t[a - f0] = u;
                if (w > 1) {   /* j = w - 1: no tap 0 */
                    float v = 0;
                    v += q1[b];
                    v += q2[b];
                    t[b - f0] = v;
                }
            }
            float *restrict xo = xc + f0;
            for (ptrdiff_t f = 0; f < f1 - f0; f++) xo[f] += t[f];
        }
    }
}

void col2im_add(const ConvGeom *g, const float *col, int ldc, float *dx)
{
    int cg = g->cin / g->groups, k = g->k, s = g->stride, p = g->pad;
    int h = g->h, w = g->w, ho = g->ho, wo = g->wo;
    if (is_pointwise(g)) {
        size_t hw = (size_t)h * w;
        for (int c = 0; c < cg; c++) {
            float *restrict xc = dx + (size_t)c * hw;
            const float *restrict row = col + (size_t)c * ldc;
            for (size_t j = 0; j < hw; j++) xc[j] += row[j];
        }
        return;
    }
    if (k == 3 && s == 1 && p == 1 && wo == w && ho == h && (size_t)h * w <= COL2IM_FLAT) {
        col2im_add_same3(col, ldc, dx, cg, h, w);
        return;
    }
    if (k == 3 && s == 1 && p <= 2 && wo == w + 2 * p - 2) {
        /* 3x3 stride 1: the three taps of a kernel row summed in one pass over each input row
         * (one read-modify-write of dx instead of three) */
        int a = 2 - p > 0 ? 2 - p : 0, b = wo - p < w ? wo - p : w;   /* columns all three taps reach */
        for (int c = 0; c < cg; c++) {
            float *xc = dx + (size_t)c * h * w;
            for (int ki = 0; ki < 3; ki++) {
                const float *r0 = col + (size_t)((c * 3 + ki) * 3) * ldc;
                const float *r1 = r0 + ldc, *r2 = r1 + ldc;
                for (int oi = 0; oi < ho; oi++) {
                    int ii = oi - p + ki;
                    if (ii < 0 || ii >= h) continue;
                    float *restrict xr = xc + (size_t)ii * w;
                    const float *q0 = r0 + (size_t)oi * wo, *q1 = r1 + (size_t)oi * wo, *q2 = r2 + (size_t)oi * wo;
                    /* input column j gets tap kj from output column j + p - kj */
                    for (int j = 0; j < w; j++) {
                        if (j == a && a < b) {
                            for (; j < b; j++) xr[j] += (q0[j + p] + q1[j + p - 1]) + q2[j + p - 2];
                            if (j >= w) break;
                        }
                        float t = 0;
                        if (j + p < wo) t += q0[j + p];
                        if (j + p - 1 >= 0 && j + p - 1 < wo) t += q1[j + p - 1];
                        if (j + p - 2 >= 0 && j + p - 2 < wo) t += q2[j + p - 2];
                        xr[j] += t;
                    }
                }
            }
        }
        return;
    }
    for (int c = 0; c < cg; c++) {
        float *xc = dx + (size_t)c * h * w;
        for (int ki = 0; ki < k; ki++)
            for (int kj = 0; kj < k; kj++) {
                const float *row = col + (size_t)((c * k + ki) * k + kj) * ldc;
                /* valid output columns: 0 <= oj*s - p + kj < w */
                int lo = p - kj > 0 ? (p - kj + s - 1) / s : 0, hi = (w - 1 + p - kj) / s + 1;
                if (w - 1 + p - kj < 0) hi = 0;
                if (hi > wo) hi = wo;
                for (int oi = 0; oi < ho; oi++) {
                    int ii = oi * s - p + ki;
                    if (ii < 0 || ii >= h) continue;
                    const float *r = row + oi * wo;
                    float *xr = xc + (size_t)ii * w;
                    if (s == 1) {
                        float *xo = xr + (lo + kj - p);
                        for (int oj = lo; oj < hi; oj++) xo[oj - lo] += r[oj];
                    } else {
                        for (int oj = lo; oj < hi; oj++) xr[oj * s + kj - p] += r[oj];
                    }
                }
            }
    }
}

static size_t depthwise_work_floats(const ConvGeom *g)
{
    int hp, wp;
    pad_dims(g, &hp, &wp);
    return (size_t)hp * wp;
}

/* dx by scattering each tap's w * dy over the input rows it reaches (row-wise axpys, in tap
 * order); dw from the padded input plane (dw_wgrad_plane). */
static void depthwise_backward(const ConvGeom *g, const float *x, const float *w, const float *dy, float *dx,
                               float *dw, int n, float *work)
{
    int k = g->k, s = g->stride, p = g->pad, h = g->h, wd = g->w, ho = g->ho, wo = g->wo;
    PadPlane pp = {work, 0, 0};
    pad_dims(g, &pp.hp, &pp.wp);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < g->cin; c++) {
            const float *xc = x + ((size_t)i * g->cin + c) * h * wd;
            const float *wc = w + (size_t)c * k * k;
            const float *dyc = dy + ((size_t)i * g->cout + c) * ho * wo;
            float *dxc = dx ? dx + ((size_t)i * g->cin + c) * h * wd : NULL;
            if (dw) {
                float *dwc = dw + (size_t)c * k * k;
                pad_plane(&pp, xc, h, wd, p);
                if (k == 3 && s == 1) dw_wgrad_plane(pp.buf, pp.wp, dyc, dwc, ho, wo, 3, 1);
                else if (k == 3 && s == 2) dw_wgrad_plane(pp.buf, pp.wp, dyc, dwc, ho, wo, 3, 2);
                else dw_wgrad_plane(pp.buf, pp.wp, dyc, dwc, ho, wo, k, s);
            }
            if (!dxc) continue;
            for (int ki = 0; ki < k; ki++)
                for (int kj = 0; kj < k; kj++) {
                    float wv = wc[ki * k + kj];
                    int lo, hi;
                    valid_cols(wd, wo, s, p, kj, &lo, &hi);
                    for (int oi = 0; oi < ho; oi++) {
                        int ii = oi * s - p + ki;
                        if (ii < 0 || ii >= h) continue;
                        const float *dr = dyc + (size_t)oi * wo;
                        if (s == 1) {
                            float *xd = dxc + (size_t)ii * wd + (lo + kj - p);
                            for (int oj = lo; oj < hi; oj++) xd[oj - lo] += wv * dr[oj];
                        } else {
                            for (int oj = lo; oj < hi; oj++) dxc[(size_t)ii * wd + oj * s + kj - p] += wv * dr[oj];
                        }
                    }
                }
        }
}

/* db[o] += the binary64 sum of dy's channel o, sample by sample, element by element.  Four
 * channels at a time: four independent chains of dependent adds (each in that order) instead
 * of one, so the adds overlap. */
static void bias_backward(const ConvGeom *g, const float *dy, float *db, int n)
{
    size_t hw = (size_t)g->ho * g->wo, cs = (size_t)g->cout * hw;
    int o = 0;
    for (; o + 4 <= g->cout; o += 4) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (int i = 0; i < n; i++) {
            const float *d = dy + i * cs + (size_t)o * hw;
            for (size_t j = 0; j < hw; j++) {
                s0 += d[j];
                s1 += d[hw + j];
                s2 += d[2 * hw + j];
                s3 += d[3 * hw + j];
            }
        }
        db[o] += (float)s0;
        db[o + 1] += (float)s1;
        db[o + 2] += (float)s2;
        db[o + 3] += (float)s3;
    }
    for (; o < g->cout; o++) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            const float *d = dy + i * cs + (size_t)o * hw;
            for (size_t j = 0; j < hw; j++) s += d[j];
        }
        db[o] += (float)s;
    }
}

void conv2d_backward(const ConvGeom *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                     float *db, int n, float *work)
{
    int cg = g->cin / g->groups, og = g->cout / g->groups;
    int hw = g->ho * g->wo, kk = cg * g->k * g->k;
    size_t xs = (size_t)g->cin * g->h * g->w, ys = (size_t)g->cout * hw, ghw = (size_t)cg * g->h * g->w;
    if (db) bias_backward(g, dy, db, n);
    if (is_depthwise(g)) {
        depthwise_backward(g, x, w, dy, dx, dw, n, work);
        return;
    }
    int nb = chunk_samples(g, n);
    if (nb == 1) {
        float *col = work, *dcol = work + (size_t)kk * hw;
        for (int i = 0; i < n; i++)
            for (int gr = 0; gr < g->groups; gr++) {
                const float *xg = x + i * xs + gr * ghw, *dyg = dy + i * ys + (size_t)gr * og * hw;
                const float *wg = w + (size_t)gr * og * kk;
                if (dw) {
                    const float *c = xg;
                    if (!is_pointwise(g)) { im2col(g, xg, col, hw); c = col; }
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, og, kk, hw, 1.0f, dyg, hw, c, hw, 1.0f,
                                dw + (size_t)gr * og * kk, kk);
                }
                if (!dx) continue;
                float *dxg = dx + i * xs + gr * ghw;
                if (is_pointwise(g)) {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kk, hw, og, 1.0f, wg, kk, dyg, hw, 1.0f, dxg, hw);
                } else {
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kk, hw, og, 1.0f, wg, kk, dyg, hw, 0.0f, dcol, hw);
                    col2im_add(g, dcol, hw, dxg);
                }
            }
        return;
    }
    float *col = work, *dcol = work + (size_t)kk * hw * nb, *dyc = dcol + (size_t)kk * hw * nb;
    for (int i0 = 0; i0 < n; i0 += nb) {
        int m = n - i0 < nb ? n - i0 : nb, ld = m * hw;
        for (int gr = 0; gr < g->groups; gr++) {
            const float *wg = w + (size_t)gr * og * kk;
            for (int i = 0; i < m; i++) {
                if (dw) im2col(g, x + (i0 + i) * xs + gr * ghw, col + (size_t)i * hw, ld);
                for (int o = 0; o < og; o++)
                    memcpy(dyc + (size_t)o * ld + (size_t)i * hw, dy + (i0 + i) * ys + (size_t)(gr * og + o) * hw,
                           sizeof(float) * (size_t)hw);
            }
            if (dw)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, og, kk, ld, 1.0f, dyc, ld, col, ld, 1.0f,
                            dw + (size_t)gr * og * kk, kk);
            if (!dx) continue;
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kk, ld, og, 1.0f, wg, kk, dyc, ld, 0.0f, dcol, ld);
            for (int i = 0; i < m; i++) col2im_add(g, dcol + (size_t)i * hw, ld, dx + (i0 + i) * xs + gr * ghw);
        }
    }
}
