/* t_fit.c — constrained least squares (lsq.c), curve families and statistics (fit.c) and the
 * `mta fit` driver (fit_cmd.c).
 *
 * Expected values: hand computations, an independent brute-force method (exhaustive active-set
 * enumeration on the KKT / normal equations, solved with LAPACK dgesv), synthetic data from known
 * curves (noiseless: exact recovery; fixed-seed noise: stated tolerances), and the R² values the
 * reference published for its per-model fits on the reference CIFAR-10 table
 * (tests/fixtures/reference-ptq-data-cifar10.tsv, or $MTA_REF_TSV; skipped when absent). */
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lapacke.h>

#include "cli/commands.h"
#include "fit/fit.h"
#include "fit/lsq.h"
#include "tap.h"

/* ---------------------------------------------------------------------------------------------
 * helpers */

/* TAP "TODO" test: reported, never counted as a failure. */
static void ok_todo(int cond, const char *why, const char *name)
{
    TapState *t = tap_state();
    t->run++;
    printf("%sok %d - %s # TODO %s\n", cond ? "" : "not ", t->run, name, why);
    fflush(stdout);
}

static void skip(const char *why, const char *name)
{
    TapState *t = tap_state();
    t->run++;
    printf("ok %d - %s # SKIP %s\n", t->run, name, why);
    fflush(stdout);
}

/* Fixed-seed noise (splitmix64 + Box–Muller). */
static double urand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double nrand(uint64_t *s)
{
    double u = urand(s), v = urand(s);
    return sqrt(-2 * log(u)) * cos(6.283185307179586 * v);
}

static double polyval(const double *c, int deg, double x)
{
    double v = c[deg];
    for (int j = deg - 1; j >= 0; j--) v = v * x + c[j];
    return v;
}

static double max_rel_diff(const double *a, const double *b, int n)
{
    double m = 0;
    for (int i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]) / fmax(1.0, fabs(b[i])));
    return m;
}

/* Solve the square system M x = r (n x n row-major, destroyed) with dgesv; 0 on success. */
static int dense_solve(int n, double *M, double *r)
{
    lapack_int *piv = malloc(sizeof *piv * (size_t)n);
    int info = LAPACKE_dgesv(LAPACK_ROW_MAJOR, n, 1, M, n, piv, r, 1);
    free(piv);
    return info;
}

/* Independent LSEI reference: enumerate every subset S of the inequalities, solve the KKT
 * system [A^T W A, -C^T; C, 0] [c; l] = [A^T W y; d] with C = [E; G_S], keep the primal feasible
 * candidates with l_S >= 0, return the best objective's c.  k + me + mi small. */
static double lsei_brute(const LsqProblem *p, double *best_c)
{
    int k = p->k, best_set = 0;
    double best = INFINITY;
    for (unsigned S = 0; S < (1u << p->mi); S++) {
        int rows = p->me;
        for (int i = 0; i < p->mi; i++) rows += (S >> i) & 1;
        int N = k + rows;
        if (rows > k) continue;
        double *M = calloc((size_t)N * N, sizeof(double)), *r = calloc((size_t)N, sizeof(double));
        for (int i = 0; i < p->n; i++) {
            double w = p->w ? p->w[i] : 1.0;
            for (int a = 0; a < k; a++) {
                r[a] += w * p->A[i * k + a] * p->y[i];
                for (int b = 0; b < k; b++) M[a * N + b] += w * p->A[i * k + a] * p->A[i * k + b];
            }
        }
        int row = k;
        for (int i = 0; i < p->me + p->mi; i++) {
            int eq = i < p->me, gi = i - p->me;
            if (!eq && !((S >> gi) & 1)) continue;
            const double *cr = eq ? p->E + i * k : p->G + gi * k;
            for (int a = 0; a < k; a++) { M[row * N + a] = cr[a]; M[a * N + row] = -cr[a]; }
            r[row] = eq ? p->e[i] : p->h[gi];
            row++;
        }
        if (dense_solve(N, M, r) == 0) {
            int good = 1, li = k + p->me;
            for (int i = 0; i < p->mi; i++)
                if ((S >> i) & 1) good &= r[li++] >= -1e-10;
            for (int i = 0; i < p->mi && good; i++) {
                double g = -p->h[i];
                for (int a = 0; a < k; a++) g += p->G[i * k + a] * r[a];
                good &= g >= -1e-10;
            }
            if (good) {
                double obj = 0;
                for (int i = 0; i < p->n; i++) {
                    double d = -p->y[i];
                    for (int a = 0; a < k; a++) d += p->A[i * k + a] * r[a];
                    obj += (p->w ? p->w[i] : 1.0) * d * d;
                }
                if (obj < best) { best = obj; memcpy(best_c, r, sizeof(double) * (size_t)k); best_set = 1; }
            }
        }
        free(M); free(r);
    }
    return best_set ? best : NAN;
}

/* Stationarity: max |A^T W (A c - y) - G^T mu - E^T nu| relative to max |A^T W y|.
 * Complementarity: max over constraints with mu > 0 of |G_i c - h_i| relative to
 * |h_i| + sum_j |G_ij c_j| (multipliers can be large at a vertex, so mu * slack is not used). */
static void kkt_residuals(const LsqProblem *p, const LsqResult *r, double *stat, double *comp, double *mumin)
{
    int k = p->k;
    double *g = calloc((size_t)k, sizeof(double)), scale = 0;
    for (int a = 0; a < k; a++) {
        double s = 0;
        for (int i = 0; i < p->n; i++) {
            double w = p->w ? p->w[i] : 1.0, d = -p->y[i];
            for (int b = 0; b < k; b++) d += p->A[i * k + b] * r->c[b];
            g[a] += w * p->A[i * k + a] * d;
            s += fabs(w * p->A[i * k + a] * p->y[i]);
        }
        for (int i = 0; i < p->mi; i++) g[a] -= p->G[i * k + a] * r->mu[i];
        for (int i = 0; i < p->me; i++) g[a] -= p->E[i * k + a] * r->nu[i];
        scale = fmax(scale, s);
    }
    *stat = 0;
    for (int a = 0; a < k; a++) *stat = fmax(*stat, fabs(g[a]) / fmax(scale, 1e-300));
    *comp = 0;
    *mumin = INFINITY;
    for (int i = 0; i < p->mi; i++) {
        double s = -p->h[i], mag = fabs(p->h[i]);
        for (int b = 0; b < k; b++) { s += p->G[i * k + b] * r->c[b]; mag += fabs(p->G[i * k + b] * r->c[b]); }
        if (r->mu[i] > 0) *comp = fmax(*comp, fabs(s) / fmax(mag, 1e-300));
        *mumin = fmin(*mumin, r->mu[i]);
    }
    if (p->mi == 0) *mumin = 0;
    free(g);
}

/* ---------------------------------------------------------------------------------------------
 * LSQ core */

static void test_nnls_textbook(void)
{
    /* MATLAB lsqnonneg documentation example. */
    const double C[8] = {0.0372, 0.2869, 0.6861, 0.7071, 0.6233, 0.6245, 0.6344, 0.6170};
    const double d[4] = {0.8587, 0.1781, 0.0747, 0.8405};
    double x[2], dual[2];
    int it, st = lsq_nnls(4, 2, C, d, x, dual, &it);
    ok(st == LSQ_OK, "nnls textbook example converges (%d iterations)", it);
    is_close(x[0], 0.0, 1e-12, 0, "nnls textbook x1 = 0 (bound active)");
    is_close(x[1], 0.6929, 5e-5, 0, "nnls textbook x2 = 0.6929");
    double res = 0;
    for (int i = 0; i < 4; i++) { double r = d[i] - C[2 * i] * x[0] - C[2 * i + 1] * x[1]; res += r * r; }
    is_close(res, 0.8315, 5e-5, 0, "nnls textbook squared residual norm 0.8315");
    ok(dual[0] <= 1e-12 && fabs(dual[1]) < 1e-12, "nnls textbook KKT: dual %.3g <= 0 on the bound, %.3g = 0 free", dual[0], dual[1]);
}

/* NNLS against exhaustive enumeration of the positive set on random problems. */
static void test_nnls_brute(void)
{
    uint64_t s = 42;
    double worst = 0;
    int allok = 1;
    for (int trial = 0; trial < 200; trial++) {
        int m = 6, n = 1 + trial % 5;
        double A[30], b[6], x[5], best = INFINITY, bx[5] = {0};
        for (int i = 0; i < m * n; i++) A[i] = nrand(&s);
        for (int i = 0; i < m; i++) b[i] = nrand(&s);
        allok &= lsq_nnls(m, n, A, b, x, NULL, NULL) == LSQ_OK;
        for (unsigned P = 0; P < (1u << n); P++) {   /* LS on the columns in P, others zero */
            int np = 0, idx[5];
            for (int j = 0; j < n; j++) if ((P >> j) & 1) idx[np++] = j;
            double M[25] = {0}, r[5] = {0}, z[5] = {0};
            for (int a = 0; a < np; a++) {
                for (int i = 0; i < m; i++) r[a] += A[i * n + idx[a]] * b[i];
                for (int c = 0; c < np; c++)
                    for (int i = 0; i < m; i++) M[a * np + c] += A[i * n + idx[a]] * A[i * n + idx[c]];
            }
            if (np && dense_solve(np, M, r)) continue;
            int feas = 1;
            for (int a = 0; a < np; a++) { feas &= r[a] >= 0; z[idx[a]] = r[a]; }
            if (!feas) continue;
            double obj = 0;
            for (int i = 0; i < m; i++) {
                double d = b[i];
                for (int j = 0; j < n; j++) d -= A[i * n + j] * z[j];
                obj += d * d;
            }
            if (obj < best) { best = obj; memcpy(bx, z, sizeof bx); }
        }
        worst = fmax(worst, max_rel_diff(x, bx, n));
    }
    ok(allok && worst < 1e-9, "nnls agrees with exhaustive enumeration on 200 random problems (max diff %.2g)", worst);
}

static void line_problem(LsqProblem *p, double *A, double *y, int n, double slope)
{
    for (int i = 0; i < n; i++) {
        double x = i * 0.5;
        A[2 * i] = 1; A[2 * i + 1] = x;
        y[i] = 0.3 + slope * x + 0.05 * ((i * 7) % 5 - 2);   /* deterministic wiggle */
    }
    memset(p, 0, sizeof *p);
    p->n = n; p->k = 2; p->A = A; p->y = y;
}

static void test_lsei_active_inactive(void)
{
    enum { N = 11 };
    double A[2 * N], y[N], c[2], mu[1], cu[2];
    LsqProblem p;
    line_problem(&p, A, y, N, 2.0);
    LsqResult ru = {.c = cu};
    ok(lsq_solve(&p, &ru) == LSQ_OK, "unconstrained line fit solves");
    /* slope <= 1, written -c1 >= -1: active (the data slope is 2) */
    double G[2] = {0, -1}, h[1] = {-1};
    p.mi = 1; p.G = G; p.h = h;
    LsqResult r = {.c = c, .mu = mu};
    int st = lsq_solve(&p, &r);
    double xm = 0, ym = 0;
    for (int i = 0; i < N; i++) { xm += A[2 * i + 1] / N; ym += y[i] / N; }
    ok(st == LSQ_OK && r.n_active == 1, "slope <= 1 with data slope 2: solves, constraint active");
    is_close(c[1], 1.0, 1e-12, 0, "active constraint: solution on the boundary slope = 1");
    is_close(c[0], ym - xm, 1e-12, 0, "active constraint: intercept = mean(y) - mean(x) (by hand)");
    double stat, comp, mumin;
    kkt_residuals(&p, &r, &stat, &comp, &mumin);
    ok(stat < 1e-12 && comp < 1e-12 && mumin > 0,
       "active constraint KKT: stationarity %.2g, complementarity %.2g, mu %.4g > 0", stat, comp, mu[0]);
    /* slope <= 5: inactive */
    h[0] = -5;
    st = lsq_solve(&p, &r);
    ok(st == LSQ_OK && r.n_active == 0 && mu[0] == 0, "slope <= 5: solves, constraint inactive, mu = 0");
    ok(max_rel_diff(c, cu, 2) < 1e-14, "inactive constraint: equals the unconstrained solution (diff %.2g)", max_rel_diff(c, cu, 2));
    /* infeasible: slope >= 2 and slope <= 1 */
    double G2[4] = {0, 1, 0, -1}, h2[2] = {2, -1};
    p.mi = 2; p.G = G2; p.h = h2;
    double mu2[2];
    LsqResult r2 = {.c = c, .mu = mu2};
    ok(lsq_solve(&p, &r2) == LSQ_ERR_INFEASIBLE, "slope >= 2 and slope <= 1: reported infeasible");
    /* rank deficient: two identical columns */
    double B[2 * N];
    for (int i = 0; i < N; i++) B[2 * i] = B[2 * i + 1] = A[2 * i + 1];
    LsqProblem q = {N, 2, B, y, NULL, 0, NULL, NULL, 0, NULL, NULL};
    ok(lsq_solve(&q, &r) == LSQ_ERR_RANK, "identical columns: reported rank deficient");
}

static void test_lsei_equality(void)
{
    enum { N = 11 };
    double A[2 * N], y[N], c[2], nu[1];
    LsqProblem p;
    line_problem(&p, A, y, N, 2.0);
    double E[2] = {1, 3}, e[1] = {4};                 /* the line passes through (3, 4) */
    p.me = 1; p.E = E; p.e = e;
    LsqResult r = {.c = c, .nu = nu};
    ok(lsq_solve(&p, &r) == LSQ_OK, "line through a fixed point solves");
    is_close(c[0] + 3 * c[1], 4.0, 1e-12, 0, "equality constraint holds");
    double stat, comp, mumin;
    kkt_residuals(&p, &r, &stat, &comp, &mumin);
    ok(stat < 1e-12, "equality KKT stationarity %.2g", stat);
    double bc[2];
    lsei_brute(&p, bc);
    ok(max_rel_diff(c, bc, 2) < 1e-10, "equality solution equals the KKT-system solution (diff %.2g)", max_rel_diff(c, bc, 2));
}

/* Random LSEI problems against the exhaustive KKT enumeration. */
static void test_lsei_brute(void)
{
    uint64_t s = 7;
    double worst = 0, worst_kkt = 0;
    int solved = 0, infeasible_ok = 1, n_inf = 0;
    for (int trial = 0; trial < 300; trial++) {
        int n = 8, k = 2 + trial % 3, me = trial % 4 == 0 ? 1 : 0, mi = 1 + trial % 5;
        double A[32], y[8], E[4], e[1], G[20], h[5], w[8], c[4], mu[5], nu[1], bc[4];
        for (int i = 0; i < n * k; i++) A[i] = nrand(&s);
        for (int i = 0; i < n; i++) { y[i] = 3 * nrand(&s); w[i] = 0.5 + urand(&s); }
        for (int i = 0; i < me * k; i++) E[i] = nrand(&s);
        e[0] = nrand(&s);
        for (int i = 0; i < mi * k; i++) G[i] = nrand(&s);
        for (int i = 0; i < mi; i++) h[i] = nrand(&s);
        LsqProblem p = {n, k, A, y, w, me, E, e, mi, G, h};
        LsqResult r = {.c = c, .mu = mu, .nu = nu};
        int st = lsq_solve(&p, &r);
        double best = lsei_brute(&p, bc);
        if (isnan(best)) { n_inf++; infeasible_ok &= st == LSQ_ERR_INFEASIBLE; continue; }
        if (st != LSQ_OK) { worst = INFINITY; continue; }
        solved++;
        worst = fmax(worst, max_rel_diff(c, bc, k));
        double stat, comp, mumin;
        kkt_residuals(&p, &r, &stat, &comp, &mumin);
        worst_kkt = fmax(worst_kkt, fmax(stat, comp));
        if (mumin < 0) worst_kkt = INFINITY;
    }
    ok(worst < 1e-9, "LSEI equals exhaustive active-set enumeration on %d random weighted problems (max diff %.2g)", solved, worst);
    ok(worst_kkt < 1e-9, "LSEI solutions satisfy KKT (worst residual %.2g, mu >= 0)", worst_kkt);
    ok(infeasible_ok, "LSEI reports the %d infeasible random problems as infeasible", n_inf);
}

/* Weight 2 on a row equals the row twice; weight 0 drops it. */
static void test_weights(void)
{
    double x[6] = {0, 1, 2, 3, 4, 5}, y[6] = {0.1, 0.9, 2.3, 2.8, 4.4, 4.9}, w[6] = {1, 2, 1, 1, 0, 1};
    double xd[6] = {0, 1, 1, 2, 3, 5}, yd[6] = {0.1, 0.9, 0.9, 2.3, 2.8, 4.9};
    FitSpec s;
    fit_spec_default(&s, FIT_POLY);
    FitModel a, b;
    int st = fit_model(&s, 6, x, y, w, &a) | fit_model(&s, 6, xd, yd, NULL, &b);
    double ca[3], cb[3];
    fit_coef_in_u(&a, ca);
    fit_coef_in_u(&b, cb);
    ok(st == FIT_OK && max_rel_diff(ca, cb, 3) < 1e-12, "weights: w = 2 equals a duplicated row, w = 0 drops it (diff %.2g)", max_rel_diff(ca, cb, 3));
}

/* ---------------------------------------------------------------------------------------------
 * Polynomials */

static void test_poly_exact(void)
{
    const double c[4] = {1.0, 2.0, -0.5, 0.1};
    double x[30], y[30], got[4];
    for (int i = 0; i < 30; i++) { x[i] = 5.0 * i / 29; y[i] = polyval(c, 3, x[i]); }
    FitSpec s;
    fit_spec_default(&s, FIT_POLY);
    s.degree = 3;
    FitModel m;
    int st = fit_model(&s, 30, x, y, NULL, &m);
    fit_coef_in_u(&m, got);
    ok(st == FIT_OK && max_rel_diff(got, c, 4) < 1e-12, "cubic recovered exactly from noiseless data (max diff %.2g)", max_rel_diff(got, c, 4));
    ok(m.stats.sse < 1e-25 && fabs(m.stats.r2 - 1) < 1e-14, "noiseless cubic: SSE %.2g, R2 = 1", m.stats.sse);
}

static void test_poly_noisy(void)
{
    const double c[3] = {0.5, -1.0, 0.8};
    enum { N = 200 };
    double x[N], y[N], got[3], sigma = 0.01;
    uint64_t seed = 2024;
    for (int i = 0; i < N; i++) { x[i] = 2.0 * i / (N - 1); y[i] = polyval(c, 2, x[i]) + sigma * nrand(&seed); }
    FitSpec s;
    fit_spec_default(&s, FIT_POLY);
    FitModel m;
    int st = fit_model(&s, N, x, y, NULL, &m);
    fit_coef_in_u(&m, got);
    double d = 0;
    for (int j = 0; j < 3; j++) d = fmax(d, fabs(got[j] - c[j]));
    /* coefficient standard errors here are <= 0.005 (sigma 0.01, 200 points on [0, 2]) */
    ok(st == FIT_OK && d < 0.01, "noisy quadratic (sigma 0.01, seed 2024): coefficients within 0.01 (max error %.4f)", d);
    is_close(m.stats.rmse, sigma, 0, 0.15, "noisy quadratic: RMSE within 15% of the noise sigma");
}

/* y = x^3 - 1.5x^2 + 0.6x is decreasing on (0.276, 0.724): the monotone fit must fix that. */
static void test_poly_monotone(void)
{
    const double c[4] = {0, 0.6, -1.5, 1.0};
    enum { N = 41 };
    double x[N], y[N];
    for (int i = 0; i < N; i++) { x[i] = (double)i / (N - 1); y[i] = polyval(c, 3, x[i]); }
    FitSpec s;
    fit_spec_default(&s, FIT_POLY);
    s.degree = 3;
    FitModel u, m;
    fit_model(&s, N, x, y, NULL, &u);
    double dc[3] = {u.coef[1], 2 * u.coef[2], 3 * u.coef[3]};
    /* p'(x) = 3x^2 - 3x + 0.6 has its minimum -0.15 at x = 0.5; dx/dt = 1/2 */
    is_close(fit_poly_min(dc, 2, -1, 1, NULL), -0.075, 1e-12, 0, "unconstrained cubic fit is not monotone: min dp/dt = -0.075 (by hand)");
    s.monotone = FIT_MONO_EXACT;
    int st = fit_model(&s, N, x, y, NULL, &m);
    ok(st == FIT_OK && m.monotone_exact == 1, "monotone cubic: exact verification holds (min slope %.3g, %d refinements, %d active)",
       m.min_slope, m.refinements, m.n_active);
    double worst = INFINITY, prev = fit_eval(&m, 0);
    for (int i = 1; i <= 100000; i++) {
        double v = fit_eval(&m, i / 100000.0);
        worst = fmin(worst, v - prev);
        prev = v;
    }
    ok(worst >= -1e-14, "monotone cubic non-decreasing on 1e5 points (min step %.2g)", worst);
    ok(m.stats.sse > u.stats.sse && m.n_active > 0, "monotone cubic: SSE %.4g above the unconstrained %.2g, constraints active", m.stats.sse, u.stats.sse);
    s.degree = 5;
    st = fit_model(&s, N, x, y, NULL, &m);
    ok(st == FIT_OK && m.monotone_exact == 1, "monotone quintic: exact verification holds (min slope %.3g, %d refinements)", m.min_slope, m.refinements);
}

/* x spanning 1e-8..30 (§3.6). */
static void test_ill_conditioned(void)
{
    enum { N = 60 };
    double x[N], y[N], got[6];
    x[0] = 0;
    for (int i = 1; i < N; i++) x[i] = 1e-8 * pow(30 / 1e-8, (i - 1.0) / (N - 2));
    /* (a) raw monomials 1, x, x^2, x^3 straight into the core: column scaling copes */
    const double c3[4] = {0.5, 2.0, -0.1, 0.003};
    double A[4 * N], c[4];
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < 4; j++) A[4 * i + j] = pow(x[i], j);
        y[i] = polyval(c3, 3, x[i]);
    }
    LsqProblem p = {N, 4, A, y, NULL, 0, NULL, NULL, 0, NULL, NULL};
    LsqResult r = {.c = c};
    int st = lsq_solve(&p, &r);
    ok(st == LSQ_OK && max_rel_diff(c, c3, 4) < 1e-8, "raw monomials on x in [0, 1e-8..30]: cubic recovered (diff %.2g, scaled cond %.3g)", max_rel_diff(c, c3, 4), r.cond);
    /* (b) degree 5 in the scaled variable */
    const double c5[6] = {0.1, 0.5, -0.02, 1e-3, -2e-5, 1e-7};
    for (int i = 0; i < N; i++) y[i] = polyval(c5, 5, x[i]);
    FitSpec s;
    fit_spec_default(&s, FIT_POLY);
    s.degree = 5;
    FitModel m;
    st = fit_model(&s, N, x, y, NULL, &m);
    double err = 0;
    for (int i = 0; i < N; i++) err = fmax(err, fabs(fit_eval(&m, x[i]) - y[i]));
    fit_coef_in_u(&m, got);
    ok(st == FIT_OK && err < 1e-12 && max_rel_diff(got, c5, 6) < 1e-9,
       "degree 5 on x in [0, 1e-8..30]: curve error %.2g, coefficients diff %.2g (cond %.3g)", err, max_rel_diff(got, c5, 6), m.cond);
    /* (c) log10 transform: y quadratic in log10(x + 1e-9) */
    const double cl[3] = {0.3, 0.2, 0.05};
    for (int i = 0; i < N; i++) y[i] = polyval(cl, 2, log10(x[i] + 1e-9));
    fit_spec_default(&s, FIT_POLY);
    s.transform = FIT_X_LOG10;
    s.x0 = 1e-9;
    st = fit_model(&s, N, x, y, NULL, &m);
    fit_coef_in_u(&m, got);
    ok(st == FIT_OK && max_rel_diff(got, cl, 3) < 1e-10, "log10(x + 1e-9) quadratic recovered (diff %.2g)", max_rel_diff(got, cl, 3));
    /* (d) monotone degree 5 on the same x, data with a dip */
    for (int i = 0; i < N; i++) y[i] = tanh(x[i] / 3) - 0.05 * exp(-(x[i] - 10) * (x[i] - 10));
    fit_spec_default(&s, FIT_POLY);
    s.degree = 5;
    s.monotone = FIT_MONO_EXACT;
    st = fit_model(&s, N, x, y, NULL, &m);
    ok(st == FIT_OK && m.monotone_exact == 1, "monotone degree 5 on x in [0, 1e-8..30]: exactly monotone (min slope %.3g)", m.min_slope);
}

/* ---------------------------------------------------------------------------------------------
 * Rational */

static void test_rational_recovery(void)
{
    enum { N = 40 };
    double x[N], y[N], got[6];
    /* f = (1 + 2x + 0.5x^2)/(1 + 0.5x + 0.25x^2) on [0, 10], noiseless */
    const double P[3] = {1, 2, 0.5}, Q[3] = {1, 0.5, 0.25};
    for (int i = 0; i < N; i++) { x[i] = 10.0 * i / (N - 1); y[i] = polyval(P, 2, x[i]) / polyval(Q, 2, x[i]); }
    FitSpec s;
    fit_spec_default(&s, FIT_RATIONAL);
    FitModel m;
    int st = fit_model(&s, N, x, y, NULL, &m);
    fit_coef_in_u(&m, got);
    double want[6] = {1, 2, 0.5, 1, 0.5, 0.25};
    ok(st == FIT_OK && max_rel_diff(got, want, 6) < 1e-7, "rational d=2 recovered from noiseless data (diff %.2g, %d/%d starts at the best)",
       max_rel_diff(got, want, 6), m.starts_at_best, m.starts);
    /* saturating monotone curve 18x^2/(1 + 6x + 20x^2), points dense near 0 (like acc_loss) */
    const double P2[3] = {0, 0, 18}, Q2[3] = {1, 6, 20};
    x[0] = 0;
    for (int i = 1; i < N; i++) x[i] = pow(10.0, -3 + 4.0 * (i - 1) / (N - 2));
    for (int i = 0; i < N; i++) y[i] = polyval(P2, 2, x[i]) / polyval(Q2, 2, x[i]);
    s.monotone = FIT_MONO_EXACT;
    st = fit_model(&s, N, x, y, NULL, &m);
    fit_coef_in_u(&m, got);
    double want2[6] = {0, 0, 18, 1, 6, 20};
    ok(st == FIT_OK && max_rel_diff(got, want2, 6) < 1e-6 && m.monotone_exact == 1,
       "monotone saturating rational recovered (diff %.2g), exactly monotone", max_rel_diff(got, want2, 6));
    /* the same with fixed-seed noise sigma 0.005: curve within 0.01 of the truth */
    uint64_t seed = 99;
    for (int i = 0; i < N; i++) y[i] += 0.005 * nrand(&seed);
    st = fit_model(&s, N, x, y, NULL, &m);
    double err = 0;
    for (int i = 0; i <= 1000; i++) {
        double xi = 10.0 * i / 1000;
        err = fmax(err, fabs(fit_eval(&m, xi) - polyval(P2, 2, xi) / polyval(Q2, 2, xi)));
    }
    ok(st == FIT_OK && err < 0.01 && m.monotone_exact == 1, "noisy monotone rational (sigma 0.005, seed 99): curve within 0.01 (max error %.4f)", err);
    ok(m.stats.m_ref == 6 && m.stats.k_eff == 5 && fabs(m.stats.rmse - sqrt(m.stats.sse / (N - 6))) < 1e-15 &&
       fabs(m.stats.adj_r2 - (1 - (1 - m.stats.r2) * (N - 1) / (N - 6))) < 1e-15,
       "rational statistics: RMSE = sqrt(SSE/(n-6)), adjusted R2 with n-6 (reference convention)");
}

static void test_poles(void)
{
    /* Q(s) = 1 - 3s + 2s^2 = (1 - s)(1 - 2s): roots 0.5 and 1 */
    const double q[3] = {1, -3, 2};
    double re[2], arg;
    int nr = fit_poly_root_reals(q, 2, re);
    double lo = fmin(re[0], re[1]), hi = fmax(re[0], re[1]);
    ok(nr == 2 && fabs(lo - 0.5) < 1e-14 && fabs(hi - 1) < 1e-14, "companion roots of (1-s)(1-2s): %.15g, %.15g", lo, hi);
    ok(fit_poly_min(q, 2, 0, 1, &arg) < 0 && fabs(arg - 0.75) < 1e-14, "pole check: min of Q on [0, 1] is negative (at %.3g)", arg);
    ok(fit_poly_min(q, 2, 0, 0.4, NULL) > 0, "pole check: Q has no root on [0, 0.4]");
    /* a double root (Q touches zero without a sign change) is a pole too */
    const double q2[3] = {0.25, -1, 1};     /* (s - 0.5)^2 */
    ok(fit_poly_min(q2, 2, 0, 1, NULL) <= 1e-15, "pole check: a double root in range is detected");
    /* data from 1/(x - 0.55): the fit must not put a pole in [0, 1] */
    enum { N = 40 };
    double x[N], y[N];
    int n = 0;
    for (int i = 0; i < 44; i++) {
        double xi = i / 43.0;
        if (fabs(xi - 0.55) < 0.05) continue;
        x[n] = xi; y[n] = 1 / (xi - 0.55); n++;
    }
    FitSpec s;
    fit_spec_default(&s, FIT_RATIONAL);
    FitModel m;
    int st = fit_model(&s, n, x, y, NULL, &m);
    double qmin = INFINITY;
    for (int i = 0; i <= 100000; i++) qmin = fmin(qmin, polyval(m.coef + 3, 2, i / 100000.0));
    ok((st == FIT_OK && m.pole_free == 1 && m.q_min > 0 && qmin > 0) || st == FIT_ERR_POLE,
       "data with a pole inside the range: fit is pole-free or reported (status %d, Q min %.3g)", st, m.q_min);
    ok(st != FIT_OK || m.near_pole == 1, "data with a pole inside the range: the near-pole is flagged");
}

/* ---------------------------------------------------------------------------------------------
 * Piecewise */

static void test_piecewise(void)
{
    enum { N = 81 };
    double x[N], y[N];
    uint64_t seed = 5;
    for (int i = 0; i < N; i++) {
        x[i] = 4.0 * i / (N - 1);
        y[i] = (x[i] < 2 ? x[i] : 2 + 0.25 * (x[i] - 2)) + 0.001 * nrand(&seed);
    }
    FitSpec s;
    fit_spec_default(&s, FIT_PIECEWISE);
    s.nbreaks = 1;
    s.breaks[0] = 2;
    FitModel m;
    int st = fit_model(&s, N, x, y, NULL, &m);
    double tb = m.tb[0], left = polyval(m.coef, 1, tb), right = polyval(m.coef + 2, 1, tb);
    ok(st == FIT_OK && fabs(left - right) < 1e-12, "piecewise linear: continuous at the break (jump %.2g)", left - right);
    double cu[4];
    fit_coef_in_u(&m, cu);
    ok(fabs(cu[1] - 1) < 0.005 && fabs(cu[3] - 0.25) < 0.005, "piecewise linear: slopes %.4f and %.4f (want 1, 0.25, tol 0.005)", cu[1], cu[3]);
    ok(m.stats.k_eff == 3, "piecewise linear with one break has 3 free parameters");
    /* smooth quadratic pieces: value and slope continuous */
    s.degree = 2;
    s.smooth = 1;
    st = fit_model(&s, N, x, y, NULL, &m);
    tb = m.tb[0];
    double dl = m.coef[1] + 2 * m.coef[2] * tb, dr = m.coef[4] + 2 * m.coef[5] * tb;
    ok(st == FIT_OK && fabs(polyval(m.coef, 2, tb) - polyval(m.coef + 3, 2, tb)) < 1e-12 && fabs(dl - dr) < 1e-11,
       "smooth piecewise quadratic: value and slope continuous at the break");
    /* plateau after the break */
    s.smooth = 0;
    s.plateau = 1;
    s.breaks[0] = 3;
    st = fit_model(&s, N, x, y, NULL, &m);
    ok(st == FIT_OK && m.coef[4] == 0 && m.coef[5] == 0 && fabs(fit_eval(&m, 3.5) - fit_eval(&m, 3)) < 1e-12 &&
       fabs(fit_eval(&m, 3 - 1e-9) - fit_eval(&m, 3)) < 1e-8, "piecewise with plateau: constant and continuous after the break");
    /* rational then plateau (flops_sep.m): data from R(min(x, 2)) */
    const double P2[3] = {0, 0, 18}, Q2[3] = {1, 6, 20};
    for (int i = 0; i < N; i++) { x[i] = 5.0 * i / (N - 1); double z = fmin(x[i], 2); y[i] = polyval(P2, 2, z) / polyval(Q2, 2, z); }
    fit_spec_default(&s, FIT_RATIONAL);
    s.nbreaks = 1;
    s.breaks[0] = 2;
    s.monotone = FIT_MONO_EXACT;
    st = fit_model(&s, N, x, y, NULL, &m);
    ok(st == FIT_OK && m.stats.sse < 1e-16 && fit_eval(&m, 4) == fit_eval(&m, 2) && m.monotone_exact == 1,
       "rational then plateau at b = 2: recovered (SSE %.2g), constant after b, exactly monotone", m.stats.sse);
}

/* ---------------------------------------------------------------------------------------------
 * Statistics and LOMO */

static void test_stats_by_hand(void)
{
    double x[5] = {0, 1, 2, 3, 4}, y[5] = {0, 1, 1, 3, 5};
    FitSpec s;
    fit_spec_default(&s, FIT_POLY);
    s.degree = 1;
    FitModel m;
    fit_model(&s, 5, x, y, NULL, &m);
    /* line -0.4 + 1.2x; residuals 0.4 0.2 -1 -0.2 0.6: SSE 1.6, SST 16 */
    is_close(m.stats.sse, 1.6, 1e-13, 0, "line by hand: SSE 1.6");
    is_close(m.stats.r2, 0.9, 1e-14, 0, "line by hand: R2 0.9");
    is_close(m.stats.rmse, sqrt(1.6 / 3), 1e-14, 0, "line by hand: RMSE sqrt(1.6/3)");
    is_close(m.stats.adj_r2, 1 - 0.1 * 4 / 3, 1e-14, 0, "line by hand: adjusted R2 1 - 0.1*4/3");
}

/* Three groups; line fits; held-out x outside the training range are clamped (§3.5). */
static const double lomo_x[6] = {0, 1, 2, 3, 4, 5}, lomo_y[6] = {0, 1, 2, 3, 5, 6};
static const int lomo_g[6] = {0, 0, 1, 1, 2, 2};

static void lomo_by_hand(double rm[3], double bm[3], double *pooled, double *pooled_base)
{
    /* fold A: train B+C, line -0.9 + 1.4x, A's x clamp to 2 -> 1.9; baseline mean 4 */
    rm[0] = sqrt((1.9 * 1.9 + 0.9 * 0.9) / 2);
    bm[0] = sqrt((16 + 9) / 2.0);
    /* fold B: train A+C, line (-1.5 + 21x)/17 at 2, 3 -> errors 6.5/17, 10.5/17; baseline mean 3 */
    rm[1] = sqrt((6.5 * 6.5 + 10.5 * 10.5) / 2) / 17;
    bm[1] = sqrt(0.5);
    /* fold C: train A+B, line y = x, C's x clamp to 3 -> errors 2, 3; baseline mean 1.5 */
    rm[2] = sqrt(6.5);
    bm[2] = sqrt((3.5 * 3.5 + 4.5 * 4.5) / 2);
    *pooled = sqrt((2 * rm[0] * rm[0] + 2 * rm[1] * rm[1] + 2 * rm[2] * rm[2]) / 6);
    *pooled_base = sqrt((2 * bm[0] * bm[0] + 2 * bm[1] * bm[1] + 2 * bm[2] * bm[2]) / 6);
}

static void test_lomo_by_hand(void)
{
    FitSpec s;
    fit_spec_default(&s, FIT_POLY);
    s.degree = 1;
    FitLomoGroup per[3];
    FitLomo tot;
    double rm[3], bm[3], pr, pb, pred[6], base[6];
    lomo_by_hand(rm, bm, &pr, &pb);
    int st = fit_lomo(&s, 6, lomo_x, lomo_y, NULL, lomo_g, 3, per, &tot, pred, base);
    ok(st == FIT_OK && tot.nfailed == 0 && tot.n == 6 && tot.nclamped == 4, "LOMO on 3 hand groups: 3 folds, 6 predictions, 4 clamped");
    double d = 0;
    for (int g = 0; g < 3; g++) d = fmax(d, fmax(fabs(per[g].rmse - rm[g]), fabs(per[g].base_rmse - bm[g])));
    ok(d < 1e-13, "LOMO per-group RMSE and baseline RMSE equal the hand values (max diff %.2g)", d);
    is_close(tot.rmse, pr, 1e-13, 0, "LOMO pooled RMSE equals the hand value");
    is_close(tot.base_rmse, pb, 1e-13, 0, "LOMO pooled baseline RMSE equals the hand value");
    is_close(per[2].maxerr, 3, 1e-13, 0, "LOMO fold C max |error| = 3");
    is_close(per[2].mae, 2.5, 1e-13, 0, "LOMO fold C mean |error| = 2.5");
    /* the per-point predictions give back each fold's RMSE and baseline RMSE */
    double dp = 0;
    for (int g = 0; g < 3; g++) {
        double se = 0, be = 0;
        int k = 0;
        for (int i = 0; i < 6; i++)
            if (lomo_g[i] == g) { se += (pred[i] - lomo_y[i]) * (pred[i] - lomo_y[i]); be += (base[i] - lomo_y[i]) * (base[i] - lomo_y[i]); k++; }
        dp = fmax(dp, fmax(fabs(sqrt(se / k) - rm[g]), fabs(sqrt(be / k) - bm[g])));
    }
    ok(dp < 1e-13, "LOMO per-point predictions reproduce every fold's RMSE and baseline RMSE (max diff %.2g)", dp);
}

/* ---------------------------------------------------------------------------------------------
 * Reference CIFAR-10 table */

typedef struct { int n; double x[400], y[400]; int g[400]; } RefData;

static const char *ref_models[9] = {"AlexNet", "AlexNet_BN", "VGG_16", "VGG_19", "Inception_BN",
                                    "MobileNetV2", "ResNet_18", "ResNet_50", "ResNet_152"};
/* ALL/README.md per-model R2 of js_flops -> acc_loss (spec fitting-and-reports §4.1) */
static const double ref_r2[9] = {0.9819, 0.9878, 0.9727, 0.9648, 0.8693, 0.9652, 0.9181, 0.9011, 0.8994};

static const char *ref_path(void)
{
    static const char *cands[] = {"tests/fixtures/reference-ptq-data-cifar10.tsv",
                                  "../tests/fixtures/reference-ptq-data-cifar10.tsv"};
    const char *env = getenv("MTA_REF_TSV");
    if (env) return access(env, R_OK) == 0 ? env : NULL;
    for (size_t i = 0; i < sizeof cands / sizeof *cands; i++)
        if (access(cands[i], R_OK) == 0) return cands[i];
    return NULL;
}

/* Columns 2 model, 5 js_flops, 10 acc_loss of the reference TSV. */
static int ref_load(const char *path, RefData *d)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    if (!f) return -1;
    d->n = 0;
    if (!fgets(line, sizeof line, f) || strncmp(line, "dataset\tmodel\tfull_acc\ttitle\tjs_flops", 37)) { fclose(f); return -1; }
    while (fgets(line, sizeof line, f) && d->n < 400) {
        char *tok[10], *save = NULL;
        int k = 0;
        for (char *t = strtok_r(line, "\t\n", &save); t && k < 10; t = strtok_r(NULL, "\t\n", &save)) tok[k++] = t;
        if (k != 10) continue;
        int g = -1;
        for (int j = 0; j < 9; j++)
            if (!strcmp(tok[1], ref_models[j])) g = j;
        if (g < 0) continue;
        d->x[d->n] = strtod(tok[4], NULL);
        d->y[d->n] = strtod(tok[9], NULL);
        d->g[d->n] = g;
        d->n++;
    }
    fclose(f);
    return d->n == 387 ? 0 : -1;
}

static void ref_model_fits(const RefData *d, int mode, double r2[9], FitModel *ms)
{
    for (int g = 0; g < 9; g++) {
        double x[43], y[43];
        int n = 0;
        for (int i = 0; i < d->n; i++)
            if (d->g[i] == g) { x[n] = d->x[i]; y[n] = d->y[i]; n++; }
        FitSpec s;
        fit_spec_default(&s, FIT_RATIONAL);
        s.monotone = mode;
        s.mono_step = 0.5;
        int st = fit_model(&s, n, x, y, NULL, &ms[g]);
        r2[g] = st == FIT_OK ? ms[g].stats.r2 : NAN;
    }
}

static void test_reference(void)
{
    static RefData d;
    const char *path = ref_path();
    if (!path || ref_load(path, &d)) {
        for (int i = 0; i < 23; i++) skip("reference TSV not found (tests/fixtures or $MTA_REF_TSV)", "reference CIFAR-10 fits");
        return;
    }
    diag("reference table %s: %d rows", path, d.n);
    static FitModel ms[9];
    double r2[9];
    /* What flops.m did (spec §2.1): d = 2 rational, monotone check on the grid xmin:0.5:xmax with
     * tolerance 0 -- here imposed as a constraint; plus our exact pole check. */
    ref_model_fits(&d, FIT_MONO_GRID, r2, ms);
    for (int g = 0; g < 9; g++)
        ok(r2[g] >= ref_r2[g] - 5e-5, "%s d=2 rational, grid-monotone h=0.5: R2 %.4f >= published %.4f (RMSE %.4f, exactly monotone: %s)",
           ref_models[g], r2[g], ref_r2[g], ms[g].stats.rmse, ms[g].monotone_exact ? "yes" : "no");
    /* The stricter default: monotone everywhere on the range, verified exactly. */
    ref_model_fits(&d, FIT_MONO_EXACT, r2, ms);
    for (int g = 0; g < 9; g++) {
        char name[200];
        snprintf(name, sizeof name, "%s d=2 rational, exactly monotone: R2 %.4f >= published %.4f (exact: %s)",
                 ref_models[g], r2[g], ref_r2[g], ms[g].monotone_exact == 1 ? "yes" : "no");
        if (g == 4 || g == 6)   /* Inception_BN, ResNet_18: the published curves dip between grid points */
            ok_todo(r2[g] >= ref_r2[g] - 5e-5, "published fit is not monotone between its h=0.5 grid points; exact monotonicity costs R2 here", name);
        else
            ok(r2[g] >= ref_r2[g] - 5e-5 && ms[g].monotone_exact == 1, "%s", name);
    }
    /* Pooled (flops_all.m, ALL-cifar10-ptq.png: SSE 19.6316, R2 0.5185, RMSE 0.2270, n = 387). */
    FitSpec s;
    fit_spec_default(&s, FIT_RATIONAL);
    s.monotone = FIT_MONO_GRID;
    s.mono_step = 0.5;
    FitModel all;
    int st = fit_model(&s, d.n, d.x, d.y, NULL, &all);
    ok(st == FIT_OK && all.stats.r2 >= 0.5185 - 5e-5 && all.stats.sse <= 19.6316 + 5e-5,
       "pooled d=2 rational (grid-monotone): R2 %.4f >= 0.5185, SSE %.4f <= 19.6316", all.stats.r2, all.stats.sse);
    ok(all.stats.n == 387 && fabs(all.stats.rmse - sqrt(all.stats.sse / 381)) < 1e-15,
       "pooled fit statistics: n = 387, RMSE %.4f = sqrt(SSE/381) (reference divisor)", all.stats.rmse);
    s.monotone = FIT_MONO_EXACT;
    st = fit_model(&s, d.n, d.x, d.y, NULL, &all);
    ok(st == FIT_OK && all.stats.r2 >= 0.5185 - 5e-5 && all.monotone_exact == 1,
       "pooled d=2 rational, exactly monotone: R2 %.4f >= 0.5185", all.stats.r2);
    /* Leave one model out (§3.5). */
    FitLomoGroup per[9];
    FitLomo tot;
    s.monotone = FIT_MONO_GRID;
    st = fit_lomo(&s, d.n, d.x, d.y, NULL, d.g, 9, per, &tot, NULL, NULL);
    for (int g = 0; g < 9; g++)
        diag("LOMO %-12s RMSE %.4f  MAE %.4f  max %.4f  baseline %.4f  clamped %d", ref_models[g], per[g].rmse,
             per[g].mae, per[g].maxerr, per[g].base_rmse, per[g].nclamped);
    ok(st == FIT_OK && tot.nfailed == 0 && tot.n == 387, "LOMO over the 9 models: all folds fitted");
    ok(tot.rmse < tot.base_rmse, "LOMO pooled RMSE %.4f below the predict-the-mean baseline %.4f", tot.rmse, tot.base_rmse);
}

/* ---------------------------------------------------------------------------------------------
 * cmd_fit */

/* Run cmd_fit with stderr captured into err. */
static int run_fit(char *err, size_t errsz, const char *dir, int argc, const char **args)
{
    char path[512], *argv[40];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
    argv[0] = "mta";
    argv[1] = "fit";
    for (int i = 0; i < argc && i < 37; i++) argv[i + 2] = (char *)args[i];
    argv[argc + 2] = NULL;
    int rc = cmd_fit(argc + 2, argv);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(err, 1, errsz - 1, f) : 0;
    err[n] = 0;
    if (f) fclose(f);
    return rc;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

/* Field col (0-based) of data row `row` (1-based after the header) of a TSV, or "". */
static void tsv_field(const char *path, int row, int col, char *out, size_t n)
{
    char line[8192];
    FILE *f = fopen(path, "r");
    out[0] = 0;
    for (int r = 0; f && fgets(line, sizeof line, f); r++)
        if (r == row) {
            char *p = line;
            for (int c = 0; c < col && p; c++) { p = strchr(p, '\t'); if (p) p++; }
            if (p) { size_t l = strcspn(p, "\t\n"); if (l >= n) l = n - 1; memcpy(out, p, l); out[l] = 0; }
            break;
        }
    if (f) fclose(f);
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, c;
    if (!f) return -1;
    while ((c = fgetc(f)) != EOF) n += c == '\n';
    fclose(f);
    return n;
}

static void test_cmd_fit(void)
{
    char dir[] = "/tmp/mta_t_fit_XXXXXX", tsv[256], bad[256], out[256], path[300], err[4096], field[256];
    if (!mkdtemp(dir)) { ok(0, "mkdtemp"); return; }
    snprintf(tsv, sizeof tsv, "%s/data.tsv", dir);
    snprintf(out, sizeof out, "%s/res", dir);
    char text[1024] = "model\tx\ty\tnote\n";
    for (int i = 0; i < 6; i++) {
        char row[128];
        snprintf(row, sizeof row, "%c\t%g\t%g\tz\n", "ABC"[lomo_g[i]], lomo_x[i], lomo_y[i]);
        strcat(text, row);
    }
    write_text(tsv, text);
    const char *args[] = {tsv, "--x", "x", "--y", "y", "--family", "poly", "--degree", "1", "--by", "model", "--out", out};
    int rc = run_fit(err, sizeof err, dir, 13, args);
    snprintf(path, sizeof path, "%s.coef.tsv", out);
    ok(rc == 0 && count_lines(path) == 5, "mta fit poly --by model: exit 0, coef.tsv has a header, 3 group rows and ALL");
    double rm[3], bm[3], pr, pb;
    lomo_by_hand(rm, bm, &pr, &pb);
    tsv_field(path, 3, 8, field, sizeof field);
    is_close(atof(field), rm[2], 1e-9, 0, "coef.tsv lomo_rmse of group C equals the hand value");
    tsv_field(path, 4, 8, field, sizeof field);
    is_close(atof(field), pr, 1e-9, 0, "coef.tsv ALL row carries the pooled LOMO RMSE");
    tsv_field(path, 4, 9, field, sizeof field);
    is_close(atof(field), pb, 1e-9, 0, "coef.tsv ALL row carries the pooled baseline RMSE");
    tsv_field(path, 4, 3, field, sizeof field);
    ok(strlen(field) > 0 && strchr(field, ','), "coef.tsv ALL coefficients: %s", field);
    {   /* every number in the shortest form that reads back as the same double */
        FILE *cf = fopen(path, "r");
        char line[8192];
        int cells = 0, shortest = 0;
        for (int ln = 0; cf && fgets(line, sizeof line, cf); ln++) {
            if (!ln) continue;
            for (char *tok = strtok(line, "\t\n,;"); tok; tok = strtok(NULL, "\t\n,;")) {
                char *end;
                double v = strtod(tok, &end);
                if (*end || end == tok || isnan(v) || isinf(v)) continue;
                cells++;
                char shorter[400];
                int digits = 0;
                for (const char *q = tok; *q && *q != 'e' && *q != 'E'; q++) digits += *q >= '0' && *q <= '9';
                snprintf(shorter, sizeof shorter, "%.*g", digits > 1 ? digits - 1 : 1, v);
                shortest += digits <= 1 || strtod(shorter, NULL) != v || strlen(shorter) >= strlen(tok);
            }
        }
        if (cf) fclose(cf);
        ok(cells > 20 && shortest == cells, "coef.tsv numbers are shortest round-trip (%d of %d cells)", shortest, cells);
    }
    ok(strstr(err, "mta fit: poly of y on x, 6 rows, 3 groups + the pooled ALL -> ") != NULL, "mta fit says what it fitted and wrote");
    snprintf(path, sizeof path, "%s.curve.tsv", out);
    ok(count_lines(path) == 1 + 4 * 230, "curve.tsv has 230 sampled points per row (%d lines)", count_lines(path));
    snprintf(path, sizeof path, "%s.lomo.tsv", out);
    {   /* the held-out predictions of group C give back its LOMO RMSE */
        double se = 0;
        int k = 0;
        for (int ln = 2; ln <= 7; ln++) {
            tsv_field(path, ln, 0, field, sizeof field);
            if (strcmp(field, "C")) continue;
            char yv[64];
            tsv_field(path, ln, 2, yv, sizeof yv);
            tsv_field(path, ln, 3, field, sizeof field);
            se += (atof(field) - atof(yv)) * (atof(field) - atof(yv));
            k++;
        }
        ok(count_lines(path) == 7 && k == 2 && fabs(sqrt(se / k) - rm[2]) < 1e-9,
           "lomo.tsv: one line per input row; group C's predictions give its LOMO RMSE (%d rows)", k);
    }
    snprintf(path, sizeof path, "ls %s | grep -c XXXX", dir);
    ok(run_cmd(NULL, 0, "ls %s | grep -q '\\.tsv\\.'", dir) != 0, "no temporary files left behind");

    /* malformed inputs */
    const char *a_missing[] = {tsv, "--x", "x", "--y", "nope", "--family", "poly", "--out", out};
    rc = run_fit(err, sizeof err, dir, 9, a_missing);
    ok(rc == 2 && strstr(err, "data.tsv:1: no column 'nope'") && strstr(err, "columns: model, x, y, note"),
       "missing column: exit 2, names file, line and column (%s)", strtok(err, "\n") ? err : "");
    snprintf(bad, sizeof bad, "%s/bad.tsv", dir);
    write_text(bad, "model\tx\ty\nA\t1\t2\nA\tabc\t3\n");
    const char *a_bad[] = {bad, "--x", "x", "--y", "y", "--family", "poly", "--out", out};
    rc = run_fit(err, sizeof err, dir, 9, a_bad);
    ok(rc == 2 && strstr(err, "bad.tsv:3: column 'x': 'abc' is not a finite number"), "non-numeric cell: exit 2, names file:line and column (%s)", strtok(err, "\n") ? err : "");
    write_text(bad, "model\tx\ty\nA\t1\t2\t9\n");
    rc = run_fit(err, sizeof err, dir, 9, a_bad);
    ok(rc == 2 && strstr(err, "bad.tsv:2: 4 fields, the header has 3"), "ragged row: exit 2, names the line");
    const char *a_flag[] = {tsv, "--x", "x", "--y", "y", "--family", "poly", "--out", out, "--bogus"};
    rc = run_fit(err, sizeof err, dir, 10, a_flag);
    ok(rc == 2 && strstr(err, "unknown flag '--bogus'"), "unknown flag: exit 2, names the flag");
    const char *a_deg[] = {tsv, "--x", "x", "--y", "y", "--family", "rational", "--degree", "7", "--out", out};
    rc = run_fit(err, sizeof err, dir, 11, a_deg);
    ok(rc == 2 && strstr(err, "flag --degree: '7' is not an integer in 2..4"), "bad --degree: exit 2, names the flag and range");
    const char *a_fam[] = {tsv, "--x", "x", "--y", "y", "--family", "spline", "--out", out};
    rc = run_fit(err, sizeof err, dir, 9, a_fam);
    ok(rc == 2 && strstr(err, "flag --family: 'spline'"), "bad --family: exit 2, names the flag");
    const char *a_val[] = {tsv, "--x", "x", "--y", "y", "--family", "poly", "--out"};
    rc = run_fit(err, sizeof err, dir, 8, a_val);
    ok(rc == 2 && strstr(err, "flag --out needs a value"), "flag without value: exit 2, names the flag");
    const char *a_req[] = {tsv, "--x", "x", "--family", "poly", "--out", out};
    rc = run_fit(err, sizeof err, dir, 7, a_req);
    ok(rc == 2 && strstr(err, "flag --y is required"), "missing --y: exit 2, says it is required");
    const char *a_brk[] = {tsv, "--x", "x", "--y", "y", "--family", "piecewise", "--breaks", "3,2", "--out", out};
    rc = run_fit(err, sizeof err, dir, 11, a_brk);
    ok(rc == 2 && strstr(err, "flag --breaks: breakpoints must be strictly increasing"), "decreasing --breaks: exit 2, names the flag");
    const char *a_file[] = {"/nonexistent/x.tsv", "--x", "x", "--y", "y", "--family", "poly", "--out", out};
    rc = run_fit(err, sizeof err, dir, 9, a_file);
    ok(rc == 2 && strstr(err, "/nonexistent/x.tsv: cannot open"), "missing input file: exit 2, names the file");
    /* a piecewise fit with weights through the command */
    write_text(bad, "x\ty\tw\n0\t0\t1\n1\t1\t1\n2\t2\t1\n3\t2.5\t1\n4\t3\t1\n5\t3.5\t0\n");
    const char *a_pw[] = {bad, "--x", "x", "--y", "y", "--family", "piecewise", "--breaks", "2", "--weights", "w", "--monotone", "--out", out};
    rc = run_fit(err, sizeof err, dir, 14, a_pw);
    snprintf(path, sizeof path, "%s.coef.tsv", out);
    tsv_field(path, 1, 4, field, sizeof field);
    ok(rc == 0 && atoi(field) == 5, "piecewise --weights --monotone through the command: exit 0, n = 5 (zero weight dropped)");
    run_cmd(NULL, 0, "rm -rf '%s'", dir);
}

/* lsq_norm2: the scaled two-pass norm that replaced the hypot chains */
static void test_norm2(void)
{
    double a[6] = { 3, -1, 4, 1, -5, 9 };
    double want = sqrt(9 + 1 + 16 + 1 + 25 + 81);
    ok(fabs(lsq_norm2(a, 6, 1) - want) <= 1e-15 * want, "norm of 6 values (%.17g)", lsq_norm2(a, 6, 1));
    ok(fabs(lsq_norm2(a, 3, 2) - sqrt(9 + 16 + 25)) <= 1e-15 * 8, "strided: a[0], a[2], a[4]");
    double big[3] = { 3e200, 4e200, 0 }, tiny[2] = { 3e-200, -4e-200 };
    ok(fabs(lsq_norm2(big, 3, 1) / 5e200 - 1) < 1e-15, "no overflow at 1e200 (a plain sum of squares gives inf)");
    ok(fabs(lsq_norm2(tiny, 2, 1) / 5e-200 - 1) < 1e-15, "no underflow at 1e-200 (a plain sum of squares gives 0)");
    double z[3] = { 0, -0.0, 0 }, nn[3] = { 1, NAN, 2 }, in[2] = { 1, -INFINITY };
    ok(lsq_norm2(z, 3, 1) == 0 && lsq_norm2(a, 0, 1) == 0, "zeros and the empty vector give 0");
    ok(isnan(lsq_norm2(nn, 3, 1)) && isinf(lsq_norm2(in, 2, 1)), "NaN propagates, an infinity gives inf");
    double worst = 0;
    for (int t = 0; t < 200; t++) {
        double v[17], h = 0;
        for (int i = 0; i < 17; i++) { v[i] = ldexp(sin(t * 17.0 + i) , (t % 40) - 20); h = hypot(h, v[i]); }
        double r = fabs(lsq_norm2(v, 17, 1) - h) / h;
        if (r > worst) worst = r;
    }
    ok(worst < 1e-14, "equals the hypot chain to %.2g relative over 200 vectors", worst);
}

int main(void)
{
    plan_no_plan();
    test_norm2();
    test_nnls_textbook();
    test_nnls_brute();
    test_lsei_active_inactive();
    test_lsei_equality();
    test_lsei_brute();
    test_weights();
    test_poly_exact();
    test_poly_noisy();
    test_poly_monotone();
    test_ill_conditioned();
    test_rational_recovery();
    test_poles();
    test_piecewise();
    test_stats_by_hand();
    test_lomo_by_hand();
    test_cmd_fit();
    test_reference();
    return done_testing();
}
