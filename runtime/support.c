/*
 * support.c - small runtime pieces generated code calls: error prefixes.
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
