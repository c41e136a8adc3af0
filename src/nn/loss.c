/* loss.c — softmax cross-entropy (see layers.h). */
#include <math.h>

#include "nn/layers.h"

double softmax_xent(const float *logits, const int *labels, int n, int c, float *dlogits)
{
    double loss = 0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * c;
        float *d = dlogits + (size_t)i * c;
        float m = z[0];
        for (int j = 1; j < c; j++) m = z[j] > m ? z[j] : m;
        double s = 0;
        for (int j = 0; j < c; j++) s += exp((double)z[j] - m);
        double lse = m + log(s);
        loss += lse - z[labels[i]];
        for (int j = 0; j < c; j++) d[j] = (float)(exp((double)z[j] - lse) / n);
        d[labels[i]] -= 1.0f / (float)n;
    }
    return loss / n;
}

double softmax_xent_soft(const float *logits, const float *t, int n, int c, float *dlogits)
{
    double loss = 0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * c, *ti = t + (size_t)i * c;
        float *d = dlogits + (size_t)i * c;
        float m = z[0];
        for (int j = 1; j < c; j++) m = z[j] > m ? z[j] : m;
        double s = 0;
        for (int j = 0; j < c; j++) s += exp((double)z[j] - m);
        double lse = m + log(s);
        for (int j = 0; j < c; j++) {
            loss += ti[j] * (lse - z[j]);
            d[j] = (float)((exp((double)z[j] - lse) - ti[j]) / n);
        }
    }
    return loss / n;
}
