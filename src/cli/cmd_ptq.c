/* cmd_ptq.c — `mta ptq CKPT --data SPEC --out TSV [options]`: the 43-configuration PTQ sweep
 * (sweep.h).  Options: --configs INT_8,POT_4,... | all; --calib-batches N (reference 100);
 * --batch B (128); --limit N test images (seeded subset); --select first|seeded;
 * --calib-augment [--calib-crop-pad N --calib-flip 0|1: default the checkpoint's training augmentation]; --seed S; --compat reference; --per-channel; --asymmetric (affine activation observers); --layers TSV; --threads T;
 * --stop-after N (stop as if interrupted after N configurations; a rerun resumes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "nn/checkpoint.h"
#include "nn/eval.h"
#include "quant/sweep.h"

static void parse_configs(const char *s, SweepConfig *sc)
{
    sc->n_configs = 0;
    if (!s || !strcmp(s, "all")) {
        for (int i = 0; i < QUANT_NCONFIGS; i++) sc->configs[sc->n_configs++] = i;
        return;
    }
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int id = quant_config_find(tok);
        if (id < 0) die("flag --configs: unknown configuration '%s' (e.g. INT_8, POT_4, FLOAT_8_E4, or all)", tok);
        for (int j = 0; j < sc->n_configs; j++)
            if (sc->configs[j] == id) die("flag --configs: '%s' given twice", tok);
        sc->configs[sc->n_configs++] = id;
    }
    /* keep the spec's order whatever the order given */
    for (int i = 1; i < sc->n_configs; i++)
        for (int j = i; j > 0 && sc->configs[j - 1] > sc->configs[j]; j--) {
            int t = sc->configs[j];
            sc->configs[j] = sc->configs[j - 1];
            sc->configs[j - 1] = t;
        }
}

int cmd_ptq(int argc, char **argv)
{
    CliFlag flags[] = {{"data", 1, NULL},   {"out", 1, NULL},     {"layers", 1, NULL},        {"configs", 1, NULL},
                       {"calib-batches", 1, NULL}, {"batch", 1, NULL}, {"limit", 1, NULL},  {"select", 1, NULL},
                       {"calib-augment", 0, NULL}, {"seed", 1, NULL}, {"compat", 1, NULL}, {"per-channel", 0, NULL},
                       {"asymmetric", 0, NULL},
                       {"threads", 1, NULL}, {"quiet", 0, NULL},  {"model", 1, NULL},       {"width", 1, NULL},
                       {"stop-after", 1, NULL}, {"calib-crop-pad", 1, NULL}, {"calib-flip", 1, NULL}, {NULL, 0, NULL}};
    const char *pos[1];
    if (cli_parse("ptq", argc, argv, 2, flags, pos, 1) != 1)
        die("usage: mta ptq CKPT --data SPEC --out TSV [--configs LIST] [--calib-batches N] [--limit N] "
            "[--compat reference] [--per-channel] [--asymmetric] [--layers TSV] [--seed S] [--threads T]");
    SweepConfig sc = {0};
    sc.ckpt = pos[0];
    sc.out = cli_get(flags, "out");
    if (!sc.out) die("mta ptq: --out TSV is required");
    static char layers[4200];
    if (cli_get(flags, "layers")) snprintf(layers, sizeof layers, "%s", cli_get(flags, "layers"));
    else {
        snprintf(layers, sizeof layers, "%s", sc.out);
        char *dot = strrchr(layers, '.');
        if (dot && !strcmp(dot, ".tsv")) *dot = 0;
        strncat(layers, ".layers.tsv", sizeof layers - strlen(layers) - 1);
    }
    sc.layers = layers;
    parse_configs(cli_get(flags, "configs"), &sc);
    sc.calib_batches = (int)cli_long(flags, "calib-batches", 100, 1, 100000);
    sc.batch = (int)cli_long(flags, "batch", 128, 1, 4096);
    sc.limit = cli_long(flags, "limit", 0, 1, 1L << 30);
    const char *sel = cli_get(flags, "select");
    if (sel && strcmp(sel, "first") && strcmp(sel, "seeded")) die("flag --select: '%s' (expected first or seeded)", sel);
    sc.select_first = sel && !strcmp(sel, "first");
    sc.calib_augment = cli_get(flags, "calib-augment") != NULL;
    sc.seed = cli_u64(flags, "seed", 1);
    const char *compat = cli_get(flags, "compat");
    if (compat && strcmp(compat, "reference") && strcmp(compat, "none"))
        die("flag --compat: '%s' (expected reference or none)", compat);
    sc.opt = ptq_options(compat && !strcmp(compat, "reference"));
    sc.opt.per_channel = cli_get(flags, "per-channel") != NULL;
    sc.opt.asym_act = cli_get(flags, "asymmetric") != NULL;
    sc.quiet = cli_get(flags, "quiet") != NULL;
    sc.stop_after = (int)cli_long(flags, "stop-after", 0, 0, 64);
    int threads = cli_threads(flags);
    Dataset ds;
    cli_load_data(flags, &ds);
    CkptInfo info;
    char err[1024];
    Net *net = ckpt_load(pos[0], cli_get(flags, "model"), cli_double(flags, "width", 1.0, 1e-3, 64),
                         (Shape){ds.test.c, ds.test.h, ds.test.w}, ds.classes, &info, err, sizeof err);
    if (!net) die("%s", err);
    if (net->input.c != ds.test.c || net->classes != ds.classes)
        die("%s: the model takes %d channels and %d classes, data set %s has %d and %d", pos[0], net->input.c,
            net->classes, ds.kind, ds.test.c, ds.classes);
    /* --calib-augment: the checkpoint's training crop/flip unless given; the reference's
     * CIFAR recipe (crop 4, flip) for checkpoints that do not say */
    sc.calib_aug.crop_pad = (int)cli_long(flags, "calib-crop-pad", info.has_aug ? info.aug.crop_pad : 4, 0, 64);
    sc.calib_aug.flip = (int)cli_long(flags, "calib-flip", info.has_aug ? info.aug.flip : 1, 0, 1);
    if (!sc.calib_augment && (cli_get(flags, "calib-crop-pad") || cli_get(flags, "calib-flip")))
        die("flags --calib-crop-pad / --calib-flip need --calib-augment");
    if (info.has_norm) {
        memcpy(ds.mean, info.mean, sizeof ds.mean);
        memcpy(ds.std, info.std, sizeof ds.std);
    }
    net_set_threads(net, threads);
    net_alloc_acts(net, sc.batch);
    sweep_run(net, &ds, &sc);
    net_free(net);
    dataset_free(&ds);
    return 0;
}
