/* cmd_grad_sim.c — `mta grad-sim CKPT --out TSV [--images N]`: the gradient-similarity probe,
 * how far the straight-through training gradient of every quantized configuration points away
 * from the full-precision one at the trained checkpoint, on the calibration images with the
 * full-precision top-1 as labels (quant/grad_sim.h). */
#include <stdio.h>
#include <string.h>

#include "base/check.h"
#include "cli/cli.h"
#include "cli/cli_sweep.h"
#include "cli/commands.h"
#include "quant/grad_sim.h"
#include "train/backprop.h"

static const CliFlagSpec grad_sim_flags[] = {
    CLI_FLAG_DATA,
    {"out", "TSV", NULL, "the table: one row per configuration", 1},
    {"images", "N", "all", "gradients on the first N calibration images (at most --calib-batches x --batch)", 0},
    CLI_FLAGS_SWEEP_CALIB,
    {"seed", "S", "1", "seed of the image selection (the sweep's)", 0},
    CLI_FLAG_MODEL,
    CLI_FLAG_CKPT_WIDTH,
    CLI_FLAG_THREADS,
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_grad_sim_info = {"grad-sim", "CKPT", 1, 1,
                                      "gradient similarity of every quantized configuration to full precision at the "
                                      "checkpoint (pseudo-labels: no label read)",
                                      grad_sim_flags};

int cmd_grad_sim(int argc, char **argv)
{
    CliArgs args;
    const CliArgs *flags = &args;
    cli_parse(&cmd_grad_sim_info, argc, argv, 2, &args);
    SweepConfig sc;
    cli_sweep_calib(flags, args.pos[0], &sc);
    int ncal = sc.calib_batches * sc.batch;
    const char *im = cli_get(flags, "images");
    int images = im && strcmp(im, "all") ? (int)cli_long(flags, "images", ncal, 1, ncal) : ncal;
    int threads = cli_threads(flags);
    Dataset ds;
    CkptInfo info;
    Net *net = cli_open(flags, args.pos[0], &ds, &info, threads);
    net_alloc_acts(net, sc.batch);
    Backprop *bp = backprop_new(net, sc.batch);
    gs_run(net, bp, &ds, &sc, images, cli_get(flags, "out"));
    backprop_free(bp, net);
    net_free(net);
    dataset_free(&ds);
    return 0;
}
