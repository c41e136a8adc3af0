/* t_similarity.c — similarity metrics and model-level factors (spec §1.8, §4.4, Q11–Q14). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quant/similarity.h"
#include "tap.h"

/* ---------------------------------------------------------------- helpers */

typedef struct { uint64_t s; } Rng;

static double rng_uniform(Rng *r) /* [0, 1) */
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (double)(r->s >> 11) / 9007199254740992.0;
}

static double rng_normal(Rng *r)
{
    double u = rng_uniform(r), v = rng_uniform(r);
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/* Straightforward binary64 reference: textbook softmax per distribution and textbook JS /
 * KL(Q||P) terms, summed over all elements. */
static void naive_div(const float *a, const float *b, int rank, const int *shape, int axis,
                      double *js, double *kl)
{
    size_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < rank; i++) {
        if (i < axis) outer *= (size_t)shape[i];
        else if (i == axis) len = (size_t)shape[i];
        else inner *= (size_t)shape[i];
    }
    double *p = malloc(len * sizeof *p), *q = malloc(len * sizeof *q);
    *js = *kl = 0;
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < inner; i++) {
            size_t base = o * len * inner + i;
            double ma = -INFINITY, mb = -INFINITY, sa = 0, sb = 0;
            for (size_t k = 0; k < len; k++) {
                ma = fmax(ma, a[base + k * inner]);
                mb = fmax(mb, b[base + k * inner]);
            }
            for (size_t k = 0; k < len; k++) {
                p[k] = exp(a[base + k * inner] - ma);
                q[k] = exp(b[base + k * inner] - mb);
                sa += p[k];
                sb += q[k];
            }
            for (size_t k = 0; k < len; k++) {
                double pk = p[k] / sa, qk = q[k] / sb, m = (pk + qk) / 2;
                *js += 0.5 * pk * (log(pk) - log(m)) + 0.5 * qk * (log(qk) - log(m));
                *kl += qk * (log(qk) - log(pk));
            }
        }
    free(p);
    free(q);
}

static int rel_close(double got, double want, double rtol)
{
    return fabs(got - want) <= rtol * fabs(want);
}

/* ---------------------------------------------------------------- §4.4 vectors */

static const float V1A[] = {0.5f, -1, 2, 0.25f}, V1B[] = {0.5f, -0.75f, 2, 0};
static const int V1S[] = {4};
static const float V2A[] = {0.5f, -1, 2, 1, 0, -1}, V2B[] = {0.5f, -0.5f, 2, 1, 0.25f, -1};
static const int V2S[] = {2, 3};
static const int V3S[] = {2, 3, 2, 2};
static const float V4A[] = {1, 2, 3, 4, 0, 1, 2, 2}, V4B[] = {1, 2.5f, 3, 4, 0, 1, 2, 3};
static const int V4S[] = {2, 2, 2};

static void make_v3(float *a, float *b)
{
    for (int k = 0; k < 24; k++) {
        a[k] = (float)(k / 10.0);
        b[k] = nearbyintf(a[k]); /* rne: 0.5 -> 0, 1.5 -> 2 */
    }
}

static void test_spec_vectors(void)
{
    float a3[24], b3[24];
    make_v3(a3, b3);
    struct { const char *name; const float *a, *b; int rank; const int *shape;
             double ref, f64; } v[] = {
        {"rank 1", V1A, V1B, 1, V1S, 0.001106753945350647, 0.0011067386797917952},
        {"rank 2", V2A, V2B, 2, V2S, 0.003005281090736389, 0.00300527875274011},
        {"rank 4", a3, b3, 4, V3S, 0.06195563077926636, 0.06195546759420192},
        {"rank 3", V4A, V4B, 3, V4S, 0.02368604764342308, 0.02368604910452792},
    };
    for (int i = 0; i < 4; i++) {
        char name[96];
        double g32 = sim_js(v[i].a, v[i].b, v[i].rank, v[i].shape, SIM_F32_REFERENCE);
        double g64 = sim_js(v[i].a, v[i].b, v[i].rank, v[i].shape, SIM_F64);
        snprintf(name, sizeof name, "§4.4 %s: f32 mode within 1e-6 rel of the reference", v[i].name);
        is_close(g32, v[i].ref, 0, 1e-6, name);
        snprintf(name, sizeof name, "§4.4 %s: binary64 mode within 1e-12 of the binary64 column",
                 v[i].name);
        is_close(g64, v[i].f64, 1e-12, 0, name);
        snprintf(name, sizeof name, "§4.4 %s: binary64 mode within 1e-13 relative", v[i].name);
        is_close(g64, v[i].f64, 0, 1e-13, name);
    }
    /* The last-dim cases are reproduced bit-for-bit by the f32 emulation. */
    ok(sim_js(V1A, V1B, 1, V1S, SIM_F32_REFERENCE) == 0.001106753945350647,
       "§4.4 rank 1: f32 mode bit-exact");
    ok(sim_js(V2A, V2B, 2, V2S, SIM_F32_REFERENCE) == 0.003005281090736389,
       "§4.4 rank 2: f32 mode bit-exact");

    /* Depthwise [4,1,3,3]: softmax over a singleton axis -> exactly 0, any values. */
    float da[36], db[36];
    Rng r = {12345};
    for (int k = 0; k < 36; k++) {
        da[k] = (float)(3 * rng_normal(&r));
        db[k] = (float)(3 * rng_normal(&r));
    }
    const int ds[] = {4, 1, 3, 3};
    ok(sim_js(da, db, 4, ds, SIM_F64) == 0.0, "§4.4 depthwise [4,1,3,3]: binary64 JS == 0");
    ok(sim_js(da, db, 4, ds, SIM_F32_REFERENCE) == 0.0, "§4.4 depthwise [4,1,3,3]: f32 JS == 0");
    ok(sim_kl(da, db, 4, ds, SIM_F64) == 0.0 && sim_kl(da, db, 4, ds, SIM_F32_REFERENCE) == 0.0,
       "depthwise [4,1,3,3]: KL == 0 in both precisions");
}

static void test_wrong_axis(void)
{
    const double wrong2 = 0.0016196578521027426, wrong4 = 0.0415992821518123;
    float a3[24], b3[24];
    make_v3(a3, b3);
    ok(sim_softmax_axis(2) == 1 && fabs(sim_js(V2A, V2B, 2, V2S, SIM_F64) - wrong2) > 1e-4,
       "rank 2: default axis 1 result differs from the wrong-axis value");
    is_close(sim_js_axis(V2A, V2B, 2, V2S, 0, SIM_F64), wrong2, 1e-12, 0,
             "rank 2: explicit axis 0 reproduces the wrong-axis value");
    ok(fabs(sim_js(a3, b3, 4, V3S, SIM_F64) - wrong4) > 1e-3,
       "rank 4: default axis 1 result differs from the wrong-axis value");
    is_close(sim_js_axis(a3, b3, 4, V3S, 0, SIM_F64), wrong4, 1e-12, 0,
             "rank 4: explicit axis 0 reproduces the wrong-axis value");
    is_close(sim_js_axis(V2A, V2B, 2, V2S, 0, SIM_F32_REFERENCE), wrong2, 0, 1e-4,
             "rank 2: explicit axis 0 in f32 mode is near the wrong-axis value");
}

static void test_axis_rule(void)
{
    const int want[] = {0, 0, 1, 0, 1, 1, 1};
    int good = 1;
    for (int r = 0; r < 7; r++) good &= sim_softmax_axis(r) == want[r];
    ok(good, "softmax axis: rank 0,1,3 -> 0; 2,4,5,6 -> 1");
    float s = 1.5f, t = -2.0f;
    ok(sim_js(&s, &t, 0, NULL, SIM_F64) == 0 && sim_js(&s, &t, 0, NULL, SIM_F32_REFERENCE) == 0,
       "rank 0 (scalar): JS == 0");
    ok(sim_numel(0, NULL) == 1 && sim_numel(4, V3S) == 24, "sim_numel");

    /* Extreme logits: softmaxes underflow to one-hot, opposite -> JS = ln 2, no NaN. */
    const float xa[] = {0, 200}, xb[] = {200, 0};
    const int xs[] = {2};
    is_close(sim_js(xa, xb, 1, xs, SIM_F64), log(2.0), 0, 1e-15, "one-hot opposite: JS = ln 2 (binary64)");
    is_close(sim_js(xa, xb, 1, xs, SIM_F32_REFERENCE), log(2.0), 0, 1e-6,
             "one-hot opposite: JS = ln 2 (f32, 0 ln 0 := 0)");
    is_close(sim_kl(xa, xb, 1, xs, SIM_F64), 200, 0, 1e-12, "one-hot opposite: KL = 200 nats");
}

/* ---------------------------------------------------------------- divergence properties */

static void test_identical_and_symmetry(void)
{
    enum { N = 6 * 5 * 3 * 3 };
    const int shape[] = {6, 5, 3, 3};
    float a[N], b[N];
    Rng r = {99};
    for (int k = 0; k < N; k++) {
        a[k] = (float)(0.2 * rng_normal(&r));
        b[k] = a[k] + (float)(0.01 * rng_normal(&r));
    }
    int zero = 1;
    for (int p = 0; p < 2; p++) {
        zero &= sim_js(a, a, 4, shape, (SimPrecision)p) == 0;
        zero &= sim_kl(a, a, 4, shape, (SimPrecision)p) == 0;
    }
    zero &= sim_js_hist(a, a, N) == 0;
    ok(zero, "identical tensors: js, kl (both precisions) and js_hist are exactly 0");
    ok(sim_mse(a, a, N) == 0 && sim_rel_l2(a, a, N) == 0 && sim_sqnr_db(a, a, N) == SIM_SQNR_CAP_DB
       && sim_cosine(a, a, N) > 1 - 1e-15,
       "identical tensors: mse 0, rel_l2 0, sqnr cap, cosine 1");

    double ab = sim_js(a, b, 4, shape, SIM_F64), ba = sim_js(b, a, 4, shape, SIM_F64);
    ok(ab > 0 && rel_close(ba, ab, 1e-13), "JS symmetric: js(a,b)=%.17g js(b,a)=%.17g", ab, ba);
    ok(sim_js_hist(a, b, N) == sim_js_hist(b, a, N), "js_hist symmetric");

    int nonneg = 1;
    Rng r2 = {7};
    for (int t = 0; t < 50; t++) {
        for (int k = 0; k < N; k++) {
            a[k] = (float)(rng_normal(&r2) * (t % 5 + 1) * 0.3);
            b[k] = a[k] + (float)(rng_normal(&r2) * 1e-3 * (t + 1));
        }
        for (int p = 0; p < 2; p++) {
            nonneg &= sim_kl(a, b, 4, shape, (SimPrecision)p) >= 0;
            nonneg &= sim_js(a, b, 4, shape, (SimPrecision)p) >= 0;
        }
    }
    ok(nonneg, "KL >= 0 and JS >= 0 on 50 random pairs, both precisions");
}

/* Small perturbations: JS ≈ ⅛ Σ p (δ − E_p δ)², KL ≈ ½ Σ p (δ − E_p δ)² (second order).  The
 * binary64 mode must keep full relative precision where the textbook formula is noise. */
static void test_small_regime(void)
{
    enum { OUT = 8, IN = 50 };
    const int shape[] = {OUT, IN};
    float a[OUT * IN], b[OUT * IN];
    Rng r = {2024};
    for (int k = 0; k < OUT * IN; k++) {
        a[k] = (float)(0.5 * rng_normal(&r));
        b[k] = a[k] + (float)(ldexp(1.0, -22) * (rng_uniform(&r) - 0.5)); /* ~1e-7 */
    }
    double var = 0;
    for (int o = 0; o < OUT; o++) {
        double mx = -INFINITY, s = 0, mean = 0, v = 0;
        for (int k = 0; k < IN; k++) mx = fmax(mx, a[o * IN + k]);
        for (int k = 0; k < IN; k++) s += exp(a[o * IN + k] - mx);
        for (int k = 0; k < IN; k++) {
            double p = exp(a[o * IN + k] - mx) / s;
            mean += p * ((double)b[o * IN + k] - a[o * IN + k]);
        }
        for (int k = 0; k < IN; k++) {
            double p = exp(a[o * IN + k] - mx) / s, d = (double)b[o * IN + k] - a[o * IN + k] - mean;
            v += p * d * d;
        }
        var += v;
    }
    double js = sim_js(a, b, 2, shape, SIM_F64), kl = sim_kl(a, b, 2, shape, SIM_F64);
    diag("small regime: js %.6g (approx %.6g), kl %.6g (approx %.6g)", js, var / 8, kl, var / 2);
    ok(js > 0 && rel_close(js, var / 8, 1e-5), "tiny perturbation: JS matches 2nd-order value");
    ok(kl > 0 && rel_close(kl, var / 2, 1e-5), "tiny perturbation: KL matches 2nd-order value");
}

/* Random tensors of ranks 1, 2, 4 against the textbook binary64 implementation. */
static void test_property_vs_naive(void)
{
    const int shapes[3][4] = {{37}, {7, 13}, {6, 5, 3, 3}};
    const int ranks[3] = {1, 2, 4};
    Rng r = {31337};
    for (int s = 0; s < 3; s++) {
        int rank = ranks[s], axis = sim_softmax_axis(rank);
        size_t n = sim_numel(rank, shapes[s]);
        float *a = malloc(n * sizeof *a), *b = malloc(n * sizeof *b);
        int good64 = 1, good32 = 1, goodkl = 1, goodkl32 = 1;
        double worst = 0, worst32 = 0, worstkl32 = 0;
        for (int t = 0; t < 40; t++) {
            double scale = (t % 4 == 3) ? 4.0 : 0.5, noise = (t % 4 == 3) ? 2.0 : 0.02 * (t % 4 + 1);
            for (size_t k = 0; k < n; k++) {
                a[k] = (float)(scale * rng_normal(&r));
                b[k] = a[k] + (float)(noise * rng_normal(&r));
            }
            double js, kl;
            naive_div(a, b, rank, shapes[s], axis, &js, &kl);
            double g = sim_js(a, b, rank, shapes[s], SIM_F64);
            worst = fmax(worst, fabs(g - js) / js);
            good64 &= rel_close(g, js, 1e-10);
            double g32 = sim_js(a, b, rank, shapes[s], SIM_F32_REFERENCE);
            double k32 = sim_kl(a, b, rank, shapes[s], SIM_F32_REFERENCE);
            /* f32 evaluation: cancellation noise ~ f32 eps per element, not relative */
            double atol32 = 1e-8 * (double)n;
            worst32 = fmax(worst32, fabs(g32 - js) / js);
            worstkl32 = fmax(worstkl32, fabs(k32 - kl) / kl);
            good32 &= fabs(g32 - js) <= atol32 + 1e-3 * js;
            goodkl32 &= fabs(k32 - kl) <= atol32 + 1e-3 * kl;
            goodkl &= rel_close(sim_kl(a, b, rank, shapes[s], SIM_F64), kl, 1e-10);
        }
        diag("rank %d: worst relative difference to textbook: binary64 JS %.3g, f32 JS %.3g, "
             "f32 KL %.3g", rank, worst, worst32, worstkl32);
        ok(good64, "rank %d: binary64 JS equals textbook JS (1e-10 rel, 40 random pairs)", rank);
        ok(good32, "rank %d: f32 JS within f32 noise (1e-8*n + 1e-3 rel) of textbook JS", rank);
        ok(goodkl, "rank %d: binary64 KL(P_B||P_A) equals textbook (1e-10 rel)", rank);
        ok(goodkl32, "rank %d: f32 KL within f32 noise of textbook", rank);
        free(a);
        free(b);
    }
}

/* ---------------------------------------------------------------- elementwise metrics */

static void test_elementwise(void)
{
    const float a[] = {1, 2, 3, 4}, b[] = {1, 2, 3, 5};
    is_close(sim_mse(a, b, 4), 0.25, 0, 1e-15, "mse of {1,2,3,4} vs {1,2,3,5} = 1/4");
    is_close(sim_sqnr_db(a, b, 4), 10 * log10(39.0), 0, 1e-14, "sqnr = 10 log10(39/1) dB");
    is_close(sim_cosine(a, b, 4), 34 / sqrt(30.0 * 39.0), 0, 1e-15, "cosine = 34/sqrt(30*39)");
    is_close(sim_rel_l2(a, b, 4), 1 / sqrt(39.0), 0, 1e-15, "rel_l2 = 1/sqrt(39)");

    const float z[] = {0, 0, 0, 0}, neg[] = {-1, -2, -3, -5}, orth1[] = {1, 0, 1, 0},
                orth2[] = {0, 3, 0, -2};
    ok(sim_cosine(neg, b, 4) == -1.0, "cosine of -b vs b = -1");
    ok(sim_cosine(orth1, orth2, 4) == 0.0, "cosine of orthogonal vectors = 0");
    ok(sim_cosine(z, z, 4) == 1.0 && sim_cosine(z, b, 4) == 0.0 && sim_cosine(a, z, 4) == 0.0,
       "cosine: both zero -> 1, one zero -> 0");
    ok(sim_sqnr_db(z, z, 4) == SIM_SQNR_CAP_DB && sim_sqnr_db(a, z, 4) == -SIM_SQNR_CAP_DB,
       "sqnr: equal -> +200 dB cap, zero signal -> -200 dB");
    ok(sim_rel_l2(z, z, 4) == 0 && isinf(sim_rel_l2(a, z, 4)), "rel_l2: 0/0 -> 0, x/0 -> inf");
    ok(sim_mse(a, b, 0) == 0 && sim_sqnr_db(a, b, 0) == SIM_SQNR_CAP_DB && sim_cosine(a, b, 0) == 1
       && sim_rel_l2(a, b, 0) == 0 && sim_js_hist(a, b, 0) == 0, "empty tensors");
    const float c1[] = {0.1f, 0.1f}, c2[] = {1e-9f, 1e-9f};
    ok(sim_sqnr_db(c1, c2, 2) < SIM_SQNR_CAP_DB && sim_sqnr_db(c1, c2, 2) > -SIM_SQNR_CAP_DB
       && isfinite(sim_sqnr_db(c1, c2, 2)), "sqnr finite for a tiny signal");
}

static void test_hist(void)
{
    const double ln2 = log(2.0);
    const float x01[] = {0, 1}, x00[] = {0, 0}, x11[] = {1, 1};
    double want = 0.25 * log(2.0 / 3.0) + 0.25 * ln2 + 0.5 * log(4.0 / 3.0);
    is_close(sim_js_hist(x01, x00, 2), want, 0, 1e-15,
             "js_hist {0,1} vs {0,0}: 1/4 ln(2/3) + 1/4 ln 2 + 1/2 ln(4/3)");
    is_close(sim_js_hist(x00, x11, 2), ln2, 0, 1e-15, "js_hist of disjoint histograms = ln 2");

    const float a[] = {0, 0.3f, 0.6f, 1}, b[] = {0, 0.1f, 0.2f, 1};
    /* 4 bins on [0,1]: a -> [1/4,1/4,1/4,1/4], b -> [3/4,0,0,1/4] */
    is_close(sim_js_hist_bins(a, b, 4, 4), 0.5 * (0.25 * ln2 + 0.75 * log(1.5)), 0, 1e-15,
             "js_hist 4 bins: 1/2 (1/4 ln 2 + 3/4 ln 3/2)");
    ok(sim_js_hist_bins(a, b, 4, 1) == 0, "js_hist with 1 bin = 0");

    enum { N = 500 };
    float u[N], v[N], u2[N], v2[N];
    Rng r = {5};
    for (int k = 0; k < N; k++) {
        u[k] = (float)rng_normal(&r);
        v[k] = u[k] + (float)(0.05 * rng_normal(&r));
        u2[k] = 2 * u[k];
        v2[k] = 2 * v[k];
    }
    float perm[N];
    for (int k = 0; k < N; k++) perm[k] = u[(k * 7 + 3) % N]; /* 7 coprime to 500 */
    ok(sim_js_hist(perm, u, N) == 0, "js_hist invariant under permutation (same multiset -> 0)");
    ok(sim_js_hist(u2, v2, N) == sim_js_hist(u, v, N), "js_hist invariant under scaling by 2");
    double h = sim_js_hist(u, v, N);
    ok(h > 0 && h <= ln2, "js_hist in (0, ln 2] for a perturbed tensor (%.6g)", h);
    const float c[] = {3, 3, 3};
    ok(sim_js_hist(c, c, 3) == 0, "js_hist of constant tensors = 0");
}

/* ---------------------------------------------------------------- table */

static void test_table(void)
{
    const char *names[] = {"js", "js_hist", "kl", "mse", "sqnr_db", "cosine", "rel_l2"};
    const int worse[] = {1, 1, 1, 1, 0, 0, 1};
    int good = SIM_METRIC_COUNT == 7;
    for (int m = 0; m < SIM_METRIC_COUNT; m++) {
        const SimMetricInfo *i = sim_metric_info((SimMetric)m);
        good &= i->name && strcmp(i->name, names[m]) == 0 && i->higher_is_worse == worse[m];
        good &= (i->kind == SIM_KIND_SHAPED) == (i->shaped != NULL);
        good &= (i->kind == SIM_KIND_FLAT) == (i->flat != NULL);
        good &= sim_metric_from_name(names[m]) == m;
    }
    ok(good, "metric table: names, kinds, higher_is_worse, name lookup");
    ok(sim_metric_from_name("nope") == -1, "unknown metric name -> -1");

    float a3[24], b3[24];
    make_v3(a3, b3);
    double direct[] = {
        sim_js(a3, b3, 4, V3S, SIM_F32_REFERENCE), sim_js_hist(a3, b3, 24),
        sim_kl(a3, b3, 4, V3S, SIM_F32_REFERENCE), sim_mse(a3, b3, 24), sim_sqnr_db(a3, b3, 24),
        sim_cosine(a3, b3, 24), sim_rel_l2(a3, b3, 24)};
    int same = 1;
    for (int m = 0; m < SIM_METRIC_COUNT; m++)
        same &= sim_metric_value((SimMetric)m, a3, b3, 4, V3S, SIM_F32_REFERENCE) == direct[m];
    ok(same, "sim_metric_value equals the direct calls for every metric");
}

/* ---------------------------------------------------------------- aggregates */

static void test_aggregates(void)
{
    const double v[] = {1e16, 1, -1e16}, w[] = {1, 1, 1};
    ok(sim_weighted_sum(v, w, 3) == 0.0, "weighted sum is binary64 in module order");
    const double js[] = {0.5, 0.25, 0.125}, pct[] = {1.446, 6.809, 53.818};
    is_close(sim_weighted_sum(js, pct, 3), 0.5 * 1.446 + 0.25 * 6.809 + 0.125 * 53.818, 0, 0,
             "weighted sum of shares in percent");

    /* §1.8: Mac parsed, log10 factor, cbrt factor (f32 values printed as binary64). */
    static const struct { const char *name; double mac, l, r; } rows[] = {
        {"AlexNet cifar10", 70.08, 1.845594048500061, 4.122854709625244},
        {"AlexNet_BN cifar10", 70.26, 1.8467081785202026, 4.1263813972473145},
        {"VGG_16 cifar10", 333.36, 2.5229134559631348, 6.933797359466553},
        {"VGG_19 cifar10", 418.4, 2.621591567993164, 7.479350566864014},
        {"Inception_BN cifar10", 1495.04, 3.1746528148651123, 11.434511184692383},
        {"ResNet_18 cifar10", 557.22, 2.7460267543792725, 8.22890853881836},
        {"ResNet_50 cifar10", 1341.44, 3.1275713443756104, 11.028685569763184},
        {"ResNet_152 cifar10", 3829.76, 3.5831716060638428, 15.645538330078125},
        {"MobileNetV2 cifar10", 68.32, 1.8345478773117065, 4.088047504425049},
        {"AlexNet cifar100", 70.13, 1.8459038734436035, 4.12383508682251},
        {"AlexNet_BN cifar100", 70.31, 1.8470170497894287, 4.127359867095947},
        {"VGG_16 cifar100", 333.73, 2.523395299911499, 6.936362266540527},
        {"VGG_19 cifar100", 418.77, 2.6219756603240967, 7.4815545082092285},
        {"Inception_BN cifar100", 1495.04, 3.1746528148651123, 11.434511184692383},
        {"ResNet_18 cifar100", 557.26, 2.7460579872131348, 8.229104995727539},
        {"ResNet_50 cifar100", 1341.44, 3.1275713443756104, 11.028685569763184},
        {"ResNet_152 cifar100", 3829.76, 3.5831716060638428, 15.645538330078125},
        {"MobileNetV2 cifar100", 68.43, 1.8352465629577637, 4.090240478515625},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double l = sim_log_factor(rows[i].mac), r = sim_cbrt_factor(rows[i].mac);
        if (!ok(l == rows[i].l && r == rows[i].r, "§1.8 %s: Mac %.2f -> log %.17g, cbrt %.17g",
                rows[i].name, rows[i].mac, rows[i].l, rows[i].r))
            diag("got log %.17g cbrt %.17g", l, r);
    }
}

int main(void)
{
    plan_no_plan();
    test_spec_vectors();
    test_wrong_axis();
    test_axis_rule();
    test_identical_and_symmetry();
    test_small_regime();
    test_property_vs_naive();
    test_elementwise();
    test_hist();
    test_table();
    test_aggregates();
    return done_testing();
}
