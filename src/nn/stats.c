/* stats.c — complexity counts and folded shares (see stats.h).
 *
 * Counting rules (ptflops, as the reference's param_flops reports):
 *   Conv2d   params = out*(in/g)*k*k (+out with bias); MACs = k*k*(in/g)*out*Ho*Wo (+out*Ho*Wo)
 *   BatchNorm2d params = 2C, MACs = 2 * elements;  ReLU/ReLU6 MACs = output elements
 *   MaxPool2d / AdaptiveAvgPool2d MACs = input elements;  Linear params = MACs = in*out (+out)
 *   Dropout 0/0.  Flatten, softmax, add and concat are not modules.
 * Shares are 100*layer/total rounded to 3 decimals (the printed values the reference parses).
 * Folding (reference fold_ratio, quirk Q3): a conv with a BN partner gets its BN's share and
 * then its activation's; bare convs and FC layers keep their own; everything else gets 0.
 */
#include "nn/stats.h"

#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "nn/ops.h"

struct StatSink { NetStats *st; int cap; };

void stat_sink_push(StatSink *rl, const char *name, const char *type, int node, int64_t params, int64_t macs)
{
    if (rl->st->n == rl->cap) {
        rl->cap = rl->cap ? 2 * rl->cap : 64;
        rl->st->rows = xrealloc(rl->st->rows, sizeof(StatRow) * (size_t)rl->cap);
    }
    StatRow *r = &rl->st->rows[rl->st->n++];
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->type = type;
    r->node = node;
    r->params = params;
    r->macs = macs;
}

/* Round a share to the 3 decimals the reference prints and parses back. */
static double printed_pct(int64_t part, int64_t total)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.3f", total ? 100.0 * (double)part / (double)total : 0.0);
    return strtod(buf, NULL);
}

void net_stats(const Net *net, NetStats *st)
{
    memset(st, 0, sizeof *st);
    StatSink sink = {st, 0};
    for (int i = 0; i < net->n_nodes; i++)   /* the rows of each node's modules, op table order */
        if (op_impl[net->nodes[i].op].stats) op_impl[net->nodes[i].op].stats(net, i, &sink);
    for (int r = 0; r < st->n; r++) { st->params += st->rows[r].params; st->macs += st->rows[r].macs; }
    for (int r = 0; r < st->n; r++) {
        StatRow *row = &st->rows[r];
        row->param_pct = printed_pct(row->params, st->params);
        row->mac_pct = printed_pct(row->macs, st->macs);
    }
    /* fold in list order: conv + bn + act (only when the conv has a BN); linear keeps its own */
    for (int r = 0; r < st->n; r++) {
        StatRow *row = &st->rows[r];
        const Node *nd = &net->nodes[row->node];
        if (!strcmp(row->type, "Linear") || (!strcmp(row->type, "Conv2d") && !nd->has_bn)) {
            row->param_pct_folded = row->param_pct;
            row->mac_pct_folded = row->mac_pct;
        } else if (!strcmp(row->type, "Conv2d")) {
            double p = row->param_pct, m = row->mac_pct;
            int parts = 1 + (nd->act_name[0] ? 1 : 0);
            for (int j = 1; j <= parts && r + j < st->n; j++) {
                CHECK(st->rows[r + j].node == row->node, "partner rows follow their conv");
                p += st->rows[r + j].param_pct;
                m += st->rows[r + j].mac_pct;
            }
            row->param_pct_folded = p;
            row->mac_pct_folded = m;
        }
        st->param_pct_folded += row->param_pct_folded;
        st->mac_pct_folded += row->mac_pct_folded;
    }
}

void net_stats_free(NetStats *st)
{
    if (!st) return;
    free(st->rows);
    memset(st, 0, sizeof *st);
}

void net_stats_write_tsv(const NetStats *st, FILE *f)
{
    fprintf(f, "layer\ttype\tparams\tmacs\tparam_pct\tmac_pct\tparam_pct_folded\tmac_pct_folded\n");
    for (int r = 0; r < st->n; r++) {
        const StatRow *row = &st->rows[r];
        fprintf(f, "%s\t%s\t%lld\t%lld\t%.3f\t%.3f\t%.3f\t%.3f\n", row->name, row->type, (long long)row->params,
                (long long)row->macs, row->param_pct, row->mac_pct, row->param_pct_folded, row->mac_pct_folded);
    }
    fprintf(f, "total\t-\t%lld\t%lld\t100.000\t100.000\t%.3f\t%.3f\n", (long long)st->params, (long long)st->macs,
            st->param_pct_folded, st->mac_pct_folded);
}

int net_stats_layer_share(const NetStats *st, int node, double *param_pct, double *mac_pct)
{
    for (int r = 0; r < st->n; r++)
        if (st->rows[r].node == node && (!strcmp(st->rows[r].type, "Conv2d") || !strcmp(st->rows[r].type, "Linear"))) {
            *param_pct = st->rows[r].param_pct_folded;
            *mac_pct = st->rows[r].mac_pct_folded;
            return 1;
        }
    *param_pct = *mac_pct = 0;
    return 0;
}

/* ptflops' number format: 2 decimals, trailing zeros dropped (at least one kept). */
static double printed_2dp(double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.2f", v);
    return strtod(buf, NULL);
}

double stats_mac_parsed(int64_t macs)
{
    double m = (double)macs;
    if (m >= 1e9) return printed_2dp(m / 1e9) * 1024.0;
    if (m >= 1e6) return printed_2dp(m / 1e6);
    if (m >= 1e3) return printed_2dp(m / 1e3) / 1000.0;
    return m / 1e6;
}

double stats_param_parsed(int64_t params)
{
    double p = (double)params;
    if (p >= 1e6) return printed_2dp(p / 1e6);
    if (p >= 1e3) return printed_2dp(p / 1e3) / 1024.0;
    return p / 1e6;
}
