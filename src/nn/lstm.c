/* lstm.c — one LSTM layer, forward and backward through time (see lstm.h). */
#include "nn/lstm.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static inline float sigmoidf(float a) { return 1.0f / (1.0f + expf(-a)); }

size_t lstm_cache_floats(int T, int B, int H) { return (size_t)T * B * 5 * H; }

size_t lstm_backward_work_floats(int T, int B, int H) { return (size_t)T * B * 4 * H + 2 * (size_t)B * H; }

void lstm_forward(const LstmWeights *w, int T, int B, const float *x, const float *h0, const float *c0,
                  float *y, float *hT, float *cT, float *cache) {
    const int In = w->in, H = w->hidden, G = 4 * H;
    float *gates = cache, *cs = cache + (size_t)T * B * G;
    const size_t rows = (size_t)T * B;
    /* the input projection of every step at once, then both biases */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, G, In, 1.0f, x, In, w->w_ih, In, 0.0f,
                gates, G);
    for (size_t r = 0; r < rows; r++) {
        float *a = gates + r * G;
        for (int j = 0; j < G; j++) a[j] += w->b_ih[j] + w->b_hh[j];
    }
    for (int t = 0; t < T; t++) {
        float *a = gates + (size_t)t * B * G;
        const float *hp = t > 0 ? y + (size_t)(t - 1) * B * H : h0;
        const float *cp = t > 0 ? cs + (size_t)(t - 1) * B * H : c0;
        if (hp) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, G, H, 1.0f, hp, H, w->w_hh, H, 1.0f, a, G);
        float *ct = cs + (size_t)t * B * H, *ht = y + (size_t)t * B * H;
        for (int b = 0; b < B; b++) {
            float *ab = a + (size_t)b * G;
            for (int j = 0; j < H; j++) {
                float gi = sigmoidf(ab[j]), gf = sigmoidf(ab[H + j]);
                float gg = tanhf(ab[2 * H + j]), go = sigmoidf(ab[3 * H + j]);
                float c = gi * gg;
                if (cp) c += gf * cp[(size_t)b * H + j];
                ab[j] = gi; ab[H + j] = gf; ab[2 * H + j] = gg; ab[3 * H + j] = go;
                ct[(size_t)b * H + j] = c;
                ht[(size_t)b * H + j] = go * tanhf(c);
            }
        }
    }
    const size_t last = (size_t)(T - 1) * B * H, bh = (size_t)B * H;
    if (T > 0) {
        if (hT) memmove(hT, y + last, bh * sizeof *hT);
        if (cT) memmove(cT, cs + last, bh * sizeof *cT);
    } else {
        if (hT) { if (h0) memmove(hT, h0, bh * sizeof *hT); else memset(hT, 0, bh * sizeof *hT); }
        if (cT) { if (c0) memmove(cT, c0, bh * sizeof *cT); else memset(cT, 0, bh * sizeof *cT); }
    }
}

void lstm_backward(const LstmWeights *w, int T, int B, const float *x, const float *h0, const float *c0,
                   const float *y, const float *cache, const float *dy, const float *dhT, const float *dcT,
                   float *dx, float *dh0, float *dc0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
                   float *work) {
    const int In = w->in, H = w->hidden, G = 4 * H;
    const size_t bh = (size_t)B * H, rows = (size_t)T * B;
    const float *gates = cache, *cs = cache + rows * G;
    float *dg = work, *dh = work + rows * G, *dc = dh + bh;
    if (dhT) memcpy(dh, dhT, bh * sizeof *dh); else memset(dh, 0, bh * sizeof *dh);
    if (dcT) memcpy(dc, dcT, bh * sizeof *dc); else memset(dc, 0, bh * sizeof *dc);
    for (int t = T - 1; t >= 0; t--) {
        const float *a = gates + (size_t)t * B * G, *ct = cs + (size_t)t * bh;
        const float *cp = t > 0 ? cs + (size_t)(t - 1) * bh : c0;
        const float *dyt = dy ? dy + (size_t)t * bh : NULL;
        float *d = dg + (size_t)t * B * G;
        for (int b = 0; b < B; b++) {
            const float *ab = a + (size_t)b * G;
            float *db = d + (size_t)b * G;
            for (int j = 0; j < H; j++) {
                size_t k = (size_t)b * H + j;
                float gi = ab[j], gf = ab[H + j], gg = ab[2 * H + j], go = ab[3 * H + j];
                float tc = tanhf(ct[k]);
                float dht = dh[k] + (dyt ? dyt[k] : 0.0f);
                float dct = dc[k] + dht * go * (1.0f - tc * tc);
                float cprev = cp ? cp[k] : 0.0f;
                db[j] = dct * gg * gi * (1.0f - gi);
                db[H + j] = dct * cprev * gf * (1.0f - gf);
                db[2 * H + j] = dct * gi * (1.0f - gg * gg);
                db[3 * H + j] = dht * tc * go * (1.0f - go);
                dc[k] = dct * gf;
            }
        }
        /* dh_{t-1} = dgates_t W_hh */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, G, 1.0f, d, G, w->w_hh, H, 0.0f, dh, H);
    }
    if (dh0) memcpy(dh0, dh, bh * sizeof *dh0);
    if (dc0) memcpy(dc0, dc, bh * sizeof *dc0);
    if (T == 0) return;
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, In, (int)rows, 1.0f, dg, G, x, In, 1.0f, dw_ih, In);
    if (T > 1)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, H, (int)((size_t)(T - 1) * B), 1.0f,
                    dg + (size_t)B * G, G, y, H, 1.0f, dw_hh, H);
    if (h0) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, G, H, B, 1.0f, dg, G, h0, H, 1.0f, dw_hh, H);
    for (int j = 0; j < G; j++) {
        double s = 0.0;
        for (size_t r = 0; r < rows; r++) s += dg[r * G + j];
        if (db_ih) db_ih[j] += (float)s;
        if (db_hh) db_hh[j] += (float)s;
    }
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, In, G, 1.0f, dg, G, w->w_ih, In, 0.0f, dx, In);
}
