/* main.c — the mta command-line tool: dispatch to the subcommands (commands.h).  The overview
 * (`mta help`) is generated from the commands' own declarations (cli.h). */
#include <stdio.h>
#include <string.h>

#include "base/check.h"
#include "base/env.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "nn/conv_dnnl.h"

typedef struct {
    const CliCommand *info;
    int (*run)(int argc, char **argv);
} Command;

static const Command commands[] = {
    {&cmd_stats_info, cmd_stats}, {&cmd_init_info, cmd_init}, {&cmd_eval_info, cmd_eval},
    {&cmd_train_info, cmd_train}, {&cmd_ptq_info, cmd_ptq},   {&cmd_attack_info, cmd_attack}, {&cmd_gen_info, cmd_gen}, {&cmd_robust_info, cmd_robust}, {&cmd_features_info, cmd_features}, {&cmd_fit_info, cmd_fit}, {&cmd_select_info, cmd_select}, {&cmd_predict_info, cmd_predict}, {&cmd_noise_info, cmd_noise}, {&cmd_sample_size_info, cmd_sample_size}, {&cmd_grad_sim_info, cmd_grad_sim}, {&cmd_lm_train_info, cmd_lm_train},
    {&cmd_bench_info, cmd_bench}, {&cmd_env_info, cmd_env},
};
#define NCOMMANDS ((int)(sizeof commands / sizeof commands[0]))

static void overview(FILE *f)
{
    fputs("mta — model transfer adaptability: how much does a network lose when quantized?\n\n"
          "usage: mta COMMAND [ARGS] [flags]     (mta COMMAND --help: every flag, its meaning and default)\n",
          f);
    for (int i = 0; i < NCOMMANDS; i++) cli_overview(commands[i].info, f);
    fputs("  help | --help | version | --version\n\n"
          "MODEL is a file or a name in experiments/models (AlexNet, AlexNet_BN, VGG_16, VGG_19,\n"
          "Inception_BN, ResNet_18, ResNet_50, ResNet_152, MobileNetV2).\n"
          "SPEC: fmnist (default) | idx:DIR | cifar10:DIR | cifar100:DIR\n",
          f);
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        overview(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *c = argv[1];
    if (!strcmp(c, "version") || !strcmp(c, "--version")) {
        printf("mta %s (%s)\n", mta_version(), mta_compiler());
        if (conv_dnnl_active()) printf("convolutions: %s (MTA_CONV=dnnl)\n", conv_dnnl_name());
        return 0;
    }
    conv_dnnl_active();   /* MTA_CONV read (and checked) before anything is computed or recorded */
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(c, commands[i].info->name)) return commands[i].run(argc, argv);
    int best = -1, bd = 3;
    for (int i = 0; i < NCOMMANDS; i++) {
        int d = edit_distance(c, commands[i].info->name);
        if (d < bd) { bd = d; best = i; }
    }
    if (best >= 0) fprintf(stderr, "error: unknown command '%s' (did you mean '%s'?)\n\n", c, commands[best].info->name);
    else fprintf(stderr, "error: unknown command '%s'\n\n", c);
    overview(stderr);
    return 2;
}
