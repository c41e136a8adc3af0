/* t_data.c — data set loaders: IDX (raw and gzip'd), CIFAR-10, CIFAR-100, normalization,
 * padding, shapes, and the error messages of malformed files.  Every file is generated in
 * a mkdtemp directory under /tmp that is removed at the end. */
#include "io/data.h"
#include "tap.h"

#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define FMNIST_DIR "/usr/share/datasets/fashion-mnist"

/* ---- building files ---- */

typedef struct { uint8_t *p; size_t n, cap; } Buf;   /* growable byte buffer; free p */

static void buf_put(Buf *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) { perror("realloc"); exit(2); }
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void buf_byte(Buf *b, uint8_t v) { buf_put(b, &v, 1); }

static void buf_u32(Buf *b, uint32_t v)   /* big-endian, as IDX headers are */
{
    uint8_t q[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    buf_put(b, q, 4);
}

/* Known IDX pixel value of image i at (r, c) before padding. */
static uint8_t idx_pix(int i, int r, int c) { return (uint8_t)((i * 37 + r * 5 + c * 3 + 1) % 256); }

/* IDX images file: n images rows x cols of idx_pix(first + i, r, c). */
static Buf idx_images(uint32_t magic, int n, int rows, int cols, int first)
{
    Buf b = {0};
    buf_u32(&b, magic);
    buf_u32(&b, (uint32_t)n);
    buf_u32(&b, (uint32_t)rows);
    buf_u32(&b, (uint32_t)cols);
    for (int i = 0; i < n; i++)
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) buf_byte(&b, idx_pix(first + i, r, c));
    return b;
}

static Buf idx_labels(uint32_t magic, int n, const uint8_t *labels)
{
    Buf b = {0};
    buf_u32(&b, magic);
    buf_u32(&b, (uint32_t)n);
    buf_put(&b, labels, (size_t)n);
    return b;
}

/* Write n bytes of p to dir/name, gzip-compressed when gz. */
static void write_file(const char *dir, const char *name, const uint8_t *p, size_t n, int gz)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (gz) {
        gzFile f = gzopen(path, "wb");
        if (!f || (n && gzwrite(f, p, (unsigned)n) != (int)n) || gzclose(f) != Z_OK) {
            fprintf(stderr, "cannot write %s\n", path);
            exit(2);
        }
        return;
    }
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
}

/* Write b (then free it) to dir/name; trim bytes dropped from / extra bytes appended to
 * the end (before compression). */
static void write_buf(const char *dir, const char *name, Buf *b, int gz, size_t trim, size_t extra)
{
    for (size_t i = 0; i < extra; i++) buf_byte(b, 0xAB);
    write_file(dir, name, b->p, b->n - trim, gz);
    free(b->p);
    memset(b, 0, sizeof *b);
}

static void make_dir(char *out, size_t outsz, const char *root, const char *sub)
{
    snprintf(out, outsz, "%s/%s", root, sub);
    if (mkdir(out, 0700) != 0) { perror(out); exit(2); }
}

/* The standard IDX test data set: 5 train 28x28 images (labels 3 1 4 1 5), 3 test
 * images (labels 2 0 5, pixels idx_pix(100 + i, ...)).  gz: bit i set = file i gzip'd
 * (0 train images, 1 train labels, 2 test images, 3 test labels). */
static const uint8_t IDX_TRAIN_LAB[5] = {3, 1, 4, 1, 5}, IDX_TEST_LAB[3] = {2, 0, 5};

static void write_idx_set(const char *dir, int gz)
{
    Buf b = idx_images(0x803, 5, 28, 28, 0);
    write_buf(dir, gz & 1 ? "train-images-idx3-ubyte.gz" : "train-images-idx3-ubyte", &b, gz & 1, 0, 0);
    b = idx_labels(0x801, 5, IDX_TRAIN_LAB);
    write_buf(dir, gz & 2 ? "train-labels-idx1-ubyte.gz" : "train-labels-idx1-ubyte", &b, gz & 2, 0, 0);
    b = idx_images(0x803, 3, 28, 28, 100);
    write_buf(dir, gz & 4 ? "t10k-images-idx3-ubyte.gz" : "t10k-images-idx3-ubyte", &b, gz & 4, 0, 0);
    b = idx_labels(0x801, 3, IDX_TEST_LAB);
    write_buf(dir, gz & 8 ? "t10k-labels-idx1-ubyte.gz" : "t10k-labels-idx1-ubyte", &b, gz & 8, 0, 0);
}

/* Known CIFAR pixel k (0..3071, CHW) of record r of file f, and its labels. */
static uint8_t cifar_pix(int f, int r, int k) { return (uint8_t)((f * 31 + r * 7 + k * 13) % 256); }
static uint8_t c10_label(int f, int r) { return (uint8_t)((f * 3 + r) % 10); }
static uint8_t c100_coarse(int r) { return (uint8_t)((r * 3) % 20); }
static uint8_t c100_fine(int r) { return (uint8_t)((r * 13 + 50) % 100); }

/* CIFAR file with n records: label bytes from labels(r) (nlab of them), file number f. */
static Buf cifar_file(int f, int n, int nlab)
{
    Buf b = {0};
    for (int r = 0; r < n; r++) {
        if (nlab == 1) buf_byte(&b, c10_label(f, r));
        else { buf_byte(&b, c100_coarse(r)); buf_byte(&b, c100_fine(r)); }
        for (int k = 0; k < 3072; k++) buf_byte(&b, cifar_pix(f, r, k));
    }
    return b;
}

static const int C10_COUNTS[6] = {2, 3, 1, 2, 2, 3};   /* data_batch_1..5, test_batch */

static void write_cifar10_set(const char *dir)
{
    char name[32];
    for (int f = 0; f < 6; f++) {
        Buf b = cifar_file(f, C10_COUNTS[f], 1);
        if (f < 5) snprintf(name, sizeof name, "data_batch_%d.bin", f + 1);
        else snprintf(name, sizeof name, "test_batch.bin");
        write_buf(dir, name, &b, 0, 0, 0);
    }
}

static void write_cifar100_set(const char *dir)
{
    Buf b = cifar_file(0, 4, 2);
    write_buf(dir, "train.bin", &b, 0, 0, 0);
    b = cifar_file(1, 2, 2);
    write_buf(dir, "test.bin", &b, 0, 0, 0);
}

/* ---- checks ---- */

/* Largest |x - (p/255 - mean[ch])/std[ch]| over a batch of images idx[0..n-1] of s. */
static double batch_error(const Dataset *ds, const ImageSet *s, const int *idx, int n)
{
    size_t plane = (size_t)s->h * s->w, img = s->c * plane;
    float *x = malloc(n * img * sizeof *x);
    int *y = malloc(n * sizeof *y);
    dataset_batch(ds, s, idx, n, x, y);
    double worst = 0;
    for (int i = 0; i < n; i++) {
        if (y[i] != s->labels[idx[i]]) worst = INFINITY;
        for (size_t j = 0; j < img; j++) {
            int ch = (int)(j / plane);
            double p = s->pixels[(size_t)idx[i] * img + j];
            double want = (p / 255.0 - ds->mean[ch]) / ds->std[ch];
            double d = fabs(x[i * img + j] - want);
            if (d > worst) worst = d;
        }
    }
    free(x);
    free(y);
    return worst;
}

/* Hand-computed population mean/std of idx_pix over n rows x cols images, /255. */
static void idx_stats(int n, int rows, int cols, double *mean, double *std)
{
    double s = 0, v = 0, cnt = (double)n * rows * cols;
    for (int i = 0; i < n; i++)
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) s += idx_pix(i, r, c) / 255.0;
    *mean = s / cnt;
    for (int i = 0; i < n; i++)
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) {
                double d = idx_pix(i, r, c) / 255.0 - *mean;
                v += d * d;
            }
    *std = sqrt(v / cnt);
}

/* 1 when the padded images of s hold idx_pix(first + i, r, c) at (r + top, c + left) and
 * zero everywhere else. */
static int idx_padded_ok(const ImageSet *s, int first, int rows, int cols, int top, int left)
{
    for (int i = 0; i < s->n; i++)
        for (int r = 0; r < 32; r++)
            for (int c = 0; c < 32; c++) {
                int in = r >= top && r < top + rows && c >= left && c < left + cols;
                uint8_t want = in ? idx_pix(first + i, r - top, c - left) : 0;
                if (s->pixels[(size_t)i * 1024 + r * 32 + c] != want) return 0;
            }
    return 1;
}

static int borders_zero(const ImageSet *s, int pad)
{
    for (int i = 0; i < s->n; i++)
        for (int r = 0; r < 32; r++)
            for (int c = 0; c < 32; c++) {
                int border = r < pad || r >= 32 - pad || c < pad || c >= 32 - pad;
                if (border && s->pixels[(size_t)i * 1024 + r * 32 + c]) return 0;
            }
    return 1;
}

static int is_empty(const Dataset *ds)
{
    return !ds->train.pixels && !ds->train.labels && !ds->test.pixels && !ds->test.labels &&
           ds->train.n == 0 && ds->classes == 0;
}

/* dataset_load(spec) must fail with a message containing want1 and want2 (file and
 * keyword), leaving ds empty. */
static void expect_fail(const char *name, const char *spec, int coarse, const char *want1,
                        const char *want2)
{
    Dataset ds;
    char err[8192] = "";
    int rc = dataset_load(spec, coarse, &ds, err, sizeof err);
    int good = rc == -1 && strstr(err, want1) && strstr(err, want2) && is_empty(&ds);
    ok(good, "%s: fails naming the file and '%s'", name, want2);
    diag("  %s", err);
    if (!good) diag("  rc %d; wanted '%s' and '%s'", rc, want1, want2);
    if (rc == 0) dataset_free(&ds);
}

/* ---- the tests ---- */

static void test_idx(const char *root)
{
    char raw[4200], gz[4200], spec[4300];
    make_dir(raw, sizeof raw, root, "idx_raw");
    make_dir(gz, sizeof gz, root, "idx_gz");
    write_idx_set(raw, 0);
    write_idx_set(gz, 1 | 2 | 8);   /* test images stay raw: .gz and raw may be mixed */

    Dataset a, b;
    char err[8192] = "";
    snprintf(spec, sizeof spec, "idx:%s", raw);
    int rc = dataset_load(spec, 0, &a, err, sizeof err);
    if (!ok(rc == 0, "idx raw: loads")) { diag("%s", err); return; }
    ok(strcmp(a.kind, "idx") == 0 && strcmp(a.dir, raw) == 0, "idx raw: kind and dir");
    ok(a.classes == 6, "idx raw: classes = max label + 1 = 6 (got %d)", a.classes);
    ok(a.train.n == 5 && a.train.c == 1 && a.train.h == 32 && a.train.w == 32,
       "idx raw: train 5x1x32x32");
    ok(a.test.n == 3 && a.test.c == 1 && a.test.h == 32 && a.test.w == 32,
       "idx raw: test 3x1x32x32");
    ok(memcmp(a.train.labels, IDX_TRAIN_LAB, 5) == 0 && memcmp(a.test.labels, IDX_TEST_LAB, 3) == 0,
       "idx raw: labels");
    ok(borders_zero(&a.train, 2) && borders_zero(&a.test, 2), "idx raw: 2-pixel borders are zero");
    ok(idx_padded_ok(&a.train, 0, 28, 28, 2, 2) && idx_padded_ok(&a.test, 100, 28, 28, 2, 2),
       "idx raw: 28x28 content shifted by (2, 2)");

    double mean, std;
    idx_stats(5, 28, 28, &mean, &std);
    is_close(a.mean[0], mean, 1e-7, 1e-6, "idx raw: mean of unpadded train pixels/255");
    is_close(a.std[0], std, 1e-7, 1e-6, "idx raw: population std of unpadded train pixels/255");

    int idx[3] = {4, 0, 2};
    is_close(batch_error(&a, &a.train, idx, 3), 0, 2e-6, 0, "idx raw: dataset_batch train values");
    int tidx[2] = {2, 1};
    is_close(batch_error(&a, &a.test, tidx, 2), 0, 2e-6, 0, "idx raw: dataset_batch test values");
    float x[1024];
    int y;
    dataset_batch(&a, &a.train, idx, 1, x, &y);
    double want_border = (0 - mean) / std;
    double want_px = (idx_pix(4, 7, 11) / 255.0 - mean) / std;
    ok(y == 5 && fabs(x[0] - want_border) < 1e-5 && fabs(x[9 * 32 + 13] - want_px) < 1e-5,
       "idx raw: batch border %g (want %g), pixel (9,13) %g (want %g), label %d", x[0],
       want_border, x[9 * 32 + 13], want_px, y);

    snprintf(spec, sizeof spec, "idx:%s/", gz);   /* trailing slash is fine too */
    rc = dataset_load(spec, 0, &b, err, sizeof err);
    if (ok(rc == 0, "idx gzip'd (mixed with raw): loads")) {
        ok(b.train.n == 5 && b.test.n == 3 && b.classes == 6, "idx gz: counts and classes");
        ok(memcmp(a.train.pixels, b.train.pixels, 5 * 1024) == 0 &&
           memcmp(a.test.pixels, b.test.pixels, 3 * 1024) == 0 &&
           memcmp(a.train.labels, b.train.labels, 5) == 0 &&
           memcmp(a.test.labels, b.test.labels, 3) == 0, "idx gz: same pixels and labels as raw");
        ok(a.mean[0] == b.mean[0] && a.std[0] == b.std[0], "idx gz: same mean/std as raw");
        dataset_free(&b);
    } else diag("%s", err);
    dataset_free(&a);
    ok(a.train.pixels == NULL && a.classes == 0, "dataset_free zeroes the Dataset");
    dataset_free(NULL);
    ok(1, "dataset_free(NULL) is a no-op");
}

/* Odd sizes are centred with the extra row/column at the bottom/right. */
static void test_idx_odd(const char *root)
{
    char dir[4200], spec[4300], err[8192] = "";
    make_dir(dir, sizeof dir, root, "idx_odd");
    Buf b = idx_images(0x803, 2, 27, 29, 0);
    write_buf(dir, "train-images-idx3-ubyte", &b, 0, 0, 0);
    b = idx_labels(0x801, 2, (const uint8_t[]){0, 1});
    write_buf(dir, "train-labels-idx1-ubyte", &b, 0, 0, 0);
    b = idx_images(0x803, 1, 27, 29, 0);
    write_buf(dir, "t10k-images-idx3-ubyte", &b, 0, 0, 0);
    b = idx_labels(0x801, 1, (const uint8_t[]){1});
    write_buf(dir, "t10k-labels-idx1-ubyte", &b, 0, 0, 0);
    Dataset ds;
    snprintf(spec, sizeof spec, "idx:%s", dir);
    int rc = dataset_load(spec, 0, &ds, err, sizeof err);
    ok(rc == 0 && idx_padded_ok(&ds.train, 0, 27, 29, 2, 1) && ds.classes == 2,
       "idx 27x29: centred at row 2, column 1; classes 2");
    if (rc) diag("%s", err);
    else dataset_free(&ds);
}

static void test_cifar10(const char *root)
{
    char dir[4200], spec[4300], err[8192] = "";
    make_dir(dir, sizeof dir, root, "c10");
    write_cifar10_set(dir);
    Dataset ds;
    snprintf(spec, sizeof spec, "cifar10:%s", dir);
    int rc = dataset_load(spec, 0, &ds, err, sizeof err);
    if (!ok(rc == 0, "cifar10: loads")) { diag("%s", err); return; }
    ok(strcmp(ds.kind, "cifar10") == 0 && ds.classes == 10, "cifar10: kind, 10 classes");
    ok(ds.train.n == 10 && ds.train.c == 3 && ds.train.h == 32 && ds.train.w == 32,
       "cifar10: train 10x3x32x32 from 5 batches (got n=%d)", ds.train.n);
    ok(ds.test.n == 3 && ds.test.c == 3, "cifar10: test 3x3x32x32");
    int good = 1, i = 0;
    for (int f = 0; f < 5; f++)
        for (int r = 0; r < C10_COUNTS[f]; r++, i++) {
            good &= ds.train.labels[i] == c10_label(f, r);
            for (int k = 0; k < 3072; k++) good &= ds.train.pixels[i * 3072 + k] == cifar_pix(f, r, k);
        }
    ok(good, "cifar10: train labels and CHW pixels in batch order");
    good = 1;
    for (int r = 0; r < 3; r++) {
        good &= ds.test.labels[r] == c10_label(5, r);
        for (int k = 0; k < 3072; k++) good &= ds.test.pixels[r * 3072 + k] == cifar_pix(5, r, k);
    }
    ok(good, "cifar10: test labels and pixels");
    ok(ds.mean[0] == 0.49139968f && ds.mean[1] == 0.48215827f && ds.mean[2] == 0.44653124f &&
       ds.std[0] == 0.24703233f && ds.std[1] == 0.24348505f && ds.std[2] == 0.26158768f,
       "cifar10: reference mean/std");
    int idx[3] = {9, 0, 4};
    is_close(batch_error(&ds, &ds.train, idx, 3), 0, 2e-6, 0, "cifar10: dataset_batch values");
    /* One value by hand: train image 2 = batch 2 record 0, green pixel (5, 7). */
    float x[3072];
    int y, k = 1024 + 5 * 32 + 7;
    dataset_batch(&ds, &ds.train, (const int[]){2}, 1, x, &y);
    double want = (cifar_pix(1, 0, k) / 255.0 - 0.48215827) / 0.24348505;
    ok(fabs(x[k] - want) < 1e-5 && y == c10_label(1, 0),
       "cifar10: G(5,7) of image 2 = %g (want %g), label %d", x[k], want, y);
    dataset_free(&ds);
}

static void test_cifar100(const char *root)
{
    char dir[4200], spec[4300], err[8192] = "";
    make_dir(dir, sizeof dir, root, "c100");
    write_cifar100_set(dir);
    Dataset ds;
    snprintf(spec, sizeof spec, "cifar100:%s", dir);
    int rc = dataset_load(spec, 0, &ds, err, sizeof err);
    if (!ok(rc == 0, "cifar100: loads")) { diag("%s", err); return; }
    ok(ds.classes == 100 && ds.train.n == 4 && ds.test.n == 2 && ds.train.c == 3,
       "cifar100: 100 classes, 4 train, 2 test, 3 channels");
    int good = 1;
    for (int r = 0; r < 4; r++) {
        good &= ds.train.labels[r] == c100_fine(r);
        for (int k = 0; k < 3072; k++) good &= ds.train.pixels[r * 3072 + k] == cifar_pix(0, r, k);
    }
    for (int r = 0; r < 2; r++) good &= ds.test.labels[r] == c100_fine(r);
    ok(good, "cifar100: fine labels and pixels (after 2 label bytes)");
    ok(ds.mean[0] == 0.50705882f && ds.mean[1] == 0.48666667f && ds.mean[2] == 0.44078431f &&
       ds.std[0] == 0.26745098f && ds.std[1] == 0.25568627f && ds.std[2] == 0.27607843f,
       "cifar100: reference mean/std");
    float x[3072];
    int y, k = 2048 + 31 * 32 + 31;
    dataset_batch(&ds, &ds.train, (const int[]){3}, 1, x, &y);
    double want = (cifar_pix(0, 3, k) / 255.0 - 0.44078431) / 0.27607843;
    ok(fabs(x[k] - want) < 1e-5 && y == c100_fine(3),
       "cifar100: B(31,31) of image 3 = %g (want %g)", x[k], want);
    dataset_free(&ds);

    rc = dataset_load(spec, 1, &ds, err, sizeof err);
    if (!ok(rc == 0, "cifar100 coarse: loads")) { diag("%s", err); return; }
    good = ds.classes == 20;
    for (int r = 0; r < 4; r++) good &= ds.train.labels[r] == c100_coarse(r);
    for (int r = 0; r < 2; r++) good &= ds.test.labels[r] == c100_coarse(r);
    ok(good, "cifar100 coarse: 20 classes, coarse labels");
    dataset_free(&ds);
}

static void test_shapes(void)
{
    int ch = 0, cl = 0, good = 1;
    good &= dataset_shape_by_name("cifar10", &ch, &cl) == 0 && ch == 3 && cl == 10;
    good &= dataset_shape_by_name("cifar100", &ch, &cl) == 0 && ch == 3 && cl == 100;
    good &= dataset_shape_by_name("fmnist", &ch, &cl) == 0 && ch == 1 && cl == 10;
    good &= dataset_shape_by_name("idx", &ch, &cl) == 0 && ch == 1 && cl == 10;
    good &= dataset_shape_by_name("cifar10:/some/dir", &ch, &cl) == 0 && ch == 3 && cl == 10;
    ok(good, "dataset_shape_by_name: cifar10, cifar100, fmnist, idx, full spec");
    ok(dataset_shape_by_name("foo", &ch, &cl) == -1 && dataset_shape_by_name("cifar", &ch, &cl) == -1 &&
       dataset_shape_by_name(NULL, &ch, &cl) == -1, "dataset_shape_by_name: unknown names -> -1");
}

/* A copy of the standard raw IDX set in root/sub with one file replaced by b (written
 * under name, optionally gzip'd, trimmed or extended); returns the spec in spec. */
static void idx_variant(const char *root, const char *sub, char *dir, char *spec,
                        const char *name, Buf *b, int gz, size_t trim, size_t extra)
{
    make_dir(dir, 4200, root, sub);
    write_idx_set(dir, 0);
    if (name) {
        char path[4300];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        unlink(path);
        size_t len = strlen(name);
        if (len > 3 && strcmp(name + len - 3, ".gz") == 0) {
            /* the raw file of the same name must go, or it would be preferred */
            snprintf(path, sizeof path, "%s/%.*s", dir, (int)len - 3, name);
            unlink(path);
        }
        write_buf(dir, name, b, gz, trim, extra);
    }
    snprintf(spec, 4300, "idx:%s", dir);
}

/* Full path dir/name into out, for asserting that a message names the file. */
static const char *full(char *out, const char *dir, const char *name)
{
    snprintf(out, 4300, "%s/%s", dir, name);
    return out;
}

static void test_idx_errors(const char *root)
{
    char dir[4200], spec[4300], path[4300];
    Buf b;

    b = idx_images(0x801, 5, 28, 28, 0);
    idx_variant(root, "e_magic", dir, spec, "train-images-idx3-ubyte", &b, 0, 0, 0);
    expect_fail("bad image magic", spec, 0, full(path, dir, "train-images-idx3-ubyte"),
                "bad magic 0x00000801, expected 0x00000803");

    b = idx_labels(0x803, 5, IDX_TRAIN_LAB);
    idx_variant(root, "e_lmagic", dir, spec, "train-labels-idx1-ubyte", &b, 0, 0, 0);
    expect_fail("bad label magic", spec, 0, full(path, dir, "train-labels-idx1-ubyte"), "bad magic");

    b = idx_images(0x803, 5, 28, 28, 0);
    idx_variant(root, "e_trimg", dir, spec, "train-images-idx3-ubyte", &b, 0, 10, 0);
    expect_fail("truncated image file", spec, 0, full(path, dir, "train-images-idx3-ubyte"),
                "truncated");

    b = idx_labels(0x801, 3, IDX_TEST_LAB);
    idx_variant(root, "e_trlab", dir, spec, "t10k-labels-idx1-ubyte", &b, 0, 1, 0);
    expect_fail("truncated label file", spec, 0, full(path, dir, "t10k-labels-idx1-ubyte"),
                "truncated");

    b = (Buf){0};
    buf_u32(&b, 0x803);
    buf_u32(&b, 5);
    idx_variant(root, "e_trhdr", dir, spec, "train-images-idx3-ubyte", &b, 0, 0, 0);
    expect_fail("truncated image header", spec, 0, full(path, dir, "train-images-idx3-ubyte"),
                "truncated header");

    b = idx_labels(0x801, 4, IDX_TRAIN_LAB);
    idx_variant(root, "e_count", dir, spec, "train-labels-idx1-ubyte", &b, 0, 0, 0);
    expect_fail("image/label count mismatch", spec, 0, full(path, dir, "train-labels-idx1-ubyte"),
                "count mismatch");

    b = idx_images(0x803, 5, 28, 28, 0);
    idx_variant(root, "e_trail", dir, spec, "train-images-idx3-ubyte", &b, 0, 0, 3);
    expect_fail("trailing bytes", spec, 0, full(path, dir, "train-images-idx3-ubyte"),
                "3 trailing bytes");

    b = idx_labels(0x801, 3, (const uint8_t[]){2, 0, 12});
    idx_variant(root, "e_label", dir, spec, "t10k-labels-idx1-ubyte", &b, 0, 0, 0);
    expect_fail("IDX test label beyond the training classes", spec, 0,
                full(path, dir, "t10k-labels-idx1-ubyte"), "label 12 at record 2 out of range 0..5");

    b = idx_images(0x803, 2, 33, 33, 0);
    idx_variant(root, "e_big", dir, spec, "t10k-images-idx3-ubyte", &b, 0, 0, 0);
    expect_fail("image larger than 32x32", spec, 0, full(path, dir, "t10k-images-idx3-ubyte"),
                "larger than 32x32");

    idx_variant(root, "e_missing", dir, spec, NULL, NULL, 0, 0, 0);
    unlink(full(path, dir, "t10k-images-idx3-ubyte"));
    expect_fail("missing file", spec, 0, full(path, dir, "t10k-images-idx3-ubyte"), "not found");

    /* Corrupt the middle of the deflate stream of a gzip'd file. */
    idx_variant(root, "e_gzbad", dir, spec, NULL, NULL, 0, 0, 0);
    unlink(full(path, dir, "train-images-idx3-ubyte"));
    b = idx_images(0x803, 5, 28, 28, 0);
    write_buf(dir, "train-images-idx3-ubyte.gz", &b, 1, 0, 0);
    {
        FILE *f = fopen(full(path, dir, "train-images-idx3-ubyte.gz"), "r+b");
        long size = (fseek(f, 0, SEEK_END), ftell(f));
        fseek(f, size / 2, SEEK_SET);
        for (int i = 0; i < 16; i++) fputc(0xFF, f);
        fclose(f);
    }
    expect_fail("corrupt gzip stream", spec, 0, path, "corrupt gzip stream");

    /* A gzip'd file cut in half. */
    idx_variant(root, "e_gzcut", dir, spec, NULL, NULL, 0, 0, 0);
    unlink(full(path, dir, "train-labels-idx1-ubyte"));
    b = idx_labels(0x801, 5, IDX_TRAIN_LAB);
    write_buf(dir, "train-labels-idx1-ubyte.gz", &b, 1, 0, 0);
    truncate(full(path, dir, "train-labels-idx1-ubyte.gz"), 20);
    expect_fail("truncated gzip file", spec, 0, path, "gzip");

    b = idx_labels(0x801, 5, IDX_TRAIN_LAB);
    idx_variant(root, "e_notgz", dir, spec, "train-labels-idx1-ubyte.gz", &b, 0, 0, 0);
    expect_fail(".gz file that is not gzip", spec, 0, full(path, dir, "train-labels-idx1-ubyte.gz"),
                "not a gzip file");

    /* fmnist mode (fixed 10 classes) goes through data_load_idx with classes = 10. */
    b = idx_labels(0x801, 5, (const uint8_t[]){3, 1, 4, 10, 5});
    idx_variant(root, "e_fmlabel", dir, spec, "train-labels-idx1-ubyte", &b, 0, 0, 0);
    {
        Dataset ds = {0};
        char err[8192] = "";
        int rc = data_load_idx(dir, 10, NULL, &ds, err, sizeof err);
        ok(rc == -1 && strstr(err, full(path, dir, "train-labels-idx1-ubyte")) &&
           strstr(err, "label 10 at record 3 out of range 0..9"),
           "fmnist-mode IDX train label 10: fails naming the file");
        diag("  %s", err);
        dataset_free(&ds);   /* the caller frees partly filled sets */
        rc = data_load_idx("/nonexistent-mta-dir", 10, "install the Debian package "
                           "dataset-fashion-mnist", &ds, err, sizeof err);
        ok(rc == -1 && strstr(err, "/nonexistent-mta-dir/train-images-idx3-ubyte") &&
           strstr(err, "not found") && strstr(err, "dataset-fashion-mnist"),
           "missing fmnist files: message names the file and the package");
        diag("  %s", err);
        dataset_free(&ds);
    }

    b = (Buf){0};
    idx_variant(root, "e_empty", dir, spec, "t10k-labels-idx1-ubyte", &b, 0, 0, 0);
    expect_fail("empty label file", spec, 0, full(path, dir, "t10k-labels-idx1-ubyte"),
                "truncated header: 0 bytes");
}

/* A copy of the standard CIFAR-10 set in root/sub with file name replaced by b. */
static void cifar10_variant(const char *root, const char *sub, char *dir, char *spec,
                            const char *name, Buf *b)
{
    make_dir(dir, 4200, root, sub);
    write_cifar10_set(dir);
    if (name) write_buf(dir, name, b, 0, 0, 0);
    snprintf(spec, 4300, "cifar10:%s", dir);
}

static void test_cifar_errors(const char *root)
{
    char dir[4200], spec[4300], path[4300];
    Buf b;

    b = cifar_file(1, 3, 1);
    b.p[3073] = 10;   /* record 1's label */
    cifar10_variant(root, "e_c10label", dir, spec, "data_batch_2.bin", &b);
    expect_fail("CIFAR-10 label out of range", spec, 0, full(path, dir, "data_batch_2.bin"),
                "label 10 at record 1 out of range 0..9");

    b = cifar_file(2, 2, 1);
    b.n -= 5;
    cifar10_variant(root, "e_c10size", dir, spec, "data_batch_3.bin", &b);
    expect_fail("CIFAR-10 size not a multiple of 3073", spec, 0, full(path, dir, "data_batch_3.bin"),
                "6141 bytes is not a multiple of 3073-byte records");

    b = (Buf){0};
    cifar10_variant(root, "e_c10empty", dir, spec, "test_batch.bin", &b);
    expect_fail("CIFAR-10 empty file", spec, 0, full(path, dir, "test_batch.bin"), "empty file");

    cifar10_variant(root, "e_c10missing", dir, spec, NULL, NULL);
    unlink(full(path, dir, "test_batch.bin"));
    expect_fail("CIFAR-10 missing test_batch.bin", spec, 0, path, "not found");

    char mspec[4300];
    snprintf(mspec, sizeof mspec, "cifar10:%s/nonexistent", root);
    snprintf(path, sizeof path, "%s/nonexistent/data_batch_1.bin", root);
    expect_fail("CIFAR-10 missing directory", mspec, 0, path, "not found");

    make_dir(dir, sizeof dir, root, "e_c100fine");
    write_cifar100_set(dir);
    b = cifar_file(1, 2, 2);
    b.p[3074 + 1] = 100;   /* record 1's fine label */
    write_buf(dir, "test.bin", &b, 0, 0, 0);
    snprintf(spec, sizeof spec, "cifar100:%s", dir);
    expect_fail("CIFAR-100 fine label out of range", spec, 0, full(path, dir, "test.bin"),
                "fine label 100 at record 1 out of range 0..99");

    make_dir(dir, sizeof dir, root, "e_c100coarse");
    write_cifar100_set(dir);
    b = cifar_file(0, 4, 2);
    b.p[0] = 20;   /* record 0's coarse label */
    write_buf(dir, "train.bin", &b, 0, 0, 0);
    snprintf(spec, sizeof spec, "cifar100:%s", dir);
    expect_fail("CIFAR-100 coarse label out of range", spec, 1, full(path, dir, "train.bin"),
                "coarse label 20 at record 0 out of range 0..19");

    make_dir(dir, sizeof dir, root, "e_c100size");
    write_cifar100_set(dir);
    b = cifar_file(0, 4, 2);
    b.n = 3073 * 2;   /* a CIFAR-10-sized file: not whole 3074-byte records */
    write_buf(dir, "train.bin", &b, 0, 0, 0);
    snprintf(spec, sizeof spec, "cifar100:%s", dir);
    expect_fail("CIFAR-100 size not a multiple of 3074", spec, 0, full(path, dir, "train.bin"),
                "6146 bytes is not a multiple of 3074-byte records");
}

static void test_spec_errors(void)
{
    expect_fail("unknown spec", "foo:bar", 0, "foo:bar", "fmnist, idx:DIR, cifar10:DIR or cifar100:DIR");
    expect_fail("unknown bare spec", "cifar", 0, "'cifar'", "unknown data set spec");
    expect_fail("spec without directory", "idx:", 0, "idx:", "missing directory");
    expect_fail("NULL spec", NULL, 0, "no data set spec", "cifar10:DIR");
}

static void test_fmnist(void)
{
    struct stat st;
    if (stat(FMNIST_DIR, &st) != 0) {
        tap_state()->run++;
        printf("ok %d # SKIP fashion-mnist not installed\n", tap_state()->run);
        return;
    }
    Dataset ds;
    char err[8192] = "";
    int rc = dataset_load("fmnist", 0, &ds, err, sizeof err);
    if (!ok(rc == 0, "fmnist: loads from " FMNIST_DIR)) { diag("%s", err); return; }
    ok(ds.train.n == 60000 && ds.test.n == 10000, "fmnist: 60000 train, 10000 test (got %d, %d)",
       ds.train.n, ds.test.n);
    ok(ds.train.c == 1 && ds.train.h == 32 && ds.train.w == 32 && ds.test.c == 1 &&
       ds.test.h == 32 && ds.test.w == 32, "fmnist: 1x32x32");
    ok(ds.classes == 10, "fmnist: 10 classes");
    ok(ds.mean[0] > 0.2 && ds.mean[0] < 0.4, "fmnist: train mean %.6f in (0.2, 0.4), std %.6f",
       (double)ds.mean[0], (double)ds.std[0]);
    ok(borders_zero(&ds.train, 2), "fmnist: padded borders zero");
    dataset_free(&ds);
}

int main(void)
{
    plan_no_plan();
    char root[] = "/tmp/mta_t_data_XXXXXX";
    if (!mkdtemp(root)) { perror("mkdtemp"); return 2; }
    test_idx(root);
    test_idx_odd(root);
    test_cifar10(root);
    test_cifar100(root);
    test_shapes();
    test_idx_errors(root);
    test_cifar_errors(root);
    test_spec_errors();
    test_fmnist();
    char out[256];
    ok(run_cmd(out, sizeof out, "rm -rf '%s'", root) == 0, "temporary directory removed");
    return done_testing();
}
