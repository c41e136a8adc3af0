/* fit.c — polynomial, piecewise-polynomial and rational fits on the LSEI core, exact
 * monotonicity / pole verification, goodness of fit and leave-one-group-out CV (see fit.h). */
#include "fit/fit.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "base/check.h"
#include "fit/lsq.h"

#define Q_FLOOR 1e-6         /* rational: Q >= Q_FLOOR on the constraint grid (Q(0) = 1) */
#define SLOPE_RTOL 1e-10     /* exact checks: derivative >= -SLOPE_RTOL * (y range) */

const char *fit_family_name(FitFamily f)
{
    return f == FIT_POLY ? "poly" : f == FIT_RATIONAL ? "rational" : "piecewise";
}

const char *fit_transform_name(FitTransform t) { return t == FIT_X_LOG10 ? "log10" : "identity"; }

void fit_spec_default(FitSpec *s, FitFamily family)
{
    memset(s, 0, sizeof *s);
    s->family = family;
    s->degree = family == FIT_RATIONAL ? 2 : family == FIT_PIECEWISE ? 1 : 2;
    s->transform = FIT_X_IDENTITY;
    s->x0 = 1e-6;
    s->grid = 201;
    s->nrandom = 8;
    s->seed = 1;
}

static void set_msg(FitModel *m, const char *fmt, ...) MTA_PRINTF(2, 3);
static void set_msg(FitModel *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->msg, sizeof m->msg, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------------------------------------
 * Polynomials (ascending coefficients) */

static double horner(const double *c, int deg, double z)
{
    double v = c[deg];
    for (int j = deg - 1; j >= 0; j--) v = v * z + c[j];
    return v;
}

/* d/dz of c (degree deg) into dc (degree deg-1; a zero polynomial of degree 0 when deg = 0). */
static int poly_deriv(const double *c, int deg, double *dc)
{
    if (deg == 0) { dc[0] = 0.0; return 0; }
    for (int j = 1; j <= deg; j++) dc[j - 1] = j * c[j];
    return deg - 1;
}

int fit_poly_root_reals(const double *c, int deg, double *re)
{
    double cmax = 0;
    for (int j = 0; j <= deg; j++) cmax = fmax(cmax, fabs(c[j]));
    int dd = deg;
    while (dd > 0 && !(fabs(c[dd]) > 1e-14 * cmax)) dd--;
    if (dd == 0) return 0;
    double *H = xcalloc((size_t)dd * dd, sizeof(double)), *wi = xmalloc(sizeof(double) * (size_t)dd);
    for (int j = 0; j < dd; j++) H[j] = -c[dd - 1 - j] / c[dd];   /* first row of the companion */
    for (int i = 1; i < dd; i++) H[(size_t)i * dd + i - 1] = 1.0;
    lapack_int info = LAPACKE_dgeev(LAPACK_ROW_MAJOR, 'N', 'N', dd, H, dd, re, wi, NULL, 1, NULL, 1);
    free(H); free(wi);
    return info ? -1 : dd;
}

double fit_poly_min(const double *c, int deg, double a, double b, double *argmin)
{
    double dc[2 * FIT_MAX_COEF], re[2 * FIT_MAX_COEF];
    CHECK(deg < 2 * FIT_MAX_COEF, "degree %d too large", deg);
    double best = horner(c, deg, a), arg = a, vb = horner(c, deg, b);
    if (vb < best) { best = vb; arg = b; }
    int dd = poly_deriv(c, deg, dc);
    int nr = dd > 0 ? fit_poly_root_reals(dc, dd, re) : 0;
    for (int i = 0; i < nr; i++)
        if (re[i] > a && re[i] < b) {
            double v = horner(c, deg, re[i]);
            if (v < best) { best = v; arg = re[i]; }
        }
    if (argmin) *argmin = arg;
    return best;
}

/* Add to g every candidate minimiser of c on [a, b] (end points, real roots of c') where
 * c < -tol.  Returns the count added. */
typedef struct Grid Grid;
static void grid_add(Grid *g, double v);
static int add_violations(const double *c, int deg, double a, double b, double tol, Grid *g)
{
    double dc[2 * FIT_MAX_COEF], re[2 * FIT_MAX_COEF + 2];
    int dd = poly_deriv(c, deg, dc), nr = dd > 0 ? fit_poly_root_reals(dc, dd, re) : 0, added = 0;
    if (nr < 0) nr = 0;
    re[nr++] = a;
    re[nr++] = b;
    for (int i = 0; i < nr; i++)
        if (re[i] >= a && re[i] <= b && horner(c, deg, re[i]) < -tol) { grid_add(g, re[i]); added++; }
    return added;
}

/* out (degree da+db) = a * b */
static void poly_mul(const double *a, int da, const double *b, int db, double *out)
{
    for (int j = 0; j <= da + db; j++) out[j] = 0.0;
    for (int i = 0; i <= da; i++)
        for (int j = 0; j <= db; j++) out[i + j] += a[i] * b[j];
}

/* out(u) = c(alpha u + beta), degree deg. */
static void poly_compose_affine(const double *c, int deg, double alpha, double beta, double *out)
{
    double acc[FIT_MAX_COEF + 1] = {0}, tmp[FIT_MAX_COEF + 1];
    double lin[2] = {beta, alpha};
    acc[0] = c[deg];
    for (int j = deg - 1; j >= 0; j--) {
        poly_mul(acc, deg - 1 - j, lin, 1, tmp);
        tmp[0] += c[j];
        memcpy(acc, tmp, sizeof(double) * (size_t)(deg - j + 1));
    }
    memcpy(out, acc, sizeof(double) * (size_t)(deg + 1));
}

/* ---------------------------------------------------------------------------------------------
 * Data, transforms and grids */

static double to_u(const FitSpec *s, double x)
{
    return s->transform == FIT_X_LOG10 ? log10(x + s->x0) : x;
}

/* u -> t in [-1, 1] (poly, piecewise) or s in [0, 1] (rational). */
static double to_unit(const FitModel *m, double u)
{
    double s = (u - m->u_lo) / (m->u_hi - m->u_lo);
    return m->spec.family == FIT_RATIONAL ? s : 2 * s - 1;
}

/* The points with positive weight, in the unit variable. */
typedef struct {
    int n;
    double *v, *y, *w;     /* unit variable (t or s), y, weight */
    double ymin, ymax;
} FitData;

static void data_free(FitData *d) { free(d->v); free(d->y); free(d->w); }

static int check_spec(const FitSpec *s, FitModel *m)
{
    int lo = s->family == FIT_RATIONAL ? 2 : 0, hi = s->family == FIT_RATIONAL ? 4 : FIT_MAX_DEGREE;
    if (s->degree < lo || s->degree > hi) {
        set_msg(m, "degree %d out of range %d..%d for family %s", s->degree, lo, hi, fit_family_name(s->family));
        return FIT_ERR_ARG;
    }
    if (s->nbreaks < 0 || s->nbreaks > FIT_MAX_BREAKS) { set_msg(m, "at most %d breakpoints", FIT_MAX_BREAKS); return FIT_ERR_ARG; }
    if (s->family == FIT_POLY && s->nbreaks) { set_msg(m, "family poly takes no breakpoints (use piecewise)"); return FIT_ERR_ARG; }
    if (s->family == FIT_PIECEWISE && s->nbreaks < 1) { set_msg(m, "family piecewise needs at least one breakpoint"); return FIT_ERR_ARG; }
    if (s->family == FIT_RATIONAL && s->nbreaks > 1) { set_msg(m, "family rational takes at most one breakpoint (the plateau start)"); return FIT_ERR_ARG; }
    for (int i = 1; i < s->nbreaks; i++)
        if (!(s->breaks[i] > s->breaks[i - 1])) { set_msg(m, "breakpoints must be strictly increasing"); return FIT_ERR_ARG; }
    if (s->transform == FIT_X_LOG10 && !(s->x0 >= 0 && isfinite(s->x0))) { set_msg(m, "log10 offset x0 must be >= 0"); return FIT_ERR_ARG; }
    if (s->monotone < FIT_MONO_NONE || s->monotone > FIT_MONO_GRID) { set_msg(m, "unknown monotone mode %d", s->monotone); return FIT_ERR_ARG; }
    if (s->monotone == FIT_MONO_GRID && !(s->mono_step > 0 && isfinite(s->mono_step))) {
        set_msg(m, "monotone grid step must be > 0 (got %g)", s->mono_step);
        return FIT_ERR_ARG;
    }
    if (s->grid < 11 || s->grid > 100000) { set_msg(m, "constraint grid size %d out of range 11..100000", s->grid); return FIT_ERR_ARG; }
    if (s->nrandom < 0 || s->nrandom > 10000) { set_msg(m, "random start count %d out of range", s->nrandom); return FIT_ERR_ARG; }
    return FIT_OK;
}

/* Validate the data, set the ranges of m and fill d with the points of positive weight. */
static int prepare(const FitSpec *s, int n, const double *x, const double *y, const double *w,
                   FitModel *m, FitData *d)
{
    memset(d, 0, sizeof *d);
    if (n < 1 || !x || !y) { set_msg(m, "no data points"); return FIT_ERR_ARG; }
    int cnt = 0;
    m->xmin = INFINITY; m->xmax = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i])) { set_msg(m, "point %d: x or y is not finite", i + 1); return FIT_ERR_ARG; }
        if (w && !(w[i] >= 0 && isfinite(w[i]))) { set_msg(m, "point %d: weight %g is not a finite number >= 0", i + 1, w[i]); return FIT_ERR_ARG; }
        if (s->transform == FIT_X_LOG10 && !(x[i] + s->x0 > 0)) {
            set_msg(m, "point %d: log10(x + x0) undefined for x = %g, x0 = %g", i + 1, x[i], s->x0);
            return FIT_ERR_ARG;
        }
        if (w && w[i] == 0) continue;
        cnt++;
        m->xmin = fmin(m->xmin, x[i]);
        m->xmax = fmax(m->xmax, x[i]);
    }
    if (cnt < 1) { set_msg(m, "no point has a positive weight"); return FIT_ERR_ARG; }
    m->u_lo = to_u(s, m->xmin);
    m->u_hi = to_u(s, m->xmax);
    if (!(m->u_hi - m->u_lo > 1e-12 * fmax(fabs(m->u_lo), fabs(m->u_hi)))) {
        set_msg(m, "x has no spread (all fitted points at x = %g)", m->xmin);
        return FIT_ERR_ARG;
    }
    for (int i = 0; i < s->nbreaks; i++) {
        if (!(s->breaks[i] > m->xmin && s->breaks[i] < m->xmax)) {
            set_msg(m, "breakpoint %g outside the data range (%g, %g)", s->breaks[i], m->xmin, m->xmax);
            return FIT_ERR_ARG;
        }
        m->tb[i] = to_unit(m, to_u(s, s->breaks[i]));
    }
    d->v = xmalloc(sizeof(double) * (size_t)cnt);
    d->y = xmalloc(sizeof(double) * (size_t)cnt);
    d->w = xmalloc(sizeof(double) * (size_t)cnt);
    d->ymin = INFINITY; d->ymax = -INFINITY;
    for (int i = 0; i < n; i++) {
        if (w && w[i] == 0) continue;
        double v = to_unit(m, to_u(s, x[i]));
        d->v[d->n] = v;
        d->y[d->n] = y[i];
        d->w[d->n] = w ? w[i] : 1.0;
        d->ymin = fmin(d->ymin, y[i]);
        d->ymax = fmax(d->ymax, y[i]);
        d->n++;
    }
    return FIT_OK;
}

struct Grid { int n, cap; double *v; };

static void grid_add(Grid *g, double v)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 64;
        double *nv = xmalloc(sizeof(double) * (size_t)g->cap);
        if (g->n) memcpy(nv, g->v, sizeof(double) * (size_t)g->n);
        free(g->v);
        g->v = nv;
    }
    g->v[g->n++] = v;
}

/* nuni uniform points on [lo, hi] plus a geometric refinement towards lo (where most data sit:
 * lo + (hi - lo) 10^-e, e = 1, 1.125, ..., 9). */
static void grid_base(Grid *g, double lo, double hi, int nuni)
{
    if (nuni < 2) nuni = 2;
    for (int i = 0; i < nuni; i++) grid_add(g, lo + (hi - lo) * i / (nuni - 1));
    for (int e = 8; e <= 72; e++) grid_add(g, lo + (hi - lo) * pow(10.0, -e / 8.0));
}

/* The reference grid G = xmin, xmin + h, ... <= xmax (FIT_MONO_GRID) as successive pairs in the
 * unit variable, clipped at `clip` (the plateau start of a rational; 1 otherwise).  Pairs with
 * both ends clipped are dropped.  Returns the pair count; *a, *b are malloc'ed. */
static int ref_pairs(const FitModel *m, double clip, double **a, double **b)
{
    double h = m->spec.mono_step;
    long ng = (long)floor((m->xmax - m->xmin) / h + 1e-9) + 1;
    if (ng > 1000000) ng = 1000000;
    *a = xmalloc(sizeof(double) * (size_t)ng);
    *b = xmalloc(sizeof(double) * (size_t)ng);
    int np = 0;
    double prev = fmin(to_unit(m, m->u_lo), clip);
    for (long i = 1; i < ng; i++) {
        double x = m->xmin + (double)i * h;
        double v = fmin(to_unit(m, to_u(&m->spec, fmin(x, m->xmax))), clip);
        if (v > prev) { (*a)[np] = prev; (*b)[np] = v; np++; }
        prev = v;
    }
    return np;
}

/* ---------------------------------------------------------------------------------------------
 * Polynomial and piecewise-polynomial fits (linear: one LSEI solve per refinement round) */

static int npieces(const FitSpec *s) { return s->family == FIT_PIECEWISE ? s->nbreaks + 1 : 1; }

static int piece_of(const FitModel *m, double t)
{
    int j = 0, K = npieces(&m->spec);
    while (j < K - 1 && t >= m->tb[j]) j++;
    return j;
}

static void piece_range(const FitModel *m, int j, double *lo, double *hi)
{
    int K = npieces(&m->spec);
    *lo = j == 0 ? -1.0 : m->tb[j - 1];
    *hi = j == K - 1 ? 1.0 : m->tb[j];
}

/* Equality rows: continuity of value (and slope) at each break, zero non-constant terms of a
 * plateau last piece.  Returns the row count; E is (rows x k). */
static int poly_equalities(const FitModel *m, double *E, double *e)
{
    const FitSpec *s = &m->spec;
    int K = npieces(s), d = s->degree, B = d + 1, k = K * B, me = 0;
    for (int b = 0; b < K - 1; b++)
        for (int der = 0; der <= (s->smooth ? 1 : 0); der++) {
            if (der == 1 && d == 0) continue;
            double *row = E + (size_t)me * k;
            memset(row, 0, sizeof(double) * (size_t)k);
            for (int j = der; j <= d; j++) {
                double v = der ? j * pow(m->tb[b], j - 1) : pow(m->tb[b], j);
                row[b * B + j] = v;
                row[(b + 1) * B + j] = -v;
            }
            e[me++] = 0.0;
        }
    if (s->plateau)
        for (int j = 1; j <= d; j++) {
            double *row = E + (size_t)me * k;
            memset(row, 0, sizeof(double) * (size_t)k);
            row[(K - 1) * B + j] = 1.0;
            e[me++] = 0.0;
        }
    return me;
}

/* Basis row of the piecewise polynomial at t, added with factor sign into row. */
static void poly_basis_add(const FitModel *m, double t, double sign, double *row)
{
    int d = m->spec.degree, j = piece_of(m, t);
    for (int q = 0; q <= d; q++) row[j * (d + 1) + q] += sign * pow(t, q);
}

/* Reference-grid rows: f(b) - f(a) >= 0 for the successive grid pairs. */
static int poly_diff_rows(const FitModel *m, double **G, double **h)
{
    int k = npieces(&m->spec) * (m->spec.degree + 1);
    double *a, *b;
    int np = ref_pairs(m, 1.0, &a, &b);
    *G = xcalloc((size_t)np * k + 1, sizeof(double));
    *h = xcalloc((size_t)np + 1, sizeof(double));
    for (int i = 0; i < np; i++) {
        poly_basis_add(m, b[i], 1.0, *G + (size_t)i * k);
        poly_basis_add(m, a[i], -1.0, *G + (size_t)i * k);
    }
    free(a); free(b);
    return np;
}

/* Monotone rows: derivative of piece j >= 0 at its grid points (or the reference differences). */
static int poly_inequalities(const FitModel *m, const Grid *grids, double **G, double **h)
{
    const FitSpec *s = &m->spec;
    int K = npieces(s), d = s->degree, B = d + 1, k = K * B, mi = 0;
    if (s->monotone == FIT_MONO_NONE || d == 0) return 0;
    if (s->monotone == FIT_MONO_GRID) return poly_diff_rows(m, G, h);
    for (int j = 0; j < K; j++) mi += grids[j].n;
    *G = xcalloc((size_t)mi * k, sizeof(double));
    *h = xcalloc((size_t)mi, sizeof(double));
    int r = 0;
    for (int j = 0; j < K; j++)
        for (int i = 0; i < grids[j].n; i++, r++)
            for (int q = 1; q <= d; q++) (*G)[(size_t)r * k + j * B + q] = q * pow(grids[j].v[i], q - 1);
    return mi;
}

/* Exact check of every piece; adds violating minimisers to the grids.  Returns the number added. */
static int poly_verify(FitModel *m, Grid *grids, double tol)
{
    const FitSpec *s = &m->spec;
    int K = npieces(s), d = s->degree, B = d + 1, added = 0;
    m->min_slope = INFINITY;
    for (int j = 0; j < K; j++) {
        double dc[FIT_MAX_DEGREE + 1], lo, hi;
        int dd = poly_deriv(m->coef + j * B, d, dc);
        piece_range(m, j, &lo, &hi);
        double mn = fit_poly_min(dc, dd, lo, hi, NULL);
        m->min_slope = fmin(m->min_slope, mn);
        if (mn < -tol) added += add_violations(dc, dd, lo, hi, tol, &grids[j]);
    }
    return added;
}

static int fit_poly_family(FitModel *m, const FitData *dat)
{
    const FitSpec *s = &m->spec;
    int K = npieces(s), d = s->degree, B = d + 1, k = K * B, st = FIT_OK;
    double *A = xcalloc((size_t)dat->n * k, sizeof(double));
    double *E = xmalloc(sizeof(double) * (size_t)(2 * K + d + 1) * k), *e = xmalloc(sizeof(double) * (size_t)(2 * K + d + 1));
    Grid grids[FIT_MAX_BREAKS + 1];
    memset(grids, 0, sizeof grids);
    for (int i = 0; i < dat->n; i++) {
        int j = piece_of(m, dat->v[i]);
        for (int q = 0; q <= d; q++) A[(size_t)i * k + j * B + q] = pow(dat->v[i], q);
    }
    int me = poly_equalities(m, E, e);
    for (int j = 0; j < K; j++) {
        double lo, hi;
        piece_range(m, j, &lo, &hi);
        grid_base(&grids[j], lo, hi, (int)(s->grid * (hi - lo) / 2) + 2);
    }
    double tol = SLOPE_RTOL * fmax(dat->ymax - dat->ymin, DBL_MIN);
    m->ncoef = k;
    m->monotone_exact = s->monotone ? 0 : -1;
    for (int round = 0;; round++) {
        double *G = NULL, *h = NULL;
        int mi = poly_inequalities(m, grids, &G, &h);
        LsqProblem p = {dat->n, k, A, dat->y, dat->w, me, E, e, mi, G, h};
        LsqResult r = {.c = m->coef};
        int ls = lsq_solve(&p, &r);
        free(G); free(h);
        if (ls) { set_msg(m, "least squares failed: %s", lsq_strerror(ls)); st = FIT_ERR_SOLVE; break; }
        m->n_active = r.n_active;
        m->cond = r.cond;
        if (s->plateau)      /* constrained to 0; remove the rounding so the plateau is exactly flat */
            for (int q = 1; q <= d; q++) m->coef[(K - 1) * B + q] = 0.0;
        if (s->monotone == FIT_MONO_NONE) break;
        int added = poly_verify(m, grids, tol);
        if (s->monotone == FIT_MONO_GRID) { m->monotone_exact = added == 0; break; }
        if (added == 0) { m->monotone_exact = 1; break; }
        m->refinements = round + 1;
        if (round == FIT_MAX_REFINE) {
            set_msg(m, "monotone constraint not exact after %d refinements (min slope %g)", round, m->min_slope);
            st = FIT_ERR_MONOTONE;
            break;
        }
    }
    for (int j = 0; j < K; j++) free(grids[j].v);
    free(A); free(E); free(e);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * Rational fits: f(s) = P(s)/Q(s), q0 = 1; theta = (p0..pd, q1..qd) */

typedef struct {
    int n, d, monotone;         /* monotone: 1 exact constraint rows on the grid (FIT_MONO_EXACT) */
    const double *s, *y, *w;    /* s already clipped to [0, sb] */
    double sb;                  /* end of the rational part of the range */
    double ytol;                /* slope tolerance of the exact check (y units per unit s) */
    Grid grid;                  /* constraint grid on [0, sb] (grows with refinements) */
    int ndiff;                  /* FIT_MONO_GRID: successive reference grid pairs (da, db) */
    double *da, *db;
} RatCtx;

/* P, P', Q, Q' at z. */
static void rat_vals(const double *p, const double *q, int d, double z, double *P, double *dP, double *Q, double *dQ)
{
    double zp = 1, Pv = 0, Qv = 0, dPv = 0, dQv = 0;
    for (int j = 0; j <= d; j++) {
        Pv += p[j] * zp;
        Qv += q[j] * zp;
        if (j < d) { dPv += (j + 1) * p[j + 1] * zp; dQv += (j + 1) * q[j + 1] * zp; }
        zp *= z;
    }
    *P = Pv; *Q = Qv;
    if (dP) *dP = dPv;
    if (dQ) *dQ = dQv;
}

/* Best numerator for a fixed denominator (a convex LSEI: N = P'Q - PQ' is linear in p).
 * Returns an LSQ status; *sse gets the weighted SSE. */
static int rat_solve_p(const RatCtx *c, const double *q, double *p, double *sse, int *nact)
{
    int d = c->d, k = d + 1, ng = c->grid.n, mexact = c->monotone ? ng : 0, mi = mexact + c->ndiff, st;
    double *A = xmalloc(sizeof(double) * (size_t)c->n * k);
    double *G = xmalloc(sizeof(double) * ((size_t)mi * k + 1)), *h = xcalloc((size_t)mi + 1, sizeof(double));
    for (int i = 0; i < c->n; i++) {
        double Q = horner(q, d, c->s[i]);
        if (!(Q > 0)) { st = LSQ_ERR_ARG; goto out; }
        double z = 1;
        for (int j = 0; j <= d; j++, z *= c->s[i]) A[(size_t)i * k + j] = z / Q;
    }
    for (int i = 0; i < c->ndiff; i++) {    /* (P(b)Q(a) - P(a)Q(b)) / (Q(a)Q(b)) >= 0 */
        double a = c->da[i], b = c->db[i], Qa = horner(q, d, a), Qb = horner(q, d, b), za = 1, zb = 1;
        if (!(Qa > 0 && Qb > 0)) { st = LSQ_ERR_ARG; goto out; }
        for (int j = 0; j <= d; j++, za *= a, zb *= b)
            G[(size_t)(mexact + i) * k + j] = (zb * Qa - za * Qb) / (Qa * Qb);
    }
    for (int g = 0; g < mexact; g++) {
        double x = c->grid.v[g], Q = horner(q, d, x), dq[FIT_MAX_DEGREE + 1];
        double dQ = horner(dq, poly_deriv(q, d, dq), x);
        if (!(Q > 0)) { st = LSQ_ERR_ARG; goto out; }
        double z = 1, zm1 = 0, Q2 = Q * Q;   /* z = x^j, zm1 = x^(j-1) */
        for (int j = 0; j <= d; j++, zm1 = z, z *= x)
            G[(size_t)g * k + j] = (j * zm1 * Q - z * dQ) / Q2;
    }
    LsqProblem pr = {c->n, k, A, c->y, c->w, 0, NULL, NULL, mi, G, h};
    LsqResult r = {.c = p};
    st = lsq_solve(&pr, &r);
    *sse = r.sse;
    if (nact) *nact = r.n_active;
out:
    free(A); free(G); free(h);
    return st;
}

/* One Levenberg–Marquardt step for (p, q): linearized residuals and constraints, damping lam.
 * Writes the trial denominator into qn (q0 = 1).  Returns an LSQ status. */
static int rat_lm_step(const RatCtx *c, const double *p, const double *q, double lam, double *qn)
{
    int d = c->d, np = 2 * d + 1, n = c->n, ng = c->grid.n, st;
    int rows = n + np, mi = ng * (c->monotone ? 2 : 1) + c->ndiff, m0 = ng * (c->monotone ? 2 : 1);
    double *A = xcalloc((size_t)rows * np, sizeof(double)), *rhs = xcalloc((size_t)rows, sizeof(double));
    double *G = xcalloc((size_t)mi * np, sizeof(double)), *h = xmalloc(sizeof(double) * (size_t)mi);
    double *delta = xmalloc(sizeof(double) * (size_t)np);
    for (int i = 0; i < n; i++) {
        double P, Q, z = 1, sw = sqrt(c->w[i]);
        rat_vals(p, q, d, c->s[i], &P, NULL, &Q, NULL);
        for (int j = 0; j <= d; j++, z *= c->s[i]) {
            A[(size_t)i * np + j] = sw * z / Q;
            if (j) A[(size_t)i * np + d + j] = -sw * P * z / (Q * Q);
        }
        rhs[i] = -sw * (P / Q - c->y[i]);
    }
    for (int j = 0; j < np; j++) {           /* Marquardt damping scaled by the column norms */
        double nrm = lsq_norm2(A + j, (size_t)n, (size_t)np);
        A[(size_t)(n + j) * np + j] = sqrt(lam) * fmax(nrm, 1e-300);
    }
    for (int g = 0; g < ng; g++) {
        double x = c->grid.v[g], P, dP, Q, dQ, z = 1;
        rat_vals(p, q, d, x, &P, &dP, &Q, &dQ);
        double *rq = G + (size_t)g * np;
        for (int j = 1; j <= d; j++) { z *= x; rq[d + j] = z; }
        h[g] = Q_FLOOR - Q;
        if (!c->monotone) continue;
        double *rn = G + (size_t)(ng + g) * np, Q2 = Q * Q, N = dP * Q - P * dQ, zm1 = 0;
        z = 1;
        for (int j = 0; j <= d; j++, zm1 = z, z *= x) {
            double dz = j * zm1;             /* d/dx x^j */
            rn[j] = (dz * Q - z * dQ) / Q2;
            if (j) rn[d + j] = (dP * z - P * dz) / Q2;
        }
        h[ng + g] = -N / Q2;
    }
    for (int i = 0; i < c->ndiff; i++) {    /* linearized (P(b)Q(a) - P(a)Q(b)) / (Q(a)Q(b)) >= 0 */
        double a = c->da[i], b = c->db[i], Pa, Qa, Pb, Qb, za = 1, zb = 1;
        rat_vals(p, q, d, a, &Pa, NULL, &Qa, NULL);
        rat_vals(p, q, d, b, &Pb, NULL, &Qb, NULL);
        double *row = G + (size_t)(m0 + i) * np, QQ = Qa * Qb;
        for (int j = 0; j <= d; j++, za *= a, zb *= b) {
            row[j] = (zb * Qa - za * Qb) / QQ;
            if (j) row[d + j] = (Pb * za - Pa * zb) / QQ;
        }
        h[m0 + i] = -(Pb * Qa - Pa * Qb) / QQ;
    }
    LsqProblem pr = {rows, np, A, rhs, NULL, 0, NULL, NULL, mi, G, h};
    LsqResult r = {.c = delta};
    st = lsq_solve(&pr, &r);
    if (st == LSQ_OK) {
        qn[0] = 1.0;
        for (int j = 1; j <= d; j++) qn[j] = q[j] + delta[d + j];
    }
    free(A); free(rhs); free(G); free(h); free(delta);
    return st;
}

static int q_ok_on_grid(const RatCtx *c, const double *q)
{
    for (int g = 0; g < c->grid.n; g++)
        if (!(horner(q, c->d, c->grid.v[g]) >= 0.5 * Q_FLOOR)) return 0;
    return 1;
}

/* Levenberg–Marquardt from denominator q; every iterate has the optimal numerator for its
 * denominator, so every iterate satisfies the grid constraints.  Returns 0 and (p, q, sse) or -1. */
static int rat_lm(const RatCtx *c, double *p, double *q, double *sse)
{
    int d = c->d;
    if (!q_ok_on_grid(c, q) || rat_solve_p(c, q, p, sse, NULL)) return -1;
    double lam = 1e-2, qn[FIT_MAX_DEGREE + 1], pn[FIT_MAX_DEGREE + 1], ssen;
    int small = 0;
    for (int it = 0; it < 400 && lam < 1e12; it++) {
        if (rat_lm_step(c, p, q, lam, qn) || !q_ok_on_grid(c, qn) || rat_solve_p(c, qn, pn, &ssen, NULL) ||
            !(ssen < *sse)) {
            lam *= 4;
            continue;
        }
        double rel = (*sse - ssen) / fmax(*sse, DBL_MIN);
        memcpy(p, pn, sizeof(double) * (size_t)(d + 1));
        memcpy(q, qn, sizeof(double) * (size_t)(d + 1));
        *sse = ssen;
        lam = fmax(lam / 3, 1e-9);
        small = rel < 1e-10 ? small + 1 : 0;
        if (small >= 3 || *sse == 0) break;
    }
    return 0;
}

/* Exact checks on [0, sb]: min Q > 0 and (monotone) min N >= -tol Q^2.  Adds violating
 * minimisers to the grid; returns the count added.  Fills the diagnostic fields of m. */
static int rat_verify(RatCtx *c, const double *p, const double *q, FitModel *m)
{
    int d = c->d, added = 0;
    double argq, argn;
    m->q_min = fit_poly_min(q, d, 0.0, c->sb, &argq);
    m->pole_free = m->q_min > 0;
    if (!m->pole_free) { grid_add(&c->grid, argq); added++; }
    if (m->spec.monotone == FIT_MONO_NONE) return added;
    if (d < 1 || d > FIT_MAX_DEGREE) return added;   /* (never: rational degrees are 2..4) */
    double dp[FIT_MAX_DEGREE + 1] = {0}, dq[FIT_MAX_DEGREE + 1] = {0}, a[2 * FIT_MAX_DEGREE + 1] = {0}, b[2 * FIT_MAX_DEGREE + 1] = {0};
    double N[2 * FIT_MAX_DEGREE + 1] = {0};
    poly_deriv(p, d, dp);
    poly_deriv(q, d, dq);
    poly_mul(dp, d - 1, q, d, a);
    poly_mul(p, d, dq, d - 1, b);
    for (int j = 0; j <= 2 * d - 2; j++) N[j] = a[j] - b[j];  /* the z^(2d-1) terms cancel exactly */
    double nmin = fit_poly_min(N, 2 * d - 2, 0.0, c->sb, &argn);
    double Qa = horner(q, d, argn);
    m->min_slope = Qa > 0 ? nmin / (Qa * Qa) : -INFINITY;
    m->monotone_exact = m->pole_free && nmin >= -c->ytol * Qa * Qa;
    if (c->monotone && !m->monotone_exact && m->pole_free) {
        int a = add_violations(N, 2 * d - 2, 0.0, c->sb, c->ytol * Qa * Qa, &c->grid);
        if (a == 0) grid_add(&c->grid, argn);
        added += a ? a : 1;
    }
    return added;
}

/* splitmix64: the seeded start generator (explicit state). */
static uint64_t splitmix(uint64_t *st)
{
    uint64_t z = (*st += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Q(s) = prod_i (1 + s / c_i): positive on [0, inf), Q(0) = 1. */
static void q_from_poles(const double *cs, int npol, int d, double *q)
{
    double tmp[FIT_MAX_DEGREE + 2];
    memset(q, 0, sizeof(double) * (size_t)(d + 1));
    q[0] = 1.0;
    for (int i = 0; i < npol; i++) {
        double lin[2] = {1.0, 1.0 / cs[i]};
        poly_mul(q, i, lin, 1, tmp);
        memcpy(q, tmp, sizeof(double) * (size_t)(i + 2));
    }
}

/* Sanathanan–Koerner: iterate min sum w (P - y Q)^2 / Qprev^2 s.t. Q >= Q_FLOOR on the grid,
 * starting from the denominator q (in/out).  Returns 0 or -1. */
static int rat_sk(const RatCtx *c, double *q)
{
    int d = c->d, np = 2 * d + 1, n = c->n, ng = c->grid.n;
    double *A = xmalloc(sizeof(double) * (size_t)n * np), *w = xmalloc(sizeof(double) * (size_t)n);
    double *G = xcalloc((size_t)ng * np, sizeof(double)), *h = xmalloc(sizeof(double) * (size_t)ng);
    double th[2 * FIT_MAX_DEGREE + 1];
    int st = 0;
    for (int i = 0; i < n; i++) {
        double z = 1;
        for (int j = 0; j <= d; j++, z *= c->s[i]) {
            A[(size_t)i * np + j] = z;
            if (j) A[(size_t)i * np + d + j] = -c->y[i] * z;
        }
    }
    for (int g = 0; g < ng; g++) {
        double z = 1;
        for (int j = 1; j <= d; j++) { z *= c->grid.v[g]; G[(size_t)g * np + d + j] = z; }
        h[g] = Q_FLOOR - 1.0;
    }
    for (int it = 0; it < 20; it++) {
        for (int i = 0; i < n; i++) {
            double Q = horner(q, d, c->s[i]);
            w[i] = c->w[i] / (Q * Q);
        }
        LsqProblem pr = {n, np, A, c->y, w, 0, NULL, NULL, ng, G, h};
        LsqResult r = {.c = th};
        if (lsq_solve(&pr, &r)) { st = -1; break; }
        double change = 0, size = 1;
        for (int j = 1; j <= d; j++) {
            change = fmax(change, fabs(th[d + j] - q[j]));
            size = fmax(size, fabs(th[d + j]));
            q[j] = th[d + j];
        }
        if (change < 1e-9 * size) break;
    }
    free(A); free(w); free(G); free(h);
    return st;
}

/* The fixed start list (index < nfixed) then the seeded random ones.  Returns 0 or -1 (skip). */
#define RAT_NFIXED 14
static int rat_start(const RatCtx *c, int idx, uint64_t *rng, double *q)
{
    static const double cs[5] = {1e-4, 1e-3, 1e-2, 1e-1, 1.0};
    int d = c->d;
    double poles[FIT_MAX_DEGREE];
    if (idx == 0) { q_from_poles(NULL, 0, d, q); return rat_sk(c, q); }
    if (idx < 4) {                                   /* SK from Q = 1 + s/c */
        q_from_poles(&cs[idx], 1, d, q);
        return rat_sk(c, q);
    }
    if (idx < RAT_NFIXED) {                          /* (1 + s/c)^m, m = 1, 2 */
        int i = idx - 4, mult = 1 + i / 5;
        for (int j = 0; j < mult; j++) poles[j] = cs[i % 5];
        q_from_poles(poles, mult, d, q);
        return 0;
    }
    for (int j = 0; j < d; j++) {                    /* d random poles at -10^U(-4, 1) */
        double u = (double)(splitmix(rng) >> 11) / 9007199254740992.0;
        poles[j] = pow(10.0, -4.0 + 5.0 * u);
    }
    q_from_poles(poles, d, d, q);
    return 0;
}

/* Run one start to an exactly verified local optimum (or fail).  Returns 0 when verified. */
static int rat_run_start(RatCtx *c, double *p, double *q, double *sse, double best, FitModel *m)
{
    for (int round = 0; round <= FIT_MAX_REFINE; round++) {
        if (rat_lm(c, p, q, sse)) return -1;
        /* more grid points can only raise the SSE: a start already worse than the best verified
         * fit is abandoned (reported as not at the best) */
        if (*sse > best * (1 + 1e-6)) return 1;
        if (rat_verify(c, p, q, m) == 0) return 0;
        m->refinements++;
    }
    return -1;
}

static void rat_grid(RatCtx *c, int nuni)
{
    grid_base(&c->grid, 0.0, c->sb, nuni);
    for (int i = 0; i < c->n; i++) grid_add(&c->grid, c->s[i]);
}

static int fit_rational_family(FitModel *m, const FitData *dat)
{
    const FitSpec *s = &m->spec;
    int d = s->degree, nstart = RAT_NFIXED + s->nrandom;
    RatCtx c = {.n = dat->n, .d = d, .monotone = s->monotone == FIT_MONO_EXACT, .y = dat->y, .w = dat->w};
    c.sb = s->nbreaks ? m->tb[0] : 1.0;
    if (s->monotone == FIT_MONO_GRID) c.ndiff = ref_pairs(m, c.sb, &c.da, &c.db);
    c.ytol = SLOPE_RTOL * fmax(dat->ymax - dat->ymin, DBL_MIN);
    double *sc = xmalloc(sizeof(double) * (size_t)dat->n);
    for (int i = 0; i < dat->n; i++) sc[i] = fmin(dat->v[i], c.sb);
    c.s = sc;
    rat_grid(&c, s->grid);
    double *sses = xmalloc(sizeof(double) * (size_t)nstart);
    double best = INFINITY, bp[FIT_MAX_DEGREE + 1] = {0}, bq[FIT_MAX_DEGREE + 1] = {0};
    uint64_t rng = s->seed;
    FitModel probe = *m;
    m->starts = nstart;
    m->starts_ok = 0;
    for (int k = 0; k < nstart; k++) {
        double p[FIT_MAX_DEGREE + 1], q[FIT_MAX_DEGREE + 1], sse;
        sses[k] = INFINITY;
        if (rat_start(&c, k, &rng, q)) continue;
        int rs = rat_run_start(&c, p, q, &sse, best, &probe);
        if (rs < 0) continue;
        if (rs > 0) { sses[k] = sse; continue; }
        sses[k] = sse;
        m->starts_ok++;
        if (sse < best) { best = sse; memcpy(bp, p, sizeof bp); memcpy(bq, q, sizeof bq); }
    }
    m->refinements = probe.refinements;
    m->ncoef = 2 * (d + 1);
    m->monotone_exact = s->monotone != FIT_MONO_NONE ? 0 : -1;
    int st = FIT_OK;
    if (!isfinite(best)) {
        set_msg(m, "no start gave a pole-free%s rational fit",
                s->monotone == FIT_MONO_EXACT ? ", exactly monotone" : s->monotone == FIT_MONO_GRID ? ", grid-monotone" : "");
        st = FIT_ERR_POLE;
    } else {
        double sse;
        memcpy(m->coef, bp, sizeof(double) * (size_t)(d + 1));
        memcpy(m->coef + d + 1, bq, sizeof(double) * (size_t)(d + 1));
        rat_solve_p(&c, bq, bp, &sse, &m->n_active);  /* active count at the optimum */
        rat_verify(&c, m->coef, m->coef + d + 1, m);
        m->near_pole = m->q_min < FIT_NEAR_POLE;
        if (s->monotone == FIT_MONO_NONE) m->monotone_exact = -1;
        m->starts_at_best = 0;
        for (int k = 0; k < nstart; k++)
            if (sses[k] <= best * (1 + 1e-6) + 1e-300) m->starts_at_best++;
    }
    free(sc); free(sses); free(c.grid.v); free(c.da); free(c.db);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * Public API */

static int poly_nfree(const FitSpec *s)
{
    int K = npieces(s), d = s->degree;
    int me = (K - 1) * (1 + (s->smooth && d > 0)) + (s->plateau ? d : 0);
    return K * (d + 1) - me;
}

int fit_model(const FitSpec *spec, int n, const double *x, const double *y, const double *w, FitModel *m)
{
    memset(m, 0, sizeof *m);
    m->spec = *spec;
    m->pole_free = 1;
    m->monotone_exact = -1;
    if (spec->family == FIT_RATIONAL && spec->nbreaks == 1) m->spec.plateau = 1;
    int st = check_spec(&m->spec, m);
    if (st) return st;
    FitData dat;
    if ((st = prepare(&m->spec, n, x, y, w, m, &dat)) != FIT_OK) { data_free(&dat); return st; }
    int kfree = spec->family == FIT_RATIONAL ? 2 * spec->degree + 1 : poly_nfree(&m->spec);
    if (dat.n < kfree) {
        set_msg(m, "%d points with positive weight cannot determine %d parameters", dat.n, kfree);
        data_free(&dat);
        return FIT_ERR_ARG;
    }
    st = spec->family == FIT_RATIONAL ? fit_rational_family(m, &dat) : fit_poly_family(m, &dat);
    data_free(&dat);
    if (st == FIT_OK || st == FIT_ERR_MONOTONE) fit_stats(m, n, x, y, w, &m->stats);
    return st;
}

double fit_eval(const FitModel *m, double x)
{
    double xc = fmin(fmax(x, m->xmin), m->xmax);
    double v = to_unit(m, to_u(&m->spec, xc));
    int d = m->spec.degree;
    if (m->spec.family == FIT_RATIONAL) {
        v = fmin(fmax(v, 0.0), 1.0);
        if (m->spec.nbreaks) v = fmin(v, m->tb[0]);
        return horner(m->coef, d, v) / horner(m->coef + d + 1, d, v);
    }
    v = fmin(fmax(v, -1.0), 1.0);
    return horner(m->coef + piece_of(m, v) * (d + 1), d, v);
}

void fit_stats(const FitModel *m, int n, const double *x, const double *y, const double *w, FitStats *st)
{
    memset(st, 0, sizeof *st);
    const FitSpec *s = &m->spec;
    st->k_eff = s->family == FIT_RATIONAL ? 2 * s->degree + 1 : poly_nfree(s);
    st->m_ref = s->family == FIT_RATIONAL ? 2 * s->degree + 2 : st->k_eff;
    double sy = 0, sw = 0, swy = 0;
    for (int i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (!(wi > 0)) continue;
        st->n++;
        sy += y[i];
        sw += wi;
        swy += wi * y[i];
    }
    double ybar = sy / st->n, wbar = swy / sw, wsst = 0;
    for (int i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (!(wi > 0)) continue;
        double r = y[i] - fit_eval(m, x[i]);
        st->sse += r * r;
        st->sst += (y[i] - ybar) * (y[i] - ybar);
        st->wsse += wi * r * r;
        wsst += wi * (y[i] - wbar) * (y[i] - wbar);
    }
    st->r2 = st->sst > 0 ? 1 - st->sse / st->sst : NAN;
    st->wr2 = wsst > 0 ? 1 - st->wsse / wsst : NAN;
    int dfr = st->n - st->m_ref, dfe = st->n - st->k_eff;
    st->rmse = dfr > 0 ? sqrt(st->sse / dfr) : NAN;
    st->adj_r2 = dfr > 0 ? 1 - (1 - st->r2) * (st->n - 1) / dfr : NAN;
    st->rmse_eff = dfe > 0 ? sqrt(st->sse / dfe) : NAN;
    st->adj_r2_eff = dfe > 0 ? 1 - (1 - st->r2) * (st->n - 1) / dfe : NAN;
}

/* One fold: fit without group g, predict its points. */
static void lomo_fold(const FitSpec *spec, int n, const double *x, const double *y, const double *w,
                      const int *group, int g, double *tx, double *ty, double *tw, FitLomoGroup *out,
                      double *sq, double *bsq, double *pred, double *base)
{
    int nt = 0;
    double swy = 0, sw = 0;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (group[i] == g) { if (wi > 0) out->n++; continue; }
        tx[nt] = x[i]; ty[nt] = y[i]; tw[nt] = wi; nt++;
        swy += wi * y[i]; sw += wi;
    }
    out->rmse = out->mae = out->maxerr = out->base_rmse = NAN;
    if (out->n == 0) return;
    FitModel *m = xmalloc(sizeof *m);
    if (nt == 0 || !(sw > 0) || fit_model(spec, nt, tx, ty, tw, m) != FIT_OK) { out->failed = 1; free(m); return; }
    double mean = swy / sw, se = 0, be = 0, ae = 0, mx = 0;
    for (int i = 0; i < n; i++) {
        if (group[i] != g || (w && !(w[i] > 0))) continue;
        if (x[i] < m->xmin || x[i] > m->xmax) out->nclamped++;
        double p = fit_eval(m, x[i]), r = p - y[i], b = mean - y[i];
        if (pred) pred[i] = p;
        if (base) base[i] = mean;
        se += r * r; be += b * b; ae += fabs(r); mx = fmax(mx, fabs(r));
    }
    out->rmse = sqrt(se / out->n);
    out->base_rmse = sqrt(be / out->n);
    out->mae = ae / out->n;
    out->maxerr = mx;
    *sq += se;
    *bsq += be;
    free(m);
}

int fit_lomo(const FitSpec *spec, int n, const double *x, const double *y, const double *w,
             const int *group, int ngroups, FitLomoGroup *per, FitLomo *tot, double *pred, double *base)
{
    memset(tot, 0, sizeof *tot);
    tot->rmse = tot->base_rmse = NAN;
    for (int i = 0; i < n; i++) {
        if (pred) pred[i] = NAN;
        if (base) base[i] = NAN;
    }
    if (n < 1 || ngroups < 2) return FIT_ERR_ARG;
    for (int i = 0; i < n; i++)
        if (group[i] < 0 || group[i] >= ngroups) return FIT_ERR_ARG;
    double *tx = xmalloc(sizeof(double) * (size_t)n), *ty = xmalloc(sizeof(double) * (size_t)n);
    double *tw = xmalloc(sizeof(double) * (size_t)n), sq = 0, bsq = 0;
    tot->ngroups = ngroups;
    for (int g = 0; g < ngroups; g++) {
        lomo_fold(spec, n, x, y, w, group, g, tx, ty, tw, &per[g], &sq, &bsq, pred, base);
        if (per[g].failed) tot->nfailed++;
        else { tot->n += per[g].n; tot->nclamped += per[g].nclamped; }
    }
    if (tot->n > 0) {
        tot->rmse = sqrt(sq / tot->n);
        tot->base_rmse = sqrt(bsq / tot->n);
    }
    free(tx); free(ty); free(tw);
    return FIT_OK;
}

void fit_coef_in_u(const FitModel *m, double *out)
{
    int d = m->spec.degree, B = d + 1;
    double span = m->u_hi - m->u_lo;
    if (m->spec.family == FIT_RATIONAL) {
        double a = 1.0 / span, b = -m->u_lo / span;
        poly_compose_affine(m->coef, d, a, b, out);
        poly_compose_affine(m->coef + B, d, a, b, out + B);
        double q0 = out[B];
        if (q0 != 0)
            for (int j = 0; j < 2 * B; j++) out[j] /= q0;
        return;
    }
    double a = 2.0 / span, b = -(m->u_hi + m->u_lo) / span;
    for (int j = 0; j < npieces(&m->spec); j++) poly_compose_affine(m->coef + j * B, d, a, b, out + j * B);
}
