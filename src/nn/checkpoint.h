/* checkpoint.h — networks <-> safetensors checkpoints.
 *
 * Tensor names are the reference framework's state_dict names (conv0.weight,
 * bn0.running_var, bn0.num_batches_tracked as an I64 scalar, ...), so checkpoints move
 * between mta and the reference's PyTorch models.  The header's __metadata__ makes an mta
 * checkpoint self-describing:
 *   format      "mta-checkpoint/1"
 *   model_name  e.g. "ResNet_18";     model_text  the model file's text
 *   classes     e.g. "10";            input       "CxHxW", e.g. "1x32x32"
 *   width       the width multiplier ("%.17g")
 *   dataset     data set kind the normalization belongs to ("fmnist", "cifar10", ...)
 *   norm_mean, norm_std   comma-separated per-channel values ("%.9g")
 *   seed        the seed that produced it (informational)
 *   epoch, val_acc, test_acc   for trained checkpoints: the epoch kept and its accuracies
 *   aug_crop_pad, aug_flip   the training augmentation (trained checkpoints)
 *   mta_version, compiler, blas, blas_kernel, threads   the environment that wrote it
 *               (base/env.h): results are byte-identical only for the same threads and kernel
 */
#ifndef MTA_CHECKPOINT_H
#define MTA_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "base/env.h"
#include "io/augment.h"
#include "nn/net.h"

typedef struct {
    char dataset[16];
    int has_norm;
    float mean[3], std[3];
    uint64_t seed;
    int epoch;              /* > 0: written with the training results below */
    double val_acc, test_acc;
    int val_images, test_images;  /* the images those accuracies were measured on */
    int has_meta;           /* loaded: the file had mta metadata (model, width from it) */
    int has_aug;            /* the training augmentation below is known */
    AugmentConfig aug;      /* crop padding and flip the checkpoint was trained with */
    char env[ENV_NFIELDS][160];   /* loaded: the writer's environment (env_field_names order; "" if absent) */
} CkptInfo;

/* Write all parameters and metadata atomically (temporary file + rename). */
int ckpt_save(const Net *net, const CkptInfo *info, const char *path, char *err, size_t errsz);

/* Open a checkpoint and build its network from the metadata.  When the file has no mta
 * metadata (e.g. exported from PyTorch), model/width/input/classes must be given
 * (model may be NULL otherwise; then an error explains what to pass).  Every tensor is
 * checked against the model: presence, dtype, shape; the first mismatch is reported by
 * name.  Returns the Net (net_free) or NULL with err filled. */
Net *ckpt_load(const char *path, const char *model, double width, Shape input, int classes,
               CkptInfo *info, char *err, size_t errsz);

#endif
