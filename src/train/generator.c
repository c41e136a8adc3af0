/* generator.c — the data-free generator: parameters, forward, backward, checkpoint
 * (see generator.h). */
#include "train/generator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/env.h"
#include "io/safetensors.h"
#include "nn/conv.h"
#include "nn/layers.h"
#include "nn/par_ops.h"

#define GEN_FORMAT "mta-generator/1"
#define GEN_MOMENTUM 0.1f
#define NORM_EPS 1e-5f   /* embed_normalizer, bn0, bn3 */
#define BN_EPS_WIDE 0.8f /* bn1, bn2: BatchNorm2d(c, 0.8), quirk 6 */
#define LEAK 0.2f

static const char *const param_names[GEN_NPARAM] = {
    "label_emb.weight", "l1.0.weight", "l1.0.bias", "conv_blocks0.0.weight", "conv_blocks0.0.bias",
    "conv_blocks1.0.weight", "conv_blocks1.0.bias", "conv_blocks1.1.weight", "conv_blocks1.1.bias",
    "conv_blocks2.0.weight", "conv_blocks2.0.bias", "conv_blocks2.1.weight", "conv_blocks2.1.bias",
    "conv_blocks2.3.weight", "conv_blocks2.3.bias"};
static const char *const bn_names[GEN_NBN] = {"conv_blocks0.0", "conv_blocks1.1", "conv_blocks2.1", "conv_blocks2.5"};
/* the trainable tensor after which BN k's running statistics appear in the state_dict */
static const int bn_after[GEN_NBN] = {GEN_BN0B, GEN_BN1B, GEN_BN2B, GEN_C3B};

const char *gen_param_name(int k) { return k >= 0 && k < GEN_NPARAM ? param_names[k] : "?"; }

static int bn_channels(const Generator *g, int k) { return k < 2 ? g->c1 : k == 2 ? g->c2 : g->channels; }

void gen_param_shape(const Generator *g, int k, int *rank, int64_t s[4])
{
    int64_t s2 = (int64_t)g->init * g->init;
    *rank = 1;
    switch (k) {
    case GEN_EMB: *rank = 2; s[0] = g->classes; s[1] = g->latent; break;
    case GEN_L1W: *rank = 2; s[0] = g->c1 * s2; s[1] = g->latent; break;
    case GEN_L1B: s[0] = g->c1 * s2; break;
    case GEN_C1W: *rank = 4; s[0] = g->c1; s[1] = g->c1; s[2] = s[3] = 3; break;
    case GEN_C2W: *rank = 4; s[0] = g->c2; s[1] = g->c1; s[2] = s[3] = 3; break;
    case GEN_C3W: *rank = 4; s[0] = g->channels; s[1] = g->c2; s[2] = s[3] = 3; break;
    case GEN_BN0G: case GEN_BN0B: case GEN_C1B: case GEN_BN1G: case GEN_BN1B: s[0] = g->c1; break;
    case GEN_C2B: case GEN_BN2G: case GEN_BN2B: s[0] = g->c2; break;
    default: s[0] = g->channels; break;   /* GEN_C3B */
    }
}

static size_t shape_count(int rank, const int64_t *s)
{
    size_t c = 1;
    for (int d = 0; d < rank; d++) c *= (size_t)s[d];
    return c;
}

static float *P(const Generator *g, int k) { return g->p + g->off[k]; }
static float *G(const Generator *g, int k) { return g->g + g->off[k]; }

static void uniform_fill(float *x, size_t n, float bound, Rng *rng)
{
    for (size_t i = 0; i < n; i++) x[i] = (2.0f * rng_uniform(rng) - 1.0f) * bound;
}

static Generator *gen_new_dims(int classes, int latent, int channels, int img, int c1, int c2, Rng *rng)
{
    CHECK(classes >= 1 && latent >= 1 && channels >= 1 && img >= 4 && img % 4 == 0 && c1 >= 1 && c2 >= 1,
          "generator dims %d %d %d %d %d %d", classes, latent, channels, img, c1, c2);
    Generator *g = xcalloc(1, sizeof *g);
    g->classes = classes;
    g->latent = latent;
    g->channels = channels;
    g->img = img;
    g->init = img / 4;
    g->c1 = c1;
    g->c2 = c2;
    g->width = c1 / 128.0;
    g->noise_scale = 1.0f;
    size_t off = 0;
    for (int k = 0; k < GEN_NPARAM; k++) {
        int rank;
        int64_t s[4];
        gen_param_shape(g, k, &rank, s);
        g->off[k] = off;
        off += shape_count(rank, s);
    }
    g->off[GEN_NPARAM] = g->np = off;
    g->p = xcalloc(off, sizeof(float));
    g->g = xcalloc(off, sizeof(float));
    for (int k = 0; k < GEN_NBN; k++) {
        int c = bn_channels(g, k);
        g->run_mean[k] = xcalloc((size_t)c, sizeof(float));
        g->run_var[k] = xmalloc((size_t)c * sizeof(float));
        for (int i = 0; i < c; i++) g->run_var[k][i] = 1.0f;
    }
    /* PyTorch's defaults: Linear / Conv2d weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)) */
    if (rng) {
        const int wk[4] = {GEN_L1W, GEN_C1W, GEN_C2W, GEN_C3W};
        const int fan[4] = {latent, c1 * 9, c1 * 9, c2 * 9};
        for (int j = 0; j < 4; j++) {
            float b = 1.0f / sqrtf((float)fan[j]);
            uniform_fill(P(g, wk[j]), g->off[wk[j] + 1] - g->off[wk[j]], b, rng);
            uniform_fill(P(g, wk[j] + 1), g->off[wk[j] + 2] - g->off[wk[j] + 1], b, rng);
        }
    }
    const int gk[3] = {GEN_BN0G, GEN_BN1G, GEN_BN2G};
    for (int j = 0; j < 3; j++)
        for (size_t i = g->off[gk[j]]; i < g->off[gk[j] + 1]; i++) g->p[i] = 1.0f;
    return g;
}

static int scaled(double width, int base)
{
    int c = (int)lround(base * width);
    return c < 1 ? 1 : c;
}

Generator *gen_new(int classes, int latent, int channels, int img, double width, Rng *rng)
{
    Generator *g = gen_new_dims(classes, latent, channels, img, scaled(width, 128), scaled(width, 64), rng);
    g->width = width;
    return g;
}

static void free_acts(Generator *g)
{
    float **bufs[] = {&g->u, &g->v, &g->gin, &g->mix, &g->h0, &g->b0, &g->up1, &g->a1, &g->b1, &g->up2, &g->a2,
                      &g->b2, &g->a3, &g->t3, &g->out, &g->d0, &g->d1, &g->work, &g->partial};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) {
        free(*bufs[i]);
        *bufs[i] = NULL;
    }
    for (int k = 0; k < GEN_NBN; k++) {
        free(g->mean[k]);
        free(g->invstd[k]);
        g->mean[k] = g->invstd[k] = NULL;
    }
    free(g->last_y);
    g->last_y = NULL;
}

void gen_free(Generator *g)
{
    if (!g) return;
    free_acts(g);
    for (int k = 0; k < GEN_NBN; k++) {
        free(g->run_mean[k]);
        free(g->run_var[k]);
    }
    free(g->p);
    free(g->g);
    free(g);
}

static ConvGeom geom(const Generator *g, int k)
{
    int s4 = g->img;
    if (k == 1) return conv_geom(g->c1, s4 / 2, s4 / 2, g->c1, 3, 1, 1, 1);
    if (k == 2) return conv_geom(g->c1, s4, s4, g->c2, 3, 1, 1, 1);
    return conv_geom(g->c2, s4, s4, g->channels, 3, 1, 1, 1);
}

void gen_set_pool(Generator *g, ThreadPool *p)
{
    g->pool = p;
    if (g->max_batch) gen_alloc(g, g->max_batch, g->max_slots);   /* work sizes depend on the threads */
}

void gen_alloc(Generator *g, int max_batch, int max_slots)
{
    CHECK(max_batch >= 1 && max_slots >= 1, "generator batch %d slots %d", max_batch, max_slots);
    free_acts(g);
    g->max_batch = max_batch;
    g->max_slots = max_slots;
    size_t B = (size_t)max_batch, D = (size_t)g->latent, M = (size_t)max_slots;
    size_t s2 = (size_t)g->init * g->init, hw1 = 4 * s2, hw2 = 16 * s2;
    g->u = xmalloc(B * M * D * sizeof(float));
    g->v = xmalloc(B * M * D * sizeof(float));
    g->gin = xmalloc(B * D * sizeof(float));
    g->mix = xmalloc(B * M * sizeof(float) + B * M * sizeof(float));   /* mixing weights, then normaliser 1/std */
    g->h0 = xmalloc(B * g->c1 * s2 * sizeof(float));
    g->b0 = xmalloc(B * g->c1 * s2 * sizeof(float));
    g->up1 = xmalloc(B * g->c1 * hw1 * sizeof(float));
    g->a1 = xmalloc(B * g->c1 * hw1 * sizeof(float));
    g->b1 = xmalloc(B * g->c1 * hw1 * sizeof(float));
    g->up2 = xmalloc(B * g->c1 * hw2 * sizeof(float));
    g->a2 = xmalloc(B * g->c2 * hw2 * sizeof(float));
    g->b2 = xmalloc(B * g->c2 * hw2 * sizeof(float));
    g->a3 = xmalloc(B * g->channels * hw2 * sizeof(float));
    g->t3 = xmalloc(B * g->channels * hw2 * sizeof(float));
    g->out = xmalloc(B * g->channels * hw2 * sizeof(float));
    size_t big = B * (size_t)g->c1 * hw2;
    if (B * M * D > big) big = B * M * D;
    g->d0 = xmalloc(big * sizeof(float));
    g->d1 = xmalloc(big * sizeof(float));
    for (int k = 0; k < GEN_NBN; k++) {
        g->mean[k] = xmalloc((size_t)bn_channels(g, k) * sizeof(float));
        g->invstd[k] = xmalloc((size_t)bn_channels(g, k) * sizeof(float));
    }
    int T = pool_threads(g->pool);
    size_t wf = 0, part = 0;
    for (int k = 1; k <= 3; k++) {
        ConvGeom cg = geom(g, k);
        size_t a = par_conv_work(&cg, max_batch, T), b = par_conv_bwd_work(&cg, max_batch, T);
        if (a > wf) wf = a;
        if (b > wf) wf = b;
        size_t pw = (size_t)cg.cout * cg.cin * 9 + (size_t)cg.cout;
        if (pw > part) part = pw;
    }
    g->work_floats = wf;
    g->work = xmalloc((wf ? wf : 1) * (size_t)T * sizeof(float));
    g->partial = xmalloc((T > 1 ? part * (size_t)(T - 1) : 1) * sizeof(float));
    g->last_y = xmalloc(B * M * sizeof(int));
}

const float *gen_teacher_weight(const Net *net, int *latent, char *err, size_t errsz)
{
    for (int i = net->n_nodes - 1; i >= 0; i--) {
        const Node *nd = &net->nodes[i];
        if (nd->pw < 0) continue;
        const Param *w = &net->params[nd->pw];
        int ok = nd->op == OP_LINEAR || (nd->op == OP_CONV && nd->k == 1 && nd->groups == 1);
        if (!ok || w->shape[0] != net->classes) break;
        *latent = (int)(w->numel / (size_t)net->classes);
        return net->pdata + w->off;
    }
    snprintf(err, errsz, "%s: the last layer with weights is not a linear or 1x1 conv with %d outputs", net->model_name,
             net->classes);
    return NULL;
}

void gen_init_embedding(Generator *g, const float *w)
{
    memcpy(P(g, GEN_EMB), w, (size_t)g->classes * g->latent * sizeof(float));
}

void gen_zero_grad(Generator *g) { memset(g->g, 0, g->np * sizeof(float)); }

/* ---- pieces ---- */

/* Normalize u (n_rows rows of D) in `groups` groups, each over all its values with the biased
 * variance: by_slot, group k = the rows r with r % groups == k (a multi-label batch's slot k);
 * otherwise one group, row k = 0 of n_rows = 1 (one sample).  Writes v and 1/std per group. */
static void normalize_groups(const float *u, float *v, float *inv, int n_rows, int D, int groups, int by_slot)
{
    for (int k = 0; k < groups; k++) {
        double s = 0, ss = 0;
        int cnt = 0;
        for (int r = k; r < n_rows; r += by_slot ? groups : n_rows) {
            const float *x = u + (size_t)r * D;
            for (int d = 0; d < D; d++) s += x[d];
            cnt += D;
        }
        double mu = s / cnt;
        for (int r = k; r < n_rows; r += by_slot ? groups : n_rows) {
            const float *x = u + (size_t)r * D;
            for (int d = 0; d < D; d++) ss += ((double)x[d] - mu) * ((double)x[d] - mu);
        }
        double var = ss / cnt;
        float is = (float)(1.0 / sqrt(var + NORM_EPS));
        inv[k] = is;
        for (int r = k; r < n_rows; r += by_slot ? groups : n_rows) {
            const float *x = u + (size_t)r * D;
            float *y = v + (size_t)r * D;
            for (int d = 0; d < D; d++) y[d] = (float)(x[d] - mu) * is;
        }
    }
}

/* du = inv (dv - mean(dv) - v mean(dv v)) over each group (same grouping as above). */
static void normalize_groups_backward(const float *v, const float *dv, float *du, const float *inv, int n_rows, int D,
                                      int groups, int by_slot)
{
    for (int k = 0; k < groups; k++) {
        double s = 0, sv = 0;
        int cnt = 0;
        for (int r = k; r < n_rows; r += by_slot ? groups : n_rows) {
            const float *a = dv + (size_t)r * D, *b = v + (size_t)r * D;
            for (int d = 0; d < D; d++) { s += a[d]; sv += (double)a[d] * b[d]; }
            cnt += D;
        }
        float m1 = (float)(s / cnt), m2 = (float)(sv / cnt), is = inv[k];
        for (int r = k; r < n_rows; r += by_slot ? groups : n_rows) {
            const float *a = dv + (size_t)r * D, *b = v + (size_t)r * D;
            float *o = du + (size_t)r * D;
            for (int d = 0; d < D; d++) o[d] = is * (a[d] - m1 - b[d] * m2);
        }
    }
}

static void upsample2(const float *x, float *y, size_t planes, int h, int w)
{
    int W = 2 * w;
    for (size_t p = 0; p < planes; p++) {
        const float *xp = x + p * (size_t)h * w;
        float *yp = y + p * (size_t)4 * h * w;
        for (int i = 0; i < h; i++) {
            float *r0 = yp + (size_t)(2 * i) * W, *r1 = r0 + W;
            for (int j = 0; j < w; j++) r0[2 * j] = r0[2 * j + 1] = r1[2 * j] = r1[2 * j + 1] = xp[i * w + j];
        }
    }
}

static void upsample2_backward(const float *dy, float *dx, size_t planes, int h, int w)
{
    int W = 2 * w;
    for (size_t p = 0; p < planes; p++) {
        const float *dp = dy + p * (size_t)4 * h * w;
        float *xp = dx + p * (size_t)h * w;
        for (int i = 0; i < h; i++) {
            const float *r0 = dp + (size_t)(2 * i) * W, *r1 = r0 + W;
            for (int j = 0; j < w; j++) xp[i * w + j] = (r0[2 * j] + r0[2 * j + 1]) + (r1[2 * j] + r1[2 * j + 1]);
        }
    }
}

static void leaky(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = x[i] > 0 ? x[i] : LEAK * x[i];
}

static void leaky_backward(const float *y, float *d, size_t n)
{
    for (size_t i = 0; i < n; i++) d[i] = y[i] > 0 ? d[i] : LEAK * d[i];
}

static void bn_train(Generator *g, int k, const float *x, float *y, int n, int hw, const float *gamma,
                     const float *beta, float eps)
{
    batchnorm_forward_train_eps(x, y, n, bn_channels(g, k), hw, gamma, beta, g->run_mean[k], g->run_var[k],
                                GEN_MOMENTUM, eps, g->mean[k], g->invstd[k]);
    g->nbt[k]++;
}

static void bn_eval(const Generator *g, int k, const float *x, float *y, int n, int hw, const float *gamma,
                    const float *beta, float eps)
{
    int c = bn_channels(g, k);
    for (int ch = 0; ch < c; ch++) {
        float a = (gamma ? gamma[ch] : 1.0f) / sqrtf(g->run_var[k][ch] + eps);
        float b = (beta ? beta[ch] : 0.0f) - g->run_mean[k][ch] * a;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ch) * hw;
            float *yp = y + ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) yp[j] = xp[j] * a + b;
        }
    }
}

/* The trunk from gin (n, D) to the image; eval: BN with the running statistics. */
static const float *trunk_run(Generator *g, int n, int eval);
static const float *trunk_forward(Generator *g, int n) { return trunk_run(g, n, 0); }

#define BN(k, x, y, hw, gm, bt, eps) \
    (eval ? bn_eval(g, k, x, y, n, hw, gm, bt, eps) : bn_train(g, k, x, y, n, hw, gm, bt, eps))

static const float *trunk_run(Generator *g, int n, int eval)
{
    int s = g->init, s2 = s * s;
    ThreadPool *p = g->pool;
    par_linear_forward(p, g->gin, P(g, GEN_L1W), P(g, GEN_L1B), g->h0, n, g->latent, g->c1 * s2);
    BN(0, g->h0, g->b0, s2, P(g, GEN_BN0G), P(g, GEN_BN0B), NORM_EPS);
    upsample2(g->b0, g->up1, (size_t)n * g->c1, s, s);
    ConvGeom c1 = geom(g, 1), c2 = geom(g, 2), c3 = geom(g, 3);
    par_conv_forward(p, &c1, g->up1, P(g, GEN_C1W), P(g, GEN_C1B), g->a1, n, g->work, g->work_floats);
    BN(1, g->a1, g->b1, 4 * s2, P(g, GEN_BN1G), P(g, GEN_BN1B), BN_EPS_WIDE);
    leaky(g->b1, (size_t)n * g->c1 * 4 * s2);
    upsample2(g->b1, g->up2, (size_t)n * g->c1, 2 * s, 2 * s);
    par_conv_forward(p, &c2, g->up2, P(g, GEN_C2W), P(g, GEN_C2B), g->a2, n, g->work, g->work_floats);
    BN(2, g->a2, g->b2, 16 * s2, P(g, GEN_BN2G), P(g, GEN_BN2B), BN_EPS_WIDE);
    leaky(g->b2, (size_t)n * g->c2 * 16 * s2);
    par_conv_forward(p, &c3, g->b2, P(g, GEN_C3W), P(g, GEN_C3B), g->a3, n, g->work, g->work_floats);
    size_t cnt = (size_t)n * g->channels * 16 * s2;
    for (size_t i = 0; i < cnt; i++) g->t3[i] = tanhf(g->a3[i]);
    BN(3, g->t3, g->out, 16 * s2, NULL, NULL, NORM_EPS);
    return g->out;
}
#undef BN

static void embed(Generator *g, const float *z, const int *y, int rows)
{
    int D = g->latent;
    const float *emb = P(g, GEN_EMB);
    for (int r = 0; r < rows; r++) {
        CHECK(y[r] >= 0 && y[r] < g->classes, "generator label %d not in [0, %d)", y[r], g->classes);
        const float *e = emb + (size_t)y[r] * D, *zr = z + (size_t)r * D;
        float *u = g->u + (size_t)r * D;
        for (int d = 0; d < D; d++) u[d] = e[d] + g->noise_scale * zr[d];
    }
    memcpy(g->last_y, y, (size_t)rows * sizeof(int));
}

const float *gen_forward(Generator *g, const float *z, const int *y, int n)
{
    CHECK(n >= 1 && n <= g->max_batch, "generator batch %d, buffers for %d", n, g->max_batch);
    g->last_n = n;
    g->last_m = 1;
    embed(g, z, y, n);
    float *inv = g->mix + (size_t)g->max_batch * g->max_slots;
    for (int b = 0; b < n; b++)   /* per sample over its D features */
        normalize_groups(g->u + (size_t)b * g->latent, g->v + (size_t)b * g->latent, inv + b, 1, g->latent, 1, 0);
    memcpy(g->gin, g->v, (size_t)n * g->latent * sizeof(float));
    return trunk_forward(g, n);
}

const float *gen_forward_eval(Generator *g, const float *z, const int *y, int n)
{
    CHECK(n >= 1 && n <= g->max_batch, "generator batch %d, buffers for %d", n, g->max_batch);
    g->last_n = 0;   /* no backward from an eval forward */
    embed(g, z, y, n);
    float *inv = g->mix + (size_t)g->max_batch * g->max_slots;
    for (int b = 0; b < n; b++)
        normalize_groups(g->u + (size_t)b * g->latent, g->v + (size_t)b * g->latent, inv + b, 1, g->latent, 1, 0);
    memcpy(g->gin, g->v, (size_t)n * g->latent * sizeof(float));
    return trunk_run(g, n, 1);
}

const float *gen_forward_multi(Generator *g, const float *z, const int *y, const float *a, int n, int m)
{
    CHECK(n >= 1 && n <= g->max_batch && m >= 1 && m <= g->max_slots, "generator batch %d x %d, buffers for %d x %d",
          n, m, g->max_batch, g->max_slots);
    g->last_n = n;
    g->last_m = m;
    int D = g->latent;
    embed(g, z, y, n * m);
    memcpy(g->mix, a, (size_t)n * m * sizeof(float));
    float *inv = g->mix + (size_t)g->max_batch * g->max_slots;
    normalize_groups(g->u, g->v, inv, n * m, D, m, 1);   /* slot k: rows b*m + k, over B*D values */
    for (int b = 0; b < n; b++) {
        float *o = g->gin + (size_t)b * D;
        for (int d = 0; d < D; d++) o[d] = 0;
        for (int k = 0; k < m; k++) {
            const float *vr = g->v + ((size_t)b * m + k) * D;
            float w = a[(size_t)b * m + k];
            for (int d = 0; d < D; d++) o[d] += w * vr[d];
        }
    }
    return trunk_forward(g, n);
}

void gen_backward(Generator *g, const float *dimg)
{
    CHECK(g->last_n > 0, "gen_backward without a training-mode forward");
    int n = g->last_n, m = g->last_m, s = g->init, s2 = s * s, D = g->latent;
    ThreadPool *p = g->pool;
    float *d0 = g->d0, *d1 = g->d1;
    size_t c3n = (size_t)n * g->channels * 16 * s2, c2n = (size_t)n * g->c2 * 16 * s2;
    size_t up2n = (size_t)n * g->c1 * 16 * s2, c1n = (size_t)n * g->c1 * 4 * s2;
    /* bn3 (affine-free) and tanh */
    batchnorm_backward(g->t3, dimg, d0, n, g->channels, 16 * s2, NULL, g->mean[3], g->invstd[3], NULL, NULL);
    for (size_t i = 0; i < c3n; i++) d0[i] *= 1.0f - g->t3[i] * g->t3[i];
    ConvGeom c1 = geom(g, 1), c2 = geom(g, 2), c3 = geom(g, 3);
    memset(d1, 0, c2n * sizeof(float));
    par_conv_backward(p, &c3, g->b2, P(g, GEN_C3W), d0, d1, G(g, GEN_C3W), G(g, GEN_C3B), n, g->work, g->work_floats,
                      g->partial);
    leaky_backward(g->b2, d1, c2n);
    batchnorm_backward(g->a2, d1, d1, n, g->c2, 16 * s2, P(g, GEN_BN2G), g->mean[2], g->invstd[2], G(g, GEN_BN2G),
                       G(g, GEN_BN2B));
    memset(d0, 0, up2n * sizeof(float));
    par_conv_backward(p, &c2, g->up2, P(g, GEN_C2W), d1, d0, G(g, GEN_C2W), G(g, GEN_C2B), n, g->work, g->work_floats,
                      g->partial);
    upsample2_backward(d0, d1, (size_t)n * g->c1, 2 * s, 2 * s);
    leaky_backward(g->b1, d1, c1n);
    batchnorm_backward(g->a1, d1, d1, n, g->c1, 4 * s2, P(g, GEN_BN1G), g->mean[1], g->invstd[1], G(g, GEN_BN1G),
                       G(g, GEN_BN1B));
    memset(d0, 0, c1n * sizeof(float));
    par_conv_backward(p, &c1, g->up1, P(g, GEN_C1W), d1, d0, G(g, GEN_C1W), G(g, GEN_C1B), n, g->work, g->work_floats,
                      g->partial);
    upsample2_backward(d0, d1, (size_t)n * g->c1, s, s);
    batchnorm_backward(g->h0, d1, d1, n, g->c1, s2, P(g, GEN_BN0G), g->mean[0], g->invstd[0], G(g, GEN_BN0G),
                       G(g, GEN_BN0B));
    float *dgin = d0;
    memset(dgin, 0, (size_t)n * D * sizeof(float));
    par_linear_backward(p, g->gin, P(g, GEN_L1W), d1, dgin, G(g, GEN_L1W), G(g, GEN_L1B), n, D, g->c1 * s2);
    /* the normaliser and the embedding */
    float *inv = g->mix + (size_t)g->max_batch * g->max_slots;
    float *dv = d1, *du;   /* both hold n*m*D floats at most: within d0 / d1 (gen_alloc) */
    if (m == 1) {
        for (int b = 0; b < n; b++)
            normalize_groups_backward(g->v + (size_t)b * D, dgin + (size_t)b * D, dv + (size_t)b * D, inv + b, 1, D, 1,
                                      0);
        du = dv;
    } else {
        for (int b = 0; b < n; b++)
            for (int k = 0; k < m; k++) {
                float w = g->mix[(size_t)b * m + k];
                const float *src = dgin + (size_t)b * D;
                float *o = dv + ((size_t)b * m + k) * D;
                for (int d = 0; d < D; d++) o[d] = w * src[d];
            }
        du = d0;   /* dgin is no longer needed */
        normalize_groups_backward(g->v, dv, du, inv, n * m, D, m, 1);
    }
    float *demb = G(g, GEN_EMB);
    for (int r = 0; r < n * m; r++) {
        float *e = demb + (size_t)g->last_y[r] * D;
        const float *dr = du + (size_t)r * D;
        for (int d = 0; d < D; d++) e[d] += dr[d];
    }
}

void gen_sample(const Generator *g, Rng *rng, int n, int m, int *y, float *z, float *a)
{
    size_t rows = (size_t)n * m;
    for (size_t r = 0; r < rows; r++) y[r] = (int)rng_below(rng, (uint32_t)g->classes);
    for (size_t i = 0; i < rows * g->latent; i++) z[i] = (float)rng_normal(rng);
    if (m > 1 && a)
        for (int b = 0; b < n; b++) {
            float *ar = a + (size_t)b * m;
            double mx = -1e300, s = 0, t[64];
            CHECK(m <= 64, "at most 64 labels per sample, not %d", m);
            for (int k = 0; k < m; k++) { t[k] = rng_normal(rng); if (t[k] > mx) mx = t[k]; }
            for (int k = 0; k < m; k++) s += (t[k] = exp(t[k] - mx));
            for (int k = 0; k < m; k++) ar[k] = (float)(t[k] / s);
        }
}

void gen_soft_targets(int classes, const int *y, const float *a, int n, int m, float *t)
{
    memset(t, 0, (size_t)n * classes * sizeof(float));
    for (int b = 0; b < n; b++)
        for (int k = 0; k < m; k++) t[(size_t)b * classes + y[(size_t)b * m + k]] += m > 1 ? a[(size_t)b * m + k] : 1.0f;
}

/* ---- checkpoint ---- */

int gen_save(const Generator *g, const char *path, const char *const *meta, int n_meta, char *err, size_t errsz)
{
    StWriter w;
    st_writer_init(&w);
    char buf[160];
    st_writer_meta(&w, "format", GEN_FORMAT);
    snprintf(buf, sizeof buf, "%.17g", g->width);
    st_writer_meta(&w, "width", buf);
    for (int i = 0; i + 1 < 2 * n_meta; i += 2) st_writer_meta(&w, meta[i], meta[i + 1]);
    EnvInfo env = env_info(pool_threads(g->pool));
    for (int k = 0; k < ENV_NFIELDS; k++) st_writer_meta(&w, env_field_names[k], env_field_value(&env, k, buf, sizeof buf));
    int64_t shapes[GEN_NPARAM][4], bshape[GEN_NBN][1];
    char names[GEN_NBN][3][64];
    for (int k = 0, b = 0; k < GEN_NPARAM; k++) {
        int rank;
        gen_param_shape(g, k, &rank, shapes[k]);
        st_writer_add(&w, param_names[k], ST_F32, rank, shapes[k], P(g, k));
        if (b < GEN_NBN && bn_after[b] == k) {
            bshape[b][0] = bn_channels(g, b);
            snprintf(names[b][0], 64, "%s.running_mean", bn_names[b]);
            snprintf(names[b][1], 64, "%s.running_var", bn_names[b]);
            snprintf(names[b][2], 64, "%s.num_batches_tracked", bn_names[b]);
            st_writer_add(&w, names[b][0], ST_F32, 1, bshape[b], g->run_mean[b]);
            st_writer_add(&w, names[b][1], ST_F32, 1, bshape[b], g->run_var[b]);
            st_writer_add(&w, names[b][2], ST_I64, 0, NULL, &g->nbt[b]);
            b++;
        }
    }
    int rc = st_write(&w, path, err, errsz);
    st_writer_free(&w);
    return rc;
}

static const StTensor *need(const StFile *f, const char *name, int rank, char *err, size_t errsz)
{
    const StTensor *t = st_find(f, name);
    if (!t) snprintf(err, errsz, "%s: tensor '%s' missing (not a generator checkpoint?)", f->path, name);
    else if (rank >= 0 && t->rank != rank)
        snprintf(err, errsz, "%s: tensor '%s' has rank %d, a generator's has %d", f->path, name, t->rank, rank);
    else return t;
    return NULL;
}

Generator *gen_load(const char *path, char *err, size_t errsz)
{
    StFile f;
    if (st_read(path, &f, err, errsz) != 0) return NULL;
    Generator *g = NULL;
    const StTensor *emb = need(&f, "label_emb.weight", 2, err, errsz), *l1 = NULL, *c0 = NULL, *c2w = NULL, *c3w = NULL;
    if (emb) l1 = need(&f, "l1.0.weight", 2, err, errsz);
    if (l1) c0 = need(&f, "conv_blocks0.0.weight", 1, err, errsz);
    if (c0) c2w = need(&f, "conv_blocks2.0.weight", 4, err, errsz);
    if (c2w) c3w = need(&f, "conv_blocks2.3.weight", 4, err, errsz);
    if (!c3w) goto fail;
    int classes = (int)emb->shape[0], latent = (int)emb->shape[1], c1 = (int)c0->shape[0];
    int c2 = (int)c2w->shape[0], ch = (int)c3w->shape[0];
    int64_t rows = l1->shape[0];
    int s = (int)lround(sqrt((double)(rows / (c1 > 0 ? c1 : 1))));
    if (classes < 1 || latent < 1 || c1 < 1 || c2 < 1 || ch < 1 || ch > 3 || s < 1 || (int64_t)s * s * c1 != rows) {
        snprintf(err, errsz, "%s: shapes do not make a generator (label_emb [%d, %d], l1.0.weight rows %lld, %d channels)",
                 path, classes, latent, (long long)rows, c1);
        goto fail;
    }
    g = gen_new_dims(classes, latent, ch, 4 * s, c1, c2, NULL);
    const char *wm = st_meta(&f, "width");
    if (wm) g->width = atof(wm);
    for (int k = 0; k < GEN_NPARAM; k++) {
        int rank;
        int64_t sh[4];
        gen_param_shape(g, k, &rank, sh);
        const StTensor *t = need(&f, param_names[k], rank, err, errsz);
        if (!t) goto fail;
        for (int d = 0; d < rank; d++)
            if (t->shape[d] != sh[d]) {
                snprintf(err, errsz, "%s: tensor '%s' dimension %d is %lld, expected %lld", path, param_names[k], d,
                         (long long)t->shape[d], (long long)sh[d]);
                goto fail;
            }
        if (st_read_f32(&f, t, P(g, k)) != 0) {
            snprintf(err, errsz, "%s: tensor '%s' has dtype %s, expected a float type", path, param_names[k], t->dtype_name);
            goto fail;
        }
    }
    for (int b = 0; b < GEN_NBN; b++) {
        char name[80];
        float *dst[2] = {g->run_mean[b], g->run_var[b]};
        const char *suf[2] = {"running_mean", "running_var"};
        for (int j = 0; j < 2; j++) {
            snprintf(name, sizeof name, "%s.%s", bn_names[b], suf[j]);
            const StTensor *t = need(&f, name, 1, err, errsz);
            if (!t) goto fail;
            if (t->shape[0] != bn_channels(g, b) || st_read_f32(&f, t, dst[j]) != 0) {
                snprintf(err, errsz, "%s: tensor '%s' must be %d floats", path, name, bn_channels(g, b));
                goto fail;
            }
        }
        snprintf(name, sizeof name, "%s.num_batches_tracked", bn_names[b]);
        const StTensor *t = st_find(&f, name);   /* optional, as in PyTorch's loader */
        if (t && (t->numel != 1 || st_read_i64(&f, t, &g->nbt[b]) != 0)) {
            snprintf(err, errsz, "%s: tensor '%s' must be one integer", path, name);
            goto fail;
        }
    }
    st_free(&f);
    return g;
fail:
    gen_free(g);
    st_free(&f);
    return NULL;
}
