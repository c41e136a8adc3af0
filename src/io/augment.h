/* augment.h — seeded training augmentation on raw pixels: zero padding + random crop,
 * horizontal flip (the reference's transform; padding acts before normalization, so the
 * padded border becomes -mean/std). */
#ifndef MTA_AUGMENT_H
#define MTA_AUGMENT_H

#include "base/rng.h"
#include "io/data.h"

typedef struct {
    int crop_pad;   /* pad each side by this many zero pixels, then crop back (0: no crop) */
    int flip;       /* horizontal flip with probability 1/2 */
} AugmentConfig;

/* Augmented, normalized batch: images idx[0..n) of split s -> x (n, c, h, w), labels -> y.
 * Draws per image, in order: crop row offset, crop column offset, flip. */
void augment_batch(const Dataset *ds, const ImageSet *s, const int *idx, int n, const AugmentConfig *a,
                   Rng *rng, float *x, int *y);

#endif
