/* t_backward.c — gradients of every layer type against central finite differences.
 * The loss is L = sum(output * R) for a fixed random R, accumulated in binary64; for each
 * parameter tensor (and the input) a sample of entries is perturbed by +-eps. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "train/backprop.h"
#include "base/check.h"
#include "nn/init.h"
#include "nn/layers.h"
#include "nn/modelfile.h"
#include "base/rng.h"
#include "tap.h"

typedef struct { const char *name, *text; int c, h, n; } Case;

static const Case cases[] = {
    {"conv", "conv out=4 k=3 pad=1\n", 3, 6, 2},
    {"conv stride 2 no bias", "conv out=5 k=3 stride=2 pad=1 bias=0\n", 3, 7, 2},
    {"conv groups 2", "conv out=4 k=3 groups=2\n", 4, 5, 2},
    {"conv depthwise", "conv out=4 k=3 pad=1 groups=4\n", 4, 5, 2},
    {"conv 3x3 pad 2 (fused col2im)", "conv out=3 k=3 pad=2\n", 2, 5, 2},
    {"conv 3x3 no pad, wide (fused col2im interior)", "conv out=2 k=3\n", 2, 9, 2},
    {"conv 1x1 pad 1", "conv out=3 k=1 pad=1\n", 2, 4, 2},
    {"conv batched chunk path", "conv out=3 k=3 pad=1\n", 2, 3, 5},
    {"conv_bn", "conv_bn out=4 k=3 pad=1\n", 3, 5, 3},
    {"conv_bn_relu", "conv_bn_relu out=4 k=3 pad=1 bias=0\n", 3, 5, 3},
    {"conv_bn_relu6", "conv_bn_relu6 out=4 k=3 pad=1\n", 3, 5, 3},
    {"relu", "conv out=3 k=1\nrelu\n", 2, 4, 2},
    {"pointwise conv after conv (chunk path)", "conv out=4 k=3 pad=1\nconv out=3 k=1\n", 2, 4, 3},
    {"relu6", "conv out=3 k=1\nrelu6\n", 2, 4, 2},
    {"maxpool", "conv out=3 k=1\nmaxpool k=3 stride=2 pad=1\n", 2, 7, 2},
    {"avgpool+linear", "conv out=3 k=3\navgpool\nflatten\nlinear out=4\n", 2, 5, 3},
    {"linear no bias + softmax", "conv out=2 k=3\nflatten\nlinear out=5 bias=0\nsoftmax\n", 2, 4, 3},
    {"dropout", "conv out=3 k=3\nflatten\ndropout p=0.3\nlinear out=4\n", 2, 4, 3},
    {"inception", "inception c1=2 c3r=2 c3=3 c5r=1 c5=2 pool=2\n", 3, 5, 2},
    {"basic stage", "stage block=basic blocks=2 out=4 stride=2\n", 3, 6, 2},
    {"bottleneck stage", "stage block=bottleneck blocks=1 mid=2 out=4\n", 3, 5, 2},
    {"inverted stage", "stage block=inverted blocks=2 out=3 expand=2\n", 3, 5, 2},
};

static double loss_of(Net *net, Backprop *bp, const float *x, int n, const float *R, uint64_t seed)
{
    Rng r;
    rng_seed(&r, seed);
    const float *y = net_forward_train(net, bp, x, n, &r);
    double s = 0;
    for (size_t i = 0; i < (size_t)net->classes * n; i++) s += (double)y[i] * R[i];
    return s;
}

/* Compare analytic g[idx] with a central difference of L w.r.t. v[idx].  Returns 1 (match),
 * 0 (mismatch) or -1 (skipped: the one-sided differences disagree, i.e. a ReLU kink or a
 * max-pool switch lies within +-eps, where no finite difference is meaningful). */
static int check_entry(Net *net, Backprop *bp, float *v, size_t idx, double ana, const float *x, int n,
                       const float *R, double *worst)
{
    float save = v[idx];
    float eps = 2e-3f * fmaxf(1.0f, fabsf(save));
    double l0 = loss_of(net, bp, x, n, R, 99);
    v[idx] = save + eps;
    double lp = loss_of(net, bp, x, n, R, 99);
    v[idx] = save - eps;
    double lm = loss_of(net, bp, x, n, R, 99);
    v[idx] = save;
    double fwd = (lp - l0) / eps, bwd = (l0 - lm) / eps, num = (lp - lm) / (2.0 * (double)eps);
    if (fabs(fwd - bwd) > 0.05 * fmax(fmax(fabs(fwd), fabs(bwd)), 0.5)) return -1;
    double err = fabs(num - ana) / fmax(fabs(num), 1e-1);
    if (err > *worst) *worst = err;
    return err < 3e-2;
}

/* The case's network with initialized parameters and non-trivial BN parameters (and, with
 * running, non-trivial running statistics for the eval-mode passes); r continues the draws. */
static Net *build_case(const Case *c, Rng *r, int running)
{
    char err[512];
    Net *net = net_build("case", c->name, c->text, (Shape){c->c, c->h, c->h}, 0, 1.0, err, sizeof err);
    if (!net) { ok(0, "%s builds: %s", c->name, err); return NULL; }
    net_init_params(net, r);
    for (int i = 0; i < net->n_params; i++) {
        Param *p = &net->params[i];
        float *v = net->pdata + p->off;
        if (p->kind == PARAM_BN_GAMMA) for (size_t j = 0; j < p->numel; j++) v[j] = 0.5f + rng_uniform(r);
        if (p->kind == PARAM_BN_BETA) for (size_t j = 0; j < p->numel; j++) v[j] = rng_uniform(r) - 0.5f;
        if (running && p->kind == PARAM_BN_MEAN) for (size_t j = 0; j < p->numel; j++) v[j] = rng_uniform(r) - 0.5f;
        if (running && p->kind == PARAM_BN_VAR) for (size_t j = 0; j < p->numel; j++) v[j] = 0.3f + rng_uniform(r);
    }
    return net;
}

static void run_case(const Case *c)
{
    Rng r;
    rng_seed(&r, 5);
    Net *net = build_case(c, &r, 0);
    if (!net) return;
    int n = c->n;
    size_t nx = shape_numel(net->input) * (size_t)n, ny = (size_t)net->classes * n;
    float *x = xmalloc(nx * 4), *R = xmalloc(ny * 4);
    for (size_t i = 0; i < nx; i++) x[i] = (float)rng_normal(&r) * (strstr(c->name, "relu6") ? 4.0f : 1.0f);
    for (size_t i = 0; i < ny; i++) R[i] = (float)rng_normal(&r);
    Backprop *bp = backprop_new(net, n);
    bp->want_input_grad = 1;
    net_zero_grad(net, bp);
    loss_of(net, bp, x, n, R, 99);
    net_backward(net, bp, R, n);
    float *gin = xmalloc(nx * 4);
    memcpy(gin, bp->dact[0], nx * 4);
    float *grad = xmalloc(net->pnumel * 4 + 4);
    memcpy(grad, bp->grad, net->pnumel * 4);
    int good = 1, checked = 0, skipped = 0, rc;
    double worst = 0;
    for (int i = 0; i < net->n_params; i++) {
        const Param *p = &net->params[i];
        if (!param_trainable(p)) continue;
        for (size_t k = 0; k < p->numel && k < 12; k++) {
            size_t j = (k * 7919) % p->numel;
            rc = check_entry(net, bp, net->pdata + p->off, j, grad[p->off + j], x, n, R, &worst);
            if (rc < 0) skipped++;
            else { good &= rc; checked++; }
        }
    }
    for (size_t k = 0; k < 12; k++) {
        size_t j = (k * 104729) % nx;
        rc = check_entry(net, bp, x, j, gin[j], x, n, R, &worst);
        if (rc < 0) skipped++;
        else { good &= rc; checked++; }
    }
    ok(good && checked >= 3 * skipped, "%s: %d gradient entries match central differences (worst rel err %.1e, %d at kinks skipped)",
       c->name, checked, worst, skipped);
    free(x); free(R); free(gin); free(grad);
    backprop_free(bp, net);
    net_free(net);
}

/* The eval-mode input gradient (Backprop.input_only, what the attacks use): BN with running
 * statistics (set to non-trivial values here), dropout off; the input gradient against central
 * differences of the eval forward, and no parameter gradient, no running-statistics update. */
static void run_case_eval(const Case *c)
{
    Rng r;
    rng_seed(&r, 6);
    Net *net = build_case(c, &r, 1);
    if (!net) return;
    int n = c->n;
    size_t nx = shape_numel(net->input) * (size_t)n, ny = (size_t)net->classes * n;
    float *x = xmalloc(nx * 4), *R = xmalloc(ny * 4), *before = xmalloc(net->pnumel * 4 + 4);
    for (size_t i = 0; i < nx; i++) x[i] = (float)rng_normal(&r) * (strstr(c->name, "relu6") ? 4.0f : 1.0f);
    for (size_t i = 0; i < ny; i++) R[i] = (float)rng_normal(&r);
    memcpy(before, net->pdata, net->pnumel * 4);
    Backprop *bp = backprop_new(net, n);
    bp->want_input_grad = 1;
    bp->input_only = 1;
    net_zero_grad(net, bp);
    long batches = net->bn_batches;
    loss_of(net, bp, x, n, R, 99);
    /* the eval-mode training forward is the eval forward */
    float *yt = xmalloc(ny * 4);
    memcpy(yt, net->act[net->n_tensors - 1], ny * 4);
    net_alloc_acts(net, n);
    const float *ye = net_forward(net, x, n);
    double dmax = 0;
    for (size_t i = 0; i < ny; i++) dmax = fmax(dmax, fabs((double)ye[i] - yt[i]));
    net_backward(net, bp, R, n);
    float *gin = xmalloc(nx * 4);
    memcpy(gin, bp->dact[0], nx * 4);
    int nonzero = 0;
    for (size_t i = 0; i < net->pnumel; i++) nonzero += bp->grad[i] != 0;
    int good = 1, checked = 0, skipped = 0, rc;
    double worst = 0;
    for (size_t k = 0; k < 16; k++) {
        size_t j = (k * 104729) % nx;
        rc = check_entry(net, bp, x, j, gin[j], x, n, R, &worst);
        if (rc < 0) skipped++;
        else { good &= rc; checked++; }
    }
    int same = !memcmp(before, net->pdata, net->pnumel * 4) && net->bn_batches == batches;
    ok(good && checked >= 3 * skipped && nonzero == 0 && same && dmax == 0,
       "%s, eval-mode input gradient: %d entries match central differences (worst rel err %.1e, %d at kinks skipped); "
       "no parameter gradient (%d non-zero), parameters and running statistics untouched, forward = eval forward (max diff %.1g)",
       c->name, checked, worst, skipped, nonzero, dmax);
    free(x); free(R); free(before); free(yt); free(gin);
    backprop_free(bp, net);
    net_free(net);
}

/* One shape: forward with and without indices against a naive scan; returns 1 when equal. */
static int maxpool_case(Rng *r, int k, int st, int pad, int n, int c, int h, int w, int nanp)
{
    int ho = (h + 2 * pad - k) / st + 1, wo = (w + 2 * pad - k) / st + 1, good = 1;
    size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * ho * wo;
    float *x = malloc(nx * sizeof *x), *y = malloc(ny * sizeof *y), *y2 = malloc(ny * sizeof *y2);
    int *arg = malloc(ny * sizeof *arg);
    CHECK(x && y && y2 && arg, "out of memory");
    for (size_t i = 0; i < nx; i++) {
        double u = rng_uniform(r);
        x[i] = u < 0.5 ? 0.0f : u < 0.55 ? -INFINITY : (float)floor(u * 8);
    }
    if (nanp) x[rng_below(r, (uint32_t)nx)] = NAN;
    maxpool_forward_arg(x, y, arg, n, c, h, w, k, st, pad, ho, wo);
    maxpool_forward(x, y2, n, c, h, w, k, st, pad, ho, wo);
    for (int p = 0; p < n * c; p++)
        for (int oi = 0; oi < ho; oi++)
            for (int oj = 0; oj < wo; oj++) {
                int best = -1;
                float m = 0;
                for (int ii = oi * st - pad; ii < oi * st - pad + k; ii++)
                    for (int jj = oj * st - pad; jj < oj * st - pad + k; jj++) {
                        if (ii < 0 || jj < 0 || ii >= h || jj >= w) continue;
                        float v = x[(size_t)p * h * w + ii * w + jj];
                        if (best < 0 || (m == m && (v > m || v != v))) { best = ii * w + jj; m = v; }
                    }
                size_t o = (size_t)p * ho * wo + oi * wo + oj;
                int same = m != m ? y[o] != y[o] && y2[o] != y2[o] : y[o] == m && y2[o] == m;
                if (good && !(same && arg[o] == best))
                    diag("k%d s%d p%d h%d w%d nan%d: plane %d (%d,%d): got %g/%g@%d, want %g@%d", k, st, pad, h, w, nanp, p,
                         oi, oj, (double)y[o], (double)y2[o], arg[o], (double)m, best);
                good = good && same && arg[o] == best;
            }
    free(x); free(y); free(y2); free(arg);
    return good;
}

/* Max pooling against a naive scalar version: the first maximum in row-major window order
 * (PyTorch's), NaN wins, padding never wins, on data full of ties (ReLU zeros), -inf and
 * an occasional NaN, for the window shapes the models use and odd ones; and planes too large
 * for the stack scratch (the heap path). */
static void check_maxpool_semantics(void)
{
    static const int shapes[][3] = {{3, 1, 1}, {3, 2, 1}, {2, 2, 0}, {3, 2, 0}, {5, 1, 2}, {4, 3, 1}, {1, 1, 0}};
    Rng r;
    rng_seed(&r, 99);
    int good = 1, cases = 0;
    for (size_t t = 0; t < sizeof shapes / sizeof *shapes; t++)
        for (int h = 1; h <= 9; h += 2)
            for (int nanp = 0; nanp < 2; nanp++) {
                int k = shapes[t][0], st = shapes[t][1], pad = shapes[t][2], w = h + 2;
                if (k > h + 2 * pad || k > w + 2 * pad) continue;
                good = maxpool_case(&r, k, st, pad, 3, 2, h, w, nanp) && good;
                cases++;
            }
    ok(good, "maxpool: values and first-maximum indices equal a naive scan (%d cases: ties, -inf, NaN)", cases);
    int big = maxpool_case(&r, 3, 1, 1, 1, 2, 100, 102, 0) && maxpool_case(&r, 2, 2, 0, 1, 1, 40, 2100, 1);
    ok(big, "maxpool on planes beyond the stack scratch (100x102, 40x2100) equals the naive scan");
}

int main(void)
{
    plan_no_plan();
    check_maxpool_semantics();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case_eval(&cases[i]);
    return done_testing();
}
