/* bn.c — batch normalization (see layers.h). */
#include <math.h>

#include "layers.h"

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

void batchnorm_forward_train(const float *x, float *y, int n, int c, int hw, const float *gamma,
                             const float *beta, float *run_mean, float *run_var, float momentum,
                             float *mean, float *invstd)
{
    batchnorm_forward_train_range(x, y, n, c, hw, 0, c, gamma, beta, run_mean, run_var, momentum, mean, invstd, 0);
}

/* Statistics in binary64 from one pass of sums and sums of squares (per channel). */
void batchnorm_forward_train_range(const float *x, float *y, int n, int c, int hw, int c0, int c1,
                                   const float *gamma, const float *beta, float *run_mean, float *run_var,
                                   float momentum, float *mean, float *invstd, int act)
{
    size_t m = (size_t)n * hw;
    for (int ch = c0; ch < c1; ch++) {
        double s = 0, ss = 0;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) { double v = xp[j]; s += v; ss += v * v; }
        }
        double mu = s / (double)m;
        double var = ss / (double)m - mu * mu;
        if (var < 0) var = 0;
        float is = (float)(1.0 / sqrt(var + BN_EPS));
        mean[ch] = (float)mu;
        invstd[ch] = is;
        float a = gamma[ch] * is, b = beta[ch] - (float)mu * a;
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

static inline float act_mask(const float *y, size_t j, int act, float d)
{
    if (act == 1) return y[j] > 0 ? d : 0.0f;
    if (act == 2) return (y[j] > 0 && y[j] < 6.0f) ? d : 0.0f;
    return d;
}

void batchnorm_backward_range(const float *x, const float *dy, float *dx, int n, int c, int hw, int c0, int c1,
                              const float *gamma, const float *mean, const float *invstd, float *dgamma,
                              float *dbeta, const float *y, int act)
{
    double m = (double)n * hw;
    for (int ch = c0; ch < c1; ch++) {
        double sdy = 0, sdyx = 0;
        float mu = mean[ch], is = invstd[ch];
        for (int i = 0; i < n; i++) {
            size_t o = ((size_t)i * c + ch) * hw;
            const float *xp = x + o, *dp = dy + o, *yp = y ? y + o : NULL;
            float fs = 0, fsx = 0;
            for (int j = 0; j < hw; j++) {
                float d = act_mask(yp, (size_t)j, act, dp[j]);
                fs += d;
                fsx += d * ((xp[j] - mu) * is);
            }
            sdy += fs;
            sdyx += fsx;
        }
        dgamma[ch] += (float)sdyx;
        dbeta[ch] += (float)sdy;
        float k = gamma[ch] * is, a = (float)(sdy / m), b = (float)(sdyx / m);
        for (int i = 0; i < n; i++) {
            size_t o = ((size_t)i * c + ch) * hw;
            const float *xp = x + o, *dp = dy + o, *yp = y ? y + o : NULL;
            float *dxp = dx + o;
            for (int j = 0; j < hw; j++) dxp[j] = k * (act_mask(yp, (size_t)j, act, dp[j]) - a - (xp[j] - mu) * is * b);
        }
    }
}
