/* augment.c — random crop with zero padding and horizontal flip (see augment.h). */
#include "io/augment.h"

void augment_batch(const Dataset *ds, const ImageSet *s, const int *idx, int n, const AugmentConfig *a,
                   Rng *rng, float *x, int *y)
{
    int c = s->c, h = s->h, w = s->w, p = a->crop_pad;
    float scale[3], shift[3];
    for (int ch = 0; ch < c; ch++) {
        scale[ch] = 1.0f / (255.0f * ds->std[ch]);
        shift[ch] = -ds->mean[ch] / ds->std[ch];
    }
    for (int i = 0; i < n; i++) {
        int dy = p ? (int)rng_below(rng, (uint32_t)(2 * p + 1)) - p : 0;
        int dx = p ? (int)rng_below(rng, (uint32_t)(2 * p + 1)) - p : 0;
        int flip = a->flip ? (int)rng_below(rng, 2) : 0;
        const uint8_t *src = s->pixels + (size_t)idx[i] * c * h * w;
        float *dst = x + (size_t)i * c * h * w;
        for (int ch = 0; ch < c; ch++)
            for (int r = 0; r < h; r++)
                for (int col = 0; col < w; col++) {
                    int sr = r + dy, sc = (flip ? w - 1 - col : col) + dx;
                    float v = (sr >= 0 && sr < h && sc >= 0 && sc < w) ? src[((size_t)ch * h + sr) * w + sc] : 0.0f;
                    dst[((size_t)ch * h + r) * w + col] = v * scale[ch] + shift[ch];
                }
        y[i] = s->labels[idx[i]];
    }
}
