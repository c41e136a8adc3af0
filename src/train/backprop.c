/* backprop.c — training forward and backward over the node list (see backprop.h). */
#include "train/backprop.h"

#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "nn/conv.h"
#include "nn/layers.h"
#include "nn/par_ops.h"

int param_trainable(const Param *p) { return p->kind != PARAM_BN_MEAN && p->kind != PARAM_BN_VAR; }

static int aliases_input(const Net *net, int t) { return t > 0 && net->nodes[t - 1].op == OP_FLATTEN; }

static ConvGeom node_geom(const Node *nd)
{
    return conv_geom(nd->in_shape.c, nd->in_shape.h, nd->in_shape.w, nd->out_shape.c, nd->k, nd->stride,
                     nd->pad, nd->groups);
}

Backprop *backprop_new(Net *net, int max_batch)
{
    net_alloc_acts(net, max_batch);
    Backprop *bp = xcalloc(1, sizeof *bp);
    int nn = net->n_nodes;
    bp->max_batch = max_batch;
    bp->grad = xcalloc(net->pnumel, sizeof(float));
    bp->dact = xcalloc((size_t)net->n_tensors, sizeof(float *));
    bp->tb.pre = xcalloc((size_t)nn, sizeof(float *));
    bp->tb.bn_mean = xcalloc((size_t)nn, sizeof(float *));
    bp->tb.bn_invstd = xcalloc((size_t)nn, sizeof(float *));
    bp->tb.arg = xcalloc((size_t)nn, sizeof(int *));
    bp->tb.mask = xcalloc((size_t)nn, sizeof(float *));
    size_t biggest = 0, wf = 0, wmax = 0;
    int T = net->threads > 0 ? net->threads : 1;
    for (int t = 0; t < net->n_tensors; t++) {
        size_t sz = shape_numel(net->tshape[t]) * (size_t)max_batch;
        if (sz > biggest) biggest = sz;
        bp->dact[t] = aliases_input(net, t) ? bp->dact[net->nodes[t - 1].in[0]] : xmalloc(sz * sizeof(float));
    }
    for (int i = 0; i < nn; i++) {
        const Node *nd = &net->nodes[i];
        size_t out = shape_numel(nd->out_shape) * (size_t)max_batch;
        if (nd->op == OP_CONV) {
            ConvGeom g = node_geom(nd);
            size_t f = par_conv_bwd_work(&g, max_batch, T);
            if (f > wf) wf = f;
            size_t nw = net->params[nd->pw].numel + (size_t)nd->out_shape.c;
            if (nw > wmax) wmax = nw;
            if (nd->has_bn) {
                bp->tb.pre[i] = xmalloc(out * sizeof(float));
                bp->tb.bn_mean[i] = xmalloc((size_t)nd->out_shape.c * sizeof(float));
                bp->tb.bn_invstd[i] = xmalloc((size_t)nd->out_shape.c * sizeof(float));
            }
        } else if (nd->op == OP_MAXPOOL) {
            bp->tb.arg[i] = xmalloc(out * sizeof(int));
        } else if (nd->op == OP_DROPOUT) {
            bp->tb.mask[i] = xmalloc(out * sizeof(float));
        }
    }
    bp->scratch = xmalloc(biggest * sizeof(float));
    bp->work_floats = wf;
    bp->work = xmalloc((wf ? wf * (size_t)T : 1) * sizeof(float));
    bp->partial = xmalloc((T > 1 ? wmax * (size_t)(T - 1) : 1) * sizeof(float));
    return bp;
}

void backprop_free(Backprop *bp, const Net *net)
{
    if (!bp) return;
    for (int t = 0; t < net->n_tensors; t++)
        if (!aliases_input(net, t)) free(bp->dact[t]);
    for (int i = 0; i < net->n_nodes; i++) {
        free(bp->tb.pre[i]);
        free(bp->tb.bn_mean[i]);
        free(bp->tb.bn_invstd[i]);
        free(bp->tb.arg[i]);
        free(bp->tb.mask[i]);
    }
    free(bp->dact);
    free(bp->tb.pre);
    free(bp->tb.bn_mean);
    free(bp->tb.bn_invstd);
    free(bp->tb.arg);
    free(bp->tb.mask);
    free(bp->grad);
    free(bp->scratch);
    free(bp->work);
    free(bp->partial);
    free(bp);
}

void net_zero_grad(const Net *net, Backprop *bp) { memset(bp->grad, 0, net->pnumel * sizeof(float)); }

const float *net_forward_train(Net *net, Backprop *bp, const float *x, int n, Rng *rng)
{
    CHECK(n >= 1 && n <= bp->max_batch, "batch %d, buffers for %d", n, bp->max_batch);
    memcpy(net->act[0], x, shape_numel(net->input) * (size_t)n * sizeof(float));
    bp->tb.rng = rng;
    for (int i = 0; i < net->n_nodes; i++) net_forward_node(net, i, n, &bp->tb);
    net->bn_batches++;
    return net->act[net->n_tensors - 1];
}

static void backward_node(Net *net, Backprop *bp, int i, int n)
{
    const Node *nd = &net->nodes[i];
    float *dy = bp->dact[nd->out];
    float *dx = (nd->in[0] == 0 && !bp->want_input_grad) ? NULL : bp->dact[nd->in[0]];
    const float *x = net->act[nd->in[0]], *y = net->act[nd->out];
    Shape is = nd->in_shape, os = nd->out_shape;
    size_t count = shape_numel(os) * (size_t)n;
    float *g = bp->grad;
    ThreadPool *p = net->pool;
    switch (nd->op) {
    case OP_CONV: {
        const float *dc = dy;
        if (nd->has_bn) {   /* the activation's mask is applied inside the BN backward */
            const Param *pg = &net->params[nd->pgamma], *pb = &net->params[nd->pbeta];
            par_bn_backward(p, bp->tb.pre[i], dy, bp->scratch, n, os.c, os.h * os.w, net_param(net, nd->pgamma),
                            bp->tb.bn_mean[i], bp->tb.bn_invstd[i], g + pg->off, g + pb->off, nd->act ? y : NULL, (int)nd->act);
            dc = bp->scratch;
        } else if (nd->act == ACT_RELU) par_elementwise(p, EW_RELU_BWD, y, dy, dy, count);
        else if (nd->act == ACT_RELU6) par_elementwise(p, EW_RELU6_BWD, y, dy, dy, count);
        ConvGeom geo = node_geom(nd);
        par_conv_backward(p, &geo, x, net_param(net, nd->pw), dc, dx, g + net->params[nd->pw].off,
                          nd->pb >= 0 ? g + net->params[nd->pb].off : NULL, n, bp->work, bp->work_floats, bp->partial);
        break;
    }
    case OP_LINEAR:
        par_linear_backward(p, x, net_param(net, nd->pw), dy, dx, g + net->params[nd->pw].off,
                            nd->pb >= 0 ? g + net->params[nd->pb].off : NULL, n, is.c, os.c);
        break;
    case OP_RELU: if (dx) par_elementwise(p, EW_RELU_BWD, y, dy, dx, count); break;
    case OP_RELU6: if (dx) par_elementwise(p, EW_RELU6_BWD, y, dy, dx, count); break;
    case OP_MAXPOOL: if (dx) par_maxpool_backward(p, dy, bp->tb.arg[i], dx, n, is.c, is.h * is.w, os.h * os.w); break;
    case OP_AVGPOOL: if (dx) par_avgpool_backward(p, dy, dx, n, is.c, is.h * is.w); break;
    case OP_FLATTEN: break; /* gradients alias */
    case OP_DROPOUT: if (dx) dropout_backward(dy, bp->tb.mask[i], dx, count); break;
    case OP_SOFTMAX: if (dx) softmax_backward(y, dy, dx, n, os.c); break;
    case OP_ADD:
        if (dx) par_elementwise(p, EW_ACC, dy, NULL, dx, count);
        if (nd->in[1] != 0 || bp->want_input_grad) par_elementwise(p, EW_ACC, dy, NULL, bp->dact[nd->in[1]], count);
        break;
    case OP_CONCAT: {
        float *dxs[NODE_MAX_IN];
        int cs[NODE_MAX_IN];
        for (int j = 0; j < nd->n_in; j++) { dxs[j] = bp->dact[nd->in[j]]; cs[j] = net->tshape[nd->in[j]].c; }
        concat_backward(dy, dxs, cs, nd->n_in, n, os.h * os.w);
        break;
    }
    default: CHECK(0, "unknown op %d", nd->op);
    }
}

void net_backward(Net *net, Backprop *bp, const float *dout, int n)
{
    for (int t = 0; t < net->n_tensors; t++)
        if (!aliases_input(net, t) && (t > 0 || bp->want_input_grad))
            par_elementwise(net->pool, EW_ZERO, NULL, NULL, bp->dact[t], shape_numel(net->tshape[t]) * (size_t)n);
    int last = net->n_tensors - 1;
    memcpy(bp->dact[last], dout, shape_numel(net->tshape[last]) * (size_t)n * sizeof(float));
    for (int i = net->n_nodes - 1; i >= 0; i--) backward_node(net, bp, i, n);
}
