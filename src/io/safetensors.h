/* safetensors.h — read and write the safetensors tensor file format.
 *
 * Format (https://github.com/huggingface/safetensors):
 *   8 bytes   N, little-endian u64: length of the header
 *   N bytes   UTF-8 JSON object: tensor name -> {"dtype": "F32", "shape": [2, 3],
 *             "data_offsets": [begin, end]}, plus an optional "__metadata__": {str: str}
 *   rest      the data region; offsets are relative to its first byte; elements are
 *             little-endian, row-major, packed with no gaps.
 * This module knows nothing about networks: it maps names to typed byte ranges.
 *
 * Reading (st_read) is strict and follows the reference implementation's rules: N <= 100 MB
 * and N <= file size - 8; the header is valid JSON (see json.h) and an object; every entry
 * has exactly the keys dtype, shape and data_offsets; dtype is known; shape holds
 * non-negative integers (rank <= ST_MAX_RANK); begin <= end <= data size; end - begin ==
 * numel * element size (overflow-checked); tensor names are unique; the tensors cover the
 * data region exactly (no overlaps, no holes, nothing after the last tensor); metadata
 * values are strings.  Errors return -1 and a message naming the file, the tensor and what
 * was expected, e.g.
 *   "ckpt.safetensors: tensor 'conv0.weight': data_offsets [0, 100] but shape [4,3,3,3]
 *    F32 needs 432 bytes"
 * Headers with or without the writer's space padding are accepted.
 *
 * Writing (StWriter + st_write) emits tensors in insertion order with contiguous offsets
 * from 0, "__metadata__" first, compact JSON like the reference (serde_json) and the header
 * padded with spaces to a multiple of 8 bytes, so the data region is 8-byte aligned in the
 * file.  (The reference sorts tensors by alignment; we keep insertion order, so a tensor
 * after an odd-sized U8 tensor may be unaligned — readers here decode bytewise anyway.)
 * The file is written to "<path>.tmp.<pid>", fsync'ed and renamed over path, so an
 * interrupted or failed write never leaves a partial file at path.
 */
#ifndef MTA_SAFETENSORS_H
#define MTA_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_HEADER 100000000u   /* largest accepted header, as in the reference */
#define ST_MAX_RANK 64             /* largest accepted number of dimensions */

/* Element types.  ST_OTHER covers the remaining dtypes of the format with a whole-byte
 * element size (BOOL, I8, U16, I16, U32, U64, F8_E5M2, F8_E4M3, F8_E8M0, C64): such
 * tensors are read and validated (StTensor.dtype_name/elem_size tell which), but not
 * converted by st_read_f32/st_read_i64 and cannot be written. */
typedef enum { ST_F32, ST_F64, ST_I64, ST_I32, ST_U8, ST_F16, ST_BF16, ST_OTHER } StDtype;

const char *st_dtype_name(StDtype dt);   /* "F32", ...; "OTHER" for ST_OTHER */
size_t st_dtype_size(StDtype dt);        /* bytes per element; 0 for ST_OTHER */

typedef struct {
    char *name;              /* NUL-terminated (names with NUL bytes are rejected); owned */
    StDtype dtype;
    const char *dtype_name;  /* as spelled in the file, e.g. "F32", "BOOL"; static */
    size_t elem_size;        /* bytes per element */
    int rank;                /* number of dimensions; 0 for a scalar */
    int64_t *shape;          /* rank dims >= 0; NULL when rank == 0; owned */
    size_t numel;            /* product of shape (1 for a scalar, 0 if a dim is 0) */
    size_t begin, end;       /* byte range [begin, end) in the data region */
} StTensor;

typedef struct {
    char *key;               /* NUL-terminated; owned */
    char *value;             /* NUL-terminated; may contain NUL bytes (see value_len); owned */
    size_t value_len;
} StMeta;

/* A parsed file.  Everything is owned by the StFile and released by st_free; pointers
 * returned by the accessors below stay valid until then. */
typedef struct {
    char *path;              /* copy of the path given to st_read */
    StTensor *tensors;       /* ntensors entries, in header order */
    size_t ntensors;
    StMeta *meta;            /* "__metadata__" entries in header order (nmeta 0 if absent) */
    size_t nmeta;
    unsigned char *buf;      /* file contents after the 8-byte length: header, then data */
    size_t header_len;       /* N */
    const unsigned char *data;  /* buf + header_len: the data region (may be unaligned) */
    size_t data_len;
    const StTensor **by_name;   /* private: tensors sorted by name, for st_find */
} StFile;

/* Read, parse and validate path.  Returns 0 and fills *f (release with st_free), or -1
 * with a message in err (errsz bytes; err may be NULL) and *f zeroed, nothing allocated. */
int st_read(const char *path, StFile *f, char *err, size_t errsz);
void st_free(StFile *f);   /* releases everything f owns and zeroes it; NULL is ok */

const StTensor *st_find(const StFile *f, const char *name);   /* NULL if absent */
const char *st_meta(const StFile *f, const char *key);        /* NULL if absent */

/* The tensor's bytes (t->end - t->begin of them), little-endian, possibly unaligned:
 * use memcpy or the converters below rather than casting to float*. */
const void *st_data(const StFile *f, const StTensor *t);
size_t st_nbytes(const StTensor *t);

/* Decode t into dst (t->numel elements, caller-allocated), whatever the host byte order.
 * st_read_f32: F32, F64 (rounded; beyond float range -> +-inf), F16, BF16.
 * st_read_i64: I64, I32, U8.
 * Return 0, or -1 (dst untouched) when t's dtype is not one of those. */
int st_read_f32(const StFile *f, const StTensor *t, float *dst);
int st_read_i64(const StFile *f, const StTensor *t, int64_t *dst);

/* ---------- writing ---------- */

typedef struct {
    char *name;              /* owned copy */
    StDtype dtype;
    int rank;
    int64_t *shape;          /* owned copy (NULL when rank == 0) */
    const void *data;        /* borrowed: numel elements in host byte order */
} StWriterEntry;

/* Collects tensors and metadata for st_write.  Initialize with st_writer_init (or
 * = {0}), release with st_writer_free. */
typedef struct {
    StWriterEntry *entries;
    size_t n, cap;
    StMeta *meta;            /* owned copies */
    size_t nmeta, meta_cap;
} StWriter;

void st_writer_init(StWriter *w);
void st_writer_free(StWriter *w);   /* frees the copies, never the borrowed data */

/* Add a tensor.  name and shape are copied; data (numel elements of dtype in host byte
 * order: float, double, int64_t, int32_t, uint8_t, or uint16_t bit patterns for F16/BF16)
 * is borrowed and must stay valid until st_write returns.  data may be NULL when numel is
 * 0.  Validation (duplicate names, dtype, shape) happens in st_write. */
void st_writer_add(StWriter *w, const char *name, StDtype dtype, int rank,
                   const int64_t *shape, const void *data);

/* Set metadata key to value (both copied; a repeated key replaces the old value).  Values
 * may be long multi-line text; they are JSON-escaped on output. */
void st_writer_meta(StWriter *w, const char *key, const char *value);

/* Write the collected tensors to path atomically (see top of file).  Returns 0, or -1 with
 * a message naming path (and the tensor, if one is at fault) in err; on failure the
 * temporary file is removed and an existing file at path is left untouched. */
int st_write(const StWriter *w, const char *path, char *err, size_t errsz);

#endif
