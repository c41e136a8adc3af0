/* stats.h — parameter and MAC counts per module, as the reference's complexity report
 * (ptflops) counts them, with the reference's folding of BN/ReLU shares into convs
 * (spec ptq-engine §1.8–§1.9).
 *
 * Why the folded shares do not sum to 100 (the `total` row's last two columns, e.g. 99.338 %
 * of the MACs for ResNet_18 at width 1/16): the reference's rule folds a BN's share, and then
 * the following ReLU's, into a conv only when that conv has a BN; linear layers keep their own
 * share.  Modules that no quantized layer absorbs keep their share outside the folded column:
 * max and average pools, the ReLU after a residual add (`ml*_blk*_relu1`), the ReLUs after
 * AlexNet's and Inception's bare convs and after linear layers, dropout (0).  Those shares
 * weight nothing in the *_flops / *_param metrics, exactly as in the reference (quirk Q3).
 */
#ifndef MTA_STATS_H
#define MTA_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "nn/net.h"

typedef struct {
    char name[NAME_MAX_LEN];   /* module name, e.g. conv0, bn0, relu0, ml1_blk0_ds_conv0 */
    const char *type;          /* PyTorch class: Conv2d, BatchNorm2d, ReLU, ReLU6, MaxPool2d, ... */
    int node;                  /* node the module belongs to */
    int64_t params, macs;
    double param_pct, mac_pct;             /* printed-precision (3 decimals) shares, percent */
    double param_pct_folded, mac_pct_folded; /* share used as the layer's weight; 0 if folded away */
} StatRow;

typedef struct {
    StatRow *rows; int n;      /* owned */
    int64_t params, macs;      /* totals */
    double param_pct_folded, mac_pct_folded;   /* sums of the folded shares */
} NetStats;

/* Count every module of the network in registration order (batch 1). */
void net_stats(const Net *net, NetStats *st);
void net_stats_free(NetStats *st);
/* TSV: header, one row per module, then a `total` row. */
void net_stats_write_tsv(const NetStats *st, FILE *f);
/* The reference's parsed totals (§1.9, quirk Q2): MACs printed as ptflops does ("70.08 MMac",
 * "1.46 GMac") and read back in MMac, with G counted as 1024 M (and K as 1/1000 M, which the
 * reference never needed); params in M with k counted as 1/1024 M. */
double stats_mac_parsed(int64_t macs);
double stats_param_parsed(int64_t params);
/* Folded (param%, mac%) shares of the conv/linear node `node`, or 0 if none. */
int net_stats_layer_share(const NetStats *st, int node, double *param_pct, double *mac_pct);

#endif
