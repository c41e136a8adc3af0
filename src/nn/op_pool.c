/* op_pool.c — pooling nodes (nn/ops.h): max pooling (caches the argmax of every window for
 * the backward in tb->arg[i]) and the adaptive average pool to 1x1. */
#include "nn/ops.h"

#include "base/check.h"
#include "nn/par_ops.h"

void maxpool_node_forward(Net *net, int i, int n, TrainBufs *tb)
{
    const Node *nd = &net->nodes[i];
    Shape is = nd->in_shape, os = nd->out_shape;
    par_maxpool_forward(net->pool, net->act[nd->in[0]], net->act[nd->out], tb ? tb->arg[i] : NULL, n, is.c, is.h, is.w,
                        nd->k, nd->stride, nd->pad, os.h, os.w);
}

/* dx += dy routed to the cached maxima. */
void maxpool_node_backward(Net *net, Backprop *bp, int i, int n)
{
    const Node *nd = &net->nodes[i];
    float *dx = node_input_grad(net, bp, i);
    if (!dx) return;
    Shape is = nd->in_shape, os = nd->out_shape;
    par_maxpool_backward(net->pool, bp->dact[nd->out], bp->tb.arg[i], dx, n, is.c, is.h * is.w,
                         os.h * os.w);
}

void maxpool_node_cache(const Net *net, int i, int max_batch, TrainBufs *tb)
{
    tb->arg[i] = xmalloc(shape_numel(net->nodes[i].out_shape) * (size_t)max_batch * sizeof(int));
}

/* MaxPool2d: no parameters, one MAC per input element (ptflops). */
void maxpool_node_stats(const Net *net, int i, StatSink *sink)
{
    const Node *nd = &net->nodes[i];
    stat_sink_push(sink, nd->name, "MaxPool2d", i, 0, (int64_t)shape_numel(nd->in_shape));
}

void avgpool_node_forward(Net *net, int i, int n, TrainBufs *tb)
{
    (void)tb;
    const Node *nd = &net->nodes[i];
    par_avgpool_forward(net->pool, net->act[nd->in[0]], net->act[nd->out], n, nd->in_shape.c,
                        nd->in_shape.h * nd->in_shape.w);
}

/* dx += dy / (H*W). */
void avgpool_node_backward(Net *net, Backprop *bp, int i, int n)
{
    const Node *nd = &net->nodes[i];
    float *dx = node_input_grad(net, bp, i);
    if (!dx) return;
    par_avgpool_backward(net->pool, bp->dact[nd->out], dx, n, nd->in_shape.c,
                         nd->in_shape.h * nd->in_shape.w);
}

/* AdaptiveAvgPool2d: no parameters, one MAC per input element. */
void avgpool_node_stats(const Net *net, int i, StatSink *sink)
{
    const Node *nd = &net->nodes[i];
    stat_sink_push(sink, nd->name, "AdaptiveAvgPool2d", i, 0, (int64_t)shape_numel(nd->in_shape));
}
