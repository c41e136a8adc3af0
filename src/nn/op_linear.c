/* op_linear.c — the linear node (nn/ops.h): x (n, in) -> y (n, out) = x W^T + b. */
#include "nn/ops.h"

#include "nn/par_ops.h"

void linear_node_forward(Net *net, int i, int n, TrainBufs *tb)
{
    (void)tb;   /* caches nothing: the backward reads its input activation */
    const Node *nd = &net->nodes[i];
    par_linear_forward(net->pool, net->act[nd->in[0]], net_param(net, nd->pw), net_param(net, nd->pb), net->act[nd->out],
                       n, nd->in_shape.c, nd->out_shape.c);
}

/* dW, db and dx accumulate (dx skipped for the network input unless wanted). */
void linear_node_backward(Net *net, Backprop *bp, int i, int n)
{
    const Node *nd = &net->nodes[i];
    float *dx = node_input_grad(net, bp, i);
    int pg = !bp->input_only;   /* parameter gradients unless only the input's is wanted */
    par_linear_backward(net->pool, net->act[nd->in[0]], net_param(net, nd->pw), bp->dact[nd->out], dx,
                        pg ? bp->grad + net->params[nd->pw].off : NULL,
                        pg && nd->pb >= 0 ? bp->grad + net->params[nd->pb].off : NULL, n, nd->in_shape.c, nd->out_shape.c);
}

/* Linear: in*out weights (+ out biases); MACs = parameters (ptflops). */
void linear_node_stats(const Net *net, int i, StatSink *sink)
{
    const Node *nd = &net->nodes[i];
    int64_t co = nd->out_shape.c, p = (int64_t)shape_numel(nd->in_shape) * co + (nd->has_bias ? co : 0);
    stat_sink_push(sink, nd->name, "Linear", i, p, p);
}
