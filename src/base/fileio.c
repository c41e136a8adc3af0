/* fileio.c — file reader and atomic writer (see fileio.h). */
#include "base/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/check.h"

char *file_read_all(const char *path, size_t max_bytes, int text, size_t *len, char *err, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f) { set_errf(err, errsz, "%s: cannot open: %s", path, strerror(errno)); return NULL; }
    size_t cap = 4096, n = 0, r;
    char *buf = xmalloc(cap);
    while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (n > max_bytes) {
            fclose(f);
            free(buf);
            set_errf(err, errsz, "%s: file too large (more than %zu bytes)", path, max_bytes);
            return NULL;
        }
        if (n + 1 == cap) { cap *= 2; buf = xrealloc(buf, cap); }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) { free(buf); set_errf(err, errsz, "%s: read error", path); return NULL; }
    buf[n] = 0;
    if (text && strlen(buf) != n) {
        free(buf);
        set_errf(err, errsz, "%s: contains a NUL byte (not a text file)", path);
        return NULL;
    }
    if (len) *len = n;
    return buf;
}

char *read_text_file(const char *path, char *err, size_t errsz)
{
    return file_read_all(path, (size_t)64 << 20, 1, NULL, err, errsz);
}

void fsync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir;
    if (!slash) dir = xstrdup(".");
    else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        dir = xmalloc(n + 1);
        memcpy(dir, path, n);
        dir[n] = 0;
    }
    int fd = open(dir, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

static void release(AtomicFile *af)
{
    free(af->path);
    free(af->tmp);
    af->f = NULL;
    af->path = af->tmp = NULL;
}

int atomic_open(AtomicFile *af, const char *path, char *err, size_t errsz)
{
    size_t n = strlen(path) + 32;
    af->path = xstrdup(path);
    af->tmp = xmalloc(n);
    snprintf(af->tmp, n, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(af->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    af->f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!af->f) {
        set_errf(err, errsz, "%s: cannot create temporary file %s: %s", path, af->tmp, strerror(errno));
        if (fd >= 0) { close(fd); unlink(af->tmp); }
        release(af);
        return -1;
    }
    return 0;
}

int atomic_commit(AtomicFile *af, char *err, size_t errsz)
{
    const char *what = NULL;
    int saved = 0;
    if (fflush(af->f) || ferror(af->f)) { what = "write to"; saved = errno; }
    else if (fsync(fileno(af->f))) { what = "fsync of"; saved = errno; }
    if (fclose(af->f) && !what) { what = "close of"; saved = errno; }
    if (!what && rename(af->tmp, af->path)) { what = "rename of"; saved = errno; }
    int r = 0;
    if (what) {
        unlink(af->tmp);
        r = set_errf(err, errsz, "%s: %s temporary file %s failed: %s", af->path, what, af->tmp,
                    saved ? strerror(saved) : "I/O error");
    } else fsync_parent_dir(af->path);
    release(af);
    return r;
}

void atomic_abort(AtomicFile *af)
{
    if (!af->f) return;
    fclose(af->f);
    unlink(af->tmp);
    release(af);
}

FILE *atomic_open_or_die(AtomicFile *af, const char *path)
{
    char err[1024];
    if (atomic_open(af, path, err, sizeof err)) die("%s", err);
    return af->f;
}

void atomic_commit_or_die(AtomicFile *af)
{
    char err[1024];
    if (atomic_commit(af, err, sizeof err)) die("%s", err);
}

void path_sibling(const char *path, const char *suffix, char *out, size_t n)
{
    size_t len = strlen(path);
    if (len >= 4 && !strcmp(path + len - 4, ".tsv")) len -= 4;
    snprintf(out, n, "%.*s%s", (int)len, path, suffix);
}
