/* blas.h — the one place that talks to OpenBLAS outside the GEMM calls themselves.
 *
 * mta parallelizes with its own thread pool (base/parallel.h) and runs every BLAS call
 * single-threaded inside it: OpenBLAS's own spinning workers would fight the pool.  Results
 * depend on the BLAS kernel OpenBLAS picks for the CPU (OPENBLAS_CORETYPE, or autodetection
 * when unset): different kernels sum in different orders, so tables are byte-identical only
 * for the same seed, thread count and kernel (see the README, "Reproducibility"). */
#ifndef MTA_BLAS_H
#define MTA_BLAS_H

/* Pin OpenBLAS to one thread (idempotent; called by the thread pool's owners). */
void blas_pin_single_thread(void);
/* The kernel OpenBLAS chose, e.g. "Haswell", "SkylakeX", "Cooperlake" (static storage). */
const char *blas_corename(void);
/* OpenBLAS's build configuration string, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY ..." */
const char *blas_config(void);

#endif
