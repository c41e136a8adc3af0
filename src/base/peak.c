/* peak.c — the measured FMA peak (peak.h). */
#include "base/peak.h"

#include <time.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PEAK_X86 1
#endif

enum { ACC = 12 };   /* independent chains: latency (4-5 cycles) x FMA ports (2) and a margin */

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#ifdef PEAK_X86
__attribute__((target("avx512f"))) static float loop_avx512(long iters)
{
    __m512 a[ACC], b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    for (int k = 0; k < ACC; k++) a[k] = _mm512_set1_ps(1.0f + (float)k);
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < ACC; k++) a[k] = _mm512_fmadd_ps(a[k], b, c);
    __m512 s = a[0];
    for (int k = 1; k < ACC; k++) s = _mm512_add_ps(s, a[k]);
    return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) static float loop_avx2(long iters)
{
    __m256 a[ACC], b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (int k = 0; k < ACC; k++) a[k] = _mm256_set1_ps(1.0f + (float)k);
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < ACC; k++) a[k] = _mm256_fmadd_ps(a[k], b, c);
    __m256 s = a[0];
    for (int k = 1; k < ACC; k++) s = _mm256_add_ps(s, a[k]);
    float v[8];
    _mm256_storeu_ps(v, s);
    return v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
}
#endif

static float loop_c(long iters)
{
    float a[ACC];
    for (int k = 0; k < ACC; k++) a[k] = 1.0f + (float)k;
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < ACC; k++) a[k] = a[k] * 0.999999f + 1e-7f;
    float s = 0;
    for (int k = 0; k < ACC; k++) s += a[k];
    return s;
}

typedef struct {
    int width;   /* floats per vector: 16, 8 or 1 */
    long iters;
    volatile float sink;
} PeakCtx;

static void peak_task(void *vc, int tid, int lo, int hi)
{
    (void)tid; (void)lo; (void)hi;
    PeakCtx *c = vc;
    float s;
#ifdef PEAK_X86
    if (c->width == 16) s = loop_avx512(c->iters);
    else if (c->width == 8) s = loop_avx2(c->iters);
    else
#endif
        s = loop_c(c->iters);
    c->sink = s;
}

FmaPeak fma_peak(ThreadPool *pool, double seconds)
{
    FmaPeak p = {0, pool_threads(pool), "c"};
    PeakCtx c = {1, 1000, 0};
#ifdef PEAK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) { c.width = 16; p.isa = "avx512f"; }
    else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) { c.width = 8; p.isa = "avx2+fma"; }
#endif
    int T = p.threads;
    /* grow the loop until one run takes a tenth of the budget, then take the best of the runs
     * that fill it (the fastest run is the one least disturbed by other work) */
    double dt = 0;
    for (;;) {
        double t0 = seconds_now();
        pool_run(pool, T, peak_task, &c);
        dt = seconds_now() - t0;
        if (dt > seconds / 10 || c.iters > (1L << 40)) break;
        c.iters *= 4;
    }
    double best = dt, t_end = seconds_now() + seconds;
    while (seconds_now() < t_end) {
        double t0 = seconds_now();
        pool_run(pool, T, peak_task, &c);
        double d = seconds_now() - t0;
        if (d < best) best = d;
    }
    p.gflops = 2.0 * ACC * c.width * (double)c.iters * T / best / 1e9;
    return p;
}
