/* target.h — a classifier with an input gradient, as the attacks see it (train/attack.h):
 * grad writes ∂ mean CE(f(x), y) / ∂x of n <= max_batch samples into dx and returns the loss;
 * forward returns the logits (n, classes), owned by the target.  Made by attack_target_net
 * (a full-precision network, train/attack.h) and qnet_attack_target (a quantized one,
 * quant/qnet.h). */
#ifndef MTA_TARGET_H
#define MTA_TARGET_H

#include "nn/net.h"

typedef struct {
    void *ctx;
    double (*grad)(void *ctx, const float *x, const int *y, int n, float *dx);
    const float *(*forward)(void *ctx, const float *x, int n);
    Shape input;
    int classes, max_batch;
} AttackTarget;

#endif
