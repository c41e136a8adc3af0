/* cmd_bench.c — `mta bench MODEL [--mode forward] [--batch 128] [--threads 2] [--seconds S]
 *                [--width W] [--channels C] [--classes K]`: throughput on random inputs,
 * one TSV line: engine mode model images_per_s threads kernel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/blas.h"
#include "base/check.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/modelfile.h"
#include "train/backprop.h"
#include "train/sgd.h"



static const CliFlagSpec bench_flags[] = {
    {"mode", "forward|train", "forward", "inference, or training steps (forward, backward, SGD)", 0},
    {"batch", "B", "128", "images per step", 0},
    CLI_FLAG_THREADS,
    {"seconds", "S", "5", "measure for at least S seconds (and 3 steps)", 0},
    CLI_FLAG_WIDTH,
    {"channels", "C", "3", "input channels", 0},
    {"classes", "K", "10", "classes", 0},
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_bench_info = {"bench", "MODEL", 1, 1, "throughput (images/s) on random 32x32 inputs, TSV", bench_flags};

int cmd_bench(int argc, char **argv)
{
    CliArgs args;
    const CliArgs *flags = &args;
    cli_parse(&cmd_bench_info, argc, argv, 2, &args);
    const char **pos = args.pos;
    const char *mode = cli_get(flags, "mode");
    int train = mode && !strcmp(mode, "train");
    if (mode && !train && strcmp(mode, "forward")) die("flag --mode: '%s' not supported (expected forward or train)", mode);
    int threads = cli_threads(flags);
    int batch = (int)cli_long(flags, "batch", 128, 1, 4096);
    double secs = cli_double(flags, "seconds", 5, 0, 3600);
    int ch = (int)cli_long(flags, "channels", 3, 1, 3), classes = (int)cli_long(flags, "classes", 10, 1, 100000);
    Net *net = net_load_model(pos[0], (Shape){ch, 32, 32}, classes, cli_double(flags, "width", 1.0, 1e-3, 64));
    net_set_threads(net, threads);
    Rng rng;
    rng_seed(&rng, 1);
    net_init_params(net, &rng);
    size_t nx = shape_numel(net->input) * (size_t)batch;
    float *x = xmalloc(nx * sizeof(float)), *dl = xmalloc(sizeof(float) * (size_t)batch * classes);
    float *vel = xcalloc(net->pnumel, sizeof(float));
    int *y = xmalloc(sizeof(int) * (size_t)batch);
    for (size_t i = 0; i < nx; i++) x[i] = (float)rng_normal(&rng);
    for (int i = 0; i < batch; i++) y[i] = (int)rng_below(&rng, (uint32_t)classes);
    Backprop *bp = train ? backprop_new(net, batch) : NULL;
    SgdConfig sgd = {0.9f, 5e-4f, 1};
    if (!train) net_alloc_acts(net, batch);
    long iters = 0;
    double t0 = 0, dt = 0;
    for (int it = -1; dt < secs || iters < 3; it++) {   /* iteration -1 is the warm-up */
        if (it == 0) t0 = now_seconds();
        if (train) {
            net_zero_grad(net, bp);
            const float *out = net_forward_train(net, bp, x, batch, &rng);
            softmax_xent(out, y, batch, classes, dl);
            net_backward(net, bp, dl, batch);
            sgd_step(net, bp->grad, vel, &sgd, 0.01f, it <= 0);
        } else {
            net_forward(net, x, batch);
        }
        if (it >= 0) { iters++; dt = now_seconds() - t0; }
    }
    printf("engine\tmode\tmodel\timages_per_s\tthreads\tblas_kernel\n");
    printf("mta\t%s\t%s\t%.1f\t%d\t%s\n", train ? "train" : "forward", net->model_name, (double)(iters * batch) / dt,
           threads, blas_corename());
    backprop_free(bp, net);
    free(x); free(dl); free(vel); free(y);
    net_free(net);
    return 0;
}
