/* cmd_select.c — `mta select TSV --candidates FILE --out PREFIX`: every candidate predictor's
 * leave-one-group-out error with a bootstrap interval over groups, and per information tier the
 * nested leave-one-group-out choice among the candidates (fit/select.h).
 *
 * The candidate file is a TSV with the header `name tier kind x options`:
 *   kind    curve | ridge | config-mean | mean
 *   x       curve: one column; ridge: a comma list of columns, `@config` for the configuration
 *           mean; the others: -
 *   options space-separated key=value (or -): curve: family=poly|rational degree=N
 *           monotone=none|exact transform=identity|log10 x0=V|auto (auto: the column's smallest
 *           positive value; for a column with negative values no transform) seed=S starts=N; ridge: lambda=L quad=0|1.
 * Ridge features go through log10(x + x0), x0 the column's smallest positive value, for columns
 * without negative values; columns with negative values enter as they are.
 * --tiers lists the information tiers from least to most; the nested row of a tier chooses
 * among the candidates of that tier and every earlier one (pool "curve": single-column curves
 * and the configuration mean; pool "any": also the ridge combinations).  Candidates of tiers not
 * in the list (the baselines) are reported, never chosen.
 *
 * Writes PREFIX.candidates.tsv, PREFIX.nested.tsv, PREFIX.choices.tsv and PREFIX.pred.tsv, each
 * through a temporary file and rename. */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/fileio.h"
#include "base/parallel.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "fit/select.h"

static const CliFlagSpec select_flags[] = {
    {"candidates", "FILE", NULL, "the candidate predictors (TSV: name tier kind x options)", 1},
    {"out", "PREFIX", NULL, "writes PREFIX.candidates.tsv, .nested.tsv, .choices.tsv, .pred.tsv", 1},
    {"y", "COL", "acc_loss", "the predicted column", 0},
    {"by", "COL", "model", "the group column (one fold per group)", 0},
    {"config", "COL", "title", "the configuration column (the configuration mean's key)", 0},
    {"tiers", "T1,T2,..", "weight-only,data-free,label-free", "information tiers, least first (cumulative pools)", 0},
    {"boot", "B", "2000", "bootstrap resamples of the groups", 0},
    {"level", "P", "0.95", "level of the bootstrap interval", 0},
    {"seed", "S", "1", "seed of the bootstrap", 0},
    CLI_FLAG_THREADS,
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_select_info = {"select", "TSV", 1, 1,
                                    "predictors compared by leave-one-model-out error, chosen per tier by nested LOMO",
                                    select_flags};

#include "cli/select_io.h"

/* --- the work ------------------------------------------------------------------------------- */

typedef struct {
    const SelData *d;
    const SelRow *cands;
    SelEval *ev;
    int ncand, nlanes;
} Job;

/* Lane k evaluates candidates k, k + nlanes, ...: the costly rational curves come first in the
 * file, so contiguous ranges would give them all to one thread. */
static void eval_lanes(void *ctx, int tid, int lo, int hi)
{
    (void)tid;
    Job *j = ctx;
    for (int k = lo; k < hi; k++)
        for (int c = k; c < j->ncand; c += j->nlanes) sel_evaluate(j->d, &j->cands[c].c, &j->ev[c]);
}

static const char *num(double v, char *buf)
{
    if (isnan(v)) return "nan";
    if (isinf(v)) return v > 0 ? "inf" : "-inf";
    snprintf(buf, 32, "%.6f", v);
    return buf;
}

static void put_group_header(FILE *f, const SelTable *t)
{
    for (int g = 0; g < t->groups.n; g++) fprintf(f, "\trmse_%s", t->groups.names[g]);
}

static void put_group_rmse(FILE *f, const double *per, int ng)
{
    char b[32];
    for (int g = 0; g < ng; g++) fprintf(f, "\t%s", num(per[g], b));
}

/* nested pools: p = 2 * tier + (0 curve, 1 any) */
static const char *pool_name(int p) { return p % 2 ? "any" : "curve"; }

int cmd_select(int argc, char **argv)
{
    CliArgs args;
    cli_parse(&cmd_select_info, argc, argv, 2, &args);
    /* thousands of small fits allocate and free their work arrays: without these glibc returns
     * the memory to the kernel after each, and the page faults and TLB shootdowns cost more
     * system time than the fits take (5 of 6 minutes with two threads) */
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    const char *ycol = cli_get(&args, "y") ? cli_get(&args, "y") : "acc_loss";
    const char *bycol = cli_get(&args, "by") ? cli_get(&args, "by") : "model";
    const char *ccol = cli_get(&args, "config") ? cli_get(&args, "config") : "title";
    const char *out = cli_get(&args, "out");
    int B = (int)cli_long(&args, "boot", 2000, 1, 1000000);
    double level = cli_double(&args, "level", 0.95, 0.5, 0.999);
    uint64_t seed = cli_u64(&args, "seed", 1);
    int threads = cli_threads(&args);

    char *tiers_buf = xstrdup(cli_get(&args, "tiers") ? cli_get(&args, "tiers") : "weight-only,data-free,label-free");
    char *tiers[MAX_TIERS + 1];
    int ntiers = sel_split(tiers_buf, ',', tiers, MAX_TIERS + 1);
    if (ntiers > MAX_TIERS) cli_fail(&cmd_select_info, "flag --tiers: at most %d tiers", MAX_TIERS);
    for (int k = 0; k < ntiers; k++)
        if (!tiers[k][0]) cli_fail(&cmd_select_info, "flag --tiers: an empty tier name in '%s'", cli_get(&args, "tiers"));

    SelTable t;
    memset(&t, 0, sizeof t);
    SelRow *cands = xcalloc(MAX_CAND, sizeof *cands);
    char *cbuf = NULL;
    const char *cpath = cli_get(&args, "candidates");
    int nc = sel_read_candidates(cpath, &cbuf, cands, &t);
    sel_read_table(args.pos[0], ycol, bycol, ccol, &t);

    double x0[MAX_COLS];
    sel_resolve(&t, cands, nc, tiers, ntiers, x0);
    SelData d = {t.n, t.cols.n, t.groups.n, t.configs.n, t.y, (const double *const *)t.x, x0, t.group, t.config};

    SelEval *ev = xcalloc((size_t)nc, sizeof *ev);
    for (int c = 0; c < nc; c++) sel_eval_init(&ev[c], &d);
    ThreadPool *pool = pool_new(threads);
    Job job = {&d, cands, ev, nc, pool_threads(pool)};
    pool_run(pool, job.nlanes, eval_lanes, &job);
    pool_free(pool);

    /* the predict-the-mean baseline */
    SelCand meanc = {.kind = SEL_MEAN};
    double *base = xmalloc(sizeof(double) * (size_t)t.n);
    for (int g = 0; g < t.groups.n; g++) sel_fit_predict(&d, &meanc, g, -1, base);
    double base_rmse = sel_rmse(&d, base, NULL);
    double *per = xmalloc(sizeof(double) * (size_t)t.groups.n);
    char b1[32], b2[32], b3[32], b4[32], b5[32];
    char path[4096];
    AtomicFile af;

    /* candidates */
    snprintf(path, sizeof path, "%s.candidates.tsv", out);
    FILE *f = atomic_open_or_die(&af, path);
    fprintf(f, "name\ttier\tkind\tx\toptions\tlomo_rmse\tci_lo\tci_hi\tbaseline_rmse\tlomo_skill");
    put_group_header(f, &t);
    fprintf(f, "\tfailed_fits\tstatus\n");
    for (int c = 0; c < nc; c++) {
        double r = sel_rmse(&d, ev[c].pred, per), lo, hi;
        sel_bootstrap(&d, ev[c].pred, B, seed, level, &lo, &hi);
        fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", cands[c].name, cands[c].tier, cands[c].kind, cands[c].x,
                cands[c].options, num(r, b1), num(lo, b2), num(hi, b3), num(base_rmse, b4),
                num(1 - r / base_rmse, b5));
        put_group_rmse(f, per, t.groups.n);
        fprintf(f, "\t%d\t%s\n", ev[c].nfail, isnan(r) ? "failed" : "ok");
    }
    atomic_commit_or_die(&af);

    /* nested: per tier, pools curve and any */
    int npools = 2 * ntiers;
    int *choice = xmalloc(sizeof(int) * (size_t)(npools * t.groups.n));
    double *npred = xmalloc(sizeof(double) * (size_t)(npools * t.n));
    unsigned char *allowed = xmalloc((size_t)nc);
    for (int p = 0; p < npools; p++) {
        int tier = p / 2, any = p % 2;
        for (int c = 0; c < nc; c++)
            allowed[c] = cands[c].tier_rank >= 0 && cands[c].tier_rank <= tier && (any || cands[c].c.kind != SEL_RIDGE);
        sel_nested(&d, nc, ev, allowed, choice + p * t.groups.n, npred + (size_t)p * (size_t)t.n);
    }
    snprintf(path, sizeof path, "%s.nested.tsv", out);
    f = atomic_open_or_die(&af, path);
    fprintf(f, "tier\tpool\tnested_rmse\tci_lo\tci_hi\tbaseline_rmse\tlomo_skill");
    put_group_header(f, &t);
    fprintf(f, "\tchosen\n");
    for (int p = 0; p < npools; p++) {
        const double *pr = npred + (size_t)p * (size_t)t.n;
        double r = sel_rmse(&d, pr, per), lo, hi;
        sel_bootstrap(&d, pr, B, seed, level, &lo, &hi);
        fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\t%s", tiers[p / 2], pool_name(p), num(r, b1), num(lo, b2),
                num(hi, b3), num(base_rmse, b4), num(1 - r / base_rmse, b5));
        put_group_rmse(f, per, t.groups.n);
        /* the distinct choices with their fold counts, in candidate order */
        fputc('\t', f);
        int first = 1;
        for (int c = 0; c < nc; c++) {
            int cnt = 0;
            for (int g = 0; g < t.groups.n; g++) cnt += choice[p * t.groups.n + g] == c;
            if (cnt) { fprintf(f, "%s%s x%d", first ? "" : ", ", cands[c].name, cnt); first = 0; }
        }
        if (first) fputs("none", f);
        fputc('\n', f);
    }
    atomic_commit_or_die(&af);

    snprintf(path, sizeof path, "%s.choices.tsv", out);
    f = atomic_open_or_die(&af, path);
    fprintf(f, "tier\tpool\t%s\tchosen\tinner_rmse\theld_out_rmse\n", bycol);
    for (int p = 0; p < npools; p++) {
        sel_rmse(&d, npred + (size_t)p * (size_t)t.n, per);
        for (int g = 0; g < t.groups.n; g++) {
            int c = choice[p * t.groups.n + g];
            fprintf(f, "%s\t%s\t%s\t%s\t%s\t%s\n", tiers[p / 2], pool_name(p), t.groups.names[g],
                    c >= 0 ? cands[c].name : "none", num(c >= 0 ? sel_inner_rmse(&ev[c], g) : NAN, b1), num(per[g], b2));
        }
    }
    atomic_commit_or_die(&af);

    snprintf(path, sizeof path, "%s.pred.tsv", out);
    f = atomic_open_or_die(&af, path);
    fprintf(f, "%s\t%s\t%s", bycol, ccol, ycol);
    for (int p = 0; p < npools; p++) fprintf(f, "\t%s:%s", tiers[p / 2], pool_name(p));
    fprintf(f, "\tbaseline\n");
    for (int i = 0; i < t.n; i++) {
        fprintf(f, "%s\t%s\t%s", t.groups.names[t.group[i]], t.configs.names[t.config[i]], num(t.y[i], b1));
        for (int p = 0; p < npools; p++) fprintf(f, "\t%s", num(npred[(size_t)p * (size_t)t.n + (size_t)i], b1));
        fprintf(f, "\t%s\n", num(base[i], b1));
    }
    atomic_commit_or_die(&af);

    fprintf(stderr, "mta select: %d candidates, %d rows, %d groups -> %s.{candidates,nested,choices,pred}.tsv\n", nc,
            t.n, t.groups.n, out);
    for (int c = 0; c < nc; c++) sel_eval_free(&ev[c]);
    free(ev); free(choice); free(npred); free(allowed); free(per); free(base);
    sel_table_free(&t);
    free(cbuf); free(cands); free(tiers_buf);
    return 0;
}
