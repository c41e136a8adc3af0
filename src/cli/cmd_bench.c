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
#include "nn/ops.h"
#include "nn/stats.h"
#include "base/peak.h"
#include "base/progress.h"
#include "train/attack.h"
#include "train/backprop.h"
#include "train/adam.h"
#include "train/bnstat.h"
#include "train/generator.h"
#include "train/sgd.h"



static const CliFlagSpec bench_flags[] = {
    {"mode", "forward|train|pgd|gen|calibrate", "forward", "inference, training steps (forward, backward, SGD), PGD-10 attacks, "
                                                 "steps of the data-free generator against MODEL, or calibration passes (with --config)", 0},
    {"layers", NULL, "off", "with --mode forward or train: per node, time per batch, GFLOP/s and the fraction of this "
                           "machine's measured FMA peak (a table instead of the one line)", 0},
    {"config", "TITLE", "none", "with --mode forward, calibrate or pgd: the quantized network of this configuration (e.g. INT_8)", 0},
    {"gen-width", "G", "0.25", "with --mode gen: the generator's width (the default profile's)", 0},
    {"batch", "B", "128", "images per step", 0},
    CLI_FLAG_THREADS,
    {"seconds", "S", "5", "measure for at least S seconds (and 3 steps)", 0},
    CLI_FLAG_WIDTH,
    {"channels", "C", "3", "input channels", 0},
    {"classes", "K", "10", "classes", 0},
    {NULL, NULL, NULL, NULL, 0}};
/* --layers: per node, ms per batch forward and backward, GFLOP/s of the conv/linear nodes
 * (2 x MACs forward; 4 x MACs backward, the data and the weight gradients) and their share of
 * the measured FMA peak; then the rest of a training step and the total. */
static void print_layers(const Net *net, const NodeProfile *prof, const double *part, int train, long iters, int batch,
                         double dt, const FmaPeak *peak, double width)
{
    NetStats st;
    net_stats(net, &st);
    double *macs = xcalloc((size_t)net->n_nodes, sizeof(double));
    for (int r = 0; r < st.n; r++)
        if (st.rows[r].node >= 0 && st.rows[r].node < net->n_nodes) macs[st.rows[r].node] += (double)st.rows[r].macs;
    double step = dt / (double)iters, sf = 0, sb = 0, gemm_macs = 0;
    printf("# mta bench %s --layers: mode %s, batch %d, width %g, threads %d; OpenBLAS kernel %s; FMA peak %.1f GFLOP/s "
           "(%s, %d threads); %.2f ms a step, %.1f images/s\n",
           net->model_name, train ? "train" : "forward", batch, width, peak->threads, blas_corename(), peak->gflops, peak->isa,
           peak->threads, 1000 * step, (double)batch / step);
    printf("node\tname\top\tout_shape\tmacs\tfwd_ms\tfwd_gflops\tfwd_peak_pct\tbwd_ms\tbwd_gflops\tbwd_peak_pct\ttime_pct\n");
    for (int i = 0; i < net->n_nodes; i++) {
        const Node *nd = &net->nodes[i];
        double f = prof->fwd[i] / (double)iters, b = prof->bwd[i] / (double)iters;
        sf += f; sb += b;
        int gemm = nd->op == OP_CONV || nd->op == OP_LINEAR;
        if (gemm) gemm_macs += macs[i];
        char fg[32] = "-", fp[32] = "-", bg[32] = "-", bpct[32] = "-", bms[32] = "-";
        if (gemm && f > 0) {
            double g = 2 * macs[i] * batch / f / 1e9;
            snprintf(fg, sizeof fg, "%.1f", g);
            snprintf(fp, sizeof fp, "%.1f", 100 * g / peak->gflops);
        }
        if (train) snprintf(bms, sizeof bms, "%.3f", b * 1000);
        if (train && gemm && b > 0) {
            double g = 4 * macs[i] * batch / b / 1e9;
            snprintf(bg, sizeof bg, "%.1f", g);
            snprintf(bpct, sizeof bpct, "%.1f", 100 * g / peak->gflops);
        }
        printf("%d\t%s\t%s\t%dx%dx%d\t%.0f\t%.3f\t%s\t%s\t%s\t%s\t%s\t%.1f\n", i, nd->name, op_name(nd->op), nd->out_shape.c,
               nd->out_shape.h, nd->out_shape.w, macs[i], f * 1000, fg, fp, bms, bg, bpct, 100 * (f + b) / step);
    }
    if (train) {
        const char *what[4] = {"zero_grad", "loss", "grad_buffers", "sgd"};
        double v[4] = {part[0] / iters, part[1] / iters, part[2] / iters - sb, part[3] / iters};
        for (int k = 0; k < 4; k++)   /* grad_buffers: the backward's zeroing and seeding of the activation gradients */
            printf("-\t%s\t-\t-\t0\t-\t-\t-\t%.3f\t-\t-\t%.1f\n", what[k], v[k] * 1000, 100 * v[k] / step);
    }
    /* the whole step: its conv/linear MACs (x 3 in training) over its wall time */
    double g = (train ? 6 : 2) * gemm_macs * batch / step / 1e9;
    char rest[32] = "-";
    if (train) snprintf(rest, sizeof rest, "%.3f", (step - sf) * 1000);
    printf("-\ttotal\t-\t-\t%.0f\t%.3f\t%.1f\t%.1f\t%s\t-\t-\t100.0\n", gemm_macs, sf * 1000, g, 100 * g / peak->gflops, rest);
    free(macs);
    net_stats_free(&st);
}

const CliCommand cmd_bench_info = {"bench", "MODEL", 1, 1, "throughput (images/s) on random 32x32 inputs, TSV", bench_flags};

int cmd_bench(int argc, char **argv)
{
    if (cli_first_pos_is_lm(argc, argv, 0)) return cmd_lm_bench(argc, argv);
    CliArgs args;
    const CliArgs *flags = &args;
    cli_parse(&cmd_bench_info, argc, argv, 2, &args);
    const char **pos = args.pos;
    const char *mode = cli_get(flags, "mode");
    int train = mode && !strcmp(mode, "train"), pgd = mode && !strcmp(mode, "pgd"), gen = mode && !strcmp(mode, "gen");
    int calib = mode && !strcmp(mode, "calibrate");
    if (mode && !train && !pgd && !gen && !calib && strcmp(mode, "forward"))
        cli_fail(&cmd_bench_info, "flag --mode: '%s' not supported (expected forward, train, pgd, gen or calibrate)", mode);
    const char *title = cli_get(flags, "config");
    int cfg = title ? quant_config_find(title) : -1;
    if (title && cfg < 0)
        cli_fail(&cmd_bench_info, "flag --config: '%s' is not a configuration (INT_2..INT_16, POT_2..POT_8, FLOAT_b_Ee)", title);
    if (title && (train || gen)) cli_fail(&cmd_bench_info, "flag --config: only with --mode forward, calibrate or pgd");
    if (calib && !title) cli_fail(&cmd_bench_info, "flag --mode calibrate: needs --config");
    int layers = cli_get(flags, "layers") != NULL;
    if (layers && (title || pgd || gen || calib)) cli_fail(&cmd_bench_info, "flag --layers: only with --mode forward or train, without --config");
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
    FmaPeak peak = {0};
    NodeProfile prof = {0};
    double part[4] = {0};   /* train with --layers: zero_grad, loss, backward (whole), sgd */
    if (layers) {
        peak = fma_peak(net->pool, 0.5);
        prof.fwd = xcalloc((size_t)net->n_nodes, sizeof(double));
        prof.bwd = xcalloc((size_t)net->n_nodes, sizeof(double));
    }
    long iters = 0;
    double t0 = 0, dt = 0;
    for (int it = -1; dt < secs || iters < 3; it++) {   /* iteration -1 is the warm-up */
        if (it == 0) {
            t0 = now_seconds();
            if (layers) net->prof = &prof;
        }
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
            double ta = now_seconds();
            net_zero_grad(net, bp);
            double tb = now_seconds();
            const float *out = net_forward_train(net, bp, x, batch, &rng);
            double tc = now_seconds();
            softmax_xent(out, y, batch, classes, dl);
            double td = now_seconds();
            net_backward(net, bp, dl, batch);
            double te = now_seconds();
            sgd_step(net, bp->grad, vel, &sgd, 0.01f, it <= 0);
            if (it >= 0) { part[0] += tb - ta; part[1] += td - tc; part[2] += te - td; part[3] += now_seconds() - te; }
        } else {
            net_forward(net, x, batch);
        }
        if (it >= 0) { iters++; dt = now_seconds() - t0; }
    }
    net->prof = NULL;
    if (layers) {
        print_layers(net, &prof, part, train, iters, batch, dt, &peak, cli_double(flags, "width", 1.0, 1e-3, 64));
        free(prof.fwd);
        free(prof.bwd);
    } else {
    printf("engine\tmode\tmodel\timages_per_s\tthreads\tblas_kernel\tconfig\n");
    printf("mta\t%s\t%s\t%.1f\t%d\t%s\t%s\n", gen ? "gen" : pgd ? "pgd" : train ? "train" : calib ? "calibrate" : "forward",
           net->model_name, (double)(iters * batch) / dt, threads, blas_corename(), title ? title : "-");
    }
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
