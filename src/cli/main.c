/* main.c — the mta command-line tool: dispatch to the subcommands (commands.h). */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "fit/fit.h"

static const char usage[] =
    "mta — model transfer adaptability: how much does a network lose when quantized?\n"
    "\n"
    "usage: mta COMMAND [ARGS]\n"
    "  stats MODEL [--dataset cifar10|cifar100|fmnist] [--width W]\n"
    "        per-module parameters, MACs and (folded) shares, TSV\n"
    "  init  MODEL --seed S --out CKPT [--data SPEC] [--width W]\n"
    "        a checkpoint with PyTorch-style default initialization\n"
    "  eval  CKPT --data SPEC [--limit N] [--batch B] [--threads T] [--model NAME --width W]\n"
    "        top-1 accuracy on the test split\n"
    "  train MODEL --data SPEC --out CKPT [--epochs N] [--batch B] [--lr LR] [--width W]\n"
    "        [--seed S] [--threads T] [--log TSV] [--milestones 60,120,160] [--gamma G]\n"
    "        [--warmup 0|1] [--momentum M] [--wd WD] [--nesterov 0|1] [--val-frac F]\n"
    "        [--train-limit N] [--crop-pad P] [--flip 0|1] [--init pytorch|kaiming]\n"
    "        [--schedule step|linear|cosine] [--quiet]\n"
    "        SGD training with the reference's recipe; keeps the best checkpoint by validation\n"
    "  ptq   CKPT --data SPEC --out TSV [--configs LIST|all] [--calib-batches N] [--batch B]\n"
    "        [--limit N] [--select first|seeded] [--calib-augment] [--seed S]\n"
    "        [--compat reference] [--per-channel] [--asymmetric] [--layers TSV] [--threads T]\n"
    "        quantize in every INT/POT/FLOAT configuration: accuracy and similarity tables\n"
    "  fit   TSV... --x COLUMN --y COLUMN --family poly|rational|piecewise [--degree N]\n"
    "        [--monotone] [--breaks b1,b2] [--by model] [--weights COLUMN] [--out PREFIX]\n"
    "        constrained least-squares fits with R2, RMSE and leave-one-model-out RMSE\n"
    "  bench MODEL [--mode forward|train] [--batch B] [--threads T] [--seconds S] [--width W]\n"
    "        [--channels C] [--classes K]\n"
    "        throughput (images/s) on random 32x32 inputs\n"
    "\n"
    "MODEL is a file or a name in experiments/models (AlexNet, AlexNet_BN, VGG_16, VGG_19,\n"
    "Inception_BN, ResNet_18, ResNet_50, ResNet_152, MobileNetV2).\n"
    "SPEC: fmnist (default) | idx:DIR | cifar10:DIR | cifar100:DIR\n";

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *c = argv[1];
    if (!strcmp(c, "stats")) return cmd_stats(argc, argv);
    if (!strcmp(c, "init")) return cmd_init(argc, argv);
    if (!strcmp(c, "eval")) return cmd_eval(argc, argv);
    if (!strcmp(c, "bench")) return cmd_bench(argc, argv);
    if (!strcmp(c, "train")) return cmd_train(argc, argv);
    if (!strcmp(c, "ptq")) return cmd_ptq(argc, argv);
    if (!strcmp(c, "fit")) return cmd_fit(argc, argv);
    if (!strcmp(c, "env")) return cmd_env(argc, argv);
    fprintf(stderr, "error: unknown command '%s'\n\n%s", c, usage);
    return 2;
}
