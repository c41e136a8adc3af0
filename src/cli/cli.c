/* cli.c — flag parsing and data loading for the subcommands (see cli.h). */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/check.h"

static CliFlag *find_flag(CliFlag *flags, const char *name, size_t len)
{
    for (CliFlag *f = flags; f->name; f++)
        if (strlen(f->name) == len && !strncmp(f->name, name, len)) return f;
    return NULL;
}

static void known_flags(const CliFlag *flags, char *buf, size_t n)
{
    buf[0] = 0;
    for (const CliFlag *f = flags; f->name; f++) {
        strncat(buf, " --", n - strlen(buf) - 1);
        strncat(buf, f->name, n - strlen(buf) - 1);
    }
}

int cli_parse(const char *cmd, int argc, char **argv, int first, CliFlag *flags, const char **pos, int maxpos)
{
    int npos = 0;
    char known[512];
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "--help") || !strcmp(a, "-h")) && !find_flag(flags, "help", 4)) {
            known_flags(flags, known, sizeof known);
            printf("mta %s flags:%s\n(`mta help` shows every command's usage)\n", cmd, known);
            exit(0);
        }
        if (a[0] == '-' && a[1] == '-' && a[2]) {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            CliFlag *f = find_flag(flags, name, len);
            if (!f) {
                known_flags(flags, known, sizeof known);
                die("mta %s: unknown flag '%s' (known:%s)", cmd, a, known);
            }
            if (f->takes_value) {
                if (eq) f->value = eq + 1;
                else if (i + 1 < argc) f->value = argv[++i];
                else die("mta %s: flag '--%s' needs a value", cmd, f->name);
            } else {
                if (eq) die("mta %s: flag '--%s' takes no value", cmd, f->name);
                f->value = "1";
            }
        } else if (a[0] == '-' && a[1]) {
            die("mta %s: unknown option '%s' (flags are written --name value)", cmd, a);
        } else {
            if (npos >= maxpos) die("mta %s: unexpected argument '%s'", cmd, a);
            pos[npos++] = a;
        }
    }
    return npos;
}

const char *cli_get(const CliFlag *flags, const char *name)
{
    for (const CliFlag *f = flags; f->name; f++)
        if (!strcmp(f->name, name)) return f->value;
    CHECK(0, "flag --%s not declared", name);
    return NULL;
}

long cli_long(const CliFlag *flags, const char *name, long def, long lo, long hi)
{
    const char *v = cli_get(flags, name);
    long x;
    if (!v) return def;
    if (parse_long(v, &x) || x < lo || x > hi) die("flag --%s: '%s' is not an integer in %ld..%ld", name, v, lo, hi);
    return x;
}

double cli_double(const CliFlag *flags, const char *name, double def, double lo, double hi)
{
    const char *v = cli_get(flags, name);
    double x;
    if (!v) return def;
    if (parse_double(v, &x) || !(x >= lo && x <= hi)) die("flag --%s: '%s' is not a number in [%g, %g]", name, v, lo, hi);
    return x;
}

uint64_t cli_u64(const CliFlag *flags, const char *name, uint64_t def)
{
    const char *v = cli_get(flags, name);
    if (!v) return def;
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (!*v || *end || v[0] == '-') die("flag --%s: '%s' is not a non-negative integer", name, v);
    return (uint64_t)x;
}

void cli_load_data(const CliFlag *flags, Dataset *ds)
{
    const char *spec = cli_get(flags, "data");
    char err[1024];
    if (dataset_load(spec ? spec : "fmnist", 0, ds, err, sizeof err)) die("%s", err);
}

int cli_threads(const CliFlag *flags)
{
    return (int)cli_long(flags, "threads", 2, 1, 256);
}
