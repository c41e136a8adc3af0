/* attack.c — FGSM, PGD and the clip-only diagnostic (see attack.h). */
#include "train/attack.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "nn/eval.h"
#include "nn/layers.h"

static const char *const kind_names[] = {"fgsm", "pgd", "clip"};
static const char *const box_names[] = {"pixel", "normalized"};

const char *attack_kind_name(AttackKind k) { return kind_names[k]; }
const char *attack_box_name(AttackBox b) { return box_names[b]; }

int attack_kind_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (!strcmp(s, kind_names[i])) return i;
    return -1;
}

int attack_box_parse(const char *s)
{
    for (int i = 0; i < 2; i++)
        if (!strcmp(s, box_names[i])) return i;
    return -1;
}

void attack_bounds(const AttackSpec *a, const float *mean, const float *std, int channels, AttackBounds *b)
{
    CHECK(channels >= 1 && channels <= 3, "attack: %d input channels", channels);
    b->channels = channels;
    for (int c = 0; c < channels; c++) {
        if (a->box == ATTACK_BOX_PIXEL) {
            b->eps[c] = a->eps / std[c];
            b->alpha[c] = a->alpha / std[c];
            b->lo[c] = (0.0f - mean[c]) / std[c];
            b->hi[c] = (1.0f - mean[c]) / std[c];
        } else {
            b->eps[c] = a->eps;
            b->alpha[c] = a->alpha;
            b->lo[c] = 0.0f;
            b->hi[c] = 1.0f;
        }
    }
}

double attack_input_gradient(Net *net, Backprop *bp, const float *x, const int *y, int n, float *dx)
{
    bp->input_only = 1;
    bp->want_input_grad = 1;
    const float *out = net_forward_train(net, bp, x, n, NULL);
    double loss = softmax_xent(out, y, n, net->classes, bp->scratch);   /* dlogits: copied before use */
    net_backward(net, bp, bp->scratch, n);
    memcpy(dx, bp->dact[0], shape_numel(net->input) * (size_t)n * sizeof(float));
    return loss;
}

static double net_grad(void *c, const float *x, const int *y, int n, float *dx)
{
    NetTargetCtx *k = c;
    return attack_input_gradient(k->net, k->bp, x, y, n, dx);
}

static const float *net_fwd(void *c, const float *x, int n) { return net_forward(((NetTargetCtx *)c)->net, x, n); }

AttackTarget attack_target_net(NetTargetCtx *ctx)
{
    return (AttackTarget){.ctx = ctx, .grad = net_grad, .forward = net_fwd, .input = ctx->net->input,
                          .classes = ctx->net->classes, .max_batch = ctx->bp->max_batch};
}

static float sign(float g) { return g > 0 ? 1.0f : g < 0 ? -1.0f : 0.0f; }
static float clampf(float v, float lo, float hi) { return v < lo ? lo : v > hi ? hi : v; }

void attack_batch(const AttackTarget *t, const AttackSpec *a, const AttackBounds *b, const float *x, const int *y,
                  int n, float *x_adv, Rng *rng)
{
    size_t plane = (size_t)t->input.h * t->input.w, per = shape_numel(t->input), total = per * (size_t)n;
    CHECK(t->input.c == b->channels, "attack: bounds for %d channels, the net has %d", b->channels, t->input.c);
#define CH(j) ((int)(((j) % per) / plane))
    if (a->kind == ATTACK_CLIP) {
        for (size_t j = 0; j < total; j++) x_adv[j] = clampf(x[j], b->lo[CH(j)], b->hi[CH(j)]);
        return;
    }
    if (a->kind == ATTACK_FGSM) {
        float *g = xmalloc(total * sizeof(float));
        t->grad(t->ctx, x, y, n, g);
        for (size_t j = 0; j < total; j++) {
            int c = CH(j);
            x_adv[j] = clampf(x[j] + b->eps[c] * sign(g[j]), b->lo[c], b->hi[c]);
        }
        free(g);
        return;
    }
    float *d0 = xmalloc(total * sizeof(float));
    for (size_t j = 0; j < total; j++) d0[j] = a->random_start ? (2.0f * rng_uniform(rng) - 1.0f) * b->eps[CH(j)] : 0.0f;
    attack_pgd_from(t, a, b, x, y, n, d0, x_adv);
    free(d0);
#undef CH
}

void attack_pgd_from(const AttackTarget *t, const AttackSpec *a, const AttackBounds *b, const float *x, const int *y,
                     int n, const float *delta0, float *x_adv)
{
    size_t plane = (size_t)t->input.h * t->input.w, per = shape_numel(t->input), total = per * (size_t)n;
    CHECK(t->input.c == b->channels, "attack: bounds for %d channels, the net has %d", b->channels, t->input.c);
#define CH(j) ((int)(((j) % per) / plane))
    float *g = xmalloc(total * sizeof(float)), *d = xmalloc(total * sizeof(float));   /* δ */
    for (size_t j = 0; j < total; j++) {
        int c = CH(j);
        d[j] = clampf(x[j] + delta0[j], b->lo[c], b->hi[c]) - x[j];
        x_adv[j] = x[j] + d[j];
    }
    for (int s = 0; s < a->steps; s++) {
        t->grad(t->ctx, x_adv, y, n, g);
        for (size_t j = 0; j < total; j++) {
            int c = CH(j);
            float dj = clampf(d[j] + b->alpha[c] * sign(g[j]), -b->eps[c], b->eps[c]);
            d[j] = clampf(x[j] + dj, b->lo[c], b->hi[c]) - x[j];
            x_adv[j] = x[j] + d[j];
        }
    }
#undef CH
    free(d);
    free(g);
}

/* Where attack_runs' batches come from: images idx[i..i+m) of a test split, or rows of an
 * image array. */
typedef struct {
    const Dataset *ds;
    const int *idx;
    const float *x;
    const int *y;
} BatchSource;

static void fetch(const BatchSource *src, size_t per, int i, int m, float *x, int *y)
{
    if (src->ds) {
        dataset_batch(src->ds, &src->ds->test, src->idx + i, m, x, y);
        return;
    }
    memcpy(x, src->x + per * (size_t)i, per * (size_t)m * sizeof(float));
    memcpy(y, src->y + i, (size_t)m * sizeof(int));
}

static void run_batches(const AttackTarget *t, const BatchSource *src, int n, const AttackSpec *a, const AttackBounds *b,
                        uint64_t seed, AttackResult *r, Progress *prog)
{
    memset(r, 0, sizeof *r);
    r->images = n;
    int batch = t->max_batch;
    size_t per = shape_numel(t->input), plane = (size_t)t->input.h * t->input.w;
    float *x = xmalloc(per * (size_t)batch * sizeof(float)), *xa = xmalloc(per * (size_t)batch * sizeof(float));
    int *y = xmalloc(sizeof(int) * (size_t)batch), clean = 0, adv = 0;
    for (int i = 0; i < n; i += batch) {
        int m = n - i < batch ? n - i : batch;
        fetch(src, per, i, m, x, y);
        Rng rng;
        rng_seed(&rng, seed ^ (0x9E3779B97F4A7C15ull * (uint64_t)((src->idx ? src->idx[i] : i) + 1)));
        attack_batch(t, a, b, x, y, m, xa, &rng);
        const float *out = t->forward(t->ctx, x, m);
        for (int j = 0; j < m; j++) clean += argmax_first(out + (size_t)j * t->classes, t->classes) == y[j];
        out = t->forward(t->ctx, xa, m);
        for (int j = 0; j < m; j++) adv += argmax_first(out + (size_t)j * t->classes, t->classes) == y[j];
        for (size_t j = 0; j < per * (size_t)m; j++) {
            int c = (int)((j % per) / plane);
            double dev = fabs((double)xa[j] - x[j]);
            if (dev > r->max_linf) r->max_linf = dev;
            /* the ε-ball is around the input clipped into the box (the same as the input in
             * pixel space; with the normalized box the clamping moves values further) */
            double devc = fabs((double)xa[j] - clampf(x[j], b->lo[c], b->hi[c]));
            const float tol = 1e-5f;
            if (xa[j] < b->lo[c] - tol || xa[j] > b->hi[c] + tol || (a->kind != ATTACK_CLIP && devc > b->eps[c] + tol))
                r->outside_box++;
        }
        if (prog) progress_update(prog, i + m);
    }
    r->clean_acc = n ? 100.0 * clean / n : 0;
    r->adv_acc = n ? 100.0 * adv / n : 0;
    free(x);
    free(xa);
    free(y);
}

void attack_run(const AttackTarget *t, const Dataset *ds, const int *idx, int n, const AttackSpec *a, uint64_t seed,
                AttackResult *r, Progress *prog)
{
    AttackBounds b;
    attack_bounds(a, ds->mean, ds->std, t->input.c, &b);
    BatchSource src = {.ds = ds, .idx = idx};
    run_batches(t, &src, n, a, &b, seed, r, prog);
}

void attack_run_images(const AttackTarget *t, const float *x, const int *y, int n, const AttackSpec *a,
                       const AttackBounds *b, uint64_t seed, AttackResult *r, Progress *prog)
{
    BatchSource src = {.x = x, .y = y};
    run_batches(t, &src, n, a, b, seed, r, prog);
}
