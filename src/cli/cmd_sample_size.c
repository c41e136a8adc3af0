/* cmd_sample_size.c — `mta sample-size CKPT --out TSV [--sizes LIST] [--pool P] [--draws D]`:
 * the label-free metrics of every configuration on disjoint draws of N unlabelled images, the
 * quantized network calibrated as the sweep calibrates it (quant/sample_size.h). */
#include <stdio.h>
#include <string.h>

#include "base/check.h"
#include "cli/cli.h"
#include "cli/cli_sweep.h"
#include "cli/commands.h"
#include "quant/sample_size.h"

static const CliFlagSpec sample_size_flags[] = {
    CLI_FLAG_DATA,
    {"out", "TSV", NULL, "the table: one row per configuration, size and draw", 1},
    {"sizes", "LIST", "32,128,512,2048", "draw sizes N, ascending", 0},
    {"pool", "P", "4096", "unlabelled training images after the calibration ones, cut into the draws", 0},
    {"draws", "D", "8", "at most D disjoint draws per size (fewer when P / N is smaller)", 0},
    CLI_FLAGS_SWEEP_CALIB,
    {"seed", "S", "1", "seed of the image selection (the sweep's) and of the draws", 0},
    CLI_FLAG_MODEL,
    CLI_FLAG_CKPT_WIDTH,
    CLI_FLAG_THREADS,
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_sample_size_info = {"sample-size", "CKPT", 1, 1,
                                         "label-free metrics on disjoint draws of N unlabelled images (how many images a "
                                         "label-free predictor needs)",
                                         sample_size_flags};

int cmd_sample_size(int argc, char **argv)
{
    CliArgs args;
    const CliArgs *flags = &args;
    cli_parse(&cmd_sample_size_info, argc, argv, 2, &args);
    SweepConfig sc;
    cli_sweep_calib(flags, args.pos[0], &sc);
    SampleSizeConfig ss = {0};
    ss_parse_sizes(cli_get(flags, "sizes") ? cli_get(flags, "sizes") : "32,128,512,2048", &ss);
    ss.pool = (int)cli_long(flags, "pool", 4096, 1, 1 << 24);
    ss.draws = (int)cli_long(flags, "draws", 8, 1, 1 << 20);
    int threads = cli_threads(flags);
    Dataset ds;
    CkptInfo info;
    Net *net = cli_open(flags, args.pos[0], &ds, &info, threads);
    net_alloc_acts(net, sc.batch);
    ss_run(net, &ds, &sc, &ss, cli_get(flags, "out"));
    net_free(net);
    dataset_free(&ds);
    return 0;
}
