/* quant.c — configuration table, format specs, the analytic nearest-value rounding, the
 * range observer and (fake) quantization.  See quant.h for the numeric contract; grids live
 * in quant_grid.c, the CPython set-order emulation for compat ties in quant_tie.c. */
#include "quant/quant.h"

#include "base/check.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ---- configurations ---- */

#define QUANT_CFG_ROW_(name, type, bits, ebits) [QUANT_CFG_##name] = {#name, type, bits, ebits},
const QuantConfig quant_configs[QUANT_NCONFIGS] = {QUANT_CONFIG_LIST(QUANT_CFG_ROW_)};
#undef QUANT_CFG_ROW_

/* 15 INT + 7 POT + 21 FLOAT (§2.1). */
_Static_assert(QUANT_NCONFIGS == 43, "the sweep has 43 configurations");
_Static_assert(QUANT_CFG_POT_2 == 15 && QUANT_CFG_FLOAT_3_E1 == 22 &&
                   QUANT_CFG_FLOAT_8_E6 == QUANT_NCONFIGS - 1,
               "config table order is INT_2..16, POT_2..8, FLOAT_3_E1..FLOAT_8_E6");

const char *quant_type_name(QuantType t) { return t == QUANT_INT ? "INT" : t == QUANT_POT ? "POT" : "FLOAT"; }

int quant_config_find(const char *title)
{
    for (int i = 0; i < QUANT_NCONFIGS; i++)
        if (strcmp(quant_configs[i].title, title) == 0) return i;
    return -1;
}

/* ---- specs ---- */

/* Fills the FLOAT-geometry rounding constants from mbits, emin, emax. */
static void spec_set_geometry(QuantSpec *s)
{
    int m = s->mbits;
    /* Every grid value normal (POT_8's 2^-126 is the smallest); step may be 2^-127 (POT_8,
     * used only for its lower midpoint). */
    CHECK(s->emin >= -126 && (m == 0 || s->emin - 1 - m >= -126) && s->emax <= 126 && m <= 22,
          "format b=%d e=%d leaves the normal f32 range", s->bits, s->ebits);
    s->qmax = ldexpf(2.0f - ldexpf(1.0f, -m), s->emax);
    s->pmin = ldexpf(1.0f, s->emin);
    s->step = ldexpf(1.0f, s->emin - 1 - m);
    s->inv_step = ldexpf(1.0f, m + 1 - s->emin);
    s->tsub = (ldexpf(1.0f, m) - 1.0f) * s->step;
    s->gap_mid = (s->tsub + s->pmin) * 0.5f;
}

QuantSpec quant_spec(QuantType type, int bits, int ebits)
{
    QuantSpec s;
    memset(&s, 0, sizeof s);
    s.type = type;
    s.bits = bits;
    switch (type) {
    case QUANT_INT:
        CHECK(bits >= 2 && bits <= 64 && ebits == 0, "INT needs 2 <= b <= 64, e = 0 (b=%d e=%d)",
              bits, ebits);
        s.qmax = (float)(ldexp(1.0, bits - 1) - 1.0);  /* binary64 then f32: b=64 -> 2^63 */
        return s;
    case QUANT_POT:
        CHECK(bits >= 2 && bits <= 8 && ebits == 0, "POT needs 2 <= b <= 8, e = 0 (b=%d e=%d)",
              bits, ebits);
        s.mbits = 0;
        s.emin = 2 - (1 << (bits - 1));
        s.emax = 0;
        break;
    case QUANT_FLOAT:
        CHECK(ebits >= 1 && ebits <= 7 && ebits <= bits - 2 && bits <= 24,
              "FLOAT needs 1 <= e <= min(7, b-2), b <= 24 (b=%d e=%d)", bits, ebits);
        s.ebits = ebits;
        s.mbits = bits - 1 - ebits;
        s.emin = 2 - (1 << (ebits - 1));
        s.emax = 1 << (ebits - 1);
        break;
    default:
        CHECK(0, "unknown quantization type %d", (int)type);
    }
    spec_set_geometry(&s);
    return s;
}

QuantSpec quant_spec_config(int id)
{
    CHECK(id >= 0 && id < QUANT_NCONFIGS, "config id %d out of range", id);
    const QuantConfig *c = &quant_configs[id];
    return quant_spec(c->type, c->bits, c->ebits);
}

QuantSpec quant_bias_spec(QuantType type)
{
    switch (type) {
    case QUANT_INT: return quant_spec(QUANT_INT, 64, 0);
    case QUANT_POT: return quant_spec(QUANT_POT, 8, 0);
    case QUANT_FLOAT: return quant_spec(QUANT_FLOAT, 16, 7);
    default: CHECK(0, "unknown quantization type %d", (int)type);
    }
    return quant_spec(QUANT_INT, 64, 0); /* not reached */
}

/* ---- analytic nearest (POT/FLOAT) ---- */

/* The kernels run over fixed-size blocks of local arrays (restrict, constant trip count), so
 * the compiler vectorizes them at -O2 without alias checks or scalar epilogues; the callers
 * copy a block in, pad the tail with zeros, and copy the first m results out. */
enum { QBLOCK = 256 };

static inline uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

#define SIGN_BIT 0x80000000u

/* Rounding constants of a POT/FLOAT spec, copied into registers. */
typedef struct {
    float qmax, pmin, step, inv_step, tsub, gap_mid;
    uint32_t half, low;   /* 2^(22-m) and 2^(23-m)-1: f32 mantissa bits below the m kept */
} GridK;

static GridK grid_k(const QuantSpec *s)
{
    GridK k = {s->qmax, s->pmin, s->step, s->inv_step, s->tsub, s->gap_mid,
               (1u << 22) >> s->mbits, ((1u << 23) >> s->mbits) - 1u};
    return k;
}

/* Nearest grid value of v with ties toward zero, sign restored (zero -> +0); NaN -> v.
 * *tie = 1 (positive side) or 2 (negative side) when |v| is exactly a midpoint below qmax.
 * Regions of a = |v|:
 *   a >= pmin  normal binades: round the f32 mantissa to m bits, ties down, by adding
 *              half-1 and truncating (a carry moves into the next binade exactly);
 *   a <= tsub  subnormal run: multiples of step, via the integer part of the exact a/step;
 *   otherwise  the gap (tsub, pmin) of quirk Q4 (POT: (0, pmin)), split at gap_mid;
 *   a >= qmax  saturate (also ±inf). */
static inline float nearest1(GridK k, float v, uint32_t *tie)
{
    /* Every candidate is computed unconditionally and selected with integer masks: the
     * compiler may not speculate a trapping f32 operation out of a conditional arm, and
     * straight-line code vectorizes. */
    uint32_t u = f2u(v), ua = u & ~SIGN_BIT;
    float a = u2f(ua);
    uint32_t rn = (ua + k.half - 1u) & ~k.low;
    float xs = a * k.inv_step;                  /* exact; < 2^m when it matters */
    float xc = u2f(f2u(xs) & -(uint32_t)(xs < 0x1p23f)); /* else 0: conversion defined */
    float fl = (float)(int32_t)xc, fr = xc - fl;  /* floor (xc >= 0), vectorizable */
    uint32_t rs = f2u((fl + (float)(fr > 0.5f)) * k.step);
    uint32_t rg = f2u(a > k.gap_mid ? k.pmin : k.tsub);
    uint32_t normal = -(uint32_t)(a >= k.pmin), sub = -(uint32_t)(a <= k.tsub) & ~normal;
    uint32_t gap = ~normal & ~sub, sat = -(uint32_t)(a >= k.qmax), nan = -(uint32_t)(v != v);
    uint32_t r = (rn & normal) | (rs & sub) | (rg & gap);
    r = (f2u(k.qmax) & sat) | (r & ~sat);
    uint32_t t = (normal & -(uint32_t)((ua & k.low) == k.half)) |
                 (sub & -(uint32_t)(fr == 0.5f)) | (gap & -(uint32_t)(a == k.gap_mid));
    t &= ~sat & 1u;
    *tie = t + (t & (u >> 31));                         /* 1 positive, 2 negative side */
    r |= r ? (u & SIGN_BIT) : 0u;                       /* zero stays +0 */
    return u2f((u & nan) | (r & ~nan));
}

/* y[QBLOCK] from x[QBLOCK] with tie flags (1 positive, 2 negative); returns the number
 * of ties. */
static int nearest_block(GridK k, const float *restrict x, float *restrict y,
                         uint32_t *restrict tie)
{
    int nt = 0;
    for (int i = 0; i < QBLOCK; i++) {
        y[i] = nearest1(k, x[i], &tie[i]);
        nt += tie[i] != 0;
    }
    return nt;
}

/* Same without tie bookkeeping (the default policy). */
static void nearest_block_tz(GridK k, const float *restrict x, float *restrict y)
{
    for (int i = 0; i < QBLOCK; i++) {
        uint32_t t;
        y[i] = nearest1(k, x[i], &t);
    }
}

/* Moves the toward-zero results of flagged ties to the reference winner: y holds the lower
 * magnitude neighbour (code c, signed); the table says whether code c+1 wins instead. */
static void fix_ties(const QuantSpec *s, float *y, const uint32_t *tie)
{
    const QuantTies *t = s->ties;
    for (int i = 0; i < QBLOCK; i++) {
        if (!tie[i]) continue;
        int neg = tie[i] == 2;
        int c = quant_code_index(s, fabsf(y[i]));
        CHECK(c < t->npairs, "tie above the largest pair (code %d)", c);
        if (t->hi_wins[(size_t)neg * (size_t)t->npairs + (size_t)c]) {
            float g = quant_code_value(s, c + 1);
            y[i] = neg ? -g : g;
        }
    }
}

static void int_block(const float *restrict x, float *restrict y)
{
    for (int i = 0; i < QBLOCK; i++) y[i] = rintf(x[i]);  /* = nearbyintf: default mode */
}

/* Rounds one block in place (buf[QBLOCK]) according to s and tie. */
static void nearest_inplace(const QuantSpec *s, GridK k, float *buf, TiePolicy tie)
{
    float out[QBLOCK];
    uint32_t flags[QBLOCK];
    if (s->type == QUANT_INT) int_block(buf, out);
    else if (tie == QUANT_TIE_TOWARD_ZERO) nearest_block_tz(k, buf, out);
    else if (nearest_block(k, buf, out, flags)) fix_ties(s, out, flags);
    memcpy(buf, out, sizeof out);
}

static void check_tie(const QuantSpec *s, TiePolicy tie)
{
    CHECK(tie == QUANT_TIE_TOWARD_ZERO || tie == QUANT_TIE_REFERENCE, "unknown tie policy %d",
          (int)tie);
    if (s->type != QUANT_INT && tie == QUANT_TIE_REFERENCE)
        CHECK(s->ties && s->ties->npairs == quant_grid_size(s) / 2,
              "QUANT_TIE_REFERENCE needs a tie table built for this spec (quant_ties_init)");
}

/* Copies x[i..i+m) into buf[QBLOCK], zero padded; m = min(QBLOCK, n-i). */
static size_t load_block(float *buf, const float *x, size_t i, size_t n)
{
    size_t m = n - i < QBLOCK ? n - i : QBLOCK;
    memcpy(buf, x + i, m * sizeof *buf);
    memset(buf + m, 0, (QBLOCK - m) * sizeof *buf);
    return m;
}

void quant_nearest(const QuantSpec *s, const float *x, float *y, size_t n, TiePolicy tie)
{
    check_tie(s, tie);
    GridK k = grid_k(s);
    float buf[QBLOCK];
    for (size_t i = 0; i < n; i += QBLOCK) {
        size_t m = load_block(buf, x, i, n);
        nearest_inplace(s, k, buf, tie);
        memcpy(y + i, buf, m * sizeof *buf);
    }
}

/* ---- observer and quantization ---- */

void qparam_init(QParam *p)
{
    p->min = p->max = p->scale = p->zero = 0.0f;
    p->has_range = 0;
    p->asym = 0;
}

void qparam_rescale(QParam *p, const QuantSpec *s)
{
    p->zero = 0.0f;
    if (!p->asym) {
        float amax = fabsf(p->min) > fabsf(p->max) ? fabsf(p->min) : fabsf(p->max);
        p->scale = amax / s->qmax;
        return;
    }
    /* affine: [min, max] onto [-qmax, qmax]; the zero point is a grid value, so real 0
     * (ReLU outputs, zero padding) stays exact */
    p->scale = (p->max - p->min) / (2.0f * s->qmax);
    if (p->scale == 0.0f) return;
    float z = -(p->max + p->min) / (2.0f * p->scale);
    z = z < -s->qmax ? -s->qmax : (z > s->qmax ? s->qmax : z);
    QuantSpec plain = *s;
    plain.ties = NULL;
    quant_nearest(&plain, &z, &z, 1, QUANT_TIE_TOWARD_ZERO);
    p->zero = z + 0.0f;
}

void qparam_update(QParam *p, const QuantSpec *s, const float *x, size_t n)
{
    float lo = INFINITY, hi = -INFINITY;
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != x[i]) continue;
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
        any = 1;
    }
    if (!any) return;
    if (!p->has_range || p->max < hi) p->max = hi;
    p->max = p->max > 0.0f ? p->max : 0.0f;
    if (!p->has_range || p->min > lo) p->min = lo;
    p->min = p->min < 0.0f ? p->min : 0.0f;
    p->has_range = 1;
    qparam_rescale(p, s);
}

/* buf[i] = clamp(zp + buf[i]/scale, -qmax, qmax) with NaN kept (selects, not fminf). */
static void scale_clamp_block(float *restrict buf, float scale, float qm, float zp)
{
    for (int i = 0; i < QBLOCK; i++) {
        float v = zp + buf[i] / scale;
        buf[i] = v < -qm ? -qm : (v > qm ? qm : v);
    }
}

/* Scale-0 guard (Q21): every code +0, NaN kept. */
static void zero_block(float *restrict buf)
{
    for (int i = 0; i < QBLOCK; i++) buf[i] = buf[i] != buf[i] ? buf[i] : 0.0f;
}

void quant_quantize(const QuantSpec *s, const QParam *p, const float *x, float *q, size_t n,
                    TiePolicy tie)
{
    CHECK(p->has_range, "quantize before the observer saw any value");
    check_tie(s, tie);
    GridK k = grid_k(s);
    const float scale = p->scale;
    float buf[QBLOCK];
    for (size_t i = 0; i < n; i += QBLOCK) {
        size_t m = load_block(buf, x, i, n);
        if (scale == 0.0f) zero_block(buf);
        else scale_clamp_block(buf, scale, s->qmax, p->zero);
        nearest_inplace(s, k, buf, tie);
        if (p->zero != 0.0f)
            for (int j = 0; j < QBLOCK; j++) buf[j] -= p->zero;
        memcpy(q + i, buf, m * sizeof *buf);
    }
}

void quant_quantize_ref(const QuantSpec *s, const QParam *p, const float *x, float *q,
                        size_t n, TiePolicy tie)
{
    CHECK(p->has_range, "quantize before the observer saw any value");
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) q[i] = x[i];
        else if (p->scale == 0.0f) q[i] = 0.0f;
        else q[i] = fmaxf(-s->qmax, fminf(s->qmax, p->zero + x[i] / p->scale));
    }
    quant_nearest_ref(s, q, q, n, tie);
    if (p->zero != 0.0f)
        for (size_t i = 0; i < n; i++) q[i] -= p->zero;
}

void quant_dequantize(const QParam *p, const float *q, float *y, size_t n)
{
    const float scale = p->scale;
    for (size_t i = 0; i < n; i++) y[i] = scale * q[i];
}

void quant_fake(const QuantSpec *s, const QParam *p, const float *x, float *y, size_t n,
                TiePolicy tie)
{
    quant_quantize(s, p, x, y, n, tie);
    quant_dequantize(p, y, y, n);
}

QParam quant_bias_qparam(float s_in, float s_w)
{
    QParam p = {.scale = s_in * s_w, .has_range = 1};
    return p;
}

void quant_bias_quantize(const QuantSpec *bs, float s_in, float s_w, const float *b, float *q,
                         size_t n, TiePolicy tie)
{
    QParam p = quant_bias_qparam(s_in, s_w);
    quant_quantize(bs, &p, b, q, n, tie);
}
