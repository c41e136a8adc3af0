/* peak.h — this machine's single-precision FMA peak, measured (mta bench --layers).
 *
 * A loop of independent fused multiply-adds on the widest vectors the CPU runs (AVX-512 when
 * it has it, else AVX2+FMA; plain C elsewhere), on every thread of the pool at once, for about
 * `seconds`.  What a layer's GFLOP/s is compared with: a kernel at 100 % of it keeps every FMA
 * unit busy.  A FLOP is half an FMA (a multiply and an add), as in GFLOP/s = 2 x MACs / s.
 */
#ifndef MTA_PEAK_H
#define MTA_PEAK_H

#include "base/parallel.h"

typedef struct {
    double gflops;     /* all threads of the pool together */
    int threads;
    const char *isa;   /* "avx512f", "avx2+fma" or "c" */
} FmaPeak;

FmaPeak fma_peak(ThreadPool *pool, double seconds);

#endif
