/* qconv.h — convolution and linear layers on quantization codes, with the accumulation
 * precision of the PTQ engine: binary64 (exact for integer codes up to 2^53; the default)
 * or f32 (the reference's, quirk Q7).  Output: the accumulator rounded to f32.
 *   x (n, cin, h, w) codes * wc (cout, cin/g, k, k) codes + bc (cout) codes -> acc (n, cout, ho, wo)
 */
#ifndef MTA_QCONV_H
#define MTA_QCONV_H

#include <stddef.h>

#include "nn/conv.h"

/* Scratch doubles qconv_forward_f64 needs (one sample at a time). */
size_t qconv_work_doubles(const ConvGeom *g);
/* acc = conv(x, w) + b in binary64; wd is w converted to double; b may be NULL. */
void qconv_forward_f64(const ConvGeom *g, const float *x, const double *wd, const float *b, float *acc, int n,
                       double *work);
/* Linear: acc (n, out) = x (n, in) W^T + b in binary64; work holds n*in + n*out doubles. */
void qlinear_forward_f64(const float *x, const double *wd, const float *b, float *acc, int n, int in, int out,
                         double *work);

#endif
