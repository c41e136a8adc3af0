/* sgd.h — stochastic gradient descent with PyTorch's semantics, and the learning-rate
 * schedule of the reference recipe. */
#ifndef MTA_SGD_H
#define MTA_SGD_H

#include "nn/net.h"

typedef struct {
    float momentum, weight_decay;
    int nesterov;
} SgdConfig;

/* One step over every trainable parameter (weights, biases, BN gamma/beta), PyTorch's SGD:
 *   d = g + wd*p;  buf = d on the first step, else momentum*buf + d;
 *   step = nesterov ? d + momentum*buf : buf;  p -= lr*step.
 * velocity has net->pnumel floats (entries of BN running statistics unused). */
void sgd_step(Net *net, const float *grad, float *velocity, const SgdConfig *c, float lr, int first_step);

typedef struct {
    float lr;                /* base learning rate */
    float gamma;             /* MultiStepLR factor */
    int milestones[8], n_milestones;   /* epochs (1-based count of finished epochs) */
    int warmup;              /* linear per-batch warm-up over epoch 1 (reference: on) */
    int kind;                /* LR_STEP (MultiStepLR, the reference), LR_COSINE, LR_LINEAR */
    int epochs;              /* total epochs (the cosine and linear decays end at 0 after the last batch) */
} LrSchedule;

enum { LR_STEP, LR_COSINE, LR_LINEAR };

/* Learning rate of batch b (0-based) of epoch e (1-based) with nb batches per epoch:
 * epoch 1 with warm-up: lr * b / (nb + 1e-8); otherwise, LR_STEP: lr * gamma^k, k = number
 * of milestones m <= e - 1 (MultiStepLR stepped once per epoch); LR_COSINE and LR_LINEAR
 * decay per batch from lr to 0 over the batches after the warm-up:
 * t = (batches done) / (batches in total), lr * (1 + cos(pi t)) / 2 or lr * (1 - t). */
float lr_at(const LrSchedule *s, int epoch, int batch, int nb);

#endif
