/* qop_pass.c — quantized nodes that keep their input's quantizer (quant/qnet_impl.h): relu,
 * relu6 (clamped at the code of 6 in inference), maxpool, flatten, dropout (identity), and
 * softmax (dequantizes with the producer's scale, then a real softmax: the reference's flag). */
#include <math.h>

#include "nn/layers.h"
#include "nn/par_ops.h"
#include "quant/qnet_impl.h"

static size_t out_count(const QNet *q, int i, int n) { return shape_numel(q->net->nodes[i].out_shape) * (size_t)n; }
static float *out_of(QNet *q, int i) { return q->net->act[q->net->nodes[i].out]; }

void qrelu_calib(QNet *q, int i, const float *x, int n)
{
    par_elementwise(q->net->pool, EW_RELU, x, NULL, out_of(q, i), out_count(q, i, n));
}

void qrelu_infer(QNet *q, int i, const float *x, int n) { qrelu_calib(q, i, x, n); }

void qrelu6_calib(QNet *q, int i, const float *x, int n)
{
    par_elementwise(q->net->pool, EW_RELU6, x, NULL, out_of(q, i), out_count(q, i, n));
}

/* The bound 6 as a code of the input's grid (6 itself without an input quantizer). */
void qrelu6_freeze(QNet *q, int i)
{
    const QParam *in = q->tq[q->net->nodes[i].in[0]];
    q->qn[i].q6 = in ? qnet_quantize_scalar(q, in, 6.0f) : 6.0f;
}

void qrelu6_infer(QNet *q, int i, const float *x, int n)
{
    float *y = out_of(q, i), q6 = q->qn[i].q6;
    size_t count = out_count(q, i, n);
    for (size_t j = 0; j < count; j++) y[j] = fminf(fmaxf(x[j], 0.0f), q6);
}

/* The same max on values (calibration) or codes (inference). */
void qmaxpool_run(QNet *q, int i, const float *x, int n)
{
    const Node *nd = &q->net->nodes[i];
    Shape is = nd->in_shape, os = nd->out_shape;
    par_maxpool_forward(q->net->pool, x, out_of(q, i), NULL, n, is.c, is.h, is.w, nd->k, nd->stride, nd->pad, os.h, os.w);
}

void qflatten_run(QNet *q, int i, const float *x, int n) { (void)q; (void)i; (void)x; (void)n; }   /* an alias */

void qdropout_run(QNet *q, int i, const float *x, int n)
{
    par_elementwise(q->net->pool, EW_COPY, x, NULL, out_of(q, i), out_count(q, i, n));
}

void qsoftmax_calib(QNet *q, int i, const float *x, int n)
{
    softmax_forward(x, out_of(q, i), n, q->net->nodes[i].out_shape.c);
}

void qsoftmax_infer(QNet *q, int i, const float *x, int n)
{
    const Node *nd = &q->net->nodes[i];
    float s = qnet_scale_of(q->tq[nd->in[0]]), *y = out_of(q, i);
    size_t count = out_count(q, i, n);
    for (size_t j = 0; j < count; j++) y[j] = s * x[j];
    softmax_forward(y, y, n, nd->out_shape.c);
}
