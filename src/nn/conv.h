/* conv.h — 2-D convolution (NCHW), im2col + sgemm, with a direct depthwise path.
 *
 *   x (N, cin, h, w) * w (cout, cin/groups, k, k) + b (cout) -> y (N, cout, ho, wo)
 * Square kernel k, stride, zero padding pad, groups; dilation 1.
 */
#ifndef MTA_CONV_H
#define MTA_CONV_H

#include <stddef.h>

typedef struct { int cin, h, w, cout, k, stride, pad, groups, ho, wo; } ConvGeom;

ConvGeom conv_geom(int cin, int h, int w, int cout, int k, int stride, int pad, int groups);
/* Scratch floats conv2d_forward needs for batches of up to n samples. */
size_t conv_work_floats(const ConvGeom *g, int n);
/* y = conv(x, w) + b (b may be NULL).  work has conv_work_floats(g, n) floats. */
void conv2d_forward(const ConvGeom *g, const float *x, const float *w, const float *b, float *y,
                    int n, float *work);
/* im2col of one sample and one group: col (cg*k*k, ho*wo) with row stride ldc, where
 * cg = cin/groups and x points at the group's first channel. */
void im2col(const ConvGeom *g, const float *x, float *col, int ldc);
/* Scratch floats conv2d_backward needs for batches of up to n samples. */
size_t conv_bwd_work_floats(const ConvGeom *g, int n);
/* Gradients of y = conv(x, w) + b given dy (n, cout, ho, wo); all accumulated (+=):
 * dw (cout, cin/groups, k, k), db (cout) and dx (n, cin, h, w); dw, db or dx may be NULL
 * (dw NULL: the input gradient alone, as the attacks need). */
void conv2d_backward(const ConvGeom *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                     float *db, int n, float *work);
/* col2im: add col (cg*k*k, ho*wo, row stride ldc) back into the group's input gradient dx. */
void col2im_add(const ConvGeom *g, const float *col, int ldc, float *dx);
/* Plain reference loops, for tests. */
void conv2d_forward_ref(const ConvGeom *g, const float *x, const float *w, const float *b, float *y, int n);

#endif
