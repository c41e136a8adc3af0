/* json.h — a small strict JSON parser (RFC 8259) and a JSON text builder.
 *
 * Made for safetensors headers, but generic.  The parser accepts exactly RFC 8259 JSON
 * encoded as UTF-8: objects, arrays, strings (all escapes, \uXXXX with surrogate pairs),
 * numbers, true/false/null, surrounded by optional whitespace.  It rejects, with a message
 * giving the byte offset: truncated input, trailing garbage, bad escapes, lone surrogates,
 * raw control characters in strings, invalid UTF-8, leading zeros, nesting deeper than
 * JSON_MAX_DEPTH.  Object member order is kept; duplicate keys are kept too (callers that
 * care check for them).
 *
 * Ownership: json_parse fills a caller-provided JsonValue whose children, strings and keys
 * are heap-allocated; json_free(v) releases them (not v itself).  On error nothing is left
 * allocated and *out is a JSON_NULL value.  Allocation failure dies (see check.h).
 */
#ifndef MTA_JSON_H
#define MTA_JSON_H

#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 128

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } JsonType;

typedef struct JsonMember JsonMember;

typedef struct JsonValue {
    JsonType type;
    int is_int;            /* NUMBER: the token had no fraction/exponent and fits int64 */
    size_t n;              /* STRING: bytes (without the NUL); ARRAY: items; OBJECT: members */
    union {
        int boolean;                          /* BOOL: 0 or 1 */
        struct { int64_t i; double d; } num;  /* NUMBER: i valid when is_int; d always */
        char *str;         /* STRING: decoded UTF-8, NUL-terminated, may hold \u0000 bytes */
        struct JsonValue *items;              /* ARRAY: n values */
        JsonMember *members;                  /* OBJECT: n members, in input order */
    };
} JsonValue;

struct JsonMember {
    char *key;             /* decoded UTF-8, NUL-terminated (may hold \u0000 bytes) */
    size_t keylen;         /* bytes in key, without the NUL */
    JsonValue value;
};

/* Parse text[0..len) (need not be NUL-terminated).  Returns 0, or -1 with a message such
 * as "invalid escape '\q' in string at byte 12" in err (errsz bytes; err may be NULL). */
int json_parse(const char *text, size_t len, JsonValue *out, char *err, size_t errsz);

/* Free everything v owns and reset it to JSON_NULL; v itself is not freed.  NULL is ok. */
void json_free(JsonValue *v);

/* First member of object obj whose key equals the C string key; NULL when obj is not an
 * object or has no such member.  The result points into obj. */
const JsonValue *json_get(const JsonValue *obj, const char *key);

/* 1 when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points above
 * U+10FFFF), else 0. */
int json_utf8_valid(const char *s, size_t len);

/* A growable byte buffer for building JSON text.  Start from JsonBuf b = {0}; p is
 * NUL-terminated after any append; free with json_buf_free. */
typedef struct { char *p; size_t len, cap; } JsonBuf;

void json_buf_append(JsonBuf *b, const char *s, size_t n);   /* raw bytes */
void json_buf_printf(JsonBuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Append s[0..n) as a quoted JSON string, escaped the way serde_json does: \" \\ \b \f \n
 * \r \t, other control characters as \u00xx, everything else (incl. non-ASCII) verbatim. */
void json_buf_string(JsonBuf *b, const char *s, size_t n);
void json_buf_free(JsonBuf *b);   /* releases p and zeroes b */

#endif
