/* t_sample_size.c — `mta sample-size` (quant/sample_size.h) on the PTQ fixture checkpoint:
 * the draws are disjoint blocks of one seeded order (so a draw of 2N is the mean of two draws
 * of N), the table's shape, determinism, that the metrics see the quantized network, and bad
 * flags named. */
#define _DEFAULT_SOURCE   /* realpath, mkdtemp */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/check.h"
#include "base/rng.h"
#include "io/data.h"
#include "nn/checkpoint.h"
#include "quant/qnet.h"
#include "quant/quant.h"
#include "quant/sweep.h"
#include "tap.h"

#define MAXR 256
typedef struct {
    char title[32];
    int n, draw;
    double agree, kl, sqnr;
} SsRow;

static int read_rows(const char *path, SsRow *r)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[512];
    int k = 0;
    if (!fgets(line, sizeof line, f) || strcmp(line, "title\tquant\tbits\tebits\tn\tdraw\tagree_top1\tkl_fp_q\tlogit_sqnr_db\n")) {
        fclose(f);
        return -2;
    }
    while (k < MAXR && fgets(line, sizeof line, f)) {
        char q[16];
        int bits, ebits;
        if (sscanf(line, "%31s %15s %d %d %d %d %lf %lf %lf", r[k].title, q, &bits, &ebits, &r[k].n, &r[k].draw, &r[k].agree,
                   &r[k].kl, &r[k].sqnr) != 9) {
            fclose(f);
            return -3;
        }
        k++;
    }
    fclose(f);
    return k;
}

static const SsRow *find(const SsRow *r, int n, const char *title, int size, int draw)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(r[i].title, title) && r[i].n == size && r[i].draw == draw) return &r[i];
    return NULL;
}

int main(void)
{
    plan_no_plan();
    if (!have_fmnist()) {
        ok(1, "# SKIP no Fashion-MNIST");
        return done_testing();
    }
    char mta[PATH_MAX], ckpt[PATH_MAX], dir[] = "/tmp/t_sample_size.XXXXXX", a[400], b[400], err[4096];
    const char *m = getenv("MTA");
    CHECK(realpath(m ? m : "build/mta", mta), "no mta binary");
    CHECK(realpath("tests/fixtures/ptq_small.safetensors", ckpt), "fixture");
    CHECK(mkdtemp(dir), "mkdtemp");
    snprintf(a, sizeof a, "%s/a.tsv", dir);
    snprintf(b, sizeof b, "%s/b.tsv", dir);
    const char *common = "--configs INT_3,INT_16,POT_4 --calib-batches 2 --batch 64 --sizes 32,64,256 --pool 256 --draws 8 --threads 1";
    int rc = run_cmd(err, sizeof err, "'%s' sample-size '%s' %s --seed 3 --out '%s'", mta, ckpt, common, a);
    ok(rc == 0, "mta sample-size runs (%.200s)", err);
    SsRow r[MAXR];
    int n = read_rows(a, r);
    /* per configuration: 8 draws of 32, 4 of 64 (the pool holds 4), 1 of 256 */
    ok(n == 3 * 13, "3 configurations x (8 + 4 + 1) draws: %d rows", n);
    int nested = 1, checked = 0;
    const char *titles[] = {"INT_3", "INT_16", "POT_4"};
    for (int t = 0; t < 3; t++) {
        for (int d = 0; d < 4; d++) {
            const SsRow *x = find(r, n, titles[t], 32, 2 * d), *y = find(r, n, titles[t], 32, 2 * d + 1),
                        *z = find(r, n, titles[t], 64, d);
            if (!x || !y || !z) { nested = 0; continue; }
            nested &= fabs((x->agree + y->agree) / 2 - z->agree) < 1e-3 && fabs((x->kl + y->kl) / 2 - z->kl) <= 1e-6 * (1 + z->kl);
            checked++;
        }
        double s = 0, k = 0;
        for (int d = 0; d < 4; d++) {
            const SsRow *z = find(r, n, titles[t], 64, d);
            if (z) s += z->agree, k += z->kl;
        }
        const SsRow *w = find(r, n, titles[t], 256, 0);
        nested &= w && fabs(s / 4 - w->agree) < 1e-3 && fabs(k / 4 - w->kl) <= 1e-6 * (1 + w->kl);
    }
    ok(nested && checked == 12, "a draw of 64 images is the union of two draws of 32, the draw of 256 the union of all (agreement and KL are their means)");
    const SsRow *i16 = find(r, n, "INT_16", 256, 0), *i3 = find(r, n, "INT_3", 256, 0), *p4 = find(r, n, "POT_4", 256, 0);
    ok(i16 && i3 && p4 && i16->agree == 100 && i16->kl < 1e-6 && i16->sqnr > 60,
       "INT_16 agrees on every image, KL ~ 0, logit SQNR > 60 dB (%g %%, %g, %g dB)", i16 ? i16->agree : -1, i16 ? i16->kl : -1,
       i16 ? i16->sqnr : -1);
    ok(i3 && p4 && i16 && i3->sqnr < i16->sqnr - 20 && i3->kl > i16->kl && i3->agree < 100,
       "INT_3 moves the outputs: lower SQNR, higher KL, agreement below 100 %% (%g dB, %g, %g %%)", i3 ? i3->sqnr : -1,
       i3 ? i3->kl : -1, i3 ? i3->agree : -1);
    int var = 0;
    for (int d = 1; d < 8; d++) {
        const SsRow *x = find(r, n, "INT_3", 32, 0), *y = find(r, n, "INT_3", 32, d);
        var |= x && y && (x->agree != y->agree || x->kl != y->kl);
    }
    ok(var, "the draws of 32 images differ from one another (they are different images)");
    rc = run_cmd(NULL, 0, "'%s' sample-size '%s' %s --seed 3 --out '%s' && cmp -s '%s' '%s'", mta, ckpt, common, b, a, b);
    ok(rc == 0, "same seed, same bytes");
    rc = run_cmd(NULL, 0, "'%s' sample-size '%s' %s --seed 4 --out '%s' && ! cmp -s '%s' '%s'", mta, ckpt, common, b, a, b);
    ok(rc == 0, "another seed, other images: another table");
    /* recomputed independently: the network calibrated as the sweep calibrates (t_ptq checks that
     * sweep_calibrate_seeded gives the sweep's agreement), run on the 256 images after the 2 x 64
     * calibration images of the seed-3 order: the agreement of the one draw of 256 */
    {
        char perr[512];
        Dataset ds;
        CHECK(dataset_load("fmnist", 0, &ds, perr, sizeof perr) == 0, "%s", perr);
        CkptInfo info;
        Net *net = ckpt_load(ckpt, NULL, 1, (Shape){1, 32, 32}, 10, &info, perr, sizeof perr);
        CHECK(net, "%s", perr);
        memcpy(ds.mean, info.mean, sizeof ds.mean);
        memcpy(ds.std, info.std, sizeof ds.std);
        net_set_threads(net, 1);
        net_alloc_acts(net, 64);
        const char *cfgs[2] = {"INT_3", "POT_4"};
        int good = 1;
        for (int c = 0; c < 2; c++) {
            PtqOptions po = ptq_options(0);
            QNet *q = qnet_new(net, quant_spec_config(quant_config_find(cfgs[c])), &po);
            sweep_calibrate_seeded(q, net, &ds, 2, 64, 3);
            qnet_freeze(q);
            Rng rr;
            rng_seed(&rr, 3);
            int *idx, yb[64], same = 0;
            sweep_calib_images(&ds, &rr, 0, 128 + 256, &idx);
            float *x = malloc(sizeof(float) * 1024 * 64), fp[64 * 10];
            for (int bb = 128; bb < 384; bb += 64) {
                dataset_batch(&ds, &ds.train, idx + bb, 64, x, yb);
                memcpy(fp, net_forward(net, x, 64), sizeof fp);
                const float *ql = qnet_infer(q, x, 64);
                for (int i = 0; i < 64; i++) {
                    int af = 0, aq = 0;
                    for (int j = 1; j < 10; j++) {
                        if (fp[i * 10 + j] > fp[i * 10 + af]) af = j;
                        if (ql[i * 10 + j] > ql[i * 10 + aq]) aq = j;
                    }
                    same += af == aq;
                }
            }
            const SsRow *w = find(r, n, cfgs[c], 256, 0);
            good &= w && fabs(w->agree - 100.0 * same / 256) < 1e-3;
            diag("%s: recomputed %d of 256 agree, the table %g %%", cfgs[c], same, w ? w->agree : -1);
            free(x); free(idx);
            qnet_free(q);
        }
        ok(good, "the draw of the whole pool agrees with a recomputation: the sweep's calibration, the images after it");
        net_free(net);
        dataset_free(&ds);
    }
    rc = run_cmd(err, sizeof err, "'%s' sample-size '%s' --sizes 64,32 --out '%s'", mta, ckpt, b);
    ok(rc == 2 && strstr(err, "flag --sizes") && strstr(err, "ascending"), "--sizes 64,32: exit 2, names the flag (%.200s)", err);
    rc = run_cmd(err, sizeof err, "'%s' sample-size '%s' --sizes 32,x --out '%s'", mta, ckpt, b);
    ok(rc == 2 && strstr(err, "flag --sizes: 'x'"), "--sizes 32,x: exit 2, names the bad size");
    rc = run_cmd(err, sizeof err, "'%s' sample-size '%s' --sizes 512 --pool 256 --out '%s'", mta, ckpt, b);
    ok(rc == 2 && strstr(err, "512 is more than the pool's 256"), "a size above the pool is named (%.200s)", err);
    rc = run_cmd(err, sizeof err, "'%s' sample-size '%s' --pool 100000 --out '%s'", mta, ckpt, b);
    ok(rc == 2 && strstr(err, "training split has"), "a pool larger than the training split is named (%.200s)", err);
    rc = run_cmd(err, sizeof err, "'%s' sample-size '%s'", mta, ckpt);
    ok(rc == 2 && strstr(err, "--out"), "no --out: exit 2, names the flag");
    run_cmd(NULL, 0, "rm -rf '%s'", dir);
    return done_testing();
}
