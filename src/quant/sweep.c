/* sweep.c — the PTQ sweep driver (see sweep.h), in named steps:
 *   select_images -> stash_fp_activations -> (per configuration) calibrate -> activation_metrics
 *   -> param_metrics -> format_row -> save_progress; load_partial validates what an interrupted
 *   run left and keeps only complete, well-formed rows. */
#include "quant/sweep.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/env.h"
#include "base/fileio.h"
#include "base/progress.h"
#include "base/rng.h"
#include "io/augment.h"
#include "nn/eval.h"
#include "nn/stats.h"

#define MAX_ROWS 64

typedef struct {
    char line[4096];            /* the table row, without newline */
    char *layers;               /* its per-layer rows, each ending in '\n' (owned) */
    double acc, js_flops;       /* for the progress line of a computed row */
} Row;

typedef struct {
    int *calib, n_calib, *test, n_test;   /* owned */
} Selection;

/* Seeded (or first-N) choice of calibration and evaluation images. */
int sweep_calib_images(const Dataset *ds, Rng *r, int select_first, int n, int **out)
{
    int ntr = ds->train.n;
    if (n > ntr) n = ntr;
    int *all = xmalloc(sizeof(int) * (size_t)ntr);
    for (int i = 0; i < ntr; i++) all[i] = i;
    if (!select_first) rng_shuffle(r, all, ntr);
    *out = xmalloc(sizeof(int) * (size_t)(n ? n : 1));
    memcpy(*out, all, sizeof(int) * (size_t)n);
    free(all);
    return n;
}

static void select_images(const Dataset *ds, const SweepConfig *sc, Selection *s)
{
    Rng r;
    rng_seed(&r, sc->seed);
    int nte = ds->test.n;
    s->n_calib = sweep_calib_images(ds, &r, sc->select_first, sc->calib_batches * sc->batch, &s->calib);
    if (sc->calib_x) s->n_calib = sc->calib_n;   /* generated images (the indices stay unused) */
    s->n_test = sc->limit > 0 && sc->limit < nte ? (int)sc->limit : nte;
    int *all = xmalloc(sizeof(int) * (size_t)nte);
    for (int i = 0; i < nte; i++) all[i] = i;
    if (!sc->select_first && s->n_test < nte) rng_shuffle(&r, all, nte);
    s->test = xmalloc(sizeof(int) * (size_t)s->n_test);
    memcpy(s->test, all, sizeof(int) * (size_t)s->n_test);
    free(all);
}

/* The full-precision activations of every node on the first calibration batch, against
 * which the quantized activations are compared. */
typedef struct {
    float *x0;            /* the batch (n0, input), owned */
    int n0;
    float *act;           /* every node's output, concatenated (owned) */
    size_t *off;          /* offset of node i's output in act (owned) */
} FpStash;

static void stash_fp_activations(Net *net, const Dataset *ds, const Selection *sel, const float *sc_calib_x, float *x, int *y,
                                 FpStash *fs)
{
    int B = net->max_batch;
    fs->n0 = sel->n_calib < B ? sel->n_calib : B;
    size_t nin = shape_numel(net->input) * (size_t)fs->n0;
    if (sc_calib_x) memcpy(x, sc_calib_x, nin * sizeof(float));
    else dataset_batch(ds, &ds->train, sel->calib, fs->n0, x, y);
    net_forward(net, x, fs->n0);
    size_t total = 0;
    for (int i = 0; i < net->n_nodes; i++) total += shape_numel(net->nodes[i].out_shape) * (size_t)fs->n0;
    fs->act = xmalloc(total * sizeof(float));
    fs->x0 = xmalloc(nin * sizeof(float));
    memcpy(fs->x0, x, nin * sizeof(float));
    fs->off = xmalloc(sizeof(size_t) * (size_t)net->n_nodes);
    for (size_t i = 0, off = 0; i < (size_t)net->n_nodes; i++) {
        size_t c = shape_numel(net->nodes[i].out_shape) * (size_t)fs->n0;
        fs->off[i] = off;
        memcpy(fs->act + off, net->act[net->nodes[i].out], c * sizeof(float));
        off += c;
    }
}

static void fp_stash_free(FpStash *fs)
{
    free(fs->x0);
    free(fs->act);
    free(fs->off);
}

static const float *qnet_fwd(void *ctx, const float *x, int n) { return qnet_infer(ctx, x, n); }


/* The settings a resumed run must share (the augmentation only when it is not the
 * reference's crop 4 + flip, so that older partial tables stay resumable). */
static void settings_line(const SweepConfig *sc, char *buf, size_t n)
{
    char aug[64] = "";
    if (sc->calib_augment && (sc->calib_aug.crop_pad != 4 || sc->calib_aug.flip != 1))
        snprintf(aug, sizeof aug, " aug_crop_pad=%d aug_flip=%d", sc->calib_aug.crop_pad, sc->calib_aug.flip);
    snprintf(buf, n, "# settings: ckpt=%s calib_batches=%d batch=%d select=%s augment=%d limit=%ld seed=%llu "
             "compat=%d per_channel=%d%s%s%s%s",
             sc->ckpt, sc->calib_batches, sc->batch, sc->select_first ? "first" : "seeded", sc->calib_augment,
             sc->limit, (unsigned long long)sc->seed, sc->opt.compat, sc->opt.per_channel,
             sc->opt.asym_act ? " asym_act=1" : "", aug, sc->calib_data ? " calib_data=" : "", sc->calib_data ? sc->calib_data : "");
}

/* "<out minus .tsv>.settings.tsv": every setting of the run and the environment the numbers
 * depend on, as setting/value rows (make diff prints the environment rows without counting
 * them). */
/* The share (%) of the most frequent class among the selected test images: the accuracy of a
 * network that always answers that class, the floor a collapsed quantized model sits at. */
static double majority_pct(const Dataset *ds, const Selection *sel)
{
    int *count = xcalloc((size_t)ds->classes, sizeof *count), best = 0;
    for (int i = 0; i < sel->n_test; i++) {
        int c = ds->test.labels[sel->test[i]];
        if (c < ds->classes && ++count[c] > best) best = count[c];
    }
    free(count);
    return sel->n_test > 0 ? 100.0 * best / sel->n_test : 0;
}

static void write_settings(const SweepConfig *sc, const Net *net, const Dataset *ds, const Selection *sel)
{
    int n_calib = sel->n_calib, n_test = sel->n_test;
    char path[4300];
    path_sibling(sc->out, ".settings.tsv", path, sizeof path);
    AtomicFile af;
    FILE *f = atomic_open_or_die(&af, path);
    fprintf(f, "setting\tvalue\nckpt\t%s\nmodel\t%s\nconfigs\t%d\ncalib_batches\t%d\nbatch\t%d\ncalib_images\t%d\n"
               "test_images\t%d\nselect\t%s\ncalib_augment\t%d\n", sc->ckpt, net->model_name, sc->n_configs,
            sc->calib_batches, sc->batch, n_calib, n_test, sc->select_first ? "first" : "seeded", sc->calib_augment);
    fprintf(f, "classes\t%d\nmajority_pct\t%.2f\n", ds->classes, majority_pct(ds, sel));
    if (sc->calib_data) fprintf(f, "calib_data\t%s\n", sc->calib_data);
    if (sc->calib_augment) fprintf(f, "aug_crop_pad\t%d\naug_flip\t%d\n", sc->calib_aug.crop_pad, sc->calib_aug.flip);
    fprintf(f, "seed\t%llu\ncompat\t%d\nper_channel\t%d\nasym_act\t%d\n", (unsigned long long)sc->seed, sc->opt.compat,
            sc->opt.per_channel, sc->opt.asym_act);
    EnvInfo env = env_info(net->threads > 0 ? net->threads : 1);
    env_write_rows(&env, f);
    atomic_commit_or_die(&af);
}

static void table_header(char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "title\tquant\tbits\tebits\tfull_acc\tptq_acc\tacc_loss\tjs_flops\tjs_flops_wt_log\t"
                                          "js_flops_wt_cbrt\tjs_param");
    for (int m = 0; m < SIM_METRIC_COUNT; m++)
        if (m != SIM_JS)
            len += (size_t)snprintf(buf + len, n - len, "\t%s_flops\t%s_param", sim_metric_info(m)->name,
                                    sim_metric_info(m)->name);
    snprintf(buf + len, n - len, "\tlogit_sqnr_db\tact_sqnr_db_flops\tagree_top1\tkl_fp_q\tseconds");
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

/* ------------------------------------------------------------------ resuming */

/* The number of tab-separated fields of line[0..len). */
static int count_fields(const char *line, size_t len)
{
    int n = 1;
    for (size_t i = 0; i < len; i++) n += line[i] == '\t';
    return n;
}

/* Is [s, e) one whole number as %.9g / %.4f print them (incl. nan, inf)? */
static int is_number(const char *s, const char *e)
{
    if (s == e || e - s > 64) return 0;
    char buf[72], *end;
    memcpy(buf, s, (size_t)(e - s));
    buf[e - s] = 0;
    (void)strtod(buf, &end);
    return *end == 0;
}

/* Every field of [line, line+len) is a number except the first `text` fields. */
static int numbers_after(const char *line, size_t len, int text)
{
    const char *p = line, *end = line + len;
    for (int k = 0;; k++) {
        const char *tab = memchr(p, '\t', (size_t)(end - p));
        const char *fe = tab ? tab : end;
        if (k >= text && !is_number(p, fe)) return 0;
        if (!tab) return 1;
        p = tab + 1;
    }
}

/* Index in sc->configs of the configuration whose title starts line (up to a tab), or -1. */
static int config_of_line(const SweepConfig *sc, const char *line, size_t len)
{
    const char *tab = memchr(line, '\t', len);
    if (!tab) return -1;
    size_t tl = (size_t)(tab - line);
    for (int ci = 0; ci < sc->n_configs; ci++) {
        const char *t = quant_configs[sc->configs[ci]].title;
        if (strlen(t) == tl && !strncmp(t, line, tl)) return ci;
    }
    return -1;
}

/* The lines of a file: text (owned), starts and lengths without '\n'; a last line without its
 * '\n' (a torn write) is marked incomplete by `complete` = 0. */
typedef struct {
    char *text;
    const char **start;
    size_t *len;
    int n, last_complete;
} Lines;

static int read_lines(const char *path, Lines *ls)
{
    memset(ls, 0, sizeof *ls);
    char err[256];
    size_t n = 0;
    ls->text = file_read_all(path, (size_t)256 << 20, 0, &n, err, sizeof err);
    if (!ls->text) return -1;
    int cap = 64;
    ls->start = xmalloc(sizeof *ls->start * (size_t)cap);
    ls->len = xmalloc(sizeof *ls->len * (size_t)cap);
    for (size_t i = 0; i < n;) {
        const char *nl = memchr(ls->text + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - ls->text) : n;
        if (ls->n == cap) {
            cap *= 2;
            ls->start = xrealloc(ls->start, sizeof *ls->start * (size_t)cap);
            ls->len = xrealloc(ls->len, sizeof *ls->len * (size_t)cap);
        }
        ls->start[ls->n] = ls->text + i;
        ls->len[ls->n++] = e - i;
        ls->last_complete = nl != NULL;
        i = e + 1;
    }
    return 0;
}

static void lines_free(Lines *ls)
{
    free(ls->text);
    free(ls->start);
    free(ls->len);
}

static int line_is(const Lines *ls, int k, const char *s)
{
    return k < ls->n && ls->len[k] == strlen(s) && !memcmp(ls->start[k], s, ls->len[k]) &&
           (k + 1 < ls->n || ls->last_complete);
}

/* What load_partial kept and why it stopped. */
typedef struct {
    int kept, dropped;
    char why[200];
} ResumeReport;

/* Rows of a previous interrupted run with the same settings, validated: the settings line
 * and both headers equal; every main row complete (ends in '\n'), with the header's field
 * count, a title among the requested configurations in canonical order (no repeats), the
 * quant word and numbers everywhere else; its per-layer rows complete, `layer_rows` of them,
 * in the same order, numbers after title/layer/param.  The first row that fails ends the
 * kept prefix: it and everything after are recomputed.  Returns the number of rows kept. */
static int load_partial(const char *path, const char *lpath, const char *settings, const char *header,
                        const char *lheader, const SweepConfig *sc, int layer_rows, Row *rows, ResumeReport *rep)
{
    memset(rep, 0, sizeof *rep);
    Lines m, l;
    if (read_lines(path, &m)) return 0;
    if (read_lines(lpath, &l)) {
        snprintf(rep->why, sizeof rep->why, "the per-layer table %.150s is missing", lpath);
        rep->dropped = m.n > 2 ? m.n - 2 : 0;
        lines_free(&m);
        return 0;
    }
    int n = 0, hf = count_fields(header, strlen(header)), lf = count_fields(lheader, strlen(lheader));
    if (!line_is(&m, 0, settings) || !line_is(&l, 0, settings)) {
        snprintf(rep->why, sizeof rep->why, "other settings");
        rep->dropped = m.n > 2 ? m.n - 2 : 0;
        goto out;
    }
    if (!line_is(&m, 1, header) || !line_is(&l, 1, lheader)) {
        snprintf(rep->why, sizeof rep->why, "another table header (another mta version?)");
        rep->dropped = m.n > 2 ? m.n - 2 : 0;
        goto out;
    }
    int last_ci = -1, lk = 2;
    for (int k = 2; k < m.n && n < MAX_ROWS; k++) {
        const char *s = m.start[k];
        size_t len = m.len[k];
        int ci = config_of_line(sc, s, len);
        const char *why = NULL;
        if (k + 1 == m.n && !m.last_complete) why = "the last row is cut off";
        else if (count_fields(s, len) != hf) why = "a row has the wrong number of fields";
        else if (ci < 0) why = "a row's configuration is not among --configs";
        else if (ci <= last_ci) why = "rows out of the configurations' order";
        else if (!numbers_after(s, len, 2)) why = "a row has a field that is not a number";
        else {
            /* its layer rows */
            const char *t = quant_configs[sc->configs[ci]].title;
            size_t tl = strlen(t);
            for (int j = 0; j < layer_rows && !why; j++) {
                int q = lk + j;
                if (q >= l.n || (q + 1 == l.n && !l.last_complete)) why = "its per-layer rows are incomplete";
                else if (l.len[q] <= tl || strncmp(l.start[q], t, tl) || l.start[q][tl] != '\t')
                    why = "its per-layer rows are missing or out of order";
                else if (count_fields(l.start[q], l.len[q]) != lf || !numbers_after(l.start[q], l.len[q], 3))
                    why = "a per-layer row is malformed";
            }
        }
        if (why) {
            snprintf(rep->why, sizeof rep->why, "%s (table line %d)", why, k + 1);
            rep->dropped = m.n - k;
            break;
        }
        snprintf(rows[n].line, sizeof rows[n].line, "%.*s", (int)len, s);
        size_t bytes = (size_t)(l.start[lk + layer_rows - 1] + l.len[lk + layer_rows - 1] - l.start[lk]) + 1;
        rows[n].layers = xmalloc(bytes + 1);
        memcpy(rows[n].layers, l.start[lk], bytes);
        rows[n].layers[bytes] = 0;
        n++;
        lk += layer_rows;
        last_ci = ci;
    }
out:
    rep->kept = n;
    lines_free(&m);
    lines_free(&l);
    return n;
}

/* ------------------------------------------------------------------ one configuration */

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

/* Calibration on the selected images (augmented with the training crop/flip if asked; the
 * augmentation is reseeded per configuration, so every configuration sees the same images),
 * then freeze. */
/* Calibration batch b..b+m of the selection into x (with the augmentation's rng, reseeded by
 * the caller at the first batch). */
static void calib_batch(const Net *net, const Dataset *ds, const SweepConfig *sc, const Selection *sel, int b, int m,
                        Rng *aug_rng, float *x, int *y)
{
    if (sc->calib_x) memcpy(x, sc->calib_x + shape_numel(net->input) * (size_t)b, shape_numel(net->input) * (size_t)m * sizeof(float));
    else if (sc->calib_augment) augment_batch(ds, &ds->train, sel->calib + b, m, &sc->calib_aug, aug_rng, x, y);
    else dataset_batch(ds, &ds->train, sel->calib + b, m, x, y);
}

static void calibrate(QNet *q, const Net *net, const Dataset *ds, const SweepConfig *sc, const Selection *sel, float *x,
                      int *y)
{
    int B = net->max_batch;
    Rng aug_rng;
    rng_seed(&aug_rng, sc->seed ^ 0xca11b8a7eULL);
    for (int b = 0; b < sel->n_calib; b += B) {
        int m = sel->n_calib - b < B ? sel->n_calib - b : B;
        calib_batch(net, ds, sc, sel, b, m, &aug_rng, x, y);
        qnet_calibrate(q, x, m);
    }
    qnet_freeze(q);
}

/* The full-precision logits of every calibration image (the same images, in the same order,
 * as calibrate sees), n_calib x classes, for the label-free output metrics. */
static float *calib_fp_logits(Net *net, const Dataset *ds, const SweepConfig *sc, const Selection *sel, float *x, int *y)
{
    int B = net->max_batch, K = net->classes;
    float *fp = xmalloc(sizeof(float) * (size_t)sel->n_calib * (size_t)K);
    Rng aug_rng;
    rng_seed(&aug_rng, sc->seed ^ 0xca11b8a7eULL);
    for (int b = 0; b < sel->n_calib; b += B) {
        int m = sel->n_calib - b < B ? sel->n_calib - b : B;
        calib_batch(net, ds, sc, sel, b, m, &aug_rng, x, y);
        memcpy(fp + (size_t)b * K, net_forward(net, x, m), sizeof(float) * (size_t)m * K);
    }
    return fp;
}

/* Label-free output metrics of the frozen quantized network on the calibration images: the
 * share (percent) whose top-1 class equals the full-precision network's, and the mean
 * KL(P_fp || P_q) of the softmax outputs in nats.  No labels, no test images. */
static void output_agreement(QNet *q, const Net *net, const Dataset *ds, const SweepConfig *sc, const Selection *sel,
                             const float *fp, float *x, int *y, double *agree, double *kl)
{
    int B = net->max_batch, K = net->classes;
    double *lp = xmalloc(sizeof(double) * (size_t)K * 2), same = 0, kls = 0;
    Rng aug_rng;
    rng_seed(&aug_rng, sc->seed ^ 0xca11b8a7eULL);
    for (int b = 0; b < sel->n_calib; b += B) {
        int m = sel->n_calib - b < B ? sel->n_calib - b : B;
        calib_batch(net, ds, sc, sel, b, m, &aug_rng, x, y);
        const float *ql = qnet_infer(q, x, m);
        for (int i = 0; i < m; i++) {
            const float *f = fp + (size_t)(b + i) * K, *g = ql + (size_t)i * K;
            same += argmax_first(f, K) == argmax_first(g, K);
            kls += sim_kl_logits(f, g, K, lp);
        }
    }
    free(lp);
    *agree = sel->n_calib ? 100.0 * same / sel->n_calib : 0;
    *kl = sel->n_calib ? kls / sel->n_calib : 0;
}

/* The SQNR (dB) of conv/linear node i's quantized output (its dequantized codes, after
 * qnet_infer on the stash's batch) against the full-precision output. */
static double layer_out_sqnr(QNet *q, Net *net, const FpStash *fs, int i)
{
    const Node *nd = &net->nodes[i];
    QParam *qo = qnet_observer_for_tensor(q, nd->out);
    size_t c = shape_numel(nd->out_shape) * (size_t)fs->n0;
    float *deq = xmalloc(c * sizeof(float));
    for (size_t j = 0; j < c; j++) deq[j] = (qo ? qo->scale : 0.0f) * net->act[nd->out][j];
    double v = sim_sqnr_db(deq, fs->act + fs->off[i], c);
    free(deq);
    return v;
}

/* The SQNR of the quantized logits against the full-precision ones on the first calibration
 * batch, and the FLOP-share-weighted mean SQNR of the conv/linear outputs (dequantized codes
 * vs the full-precision activations; in dB). */
static void activation_metrics(QNet *q, Net *net, const NetStats *st, const FpStash *fs, double *logit_sqnr,
                               double *act_sqnr)
{
    const float *logits = qnet_infer(q, fs->x0, fs->n0);
    *logit_sqnr = sim_sqnr_db(logits, fs->act + fs->off[net->n_nodes - 1], (size_t)net->classes * fs->n0);
    double act_sum = 0, share_sum = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        if (!qop_is_layer(net->nodes[i].op)) continue;
        double pp, mp;
        net_stats_layer_share(st, i, &pp, &mp);
        act_sum += layer_out_sqnr(q, net, fs, i) * mp;
        share_sum += mp;
    }
    *act_sqnr = share_sum > 0 ? act_sum / share_sum : 0;
}

/* Levels (a dB ratio, a cosine) are averaged with the shares as weights, so the weighted
 * column keeps their unit; divergences and errors are summed with shares in percent, as the
 * reference's js_flops (sweep.h). */
static int is_level(int m) { return m == SIM_SQNR_DB || m == SIM_COSINE; }

/* Every similarity metric of every compared parameter: summed with the layer's FLOP and
 * parameter shares into flops[] / param[], and one per-layer row each into ls. */
static void param_metrics(QNet *q, const NetStats *st, const SweepConfig *sc, const char *title, double *flops,
                          double *param, Str *ls)
{
    double fsum = 0, psum = 0;   /* the shares of the compared parameters, for the level means */
    for (int p = 0; p < qnet_param_count(q); p++) {
        QParamView v = qnet_param(q, p);
        double pp, mp;
        net_stats_layer_share(st, v.node, &pp, &mp);
        const char *dot = strrchr(v.name, '.');
        str_add(ls, "%s\t%.*s\t%s\t%zu\t%.3f\t%.3f", title, (int)(dot - v.name), v.name, dot + 1, v.numel, mp, pp);
        for (int m = 0; m < SIM_METRIC_COUNT; m++) {
            double val = sim_metric_value(m, v.quant, v.full, v.rank, v.shape, sc->opt.js_prec);
            if (m == SIM_JS && val < 0) val = 0;   /* Q13: a negative f32 JS (cancellation) counts as 0 */
            flops[m] += val * mp;
            param[m] += val * pp;
            str_add(ls, "\t%.9g", val);
        }
        str_add(ls, "\n");
        fsum += mp;
        psum += pp;
    }
    for (int m = 0; m < SIM_METRIC_COUNT; m++)
        if (is_level(m)) {
            flops[m] = fsum > 0 ? flops[m] / fsum : 0;
            param[m] = psum > 0 ? param[m] / psum : 0;
        }
}

static void format_row(Row *row, const QuantConfig *qc, double full_acc, double acc, const double *flops,
                       const double *param, float lf, float cf, double logit_sqnr, double act_sqnr, double agree, double kl,
                       double secs)
{
    int len = snprintf(row->line, sizeof row->line, "%s\t%s\t%d\t%d\t%.4f\t%.4f\t%.9g\t%.9g\t%.9g\t%.9g\t%.9g", qc->title,
                       quant_type_name(qc->type), qc->bits, qc->ebits, full_acc, acc, (full_acc - acc) / full_acc, flops[SIM_JS],
                       flops[SIM_JS] * (double)lf, flops[SIM_JS] * (double)cf, param[SIM_JS]);
    for (int m = 0; m < SIM_METRIC_COUNT; m++)
        if (m != SIM_JS) len += snprintf(row->line + len, sizeof row->line - (size_t)len, "\t%.9g\t%.9g", flops[m], param[m]);
    snprintf(row->line + len, sizeof row->line - (size_t)len, "\t%.4f\t%.4f\t%.4f\t%.9g\t%.2f", logit_sqnr, act_sqnr, agree, kl,
             secs);
}

/* The partial tables after every configuration, rows kept in configuration order. */
static void save_progress(const char *partial, const char *lpartial, const char *settings, const char *header,
                          const char *lheader, Row *rows, int n)
{
    write_tables(partial, settings, header, rows, n, 0);
    write_tables(lpartial, settings, lheader, rows, n, 1);
}

static int row_is(const Row *r, const char *title)
{
    size_t tl = strlen(title);
    return !strncmp(r->line, title, tl) && r->line[tl] == '\t';
}

/* What every configuration of a sweep shares: the images, the full-precision logits and
 * activations on the calibration images, the network's shares. */
typedef struct {
    Selection sel;
    float *x, *fp_logits;
    int *y;
    FpStash fs;
    NetStats st;
    float lf, cf;   /* js_flops' MAC factors */
} SweepPrep;

static void prep_init(Net *net, const Dataset *ds, const SweepConfig *sc, SweepPrep *p)
{
    select_images(ds, sc, &p->sel);
    int B = net->max_batch;
    p->x = xmalloc(shape_numel(net->input) * (size_t)B * sizeof(float));
    p->y = xmalloc(sizeof(int) * (size_t)B);
    p->fp_logits = calib_fp_logits(net, ds, sc, &p->sel, p->x, p->y);
    stash_fp_activations(net, ds, &p->sel, sc->calib_x, p->x, p->y, &p->fs);
    net_stats(net, &p->st);
    double mac = stats_mac_parsed(p->st.macs);
    p->lf = sim_log_factor(mac);
    p->cf = sim_cbrt_factor(mac);
}

static void prep_free(SweepPrep *p)
{
    net_stats_free(&p->st);
    fp_stash_free(&p->fs);
    free(p->fp_logits);
    free(p->x); free(p->y);
    free(p->sel.calib); free(p->sel.test);
}

/* One configuration's row (and its per-layer rows, row->layers, owned): calibrate, then the
 * test accuracy when evaluate (else NaN, mta predict), the activation, output and parameter
 * metrics. */
static void config_row(Net *net, const Dataset *ds, const SweepConfig *sc, SweepPrep *p, int ci, int evaluate,
                       double full_acc, Row *row)
{
    const QuantConfig *qc = &quant_configs[sc->configs[ci]];
    double t0 = now_seconds();
    QNet *q = qnet_new(net, quant_spec_config(sc->configs[ci]), &sc->opt);
    calibrate(q, net, ds, sc, &p->sel, p->x, p->y);
    double acc = evaluate ? accuracy_with(qnet_fwd, q, net, ds, &ds->test, p->sel.test, p->sel.n_test, NULL) : NAN;
    double logit_sqnr, act_sqnr, agree, kl;
    activation_metrics(q, net, &p->st, &p->fs, &logit_sqnr, &act_sqnr);
    output_agreement(q, net, ds, sc, &p->sel, p->fp_logits, p->x, p->y, &agree, &kl);
    double flops[SIM_METRIC_COUNT] = {0}, param[SIM_METRIC_COUNT] = {0};
    Str ls = {0};
    param_metrics(q, &p->st, sc, qc->title, flops, param, &ls);
    qnet_free(q);
    format_row(row, qc, full_acc, acc, flops, param, p->lf, p->cf, logit_sqnr, act_sqnr, agree, kl, now_seconds() - t0);
    row->layers = ls.buf ? ls.buf : xstrdup("");
    row->acc = acc;
    row->js_flops = flops[SIM_JS];
}

void sweep_run(Net *net, const Dataset *ds, const SweepConfig *sc)
{
    SweepPrep pr;
    prep_init(net, ds, sc, &pr);
    Selection sel = pr.sel;
    double full_acc = net_accuracy(net, ds, &ds->test, sel.test, sel.n_test, NULL);
    if (!sc->quiet)
        fprintf(stderr, "ptq: %s (width %g) from %s: %d configurations, %d calibration and %d test images; "
                        "full precision %.2f%%\n", net->model_name, net->width, sc->ckpt, sc->n_configs, sel.n_calib, sel.n_test, full_acc);

    char settings[4096], header[2048], lheader[1024], partial[4200], lpartial[4200];
    settings_line(sc, settings, sizeof settings);
    table_header(header, sizeof header);
    layers_header(lheader, sizeof lheader);
    snprintf(partial, sizeof partial, "%s.partial", sc->out);
    snprintf(lpartial, sizeof lpartial, "%s.partial", sc->layers);
    Row rows[MAX_ROWS];
    ResumeReport rep;
    int n_rows = load_partial(partial, lpartial, settings, header, lheader, sc, qnet_compared_params(net), rows, &rep);
    if (rep.dropped)
        fprintf(stderr, "ptq: resuming %s: %d of %d configurations kept (%d row%s dropped: %s)\n", sc->out, rep.kept,
                sc->n_configs, rep.dropped, rep.dropped == 1 ? "" : "s", rep.why);
    else if (n_rows && !sc->quiet)
        fprintf(stderr, "ptq: resuming %s: %d of %d configurations kept\n", sc->out, n_rows, sc->n_configs);

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
        for (int r = 0; r < n_rows; r++) done |= row_is(&rows[r], qc->title);
        if (done) continue;
        double t0 = now_seconds();
        Row nr;
        config_row(net, ds, sc, &pr, ci, 1, full_acc, &nr);
        /* insert in configuration order (a resumed run may have kept later configurations) */
        int at = n_rows;
        while (at > 0 && config_of_line(sc, rows[at - 1].line, strlen(rows[at - 1].line)) > ci) at--;
        memmove(&rows[at + 1], &rows[at], sizeof(Row) * (size_t)(n_rows - at));
        n_rows++;
        rows[at] = nr;
        computed++;
        save_progress(partial, lpartial, settings, header, lheader, rows, n_rows);
        progress_update(&prog, ci + 1);
        if (!sc->quiet)
            fprintf(stderr, "%s%-12s acc %6.2f%%  js_flops %.4g  %.1fs\n", prog.tty ? "\r\033[K" : "", qc->title, nr.acc,
                    nr.js_flops, now_seconds() - t0);
    }
    progress_end(&prog);
    /* final tables in configuration order, without the settings line */
    Row ordered[MAX_ROWS];
    int n_ord = 0;
    for (int ci = 0; ci < sc->n_configs; ci++)
        for (int r = 0; r < n_rows; r++)
            if (row_is(&rows[r], quant_configs[sc->configs[ci]].title)) ordered[n_ord++] = rows[r];
    write_settings(sc, net, ds, &sel);
    write_tables(sc->layers, NULL, lheader, ordered, n_ord, 1);
    write_tables(sc->out, NULL, header, ordered, n_ord, 0);
    remove(partial);
    remove(lpartial);
out:
    for (int r = 0; r < n_rows; r++) free(rows[r].layers);
    prep_free(&pr);
}

void sweep_metrics(Net *net, const Dataset *ds, const SweepConfig *sc, char *header, size_t hn, char **rows)
{
    SweepPrep pr;
    prep_init(net, ds, sc, &pr);
    table_header(header, hn);
    for (int ci = 0; ci < sc->n_configs; ci++) {
        Row row;
        config_row(net, ds, sc, &pr, ci, 0, NAN, &row);
        free(row.layers);
        rows[ci] = xstrdup(row.line);
    }
    prep_free(&pr);
}

void sweep_layer_sqnr(Net *net, const Dataset *ds, const SweepConfig *sc, double *sqnr)
{
    Selection sel;
    select_images(ds, sc, &sel);
    int B = net->max_batch;
    float *x = xmalloc(shape_numel(net->input) * (size_t)B * sizeof(float));
    int *y = xmalloc(sizeof(int) * (size_t)B);
    FpStash fs;
    stash_fp_activations(net, ds, &sel, sc->calib_x, x, y, &fs);
    for (int ci = 0; ci < sc->n_configs; ci++) {
        QNet *q = qnet_new(net, quant_spec_config(sc->configs[ci]), &sc->opt);
        calibrate(q, net, ds, sc, &sel, x, y);
        qnet_infer(q, fs.x0, fs.n0);
        for (int i = 0; i < net->n_nodes; i++)
            sqnr[(size_t)ci * net->n_nodes + i] = qop_is_layer(net->nodes[i].op) ? layer_out_sqnr(q, net, &fs, i) : NAN;
        qnet_free(q);
    }
    fp_stash_free(&fs);
    free(x); free(y);
    free(sel.calib); free(sel.test);
}

void sweep_parse_configs(const char *s, SweepConfig *sc)
{
    sc->n_configs = 0;
    if (!s || !strcmp(s, "all")) {
        for (int i = 0; i < QUANT_NCONFIGS; i++) sc->configs[sc->n_configs++] = i;
        return;
    }
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        int id = quant_config_find(tok);
        if (id < 0) die("flag --configs: unknown configuration '%s' (e.g. INT_8, POT_4, FLOAT_8_E4, or all)", tok);
        for (int j = 0; j < sc->n_configs; j++)
            if (sc->configs[j] == id) die("flag --configs: '%s' given twice", tok);
        sc->configs[sc->n_configs++] = id;
    }
    /* keep the spec's order whatever the order given */
    for (int i = 1; i < sc->n_configs; i++)
        for (int j = i; j > 0 && sc->configs[j - 1] > sc->configs[j]; j--) {
            int t = sc->configs[j];
            sc->configs[j] = sc->configs[j - 1];
            sc->configs[j - 1] = t;
        }
}

void sweep_calibrate_seeded(QNet *q, const Net *net, const Dataset *ds, int nb, int batch, uint64_t seed)
{
    Rng r;
    rng_seed(&r, seed);
    int *idx, n = sweep_calib_images(ds, &r, 0, nb * batch, &idx), *y = xmalloc(sizeof(int) * (size_t)batch);
    float *x = xmalloc(shape_numel(net->input) * (size_t)batch * sizeof(float));
    for (int b = 0; b < n; b += batch) {
        int m = n - b < batch ? n - b : batch;
        dataset_batch(ds, &ds->train, idx + b, m, x, y);
        qnet_calibrate(q, x, m);
    }
    free(idx);
    free(y);
    free(x);
}
