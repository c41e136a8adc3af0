/* qnet.c — quantized twin of a network: its life cycle, the walks over the nodes (each node
 * through the quantized op table, quant/qops.c), fakefrozen parameters (see qnet.h; spec
 * ptq-engine §3). */
#include "quant/qnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/parallel.h"
#include "nn/layers.h"
#include "nn/ops.h"
#include "quant/qconv.h"
#include "quant/qnet_impl.h"

PtqOptions ptq_options(int compat)
{
    PtqOptions o = {0};
    o.compat = compat;
    o.tie = compat ? QUANT_TIE_REFERENCE : QUANT_TIE_TOWARD_ZERO;
    o.int_no_clamp = compat;
    o.accum_f32 = compat;
    o.observe_last = compat;
    o.js_prec = compat ? SIM_F32_REFERENCE : SIM_F64;
    return o;
}

/* BN folding with the running statistics, f32 in the reference's order (§3.3). */
static void fold_node(const Net *net, const Node *nd, QNode *q)
{
    const float *W = net_param(net, nd->pw), *b = net_param(net, nd->pb);
    int cout = nd->out_shape.c;
    size_t per = q->nw / (size_t)cout;
    memcpy(q->W, W, q->nw * sizeof(float));
    if (!nd->has_bn) {
        if (b) memcpy(q->b, b, (size_t)cout * sizeof(float));
        return;
    }
    const float *gamma = net_param(net, nd->pgamma), *beta = net_param(net, nd->pbeta),
                *mu = net_param(net, nd->pmean), *var = net_param(net, nd->pvar);
    for (int o = 0; o < cout; o++) {
        float sd = sqrtf(var[o] + BN_EPS);
        float g = gamma[o] / sd;
        for (size_t j = 0; j < per; j++) q->W[(size_t)o * per + j] = W[(size_t)o * per + j] * g;
        q->b[o] = b ? (g * b[o] - g * mu[o]) + beta[o] : beta[o] - g * mu[o];
    }
}


void qnet_observer_rescale(QNet *q, QParam *p) { qparam_rescale(p, &q->spec); }

/* qnet_new, step 1: the formats (and the compat tie tables of POT/FLOAT). */
static void setup_formats(QNet *q, QuantSpec spec, const PtqOptions *o)
{
    q->o = *o;
    q->spec = spec;
    q->bspec = quant_bias_spec(spec.type);
    if (o->tie == QUANT_TIE_REFERENCE && spec.type != QUANT_INT) {
        quant_ties_init(&q->ties, &q->spec);
        quant_ties_init(&q->bties, &q->bspec);
        q->spec.ties = &q->ties;
        q->bspec.ties = &q->bties;
    }
}

/* A quantized layer compares its weight, and a bias when it has one or a BN (folding gives it
 * one). */
static int layer_has_bias(const Node *nd) { return nd->pb >= 0 || nd->has_bn; }

int qnet_compared_params(const Net *net)
{
    int n = 0;
    for (int i = 0; i < net->n_nodes; i++)
        if (qop_is_layer(net->nodes[i].op)) n += 1 + layer_has_bias(&net->nodes[i]);
    return n;
}

/* Step 2 for a conv / linear node i: BN-folded weights, their observers and fake-quantized
 * copies, buffers for codes and multipliers, and its entries in the compared parameters. */
static void setup_layer(QNet *q, int i, int first)
{
    const Net *net = q->net;
    const Node *nd = &net->nodes[i];
    QNode *qn = &q->qn[i];
    const PtqOptions *o = &q->o;
    int cout = nd->out_shape.c;
    qn->quantized = 1;
    qn->has_qo = 1;
    qn->has_qi = first;
    qn->nw = net->params[nd->pw].numel;
    qn->W = xmalloc(qn->nw * sizeof(float));
    qn->Wq = xmalloc(qn->nw * sizeof(float));
    qn->Wc = xmalloc(qn->nw * sizeof(float));
    qn->Wd = xmalloc(qn->nw * sizeof(double));
    qn->M = xmalloc((size_t)cout * sizeof(float));
    if (layer_has_bias(nd)) {
        qn->b = xmalloc((size_t)cout * sizeof(float));
        qn->bq = xmalloc((size_t)cout * sizeof(float));
        qn->bc = xmalloc((size_t)cout * sizeof(float));
    }
    fold_node(net, nd, qn);
    qn->n_qw = o->per_channel ? cout : 1;
    qn->qw = xmalloc((size_t)qn->n_qw * sizeof(QParam));
    size_t per = qn->nw / (size_t)qn->n_qw;
    for (int c = 0; c < qn->n_qw; c++) {
        qparam_init(&qn->qw[c]);
        qparam_update(&qn->qw[c], &q->spec, qn->W + c * per, per);
        quant_fake(&q->spec, &qn->qw[c], qn->W + c * per, qn->Wq + c * per, per, o->tie);
    }
    snprintf(q->pname[q->np], sizeof q->pname[0], "%s.weight", nd->name);
    q->pnode[q->np] = i;
    q->pbias[q->np++] = 0;
    if (qn->b) {
        snprintf(q->pname[q->np], sizeof q->pname[0], "%s.bias", nd->name);
        q->pnode[q->np] = i;
        q->pbias[q->np++] = 1;
    }
}

/* Step 3, the wiring: a tensor's quantizer is its producer's qo, passed through by the
 * Q_PASS ops; the network input's is the first layer's qi. */
static void wire_observers(QNet *q)
{
    const Net *net = q->net;
    for (int i = 0; i < net->n_nodes; i++) {
        const Node *nd = &net->nodes[i];
        QNode *qn = &q->qn[i];
        if (qn->has_qi && nd->in[0] == 0) q->tq[0] = &qn->qi;
        q->tq[nd->out] = qn->has_qo ? &qn->qo : q->tq[nd->in[0]];
    }
    for (int i = 0; i < net->n_nodes; i++)
        if (q->qn[i].has_qi && !q->tq[0]) q->tq[0] = &q->qn[i].qi;
}

/* Step 4: inference buffers for max_batch samples and the per-thread binary64 scratch of
 * the exact code accumulation (conv im2col columns or a linear layer's input and output). */
static void alloc_buffers(QNet *q)
{
    const Net *net = q->net;
    size_t biggest = shape_numel(net->input), dw = 0, lin = 0;
    int mb = net->max_batch, T = pool_threads(net->pool);
    for (int i = 0; i < net->n_nodes; i++) {
        const Node *nd = &net->nodes[i];
        size_t out = shape_numel(nd->out_shape);
        if (out > biggest) biggest = out;
        if (nd->op == OP_CONV) {   /* the qconv kernels' own scratch */
            ConvGeom g = node_geom(nd);
            size_t d = qconv_work_doubles(&g);
            if (d > dw) dw = d;
        } else if (nd->op == OP_LINEAR) {
            size_t l = ((size_t)nd->in_shape.c + (size_t)nd->out_shape.c) * (size_t)mb;
            if (l > lin) lin = l;
        }
    }
    q->xin = xmalloc(shape_numel(net->input) * (size_t)mb * sizeof(float));
    q->logits = xmalloc((size_t)net->classes * mb * sizeof(float));
    q->tmp = xmalloc(biggest * (size_t)mb * sizeof(float));
    q->dwork_per_thread = dw > lin ? dw : lin;
    q->dwork = xmalloc((q->dwork_per_thread ? q->dwork_per_thread : 1) * (size_t)T * sizeof(double));
}

QNet *qnet_new(Net *net, QuantSpec spec, const PtqOptions *o)
{
    CHECK(net->act, "qnet_new needs the net's activation buffers");
    QNet *q = xcalloc(1, sizeof *q);
    q->net = net;
    setup_formats(q, spec, o);
    int nn = net->n_nodes, first_done = 0;
    q->qn = xcalloc((size_t)nn, sizeof(QNode));
    q->tq = xcalloc((size_t)net->n_tensors, sizeof(QParam *));
    q->pnode = xmalloc(sizeof(int) * (size_t)(2 * nn + 1));
    q->pbias = xmalloc(sizeof(int) * (size_t)(2 * nn + 1));
    q->pname = xmalloc(sizeof *q->pname * (size_t)(2 * nn + 1));
    for (int i = 0; i < nn; i++) {
        QNode *qn = &q->qn[i];
        qparam_init(&qn->qi);
        qparam_init(&qn->qo);
        qn->qi.asym = qn->qo.asym = o->asym_act;
        QRole role = qop_impl[net->nodes[i].op].role;
        if (role == Q_LAYER) {
            setup_layer(q, i, !first_done);
            first_done = 1;
        } else if (role == Q_OWN) qn->has_qo = 1;
    }
    wire_observers(q);
    alloc_buffers(q);
    return q;
}

void qnet_free(QNet *q)
{
    if (!q) return;
    for (int i = 0; i < q->net->n_nodes; i++) {
        QNode *qn = &q->qn[i];
        free(qn->qw); free(qn->W); free(qn->b); free(qn->Wq); free(qn->bq);
        free(qn->Wc); free(qn->bc); free(qn->Wd); free(qn->M);
    }
    for (int i = 0; q->act_pre && i < q->net->n_nodes; i++) free(q->act_pre[i]);
    free(q->act_pre);
    quant_ties_free(&q->ties);
    quant_ties_free(&q->bties);
    free(q->qn); free(q->tq); free(q->xin); free(q->logits); free(q->tmp); free(q->dwork);
    free(q->pnode); free(q->pbias); free(q->pname);
    free(q);
}

/* ------------------------------------------------------------------ calibration */

typedef struct { const QuantSpec *s; QParam *p; const float *x; float *y; size_t n; TiePolicy tie; } FakeCtx;

static void fake_task(void *c, int tid, int lo, int hi)
{
    (void)tid;
    FakeCtx *k = c;
    size_t s = (size_t)lo * 4096, e = (size_t)hi * 4096;
    if (e > k->n) e = k->n;
    quant_fake(k->s, k->p, k->x + s, k->y + s, e - s, k->tie);
}

static void par_fake(QNet *q, QParam *p, const float *x, float *y, size_t n)
{
    FakeCtx k = {&q->spec, p, x, y, n, q->o.tie};
    pool_run(q->net->pool, (int)((n + 4095) / 4096), fake_task, &k);
}

void qnet_observe_and_fake(QNet *q, QParam *p, const float *obs, size_t nobs, float *y, size_t n)
{
    if (!q->ranges_fixed) qparam_update(p, &q->spec, obs, nobs);
    par_fake(q, p, y, y, n);
}

/* Calibration of node i: the network's first layer observes and fake-quantizes its input
 * with qi, then the op's calibration forward. */
void qnet_calib_node(QNet *q, int i, int n)
{
    Net *net = q->net;
    const Node *nd = &net->nodes[i];
    QNode *qn = &q->qn[i];
    const float *x = net->act[nd->in[0]];
    if (qn->has_qi) {
        size_t nx = shape_numel(nd->in_shape) * (size_t)n;
        if (!q->ranges_fixed) qparam_update(&qn->qi, &q->spec, x, nx);
        par_fake(q, &qn->qi, x, q->xin, nx);
        x = q->xin;
    }
    CHECK(qop_impl[nd->op].calib, "op %d has no quantized calibration", (int)nd->op);
    qop_impl[nd->op].calib(q, i, x, n);
}

void qnet_calibrate(QNet *q, const float *x, int n)
{
    Net *net = q->net;
    CHECK(!q->frozen && n >= 1 && n <= net->max_batch, "calibrate batch %d (frozen %d)", n, q->frozen);
    memcpy(net->act[0], x, shape_numel(net->input) * (size_t)n * sizeof(float));
    for (int i = 0; i < net->n_nodes; i++) qnet_calib_node(q, i, n);
}

/* ------------------------------------------------------------------ freeze */

float qnet_scale_of(const QParam *p) { return p ? p->scale : 0.0f; }

/* M = (s_w * s_i) / s_o in two f32 roundings; 0 when s_o is 0 (all-zero output, Q21). */
float qnet_multiplier(float sw, float si, float so)
{
    if (so == 0.0f) return 0.0f;
    float t = sw * si;
    return t / so;
}

float qnet_quantize_scalar(const QNet *q, const QParam *p, float v)
{
    float out;
    quant_quantize(&q->spec, p, &v, &out, 1, q->o.tie);
    return out;
}

void qnet_freeze(QNet *q)
{
    Net *net = q->net;
    for (int i = 0; i < net->n_nodes; i++)
        if (qop_impl[net->nodes[i].op].freeze) qop_impl[net->nodes[i].op].freeze(q, i);
    q->frozen = 1;
}

/* ------------------------------------------------------------------ inference */

/* y = nearest(v) on the activation grid of observer p: INT rne (+ saturation unless Q6
 * compat), POT/FLOAT nearest grid value (saturating); with a zero point z the grid is
 * shifted: nearest(v + z) - z (codes stay centred, see quant_quantize). */
void qnet_requantize(const QNet *q, const QParam *p, float *y, size_t n)
{
    float z = p->zero;
    if (z != 0.0f)
        for (size_t i = 0; i < n; i++) y[i] += z;
    quant_nearest(&q->spec, y, y, n, q->o.tie);
    if (q->spec.type == QUANT_INT && !q->o.int_no_clamp) {
        float m = q->spec.qmax;
        for (size_t i = 0; i < n; i++) y[i] = y[i] > m ? m : (y[i] < -m ? -m : y[i]);
    }
    if (z != 0.0f)
        for (size_t i = 0; i < n; i++) y[i] -= z;
}

/* Inference of node i: the first layer quantizes the network input with qi, then the op. */
static void infer_node(QNet *q, int i, int n)
{
    Net *net = q->net;
    const Node *nd = &net->nodes[i];
    QNode *qn = &q->qn[i];
    const float *x = net->act[nd->in[0]];
    if (qn->has_qi) {
        quant_quantize(&q->spec, &qn->qi, x, q->xin, shape_numel(nd->in_shape) * (size_t)n, q->o.tie);
        x = q->xin;
    }
    CHECK(qop_impl[nd->op].infer, "op %d has no quantized inference", (int)nd->op);
    qop_impl[nd->op].infer(q, i, x, n);
}

const float *qnet_infer(QNet *q, const float *x, int n)
{
    Net *net = q->net;
    CHECK(q->frozen && n >= 1 && n <= net->max_batch, "infer batch %d (frozen %d)", n, q->frozen);
    memcpy(net->act[0], x, shape_numel(net->input) * (size_t)n * sizeof(float));
    int has_softmax = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        infer_node(q, i, n);
        has_softmax |= net->nodes[i].op == OP_SOFTMAX;
    }
    int last = net->n_tensors - 1;
    size_t count = (size_t)net->classes * n;
    const float *codes = net->act[last];
    float s = has_softmax ? 1.0f : qnet_scale_of(q->tq[last]);
    for (size_t j = 0; j < count; j++) q->logits[j] = s * codes[j];
    return q->logits;
}

/* ------------------------------------------------------------------ access */

QParam *qnet_observer(QNet *q, const char *name)
{
    const char *dot = strrchr(name, '.');
    if (strncmp(name, "q_", 2) || !dot) return NULL;
    size_t len = (size_t)(dot - name - 2);
    for (int i = 0; i < q->net->n_nodes; i++) {
        const Node *nd = &q->net->nodes[i];
        QNode *qn = &q->qn[i];
        if (strlen(nd->name) != len || strncmp(nd->name, name + 2, len)) continue;
        if (!strcmp(dot, ".qi") && qn->has_qi) return &qn->qi;
        if (!strcmp(dot, ".qo") && qn->has_qo) return &qn->qo;
        if (!strcmp(dot, ".qw") && qn->quantized && qn->n_qw == 1) return &qn->qw[0];
    }
    return NULL;
}

QParam *qnet_observer_for_tensor(QNet *q, int t) { return t >= 0 && t < q->net->n_tensors ? q->tq[t] : NULL; }

int qnet_param_count(const QNet *q) { return q->np; }

QParamView qnet_param(const QNet *q, int i)
{
    CHECK(i >= 0 && i < q->np, "param %d of %d", i, q->np);
    const Node *nd = &q->net->nodes[q->pnode[i]];
    const QNode *qn = &q->qn[q->pnode[i]];
    QParamView v = {q->pname[i], q->pnode[i], 1, {0}, 0, NULL, NULL};
    if (q->pbias[i]) {
        v.shape[0] = nd->out_shape.c;
        v.numel = (size_t)nd->out_shape.c;
        v.quant = qn->bq;
        v.full = qn->b;
    } else {
        const Param *p = &q->net->params[nd->pw];
        v.rank = p->ndim;
        for (int d = 0; d < p->ndim; d++) v.shape[d] = p->shape[d];
        v.numel = qn->nw;
        v.quant = qn->Wq;
        v.full = qn->W;
    }
    return v;
}
