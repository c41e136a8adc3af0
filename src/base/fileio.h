/* fileio.h — the one file reader and the one atomic writer of the engine.
 *
 * Every result mta writes (tables, logs, checkpoints) goes through an AtomicFile: the text is
 * written to "<path>.tmp.<pid>" in the same directory, flushed, fsync'ed and renamed over
 * path, so a reader (or an interrupted run) sees either the old file or the whole new one,
 * never half of it.  The file gets the usual mode (0666 less the umask). */
#ifndef MTA_FILEIO_H
#define MTA_FILEIO_H

#include <stddef.h>
#include <stdio.h>

/* The whole file as a NUL-terminated string (caller frees), its length in *len (may be NULL).
 * Text files only when text is set: a NUL byte inside is then an error.  At most max_bytes.
 * On failure NULL, with "<path>: <reason>" in err. */
char *file_read_all(const char *path, size_t max_bytes, int text, size_t *len, char *err, size_t errsz);
/* The text-file case with a 64 MiB limit. */
char *read_text_file(const char *path, char *err, size_t errsz);

typedef struct {
    FILE *f;             /* write here (owned until commit/abort) */
    char *path, *tmp;    /* owned */
} AtomicFile;

/* Open "<path>.tmp.<pid>" for writing.  0, or -1 with the reason in err. */
int atomic_open(AtomicFile *af, const char *path, char *err, size_t errsz);
/* Flush, fsync, close and rename over path.  0, or -1 with the reason in err (the temporary
 * file is removed).  Either way af is released. */
int atomic_commit(AtomicFile *af, char *err, size_t errsz);
/* Close and remove the temporary file; af is released.  No-op on a released af. */
void atomic_abort(AtomicFile *af);

/* The same as the dying variants for the CLI and the pipeline stages. */
FILE *atomic_open_or_die(AtomicFile *af, const char *path);
void atomic_commit_or_die(AtomicFile *af);

/* A table's sibling: path with a trailing ".tsv" replaced by suffix (appended when path does
 * not end in ".tsv"), e.g. "ptq/A.tsv" + ".settings.tsv" -> "ptq/A.settings.tsv"; into out (n
 * bytes, truncated to fit). */
void path_sibling(const char *path, const char *suffix, char *out, size_t n);
/* Best effort: make a rename durable by syncing the directory holding path. */
void fsync_parent_dir(const char *path);

#endif
