/* similarity.c — per-tensor similarity metrics and model-level aggregates (spec §4.2–§4.4).
 *
 * Softmax-based divergences (js, kl) walk the tensor as `outer × len × inner`, where `len` is
 * the softmax axis: the distribution at (o, i) consists of the elements
 * o·len·inner + k·inner + i, k = 0..len−1 (stride `inner`).
 *
 * binary64 mode.  Per distribution, with a = A's column, b = B's column, d_k = b_k − a_k
 * (exact in binary64), ln p_k = a_k − lse(a) and the shift c = lse(b) − lse(a) obtained as
 * log1p(Σ p_k·expm1(d_k)) (no cancellation between two large log-sum-exps), every element's
 * log-ratio δ_k = ln q_k − ln p_k = d_k − c carries a relative, not an absolute, error.  The
 * per-element contributions are then evaluated in forms that are ≥ 0 and free of cancellation:
 *   JS:  ½[p ln(p/m) + q ln(q/m)] = ½·m·f(t), t = (p−q)/(p+q) = tanh(δ/2),
 *        f(t) = (1+t)ln(1+t) + (1−t)ln(1−t) = Σ_{k≥1} t^{2k} / (k(2k−1))   (series for small δ)
 *   KL:  q ln(q/p) − q + p = p·g(δ),  g(δ) = 1 + e^δ(δ−1) = Σ_{n≥2} (n−1)δⁿ/n!
 *        (the added Σ(p − q) is 0 for each distribution).
 * So a JS of 1e-15 is still computed to ~1e-15 relative, where the textbook formula would
 * return rounding noise of size ε·Σ|p ln p| (spec §4.4 "Precision").
 *
 * f32 reference mode.  Mirrors the reference's PyTorch ops (CPU, f32):
 *   softmax: per distribution max, e = expf(x − max), s = Σ e (f32); last-dim softmax
 *            (axis == rank−1) multiplies by f32(1/s), other axes divide by s (ATen's
 *            _vec_softmax_lastdim vs. the scalar path of _vec_softmax);
 *   m = (p + q) / 2; ln m = logf(m); KLDivLoss term = xlogy(t, t) − t·ln m (ATen ≥ 2.0);
 *   sums over the flat tensor in memory order, f32: 8 interleaved lanes over the first
 *   8·⌊n/8⌋ elements (each lane a base-16 cascade), the remaining tail sequentially, then
 *   tail + lane 0 + … + lane 7 (ATen's vectorized_inner_sum layout);
 *   result (k1 + k2) / 2 in f32, widened to binary64.
 * This reproduces the §4.4 rank-1 and rank-2 vectors bit-for-bit; for larger tensors ATen's
 * vectorized (Sleef) exp/log and exact cascade boundaries are not emulated (~1e-6 relative).
 * One deliberate difference: an element with p = 0 contributes 0 (0·ln 0 := 0) where PyTorch
 * would produce NaN from 0·(−inf) if both softmaxes underflowed.
 */
#include "quant/similarity.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"

static const double LN2 = 0.693147180559945309417232121458176568;

/* ---------------------------------------------------------------- shapes */

typedef struct { size_t outer, len, inner; } Split;

size_t sim_numel(int rank, const int *shape)
{
    CHECK(rank >= 0, "negative rank %d", rank);
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        CHECK(shape[i] >= 0, "negative extent %d on axis %d", shape[i], i);
        n *= (size_t)shape[i];
    }
    return n;
}

int sim_softmax_axis(int rank)
{
    return (rank == 0 || rank == 1 || rank == 3) ? 0 : 1;
}

/* outer × len × inner view of the tensor around `axis` (rank 0: 1 × 1 × 1). */
static Split split_axis(int rank, const int *shape, int axis)
{
    Split s = {1, 1, 1};
    (void)sim_numel(rank, shape); /* validates the extents */
    if (rank == 0) return s;
    CHECK(axis >= 0 && axis < rank, "softmax axis %d out of range for rank %d", axis, rank);
    for (int i = 0; i < axis; i++) s.outer *= (size_t)shape[i];
    s.len = (size_t)shape[axis];
    for (int i = axis + 1; i < rank; i++) s.inner *= (size_t)shape[i];
    return s;
}

/* ---------------------------------------------------------------- binary64 helpers */

/* Neumaier-compensated binary64 sum. */
typedef struct { double s, c; } KSum;

static void ksum_add(KSum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x)) k->c += (k->s - t) + x;
    else k->c += (x - t) + k->s;
    k->s = t;
}

static double ksum_total(const KSum *k) { return k->s + k->c; }

/* ln Σ_k exp(x[base + k·st]), k < len (len ≥ 1). */
static double col_lse(const float *x, size_t base, size_t len, size_t st)
{
    double mx = x[base];
    for (size_t k = 1; k < len; k++) mx = fmax(mx, (double)x[base + k * st]);
    double s = 0;
    for (size_t k = 0; k < len; k++) s += exp((double)x[base + k * st] - mx);
    return mx + log(s);
}

/* c = lse(b) − lse(a) of one column, given lse_a.  For |b−a| ≤ 1 everywhere it is computed
 * as log1p(Σ p_k·expm1(b_k − a_k)), whose error is relative to c itself. */
static double col_shift(const float *a, const float *b, size_t base, size_t len, size_t st,
                        double lse_a)
{
    double dmax = 0;
    for (size_t k = 0; k < len; k++) {
        size_t j = base + k * st;
        dmax = fmax(dmax, fabs((double)b[j] - (double)a[j]));
    }
    if (dmax > 1) return col_lse(b, base, len, st) - lse_a;
    double s = 0;
    for (size_t k = 0; k < len; k++) {
        size_t j = base + k * st;
        s += exp((double)a[j] - lse_a) * expm1((double)b[j] - (double)a[j]);
    }
    return log1p(s);
}

/* f(t) = (1+t)ln(1+t) + (1−t)ln(1−t) as Σ_{k≥1} u^k / (k(2k−1)), u = t² ≤ 0.06. */
static double js_series(double u)
{
    double sum = 0, pw = 1;
    for (int k = 1; k < 60; k++) {
        pw *= u;
        double term = pw / ((double)k * (2.0 * k - 1.0));
        sum += term;
        if (term <= 1e-18 * sum) break;
    }
    return sum;
}

/* ½[p ln(p/m) + q ln(q/m)] with ln p = lp, ln q = lp + delta, m = (p+q)/2; ≥ 0. */
static double js_elem(double lp, double delta)
{
    double x = fabs(delta);
    if (x < 0.5) {
        double p = exp(lp);
        if (p == 0) return 0;
        double em = expm1(delta);              /* q/p − 1 */
        double t = em / (2.0 + em);            /* (q−p)/(q+p) */
        double m = p * (2.0 + em) / 2.0;
        return 0.5 * m * js_series(t * t);
    }
    double pmax = exp(lp + (delta > 0 ? delta : 0)); /* the larger of p, q */
    if (pmax == 0) return 0;
    double e = exp(-x), l = log1p(e);          /* e = smaller/larger; ln(larger/m) = ln 2 − l */
    return 0.5 * pmax * ((LN2 - l) + e * (LN2 - x - l));
}

/* g(δ) = 1 + e^δ(δ−1) for |δ| < 0.5 by its series Σ_{n≥2} (n−1)δⁿ/n!. */
static double kl_series(double d)
{
    double sum = 0, pf = d; /* δⁿ/n!, n = 1 */
    for (int n = 2; n < 60; n++) {
        pf *= d / n;
        double term = (n - 1) * pf;
        sum += term;
        if (fabs(term) <= 1e-18 * fabs(sum)) break;
    }
    return sum;
}

/* q ln(q/p) − q + p with ln p = lp, ln q = lp + delta; ≥ 0. */
static double kl_elem(double lp, double delta)
{
    double p = exp(lp);
    if (fabs(delta) < 0.5) return p * kl_series(delta);
    double q = exp(lp + delta);
    return fmax(0.0, p + q * (delta - 1.0));
}

typedef enum { DIV_JS, DIV_KL } DivKind;

/* Σ over all elements of the per-element JS or KL contributions, binary64. */
static double div_f64(const float *a, const float *b, Split s, DivKind kind)
{
    KSum acc = {0, 0};
    for (size_t o = 0; o < s.outer; o++) {
        for (size_t i = 0; i < s.inner; i++) {
            size_t base = o * s.len * s.inner + i;
            double lse_a = col_lse(a, base, s.len, s.inner);
            double c = col_shift(a, b, base, s.len, s.inner, lse_a);
            for (size_t k = 0; k < s.len; k++) {
                size_t j = base + k * s.inner;
                double lp = (double)a[j] - lse_a;
                double delta = ((double)b[j] - (double)a[j]) - c;
                ksum_add(&acc, kind == DIV_JS ? js_elem(lp, delta) : kl_elem(lp, delta));
            }
        }
    }
    return ksum_total(&acc);
}

/* ---------------------------------------------------------------- f32 reference helpers */

#define F32_LANES 8
#define F32_LEVELS 8
#define F32_STEP 16

/* Base-16 cascade of f32 partial sums: level 0 takes 16 values sequentially, then is added
 * into level 1, and so on. */
typedef struct { float acc[F32_LEVELS]; size_t count; } F32Cascade;

typedef struct {
    F32Cascade lane[F32_LANES];
    float tail;
    size_t n_vec, idx; /* elements that go to the lanes; elements seen so far */
} F32Sum;

static void casc_add(F32Cascade *c, float x)
{
    c->acc[0] += x;
    size_t k = ++c->count;
    for (int l = 1; l < F32_LEVELS && k % F32_STEP == 0; l++, k /= F32_STEP) {
        c->acc[l] += c->acc[l - 1];
        c->acc[l - 1] = 0;
    }
}

static float casc_total(const F32Cascade *c)
{
    float s = c->acc[0];
    for (int l = 1; l < F32_LEVELS; l++) s += c->acc[l];
    return s;
}

static void f32sum_init(F32Sum *f, size_t n)
{
    memset(f, 0, sizeof *f);
    f->n_vec = n / F32_LANES * F32_LANES;
}

/* Add the next element of the flat tensor (memory order). */
static void f32sum_add(F32Sum *f, float x)
{
    if (f->idx < f->n_vec) casc_add(&f->lane[f->idx % F32_LANES], x);
    else f->tail += x;
    f->idx++;
}

static float f32sum_total(const F32Sum *f)
{
    float s = f->tail;
    for (int l = 0; l < F32_LANES; l++) s += casc_total(&f->lane[l]);
    return s;
}

/* ATen xlogy(x, x) for x ≥ 0: 0 if x == 0, else x·ln x (f32). */
static float xlogx_f(float x) { return x == 0.0f ? 0.0f : x * logf(x); }

/* Per-distribution softmax normalisation in f32: max and either 1/s (last-dim kernel) or s. */
typedef struct { float max, norm; } F32Col;

static F32Col col_stats_f(const float *x, size_t base, size_t len, size_t st, int lastdim)
{
    F32Col c = {x[base], 0.0f};
    for (size_t k = 1; k < len; k++) c.max = fmaxf(c.max, x[base + k * st]);
    float s = 0.0f;
    for (size_t k = 0; k < len; k++) s += expf(x[base + k * st] - c.max);
    c.norm = lastdim ? 1.0f / s : s;
    return c;
}

static float softmax_f(float x, F32Col c, int lastdim)
{
    float e = expf(x - c.max);
    return lastdim ? e * c.norm : e / c.norm;
}

/* JS (kind DIV_JS) or KLDivLoss(ln P, Q) (DIV_KL) evaluated like the reference, f32. */
static double div_f32(const float *a, const float *b, Split s, int lastdim, DivKind kind)
{
    size_t n = s.outer * s.len * s.inner;
    F32Col *ca = xmalloc(2 * s.inner * sizeof *ca), *cb = ca + s.inner;
    F32Sum s1, s2;
    f32sum_init(&s1, n);
    f32sum_init(&s2, n);
    for (size_t o = 0; o < s.outer; o++) {
        size_t obase = o * s.len * s.inner;
        for (size_t i = 0; i < s.inner; i++) {
            ca[i] = col_stats_f(a, obase + i, s.len, s.inner, lastdim);
            cb[i] = col_stats_f(b, obase + i, s.len, s.inner, lastdim);
        }
        for (size_t k = 0; k < s.len; k++) {
            for (size_t i = 0; i < s.inner; i++) {
                size_t j = obase + k * s.inner + i;
                float p = softmax_f(a[j], ca[i], lastdim), q = softmax_f(b[j], cb[i], lastdim);
                if (kind == DIV_JS) {
                    float lm = logf((p + q) / 2.0f);
                    f32sum_add(&s1, p == 0.0f ? 0.0f : xlogx_f(p) - p * lm);
                    f32sum_add(&s2, q == 0.0f ? 0.0f : xlogx_f(q) - q * lm);
                } else {
                    f32sum_add(&s1, q == 0.0f ? 0.0f : xlogx_f(q) - q * logf(p));
                }
            }
        }
    }
    free(ca);
    float r = kind == DIV_JS ? (f32sum_total(&s1) + f32sum_total(&s2)) / 2.0f : f32sum_total(&s1);
    return (double)r;
}

/* ---------------------------------------------------------------- softmax divergences */

static double divergence(const float *a, const float *b, int rank, const int *shape, int axis,
                         SimPrecision prec, DivKind kind)
{
    Split s = split_axis(rank, shape, axis);
    if (s.outer * s.len * s.inner == 0) return 0;
    if (s.len == 1) return 0; /* softmax over a singleton axis is exactly 1: P = Q */
    double v;
    if (prec == SIM_F32_REFERENCE) v = div_f32(a, b, s, rank >= 1 && axis == rank - 1, kind);
    else {
        CHECK(prec == SIM_F64, "unknown precision %d", (int)prec);
        v = div_f64(a, b, s, kind);
    }
    return v > 0 ? v : 0; /* Q13; also maps −0 to +0 */
}

double sim_js_axis(const float *a, const float *b, int rank, const int *shape, int axis,
                   SimPrecision prec)
{
    return divergence(a, b, rank, shape, axis, prec, DIV_JS);
}

double sim_js(const float *a, const float *b, int rank, const int *shape, SimPrecision prec)
{
    return sim_js_axis(a, b, rank, shape, sim_softmax_axis(rank), prec);
}

double sim_kl_axis(const float *a, const float *b, int rank, const int *shape, int axis,
                   SimPrecision prec)
{
    return divergence(a, b, rank, shape, axis, prec, DIV_KL);
}

double sim_kl(const float *a, const float *b, int rank, const int *shape, SimPrecision prec)
{
    return sim_kl_axis(a, b, rank, shape, sim_softmax_axis(rank), prec);
}

/* ---------------------------------------------------------------- histogram JS */

/* ½[p ln(p/m) + q ln(q/m)], m = (p+q)/2, 0·ln 0 := 0. */
static double js_pair(double p, double q)
{
    double m = 0.5 * (p + q), r = 0;
    if (p > 0) r += p * log(p / m);
    if (q > 0) r += q * log(q / m);
    return 0.5 * r;
}

static size_t hist_bin(float x, double lo, double width, int bins)
{
    double t = floor(((double)x - lo) / width * bins);
    return t >= bins ? (size_t)bins - 1 : (size_t)t;
}

double sim_js_hist_bins(const float *a, const float *b, size_t n, int bins)
{
    CHECK(bins >= 1 && bins <= SIM_HIST_MAX_BINS, "histogram bins %d not in [1, %d]", bins,
          SIM_HIST_MAX_BINS);
    if (n == 0) return 0;
    float lo = a[0], hi = a[0];
    for (size_t i = 0; i < n; i++) {
        CHECK(isfinite(a[i]) && isfinite(b[i]), "non-finite value at element %zu", i);
        lo = fminf(lo, fminf(a[i], b[i]));
        hi = fmaxf(hi, fmaxf(a[i], b[i]));
    }
    if (lo == hi) return 0;
    size_t *ca = xcalloc(2 * (size_t)bins, sizeof *ca), *cb = ca + bins;
    double width = (double)hi - (double)lo;
    for (size_t i = 0; i < n; i++) {
        ca[hist_bin(a[i], lo, width, bins)]++;
        cb[hist_bin(b[i], lo, width, bins)]++;
    }
    double js = 0;
    for (int k = 0; k < bins; k++) js += js_pair((double)ca[k] / n, (double)cb[k] / n);
    free(ca);
    return js > 0 ? js : 0;
}

double sim_js_hist(const float *a, const float *b, size_t n)
{
    return sim_js_hist_bins(a, b, n, SIM_HIST_BINS);
}

/* ---------------------------------------------------------------- elementwise metrics */

/* Σ b², Σ a², Σ ab, Σ (a−b)² in binary64. */
typedef struct { double bb, aa, ab, ee; } Moments;

static Moments moments(const float *a, const float *b, size_t n)
{
    Moments m = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        double x = a[i], y = b[i], e = x - y;
        m.bb += y * y;
        m.aa += x * x;
        m.ab += x * y;
        m.ee += e * e;
    }
    return m;
}

double sim_mse(const float *a, const float *b, size_t n)
{
    return n == 0 ? 0 : moments(a, b, n).ee / (double)n;
}

double sim_sqnr_db(const float *a, const float *b, size_t n)
{
    Moments m = moments(a, b, n);
    return sim_sqnr_db_pow(m.bb, m.ee);
}

double sim_sqnr_db_pow(double signal, double noise)
{
    if (noise == 0) return SIM_SQNR_CAP_DB;
    if (signal == 0) return -SIM_SQNR_CAP_DB;
    return fmin(SIM_SQNR_CAP_DB, fmax(-SIM_SQNR_CAP_DB, 10.0 * log10(signal / noise)));
}

/* log-softmax of v (k entries) into out, in binary64 */
static void log_softmax64(const float *v, int k, double *out)
{
    double mx = v[0], s = 0;
    for (int j = 1; j < k; j++) mx = v[j] > mx ? v[j] : mx;
    for (int j = 0; j < k; j++) s += exp((double)v[j] - mx);
    double l = mx + log(s);
    for (int j = 0; j < k; j++) out[j] = (double)v[j] - l;
}

double sim_kl_logits(const float *p, const float *q, int k, double *work)
{
    double *lp = work, *lq = work + k, kl = 0;
    log_softmax64(p, k, lp);
    log_softmax64(q, k, lq);
    for (int j = 0; j < k; j++) kl += exp(lp[j]) * (lp[j] - lq[j]);
    return kl;
}

double sim_cosine(const float *a, const float *b, size_t n)
{
    Moments m = moments(a, b, n);
    if (m.aa == 0 && m.bb == 0) return 1;
    if (m.aa == 0 || m.bb == 0) return 0;
    double c = m.ab / (sqrt(m.aa) * sqrt(m.bb));
    return fmin(1.0, fmax(-1.0, c));
}

double sim_rel_l2(const float *a, const float *b, size_t n)
{
    Moments m = moments(a, b, n);
    if (m.ee == 0) return 0;
    if (m.bb == 0) return INFINITY;
    return sqrt(m.ee) / sqrt(m.bb);
}

/* ---------------------------------------------------------------- metric table */

static const SimMetricInfo METRICS[] = {
    [SIM_JS]      = {"js",      SIM_KIND_SHAPED, sim_js, NULL,         1, "nats"},
    [SIM_JS_HIST] = {"js_hist", SIM_KIND_FLAT,   NULL,   sim_js_hist,  1, "nats"},
    [SIM_KL]      = {"kl",      SIM_KIND_SHAPED, sim_kl, NULL,         1, "nats"},
    [SIM_MSE]     = {"mse",     SIM_KIND_FLAT,   NULL,   sim_mse,      1, "units^2"},
    [SIM_SQNR_DB] = {"sqnr_db", SIM_KIND_FLAT,   NULL,   sim_sqnr_db,  0, "dB"},
    [SIM_COSINE]  = {"cosine",  SIM_KIND_FLAT,   NULL,   sim_cosine,   0, ""},
    [SIM_REL_L2]  = {"rel_l2",  SIM_KIND_FLAT,   NULL,   sim_rel_l2,   1, ""},
};
_Static_assert(sizeof METRICS / sizeof METRICS[0] == SIM_METRIC_COUNT,
               "METRICS must have one row per SimMetric");

const SimMetricInfo *sim_metric_info(SimMetric m)
{
    CHECK((int)m >= 0 && m < SIM_METRIC_COUNT, "metric %d out of range", (int)m);
    return &METRICS[m];
}

int sim_metric_from_name(const char *name)
{
    for (int m = 0; m < SIM_METRIC_COUNT; m++)
        if (strcmp(METRICS[m].name, name) == 0) return m;
    return -1;
}

double sim_metric_value(SimMetric m, const float *a, const float *b, int rank, const int *shape,
                        SimPrecision prec)
{
    const SimMetricInfo *info = sim_metric_info(m);
    if (info->kind == SIM_KIND_SHAPED) return info->shaped(a, b, rank, shape, prec);
    return info->flat(a, b, sim_numel(rank, shape));
}

/* ---------------------------------------------------------------- aggregates */

double sim_weighted_sum(const double *values, const double *shares, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += values[i] * shares[i];
    return s;
}

float sim_log_factor(double mac)
{
    float m = (float)mac;
    return (float)log10((double)m);
}

float sim_cbrt_factor(double mac)
{
    float m = (float)mac;
    return (float)pow((double)m, 1.0 / 3.0);
}
