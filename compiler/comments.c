/*
 * comments.c - finding a file's comments and putting them back into
 * `fdlc fmt`'s output (the rules are in comments.h).
 *
 * YAML: libyaml's scanner gives every token's place; a '#' outside the
 * scalar tokens, at a line's start or after a space or tab, starts a
 * comment (YAML's own rule), so a '#' inside a quoted or block scalar is
 * never taken for one. .fdl: the grammar's rule, a '#' outside a string
 * ('...' or "...", with backslash escapes) or a `name` starts a comment.
 */
#define _POSIX_C_SOURCE 200809L

#include "comments.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ------------------------------------------------------------ scanning */

/* A byte range the scanner must not look for comments in. */
typedef struct range {
    uint32_t start, end;
} range;

typedef struct ranges {
    range *items;
    int count, cap;
} ranges;

static void ranges_add(arena *a, ranges *r, uint32_t start, uint32_t end)
{
    if (r->count == r->cap) {
        int cap = r->cap ? r->cap * 2 : 64;
        r->items = arena_grow(a, r->items, sizeof *r->items * (size_t)r->count,
                              sizeof *r->items * (size_t)cap);
        r->cap = cap;
    }
    r->items[r->count++] = (range){start, end};
}

/* libyaml marks count characters in a line; offsets count bytes. */
static uint32_t mark_offset(const source_file *f, yaml_mark_t mark)
{
    if (mark.line >= f->nlines)
        return (uint32_t)f->size;
    uint32_t off = f->lines[mark.line];
    for (size_t col = 0; col < mark.column && off < f->size && f->text[off] != '\n'; col++) {
        unsigned char c = (unsigned char)f->text[off++];
        while (c >= 0xC0 && off < f->size && ((unsigned char)f->text[off] & 0xC0) == 0x80)
            off++;
    }
    return off;
}

/* The scalars of a YAML text; where scanning stops (an error) the rest
 * counts as one scalar, so nothing after it is taken for a comment. */
static void yaml_scalars(const source_file *f, arena *a, ranges *out)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return;
    yaml_parser_set_input_string(&parser, (const unsigned char *)f->text, f->size);
    for (;;) {
        yaml_token_t token;
        if (!yaml_parser_scan(&parser, &token)) {
            ranges_add(a, out, mark_offset(f, parser.problem_mark), (uint32_t)f->size);
            break;
        }
        yaml_token_type_t type = token.type;
        if (type == YAML_SCALAR_TOKEN)
            ranges_add(a, out, mark_offset(f, token.start_mark), mark_offset(f, token.end_mark));
        yaml_token_delete(&token);
        if (type == YAML_STREAM_END_TOKEN || type == YAML_NO_TOKEN)
            break;
    }
    yaml_parser_delete(&parser);
}

/* Where a '#' starting a .fdl comment can be: not in strings or `names`. */
static void fdl_strings(const source_file *f, arena *a, ranges *out)
{
    const char *t = f->text;
    for (uint32_t i = 0; i < f->size; i++) {
        char c = t[i];
        if (c == '#') {
            while (i < f->size && t[i] != '\n')
                i++;
        } else if (c == '\'' || c == '"' || c == '`') {
            uint32_t start = i++;
            while (i < f->size && t[i] != c && t[i] != '\n') {
                if (t[i] == '\\' && c != '`' && i + 1 < f->size && t[i + 1] != '\n')
                    i++;
                i++;
            }
            ranges_add(a, out, start, i + 1);
        }
    }
}

static bool inside(const ranges *r, uint32_t offset, int *cursor)
{
    while (*cursor < r->count && r->items[*cursor].end <= offset)
        (*cursor)++;
    return *cursor < r->count && r->items[*cursor].start <= offset;
}

static bool blank_line(const source_file *f, uint32_t line)
{
    if (line >= f->nlines)
        return false;
    for (uint32_t i = f->lines[line]; i < f->size && f->text[i] != '\n'; i++)
        if (f->text[i] != ' ' && f->text[i] != '\t' && f->text[i] != '\r')
            return false;
    /* The empty last "line" after a final newline is the end, not a blank. */
    return f->lines[line] < f->size;
}

static void add_comment(const source_file *f, arena *a, fmt_comments *out, int *cap,
                        uint32_t offset, uint32_t line)
{
    uint32_t end = offset;
    while (end < f->size && f->text[end] != '\n')
        end++;
    while (end > offset && (f->text[end - 1] == ' ' || f->text[end - 1] == '\t' ||
                            f->text[end - 1] == '\r'))
        end--;
    bool trailing = false;
    for (uint32_t i = f->lines[line]; i < offset; i++)
        if (f->text[i] != ' ' && f->text[i] != '\t')
            trailing = true;
    if (out->count == *cap) {
        int grown = *cap ? *cap * 2 : 16;
        out->items = arena_grow(a, out->items, sizeof *out->items * (size_t)*cap,
                                sizeof *out->items * (size_t)grown);
        *cap = grown;
    }
    out->items[out->count++] = (fmt_comment){offset, line, arena_strndup(a, f->text + offset, end - offset),
                                             trailing, blank_line(f, line + 1)};
}

void comments_scan(const source_set *sources, int file, bool fdl, arena *a, fmt_comments *out)
{
    memset(out, 0, sizeof *out);
    const source_file *f = source_get(sources, file);
    if (!f)
        return;
    ranges skip = {0};
    if (fdl)
        fdl_strings(f, a, &skip);
    else
        yaml_scalars(f, a, &skip);
    int cap = 0, cursor = 0;
    uint32_t line = 0;
    for (uint32_t i = 0; i < f->size; i++) {
        while (line + 1 < f->nlines && f->lines[line + 1] <= i)
            line++;
        if (f->text[i] != '#' || inside(&skip, i, &cursor))
            continue;
        bool starts = fdl || i == f->lines[line] || f->text[i - 1] == ' ' || f->text[i - 1] == '\t';
        if (!starts)
            continue;
        add_comment(f, a, out, &cap, i, line);
        while (i < f->size && f->text[i] != '\n')
            i++;
        i--;   /* the loop's i++ lands on the newline */
    }
}

/* ------------------------------------------------------------ placing */

typedef struct mark {
    uint32_t out_line;
    uint32_t start_line, end_line;   /* source lines of the span */
} mark;

typedef struct lead {
    uint32_t out_line;
    uint32_t offset;
    const char *indent;
} lead;

struct comment_layout {
    arena *arena;
    const source_set *sources;
    int file;
    FILE *mem;
    char **text;
    size_t *size;
    bool blank_lines;     /* keep blank lines between items */
    size_t counted;       /* bytes of *text whose newlines are in `lines` */
    uint32_t lines;
    mark *marks;
    int nmarks, capmarks;
    lead *leads;
    int nleads, capleads;
};

comment_layout *comment_layout_new(arena *a, const source_set *sources, int file, FILE *mem,
                                   char **text, size_t *size, bool blank_lines)
{
    comment_layout *l = arena_alloc(a, sizeof *l);
    l->arena = a;
    l->sources = sources;
    l->file = file;
    l->mem = mem;
    l->text = text;
    l->size = size;
    l->blank_lines = blank_lines;
    return l;
}

/* The 0-based output line the next byte printed goes on. */
static uint32_t current_line(comment_layout *l)
{
    fflush(l->mem);
    for (; l->counted < *l->size; l->counted++)
        if ((*l->text)[l->counted] == '\n')
            l->lines++;
    return l->lines;
}

static uint32_t source_line(const source_file *f, uint32_t offset)
{
    uint32_t low = 0, high = f->nlines;
    while (high - low > 1) {
        uint32_t mid = low + (high - low) / 2;
        if (f->lines[mid] <= offset)
            low = mid;
        else
            high = mid;
    }
    return low;
}

void comment_mark(comment_layout *l, span sp)
{
    if (!l || sp.file != l->file || !span_valid(sp) || (sp.start == 0 && sp.end == 0))
        return;
    const source_file *f = source_get(l->sources, l->file);
    if (l->nmarks == l->capmarks) {
        int cap = l->capmarks ? l->capmarks * 2 : 64;
        l->marks = arena_grow(l->arena, l->marks, sizeof *l->marks * (size_t)l->nmarks,
                              sizeof *l->marks * (size_t)cap);
        l->capmarks = cap;
    }
    uint32_t end = sp.end > sp.start ? sp.end - 1 : sp.start;
    l->marks[l->nmarks++] = (mark){current_line(l), source_line(f, sp.start), source_line(f, end)};
}

void comment_lead(comment_layout *l, span sp, const char *indent)
{
    if (!l || sp.file != l->file || !span_valid(sp) || (sp.start == 0 && sp.end == 0))
        return;
    if (l->nleads == l->capleads) {
        int cap = l->capleads ? l->capleads * 2 : 64;
        l->leads = arena_grow(l->arena, l->leads, sizeof *l->leads * (size_t)l->nleads,
                              sizeof *l->leads * (size_t)cap);
        l->capleads = cap;
    }
    l->leads[l->nleads++] = (lead){current_line(l), sp.start, indent};
}

/* For each source line, the last output line showing an item that starts
 * there, else one that ends there; -1 when none (a trailing comment on it
 * then goes on a line of its own). */
static int64_t *trailing_lines(const comment_layout *l, uint32_t nsource)
{
    int64_t *starts = arena_alloc(l->arena, sizeof(int64_t) * (nsource + 1));
    int64_t *ends = arena_alloc(l->arena, sizeof(int64_t) * (nsource + 1));
    for (uint32_t i = 0; i <= nsource; i++)
        starts[i] = ends[i] = -1;
    for (int i = 0; i < l->nmarks; i++) {
        const mark *m = &l->marks[i];
        assert(m->start_line < nsource && m->end_line < nsource);
        if ((int64_t)m->out_line > starts[m->start_line])
            starts[m->start_line] = m->out_line;
        if ((int64_t)m->out_line > ends[m->end_line])
            ends[m->end_line] = m->out_line;
    }
    for (uint32_t i = 0; i < nsource; i++)
        if (starts[i] < 0)
            starts[i] = ends[i];
    return starts;
}

/* Leads by offset, then output line: the first at or after an offset is
 * where a full-line comment there goes. */
static int compare_leads(const void *x, const void *y)
{
    const lead *a = x, *b = y;
    if (a->offset != b->offset)
        return a->offset < b->offset ? -1 : 1;
    return a->out_line < b->out_line ? -1 : a->out_line > b->out_line;
}

/* The lead a full-line comment at offset goes before; NULL: the end. */
static const lead *next_lead(const comment_layout *l, uint32_t offset)
{
    int low = 0, high = l->nleads;   /* leads are sorted: the first with offset >= it */
    while (low < high) {
        int mid = low + (high - low) / 2;
        if (l->leads[mid].offset < offset)
            low = mid + 1;
        else
            high = mid;
    }
    return low < l->nleads ? &l->leads[low] : NULL;
}

/* Where each comment goes: before output line `line` (full) or at its end. */
typedef struct placed {
    uint32_t line;       /* nlines: after everything */
    bool at_end;
    const char *indent;
    const fmt_comment *comment;
} placed;

/* Whether offset is the first thing on its line (after spaces and a YAML
 * item's "- "): an item written there, not one inside another's line. */
static bool starts_line(const source_file *f, uint32_t offset)
{
    for (uint32_t i = offset; i > 0 && f->text[i - 1] != '\n'; i--)
        if (f->text[i - 1] != ' ' && f->text[i - 1] != '\t' && f->text[i - 1] != '-')
            return false;
    return true;
}

/*
 * The output lines a blank line goes before: those of an item written
 * after a blank line in the source (or whose comments placed above it
 * were), unless the printer's line before is blank already. So the blank
 * lines between items a user left stay, one each, and formatting again
 * finds them where it put them.
 */
static bool *blank_before(const comment_layout *l, const source_file *f, const placed *where,
                          int ncomments, const char *text, size_t size, uint32_t nlines)
{
    uint32_t *first = arena_alloc(l->arena, sizeof(uint32_t) * ((size_t)nlines + 1));
    for (uint32_t i = 0; i <= nlines; i++)
        first[i] = UINT32_MAX;
    /* Indented items only: a top-level line (a YAML section's header, a
     * .fdl definition) is not where its first item was written, and .fdl
     * definitions are always apart. */
    for (int i = 0; i < l->nleads; i++) {
        uint32_t at = source_line(f, l->leads[i].offset);
        if (l->leads[i].indent[0] && l->leads[i].out_line < nlines && at < first[l->leads[i].out_line] &&
            starts_line(f, l->leads[i].offset))
            first[l->leads[i].out_line] = at;
    }
    for (int c = 0; c < ncomments; c++)
        if (!where[c].at_end && where[c].line < nlines && first[where[c].line] != UINT32_MAX &&
            where[c].comment->line < first[where[c].line])
            first[where[c].line] = where[c].comment->line;
    bool *blank = arena_alloc(l->arena, (size_t)nlines + 1);
    bool previous_empty = false;
    size_t pos = 0;
    for (uint32_t line = 0; line < nlines; line++) {
        blank[line] = l->blank_lines && line > 0 && !previous_empty && first[line] != UINT32_MAX && first[line] > 0 &&
                      blank_line(f, first[line] - 1);
        previous_empty = pos < size && text[pos] == '\n';
        while (pos < size && text[pos] != '\n')
            pos++;
        pos++;
    }
    return blank;
}

void comment_layout_write(comment_layout *l, const fmt_comments *comments, FILE *out)
{
    fclose(l->mem);
    const char *text = *l->text ? *l->text : "";
    size_t size = *l->size;
    uint32_t nlines = 0;
    for (size_t i = 0; i < size; i++)
        nlines += text[i] == '\n';
    if (size && text[size - 1] != '\n')
        nlines++;
    const source_file *f = source_get(l->sources, l->file);
    int64_t *trailing = trailing_lines(l, f->nlines);
    if (l->nleads > 1)
        qsort(l->leads, (size_t)l->nleads, sizeof *l->leads, compare_leads);
    placed *where = arena_alloc(l->arena, sizeof *where * (size_t)(comments->count + 1));
    for (int c = 0; c < comments->count; c++) {
        const fmt_comment *comment = &comments->items[c];
        placed p = {nlines, false, "", comment};
        int64_t at = comment->trailing ? trailing[comment->line] : -1;
        if (at >= 0 && (uint32_t)at < nlines) {
            p.line = (uint32_t)at;
            p.at_end = true;
        } else {
            const lead *x = next_lead(l, comment->offset);
            if (x && x->out_line < nlines) {
                p.line = x->out_line;
                p.indent = x->indent;
            }
        }
        where[c] = p;
    }
    bool *blank = blank_before(l, f, where, comments->count, text, size, nlines);
    /* Comments by output line, each line's in source order (a counting sort). */
    int *first = arena_alloc(l->arena, sizeof(int) * ((size_t)nlines + 2));
    int *order = arena_alloc(l->arena, sizeof(int) * (size_t)(comments->count + 1));
    for (int c = 0; c < comments->count; c++)
        first[where[c].line + 1]++;
    for (uint32_t line = 0; line <= nlines; line++)
        first[line + 1] += first[line];
    int *fill = arena_alloc(l->arena, sizeof(int) * ((size_t)nlines + 1));
    for (int c = 0; c < comments->count; c++)
        order[first[where[c].line] + fill[where[c].line]++] = c;
    /* Line by line: the full-line comments before it, the line, its
     * trailing comments; then what goes at the end (no blank line after
     * the file's last comment). */
    size_t pos = 0;
    for (uint32_t line = 0; line <= nlines; line++) {
        if (line < nlines && blank[line])
            putc('\n', out);
        for (int k = first[line]; k < first[line + 1]; k++) {
            const placed *p = &where[order[k]];
            if (p->at_end)
                continue;
            fprintf(out, "%s%s\n", p->indent, p->comment->text);
            if (p->comment->blank_after && !(line == nlines && k + 1 == first[line + 1]))
                putc('\n', out);
        }
        if (line == nlines)
            break;
        size_t end = pos;
        while (end < size && text[end] != '\n')
            end++;
        fwrite(text + pos, 1, end - pos, out);
        for (int k = first[line]; k < first[line + 1]; k++)
            if (where[order[k]].at_end)
                fprintf(out, "  %s", where[order[k]].comment->text);
        putc('\n', out);
        pos = end + 1;
    }
    free(*l->text);
    *l->text = NULL;
}
