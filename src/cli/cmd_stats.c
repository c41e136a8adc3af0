/* cmd_stats.c — `mta stats MODEL [--data SPEC] [--width W]`:
 * per-module params/MACs and (folded) shares as TSV on stdout. */
#include <stdio.h>
#include <string.h>

#include "base/check.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "nn/modelfile.h"
#include "nn/stats.h"

static const CliFlagSpec stats_flags[] = {
    {"data", "SPEC", "fmnist", "the data set's input shape and classes: fmnist | idx:DIR | cifar10[:DIR] | cifar100[:DIR] (nothing is loaded)", 0},
    CLI_FLAG_WIDTH,
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_stats_info = {"stats", "MODEL", 1, 1,
                                   "per-module parameters, MACs and folded shares as the reference counts them (TSV)", stats_flags};

int cmd_stats(int argc, char **argv)
{
    if (cli_first_pos_is_lm(argc, argv, 0)) return cmd_lm_stats(argc, argv);
    CliArgs args;
    const CliArgs *flags = &args;
    cli_parse(&cmd_stats_info, argc, argv, 2, &args);
    const char **pos = args.pos;
    const char *spec = cli_get(flags, "data");
    char kind[32];
    snprintf(kind, sizeof kind, "%.*s", (int)strcspn(spec ? spec : "fmnist", ":"), spec ? spec : "fmnist");
    int ch, classes;
    if (dataset_shape_by_name(kind, &ch, &classes))
        die("mta stats: flag --data: unknown data set '%s' (expected fmnist, idx:DIR, cifar10 or cifar100)", spec);
    double width = cli_double(flags, "width", 1.0, 1e-3, 64);
    Net *net = net_load_model(pos[0], (Shape){ch, 32, 32}, classes, width);
    NetStats st;
    net_stats(net, &st);
    net_stats_write_tsv(&st, stdout);
    net_stats_free(&st);
    net_free(net);
    return 0;
}
