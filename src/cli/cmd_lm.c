/* cmd_lm.c — the language-model commands (issue 14):
 *   mta lm-train MODEL --data SPEC --out CKPT [sizes, recipe]   train (train/lm_train.h)
 *   mta ptq LM_CKPT --data SPEC --out TSV [--configs LIST]      the 43-configuration sweep
 *                                                               (quant/lm_quant.h); `mta ptq`
 *                                                               hands a language-model
 *                                                               checkpoint to cmd_lm_ptq
 *   mta stats LM_MODEL --vocab V --embed E --hidden H           MACs and parameters per layer
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/check.h"
#include "base/env.h"
#include "base/fileio.h"
#include "base/parallel.h"
#include "base/rng.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "io/text.h"
#include "nn/lm.h"
#include "nn/lm_checkpoint.h"
#include "nn/modelfile.h"
#include "quant/lm_quant.h"
#include "train/lm_train.h"

#define LM_FLAG_DATA {"data", "SPEC", "fortunes", "corpus: fortunes[:DIR] | ptb:DIR (io/text.h)", 0}

static void load_corpus(const CliCommand *c, const CliArgs *a, int max_vocab, TextCorpus *tc)
{
    const char *spec = cli_get(a, "data");
    TextOptions opt = { .max_vocab = max_vocab, .strict = cli_get(a, "strict-vocab") != NULL };
    char err[4600];
    if (text_load(spec ? spec : "fortunes", &opt, tc, err, sizeof err)) cli_fail(c, "--data: %s", err);
}

static char *join_words(const TextCorpus *tc)
{
    size_t n = 1;
    for (int i = 0; i < tc->vocab; i++) n += strlen(tc->words[i]) + 1;
    char *s = xmalloc(n), *p = s;
    for (int i = 0; i < tc->vocab; i++) {
        size_t l = strlen(tc->words[i]);
        memcpy(p, tc->words[i], l);
        p += l;
        *p++ = '\n';
    }
    *p = 0;
    return s;
}

/* The language model named by a.pos[0] (a file or experiments/models/NAME.model), built with
 * the sizes of the flags --vocab (unless vocab > 0: the corpus's), --embed, --hidden and
 * --dropout, def giving their defaults; dies with the builder's message. */
static LmNet *open_model(const CliCommand *c, const CliArgs *a, int vocab, const LmSizes *def)
{
    char path[4096], name[256], err[4600];
    if (model_resolve(a->pos[0], path, sizeof path, name, sizeof name, err, sizeof err)) cli_fail(c, "%s", err);
    char *text = read_text_file(path, err, sizeof err);
    if (!text) cli_fail(c, "%s", err);
    if (!lm_text_is_lm(text)) cli_fail(c, "%s is not a language model (its first line is not `tokens`); use mta %s", path,
                                       !strcmp(c->name, "lm-train") ? "train" : c->name);
    LmSizes sz = { vocab > 0 ? vocab : (int)cli_long(a, "vocab", def->vocab, 2, 1 << 24),
                   (int)cli_long(a, "embed", def->embed, 1, 1 << 16), (int)cli_long(a, "hidden", def->hidden, 1, 1 << 16),
                   cli_double(a, "dropout", def->dropout, 0, 0.99) };
    LmNet *m = lm_build(path, name, text, &sz, err, sizeof err);
    free(text);
    if (!m) cli_fail(c, "%s", err);
    return m;
}

/* ---------------------------------------------------------------- lm-train */

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

/* Perplexity on split k of the add-one unigram model of the training counts. */
static double unigram_ppl(const TextCorpus *tc, int k, size_t ntrain)
{
    double *cnt = xcalloc((size_t)tc->vocab, sizeof *cnt);
    for (size_t i = 0; i < ntrain; i++) cnt[tc->ids[TEXT_TRAIN][i]] += 1;
    double s = 0;
    for (size_t i = 0; i < tc->len[k]; i++) s += log((cnt[tc->ids[k][i]] + 1) / ((double)ntrain + tc->vocab));
    free(cnt);
    return exp(-s / (double)tc->len[k]);
}

static void write_summary(const char *path, const TextCorpus *tc, const LmNet *m, const LmTrainConfig *tcfg,
                          const LmCkptInfo *info, double secs)
{
    AtomicFile af;
    FILE *f = atomic_open_or_die(&af, path);
    static const char *sp[3] = { "train", "valid", "test" };
    fprintf(f, "key\tvalue\n");
    fprintf(f, "corpus\t%s\ncorpus_dir\t%s\ncorpus_rule\t%s\nfiles\t%d\nvocab\t%d\n", tc->kind, tc->dir, tc->rule, tc->files,
            tc->vocab);
    for (int k = 0; k < 3; k++)
        fprintf(f, "%s_tokens\t%zu\n%s_entries\t%zu\n%s_oov_pct\t%.3f\n", sp[k], tc->len[k], sp[k], tc->entries[k], sp[k],
                tc->len[k] ? 100.0 * tc->oov[k] / tc->len[k] : 0.0);
    size_t params = 0;
    for (int i = 0; i < m->n_params; i++) params += m->params[i].numel;
    fprintf(f, "embed\t%d\nhidden\t%d\ndropout\t%g\nparams\t%zu\n", m->sizes.embed, m->sizes.hidden, m->sizes.dropout, params);
    double macs = 0;
    for (int i = 0; i < m->n_nodes; i++) macs += lm_node_macs(m, i);
    fprintf(f, "macs_per_token\t%.0f\n", macs);
    fprintf(f, "epochs\t%d\nbatch\t%d\nbptt\t%d\nlr\t%g\nclip\t%g\ntrain_tokens_used\t%zu\nseed\t%llu\nthreads\t%d\n",
            tcfg->epochs, tcfg->batch, tcfg->bptt, tcfg->lr, tcfg->clip, info->tokens[0], (unsigned long long)tcfg->seed,
            tcfg->threads);
    fprintf(f, "best_epoch\t%d\nbest_lr\t%g\nval_ppl\t%.3f\ntest_ppl\t%.3f\n", info->epoch, info->lr, info->val_ppl,
            info->test_ppl);
    fprintf(f, "unigram_valid_ppl\t%.3f\nunigram_test_ppl\t%.3f\n", unigram_ppl(tc, TEXT_VALID, info->tokens[0]),
            unigram_ppl(tc, TEXT_TEST, info->tokens[0]));
    fprintf(f, "seconds\t%.1f\ntokens_per_second\t%.0f\n", secs, secs > 0 ? (double)info->tokens[0] * info->epoch / secs : 0);
    atomic_commit_or_die(&af);
}

static const CliFlagSpec lm_train_flags[] = {
    LM_FLAG_DATA,
    {"out", "CKPT", NULL, "the best checkpoint (by validation perplexity)", 1},
    {"log", "TSV", "none", "per-epoch table: lr, train and validation loss/perplexity, gradient norm, seconds", 0},
    {"vocab", "N", "10000", "corpus vocabulary: the N most frequent training words (+ <unk>; fortunes)", 0},
    {"strict-vocab", NULL, "off", "ptb: a valid/test word unseen in training is an error (else <unk>)", 0},
    {"embed", "E", "700", "embedding size (the model file's `embed`)", 0},
    {"hidden", "H", "700", "LSTM hidden size (the model file's `hidden`)", 0},
    {"dropout", "P", "0.65", "dropout probability (the model file's `dropout`)", 0},
    {"epochs", "N", "10", "at most N epochs", 0},
    {"lr", "LR", "22", "initial learning rate of the hand SGD", 0},
    {"clip", "C", "0.25", "global gradient-norm clipping", 0},
    {"bptt", "N", "35", "truncated-BPTT chunk length", 0},
    {"batch", "B", "20", "training batch (columns of the batchified stream)", 0},
    {"eval-batch", "B", "10", "validation/test batch", 0},
    {"train-tokens", "N", "0 (all)", "use the first N training tokens", 0},
    {"summary", "TSV", "none", "key/value table: corpus statistics, model size, time, perplexities, unigram baseline", 0},
    {"seed", "S", "1111", "seed of the initialization and dropout (the reference's 1111)", 0},
    CLI_FLAG_THREADS,
    {"quiet", NULL, "off", "no per-epoch lines on stderr", 0},
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_lm_train_info = {"lm-train", "MODEL", 1, 1,
                                      "train a word-level LSTM language model (the reference's PTB_LSTM recipe)",
                                      lm_train_flags};

int cmd_lm_train(int argc, char **argv)
{
    CliArgs a;
    cli_parse(&cmd_lm_train_info, argc, argv, 2, &a);
    const CliCommand *c = &cmd_lm_train_info;
    TextCorpus tc;
    load_corpus(c, &a, (int)cli_long(&a, "vocab", 10000, 2, 1 << 20), &tc);
    LmNet *m = open_model(c, &a, tc.vocab, &(LmSizes){ 0, 700, 700, 0.65 });
    LmTrainConfig tcfg = {
        .epochs = (int)cli_long(&a, "epochs", 10, 1, 100000), .batch = (int)cli_long(&a, "batch", 20, 1, 100000),
        .eval_batch = (int)cli_long(&a, "eval-batch", 10, 1, 100000), .bptt = (int)cli_long(&a, "bptt", 35, 1, 100000),
        .lr = cli_double(&a, "lr", 22, 0, 1e6), .clip = cli_double(&a, "clip", 0.25, 1e-12, 1e12), .lr_decay = 2.5,
        .lr_min = 1e-4, .train_limit = cli_long(&a, "train-tokens", 0, 0, 1L << 40), .seed = cli_u64(&a, "seed", 1111),
        .out = cli_get(&a, "out"), .log = cli_get(&a, "log"), .quiet = cli_get(&a, "quiet") != NULL,
        .threads = cli_threads(&a) };
    ThreadPool *pool = pool_new(tcfg.threads);
    Rng rng;
    rng_seed(&rng, tcfg.seed);
    lm_init(m, &rng);
    LmCkptInfo info = { .seed = tcfg.seed, .threads = tcfg.threads };
    snprintf(info.corpus, sizeof info.corpus, "%s", tc.kind);
    snprintf(info.rule, sizeof info.rule, "%s", tc.rule);
    info.vocab_hash = text_vocab_hash(tc.words, tc.vocab);
    info.vocab_words = join_words(&tc);
    double t0 = now_sec();
    lm_train_run(m, tc.ids[TEXT_TRAIN], tc.len[TEXT_TRAIN], tc.ids[TEXT_VALID], tc.len[TEXT_VALID], tc.ids[TEXT_TEST],
                 tc.len[TEXT_TEST], &tcfg, &info, pool);
    if (cli_get(&a, "summary")) write_summary(cli_get(&a, "summary"), &tc, m, &tcfg, &info, now_sec() - t0);
    printf("%s\tepoch %d\tvalid ppl %.3f\ttest ppl %.3f\n", tcfg.out, info.epoch, info.val_ppl, info.test_ppl);
    free(info.vocab_words);
    pool_free(pool);
    lm_free(m);
    text_free(&tc);
    return 0;
}

/* ---------------------------------------------------------------- ptq */

static const CliFlagSpec lm_ptq_flags[] = {
    LM_FLAG_DATA,
    {"out", "TSV", NULL, "the results table, one row per configuration", 1},
    {"configs", "LIST|all", "all", "configurations, e.g. INT_8,POT_4,FLOAT_8_E4 (run in the canonical order)", 0},
    {"strict-vocab", NULL, "off", "ptb: a valid/test word unseen in training is an error (else <unk>)", 0},
    {"eval-batch", "B", "10", "batch of calibration (validation split) and evaluation (test split)", 0},
    {"bptt", "N", "35", "chunk length", 0},
    CLI_FLAG_THREADS,
    {"quiet", NULL, "off", "no per-configuration lines on stderr", 0},
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_lm_ptq_info = {"ptq", "LM_CKPT", 1, 1,
                                    "post-training fake quantization of a language model in every configuration: "
                                    "perplexity ratio and JS tables",
                                    lm_ptq_flags};

int cmd_lm_ptq(int argc, char **argv)
{
    CliArgs a;
    const CliCommand *c = &cmd_lm_ptq_info;
    cli_parse(c, argc, argv, 2, &a);
    char err[4600];
    LmCkptInfo info;
    LmNet *m = lm_ckpt_load(a.pos[0], &info, err, sizeof err);
    if (!m) cli_fail(c, "%s", err);
    TextCorpus tc;
    /* the checkpoint's vocabulary size fixes the corpus's (fortunes: top vocab-1 + <unk>) */
    load_corpus(c, &a, m->sizes.vocab - 1, &tc);
    uint64_t h = text_vocab_hash(tc.words, tc.vocab);
    if (tc.vocab != m->sizes.vocab || (info.vocab_hash && h != info.vocab_hash))
        cli_fail(c, "--data %s: its vocabulary (%d words, hash %016" PRIx64 ") is not the one %s was trained on "
                 "(%d words, hash %016" PRIx64 ")", cli_get(&a, "data") ? cli_get(&a, "data") : "fortunes", tc.vocab, h,
                 a.pos[0], m->sizes.vocab, info.vocab_hash);
    const char *cfg = cli_get(&a, "configs");
    LmSweepConfig sc = { .eval_batch = (int)cli_long(&a, "eval-batch", 10, 1, 100000),
                         .bptt = (int)cli_long(&a, "bptt", 35, 1, 100000), .tie = QUANT_TIE_TOWARD_ZERO,
                         .configs = cfg && strcmp(cfg, "all") ? cfg : NULL, .quiet = cli_get(&a, "quiet") != NULL };
    ThreadPool *pool = pool_new(cli_threads(&a));
    lm_sweep(m, tc.ids[TEXT_VALID], tc.len[TEXT_VALID], tc.ids[TEXT_TEST], tc.len[TEXT_TEST], &sc, cli_get(&a, "out"), pool);
    pool_free(pool);
    lm_ckpt_info_free(&info);
    lm_free(m);
    text_free(&tc);
    return 0;
}

/* ---------------------------------------------------------------- stats */

static const CliFlagSpec lm_stats_flags[] = {
    {"vocab", "V", "10000", "vocabulary size (the model file's `vocab`)", 0},
    {"embed", "E", "700", "embedding size", 0},
    {"hidden", "H", "700", "LSTM hidden size", 0},
    {"dropout", "P", "0.65", "dropout probability", 0},
    {"out", "TSV", "stdout", "the table", 0},
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_lm_stats_info = {"stats", "LM_MODEL|LM_CKPT", 1, 1,
                                      "MACs per token and parameters of each layer of a language model (ptflops counting)",
                                      lm_stats_flags};

int cmd_lm_stats(int argc, char **argv)
{
    CliArgs a;
    const CliCommand *c = &cmd_lm_stats_info;
    cli_parse(c, argc, argv, 2, &a);
    char err[4600];
    LmNet *m = NULL;
    if (lm_ckpt_is_lm(a.pos[0])) {
        m = lm_ckpt_load(a.pos[0], NULL, err, sizeof err);
        if (!m) cli_fail(c, "%s", err);
    } else {
        m = open_model(c, &a, 0, &(LmSizes){ 10000, 700, 700, 0.65 });
    }
    const char *out = cli_get(&a, "out");
    AtomicFile af;
    FILE *f = out ? atomic_open_or_die(&af, out) : stdout;
    fprintf(f, "layer\top\tparams\tmacs_per_token\tparam_pct\tmac_pct\n");
    static const char *ops[] = { "tokens", "embedding", "dropout", "lstm", "linear" };
    double tp = 0, tm = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        const LmNode *n = &m->nodes[i];
        if (n->op == LM_TOKENS) continue;
        double par = 0;
        for (int k = 0; k < m->n_params; k++)
            if (m->params[k].node == i) par += (double)m->params[k].numel;
        if (n->op == LM_LINEAR && n->tied) par += (double)m->params[n->pw].numel;
        if (n->op == LM_EMBEDDING && m->nodes[m->out_node].tied) par = 0;   /* counted at the tied output layer */
        double mp = 0, pp = 0;
        if (n->op == LM_LSTM || n->op == LM_LINEAR) lm_shares(m, i, &mp, &pp);
        fprintf(f, "%s\t%s\t%.0f\t%.0f\t%.3f\t%.3f\n", n->name, ops[n->op], par, lm_node_macs(m, i), pp, mp);
        tp += par;
        tm += lm_node_macs(m, i);
    }
    fprintf(f, "total\t-\t%.0f\t%.0f\t100.000\t100.000\n", tp, tm);
    if (out) atomic_commit_or_die(&af);
    lm_free(m);
    return 0;
}

int cli_first_pos_is_lm(int argc, char **argv, int ckpt)
{
    /* any argument that is not a flag (flag values included: none of them is a language
     * model) decides, so that boolean flags before the positional do not mislead */
    for (int i = 2; i < argc; i++) {
        const char *s = argv[i];
        if (s[0] == '-' && s[1] == '-') continue;
        if (lm_ckpt_is_lm(s)) return 1;
        if (ckpt) continue;
        char path[4096], name[256], err[4600];
        if (model_resolve(s, path, sizeof path, name, sizeof name, err, sizeof err)) continue;
        char *text = read_text_file(path, err, sizeof err);
        int is = text && lm_text_is_lm(text);
        free(text);
        if (is) return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- bench */

static const CliFlagSpec lm_bench_flags[] = {
    {"mode", "train|forward", "train", "training steps (forward, backward, clipping, SGD) or evaluation forwards", 0},
    {"vocab", "V", "10001", "vocabulary size", 0},
    {"embed", "E", "128", "embedding size", 0},
    {"hidden", "H", "128", "LSTM hidden size", 0},
    {"dropout", "P", "0.3", "dropout probability", 0},
    {"batch", "B", "20", "batch (columns of the stream)", 0},
    {"bptt", "N", "35", "chunk length", 0},
    {"seconds", "S", "10", "measure for at least S seconds (after 2 warm-up chunks)", 0},
    CLI_FLAG_THREADS,
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_lm_bench_info = {"bench", "LM_MODEL", 1, 1,
                                      "language-model throughput in tokens/s on random ids (make bench's LSTM row)",
                                      lm_bench_flags};

int cmd_lm_bench(int argc, char **argv)
{
    CliArgs a;
    const CliCommand *c = &cmd_lm_bench_info;
    cli_parse(c, argc, argv, 2, &a);
    LmNet *m = open_model(c, &a, 0, &(LmSizes){ 10001, 128, 128, 0.3 });
    const LmSizes sz = m->sizes;
    const char *name = m->model_name;
    const char *mode = cli_get(&a, "mode") ? cli_get(&a, "mode") : "train";
    int train = !strcmp(mode, "train");
    if (!train && strcmp(mode, "forward")) cli_fail(c, "--mode %s: expected train or forward", mode);
    int B = (int)cli_long(&a, "batch", 20, 1, 100000), T = (int)cli_long(&a, "bptt", 35, 1, 100000);
    double S = cli_double(&a, "seconds", 10, 0, 1e6);
    int threads = cli_threads(&a);
    ThreadPool *pool = pool_new(threads);
    Rng rng;
    rng_seed(&rng, 1);
    lm_init(m, &rng);
    int32_t *ids = xmalloc(sizeof *ids * (size_t)T * B), *tg = xmalloc(sizeof *tg * (size_t)T * B);
    float *grad = xmalloc(m->pnumel * sizeof *grad);
    LmPass *p = lm_pass_new(m, T, B, train, pool);
    LmState st;
    lm_state_init(&st, m, B);
    long chunks = 0;
    double t0 = 0;
    for (long it = 0;; it++) {
        if (it == 2) t0 = now_sec();
        if (it >= 5 && now_sec() - t0 >= S) break;
        for (int k = 0; k < T * B; k++) { ids[k] = (int32_t)rng_below(&rng, (uint32_t)sz.vocab); tg[k] = (int32_t)rng_below(&rng, (uint32_t)sz.vocab); }
        lm_forward(m, p, m->pdata, ids, T, B, &st, NULL, train ? &rng : NULL);
        lm_loss(p, tg, T, B, train);
        if (train) {
            memset(grad, 0, m->pnumel * sizeof *grad);
            lm_backward(m, p, grad);
            lm_clip_grad(grad, m->pnumel, 0.25);
            for (size_t k = 0; k < m->pnumel; k++) m->pdata[k] -= 1.0f * grad[k];
        }
        if (it >= 2) chunks++;
    }
    double secs = now_sec() - t0;
    printf("tool\tmode\tmodel\ttokens_per_s\tthreads\tblas_kernel\n");
    EnvInfo env = env_info(threads);
    char kb[160];
    int kfield = -1;
    for (int k = 0; k < ENV_NFIELDS; k++) if (!strcmp(env_field_names[k], "blas_kernel")) kfield = k;
    printf("mta\t%s\t%s\t%.1f\t%d\t%s\n", mode, name, chunks * (double)T * B / secs, threads,
           kfield >= 0 ? env_field_value(&env, kfield, kb, sizeof kb) : "?");
    lm_state_free(&st);
    lm_pass_free(p);
    free(ids); free(tg); free(grad);
    pool_free(pool);
    lm_free(m);
    return 0;
}
