/* ptq.h — post-training quantization of a network (spec ptq-engine §2–§4).
 *
 * A QNet wraps a full-precision Net for one quantization format.  Life cycle, as in the
 * reference: qnet_new (folds BN into the convs with the running statistics, §3.3/§3.7) ->
 * qnet_calibrate on N batches (fake-quantized forward in eval mode; observers widen) ->
 * qnet_freeze (weights and biases to codes, requantization multipliers M) ->
 * qnet_infer (integer-domain simulation on codes; returns dequantized logits) ->
 * qnet_param_* (fakefrozen parameters s_w*W_code, s_i*s_w*b_code against the BN-folded
 * full-precision ones, for the similarity metrics).
 *
 * Observers (QParam, symmetric, per tensor): every conv/linear has qw and qo, the network's
 * first conv also qi (it sees the normalized image); avgpool, add and concat have qo;
 * relu, relu6, maxpool, flatten, dropout pass their input's quantizer through.  A tensor's
 * scale is the scale of the observer of its producer (the reference's freeze wiring, §3.1).
 *
 * Defaults follow the quirk policy (§0, §6): definitional quirks as the reference; defects
 * corrected.  PtqOptions.compat turns on every reference behaviour at once:
 *   Q5  ties of POT/FLOAT rounding: toward zero (default) | CPython set order (compat)
 *   Q6  INT requantization saturates at ±qmax (default) | unbounded (compat)
 *   Q7  code accumulation exact in binary64 (default) | f32 (compat)
 *   Q9  add/concat observers see the real output (default) | the last input (compat)
 *   JS  evaluated in binary64 (default) | f32 (compat)
 * Options beyond the reference: per_channel weight scales (one qw per output channel);
 * asym_act, affine activation observers with a zero point (codes stay centred on it, so
 * the integer-domain inference is unchanged apart from the shifted rounding grid).
 */
#ifndef MTA_PTQ_H
#define MTA_PTQ_H

#include "nn/net.h"
#include "nn/target.h"
#include "quant/quant.h"
#include "quant/similarity.h"

typedef struct {
    int compat;            /* all reference behaviours (sets the four below) */
    TiePolicy tie;         /* Q5 */
    int int_no_clamp;      /* Q6 */
    int accum_f32;         /* Q7 */
    int observe_last;      /* Q9 */
    SimPrecision js_prec;  /* JS evaluation */
    int per_channel;       /* per-output-channel weight scales (not in the reference) */
    int force_f64;         /* tests: binary64 accumulation even where f32 sums are provably exact */
    int asym_act;          /* asymmetric (affine) activation observers qi/qo, weights stay
                            * symmetric (not in the reference; see QParam.asym) */
} PtqOptions;

/* Defaults, or the reference's behaviours when compat != 0. */
PtqOptions ptq_options(int compat);

typedef struct QNet QNet;

/* Does a node of this kind become a quantized layer (weights with observers, an output
 * observer: conv and linear)?  From the quantized op table (quant/qops.c). */
int qop_is_layer(OpKind op);

/* Quantized twin of net for format spec (INT/POT/FLOAT) with options o.  net keeps the
 * full-precision parameters and must have activation buffers (net_alloc_acts); the QNet
 * borrows it (and its buffers) and must be freed before it. */
QNet *qnet_new(Net *net, QuantSpec spec, const PtqOptions *o);
void qnet_free(QNet *q);
/* One calibration batch x (n, input). */
void qnet_calibrate(QNet *q, const float *x, int n);
void qnet_freeze(QNet *q);
/* Quantized inference of x (n, input) after freeze: dequantized logits (n, classes), owned
 * by the QNet (valid until the next call). */
const float *qnet_infer(QNet *q, const float *x, int n);
/* The attacks' view of a calibrated (not frozen) QNet, qnet_grad.c: the fake-quantized forward
 * of calibration with the observers' ranges fixed (the default of the robustness sweep;
 * qnet_calibrate on the attacked batches is the reference's range-updating variant), and the
 * straight-through gradient of mean CE through it (every fake-quantizer passes the gradient
 * unchanged; the layers use their fake-quantized BN-folded weights).  bp: backprop_new on the
 * QNet's net for at least n samples, made before qnet_new (it reallocates the activations);
 * its max-pool index buffers record the forward.  Returns the logits (owned by the net) / the
 * mean loss, with dx (n, input). */
const float *qnet_fake_forward(QNet *q, Backprop *bp, const float *x, int n);
/* update 1: the attack forward keeps widening the observers on what it sees, the reference's
 * behaviour (spec §3.3 quirk; `--compat reference`); 0 (default): the calibrated ranges. */
void qnet_set_attack_ranges(QNet *q, int update);
/* The quantized network as an attack target (nn/target.h): the two functions above; ctx holds
 * the QNet and bp (borrowed), max_batch = bp's. */
typedef struct { QNet *q; Backprop *bp; } QnetTargetCtx;
AttackTarget qnet_attack_target(QnetTargetCtx *ctx);
double qnet_input_gradient(QNet *q, Backprop *bp, const float *x, const int *y, int n, float *dx);

/* The gradient of mean CE(y) w.r.t. the compared parameters (qnet_param order: each conv /
 * linear's BN-folded weight, then its bias), accumulated (+=) into g[p] (qnet_param(q, p).numel
 * floats each), for a calibrated, not frozen QNet.  fake 1: the straight-through gradient of
 * the fake-quantized forward with the calibrated ranges fixed (the attacks' forward; the
 * gradient w.r.t. a fake-quantized weight is taken as the one w.r.t. the weight); fake 0: the
 * full-precision network in eval mode (BN with its running statistics, i.e. folded), so both
 * gradients are w.r.t. the same parameters.  bp as for qnet_input_gradient; logits (n, classes)
 * receives the forward's output when non-NULL.  Returns the mean loss (spec
 * training-generator-robustness §6.1's gradient probe, quant/grad_sim.h). */
double qnet_param_gradient(QNet *q, Backprop *bp, const float *x, const int *y, int n, int fake, float *const *g,
                           float *logits);

/* The observer that sets the scale of tensor t (its producer's qo, passed through
 * relu/pool/flatten), or NULL. */
QParam *qnet_observer_for_tensor(QNet *q, int t);

/* Observer access by name ("q_conv0.qi", "q_conv0.qw", "q_fc8.qo", "q_ml0_blk0_add0.qo",
 * "q_aap6.qo"); NULL if none.  Tests may overwrite min/max/scale before qnet_freeze. */
QParam *qnet_observer(QNet *q, const char *name);
/* Recompute an observer's scale after its min/max were set. */
void qnet_observer_rescale(QNet *q, QParam *p);

/* Compared parameters after freeze, in module order: for each conv/linear its weight then
 * its bias.  qnet_param_count() of them; for parameter i: the name ("conv0.weight"), node,
 * rank/shape, the fakefrozen values and the BN-folded full-precision values. */
int qnet_param_count(const QNet *q);
/* The same count for any quantized twin of net, without building one. */
int qnet_compared_params(const Net *net);
typedef struct {
    const char *name;
    int node, rank, shape[4];
    size_t numel;
    const float *quant, *full;
} QParamView;
QParamView qnet_param(const QNet *q, int i);

#endif
