/*
 * predlog_read.c - a small JSON reader for prediction-log lines (see
 * predlog_read.h): objects of the shape runtime/predlog.c writes.
 */
#include "predlog_read.h"

#include <stdlib.h>
#include <string.h>

typedef struct reader {
    arena *a;
    const char *p;
    const char *why;
} reader;

static void skip_space(reader *r)
{
    while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
        r->p++;
}

static bool expect(reader *r, char c)
{
    skip_space(r);
    if (*r->p != c) {
        r->why = "malformed JSON";
        return false;
    }
    r->p++;
    return true;
}

static void put_utf8(char **out, unsigned long code)
{
    char *o = *out;
    if (code < 0x80) {
        *o++ = (char)code;
    } else if (code < 0x800) {
        *o++ = (char)(0xC0 | (code >> 6));
        *o++ = (char)(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        *o++ = (char)(0xE0 | (code >> 12));
        *o++ = (char)(0x80 | ((code >> 6) & 0x3F));
        *o++ = (char)(0x80 | (code & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (code >> 18));
        *o++ = (char)(0x80 | ((code >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((code >> 6) & 0x3F));
        *o++ = (char)(0x80 | (code & 0x3F));
    }
    *out = o;
}

/* A JSON string, unescaped (the log never splits surrogate pairs: it
 * escapes only control bytes, and ill-formed UTF-8 as \ufffd). */
static const char *read_string(reader *r)
{
    skip_space(r);
    if (*r->p != '"') {
        r->why = "expected a string";
        return NULL;
    }
    r->p++;
    size_t cap = strlen(r->p) + 1;
    char *out = arena_alloc(r->a, cap), *o = out;
    while (*r->p && *r->p != '"') {
        if (*r->p != '\\') {
            *o++ = *r->p++;
            continue;
        }
        r->p++;
        switch (*r->p) {
        case '"': case '\\': case '/': *o++ = *r->p; break;
        case 'n': *o++ = '\n'; break;
        case 't': *o++ = '\t'; break;
        case 'r': *o++ = '\r'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'u': {
            char hex[5] = {0};
            for (int i = 0; i < 4; i++) {
                if (!r->p[1 + i]) {
                    r->why = "bad \\u escape";
                    return NULL;
                }
                hex[i] = r->p[1 + i];
            }
            put_utf8(&o, strtoul(hex, NULL, 16));
            r->p += 4;
            break;
        }
        default:
            r->why = "bad escape";
            return NULL;
        }
        r->p++;
    }
    if (*r->p != '"') {
        r->why = "unterminated string";
        return NULL;
    }
    r->p++;
    *o = '\0';
    return out;
}

/* A value as cell text: strings unescaped, null as NULL (with *is_null),
 * anything else as written (arrays with their brackets). */
static const char *read_value(reader *r, bool *is_null)
{
    skip_space(r);
    *is_null = false;
    if (*r->p == '"')
        return read_string(r);
    const char *start = r->p;
    if (*r->p == '[') {
        int depth = 0;
        do {
            if (*r->p == '[')
                depth++;
            else if (*r->p == ']')
                depth--;
            else if (!*r->p) {
                r->why = "unterminated array";
                return NULL;
            }
            r->p++;
        } while (depth > 0);
    } else {
        while (*r->p && *r->p != ',' && *r->p != '}' && *r->p != ' ' && *r->p != '\n')
            r->p++;
        if (r->p == start) {
            r->why = "expected a value";
            return NULL;
        }
    }
    size_t n = (size_t)(r->p - start);
    if (n == 4 && strncmp(start, "null", 4) == 0) {
        *is_null = true;
        return "";
    }
    return arena_strndup(r->a, start, n);
}

/* An object of name -> value. */
static bool read_fields(reader *r, logged_field **out, int *count)
{
    if (!expect(r, '{'))
        return false;
    int cap = 8;
    *out = arena_alloc(r->a, sizeof **out * (size_t)cap);
    *count = 0;
    skip_space(r);
    if (*r->p == '}') {
        r->p++;
        return true;
    }
    for (;;) {
        const char *name = read_string(r);
        if (!name || !expect(r, ':'))
            return false;
        bool is_null;
        const char *text = read_value(r, &is_null);
        if (!text)
            return false;
        if (*count == cap) {
            *out = arena_grow(r->a, *out, sizeof **out * (size_t)cap, sizeof **out * (size_t)cap * 2);
            cap *= 2;
        }
        (*out)[(*count)++] = (logged_field){name, is_null ? NULL : text};
        skip_space(r);
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        return expect(r, '}');
    }
}

bool predlog_parse_line(arena *a, const char *line, logged_read *out, const char **why)
{
    reader r = {a, line, NULL};
    memset(out, 0, sizeof *out);
    bool ok = expect(&r, '{');
    while (ok) {
        const char *name = read_string(&r);
        if (!name || !expect(&r, ':')) {
            ok = false;
            break;
        }
        if (strcmp(name, "keys") == 0)
            ok = read_fields(&r, &out->keys, &out->nkeys);
        else if (strcmp(name, "request") == 0)
            ok = read_fields(&r, &out->request, &out->nrequest);
        else if (strcmp(name, "values") == 0)
            ok = read_fields(&r, &out->values, &out->nvalues);
        else {
            bool is_null;
            const char *text = read_value(&r, &is_null);
            ok = text != NULL;
            if (ok && strcmp(name, "set") == 0)
                out->set = text;
            else if (ok && strcmp(name, "fingerprint") == 0)
                out->fingerprint = text;
            else if (ok && strcmp(name, "time") == 0)
                out->time = text;
        }
        skip_space(&r);
        if (ok && *r.p == ',') {
            r.p++;
            continue;
        }
        ok = ok && expect(&r, '}');
        break;
    }
    if (ok && (!out->set || !out->fingerprint || !out->time || !out->values)) {
        r.why = "a line needs set, fingerprint, time and values";
        ok = false;
    }
    *why = r.why ? r.why : "malformed JSON";
    return ok;
}
