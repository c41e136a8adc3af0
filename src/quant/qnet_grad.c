/* qnet_grad.c — the input gradient of a quantized network for the attacks (see qnet.h):
 * the fake-quantized forward of calibration with the observers' ranges fixed, and a backward
 * through it in which every fake-quantizer passes its gradient through unchanged (the
 * straight-through estimator, spec training-generator-robustness §3.3).  The layers' backward
 * uses their fake-quantized BN-folded weights Wq; a fused relu/relu6 differentiates on its own
 * output before the output quantizer (as autograd through an identity-gradient fake quantizer
 * does: a small positive value the quantizer rounds to 0 still passes); the other nodes reuse the eval-mode backward of nn/ (Backprop with
 * input_only), which needs only activations and the max-pool indices recorded here. */
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

/* The straight-through backward of a conv or linear node (1; 0 for the other nodes, which
 * keep nn/'s eval-mode backward): the activation's mask from its output before the output
 * quantizer, then dx with the fake-quantized weights; no parameter gradient. */
static int layer_backward(void *ctx, Backprop *bp, int i, int n)
{
    QNet *q = ctx;
    Net *net = q->net;
    const Node *nd = &net->nodes[i];
    if (!qop_is_layer(nd->op)) return 0;
    float *dy = bp->dact[nd->out], *dx = node_input_grad(net, bp, i);
    const float *y = q->act_pre && q->act_pre[i] ? q->act_pre[i] : net->act[nd->out];
    size_t count = shape_numel(nd->out_shape) * (size_t)n;
    if (nd->act == ACT_RELU) par_elementwise(net->pool, EW_RELU_BWD, y, dy, dy, count);
    else if (nd->act == ACT_RELU6) par_elementwise(net->pool, EW_RELU6_BWD, y, dy, dy, count);
    if (!dx) return 1;
    if (nd->op == OP_CONV) {
        ConvGeom g = node_geom(nd);
        par_conv_backward(net->pool, &g, net->act[nd->in[0]], q->qn[i].Wq, dy, dx, NULL, NULL, n, bp->work,
                          bp->work_floats, bp->partial);
    } else {
        par_linear_backward(net->pool, net->act[nd->in[0]], q->qn[i].Wq, dy, dx, NULL, NULL, n, nd->in_shape.c,
                            nd->out_shape.c);
    }
    return 1;
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
