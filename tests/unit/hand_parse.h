/*
 * hand_parse.h - the cell parsing of the unit tests' hand-written programs
 * (test_store.c, test_memory.c): test-local, so the store tests do not
 * depend on value.c. Integers and timestamps in decimal, floats by strtod,
 * strings as they are; an empty or overlong cell is null.
 */
#ifndef FDL_TEST_HAND_PARSE_H
#define FDL_TEST_HAND_PARSE_H

#include <stdlib.h>
#include <string.h>

#include "fdlrt.h"

static inline fdl_value parse_field(fdl_type type, const char *text, size_t len)
{
    char buf[64];
    if (!text || len == 0 || len >= sizeof buf)
        return fdl_null();
    memcpy(buf, text, len);
    buf[len] = '\0';
    switch (type) {
    case FDL_INT64: return fdl_int64(strtoll(buf, NULL, 10));
    case FDL_TIMESTAMP: return fdl_timestamp(strtoll(buf, NULL, 10));
    case FDL_FLOAT64: return fdl_float64(strtod(buf, NULL));
    case FDL_STRING: return fdl_string(text, len);
    default: return fdl_null();
    }
}

#endif
