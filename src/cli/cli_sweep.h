/* cli_sweep.h — the flags and settings of a command that calibrates its quantized networks as
 * the sweep does (mta grad-sim, mta sample-size): which configurations, how many calibration
 * batches of what size, and the seed of the image selection. */
#ifndef MTA_CLI_SWEEP_H
#define MTA_CLI_SWEEP_H

#include "cli/cli.h"
#include "quant/sweep.h"

/* --configs, --calib-batches and --batch, with the sweep's defaults (its own --seed text is the
 * command's) */
#define CLI_FLAGS_SWEEP_CALIB                                                                    \
    {"configs", "LIST|all", "all", "configurations, e.g. INT_8,POT_4 (canonical order)", 0},    \
        {"calib-batches", "N", "100", "calibration batches, as the sweep's", 0},               \
        {"batch", "B", "128", "batch size, as the sweep's", 0}

/* sc from those flags and --seed (default 1), the PTQ options of mta ptq's defaults, the
 * checkpoint ckpt; every other field zero. */
void cli_sweep_calib(const CliArgs *flags, const char *ckpt, SweepConfig *sc);

#endif
