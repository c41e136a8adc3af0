/* data.c — data set specs, freeing, normalized batches, shapes (see data.h).
 * The file formats live in data_idx.c (IDX / Fashion-MNIST) and data_cifar.c. */
#include "io/data.h"

#include "base/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"
#define SPEC_FORMS "fmnist, idx:DIR, cifar10:DIR or cifar100:DIR"

int data_err(char *err, size_t errsz, const char *fmt, ...)
{
    if (err && errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errsz, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int data_join(char *out, size_t outsz, const char *dir, const char *name, char *err, size_t errsz)
{
    size_t dl = strlen(dir);
    const char *sep = (dl > 0 && dir[dl - 1] == '/') ? "" : "/";
    int n = snprintf(out, outsz, "%s%s%s", dir, sep, name);
    if (n < 0 || (size_t)n >= outsz)
        return data_err(err, errsz, "%s: path too long for %s (limit %zu bytes)", dir, name,
                        outsz - 1);
    return 0;
}

void imageset_free(ImageSet *s)
{
    if (!s) return;
    free(s->pixels);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

void dataset_free(Dataset *ds)
{
    if (!ds) return;
    imageset_free(&ds->train);
    imageset_free(&ds->test);
    memset(ds, 0, sizeof *ds);
}

/* Split spec into kind (copied into ds->kind) and directory (into ds->dir). */
static int parse_spec(const char *spec, Dataset *ds, char *err, size_t errsz)
{
    if (!spec) return data_err(err, errsz, "no data set spec given (expected " SPEC_FORMS ")");
    if (strcmp(spec, "fmnist") == 0) {
        strcpy(ds->kind, "fmnist");
        strcpy(ds->dir, FMNIST_DIR);
        return 0;
    }
    static const char *const kinds[] = {"idx", "cifar10", "cifar100"};
    const char *colon = strchr(spec, ':');
    size_t kl = colon ? (size_t)(colon - spec) : 0;
    for (size_t i = 0; colon && i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strlen(kinds[i]) != kl || strncmp(spec, kinds[i], kl) != 0) continue;
        const char *dir = colon + 1;
        if (!*dir)
            return data_err(err, errsz, "data set spec '%s': missing directory after '%s:'",
                            spec, kinds[i]);
        if (strlen(dir) >= sizeof ds->dir)
            return data_err(err, errsz, "data set spec '%.64s...': directory longer than %zu bytes",
                            spec, sizeof ds->dir - 1);
        strcpy(ds->kind, kinds[i]);
        strcpy(ds->dir, dir);
        return 0;
    }
    return data_err(err, errsz, "unknown data set spec '%s' (expected " SPEC_FORMS ")", spec);
}

int dataset_load(const char *spec, int coarse, Dataset *ds, char *err, size_t errsz)
{
    if (err && errsz) err[0] = 0;
    if (!ds) return data_err(err, errsz, "dataset_load: no Dataset to fill");
    memset(ds, 0, sizeof *ds);
    /* Built in a local copy so that *ds stays empty on every error path. */
    Dataset *tmp = calloc(1, sizeof *tmp);
    if (!tmp) return data_err(err, errsz, "out of memory");
    int rc = parse_spec(spec, tmp, err, errsz);
    if (rc == 0) {
        if (strcmp(tmp->kind, "fmnist") == 0)
            rc = data_load_idx(tmp->dir, 10, "install the Debian package dataset-fashion-mnist "
                               "(or run `make deps` as root)", tmp, err, errsz);
        else if (strcmp(tmp->kind, "idx") == 0)
            rc = data_load_idx(tmp->dir, 0, NULL, tmp, err, errsz);
        else if (strcmp(tmp->kind, "cifar10") == 0)
            rc = data_load_cifar10(tmp->dir, tmp, err, errsz);
        else
            rc = data_load_cifar100(tmp->dir, coarse, tmp, err, errsz);
    }
    if (rc == 0) *ds = *tmp;
    else dataset_free(tmp);
    free(tmp);
    return rc == 0 ? 0 : -1;
}

/* x[i] = p*scale[ch] + offset[ch] == (p/255 - mean)/std, scale/offset from the data set's
 * per-channel constants (computed in double, applied in float). */
void dataset_batch(const Dataset *ds, const ImageSet *s, const int *idx, int n, float *x, int *y)
{
    CHECK(ds && s, "dataset_batch: NULL data set");
    CHECK(n >= 0 && (n == 0 || (idx && x)), "dataset_batch: n=%d with NULL idx or x", n);
    CHECK(s->c >= 1 && s->c <= 3, "dataset_batch: %d channels", s->c);
    float scale[3], offset[3];
    for (int ch = 0; ch < s->c; ch++) {
        CHECK(ds->std[ch] > 0, "dataset_batch: std[%d] = %g", ch, (double)ds->std[ch]);
        scale[ch] = (float)(1.0 / (255.0 * (double)ds->std[ch]));
        offset[ch] = (float)(-(double)ds->mean[ch] / (double)ds->std[ch]);
    }
    size_t plane = (size_t)s->h * (size_t)s->w, img = (size_t)s->c * plane;
    for (int i = 0; i < n; i++) {
        int k = idx[i];
        CHECK(k >= 0 && k < s->n, "dataset_batch: index %d out of range 0..%d", k, s->n - 1);
        const uint8_t *p = s->pixels + (size_t)k * img;
        float *o = x + (size_t)i * img;
        for (int ch = 0; ch < s->c; ch++) {
            const float a = scale[ch], b = offset[ch];
            const uint8_t *pc = p + (size_t)ch * plane;
            float *oc = o + (size_t)ch * plane;
            for (size_t j = 0; j < plane; j++) oc[j] = (float)pc[j] * a + b;
        }
        if (y) y[i] = s->labels[k];
    }
}

int dataset_shape_by_name(const char *name, int *channels, int *classes)
{
    if (!name) return -1;
    /* A full spec ("cifar10:DIR") names its data set by the part before the colon. */
    size_t len = strcspn(name, ":");
    static const struct { const char *name; int channels, classes; } shapes[] = {
        {"cifar10", 3, 10}, {"cifar100", 3, 100}, {"fmnist", 1, 10}, {"idx", 1, 10},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        if (strlen(shapes[i].name) != len || strncmp(name, shapes[i].name, len) != 0) continue;
        if (channels) *channels = shapes[i].channels;
        if (classes) *classes = shapes[i].classes;
        return 0;
    }
    return -1;
}
