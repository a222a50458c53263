/*
 * install_paths.c - finds fdlrt.h relative to the fdlc executable, so that
 * an installed (or moved, or packaged) fdlc needs nothing of the tree it was
 * built from. See install_paths.h.
 */
#define _XOPEN_SOURCE 700

#include "install_paths.h"

#include <assert.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CMake gives the relative path from the installed bin/ to include/. */
#ifndef FDL_BIN_TO_INCLUDE
#define FDL_BIN_TO_INCLUDE "../include"
#endif

/* An executable's directory, then a relative part and "/fdlrt.h". */
enum { EXE_SIZE = PATH_MAX, PATH_SIZE = EXE_SIZE + 64 };

/* The directory of the running executable, without a trailing '/'. */
static bool executable_dir(char *dir, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n <= 0 || (size_t)n >= size - 1)
        return false;
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash)
        return false;
    *slash = '\0';
    return true;
}

/* Whether DIR/fdlrt.h can be read. */
static bool has_header(const char *dir)
{
    char path[PATH_SIZE + 16];
    assert(strlen(dir) < PATH_SIZE);
    snprintf(path, sizeof path, "%s/fdlrt.h", dir);
    return access(path, R_OK) == 0;
}

const char *install_runtime_include_dir(void)
{
    static char found[PATH_SIZE];
    const char *env = getenv("FDLC_INCLUDE");
    if (env && *env) {
        snprintf(found, sizeof found, "%s", env);
        return found;
    }
    char exe[EXE_SIZE];
    if (!executable_dir(exe, sizeof exe)) {
        fprintf(stderr, "fdlc: cannot tell where fdlc is (/proc/self/exe) to find fdlrt.h;"
                        " set FDLC_INCLUDE to the directory holding it\n");
        return NULL;
    }
    /* Installed first; the build tree's copy only where no install is. */
    static const char *const relative[] = {FDL_BIN_TO_INCLUDE, "../runtime/include"};
    _Static_assert(sizeof FDL_BIN_TO_INCLUDE < PATH_SIZE - EXE_SIZE - 1, "bin to include too long");
    for (size_t i = 0; i < sizeof relative / sizeof *relative; i++) {
        snprintf(found, sizeof found, "%s/%s", exe, relative[i]);
        if (has_header(found))
            return found;
    }
    fprintf(stderr, "fdlc: cannot find fdlrt.h in %s/%s (installed) or %s/../runtime/include"
                    " (build tree); set FDLC_INCLUDE to the directory holding it\n",
            exe, FDL_BIN_TO_INCLUDE, exe);
    return NULL;
}
