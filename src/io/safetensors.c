/* safetensors.c — safetensors reader/writer (see safetensors.h). */
#include "io/safetensors.h"

#include "base/check.h"
#include "base/fileio.h"
#include "io/json.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------- dtypes ---------- */

typedef struct { const char *name; StDtype dt; size_t size; } DtypeInfo;

/* The first ST_OTHER entries are indexed by StDtype; the rest are the format's other
 * whole-byte dtypes, read as ST_OTHER. */
static const DtypeInfo DTYPES[] = {
    { "F32", ST_F32, 4 }, { "F64", ST_F64, 8 }, { "I64", ST_I64, 8 }, { "I32", ST_I32, 4 },
    { "U8", ST_U8, 1 }, { "F16", ST_F16, 2 }, { "BF16", ST_BF16, 2 },
    { "BOOL", ST_OTHER, 1 }, { "I8", ST_OTHER, 1 }, { "I16", ST_OTHER, 2 },
    { "U16", ST_OTHER, 2 }, { "U32", ST_OTHER, 4 }, { "U64", ST_OTHER, 8 },
    { "F8_E5M2", ST_OTHER, 1 }, { "F8_E4M3", ST_OTHER, 1 }, { "F8_E8M0", ST_OTHER, 1 },
    { "C64", ST_OTHER, 8 },
};
#define NDTYPES (sizeof DTYPES / sizeof DTYPES[0])

static int writable_dtype(StDtype dt) { return dt >= ST_F32 && dt < ST_OTHER; }

const char *st_dtype_name(StDtype dt)
{
    if (writable_dtype(dt)) return DTYPES[dt].name;
    return dt == ST_OTHER ? "OTHER" : "?";
}

size_t st_dtype_size(StDtype dt) { return writable_dtype(dt) ? DTYPES[dt].size : 0; }

static const DtypeInfo *dtype_lookup(const char *s, size_t n)
{
    for (size_t i = 0; i < NDTYPES; i++)
        if (strlen(DTYPES[i].name) == n && memcmp(DTYPES[i].name, s, n) == 0) return &DTYPES[i];
    return NULL;
}

/* ---------- errors ---------- */

/* Where messages go: every message starts with "<path>: " and, when a tensor is at fault,
 * "tensor '<name>': ". */
typedef struct { const char *path; char *err; size_t errsz; } Ctx;

static int fail(const Ctx *c, const char *tensor, const char *fmt, ...) MTA_PRINTF(3, 4);

static int fail(const Ctx *c, const char *tensor, const char *fmt, ...)
{
    if (!c->err || !c->errsz) return -1;
    int n = tensor ? snprintf(c->err, c->errsz, "%s: tensor '%s': ", c->path, tensor)
                   : snprintf(c->err, c->errsz, "%s: ", c->path);
    if (n >= 0 && (size_t)n < c->errsz) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errsz - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* "[4,3,3,3]" into buf (truncated with "..." if it does not fit). */
static const char *fmt_shape(const int64_t *shape, int rank, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    len += (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < rank && len < n; i++)
        len += (size_t)snprintf(buf + len, n - len, "%s%" PRId64, i ? "," : "", shape[i]);
    if (len < n) len += (size_t)snprintf(buf + len, n - len, "]");
    if (len >= n && n >= 4) memcpy(buf + n - 4, "...", 4);
    return buf;
}

/* Short description of a JSON value for "got ..." in messages. */
static const char *describe(const JsonValue *v, char *buf, size_t n)
{
    switch (v->type) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return v->boolean ? "true" : "false";
    case JSON_STRING: return "a string";
    case JSON_ARRAY: return "an array";
    case JSON_OBJECT: return "an object";
    case JSON_NUMBER:
        if (v->is_int) snprintf(buf, n, "%" PRId64, v->num.i);
        else snprintf(buf, n, "%.17g", v->num.d);
        return buf;
    }
    return "?";
}

/* numel and byte size of a shape, overflow-checked.  Returns -1 on overflow. */
static int shape_size(const int64_t *shape, int rank, size_t esize, size_t *numel, size_t *nbytes)
{
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        uint64_t d = (uint64_t)shape[i];
        if (d > SIZE_MAX) return -1;
        if (n != 0 && d > SIZE_MAX / n) return -1;
        n *= (size_t)d;
    }
    if (n != 0 && esize > SIZE_MAX / n) return -1;
    *numel = n;
    *nbytes = n * esize;
    return 0;
}

/* ---------- reading: file ---------- */

/* Read exactly n bytes; -1 with errno set (0 on early end of file) otherwise. */
static int read_full(int fd, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) { if (k == 0) errno = 0; return -1; }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static uint16_t le16(const unsigned char *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t le64(const unsigned char *p) { return le32(p) | ((uint64_t)le32(p + 4) << 32); }

/* Check the 8-byte length against the file size and load the rest into f->buf. */
static int load_body(const Ctx *c, int fd, uint64_t size, StFile *f)
{
    unsigned char len8[8];
    if (size < 8)
        return fail(c, NULL, "file is %" PRIu64 " bytes, too short for the 8-byte header length",
                    size);
    if (read_full(fd, len8, 8)) return fail(c, NULL, "read failed: %s", errno ? strerror(errno) : "file shrank");
    uint64_t n = le64(len8);
    if (n > ST_MAX_HEADER || n > size - 8) {   /* a wrong length: a damaged file, or another format? */
        unsigned char brace = 0;
        if (size == 8 || read_full(fd, &brace, 1) || brace != '{')
            return fail(c, NULL, "not a safetensors file (it does not start with an 8-byte header length and a "
                                 "JSON header; the first 8 bytes read as length %" PRIu64 ")", n);
    }
    if (n > ST_MAX_HEADER)
        return fail(c, NULL, "header length %" PRIu64 " exceeds the limit of %u bytes", n,
                    (unsigned)ST_MAX_HEADER);
    if (n > size - 8)
        return fail(c, NULL, "header length %" PRIu64 " exceeds the file size (%" PRIu64
                    " bytes after the 8-byte length)", n, size - 8);
    if (size - 8 > SIZE_MAX) return fail(c, NULL, "file too large for this machine");
    f->buf = xmalloc((size_t)(size - 8));
    if (read_full(fd, f->buf, (size_t)(size - 8)))
        return fail(c, NULL, "read failed: %s", errno ? strerror(errno) : "file shrank while reading");
    f->header_len = (size_t)n;
    f->data = f->buf + n;
    f->data_len = (size_t)(size - 8 - n);
    return 0;
}

static int load_file(const Ctx *c, StFile *f)
{
    int fd = open(c->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(c, NULL, "cannot open: %s", strerror(errno));
    struct stat st;
    int r;
    if (fstat(fd, &st) != 0) r = fail(c, NULL, "cannot stat: %s", strerror(errno));
    else if (!S_ISREG(st.st_mode)) r = fail(c, NULL, "not a regular file");
    else r = load_body(c, fd, (uint64_t)st.st_size, f);
    close(fd);
    return r;
}

/* ---------- reading: header ---------- */

static int is_meta_key(const JsonMember *m)
{
    return m->keylen == 12 && memcmp(m->key, "__metadata__", 12) == 0;
}

static char *copy_str(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

static int parse_dtype(const Ctx *c, StTensor *t, const JsonValue *v)
{
    if (v->type != JSON_STRING) {
        char b[40];
        return fail(c, t->name, "dtype must be a string such as \"F32\", got %s", describe(v, b, sizeof b));
    }
    const DtypeInfo *d = dtype_lookup(v->str, v->n);
    if (!d) return fail(c, t->name, "unknown dtype '%s'", v->str);
    t->dtype = d->dt;
    t->dtype_name = d->name;
    t->elem_size = d->size;
    return 0;
}

static int parse_shape(const Ctx *c, StTensor *t, const JsonValue *v)
{
    char b[40];
    if (v->type != JSON_ARRAY)
        return fail(c, t->name, "shape must be an array of non-negative integers, got %s",
                    describe(v, b, sizeof b));
    if (v->n > ST_MAX_RANK)
        return fail(c, t->name, "shape has %zu dimensions, more than the supported %d", v->n,
                    ST_MAX_RANK);
    t->rank = (int)v->n;
    t->shape = t->rank ? xcalloc(v->n, sizeof *t->shape) : NULL;
    for (size_t i = 0; i < v->n; i++) {
        const JsonValue *d = &v->items[i];
        if (d->type != JSON_NUMBER || !d->is_int || d->num.i < 0)
            return fail(c, t->name, "shape[%zu] must be a non-negative integer, got %s", i,
                        describe(d, b, sizeof b));
        t->shape[i] = d->num.i;
    }
    return 0;
}

static int parse_offsets(const Ctx *c, const StFile *f, StTensor *t, const JsonValue *v)
{
    char b[40];
    if (v->type != JSON_ARRAY)
        return fail(c, t->name, "data_offsets must be an array [begin, end], got %s",
                    describe(v, b, sizeof b));
    if (v->n != 2)
        return fail(c, t->name, "data_offsets must be [begin, end], got %zu numbers", v->n);
    for (int i = 0; i < 2; i++) {
        const JsonValue *o = &v->items[i];
        if (o->type != JSON_NUMBER || !o->is_int || o->num.i < 0)
            return fail(c, t->name, "data_offsets[%d] must be a non-negative integer, got %s", i,
                        describe(o, b, sizeof b));
    }
    uint64_t begin = (uint64_t)v->items[0].num.i, end = (uint64_t)v->items[1].num.i;
    if (begin > end)
        return fail(c, t->name, "data_offsets [%" PRIu64 ", %" PRIu64 "]: begin is after end",
                    begin, end);
    if (end > f->data_len)
        return fail(c, t->name, "data_offsets [%" PRIu64 ", %" PRIu64 "] out of bounds: the "
                    "data region has %zu bytes", begin, end, f->data_len);
    t->begin = (size_t)begin;
    t->end = (size_t)end;
    return 0;
}

/* end - begin must equal numel * element size. */
static int check_size(const Ctx *c, StTensor *t)
{
    char sb[128];
    size_t nbytes;
    if (shape_size(t->shape, t->rank, t->elem_size, &t->numel, &nbytes))
        return fail(c, t->name, "shape %s %s is too large (size overflows)",
                    fmt_shape(t->shape, t->rank, sb, sizeof sb), t->dtype_name);
    if (t->end - t->begin != nbytes)
        return fail(c, t->name, "data_offsets [%zu, %zu] but shape %s %s needs %zu bytes",
                    t->begin, t->end, fmt_shape(t->shape, t->rank, sb, sizeof sb),
                    t->dtype_name, nbytes);
    return 0;
}

/* Pick out dtype/shape/data_offsets from an entry object, rejecting others and repeats. */
static int entry_fields(const Ctx *c, const StTensor *t, const JsonValue *v,
                        const JsonValue *field[3])
{
    static const char *const names[3] = { "dtype", "shape", "data_offsets" };
    if (v->type != JSON_OBJECT)
        return fail(c, t->name, "expected an object with dtype, shape and data_offsets");
    field[0] = field[1] = field[2] = NULL;
    for (size_t i = 0; i < v->n; i++) {
        const JsonMember *m = &v->members[i];
        int k = 0;
        while (k < 3 && !(m->keylen == strlen(names[k]) && memcmp(m->key, names[k], m->keylen) == 0)) k++;
        if (k == 3)
            return fail(c, t->name, "unexpected key '%s' (expected dtype, shape, data_offsets)", m->key);
        if (field[k]) return fail(c, t->name, "duplicate key '%s'", names[k]);
        field[k] = &m->value;
    }
    for (int k = 0; k < 3; k++)
        if (!field[k]) return fail(c, t->name, "missing \"%s\"", names[k]);
    return 0;
}

static int parse_tensor(const Ctx *c, const StFile *f, const JsonMember *m, StTensor *t)
{
    const JsonValue *field[3];
    if (memchr(m->key, 0, m->keylen)) return fail(c, NULL, "a tensor name contains a NUL byte");
    t->name = copy_str(m->key, m->keylen);
    if (entry_fields(c, t, &m->value, field) || parse_dtype(c, t, field[0]) ||
        parse_shape(c, t, field[1]) || parse_offsets(c, f, t, field[2]))
        return -1;
    return check_size(c, t);
}

static int parse_meta(const Ctx *c, StFile *f, const JsonValue *v)
{
    char b[40];
    if (v->type != JSON_OBJECT)
        return fail(c, NULL, "\"__metadata__\" must be an object of strings, got %s",
                    describe(v, b, sizeof b));
    f->meta = xcalloc(v->n, sizeof *f->meta);
    f->nmeta = v->n;
    for (size_t i = 0; i < v->n; i++) {
        const JsonMember *m = &v->members[i];
        if (memchr(m->key, 0, m->keylen))
            return fail(c, NULL, "a \"__metadata__\" key contains a NUL byte");
        if (m->value.type != JSON_STRING)
            return fail(c, NULL, "\"__metadata__\" value for key '%s' must be a string, got %s",
                        m->key, describe(&m->value, b, sizeof b));
        f->meta[i].key = copy_str(m->key, m->keylen);
        f->meta[i].value = copy_str(m->value.str, m->value.n);
        f->meta[i].value_len = m->value.n;
    }
    return 0;
}

static int parse_root(const Ctx *c, StFile *f, const JsonValue *root)
{
    if (root->type != JSON_OBJECT) return fail(c, NULL, "header is not a JSON object");
    size_t nt = 0, nmeta = 0;
    for (size_t i = 0; i < root->n; i++) {
        if (is_meta_key(&root->members[i])) nmeta++;
        else nt++;
    }
    if (nmeta > 1) return fail(c, NULL, "duplicate \"__metadata__\" entry in the header");
    f->tensors = xcalloc(nt, sizeof *f->tensors);
    for (size_t i = 0; i < root->n; i++) {
        const JsonMember *m = &root->members[i];
        if (is_meta_key(m)) {
            if (parse_meta(c, f, &m->value)) return -1;
            continue;
        }
        StTensor *t = &f->tensors[f->ntensors++];   /* counted first so st_free sees it */
        if (parse_tensor(c, f, m, t)) return -1;
    }
    return 0;
}

static int parse_header(const Ctx *c, StFile *f)
{
    JsonValue root;
    char jerr[256];
    if (json_parse((const char *)f->buf, f->header_len, &root, jerr, sizeof jerr))
        return fail(c, NULL, "header is not valid JSON: %s", jerr);
    int r = parse_root(c, f, &root);
    json_free(&root);
    return r;
}

/* ---------- reading: whole-file checks ---------- */

static int cmp_tensor_name(const void *a, const void *b)
{
    return strcmp((*(const StTensor *const *)a)->name, (*(const StTensor *const *)b)->name);
}

static int cmp_tensor_offsets(const void *a, const void *b)
{
    const StTensor *x = *(const StTensor *const *)a, *y = *(const StTensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return 0;
}

static int cmp_meta_key(const void *a, const void *b)
{
    return strcmp((*(const StMeta *const *)a)->key, (*(const StMeta *const *)b)->key);
}

/* Build f->by_name and reject repeated tensor names. */
static int check_names(const Ctx *c, StFile *f)
{
    f->by_name = xcalloc(f->ntensors, sizeof *f->by_name);
    for (size_t i = 0; i < f->ntensors; i++) f->by_name[i] = &f->tensors[i];
    qsort(f->by_name, f->ntensors, sizeof *f->by_name, cmp_tensor_name);
    for (size_t i = 1; i < f->ntensors; i++)
        if (strcmp(f->by_name[i - 1]->name, f->by_name[i]->name) == 0)
            return fail(c, f->by_name[i]->name, "duplicate tensor name (listed more than once)");
    return 0;
}

static int check_meta_keys(const Ctx *c, const StFile *f)
{
    const StMeta **s = xcalloc(f->nmeta, sizeof *s);
    int r = 0;
    for (size_t i = 0; i < f->nmeta; i++) s[i] = &f->meta[i];
    qsort(s, f->nmeta, sizeof *s, cmp_meta_key);
    for (size_t i = 1; i < f->nmeta && !r; i++)
        if (strcmp(s[i - 1]->key, s[i]->key) == 0)
            r = fail(c, NULL, "duplicate \"__metadata__\" key '%s'", s[i]->key);
    free(s);
    return r;
}

/* The tensors, sorted by offsets, must tile [0, data_len) exactly. */
static int walk_coverage(const Ctx *c, const StFile *f, const StTensor **s)
{
    size_t expect = 0;
    const StTensor *prev = NULL;   /* the tensor that ends at expect */
    for (size_t i = 0; i < f->ntensors; i++) {
        const StTensor *t = s[i];
        if (t->begin < expect)
            return fail(c, t->name, "data_offsets [%zu, %zu] overlap tensor '%s' [%zu, %zu]",
                        t->begin, t->end, prev->name, prev->begin, prev->end);
        if (t->begin > expect)
            return fail(c, NULL, "bytes [%zu, %zu) of the data region are not covered by any "
                        "tensor (hole before tensor '%s')", expect, t->begin, t->name);
        if (!prev || t->end > t->begin) prev = t;
        expect = t->end;
    }
    if (expect != f->data_len)
        return fail(c, NULL, "bytes [%zu, %zu) at the end of the data region are not covered "
                    "by any tensor", expect, f->data_len);
    return 0;
}

static int check_coverage(const Ctx *c, const StFile *f)
{
    const StTensor **s = xcalloc(f->ntensors, sizeof *s);
    for (size_t i = 0; i < f->ntensors; i++) s[i] = &f->tensors[i];
    qsort(s, f->ntensors, sizeof *s, cmp_tensor_offsets);
    int r = walk_coverage(c, f, s);
    free(s);
    return r;
}

int st_read(const char *path, StFile *f, char *err, size_t errsz)
{
    Ctx c = { path, err, errsz };
    memset(f, 0, sizeof *f);
    f->path = xstrdup(path);
    if (load_file(&c, f) || parse_header(&c, f) || check_names(&c, f) ||
        check_meta_keys(&c, f) || check_coverage(&c, f)) {
        st_free(f);
        return -1;
    }
    return 0;
}

void st_free(StFile *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->ntensors; i++) {
        free(f->tensors[i].name);
        free(f->tensors[i].shape);
    }
    for (size_t i = 0; i < f->nmeta; i++) {
        free(f->meta[i].key);
        free(f->meta[i].value);
    }
    free(f->tensors);
    free(f->meta);
    free(f->buf);
    free(f->by_name);
    free(f->path);
    memset(f, 0, sizeof *f);
}

/* ---------- reading: access ---------- */

static int cmp_name_key(const void *key, const void *elem)
{
    return strcmp((const char *)key, (*(const StTensor *const *)elem)->name);
}

const StTensor *st_find(const StFile *f, const char *name)
{
    if (!f->ntensors) return NULL;
    const StTensor *const *p = bsearch(name, f->by_name, f->ntensors, sizeof *f->by_name, cmp_name_key);
    return p ? *p : NULL;
}

const char *st_meta(const StFile *f, const char *key)
{
    for (size_t i = 0; i < f->nmeta; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return NULL;
}

const void *st_data(const StFile *f, const StTensor *t) { return f->data + t->begin; }

size_t st_nbytes(const StTensor *t) { return t->end - t->begin; }

static float half_to_float(uint16_t h)
{
    int e = (h >> 10) & 0x1f;
    unsigned m = h & 0x3ff;
    float v;
    if (e == 0) v = ldexpf((float)m, -24);                 /* zero / subnormal */
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexpf((float)(m | 0x400), e - 25);
    return (h & 0x8000) ? -v : v;
}

static float double_to_float(double d)
{
    if (d > FLT_MAX) return INFINITY;    /* out-of-range conversion is undefined in C */
    if (d < -FLT_MAX) return -INFINITY;
    return (float)d;
}

int st_read_f32(const StFile *f, const StTensor *t, float *dst)
{
    const unsigned char *p = st_data(f, t);
    if (t->dtype != ST_F32 && t->dtype != ST_F64 && t->dtype != ST_F16 && t->dtype != ST_BF16)
        return -1;
    for (size_t i = 0; i < t->numel; i++) {
        uint32_t u;
        uint64_t u64;
        double d;
        if (t->dtype == ST_F32) {
            u = le32(p + 4 * i);
            memcpy(&dst[i], &u, 4);
        } else if (t->dtype == ST_F64) {
            u64 = le64(p + 8 * i);
            memcpy(&d, &u64, 8);
            dst[i] = double_to_float(d);
        } else if (t->dtype == ST_F16) {
            dst[i] = half_to_float(le16(p + 2 * i));
        } else {
            u = (uint32_t)le16(p + 2 * i) << 16;   /* BF16: the top half of an F32 */
            memcpy(&dst[i], &u, 4);
        }
    }
    return 0;
}

int st_read_i64(const StFile *f, const StTensor *t, int64_t *dst)
{
    const unsigned char *p = st_data(f, t);
    if (t->dtype != ST_I64 && t->dtype != ST_I32 && t->dtype != ST_U8) return -1;
    for (size_t i = 0; i < t->numel; i++) {
        if (t->dtype == ST_I64) dst[i] = (int64_t)le64(p + 8 * i);
        else if (t->dtype == ST_I32) dst[i] = (int32_t)le32(p + 4 * i);
        else dst[i] = p[i];
    }
    return 0;
}

/* ---------- writing: collecting ---------- */

void st_writer_init(StWriter *w) { memset(w, 0, sizeof *w); }

void st_writer_free(StWriter *w)
{
    if (!w) return;
    for (size_t i = 0; i < w->n; i++) {
        free(w->entries[i].name);
        free(w->entries[i].shape);
    }
    for (size_t i = 0; i < w->nmeta; i++) {
        free(w->meta[i].key);
        free(w->meta[i].value);
    }
    free(w->entries);
    free(w->meta);
    memset(w, 0, sizeof *w);
}

static void *grow_array(void *p, size_t *cap, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 16;
    void *q = xrealloc(p, ncap * elem);
    *cap = ncap;
    return q;
}

void st_writer_add(StWriter *w, const char *name, StDtype dtype, int rank,
                   const int64_t *shape, const void *data)
{
    CHECK(name != NULL, "st_writer_add: name is NULL");
    if (w->n == w->cap) w->entries = grow_array(w->entries, &w->cap, sizeof *w->entries);
    StWriterEntry *e = &w->entries[w->n++];
    e->name = xstrdup(name);
    e->dtype = dtype;
    e->rank = rank;
    e->shape = NULL;   /* an out-of-range rank or NULL shape is reported by st_write */
    if (rank > 0 && rank <= ST_MAX_RANK && shape) {
        e->shape = xmalloc((size_t)rank * sizeof *e->shape);
        memcpy(e->shape, shape, (size_t)rank * sizeof *e->shape);
    }
    e->data = data;
}

void st_writer_meta(StWriter *w, const char *key, const char *value)
{
    CHECK(key != NULL && value != NULL, "st_writer_meta: NULL key or value");
    for (size_t i = 0; i < w->nmeta; i++)
        if (strcmp(w->meta[i].key, key) == 0) {
            free(w->meta[i].value);
            w->meta[i].value = xstrdup(value);
            w->meta[i].value_len = strlen(value);
            return;
        }
    if (w->nmeta == w->meta_cap) w->meta = grow_array(w->meta, &w->meta_cap, sizeof *w->meta);
    StMeta *m = &w->meta[w->nmeta++];
    m->key = xstrdup(key);
    m->value = xstrdup(value);
    m->value_len = strlen(value);
}

/* ---------- writing: validation and header ---------- */

/* Check one entry; on success *nbytes is its data size. */
static int check_entry(const Ctx *c, const StWriterEntry *e, size_t *nbytes)
{
    size_t numel;
    if (!json_utf8_valid(e->name, strlen(e->name)))
        return fail(c, e->name, "name is not valid UTF-8");
    if (strcmp(e->name, "__metadata__") == 0)
        return fail(c, e->name, "the name \"__metadata__\" is reserved for metadata");
    if (!writable_dtype(e->dtype))
        return fail(c, e->name, "cannot write dtype %s (expected F32, F64, I64, I32, U8, F16 "
                    "or BF16)", st_dtype_name(e->dtype));
    if (e->rank < 0 || e->rank > ST_MAX_RANK)
        return fail(c, e->name, "rank %d out of range [0, %d]", e->rank, ST_MAX_RANK);
    if (e->rank > 0 && !e->shape) return fail(c, e->name, "rank %d but shape is NULL", e->rank);
    for (int i = 0; i < e->rank; i++)
        if (e->shape[i] < 0)
            return fail(c, e->name, "shape[%d] is negative (%" PRId64 ")", i, e->shape[i]);
    if (shape_size(e->shape, e->rank, st_dtype_size(e->dtype), &numel, nbytes))
        return fail(c, e->name, "shape is too large (size overflows)");
    if (*nbytes && !e->data) return fail(c, e->name, "data is NULL for %zu elements", numel);
    return 0;
}

static int cmp_entry_name(const void *a, const void *b)
{
    return strcmp((*(const StWriterEntry *const *)a)->name, (*(const StWriterEntry *const *)b)->name);
}

static int check_unique_entries(const Ctx *c, const StWriter *w)
{
    const StWriterEntry **s = xcalloc(w->n, sizeof *s);
    int r = 0;
    for (size_t i = 0; i < w->n; i++) s[i] = &w->entries[i];
    qsort(s, w->n, sizeof *s, cmp_entry_name);
    for (size_t i = 1; i < w->n && !r; i++)
        if (strcmp(s[i - 1]->name, s[i]->name) == 0)
            r = fail(c, s[i]->name, "duplicate tensor name (added more than once)");
    free(s);
    return r;
}

/* Validate everything; fill nbytes[i] for each entry.  Returns 0 or -1. */
static int check_writer(const Ctx *c, const StWriter *w, size_t *nbytes)
{
    size_t total = 0;
    for (size_t i = 0; i < w->n; i++) {
        if (check_entry(c, &w->entries[i], &nbytes[i])) return -1;
        if (nbytes[i] > SIZE_MAX - total) return fail(c, w->entries[i].name, "total size overflows");
        total += nbytes[i];
    }
    for (size_t i = 0; i < w->nmeta; i++) {
        const StMeta *m = &w->meta[i];
        if (!json_utf8_valid(m->key, strlen(m->key)))
            return fail(c, NULL, "metadata key '%s' is not valid UTF-8", m->key);
        if (!json_utf8_valid(m->value, m->value_len))
            return fail(c, NULL, "metadata value for key '%s' is not valid UTF-8", m->key);
    }
    return check_unique_entries(c, w);
}

/* The JSON header, space-padded to a multiple of 8 bytes.  Caller frees with json_buf_free. */
static void build_header(const StWriter *w, const size_t *nbytes, JsonBuf *b)
{
    size_t off = 0;
    json_buf_append(b, "{", 1);
    if (w->nmeta) {
        json_buf_append(b, "\"__metadata__\":{", 16);
        for (size_t i = 0; i < w->nmeta; i++) {
            if (i) json_buf_append(b, ",", 1);
            json_buf_string(b, w->meta[i].key, strlen(w->meta[i].key));
            json_buf_append(b, ":", 1);
            json_buf_string(b, w->meta[i].value, w->meta[i].value_len);
        }
        json_buf_append(b, "}", 1);
    }
    for (size_t i = 0; i < w->n; i++) {
        const StWriterEntry *e = &w->entries[i];
        if (i || w->nmeta) json_buf_append(b, ",", 1);
        json_buf_string(b, e->name, strlen(e->name));
        json_buf_printf(b, ":{\"dtype\":\"%s\",\"shape\":[", st_dtype_name(e->dtype));
        for (int k = 0; k < e->rank; k++) json_buf_printf(b, "%s%" PRId64, k ? "," : "", e->shape[k]);
        json_buf_printf(b, "],\"data_offsets\":[%zu,%zu]}", off, off + nbytes[i]);
        off += nbytes[i];
    }
    json_buf_append(b, "}", 1);
    while (b->len % 8) json_buf_append(b, " ", 1);
}

/* ---------- writing: file ---------- */

static int write_full(int fd, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Store nelem host-order elements of esize bytes from src as little-endian into dst. */
static void encode_le(unsigned char *dst, const unsigned char *src, size_t nelem, size_t esize)
{
    if (esize == 1) { memcpy(dst, src, nelem); return; }
    for (size_t i = 0; i < nelem; i++) {
        uint64_t v = 0;
        if (esize == 2) { uint16_t x; memcpy(&x, src + 2 * i, 2); v = x; }
        else if (esize == 4) { uint32_t x; memcpy(&x, src + 4 * i, 4); v = x; }
        else memcpy(&v, src + 8 * i, 8);
        for (size_t k = 0; k < esize; k++) dst[esize * i + k] = (unsigned char)(v >> (8 * k));
    }
}

enum { CHUNK = 1 << 16 };   /* bytes encoded per write() */

static int write_tensor(int fd, const StWriterEntry *e, size_t nbytes, unsigned char *chunk)
{
    size_t es = st_dtype_size(e->dtype);
    const unsigned char *src = e->data;
    for (size_t done = 0; done < nbytes;) {
        size_t n = nbytes - done < CHUNK ? nbytes - done : CHUNK;   /* CHUNK % 8 == 0 */
        encode_le(chunk, src + done, n / es, es);
        if (write_full(fd, chunk, n)) return -1;
        done += n;
    }
    return 0;
}

/* Length prefix, header and data into fd.  -1 with errno on I/O failure. */
static int write_body(int fd, const StWriter *w, const size_t *nbytes, const JsonBuf *h)
{
    unsigned char len8[8];
    for (int k = 0; k < 8; k++) len8[k] = (unsigned char)((uint64_t)h->len >> (8 * k));
    if (write_full(fd, len8, 8) || write_full(fd, h->p, h->len)) return -1;
    unsigned char *chunk = xmalloc(CHUNK);
    int r = 0;
    for (size_t i = 0; i < w->n && !r; i++) r = write_tensor(fd, &w->entries[i], nbytes[i], chunk);
    free(chunk);
    return r;
}

/* Through the one atomic writer (base/fileio.h): "<path>.tmp.<pid>", fsync, rename. */
static int write_atomic(const Ctx *c, const StWriter *w, const size_t *nbytes, const JsonBuf *h)
{
    AtomicFile af;
    char msg[1024];
    size_t skip = strlen(c->path) + 2;   /* the messages start with "<path>: ", as fail's */
    if (atomic_open(&af, c->path, msg, sizeof msg))
        return fail(c, NULL, "%s", strlen(msg) > skip ? msg + skip : msg);
    if (write_body(fileno(af.f), w, nbytes, h)) {   /* unbuffered writes: nothing sits in af.f */
        int saved = errno;
        atomic_abort(&af);
        return fail(c, NULL, "write to temporary file failed: %s", strerror(saved));
    }
    if (atomic_commit(&af, msg, sizeof msg)) return fail(c, NULL, "%s", strlen(msg) > skip ? msg + skip : msg);
    return 0;
}

int st_write(const StWriter *w, const char *path, char *err, size_t errsz)
{
    Ctx c = { path, err, errsz };
    size_t *nbytes = xcalloc(w->n, sizeof *nbytes);
    if (check_writer(&c, w, nbytes)) { free(nbytes); return -1; }
    JsonBuf h = { 0 };
    build_header(w, nbytes, &h);
    int r = write_atomic(&c, w, nbytes, &h);
    json_buf_free(&h);
    free(nbytes);
    return r;
}
