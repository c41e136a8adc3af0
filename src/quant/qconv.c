/* qconv.c — binary64 accumulation of code convolutions (see qconv.h). */
#include "quant/qconv.h"

#include <cblas.h>
#include <string.h>

enum { QCHUNK_COLS = 1024 };

/* Samples per dgemm: enough columns (ho*wo each) to keep the gemm efficient. */
static int qchunk(const ConvGeom *g)
{
    int hw = g->ho * g->wo;
    return hw >= QCHUNK_COLS ? 1 : (QCHUNK_COLS + hw - 1) / hw;
}

size_t qconv_work_doubles(const ConvGeom *g)
{
    size_t hw = (size_t)g->ho * g->wo, kk = (size_t)(g->cin / g->groups) * g->k * g->k;
    return (kk + (size_t)(g->cout / g->groups)) * hw * (size_t)qchunk(g);
}

/* im2col of one sample and group into doubles: col rows of ld, this sample's columns
 * (valid output columns per tap computed once; no per-element bounds checks). */
static void im2col_d(const ConvGeom *g, const float *x, double *col, size_t ld)
{
    int cg = g->cin / g->groups, k = g->k, s = g->stride, p = g->pad, h = g->h, w = g->w, ho = g->ho, wo = g->wo;
    for (int c = 0; c < cg; c++)
        for (int ki = 0; ki < k; ki++)
            for (int kj = 0; kj < k; kj++) {
                double *row = col + (size_t)((c * k + ki) * k + kj) * ld;
                int lo = p - kj > 0 ? (p - kj + s - 1) / s : 0;
                int hi = w - 1 + p - kj < 0 ? 0 : (w - 1 + p - kj) / s + 1;
                if (hi > wo) hi = wo;
                if (hi < lo) hi = lo;
                for (int oi = 0; oi < ho; oi++) {
                    int ii = oi * s - p + ki;
                    double *r = row + (size_t)oi * wo;
                    if (ii < 0 || ii >= h) {
                        for (int oj = 0; oj < wo; oj++) r[oj] = 0.0;
                        continue;
                    }
                    const float *xr = x + ((size_t)c * h + ii) * w;
                    for (int oj = 0; oj < lo; oj++) r[oj] = 0.0;
                    for (int oj = lo; oj < hi; oj++) r[oj] = xr[oj * s + kj - p];
                    for (int oj = hi; oj < wo; oj++) r[oj] = 0.0;
                }
            }
}

void qconv_forward_f64(const ConvGeom *g, const float *x, const double *wd, const float *b, float *acc, int n,
                       double *work)
{
    int cg = g->cin / g->groups, og = g->cout / g->groups, hw = g->ho * g->wo, kk = cg * g->k * g->k, nb = qchunk(g);
    size_t xs = (size_t)g->cin * g->h * g->w, ys = (size_t)g->cout * hw;
    double *col = work, *out = work + (size_t)kk * hw * nb;
    for (int i0 = 0; i0 < n; i0 += nb) {
        int m = n - i0 < nb ? n - i0 : nb;
        size_t ld = (size_t)m * hw;
        for (int gr = 0; gr < g->groups; gr++) {
            for (int i = 0; i < m; i++) im2col_d(g, x + (i0 + i) * xs + (size_t)gr * cg * g->h * g->w, col + (size_t)i * hw, ld);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, og, (int)ld, kk, 1.0, wd + (size_t)gr * og * kk, kk,
                        col, (int)ld, 0.0, out, (int)ld);
            for (int o = 0; o < og; o++) {
                int oc = gr * og + o;
                double bias = b ? (double)b[oc] : 0.0;
                for (int i = 0; i < m; i++) {
                    float *yo = acc + (i0 + i) * ys + (size_t)oc * hw;
                    const double *src = out + (size_t)o * ld + (size_t)i * hw;
                    for (int j = 0; j < hw; j++) yo[j] = (float)(src[j] + bias);
                }
            }
        }
    }
}

void qlinear_forward_f64(const float *x, const double *wd, const float *b, float *acc, int n, int in, int out,
                         double *work)
{
    double *xd = work, *yd = work + (size_t)n * in;
    for (size_t i = 0; i < (size_t)n * in; i++) xd[i] = x[i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0, xd, in, wd, in, 0.0, yd, out);
    for (int i = 0; i < n; i++)
        for (int o = 0; o < out; o++)
            acc[(size_t)i * out + o] = (float)(yd[(size_t)i * out + o] + (b ? (double)b[o] : 0.0));
}
