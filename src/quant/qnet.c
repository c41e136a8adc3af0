/* ptq.c — quantized twin of a network: calibrate, freeze, integer-domain inference,
 * fakefrozen parameters (see ptq.h; spec ptq-engine §3). */
#include "quant/qnet.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/parallel.h"
#include "nn/layers.h"
#include "nn/par_ops.h"
#include "quant/qconv.h"

typedef struct {
    int quantized;              /* conv or linear */
    int has_qi, has_qo;
    QParam qi, qo;
    QParam *qw;                 /* cout observers with per_channel, else 1 */
    int n_qw;
    float *W, *b;               /* BN-folded full-precision parameters (b may be NULL) */
    float *Wq, *bq;             /* fake-quantized (calibration) / fakefrozen (after freeze) */
    float *Wc, *bc;             /* codes (after freeze) */
    double *Wd;                 /* codes as doubles, for binary64 accumulation */
    size_t nw;
    float *M;                   /* per output channel requantization multiplier */
    float Min[NODE_MAX_IN];     /* add / concat / avgpool: s_in[j] / s_o */
    float q6;                   /* ReLU6 bound in codes */
    int f32_exact;              /* INT codes whose sums (with the bias) provably fit f32's 24-bit integers */
    int f32_nobias;             /* ... without the bias: f32 sums, the bias added in binary64 */
} QNode;

struct QNet {
    Net *net;
    QuantSpec spec, bspec;
    QuantTies ties, bties;
    PtqOptions o;
    QNode *qn;
    QParam **tq;                /* governing observer of every tensor */
    float *xin;                 /* quantized network input */
    float *logits;
    float *tmp;                 /* one tensor of the largest size */
    double *dwork; size_t dwork_per_thread;
    int frozen;
    int *pnode, *pbias, np;     /* compared parameters: node and weight(0)/bias(1) */
    char (*pname)[NAME_MAX_LEN + 16];
};

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

static ConvGeom node_geom(const Node *nd)
{
    return conv_geom(nd->in_shape.c, nd->in_shape.h, nd->in_shape.w, nd->out_shape.c, nd->k, nd->stride,
                     nd->pad, nd->groups);
}

static int is_layer(const Node *nd) { return nd->op == OP_CONV || nd->op == OP_LINEAR; }

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

QNet *qnet_new(Net *net, QuantSpec spec, const PtqOptions *o)
{
    CHECK(net->act, "qnet_new needs the net's activation buffers");
    QNet *q = xcalloc(1, sizeof *q);
    q->net = net;
    q->o = *o;
    q->spec = spec;
    q->bspec = quant_bias_spec(spec.type);
    if (o->tie == QUANT_TIE_REFERENCE && spec.type != QUANT_INT) {
        quant_ties_init(&q->ties, &q->spec);
        quant_ties_init(&q->bties, &q->bspec);
        q->spec.ties = &q->ties;
        q->bspec.ties = &q->bties;
    }
    int nn = net->n_nodes, first_done = 0;
    q->qn = xcalloc((size_t)nn, sizeof(QNode));
    q->tq = xcalloc((size_t)net->n_tensors, sizeof(QParam *));
    q->pnode = xmalloc(sizeof(int) * (size_t)(2 * nn + 1));
    q->pbias = xmalloc(sizeof(int) * (size_t)(2 * nn + 1));
    q->pname = xmalloc(sizeof *q->pname * (size_t)(2 * nn + 1));
    size_t biggest = shape_numel(net->input), dw = 0;
    for (int i = 0; i < nn; i++) {
        const Node *nd = &net->nodes[i];
        QNode *qn = &q->qn[i];
        size_t out = shape_numel(nd->out_shape);
        if (out > biggest) biggest = out;
        qparam_init(&qn->qi);
        qparam_init(&qn->qo);
        qn->qi.asym = qn->qo.asym = o->asym_act;
        if (is_layer(nd)) {
            int cout = nd->out_shape.c;
            qn->quantized = 1;
            qn->has_qo = 1;
            qn->has_qi = !first_done;
            first_done = 1;
            qn->nw = net->params[nd->pw].numel;
            qn->W = xmalloc(qn->nw * sizeof(float));
            qn->Wq = xmalloc(qn->nw * sizeof(float));
            qn->Wc = xmalloc(qn->nw * sizeof(float));
            qn->Wd = xmalloc(qn->nw * sizeof(double));
            qn->M = xmalloc((size_t)cout * sizeof(float));
            if (nd->pb >= 0 || nd->has_bn) {
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
            if (nd->op == OP_CONV) {
                ConvGeom g = node_geom(nd);
                size_t d = qconv_work_doubles(&g);
                if (d > dw) dw = d;
            }
            snprintf(q->pname[q->np], sizeof q->pname[0], "%s.weight", nd->name);
            q->pnode[q->np] = i;
            q->pbias[q->np++] = 0;
            if (qn->b) {
                snprintf(q->pname[q->np], sizeof q->pname[0], "%s.bias", nd->name);
                q->pnode[q->np] = i;
                q->pbias[q->np++] = 1;
            }
        } else if (nd->op == OP_AVGPOOL || nd->op == OP_ADD || nd->op == OP_CONCAT) {
            qn->has_qo = 1;
        }
    }
    /* wiring: a tensor's quantizer is its producer's qo, passed through by relu/pool/... */
    for (int i = 0; i < nn; i++) {
        const Node *nd = &net->nodes[i];
        QNode *qn = &q->qn[i];
        if (qn->has_qi && nd->in[0] == 0) q->tq[0] = &qn->qi;
        q->tq[nd->out] = qn->has_qo ? &qn->qo : q->tq[nd->in[0]];
    }
    for (int i = 0; i < nn; i++)
        if (q->qn[i].has_qi && !q->tq[0]) q->tq[0] = &q->qn[i].qi;
    int mb = net->max_batch, T = pool_threads(net->pool);
    q->xin = xmalloc(shape_numel(net->input) * (size_t)mb * sizeof(float));
    q->logits = xmalloc((size_t)net->classes * mb * sizeof(float));
    q->tmp = xmalloc(biggest * (size_t)mb * sizeof(float));
    size_t lin = 0;
    for (int i = 0; i < nn; i++)
        if (net->nodes[i].op == OP_LINEAR) {
            size_t l = ((size_t)net->nodes[i].in_shape.c + (size_t)net->nodes[i].out_shape.c) * (size_t)mb;
            if (l > lin) lin = l;
        }
    q->dwork_per_thread = dw > lin ? dw : lin;
    q->dwork = xmalloc((q->dwork_per_thread ? q->dwork_per_thread : 1) * (size_t)T * sizeof(double));
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

static void observe_and_fake(QNet *q, QParam *p, const float *obs, size_t nobs, float *y, size_t n)
{
    qparam_update(p, &q->spec, obs, nobs);
    par_fake(q, p, y, y, n);
}

static void calib_node(QNet *q, int i, int n)
{
    Net *net = q->net;
    const Node *nd = &net->nodes[i];
    QNode *qn = &q->qn[i];
    ThreadPool *pool = net->pool;
    const float *x = net->act[nd->in[0]];
    float *y = net->act[nd->out];
    Shape is = nd->in_shape, os = nd->out_shape;
    size_t count = shape_numel(os) * (size_t)n;
    if (qn->has_qi) {
        size_t nx = shape_numel(is) * (size_t)n;
        qparam_update(&qn->qi, &q->spec, x, nx);
        par_fake(q, &qn->qi, x, q->xin, nx);
        x = q->xin;
    }
    switch (nd->op) {
    case OP_CONV: {
        ConvGeom g = node_geom(nd);
        par_conv_forward(pool, &g, x, qn->Wq, qn->b, y, n, net->work, net->work_floats);
        if (nd->act == ACT_RELU) par_elementwise(pool, EW_RELU, y, NULL, y, count);
        else if (nd->act == ACT_RELU6) par_elementwise(pool, EW_RELU6, y, NULL, y, count);
        observe_and_fake(q, &qn->qo, y, count, y, count);
        break;
    }
    case OP_LINEAR:
        par_linear_forward(pool, x, qn->Wq, qn->b, y, n, is.c, os.c);
        observe_and_fake(q, &qn->qo, y, count, y, count);
        break;
    case OP_RELU: par_elementwise(pool, EW_RELU, x, NULL, y, count); break;
    case OP_RELU6: par_elementwise(pool, EW_RELU6, x, NULL, y, count); break;
    case OP_MAXPOOL: par_maxpool_forward(pool, x, y, NULL, n, is.c, is.h, is.w, nd->k, nd->stride, nd->pad, os.h, os.w); break;
    case OP_AVGPOOL:
        par_avgpool_forward(pool, x, y, n, is.c, is.h * is.w);
        observe_and_fake(q, &qn->qo, y, count, y, count);
        break;
    case OP_FLATTEN: break;
    case OP_DROPOUT: par_elementwise(pool, EW_COPY, x, NULL, y, count); break;
    case OP_SOFTMAX: softmax_forward(x, y, n, os.c); break;
    case OP_ADD: {
        const float *x1 = net->act[nd->in[1]];
        par_elementwise(pool, EW_ADD, x, x1, y, count);
        observe_and_fake(q, &qn->qo, q->o.observe_last ? x1 : y, count, y, count);
        break;
    }
    case OP_CONCAT: {
        const float *xs[NODE_MAX_IN];
        int cs[NODE_MAX_IN];
        for (int j = 0; j < nd->n_in; j++) { xs[j] = net->act[nd->in[j]]; cs[j] = net->tshape[nd->in[j]].c; }
        concat_forward(xs, cs, nd->n_in, y, n, os.h * os.w);
        int last = nd->n_in - 1;
        size_t nlast = shape_numel(net->tshape[nd->in[last]]) * (size_t)n;
        observe_and_fake(q, &qn->qo, q->o.observe_last ? xs[last] : y, q->o.observe_last ? nlast : count, y, count);
        break;
    }
    default: CHECK(0, "op %d", nd->op);
    }
}

void qnet_calibrate(QNet *q, const float *x, int n)
{
    Net *net = q->net;
    CHECK(!q->frozen && n >= 1 && n <= net->max_batch, "calibrate batch %d (frozen %d)", n, q->frozen);
    memcpy(net->act[0], x, shape_numel(net->input) * (size_t)n * sizeof(float));
    for (int i = 0; i < net->n_nodes; i++) calib_node(q, i, n);
}

/* ------------------------------------------------------------------ freeze */

static float scale_of(const QParam *p) { return p ? p->scale : 0.0f; }

/* M = (s_w * s_i) / s_o in two f32 roundings; 0 when s_o is 0 (all-zero output, Q21). */
static float multiplier(float sw, float si, float so)
{
    if (so == 0.0f) return 0.0f;
    float t = sw * si;
    return t / so;
}

static float quantize_scalar(const QNet *q, const QParam *p, float v)
{
    float out;
    quant_quantize(&q->spec, p, &v, &out, 1, q->o.tie);
    return out;
}

void qnet_freeze(QNet *q)
{
    Net *net = q->net;
    for (int i = 0; i < net->n_nodes; i++) {
        const Node *nd = &net->nodes[i];
        QNode *qn = &q->qn[i];
        float si = scale_of(q->tq[nd->in[0]]), so = qn->qo.scale;
        if (qn->quantized) {
            int cout = nd->out_shape.c;
            size_t per = qn->nw / (size_t)qn->n_qw;
            for (int c = 0; c < qn->n_qw; c++) {
                quant_quantize(&q->spec, &qn->qw[c], qn->W + c * per, qn->Wc + c * per, per, q->o.tie);
                quant_dequantize(&qn->qw[c], qn->Wc + c * per, qn->Wq + c * per, per);
            }
            for (size_t j = 0; j < qn->nw; j++) qn->Wd[j] = qn->Wc[j];
            for (int o = 0; o < cout; o++) {
                float sw = qn->qw[qn->n_qw > 1 ? o : 0].scale;
                qn->M[o] = multiplier(sw, si, so);
                if (qn->b) {
                    quant_bias_quantize(&q->bspec, si, sw, qn->b + o, qn->bc + o, 1, q->o.tie);
                    qn->bq[o] = (si * sw) * qn->bc[o];
                }
            }
            if (nd->act == ACT_RELU6) qn->q6 = quantize_scalar(q, &qn->qo, 6.0f);
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
        } else if (nd->op == OP_AVGPOOL || nd->op == OP_ADD || nd->op == OP_CONCAT) {
            for (int j = 0; j < nd->n_in; j++) qn->Min[j] = multiplier(1.0f, scale_of(q->tq[nd->in[j]]), so);
        } else if (nd->op == OP_RELU6) {
            qn->q6 = q->tq[nd->in[0]] ? quantize_scalar(q, q->tq[nd->in[0]], 6.0f) : 6.0f;
        }
    }
    q->frozen = 1;
}

/* ------------------------------------------------------------------ inference */

/* y = nearest(v) on the activation grid of observer p: INT rne (+ saturation unless Q6
 * compat), POT/FLOAT nearest grid value (saturating); with a zero point z the grid is
 * shifted: nearest(v + z) - z (codes stay centred, see quant_quantize). */
static void requantize(const QNet *q, const QParam *p, float *y, size_t n)
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
    requantize(q, &qn->qo, y, (size_t)m * os);
    if (nd->act == ACT_RELU) relu_forward(y, y, (size_t)m * os);
    else if (nd->act == ACT_RELU6)
        for (size_t j = 0; j < (size_t)m * os; j++) y[j] = fminf(fmaxf(y[j], 0.0f), qn->q6);
}

static void infer_node(QNet *q, int i, int n)
{
    Net *net = q->net;
    const Node *nd = &net->nodes[i];
    QNode *qn = &q->qn[i];
    ThreadPool *pool = net->pool;
    const float *x = net->act[nd->in[0]];
    float *y = net->act[nd->out];
    Shape is = nd->in_shape, os = nd->out_shape;
    size_t count = shape_numel(os) * (size_t)n;
    if (qn->has_qi) {
        quant_quantize(&q->spec, &qn->qi, x, q->xin, shape_numel(is) * (size_t)n, q->o.tie);
        x = q->xin;
    }
    switch (nd->op) {
    case OP_CONV:
    case OP_LINEAR: {
        InferCtx k = {q, nd, qn, x, y, {0}};
        if (nd->op == OP_CONV) k.g = node_geom(nd);
        pool_run(pool, n, layer_task, &k);
        break;
    }
    case OP_RELU: par_elementwise(pool, EW_RELU, x, NULL, y, count); break;
    case OP_RELU6:
        for (size_t j = 0; j < count; j++) y[j] = fminf(fmaxf(x[j], 0.0f), qn->q6);
        break;
    case OP_MAXPOOL: par_maxpool_forward(pool, x, y, NULL, n, is.c, is.h, is.w, nd->k, nd->stride, nd->pad, os.h, os.w); break;
    case OP_AVGPOOL: {
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
        requantize(q, &qn->qo, y, count);
        break;
    }
    case OP_FLATTEN: break;
    case OP_DROPOUT: par_elementwise(pool, EW_COPY, x, NULL, y, count); break;
    case OP_SOFTMAX: {
        /* dequantize with the producer's scale, then a real softmax (the reference's flag) */
        float s = scale_of(q->tq[nd->in[0]]);
        for (size_t j = 0; j < count; j++) y[j] = s * x[j];
        softmax_forward(y, y, n, os.c);
        break;
    }
    case OP_ADD: {
        const float *x1 = net->act[nd->in[1]];
        float m0 = qn->Min[0], m1 = qn->Min[1];
        for (size_t j = 0; j < count; j++) y[j] = m0 * x[j] + m1 * x1[j];
        requantize(q, &qn->qo, y, count);
        break;
    }
    case OP_CONCAT: {
        size_t hw = (size_t)os.h * os.w, off = 0;
        for (int j = 0; j < nd->n_in; j++) {
            int cj = net->tshape[nd->in[j]].c;
            const float *xj = net->act[nd->in[j]];
            for (int s = 0; s < n; s++)
                for (size_t e = 0; e < (size_t)cj * hw; e++)
                    y[(size_t)s * os.c * hw + off + e] = qn->Min[j] * xj[(size_t)s * cj * hw + e];
            off += (size_t)cj * hw;
        }
        requantize(q, &qn->qo, y, count);
        break;
    }
    default: CHECK(0, "op %d", nd->op);
    }
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
    float s = has_softmax ? 1.0f : scale_of(q->tq[last]);
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
