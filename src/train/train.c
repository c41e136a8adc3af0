/* train.c — the training loop (see train.h).
 *
 * Split: the training indices are shuffled with the seed; the first val_frac of them are
 * the validation set (evaluated without augmentation — the reference augments it, Q23),
 * the rest the training set (optionally cut to train_limit).  Every epoch reshuffles the
 * training set, builds augmented batches, and runs forward/backward/SGD; the last partial
 * batch is kept (as the reference's loader does).  After each epoch the validation accuracy
 * is measured; a strictly better one saves the checkpoint (temporary file + rename).
 * All randomness flows from one Rng seeded with tc->seed.
 */
#include "train/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/fileio.h"
#include "base/progress.h"
#include "nn/eval.h"
#include "nn/layers.h"
#include "train/backprop.h"

typedef struct {
    int *train, n_train, *val, n_val, *test, n_test;
} Split;

static void make_split(const Dataset *ds, const TrainConfig *tc, Rng *rng, Split *sp)
{
    int n = ds->train.n;
    int *all = xmalloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) all[i] = i;
    rng_shuffle(rng, all, n);
    sp->n_val = (int)(tc->val_frac * n);
    if (sp->n_val >= n) die("--val-frac %g leaves no training images", tc->val_frac);
    sp->val = xmalloc(sizeof(int) * (size_t)(sp->n_val ? sp->n_val : 1));
    memcpy(sp->val, all, sizeof(int) * (size_t)sp->n_val);
    sp->n_train = n - sp->n_val;
    if (tc->train_limit > 0 && tc->train_limit < sp->n_train) sp->n_train = (int)tc->train_limit;
    sp->train = xmalloc(sizeof(int) * (size_t)sp->n_train);
    memcpy(sp->train, all + sp->n_val, sizeof(int) * (size_t)sp->n_train);
    sp->n_test = ds->test.n;
    sp->test = xmalloc(sizeof(int) * (size_t)sp->n_test);
    for (int i = 0; i < sp->n_test; i++) sp->test[i] = i;
    free(all);
}

/* The training log grows in "<path>.tmp.<pid>" and is renamed to path when training ends. */
static FILE *open_log(AtomicFile *af, const char *path)
{
    if (!path) return NULL;
    FILE *f = atomic_open_or_die(af, path);
    fprintf(f, "epoch\tlr\ttrain_loss\ttrain_acc\tval_acc\tseconds\n");
    return f;
}

void train_run(Net *net, const Dataset *ds, const TrainConfig *tc, CkptInfo *info)
{
    Rng rng;
    rng_seed(&rng, tc->seed);
    Split sp;
    make_split(ds, tc, &rng, &sp);
    int B = tc->batch, nb = (sp.n_train + B - 1) / B, C = net->classes;
    Backprop *bp = backprop_new(net, B);
    float *x = xmalloc(shape_numel(net->input) * (size_t)B * sizeof(float));
    int *y = xmalloc(sizeof(int) * (size_t)B);
    float *dlogits = xmalloc(sizeof(float) * (size_t)B * C);
    float *vel = xcalloc(net->pnumel, sizeof(float));
    float *best = xmalloc(net->pnumel * sizeof(float));
    int64_t best_batches = 0;
    memcpy(best, net->pdata, net->pnumel * sizeof(float));
    double best_val = -1;
    int best_epoch = 0;
    long step = 0;
    AtomicFile log_af;
    FILE *log = open_log(&log_af, tc->log);
    char err[1024];
    if (!tc->quiet)
        fprintf(stderr, "train %s: %d train / %d val / %d test images, %d batches of %d per epoch\n", net->model_name,
                sp.n_train, sp.n_val, sp.n_test, nb, B);
    for (int epoch = 1; epoch <= tc->epochs; epoch++) {
        double t0 = now_seconds(), loss_sum = 0;
        long correct = 0;
        rng_shuffle(&rng, sp.train, sp.n_train);
        Progress prog;
        char label[64];
        snprintf(label, sizeof label, "epoch %d/%d", epoch, tc->epochs);
        progress_start(&prog, label, nb);
        float lr = 0;
        for (int b = 0; b < nb; b++) {
            int m = sp.n_train - b * B < B ? sp.n_train - b * B : B;
            augment_batch(ds, &ds->train, sp.train + (size_t)b * B, m, &tc->aug, &rng, x, y);
            lr = lr_at(&tc->lr, epoch, b, nb);
            net_zero_grad(net, bp);
            const float *logits = net_forward_train(net, bp, x, m, &rng);
            double loss = softmax_xent(logits, y, m, C, dlogits);
            if (!isfinite(loss)) die("training %s: loss is %g at epoch %d, batch %d (lr %g); try a lower --lr", net->model_name, loss, epoch, b + 1, lr);
            for (int j = 0; j < m; j++) correct += argmax_first(logits + (size_t)j * C, C) == y[j];
            loss_sum += loss * m;
            net_backward(net, bp, dlogits, m);
            sgd_step(net, bp->grad, vel, &tc->sgd, lr, step == 0);
            step++;
            progress_update(&prog, b + 1);
        }
        progress_end(&prog);
        double val = sp.n_val ? net_accuracy(net, ds, &ds->train, sp.val, sp.n_val, NULL) : 0;
        double secs = now_seconds() - t0;
        double tl = loss_sum / sp.n_train, ta = 100.0 * correct / sp.n_train;
        if (!tc->quiet)
            fprintf(stderr, "epoch %3d  lr %.5f  loss %.4f  train %.2f%%  val %.2f%%  %.1fs\n", epoch, lr, tl, ta, val, secs);
        if (log) {
            fprintf(log, "%d\t%.6g\t%.6f\t%.2f\t%.2f\t%.2f\n", epoch, lr, tl, ta, val, secs);
            fflush(log);
        }
        if (val > best_val) {
            best_val = val;
            best_epoch = epoch;
            memcpy(best, net->pdata, net->pnumel * sizeof(float));
            best_batches = net->bn_batches;
            info->epoch = epoch;
            info->val_acc = val;
            info->val_images = sp.n_val;
            info->test_images = sp.n_test;
            info->test_acc = 0;
            if (tc->out && ckpt_save(net, info, tc->out, err, sizeof err)) die("%s", err);
        }
    }
    memcpy(net->pdata, best, net->pnumel * sizeof(float));
    net->bn_batches = best_batches;
    info->epoch = best_epoch;
    info->val_acc = best_val;
    info->test_acc = net_accuracy(net, ds, &ds->test, sp.test, sp.n_test, NULL);
    if (tc->out && ckpt_save(net, info, tc->out, err, sizeof err)) die("%s", err);
    if (!tc->quiet)
        fprintf(stderr, "best epoch %d: val %.2f%%, test %.2f%%\n", best_epoch, best_val, info->test_acc);
    if (log) atomic_commit_or_die(&log_af);
    backprop_free(bp, net);
    free(x); free(y); free(dlogits); free(vel); free(best);
    free(sp.train); free(sp.val); free(sp.test);
}
