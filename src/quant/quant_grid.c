/* quant_grid.c — grid enumeration (§2.5), code index <-> value, and the brute-force scalar
 * nearest-value reference used by the tests. */
#include "quant/quant.h"

#include "base/check.h"

#include <math.h>
#include <stdlib.h>

int quant_grid_size(const QuantSpec *s)
{
    CHECK(s->bits >= 2 && s->bits <= 24, "no enumerable grid for b = %d", s->bits);
    return (1 << s->bits) - 1;
}

/* Number of non-negative codes, 2^(b-1). */
static int ncodes(const QuantSpec *s) { return (quant_grid_size(s) + 1) / 2; }

float quant_code_value(const QuantSpec *s, int c)
{
    CHECK(c >= 0 && c < ncodes(s), "code index %d outside 0..%d", c, ncodes(s) - 1);
    if (s->type == QUANT_INT) return (float)c;
    int m = s->mbits;
    if (c < (1 << m)) return (float)c * s->step;         /* zero and the subnormal run */
    int E = s->emin + (c >> m) - 1, k = c & ((1 << m) - 1);
    return ldexpf((float)((1 << m) + k), E - m);          /* (1 + k·2^-m)·2^E */
}

int quant_code_index(const QuantSpec *s, float g)
{
    CHECK(g >= 0.0f && g <= s->qmax, "%.9g is not a non-negative grid value", (double)g);
    if (s->type == QUANT_INT) {
        CHECK(g == floorf(g), "%.9g is not an INT code", (double)g);
        return (int)g;
    }
    int m = s->mbits;
    if (g < s->pmin) {                                     /* 0 or a subnormal k·d */
        float k = g * s->inv_step;
        CHECK(k == floorf(k) && k < (float)(1 << m), "%.9g is off the grid", (double)g);
        return (int)k;
    }
    int ex;
    frexpf(g, &ex);                                        /* g = f·2^ex, f in [0.5, 1) */
    int E = ex - 1;
    float mant = ldexpf(g, m - E);                         /* in [2^m, 2^(m+1)) */
    CHECK(mant == floorf(mant) && E <= s->emax, "%.9g is off the grid", (double)g);
    return ((E - s->emin + 1) << m) + ((int)mant - (1 << m));
}

int quant_grid(const QuantSpec *s, float *values)
{
    int nc = ncodes(s), n = 0;
    for (int c = nc - 1; c >= 1; c--) values[n++] = -quant_code_value(s, c);
    for (int c = 0; c < nc; c++) values[n++] = quant_code_value(s, c);
    return n;
}

/* ---- scalar references ---- */

/* rne written out with floor, independent of the rounding mode: NaN/inf kept, zero keeps
 * the sign of v (as nearbyint does). */
static float rne_ref(float v)
{
    if (!isfinite(v)) return v;
    double x = v, fl = floor(x), d = x - fl, r;
    if (d > 0.5) r = fl + 1.0;
    else if (d < 0.5) r = fl;
    else r = fmod(fl, 2.0) == 0.0 ? fl : fl + 1.0;
    return r == 0.0 ? copysignf(0.0f, v) : (float)r;
}

/* The grid in order of increasing magnitude: 0, +g1, -g1, +g2, -g2, ... */
static void magnitude_order(const QuantSpec *s, float *list)
{
    int n = 0;
    list[n++] = 0.0f;
    for (int c = 1; c < ncodes(s); c++) {
        float g = quant_code_value(s, c);
        list[n++] = g;
        list[n++] = -g;
    }
}

/* First entry of list[ng] with the smallest |v - g| after clamping v to ±qmax. */
static float scan_nearest(const float *list, int ng, float qmax, float x)
{
    if (isnan(x)) return x;
    double v = x > qmax ? qmax : (x < -qmax ? -qmax : x);
    int best = 0;
    double bd = fabs(v - (double)list[0]);
    for (int j = 1; j < ng; j++) {
        double d = fabs(v - (double)list[j]);
        if (d < bd) { bd = d; best = j; }
    }
    return list[best];
}

void quant_nearest_ref(const QuantSpec *s, const float *x, float *y, size_t n, TiePolicy tie)
{
    if (s->type == QUANT_INT) {
        for (size_t i = 0; i < n; i++) y[i] = rne_ref(x[i]);
        return;
    }
    int ng = quant_grid_size(s);
    float *list = xmalloc((size_t)ng * sizeof *list);
    if (tie == QUANT_TIE_REFERENCE) quant_set_order(s, list);
    else magnitude_order(s, list);
    for (size_t i = 0; i < n; i++) y[i] = scan_nearest(list, ng, s->qmax, x[i]);
    free(list);
}
