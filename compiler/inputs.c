/*
 * inputs.c - glob patterns in `fdlc batch --source NAME=PATTERN` (see
 * inputs.h). The shell usually expands a pattern first; a quoted one, or
 * one in a script that passes it on whole, is expanded here, so every
 * caller gets the same files in the same (sorted) order.
 */
#define _POSIX_C_SOURCE 200809L

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inputs.h"

/* The glob results whose names the expanded sources point into. */
static glob_t *globs;
static int nglobs;

static bool is_pattern(const char *path)
{
    return strpbrk(path, "*?[") != NULL;
}

bool inputs_expand_sources(const fdl_batch_source *sources, int n, fdl_batch_source **out, int *nout)
{
    glob_t *grown = realloc(globs, sizeof *globs * (size_t)(nglobs + n + 1));
    if (!grown) {
        fprintf(stderr, "fdlc: out of memory\n");
        return false;
    }
    globs = grown;
    size_t total = 0;
    int first = nglobs;
    for (int i = 0; i < n; i++) {
        if (!is_pattern(sources[i].path)) {
            total++;
            continue;
        }
        glob_t *g = &globs[nglobs];
        int status = glob(sources[i].path, 0, NULL, g);
        if (status != 0) {
            globfree(g);
            fprintf(stderr, "fdlc: --source %s=%s: %s\n", sources[i].name, sources[i].path,
                    status == GLOB_NOMATCH ? "no file matches the pattern" : "cannot read the directories");
            return false;
        }
        nglobs++;
        total += g->gl_pathc;
    }
    fdl_batch_source *expanded = calloc(total + 1, sizeof *expanded);
    if (!expanded) {
        fprintf(stderr, "fdlc: out of memory\n");
        return false;
    }
    int k = 0, g = first;
    for (int i = 0; i < n; i++) {
        if (!is_pattern(sources[i].path)) {
            expanded[k++] = sources[i];
            continue;
        }
        for (size_t m = 0; m < globs[g].gl_pathc; m++)   /* glob sorts them */
            expanded[k++] = (fdl_batch_source){sources[i].name, globs[g].gl_pathv[m]};
        g++;
    }
    *out = expanded;
    *nout = k;
    return true;
}

void inputs_free(void)
{
    for (int i = 0; i < nglobs; i++)
        globfree(&globs[i]);
    free(globs);
    globs = NULL;
    nglobs = 0;
}
