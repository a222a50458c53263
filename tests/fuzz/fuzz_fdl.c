/*
 * fuzz_fdl.c - libFuzzer harness: the .fdl front end (flex and bison),
 * sema and codegen on arbitrary bytes. Seeds: the .fdl examples.
 */
#include "fuzz_compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_compile(data, size, true);
    return 0;
}
