/* fit_cmd.c — `mta fit`: read TSV tables, fit a curve per group and pooled, leave-one-group-out
 * errors, and write PREFIX.coef.tsv / PREFIX.curve.tsv, and with --by PREFIX.lomo.tsv (the leave-one-group-out prediction of every row).
 *
 * Errors never exit: they print "error: ..." on stderr and cmd_fit returns 2, so the command
 * can be tested in-process. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/check.h"
#include "base/fileio.h"
#include "cli/cli.h"
#include "cli/commands.h"
#include "fit/fit.h"

#define MAX_FILES 256

static int errorf(const char *fmt, ...) MTA_PRINTF(1, 2);
static int errorf(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("error: mta fit: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

static const CliFlagSpec fit_flags[] = {
    {"x", "COL", NULL, "the predictor column (found by header name)", 1},
    {"y", "COL", NULL, "the fitted column", 1},
    {"family", "poly|rational|piecewise", NULL, "the curve family", 1},
    {"out", "PREFIX", NULL, "writes PREFIX.coef.tsv, PREFIX.curve.tsv and (with --by) PREFIX.lomo.tsv", 1},
    {"degree", "N", "2 (piecewise: 1)", "polynomial degree (rational: 2..4, of numerator and denominator)", 0},
    {"monotone", NULL, "off", "constrain the curve to be non-decreasing on the data range", 0},
    {"monotone-grid", "H", "off", "monotone checked on a grid of step H in x instead of exactly", 0},
    {"breaks", "b1,b2,..", "none", "breakpoints (piecewise; rational: the plateau start)", 0},
    {"plateau", NULL, "off", "constant after the last breakpoint", 0},
    {"smooth", NULL, "off", "piecewise pieces join with equal slopes", 0},
    {"by", "COL", "none (one pooled fit)", "fit each group of this column, plus the pooled row ALL and its LOMO error", 0},
    {"weights", "COL", "none", "per-row weights", 0},
    {"transform", "identity|log10", "identity", "fit against log10(x + x0)", 0},
    {"x0", "V", "1e-6", "the offset of --transform log10", 0},
    {"seed", "S", "1", "seed of the random restarts", 0},
    {"starts", "N", "8", "random restarts of the non-linear fits", 0},
    {"grid", "N", "201", "points of the monotonicity grid", 0},
    {NULL, NULL, NULL, NULL, 0}};
const CliCommand cmd_fit_info = {"fit", "TSV...", 1, CLI_MAX_POS,
                                 "constrained least-squares fits with R2, RMSE and leave-one-model-out RMSE", fit_flags};

/* ---------------------------------------------------------------------------------------------
 * Flags */

typedef struct {
    const char *files[MAX_FILES];
    int nfiles;
    const char *xcol, *ycol, *bycol, *wcol, *out;
    FitSpec spec;
} FitArgs;

typedef struct { const char *name; int takes_value; const char *value; } Flag;

static int flag_long(const Flag *f, long lo, long hi, long *out)
{
    if (parse_long(f->value, out) || *out < lo || *out > hi)
        return errorf("flag --%s: '%s' is not an integer in %ld..%ld", f->name, f->value, lo, hi);
    return 0;
}

static int flag_double(const Flag *f, double lo, double hi, double *out)
{
    if (parse_double(f->value, out) || !(*out >= lo && *out <= hi))
        return errorf("flag --%s: '%s' is not a number in [%g, %g]", f->name, f->value, lo, hi);
    return 0;
}

/* "b1,b2,..." into spec->breaks. */
static int parse_breaks(const Flag *f, FitSpec *s)
{
    char *buf = xstrdup(f->value), *save = NULL;
    int st = 0;
    s->nbreaks = 0;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        double v;
        if (s->nbreaks == FIT_MAX_BREAKS) { st = errorf("flag --breaks: at most %d breakpoints", FIT_MAX_BREAKS); break; }
        if (parse_double(tok, &v) || !isfinite(v)) { st = errorf("flag --breaks: '%s' is not a number", tok); break; }
        if (s->nbreaks && !(v > s->breaks[s->nbreaks - 1])) { st = errorf("flag --breaks: breakpoints must be strictly increasing ('%s')", f->value); break; }
        s->breaks[s->nbreaks++] = v;
    }
    if (!st && s->nbreaks == 0) st = errorf("flag --breaks: no breakpoint in '%s'", f->value);
    free(buf);
    return st;
}

/* Split argv into flags and positionals with the shared parser (cli.h); errors print the
 * message and the usage and return 2 (the command never exits: tests call it in-process). */
static int scan_flags(int argc, char **argv, Flag *flags, FitArgs *a)
{
    CliArgs args;
    char err[512];
    int r = cli_scan(&cmd_fit_info, argc, argv, 2, &args, err, sizeof err);
    if (r == 1) exit(0);   /* --help */
    if (r) {
        errorf("%s\n", err);
        cli_usage(&cmd_fit_info, stderr);
        return 2;
    }
    for (int k = 0; fit_flags[k].name; k++) flags[k] = (Flag){fit_flags[k].name, fit_flags[k].arg != NULL, args.value[k]};
    flags[sizeof fit_flags / sizeof fit_flags[0] - 1] = (Flag){NULL, 0, NULL};
    for (int k = 0; k < args.npos; k++) a->files[a->nfiles++] = args.pos[k];
    return 0;
}

static const Flag *get(const Flag *flags, const char *name)
{
    for (const Flag *f = flags; f->name; f++)
        if (!strcmp(f->name, name)) return f->value ? f : NULL;
    CHECK(0, "flag --%s not declared", name);
    return NULL;
}

static int parse_family(const Flag *f, FitSpec *s)
{
    const char *v = f->value;
    FitFamily fam;
    if (!strcmp(v, "poly")) fam = FIT_POLY;
    else if (!strcmp(v, "rational")) fam = FIT_RATIONAL;
    else if (!strcmp(v, "piecewise")) fam = FIT_PIECEWISE;
    else return errorf("flag --family: '%s' is not poly, rational or piecewise", v);
    fit_spec_default(s, fam);
    return 0;
}

/* Options that only make sense together, checked before any file is read. */
static int check_combination(const Flag *flags, const FitSpec *s)
{
    if (get(flags, "monotone") && get(flags, "monotone-grid"))
        return errorf("flags --monotone and --monotone-grid exclude each other");
    if (s->family == FIT_POLY && s->nbreaks) return errorf("flag --breaks: family poly takes no breakpoints (use --family piecewise)");
    if (s->family == FIT_PIECEWISE && !s->nbreaks) return errorf("flag --breaks: family piecewise needs breakpoints");
    if (s->family == FIT_RATIONAL && s->nbreaks > 1) return errorf("flag --breaks: family rational takes one breakpoint (the plateau start)");
    if (s->family == FIT_POLY && (s->plateau || s->smooth)) return errorf("flags --plateau and --smooth need --family piecewise");
    if (s->family == FIT_RATIONAL && s->smooth) return errorf("flag --smooth needs --family piecewise");
    if (s->family == FIT_RATIONAL && s->plateau && !s->nbreaks) return errorf("flag --plateau: a rational plateau needs --breaks b");
    if (s->transform != FIT_X_LOG10 && get(flags, "x0")) return errorf("flag --x0 needs --transform log10");
    return 0;
}

static int parse_args(int argc, char **argv, FitArgs *a)
{
    Flag flags[sizeof fit_flags / sizeof fit_flags[0]];
    const Flag *f;
    long v;
    int st;
    memset(a, 0, sizeof *a);
    if ((st = scan_flags(argc, argv, flags, a))) return st;
    a->xcol = get(flags, "x")->value;
    a->ycol = get(flags, "y")->value;
    a->out = get(flags, "out")->value;
    a->bycol = (f = get(flags, "by")) ? f->value : NULL;
    a->wcol = (f = get(flags, "weights")) ? f->value : NULL;
    FitSpec *s = &a->spec;
    if ((st = parse_family(get(flags, "family"), s))) return st;
    if ((f = get(flags, "degree"))) {
        int rat = s->family == FIT_RATIONAL;
        if ((st = flag_long(f, rat ? 2 : 0, rat ? 4 : FIT_MAX_DEGREE, &v))) return st;
        s->degree = (int)v;
    }
    if (get(flags, "monotone")) s->monotone = FIT_MONO_EXACT;
    if ((f = get(flags, "monotone-grid"))) {
        if ((st = flag_double(f, 1e-300, INFINITY, &s->mono_step))) return st;
        s->monotone = FIT_MONO_GRID;
    }
    if ((f = get(flags, "breaks")) && (st = parse_breaks(f, s))) return st;
    s->plateau = get(flags, "plateau") != NULL;
    s->smooth = get(flags, "smooth") != NULL;
    if ((f = get(flags, "transform"))) {
        if (!strcmp(f->value, "log10")) s->transform = FIT_X_LOG10;
        else if (strcmp(f->value, "identity")) return errorf("flag --transform: '%s' is not identity or log10", f->value);
    }
    if ((f = get(flags, "x0")) && (st = flag_double(f, 0, INFINITY, &s->x0))) return st;
    if ((f = get(flags, "seed"))) {
        if ((st = flag_long(f, 0, 0x7fffffffL, &v))) return st;
        s->seed = (uint64_t)v;
    }
    if ((f = get(flags, "starts"))) {
        if ((st = flag_long(f, 0, 10000, &v))) return st;
        s->nrandom = (int)v;
    }
    if ((f = get(flags, "grid"))) {
        if ((st = flag_long(f, 11, 100000, &v))) return st;
        s->grid = (int)v;
    }
    return check_combination(flags, s);
}

/* ---------------------------------------------------------------------------------------------
 * TSV input */

typedef struct {
    int n, cap;
    double *x, *y, *w;
    int *gid;
    char **gname;                       /* group names in order of first appearance */
    int ngroups, gcap;
} Table;

static void table_free(Table *t)
{
    free(t->x); free(t->y); free(t->w); free(t->gid);
    for (int g = 0; g < t->ngroups; g++) free(t->gname[g]);
    free(t->gname);
}

static int table_group(Table *t, const char *name)
{
    for (int g = 0; g < t->ngroups; g++)
        if (!strcmp(t->gname[g], name)) return g;
    if (t->ngroups == t->gcap) {
        t->gcap = t->gcap ? 2 * t->gcap : 16;
        char **ng = xmalloc(sizeof *ng * (size_t)t->gcap);
        if (t->ngroups) memcpy(ng, t->gname, sizeof *ng * (size_t)t->ngroups);
        free(t->gname);
        t->gname = ng;
    }
    t->gname[t->ngroups] = xstrdup(name);
    return t->ngroups++;
}

static void table_push(Table *t, double x, double y, double w, int g)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->x = xrealloc(t->x, sizeof(double) * (size_t)t->cap);
        t->y = xrealloc(t->y, sizeof(double) * (size_t)t->cap);
        t->w = xrealloc(t->w, sizeof(double) * (size_t)t->cap);
        t->gid = xrealloc(t->gid, sizeof(int) * (size_t)t->cap);
    }
    t->x[t->n] = x; t->y[t->n] = y; t->w[t->n] = w; t->gid[t->n] = g;
    t->n++;
}

/* Split line (modified in place) at tabs; returns the field count (at most max). */
static int split_tabs(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line;;) {
        char *tab = strchr(p, '\t');
        if (n < max) fields[n] = p;
        n++;
        if (!tab) break;
        *tab = 0;
        p = tab + 1;
    }
    return n;
}

static char *read_file(const char *path, int *err)
{
    char msg[1024];
    char *buf = read_text_file(path, msg, sizeof msg);
    if (!buf) *err = errorf("%s", msg);
    return buf;
}

static int find_col(char **hdr, int nh, const char *name)
{
    for (int i = 0; i < nh; i++)
        if (!strcmp(hdr[i], name)) return i;
    return -1;
}

static int number_cell(const char *path, int line, const char *col, const char *cell, double *v)
{
    if (parse_double(cell, v) || !isfinite(*v))
        return errorf("%s:%d: column '%s': '%s' is not a finite number", path, line, col, cell);
    return 0;
}

/* Column indices of x, y, weights and group in the header of one file. */
static int header_columns(const char *path, char **hdr, int nh, const FitArgs *a, int idx[4])
{
    const char *names[4] = {a->xcol, a->ycol, a->wcol, a->bycol};
    for (int c = 0; c < 4; c++) {
        idx[c] = -1;
        if (!names[c]) continue;
        if ((idx[c] = find_col(hdr, nh, names[c])) < 0) {
            char list[1024] = "";
            for (int i = 0; i < nh; i++) {
                strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
                strncat(list, hdr[i], sizeof list - strlen(list) - 1);
            }
            return errorf("%s:1: no column '%s' in the header (columns: %s)", path, names[c], list);
        }
    }
    return 0;
}

static int read_table(const char *path, const FitArgs *a, Table *t)
{
    int st = 0;
    char *buf = read_file(path, &st);
    if (!buf) return st;
    char **hdr = NULL, **fld = NULL;
    int nh = 0, lineno = 0, idx[4];
    for (char *line = buf, *next; line && !st; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        lineno++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r') line[--len] = 0;
        if (!hdr) {
            if (!len) { st = errorf("%s:1: empty header line", path); break; }
            int cnt = 1;
            for (const char *c = line; *c; c++) cnt += *c == '\t';
            hdr = xmalloc(sizeof *hdr * (size_t)cnt);
            fld = xmalloc(sizeof *fld * (size_t)cnt);
            nh = split_tabs(line, hdr, cnt);
            st = header_columns(path, hdr, nh, a, idx);
            continue;
        }
        if (!len) continue;
        int nf = split_tabs(line, fld, nh);
        if (nf != nh) { st = errorf("%s:%d: %d fields, the header has %d", path, lineno, nf, nh); break; }
        double x, y, w = 1.0;
        if ((st = number_cell(path, lineno, a->xcol, fld[idx[0]], &x)) ||
            (st = number_cell(path, lineno, a->ycol, fld[idx[1]], &y)) ||
            (idx[2] >= 0 && (st = number_cell(path, lineno, a->wcol, fld[idx[2]], &w))))
            break;
        if (w < 0) { st = errorf("%s:%d: column '%s': weight %g is negative", path, lineno, a->wcol, w); break; }
        table_push(t, x, y, w, idx[3] >= 0 ? table_group(t, fld[idx[3]]) : 0);
    }
    if (!st && !hdr) st = errorf("%s: empty file (no header)", path);
    free(hdr); free(fld); free(buf);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * Output */

/* One output row: the fit of a group (or the pooled one) and its LOMO numbers. */
typedef struct {
    const char *name;
    int status;
    FitModel m;
    double lomo_rmse, base_rmse;
} Row;

/* Every number of the fit tables in one format: the shortest %.Ng (N = 1..17) that reads back
 * as the same double (0.1454545454, not 0.14545454540000002); "nan" for NaN. */
static const char *shortest(double v, char buf[32])
{
    if (isnan(v)) return "nan";
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, 32, "%.*g", p, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}

static void put_coef_list(FILE *f, const FitModel *m, const double *c)
{
    int B = m->spec.degree + 1, nb = m->ncoef / B;
    char b32[32];
    for (int b = 0; b < nb; b++)
        for (int j = 0; j < B; j++) fprintf(f, "%s%s", j ? "," : b ? ";" : "", shortest(c[b * B + j], b32));
}

static void put_num(FILE *f, double v)
{
    char b32[32];
    fprintf(f, "\t%s", shortest(v, b32));
}

static void write_coef_row(FILE *f, const Row *r)
{
    const FitModel *m = &r->m;
    const FitSpec *s = &m->spec;
    int ok = r->status == FIT_OK;
    fprintf(f, "%s\t%s\t%d\t", r->name, fit_family_name(s->family), s->degree);
    if (ok) put_coef_list(f, m, m->coef); else fputc('-', f);
    fprintf(f, "\t%d", m->stats.n);
    put_num(f, ok ? m->stats.r2 : NAN);
    put_num(f, ok ? m->stats.adj_r2 : NAN);
    put_num(f, ok ? m->stats.rmse : NAN);
    put_num(f, r->lomo_rmse);
    put_num(f, r->base_rmse);
    put_num(f, ok ? m->stats.sse : NAN);
    fprintf(f, "\t%d\t%d", m->stats.m_ref, m->stats.k_eff);
    put_num(f, ok ? m->stats.rmse_eff : NAN);
    char b1[32], b2[32], b3[32];
    fprintf(f, "\t%s\t%s\t%s\t%s\t", fit_transform_name(s->transform), shortest(s->x0, b1), shortest(m->u_lo, b2),
            shortest(m->u_hi, b3));
    for (int i = 0; i < s->nbreaks; i++) fprintf(f, "%s%s", i ? "," : "", shortest(s->breaks[i], b1));
    if (!s->nbreaks) fputc('-', f);
    static const char *mono[] = {"none", "exact", "grid"};
    fprintf(f, "\t%s", mono[s->monotone]);
    if (s->monotone == FIT_MONO_GRID) fprintf(f, ":%s", shortest(s->mono_step, b1));
    fprintf(f, "\t%s", m->monotone_exact < 0 ? "-" : m->monotone_exact ? "yes" : "no");
    put_num(f, s->monotone ? m->min_slope : NAN);
    put_num(f, s->family == FIT_RATIONAL ? m->q_min : NAN);
    fprintf(f, "\t%d\t%d\t%d\t%d\t%llu\t", m->n_active, m->starts, m->starts_ok, m->starts_at_best,
            (unsigned long long)s->seed);
    if (ok) {
        double cu[FIT_MAX_COEF];
        fit_coef_in_u(m, cu);
        put_coef_list(f, m, cu);
    } else fputc('-', f);
    if (!ok) fprintf(f, "\t%s\n", m->msg);
    else fprintf(f, "\tok%s%s\n", m->starts && m->starts_at_best < 2 ? "; fragile: best from one start" : "",
                 m->near_pole ? "; near-pole: min Q on the range below 1e-3 of Q(xmin)" : "");
}

static const char coef_header[] =
    "group\tfamily\tdegree\tcoef\tn\tr2\tadj_r2\trmse\tlomo_rmse\tbaseline_rmse\tsse\tk_ref\tk_eff\t"
    "rmse_eff\ttransform\tx0\tu_lo\tu_hi\tbreaks\tmonotone\tmonotone_exact\tmin_slope\tq_min\t"
    "n_active\tstarts\tstarts_ok\tstarts_at_best\tseed\tcoef_u\tstatus\n";

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The curve on [xmin, xmax]: uniform points plus a geometric refinement near xmin. */
static void write_curve_rows(FILE *f, const Row *r)
{
    enum { NU = 201, NG = 29 };
    double xs[NU + NG], lo = r->m.xmin, hi = r->m.xmax;
    for (int i = 0; i < NU; i++) xs[i] = lo + (hi - lo) * i / (NU - 1);
    for (int e = 0; e < NG; e++) xs[NU + e] = lo + (hi - lo) * pow(10.0, -(e + 4) / 4.0);
    qsort(xs, NU + NG, sizeof *xs, cmp_double);
    char b1[32], b2[32];
    for (int i = 0; i < NU + NG; i++) fprintf(f, "%s\t%s\t%s\n", r->name, shortest(xs[i], b1), shortest(fit_eval(&r->m, xs[i]), b2));
}

/* The LOMO predictions, one line per input row in input order: its group, x, y, the
 * prediction of the curve fitted without its group, and that fold's mean ("nan": fold failed). */
static void write_lomo_rows(FILE *f, const Table *t, const double *pred, const double *base)
{
    char b1[32], b2[32], b3[32], b4[32];
    for (int i = 0; i < t->n; i++)
        fprintf(f, "%s\t%s\t%s\t%s\t%s\n", t->gname[t->gid[i]], shortest(t->x[i], b1), shortest(t->y[i], b2),
                shortest(pred[i], b3), shortest(base[i], b4));
}

enum { OUT_COEF, OUT_CURVE, OUT_LOMO };

/* Write PREFIX.SUFFIX atomically (base/fileio.h). */
static int write_atomic(const char *prefix, const char *suffix, int what, const Row *rows, int nrows,
                        const Table *t, const double *pred, const double *base)
{
    size_t len = strlen(prefix) + strlen(suffix) + 2;
    char *path = xmalloc(len), msg[1024];
    snprintf(path, len, "%s.%s", prefix, suffix);
    AtomicFile af;
    int st = 0;
    if (atomic_open(&af, path, msg, sizeof msg)) st = errorf("%s", msg);
    else {
        if (what == OUT_LOMO) {
            fputs("group\tx\ty\tlomo_pred\tbaseline_pred\n", af.f);
            write_lomo_rows(af.f, t, pred, base);
        } else {
            fputs(what == OUT_CURVE ? "group\tx\ty\n" : coef_header, af.f);
            for (int i = 0; i < nrows; i++) {
                if (what == OUT_COEF) write_coef_row(af.f, &rows[i]);
                else if (rows[i].status == FIT_OK) write_curve_rows(af.f, &rows[i]);
            }
        }
        if (atomic_commit(&af, msg, sizeof msg)) st = errorf("%s", msg);
    }
    free(path);
    return st;
}

/* ---------------------------------------------------------------------------------------------
 * Driver */

static void fit_row(const FitSpec *s, const Table *t, int g, Row *r, double *bx, double *by, double *bw)
{
    int n = 0;
    for (int i = 0; i < t->n; i++)
        if (g < 0 || t->gid[i] == g) { bx[n] = t->x[i]; by[n] = t->y[i]; bw[n] = t->w[i]; n++; }
    r->status = fit_model(s, n, bx, by, bw, &r->m);
    r->lomo_rmse = r->base_rmse = NAN;
    if (r->status != FIT_OK)
        fprintf(stderr, "warning: mta fit: group %s: %s\n", r->name, r->m.msg);
}

int cmd_fit(int argc, char **argv)
{
    FitArgs a;
    Table t = {0};
    int st = parse_args(argc, argv, &a);
    if (st) return st;
    for (int i = 0; i < a.nfiles && !st; i++) st = read_table(a.files[i], &a, &t);
    if (!st && t.n == 0) st = errorf("no data rows in the input");
    if (st) { table_free(&t); return st; }
    int ng = a.bycol ? t.ngroups : 0, nrows = ng + 1, failed = 0;
    Row *rows = xcalloc((size_t)nrows, sizeof *rows);
    double *bx = xmalloc(sizeof(double) * (size_t)t.n), *by = xmalloc(sizeof(double) * (size_t)t.n);
    double *bw = xmalloc(sizeof(double) * (size_t)t.n);
    for (int g = 0; g < nrows; g++) {
        rows[g].name = g < ng ? t.gname[g] : "ALL";
        fit_row(&a.spec, &t, g < ng ? g : -1, &rows[g], bx, by, bw);
        failed += rows[g].status != FIT_OK;
    }
    double *pred = NULL, *base = NULL;
    if (ng >= 2) {
        FitLomoGroup *per = xcalloc((size_t)ng, sizeof *per);
        FitLomo tot;
        pred = xmalloc(sizeof(double) * (size_t)t.n);
        base = xmalloc(sizeof(double) * (size_t)t.n);
        fit_lomo(&a.spec, t.n, t.x, t.y, t.w, t.gid, ng, per, &tot, pred, base);
        for (int g = 0; g < ng; g++) { rows[g].lomo_rmse = per[g].rmse; rows[g].base_rmse = per[g].base_rmse; }
        rows[ng].lomo_rmse = tot.rmse;
        rows[ng].base_rmse = tot.base_rmse;
        if (tot.nfailed) fprintf(stderr, "warning: mta fit: %d of %d leave-one-group-out fits failed\n", tot.nfailed, ng);
        if (tot.nclamped) fprintf(stderr, "note: mta fit: %d held-out x values outside the training range were clamped to it\n", tot.nclamped);
        free(per);
    }
    st = write_atomic(a.out, "coef.tsv", OUT_COEF, rows, nrows, &t, NULL, NULL);
    if (!st) st = write_atomic(a.out, "curve.tsv", OUT_CURVE, rows, nrows, &t, NULL, NULL);
    if (!st && pred) st = write_atomic(a.out, "lomo.tsv", OUT_LOMO, rows, nrows, &t, pred, base);
    if (!st)
    {
        char groups[64];
        if (ng) snprintf(groups, sizeof groups, "%d group%s + the pooled ALL", ng, ng == 1 ? "" : "s");
        else snprintf(groups, sizeof groups, "one pooled fit");
        fprintf(stderr, "mta fit: %s of %s on %s, %d rows, %s%s -> %s.coef.tsv, %s.curve.tsv%s%s%s\n", fit_family_name(a.spec.family),
                a.ycol, a.xcol, t.n, groups, failed ? " (some fits failed: see the status column)" : "", a.out, a.out,
                pred ? ", " : "", pred ? a.out : "", pred ? ".lomo.tsv" : "");
    }
    free(pred); free(base);
    free(rows); free(bx); free(by); free(bw);
    table_free(&t);
    return st ? st : failed ? 1 : 0;
}
