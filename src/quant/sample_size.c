/* sample_size.c — the label-free metrics on disjoint draws of N unlabelled images
 * (sample_size.h). */
#include "quant/sample_size.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/fileio.h"
#include "base/progress.h"
#include "base/rng.h"
#include "nn/eval.h"
#include "quant/qnet.h"
#include "quant/similarity.h"

void ss_parse_sizes(const char *s, SampleSizeConfig *ss)
{
    ss->n_sizes = 0;
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *end;
        long v = strtol(tok, &end, 10);
        if (*end || end == tok || v < 1 || v > (1 << 24)) die("flag --sizes: '%s' is not a whole number >= 1", tok);
        if (ss->n_sizes == SS_MAX_SIZES) die("flag --sizes: more than %d sizes", SS_MAX_SIZES);
        if (ss->n_sizes && v <= ss->sizes[ss->n_sizes - 1]) die("flag --sizes: sizes must be distinct and ascending (%ld after %d)", v, ss->sizes[ss->n_sizes - 1]);
        ss->sizes[ss->n_sizes++] = (int)v;
    }
    if (!ss->n_sizes) die("flag --sizes: no size given");
}

int ss_draws_of(const SampleSizeConfig *ss, int n)
{
    int k = ss->pool / n;
    return k < ss->draws ? k : ss->draws;
}

/* Per pool image: top-1 agreement, KL(P_fp || P_q), signal and error power of the logits. */
typedef struct {
    unsigned char *same;
    double *kl, *sig, *err;
} PerImage;

static void per_image(const float *fp, const float *q, int K, PerImage *pi, int i, double *lp)
{
    double sig = 0, err = 0;
    pi->same[i] = argmax_first(fp, K) == argmax_first(q, K);
    pi->kl[i] = sim_kl_logits(fp, q, K, lp);
    for (int j = 0; j < K; j++) {
        sig += (double)fp[j] * fp[j];
        err += ((double)q[j] - fp[j]) * ((double)q[j] - fp[j]);
    }
    pi->sig[i] = sig;
    pi->err[i] = err;
}

void ss_run(Net *net, const Dataset *ds, const SweepConfig *sc, const SampleSizeConfig *ss, const char *out)
{
    int ncal = sc->calib_batches * sc->batch, B = sc->batch, K = net->classes;
    if (ds->train.n < ncal + ss->pool)
        die("mta sample-size: the training split has %d images, fewer than %d calibration + %d pool images", ds->train.n, ncal,
            ss->pool);
    for (int s = 0; s < ss->n_sizes; s++)
        if (ss->sizes[s] > ss->pool) die("flag --sizes: %d is more than the pool's %d images (--pool)", ss->sizes[s], ss->pool);
    /* the sweep's seeded order: its first ncal images calibrate, the next pool ones are unseen */
    Rng r;
    rng_seed(&r, sc->seed);
    int *idx;
    sweep_calib_images(ds, &r, 0, ncal + ss->pool, &idx);
    const int *pool = idx + ncal;
    int P = ss->pool;
    /* positions of the pool in draw order: draw d of size n is order[d*n .. (d+1)*n) */
    int *order = xmalloc(sizeof(int) * (size_t)P);
    for (int i = 0; i < P; i++) order[i] = i;
    Rng rd;
    rng_seed(&rd, sc->seed ^ 0x5a3b1e5eULL);
    rng_shuffle(&rd, order, P);

    size_t nin = shape_numel(net->input);
    float *x = xmalloc(nin * (size_t)B * sizeof(float)), *fp = xmalloc(sizeof(float) * (size_t)P * (size_t)K);
    int *y = xmalloc(sizeof(int) * (size_t)B);
    for (int b = 0; b < P; b += B) {
        int m = P - b < B ? P - b : B;
        dataset_batch(ds, &ds->train, pool + b, m, x, y);
        memcpy(fp + (size_t)b * K, net_forward(net, x, m), sizeof(float) * (size_t)m * K);
    }
    PerImage pi = {xmalloc((size_t)P), xmalloc(sizeof(double) * (size_t)P), xmalloc(sizeof(double) * (size_t)P),
                   xmalloc(sizeof(double) * (size_t)P)};
    double *lp = xmalloc(sizeof(double) * (size_t)K * 2);

    AtomicFile af;
    FILE *f = atomic_open_or_die(&af, out);
    fprintf(f, "title\tquant\tbits\tebits\tn\tdraw\tagree_top1\tkl_fp_q\tlogit_sqnr_db\n");
    Progress prog;
    progress_start(&prog, "sample-size", sc->n_configs);
    for (int ci = 0; ci < sc->n_configs; ci++) {
        const QuantConfig *qc = &quant_configs[sc->configs[ci]];
        QNet *q = qnet_new(net, quant_spec_config(sc->configs[ci]), &sc->opt);
        sweep_calibrate_seeded(q, net, ds, sc->calib_batches, B, sc->seed);
        qnet_freeze(q);
        for (int b = 0; b < P; b += B) {
            int m = P - b < B ? P - b : B;
            dataset_batch(ds, &ds->train, pool + b, m, x, y);
            const float *ql = qnet_infer(q, x, m);
            for (int i = 0; i < m; i++) per_image(fp + (size_t)(b + i) * K, ql + (size_t)i * K, K, &pi, b + i, lp);
        }
        qnet_free(q);
        for (int s = 0; s < ss->n_sizes; s++) {
            int n = ss->sizes[s], nd = ss_draws_of(ss, n);
            for (int d = 0; d < nd; d++) {
                double same = 0, kl = 0, sig = 0, err = 0;
                for (int k = d * n; k < (d + 1) * n; k++) {
                    int i = order[k];
                    same += pi.same[i];
                    kl += pi.kl[i];
                    sig += pi.sig[i];
                    err += pi.err[i];
                }
                fprintf(f, "%s\t%s\t%d\t%d\t%d\t%d\t%.4f\t%.9g\t%.4f\n", qc->title, quant_type_name(qc->type), qc->bits, qc->ebits, n, d, 100.0 * same / n,
                        kl / n, sim_sqnr_db_pow(sig, err));
            }
        }
        progress_update(&prog, ci + 1);
    }
    progress_end(&prog);
    atomic_commit_or_die(&af);
    free(pi.same); free(pi.kl); free(pi.sig); free(pi.err);
    free(lp); free(x); free(fp); free(y); free(order); free(idx);
}
