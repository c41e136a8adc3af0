/* t_quant.c — the quantizers of spec ptq-engine.md §2: config table, qmax, grids, the
 * analytic nearest-value rounding against brute force (both tie policies), the CPython
 * set-order tie winners, INT ties-to-even, the observer and the §2.4 quantize vectors, NaN,
 * the scale-0 guard and bias quantization. */
#include "quant/quant.h"
#include "base/check.h"
#include "tap.h"

#include <float.h>
#include <stdint.h>

/* ---- helpers ---- */

typedef struct { uint64_t s; } TRng;   /* splitmix64, test-local so the test links alone */

static uint64_t trng_u64(TRng *r)
{
    uint64_t z = (r->s += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static float trng_unit(TRng *r) { return (float)(trng_u64(r) >> 40) * 0x1p-24f; } /* [0,1) */

typedef struct { float *v; size_t n, cap; } FBuf;   /* growable float list; free v */

static void fpush(FBuf *b, float x)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1024;
        b->v = realloc(b->v, b->cap * sizeof *b->v);
        if (!b->v) { perror("realloc"); exit(2); }
    }
    b->v[b->n++] = x;
}

static uint32_t bits_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/* Bitwise equality, all NaNs equal. */
static int same(float a, float b) { return (isnan(a) && isnan(b)) || bits_of(a) == bits_of(b); }

/* Index of the first i with !same(a[i], b[i]), or -1. */
static long first_diff(const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!same(a[i], b[i])) return (long)i;
    return -1;
}

static float *fgrid(const QuantSpec *s, int *n)   /* caller frees */
{
    *n = quant_grid_size(s);
    float *g = malloc((size_t)*n * sizeof *g);
    if (!g) exit(2);
    CHECK(quant_grid(s, g) == *n, "grid count");
    return g;
}

typedef struct { const char *name; QuantSpec s; } NamedSpec;

/* The 28 POT/FLOAT configs followed by the POT and FLOAT bias grids; returns the count. */
static int grid_specs(NamedSpec *out)
{
    int n = 0;
    for (int id = 0; id < QUANT_NCONFIGS; id++)
        if (quant_configs[id].type != QUANT_INT)
            out[n++] = (NamedSpec){quant_configs[id].title, quant_spec_config(id)};
    out[n++] = (NamedSpec){"bias POT (POT_8)", quant_bias_spec(QUANT_POT)};
    out[n++] = (NamedSpec){"bias FLOAT (16, e7)", quant_bias_spec(QUANT_FLOAT)};
    return n;
}

/* ---- config table and qmax ---- */

static void test_configs(void)
{
    char want[QUANT_NCONFIGS][16];
    int n = 0;
    for (int b = 2; b <= 16; b++) snprintf(want[n++], 16, "INT_%d", b);
    for (int b = 2; b <= 8; b++) snprintf(want[n++], 16, "POT_%d", b);
    for (int b = 3; b <= 8; b++)
        for (int e = 1; e <= b - 2; e++) snprintf(want[n++], 16, "FLOAT_%d_E%d", b, e);
    ok(n == QUANT_NCONFIGS && n == 43, "sweep has 43 configurations (generated %d)", n);
    int titles = 1, fields = 1, found = 1;
    for (int i = 0; i < QUANT_NCONFIGS; i++) {
        const QuantConfig *c = &quant_configs[i];
        char t[32];
        if (c->type == QUANT_FLOAT) snprintf(t, sizeof t, "FLOAT_%d_E%d", c->bits, c->ebits);
        else snprintf(t, sizeof t, "%s_%d", c->type == QUANT_INT ? "INT" : "POT", c->bits);
        if (strcmp(c->title, want[i]) != 0) titles = 0;
        if (strcmp(c->title, t) != 0) fields = 0;
        if (quant_config_find(want[i]) != i) found = 0;
    }
    ok(titles, "config titles in §2.1 order INT_2..INT_16, POT_2..POT_8, FLOAT_3_E1..FLOAT_8_E6");
    ok(fields, "config (type, bits, ebits) matches each title");
    ok(found, "quant_config_find returns each config's index");
    const char *bad[] = {"INT_1", "INT_17", "POT_9", "FLOAT_8_E7", "FLOAT_2_E1", "int_8", "", "INT_8 "};
    int nbad = 0;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) nbad += quant_config_find(bad[i]) == -1;
    ok(nbad == (int)(sizeof bad / sizeof *bad), "unknown titles give -1 (%d of %zu)", nbad,
       sizeof bad / sizeof *bad);
}

static void test_qmax(void)
{
    static const struct { const char *t; double q; } fl[] = {
        {"FLOAT_3_E1", 3}, {"FLOAT_4_E1", 3.5}, {"FLOAT_4_E2", 6}, {"FLOAT_5_E1", 3.75},
        {"FLOAT_5_E2", 7}, {"FLOAT_5_E3", 24}, {"FLOAT_6_E1", 3.875}, {"FLOAT_6_E2", 7.5},
        {"FLOAT_6_E3", 28}, {"FLOAT_6_E4", 384}, {"FLOAT_7_E1", 3.9375}, {"FLOAT_7_E2", 7.75},
        {"FLOAT_7_E3", 30}, {"FLOAT_7_E4", 448}, {"FLOAT_7_E5", 98304},
        {"FLOAT_8_E1", 3.96875}, {"FLOAT_8_E2", 7.875}, {"FLOAT_8_E3", 31},
        {"FLOAT_8_E4", 480}, {"FLOAT_8_E5", 114688}, {"FLOAT_8_E6", 6442450944.0}};
    int good = 0;
    for (size_t i = 0; i < sizeof fl / sizeof *fl; i++) {
        int id = quant_config_find(fl[i].t);
        good += id >= 0 && (double)quant_spec_config(id).qmax == fl[i].q;
    }
    ok(good == 21, "FLOAT qmax equal the §2.2 table exactly (%d of 21)", good);
    int gi = 0, gp = 0;
    for (int b = 2; b <= 16; b++) gi += quant_spec(QUANT_INT, b, 0).qmax == (float)((1 << (b - 1)) - 1);
    for (int b = 2; b <= 8; b++) gp += quant_spec(QUANT_POT, b, 0).qmax == 1.0f;
    ok(gi == 15, "INT_b qmax = 2^(b-1)-1 (%d of 15)", gi);
    ok(gp == 7, "POT_b qmax = 1 (%d of 7)", gp);
    QuantSpec bi = quant_bias_spec(QUANT_INT), bp = quant_bias_spec(QUANT_POT),
              bf = quant_bias_spec(QUANT_FLOAT);
    ok(bi.type == QUANT_INT && (double)bi.qmax == 9.223372036854775808e18,
       "INT bias qmax = 2^63 (%.17g)", (double)bi.qmax);
    ok(bp.type == QUANT_POT && bp.bits == 8 && bp.qmax == 1.0f, "POT bias is POT_8 with qmax 1");
    ok(bf.type == QUANT_FLOAT && bf.bits == 16 && bf.ebits == 7 && bf.mbits == 8 &&
           (double)bf.qmax == 3.6821430553381175e19,
       "FLOAT bias is b16 e7 with qmax (2-2^-8)*2^64 (%.17g)", (double)bf.qmax);
}

/* ---- grids ---- */

static void test_grid_shape(const char *name, const QuantSpec *s)
{
    int n;
    float *g = fgrid(s, &n);
    ok(n == (1 << s->bits) - 1, "%s grid has 2^%d-1 = %d values", name, s->bits, n);
    int sorted = 1, sym = 1, codes = 1, mids = 1;
    for (int i = 0; i + 1 < n; i++) {
        if (!(g[i] < g[i + 1])) sorted = 0;
        float mid = (g[i] + g[i + 1]) / 2;
        if ((double)mid != ((double)g[i] + (double)g[i + 1]) / 2) mids = 0;
    }
    for (int i = 0; i < n; i++)
        if (g[i] != -g[n - 1 - i]) sym = 0;
    for (int c = 0; c <= n / 2; c++)
        if (quant_code_index(s, quant_code_value(s, c)) != c || g[n / 2 + c] != quant_code_value(s, c))
            codes = 0;
    ok(sorted && sym, "%s grid strictly ascending and symmetric", name);
    ok(bits_of(g[n / 2]) == 0, "%s grid contains +0 in the middle", name);
    ok(g[0] == -s->qmax && g[n - 1] == s->qmax, "%s grid ends at ±qmax = %.9g", name,
       (double)s->qmax);
    ok(codes, "%s code index <-> value round-trips", name);
    ok(mids, "%s midpoints exact in f32", name);
    free(g);
}

static void test_int_grid(int b)
{
    QuantSpec s = quant_spec(QUANT_INT, b, 0);
    int n;
    float *g = fgrid(&s, &n);
    int good = n == (1 << b) - 1;
    for (int i = 0; good && i < n; i++) good = g[i] == (float)(i - n / 2);
    ok(good, "INT_%d grid is -%d..%d", b, (1 << (b - 1)) - 1, (1 << (b - 1)) - 1);
    free(g);
}

/* Positive half of config `title` equals want[nwant]. */
static void check_half(const char *title, const double *want, int nwant)
{
    QuantSpec s = quant_spec_config(quant_config_find(title));
    int n;
    float *g = fgrid(&s, &n);
    int good = n / 2 == nwant;
    for (int i = 0; good && i < nwant; i++) good = (double)g[n / 2 + 1 + i] == want[i];
    ok(good, "%s positive half equals §2.5 (%d values)", title, nwant);
    free(g);
}

static void test_grid_vectors(void)
{
    static const double f31[] = {0.5, 2, 3};
    static const double f41[] = {0.25, 0.5, 0.75, 2, 2.5, 3, 3.5};
    static const double f42[] = {0.25, 1, 1.5, 2, 3, 4, 6};
    static const double f52[] = {0.125, 0.25, 0.375, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 7};
    static const double f53[] = {0.0625, 0.25, 0.375, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24};
    static const double f63[] = {0.03125, 0.0625, 0.09375, 0.25, 0.3125, 0.375, 0.4375, 0.5,
                                 0.625, 0.75, 0.875, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5,
                                 6, 7, 8, 10, 12, 14, 16, 20, 24, 28};
    double f51[15];
    for (int k = 1; k <= 7; k++) f51[k - 1] = k / 8.0;
    for (int k = 0; k < 8; k++) f51[7 + k] = 2 + k / 4.0;
    check_half("FLOAT_3_E1", f31, 3);
    check_half("FLOAT_4_E1", f41, 7);
    check_half("FLOAT_4_E2", f42, 7);
    check_half("FLOAT_5_E1", f51, 15);
    check_half("FLOAT_5_E2", f52, 15);
    check_half("FLOAT_5_E3", f53, 15);
    check_half("FLOAT_6_E3", f63, 31);

    QuantSpec s = quant_spec_config(QUANT_CFG_FLOAT_8_E4);
    int n;
    float *g = fgrid(&s, &n);
    float *p = g + n / 2;   /* p[c] = code c */
    int sub = 1;
    for (int k = 1; k <= 7; k++) sub = sub && p[k] == k * 0x1p-10f;
    ok(sub && p[8] == 0x1p-6f && p[127] == 480.0f,
       "FLOAT_8_E4: subnormals k*2^-10 (k<=7), smallest normal 2^-6, largest 480");
    free(g);

    int pot = 1;
    for (int b = 2; b <= 8; b++) {
        QuantSpec ps = quant_spec(QUANT_POT, b, 0);
        g = fgrid(&ps, &n);
        for (int c = 1; c <= n / 2; c++)
            pot = pot && g[n / 2 + c] == ldexpf(1.0f, 2 - (1 << (b - 1)) + c - 1);
        free(g);
    }
    ok(pot, "POT_b positives are 2^(2-2^(b-1)) .. 2^0 for b = 2..8");
    const int pb[] = {3, 4, 5, 8}, pe[] = {-2, -6, -14, -126};
    int ps_ok = 1;
    for (int i = 0; i < 4; i++) {
        QuantSpec ps = quant_spec(QUANT_POT, pb[i], 0);
        g = fgrid(&ps, &n);
        ps_ok = ps_ok && g[n / 2 + 1] == ldexpf(1.0f, pe[i]);
        free(g);
    }
    ok(ps_ok, "POT_3/4/5/8 smallest positives are 2^-2, 2^-6, 2^-14, 2^-126");

    QuantSpec bf = quant_bias_spec(QUANT_FLOAT);
    g = fgrid(&bf, &n);
    p = g + n / 2;
    ok(n == 65535, "bias FLOAT grid has 65535 values");
    sub = 1;
    for (int k = 1; k <= 255; k++) sub = sub && p[k] == k * 0x1p-71f;
    ok(sub && p[256] == 0x1p-62f && (double)p[n / 2] == 3.6821430553381175e19,
       "bias FLOAT: subnormal step 2^-71, smallest normal 2^-62, max 3.68e19");
    free(g);
}

/* ---- nearest: analytic vs brute force ---- */

/* The inputs of §7.4 for grid g[n]: grid values, midpoints and ±1 ulp, 20000 uniform in
 * range, 5000 log-uniform down to 2^-40 qmax, 200 out of range (1-3 qmax), huge values,
 * ±0, ±inf and NaN. */
static FBuf nearest_inputs(const float *g, int n, float qmax, TRng *r)
{
    FBuf b = {0};
    for (int i = 0; i < n; i++) fpush(&b, g[i]);
    for (int i = 0; i + 1 < n; i++) {
        float mid = (g[i] + g[i + 1]) / 2;
        fpush(&b, mid);
        fpush(&b, nextafterf(mid, INFINITY));
        fpush(&b, nextafterf(mid, -INFINITY));
    }
    for (int i = 0; i < 20000; i++) fpush(&b, (2 * trng_unit(r) - 1) * qmax);
    for (int i = 0; i < 5000; i++) {
        float v = qmax * exp2f(-40.0f * trng_unit(r));
        fpush(&b, trng_u64(r) & 1 ? -v : v);
    }
    for (int i = 0; i < 200; i++) {
        float v = qmax * (1 + 2 * trng_unit(r));
        fpush(&b, trng_u64(r) & 1 ? -v : v);
    }
    for (int k = 1; k <= 40; k++) {
        fpush(&b, ldexpf(qmax, k));
        fpush(&b, -ldexpf(qmax, k));
    }
    float sp[] = {0.0f, -0.0f, FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN, -NAN, 1e30f,
                  -1e30f, FLT_MIN, -FLT_MIN, 0x1p-149f, -0x1p-149f, 0x1p-127f, -0x1p-127f};
    for (size_t i = 0; i < sizeof sp / sizeof *sp; i++) fpush(&b, sp[i]);
    return b;
}

/* Test-local oracle for the large bias grid: binary search for the neighbours in the sorted
 * grid g[n], binary64 distances, ties to the smaller magnitude or to the smaller rank[]
 * (position in the set order). */
static float oracle(const float *g, int n, const int *rank, float x, TiePolicy tie)
{
    if (isnan(x)) return x;
    double v = x > g[n - 1] ? g[n - 1] : (x < g[0] ? g[0] : x);
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi + 1) / 2;
        if ((double)g[mid] <= v) lo = mid;
        else hi = mid - 1;
    }
    if (lo == n - 1) return g[lo];
    double dl = v - g[lo], dh = (double)g[lo + 1] - v;
    if (dl != dh) return dl < dh ? g[lo] : g[lo + 1];
    if (tie == QUANT_TIE_REFERENCE) return rank[lo] < rank[lo + 1] ? g[lo] : g[lo + 1];
    return fabsf(g[lo]) < fabsf(g[lo + 1]) ? g[lo] : g[lo + 1];
}

/* rank[i] = position of grid value g[i] in the set order. */
static int *set_ranks(const QuantSpec *s, const float *g, int n)
{
    float *order = malloc((size_t)n * sizeof *order);
    int *rank = malloc((size_t)n * sizeof *rank);
    if (!order || !rank) exit(2);
    quant_set_order(s, order);
    for (int j = 0; j < n; j++) {
        int lo = 0, hi = n - 1;
        while (lo < hi) {
            int mid = (lo + hi) / 2;
            if (g[mid] < order[j]) lo = mid + 1;
            else hi = mid;
        }
        rank[lo] = j;
    }
    free(order);
    return rank;
}

static void test_nearest_grid(const NamedSpec *ns, TRng *r)
{
    QuantSpec s = ns->s;
    QuantTies ties;
    quant_ties_init(&ties, &s);
    s.ties = &ties;
    int n;
    float *g = fgrid(&s, &n);
    FBuf in = nearest_inputs(g, n, s.qmax, r);
    float *y = malloc(in.n * sizeof *y), *w = malloc(in.n * sizeof *w);
    if (!y || !w) exit(2);
    int *rank = set_ranks(&s, g, n);
    for (int p = 0; p < 2; p++) {
        TiePolicy tie = p ? QUANT_TIE_REFERENCE : QUANT_TIE_TOWARD_ZERO;
        const char *pn = p ? "reference ties" : "ties toward zero";
        quant_nearest(&s, in.v, y, in.n, tie);
        long d;
        if (n <= 255) {
            quant_nearest_ref(&s, in.v, w, in.n, tie);
            d = first_diff(y, w, in.n);
            ok(d < 0, "%s nearest == brute-force ref on %zu inputs (%s)", ns->name, in.n, pn);
        } else {
            for (size_t i = 0; i < in.n; i++) w[i] = oracle(g, n, rank, in.v[i], tie);
            d = first_diff(y, w, in.n);
            ok(d < 0, "%s nearest == binary-search oracle on %zu inputs (%s)", ns->name, in.n, pn);
            FBuf sub = {0};   /* every 61st input against the brute-force ref */
            for (size_t i = 0; i < in.n; i += 61) fpush(&sub, in.v[i]);
            float *ys = malloc(sub.n * sizeof *ys), *ws = malloc(sub.n * sizeof *ws);
            if (!ys || !ws) exit(2);
            quant_nearest(&s, sub.v, ys, sub.n, tie);
            quant_nearest_ref(&s, sub.v, ws, sub.n, tie);
            long ds = first_diff(ys, ws, sub.n);
            ok(ds < 0, "%s nearest == brute-force ref on %zu sampled inputs (%s)", ns->name, sub.n, pn);
            if (ds >= 0) diag("x %a got %a want %a", (double)sub.v[ds], (double)ys[ds], (double)ws[ds]);
            free(ys);
            free(ws);
            free(sub.v);
        }
        if (d >= 0) diag("x %a got %a want %a", (double)in.v[d], (double)y[d], (double)w[d]);
        memcpy(w, in.v, in.n * sizeof *w);       /* in place gives the same result */
        quant_nearest(&s, w, w, in.n, tie);
        ok(first_diff(y, w, in.n) < 0, "%s nearest in place == out of place (%s)", ns->name, pn);
    }
    free(rank);
    free(y);
    free(w);
    free(in.v);
    free(g);
    quant_ties_free(&ties);
}

static void test_nearest_int(int b, TRng *r)
{
    QuantSpec s = quant_spec(QUANT_INT, b, 0);
    FBuf in = {0};
    for (int k = -(int)s.qmax - 2; k <= (int)s.qmax + 2; k += (b > 10 ? 97 : 1)) {
        float h = k + 0.5f;
        fpush(&in, (float)k);
        fpush(&in, h);
        fpush(&in, nextafterf(h, INFINITY));
        fpush(&in, nextafterf(h, -INFINITY));
    }
    for (int i = 0; i < 20000; i++) fpush(&in, (2 * trng_unit(r) - 1) * s.qmax);
    float sp[] = {0.0f, -0.0f, 0.3f, -0.3f, 1e30f, -1e30f, 0x1p23f + 1, INFINITY, -INFINITY, NAN};
    for (size_t i = 0; i < sizeof sp / sizeof *sp; i++) fpush(&in, sp[i]);
    float *y = malloc(in.n * sizeof *y), *w = malloc(in.n * sizeof *w);
    if (!y || !w) exit(2);
    quant_nearest(&s, in.v, y, in.n, QUANT_TIE_TOWARD_ZERO);
    quant_nearest_ref(&s, in.v, w, in.n, QUANT_TIE_TOWARD_ZERO);
    long d = first_diff(y, w, in.n);
    ok(d < 0, "INT_%d nearest (rne) == floor-based ref on %zu inputs", b, in.n);
    if (d >= 0) diag("x %a got %a want %a", (double)in.v[d], (double)y[d], (double)w[d]);
    free(y);
    free(w);
    free(in.v);
}

static void test_int_ties(void)
{
    QuantSpec s = quant_spec_config(QUANT_CFG_INT_8);
    const float x[] = {0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 3.5f, -1.5f, 200.0f, -0.3f};
    const float want[] = {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, 4.0f, -2.0f, 200.0f, -0.0f};
    float y[9], w[9];
    quant_nearest(&s, x, y, 9, QUANT_TIE_TOWARD_ZERO);
    quant_nearest_ref(&s, x, w, 9, QUANT_TIE_TOWARD_ZERO);
    ok(first_diff(y, want, 9) < 0,
       "INT rne: 0.5->0 1.5->2 2.5->2 -0.5->-0 -2.5->-2 3.5->4 -1.5->-2, no clamp (200), -0.3->-0");
    ok(first_diff(w, want, 9) < 0, "INT floor-based ref gives the same ties to even");
}

/* ---- compat tie order ---- */

typedef struct { const char *title; int n; double v[31]; } OrderVec;

static const OrderVec set_orders[] = {
    {"POT_2", 3, {0, 1, -1}},
    {"POT_3", 7, {0, 0.25, -0.5, -0.25, 0.5, 1, -1}},
    {"POT_4", 15, {0, 1. / 64, -1. / 32, -1. / 64, 1. / 32, 1. / 16, -1. / 16, 1. / 8, -1. / 8,
                   0.25, -0.25, 0.5, -0.5, 1, -1}},
    {"FLOAT_3_E1", 7, {0, 0.5, 2, -0.5, 3, -3, -2}},
    {"FLOAT_4_E1", 15, {0, 0.25, -0.5, -0.25, 0.5, 0.75, -0.75, 2, 2.5, 3, 3.5, -3.5, -2.5, -3, -2}},
    {"FLOAT_4_E2", 15, {0, 0.25, -0.25, 1, 1.5, 2, 3, 4, 6, -2, -6, -4, -3, -1, -1.5}},
    {"FLOAT_5_E2", 31, {0, 0.125, -0.25, -0.125, 0.25, 0.375, -0.375, 1, 1.25, 1.5, 1.75, 2,
                        2.5, 4, 5, 6, 3, 3.5, 7, -1.25, -5, -3.5, -2.5, -1, -7, -6, -1.5, -4,
                        -3, -2, -1.75}},
};

/* Order vector check, then: at every midpoint, reference-policy rounding returns the pair
 * member that comes first in the vector. */
static void test_set_order(const OrderVec *ov)
{
    QuantSpec s = quant_spec_config(quant_config_find(ov->title));
    float order[31];
    int n = quant_set_order(&s, order), good = n == ov->n;
    for (int i = 0; good && i < n; i++) good = (double)order[i] == ov->v[i];
    ok(good, "%s set order equals the §2.6 vector", ov->title);

    QuantTies ties;
    quant_ties_init(&ties, &s);
    s.ties = &ties;
    float *g = fgrid(&s, &n);
    int wins = 1;
    for (int i = 0; i + 1 < n; i++) {
        int pa = -1, pb = -1;
        for (int j = 0; j < ov->n; j++) {
            if (ov->v[j] == g[i]) pa = j;
            if (ov->v[j] == g[i + 1]) pb = j;
        }
        float mid = (g[i] + g[i + 1]) / 2, y;
        quant_nearest(&s, &mid, &y, 1, QUANT_TIE_REFERENCE);
        if (pa < 0 || pb < 0 || y != (pa < pb ? g[i] : g[i + 1])) wins = 0;
    }
    ok(wins, "%s reference tie winners = earlier in the set-order vector", ov->title);
    free(g);
    quant_ties_free(&ties);
}

/* Rounds the midpoint of (a, b) in config title with the reference policy. */
static float ref_tie(const char *title, float a, float b)
{
    QuantSpec s = quant_spec_config(quant_config_find(title));
    QuantTies ties;
    quant_ties_init(&ties, &s);
    s.ties = &ties;
    float mid = (a + b) / 2, y;
    quant_nearest(&s, &mid, &y, 1, QUANT_TIE_REFERENCE);
    quant_ties_free(&ties);
    return y;
}

static void test_tie_facts(const NamedSpec *gs, int ngs)
{
    ok(ref_tie("POT_3", -1, -0.5f) == -0.5f && ref_tie("POT_3", -0.5f, -0.25f) == -0.5f &&
           ref_tie("POT_3", -0.25f, 0) == 0 && ref_tie("POT_3", 0, 0.25f) == 0 &&
           ref_tie("POT_3", 0.25f, 0.5f) == 0.25f && ref_tie("POT_3", 0.5f, 1) == 0.5f,
       "POT_3 reference ties: -0.75->-0.5 -0.375->-0.5 ±0.125->0 0.375->0.25 0.75->0.5");
    ok(ref_tie("POT_5", 0.25f, 0.5f) == 0.5f && ref_tie("POT_5", 0.5f, 1) == 1,
       "POT_5 reference ties (0.25,0.5) and (0.5,1) go to the larger value");

    double fmin = 1, fmax = 0;
    int zero = 1, frac_ok = 1, pos_tz = 1;
    for (int k = 0; k < ngs; k++) {
        QuantTies t;
        quant_ties_init(&t, &gs[k].s);
        int down = 0, pos_down = 0;
        for (int i = 0; i < 2 * t.npairs; i++) down += !t.hi_wins[i];
        for (int i = 0; i < t.npairs; i++) pos_down += !t.hi_wins[i];
        double f = down / (2.0 * t.npairs);
        fmin = f < fmin ? f : fmin;
        fmax = f > fmax ? f : fmax;
        frac_ok = frac_ok && f >= 0.525 && f <= 1.0;
        zero = zero && !t.hi_wins[0] && !t.hi_wins[t.npairs];
        const char *tz[] = {"POT_2", "POT_3", "POT_4", "FLOAT_3_E1", "FLOAT_4_E2"};
        for (size_t j = 0; j < 5; j++)
            if (strcmp(gs[k].name, tz[j]) == 0 && pos_down != t.npairs) pos_tz = 0;
        quant_ties_free(&t);
    }
    ok(zero, "every grid: ties with 0 go to 0 on both sides");
    ok(frac_ok && floor(fmin * 100 + 0.5) == 53 && fmax == 1.0,
       "share of ties to the smaller magnitude spans 53%%..100%% (%.4f..%.4f)", fmin, fmax);
    ok(pos_tz, "POT_2-4, FLOAT_3_E1, FLOAT_4_E2: positive reference ties all toward zero");
}

/* ---- observer and quantize (§2.3-2.4) ---- */

typedef struct {
    const char *title;
    int n;
    float x[8];
    double min, max, scale;
    float ref[8], tz[8];   /* codes: reference tie winners, default policy */
} QVec;

static const QVec qvecs[] = {
    {"INT_8", 6, {-0.6f, 0.25f, 1.27f, -1.0f, 0.005f, 0.015f}, -1.0, 1.27f, 0.009999999776482582,
     {-60, 25, 127, -100, 0, 2}, {-60, 25, 127, -100, 0, 2}},
    {"INT_4", 4, {0.3f, 0.7f, 0.1f, 0.5f}, 0, 0.7f, 0.10000000149011612,
     {3, 7, 1, 5}, {3, 7, 1, 5}},
    {"POT_3", 6, {0.75f, -0.375f, 0.1f, -1.0f, 0.125f, 0.3f}, -1, 0.75, 1.0,
     {0.5f, -0.5f, 0, -1, 0, 0.25f}, {0.5f, -0.25f, 0, -1, 0, 0.25f}},
    {"FLOAT_4_E2", 8, {6, 5, -2.5f, 0.6f, 0.625f, 0.1f, 0.125f, -1.25f}, -2.5, 6, 1.0,
     {6, 4, -2, 0.25f, 0.25f, 0, 0, -1}, {6, 4, -2, 0.25f, 0.25f, 0, 0, -1}},
    {"FLOAT_3_E1", 6, {3, 1.25f, 1.2f, -2.5f, 0.25f, 0.26f}, -2.5, 3, 1.0,
     {3, 0.5f, 0.5f, -3, 0, 0.5f}, {3, 0.5f, 0.5f, -2, 0, 0.5f}},
};

static void test_qvec(const QVec *v)
{
    QuantSpec s = quant_spec_config(quant_config_find(v->title));
    QuantTies ties;
    if (s.type != QUANT_INT) {
        quant_ties_init(&ties, &s);
        s.ties = &ties;
    }
    QParam p;
    qparam_init(&p);
    qparam_update(&p, &s, v->x, (size_t)v->n);
    ok(p.has_range && (double)p.min == v->min && (double)p.max == v->max &&
           (double)p.scale == v->scale,
       "%s observer min/max/scale = %.9g / %.9g / %.17g", v->title, v->min, v->max, v->scale);
    if (!((double)p.scale == v->scale))
        diag("got %.9g / %.9g / %.17g", (double)p.min, (double)p.max, (double)p.scale);
    float q[8], qr[8], y[8];
    quant_quantize(&s, &p, v->x, q, (size_t)v->n, QUANT_TIE_REFERENCE);
    quant_quantize_ref(&s, &p, v->x, qr, (size_t)v->n, QUANT_TIE_REFERENCE);
    ok(first_diff(q, v->ref, (size_t)v->n) < 0 && first_diff(qr, v->ref, (size_t)v->n) < 0,
       "%s codes with reference ties (analytic and ref)", v->title);
    quant_quantize(&s, &p, v->x, q, (size_t)v->n, QUANT_TIE_TOWARD_ZERO);
    quant_quantize_ref(&s, &p, v->x, qr, (size_t)v->n, QUANT_TIE_TOWARD_ZERO);
    ok(first_diff(q, v->tz, (size_t)v->n) < 0 && first_diff(qr, v->tz, (size_t)v->n) < 0,
       "%s codes with ties toward zero (analytic and ref)", v->title);
    quant_fake(&s, &p, v->x, y, (size_t)v->n, QUANT_TIE_TOWARD_ZERO);
    int fk = 1;
    for (int i = 0; i < v->n; i++) fk = fk && y[i] == p.scale * v->tz[i];
    ok(fk, "%s fake-quantize = scale * code", v->title);
    if (s.type != QUANT_INT) quant_ties_free(&ties);
}

static void test_observer(void)
{
    QuantSpec s = quant_spec_config(QUANT_CFG_INT_8);
    QParam p;
    qparam_init(&p);
    const float a[] = {0.5f, 1.0f}, b[] = {-3.0f, 0.25f}, c[] = {1.5f, 2.0f}, z[] = {-1.0f};
    qparam_update(&p, &s, a, 2);
    ok(p.min == 0.0f && p.max == 1.0f, "all-positive observation: min clamped to 0, max 1");
    qparam_update(&p, &s, b, 2);
    ok(p.min == -3.0f && p.max == 1.0f && p.scale == 3.0f / 127.0f,
       "observer widens to min -3 (max kept); scale = 3/127 in f32");
    qparam_update(&p, &s, c, 2);
    ok(p.min == -3.0f && p.max == 2.0f, "later update widens max only");
    QParam q;
    qparam_init(&q);
    qparam_update(&q, &s, z, 1);
    ok(q.min == -1.0f && q.max == 0.0f, "all-negative observation: max clamped to 0");
    const float nanx[] = {NAN, 0.5f, NAN};
    QParam r;
    qparam_init(&r);
    qparam_update(&r, &s, nanx, 3);
    ok(r.has_range && r.max == 0.5f && r.min == 0.0f, "observer ignores NaN");
    qparam_init(&r);
    qparam_update(&r, &s, nanx, 1);
    ok(!r.has_range, "all-NaN observation leaves the range empty");
    /* True division: probe inputs near (k+0.5)*0.1 where x/0.1f and x*(1/0.1f) round to
     * different codes; quantize must agree with the division. */
    const float scales[] = {0.1f, 0.3f, 0.7f, 1.27f / 127.0f, 0.0123f};
    int found = 0, divides = 1;
    for (size_t j = 0; j < sizeof scales / sizeof *scales; j++) {
        QParam d = {.scale = scales[j], .has_range = 1};
        for (int k = -127; k < 127; k++) {
            float x = (k + 0.5f) * d.scale;
            x = nextafterf(nextafterf(x, -INFINITY), -INFINITY);
            for (int o = 0; o < 5; o++, x = nextafterf(x, INFINITY)) {
                float td = x / d.scale, tm = x * (1.0f / d.scale), code;
                if (nearbyintf(td) == nearbyintf(tm) || fabsf(td) > 127) continue;
                found++;
                quant_quantize(&s, &d, &x, &code, 1, QUANT_TIE_TOWARD_ZERO);
                divides = divides && code == nearbyintf(td);
            }
        }
    }
    ok(found > 0 && divides, "quantize uses x/scale, not x*(1/scale) (%d decisive probes)", found);
}

static void test_nan_and_zero_scale(void)
{
    int nan_ok = 1;
    for (int id = 0; id < QUANT_NCONFIGS; id++) {
        QuantSpec s = quant_spec_config(id);
        QuantTies t;
        if (s.type != QUANT_INT) { quant_ties_init(&t, &s); s.ties = &t; }
        float x[2] = {NAN, -NAN}, y[2], w[2];
        quant_nearest(&s, x, y, 2, QUANT_TIE_TOWARD_ZERO);
        nan_ok = nan_ok && isnan(y[0]) && isnan(y[1]);
        quant_nearest(&s, x, y, 2, QUANT_TIE_REFERENCE);
        nan_ok = nan_ok && isnan(y[0]) && isnan(y[1]);
        QParam p = {.min = -1, .max = 1, .scale = 1.0f / s.qmax, .has_range = 1};
        quant_fake(&s, &p, x, w, 2, QUANT_TIE_TOWARD_ZERO);
        nan_ok = nan_ok && isnan(w[0]) && isnan(w[1]);
        if (s.type != QUANT_INT) quant_ties_free(&t);
    }
    ok(nan_ok, "NaN stays NaN through nearest (both policies) and fake-quantize, all 43 configs");

    int guard = 1;
    for (int id = 0; id < QUANT_NCONFIGS; id++) {
        QuantSpec s = quant_spec_config(id);
        const float zeros[] = {0.0f, -0.0f, 0.0f};
        QParam p;
        qparam_init(&p);
        qparam_update(&p, &s, zeros, 3);
        float x[4] = {1.0f, -2.0f, 0.0f, NAN}, q[4], y[4];
        quant_quantize(&s, &p, x, q, 4, QUANT_TIE_TOWARD_ZERO);
        quant_fake(&s, &p, x, y, 4, QUANT_TIE_TOWARD_ZERO);
        guard = guard && p.has_range && p.scale == 0.0f && bits_of(q[0]) == 0 &&
                bits_of(q[1]) == 0 && bits_of(q[2]) == 0 && isnan(q[3]) && y[0] == 0.0f &&
                y[1] == 0.0f && isnan(y[3]);
    }
    ok(guard, "scale 0 (all-zero observation): codes and outputs are +0, NaN kept (Q21 guard)");
}

/* quantize analytic == ref on Gaussian-ish data, every config, both policies. */
static void test_quantize_all(TRng *r)
{
    enum { N = 4000 };
    float x[N], q[N], w[N];
    for (int i = 0; i < N; i++) {
        float u = trng_unit(r) + trng_unit(r) + trng_unit(r) - 1.5f;
        x[i] = u * (i % 7 == 0 ? 100.0f : 1.0f);
    }
    x[0] = 0.0f;
    x[1] = -0.0f;
    for (int id = 0; id < QUANT_NCONFIGS; id++) {
        QuantSpec s = quant_spec_config(id);
        QuantTies t;
        if (s.type != QUANT_INT) { quant_ties_init(&t, &s); s.ties = &t; }
        QParam p;
        qparam_init(&p);
        qparam_update(&p, &s, x, N / 2);          /* later half partly out of range */
        int good = 1;
        for (int k = 0; k < 2; k++) {
            TiePolicy tie = k ? QUANT_TIE_REFERENCE : QUANT_TIE_TOWARD_ZERO;
            quant_quantize(&s, &p, x, q, N, tie);
            quant_quantize_ref(&s, &p, x, w, N, tie);
            good = good && first_diff(q, w, N) < 0;
        }
        ok(good, "%s quantize == quantize_ref on %d values, both policies",
           quant_configs[id].title, N);
        if (s.type != QUANT_INT) quant_ties_free(&t);
    }
}

/* Asymmetric (affine) observers: [min, max] maps onto [-qmax, qmax] with a zero point on
 * the grid, so real 0 quantizes to code 0 exactly; analytic == ref; a ReLU-like range gets
 * a finer step than the symmetric observer. */
static void test_asymmetric(TRng *r)
{
    enum { N = 2000 };
    float x[N], q[N], w[N], y[N];
    for (int i = 0; i < N; i++) x[i] = 3.0f * trng_unit(r) * trng_unit(r);   /* ReLU-like, >= 0 */
    x[0] = 0.0f;
    int all_ok = 1, zero_ok = 1, ends_ok = 1, finer = 1;
    for (int id = 0; id < QUANT_NCONFIGS; id++) {
        QuantSpec s = quant_spec_config(id);
        QParam p, sym;
        qparam_init(&p);
        qparam_init(&sym);
        p.asym = 1;
        qparam_update(&p, &s, x, N);
        qparam_update(&sym, &s, x, N);
        float zero = 0.0f, zq;
        quant_quantize(&s, &p, &zero, &zq, 1, QUANT_TIE_TOWARD_ZERO);
        zero_ok = zero_ok && zq == 0.0f && p.zero == -s.qmax;
        quant_quantize(&s, &p, x, q, N, QUANT_TIE_TOWARD_ZERO);
        quant_quantize_ref(&s, &p, x, w, N, QUANT_TIE_TOWARD_ZERO);
        all_ok = all_ok && first_diff(q, w, N) < 0;
        float hi = p.max, hq;
        quant_quantize(&s, &p, &hi, &hq, 1, QUANT_TIE_TOWARD_ZERO);
        ends_ok = ends_ok && hq == 2.0f * s.qmax;   /* max lands on the top of the grid */
        if (s.type == QUANT_INT && s.bits <= 8) {
            double ea = 0, es = 0;
            quant_fake(&s, &p, x, y, N, QUANT_TIE_TOWARD_ZERO);
            for (int i = 0; i < N; i++) ea += (y[i] - x[i]) * (double)(y[i] - x[i]);
            quant_fake(&s, &sym, x, y, N, QUANT_TIE_TOWARD_ZERO);
            for (int i = 0; i < N; i++) es += (y[i] - x[i]) * (double)(y[i] - x[i]);
            finer = finer && ea < es;
        }
    }
    ok(zero_ok, "asymmetric: the zero point of a [0, max] range is -qmax and real 0 is code 0, all 43 configs");
    ok(ends_ok, "asymmetric: max maps to code 2*qmax (the top of the shifted grid), all 43 configs");
    ok(all_ok, "asymmetric: quantize == quantize_ref, all 43 configs");
    ok(finer, "asymmetric INT_2..INT_8 on ReLU-like data: smaller squared error than symmetric");
    QuantSpec s = quant_spec_config(QUANT_CFG_INT_8);
    QParam p;
    qparam_init(&p);
    p.asym = 1;
    const float v[] = {-1.0f, 3.0f};
    qparam_update(&p, &s, v, 2);
    ok(p.scale == 4.0f / 254.0f && p.zero == -64.0f, "asymmetric INT_8 on [-1, 3]: scale 4/254, zero point rne(-63.5) = -64 (%g, %g)",
       (double)p.scale, (double)p.zero);
}

static void test_bias(void)
{
    QuantSpec bi = quant_bias_spec(QUANT_INT), bp = quant_bias_spec(QUANT_POT),
              bf = quant_bias_spec(QUANT_FLOAT);
    QParam p = quant_bias_qparam(0.1f, 0.3f);
    ok(p.has_range && p.scale == 0.1f * 0.3f, "bias scale = s_in * s_w in f32");
    const float b[] = {1.0f, -0.3f, 0.3125f, 1e30f, -1e30f, 0.03f};
    float q[6];
    quant_bias_quantize(&bi, 0.5f, 0.25f, b, q, 6, QUANT_TIE_TOWARD_ZERO);
    ok(q[0] == 8 && q[1] == -2 && q[2] == 2 && q[3] == 0x1p63f && q[4] == -0x1p63f && q[5] == 0,
       "INT bias: rne codes (-2.4->-2, 2.5->2), clamp at ±2^63");
    quant_bias_quantize(&bp, 0.5f, 0.25f, b, q, 6, QUANT_TIE_TOWARD_ZERO);
    ok(q[0] == 1 && q[1] == -1 && q[2] == 1 && q[5] == 0.25f,
       "POT bias: |b| clamped to s_in*s_w (code 1), 0.24 -> 0.25");
    const float bb[] = {0x1p-80f, -3 * 0x1p-72f, 1.0f + 0x1p-10f, 5e19f};
    float w[4];
    QuantTies t;
    quant_ties_init(&t, &bf);
    bf.ties = &t;
    quant_bias_quantize(&bf, 1.0f, 1.0f, bb, q, 4, QUANT_TIE_REFERENCE);
    QParam one = quant_bias_qparam(1.0f, 1.0f);
    quant_quantize_ref(&bf, &one, bb, w, 4, QUANT_TIE_REFERENCE);
    ok(first_diff(q, w, 4) < 0 && q[0] == 0 && q[1] == -0x1p-70f && q[2] == 1.0f &&
           q[3] == bf.qmax,
       "FLOAT bias, reference ties: 2^-80 -> 0, -1.5*2^-71 -> -2^-70, 1+2^-10 -> 1, saturates");
    quant_bias_quantize(&bf, 1.0f, 1.0f, bb, q, 4, QUANT_TIE_TOWARD_ZERO);
    ok(q[1] == -0x1p-71f, "FLOAT bias, ties toward zero: -1.5*2^-71 -> -2^-71");
    quant_ties_free(&t);
}

int main(void)
{
    plan_no_plan();
    TRng r = {12345};
    test_configs();
    test_qmax();

    NamedSpec gs[40];
    int ngs = grid_specs(gs);
    ok(ngs == 30, "28 POT/FLOAT grids plus two bias grids (%d)", ngs);
    for (int k = 0; k < ngs; k++) test_grid_shape(gs[k].name, &gs[k].s);
    for (int b = 2; b <= 16; b++) test_int_grid(b);
    test_grid_vectors();

    for (int k = 0; k < ngs; k++) test_nearest_grid(&gs[k], &r);
    for (int b = 2; b <= 16; b++) test_nearest_int(b, &r);
    test_int_ties();

    for (size_t i = 0; i < sizeof set_orders / sizeof *set_orders; i++) test_set_order(&set_orders[i]);
    test_tie_facts(gs, ngs);

    for (size_t i = 0; i < sizeof qvecs / sizeof *qvecs; i++) test_qvec(&qvecs[i]);
    test_observer();
    test_nan_and_zero_scale();
    test_quantize_all(&r);
    test_bias();
    test_asymmetric(&r);
    return done_testing();
}
