/* cmd_attack.c — `mta attack CKPT --data SPEC --attack fgsm|pgd|clip [--eps E] [--steps N]
 *                 [--alpha A] [--random-start 0|1] [--attack-box pixel|normalized]
 *                 [--compat reference] [--limit N] [--batch B] [--seed S] [--threads T]
 *                 [--out TSV] [--model NAME --width W]`:
 *                 [--config TITLE --calib-batches N --ranges fixed|update]
 * clean and adversarial top-1 accuracy of a checkpoint on the test split (train/attack.h), one
 * TSV row like `mta eval`'s: the full-precision network, or with --config its quantized twin
 * (quant/qnet.h) calibrated on N seeded training batches and attacked through the
 * straight-through gradient of its fake-quantized forward. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/fileio.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "nn/checkpoint.h"
#include "quant/qnet.h"
#include "quant/quant.h"
#include "quant/sweep.h"
#include "train/attack.h"
#include "train/backprop.h"

static const CliFlagSpec attack_flags[] = {
    CLI_FLAG_DATA,
    {"attack", "fgsm|pgd|clip", NULL, "the attack (clip: the input clipped into the box, no perturbation -- "
                                      "the diagnostic that isolates the clamping of --attack-box normalized)", 1},
    CLI_FLAG_EPS,
    {"steps", "N", "10", "PGD iterations", 0},
    {"alpha", "A", "eps/4", "PGD step, same units as --eps", 0},
    {"random-start", "0|1", "1", "PGD starts from a uniform draw in the eps-ball", 0},
    CLI_FLAG_ATTACK_BOX,
    {"compat", "reference|none", "none", "the reference's behaviour: --attack-box normalized, --ranges update and its PTQ quirks", 0},
    {"config", "TITLE", "none", "attack the quantized network of this configuration (INT_8, POT_4, FLOAT_6_E3, ...) instead", 0},
    {"calib-batches", "N", "4", "with --config: calibration batches (of --batch seeded training images)", 0},
    {"ranges", "fixed|update", "fixed", "with --config: the observers keep their calibrated ranges, or keep widening on the "
                                        "attacked inputs as the reference's forward does", 0},
    {"limit", "N", "all", "attack the first N test images", 0},
    {"batch", "B", "128", "images per batch", 0},
    {"seed", "S", "1", "seed of the PGD random starts", 0},
    CLI_FLAG_THREADS,
    {"out", "TSV", "stdout", "write the result row there (atomically) instead of stdout", 0},
    CLI_FLAG_MODEL,
    CLI_FLAG_CKPT_WIDTH,
    {"dump", "N", "0", "also write the first N test images, their adversarial versions and the perturbations (--dump-out)", 0},
    {"dump-out", "TSV", "none", "where --dump goes: image label pred_clean pred_adv kind row col value, in pixel units", 0},
    {"quiet", NULL, NULL, "no progress bar", 0},
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_attack_info = {"attack", "CKPT", 1, 1, "clean and adversarial (FGSM/PGD) accuracy on the test split",
                                    attack_flags};

static int argmax_row(const float *z, int c)
{
    int k = 0;
    for (int j = 1; j < c; j++) if (z[j] > z[k]) k = j;
    return k;
}

/* The first n test images, attacked as in the run (the same seed as its first batch), in pixel
 * units: kind clean (x), adv (x_adv) and delta (x_adv - x), one row per pixel (channel 0 for
 * multi-channel images: the figure is grey). */
static void dump_images(const AttackTarget *t, const Dataset *ds, const AttackSpec *a, int n, uint64_t seed, const char *path)
{
    size_t per = shape_numel(t->input), plane = (size_t)t->input.h * t->input.w;
    float *x = xmalloc(per * (size_t)n * sizeof(float)), *xa = xmalloc(per * (size_t)n * sizeof(float));
    int *idx = xmalloc(sizeof(int) * (size_t)n), *y = xmalloc(sizeof(int) * (size_t)n), *pc = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) idx[i] = i;
    dataset_batch(ds, &ds->test, idx, n, x, y);
    AttackBounds b;
    attack_bounds(a, ds->mean, ds->std, t->input.c, &b);
    Rng rng;
    rng_seed(&rng, seed ^ 0x9E3779B97F4A7C15ull);
    attack_batch(t, a, &b, x, y, n, xa, &rng);
    const float *out = t->forward(t->ctx, x, n);
    for (int i = 0; i < n; i++) pc[i] = argmax_row(out + (size_t)i * t->classes, t->classes);
    out = t->forward(t->ctx, xa, n);
    AtomicFile af;
    FILE *f = atomic_open_or_die(&af, path);
    fprintf(f, "image\tlabel\tpred_clean\tpred_adv\tkind\trow\tcol\tvalue\n");
    const char *kinds[3] = {"clean", "adv", "delta"};
    for (int i = 0; i < n; i++) {
        int pa = argmax_row(out + (size_t)i * t->classes, t->classes);
        for (int k = 0; k < 3; k++)
            for (size_t p = 0; p < plane; p++) {
                float c = x[(size_t)i * per + p] * ds->std[0] + ds->mean[0];
                float v = xa[(size_t)i * per + p] * ds->std[0] + ds->mean[0];
                fprintf(f, "%d\t%d\t%d\t%d\t%s\t%zu\t%zu\t%.6g\n", i, y[i], pc[i], pa, kinds[k], p / (size_t)t->input.w,
                        p % (size_t)t->input.w, k == 0 ? c : k == 1 ? v : v - c);
            }
    }
    atomic_commit_or_die(&af);
    free(x); free(xa); free(idx); free(y); free(pc);
}

int cmd_attack(int argc, char **argv)
{
    CliArgs args;
    const CliArgs *flags = &args;
    cli_parse(&cmd_attack_info, argc, argv, 2, &args);
    AttackSpec a = {0};
    int kind = attack_kind_parse(cli_get(flags, "attack"));
    if (kind < 0) cli_fail(&cmd_attack_info, "flag --attack: '%s' (expected fgsm, pgd or clip)", cli_get(flags, "attack"));
    a.kind = (AttackKind)kind;
    a.box = (AttackBox)cli_attack_box(flags);
    a.eps = (float)cli_fraction(flags, "eps", 8.0 / 255.0);
    a.alpha = (float)cli_fraction(flags, "alpha", a.eps / 4.0);
    a.steps = (int)cli_long(flags, "steps", 10, 0, 100000);
    a.random_start = (int)cli_long(flags, "random-start", 1, 0, 1);
    int reference = cli_compat(flags);
    const char *title = cli_get(flags, "config"), *ranges = cli_get(flags, "ranges");
    int cfg = title ? quant_config_find(title) : -1;
    if (title && cfg < 0) cli_fail(&cmd_attack_info, "flag --config: '%s' is not a configuration (INT_2..INT_16, POT_2..POT_8, FLOAT_b_Ee)", title);
    if (ranges && strcmp(ranges, "fixed") && strcmp(ranges, "update"))
        cli_fail(&cmd_attack_info, "flag --ranges: '%s' (expected fixed or update)", ranges);
    if (!title && (ranges || cli_get(flags, "calib-batches"))) cli_fail(&cmd_attack_info, "--ranges and --calib-batches need --config");
    int update = ranges ? !strcmp(ranges, "update") : reference;
    int calib_batches = (int)cli_long(flags, "calib-batches", 4, 1, 100000);
    int threads = cli_threads(flags);
    int batch = (int)cli_long(flags, "batch", 128, 1, 4096);
    uint64_t seed = cli_u64(flags, "seed", 1);
    const char *out = cli_get(flags, "out");
    Dataset ds;
    CkptInfo info;
    Net *net = cli_open(flags, args.pos[0], &ds, &info, threads);
    long limit = cli_long(flags, "limit", ds.test.n, 1, 1L << 30);
    if (limit > ds.test.n) limit = ds.test.n;
    int *idx = xmalloc(sizeof(int) * (size_t)limit);
    for (long i = 0; i < limit; i++) idx[i] = (int)i;
    Progress prog;
    int quiet = cli_get(flags, "quiet") != NULL;
    if (!quiet) progress_start(&prog, attack_kind_name(a.kind), limit);
    double t0 = now_seconds();
    AttackResult r;
    Backprop *bp = backprop_new(net, batch);
    NetTargetCtx tc = {net, bp};
    AttackTarget target = attack_target_net(&tc);
    QNet *q = NULL;
    QnetTargetCtx qc;
    if (title) {
        PtqOptions po = ptq_options(reference);
        q = qnet_new(net, quant_spec_config(cfg), &po);
        qnet_set_attack_ranges(q, update);
        sweep_calibrate_seeded(q, net, &ds, calib_batches, batch, seed);
        qc = (QnetTargetCtx){q, bp};
        target = qnet_attack_target(&qc);
    }
    attack_run(&target, &ds, idx, (int)limit, &a, seed, &r, quiet ? NULL : &prog);
    int dump = (int)cli_long(flags, "dump", 0, 0, 64);
    const char *dump_out = cli_get(flags, "dump-out");
    if (dump && !dump_out) cli_fail(&cmd_attack_info, "--dump needs --dump-out");
    if (dump) dump_images(&target, &ds, &a, dump < batch ? dump : batch, seed, dump_out);
    qnet_free(q);
    backprop_free(bp, net);
    double dt = now_seconds() - t0;
    if (!quiet) progress_end(&prog);
    CHECK(r.outside_box == 0, "attack: %d adversarial values outside the box or the eps-ball", r.outside_box);
    char row[2048];
    snprintf(row, sizeof row,
             "model\tdata\tconfig\tranges\tattack\tbox\teps\talpha\tsteps\trandom_start\tseed\timages\tclean_acc\t%s_acc\t"
             "max_linf\tseconds\tthreads\n"
             "%s\t%s\t%s\t%s\t%s\t%s\t%.9g\t%.9g\t%d\t%d\t%llu\t%ld\t%.2f\t%.2f\t%.6g\t%.3f\t%d\n",
             attack_kind_name(a.kind), net->model_name, ds.kind, title ? title : "FP32", title ? (update ? "update" : "fixed") : "-",
             attack_kind_name(a.kind), attack_box_name(a.box), a.eps,
             a.kind == ATTACK_PGD ? a.alpha : 0.0f, a.kind == ATTACK_PGD ? a.steps : a.kind == ATTACK_FGSM,
             a.kind == ATTACK_PGD ? a.random_start : 0, (unsigned long long)seed, limit, r.clean_acc, r.adv_acc, r.max_linf,
             dt, threads);
    if (out) {
        AtomicFile af;
        fputs(row, atomic_open_or_die(&af, out));
        atomic_commit_or_die(&af);
    } else fputs(row, stdout);
    free(idx);
    net_free(net);
    dataset_free(&ds);
    return 0;
}
