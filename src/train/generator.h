/* generator.h — the data-free generator of the reference (ALL/generator.py, class Generator;
 * spec training-generator-robustness §2.2-§2.3), trained from a classifier alone
 * (train/gen_train.h):
 *
 *   u = label_emb[y] + z                     label_emb (C x D) starts as the classifier's last
 *                                            layer's weight; z ~ N(0, 1), D = latent size
 *   v = embed_normalizer(u)                  single label: each sample over its D features;
 *                                            multi label: each slot m over all B*D values
 *                                            (the reference's transposes, quirk 7)
 *   g = v (single) or sum_m a_m v_m (multi, a = softmax mixing weights)
 *   l1 (linear D -> c1*s*s, s = img/4) -> view (c1, s, s) -> bn0 -> nearest up x2
 *   -> conv1 3x3 c1->c1 -> bn1 (eps 0.8) -> LeakyReLU 0.2 -> nearest up x2
 *   -> conv2 3x3 c1->c2 -> bn2 (eps 0.8) -> LeakyReLU 0.2 -> conv3 3x3 c2->channels -> tanh
 *   -> bn3 (affine-free, eps 1e-5): the image, already in the classifier's normalized space.
 *
 * c1 = 128 and c2 = 64 at width 1 (the reference); `width` scales both (a logged scale knob).
 * Every BN uses the batch's statistics and updates its running ones (the reference keeps the
 * generator in training mode whenever it produces images, quirk 9), so an image depends on
 * the batch it is generated in.  Tensor names are the reference's state_dict names
 * (label_emb.weight, l1.0.weight, conv_blocks0.0.*, conv_blocks1.{0,1}.*,
 * conv_blocks2.{0,1,3,5}.*), so a checkpoint moves between mta and PyTorch. */
#ifndef MTA_GENERATOR_H
#define MTA_GENERATOR_H

#include <stddef.h>
#include <stdint.h>

#include "base/parallel.h"
#include "base/rng.h"
#include "nn/net.h"

enum { GEN_EMB, GEN_L1W, GEN_L1B, GEN_BN0G, GEN_BN0B, GEN_C1W, GEN_C1B, GEN_BN1G, GEN_BN1B, GEN_C2W, GEN_C2B,
       GEN_BN2G, GEN_BN2B, GEN_C3W, GEN_C3B, GEN_NPARAM };
enum { GEN_NBN = 4 };

typedef struct {
    int classes, latent;          /* C, D */
    int channels, img, init;      /* image channels, side (32), init = img / 4 */
    int c1, c2;                   /* trunk widths */
    double width;
    float noise_scale;            /* 1.0 */
    /* trainable parameters and their gradients, one block each (the GEN_* tensors in order) */
    float *p, *g;
    size_t np, off[GEN_NPARAM + 1];
    /* BN running statistics (bn0..bn3) and num_batches_tracked */
    float *run_mean[GEN_NBN], *run_var[GEN_NBN];
    int64_t nbt[GEN_NBN];
    /* activations of the last forward, for max_batch samples (owned) */
    int max_batch, max_slots;
    float *u, *v, *gin, *mix;     /* (B*M, D), (B*M, D), (B, D), (B, M) */
    float *h0, *b0, *up1, *a1, *b1, *up2, *a2, *b2, *a3, *t3, *out;
    float *mean[GEN_NBN], *invstd[GEN_NBN];
    float *d0, *d1;               /* backward scratch, the largest activation each */
    float *work; size_t work_floats;
    float *partial;
    int last_n, last_m;           /* the last forward's batch and slots */
    int *last_y;                  /* its labels (B*M) */
    ThreadPool *pool;             /* borrowed, may be NULL */
} Generator;

/* A generator for a classifier with `classes` outputs whose last layer has `latent` inputs,
 * making images (channels, img, img); PyTorch's default init from rng (label_emb zero: set
 * it with gen_init_embedding). */
Generator *gen_new(int classes, int latent, int channels, int img, double width, Rng *rng);
void gen_free(Generator *g);   /* NULL is a no-op */
/* Buffers for batches of up to max_batch samples of up to max_slots labels each. */
void gen_alloc(Generator *g, int max_batch, int max_slots);
void gen_set_pool(Generator *g, ThreadPool *p);

/* The classifier's last layer (a linear, or Inception_BN's 1x1 conv): its weight (C x D) and
 * D; NULL (and a message) when the net has none with C outputs. */
const float *gen_teacher_weight(const Net *net, int *latent, char *err, size_t errsz);
void gen_init_embedding(Generator *g, const float *w);

/* Single-label forward of n samples: labels y (n), noise z (n, D) -> images (n, C, H, W),
 * owned by g (valid until the next forward). */
const float *gen_forward(Generator *g, const float *z, const int *y, int n);
/* Multi-label forward: labels y (n, m), noise z (n, m, D), mixing weights a (n, m). */
const float *gen_forward_multi(Generator *g, const float *z, const int *y, const float *a, int n, int m);
/* The same in eval mode (every BN with its running statistics, nothing updated; the embedding
 * normaliser keeps its per-sample statistics): what the reference's PCA script uses (spec §4.1).
 * No backward. */
const float *gen_forward_eval(Generator *g, const float *z, const int *y, int n);
/* Gradients of the last forward given dimg = dLoss/dimage: accumulate into g->g. */
void gen_backward(Generator *g, const float *dimg);
void gen_zero_grad(Generator *g);

/* Sample a batch: labels uniform in [0, C), z ~ N(0, 1) (noise_scale applied in the forward);
 * multi (m > 1): n*m labels and noises and the mixing weights softmax(N(0, 1)) per row.
 * The soft targets t (n, C) of a multi-label batch: sum of the weights of each label. */
void gen_sample(const Generator *g, Rng *rng, int n, int m, int *y, float *z, float *a);
void gen_soft_targets(int classes, const int *y, const float *a, int n, int m, float *t);

/* The state_dict name and shape of trainable tensor k (GEN_*). */
const char *gen_param_name(int k);
void gen_param_shape(const Generator *g, int k, int *rank, int64_t shape[4]);

/* safetensors checkpoint (format "mta-generator/1"): the reference's state_dict tensors and
 * metadata (classes, latent, channels, img, width, teacher, plus the caller's key/values in
 * meta, n_meta pairs).  Atomic write.  Load checks every tensor's presence, dtype and shape
 * and names the first mismatch. */
int gen_save(const Generator *g, const char *path, const char *const *meta, int n_meta, char *err, size_t errsz);
Generator *gen_load(const char *path, char *err, size_t errsz);

#endif
