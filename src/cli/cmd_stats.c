/* cmd_stats.c — `mta stats MODEL [--dataset cifar10|cifar100|fmnist] [--width W]`:
 * per-module params/MACs and (folded) shares as TSV on stdout. */
#include <stdio.h>

#include "base/check.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "nn/modelfile.h"
#include "nn/stats.h"

int cmd_stats(int argc, char **argv)
{
    CliFlag flags[] = {{"dataset", 1, NULL}, {"width", 1, NULL}, {NULL, 0, NULL}};
    const char *pos[1];
    if (cli_parse("stats", argc, argv, 2, flags, pos, 1) != 1) die("usage: mta stats MODEL [--dataset cifar10|cifar100|fmnist] [--width W]");
    const char *dsname = cli_get(flags, "dataset");
    int ch, classes;
    if (dataset_shape_by_name(dsname ? dsname : "cifar10", &ch, &classes))
        die("flag --dataset: unknown data set '%s' (expected cifar10, cifar100 or fmnist)", dsname);
    double width = cli_double(flags, "width", 1.0, 1e-3, 64);
    Net *net = net_load_model(pos[0], (Shape){ch, 32, 32}, classes, width);
    NetStats st;
    net_stats(net, &st);
    net_stats_write_tsv(&st, stdout);
    net_stats_free(&st);
    net_free(net);
    return 0;
}
