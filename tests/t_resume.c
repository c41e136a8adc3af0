/* t_resume.c — a resumed PTQ sweep never keeps a damaged row.  A small sweep (a tiny network,
 * five configurations, 10 test images) is run uninterrupted for reference, then stopped after
 * four configurations (--stop-after, leaving the partial tables an interrupted run leaves).
 * The partial table is cut at EVERY byte offset of its last two rows, and the per-layer partial
 * at every byte offset of its last two configurations' rows; after each cut the sweep runs
 * again and its final tables must equal the uninterrupted run's in every column but
 * `seconds` (found by header name).  Then rows damaged in other ways: a number turned into
 * text, a row repeated, rows out of order, other settings.  The sweep runs in-process (one
 * data set load, a few milliseconds a run).  Skips without Debian's dataset-fashion-mnist. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/check.h"
#include "base/fileio.h"
#include "base/rng.h"
#include "io/data.h"
#include "nn/init.h"
#include "nn/modelfile.h"
#include "quant/sweep.h"
#include "tap.h"

static const char *model_text =
    "conv_bn_relu out=4 k=3 pad=1\n"
    "maxpool k=2\n"
    "conv_bn_relu out=4 k=3 pad=1\n"
    "avgpool\n"
    "flatten\n"
    "linear out=classes\n";

static char dir[256];

static char *path_in(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static char *slurp(const char *path, size_t *n)
{
    char err[256];
    return file_read_all(path, (size_t)64 << 20, 0, n, err, sizeof err);
}

static void spit(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(data, 1, n, f) == n && fclose(f) == 0, "write %s", path);
}

/* The table without its `seconds` column (found by the header), as one string (caller frees). */
static char *without_seconds(const char *text)
{
    char *out = xmalloc(strlen(text) + 2), *o = out;
    int skip = -1;
    const char *p = text;
    for (int line = 0; *p; line++) {
        size_t e = strcspn(p, "\n");
        int k = 0, first = 1;
        for (size_t f = 0; f <= e;) {
            size_t fe = f + strcspn(p + f, "\t\n");
            if (fe > e) fe = e;
            if (line == 0 && fe - f == 7 && !strncmp(p + f, "seconds", 7)) skip = k;
            if (k != skip) {
                if (!first) *o++ = '\t';
                memcpy(o, p + f, fe - f);
                o += fe - f;
                first = 0;
            }
            k++;
            f = fe + 1;
        }
        *o++ = '\n';
        p += e + (p[e] == '\n');
    }
    *o = 0;
    return out;
}

typedef struct {
    Net *net;
    Dataset *ds;
    SweepConfig sc;
    char *ref, *ref_layers;   /* the uninterrupted run's tables (seconds removed) */
} Ctx;

static void run(Ctx *c, int stop_after)
{
    SweepConfig sc = c->sc;
    sc.stop_after = stop_after;
    sweep_run(c->net, c->ds, &sc);
}

/* Do the final tables equal the uninterrupted run's (and are the partials gone)? */
static int final_equals(Ctx *c)
{
    size_t n;
    char *t = slurp(c->sc.out, &n), *l = slurp(c->sc.layers, &n);
    int same = 0;
    if (t && l) {
        char *ts = without_seconds(t);
        same = !strcmp(ts, c->ref) && !strcmp(l, c->ref_layers);
        free(ts);
    }
    free(t);
    free(l);
    same = same && access(path_in("t.tsv.partial"), F_OK) != 0 && access(path_in("t.layers.tsv.partial"), F_OK) != 0;
    remove(c->sc.out);
    remove(c->sc.layers);
    return same;
}

/* Start of line k (0-based) of text. */
static size_t line_start(const char *text, int k)
{
    size_t off = 0;
    for (int i = 0; i < k; i++) off += strcspn(text + off, "\n") + 1;
    return off;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; *p; p++) n += *p == '\n';
    return n;
}

/* Silence stderr (the sweep reports every resume) while fn runs many times. */
static int quiet_begin(void)
{
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    close(null);
    return saved;
}
static void quiet_end(int saved)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
}

int main(void)
{
    plan_no_plan();
    if (!have_fmnist()) return done_testing();
    snprintf(dir, sizeof dir, "%s/t_resume.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    CHECK(mkdtemp(dir), "mkdtemp %s", dir);
    char err[1024];
    Dataset ds;
    CHECK(dataset_load("fmnist", 0, &ds, err, sizeof err) == 0, "%s", err);
    Net *net = net_build("tiny.model", "tiny", model_text, (Shape){1, 32, 32}, 10, 1.0, err, sizeof err);
    CHECK(net, "%s", err);
    Rng r;
    rng_seed(&r, 3);
    net_init_params(net, &r);
    net_set_threads(net, 1);
    net_alloc_acts(net, 8);

    Ctx c = {.net = net, .ds = &ds};
    SweepConfig *sc = &c.sc;
    sc->ckpt = "tiny";
    const char *titles[] = {"INT_4", "INT_8", "POT_4", "FLOAT_6_E3", "FLOAT_8_E4"};
    for (int i = 0; i < 5; i++) sc->configs[sc->n_configs++] = quant_config_find(titles[i]);
    sc->calib_batches = 1;
    sc->batch = 8;
    sc->limit = 10;
    sc->seed = 1;
    sc->opt = ptq_options(0);
    sc->quiet = 1;
    sc->out = xstrdup(path_in("t.tsv"));   /* path_in reuses its buffers */
    sc->layers = xstrdup(path_in("t.layers.tsv"));

    /* reference: uninterrupted */
    run(&c, 0);
    size_t n;
    char *t = slurp(sc->out, &n);
    c.ref_layers = slurp(sc->layers, &n);
    CHECK(t && c.ref_layers, "reference tables");
    c.ref = without_seconds(t);
    free(t);
    remove(sc->out);
    remove(sc->layers);
    ok(count_lines(c.ref) == 6, "the uninterrupted sweep writes 5 rows (%d lines)", count_lines(c.ref));

    /* interrupted after 4 of 5 */
    run(&c, 4);
    size_t pn, ln;
    char *P = slurp(path_in("t.tsv.partial"), &pn), *L = slurp(path_in("t.layers.tsv.partial"), &ln);
    ok(P && L && count_lines(P) == 6, "--stop-after 4 leaves a partial table of 4 rows (settings, header, rows)");
    CHECK(P && L, "partials");
    run(&c, 0);
    ok(final_equals(&c), "an intact partial resumes into the uninterrupted tables");

    /* every cut of the main partial within its last two rows (lines 4 and 5, 0-based) */
    size_t from = line_start(P, 4);
    int cuts = 0, good = 0, q = quiet_begin();
    for (size_t off = from; off < pn; off++) {
        spit(path_in("t.tsv.partial"), P, off);
        spit(path_in("t.layers.tsv.partial"), L, ln);
        run(&c, 0);
        cuts++;
        good += final_equals(&c);
    }
    quiet_end(q);
    ok(cuts > 0 && good == cuts, "partial table cut at each of the %d byte offsets of its last two rows: %d of %d resumes equal the uninterrupted run",
       cuts, good, cuts);

    /* every cut of the per-layer partial within its last two configurations' rows */
    int per = count_lines(c.ref_layers) - 1;
    per /= 5;
    size_t lfrom = line_start(L, 2 + 2 * per);
    cuts = good = 0;
    q = quiet_begin();
    for (size_t off = lfrom; off < ln; off++) {
        spit(path_in("t.tsv.partial"), P, pn);
        spit(path_in("t.layers.tsv.partial"), L, off);
        run(&c, 0);
        cuts++;
        good += final_equals(&c);
    }
    quiet_end(q);
    ok(cuts > 0 && good == cuts,
       "per-layer partial cut at each of the %d byte offsets of its last two configurations (%d rows each): %d of %d resumes equal the uninterrupted run",
       cuts, per, good, cuts);

    /* other damage: a number made text, a repeated row, rows swapped, other settings, missing layers */
    struct { const char *what; char *text; } bad[5];
    size_t r3 = line_start(P, 3), r4 = line_start(P, 4);
    bad[0].what = "a number in a middle row turned into text";
    bad[0].text = xstrdup(P);
    {
        char *tab = strchr(bad[0].text + r3, '\t');
        for (int k = 0; k < 5; k++) tab = strchr(tab + 1, '\t');   /* into the ptq_acc field */
        tab[1] = 'x';
    }
    bad[1].what = "a row repeated";
    bad[1].text = xmalloc(pn + (r4 - r3) + 1);
    memcpy(bad[1].text, P, r4);
    memcpy(bad[1].text + r4, P + r3, r4 - r3);
    memcpy(bad[1].text + r4 + (r4 - r3), P + r4, pn - r4 + 1);
    bad[2].what = "two rows swapped";
    bad[2].text = xmalloc(pn + 1);
    {
        size_t r5 = line_start(P, 5);
        memcpy(bad[2].text, P, r3);
        memcpy(bad[2].text + r3, P + r4, r5 - r4);
        memcpy(bad[2].text + r3 + (r5 - r4), P + r3, r4 - r3);
        memcpy(bad[2].text + r5, P + r5, pn - r5 + 1);
    }
    bad[3].what = "other settings";
    bad[3].text = xstrdup(P);
    bad[3].text[strcspn(bad[3].text, "=") + 1] ^= 1;
    bad[4].what = "a row with a field missing";
    bad[4].text = xstrdup(P);
    {
        char *tab = strchr(bad[4].text + r3, '\t'), *next = strchr(tab + 1, '\t');   /* drop the quant field */
        memmove(tab, next, strlen(next) + 1);
    }
    for (int k = 0; k < 5; k++) {
        spit(path_in("t.tsv.partial"), bad[k].text, strlen(bad[k].text));
        spit(path_in("t.layers.tsv.partial"), L, ln);
        q = quiet_begin();
        run(&c, 0);
        quiet_end(q);
        ok(final_equals(&c), "partial with %s: the resumed tables equal the uninterrupted run", bad[k].what);
        free(bad[k].text);
    }
    spit(path_in("t.tsv.partial"), P, pn);
    remove(path_in("t.layers.tsv.partial"));
    q = quiet_begin();
    run(&c, 0);
    quiet_end(q);
    ok(final_equals(&c), "partial table without its per-layer partial: recomputed, equal to the uninterrupted run");

    free(P); free(L); free(c.ref); free(c.ref_layers);
    net_free(net);
    dataset_free(&ds);
    rmdir(dir);
    return done_testing();
}
