/* select_io.h — the files of `mta select` and `mta predict`: the candidate table (TSV: name
 * tier kind x options, cmd_select.c says what each field holds) and the data table (a group,
 * a configuration, the target and the columns the candidates name).  Every error dies naming
 * the file, the line and the candidate or column. */
#ifndef MTA_SELECT_IO_H
#define MTA_SELECT_IO_H

#include "fit/select.h"

#define MAX_CAND 4096
#define MAX_COLS 256
#define MAX_TIERS 8


typedef struct {
    char *name, *tier, *kind, *x, *options;   /* borrowed from the file's buffer */
    int line, tier_rank;                      /* rank in --tiers, -1: a baseline */
    SelCand c;
} SelRow;

typedef struct {
    char **names;
    int n;
} Names;

typedef struct {
    char *buf;
    int n;
    Names groups, configs;
    int *group, *config;
    double *y;
    Names cols;          /* the x columns the candidates use */
    double *x[MAX_COLS];
} SelTable;

/* The command named in error messages ("mta select", "mta predict"). */
extern const char *sel_cmd;

int names_find(const Names *s, const char *v);   /* index, or -1 */
int names_own(Names *s, const char *v);          /* index of v, added as a copy if absent */
void names_free(Names *s, int owned);
/* The index of column name in the header fields hdr[0..nh), or -1. */
int sel_col(char **hdr, int nh, const char *name);
/* Split line at sep in place into at most max fields; returns the field count (may exceed max). */
int sel_split(char *line, char sep, char **f, int max);

/* Read the candidates (columns they name go into t->cols); returns their count.  *bufp holds the
 * file's text the rows point into (free it after use). */
int sel_read_candidates(const char *path, char **bufp, SelRow *cands, SelTable *t);
/* Read the data table: y, group and configuration columns and every column of t->cols. */
void sel_read_table(const char *path, const char *ycol, const char *bycol, const char *ccol, SelTable *t);
/* After both: every column's ridge offset x0[k] (its smallest positive value when it has no
 * negative value, else 0), x0=auto of the curves (that offset, or no transform for such a column), and each row's tier rank in tiers[0..ntiers). */
void sel_resolve(SelTable *t, SelRow *rows, int nc, char **tiers, int ntiers, double *x0);
/* Dies: "<sel_cmd>: PATH:LINE: candidate 'NAME': MSG WHAT". */
void sel_cand_fail(const char *path, const SelRow *c, const char *msg, const char *what) __attribute__((noreturn));
void sel_table_free(SelTable *t);

#endif
