/* attack.h — adversarial attacks on a classifier: FGSM and PGD (L∞, untargeted, loss = mean
 * cross-entropy over the batch, advertorch semantics; spec training-generator-robustness §3.1),
 * through the input gradient of the eval-mode network (nn/net.h: Backprop.input_only: BN with
 * its running statistics, dropout off, no parameter gradients).
 *
 * The box and ε live in one of two spaces.  ATTACK_BOX_PIXEL (the default): ε, the PGD step
 * and the [0, 1] box are in pixel units, so in the normalized inputs the network sees they are
 * per channel ε/std_c, α/std_c and [(0 − mean_c)/std_c, (1 − mean_c)/std_c] -- what every
 * robustness library does.  ATTACK_BOX_NORMALIZED: ε, α and [0, 1] applied to the normalized
 * values themselves, the reference's quirk 10 (`--compat reference`), which clamps every
 * element outside [−ε, 1 + ε] to 0 or 1 whatever the gradient says.  ATTACK_CLIP is the
 * diagnostic that isolates that clamping: the input clipped into the box, no perturbation.
 *
 *   FGSM: x_adv = clip(x + ε sign(∇x CE), box)                    (sign(0) = 0)
 *   PGD:  δ ~ U(−ε, ε) (random start) or 0; δ = clip(x + δ, box) − x;
 *         steps times: δ += α sign(∇δ CE(x + δ)); δ = clip(δ, −ε, ε); δ = clip(x + δ, box) − x;
 *         x_adv = x + δ
 *
 * Random starts come from an Rng seeded per batch (seed, first image index), so the
 * adversarial inputs do not depend on the batch size's split over threads. */
#ifndef MTA_ATTACK_H
#define MTA_ATTACK_H

#include <stdint.h>

#include "base/progress.h"
#include "base/rng.h"
#include "io/data.h"
#include "nn/net.h"
#include "nn/target.h"   /* AttackTarget: what is attacked */

typedef enum { ATTACK_FGSM, ATTACK_PGD, ATTACK_CLIP } AttackKind;
typedef enum { ATTACK_BOX_PIXEL, ATTACK_BOX_NORMALIZED } AttackBox;

typedef struct {
    AttackKind kind;
    AttackBox box;
    float eps;          /* L∞ radius (pixel units for ATTACK_BOX_PIXEL) */
    float alpha;        /* PGD step, same units */
    int steps;          /* PGD iterations */
    int random_start;   /* PGD: start from U(−ε, ε) */
} AttackSpec;

/* The per-channel bounds of an attack in the normalized space the network sees. */
typedef struct {
    int channels;
    float eps[3], alpha[3], lo[3], hi[3];
} AttackBounds;

const char *attack_kind_name(AttackKind k);   /* "fgsm", "pgd", "clip" */
const char *attack_box_name(AttackBox b);     /* "pixel", "normalized" */
/* Parse a name; -1 when unknown. */
int attack_kind_parse(const char *s);
int attack_box_parse(const char *s);

/* The bounds for inputs normalized as (pixel − mean_c) / std_c. */
void attack_bounds(const AttackSpec *a, const float *mean, const float *std, int channels, AttackBounds *b);

/* ∂ mean CE(f(x), y) / ∂x of the eval-mode network at x (n <= bp->max_batch samples) into dx;
 * returns the mean loss.  bp from backprop_new; this sets its input_only and want_input_grad. */
double attack_input_gradient(Net *net, Backprop *bp, const float *x, const int *y, int n, float *dx);

/* The eval-mode network as a target (ctx holds net and bp, both borrowed). */
typedef struct { Net *net; Backprop *bp; } NetTargetCtx;
AttackTarget attack_target_net(NetTargetCtx *ctx);

/* The adversarial version of x (n samples, labels y) into x_adv. */
void attack_batch(const AttackTarget *t, const AttackSpec *a, const AttackBounds *b, const float *x, const int *y,
                  int n, float *x_adv, Rng *rng);

/* PGD from the given start δ0 (n samples; clipped into the box first) instead of a random one. */
void attack_pgd_from(const AttackTarget *t, const AttackSpec *a, const AttackBounds *b, const float *x, const int *y,
                     int n, const float *delta0, float *x_adv);

typedef struct {
    int images;
    double clean_acc, adv_acc;   /* percent */
    double max_linf;             /* largest |x_adv − x| over every element, in normalized units */
    int outside_box;             /* elements of x_adv outside the box, or (FGSM, PGD) farther than
                                    ε from the input clipped into the box (must be 0) */
} AttackResult;

/* Clean and adversarial top-1 accuracy of the target on images idx[0..n) of the test split, in
 * batches of t->max_batch images (each batch's random start seeded from seed and its first
 * index).  prog may be NULL. */
void attack_run(const AttackTarget *t, const Dataset *ds, const int *idx, int n, const AttackSpec *a, uint64_t seed,
                AttackResult *r, Progress *prog);
/* The same on n images already normalized, x (n, input) with labels y (pseudo data from the
 * generator), in batches of t->max_batch; batch i's random start is seeded from seed and i. */
void attack_run_images(const AttackTarget *t, const float *x, const int *y, int n, const AttackSpec *a,
                       const AttackBounds *b, uint64_t seed, AttackResult *r, Progress *prog);

#endif
