/* fit.h — curve families fitted through the constrained least-squares core (lsq.h), their
 * exact verification and the goodness-of-fit / cross-validation statistics
 * (spec fitting-and-reports §1.4, §3.2–§3.5).
 *
 * Variables.  x is the data column; u = T(x) the transformed variable (identity, or
 * log10(x + x0)); the families work on u mapped linearly onto a unit interval:
 *   poly / piecewise: t = (2u - u_lo - u_hi)/(u_hi - u_lo) in [-1, 1], monomial basis in t;
 *   rational:         s = (u - u_lo)/(u_hi - u_lo)       in [0, 1],  f = P(s)/Q(s), Q(0) = 1.
 * [u_lo, u_hi] is the transformed range of the fitted data.  Because T and the maps are
 * increasing, "non-decreasing in t or s" is "non-decreasing in x".
 *
 * Families.
 *   FIT_POLY       polynomial of degree 0..5 in t.
 *   FIT_PIECEWISE  one polynomial of degree 0..5 per piece between user breakpoints (given in x),
 *                  value continuity at each break as equality constraints, optionally slope
 *                  continuity (smooth) and a constant last piece (plateau).
 *   FIT_RATIONAL   numerator and denominator of degree 2..4 (the reference's family, §1.1), with
 *                  q0 = 1 removing the scale invariance (2d+1 free parameters; the reference counts
 *                  2d+2).  With one breakpoint b and plateau, f(x) = R(min(x, b)): the reference's
 *                  "rational then plateau" (flops_sep.m, §2.5).
 *
 * Monotone non-decreasing (option): imposed as linear inequalities on a grid refined near the low
 * end of the range, then verified exactly: the minimum of the derivative (poly) or of the
 * derivative numerator N = P'Q - PQ' (rational) over the range is taken over the end points and
 * the real roots of its derivative (companion-matrix eigenvalues, LAPACK dgeev).  A violating
 * minimiser is added to the constraint grid and the fit repeated (at most FIT_MAX_REFINE times).
 * "Exact" means up to rounding: the minimum slope must be >= -1e-10 * (y range) per unit of t
 * or s, so any dip is below 2e-10 of the y range.
 * A rational fit is accepted only if Q has no root in the range (same exact minimum test on Q).
 *
 * Rational fits are deterministic: a fixed list of starts (Sanathanan–Koerner linearized fits
 * and pole-shape starts) plus `nrandom` starts drawn from a seeded generator; each start is
 * refined by Levenberg–Marquardt steps on the true residuals (each step an LSEI solve with the
 * linearized constraints, followed by the exact optimal numerator for the new denominator); the
 * best exactly verified result is returned.
 */
#ifndef MTA_FIT_H
#define MTA_FIT_H

#include <stddef.h>
#include <stdint.h>

#define FIT_MAX_BREAKS 8
#define FIT_MAX_DEGREE 5
#define FIT_MAX_COEF ((FIT_MAX_BREAKS + 1) * (FIT_MAX_DEGREE + 1))
#define FIT_MAX_REFINE 25
#define FIT_NEAR_POLE 1e-3

typedef enum { FIT_POLY, FIT_RATIONAL, FIT_PIECEWISE } FitFamily;
typedef enum { FIT_X_IDENTITY, FIT_X_LOG10 } FitTransform;

/* Monotone non-decreasing constraint.
 *   FIT_MONO_EXACT  f' >= 0 on a refined grid, then exact verification and refinement (above).
 *   FIT_MONO_GRID   the reference's check turned into a constraint (spec §1.3, §3.2 "difference
 *                   form"): f(G[i+1]) - f(G[i]) >= 0 on G = xmin, xmin + h, ... <= xmax.  Between
 *                   grid points nothing is enforced; monotone_exact still reports the exact truth. */
typedef enum { FIT_MONO_NONE = 0, FIT_MONO_EXACT = 1, FIT_MONO_GRID = 2 } FitMonotone;

/* Status codes of fit_model / fit_lomo (0 = success). */
enum {
    FIT_OK = 0,
    FIT_ERR_ARG,          /* bad spec or data (message says which) */
    FIT_ERR_SOLVE,        /* the least-squares core failed (rank, infeasible, ...) */
    FIT_ERR_POLE,         /* rational: no start gave a denominator free of roots on the range */
    FIT_ERR_MONOTONE      /* monotone requested but not achieved exactly */
};

/* What to fit.  fit_spec_default() fills the defaults. */
typedef struct {
    FitFamily family;
    int degree;               /* poly/piecewise 0..5, rational 2..4 */
    FitTransform transform;
    double x0;                /* offset of the log10 transform */
    int monotone;             /* FitMonotone */
    double mono_step;         /* FIT_MONO_GRID: the grid step h in x units (> 0) */
    int nbreaks;              /* breakpoints in x, strictly increasing, inside the data range */
    double breaks[FIT_MAX_BREAKS];
    int smooth;               /* piecewise: slope continuity at the breaks too */
    int plateau;              /* piecewise: constant last piece; rational: R(min(x, b)) */
    int grid;                 /* uniform constraint grid points (default 201) */
    int nrandom;              /* rational: seeded random starts (default 8) */
    uint64_t seed;            /* rational: seed of those starts (default 1) */
} FitSpec;

/* Goodness of fit on the raw y scale (§1.4, §3.4). */
typedef struct {
    int n;                    /* points with positive weight */
    int m_ref;                /* coefficients as the reference counts them (rational 2d+2) */
    int k_eff;                /* free parameters (rational 2d+1) */
    double sse, sst, r2;      /* unweighted: SSE, sum (y - ybar)^2, 1 - SSE/SST */
    double adj_r2;            /* 1 - (1 - R2)(n - 1)/(n - m_ref)   (MATLAB gof convention) */
    double rmse;              /* sqrt(SSE/(n - m_ref))             (as the figures print it) */
    double adj_r2_eff, rmse_eff; /* the same with k_eff */
    double wsse, wr2;         /* weighted SSE and R2 (weighted mean); equal to the above if unweighted */
} FitStats;

/* A fitted curve. */
typedef struct {
    FitSpec spec;
    double xmin, xmax;        /* range of the fitted data (evaluation clamps to it) */
    double u_lo, u_hi;        /* transformed range defining t and s */
    double tb[FIT_MAX_BREAKS];/* breakpoints in t (poly/piecewise) or s (rational) */
    int ncoef;
    double coef[FIT_MAX_COEF];/* poly: c0..cd in t; piecewise: one block of degree+1 per piece;
                                 rational: p0..pd then q0..qd in s (q0 = 1) */
    int monotone_exact;       /* 1 verified non-decreasing, 0 violated, -1 not requested */
    double min_slope;         /* exact minimum of df/dt over the range (poly); for the rational
                                 N_min / Q(argmin N)^2 with N = P'Q - PQ' (its sign is exact) */
    int pole_free;            /* rational: 1 verified (always 1 for an accepted fit); others 1 */
    double q_min;             /* rational: exact minimum of Q over the range (Q(xmin) = 1) */
    int near_pole;            /* rational: q_min < FIT_NEAR_POLE -- pole-free, but the curve may
                                 spike between data points; reported, not rejected */
    int n_active;             /* active inequality constraints at the solution */
    int refinements;          /* exact-check rounds that added points to the grid */
    int starts, starts_ok, starts_at_best; /* rational: starts tried; ended in a verified fit (starts
                                 abandoned as already worse than the best are not counted);
                                 ended within 1e-6 (relative SSE) of the best */
    double cond;              /* condition number of the scaled design (last solve) */
    FitStats stats;
    char msg[200];            /* why a fit failed, or "" */
} FitModel;

/* Leave-one-group-out ("leave one model out", §3.5) for one held-out group. */
typedef struct {
    int n;                    /* held-out points */
    int failed;               /* the fit without this group failed (numbers are NaN) */
    int nclamped;             /* held-out x outside the training range, clamped to it */
    double rmse, mae, maxerr; /* prediction errors of the curve fitted on the other groups */
    double base_rmse;         /* the same for the constant (weighted) mean of the other groups' y */
} FitLomoGroup;

typedef struct {
    int ngroups, nfailed, n, nclamped;
    double rmse, base_rmse;   /* pooled over all held-out predictions of the successful folds */
} FitLomo;

void fit_spec_default(FitSpec *s, FitFamily family);

/* Fit y ~ f(x) with optional weights w (NULL = 1; w = 0 drops a point).  Fills *m (also on
 * failure, with m->msg set) and returns FIT_OK or a FIT_ERR_* code. */
int fit_model(const FitSpec *spec, int n, const double *x, const double *y, const double *w, FitModel *m);

/* f(x), x clamped to [xmin, xmax] of the fit. */
double fit_eval(const FitModel *m, double x);

/* Statistics of a fitted model on the given points (§1.4 conventions). */
void fit_stats(const FitModel *m, int n, const double *x, const double *y, const double *w, FitStats *st);

/* Leave-one-group-out: group[i] in 0..ngroups-1.  per (ngroups entries) gets each fold;
 * pred and base (n entries each, or NULL) get every point's prediction by the curve fitted
 * without its group and by that fold's mean (NaN where the fold failed or w[i] = 0).
 * Returns FIT_OK, or FIT_ERR_ARG for bad input (fold failures are counted, not fatal). */
int fit_lomo(const FitSpec *spec, int n, const double *x, const double *y, const double *w,
             const int *group, int ngroups, FitLomoGroup *per, FitLomo *tot, double *pred, double *base);

/* Coefficients in the power basis of u (not t or s), same layout as m->coef; for the rational the
 * numerator and denominator are divided by the denominator's constant term when it is non-zero. */
void fit_coef_in_u(const FitModel *m, double *out);

/* Real parts of the roots of c[0] + c[1] z + ... + c[deg] z^deg (companion-matrix eigenvalues);
 * complex pairs contribute their real part (harmless for extremum search).  Returns the count
 * (leading coefficients below 1e-14 of the largest are dropped), or -1 on LAPACK error. */
int fit_poly_root_reals(const double *c, int deg, double *re);

/* Exact minimum of a polynomial on [a, b] (end points and real roots of its derivative);
 * *argmin (may be NULL) gets the minimiser. */
double fit_poly_min(const double *c, int deg, double a, double b, double *argmin);

/* Human-readable family name ("poly", "rational", "piecewise") and transform name. */
const char *fit_family_name(FitFamily f);
const char *fit_transform_name(FitTransform t);

#endif
