/* t_safetensors.c — JSON parser, safetensors writer/reader round trips, exact byte layout
 * (against the reference implementation's own test vectors), hand-written files as other
 * writers produce them, and malformed files that must be rejected with a clear message. */
#include "io/json.h"
#include "io/safetensors.h"
#include "tap.h"

#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[64];   /* scratch directory, removed at the end */

static const char *tpath(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
    return buf[k];
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(p, 1, n, fp) != n || fclose(fp)) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(1);
    }
}

/* Read a whole file; caller frees.  *n gets the size. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)sz + 1);
    *n = fread(p, 1, (size_t)sz, fp);
    fclose(fp);
    return p;
}

/* File = u64 LE header length (hlen, or the given override) + header + ndata bytes of data. */
static void make_st(const char *path, const char *hdr, size_t hlen, uint64_t lenfield,
                    const void *data, size_t ndata)
{
    size_t n = 8 + hlen + ndata;
    unsigned char *b = calloc(1, n);
    for (int k = 0; k < 8; k++) b[k] = (unsigned char)(lenfield >> (8 * k));
    memcpy(b + 8, hdr, hlen);
    if (data) memcpy(b + 8 + hlen, data, ndata);
    write_bytes(path, b, n);
    free(b);
}

static int count_tmp_files(void)
{
    DIR *d = opendir(g_dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strstr(e->d_name, ".tmp.")) n++;
    if (d) closedir(d);
    return n;
}

static void remove_dir(void)
{
    DIR *d = opendir(g_dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[600];
        snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
        if (rmdir(p) != 0) unlink(p);
    }
    if (d) closedir(d);
    rmdir(g_dir);
}

/* ---------------- JSON ---------------- */

static void test_json_values(void)
{
    const char *t = " {\"a\":[1,-2,3.5,true,false,null,-0],\"b\":{\"c\":\"d\"},\"e\":\"\",\"a\":7}\n";
    JsonValue v;
    char err[256] = "";
    int r = json_parse(t, strlen(t), &v, err, sizeof err);
    ok(r == 0 && v.type == JSON_OBJECT && v.n == 4, "json: object with 4 members (duplicate kept) %s", err);
    const JsonValue *a = json_get(&v, "a");
    ok(a && a->type == JSON_ARRAY && a->n == 7, "json: json_get returns the first 'a', an array of 7");
    ok(a && a->items[0].is_int && a->items[0].num.i == 1 && a->items[1].num.i == -2,
       "json: integers 1 and -2");
    ok(a && !a->items[2].is_int && a->items[2].num.d == 3.5, "json: 3.5 is a non-integer number");
    ok(a && a->items[3].type == JSON_BOOL && a->items[3].boolean == 1 &&
       a->items[4].boolean == 0 && a->items[5].type == JSON_NULL, "json: true false null");
    ok(a && a->items[6].is_int && a->items[6].num.i == 0, "json: -0 is integer 0");
    const JsonValue *c = json_get(json_get(&v, "b"), "c");
    ok(c && c->type == JSON_STRING && c->n == 1 && !strcmp(c->str, "d"), "json: nested object");
    ok(json_get(&v, "e") && json_get(&v, "e")->n == 0, "json: empty string");
    ok(json_get(&v, "zz") == NULL && json_get(a, "a") == NULL, "json: json_get misses");
    json_free(&v);
    ok(v.type == JSON_NULL, "json: json_free resets the value");

    const char *big = "[9223372036854775807,-9223372036854775808,9223372036854775808,1e3,1E-2]";
    r = json_parse(big, strlen(big), &v, err, sizeof err);
    ok(r == 0 && v.items[0].is_int && v.items[0].num.i == INT64_MAX && v.items[1].is_int &&
       v.items[1].num.i == INT64_MIN, "json: int64 limits are integers");
    ok(r == 0 && !v.items[2].is_int && !v.items[3].is_int && v.items[3].num.d == 1000.0 &&
       v.items[4].num.d == 0.01, "json: out-of-range and exponent numbers are not integers");
    json_free(&v);
}

static void test_json_strings(void)
{
    const char *t = "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20AC\\ud83d\\ude00\\u0000z\"";
    const char want[] = "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\0z";
    JsonValue v;
    char err[256] = "";
    int r = json_parse(t, strlen(t), &v, err, sizeof err);
    ok(r == 0 && v.type == JSON_STRING && v.n == sizeof want - 1 &&
       memcmp(v.str, want, sizeof want) == 0, "json: all escapes incl. surrogate pair and \\u0000 %s", err);
    json_free(&v);

    /* Raw UTF-8 passes through. */
    const char *u = "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"";
    r = json_parse(u, strlen(u), &v, err, sizeof err);
    ok(r == 0 && v.n == strlen(u) - 2 && !memcmp(v.str, u + 1, v.n), "json: raw UTF-8 kept");
    json_free(&v);

    /* Builder escapes like serde_json and the parser reads it back. */
    JsonBuf b = { 0 };
    const char s[] = "q\"b\\n\nt\tc\x01\x1f\x7f/\xc3\xa9";
    json_buf_string(&b, s, sizeof s - 1);
    ok(b.p && !strcmp(b.p, "\"q\\\"b\\\\n\\nt\\tc\\u0001\\u001f\x7f/\xc3\xa9\""),
       "json: json_buf_string escapes \" \\ \\n \\t and controls as \\u00xx: %s", b.p);
    r = json_parse(b.p, b.len, &v, err, sizeof err);
    ok(r == 0 && v.n == sizeof s - 1 && !memcmp(v.str, s, v.n), "json: escaped string round-trips");
    json_free(&v);
    json_buf_free(&b);

    /* Every byte 1..127 round-trips. */
    char all[128];
    for (int i = 1; i < 128; i++) all[i - 1] = (char)i;
    json_buf_string(&b, all, 127);
    r = json_parse(b.p, b.len, &v, err, sizeof err);
    ok(r == 0 && v.n == 127 && !memcmp(v.str, all, 127), "json: bytes 1..127 round-trip");
    json_free(&v);
    json_buf_free(&b);
    json_buf_printf(&b, "[%d,%s]", 42, "x");
    ok(b.len == 6 && !strcmp(b.p, "[42,x]"), "json: json_buf_printf");
    json_buf_free(&b);

    ok(json_utf8_valid("a\xc3\xa9\xf0\x9f\x98\x80", 7), "utf8: valid");
    ok(!json_utf8_valid("\xc0\x80", 2) && !json_utf8_valid("\xed\xa0\x80", 3) &&
       !json_utf8_valid("\xf4\x90\x80\x80", 4) && !json_utf8_valid("\xc3", 1) &&
       !json_utf8_valid("\xff", 1), "utf8: overlong, surrogate, >U+10FFFF, truncated, 0xff rejected");
}

static void test_json_errors(void)
{
    static const struct { const char *text; const char *kw; } cases[] = {
        { "", "unexpected end of input" },
        { "   ", "unexpected end of input" },
        { "{", "unexpected end of input" },
        { "{\"a\":1", "unexpected end of input" },
        { "{\"a\":[1,2", "unexpected end of input" },
        { "\"abc", "unterminated string" },
        { "{}x", "trailing characters" },
        { "{} {}", "trailing characters" },
        { "[1,]", "unexpected ']'" },
        { "{\"a\":1,}", "expected a string key" },
        { "{a:1}", "expected a string key" },
        { "{\"a\" 1}", "expected ':'" },
        { "[1 2]", "',' or ']'" },
        { "{\"a\":1 \"b\":2}", "',' or '}'" },
        { "\"\\q\"", "invalid escape '\\q'" },
        { "\"\\u12\"", "invalid \\u escape" },
        { "\"\\u12g4\"", "invalid \\u escape" },
        { "\"\\ud800\"", "lone high surrogate" },
        { "\"\\ud800\\u0041\"", "not a low surrogate" },
        { "\"\\udc00\"", "lone low surrogate" },
        { "\"a\tb\"", "raw control character" },
        { "\"\xff\"", "invalid UTF-8" },
        { "\"\xc0\x80\"", "invalid UTF-8" },
        { "\"\xe2\x82\"", "invalid UTF-8" },
        { "01", "leading zero" },
        { "-", "expected a digit" },
        { "1.", "digit after '.'" },
        { ".5", "expected a JSON value" },
        { "1e", "digit in the exponent" },
        { "+1", "expected a JSON value" },
        { "tru", "expected a JSON value" },
        { "NaN", "expected a JSON value" },
        { "'a'", "expected a JSON value" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        JsonValue v;
        char err[256] = "";
        int r = json_parse(cases[i].text, strlen(cases[i].text), &v, err, sizeof err);
        int good = r == -1 && strstr(err, cases[i].kw) && strstr(err, " at byte ") && v.type == JSON_NULL;
        ok(good, "json error %zu: %s", i, cases[i].kw);
        if (!good) diag("input '%s' gave r=%d err '%s'", cases[i].text, r, err);
    }
    JsonValue v;
    char err[256] = "";
    json_parse("{}x", 3, &v, err, sizeof err);
    ok(strstr(err, "at byte 2") != NULL, "json: error names the byte offset: %s", err);
    /* Length-limited: the text need not be NUL-terminated. */
    ok(json_parse("[1]]", 3, &v, err, sizeof err) == 0 && v.n == 1, "json: parses only len bytes");
    json_free(&v);
    /* Nesting limit. */
    char deep[2 * JSON_MAX_DEPTH + 10];
    int n = JSON_MAX_DEPTH;
    memset(deep, '[', (size_t)n);
    memset(deep + n, ']', (size_t)n);
    ok(json_parse(deep, 2 * (size_t)n, &v, err, sizeof err) == 0, "json: %d levels of nesting ok", n);
    json_free(&v);
    n = JSON_MAX_DEPTH + 1;
    memset(deep, '[', (size_t)n);
    memset(deep + n, ']', (size_t)n);
    ok(json_parse(deep, 2 * (size_t)n, &v, err, sizeof err) == -1 && strstr(err, "nesting deeper"),
       "json: %d levels rejected: %s", n, err);
    /* An error deep inside a structure frees the partial tree (ASan checks). */
    const char *partial = "{\"a\":[\"x\",{\"b\":[1,2,\"y\"],\"c\":\"\\x\"}]}";
    ok(json_parse(partial, strlen(partial), &v, err, sizeof err) == -1 && strstr(err, "invalid escape"),
       "json: error inside nested structure");
}

/* ---------------- round trip ---------------- */

static const char *DESCRIPTION =
    "# model \"resnet-ish\"\n"
    "conv\tc=16 k=3\t# first layer\n"
    "path = C:\\models\\x\r\n"
    "unicode: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xce\xbb\n"
    "control: \x01\x1f end\n";

static void test_roundtrip(void)
{
    float wt[6] = { 1.5f, -2.25f, 3.0f, 0.0f, -0.0f, 1e-30f };
    int64_t idx[4] = { 0, -1, INT64_MAX, INT64_MIN };
    uint8_t bytes[5] = { 0, 1, 127, 128, 255 };
    float scalar = 3.5f;
    double dd[3] = { 0.1, -1e300, 2.0 };
    uint16_t half[5] = { 0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00 };
    uint16_t bf[2] = { 0x3f80, 0xc040 };
    int32_t i32[3] = { -7, 0, INT32_MAX };
    int64_t s23[2] = { 2, 3 }, s4[1] = { 4 }, s5[1] = { 5 }, s03[2] = { 0, 3 }, s3[1] = { 3 },
            s2[1] = { 2 };

    StWriter w;
    st_writer_init(&w);
    st_writer_add(&w, "layer.0.weight", ST_F32, 2, s23, wt);
    st_writer_add(&w, "idx", ST_I64, 1, s4, idx);
    st_writer_add(&w, "bytes", ST_U8, 1, s5, bytes);          /* 5 bytes: next is unaligned */
    st_writer_add(&w, "scalar", ST_F32, 0, NULL, &scalar);
    st_writer_add(&w, "empty", ST_F32, 2, s03, NULL);
    st_writer_add(&w, "dd", ST_F64, 1, s3, dd);
    st_writer_add(&w, "half", ST_F16, 1, s5, half);
    st_writer_add(&w, "bf", ST_BF16, 1, s2, bf);
    st_writer_add(&w, "i32", ST_I32, 1, s3, i32);
    st_writer_add(&w, "na\"me\\with\tescapes \xc3\xa9", ST_U8, 1, s2, bytes);
    st_writer_meta(&w, "description", "placeholder");
    st_writer_meta(&w, "format", "mta");
    st_writer_meta(&w, "description", DESCRIPTION);            /* replaces */
    st_writer_meta(&w, "k\"ey\n", "");

    const char *path = tpath("rt.safetensors");
    char err[512] = "";
    int r = st_write(&w, path, err, sizeof err);
    ok(r == 0, "write: round-trip file written %s", err);
    ok(count_tmp_files() == 0, "write: no temporary file left behind");
    /* Writing again over an existing file works. */
    ok(st_write(&w, path, err, sizeof err) == 0, "write: overwrite an existing file %s", err);
    st_writer_free(&w);

    StFile f;
    r = st_read(path, &f, err, sizeof err);
    ok(r == 0, "read: round-trip file parses %s", err);
    if (r) return;
    size_t fsize;
    unsigned char *raw = slurp(path, &fsize);
    free(raw);
    ok(f.header_len % 8 == 0 && fsize == 8 + f.header_len + f.data_len,
       "read: header length %zu is a multiple of 8 and sizes add up", f.header_len);
    ok(f.ntensors == 10 && !strcmp(f.tensors[0].name, "layer.0.weight") &&
       !strcmp(f.tensors[9].name, "na\"me\\with\tescapes \xc3\xa9"), "read: 10 tensors in insertion order");
    size_t off = 0;
    int contiguous = 1;
    for (size_t i = 0; i < f.ntensors; i++) {
        if (f.tensors[i].begin != off) contiguous = 0;
        off = f.tensors[i].end;
    }
    ok(contiguous && off == f.data_len, "read: offsets contiguous from 0 in insertion order");

    const StTensor *t = st_find(&f, "layer.0.weight");
    float got[6];
    ok(t && t->dtype == ST_F32 && t->rank == 2 && t->shape[0] == 2 && t->shape[1] == 3 &&
       t->numel == 6 && !strcmp(t->dtype_name, "F32") && t->elem_size == 4 && st_nbytes(t) == 24,
       "read: F32 [2,3] metadata");
    ok(t && st_read_f32(&f, t, got) == 0 && !memcmp(got, wt, sizeof wt), "read: F32 values bit-exact");
    ok(t && !memcmp(st_data(&f, t), wt, 24), "read: st_data gives the raw little-endian bytes");

    int64_t gi[4];
    t = st_find(&f, "idx");
    ok(t && t->dtype == ST_I64 && st_read_i64(&f, t, gi) == 0 && !memcmp(gi, idx, sizeof idx),
       "read: I64 values incl. INT64_MIN/MAX");
    ok(t && st_read_f32(&f, t, got) == -1, "read: st_read_f32 refuses I64");

    t = st_find(&f, "bytes");
    int64_t gb[5];
    ok(t && t->dtype == ST_U8 && t->numel == 5 && !memcmp(st_data(&f, t), bytes, 5) &&
       st_read_i64(&f, t, gb) == 0 && gb[3] == 128 && gb[4] == 255, "read: U8 values (zero-extended)");

    t = st_find(&f, "scalar");
    float sc = 0;
    ok(t && t->rank == 0 && t->shape == NULL && t->numel == 1 && st_nbytes(t) == 4 &&
       st_read_f32(&f, t, &sc) == 0 && sc == 3.5f, "read: scalar (shape []) with unaligned data");

    t = st_find(&f, "empty");
    ok(t && t->rank == 2 && t->shape[0] == 0 && t->numel == 0 && t->begin == t->end &&
       st_read_f32(&f, t, got) == 0, "read: zero-size tensor [0,3]");

    t = st_find(&f, "dd");
    ok(t && t->dtype == ST_F64 && st_read_f32(&f, t, got) == 0 && got[0] == (float)0.1 &&
       isinf(got[1]) && got[1] < 0 && got[2] == 2.0f, "read: F64 -> float (overflow -> -inf)");

    t = st_find(&f, "half");
    ok(t && t->dtype == ST_F16 && st_read_f32(&f, t, got) == 0 && got[0] == 1.0f &&
       got[1] == -2.0f && got[2] == 65504.0f && got[3] == ldexpf(1.0f, -24) && isinf(got[4]),
       "read: F16 -> float incl. max, subnormal, inf");

    t = st_find(&f, "bf");
    ok(t && t->dtype == ST_BF16 && st_read_f32(&f, t, got) == 0 && got[0] == 1.0f && got[1] == -3.0f,
       "read: BF16 -> float");

    t = st_find(&f, "i32");
    ok(t && t->dtype == ST_I32 && st_read_i64(&f, t, gi) == 0 && gi[0] == -7 && gi[2] == INT32_MAX,
       "read: I32 -> int64 (sign-extended)");
    ok(t && st_read_f32(&f, t, got) == -1, "read: st_read_f32 refuses I32");
    t = st_find(&f, "layer.0.weight");
    ok(t && st_read_i64(&f, t, gi) == -1, "read: st_read_i64 refuses F32");

    ok(st_find(&f, "na\"me\\with\tescapes \xc3\xa9") != NULL, "read: name with quote/backslash/tab/UTF-8");
    ok(st_find(&f, "nope") == NULL && st_find(&f, "") == NULL, "read: st_find of a missing name is NULL");

    const char *d = st_meta(&f, "description");
    ok(d && !strcmp(d, DESCRIPTION), "read: multi-line metadata with quotes/tabs/unicode round-trips");
    ok(st_meta(&f, "format") && !strcmp(st_meta(&f, "format"), "mta") && st_meta(&f, "k\"ey\n") &&
       !strcmp(st_meta(&f, "k\"ey\n"), ""), "read: other metadata, incl. escaped key and empty value");
    ok(f.nmeta == 3 && !strcmp(f.meta[0].key, "description"), "read: 3 metadata entries, replaced key kept its slot");
    ok(st_meta(&f, "absent") == NULL, "read: st_meta of a missing key is NULL");
    st_free(&f);
    ok(f.tensors == NULL && f.ntensors == 0 && f.buf == NULL, "read: st_free zeroes the StFile");
    st_free(NULL);
}

/* ---------------- exact bytes ---------------- */

static int file_equals(const char *path, const unsigned char *want, size_t n)
{
    size_t got_n = 0;
    unsigned char *got = slurp(path, &got_n);
    int eq = got && got_n == n && !memcmp(got, want, n);
    if (!eq && got) {
        diag("file %s: %zu bytes, want %zu", path, got_n, n);
        for (size_t i = 0; i < got_n && i < n; i++)
            if (got[i] != want[i]) { diag("first difference at byte %zu: %u vs %u", i, got[i], want[i]); break; }
    }
    free(got);
    return eq;
}

static void test_layout(void)
{
    char err[512] = "";
    StWriter w;
    /* Reference test_empty: "{}" padded with 6 spaces. */
    static const unsigned char empty[] = { 8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' ' };
    st_writer_init(&w);
    ok(st_write(&w, tpath("empty.safetensors"), err, sizeof err) == 0 &&
       file_equals(tpath("empty.safetensors"), empty, sizeof empty), "layout: no tensors == reference bytes");
    /* Reference test_empty with metadata {"framework": "pt"}: 35 bytes + 5 spaces. */
    st_writer_meta(&w, "framework", "pt");
    unsigned char meta[48] = { 40 };
    memcpy(meta + 8, "{\"__metadata__\":{\"framework\":\"pt\"}}     ", 40);
    ok(st_write(&w, tpath("meta.safetensors"), err, sizeof err) == 0 &&
       file_equals(tpath("meta.safetensors"), meta, sizeof meta), "layout: metadata only == reference bytes");
    st_writer_free(&w);

    /* Reference test_serialization_forced_alignement: "attn0" F32 [1,1,2,3] = 0..5. */
    float v[6] = { 0, 1, 2, 3, 4, 5 };
    int64_t s4[4] = { 1, 1, 2, 3 }, s3[3] = { 1, 2, 3 };
    unsigned char want[8 + 72 + 24] = { 72 };
    memcpy(want + 8, "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}       ", 72);
    static const unsigned char data[24] = { 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64,
                                            0, 0, 128, 64, 0, 0, 160, 64 };
    memcpy(want + 80, data, 24);
    st_writer_init(&w);
    st_writer_add(&w, "attn0", ST_F32, 4, s4, v);
    ok(st_write(&w, tpath("attn0.safetensors"), err, sizeof err) == 0 &&
       file_equals(tpath("attn0.safetensors"), want, sizeof want), "layout: padded header == reference bytes");
    st_writer_free(&w);

    /* Reference test_serialization: "attn.0" [1,2,3]: the header is exactly 64 bytes, no padding. */
    unsigned char want2[8 + 64 + 24] = { 64 };
    memcpy(want2 + 8, "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}", 64);
    memcpy(want2 + 72, data, 24);
    st_writer_init(&w);
    st_writer_add(&w, "attn.0", ST_F32, 3, s3, v);
    ok(st_write(&w, tpath("attn.0.safetensors"), err, sizeof err) == 0 &&
       file_equals(tpath("attn.0.safetensors"), want2, sizeof want2), "layout: 64-byte header needs no padding");
    st_writer_free(&w);

    /* A tiny mixed file: check each piece. */
    uint8_t u[3] = { 7, 8, 9 };
    float one = -1.0f;
    int64_t s1[1] = { 3 };
    st_writer_init(&w);
    st_writer_meta(&w, "m", "x\"y\nzz");
    st_writer_add(&w, "a", ST_U8, 1, s1, u);
    st_writer_add(&w, "b", ST_F32, 0, NULL, &one);
    ok(st_write(&w, tpath("tiny.safetensors"), err, sizeof err) == 0, "layout: tiny file written %s", err);
    st_writer_free(&w);
    size_t n = 0;
    unsigned char *b = slurp(tpath("tiny.safetensors"), &n);
    const char *hdr = "{\"__metadata__\":{\"m\":\"x\\\"y\\nzz\"},"
                      "\"a\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]},"
                      "\"b\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[3,7]}}";
    size_t hl = strlen(hdr), padded = (hl + 7) / 8 * 8;
    uint64_t len = 0;
    for (int k = 0; k < 8; k++) len |= (uint64_t)b[k] << (8 * k);
    ok(len == padded, "layout: first 8 bytes are the LE header length %zu", padded);
    ok(n >= 8 + hl && !memcmp(b + 8, hdr, hl), "layout: header JSON text (metadata first, compact)");
    int spaces = 1;
    for (size_t i = 8 + hl; i < 8 + padded; i++) spaces &= b[i] == ' ';
    ok(spaces && (8 + padded) % 8 == 0, "layout: %zu padding spaces; data starts at 8-aligned %zu",
       padded - hl, 8 + padded);
    static const unsigned char tail[7] = { 7, 8, 9, 0, 0, 0x80, 0xbf };
    ok(n == 8 + padded + 7 && !memcmp(b + 8 + padded, tail, 7), "layout: packed little-endian data");
    free(b);
}

/* ---------------- files from other writers ---------------- */

static void test_foreign(void)
{
    char err[512] = "";
    StFile f;
    /* The reference docs' example: 60-byte header, no padding (data unaligned). */
    const char *h = "{\"test\":{\"dtype\":\"I32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}";
    static const unsigned char d[16] = { 1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 3, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f };
    make_st(tpath("doc.safetensors"), h, strlen(h), strlen(h), d, 16);
    int r = st_read(tpath("doc.safetensors"), &f, err, sizeof err);
    int64_t gi[4] = { 0 };
    const StTensor *t = r ? NULL : st_find(&f, "test");
    ok(r == 0 && f.header_len == 60 && t && t->dtype == ST_I32 && st_read_i64(&f, t, gi) == 0 &&
       gi[0] == 1 && gi[1] == -2 && gi[2] == 3 && gi[3] == INT32_MAX,
       "foreign: unpadded 60-byte header, I32 data decoded %s", err);
    ok(r == 0 && f.nmeta == 0 && st_meta(&f, "x") == NULL, "foreign: no __metadata__");
    st_free(&f);

    /* Whitespace, key order, metadata in the middle, offsets out of header order, \u names,
     * a BOOL tensor (ST_OTHER), two zero-size tensors sharing an offset, padding. */
    const char *h2 = "{ \"b\" : {\"data_offsets\":[4,12], \"shape\":[2], \"dtype\":\"F32\"},\n"
                     "  \"__metadata__\" : {\"format\":\"pt\", \"note\":\"caf\\u00e9\"},\n"
                     "  \"z1\": {\"dtype\":\"F16\",\"shape\":[0],\"data_offsets\":[4,4]},\n"
                     "  \"z2\": {\"dtype\":\"I64\",\"shape\":[2,0],\"data_offsets\":[4,4]},\n"
                     "  \"a\\u00e9\": {\"shape\":[4],\"dtype\":\"BOOL\",\"data_offsets\":[0,4]}\t}\r\n    ";
    /* BOOL 1,0,1,1 then F32 2.5 (0x40200000) and -4.0 (0xc0800000), little-endian. */
    static const unsigned char d2[12] = { 1, 0, 1, 1, 0, 0, 0x20, 0x40, 0, 0, 0x80, 0xc0 };
    make_st(tpath("foreign.safetensors"), h2, strlen(h2), strlen(h2), d2, 12);
    r = st_read(tpath("foreign.safetensors"), &f, err, sizeof err);
    ok(r == 0, "foreign: hand-formatted header parses %s", err);
    if (r == 0) {
        ok(f.ntensors == 4 && !strcmp(f.tensors[0].name, "b") && !strcmp(f.tensors[3].name, "a\xc3\xa9"),
           "foreign: tensors kept in header order");
        t = st_find(&f, "a\xc3\xa9");
        ok(t && t->dtype == ST_OTHER && !strcmp(t->dtype_name, "BOOL") && t->elem_size == 1 &&
           t->numel == 4 && st_read_f32(&f, t, (float[4]){ 0 }) == -1,
           "foreign: BOOL tensor is ST_OTHER, validated but not converted");
        float g[2];
        t = st_find(&f, "b");
        ok(t && st_read_f32(&f, t, g) == 0 && g[0] == 2.5f && g[1] == -4.0f, "foreign: F32 values");
        ok(st_find(&f, "z1") && st_find(&f, "z2") && st_find(&f, "z2")->numel == 0, "foreign: zero-size tensors");
        ok(st_meta(&f, "note") && !strcmp(st_meta(&f, "note"), "caf\xc3\xa9"), "foreign: \\u escapes in metadata");
        st_free(&f);
    }

    /* "{}" alone, with nothing after it, is a valid empty file. */
    make_st(tpath("bare.safetensors"), "{}", 2, 2, NULL, 0);
    r = st_read(tpath("bare.safetensors"), &f, err, sizeof err);
    ok(r == 0 && f.ntensors == 0 && st_find(&f, "x") == NULL, "foreign: bare {} is valid %s", err);
    st_free(&f);
    /* Metadata values may contain \u0000: value_len tells. */
    const char *h3 = "{\"__metadata__\":{\"k\":\"a\\u0000b\"}}";
    make_st(tpath("nul.safetensors"), h3, strlen(h3), strlen(h3), NULL, 0);
    r = st_read(tpath("nul.safetensors"), &f, err, sizeof err);
    ok(r == 0 && f.nmeta == 1 && f.meta[0].value_len == 3 && !memcmp(f.meta[0].value, "a\0b", 4),
       "foreign: metadata value with \\u0000 keeps its length %s", err);
    st_free(&f);
}

/* ---------------- malformed files ---------------- */

static void expect_fail_file(const char *name, const char *kw)
{
    StFile f;
    char err[512] = "";
    memset(&f, 0xab, sizeof f);
    int r = st_read(tpath(name), &f, err, sizeof err);
    int good = r == -1 && strstr(err, tpath(name)) && strstr(err, kw) && f.tensors == NULL &&
               f.buf == NULL && f.path == NULL && f.meta == NULL;
    ok(good, "reject %s: %s", name, kw);
    diag("%s", err);
    if (!good) diag("r=%d", r);
    if (r == 0) st_free(&f);
}

/* Header text + ndata zero bytes of data. */
static void expect_fail(const char *name, const char *hdr, size_t ndata, const char *kw)
{
    unsigned char *data = calloc(1, ndata + 1);
    make_st(tpath(name), hdr, strlen(hdr), strlen(hdr), data, ndata);
    free(data);
    expect_fail_file(name, kw);
}

#define ENTRY(name, dt, shape, b, e) \
    "\"" name "\":{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"

static void test_malformed(void)
{
    write_bytes(tpath("short.safetensors"), "\x02\0\0\0\0", 5);
    expect_fail_file("short.safetensors", "too short");
    write_bytes(tpath("zero.safetensors"), "", 0);
    expect_fail_file("zero.safetensors", "0 bytes, too short");
    make_st(tpath("hlen.safetensors"), "{}", 2, 100, NULL, 0);
    expect_fail_file("hlen.safetensors", "header length 100 exceeds the file size (2 bytes");
    make_st(tpath("huge.safetensors"), "{}", 2, 100000001ull, NULL, 0);
    expect_fail_file("huge.safetensors", "exceeds the limit of 100000000 bytes");
    make_st(tpath("hlen64.safetensors"), "{}", 2, UINT64_MAX, NULL, 0);
    expect_fail_file("hlen64.safetensors", "exceeds the limit");
    {   /* a file of another format altogether */
        FILE *tf = fopen(tpath("text.safetensors"), "w");
        fputs("this is a text file, not a checkpoint\n", tf);
        fclose(tf);
        expect_fail_file("text.safetensors", "not a safetensors file");
    }
    expect_fail_file("does-not-exist.safetensors", "cannot open");
    mkdir(tpath("dir.safetensors"), 0700);
    expect_fail_file("dir.safetensors", "not a regular file");
    make_st(tpath("emptyhdr.safetensors"), "", 0, 0, NULL, 0);
    expect_fail_file("emptyhdr.safetensors", "not valid JSON: unexpected end of input");

    expect_fail("trunc.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1,", 0,
                "not valid JSON: unexpected end of input");
    expect_fail("truncstr.safetensors", "{\"w\":{\"dtype\":\"F32\",\"sha", 0,
                "not valid JSON: unterminated string");
    expect_fail("trailing.safetensors", "{} x", 0, "trailing characters");
    expect_fail("escape.safetensors", "{\"w\\q\":{}}", 0, "invalid escape '\\q'");
    expect_fail("surrogate.safetensors", "{\"w\\udc00\":{}}", 0, "lone low surrogate");
    expect_fail("utf8.safetensors", "{\"w\xff\":{}}", 0, "invalid UTF-8");
    expect_fail("array.safetensors", "[]", 0, "header is not a JSON object");
    expect_fail("notobj.safetensors", "{\"w\":[1]}", 0, "tensor 'w': expected an object");
    expect_fail("nodtype.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                "tensor 'w': missing \"dtype\"");
    expect_fail("noshape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
                "tensor 'w': missing \"shape\"");
    expect_fail("nooffs.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
                "tensor 'w': missing \"data_offsets\"");
    expect_fail("extra.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", 4,
                "tensor 'w': unexpected key 'extra'");
    expect_fail("dupkey.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
                "tensor 'w': duplicate key 'dtype'");
    expect_fail("dtype.safetensors", "{" ENTRY("w", "F128", "[1]", 0, 16) "}", 16,
                "tensor 'w': unknown dtype 'F128'");
    expect_fail("dtypenum.safetensors", "{\"w\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                "tensor 'w': dtype must be a string");
    expect_fail("negshape.safetensors", "{" ENTRY("w", "F32", "[2,-3]", 0, 24) "}", 24,
                "tensor 'w': shape[1] must be a non-negative integer, got -3");
    expect_fail("floatshape.safetensors", "{" ENTRY("w", "F32", "[2.5]", 0, 8) "}", 8,
                "tensor 'w': shape[0] must be a non-negative integer, got 2.5");
    expect_fail("strshape.safetensors", "{" ENTRY("w", "F32", "\"[2]\"", 0, 8) "}", 8,
                "tensor 'w': shape must be an array");
    expect_fail("bigshape.safetensors", "{" ENTRY("w", "F32", "[4294967296,4294967296,16]", 0, 8) "}", 8,
                "shape [4294967296,4294967296,16] F32 is too large (size overflows)");
    expect_fail("offs3.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8,
                "tensor 'w': data_offsets must be [begin, end], got 3 numbers");
    expect_fail("offsneg.safetensors", "{" ENTRY("w", "F32", "[1]", -4, 0) "}", 4,
                "data_offsets[0] must be a non-negative integer, got -4");
    expect_fail("bounds.safetensors", "{" ENTRY("w", "F32", "[4]", 0, 16) "}", 8,
                "tensor 'w': data_offsets [0, 16] out of bounds: the data region has 8 bytes");
    expect_fail("order.safetensors", "{" ENTRY("w", "F32", "[0]", 8, 4) "}", 8,
                "tensor 'w': data_offsets [8, 4]: begin is after end");
    expect_fail("ckpt.safetensors", "{" ENTRY("conv0.weight", "F32", "[4,3,3,3]", 0, 100) "}", 100,
                "ckpt.safetensors: tensor 'conv0.weight': data_offsets [0, 100] but shape [4,3,3,3] F32 needs 432 bytes");
    expect_fail("overlap.safetensors", "{" ENTRY("a", "F32", "[2]", 0, 8) "," ENTRY("b", "F32", "[2]", 4, 12) "}", 12,
                "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]");
    expect_fail("hole.safetensors", "{" ENTRY("a", "F32", "[1]", 0, 4) "," ENTRY("b", "F32", "[1]", 8, 12) "}", 12,
                "bytes [4, 8) of the data region are not covered by any tensor (hole before tensor 'b')");
    expect_fail("tail.safetensors", "{" ENTRY("a", "F32", "[1]", 0, 4) "}", 6,
                "bytes [4, 6) at the end of the data region are not covered");
    expect_fail("nodata.safetensors", "{}", 3, "bytes [0, 3) at the end of the data region are not covered");
    expect_fail("dup.safetensors", "{" ENTRY("a", "F32", "[1]", 0, 4) "," ENTRY("a", "F32", "[1]", 4, 8) "}", 8,
                "tensor 'a': duplicate tensor name");
    expect_fail("nulname.safetensors", "{" ENTRY("a\\u0000b", "F32", "[1]", 0, 4) "}", 4,
                "tensor name contains a NUL byte");
    expect_fail("metaval.safetensors", "{\"__metadata__\":{\"epochs\":30}}", 0,
                "\"__metadata__\" value for key 'epochs' must be a string, got 30");
    expect_fail("metaobj.safetensors", "{\"__metadata__\":[\"a\"]}", 0, "\"__metadata__\" must be an object");
    expect_fail("metadupkey.safetensors", "{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0,
                "duplicate \"__metadata__\" key 'k'");
    expect_fail("metadup.safetensors", "{\"__metadata__\":{},\"__metadata__\":{}}", 0,
                "duplicate \"__metadata__\" entry");
}

/* ---------------- writer errors ---------------- */

static void expect_write_fail(StWriter *w, const char *name, const char *kw)
{
    char err[512] = "";
    int r = st_write(w, tpath(name), err, sizeof err);
    struct stat st;
    int good = r == -1 && strstr(err, tpath(name)) && strstr(err, kw) && stat(tpath(name), &st) != 0 &&
               count_tmp_files() == 0;
    ok(good, "write error %s: %s", name, kw);
    diag("%s", err);
    st_writer_free(w);
}

static void test_write_errors(void)
{
    float v[4] = { 0 };
    int64_t s1[1] = { 1 }, sneg[2] = { 2, -1 };
    StWriter w;

    st_writer_init(&w);
    st_writer_add(&w, "a", ST_F32, 1, s1, v);
    st_writer_add(&w, "b", ST_F32, 1, s1, v);
    st_writer_add(&w, "a", ST_F32, 1, s1, v);
    expect_write_fail(&w, "wdup.safetensors", "tensor 'a': duplicate tensor name");

    st_writer_init(&w);
    st_writer_add(&w, "o", ST_OTHER, 1, s1, v);
    expect_write_fail(&w, "wother.safetensors", "tensor 'o': cannot write dtype OTHER");

    st_writer_init(&w);
    st_writer_add(&w, "n", ST_F32, 2, sneg, v);
    expect_write_fail(&w, "wneg.safetensors", "tensor 'n': shape[1] is negative (-1)");

    st_writer_init(&w);
    st_writer_add(&w, "r", ST_F32, ST_MAX_RANK + 1, s1, v);
    expect_write_fail(&w, "wrank.safetensors", "tensor 'r': rank 65 out of range");

    st_writer_init(&w);
    st_writer_add(&w, "__metadata__", ST_F32, 1, s1, v);
    expect_write_fail(&w, "wreserved.safetensors", "reserved");

    st_writer_init(&w);
    st_writer_add(&w, "bad\xff", ST_F32, 1, s1, v);
    expect_write_fail(&w, "wutf8.safetensors", "name is not valid UTF-8");

    st_writer_init(&w);
    st_writer_meta(&w, "k", "bad \xc3");
    expect_write_fail(&w, "wmeta.safetensors", "metadata value for key 'k' is not valid UTF-8");

    st_writer_init(&w);
    st_writer_add(&w, "null", ST_F32, 1, s1, NULL);
    expect_write_fail(&w, "wnull.safetensors", "tensor 'null': data is NULL");

    st_writer_init(&w);
    st_writer_add(&w, "x", ST_F32, 1, s1, v);
    char err[512] = "";
    const char *nodir = tpath("no/such/dir/x.safetensors");
    ok(st_write(&w, nodir, err, sizeof err) == -1 && strstr(err, nodir) &&
       strstr(err, "cannot create temporary file"), "write error: missing directory: %s", err);
    st_writer_free(&w);

    /* A failure in the middle of writing (file size limit) leaves the old file intact and
     * no temporary file behind. */
    static float big[4096];
    int64_t sb[1] = { 4096 };
    const char *path = tpath("keep.safetensors");
    write_bytes(path, "old contents", 12);
    st_writer_init(&w);
    st_writer_add(&w, "big", ST_F32, 1, sb, big);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = old.rlim_max == RLIM_INFINITY || old.rlim_max > 4096 ? 4096 : old.rlim_max;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    int lr = setrlimit(RLIMIT_FSIZE, &lim);
    int r = st_write(&w, path, err, sizeof err);
    setrlimit(RLIMIT_FSIZE, &old);   /* nothing is printed while the limit is on */
    signal(SIGXFSZ, prev);
    st_writer_free(&w);
    size_t n = 0;
    unsigned char *b = slurp(path, &n);
    ok(lr == 0 && r == -1 && strstr(err, "write to temporary file") && strstr(err, path) &&
       b && n == 12 && !memcmp(b, "old contents", 12) && count_tmp_files() == 0,
       "write error: interrupted write keeps the old file, removes the temp file: %s", err);
    free(b);
}

int main(void)
{
    plan_no_plan();
    snprintf(g_dir, sizeof g_dir, "/tmp/t_safetensors.XXXXXX");
    if (!mkdtemp(g_dir)) { perror("mkdtemp"); return 1; }
    test_json_values();
    test_json_strings();
    test_json_errors();
    test_roundtrip();
    test_layout();
    test_foreign();
    test_malformed();
    test_write_errors();
    remove_dir();
    return done_testing();
}
