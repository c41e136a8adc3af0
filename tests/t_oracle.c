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
#include "nn/checkpoint.h"
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

/* Calibrated observer ranges differ from the oracle's for two reasons, and the allowance of
 * each observer is the sum of both:
 *  - f32 summation order (mta's loops and the BLAS kernel OpenBLAS picks for the CPU against
 *    PyTorch's): a relative F32_NOISE of the range;
 *  - a rounding flip upstream: a value that lands near a rounding boundary of the layer's
 *    input quantizer goes to the neighbouring grid value on one side and not on the other.
 *    The largest change that one quantization step of the input can make to this observer's
 *    output is G_in * max_o ||W_o||_1 for a conv/linear (every input of one output unit one
 *    step off; G_in = the largest gap of the input grid times its scale, W the BN-folded
 *    weights), G_a + G_b for an add, max G_i for a concat, G_in for an average pool.
 * The network input and the weights are the same floats on both sides: no flip term. */
#define F32_NOISE 1e-4
#define MAX_OBS 64

typedef struct { char name[96]; double got[2], want[2]; } ObsDiff;

/* Largest gap between adjacent values of the grid of observer p (real units). */
static double largest_gap(const QuantSpec *s, const QParam *p)
{
    if (!p) return 0;
    int top = (1 << (s->bits - 1)) - 1;
    return (double)p->scale * ((double)quant_code_value(s, top) - (double)quant_code_value(s, top - 1));
}

static double flip_bound(QNet *q, const Net *net, const QuantSpec *s, const char *obs)
{
    const char *dot = strrchr(obs, '.');
    if (strcmp(dot, ".qo")) return 0;   /* qi sees the image, qw the weights */
    size_t len = (size_t)(dot - obs - 2);
    for (int i = 0; i < net->n_nodes; i++) {
        const Node *nd = &net->nodes[i];
        if (strlen(nd->name) != len || strncmp(nd->name, obs + 2, len)) continue;
        double g[NODE_MAX_IN], gsum = 0, gmax = 0;
        for (int j = 0; j < nd->n_in; j++) {
            g[j] = largest_gap(s, qnet_observer_for_tensor(q, nd->in[j]));
            gsum += g[j];
            gmax = fmax(gmax, g[j]);
        }
        if (nd->op == OP_ADD) return gsum;
        if (nd->op == OP_CONCAT) return gmax;
        if (nd->op != OP_CONV && nd->op != OP_LINEAR) return g[0];
        char wname[NAME_MAX_LEN + 8];
        snprintf(wname, sizeof wname, "%s.weight", nd->name);
        for (int k = 0; k < qnet_param_count(q); k++) {
            QParamView v = qnet_param(q, k);
            if (strcmp(v.name, wname)) continue;
            size_t per = v.numel / (size_t)v.shape[0];
            double worst = 0;
            for (int o = 0; o < v.shape[0]; o++) {
                double l1 = 0;
                for (size_t e = 0; e < per; e++) l1 += fabs(v.full[(size_t)o * per + e]);
                worst = fmax(worst, l1);
            }
            return g[0] * worst;
        }
        CHECK(0, "no weight %s", wname);
    }
    CHECK(0, "no node for observer %s", obs);
    return 0;
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

    int idx[128];
    /* every configuration at 1 thread and at 2 (the pool's splits of calibration and inference) */
    for (int T = 1; T <= 2; T++) {
        net_set_threads(net, T);
        net_alloc_acts(net, 128);
        PtqOptions opt = ptq_options(1);
        opt.accum_f32 = 0;
        for (int c = 0; c < QUANT_NCONFIGS; c++) {
            char t[64];
            snprintf(t, sizeof t, "%s%s", quant_configs[c].title, T > 1 ? " (2 threads)" : "");
            const char *title = quant_configs[c].title;
            QNet *q = qnet_new(net, quant_spec_config(c), &opt);
            for (int b = 0; b < n_calib; b += 128) {
                for (int j = 0; j < 128; j++) idx[j] = b + j;
                dataset_batch(&ds, &ds.train, idx, 128, x, y);
                qnet_calibrate(q, x, 128);
            }
            /* observers: record mta's ranges, load the oracle's, then compare after freeze (the
             * tolerance needs the BN-folded weights and the oracle's input scales) */
            char prefix[64];
            snprintf(prefix, sizeof prefix, "%s.obs.", title);
            int nobs = 0, obs_ok = 1;
            ObsDiff diffs[MAX_OBS];
            for (uint32_t e = 0; e < fx->count; e++) {
                const FixtureEntry *fe = &fx->entries[e];
                if (strncmp(fe->name, prefix, strlen(prefix))) continue;
                QParam *p = qnet_observer(q, fe->name + strlen(prefix));
                const float *mm = fe->data;
                if (!p) { obs_ok = 0; diag("%s: no mta observer %s", t, fe->name + strlen(prefix)); continue; }
                CHECK(nobs < MAX_OBS, "more than %d observers", MAX_OBS);
                ObsDiff *d = &diffs[nobs++];
                snprintf(d->name, sizeof d->name, "%s", fe->name + strlen(prefix));
                d->got[0] = p->min; d->got[1] = p->max;
                d->want[0] = mm[0]; d->want[1] = mm[1];
                p->min = mm[0];
                p->max = mm[1];
                qnet_observer_rescale(q, p);
            }
            qnet_freeze(q);
            QuantSpec spec = quant_spec_config(c);
            double worst = 0;   /* largest |mta - oracle| as a fraction of its allowance */
            for (int k = 0; k < nobs; k++) {
                const ObsDiff *d = &diffs[k];
                double flip = flip_bound(q, net, &spec, d->name);
                for (int j = 0; j < 2; j++) {
                    double got = d->got[j], want = d->want[j];
                    double allow = F32_NOISE * fmax(fabs(got), fabs(want)) + 1e-7 + flip;
                    worst = fmax(worst, fabs(got - want) / allow);
                    if (fabs(got - want) > allow) {
                        obs_ok = 0;
                        diag("%s %s[%s]: mta %.9g oracle %.9g (diff %.3g > allowed %.3g: f32 noise %.3g + one upstream step %.3g)", t,
                             d->name, j ? "max" : "min", got, want, fabs(got - want), allow,
                             F32_NOISE * fmax(fabs(got), fabs(want)), flip);
                    }
                }
            }
            ok(obs_ok && nobs >= 10, "%s: %d calibrated observer ranges agree with the oracle (worst %.2f of the allowance)", t, nobs,
               worst);
            predict(q, net, &ds, n_test, pred, x, y);
            char name[160];
            snprintf(name, sizeof name, "%s.pred", title);
            const unsigned char *op = fixture_get(fx, name)->data;
            snprintf(name, sizeof name, "%s.correct", title);
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
                snprintf(name, sizeof name, "%s.js_flops_%s", title, mode ? "f32" : "f64");
                double wf = text_value(fx, name);
                snprintf(name, sizeof name, "%s.js_param_%s", title, mode ? "f32" : "f64");
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
