/* lm_quant.h — the reference's post-training fake quantization of a language model
 * (PTB_LSTM/module.py, spec §5.5) and the 43-configuration sweep over it.
 *
 * Observers (QParam, quant.h), one per tensor role, all symmetric per-tensor:
 *   embedding   qw (the weight), qo (the looked-up output)
 *   lstm        qwih, qwhh (the whole matrices, no per-gate split); qih, qic (state=in lstm
 *               only: the incoming h0 and c0, and only when a state is supplied — the first
 *               chunk of a pass has none); qox (the output sequence), qoh, qoc (final h, c)
 *   linear      qw (a tied weight is the embedding's tensor: the same range and scale),
 *               qo (the logits)
 * Biases stay float; the recurrence runs in float (no quantization inside the time loop).
 * Calibration: every forward over the validation stream widens each observer by what it
 * sees, then fake-quantizes with the updated scale (quantize_forward); evaluation reuses the
 * calibrated scales without updates (quantize_inference).  Both passes start with no state.
 */
#ifndef MTA_LM_QUANT_H
#define MTA_LM_QUANT_H

#include <stdio.h>

#include "nn/lm.h"
#include "quant/quant.h"
#include "nn/lm_stream.h"

struct ThreadPool;

enum { LMQ_W, LMQ_W2, LMQ_IH, LMQ_IC, LMQ_OX, LMQ_OH, LMQ_OC, LMQ_NROLES };
/* Role names as the reference's attributes, per node kind: "qw", "qwih", "qih", "qo"/"qox" ... */
const char *lm_quant_role_name(const LmNet *m, int node, int role);

typedef struct {
    const LmNet *m;
    QuantSpec spec;
    TiePolicy tie;
    QParam (*q)[LMQ_NROLES];  /* per node; owned */
    float *wq;                /* the parameter block with every weight fake-quantized; owned */
    int calibrating;
} LmQuant;

void lm_quant_init(LmQuant *lq, const LmNet *m, QuantSpec spec, TiePolicy tie);
void lm_quant_free(LmQuant *lq);
/* The tap that fake-quantizes (and, while calibrating, observes) activations and states. */
LmTap lm_quant_tap(LmQuant *lq);

typedef struct {
    int eval_batch, bptt;
    TiePolicy tie;
    const char *configs;      /* comma list of titles or NULL for all 43 */
    int quiet;
} LmSweepConfig;

/* One row per configuration: full_ppl, ptq_ppl, ppl_ratio = ptq/full, js_flops, js_param
 * (JS of every LSTM and linear parameter, FP vs fake-quantized, weighted by the layer's MAC
 * and parameter shares in percent as the CNN sweep's columns).  Writes the TSV to out
 * atomically; returns 0 or dies on I/O errors. */
void lm_sweep(const LmNet *m, const int32_t *valid, size_t nvalid, const int32_t *test, size_t ntest,
              const LmSweepConfig *sc, const char *out, struct ThreadPool *pool);

/* The MAC and parameter share (percent) of node i among the lstm and linear nodes, the
 * reference's ptflops counting (spec §5.6): embedding 0. */
void lm_shares(const LmNet *m, int node, double *mac_pct, double *param_pct);

#endif
