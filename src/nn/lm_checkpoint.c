/* lm_checkpoint.c — language-model checkpoints (lm_checkpoint.h). */
#include "nn/lm_checkpoint.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/env.h"
#include "io/safetensors.h"

#define LM_FORMAT "mta-lm/1"

int lm_ckpt_save(const LmNet *m, const LmCkptInfo *info, const char *path, char *err, size_t errsz)
{
    StWriter w;
    st_writer_init(&w);
    char buf[256];
    st_writer_meta(&w, "format", LM_FORMAT);
    st_writer_meta(&w, "model_name", m->model_name);
    st_writer_meta(&w, "model_text", m->model_text);
    snprintf(buf, sizeof buf, "%d", m->sizes.vocab); st_writer_meta(&w, "vocab", buf);
    snprintf(buf, sizeof buf, "%d", m->sizes.embed); st_writer_meta(&w, "embed", buf);
    snprintf(buf, sizeof buf, "%d", m->sizes.hidden); st_writer_meta(&w, "hidden", buf);
    snprintf(buf, sizeof buf, "%.17g", m->sizes.dropout); st_writer_meta(&w, "dropout", buf);
    int threads = 1;
    if (info) {
        st_writer_meta(&w, "corpus", info->corpus);
        st_writer_meta(&w, "corpus_rule", info->rule);
        snprintf(buf, sizeof buf, "%016" PRIx64, info->vocab_hash); st_writer_meta(&w, "vocab_hash", buf);
        if (info->vocab_words) st_writer_meta(&w, "vocab_words", info->vocab_words);
        snprintf(buf, sizeof buf, "%" PRIu64, info->seed); st_writer_meta(&w, "seed", buf);
        if (info->epoch > 0) {
            snprintf(buf, sizeof buf, "%d", info->epoch); st_writer_meta(&w, "epoch", buf);
            snprintf(buf, sizeof buf, "%.17g", info->lr); st_writer_meta(&w, "lr", buf);
            snprintf(buf, sizeof buf, "%.6f", info->val_ppl); st_writer_meta(&w, "val_ppl", buf);
            snprintf(buf, sizeof buf, "%.6f", info->test_ppl); st_writer_meta(&w, "test_ppl", buf);
            static const char *tk[3] = { "train_tokens", "valid_tokens", "test_tokens" };
            for (int k = 0; k < 3; k++) { snprintf(buf, sizeof buf, "%zu", info->tokens[k]); st_writer_meta(&w, tk[k], buf); }
        }
        if (info->threads > 0) threads = info->threads;
    }
    EnvInfo env = env_info(threads);
    for (int k = 0; k < ENV_NFIELDS; k++) st_writer_meta(&w, env_field_names[k], env_field_value(&env, k, buf, sizeof buf));
    for (int i = 0; i < m->n_params; i++) {
        const LmParam *p = &m->params[i];
        int64_t shape[2] = { p->rows, p->cols };
        st_writer_add(&w, p->name, ST_F32, p->ndim, shape, m->pdata + p->off);
    }
    int rc = st_write(&w, path, err, errsz);
    st_writer_free(&w);
    return rc;
}

static int meta_int(const StFile *f, const char *path, const char *key, int lo, int *out, char *err, size_t errsz)
{
    const char *v = st_meta(f, key);
    long x;
    if (!v || parse_long(v, &x) || x < lo || x > 1 << 24)
        return set_errf(err, errsz, "%s: metadata %s='%s' is not an integer >= %d", path, key, v ? v : "(missing)", lo);
    *out = (int)x;
    return 0;
}

int lm_ckpt_is_lm(const char *path)
{
    StFile f;
    char err[256];
    if (st_read(path, &f, err, sizeof err)) return 0;
    const char *fmt = st_meta(&f, "format");
    int is = fmt && !strcmp(fmt, LM_FORMAT);
    st_free(&f);
    return is;
}

void lm_ckpt_info_free(LmCkptInfo *info)
{
    if (!info) return;
    free(info->vocab_words);
    info->vocab_words = NULL;
}

LmNet *lm_ckpt_load(const char *path, LmCkptInfo *info, char *err, size_t errsz)
{
    StFile f;
    if (st_read(path, &f, err, errsz)) return NULL;
    LmNet *m = NULL;
    if (info) memset(info, 0, sizeof *info);
    const char *fmt = st_meta(&f, "format");
    if (!fmt || strcmp(fmt, LM_FORMAT)) {
        set_errf(err, errsz, "%s: not a language-model checkpoint (format '%s', expected %s)", path,
                 fmt ? fmt : "none", LM_FORMAT);
        goto out;
    }
    LmSizes sz = { 0 };
    const char *text = st_meta(&f, "model_text"), *name = st_meta(&f, "model_name"), *dr = st_meta(&f, "dropout");
    if (!text || !name) { set_errf(err, errsz, "%s: metadata lacks model_text or model_name", path); goto out; }
    if (meta_int(&f, path, "vocab", 1, &sz.vocab, err, errsz) || meta_int(&f, path, "embed", 0, &sz.embed, err, errsz) ||
        meta_int(&f, path, "hidden", 0, &sz.hidden, err, errsz))
        goto out;
    if (!dr || parse_double(dr, &sz.dropout)) { set_errf(err, errsz, "%s: metadata dropout='%s' is not a number", path, dr ? dr : "(missing)"); goto out; }
    char where[4200];
    snprintf(where, sizeof where, "%s:model_text", path);
    m = lm_build(where, name, text, &sz, err, errsz);
    if (!m) goto out;
    for (int i = 0; i < m->n_params; i++) {
        const LmParam *p = &m->params[i];
        const StTensor *t = st_find(&f, p->name);
        if (!t) { set_errf(err, errsz, "%s: tensor '%s' missing (the model needs it)", path, p->name); goto bad; }
        int same = t->rank == p->ndim && t->shape[0] == p->rows && (p->ndim == 1 || t->shape[1] == p->cols);
        if (!same) {
            set_errf(err, errsz, "%s: tensor '%s' has rank %d shape [%lld%s%lld], the model expects [%d%s%d]", path, p->name,
                     t->rank, t->rank > 0 ? (long long)t->shape[0] : 0LL, t->rank > 1 ? "," : "",
                     t->rank > 1 ? (long long)t->shape[1] : 0LL, p->rows, p->ndim > 1 ? "," : "", p->ndim > 1 ? p->cols : 0);
            goto bad;
        }
        if (st_read_f32(&f, t, m->pdata + p->off)) {
            set_errf(err, errsz, "%s: tensor '%s' has dtype %s, expected F32", path, p->name, t->dtype_name);
            goto bad;
        }
    }
    for (size_t i = 0; i < f.ntensors; i++) {
        const StTensor *t = &f.tensors[i];
        if (lm_find_param(m, t->name) >= 0) continue;
        /* a PyTorch export of a tied model lists the output weight too */
        const LmNode *o = &m->nodes[m->out_node];
        char tied[64];
        snprintf(tied, sizeof tied, "%s.weight", o->name);
        if (o->tied && !strcmp(t->name, tied)) {
            const LmParam *p = &m->params[o->pw];
            float *tmp = xmalloc(p->numel * sizeof *tmp);
            int ok = t->numel == p->numel && !st_read_f32(&f, t, tmp) &&
                     !memcmp(tmp, m->pdata + p->off, p->numel * sizeof *tmp);
            free(tmp);
            if (ok) continue;
            set_errf(err, errsz, "%s: tensor '%s' differs from the tied '%s'", path, t->name, p->name);
            goto bad;
        }
        set_errf(err, errsz, "%s: unexpected tensor '%s' (not a parameter of model %s)", path, t->name, m->model_name);
        goto bad;
    }
    if (info) {
        const char *v;
        snprintf(info->corpus, sizeof info->corpus, "%s", (v = st_meta(&f, "corpus")) ? v : "");
        snprintf(info->rule, sizeof info->rule, "%s", (v = st_meta(&f, "corpus_rule")) ? v : "");
        info->vocab_hash = (v = st_meta(&f, "vocab_hash")) ? strtoull(v, NULL, 16) : 0;
        info->vocab_words = (v = st_meta(&f, "vocab_words")) ? xstrdup(v) : NULL;
        info->seed = (v = st_meta(&f, "seed")) ? strtoull(v, NULL, 10) : 0;
        info->epoch = (v = st_meta(&f, "epoch")) ? atoi(v) : 0;
        info->lr = (v = st_meta(&f, "lr")) ? atof(v) : 0;
        info->val_ppl = (v = st_meta(&f, "val_ppl")) ? atof(v) : 0;
        info->test_ppl = (v = st_meta(&f, "test_ppl")) ? atof(v) : 0;
        static const char *tk[3] = { "train_tokens", "valid_tokens", "test_tokens" };
        for (int k = 0; k < 3; k++) info->tokens[k] = (v = st_meta(&f, tk[k])) ? strtoull(v, NULL, 10) : 0;
        info->threads = (v = st_meta(&f, "threads")) ? atoi(v) : 0;
    }
    goto out;
bad:
    lm_free(m);
    m = NULL;
out:
    st_free(&f);
    return m;
}
