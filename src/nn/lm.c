/* lm.c — forward, loss and backward of a language model over one chunk (lm.h). */
#include "nn/lm.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/parallel.h"
#include "base/rng.h"
#include "nn/layers.h"

struct LmPass {
    int T, B, train, n;
    ThreadPool *pool;
    unsigned char *owned;   /* per node: act[i] was allocated here */
    float **act;            /* per node: output (T·B·dout); eval dropout aliases its input */
    float **mask;           /* per dropout node in training: keep mask scaled by 1/(1-p) */
    float **cache;          /* per lstm: lstm_forward's cache */
    float **h0, **c0;       /* per lstm: the state it started from (copies; NULL when none) */
    float **hT, **cT;       /* per lstm: final state */
    int *had_state;         /* per lstm: started from a state (0: zeros) */
    float *logits, *dlogits;
    double *ce;             /* per-token cross-entropy of lm_loss (T·B) */
    int32_t *ids;           /* the chunk's ids (embedding backward) */
    int last_T, last_B, V;
    float *dbuf[2];         /* activation gradients, ping-pong */
    float *lwork;           /* lstm_backward scratch */
    float **dh, **dc;       /* per lstm: gradient w.r.t. its final state (from a state=prev successor) */
    int *has_dstate;
    const float *weights;   /* the parameter block of the last forward */
};

static float *alloc_f(size_t n) { return xcalloc(n ? n : 1, sizeof(float)); }

LmPass *lm_pass_new(const LmNet *m, int T, int B, int train, ThreadPool *pool)
{
    LmPass *p = xcalloc(1, sizeof *p);
    p->T = T; p->B = B; p->train = train; p->pool = pool;
    p->V = m->sizes.vocab;
    int n = m->n_nodes;
    p->n = n;
    p->owned = xcalloc((size_t)n, 1);
    p->act = xcalloc((size_t)n, sizeof *p->act);
    p->mask = xcalloc((size_t)n, sizeof *p->mask);
    p->cache = xcalloc((size_t)n, sizeof *p->cache);
    p->h0 = xcalloc((size_t)n, sizeof *p->h0); p->c0 = xcalloc((size_t)n, sizeof *p->c0);
    p->hT = xcalloc((size_t)n, sizeof *p->hT); p->cT = xcalloc((size_t)n, sizeof *p->cT);
    p->dh = xcalloc((size_t)n, sizeof *p->dh); p->dc = xcalloc((size_t)n, sizeof *p->dc);
    p->had_state = xcalloc((size_t)n, sizeof *p->had_state);
    p->has_dstate = xcalloc((size_t)n, sizeof *p->has_dstate);
    const size_t tb = (size_t)T * B;
    size_t maxd = 1;
    for (int i = 0; i < n; i++) {
        const LmNode *nd = &m->nodes[i];
        if ((size_t)nd->dout > maxd && nd->op != LM_LINEAR) maxd = (size_t)nd->dout;
        if ((size_t)nd->din > maxd) maxd = (size_t)nd->din;
        switch (nd->op) {
        case LM_EMBEDDING: p->act[i] = alloc_f(tb * nd->dout); break;
        case LM_DROPOUT:
            if (train) { p->act[i] = alloc_f(tb * nd->dout); p->mask[i] = alloc_f(tb * nd->dout); }
            break;
        case LM_LSTM: {
            int H = nd->dout;
            p->act[i] = alloc_f(tb * H);
            p->cache[i] = alloc_f(lstm_cache_floats(T, B, H));
            p->h0[i] = alloc_f((size_t)B * H); p->c0[i] = alloc_f((size_t)B * H);
            p->hT[i] = alloc_f((size_t)B * H); p->cT[i] = alloc_f((size_t)B * H);
            if (train) { p->dh[i] = alloc_f((size_t)B * H); p->dc[i] = alloc_f((size_t)B * H); }
            break;
        }
        case LM_LINEAR: p->logits = alloc_f(tb * nd->dout); if (train) p->dlogits = alloc_f(tb * nd->dout); break;
        default: break;
        }
    }
    for (int i = 0; i < n; i++) p->owned[i] = p->act[i] != NULL;
    p->ids = xcalloc(tb ? tb : 1, sizeof *p->ids);
    p->ce = xcalloc(tb ? tb : 1, sizeof *p->ce);
    if (train) {
        p->dbuf[0] = alloc_f(tb * maxd);
        p->dbuf[1] = alloc_f(tb * maxd);
        p->lwork = alloc_f(lstm_backward_work_floats(T, B, m->hidden ? m->hidden : 1));
    }
    return p;
}

void lm_pass_free(LmPass *p)
{
    if (!p) return;
    for (int i = 0; i < p->n; i++) {
        if (p->owned[i]) free(p->act[i]);   /* an eval dropout's act aliases its input */
        free(p->mask[i]); free(p->cache[i]); free(p->h0[i]); free(p->c0[i]); free(p->hT[i]); free(p->cT[i]);
        free(p->dh[i]); free(p->dc[i]);
    }
    free(p->owned);
    free(p->logits); free(p->dlogits); free(p->ids); free(p->ce);
    free(p->dbuf[0]); free(p->dbuf[1]); free(p->lwork);
    free(p->had_state); free(p->has_dstate);
    free(p->act); free(p->mask); free(p->cache); free(p->h0); free(p->c0); free(p->hT); free(p->cT);
    free(p->dh); free(p->dc);
    free(p);
}

void lm_state_init(LmState *s, const LmNet *m, int batch)
{
    size_t n = (size_t)batch * (m->hidden ? m->hidden : 1);
    s->h = alloc_f(n); s->c = alloc_f(n);
    s->valid = 0; s->batch = batch;
}

void lm_state_free(LmState *s)
{
    if (!s) return;
    free(s->h); free(s->c);
    s->h = s->c = NULL; s->valid = 0;
}

/* ---------------------------------------------------------------- output layer, threaded */

typedef struct {
    const float *x, *w, *b, *dy;
    float *y, *dw, *db, *dx;
    int n, in, out;
} LinJob;

#define LIN_BLOCK 64

static void lin_fwd_task(void *ctx, int tid, int lo, int hi)
{
    (void)tid;
    LinJob *j = ctx;
    int o0 = lo * LIN_BLOCK, o1 = hi * LIN_BLOCK < j->out ? hi * LIN_BLOCK : j->out;
    if (o0 < o1) linear_forward_range(j->x, j->w, j->b, j->y, j->n, j->in, j->out, o0, o1);
}

static void lin_bwd_w_task(void *ctx, int tid, int lo, int hi)
{
    (void)tid;
    LinJob *j = ctx;
    int o0 = lo * LIN_BLOCK, o1 = hi * LIN_BLOCK < j->out ? hi * LIN_BLOCK : j->out;
    if (o0 < o1) linear_backward_w_range(j->x, j->dy, j->dw, j->db, j->n, j->in, j->out, o0, o1);
}

static void lin_bwd_x_task(void *ctx, int tid, int lo, int hi)
{
    (void)tid;
    LinJob *j = ctx;
    if (lo < hi)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, hi - lo, j->in, j->out, 1.0f,
                    j->dy + (size_t)lo * j->out, j->out, j->w, j->in, 0.0f, j->dx + (size_t)lo * j->in, j->in);
}

static int blocks(int n) { return (n + LIN_BLOCK - 1) / LIN_BLOCK; }

/* ---------------------------------------------------------------- forward */

static void tap(const LmTap *t, int node, LmTapPoint at, float *x, size_t n)
{
    if (t && t->fn) t->fn(t->ctx, node, at, x, n);
}

const float *lm_forward(const LmNet *m, LmPass *p, const float *weights, const int32_t *ids, int T, int B,
                        LmState *st, const LmTap *tp, Rng *rng)
{
    CHECK(T >= 1 && T <= p->T && B >= 1 && B <= p->B, "chunk %dx%d exceeds the pass's %dx%d", T, B, p->T, p->B);
    CHECK(!rng || p->train, "training forward on an inference pass");
    CHECK(!st || st->batch == B, "state of batch %d used with batch %d", st ? st->batch : 0, B);
    const size_t tb = (size_t)T * B;
    const int V = m->sizes.vocab;
    memcpy(p->ids, ids, tb * sizeof *ids);
    p->last_T = T; p->last_B = B;
    p->weights = weights;
    const float *cur = NULL;
    int last_lstm = -1;
    for (int i = 0; i < m->n_nodes; i++) {
        const LmNode *nd = &m->nodes[i];
        switch (nd->op) {
        case LM_TOKENS: break;
        case LM_EMBEDDING: {
            const float *w = weights + m->params[nd->pw].off;
            const int D = nd->dout;
            for (size_t r = 0; r < tb; r++) {
                CHECK(ids[r] >= 0 && ids[r] < V, "token id %d outside the vocabulary (%d)", (int)ids[r], V);
                memcpy(p->act[i] + r * D, w + (size_t)ids[r] * D, (size_t)D * sizeof(float));
            }
            tap(tp, i, LM_TAP_OUT, p->act[i], tb * D);
            cur = p->act[i];
            break;
        }
        case LM_DROPOUT:
            if (rng && nd->p > 0) {
                size_t cnt = tb * nd->dout;
                float keep = 1.0f / (1.0f - nd->p);
                float *mk = p->mask[i], *y = p->act[i];
                for (size_t k = 0; k < cnt; k++) {
                    mk[k] = rng_uniform(rng) < nd->p ? 0.0f : keep;
                    y[k] = cur[k] * mk[k];
                }
                cur = y;
            } else {
                if (p->train) {
                    size_t cnt = tb * nd->dout;
                    for (size_t k = 0; k < cnt; k++) p->mask[i][k] = 1.0f;
                    memcpy(p->act[i], cur, cnt * sizeof(float));
                    cur = p->act[i];
                } else {
                    p->act[i] = (float *)cur;   /* identity: alias */
                }
            }
            break;
        case LM_LSTM: {
            const int H = nd->dout;
            const size_t bh = (size_t)B * H;
            LstmWeights w = {
                weights + m->params[nd->pw].off, weights + m->params[nd->pw2].off,
                weights + m->params[nd->pb].off, weights + m->params[nd->pb2].off, nd->din, H
            };
            const float *h0 = NULL, *c0 = NULL;
            if (nd->state_prev) {
                memcpy(p->h0[i], p->hT[nd->prev_lstm], bh * sizeof(float));
                memcpy(p->c0[i], p->cT[nd->prev_lstm], bh * sizeof(float));
                h0 = p->h0[i]; c0 = p->c0[i];
            } else if (st && st->valid) {
                memcpy(p->h0[i], st->h, bh * sizeof(float));
                memcpy(p->c0[i], st->c, bh * sizeof(float));
                tap(tp, i, LM_TAP_STATE_IN_H, p->h0[i], bh);
                tap(tp, i, LM_TAP_STATE_IN_C, p->c0[i], bh);
                h0 = p->h0[i]; c0 = p->c0[i];
            }
            p->had_state[i] = h0 != NULL;
            lstm_forward(&w, T, B, cur, h0, c0, p->act[i], p->hT[i], p->cT[i], p->cache[i]);
            tap(tp, i, LM_TAP_OUT, p->act[i], tb * H);
            tap(tp, i, LM_TAP_STATE_OUT_H, p->hT[i], bh);
            tap(tp, i, LM_TAP_STATE_OUT_C, p->cT[i], bh);
            cur = p->act[i];
            last_lstm = i;
            break;
        }
        case LM_LINEAR: {
            LinJob j = { .x = cur, .w = weights + m->params[nd->pw].off,
                         .b = nd->pb >= 0 ? weights + m->params[nd->pb].off : NULL,
                         .y = p->logits, .n = (int)tb, .in = nd->din, .out = nd->dout };
            pool_run(p->pool, blocks(nd->dout), lin_fwd_task, &j);
            tap(tp, i, LM_TAP_OUT, p->logits, tb * nd->dout);
            break;
        }
        }
    }
    if (st && last_lstm >= 0) {
        const size_t bh = (size_t)B * m->hidden;
        memcpy(st->h, p->hT[last_lstm], bh * sizeof(float));
        memcpy(st->c, p->cT[last_lstm], bh * sizeof(float));
        st->valid = 1;
    }
    return p->logits;
}

/* ---------------------------------------------------------------- loss */

typedef struct {
    const float *logits;
    float *dlogits;
    const int32_t *targets;
    double *ce;
    int V;
    float scale;
} CeJob;

static void ce_task(void *ctx, int tid, int lo, int hi)
{
    (void)tid;
    CeJob *j = ctx;
    const int V = j->V;
    for (int r = lo; r < hi; r++) {
        const float *x = j->logits + (size_t)r * V;
        float m4[4] = { x[0], x[0], x[0], x[0] };
        int k = 0;
        for (; k + 4 <= V; k += 4)
            for (int u = 0; u < 4; u++) m4[u] = x[k + u] > m4[u] ? x[k + u] : m4[u];
        for (; k < V; k++) m4[0] = x[k] > m4[0] ? x[k] : m4[0];
        float mx = m4[0];
        for (int u = 1; u < 4; u++) mx = m4[u] > mx ? m4[u] : mx;
        /* one f32 exp per logit (the softmax's own rounding), summed in binary64 in four
         * interleaved chains (a fixed order: deterministic) */
        double s4[4] = { 0, 0, 0, 0 }, s;
        int t = j->targets[r];
        if (j->dlogits) {
            float *d = j->dlogits + (size_t)r * V;
            for (k = 0; k < V; k++) d[k] = expf(x[k] - mx);
            for (k = 0; k + 4 <= V; k += 4)
                for (int u = 0; u < 4; u++) s4[u] += d[k + u];
            for (; k < V; k++) s4[0] += d[k];
            s = (s4[0] + s4[1]) + (s4[2] + s4[3]);
            j->ce[r] = (double)mx + log(s) - (double)x[t];
            float f = (float)(j->scale / s);
            for (k = 0; k < V; k++) d[k] *= f;
            d[t] -= j->scale;
        } else {
            for (k = 0; k + 4 <= V; k += 4)
                for (int u = 0; u < 4; u++) s4[u] += expf(x[k + u] - mx);
            for (; k < V; k++) s4[0] += expf(x[k] - mx);
            s = (s4[0] + s4[1]) + (s4[2] + s4[3]);
            j->ce[r] = (double)mx + log(s) - (double)x[t];
        }
    }
}

double lm_loss(LmPass *p, const int32_t *targets, int T, int B, int dlogits)
{
    CHECK(T == p->last_T && B == p->last_B, "lm_loss on a chunk of another shape than the forward's");
    CHECK(!dlogits || p->dlogits, "dlogits on an inference pass");
    const int n = T * B;
    const int V = p->V;
    for (int r = 0; r < n; r++)
        CHECK(targets[r] >= 0 && targets[r] < V, "target id %d outside the vocabulary (%d)", (int)targets[r], V);
    double *ce = p->ce;
    CeJob j = { p->logits, dlogits ? p->dlogits : NULL, targets, ce, V, 1.0f / (float)n };
    pool_run(p->pool, n, ce_task, &j);
    double s = 0.0;
    for (int r = 0; r < n; r++) s += ce[r];
    return s / n;
}

/* ---------------------------------------------------------------- backward */

void lm_backward(const LmNet *m, LmPass *p, float *grad)
{
    CHECK(p->train && p->dlogits, "lm_backward needs a training pass and lm_loss(dlogits=1)");
    const int T = p->last_T, B = p->last_B;
    const size_t tb = (size_t)T * B;
    const float *weights = p->weights;
    const float *dcur = p->dlogits;
    int which = 0;
    for (int i = 0; i < m->n_nodes; i++) p->has_dstate[i] = 0;
    for (int i = m->n_nodes - 1; i >= 1; i--) {
        const LmNode *nd = &m->nodes[i];
        const float *x = i >= 2 ? p->act[i - 1] : NULL;   /* node 0 is `tokens` */
        float *dx = p->dbuf[which];
        switch (nd->op) {
        case LM_LINEAR: {
            LinJob j = { .x = x, .w = weights + m->params[nd->pw].off, .dy = dcur,
                         .dw = grad + m->params[nd->pw].off,
                         .db = nd->pb >= 0 ? grad + m->params[nd->pb].off : NULL,
                         .dx = dx, .n = (int)tb, .in = nd->din, .out = nd->dout };
            pool_run(p->pool, blocks(nd->dout), lin_bwd_w_task, &j);
            pool_run(p->pool, (int)tb, lin_bwd_x_task, &j);
            break;
        }
        case LM_DROPOUT: {
            size_t cnt = tb * nd->dout;
            for (size_t k = 0; k < cnt; k++) dx[k] = dcur[k] * p->mask[i][k];
            break;
        }
        case LM_LSTM: {
            LstmWeights w = {
                weights + m->params[nd->pw].off, weights + m->params[nd->pw2].off,
                weights + m->params[nd->pb].off, weights + m->params[nd->pb2].off, nd->din, nd->dout
            };
            int prev = nd->state_prev ? nd->prev_lstm : -1;
            lstm_backward(&w, T, B, x, p->had_state[i] ? p->h0[i] : NULL, p->had_state[i] ? p->c0[i] : NULL,
                          p->act[i], p->cache[i], dcur, p->has_dstate[i] ? p->dh[i] : NULL,
                          p->has_dstate[i] ? p->dc[i] : NULL, dx, prev >= 0 ? p->dh[prev] : NULL,
                          prev >= 0 ? p->dc[prev] : NULL, grad + m->params[nd->pw].off,
                          grad + m->params[nd->pw2].off, grad + m->params[nd->pb].off,
                          grad + m->params[nd->pb2].off, p->lwork);
            if (prev >= 0) p->has_dstate[prev] = 1;
            break;
        }
        case LM_EMBEDDING: {
            float *dw = grad + m->params[nd->pw].off;
            const int D = nd->dout;
            for (size_t r = 0; r < tb; r++) {
                float *row = dw + (size_t)p->ids[r] * D;
                const float *g = dcur + r * D;
                for (int k = 0; k < D; k++) row[k] += g[k];
            }
            break;
        }
        default: break;
        }
        dcur = dx;
        which ^= 1;
    }
}

double lm_clip_grad(float *grad, size_t n, double max_norm)
{
    double s = 0.0;
    for (size_t k = 0; k < n; k++) s += (double)grad[k] * grad[k];
    double norm = sqrt(s);
    if (norm > max_norm) {
        float f = (float)(max_norm / (norm + 1e-6));
        for (size_t k = 0; k < n; k++) grad[k] *= f;
    }
    return norm;
}
