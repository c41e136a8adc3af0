/* parallel.c — condition-variable thread pool (see parallel.h). */
#include "base/parallel.h"

#include <pthread.h>
#include <stdlib.h>

#include "base/blas.h"
#include "base/check.h"

struct ThreadPool {
    int n;                      /* threads including the caller */
    pthread_t *th;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned long gen;          /* job generation */
    int pending;                /* workers still running the current job */
    int quit;
    TaskFn fn;
    void *ctx;
    int total;                  /* size of the current range */
};

typedef struct { ThreadPool *p; int tid; } WorkerArg;

static void range_of(int total, int nth, int tid, int *lo, int *hi)
{
    long base = total / nth, rem = total % nth;
    *lo = (int)(tid * base + (tid < rem ? tid : rem));
    *hi = (int)(*lo + base + (tid < rem ? 1 : 0));
}

static void *worker(void *arg)
{
    WorkerArg *wa = arg;
    ThreadPool *p = wa->p;
    int tid = wa->tid;
    free(wa);
    unsigned long seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->gen == seen && !p->quit) pthread_cond_wait(&p->go, &p->mu);
        if (p->quit) break;
        seen = p->gen;
        TaskFn fn = p->fn;
        void *ctx = p->ctx;
        int lo, hi;
        range_of(p->total, p->n, tid, &lo, &hi);
        pthread_mutex_unlock(&p->mu);
        if (hi > lo) fn(ctx, tid, lo, hi);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0) pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

ThreadPool *pool_new(int nthreads)
{
    blas_pin_single_thread();   /* BLAS runs inside the pool's threads, one thread each */
    if (nthreads <= 1) return NULL;
    ThreadPool *p = xcalloc(1, sizeof *p);
    p->n = nthreads;
    p->th = xcalloc((size_t)nthreads, sizeof(pthread_t));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->go, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int t = 1; t < nthreads; t++) {
        WorkerArg *wa = xmalloc(sizeof *wa);
        wa->p = p;
        wa->tid = t;
        if (pthread_create(&p->th[t], NULL, worker, wa)) die("cannot start thread %d of %d", t, nthreads);
    }
    return p;
}

void pool_free(ThreadPool *p)
{
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    for (int t = 1; t < p->n; t++) pthread_join(p->th[t], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->go);
    pthread_cond_destroy(&p->done);
    free(p->th);
    free(p);
}

int pool_threads(const ThreadPool *p) { return p ? p->n : 1; }

void pool_run(ThreadPool *p, int n, TaskFn fn, void *ctx)
{
    if (n <= 0) return;
    if (!p || n == 1) {
        fn(ctx, 0, 0, n);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->total = n;
    p->pending = p->n - 1;
    p->gen++;
    pthread_cond_broadcast(&p->go);
    pthread_mutex_unlock(&p->mu);
    int lo, hi;
    range_of(n, p->n, 0, &lo, &hi);
    if (hi > lo) fn(ctx, 0, lo, hi);
    pthread_mutex_lock(&p->mu);
    while (p->pending > 0) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
