/* t_oracle.c — the PTQ engine in compat=reference mode against the PyTorch oracle
 * (tools/ptq_oracle.py -> tests/fixtures/ptq_oracle.bin) on a small trained network with BN,
 * a bare conv, residual adds and an FC layer, for all 43 configurations:
 *   - the folded FLOP/param shares equal the oracle's;
 *   - calibrated observer ranges agree within 1e-4 relative (calibration runs in f32 with
 *     different summation orders on both sides; the last-bit differences grow with depth
 *     when a fake-quantization rounding flips);
 *   - with the oracle's ranges loaded, the quantized inference predicts exactly the same class
 *     for every one of the 1000 test images, and js_flops / js_param agree within 1e-4
 *     relative in binary64; in f32 (the reference's evaluation) within 1e-4 where JS >= 0.1 —
 *     below that, f32 cancellation noise depends on summation order (spec §4.4).
 * The oracle accumulates code convolutions in binary64 (exact), so the engine runs compat
 * mode with binary64 accumulation here.  Skips without Debian's dataset-fashion-mnist. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/check.h"
#include "io/checkpoint.h"
#include "io/data.h"
#include "nn/eval.h"
#include "fixture.h"
#include "quant/qnet.h"
#include "nn/stats.h"
#include "tap.h"

static double text_value(const Fixture *fx, const char *name)
{
    const FixtureEntry *e = fixture_get(fx, name);
    return e && e->dtype == FIXTURE_U8 ? strtod((const char *)e->data, NULL) : NAN;
}

static int rel_close(double a, double b, double rtol, double atol)
{
    return fabs(a - b) <= rtol * fmax(fabs(a), fabs(b)) + atol;
}

static void predict(QNet *q, Net *net, const Dataset *ds, int n, int *pred, float *x, int *y)
{
    int idx[128];
    for (int i = 0; i < n; i += 128) {
        int m = n - i < 128 ? n - i : 128;
        for (int j = 0; j < m; j++) idx[j] = i + j;
        dataset_batch(ds, &ds->test, idx, m, x, y);
        const float *out = q ? qnet_infer(q, x, m) : net_forward(net, x, m);
        for (int j = 0; j < m; j++) pred[i + j] = argmax_first(out + (size_t)j * net->classes, net->classes);
    }
}

int main(void)
{
    plan_no_plan();
    if (!have_fmnist()) return done_testing();
    Fixture *fx = fixture_load("tests/fixtures/ptq_oracle.bin");
    CHECK(fx, "tests/fixtures/ptq_oracle.bin");
    char err[1024];
    Dataset ds;
    CHECK(dataset_load("fmnist", 0, &ds, err, sizeof err) == 0, "%s", err);
    CkptInfo info;
    Net *net = ckpt_load("tests/fixtures/ptq_small.safetensors", NULL, 1, (Shape){1, 32, 32}, 10, &info, err, sizeof err);
    CHECK(net, "%s", err);
    memcpy(ds.mean, info.mean, sizeof ds.mean);
    memcpy(ds.std, info.std, sizeof ds.std);
    net_alloc_acts(net, 128);
    int n_test = (int)fixture_i64(fx, "test_images", NULL)[0], n_calib = (int)fixture_i64(fx, "calib_images", NULL)[0];
    float *x = xmalloc(sizeof(float) * 128 * 1024);
    int *y = xmalloc(sizeof(int) * 128), *pred = xmalloc(sizeof(int) * (size_t)n_test);

    /* full precision */
    predict(NULL, net, &ds, n_test, pred, x, y);
    const unsigned char *fp = fixture_get(fx, "full_pred")->data;
    int agree = 0;
    for (int i = 0; i < n_test; i++) agree += pred[i] == fp[i];
    ok(agree >= n_test - 1, "full precision: %d of %d predictions equal PyTorch's", agree, n_test);

    /* folded shares */
    NetStats ns;
    net_stats(net, &ns);
    int shares_ok = 1, layers = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        const Node *nd = &net->nodes[i];
        if (nd->op != OP_CONV && nd->op != OP_LINEAR) continue;
        double pp, mp;
        char name[128];
        net_stats_layer_share(&ns, i, &pp, &mp);
        snprintf(name, sizeof name, "flop_ratio.%s", nd->name);
        double wf = text_value(fx, name);
        snprintf(name, sizeof name, "par_ratio.%s", nd->name);
        double wp = text_value(fx, name);
        if (!rel_close(mp, wf, 0, 1e-9) || !rel_close(pp, wp, 0, 1e-9)) {
            shares_ok = 0;
            diag("%s: mta %.3f/%.3f oracle %.3f/%.3f", nd->name, mp, pp, wf, wp);
        }
        layers++;
    }
    ok(shares_ok && layers > 0, "folded FLOP and parameter shares of %d layers equal the oracle's", layers);

    PtqOptions opt = ptq_options(1);
    opt.accum_f32 = 0;
    int idx[128];
    for (int c = 0; c < QUANT_NCONFIGS; c++) {
        const char *t = quant_configs[c].title;
        QNet *q = qnet_new(net, quant_spec_config(c), &opt);
        for (int b = 0; b < n_calib; b += 128) {
            for (int j = 0; j < 128; j++) idx[j] = b + j;
            dataset_batch(&ds, &ds.train, idx, 128, x, y);
            qnet_calibrate(q, x, 128);
        }
        /* observers: compare, then load the oracle's */
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s.obs.", t);
        int nobs = 0, obs_ok = 1;
        double worst = 0;
        for (uint32_t e = 0; e < fx->count; e++) {
            const FixtureEntry *fe = &fx->entries[e];
            if (strncmp(fe->name, prefix, strlen(prefix))) continue;
            QParam *p = qnet_observer(q, fe->name + strlen(prefix));
            const float *mm = fe->data;
            if (!p) { obs_ok = 0; diag("%s: no mta observer %s", t, fe->name + strlen(prefix)); continue; }
            nobs++;
            for (int k = 0; k < 2; k++) {
                double got = k ? p->max : p->min, want = mm[k];
                double r = fabs(got - want) / fmax(fmax(fabs(got), fabs(want)), 1e-30);
                if (got != want) worst = fmax(worst, r);
                if (!rel_close(got, want, 1e-4, 1e-7)) { obs_ok = 0; diag("%s %s[%d]: mta %.9g oracle %.9g", t, fe->name, k, got, want); }
            }
            p->min = mm[0];
            p->max = mm[1];
            qnet_observer_rescale(q, p);
        }
        ok(obs_ok && nobs >= 10, "%s: %d calibrated observer ranges agree with the oracle (worst rel %.1e)", t, nobs, worst);
        qnet_freeze(q);
        predict(q, net, &ds, n_test, pred, x, y);
        char name[160];
        snprintf(name, sizeof name, "%s.pred", t);
        const unsigned char *op = fixture_get(fx, name)->data;
        snprintf(name, sizeof name, "%s.correct", t);
        long want_correct = (long)fixture_i64(fx, name, NULL)[0], correct = 0, same = 0;
        for (int i = 0; i < n_test; i++) {
            same += pred[i] == op[i];
            int lab[1];
            dataset_batch(&ds, &ds.test, &i, 1, x, lab);
            correct += pred[i] == lab[0];
        }
        ok(same == n_test && correct == want_correct, "%s: quantized inference predicts as the oracle (%ld/%d equal, %ld vs %ld correct)",
           t, same, n_test, correct, want_correct);
        /* JS, binary64 and f32 */
        for (int mode = 0; mode < 2; mode++) {
            double jf = 0, jp = 0;
            for (int p = 0; p < qnet_param_count(q); p++) {
                QParamView v = qnet_param(q, p);
                double pp, mp;
                net_stats_layer_share(&ns, v.node, &pp, &mp);
                double js = sim_js(v.quant, v.full, v.rank, v.shape, mode ? SIM_F32_REFERENCE : SIM_F64);
                if (js < 0) js = 0;
                jf += js * mp;
                jp += js * pp;
            }
            snprintf(name, sizeof name, "%s.js_flops_%s", t, mode ? "f32" : "f64");
            double wf = text_value(fx, name);
            snprintf(name, sizeof name, "%s.js_param_%s", t, mode ? "f32" : "f64");
            double wp = text_value(fx, name);
            if (mode && wf < 0.1) {
                ok(fabs(jf - wf) < 0.1 * wf + 2e-5, "%s: f32 js_flops %.4g vs the oracle's %.4g (noise regime: within 10%% + 2e-5)",
                   t, jf, wf);
                continue;
            }
            ok(rel_close(jf, wf, 1e-4, 1e-12) && rel_close(jp, wp, 1e-4, 1e-12),
               "%s: js_flops %.6g / js_param %.6g (%s) match the oracle's %.6g / %.6g", t, jf, jp, mode ? "f32" : "binary64",
               wf, wp);
        }
        qnet_free(q);
    }
    /* INT accumulation shortcuts (f32 sums where provably exact, the bias added in binary64)
     * give the very floats of the binary64 path, symmetric and asymmetric activations */
    int same_bits = 1, ncmp = 0;
    float *ref = xmalloc(sizeof(float) * 128 * (size_t)net->classes);
    for (int asym = 0; asym < 2; asym++)
        for (int c = QUANT_CFG_INT_2; c <= QUANT_CFG_INT_16; c++)
            for (int force = 0; force < 2; force++) {
                PtqOptions o = ptq_options(0);
                o.asym_act = asym;
                o.force_f64 = force;
                QNet *q = qnet_new(net, quant_spec_config(c), &o);
                for (int j = 0; j < 128; j++) idx[j] = j;
                dataset_batch(&ds, &ds.train, idx, 128, x, y);
                qnet_calibrate(q, x, 128);
                qnet_freeze(q);
                dataset_batch(&ds, &ds.test, idx, 128, x, y);
                const float *out = qnet_infer(q, x, 128);
                if (!force) memcpy(ref, out, sizeof(float) * 128 * (size_t)net->classes);
                else {
                    same_bits = same_bits && !memcmp(ref, out, sizeof(float) * 128 * (size_t)net->classes);
                    ncmp++;
                }
                qnet_free(q);
            }
    ok(same_bits && ncmp == 30, "INT_2..INT_16 (symmetric and asymmetric): f32 shortcut logits bit-identical to binary64 accumulation");
    free(ref);
    net_stats_free(&ns);
    free(x); free(y); free(pred);
    net_free(net);
    dataset_free(&ds);
    fixture_free(fx);
    return done_testing();
}
