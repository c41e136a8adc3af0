/* dropout.c — training-mode dropout with a seeded mask (see layers.h). */
#include "base/rng.h"
#include "nn/layers.h"

void dropout_forward_train(const float *x, float *y, float *mask, size_t count, float p, struct Rng *rng)
{
    float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < count; i++) {
        mask[i] = rng_uniform(rng) < p ? 0.0f : keep;
        y[i] = x[i] * mask[i];
    }
}

void dropout_backward(const float *dy, const float *mask, float *dx, size_t count)
{
    for (size_t i = 0; i < count; i++) dx[i] += dy[i] * mask[i];
}
