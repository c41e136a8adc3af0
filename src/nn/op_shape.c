/* op_shape.c — nodes that move values without arithmetic (nn/ops.h): flatten (its output
 * tensor is its input's buffer, so forward and backward do nothing) and dropout (training:
 * a mask drawn from tb->rng is cached in tb->mask[i]; eval, also an eval-mode pass with
 * tb->eval: a copy). */
#include "nn/ops.h"

#include "base/check.h"
#include "nn/layers.h"
#include "nn/par_ops.h"

void flatten_node_forward(Net *net, int i, int n, TrainBufs *tb) { (void)net; (void)i; (void)n; (void)tb; }
void flatten_node_backward(Net *net, Backprop *bp, int i, int n) { (void)net; (void)bp; (void)i; (void)n; }

void dropout_node_forward(Net *net, int i, int n, TrainBufs *tb)
{
    const Node *nd = &net->nodes[i];
    size_t count = shape_numel(nd->out_shape) * (size_t)n;
    if (tb && !tb->eval) dropout_forward_train(net->act[nd->in[0]], net->act[nd->out], tb->mask[i], count, nd->p, tb->rng);
    else par_elementwise(net->pool, EW_COPY, net->act[nd->in[0]], NULL, net->act[nd->out], count);   /* identity in eval */
}

/* dx += dy * mask (eval mode: dx += dy). */
void dropout_node_backward(Net *net, Backprop *bp, int i, int n)
{
    const Node *nd = &net->nodes[i];
    float *dx = node_input_grad(net, bp, i);
    if (!dx) return;
    size_t count = shape_numel(nd->out_shape) * (size_t)n;
    if (bp->input_only) par_elementwise(net->pool, EW_ACC, bp->dact[nd->out], NULL, dx, count);
    else dropout_backward(bp->dact[nd->out], bp->tb.mask[i], dx, count);
}

void dropout_node_cache(const Net *net, int i, int max_batch, TrainBufs *tb)
{
    tb->mask[i] = xmalloc(shape_numel(net->nodes[i].out_shape) * (size_t)max_batch * sizeof(float));
}

/* Dropout: a module with no parameters and no MACs. */
void dropout_node_stats(const Net *net, int i, StatSink *sink)
{
    stat_sink_push(sink, net->nodes[i].name, "Dropout", i, 0, 0);
}
