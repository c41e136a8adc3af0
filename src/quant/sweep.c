/* sweep.c — the PTQ sweep driver (see sweep.h). */
#include "quant/sweep.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/fileio.h"
#include "base/progress.h"
#include "base/rng.h"
#include "io/augment.h"
#include "nn/eval.h"
#include "nn/stats.h"

#define MAX_ROWS 64

typedef struct {
    char line[4096];            /* the table row, without newline */
    char *layers;               /* its per-layer rows (owned) */
} Row;

typedef struct {
    int *calib, n_calib, *test, n_test;
} Selection;

/* Seeded (or first-N) choice of calibration and evaluation images. */
static void select_images(const Dataset *ds, const SweepConfig *sc, Selection *s)
{
    Rng r;
    rng_seed(&r, sc->seed);
    int ntr = ds->train.n, nte = ds->test.n;
    s->n_calib = sc->calib_batches * sc->batch;
    if (s->n_calib > ntr) s->n_calib = ntr;
    s->n_test = sc->limit > 0 && sc->limit < nte ? (int)sc->limit : nte;
    int *all = xmalloc(sizeof(int) * (size_t)(ntr > nte ? ntr : nte));
    for (int i = 0; i < ntr; i++) all[i] = i;
    if (!sc->select_first) rng_shuffle(&r, all, ntr);
    s->calib = xmalloc(sizeof(int) * (size_t)s->n_calib);
    memcpy(s->calib, all, sizeof(int) * (size_t)s->n_calib);
    for (int i = 0; i < nte; i++) all[i] = i;
    if (!sc->select_first && s->n_test < nte) rng_shuffle(&r, all, nte);
    s->test = xmalloc(sizeof(int) * (size_t)s->n_test);
    memcpy(s->test, all, sizeof(int) * (size_t)s->n_test);
    free(all);
}

static const float *qnet_fwd(void *ctx, const float *x, int n) { return qnet_infer(ctx, x, n); }

static const char *type_name(QuantType t) { return t == QUANT_INT ? "INT" : t == QUANT_POT ? "POT" : "FLOAT"; }

static void settings_line(const SweepConfig *sc, char *buf, size_t n)
{
    snprintf(buf, n, "# settings: ckpt=%s calib_batches=%d batch=%d select=%s augment=%d limit=%ld seed=%llu "
             "compat=%d per_channel=%d%s",
             sc->ckpt, sc->calib_batches, sc->batch, sc->select_first ? "first" : "seeded", sc->calib_augment,
             sc->limit, (unsigned long long)sc->seed, sc->opt.compat, sc->opt.per_channel,
             sc->opt.asym_act ? " asym_act=1" : "");
}

static void table_header(char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "title\tquant\tbits\tebits\tfull_acc\tptq_acc\tacc_loss\tjs_flops\tjs_flops_wt_log\t"
                                          "js_flops_wt_cbrt\tjs_param");
    for (int m = 0; m < SIM_METRIC_COUNT; m++)
        if (m != SIM_JS)
            len += (size_t)snprintf(buf + len, n - len, "\t%s_flops\t%s_param", sim_metric_info(m)->name,
                                    sim_metric_info(m)->name);
    snprintf(buf + len, n - len, "\tlogit_sqnr_db\tact_sqnr_db_flops\tseconds");
}

static void layers_header(char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "title\tlayer\tparam\tnumel\tflop_pct\tpar_pct");
    for (int m = 0; m < SIM_METRIC_COUNT; m++) len += (size_t)snprintf(buf + len, n - len, "\t%s", sim_metric_info(m)->name);
}

/* Write the tables (header + rows in config order) atomically to path. */
static void write_tables(const char *path, const char *settings, const char *header, Row *rows, int n, int layers)
{
    AtomicFile af;
    FILE *f = atomic_open_or_die(&af, path);
    if (settings) fprintf(f, "%s\n", settings);
    fprintf(f, "%s\n", header);
    for (int i = 0; i < n; i++) {
        if (layers) fputs(rows[i].layers, f);
        else fprintf(f, "%s\n", rows[i].line);
    }
    atomic_commit_or_die(&af);
}

/* Rows of a previous interrupted run with the same settings (returns how many). */
static int load_partial(const char *path, const char *settings, Row *rows, const char *lpath)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[4096];
    int n = 0;
    if (!fgets(line, sizeof line, f) || strncmp(line, settings, strlen(settings)) || line[strlen(settings)] != '\n') {
        fclose(f);
        return 0;   /* different settings: start over */
    }
    if (!fgets(line, sizeof line, f)) { fclose(f); return 0; }   /* header */
    while (n < MAX_ROWS && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        snprintf(rows[n].line, sizeof rows[n].line, "%s", line);
        rows[n].layers = xstrdup("");
        n++;
    }
    fclose(f);
    /* per-layer rows: group by title */
    FILE *lf = fopen(lpath, "r");
    if (!lf) {
        for (int i = 0; i < n; i++) free(rows[i].layers);
        return 0;
    }
    char *l = NULL;
    size_t cap = 0;
    int lineno = 0;
    while (getline(&l, &cap, lf) > 0) {
        if (lineno++ < 2) continue;
        size_t tl = strcspn(l, "\t");
        for (int i = 0; i < n; i++)
            if (!strncmp(rows[i].line, l, tl) && rows[i].line[tl] == '\t') {
                size_t a = strlen(rows[i].layers), b = strlen(l);
                rows[i].layers = xrealloc(rows[i].layers, a + b + 1);
                memcpy(rows[i].layers + a, l, b + 1);
            }
    }
    free(l);
    fclose(lf);
    return n;
}

typedef struct { char *buf; size_t len, cap; } Str;

static void str_add(Str *s, const char *fmt, ...) MTA_PRINTF(2, 3);
static void str_add(Str *s, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(s->buf ? s->buf + s->len : NULL, s->buf ? s->cap - s->len : 0, fmt, ap);
        va_end(ap);
        if (s->buf && (size_t)k < s->cap - s->len) { s->len += (size_t)k; return; }
        s->cap = s->cap * 2 + (size_t)k + 256;
        s->buf = xrealloc(s->buf, s->cap);
    }
}

void sweep_run(Net *net, const Dataset *ds, const SweepConfig *sc)
{
    Selection sel;
    select_images(ds, sc, &sel);
    int B = net->max_batch;
    float *x = xmalloc(shape_numel(net->input) * (size_t)B * sizeof(float));
    int *y = xmalloc(sizeof(int) * (size_t)B);
    Rng aug_rng;
    AugmentConfig aug = {4, 1};

    /* full precision: accuracy, and the activations of the first calibration batch */
    int *all = sel.test;
    double full_acc = net_accuracy(net, ds, &ds->test, all, sel.n_test, NULL);
    int n0 = sel.n_calib < B ? sel.n_calib : B;
    dataset_batch(ds, &ds->train, sel.calib, n0, x, y);
    net_forward(net, x, n0);
    size_t stash_n = 0;
    for (int i = 0; i < net->n_nodes; i++) stash_n += shape_numel(net->nodes[i].out_shape) * (size_t)n0;
    float *stash = xmalloc(stash_n * sizeof(float)), *x0 = xmalloc(shape_numel(net->input) * (size_t)n0 * sizeof(float));
    memcpy(x0, x, shape_numel(net->input) * (size_t)n0 * sizeof(float));
    size_t *stash_off = xmalloc(sizeof(size_t) * (size_t)net->n_nodes);
    for (size_t i = 0, off = 0; i < (size_t)net->n_nodes; i++) {
        size_t c = shape_numel(net->nodes[i].out_shape) * (size_t)n0;
        stash_off[i] = off;
        memcpy(stash + off, net->act[net->nodes[i].out], c * sizeof(float));
        off += c;
    }

    NetStats st;
    net_stats(net, &st);
    double mac = stats_mac_parsed(st.macs);
    float lf = sim_log_factor(mac), cf = sim_cbrt_factor(mac);

    char settings[4096], header[2048], lheader[1024], partial[4200], lpartial[4200];
    settings_line(sc, settings, sizeof settings);
    table_header(header, sizeof header);
    layers_header(lheader, sizeof lheader);
    snprintf(partial, sizeof partial, "%s.partial", sc->out);
    snprintf(lpartial, sizeof lpartial, "%s.partial", sc->layers);
    Row rows[MAX_ROWS];
    int n_rows = load_partial(partial, settings, rows, lpartial);
    if (n_rows && !sc->quiet) fprintf(stderr, "ptq: resuming %s after %d completed configurations\n", sc->out, n_rows);

    Progress prog;
    progress_start(&prog, "ptq", sc->n_configs);
    int computed = 0;
    for (int ci = 0; ci < sc->n_configs; ci++) {
        if (sc->stop_after > 0 && computed == sc->stop_after) {
            progress_end(&prog);
            if (!sc->quiet) fprintf(stderr, "ptq: stopped after %d configurations (--stop-after); rerun to resume\n", computed);
            goto out;
        }
        const QuantConfig *qc = &quant_configs[sc->configs[ci]];
        int done = 0;
        for (int r = 0; r < n_rows; r++) {
            size_t tl = strlen(qc->title);
            if (!strncmp(rows[r].line, qc->title, tl) && rows[r].line[tl] == '\t') done = 1;
        }
        if (done) continue;
        double t0 = now_seconds();
        QNet *q = qnet_new(net, quant_spec_config(sc->configs[ci]), &sc->opt);
        rng_seed(&aug_rng, sc->seed ^ 0xca11b8a7eULL);
        for (int b = 0; b < sel.n_calib; b += B) {
            int m = sel.n_calib - b < B ? sel.n_calib - b : B;
            if (sc->calib_augment) augment_batch(ds, &ds->train, sel.calib + b, m, &aug, &aug_rng, x, y);
            else dataset_batch(ds, &ds->train, sel.calib + b, m, x, y);
            qnet_calibrate(q, x, m);
        }
        qnet_freeze(q);
        double acc = accuracy_with(qnet_fwd, q, net, ds, &ds->test, sel.test, sel.n_test, NULL);
        /* activation metrics on the first calibration batch */
        const float *logits = qnet_infer(q, x0, n0);
        double logit_sqnr = sim_sqnr_db(logits, stash + stash_off[net->n_nodes - 1], (size_t)net->classes * n0);
        double act_sum = 0;
        for (int i = 0; i < net->n_nodes; i++) {
            const Node *nd = &net->nodes[i];
            if (nd->op != OP_CONV && nd->op != OP_LINEAR) continue;
            double pp, mp;
            net_stats_layer_share(&st, i, &pp, &mp);
            QParam *qo = qnet_observer_for_tensor(q, nd->out);
            size_t c = shape_numel(nd->out_shape) * (size_t)n0;
            float *deq = xmalloc(c * sizeof(float));
            for (size_t j = 0; j < c; j++) deq[j] = (qo ? qo->scale : 0.0f) * net->act[nd->out][j];
            act_sum += sim_sqnr_db(deq, stash + stash_off[i], c) * mp;
            free(deq);
        }
        /* parameter metrics */
        double flops[SIM_METRIC_COUNT] = {0}, param[SIM_METRIC_COUNT] = {0};
        Str ls = {0};
        for (int p = 0; p < qnet_param_count(q); p++) {
            QParamView v = qnet_param(q, p);
            double pp, mp;
            net_stats_layer_share(&st, v.node, &pp, &mp);
            const char *dot = strrchr(v.name, '.');
            str_add(&ls, "%s\t%.*s\t%s\t%zu\t%.3f\t%.3f", qc->title, (int)(dot - v.name), v.name, dot + 1, v.numel, mp, pp);
            for (int m = 0; m < SIM_METRIC_COUNT; m++) {
                double val = sim_metric_value(m, v.quant, v.full, v.rank, v.shape, sc->opt.js_prec);
                if (m == SIM_JS && val < 0) val = 0;   /* Q13 */
                flops[m] += val * mp;
                param[m] += val * pp;
                str_add(&ls, "\t%.9g", val);
            }
            str_add(&ls, "\n");
        }
        double secs = now_seconds() - t0;
        Row *row = &rows[n_rows++];
        int len = snprintf(row->line, sizeof row->line, "%s\t%s\t%d\t%d\t%.4f\t%.4f\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g", qc->title,
                           type_name(qc->type), qc->bits, qc->ebits, full_acc, acc, (full_acc - acc) / full_acc,
                           flops[SIM_JS], flops[SIM_JS] * (double)lf, flops[SIM_JS] * (double)cf, param[SIM_JS]);
        for (int m = 0; m < SIM_METRIC_COUNT; m++)
            if (m != SIM_JS) len += snprintf(row->line + len, sizeof row->line - (size_t)len, "\t%.9g\t%.9g", flops[m], param[m]);
        snprintf(row->line + len, sizeof row->line - (size_t)len, "\t%.4f\t%.4f\t%.2f", logit_sqnr, act_sum / 100.0, secs);
        row->layers = ls.buf ? ls.buf : xstrdup("");
        qnet_free(q);
        computed++;
        /* keep the rows in configuration order, then save progress */
        write_tables(partial, settings, header, rows, n_rows, 0);
        write_tables(lpartial, settings, lheader, rows, n_rows, 1);
        progress_update(&prog, ci + 1);
        if (!sc->quiet) fprintf(stderr, "%s%-12s acc %6.2f%%  js_flops %.4g  %.1fs\n", prog.tty ? "\r\033[K" : "", qc->title, acc, flops[SIM_JS], secs);
    }
    progress_end(&prog);
    /* final tables in configuration order, without the settings line */
    Row ordered[MAX_ROWS];
    int n_ord = 0;
    for (int ci = 0; ci < sc->n_configs; ci++) {
        const char *t = quant_configs[sc->configs[ci]].title;
        for (int r = 0; r < n_rows; r++) {
            size_t tl = strlen(t);
            if (!strncmp(rows[r].line, t, tl) && rows[r].line[tl] == '\t') ordered[n_ord++] = rows[r];
        }
    }
    write_tables(sc->layers, NULL, lheader, ordered, n_ord, 1);
    write_tables(sc->out, NULL, header, ordered, n_ord, 0);
    remove(partial);
    remove(lpartial);
out:
    for (int r = 0; r < n_rows; r++) free(rows[r].layers);
    net_stats_free(&st);
    free(stash); free(stash_off); free(x0); free(x); free(y);
    free(sel.calib); free(sel.test);
}
