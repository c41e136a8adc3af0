/* adam.c — Adam (see adam.h). */
#include "train/adam.h"

#include <math.h>
#include <stdlib.h>

#include "base/check.h"

void adam_init(Adam *a, size_t n, float lr, float beta1, float beta2, float eps)
{
    a->lr = lr;
    a->beta1 = beta1;
    a->beta2 = beta2;
    a->eps = eps;
    a->n = n;
    a->m = xcalloc(n ? n : 1, sizeof(float));
    a->v = xcalloc(n ? n : 1, sizeof(float));
    a->t = 0;
}

void adam_free(Adam *a)
{
    free(a->m);
    free(a->v);
    a->m = a->v = NULL;
}

void adam_step(Adam *a, float *p, const float *g)
{
    a->t++;
    double bc1 = 1.0 - pow(a->beta1, (double)a->t), bc2 = 1.0 - pow(a->beta2, (double)a->t);
    float step = (float)(a->lr / bc1), sb2 = (float)sqrt(bc2);
    float b1 = a->beta1, b2 = a->beta2, eps = a->eps;
    for (size_t i = 0; i < a->n; i++) {
        a->m[i] = b1 * a->m[i] + (1 - b1) * g[i];
        a->v[i] = b2 * a->v[i] + (1 - b2) * g[i] * g[i];
        p[i] -= step * a->m[i] / (sqrtf(a->v[i]) / sb2 + eps);
    }
}
