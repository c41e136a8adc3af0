/* pool.c — max pooling and global average pooling (see layers.h). */
#include <math.h>
#include <stdlib.h>

#include "layers.h"

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

static void maxpool_plane(const float *xp, float *yp, int *ap, int *scratch, int h, int w, int k, int stride,
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
        if (has_nan)   /* scalar redo of the row: the first NaN of a window wins */
            for (int oj = 0; oj < wo; oj++) {
                int j0, j1;
                window(oj, k, stride, pad, w, &j0, &j1);
                at[oj] = i0 * w + j0;
                m[oj] = xp[at[oj]];
                for (int ii = i0; ii < i1; ii++)
                    for (int jj = j0; jj < j1; jj++)
                        if (xp[ii * w + jj] != xp[ii * w + jj]) { m[oj] = xp[ii * w + jj]; at[oj] = ii * w + jj; ii = i1; break; }
            }
    }
}

void maxpool_forward(const float *x, float *y, int n, int c, int h, int w, int k, int stride, int pad,
                     int ho, int wo)
{
    int scratch[4096];
    if (wo > 4096) { /* very wide rows: fall back to an index buffer per call */
        int *buf = malloc(sizeof(int) * (size_t)wo);
        for (int p = 0; p < n * c; p++)
            maxpool_plane(x + (size_t)p * h * w, y + (size_t)p * ho * wo, NULL, buf, h, w, k, stride, pad, ho, wo);
        free(buf);
        return;
    }
    for (int p = 0; p < n * c; p++)
        maxpool_plane(x + (size_t)p * h * w, y + (size_t)p * ho * wo, NULL, scratch, h, w, k, stride, pad, ho, wo);
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
    for (int p = 0; p < n * c; p++)
        maxpool_plane(x + (size_t)p * h * w, y + (size_t)p * ho * wo, arg + (size_t)p * ho * wo, NULL, h, w, k, stride,
                      pad, ho, wo);
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
