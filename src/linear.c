/* linear.c — fully connected layer through sgemm (see layers.h). */
#include <cblas.h>
#include <string.h>

#include "layers.h"

void linear_forward(const float *x, const float *w, const float *b, float *y, int n, int in, int out)
{
    if (b)
        for (int i = 0; i < n; i++) memcpy(y + (size_t)i * out, b, sizeof(float) * (size_t)out);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in, b ? 1.0f : 0.0f, y, out);
}
