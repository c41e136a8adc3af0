/* quant.c — configuration table, format specs, the analytic nearest-value rounding, the
 * range observer and (fake) quantization.  See quant.h for the numeric contract; grids live
 * in quant_grid.c, the CPython set-order emulation for compat ties in quant_tie.c. */
#include "quant.h"

#include "check.h"

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

static inline uint32_t f2u(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static inline float u2f(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

#define SIGN_BIT 0x80000000u

/* Nearest grid value of |v| with ties toward zero, sign restored (zero -> +0); NaN -> v.
 * *tie is set to 1 (positive side) or 2 (negative side) when |v| is exactly a midpoint.
 * Regions of a = |v|:
 *   a >= pmin  normal binade: round the f32 mantissa to m bits, ties down, by adding
 *              half-1 and truncating (a carry moves into the next binade exactly);
 *   a <= tsub  subnormal run: multiples of step, via floor of the exact a/step;
 *   otherwise  the gap (tsub, pmin) of quirk Q4 (POT: (0, pmin)), split at gap_mid;
 *   a >= qmax  saturate. */
static inline float nearest_one(const QuantSpec *s, uint32_t half, uint32_t low, float v,
                                unsigned char *tie)
{
    uint32_t u = f2u(v), ua = u & ~SIGN_BIT;
    float a = u2f(ua);
    float rn = u2f((ua + half - 1u) & ~low);
    float xs = a * s->inv_step, fl = floorf(xs), fr = xs - fl;
    float rs = (fr > 0.5f ? fl + 1.0f : fl) * s->step;
    float rg = a > s->gap_mid ? s->pmin : s->tsub;
    int normal = a >= s->pmin, sub = a <= s->tsub;
    float r = normal ? rn : (sub ? rs : rg);
    r = a >= s->qmax ? s->qmax : r;
    int t = normal ? (ua & low) == half : (sub ? fr == 0.5f : a == s->gap_mid);
    t = t && a < s->qmax;
    *tie = (unsigned char)(t ? 1 + (u >> 31) : 0);
    uint32_t ur = f2u(r) | (r > 0.0f ? (u & SIGN_BIT) : 0u);
    return v != v ? v : u2f(ur);
}

/* Block kernel: y[0..n) from x[0..n) (may alias); tie flags into tie[0..n); returns the
 * number of ties. */
static size_t nearest_block(const QuantSpec *s, const float *x, float *y, size_t n,
                            unsigned char *tie)
{
    uint32_t half = (1u << 22) >> s->mbits, low = ((1u << 23) >> s->mbits) - 1u;
    size_t nt = 0;
    for (size_t i = 0; i < n; i++) {
        y[i] = nearest_one(s, half, low, x[i], &tie[i]);
        nt += tie[i] != 0;
    }
    return nt;
}

/* Same without tie bookkeeping (the default policy). */
static void nearest_block_tz(const QuantSpec *s, const float *x, float *y, size_t n)
{
    uint32_t half = (1u << 22) >> s->mbits, low = ((1u << 23) >> s->mbits) - 1u;
    for (size_t i = 0; i < n; i++) {
        unsigned char t;
        y[i] = nearest_one(s, half, low, x[i], &t);
    }
}

/* Moves the toward-zero results of flagged ties to the reference winner: y holds the lower
 * magnitude neighbour (code c, signed); the table says whether code c+1 wins instead. */
static void fix_ties(const QuantSpec *s, float *y, size_t n, const unsigned char *tie)
{
    const QuantTies *t = s->ties;
    for (size_t i = 0; i < n; i++) {
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

enum { NEAREST_BLOCK = 256 };

static void nearest_grid(const QuantSpec *s, const float *x, float *y, size_t n, TiePolicy tie)
{
    if (tie == QUANT_TIE_TOWARD_ZERO) {
        nearest_block_tz(s, x, y, n);
        return;
    }
    CHECK(tie == QUANT_TIE_REFERENCE, "unknown tie policy %d", (int)tie);
    CHECK(s->ties && s->ties->npairs == quant_grid_size(s) / 2,
          "QUANT_TIE_REFERENCE needs a tie table built for this spec (quant_ties_init)");
    unsigned char flags[NEAREST_BLOCK];
    for (size_t i = 0; i < n; i += NEAREST_BLOCK) {
        size_t m = n - i < NEAREST_BLOCK ? n - i : NEAREST_BLOCK;
        if (nearest_block(s, x + i, y + i, m, flags)) fix_ties(s, y + i, m, flags);
    }
}

static void nearest_int(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) y[i] = nearbyintf(x[i]);
}

void quant_nearest(const QuantSpec *s, const float *x, float *y, size_t n, TiePolicy tie)
{
    if (s->type == QUANT_INT) nearest_int(x, y, n);
    else nearest_grid(s, x, y, n, tie);
}

/* ---- observer and quantization ---- */

void qparam_init(QParam *p)
{
    p->min = p->max = p->scale = 0.0f;
    p->has_range = 0;
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
    float amax = fabsf(p->min) > fabsf(p->max) ? fabsf(p->min) : fabsf(p->max);
    p->scale = amax / s->qmax;
}

/* q[i] = clamp(0 + x[i]/scale, -qmax, qmax), NaN kept; scale 0 -> +0. */
static void scale_clamp(const QuantSpec *s, float scale, const float *x, float *q, size_t n)
{
    const float zp = 0.0f, qm = s->qmax;
    if (scale == 0.0f) {
        for (size_t i = 0; i < n; i++) q[i] = x[i] != x[i] ? x[i] : 0.0f;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float v = zp + x[i] / scale;
        q[i] = v < -qm ? -qm : (v > qm ? qm : v);
    }
}

void quant_quantize(const QuantSpec *s, const QParam *p, const float *x, float *q, size_t n,
                    TiePolicy tie)
{
    CHECK(p->has_range, "quantize before the observer saw any value");
    scale_clamp(s, p->scale, x, q, n);
    quant_nearest(s, q, q, n, tie);
}

void quant_quantize_ref(const QuantSpec *s, const QParam *p, const float *x, float *q,
                        size_t n, TiePolicy tie)
{
    CHECK(p->has_range, "quantize before the observer saw any value");
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i])) q[i] = x[i];
        else if (p->scale == 0.0f) q[i] = 0.0f;
        else q[i] = fmaxf(-s->qmax, fminf(s->qmax, 0.0f + x[i] / p->scale));
    }
    quant_nearest_ref(s, q, q, n, tie);
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
    QParam p = {0.0f, 0.0f, s_in * s_w, 1};
    return p;
}

void quant_bias_quantize(const QuantSpec *bs, float s_in, float s_w, const float *b, float *q,
                         size_t n, TiePolicy tie)
{
    QParam p = quant_bias_qparam(s_in, s_w);
    quant_quantize(bs, &p, b, q, n, tie);
}
