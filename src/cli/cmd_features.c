/* cmd_features.c — `mta features CKPT --gen GEN_ADJ [--gen-plain GEN] --out TSV ...`: the PCA of
 * the classifier's penultimate features (the input of its last layer) for real test images and
 * for pseudo images of the generators (spec §4.1).  The test features are standardized with
 * their own mean and population std; S = X^T X; the two leading eigenvectors (LAPACK dsyev)
 * give PC1 (the largest eigenvalue, on x: quirk 15 fixed; --swap-axes puts it on y as the
 * reference does) and PC2, each signed so that its largest-magnitude entry is positive.  The
 * generated features use the test scaler and the test eigenvectors; each generator runs in eval
 * mode (its BN running statistics), --per-class images per class in batches of --gen-batch of
 * one label each (the reference: 50 batches of 200, 1,000 per class).
 * Output: source (test, plain, adjusted) label pc1 pc2, one row per image; OUT.settings.tsv:
 * the feature dimension, the two eigenvalues' shares of the trace, the settings. */
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/env.h"
#include "base/fileio.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "train/generator.h"

static const CliFlagSpec features_flags[] = {
    CLI_FLAG_DATA,
    {"gen", "GEN", NULL, "the adjusted generator", 1},
    {"gen-plain", "GEN", "none", "also the training-only generator", 0},
    {"out", "TSV", NULL, "the projected points: source label pc1 pc2", 1},
    {"test-limit", "N", "all", "test images (the first N)", 0},
    {"per-class", "K", "1000", "generated images per class and generator", 0},
    {"gen-batch", "B", "200", "images per generator batch (one label per batch)", 0},
    {"swap-axes", NULL, NULL, "the reference's axes: the largest component on y (quirk 15)", 0},
    {"seed", "S", "1", "seed of the generators' noise", 0},
    CLI_FLAG_THREADS,
    CLI_FLAG_MODEL,
    CLI_FLAG_CKPT_WIDTH,
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_features_info = {"features", "CKPT", 1, 1,
                                      "PCA of the penultimate features of test and generated images", features_flags};

/* The tensor feeding the last layer with weights, and its size per sample. */
static int feature_tensor(const Net *net, int *dim)
{
    for (int i = net->n_nodes - 1; i >= 0; i--)
        if (net->nodes[i].pw >= 0) {
            int t = net->nodes[i].in[0];
            *dim = (int)shape_numel(net->tshape[t]);
            return t;
        }
    die("%s: no layer with weights", net->model_name);
}

static void features_of(Net *net, int t, int dim, const float *x, int n, double *out)
{
    size_t per = shape_numel(net->input);
    for (int b = 0; b < n; b += net->max_batch) {
        int m = n - b < net->max_batch ? n - b : net->max_batch;
        net_forward(net, x + per * (size_t)b, m);
        const float *f = net->act[t];
        for (size_t i = 0; i < (size_t)m * dim; i++) out[(size_t)b * dim + i] = f[i];
    }
}

static void write_points(FILE *f, const char *src, const double *feat, const int *y, int n, int dim, const double *mu,
                         const double *sd, const double *v1, const double *v2, int swap)
{
    for (int i = 0; i < n; i++) {
        double a = 0, b = 0;
        for (int d = 0; d < dim; d++) {
            double z = (feat[(size_t)i * dim + d] - mu[d]) / sd[d];
            a += z * v1[d];
            b += z * v2[d];
        }
        fprintf(f, "%s\t%d\t%.6g\t%.6g\n", src, y[i], swap ? b : a, swap ? a : b);
    }
}

static double *generated(const char *path, Net *net, int t, int dim, int per_class, int gb, uint64_t seed, int **labels,
                         int *count)
{
    char err[1024];
    Generator *g = gen_load(path, err, sizeof err);
    if (!g) die("%s", err);
    if (g->classes != net->classes || g->channels != net->input.c || g->img != net->input.h)
        die("%s: the generator does not fit %s", path, net->model_name);
    gen_set_pool(g, net->pool);
    gen_alloc(g, gb, 1);
    int n = per_class * net->classes;
    double *feat = xmalloc(sizeof(double) * (size_t)n * dim);
    int *y = xmalloc(sizeof(int) * (size_t)n);
    float *z = xmalloc(sizeof(float) * (size_t)gb * g->latent);
    int *yb = xmalloc(sizeof(int) * (size_t)gb);
    Rng r;
    rng_seed(&r, seed);
    int done = 0;
    for (int c = 0; c < net->classes; c++)
        for (int k = 0; k < per_class; k += gb) {
            int m = per_class - k < gb ? per_class - k : gb;
            for (int i = 0; i < m; i++) yb[i] = c;
            for (size_t i = 0; i < (size_t)m * g->latent; i++) z[i] = (float)rng_normal(&r);
            const float *img = gen_forward_eval(g, z, yb, m);
            features_of(net, t, dim, img, m, feat + (size_t)done * dim);
            for (int i = 0; i < m; i++) y[done + i] = c;
            done += m;
        }
    free(z);
    free(yb);
    gen_free(g);
    *labels = y;
    *count = n;
    return feat;
}

int cmd_features(int argc, char **argv)
{
    CliArgs args;
    const CliArgs *f = &args;
    cli_parse(&cmd_features_info, argc, argv, 2, &args);
    const char *out = cli_get(f, "out"), *gpath = cli_get(f, "gen"), *ppath = cli_get(f, "gen-plain");
    int per_class = (int)cli_long(f, "per-class", 1000, 1, 1000000), gb = (int)cli_long(f, "gen-batch", 200, 2, 4096);
    int swap = cli_get(f, "swap-axes") != NULL, threads = cli_threads(f);
    uint64_t seed = cli_u64(f, "seed", 1);
    Dataset ds;
    CkptInfo info;
    Net *net = cli_open(f, args.pos[0], &ds, &info, threads);
    net_alloc_acts(net, gb);
    long nt = cli_long(f, "test-limit", ds.test.n, 2, 1L << 30);
    if (nt > ds.test.n) nt = ds.test.n;
    int dim, t = feature_tensor(net, &dim);
    size_t per = shape_numel(net->input);
    float *x = xmalloc(sizeof(float) * per * (size_t)gb);
    int *yt = xmalloc(sizeof(int) * (size_t)nt), *idx = xmalloc(sizeof(int) * (size_t)gb);
    double *ft = xmalloc(sizeof(double) * (size_t)nt * dim);
    for (long b = 0; b < nt; b += gb) {
        int m = nt - b < gb ? (int)(nt - b) : gb;
        for (int i = 0; i < m; i++) idx[i] = (int)(b + i);
        dataset_batch(&ds, &ds.test, idx, m, x, yt + b);
        features_of(net, t, dim, x, m, ft + (size_t)b * dim);
    }
    /* standardize with the test scaler; S = Z^T Z */
    double *mu = xcalloc((size_t)dim, sizeof(double)), *sd = xcalloc((size_t)dim, sizeof(double));
    for (long i = 0; i < nt; i++)
        for (int d = 0; d < dim; d++) mu[d] += ft[(size_t)i * dim + d];
    for (int d = 0; d < dim; d++) mu[d] /= (double)nt;
    for (long i = 0; i < nt; i++)
        for (int d = 0; d < dim; d++) { double v = ft[(size_t)i * dim + d] - mu[d]; sd[d] += v * v; }
    for (int d = 0; d < dim; d++) { sd[d] = sqrt(sd[d] / (double)nt); if (!(sd[d] > 0)) sd[d] = 1; }
    double *S = xcalloc((size_t)dim * dim, sizeof(double)), *w = xmalloc(sizeof(double) * (size_t)dim);
    double *z = xmalloc(sizeof(double) * (size_t)dim);
    for (long i = 0; i < nt; i++) {
        for (int d = 0; d < dim; d++) z[d] = (ft[(size_t)i * dim + d] - mu[d]) / sd[d];
        for (int a = 0; a < dim; a++)
            for (int b = a; b < dim; b++) S[(size_t)a * dim + b] += z[a] * z[b];
    }
    for (int a = 0; a < dim; a++)
        for (int b = 0; b < a; b++) S[(size_t)a * dim + b] = S[(size_t)b * dim + a];
    double trace = 0;
    for (int d = 0; d < dim; d++) trace += S[(size_t)d * dim + d];
    if (dim < 2) die("%s: %d-dimensional features, a PCA needs 2", net->model_name, dim);
    lapack_int rc = LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', dim, S, dim, w);
    if (rc != 0) die("features: LAPACK dsyev failed (%d)", (int)rc);
    double *v1 = xmalloc(sizeof(double) * (size_t)dim), *v2 = xmalloc(sizeof(double) * (size_t)dim);
    for (int k = 0; k < 2; k++) {
        double *v = k ? v2 : v1, big = 0;
        for (int d = 0; d < dim; d++) {
            v[d] = S[(size_t)d * dim + (dim - 1 - k)];   /* column dim-1-k: ascending order */
            if (fabs(v[d]) > fabs(big)) big = v[d];
        }
        if (big < 0)
            for (int d = 0; d < dim; d++) v[d] = -v[d];
    }
    AtomicFile af;
    FILE *o = atomic_open_or_die(&af, out);
    fprintf(o, "source\tlabel\tpc1\tpc2\n");
    write_points(o, "test", ft, yt, (int)nt, dim, mu, sd, v1, v2, swap);
    const char *paths[2] = {ppath, gpath}, *names[2] = {"plain", "adjusted"};
    for (int k = 0; k < 2; k++) {
        if (!paths[k]) continue;
        int *yg, ng;
        double *fg = generated(paths[k], net, t, dim, per_class, gb, seed, &yg, &ng);
        write_points(o, names[k], fg, yg, ng, dim, mu, sd, v1, v2, swap);
        free(fg);
        free(yg);
    }
    atomic_commit_or_die(&af);
    char sp[4300];
    path_sibling(out, ".settings.tsv", sp, sizeof sp);
    FILE *so = atomic_open_or_die(&af, sp);
    fprintf(so, "setting\tvalue\nckpt\t%s\nmodel\t%s\nfeature_dim\t%d\ntest_images\t%ld\nper_class\t%d\ngen_batch\t%d\n"
                "pc1_share\t%.6f\npc2_share\t%.6f\nswap_axes\t%d\nseed\t%llu\n",
            args.pos[0], net->model_name, dim, nt, per_class, gb, w[dim - 1] / trace, w[dim - 2] / trace, swap,
            (unsigned long long)seed);
    EnvInfo env = env_info(threads);
    env_write_rows(&env, so);
    atomic_commit_or_die(&af);
    free(x); free(yt); free(idx); free(ft); free(mu); free(sd); free(S); free(w); free(z); free(v1); free(v2);
    net_free(net);
    dataset_free(&ds);
    return 0;
}
