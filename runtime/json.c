/*
 * json.c - the one JSON string writer: every JSON text fdlc and the runtime
 * write (the quarantine, the expectations report, the prediction log, top_k
 * values, the compile manifest, fdlc drift --json) quote strings here, so
 * all of them are valid UTF-8 JSON whatever bytes the data held.
 *
 * Strings in fdl are bytes: a CSV cell may hold any. Well-formed UTF-8
 * passes through unchanged. Anything else becomes U+FFFD, written
 * "\ufffd": one per maximal subpart of an ill-formed sequence, as Unicode
 * recommends (section 3.9, "U+FFFD Substitution of Maximal Subparts") and as
 * Python's bytes.decode('utf-8', 'replace') and WHATWG decoders do. Not
 * "\u00XX" per byte: that is a different character (byte 0xE9 is not
 * U+00E9), silently changing the value; U+FFFD says "something was here that
 * was not text". Overlong forms (C0 80), encoded surrogates (ED A0 80) and
 * code points above U+10FFFF are ill-formed too. '"' and '\\' take a
 * backslash; control bytes and DEL are written \u00XX.
 */
#include <assert.h>
#include <stdio.h>

#include "internal.h"

/* The second byte's range for each lead byte (Unicode table 3-7); the
 * third and fourth are always 80..BF. */
static bool second_ok(unsigned char lead, unsigned char c)
{
    switch (lead) {
    case 0xE0: return c >= 0xA0 && c <= 0xBF;  /* no overlongs */
    case 0xED: return c >= 0x80 && c <= 0x9F;  /* no surrogates */
    case 0xF0: return c >= 0x90 && c <= 0xBF;  /* no overlongs */
    case 0xF4: return c >= 0x80 && c <= 0x8F;  /* nothing above U+10FFFF */
    default: return c >= 0x80 && c <= 0xBF;
    }
}

/* The length of the sequence a lead byte starts, 0 if it starts none. */
static size_t sequence_length(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        return 2;
    if (lead >= 0xE0 && lead <= 0xEF)
        return 3;
    if (lead >= 0xF0 && lead <= 0xF4)
        return 4;
    return 0;   /* continuation bytes, C0, C1 (overlong) and F5..FF */
}

size_t fdl_utf8_next(const char *s, size_t len, bool *valid)
{
    assert(len > 0);
    const unsigned char *u = (const unsigned char *)s;
    size_t need = sequence_length(u[0]);
    *valid = false;
    if (need == 0)
        return 1;
    size_t n = 1;
    while (n < need && n < len) {
        bool ok = n == 1 ? second_ok(u[0], u[1]) : (u[n] >= 0x80 && u[n] <= 0xBF);
        if (!ok)
            return n;       /* the maximal subpart ends before this byte */
        n++;
    }
    *valid = n == need;
    return n;
}

bool fdl_utf8_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        bool valid;
        i += fdl_utf8_next(s + i, len - i, &valid);
        if (!valid)
            return false;
    }
    return true;
}

void fdl_json_write_string(FILE *out, const char *s, size_t len)
{
    assert(s || len == 0);
    putc('"', out);
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        bool valid;
        size_t n = fdl_utf8_next(s + i, len - i, &valid);
        if (!valid)
            fputs("\\ufffd", out);
        else if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(out, "\\u%04x", c);
        else
            fwrite(s + i, 1, n, out);
        i += n;
    }
    putc('"', out);
}
