/*
 * source.h - source files, spans and the one diagnostic printer.
 *
 * A span is a file id plus byte offsets; line and column are computed only
 * when a diagnostic is printed (as jq does). The YAML front end and the
 * expression parser both produce these spans, so every error looks alike:
 *
 *   defs.yaml:12:17: error[E0202]: unknown source 'purchase'
 *      12 |       source: purchase
 *         |               ^~~~~~~~
 *
 * Every error and warning carries a code from diagnostics.def (`fdlc
 * explain CODE`). With --format=json or sarif the diagnostics are kept and
 * written at the end as one document (diag_output.c) instead of printed.
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

/* The codes of diagnostics.def: DIAG_UNKNOWN_KEY, ... */
typedef enum diag_code {
#define DIAG(id, code, slug, title, text) DIAG_##id,
#include "diagnostics.def"
#undef DIAG
    DIAG_COUNT
} diag_code;

typedef struct diag_info {
    const char *code;      /* "E0101" */
    const char *slug;      /* "unknown-key": the -W name and the SARIF rule name */
    const char *title;
    const char *text;      /* the long explanation with a corrected example */
} diag_info;

const diag_info *diag_lookup(diag_code code);
/* The code with this id ("E0101", any case) or slug; -1 if none. */
int diag_find(const char *name);
static inline bool diag_is_warning(diag_code code) { return diag_lookup(code)->code[0] == 'W'; }

typedef enum diag_format { DIAG_FORMAT_TEXT, DIAG_FORMAT_JSON, DIAG_FORMAT_SARIF } diag_format;

/* How diagnostics are shown; set from the command line (diag_option). */
typedef struct diag_config {
    diag_format format;
    int color;                 /* 1 always, 0 never, -1 auto (a terminal and no NO_COLOR) */
    bool werror;               /* warnings are errors */
    bool disabled[DIAG_COUNT]; /* -Wno-SLUG */
    bool require_descriptions; /* --require-descriptions: the missing-description lint */
} diag_config;

/* One diagnostic kept for --format=json|sarif; notes follow their parent. */
typedef struct diag_record {
    char kind;                 /* 'e' error, 'w' warning, 'n' note */
    diag_code code;            /* errors and warnings */
    span span;
    const char *message;
} diag_record;

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
    diag_config config;
    bool color;        /* resolved config.color */
    diag_record *records;  /* kept, not printed, unless the format is text */
    int nrecords, caprecords;
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

/* "file:line:col: error[E0101]: msg", the source line and a ^~~~ underline. */
void diag_error(source_set *s, diag_code code, span sp, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A lint: nothing when -Wno-SLUG turned it off, an error under -Werror. */
void diag_warning(source_set *s, diag_code code, span sp, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A note attached to the previous error or warning ("first defined here"). */
void diag_note(source_set *s, span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
