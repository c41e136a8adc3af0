/* text.c — text corpus specs, freeing, word lookup, the vocabulary fingerprint, and the
 * pieces the two readers share: the vocabulary hash table and byte validation (see text.h,
 * text_impl.h).  The PTB files are parsed in text_ptb.c, the fortune databases in
 * text_fortunes.c, and text_tokenize.c holds the tokenizer. */
#include "io/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "io/text_impl.h"

#define FORTUNES_DIR "/usr/share/games/fortunes"
#define SPEC_FORMS "ptb:DIR or fortunes[:DIR]"

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* ---- specs and the corpus ---- */

/* Split spec into kind and directory (into tc->kind, tc->dir). */
static int parse_spec(const char *spec, TextCorpus *tc, char *err, size_t errsz)
{
    if (!spec) return set_errf(err, errsz, "no corpus spec given (expected " SPEC_FORMS ")");
    const char *dir = NULL;
    if (strcmp(spec, "fortunes") == 0) {
        strcpy(tc->kind, "fortunes");
        dir = FORTUNES_DIR;
    } else if (strncmp(spec, "fortunes:", 9) == 0 || strncmp(spec, "ptb:", 4) == 0) {
        size_t kl = (size_t)(strchr(spec, ':') - spec);
        memcpy(tc->kind, spec, kl);
        tc->kind[kl] = 0;
        dir = spec + kl + 1;
        if (!*dir)
            return set_errf(err, errsz, "corpus spec '%s': missing directory after '%s:'", spec, tc->kind);
    } else {
        return set_errf(err, errsz, "unknown corpus spec '%.200s' (expected " SPEC_FORMS ")", spec);
    }
    if (strlen(dir) >= sizeof tc->dir)
        return set_errf(err, errsz, "corpus spec '%.64s...': directory longer than %zu bytes", spec,
                        sizeof tc->dir - 1);
    strcpy(tc->dir, dir);
    return 0;
}

int text_load(const char *spec, const TextOptions *opt, TextCorpus *tc, char *err, size_t errsz)
{
    if (err && errsz) err[0] = 0;
    if (!tc) return set_errf(err, errsz, "text_load: no TextCorpus to fill");
    memset(tc, 0, sizeof *tc);
    TextOptions defaults = {0};
    if (!opt) opt = &defaults;
    if (parse_spec(spec, tc, err, errsz)) {
        memset(tc, 0, sizeof *tc);
        return -1;
    }
    int rc = strcmp(tc->kind, "ptb") == 0 ? text_load_ptb(tc->dir, opt, tc, err, errsz)
                                          : text_load_fortunes(tc->dir, opt, tc, err, errsz);
    if (rc) {
        text_free(tc);
        return -1;
    }
    return 0;
}

void text_free(TextCorpus *tc)
{
    if (!tc) return;
    if (tc->words)
        for (int i = 0; i < tc->vocab; i++) free(tc->words[i]);
    free(tc->words);
    for (int s = 0; s < TEXT_NSPLITS; s++) free(tc->ids[s]);
    memset(tc, 0, sizeof *tc);
}

/* A linear search: TextCorpus keeps no index, and the callers look up a few words. */
int text_word_id(const TextCorpus *tc, const char *w)
{
    if (!tc || !tc->words || !w) return -1;
    for (int i = 0; i < tc->vocab; i++)
        if (tc->words[i] && strcmp(tc->words[i], w) == 0) return i;
    return -1;
}

uint64_t text_vocab_hash(char *const *words, int vocab)
{
    uint64_t h = FNV_OFFSET;
    for (int i = 0; words && i < vocab; i++) {
        if (words[i]) h = fnv1a(h, words[i], strlen(words[i]));
        h = fnv1a(h, "\n", 1);
    }
    return h;
}

/* ---- the vocabulary hash table ---- */

static size_t vocab_slot(const TextVocab *v, uint64_t h, const char *w, size_t len, int *found)
{
    size_t mask = v->nslots - 1, i = (size_t)h & mask;
    for (;; i = (i + 1) & mask) {
        int32_t s = v->slots[i];
        if (s == 0) { *found = 0; return i; }
        int id = s - 1;
        if (v->hashes[id] == h && v->lens[id] == len && memcmp(v->words[id], w, len) == 0) {
            *found = 1;
            return i;
        }
    }
}

int text_vocab_find(const TextVocab *v, const char *w, size_t len)
{
    if (!v || v->n == 0) return -1;
    int found;
    size_t i = vocab_slot(v, fnv1a(FNV_OFFSET, w, len), w, len, &found);
    return found ? v->slots[i] - 1 : -1;
}

/* Double the slot array (or make the first one) and re-insert every word. */
static void vocab_rehash(TextVocab *v)
{
    size_t ns = v->nslots ? v->nslots * 2 : 1024;
    free(v->slots);
    v->slots = xcalloc(ns, sizeof *v->slots);
    v->nslots = ns;
    for (int id = 0; id < v->n; id++) {
        size_t i = (size_t)v->hashes[id] & (ns - 1);
        while (v->slots[i]) i = (i + 1) & (ns - 1);
        v->slots[i] = id + 1;
    }
}

int text_vocab_add(TextVocab *v, const char *w, size_t len)
{
    CHECK(len < UINT32_MAX, "text_vocab_add: word of %zu bytes", len);
    CHECK(v->n < INT32_MAX - 1, "text_vocab_add: more than %d words", v->n);
    if ((size_t)v->n * 2 + 2 > v->nslots) vocab_rehash(v);
    uint64_t h = fnv1a(FNV_OFFSET, w, len);
    int found;
    size_t i = vocab_slot(v, h, w, len, &found);
    if (found) return v->slots[i] - 1;
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 1024;
        v->words = xrealloc(v->words, (size_t)v->cap * sizeof *v->words);
        v->lens = xrealloc(v->lens, (size_t)v->cap * sizeof *v->lens);
        v->hashes = xrealloc(v->hashes, (size_t)v->cap * sizeof *v->hashes);
    }
    int id = v->n++;
    v->words[id] = xmalloc(len + 1);
    memcpy(v->words[id], w, len);
    v->words[id][len] = 0;
    v->lens[id] = (uint32_t)len;
    v->hashes[id] = h;
    v->slots[i] = id + 1;
    return id;
}

void text_vocab_free(TextVocab *v)
{
    if (!v) return;
    if (v->words)
        for (int i = 0; i < v->n; i++) free(v->words[i]);
    free(v->words);
    free(v->lens);
    free(v->hashes);
    free(v->slots);
    memset(v, 0, sizeof *v);
}

void text_ids_push(TextIds *a, int32_t id)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4096;
        a->p = xrealloc(a->p, a->cap * sizeof *a->p);
    }
    a->p[a->n++] = id;
}

/* ---- validation ---- */

size_t text_utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (len == 0 || n < len) return 0;
    for (size_t k = 1; k < len; k++)
        if ((s[k] & 0xC0) != 0x80) return 0;
    if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xF0 && s[1] < 0x90)) return 0;   /* overlong */
    if (c == 0xED && s[1] >= 0xA0) return 0;                                   /* surrogate */
    if (c == 0xF4 && s[1] >= 0x90) return 0;                                   /* > U+10FFFF */
    return len;
}

int text_validate(const TextFile *f, int mode, char *err, size_t errsz)
{
    const unsigned char *s = (const unsigned char *)f->data;
    size_t n = f->len, line = 1, bol = 0;   /* bol: offset where the line begins */
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        if (c == '\n') {
            line++;
            bol = ++i;
            continue;
        }
        if (c == 0) return set_errf(err, errsz, "%s:%zu: NUL byte (not a text file)", f->path, line);
        if (c >= 0x80) {
            size_t k = text_utf8_seq(s + i, n - i);
            if (k == 0)
                return set_errf(err, errsz, "%s:%zu: invalid UTF-8 sequence (byte 0x%02X at column %zu)",
                                f->path, line, c, i - bol + 1);
            i += k;
            continue;
        }
        if (mode == TEXT_CHECK_PTB && (c < 0x20 || c == 0x7F) && c != '\t') {
            if (c == '\r' && i + 1 < n && s[i + 1] == '\n') { i++; continue; }
            return set_errf(err, errsz, "%s:%zu: control byte 0x%02X at column %zu (allowed: TAB, LF, and "
                            "CR only before LF)", f->path, line, c, i - bol + 1);
        }
        i++;
    }
    return 0;
}

int text_shown(const char *w, size_t len)
{
    if (len <= TEXT_WORD_SHOWN) return (int)len;
    size_t k = TEXT_WORD_SHOWN;
    while (k > 0 && ((unsigned char)w[k] & 0xC0) == 0x80) k--;   /* w[k] starts a character */
    return (int)k;
}
