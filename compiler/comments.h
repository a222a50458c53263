/*
 * comments.h - the comments of a definition file, and where `fdlc fmt`
 * puts them back (comments.c).
 *
 * Neither front end keeps comments (libyaml's event API does not report
 * them; the .fdl scanner skips them), so they are found again in the
 * source text by a scanner of their own, each with its byte offset. The
 * printers (format.c) then say, while they print, which source spans each
 * output line shows (comment_mark) and where an item begins
 * (comment_lead); comment_layout merges comments into the printed text:
 *
 *   - a trailing comment (code before it on its line) goes at the end of
 *     the last output line that shows an item starting on that source
 *     line (else one ending on it); when no output line does, it is placed
 *     as a full-line comment;
 *   - a full-line comment goes on its own line before the output line of
 *     the next item in the source (the first lead at or after its offset),
 *     at that item's indentation, or at the end when no item follows; a
 *     blank line after it in the source is kept;
 *   - in the file's own syntax, an indented item written at the start of
 *     its line after a blank line (or whose comments were) gets one blank
 *     line before it.
 *
 * Every comment is printed exactly once, whatever the printers mark, and
 * formatting the result again places each comment where it already is.
 */
#ifndef FDL_COMMENTS_H
#define FDL_COMMENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "source.h"

typedef struct fmt_comment {
    uint32_t offset;      /* of its '#' */
    uint32_t line;        /* 0-based source line */
    const char *text;     /* from '#' to the end of the line, trailing spaces cut */
    bool trailing;        /* code before it on its line */
    bool blank_after;     /* the source line after it is blank */
} fmt_comment;

typedef struct fmt_comments {
    fmt_comment *items;   /* in source order */
    int count;
} fmt_comments;

/* The comments of a file: .fdl (fdl) or YAML syntax. */
void comments_scan(const source_set *sources, int file, bool fdl, arena *a, fmt_comments *out);

/* What the printers record while they print into a memory stream. */
typedef struct comment_layout comment_layout;

/* A layout over the memory stream `mem` (open_memstream's *text, *size);
 * blank_lines: keep blank lines between items (printing in the file's own
 * syntax: another syntax's blank lines say nothing about this one's). */
comment_layout *comment_layout_new(arena *a, const source_set *sources, int file, FILE *mem,
                                   char **text, size_t *size, bool blank_lines);
/* The output line being printed shows the text of sp (a name, a window...). */
void comment_mark(comment_layout *l, span sp);
/* The next output line begins the item that starts at sp in the source;
 * comments before it are printed there with `indent`. */
void comment_lead(comment_layout *l, span sp, const char *indent);
/* Writes the printed text (the stream is closed) to out with the comments
 * placed. */
void comment_layout_write(comment_layout *l, const fmt_comments *comments, FILE *out);

#endif
