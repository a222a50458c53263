/*
 * source.h - source files, spans and the one diagnostic printer.
 *
 * A span is a file id plus byte offsets; line and column are computed only
 * when a diagnostic is printed (as jq does). The YAML front end and the
 * expression parser both produce these spans, so every error looks alike:
 *
 *   defs.yaml:12:17: error: unknown source 'purchase'
 *      12 |       source: purchase
 *         |               ^~~~~~~~
 */
#ifndef FDL_SOURCE_H
#define FDL_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"

typedef struct span {
    int32_t file;      /* index into the source_set; -1 = no location */
    uint32_t start;    /* byte offset of the first byte */
    uint32_t end;      /* byte offset one past the last byte (end >= start) */
} span;

typedef struct source_file {
    const char *path;  /* as given on the command line */
    const char *text;  /* NUL-terminated contents */
    size_t size;       /* bytes, excluding the terminating NUL */
    uint32_t *lines;   /* byte offset of the start of each line */
    uint32_t nlines;
} source_file;

typedef struct source_set {
    arena *arena;
    source_file *files;
    int nfiles, capfiles;
    int errors, warnings;
    int max_errors;    /* stop printing (not counting) past this many; 0 = no limit */
    FILE *out;         /* where diagnostics go; stderr by default */
    bool hide_notes;   /* the last error was not shown, so neither are its notes */
} source_set;

enum { SOURCE_MAX_FILE_SIZE = 64 * 1024 * 1024 };

void source_set_init(source_set *s, arena *a);
/* Reads a file; returns its id, or -1 after reporting why it could not be read. */
int source_load(source_set *s, const char *path);
/* Adds text held in memory (tests, generated input); returns its id. */
int source_add(source_set *s, const char *path, const char *text, size_t size);
const source_file *source_get(const source_set *s, int file);

span span_make(int file, size_t start, size_t end);
span span_none(void);
span span_join(span a, span b);
bool span_valid(span sp);
/* 1-based line and column (column counts bytes) of an offset. */
void source_position(const source_set *s, int file, uint32_t offset, uint32_t *line, uint32_t *col);

/* "file:line:col: error: msg", the source line and a ^~~~ underline. */
void diag_error(source_set *s, span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(source_set *s, span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A note attached to the previous error or warning ("first defined here"). */
void diag_note(source_set *s, span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
