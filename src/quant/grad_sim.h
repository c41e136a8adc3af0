/* grad_sim.h — the gradient-similarity probe (spec training-generator-robustness §6.1–§6.2, the
 * reference's AlexNet/qat.py and loss_grad.py as they were meant; issue 12's label-free tier).
 *
 * How far does the training gradient of the quantized network point away from the
 * full-precision one?  Both start from the trained checkpoint (the reference's qat.py started
 * both untrained); the gradients are of the same images and the same loss: mean cross-entropy
 * against the full-precision network's own top-1 classes (so no label is read), w.r.t. the
 * BN-folded weights and biases of every conv and linear layer.  The quantized network is
 * quantized and calibrated exactly as the PTQ sweep does (same seed, batch and images, so it is
 * the network whose acc_loss the sweep measured); its gradient is the straight-through one of
 * its fake-quantized forward with the calibrated ranges fixed (qnet_param_gradient).  Nothing is
 * trained: the probe is the gradient at the checkpoint, summed over the first `images`
 * calibration images in batches of the sweep's size (the reference's per-epoch mean gradient,
 * with its three bugs -- shared optimiser, accumulated gradients, gradients of another epoch --
 * gone).
 *
 * Table (TSV), one row per configuration:
 *   title quant bits ebits images fp_xent q_xent grad_js_flops grad_cos_flops grad_sqnr_db
 * fp_xent / q_xent: the mean loss of each network against the pseudo-labels (nats);
 * grad_js_flops = sum over the compared parameters of flop% x JSn(g_q, g_fp), the reference's
 *   js_grad: JSn = JS of the two gradients after dividing every vector along the last axis by
 *   max(L2 norm, 1e-12), the softmax axis of the reference's JS (similarity.h); a layer's weight
 *   and bias each get its full MAC percentage;
 * grad_cos_flops: the cosine of g_q and g_fp per parameter, averaged with the MAC shares;
 * grad_sqnr_db = 10 log10(|g_fp|^2 / |g_q - g_fp|^2) over all compared parameters at once. */
#ifndef MTA_GRAD_SIM_H
#define MTA_GRAD_SIM_H

#include "io/data.h"
#include "nn/net.h"
#include "quant/sweep.h"

/* JSn(a, b) of the probe: both L2-normalized along their last axis, then similarity.h's JS. */
double grad_jsn(const float *a, const float *b, int rank, const int *shape);

/* One configuration's row of the table. */
typedef struct {
    double fp_xent, q_xent, js_flops, cos_flops, sqnr_db;
} GradSimRow;

/* The probe for sc's configurations on the first `images` (1 .. calib_batches x batch)
 * calibration images: rows[0 .. n_configs).  bp: train/backprop.h's backprop_new(net, B) with
 * B >= sc->batch, made after net's activations were allocated for at least sc->batch (a QNet
 * borrows both).  progress: show a progress line. */
void gs_compute(Net *net, Backprop *bp, const Dataset *ds, const SweepConfig *sc, int images, int progress,
                GradSimRow *rows);
/* gs_compute, then the table written to out (atomically). */
void gs_run(Net *net, Backprop *bp, const Dataset *ds, const SweepConfig *sc, int images, const char *out);
/* The value of a table column ("grad_js_flops", "grad_cos_flops", "grad_sqnr_db", "fp_xent",
 * "q_xent") of a row; NAN for another name. */
double gs_value(const GradSimRow *r, const char *column);

#endif
