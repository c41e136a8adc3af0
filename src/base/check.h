/* check.h — error reporting shared by the whole engine.
 *
 * Two kinds of failure:
 *   - bad input (files, flags, model text): die(...) prints "error: <msg>" on stderr and
 *     exits with status 2.  Messages name the file, line, key or flag and what was expected.
 *   - programming errors (a broken invariant): CHECK(cond, fmt, ...) prints file:line, the
 *     condition and a message, then aborts.
 * xmalloc/xcalloc never return NULL (they die on exhaustion, naming the size).
 */
#ifndef MTA_CHECK_H
#define MTA_CHECK_H

#include <stddef.h>

#if defined(__GNUC__)
#define MTA_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define MTA_NORETURN __attribute__((noreturn))
#else
#define MTA_PRINTF(a, b)
#define MTA_NORETURN
#endif

void die(const char *fmt, ...) MTA_PRINTF(1, 2) MTA_NORETURN;
void warnf(const char *fmt, ...) MTA_PRINTF(1, 2);
void check_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    MTA_PRINTF(4, 5) MTA_NORETURN;

#define CHECK(cond, ...) \
    do { if (!(cond)) check_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); } while (0)

/* Format a message into err (errsz bytes; err may be NULL) and return -1: the error path of
 * every function that reports "<file>: <what>" to its caller instead of dying. */
int set_errf(char *err, size_t errsz, const char *fmt, ...) MTA_PRINTF(3, 4);

void *xmalloc(size_t n);            /* caller frees with free() */
void *xcalloc(size_t n, size_t sz); /* caller frees with free() */
char *xstrdup(const char *s);       /* caller frees with free() */
/* realloc that never returns NULL: the old pointer is no longer valid, the returned one
 * replaces it (caller frees). */
void *xrealloc(void *p, size_t n);

/* Levenshtein distance of a and b ignoring ASCII case, capped at 99 (strings over 60 bytes:
 * 99).  For "did you mean" suggestions. */
int edit_distance(const char *a, const char *b);

/* Strict number parsing: the whole token must be a number.  Return 0 on success. */
int parse_long(const char *s, long *out);
int parse_double(const char *s, double *out);

#endif
