/* t_select.c — nested leave-one-group-out (fit/select.h) against hand-computed and brute-force
 * cases, the ridge and bootstrap pieces, and `mta select` on good and bad input. */
#define _DEFAULT_SOURCE   /* realpath, mkdtemp */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/check.h"
#include "base/rng.h"
#include "fit/select.h"
#include "quant/quant.h"
#include "tap.h"

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* Three groups A, B, C, two configurations: y = A (1, 3), B (2, 5), C (4, 4).  By hand:
 *   outer A: inner SSE mean (fit on C predicts B: 4, 4 -> 5; fit on B predicts C: 3.5 -> 0.5) 5.5,
 *            config mean (C: 4, 4 -> 5; B: 2, 5 -> 5) 10            -> mean, predicts A 3.75
 *   outer B: mean (C -> A: 10; A -> C: 2 -> 8) 18, config (10; 1, 3 -> 10) 20 -> mean, B by 3
 *   outer C: mean (B -> A: 3.5 -> 6.5; A -> B: 2 -> 9) 15.5, config (2, 5 -> 5; 1, 3 -> 5) 10
 *            -> config, C by (1.5, 4)
 *   nested SSE 8.125 + 5 + 6.25 = 19.375 over 6 points. */
static void hand_case(void)
{
    double y[6] = {1, 3, 2, 5, 4, 4};
    int group[6] = {0, 0, 1, 1, 2, 2}, config[6] = {0, 1, 0, 1, 0, 1};
    double x0[1] = {0};
    const double *xs[1] = {y};
    SelData d = {6, 1, 3, 2, y, xs, x0, group, config};
    SelCand c[2] = {{.kind = SEL_MEAN}, {.kind = SEL_CONFIG_MEAN}};
    SelEval ev[2];
    for (int k = 0; k < 2; k++) { sel_eval_init(&ev[k], &d); sel_evaluate(&d, &c[k], &ev[k]); }
    is_close(ev[0].inner_sse[0], 5.5, 1e-12, 0, "hand case: inner SSE of the mean for outer A");
    is_close(ev[1].inner_sse[0], 10, 1e-12, 0, "hand case: inner SSE of the configuration mean for outer A");
    is_close(ev[0].inner_sse[1], 18, 1e-12, 0, "hand case: inner SSE of the mean for outer B");
    is_close(ev[1].inner_sse[2], 10, 1e-12, 0, "hand case: inner SSE of the configuration mean for outer C");
    is_close(sel_inner_rmse(&ev[1], 2), sqrt(10.0 / 4), 1e-12, 0, "hand case: inner RMSE over the 4 inner points");
    is_close(ev[1].pred[4], 1.5, 1e-12, 0, "hand case: LOMO of the configuration mean predicts C's c1 by A and B");
    unsigned char allowed[2] = {1, 1};
    int choice[3];
    double pred[6];
    sel_nested(&d, 2, ev, allowed, choice, pred);
    ok(choice[0] == 0 && choice[1] == 0 && choice[2] == 1, "hand case: choices mean, mean, configuration mean (%d %d %d)",
       choice[0], choice[1], choice[2]);
    double per[3];
    is_close(sel_rmse(&d, pred, per), sqrt(19.375 / 6), 1e-12, 0, "hand case: nested RMSE sqrt(19.375 / 6)");
    is_close(per[2], sqrt(6.25 / 2), 1e-12, 0, "hand case: per-group RMSE of C");
    allowed[0] = 0;
    sel_nested(&d, 2, ev, allowed, choice, pred);
    ok(choice[0] == 1 && choice[1] == 1 && choice[2] == 1, "hand case: a disallowed candidate is never chosen");
    double lo, hi;
    sel_bootstrap(&d, pred, 500, 7, 0.9, &lo, &hi);
    double lo2, hi2;
    sel_bootstrap(&d, pred, 500, 7, 0.9, &lo2, &hi2);
    ok(lo <= sel_rmse(&d, pred, NULL) + 1e-12 && hi >= sel_rmse(&d, pred, NULL) - 1e-12 && lo < hi && lo == lo2 && hi == hi2,
       "bootstrap: the interval holds the RMSE, is not empty, and is the same for the same seed [%g, %g]", lo, hi);
    for (int k = 0; k < 2; k++) sel_eval_free(&ev[k]);
}

/* Five groups, a linear y in x plus noise; the inner errors of sel_evaluate (computed from the
 * shared pair fits) against fitting every inner fold directly with fit_model. */
static void brute_force_case(void)
{
    enum { G = 5, P = 7, N = G * P };
    double x[N], y[N], x0[1] = {0};
    int group[N], config[N];
    Rng r;
    rng_seed(&r, 3);
    for (int i = 0; i < N; i++) {
        group[i] = i / P; config[i] = i % P;
        x[i] = config[i] + 0.3 * rng_normal(&r);
        y[i] = 0.5 * x[i] + 0.2 * group[i] + 0.1 * rng_normal(&r);
    }
    const double *xs[1] = {x};
    SelData d = {N, 1, G, P, y, xs, x0, group, config};
    SelCand c = {.kind = SEL_CURVE, .col = 0};
    fit_spec_default(&c.spec, FIT_POLY);
    c.spec.degree = 1;
    SelEval e;
    sel_eval_init(&e, &d);
    sel_evaluate(&d, &c, &e);
    int bad = 0;
    for (int g = 0; g < G; g++) {
        double sse = 0;
        for (int k = 0; k < G; k++) {
            if (k == g) continue;
            double tx[N], ty[N];
            int nt = 0;
            for (int i = 0; i < N; i++)
                if (group[i] != g && group[i] != k) { tx[nt] = x[i]; ty[nt] = y[i]; nt++; }
            FitModel m;
            CHECK(fit_model(&c.spec, nt, tx, ty, NULL, &m) == FIT_OK, "fit");
            for (int i = 0; i < N; i++)
                if (group[i] == k) sse += (fit_eval(&m, x[i]) - y[i]) * (fit_eval(&m, x[i]) - y[i]);
        }
        if (fabs(sse - e.inner_sse[g]) > 1e-12 * (1 + sse) || e.inner_n[g] != (G - 1) * P) bad++;
    }
    ok(bad == 0, "brute force: every outer fold's inner SSE equals the direct refits (%d of %d differ)", bad, G);
    sel_eval_free(&e);
}

/* Ridge: y = 2 x + 1 exactly, no penalty -> exact predictions inside the range, clipped to the
 * training range of y outside it; the configuration-mean feature of a training point leaves its
 * own group out. */
static void ridge_case(void)
{
    double x[6] = {0, 1, 2, 3, 4, 10}, y[6], x0[1] = {0};
    for (int i = 0; i < 6; i++) y[i] = 2 * x[i] + 1;
    int group[6] = {0, 0, 1, 1, 2, 2}, config[6] = {0, 1, 2, 3, 4, 5};
    const double *xs[1] = {x};
    SelData d = {6, 1, 3, 6, y, xs, x0, group, config};
    SelCand c = {.kind = SEL_RIDGE, .nfeat = 1, .feat = {0}, .lambda = 0};
    double pred[6];
    ok(sel_fit_predict(&d, &c, 1, -1, pred) == 0, "ridge: fits");
    is_close(pred[2], 5, 1e-9, 0, "ridge: exact line, a point inside the range");
    int rc = sel_fit_predict(&d, &c, 2, -1, pred);
    ok(rc == 0 && fabs(pred[4] - 7) < 1e-9 && fabs(pred[5] - 7) < 1e-9,
       "ridge: predictions beyond the training range are clipped to the largest training y, 7 (%g, %g)", pred[4], pred[5]);
    /* with the configuration mean as the only feature and every configuration in one group only,
     * a training point has no other group for its configuration: it falls back to the mean, so the
     * feature is constant and the prediction is the training mean */
    SelCand cm = {.kind = SEL_RIDGE, .nfeat = 1, .feat = {SEL_FEAT_CONFIG}, .lambda = 0.01};
    ok(sel_fit_predict(&d, &cm, 0, -1, pred) == 0, "ridge on the configuration mean: fits");
    double mean = 0;
    for (int i = 2; i < 6; i++) mean += y[i] / 4;
    is_close(pred[0], mean, 1e-9, 0, "ridge: a training point never sees its own group's value of the feature");
}

static void cli_case(const char *mta)
{
    char dir[] = "/tmp/t_select.XXXXXX", path[64], spec[64], out[64], err[4096];
    CHECK(mkdtemp(dir), "mkdtemp");
    snprintf(path, sizeof path, "%s/in.tsv", dir);
    FILE *f = fopen(path, "w");
    CHECK(f, "%s", path);
    fprintf(f, "model\ttitle\tacc_loss\tm1\tm2\n");
    Rng r;
    rng_seed(&r, 5);
    for (int g = 0; g < 4; g++)
        for (int k = 0; k < 6; k++) {
            double m1 = 0.1 * (k + 1) * (1 + 0.2 * g), m2 = rng_uniform(&r);
            fprintf(f, "M%d\tC%d\t%.6f\t%.6f\t%.6f\n", g, k, 0.5 * m1 + 0.05 * rng_normal(&r), m1, m2);
        }
    fclose(f);
    snprintf(spec, sizeof spec, "%s/spec.tsv", dir);
    write_text(spec, "name\ttier\tkind\tx\toptions\n"
                     "m1\tweight-only\tcurve\tm1\tfamily=poly degree=1 monotone=exact\n"
                     "m1:log\tweight-only\tcurve\tm1\tfamily=poly degree=2 monotone=exact transform=log10 x0=auto\n"
                     "m2\tlabel-free\tcurve\tm2\tfamily=poly degree=1\n"
                     "m1+m2\tlabel-free\tridge\tm1,m2\tlambda=0.1 quad=1\n"
                     "config_mean\tweight-only\tconfig-mean\t-\t-\n"
                     "mean\tbaseline\tmean\t-\t-\n");
    snprintf(out, sizeof out, "%s/s", dir);
    int rc = run_cmd(err, sizeof err, "'%s' select '%s' --candidates '%s' --out '%s' --tiers weight-only,label-free --threads 2",
                     mta, path, spec, out);
    ok(rc == 0 && strstr(err, "mta select: 6 candidates, 24 rows, 4 groups"), "mta select: runs and says what it read (%s)", err);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "test $(wc -l < '%s.nested.tsv') -eq 5 && test $(wc -l < '%s.candidates.tsv') -eq 7 && "
                              "test $(wc -l < '%s.pred.tsv') -eq 25 && test $(wc -l < '%s.choices.tsv') -eq 17",
             out, out, out, out);
    ok(run_cmd(NULL, 0, "%s", cmd) == 0, "mta select: nested 2 tiers x 2 pools, 6 candidates, 24 predictions, 16 choices");
    ok(run_cmd(NULL, 0, "awk -F '\\t' '$1 == \"weight-only\" { n++; if ($NF ~ /(^|, )(m2|m1[+]m2|mean) x/) bad++ } "
                        "END { exit !(n == 2 && !bad) }' '%s.nested.tsv'", out) == 0,
       "mta select: neither weight-only pool chooses a label-free or baseline candidate");
    ok(run_cmd(NULL, 0, "ls '%s' | grep -q '\\.tmp'", dir) != 0, "mta select: no temporary files left behind");
    /* the same run with one thread writes the same bytes */
    char out1[64];
    snprintf(out1, sizeof out1, "%s/one", dir);
    rc = run_cmd(NULL, 0, "'%s' select '%s' --candidates '%s' --out '%s' --tiers weight-only,label-free --threads 1 && "
                          "cmp '%s.nested.tsv' '%s.nested.tsv' && cmp '%s.candidates.tsv' '%s.candidates.tsv'",
                 mta, path, spec, out1, out, out1, out, out1);
    ok(rc == 0, "mta select: 1 and 2 threads write the same tables");

    write_text(spec, "name\ttier\tkind\tx\toptions\nm1\tweight-only\tspline\tm1\t-\n");
    rc = run_cmd(err, sizeof err, "'%s' select '%s' --candidates '%s' --out '%s'", mta, path, spec, out);
    ok(rc == 2 && strstr(err, "spec.tsv:2: candidate 'm1': kind must be curve, ridge, config-mean or mean, not spline"),
       "bad kind: exit 2, names file, line and candidate (%s)", err);
    write_text(spec, "name\ttier\tkind\tx\toptions\nm1\tweight-only\tcurve\tnope\t-\n");
    rc = run_cmd(err, sizeof err, "'%s' select '%s' --candidates '%s' --out '%s'", mta, path, spec, out);
    ok(rc == 2 && strstr(err, "in.tsv:1: no column 'nope' (named by a candidate)"), "unknown column: exit 2, names it (%s)", err);
    write_text(spec, "name\ttier\tkind\tx\toptions\nm1\tweight-only\tcurve\tm1\tdegree=9\n");
    rc = run_cmd(err, sizeof err, "'%s' select '%s' --candidates '%s' --out '%s'", mta, path, spec, out);
    ok(rc == 2 && strstr(err, "degree must be 0..5, not 9"), "bad option value: exit 2 (%s)", err);
    write_text(spec, "name\ttier\tkind\tx\n");
    rc = run_cmd(err, sizeof err, "'%s' select '%s' --candidates '%s' --out '%s'", mta, path, spec, out);
    ok(rc == 2 && strstr(err, "spec.tsv:1: the header must be"), "bad header: exit 2 (%s)", err);
    rc = run_cmd(err, sizeof err, "'%s' select '%s' --out '%s'", mta, path, out);
    ok(rc == 2 && strstr(err, "--candidates"), "missing --candidates: exit 2 and names the flag (%s)", err);
    run_cmd(NULL, 0, "rm -rf '%s'", dir);
}

/* The profile in dir (its predictor input at input) reduced to the one candidate spec_row
 * (written to spec): mta predict CKPT with predict_args, then the mta command peer (a format
 * with one %s, the checkpoint) whose column col must equal the predictor's x (-neg_..., column
 * 2 of mta predict's table) within tol for every configuration.  0 when they agree. */
static int predicts_as(const char *mta, const char *dir, const char *input, const char *spec, const char *ckpt,
                       const char *spec_row, const char *predict_args, const char *peer, int col, double tol, char *err,
                       size_t nerr)
{
    char text[512], peer_args[1024];
    snprintf(text, sizeof text, "name\ttier\tkind\tx\toptions\n%s\n", spec_row);
    write_text(spec, text);
    int rc = run_cmd(err, nerr, "'%s' select '%s' --candidates '%s' --out '%s/fit/select/lomo' --threads 1", mta, input, spec, dir);
    CHECK(rc == 0, "mta select on the one-candidate profile %s: %s", spec_row, err);
    snprintf(peer_args, sizeof peer_args, peer, ckpt);
    return run_cmd(err, nerr, "cd '%s' && '%s' predict '%s' --from . %s --threads 1 --out pp.tsv && '%s' %s --out peer.tsv && "
                              "awk -F '\\t' -v c=%d -v tol=%g 'FNR == 1 { next } FILENAME == \"peer.tsv\" { v[$1] = $c; next } "
                              "{ n++; d = -$2 - v[$1]; if (v[$1] == \"\" || d > tol || d < -tol) bad++ } END { exit !(n == 2 && !bad) }' "
                              "peer.tsv pp.tsv",
                   dir, mta, ckpt, predict_args, mta, peer_args, col, tol);
}

/* mta predict on the PTQ fixture checkpoint, from a made-up profile whose loss is exactly
 * 1 - agree/100: its metric columns equal those `mta ptq` writes for the same checkpoint, seed
 * and images; the label-free prediction follows; bad flags are named. */
static void predict_case(const char *mta)
{
    if (!have_fmnist()) return;
    char dir[] = "/tmp/t_predict.XXXXXX", p[256], q[256], err[8192], ckpt[PATH_MAX];
    CHECK(mkdtemp(dir), "mkdtemp");
    CHECK(realpath("tests/fixtures/ptq_small.safetensors", ckpt), "fixture");
    snprintf(p, sizeof p, "mkdir -p %s/fit/pred %s/fit/select", dir, dir);
    CHECK(run_cmd(NULL, 0, "%s", p) == 0, "mkdir");
    snprintf(p, sizeof p, "%s/fit/pred/input.tsv", dir);
    FILE *f = fopen(p, "w");
    CHECK(f, "%s", p);
    fprintf(f, "model\ttitle\tacc_loss\tneg_agree_top1\tmse_param\tneg_nm_w_sqnr_db\tneg_grad_sqnr_db\n");
    Rng r;
    rng_seed(&r, 9);
    for (int g = 0; g < 4; g++)
        for (int k = 0; k < QUANT_NCONFIGS; k++) {
            double agree = 100.0 * k / (QUANT_NCONFIGS - 1) * (0.7 + 0.1 * g) + 10 * rng_uniform(&r);
            agree = agree > 100 ? 100 : agree;
            fprintf(f, "F%d\t%s\t%.6f\t%.4f\t%.6f\t%.4f\t%.4f\n", g, quant_configs[k].title, 1 - agree / 100, -agree, rng_uniform(&r),
                    agree / 3 - 20 * rng_uniform(&r), agree / 2 - 30 * rng_uniform(&r));
        }
    fclose(f);
    snprintf(q, sizeof q, "%s/fit/select/spec.tsv", dir);
    write_text(q, "name\ttier\tkind\tx\toptions\n"
                  "agree_top1\tlabel-free\tcurve\tneg_agree_top1\tfamily=poly degree=1 monotone=exact\n"
                  "mse_param\tweight-only\tcurve\tmse_param\tfamily=poly degree=1\n"
                  "config_mean\tweight-only\tconfig-mean\t-\t-\n");
    int rc = run_cmd(err, sizeof err, "'%s' select '%s' --candidates '%s' --out '%s/fit/select/lomo' --threads 1", mta, p, q, dir);
    CHECK(rc == 0, "mta select on the made-up profile: %s", err);
    char out[300], ptq[300];
    snprintf(out, sizeof out, "%s/pred.tsv", dir);
    snprintf(ptq, sizeof ptq, "%s/ptq.tsv", dir);
    rc = run_cmd(err, sizeof err, "cd '%s' && '%s' predict '%s' --from . --configs INT_4,INT_8,POT_4 --calib-images 256 --seed 3 --threads 1 --out '%s'",
                 dir, mta, ckpt, out);
    ok(rc == 0 && strstr(err, "tier label-free, predictor agree_top1 (curve neg_agree_top1"),
       "mta predict: label-free by default, names the predictor (%.300s)", err);
    rc = run_cmd(NULL, 0, "'%s' ptq '%s' --configs INT_4,INT_8,POT_4 --calib-batches 2 --batch 128 --limit 100 --seed 3 --threads 1 --quiet --out '%s'",
                 mta, ckpt, ptq);
    CHECK(rc == 0, "mta ptq on the fixture");
    /* agree_top1 of the ptq table (column 26) against -neg_agree_top1 of the prediction */
    char cmd[1500];
    snprintf(cmd, sizeof cmd, "awk -F '\\t' 'FNR == 1 { for (i = 1; i <= NF; i++) c[FILENAME, $i] = i; next } "
                              "FILENAME ~ /ptq/ { a[$1] = $c[FILENAME, \"agree_top1\"]; next } "
                              "{ n++; if (a[$1] + 0 <= 0 || -$c[FILENAME, \"neg_agree_top1\"] != a[$1] + 0) bad++; "
                              "if (!($c[FILENAME, \"lo95\"] <= $c[FILENAME, \"pred_acc_loss\"] && $c[FILENAME, \"pred_acc_loss\"] <= $c[FILENAME, \"hi95\"])) bad++; "
                              "d = $c[FILENAME, \"pred_acc_loss\"] - (1 + $c[FILENAME, \"neg_agree_top1\"] / 100); if (d > 0.1 || d < -0.1) bad++ } "
                              "END { exit !(n == 3 && !bad) }' '%s' '%s'", ptq, out);
    ok(run_cmd(NULL, 0, "%s", cmd) == 0,
       "mta predict: its agreement equals mta ptq's for the same checkpoint, seed and images; the prediction "
       "follows loss = 1 - agree/100 and lies in its interval");
    rc = run_cmd(err, sizeof err, "cd '%s' && '%s' predict '%s' --from . --tier weight --configs INT_4 --threads 1", dir, mta, ckpt);
    ok(rc == 0 && strstr(err, "tier weight-only") && !strstr(err, "agree_top1"),
       "mta predict --tier weight: a weight-only predictor, never the label-free one (%.200s)", err);
    /* a profile whose only candidate is the noise model's weight SQNR (column 6 of mta noise's
     * table): mta predict computes it as mta noise does; one whose only candidate is the
     * gradient probe's SQNR (column 10 of mta grad-sim's): as mta grad-sim does */
    rc = predicts_as(mta, dir, p, q, ckpt, "nm_w_sqnr_db\tweight-only\tcurve\tneg_nm_w_sqnr_db\tfamily=poly degree=1",
                     "--tier weight-only --configs INT_4,POT_4", "noise '%s' --configs INT_4,POT_4 --calib-images 512", 6, 1e-4,
                     err, sizeof err);
    ok(rc == 0, "mta predict: the noise model's weight SQNR it predicts from equals mta noise's (%.200s)", err);
    rc = predicts_as(mta, dir, p, q, ckpt, "grad_sqnr_db\tlabel-free\tcurve\tneg_grad_sqnr_db\tfamily=poly degree=1",
                     "--configs INT_4,POT_4 --calib-images 256 --seed 3",
                     "grad-sim '%s' --configs INT_4,POT_4 --calib-batches 2 --batch 128 --seed 3 --threads 1", 10, 1e-3, err,
                     sizeof err);
    ok(rc == 0, "mta predict: the gradient probe's SQNR it predicts from equals mta grad-sim's (%.200s)", err);
    rc = run_cmd(err, sizeof err, "'%s' predict '%s' --from '%s' --tier bogus", mta, ckpt, dir);
    ok(rc == 2 && strstr(err, "flag --tier: 'bogus'"), "mta predict --tier bogus: exit 2, names the flag");
    rc = run_cmd(err, sizeof err, "'%s' predict '%s' --from '%s' --calib-images 100 --batch 64", mta, ckpt, dir);
    ok(rc == 2 && strstr(err, "flag --calib-images: 100 is not a multiple of --batch 64"), "mta predict: --calib-images must fill whole batches");
    rc = run_cmd(err, sizeof err, "'%s' predict '%s' --from '%s/nope'", mta, ckpt, dir);
    ok(rc == 2 && strstr(err, "mta predict: ") && strstr(err, "nope/fit/select/spec.tsv"), "mta predict: a missing profile table is named (%.200s)", err);
    rc = run_cmd(err, sizeof err, "'%s' predict '%s' --from '%s' --configs INT_99", mta, ckpt, dir);
    ok(rc == 2 && strstr(err, "INT_99"), "mta predict: an unknown configuration is named");
    run_cmd(NULL, 0, "rm -rf '%s'", dir);
}

int main(void)
{
    plan_no_plan();
    hand_case();
    brute_force_case();
    ridge_case();
    char mta[PATH_MAX];
    const char *m = getenv("MTA");
    CHECK(realpath(m ? m : "build/mta", mta), "no mta binary");
    cli_case(mta);
    predict_case(mta);
    return done_testing();
}
