/* fuzz_model.c — the model language (src/nn/modelfile.c): any text is a network or a clear
 * error naming file and line.  Built at width 1 and at a small width, for a 1x32x32 and a
 * 3x32x32 input with 10 classes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn/modelfile.h"
#include "nn/net.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16) return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = 0;
    char err[1024];
    static const double widths[] = {1.0, 0.0625};
    for (int w = 0; w < 2; w++) {
        Net *net = net_build("fuzz.model", "fuzz", text, (Shape){w ? 3 : 1, 32, 32}, 10, widths[w], err, sizeof err);
        if (!net && !err[0]) abort();   /* a failure always says why */
        net_free(net);
    }
    free(text);
    return 0;
}
