/* t_forward.c — forward pass of every layer type and of whole models against PyTorch.
 * Fixtures (tests/fixtures/{layer,model}_*.bin) come from tools/gen_fixtures.py: the model
 * text (or a model name + width), the input, every parameter by its state_dict name and
 * PyTorch's eval-mode output.  Passes when max|got - want| <= 1e-4 * max|want|. */
#include <glob.h>
#include <math.h>
#include <string.h>

#include "base/check.h"
#include "nn/conv.h"
#include "fixture.h"
#include "base/fileio.h"
#include "nn/modelfile.h"
#include "base/rng.h"
#include "tap.h"

#define FIXDIR "tests/fixtures"

static int is_data_entry(const char *name)
{
    return !strcmp(name, "input") || !strcmp(name, "output") || !strcmp(name, "model") ||
           !strcmp(name, "model_name") || !strcmp(name, "width") || !strcmp(name, "classes");
}

static void run_fixture(const char *path, int threads)
{
    char base[300];
    snprintf(base, sizeof base, "%s (%d thread%s)", strrchr(path, '/') + 1, threads, threads > 1 ? "s" : "");
    Fixture *fx = fixture_load(path);
    if (!fx) { ok(0, "%s loads", base); return; }
    const FixtureEntry *in = fixture_need(fx, "input", FIXTURE_F32), *out = fixture_need(fx, "output", FIXTURE_F32);
    if (!in || !out || in->ndim < 2) { ok(0, "%s has input and output", base); fixture_free(fx); return; }
    Shape s = {(int)in->dims[1], in->ndim > 2 ? (int)in->dims[2] : 1, in->ndim > 3 ? (int)in->dims[3] : 1};
    int n = (int)in->dims[0];
    char err[1024];
    Net *net;
    if (fixture_get(fx, "model")) {
        net = net_build(base, "fixture", fixture_text(fx, "model"), s, 0, 1.0, err, sizeof err);
    } else {
        const char *name = fixture_text(fx, "model_name");
        char mpath[512];
        snprintf(mpath, sizeof mpath, "experiments/models/%s.model", name);
        char *text = read_text_file(mpath, err, sizeof err);
        net = text ? net_build(mpath, name, text, s, (int)fixture_i64(fx, "classes", NULL)[0],
                               fixture_f32(fx, "width", NULL)[0], err, sizeof err) : NULL;
        free(text);
    }
    if (!net) { ok(0, "%s builds: %s", base, err); fixture_free(fx); return; }
    int loaded = 1;
    for (int i = 0; i < net->n_params && loaded; i++) {
        const Param *p = &net->params[i];
        const FixtureEntry *e = fixture_get(fx, p->name);
        if (!e || e->dtype != FIXTURE_F32 || e->numel != p->numel) {
            diag("%s: parameter %s missing or of the wrong size", base, p->name);
            loaded = 0;
        } else memcpy(net->pdata + p->off, e->data, p->numel * sizeof(float));
    }
    for (uint32_t i = 0; i < fx->count && loaded; i++)
        if (!is_data_entry(fx->entries[i].name) && net_find_param(net, fx->entries[i].name) < 0) {
            diag("%s: fixture tensor %s is not a parameter of the mta model", base, fx->entries[i].name);
            loaded = 0;
        }
    ok(loaded, "%s: the %d parameter tensors match the state_dict names and sizes", base, net->n_params);
    size_t per = (size_t)net->classes;
    if (out->numel != per * (size_t)n) {
        ok(0, "%s: output has %zu values, mta produces %zu", base, out->numel, per * (size_t)n);
    } else if (loaded) {
        net_set_threads(net, threads);
        net_alloc_acts(net, n);
        const float *y = net_forward(net, in->data, n);
        const float *want = out->data;
        double maxd = 0, maxw = 0;
        size_t at = 0;
        for (size_t i = 0; i < out->numel; i++) {
            double d = fabs((double)y[i] - want[i]);
            if (d > maxd) { maxd = d; at = i; }
            if (fabs(want[i]) > maxw) maxw = fabs(want[i]);
        }
        int good = maxd <= 1e-4 * (maxw > 0 ? maxw : 1);
        ok(good, "%s: forward matches PyTorch (max abs diff %.2e, max |out| %.3g)", base, maxd, maxw);
        if (!good) diag("first worst element %zu: got %.7g want %.7g", at, y[at], want[at]);
    }
    net_free(net);
    fixture_free(fx);
}

/* im2col+sgemm paths (per sample, batched chunks, pointwise, depthwise) against plain loops. */
static void check_conv_paths(void)
{
    struct { int cin, h, cout, k, s, p, g, n; } cs[] = {
        {3, 20, 8, 3, 1, 1, 1, 3},  {5, 4, 7, 3, 1, 1, 1, 70}, {6, 17, 6, 1, 1, 0, 1, 2},
        {8, 9, 8, 3, 2, 1, 8, 3},   {4, 6, 6, 2, 2, 0, 2, 40}, {3, 33, 4, 5, 3, 2, 1, 2},
        {4, 3, 4, 1, 1, 1, 1, 90},  {6, 9, 6, 3, 1, 1, 6, 3},  {5, 7, 5, 5, 1, 2, 5, 2},
        {3, 11, 4, 5, 1, 2, 1, 2},  {2, 2, 3, 5, 1, 2, 1, 3},
    };
    Rng r;
    rng_seed(&r, 7);
    for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
        ConvGeom g = conv_geom(cs[t].cin, cs[t].h, cs[t].h, cs[t].cout, cs[t].k, cs[t].s, cs[t].p, cs[t].g);
        size_t nx = (size_t)cs[t].n * g.cin * g.h * g.w, nw = (size_t)g.cout * (g.cin / g.groups) * g.k * g.k,
               ny = (size_t)cs[t].n * g.cout * g.ho * g.wo;
        float *x = xmalloc(nx * 4), *w = xmalloc(nw * 4), *b = xmalloc((size_t)g.cout * 4), *y = xmalloc(ny * 4),
              *yr = xmalloc(ny * 4), *work = xmalloc((conv_work_floats(&g, cs[t].n) + 1) * 4);
        for (size_t i = 0; i < nx; i++) x[i] = 2 * rng_uniform(&r) - 1;
        for (size_t i = 0; i < nw; i++) w[i] = 2 * rng_uniform(&r) - 1;
        for (int i = 0; i < g.cout; i++) b[i] = 2 * rng_uniform(&r) - 1;
        conv2d_forward(&g, x, w, b, y, cs[t].n, work);
        conv2d_forward_ref(&g, x, w, b, yr, cs[t].n);
        double maxd = 0;
        for (size_t i = 0; i < ny; i++) maxd = fmax(maxd, fabs((double)y[i] - yr[i]));
        ok(maxd < 1e-4, "conv %dx%d->%d k%d s%d p%d g%d batch %d matches the plain loops (max diff %.1e)", cs[t].cin,
           cs[t].h, cs[t].cout, cs[t].k, cs[t].s, cs[t].p, cs[t].g, cs[t].n, maxd);
        free(x); free(w); free(b); free(y); free(yr); free(work);
    }
}

/* im2col's column matrix, built by the definition: exact equality for every layout path
 * ("same" padding, stride 2, pointwise, kernels wider than the plane). */
static void check_im2col_exact(void)
{
    struct { int c, h, w, k, s, p; } cs[] = {
        {2, 7, 7, 3, 1, 1}, {3, 5, 6, 5, 1, 2}, {2, 2, 2, 5, 1, 2}, {2, 1, 3, 3, 1, 1},
        {2, 9, 9, 3, 2, 1}, {3, 4, 4, 1, 1, 0}, {2, 6, 5, 3, 1, 0}, {1, 3, 3, 7, 1, 3},
    };
    Rng r;
    rng_seed(&r, 11);
    int good = 1;
    for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
        ConvGeom g = conv_geom(cs[t].c, cs[t].h, cs[t].w, cs[t].c, cs[t].k, cs[t].s, cs[t].p, 1);
        int hw = g.ho * g.wo, rows = g.cin * g.k * g.k, ld = hw + 3;
        float *x = xmalloc(sizeof(float) * (size_t)g.cin * g.h * g.w), *col = xmalloc(sizeof(float) * (size_t)rows * ld);
        for (int i = 0; i < g.cin * g.h * g.w; i++) x[i] = 2 * rng_uniform(&r) - 1;
        for (int i = 0; i < rows * ld; i++) col[i] = NAN;
        im2col(&g, x, col, ld);
        for (int c = 0; c < g.cin; c++)
            for (int ki = 0; ki < g.k; ki++)
                for (int kj = 0; kj < g.k; kj++)
                    for (int oi = 0; oi < g.ho; oi++)
                        for (int oj = 0; oj < g.wo; oj++) {
                            int ii = oi * g.stride - g.pad + ki, jj = oj * g.stride - g.pad + kj;
                            float want = ii >= 0 && ii < g.h && jj >= 0 && jj < g.w ? x[(c * g.h + ii) * g.w + jj] : 0.0f;
                            float got = col[(size_t)((c * g.k + ki) * g.k + kj) * ld + oi * g.wo + oj];
                            if (memcmp(&got, &want, sizeof got)) good = 0;
                        }
        free(x);
        free(col);
    }
    ok(good, "im2col equals the column matrix by definition, bit for bit (%zu geometries)", sizeof cs / sizeof cs[0]);
}

/* The depthwise conv sums every tap over a zero-padded plane; it must equal, bit for bit, the
 * float sum of the in-range taps only in (ki, kj) order (what it replaced), forward and dw. */
static void check_depthwise_exact(void)
{
    struct { int c, h, k, s, p, n; } cs[] = {{3, 7, 3, 1, 1, 2}, {4, 9, 3, 2, 1, 2}, {2, 6, 5, 1, 2, 3}, {2, 5, 3, 1, 0, 1}};
    Rng r;
    rng_seed(&r, 13);
    int good = 1;
    for (size_t t = 0; t < sizeof cs / sizeof cs[0]; t++) {
        ConvGeom g = conv_geom(cs[t].c, cs[t].h, cs[t].h, cs[t].c, cs[t].k, cs[t].s, cs[t].p, cs[t].c);
        int n = cs[t].n, kk = g.k * g.k;
        size_t nx = (size_t)n * g.cin * g.h * g.w, ny = (size_t)n * g.cout * g.ho * g.wo;
        float *x = xmalloc(nx * 4), *w = xmalloc((size_t)g.cin * kk * 4), *y = xmalloc(ny * 4), *dy = xmalloc(ny * 4);
        float *dw = xcalloc((size_t)g.cin * kk, 4), *dw_ref = xcalloc((size_t)g.cin * kk, 4);
        float *work = xmalloc((conv_bwd_work_floats(&g, n) + conv_work_floats(&g, n) + 1) * 4);
        for (size_t i = 0; i < nx; i++) x[i] = 2 * rng_uniform(&r) - 1;
        for (int i = 0; i < g.cin * kk; i++) w[i] = 2 * rng_uniform(&r) - 1;
        for (size_t i = 0; i < ny; i++) dy[i] = 2 * rng_uniform(&r) - 1;
        conv2d_forward(&g, x, w, NULL, y, n, work);
        conv2d_backward(&g, x, w, dy, NULL, dw, NULL, n, work);
        for (int i = 0; i < n; i++)
            for (int c = 0; c < g.cin; c++) {
                const float *xc = x + ((size_t)i * g.cin + c) * g.h * g.w, *dyc = dy + ((size_t)i * g.cin + c) * g.ho * g.wo;
                const float *yc = y + ((size_t)i * g.cin + c) * g.ho * g.wo;
                for (int oi = 0; oi < g.ho; oi++)
                    for (int oj = 0; oj < g.wo; oj++) {
                        float acc = 0;
                        for (int ki = 0; ki < g.k; ki++)
                            for (int kj = 0; kj < g.k; kj++) {
                                int ii = oi * g.stride - g.pad + ki, jj = oj * g.stride - g.pad + kj;
                                if (ii >= 0 && ii < g.h && jj >= 0 && jj < g.w) acc += w[c * kk + ki * g.k + kj] * xc[ii * g.w + jj];
                            }
                        if (memcmp(&acc, &yc[oi * g.wo + oj], sizeof acc)) good = 0;
                    }
                for (int ki = 0; ki < g.k; ki++)
                    for (int kj = 0; kj < g.k; kj++) {
                        float acc = 0;
                        for (int oi = 0; oi < g.ho; oi++)
                            for (int oj = 0; oj < g.wo; oj++) {
                                int ii = oi * g.stride - g.pad + ki, jj = oj * g.stride - g.pad + kj;
                                if (ii >= 0 && ii < g.h && jj >= 0 && jj < g.w) acc += dyc[oi * g.wo + oj] * xc[ii * g.w + jj];
                            }
                        dw_ref[c * kk + ki * g.k + kj] += acc;
                    }
            }
        if (memcmp(dw, dw_ref, sizeof(float) * (size_t)g.cin * kk)) good = 0;
        free(x); free(w); free(y); free(dy); free(dw); free(dw_ref); free(work);
    }
    ok(good, "depthwise forward and weight gradient equal the in-range tap sums bit for bit (%zu geometries)",
       sizeof cs / sizeof cs[0]);
}

int main(void)
{
    plan_no_plan();
    check_conv_paths();
    check_im2col_exact();
    check_depthwise_exact();
    glob_t gl;
    int found = glob(FIXDIR "/layer_*.bin", 0, NULL, &gl) == 0 ? (int)gl.gl_pathc : 0;
    ok(found >= 20, "found %d layer fixtures", found);
    for (int i = 0; i < found; i++)
        for (int t = 1; t <= 2; t++) run_fixture(gl.gl_pathv[i], t);
    if (found) globfree(&gl);
    found = glob(FIXDIR "/model_*.bin", 0, NULL, &gl) == 0 ? (int)gl.gl_pathc : 0;
    ok(found >= 2, "found %d whole-model fixtures", found);
    for (int i = 0; i < found; i++)
        for (int t = 1; t <= 2; t++) run_fixture(gl.gl_pathv[i], t);
    if (found) globfree(&gl);
    return done_testing();
}
