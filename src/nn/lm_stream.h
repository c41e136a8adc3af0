/* lm_stream.h — a language model over a token stream (spec §5.1, §5.4): the reference's
 * batchify and get_batch, and its evaluate (mean per-token cross-entropy, state carried). */
#ifndef MTA_LM_STREAM_H
#define MTA_LM_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "nn/lm.h"

struct ThreadPool;

/* batchify(data, bsz): the first floor(n / B) * B tokens as a (T, B) time-major matrix whose
 * column j is the j-th contiguous slice of the stream. */
typedef struct { int32_t *m; int T, B; } LmBatches;
void lm_batchify(const int32_t *ids, size_t n, int B, LmBatches *out);
void lm_batches_free(LmBatches *b);
/* Chunk starting at row i (i = 0, bptt, 2 bptt, ... < T - 1): seq_len = min(bptt, T - 1 - i);
 * input rows i .. i+seq_len-1 into in (seq_len, B), targets rows i+1 .. i+seq_len into tg. */
int lm_get_batch(const LmBatches *b, int i, int bptt, int32_t *in, int32_t *tg);

/* Mean per-token cross-entropy over a stream (the reference's evaluate: eval mode, the state
 * starting as `zero_state` ? zeros-supplied : none, carried between chunks).  weights: the
 * parameter block (m->pdata or a fake-quantized copy); tap may be NULL. */
double lm_evaluate(const LmNet *m, const float *weights, const LmBatches *b, int bptt, int zero_state,
                   const LmTap *tap, struct ThreadPool *pool);

#endif
