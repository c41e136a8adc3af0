/* t_grad_sim.c — the gradient-similarity probe (quant/grad_sim.h, qnet_param_gradient) on the
 * PTQ fixture network (BN convs, a bare conv, residual adds, a linear layer): the full-precision
 * gradient w.r.t. the BN-folded parameters against central finite differences of the eval-mode
 * loss in the original weights (chain rule through the fold); the straight-through gradient of
 * the last linear layer against one computed by hand from the fake-quantized forward; INT_16's
 * gradient equal to full precision's; accumulation; JSn's normalization; and `mta grad-sim`:
 * its table, determinism, --images, bad flags. */
#define _DEFAULT_SOURCE   /* realpath, mkdtemp */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/check.h"
#include "io/data.h"
#include "nn/checkpoint.h"
#include "nn/eval.h"
#include "quant/grad_sim.h"
#include "quant/qnet.h"
#include "quant/quant.h"
#include "quant/similarity.h"
#include "quant/sweep.h"
#include "tap.h"
#include "train/backprop.h"

#define N 64
#define K 10

/* mean CE of the eval-mode forward against y, in binary64 */
static double eval_loss(Net *net, const float *x, const int *y)
{
    const float *o = net_forward(net, x, N);
    double s = 0;
    for (int i = 0; i < N; i++) {
        double mx = o[i * K], z = 0;
        for (int j = 1; j < K; j++) mx = fmax(mx, o[i * K + j]);
        for (int j = 0; j < K; j++) z += exp(o[i * K + j] - mx);
        s += mx + log(z) - o[i * K + y[i]];
    }
    return s / N;
}

static float **grads_alloc(const QNet *q)
{
    int np = qnet_param_count(q);
    float **g = xcalloc((size_t)np, sizeof(float *));
    for (int p = 0; p < np; p++) g[p] = xcalloc(qnet_param(q, p).numel, sizeof(float));
    return g;
}

static void grads_release(int np, float **g)
{
    for (int p = 0; p < np; p++) free(g[p]);
    free(g);
}

static void library_checks(const char *ckpt)
{
    char err[512];
    Dataset ds;
    CHECK(dataset_load("fmnist", 0, &ds, err, sizeof err) == 0, "%s", err);
    CkptInfo info;
    Net *net = ckpt_load(ckpt, NULL, 1, (Shape){1, 32, 32}, K, &info, err, sizeof err);
    CHECK(net, "%s", err);
    memcpy(ds.mean, info.mean, sizeof ds.mean);
    memcpy(ds.std, info.std, sizeof ds.std);
    net_set_threads(net, 2);
    net_alloc_acts(net, N);
    Backprop *bp = backprop_new(net, N);
    int idx[N], ylab[N], y[N];
    for (int i = 0; i < N; i++) idx[i] = i;
    float *x = xmalloc(sizeof(float) * 1024 * N);
    dataset_batch(&ds, &ds.train, idx, N, x, ylab);
    const float *o = net_forward(net, x, N);
    for (int i = 0; i < N; i++) y[i] = argmax_first(o + i * K, K);   /* pseudo-labels, as the probe */
    PtqOptions po = ptq_options(0);

    /* full precision: the folded gradient times the fold's per-channel factor is dL/dW */
    QNet *q = qnet_new(net, quant_spec_config(quant_config_find("INT_8")), &po);
    float **gf = grads_alloc(q);
    double l0 = qnet_param_gradient(q, bp, x, y, N, 0, gf, NULL);
    ok(fabs(l0 - eval_loss(net, x, y)) < 1e-5, "the full-precision pass's loss is the eval-mode loss (%.7f)", l0);
    int checked = 0, good = 0;
    for (int p = 0; p < qnet_param_count(q); p++) {
        QParamView v = qnet_param(q, p);
        const Node *nd = &net->nodes[v.node];
        int bias = strstr(v.name, ".bias") != NULL;
        if (bias && nd->pgamma >= 0) continue;   /* a folded bias mixes beta, mean and the conv bias */
        float *w = net_param(net, bias ? nd->pb : nd->pw);
        size_t best = 0;   /* the largest-gradient entry with a non-zero weight */
        for (size_t k = 0; k < v.numel; k++)
            if (w[k] != 0 && fabsf(gf[p][k]) > fabsf(gf[p][best])) best = k;
        double ratio = w[best] != 0 ? v.full[best] / w[best] : 1, h = 1e-2;
        float w0 = w[best];
        w[best] = w0 + (float)h;
        double lp = eval_loss(net, x, y);
        w[best] = w0 - (float)h;
        double lm = eval_loss(net, x, y);
        w[best] = w0;
        double fd = (lp - lm) / (2 * h), an = gf[p][best] * ratio;
        int pass = fabs(fd - an) <= 0.03 * fabs(an) + 2e-4;
        good += pass;
        checked++;
        if (!pass) diag("%s[%zu]: finite difference %.6g, analytic %.6g", v.name, best, fd, an);
    }
    ok(checked >= 8 && good == checked, "full precision: %d of %d parameters' largest gradient entries match central differences",
       good, checked);
    /* accumulation: a second call adds the same gradient */
    float **g2 = grads_alloc(q);
    qnet_param_gradient(q, bp, x, y, N, 0, g2, NULL);
    qnet_param_gradient(q, bp, x, y, N, 0, g2, NULL);
    int twice = 1;
    for (int p = 0; p < qnet_param_count(q); p++)
        for (size_t k = 0; k < qnet_param(q, p).numel; k++) twice &= fabsf(g2[p][k] - 2 * gf[p][k]) <= 1e-5f * (1 + fabsf(gf[p][k]));
    ok(twice, "gradients accumulate: two calls give twice one call's");
    grads_release(qnet_param_count(q), g2);
    qnet_free(q);

    /* INT_16: the straight-through gradient is the full-precision one */
    q = qnet_new(net, quant_spec_config(quant_config_find("INT_16")), &po);
    sweep_calibrate_seeded(q, net, &ds, 2, N, 1);
    float **g16 = grads_alloc(q);
    qnet_param_gradient(q, bp, x, y, N, 1, g16, NULL);
    double worst = 1;
    for (int p = 0; p < qnet_param_count(q); p++) worst = fmin(worst, sim_cosine(g16[p], gf[p], qnet_param(q, p).numel));
    ok(worst > 0.999, "INT_16: every parameter's gradient has cosine > 0.999 with full precision's (least %.6f)", worst);
    grads_release(qnet_param_count(q), g16);
    qnet_free(q);

    /* INT_4: the last linear layer's gradient by hand from the fake-quantized forward */
    q = qnet_new(net, quant_spec_config(quant_config_find("INT_4")), &po);
    sweep_calibrate_seeded(q, net, &ds, 2, N, 1);
    float **g4 = grads_alloc(q);
    float logits[N * K];
    double l4 = qnet_param_gradient(q, bp, x, y, N, 1, g4, logits);
    int pw = qnet_param_count(q) - 2;
    QParamView v = qnet_param(q, pw);
    const Node *nd = &net->nodes[v.node];
    int in = nd->in_shape.c;
    const float *xin = net->act[nd->in[0]];   /* what the fake forward fed the layer */
    double md = 0, mx = 0, hl = 0;
    for (int o2 = 0; o2 < K; o2++)
        for (int j = 0; j < in; j++) {
            double s = 0;
            for (int i = 0; i < N; i++) {
                double m = logits[i * K], z = 0;
                for (int c = 1; c < K; c++) m = fmax(m, logits[i * K + c]);
                for (int c = 0; c < K; c++) z += exp(logits[i * K + c] - m);
                double pr = exp(logits[i * K + o2] - m) / z;
                if (o2 == 0 && j == 0) hl += m + log(z) - logits[i * K + y[i]];
                s += (pr - (y[i] == o2)) / N * xin[(size_t)i * in + j];
            }
            md = fmax(md, fabs(s - g4[pw][o2 * in + j]));
            mx = fmax(mx, fabs(s));
        }
    ok(!strcmp(nd == &net->nodes[v.node] ? op_name(nd->op) : "", op_name(OP_LINEAR)) && md <= 1e-5 * mx + 1e-7 &&
           fabs(hl / N - l4) < 1e-5,
       "INT_4: the linear layer's straight-through weight gradient is (softmax - onehot)^T x of the fake forward (max "
       "diff %.3g of %.3g)", md, mx);
    double cos4 = sim_cosine(g4[0], gf[0], qnet_param(q, 0).numel);
    ok(cos4 < 0.9999, "INT_4 moves the first layer's gradient away from full precision's (cosine %.5f)", cos4);
    grads_release(qnet_param_count(q), g4);
    qnet_free(q);
    grads_release(qnet_compared_params(net), gf);
    backprop_free(bp, net);
    net_free(net);
    dataset_free(&ds);
    free(x);
}

int main(void)
{
    plan_no_plan();
    {   /* JSn: scale-free along the last axis; zero for equal directions */
        float a[6] = {1, 2, 3, -1, 0, 4}, b[6];
        int shape[2] = {2, 3};
        for (int i = 0; i < 6; i++) b[i] = (i < 3 ? 5.0f : 0.25f) * a[i];
        double same = grad_jsn(a, b, 2, shape);
        b[5] = -4;
        double other = grad_jsn(a, b, 2, shape);
        ok(same < 1e-12 && other > 1e-3, "JSn: rows rescaled give 0 (%.3g), a flipped entry does not (%.4f)", same, other);
    }
    if (!have_fmnist()) {
        ok(1, "# SKIP no Fashion-MNIST");
        return done_testing();
    }
    char mta[PATH_MAX], ckpt[PATH_MAX], dir[] = "/tmp/t_grad_sim.XXXXXX", a[400], b[400], err[4096];
    const char *m = getenv("MTA");
    CHECK(realpath(m ? m : "build/mta", mta), "no mta binary");
    CHECK(realpath("tests/fixtures/ptq_small.safetensors", ckpt), "fixture");
    CHECK(mkdtemp(dir), "mkdtemp");
    library_checks(ckpt);
    snprintf(a, sizeof a, "%s/a.tsv", dir);
    snprintf(b, sizeof b, "%s/b.tsv", dir);
    const char *common = "--configs INT_2,INT_4,INT_8,INT_16,POT_4 --calib-batches 2 --batch 64 --threads 2";
    int rc = run_cmd(err, sizeof err, "'%s' grad-sim '%s' %s --out '%s'", mta, ckpt, common, a);
    ok(rc == 0, "mta grad-sim runs (%.200s)", err);
    FILE *f = fopen(a, "r");
    char line[512];
    int rows = 0, shape = f && fgets(line, sizeof line, f) &&
                          !strcmp(line, "title\tquant\tbits\tebits\timages\tfp_xent\tq_xent\tgrad_js_flops\tgrad_cos_flops\tgrad_sqnr_db\n");
    double js[5], cs[5], sq[5], fx[5];
    char t[5][32];
    while (f && rows < 5 && fgets(line, sizeof line, f)) {
        char qt[16];
        int bits, eb, im;
        double qx;
        shape &= sscanf(line, "%31s %15s %d %d %d %lf %lf %lf %lf %lf", t[rows], qt, &bits, &eb, &im, &fx[rows], &qx, &js[rows],
                        &cs[rows], &sq[rows]) == 10 && im == 128;
        rows++;
    }
    if (f) fclose(f);
    ok(shape && rows == 5 && !strcmp(t[0], "INT_2") && !strcmp(t[4], "POT_4"), "a row per configuration, in order, on 128 images");
    ok(fx[0] == fx[1] && fx[1] == fx[4] && fx[0] > 0 && fx[0] < log(10), "fp_xent is the same in every row (%.4f)", fx[0]);
    ok(cs[3] > 0.999 && sq[3] > 30 && js[3] < js[2] && js[2] < js[1] && sq[1] < sq[2] && sq[2] < sq[3],
       "more bits, closer gradients: INT_16 cosine %.5f, SQNR %.1f dB; JS INT_4 %.4g > INT_8 %.4g > INT_16 %.4g; SQNR INT_4 "
       "%.1f < INT_8 %.1f dB", cs[3], sq[3], js[1], js[2], js[3], sq[1], sq[2]);
    rc = run_cmd(NULL, 0, "'%s' grad-sim '%s' %s --out '%s' && cmp -s '%s' '%s'", mta, ckpt, common, b, a, b);
    ok(rc == 0, "same settings, same bytes");
    rc = run_cmd(NULL, 0, "'%s' grad-sim '%s' %s --images 64 --out '%s' && ! cmp -s '%s' '%s' && grep -q '\t64\t' '%s'", mta,
                 ckpt, common, b, a, b, b);
    ok(rc == 0, "--images 64: the first 64 calibration images, another table");
    rc = run_cmd(err, sizeof err, "'%s' grad-sim '%s' %s --images 129 --out '%s'", mta, ckpt, common, b);
    ok(rc == 2 && strstr(err, "--images"), "--images above the calibration images: exit 2, names the flag (%.200s)", err);
    rc = run_cmd(err, sizeof err, "'%s' grad-sim '%s' --configs INT_99 --out '%s'", mta, ckpt, b);
    ok(rc == 2 && strstr(err, "INT_99"), "an unknown configuration is named (%.200s)", err);
    rc = run_cmd(err, sizeof err, "'%s' grad-sim '%s'", mta, ckpt);
    ok(rc == 2 && strstr(err, "--out"), "no --out: exit 2, names the flag");
    run_cmd(NULL, 0, "rm -rf '%s'", dir);
    return done_testing();
}
