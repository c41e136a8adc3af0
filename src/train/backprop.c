/* backprop.c — the buffers of the training passes (see backprop.h). */
#include "train/backprop.h"

#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "nn/ops.h"
#include "nn/par_ops.h"

int param_trainable(const Param *p) { return p->kind != PARAM_BN_MEAN && p->kind != PARAM_BN_VAR; }

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
        bp->dact[t] = net_tensor_aliases(net, t) ? bp->dact[net->nodes[t - 1].in[0]] : xmalloc(sz * sizeof(float));
    }
    for (int i = 0; i < nn; i++) {
        const Node *nd = &net->nodes[i];
        if (op_impl[nd->op].cache) op_impl[nd->op].cache(net, i, max_batch, &bp->tb);
        if (op_impl[nd->op].work) {   /* backward scratch and per-thread partial gradients */
            size_t nw = 0, f = op_impl[nd->op].work(net, i, max_batch, T, 1, &nw);
            if (f > wf) wf = f;
            if (nw > wmax) wmax = nw;
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
        if (!net_tensor_aliases(net, t)) free(bp->dact[t]);
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
