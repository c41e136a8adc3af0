/* data_cifar.c — CIFAR-10 / CIFAR-100 binary-version loaders (see data.h).
 *
 * A record is the label byte(s) then 3072 pixel bytes: the 32x32 R plane, G plane, B plane,
 * which is already the CHW layout of ImageSet.  CIFAR-10: 1 label byte (< 10), 10000
 * records in each of data_batch_1..5.bin and test_batch.bin.  CIFAR-100: coarse (< 20) then
 * fine (< 100) label byte, 50000 records in train.bin, 10000 in test.bin.
 * A file may hold fewer records than that (so tests can use small files) but must be a
 * positive whole number of records: any other size means a truncated or foreign file.
 */
#include "io/data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CIFAR_SIDE 32
#define CIFAR_PIXELS (3 * CIFAR_SIDE * CIFAR_SIDE)   /* 3072 bytes per image */
#define CHUNK_RECORDS 1024                           /* records read per fread */
#define PATH_BUF 4200                                /* a Dataset dir plus a file name */

/* The record layout of one CIFAR variant. */
typedef struct {
    int label_bytes;               /* label bytes before the pixels: 1 or 2 */
    int limits[2];                 /* label byte i must be < limits[i] */
    const char *label_names[2];    /* "" or "coarse " / "fine ", for messages */
    int use;                       /* which label byte becomes ImageSet.labels */
} CifarFormat;

/* Records in path: its size must be a positive multiple of rec bytes, at most maxrec. */
static int cifar_count(const char *path, size_t rec, size_t maxrec, size_t *nrec,
                       char *err, size_t errsz)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return data_err(err, errsz, "%s: %s", path,
                        errno == ENOENT ? "not found" : strerror(errno));
    if (!S_ISREG(st.st_mode)) return data_err(err, errsz, "%s: not a regular file", path);
    long long size = (long long)st.st_size;
    if (size == 0)
        return data_err(err, errsz, "%s: empty file (0 bytes), expected a positive multiple "
                        "of %zu-byte records", path, rec);
    if ((unsigned long long)size % rec != 0)
        return data_err(err, errsz, "%s: %lld bytes is not a multiple of %zu-byte records "
                        "(truncated?)", path, size, rec);
    *nrec = (size_t)size / rec;
    if (*nrec > maxrec)
        return data_err(err, errsz, "%s: %zu records, more than the %zu this file should hold",
                        path, *nrec, maxrec);
    return 0;
}

/* Copy k records from buf into s at images first..first+k-1, checking every label byte;
 * record numbers in messages count from 0 within the file (rec0 = number of buf[0]). */
static int cifar_unpack(const char *path, const CifarFormat *fmt, const uint8_t *buf,
                        size_t k, size_t rec0, ImageSet *s, size_t first, char *err, size_t errsz)
{
    size_t rec = (size_t)fmt->label_bytes + CIFAR_PIXELS;
    for (size_t j = 0; j < k; j++) {
        const uint8_t *r = buf + j * rec;
        for (int l = 0; l < fmt->label_bytes; l++)
            if (r[l] >= fmt->limits[l])
                return data_err(err, errsz, "%s: %slabel %d at record %zu out of range 0..%d",
                                path, fmt->label_names[l], r[l], rec0 + j, fmt->limits[l] - 1);
        s->labels[first + j] = r[fmt->use];
        memcpy(s->pixels + (first + j) * CIFAR_PIXELS, r + fmt->label_bytes, CIFAR_PIXELS);
    }
    return 0;
}

/* Read all nrec records of path into s starting at image first. */
static int cifar_read(const char *path, const CifarFormat *fmt, size_t nrec, ImageSet *s,
                      size_t first, char *err, size_t errsz)
{
    size_t rec = (size_t)fmt->label_bytes + CIFAR_PIXELS;
    FILE *f = fopen(path, "rb");
    if (!f) return data_err(err, errsz, "%s: cannot open: %s", path, strerror(errno));
    uint8_t *buf = malloc(rec * CHUNK_RECORDS);
    int rc = buf ? 0 : data_err(err, errsz, "%s: out of memory", path);
    for (size_t done = 0; rc == 0 && done < nrec;) {
        size_t k = nrec - done < CHUNK_RECORDS ? nrec - done : CHUNK_RECORDS;
        if (fread(buf, rec, k, f) != k)
            rc = data_err(err, errsz, "%s: short read at record %zu (%s)", path, done,
                          ferror(f) ? strerror(errno) : "file shrank while reading?");
        else
            rc = cifar_unpack(path, fmt, buf, k, done, s, first + done, err, errsz);
        done += k;
    }
    free(buf);
    fclose(f);
    return rc;
}

/* Load the nfiles files names[] of dir (each at most maxrec records) into s, in order. */
static int cifar_split(const char *dir, const char *const *names, int nfiles, size_t maxrec,
                       const CifarFormat *fmt, ImageSet *s, char *err, size_t errsz)
{
    char path[PATH_BUF];
    size_t counts[8] = {0}, total = 0;   /* nfiles <= 8 (5 at most here) */
    size_t rec = (size_t)fmt->label_bytes + CIFAR_PIXELS;
    for (int i = 0; i < nfiles; i++) {
        if (data_join(path, sizeof path, dir, names[i], err, errsz) ||
            cifar_count(path, rec, maxrec, &counts[i], err, errsz))
            return -1;
        total += counts[i];
    }
    s->pixels = malloc(total * CIFAR_PIXELS);
    s->labels = malloc(total);
    if (!s->pixels || !s->labels)
        return data_err(err, errsz, "%s: out of memory for %zu images", dir, total);
    s->n = (int)total, s->c = 3, s->h = CIFAR_SIDE, s->w = CIFAR_SIDE;
    for (int i = 0, first = 0; i < nfiles; first += (int)counts[i], i++) {
        if (data_join(path, sizeof path, dir, names[i], err, errsz) ||
            cifar_read(path, fmt, counts[i], s, (size_t)first, err, errsz))
            return -1;
    }
    return 0;
}

static void set_norm(Dataset *ds, const float mean[3], const float std[3])
{
    memcpy(ds->mean, mean, sizeof ds->mean);
    memcpy(ds->std, std, sizeof ds->std);
}

int data_load_cifar10(const char *dir, Dataset *ds, char *err, size_t errsz)
{
    static const char *const train[] = {"data_batch_1.bin", "data_batch_2.bin",
                                        "data_batch_3.bin", "data_batch_4.bin",
                                        "data_batch_5.bin"};
    static const char *const test[] = {"test_batch.bin"};
    static const float mean[3] = {0.49139968f, 0.48215827f, 0.44653124f};
    static const float std[3] = {0.24703233f, 0.24348505f, 0.26158768f};
    const CifarFormat fmt = {1, {10, 0}, {"", ""}, 0};
    if (cifar_split(dir, train, 5, 10000, &fmt, &ds->train, err, errsz) ||
        cifar_split(dir, test, 1, 10000, &fmt, &ds->test, err, errsz))
        return -1;
    ds->classes = 10;
    set_norm(ds, mean, std);
    return 0;
}

int data_load_cifar100(const char *dir, int coarse, Dataset *ds, char *err, size_t errsz)
{
    static const char *const train[] = {"train.bin"};
    static const char *const test[] = {"test.bin"};
    static const float mean[3] = {0.50705882f, 0.48666667f, 0.44078431f};
    static const float std[3] = {0.26745098f, 0.25568627f, 0.27607843f};
    const CifarFormat fmt = {2, {20, 100}, {"coarse ", "fine "}, coarse ? 0 : 1};
    if (cifar_split(dir, train, 1, 50000, &fmt, &ds->train, err, errsz) ||
        cifar_split(dir, test, 1, 10000, &fmt, &ds->test, err, errsz))
        return -1;
    ds->classes = coarse ? 20 : 100;
    set_norm(ds, mean, std);
    return 0;
}
