/* cmd_robust.c — `mta robust CKPT --gen GEN_ADJ [--gen-plain GEN] --out TSV ...`: the
 * robustness sweep (spec §3.2-§3.4).  For the full-precision model ("Full") and every
 * configuration of --configs: clean, FGSM and PGD accuracy on --test-limit real test images, on
 * a seeded pseudo set of --pseudo images from the adjusted generator, and (with --gen-plain) on
 * one from the training-only generator.  A quantized model is calibrated like `mta attack
 * --config` (seeded training batches, not frozen) and attacked through the straight-through
 * gradient of its fake-quantized forward; its ranges stay as calibrated (the default) or keep
 * widening on every evaluated batch as the reference's (--ranges update, --compat reference).
 *
 * Table (TSV; a "# settings:" line, the header, one row per model in spec order):
 *   title org_acc org_gen_acc fgsm_acc fgsm_gen_acc pgd_acc pgd_gen_acc
 *   org_plain_acc fgsm_plain_acc pgd_plain_acc seconds
 * (the reference's six accuracy columns, then the plain generator's, then the wall time).  The
 * table grows in "<out>.partial", rewritten atomically after every model; a rerun with the same
 * settings keeps its complete rows and computes the rest. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/env.h"
#include "base/fileio.h"
#include "base/progress.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "quant/qnet.h"
#include "quant/quant.h"
#include "quant/sweep.h"
#include "train/attack.h"
#include "train/backprop.h"
#include "train/gen_train.h"

static const CliFlagSpec robust_flags[] = {
    CLI_FLAG_DATA,
    {"gen", "GEN", NULL, "the adjusted generator (mta gen --adjust-out) the pseudo set comes from", 1},
    {"gen-plain", "GEN", "none", "also a pseudo set from the training-only generator (mta gen --out)", 0},
    {"out", "TSV", NULL, "the table, one row per model (Full, then each configuration)", 1},
    {"configs", "LIST", "all", "configurations, e.g. INT_8,POT_4,FLOAT_6_E3 (spec order kept)", 0},
    {"test-limit", "N", "all", "real test images under attack (the first N)", 0},
    {"pseudo", "N", "12800", "pseudo images per generator (the reference: 100 batches of 128)", 0},
    {"gen-batch", "B", "128", "images per generator batch (its BN uses the batch's statistics)", 0},
    {"calib-batches", "N", "4", "calibration batches of --batch seeded training images per configuration", 0},
    {"ranges", "fixed|update", "fixed", "quantizer ranges: as calibrated, or widening on every attacked batch (the reference)", 0},
    CLI_FLAG_ATTACK_BOX,
    CLI_FLAG_EPS,
    {"steps", "N", "10", "PGD iterations (step eps/4, random start)", 0},
    {"compat", "reference|none", "none", "the reference's behaviour: --attack-box normalized --ranges update, its PTQ quirks", 0},
    {"batch", "B", "128", "images per attacked batch", 0},
    {"seed", "S", "1", "seed of the pseudo sets, the calibration images and the PGD starts", 0},
    CLI_FLAG_THREADS,
    CLI_FLAG_MODEL,
    CLI_FLAG_CKPT_WIDTH,
    {"quiet", NULL, NULL, "no progress bar", 0},
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_robust_info = {"robust", "CKPT", 1, 1,
                                    "clean / FGSM / PGD accuracy of the full and every quantized model, on test and pseudo data",
                                    robust_flags};

#define ROBUST_HEADER                                                                                                 \
    "title\torg_acc\torg_gen_acc\tfgsm_acc\tfgsm_gen_acc\tpgd_acc\tpgd_gen_acc\torg_plain_acc\tfgsm_plain_acc\t" \
    "pgd_plain_acc\tseconds"
#define ROBUST_FIELDS 11

typedef struct {
    float *x;
    int *y, n;
} ImageArray;

static ImageArray pseudo_set(const char *path, const Net *net, int n, int batch, uint64_t seed)
{
    char err[1024];
    Generator *g = gen_load(path, err, sizeof err);
    if (!g) die("flag --gen: %s", err);
    if (g->classes != net->classes || g->channels != net->input.c || g->img != net->input.h || g->img != net->input.w)
        die("%s: a generator of %d classes and %dx%dx%d images does not fit %s (%d classes, %dx%dx%d)", path, g->classes,
            g->channels, g->img, g->img, net->model_name, net->classes, net->input.c, net->input.h, net->input.w);
    gen_set_pool(g, net->pool);
    gen_alloc(g, batch, 1);
    ImageArray a = {xmalloc(shape_numel(net->input) * (size_t)n * sizeof(float)), xmalloc((size_t)n * sizeof(int)), n};
    Rng r;
    rng_seed(&r, seed);
    gen_pseudo_set(g, &r, n, batch, a.x, a.y);
    gen_free(g);
    return a;
}

/* Complete rows of a previous run with the same settings line and header, in the expected
 * title order; returns how many, their text in rows[] (owned). */
static int load_partial(const char *path, const char *settings, char **titles, int n_titles, char **rows)
{
    char err[512];
    char *text = read_text_file(path, err, sizeof err);
    if (!text) return 0;
    int kept = 0;
    char *save, *line = strtok_r(text, "\n", &save);
    int ok = line && !strcmp(line, settings);
    line = ok ? strtok_r(NULL, "\n", &save) : NULL;
    ok = ok && line && !strcmp(line, ROBUST_HEADER);
    while (ok && kept < n_titles && (line = strtok_r(NULL, "\n", &save))) {
        int fields = 1;
        for (const char *c = line; *c; c++) fields += *c == '\t';
        size_t tl = strlen(titles[kept]);
        if (fields != ROBUST_FIELDS || strncmp(line, titles[kept], tl) || line[tl] != '\t') break;
        rows[kept++] = strdup(line);
    }
    free(text);
    if (kept) fprintf(stderr, "mta robust: resuming %s: %d of %d rows kept\n", path, kept, n_titles);
    return kept;
}

/* The partial table starts with the settings line (what a resume must match); the final one
 * is the header and the rows, its settings in OUT.settings.tsv. */
static void write_table(const char *path, const char *settings, char **rows, int n)
{
    AtomicFile af;
    FILE *f = atomic_open_or_die(&af, path);
    if (settings) fprintf(f, "%s\n", settings);
    fprintf(f, "%s\n", ROBUST_HEADER);
    for (int i = 0; i < n; i++) fprintf(f, "%s\n", rows[i]);
    atomic_commit_or_die(&af);
}

int cmd_robust(int argc, char **argv)
{
    CliArgs args;
    const CliArgs *f = &args;
    cli_parse(&cmd_robust_info, argc, argv, 2, &args);
    const char *ranges = cli_get(f, "ranges");
    int reference = cli_compat(f), bx = cli_attack_box(f);
    if (ranges && strcmp(ranges, "fixed") && strcmp(ranges, "update"))
        cli_fail(&cmd_robust_info, "flag --ranges: '%s' (expected fixed or update)", ranges);
    int update = ranges ? !strcmp(ranges, "update") : reference;
    SweepConfig sc = {0};
    sweep_parse_configs(cli_get(f, "configs"), &sc);
    float eps = (float)cli_fraction(f, "eps", 8.0 / 255.0);
    int steps = (int)cli_long(f, "steps", 10, 1, 100000);
    int batch = (int)cli_long(f, "batch", 128, 1, 4096), gen_batch = (int)cli_long(f, "gen-batch", 128, 2, 4096);
    int n_pseudo = (int)cli_long(f, "pseudo", 12800, 1, 10000000);
    int calib = (int)cli_long(f, "calib-batches", 4, 1, 100000);
    uint64_t seed = cli_u64(f, "seed", 1);
    int threads = cli_threads(f), quiet = cli_get(f, "quiet") != NULL;
    const char *out = cli_get(f, "out"), *gpath = cli_get(f, "gen"), *ppath = cli_get(f, "gen-plain");
    Dataset ds;
    CkptInfo info;
    Net *net = cli_open(f, args.pos[0], &ds, &info, threads);
    long limit = cli_long(f, "test-limit", ds.test.n, 1, 1L << 30);
    if (limit > ds.test.n) limit = ds.test.n;
    char settings[4096];
    snprintf(settings, sizeof settings,
             "# settings: ckpt=%s gen=%s gen_plain=%s test_images=%ld pseudo=%d gen_batch=%d calib_batches=%d ranges=%s "
             "box=%s eps=%.9g steps=%d batch=%d seed=%llu compat=%d",
             args.pos[0], gpath, ppath ? ppath : "-", limit, n_pseudo, gen_batch, calib, update ? "update" : "fixed",
             attack_box_name((AttackBox)bx), eps, steps, batch, (unsigned long long)seed, reference);
    /* the models: Full, then the configurations */
    int n_models = sc.n_configs + 1;
    char **titles = xmalloc(sizeof(char *) * (size_t)n_models), **rows = xcalloc((size_t)n_models, sizeof(char *));
    titles[0] = "Full";
    for (int i = 0; i < sc.n_configs; i++) titles[i + 1] = (char *)quant_configs[sc.configs[i]].title;
    char partial[4200];
    snprintf(partial, sizeof partial, "%s.partial", out);
    int done = load_partial(partial, settings, titles, n_models, rows);
    ImageArray adj = pseudo_set(gpath, net, n_pseudo, gen_batch, seed ^ 0x5eed9e11ULL), plain = {0};
    if (ppath) plain = pseudo_set(ppath, net, n_pseudo, gen_batch, seed ^ 0x5eed9e11ULL);
    int *idx = xmalloc(sizeof(int) * (size_t)limit);
    for (long i = 0; i < limit; i++) idx[i] = (int)i;
    AttackSpec fg = {.kind = ATTACK_FGSM, .box = (AttackBox)bx, .eps = eps, .alpha = eps / 4, .steps = 1};
    AttackSpec pg = {.kind = ATTACK_PGD, .box = (AttackBox)bx, .eps = eps, .alpha = eps / 4, .steps = steps, .random_start = 1};
    AttackBounds bounds;
    attack_bounds(&pg, ds.mean, ds.std, net->input.c, &bounds);
    Backprop *bp = backprop_new(net, batch);
    PtqOptions po = ptq_options(reference);
    Progress prog;
    if (!quiet) progress_start(&prog, "robust", n_models);
    for (int m = done; m < n_models; m++) {
        double t0 = now_seconds();
        NetTargetCtx nc = {net, bp};
        AttackTarget tg = attack_target_net(&nc);
        QNet *q = NULL;
        QnetTargetCtx qc;
        if (m > 0) {
            q = qnet_new(net, quant_spec_config(sc.configs[m - 1]), &po);
            qnet_set_attack_ranges(q, update);
            sweep_calibrate_seeded(q, net, &ds, calib, batch, seed);
            qc = (QnetTargetCtx){q, bp};
            tg = qnet_attack_target(&qc);
        }
        AttackResult r[6] = {{0}};   /* FGSM test, gen, plain; PGD test, gen, plain (the reference's order) */
        const AttackSpec *spec[2] = {&fg, &pg};
        for (int k = 0; k < 2; k++) {
            attack_run(&tg, &ds, idx, (int)limit, spec[k], seed, &r[3 * k], NULL);
            attack_run_images(&tg, adj.x, adj.y, adj.n, spec[k], &bounds, seed, &r[3 * k + 1], NULL);
            if (ppath) attack_run_images(&tg, plain.x, plain.y, plain.n, spec[k], &bounds, seed, &r[3 * k + 2], NULL);
        }
        for (int k = 0; k < 6; k++)
            CHECK(r[k].outside_box == 0, "robust: %d adversarial values outside the box or the eps-ball", r[k].outside_box);
        qnet_free(q);
        char line[1024], pl[3][32];
        if (ppath) {
            snprintf(pl[0], sizeof pl[0], "%.2f", r[2].clean_acc);
            snprintf(pl[1], sizeof pl[1], "%.2f", r[2].adv_acc);
            snprintf(pl[2], sizeof pl[2], "%.2f", r[5].adv_acc);
        } else
            for (int k = 0; k < 3; k++) strcpy(pl[k], "-");
        snprintf(line, sizeof line, "%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t%.2f", titles[m], r[0].clean_acc,
                 r[1].clean_acc, r[0].adv_acc, r[1].adv_acc, r[3].adv_acc, r[4].adv_acc, pl[0], pl[1], pl[2],
                 now_seconds() - t0);
        rows[m] = strdup(line);
        write_table(partial, settings, rows, m + 1);
        if (!quiet) progress_update(&prog, m + 1);
    }
    if (!quiet) progress_end(&prog);
    write_table(out, NULL, rows, n_models);
    remove(partial);
    char sp[4300];
    path_sibling(out, ".settings.tsv", sp, sizeof sp);
    AtomicFile af;
    FILE *sf = atomic_open_or_die(&af, sp);
    fprintf(sf, "setting\tvalue\nckpt\t%s\nmodel\t%s\ngen\t%s\ngen_plain\t%s\nmodels\t%d\ntest_images\t%ld\n"
                "pseudo_images\t%d\ngen_batch\t%d\ncalib_batches\t%d\nbatch\t%d\nranges\t%s\nbox\t%s\neps\t%.9g\n"
                "steps\t%d\nalpha\t%.9g\nseed\t%llu\ncompat\t%d\nclasses\t%d\n",
            args.pos[0], net->model_name, gpath, ppath ? ppath : "-", n_models, limit, n_pseudo, gen_batch, calib, batch,
            update ? "update" : "fixed", attack_box_name((AttackBox)bx), eps, steps, eps / 4, (unsigned long long)seed,
            reference, net->classes);
    EnvInfo env = env_info(threads);
    env_write_rows(&env, sf);
    atomic_commit_or_die(&af);
    for (int m = 0; m < n_models; m++) free(rows[m]);
    free(rows);
    free(titles);
    free(idx);
    free(adj.x);
    free(adj.y);
    free(plain.x);
    free(plain.y);
    backprop_free(bp, net);
    net_free(net);
    dataset_free(&ds);
    return 0;
}
