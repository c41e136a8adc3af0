/* merge.c — residual add and channel concat (see layers.h). */
#include <string.h>

#include "nn/layers.h"

void add_forward(const float *a, const float *b, float *y, size_t count)
{
    for (size_t i = 0; i < count; i++) y[i] = a[i] + b[i];
}

void concat_forward(const float *const *xs, const int *cs, int k, float *y, int n, int hw)
{
    int ctot = 0;
    for (int j = 0; j < k; j++) ctot += cs[j];
    for (int i = 0; i < n; i++) {
        float *yp = y + (size_t)i * ctot * hw;
        for (int j = 0; j < k; j++) {
            size_t len = (size_t)cs[j] * hw;
            memcpy(yp, xs[j] + (size_t)i * len, sizeof(float) * len);
            yp += len;
        }
    }
}

void accumulate(const float *dy, float *dx, size_t count)
{
    for (size_t i = 0; i < count; i++) dx[i] += dy[i];
}

void concat_backward(const float *dy, float *const *dxs, const int *cs, int k, int n, int hw)
{
    int ctot = 0;
    for (int j = 0; j < k; j++) ctot += cs[j];
    for (int i = 0; i < n; i++) {
        const float *dp = dy + (size_t)i * ctot * hw;
        for (int j = 0; j < k; j++) {
            size_t len = (size_t)cs[j] * hw;
            accumulate(dp, dxs[j] + (size_t)i * len, len);
            dp += len;
        }
    }
}
