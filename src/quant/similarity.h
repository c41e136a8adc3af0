/* similarity.h — per-tensor similarity metrics between a quantized (fake-quantized, i.e.
 * dequantized) parameter tensor A and the full-precision tensor B of the same shape, and the
 * model-level weighted aggregates (spec ptq-engine §4.2–§4.4, quirks Q11–Q14).
 *
 * Tensors are dense, row-major float arrays; `rank` and `shape[rank]` describe both A and B
 * (conv weight [out, in/groups, kh, kw], linear weight [out, in], bias [C]; rank 0 = a scalar,
 * `shape` may then be NULL).  Inputs must be finite.  Every metric accumulates in binary64
 * unless SIM_F32_REFERENCE is asked for; no function keeps state between calls.
 *
 * Metrics (all "A versus B"; the unit is given with each function):
 *   js       reference JS divergence of softmax distributions (nats, summed, not averaged)
 *   js_hist  JS divergence of value histograms (nats, in [0, ln 2])
 *   kl       KL(P_B || P_A) of the same softmax distributions as js (nats, summed)
 *   mse      mean squared error (squared parameter units)
 *   sqnr_db  signal-to-quantization-noise ratio (dB, capped at ±SIM_SQNR_CAP_DB)
 *   cosine   cosine similarity (dimensionless, in [-1, 1])
 *   rel_l2   relative L2 error ‖A−B‖/‖B‖ (dimensionless)
 */
#ifndef MTA_SIMILARITY_H
#define MTA_SIMILARITY_H

#include <stddef.h>

/* Arithmetic of the softmax-based divergences (js, kl). */
typedef enum {
    SIM_F64 = 0,          /* default: binary64, log-sum-exp softmax, cancellation-free terms */
    SIM_F32_REFERENCE = 1 /* compat: f32 softmax/log/sums in the reference's (PyTorch's) op order */
} SimPrecision;

/* Number of elements of a tensor of the given rank/shape (1 for rank 0). */
size_t sim_numel(int rank, const int *shape);

/* The reference's implicit softmax axis (Q11): 0 for rank 0, 1 or 3, else 1. */
int sim_softmax_axis(int rank);

/* Reference JS divergence (spec §4.4), in nats.  P = softmax(A), Q = softmax(B) along
 * sim_softmax_axis(rank); M = (P+Q)/2;
 *   JS = ½ Σ P(ln P − ln M) + ½ Σ Q(ln Q − ln M)
 * summed over ALL elements (one distribution per position of the other axes, not averaged),
 * 0·ln 0 := 0, a negative result is returned as 0 (Q13).  A depthwise weight [C,1,kh,kw]
 * gives exactly 0 (softmax over a singleton axis).
 * SIM_F64 evaluates every element's contribution ½[p ln(p/m) + q ln(q/m)] ≥ 0 from the
 * log-probability difference ln q − ln p (computed without cancellation), so small values
 * keep full relative precision.  SIM_F32_REFERENCE reproduces the reference's f32 evaluation
 * (≈1e-6 relative; bit-exact only for tiny tensors — ATen's vectorized exp/log/sum orders
 * are not emulated). */
double sim_js(const float *a, const float *b, int rank, const int *shape, SimPrecision prec);

/* sim_js with an explicit softmax axis in [0, rank) (any axis for rank 0) — for "corrected"
 * variants and for tests that prove the axis matters. */
double sim_js_axis(const float *a, const float *b, int rank, const int *shape, int axis,
                   SimPrecision prec);

/* KL(P_B || P_A) = Σ Q (ln Q − ln P), in nats, of the same softmax distributions as sim_js
 * (same axis rule, summed over all elements), so the two are directly comparable.  Always
 * ≥ 0 (negative rounding results are returned as 0).  B (full precision) is the reference
 * distribution.  SIM_F32_REFERENCE evaluates it as PyTorch's KLDivLoss(ln P, Q, 'sum'). */
double sim_kl(const float *a, const float *b, int rank, const int *shape, SimPrecision prec);
double sim_kl_axis(const float *a, const float *b, int rank, const int *shape, int axis,
                   SimPrecision prec);

#define SIM_HIST_BINS 256      /* bins of sim_js_hist */
#define SIM_HIST_MAX_BINS 4096 /* largest bins accepted by sim_js_hist_bins */

/* JS divergence (nats, in [0, ln 2]) between the value histograms of A and B (n elements
 * each) — insensitive to the absolute scale and to how values are grouped into rows.
 * Binning: common range [lo, hi] = [min(A ∪ B), max(A ∪ B)]; bin of x =
 * floor((x − lo) / (hi − lo) · bins) evaluated in binary64 and clamped to bins − 1 (so hi
 * falls in the last bin).  Counts are divided by n; 0·ln 0 := 0.  If lo == hi (or n == 0)
 * both histograms coincide and the result is 0.  sim_js_hist uses SIM_HIST_BINS bins;
 * sim_js_hist_bins takes 1 ≤ bins ≤ SIM_HIST_MAX_BINS. */
double sim_js_hist(const float *a, const float *b, size_t n);
double sim_js_hist_bins(const float *a, const float *b, size_t n, int bins);

/* Mean squared error (1/n) Σ (a−b)², in squared parameter units; 0 when n == 0. */
double sim_mse(const float *a, const float *b, size_t n);

#define SIM_SQNR_CAP_DB 200.0
/* SQNR = 10·log10(Σ b² / Σ (a−b)²) in dB (B is the signal, A−B the noise).  Clamped to
 * [−SIM_SQNR_CAP_DB, +SIM_SQNR_CAP_DB]: A == B (including n == 0 and all-zero tensors)
 * gives +200 dB, a zero signal with non-zero noise gives −200 dB; always finite. */
double sim_sqnr_db(const float *a, const float *b, size_t n);
/* The same from the two powers: 10·log10(signal / noise) with sim_sqnr_db's cap and cases. */
double sim_sqnr_db_pow(double signal, double noise);

/* Cosine similarity Σab / (‖a‖·‖b‖), dimensionless, clamped to [−1, 1]; 1 for identical
 * direction.  Both all-zero (or n == 0) → 1 (identical); exactly one all-zero → 0. */
double sim_cosine(const float *a, const float *b, size_t n);
/* KL(softmax(p) || softmax(q)) of two logit vectors of k classes, in nats, in binary64 (the
 * label-free output metric kl_fp_q); work: 2k doubles. */
double sim_kl_logits(const float *p, const float *q, int k, double *work);

/* Relative L2 error ‖a−b‖ / ‖b‖, dimensionless (0 = identical).  ‖b‖ == 0: 0 if A is all
 * zero too (or n == 0), else +INFINITY. */
double sim_rel_l2(const float *a, const float *b, size_t n);

/* ---- metric table (for callers that loop over all metrics) ---- */

typedef enum {
    SIM_JS, SIM_JS_HIST, SIM_KL, SIM_MSE, SIM_SQNR_DB, SIM_COSINE, SIM_REL_L2,
    SIM_METRIC_COUNT
} SimMetric;

typedef enum {
    SIM_KIND_SHAPED, /* needs rank/shape and the precision (softmax distributions) */
    SIM_KIND_FLAT    /* elementwise over the flattened tensors, always binary64 */
} SimKind;

typedef double (*SimShapedFn)(const float *a, const float *b, int rank, const int *shape,
                              SimPrecision prec);
typedef double (*SimFlatFn)(const float *a, const float *b, size_t n);

typedef struct {
    const char *name;    /* "js", "js_hist", "kl", "mse", "sqnr_db", "cosine", "rel_l2" */
    SimKind kind;
    SimShapedFn shaped;  /* set iff kind == SIM_KIND_SHAPED */
    SimFlatFn flat;      /* set iff kind == SIM_KIND_FLAT */
    int higher_is_worse; /* 1 for divergences/errors, 0 for sqnr_db and cosine */
    const char *unit;    /* "nats", "dB", "" (dimensionless), "units^2" */
} SimMetricInfo;

/* Table row of metric m (m in [0, SIM_METRIC_COUNT)). */
const SimMetricInfo *sim_metric_info(SimMetric m);
/* Metric by name, or -1 if unknown. */
int sim_metric_from_name(const char *name);
/* Value of metric m for A versus B; `prec` only affects SIM_KIND_SHAPED metrics. */
double sim_metric_value(SimMetric m, const float *a, const float *b, int rank, const int *shape,
                        SimPrecision prec);

/* ---- model-level aggregates (spec §4.2, §4.4) ---- */

/* Σ values[i]·shares[i] in binary64, accumulated in index (module) order — js_flops /
 * js_param when values are per-parameter JS values and shares the layer percentages
 * (0..100, never divided by 100). */
double sim_weighted_sum(const double *values, const double *shares, size_t n);

/* Mac factors of §4.4 (Q14), Mac in "MMac" as parsed by §1.9:
 *   sim_log_factor(mac)  = f32(log10(f32(mac)))
 *   sim_cbrt_factor(mac) = f32(f32(mac)^(1/3))
 * The model-level values are js_flops · (double)factor, multiplied in binary64. */
float sim_log_factor(double mac);
float sim_cbrt_factor(double mac);

#endif
