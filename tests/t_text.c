/* t_text.c — word-level text corpora (io/text.h): the PTB layout (token counts, <eos>, ids in
 * order of first appearance, <unk> and strict mode, file names, byte validation, CRLF), the
 * tokenizer rule by rule, the fortunes reader on a generated directory (database selection,
 * entry split, terminal effects, frequency vocabulary, truncation) and on the installed
 * corpus, the vocabulary fingerprint and word lookup.  Every file is generated in a mkdtemp
 * directory under /tmp that is removed at the end. */
#include "io/text.h"
#include "io/text_impl.h"
#include "tap.h"

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FORTUNES_DIR "/usr/share/games/fortunes"

/* ---- helpers ---- */

static void put(const char *dir, const char *name, const char *s, size_t n)
{
    char path[8500];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(s, 1, n, f) != n) || fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
}
/* A string literal, embedded NUL bytes included. */
#define PUT(dir, name, lit) put(dir, name, lit, sizeof lit - 1)

static void make_dir(char *out, size_t outsz, const char *root, const char *sub)
{
    snprintf(out, outsz, "%s/%s", root, sub);
    if (mkdir(out, 0700) != 0) { perror(out); exit(2); }
}

static int load(const char *spec, int max_vocab, int strict, TextCorpus *tc, char *err, size_t errsz)
{
    TextOptions opt = {.max_vocab = max_vocab, .strict = strict};
    return text_load(spec, &opt, tc, err, errsz);
}

static int zeroed(const TextCorpus *tc)
{
    static const TextCorpus zero;
    return memcmp(tc, &zero, sizeof zero) == 0;
}

/* The words of split s joined by single spaces, into out. */
static const char *split_text(const TextCorpus *tc, int s, char *out, size_t n)
{
    size_t o = 0;
    out[0] = 0;
    for (size_t i = 0; i < tc->len[s] && o < n; i++) {
        int32_t id = tc->ids[s][i];
        const char *w = id >= 0 && id < tc->vocab ? tc->words[id] : "?!";
        o += (size_t)snprintf(out + o, n - o, "%s%s", i ? " " : "", w);
    }
    return out;
}

/* The vocabulary joined by single spaces. */
static const char *vocab_text(const TextCorpus *tc, char *out, size_t n)
{
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; i < tc->vocab && o < n; i++)
        o += (size_t)snprintf(out + o, n - o, "%s%s", i ? " " : "", tc->words[i]);
    return out;
}

/* text_load(spec) fails with an error containing want1 and want2, leaving tc zeroed. */
static void expect_fail(const char *name, const char *spec, int max_vocab, int strict, const char *want1,
                        const char *want2)
{
    TextCorpus tc;
    memset(&tc, 0xAB, sizeof tc);
    char err[8192] = "";
    int rc = load(spec, max_vocab, strict, &tc, err, sizeof err);
    ok(rc == -1 && strstr(err, want1) && (!want2 || strstr(err, want2)) && zeroed(&tc), "%s: fails naming "
       "'%s'%s%s", name, want1, want2 ? " and " : "", want2 ? want2 : "");
    diag("  %s", err);
    if (rc == 0) text_free(&tc);
}

/* ---- ptb ---- */

/* A ptb directory root/sub with the three files (prefixed or not); spec into spec. */
static void ptb_dir(const char *root, const char *sub, int prefixed, const char *train, const char *valid,
                    const char *test, char *dir, char *spec)
{
    make_dir(dir, 4200, root, sub);
    const char *texts[3] = {train, valid, test}, *names[3] = {"train", "valid", "test"};
    for (int s = 0; s < 3; s++) {
        if (!texts[s]) continue;
        char name[64];
        snprintf(name, sizeof name, "%s%s.txt", prefixed ? "ptb." : "", names[s]);
        put(dir, name, texts[s], strlen(texts[s]));
    }
    snprintf(spec, 4300, "ptb:%s", dir);
}

static void test_ptb(const char *root)
{
    char dir[4200], spec[4300], buf[8192], err[8192] = "";
    TextCorpus tc;

    ptb_dir(root, "p_basic", 1, "a b c\nb a\n\nd\n", "a z\nd\n", "<unk> b", dir, spec);
    int rc = load(spec, 0, 0, &tc, err, sizeof err);
    if (!ok(rc == 0, "ptb: loads %s", spec)) { diag("%s", err); return; }
    ok(strcmp(tc.kind, "ptb") == 0 && strcmp(tc.dir, dir) == 0 && tc.files == 3 && tc.rule[0],
       "ptb: kind, dir, 3 files, a rule (%s)", tc.rule);
    ok(tc.len[TEXT_TRAIN] == 10 && tc.len[TEXT_VALID] == 5 && tc.len[TEXT_TEST] == 3,
       "ptb: tokens 10/5/3 with an <eos> per line (got %zu/%zu/%zu)", tc.len[0], tc.len[1], tc.len[2]);
    ok(strcmp(split_text(&tc, TEXT_TRAIN, buf, sizeof buf), "a b c <eos> b a <eos> <eos> d <eos>") == 0,
       "ptb: train tokens, the empty line gives just <eos> (%s)", buf);
    static const int32_t want_ids[10] = {0, 1, 2, 3, 1, 0, 3, 3, 4, 3};
    ok(memcmp(tc.ids[TEXT_TRAIN], want_ids, sizeof want_ids) == 0, "ptb: train ids in order of first appearance");
    ok(tc.vocab == 6 && strcmp(vocab_text(&tc, buf, sizeof buf), "a b c <eos> d <unk>") == 0,
       "ptb: vocabulary = train types, then <unk> added last (%s)", buf);
    ok(tc.eos == 3 && tc.unk == 5, "ptb: eos id 3, unk id 5 (got %d, %d)", tc.eos, tc.unk);
    ok(strcmp(split_text(&tc, TEXT_VALID, buf, sizeof buf), "a <unk> <eos> d <eos>") == 0,
       "ptb: valid maps the unseen 'z' to <unk> (%s)", buf);
    ok(strcmp(split_text(&tc, TEXT_TEST, buf, sizeof buf), "<unk> b <eos>") == 0,
       "ptb: test without a trailing newline (%s)", buf);
    ok(tc.oov[TEXT_TRAIN] == 0 && tc.oov[TEXT_VALID] == 1 && tc.oov[TEXT_TEST] == 0,
       "ptb: oov 0/1/0, a literal <unk> is not counted (got %zu/%zu/%zu)", tc.oov[0], tc.oov[1], tc.oov[2]);
    ok(tc.entries[TEXT_TRAIN] == 4 && tc.entries[TEXT_VALID] == 2 && tc.entries[TEXT_TEST] == 1,
       "ptb: entries are lines 4/2/1 (got %zu/%zu/%zu)", tc.entries[0], tc.entries[1], tc.entries[2]);
    ok(text_word_id(&tc, "a") == 0 && text_word_id(&tc, "d") == 4 && text_word_id(&tc, "<eos>") == tc.eos &&
       text_word_id(&tc, "<unk>") == tc.unk && text_word_id(&tc, "z") == -1 && text_word_id(&tc, "") == -1 &&
       text_word_id(&tc, NULL) == -1 && text_word_id(NULL, "a") == -1, "text_word_id: ids, -1 for absent words");
    char *const spelled[] = {"a", "b", "c", "<eos>", "d", "<unk>"};
    ok(text_vocab_hash(tc.words, tc.vocab) == text_vocab_hash(spelled, 6),
       "text_vocab_hash: the corpus's vocabulary hashes as the same list spelled out");
    text_free(&tc);
    ok(zeroed(&tc), "text_free zeroes the corpus");
    text_free(&tc);
    text_free(NULL);
    ok(1, "text_free on a zeroed corpus and on NULL is a no-op");

    /* A training split with its own <unk> type: it keeps its id, nothing is added. */
    ptb_dir(root, "p_unk", 1, " x <unk> y \n", "q y\n", "x\n", dir, spec);
    rc = load(spec, 0, 0, &tc, err, sizeof err);
    ok(rc == 0 && tc.vocab == 4 && tc.unk == 1 && tc.eos == 3 &&
       strcmp(split_text(&tc, TEXT_VALID, buf, sizeof buf), "<unk> y <eos>") == 0 && tc.oov[TEXT_VALID] == 1,
       "ptb: the training <unk> (id 1) takes the unseen valid word, oov 1 (%s)", rc ? err : buf);
    text_free(&tc);

    /* Strict mode: the unseen word is an error naming file, line and word. */
    ptb_dir(root, "p_strict", 0, "a b\n", "a\nb zebra a\n", "b\n", dir, spec);
    snprintf(buf, sizeof buf, "%s/valid.txt:2:", dir);
    expect_fail("ptb strict, unseen valid word", spec, 0, 1, buf, "'zebra'");
    rc = load(spec, 0, 0, &tc, err, sizeof err);
    ok(rc == 0 && tc.unk == 3 && tc.oov[TEXT_VALID] == 1, "ptb: the same files load without strict");
    text_free(&tc);
    ptb_dir(root, "p_strict_ok", 0, "a b\n", "b a\n", "a\n", dir, spec);
    rc = load(spec, 0, 1, &tc, err, sizeof err);
    ok(rc == 0 && tc.unk == -1 && tc.vocab == 3, "ptb strict: no unseen word, no <unk> (unk %d)", tc.unk);
    text_free(&tc);

    /* Both file names; the prefixed one wins. */
    ptb_dir(root, "p_plain", 0, "a\n", "a\n", "a\n", dir, spec);
    rc = load(spec, 0, 0, &tc, err, sizeof err);
    ok(rc == 0 && tc.len[0] == 2 && tc.len[1] == 2 && tc.len[2] == 2,
       "ptb: train.txt, valid.txt, test.txt accepted");
    text_free(&tc);
    PUT(dir, "ptb.train.txt", "b c\n");
    rc = load(spec, 0, 0, &tc, err, sizeof err);
    ok(rc == 0 && tc.len[0] == 3 && text_word_id(&tc, "c") == 1, "ptb: ptb.train.txt preferred over train.txt");
    text_free(&tc);

    /* CRLF line ends, tabs and runs of blanks. */
    ptb_dir(root, "p_crlf", 1, "a b\r\n\tc\t\td  \r\n\r\n", "a\r\n", "b", dir, spec);
    rc = load(spec, 0, 1, &tc, err, sizeof err);
    ok(rc == 0 && strcmp(split_text(&tc, TEXT_TRAIN, buf, sizeof buf), "a b <eos> c d <eos> <eos>") == 0 &&
       tc.vocab == 5, "ptb: CRLF, tabs and blank runs (%s)", rc ? err : buf);
    text_free(&tc);

    /* UTF-8 words are words. */
    ptb_dir(root, "p_utf8", 1, "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\n", "caf\xC3\xA9\n", "x\n",
            dir, spec);
    rc = load(spec, 0, 0, &tc, err, sizeof err);
    ok(rc == 0 && tc.vocab == 5 && text_word_id(&tc, "caf\xC3\xA9") == 0 && tc.oov[TEXT_VALID] == 0 &&
       tc.oov[TEXT_TEST] == 1, "ptb: 2-, 3- and 4-byte UTF-8 words (%s)", rc ? err : "");
    text_free(&tc);

    /* A huge line (2 MiB word) and a long line of many words. */
    {
        size_t n = (size_t)2 << 20;
        char *big = malloc(n + 64);
        memset(big, 'x', n);
        memcpy(big + n, " y\nz", 5);
        make_dir(dir, sizeof dir, root, "p_huge");
        put(dir, "train.txt", big, n + 4);
        for (size_t i = 0; i < n; i += 2) big[i] = 'w', big[i + 1] = ' ';
        put(dir, "valid.txt", big, n);
        PUT(dir, "test.txt", "y\n");
        snprintf(spec, sizeof spec, "ptb:%s", dir);
        rc = load(spec, 0, 0, &tc, err, sizeof err);
        ok(rc == 0 && tc.len[0] == 5 && strlen(tc.words[0]) == n && tc.len[1] == n / 2 + 1 &&
           tc.oov[1] == n / 2, "ptb: a 2 MiB word and a line of 1 Mi words (%s)", rc ? err : "");
        text_free(&tc);
        free(big);
    }

    /* Errors. */
    ptb_dir(root, "p_missing", 1, "a\n", "a\n", NULL, dir, spec);
    snprintf(buf, sizeof buf, "%s/ptb.test.txt", dir);
    expect_fail("ptb missing test file", spec, 0, 0, buf, "not found (nor test.txt)");
    snprintf(buf, sizeof buf, "ptb:%s/nonexistent", root);
    expect_fail("ptb missing directory", buf, 0, 0, "nonexistent/ptb.train.txt", "not found");
    ptb_dir(root, "p_empty", 1, "a\n", "", "a\n", dir, spec);
    snprintf(buf, sizeof buf, "%s/ptb.valid.txt", dir);
    expect_fail("ptb empty valid split", spec, 0, 0, buf, "empty valid split");
    ptb_dir(root, "p_empty_train", 1, "", "a\n", "a\n", dir, spec);
    expect_fail("ptb empty train split", spec, 0, 0, "ptb.train.txt", "empty train split");
    ptb_dir(root, "p_dirfile", 1, "a\n", "a\n", "a\n", dir, spec);
    snprintf(buf, sizeof buf, "%s/ptb.test.txt", dir);
    unlink(buf);
    mkdir(buf, 0700);
    expect_fail("ptb test file a directory", spec, 0, 0, buf, "not a regular file");

    static const struct { const char *name; const char *text; size_t n; const char *where, *what; } bad[] = {
        {"NUL byte", "a\nb\nc\0d\n", 8, ":3:", "NUL byte"},
        {"invalid UTF-8 (bad continuation)", "a\n\xC3(\n", 5, ":2:", "invalid UTF-8"},
        {"invalid UTF-8 (lone continuation)", "\x80\n", 2, ":1:", "byte 0x80 at column 1"},
        {"invalid UTF-8 (overlong)", "a\nb \xC0\x80\n", 7, ":2:", "byte 0xC0 at column 3"},
        {"invalid UTF-8 (overlong 3-byte)", "\xE0\x80\x80\n", 4, ":1:", "invalid UTF-8"},
        {"invalid UTF-8 (surrogate)", "a\n\n\xED\xA0\x80\n", 7, ":3:", "invalid UTF-8"},
        {"invalid UTF-8 (above U+10FFFF)", "\xF4\x90\x80\x80\n", 5, ":1:", "invalid UTF-8"},
        {"invalid UTF-8 (cut at end of file)", "a\n\xE6\x97", 4, ":2:", "invalid UTF-8"},
        {"invalid UTF-8 (0xFF)", "\xFF", 1, ":1:", "byte 0xFF"},
        {"control byte", "a\nb\x01\n", 5, ":2:", "control byte 0x01 at column 2"},
        {"escape", "\x1B[1m\n", 5, ":1:", "control byte 0x1B"},
        {"DEL", "a\n\nx\x7F\n", 6, ":3:", "control byte 0x7F"},
        {"CR not before LF", "a\rb\n", 4, ":1:", "control byte 0x0D"},
        {"CR at end of file", "a\nb\r", 4, ":2:", "control byte 0x0D"},
        {"form feed", "\f\n", 2, ":1:", "control byte 0x0C"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char sub[32];
        snprintf(sub, sizeof sub, "p_bad%zu", k);
        ptb_dir(root, sub, 1, NULL, "a\n", "a\n", dir, spec);
        put(dir, "ptb.train.txt", bad[k].text, bad[k].n);
        snprintf(buf, sizeof buf, "%s/ptb.train.txt%s", dir, bad[k].where);
        char name[96];
        snprintf(name, sizeof name, "ptb %s", bad[k].name);
        expect_fail(name, spec, 0, 0, buf, bad[k].what);
    }
    /* in valid, naming that file */
    ptb_dir(root, "p_bad_valid", 1, "a\n", "a\na\na\xC3\n", "a\n", dir, spec);
    snprintf(buf, sizeof buf, "%s/ptb.valid.txt:3:", dir);
    expect_fail("ptb invalid UTF-8 in valid", spec, 0, 0, buf, "invalid UTF-8");
}

/* ---- the tokenizer ---- */

/* s with control bytes written as \xHH (TAP names stay on one line), into out. */
static const char *escaped(const char *s, char *out, size_t n)
{
    size_t o = 0;
    for (; *s && o + 5 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7F) o += (size_t)snprintf(out + o, n - o, "\\x%02X", c);
        else out[o++] = (char)c;
    }
    out[o] = 0;
    return out;
}

typedef struct { char s[1024]; size_t n; } Joined;

static void join_token(const char *tok, size_t len, void *ctx)
{
    Joined *j = ctx;
    j->n += (size_t)snprintf(j->s + j->n, j->n < sizeof j->s ? sizeof j->s - j->n : 0, "%s%.*s", j->n ? "|" : "",
                             (int)len, tok);
}

typedef struct { size_t count, total, longest; int lower; } TokenStats;

static void count_token(const char *tok, size_t len, void *ctx)
{
    TokenStats *t = ctx;
    t->count++;
    t->total += len;
    if (len > t->longest) t->longest = len;
    t->lower = 1;
    for (size_t i = 0; i < len; i++)
        if (tok[i] != 'a') t->lower = 0;
}

static void test_tokenize(void)
{
    static const struct { const char *in, *want, *rule; } cases[] = {
        {"Hello World", "hello|world", "lower case"},
        {"ABC xYz", "abc|xyz", "lower case"},
        {"don't", "do|n't", "n't"},
        {"Can't WON'T", "ca|n't|wo|n't", "n't, upper case"},
        {"isn't", "is|n't", "n't"},
        {"it's", "it|'s", "'s"},
        {"they're", "they|'re", "'re"},
        {"we've", "we|'ve", "'ve"},
        {"you'll", "you|'ll", "'ll"},
        {"he'd", "he|'d", "'d"},
        {"I'm", "i|'m", "'m"},
        {"shouldn't've", "should|n't|'ve", "two clitics"},
        {"n't", "n't", "a bare n't"},
        {"o'clock", "o'clock", "other apostrophe kept"},
        {"rock'n'roll", "rock'n'roll", "other apostrophes kept"},
        {"O'Clock's", "o'clock|'s", "kept apostrophe, then a clitic"},
        {"1980", "N", "number"},
        {"1,000", "N", "number with ,"},
        {"3.14", "N", "number with ."},
        {"1,000.50 and 0", "N|and|N", "numbers"},
        {"3.14.", "N|.", "number then a period"},
        {"$5 5%", "$|N|N|%", "number and punctuation"},
        {"1980's", "N|'|s", "apostrophe after a digit"},
        {"mp3 1st 2nd", "mp3|1st|2nd", "digits with letters stay"},
        {"1-2", "1-2", "digits with a hyphen stay"},
        {"so-called", "so-called", "hyphenated word"},
        {"X-Ray's", "x-ray|'s", "hyphenated word with a clitic"},
        {"well--I", "well|--|i", "double hyphen splits"},
        {"end- -start", "end|-|-|start", "hyphen at word edges"},
        {"e.g. U.S.A.", "e.g|.|u.s.a|.", "internal periods"},
        {"a,b a, b a.b", "a,b|a|,|b|a.b", "internal comma and period"},
        {"Wait...", "wait|...", "ellipsis"},
        {"What?! Yes!!", "what|?|!|yes|!!", "punctuation runs of one byte"},
        {"(a) [b]", "(|a|)|[|b|]", "brackets"},
        {"\"hi\"", "\"|hi|\"", "double quotes"},
        {"'quoted'", "'|quoted|'", "apostrophes at word edges"},
        {"''double''", "''|double|''", "apostrophe runs"},
        {"dogs' 'tis", "dogs|'|'|tis", "apostrophe after / before a word"},
        {"caf\xC3\xA9 \xC3\x9C" "ber", "caf\xC3\xA9|\xC3\x9c" "ber", "UTF-8 letters are word characters, not lowered"},
        {"na\xC3\xAFve's", "na\xC3\xAFve|'s", "UTF-8 letter before a clitic"},
        {"don\xE2\x80\x99t", "don\xE2\x80\x99t", "a curly apostrophe is a word character"},
        {"end.", "end|.", "trailing period"},
        {"end,", "end|,", "trailing comma"},
        {"a\tb\nc\rd  e", "a|b|c|d|e", "blanks"},
        {"bell\x07ring", "bell|ring", "a raw control is a blank"},
        {"  \t\n ", "", "only blanks"},
        {"", "", "empty text"},
        {"a_b", "a|_|b", "underscore is punctuation"},
        {"--", "--", "only punctuation"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        Joined j = {.n = 0};
        j.s[0] = 0;
        text_tokenize(cases[k].in, strlen(cases[k].in), join_token, &j);
        char in[256];
        ok(strcmp(j.s, cases[k].want) == 0, "tokenize (%s): '%s' -> '%s'", cases[k].rule,
           escaped(cases[k].in, in, sizeof in), cases[k].want);
        if (strcmp(j.s, cases[k].want) != 0) diag("got '%s'", j.s);
    }
    /* only n bytes are read */
    Joined j = {.n = 0};
    j.s[0] = 0;
    text_tokenize("abc def", 3, join_token, &j);
    ok(strcmp(j.s, "abc") == 0, "tokenize reads only n bytes (got '%s')", j.s);
    /* a long text (past the tokenizer's stack scratch) */
    {
        size_t n = 5000;
        char *t = malloc(n);
        memset(t, 'A', n);
        t[2500] = ' ';
        TokenStats ts = {0};
        text_tokenize(t, n, count_token, &ts);
        ok(ts.count == 2 && ts.longest == 2500 && ts.total == 4999 && ts.lower,
           "tokenize: two lower-cased words of 2500 and 2499 bytes (got %zu tokens, longest %zu)", ts.count,
           ts.longest);
        free(t);
    }
}

/* text_fortune_clean on literal input. */
static void test_clean(void)
{
    static const struct { const char *in, *want, *what; } cases[] = {
        {"_\bI", "I", "underscore overstrike"},
        {"____\b\b\b\bonly", "only", "four backspaces delete four characters"},
        {"I\bI", "I", "bold overstrike"},
        {"\bstart", "start", "a backspace at the start of the text deletes nothing"},
        {"ab\n\bc", "ab\nc", "a backspace does not cross a line end"},
        {"\xC3\xA9\bz", "z", "a backspace deletes a whole UTF-8 character"},
        {"stop\a\a\anow", "stop   now", "BEL becomes a space"},
        {"\x1B[1mbold", " [1mbold", "ESC becomes a space"},
        {"a\r\nb\tc", "a \nb\tc", "CR becomes a space, TAB and LF stay"},
        {"\x01\x1F", "  ", "every other C0 control becomes a space"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char out[64];
        size_t n = text_fortune_clean(cases[k].in, strlen(cases[k].in), out);
        ok(n == strlen(cases[k].want) && memcmp(out, cases[k].want, n) == 0, "fortune clean: %s", cases[k].what);
    }
}

/* ---- fortunes ---- */

static void test_fortunes(const char *root)
{
    char dir[4200], spec[4300], buf[8192], err[8192] = "", path[4300], target[4300];
    TextCorpus tc;

    make_dir(dir, sizeof dir, root, "f_basic");
    /* "beta" sorts after "alpha"; entries 0..5 in alpha, 6..11 in beta; empty ones skipped */
    PUT(dir, "alpha", "w0 common\n%\nw1 common common\n%\n%\n  \n\t\n%\nw2\n%\nw3\n%\nw4\n%\nw5");
    PUT(dir, "alpha.dat", "strfile index");
    PUT(dir, "beta", "w6\n%\nw7\n%\nw8\n%\nw9\n%\nw10\n%\nw11\n%\n");
    PUT(dir, "beta.dat", "");
    PUT(dir, "Zeta", "skipme\0 (a NUL byte: the file must not be read)\n");   /* no Zeta.dat */
    snprintf(path, sizeof path, "%s/alpha.u8", dir);
    if (symlink("alpha", path) != 0) perror("symlink");
    PUT(dir, "alpha.u8.dat", "");
    snprintf(spec, sizeof spec, "fortunes:%s", dir);
    int rc = load(spec, 0, 0, &tc, err, sizeof err);
    if (!ok(rc == 0, "fortunes: loads %s", spec)) { diag("%s", err); return; }
    ok(strcmp(tc.kind, "fortunes") == 0 && strcmp(tc.dir, dir) == 0 && tc.files == 2,
       "fortunes: two databases (no .dat, symlink skipped; got %d)", tc.files);
    ok(strstr(tc.rule, "fortunes 2 files") && strstr(tc.rule, "top 10000 train types + <unk>"),
       "fortunes: the rule (%s)", tc.rule);
    ok(strcmp(split_text(&tc, TEXT_TRAIN, buf, sizeof buf),
              "w0 common <eos> w1 common common <eos> w2 <eos> w3 <eos> w4 <eos> w5 <eos> w6 <eos> w7 <eos> "
              "w10 <eos> w11 <eos>") == 0, "fortunes: train = entries 0-7, 10, 11 across files (%s)", buf);
    ok(strcmp(split_text(&tc, TEXT_VALID, buf, sizeof buf), "<unk> <eos>") == 0 && tc.oov[TEXT_VALID] == 1,
       "fortunes: valid = entry 8 (w8, unseen in train: <unk>)");
    ok(strcmp(split_text(&tc, TEXT_TEST, buf, sizeof buf), "<unk> <eos>") == 0 && tc.oov[TEXT_TEST] == 1,
       "fortunes: test = entry 9");
    ok(tc.entries[0] == 10 && tc.entries[1] == 1 && tc.entries[2] == 1,
       "fortunes: entries 10/1/1, the empty ones not counted (got %zu/%zu/%zu)", tc.entries[0], tc.entries[1],
       tc.entries[2]);
    ok(tc.vocab == 13 && strcmp(vocab_text(&tc, buf, sizeof buf),
                                "<eos> common w0 w1 w2 w3 w4 w5 w6 w7 w10 w11 <unk>") == 0,
       "fortunes: vocabulary by frequency, ties by first appearance, <unk> last (%s)", buf);
    ok(tc.eos == 0 && tc.unk == 12 && tc.oov[TEXT_TRAIN] == 0, "fortunes: eos 0, unk 12, no train oov");
    ok(text_word_id(&tc, "skipme") == -1 && text_word_id(&tc, "w8") == -1,
       "fortunes: Zeta not read, w8 not in vocab");
    text_free(&tc);

    rc = load(spec, 3, 0, &tc, err, sizeof err);
    ok(rc == 0 && tc.vocab == 4 && strcmp(vocab_text(&tc, buf, sizeof buf), "<eos> common w0 <unk>") == 0 &&
       tc.unk == 3, "fortunes max_vocab 3: the 3 most frequent + <unk> (%s)", buf);
    ok(tc.oov[TEXT_TRAIN] == 9 && tc.oov[TEXT_VALID] == 1 && tc.oov[TEXT_TEST] == 1 &&
       strstr(tc.rule, "top 3 train types"), "fortunes max_vocab 3: oov 9/1/1 (got %zu/%zu/%zu)", tc.oov[0],
       tc.oov[1], tc.oov[2]);
    static const char mapped[] = "w0 common <eos> <unk> common common <eos> <unk> <eos> <unk> <eos>";
    ok(strncmp(split_text(&tc, TEXT_TRAIN, buf, sizeof buf), mapped, sizeof mapped - 1) == 0,
       "fortunes max_vocab 3: train tokens mapped (%s)", buf);
    text_free(&tc);
    rc = load(spec, 1, 0, &tc, err, sizeof err);
    ok(rc == 0 && tc.vocab == 2 && tc.eos == 0 && tc.unk == 1 && tc.oov[TEXT_TRAIN] == 13,
       "fortunes max_vocab 1: <eos> and <unk>");
    text_free(&tc);

    /* terminal effects, CRLF files, UTF-8 */
    make_dir(dir, sizeof dir, root, "f_effects");
    PUT(dir, "db", "_\bI said ____\b\b\b\bonly\a\athis.\r\n%\r\n"
                   "Look out!\a\a\a\n%\n"
                   "\x1B[1mBold\x1B[0m\n%\n"
                   "\bstart caf\xC3\xA9\b\xC3\xA8s\n%\n"
                   "e\n%\nf\n%\ng\n%\nh entry\n%\n"
                   "valid entry\n%\n"
                   "test entry\n%\n"
                   "more\n");
    PUT(dir, "db.dat", "");
    snprintf(spec, sizeof spec, "fortunes:%s", dir);
    rc = load(spec, 0, 0, &tc, err, sizeof err);
    ok(rc == 0 && strcmp(split_text(&tc, TEXT_TRAIN, buf, sizeof buf),
                         "i said only this . <eos> look out ! <eos> [ 1mbold [ 0m <eos> start caf\xC3\xA8s <eos> "
                         "e <eos> f <eos> g <eos> h entry <eos> more <eos>") == 0,
       "fortunes: overstrike removed, BEL/ESC/CR become blanks, %%\\r\\n separates (%s)", rc ? err : buf);
    ok(rc == 0 && strcmp(split_text(&tc, TEXT_VALID, buf, sizeof buf), "<unk> entry <eos>") == 0 &&
       strcmp(split_text(&tc, TEXT_TEST, buf, sizeof buf), "<unk> entry <eos>") == 0,
       "fortunes: entries 8 and 9 in valid and test");
    text_free(&tc);

    /* errors */
    make_dir(dir, sizeof dir, root, "f_nul");
    PUT(dir, "a", "one\n%\ntwo\n%\nthree\n");
    PUT(dir, "a.dat", "");
    PUT(dir, "bad", "ok\n%\nfine\nbad\0byte\n");
    PUT(dir, "bad.dat", "");
    snprintf(spec, sizeof spec, "fortunes:%s", dir);
    snprintf(path, sizeof path, "%s/bad:4:", dir);
    expect_fail("fortunes NUL byte", spec, 0, 0, path, "NUL byte");
    PUT(dir, "bad", "ok\n%\n\xE2\x82\n");
    snprintf(path, sizeof path, "%s/bad:3:", dir);
    expect_fail("fortunes invalid UTF-8", spec, 0, 0, path, "invalid UTF-8");
    PUT(dir, "bad", "ok\n");
    expect_fail("fortunes with 4 entries", spec, 0, 0, dir, "empty valid split");

    make_dir(dir, sizeof dir, root, "f_none");
    PUT(dir, "a", "one\n");
    PUT(dir, "b.dat", "");
    snprintf(target, sizeof target, "%s/a", dir);
    snprintf(path, sizeof path, "%s/b", dir);
    if (symlink(target, path) != 0) perror("symlink");   /* b.dat beside a symlink b */
    snprintf(spec, sizeof spec, "fortunes:%s", dir);
    expect_fail("fortunes directory without a database", spec, 0, 0, dir, "no fortune database");
    snprintf(spec, sizeof spec, "fortunes:%s/nonexistent", root);
    expect_fail("fortunes missing directory", spec, 0, 0, "nonexistent", "cannot open directory");
}

/* ---- specs, hashes ---- */

static void test_specs(void)
{
    expect_fail("unknown spec", "wiki:dir", 0, 0, "'wiki:dir'", "ptb:DIR or fortunes[:DIR]");
    expect_fail("bare ptb", "ptb", 0, 0, "unknown corpus spec 'ptb'", NULL);
    expect_fail("ptb without a directory", "ptb:", 0, 0, "missing directory", NULL);
    expect_fail("fortunes without a directory", "fortunes:", 0, 0, "missing directory", NULL);
    expect_fail("NULL spec", NULL, 0, 0, "no corpus spec", NULL);
    char err[64];
    ok(text_load("ptb:x", NULL, NULL, err, sizeof err) == -1, "text_load with no corpus fails");
}

static void test_hash(void)
{
    char *const a[] = {"a", "b"}, *const b[] = {"a", "b"}, *const c[] = {"a", "c"}, *const d[] = {"ab"},
                *const e[] = {"b", "a"};
    ok(text_vocab_hash(a, 2) == 0x78ed6781f136a14eull, "text_vocab_hash {a, b} = FNV-1a 64 of \"a\\nb\\n\"");
    ok(text_vocab_hash(a, 0) == 0xcbf29ce484222325ull, "text_vocab_hash of no words is the FNV offset basis");
    ok(text_vocab_hash(a, 2) == text_vocab_hash(b, 2), "text_vocab_hash: equal lists, equal hashes");
    ok(text_vocab_hash(a, 2) != text_vocab_hash(c, 2), "text_vocab_hash: one word changed, another hash");
    ok(text_vocab_hash(a, 2) != text_vocab_hash(d, 1), "text_vocab_hash: {a, b} differs from {ab}");
    ok(text_vocab_hash(a, 2) != text_vocab_hash(e, 2), "text_vocab_hash: the order counts");
    ok(text_vocab_hash(a, 1) != text_vocab_hash(a, 2), "text_vocab_hash: a word more, another hash");
}

/* ---- the installed corpus ---- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void test_real_fortunes(void)
{
    struct stat st;
    if (stat(FORTUNES_DIR, &st) != 0) {
        tap_state()->run++;
        printf("ok %d # SKIP %s absent (Debian package fortunes)\n", tap_state()->run, FORTUNES_DIR);
        return;
    }
    TextCorpus tc;
    char err[8192] = "";
    double t0 = now();
    int rc = load("fortunes", 10000, 0, &tc, err, sizeof err);
    double dt = now() - t0;
    if (!ok(rc == 0, "fortunes: the installed corpus loads")) { diag("%s", err); return; }
    size_t total = tc.len[0] + tc.len[1] + tc.len[2];
    diag("fortunes: %d files, %zu/%zu/%zu entries, %zu/%zu/%zu tokens (train/valid/test), vocab %d, "
         "load %.3f s", tc.files, tc.entries[0], tc.entries[1], tc.entries[2], tc.len[0], tc.len[1], tc.len[2],
         tc.vocab, dt);
    diag("fortunes: OOV rate valid %.2f%%, test %.2f%% (train %.2f%%)",
         100.0 * (double)tc.oov[1] / (double)tc.len[1], 100.0 * (double)tc.oov[2] / (double)tc.len[2],
         100.0 * (double)tc.oov[0] / (double)tc.len[0]);
    diag("fortunes: %s", tc.rule);
    ok(tc.vocab == 10001 && tc.unk == 10000 && strcmp(tc.words[10000], "<unk>") == 0,
       "fortunes: vocab 10000 + <unk> (got %d)", tc.vocab);
    /* "." "," and "the" outnumber the entries: <eos> is an ordinary type, ranked by its count */
    ok(tc.eos >= 0 && tc.eos < 10 && strcmp(tc.words[tc.eos], "<eos>") == 0,
       "fortunes: <eos> among the 10 most frequent types (id %d)", tc.eos);
    {
        size_t *count = calloc((size_t)tc.vocab, sizeof *count), *first = calloc((size_t)tc.vocab, sizeof *first);
        for (size_t i = tc.len[0]; i-- > 0;) {
            count[tc.ids[0][i]]++;
            first[tc.ids[0][i]] = i;
        }
        int sorted = count[tc.unk] == tc.oov[0];
        for (int i = 0; i + 2 < tc.vocab; i++)
            if (count[i] < count[i + 1] || (count[i] == count[i + 1] && first[i] > first[i + 1])) sorted = 0;
        ok(sorted && count[tc.eos] == tc.entries[0], "fortunes: ids by train frequency, ties by first appearance, "
           "<eos> count = train entries (%zu)", count[tc.eos]);
        free(count);
        free(first);
    }
    ok(tc.len[0] > 0 && tc.len[1] > 0 && tc.len[2] > 0, "fortunes: every split non-empty");
    double fv = (double)tc.len[1] / (double)total, ft = (double)tc.len[2] / (double)total;
    ok(fv > 0.05 && fv < 0.15 && ft > 0.05 && ft < 0.15, "fortunes: valid %.1f%%, test %.1f%% of the tokens",
       100 * fv, 100 * ft);
    size_t ne = tc.entries[0] + tc.entries[1] + tc.entries[2];
    ok(tc.entries[1] == (ne + 1) / 10 && tc.entries[2] == ne / 10,
       "fortunes: entry j%%10==8 in valid, j%%10==9 in test (%zu entries)", ne);
    size_t eos = 0;
    for (int s = 0; s < TEXT_NSPLITS; s++)
        for (size_t i = 0; i < tc.len[s]; i++) eos += tc.ids[s][i] == tc.eos;
    ok(eos == ne, "fortunes: one <eos> per entry (%zu)", eos);
    TextCorpus again;
    rc = load("fortunes:" FORTUNES_DIR "/", 10000, 0, &again, err, sizeof err);
    ok(rc == 0 && text_vocab_hash(again.words, again.vocab) == text_vocab_hash(tc.words, tc.vocab) &&
       again.len[0] == tc.len[0] && memcmp(again.ids[0], tc.ids[0], tc.len[0] * sizeof *tc.ids[0]) == 0,
       "fortunes: a second load gives the same vocabulary and ids");
    text_free(&again);
    text_free(&tc);
}

int main(void)
{
    plan_no_plan();
    char root[] = "/tmp/mta_t_text_XXXXXX";
    if (!mkdtemp(root)) { perror("mkdtemp"); return 2; }
    test_ptb(root);
    test_tokenize();
    test_clean();
    test_fortunes(root);
    test_specs();
    test_hash();
    test_real_fortunes();
    char out[256];
    ok(run_cmd(out, sizeof out, "rm -rf '%s'", root) == 0, "temporary directory removed");
    return done_testing();
}
