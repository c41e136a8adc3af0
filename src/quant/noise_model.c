/* noise_model.c — the data-free analytic noise model (noise_model.h). */
#include "quant/noise_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "nn/layers.h"
#include "quant/qnet.h"

#define NM_PI 3.14159265358979323846

double nm_normal_quantile(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                               1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    CHECK(p > 0 && p < 1, "normal quantile of %g", p);
    double x, q, r;
    if (p < 0.02425) {
        q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p > 1 - 0.02425) {
        q = sqrt(-2 * log(1 - p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
        q = p - 0.5;
        r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    /* one Halley step on Phi(x) - p */
    double e = 0.5 * erfc(-x / sqrt(2)) - p, u = e * sqrt(2 * NM_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

static double act_apply(Act act, double v)
{
    if (act == ACT_NONE) return v;
    v = v > 0 ? v : 0;
    return act == ACT_RELU6 && v > 6 ? 6 : v;
}

/* a symmetric observer whose range is +-scale*qmax */
static QParam fixed_range(const QuantSpec *s, float scale)
{
    QParam p;
    qparam_init(&p);
    p.has_range = 1;
    p.scale = scale;
    p.max = scale * s->qmax;
    p.min = -p.max;
    return p;
}

void nm_gauss_noise(const QuantSpec *s, float scale, double mu, double sigma, Act act, double *noise, double *power)
{
    sigma = fabs(sigma);
    if (!(sigma > 0)) {   /* a constant channel */
        float v = (float)act_apply(act, mu), qv;
        QParam p = fixed_range(s, scale);
        quant_fake(s, &p, &v, &qv, 1, QUANT_TIE_TOWARD_ZERO);
        *noise = ((double)v - qv) * ((double)v - qv);
        *power = (double)v * v;
        return;
    }
    static const double span = 8.0;
    float xs[NM_QUAD], qs[NM_QUAD];
    double w[NM_QUAD], h = 2 * span / NM_QUAD;
    for (int i = 0; i < NM_QUAD; i++) {
        double z = -span + (i + 0.5) * h;   /* midpoint rule in standard units */
        w[i] = exp(-z * z / 2) * h / sqrt(2 * NM_PI);
        xs[i] = (float)act_apply(act, mu + sigma * z);
    }
    QParam p = fixed_range(s, scale);
    quant_fake(s, &p, xs, qs, NM_QUAD, QUANT_TIE_TOWARD_ZERO);
    double ne = 0, pw = 0, ws = 0;
    for (int i = 0; i < NM_QUAD; i++) {
        double e = (double)xs[i] - qs[i];
        ne += w[i] * e * e;
        pw += w[i] * (double)xs[i] * xs[i];
        ws += w[i];
    }
    *noise = ne / ws;
    *power = pw / ws;
}

/* |W' - Q(W')|^2 / |W'|^2 of the BN-folded weight of node nd */
static double weight_nsr(const Net *net, const Node *nd, const QuantSpec *s)
{
    const float *W = net_param(net, nd->pw);
    size_t nw = net->params[nd->pw].numel;
    int cout = nd->out_shape.c;
    size_t per = nw / (size_t)cout;
    float *f = xmalloc(sizeof(float) * nw * 2), *q = f + nw;
    memcpy(f, W, sizeof(float) * nw);
    if (nd->has_bn) {
        const float *gamma = net_param(net, nd->pgamma), *var = net_param(net, nd->pvar);
        for (int o = 0; o < cout; o++) {
            float g = gamma[o] / sqrtf(var[o] + BN_EPS);
            for (size_t j = 0; j < per; j++) f[(size_t)o * per + j] *= g;
        }
    }
    QParam p;
    qparam_init(&p);
    qparam_update(&p, s, f, nw);
    quant_fake(s, &p, f, q, nw, QUANT_TIE_TOWARD_ZERO);
    double ne = 0, pw = 0;
    for (size_t i = 0; i < nw; i++) {
        ne += ((double)f[i] - q[i]) * ((double)f[i] - q[i]);
        pw += (double)f[i] * f[i];
    }
    free(f);
    return pw > 0 ? ne / pw : 0;
}

/* the activation term of a layer with BN: estimated range, then the channels' noise */
static double act_nsr(const Node *nd, const Net *net, const QuantSpec *s, double n_images, double *a_max)
{
    const float *gamma = net_param(net, nd->pgamma), *beta = net_param(net, nd->pbeta);
    int C = nd->out_shape.c;
    double n_obs = n_images * nd->out_shape.h * nd->out_shape.w;
    double k = n_obs > 1 ? nm_normal_quantile(1 - 1 / n_obs) : 0, M = 0;
    for (int c = 0; c < C; c++) {
        double hi = act_apply(nd->act, beta[c] + k * fabs(gamma[c])), lo = act_apply(nd->act, beta[c] - k * fabs(gamma[c]));
        M = fmax(M, fmax(fabs(hi), fabs(lo)));
    }
    *a_max = M;
    if (!(M > 0)) return 0;
    float scale = (float)M / s->qmax;
    double ne = 0, pw = 0;
    for (int c = 0; c < C; c++) {
        double n, p;
        nm_gauss_noise(s, scale, beta[c], gamma[c], nd->act, &n, &p);
        ne += n; pw += p;
    }
    return pw > 0 ? ne / pw : 0;
}

static double db(double nsr) { return nsr > 0 ? -10 * log10(nsr) : INFINITY; }

int nm_network(const Net *net, const QuantSpec *s, double n_images, NmLayer *layers, NmTotal *tot)
{
    memset(tot, 0, sizeof *tot);
    int n = 0;
    for (int i = 0; i < net->n_nodes; i++) {
        const Node *nd = &net->nodes[i];
        if (!qop_is_layer(nd->op)) continue;
        NmLayer *L = &layers[n++];
        memset(L, 0, sizeof *L);
        L->node = i;
        L->w_nsr = weight_nsr(net, nd, s);
        L->has_stats = nd->has_bn;
        if (nd->has_bn) L->a_nsr = act_nsr(nd, net, s, n_images, &L->a_max);
        tot->w_nsr += L->w_nsr;
        tot->a_nsr += L->a_nsr;
        tot->n_stats += L->has_stats;
        L->cum_sqnr_db = db(tot->w_nsr + tot->a_nsr);
    }
    tot->n_layers = n;
    tot->sqnr_db = db(tot->w_nsr + tot->a_nsr);
    tot->w_sqnr_db = db(tot->w_nsr);
    tot->a_sqnr_db = db(tot->a_nsr);
    return n;
}
