/* train.h — the training loop: seeded split, augmentation, SGD with the reference's
 * schedule, validation after every epoch, best checkpoint kept, a log TSV. */
#ifndef MTA_TRAIN_H
#define MTA_TRAIN_H

#include <stdint.h>

#include "io/augment.h"
#include "io/data.h"
#include "nn/checkpoint.h"
#include "nn/net.h"
#include "train/sgd.h"

typedef struct {
    int epochs, batch;
    double val_frac;          /* held-out share of the training set (seeded, not augmented) */
    long train_limit;         /* use at most this many training images per epoch (0: all) */
    uint64_t seed;
    LrSchedule lr;
    SgdConfig sgd;
    AugmentConfig aug;
    const char *out;          /* best checkpoint (by validation accuracy) */
    const char *log;          /* per-epoch TSV, or NULL */
    int quiet;
} TrainConfig;

/* Train net in place on ds.  The network's parameters must be initialized.  On return
 * the net holds the best weights; info gets the epoch, val and test accuracy.  Dies on a
 * non-finite loss (naming epoch and batch) or an I/O error. */
void train_run(Net *net, const Dataset *ds, const TrainConfig *tc, CkptInfo *info);

#endif
