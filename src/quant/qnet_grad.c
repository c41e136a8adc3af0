/* qnet_grad.c — the input gradient of a quantized network for the attacks (see qnet.h):
 * the fake-quantized forward of calibration with the observers' ranges fixed, and a backward
 * through it in which every fake-quantizer passes its gradient through unchanged (the
 * straight-through estimator, spec training-generator-robustness §3.3).  The layers' backward
 * uses their fake-quantized BN-folded weights Wq; a fused relu/relu6 differentiates on its own
 * output before the output quantizer (as autograd through an identity-gradient fake quantizer
 * does: a small positive value the quantizer rounds to 0 still passes); the other nodes reuse the eval-mode backward of nn/ (Backprop with
 * input_only), which needs only activations and the max-pool indices recorded here. */
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "nn/conv.h"
#include "nn/layers.h"
#include "nn/ops.h"
#include "nn/par_ops.h"
#include "quant/qnet_impl.h"

void qnet_set_attack_ranges(QNet *q, int update) { q->attack_update = update != 0; }

const float *qnet_fake_forward(QNet *q, Backprop *bp, const float *x, int n)
{
    Net *net = q->net;
    CHECK(!q->frozen && n >= 1 && n <= net->max_batch && n <= bp->max_batch, "fake forward batch %d (frozen %d)", n,
          q->frozen);
    memcpy(net->act[0], x, shape_numel(net->input) * (size_t)n * sizeof(float));
    if (!q->act_pre) {   /* the pre-quantizer activations the backward's masks need */
        q->act_pre = xcalloc((size_t)net->n_nodes, sizeof(float *));
        for (int i = 0; i < net->n_nodes; i++)
            if (qop_is_layer(net->nodes[i].op) && net->nodes[i].act != ACT_NONE)
                q->act_pre[i] = xmalloc(shape_numel(net->nodes[i].out_shape) * (size_t)net->max_batch * sizeof(float));
    }
    q->ranges_fixed = !q->attack_update;
    for (int i = 0; i < net->n_nodes; i++) {
        const Node *nd = &net->nodes[i];
        if (nd->op == OP_MAXPOOL) {   /* the calibration max, with its indices for the backward */
            Shape is = nd->in_shape, os = nd->out_shape;
            par_maxpool_forward(net->pool, net->act[nd->in[0]], net->act[nd->out], bp->tb.arg[i], n, is.c, is.h, is.w,
                                nd->k, nd->stride, nd->pad, os.h, os.w);
        } else qnet_calib_node(q, i, n);
    }
    q->ranges_fixed = 0;
    return net->act[net->n_tensors - 1];
}

/* The backward of a conv or linear node i (1; 0 for the other nodes, which keep nn/'s
 * eval-mode backward): the activation's mask, then dx with the layer's weights and, when gw is
 * non-NULL, the gradients of its BN-folded weight and bias accumulated into gw / gb (gb may be
 * NULL).  fake 1: the straight-through backward of the fake-quantized forward -- the mask from
 * the output before the output quantizer, the fake-quantized weights Wq, the first layer's input
 * as qi quantized it; fake 0: the full-precision network with BN folded, after an eval-mode
 * forward (the mask from its output, the folded weights W). */
static int layer_backward_with(QNet *q, Backprop *bp, int i, int n, int fake, float *gw, float *gb)
{
    Net *net = q->net;
    const Node *nd = &net->nodes[i];
    if (!qop_is_layer(nd->op)) return 0;
    const QNode *qn = &q->qn[i];
    float *dy = bp->dact[nd->out], *dx = node_input_grad(net, bp, i);
    const float *y = fake && q->act_pre && q->act_pre[i] ? q->act_pre[i] : net->act[nd->out];
    size_t count = shape_numel(nd->out_shape) * (size_t)n;
    if (nd->act == ACT_RELU) par_elementwise(net->pool, EW_RELU_BWD, y, dy, dy, count);
    else if (nd->act == ACT_RELU6) par_elementwise(net->pool, EW_RELU6_BWD, y, dy, dy, count);
    if (!dx && !gw) return 1;
    const float *w = fake ? qn->Wq : qn->W;
    const float *x = fake && qn->has_qi ? q->xin : net->act[nd->in[0]];
    if (nd->op == OP_CONV) {
        ConvGeom g = node_geom(nd);
        par_conv_backward(net->pool, &g, x, w, dy, dx, gw, gw ? gb : NULL, n, bp->work, bp->work_floats, bp->partial);
    } else {
        par_linear_backward(net->pool, x, w, dy, dx, gw, gw ? gb : NULL, n, nd->in_shape.c, nd->out_shape.c);
    }
    return 1;
}

/* The attacks' backward: input gradient alone. */
static int layer_backward(void *ctx, Backprop *bp, int i, int n) { return layer_backward_with(ctx, bp, i, n, 1, NULL, NULL); }

typedef struct {
    QNet *q;
    int fake;
    float **gw, **gb;   /* per node: where its weight / bias gradients accumulate (NULL: none) */
} ParamGradCtx;

static int param_backward(void *ctx, Backprop *bp, int i, int n)
{
    ParamGradCtx *c = ctx;
    return layer_backward_with(c->q, bp, i, n, c->fake, c->gw[i], c->gb[i]);
}

double qnet_param_gradient(QNet *q, Backprop *bp, const float *x, const int *y, int n, int fake, float *const *g,
                           float *logits)
{
    Net *net = q->net;
    CHECK(!q->frozen, "parameter gradient of a frozen QNet");
    bp->input_only = 1;
    bp->want_input_grad = 0;
    const float *out = fake ? qnet_fake_forward(q, bp, x, n) : net_forward_train(net, bp, x, n, NULL);
    if (logits) memcpy(logits, out, sizeof(float) * (size_t)n * (size_t)net->classes);
    double loss = softmax_xent(out, y, n, net->classes, bp->scratch);
    ParamGradCtx c = {q, fake, xcalloc((size_t)net->n_nodes, sizeof(float *)), xcalloc((size_t)net->n_nodes, sizeof(float *))};
    for (int p = 0; p < q->np; p++) (q->pbias[p] ? c.gb : c.gw)[q->pnode[p]] = g[p];
    for (int i = 0; i < net->n_nodes; i++)   /* a bias gradient only alongside its weight's */
        CHECK(!c.gb[i] || c.gw[i], "node %d: bias gradient without the weight's", i);
    net_backward_with(net, bp, bp->scratch, n, param_backward, &c);
    free(c.gw);
    free(c.gb);
    return loss;
}

double qnet_input_gradient(QNet *q, Backprop *bp, const float *x, const int *y, int n, float *dx)
{
    Net *net = q->net;
    bp->input_only = 1;
    bp->want_input_grad = 1;
    const float *out = qnet_fake_forward(q, bp, x, n);
    double loss = softmax_xent(out, y, n, net->classes, bp->scratch);   /* dlogits: copied before use */
    net_backward_with(net, bp, bp->scratch, n, layer_backward, q);
    memcpy(dx, bp->dact[0], shape_numel(net->input) * (size_t)n * sizeof(float));
    return loss;
}

static double target_grad(void *c, const float *x, const int *y, int n, float *dx)
{
    QnetTargetCtx *k = c;
    return qnet_input_gradient(k->q, k->bp, x, y, n, dx);
}

static const float *target_fwd(void *c, const float *x, int n)
{
    QnetTargetCtx *k = c;
    return qnet_fake_forward(k->q, k->bp, x, n);
}

AttackTarget qnet_attack_target(QnetTargetCtx *ctx)
{
    const Net *net = ctx->q->net;
    return (AttackTarget){.ctx = ctx, .grad = target_grad, .forward = target_fwd, .input = net->input,
                          .classes = net->classes, .max_batch = ctx->bp->max_batch};
}
