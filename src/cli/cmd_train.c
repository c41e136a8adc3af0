/* cmd_train.c — `mta train MODEL --data SPEC --out CKPT [options]`: train from PyTorch-style
 * initialization with the reference's recipe (spec training §1.3) unless told otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/env.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "nn/init.h"
#include "nn/modelfile.h"
#include "train/train.h"

static void parse_milestones(const char *s, LrSchedule *lr)
{
    lr->n_milestones = 0;
    if (!s || !*s || !strcmp(s, "none")) return;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        long v;
        if (parse_long(tok, &v) || v < 1 || lr->n_milestones == 8)
            die("flag --milestones: '%s' is not a list of up to 8 positive epochs (e.g. 60,120,160)", s);
        lr->milestones[lr->n_milestones++] = (int)v;
    }
}

int cmd_train(int argc, char **argv)
{
    CliFlag flags[] = {{"data", 1, NULL},       {"epochs", 1, NULL},    {"batch", 1, NULL},    {"lr", 1, NULL},
                       {"momentum", 1, NULL},   {"wd", 1, NULL},        {"nesterov", 1, NULL}, {"milestones", 1, NULL},
                       {"gamma", 1, NULL},      {"warmup", 1, NULL},    {"width", 1, NULL},    {"seed", 1, NULL},
                       {"threads", 1, NULL},    {"out", 1, NULL},       {"log", 1, NULL},      {"val-frac", 1, NULL},
                       {"train-limit", 1, NULL}, {"crop-pad", 1, NULL}, {"flip", 1, NULL},     {"quiet", 0, NULL},
                       {"init", 1, NULL},      {"schedule", 1, NULL},  {NULL, 0, NULL}};
    const char *pos[1];
    if (cli_parse("train", argc, argv, 2, flags, pos, 1) != 1)
        die("usage: mta train MODEL --data SPEC --out CKPT [--epochs N] [--batch B] [--lr LR] [--width W] "
            "[--seed S] [--threads T] [--log TSV] ... (see README)");
    TrainConfig tc = {0};
    tc.out = cli_get(flags, "out");
    if (!tc.out) die("mta train: --out CKPT is required");
    tc.log = cli_get(flags, "log");
    tc.quiet = cli_get(flags, "quiet") != NULL;
    int threads = cli_threads(flags);
    tc.epochs = (int)cli_long(flags, "epochs", 200, 1, 100000);
    tc.batch = (int)cli_long(flags, "batch", 128, 1, 65536);
    tc.seed = cli_u64(flags, "seed", 1);
    tc.val_frac = cli_double(flags, "val-frac", 0.2, 0, 0.9);
    tc.train_limit = cli_long(flags, "train-limit", 0, 0, 1L << 30);
    tc.lr.lr = (float)cli_double(flags, "lr", 0.1, 0, 100);
    tc.lr.gamma = (float)cli_double(flags, "gamma", 0.2, 0, 1);
    tc.lr.warmup = (int)cli_long(flags, "warmup", 1, 0, 1);
    const char *sched = cli_get(flags, "schedule");
    tc.lr.epochs = tc.epochs;
    if (!sched || !strcmp(sched, "step")) tc.lr.kind = LR_STEP;
    else if (!strcmp(sched, "cosine")) tc.lr.kind = LR_COSINE;
    else if (!strcmp(sched, "linear")) tc.lr.kind = LR_LINEAR;
    else die("flag --schedule: '%s' (expected step, cosine or linear)", sched);
    parse_milestones(cli_get(flags, "milestones") ? cli_get(flags, "milestones") : "60,120,160", &tc.lr);
    tc.sgd.momentum = (float)cli_double(flags, "momentum", 0.9, 0, 1);
    tc.sgd.weight_decay = (float)cli_double(flags, "wd", 5e-4, 0, 1);
    tc.sgd.nesterov = (int)cli_long(flags, "nesterov", 1, 0, 1);
    Dataset ds;
    cli_load_data(flags, &ds);
    int cifar = !strncmp(ds.kind, "cifar", 5);
    tc.aug.crop_pad = (int)cli_long(flags, "crop-pad", cifar ? 4 : 2, 0, 16);
    tc.aug.flip = (int)cli_long(flags, "flip", cifar ? 1 : 0, 0, 1);
    Net *net = net_load_model(pos[0], (Shape){ds.train.c, ds.train.h, ds.train.w}, ds.classes,
                              cli_double(flags, "width", 1.0, 1e-3, 64));
    net_set_threads(net, threads);
    Rng rng;
    rng_seed(&rng, tc.seed ^ 0x5eedULL);
    const char *init = cli_get(flags, "init");
    if (init && strcmp(init, "pytorch") && strcmp(init, "kaiming"))
        die("flag --init: '%s' (expected pytorch or kaiming)", init);
    if (init && !strcmp(init, "kaiming")) net_init_params_kaiming(net, &rng);
    else net_init_params(net, &rng);
    CkptInfo info = {.has_norm = 1, .seed = tc.seed, .has_aug = 1, .aug = tc.aug};
    snprintf(info.dataset, sizeof info.dataset, "%s", ds.kind);
    memcpy(info.mean, ds.mean, sizeof info.mean);
    memcpy(info.std, ds.std, sizeof info.std);
    double t0 = now_seconds();
    train_run(net, &ds, &tc, &info);
    /* the summary ends with the environment the numbers depend on (base/env.h) */
    EnvInfo env = env_info(threads);
    char eb[32];
    printf("model\tdata\twidth\tparams\tepochs\tbest_epoch\tval_acc\ttest_acc\tseconds");
    for (int k = 0; k < ENV_NFIELDS; k++) printf("\t%s", env_field_names[k]);
    printf("\n%s\t%s\t%g\t%zu\t%d\t%d\t%.2f\t%.2f\t%.1f", net->model_name, ds.kind, net->width, net->pnumel,
           tc.epochs, info.epoch, info.val_acc, info.test_acc, now_seconds() - t0);
    for (int k = 0; k < ENV_NFIELDS; k++) printf("\t%s", env_field_value(&env, k, eb, sizeof eb));
    printf("\n");
    net_free(net);
    dataset_free(&ds);
    return 0;
}
