/* t_robust.c — the command lines of the security half on a small trained network
 * (tests/fixtures/ptq_small.safetensors) and Fashion-MNIST: `mta gen` trains a generator whose
 * images the teacher recognises more often as it trains, writes the checkpoint, the log (one
 * row per epoch and per adjust evaluation) and the summary, and respects --adjust-cap;
 * `mta robust` writes Full and every configuration with accuracies in [0, 100], PGD at most
 * FGSM on average, is deterministic, resumes from a partial table; `mta ptq --calib-data gen:`
 * calibrates on generated images; bad flags and malformed generators end in clear errors. */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/fileio.h"
#include "tap.h"
#include "train/generator.h"

static char mta[4096], root[4096], dir[64], ckpt[4200];

/* Column c (0-based) of the row whose first field is key (or the row number `row` when key is
 * NULL, 1 = the first after the header) of a TSV text; NAN when absent. */
static double field(const char *text, const char *key, int row, int c)
{
    char *t = strdup(text), *save, *line = strtok_r(t, "\n", &save);
    double v = NAN;
    for (int r = 0; line; r++, line = strtok_r(NULL, "\n", &save)) {
        if (r == 0) continue;
        if (key ? strncmp(line, key, strlen(key)) || line[strlen(key)] != '\t' : r != row) continue;
        char *s2, *tok = strtok_r(line, "\t", &s2);
        for (int k = 0; tok && k < c; k++) tok = strtok_r(NULL, "\t", &s2);
        if (tok) v = atof(tok);
        break;
    }
    free(t);
    return v;
}

static int header_col(const char *text, const char *name)
{
    char *t = strdup(text), *nl = strchr(t, '\n');
    if (nl) *nl = 0;
    int c = -1, k = 0;
    for (char *save, *tok = strtok_r(t, "\t", &save); tok; tok = strtok_r(NULL, "\t", &save), k++)
        if (!strcmp(tok, name)) c = k;
    free(t);
    return c;
}

static char *slurp(const char *fmt, const char *a)
{
    char path[4300], err[512];
    snprintf(path, sizeof path, fmt, a);
    char *s = read_text_file(path, err, sizeof err);
    return s ? s : strdup("");
}

static int count_lines(const char *s, const char *prefix)
{
    int n = 0;
    for (const char *p = s; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        n += !strncmp(p, prefix, strlen(prefix));
    return n;
}

int main(void)
{
    plan_no_plan();
    if (!have_fmnist()) return done_testing();
    const char *m = getenv("MTA");
    CHECK(realpath(m ? m : "build/mta", mta), "no mta binary");
    CHECK(realpath(".", root), "cwd");
    snprintf(ckpt, sizeof ckpt, "%s/tests/fixtures/ptq_small.safetensors", root);
    snprintf(dir, sizeof dir, "/tmp/mta_robust_XXXXXX");
    CHECK(mkdtemp(dir), "mkdtemp");
    char err[8192];

    /* mta gen: 3 epochs of 15 steps, then the adjust loop capped at 3 updates */
    int rc = run_cmd(err, sizeof err,
                     "%s gen %s --out %s/g.safetensors --adjust-out %s/ga.safetensors --epochs 3 --iters 15 --batch 32 "
                     "--lr 0.01 --gen-width 0.125 --adjust-cap 3 --adjust-batches 2 --test-limit 128 --threads 2 "
                     "--log %s/g.log.tsv --summary %s/g.tsv --quiet",
                     mta, ckpt, dir, dir, dir, dir);
    char *sum = slurp("%s/g.tsv", dir), *log = slurp("%s/g.log.tsv", dir);
    ok(rc == 0 && header_col(sum, "gen_acc") >= 0 && header_col(sum, "adjust_iters") >= 0 &&
           header_col(sum, "pgd_test_acc") >= 0 && header_col(sum, "cap_hit") >= 0,
       "mta gen writes the summary (gen_acc, adjust_iters, cap_hit, pgd_test_acc, ...) [%s]", rc ? err : "ok");
    double e1 = field(log, "train\t1", 0, 2), e3 = field(log, "train\t3", 0, 2);
    int evals = count_lines(log, "adjust\t");
    double iters = field(sum, NULL, 1, header_col(sum, "adjust_iters"));
    double cap_hit = field(sum, NULL, 1, header_col(sum, "cap_hit"));
    ok(count_lines(log, "train\t") == 3 && evals >= 1 && evals == (int)iters + 1,
       "the log has a row per epoch (3) and per adjust evaluation (%d = updates %.0f + 1)", evals, iters);
    ok(e3 > e1 && e3 > 20, "Gen acc rises as the generator trains (epoch 1 %.1f %%, epoch 3 %.1f %%)", e1, e3);
    ok(iters <= 3 && (iters < 3 || cap_hit == 1), "--adjust-cap 3: at most 3 updates, and cap_hit says when it stopped the loop "
       "(%.0f updates, cap_hit %.0f)", iters, cap_hit);
    char gpath[4300];
    snprintf(gpath, sizeof gpath, "%s/ga.safetensors", dir);
    Generator *g = gen_load(gpath, err, sizeof err);
    ok(g && g->classes == 10 && g->channels == 1 && g->img == 32 && g->c1 == 16 && g->c2 == 8,
       "the adjusted generator loads: 10 classes, 1x32x32 images, widths 16/8");
    gen_free(g);
    free(sum);
    free(log);

    /* mta robust on three configurations */
    const char *rflags = "--configs INT_2,INT_8,POT_4 --test-limit 128 --pseudo 64 --gen-batch 32 --calib-batches 1 --batch 64 --steps 5 --threads 2 --quiet";
    rc = run_cmd(err, sizeof err, "%s robust %s --gen %s/ga.safetensors --gen-plain %s/g.safetensors %s --out %s/r.tsv", mta,
                 ckpt, dir, dir, rflags, dir);
    char *r = slurp("%s/r.tsv", dir);
    const char *head = "title\torg_acc\torg_gen_acc\tfgsm_acc\tfgsm_gen_acc\tpgd_acc\tpgd_gen_acc\t";
    ok(rc == 0 && !strncmp(r, head, strlen(head)) && count_lines(r, "") == 5,
       "mta robust writes the header (the reference's six columns first) and Full + 3 rows [%s]", rc ? err : "ok");
    int inside = 1;
    double fsum = 0, psum = 0;
    const char *titles[4] = {"Full", "INT_2", "INT_8", "POT_4"};
    for (int t = 0; t < 4; t++)
        for (int c = 1; c <= 9; c++) {
            double v = field(r, titles[t], 0, c);
            inside &= v >= 0 && v <= 100;
            if (c == 3) fsum += v;
            if (c == 5) psum += v;
        }
    ok(inside, "every accuracy of every row lies in [0, 100]");
    ok(psum <= fsum + 1e-9, "PGD accuracy <= FGSM accuracy on average over the rows (%.2f vs %.2f)", psum / 4, fsum / 4);
    double full = field(r, "Full", 0, 1), i8 = field(r, "INT_8", 0, 1), i2 = field(r, "INT_2", 0, 1);
    ok(fabs(full - i8) <= 5 && i2 < full - 20, "clean test accuracy: INT_8 within 5 points of Full (%.2f vs %.2f), INT_2 "
       "collapses (%.2f)", i8, full, i2);
    char *settings = slurp("%s/r.settings.tsv", dir);
    ok(strstr(settings, "pseudo_images\t64\n") && strstr(settings, "ranges\tfixed\n") && strstr(settings, "mta_version\t"),
       "r.settings.tsv records the scale knobs and the environment");
    free(settings);
    /* the same run again: identical; a partial table with two rows: resumed, identical */
    rc = run_cmd(err, sizeof err, "%s robust %s --gen %s/ga.safetensors --gen-plain %s/g.safetensors %s --out %s/r2.tsv", mta,
                 ckpt, dir, dir, rflags, dir);
    char *r2 = slurp("%s/r2.tsv", dir);
    /* compare without the seconds column */
    int same = 1;
    for (int t = 0; t < 4; t++)
        for (int c = 1; c <= 9; c++) same &= field(r, titles[t], 0, c) == field(r2, titles[t], 0, c);
    ok(rc == 0 && same, "a second run with the same seed gives the same accuracies");
    /* build the partial: the settings line of a real partial comes from the run itself */
    rc = run_cmd(err, sizeof err,
                 "cd %s && { printf '# settings: ckpt=%s gen=%s/ga.safetensors gen_plain=%s/g.safetensors test_images=128 "
                 "pseudo=64 gen_batch=32 calib_batches=1 ranges=fixed box=pixel eps=0.0313725509 steps=5 batch=64 seed=1 "
                 "compat=0\\n'; head -3 r.tsv | sed 's/\\t[0-9.]*$/\\t99.00/'; } > r3.tsv.partial",
                 dir, ckpt, dir, dir);
    rc = run_cmd(err, sizeof err, "%s robust %s --gen %s/ga.safetensors --gen-plain %s/g.safetensors %s --out %s/r3.tsv", mta,
                 ckpt, dir, dir, rflags, dir);
    char *r3 = slurp("%s/r3.tsv", dir);
    same = 1;
    for (int t = 0; t < 4; t++)
        for (int c = 1; c <= 9; c++) same &= field(r, titles[t], 0, c) == field(r3, titles[t], 0, c);
    ok(rc == 0 && strstr(err, "resuming") && strstr(err, "2 of 4 rows kept") && field(r3, "INT_2", 0, 10) == 99.0 && same,
       "a partial table with two rows is resumed (its rows kept, the rest computed, the same numbers) [%s]", err);
    free(r);
    free(r2);
    free(r3);

    /* data-free PTQ */
    rc = run_cmd(err, sizeof err, "%s ptq %s --configs INT_8,POT_4 --calib-batches 1 --batch 32 --limit 200 "
                 "--calib-data gen:%s/ga.safetensors --gen-batch 32 --out %s/pg.tsv --quiet", mta, ckpt, dir, dir);
    char *pg = slurp("%s/pg.tsv", dir), *ps = slurp("%s/pg.settings.tsv", dir);
    double a8 = field(pg, "INT_8", 0, header_col(pg, "ptq_acc"));
    ok(rc == 0 && a8 > 30 && strstr(ps, "calib_data\tgen:"), "mta ptq --calib-data gen: calibrates on generated images "
       "(INT_8 %.1f %%; the settings say so)", a8);
    free(pg);
    free(ps);

    /* errors */
    rc = run_cmd(err, sizeof err, "%s robust %s --gen %s/missing.safetensors --out %s/x.tsv --quiet", mta, ckpt, dir, dir);
    ok(rc != 0 && strstr(err, "missing.safetensors"), "a missing generator: non-zero exit, the file named");
    rc = run_cmd(err, sizeof err, "%s robust %s --gen %s --out %s/x.tsv --quiet", mta, ckpt, ckpt, dir);
    ok(rc != 0 && strstr(err, "label_emb.weight"), "a classifier checkpoint given as --gen: the missing tensor named");
    rc = run_cmd(err, sizeof err, "%s robust %s --gen %s/ga.safetensors --out %s/x.tsv --ranges sometimes", mta, ckpt, dir, dir);
    ok(rc == 2 && strstr(err, "flag --ranges: 'sometimes'"), "bad --ranges: exit 2, named");
    rc = run_cmd(err, sizeof err, "%s robust %s --gen %s/ga.safetensors --out %s/x.tsv --configs INT_99", mta, ckpt, dir, dir);
    ok(rc != 0 && strstr(err, "--configs") && strstr(err, "INT_99"), "unknown --configs entry: non-zero exit, named");
    rc = run_cmd(err, sizeof err, "%s gen %s --out %s/x.safetensors --gen-width 0", mta, ckpt, dir);
    ok(rc == 2 && strstr(err, "--gen-width"), "bad --gen-width: exit 2, named");
    rc = run_cmd(err, sizeof err, "%s gen %s", mta, ckpt);
    ok(rc == 2 && strstr(err, "--out"), "mta gen without --out: exit 2, the flag named");
    rc = run_cmd(err, sizeof err, "%s ptq %s --calib-data imagenet --out %s/x.tsv", mta, ckpt, dir);
    ok(rc != 0 && strstr(err, "flag --calib-data: 'imagenet'"), "bad --calib-data: non-zero exit, named");
    rc = run_cmd(err, sizeof err, "%s ptq %s --calib-data gen:%s/g.log.tsv --out %s/x.tsv", mta, ckpt, dir, dir);
    ok(rc != 0 && strstr(err, "g.log.tsv"), "--calib-data gen: with a file that is not a generator: the file named");
    run_cmd(NULL, 0, "rm -rf %s", dir);
    return done_testing();
}
