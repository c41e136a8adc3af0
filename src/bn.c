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
    batchnorm_forward_train_range(x, y, n, c, hw, 0, c, gamma, beta, run_mean, run_var, momentum, mean, invstd);
}

void batchnorm_forward_train_range(const float *x, float *y, int n, int c, int hw, int c0, int c1,
                                   const float *gamma, const float *beta, float *run_mean, float *run_var,
                                   float momentum, float *mean, float *invstd)
{
    size_t m = (size_t)n * hw;
    for (int ch = c0; ch < c1; ch++) {
        double s = 0, ss = 0;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) s += xp[j];
        }
        double mu = s / (double)m;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) { double d = xp[j] - mu; ss += d * d; }
        }
        double var = ss / (double)m;
        float is = (float)(1.0 / sqrt(var + BN_EPS));
        mean[ch] = (float)mu;
        invstd[ch] = is;
        float a = gamma[ch] * is, b = beta[ch] - (float)mu * a;
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ch) * hw;
            float *yp = y + ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) yp[j] = xp[j] * a + b;
        }
        double unbiased = m > 1 ? ss / (double)(m - 1) : var;
        run_mean[ch] = (1 - momentum) * run_mean[ch] + momentum * (float)mu;
        run_var[ch] = (1 - momentum) * run_var[ch] + momentum * (float)unbiased;
    }
}

void batchnorm_backward(const float *x, const float *dy, float *dx, int n, int c, int hw, const float *gamma,
                        const float *mean, const float *invstd, float *dgamma, float *dbeta)
{
    batchnorm_backward_range(x, dy, dx, n, c, hw, 0, c, gamma, mean, invstd, dgamma, dbeta);
}

void batchnorm_backward_range(const float *x, const float *dy, float *dx, int n, int c, int hw, int c0, int c1,
                              const float *gamma, const float *mean, const float *invstd, float *dgamma,
                              float *dbeta)
{
    double m = (double)n * hw;
    for (int ch = c0; ch < c1; ch++) {
        double sdy = 0, sdyx = 0;
        float mu = mean[ch], is = invstd[ch];
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ch) * hw, *dp = dy + ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) { sdy += dp[j]; sdyx += (double)dp[j] * ((xp[j] - mu) * is); }
        }
        dgamma[ch] += (float)sdyx;
        dbeta[ch] += (float)sdy;
        float k = gamma[ch] * is, a = (float)(sdy / m), b = (float)(sdyx / m);
        for (int i = 0; i < n; i++) {
            const float *xp = x + ((size_t)i * c + ch) * hw, *dp = dy + ((size_t)i * c + ch) * hw;
            float *dxp = dx + ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) dxp[j] = k * (dp[j] - a - (xp[j] - mu) * is * b);
        }
    }
}
