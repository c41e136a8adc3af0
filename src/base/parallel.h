/* parallel.h — a small blocking thread pool for data-parallel loops.
 *
 * pool_run(pool, n, fn, ctx) splits [0, n) into one contiguous range per thread (in thread
 * order, so the partition depends only on n and the thread count) and calls fn(ctx, tid,
 * lo, hi) for each non-empty range; the calling thread runs range 0.  Workers sleep on a
 * condition variable between jobs: no busy-waiting, so the pool behaves on a shared
 * machine.  A NULL pool runs fn(ctx, 0, 0, n) inline.  Reductions that must be
 * deterministic write per-thread partial results and combine them in thread order.
 */
#ifndef MTA_PARALLEL_H
#define MTA_PARALLEL_H

typedef struct ThreadPool ThreadPool;
typedef void (*TaskFn)(void *ctx, int tid, int lo, int hi);

/* A pool of nthreads threads (the caller counts as one); nthreads <= 1 returns NULL.
 * Either way OpenBLAS is pinned to one thread (base/blas.h): the pool is the parallelism. */
ThreadPool *pool_new(int nthreads);
void pool_free(ThreadPool *p);      /* pool_free(NULL) is a no-op */
int pool_threads(const ThreadPool *p);   /* 1 for NULL */
void pool_run(ThreadPool *p, int n, TaskFn fn, void *ctx);

#endif
