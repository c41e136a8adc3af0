/* cli.h — command-line helpers shared by the subcommands (cmd_*.c).
 *
 * Flags are `--name value` (or `--name=value`) and boolean `--name`; every flag is checked
 * against the command's list, and bad values die naming the flag and the expected form.
 */
#ifndef MTA_CLI_H
#define MTA_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "base/progress.h"
#include "io/data.h"

typedef struct {
    const char *name;     /* without the leading dashes */
    int takes_value;
    const char *value;    /* set by cli_parse: the value, "1" for a boolean, NULL if absent */
} CliFlag;

/* Parse argv[first..argc): flags go into flags[] (terminated by a {NULL} entry), the rest
 * into pos[] (at most maxpos, else die).  Returns the number of positionals. */
int cli_parse(const char *cmd, int argc, char **argv, int first, CliFlag *flags, const char **pos, int maxpos);
const char *cli_get(const CliFlag *flags, const char *name);
long cli_long(const CliFlag *flags, const char *name, long def, long lo, long hi);
double cli_double(const CliFlag *flags, const char *name, double def, double lo, double hi);
uint64_t cli_u64(const CliFlag *flags, const char *name, uint64_t def);

/* Load --data (default "fmnist"); dies with the loader's message. */
void cli_load_data(const CliFlag *flags, Dataset *ds);
/* The number of compute threads from --threads (default 2); pass it to net_set_threads.
 * (The thread pool pins OpenBLAS to one thread inside it, base/blas.h.) */
int cli_threads(const CliFlag *flags);

#endif
