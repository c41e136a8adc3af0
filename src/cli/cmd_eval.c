/* cmd_eval.c — `mta eval CKPT --data SPEC [--limit N] [--batch B] [--threads T]
 *               [--model NAME --width W]`: top-1 accuracy on the test split.
 * --limit evaluates the first N test images.  --model/--width are needed only for
 * checkpoints without mta metadata (PyTorch exports). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "nn/checkpoint.h"
#include "nn/eval.h"

static const CliFlagSpec eval_flags[] = {
    CLI_FLAG_DATA,
    {"limit", "N", "all", "evaluate the first N test images", 0},
    {"batch", "B", "128", "images per forward pass", 0},
    CLI_FLAG_THREADS,
    CLI_FLAG_MODEL,
    CLI_FLAG_CKPT_WIDTH,
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_eval_info = {"eval", "CKPT", 1, 1, "top-1 accuracy on the test split", eval_flags};

int cmd_eval(int argc, char **argv)
{
    CliArgs args;
    const CliArgs *flags = &args;
    cli_parse(&cmd_eval_info, argc, argv, 2, &args);
    const char **pos = args.pos;
    int threads = cli_threads(flags);
    int batch = (int)cli_long(flags, "batch", 128, 1, 4096);
    Dataset ds;
    CkptInfo info;
    Net *net = cli_open(flags, pos[0], &ds, &info, threads);
    long limit = cli_long(flags, "limit", ds.test.n, 1, 1L << 30);
    if (limit > ds.test.n) limit = ds.test.n;
    net_alloc_acts(net, eval_batch_size(net, batch, (size_t)2 << 30));
    int *idx = xmalloc(sizeof(int) * (size_t)limit);
    for (long i = 0; i < limit; i++) idx[i] = (int)i;
    Progress prog;
    progress_start(&prog, "eval", limit);
    double t0 = now_seconds();
    double acc = net_accuracy(net, &ds, &ds.test, idx, (int)limit, &prog);
    double dt = now_seconds() - t0;
    progress_end(&prog);
    printf("model\tdata\timages\taccuracy\tseconds\timages_per_s\tthreads\n");
    printf("%s\t%s\t%ld\t%.2f\t%.3f\t%.1f\t%d\n", net->model_name, ds.kind, limit, acc, dt, (double)limit / dt, threads);
    free(idx);
    net_free(net);
    dataset_free(&ds);
    return 0;
}
