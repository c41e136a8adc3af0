/* cmd_env.c — `mta env [--threads T]`: the environment results depend on, as TSV rows
 * (name, value): mta version, compiler, BLAS library, the kernel OpenBLAS chose for this
 * CPU (OPENBLAS_CORETYPE, or autodetection), thread count.  The pipeline records it in the
 * report's settings. */
#include <stdio.h>

#include "base/env.h"
#include "base/parallel.h"
#include "cli/cli.h"
#include "cli/commands.h"

static const CliFlagSpec env_flags[] = {CLI_FLAG_THREADS, {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_env_info = {"env", "", 0, 0,
                                 "the environment results depend on: version, compiler, BLAS library and kernel, threads",
                                 env_flags};

int cmd_env(int argc, char **argv)
{
    CliArgs args;
    const CliArgs *flags = &args;
    cli_parse(&cmd_env_info, argc, argv, 2, &args);
    int threads = cli_threads(flags);
    pool_free(pool_new(threads));   /* the pool pins OpenBLAS, as a run would */
    EnvInfo e = env_info(threads);
    printf("setting\tvalue\n");
    env_write_rows(&e, stdout);
    return 0;
}
