/* par_ops.c — parallel dispatch of the layer kernels (see par_ops.h). */
#include "nn/par_ops.h"

#include <string.h>

#include "nn/conv_dnnl.h"
#include "nn/layers.h"

static int per_thread(int n, int threads) { return (n + threads - 1) / threads; }

size_t par_conv_work(const ConvGeom *g, int n, int threads) { return conv_work_floats(g, per_thread(n, threads)); }
size_t par_conv_bwd_work(const ConvGeom *g, int n, int threads)
{
    return conv_bwd_work_floats(g, per_thread(n, threads));
}

typedef struct {
    const ConvGeom *g;
    const float *x, *w, *b, *dy;
    float *y, *dx, *dw, *db, *work, *partial;
    size_t wpt, xs, ys, nw;
} ConvCtx;

static void conv_fwd_task(void *c, int tid, int lo, int hi)
{
    ConvCtx *k = c;
    conv2d_forward(k->g, k->x + lo * k->xs, k->w, k->b, k->y + lo * k->ys, hi - lo, k->work + (size_t)tid * k->wpt);
}

void par_conv_forward(ThreadPool *p, const ConvGeom *g, const float *x, const float *w, const float *b, float *y,
                      int n, float *work, size_t work_per_thread)
{
    if (conv_dnnl_forward(g, x, w, b, y, n, pool_threads(p))) return;
    ConvCtx k = {.g = g, .x = x, .w = w, .b = b, .y = y, .work = work, .wpt = work_per_thread,
                 .xs = (size_t)g->cin * g->h * g->w, .ys = (size_t)g->cout * g->ho * g->wo};
    pool_run(p, n, conv_fwd_task, &k);
}

static void conv_bwd_task(void *c, int tid, int lo, int hi)
{
    ConvCtx *k = c;
    float *dw = k->dw, *db = k->db;
    if (tid > 0 && dw) {
        size_t nb = k->db ? (size_t)k->g->cout : 0;
        dw = k->partial + (size_t)(tid - 1) * (k->nw + nb);
        memset(dw, 0, (k->nw + nb) * sizeof(float));
        db = k->db ? dw + k->nw : NULL;
    }
    conv2d_backward(k->g, k->x + lo * k->xs, k->w, k->dy + lo * k->ys, k->dx ? k->dx + lo * k->xs : NULL, dw, db,
                    hi - lo, k->work + (size_t)tid * k->wpt);
}

void par_conv_backward(ThreadPool *p, const ConvGeom *g, const float *x, const float *w, const float *dy,
                       float *dx, float *dw, float *db, int n, float *work, size_t work_per_thread, float *partial)
{
    if (conv_dnnl_backward(g, x, w, dy, dx, dw, db, n, pool_threads(p))) return;
    ConvCtx k = {.g = g, .x = x, .w = w, .dy = dy, .dx = dx, .dw = dw, .db = db, .work = work,
                 .wpt = work_per_thread, .partial = partial, .xs = (size_t)g->cin * g->h * g->w,
                 .ys = (size_t)g->cout * g->ho * g->wo,
                 .nw = (size_t)g->cout * (g->cin / g->groups) * g->k * g->k};
    pool_run(p, n, conv_bwd_task, &k);
    int used = pool_threads(p) < n ? pool_threads(p) : n;
    size_t nb = db ? (size_t)g->cout : 0;
    for (int t = 1; t < used && dw; t++) {   /* fixed order: reproducible sums */
        const float *pw = partial + (size_t)(t - 1) * (k.nw + nb);
        for (size_t i = 0; i < k.nw; i++) dw[i] += pw[i];
        for (size_t i = 0; i < nb; i++) db[i] += pw[k.nw + i];
    }
}

typedef struct {
    const float *x, *dy, *gamma, *beta, *mean, *var, *invstd_c, *yact;
    float *y, *dx, *run_mean, *run_var, *mean_o, *invstd, *dgamma, *dbeta;
    int n, c, hw, act;
    float momentum;
} BnCtx;

static void bn_eval_task(void *c, int tid, int lo, int hi)
{
    (void)tid;
    BnCtx *k = c;
    size_t s = (size_t)k->c * k->hw;
    batchnorm_forward_eval(k->x + lo * s, k->y + lo * s, hi - lo, k->c, k->hw, k->gamma, k->beta, k->mean, k->var);
}

void par_bn_eval(ThreadPool *p, const float *x, float *y, int n, int c, int hw, const float *gamma,
                 const float *beta, const float *mean, const float *var)
{
    BnCtx k = {.x = x, .y = y, .n = n, .c = c, .hw = hw, .gamma = gamma, .beta = beta, .mean = mean, .var = var};
    pool_run(p, n, bn_eval_task, &k);
}

static void bn_train_task(void *c, int tid, int lo, int hi)
{
    (void)tid;
    BnCtx *k = c;
    batchnorm_forward_train_range(k->x, k->y, k->n, k->c, k->hw, lo, hi, k->gamma, k->beta, k->run_mean, k->run_var,
                                  k->momentum, k->mean_o, k->invstd, k->act);
}

void par_bn_train(ThreadPool *p, const float *x, float *y, int n, int c, int hw, const float *gamma,
                  const float *beta, float *run_mean, float *run_var, float momentum, float *mean, float *invstd,
                  int act)
{
    BnCtx k = {.x = x, .y = y, .n = n, .c = c, .hw = hw, .gamma = gamma, .beta = beta, .run_mean = run_mean,
               .run_var = run_var, .momentum = momentum, .mean_o = mean, .invstd = invstd, .act = act};
    pool_run(p, c, bn_train_task, &k);
}

static void bn_bwd_task(void *c, int tid, int lo, int hi)
{
    (void)tid;
    BnCtx *k = c;
    batchnorm_backward_range(k->x, k->dy, k->dx, k->n, k->c, k->hw, lo, hi, k->gamma, k->mean, k->invstd_c,
                             k->dgamma, k->dbeta, k->yact, k->act);
}

void par_bn_backward(ThreadPool *p, const float *x, const float *dy, float *dx, int n, int c, int hw,
                     const float *gamma, const float *mean, const float *invstd, float *dgamma, float *dbeta,
                     const float *y, int act)
{
    BnCtx k = {.x = x, .dy = dy, .dx = dx, .n = n, .c = c, .hw = hw, .gamma = gamma, .mean = mean,
               .invstd_c = invstd, .dgamma = dgamma, .dbeta = dbeta, .yact = y, .act = act};
    pool_run(p, c, bn_bwd_task, &k);
}

typedef struct { EwOp op; const float *a, *b; float *y; size_t count; } EwCtx;

enum { EW_BLOCK = 4096 };

static void ew_task(void *c, int tid, int lo, int hi)
{
    (void)tid;
    EwCtx *k = c;
    size_t s = (size_t)lo * EW_BLOCK, e = (size_t)hi * EW_BLOCK;
    if (e > k->count) e = k->count;
    size_t m = e - s;
    const float *a = k->a ? k->a + s : NULL, *b = k->b ? k->b + s : NULL;
    float *y = k->y + s;
    switch (k->op) {
    case EW_RELU: relu_forward(a, y, m); break;
    case EW_RELU6: relu6_forward(a, y, m); break;
    case EW_RELU_BWD: relu_backward(a, b, y, m); break;
    case EW_RELU6_BWD: relu6_backward(a, b, y, m); break;
    case EW_ADD: add_forward(a, b, y, m); break;
    case EW_ACC: accumulate(a, y, m); break;
    case EW_COPY: memcpy(y, a, m * sizeof(float)); break;
    case EW_ZERO: memset(y, 0, m * sizeof(float)); break;
    }
}

void par_elementwise(ThreadPool *p, EwOp op, const float *a, const float *b, float *y, size_t count)
{
    EwCtx k = {op, a, b, y, count};
    pool_run(p, (int)((count + EW_BLOCK - 1) / EW_BLOCK), ew_task, &k);
}

typedef struct {
    const float *x, *dy;
    const int *arg_c;
    float *y, *dx;
    int *arg;
    int c, h, w, k, stride, pad, ho, wo, hw_in, hw_out;
} PoolCtx;

static void maxpool_fwd_task(void *c, int tid, int lo, int hi)
{
    (void)tid;
    PoolCtx *k = c;
    size_t xs = (size_t)k->c * k->h * k->w, ys = (size_t)k->c * k->ho * k->wo;
    if (k->arg)
        maxpool_forward_arg(k->x + lo * xs, k->y + lo * ys, k->arg + lo * ys, hi - lo, k->c, k->h, k->w, k->k, k->stride,
                            k->pad, k->ho, k->wo);
    else
        maxpool_forward(k->x + lo * xs, k->y + lo * ys, hi - lo, k->c, k->h, k->w, k->k, k->stride, k->pad, k->ho, k->wo);
}

void par_maxpool_forward(ThreadPool *p, const float *x, float *y, int *arg, int n, int c, int h, int w, int k,
                         int stride, int pad, int ho, int wo)
{
    PoolCtx ctx = {.x = x, .y = y, .arg = arg, .c = c, .h = h, .w = w, .k = k, .stride = stride, .pad = pad,
                   .ho = ho, .wo = wo};
    pool_run(p, n, maxpool_fwd_task, &ctx);
}

static void maxpool_bwd_task(void *c, int tid, int lo, int hi)
{
    (void)tid;
    PoolCtx *k = c;
    size_t xs = (size_t)k->c * k->hw_in, ys = (size_t)k->c * k->hw_out;
    maxpool_backward(k->dy + lo * ys, k->arg_c + lo * ys, k->dx + lo * xs, hi - lo, k->c, k->hw_in, k->hw_out);
}

void par_maxpool_backward(ThreadPool *p, const float *dy, const int *arg, float *dx, int n, int c, int hw_in,
                          int hw_out)
{
    PoolCtx ctx = {.dy = dy, .arg_c = arg, .dx = dx, .c = c, .hw_in = hw_in, .hw_out = hw_out};
    pool_run(p, n, maxpool_bwd_task, &ctx);
}

static void avgpool_fwd_task(void *c, int tid, int lo, int hi)
{
    (void)tid;
    PoolCtx *k = c;
    avgpool_forward(k->x + (size_t)lo * k->c * k->hw_in, k->y + (size_t)lo * k->c, hi - lo, k->c, k->hw_in);
}

void par_avgpool_forward(ThreadPool *p, const float *x, float *y, int n, int c, int hw)
{
    PoolCtx ctx = {.x = x, .y = y, .c = c, .hw_in = hw};
    pool_run(p, n, avgpool_fwd_task, &ctx);
}

static void avgpool_bwd_task(void *c, int tid, int lo, int hi)
{
    (void)tid;
    PoolCtx *k = c;
    avgpool_backward(k->dy + (size_t)lo * k->c, k->dx + (size_t)lo * k->c * k->hw_in, hi - lo, k->c, k->hw_in);
}

void par_avgpool_backward(ThreadPool *p, const float *dy, float *dx, int n, int c, int hw)
{
    PoolCtx ctx = {.dy = dy, .dx = dx, .c = c, .hw_in = hw};
    pool_run(p, n, avgpool_bwd_task, &ctx);
}

typedef struct { const float *x, *w, *b, *dy; float *y, *dx, *dw, *db; int n, in, out; } LinCtx;

static void lin_fwd_task(void *c, int tid, int lo, int hi)
{
    (void)tid;
    LinCtx *k = c;
    linear_forward_range(k->x, k->w, k->b, k->y, k->n, k->in, k->out, lo, hi);
}

static void lin_bwd_w_task(void *c, int tid, int lo, int hi)
{
    (void)tid;
    LinCtx *k = c;
    linear_backward_w_range(k->x, k->dy, k->dw, k->db, k->n, k->in, k->out, lo, hi);
}

static void lin_bwd_x_task(void *c, int tid, int lo, int hi)
{
    (void)tid;
    LinCtx *k = c;
    linear_backward_x_range(k->w, k->dy, k->dx, k->n, k->in, k->out, lo, hi);
}

void par_linear_forward(ThreadPool *p, const float *x, const float *w, const float *b, float *y, int n, int in,
                        int out)
{
    LinCtx k = {.x = x, .w = w, .b = b, .y = y, .n = n, .in = in, .out = out};
    pool_run(p, out, lin_fwd_task, &k);
}

void par_linear_backward(ThreadPool *p, const float *x, const float *w, const float *dy, float *dx, float *dw,
                         float *db, int n, int in, int out)
{
    LinCtx k = {.x = x, .w = w, .dy = dy, .dx = dx, .dw = dw, .db = db, .n = n, .in = in, .out = out};
    if (dw) pool_run(p, out, lin_bwd_w_task, &k);
    if (dx) pool_run(p, in, lin_bwd_x_task, &k);
}
