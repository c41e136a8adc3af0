/* cli_sweep.c — see cli_sweep.h. */
#include "cli/cli_sweep.h"

#include <string.h>

void cli_sweep_calib(const CliArgs *flags, const char *ckpt, SweepConfig *sc)
{
    memset(sc, 0, sizeof *sc);
    sweep_parse_configs(cli_get(flags, "configs"), sc);
    sc->calib_batches = (int)cli_long(flags, "calib-batches", 100, 1, 100000);
    sc->batch = (int)cli_long(flags, "batch", 128, 1, 4096);
    sc->seed = cli_u64(flags, "seed", 1);
    sc->opt = ptq_options(0);
    sc->ckpt = ckpt;
}
