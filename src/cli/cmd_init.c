/* cmd_init.c — `mta init MODEL --seed S --out CKPT [--data SPEC] [--width W]`:
 * a checkpoint with PyTorch-style default initialization, self-describing for the data set. */
#include <stdio.h>
#include <string.h>

#include "base/check.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "nn/checkpoint.h"
#include "nn/init.h"
#include "nn/modelfile.h"

static const CliFlagSpec init_flags[] = {
    {"out", "CKPT", NULL, "the checkpoint to write (safetensors)", 1},
    {"seed", "S", "1", "seed of the initialization", 0},
    CLI_FLAG_DATA,
    CLI_FLAG_WIDTH,
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_init_info = {"init", "MODEL", 1, 1, "a checkpoint with PyTorch-style default initialization", init_flags};

int cmd_init(int argc, char **argv)
{
    CliArgs args;
    const CliArgs *flags = &args;
    cli_parse(&cmd_init_info, argc, argv, 2, &args);
    const char **pos = args.pos;
    const char *out = cli_get(flags, "out");
    uint64_t seed = cli_u64(flags, "seed", 1);
    double width = cli_double(flags, "width", 1.0, 1e-3, 64);
    Dataset ds;
    cli_load_data(flags, &ds);
    Net *net = net_load_model(pos[0], (Shape){ds.train.c, ds.train.h, ds.train.w}, ds.classes, width);
    Rng rng;
    rng_seed(&rng, seed);
    net_init_params(net, &rng);
    CkptInfo info = {.has_norm = 1, .seed = seed};
    snprintf(info.dataset, sizeof info.dataset, "%s", ds.kind);
    memcpy(info.mean, ds.mean, sizeof info.mean);
    memcpy(info.std, ds.std, sizeof info.std);
    char err[1024];
    if (ckpt_save(net, &info, out, err, sizeof err)) die("%s", err);
    fprintf(stderr, "mta init: %s (%s, width %g, %zu parameters, seed %llu%s) -> %s\n", net->model_name, ds.kind, width,
            net->pnumel, (unsigned long long)seed, cli_get(flags, "seed") ? "" : ", the default", out);
    net_free(net);
    dataset_free(&ds);
    return 0;
}
