/* conv_dnnl.h — convolutions through oneDNN (Debian libdnnl-dev, its C API), the alternative
 * to im2col + OpenBLAS for ungrouped convs.
 *
 * Built in when the build finds oneDNN (config.mk: DNNL=auto|1|0) and used when the
 * environment says MTA_CONV=dnnl (default: openblas, the backend every committed table was
 * computed with).  Each layer shape and batch size gets its primitives created once and
 * cached: forward, backward-data and backward-weights, in the memory formats oneDNN prefers
 * (blocked channels), with reorders from and to mta's NCHW around them.  oneDNN runs on its
 * own OpenMP threads, as many as the caller's thread count, from the calling thread (mta's
 * pool waits meanwhile).  The sums run in oneDNN's order, not OpenBLAS's: results differ from
 * the OpenBLAS backend by rounding (tests/t_forward, t_backward check both against PyTorch);
 * they are byte-identical run to run for the same thread count and CPU. */
#ifndef MTA_CONV_DNNL_H
#define MTA_CONV_DNNL_H

#include "nn/conv.h"

/* 1 when this build has oneDNN. */
int conv_dnnl_built(void);
/* 1 when built with oneDNN and MTA_CONV=dnnl (read once; a bad value ends the process). */
int conv_dnnl_active(void);
/* "oneDNN 2.6.3 (avx512_core)" when active, else NULL (static storage). */
const char *conv_dnnl_name(void);

/* y = conv(x, w) + b (b may be NULL) for n samples on `threads` threads.  Returns 0 (and
 * touches nothing) when the backend is off or does not take the geometry (grouped convs). */
int conv_dnnl_forward(const ConvGeom *g, const float *x, const float *w, const float *b, float *y, int n,
                      int threads);
/* dx += dL/dx, dw += dL/dw, db += dL/db (each may be NULL), as conv2d_backward; 0 as above. */
int conv_dnnl_backward(const ConvGeom *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                       float *db, int n, int threads);

#endif
