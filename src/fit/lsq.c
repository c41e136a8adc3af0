/* lsq.c — constrained linear least squares (LSEI) via equality elimination, QR, LDP and
 * Lawson–Hanson NNLS, all factorizations through LAPACKE (see lsq.h). */
#include "fit/lsq.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "base/check.h"

const char *lsq_strerror(int status)
{
    switch (status) {
    case LSQ_OK: return "ok";
    case LSQ_ERR_ARG: return "bad argument (dimensions, negative weight or non-finite input)";
    case LSQ_ERR_RANK: return "design matrix is rank deficient";
    case LSQ_ERR_EQ_RANK: return "equality constraints are linearly dependent";
    case LSQ_ERR_INFEASIBLE: return "constraints are infeasible";
    case LSQ_ERR_NOCONV: return "NNLS did not converge";
    case LSQ_ERR_LAPACK: return "LAPACK error";
    default: return "unknown status";
    }
}

/* ---------------------------------------------------------------------------------------------
 * NNLS (Lawson & Hanson 1974, ch. 23) */

/* dual = A^T (b - A x). */
static void nnls_dual(int m, int n, const double *A, const double *b, const double *x, double *dual,
                      double *res)
{
    for (int i = 0; i < m; i++) {
        double s = b[i];
        for (int j = 0; j < n; j++) s -= A[(size_t)i * n + j] * x[j];
        res[i] = s;
    }
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int i = 0; i < m; i++) s += A[(size_t)i * n + j] * res[i];
        dual[j] = s;
    }
}

/* Least squares on the passive columns; z[j] for passive j, 0 elsewhere.  Returns 1 when the
 * passive columns are numerically independent, 0 when rank deficient, -1 on LAPACK error. */
static int nnls_sub(int m, int n, const double *A, const double *b, const int *pass, double *z,
                    double *sub, double *rhs, int *idx, int *jpvt)
{
    int np = 0;
    for (int j = 0; j < n; j++)
        if (pass[j]) idx[np++] = j;
    int ld = m > np ? m : np;
    for (int i = 0; i < m; i++)
        for (int q = 0; q < np; q++) sub[(size_t)i * np + q] = A[(size_t)i * n + idx[q]];
    for (int i = 0; i < ld; i++) rhs[i] = i < m ? b[i] : 0.0;
    memset(jpvt, 0, sizeof *jpvt * (size_t)np);
    lapack_int rank = 0;
    lapack_int info = LAPACKE_dgelsy(LAPACK_ROW_MAJOR, m, np, 1, sub, np, rhs, 1, jpvt, 1e-12, &rank);
    if (info) return -1;
    for (int j = 0; j < n; j++) z[j] = 0.0;
    for (int q = 0; q < np; q++) z[idx[q]] = rhs[q];
    return rank == np;
}

int lsq_nnls(int m, int n, const double *A, const double *b, double *x, double *dual, int *iters)
{
    if (m < 1 || n < 1 || !A || !b || !x) return LSQ_ERR_ARG;
    for (size_t i = 0; i < (size_t)m * n; i++)
        if (!isfinite(A[i])) return LSQ_ERR_ARG;
    for (int i = 0; i < m; i++)
        if (!isfinite(b[i])) return LSQ_ERR_ARG;
    int big = m > n ? m : n;
    int *pass = xcalloc((size_t)n, sizeof *pass), *rej = xcalloc((size_t)n, sizeof *rej);
    int *idx = xmalloc(sizeof *idx * (size_t)n), *jpvt = xmalloc(sizeof *jpvt * (size_t)n);
    double *w = xmalloc(sizeof *w * (size_t)n), *z = xmalloc(sizeof *z * (size_t)n);
    double *sub = xmalloc(sizeof *sub * (size_t)m * n), *rhs = xmalloc(sizeof *rhs * (size_t)big);
    double *res = xmalloc(sizeof *res * (size_t)m);
    double norm1 = 0;
    for (int j = 0; j < n; j++) {
        double s = 0;
        for (int i = 0; i < m; i++) s += fabs(A[(size_t)i * n + j]);
        if (s > norm1) norm1 = s;
    }
    double tol = 10 * DBL_EPSILON * norm1 * big;
    int maxit = 3 * n + 100, it = 0, status = LSQ_OK;
    for (int j = 0; j < n; j++) x[j] = 0.0;
    nnls_dual(m, n, A, b, x, w, res);
    for (;;) {
        int t = -1;
        double best = tol;
        for (int j = 0; j < n; j++)
            if (!pass[j] && !rej[j] && w[j] > best) { best = w[j]; t = j; }
        if (t < 0) break;
        if (++it > maxit) { status = LSQ_ERR_NOCONV; break; }
        pass[t] = 1;
        int s = nnls_sub(m, n, A, b, pass, z, sub, rhs, idx, jpvt);
        if (s < 0) { status = LSQ_ERR_LAPACK; break; }
        if (s == 0 || z[t] <= 0) { pass[t] = 0; rej[t] = 1; continue; }
        memset(rej, 0, sizeof *rej * (size_t)n);
        for (;;) { /* inner loop: keep the passive set feasible */
            int jmin = -1;
            double alpha = INFINITY;
            for (int j = 0; j < n; j++)
                if (pass[j] && z[j] <= 0) {
                    double a = x[j] / (x[j] - z[j]);
                    if (a < alpha) { alpha = a; jmin = j; }
                }
            if (jmin < 0) break;
            if (++it > maxit) { status = LSQ_ERR_NOCONV; break; }
            for (int j = 0; j < n; j++)
                if (pass[j]) x[j] += alpha * (z[j] - x[j]);
            for (int j = 0; j < n; j++)
                if (pass[j] && (j == jmin || x[j] <= 0)) { pass[j] = 0; x[j] = 0.0; }
            if (nnls_sub(m, n, A, b, pass, z, sub, rhs, idx, jpvt) < 0) { status = LSQ_ERR_LAPACK; break; }
        }
        if (status) break;
        for (int j = 0; j < n; j++) x[j] = pass[j] ? z[j] : 0.0;
        nnls_dual(m, n, A, b, x, w, res);
    }
    if (dual) nnls_dual(m, n, A, b, x, dual, res);
    if (iters) *iters = it;
    free(pass); free(rej); free(idx); free(jpvt); free(w); free(z); free(sub); free(rhs); free(res);
    return status;
}

/* ---------------------------------------------------------------------------------------------
 * LSEI */

/* Scratch of one solve, so the steps can be small functions. */
typedef struct {
    int n, k, me, mi, p;   /* p = k - me: unknowns after eliminating the equalities */
    double *As, *ys;       /* weighted, column-scaled design (n x k), weighted rhs */
    double *dcol;          /* column scales: c = dcol .* c~ */
    double *Es, *es;       /* scaled, row-normalized equalities */
    double *Gs, *hs, *grow;/* scaled, row-normalized inequalities and the row norms */
    double *c0, *Z;        /* particular solution (k) and null-space basis (k x p) */
    double *R, *f1;        /* R factor (p x p) of A~ Z and the first p entries of Q^T f */
} Lsei;

static void lsei_free(Lsei *s)
{
    free(s->As); free(s->ys); free(s->dcol); free(s->Es); free(s->es); free(s->Gs); free(s->hs);
    free(s->grow); free(s->c0); free(s->Z); free(s->R); free(s->f1);
}

static int all_finite(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return 0;
    return 1;
}

static int lsei_check_args(const LsqProblem *p)
{
    if (p->n < 0 || p->k < 1 || p->me < 0 || p->mi < 0) return LSQ_ERR_ARG;
    if (!p->A || !p->y || (p->me && (!p->E || !p->e)) || (p->mi && (!p->G || !p->h))) return LSQ_ERR_ARG;
    if (!all_finite(p->A, (size_t)p->n * p->k) || !all_finite(p->y, (size_t)p->n)) return LSQ_ERR_ARG;
    if (p->me && (!all_finite(p->E, (size_t)p->me * p->k) || !all_finite(p->e, (size_t)p->me))) return LSQ_ERR_ARG;
    if (p->mi && (!all_finite(p->G, (size_t)p->mi * p->k) || !all_finite(p->h, (size_t)p->mi))) return LSQ_ERR_ARG;
    if (p->w)
        for (int i = 0; i < p->n; i++)
            if (!(p->w[i] >= 0) || !isfinite(p->w[i])) return LSQ_ERR_ARG;
    return LSQ_OK;
}

/* Weight the rows, scale the columns to unit norm, copy and row-normalize the constraints. */
double lsq_norm2(const double *x, size_t n, size_t stride)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs(x[i * stride]);
        if (a > m || isnan(a)) m = a;
        if (isnan(m)) return m;
    }
    if (m == 0 || isinf(m)) return m;
    double s = 0, inv = 1.0 / m;
    for (size_t i = 0; i < n; i++) {
        double t = x[i * stride] * inv;
        s += t * t;
    }
    return m * sqrt(s);
}

static void lsei_scale(const LsqProblem *p, Lsei *s)
{
    int n = p->n, k = p->k;
    s->As = xmalloc(sizeof(double) * ((size_t)n * k + 1));
    s->ys = xmalloc(sizeof(double) * ((size_t)n + 1));
    s->dcol = xmalloc(sizeof(double) * (size_t)k);
    for (int i = 0; i < n; i++) {
        double sw = p->w ? sqrt(p->w[i]) : 1.0;
        for (int j = 0; j < k; j++) s->As[(size_t)i * k + j] = sw * p->A[(size_t)i * k + j];
        s->ys[i] = sw * p->y[i];
    }
    for (int j = 0; j < k; j++) {
        double nrm = lsq_norm2(s->As + j, (size_t)n, (size_t)k);
        s->dcol[j] = nrm > 0 ? 1.0 / nrm : 1.0;
        for (int i = 0; i < n; i++) s->As[(size_t)i * k + j] *= s->dcol[j];
    }
    s->Es = xmalloc(sizeof(double) * ((size_t)p->me * k + 1));
    s->es = xmalloc(sizeof(double) * ((size_t)p->me + 1));
    for (int i = 0; i < p->me; i++) {
        for (int j = 0; j < k; j++) s->Es[(size_t)i * k + j] = p->E[(size_t)i * k + j] * s->dcol[j];
        double nrm = lsq_norm2(s->Es + (size_t)i * k, (size_t)k, 1);
        double inv = nrm > 0 ? 1.0 / nrm : 1.0;
        for (int j = 0; j < k; j++) s->Es[(size_t)i * k + j] *= inv;
        s->es[i] = p->e[i] * inv;
    }
    s->Gs = xmalloc(sizeof(double) * ((size_t)p->mi * k + 1));
    s->hs = xmalloc(sizeof(double) * ((size_t)p->mi + 1));
    s->grow = xmalloc(sizeof(double) * ((size_t)p->mi + 1));
    for (int i = 0; i < p->mi; i++) {
        for (int j = 0; j < k; j++) s->Gs[(size_t)i * k + j] = p->G[(size_t)i * k + j] * s->dcol[j];
        double nrm = lsq_norm2(s->Gs + (size_t)i * k, (size_t)k, 1);
        s->grow[i] = nrm;
        double inv = nrm > 0 ? 1.0 / nrm : 1.0;
        for (int j = 0; j < k; j++) s->Gs[(size_t)i * k + j] *= inv;
        s->hs[i] = p->h[i] * inv;
    }
}

/* Eliminate E~ c~ = e~: QR of E~^T = [Q1 Q2][R1; 0], c0 = Q1 R1^-T e~, Z = Q2. */
static int lsei_eliminate(Lsei *s)
{
    int k = s->k, me = s->me, p = k - me;
    s->c0 = xcalloc((size_t)k, sizeof(double));
    s->Z = xcalloc((size_t)k * (p > 0 ? p : 1), sizeof(double));
    if (me == 0) {
        for (int j = 0; j < k; j++) s->Z[(size_t)j * k + j] = 1.0;
        return LSQ_OK;
    }
    if (me > k) return LSQ_ERR_EQ_RANK;
    double *Q = xcalloc((size_t)k * k, sizeof(double)), *tau = xmalloc(sizeof(double) * (size_t)me);
    double *v = xmalloc(sizeof(double) * (size_t)me);
    int st = LSQ_OK;
    for (int i = 0; i < me; i++)          /* Q[:, 0..me) = E~^T */
        for (int j = 0; j < k; j++) Q[(size_t)j * k + i] = s->Es[(size_t)i * k + j];
    if (LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, k, me, Q, k, tau)) { st = LSQ_ERR_LAPACK; goto out; }
    double rmax = 0;
    for (int i = 0; i < me; i++) rmax = fmax(rmax, fabs(Q[(size_t)i * k + i]));
    for (int i = 0; i < me; i++)
        if (!(fabs(Q[(size_t)i * k + i]) > 1e-12 * rmax)) { st = LSQ_ERR_EQ_RANK; goto out; }
    /* R1^T v = e~ (forward substitution; R1 is the upper triangle of Q[0..me, 0..me)). */
    for (int i = 0; i < me; i++) {
        double sum = s->es[i];
        for (int j = 0; j < i; j++) sum -= Q[(size_t)j * k + i] * v[j];
        v[i] = sum / Q[(size_t)i * k + i];
    }
    if (LAPACKE_dorgqr(LAPACK_ROW_MAJOR, k, k, me, Q, k, tau)) { st = LSQ_ERR_LAPACK; goto out; }
    for (int j = 0; j < k; j++) {
        double sum = 0;
        for (int i = 0; i < me; i++) sum += Q[(size_t)j * k + i] * v[i];
        s->c0[j] = sum;
        for (int q = 0; q < p; q++) s->Z[(size_t)j * p + q] = Q[(size_t)j * k + me + q];
    }
out:
    free(Q); free(tau); free(v);
    return st;
}

/* B = A~ Z, f = y~ - A~ c0; QR of B: R (p x p), f1 = (Q^T f)[0..p); cond from singular values of R. */
static int lsei_factor(Lsei *s, double *cond)
{
    int n = s->n, k = s->k, p = s->p;
    if (n < p) return LSQ_ERR_RANK;
    double *B = xcalloc((size_t)n * p, sizeof(double)), *f = xmalloc(sizeof(double) * (size_t)n);
    double *tau = xmalloc(sizeof(double) * (size_t)p), *sv = xmalloc(sizeof(double) * (size_t)p);
    double *sup = xmalloc(sizeof(double) * (size_t)p);
    int st = LSQ_OK;
    for (int i = 0; i < n; i++) {
        const double *a = s->As + (size_t)i * k;
        double fi = s->ys[i];
        for (int j = 0; j < k; j++) fi -= a[j] * s->c0[j];
        f[i] = fi;
        for (int q = 0; q < p; q++) {
            double sum = 0;
            for (int j = 0; j < k; j++) sum += a[j] * s->Z[(size_t)j * p + q];
            B[(size_t)i * p + q] = sum;
        }
    }
    if (LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, n, p, B, p, tau) ||
        LAPACKE_dormqr(LAPACK_ROW_MAJOR, 'L', 'T', n, 1, p, B, p, tau, f, 1)) { st = LSQ_ERR_LAPACK; goto out; }
    s->R = xcalloc((size_t)p * p, sizeof(double));
    s->f1 = xmalloc(sizeof(double) * (size_t)p);
    for (int i = 0; i < p; i++) {
        s->f1[i] = f[i];
        for (int j = i; j < p; j++) s->R[(size_t)i * p + j] = B[(size_t)i * p + j];
    }
    memcpy(B, s->R, sizeof(double) * (size_t)p * p);
    if (LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'N', 'N', p, p, B, p, sv, NULL, 1, NULL, 1, sup)) { st = LSQ_ERR_LAPACK; goto out; }
    *cond = sv[p - 1] > 0 ? sv[0] / sv[p - 1] : INFINITY;
    if (!(sv[p - 1] > 1e-13 * sv[0])) st = LSQ_ERR_RANK;
out:
    free(B); free(f); free(tau); free(sv); free(sup);
    return st;
}

/* Solve the LDP  min ||z||  s.t.  F z >= g  (F mi x p) through NNLS on [F^T; g^T] (p+1 x mi).
 * lambda (mi) receives the multipliers of 1/2 ||z||^2. */
static int ldp_solve(int mi, int p, const double *F, const double *g, double *z, double *lambda, int *iters)
{
    double *M = xmalloc(sizeof(double) * (size_t)(p + 1) * mi), *rhs = xcalloc((size_t)p + 1, sizeof(double));
    double *u = xmalloc(sizeof(double) * (size_t)mi);
    for (int i = 0; i < mi; i++) {
        for (int j = 0; j < p; j++) M[(size_t)j * mi + i] = F[(size_t)i * p + j];
        M[(size_t)p * mi + i] = g[i];
    }
    rhs[p] = 1.0;
    int st = lsq_nnls(p + 1, mi, M, rhs, u, NULL, iters);
    if (st == LSQ_OK) {
        double gu = 0;                       /* residual r = M u - e: r_j = (F^T u)_j, r_p = g.u - 1 */
        for (int i = 0; i < mi; i++) gu += g[i] * u[i];
        double rlast = gu - 1.0, rn = rlast * rlast;
        for (int j = 0; j < p; j++) {
            double sum = 0;
            for (int i = 0; i < mi; i++) sum += F[(size_t)i * p + j] * u[i];
            z[j] = sum;
            rn += sum * sum;
        }
        if (!(sqrt(rn) > 1e-10) || !(rlast < 0)) st = LSQ_ERR_INFEASIBLE;
        else {
            for (int j = 0; j < p; j++) z[j] /= -rlast;
            for (int i = 0; i < mi; i++) lambda[i] = u[i] / -rlast;
        }
    }
    free(M); free(rhs); free(u);
    return st;
}

/* Inequalities on the reduced unknowns u: G~ Z u >= h~ - G~ c0.  With z = R u - f1 they read
 * F z >= g with F = G~ Z R^-1, g = h~ - G~ c0 - F f1.  Solves for u (p) and lambda (mi). */
static int lsei_inequalities(Lsei *s, double *u, double *lambda, int *iters)
{
    int k = s->k, p = s->p, mi = s->mi, st = LSQ_OK;
    double *F = xmalloc(sizeof(double) * (size_t)mi * p), *g = xmalloc(sizeof(double) * (size_t)mi);
    double *Ft = xmalloc(sizeof(double) * (size_t)p * mi), *z = xmalloc(sizeof(double) * (size_t)p);
    for (int i = 0; i < mi; i++) {
        const double *gr = s->Gs + (size_t)i * k;
        double gi = s->hs[i];
        for (int j = 0; j < k; j++) gi -= gr[j] * s->c0[j];
        g[i] = gi;
        for (int q = 0; q < p; q++) {
            double sum = 0;
            for (int j = 0; j < k; j++) sum += gr[j] * s->Z[(size_t)j * p + q];
            Ft[(size_t)q * mi + i] = sum;      /* (G~ Z)^T, then R^T F^T = (G~ Z)^T */
        }
    }
    if (LAPACKE_dtrtrs(LAPACK_ROW_MAJOR, 'U', 'T', 'N', p, mi, s->R, p, Ft, mi)) { st = LSQ_ERR_LAPACK; goto out; }
    for (int i = 0; i < mi; i++) {
        double sum = 0;
        for (int q = 0; q < p; q++) {
            F[(size_t)i * p + q] = Ft[(size_t)q * mi + i];
            sum += F[(size_t)i * p + q] * s->f1[q];
        }
        g[i] -= sum;
    }
    int feasible0 = 1;                      /* z = 0 (the unconstrained optimum) feasible? */
    for (int i = 0; i < mi; i++)
        if (g[i] > 0) { feasible0 = 0; break; }
    if (feasible0) {
        for (int q = 0; q < p; q++) z[q] = 0.0;
        for (int i = 0; i < mi; i++) lambda[i] = 0.0;
        *iters = 0;
    } else if ((st = ldp_solve(mi, p, F, g, z, lambda, iters)) != LSQ_OK) goto out;
    for (int q = 0; q < p; q++) u[q] = z[q] + s->f1[q];
    if (LAPACKE_dtrtrs(LAPACK_ROW_MAJOR, 'U', 'N', 'N', p, 1, s->R, p, u, 1)) st = LSQ_ERR_LAPACK;
out:
    free(F); free(g); free(Ft); free(z);
    return st;
}

/* Residual-based diagnostics in the caller's units: SSE, constraint violation, multipliers. */
static void lsei_report(const LsqProblem *p, const Lsei *s, const double *lambda, LsqResult *r)
{
    int k = p->k;
    double sse = 0;
    for (int i = 0; i < p->n; i++) {
        double d = -p->y[i];
        for (int j = 0; j < k; j++) d += p->A[(size_t)i * k + j] * r->c[j];
        sse += (p->w ? p->w[i] : 1.0) * d * d;
    }
    r->sse = sse;
    double ct = 0;                          /* size of the solution in the column-scaled space */
    for (int j = 0; j < k; j++) ct = fmax(ct, fabs(r->c[j] / s->dcol[j]));
    double viol = 0;
    for (int i = 0; i < p->me; i++) {
        double d = -p->e[i], mag = fabs(p->e[i]);
        for (int j = 0; j < k; j++) {
            d += p->E[(size_t)i * k + j] * r->c[j];
            mag += fabs(p->E[(size_t)i * k + j] * s->dcol[j]) * ct;
        }
        if (mag > 0) viol = fmax(viol, fabs(d) / mag);
    }
    r->n_active = 0;
    for (int i = 0; i < p->mi; i++) {
        double d = -p->h[i], mag = fabs(p->h[i]);
        for (int j = 0; j < k; j++) {
            d += p->G[(size_t)i * k + j] * r->c[j];
            mag += fabs(p->G[(size_t)i * k + j] * s->dcol[j]) * ct;
        }
        if (mag > 0) viol = fmax(viol, -d / mag);
        double mu = s->grow[i] > 0 ? lambda[i] / s->grow[i] : 0.0;
        if (lambda[i] > 0) r->n_active++;
        if (r->mu) r->mu[i] = mu;
    }
    r->max_violation = viol;
}

/* Equality multipliers: least-squares solution of E^T nu = A^T W (A c - y) - G^T mu. */
static void lsei_nu(const LsqProblem *p, LsqResult *r)
{
    int k = p->k, me = p->me;
    double *g = xcalloc((size_t)(k > me ? k : me), sizeof(double)), *Et = xmalloc(sizeof(double) * (size_t)k * me);
    int *jpvt = xcalloc((size_t)me, sizeof(int));
    for (int i = 0; i < p->n; i++) {
        double d = -p->y[i];
        for (int j = 0; j < k; j++) d += p->A[(size_t)i * k + j] * r->c[j];
        d *= p->w ? p->w[i] : 1.0;
        for (int j = 0; j < k; j++) g[j] += p->A[(size_t)i * k + j] * d;
    }
    if (r->mu)
        for (int i = 0; i < p->mi; i++)
            for (int j = 0; j < k; j++) g[j] -= p->G[(size_t)i * k + j] * r->mu[i];
    for (int i = 0; i < me; i++)
        for (int j = 0; j < k; j++) Et[(size_t)j * me + i] = p->E[(size_t)i * k + j];
    lapack_int rank;
    if (LAPACKE_dgelsy(LAPACK_ROW_MAJOR, k, me, 1, Et, me, g, 1, jpvt, 1e-12, &rank) == 0)
        for (int i = 0; i < me; i++) r->nu[i] = g[i];
    free(g); free(Et); free(jpvt);
}

int lsq_solve(const LsqProblem *p, LsqResult *r)
{
    int st = lsei_check_args(p);
    if (st) return st;
    Lsei s = {0};
    s.n = p->n; s.k = p->k; s.me = p->me; s.mi = p->mi; s.p = p->k - p->me;
    double *lambda = xcalloc((size_t)p->mi + 1, sizeof(double));
    double *u = xcalloc((size_t)p->k, sizeof(double));
    r->iters = 0;
    r->cond = 1.0;
    lsei_scale(p, &s);
    for (int i = 0; i < p->mi; i++)         /* an all-zero row reads 0 >= h */
        if (s.grow[i] == 0 && p->h[i] > 0) { st = LSQ_ERR_INFEASIBLE; goto out; }
    if ((st = lsei_eliminate(&s)) != LSQ_OK) goto out;
    if (s.p > 0) {
        if ((st = lsei_factor(&s, &r->cond)) != LSQ_OK) goto out;
        if (p->mi && (st = lsei_inequalities(&s, u, lambda, &r->iters)) != LSQ_OK) goto out;
        if (!p->mi) {
            memcpy(u, s.f1, sizeof(double) * (size_t)s.p);
            if (LAPACKE_dtrtrs(LAPACK_ROW_MAJOR, 'U', 'N', 'N', s.p, 1, s.R, s.p, u, 1)) { st = LSQ_ERR_LAPACK; goto out; }
        }
    }
    for (int j = 0; j < p->k; j++) {
        double cj = s.c0[j];
        for (int q = 0; q < s.p; q++) cj += s.Z[(size_t)j * s.p + q] * u[q];
        r->c[j] = cj * s.dcol[j];
    }
    lsei_report(p, &s, lambda, r);
    if (p->me && r->nu) lsei_nu(p, r);
    /* the equality-determined case (p = 0) or a failed LDP must still honour the inequalities */
    if (r->max_violation > 1e-8) st = LSQ_ERR_INFEASIBLE;
out:
    lsei_free(&s);
    free(lambda); free(u);
    return st;
}
