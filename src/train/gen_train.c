/* gen_train.c — generator training and the adjust loop (see gen_train.h). */
#include "train/gen_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "train/bnstat.h"

void gen_log_header(FILE *log)
{
    if (log) fputs("phase\tstep\tgen_acc\tce\tbns\tfgsm_acc\tpgd_acc\tdecision\tseconds\n", log);
}

/* Scratch of one generator step. */
typedef struct {
    int *y;
    float *z, *a, *t, *dx, *dxa, *xadv, *dl;
} StepBufs;

static void bufs_new(StepBufs *s, const Generator *g, const Net *net, int batch, int m)
{
    size_t img = shape_numel(net->input) * (size_t)batch;
    s->y = xmalloc((size_t)batch * m * sizeof(int));
    s->z = xmalloc((size_t)batch * m * g->latent * sizeof(float));
    s->a = xmalloc((size_t)batch * m * sizeof(float));
    s->t = xmalloc((size_t)batch * g->classes * sizeof(float));
    s->dx = xmalloc(img * sizeof(float));
    s->dxa = xmalloc(img * sizeof(float));
    s->xadv = xmalloc(img * sizeof(float));
    s->dl = xmalloc((size_t)batch * net->classes * sizeof(float));
}

static void bufs_free(StepBufs *s)
{
    free(s->y); free(s->z); free(s->a); free(s->t); free(s->dx); free(s->dxa); free(s->xadv); free(s->dl);
}

/* One Adam step of g on a fresh batch: single-label (adv: plus the adversarial term) or
 * multi-label (m > 1).  Returns the correct count; *ce, *bns the losses. */
static int gen_step(Generator *g, Net *net, Backprop *bp, BnStat *bs, Adam *opt, StepBufs *s, Rng *rng, int batch, int m,
                    int adv, const AdjustConfig *ac, float bns_weight, double *ce, double *bns)
{
    gen_sample(g, rng, batch, m, s->y, s->z, s->a);
    const float *x;
    const float *t = NULL;
    int *y1 = s->y;
    if (m > 1) {
        x = gen_forward_multi(g, s->z, s->y, s->a, batch, m);
        gen_soft_targets(g->classes, s->y, s->a, batch, m, s->t);
        t = s->t;
        for (int b = 0; b < batch; b++) s->y[b] = s->y[(size_t)b * m];   /* "correct" against slot 0 */
    } else x = gen_forward(g, s->z, s->y, batch);
    int correct;
    *ce = teacher_gen_grad(net, bp, bs, x, y1, t, batch, bns_weight, s->dx, s->dl, bns, &correct);
    if (adv) {   /* PGD on the detached batch; its CE's gradient enters as if x_adv were x */
        NetTargetCtx tc = {net, bp};
        AttackTarget tg = attack_target_net(&tc);
        attack_batch(&tg, &ac->pgd, &ac->bounds, x, y1, batch, s->xadv, rng);
        double la = tg.grad(tg.ctx, s->xadv, y1, batch, s->dxa);
        size_t n = shape_numel(net->input) * (size_t)batch;
        for (size_t i = 0; i < n; i++) s->dx[i] += ac->adv_weight * s->dxa[i];
        *ce += ac->adv_weight * la;
    }
    gen_zero_grad(g);
    gen_backward(g, s->dx);
    adam_step(opt, g->p, g->g);
    return correct;
}

void gen_train(Generator *g, Net *teacher, Backprop *bp, Adam *opt, const GenTrainConfig *c, FILE *log,
               Progress *prog, GenTrainResult *r)
{
    memset(r, 0, sizeof *r);
    BnStat bs;
    bnstat_init(&bs, teacher, c->batch);
    StepBufs s;
    bufs_new(&s, g, teacher, c->batch, 1);
    Rng rng;
    rng_seed(&rng, c->seed);
    double t0 = now_seconds();
    float lr0 = opt->lr;
    for (int e = 1; e <= c->epochs; e++) {
        if (c->lr_decay) opt->lr = e > 15 ? lr0 * 0.2f : lr0;   /* MultiStepLR([15], 0.2), stepped per epoch */
        long correct = 0;
        double ce_sum = 0, bns_sum = 0;
        for (int it = 0; it < c->iters; it++) {
            double ce, bns;
            correct += gen_step(g, teacher, bp, &bs, opt, &s, &rng, c->batch, 1, 0, NULL, c->bns_weight, &ce, &bns);
            ce_sum += ce;
            bns_sum += bns;
            if (prog) progress_update(prog, (long)(e - 1) * c->iters + it + 1);
        }
        r->gen_acc = 100.0 * (double)correct / ((double)c->iters * c->batch);
        r->ce = ce_sum / c->iters;
        r->bns = bns_sum / c->iters;
        r->seconds = now_seconds() - t0;
        if (log) {
            fprintf(log, "train\t%d\t%.4f\t%.6g\t%.6g\t-\t-\t-\t%.2f\n", e, r->gen_acc, r->ce, r->bns, r->seconds);
            fflush(log);
        }
    }
    opt->lr = lr0;
    bufs_free(&s);
    bnstat_free(&bs);
}

void gen_pseudo_set(Generator *g, Rng *rng, int n, int batch, float *x, int *y)
{
    size_t per = (size_t)g->channels * g->img * g->img;
    float *z = xmalloc((size_t)batch * g->latent * sizeof(float));
    for (int i = 0; i < n; i += batch) {
        int m = n - i < batch ? n - i : batch;
        gen_sample(g, rng, m, 1, y + i, z, NULL);
        memcpy(x + per * (size_t)i, gen_forward(g, z, y + i, m), per * (size_t)m * sizeof(float));
    }
    free(z);
}

void gen_adjust(Generator *g, Net *teacher, Backprop *bp, Adam *opt, const AdjustConfig *c, FILE *log, AdjustResult *r)
{
    memset(r, 0, sizeof *r);
    int n = c->pseudo_batches * c->batch;
    size_t per = shape_numel(teacher->input);
    float *x = xmalloc(per * (size_t)n * sizeof(float));
    int *y = xmalloc((size_t)n * sizeof(int));
    BnStat bs;
    bnstat_init(&bs, teacher, c->batch);
    StepBufs s;
    bufs_new(&s, g, teacher, c->batch, c->multi > 1 ? c->multi : 1);
    Rng rng;
    rng_seed(&rng, c->seed);
    NetTargetCtx tc = {teacher, bp};
    AttackTarget tg = attack_target_net(&tc);
    int org_bound = 3, bound = 1, tol = 0;
    double t0 = now_seconds();
    for (;;) {
        gen_pseudo_set(g, &rng, n, c->batch, x, y);
        AttackResult rf, rp;
        uint64_t es = c->seed + 7919u * (uint64_t)(r->evaluations + 1);
        attack_run_images(&tg, x, y, n, &c->fgsm, &c->bounds, es, &rf, NULL);
        attack_run_images(&tg, x, y, n, &c->pgd, &c->bounds, es, &rp, NULL);
        r->evaluations++;
        r->org = rf.clean_acc;
        r->fgsm = rf.adv_acc;
        r->pgd = rp.adv_acc;
        if (tol > 300) { org_bound++; bound++; tol = 0; }
        else tol++;
        double d_org = r->org - c->t_org, d_pgd = r->pgd - c->t_pgd;
        int multi = 0, adv = 0, stop = 0;
        if (d_org < -org_bound) adv = d_pgd < -bound;
        else if (d_pgd < -bound) adv = 1;
        else if (d_pgd > bound) multi = 1;
        else stop = 1;
        if (!stop && c->cap > 0 && r->iters >= c->cap) { r->cap_hit = 1; stop = 1; }
        const char *decision = stop ? (r->cap_hit ? "cap" : "stop") : multi ? "multi" : adv ? "single+adv" : "single";
        double ce = NAN, bns = NAN;
        if (!stop) {
            gen_step(g, teacher, bp, &bs, opt, &s, &rng, c->batch, multi ? c->multi : 1, adv, c, c->bns_weight, &ce, &bns);
            r->iters++;
        }
        if (log) {
            fprintf(log, "adjust\t%d\t%.4f\t", r->evaluations, r->org);
            if (stop) fputs("-\t-\t", log);
            else fprintf(log, "%.6g\t%.6g\t", ce, bns);
            fprintf(log, "%.4f\t%.4f\t%s\t%.2f\n", r->fgsm, r->pgd, decision, now_seconds() - t0);
            fflush(log);
        }
        if (stop) break;
    }
    r->org_bound = org_bound;
    r->bound = bound;
    r->seconds = now_seconds() - t0;
    bufs_free(&s);
    bnstat_free(&bs);
    free(x);
    free(y);
}
