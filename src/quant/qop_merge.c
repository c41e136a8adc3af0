/* qop_merge.c — quantized nodes with an output observer of their own (quant/qnet_impl.h):
 * the average pool, the residual add and the inception concat.  Calibration observes the
 * real output (the last input under quirk Q9 compat); inference rescales each input's codes
 * by Min[j] = s_in[j] / s_o and requantizes onto the output grid. */
#include "nn/layers.h"
#include "nn/par_ops.h"
#include "quant/qnet_impl.h"

#define NODE_LOCALS \
    Net *net = q->net; \
    const Node *nd = &net->nodes[i]; \
    QNode *qn = &q->qn[i]; \
    float *y = net->act[nd->out]; \
    Shape is = nd->in_shape, os = nd->out_shape; \
    size_t count = shape_numel(os) * (size_t)n; \
    (void)is; (void)os

void qmerge_freeze(QNet *q, int i)
{
    const Node *nd = &q->net->nodes[i];
    QNode *qn = &q->qn[i];
    for (int j = 0; j < nd->n_in; j++) qn->Min[j] = qnet_multiplier(1.0f, qnet_scale_of(q->tq[nd->in[j]]), qn->qo.scale);
}

void qavgpool_calib(QNet *q, int i, const float *x, int n)
{
    NODE_LOCALS;
    par_avgpool_forward(net->pool, x, y, n, is.c, is.h * is.w);
    qnet_observe_and_fake(q, &qn->qo, y, count, y, count);
}

void qavgpool_infer(QNet *q, int i, const float *x, int n)
{
    NODE_LOCALS;
    /* mean of the codes: the sum accumulated like the convolutions (binary64 unless Q7
     * compat), then an f32 division by H*W */
    int hw = is.h * is.w;
    for (size_t p = 0; p < (size_t)n * is.c; p++) {
        const float *xp = x + p * (size_t)hw;
        float sum;
        if (q->o.accum_f32) {
            float s = 0;
            for (int j = 0; j < hw; j++) s += xp[j];
            sum = s;
        } else {
            double s = 0;
            for (int j = 0; j < hw; j++) s += xp[j];
            sum = (float)s;
        }
        y[p] = qn->Min[0] * (sum / (float)hw);
    }
    qnet_requantize(q, &qn->qo, y, count);
}

void qadd_calib(QNet *q, int i, const float *x, int n)
{
    NODE_LOCALS;
    const float *x1 = net->act[nd->in[1]];
    par_elementwise(net->pool, EW_ADD, x, x1, y, count);
    qnet_observe_and_fake(q, &qn->qo, q->o.observe_last ? x1 : y, count, y, count);
}

void qadd_infer(QNet *q, int i, const float *x, int n)
{
    NODE_LOCALS;
    const float *x1 = net->act[nd->in[1]];
    float m0 = qn->Min[0], m1 = qn->Min[1];
    for (size_t j = 0; j < count; j++) y[j] = m0 * x[j] + m1 * x1[j];
    qnet_requantize(q, &qn->qo, y, count);
}

void qconcat_calib(QNet *q, int i, const float *x, int n)
{
    NODE_LOCALS;
    (void)x;   /* every input is read from its tensor */
    const float *xs[NODE_MAX_IN];
    int cs[NODE_MAX_IN];
    for (int j = 0; j < nd->n_in; j++) { xs[j] = net->act[nd->in[j]]; cs[j] = net->tshape[nd->in[j]].c; }
    concat_forward(xs, cs, nd->n_in, y, n, os.h * os.w);
    int last = nd->n_in - 1;
    size_t nlast = shape_numel(net->tshape[nd->in[last]]) * (size_t)n;
    qnet_observe_and_fake(q, &qn->qo, q->o.observe_last ? xs[last] : y, q->o.observe_last ? nlast : count, y, count);
}

void qconcat_infer(QNet *q, int i, const float *x, int n)
{
    NODE_LOCALS;
    (void)x;
    size_t hw = (size_t)os.h * os.w, off = 0;
    for (int j = 0; j < nd->n_in; j++) {
        int cj = net->tshape[nd->in[j]].c;
        const float *xj = net->act[nd->in[j]];
        for (int s = 0; s < n; s++)
            for (size_t e = 0; e < (size_t)cj * hw; e++)
                y[(size_t)s * os.c * hw + off + e] = qn->Min[j] * xj[(size_t)s * cj * hw + e];
        off += (size_t)cj * hw;
    }
    qnet_requantize(q, &qn->qo, y, count);
}
