/* bn.c — batch normalization (see layers.h). */
#include <math.h>
#include <string.h>

#include "nn/layers.h"

void batchnorm_forward_eval(const float *x, float *y, int n, int c, int hw, const float *gamma,
                            const float *beta, const float *mean, const float *var)
{
    for (int ch = 0; ch < c; ch++) {
        float a = gamma[ch] / sqrtf(var[ch] + BN_EPS);
        float s = beta[ch] - mean[ch] * a;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ch) * hw;
            float *yp = y + ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) yp[j] = xp[j] * a + s;
        }
    }
}

void batchnorm_backward_eval(const float *dy, float *dx, int n, int c, int hw, const float *gamma, const float *var)
{
    for (int ch = 0; ch < c; ch++) {
        float a = gamma[ch] / sqrtf(var[ch] + BN_EPS);
        for (int i = 0; i < n; i++) {
            const float *d = dy + ((size_t)i * c + ch) * hw;
            float *o = dx + ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) o[j] = d[j] * a;
        }
    }
}

void batchnorm_forward_train(const float *x, float *y, int n, int c, int hw, const float *gamma,
                             const float *beta, float *run_mean, float *run_var, float momentum,
                             float *mean, float *invstd)
{
    batchnorm_forward_train_range(x, y, n, c, hw, 0, c, gamma, beta, run_mean, run_var, momentum, mean, invstd, 0);
}

/* Sums over one row in 8 interleaved f32 lanes (the loop vectorizes; a single running sum
 * is a chain of dependent adds), added to the binary64 lanes d1, d2 (combined by lanes_total
 * in a fixed order: deterministic).
 *   d1 += sum (a[j] - ca),  d2 += sum (a[j] - ca) * (b[j] - cb)  (b = NULL: b = a, cb = ca) */
typedef float v8f __attribute__((vector_size(32)));

static inline v8f load8(const float *p)
{
    v8f v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void lane_sums(const float *a, float ca, const float *b, float cb, int n, double *d1, double *d2)
{
    v8f l1 = {0}, l2 = {0}, va = {ca, ca, ca, ca, ca, ca, ca, ca}, vb = {cb, cb, cb, cb, cb, cb, cb, cb};
    int j = 0;
    if (!b) { b = a; vb = va; cb = ca; }
    for (; j + 8 <= n; j += 8) {
        v8f u = load8(a + j) - va;
        l1 += u;
        l2 += u * (load8(b + j) - vb);
    }
    for (int l = 0; j < n; j++, l++) {
        float u = a[j] - ca;
        l1[l] += u;
        l2[l] += u * (b[j] - cb);
    }
    for (int l = 0; l < 8; l++) {
        d1[l] += l1[l];
        d2[l] += l2[l];
    }
}

static inline double lanes_total(const double *d)
{
    return ((d[0] + d[4]) + (d[1] + d[5])) + ((d[2] + d[6]) + (d[3] + d[7]));
}

/* Statistics: per row (one sample's hw values) float sums of the values shifted by the
 * channel's first value (no cancellation when the mean is large), combined in binary64. */
static void bn_train_range(const float *x, float *y, int n, int c, int hw, int c0, int c1, const float *gamma,
                           const float *beta, float *run_mean, float *run_var, float momentum, float eps, float *mean,
                           float *invstd, int act);

void batchnorm_forward_train_range(const float *x, float *y, int n, int c, int hw, int c0, int c1,
                                   const float *gamma, const float *beta, float *run_mean, float *run_var,
                                   float momentum, float *mean, float *invstd, int act)
{
    bn_train_range(x, y, n, c, hw, c0, c1, gamma, beta, run_mean, run_var, momentum, BN_EPS, mean, invstd, act);
}

void batchnorm_forward_train_eps(const float *x, float *y, int n, int c, int hw, const float *gamma,
                                 const float *beta, float *run_mean, float *run_var, float momentum, float eps,
                                 float *mean, float *invstd)
{
    bn_train_range(x, y, n, c, hw, 0, c, gamma, beta, run_mean, run_var, momentum, eps, mean, invstd, 0);
}

static void bn_train_range(const float *x, float *y, int n, int c, int hw, int c0, int c1, const float *gamma,
                           const float *beta, float *run_mean, float *run_var, float momentum, float eps, float *mean,
                           float *invstd, int act)
{
    size_t m = (size_t)n * hw;
    for (int ch = c0; ch < c1; ch++) {
        double d1[8] = {0}, d2[8] = {0};
        float shift = x[(size_t)ch * hw];
        for (int i = 0; i < n; i++) lane_sums(x + ((size_t)i * c + ch) * hw, shift, NULL, 0.0f, hw, d1, d2);
        double s = lanes_total(d1), ss = lanes_total(d2);
        double ms = s / (double)m, var = ss / (double)m - ms * ms, mu = shift + ms;
        if (var < 0) var = 0;
        float is = (float)(1.0 / sqrt(var + eps));
        mean[ch] = (float)mu;
        invstd[ch] = is;
        float a = (gamma ? gamma[ch] : 1.0f) * is, b = (beta ? beta[ch] : 0.0f) - (float)mu * a;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ch) * hw;
            float *yp = y + ((size_t)i * c + ch) * hw;
            if (act == 1)
                for (int j = 0; j < hw; j++) { float v = xp[j] * a + b; yp[j] = v > 0 ? v : 0.0f; }
            else if (act == 2)
                for (int j = 0; j < hw; j++) { float v = xp[j] * a + b; yp[j] = v > 0 ? (v < 6.0f ? v : 6.0f) : 0.0f; }
            else
                for (int j = 0; j < hw; j++) yp[j] = xp[j] * a + b;
        }
        double unbiased = m > 1 ? var * (double)m / (double)(m - 1) : var;
        run_mean[ch] = (1 - momentum) * run_mean[ch] + momentum * (float)mu;
        run_var[ch] = (1 - momentum) * run_var[ch] + momentum * (float)unbiased;
    }
}

void batchnorm_backward(const float *x, const float *dy, float *dx, int n, int c, int hw, const float *gamma,
                        const float *mean, const float *invstd, float *dgamma, float *dbeta)
{
    batchnorm_backward_range(x, dy, dx, n, c, hw, 0, c, gamma, mean, invstd, dgamma, dbeta, NULL, 0);
}

/* d = dy masked by the fused activation (act 0/1/2), into the row buffer md. */
static void masked_row(const float *dp, const float *yp, int act, float *md, int hw)
{
    if (act == 1)
        for (int j = 0; j < hw; j++) md[j] = yp[j] > 0 ? dp[j] : 0.0f;
    else if (act == 2)
        for (int j = 0; j < hw; j++) md[j] = (yp[j] > 0 && yp[j] < 6.0f) ? dp[j] : 0.0f;
    else
        for (int j = 0; j < hw; j++) md[j] = dp[j];
}

/* dx is used as the buffer of masked gradients until it is overwritten in the second pass. */
void batchnorm_backward_range(const float *x, const float *dy, float *dx, int n, int c, int hw, int c0, int c1,
                              const float *gamma, const float *mean, const float *invstd, float *dgamma,
                              float *dbeta, const float *y, int act)
{
    double m = (double)n * hw;
    for (int ch = c0; ch < c1; ch++) {
        double d1[8] = {0}, d2[8] = {0};
        float mu = mean[ch], is = invstd[ch];
        for (int i = 0; i < n; i++) {
            size_t o = ((size_t)i * c + ch) * hw;
            float *md = dx + o;
            masked_row(dy + o, y ? y + o : NULL, act, md, hw);
            lane_sums(md, 0.0f, x + o, mu, hw, d1, d2);
        }
        double sdy = lanes_total(d1), sdyx = lanes_total(d2) * is;
        if (dgamma) dgamma[ch] += (float)sdyx;
        if (dbeta) dbeta[ch] += (float)sdy;
        float k = (gamma ? gamma[ch] : 1.0f) * is, a = (float)(sdy / m), b = (float)(sdyx / m) * is;
        for (int i = 0; i < n; i++) {
            size_t o = ((size_t)i * c + ch) * hw;
            const float *xp = x + o;
            float *dxp = dx + o;
            for (int j = 0; j < hw; j++) dxp[j] = k * (dxp[j] - a - (xp[j] - mu) * b);
        }
    }
}
