/* op_conv.c — the conv node: conv [+ BatchNorm] [+ ReLU/ReLU6], fused as one reference module
 * (nn/ops.h).  Contract between forward and backward: with BN in training, the conv output
 * before BN is cached in tb->pre[i] and the batch mean / inverse std in tb->bn_mean[i] /
 * tb->bn_invstd[i]; the activation is fused into BN's forward, and its mask (the activated
 * output y) is applied inside BN's backward.  Without BN the activation runs in place on y. */
#include "nn/ops.h"

#include <stdlib.h>

#include "base/check.h"
#include "nn/layers.h"
#include "nn/par_ops.h"

#define BN_MOMENTUM 0.1f

ConvGeom node_geom(const Node *nd)
{
    return conv_geom(nd->in_shape.c, nd->in_shape.h, nd->in_shape.w, nd->out_shape.c, nd->k, nd->stride,
                     nd->pad, nd->groups);
}

/* x (n, Cin, H, W) -> y (n, Cout, Ho, Wo).  Caches (training with BN): pre, bn_mean, bn_invstd. */
void conv_node_forward(Net *net, int i, int n, TrainBufs *tb)
{
    const Node *nd = &net->nodes[i];
    const float *x = net->act[nd->in[0]];
    float *y = net->act[nd->out];
    Shape os = nd->out_shape;
    size_t count = shape_numel(os) * (size_t)n;
    ThreadPool *p = net->pool;
    ConvGeom g = node_geom(nd);
    int train = tb && !tb->eval;
    /* training keeps the conv output for BN's backward; keep_pre keeps it in eval mode too */
    float *c = nd->has_bn && tb && (train || tb->keep_pre) ? tb->pre[i] : y;
    par_conv_forward(p, &g, x, net_param(net, nd->pw), net_param(net, nd->pb), c, n, net->work, net->work_floats);
    if (nd->has_bn && train)   /* batch statistics, activation fused in */
        par_bn_train(p, c, y, n, os.c, os.h * os.w, net_param(net, nd->pgamma), net_param(net, nd->pbeta),
                     net_param(net, nd->pmean), net_param(net, nd->pvar), BN_MOMENTUM, tb->bn_mean[i], tb->bn_invstd[i],
                     (int)nd->act);
    else {
        if (nd->has_bn)
            par_bn_eval(p, c, y, n, os.c, os.h * os.w, net_param(net, nd->pgamma), net_param(net, nd->pbeta),
                        net_param(net, nd->pmean), net_param(net, nd->pvar));
        if (nd->act == ACT_RELU) par_elementwise(p, EW_RELU, y, NULL, y, count);
        else if (nd->act == ACT_RELU6) par_elementwise(p, EW_RELU6, y, NULL, y, count);
    }
}

/* dW, db, dgamma, dbeta and dx accumulate (dx skipped for the network input unless wanted). */
void conv_node_backward(Net *net, Backprop *bp, int i, int n)
{
    const Node *nd = &net->nodes[i];
    float *dy = bp->dact[nd->out];
    float *dx = node_input_grad(net, bp, i);
    const float *x = net->act[nd->in[0]], *y = net->act[nd->out];
    Shape os = nd->out_shape;
    size_t count = shape_numel(os) * (size_t)n;
    float *g = bp->grad;
    ThreadPool *p = net->pool;
    const float *dc = dy;
    ConvGeom geo = node_geom(nd);
    if (bp->input_only) {   /* eval mode: activation mask, BN as a per-channel scale, no dW */
        if (nd->act == ACT_RELU) par_elementwise(p, EW_RELU_BWD, y, dy, dy, count);
        else if (nd->act == ACT_RELU6) par_elementwise(p, EW_RELU6_BWD, y, dy, dy, count);
        if (nd->has_bn) {
            batchnorm_backward_eval(dy, bp->scratch, n, os.c, os.h * os.w, net_param(net, nd->pgamma),
                                    net_param(net, nd->pvar));
            if (bp->pre_grad && bp->pre_grad[i]) accumulate(bp->pre_grad[i], bp->scratch, count);
            dc = bp->scratch;
        }
        if (dx) par_conv_backward(p, &geo, x, net_param(net, nd->pw), dc, dx, NULL, NULL, n, bp->work, bp->work_floats,
                                  bp->partial);
        return;
    }
    if (nd->has_bn) {   /* the activation's mask is applied inside the BN backward */
        const Param *pg = &net->params[nd->pgamma], *pb = &net->params[nd->pbeta];
        par_bn_backward(p, bp->tb.pre[i], dy, bp->scratch, n, os.c, os.h * os.w, net_param(net, nd->pgamma),
                        bp->tb.bn_mean[i], bp->tb.bn_invstd[i], g + pg->off, g + pb->off, nd->act ? y : NULL, (int)nd->act);
        dc = bp->scratch;
    } else if (nd->act == ACT_RELU) par_elementwise(p, EW_RELU_BWD, y, dy, dy, count);
    else if (nd->act == ACT_RELU6) par_elementwise(p, EW_RELU6_BWD, y, dy, dy, count);
    par_conv_backward(p, &geo, x, net_param(net, nd->pw), dc, dx, g + net->params[nd->pw].off,
                      nd->pb >= 0 ? g + net->params[nd->pb].off : NULL, n, bp->work, bp->work_floats, bp->partial);
}

void conv_node_cache(const Net *net, int i, int max_batch, TrainBufs *tb)
{
    const Node *nd = &net->nodes[i];
    if (!nd->has_bn) return;
    tb->pre[i] = xmalloc(shape_numel(nd->out_shape) * (size_t)max_batch * sizeof(float));
    tb->bn_mean[i] = xmalloc((size_t)nd->out_shape.c * sizeof(float));
    tb->bn_invstd[i] = xmalloc((size_t)nd->out_shape.c * sizeof(float));
}

/* im2col / col2im scratch; the backward's per-thread partial gradients hold W and b. */
size_t conv_node_work(const Net *net, int i, int max_batch, int threads, int backward, size_t *partial)
{
    const Node *nd = &net->nodes[i];
    ConvGeom g = node_geom(nd);
    if (!backward) return par_conv_work(&g, max_batch, threads);
    if (partial) *partial = net->params[nd->pw].numel + (size_t)nd->out_shape.c;
    return par_conv_bwd_work(&g, max_batch, threads);
}

/* Conv2d: k*k*(Cin/groups) weights per output channel (+ bias); MACs = weights * Ho*Wo
 * (+ bias * Ho*Wo).  BatchNorm2d: 2 C parameters, 2 per output element; the activation: one
 * per output element. */
void conv_node_stats(const Net *net, int i, StatSink *sink)
{
    const Node *nd = &net->nodes[i];
    int64_t out_el = (int64_t)shape_numel(nd->out_shape);
    int64_t hw = (int64_t)nd->out_shape.h * nd->out_shape.w, co = nd->out_shape.c;
    int64_t kk = (int64_t)nd->k * nd->k * (nd->in_shape.c / nd->groups);
    stat_sink_push(sink, nd->name, "Conv2d", i, kk * co + (nd->has_bias ? co : 0), kk * co * hw + (nd->has_bias ? co * hw : 0));
    if (nd->has_bn) stat_sink_push(sink, nd->bn_name, "BatchNorm2d", i, 2 * co, 2 * out_el);
    if (nd->act_name[0]) stat_sink_push(sink, nd->act_name, nd->act == ACT_RELU ? "ReLU" : "ReLU6", i, 0, out_el);
}
