/* bnstat.h — the BN-statistics loss of the data-free generator (spec §2.4): for a batch run
 * through the teacher in eval mode, at every BatchNorm layer l (in forward order) the batch
 * mean mu_l and biased variance s2_l of the layer's input against its running statistics:
 *
 *   BNS = (1/L) sum_l [ mean_c (mu_l[c] - RM_l[c])^2 + mean_c (s2_l[c] - RV_l[c])^2 ]
 *
 * and its gradient w.r.t. each BN input, handed to the teacher's input-only backward through
 * Backprop.pre_grad (nn/net.h).  A network without BN (AlexNet) has L = 0 and BNS = 0
 * (the reference's 0/0 = NaN is gradient-neutral, quirk 8). */
#ifndef MTA_BNSTAT_H
#define MTA_BNSTAT_H

#include "nn/net.h"

typedef struct {
    Net *net;
    int L;              /* BN layers */
    int *nodes;         /* their nodes, forward order (owned) */
    float **pre_grad;   /* n_nodes entries; a max_batch buffer at each BN node (owned) */
} BnStat;

void bnstat_init(BnStat *s, Net *net, int max_batch);
void bnstat_free(BnStat *s);
/* After net_forward_train with bp->tb.keep_pre (eval mode) on n samples: BNS, and
 * weight * dBNS/dX_l into s->pre_grad. */
double bnstat_loss(BnStat *s, const Backprop *bp, int n, float weight);

/* The teacher's side of one generator step on images x (n): eval-mode forward, CE against
 * labels y (soft targets t instead when t != NULL), BN-statistics loss weighted bns_weight,
 * and dx = d(CE + bns_weight BNS)/dx.  Returns CE; *bns the BNS, *correct the samples whose
 * argmax equals y.  bp from backprop_new(net, >= n); dlogits n*classes floats. */
double teacher_gen_grad(Net *net, Backprop *bp, BnStat *s, const float *x, const int *y, const float *t, int n,
                        float bns_weight, float *dx, float *dlogits, double *bns, int *correct);

#endif
