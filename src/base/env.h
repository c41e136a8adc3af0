/* env.h — what a result depends on besides its inputs and seed, recorded with every
 * checkpoint and result table: the mta version, the compiler, the BLAS library and the kernel
 * it chose for this CPU, the thread count.  Results are byte-identical for the same seed,
 * threads and BLAS kernel; other kernels sum in other orders (see the README). */
#ifndef MTA_ENV_H
#define MTA_ENV_H

#include <stdio.h>

/* `git describe --always --dirty` of the source tree the binary was linked from ("unknown"
 * for binaries linked without it, e.g. the unit tests). */
const char *mta_version(void);
/* e.g. "gcc 12.2.0" */
const char *mta_compiler(void);

typedef struct {
    const char *version, *compiler, *blas, *blas_kernel;   /* static storage */
    int threads;
} EnvInfo;

/* Another library doing part of the arithmetic, recorded after the BLAS configuration in the
 * blas field (e.g. "convolutions: oneDNN 2.6.3 (avx512_core)"); static storage, NULL: none. */
void env_set_compute_note(const char *note);
/* The environment of this process, running with `threads` compute threads. */
EnvInfo env_info(int threads);
/* The recorded fields, in order: their names (the column and metadata names) and values. */
#define ENV_NFIELDS 5
extern const char *const env_field_names[ENV_NFIELDS];   /* mta_version compiler blas blas_kernel threads */
/* Value of field k as text into buf. */
const char *env_field_value(const EnvInfo *e, int k, char *buf, size_t n);
/* TSV rows "name<TAB>value", one per field. */
void env_write_rows(const EnvInfo *e, FILE *f);

#endif
