/* cli.c — the flag parser, usage texts and shared helpers of the subcommands (see cli.h). */
#include "cli/cli.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"
#include "nn/checkpoint.h"
#include "nn/modelfile.h"
#include "train/attack.h"

static int nflags(const CliCommand *c)
{
    int n = 0;
    while (c->flags[n].name) n++;
    CHECK(n <= CLI_MAX_FLAGS, "command %s declares %d flags (at most %d)", c->name, n, CLI_MAX_FLAGS);
    return n;
}

int cli_scan(const CliCommand *c, int argc, char **argv, int first, CliArgs *a, char *err, size_t errsz)
{
    int n = nflags(c);
    memset(a, 0, sizeof *a);
    a->cmd = c;
    for (int i = first; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            cli_usage(c, stdout);
            return 1;
        }
        if (arg[0] == '-' && arg[1] == '-' && arg[2]) {
            const char *name = arg + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            int k = 0;
            while (k < n && !(strlen(c->flags[k].name) == len && !strncmp(c->flags[k].name, name, len))) k++;
            if (k == n) {
                char want[64];
                snprintf(want, sizeof want, "%.*s", (int)(len < 60 ? len : 60), name);
                int best = -1, bd = 3;
                for (int j = 0; j < n; j++) {
                    int d = edit_distance(want, c->flags[j].name);
                    size_t lj = strlen(c->flags[j].name);
                    if (d >= 3 && lj >= 3 && (!strncmp(want, c->flags[j].name, lj) || !strncmp(want, c->flags[j].name, strlen(want))))
                        d = 2;   /* one is a prefix of the other: --dataset / --data */
                    if (d < bd) { bd = d; best = j; }
                }
                if (best >= 0) return set_errf(err, errsz, "unknown flag '%s' (did you mean --%s?)", arg, c->flags[best].name);
                return set_errf(err, errsz, "unknown flag '%s'", arg);
            }
            const CliFlagSpec *f = &c->flags[k];
            if (a->value[k]) return set_errf(err, errsz, "flag --%s given twice", f->name);
            if (f->arg) {
                if (eq) a->value[k] = eq + 1;
                else if (i + 1 < argc) a->value[k] = argv[++i];
                else return set_errf(err, errsz, "flag --%s needs a value (%s)", f->name, f->arg);
                if (!*a->value[k]) return set_errf(err, errsz, "flag --%s: empty value", f->name);
            } else {
                if (eq) return set_errf(err, errsz, "flag --%s takes no value", f->name);
                a->value[k] = "1";
            }
        } else if (arg[0] == '-' && arg[1]) {
            return set_errf(err, errsz, "unknown option '%s' (flags are written --name value)", arg);
        } else {
            if (a->npos >= c->max_pos || a->npos >= CLI_MAX_POS)
                return set_errf(err, errsz, "unexpected argument '%s' (%s takes %s)", arg, c->name, c->args[0] ? c->args : "no arguments");
            a->pos[a->npos++] = arg;
        }
    }
    if (a->npos < c->min_pos) return set_errf(err, errsz, "missing %s", c->args);
    for (int k = 0; k < n; k++)
        if (c->flags[k].required && !a->value[k]) return set_errf(err, errsz, "flag --%s is required", c->flags[k].name);
    return 0;
}

void cli_usage(const CliCommand *c, FILE *f)
{
    fprintf(f, "usage: mta %s%s%s [flags]\n  %s\nflags:\n", c->name, c->args[0] ? " " : "", c->args, c->summary);
    for (const CliFlagSpec *s = c->flags; s->name; s++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", s->name, s->arg ? " " : "", s->arg ? s->arg : "");
        if (strlen(left) > 22) fprintf(f, "  %s\n  %-22s %s", left, "", s->help);
        else fprintf(f, "  %-22s %s", left, s->help);
        if (s->required) fprintf(f, " (required)");
        else if (s->def) fprintf(f, " (default: %s)", s->def);
        fputc('\n', f);
    }
}

void cli_overview(const CliCommand *c, FILE *f)
{
    char line[4096];
    size_t len = (size_t)snprintf(line, sizeof line, "  %-5s %s", c->name, c->args);
    int col = (int)len;
    fputs(line, f);
    for (const CliFlagSpec *s = c->flags; s->name; s++) {
        char item[96];
        int n = snprintf(item, sizeof item, s->required ? " --%s%s%s" : " [--%s%s%s]", s->name, s->arg ? " " : "", s->arg ? s->arg : "");
        if (col + n > 92) { fputs("\n       ", f); col = 7; }
        fputs(item, f);
        col += n;
    }
    fprintf(f, "\n        %s\n", c->summary);
}

void cli_fail(const CliCommand *c, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "error: mta %s: ", c->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    cli_usage(c, stderr);
    exit(2);
}

void cli_parse(const CliCommand *c, int argc, char **argv, int first, CliArgs *a)
{
    char err[512];
    int r = cli_scan(c, argc, argv, first, a, err, sizeof err);
    if (r == 1) exit(0);
    if (r) cli_fail(c, "%s", err);
}

static int index_of(const CliArgs *a, const char *name)
{
    for (int k = 0; a->cmd->flags[k].name; k++)
        if (!strcmp(a->cmd->flags[k].name, name)) return k;
    CHECK(0, "flag --%s not declared by mta %s", name, a->cmd->name);
    return -1;
}

const char *cli_get(const CliArgs *a, const char *name) { return a->value[index_of(a, name)]; }

long cli_long(const CliArgs *a, const char *name, long def, long lo, long hi)
{
    const char *v = cli_get(a, name);
    long x;
    if (!v) return def;
    if (parse_long(v, &x) || x < lo || x > hi) die("mta %s: flag --%s: '%s' is not an integer in %ld..%ld", a->cmd->name, name, v, lo, hi);
    return x;
}

double cli_double(const CliArgs *a, const char *name, double def, double lo, double hi)
{
    const char *v = cli_get(a, name);
    double x;
    if (!v) return def;
    if (parse_double(v, &x) || !(x >= lo && x <= hi))
        die("mta %s: flag --%s: '%s' is not a number in [%g, %g]", a->cmd->name, name, v, lo, hi);
    return x;
}

uint64_t cli_u64(const CliArgs *a, const char *name, uint64_t def)
{
    const char *v = cli_get(a, name);
    if (!v) return def;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || v[0] == '-') die("mta %s: flag --%s: '%s' is not a non-negative integer", a->cmd->name, name, v);
    return (uint64_t)x;
}

void cli_load_data(const CliArgs *a, Dataset *ds)
{
    const char *spec = cli_get(a, "data");
    char err[1024];
    if (dataset_load(spec ? spec : "fmnist", 0, ds, err, sizeof err)) die("%s", err);
}

Net *cli_load_checkpoint(const CliArgs *a, const char *path, const Dataset *ds, CkptInfo *info)
{
    const char *model = cli_get(a, "model"), *wflag = cli_get(a, "width");
    char err[1024];
    Net *net = ckpt_load(path, model, cli_double(a, "width", 1.0, 1e-3, 64), (Shape){ds->test.c, ds->test.h, ds->test.w},
                         ds->classes, info, err, sizeof err);
    if (!net) die("%s", err);
    if (info->has_meta && model) {
        char mpath[4096], name[64], merr[1024];   /* --model's name as the model language resolves it */
        if (model_resolve(model, mpath, sizeof mpath, name, sizeof name, merr, sizeof merr))
            snprintf(name, sizeof name, "%s", model);
        if (strcmp(net->model_name, name))
            die("%s: the checkpoint holds a %s (its metadata); --model %s disagrees (--model is for checkpoints without mta "
                "metadata: drop it)", path, net->model_name, model);
    }
    if (info->has_meta && wflag && fabs(cli_double(a, "width", 1.0, 1e-3, 64) - net->width) > 1e-12)
        die("%s: the checkpoint has width %g (its metadata); --width %s disagrees (drop it)", path, net->width, wflag);
    if (net->input.c != ds->test.c || net->input.h != ds->test.h || net->input.w != ds->test.w || net->classes != ds->classes)
        die("%s: the model takes %dx%dx%d inputs and %d classes, data set %s has %dx%dx%d and %d", path, net->input.c,
            net->input.h, net->input.w, net->classes, ds->kind, ds->test.c, ds->test.h, ds->test.w, ds->classes);
    return net;
}

int cli_threads(const CliArgs *a) { return (int)cli_long(a, "threads", 2, 1, 256); }

Net *cli_open(const CliArgs *a, const char *path, Dataset *ds, CkptInfo *info, int threads)
{
    cli_load_data(a, ds);
    Net *net = cli_load_checkpoint(a, path, ds, info);
    if (info->has_norm) {
        if (info->dataset[0] && strcmp(info->dataset, ds->kind))
            warnf("%s was made for data set '%s', used on '%s' with its normalization", path, info->dataset, ds->kind);
        memcpy(ds->mean, info->mean, sizeof ds->mean);
        memcpy(ds->std, info->std, sizeof ds->std);
    }
    net_set_threads(net, threads);
    return net;
}

int cli_compat(const CliArgs *a)
{
    const char *c = cli_get(a, "compat");
    if (c && strcmp(c, "reference") && strcmp(c, "none")) cli_fail(a->cmd, "flag --compat: '%s' (expected reference or none)", c);
    return c && !strcmp(c, "reference");
}

int cli_attack_box(const CliArgs *a)
{
    const char *box = cli_get(a, "attack-box");
    int b = box ? attack_box_parse(box) : cli_compat(a) ? ATTACK_BOX_NORMALIZED : ATTACK_BOX_PIXEL;
    if (b < 0) cli_fail(a->cmd, "flag --attack-box: '%s' (expected pixel or normalized)", box);
    return b;
}

double cli_fraction(const CliArgs *a, const char *name, double def)
{
    const char *v = cli_get(a, name);
    if (!v) return def;
    char *end;
    double num = strtod(v, &end), den = 1;
    if (end != v && *end == '/') {
        const char *d = end + 1;
        den = strtod(d, &end);
        if (end == d) end = (char *)d - 1;
    }
    if (end == v || *end || !(num >= 0) || !(den > 0) || num / den > 1e6)
        cli_fail(a->cmd, "flag --%s: '%s' is not a non-negative number or fraction (like 8/255)", name, v);
    return num / den;
}
