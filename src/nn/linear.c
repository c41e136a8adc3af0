/* linear.c — fully connected layer through sgemm (see layers.h). */
#include <cblas.h>
#include <string.h>

#include "nn/layers.h"

void linear_forward_range(const float *x, const float *w, const float *b, float *y, int n, int in, int out,
                          int o0, int o1)
{
    int m = o1 - o0;
    if (b)
        for (int i = 0; i < n; i++) memcpy(y + (size_t)i * out + o0, b + o0, sizeof(float) * (size_t)m);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, in, 1.0f, x, in, w + (size_t)o0 * in, in,
                b ? 1.0f : 0.0f, y + o0, out);
}

void linear_forward(const float *x, const float *w, const float *b, float *y, int n, int in, int out)
{
    linear_forward_range(x, w, b, y, n, in, out, 0, out);
}

void linear_backward_w_range(const float *x, const float *dy, float *dw, float *db, int n, int in, int out,
                             int o0, int o1)
{
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, o1 - o0, in, n, 1.0f, dy + o0, out, x, in, 1.0f,
                dw + (size_t)o0 * in, in);
    if (db)
        for (int o = o0; o < o1; o++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += dy[(size_t)i * out + o];
            db[o] += (float)s;
        }
}

void linear_backward_x_range(const float *w, const float *dy, float *dx, int n, int in, int out, int i0, int i1)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, i1 - i0, out, 1.0f, dy, out, w + i0, in, 1.0f,
                dx + i0, in);
}

void linear_backward(const float *x, const float *w, const float *dy, float *dx, float *dw, float *db, int n,
                     int in, int out)
{
    linear_backward_w_range(x, dy, dw, db, n, in, out, 0, out);
    if (dx) linear_backward_x_range(w, dy, dx, n, in, out, 0, in);
}
