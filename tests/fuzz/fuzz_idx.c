/* fuzz_idx.c — the IDX loader (src/io/data_idx.c) as `--data idx:DIR` reads it: the input
 * becomes one of the four files (its first byte chooses which, and whether gzip'd), the other
 * three are small valid files (2 training and 2 test images of 28x28). */
#include <stdint.h>
#include <string.h>

#include "fuzz_util.h"
#include "io/data.h"

static const char *names[4] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                               "t10k-labels-idx1-ubyte"};

static size_t valid_file(int k, uint8_t *buf)
{
    static const uint8_t img[16] = {0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28};
    static const uint8_t lab[8] = {0, 0, 8, 1, 0, 0, 0, 2};
    if (k % 2 == 0) {
        memcpy(buf, img, 16);
        for (int i = 0; i < 2 * 28 * 28; i++) buf[16 + i] = (uint8_t)(i * 7);
        return 16 + 2 * 28 * 28;
    }
    memcpy(buf, lab, 8);
    buf[8] = 1;
    buf[9] = 3;
    return 10;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1 << 20)) return 0;
    int which = data[0] & 3, gz = (data[0] >> 2) & 1;
    static uint8_t buf[16 + 2 * 28 * 28];
    for (int k = 0; k < 4; k++) {
        unlink(fuzz_path(names[k]));
        char gzname[64];
        snprintf(gzname, sizeof gzname, "%s.gz", names[k]);
        unlink(fuzz_path(gzname));
    }
    for (int k = 0; k < 4; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s%s", names[k], k == which && gz ? ".gz" : "");
        if (k == which) fuzz_write(fuzz_path(name), data + 1, size - 1, gz);
        else fuzz_write(fuzz_path(name), buf, valid_file(k, buf), 0);
    }
    char spec[600], err[1024];
    snprintf(spec, sizeof spec, "idx:%s", fuzz_dir());
    Dataset ds;
    if (dataset_load(spec, 0, &ds, err, sizeof err) == 0) dataset_free(&ds);
    else if (!err[0]) abort();
    return 0;
}
