/* blas.c — OpenBLAS threading and identification (see blas.h). */
#include "base/blas.h"

void openblas_set_num_threads(int n);
char *openblas_get_corename(void);
char *openblas_get_config(void);

void blas_pin_single_thread(void) { openblas_set_num_threads(1); }

const char *blas_corename(void)
{
    const char *s = openblas_get_corename();
    return s && *s ? s : "unknown";
}

const char *blas_config(void)
{
    const char *s = openblas_get_config();
    return s && *s ? s : "unknown";
}
