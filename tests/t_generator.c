/* t_generator.c — the data-free generator (train/generator.h), its BN-statistics loss
 * (train/bnstat.h) and Adam (train/adam.h) against PyTorch (tests/fixtures/gen_<case>.*,
 * tools/gen_generator_fixtures.py): a PyTorch-saved generator loads by its state_dict names;
 * the generated image, CE, BNS, dLoss/dimage and every parameter's gradient, the BN running
 * statistics after the forward and every parameter after one Adam step match, for single-label
 * batches (per-sample normaliser) and multi-label ones (per-slot normaliser, soft targets).
 * Then properties: save/load round trip, malformed checkpoints rejected with the tensor named,
 * a network without BN has BNS = 0, finite differences of the whole generator step. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/check.h"
#include "fixture.h"
#include "io/safetensors.h"
#include "nn/init.h"
#include "nn/modelfile.h"
#include "tap.h"
#include "train/adam.h"
#include "train/backprop.h"
#include "train/bnstat.h"
#include "train/generator.h"

/* Largest |a - b| relative to max |b| (at least floor). */
static double reldiff(const float *a, const float *b, size_t n, double floor)
{
    double m = 0, s = floor;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > m) m = d;
        if (fabs(b[i]) > s) s = fabs(b[i]);
    }
    return m / s;
}

static Net *teacher_of(const Fixture *fx, const Generator *g)
{
    char err[512];
    Shape s = {g->channels, g->img, g->img};
    Net *net = net_build("teacher", "fixture", fixture_text(fx, "model"), s, 0, 1.0, err, sizeof err);
    if (!net) return NULL;
    for (int i = 0; i < net->n_params; i++) {
        const FixtureEntry *e = fixture_get(fx, net->params[i].name);
        if (!e || e->numel != net->params[i].numel) { net_free(net); return NULL; }
        memcpy(net->pdata + net->params[i].off, e->data, e->numel * 4);
    }
    return net;
}

static void check_case(const char *what)
{
    char path[256], bin[256], err[512];
    snprintf(path, sizeof path, "tests/fixtures/gen_%s.safetensors", what);
    snprintf(bin, sizeof bin, "tests/fixtures/gen_%s.bin", what);
    Generator *g = gen_load(path, err, sizeof err);
    Fixture *fx = fixture_load(bin);
    ok(g && fx, "%s: a PyTorch-saved generator loads by its state_dict names (%s)", what, g ? "ok" : err);
    if (!g || !fx) { gen_free(g); fixture_free(fx); return; }
    ok(g->c1 == 8 && g->c2 == 4 && g->img == 8 && g->channels == 1 && g->classes == 5 && g->latent == 4,
       "%s: dims from the shapes: c1 %d c2 %d img %d channels %d classes %d latent %d", what, g->c1, g->c2, g->img,
       g->channels, g->classes, g->latent);
    Net *net = teacher_of(fx, g);
    ok(net != NULL, "%s: the teacher builds from the fixture", what);
    if (!net) { gen_free(g); fixture_free(fx); return; }
    int m = (int)fixture_i64(fx, "slots", NULL)[0];
    size_t nl;
    const int64_t *yl = fixture_i64(fx, "labels", &nl);
    int n = (int)nl / m;
    int *y = xmalloc(nl * sizeof(int));
    for (size_t i = 0; i < nl; i++) y[i] = (int)yl[i];
    gen_alloc(g, n, m);
    const float *img = m == 1 ? gen_forward(g, fixture_f32(fx, "z", NULL), y, n)
                              : gen_forward_multi(g, fixture_f32(fx, "z", NULL), y, fixture_f32(fx, "mix", NULL), n, m);
    size_t ni = (size_t)n * g->channels * g->img * g->img;
    double di = reldiff(img, fixture_f32(fx, "image", NULL), ni, 1e-3);
    ok(di < 1e-4, "%s: generated image = PyTorch's (rel diff %.2g)", what, di);
    if (m > 1) {
        float *t = xmalloc((size_t)n * g->classes * sizeof(float));
        gen_soft_targets(g->classes, y, fixture_f32(fx, "mix", NULL), n, m, t);
        double dt = reldiff(t, fixture_f32(fx, "targets", NULL), (size_t)n * g->classes, 1e-6);
        ok(dt < 1e-6, "%s: soft targets = the sum of each label's mixing weights (rel diff %.2g)", what, dt);
        free(t);
    }
    int bad = 0;
    for (int b = 0; b < GEN_NBN; b++) {
        const char *bn[GEN_NBN] = {"conv_blocks0.0", "conv_blocks1.1", "conv_blocks2.1", "conv_blocks2.5"};
        char name[96];
        int c = b < 2 ? g->c1 : b == 2 ? g->c2 : g->channels;
        snprintf(name, sizeof name, "after_forward.%s.running_mean", bn[b]);
        bad += reldiff(g->run_mean[b], fixture_f32(fx, name, NULL), (size_t)c, 1e-3) > 1e-4;
        snprintf(name, sizeof name, "after_forward.%s.running_var", bn[b]);
        bad += reldiff(g->run_var[b], fixture_f32(fx, name, NULL), (size_t)c, 1e-3) > 1e-4;
    }
    ok(bad == 0, "%s: the four BN layers' running statistics after the forward = PyTorch's (%d differ)", what, bad);
    /* the teacher's side: CE (+ soft targets), BNS, dLoss/dimage */
    Backprop *bp = backprop_new(net, n);
    BnStat bs;
    bnstat_init(&bs, net, n);
    float *dx = xmalloc(ni * sizeof(float)), *dl = xmalloc((size_t)n * net->classes * sizeof(float));
    double bns = 0;
    int correct = 0;
    int *y1 = xmalloc((size_t)n * sizeof(int));
    for (int b = 0; b < n; b++) y1[b] = y[(size_t)b * m];
    double ce = teacher_gen_grad(net, bp, &bs, img, y1, m > 1 ? fixture_f32(fx, "targets", NULL) : NULL, n, 0.1f, dx, dl,
                                 &bns, &correct);
    double fce = fixture_f32(fx, "ce", NULL)[0], fbns = fixture_f32(fx, "bns", NULL)[0];
    ok(fabs(ce - fce) < 1e-5 * (1 + fce) && fabs(bns - fbns) < 1e-4 * (1 + fbns) && bs.L == 3,
       "%s: CE %.6f (PyTorch %.6f), BNS %.6f (PyTorch %.6f) over %d BN layers", what, ce, fce, bns, fbns, bs.L);
    double dd = reldiff(dx, fixture_f32(fx, "grad.image", NULL), ni, 1e-6);
    ok(dd < 1e-3, "%s: d(CE + 0.1 BNS)/dimage = PyTorch's (rel diff %.2g)", what, dd);
    /* the generator's backward from PyTorch's image gradient (isolates the generator).  The
     * biases of the convs before BN have a gradient of exactly 0 in exact arithmetic (BN
     * removes any shift): both sides are rounding noise there, so differences are measured
     * against the largest gradient of all tensors, and those biases' Adam steps (whose sign the
     * noise decides) are left out of the step check. */
    gen_zero_grad(g);
    gen_backward(g, fixture_f32(fx, "grad.image", NULL));
    double gmax = 0;
    for (int k = 0; k < GEN_NPARAM; k++) {
        char name[96];
        snprintf(name, sizeof name, "grad.%s", gen_param_name(k));
        size_t cnt = g->off[k + 1] - g->off[k];
        const float *want = fixture_f32(fx, name, NULL);
        for (size_t i = 0; want && i < cnt; i++) gmax = fmax(gmax, fabs(want[i]));
    }
    int worst = -1;
    double wd = 0;
    for (int k = 0; k < GEN_NPARAM; k++) {
        char name[96];
        snprintf(name, sizeof name, "grad.%s", gen_param_name(k));
        size_t cnt = g->off[k + 1] - g->off[k];
        const float *want = fixture_f32(fx, name, NULL);
        double d = want ? reldiff(g->g + g->off[k], want, cnt, 1e-6) : 1.0;
        double dabs = want ? reldiff(g->g + g->off[k], want, cnt, gmax) : 1.0;
        if (dabs < 1e-5) d = 0;   /* within 1e-5 of the largest gradient: agreement at rounding level */
        if (d > wd) { wd = d; worst = k; }
    }
    ok(wd < 2e-3 && gmax > 1e-4, "%s: every generator parameter's gradient = PyTorch's (worst %s, rel diff %.2g)", what,
       worst >= 0 ? gen_param_name(worst) : "-", wd);
    Adam opt;
    adam_init(&opt, g->np, 0.01f, 0.5f, 0.999f, 1e-8f);
    adam_step(&opt, g->p, g->g);
    wd = 0;
    worst = -1;
    for (int k = 0; k < GEN_NPARAM; k++) {
        if (k == GEN_C1B || k == GEN_C2B) continue;   /* pre-BN biases, see above */
        char name[96];
        snprintf(name, sizeof name, "after_adam.%s", gen_param_name(k));
        const float *want = fixture_f32(fx, name, NULL);
        double d = want ? reldiff(g->p + g->off[k], want, g->off[k + 1] - g->off[k], 1e-2) : 1.0;
        if (d > wd) { wd = d; worst = k; }
    }
    ok(wd < 1e-4, "%s: every parameter after one Adam step = PyTorch's (worst %s, rel diff %.2g)", what,
       worst >= 0 ? gen_param_name(worst) : "-", wd);
    adam_free(&opt);
    bnstat_free(&bs);
    backprop_free(bp, net);
    free(dx);
    free(dl);
    free(y);
    free(y1);
    net_free(net);
    gen_free(g);
    fixture_free(fx);
}

/* sum_i r_i img_i: a smooth functional of the generator's output (the teacher's side is
 * checked against PyTorch above; its ReLU kinks would blur finite differences). */
static double image_dot(Generator *g, const float *z, const int *y, int n, const float *r, size_t ni)
{
    const float *img = gen_forward(g, z, y, n);
    double s = 0;
    for (size_t i = 0; i < ni; i++) s += (double)r[i] * img[i];
    return s;
}

static void check_finite_differences(void)
{
    char err[512];
    Generator *g = gen_load("tests/fixtures/gen_single.safetensors", err, sizeof err);
    if (!g) { ok(0, "finite differences: %s", err); return; }
    int n = 6;
    gen_alloc(g, n, 1);
    Rng rng;
    rng_seed(&rng, 7);
    int y[6];
    float z[6 * 4];
    gen_sample(g, &rng, n, 1, y, z, NULL);
    size_t ni = (size_t)n * g->img * g->img;
    float *r = xmalloc(ni * sizeof(float));
    for (size_t i = 0; i < ni; i++) r[i] = (float)rng_normal(&rng);
    image_dot(g, z, y, n, r, ni);
    gen_zero_grad(g);
    gen_backward(g, r);
    float *grad = xmalloc(g->np * sizeof(float));
    memcpy(grad, g->g, g->np * sizeof(float));
    /* the map is strongly curved at this size (batch statistics over 6 tiny images): central
     * differences need a small step, h = 1e-4, whose float rounding (~1e-2 here) sets the floor */
    double gm = 0;
    for (size_t i = 0; i < g->np; i++) gm = fmax(gm, fabs(grad[i]));
    int worst = 0, checked = 0;
    double wd = 0;
    for (int k = 0; k < GEN_NPARAM; k++)
        for (int j = 0; j < 4; j++) {
            size_t cnt = g->off[k + 1] - g->off[k], i = g->off[k] + (size_t)(j * 7919) % cnt;
            float keep = g->p[i], h = 1e-4f;
            g->p[i] = keep + h;
            double lp = image_dot(g, z, y, n, r, ni);
            g->p[i] = keep - h;
            double lm = image_dot(g, z, y, n, r, ni);
            g->p[i] = keep;
            double fd = (lp - lm) / (2 * h), d = fabs(fd - grad[i]) / (1e-2 * gm + fabs(fd) + fabs(grad[i]));
            checked++;
            if (d > 0.02) diag("%s[%zu]: fd %.6g, backward %.6g", gen_param_name(k), i - g->off[k], fd, grad[i]);
            if (d > wd) { wd = d; worst = k; }
        }
    ok(wd < 0.02, "finite differences of sum r * G(z, y) agree with the backward on %d parameters of every tensor "
       "(worst %s, rel %.2g)", checked, gen_param_name(worst), wd);
    free(grad);
    free(r);
    gen_free(g);
}

static void check_roundtrip_and_errors(void)
{
    char err[512], dir[] = "/tmp/t_generator.XXXXXX", path[256], bad[256];
    CHECK(mkdtemp(dir), "mkdtemp");
    Rng rng;
    rng_seed(&rng, 3);
    Generator *g = gen_new(10, 16, 1, 32, 0.125, &rng);
    ok(g->c1 == 16 && g->c2 == 8 && g->init == 8, "width 1/8: c1 %d, c2 %d, init %d", g->c1, g->c2, g->init);
    snprintf(path, sizeof path, "%s/g.safetensors", dir);
    const char *meta[] = {"teacher", "ResNet_18"};
    ok(gen_save(g, path, meta, 1, err, sizeof err) == 0, "gen_save writes %s", path);
    Generator *h = gen_load(path, err, sizeof err);
    ok(h && h->np == g->np && memcmp(h->p, g->p, g->np * sizeof(float)) == 0 && fabs(h->width - 0.125) < 1e-12,
       "save + load round trip: same parameters and width");
    StFile f;
    ok(st_read(path, &f, err, sizeof err) == 0 && st_find(&f, "conv_blocks2.5.running_var") &&
           st_find(&f, "conv_blocks1.1.num_batches_tracked") && st_meta(&f, "teacher") &&
           !strcmp(st_meta(&f, "format"), "mta-generator/1"),
       "the checkpoint holds the reference's state_dict names and its metadata");
    st_free(&f);
    gen_free(h);
    /* malformed: a wrong shape, a missing tensor, not a safetensors file */
    StWriter w;
    st_writer_init(&w);
    for (int k = 0; k < GEN_NPARAM; k++) {
        int rank;
        int64_t s[4];
        gen_param_shape(g, k, &rank, s);
        if (k == GEN_C2W) s[1] = 3;
        st_writer_add(&w, gen_param_name(k), ST_F32, rank, s, g->p + g->off[k]);
    }
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
    CHECK(st_write(&w, bad, err, sizeof err) == 0, "%s", err);
    st_writer_free(&w);
    h = gen_load(bad, err, sizeof err);
    ok(!h && strstr(err, "conv_blocks2.0.weight") && strstr(err, "bad.safetensors"), "a wrong shape is named: %s", err);
    st_writer_init(&w);
    int64_t s1[1] = {4};
    st_writer_add(&w, "label_emb.weight", ST_F32, 1, s1, g->p);
    CHECK(st_write(&w, bad, err, sizeof err) == 0, "%s", err);
    st_writer_free(&w);
    h = gen_load(bad, err, sizeof err);
    ok(!h && strstr(err, "label_emb.weight"), "a classifier-style tensor is refused: %s", err);
    FILE *fp = fopen(bad, "w");
    fputs("not a checkpoint", fp);
    fclose(fp);
    h = gen_load(bad, err, sizeof err);
    ok(!h && strstr(err, "bad.safetensors"), "a non-safetensors file is refused: %s", err);
    gen_free(g);
    unlink(path);
    unlink(bad);
    rmdir(dir);
}

static void check_no_bn(void)
{
    char err[512];
    Shape s = {1, 8, 8};
    Net *net = net_build("nobn", "t", "conv out=4 k=3 pad=1\nrelu\nflatten\nlinear out=3\n", s, 0, 1.0, err, sizeof err);
    CHECK(net, "%s", err);
    Rng rng;
    rng_seed(&rng, 5);
    net_init_params(net, &rng);
    Backprop *bp = backprop_new(net, 4);
    BnStat bs;
    bnstat_init(&bs, net, 4);
    float x[4 * 64], dx[4 * 64], dl[12];
    for (int i = 0; i < 4 * 64; i++) x[i] = (float)sin(i * 0.37);
    int y[4] = {0, 1, 2, 1}, c;
    double bns = -1;
    double ce = teacher_gen_grad(net, bp, &bs, x, y, NULL, 4, 0.1f, dx, dl, &bns, &c);
    double sum = 0;
    for (int i = 0; i < 4 * 64; i++) sum += fabs(dx[i]);
    ok(bs.L == 0 && bns == 0 && isfinite(ce) && sum > 0, "no BN layers: L = 0, BNS = 0 (not NaN), CE %.3f, gradient flows",
       ce);
    bnstat_free(&bs);
    backprop_free(bp, net);
    net_free(net);
}

int main(void)
{
    /* The finite-difference check sits near the float rounding of the forward pass (see
     * check_finite_differences), so its margin depends on the order the convolutions sum in:
     * it runs on the OpenBLAS backend, the one it was tuned on, whatever MTA_CONV says (the
     * oneDNN convolutions themselves are checked against PyTorch in t_forward and t_backward). */
    setenv("MTA_CONV", "openblas", 1);
    plan_no_plan();
    check_case("single");
    check_case("multi");
    check_finite_differences();
    check_roundtrip_and_errors();
    check_no_bn();
    return done_testing();
}
