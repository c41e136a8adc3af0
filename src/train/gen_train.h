/* gen_train.h — training the data-free generator from a classifier alone (spec §2.5) and the
 * adjust loop that tunes it until pseudo data scores like the test set (§2.6).
 *
 * Training: `epochs` x `iters` Adam steps (betas 0.5, 0.999) on single-label batches, loss
 * CE + 0.1 BNS through the teacher in eval mode (train/bnstat.h); "Gen acc" per epoch = the
 * share of generated samples the teacher assigns their sampled label, counted on each step's
 * images before its update.  The reference creates a MultiStepLR (epoch 15, gamma 0.2) and
 * never steps it (quirk 4): the lr is constant unless lr_decay is set.
 *
 * Adjust: with the test-set targets T_org, T_pgd (accuracies in percent on the real test
 * images, same attacks), repeat: a fresh pseudo set (pseudo_batches x batch single-label
 * images) scored clean / FGSM / PGD; the bounds (org 3, pgd 1) widen by 1 after every 302
 * evaluations; d_org = A_org - T_org, d_pgd = A_pgd - T_pgd;
 *   d_org < -org_bound -> a single-label step, adversarial when d_pgd < -bound
 *   d_pgd < -bound      -> a single-label step with the adversarial term
 *   d_pgd > bound       -> a multi-label step (M labels, soft targets)
 *   otherwise stop.
 * The adversarial term is 0.5 CE(f(x_adv)) with x_adv = PGD of the (detached) batch, its
 * gradient passed to the generator as if x_adv were x (quirk 12).  FGSM is scored and
 * reported, never used.  The reference has no iteration cap; `cap` (> 0) stops after that
 * many generator updates and says so. */
#ifndef MTA_GEN_TRAIN_H
#define MTA_GEN_TRAIN_H

#include <stdint.h>
#include <stdio.h>

#include "base/progress.h"
#include "nn/net.h"
#include "train/adam.h"
#include "train/attack.h"
#include "train/generator.h"

typedef struct {
    int epochs, iters, batch;
    float bns_weight;      /* 0.1 */
    int lr_decay;          /* apply the MultiStepLR the reference creates (x0.2 from epoch 15) */
    uint64_t seed;
} GenTrainConfig;

typedef struct {
    double gen_acc;        /* last epoch's, percent */
    double ce, bns;        /* last epoch's means */
    double seconds;
} GenTrainResult;

/* Train g against teacher (bp = backprop_new(teacher, >= batch)); opt over g->p (adam_init by
 * the caller, kept for the adjust loop).  log: one TSV row per epoch (gen_log_header). */
void gen_train(Generator *g, Net *teacher, Backprop *bp, Adam *opt, const GenTrainConfig *c, FILE *log,
               Progress *prog, GenTrainResult *r);

typedef struct {
    int pseudo_batches, batch;   /* the pseudo set of one evaluation: 20 x 128 in the reference */
    int multi;                   /* labels per multi-label sample (2 for 10 classes, 10 for 100) */
    int cap;                     /* most generator updates; 0: none (the reference) */
    AttackSpec fgsm, pgd;
    AttackBounds bounds;
    float bns_weight, adv_weight;   /* 0.1, 0.5 */
    double t_org, t_fgsm, t_pgd;    /* the test-set targets, percent */
    uint64_t seed;
} AdjustConfig;

typedef struct {
    int iters;                   /* generator updates */
    int evaluations;
    int cap_hit;                 /* stopped by the cap, not the rule */
    double org, fgsm, pgd;       /* the last evaluation's pseudo-set accuracies */
    int org_bound, bound;        /* the bounds in force at the end */
    double seconds;
} AdjustResult;

void gen_adjust(Generator *g, Net *teacher, Backprop *bp, Adam *opt, const AdjustConfig *c, FILE *log,
                AdjustResult *r);

/* n single-label images from g in batches of `batch` (training-mode BN, as the reference
 * produces pseudo data), labels = the sampled ones: x (n, C, H, W), y (n). */
void gen_pseudo_set(Generator *g, Rng *rng, int n, int batch, float *x, int *y);

/* The log's header: phase, step, gen_acc, ce, bns, fgsm_acc, pgd_acc, decision, seconds. */
void gen_log_header(FILE *log);

#endif
