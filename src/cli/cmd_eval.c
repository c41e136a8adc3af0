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

int cmd_eval(int argc, char **argv)
{
    CliFlag flags[] = {{"data", 1, NULL},  {"limit", 1, NULL}, {"batch", 1, NULL}, {"threads", 1, NULL},
                       {"model", 1, NULL}, {"width", 1, NULL}, {NULL, 0, NULL}};
    const char *pos[1];
    if (cli_parse("eval", argc, argv, 2, flags, pos, 1) != 1)
        die("usage: mta eval CKPT --data SPEC [--limit N] [--batch B] [--threads T] [--model NAME --width W]");
    int threads = cli_threads(flags);
    int batch = (int)cli_long(flags, "batch", 128, 1, 4096);
    Dataset ds;
    cli_load_data(flags, &ds);
    long limit = cli_long(flags, "limit", ds.test.n, 1, 1L << 30);
    if (limit > ds.test.n) limit = ds.test.n;
    CkptInfo info;
    char err[1024];
    Net *net = ckpt_load(pos[0], cli_get(flags, "model"), cli_double(flags, "width", 1.0, 1e-3, 64),
                         (Shape){ds.test.c, ds.test.h, ds.test.w}, ds.classes, &info, err, sizeof err);
    if (!net) die("%s", err);
    if (net->input.c != ds.test.c || net->input.h != ds.test.h || net->input.w != ds.test.w || net->classes != ds.classes)
        die("%s: the model takes %dx%dx%d inputs and %d classes, data set %s has %dx%dx%d and %d", pos[0], net->input.c,
            net->input.h, net->input.w, net->classes, ds.kind, ds.test.c, ds.test.h, ds.test.w, ds.classes);
    if (info.has_norm) {
        if (info.dataset[0] && strcmp(info.dataset, ds.kind))
            warnf("%s was made for data set '%s', evaluating on '%s' with its normalization", pos[0], info.dataset, ds.kind);
        memcpy(ds.mean, info.mean, sizeof ds.mean);
        memcpy(ds.std, info.std, sizeof ds.std);
    }
    net_set_threads(net, threads);
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
