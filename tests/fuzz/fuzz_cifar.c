/* fuzz_cifar.c — the CIFAR loaders (src/io/data_cifar.c) as `--data cifar10:DIR` and
 * `cifar100:DIR` read them: the input becomes one file (the first byte chooses CIFAR-10's
 * data_batch_1..5 / test_batch or CIFAR-100's train / test); the others hold one valid record. */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "io/data.h"

static const char *c10[6] = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                             "data_batch_5.bin", "test_batch.bin"};
static const char *c100[2] = {"train.bin", "test.bin"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1 << 22)) return 0;
    static uint8_t rec[3074];
    for (size_t i = 0; i < sizeof rec; i++) rec[i] = (uint8_t)(i * 13);
    rec[0] = 3;   /* label(s) in range */
    rec[1] = 7;
    int hundred = data[0] & 1, which = (data[0] >> 1) % (hundred ? 2 : 6);
    const char *const *names = hundred ? c100 : c10;
    int n = hundred ? 2 : 6;
    for (int k = 0; k < n; k++) {
        if (k == which) fuzz_write(fuzz_path(names[k]), data + 1, size - 1, 0);
        else fuzz_write(fuzz_path(names[k]), rec, hundred ? 3074 : 3073, 0);
    }
    char spec[600], err[1024];
    snprintf(spec, sizeof spec, "%s:%s", hundred ? "cifar100" : "cifar10", fuzz_dir());
    Dataset ds;
    if (dataset_load(spec, (data[0] >> 4) & 1, &ds, err, sizeof err) == 0) dataset_free(&ds);
    else if (!err[0]) abort();
    for (int k = 0; k < n; k++) unlink(fuzz_path(names[k]));
    return 0;
}
