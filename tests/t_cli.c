#define _XOPEN_SOURCE 700
/* t_cli.c — the mta command line: stats, init, eval, checkpoints moving between mta and
 * PyTorch, and malformed input (flags, model files, checkpoints) ending in a clear message
 * and exit status 2, never a crash.  Uses $MTA (set by `make test`) or build/mta. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/check.h"
#include "nn/checkpoint.h"
#include "io/safetensors.h"
#include "cli/commands.h"
#include "tap.h"

static char mta_path[PATH_MAX];

static const char *mta(void) { return mta_path; }

static char tmpdir[256];

static void write_file(const char *name, const void *data, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f, "cannot write %s", path);
    fwrite(data, 1, n, f);
    fclose(f);
}

/* Expect exit status 2 and a message containing want. */
static void expect_error(const char *want, const char *fmt, const char *arg)
{
    char err[4096], cmd[8192];
    snprintf(cmd, sizeof cmd, fmt, arg);
    int rc = run_cmd(err, sizeof err, "cd %s && %s %s", tmpdir, mta(), cmd);
    int good = rc == 2 && strstr(err, want) && strstr(err, "error");
    ok(good, "mta %s -> exit 2 naming '%s'", cmd, want);
    if (!good) diag("exit %d, stderr: %s", rc, err);
}

/* `mta CMD --help` lists the command's flags on stdout and exits 0. */
static void check_help(void)
{
    static const char *cmds[][2] = {{"train", "--schedule"}, {"ptq", "--asymmetric"}, {"eval", "--limit"},
                                    {"fit", "--family"}, {"bench", "--mode"}};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        char cmd[8192];
        snprintf(cmd, sizeof cmd, "%s %s --help > %s/help.txt", mta(), cmds[i][0], tmpdir);
        int rc = system(cmd);
        snprintf(cmd, sizeof cmd, "%s/help.txt", tmpdir);
        FILE *f = fopen(cmd, "r");
        char text[2048] = "";
        size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
        text[n] = 0;
        if (f) fclose(f);
        ok(rc == 0 && strstr(text, cmds[i][1]), "mta %s --help exits 0 and lists %s", cmds[i][0], cmds[i][1]);
    }
}

static void check_stats(void)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s stats ResNet_18 --data cifar100 > %s/stats.tsv", mta(), tmpdir);
    int rc = system(cmd);
    char path[512], line[512], last[512] = "";
    snprintf(path, sizeof path, "%s/stats.tsv", tmpdir);
    FILE *f = fopen(path, "r");
    int rows = 0, header = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (rows == 0) header = !strcmp(line, "layer\ttype\tparams\tmacs\tparam_pct\tmac_pct\tparam_pct_folded\tmac_pct_folded\n");
        rows++;
        snprintf(last, sizeof last, "%s", line);
    }
    if (f) fclose(f);
    ok(rc == 0 && header && rows == 61, "mta stats ResNet_18 prints a header, 59 modules and a total row (%d lines)", rows);
    const char *want = "total\t-\t11220132\t557262948\t";
    ok(!strncmp(last, want, strlen(want)), "the total row has the reference counts: %.60s", last);
}

static void check_init_eval(void)
{
    char cmd[8192], err[4096];
    int rc = run_cmd(err, sizeof err, "cd %s && %s init AlexNet_BN --width 0.125 --seed 3 --out a.safetensors && %s init AlexNet_BN --width 0.125 --seed 3 --out b.safetensors && cmp a.safetensors b.safetensors",
                     tmpdir, mta(), mta());
    ok(rc == 0, "mta init with the same seed writes byte-identical checkpoints");
    if (rc) diag("%s", err);
    char path[512];
    snprintf(path, sizeof path, "%s/a.safetensors", tmpdir);
    StFile f;
    int good = st_read(path, &f, err, sizeof err) == 0;
    ok(good && st_meta(&f, "model_text") && !strcmp(st_meta(&f, "model_name"), "AlexNet_BN") &&
           !strcmp(st_meta(&f, "input"), "1x32x32") && st_find(&f, "bn0.num_batches_tracked") &&
           st_find(&f, "fc15.weight") && st_find(&f, "fc15.weight")->shape[0] == 10,
       "the checkpoint is self-describing (model text, input 1x32x32) and uses state_dict names");
    if (good) st_free(&f);
    snprintf(cmd, sizeof cmd, "cd %s && %s eval a.safetensors --data fmnist --limit 300 --threads 2", tmpdir, mta());
    FILE *p = popen(cmd, "r");
    char line[512] = "";
    double acc = -1;
    while (p && fgets(line, sizeof line, p))
        if (!strncmp(line, "AlexNet_BN\tfmnist\t300\t", 22)) acc = atof(line + 22);
    rc = p ? pclose(p) : -1;
    ok(rc == 0 && acc >= 0 && acc <= 100, "mta eval of an untrained checkpoint reports an accuracy (%.2f%%)", acc);
}

static void check_torch_import(void)
{
    char err[4096];
    int rc = run_cmd(err, sizeof err, "%s eval tests/fixtures/model_ResNet_18.safetensors --data fmnist --limit 10 --model ResNet_18 --width 0.0625",
                     mta());
    ok(rc == 2 && strstr(err, "takes 3x32x32 inputs") == NULL && strstr(err, "conv0.weight") && strstr(err, "shape"),
       "a PyTorch export is checked tensor by tensor against the model (3-channel conv0 vs 1-channel data)");
    if (rc != 2) diag("exit %d: %s", rc, err);
}

static void check_errors(void)
{
    write_file("bad.model", "conv out=8 k=3 strid=2\n", 23);
    write_file("short.safetensors", "abc", 3);
    /* a valid checkpoint whose header is then cut */
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd %s && head -c 200 a.safetensors > cut.safetensors && head -c 20000 a.safetensors > trunc.safetensors", tmpdir);
    CHECK(system(cmd) == 0, "truncating");
    expect_error("unknown flag '--bogus'", "stats ResNet_18 --bogus 1", "");
    expect_error("flag --width", "stats ResNet_18 --width zero%s", "");
    expect_error("flag --width", "stats ResNet_18 --width -1%s", "");
    expect_error("unknown data set 'mnist'", "stats ResNet_18 --data mnist%s", "");
    expect_error("unknown flag '--dataset' (did you mean --data?)", "stats ResNet_18 --dataset cifar10%s", "");
    expect_error("flag --lr given twice", "train ResNet_18 --out x --lr 1 --lr 2%s", "");
    expect_error("flags:\n  --data SPEC", "train ResNet_18 --bogus%s", "");   /* a wrong flag prints the usage */
    expect_error("no such file", "stats NoSuchNet%s", "");
    expect_error("bad.model:1: conv: unknown key 'strid'", "stats bad.model%s", "");
    expect_error("needs a value", "stats ResNet_18 --width%s", "");
    expect_error("unknown command 'frobnicate'", "frobnicate%s", "");
    expect_error("short.safetensors", "eval short.safetensors --data fmnist%s", "");
    expect_error("cut.safetensors", "eval cut.safetensors --data fmnist%s", "");
    expect_error("trunc.safetensors", "eval trunc.safetensors --data fmnist%s", "");
    expect_error("flag --out is required", "init ResNet_18%s", "");
    expect_error("flag --seed", "init ResNet_18 --out x.safetensors --seed -4%s", "");
    expect_error("unknown data set spec", "eval a.safetensors --data foo:bar%s", "");
    expect_error("flag --limit", "eval a.safetensors --data fmnist --limit 0%s", "");
    expect_error("/nonexistent/data_batch_1.bin: not found", "eval a.safetensors --data cifar10:/nonexistent%s", "");
    expect_error("no mta metadata", "eval %s/tests/fixtures/model_ResNet_18.safetensors --data fmnist", getenv("PWD") ? getenv("PWD") : ".");
}

static void check_mismatch(void)
{
    /* a checkpoint of one width loaded as another model: first mismatch named */
    char err[4096];
    int rc = run_cmd(err, sizeof err, "cd %s && %s init ResNet_18 --width 0.0625 --seed 1 --out r.safetensors && "
                     "%s eval r.safetensors --data fmnist --model AlexNet_BN --limit 5", tmpdir, mta(), mta());
    ok(rc == 2 && strstr(err, "holds a ResNet_18") && strstr(err, "--model AlexNet_BN disagrees"),
       "--model that disagrees with a self-describing checkpoint is an error naming both (exit %d)", rc);
    if (rc != 2) diag("%s", err);
    rc = run_cmd(err, sizeof err, "cd %s && %s eval r.safetensors --data fmnist --model ResNet_18 --width 0.0625 --limit 5",
                 tmpdir, mta());
    ok(rc == 0, "--model and --width that agree with the checkpoint are accepted (exit %d)", rc);
    rc = run_cmd(err, sizeof err, "cd %s && %s eval r.safetensors --data fmnist --width 0.5 --limit 5", tmpdir, mta());
    ok(rc == 2 && strstr(err, "width 0.0625") && strstr(err, "--width 0.5 disagrees"), "a --width that disagrees is an error (exit %d)", rc);
}

/* Every flag every command declares is listed by `mta CMD --help` with its default (or
 * "(required)"), and by the overview `mta help`: both come from the one declaration. */
static void check_declarations(void)
{
    const CliCommand *cmds[] = {&cmd_stats_info, &cmd_init_info, &cmd_eval_info, &cmd_train_info,
                                &cmd_ptq_info,   &cmd_fit_info,  &cmd_bench_info, &cmd_env_info};
    char err[256], path[512];
    snprintf(path, sizeof path, "%s/overview.txt", tmpdir);
    int rc = run_cmd(err, sizeof err, "%s help > %s", mta(), path);
    size_t on = 0;
    char *overview = NULL;
    FILE *f = fopen(path, "r");
    if (f) { overview = xmalloc(1 << 16); on = fread(overview, 1, (1 << 16) - 1, f); overview[on] = 0; fclose(f); }
    ok(rc == 0 && overview && on > 100, "mta help exits 0 and prints the overview");
    for (size_t c = 0; c < sizeof cmds / sizeof *cmds; c++) {
        snprintf(path, sizeof path, "%s/help_%s.txt", tmpdir, cmds[c]->name);
        rc = run_cmd(err, sizeof err, "%s %s --help > %s", mta(), cmds[c]->name, path);
        char *text = xmalloc(1 << 16);
        size_t n = 0;
        f = fopen(path, "r");
        if (f) { n = fread(text, 1, (1 << 16) - 1, f); fclose(f); }
        text[n] = 0;
        int nflag = 0, listed = 0, with_default = 0, in_overview = 0;
        for (const CliFlagSpec *s = cmds[c]->flags; s->name; s++) {
            char want[80];
            nflag++;
            snprintf(want, sizeof want, "\n  --%s%s", s->name, s->arg ? " " : "");
            const char *at = strstr(text, want);
            listed += at != NULL;
            if (at) {
                const char *eol = strchr(at + 1, '\n');
                const char *nxt = eol && strncmp(eol + 1, "   ", 3) == 0 ? strchr(eol + 1, '\n') : eol;   /* a wrapped line */
                size_t len = nxt ? (size_t)(nxt - at) : strlen(at);
                char line[512];
                snprintf(line, sizeof line, "%.*s", (int)(len < 500 ? len : 500), at);
                with_default += strstr(line, "(default: ") || strstr(line, "(required)");
            }
            snprintf(want, sizeof want, "--%s%s", s->name, s->arg ? " " : "]");
            in_overview += overview && strstr(overview, want) != NULL;
        }
        ok(rc == 0 && nflag > 0 && listed == nflag && with_default == nflag && in_overview == nflag,
           "mta %s --help lists its %d flags (%d found, %d with default or required) and mta help lists them (%d)", cmds[c]->name,
           nflag, listed, with_default, in_overview);
        free(text);
    }
    free(overview);
    rc = run_cmd(err, sizeof err, "%s --version > %s/version.txt && grep -q '^mta [0-9a-f]' %s/version.txt", mta(), tmpdir, tmpdir);
    ok(rc == 0, "mta --version names the version it was built from");
    expect_error("did you mean ResNet_18?", "stats resnet18%s", "");
    expect_error("did you mean 'train'?", "trian%s", "");
}

int main(void)
{
    plan_no_plan();
    const char *m = getenv("MTA");
    CHECK(realpath(m ? m : "build/mta", mta_path), "no mta binary (run make)");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mta_cli_XXXXXX");
    CHECK(mkdtemp(tmpdir), "mkdtemp");
    check_stats();
    check_help();
    check_init_eval();
    check_torch_import();
    check_errors();
    check_mismatch();
    check_declarations();
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    if (system(cmd)) diag("could not remove %s", tmpdir);
    return done_testing();
}
