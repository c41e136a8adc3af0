/* conv_dnnl.c — see conv_dnnl.h. */
#include "nn/conv_dnnl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/env.h"

/* MTA_CONV: 1 for dnnl, 0 for openblas or unset; anything else, or dnnl in a build without
 * oneDNN, ends the process with a message (exit 2: a wrong setting, as a wrong flag). */
static int wanted(void)
{
    const char *e = getenv("MTA_CONV");
    if (!e || !*e || !strcmp(e, "openblas")) return 0;
    if (strcmp(e, "dnnl")) {
        fprintf(stderr, "mta: MTA_CONV=%s: expected openblas (the default) or dnnl\n", e);
        exit(2);
    }
#ifndef MTA_DNNL
    fprintf(stderr, "mta: MTA_CONV=dnnl: this mta was built without oneDNN (install libdnnl-dev, then make clean all)\n");
    exit(2);
#endif
    return 1;
}

#ifndef MTA_DNNL

int conv_dnnl_built(void) { return 0; }
int conv_dnnl_active(void) { return wanted(); }
const char *conv_dnnl_name(void) { return NULL; }
int conv_dnnl_forward(const ConvGeom *g, const float *x, const float *w, const float *b, float *y, int n, int threads)
{
    (void)g, (void)x, (void)w, (void)b, (void)y, (void)n, (void)threads;
    return 0;
}
int conv_dnnl_backward(const ConvGeom *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                       float *db, int n, int threads)
{
    (void)g, (void)x, (void)w, (void)dy, (void)dx, (void)dw, (void)db, (void)n, (void)threads;
    return 0;
}

#else

#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#define DN(call)                                                                                  \
    do {                                                                                          \
        dnnl_status_t st_ = (call);                                                               \
        CHECK(st_ == dnnl_success, "oneDNN: %s failed (status %d)", #call, (int)st_);             \
    } while (0)

int conv_dnnl_built(void) { return 1; }

static dnnl_engine_t engine;
static dnnl_stream_t stream;
static int active = -1;

int conv_dnnl_active(void)
{
    if (active < 0) {
        active = wanted();
        if (active) {
            omp_set_num_threads(1);   /* until a call says otherwise: no idle OpenMP team spinning */
            DN(dnnl_engine_create(&engine, dnnl_cpu, 0));
            DN(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
            static char note[128];
            snprintf(note, sizeof note, "convolutions: %s", conv_dnnl_name());
            env_set_compute_note(note);
        }
    }
    return active;
}

static const char *isa_name(dnnl_cpu_isa_t isa)
{
    switch (isa) {
    case dnnl_cpu_isa_sse41: return "sse41";
    case dnnl_cpu_isa_avx: return "avx";
    case dnnl_cpu_isa_avx2: return "avx2";
    case dnnl_cpu_isa_avx512_core: return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
    default: return "other";
    }
}

const char *conv_dnnl_name(void)
{
    static char buf[96];
    if (!conv_dnnl_active()) return NULL;
    if (!buf[0]) {
        const dnnl_version_t *v = dnnl_version();
        snprintf(buf, sizeof buf, "oneDNN %d.%d.%d (%s)", v->major, v->minor, v->patch,
                 isa_name(dnnl_get_effective_cpu_isa()));
    }
    return buf;
}

/* One tensor of a primitive: mta's plain layout (user) and the primitive's (prim), with the
 * reorder between them when they differ (to: user -> prim for inputs, prim -> user for
 * outputs). */
typedef struct {
    dnnl_memory_t user, prim;
    dnnl_primitive_t reorder;
} Tensor;

static void tensor_init(Tensor *t, const dnnl_memory_desc_t *user_md, const dnnl_memory_desc_t *prim_md, int input)
{
    DN(dnnl_memory_create(&t->user, user_md, engine, DNNL_MEMORY_NONE));
    t->reorder = NULL;
    if (dnnl_memory_desc_equal(user_md, prim_md)) {
        t->prim = t->user;
        return;
    }
    DN(dnnl_memory_create(&t->prim, prim_md, engine, DNNL_MEMORY_ALLOCATE));
    dnnl_primitive_desc_t rpd;
    if (input) DN(dnnl_reorder_primitive_desc_create(&rpd, user_md, engine, prim_md, engine, NULL));
    else DN(dnnl_reorder_primitive_desc_create(&rpd, prim_md, engine, user_md, engine, NULL));
    DN(dnnl_primitive_create(&t->reorder, rpd));
    DN(dnnl_primitive_desc_destroy(rpd));
}

/* Point the user memory at p; run the input reorder. */
static void tensor_in(Tensor *t, const void *p)
{
    DN(dnnl_memory_set_data_handle(t->user, (void *)p));
    if (!t->reorder) return;
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, t->user}, {DNNL_ARG_TO, t->prim}};
    DN(dnnl_primitive_execute(t->reorder, stream, 2, a));
}

static void tensor_out_bind(Tensor *t, void *p) { DN(dnnl_memory_set_data_handle(t->user, p)); }

static void tensor_out(Tensor *t)
{
    if (!t->reorder) return;
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, t->prim}, {DNNL_ARG_TO, t->user}};
    DN(dnnl_primitive_execute(t->reorder, stream, 2, a));
}

enum { KEY_N = 12, MAX_ENTRIES = 512 };

typedef struct {
    int key[KEY_N];
    int ok;   /* 0: oneDNN declined the geometry (use OpenBLAS) */
    /* forward */
    dnnl_primitive_t fwd;
    Tensor src, wei, dst;
    dnnl_memory_t bias;
    /* backward: data (dy, w -> dx) and weights (x, dy -> dw, db) */
    dnnl_primitive_t bwd_d, bwd_w;
    Tensor bd_dy, bd_w, bd_dx, bw_x, bw_dy, bw_dw;
    dnnl_memory_t bw_db;
    float *tmp_dx, *tmp_dw, *tmp_db;
} Entry;

static Entry *entries[MAX_ENTRIES];
static int n_entries;

static void make_key(int *key, const ConvGeom *g, int n, int bias, int threads, int kind)
{
    int k[KEY_N] = {g->cin, g->h, g->w, g->cout, g->k, g->stride, g->pad, g->groups, n, bias, threads, kind};
    memcpy(key, k, sizeof k);
}

static void descs(const ConvGeom *g, int n, dnnl_memory_desc_t *x, dnnl_memory_desc_t *w, dnnl_memory_desc_t *b,
                  dnnl_memory_desc_t *y, dnnl_format_tag_t tag_x, dnnl_format_tag_t tag_w, dnnl_format_tag_t tag_y)
{
    dnnl_dims_t xd = {n, g->cin, g->h, g->w}, wd = {g->cout, g->cin, g->k, g->k}, bd = {g->cout},
                yd = {n, g->cout, g->ho, g->wo};
    DN(dnnl_memory_desc_init_by_tag(x, 4, xd, dnnl_f32, tag_x));
    DN(dnnl_memory_desc_init_by_tag(w, 4, wd, dnnl_f32, tag_w));
    DN(dnnl_memory_desc_init_by_tag(b, 1, bd, dnnl_f32, dnnl_x));
    DN(dnnl_memory_desc_init_by_tag(y, 4, yd, dnnl_f32, tag_y));
}

/* The forward descriptor and primitive descriptor of g in oneDNN's preferred formats. */
static dnnl_status_t fwd_pd(const ConvGeom *g, int n, int bias, dnnl_primitive_desc_t *pd)
{
    dnnl_memory_desc_t x, w, b, y;
    descs(g, n, &x, &w, &b, &y, dnnl_format_tag_any, dnnl_format_tag_any, dnnl_format_tag_any);
    dnnl_convolution_desc_t cd;
    dnnl_dims_t s = {g->stride, g->stride}, p = {g->pad, g->pad};
    dnnl_status_t st = dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct, &x, &w,
                                                          bias ? &b : NULL, &y, s, p, p);
    if (st != dnnl_success) return st;
    return dnnl_primitive_desc_create(pd, &cd, NULL, engine, NULL);
}

static Entry *lookup(const int *key)
{
    for (int i = 0; i < n_entries; i++)
        if (!memcmp(entries[i]->key, key, sizeof entries[i]->key)) return entries[i];
    return NULL;
}

/* A new cache entry for key, or NULL when the cache is full: that shape then stays on
 * OpenBLAS (deterministic: the same run fills the cache in the same order).  Each entry owns
 * its blocked copies of the tensors it reorders (a known cost at full width: a few GB for a
 * ResNet_18 at batch 128; a shared scratch would do). */
static Entry *new_entry(const int *key)
{
    if (n_entries == MAX_ENTRIES) return NULL;
    Entry *e = calloc(1, sizeof *e);
    CHECK(e, "out of memory");
    memcpy(e->key, key, sizeof e->key);
    entries[n_entries++] = e;
    return e;
}

static const dnnl_memory_desc_t *q_md(const_dnnl_primitive_desc_t pd, dnnl_query_t what)
{
    return dnnl_primitive_desc_query_md(pd, what, 0);
}

static Entry *fwd_entry(const ConvGeom *g, int n, int bias, int threads)
{
    int key[KEY_N];
    make_key(key, g, n, bias, threads, 0);
    Entry *e = lookup(key);
    if (e) return e;
    if (!(e = new_entry(key))) return NULL;
    dnnl_primitive_desc_t pd;
    if (fwd_pd(g, n, bias, &pd) != dnnl_success) return e;   /* e->ok = 0 */
    dnnl_memory_desc_t x, w, b, y;
    descs(g, n, &x, &w, &b, &y, dnnl_nchw, dnnl_oihw, dnnl_nchw);
    tensor_init(&e->src, &x, q_md(pd, dnnl_query_src_md), 1);
    tensor_init(&e->wei, &w, q_md(pd, dnnl_query_weights_md), 1);
    tensor_init(&e->dst, &y, q_md(pd, dnnl_query_dst_md), 0);
    if (bias) DN(dnnl_memory_create(&e->bias, &b, engine, DNNL_MEMORY_NONE));
    DN(dnnl_primitive_create(&e->fwd, pd));
    DN(dnnl_primitive_desc_destroy(pd));
    e->ok = 1;
    return e;
}

static Entry *bwd_entry(const ConvGeom *g, int n, int bias, int threads)
{
    int key[KEY_N];
    make_key(key, g, n, bias, threads, 1);
    Entry *e = lookup(key);
    if (e) return e;
    if (!(e = new_entry(key))) return NULL;
    dnnl_primitive_desc_t hint, pdd, pdw;
    if (fwd_pd(g, n, bias, &hint) != dnnl_success) return e;
    dnnl_memory_desc_t ax, aw, ab, ay, x, w, b, y;
    descs(g, n, &ax, &aw, &ab, &ay, dnnl_format_tag_any, dnnl_format_tag_any, dnnl_format_tag_any);
    descs(g, n, &x, &w, &b, &y, dnnl_nchw, dnnl_oihw, dnnl_nchw);
    dnnl_dims_t s = {g->stride, g->stride}, p = {g->pad, g->pad};
    dnnl_convolution_desc_t dd, wd;
    if (dnnl_convolution_backward_data_desc_init(&dd, dnnl_convolution_direct, &ax, &aw, &ay, s, p, p) != dnnl_success ||
        dnnl_primitive_desc_create(&pdd, &dd, NULL, engine, hint) != dnnl_success) {
        DN(dnnl_primitive_desc_destroy(hint));
        return e;
    }
    if (dnnl_convolution_backward_weights_desc_init(&wd, dnnl_convolution_direct, &ax, &aw, bias ? &ab : NULL, &ay, s, p,
                                                    p) != dnnl_success ||
        dnnl_primitive_desc_create(&pdw, &wd, NULL, engine, hint) != dnnl_success) {
        DN(dnnl_primitive_desc_destroy(hint));
        DN(dnnl_primitive_desc_destroy(pdd));
        return e;
    }
    tensor_init(&e->bd_dy, &y, q_md(pdd, dnnl_query_diff_dst_md), 1);
    tensor_init(&e->bd_w, &w, q_md(pdd, dnnl_query_weights_md), 1);
    tensor_init(&e->bd_dx, &x, q_md(pdd, dnnl_query_diff_src_md), 0);
    tensor_init(&e->bw_x, &x, q_md(pdw, dnnl_query_src_md), 1);
    tensor_init(&e->bw_dy, &y, q_md(pdw, dnnl_query_diff_dst_md), 1);
    tensor_init(&e->bw_dw, &w, q_md(pdw, dnnl_query_diff_weights_md), 0);
    if (bias) DN(dnnl_memory_create(&e->bw_db, &b, engine, DNNL_MEMORY_NONE));
    DN(dnnl_primitive_create(&e->bwd_d, pdd));
    DN(dnnl_primitive_create(&e->bwd_w, pdw));
    DN(dnnl_primitive_desc_destroy(hint));
    DN(dnnl_primitive_desc_destroy(pdd));
    DN(dnnl_primitive_desc_destroy(pdw));
    size_t nx = (size_t)n * g->cin * g->h * g->w, nw = (size_t)g->cout * g->cin * g->k * g->k;
    e->tmp_dx = malloc(nx * sizeof(float));
    e->tmp_dw = malloc(nw * sizeof(float));
    e->tmp_db = malloc((size_t)g->cout * sizeof(float));
    CHECK(e->tmp_dx && e->tmp_dw && e->tmp_db, "out of memory");
    e->ok = 1;
    return e;
}

/* The convs oneDNN takes: ungrouped spatial kernels past the first layer.  1x1 convs stay on
 * OpenBLAS (one GEMM on the activations as they are, no im2col: oneDNN's reorders cost more
 * there on these planes), and so do convs of 1-3 input channels (the stem). */
static int takes(const ConvGeom *g) { return g->groups == 1 && g->k > 1 && g->cin >= 4; }

static void exec(dnnl_primitive_t p, int nargs, const dnnl_exec_arg_t *args) { DN(dnnl_primitive_execute(p, stream, nargs, args)); }

int conv_dnnl_forward(const ConvGeom *g, const float *x, const float *w, const float *b, float *y, int n, int threads)
{
    if (!conv_dnnl_active() || !takes(g)) return 0;
    Entry *e = fwd_entry(g, n, b != NULL, threads);
    if (!e || !e->ok) return 0;
    omp_set_num_threads(threads);
    tensor_in(&e->src, x);
    tensor_in(&e->wei, w);
    tensor_out_bind(&e->dst, y);
    dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, e->src.prim}, {DNNL_ARG_WEIGHTS, e->wei.prim}, {DNNL_ARG_DST, e->dst.prim},
                            {DNNL_ARG_BIAS, e->bias}};
    if (b) DN(dnnl_memory_set_data_handle(e->bias, (void *)b));
    exec(e->fwd, b ? 4 : 3, a);
    tensor_out(&e->dst);
    DN(dnnl_stream_wait(stream));
    return 1;
}

static void add_into(float *restrict acc, const float *restrict v, size_t n)
{
    for (size_t i = 0; i < n; i++) acc[i] += v[i];
}

int conv_dnnl_backward(const ConvGeom *g, const float *x, const float *w, const float *dy, float *dx, float *dw,
                       float *db, int n, int threads)
{
    if (!conv_dnnl_active() || !takes(g) || (db && !dw)) return 0;
    Entry *e = bwd_entry(g, n, db != NULL, threads);
    if (!e || !e->ok) return 0;
    omp_set_num_threads(threads);
    if (dx) {
        tensor_in(&e->bd_dy, dy);
        tensor_in(&e->bd_w, w);
        tensor_out_bind(&e->bd_dx, e->tmp_dx);
        dnnl_exec_arg_t a[3] = {{DNNL_ARG_DIFF_DST, e->bd_dy.prim}, {DNNL_ARG_WEIGHTS, e->bd_w.prim},
                                {DNNL_ARG_DIFF_SRC, e->bd_dx.prim}};
        exec(e->bwd_d, 3, a);
        tensor_out(&e->bd_dx);
    }
    if (dw) {
        tensor_in(&e->bw_x, x);
        tensor_in(&e->bw_dy, dy);
        tensor_out_bind(&e->bw_dw, e->tmp_dw);
        dnnl_exec_arg_t a[4] = {{DNNL_ARG_SRC, e->bw_x.prim}, {DNNL_ARG_DIFF_DST, e->bw_dy.prim},
                                {DNNL_ARG_DIFF_WEIGHTS, e->bw_dw.prim}, {DNNL_ARG_DIFF_BIAS, e->bw_db}};
        if (db) DN(dnnl_memory_set_data_handle(e->bw_db, e->tmp_db));
        exec(e->bwd_w, db ? 4 : 3, a);
        tensor_out(&e->bw_dw);
    }
    DN(dnnl_stream_wait(stream));
    if (dx) add_into(dx, e->tmp_dx, (size_t)n * g->cin * g->h * g->w);
    if (dw) add_into(dw, e->tmp_dw, (size_t)g->cout * g->cin * g->k * g->k);
    if (dw && db) add_into(db, e->tmp_db, (size_t)g->cout);
    return 1;
}

#endif
