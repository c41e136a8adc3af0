/* text_impl.h — internals of the text corpora (see text.h), shared by text.c, text_ptb.c,
 * text_fortunes.c, text_tokenize.c, their tests and the fuzz target only.
 *
 * The parsers work on memory buffers (TextFile), so the fuzz target drives them without
 * files; text_load reads the files and hands them over.  Every parser validates its bytes
 * first (text_validate), so the tokenizing code after it meets only valid UTF-8 text. */
#ifndef MTA_TEXT_IMPL_H
#define MTA_TEXT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "io/text.h"

#define TEXT_MAX_FILE ((size_t)1 << 30)   /* largest corpus file read (1 GiB) */
#define TEXT_DEFAULT_VOCAB 10000          /* max_vocab <= 0 */
#define TEXT_WORD_SHOWN 64                /* bytes of a word quoted in an error message */

/* One corpus file in memory: its path (for messages) and its bytes; all borrowed. */
typedef struct {
    const char *path;
    const char *data;
    size_t len;
} TextFile;

/* ---- the vocabulary: a hash table of words with dense ids 0..n-1 in order of addition ---- */

typedef struct {
    int n, cap;            /* words held, room in words/lens/hashes */
    char **words;          /* words[id], NUL-terminated; owned (each, and the array) */
    uint32_t *lens;        /* strlen(words[id]); owned */
    uint64_t *hashes;      /* hash of words[id]; owned */
    int32_t *slots;        /* open addressing, id + 1 per slot, 0 = empty; owned */
    size_t nslots;         /* a power of two, at least twice n */
} TextVocab;

/* Id of the len bytes at w, or -1. */
int text_vocab_find(const TextVocab *v, const char *w, size_t len);
/* Id of the len bytes at w, added (copied) with the next id when absent. */
int text_vocab_add(TextVocab *v, const char *w, size_t len);
void text_vocab_free(TextVocab *v);   /* frees everything, zeroes *v; NULL is a no-op */

/* A growable array of token ids. */
typedef struct {
    int32_t *p;            /* owned */
    size_t n, cap;
} TextIds;

void text_ids_push(TextIds *a, int32_t id);

/* ---- validation ---- */

enum { TEXT_CHECK_UTF8 = 0, TEXT_CHECK_PTB = 1 };

/* Check the bytes of f: no NUL, valid UTF-8 (no overlong form, surrogate or code point
 * above U+10FFFF) and, with TEXT_CHECK_PTB, no C0 control byte except TAB, LF and CR
 * directly before LF, and no DEL.  0, or -1 with "PATH:LINE: what" in err. */
int text_validate(const TextFile *f, int mode, char *err, size_t errsz);

/* Length of the valid UTF-8 sequence at s (n > 0 bytes available), 0 when it is invalid. */
size_t text_utf8_seq(const unsigned char *s, size_t n);

/* How many bytes of the len-byte word w to quote in a message: at most TEXT_WORD_SHOWN,
 * cut at a character boundary. */
int text_shown(const char *w, size_t len);

/* ---- the parsers (the work of text_load once the files are read) ---- */

/* The ptb corpus from its three files (files[TEXT_TRAIN..TEXT_TEST]).  Fills every field of
 * tc except kind and dir; 0, or -1 with a message in err and tc's fields left zero. */
int text_ptb_parse(const TextFile files[TEXT_NSPLITS], const TextOptions *opt, TextCorpus *tc,
                   char *err, size_t errsz);

/* The fortunes corpus from its nfiles databases, in the order given (text_load sorts them
 * by name); what names the corpus in the message of an empty split (the directory).  Same
 * contract as text_ptb_parse. */
int text_fortunes_parse(const TextFile *files, int nfiles, const char *what, const TextOptions *opt,
                        TextCorpus *tc, char *err, size_t errsz);

/* Remove the terminal effects of a fortune's text (n bytes of valid UTF-8 at s) into out
 * (room for n bytes; the result is never longer): BS deletes the character before it on its
 * line, every C0 control except TAB and LF becomes a space.  Returns the length written. */
size_t text_fortune_clean(const char *s, size_t n, char *out);

/* text_load's readers: the files of a ptb DIR, or the databases of a fortunes DIR, parsed
 * into tc (kind and dir are the caller's).  Same contract as the parsers. */
int text_load_ptb(const char *dir, const TextOptions *opt, TextCorpus *tc, char *err, size_t errsz);
int text_load_fortunes(const char *dir, const TextOptions *opt, TextCorpus *tc, char *err, size_t errsz);

#endif
