/*
 * predlog.c - the prediction log: one JSON line per feature-set read on the
 * serving path, so that training/serving skew can be checked afterwards
 * against what was actually served (see fdl_store_log_open in fdlrt.h).
 *
 * A line names everything a later recomputation needs, by name rather than
 * position, so it stays readable by tools:
 *   {"set":"ranking_v1","fingerprint":"e894...","time":"2024-03-21T00:00:00Z",
 *    "keys":{"user_id":"u0001","product_id":"p0003"},"request":{"lat":48.85},
 *    "values":{"user_purchase_count_30d":2,"user_embedding":[0.5,-1.25],...}}
 * Floats are written to round-trip exactly (the same text as the training
 * set's cells), timestamps as RFC 3339 strings, nulls as null.
 */
#include <inttypes.h>
#include <stdio.h>

#include "internal.h"

void fdl_json_write_value(FILE *out, fdl_value v)
{
    char text[64];
    switch (v.type) {
    case FDL_NULL: fputs("null", out); return;
    case FDL_INT64: fprintf(out, "%" PRId64, v.as.i); return;
    case FDL_FLOAT64:
        fwrite(text, 1, fdl_format_float(v.as.f, text, sizeof text), out);
        return;
    case FDL_BOOL: fputs(v.as.b ? "true" : "false", out); return;
    case FDL_STRING: fdl_json_write_string(out, v.as.s.ptr ? v.as.s.ptr : "", v.as.s.len); return;
    case FDL_TIMESTAMP: {
        size_t n = fdl_format_time(v.as.t, text, sizeof text);
        fdl_json_write_string(out, text, n);
        return;
    }
    case FDL_VECTOR:
        putc('[', out);
        fdl_write_float_list(out, v.as.v, v.as.v ? v.dim : 0);
        putc(']', out);
        return;
    }
}

static void write_name(FILE *out, const char *name)
{
    fdl_json_write_string(out, name, fdl_text_length(name));
    putc(':', out);
}

bool fdl_predlog_write(FILE *out, const fdl_program *p, int set, const fdl_value *keys,
                       const fdl_value *request, fdl_time t, const fdl_value *values)
{
    const fdl_set_desc *desc = &p->sets[set];
    fputs("{\"set\":", out);
    fdl_json_write_string(out, desc->name, fdl_text_length(desc->name));
    fputs(",\"fingerprint\":", out);
    fdl_json_write_string(out, p->fingerprint, fdl_text_length(p->fingerprint));
    fputs(",\"time\":", out);
    fdl_json_write_value(out, fdl_timestamp(t));
    fputs(",\"keys\":{", out);
    int part = 0;
    for (int e = 0; e < desc->nentities; e++) {
        const fdl_entity_desc *entity = &p->entities[desc->entities[e]];
        for (int k = 0; k < entity->nkeys; k++, part++) {
            if (part > 0)
                putc(',', out);
            write_name(out, entity->join_keys[k]);
            fdl_json_write_value(out, keys[part]);
        }
    }
    fputs("},\"request\":{", out);
    for (int r = 0; r < desc->nrequests; r++) {
        if (r > 0)
            putc(',', out);
        write_name(out, p->requests[desc->requests[r]].name);
        fdl_json_write_value(out, request ? request[r] : fdl_null());
    }
    fputs("},\"values\":{", out);
    for (int f = 0; f < desc->nfeatures; f++) {
        if (f > 0)
            putc(',', out);
        write_name(out, p->features[desc->features[f]].name);
        fdl_json_write_value(out, values[f]);
    }
    fputs("}}\n", out);
    return !ferror(out);
}
