/* fuzz_fit_tsv.c — the TSV reader of `mta fit` (src/cli/cmd_fit.c), through the command
 * itself: the input is the table, the flags a fixed pooled fit by model.  cmd_fit reports
 * bad input with a status (2), never exits. */
#include <stdint.h>
#include <stdio.h>

#include "cli/commands.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1 << 18)) return 0;
    const char *in = fuzz_path("in.tsv");
    fuzz_write(in, data, size, 0);
    char out[512], inb[512];
    snprintf(out, sizeof out, "%s", fuzz_path("out"));
    snprintf(inb, sizeof inb, "%s", in);
    char *argv[] = {"mta", "fit", inb, "--x", "js_flops", "--y", "acc_loss", "--family", "poly", "--degree", "2",
                    "--by", "model", "--starts", "2", "--out", out, NULL};
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w");   /* the command's messages */
    int rc = cmd_fit((int)(sizeof argv / sizeof argv[0]) - 1, argv);
    fclose(stderr);
    stderr = saved;
    if (rc < 0 || rc > 2) abort();
    return 0;
}
