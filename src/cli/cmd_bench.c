/* cmd_bench.c — `mta bench MODEL [--mode forward|train|pgd|gen] [--batch 128] [--threads 2]
 *                [--seconds S] [--width W] [--gen-width G] [--channels C] [--classes K]`:
 * throughput on random inputs, one TSV line: engine mode model images_per_s threads kernel.
 * pgd: one step is a PGD-10 attack of the batch (train/attack.h; eps 8/255, step 2/255 in pixel
 * units of a normalization with mean 0.5 and std 0.25, random start), as tools/bench_torch.py
 * does it.  gen: one step is a generator training step (train/gen_train.h: generate the batch,
 * the teacher MODEL in eval mode, CE + 0.1 BNS, the generator's backward, Adam); images/s =
 * steps/s x batch.  --config TITLE (forward, calibrate, pgd): the same on the quantized network
 * of that configuration (quant/qnet.h, default options), calibrated on the random batch:
 * forward is its integer-domain inference (what a PTQ sweep evaluates), calibrate one observer
 * pass (fake-quantized forward), pgd the attack through the fake-quantized forward (a
 * robustness sweep). */
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
#include "quant/qnet.h"
#include "train/attack.h"
#include "train/backprop.h"
#include "train/adam.h"
#include "train/bnstat.h"
#include "train/generator.h"
#include "train/sgd.h"



static const CliFlagSpec bench_flags[] = {
    {"mode", "forward|train|pgd|gen|calibrate", "forward", "inference, training steps (forward, backward, SGD), PGD-10 attacks, "
                                                 "steps of the data-free generator against MODEL, or calibration passes (with --config)", 0},
    {"config", "TITLE", NULL, "with --mode forward, calibrate or pgd: the quantized network of this configuration (e.g. INT_8)", 0},
    {"gen-width", "G", "0.25", "with --mode gen: the generator's width (the default profile's)", 0},
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
    int train = mode && !strcmp(mode, "train"), pgd = mode && !strcmp(mode, "pgd"), gen = mode && !strcmp(mode, "gen");
    int calib = mode && !strcmp(mode, "calibrate");
    if (mode && !train && !pgd && !gen && !calib && strcmp(mode, "forward"))
        die("flag --mode: '%s' not supported (expected forward, train, pgd, gen or calibrate)", mode);
    const char *title = cli_get(flags, "config");
    int cfg = title ? quant_config_find(title) : -1;
    if (title && cfg < 0) die("flag --config: no configuration titled '%s' (mta ptq --help lists them)", title);
    if (title && (train || gen)) die("flag --config: only with --mode forward, calibrate or pgd");
    if (calib && !title) die("flag --mode calibrate: needs --config");
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
    Backprop *bp = train || pgd || gen ? backprop_new(net, batch) : NULL;
    Generator *g = NULL;
    BnStat bs = {0};
    Adam opt = {0};
    float *gz = NULL, *gdx = NULL;
    int *gy = NULL;
    if (gen) {
        int latent;
        char err[512];
        const float *w = gen_teacher_weight(net, &latent, err, sizeof err);
        if (!w) die("%s", err);
        g = gen_new(classes, latent, ch, 32, cli_double(flags, "gen-width", 0.25, 1.0 / 128, 8), &rng);
        gen_init_embedding(g, w);
        gen_set_pool(g, net->pool);
        gen_alloc(g, batch, 1);
        bnstat_init(&bs, net, batch);
        adam_init(&opt, g->np, 0.001f, 0.5f, 0.999f, 1e-8f);
        gz = xmalloc(sizeof(float) * (size_t)batch * latent);
        gy = xmalloc(sizeof(int) * (size_t)batch);
        gdx = xmalloc(nx * sizeof(float));
    }
    SgdConfig sgd = {0.9f, 5e-4f, 1};
    if (!bp) net_alloc_acts(net, batch);
    AttackSpec atk = {.kind = ATTACK_PGD, .box = ATTACK_BOX_PIXEL, .eps = 8.0f / 255, .alpha = 2.0f / 255, .steps = 10,
                      .random_start = 1};
    AttackBounds ab;
    const float mean[3] = {0.5f, 0.5f, 0.5f}, sd[3] = {0.25f, 0.25f, 0.25f};
    attack_bounds(&atk, mean, sd, ch, &ab);
    float *xa = pgd ? xmalloc(nx * sizeof(float)) : NULL;
    QNet *q = NULL;
    QnetTargetCtx qc = {0};
    if (title) {
        PtqOptions po = ptq_options(0);
        q = qnet_new(net, quant_spec_config(cfg), &po);
        qnet_calibrate(q, x, batch);
        if (!calib && !pgd) qnet_freeze(q);   /* the attacks run the fake-quantized forward */
        qc = (QnetTargetCtx){q, bp};
    }
    long iters = 0;
    double t0 = 0, dt = 0;
    for (int it = -1; dt < secs || iters < 3; it++) {   /* iteration -1 is the warm-up */
        if (it == 0) t0 = now_seconds();
        if (gen) {
            gen_sample(g, &rng, batch, 1, gy, gz, NULL);
            const float *img = gen_forward(g, gz, gy, batch);
            double bns;
            int correct;
            teacher_gen_grad(net, bp, &bs, img, gy, NULL, batch, 0.1f, gdx, dl, &bns, &correct);
            gen_zero_grad(g);
            gen_backward(g, gdx);
            adam_step(&opt, g->p, g->g);
        } else if (pgd) {
            NetTargetCtx tc = {net, bp};
            AttackTarget target = q ? qnet_attack_target(&qc) : attack_target_net(&tc);
            attack_batch(&target, &atk, &ab, x, y, batch, xa, &rng);
        } else if (calib) {
            qnet_calibrate(q, x, batch);
        } else if (q) {
            qnet_infer(q, x, batch);
        } else if (train) {
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
    printf("engine\tmode\tmodel\timages_per_s\tthreads\tblas_kernel\tconfig\n");
    printf("mta\t%s\t%s\t%.1f\t%d\t%s\t%s\n", gen ? "gen" : pgd ? "pgd" : train ? "train" : calib ? "calibrate" : "forward",
           net->model_name, (double)(iters * batch) / dt, threads, blas_corename(), title ? title : "-");
    qnet_free(q);
    if (gen) {
        gen_free(g);
        bnstat_free(&bs);
        adam_free(&opt);
        free(gz); free(gy); free(gdx);
    }
    backprop_free(bp, net);
    free(x); free(dl); free(vel); free(y); free(xa);
    net_free(net);
    return 0;
}
