/* bnstat.c — the BN-statistics loss (see bnstat.h). */
#include "train/bnstat.h"

#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "nn/layers.h"

void bnstat_init(BnStat *s, Net *net, int max_batch)
{
    memset(s, 0, sizeof *s);
    s->net = net;
    s->nodes = xmalloc((size_t)(net->n_nodes ? net->n_nodes : 1) * sizeof(int));
    s->pre_grad = xcalloc((size_t)(net->n_nodes ? net->n_nodes : 1), sizeof(float *));
    for (int i = 0; i < net->n_nodes; i++)
        if (net->nodes[i].op == OP_CONV && net->nodes[i].has_bn) {
            s->nodes[s->L++] = i;
            s->pre_grad[i] = xmalloc(shape_numel(net->nodes[i].out_shape) * (size_t)max_batch * sizeof(float));
        }
}

void bnstat_free(BnStat *s)
{
    if (!s->pre_grad) return;
    for (int i = 0; i < s->net->n_nodes; i++) free(s->pre_grad[i]);
    free(s->pre_grad);
    free(s->nodes);
    memset(s, 0, sizeof *s);
}

double bnstat_loss(BnStat *s, const Backprop *bp, int n, float weight)
{
    if (s->L == 0) return 0.0;
    double total = 0;
    for (int l = 0; l < s->L; l++) {
        const Net *net = s->net;
        int i = s->nodes[l];
        const Node *nd = &net->nodes[i];
        int C = nd->out_shape.c, hw = nd->out_shape.h * nd->out_shape.w;
        const float *x = bp->tb.pre[i], *rm = net_param(net, nd->pmean), *rv = net_param(net, nd->pvar);
        float *d = s->pre_grad[i];
        double m = (double)n * hw, layer = 0;
        for (int c = 0; c < C; c++) {
            double sum = 0, ss = 0;
            for (int b = 0; b < n; b++) {
                const float *p = x + ((size_t)b * C + c) * hw;
                for (int j = 0; j < hw; j++) sum += p[j];
            }
            double mu = sum / m;
            for (int b = 0; b < n; b++) {
                const float *p = x + ((size_t)b * C + c) * hw;
                for (int j = 0; j < hw; j++) ss += (p[j] - mu) * (p[j] - mu);
            }
            double var = ss / m, dm = mu - rm[c], dv = var - rv[c];
            layer += dm * dm + dv * dv;
            /* d/dX of (dm^2 + dv^2) / (L C): 2 dm / m + 2 dv * 2 (X - mu) / m, over L C */
            double k = (double)weight / ((double)s->L * C);
            float a = (float)(k * 2.0 * dm / m), bcoef = (float)(k * 4.0 * dv / m), fmu = (float)mu;
            for (int b = 0; b < n; b++) {
                const float *p = x + ((size_t)b * C + c) * hw;
                float *q = d + ((size_t)b * C + c) * hw;
                for (int j = 0; j < hw; j++) q[j] = a + bcoef * (p[j] - fmu);
            }
        }
        total += layer / C;
    }
    return total / s->L;
}

double teacher_gen_grad(Net *net, Backprop *bp, BnStat *s, const float *x, const int *y, const float *t, int n,
                        float bns_weight, float *dx, float *dlogits, double *bns, int *correct)
{
    CHECK(n >= 1 && n <= bp->max_batch, "teacher batch %d, buffers for %d", n, bp->max_batch);
    bp->input_only = 1;
    bp->want_input_grad = 1;
    bp->tb.keep_pre = 1;
    const float *out = net_forward_train(net, bp, x, n, NULL);
    int C = net->classes, ok = 0;
    for (int b = 0; b < n; b++) {
        const float *z = out + (size_t)b * C;
        int arg = 0;
        for (int k = 1; k < C; k++) if (z[k] > z[arg]) arg = k;
        ok += arg == y[b];
    }
    double ce = t ? softmax_xent_soft(out, t, n, C, dlogits) : softmax_xent(out, y, n, C, dlogits);
    *bns = bnstat_loss(s, bp, n, bns_weight);
    bp->pre_grad = s->L ? s->pre_grad : NULL;
    net_backward(net, bp, dlogits, n);
    bp->pre_grad = NULL;
    bp->tb.keep_pre = 0;
    memcpy(dx, bp->dact[0], shape_numel(net->input) * (size_t)n * sizeof(float));
    *correct = ok;
    return ce;
}
