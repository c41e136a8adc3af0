/* cmd_gen.c — `mta gen CKPT --out GEN.safetensors [--adjust-out GEN_ADJ.safetensors] ...`:
 * train the data-free generator of a classifier (train/gen_train.h) and, with --adjust-out,
 * run the adjust loop and save the adjusted generator too.  The test-set targets of the
 * adjust loop (clean, FGSM, PGD accuracy of the teacher) are measured first on --test-limit
 * test images with the same attacks.  --log writes one TSV row per epoch and per adjust
 * evaluation; --summary one row with every number of the reference's gen_result file and
 * every scale knob. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/fileio.h"
#include "base/progress.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "train/backprop.h"
#include "train/gen_train.h"

static const CliFlagSpec gen_flags[] = {
    CLI_FLAG_DATA,
    {"out", "GEN", NULL, "the trained generator (safetensors, the reference's state_dict names)", 1},
    {"adjust-out", "GEN", "none", "also run the adjust loop and write the adjusted generator there", 0},
    {"epochs", "E", "20", "training epochs", 0},
    {"iters", "I", "200", "generator steps per epoch", 0},
    {"batch", "B", "128", "samples per step (and per pseudo-set batch)", 0},
    {"lr", "LR", "0.001", "Adam learning rate (betas 0.5, 0.999); the reference uses 0.005 for CIFAR-100", 0},
    {"lr-decay", NULL, NULL, "apply the MultiStepLR the reference creates but never steps (x0.2 after epoch 15)", 0},
    {"gen-width", "W", "1", "generator width: trunk channels 128*W and 64*W (a scale knob)", 0},
    {"adjust-cap", "N", "0", "stop the adjust loop after N generator updates (0: no cap, as the reference)", 0},
    {"adjust-batches", "N", "20", "batches of --batch images in each adjust evaluation's pseudo set", 0},
    {"multi-labels", "M", "2 (10 for 100 classes)", "labels mixed per multi-label sample in the adjust loop", 0},
    {"test-limit", "N", "all", "test images the adjust targets (clean, FGSM, PGD) are measured on", 0},
    CLI_FLAG_ATTACK_BOX,
    CLI_FLAG_EPS,
    {"steps", "N", "10", "PGD iterations (step eps/4, random start)", 0},
    {"compat", "reference|none", "none", "the reference's behaviour: --attack-box normalized", 0},
    {"seed", "S", "1", "seed of the generator's init, its samples and the attacks", 0},
    CLI_FLAG_THREADS,
    {"log", "TSV", "none", "per-epoch and per-evaluation rows (phase step gen_acc ce bns fgsm_acc pgd_acc decision seconds)", 0},
    {"summary", "TSV", "stdout", "the result row", 0},
    CLI_FLAG_MODEL,
    CLI_FLAG_CKPT_WIDTH,
    {"quiet", NULL, NULL, "no progress bar", 0},
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_gen_info = {"gen", "CKPT", 1, 1,
                                 "train the data-free generator of a classifier (and adjust it to the test set's robustness)",
                                 gen_flags};

static void save_or_die(const Generator *g, const char *path, const char *model, const char *data, const char *adjusted,
                        uint64_t seed)
{
    char err[1024], sb[32];
    snprintf(sb, sizeof sb, "%llu", (unsigned long long)seed);
    const char *meta[] = {"teacher", model, "dataset", data, "adjusted", adjusted, "seed", sb};
    if (gen_save(g, path, meta, 4, err, sizeof err) != 0) die("%s", err);
}

int cmd_gen(int argc, char **argv)
{
    CliArgs args;
    const CliArgs *f = &args;
    cli_parse(&cmd_gen_info, argc, argv, 2, &args);
    int bx = cli_attack_box(f);
    GenTrainConfig tc = {.epochs = (int)cli_long(f, "epochs", 20, 0, 100000),
                         .iters = (int)cli_long(f, "iters", 200, 1, 10000000),
                         .batch = (int)cli_long(f, "batch", 128, 2, 4096),
                         .bns_weight = 0.1f,
                         .lr_decay = cli_get(f, "lr-decay") != NULL,
                         .seed = cli_u64(f, "seed", 1)};
    float lr = (float)cli_double(f, "lr", 0.001, 1e-9, 10);
    double width = cli_double(f, "gen-width", 1.0, 1.0 / 128, 8);
    const char *out = cli_get(f, "out"), *adj_out = cli_get(f, "adjust-out"), *log_path = cli_get(f, "log");
    const char *summary = cli_get(f, "summary");
    int threads = cli_threads(f), quiet = cli_get(f, "quiet") != NULL;
    Dataset ds;
    CkptInfo info;
    Net *net = cli_open(f, args.pos[0], &ds, &info, threads);
    char err[1024];
    int latent;
    const float *w = gen_teacher_weight(net, &latent, err, sizeof err);
    if (!w) die("%s: %s", args.pos[0], err);
    if (net->input.h != net->input.w || net->input.h % 4) die("%s: the generator makes square images of a side divisible by 4, "
                                                              "the model takes %dx%d", args.pos[0], net->input.h, net->input.w);
    Rng rng;
    rng_seed(&rng, tc.seed);
    Generator *g = gen_new(net->classes, latent, net->input.c, net->input.h, width, &rng);
    gen_init_embedding(g, w);
    gen_set_pool(g, net->pool);
    int multi = (int)cli_long(f, "multi-labels", net->classes >= 100 ? 10 : 2, 1, 64);
    gen_alloc(g, tc.batch, multi);
    Backprop *bp = backprop_new(net, tc.batch);
    Adam opt;
    adam_init(&opt, g->np, lr, 0.5f, 0.999f, 1e-8f);
    /* the adjust loop's targets: the teacher on the real test images */
    AdjustConfig ac = {.pseudo_batches = (int)cli_long(f, "adjust-batches", 20, 1, 100000),
                       .batch = tc.batch,
                       .multi = multi,
                       .cap = (int)cli_long(f, "adjust-cap", 0, 0, 100000000),
                       .bns_weight = 0.1f,
                       .adv_weight = 0.5f,
                       .seed = tc.seed + 1};
    float eps = (float)cli_fraction(f, "eps", 8.0 / 255.0);
    int steps = (int)cli_long(f, "steps", 10, 1, 100000);
    ac.fgsm = (AttackSpec){.kind = ATTACK_FGSM, .box = (AttackBox)bx, .eps = eps, .alpha = eps / 4, .steps = 1};
    ac.pgd = (AttackSpec){.kind = ATTACK_PGD, .box = (AttackBox)bx, .eps = eps, .alpha = eps / 4, .steps = steps,
                          .random_start = 1};
    attack_bounds(&ac.pgd, ds.mean, ds.std, net->input.c, &ac.bounds);
    long limit = cli_long(f, "test-limit", ds.test.n, 1, 1L << 30);
    if (limit > ds.test.n) limit = ds.test.n;
    int *idx = xmalloc(sizeof(int) * (size_t)limit);
    for (long i = 0; i < limit; i++) idx[i] = (int)i;
    double t0 = now_seconds();
    NetTargetCtx nc = {net, bp};
    AttackTarget tg = attack_target_net(&nc);
    AttackResult rf, rp;
    attack_run(&tg, &ds, idx, (int)limit, &ac.fgsm, tc.seed, &rf, NULL);
    int adjust = adj_out != NULL;
    if (adjust) attack_run(&tg, &ds, idx, (int)limit, &ac.pgd, tc.seed, &rp, NULL);
    else rp = (AttackResult){0};
    ac.t_org = rf.clean_acc;
    ac.t_fgsm = rf.adv_acc;
    ac.t_pgd = rp.adv_acc;
    double target_seconds = now_seconds() - t0;
    AtomicFile lf;
    FILE *log = log_path ? atomic_open_or_die(&lf, log_path) : NULL;
    gen_log_header(log);
    Progress prog;
    if (!quiet) progress_start(&prog, "gen", (long)tc.epochs * tc.iters);
    GenTrainResult tr;
    gen_train(g, net, bp, &opt, &tc, log, quiet ? NULL : &prog, &tr);
    if (!quiet) progress_end(&prog);
    save_or_die(g, out, net->model_name, ds.kind, "0", tc.seed);
    AdjustResult ar = {0};
    if (adjust) {
        gen_adjust(g, net, bp, &opt, &ac, log, &ar);
        save_or_die(g, adj_out, net->model_name, ds.kind, "1", tc.seed);
        if (ar.cap_hit)
            fprintf(stderr, "mta gen: %s: the adjust loop hit --adjust-cap %d (PGD gap %.2f, bound %d)\n", net->model_name, ac.cap,
                    ar.pgd - ac.t_pgd, ar.bound);
    }
    if (log) atomic_commit_or_die(&lf);
    char row[4096];
    int len = snprintf(row, sizeof row,
                       "model\tdata\tteacher_acc\ttest_images\tgen_acc\ttrain_seconds\tepochs\titers\tbatch\tlr\tlr_decay\tgen_width\t"
                       "latent\tadjust\tadjust_iters\tadjust_cap\tcap_hit\tadj_gen_acc\tfgsm_gen_acc\tfgsm_test_acc\tpgd_gen_acc\t"
                       "pgd_test_acc\torg_bound\tpgd_bound\tadjust_evals\tadjust_seconds\tpseudo_images\tmulti_labels\tbox\teps\t"
                       "steps\ttarget_seconds\tseed\tthreads\n");
    if (adjust)
        snprintf(row + len, sizeof row - (size_t)len,
                 "%s\t%s\t%.2f\t%ld\t%.2f\t%.2f\t%d\t%d\t%d\t%.9g\t%d\t%.9g\t%d\t1\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%d\t%d\t%d\t"
                 "%.2f\t%d\t%d\t%s\t%.9g\t%d\t%.2f\t%llu\t%d\n",
                 net->model_name, ds.kind, rf.clean_acc, limit, tr.gen_acc, tr.seconds, tc.epochs, tc.iters, tc.batch, lr,
                 tc.lr_decay, width, latent, ar.iters, ac.cap, ar.cap_hit, ar.org, ar.fgsm, ac.t_fgsm, ar.pgd, ac.t_pgd,
                 ar.org_bound, ar.bound, ar.evaluations, ar.seconds, ac.pseudo_batches * ac.batch, multi,
                 attack_box_name(ac.pgd.box), eps, steps, target_seconds, (unsigned long long)tc.seed, threads);
    else
        snprintf(row + len, sizeof row - (size_t)len,
                 "%s\t%s\t%.2f\t%ld\t%.2f\t%.2f\t%d\t%d\t%d\t%.9g\t%d\t%.9g\t%d\t0\t-\t-\t-\t-\t-\t%.2f\t-\t-\t-\t-\t-\t-\t-\t-\t%s\t"
                 "%.9g\t%d\t%.2f\t%llu\t%d\n",
                 net->model_name, ds.kind, rf.clean_acc, limit, tr.gen_acc, tr.seconds, tc.epochs, tc.iters, tc.batch, lr,
                 tc.lr_decay, width, latent, ac.t_fgsm, attack_box_name(ac.pgd.box), eps, steps, target_seconds,
                 (unsigned long long)tc.seed, threads);
    if (summary) {
        AtomicFile af;
        fputs(row, atomic_open_or_die(&af, summary));
        atomic_commit_or_die(&af);
    } else fputs(row, stdout);
    adam_free(&opt);
    free(idx);
    backprop_free(bp, net);
    gen_free(g);
    net_free(net);
    dataset_free(&ds);
    return 0;
}
