/* json.c — strict JSON parser and JSON text builder (see json.h). */
#include "io/json.h"

#include "base/check.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------- parser ---------- */

typedef struct {
    const unsigned char *s;   /* input text, not owned */
    size_t len, pos;
    int depth;
    char *err;
    size_t errsz;
} Parser;

static int perr(Parser *p, const char *fmt, ...) MTA_PRINTF(2, 3);

/* Record "<message> at byte <pos>" and return -1. */
static int perr(Parser *p, const char *fmt, ...)
{
    if (p->err && p->errsz) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(p->err, p->errsz, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < p->errsz)
            snprintf(p->err + n, p->errsz - (size_t)n, " at byte %zu", p->pos);
    }
    return -1;
}

/* realloc that dies on exhaustion; the result is freed by json_free. */
static void *grow(void *ptr, size_t *cap, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 4;
    if (ncap > SIZE_MAX / elem) die("json: out of memory growing an array");
    void *q = xrealloc(ptr, ncap * elem);
    *cap = ncap;
    return q;
}

static void skip_ws(Parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

/* Describe the byte at pos for messages: "end of input" or "'x'" / "byte 0xNN". */
static int unexpected(Parser *p, const char *expected)
{
    if (p->pos >= p->len) return perr(p, "unexpected end of input, expected %s", expected);
    unsigned char c = p->s[p->pos];
    if (c >= 0x20 && c < 0x7f) return perr(p, "unexpected '%c', expected %s", c, expected);
    return perr(p, "unexpected byte 0x%02x, expected %s", c, expected);
}

static int parse_value(Parser *p, JsonValue *out);

/* Length of the UTF-8 sequence starting at s[0..n), or 0 when malformed. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

int json_utf8_valid(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        size_t k = utf8_seq(u + i, len - i);
        if (!k) return 0;
        i += k;
    }
    return 1;
}

/* Encode code point cp as UTF-8 into d; returns the byte count. */
static size_t utf8_put(unsigned char *d, uint32_t cp)
{
    if (cp < 0x80) { d[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) {
        d[0] = (unsigned char)(0xc0 | (cp >> 6));
        d[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (unsigned char)(0xe0 | (cp >> 12));
        d[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        d[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (unsigned char)(0xf0 | (cp >> 18));
    d[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    d[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    d[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Read the 4 hex digits of a \u escape at pos; -1 if they are not 4 hex digits. */
static int read_hex4(Parser *p, uint32_t *out)
{
    uint32_t v = 0;
    if (p->len - p->pos < 4) return -1;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p->s[p->pos + (size_t)i];
        int d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return -1;
        v = v * 16 + (uint32_t)d;
    }
    p->pos += 4;
    *out = v;
    return 0;
}

/* Decode a \uXXXX escape (pos just after the 'u'), joining surrogate pairs. */
static int parse_u_escape(Parser *p, uint32_t *cp)
{
    uint32_t hi, lo;
    if (read_hex4(p, &hi)) return perr(p, "invalid \\u escape (expected 4 hex digits)");
    if (hi >= 0xdc00 && hi <= 0xdfff) return perr(p, "lone low surrogate \\u%04X", (unsigned)hi);
    if (hi < 0xd800 || hi > 0xdbff) { *cp = hi; return 0; }
    if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
        return perr(p, "lone high surrogate \\u%04X (expected a \\uDC00-\\uDFFF escape next)",
                    (unsigned)hi);
    p->pos += 2;
    if (read_hex4(p, &lo)) return perr(p, "invalid \\u escape (expected 4 hex digits)");
    if (lo < 0xdc00 || lo > 0xdfff)
        return perr(p, "high surrogate \\u%04X followed by \\u%04X, not a low surrogate",
                    (unsigned)hi, (unsigned)lo);
    *cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
    return 0;
}

/* Decode one escape sequence (pos at the backslash) into d; returns bytes written or -1. */
static int parse_escape(Parser *p, unsigned char *d)
{
    p->pos++;   /* the backslash */
    if (p->pos >= p->len) return perr(p, "unexpected end of input in escape sequence");
    unsigned char c = p->s[p->pos++];
    switch (c) {
    case '"': case '\\': case '/': d[0] = c; return 1;
    case 'b': d[0] = '\b'; return 1;
    case 'f': d[0] = '\f'; return 1;
    case 'n': d[0] = '\n'; return 1;
    case 'r': d[0] = '\r'; return 1;
    case 't': d[0] = '\t'; return 1;
    case 'u': {
        uint32_t cp = 0;
        if (parse_u_escape(p, &cp)) return -1;
        return (int)utf8_put(d, cp);
    }
    default:
        p->pos--;
        if (c >= 0x20 && c < 0x7f) return perr(p, "invalid escape '\\%c' in string", c);
        return perr(p, "invalid escape (byte 0x%02x after backslash) in string", c);
    }
}

/* Parse a string (pos at the opening quote).  On success *out is malloc'd, NUL-terminated,
 * owned by the caller; *outlen its byte length. */
static int parse_string_raw(Parser *p, char **out, size_t *outlen)
{
    size_t start = ++p->pos;
    /* Decoded text is never longer than the raw text: find the closing quote first. */
    size_t end = start;
    while (end < p->len && p->s[end] != '"') end += (p->s[end] == '\\') ? 2 : 1;
    if (end >= p->len) { p->pos = p->len; return perr(p, "unterminated string"); }
    unsigned char *d = xmalloc(end - start + 1);
    size_t n = 0;
    while (p->s[p->pos] != '"') {
        unsigned char c = p->s[p->pos];
        if (c == '\\') {
            int k = parse_escape(p, d + n);
            if (k < 0) { free(d); return -1; }
            n += (size_t)k;
        } else if (c < 0x20) {
            free(d);
            return perr(p, "raw control character 0x%02x in string (must be escaped)", c);
        } else {
            size_t k = utf8_seq(p->s + p->pos, end - p->pos);
            if (!k) { free(d); return perr(p, "invalid UTF-8 in string"); }
            memcpy(d + n, p->s + p->pos, k);
            n += k;
            p->pos += k;
        }
    }
    p->pos++;   /* closing quote */
    d[n] = 0;
    *out = (char *)d;
    *outlen = n;
    return 0;
}

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/* Parse a number per the RFC grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(Parser *p, JsonValue *out)
{
    size_t start = p->pos, i = p->pos;
    int integral = 1;
    if (i < p->len && p->s[i] == '-') i++;
    if (i >= p->len || !is_digit(p->s[i])) { p->pos = i; return unexpected(p, "a digit"); }
    if (p->s[i] == '0') {
        i++;
        if (i < p->len && is_digit(p->s[i])) { p->pos = i; return perr(p, "leading zero in number"); }
    } else {
        while (i < p->len && is_digit(p->s[i])) i++;
    }
    if (i < p->len && p->s[i] == '.') {
        integral = 0;
        i++;
        if (i >= p->len || !is_digit(p->s[i])) { p->pos = i; return unexpected(p, "a digit after '.'"); }
        while (i < p->len && is_digit(p->s[i])) i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        integral = 0;
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-')) i++;
        if (i >= p->len || !is_digit(p->s[i])) { p->pos = i; return unexpected(p, "a digit in the exponent"); }
        while (i < p->len && is_digit(p->s[i])) i++;
    }
    /* The text is not NUL-terminated: copy the token for strtod/strtoll. */
    size_t n = i - start;
    char small[64];
    char *tok = n < sizeof small ? small : xmalloc(n + 1);
    memcpy(tok, p->s + start, n);
    tok[n] = 0;
    out->type = JSON_NUMBER;
    out->num.d = strtod(tok, NULL);   /* inf on overflow, fine for a diagnostic value */
    out->is_int = 0;
    if (integral) {
        errno = 0;
        long long v = strtoll(tok, NULL, 10);
        if (errno == 0) { out->is_int = 1; out->num.i = (int64_t)v; }
    }
    if (tok != small) free(tok);
    p->pos = i;
    return 0;
}

static int parse_literal(Parser *p, const char *word, JsonValue *out)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return unexpected(p, "a JSON value");
    p->pos += n;
    if (word[0] == 'n') {
        out->type = JSON_NULL;
    } else {
        out->type = JSON_BOOL;
        out->boolean = word[0] == 't';
    }
    return 0;
}

static int parse_array(Parser *p, JsonValue *out)
{
    size_t cap = 0;
    out->type = JSON_ARRAY;
    out->n = 0;
    out->items = NULL;
    p->pos++;   /* '[' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') { p->pos++; return 0; }
    for (;;) {
        if (out->n == cap) out->items = grow(out->items, &cap, sizeof *out->items);
        if (parse_value(p, &out->items[out->n])) { json_free(out); return -1; }
        out->n++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') { p->pos++; continue; }
        if (p->pos < p->len && p->s[p->pos] == ']') { p->pos++; return 0; }
        json_free(out);
        return unexpected(p, "',' or ']' in array");
    }
}

/* Parse "key": value into m (pos at the key's opening quote, or wherever it should be). */
static int parse_member(Parser *p, JsonMember *m)
{
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != '"') return unexpected(p, "a string key");
    if (parse_string_raw(p, &m->key, &m->keylen)) return -1;
    skip_ws(p);
    if (p->pos >= p->len || p->s[p->pos] != ':') {
        free(m->key);
        return unexpected(p, "':' after object key");
    }
    p->pos++;
    if (parse_value(p, &m->value)) { free(m->key); return -1; }
    return 0;
}

static int parse_object(Parser *p, JsonValue *out)
{
    size_t cap = 0;
    out->type = JSON_OBJECT;
    out->n = 0;
    out->members = NULL;
    p->pos++;   /* '{' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') { p->pos++; return 0; }
    for (;;) {
        if (out->n == cap) out->members = grow(out->members, &cap, sizeof *out->members);
        if (parse_member(p, &out->members[out->n])) { json_free(out); return -1; }
        out->n++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') { p->pos++; continue; }
        if (p->pos < p->len && p->s[p->pos] == '}') { p->pos++; return 0; }
        json_free(out);
        return unexpected(p, "',' or '}' in object");
    }
}

/* Parse one value at pos (after optional whitespace).  On failure *out owns nothing. */
static int parse_value(Parser *p, JsonValue *out)
{
    memset(out, 0, sizeof *out);
    skip_ws(p);
    if (p->pos >= p->len) return unexpected(p, "a JSON value");
    unsigned char c = p->s[p->pos];
    if (c == '{' || c == '[') {
        if (p->depth >= JSON_MAX_DEPTH) return perr(p, "nesting deeper than %d", JSON_MAX_DEPTH);
        p->depth++;
        int r = c == '{' ? parse_object(p, out) : parse_array(p, out);
        p->depth--;
        return r;
    }
    if (c == '"') {
        out->type = JSON_STRING;
        if (parse_string_raw(p, &out->str, &out->n)) { memset(out, 0, sizeof *out); return -1; }
        return 0;
    }
    if (c == '-' || is_digit(c)) return parse_number(p, out);
    if (c == 't') return parse_literal(p, "true", out);
    if (c == 'f') return parse_literal(p, "false", out);
    if (c == 'n') return parse_literal(p, "null", out);
    return unexpected(p, "a JSON value");
}

int json_parse(const char *text, size_t len, JsonValue *out, char *err, size_t errsz)
{
    Parser p = { (const unsigned char *)text, len, 0, 0, err, errsz };
    if (parse_value(&p, out)) { memset(out, 0, sizeof *out); return -1; }
    skip_ws(&p);
    if (p.pos < p.len) {
        json_free(out);
        return unexpected(&p, "end of input (trailing characters after the JSON value)");
    }
    return 0;
}

void json_free(JsonValue *v)
{
    if (!v) return;
    if (v->type == JSON_STRING) {
        free(v->str);
    } else if (v->type == JSON_ARRAY) {
        for (size_t i = 0; i < v->n; i++) json_free(&v->items[i]);
        free(v->items);
    } else if (v->type == JSON_OBJECT) {
        for (size_t i = 0; i < v->n; i++) {
            free(v->members[i].key);
            json_free(&v->members[i].value);
        }
        free(v->members);
    }
    memset(v, 0, sizeof *v);
}

const JsonValue *json_get(const JsonValue *obj, const char *key)
{
    if (!obj || obj->type != JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->n; i++) {
        const JsonMember *m = &obj->members[i];
        if (m->keylen == n && memcmp(m->key, key, n) == 0) return &m->value;
    }
    return NULL;
}

/* ---------- builder ---------- */

static void buf_reserve(JsonBuf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1) die("json: buffer size overflow");
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < need) ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    char *q = xrealloc(b->p, ncap);
    b->p = q;
    b->cap = ncap;
}

void json_buf_append(JsonBuf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

void json_buf_printf(JsonBuf *b, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    CHECK(n >= 0, "vsnprintf failed for format '%s'", fmt);
    buf_reserve(b, (size_t)n);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
}

void json_buf_string(JsonBuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    json_buf_append(b, "\"", 1);
    size_t run = 0;   /* start of the pending run of verbatim bytes */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t k = 0;
        if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; k = 2; }
        else if (c == '\b') { memcpy(esc, "\\b", 2); k = 2; }
        else if (c == '\f') { memcpy(esc, "\\f", 2); k = 2; }
        else if (c == '\n') { memcpy(esc, "\\n", 2); k = 2; }
        else if (c == '\r') { memcpy(esc, "\\r", 2); k = 2; }
        else if (c == '\t') { memcpy(esc, "\\t", 2); k = 2; }
        else if (c < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            k = 6;
        }
        if (!k) continue;
        json_buf_append(b, s + run, i - run);
        json_buf_append(b, esc, k);
        run = i + 1;
    }
    json_buf_append(b, s + run, n - run);
    json_buf_append(b, "\"", 1);
}

void json_buf_free(JsonBuf *b)
{
    if (!b) return;
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
