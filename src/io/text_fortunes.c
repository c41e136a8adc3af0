/* text_fortunes.c — the fortune databases of Debian's `fortunes` package (see text.h): every
 * regular file NAME with a strfile index NAME.dat, in strcmp order; entries separated by "%"
 * lines, cleaned of terminal effects, tokenized (text_tokenize) and followed by "<eos>";
 * entry j to valid when j % 10 == 8, to test when j % 10 == 9, else to train; the vocabulary
 * the max_vocab most frequent training types, then "<unk>". */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/check.h"
#include "base/fileio.h"
#include "io/data.h"
#include "io/text_impl.h"

#define PATH_BUF 4400   /* a TextCorpus dir (4096) plus a file name (255) and ".dat" */

static const char *const split_names[TEXT_NSPLITS] = {"train", "valid", "test"};

/* The corpus while it is read: tokens hold interim ids (every type of every split, in order
 * of first appearance), renumbered by frequency at the end. */
typedef struct {
    TextVocab voc;
    TextIds ids[TEXT_NSPLITS];
    size_t *count;        /* count[id]: occurrences in train; owned */
    int *rank;            /* rank[id]: order of first appearance in train (when count > 0); owned */
    int cap;              /* room in count and rank */
    int ranked;           /* training types seen so far */
    int split;            /* the split of the entry being tokenized */
    size_t entry_tokens;  /* tokens of that entry so far */
    size_t entries[TEXT_NSPLITS], nonempty;
} Fortunes;

static void fortunes_free(Fortunes *f)
{
    text_vocab_free(&f->voc);
    for (int s = 0; s < TEXT_NSPLITS; s++) free(f->ids[s].p);
    free(f->count);
    free(f->rank);
    memset(f, 0, sizeof *f);
}

/* text_tokenize's callback: one token of the current entry. */
static void fortunes_token(const char *tok, size_t len, void *ctx)
{
    Fortunes *f = ctx;
    int id = text_vocab_add(&f->voc, tok, len);
    if (f->voc.n > f->cap) {
        int old = f->cap;
        f->cap = f->cap ? f->cap * 2 : 4096;
        f->count = xrealloc(f->count, (size_t)f->cap * sizeof *f->count);
        f->rank = xrealloc(f->rank, (size_t)f->cap * sizeof *f->rank);
        memset(f->count + old, 0, (size_t)(f->cap - old) * sizeof *f->count);
    }
    if (f->split == TEXT_TRAIN && f->count[id]++ == 0) f->rank[id] = f->ranked++;
    text_ids_push(&f->ids[f->split], id);
    f->entry_tokens++;
}

size_t text_fortune_clean(const char *s, size_t n, char *out)
{
    size_t o = 0, bol = 0;   /* bol: where the current line begins in out */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            out[o++] = '\n';
            bol = o;
        } else if (c == '\b') {   /* delete the character before, if the line has one */
            if (o > bol) o--;
            while (o > bol && ((unsigned char)out[o] & 0xC0) == 0x80) o--;
        } else {
            out[o++] = c < 0x20 && c != '\t' ? ' ' : (char)c;
        }
    }
    return o;
}

/* One entry (n raw bytes at s): cleaned into scratch (room for n), tokenized into the split
 * its index gives; an entry without tokens does not count. */
static void fortunes_entry(Fortunes *f, const char *s, size_t n, char *scratch)
{
    size_t m = text_fortune_clean(s, n, scratch);
    size_t j = f->nonempty;
    f->split = j % 10 == 8 ? TEXT_VALID : j % 10 == 9 ? TEXT_TEST : TEXT_TRAIN;
    f->entry_tokens = 0;
    text_tokenize(scratch, m, fortunes_token, f);
    if (f->entry_tokens == 0) return;
    fortunes_token("<eos>", 5, f);
    f->entries[f->split]++;
    f->nonempty++;
}

/* Every entry of one database (validated): the text between lines holding only "%" (or
 * "%" and CR). */
static void fortunes_file(Fortunes *f, const TextFile *tf, char *scratch)
{
    const char *p = tf->data, *end = p + tf->len, *start = p;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        size_t ll = (size_t)(le - p);
        if (p[0] == '%' && (ll == 1 || (ll == 2 && p[1] == '\r'))) {
            fortunes_entry(f, start, (size_t)(p - start), scratch);
            start = nl ? nl + 1 : end;
        }
        p = nl ? nl + 1 : end;
    }
    fortunes_entry(f, start, (size_t)(end - start), scratch);
}

typedef struct { size_t count; int rank, id; } TypeRank;

static int by_frequency(const void *a, const void *b)
{
    const TypeRank *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return (x->rank > y->rank) - (x->rank < y->rank);
}

/* Renumber: the max_vocab most frequent training types (ties: first appearance), then
 * "<unk>" for every other token; fills tc. */
static void fortunes_finish(Fortunes *f, int max_vocab, int nfiles, TextCorpus *tc)
{
    int types = f->voc.n, keep = 0, eos = text_vocab_find(&f->voc, "<eos>", 5);
    TypeRank *order = xmalloc(((size_t)types + 1) * sizeof *order);
    for (int id = 0; id < types; id++)
        if (f->count[id] > 0) order[keep++] = (TypeRank){f->count[id], f->rank[id], id};
    qsort(order, (size_t)keep, sizeof *order, by_frequency);
    if (keep > max_vocab) keep = max_vocab;
    int32_t *map = xmalloc(((size_t)types + 1) * sizeof *map);
    for (int id = 0; id < types; id++) map[id] = keep;   /* <unk> */
    char **words = xmalloc(((size_t)keep + 1) * sizeof *words);
    for (int r = 0; r < keep; r++) {
        map[order[r].id] = r;
        words[r] = f->voc.words[order[r].id];
        f->voc.words[order[r].id] = NULL;
    }
    words[keep] = xstrdup("<unk>");
    tc->eos = eos >= 0 && map[eos] < keep ? map[eos] : -1;
    tc->unk = keep;
    tc->vocab = keep + 1;
    tc->words = words;
    for (int s = 0; s < TEXT_NSPLITS; s++) {
        size_t oov = 0;
        for (size_t i = 0; i < f->ids[s].n; i++) {
            int32_t id = map[f->ids[s].p[i]];
            oov += id == keep;
            f->ids[s].p[i] = id;
        }
        tc->ids[s] = f->ids[s].p;
        f->ids[s].p = NULL;
        tc->len[s] = f->ids[s].n;
        tc->oov[s] = oov;
        tc->entries[s] = f->entries[s];
    }
    tc->files = nfiles;
    snprintf(tc->rule, sizeof tc->rule, "fortunes %d files; entry j: valid j%%10==8, test j%%10==9, else "
             "train; top %d train types + <unk>", nfiles, max_vocab);
    free(map);
    free(order);
}

int text_fortunes_parse(const TextFile *files, int nfiles, const char *what, const TextOptions *opt,
                        TextCorpus *tc, char *err, size_t errsz)
{
    int max_vocab = opt && opt->max_vocab > 0 ? opt->max_vocab : TEXT_DEFAULT_VOCAB;
    if (nfiles <= 0) return set_errf(err, errsz, "%s: no fortune database", what);
    size_t longest = 1;
    for (int k = 0; k < nfiles; k++) {
        if (text_validate(&files[k], TEXT_CHECK_UTF8, err, errsz)) return -1;
        if (files[k].len > longest) longest = files[k].len;
    }
    Fortunes f = {0};
    char *scratch = xmalloc(longest);
    for (int k = 0; k < nfiles; k++) fortunes_file(&f, &files[k], scratch);
    free(scratch);
    for (int s = 0; s < TEXT_NSPLITS; s++)
        if (f.ids[s].n == 0) {
            set_errf(err, errsz, "%s: empty %s split (no tokens; %zu non-empty entries in %d files, "
                     "entry j goes to valid when j%%10==8, to test when j%%10==9)", what, split_names[s],
                     f.nonempty, nfiles);
            fortunes_free(&f);
            return -1;
        }
    fortunes_finish(&f, max_vocab, nfiles, tc);
    fortunes_free(&f);
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The database names in dir (NAME regular, not a symlink, and NAME.dat present), sorted by
 * strcmp, into *names (caller frees each and the array); their number, or -1. */
static int fortunes_list(const char *dir, char ***names, char *err, size_t errsz)
{
    DIR *d = opendir(dir);
    if (!d) return set_errf(err, errsz, "%s: cannot open directory: %s", dir, strerror(errno));
    char **v = NULL, path[PATH_BUF], dat[PATH_BUF];
    int n = 0, cap = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        char datname[300];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        if (snprintf(datname, sizeof datname, "%s.dat", e->d_name) >= (int)sizeof datname) continue;
        if (data_join(path, sizeof path, dir, e->d_name, err, errsz) ||
            data_join(dat, sizeof dat, dir, datname, err, errsz)) { rc = -1; break; }
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (stat(dat, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            v = xrealloc(v, (size_t)cap * sizeof *v);
        }
        v[n++] = xstrdup(e->d_name);
    }
    closedir(d);
    if (rc == 0 && n == 0)
        rc = set_errf(err, errsz, "%s: no fortune database (a regular file NAME with a strfile index "
                      "NAME.dat beside it)", dir);
    if (rc) {
        for (int k = 0; k < n; k++) free(v[k]);
        free(v);
        return -1;
    }
    qsort(v, (size_t)n, sizeof *v, by_name);
    *names = v;
    return n;
}

int text_load_fortunes(const char *dir, const TextOptions *opt, TextCorpus *tc, char *err, size_t errsz)
{
    char **names = NULL;
    int n = fortunes_list(dir, &names, err, errsz);
    if (n < 0) return -1;
    TextFile *files = xcalloc((size_t)n, sizeof *files);
    char **paths = xcalloc((size_t)n, sizeof *paths), **bufs = xcalloc((size_t)n, sizeof *bufs);
    int rc = 0;
    for (int k = 0; k < n && rc == 0; k++) {
        paths[k] = xmalloc(PATH_BUF);
        if (data_join(paths[k], PATH_BUF, dir, names[k], err, errsz)) { rc = -1; break; }
        bufs[k] = file_read_all(paths[k], TEXT_MAX_FILE, 0, &files[k].len, err, errsz);
        if (!bufs[k]) rc = -1;
        files[k] = (TextFile){.path = paths[k], .data = bufs[k], .len = files[k].len};
    }
    if (rc == 0) rc = text_fortunes_parse(files, n, dir, opt, tc, err, errsz);
    for (int k = 0; k < n; k++) {
        free(names[k]);
        free(paths[k]);
        free(bufs[k]);
    }
    free(names);
    free(paths);
    free(bufs);
    free(files);
    return rc;
}
