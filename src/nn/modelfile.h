/* modelfile.h — the model description language (experiments/models/README.md).
 *
 * Parsing runs in two stages: modelfile_parse splits the text into lines of
 * (op, key=value pairs, line number); net_build expands each line into nodes and
 * parameters (net.h), checking every key and every shape on the way.
 */
#ifndef MTA_MODELFILE_H
#define MTA_MODELFILE_H

#include <stdarg.h>
#include <stddef.h>
#include "nn/net.h"

#define MF_MAX_KEYS 12

typedef struct {
    int lineno;                         /* 1-based line in the file */
    char op[32];
    int nkeys;
    char key[MF_MAX_KEYS][32];
    char val[MF_MAX_KEYS][32];
    int used[MF_MAX_KEYS];              /* set by the stage-two readers */
} MfLine;

typedef struct {
    MfLine *lines; int n;               /* owned */
} ModelDesc;

/* The stage-two message of every builder (nets here, language models in nn/lm_build.c):
 * "path:line: op: <fmt>" for a line (ml non-NULL), "path: <fmt>" otherwise.  Returns -1. */
int modelfile_verr(char *err, size_t errsz, const char *path, const MfLine *ml, const char *fmt, va_list ap);

/* Stage one.  path is used only in messages.  Returns 0, or -1 with err filled. */
int modelfile_parse(const char *path, const char *text, ModelDesc *md, char *err, size_t errsz);
void modeldesc_free(ModelDesc *md);

/* Stage two: build a network for input shape `input`, `classes` outputs and width
 * multiplier `width` (classes 0: a model fragment whose output shape is not checked;
 * net->classes is then the output's element count).  name is the model's name (e.g. "ResNet_18").  Returns a new Net
 * (free with net_free) or NULL with err filled ("path:line: op: what (expected ...)"). */
Net *net_build(const char *path, const char *name, const char *text, Shape input, int classes,
               double width, char *err, size_t errsz);

/* Resolve a model argument: an existing path, or a name looked up as
 * experiments/models/NAME.model (relative to the current directory, then to the directory
 * in $MTA_MODELS).  Writes the path into out and the model name (file stem) into name. */
int model_resolve(const char *arg, char *out, size_t outsz, char *name, size_t namesz,
                  char *err, size_t errsz);

/* Convenience for the CLI: resolve, read and build; dies with the message on error. */
Net *net_load_model(const char *arg, Shape input, int classes, double width);

#endif
