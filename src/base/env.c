/* env.c — the recorded environment (see env.h). */
#include "base/env.h"

#include <string.h>

#include "base/blas.h"

/* Defined by the link rule of build/mta (a generated file), absent elsewhere. */
extern const char mta_build_version[] __attribute__((weak));

const char *mta_version(void) { return mta_build_version ? mta_build_version : "unknown"; }

const char *mta_compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown";
#endif
}

static const char *compute_note;

void env_set_compute_note(const char *note) { compute_note = note; }

/* OpenBLAS's configuration without the trailing blank it prints, then the note of another
 * library doing part of the arithmetic, if any. */
static const char *blas_name(void)
{
    static char buf[384];
    snprintf(buf, sizeof buf, "%s", blas_config());
    size_t n = strlen(buf);
    while (n && buf[n - 1] == ' ') buf[--n] = 0;
    if (compute_note) snprintf(buf + n, sizeof buf - n, "; %s", compute_note);
    return buf;
}

EnvInfo env_info(int threads)
{
    EnvInfo e = {mta_version(), mta_compiler(), blas_name(), blas_corename(), threads};
    return e;
}

const char *const env_field_names[ENV_NFIELDS] = {"mta_version", "compiler", "blas", "blas_kernel", "threads"};

const char *env_field_value(const EnvInfo *e, int k, char *buf, size_t n)
{
    switch (k) {
    case 0: return e->version;
    case 1: return e->compiler;
    case 2: return e->blas;
    case 3: return e->blas_kernel;
    default: snprintf(buf, n, "%d", e->threads); return buf;
    }
}

void env_write_rows(const EnvInfo *e, FILE *f)
{
    char buf[32];
    for (int k = 0; k < ENV_NFIELDS; k++) fprintf(f, "%s\t%s\n", env_field_names[k], env_field_value(e, k, buf, sizeof buf));
}
