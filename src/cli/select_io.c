/* select_io.c — reading the candidate and data tables of mta select / mta predict (select_io.h). */
#include "cli/select_io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "base/fileio.h"

const char *sel_cmd = "mta select";


int names_find(const Names *s, const char *v)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], v)) return i;
    return -1;
}

/* v borrowed (it must outlive s) unless own: then a copy is kept, freed by names_free */
static int names_add_(Names *s, const char *v, int own)
{
    int i = names_find(s, v);
    if (i >= 0) return i;
    s->names = xrealloc(s->names, sizeof(char *) * (size_t)(s->n + 1));
    s->names[s->n] = own ? xstrdup(v) : (char *)v;
    return s->n++;
}
static int names_add(Names *s, char *v) { return names_add_(s, v, 0); }
int names_own(Names *s, const char *v) { return names_add_(s, v, 1); }
void names_free(Names *s, int owned)
{
    if (owned)
        for (int i = 0; i < s->n; i++) free(s->names[i]);
    free(s->names);
}

int sel_split(char *line, char sep, char **f, int max)
{
    int n = 0;
    for (char *p = line;;) {
        char *t = strchr(p, sep);
        if (n < max) f[n] = p;
        n++;
        if (!t) break;
        *t = 0;
        p = t + 1;
    }
    return n;
}

int sel_col(char **hdr, int nh, const char *name)
{
    for (int j = 0; j < nh; j++)
        if (!strcmp(hdr[j], name)) return j;
    return -1;
}

/* --- the data table ------------------------------------------------------------------------- */


void sel_read_table(const char *path, const char *ycol, const char *bycol, const char *ccol, SelTable *t)
{
    char err[1024];
    t->buf = read_text_file(path, err, sizeof err);
    if (!t->buf) die("%s: %s", sel_cmd, err);
    char *hdr[1024], *f[1024];
    char *line = t->buf, *next = strchr(line, '\n');
    if (next) *next++ = 0;
    int nh = sel_split(line, '\t', hdr, 1024);
    if (nh > 1024 || !hdr[0][0]) die("%s: %s:1: no header (or more than 1024 columns)", sel_cmd, path);
    const char *want[3] = {ycol, bycol, ccol};
    int got[3], ix[MAX_COLS];
    for (int k = 0; k < 3; k++)
        if ((got[k] = sel_col(hdr, nh, want[k])) < 0) die("%s: %s:1: no column '%s'", sel_cmd, path, want[k]);
    int iy = got[0], ig = got[1], ic = got[2];
    for (int k = 0; k < t->cols.n; k++)
        if ((ix[k] = sel_col(hdr, nh, t->cols.names[k])) < 0)
            die("%s: %s:1: no column '%s' (named by a candidate)", sel_cmd, path, t->cols.names[k]);
    int cap = 0, lineno = 1;
    for (line = next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        lineno++;
        if (sel_split(line, '\t', f, 1024) != nh) die("%s: %s:%d: the header has %d fields, this line not", sel_cmd, path, lineno, nh);
        if (t->n == cap) {
            cap = cap ? 2 * cap : 512;
            t->group = xrealloc(t->group, sizeof(int) * (size_t)cap);
            t->config = xrealloc(t->config, sizeof(int) * (size_t)cap);
            t->y = xrealloc(t->y, sizeof(double) * (size_t)cap);
            for (int k = 0; k < t->cols.n; k++) t->x[k] = xrealloc(t->x[k], sizeof(double) * (size_t)cap);
        }
        double v;
        if (parse_double(f[iy], &v) || !isfinite(v))
            die("%s: %s:%d: column '%s': '%s' is not a finite number", sel_cmd, path, lineno, ycol, f[iy]);
        t->y[t->n] = v;
        for (int k = 0; k < t->cols.n; k++) {
            if (parse_double(f[ix[k]], &v) || !isfinite(v))
                die("%s: %s:%d: column '%s': '%s' is not a finite number", sel_cmd, path, lineno, t->cols.names[k], f[ix[k]]);
            t->x[k][t->n] = v;
        }
        t->group[t->n] = names_add(&t->groups, f[ig]);
        t->config[t->n] = names_add(&t->configs, f[ic]);
        t->n++;
    }
    if (t->n == 0) die("%s: %s: no data rows", sel_cmd, path);
    if (t->groups.n < 3) die("%s: %s: %d groups in column '%s'; nested LOMO needs at least 3", sel_cmd, path, t->groups.n, bycol);
}

/* --- the candidate file --------------------------------------------------------------------- */

void sel_cand_fail(const char *path, const SelRow *c, const char *msg, const char *what)
{
    die("%s: %s:%d: candidate '%s': %s%s%s", sel_cmd, path, c->line, c->name, msg, what ? " " : "", what ? what : "");
}

static void parse_options(const char *path, SelRow *c)
{
    SelCand *s = &c->c;
    fit_spec_default(&s->spec, FIT_POLY);
    s->lambda = 0;
    int x0_auto = 0;
    if (strcmp(c->options, "-")) {
        char *opt = xstrdup(c->options), *save = NULL;
        for (char *kv = strtok_r(opt, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
            char *eq = strchr(kv, '=');
            if (!eq) sel_cand_fail(path, c, "option without '=':", kv);
            *eq = 0;
            const char *k = kv, *v = eq + 1;
            long l;
            double d;
            if (!strcmp(k, "family")) {
                if (!strcmp(v, "poly")) s->spec.family = FIT_POLY;
                else if (!strcmp(v, "rational")) { s->spec.family = FIT_RATIONAL; if (s->spec.degree < 2) s->spec.degree = 2; }
                else sel_cand_fail(path, c, "family must be poly or rational, not", v);
            } else if (!strcmp(k, "degree")) {
                if (parse_long(v, &l) || l < 0 || l > FIT_MAX_DEGREE) sel_cand_fail(path, c, "degree must be 0..5, not", v);
                s->spec.degree = (int)l;
            } else if (!strcmp(k, "monotone")) {
                if (!strcmp(v, "none")) s->spec.monotone = FIT_MONO_NONE;
                else if (!strcmp(v, "exact")) s->spec.monotone = FIT_MONO_EXACT;
                else sel_cand_fail(path, c, "monotone must be none or exact, not", v);
            } else if (!strcmp(k, "transform")) {
                if (!strcmp(v, "identity")) s->spec.transform = FIT_X_IDENTITY;
                else if (!strcmp(v, "log10")) s->spec.transform = FIT_X_LOG10;
                else sel_cand_fail(path, c, "transform must be identity or log10, not", v);
            } else if (!strcmp(k, "x0")) {
                if (!strcmp(v, "auto")) x0_auto = 1;
                else if (parse_double(v, &d) || !(d > 0)) sel_cand_fail(path, c, "x0 must be a positive number or auto, not", v);
                else s->spec.x0 = d;
            } else if (!strcmp(k, "seed")) {
                if (parse_long(v, &l) || l < 0) sel_cand_fail(path, c, "seed must be a non-negative integer, not", v);
                s->spec.seed = (uint64_t)l;
            } else if (!strcmp(k, "starts")) {
                if (parse_long(v, &l) || l < 0 || l > 1000) sel_cand_fail(path, c, "starts must be 0..1000, not", v);
                s->spec.nrandom = (int)l;
            } else if (!strcmp(k, "lambda")) {
                if (parse_double(v, &d) || !(d >= 0) || !isfinite(d)) sel_cand_fail(path, c, "lambda must be >= 0, not", v);
                s->lambda = d;
            } else if (!strcmp(k, "quad")) {
                if (strcmp(v, "0") && strcmp(v, "1")) sel_cand_fail(path, c, "quad must be 0 or 1, not", v);
                s->quad = v[0] == '1';
            } else {
                sel_cand_fail(path, c, "unknown option", k);
            }
        }
        free(opt);
    }
    if (s->kind == SEL_CURVE && s->spec.family == FIT_RATIONAL && (s->spec.degree < 2 || s->spec.degree > 4))
        sel_cand_fail(path, c, "a rational needs degree 2..4", NULL);
    if (x0_auto) s->spec.x0 = -1;   /* resolved once the data are read */
}

int sel_read_candidates(const char *path, char **bufp, SelRow *cands, SelTable *t)
{
    char err[1024];
    char *buf = read_text_file(path, err, sizeof err);
    if (!buf) die("%s: %s", sel_cmd, err);
    *bufp = buf;
    char *f[8];
    char *line = buf, *next = strchr(line, '\n');
    if (next) *next++ = 0;
    if (sel_split(line, '\t', f, 8) != 5 || strcmp(f[0], "name") || strcmp(f[1], "tier") || strcmp(f[2], "kind") ||
        strcmp(f[3], "x") || strcmp(f[4], "options"))
        die("%s: %s:1: the header must be: name tier kind x options (tab-separated)", sel_cmd, path);
    int n = 0, lineno = 1;
    for (line = next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        lineno++;
        if (sel_split(line, '\t', f, 8) != 5) die("%s: %s:%d: 5 tab-separated fields expected", sel_cmd, path, lineno);
        if (n == MAX_CAND) die("%s: %s:%d: more than %d candidates", sel_cmd, path, lineno, MAX_CAND);
        SelRow *c = &cands[n];
        memset(c, 0, sizeof *c);
        c->name = f[0]; c->tier = f[1]; c->kind = f[2]; c->x = f[3]; c->options = f[4]; c->line = lineno;
        for (int k = 0; k < n; k++)
            if (!strcmp(cands[k].name, c->name)) {
                char where[32];
                snprintf(where, sizeof where, "%d", cands[k].line);
                sel_cand_fail(path, c, "the name is already used on line", where);
            }
        if (!strcmp(c->kind, "curve")) c->c.kind = SEL_CURVE;
        else if (!strcmp(c->kind, "ridge")) c->c.kind = SEL_RIDGE;
        else if (!strcmp(c->kind, "config-mean")) c->c.kind = SEL_CONFIG_MEAN;
        else if (!strcmp(c->kind, "mean")) c->c.kind = SEL_MEAN;
        else sel_cand_fail(path, c, "kind must be curve, ridge, config-mean or mean, not", c->kind);
        parse_options(path, c);
        if (c->c.kind == SEL_CURVE) {
            if (strchr(c->x, ',') || !strcmp(c->x, "-")) sel_cand_fail(path, c, "a curve needs one x column, not", c->x);
            if (t->cols.n == MAX_COLS && names_find(&t->cols, c->x) < 0) sel_cand_fail(path, c, "too many columns", NULL);
            c->c.col = names_own(&t->cols, c->x);
        } else if (c->c.kind == SEL_RIDGE) {
            char *xs = xstrdup(c->x), *g[SEL_MAX_FEAT + 1];
            int k = sel_split(xs, ',', g, SEL_MAX_FEAT + 1);
            if (k > SEL_MAX_FEAT) sel_cand_fail(path, c, "a ridge takes at most 3 features", NULL);
            c->c.nfeat = k;
            for (int j = 0; j < k; j++) {
                if (!strcmp(g[j], "@config")) { c->c.feat[j] = SEL_FEAT_CONFIG; continue; }
                if (!g[j][0]) sel_cand_fail(path, c, "an empty feature in", c->x);
                if (t->cols.n == MAX_COLS && names_find(&t->cols, g[j]) < 0) sel_cand_fail(path, c, "too many columns", NULL);
                c->c.feat[j] = names_own(&t->cols, g[j]);
            }
            free(xs);
        }
        n++;
    }
    if (n == 0) die("%s: %s: no candidates", sel_cmd, path);
    return n;
}

void sel_resolve(SelTable *t, SelRow *rows, int nc, char **tiers, int ntiers, double *x0)
{
    for (int k = 0; k < t->cols.n; k++) {
        double mp = INFINITY;
        int neg = 0;
        for (int i = 0; i < t->n; i++) {
            if (t->x[k][i] < 0) neg = 1;
            if (t->x[k][i] > 0 && t->x[k][i] < mp) mp = t->x[k][i];
        }
        x0[k] = !neg && isfinite(mp) ? mp : 0;
    }
    for (int c = 0; c < nc; c++) {
        SelRow *cd = &rows[c];
        cd->tier_rank = -1;
        for (int k = 0; k < ntiers; k++)
            if (!strcmp(cd->tier, tiers[k])) cd->tier_rank = k;
        if (cd->c.kind == SEL_CURVE && cd->c.spec.x0 < 0) {
            /* auto: the column's smallest positive value; a column with a negative value (or
             * none positive) is fitted as it is, as the logpoly sensitivity fits do */
            if (x0[cd->c.col] > 0) cd->c.spec.x0 = x0[cd->c.col];
            else { cd->c.spec.transform = FIT_X_IDENTITY; cd->c.spec.x0 = 1e-6; }
        }
    }
}

void sel_table_free(SelTable *t)
{
    for (int k = 0; k < t->cols.n; k++) free(t->x[k]);
    free(t->group); free(t->config); free(t->y);
    names_free(&t->groups, 0); names_free(&t->configs, 0); names_free(&t->cols, 1);
    free(t->buf);
}
