/* net.c — a Net's parameters, activation buffers and threads (see net.h; the forward and
 * backward walks are in graph.c). */
#include "nn/net.h"

#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/parallel.h"
#include "nn/conv.h"
#include "nn/ops.h"
#include "nn/par_ops.h"

const char *op_name(OpKind op) { return op >= 0 && op < OP__COUNT ? op_impl[op].name : "?"; }

float *net_param(const Net *net, int idx) { return idx < 0 ? NULL : net->pdata + net->params[idx].off; }

int net_find_param(const Net *net, const char *name)
{
    for (int i = 0; i < net->n_params; i++)
        if (!strcmp(net->params[i].name, name)) return i;
    return -1;
}

int net_tensor_aliases(const Net *net, int t) { return t > 0 && op_impl[net->nodes[t - 1].op].aliases_input; }

static void free_acts(Net *net)
{
    if (!net->act) return;
    for (int t = 0; t < net->n_tensors; t++) {
        if (!net_tensor_aliases(net, t)) free(net->act[t]);
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
        if (!net_tensor_aliases(net, t)) s += shape_numel(net->tshape[t]) * sizeof(float);
    return s;
}

void net_alloc_acts(Net *net, int max_batch)
{
    CHECK(max_batch > 0, "max_batch %d", max_batch);
    free_acts(net);
    net->max_batch = max_batch;
    net->act = xcalloc((size_t)net->n_tensors, sizeof(float *));
    for (int t = 0; t < net->n_tensors; t++) {
        if (net_tensor_aliases(net, t)) net->act[t] = net->act[net->nodes[t - 1].in[0]];
        else net->act[t] = xmalloc(shape_numel(net->tshape[t]) * (size_t)max_batch * sizeof(float));
    }
    size_t wf = 0;
    int T = net->threads > 0 ? net->threads : 1;
    for (int i = 0; i < net->n_nodes; i++)
        if (op_impl[net->nodes[i].op].work) {
            size_t f = op_impl[net->nodes[i].op].work(net, i, max_batch, T, 0, NULL);
            if (f > wf) wf = f;
        }
    net->work_floats = wf;
    net->work = xmalloc((wf ? wf * (size_t)T : 1) * sizeof(float));
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
