/*
 * predlog_read.h - reading the prediction log the runtime writes
 * (runtime/predlog.c), for `fdlc verify`.
 *
 * Each value is kept as the text a training-set cell would hold: numbers,
 * true/false and vector arrays as written (the runtime prints them exactly
 * as the CSV writer does), strings unescaped, null as NULL.
 */
#ifndef FDL_PREDLOG_READ_H
#define FDL_PREDLOG_READ_H

#include <stdbool.h>

#include "arena.h"

typedef struct logged_field {
    const char *name;
    const char *text;       /* NULL for null */
} logged_field;

typedef struct logged_read {
    const char *set, *fingerprint, *time;
    logged_field *keys, *request, *values;
    int nkeys, nrequest, nvalues;
} logged_read;

/* Parses one log line; false (with *why set) when it is not one. */
bool predlog_parse_line(arena *a, const char *line, logged_read *out, const char **why);

#endif
