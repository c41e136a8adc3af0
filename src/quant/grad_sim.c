/* grad_sim.c — the gradient-similarity probe (grad_sim.h). */
#include "quant/grad_sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/fileio.h"
#include "base/progress.h"
#include "base/rng.h"
#include "nn/eval.h"
#include "nn/stats.h"
#include "quant/qnet.h"
#include "quant/similarity.h"

static void normalize_rows(const float *a, float *out, size_t numel, size_t row)
{
    for (size_t r = 0; r < numel; r += row) {
        double s = 0;
        for (size_t k = r; k < r + row; k++) s += (double)a[k] * a[k];
        double d = fmax(sqrt(s), 1e-12);
        for (size_t k = r; k < r + row; k++) out[k] = (float)(a[k] / d);
    }
}

double grad_jsn(const float *a, const float *b, int rank, const int *shape)
{
    size_t numel = sim_numel(rank, shape), row = rank ? (size_t)shape[rank - 1] : 1;
    float *an = xmalloc(sizeof(float) * numel), *bn = xmalloc(sizeof(float) * numel);
    normalize_rows(a, an, numel, row);
    normalize_rows(b, bn, numel, row);
    double js = sim_js(an, bn, rank, shape, SIM_F64);
    free(an);
    free(bn);
    return js;
}

/* Gradients of the compared parameters, one buffer each (qnet_param order). */
typedef struct {
    int np;
    float **g;
    size_t *numel;
} Grads;

static void grads_new(const QNet *q, Grads *g)
{
    g->np = qnet_param_count(q);
    g->g = xcalloc((size_t)g->np, sizeof(float *));
    g->numel = xcalloc((size_t)g->np, sizeof(size_t));
    for (int p = 0; p < g->np; p++) {
        g->numel[p] = qnet_param(q, p).numel;
        g->g[p] = xcalloc(g->numel[p], sizeof(float));
    }
}

static void grads_free(Grads *g)
{
    for (int p = 0; p < g->np; p++) free(g->g[p]);
    free(g->g);
    free(g->numel);
}

/* Sum over the images' batches of the mean-loss gradient into g; returns the mean loss over
 * the images. */
static double accumulate(QNet *q, Backprop *bp, const Dataset *ds, const int *idx, int images, int B, int fake,
                         const int *labels, Grads *g, float *x, int *ybuf)
{
    double loss = 0;
    for (int b = 0; b < images; b += B) {
        int m = images - b < B ? images - b : B;
        dataset_batch(ds, &ds->train, idx + b, m, x, ybuf);   /* the true labels in ybuf stay unread */
        loss += m * qnet_param_gradient(q, bp, x, labels + b, m, fake, g->g, NULL);
    }
    return loss / images;
}

void gs_compute(Net *net, Backprop *bp, const Dataset *ds, const SweepConfig *sc, int images, int progress,
                GradSimRow *rows)
{
    int B = sc->batch, K = net->classes, ncal = sc->calib_batches * sc->batch;
    if (images < 1 || images > ncal)
        die("flag --images: %d is outside 1 .. %d (the calibration images, --calib-batches x --batch)", images, ncal);
    Rng r;
    rng_seed(&r, sc->seed);
    int *idx;
    if (sweep_calib_images(ds, &r, 0, ncal, &idx) < ncal)
        die("mta grad-sim: the training split has %d images, fewer than the %d calibration images", ds->train.n, ncal);
    CHECK(bp->max_batch >= B && net->max_batch >= B, "grad-sim: buffers for %d / %d samples, batch %d", bp->max_batch,
          net->max_batch, B);
    size_t nin = shape_numel(net->input);
    float *x = xmalloc(sizeof(float) * nin * (size_t)B);
    int *ybuf = xmalloc(sizeof(int) * (size_t)B), *pseudo = xmalloc(sizeof(int) * (size_t)images);
    for (int b = 0; b < images; b += B) {   /* the pseudo-labels: the full-precision top-1 */
        int m = images - b < B ? images - b : B;
        dataset_batch(ds, &ds->train, idx + b, m, x, ybuf);
        const float *o = net_forward(net, x, m);
        for (int i = 0; i < m; i++) pseudo[b + i] = argmax_first(o + (size_t)i * K, K);
    }
    NetStats st;
    net_stats(net, &st);

    /* the full-precision gradient: the same for every configuration (the folded parameters
     * do not depend on the format), taken through the first configuration's twin uncalibrated */
    Grads gf, gq;
    QNet *q0 = qnet_new(net, quant_spec_config(sc->configs[0]), &sc->opt);
    grads_new(q0, &gf);
    double fp_loss = accumulate(q0, bp, ds, idx, images, B, 0, pseudo, &gf, x, ybuf);
    qnet_free(q0);
    double fp_pow = 0;
    for (int p = 0; p < gf.np; p++)
        for (size_t k = 0; k < gf.numel[p]; k++) fp_pow += (double)gf.g[p][k] * gf.g[p][k];

    Progress prog;
    if (progress) progress_start(&prog, "grad-sim", sc->n_configs);
    for (int ci = 0; ci < sc->n_configs; ci++) {
        QNet *q = qnet_new(net, quant_spec_config(sc->configs[ci]), &sc->opt);
        sweep_calibrate_seeded(q, net, ds, sc->calib_batches, B, sc->seed);
        grads_new(q, &gq);
        double q_loss = accumulate(q, bp, ds, idx, images, B, 1, pseudo, &gq, x, ybuf);
        double js = 0, cos = 0, share = 0, err = 0;
        for (int p = 0; p < gq.np; p++) {
            QParamView v = qnet_param(q, p);
            double pp, mp;
            net_stats_layer_share(&st, v.node, &pp, &mp);
            js += mp * grad_jsn(gq.g[p], gf.g[p], v.rank, v.shape);
            cos += mp * sim_cosine(gq.g[p], gf.g[p], v.numel);
            share += mp;
            for (size_t k = 0; k < v.numel; k++) {
                double d = (double)gq.g[p][k] - gf.g[p][k];
                err += d * d;
            }
        }
        rows[ci] = (GradSimRow){fp_loss, q_loss, js, share > 0 ? cos / share : 0, sim_sqnr_db_pow(fp_pow, err)};
        grads_free(&gq);
        qnet_free(q);
        if (progress) progress_update(&prog, ci + 1);
    }
    if (progress) progress_end(&prog);
    grads_free(&gf);
    net_stats_free(&st);
    free(x); free(ybuf); free(pseudo); free(idx);
}

double gs_value(const GradSimRow *r, const char *column)
{
    if (!strcmp(column, "grad_js_flops")) return r->js_flops;
    if (!strcmp(column, "grad_cos_flops")) return r->cos_flops;
    if (!strcmp(column, "grad_sqnr_db")) return r->sqnr_db;
    if (!strcmp(column, "fp_xent")) return r->fp_xent;
    if (!strcmp(column, "q_xent")) return r->q_xent;
    return NAN;
}

void gs_run(Net *net, Backprop *bp, const Dataset *ds, const SweepConfig *sc, int images, const char *out)
{
    GradSimRow *rows = xmalloc(sizeof *rows * (size_t)sc->n_configs);
    gs_compute(net, bp, ds, sc, images, 1, rows);
    AtomicFile af;
    FILE *f = atomic_open_or_die(&af, out);
    fprintf(f, "title\tquant\tbits\tebits\timages\tfp_xent\tq_xent\tgrad_js_flops\tgrad_cos_flops\tgrad_sqnr_db\n");
    for (int ci = 0; ci < sc->n_configs; ci++) {
        const QuantConfig *qc = &quant_configs[sc->configs[ci]];
        const GradSimRow *r = &rows[ci];
        fprintf(f, "%s\t%s\t%d\t%d\t%d\t%.6f\t%.6f\t%.9g\t%.9g\t%.4f\n", qc->title, quant_type_name(qc->type), qc->bits,
                qc->ebits, images, r->fp_xent, r->q_xent, r->js_flops, r->cos_flops, r->sqnr_db);
    }
    atomic_commit_or_die(&af);
    free(rows);
}
