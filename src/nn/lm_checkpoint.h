/* lm_checkpoint.h — language models <-> safetensors checkpoints.
 *
 * Tensor names are the reference's state_dict names (embed1.weight, lstm3.weight_ih_l0, ...,
 * fc6.bias); a tied output weight is stored once, under the embedding's name (a PyTorch
 * export that also holds fc6.weight is accepted when it equals the embedding).  Metadata:
 *   format       "mta-lm/1"
 *   model_name, model_text, vocab, embed, hidden, dropout
 *   corpus       the corpus kind ("fortunes", "ptb"); corpus_rule  its tokenization, split
 *                and vocabulary rule (io/text.h); vocab_hash  FNV-1a 64 of the vocabulary
 *                (16 hex digits); vocab_words  the vocabulary, one word a line, in id order
 *   seed, epoch, lr, val_ppl, test_ppl, train_tokens, valid_tokens, test_tokens (trained)
 *   mta_version, compiler, blas, blas_kernel, threads   (base/env.h)
 */
#ifndef MTA_LM_CHECKPOINT_H
#define MTA_LM_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "nn/lm.h"

typedef struct {
    char corpus[16];
    char rule[256];
    uint64_t vocab_hash;
    char *vocab_words;      /* loaded: owned ('\n'-separated); saving: borrowed, may be NULL */
    uint64_t seed;
    int epoch;              /* > 0: the results below are set */
    double lr, val_ppl, test_ppl;
    size_t tokens[3];       /* train, valid, test */
    int threads;
} LmCkptInfo;

int lm_ckpt_save(const LmNet *m, const LmCkptInfo *info, const char *path, char *err, size_t errsz);
/* Load a checkpoint written by lm_ckpt_save.  Returns the model or NULL with a message. */
LmNet *lm_ckpt_load(const char *path, LmCkptInfo *info, char *err, size_t errsz);
void lm_ckpt_info_free(LmCkptInfo *info);
/* Does the safetensors file at path hold a language model (format mta-lm/1)?  0 on any error. */
int lm_ckpt_is_lm(const char *path);

#endif
