/* cmd_bench.c — `mta bench MODEL [--mode forward] [--batch 128] [--threads 2] [--seconds S]
 *                [--width W] [--channels C] [--classes K]`: throughput on random inputs,
 * one TSV line: engine mode model images_per_s threads kernel. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "commands.h"
#include "init.h"
#include "modelfile.h"

char *openblas_get_corename(void);

int cmd_bench(int argc, char **argv)
{
    CliFlag flags[] = {{"mode", 1, NULL},  {"batch", 1, NULL},    {"threads", 1, NULL}, {"seconds", 1, NULL},
                       {"width", 1, NULL}, {"channels", 1, NULL}, {"classes", 1, NULL}, {NULL, 0, NULL}};
    const char *pos[1];
    if (cli_parse("bench", argc, argv, 2, flags, pos, 1) != 1)
        die("usage: mta bench MODEL [--mode forward] [--batch B] [--threads T] [--seconds S] [--width W]");
    const char *mode = cli_get(flags, "mode");
    if (mode && strcmp(mode, "forward")) die("flag --mode: '%s' not supported (expected forward)", mode);
    int threads = cli_threads(flags);
    int batch = (int)cli_long(flags, "batch", 128, 1, 4096);
    double secs = cli_double(flags, "seconds", 5, 0, 3600);
    int ch = (int)cli_long(flags, "channels", 3, 1, 3), classes = (int)cli_long(flags, "classes", 10, 1, 100000);
    Net *net = net_load_model(pos[0], (Shape){ch, 32, 32}, classes, cli_double(flags, "width", 1.0, 1e-3, 64));
    Rng rng;
    rng_seed(&rng, 1);
    net_init_params(net, &rng);
    net_alloc_acts(net, batch);
    size_t nx = shape_numel(net->input) * (size_t)batch;
    float *x = xmalloc(nx * sizeof(float));
    for (size_t i = 0; i < nx; i++) x[i] = (float)rng_normal(&rng);
    net_forward(net, x, batch); /* warm-up */
    long iters = 0;
    double t0 = now_seconds(), dt;
    do {
        net_forward(net, x, batch);
        iters++;
        dt = now_seconds() - t0;
    } while (dt < secs || iters < 3);
    printf("mta\tforward\t%s\t%.1f\t%d\t%s\n", net->model_name, (double)(iters * batch) / dt, threads,
           openblas_get_corename());
    free(x);
    net_free(net);
    return 0;
}
