/*
 * support.c - small runtime pieces generated code calls: error prefixes and
 * the standard library of the expression language (stdlib/functions.def).
 */
#include <stdio.h>
#include <string.h>

#include "fdlrt.h"

fdl_status fdl_error_prefix(fdl_error *err, const char *prefix)
{
    if (!err)
        return FDL_ERR_PARSE;
    char message[sizeof err->message];
    snprintf(message, sizeof message, "%s%s", prefix, err->message);
    memcpy(err->message, message, sizeof message);
    return err->status;
}

fdl_value fdl_fn_abs(fdl_value x)
{
    if (x.type == FDL_INT64)
        return x.as.i == INT64_MIN ? fdl_null() : fdl_int64(x.as.i < 0 ? -x.as.i : x.as.i);
    if (x.type == FDL_FLOAT64)
        return fdl_float64(x.as.f < 0 ? -x.as.f : x.as.f == 0 ? 0.0 : x.as.f);
    return fdl_null();
}

fdl_value fdl_fn_length(fdl_value s)
{
    return s.type == FDL_STRING ? fdl_int64((int64_t)s.as.s.len) : fdl_null();
}

fdl_value fdl_fn_starts_with(fdl_value s, fdl_value prefix)
{
    if (s.type != FDL_STRING || prefix.type != FDL_STRING)
        return fdl_null();
    return fdl_bool(prefix.as.s.len <= s.as.s.len &&
                    memcmp(s.as.s.ptr, prefix.as.s.ptr, prefix.as.s.len) == 0);
}

fdl_value fdl_fn_ends_with(fdl_value s, fdl_value suffix)
{
    if (s.type != FDL_STRING || suffix.type != FDL_STRING)
        return fdl_null();
    return fdl_bool(suffix.as.s.len <= s.as.s.len &&
                    memcmp(s.as.s.ptr + s.as.s.len - suffix.as.s.len, suffix.as.s.ptr,
                           suffix.as.s.len) == 0);
}

fdl_value fdl_fn_contains(fdl_value s, fdl_value part)
{
    if (s.type != FDL_STRING || part.type != FDL_STRING)
        return fdl_null();
    if (part.as.s.len == 0)
        return fdl_bool(true);
    for (size_t i = 0; i + part.as.s.len <= s.as.s.len; i++)
        if (memcmp(s.as.s.ptr + i, part.as.s.ptr, part.as.s.len) == 0)
            return fdl_bool(true);
    return fdl_bool(false);
}
