/* sample_size.h — how many unlabelled images the label-free predictors need (issue 12's
 * sample-size study; experiments/prediction.md).
 *
 * For each configuration the network is quantized and calibrated exactly as the PTQ sweep does
 * with the same seed and batch (so it is the very quantized network whose acc_loss the sweep
 * measured), then it and the full-precision network are run on a pool of unlabelled training
 * images that the calibration did not see: the images after the calibration ones in the sweep's
 * seeded order.  The pool is shuffled (seeded) and cut into disjoint draws of N images, for
 * every N of the sizes; a size gets min(draws, pool / N) draws.  Each draw gives the label-free
 * output metrics on its N images alone: agree_top1 (percent of images whose top-1 class is the
 * full-precision one's), kl_fp_q (mean KL(P_fp || P_q) of the softmax outputs, nats) and
 * logit_sqnr_db (SQNR of the quantized logits against the full-precision ones, pooled over the
 * draw's images).
 *
 * Table (TSV): title quant bits ebits n draw agree_top1 kl_fp_q logit_sqnr_db. */
#ifndef MTA_SAMPLE_SIZE_H
#define MTA_SAMPLE_SIZE_H

#include "io/data.h"
#include "nn/net.h"
#include "quant/sweep.h"

#define SS_MAX_SIZES 16

typedef struct {
    int pool;                      /* unlabelled images after the calibration ones */
    int sizes[SS_MAX_SIZES], n_sizes;
    int draws;                     /* at most this many disjoint draws per size */
} SampleSizeConfig;

/* "32,128,512" -> ss->sizes (ascending, distinct, each >= 1); dies naming --sizes. */
void ss_parse_sizes(const char *s, SampleSizeConfig *ss);
/* The draws a size gets from the pool. */
int ss_draws_of(const SampleSizeConfig *ss, int n);
/* Run the study for sc's configurations (calibration: sc->calib_batches x sc->batch seeded
 * training images, as the sweep; net's buffers allocated for sc->batch) and write the table to
 * out (atomically).  Dies when the training split has fewer than calibration + pool images. */
void ss_run(Net *net, const Dataset *ds, const SweepConfig *sc, const SampleSizeConfig *ss, const char *out);

#endif
