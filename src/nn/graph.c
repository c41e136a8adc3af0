/* graph.c — the forward and backward walks over a Net's nodes, side by side, each node
 * dispatched through the op table (nn/ops.h).  Forward runs the nodes in order; backward
 * zeroes every activation gradient, seeds the output's, and runs the nodes in reverse, each
 * accumulating into its inputs' gradients. */
#include "nn/net.h"

#include <string.h>

#include "base/check.h"
#include "base/progress.h"
#include "nn/ops.h"
#include "nn/par_ops.h"

void net_forward_node(Net *net, int i, int n, TrainBufs *tb)
{
    OpKind op = net->nodes[i].op;
    CHECK(op >= 0 && op < OP__COUNT && op_impl[op].forward, "node %d: op %d has no forward", i, (int)op);
    if (!net->prof) { op_impl[op].forward(net, i, n, tb); return; }
    double t0 = now_seconds();
    op_impl[op].forward(net, i, n, tb);
    net->prof->fwd[i] += now_seconds() - t0;
}

const float *net_forward(Net *net, const float *x, int n)
{
    CHECK(net->act && n >= 1 && n <= net->max_batch, "batch %d, buffers for %d", n, net->max_batch);
    memcpy(net->act[0], x, shape_numel(net->input) * (size_t)n * sizeof(float));
    for (int i = 0; i < net->n_nodes; i++) net_forward_node(net, i, n, NULL);
    return net->act[net->n_tensors - 1];
}

const float *net_forward_train(Net *net, Backprop *bp, const float *x, int n, struct Rng *rng)
{
    CHECK(n >= 1 && n <= bp->max_batch, "batch %d, buffers for %d", n, bp->max_batch);
    memcpy(net->act[0], x, shape_numel(net->input) * (size_t)n * sizeof(float));
    bp->tb.rng = rng;
    bp->tb.eval = bp->input_only;
    for (int i = 0; i < net->n_nodes; i++) net_forward_node(net, i, n, &bp->tb);
    if (!bp->input_only) net->bn_batches++;
    return net->act[net->n_tensors - 1];
}

void net_backward(Net *net, Backprop *bp, const float *dout, int n) { net_backward_with(net, bp, dout, n, NULL, NULL); }

void net_backward_with(Net *net, Backprop *bp, const float *dout, int n, NodeBackwardFn own, void *ctx)
{
    for (int t = 0; t < net->n_tensors; t++)
        if (!net_tensor_aliases(net, t) && (t > 0 || bp->want_input_grad))
            par_elementwise(net->pool, EW_ZERO, NULL, NULL, bp->dact[t], shape_numel(net->tshape[t]) * (size_t)n);
    int last = net->n_tensors - 1;
    memcpy(bp->dact[last], dout, shape_numel(net->tshape[last]) * (size_t)n * sizeof(float));
    for (int i = net->n_nodes - 1; i >= 0; i--) {
        double t0 = net->prof ? now_seconds() : 0;
        if (!(own && own(ctx, bp, i, n))) {
            OpKind op = net->nodes[i].op;
            CHECK(op >= 0 && op < OP__COUNT && op_impl[op].backward, "node %d: op %d has no backward", i, (int)op);
            op_impl[op].backward(net, bp, i, n);
        }
        if (net->prof) net->prof->bwd[i] += now_seconds() - t0;
    }
}
