/* fuzz_json.c — the JSON parser of safetensors headers (src/io/json.c). */
#include <stdint.h>
#include <stdlib.h>

#include "io/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    JsonValue v;
    char err[512];
    if (json_parse((const char *)data, size, &v, err, sizeof err) == 0) json_free(&v);
    else if (!err[0]) abort();
    return 0;
}
