/* t_ptq.c — the mta ptq sweep on a small trained network (tests/fixtures/ptq_small.*):
 * table format and row order, the reference's patterns (spec ptq-engine §5.3, §7 item 8),
 * per-channel scales, the label-free output metrics recomputed here from the calibration
 * images, resuming an interrupted sweep, and bad flags.  Skips without Debian's
 * dataset-fashion-mnist. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/check.h"
#include "base/rng.h"
#include "io/data.h"
#include "nn/checkpoint.h"
#include "quant/qnet.h"
#include "quant/sweep.h"
#include "tap.h"

static char mta[PATH_MAX], dir[64];
#define CONFIGS "INT_2,INT_4,INT_5,INT_6,INT_8,POT_4,POT_6,POT_8,FLOAT_8_E1,FLOAT_8_E2,FLOAT_8_E3,FLOAT_8_E4,FLOAT_8_E5,FLOAT_8_E6"
#define NCONF 14

typedef struct { char title[32]; double ptq_acc, full_acc, js_flops, js_param, cols; } Row;

static int sweep(const char *out, const char *extra, char *err, size_t errsz)
{
    char cwd[PATH_MAX];
    CHECK(getcwd(cwd, sizeof cwd), "getcwd");
    return run_cmd(err, errsz, "%s ptq %s/tests/fixtures/ptq_small.safetensors --data fmnist --configs %s --calib-batches 2 "
                   "--limit 500 --threads 2 --quiet --out %s/%s %s", mta, cwd, CONFIGS, dir, out, extra);
}

/* Reads title, full_acc, ptq_acc, js_flops, js_param of every row; returns the row count or -1. */
static int read_table(const char *name, Row *rows, int max, char *header, size_t hsz)
{
    char path[256], line[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int n = 0;
    if (!fgets(header, (int)hsz, f)) { fclose(f); return -1; }
    while (n < max && fgets(line, sizeof line, f)) {
        Row *r = &rows[n];
        int cols = 1;
        for (char *p = line; *p; p++) cols += *p == '\t';
        r->cols = cols;
        char q[16];
        int b, e;
        if (sscanf(line, "%31s %15s %d %d %lf %lf %*s %lf %*s %*s %lf", r->title, q, &b, &e, &r->full_acc, &r->ptq_acc,
                   &r->js_flops, &r->js_param) == 8)
            n++;
    }
    fclose(f);
    return n;
}

/* Value of column `col` in the row titled `title` of table `name` (NAN when absent); the
 * first line of the table that holds `col` is its header. */
static double column(const char *name, const char *title, const char *col)
{
    char path[256], line[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return NAN;
    int want = -1;
    double v = NAN;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *save = NULL, *tok = strtok_r(line, "\t", &save);
        if (!tok) continue;
        if (want < 0 && !strcmp(tok, "title")) {
            for (int c = 1; (tok = strtok_r(NULL, "\t", &save)); c++)
                if (!strcmp(tok, col)) want = c;
            continue;
        }
        if (want < 0 || strcmp(tok, title)) continue;
        for (int c = 1; (tok = strtok_r(NULL, "\t", &save)); c++)
            if (c == want) v = atof(tok);
    }
    fclose(f);
    return v;
}

static const Row *find(const Row *rows, int n, const char *t)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(rows[i].title, t)) return &rows[i];
    CHECK(0, "no row %s", t);
    return NULL;
}

int main(void)
{
    plan_no_plan();
    if (!have_fmnist()) return done_testing();
    struct stat st;
    const char *m = getenv("MTA");
    CHECK(realpath(m ? m : "build/mta", mta), "no mta binary");
    snprintf(dir, sizeof dir, "/tmp/mta_ptq_XXXXXX");
    CHECK(mkdtemp(dir), "mkdtemp");
    char err[4096], header[4096], path[256];
    Row rows[64], per[64], res[64];
    ok(sweep("a.tsv", "", err, sizeof err) == 0, "mta ptq runs %d configurations", NCONF);
    int n = read_table("a.tsv", rows, 64, header, sizeof header);
    const char *lead = "title\tquant\tbits\tebits\tfull_acc\tptq_acc\tacc_loss\tjs_flops\tjs_flops_wt_log\t"
                       "js_flops_wt_cbrt\tjs_param\t";
    ok(n == NCONF && !strncmp(header, lead, strlen(lead)),
       "the table has the reference's leading columns and one row per configuration (%d)", n);
    ok(n == NCONF && !strcmp(rows[0].title, "INT_2") && !strcmp(rows[5].title, "POT_4") &&
           !strcmp(rows[13].title, "FLOAT_8_E6"), "rows are in the spec's configuration order");
    snprintf(path, sizeof path, "%s/a.layers.tsv", dir);
    ok(stat(path, &st) == 0 && st.st_size > 1000, "the per-layer table is written next to it");
    {   /* the settings table: the run's settings and the environment */
        snprintf(path, sizeof path, "%s/a.settings.tsv", dir);
        FILE *sf = fopen(path, "r");
        char line[512];
        int has_kernel = 0, has_threads = 0, has_images = 0, classes = 0;
        double majority = -1;
        while (sf && fgets(line, sizeof line, sf)) {
            sscanf(line, "classes\t%d", &classes);
            sscanf(line, "majority_pct\t%lf", &majority);
            has_kernel |= !strncmp(line, "blas_kernel\t", 12) && strlen(line) > 13;
            has_threads |= !strcmp(line, "threads\t2\n");
            has_images |= !strcmp(line, "test_images\t500\n");
        }
        if (sf) fclose(sf);
        ok(sf && has_kernel && has_threads && has_images,
           "a.settings.tsv records the settings (500 test images) and the environment (BLAS kernel, 2 threads)");
        ok(classes >= 2 && majority >= 100.0 / classes && majority <= 100,
           "a.settings.tsv records the classes (%d) and the most frequent class's share of the test images (%.2f %%)", classes, majority);
    }
    if (n == NCONF) {
        double full = rows[0].full_acc;
        ok(find(rows, n, "INT_2")->ptq_acc < 25, "INT_2 collapses to near chance (%.1f%%)", find(rows, n, "INT_2")->ptq_acc);
        ok(fabs(find(rows, n, "INT_8")->ptq_acc - full) <= 1.5, "INT_8 is within 1.5 points of full precision (%.1f vs %.1f)",
           find(rows, n, "INT_8")->ptq_acc, full);
        double r45 = find(rows, n, "INT_4")->js_flops / find(rows, n, "INT_5")->js_flops,
               r56 = find(rows, n, "INT_5")->js_flops / find(rows, n, "INT_6")->js_flops;
        ok(r45 > 2.5 && r45 < 8 && r56 > 2.5 && r56 < 8, "js_flops falls about 4x per INT bit (%.2f, %.2f)", r45, r56);
        double p6 = find(rows, n, "POT_6")->js_flops, p8 = find(rows, n, "POT_8")->js_flops;
        ok(fabs(p6 - p8) <= 0.02 * p8, "POT plateau: POT_6 and POT_8 js_flops agree to 2%% (%.4g, %.4g)", p6, p8);
        const char *e[6] = {"FLOAT_8_E1", "FLOAT_8_E2", "FLOAT_8_E3", "FLOAT_8_E4", "FLOAT_8_E5", "FLOAT_8_E6"};
        int best = 0;
        for (int i = 1; i < 6; i++)
            if (find(rows, n, e[i])->js_flops < find(rows, n, e[best])->js_flops) best = i;
        ok(best == 2 || best == 3, "FLOAT_8 js_flops is smallest at E3 or E4 (E%d)", best + 1);
    }
    {   /* agree_top1 and kl_fp_q, recomputed independently: the sweep's 2 x 128 seeded calibration
         * images, the INT_4 / INT_8 network calibrated on them, its logits against the FP ones */
        char perr[512];
        const char *fixture = "tests/fixtures/ptq_small.safetensors";   /* the tests run from the repository root */
        Dataset ds;
        CHECK(dataset_load("fmnist", 0, &ds, perr, sizeof perr) == 0, "%s", perr);
        CkptInfo info;
        Net *net = ckpt_load(fixture, NULL, 1, (Shape){1, 32, 32}, 10, &info, perr, sizeof perr);
        CHECK(net, "%s", perr);
        memcpy(ds.mean, info.mean, sizeof ds.mean);
        memcpy(ds.std, info.std, sizeof ds.std);
        net_set_threads(net, 2);
        net_alloc_acts(net, 128);
        const char *cfgs[2] = {"INT_4", "INT_8"};
        for (int c = 0; c < 2; c++) {
            PtqOptions po = ptq_options(0);
            QNet *q = qnet_new(net, quant_spec_config(quant_config_find(cfgs[c])), &po);
            sweep_calibrate_seeded(q, net, &ds, 2, 128, 1);
            qnet_freeze(q);
            Rng r;
            rng_seed(&r, 1);
            int *idx, nimg = sweep_calib_images(&ds, &r, 0, 256, &idx), same = 0, yb[128];
            float *x = malloc(sizeof(float) * 1024 * 128), fp[128 * 10];
            double kl = 0;
            for (int b = 0; b < nimg; b += 128) {
                int mb = nimg - b < 128 ? nimg - b : 128;
                dataset_batch(&ds, &ds.train, idx + b, mb, x, yb);
                memcpy(fp, net_forward(net, x, mb), sizeof(float) * 10 * (size_t)mb);
                const float *ql = qnet_infer(q, x, mb);
                for (int i = 0; i < mb; i++) {
                    int af = 0, aq = 0;
                    double mf = fp[i * 10], mq = ql[i * 10], sf = 0, sq = 0;
                    for (int j = 1; j < 10; j++) {
                        if (fp[i * 10 + j] > fp[i * 10 + af]) af = j;
                        if (ql[i * 10 + j] > ql[i * 10 + aq]) aq = j;
                        mf = fmax(mf, fp[i * 10 + j]); mq = fmax(mq, ql[i * 10 + j]);
                    }
                    same += af == aq;
                    for (int j = 0; j < 10; j++) { sf += exp(fp[i * 10 + j] - mf); sq += exp(ql[i * 10 + j] - mq); }
                    for (int j = 0; j < 10; j++) {
                        double lp = fp[i * 10 + j] - mf - log(sf), lq = ql[i * 10 + j] - mq - log(sq);
                        kl += exp(lp) * (lp - lq);
                    }
                }
            }
            double ag = 100.0 * same / nimg, tab_ag = column("a.tsv", cfgs[c], "agree_top1"), tab_kl = column("a.tsv", cfgs[c], "kl_fp_q");
            kl /= nimg;
            ok(nimg == 256 && fabs(ag - tab_ag) < 1e-3 && fabs(kl - tab_kl) <= 1e-6 * kl + 1e-12,
               "%s: agree_top1 %.4f and kl_fp_q %.6g equal the recomputation on the %d calibration images (%.4f, %.6g)", cfgs[c],
               tab_ag, tab_kl, nimg, ag, kl);
            free(x); free(idx);
            qnet_free(q);
        }
        ok(column("a.tsv", "INT_8", "agree_top1") > column("a.tsv", "INT_2", "agree_top1") &&
               column("a.tsv", "INT_8", "kl_fp_q") < column("a.tsv", "INT_2", "kl_fp_q"),
           "INT_8 agrees with full precision more than INT_2 (%.1f vs %.1f %%), with a smaller KL",
           column("a.tsv", "INT_8", "agree_top1"), column("a.tsv", "INT_2", "agree_top1"));
        net_free(net);
        dataset_free(&ds);
    }
    /* per-channel weight scales move the weights less */
    ok(sweep("pc.tsv", "--per-channel", err, sizeof err) == 0, "mta ptq --per-channel runs");
    int np = read_table("pc.tsv", per, 64, header, sizeof header);
    ok(np == NCONF && n == NCONF && find(per, np, "INT_4")->js_flops < find(rows, n, "INT_4")->js_flops,
       "per-channel INT_4 js_flops %.4g < per-tensor %.4g", np == NCONF ? find(per, np, "INT_4")->js_flops : -1.0,
       n == NCONF ? find(rows, n, "INT_4")->js_flops : -1.0);
    /* asymmetric activation observers: ReLU outputs use the whole grid, so the activations
     * of INT_4 are closer to full precision */
    ok(sweep("asym.tsv", "--asymmetric", err, sizeof err) == 0, "mta ptq --asymmetric runs");
    double sa = column("asym.tsv", "INT_4", "act_sqnr_db_flops"), ss = column("a.tsv", "INT_4", "act_sqnr_db_flops");
    ok(sa > ss + 1.0, "asymmetric INT_4 activation SQNR %.2f dB > symmetric %.2f dB + 1", sa, ss);
    ok(column("asym.tsv", "INT_8", "ptq_acc") >= column("asym.tsv", "INT_8", "full_acc") - 2.0,
       "asymmetric INT_8 keeps the accuracy (%.2f vs %.2f)", column("asym.tsv", "INT_8", "ptq_acc"),
       column("asym.tsv", "INT_8", "full_acc"));
    /* interrupted sweep: partial tables only, then resumed to the same result */
    int rc = sweep("r.tsv", "--stop-after 5", err, sizeof err);
    snprintf(path, sizeof path, "%s/r.tsv", dir);
    int no_final = stat(path, &st) != 0;
    snprintf(path, sizeof path, "%s/r.tsv.partial", dir);
    ok(rc == 0 && no_final && stat(path, &st) == 0, "an interrupted sweep leaves no final table, only r.tsv.partial");
    ok(sweep("r.tsv", "", err, sizeof err) == 0, "the rerun completes");
    int nr = read_table("r.tsv", res, 64, header, sizeof header);
    int same = nr == n;
    for (int i = 0; same && i < n; i++)
        same = !strcmp(res[i].title, rows[i].title) && res[i].ptq_acc == rows[i].ptq_acc && res[i].js_flops == rows[i].js_flops;
    ok(same && stat(path, &st) != 0, "the resumed table equals an uninterrupted run and the partial file is gone");
    rc = run_cmd(err, sizeof err, "%s ptq x.safetensors --data fmnist --out y.tsv --configs INT_8,INT_99", mta);
    ok(rc == 2 && strstr(err, "unknown configuration 'INT_99'"), "an unknown configuration is named");
    snprintf(header, sizeof header, "rm -rf %s", dir);
    if (system(header)) diag("could not remove %s", dir);
    return done_testing();
}
