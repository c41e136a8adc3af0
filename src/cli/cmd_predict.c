/* cmd_predict.c — `mta predict CKPT [--from DIR] [--tier T] [--configs LIST] [--calib-images N]`:
 * the predicted acc_loss of a new checkpoint in every configuration, without evaluating any
 * quantized model on labelled images, from the predictors a profile's tables fitted
 * (experiments/prediction.md).
 *
 * The predictor is the candidate of DIR/fit/select/spec.tsv, among those of tier T and the
 * tiers before it, with the least leave-one-model-out RMSE in DIR/fit/select/lomo.candidates.tsv
 * (what the nested protocol would choose given all the profile's models), fitted on every model
 * of DIR/fit/pred/input.tsv.  Its interval is the central 95 % of the nested residuals of tier T
 * (DIR/fit/select/lomo.pred.tsv: how far the procedure "choose by LOMO, fit, predict" missed
 * held-out models).  The metrics are computed by the sweep's own code (sweep_metrics) on the
 * calibration images of the training split, seeded as the sweep does, and by the noise model
 * (nm_*, as mta noise) and by the gradient probe (grad_*, as mta grad-sim on all the calibration
 * images): for a checkpoint of the profile they equal its tables' columns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/fileio.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "cli/select_io.h"
#include "quant/grad_sim.h"
#include "quant/noise_model.h"
#include "quant/sweep.h"
#include "train/backprop.h"

static const CliFlagSpec predict_flags[] = {
    {"from", "DIR", "data/default", "the profile's tables the predictors were fitted on (DIR/fit/select, DIR/fit/pred)", 0},
    {"tier", "weight-only|data-free|label-free", "label-free",
     "what the predictor may use of the new model (weight: the parameters; label-free: also unlabelled images)", 0},
    {"configs", "LIST|all", "all", "configurations, e.g. INT_6,POT_4 (canonical order)", 0},
    {"calib-images", "N", "512", "unlabelled training images to calibrate on and compare outputs on", 0},
    {"batch", "B", "128", "batch size (a divisor of --calib-images, or that many)", 0},
    {"seed", "S", "1", "seed of the image selection (the sweep's)", 0},
    {"out", "TSV", "none (stdout)", "also write the table here", 0},
    CLI_FLAG_DATA,
    CLI_FLAG_MODEL,
    CLI_FLAG_CKPT_WIDTH,
    CLI_FLAG_THREADS,
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_predict_info = {"predict", "CKPT", 1, 1,
                                     "predicted accuracy loss of a new checkpoint per configuration, from a profile's fitted predictors",
                                     predict_flags};

static const char *tier_names[] = {"weight-only", "data-free", "label-free"};

/* lomo_rmse of every candidate, by name, from the candidates table */
static double *read_lomo(const char *path, const SelRow *rows, int nc)
{
    char err[1024];
    char *buf = read_text_file(path, err, sizeof err);
    if (!buf) die("mta predict: %s (run make fits-select for that profile)", err);
    double *v = xmalloc(sizeof(double) * (size_t)nc);
    for (int c = 0; c < nc; c++) v[c] = NAN;
    char *f[64], *next, *line = buf;
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    int nh = sel_split(line, '\t', f, 64), il = sel_col(f, nh < 64 ? nh : 64, "lomo_rmse");
    if (il < 0 || strcmp(f[0], "name")) die("mta predict: %s:1: not a candidates table (no name / lomo_rmse columns)", path);
    for (line = next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        if (sel_split(line, '\t', f, 64) <= il) continue;
        for (int c = 0; c < nc; c++)
            if (!strcmp(rows[c].name, f[0])) parse_double(f[il], &v[c]);
    }
    free(buf);
    return v;
}

/* The nested residuals y - prediction of column "<tier>:any": their 2.5 % and 97.5 % quantiles
 * and RMSE. */
static void nested_residuals(const char *path, const char *tier, double *qlo, double *qhi, double *rmse, int *n)
{
    char err[1024], want[64];
    char *buf = read_text_file(path, err, sizeof err);
    if (!buf) die("mta predict: %s (run make fits-select for that profile)", err);
    snprintf(want, sizeof want, "%s:any", tier);
    char *f[64], *next, *line = buf;
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    int nh = sel_split(line, '\t', f, 64), iy = 2, ip = sel_col(f, nh < 64 ? nh : 64, want);
    if (ip < 0) die("mta predict: %s:1: no column '%s'", path, want);
    int cap = 1024, k = 0;
    double *r = xmalloc(sizeof(double) * (size_t)cap), ss = 0;
    for (line = next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        double y, p;
        if (sel_split(line, '\t', f, 64) <= ip || parse_double(f[iy], &y) || parse_double(f[ip], &p) || isnan(p)) continue;
        if (k == cap) r = xrealloc(r, sizeof(double) * (size_t)(cap *= 2));
        r[k++] = y - p;
        ss += (y - p) * (y - p);
    }
    free(buf);
    if (k < 2) die("mta predict: %s: fewer than 2 nested predictions in column '%s'", path, want);
    qsort(r, (size_t)k, sizeof *r, sel_cmp_double);
    *qlo = sel_quantile_sorted(r, k, 0.025);
    *qhi = sel_quantile_sorted(r, k, 0.975);
    *rmse = sqrt(ss / k);
    *n = k;
    free(r);
}

/* The value of input column `name` (oriented as fit/pred/input.tsv: neg_X = -X) from a sweep
 * row split into fields under the sweep header hf, from the noise model's totals nm, or from
 * the gradient probe's row gs. */
static double metric_value(char **hf, int nh, char **rf, const NmTotal *nm, const GradSimRow *gs, const char *name)
{
    int neg = !strncmp(name, "neg_", 4);
    const char *base = neg ? name + 4 : name;
    if (!strcmp(base, "nm_sqnr_db")) return neg ? -nm->sqnr_db : nm->sqnr_db;
    if (!strcmp(base, "nm_w_sqnr_db")) return neg ? -nm->w_sqnr_db : nm->w_sqnr_db;
    if (!strncmp(base, "grad_", 5)) {
        double v = gs_value(gs, base);
        if (isnan(v)) die("mta predict: the candidate needs column '%s', which mta grad-sim does not write", name);
        return neg ? -v : v;
    }
    int j = sel_col(hf, nh, base);
    if (j < 0) die("mta predict: the candidate needs column '%s', which the sweep does not write", name);
    double v;
    if (parse_double(rf[j], &v)) die("mta predict: the sweep wrote '%s' for %s", rf[j], base);
    return neg ? -v : v;
}

int cmd_predict(int argc, char **argv)
{
    CliArgs args;
    const CliArgs *flags = &args;
    cli_parse(&cmd_predict_info, argc, argv, 2, &args);
    sel_cmd = "mta predict";
    const char *from = cli_get(flags, "from") ? cli_get(flags, "from") : "data/default";
    const char *targ = cli_get(flags, "tier") ? cli_get(flags, "tier") : "label-free";
    int tier = -1;
    for (int k = 0; k < 3; k++)
        if (!strcmp(targ, tier_names[k])) tier = k;
    if (!strcmp(targ, "weight")) tier = 0;
    if (tier < 0) cli_fail(&cmd_predict_info, "flag --tier: '%s' (expected weight-only, data-free or label-free)", targ);
    SweepConfig sc = {0};
    sweep_parse_configs(cli_get(flags, "configs"), &sc);
    int ncal = (int)cli_long(flags, "calib-images", 512, 1, 1 << 20);
    int batch = (int)cli_long(flags, "batch", 128, 1, 4096);
    if (batch > ncal) batch = ncal;
    if (ncal % batch) cli_fail(&cmd_predict_info, "flag --calib-images: %d is not a multiple of --batch %d", ncal, batch);
    sc.batch = batch;
    sc.calib_batches = ncal / batch;
    sc.limit = 1;   /* no test image is evaluated; the selection draws the calibration images first */
    sc.seed = cli_u64(flags, "seed", 1);
    sc.opt = ptq_options(0);
    sc.ckpt = args.pos[0];
    sc.quiet = 1;

    /* the predictor: the best candidate of the allowed tiers by LOMO over the profile's models */
    char spec[4096], input[4096], cand[4096], pred[4096];
    snprintf(spec, sizeof spec, "%s/fit/select/spec.tsv", from);
    snprintf(input, sizeof input, "%s/fit/pred/input.tsv", from);
    snprintf(cand, sizeof cand, "%s/fit/select/lomo.candidates.tsv", from);
    snprintf(pred, sizeof pred, "%s/fit/select/lomo.pred.tsv", from);
    SelTable t;
    memset(&t, 0, sizeof t);
    SelRow *rows = xcalloc(MAX_CAND, sizeof *rows);
    char *cbuf = NULL;
    int nc = sel_read_candidates(spec, &cbuf, rows, &t);
    sel_read_table(input, "acc_loss", "model", "title", &t);
    double x0[MAX_COLS];
    sel_resolve(&t, rows, nc, (char **)tier_names, 3, x0);
    double *lomo = read_lomo(cand, rows, nc);
    int best = -1;
    for (int c = 0; c < nc; c++)
        if (rows[c].tier_rank >= 0 && rows[c].tier_rank <= tier && !isnan(lomo[c]) && (best < 0 || lomo[c] < lomo[best]))
            best = c;
    if (best < 0) die("mta predict: %s: no candidate of tier %s or before it has a LOMO RMSE", cand, tier_names[tier]);
    double qlo, qhi, nrmse;
    int nres;
    nested_residuals(pred, tier_names[tier], &qlo, &qhi, &nrmse, &nres);
    const SelRow *br = &rows[best];

    /* the new model's metrics, by the sweep's code */
    int threads = cli_threads(flags);
    Dataset ds;
    CkptInfo info;
    Net *net = cli_open(flags, args.pos[0], &ds, &info, threads);
    net_alloc_acts(net, sc.batch);
    char header[2048];
    char **lines = xcalloc((size_t)sc.n_configs, sizeof *lines);
    sweep_metrics(net, &ds, &sc, header, sizeof header, lines);

    /* append the new model's rows to the table as one more group and predict them */
    int n0 = t.n, n = n0 + sc.n_configs, g_new = t.groups.n;
    t.group = xrealloc(t.group, sizeof(int) * (size_t)n);
    t.config = xrealloc(t.config, sizeof(int) * (size_t)n);
    t.y = xrealloc(t.y, sizeof(double) * (size_t)n);
    for (int k = 0; k < t.cols.n; k++) t.x[k] = xrealloc(t.x[k], sizeof(double) * (size_t)n);
    char *hf[128];
    int nh = sel_split(header, '\t', hf, 128);
    int ncols_used = 0, used[SEL_MAX_FEAT + 1];
    if (br->c.kind == SEL_CURVE) used[ncols_used++] = br->c.col;
    if (br->c.kind == SEL_RIDGE)
        for (int j = 0; j < br->c.nfeat; j++)
            if (br->c.feat[j] != SEL_FEAT_CONFIG) used[ncols_used++] = br->c.feat[j];
    NmLayer *nml = xmalloc(sizeof(NmLayer) * (size_t)net->n_nodes);
    int need_nm = 0;   /* the noise model only when the predictor reads one of its columns */
    int need_gs = 0;   /* likewise the gradient probe */
    for (int u = 0; u < ncols_used; u++) {
        need_nm |= strstr(t.cols.names[used[u]], "nm_") != NULL;
        need_gs |= strstr(t.cols.names[used[u]], "grad_") != NULL;
    }
    GradSimRow *gs = xcalloc((size_t)sc.n_configs, sizeof *gs);
    if (need_gs) {   /* after the sweep's metrics: the backward buffers reallocate the activations */
        Backprop *bp = backprop_new(net, sc.batch);
        gs_compute(net, bp, &ds, &sc, ncal, 0, gs);
        backprop_free(bp, net);
    }
    for (int i = 0; i < sc.n_configs; i++) {
        char *rf[128];
        int nr = sel_split(lines[i], '\t', rf, 128);
        CHECK(nr == nh, "sweep row of %d fields under a header of %d", nr, nh);
        int r = n0 + i, cfg = names_find(&t.configs, rf[0]);
        if (cfg < 0) die("mta predict: %s has no rows of configuration %s to predict it from", input, rf[0]);
        t.group[r] = g_new;
        t.config[r] = cfg;
        t.y[r] = NAN;
        for (int k = 0; k < t.cols.n; k++) t.x[k][r] = NAN;
        NmTotal nm = {0};
        QuantSpec qs = quant_spec_config(sc.configs[i]);
        if (need_nm) nm_network(net, &qs, ncal, nml, &nm);   /* the data-free noise model, as mta noise computes it */
        for (int u = 0; u < ncols_used; u++) t.x[used[u]][r] = metric_value(hf, nh, rf, &nm, &gs[i], t.cols.names[used[u]]);
    }
    /* sel_split cut the header and the rows in place: keep the config titles via t.configs */
    SelData d = {n, t.cols.n, t.groups.n + 1, t.configs.n, t.y, (const double *const *)t.x, x0, t.group, t.config};
    double *p = xmalloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++) p[i] = NAN;
    if (sel_fit_predict(&d, &br->c, g_new, -1, p)) die("mta predict: the fit of %s on %s failed", br->name, input);

    fprintf(stderr, "mta predict: %s (%s, width %g): tier %s, predictor %s (%s %s; LOMO RMSE %.4f on %d models of %s); "
                    "interval: 95 %% of its tier's nested residuals (RMSE %.4f, %d points); %d calibration images\n",
            args.pos[0], net->model_name, net->width, tier_names[tier], br->name, br->kind, br->x, lomo[best], t.groups.n,
            from, nrmse, nres, sc.calib_batches * sc.batch);
    if (names_find(&t.groups, net->model_name) >= 0)
        fprintf(stderr, "note: mta predict: %s is one of the models of %s the predictor was fitted on; for that model's own "
                        "checkpoint this is not a held-out prediction (its nested LOMO prediction is in %s)\n",
                net->model_name, from, pred);
    const char *outp = cli_get(flags, "out");
    AtomicFile af;
    FILE *f = outp ? atomic_open_or_die(&af, outp) : NULL;
    for (int pass = 0; pass < (f ? 2 : 1); pass++) {
        FILE *o = pass ? f : stdout;
        fprintf(o, "config");
        for (int u = 0; u < ncols_used; u++) fprintf(o, "\t%s", t.cols.names[used[u]]);
        fprintf(o, "\tpred_acc_loss\tlo95\thi95\n");
        for (int i = 0; i < sc.n_configs; i++) {
            int r = n0 + i;
            fprintf(o, "%s", t.configs.names[t.config[r]]);
            for (int u = 0; u < ncols_used; u++) fprintf(o, "\t%.6g", t.x[used[u]][r]);
            fprintf(o, "\t%.4f\t%.4f\t%.4f\n", p[r], p[r] + qlo, p[r] + qhi);
        }
    }
    if (f) atomic_commit_or_die(&af);
    for (int i = 0; i < sc.n_configs; i++) free(lines[i]);
    free(lines); free(p); free(lomo); free(rows); free(cbuf); free(nml); free(gs);
    sel_table_free(&t);
    net_free(net);
    dataset_free(&ds);
    return 0;
}
