/* quant.h — the simulated quantizers of the PTQ engine (spec ptq-engine.md §2).
 *
 * Three symmetric, signed formats with zero point 0; a (type, b, e) triple fixes the grid:
 *
 *   QUANT_INT   b bits   codes -qmax..qmax, qmax = 2^(b-1) - 1 (bias: b = 64, qmax = 2^63)
 *   QUANT_POT   b bits   {0} u {±2^i : i = 2-2^(b-1) .. 0}, qmax = 1
 *   QUANT_FLOAT b bits, e exponent bits, m = b-1-e mantissa bits, e_min = 2-2^(e-1),
 *               e_max = 2^(e-1):  "subnormals" k·2^(e_min-1-m), k = 1..2^m-1 (quirk Q4: one
 *               binade below IEEE's, leaving a gap below 2^e_min), normals (1+k·2^-m)·2^E,
 *               E = e_min..e_max; qmax = (2-2^-m)·2^e_max.
 *
 * Every grid has 2^b - 1 values; each positive value has a "code index" c in 1..2^(b-1)-1
 * (c = 0 is zero) in increasing order, see quant_code_value().  POT is handled as the
 * FLOAT geometry with m = 0, e_min = 2-2^(b-1), e_max = 0 and no subnormals.
 *
 * Rounding (quant_nearest; all arithmetic exact in f32, O(1) per element):
 *   INT        rne: nearbyintf under the default rounding mode (ties to even: 0.5 -> 0,
 *              2.5 -> 2, -0.5 -> -0).  No saturation here: quant_quantize clamps before
 *              rounding; integer-domain callers decide (quirk Q6).
 *   POT/FLOAT  nearest grid value.  Saturation: |x| >= qmax (including ±inf) -> ±qmax
 *              (beyond ~2^(23-m)·qmax the reference's f32 distance search may return a
 *              smaller value; saturating is the accepted difference of §2.6).
 *              Ties (x exactly at the midpoint of two neighbours) follow a TiePolicy:
 *              QUANT_TIE_TOWARD_ZERO (default) -> the neighbour of smaller magnitude;
 *              QUANT_TIE_REFERENCE (quirk Q5 compat) -> the winner in the CPython set
 *              iteration order of the reference, taken from a QuantTies table that the
 *              caller builds with quant_ties_init and attaches as spec->ties.
 *   Zero       POT/FLOAT results that round to zero are +0.0 (the grid value, as the
 *              reference's (g-v)+v gives), also for -0.0 and tiny negative inputs.  INT keeps
 *              the sign of rne (-0.3 -> -0.0).  The two zeros compare equal.
 *   Subnormal  f32 subnormal inputs are ordinary small numbers (no flush to zero); every grid
 *              value, midpoint and constant used is a normal f32 except POT_8's lower
 *              midpoint 2^-127 (exact as an f32 subnormal).
 *   NaN        NaN in -> the same NaN out, for every type and through quantize/dequantize.
 *
 * Observer (QParam, §2.3): range always contains 0; NaN observations are ignored;
 * scale = max(|min|, |max|) / qmax as an f32 division.  quant_quantize computes
 * nearest(clamp(0 + x/scale, -qmax, qmax)) with a true f32 division (§2.4).  Scale 0 (an
 * all-zero observation, quirk Q21) is guarded: every code is +0 (NaN stays NaN), so
 * fake-quantized outputs are 0.
 *
 * No function keeps state between calls; tables are built into caller-owned structs.
 * In-place use (x == y, x == q) is allowed everywhere.
 */
#ifndef MTA_QUANT_H
#define MTA_QUANT_H

#include <stddef.h>

typedef enum { QUANT_INT, QUANT_POT, QUANT_FLOAT, QUANT_NTYPES } QuantType;
/* "INT", "POT", "FLOAT": the quant column of every table. */
const char *quant_type_name(QuantType t);

typedef enum {
    QUANT_TIE_TOWARD_ZERO = 0,  /* default: a tie goes to the smaller-magnitude neighbour */
    QUANT_TIE_REFERENCE         /* compat (Q5): winner table from the CPython set order */
} TiePolicy;

/* The 43 swept configurations in result-file order (§2.1): X(name, type, bits, ebits). */
#define QUANT_CONFIG_LIST(X) \
    X(INT_2, QUANT_INT, 2, 0) X(INT_3, QUANT_INT, 3, 0) X(INT_4, QUANT_INT, 4, 0) \
    X(INT_5, QUANT_INT, 5, 0) X(INT_6, QUANT_INT, 6, 0) X(INT_7, QUANT_INT, 7, 0) \
    X(INT_8, QUANT_INT, 8, 0) X(INT_9, QUANT_INT, 9, 0) X(INT_10, QUANT_INT, 10, 0) \
    X(INT_11, QUANT_INT, 11, 0) X(INT_12, QUANT_INT, 12, 0) X(INT_13, QUANT_INT, 13, 0) \
    X(INT_14, QUANT_INT, 14, 0) X(INT_15, QUANT_INT, 15, 0) X(INT_16, QUANT_INT, 16, 0) \
    X(POT_2, QUANT_POT, 2, 0) X(POT_3, QUANT_POT, 3, 0) X(POT_4, QUANT_POT, 4, 0) \
    X(POT_5, QUANT_POT, 5, 0) X(POT_6, QUANT_POT, 6, 0) X(POT_7, QUANT_POT, 7, 0) \
    X(POT_8, QUANT_POT, 8, 0) \
    X(FLOAT_3_E1, QUANT_FLOAT, 3, 1) \
    X(FLOAT_4_E1, QUANT_FLOAT, 4, 1) X(FLOAT_4_E2, QUANT_FLOAT, 4, 2) \
    X(FLOAT_5_E1, QUANT_FLOAT, 5, 1) X(FLOAT_5_E2, QUANT_FLOAT, 5, 2) \
    X(FLOAT_5_E3, QUANT_FLOAT, 5, 3) \
    X(FLOAT_6_E1, QUANT_FLOAT, 6, 1) X(FLOAT_6_E2, QUANT_FLOAT, 6, 2) \
    X(FLOAT_6_E3, QUANT_FLOAT, 6, 3) X(FLOAT_6_E4, QUANT_FLOAT, 6, 4) \
    X(FLOAT_7_E1, QUANT_FLOAT, 7, 1) X(FLOAT_7_E2, QUANT_FLOAT, 7, 2) \
    X(FLOAT_7_E3, QUANT_FLOAT, 7, 3) X(FLOAT_7_E4, QUANT_FLOAT, 7, 4) \
    X(FLOAT_7_E5, QUANT_FLOAT, 7, 5) \
    X(FLOAT_8_E1, QUANT_FLOAT, 8, 1) X(FLOAT_8_E2, QUANT_FLOAT, 8, 2) \
    X(FLOAT_8_E3, QUANT_FLOAT, 8, 3) X(FLOAT_8_E4, QUANT_FLOAT, 8, 4) \
    X(FLOAT_8_E5, QUANT_FLOAT, 8, 5) X(FLOAT_8_E6, QUANT_FLOAT, 8, 6)

#define QUANT_CFG_ENUM_(name, type, bits, ebits) QUANT_CFG_##name,
typedef enum { QUANT_CONFIG_LIST(QUANT_CFG_ENUM_) QUANT_NCONFIGS } QuantConfigId;
#undef QUANT_CFG_ENUM_

typedef struct {
    const char *title;  /* "INT_8", "POT_4", "FLOAT_8_E4" */
    QuantType type;
    int bits, ebits;    /* ebits 0 unless FLOAT */
} QuantConfig;

/* Indexed by QuantConfigId, in §2.1 order. */
extern const QuantConfig quant_configs[QUANT_NCONFIGS];

/* Index of the configuration titled `title`, or -1 when there is none. */
int quant_config_find(const char *title);

typedef struct QuantTies QuantTies;

/* A quantization format plus the constants of its analytic rounding.  A small value type:
 * copy freely.  `ties` is borrowed (NULL unless the caller attached a table built for this
 * very spec); it is needed only for QUANT_TIE_REFERENCE. */
typedef struct {
    QuantType type;
    int bits;          /* b, including the sign (INT bias: 64) */
    int ebits;         /* e for FLOAT, 0 otherwise */
    int mbits;         /* m = b-1-e for FLOAT, 0 for POT and INT */
    int emin, emax;    /* exponent range of the normal values (POT: 2-2^(b-1) .. 0) */
    float qmax;        /* largest code magnitude, exact (§2.2) */
    /* POT/FLOAT rounding constants, all powers of two or exact small multiples: */
    float pmin;        /* 2^emin, smallest normal value */
    float step;        /* d = 2^(emin-1-m), subnormal step */
    float inv_step;    /* 1/d */
    float tsub;        /* (2^m-1)·d, largest subnormal (POT: 0) */
    float gap_mid;     /* (tsub + pmin)/2, the tie point between tsub and pmin */
    const QuantTies *ties;
} QuantSpec;

/* Spec for (type, b, e); aborts (CHECK) on a format outside the supported domain:
 * INT 2<=b<=64; POT 2<=b<=8; FLOAT 1<=e<=b-2, e<=7, all values normal f32. */
QuantSpec quant_spec(QuantType type, int bits, int ebits);
QuantSpec quant_spec_config(int id);          /* id in 0..QUANT_NCONFIGS-1 */
/* Bias format of §2.7 for weights/activations of `type`: INT b=64 (qmax 2^63, rne);
 * POT = POT_8 (qmax 1); FLOAT b=16, e=7 (qmax (2-2^-8)·2^64). */
QuantSpec quant_bias_spec(QuantType type);

/* ---- grids (quant_grid.c) ---- */

/* Number of grid values, 2^b - 1; CHECKs b <= 24 (INT bias has no enumerable grid). */
int quant_grid_size(const QuantSpec *s);
/* Value of positive code index c in 0..2^(b-1)-1 (0 -> 0, increasing in c). */
float quant_code_value(const QuantSpec *s, int c);
/* Inverse of quant_code_value for a non-negative grid value g (CHECKs g is on the grid). */
int quant_code_index(const QuantSpec *s, float g);
/* Writes the grid, ascending, into values[quant_grid_size(s)]; returns the count. */
int quant_grid(const QuantSpec *s, float *values);

/* ---- compat tie order (quant_tie.c) ---- */

/* Writes the POT/FLOAT grid in the iteration order of the CPython set the reference builds
 * (§2.6 steps 1-4) into values[quant_grid_size(s)]; returns the count. */
int quant_set_order(const QuantSpec *s, float *values);

/* Tie winners of a POT/FLOAT grid: one flag per adjacent pair and sign. */
struct QuantTies {
    int npairs;              /* 2^(b-1) - 1: pairs (code c, code c+1), c = 0..npairs-1 */
    unsigned char *hi_wins;  /* [2][npairs]: [0] positive side, [1] negative side; 1 when
                              * the larger-magnitude value (code c+1) wins; owned */
};
/* Builds t for spec s from quant_set_order; free with quant_ties_free. */
void quant_ties_init(QuantTies *t, const QuantSpec *s);
void quant_ties_free(QuantTies *t);   /* NULL or zeroed t: no-op */

/* ---- nearest-value rounding (quant.c) ---- */

/* y[i] = nearest code of x[i] (x, y: n floats; may alias).  INT: rne without clamping.
 * POT/FLOAT: saturating nearest grid value with the given tie policy; QUANT_TIE_REFERENCE
 * needs s->ties. */
void quant_nearest(const QuantSpec *s, const float *x, float *y, size_t n, TiePolicy tie);
/* Scalar reference twin (tests only): materialises the grid (the set order for
 * QUANT_TIE_REFERENCE, magnitude order otherwise) and scans it for the first smallest
 * |x - g| (binary64 distances, after clamping x to ±qmax).  Does not use s->ties. */
void quant_nearest_ref(const QuantSpec *s, const float *x, float *y, size_t n, TiePolicy tie);

/* ---- observer and (fake) quantization (quant.c) ---- */

typedef struct {
    float min, max;   /* observed range, always min <= 0 <= max once has_range */
    float scale;      /* max(|min|, |max|) / qmax; 0 for an all-zero observation */
    float zero;       /* zero point z (a grid value); 0 unless asym */
    int has_range;    /* 0 until the first update with a non-NaN value */
    int asym;         /* affine (asymmetric) observer, not in the reference: set after
                       * qparam_init.  scale = (max - min) / (2 qmax), z = the grid value
                       * nearest to -(max + min) / (2 scale), so [min, max] maps onto
                       * [-qmax, qmax] and real 0 onto z exactly. */
} QParam;

void qparam_init(QParam *p);                 /* empty range, scale 0, zero 0, symmetric */
/* Widen p's range by the non-NaN values of x[n] and recompute scale for s->qmax. */
void qparam_update(QParam *p, const QuantSpec *s, const float *x, size_t n);
/* Recompute scale and zero point from p's min/max. */
void qparam_rescale(QParam *p, const QuantSpec *s);

/* q[i] = nearest(clamp(z + x[i]/scale, -qmax, qmax)) - z (true f32 division): codes
 * centred on the zero point, so that x ~ scale * q for every observer, symmetric or not,
 * and the integer-domain arithmetic (convolutions, ReLU, pooling, adds) is the same for
 * both; only the grid the codes round onto is shifted by -z (g - z is exact for INT; for
 * POT/FLOAT grids spanning more than 24 binades it is rounded to f32, a relative error of at
 * most 2^-24 in that code).  CHECKs p->has_range.
 * Scale 0 -> q = +0 (NaN stays NaN). */
void quant_quantize(const QuantSpec *s, const QParam *p, const float *x, float *q, size_t n,
                    TiePolicy tie);
/* y[i] = scale * q[i] (f32). */
void quant_dequantize(const QParam *p, const float *q, float *y, size_t n);
/* y = dequantize(quantize(x)): simulated quantization. */
void quant_fake(const QuantSpec *s, const QParam *p, const float *x, float *y, size_t n,
                TiePolicy tie);
/* Scalar twin of quant_quantize built on quant_nearest_ref (tests only). */
void quant_quantize_ref(const QuantSpec *s, const QParam *p, const float *x, float *q,
                        size_t n, TiePolicy tie);

/* Bias (§2.7): scale s_b = s_in · s_w (f32 product), zero point 0, format bs (from
 * quant_bias_spec).  Returns a QParam with that scale, min = max = 0, has_range 1. */
QParam quant_bias_qparam(float s_in, float s_w);
/* q[i] = bias code of b[i]: quant_quantize with quant_bias_qparam(s_in, s_w). */
void quant_bias_quantize(const QuantSpec *bs, float s_in, float s_w, const float *b, float *q,
                         size_t n, TiePolicy tie);

#endif
