/* lm_train.c — training and evaluating a language model (lm_train.h). */
#include "train/lm_train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/check.h"
#include "base/fileio.h"
#include "base/parallel.h"
#include "base/rng.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

void lm_train_run(LmNet *m, const int32_t *train, size_t ntrain, const int32_t *valid, size_t nvalid,
                  const int32_t *test, size_t ntest, const LmTrainConfig *tc, LmCkptInfo *info, ThreadPool *pool)
{
    Rng rng;
    rng_seed(&rng, tc->seed);
    if (tc->train_limit > 0 && (size_t)tc->train_limit < ntrain) ntrain = (size_t)tc->train_limit;
    LmBatches tr, va, te;
    lm_batchify(train, ntrain, tc->batch, &tr);
    lm_batchify(valid, nvalid, tc->eval_batch, &va);
    lm_batchify(test, ntest, tc->eval_batch, &te);
    if (tr.T < 2 || va.T < 2 || te.T < 2)
        die("lm-train: a split is too short for batch %d / %d (train %zu, valid %zu, test %zu tokens)", tc->batch,
            tc->eval_batch, ntrain, nvalid, ntest);
    LmPass *p = lm_pass_new(m, tc->bptt, tc->batch, 1, pool);
    float *grad = xmalloc(m->pnumel * sizeof *grad);
    float *best = xmalloc(m->pnumel * sizeof *best);
    memcpy(best, m->pdata, m->pnumel * sizeof *best);
    int32_t *in = xmalloc(sizeof *in * (size_t)tc->bptt * tc->batch), *tg = xmalloc(sizeof *tg * (size_t)tc->bptt * tc->batch);
    AtomicFile af;
    FILE *log = NULL;
    if (tc->log) {
        log = atomic_open_or_die(&af, tc->log);
        fprintf(log, "epoch\tlr\ttrain_loss\ttrain_ppl\tval_loss\tval_ppl\tgrad_norm\tclipped\tseconds\n");
    }
    int chunks = (tr.T - 2) / tc->bptt + 1;
    if (!tc->quiet)
        fprintf(stderr, "lm-train %s: %zu train / %zu valid / %zu test tokens, %d chunks of %dx%d per epoch\n",
                m->model_name, ntrain, nvalid, ntest, chunks, tc->bptt, tc->batch);
    double lr = tc->lr, best_val = INFINITY, best_lr = lr;
    int best_epoch = 0;
    char err[1024];
    LmState st;
    lm_state_init(&st, m, tc->batch);
    for (int epoch = 1; epoch <= tc->epochs; epoch++) {
        double t0 = now(), tl = 0.0, gn = 0.0;
        long clipped = 0, nb = 0;
        memset(st.h, 0, sizeof(float) * (size_t)tc->batch * m->hidden);
        memset(st.c, 0, sizeof(float) * (size_t)tc->batch * m->hidden);
        st.valid = 1;   /* init_hidden: a zero state, supplied */
        for (int i = 0; i < tr.T - 1; i += tc->bptt) {
            int sl = lm_get_batch(&tr, i, tc->bptt, in, tg);
            memset(grad, 0, m->pnumel * sizeof *grad);
            lm_forward(m, p, m->pdata, in, sl, tc->batch, &st, NULL, &rng);
            double loss = lm_loss(p, tg, sl, tc->batch, 1);
            if (!isfinite(loss)) die("lm-train: loss %g at epoch %d chunk %ld (lr %g)", loss, epoch, nb, lr);
            lm_backward(m, p, grad);
            double norm = lm_clip_grad(grad, m->pnumel, tc->clip);
            clipped += norm > tc->clip;
            gn += norm;
            float flr = (float)lr;
            for (size_t k = 0; k < m->pnumel; k++) m->pdata[k] -= flr * grad[k];
            tl += loss;
            nb++;
        }
        double val = lm_evaluate(m, m->pdata, &va, tc->bptt, 1, NULL, pool);
        double secs = now() - t0;
        if (log) {
            fprintf(log, "%d\t%.6g\t%.6f\t%.3f\t%.6f\t%.3f\t%.4f\t%.3f\t%.1f\n", epoch, lr, tl / nb, exp(tl / nb), val,
                    exp(val), gn / nb, (double)clipped / nb, secs);
            fflush(log);
        }
        if (!tc->quiet)
            fprintf(stderr, "epoch %d: lr %g, train ppl %.2f, valid ppl %.2f, %.1f s\n", epoch, lr, exp(tl / nb), exp(val), secs);
        if (val < best_val) {
            best_val = val;
            best_epoch = epoch;
            best_lr = lr;
            memcpy(best, m->pdata, m->pnumel * sizeof *best);
            if (tc->out) {
                LmCkptInfo ci = *info;
                ci.epoch = epoch; ci.lr = lr; ci.val_ppl = exp(val); ci.test_ppl = 0;
                if (lm_ckpt_save(m, &ci, tc->out, err, sizeof err)) die("%s", err);
            }
        } else {
            lr /= tc->lr_decay;
            if (lr < tc->lr_min) break;
        }
    }
    memcpy(m->pdata, best, m->pnumel * sizeof *best);
    double test_loss = lm_evaluate(m, m->pdata, &te, tc->bptt, 1, NULL, pool);
    info->epoch = best_epoch; info->lr = best_lr; info->val_ppl = exp(best_val); info->test_ppl = exp(test_loss);
    info->tokens[0] = ntrain; info->tokens[1] = nvalid; info->tokens[2] = ntest;
    if (tc->out && lm_ckpt_save(m, info, tc->out, err, sizeof err)) die("%s", err);
    if (log) atomic_commit_or_die(&af);
    if (!tc->quiet) fprintf(stderr, "best epoch %d: valid ppl %.2f, test ppl %.2f\n", best_epoch, exp(best_val), exp(test_loss));
    lm_state_free(&st);
    free(in); free(tg); free(grad); free(best);
    lm_pass_free(p);
    lm_batches_free(&tr); lm_batches_free(&va); lm_batches_free(&te);
}
