/* commands.h — the mta subcommands (one file each: cmd_<name>.c). */
#ifndef MTA_COMMANDS_H
#define MTA_COMMANDS_H

#include "cli/cli.h"

/* Each command's declaration (positionals, summary, every flag: cli.h), in its cmd_*.c. */
extern const CliCommand cmd_stats_info, cmd_init_info, cmd_eval_info, cmd_train_info, cmd_ptq_info, cmd_fit_info,
    cmd_bench_info, cmd_env_info, cmd_attack_info, cmd_gen_info, cmd_robust_info, cmd_features_info, cmd_select_info, cmd_predict_info, cmd_noise_info, cmd_sample_size_info,
    cmd_grad_sim_info, cmd_lm_train_info, cmd_lm_ptq_info, cmd_lm_stats_info, cmd_lm_bench_info;

int cmd_stats(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_ptq(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_attack(int argc, char **argv);
int cmd_gen(int argc, char **argv);
int cmd_robust(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_select(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_noise(int argc, char **argv);
int cmd_sample_size(int argc, char **argv);
int cmd_grad_sim(int argc, char **argv);
/* cmd_lm.c: the language-model commands; cmd_ptq, cmd_stats and cmd_bench hand language models
 * (checkpoints of format mta-lm/1, model files starting with `tokens`) to the last three. */
int cmd_lm_train(int argc, char **argv);
int cmd_lm_ptq(int argc, char **argv);
int cmd_lm_stats(int argc, char **argv);
int cmd_lm_bench(int argc, char **argv);
/* Is one of the non-flag arguments (from argv[2]) a language model: a checkpoint of format
 * mta-lm/1, or (ckpt 0) also a model file whose first op is `tokens`? */
int cli_first_pos_is_lm(int argc, char **argv, int ckpt);

/* `mta fit` (cmd_fit.c).  argv as main received it: argv[1] is "fit", the arguments start at
 * argv[2].  Usage:
 *   mta fit TSV... --x COL --y COL --family poly|rational|piecewise --out PREFIX
 *       [--degree N] [--monotone | --monotone-grid H] [--breaks b1,b2,...] [--plateau] [--smooth]
 *       [--by COL] [--weights COL] [--transform identity|log10] [--x0 V] [--seed S]
 *       [--starts N] [--grid N]
 * Writes PREFIX.coef.tsv (one row per --by group, each with the LOMO prediction error of the fit
 * on the other groups, then the pooled row "ALL") and PREFIX.curve.tsv (group, x, y), each via a
 * temporary file and rename.  Returns 0 on success, 1 when some fit failed (the files are
 * written, the status column says why), 2 on bad flags or input ("error: ..." on stderr). */
int cmd_fit(int argc, char **argv);

#endif
