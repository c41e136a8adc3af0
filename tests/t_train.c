/* t_train.c — mta train on a small real subset of Fashion-MNIST: the model learns (accuracy
 * far above chance, loss falls), two runs with the same seed and threads give byte-identical
 * checkpoints, a diverging run stops with a message naming epoch and batch and leaves no
 * checkpoint.  Skips when Debian's dataset-fashion-mnist is not installed. */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/check.h"
#include "tap.h"

static char mta[PATH_MAX], dir[64];

/* extra must not repeat a flag (a flag given twice is an error); --lr defaults to 0.05 here */
static int train(const char *out, const char *extra, char *err, size_t errsz)
{
    return run_cmd(err, errsz, "cd %s && %s train AlexNet_BN --width 0.125 --epochs 2 --train-limit 3000 --val-frac 0.05 "
                   "--batch 64 %s --milestones none --seed 7 --threads 2 --out %s --log %s.log %s > %s.out",
                   dir, mta, strstr(extra, "--lr") ? "" : "--lr 0.05", out, out, extra, out);
}

int main(void)
{
    plan_no_plan();
    if (!have_fmnist()) return done_testing();
    struct stat st;
    const char *m = getenv("MTA");
    CHECK(realpath(m ? m : "build/mta", mta), "no mta binary");
    snprintf(dir, sizeof dir, "/tmp/mta_train_XXXXXX");
    CHECK(mkdtemp(dir), "mkdtemp");
    char err[4096], path[256], line[512];
    ok(train("a.safetensors", "", err, sizeof err) == 0, "mta train runs");
    ok(train("b.safetensors", "", err, sizeof err) == 0, "mta train runs again with the same seed");
    ok(run_cmd(err, sizeof err, "cmp %s/a.safetensors %s/b.safetensors", dir, dir) == 0,
       "same seed and thread count give byte-identical checkpoints");
    snprintf(path, sizeof path, "%s/a.safetensors.out", dir);
    FILE *f = fopen(path, "r");
    double test_acc = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "AlexNet_BN\t", 11)) {
            char *p = line;
            for (int col = 0; col < 7 && p; col++) p = strchr(p + 1, '\t');
            if (p) test_acc = atof(p + 1);
        }
    if (f) fclose(f);
    ok(test_acc > 40.0, "the model learns: test accuracy %.2f%% (chance 10%%)", test_acc);
    ok(run_cmd(err, sizeof err, "head -1 %s/a.safetensors.out | grep -q 'seconds\tmta_version\tcompiler\tblas\tblas_kernel\tthreads$'", dir) == 0,
       "the summary ends with the environment columns (mta_version compiler blas blas_kernel threads)");
    ok(run_cmd(err, sizeof err, "head -1 %s/a.safetensors.out | grep -q 'test_acc\tval_images\ttest_images\tseconds' && "
               "awk -F '\t' 'NR == 2 && $9 > 0 && $10 == 10000 { found = 1 } END { exit !found }' %s/a.safetensors.out", dir, dir) == 0,
       "the summary says how many validation and test images the accuracies were measured on (10000 test)");
    ok(run_cmd(err, sizeof err, "head -c 20000 %s/a.safetensors | grep -a -q '\"test_images\":\"10000\"'", dir) == 0,
       "the checkpoint's metadata records the number of test images");
    ok(run_cmd(err, sizeof err, "head -c 20000 %s/a.safetensors | grep -a -q '\"aug_crop_pad\":\"2\".*\"blas_kernel\"'", dir) == 0,
       "the checkpoint's metadata records the training augmentation (crop 2 on fmnist) and the BLAS kernel");
    snprintf(path, sizeof path, "%s/a.safetensors.log", dir);
    f = fopen(path, "r");
    double loss[3] = {0};
    int epochs = 0, header = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (!strcmp(line, "epoch\tlr\ttrain_loss\ttrain_acc\tval_acc\tseconds\n")) { header = 1; continue; }
        int e;
        double lr, l;
        if (sscanf(line, "%d\t%lf\t%lf", &e, &lr, &l) == 3 && e >= 1 && e <= 2) { loss[e] = l; epochs++; }
    }
    if (f) fclose(f);
    ok(header && epochs == 2 && loss[2] < loss[1], "the log has a header and 2 epochs; the loss falls (%.3f -> %.3f)",
       loss[1], loss[2]);
    int rc = train("c.safetensors", "--lr 100 --momentum 0.99 --warmup 0", err, sizeof err);
    snprintf(path, sizeof path, "%s/c.safetensors", dir);
    ok(rc == 2 && strstr(err, "epoch 1, batch") && stat(path, &st) != 0,
       "a diverging run stops naming epoch and batch, and leaves no checkpoint");
    if (rc != 2) diag("exit %d: %s", rc, err);
    snprintf(line, sizeof line, "rm -rf %s", dir);
    if (system(line)) diag("could not remove %s", dir);
    return done_testing();
}
