/* lm_train.h — the reference's language-model recipe (PTB_LSTM/train.py, spec §5.3):
 * truncated-BPTT chunks (nn/lm_stream.h), hand SGD with global gradient-norm clipping, lr ÷ 2.5
 * when validation loss does not improve, best checkpoint by validation loss. */
#ifndef MTA_LM_TRAIN_H
#define MTA_LM_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "nn/lm.h"
#include "nn/lm_checkpoint.h"
#include "nn/lm_stream.h"

struct ThreadPool;

typedef struct {
    int epochs, batch, eval_batch, bptt;
    double lr, clip, lr_decay, lr_min;   /* 22, 0.25, 2.5, 1e-4 in the reference */
    long train_limit;         /* use at most this many training tokens (0: all) */
    uint64_t seed;
    const char *out;          /* best checkpoint */
    const char *log;          /* per-epoch TSV or NULL */
    int quiet;
    int threads;
} LmTrainConfig;

/* Train m in place (parameters initialized) on the token streams; on return m holds the
 * best weights and info the epoch, lr, validation and test perplexity. */
void lm_train_run(LmNet *m, const int32_t *train, size_t ntrain, const int32_t *valid, size_t nvalid,
                  const int32_t *test, size_t ntest, const LmTrainConfig *tc, LmCkptInfo *info,
                  struct ThreadPool *pool);

#endif
