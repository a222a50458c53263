/*
 * source.c - source files, span arithmetic, the table of diagnostic codes
 * and the diagnostic printer (clang's layout and colours).
 */
#define _POSIX_C_SOURCE 200809L  /* open_memstream */

#include "source.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const diag_info diag_table[DIAG_COUNT] = {
#define DIAG(id, code, slug, title, text) {code, slug, title, text},
#include "diagnostics.def"
#undef DIAG
};

const diag_info *diag_lookup(diag_code code)
{
    assert(code >= 0 && code < DIAG_COUNT);
    return &diag_table[code];
}

int diag_find(const char *name)
{
    for (int i = 0; i < DIAG_COUNT; i++) {
        const char *code = diag_table[i].code;
        size_t n = strlen(code);
        bool same = strlen(name) == n;
        for (size_t k = 0; same && k < n; k++)
            same = toupper((unsigned char)name[k]) == code[k];
        if (same || strcmp(name, diag_table[i].slug) == 0)
            return i;
    }
    return -1;
}

void source_set_init(source_set *s, arena *a)
{
    memset(s, 0, sizeof *s);
    s->arena = a;
    s->out = stderr;
    s->max_errors = 100;
    s->config.color = 0;
    s->config.disabled[DIAG_MISSING_DESCRIPTION] = true;  /* --require-descriptions turns it on */
}

/* Records where each line starts, so positions are a binary search away. */
static void index_lines(source_set *s, source_file *f)
{
    uint32_t count = 1;
    for (size_t i = 0; i < f->size; i++)
        if (f->text[i] == '\n')
            count++;
    f->lines = arena_alloc(s->arena, sizeof(uint32_t) * count);
    f->nlines = 0;
    f->lines[f->nlines++] = 0;
    for (size_t i = 0; i < f->size; i++)
        if (f->text[i] == '\n')
            f->lines[f->nlines++] = (uint32_t)(i + 1);
}

int source_add(source_set *s, const char *path, const char *text, size_t size)
{
    if (s->nfiles == s->capfiles) {
        int cap = s->capfiles ? s->capfiles * 2 : 8;
        s->files = arena_grow(s->arena, s->files, sizeof(source_file) * (size_t)s->nfiles,
                              sizeof(source_file) * (size_t)cap);
        s->capfiles = cap;
    }
    source_file *f = &s->files[s->nfiles];
    f->path = arena_strdup(s->arena, path);
    f->text = arena_strndup(s->arena, text, size);
    f->size = size;
    index_lines(s, f);
    return s->nfiles++;
}

int source_load(source_set *s, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        diag_error(s, DIAG_FILE_UNREADABLE, span_none(), "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, size = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (size == cap) {
            if (cap >= SOURCE_MAX_FILE_SIZE) {
                free(buf);
                fclose(fp);
                diag_error(s, DIAG_INPUT_TOO_LARGE, span_none(), "'%s' is larger than %d MiB; refusing to read it",
                           path, SOURCE_MAX_FILE_SIZE / (1024 * 1024));
                return -1;
            }
            cap *= 2;
            char *grown = realloc(buf, cap);
            if (!grown)
                free(buf);
            buf = grown;
        }
        if (!buf) {
            fclose(fp);
            diag_error(s, DIAG_FILE_UNREADABLE, span_none(), "out of memory reading '%s'", path);
            return -1;
        }
        size_t n = fread(buf + size, 1, cap - size, fp);
        size += n;
        if (n == 0)
            break;
    }
    int failed = ferror(fp);
    fclose(fp);
    if (failed) {
        free(buf);
        diag_error(s, DIAG_FILE_UNREADABLE, span_none(), "cannot read '%s'", path);
        return -1;
    }
    int id = source_add(s, path, buf, size);
    free(buf);
    return id;
}

const source_file *source_get(const source_set *s, int file)
{
    return file >= 0 && file < s->nfiles ? &s->files[file] : NULL;
}

span span_make(int file, size_t start, size_t end)
{
    span sp = {file, (uint32_t)start, (uint32_t)(end < start ? start : end)};
    return sp;
}

span span_none(void)
{
    span sp = {-1, 0, 0};
    return sp;
}

bool span_valid(span sp) { return sp.file >= 0; }

span span_join(span a, span b)
{
    if (!span_valid(a))
        return b;
    if (!span_valid(b) || a.file != b.file)
        return a;
    span sp = {a.file, a.start < b.start ? a.start : b.start, a.end > b.end ? a.end : b.end};
    return sp;
}

void source_position(const source_set *s, int file, uint32_t offset, uint32_t *line, uint32_t *col)
{
    const source_file *f = source_get(s, file);
    if (!f) {
        *line = *col = 0;
        return;
    }
    if (offset > f->size)
        offset = (uint32_t)f->size;
    uint32_t lo = 0, hi = f->nlines;      /* last line start <= offset */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f->lines[mid] <= offset)
            lo = mid;
        else
            hi = mid;
    }
    *line = lo + 1;
    *col = offset - f->lines[lo] + 1;
}

/* True when bytes [begin, end) are well-formed UTF-8. */
static bool valid_utf8(const unsigned char *p, const unsigned char *end)
{
    while (p < end) {
        unsigned char c = *p++;
        int more = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1 : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : -1;
        if (more < 0 || (c & 0xFE) == 0xC0)
            return false;
        for (; more > 0; more--, p++)
            if (p >= end || (*p & 0xC0) != 0x80)
                return false;
    }
    return true;
}

/* Prints one byte of a source line so that control bytes (and, on a line
 * that is not UTF-8, any high byte) cannot corrupt a terminal. */
static void put_source_byte(FILE *out, unsigned char c, bool utf8)
{
    if (c == '\t' || (c >= 0x20 && c < 0x7f) || (c >= 0x80 && utf8))
        fputc(c, out);
    else
        fputc('?', out);
}

/* SGR sequences, as clang colours its diagnostics. */
#define COLOR_BOLD "\033[1m"
#define COLOR_ERROR "\033[1;31m"
#define COLOR_WARNING "\033[1;35m"
#define COLOR_NOTE "\033[1;36m"
#define COLOR_CARET "\033[1;32m"
#define COLOR_RESET "\033[0m"

static void print_excerpt(source_set *s, span sp)
{
    const source_file *f = source_get(s, sp.file);
    if (!f)
        return;
    uint32_t line, col;
    source_position(s, sp.file, sp.start, &line, &col);
    uint32_t begin = f->lines[line - 1];
    uint32_t end = begin;
    while (end < f->size && f->text[end] != '\n' && f->text[end] != '\r')
        end++;
    /* Long lines (minified or binary input) are cut around the column. */
    enum { MAX_SHOWN = 160 };
    uint32_t shown_begin = begin;
    if (sp.start > begin + MAX_SHOWN / 2)
        shown_begin = sp.start - MAX_SHOWN / 2;
    uint32_t shown_end = end;
    if (shown_end > shown_begin + MAX_SHOWN)
        shown_end = shown_begin + MAX_SHOWN;
    int width = line >= 100000 ? 10 : 5;
    fprintf(s->out, "%*u | ", width, line);
    if (shown_begin > begin)
        fputs("...", s->out);
    bool utf8 = valid_utf8((const unsigned char *)f->text + begin, (const unsigned char *)f->text + end);
    for (uint32_t i = shown_begin; i < shown_end; i++)
        put_source_byte(s->out, (unsigned char)f->text[i], utf8);
    if (shown_end < end)
        fputs("...", s->out);
    fputc('\n', s->out);
    fprintf(s->out, "%*s | ", width, "");
    if (shown_begin > begin)
        fputs("   ", s->out);
    for (uint32_t i = shown_begin; i < sp.start && i < shown_end; i++)
        fputc(f->text[i] == '\t' ? '\t' : ' ', s->out);
    uint32_t underline_end = sp.end < shown_end ? sp.end : shown_end;
    if (s->color)
        fputs(COLOR_CARET, s->out);
    fputc('^', s->out);
    for (uint32_t i = sp.start + 1; i < underline_end; i++)
        fputc('~', s->out);
    if (s->color)
        fputs(COLOR_RESET, s->out);
    fputc('\n', s->out);
}

/* Keeps a diagnostic for the JSON or SARIF document written at the end. */
static void record(source_set *s, char kind, diag_code code, span sp, const char *fmt, va_list ap)
{
    if (s->nrecords == s->caprecords) {
        int cap = s->caprecords ? s->caprecords * 2 : 16;
        s->records = arena_grow(s->arena, s->records, sizeof(diag_record) * (size_t)s->nrecords,
                                sizeof(diag_record) * (size_t)cap);
        s->caprecords = cap;
    }
    char message[1024];
    vsnprintf(message, sizeof message, fmt, ap);
    s->records[s->nrecords++] = (diag_record){kind, code, sp, arena_strdup(s->arena, message)};
}

/* kind: 'e', 'w' or 'n'; flag: the -W option a lint is shown with, or NULL. */
static void report(source_set *s, char kind, diag_code code, const char *flag, span sp,
                   const char *fmt, va_list ap)
{
    if (s->config.format != DIAG_FORMAT_TEXT) {
        record(s, kind, code, sp, fmt, ap);
        return;
    }
    /* Composed in memory and written at once: stderr is unbuffered, and a
     * byte-by-byte excerpt made thousands of warnings cost a write each. */
    FILE *out = s->out;
    char *text = NULL;
    size_t size = 0;
    FILE *buffer = open_memstream(&text, &size);
    if (buffer)
        s->out = buffer;
    const char *name = kind == 'e' ? "error" : kind == 'w' ? "warning" : "note";
    const char *color = kind == 'e' ? COLOR_ERROR : kind == 'w' ? COLOR_WARNING : COLOR_NOTE;
    const source_file *f = source_get(s, sp.file);
    if (s->color)
        fputs(COLOR_BOLD, s->out);
    if (f) {
        uint32_t line, col;
        source_position(s, sp.file, sp.start, &line, &col);
        fprintf(s->out, "%s:%u:%u: ", f->path, line, col);
    } else {
        fputs("fdlc: ", s->out);
    }
    fprintf(s->out, "%s%s", s->color ? color : "", name);
    if (kind != 'n')
        fprintf(s->out, "[%s]", diag_lookup(code)->code);
    fprintf(s->out, "%s: ", s->color ? COLOR_RESET COLOR_BOLD : "");
    vfprintf(s->out, fmt, ap);
    if (flag)
        fprintf(s->out, " [%s-W%s]", kind == 'e' ? "-Werror," : "", flag);
    if (s->color)
        fputs(COLOR_RESET, s->out);
    fputc('\n', s->out);
    print_excerpt(s, sp);
    if (buffer) {
        s->out = out;
        if (fclose(buffer) == 0)
            fwrite(text, 1, size, out);
        free(text);
    }
}

/* Counts an error; false when it is past max_errors and is not shown. */
static bool count_error(source_set *s)
{
    s->errors++;
    s->hide_notes = s->max_errors > 0 && s->errors > s->max_errors;
    if (s->hide_notes && s->errors == s->max_errors + 1 && s->config.format == DIAG_FORMAT_TEXT)
        fprintf(s->out, "fdlc: note: too many errors; the rest are counted but not shown\n");
    return !s->hide_notes;
}

void diag_error(source_set *s, diag_code code, span sp, const char *fmt, ...)
{
    assert(!diag_is_warning(code));
    if (!count_error(s))
        return;
    va_list ap;
    va_start(ap, fmt);
    report(s, 'e', code, NULL, sp, fmt, ap);
    va_end(ap);
}

void diag_warning(source_set *s, diag_code code, span sp, const char *fmt, ...)
{
    assert(diag_is_warning(code));
    if (s->config.disabled[code]) {
        s->hide_notes = true;
        return;
    }
    if (s->config.werror) {
        if (!count_error(s))
            return;
    } else {
        s->warnings++;
        s->hide_notes = false;
    }
    va_list ap;
    va_start(ap, fmt);
    report(s, s->config.werror ? 'e' : 'w', code, diag_lookup(code)->slug, sp, fmt, ap);
    va_end(ap);
}

void diag_note(source_set *s, span sp, const char *fmt, ...)
{
    if (s->hide_notes)
        return;
    va_list ap;
    va_start(ap, fmt);
    report(s, 'n', DIAG_COUNT, NULL, sp, fmt, ap);
    va_end(ap);
}
