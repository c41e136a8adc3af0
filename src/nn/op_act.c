/* op_act.c — activation nodes (nn/ops.h): relu, relu6 and softmax, elementwise / per row.
 * Their backward reads the forward output y (the mask, or the softmax probabilities). */
#include "nn/ops.h"

#include "nn/layers.h"
#include "nn/par_ops.h"

static size_t out_count(const Net *net, int i, int n) { return shape_numel(net->nodes[i].out_shape) * (size_t)n; }

void relu_node_forward(Net *net, int i, int n, TrainBufs *tb)
{
    (void)tb;
    const Node *nd = &net->nodes[i];
    par_elementwise(net->pool, EW_RELU, net->act[nd->in[0]], NULL, net->act[nd->out], out_count(net, i, n));
}

void relu_node_backward(Net *net, Backprop *bp, int i, int n)
{
    const Node *nd = &net->nodes[i];
    float *dx = node_input_grad(net, bp, i);
    if (dx) par_elementwise(net->pool, EW_RELU_BWD, net->act[nd->out], bp->dact[nd->out], dx, out_count(net, i, n));
}

void relu6_node_forward(Net *net, int i, int n, TrainBufs *tb)
{
    (void)tb;
    const Node *nd = &net->nodes[i];
    par_elementwise(net->pool, EW_RELU6, net->act[nd->in[0]], NULL, net->act[nd->out], out_count(net, i, n));
}

void relu6_node_backward(Net *net, Backprop *bp, int i, int n)
{
    const Node *nd = &net->nodes[i];
    float *dx = node_input_grad(net, bp, i);
    if (dx) par_elementwise(net->pool, EW_RELU6_BWD, net->act[nd->out], bp->dact[nd->out], dx, out_count(net, i, n));
}

/* ReLU / ReLU6 modules: no parameters, one MAC per output element. */
void act_node_stats(const Net *net, int i, StatSink *sink)
{
    const Node *nd = &net->nodes[i];
    stat_sink_push(sink, nd->name, nd->op == OP_RELU ? "ReLU" : "ReLU6", i, 0, (int64_t)shape_numel(nd->out_shape));
}

void softmax_node_forward(Net *net, int i, int n, TrainBufs *tb)
{
    (void)tb;
    const Node *nd = &net->nodes[i];
    softmax_forward(net->act[nd->in[0]], net->act[nd->out], n, nd->out_shape.c);
}

void softmax_node_backward(Net *net, Backprop *bp, int i, int n)
{
    const Node *nd = &net->nodes[i];
    float *dx = node_input_grad(net, bp, i);
    if (dx) softmax_backward(net->act[nd->out], bp->dact[nd->out], dx, n, nd->out_shape.c);
}
