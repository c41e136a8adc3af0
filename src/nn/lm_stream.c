/* lm_stream.c — batchify, chunks and evaluation over a token stream (lm_stream.h). */
#include "nn/lm_stream.h"

#include <stdlib.h>
#include <string.h>

#include "base/check.h"

void lm_batchify(const int32_t *ids, size_t n, int B, LmBatches *out)
{
    CHECK(B >= 1, "batch %d", B);
    size_t T = n / (size_t)B;
    CHECK(T <= (size_t)1 << 30, "stream too long");
    out->T = (int)T; out->B = B;
    out->m = xmalloc((T > 0 ? T * (size_t)B : 1) * sizeof *out->m);
    for (int j = 0; j < B; j++)
        for (size_t t = 0; t < T; t++) out->m[t * B + j] = ids[(size_t)j * T + t];
}

void lm_batches_free(LmBatches *b)
{
    if (!b) return;
    free(b->m);
    b->m = NULL;
}

int lm_get_batch(const LmBatches *b, int i, int bptt, int32_t *in, int32_t *tg)
{
    int sl = bptt < b->T - 1 - i ? bptt : b->T - 1 - i;
    if (sl <= 0) return 0;
    memcpy(in, b->m + (size_t)i * b->B, (size_t)sl * b->B * sizeof *in);
    memcpy(tg, b->m + (size_t)(i + 1) * b->B, (size_t)sl * b->B * sizeof *tg);
    return sl;
}

double lm_evaluate(const LmNet *m, const float *weights, const LmBatches *b, int bptt, int zero_state,
                   const LmTap *tap, struct ThreadPool *pool)
{
    CHECK(b->T >= 2, "an evaluation stream of %d rows (need 2)", b->T);
    LmPass *p = lm_pass_new(m, bptt, b->B, 0, pool);
    LmState st;
    lm_state_init(&st, m, b->B);
    st.valid = zero_state;
    int32_t *in = xmalloc(sizeof *in * (size_t)bptt * b->B), *tg = xmalloc(sizeof *tg * (size_t)bptt * b->B);
    double total = 0.0;
    for (int i = 0; i < b->T - 1; i += bptt) {
        int sl = lm_get_batch(b, i, bptt, in, tg);
        lm_forward(m, p, weights, in, sl, b->B, &st, tap, NULL);
        total += sl * lm_loss(p, tg, sl, b->B, 0);
    }
    free(in); free(tg);
    lm_state_free(&st);
    lm_pass_free(p);
    return total / (b->T - 1);
}

