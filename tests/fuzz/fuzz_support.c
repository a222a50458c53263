/*
 * fuzz_support.c - scratch files and /dev/null for the harnesses (fuzz.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "fuzz.h"

#include <string.h>
#include <unistd.h>

enum { MAX_SCRATCH = 8 };

static char *scratch[MAX_SCRATCH];
static int nscratch;

static void remove_scratch(void)
{
    for (int i = 0; i < nscratch; i++) {
        remove(scratch[i]);
        free(scratch[i]);
    }
    nscratch = 0;
}

const char *fuzz_scratch_path(const char *name)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    char path[4096];
    snprintf(path, sizeof path, "%s/fdl-fuzz-%ld-%s", dir, (long)getpid(), name);
    for (int i = 0; i < nscratch; i++)
        if (strcmp(scratch[i], path) == 0)
            return scratch[i];
    FUZZ_CHECK(nscratch < MAX_SCRATCH, "too many scratch files");
    if (nscratch == 0)
        atexit(remove_scratch);
    scratch[nscratch] = strdup(path);
    FUZZ_CHECK(scratch[nscratch] != NULL, "out of memory");
    return scratch[nscratch++];
}

void fuzz_write_file(const char *path, const void *data, size_t size)
{
    FILE *out = fopen(path, "wb");
    FUZZ_CHECK(out != NULL, "cannot write %s", path);
    FUZZ_CHECK(size == 0 || fwrite(data, 1, size, out) == size, "cannot write %s", path);
    FUZZ_CHECK(fclose(out) == 0, "cannot write %s", path);
}

FILE *fuzz_devnull(void)
{
    static FILE *devnull;
    if (!devnull) {
        devnull = fopen("/dev/null", "w");
        FUZZ_CHECK(devnull != NULL, "cannot open /dev/null");
    }
    return devnull;
}
