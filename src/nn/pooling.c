/* pool.c — max pooling and global average pooling (see layers.h). */
#include <math.h>
#include <stdlib.h>

#include "nn/layers.h"

/* Window bounds of output position o along one axis: [*a, *b) clipped to [0, n). */
static inline void window(int o, int k, int stride, int pad, int n, int *a, int *b)
{
    int lo = o * stride - pad, hi = lo + k;
    *a = lo < 0 ? 0 : lo;
    *b = hi > n ? n : hi;
}

/* Max over every window (padding acts as -inf; NaN propagates, as in PyTorch); with arg,
 * also the flat input index of the maximum (the first one in row-major window order on
 * ties).  For each output row the window taps are visited in row-major order with the output
 * columns innermost, so the inner loop is branch-free and vectorizes.  NaN inputs (never
 * seen in practice) take a scalar path. */
static int maxpool_row_taps(const float *xp, float *m, int *at, int w, int ii, int kj, int stride, int pad,
                            int lo, int hi)
{
    const float *r = xp + (size_t)ii * w;
    int base = ii * w + kj - pad, nan = 0;
    if (stride == 1) {   /* contiguous: the loop vectorizes */
        const float *rr = r + kj - pad;
        for (int oj = lo; oj < hi; oj++) {
            float v = rr[oj];
            int gt = v > m[oj];
            nan |= v != v;
            m[oj] = gt ? v : m[oj];
            at[oj] = gt ? base + oj : at[oj];
        }
        return nan;
    }
    for (int oj = lo; oj < hi; oj++) {
        float v = r[oj * stride + kj - pad];
        int gt = v > m[oj];
        nan |= v != v;
        m[oj] = gt ? v : m[oj];
        at[oj] = gt ? base + oj * stride : at[oj];
    }
    return nan;
}

/* The generic row-tap version, kept for planes holding a NaN. */
static void maxpool_plane_taps(const float *xp, float *yp, int *ap, int *scratch, int h, int w, int k, int stride,
                               int pad, int ho, int wo)
{
    for (int oi = 0; oi < ho; oi++) {
        int i0, i1;
        window(oi, k, stride, pad, h, &i0, &i1);
        float *m = yp + (size_t)oi * wo;
        int *at = ap ? ap + (size_t)oi * wo : scratch;
        for (int oj = 0; oj < wo; oj++) { m[oj] = -INFINITY; at[oj] = -1; }
        int has_nan = 0;
        for (int ii = i0; ii < i1; ii++)
            for (int kj = 0; kj < k; kj++) {
                /* output columns whose window covers input column oj*stride + kj - pad */
                int lo = pad - kj > 0 ? (pad - kj + stride - 1) / stride : 0;
                int hi = w - 1 + pad - kj < 0 ? 0 : (w - 1 + pad - kj) / stride + 1;
                if (hi > wo) hi = wo;
                if (lo < hi) has_nan |= maxpool_row_taps(xp, m, at, w, ii, kj, stride, pad, lo, hi);
            }
        for (int oj = 0; oj < wo; oj++) has_nan |= at[oj] < 0;   /* all -inf windows */
        if (has_nan)   /* scalar redo: the first NaN of a window wins; all -inf windows take their first element */
            for (int oj = 0; oj < wo; oj++) {
                int j0, j1;
                window(oj, k, stride, pad, w, &j0, &j1);
                if (at[oj] < 0) { at[oj] = i0 * w + j0; m[oj] = xp[at[oj]]; }
                for (int ii = i0; ii < i1; ii++)
                    for (int jj = j0; jj < j1; jj++)
                        if (xp[ii * w + jj] != xp[ii * w + jj]) { m[oj] = xp[ii * w + jj]; at[oj] = ii * w + jj; ii = i1; break; }
            }
    }
}

/* Scratch of one plane for the separable path: a padded input row, and per input row the
 * horizontal maxima and their columns. */
typedef struct {
    float *row, *hm;
    int *ha;
} PoolScratch;

static int plane_has_nan(const float *xp, size_t n)
{
    int nan = 0;
    for (size_t i = 0; i < n; i++) nan |= xp[i] != xp[i];
    return nan;
}

/* One input row's horizontal maxima for windows of K columns at stride S (constants where
 * inlined, so the tap loop unrolls and the column loop vectorizes: the running maximum and
 * its column stay in registers, one store each).  row is the input row behind pad -inf; a
 * window starting in the padding starts from the row's first element. */
static inline __attribute__((always_inline)) void hpass(const float *row, const float *xr, float *hm, int *ha,
                                                        int wo, int pad, int K, int S)
{
    int e = (pad + S - 1) / S;
    e = e < wo ? e : wo;
    for (int oj = 0; oj < e; oj++) {
        float m = xr[0];
        int a = 0;
        for (int kj = 1; kj < K; kj++) {
            float v = row[oj * S + kj];
            int gt = v > m;
            m = gt ? v : m;
            a = gt ? oj * S + kj - pad : a;
        }
        hm[oj] = m;
        ha[oj] = a;
    }
    for (int oj = e; oj < wo; oj++) {
        float m = row[oj * S];
        int a = oj * S - pad;
        for (int kj = 1; kj < K; kj++) {
            float v = row[oj * S + kj];
            int gt = v > m;
            m = gt ? v : m;
            a = gt ? oj * S + kj - pad : a;
        }
        hm[oj] = m;
        ha[oj] = a;
    }
}

/* One output row's maximum down R rows of horizontal maxima, the first of them input row i0
 * (the first row wins on ties); at NULL: values only. */
static inline __attribute__((always_inline)) void vpass(const float *hm0, const int *ha0, float *m, int *at, int wo,
                                                        int w, int i0, int R)
{
    if (!at) {
        for (int oj = 0; oj < wo; oj++) {
            float v = hm0[oj];
            for (int r = 1; r < R; r++) {
                float u = hm0[(size_t)r * wo + oj];
                v = u > v ? u : v;
            }
            m[oj] = v;
        }
        return;
    }
    for (int oj = 0; oj < wo; oj++) {
        float v = hm0[oj];
        int a = i0 * w + ha0[oj];
        for (int r = 1; r < R; r++) {
            float u = hm0[(size_t)r * wo + oj];
            int gt = u > v;
            v = gt ? u : v;
            a = gt ? (i0 + r) * w + ha0[(size_t)r * wo + oj] : a;
        }
        m[oj] = v;
        at[oj] = a;
    }
}

/* Separable max: first along each input row (the first maximum from the left wins), then
 * down the window's rows (the first row wins), which is the first maximum in row-major
 * window order, as PyTorch's.  Each window starts from its first in-range element and only
 * a strictly greater value replaces it, so padding (-inf) never wins and all -inf windows
 * keep an in-range index.  NaN-free planes only.  The common shapes (3x3 at stride 1 or 2,
 * 2x2 at stride 2) get their own unrolled, vectorized copies. */
static void maxpool_plane_sep(const float *xp, float *yp, int *ap, PoolScratch *ps, int h, int w, int k, int stride,
                              int pad, int ho, int wo)
{
    float *row = ps->row;
    int wp = (wo - 1) * stride + k;   /* padded row length the windows read */
    for (int j = 0; j < wp; j++) row[j] = -INFINITY;
    int rlo = ho > 0 ? 0 : h, rhi = h;
    for (int ii = rlo; ii < rhi; ii++) {
        const float *xr = xp + (size_t)ii * w;
        int cols = w < wp - pad ? w : wp - pad;
        for (int j = 0; j < cols; j++) row[pad + j] = xr[j];
        float *hm = ps->hm + (size_t)ii * wo;
        int *ha = ps->ha + (size_t)ii * wo;
        if (stride == 1 && k == 3) hpass(row, xr, hm, ha, wo, pad, 3, 1);
        else if (stride == 2 && k == 3) hpass(row, xr, hm, ha, wo, pad, 3, 2);
        else if (stride == 2 && k == 2) hpass(row, xr, hm, ha, wo, pad, 2, 2);
        else if (stride == 1) hpass(row, xr, hm, ha, wo, pad, k, 1);
        else hpass(row, xr, hm, ha, wo, pad, k, stride);
    }
    for (int oi = 0; oi < ho; oi++) {
        int i0, i1;
        window(oi, k, stride, pad, h, &i0, &i1);
        float *m = yp + (size_t)oi * wo;
        int *at = ap ? ap + (size_t)oi * wo : NULL;
        const float *h0 = ps->hm + (size_t)i0 * wo;
        const int *a0 = ps->ha + (size_t)i0 * wo;
        switch (i1 - i0) {
        case 1: vpass(h0, a0, m, at, wo, w, i0, 1); break;
        case 2: vpass(h0, a0, m, at, wo, w, i0, 2); break;
        case 3: vpass(h0, a0, m, at, wo, w, i0, 3); break;
        default: vpass(h0, a0, m, at, wo, w, i0, i1 - i0); break;
        }
    }
}

/* Every plane of n*c: the separable path, or the tap path for planes with a NaN. */
static void maxpool_planes(const float *x, float *y, int *arg, int n, int c, int h, int w, int k, int stride, int pad,
                           int ho, int wo)
{
    /* scratch on the stack for the planes of every model here (no allocation in a training
     * step); only planes over 8192 row outputs fall back to the heap */
    enum { STACK_ROWS = 8192, STACK_COLS = 1024 };
    float fst[STACK_COLS + STACK_ROWS];
    int ist[STACK_ROWS + STACK_COLS];
    int wp = (wo - 1) * stride + k;
    size_t rows = (size_t)h * wo;
    int small = wp <= STACK_COLS && wo <= STACK_COLS && rows <= STACK_ROWS;
    float *fb = small ? fst : malloc(((size_t)wp + rows) * sizeof(float));
    int *ib = small ? ist : malloc((rows + (size_t)wo) * sizeof(int));
    if (!fb || !ib) abort();
    PoolScratch ps = {fb, fb + wp, ib};
    int *scratch = ib + rows;
    size_t hw = (size_t)h * w, ohw = (size_t)ho * wo;
    for (int p = 0; p < n * c; p++) {
        const float *xp = x + (size_t)p * hw;
        if (plane_has_nan(xp, hw))
            maxpool_plane_taps(xp, y + (size_t)p * ohw, arg ? arg + (size_t)p * ohw : NULL, scratch, h, w, k, stride,
                               pad, ho, wo);
        else
            maxpool_plane_sep(xp, y + (size_t)p * ohw, arg ? arg + (size_t)p * ohw : NULL, &ps, h, w, k, stride, pad,
                              ho, wo);
    }
    if (!small) {
        free(fb);
        free(ib);
    }
}

void maxpool_forward(const float *x, float *y, int n, int c, int h, int w, int k, int stride, int pad,
                     int ho, int wo)
{
    maxpool_planes(x, y, NULL, n, c, h, w, k, stride, pad, ho, wo);
}

void avgpool_forward(const float *x, float *y, int n, int c, int hw)
{
    for (int p = 0; p < n * c; p++) {
        const float *xp = x + (size_t)p * hw;
        float s = 0;
        for (int j = 0; j < hw; j++) s += xp[j];
        y[p] = s / (float)hw;
    }
}

void maxpool_forward_arg(const float *x, float *y, int *arg, int n, int c, int h, int w, int k, int stride,
                         int pad, int ho, int wo)
{
    maxpool_planes(x, y, arg, n, c, h, w, k, stride, pad, ho, wo);
}

void maxpool_backward(const float *dy, const int *arg, float *dx, int n, int c, int hw_in, int hw_out)
{
    for (int p = 0; p < n * c; p++) {
        const float *dp = dy + (size_t)p * hw_out;
        const int *ap = arg + (size_t)p * hw_out;
        float *xp = dx + (size_t)p * hw_in;
        for (int j = 0; j < hw_out; j++) xp[ap[j]] += dp[j];
    }
}

void avgpool_backward(const float *dy, float *dx, int n, int c, int hw)
{
    for (int p = 0; p < n * c; p++) {
        float g = dy[p] / (float)hw;
        float *xp = dx + (size_t)p * hw;
        for (int j = 0; j < hw; j++) xp[j] += g;
    }
}
