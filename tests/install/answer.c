/*
 * answer.c - the consumer program of tests/install: built out of tree
 * against an installed fdlc (find_package(fdlc) + fdlc_add_features, or
 * pkg-config), it ingests a few events of the seed example and prints the
 * vector of feature set seedfeat_FEATURE_SET for one (user, product) pair,
 * one "feature=value" line each, for install_test.py to compare with what
 * the installed `fdlc batch` computes.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "seedfeat.h"

#ifndef seedfeat_FEATURE_SET
#error "seedfeat_FEATURE_SET is not defined (fdlc_add_features SET, or -D)"
#endif

static const char *const purchases[][5] = {
    {"2024-03-01T09:30:00Z", "u0001", "p0003", "19.99", "food"},
    {"2024-03-10T12:00:00Z", "u0001", "p0007", "5.50", "books"},
};
static const char *const orders[][4] = {
    {"2024-03-02T10:00:00Z", "9001", "u0001", "269.99"},
    {"2024-03-12T10:00:00Z", "9002", "u0001", "30.01"},
};

static int fail(const char *what, const fdl_error *err)
{
    fprintf(stderr, "answer: %s: %s\n", what, err->message);
    return 1;
}

static void print_value(const char *name, fdl_value v)
{
    if (v.type == FDL_NULL)
        printf("%s=null\n", name);
    else if (v.type == FDL_INT64)
        printf("%s=%" PRId64 "\n", name, v.as.i);
    else if (v.type == FDL_FLOAT64)
        printf("%s=%.17g\n", name, v.as.f);
    else if (v.type == FDL_VECTOR)
        printf("%s=vector %d %.17g\n", name, (int)v.dim, v.dim > 0 ? v.as.v[0] : 0.0);
    else
        printf("%s=type %d\n", name, (int)v.type);
}

static int ingest(fdl_store *store, const fdl_program *p, const char *source,
                  const char *const *rows, int nrows, int nfields)
{
    int id = fdl_program_source(p, source);
    fdl_error err;
    for (int r = 0; r < nrows; r++) {
        const char *const *fields = rows + (size_t)r * (size_t)nfields;
        size_t lengths[8];
        for (int f = 0; f < nfields; f++)
            lengths[f] = strlen(fields[f]);
        if (fdl_ingest_row(store, id, fields, lengths, &err) != FDL_OK)
            return fail("ingest", &err);
    }
    return 0;
}

int main(void)
{
    const fdl_program *p = seedfeat_program();
    fdl_error err;
    fdl_store_options options = fdl_store_options_default();
    fdl_store *store = fdl_store_open(p, &options, &err);
    if (!store)
        return fail("open", &err);
    int status = ingest(store, p, "purchases", &purchases[0][0], 2, 5) ||
                 ingest(store, p, "orders", &orders[0][0], 2, 4);
    int set = fdl_program_set(p, seedfeat_FEATURE_SET);
    fdl_time t;
    fdl_value keys[2] = {fdl_string("u0001", 5), fdl_string("p0003", 5)}, out[16];
    if (!status && (set < 0 || p->sets[set].nfeatures > 16)) {
        fprintf(stderr, "answer: no set %s of at most 16 features\n", seedfeat_FEATURE_SET);
        status = 1;
    }
    if (!status && fdl_parse_time("2024-03-21T00:00:00Z", 20, &t, &err) != FDL_OK)
        status = fail("time", &err);
    if (!status && fdl_read_set(store, set, keys, t, out, &err) != FDL_OK)
        status = fail("read", &err);
    for (int f = 0; !status && f < p->sets[set].nfeatures; f++)
        print_value(p->features[p->sets[set].features[f]].name, out[f]);
    fdl_store_close(store);
    return status;
}
