/* commands.h — the mta subcommands (one file each: cmd_<name>.c). */
#ifndef MTA_COMMANDS_H
#define MTA_COMMANDS_H

int cmd_stats(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_ptq(int argc, char **argv);

#endif
