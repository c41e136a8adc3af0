/* par_ops.h — the layer kernels run in parallel on a ThreadPool.
 *
 * Splits: convolution and pooling by samples (each thread runs single-threaded BLAS on its
 * samples with its own scratch); batch norm statistics by channels; linear layers by output
 * features (forward, weight gradient) and input features (input gradient); elementwise ops
 * by elements.  Weight gradients of convolutions are summed from per-thread partial buffers
 * in thread order, so a run is reproducible for a given thread count.
 * Scratch: `work` holds pool_threads() slices of `work_per_thread` floats.
 */
#ifndef MTA_PAR_OPS_H
#define MTA_PAR_OPS_H

#include <stddef.h>

#include "base/parallel.h"
#include "nn/conv.h"

/* Per-thread scratch floats for the forward / backward of g on batches of n. */
size_t par_conv_work(const ConvGeom *g, int n, int threads);
size_t par_conv_bwd_work(const ConvGeom *g, int n, int threads);

void par_conv_forward(ThreadPool *p, const ConvGeom *g, const float *x, const float *w, const float *b, float *y,
                      int n, float *work, size_t work_per_thread);
/* dw/db accumulate; dx accumulates (may be NULL).  partial holds (threads - 1) slices of
 * (weights + biases) floats.  dw NULL (and db NULL): the input gradient alone. */
void par_conv_backward(ThreadPool *p, const ConvGeom *g, const float *x, const float *w, const float *dy,
                       float *dx, float *dw, float *db, int n, float *work, size_t work_per_thread, float *partial);

void par_bn_eval(ThreadPool *p, const float *x, float *y, int n, int c, int hw, const float *gamma,
                 const float *beta, const float *mean, const float *var);
/* Training-mode BN with the following activation fused (act 0/1/2 = none/ReLU/ReLU6). */
void par_bn_train(ThreadPool *p, const float *x, float *y, int n, int c, int hw, const float *gamma,
                  const float *beta, float *run_mean, float *run_var, float momentum, float *mean, float *invstd,
                  int act);
/* Its backward; y is the activated forward output (mask), NULL when act is 0. */
void par_bn_backward(ThreadPool *p, const float *x, const float *dy, float *dx, int n, int c, int hw,
                     const float *gamma, const float *mean, const float *invstd, float *dgamma, float *dbeta,
                     const float *y, int act);

typedef enum { EW_RELU, EW_RELU6, EW_RELU_BWD, EW_RELU6_BWD, EW_ADD, EW_ACC, EW_COPY, EW_ZERO } EwOp;
/* Elementwise over count elements: RELU/RELU6 y = f(a); *_BWD y(+)= b masked by a (the
 * forward output; y == b overwrites); ADD y = a + b; ACC y += a; COPY y = a; ZERO y = 0. */
void par_elementwise(ThreadPool *p, EwOp op, const float *a, const float *b, float *y, size_t count);

void par_maxpool_forward(ThreadPool *p, const float *x, float *y, int *arg, int n, int c, int h, int w, int k,
                         int stride, int pad, int ho, int wo);
void par_maxpool_backward(ThreadPool *p, const float *dy, const int *arg, float *dx, int n, int c, int hw_in,
                          int hw_out);
void par_avgpool_forward(ThreadPool *p, const float *x, float *y, int n, int c, int hw);
void par_avgpool_backward(ThreadPool *p, const float *dy, float *dx, int n, int c, int hw);

void par_linear_forward(ThreadPool *p, const float *x, const float *w, const float *b, float *y, int n, int in,
                        int out);
/* dw/db and dx accumulate; dw NULL skips the parameter gradients (db too), dx NULL the input's. */
void par_linear_backward(ThreadPool *p, const float *x, const float *w, const float *dy, float *dx, float *dw,
                         float *db, int n, int in, int out);

#endif
