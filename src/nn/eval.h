/* eval.h — top-1 accuracy of a network on a data set split. */
#ifndef MTA_EVAL_H
#define MTA_EVAL_H

#include "base/progress.h"
#include "io/data.h"
#include "nn/net.h"

/* Index of the largest of v[0..n); ties go to the lowest index (reference quirk Q10). */
int argmax_first(const float *v, int n);
/* Largest batch <= want whose activations fit in budget_bytes (at least 1). */
int eval_batch_size(const Net *net, int want, size_t budget_bytes);
/* A classifier: logits (n, classes) of a batch x (n, input), owned by the callee. */
typedef const float *(*ForwardFn)(void *ctx, const float *x, int n);
/* Percent of images idx[0..n) of split s that fwd classifies correctly, in batches of up to
 * net->max_batch (the net's input shape and class count).  prog may be NULL. */
double accuracy_with(ForwardFn fwd, void *ctx, const Net *net, const Dataset *ds, const ImageSet *s,
                     const int *idx, int n, Progress *prog);
/* The same for the net's own eval-mode forward (buffers must be allocated). */
double net_accuracy(Net *net, const Dataset *ds, const ImageSet *s, const int *idx, int n, Progress *prog);

#endif
