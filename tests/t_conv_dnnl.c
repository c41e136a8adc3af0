/* t_conv_dnnl.c — the oneDNN convolution backend (nn/conv_dnnl.h) against the OpenBLAS one
 * (conv2d_forward / conv2d_backward) on the same data: forward, input, weight and bias
 * gradients within float rounding, the accumulate semantics (dx, dw, db += on top of what is
 * there), run-to-run determinism, the geometries it declines (1x1, grouped, the stem), partial
 * batches and two threads.  Skipped in a build without oneDNN. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/rng.h"
#include "nn/conv.h"
#include "nn/conv_dnnl.h"
#include "tap.h"

/* max |a - b| / max |b - base|: how far a is from b relative to what was added to base
 * (base NULL: zero) */
static double rel_diff(const float *a, const float *b, const float *base, size_t n)
{
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        m = fmax(m, fabs((double)a[i] - b[i]));
        s = fmax(s, fabs((double)b[i] - (base ? base[i] : 0)));
    }
    return m / (s > 0 ? s : 1);
}

static float *rand_buf(Rng *r, size_t n)
{
    float *p = xmalloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) p[i] = 2 * (float)rng_uniform(r) - 1;
    return p;
}

static float *copy_buf(const float *p, size_t n)
{
    float *q = xmalloc(n * sizeof(float));
    memcpy(q, p, n * sizeof(float));
    return q;
}

typedef struct { int cin, h, cout, k, s, p, groups, n, bias, threads; } Case;

static void run_case(const Case *c, Rng *r)
{
    ConvGeom g = conv_geom(c->cin, c->h, c->h, c->cout, c->k, c->s, c->p, c->groups);
    int n = c->n;
    size_t nx = (size_t)n * g.cin * g.h * g.w, nw = (size_t)g.cout * (g.cin / g.groups) * g.k * g.k,
           ny = (size_t)n * g.cout * g.ho * g.wo, nb = (size_t)g.cout;
    float *x = rand_buf(r, nx), *w = rand_buf(r, nw), *b = c->bias ? rand_buf(r, nb) : NULL, *dy = rand_buf(r, ny);
    float *y0 = xmalloc(ny * 4), *y1 = xmalloc(ny * 4), *y2 = xmalloc(ny * 4);
    /* gradients start from non-zero values: both backends must add to them */
    float *dx0 = rand_buf(r, nx), *dw0 = rand_buf(r, nw), *db0 = rand_buf(r, nb);
    float *dx1 = copy_buf(dx0, nx), *dw1 = copy_buf(dw0, nw), *db1 = copy_buf(db0, nb);
    float *dxi = copy_buf(dx0, nx), *dwi = copy_buf(dw0, nw), *dbi = copy_buf(db0, nb);
    float *work = xmalloc((conv_work_floats(&g, n) + conv_bwd_work_floats(&g, n) + 1) * sizeof(float));
    conv2d_forward(&g, x, w, b, y0, n, work);
    conv2d_backward(&g, x, w, dy, dx0, dw0, c->bias ? db0 : NULL, n, work);
    int took = conv_dnnl_forward(&g, x, w, b, y1, n, c->threads);
    int declines = g.groups != 1 || g.k == 1 || g.cin < 4;
    char name[160];
    snprintf(name, sizeof name, "conv %d->%d %dx%d k%d s%d p%d g%d, batch %d%s, %d thread%s", c->cin, c->cout, c->h, c->h,
             c->k, c->s, c->p, c->groups, n, c->bias ? " + bias" : "", c->threads, c->threads > 1 ? "s" : "");
    if (declines) {
        int tookb = conv_dnnl_backward(&g, x, w, dy, dx1, dw1, c->bias ? db1 : NULL, n, c->threads);
        ok(!took && !tookb && !memcmp(dx1, dxi, nx * sizeof(float)), "%s: declined (left to OpenBLAS)", name);
    } else {
        conv_dnnl_forward(&g, x, w, b, y2, n, c->threads);
        int tookb = conv_dnnl_backward(&g, x, w, dy, dx1, dw1, c->bias ? db1 : NULL, n, c->threads);
        double ey = rel_diff(y1, y0, NULL, ny), ex = rel_diff(dx1, dx0, dxi, nx), ew = rel_diff(dw1, dw0, dwi, nw),
               eb = c->bias ? rel_diff(db1, db0, dbi, nb) : 0;
        ok(took && tookb && ey < 1e-5 && ex < 1e-5 && ew < 1e-5 && eb < 1e-5,
           "%s: oneDNN = OpenBLAS within rounding, gradients added to what was there (rel: y %.1e, dx %.1e, "
           "dw %.1e, db %.1e)", name, ey, ex, ew, eb);
        ok(!memcmp(y1, y2, ny * sizeof(float)), "%s: the same forward twice, byte for byte", name);
    }
    free(x); free(w); free(b); free(dy); free(y0); free(y1); free(y2);
    free(dx0); free(dw0); free(db0); free(dx1); free(dw1); free(db1); free(dxi); free(dwi); free(dbi); free(work);
}

int main(void)
{
    if (!conv_dnnl_built()) {
        printf("1..0 # SKIP built without oneDNN (libdnnl-dev)\n");
        return 0;
    }
    setenv("MTA_CONV", "dnnl", 1);
    plan_no_plan();
    ok(conv_dnnl_active() && conv_dnnl_name() && !strncmp(conv_dnnl_name(), "oneDNN ", 7),
       "MTA_CONV=dnnl: the backend is on (%s)", conv_dnnl_name() ? conv_dnnl_name() : "?");
    Rng r;
    rng_seed(&r, 5);
    const Case cs[] = {
        {8, 12, 16, 3, 1, 1, 1, 5, 1, 1},  {16, 9, 8, 3, 2, 1, 1, 3, 0, 1},  {4, 7, 4, 3, 1, 1, 1, 1, 1, 1},
        {6, 11, 10, 5, 1, 2, 1, 4, 1, 2},  {12, 8, 12, 3, 1, 1, 1, 7, 0, 2}, {5, 10, 7, 3, 3, 0, 1, 2, 1, 1},
        {8, 6, 8, 1, 1, 0, 1, 3, 1, 1},    {8, 6, 8, 3, 1, 1, 8, 3, 0, 1},   {1, 9, 4, 3, 1, 1, 1, 2, 1, 1},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) run_case(&cs[i], &r);
    return done_testing();
}
