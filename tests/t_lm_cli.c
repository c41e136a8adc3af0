/* t_lm_cli.c — the language-model commands end to end on a small generated PTB-layout corpus:
 * mta lm-train (checkpoint, log, summary), mta stats and mta ptq on the checkpoint (the
 * language-model table), the same seed giving the same checkpoint, and clear errors for bad
 * input (a missing corpus file, another vocabulary, an unknown configuration, a CNN model).
 * Uses $MTA (set by `make test`) or build/mta. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

static const char *mta;
static char dir[] = "/tmp/t_lm_cli_XXXXXX";

/* A corpus with structure an LSTM can learn: "the <adj> <noun> <verb> <eos>" sentences. */
static void write_corpus(const char *sub, int lines, unsigned seed, int extra_word)
{
    static const char *adj[] = { "big", "small", "red", "old" }, *noun[] = { "cat", "dog", "car", "tree", "house" },
                      *verb[] = { "runs", "sleeps", "falls", "waits" };
    char d[512];
    snprintf(d, sizeof d, "%s/%s", dir, sub);
    mkdir(d, 0755);
    const char *names[3] = { "ptb.train.txt", "ptb.valid.txt", "ptb.test.txt" };
    int counts[3] = { lines, lines / 5, lines / 5 };
    for (int s = 0; s < 3; s++) {
        char p[600];
        snprintf(p, sizeof p, "%s/%s", d, names[s]);
        FILE *f = fopen(p, "w");
        for (int i = 0; i < counts[s]; i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 8;
            fprintf(f, "the %s %s %s\n", adj[r % 4], noun[(r / 4) % 5], verb[(r / 20) % 4]);
        }
        if (extra_word && s == 0) fprintf(f, "zebra\n");
        fclose(f);
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* value of column col in the row whose first cell is key */
static double cell(const char *path, const char *key, const char *col)
{
    FILE *f = fopen(path, "r");
    if (!f) return NAN;
    char line[4096], hdr[4096];
    if (!fgets(hdr, sizeof hdr, f)) { fclose(f); return NAN; }
    int ci = -1, k = 0;
    for (char *t = strtok(hdr, "\t\n"); t; t = strtok(NULL, "\t\n"), k++)
        if (!strcmp(t, col)) ci = k;
    double v = NAN;
    while (fgets(line, sizeof line, f)) {
        char *cells[64];
        int n = 0;
        for (char *t = strtok(line, "\t\n"); t && n < 64; t = strtok(NULL, "\t\n")) cells[n++] = t;
        if (n > ci && ci >= 0 && !strcmp(cells[0], key)) { v = atof(cells[ci]); break; }
    }
    fclose(f);
    return v;
}

int main(void)
{
    plan_no_plan();
    mta = getenv("MTA") ? getenv("MTA") : "build/mta";
    if (!mkdtemp(dir)) { ok(0, "mkdtemp"); return done_testing(); }
    write_corpus("a", 1500, 7, 0);
    write_corpus("b", 1500, 7, 1);   /* one more training word: another vocabulary */
    char err[8192];
    const char *train = "%s lm-train PTB_LSTM --data ptb:%s/a --embed 12 --hidden 12 --dropout 0 --epochs 8 --lr 20 --batch 4 "
                        "--threads 1 --seed 3 --out %s/%s.safetensors --log %s/%s.log.tsv --summary %s/%s.sum.tsv --quiet";
    int rc = run_cmd(err, sizeof err, train, mta, dir, dir, "m", dir, "m", dir, "m");
    ok(rc == 0, "mta lm-train on a PTB-layout corpus exits 0%s%s", rc ? ": " : "", rc ? err : "");
    char p[600], q[600];
    snprintf(p, sizeof p, "%s/m.sum.tsv", dir);
    double vocab = cell(p, "vocab", "value"), test_ppl = cell(p, "test_ppl", "value"), uni = cell(p, "unigram_test_ppl", "value");
    ok(vocab == 15, "the vocabulary is the 14 training words + <eos> (%g)", vocab);
    ok(test_ppl > 1 && test_ppl < 0.8 * uni, "the model learned: test perplexity %.2f below 0.8 x the unigram's %.2f", test_ppl, uni);
    snprintf(p, sizeof p, "%s/m.log.tsv", dir);
    ok(cell(p, "2", "val_ppl") > 0, "the log has a row per epoch");
    /* the same seed, the same checkpoint */
    rc = run_cmd(err, sizeof err, train, mta, dir, dir, "m2", dir, "m2", dir, "m2");
    snprintf(p, sizeof p, "%s/m.safetensors", dir);
    snprintf(q, sizeof q, "%s/m2.safetensors", dir);
    char cmp[1400];
    snprintf(cmp, sizeof cmp, "cmp -s %s %s", p, q);
    ok(rc == 0 && system(cmp) == 0, "a second run with the same seed writes the same checkpoint byte for byte");

    snprintf(q, sizeof q, "%s/stats.tsv", dir);
    rc = run_cmd(err, sizeof err, "%s stats %s --out %s", mta, p, q);
    ok(rc == 0 && cell(q, "lstm3", "params") == 4 * 12 * 24 + 8 * 12 && cell(q, "fc6", "macs_per_token") == 12 * 15,
       "mta stats on the checkpoint: lstm3 %g parameters, fc6 %g MACs per token", cell(q, "lstm3", "params"),
       cell(q, "fc6", "macs_per_token"));

    snprintf(q, sizeof q, "%s/ptq.tsv", dir);
    /* (a boolean flag before the checkpoint must not hide it from the dispatch) */
    rc = run_cmd(err, sizeof err, "%s ptq --quiet %s --data ptb:%s/a --configs INT_2,INT_16,POT_2,FLOAT_8_E4 --threads 2 --out %s",
                 mta, p, dir, q);
    ok(rc == 0, "mta ptq on a language-model checkpoint exits 0%s%s", rc ? ": " : "", rc ? err : "");
    const char *t = slurp(q);
    ok(t && !strncmp(t, "title\tquant\tbits\tebits\tfull_ppl\tptq_ppl\tppl_ratio\tjs_flops\tjs_param\tseconds\n", 74),
       "the table has the language model's columns");
    double full = cell(q, "INT_16", "full_ppl");
    snprintf(p, sizeof p, "%s/m.sum.tsv", dir);
    ok(fabs(full - cell(p, "test_ppl", "value")) < 1e-3 * full, "full_ppl %.4f is lm-train's test perplexity", full);
    ok(cell(q, "INT_2", "ptq_ppl") == cell(q, "POT_2", "ptq_ppl"), "INT_2 and POT_2 (both {-1, 0, 1}) give the same perplexity");
    ok(fabs(cell(q, "INT_16", "ppl_ratio") - 1) < 2e-3 && cell(q, "INT_2", "ppl_ratio") > cell(q, "INT_16", "ppl_ratio"),
       "INT_16 is within 0.2 %% of full precision (ratio %.5f), INT_2 worse (%.3f)", cell(q, "INT_16", "ppl_ratio"),
       cell(q, "INT_2", "ppl_ratio"));
    ok(cell(q, "INT_2", "js_flops") > cell(q, "INT_16", "js_flops") && cell(q, "INT_16", "js_flops") >= 0,
       "js_flops grows as the grid coarsens");

    /* errors */
    snprintf(p, sizeof p, "%s/m.safetensors", dir);
    rc = run_cmd(err, sizeof err, "%s ptq %s --data ptb:%s/b --out %s/x.tsv", mta, p, dir, dir);
    ok(rc == 2 && strstr(err, "is not the one") && strstr(err, "trained on"), "another corpus vocabulary is refused: %s", err);
    rc = run_cmd(err, sizeof err, "%s ptq %s --data ptb:%s/a --configs INT_99 --out %s/x.tsv", mta, p, dir, dir);
    ok(rc != 0 && strstr(err, "INT_99"), "an unknown configuration is named: %s", err);
    rc = run_cmd(err, sizeof err, "%s lm-train PTB_LSTM --data ptb:%s/nowhere --out %s/x.safetensors", mta, dir, dir);
    ok(rc == 2 && strstr(err, "nowhere"), "a missing corpus directory is named: %s", err);
    rc = run_cmd(err, sizeof err, "%s lm-train AlexNet --data ptb:%s/a --out %s/x.safetensors", mta, dir, dir);
    ok(rc == 2 && strstr(err, "not a language model"), "a CNN model file is refused: %s", err);
    rc = run_cmd(err, sizeof err, "%s lm-train PTB_LSTM --data ptb:%s/a --epochs zero --out %s/x.safetensors", mta, dir, dir);
    ok(rc == 2 && strstr(err, "--epochs"), "a bad flag value names the flag: %s", err);
    snprintf(q, sizeof q, "%s/x.safetensors", dir);
    ok(access(q, F_OK) != 0, "no checkpoint is left behind by a failed run");

    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf %s", dir);
    if (system(rm) != 0) diag("could not remove %s", dir);
    return done_testing();
}
