/* text_ptb.c — the PTB language-model layout (see text.h): DIR/ptb.train.txt, ptb.valid.txt,
 * ptb.test.txt (or train.txt, ...), one sentence a line, tokens separated by blanks (space,
 * TAB), "<eos>" after every line, the vocabulary every training type in order of first
 * appearance, unseen valid/test words an error (strict) or "<unk>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/check.h"
#include "base/fileio.h"
#include "io/data.h"
#include "io/text_impl.h"

#define PATH_BUF 4200   /* a TextCorpus dir (4096) plus a file name */

static const char *const split_names[TEXT_NSPLITS] = {"train", "valid", "test"};

typedef struct {
    TextVocab voc;                  /* the training types (+ "<unk>" when added) */
    TextIds ids[TEXT_NSPLITS];
    size_t oov[TEXT_NSPLITS], lines[TEXT_NSPLITS];
    int eos, unk;                   /* -1 until known */
    int strict;
} Ptb;

static void ptb_free(Ptb *p)
{
    text_vocab_free(&p->voc);
    for (int s = 0; s < TEXT_NSPLITS; s++) free(p->ids[s].p);
    memset(p, 0, sizeof *p);
}

/* The id of word w (len bytes) on line `line` of split s (file f), appended to the split. */
static int ptb_token(Ptb *p, int s, const TextFile *f, size_t line, const char *w, size_t len,
                     char *err, size_t errsz)
{
    int id;
    if (s == TEXT_TRAIN) id = text_vocab_add(&p->voc, w, len);
    else if ((id = text_vocab_find(&p->voc, w, len)) < 0) {
        if (p->strict)
            return set_errf(err, errsz, "%s:%zu: word '%.*s%s' is not in the training vocabulary "
                            "(strict mode)", f->path, line, text_shown(w, len), w,
                            len > TEXT_WORD_SHOWN ? "..." : "");
        if (p->unk < 0) p->unk = text_vocab_add(&p->voc, "<unk>", 5);
        id = p->unk;
        if (!(len == 5 && memcmp(w, "<unk>", 5) == 0)) p->oov[s]++;
    }
    text_ids_push(&p->ids[s], id);
    return 0;
}

/* Every line of f (already validated) into split s: its blank-separated tokens, then <eos>. */
static int ptb_split(Ptb *p, int s, const TextFile *f, char *err, size_t errsz)
{
    const char *q = f->data, *end = f->data + f->len;
    size_t line = 0;
    while (q < end) {
        line++;
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        const char *le = nl ? nl : end, *next = nl ? nl + 1 : end;
        if (le > q && le[-1] == '\r') le--;   /* validated: a CR stands only before LF */
        while (q < le) {
            while (q < le && (*q == ' ' || *q == '\t')) q++;
            const char *w = q;
            while (q < le && *q != ' ' && *q != '\t') q++;
            if (q > w && ptb_token(p, s, f, line, w, (size_t)(q - w), err, errsz)) return -1;
        }
        if (s == TEXT_TRAIN && p->eos < 0) p->eos = text_vocab_add(&p->voc, "<eos>", 5);
        text_ids_push(&p->ids[s], p->eos);
        q = next;
    }
    p->lines[s] = line;
    if (p->ids[s].n == 0) return set_errf(err, errsz, "%s: empty %s split (no tokens)", f->path, split_names[s]);
    return 0;
}

int text_ptb_parse(const TextFile files[TEXT_NSPLITS], const TextOptions *opt, TextCorpus *tc,
                   char *err, size_t errsz)
{
    Ptb p = {.eos = -1, .unk = -1, .strict = opt && opt->strict};
    for (int s = 0; s < TEXT_NSPLITS; s++) {
        if (text_validate(&files[s], TEXT_CHECK_PTB, err, errsz) || ptb_split(&p, s, &files[s], err, errsz)) {
            ptb_free(&p);
            return -1;
        }
        if (s == TEXT_TRAIN) p.unk = text_vocab_find(&p.voc, "<unk>", 5);
    }
    tc->vocab = p.voc.n;
    tc->words = p.voc.words;
    p.voc.words = NULL;
    tc->eos = p.eos;
    tc->unk = p.unk;
    for (int s = 0; s < TEXT_NSPLITS; s++) {
        tc->ids[s] = p.ids[s].p;
        tc->len[s] = p.ids[s].n;
        tc->oov[s] = p.oov[s];
        tc->entries[s] = p.lines[s];
        p.ids[s].p = NULL;
    }
    tc->files = TEXT_NSPLITS;
    snprintf(tc->rule, sizeof tc->rule, "ptb: lines split on blanks, <eos> after each; vocabulary: "
             "every train type in first-appearance order; unseen valid/test words %s",
             p.strict ? "are errors (strict)" : "-> <unk>");
    ptb_free(&p);
    return 0;
}

/* DIR/ptb.NAME.txt, else DIR/NAME.txt, into path; -1 naming both when neither exists. */
static int ptb_find(const char *dir, const char *name, char *path, char *err, size_t errsz)
{
    char base[32], alt[32];
    struct stat st;
    snprintf(base, sizeof base, "ptb.%s.txt", name);
    snprintf(alt, sizeof alt, "%s.txt", name);
    if (data_join(path, PATH_BUF, dir, base, err, errsz)) return -1;
    if (stat(path, &st) != 0) {
        if (data_join(path, PATH_BUF, dir, alt, err, errsz)) return -1;
        if (stat(path, &st) != 0) {
            data_join(path, PATH_BUF, dir, base, err, errsz);   /* fitted above */
            return set_errf(err, errsz, "%s: not found (nor %s)", path, alt);
        }
    }
    if (!S_ISREG(st.st_mode)) return set_errf(err, errsz, "%s: not a regular file", path);
    return 0;
}

int text_load_ptb(const char *dir, const TextOptions *opt, TextCorpus *tc, char *err, size_t errsz)
{
    char paths[TEXT_NSPLITS][PATH_BUF];
    char *bufs[TEXT_NSPLITS] = {0};
    TextFile files[TEXT_NSPLITS];
    int rc = 0;
    for (int s = 0; s < TEXT_NSPLITS && rc == 0; s++) {
        if (ptb_find(dir, split_names[s], paths[s], err, errsz)) { rc = -1; break; }
        files[s].path = paths[s];
        bufs[s] = file_read_all(paths[s], TEXT_MAX_FILE, 0, &files[s].len, err, errsz);
        if (!bufs[s]) rc = -1;
        files[s].data = bufs[s];
    }
    if (rc == 0) rc = text_ptb_parse(files, opt, tc, err, errsz);
    for (int s = 0; s < TEXT_NSPLITS; s++) free(bufs[s]);
    return rc;
}
