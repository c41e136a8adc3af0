/* fuzz_util.h — helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c): a private
 * scratch directory per process, writing the fuzz input (or a fixed companion file) into it.
 * The targets call the engine's parsers exactly as the tool does; a parser must answer any
 * input with an error message, never a crash, a leak, an exit or undefined behaviour. */
#ifndef MTA_FUZZ_UTIL_H
#define MTA_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

/* The process's scratch directory (created once). */
static inline const char *fuzz_dir(void)
{
    static char dir[256];
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s/mta_fuzz_%ld_XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
        if (!mkdtemp(dir)) abort();
    }
    return dir;
}

/* dir/name, in a static buffer of 4 rotating slots. */
static inline const char *fuzz_path(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", fuzz_dir(), name);
    return buf[k];
}

static inline void fuzz_write(const char *path, const uint8_t *data, size_t n, int gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb");
        if (!f) abort();
        if (n && gzwrite(f, data, (unsigned)n) != (int)n) abort();
        gzclose(f);
        return;
    }
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(data, 1, n, f) != n) || fclose(f)) abort();
}

#endif
