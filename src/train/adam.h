/* adam.h — the Adam optimizer with PyTorch's update (torch.optim.Adam, no weight decay, no
 * amsgrad), for the data-free generator (train/generator.h):
 *   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  t = step count (from 1)
 *   p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 */
#ifndef MTA_ADAM_H
#define MTA_ADAM_H

#include <stddef.h>

typedef struct {
    float lr, beta1, beta2, eps;
    size_t n;          /* parameters */
    float *m, *v;      /* moments, n each (owned) */
    long t;            /* steps taken */
} Adam;

void adam_init(Adam *a, size_t n, float lr, float beta1, float beta2, float eps);
void adam_free(Adam *a);
/* One step over p[0..n) with gradient g. */
void adam_step(Adam *a, float *p, const float *g);

#endif
