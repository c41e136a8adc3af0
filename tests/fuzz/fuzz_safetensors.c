/* fuzz_safetensors.c — safetensors reading and checkpoint loading (src/io/safetensors.c,
 * src/nn/checkpoint.c): the input is a file; it is read as safetensors (every tensor then
 * read as f32 / i64 where its dtype allows) and loaded as an mta checkpoint. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "io/safetensors.h"
#include "nn/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("in.safetensors");
    fuzz_write(path, data, size, 0);
    char err[1024];
    StFile f;
    if (st_read(path, &f, err, sizeof err) == 0) {
        for (size_t i = 0; i < f.ntensors; i++) {
            const StTensor *t = &f.tensors[i];
            if (t->numel > (8u << 20)) continue;
            void *dst = malloc(t->numel ? t->numel * 8 : 1);   /* room for either decoding */
            st_read_f32(&f, t, dst);
            st_read_i64(&f, t, dst);
            free(dst);
        }
        st_free(&f);
    } else if (!err[0]) abort();
    CkptInfo info;
    Net *net = ckpt_load(path, NULL, 1.0, (Shape){1, 32, 32}, 10, &info, err, sizeof err);
    if (!net && !err[0]) abort();
    net_free(net);
    return 0;
}
