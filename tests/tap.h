/* tap.h — a tiny TAP producer for the C tests (header-only).
 *
 *   plan(n) or plan_no_plan(); ok(cond, "name %d", ...); is_close(got, want, atol, rtol, name);
 *   diag("..."); return done_testing();
 * The exit status is non-zero when any test failed or the plan was not met.
 * run_cmd(...) runs a shell command and returns its exit status, capturing stderr into a
 * buffer so tests can assert on error messages.
 */
#ifndef MTA_TAP_H
#define MTA_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

typedef struct { int planned, run, failed, after_failure; } TapState;
static inline TapState *tap_state(void) { static TapState s; return &s; }

static inline void plan(int n) { tap_state()->planned = n; printf("1..%d\n", n); fflush(stdout); }
static inline void plan_no_plan(void) { tap_state()->planned = -1; }

/* A "# ..." comment.  On stdout (prove shows it only with -v), except right after a failed
 * test: then on stderr too, so `make test` shows why a test failed without -v. */
static inline void diag(const char *fmt, ...)
{
    va_list ap;
    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    if (tap_state()->after_failure) {
        fprintf(stderr, "#   ");
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\n");
    }
}

static inline int ok(int cond, const char *fmt, ...)
{
    TapState *t = tap_state();
    va_list ap;
    t->run++;
    if (!cond) t->failed++;
    printf("%sok %d - ", cond ? "" : "not ", t->run);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    t->after_failure = !cond;
    if (!cond) {
        fprintf(stderr, "# Failed test %d - ", t->run);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\n");
    }
    return cond;
}

/* |got - want| <= atol + rtol*|want|; prints a diagnostic on failure. */
static inline int is_close(double got, double want, double atol, double rtol, const char *name)
{
    double d = fabs(got - want);
    int c = (d <= atol + rtol * fabs(want)) || (isnan(got) && isnan(want));
    ok(c, "%s", name);
    if (!c) diag("got %.9g want %.9g (diff %.3g, atol %.3g rtol %.3g)", got, want, d, atol, rtol);
    return c;
}

static inline int done_testing(void)
{
    TapState *t = tap_state();
    if (t->planned < 0) printf("1..%d\n", t->run);
    else if (t->planned != t->run) {
        printf("# planned %d tests but ran %d\n", t->planned, t->run);
        return 1;
    }
    if (t->failed) printf("# failed %d of %d\n", t->failed, t->run);
    return t->failed ? 1 : 0;
}

/* Run `cmd` through sh with stderr captured into err (size errsz); returns the exit
 * status (128+signal when killed by a signal). */
static inline int run_cmd(char *err, size_t errsz, const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[4200];
    snprintf(full, sizeof full, "( %s ) 2>&1 >/dev/null", cmd);
    FILE *p = popen(full, "r");
    if (!p) return -1;
    size_t n = 0;
    if (err && errsz) {
        n = fread(err, 1, errsz - 1, p);
        err[n] = 0;
    }
    /* drain the rest (beyond the buffer), or the command dies of SIGPIPE */
    char buf[4096];
    while (fread(buf, 1, sizeof buf, p) > 0) {}
    int st = pclose(p);
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return -1;
}

/* 1 when Debian's dataset-fashion-mnist is installed; otherwise writes a TAP skip line so
 * the caller can `return done_testing();`. */
static inline int have_fmnist(void)
{
    struct stat st;
    if (stat("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", &st) == 0) return 1;
    ok(1, "# SKIP dataset-fashion-mnist not installed");
    return 0;
}

#endif
