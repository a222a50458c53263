/*
 * diag_output.c - diagnostic options, the JSON and SARIF writers, and
 * `fdlc explain`.
 *
 * The JSON document is fdlc's own (one object per error or warning, its
 * notes inside it); the SARIF one is SARIF 2.1.0 as GitHub code scanning
 * reads it: one run, tool.driver.rules holding every code of
 * diagnostics.def (so a rule's index is its diag_code), one result per
 * error or warning with its region, notes as relatedLocations. Text from
 * the input (names in messages) may be any bytes: the writer replaces what
 * is not UTF-8 by U+FFFD, so the document is always valid JSON.
 */
#define _POSIX_C_SOURCE 200809L  /* fileno, isatty */

#include "diag_output.h"

#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int diag_option(diag_config *cfg, const char *arg)
{
    if (strncmp(arg, "--format=", 9) == 0) {
        const char *v = arg + 9;
        if (strcmp(v, "text") == 0)
            cfg->format = DIAG_FORMAT_TEXT;
        else if (strcmp(v, "json") == 0)
            cfg->format = DIAG_FORMAT_JSON;
        else if (strcmp(v, "sarif") == 0)
            cfg->format = DIAG_FORMAT_SARIF;
        else {
            fprintf(stderr, "fdlc: --format takes text, json or sarif, not '%s'\n", v);
            return -1;
        }
        return 1;
    }
    if (strncmp(arg, "--color=", 8) == 0 || strcmp(arg, "--color") == 0) {
        const char *v = arg[7] ? arg + 8 : "always";
        if (strcmp(v, "always") == 0)
            cfg->color = 1;
        else if (strcmp(v, "never") == 0)
            cfg->color = 0;
        else if (strcmp(v, "auto") == 0)
            cfg->color = -1;
        else {
            fprintf(stderr, "fdlc: --color takes auto, always or never, not '%s'\n", v);
            return -1;
        }
        return 1;
    }
    if (strcmp(arg, "--require-descriptions") == 0) {
        cfg->require_descriptions = true;
        return 1;
    }
    if (strcmp(arg, "-Werror") == 0 || strcmp(arg, "-Wno-error") == 0) {
        cfg->werror = arg[2] == 'e';
        return 1;
    }
    if (strncmp(arg, "-W", 2) != 0)
        return 0;
    bool off = strncmp(arg, "-Wno-", 5) == 0;
    const char *name = arg + (off ? 5 : 2);
    int code = diag_find(name);
    if (code < 0 || !diag_is_warning((diag_code)code)) {
        fprintf(stderr, "fdlc: unknown warning option '%s' (`fdlc explain` lists the W codes)\n", arg);
        return -1;
    }
    cfg->disabled[code] = off;
    if (code == DIAG_MISSING_DESCRIPTION)
        cfg->require_descriptions = !off;
    return 1;
}

void diag_configure(source_set *s, const diag_config *cfg)
{
    s->config = *cfg;
    if (cfg->color >= 0)
        s->color = cfg->color == 1;
    else {
        /* As clang: colour on a terminal; NO_COLOR (any non-empty value) wins. */
        const char *no_color = getenv("NO_COLOR");
        s->color = !(no_color && *no_color) && isatty(fileno(s->out));
    }
    if (!cfg->require_descriptions)
        s->config.disabled[DIAG_MISSING_DESCRIPTION] = true;
}

/* ---- JSON text ---- */

/* The length of the well-formed UTF-8 sequence at p, or 0. */
static size_t utf8_length(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = *p;
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 && c >= 0xC2 ? 2 : (c & 0xF0) == 0xE0 ? 3
             : (c & 0xF8) == 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || (size_t)(end - p) < n)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (n == 3) {  /* no overlong forms, no surrogates */
        unsigned v = ((c & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6);
        if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF))
            return 0;
    }
    if (n == 4 && ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90)))
        return 0;
    return n;
}

static void json_string(FILE *out, const char *text)
{
    if (!text) {
        fputs("null", out);
        return;
    }
    const unsigned char *p = (const unsigned char *)text, *end = p + strlen(text);
    fputc('"', out);
    while (p < end) {
        unsigned char c = *p;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", out);
        else if (c == '\t')
            fputs("\\t", out);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\u%04x", c);
        else if (c < 0x80)
            fputc(c, out);
        else {
            size_t n = utf8_length(p, end);
            if (n == 0) {
                fputs("\\ufffd", out);
                n = 1;
            } else {
                fwrite(p, 1, n, out);
            }
            p += n;
            continue;
        }
        p++;
    }
    fputc('"', out);
}

/* Line and column (1-based; the column in bytes, or in code points when
 * code_points) of an offset. */
static void position(const source_set *s, int file, uint32_t offset, bool code_points,
                     uint32_t *line, uint32_t *col)
{
    source_position(s, file, offset, line, col);
    const source_file *f = source_get(s, file);
    if (!code_points || !f || *line == 0)
        return;
    uint32_t start = f->lines[*line - 1], n = 1;
    for (uint32_t i = start; i < offset && i < f->size; i++)
        n += ((unsigned char)f->text[i] & 0xC0) != 0x80;
    *col = n;
}

static const char *severity(const diag_record *r)
{
    return r->kind == 'e' ? "error" : r->kind == 'w' ? "warning" : "note";
}

/* "file": ..., "line": ..., for the JSON document. */
static void json_location(const source_set *s, span sp, FILE *out)
{
    const source_file *f = source_get(s, sp.file);
    fputs("\"file\": ", out);
    json_string(out, f ? f->path : NULL);
    if (!f) {
        fputs(", \"line\": null, \"column\": null, \"end_line\": null, \"end_column\": null", out);
        return;
    }
    uint32_t line, col, end_line, end_col;
    position(s, sp.file, sp.start, false, &line, &col);
    position(s, sp.file, sp.end, false, &end_line, &end_col);
    fprintf(out, ", \"line\": %u, \"column\": %u, \"end_line\": %u, \"end_column\": %u", line, col,
            end_line, end_col);
}

static void write_json(const source_set *s, FILE *out)
{
    fprintf(out, "{\n  \"version\": 1,\n  \"errors\": %d,\n  \"warnings\": %d,\n  \"diagnostics\": [",
            s->errors, s->warnings);
    int shown = 0;
    for (int i = 0; i < s->nrecords; i++) {
        const diag_record *r = &s->records[i];
        if (r->kind == 'n')
            continue;
        const diag_info *info = diag_lookup(r->code);
        fprintf(out, "%s\n    {\"severity\": \"%s\", \"code\": \"%s\", \"name\": \"%s\", \"message\": ",
                shown++ ? "," : "", severity(r), info->code, info->slug);
        json_string(out, r->message);
        fputs(", ", out);
        json_location(s, r->span, out);
        fputs(", \"notes\": [", out);
        for (int j = i + 1; j < s->nrecords && s->records[j].kind == 'n'; j++) {
            fprintf(out, "%s{\"message\": ", j > i + 1 ? ", " : "");
            json_string(out, s->records[j].message);
            fputs(", ", out);
            json_location(s, s->records[j].span, out);
            fputc('}', out);
        }
        fputs("]}", out);
    }
    fprintf(out, "%s]\n}\n", shown ? "\n  " : "");
}

/* ---- SARIF 2.1.0 ---- */

/* A relative path as a URI reference (percent-encoded), an absolute one
 * as a file: URI. */
static void sarif_uri(FILE *out, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    fputc('"', out);
    if (path[0] == '/')
        fputs("file://", out);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned char c = *p;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     strchr("-._~/", c) != NULL;
        if (plain)
            fputc(c, out);
        else
            fprintf(out, "%%%c%c", hex[c >> 4], hex[c & 15]);
    }
    fputc('"', out);
}

/* A location object: physicalLocation with its region, and a message. */
static void sarif_location(const source_set *s, span sp, const char *message, int id, FILE *out)
{
    fputc('{', out);
    if (id >= 0)
        fprintf(out, "\"id\": %d, ", id);
    const source_file *f = source_get(s, sp.file);
    if (f) {
        uint32_t line, col, end_line, end_col;
        position(s, sp.file, sp.start, true, &line, &col);
        position(s, sp.file, sp.end, true, &end_line, &end_col);
        if (end_line == line && end_col <= col)
            end_col = col + 1;  /* an empty span marks the character at it */
        fputs("\"physicalLocation\": {\"artifactLocation\": {\"uri\": ", out);
        sarif_uri(out, f->path);
        fprintf(out, "}, \"region\": {\"startLine\": %u, \"startColumn\": %u, \"endLine\": %u, "
                     "\"endColumn\": %u}}", line, col, end_line, end_col);
    }
    if (message) {
        fputs(f ? ", " : "", out);
        fputs("\"message\": {\"text\": ", out);
        json_string(out, message);
        fputc('}', out);
    }
    fputc('}', out);
}

static void sarif_rules(FILE *out)
{
    for (int i = 0; i < DIAG_COUNT; i++) {
        const diag_info *d = diag_lookup((diag_code)i);
        fprintf(out, "%s\n            {\"id\": \"%s\", \"name\": \"%s\", \"shortDescription\": {\"text\": ",
                i ? "," : "", d->code, d->slug);
        json_string(out, d->title);
        fputs("}, \"fullDescription\": {\"text\": ", out);
        json_string(out, d->title);
        fputs("}, \"help\": {\"text\": ", out);
        json_string(out, d->text);
        fprintf(out, "}, \"defaultConfiguration\": {\"level\": \"%s\"}}",
                diag_is_warning((diag_code)i) ? "warning" : "error");
    }
}

static void write_sarif(const source_set *s, FILE *out)
{
    fputs("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
          "  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": {\n        \"driver\": {\n"
          "          \"name\": \"fdlc\",\n", out);
    fprintf(out, "          \"version\": \"%s\",\n          \"semanticVersion\": \"%s\",\n", FDL_VERSION,
            FDL_VERSION);
    fputs("          \"informationUri\": \"https://github.com/fdlc/fdlc/blob/main/docs/diagnostics.md\",\n"
          "          \"rules\": [", out);
    sarif_rules(out);
    fputs("\n          ]\n        }\n      },\n      \"columnKind\": \"unicodeCodePoints\",\n"
          "      \"results\": [", out);
    int shown = 0;
    for (int i = 0; i < s->nrecords; i++) {
        const diag_record *r = &s->records[i];
        if (r->kind == 'n')
            continue;
        const diag_info *info = diag_lookup(r->code);
        fprintf(out, "%s\n        {\"ruleId\": \"%s\", \"ruleIndex\": %d, \"level\": \"%s\", \"message\": {\"text\": ",
                shown++ ? "," : "", info->code, (int)r->code, severity(r));
        json_string(out, r->message);
        fputs("}, \"locations\": [", out);
        if (span_valid(r->span) && source_get(s, r->span.file))
            sarif_location(s, r->span, NULL, -1, out);
        fputc(']', out);
        int notes = 0;
        for (int j = i + 1; j < s->nrecords && s->records[j].kind == 'n'; j++) {
            fputs(notes ? ", " : ", \"relatedLocations\": [", out);
            sarif_location(s, s->records[j].span, s->records[j].message, notes++, out);
        }
        fputs(notes ? "]}" : "}", out);
    }
    fprintf(out, "%s]\n    }\n  ]\n}\n", shown ? "\n      " : "");
}

void diag_write_document(const source_set *s, FILE *out)
{
    if (s->config.format == DIAG_FORMAT_JSON)
        write_json(s, out);
    else if (s->config.format == DIAG_FORMAT_SARIF)
        write_sarif(s, out);
    fflush(out);
}

/* ---- fdlc explain ---- */

/* docs/diagnostics.md, which tests/golden/check_diagnostics_doc.sh keeps
 * equal to this output. */
static void explain_markdown(void)
{
    printf("# Diagnostics\n\n"
           "<!-- Generated by `fdlc explain --markdown` from compiler/diagnostics.def; a test fails\n"
           "     when this file and the table differ. Do not edit by hand. -->\n\n"
           "Every error and warning fdlc reports has a stable code, printed with it\n"
           "(`defs.yaml:12:17: error[E0202]: unknown source 'purchase'`). `fdlc explain CODE`\n"
           "prints the text below; `fdlc check --format=json` and `--format=sarif` carry the\n"
           "code as `code` and as the SARIF `ruleId`. A code never changes meaning.\n\n"
           "Warnings (W codes) are lints: `-Wno-NAME` turns one off, `-Werror` makes them\n"
           "errors, `--require-descriptions` turns on W0003.\n\n"
           "| Code | Name | Title |\n|------|------|-------|\n");
    for (int i = 0; i < DIAG_COUNT; i++) {
        const diag_info *d = diag_lookup((diag_code)i);
        char anchor[8];  /* GitHub's heading anchors are lower case */
        snprintf(anchor, sizeof anchor, "%c%s", tolower((unsigned char)d->code[0]), d->code + 1);
        printf("| [%s](#%s) | `%s` | %s |\n", d->code, anchor, d->slug, d->title);
    }
    for (int i = 0; i < DIAG_COUNT; i++) {
        const diag_info *d = diag_lookup((diag_code)i);
        printf("\n## %s\n\n`%s` (%s): %s\n\n```text\n%s```\n", d->code, d->slug,
               diag_is_warning((diag_code)i) ? "warning" : "error", d->title, d->text);
    }
}

int diag_explain(int argc, char **argv)
{
    if (argc == 1 && strcmp(argv[0], "--markdown") == 0) {
        explain_markdown();
        return 0;
    }
    if (argc == 0) {
        for (int i = 0; i < DIAG_COUNT; i++) {
            const diag_info *d = diag_lookup((diag_code)i);
            printf("%s  %-24s %s\n", d->code, d->slug, d->title);
        }
        return 0;
    }
    int status = 0;
    for (int i = 0; i < argc; i++) {
        int code = diag_find(argv[i]);
        if (code < 0) {
            fprintf(stderr, "fdlc: explain: no diagnostic '%s' (`fdlc explain` lists them)\n", argv[i]);
            status = 2;
            continue;
        }
        const diag_info *d = diag_lookup((diag_code)code);
        printf("%s%s[%s] %s: %s\n\n%s", i ? "\n" : "", diag_is_warning((diag_code)code) ? "warning" : "error",
               d->code, d->slug, d->title, d->text);
    }
    return status;
}
