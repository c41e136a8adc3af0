/* data_idx.c — IDX (MNIST / Fashion-MNIST layout) loader, gzip'd or raw (see data.h).
 *
 * Images file: magic 0x00000803, then n, rows, cols (big-endian u32), then n*rows*cols
 * pixel bytes.  Labels file: magic 0x00000801, then n, then n label bytes.  Files are read
 * through zlib's gz* functions, which read uncompressed files transparently; the file must
 * be exactly as long as its header says.  Images are zero-padded (centred) to 32x32.
 */
#include "io/data.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#define IDX_IMAGES_MAGIC 0x00000803u
#define IDX_LABELS_MAGIC 0x00000801u
#define PAD_SIZE 32                 /* images are padded to PAD_SIZE x PAD_SIZE */
#define READ_CHUNK (1u << 24)       /* first buffer size and largest single gzread */
#define PATH_BUF 4200               /* a Dataset dir (4096) plus a file name */

/* Path of base or base.gz in dir (raw preferred), or -1 naming both when neither exists. */
static int idx_find(const char *dir, const char *base, const char *hint, char *path,
                    size_t pathsz, char *err, size_t errsz)
{
    struct stat st;
    char gz[64];
    snprintf(gz, sizeof gz, "%s.gz", base);
    if (data_join(path, pathsz, dir, base, err, errsz)) return -1;
    if (stat(path, &st) == 0) return 0;
    if (data_join(path, pathsz, dir, gz, err, errsz)) return -1;
    if (stat(path, &st) == 0) return 0;
    data_join(path, pathsz, dir, base, err, errsz);   /* fitted above */
    return data_err(err, errsz, "%s: not found (neither %s nor %s)%s%s", path, base, gz,
                    hint ? "; " : "", hint ? hint : "");
}

/* -1 with a message if the gz stream is in an error state (corrupt / truncated .gz). */
static int gz_check(gzFile f, const char *path, char *err, size_t errsz)
{
    int errnum = Z_OK;
    const char *msg = gzerror(f, &errnum);
    if (errnum == Z_OK || errnum == Z_STREAM_END) return 0;
    if (errnum == Z_ERRNO) return data_err(err, errsz, "%s: read error: %s", path, strerror(errno));
    size_t pl = strlen(path);   /* zlib's message is "<path>: <problem>"; keep the problem */
    if (msg && strncmp(msg, path, pl) == 0 && strncmp(msg + pl, ": ", 2) == 0) msg += pl + 2;
    return data_err(err, errsz, "%s: corrupt gzip stream (%s)", path, msg ? msg : "zlib error");
}

/* Read up to n bytes into buf; *got = bytes read (short only at end of file). */
static int gz_read_upto(gzFile f, const char *path, uint8_t *buf, size_t n, size_t *got,
                        char *err, size_t errsz)
{
    *got = 0;
    while (*got < n) {
        size_t ask = n - *got < READ_CHUNK ? n - *got : READ_CHUNK;
        int r = gzread(f, buf + *got, (unsigned)ask);
        if (gz_check(f, path, err, errsz)) return -1;
        if (r <= 0) break;
        *got += (size_t)r;
    }
    return 0;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Read the header: magic (must equal magic) and ndims big-endian dimensions. */
static int idx_header(gzFile f, const char *path, uint32_t magic, const char *what,
                      int ndims, uint32_t *dims, char *err, size_t errsz)
{
    uint8_t h[16];
    size_t want = 4 + 4 * (size_t)ndims, got;
    if (gz_read_upto(f, path, h, want, &got, err, errsz)) return -1;
    if (got >= 4 && be32(h) != magic)
        return data_err(err, errsz, "%s: bad magic 0x%08x, expected 0x%08x (IDX %s)", path,
                        be32(h), magic, what);
    if (got < want)
        return data_err(err, errsz, "%s: truncated header: %zu bytes, an IDX %s header has %zu",
                        path, got, what, want);
    for (int i = 0; i < ndims; i++) dims[i] = be32(h + 4 + 4 * i);
    return 0;
}

/* Read exactly want payload bytes into *out (malloc'd, caller frees), then require end of
 * file.  The buffer grows as data arrives, so a header claiming a huge size cannot make us
 * allocate more than about twice what the file really holds. */
static int idx_payload(gzFile f, const char *path, size_t want, const char *what,
                       uint8_t **out, char *err, size_t errsz)
{
    size_t cap = want < READ_CHUNK ? want : READ_CHUNK, got = 0;
    uint8_t *buf = malloc(cap ? cap : 1);
    if (!buf) return data_err(err, errsz, "%s: out of memory (%zu bytes)", path, cap);
    while (got < want) {
        if (got == cap) {
            size_t ncap = cap > want / 2 ? want : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                return data_err(err, errsz, "%s: out of memory (%zu bytes)", path, ncap);
            }
            buf = nb, cap = ncap;
        }
        size_t n;
        if (gz_read_upto(f, path, buf + got, cap - got, &n, err, errsz)) goto fail;
        got += n;
        if (got < cap) break;   /* end of file */
    }
    if (got < want) {
        data_err(err, errsz, "%s: truncated: the header promises %zu bytes of %s, the file "
                 "has %zu", path, want, what, got);
        goto fail;
    }
    size_t extra = 0, n;
    uint8_t scratch[4096];
    do {
        if (gz_read_upto(f, path, scratch, sizeof scratch, &n, err, errsz)) goto fail;
        extra += n;
    } while (n == sizeof scratch);
    if (extra) {
        data_err(err, errsz, "%s: %zu trailing bytes after the %zu bytes of %s the header "
                 "describes", path, extra, want, what);
        goto fail;
    }
    *out = buf;
    return 0;
fail:
    free(buf);
    return -1;
}

/* Open path for reading; a .gz name must really hold gzip data. */
static gzFile idx_open(const char *path, char *err, size_t errsz)
{
    errno = 0;
    gzFile f = gzopen(path, "rb");
    if (!f) {
        data_err(err, errsz, "%s: cannot open: %s", path, errno ? strerror(errno) : "zlib error");
        return NULL;
    }
    gzbuffer(f, 1u << 17);
    size_t len = strlen(path);
    if (len > 3 && strcmp(path + len - 3, ".gz") == 0 && gzdirect(f)) {
        gzclose(f);
        data_err(err, errsz, "%s: not a gzip file (no gzip header)", path);
        return NULL;
    }
    return f;
}

/* Images: *pix = n*rows*cols raw pixels (malloc'd), unpadded. */
static int idx_read_images(const char *path, int *n, int *rows, int *cols, uint8_t **pix,
                           char *err, size_t errsz)
{
    gzFile f = idx_open(path, err, errsz);
    if (!f) return -1;
    uint32_t d[3] = {0};
    int rc = idx_header(f, path, IDX_IMAGES_MAGIC, "images", 3, d, err, errsz);
    if (rc == 0 && (d[0] == 0 || d[0] > INT_MAX))
        rc = data_err(err, errsz, "%s: image count %u out of range 1..%d", path, d[0], INT_MAX);
    if (rc == 0 && (d[1] == 0 || d[2] == 0))
        rc = data_err(err, errsz, "%s: empty images (%ux%u)", path, d[1], d[2]);
    if (rc == 0 && (d[1] > PAD_SIZE || d[2] > PAD_SIZE))
        rc = data_err(err, errsz, "%s: images are %ux%u, larger than %dx%d", path, d[1], d[2],
                      PAD_SIZE, PAD_SIZE);
    if (rc == 0)
        rc = idx_payload(f, path, (size_t)d[0] * d[1] * d[2], "pixels", pix, err, errsz);
    gzclose(f);
    if (rc) return -1;
    *n = (int)d[0], *rows = (int)d[1], *cols = (int)d[2];
    return 0;
}

/* Labels: *labels = n bytes (malloc'd). */
static int idx_read_labels(const char *path, int *n, uint8_t **labels, char *err, size_t errsz)
{
    gzFile f = idx_open(path, err, errsz);
    if (!f) return -1;
    uint32_t d[1] = {0};
    int rc = idx_header(f, path, IDX_LABELS_MAGIC, "labels", 1, d, err, errsz);
    if (rc == 0 && (d[0] == 0 || d[0] > INT_MAX))
        rc = data_err(err, errsz, "%s: label count %u out of range 1..%d", path, d[0], INT_MAX);
    if (rc == 0) rc = idx_payload(f, path, d[0], "labels", labels, err, errsz);
    gzclose(f);
    if (rc) return -1;
    *n = (int)d[0];
    return 0;
}

/* Centre n rows x cols images in zero-filled PAD_SIZE x PAD_SIZE ones; returns the padded
 * n*32*32 buffer (malloc'd) or NULL when out of memory. */
static uint8_t *pad_images(const uint8_t *src, int n, int rows, int cols)
{
    size_t out_img = (size_t)PAD_SIZE * PAD_SIZE, in_img = (size_t)rows * cols;
    uint8_t *dst = calloc((size_t)n, out_img);
    if (!dst) return NULL;
    int top = (PAD_SIZE - rows) / 2, left = (PAD_SIZE - cols) / 2;
    for (size_t i = 0; i < (size_t)n; i++)
        for (int r = 0; r < rows; r++)
            memcpy(dst + i * out_img + (size_t)(top + r) * PAD_SIZE + left,
                   src + i * in_img + (size_t)r * cols, (size_t)cols);
    return dst;
}

/* Population mean and std of pixels/255 over npix bytes, in double (via a histogram). */
static void pixel_stats(const uint8_t *p, size_t npix, double *mean, double *std)
{
    size_t hist[256] = {0};
    for (size_t i = 0; i < npix; i++) hist[p[i]]++;
    double s = 0, v = 0;
    for (int k = 0; k < 256; k++) s += (double)hist[k] * (k / 255.0);
    *mean = s / (double)npix;
    for (int k = 0; k < 256; k++) {
        double d = k / 255.0 - *mean;
        v += (double)hist[k] * d * d;
    }
    *std = sqrt(v / (double)npix);
}

/* Check every label < classes; the message names the file and the first bad record. */
static int check_labels(const char *path, const uint8_t *labels, int n, int classes,
                        char *err, size_t errsz)
{
    for (int i = 0; i < n; i++)
        if (labels[i] >= classes)
            return data_err(err, errsz, "%s: label %d at record %d out of range 0..%d", path,
                            labels[i], i, classes - 1);
    return 0;
}

/* One split (prefix "train" or "t10k") into s, padded; the raw unpadded pixels are kept
 * in *raw (malloc'd) when raw is non-NULL (for the statistics), freed otherwise.  The
 * labels file's path is left in lpath (PATH_BUF bytes) for later label errors. */
static int idx_load_split(const char *dir, const char *prefix, const char *hint, ImageSet *s,
                          uint8_t **raw, size_t *nraw, char *lpath, char *err, size_t errsz)
{
    char ipath[PATH_BUF], base[64];
    snprintf(base, sizeof base, "%s-images-idx3-ubyte", prefix);
    if (idx_find(dir, base, hint, ipath, sizeof ipath, err, errsz)) return -1;
    snprintf(base, sizeof base, "%s-labels-idx1-ubyte", prefix);
    if (idx_find(dir, base, hint, lpath, PATH_BUF, err, errsz)) return -1;

    int n, rows, cols, nl;
    uint8_t *pix = NULL;
    if (idx_read_images(ipath, &n, &rows, &cols, &pix, err, errsz)) return -1;
    if (idx_read_labels(lpath, &nl, &s->labels, err, errsz)) goto fail;
    if (nl != n) {
        data_err(err, errsz, "%s: %d labels but %s has %d images (count mismatch)", lpath, nl,
                 ipath, n);
        goto fail;
    }
    s->pixels = pad_images(pix, n, rows, cols);
    if (!s->pixels) {
        data_err(err, errsz, "%s: out of memory padding %d images", ipath, n);
        goto fail;
    }
    s->n = n, s->c = 1, s->h = PAD_SIZE, s->w = PAD_SIZE;
    if (raw) *raw = pix, *nraw = (size_t)n * rows * cols;
    else free(pix);
    return 0;
fail:
    free(pix);
    return -1;
}

int data_load_idx(const char *dir, int classes, const char *missing_hint, Dataset *ds,
                  char *err, size_t errsz)
{
    char train_lpath[PATH_BUF], test_lpath[PATH_BUF];
    uint8_t *raw = NULL;
    size_t nraw = 0;
    if (idx_load_split(dir, "train", missing_hint, &ds->train, &raw, &nraw, train_lpath,
                       err, errsz))
        return -1;
    if (idx_load_split(dir, "t10k", missing_hint, &ds->test, NULL, NULL, test_lpath, err, errsz))
        goto fail;

    if (classes == 0) {   /* idx: classes from the training labels */
        for (int i = 0; i < ds->train.n; i++)
            if (ds->train.labels[i] >= classes) classes = ds->train.labels[i] + 1;
    }
    if (check_labels(train_lpath, ds->train.labels, ds->train.n, classes, err, errsz) ||
        check_labels(test_lpath, ds->test.labels, ds->test.n, classes, err, errsz))
        goto fail;
    ds->classes = classes;

    double mean, std;
    pixel_stats(raw, nraw, &mean, &std);
    free(raw);
    /* A constant image set has std 0; use 1 so normalization stays finite. */
    ds->mean[0] = (float)mean, ds->std[0] = std > 0 ? (float)std : 1.0f;
    ds->mean[1] = ds->mean[2] = 0.0f, ds->std[1] = ds->std[2] = 1.0f;
    return 0;
fail:
    free(raw);
    return -1;
}
