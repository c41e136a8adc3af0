/* lm.h — word-level language models: token ids -> embedding -> LSTMs -> linear, per time step.
 *
 * Built from a model file (experiments/models/README.md, "Language models"): one line per
 * module, the line's position (0-based) naming it as the reference names its modules
 * (embed1, drop2, lstm3, lstm4, drop5, fc6 for PTB_LSTM.model):
 *
 *   tokens                         entry 0: the input word ids (no module)
 *   embedding dim=D                embed{i}.weight (vocab, D)
 *   dropout p=P                    drop{i}: inverted dropout in training, identity in eval
 *   lstm hidden=H state=in|prev    lstm{i}.weight_ih_l0 (4H, D_in), weight_hh_l0 (4H, H),
 *                                  bias_ih_l0, bias_hh_l0 (4H).  state=in: starts from the
 *                                  model's incoming state (the chunk's carried state, zeros
 *                                  when none); state=prev: from the final state of the lstm
 *                                  line before it, in the same chunk.  The model's outgoing
 *                                  state is the final state of its last lstm.  (The
 *                                  reference's wiring, quirk 17: lstm3 state=in, lstm4
 *                                  state=prev.)  All lstm lines have the same hidden size.
 *   linear out=vocab [tie=embed{j}] [bias=1]   fc{i}.weight (vocab, D_in), fc{i}.bias; with
 *                                  tie, the weight *is* embed{j}.weight (one parameter,
 *                                  D_in must equal its dim; stored once in checkpoints)
 *
 * Values may be numbers or the words vocab, embed, hidden, dropout, which take the values of
 * LmSizes (the profile's or the command line's sizes), so one file describes a family.
 * Sequences are time-major: ids (T, B), activations (T, B, D), logits (T·B, vocab).
 *
 * All parameters live in one float block (pdata), each named by its state_dict name.
 */
#ifndef MTA_LM_H
#define MTA_LM_H

#include <stddef.h>
#include <stdint.h>

#include "nn/lstm.h"

struct Rng;
struct ThreadPool;

typedef enum { LM_TOKENS, LM_EMBEDDING, LM_DROPOUT, LM_LSTM, LM_LINEAR } LmOp;

typedef struct {
    int vocab, embed, hidden;
    double dropout;
} LmSizes;

typedef struct {
    LmOp op;
    char name[32];          /* embed1, drop2, lstm3, fc6 ... */
    int line;               /* model-file line */
    int din, dout;          /* features in and out per token */
    float p;                /* dropout */
    int state_prev;         /* lstm: starts from the previous lstm's final state */
    int prev_lstm;          /* lstm: node index of the lstm before it (-1 if none) */
    int pw, pw2, pb, pb2;   /* parameter indices: embedding/linear weight (tied: the
                               embedding's), lstm w_ih, w_hh, b_ih, b_hh; -1 if absent */
    int tied;               /* linear: weight is the embedding's */
} LmNode;

typedef struct {
    char name[96];          /* state_dict name */
    int node;
    int rows, cols;         /* 2-D (rows, cols) or 1-D (rows, cols = 1) */
    int ndim;
    size_t off, numel;
} LmParam;

typedef struct {
    char model_name[64];
    char *model_text;       /* owned */
    LmSizes sizes;
    LmNode *nodes; int n_nodes;
    LmParam *params; int n_params;
    float *pdata; size_t pnumel;
    int hidden;             /* the (common) LSTM hidden size; 0 if no lstm */
    int n_lstm;
    int out_node;           /* the final linear node */
} LmNet;

/* Build from model text (path is for messages).  NULL with "path:line: what" in err. */
LmNet *lm_build(const char *path, const char *name, const char *text, const LmSizes *sizes,
                char *err, size_t errsz);
void lm_free(LmNet *m);
/* Is this model text a language model (its first op is `tokens`)? */
int lm_text_is_lm(const char *text);
int lm_find_param(const LmNet *m, const char *name);
static inline float *lm_param(const LmNet *m, int idx) { return idx < 0 ? NULL : m->pdata + m->params[idx].off; }

/* The reference's init (PTB_LSTM/model.py): embedding and untied linear weights U(-0.1, 0.1),
 * linear bias 0, LSTM tensors U(-1/sqrt(H), 1/sqrt(H)), in parameter order from rng. */
void lm_init(LmNet *m, struct Rng *rng);

/* The recurrent state carried between chunks: h and c (B, H) of the model (valid: 0 = none,
 * the reference's hidden=None: zeros, and fake-quantizers of an incoming state are skipped). */
typedef struct { float *h, *c; int valid; int batch; } LmState;
void lm_state_init(LmState *s, const LmNet *m, int batch);
void lm_state_free(LmState *s);

/* Where lm_forward lets a caller see (and change, in place) the tensors of a pass: the
 * fake quantization of quant/lm_quant.h.  node is the node index. */
typedef enum { LM_TAP_OUT, LM_TAP_STATE_IN_H, LM_TAP_STATE_IN_C, LM_TAP_STATE_OUT_H, LM_TAP_STATE_OUT_C } LmTapPoint;
typedef struct {
    void (*fn)(void *ctx, int node, LmTapPoint at, float *x, size_t n);
    void *ctx;
} LmTap;

/* Buffers of one pass over chunks of up to T x B tokens (lm_pass_new). */
typedef struct LmPass LmPass;
LmPass *lm_pass_new(const LmNet *m, int T, int B, int train, struct ThreadPool *pool);
void lm_pass_free(LmPass *p);

/* Forward of a chunk ids (T, B) from state st (updated to the outgoing state).  weights:
 * the parameter block to use (m->pdata, or a fake-quantized copy); tap may be NULL.
 * rng non-NULL: training mode (dropout masks drawn from it, caches kept for lm_backward).
 * Returns the logits (T·B, vocab), owned by the pass. */
const float *lm_forward(const LmNet *m, LmPass *p, const float *weights, const int32_t *ids, int T, int B,
                        LmState *st, const LmTap *tap, struct Rng *rng);
/* Mean cross-entropy of the logits of the last lm_forward against targets (T·B), in binary64
 * per token summed in order; with dlogits != 0 the pass also keeps d(mean CE)/dlogits. */
double lm_loss(LmPass *p, const int32_t *targets, int T, int B, int dlogits);
/* Backward of the last training lm_forward + lm_loss(dlogits=1): accumulates into grad
 * (m->pnumel floats, the tied weight's gradient summing both uses). */
void lm_backward(const LmNet *m, LmPass *p, float *grad);

/* Global L2 norm of grad (binary64), and torch.nn.utils.clip_grad_norm_: when norm > max_norm,
 * grad *= max_norm / (norm + 1e-6).  Returns the norm before clipping. */
double lm_clip_grad(float *grad, size_t n, double max_norm);

/* MACs per token of each node (the reference's ptflops counting, spec §5.6): lstm
 * 4H(D_in + H) + ... see lm.c; embedding 0; linear D_in·vocab. */
double lm_node_macs(const LmNet *m, int node);

#endif
