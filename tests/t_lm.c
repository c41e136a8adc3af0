/* t_lm.c — the LSTM layer, the language model and its fake quantization against PyTorch
 * (tests/fixtures/lstm_layer.bin, lm_model.bin, lm_fakequant.bin from tools/gen_lstm_fixtures.py),
 * finite differences through time, checkpoints, the model language's errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "tap.h"

#include "base/rng.h"
#include "nn/lm.h"
#include "nn/lm_checkpoint.h"
#include "nn/lstm.h"
#include "quant/lm_quant.h"
#include "train/lm_train.h"

static double max_abs_diff(const float *a, const float *b, size_t n, double *maxref)
{
    double d = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        if (e > d || isnan(e)) d = isnan(e) ? INFINITY : e;
        if (fabs(b[i]) > r) r = fabs(b[i]);
    }
    if (maxref) *maxref = r;
    return d;
}

/* |a - b| <= atol + rtol * max|b| over the tensor */
static int close_to(const char *what, const float *a, const float *b, size_t n, double atol, double rtol)
{
    double ref, d = max_abs_diff(a, b, n, &ref);
    return ok(d <= atol + rtol * ref, "%s: max |diff| %.3g (scale %.3g)", what, d, ref);
}

/* got against fixture entry name (its own element count) */
static int close_fx(const char *what, const float *got, const Fixture *fx, const char *name, double atol, double rtol)
{
    size_t n = 0;
    const float *want = fixture_f32(fx, name, &n);
    if (!want) return ok(0, "%s: fixture entry %s", what, name);
    return close_to(what, got, want, n, atol, rtol);
}

static int64_t fx_int(const Fixture *fx, const char *name)
{
    size_t n;
    const int64_t *v = fixture_i64(fx, name, &n);
    return v && n == 1 ? v[0] : -1;
}

static int32_t *fx_ids(const Fixture *fx, const char *name, size_t *n)
{
    const int64_t *v = fixture_i64(fx, name, n);
    if (!v) return NULL;
    int32_t *r = malloc(*n * sizeof *r);
    for (size_t i = 0; i < *n; i++) r[i] = (int32_t)v[i];
    return r;
}

/* ---------------------------------------------------------------- the layer */

static void check_layer(void)
{
    Fixture *fx = fixture_load("tests/fixtures/lstm_layer.bin");
    if (!fx) { ok(0, "lstm_layer.bin loads"); return; }
    int T = (int)fx_int(fx, "T"), B = (int)fx_int(fx, "B"), I = (int)fx_int(fx, "I"), H = (int)fx_int(fx, "H");
    size_t n;
    LstmWeights w = { fixture_f32(fx, "weight_ih", &n), fixture_f32(fx, "weight_hh", &n), fixture_f32(fx, "bias_ih", &n),
                      fixture_f32(fx, "bias_hh", &n), I, H };
    const float *x = fixture_f32(fx, "x", &n), *h0 = fixture_f32(fx, "h0", &n), *c0 = fixture_f32(fx, "c0", &n);
    float *cache = calloc(lstm_cache_floats(T, B, H), sizeof(float)), *work = calloc(lstm_backward_work_floats(T, B, H), sizeof(float));
    float *y = calloc((size_t)T * B * H, 4), *hT = calloc((size_t)B * H, 4), *cT = calloc((size_t)B * H, 4);
    lstm_forward(&w, T, B, x, h0, c0, y, hT, cT, cache);
    close_fx("lstm forward y (state in)", y, fx, "y", 1e-6, 1e-5);
    close_fx("lstm final h", hT, fx, "hT", 1e-6, 1e-5);
    close_fx("lstm final c", cT, fx, "cT", 1e-6, 1e-5);
    float *dx = calloc((size_t)T * B * I, 4), *dh0 = calloc((size_t)B * H, 4), *dc0 = calloc((size_t)B * H, 4);
    float *dwih = calloc((size_t)4 * H * I, 4), *dwhh = calloc((size_t)4 * H * H, 4), *dbih = calloc((size_t)4 * H, 4),
          *dbhh = calloc((size_t)4 * H, 4);
    lstm_backward(&w, T, B, x, h0, c0, y, cache, fixture_f32(fx, "dy", &n), fixture_f32(fx, "dhT", &n),
                  fixture_f32(fx, "dcT", &n), dx, dh0, dc0, dwih, dwhh, dbih, dbhh, work);
    close_fx("BPTT dx", dx, fx, "grad.x", 1e-6, 1e-5);
    close_fx("BPTT dh0", dh0, fx, "grad.h0", 1e-6, 1e-5);
    close_fx("BPTT dc0", dc0, fx, "grad.c0", 1e-6, 1e-5);
    close_fx("BPTT dW_ih", dwih, fx, "grad.weight_ih", 1e-6, 1e-5);
    close_fx("BPTT dW_hh", dwhh, fx, "grad.weight_hh", 1e-6, 1e-5);
    close_fx("BPTT db_ih", dbih, fx, "grad.bias_ih", 1e-6, 1e-5);
    close_fx("BPTT db_hh", dbhh, fx, "grad.bias_hh", 1e-6, 1e-5);
    /* gradients accumulate: a second backward doubles them */
    float *dwhh2 = malloc((size_t)4 * H * H * 4);
    memcpy(dwhh2, dwhh, (size_t)4 * H * H * 4);
    lstm_backward(&w, T, B, x, h0, c0, y, cache, fixture_f32(fx, "dy", &n), fixture_f32(fx, "dhT", &n),
                  fixture_f32(fx, "dcT", &n), dx, NULL, NULL, dwih, dwhh, dbih, dbhh, work);
    int doubled = 1;
    for (int k = 0; k < 4 * H * H; k++) doubled &= fabsf(dwhh[k] - 2 * dwhh2[k]) <= 1e-6f + 1e-6f * fabsf(dwhh[k]);
    ok(doubled, "lstm_backward adds to the weight gradients");

    /* no state: zeros, as PyTorch's hx=None */
    lstm_forward(&w, T, B, fixture_f32(fx, "nostate.x", &n), NULL, NULL, y, hT, cT, cache);
    close_fx("lstm forward without a state", y, fx, "nostate.y", 1e-6, 1e-5);
    memset(dwih, 0, (size_t)4 * H * I * 4); memset(dwhh, 0, (size_t)4 * H * H * 4);
    memset(dbih, 0, (size_t)4 * H * 4); memset(dbhh, 0, (size_t)4 * H * 4);
    lstm_backward(&w, T, B, x, NULL, NULL, y, cache, fixture_f32(fx, "nostate.dy", &n), NULL, NULL, dx, NULL, NULL, dwih,
                  dwhh, dbih, dbhh, work);
    close_fx("BPTT without a state: dx", dx, fx, "nostate.grad.x", 1e-6, 1e-5);
    close_fx("BPTT without a state: dW_hh", dwhh, fx, "nostate.grad.weight_hh", 1e-6, 1e-5);
    close_fx("BPTT without a state: dW_ih", dwih, fx, "nostate.grad.weight_ih", 1e-6, 1e-5);

    /* finite differences of L = sum(y * dy) + sum(hT * dhT) + sum(cT * dcT), binary64 sums */
    const float *dy = fixture_f32(fx, "dy", &n), *dhT = fixture_f32(fx, "dhT", &n), *dcT = fixture_f32(fx, "dcT", &n);
    float *wih = malloc((size_t)4 * H * I * 4), *whh = malloc((size_t)4 * H * H * 4), *xx = malloc((size_t)T * B * I * 4);
    memcpy(wih, w.w_ih, (size_t)4 * H * I * 4); memcpy(whh, w.w_hh, (size_t)4 * H * H * 4); memcpy(xx, x, (size_t)T * B * I * 4);
    LstmWeights wv = { wih, whh, w.b_ih, w.b_hh, I, H };
    memset(dwih, 0, (size_t)4 * H * I * 4); memset(dwhh, 0, (size_t)4 * H * H * 4);
    lstm_forward(&wv, T, B, xx, h0, c0, y, hT, cT, cache);
    lstm_backward(&wv, T, B, xx, h0, c0, y, cache, dy, dhT, dcT, dx, dh0, dc0, dwih, dwhh, dbih, dbhh, work);
    float *targets[3] = { wih, whh, xx };
    const float *grads[3] = { dwih, dwhh, dx };
    size_t sizes[3] = { (size_t)4 * H * I, (size_t)4 * H * H, (size_t)T * B * I };
    const char *names[3] = { "W_ih", "W_hh", "x (first step, through time)" };
    for (int v = 0; v < 3; v++) {
        double worst = 0;
        for (size_t k = 0; k < sizes[v]; k += sizes[v] / 7 + 1) {
            float keep = targets[v][k];
            double L[2];
            for (int s = 0; s < 2; s++) {
                targets[v][k] = keep + (s ? -1e-2f : 1e-2f);
                lstm_forward(&wv, T, B, xx, h0, c0, y, hT, cT, cache);
                double l = 0;
                for (size_t j = 0; j < (size_t)T * B * H; j++) l += (double)y[j] * dy[j];
                for (size_t j = 0; j < (size_t)B * H; j++) l += (double)hT[j] * dhT[j] + (double)cT[j] * dcT[j];
                L[s] = l;
            }
            targets[v][k] = keep;
            double fd = (L[0] - L[1]) / (double)((keep + 1e-2f) - (keep - 1e-2f));
            double e = fabs(fd - grads[v][k]);
            if (e > worst) worst = e;
        }
        ok(worst < 2e-3, "finite differences agree with BPTT for %s (worst %.2g)", names[v], worst);
    }
    free(wih); free(whh); free(xx);
    free(cache); free(work); free(y); free(hT); free(cT); free(dx); free(dh0); free(dc0);
    free(dwih); free(dwhh); free(dbih); free(dbhh); free(dwhh2);
    fixture_free(fx);
}

/* ---------------------------------------------------------------- the model */

static const char *MODEL =
    "tokens\nembedding dim=embed\ndropout p=dropout\nlstm hidden=hidden state=in\nlstm hidden=hidden state=prev\n"
    "dropout p=dropout\nlinear out=vocab tie=embed1\n";

static LmNet *model_from(const Fixture *fx)
{
    LmSizes sz = { (int)fx_int(fx, "V"), (int)fx_int(fx, "E"), (int)fx_int(fx, "H"), 0.5 };
    char err[512];
    LmNet *m = lm_build("t_lm", "PTB_LSTM", MODEL, &sz, err, sizeof err);
    if (!m) { diag("%s", err); return NULL; }
    for (int i = 0; i < m->n_params; i++) {
        size_t n;
        const float *v = fixture_f32(fx, m->params[i].name, &n);
        if (!v || n != m->params[i].numel) { diag("fixture lacks %s", m->params[i].name); lm_free(m); return NULL; }
        memcpy(lm_param(m, i), v, n * sizeof *v);
    }
    return m;
}

static void check_model(void)
{
    Fixture *fx = fixture_load("tests/fixtures/lm_model.bin");
    LmNet *m = fx ? model_from(fx) : NULL;
    if (!ok(m != NULL, "the reference's model builds with the fixture's parameters")) { fixture_free(fx); return; }
    ok(m->n_params == 10 && lm_find_param(m, "fc6.weight") < 0 && lm_find_param(m, "embed1.weight") == 0 &&
           lm_find_param(m, "lstm4.bias_hh_l0") >= 0,
       "parameters carry the reference's names; the tied weight is one parameter");
    const char *names = fixture_text(fx, "parameter_names");
    int all = 1;
    for (int i = 0; i < m->n_params; i++) all &= names && strstr(names, m->params[i].name) != NULL;
    ok(all, "every parameter name is one of PyTorch's named_parameters()");
    int T = (int)fx_int(fx, "T"), B = (int)fx_int(fx, "B"), H = m->hidden;
    size_t n;
    int32_t *ids = fx_ids(fx, "ids", &n), *tg = fx_ids(fx, "targets", &n);
    LmPass *p = lm_pass_new(m, T, B, 1, NULL);
    LmState st;
    lm_state_init(&st, m, B);
    memcpy(st.h, fixture_f32(fx, "h0", &n), (size_t)B * H * 4);
    memcpy(st.c, fixture_f32(fx, "c0", &n), (size_t)B * H * 4);
    st.valid = 1;
    /* dropout p = 0.5 in the file, but a forward without an rng is eval mode */
    const float *lg = lm_forward(m, p, m->pdata, ids, T, B, &st, NULL, NULL);
    close_fx("model logits (eval, state in, quirk-17 wiring)", lg, fx, "logits", 1e-6, 1e-5);
    close_fx("outgoing state h = lstm4's final h", st.h, fx, "hT", 1e-6, 1e-5);
    close_fx("outgoing state c = lstm4's final c", st.c, fx, "cT", 1e-6, 1e-5);
    double loss = lm_loss(p, tg, T, B, 1);
    is_close(loss, fixture_f32(fx, "loss", &n)[0], 1e-6, 1e-6, "mean cross-entropy");
    float *grad = calloc(m->pnumel, sizeof(float));
    lm_backward(m, p, grad);
    for (int i = 0; i < m->n_params; i++) {
        char key[128], what[160];
        snprintf(key, sizeof key, "grad.%s", m->params[i].name);
        snprintf(what, sizeof what, "gradient of %s%s", m->params[i].name, i == 0 ? " (embedding + tied output layer)" : "");
        close_fx(what, grad + m->params[i].off, fx, key, 1e-7, 1e-5);
    }
    double norm = lm_clip_grad(grad, m->pnumel, fixture_f32(fx, "clip.max_norm", &n)[0]);
    is_close(norm, fixture_f32(fx, "clip.total_norm", &n)[0], 1e-7, 1e-6, "global gradient norm = clip_grad_norm_'s");
    int clipped = 1;
    for (int i = 0; i < m->n_params; i++) {
        char key[128];
        snprintf(key, sizeof key, "clipped.%s", m->params[i].name);
        const float *c = fixture_f32(fx, key, &n);
        double ref = 0, d = c ? max_abs_diff(grad + m->params[i].off, c, n, &ref) : 1;
        clipped &= d <= 1e-7 + 1e-5 * ref;
    }
    ok(clipped, "clipped gradients equal clip_grad_norm_'s");
    /* the state carries into the next chunk */
    int32_t *ids2 = fx_ids(fx, "ids2", &n), *tg2 = fx_ids(fx, "targets2", &n);
    lg = lm_forward(m, p, m->pdata, ids2, T, B, &st, NULL, NULL);
    close_fx("second chunk's logits from the carried state", lg, fx, "logits2", 1e-6, 1e-5);
    is_close(lm_loss(p, tg2, T, B, 0), fixture_f32(fx, "loss2", &n)[0], 1e-6, 1e-6, "second chunk's loss");

    /* checkpoint round trip, and a PyTorch-style file listing the tied weight twice */
    char path[] = "/tmp/t_lm_XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    char err[1024];
    LmCkptInfo info = { .seed = 7 };
    snprintf(info.corpus, sizeof info.corpus, "test");
    info.vocab_words = "a\nb\n";
    ok(lm_ckpt_save(m, &info, path, err, sizeof err) == 0, "checkpoint saved");
    LmCkptInfo back;
    LmNet *m2 = lm_ckpt_load(path, &back, err, sizeof err);
    ok(m2 && m2->pnumel == m->pnumel && !memcmp(m2->pdata, m->pdata, m->pnumel * 4) && back.seed == 7 &&
           back.vocab_words && !strcmp(back.vocab_words, "a\nb\n") && lm_ckpt_is_lm(path),
       "checkpoint round trip keeps every parameter bit and the metadata%s%s", m2 ? "" : ": ", m2 ? "" : err);
    lm_ckpt_info_free(&back);
    lm_free(m2);
    unlink(path);

    /* deterministic training steps: the same seed gives the same weights */
    float *w0 = malloc(m->pnumel * 4);
    memcpy(w0, m->pdata, m->pnumel * 4);
    float *res[2];
    for (int r = 0; r < 2; r++) {
        memcpy(m->pdata, w0, m->pnumel * 4);
        Rng rng;
        rng_seed(&rng, 5);
        st.valid = 0;
        for (int s = 0; s < 3; s++) {
            memset(grad, 0, m->pnumel * 4);
            lm_forward(m, p, m->pdata, ids, T, B, &st, NULL, &rng);
            lm_loss(p, tg, T, B, 1);
            lm_backward(m, p, grad);
            lm_clip_grad(grad, m->pnumel, 0.25);
            for (size_t k = 0; k < m->pnumel; k++) m->pdata[k] -= 1.0f * grad[k];
        }
        res[r] = malloc(m->pnumel * 4);
        memcpy(res[r], m->pdata, m->pnumel * 4);
    }
    ok(!memcmp(res[0], res[1], m->pnumel * 4) && memcmp(res[0], w0, m->pnumel * 4),
       "training steps with dropout are deterministic for a seed and change the weights");
    free(res[0]); free(res[1]); free(w0);
    free(ids); free(tg); free(ids2); free(tg2); free(grad);
    lm_state_free(&st);
    lm_pass_free(p);
    lm_free(m);
    fixture_free(fx);
}

/* ---------------------------------------------------------------- fake quantization */

static void check_fakequant(void)
{
    Fixture *fx = fixture_load("tests/fixtures/lm_fakequant.bin");
    LmNet *m = fx ? model_from(fx) : NULL;
    if (!ok(m != NULL, "fake-quant fixture model builds")) { fixture_free(fx); return; }
    size_t nv, nt, n;
    int32_t *va = fx_ids(fx, "valid_ids", &nv), *te = fx_ids(fx, "test_ids", &nt);
    int B = (int)fx_int(fx, "batch"), bptt = (int)fx_int(fx, "bptt");
    LmBatches bv, bt;
    lm_batchify(va, nv, B, &bv);
    lm_batchify(te, nt, B, &bt);
    double full = exp(lm_evaluate(m, m->pdata, &bt, bptt, 0, NULL, NULL));
    is_close(full, fixture_f32(fx, "full.ppl", &n)[0], 1e-4, 1e-6, "full-precision perplexity (evaluate's formula)");
    const char *cfgs = fixture_text(fx, "configs");
    char title[32];
    for (const char *c = cfgs; c && *c;) {
        const char *e = strchr(c, '\n');
        size_t l = e ? (size_t)(e - c) : strlen(c);
        snprintf(title, sizeof title, "%.*s", (int)l, c);
        c += l + (e != NULL);
        int id = quant_config_find(title);
        if (!ok(id >= 0, "%s is a configuration", title)) continue;
        LmQuant lq;
        lm_quant_init(&lq, m, quant_spec_config(id), QUANT_TIE_TOWARD_ZERO);
        LmTap tap = lm_quant_tap(&lq);
        lm_evaluate(m, lq.wq, &bv, bptt, 0, &tap, NULL);
        lq.calibrating = 0;
        int scales_ok = 1, nscales = 0;
        for (int i = 0; i < m->n_nodes; i++)
            for (int r = 0; r < LMQ_NROLES; r++) {
                const char *rn = lm_quant_role_name(m, i, r);
                if (!rn) continue;
                char key[96];
                snprintf(key, sizeof key, "%s.scale.%s.%s", title, m->nodes[i].name, rn);
                const FixtureEntry *fe = fixture_get(fx, key);
                if (!fe) continue;
                const float *s = fixture_f32(fx, key, &n);
                /* the tied output weight's observer is the embedding's in mta */
                const QParam *qp = &lq.q[i][r];
                if (m->nodes[i].op == LM_LINEAR && m->nodes[i].tied && r == LMQ_W) qp = &lq.q[1][LMQ_W];
                /* weight scales are exact; activation scales see PyTorch's LSTM rounding */
                int weight = r == LMQ_W || (m->nodes[i].op == LM_LSTM && r == LMQ_W2);
                nscales++;
                if (weight ? qp->scale != s[0] : fabs(qp->scale - s[0]) > 1e-6 * s[0]) {
                    scales_ok = 0;
                    diag("%s: %.9g vs %.9g", key, qp->scale, s[0]);
                }
            }
        ok(scales_ok && nscales == 16, "%s: all %d observer scales after calibration equal the reference's (weights bit for bit, activations within 1e-6)", title, nscales);
        /* logits of the first test chunk */
        LmPass *p = lm_pass_new(m, bptt, B, 0, NULL);
        LmState st;
        lm_state_init(&st, m, B);
        int32_t *in = malloc(sizeof *in * (size_t)bptt * B), *tg = malloc(sizeof *tg * (size_t)bptt * B);
        int sl = lm_get_batch(&bt, 0, bptt, in, tg);
        const float *lg = lm_forward(m, p, lq.wq, in, sl, B, &st, &tap, NULL);
        snprintf(title + strlen(title), sizeof title - strlen(title), ".logits0");
        const float *ref = fixture_f32(fx, title, &n);
        title[strlen(title) - 8] = 0;
        double d = ref ? max_abs_diff(lg, ref, n, NULL) : 1;
        ok(d <= 1e-6, "%s: fake-quantized logits of test chunk 0 equal the reference's (max |diff| %.2g)", title, d);
        double ppl = exp(lm_evaluate(m, lq.wq, &bt, bptt, 0, &tap, NULL));
        char key[64];
        snprintf(key, sizeof key, "%s.ppl", title);
        is_close(ppl, fixture_f32(fx, key, &n)[0], 1e-4, 1e-6, key);
        free(in); free(tg);
        lm_state_free(&st);
        lm_pass_free(p);
        lm_quant_free(&lq);
    }
    lm_batches_free(&bv); lm_batches_free(&bt);
    free(va); free(te);
    lm_free(m);
    fixture_free(fx);
}

/* ---------------------------------------------------------------- the model language */

static void check_language(void)
{
    LmSizes sz = { 50, 8, 8, 0.1 };
    char err[512];
    struct { const char *text, *want; } bad[] = {
        { "embedding dim=8\nlinear out=vocab\n", ":1: embedding: a language model starts with a `tokens` line" },
        { "tokens\nembedding dim=8\nlstm hidden=8 state=prev\nlinear out=vocab\n", ":3: lstm: state=prev needs an lstm line before it" },
        { "tokens\nembedding dim=8\nlstm hidden=8 state=sideways\nlinear out=vocab\n", ":3: lstm: state=sideways: expected in or prev" },
        { "tokens\nembedding dim=8\nlstm hidden=6\nlinear out=vocab tie=embed1\n", ":4: linear: tie=embed1: the tied weight needs 8 input features" },
        { "tokens\nembedding dim=8\nlstm hidden=8\nlinear out=vocab tie=fc9\n", ":4: linear: tie=fc9: expected the embedding's name (embed1)" },
        { "tokens\nembedding dim=8\nlstm hidden=8 size=3\nlinear out=vocab\n", ":3: lstm: unknown key 'size'" },
        { "tokens\nembedding dim=8\nlstm hidden=8\n", "no output layer" },
        { "tokens\nembedding dim=8\nlinear out=12\n", ":3: linear: out=12: the output layer has one logit per word" },
        { "tokens\nembedding dim=8\nlstm hidden=8\nlstm hidden=6 state=prev\nlinear out=vocab\n", ":4: lstm: hidden=6 differs" },
        { "tokens\nembedding dim=8\ndropout p=1.5\nlinear out=vocab\n", ":3: dropout: p=1.5: expected a number in [0, 1)" },
        { "tokens\nembedding dim=8\nlinear out=vocab\nlstm hidden=8\n", ":4: lstm: nothing may follow the output linear layer" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        LmNet *m = lm_build("x.model", "x", bad[i].text, &sz, err, sizeof err);
        ok(!m && strstr(err, bad[i].want), "bad model %zu is refused: %s", i, m ? "(built)" : err);
        lm_free(m);
    }
    LmNet *m = lm_build("x.model", "x", "tokens\nembedding dim=embed\nlstm hidden=hidden\nlinear out=vocab bias=0\n", &sz, err, sizeof err);
    ok(m && m->n_params == 6 && lm_find_param(m, "fc3.weight") == 5 && m->params[5].rows == 50 && m->params[5].cols == 8,
       "an untied model without output bias: fc3.weight (50, 8) and no fc3.bias");
    ok(lm_text_is_lm("# comment\n\n  tokens  # ids\nembedding dim=3\n") && !lm_text_is_lm("conv out=3 k=3\n") &&
           !lm_text_is_lm("tokensx\n"),
       "a language model is recognized by its first op");
    lm_free(m);
}

int main(void)
{
    plan_no_plan();
    check_layer();
    check_model();
    check_fakequant();
    check_language();
    return done_testing();
}
