/* lsq.h — linear least squares with linear equality and inequality constraints (LSEI).
 *
 *   minimize   || W^(1/2) (A c - y) ||^2           over c in R^k
 *   subject to E c  = e                              (me rows)
 *              G c >= h                              (mi rows)
 *
 * Solved the Lawson–Hanson way (spec fitting-and-reports §3.1): columns of A are scaled to unit
 * norm and constraint rows to unit norm; the equalities are eliminated through a QR of E^T
 * (c = c0 + Z u); the reduced design is factored A Z = Q R; the inequality-constrained problem
 * becomes a least-distance problem (LDP) min ||z|| s.t. F z >= g, solved through NNLS on
 * [F^T; g^T].  All factorizations are LAPACK (dgeqrf, dorgqr, dormqr, dtrtrs, dgesvd, dgelsy).
 * The problem is convex: the solution is the global optimum and deterministic.
 *
 * Matrices are dense, row-major (A[i*k + j]).  No global state; every call allocates its own
 * scratch and frees it.
 */
#ifndef MTA_LSQ_H
#define MTA_LSQ_H

#include <stddef.h>

/* Status codes (0 = success). */
enum {
    LSQ_OK = 0,
    LSQ_ERR_ARG,        /* bad dimensions, negative weight, non-finite input */
    LSQ_ERR_RANK,       /* design (after eliminating equalities) is rank deficient */
    LSQ_ERR_EQ_RANK,    /* equality rows are linearly dependent or more than k */
    LSQ_ERR_INFEASIBLE, /* the inequalities (with the equalities) admit no point */
    LSQ_ERR_NOCONV,     /* NNLS did not converge within its iteration cap */
    LSQ_ERR_LAPACK      /* a LAPACK routine reported an error */
};

/* A problem.  w, E/e, G/h may be NULL when the matching count is 0 (w NULL = unit weights). */
typedef struct {
    int n, k;              /* rows of A, unknowns */
    const double *A;       /* n x k */
    const double *y;       /* n */
    const double *w;       /* n weights >= 0, or NULL */
    int me;                /* equality rows */
    const double *E;       /* me x k */
    const double *e;       /* me */
    int mi;                /* inequality rows */
    const double *G;       /* mi x k */
    const double *h;       /* mi */
} LsqProblem;

/* A solution.  The caller provides c (k entries) and optionally mu (mi entries) and nu (me). */
typedef struct {
    double *c;             /* solution */
    double *mu;            /* inequality multipliers >= 0 for the objective 1/2·SSE_w, or NULL */
    double *nu;            /* equality multipliers (least-squares estimate), or NULL */
    double sse;            /* || W^(1/2)(A c - y) ||^2 */
    double cond;           /* 2-norm condition number of the scaled reduced design */
    double max_violation;  /* max relative violation (h_i - G_i c) / (sum_j abs(G_ij d_j) max_j abs(c_j/d_j) + abs(h_i)),
                            * d the column scales; the same for E.  Above 1e-8 the solve fails. */
    int n_active;          /* inequalities with a positive multiplier */
    int iters;             /* NNLS iterations (0 when no inequality was binding) */
} LsqResult;

/* Solve the LSEI problem.  Returns LSQ_OK or an error code (r->c is then unspecified). */
int lsq_solve(const LsqProblem *p, LsqResult *r);

/* Euclidean norm of x[0], x[stride], ..., x[(n-1)·stride] without overflow or underflow:
 * the largest magnitude m, then m·sqrt(Σ (x_i/m)²) (two passes; the chain of hypot calls it
 * replaces cost 40 % of a nested selection).  0 for n = 0 or all zeros; NaN if any is NaN. */
double lsq_norm2(const double *x, size_t n, size_t stride);

/* Lawson–Hanson NNLS: minimize ||A x - b|| subject to x >= 0, A m x n row-major.
 * x (n) receives the solution; dual (n, may be NULL) receives A^T (b - A x), which is <= tol on the
 * zero set and ~0 on the positive set at a KKT point.  *iters (may be NULL) gets the iteration
 * count.  Returns LSQ_OK, LSQ_ERR_ARG, LSQ_ERR_NOCONV (cap 3n + 100 iterations) or LSQ_ERR_LAPACK. */
int lsq_nnls(int m, int n, const double *A, const double *b, double *x, double *dual, int *iters);

/* A short English description of a status code. */
const char *lsq_strerror(int status);

#endif
