/* noise_model.h — the data-free analytic noise model of a quantized network (issue 12, tier
 * data-free; experiments/prediction.md): no image is run, only the parameters and the BN
 * running statistics are read.
 *
 * Per conv/linear layer l:
 *   weights      w_nsr_l = |W' - Q(W')|^2 / |W'|^2, W' the BN-folded weight (as the quantized
 *                network folds it), Q the format with the per-tensor symmetric scale
 *                max|W'| / qmax (exact: the quantizer itself is applied);
 *   activations  for a layer with BN, channel c of its output is modelled as a Gaussian
 *                N(beta_c, gamma_c^2) (BN's output distribution when its running statistics
 *                are the batch's) passed through the fused activation (ReLU: rectified,
 *                ReLU6: also capped at 6).  The observer's range is estimated as the largest
 *                over the channels of the activation of beta_c + k |gamma_c|, with k the
 *                Gaussian quantile of 1 - 1/n_obs (n_obs = calibration images x the output's
 *                positions: the expected maximum of that many draws); a_nsr_l = sum_c
 *                E[(a - Q(a))^2] / sum_c E[a^2], both by quadrature over the Gaussian
 *                (NM_QUAD points on beta +- 8 |gamma|; the ReLU's mass at 0 has no error).
 *                A layer without BN (no statistics) contributes no activation term.
 *   The relative noises add up through the network (each layer passes its input's
 *   noise-to-signal ratio on unchanged, independent noises): the predicted output SQNR is
 *   -10 log10(sum_l (w_nsr_l + a_nsr_l)); cum_sqnr_db of layer l is the same sum up to l in
 *   node order.  Not modelled: the input image quantizer, pooling and merge requantization,
 *   the bias format, noise amplification or attenuation by the layers. */
#ifndef MTA_NOISE_MODEL_H
#define MTA_NOISE_MODEL_H

#include "nn/net.h"
#include "quant/quant.h"

#define NM_QUAD 4096

typedef struct {
    int node;                 /* index in net->nodes */
    int has_stats;            /* BN statistics: an activation term */
    double w_nsr, a_nsr;      /* noise-to-signal ratios (linear) */
    double a_max;             /* the estimated observer range of its output */
    double cum_sqnr_db;       /* predicted SQNR of the output, all layers up to this one */
} NmLayer;

typedef struct {
    int n_layers, n_stats;
    double w_nsr, a_nsr;      /* sums over the layers */
    double sqnr_db, w_sqnr_db, a_sqnr_db;   /* -10 log10 of the total, the weights', the activations' */
} NmTotal;

/* The Gaussian quantile Phi^-1(p), 0 < p < 1 (Acklam's rational approximation, refined by one
 * Halley step: |error| < 1e-13). */
double nm_normal_quantile(double p);

/* E[(a - Q(a))^2] (*noise) and E[a^2] (*power) for a = act(x), x ~ N(mu, sigma^2), fake-quantized
 * in format s with symmetric scale `scale` (> 0), rounding ties toward zero. */
void nm_gauss_noise(const QuantSpec *s, float scale, double mu, double sigma, Act act, double *noise, double *power);

/* Every conv/linear layer of net in format s (layers: n_nodes entries, filled for those layers in
 * node order; returns their count) and the totals; n_images: the calibration images the observer
 * would see. */
int nm_network(const Net *net, const QuantSpec *s, double n_images, NmLayer *layers, NmTotal *tot);

#endif
