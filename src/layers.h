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

/* act.c: elementwise activations (y may equal x), count = total elements. */
void relu_forward(const float *x, float *y, size_t count);
void relu6_forward(const float *x, float *y, size_t count);
/* softmax over each row of x (n, c) -> y (n, c); y may equal x. */
void softmax_forward(const float *x, float *y, int n, int c);

/* pool.c: max pooling with -inf padding (floor mode): x (n, c, h, w) -> y (n, c, ho, wo). */
void maxpool_forward(const float *x, float *y, int n, int c, int h, int w, int k, int stride, int pad,
                     int ho, int wo);
/* global average pool: x (n, c, hw) -> y (n, c). */
void avgpool_forward(const float *x, float *y, int n, int c, int hw);

/* linear.c: y (n, out) = x (n, in) W^T + b; W (out, in), b (out) or NULL. */
void linear_forward(const float *x, const float *w, const float *b, float *y, int n, int in, int out);

/* merge.c: y = a + b (count elements); concat of k inputs along channels:
 * xs[i] (n, cs[i], hw) -> y (n, sum cs, hw). */
void add_forward(const float *a, const float *b, float *y, size_t count);
void concat_forward(const float *const *xs, const int *cs, int k, float *y, int n, int hw);

#endif
