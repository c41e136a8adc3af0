/* lm_quant.c — fake quantization and the PTQ sweep of a language model (lm_quant.h). */
#include "quant/lm_quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/check.h"
#include "base/env.h"
#include "base/fileio.h"
#include "quant/similarity.h"

const char *lm_quant_role_name(const LmNet *m, int node, int role)
{
    LmOp op = m->nodes[node].op;
    static const char *lstm[LMQ_NROLES] = { "qwih", "qwhh", "qih", "qic", "qox", "qoh", "qoc" };
    if (op == LM_LSTM) return lstm[role];
    if (role == LMQ_W) return "qw";
    if (role == LMQ_OX) return "qo";
    return NULL;
}

/* The observers of parameter idx's weight: (node, role), or -1 for a float parameter. */
static int weight_role(const LmNet *m, int idx, int *node)
{
    for (int i = 0; i < m->n_nodes; i++) {
        const LmNode *n = &m->nodes[i];
        if (n->op == LM_LINEAR && n->tied) continue;   /* the embedding's observer owns it */
        if ((n->op == LM_EMBEDDING || n->op == LM_LINEAR || n->op == LM_LSTM) && n->pw == idx) { *node = i; return LMQ_W; }
        if (n->op == LM_LSTM && n->pw2 == idx) { *node = i; return LMQ_W2; }
    }
    return -1;
}

void lm_quant_init(LmQuant *lq, const LmNet *m, QuantSpec spec, TiePolicy tie)
{
    memset(lq, 0, sizeof *lq);
    lq->m = m; lq->spec = spec; lq->tie = tie;
    lq->q = xcalloc((size_t)m->n_nodes, sizeof *lq->q);
    for (int i = 0; i < m->n_nodes; i++)
        for (int r = 0; r < LMQ_NROLES; r++) qparam_init(&lq->q[i][r]);
    lq->wq = xmalloc(m->pnumel * sizeof *lq->wq);
    memcpy(lq->wq, m->pdata, m->pnumel * sizeof *lq->wq);
    /* weights are constants: observe once, fake-quantize once (what every calibration
     * forward of the reference recomputes with the same range) */
    for (int k = 0; k < m->n_params; k++) {
        int node, role = weight_role(m, k, &node);
        if (role < 0) continue;
        const LmParam *p = &m->params[k];
        QParam *qp = &lq->q[node][role];
        qparam_update(qp, &spec, m->pdata + p->off, p->numel);
        quant_fake(&spec, qp, m->pdata + p->off, lq->wq + p->off, p->numel, tie);
    }
    lq->calibrating = 1;
}

void lm_quant_free(LmQuant *lq)
{
    if (!lq) return;
    free(lq->q); free(lq->wq);
    memset(lq, 0, sizeof *lq);
}

static void quant_tap(void *ctx, int node, LmTapPoint at, float *x, size_t n)
{
    LmQuant *lq = ctx;
    int role;
    switch (at) {
    case LM_TAP_OUT: role = LMQ_OX; break;
    case LM_TAP_STATE_IN_H: role = LMQ_IH; break;
    case LM_TAP_STATE_IN_C: role = LMQ_IC; break;
    case LM_TAP_STATE_OUT_H: role = LMQ_OH; break;
    default: role = LMQ_OC; break;
    }
    QParam *qp = &lq->q[node][role];
    if (lq->calibrating) qparam_update(qp, &lq->spec, x, n);
    if (!qp->has_range)   /* the reference fails here too (an empty scale): say why */
        die("ptq: observer %s of %s has no range: calibration never saw %s (the validation split is a single "
            "chunk of the evaluation batch? it needs at least two for a carried state)", lm_quant_role_name(lq->m, node, role),
            lq->m->nodes[node].name, role == LMQ_IH || role == LMQ_IC ? "an incoming state" : "that tensor");
    quant_fake(&lq->spec, qp, x, x, n, lq->tie);
}

LmTap lm_quant_tap(LmQuant *lq) { return (LmTap){ quant_tap, lq }; }

void lm_shares(const LmNet *m, int node, double *mac_pct, double *param_pct)
{
    double mt = 0, pt = 0, mi = 0, pi = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        const LmNode *n = &m->nodes[i];
        if (n->op != LM_LSTM && n->op != LM_LINEAR) continue;
        double mac = lm_node_macs(m, i), par = 0;
        for (int k = 0; k < m->n_params; k++)
            if (m->params[k].node == i) par += (double)m->params[k].numel;
        if (n->op == LM_LINEAR && n->tied) par += (double)m->params[n->pw].numel;
        mt += mac; pt += par;
        if (i == node) { mi = mac; pi = par; }
    }
    *mac_pct = mt > 0 ? 100.0 * mi / mt : 0;
    *param_pct = pt > 0 ? 100.0 * pi / pt : 0;
}

/* JS of the lstm and linear parameters (FP vs fake-quantized), share-weighted. */
static void js_metrics(const LmNet *m, const float *wq, double *js_flops, double *js_param)
{
    *js_flops = *js_param = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        const LmNode *n = &m->nodes[i];
        if (n->op != LM_LSTM && n->op != LM_LINEAR) continue;
        double mp, pp;
        lm_shares(m, i, &mp, &pp);
        int idx[4] = { n->pw, n->pw2, n->pb, n->pb2 };
        for (int k = 0; k < 4; k++) {
            if (idx[k] < 0) continue;
            const LmParam *p = &m->params[idx[k]];
            int shape[2] = { p->rows, p->cols };
            double js = sim_js(wq + p->off, m->pdata + p->off, p->ndim, shape, SIM_F64);
            if (js < 0) js = 0;
            *js_flops += js * mp;
            *js_param += js * pp;
        }
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int selected(const char *list, const char *title)
{
    if (!list || !*list) return 1;
    size_t tl = strlen(title);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == tl && !strncmp(p, title, n)) return 1;
        p += n + (e != NULL);
    }
    return 0;
}

void lm_sweep(const LmNet *m, const int32_t *valid, size_t nvalid, const int32_t *test, size_t ntest,
              const LmSweepConfig *sc, const char *out, struct ThreadPool *pool)
{
    if (sc->configs)
        for (const char *p = sc->configs; *p;) {
            const char *e = strchr(p, ',');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            char t[32];
            snprintf(t, sizeof t, "%.*s", (int)(n < 31 ? n : 31), p);
            if (quant_config_find(t) < 0) die("--configs: unknown configuration '%s' (e.g. INT_8, POT_4, FLOAT_8_E4)", t);
            p += n + (e != NULL);
        }
    LmBatches va, te;
    lm_batchify(valid, nvalid, sc->eval_batch, &va);
    lm_batchify(test, ntest, sc->eval_batch, &te);
    if (va.T < 2 || te.T < 2) die("ptq: the validation or test stream is too short for batch %d", sc->eval_batch);
    double t0 = now();
    double full = exp(lm_evaluate(m, m->pdata, &te, sc->bptt, 0, NULL, pool));
    if (!sc->quiet) fprintf(stderr, "full precision: test ppl %.3f (%.1f s)\n", full, now() - t0);
    AtomicFile af;
    FILE *f = atomic_open_or_die(&af, out);
    fprintf(f, "title\tquant\tbits\tebits\tfull_ppl\tptq_ppl\tppl_ratio\tjs_flops\tjs_param\tseconds\n");
    for (int c = 0; c < QUANT_NCONFIGS; c++) {
        const QuantConfig *qc = &quant_configs[c];
        if (!selected(sc->configs, qc->title)) continue;
        double t1 = now();
        LmQuant lq;
        lm_quant_init(&lq, m, quant_spec_config(c), sc->tie);
        LmTap tap = lm_quant_tap(&lq);
        lq.calibrating = 1;
        lm_evaluate(m, lq.wq, &va, sc->bptt, 0, &tap, pool);
        lq.calibrating = 0;
        double ppl = exp(lm_evaluate(m, lq.wq, &te, sc->bptt, 0, &tap, pool));
        double jf, jp;
        js_metrics(m, lq.wq, &jf, &jp);
        double secs = now() - t1;
        fprintf(f, "%s\t%s\t%d\t%d\t%.6f\t%.6f\t%.9g\t%.9g\t%.9g\t%.2f\n", qc->title, quant_type_name(qc->type), qc->bits,
                qc->ebits, full, ppl, ppl / full, jf, jp, secs);
        if (!sc->quiet) fprintf(stderr, "%-12s ppl %10.3f  ratio %8.4f  js_flops %.4g  %.1fs\n", qc->title, ppl, ppl / full, jf, secs);
        lm_quant_free(&lq);
    }
    atomic_commit_or_die(&af);
    lm_batches_free(&va);
    lm_batches_free(&te);
}
