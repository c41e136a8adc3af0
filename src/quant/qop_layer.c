/* qop_layer.c — the quantized conv and linear nodes (quant/qnet_impl.h): calibration on
 * fake-quantized weights, freeze to codes and requantization multipliers, integer-domain
 * inference (spec ptq-engine §3). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/parallel.h"
#include "nn/layers.h"
#include "nn/ops.h"
#include "nn/par_ops.h"
#include "quant/qconv.h"
#include "quant/qnet_impl.h"

/* Fake-quantized weights, float bias, the fused activation, then observe and fake-quantize
 * the output with qo. */
void qlayer_calib(QNet *q, int i, const float *x, int n)
{
    Net *net = q->net;
    const Node *nd = &net->nodes[i];
    QNode *qn = &q->qn[i];
    ThreadPool *pool = net->pool;
    float *y = net->act[nd->out];
    size_t count = shape_numel(nd->out_shape) * (size_t)n;
    if (nd->op == OP_CONV) {
        ConvGeom g = node_geom(nd);
        par_conv_forward(pool, &g, x, qn->Wq, qn->b, y, n, net->work, net->work_floats);
        if (nd->act == ACT_RELU) par_elementwise(pool, EW_RELU, y, NULL, y, count);
        else if (nd->act == ACT_RELU6) par_elementwise(pool, EW_RELU6, y, NULL, y, count);
    } else {
        par_linear_forward(pool, x, qn->Wq, qn->b, y, n, nd->in_shape.c, nd->out_shape.c);
    }
    if (q->act_pre && q->act_pre[i]) memcpy(q->act_pre[i], y, count * sizeof(float));
    qnet_observe_and_fake(q, &qn->qo, y, count, y, count);
}

/* Weights and biases to codes (fakefrozen copies for the metrics), M = s_w s_i / s_o per
 * output channel, the ReLU6 bound in codes, and whether f32 sums are provably exact. */
void qlayer_freeze(QNet *q, int i)
{
    Net *net = q->net;
    const Node *nd = &net->nodes[i];
    QNode *qn = &q->qn[i];
    float si = qnet_scale_of(q->tq[nd->in[0]]), so = qn->qo.scale;
    int cout = nd->out_shape.c;
    size_t per = qn->nw / (size_t)qn->n_qw;
    for (int c = 0; c < qn->n_qw; c++) {
        quant_quantize(&q->spec, &qn->qw[c], qn->W + c * per, qn->Wc + c * per, per, q->o.tie);
        quant_dequantize(&qn->qw[c], qn->Wc + c * per, qn->Wq + c * per, per);
    }
    for (size_t j = 0; j < qn->nw; j++) qn->Wd[j] = qn->Wc[j];
    for (int o = 0; o < cout; o++) {
        float sw = qn->qw[qn->n_qw > 1 ? o : 0].scale;
        qn->M[o] = qnet_multiplier(sw, si, so);
        if (qn->b) {
            quant_bias_quantize(&q->bspec, si, sw, qn->b + o, qn->bc + o, 1, q->o.tie);
            qn->bq[o] = (si * sw) * qn->bc[o];
        }
    }
    if (nd->act == ACT_RELU6) qn->q6 = qnet_quantize_scalar(q, &qn->qo, 6.0f);
    if (q->spec.type == QUANT_INT && !q->o.int_no_clamp && !q->o.force_f64) {
        /* every partial sum of an output is at most sum_j |w_oj| * (largest input code);
         * input codes lie on the (shifted) grid: |c| <= qmax + |z| */
        const QParam *pin = qn->has_qi ? &qn->qi : q->tq[nd->in[0]];
        double amax = q->spec.qmax + (pin ? fabs(pin->zero) : 0.0), wsum = 0, bmax = 0;
        size_t per = qn->nw / (size_t)cout;
        for (int o = 0; o < cout; o++) {
            double t = 0;
            for (size_t j = 0; j < per; j++) t += fabs(qn->Wc[(size_t)o * per + j]);
            wsum = fmax(wsum, t);
        }
        for (int o = 0; qn->b && o < cout; o++) bmax = fmax(bmax, fabs(qn->bc[o]));
        qn->f32_exact = wsum * amax + bmax < 16777216.0;
        qn->f32_nobias = wsum * amax < 16777216.0;
    }
}

typedef struct {
    QNet *q;
    const Node *nd;
    QNode *qn;
    const float *x;
    float *y;
    ConvGeom g;
} InferCtx;

/* One sample range of a conv/linear node: accumulate, scale by M, requantize, activate. */
static void layer_task(void *c, int tid, int lo, int hi)
{
    InferCtx *k = c;
    QNet *q = k->q;
    const Node *nd = k->nd;
    QNode *qn = k->qn;
    int m = hi - lo, cout = nd->out_shape.c;
    size_t is = shape_numel(nd->in_shape), os = shape_numel(nd->out_shape), hw = os / (size_t)cout;
    const float *x = k->x + (size_t)lo * is;
    float *y = k->y + (size_t)lo * os;
    Net *net = q->net;
    /* f32 accumulation is exact when every partial sum of integer codes stays below 2^24 */
    int f32 = q->o.accum_f32 || qn->f32_exact;
    /* exact f32 sums of the codes, then the bias added in binary64: the same floats as the
     * binary64 path, at f32 speed */
    int nobias = !f32 && qn->f32_nobias;
    if (nd->op == OP_CONV) {
        if (f32 || nobias)
            conv2d_forward(&k->g, x, qn->Wc, nobias ? NULL : qn->bc, y, m, net->work + (size_t)tid * net->work_floats);
        else
            qconv_forward_f64(&k->g, x, qn->Wd, qn->bc, y, m, q->dwork + (size_t)tid * q->dwork_per_thread);
    } else {
        if (f32 || nobias) linear_forward(x, qn->Wc, nobias ? NULL : qn->bc, y, m, (int)is, cout);
        else qlinear_forward_f64(x, qn->Wd, qn->bc, y, m, (int)is, cout, q->dwork + (size_t)tid * q->dwork_per_thread);
    }
    if (nobias && qn->bc)
        for (int i = 0; i < m; i++)
            for (int o = 0; o < cout; o++) {
                float *yo = y + (size_t)i * os + (size_t)o * hw;
                double b = qn->bc[o];
                for (size_t j = 0; j < hw; j++) yo[j] = (float)((double)yo[j] + b);
            }
    for (int i = 0; i < m; i++)
        for (int o = 0; o < cout; o++) {
            float *yo = y + (size_t)i * os + (size_t)o * hw, M = qn->M[o];
            for (size_t j = 0; j < hw; j++) yo[j] = M * yo[j];
        }
    qnet_requantize(q, &qn->qo, y, (size_t)m * os);
    if (nd->act == ACT_RELU) relu_forward(y, y, (size_t)m * os);
    else if (nd->act == ACT_RELU6)
        for (size_t j = 0; j < (size_t)m * os; j++) y[j] = fminf(fmaxf(y[j], 0.0f), qn->q6);
}

void qlayer_infer(QNet *q, int i, const float *x, int n)
{
    const Node *nd = &q->net->nodes[i];
    InferCtx k = {q, nd, &q->qn[i], x, q->net->act[nd->out], {0}};
    if (nd->op == OP_CONV) k.g = node_geom(nd);
    pool_run(q->net->pool, n, layer_task, &k);
}
