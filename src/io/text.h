/* text.h — word-level text corpora for the language-model study (issue 14).
 *
 * A corpus is three token-id sequences (train, valid, test) over one vocabulary built from
 * the training split.  Corpus specs accepted on the command line (--data):
 *
 *   ptb:DIR          the PTB language-model layout: DIR/ptb.train.txt, ptb.valid.txt,
 *                    ptb.test.txt (also accepted without the "ptb." prefix: train.txt, ...).
 *                    One sentence a line, already tokenized: split on blanks (space, tab),
 *                    "<eos>" appended to every line (also to empty lines, as the reference's
 *                    lstm_utils does).  The vocabulary is every type of the training split,
 *                    in order of first appearance.
 *   fortunes[:DIR]   the English fortune databases of Debian's `fortunes` package (default DIR
 *                    /usr/share/games/fortunes): every regular file NAME in DIR that has a
 *                    strfile index NAME.dat next to it (symlinks such as NAME.u8 are skipped),
 *                    in strcmp order of NAME.  Entries are separated by lines holding only
 *                    "%".  Each entry is tokenized the PTB way (text_tokenize below) and
 *                    followed by "<eos>".  Split, by entry order over all files: entry j
 *                    (0-based, counting every non-empty entry of every file in file order)
 *                    goes to valid when j % 10 == 8, to test when j % 10 == 9, to train
 *                    otherwise (80/10/10).  Vocabulary: the opt->max_vocab most frequent
 *                    training types (ties: first appearance in train), in that order (ids
 *                    0..), then "<unk>"; every other word of any split maps to <unk>.
 *                    "<eos>" is an ordinary type, ranked by its count like any other
 *                    (on Debian's databases it is id 3, after ".", "," and "the").
 *
 * Strictness (ptb): a valid/test word absent from the training vocabulary is an error
 * naming file:line and the word when opt->strict is set; otherwise it maps to "<unk>"
 * (added as the last id if the training split has no "<unk>" type) and is counted in oov[].
 *
 * Validation, all errors "PATH:LINE: what" (or "PATH: what"), nothing left allocated:
 *   a missing or unreadable file; an empty split (no tokens); a NUL byte or an invalid UTF-8
 *   sequence; in ptb files any other C0 control byte except TAB, CR (only before LF) and LF,
 *   and DEL.  The fortune files use terminal effects, which the fortunes reader removes
 *   before tokenizing: BS (0x08) deletes the character before it (nroff overstrike, "_\bI"
 *   -> "I"), and BEL, ESC and every other C0 control except TAB/LF become a space; NUL and
 *   invalid UTF-8 stay errors there too.  A fortunes DIR with no database is an error.
 *
 * Tokenization (text_tokenize, the fortunes corpus), applied to one entry's text:
 *   - ASCII letters are lower-cased; bytes >= 0x80 (UTF-8 letters) are word characters.
 *   - A word is a maximal run of word characters [a-z0-9, bytes >= 0x80], which may contain
 *     a single '-' or '.' or ',' between two word characters ("so-called", "3.14", "1,000",
 *     "e.g" stays one word only when both sides are word characters) and a single "'"
 *     between two letters (see clitics).
 *   - Clitics are split the PTB way: "n't" ("don't" -> "do" "n't"), and "'s", "'re", "'ve",
 *     "'ll", "'d", "'m" ("it's" -> "it" "'s").  Any other internal apostrophe
 *     ("o'clock") stays in the word.
 *   - A word made only of digits and the separators '.' ',' (and at least one digit) becomes
 *     "N" ("1980", "3.14", "1,000"); words mixing digits and letters ("mp3", "1st") stay.
 *   - Every other non-blank ASCII byte is punctuation; a run of the same punctuation byte is
 *     one token ("--", "...", "!!", "?").
 *   - Blanks (space, TAB, LF, CR, the replaced controls) separate tokens.
 */
#ifndef MTA_TEXT_H
#define MTA_TEXT_H

#include <stddef.h>
#include <stdint.h>

enum { TEXT_TRAIN = 0, TEXT_VALID = 1, TEXT_TEST = 2, TEXT_NSPLITS = 3 };

typedef struct {
    int max_vocab;        /* fortunes: the vocabulary keeps this many training types (+ <unk>);
                             <= 0 means 10000 */
    int strict;           /* ptb: words unseen in training are an error instead of <unk> */
} TextOptions;

typedef struct {
    char kind[16];            /* "ptb" or "fortunes" */
    char dir[4096];           /* the directory the files came from */
    int vocab;                /* number of types (ids 0..vocab-1), <unk> included if present */
    char **words;             /* words[id], NUL-terminated; owned */
    int eos, unk;             /* ids of "<eos>" and "<unk>" (-1 when absent) */
    int32_t *ids[TEXT_NSPLITS];   /* token ids of each split; owned */
    size_t len[TEXT_NSPLITS];     /* tokens per split */
    size_t oov[TEXT_NSPLITS];     /* tokens that became <unk> without being "<unk>" in the text */
    size_t entries[TEXT_NSPLITS]; /* lines (ptb) or fortune entries in each split */
    int files;                /* files read (3 for ptb, databases for fortunes) */
    char rule[256];           /* one line describing tokenization, split and vocabulary,
                                 for checkpoint metadata, e.g. "fortunes 41 files; entry j:
                                 valid j%10==8, test j%10==9, else train; top 10000 train
                                 types + <unk>" */
} TextCorpus;

/* Load a corpus from a spec (see above).  Returns 0, or -1 with a message in err. */
int text_load(const char *spec, const TextOptions *opt, TextCorpus *tc, char *err, size_t errsz);
void text_free(TextCorpus *tc);   /* frees and zeroes; NULL or zeroed is a no-op */

/* Id of word w, or -1 if it is not in the vocabulary. */
int text_word_id(const TextCorpus *tc, const char *w);

/* FNV-1a 64 over the vocabulary (each word followed by one '\n', in id order): the
 * fingerprint a checkpoint records so that evaluation can refuse another vocabulary. */
uint64_t text_vocab_hash(char *const *words, int vocab);

/* The tokenizer of the fortunes corpus, for one entry's text (controls already replaced):
 * calls emit(token, len, ctx) for every token, in order, with token pointing into a
 * scratch buffer valid only during the call.  Does not add "<eos>". */
void text_tokenize(const char *text, size_t n, void (*emit)(const char *tok, size_t len, void *ctx),
                   void *ctx);

#endif
