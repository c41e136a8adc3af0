/* layers.h — forward passes of the non-conv layers, on raw NCHW float buffers.
 * Shapes: n samples, c channels, hw = h*w spatial positions.  Nothing allocates.
 */
#ifndef MTA_LAYERS_H
#define MTA_LAYERS_H

#include <stddef.h>

#define BN_EPS 1e-5f

/* bn.c: inference-mode batch norm, y = (x - mean) / sqrt(var + eps) * gamma + beta.
 * x, y (n, c, hw); y may equal x. */
void batchnorm_forward_eval(const float *x, float *y, int n, int c, int hw, const float *gamma,
                            const float *beta, const float *mean, const float *var);

/* The input gradient of inference-mode batch norm: dx = dy * gamma / sqrt(var + eps) (the
 * running statistics are constants; no parameter gradients).  dx may equal dy. */
void batchnorm_backward_eval(const float *dy, float *dx, int n, int c, int hw, const float *gamma, const float *var);

/* Training-mode batch norm: normalizes with the batch statistics (biased variance), writes
 * them to mean[c] / invstd[c] for the backward pass, and updates the running statistics
 * with PyTorch's rule (momentum 0.1, unbiased variance).  x (n, c, hw) -> y; y != x. */
void batchnorm_forward_train(const float *x, float *y, int n, int c, int hw, const float *gamma,
                             const float *beta, float *run_mean, float *run_var, float momentum,
                             float *mean, float *invstd);
/* The same with another eps (the generator's eps-0.8 layers, train/generator.h); gamma and
 * beta may be NULL (an affine-free BN: 1 and 0). */
void batchnorm_forward_train_eps(const float *x, float *y, int n, int c, int hw, const float *gamma,
                                 const float *beta, float *run_mean, float *run_var, float momentum, float eps,
                                 float *mean, float *invstd);
/* The same for channels [c0, c1) only (the parallel split), with the activation that
 * follows fused in: act 0 none, 1 ReLU, 2 ReLU6. */
void batchnorm_forward_train_range(const float *x, float *y, int n, int c, int hw, int c0, int c1,
                                   const float *gamma, const float *beta, float *run_mean, float *run_var,
                                   float momentum, float *mean, float *invstd, int act);
/* Gradients of the training-mode batch norm given dy: dx is overwritten; dgamma, dbeta are
 * accumulated (gamma, dgamma, dbeta may be NULL: an affine-free BN).  x is the forward input, mean/invstd what the forward wrote. */
void batchnorm_backward(const float *x, const float *dy, float *dx, int n, int c, int hw, const float *gamma,
                        const float *mean, const float *invstd, float *dgamma, float *dbeta);
/* Channels [c0, c1), with the fused activation's backward: y is the activated output of
 * the forward (used as the ReLU / ReLU6 mask on dy when act is 1 / 2; NULL when act is 0). */
void batchnorm_backward_range(const float *x, const float *dy, float *dx, int n, int c, int hw, int c0, int c1,
                              const float *gamma, const float *mean, const float *invstd, float *dgamma,
                              float *dbeta, const float *y, int act);

/* act.c: elementwise activations (y may equal x), count = total elements. */
void relu_forward(const float *x, float *y, size_t count);
void relu6_forward(const float *x, float *y, size_t count);
/* Backward through y = relu(x) / relu6(x) given the output y: dx += dy where the unit was
 * active (0 < y, and y < 6 for relu6).  dx may equal dy (then it is overwritten). */
void relu_backward(const float *y, const float *dy, float *dx, size_t count);
void relu6_backward(const float *y, const float *dy, float *dx, size_t count);
/* softmax over each row of x (n, c) -> y (n, c); y may equal x. */
void softmax_forward(const float *x, float *y, int n, int c);

/* dx += y * (dy - sum(dy * y)) per row, given the softmax output y. */
void softmax_backward(const float *y, const float *dy, float *dx, int n, int c);

/* pool.c: max pooling with -inf padding (floor mode): x (n, c, h, w) -> y (n, c, ho, wo). */
void maxpool_forward(const float *x, float *y, int n, int c, int h, int w, int k, int stride, int pad,
                     int ho, int wo);
/* Same, recording the flat input index of every maximum in arg (n*c*ho*wo). */
void maxpool_forward_arg(const float *x, float *y, int *arg, int n, int c, int h, int w, int k, int stride,
                         int pad, int ho, int wo);
/* dx (n, c, hw_in) += dy routed to the recorded maxima. */
void maxpool_backward(const float *dy, const int *arg, float *dx, int n, int c, int hw_in, int hw_out);
/* global average pool: x (n, c, hw) -> y (n, c). */
void avgpool_forward(const float *x, float *y, int n, int c, int hw);
/* dx (n, c, hw) += dy / hw. */
void avgpool_backward(const float *dy, float *dx, int n, int c, int hw);

/* linear.c: y (n, out) = x (n, in) W^T + b; W (out, in), b (out) or NULL. */
void linear_forward(const float *x, const float *w, const float *b, float *y, int n, int in, int out);

/* Output features [o0, o1) only: y[:, o0:o1]. */
void linear_forward_range(const float *x, const float *w, const float *b, float *y, int n, int in, int out,
                          int o0, int o1);
/* dw[o0:o1] += dy[:, o0:o1]^T x and db[o0:o1] (db may be NULL). */
void linear_backward_w_range(const float *x, const float *dy, float *dw, float *db, int n, int in, int out,
                             int o0, int o1);
/* dx[:, i0:i1] += dy W[:, i0:i1]. */
void linear_backward_x_range(const float *w, const float *dy, float *dx, int n, int in, int out, int i0, int i1);
/* dw += dy^T x, db += column sums of dy (db may be NULL), dx += dy W (dx may be NULL). */
void linear_backward(const float *x, const float *w, const float *dy, float *dx, float *dw, float *db, int n,
                     int in, int out);

/* merge.c: y = a + b (count elements); concat of k inputs along channels:
 * xs[i] (n, cs[i], hw) -> y (n, sum cs, hw). */
void add_forward(const float *a, const float *b, float *y, size_t count);
void concat_forward(const float *const *xs, const int *cs, int k, float *y, int n, int hw);
/* dxs[i] += the matching channel block of dy. */
void concat_backward(const float *dy, float *const *dxs, const int *cs, int k, int n, int hw);
/* dx += dy (count elements): the backward of add, once per input. */
void accumulate(const float *dy, float *dx, size_t count);

/* dropout.c: training-mode dropout.  mask[i] = 0 (dropped, prob p) or 1/(1-p), drawn from
 * rng; y = x * mask.  Backward: dx += dy * mask. */
struct Rng;
void dropout_forward_train(const float *x, float *y, float *mask, size_t count, float p, struct Rng *rng);
void dropout_backward(const float *dy, const float *mask, float *dx, size_t count);

/* loss.c: mean softmax cross-entropy over n rows of logits (n, c) with integer labels;
 * writes dlogits = (softmax - onehot) / n and returns the loss (binary64). */
double softmax_xent(const float *logits, const int *labels, int n, int c, float *dlogits);
/* The same with soft targets t (n, c), rows summing to 1: loss = mean_i -sum_k t_ik log p_ik,
 * dlogits = (softmax - t) / n. */
double softmax_xent_soft(const float *logits, const float *t, int n, int c, float *dlogits);

#endif
