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
#include "base/fileio.h"
#include "quant/sweep.h"
#include "train/gen_train.h"

static const CliFlagSpec ptq_flags[] = {
    CLI_FLAG_DATA,
    {"out", "TSV", NULL, "the results table, one row per configuration (also OUT.settings.tsv)", 1},
    {"calib-data", "train|gen:GEN", "train", "calibrate on training images, or on images of a generator (mta gen): "
                                           "data-free PTQ", 0},
    {"gen-batch", "B", "128", "with --calib-data gen: images per generator batch (its BN uses the batch's statistics)", 0},
    {"layers", "TSV", "OUT with .layers.tsv", "the per-layer table", 0},
    {"configs", "LIST|all", "all", "configurations, e.g. INT_8,POT_4,FLOAT_8_E4 (run in the canonical order)", 0},
    {"calib-batches", "N", "100", "calibration batches (the reference's 100)", 0},
    {"batch", "B", "128", "batch size of calibration and evaluation", 0},
    {"limit", "N", "0 (all)", "evaluate N test images (a seeded subset)", 0},
    {"select", "first|seeded", "seeded", "which calibration and test images", 0},
    {"calib-augment", NULL, "off", "augment the calibration images with the training crop/flip", 0},
    {"calib-crop-pad", "P", "the checkpoint's, else 4", "crop padding of --calib-augment", 0},
    {"calib-flip", "0|1", "the checkpoint's, else 1", "flips of --calib-augment", 0},
    {"seed", "S", "1", "seed of the image selection and augmentation", 0},
    {"compat", "reference|none", "none", "every behaviour of the reference at once (quirks Q5-Q9, f32 JS)", 0},
    {"per-channel", NULL, "off", "one weight scale per output channel", 0},
    {"asymmetric", NULL, "off", "affine activation observers (a zero point)", 0},
    CLI_FLAG_MODEL,
    CLI_FLAG_CKPT_WIDTH,
    CLI_FLAG_THREADS,
    {"quiet", NULL, "off", "no per-configuration lines on stderr", 0},
    {"stop-after", "N", "0 (no)", "stop after N configurations as an interrupted run would (tests of the resume)", 0},
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_ptq_info = {"ptq", "CKPT", 1, 1,
                                 "post-training quantization in every INT/POT/FLOAT configuration: accuracy and similarity tables "
                                 "(a language-model checkpoint gets the perplexity sweep: mta ptq LM_CKPT --help)",
                                 ptq_flags};

int cmd_ptq(int argc, char **argv)
{
    if (cli_first_pos_is_lm(argc, argv, 1)) return cmd_lm_ptq(argc, argv);
    CliArgs args;
    const CliArgs *flags = &args;
    cli_parse(&cmd_ptq_info, argc, argv, 2, &args);
    const char **pos = args.pos;
    SweepConfig sc = {0};
    sc.ckpt = pos[0];
    sc.out = cli_get(flags, "out");
    static char layers[4200];
    if (cli_get(flags, "layers")) snprintf(layers, sizeof layers, "%s", cli_get(flags, "layers"));
    else path_sibling(sc.out, ".layers.tsv", layers, sizeof layers);
    sc.layers = layers;
    sweep_parse_configs(cli_get(flags, "configs"), &sc);
    sc.calib_batches = (int)cli_long(flags, "calib-batches", 100, 1, 100000);
    sc.batch = (int)cli_long(flags, "batch", 128, 1, 4096);
    sc.limit = cli_long(flags, "limit", 0, 1, 1L << 30);
    const char *sel = cli_get(flags, "select");
    if (sel && strcmp(sel, "first") && strcmp(sel, "seeded")) die("flag --select: '%s' (expected first or seeded)", sel);
    sc.select_first = sel && !strcmp(sel, "first");
    sc.calib_augment = cli_get(flags, "calib-augment") != NULL;
    sc.seed = cli_u64(flags, "seed", 1);
    sc.opt = ptq_options(cli_compat(flags));
    sc.opt.per_channel = cli_get(flags, "per-channel") != NULL;
    sc.opt.asym_act = cli_get(flags, "asymmetric") != NULL;
    sc.quiet = cli_get(flags, "quiet") != NULL;
    sc.stop_after = (int)cli_long(flags, "stop-after", 0, 0, 64);
    int threads = cli_threads(flags);
    Dataset ds;
    CkptInfo info;
    Net *net = cli_open(flags, pos[0], &ds, &info, threads);
    /* --calib-augment: the checkpoint's training crop/flip unless given; the reference's
     * CIFAR recipe (crop 4, flip) for checkpoints that do not say */
    sc.calib_aug.crop_pad = (int)cli_long(flags, "calib-crop-pad", info.has_aug ? info.aug.crop_pad : 4, 0, 64);
    sc.calib_aug.flip = (int)cli_long(flags, "calib-flip", info.has_aug ? info.aug.flip : 1, 0, 1);
    if (!sc.calib_augment && (cli_get(flags, "calib-crop-pad") || cli_get(flags, "calib-flip")))
        die("flags --calib-crop-pad / --calib-flip need --calib-augment");
    net_alloc_acts(net, sc.batch);
    const char *cd = cli_get(flags, "calib-data");
    float *gx = NULL;
    int *gy = NULL;
    if (cd && strcmp(cd, "train")) {
        if (strncmp(cd, "gen:", 4) || !cd[4]) die("flag --calib-data: '%s' (expected train or gen:GEN.safetensors)", cd);
        if (sc.calib_augment || sc.select_first) die("flag --calib-data gen: takes neither --calib-augment nor --select first");
        char err[1024];
        Generator *g = gen_load(cd + 4, err, sizeof err);
        if (!g) die("flag --calib-data: %s", err);
        if (g->classes != net->classes || g->channels != net->input.c || g->img != net->input.h)
            die("%s: a generator of %d classes and %dx%d images with %d channels does not fit %s", cd + 4, g->classes, g->img,
                g->img, g->channels, net->model_name);
        int gb = (int)cli_long(flags, "gen-batch", 128, 2, 4096);
        gen_set_pool(g, net->pool);
        gen_alloc(g, gb, 1);
        sc.calib_n = sc.calib_batches * sc.batch;
        gx = xmalloc(shape_numel(net->input) * (size_t)sc.calib_n * sizeof(float));
        gy = xmalloc(sizeof(int) * (size_t)sc.calib_n);
        Rng r;
        rng_seed(&r, sc.seed ^ 0xca11b6e4ULL);
        gen_pseudo_set(g, &r, sc.calib_n, gb, gx, gy);
        gen_free(g);
        sc.calib_x = gx;
        sc.calib_data = cd;
    } else if (cli_get(flags, "gen-batch")) die("flag --gen-batch needs --calib-data gen:GEN");
    sweep_run(net, &ds, &sc);
    free(gx);
    free(gy);
    net_free(net);
    dataset_free(&ds);
    return 0;
}
