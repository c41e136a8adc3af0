/* pool.c — max pooling and global average pooling (see layers.h). */
#include <math.h>

#include "layers.h"

void maxpool_forward(const float *x, float *y, int n, int c, int h, int w, int k, int stride, int pad,
                     int ho, int wo)
{
    for (int p = 0; p < n * c; p++) {
        const float *xp = x + (size_t)p * h * w;
        float *yp = y + (size_t)p * ho * wo;
        for (int oi = 0; oi < ho; oi++)
            for (int oj = 0; oj < wo; oj++) {
                float m = -INFINITY;
                for (int ki = 0; ki < k; ki++) {
                    int ii = oi * stride - pad + ki;
                    if (ii < 0 || ii >= h) continue;
                    for (int kj = 0; kj < k; kj++) {
                        int jj = oj * stride - pad + kj;
                        if (jj < 0 || jj >= w) continue;
                        float v = xp[ii * w + jj];
                        if (v > m || isnan(v)) m = v;
                    }
                }
                yp[oi * wo + oj] = m;
            }
    }
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
    for (int p = 0; p < n * c; p++) {
        const float *xp = x + (size_t)p * h * w;
        float *yp = y + (size_t)p * ho * wo;
        int *ap = arg + (size_t)p * ho * wo;
        for (int oi = 0; oi < ho; oi++)
            for (int oj = 0; oj < wo; oj++) {
                float m = -INFINITY;
                int at = -1;
                for (int ki = 0; ki < k; ki++) {
                    int ii = oi * stride - pad + ki;
                    if (ii < 0 || ii >= h) continue;
                    for (int kj = 0; kj < k; kj++) {
                        int jj = oj * stride - pad + kj;
                        if (jj < 0 || jj >= w) continue;
                        float v = xp[ii * w + jj];
                        if (at < 0 || v > m || isnan(v)) { m = v; at = ii * w + jj; }
                    }
                }
                yp[oi * wo + oj] = m;
                ap[oi * wo + oj] = at;
            }
    }
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
