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

size_t conv_work_floats(const ConvGeom *g, int n)
{
    if (is_depthwise(g)) return 0;
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

void im2col(const ConvGeom *g, const float *x, float *col, int ldc)
{
    int cg = g->cin / g->groups, k = g->k, s = g->stride, p = g->pad;
    int h = g->h, w = g->w, ho = g->ho, wo = g->wo;
    if (is_pointwise(g)) {   /* rows are whole channels */
        for (int c = 0; c < cg; c++) memcpy(col + (size_t)c * ldc, x + (size_t)c * h * w, sizeof(float) * (size_t)h * w);
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

/* Depthwise conv (groups = cin = cout): per channel and tap, a row-wise axpy over the
 * valid output columns (vectorizes for stride 1). */
static void depthwise_forward(const ConvGeom *g, const float *x, const float *w, float *y, int n)
{
    int k = g->k, s = g->stride, p = g->pad, h = g->h, wd = g->w, ho = g->ho, wo = g->wo;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < g->cin; c++) {
            const float *xc = x + ((size_t)i * g->cin + c) * h * wd;
            const float *wc = w + (size_t)c * k * k;
            float *yc = y + ((size_t)i * g->cout + c) * ho * wo;
            memset(yc, 0, sizeof(float) * (size_t)ho * wo);
            for (int ki = 0; ki < k; ki++)
                for (int kj = 0; kj < k; kj++) {
                    float wv = wc[ki * k + kj];
                    int lo, hi;
                    valid_cols(wd, wo, s, p, kj, &lo, &hi);
                    for (int oi = 0; oi < ho; oi++) {
                        int ii = oi * s - p + ki;
                        if (ii < 0 || ii >= h) continue;
                        const float *xr = xc + (size_t)ii * wd;
                        float *yr = yc + (size_t)oi * wo;
                        if (s == 1) {
                            const float *xo = xr + (lo + kj - p);
                            for (int oj = lo; oj < hi; oj++) yr[oj] += wv * xo[oj - lo];
                        } else {
                            for (int oj = lo; oj < hi; oj++) yr[oj] += wv * xr[oj * s + kj - p];
                        }
                    }
                }
        }
}

void conv2d_forward(const ConvGeom *g, const float *x, const float *w, const float *b, float *y,
                    int n, float *work)
{
    int cg = g->cin / g->groups, og = g->cout / g->groups;
    int hw = g->ho * g->wo, kk = cg * g->k * g->k;
    size_t xs = (size_t)g->cin * g->h * g->w, ys = (size_t)g->cout * hw;
    if (is_depthwise(g)) {
        depthwise_forward(g, x, w, y, n);
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
    if (is_depthwise(g)) return 0;
    size_t hw = (size_t)g->ho * g->wo, kk = (size_t)(g->cin / g->groups) * g->k * g->k;
    int nb = chunk_samples(g, n);
    /* col + dcol (+ gathered dy for chunks) */
    return 2 * kk * hw * nb + (nb > 1 ? (size_t)(g->cout / g->groups) * hw * nb : 0);
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

static void depthwise_backward(const ConvGeom *g, const float *x, const float *w, const float *dy, float *dx,
                               float *dw, int n)
{
    int k = g->k, s = g->stride, p = g->pad, h = g->h, wd = g->w, ho = g->ho, wo = g->wo;
    for (int i = 0; i < n; i++)
        for (int c = 0; c < g->cin; c++) {
            const float *xc = x + ((size_t)i * g->cin + c) * h * wd;
            const float *wc = w + (size_t)c * k * k;
            const float *dyc = dy + ((size_t)i * g->cout + c) * ho * wo;
            float *dxc = dx ? dx + ((size_t)i * g->cin + c) * h * wd : NULL;
            float *dwc = dw ? dw + (size_t)c * k * k : NULL;
            for (int ki = 0; ki < k; ki++)
                for (int kj = 0; kj < k; kj++) {
                    float wv = wc[ki * k + kj], acc = 0;
                    int lo, hi;
                    valid_cols(wd, wo, s, p, kj, &lo, &hi);
                    for (int oi = 0; oi < ho; oi++) {
                        int ii = oi * s - p + ki;
                        if (ii < 0 || ii >= h) continue;
                        const float *xr = xc + (size_t)ii * wd, *dr = dyc + (size_t)oi * wo;
                        if (s == 1) {
                            const float *xo = xr + (lo + kj - p);
                            for (int oj = lo; oj < hi; oj++) acc += dr[oj] * xo[oj - lo];
                            if (dxc) {
                                float *xd = dxc + (size_t)ii * wd + (lo + kj - p);
                                for (int oj = lo; oj < hi; oj++) xd[oj - lo] += wv * dr[oj];
                            }
                        } else {
                            for (int oj = lo; oj < hi; oj++) acc += dr[oj] * xr[oj * s + kj - p];
                            if (dxc)
                                for (int oj = lo; oj < hi; oj++) dxc[(size_t)ii * wd + oj * s + kj - p] += wv * dr[oj];
                        }
                    }
                    if (dwc) dwc[ki * k + kj] += acc;
                }
        }
}

static void bias_backward(const ConvGeom *g, const float *dy, float *db, int n)
{
    size_t hw = (size_t)g->ho * g->wo;
    for (int o = 0; o < g->cout; o++) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            const float *d = dy + ((size_t)i * g->cout + o) * hw;
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
        depthwise_backward(g, x, w, dy, dx, dw, n);
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
