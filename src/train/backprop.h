/* backprop.h — training-mode forward and backward passes over a Net.
 *
 * The training forward uses batch statistics in BatchNorm (updating the running statistics
 * with momentum 0.1 and the unbiased variance, as PyTorch does) and draws dropout masks
 * from an Rng.  It stores what the backward pass needs in the Backprop struct: the conv
 * output before BN, the batch mean / inverse std, max-pool argmax indices, dropout masks.
 * The backward pass accumulates parameter gradients into bp->grad (same layout as
 * net->pdata); net_zero_grad clears them.  Nothing is allocated after backprop_new.
 */
#ifndef MTA_BACKPROP_H
#define MTA_BACKPROP_H

#include "base/rng.h"
#include "nn/net.h"

typedef struct {
    int max_batch;
    float *grad;               /* parameter gradients (net->pnumel floats), owned */
    float **dact;              /* dact[t]: gradient w.r.t. tensor t; flatten aliases its input */
    TrainBufs tb;               /* per node: conv output before BN, batch statistics, max-pool
                                  argmax indices, dropout masks (NULL where not needed) */
    float *scratch;            /* one tensor of the largest size */
    float *work; size_t work_floats;  /* conv backward scratch: threads slices of work_floats */
    float *partial;            /* per-thread partial conv weight gradients (threads - 1 slices) */
    int want_input_grad;       /* also compute dact[0] (gradient w.r.t. the input) */
} Backprop;

/* Allocate training buffers for batches up to max_batch (also the net's activations).
 * Free with backprop_free (backprop_free(NULL) is a no-op). */
Backprop *backprop_new(Net *net, int max_batch);
void backprop_free(Backprop *bp, const Net *net);
void net_zero_grad(const Net *net, Backprop *bp);
/* Training-mode forward of n samples; returns the output (n, classes), owned by the net. */
const float *net_forward_train(Net *net, Backprop *bp, const float *x, int n, Rng *rng);
/* Backward from dout = dLoss/doutput (n, classes) after net_forward_train on the same batch. */
void net_backward(Net *net, Backprop *bp, const float *dout, int n);
/* Is the parameter trained by SGD?  (BN running statistics are not.) */
int param_trainable(const Param *p);

#endif
