/* select.c — candidate predictors, their leave-one-group-out folds and the nested choice
 * (select.h). */
#include "fit/select.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/rng.h"

#define MAX_Z (SEL_MAX_FEAT + SEL_MAX_FEAT * (SEL_MAX_FEAT + 1) / 2)

void sel_eval_init(SelEval *e, const SelData *d)
{
    e->pred = xmalloc(sizeof(double) * (size_t)d->n);
    e->inner_sse = xcalloc((size_t)d->ngroups, sizeof(double));
    e->inner_n = xcalloc((size_t)d->ngroups, sizeof(int));
    e->inner_fail = xcalloc((size_t)d->ngroups, sizeof(int));
    e->nfail = 0;
    for (int i = 0; i < d->n; i++) e->pred[i] = NAN;
}

void sel_eval_free(SelEval *e)
{
    free(e->pred); free(e->inner_sse); free(e->inner_n); free(e->inner_fail);
    memset(e, 0, sizeof *e);
}

static int excluded(const SelData *d, int i, int a, int b) { return d->group[i] == a || d->group[i] == b; }

static void set_nan(const SelData *d, int a, int b, double *pred)
{
    for (int i = 0; i < d->n; i++)
        if (excluded(d, i, a, b)) pred[i] = NAN;
}

/* --- curve ---------------------------------------------------------------------------------- */

static int curve_predict(const SelData *d, const SelCand *c, int a, int b, double *pred)
{
    double *tx = xmalloc(sizeof(double) * (size_t)d->n), *ty = xmalloc(sizeof(double) * (size_t)d->n);
    const double *x = d->x[c->col];
    int nt = 0;
    for (int i = 0; i < d->n; i++)
        if (!excluded(d, i, a, b)) { tx[nt] = x[i]; ty[nt] = d->y[i]; nt++; }
    FitModel *m = xmalloc(sizeof *m);
    int ok = nt > 0 && fit_model(&c->spec, nt, tx, ty, NULL, m) == FIT_OK;
    for (int i = 0; i < d->n; i++)
        if (excluded(d, i, a, b)) pred[i] = ok ? fit_eval(m, x[i]) : NAN;
    free(m); free(tx); free(ty);
    return ok ? 0 : -1;
}

/* --- means ---------------------------------------------------------------------------------- */

/* Per configuration: sum and count of the training points' y, in total and per group. */
typedef struct { double *sum, *gsum; int *cnt, *gcnt; double all; int nall; } ConfigSums;

static void config_sums(const SelData *d, int a, int b, ConfigSums *s)
{
    size_t nc = (size_t)d->nconfigs, ng = (size_t)d->ngroups;
    s->sum = xcalloc(nc, sizeof(double)); s->cnt = xcalloc(nc, sizeof(int));
    s->gsum = xcalloc(nc * ng, sizeof(double)); s->gcnt = xcalloc(nc * ng, sizeof(int));
    s->all = 0; s->nall = 0;
    for (int i = 0; i < d->n; i++) {
        if (excluded(d, i, a, b)) continue;
        int k = d->config[i];
        s->sum[k] += d->y[i]; s->cnt[k]++;
        s->gsum[(size_t)k * ng + (size_t)d->group[i]] += d->y[i];
        s->gcnt[(size_t)k * ng + (size_t)d->group[i]]++;
        s->all += d->y[i]; s->nall++;
    }
}

static void config_sums_free(ConfigSums *s) { free(s->sum); free(s->cnt); free(s->gsum); free(s->gcnt); }

/* The configuration mean seen by point i: training points leave their own group out. */
static double config_mean(const SelData *d, const ConfigSums *s, int i, int training)
{
    int k = d->config[i];
    double sum = s->sum[k];
    int cnt = s->cnt[k];
    if (training) {
        size_t j = (size_t)k * (size_t)d->ngroups + (size_t)d->group[i];
        sum -= s->gsum[j]; cnt -= s->gcnt[j];
    }
    return cnt > 0 ? sum / cnt : s->all / s->nall;
}

static int mean_predict(const SelData *d, const SelCand *c, int a, int b, double *pred)
{
    ConfigSums s;
    config_sums(d, a, b, &s);
    int ok = s.nall > 0;
    for (int i = 0; i < d->n; i++)
        if (excluded(d, i, a, b))
            pred[i] = !ok ? NAN : c->kind == SEL_MEAN ? s.all / s.nall : config_mean(d, &s, i, 0);
    config_sums_free(&s);
    return ok ? 0 : -1;
}

/* --- ridge ---------------------------------------------------------------------------------- */

static int ridge_features(const SelData *d, const SelCand *c, const ConfigSums *s, int i, int training, double *z)
{
    double f[SEL_MAX_FEAT];
    for (int j = 0; j < c->nfeat; j++) {
        int col = c->feat[j];
        if (col == SEL_FEAT_CONFIG) { f[j] = config_mean(d, s, i, training); continue; }
        double v = d->x[col][i];
        f[j] = d->x0[col] > 0 ? log10(fmax(v + d->x0[col], d->x0[col] * 1e-6)) : v;
    }
    int nz = 0;
    for (int j = 0; j < c->nfeat; j++) z[nz++] = f[j];
    if (c->quad)
        for (int j = 0; j < c->nfeat; j++)
            for (int k = j; k < c->nfeat; k++) z[nz++] = f[j] * f[k];
    return nz;
}

/* Cholesky solve of the SPD system A x = r (k x k, row-major, overwritten).  -1 if not SPD. */
static int chol_solve(double *A, double *r, int k)
{
    for (int j = 0; j < k; j++) {
        double s = A[j * k + j];
        for (int p = 0; p < j; p++) s -= A[j * k + p] * A[j * k + p];
        if (!(s > 0)) return -1;
        A[j * k + j] = sqrt(s);
        for (int i = j + 1; i < k; i++) {
            double t = A[i * k + j];
            for (int p = 0; p < j; p++) t -= A[i * k + p] * A[j * k + p];
            A[i * k + j] = t / A[j * k + j];
        }
    }
    for (int i = 0; i < k; i++) {
        double t = r[i];
        for (int p = 0; p < i; p++) t -= A[i * k + p] * r[p];
        r[i] = t / A[i * k + i];
    }
    for (int i = k - 1; i >= 0; i--) {
        double t = r[i];
        for (int p = i + 1; p < k; p++) t -= A[p * k + i] * r[p];
        r[i] = t / A[i * k + i];
    }
    return 0;
}

static int ridge_predict(const SelData *d, const SelCand *c, int a, int b, double *pred)
{
    ConfigSums s;
    config_sums(d, a, b, &s);
    int nt = s.nall, nz = 0;
    if (nt < 2) { config_sums_free(&s); set_nan(d, a, b, pred); return -1; }
    /* every point's features once: training points with their own group left out of the
     * configuration mean, held-out points with all training groups */
    double *Z = xmalloc(sizeof(double) * (size_t)d->n * MAX_Z);
    for (int i = 0; i < d->n; i++) nz = ridge_features(d, c, &s, i, !excluded(d, i, a, b), Z + (size_t)i * MAX_Z);
    config_sums_free(&s);
    double mean[MAX_Z] = {0}, sd[MAX_Z] = {0}, ybar = 0, ylo = INFINITY, yhi = -INFINITY;
    for (int i = 0; i < d->n; i++) {
        if (excluded(d, i, a, b)) continue;
        for (int j = 0; j < nz; j++) mean[j] += Z[(size_t)i * MAX_Z + j];
        ybar += d->y[i];
        ylo = fmin(ylo, d->y[i]); yhi = fmax(yhi, d->y[i]);
    }
    ybar /= nt;
    for (int j = 0; j < nz; j++) mean[j] /= nt;
    for (int i = 0; i < d->n; i++) {
        if (excluded(d, i, a, b)) continue;
        for (int j = 0; j < nz; j++) sd[j] += (Z[(size_t)i * MAX_Z + j] - mean[j]) * (Z[(size_t)i * MAX_Z + j] - mean[j]);
    }
    for (int j = 0; j < nz; j++) sd[j] = sqrt(sd[j] / nt);
    /* standardise in place (a constant feature becomes 0) */
    for (int i = 0; i < d->n; i++)
        for (int j = 0; j < nz; j++) {
            double *z = &Z[(size_t)i * MAX_Z + j];
            *z = sd[j] > 0 ? (*z - mean[j]) / sd[j] : 0;
        }
    double A[MAX_Z * MAX_Z] = {0}, r[MAX_Z] = {0};
    for (int i = 0; i < d->n; i++) {
        if (excluded(d, i, a, b)) continue;
        const double *z = Z + (size_t)i * MAX_Z;
        for (int j = 0; j < nz; j++) {
            r[j] += z[j] * (d->y[i] - ybar);
            for (int k = 0; k < nz; k++) A[j * nz + k] += z[j] * z[k];
        }
    }
    /* a constant feature gets a unit diagonal so the system stays SPD (its coefficient is 0) */
    for (int j = 0; j < nz; j++) A[j * nz + j] += sd[j] > 0 ? c->lambda * nt : 1.0;
    int ok = chol_solve(A, r, nz) == 0;
    for (int i = 0; i < d->n; i++) {
        if (!excluded(d, i, a, b)) continue;
        double p = ybar;
        for (int j = 0; j < nz; j++) p += r[j] * Z[(size_t)i * MAX_Z + j];
        pred[i] = ok ? fmin(fmax(p, ylo), yhi) : NAN;
    }
    free(Z);
    return ok ? 0 : -1;
}

/* --- folds ---------------------------------------------------------------------------------- */

int sel_fit_predict(const SelData *d, const SelCand *c, int a, int b, double *pred)
{
    switch (c->kind) {
    case SEL_CURVE: return curve_predict(d, c, a, b, pred);
    case SEL_RIDGE: return ridge_predict(d, c, a, b, pred);
    case SEL_CONFIG_MEAN:
    case SEL_MEAN: return mean_predict(d, c, a, b, pred);
    }
    CHECK(0, "unknown candidate kind %d", (int)c->kind);
    return -1;
}

void sel_evaluate(const SelData *d, const SelCand *c, SelEval *e)
{
    for (int g = 0; g < d->ngroups; g++)
        if (sel_fit_predict(d, c, g, -1, e->pred)) e->nfail++;
    double *tmp = xmalloc(sizeof(double) * (size_t)d->n);
    for (int a = 0; a < d->ngroups; a++)
        for (int b = a + 1; b < d->ngroups; b++) {
            if (sel_fit_predict(d, c, a, b, tmp)) {
                e->nfail++;
                e->inner_fail[a] = e->inner_fail[b] = 1;
                continue;
            }
            for (int i = 0; i < d->n; i++) {
                int g = d->group[i];
                if (g != a && g != b) continue;
                double r = tmp[i] - d->y[i];
                int outer = g == a ? b : a;   /* the fit without {a, b} predicts a in b's inner fold */
                e->inner_sse[outer] += r * r;
                e->inner_n[outer]++;
            }
        }
    free(tmp);
}

double sel_inner_rmse(const SelEval *e, int g)
{
    if (e->inner_fail[g] || e->inner_n[g] == 0) return INFINITY;
    return sqrt(e->inner_sse[g] / e->inner_n[g]);
}

void sel_nested(const SelData *d, int ncand, const SelEval *ev, const unsigned char *allowed, int *choice,
                double *pred)
{
    for (int g = 0; g < d->ngroups; g++) {
        int best = -1;
        double bestv = INFINITY;
        for (int c = 0; c < ncand; c++) {
            if (!allowed[c]) continue;
            double v = sel_inner_rmse(&ev[c], g);
            int outer_ok = 1;
            for (int i = 0; i < d->n; i++)
                if (d->group[i] == g && isnan(ev[c].pred[i])) outer_ok = 0;
            if (outer_ok && v < bestv) { bestv = v; best = c; }
        }
        choice[g] = best;
        for (int i = 0; i < d->n; i++)
            if (d->group[i] == g) pred[i] = best >= 0 ? ev[best].pred[i] : NAN;
    }
}

/* --- errors --------------------------------------------------------------------------------- */

static void group_sse(const SelData *d, const double *pred, double *sse, int *cnt)
{
    for (int g = 0; g < d->ngroups; g++) { sse[g] = 0; cnt[g] = 0; }
    for (int i = 0; i < d->n; i++) {
        double r = pred[i] - d->y[i];
        sse[d->group[i]] += r * r;
        cnt[d->group[i]]++;
    }
}

double sel_rmse(const SelData *d, const double *pred, double *per)
{
    double *sse = xmalloc(sizeof(double) * (size_t)d->ngroups), tot = 0;
    int *cnt = xmalloc(sizeof(int) * (size_t)d->ngroups), n = 0;
    group_sse(d, pred, sse, cnt);
    for (int g = 0; g < d->ngroups; g++) {
        if (per) per[g] = cnt[g] ? sqrt(sse[g] / cnt[g]) : NAN;
        tot += sse[g]; n += cnt[g];
    }
    free(sse); free(cnt);
    return n ? sqrt(tot / n) : NAN;
}

int sel_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sel_quantile_sorted(const double *v, int n, double p)
{
    double h = (n - 1) * p;
    int lo = (int)floor(h);
    if (lo >= n - 1) return v[n - 1];
    return v[lo] + (h - lo) * (v[lo + 1] - v[lo]);
}

void sel_bootstrap(const SelData *d, const double *pred, int B, uint64_t seed, double level, double *lo,
                   double *hi)
{
    *lo = *hi = NAN;
    if (B < 1 || isnan(sel_rmse(d, pred, NULL))) return;
    double *sse = xmalloc(sizeof(double) * (size_t)d->ngroups), *rm = xmalloc(sizeof(double) * (size_t)B);
    int *cnt = xmalloc(sizeof(int) * (size_t)d->ngroups);
    group_sse(d, pred, sse, cnt);
    Rng rng;
    rng_seed(&rng, seed);
    for (int r = 0; r < B; r++) {
        double s = 0;
        long m = 0;
        for (int k = 0; k < d->ngroups; k++) {
            int g = (int)rng_below(&rng, (uint32_t)d->ngroups);
            s += sse[g]; m += cnt[g];
        }
        rm[r] = m ? sqrt(s / (double)m) : 0;
    }
    qsort(rm, (size_t)B, sizeof *rm, sel_cmp_double);
    *lo = sel_quantile_sorted(rm, B, (1 - level) / 2);
    *hi = sel_quantile_sorted(rm, B, 1 - (1 - level) / 2);
    free(sse); free(cnt); free(rm);
}
