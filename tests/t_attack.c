/* t_attack.c — FGSM, PGD and the clip-only diagnostic (train/attack.h) on a small trained
 * network (tests/fixtures/ptq_small.safetensors) and Fashion-MNIST: properties that hold for
 * any correct attack -- ε = 0 leaves the input and the accuracy alone; every adversarial
 * value stays inside the box and within ε of the (clipped) input; FGSM lowers the accuracy and
 * PGD lowers it at least as much; a seeded PGD repeats exactly and another seed stays close;
 * the pixel box turns into per-channel bounds -- and the `mta attack` command line
 * (its TSV, --out, bad flags).  The input gradient itself is checked against finite
 * differences in t_backward.c. */
#define _DEFAULT_SOURCE   /* realpath, mkdtemp */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "fixture.h"
#include "nn/checkpoint.h"
#include "nn/modelfile.h"
#include "quant/qnet.h"
#include "nn/eval.h"
#include "tap.h"
#include "train/attack.h"
#include "train/backprop.h"

static char mta[4096], root[4096], dir[64];

static AttackResult run(Net *net, const Dataset *ds, AttackKind k, AttackBox box, float eps, int steps, uint64_t seed, int n)
{
    int *idx = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) idx[i] = i;
    AttackSpec a = {.kind = k, .box = box, .eps = eps, .alpha = eps / 4, .steps = steps, .random_start = 1};
    AttackResult r;
    Backprop *bp = backprop_new(net, 64);
    NetTargetCtx tc = {net, bp};
    AttackTarget t = attack_target_net(&tc);
    attack_run(&t, ds, idx, n, &a, seed, &r, NULL);
    backprop_free(bp, net);
    free(idx);
    return r;
}

/* Largest |a - b| over n values, and how many differ by more than tol. */
static double maxdiff(const float *a, const float *b, size_t n, double tol, int *count)
{
    double m = 0;
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > m) m = d;
        *count += d > tol;
    }
    return m;
}

/* tests/fixtures/attack_<what>.bin (tools/gen_attack_fixtures.py): the eval-mode input gradient,
 * FGSM in both boxes and PGD from PyTorch's start, against PyTorch. */
static void check_fixture(const char *what)
{
    char path[256], err[512];
    snprintf(path, sizeof path, "tests/fixtures/attack_%s.bin", what);
    Fixture *fx = fixture_load(path);
    const FixtureEntry *in = fx ? fixture_need(fx, "input", FIXTURE_F32) : NULL;
    if (!in) { ok(0, "%s loads", path); fixture_free(fx); return; }
    int n = (int)in->dims[0];
    Shape s = {(int)in->dims[1], (int)in->dims[2], (int)in->dims[3]};
    Net *net = net_build("fixture", what, fixture_text(fx, "model"), s, 0, 1.0, err, sizeof err);
    if (!net) { ok(0, "%s builds: %s", path, err); fixture_free(fx); return; }
    int loaded = 1;
    for (int i = 0; i < net->n_params; i++) {
        const FixtureEntry *e = fixture_get(fx, net->params[i].name);
        if (!e || e->numel != net->params[i].numel) { loaded = 0; continue; }
        memcpy(net->pdata + net->params[i].off, e->data, e->numel * 4);
    }
    net_set_threads(net, 2);
    Backprop *bp = backprop_new(net, n);
    NetTargetCtx tc = {net, bp};
    AttackTarget t = attack_target_net(&tc);
    size_t total = in->numel;
    int *y = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) y[i] = (int)fixture_i64(fx, "labels", NULL)[i];
    float *g = xmalloc(total * 4), *xa = xmalloc(total * 4);
    double loss = attack_input_gradient(net, bp, in->data, y, n, g);
    const float *gw = fixture_f32(fx, "grad.input", NULL);
    double gmax = 0;
    for (size_t i = 0; i < total; i++) gmax = fmax(gmax, fabs(gw[i]));
    int cnt;
    double dg = maxdiff(g, gw, total, 1e-4 * gmax, &cnt);
    double dl = fabs(loss - fixture_f32(fx, "loss", NULL)[0]);
    ok(loaded && cnt == 0 && dl < 1e-5 && gmax > 1e-6, "%s: eval-mode input gradient = PyTorch's (max diff %.2g of max |g| %.2g; loss diff %.1g)",
       what, dg, gmax, dl);
    float eps = fixture_f32(fx, "eps", NULL)[0], alpha = fixture_f32(fx, "alpha", NULL)[0];
    const float *mean = fixture_f32(fx, "mean", NULL), *std = fixture_f32(fx, "std", NULL);
    AttackSpec a = {.kind = ATTACK_FGSM, .box = ATTACK_BOX_PIXEL, .eps = eps, .alpha = alpha,
                    .steps = (int)fixture_i64(fx, "steps", NULL)[0]};
    AttackBounds b;
    /* an element whose gradient is ~0 may take either sign: those are left out of the count */
    const char *names[2] = {"fgsm.pixel", "fgsm.normalized"};
    for (int box = 0; box < 2; box++) {
        a.box = (AttackBox)box;
        attack_bounds(&a, mean, std, s.c, &b);
        Rng r;
        rng_seed(&r, 1);
        attack_batch(&t, &a, &b, in->data, y, n, xa, &r);
        const float *want = fixture_f32(fx, names[box], NULL);
        int bad = 0;
        for (size_t i = 0; i < total; i++)
            if (fabs((double)xa[i] - want[i]) > 1e-5 && fabs(gw[i]) > 1e-5 * gmax) bad++;
        ok(bad == 0, "%s: %s = PyTorch's (%d of %zu values differ)", what, names[box], bad, total);
    }
    a.kind = ATTACK_PGD;
    a.box = ATTACK_BOX_PIXEL;
    attack_bounds(&a, mean, std, s.c, &b);
    attack_pgd_from(&t, &a, &b, in->data, y, n, fixture_f32(fx, "delta0", NULL), xa);
    double dp = maxdiff(xa, fixture_f32(fx, "pgd.pixel", NULL), total, 1e-5, &cnt);
    ok(cnt <= (int)(total / 200), "%s: PGD-%d from PyTorch's start = PyTorch's (%d of %zu values differ, max %.2g: a sign flip "
       "where the gradient is ~0 moves one value by a step)", what, a.steps, cnt, total, dp);
    free(y); free(g); free(xa);
    backprop_free(bp, net);
    net_free(net);
    fixture_free(fx);
}

/* The quantized network's input gradient and attack on the fixture net: at INT_16 the
 * straight-through gradient is the full-precision one; the forward keeps the calibrated
 * ranges; PGD through a coarse format lowers its accuracy and stays in the box. */
/* tests/fixtures/ste_small.bin (tools/gen_ste_fixture.py): the straight-through input gradient
 * of the fake-quantized network against PyTorch's autograd through tools/ptq_oracle.py's
 * quantized modules (compat=reference), calibrated on the first 128 training images. */
static void check_ste_fixture(Net *net, const Dataset *ds)
{
    Fixture *fx = fixture_load("tests/fixtures/ste_small.bin");
    const FixtureEntry *in = fx ? fixture_need(fx, "input", FIXTURE_F32) : NULL;
    if (!in) { ok(0, "ste_small.bin loads"); fixture_free(fx); return; }
    int n = (int)in->dims[0], nc = 128;
    size_t per = shape_numel(net->input);
    int *y = xmalloc(sizeof(int) * (size_t)(n > nc ? n : nc)), *idx = xmalloc(sizeof(int) * (size_t)nc);
    for (int i = 0; i < n; i++) y[i] = (int)fixture_i64(fx, "labels", NULL)[i];
    float *xc = xmalloc(per * (size_t)nc * sizeof(float)), *g = xmalloc(per * (size_t)n * sizeof(float));
    int *yc = xmalloc(sizeof(int) * (size_t)nc);
    for (int i = 0; i < nc; i++) idx[i] = i;
    dataset_batch(ds, &ds->train, idx, nc, xc, yc);
    Backprop *bp = backprop_new(net, nc);
    PtqOptions o = ptq_options(1);
    const char *titles[4] = {"INT_8", "INT_4", "POT_4", "FLOAT_6_E3"};
    for (int k = 0; k < 4; k++) {
        char name[64];
        QNet *q = qnet_new(net, quant_spec_config(quant_config_find(titles[k])), &o);
        qnet_calibrate(q, xc, nc);
        double loss = qnet_input_gradient(q, bp, in->data, y, n, g);
        snprintf(name, sizeof name, "%s.grad", titles[k]);
        const float *want = fixture_f32(fx, name, NULL);
        snprintf(name, sizeof name, "%s.loss", titles[k]);
        double wl = fixture_f32(fx, name, NULL)[0], gm = 0, dm = 0;
        int cnt = 0;
        for (size_t j = 0; j < per * (size_t)n; j++) gm = fmax(gm, fabs(want[j]));
        for (size_t j = 0; j < per * (size_t)n; j++) {
            double d = fabs((double)g[j] - want[j]);
            dm = fmax(dm, d);
            cnt += d > 1e-3 * gm;
        }
        /* a value on a rounding boundary may land on the other level in either engine: a few
         * elements may differ, the loss must agree closely */
        ok(fabs(loss - wl) < 1e-3 * (1 + wl) && cnt <= (int)(per * (size_t)n / 1000),
           "%s: straight-through input gradient = PyTorch's through the oracle's fake quantizers (loss %.6f vs %.6f; "
           "%d of %zu elements beyond 1e-3 of max |g| %.3g, max diff %.2g)", titles[k], loss, wl, cnt, per * (size_t)n, gm, dm);
        qnet_free(q);
    }
    backprop_free(bp, net);
    free(y); free(idx); free(xc); free(g); free(yc);
    fixture_free(fx);
}

static void check_quantized(Net *net, const Dataset *ds)
{
    const int B = 64;
    size_t per = shape_numel(net->input);
    float *x = xmalloc(per * B * sizeof(float)), *g = xmalloc(per * B * sizeof(float)), *gq = xmalloc(per * B * sizeof(float));
    int *y = xmalloc(sizeof(int) * B), *idx = xmalloc(sizeof(int) * 4 * B);
    for (int i = 0; i < 4 * B; i++) idx[i] = i;
    Backprop *bp = backprop_new(net, B);
    double lf = attack_input_gradient(net, bp, (dataset_batch(ds, &ds->test, idx, B, x, y), x), y, B, g);
    PtqOptions o = ptq_options(0);
    for (int k = 0; k < 3; k++) {
        const char *title = k == 0 ? "INT_16" : k == 1 ? "INT_4" : "POT_4";
        QNet *q = qnet_new(net, quant_spec_config(quant_config_find(title)), &o);
        for (int b = 0; b < 2; b++) {   /* calibration on two training batches */
            dataset_batch(ds, &ds->train, idx + b * B, B, x, y);
            qnet_calibrate(q, x, B);
        }
        QParam before = *qnet_observer(q, "q_conv0.qi");
        dataset_batch(ds, &ds->test, idx, B, x, y);
        for (size_t j = 0; j < per * B; j++) x[j] *= 3.0f;   /* wider than calibration: must not widen */
        qnet_fake_forward(q, bp, x, B);
        QParam after = *qnet_observer(q, "q_conv0.qi");
        dataset_batch(ds, &ds->test, idx, B, x, y);
        double lq = qnet_input_gradient(q, bp, x, y, B, gq);
        double gm = 0, dm = 0, n2 = 0, d2 = 0;
        int far = 0;
        for (size_t j = 0; j < per * B; j++) {
            double d = fabs((double)gq[j] - g[j]);
            gm = fmax(gm, fabs(g[j]));
            dm = fmax(dm, d);
            n2 += (double)g[j] * g[j];
            d2 += d * d;
        }
        for (size_t j = 0; j < per * B; j++) far += fabs((double)gq[j] - g[j]) > 1e-2 * gm;
        if (k == 0) {
            ok(before.min == after.min && before.max == after.max && before.scale == after.scale,
               "INT_16: the attack forward keeps the calibrated input range (%.4g..%.4g) on inputs 3x wider", after.min, after.max);
            /* a value that quantization moves across a ReLU's zero or to another max-pool winner
             * routes its whole gradient elsewhere: a few large differences, the rest equal.  The
             * zero-padded borders of the 28x28 images make max-pool windows of equal values,
             * whose winner any rounding changes (the full-precision gradient itself moves by
             * half its L2 norm under a 1e-7 perturbation of the input) */
            ok(sqrt(d2 / n2) < 0.1 && far * 200 < (int)(per * B) && fabs(lq - lf) < 1e-3 * fabs(lf),
               "INT_16: the straight-through input gradient is the full-precision one (relative L2 difference %.2g; %d of %zu "
               "values off by more than 1%% of the largest, max %.2g of %.2g: where quantization moves a value across a "
               "ReLU or max-pool boundary; loss %.5f vs %.5f)", sqrt(d2 / n2), far, per * B, dm, gm, lq, lf);
            /* the reference's behaviour: the attack forward keeps widening */
            for (size_t j = 0; j < per * B; j++) x[j] *= 3.0f;
            qnet_set_attack_ranges(q, 1);
            qnet_fake_forward(q, bp, x, B);
            QParam widened = *qnet_observer(q, "q_conv0.qi");
            ok(widened.max > after.max * 2, "--ranges update: the attack forward widens the observers (%.4g -> %.4g)", after.max,
               widened.max);
        } else {
            QnetTargetCtx qc = {q, bp};
            AttackTarget t = qnet_attack_target(&qc);
            AttackSpec a = {.kind = ATTACK_PGD, .box = ATTACK_BOX_PIXEL, .eps = 8.0f / 255, .alpha = 2.0f / 255,
                            .steps = 10, .random_start = 1};
            AttackResult r;
            attack_run(&t, ds, idx, 4 * B, &a, 1, &r, NULL);
            ok(r.outside_box == 0 && r.adv_acc < r.clean_acc && dm > 0,
               "%s: PGD-10 through the straight-through gradient: %.2f -> %.2f %% (gradient differs from FP by up to %.2g)",
               title, r.clean_acc, r.adv_acc, dm);
        }
        qnet_free(q);
    }
    backprop_free(bp, net);
    free(x); free(g); free(gq); free(y); free(idx);
}

int main(void)
{
    plan_no_plan();
    check_fixture("seq_alexnet");
    check_fixture("seq_resnet");
    check_fixture("seq_inception");
    if (!have_fmnist()) return done_testing();
    const char *m = getenv("MTA");
    CHECK(realpath(m ? m : "build/mta", mta), "no mta binary");
    CHECK(realpath(".", root), "cwd");
    char err[4096], path[4200];
    Dataset ds;
    CHECK(dataset_load("fmnist", 0, &ds, err, sizeof err) == 0, "%s", err);
    CkptInfo info;
    snprintf(path, sizeof path, "%s/tests/fixtures/ptq_small.safetensors", root);
    Net *net = ckpt_load(path, NULL, 1, (Shape){1, 32, 32}, 10, &info, err, sizeof err);
    CHECK(net, "%s", err);
    memcpy(ds.mean, info.mean, sizeof ds.mean);
    memcpy(ds.std, info.std, sizeof ds.std);
    net_set_threads(net, 2);
    const int N = 256;

    {   /* the pixel box in normalized units */
        AttackSpec a = {.kind = ATTACK_PGD, .box = ATTACK_BOX_PIXEL, .eps = 8.0f / 255, .alpha = 2.0f / 255};
        AttackBounds b;
        attack_bounds(&a, ds.mean, ds.std, 1, &b);
        ok(fabsf(b.eps[0] - 8.0f / 255 / ds.std[0]) < 1e-7f && fabsf(b.lo[0] + ds.mean[0] / ds.std[0]) < 1e-6f &&
               fabsf(b.hi[0] - (1 - ds.mean[0]) / ds.std[0]) < 1e-6f && fabsf(b.alpha[0] - 2.0f / 255 / ds.std[0]) < 1e-7f,
           "pixel box: eps/std, [(0-mean)/std, (1-mean)/std], alpha/std (eps %.4f, box [%.3f, %.3f])", b.eps[0], b.lo[0], b.hi[0]);
        a.box = ATTACK_BOX_NORMALIZED;
        attack_bounds(&a, ds.mean, ds.std, 1, &b);
        ok(b.eps[0] == 8.0f / 255 && b.lo[0] == 0 && b.hi[0] == 1, "normalized box: eps and [0, 1] as given (reference quirk 10)");
    }

    int *idx = xmalloc(sizeof(int) * N);
    for (int i = 0; i < N; i++) idx[i] = i;
    net_alloc_acts(net, 64);
    double acc = net_accuracy(net, &ds, &ds.test, idx, N, NULL);
    free(idx);

    AttackResult f0 = run(net, &ds, ATTACK_FGSM, ATTACK_BOX_PIXEL, 0, 0, 1, N);
    AttackResult p0 = run(net, &ds, ATTACK_PGD, ATTACK_BOX_PIXEL, 0, 5, 1, N);
    ok(f0.clean_acc == acc && f0.adv_acc == acc && p0.adv_acc == acc && f0.max_linf == 0 && p0.max_linf == 0,
       "eps = 0: FGSM and PGD leave every input unchanged and the accuracy at the clean %.2f %%", acc);

    AttackResult f = run(net, &ds, ATTACK_FGSM, ATTACK_BOX_PIXEL, 8.0f / 255, 0, 1, N);
    AttackResult p = run(net, &ds, ATTACK_PGD, ATTACK_BOX_PIXEL, 8.0f / 255, 10, 1, N);
    AttackResult p2 = run(net, &ds, ATTACK_PGD, ATTACK_BOX_PIXEL, 8.0f / 255, 10, 1, N);
    AttackResult p3 = run(net, &ds, ATTACK_PGD, ATTACK_BOX_PIXEL, 8.0f / 255, 10, 2, N);
    float eps_n = 8.0f / 255 / ds.std[0];
    ok(f.outside_box == 0 && p.outside_box == 0 && f.max_linf <= eps_n + 1e-5 && p.max_linf <= eps_n + 1e-5,
       "pixel box: every FGSM/PGD value inside the box and within eps (max |dx| %.4f, %.4f <= %.4f)", f.max_linf,
       p.max_linf, eps_n);
    ok(f.adv_acc < acc && p.adv_acc <= f.adv_acc, "eps 8/255: FGSM lowers the accuracy (%.2f -> %.2f %%), PGD-10 at least as much (%.2f %%)",
       acc, f.adv_acc, p.adv_acc);
    ok(p2.adv_acc == p.adv_acc && p2.max_linf == p.max_linf, "the same seed repeats PGD exactly (%.2f %%)", p2.adv_acc);
    diag("PGD with seed 2: %.2f %% (seed 1: %.2f %%)", p3.adv_acc, p.adv_acc);
    ok(fabs(p3.adv_acc - p.adv_acc) < 5, "another seed moves PGD by less than 5 points (%.2f vs %.2f %%)", p3.adv_acc, p.adv_acc);

    AttackResult c = run(net, &ds, ATTACK_CLIP, ATTACK_BOX_NORMALIZED, 8.0f / 255, 0, 1, N);
    AttackResult fn = run(net, &ds, ATTACK_FGSM, ATTACK_BOX_NORMALIZED, 8.0f / 255, 0, 1, N);
    AttackResult cp = run(net, &ds, ATTACK_CLIP, ATTACK_BOX_PIXEL, 8.0f / 255, 0, 1, N);
    ok(cp.adv_acc == acc && cp.max_linf == 0, "clip-only in the pixel box is the identity (%.2f %%)", cp.adv_acc);
    ok(c.outside_box == 0 && fn.outside_box == 0 && c.max_linf > 0.5 && c.adv_acc < acc,
       "normalized box: clipping alone moves values by up to %.2f and costs accuracy (%.2f -> %.2f %%); FGSM there %.2f %%",
       c.max_linf, acc, c.adv_acc, fn.adv_acc);

    check_quantized(net, &ds);
    check_ste_fixture(net, &ds);

    /* the command line */
    snprintf(dir, sizeof dir, "/tmp/mta_attack_XXXXXX");
    CHECK(mkdtemp(dir), "mkdtemp");
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "%s attack %s --attack pgd --steps 3 --limit 64 --quiet --out %s/a.tsv", mta, path, dir);
    int rc = run_cmd(err, sizeof err, "%s", cmd);
    snprintf(cmd, sizeof cmd, "%s/a.tsv", dir);
    FILE *fp = fopen(cmd, "r");
    char line[2048] = "", row[2048] = "";
    if (fp) { if (!fgets(line, sizeof line, fp)) line[0] = 0; if (!fgets(row, sizeof row, fp)) row[0] = 0; fclose(fp); }
    ok(rc == 0 && strstr(line, "\tclean_acc\tpgd_acc\t") && strstr(line, "images") && strstr(row, "ptq_small\tfmnist\tFP32\t-\tpgd\tpixel\t"),
       "mta attack --out writes the header (clean_acc, pgd_acc, images) and the row: %s", row);
    rc = run_cmd(err, sizeof err, "%s attack %s --attack bim", mta, path);
    ok(rc == 2 && strstr(err, "flag --attack: 'bim' (expected fgsm, pgd or clip)"), "unknown --attack: exit 2, named");
    rc = run_cmd(err, sizeof err, "%s attack %s --attack fgsm --eps 1/0", mta, path);
    ok(rc == 2 && strstr(err, "flag --eps: '1/0'"), "bad --eps: exit 2, named");
    rc = run_cmd(err, sizeof err, "%s attack %s --attack fgsm --attack-box pix", mta, path);
    ok(rc == 2 && strstr(err, "flag --attack-box: 'pix' (expected pixel or normalized)"), "bad --attack-box: exit 2, named");
    rc = run_cmd(err, sizeof err, "%s attack %s --attack fgsm --compat reference --limit 32 --quiet 1>&2", mta, path);
    ok(rc == 0 && strstr(err, "\tfgsm\tnormalized\t"), "--compat reference selects the normalized box");
    rc = run_cmd(err, sizeof err, "%s attack %s --attack fgsm --config INT_4 --calib-batches 1 --batch 32 --limit 64 --quiet 1>&2",
                 mta, path);
    ok(rc == 0 && strstr(err, "\tINT_4\tfixed\tfgsm\tpixel\t"), "mta attack --config INT_4 attacks the quantized network (ranges fixed)");
    rc = run_cmd(err, sizeof err, "%s attack %s --attack fgsm --config INT_99", mta, path);
    ok(rc == 2 && strstr(err, "flag --config: 'INT_99' is not a configuration"), "unknown --config: exit 2, named");
    rc = run_cmd(err, sizeof err, "%s attack %s --attack fgsm --ranges update", mta, path);
    ok(rc == 2 && strstr(err, "--ranges and --calib-batches need --config"), "--ranges without --config: exit 2");
    rc = run_cmd(err, sizeof err, "%s bench AlexNet_BN --mode pgd --width 0.125 --batch 4 --seconds 0 --threads 1 1>&2", mta);
    ok(rc == 0 && strstr(err, "mta\tpgd\tAlexNet_BN\t"), "mta bench --mode pgd runs PGD-10 steps and reports images/s");
    rc = run_cmd(err, sizeof err, "%s bench AlexNet_BN --mode pgd --config POT_4 --width 0.125 --batch 4 --seconds 0 --threads 1 1>&2", mta);
    ok(rc == 0 && strstr(err, "mta\tpgd\tAlexNet_BN\t") && strstr(err, "\tPOT_4\n"),
       "mta bench --mode pgd --config POT_4 attacks the quantized network and names the configuration");
    rc = run_cmd(err, sizeof err, "%s bench AlexNet_BN --mode calibrate --config INT_8 --width 0.125 --batch 4 --seconds 0 --threads 1 1>&2", mta);
    ok(rc == 0 && strstr(err, "mta\tcalibrate\tAlexNet_BN\t") && strstr(err, "\tINT_8\n"), "mta bench --mode calibrate --config INT_8 runs");
    {   /* --layers: a row per node of the model, the rest of the step, a total; the measured peak */
        Net *an = net_load_model("AlexNet_BN", (Shape){3, 32, 32}, 10, 0.125);
        rc = run_cmd(err, sizeof err, "%s bench AlexNet_BN --mode train --layers --width 0.125 --batch 8 --seconds 0 --threads 1 1>&2", mta);
        int rows = 0, extra = 0, total = 0;
        double peak = 0, fsum = 0, ftot = -1;
        for (char *l = err; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
            if (*l == '#') { const char *p = strstr(l, "FMA peak "); if (p) peak = atof(p + 9); continue; }
            if (!strncmp(l, "node\t", 5)) continue;
            char *f = l;
            for (int k = 0; k < 5 && f; k++) f = strchr(f, '\t') ? strchr(f, '\t') + 1 : NULL;   /* fwd_ms, field 6 */
            if (!strncmp(l, "-\ttotal\t", 8)) { total++; ftot = f ? atof(f) : -1; continue; }
            if (*l == '-') { extra++; continue; }
            rows++;
            if (f) fsum += atof(f);
        }
        ok(rc == 0 && rows == an->n_nodes && extra == 4 && total == 1 && peak > 0,
           "mta bench --layers: %d node rows for %d nodes, the 4 other parts of a step, a total, FMA peak %.1f GFLOP/s", rows,
           an->n_nodes, peak);
        ok(ftot >= 0 && fabs(fsum - ftot) <= 0.001 * an->n_nodes + 1e-9, "--layers: the total's fwd_ms (%.3f) is the sum of the nodes' (%.3f)",
           ftot, fsum);
        net_free(an);
        rc = run_cmd(err, sizeof err, "%s bench AlexNet_BN --mode pgd --layers --seconds 0", mta);
        ok(rc == 2 && strstr(err, "flag --layers: only with --mode forward or train"), "mta bench --mode pgd --layers: exit 2");
    }
    rc = run_cmd(err, sizeof err, "%s bench AlexNet_BN --config INT_99 --seconds 0", mta);
    ok(rc == 2 && strstr(err, "flag --config: 'INT_99' is not a configuration"), "mta bench: unknown --config, exit 2, named");
    rc = run_cmd(err, sizeof err, "%s bench AlexNet_BN --mode train --config INT_8 --seconds 0", mta);
    ok(rc == 2 && strstr(err, "only with --mode forward, calibrate or pgd"), "mta bench --mode train --config: exit 2");
    rc = run_cmd(err, sizeof err, "%s bench AlexNet_BN --mode calibrate --seconds 0", mta);
    ok(rc == 2 && strstr(err, "--mode calibrate: needs --config"), "mta bench --mode calibrate without --config: exit 2");
    run_cmd(NULL, 0, "rm -rf %s", dir);
    net_free(net);
    dataset_free(&ds);
    return done_testing();
}
