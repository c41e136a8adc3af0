/* lm_build.c — a language model from its model file (lm.h): parse, check, lay out
 * parameters, initialize. */
#include "nn/lm.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/rng.h"
#include "nn/modelfile.h"

typedef struct {
    LmNet *m;
    const char *path;
    const MfLine *ml;
    const LmSizes *sz;
    char *err; size_t errsz;
    int cap_params;
} LmB;

static int lerr(LmB *b, const char *fmt, ...) MTA_PRINTF(2, 3);
static int lerr(LmB *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    modelfile_verr(b->err, b->errsz, b->path, b->ml, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *key_get(LmB *b, const char *key)
{
    MfLine *ml = (MfLine *)b->ml;
    for (int i = 0; i < ml->nkeys; i++)
        if (!strcmp(ml->key[i], key)) { ml->used[i] = 1; return ml->val[i]; }
    return NULL;
}

/* A size: a positive integer or one of the words vocab, embed, hidden. */
static int key_size(LmB *b, const char *key, int required, int def, int *out)
{
    const char *v = key_get(b, key);
    if (!v) {
        if (required) return lerr(b, "missing %s= (a positive integer, or vocab, embed, hidden)", key);
        *out = def;
        return 0;
    }
    int w = !strcmp(v, "vocab") ? b->sz->vocab : !strcmp(v, "embed") ? b->sz->embed
          : !strcmp(v, "hidden") ? b->sz->hidden : -1;
    if (w == -1) {
        long x;
        if (parse_long(v, &x) || x < 1 || x > 1 << 24)
            return lerr(b, "%s=%s: expected a positive integer or vocab, embed, hidden", key, v);
        w = (int)x;
    } else if (w < 1) {
        return lerr(b, "%s=%s: the %s size is not set (give it on the command line or in the profile)", key, v, v);
    }
    *out = w;
    return 0;
}

static int add_param(LmB *b, int node, const char *suffix, int rows, int cols, int ndim)
{
    LmNet *m = b->m;
    if (m->n_params == b->cap_params) {
        b->cap_params = b->cap_params ? 2 * b->cap_params : 8;
        m->params = xrealloc(m->params, sizeof *m->params * (size_t)b->cap_params);
    }
    LmParam *p = &m->params[m->n_params];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s.%s", m->nodes[node].name, suffix);
    p->node = node; p->rows = rows; p->cols = ndim == 2 ? cols : 1; p->ndim = ndim;
    p->numel = (size_t)rows * p->cols;
    p->off = m->pnumel;
    m->pnumel += (p->numel + 15) & ~(size_t)15;   /* 64-byte aligned tensors */
    return m->n_params++;
}

int lm_text_is_lm(const char *text)
{
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\r') p++;
        if (*p == '#') { while (*p && *p != '\n') p++; }
        if (*p == '\n') { p++; continue; }
        if (!*p) return 0;
        return !strncmp(p, "tokens", 6) && (p[6] == 0 || isspace((unsigned char)p[6]) || p[6] == '#');
    }
    return 0;
}

LmNet *lm_build(const char *path, const char *name, const char *text, const LmSizes *sizes,
                char *err, size_t errsz)
{
    ModelDesc md;
    if (modelfile_parse(path, text, &md, err, errsz)) return NULL;
    LmNet *m = xcalloc(1, sizeof *m);
    snprintf(m->model_name, sizeof m->model_name, "%s", name ? name : "");
    m->model_text = xstrdup(text);
    m->sizes = *sizes;
    m->nodes = xcalloc((size_t)md.n, sizeof *m->nodes);
    m->out_node = -1;
    LmB b = { .m = m, .path = path, .sz = sizes, .err = err, .errsz = errsz };
    int d = 0, last_lstm = -1, embed_node = -1;
    for (int i = 0; i < md.n; i++) {
        b.ml = &md.lines[i];
        LmNode *n = &m->nodes[m->n_nodes];
        memset(n, 0, sizeof *n);
        n->line = b.ml->lineno;
        n->pw = n->pw2 = n->pb = n->pb2 = -1;
        n->prev_lstm = -1;
        const char *op = b.ml->op;
        if (m->out_node >= 0) { lerr(&b, "nothing may follow the output linear layer"); goto fail; }
        if (i == 0 && strcmp(op, "tokens")) { lerr(&b, "a language model starts with a `tokens` line"); goto fail; }
        if (!strcmp(op, "tokens")) {
            if (i != 0) { lerr(&b, "`tokens` must be the first line"); goto fail; }
            n->op = LM_TOKENS;
            snprintf(n->name, sizeof n->name, "tokens");
        } else if (!strcmp(op, "embedding")) {
            if (i != 1) { lerr(&b, "the embedding must directly follow `tokens`"); goto fail; }
            n->op = LM_EMBEDDING;
            snprintf(n->name, sizeof n->name, "embed%d", i);
            if (key_size(&b, "dim", 1, 0, &n->dout)) goto fail;
            if (sizes->vocab < 1) { lerr(&b, "the vocabulary size is not set"); goto fail; }
            n->din = 0;
            n->pw = add_param(&b, m->n_nodes, "weight", sizes->vocab, n->dout, 2);
            embed_node = m->n_nodes;
        } else if (!strcmp(op, "dropout")) {
            n->op = LM_DROPOUT;
            snprintf(n->name, sizeof n->name, "drop%d", i);
            const char *v = key_get(&b, "p");
            double p = 0.5;
            if (v && !strcmp(v, "dropout")) p = sizes->dropout;
            else if (v && (parse_double(v, &p))) { lerr(&b, "p=%s: expected a number in [0, 1) or dropout", v); goto fail; }
            if (!(p >= 0 && p < 1)) { lerr(&b, "p=%g: expected a number in [0, 1)", p); goto fail; }
            n->p = (float)p;
            n->din = n->dout = d;
        } else if (!strcmp(op, "lstm")) {
            n->op = LM_LSTM;
            snprintf(n->name, sizeof n->name, "lstm%d", i);
            if (key_size(&b, "hidden", 1, 0, &n->dout)) goto fail;
            const char *v = key_get(&b, "state");
            if (!v || !strcmp(v, "in")) n->state_prev = 0;
            else if (!strcmp(v, "prev")) n->state_prev = 1;
            else { lerr(&b, "state=%s: expected in or prev", v); goto fail; }
            if (n->state_prev && last_lstm < 0) { lerr(&b, "state=prev needs an lstm line before it"); goto fail; }
            if (m->hidden && n->dout != m->hidden) {
                lerr(&b, "hidden=%d differs from the earlier lstm's %d (one carried state has one size)", n->dout, m->hidden);
                goto fail;
            }
            m->hidden = n->dout;
            n->din = d;
            n->prev_lstm = last_lstm;
            int H = n->dout;
            n->pw = add_param(&b, m->n_nodes, "weight_ih_l0", 4 * H, d, 2);
            n->pw2 = add_param(&b, m->n_nodes, "weight_hh_l0", 4 * H, H, 2);
            n->pb = add_param(&b, m->n_nodes, "bias_ih_l0", 4 * H, 1, 1);
            n->pb2 = add_param(&b, m->n_nodes, "bias_hh_l0", 4 * H, 1, 1);
            last_lstm = m->n_nodes;
            m->n_lstm++;
        } else if (!strcmp(op, "linear")) {
            n->op = LM_LINEAR;
            snprintf(n->name, sizeof n->name, "fc%d", i);
            if (key_size(&b, "out", 1, 0, &n->dout)) goto fail;
            if (n->dout != sizes->vocab) { lerr(&b, "out=%d: the output layer has one logit per word (out=vocab, %d)", n->dout, sizes->vocab); goto fail; }
            n->din = d;
            const char *t = key_get(&b, "tie");
            const char *bv = key_get(&b, "bias");
            int bias = 1;
            if (bv && (!strcmp(bv, "0") || !strcmp(bv, "1"))) bias = bv[0] == '1';
            else if (bv) { lerr(&b, "bias=%s: expected 0 or 1", bv); goto fail; }
            if (t) {
                if (embed_node < 0 || strcmp(t, m->nodes[embed_node].name)) {
                    lerr(&b, "tie=%s: expected the embedding's name (%s)", t,
                         embed_node >= 0 ? m->nodes[embed_node].name : "no embedding");
                    goto fail;
                }
                if (m->nodes[embed_node].dout != d) {
                    lerr(&b, "tie=%s: the tied weight needs %d input features (the embedding's dim), not %d", t,
                         m->nodes[embed_node].dout, d);
                    goto fail;
                }
                n->tied = 1;
                n->pw = m->nodes[embed_node].pw;
            } else {
                n->pw = add_param(&b, m->n_nodes, "weight", n->dout, d, 2);
            }
            if (bias) n->pb = add_param(&b, m->n_nodes, "bias", n->dout, 1, 1);
            m->out_node = m->n_nodes;
        } else {
            lerr(&b, "unknown op (expected tokens, embedding, dropout, lstm, linear)");
            goto fail;
        }
        for (int k = 0; k < b.ml->nkeys; k++)
            if (!b.ml->used[k]) { lerr(&b, "unknown key '%s'", b.ml->key[k]); goto fail; }
        if (n->op != LM_TOKENS && n->op != LM_EMBEDDING && d == 0) { lerr(&b, "needs an embedding before it"); goto fail; }
        d = n->dout;
        m->n_nodes++;
    }
    b.ml = NULL;
    if (m->out_node < 0) { lerr(&b, "no output layer (the last line must be `linear out=vocab`)"); goto fail; }
    if (embed_node < 0) { lerr(&b, "no embedding"); goto fail; }
    m->pdata = xcalloc(m->pnumel ? m->pnumel : 1, sizeof *m->pdata);
    modeldesc_free(&md);
    return m;
fail:
    modeldesc_free(&md);
    lm_free(m);
    return NULL;
}

void lm_free(LmNet *m)
{
    if (!m) return;
    free(m->model_text);
    free(m->nodes);
    free(m->params);
    free(m->pdata);
    free(m);
}

int lm_find_param(const LmNet *m, const char *name)
{
    for (int i = 0; i < m->n_params; i++)
        if (!strcmp(m->params[i].name, name)) return i;
    return -1;
}

void lm_init(LmNet *m, Rng *rng)
{
    for (int i = 0; i < m->n_params; i++) {
        const LmParam *p = &m->params[i];
        const LmNode *n = &m->nodes[p->node];
        float *x = m->pdata + p->off;
        float r = n->op == LM_LSTM ? 1.0f / sqrtf((float)n->dout) : 0.1f;
        int zero = n->op == LM_LINEAR && p->ndim == 1;
        for (size_t k = 0; k < p->numel; k++) x[k] = zero ? 0.0f : (2.0f * rng_uniform(rng) - 1.0f) * r;
    }
}

double lm_node_macs(const LmNet *m, int node)
{
    const LmNode *n = &m->nodes[node];
    switch (n->op) {
    case LM_LSTM: return 4.0 * n->dout * (n->din + n->dout) + 18.0 * n->dout;
    case LM_LINEAR: return (double)n->din * n->dout;
    default: return 0.0;
    }
}
