/* cmd_env.c — `mta env [--threads T]`: the environment results depend on, as TSV rows
 * (name, value): mta version, compiler, BLAS library, the kernel OpenBLAS chose for this
 * CPU (OPENBLAS_CORETYPE, or autodetection), thread count.  The pipeline records it in the
 * report's settings. */
#include <stdio.h>

#include "base/env.h"
#include "base/parallel.h"
#include "cli/cli.h"
#include "cli/commands.h"

int cmd_env(int argc, char **argv)
{
    CliFlag flags[] = {{"threads", 1, NULL}, {NULL, 0, NULL}};
    const char *pos[1];
    cli_parse("env", argc, argv, 2, flags, pos, 0);
    int threads = cli_threads(flags);
    pool_free(pool_new(threads));   /* the pool pins OpenBLAS, as a run would */
    EnvInfo e = env_info(threads);
    printf("setting\tvalue\n");
    env_write_rows(&e, stdout);
    return 0;
}
