/*
 * fuzz_yaml.c - libFuzzer harness: the YAML front end, sema and codegen on
 * arbitrary bytes. Seeds: the YAML examples and golden files.
 */
#include "fuzz_compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_compile(data, size, false);
    return 0;
}
