/* sweep.h — the PTQ experiment: quantize a trained network in every configuration,
 * measure accuracy and how far its parameters (and activations) moved, write the tables
 * (spec ptq-engine §4).
 *
 * Output table (TSV, one row per configuration in spec order):
 *   title quant bits ebits full_acc ptq_acc acc_loss js_flops js_flops_wt_log
 *   js_flops_wt_cbrt js_param, then for every other metric M of similarity.h its FLOP- and
 *   parameter-weighted sums M_flops M_param, then the activation metrics logit_sqnr_db
 *   (quantized vs full-precision logits on the first calibration batch) and
 *   act_sqnr_db_flops (FLOP-weighted SQNR of every conv/linear output), and seconds.
 * How the weighted columns are formed, with s_l the folded share of layer l in percent
 * (`mta stats`: flop_pct / par_pct of the per-layer table, summing to a little under 100) and
 * v_p the metric of compared parameter p (a layer's weight and its bias each get the layer's
 * whole share, the reference's 1:1):
 *   divergences and errors (js, js_hist, kl, mse, rel_l2):  M_flops = sum_p v_p * s_l(p), as the
 *     reference's js_flops (its fits use that scale);
 *   levels (sqnr_db in dB, cosine in [-1, 1]):  M_flops = sum_p v_p * s_l(p) / sum_p s_l(p), the
 *     share-weighted mean over the compared parameters, so the column keeps the metric's unit;
 *   act_sqnr_db_flops = sum_l SQNR_l * s_l / sum_l s_l over the conv/linear outputs, likewise;
 *   M_param the same with the parameter shares;  js_flops_wt_log = js_flops * log10(MAC/1e6),
 *   js_flops_wt_cbrt = js_flops * (MAC/1e6)^(1/3) (MAC of the whole model).
 * Per-layer table: title layer param numel flop_pct par_pct and every metric.
 * While running, both tables grow in "<out>.partial" / "<layers>.partial" (rewritten
 * atomically after every configuration); a rerun with the same settings resumes from the
 * rows there, after validating them: the settings line and both headers must be equal, and
 * each kept row complete (ending in a newline), with the header's field count, a configuration
 * among --configs in canonical order, numbers in every numeric field, and all its per-layer
 * rows complete and well-formed.  The first row that fails, and everything after it, is
 * recomputed (stderr says how many rows were dropped and why).  At the end the final tables
 * are written and the partials removed.
 */
#ifndef MTA_SWEEP_H
#define MTA_SWEEP_H

#include <stdint.h>

#include "io/augment.h"
#include "io/data.h"
#include "nn/net.h"
#include "quant/qnet.h"

typedef struct {
    const char *ckpt;          /* for the settings line */
    int configs[64], n_configs; /* indices into quant_configs */
    int calib_batches, batch;
    int select_first;          /* calibration/eval images in index order instead of seeded */
    int calib_augment;
    AugmentConfig calib_aug;   /* its crop padding and flip (the checkpoint's training settings) */
    long limit;                /* evaluated test images (0: all) */
    uint64_t seed;
    PtqOptions opt;
    const char *out, *layers;
    int quiet;
    int stop_after;            /* > 0: stop after computing this many configurations, leaving the
                                  partial tables as an interrupted run would (tests) */
} SweepConfig;

/* Run the sweep on net (trained, threads set, buffers allocated for sc->batch) and ds
 * (normalization already the checkpoint's).  Dies on I/O errors. */
void sweep_run(Net *net, const Dataset *ds, const SweepConfig *sc);
/* The sweep's calibration images: the first n (at most the split's size) of the training
 * split, shuffled by r unless select_first.  *out is allocated; returns the count.  The sweep
 * draws them first from an Rng seeded with its seed, so the same seed gives the same images. */
int sweep_calib_images(const Dataset *ds, struct Rng *r, int select_first, int n, int **out);
/* "INT_8,POT_4,..." or "all" (NULL) -> sc->configs in the spec's order; dies naming the flag
 * --configs on an unknown or repeated title. */
void sweep_parse_configs(const char *s, SweepConfig *sc);
/* Calibrate q (not frozen: the fake-quantized forward of the attacks) on nb batches of the
 * seeded training images the sweep calibrates on with the same seed and batch. */
void sweep_calibrate_seeded(QNet *q, const Net *net, const Dataset *ds, int nb, int batch, uint64_t seed);

#endif
