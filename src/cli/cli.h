/* cli.h — the one flag parser of the mta subcommands (cmd_*.c), and helpers they share.
 *
 * Each command declares itself once, as a const CliCommand: its positional arguments, a one-
 * line summary, and every flag with its value placeholder, default and meaning.  From that
 * one declaration come the parsing, `mta CMD --help`, the overview `mta help`, and the usage
 * printed with every error, so they cannot disagree.
 * Flags are `--name value` (or `--name=value`) and boolean `--name`.  An unknown flag (with
 * "did you mean --x?"), a flag given twice, a missing value or a missing required flag is an
 * error: "error: mta CMD: ..." and the command's usage on stderr, exit status 2.  Bad values
 * die naming the flag and the expected form.
 */
#ifndef MTA_CLI_H
#define MTA_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/progress.h"
#include "io/data.h"
#include "nn/checkpoint.h"

typedef struct {
    const char *name;     /* without the leading dashes */
    const char *arg;      /* value placeholder ("N", "SPEC"); NULL for a boolean flag */
    const char *def;      /* the default as shown; NULL: none (a required flag says so) */
    const char *help;     /* its meaning, one line */
    int required;
} CliFlagSpec;

typedef struct {
    const char *name;            /* "train" */
    const char *args;            /* positional synopsis, e.g. "MODEL" ("" for none) */
    int min_pos, max_pos;        /* how many positional arguments */
    const char *summary;         /* one line */
    const CliFlagSpec *flags;    /* terminated by {NULL} */
} CliCommand;

#define CLI_MAX_FLAGS 48
#define CLI_MAX_POS 256

/* The parsed command line (values borrowed from argv). */
typedef struct {
    const CliCommand *cmd;
    const char *value[CLI_MAX_FLAGS];   /* by flag index: the value, "1" for a boolean, NULL if absent */
    const char *pos[CLI_MAX_POS];
    int npos;
} CliArgs;

/* Parse argv[first..argc) for command c.  0, or -1 with the message in err (nothing printed);
 * `--help` prints the usage on stdout and returns 1. */
int cli_scan(const CliCommand *c, int argc, char **argv, int first, CliArgs *a, char *err, size_t errsz);
/* The same, dying on an error with the message and the usage (exit 2), exiting 0 after --help. */
void cli_parse(const CliCommand *c, int argc, char **argv, int first, CliArgs *a);
/* Print "usage: mta NAME ARGS [flags]", the summary and every flag with meaning and default. */
void cli_usage(const CliCommand *c, FILE *f);
/* One command's entry in `mta help`: the synopsis with every flag, and the summary. */
void cli_overview(const CliCommand *c, FILE *f);
/* Die like cli_parse does: "error: mta CMD: <message>" and the usage, exit 2. */
void cli_fail(const CliCommand *c, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

const char *cli_get(const CliArgs *a, const char *name);   /* NULL if absent; CHECKs it is declared */
long cli_long(const CliArgs *a, const char *name, long def, long lo, long hi);
double cli_double(const CliArgs *a, const char *name, double def, double lo, double hi);
uint64_t cli_u64(const CliArgs *a, const char *name, uint64_t def);
/* "8/255", "0.03" -> a non-negative finite number; dies naming the flag otherwise. */
double cli_fraction(const CliArgs *a, const char *name, double def);

/* Load --data (default "fmnist"); dies with the loader's message. */
void cli_load_data(const CliArgs *a, Dataset *ds);
/* The number of compute threads from --threads (default 2); pass it to net_set_threads
 * (the thread pool pins OpenBLAS to one thread inside it, base/blas.h). */
int cli_threads(const CliArgs *a);

/* The checkpoint pos (ckpt_load) for data set ds, with --model / --width for checkpoints
 * without mta metadata; dies when the checkpoint's own metadata disagrees with --model or
 * --width (a flag is never silently ignored), or when it does not fit the data set. */
Net *cli_load_checkpoint(const CliArgs *a, const char *path, const Dataset *ds, CkptInfo *info);

/* --data, the checkpoint pos for it (cli_load_checkpoint), the checkpoint's own normalization
 * adopted (with a warning when it was made for another data set), `threads` compute threads. */
Net *cli_open(const CliArgs *a, const char *path, Dataset *ds, CkptInfo *info, int threads);

/* --compat reference|none (dies otherwise) -> 1 for reference; and the attack box from
 * --attack-box pixel|normalized, by default normalized under --compat reference, else pixel. */
int cli_compat(const CliArgs *a);
int cli_attack_box(const CliArgs *a);

/* The shared flag declarations, for the commands' tables. */
#define CLI_FLAG_DATA {"data", "SPEC", "fmnist", "data set: fmnist | idx:DIR | cifar10:DIR | cifar100:DIR", 0}
#define CLI_FLAG_ATTACK_BOX {"attack-box", "pixel|normalized", "pixel", "where eps and the [0,1] box apply: pixel space (per channel eps/std, " \
                                "[(0-mean)/std, (1-mean)/std]) or the normalized values (reference quirk 10)", 0}
#define CLI_FLAG_EPS {"eps", "E", "8/255", "L-infinity radius, in pixel units with --attack-box pixel (a fraction like 8/255 or a number)", 0}
#define CLI_FLAG_MODEL {"model", "NAME", "the checkpoint's own", "the model of a checkpoint without mta metadata (a PyTorch export)", 0}
#define CLI_FLAG_CKPT_WIDTH {"width", "W", "1", "its width multiplier (with --model)", 0}
#define CLI_FLAG_THREADS {"threads", "T", "2", "compute threads (results are byte-identical for the same count)", 0}
#define CLI_FLAG_WIDTH {"width", "W", "1", "width multiplier of every channel count", 0}


#endif
