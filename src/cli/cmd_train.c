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

static const CliFlagSpec train_flags[] = {
    CLI_FLAG_DATA,
    {"out", "CKPT", NULL, "the best checkpoint by validation accuracy (safetensors)", 1},
    {"log", "TSV", "none", "per-epoch log: epoch lr train_loss train_acc val_acc seconds", 0},
    {"epochs", "N", "200", "training epochs", 0},
    {"batch", "B", "128", "batch size", 0},
    {"lr", "LR", "0.1", "initial learning rate", 0},
    {"schedule", "step|linear|cosine", "step", "step: MultiStepLR at --milestones; linear/cosine: per-batch decay to 0", 0},
    {"milestones", "E1,E2,..|none", "60,120,160", "epochs after which the rate is multiplied by --gamma (step)", 0},
    {"gamma", "G", "0.2", "factor at each milestone", 0},
    {"warmup", "0|1", "1", "linear per-batch warm-up during epoch 1", 0},
    {"momentum", "M", "0.9", "SGD momentum", 0},
    {"wd", "WD", "5e-4", "weight decay (L2, on every trained parameter, as torch.optim.SGD)", 0},
    {"nesterov", "0|1", "1", "Nesterov momentum", 0},
    {"init", "pytorch|kaiming", "pytorch", "initialization: PyTorch's default, or He normal", 0},
    {"val-frac", "F", "0.2", "held-out share of the training images for validation (seeded)", 0},
    {"train-limit", "N", "0 (all)", "train on the first N images of the seeded split", 0},
    {"crop-pad", "P", "4 on CIFAR, 2 otherwise", "augmentation: zero-pad P pixels and crop back", 0},
    {"flip", "0|1", "1 on CIFAR, 0 otherwise", "augmentation: horizontal flips", 0},
    CLI_FLAG_WIDTH,
    {"seed", "S", "1", "seed of the split, initialization, augmentation and dropout", 0},
    CLI_FLAG_THREADS,
    {"quiet", NULL, "off", "no per-epoch lines on stderr", 0},
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_train_info = {"train", "MODEL", 1, 1,
                                   "SGD training with the reference's recipe; keeps the best checkpoint by validation", train_flags};

int cmd_train(int argc, char **argv)
{
    CliArgs args;
    const CliArgs *flags = &args;
    cli_parse(&cmd_train_info, argc, argv, 2, &args);
    const char **pos = args.pos;
    TrainConfig tc = {0};
    tc.out = cli_get(flags, "out");
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
    printf("model\tdata\twidth\tparams\tepochs\tbest_epoch\tval_acc\ttest_acc\tval_images\ttest_images\tseconds");
    for (int k = 0; k < ENV_NFIELDS; k++) printf("\t%s", env_field_names[k]);
    printf("\n%s\t%s\t%g\t%zu\t%d\t%d\t%.2f\t%.2f\t%d\t%d\t%.1f", net->model_name, ds.kind, net->width, net->pnumel,
           tc.epochs, info.epoch, info.val_acc, info.test_acc, info.val_images, info.test_images, now_seconds() - t0);
    for (int k = 0; k < ENV_NFIELDS; k++) printf("\t%s", env_field_value(&env, k, eb, sizeof eb));
    printf("\n");
    net_free(net);
    dataset_free(&ds);
    return 0;
}
