/* init.c — default parameter initialization (see init.h). */
#include "nn/init.h"

#include <math.h>

void net_init_params(Net *net, Rng *rng)
{
    for (int i = 0; i < net->n_params; i++) {
        const Param *p = &net->params[i];
        const Node *nd = &net->nodes[p->node];
        float *v = net->pdata + p->off;
        double fan_in = nd->op == OP_CONV ? (double)(nd->in_shape.c / nd->groups) * nd->k * nd->k : nd->in_shape.c;
        float bound = (float)(1.0 / sqrt(fan_in));
        float fill = 0;
        switch (p->kind) {
        case PARAM_WEIGHT:
        case PARAM_BIAS:
            for (size_t j = 0; j < p->numel; j++) v[j] = (2.0f * rng_uniform(rng) - 1.0f) * bound;
            continue;
        case PARAM_BN_GAMMA: case PARAM_BN_VAR: fill = 1; break;
        case PARAM_BN_BETA: case PARAM_BN_MEAN: fill = 0; break;
        }
        for (size_t j = 0; j < p->numel; j++) v[j] = fill;
    }
    net->bn_batches = 0;
}

void net_init_params_kaiming(Net *net, Rng *rng)
{
    net_init_params(net, rng);
    for (int i = 0; i < net->n_params; i++) {
        const Param *p = &net->params[i];
        const Node *nd = &net->nodes[p->node];
        float *v = net->pdata + p->off;
        double fan_in = nd->op == OP_CONV ? (double)(nd->in_shape.c / nd->groups) * nd->k * nd->k : nd->in_shape.c;
        if (p->kind == PARAM_WEIGHT) {
            double sd = sqrt(2.0 / fan_in);
            for (size_t j = 0; j < p->numel; j++) v[j] = (float)(sd * rng_normal(rng));
        } else if (p->kind == PARAM_BIAS) {
            for (size_t j = 0; j < p->numel; j++) v[j] = 0;
        }
    }
}
