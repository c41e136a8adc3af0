/* data.h — image classification data sets (IDX / Fashion-MNIST, CIFAR-10, CIFAR-100).
 *
 * Images are kept as raw 8-bit pixels, NCHW, and normalized only when a batch is fetched,
 * so augmentation (zero padding, crops, flips) works on raw pixels as the reference does.
 * Fashion-MNIST / IDX images smaller than 32x32 are zero-padded (centred) to 32x32 so the
 * reference architectures keep their spatial sizes; they have one channel.
 *
 * Data set specs accepted on the command line (--data):
 *   fmnist           Debian's dataset-fashion-mnist files in /usr/share/datasets/fashion-mnist
 *   idx:DIR          train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
 *                    t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz] in DIR
 *   cifar10:DIR      data_batch_1..5.bin and test_batch.bin in DIR
 *   cifar100:DIR     train.bin and test.bin in DIR (fine labels; coarse with coarse=1)
 * Normalization: the reference's constants for CIFAR-10/100; per-channel mean/std of the
 * training pixels (scaled to [0,1], before padding) for fmnist/idx.
 */
#ifndef MTA_DATA_H
#define MTA_DATA_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int n, c, h, w;      /* images, channels, height, width (after padding to 32x32) */
    uint8_t *pixels;     /* n*c*h*w raw pixels 0..255, NCHW; owned */
    uint8_t *labels;     /* n labels in [0, classes); owned */
} ImageSet;

typedef struct {
    char kind[16];       /* "fmnist", "idx", "cifar10", "cifar100" */
    char dir[4096];      /* directory the files came from */
    int classes;         /* 10 for fmnist/cifar10, 100 (fine) or 20 (coarse) for cifar100;
                            max label + 1 for idx */
    float mean[3], std[3];  /* per-channel normalization, for pixels scaled to [0,1] */
    ImageSet train, test;
} Dataset;

/* Load a data set from a spec string (see above).  On error returns -1 and writes a message
 * naming the file and what is wrong into err (errsz bytes); nothing is left allocated.
 * coarse selects CIFAR-100 coarse labels.  Free with dataset_free. */
int dataset_load(const char *spec, int coarse, Dataset *ds, char *err, size_t errsz);
void dataset_free(Dataset *ds);   /* dataset_free(NULL) is a no-op */

/* Normalized float batch: for i < n, image idx[i] of set s -> x[i] (c*h*w floats, NCHW),
 * (pixel/255 - mean[ch]) / std[ch]; labels -> y[i].  x and y are caller-owned. */
void dataset_batch(const Dataset *ds, const ImageSet *s, const int *idx, int n, float *x, int *y);

/* Input shape of a named data set without loading it: "cifar10", "cifar100", "fmnist"/"idx"
 * -> channels, classes (32x32 always).  Returns -1 for an unknown name. */
int dataset_shape_by_name(const char *name, int *channels, int *classes);

/* ---- Loader internals, shared by data.c, data_idx.c and data_cifar.c only. ---- */

/* Format a message into err (if err && errsz) and return -1, so error paths read
 * `return data_err(err, errsz, "%s: ...", path, ...);`. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
int data_err(char *err, size_t errsz, const char *fmt, ...);

/* out = dir "/" name (no doubled '/'); -1 with a message when it does not fit in outsz. */
int data_join(char *out, size_t outsz, const char *dir, const char *name, char *err, size_t errsz);

void imageset_free(ImageSet *s);   /* frees pixels and labels, zeroes *s; NULL is a no-op */

/* Fill ds->train, ds->test, ds->classes, ds->mean/std from the IDX files in dir.
 * classes > 0: labels must be < classes (fmnist); classes == 0: classes = max train
 * label + 1 and test labels must be below it (idx).  missing_hint (may be NULL) is
 * appended to "not found" messages.  On error ds's sets may be partly filled: the caller
 * frees them. */
int data_load_idx(const char *dir, int classes, const char *missing_hint, Dataset *ds,
                  char *err, size_t errsz);
/* Same contract for CIFAR-10 (data_batch_1..5.bin, test_batch.bin) and CIFAR-100
 * (train.bin, test.bin; coarse selects the 20 coarse labels instead of the 100 fine). */
int data_load_cifar10(const char *dir, Dataset *ds, char *err, size_t errsz);
int data_load_cifar100(const char *dir, int coarse, Dataset *ds, char *err, size_t errsz);

#endif
