/* select.h — predictors of a grouped table compared by their leave-one-group-out error, and
 * chosen without leakage by nested leave-one-group-out (issue 12, experiments/prediction.md).
 *
 * The table: n points with a target y, a group (the model: the unit a prediction must
 * generalise to), a configuration (the quantization format: known for a new model before
 * anything is run) and numeric columns x[0..ncols).
 *
 * A candidate is one fixed recipe that, given training points, predicts a new point:
 *   SEL_CURVE        a fit_model curve of y on one column (family, degree, transform, monotone);
 *   SEL_RIDGE        ridge regression on up to SEL_MAX_FEAT features, each a column (through
 *                    log10(x + x0) when the column's x0 > 0) or the configuration mean (below),
 *                    optionally with their squares and pairwise products; features standardised
 *                    on the training points, intercept unpenalised, penalty lambda * n_train;
 *                    predictions clipped to the training range of y;
 *   SEL_CONFIG_MEAN  the mean y of the training points with the same configuration ("what this
 *                    format costs the other models"); as a ridge feature, a training point gets
 *                    the mean over the other training groups only (no point sees its own y);
 *   SEL_MEAN         the mean y of the training points (the predict-the-mean baseline).
 *
 * sel_evaluate fits a candidate on every "all groups but g" set (its leave-one-group-out
 * predictions) and on every "all groups but a and b" set (a < b), which give for each outer fold g
 * the inner leave-one-group-out error on the other groups without refitting: the fit without
 * {g, k} predicts k in g's inner fold and g in k's.  sel_nested then chooses, for each g, the
 * allowed candidate with the least inner error and predicts g with its fit on all other groups
 * (nested LOGO: the choice never sees g).  Everything is deterministic.
 */
#ifndef MTA_SELECT_H
#define MTA_SELECT_H

#include <stdint.h>

#include "fit/fit.h"

#define SEL_MAX_FEAT 3
#define SEL_FEAT_CONFIG (-1)

typedef enum { SEL_CURVE, SEL_RIDGE, SEL_CONFIG_MEAN, SEL_MEAN } SelKind;

typedef struct {
    int n, ncols, ngroups, nconfigs;
    const double *y;
    const double *const *x;   /* ncols columns of n values */
    const double *x0;         /* per column: > 0 -> ridge features use log10(x + x0) */
    const int *group;         /* 0..ngroups-1 */
    const int *config;        /* 0..nconfigs-1 */
} SelData;

typedef struct {
    SelKind kind;
    int col;                  /* SEL_CURVE: the x column */
    FitSpec spec;             /* SEL_CURVE */
    int nfeat;                /* SEL_RIDGE: features, each a column or SEL_FEAT_CONFIG */
    int feat[SEL_MAX_FEAT];
    int quad;                 /* SEL_RIDGE: add squares and pairwise products */
    double lambda;            /* SEL_RIDGE: >= 0 */
} SelCand;

typedef struct {
    double *pred;             /* n: prediction by the fit without the point's group (NaN: failed) */
    double *inner_sse;        /* ngroups: for outer fold g, sum over k != g of the squared errors
                                 on k's points of the fit without {g, k} */
    int *inner_n;             /* ngroups: the points in that sum */
    int *inner_fail;          /* ngroups: some fit of g's inner folds failed */
    int nfail;                /* failed fits in all (outer and pair) */
} SelEval;

void sel_eval_init(SelEval *e, const SelData *d);
void sel_eval_free(SelEval *e);

/* Fit on the points whose group is neither a nor b (b = -1: only a excluded) and write the
 * prediction of every point of a and b into pred (other entries untouched).  0, or -1 if the fit
 * failed (those entries NaN). */
int sel_fit_predict(const SelData *d, const SelCand *c, int a, int b, double *pred);

/* Every fold of candidate c (ngroups outer + ngroups(ngroups-1)/2 pair fits). */
void sel_evaluate(const SelData *d, const SelCand *c, SelEval *e);

/* Inner LOGO RMSE of candidate evaluation e for outer fold g (INFINITY when a fit failed). */
double sel_inner_rmse(const SelEval *e, int g);

/* Nested LOGO over the candidates with allowed[c] != 0: choice[g] = the chosen candidate for
 * outer fold g (-1: none succeeded), pred[i] = its outer prediction of point i (NaN if none).
 * Ties go to the earlier candidate. */
void sel_nested(const SelData *d, int ncand, const SelEval *ev, const unsigned char *allowed, int *choice,
                double *pred);

/* RMSE of pred against y per group (per[g]; NaN for a group with a NaN prediction) and over all
 * points (NaN if any is NaN). */
double sel_rmse(const SelData *d, const double *pred, double *per);

/* Percentile bootstrap over groups: B resamples of ngroups groups with replacement (seeded), the
 * RMSE over the resampled groups' points; [*lo, *hi] the central `level` interval.  NaN if any
 * prediction is NaN. */
void sel_bootstrap(const SelData *d, const double *pred, int B, uint64_t seed, double level, double *lo,
                   double *hi);

/* Quantile p of the ascending v[0..n) with linear interpolation between order statistics
 * (R's type 7); the comparator for qsort of doubles. */
double sel_quantile_sorted(const double *v, int n, double p);
int sel_cmp_double(const void *a, const void *b);

#endif
