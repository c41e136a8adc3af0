/* text_tokenize.c — the PTB-style word tokenizer of the fortunes corpus (see text.h):
 * lower-cased words with internal '-' '.' ',' and "'", clitics split off their end, numbers
 * as "N", runs of one punctuation byte as one token. */
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "io/text_impl.h"

#define SCRATCH_STACK 1024   /* entries shorter than this tokenize without an allocation */

static int is_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_word(unsigned char c) { return is_letter(c) || is_digit(c); }
/* Space, every control (the fortunes reader has replaced them; a caller may not have) and DEL. */
static int is_blank(unsigned char c) { return c <= 0x20 || c == 0x7F; }
static int is_joiner(unsigned char c) { return c == '-' || c == '.' || c == ','; }

/* End of the word that starts at s[i] (a word character): word characters, each '-' '.' ','
 * between two word characters, each "'" between two letters. */
static size_t word_end(const unsigned char *s, size_t n, size_t i)
{
    size_t j = i + 1;
    for (;;) {
        if (j < n && is_word(s[j])) j++;
        else if (j + 1 < n && is_joiner(s[j]) && is_word(s[j + 1])) j += 2;
        else if (j + 1 < n && s[j] == '\'' && is_letter(s[j - 1]) && is_letter(s[j + 1])) j += 2;
        else return j;
    }
}

/* Length of the clitic at the start of w ("n't", "'s", "'re", "'ve", "'ll", "'d", "'m"), else 0. */
static size_t clitic_len(const char *w, size_t n)
{
    if (n >= 3 && w[0] == 'n' && w[1] == '\'' && w[2] == 't') return 3;
    if (n < 2 || w[0] != '\'') return 0;
    if (w[1] == 's' || w[1] == 'd' || w[1] == 'm') return 2;
    if (n >= 3 && ((w[1] == 'r' && w[2] == 'e') || (w[1] == 'v' && w[2] == 'e') || (w[1] == 'l' && w[2] == 'l')))
        return 3;
    return 0;
}

/* Where the stem of lower-cased word w ends once every clitic is split off its end.  A clitic
 * starts at 'n' or "'"; "n't" stays when an apostrophe precedes it ("x'n't"). */
static size_t stem_end(const char *w, size_t n)
{
    for (;;) {
        size_t k = 0;
        if (n >= 3 && clitic_len(w + n - 3, 3) == 3 && !(w[n - 3] == 'n' && n >= 4 && w[n - 4] == '\'')) k = 3;
        else if (n >= 2 && clitic_len(w + n - 2, 2) == 2) k = 2;
        if (k == 0) return n;
        n -= k;
    }
}

/* A number: only digits and '.' ',' with at least one digit ("1980", "3.14", "1,000"). */
static int is_number(const char *w, size_t n)
{
    int digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_digit((unsigned char)w[i])) digits = 1;
        else if (w[i] != '.' && w[i] != ',') return 0;
    }
    return digits;
}

void text_tokenize(const char *text, size_t n, void (*emit)(const char *tok, size_t len, void *ctx),
                   void *ctx)
{
    if (!text || !emit) return;
    const unsigned char *s = (const unsigned char *)text;
    char stack[SCRATCH_STACK];
    char *buf = n <= sizeof stack ? stack : xmalloc(n);   /* a token is never longer than the text */
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (is_blank(c)) { i++; continue; }
        if (!is_word(c)) {   /* punctuation: the run of this byte */
            size_t j = i + 1;
            while (j < n && s[j] == c) j++;
            memset(buf, c, j - i);
            emit(buf, j - i, ctx);
            i = j;
            continue;
        }
        size_t j = word_end(s, n, i), len = j - i;
        for (size_t k = 0; k < len; k++) {
            unsigned char b = s[i + k];
            buf[k] = (char)(b >= 'A' && b <= 'Z' ? b - 'A' + 'a' : b);
        }
        size_t e = stem_end(buf, len);
        if (e > 0) {
            if (is_number(buf, e)) emit("N", 1, ctx);
            else emit(buf, e, ctx);
        }
        while (e < len) {   /* the clitics, read forward: each is fixed by its first two bytes */
            size_t k = clitic_len(buf + e, len - e);
            CHECK(k > 0, "text_tokenize: no clitic at %zu of '%.*s'", e, (int)len, buf);
            emit(buf + e, k, ctx);
            e += k;
        }
        i = j;
    }
    if (buf != stack) free(buf);
}
