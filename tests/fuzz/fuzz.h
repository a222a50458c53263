/*
 * fuzz.h - what every fuzz harness shares: the libFuzzer entry point, a
 * check that aborts (so libFuzzer and the replay runner both report it as a
 * crash) and scratch files private to the process.
 *
 * Each harness defines LLVMFuzzerTestOneInput(). With clang and FDL_FUZZ it
 * links against libFuzzer; everywhere it also links against replay_main.c,
 * which runs it over the checked-in corpora as a ctest test.
 */
#ifndef FDL_FUZZ_H
#define FDL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the input broke: says which, then aborts. */
#define FUZZ_CHECK(cond, ...)                                                           \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "%s:%d: fuzz invariant broken: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                               \
            fputc('\n', stderr);                                                        \
            abort();                                                                    \
        }                                                                               \
    } while (0)

/* A path "<tmpdir>/fdl-fuzz-<pid>-<name>", removed at exit; the same
 * pointer on every call with the same name (at most 8 names). */
const char *fuzz_scratch_path(const char *name);
/* Replaces the file's contents with the bytes; aborts if it cannot. */
void fuzz_write_file(const char *path, const void *data, size_t size);
/* /dev/null, opened once for writing: where diagnostics and output go. */
FILE *fuzz_devnull(void);

#endif
