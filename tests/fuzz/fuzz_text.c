/* fuzz_text.c — the text corpus parsers (src/io/text*.c) on memory buffers, as text_load runs
 * them once the files are read: the input as the ptb training file (the other two fixed), as
 * the ptb valid and test files (strict or not: the first byte's bit 0), as two fortune
 * databases (max_vocab from the first byte's other bits), and through the fortunes cleaner and
 * the tokenizer directly.  A successful load must hold only ids inside its vocabulary. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/text.h"
#include "io/text_impl.h"

static void check(int rc, TextCorpus *tc, const char *err)
{
    static const TextCorpus zero;
    if (rc != 0) {
        if (!err[0] || memcmp(tc, &zero, sizeof zero) != 0) abort();
        return;
    }
    if (tc->vocab <= 0 || !tc->words || tc->eos >= tc->vocab || tc->unk >= tc->vocab) abort();
    for (int i = 0; i < tc->vocab; i++)
        if (!tc->words[i]) abort();
    for (int s = 0; s < TEXT_NSPLITS; s++) {
        if (tc->len[s] == 0 || tc->oov[s] > tc->len[s]) abort();
        for (size_t i = 0; i < tc->len[s]; i++)
            if (tc->ids[s][i] < 0 || tc->ids[s][i] >= tc->vocab) abort();
    }
    text_free(tc);
}

static void count_token(const char *tok, size_t len, void *ctx)
{
    if (len == 0 || !tok) abort();
    *(size_t *)ctx += len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1 << 20)) return 0;
    const char *text = (const char *)data;
    unsigned opts = size ? data[0] : 0;
    TextOptions opt = {.max_vocab = (int)(opts >> 1) % 16, .strict = (int)(opts & 1)};
    TextCorpus tc;
    char err[1024];

    TextFile ptb[TEXT_NSPLITS] = {{"train.txt", text, size}, {"valid.txt", "a b\n", 4}, {"test.txt", "c", 1}};
    err[0] = 0;
    memset(&tc, 0, sizeof tc);
    check(text_ptb_parse(ptb, &opt, &tc, err, sizeof err), &tc, err);

    TextFile held[TEXT_NSPLITS] = {{"train.txt", "a b c\r\n\n", 8}, {"valid.txt", text, size},
                                   {"test.txt", text, size}};
    err[0] = 0;
    memset(&tc, 0, sizeof tc);
    check(text_ptb_parse(held, &opt, &tc, err, sizeof err), &tc, err);

    TextFile dbs[2] = {{"db/a", text, size}, {"db/b", text, size}};
    err[0] = 0;
    memset(&tc, 0, sizeof tc);
    check(text_fortunes_parse(dbs, 2, "db", &opt, &tc, err, sizeof err), &tc, err);

    /* the cleaner (valid UTF-8 only) and the tokenizer (any bytes) */
    size_t total = 0;
    if (text_validate(&dbs[0], TEXT_CHECK_UTF8, err, sizeof err) == 0) {
        char *out = malloc(size + 1);
        size_t m = text_fortune_clean(text, size, out);
        if (m > size) abort();
        text_tokenize(out, m, count_token, &total);
        free(out);
    }
    text_tokenize(text, size, count_token, &total);
    return 0;
}
