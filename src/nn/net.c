/* net.c — activation buffers and the eval-mode forward pass of a Net (see net.h). */
#include "nn/net.h"

#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/parallel.h"
#include "nn/conv.h"
#include "nn/layers.h"
#include "nn/par_ops.h"

static const char *const op_names[OP__COUNT] = {
    [OP_CONV] = "conv", [OP_LINEAR] = "linear", [OP_RELU] = "relu", [OP_RELU6] = "relu6",
    [OP_MAXPOOL] = "maxpool", [OP_AVGPOOL] = "avgpool", [OP_FLATTEN] = "flatten",
    [OP_DROPOUT] = "dropout", [OP_SOFTMAX] = "softmax", [OP_ADD] = "add", [OP_CONCAT] = "concat",
};
_Static_assert(sizeof op_names / sizeof op_names[0] == OP__COUNT, "op_names matches OpKind");

const char *op_name(OpKind op) { return op >= 0 && op < OP__COUNT ? op_names[op] : "?"; }

float *net_param(const Net *net, int idx) { return idx < 0 ? NULL : net->pdata + net->params[idx].off; }

int net_find_param(const Net *net, const char *name)
{
    for (int i = 0; i < net->n_params; i++)
        if (!strcmp(net->params[i].name, name)) return i;
    return -1;
}

static ConvGeom node_geom(const Node *nd)
{
    return conv_geom(nd->in_shape.c, nd->in_shape.h, nd->in_shape.w, nd->out_shape.c, nd->k, nd->stride,
                     nd->pad, nd->groups);
}

static void free_acts(Net *net)
{
    if (!net->act) return;
    for (int t = 0; t < net->n_tensors; t++) {
        int alias = t > 0 && net->nodes[t - 1].op == OP_FLATTEN;
        if (!alias) free(net->act[t]);
    }
    free(net->act);
    net->act = NULL;
    free(net->work);
    net->work = NULL;
    net->work_floats = 0;
}

size_t net_act_bytes_per_sample(const Net *net)
{
    size_t s = 0;
    for (int t = 0; t < net->n_tensors; t++)
        if (!(t > 0 && net->nodes[t - 1].op == OP_FLATTEN)) s += shape_numel(net->tshape[t]) * sizeof(float);
    return s;
}

void net_alloc_acts(Net *net, int max_batch)
{
    CHECK(max_batch > 0, "max_batch %d", max_batch);
    free_acts(net);
    net->max_batch = max_batch;
    net->act = xcalloc((size_t)net->n_tensors, sizeof(float *));
    for (int t = 0; t < net->n_tensors; t++) {
        if (t > 0 && net->nodes[t - 1].op == OP_FLATTEN) net->act[t] = net->act[net->nodes[t - 1].in[0]];
        else net->act[t] = xmalloc(shape_numel(net->tshape[t]) * (size_t)max_batch * sizeof(float));
    }
    size_t wf = 0;
    int T = net->threads > 0 ? net->threads : 1;
    for (int i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].op == OP_CONV) {
            ConvGeom g = node_geom(&net->nodes[i]);
            size_t f = par_conv_work(&g, max_batch, T);
            if (f > wf) wf = f;
        }
    net->work_floats = wf;
    net->work = xmalloc((wf ? wf * (size_t)T : 1) * sizeof(float));
}

#define BN_MOMENTUM 0.1f

void net_forward_node(Net *net, int i, int n, TrainBufs *tb)
{
    const Node *nd = &net->nodes[i];
    const float *x = net->act[nd->in[0]];
    float *y = net->act[nd->out];
    Shape is = nd->in_shape, os = nd->out_shape;
    size_t count = shape_numel(os) * (size_t)n;
    ThreadPool *p = net->pool;
    switch (nd->op) {
    case OP_CONV: {
        ConvGeom g = node_geom(nd);
        float *c = tb && nd->has_bn ? tb->pre[i] : y;   /* training keeps the conv output for BN's backward */
        par_conv_forward(p, &g, x, net_param(net, nd->pw), net_param(net, nd->pb), c, n, net->work, net->work_floats);
        if (nd->has_bn && tb)   /* batch statistics, activation fused in */
            par_bn_train(p, c, y, n, os.c, os.h * os.w, net_param(net, nd->pgamma), net_param(net, nd->pbeta),
                         net_param(net, nd->pmean), net_param(net, nd->pvar), BN_MOMENTUM, tb->bn_mean[i],
                         tb->bn_invstd[i], (int)nd->act);
        else {
            if (nd->has_bn)
                par_bn_eval(p, y, y, n, os.c, os.h * os.w, net_param(net, nd->pgamma), net_param(net, nd->pbeta),
                            net_param(net, nd->pmean), net_param(net, nd->pvar));
            if (nd->act == ACT_RELU) par_elementwise(p, EW_RELU, y, NULL, y, count);
            else if (nd->act == ACT_RELU6) par_elementwise(p, EW_RELU6, y, NULL, y, count);
        }
        break;
    }
    case OP_LINEAR:
        par_linear_forward(p, x, net_param(net, nd->pw), net_param(net, nd->pb), y, n, is.c, os.c);
        break;
    case OP_RELU: par_elementwise(p, EW_RELU, x, NULL, y, count); break;
    case OP_RELU6: par_elementwise(p, EW_RELU6, x, NULL, y, count); break;
    case OP_MAXPOOL:
        par_maxpool_forward(p, x, y, tb ? tb->arg[i] : NULL, n, is.c, is.h, is.w, nd->k, nd->stride, nd->pad, os.h, os.w);
        break;
    case OP_AVGPOOL: par_avgpool_forward(p, x, y, n, is.c, is.h * is.w); break;
    case OP_FLATTEN: break; /* y aliases x */
    case OP_DROPOUT:
        if (tb) dropout_forward_train(x, y, tb->mask[i], count, nd->p, tb->rng);
        else par_elementwise(p, EW_COPY, x, NULL, y, count); /* identity in eval */
        break;
    case OP_SOFTMAX: softmax_forward(x, y, n, os.c); break;
    case OP_ADD: par_elementwise(p, EW_ADD, x, net->act[nd->in[1]], y, count); break;
    case OP_CONCAT: {
        const float *xs[NODE_MAX_IN];
        int cs[NODE_MAX_IN];
        for (int j = 0; j < nd->n_in; j++) { xs[j] = net->act[nd->in[j]]; cs[j] = net->tshape[nd->in[j]].c; }
        concat_forward(xs, cs, nd->n_in, y, n, os.h * os.w);
        break;
    }
    default: CHECK(0, "unknown op %d", nd->op);
    }
}

const float *net_forward(Net *net, const float *x, int n)
{
    CHECK(net->act && n >= 1 && n <= net->max_batch, "batch %d, buffers for %d", n, net->max_batch);
    memcpy(net->act[0], x, shape_numel(net->input) * (size_t)n * sizeof(float));
    for (int i = 0; i < net->n_nodes; i++) net_forward_node(net, i, n, NULL);
    return net->act[net->n_tensors - 1];
}

void net_set_threads(Net *net, int threads)
{
    pool_free(net->pool);
    net->threads = threads < 1 ? 1 : threads;
    net->pool = pool_new(net->threads);
}

void net_free(Net *net)
{
    if (!net) return;
    pool_free(net->pool);
    free_acts(net);
    free(net->model_text);
    free(net->nodes);
    free(net->params);
    free(net->pdata);
    free(net->tshape);
    free(net);
}
