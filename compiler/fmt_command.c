/*
 * fmt_command.c - `fdlc fmt`: print, check or rewrite definitions in
 * canonical form (format.c prints; comments.c keeps the comments).
 *
 *   fdlc fmt [--to fdl|yaml] FILE...   canonical text on stdout
 *   fdlc fmt --check FILE...           list the files that would change;
 *                                      exit 1 if any, 0 if none
 *   fdlc fmt --write FILE...           rewrite the files that would change
 *
 * Only the front ends run (a file may use names another file declares).
 * Nothing is written when any file has an error. --write never writes
 * over a file in place: the new text goes to a temporary in the target's
 * own directory, synced and renamed over it with the old file's mode
 * (runtime/output.c); a symbolic link is followed and its target rewritten,
 * the link kept; a file already canonical is not touched (its mtime
 * stays). A file that is not a regular file (or a link to one) is refused.
 */
#define _POSIX_C_SOURCE 200809L

#include "fmt_command.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fdlrt.h"
#include "format.h"
#include "front_fdl.h"
#include "front_yaml.h"
#include "internal.h"

enum { FMT_OK = 0, FMT_CHANGES = 1, FMT_ERRORS = 1, FMT_OTHER = 2 };

typedef enum fmt_mode { MODE_PRINT, MODE_CHECK, MODE_WRITE } fmt_mode;

static const char fmt_usage[] = "usage: fdlc fmt [--to fdl|yaml] FILE...\n"
                                "       fdlc fmt --check FILE...\n"
                                "       fdlc fmt --write FILE...\n";

static bool is_fdl(const char *path)
{
    size_t length = strlen(path);
    return length > 4 && strcmp(path + length - 4, ".fdl") == 0;
}

/* The canonical text of one file, malloc'd (size in *size); NULL when out of memory. */
static char *canonical_text(const source_set *sources, int id, const ast_program *ast,
                            format_syntax syntax, size_t *size)
{
    char *text = NULL;
    *size = 0;
    FILE *mem = open_memstream(&text, size);
    if (!mem)
        return NULL;
    format_file(mem, sources, id, ast, syntax);
    if (fclose(mem) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* Replaces path's contents with text, safely (see the file's comment). */
static bool rewrite(const char *path, const char *text, size_t size)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "fdlc: fmt --write: %s: not a regular file; not rewritten\n", path);
        return false;
    }
    fdl_output out;
    fdl_error err = {0};
    if (fdl_output_open(&out, path, &err) != FDL_OK) {
        fprintf(stderr, "fdlc: fmt --write: %s\n", err.message);
        return false;
    }
    if (fwrite(text, 1, size, out.file) != size) {
        fprintf(stderr, "fdlc: fmt --write: %s: cannot write\n", path);
        fdl_output_abort(&out);
        return false;
    }
    if (fdl_output_commit(&out, &err) != FDL_OK) {
        fprintf(stderr, "fdlc: fmt --write: %s\n", err.message);
        return false;
    }
    return true;
}

/* Parses the options; returns the index of the first file, or -1. */
static int parse_options(int argc, char **argv, fmt_mode *mode, const char **to)
{
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (strcmp(argv[i], "--") == 0)
            return i + 1;
        if (strcmp(argv[i], "--check") == 0 || strcmp(argv[i], "--write") == 0) {
            fmt_mode wanted = argv[i][2] == 'c' ? MODE_CHECK : MODE_WRITE;
            if (*mode != MODE_PRINT && *mode != wanted) {
                fprintf(stderr, "fdlc: fmt takes --check or --write, not both\n");
                return -1;
            }
            *mode = wanted;
        } else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc) {
            *to = argv[++i];
            if (strcmp(*to, "fdl") != 0 && strcmp(*to, "yaml") != 0) {
                fprintf(stderr, "fdlc: fmt --to takes fdl or yaml, not '%s'\n", *to);
                return -1;
            }
        } else {
            fprintf(stderr, "fdlc: fmt: unknown option '%s'\n\n%s", argv[i], fmt_usage);
            return -1;
        }
    }
    if (*to && *mode != MODE_PRINT) {
        fprintf(stderr, "fdlc: fmt --to converts to stdout; it does not go with --check or --write\n");
        return -1;
    }
    return i;
}

int fmt_main(int argc, char **argv)
{
    fmt_mode mode = MODE_PRINT;
    const char *to = NULL;
    int first = parse_options(argc, argv, &mode, &to);
    if (first < 0)
        return FMT_OTHER;
    if (first >= argc) {
        fputs(fmt_usage, stderr);
        return FMT_OTHER;
    }
    arena a;
    arena_init(&a);
    source_set sources;
    source_set_init(&sources, &a);
    ast_program ast;
    memset(&ast, 0, sizeof ast);
    int *ids = arena_alloc(&a, sizeof(int) * (size_t)argc);
    for (int i = first; i < argc; i++) {
        ids[i] = source_load(&sources, argv[i]);
        if (ids[i] < 0)
            continue;
        if (is_fdl(argv[i]))
            front_fdl_read(&sources, &a, ids[i], &ast);
        else
            front_yaml_read(&sources, &a, ids[i], &ast);
    }
    if (sources.errors > 0) {
        int n = sources.errors;
        fprintf(stderr, "%d error%s generated.\n", n, n == 1 ? "" : "s");
        arena_free(&a);
        return FMT_ERRORS;
    }
    int status = FMT_OK;
    for (int i = first; i < argc; i++) {
        bool fdl = to ? strcmp(to, "fdl") == 0 : is_fdl(argv[i]);
        size_t size;
        char *text = canonical_text(&sources, ids[i], &ast, fdl ? FORMAT_FDL : FORMAT_YAML, &size);
        if (!text) {
            fprintf(stderr, "fdlc: fmt: out of memory\n");
            status = FMT_OTHER;
            break;
        }
        const source_file *f = source_get(&sources, ids[i]);
        bool same = f->size == size && memcmp(f->text, text, size) == 0;
        if (mode == MODE_PRINT) {
            if (argc - first > 1)
                printf("%s# %s\n", i > first ? "\n" : "", argv[i]);
            fwrite(text, 1, size, stdout);
        } else if (!same && mode == MODE_CHECK) {
            printf("%s\n", argv[i]);
            status = FMT_CHANGES;
        } else if (!same && !rewrite(argv[i], text, size)) {
            status = FMT_OTHER;   /* the others are still rewritten */
        }
        free(text);
    }
    arena_free(&a);
    if (fflush(stdout) != 0)
        return FMT_OTHER;
    return status;
}
