/* op_merge.c — the merge nodes of blocks (nn/ops.h): add (y = in0 + in1, a residual block)
 * and concat along channels (an inception block).  Their backward hands dy to every input;
 * the graph zeroes every gradient first, so inputs shared by several nodes just accumulate. */
#include "nn/ops.h"

#include "nn/layers.h"
#include "nn/par_ops.h"

void add_node_forward(Net *net, int i, int n, TrainBufs *tb)
{
    (void)tb;
    const Node *nd = &net->nodes[i];
    par_elementwise(net->pool, EW_ADD, net->act[nd->in[0]], net->act[nd->in[1]], net->act[nd->out],
                    shape_numel(nd->out_shape) * (size_t)n);
}

/* dx0 += dy, dx1 += dy. */
void add_node_backward(Net *net, Backprop *bp, int i, int n)
{
    const Node *nd = &net->nodes[i];
    size_t count = shape_numel(nd->out_shape) * (size_t)n;
    for (int j = 0; j < 2; j++)
        if (nd->in[j] != 0 || bp->want_input_grad) par_elementwise(net->pool, EW_ACC, bp->dact[nd->out], NULL, bp->dact[nd->in[j]], count);
}

void concat_node_forward(Net *net, int i, int n, TrainBufs *tb)
{
    (void)tb;
    const Node *nd = &net->nodes[i];
    const float *xs[NODE_MAX_IN];
    int cs[NODE_MAX_IN];
    for (int j = 0; j < nd->n_in; j++) { xs[j] = net->act[nd->in[j]]; cs[j] = net->tshape[nd->in[j]].c; }
    concat_forward(xs, cs, nd->n_in, net->act[nd->out], n, nd->out_shape.h * nd->out_shape.w);
}

/* dxs[j] += the matching channel block of dy. */
void concat_node_backward(Net *net, Backprop *bp, int i, int n)
{
    const Node *nd = &net->nodes[i];
    float *dxs[NODE_MAX_IN];
    int cs[NODE_MAX_IN];
    for (int j = 0; j < nd->n_in; j++) { dxs[j] = bp->dact[nd->in[j]]; cs[j] = net->tshape[nd->in[j]].c; }
    concat_backward(bp->dact[nd->out], dxs, cs, nd->n_in, n, nd->out_shape.h * nd->out_shape.w);
}
