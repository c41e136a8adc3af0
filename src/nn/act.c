/* act.c — ReLU, ReLU6 and softmax (see layers.h). */
#include <math.h>

#include "nn/layers.h"

void relu_forward(const float *x, float *y, size_t count)
{
    for (size_t i = 0; i < count; i++) y[i] = x[i] > 0 ? x[i] : 0.0f;
}

void relu6_forward(const float *x, float *y, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        float v = x[i] > 0 ? x[i] : 0.0f;
        y[i] = v < 6.0f ? v : 6.0f;
    }
}

void softmax_forward(const float *x, float *y, int n, int c)
{
    for (int i = 0; i < n; i++) {
        const float *xr = x + (size_t)i * c;
        float *yr = y + (size_t)i * c;
        float m = xr[0];
        for (int j = 1; j < c; j++) m = xr[j] > m ? xr[j] : m;
        double s = 0;
        for (int j = 0; j < c; j++) { yr[j] = expf(xr[j] - m); s += yr[j]; }
        float inv = (float)(1.0 / s);
        for (int j = 0; j < c; j++) yr[j] *= inv;
    }
}

void relu_backward(const float *y, const float *dy, float *dx, size_t count)
{
    if (dx == dy) {
        for (size_t i = 0; i < count; i++) dx[i] = y[i] > 0 ? dy[i] : 0.0f;
    } else {
        for (size_t i = 0; i < count; i++) dx[i] += y[i] > 0 ? dy[i] : 0.0f;
    }
}

void relu6_backward(const float *y, const float *dy, float *dx, size_t count)
{
    if (dx == dy) {
        for (size_t i = 0; i < count; i++) dx[i] = (y[i] > 0 && y[i] < 6.0f) ? dy[i] : 0.0f;
    } else {
        for (size_t i = 0; i < count; i++) dx[i] += (y[i] > 0 && y[i] < 6.0f) ? dy[i] : 0.0f;
    }
}

void softmax_backward(const float *y, const float *dy, float *dx, int n, int c)
{
    for (int i = 0; i < n; i++) {
        const float *yr = y + (size_t)i * c, *dr = dy + (size_t)i * c;
        float *xr = dx + (size_t)i * c;
        double s = 0;
        for (int j = 0; j < c; j++) s += (double)dr[j] * yr[j];
        for (int j = 0; j < c; j++) xr[j] += yr[j] * (dr[j] - (float)s);
    }
}
