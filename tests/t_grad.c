/* t_grad.c — training-mode forward, gradients, BN running statistics and the SGD step
 * against PyTorch fixtures (tests/fixtures/grad_*.bin, sgd_step.bin; tools/gen_fixtures.py).
 * A tensor matches when max|got - want| <= 1e-4 * max|want| + 3e-5 (the absolute part
 * covers the float noise PyTorch leaves in gradients that are exactly 0, e.g. a conv bias
 * before a train-mode BN). */
#include <glob.h>
#include <math.h>
#include <string.h>

#include "train/backprop.h"
#include "base/check.h"
#include "fixture.h"
#include "nn/layers.h"
#include "base/fileio.h"
#include "nn/modelfile.h"
#include "train/sgd.h"
#include "tap.h"

static int close_enough(const float *got, const float *want, size_t n, double *maxd)
{
    double md = 0, mw = 0;
    for (size_t i = 0; i < n; i++) {
        md = fmax(md, fabs((double)got[i] - want[i]));
        mw = fmax(mw, fabs(want[i]));
    }
    *maxd = md;
    return md <= 1e-4 * mw + 3e-5;
}

static Net *build_fixture_net(const Fixture *fx, const char *base, Shape s)
{
    char err[1024];
    if (fixture_get(fx, "model")) return net_build(base, "fixture", fixture_text(fx, "model"), s, 0, 1.0, err, sizeof err);
    const char *name = fixture_text(fx, "model_name");
    char mpath[512];
    snprintf(mpath, sizeof mpath, "experiments/models/%s.model", name);
    char *text = read_text_file(mpath, err, sizeof err);
    Net *net = text ? net_build(mpath, name, text, s, (int)fixture_i64(fx, "classes", NULL)[0],
                                fixture_f32(fx, "width", NULL)[0], err, sizeof err) : NULL;
    free(text);
    if (!net) diag("%s", err);
    return net;
}

static void run_fixture(const char *path, int threads)
{
    char base[300];
    snprintf(base, sizeof base, "%s (%d thread%s)", strrchr(path, '/') + 1, threads, threads > 1 ? "s" : "");
    Fixture *fx = fixture_load(path);
    const FixtureEntry *in = fx ? fixture_need(fx, "input", FIXTURE_F32) : NULL;
    const FixtureEntry *out = fx ? fixture_need(fx, "output", FIXTURE_F32) : NULL;
    if (!in || !out) { ok(0, "%s loads", base); fixture_free(fx); return; }
    Shape s = {(int)in->dims[1], in->ndim > 2 ? (int)in->dims[2] : 1, in->ndim > 3 ? (int)in->dims[3] : 1};
    int n = (int)in->dims[0];
    Net *net = build_fixture_net(fx, base, s);
    if (!net) { ok(0, "%s builds", base); fixture_free(fx); return; }
    int loaded = 1;
    for (int i = 0; i < net->n_params; i++) {
        const FixtureEntry *e = fixture_get(fx, net->params[i].name);
        if (!e || e->numel != net->params[i].numel) { diag("missing %s", net->params[i].name); loaded = 0; continue; }
        memcpy(net->pdata + net->params[i].off, e->data, e->numel * 4);
    }
    net_set_threads(net, threads);   /* 2: the pool's splits and per-thread gradient sums */
    Backprop *bp = backprop_new(net, n);
    bp->want_input_grad = 1;
    Rng r;
    rng_seed(&r, 1);
    net_zero_grad(net, bp);
    const float *y = net_forward_train(net, bp, in->data, n, &r);
    double d;
    int good = loaded && out->numel == (size_t)net->classes * n && close_enough(y, out->data, out->numel, &d);
    ok(good, "%s: train-mode forward matches (max diff %.2e)", base, good ? d : -1.0);
    float *dout = xmalloc((size_t)net->classes * n * 4);
    if (fixture_get(fx, "dout")) {
        memcpy(dout, fixture_f32(fx, "dout", NULL), (size_t)net->classes * n * 4);
    } else {
        const int64_t *lab = fixture_i64(fx, "labels", NULL);
        int labels[64];
        for (int i = 0; i < n && i < 64; i++) labels[i] = (int)lab[i];
        double loss = softmax_xent(y, labels, n, net->classes, dout);
        double want = fixture_f32(fx, "loss", NULL)[0];
        ok(fabs(loss - want) <= 1e-5 * fabs(want) + 1e-6, "%s: cross-entropy %.7f matches %.7f", base, loss, want);
    }
    net_backward(net, bp, dout, n);
    int all = 1, count = 0;
    double worst = 0;
    for (uint32_t i = 0; i < fx->count; i++) {
        const FixtureEntry *e = &fx->entries[i];
        const float *got = NULL;
        if (!strncmp(e->name, "grad.", 5)) {
            if (!strcmp(e->name, "grad.input")) got = bp->dact[0];
            else {
                int p = net_find_param(net, e->name + 5);
                if (p >= 0) got = bp->grad + net->params[p].off;
            }
        } else if (!strncmp(e->name, "after.", 6)) {
            int p = net_find_param(net, e->name + 6);
            if (p >= 0) got = net->pdata + net->params[p].off;
        } else continue;
        if (!got) { diag("%s: no mta tensor for %s", base, e->name); all = 0; continue; }
        count++;
        if (!close_enough(got, e->data, e->numel, &d)) {
            diag("%s: %s differs (max diff %.3g)", base, e->name, d);
            all = 0;
        }
        worst = fmax(worst, d);
    }
    ok(all && count > 0, "%s: %d gradients and running statistics match (max diff %.2e)", base, count, worst);
    free(dout);
    backprop_free(bp, net);
    net_free(net);
    fixture_free(fx);
}

static void check_sgd(void)
{
    Fixture *fx = fixture_load("tests/fixtures/sgd_step.bin");
    if (!fx) { ok(0, "sgd_step.bin loads"); return; }
    /* a fake net holding p0, p1, p2 as weights of one linear-free parameter table */
    Net net = {0};
    Param ps[3];
    size_t off = 0;
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        const FixtureEntry *e = fixture_get(fx, name);
        memset(&ps[i], 0, sizeof ps[i]);
        snprintf(ps[i].name, sizeof ps[i].name, "%s", name);
        ps[i].kind = PARAM_WEIGHT;
        ps[i].off = off;
        ps[i].numel = e->numel;
        off += e->numel;
    }
    net.params = ps;
    net.n_params = 3;
    net.pnumel = off;
    net.pdata = xmalloc(off * 4);
    float *grad = xmalloc(off * 4), *vel = xcalloc(off, 4);
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        memcpy(net.pdata + ps[i].off, fixture_f32(fx, name, NULL), ps[i].numel * 4);
    }
    SgdConfig c = {fixture_f32(fx, "momentum", NULL)[0], fixture_f32(fx, "weight_decay", NULL)[0], 1};
    int good = 1;
    double worst = 0;
    for (int s = 1; s <= 3; s++) {
        char name[32];
        for (int i = 0; i < 3; i++) {
            snprintf(name, sizeof name, "g%d_%d", i, s);
            memcpy(grad + ps[i].off, fixture_f32(fx, name, NULL), ps[i].numel * 4);
        }
        snprintf(name, sizeof name, "lr_%d", s);
        sgd_step(&net, grad, vel, &c, fixture_f32(fx, name, NULL)[0], s == 1);
        for (int i = 0; i < 3; i++) {
            snprintf(name, sizeof name, "p%d_after_%d", i, s);
            const float *want = fixture_f32(fx, name, NULL);
            for (size_t j = 0; j < ps[i].numel; j++) {
                double d = fabs((double)net.pdata[ps[i].off + j] - want[j]);
                worst = fmax(worst, d / fmax(fabs(want[j]), 1e-3));
                good &= d <= 4 * 1.2e-7 * fmax(fabs(want[j]), 1e-3);
            }
        }
    }
    ok(good, "SGD (momentum, Nesterov, weight decay, lr change) matches torch.optim.SGD over 3 steps (worst rel %.1e)", worst);
    free(net.pdata); free(grad); free(vel);
    fixture_free(fx);
}

/* The learning-rate schedules: the reference's warm-up + MultiStepLR, and the per-batch
 * cosine and linear decays (which end at 0 after the last batch). */
static void check_schedule(void)
{
    LrSchedule s = {.lr = 0.1f, .gamma = 0.2f, .milestones = {2, 3}, .n_milestones = 2, .warmup = 1, .epochs = 4};
    ok(lr_at(&s, 1, 0, 10) == 0 && fabsf(lr_at(&s, 1, 5, 10) - 0.05f) < 1e-7f, "warm-up: lr * b / nb in epoch 1");
    ok(lr_at(&s, 2, 0, 10) == 0.1f && fabsf(lr_at(&s, 3, 0, 10) - 0.02f) < 1e-8f &&
       fabsf(lr_at(&s, 4, 9, 10) - 0.004f) < 1e-8f, "MultiStepLR: gamma per milestone passed");
    s.kind = LR_COSINE;
    ok(lr_at(&s, 2, 0, 10) == 0.1f, "cosine starts at lr after the warm-up epoch");
    ok(fabsf(lr_at(&s, 3, 5, 10) - 0.05f) < 1e-7f, "cosine is lr/2 half-way (%g)", lr_at(&s, 3, 5, 10));
    ok(lr_at(&s, 4, 9, 10) > 0 && lr_at(&s, 4, 9, 10) < 0.001f, "cosine ends near 0 (%g)", lr_at(&s, 4, 9, 10));
    s.kind = LR_LINEAR;
    s.warmup = 0;
    ok(lr_at(&s, 1, 0, 10) == 0.1f && fabsf(lr_at(&s, 3, 0, 10) - 0.05f) < 1e-7f &&
       fabsf(lr_at(&s, 4, 9, 10) - 0.0025f) < 1e-8f, "linear decay without warm-up: 0.1, 0.05 half-way, 0.0025 last");
}

int main(void)
{
    plan_no_plan();
    glob_t gl;
    int found = glob("tests/fixtures/grad_*.bin", 0, NULL, &gl) == 0 ? (int)gl.gl_pathc : 0;
    ok(found >= 30, "found %d gradient fixtures", found);
    for (int i = 0; i < found; i++)
        for (int t = 1; t <= 2; t++) run_fixture(gl.gl_pathv[i], t);
    if (found) globfree(&gl);
    check_sgd();
    check_schedule();
    return done_testing();
}
