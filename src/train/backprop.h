/* backprop.h — the buffers of training-mode forward and backward passes over a Net (the
 * Backprop struct is in nn/net.h, the passes themselves in nn/graph.c).
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

/* Allocate training buffers for batches up to max_batch (also the net's activations).
 * Free with backprop_free (backprop_free(NULL) is a no-op). */
Backprop *backprop_new(Net *net, int max_batch);
void backprop_free(Backprop *bp, const Net *net);
void net_zero_grad(const Net *net, Backprop *bp);
/* net_forward_train and net_backward (the graph walks) are in nn/net.h. */
/* Is the parameter trained by SGD?  (BN running statistics are not.) */
int param_trainable(const Param *p);

#endif
