/*
 * api_read.c - POST /get-online-features: Feast's request and answer
 * shapes over the store's read functions.
 *
 *   {"feature_set": "ranking_v1", "features": ["f", ...],
 *    "entities": {"user_id": [...], "product_id": [...]},
 *    "request": {"price": [...]}, "as_of": "2024-03-01T00:00:00Z"}
 *
 * answers one result per name (key columns first, then the set's features,
 * then the extra features), one value per requested row. Values are
 * written by the runtime's JSON writer (floats shortest round-trip, as
 * the prediction log), so a client parses the very double `fdlc batch`
 * computed. A value is formatted as soon as it is read, under the lock:
 * strings and vectors a read returns point into the store and the next
 * read may move them. The answer is assembled after the lock is let go.
 */
#define _GNU_SOURCE

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "server.h"

enum { MAX_COLUMNS = 4096 };
enum { PRESENT, NOT_FOUND, NULL_VALUE };
static const char *const status_names[] = {"PRESENT", "NOT_FOUND", "NULL_VALUE"};

void json_write_string(FILE *out, const char *text, size_t length)
{
    fdl_write_json_value(out, fdl_string(text, length));
}

/* What a request asks for, checked against the program. */
typedef struct plan {
    const fdl_program *p;
    int set;                    /* -1: none */
    int nfeatures, nextras;
    int *features;              /* columns after the keys: the set's, then extras */
    int nentities;
    int entities[64];           /* key entities, in column order */
    int nkeycols;
    size_t rows;
    fdl_value *keys;            /* rows x nkeycols, in column order */
    fdl_value *request;         /* rows x program requests */
    fdl_time as_of;
} plan;

static int entity_position(const plan *pl, int entity)
{
    for (int i = 0; i < pl->nentities; i++)
        if (pl->entities[i] == entity)
            return i;
    return -1;
}

static bool add_entity(plan *pl, int entity, reply *r)
{
    if (entity_position(pl, entity) >= 0)
        return true;
    if (pl->nentities == (int)(sizeof pl->entities / sizeof *pl->entities)) {
        reply_error(r, 400, "too many entities in one request");
        return false;
    }
    pl->entities[pl->nentities++] = entity;
    pl->nkeycols += pl->p->entities[entity].nkeys;
    return true;
}

/* feature_set and features into the columns and the key entities. */
static bool plan_columns(plan *pl, json_t *root, reply *r)
{
    const fdl_program *p = pl->p;
    json_t *set = json_object_get(root, "feature_set"), *features = json_object_get(root, "features");
    if (set && !json_is_string(set))
        return reply_error(r, 400, "feature_set: expected a string"), false;
    if (features && !json_is_array(features))
        return reply_error(r, 400, "features: expected an array of feature names"), false;
    if (!set && !features)
        return reply_error(r, 400, "give feature_set, features, or both"), false;
    pl->set = -1;
    if (set && (pl->set = fdl_program_set(p, json_string_value(set))) < 0)
        return reply_error(r, 400, "unknown feature set '%s'", json_string_value(set)), false;
    size_t nextras = features ? json_array_size(features) : 0;
    int nset = pl->set >= 0 ? p->sets[pl->set].nfeatures : 0;
    if (nextras + (size_t)nset > MAX_COLUMNS)
        return reply_error(r, 400, "more than %d features in one request", MAX_COLUMNS), false;
    pl->features = calloc((size_t)nset + nextras + 1, sizeof *pl->features);
    if (!pl->features)
        return reply_error(r, 500, "out of memory"), false;
    for (int i = 0; i < nset; i++)
        pl->features[pl->nfeatures++] = p->sets[pl->set].features[i];
    for (int e = 0; pl->set >= 0 && e < p->sets[pl->set].nentities; e++)
        if (!add_entity(pl, p->sets[pl->set].entities[e], r))
            return false;
    for (size_t i = 0; i < nextras; i++) {
        json_t *name = json_array_get(features, i);
        int f = json_is_string(name) ? fdl_program_feature(p, json_string_value(name)) : -1;
        if (f < 0)
            return reply_error(r, 400, "features[%zu]: %s", i, json_is_string(name) ?
                               "unknown feature" : "expected a feature name"), false;
        pl->features[pl->nfeatures++] = f;
        pl->nextras++;
        for (int e = 0; e < p->features[f].nentities; e++)
            if (!add_entity(pl, p->features[f].entities[e], r))
                return false;
    }
    return true;
}

/* One JSON value as a value of type; false (r answered) when it is not one. */
static bool json_value(json_t *j, fdl_type type, fdl_value *out, const char *what, size_t row, reply *r)
{
    fdl_error err = {0};
    if (json_is_null(j)) {
        *out = fdl_null();
        return true;
    }
    switch (type) {
    case FDL_STRING:
        if (json_is_string(j)) {
            *out = fdl_string(json_string_value(j), json_string_length(j));
            return true;
        }
        break;
    case FDL_INT64:
        if (json_is_integer(j)) {
            *out = fdl_int64(json_integer_value(j));
            return true;
        }
        if (json_is_string(j) && fdl_parse_value(FDL_INT64, json_string_value(j), json_string_length(j), out,
                                                 &err) == FDL_OK && out->type == FDL_INT64)
            return true;
        break;
    case FDL_FLOAT64:
        if (json_is_number(j)) {
            *out = fdl_float64(json_number_value(j));
            return true;
        }
        break;
    case FDL_BOOL:
        if (json_is_boolean(j)) {
            *out = fdl_bool(json_is_true(j));
            return true;
        }
        break;
    case FDL_TIMESTAMP:
        if (json_is_integer(j)) {
            *out = fdl_timestamp(json_integer_value(j) * FDL_MICROS_PER_SECOND);
            return true;
        }
        if (json_is_string(j) && fdl_parse_time(json_string_value(j), json_string_length(j), &out->as.t,
                                                &err) == FDL_OK) {
            *out = fdl_timestamp(out->as.t);
            return true;
        }
        break;
    default:
        break;
    }
    reply_error(r, 400, "%s[%zu]: expected %s", what, row, fdl_type_name(type));
    return false;
}

/* An array member of obj with the plan's row count (the first sets it). */
static json_t *column(plan *pl, json_t *obj, const char *name, const char *what, bool *first, reply *r)
{
    json_t *a = json_object_get(obj, name);
    if (!json_is_array(a)) {
        reply_error(r, 400, "%s '%s': %s", what, name, a ? "expected an array" : "missing");
        return NULL;
    }
    if (*first) {
        pl->rows = json_array_size(a);
        *first = false;
    } else if (json_array_size(a) != pl->rows) {
        reply_error(r, 400, "%s '%s' has %zu values, other columns %zu", what, name, json_array_size(a), pl->rows);
        return NULL;
    }
    return a;
}

static bool plan_keys(plan *pl, json_t *root, server *s, reply *r)
{
    const fdl_program *p = pl->p;
    json_t *entities = json_object_get(root, "entities");
    if (!json_is_object(entities))
        return reply_error(r, 400, "entities: expected an object of key columns"), false;
    const char *name;
    json_t *value;
    json_object_foreach(entities, name, value) {
        bool known = false;
        for (int i = 0; i < pl->nentities; i++)
            for (int k = 0; k < p->entities[pl->entities[i]].nkeys; k++)
                known |= strcmp(p->entities[pl->entities[i]].join_keys[k], name) == 0;
        if (!known)
            return reply_error(r, 400, "entities: '%s' is not a key column of what was asked", name), false;
    }
    bool first = true;
    json_t **columns = calloc((size_t)pl->nkeycols + 1, sizeof *columns);
    if (!columns)
        return reply_error(r, 500, "out of memory"), false;
    bool ok = true;
    for (int i = 0, c = 0; ok && i < pl->nentities; i++)
        for (int k = 0; ok && k < p->entities[pl->entities[i]].nkeys; k++, c++)
            ok = (columns[c] = column(pl, entities, p->entities[pl->entities[i]].join_keys[k], "key column",
                                      &first, r)) != NULL;
    if (ok && pl->rows > s->options.max_rows)
        ok = (reply_error(r, 400, "%zu rows: more than %zu (--max-rows)", pl->rows, s->options.max_rows), false);
    if (ok)
        pl->keys = calloc(pl->rows * (size_t)pl->nkeycols + 1, sizeof *pl->keys);
    if (ok && !pl->keys)
        ok = (reply_error(r, 500, "out of memory"), false);
    for (int i = 0, c = 0; ok && i < pl->nentities; i++) {
        const fdl_entity_desc *e = &p->entities[pl->entities[i]];
        for (int k = 0; ok && k < e->nkeys; k++, c++)
            for (size_t row = 0; ok && row < pl->rows; row++)
                ok = json_value(json_array_get(columns[c], row), e->key_types[k],
                                &pl->keys[row * (size_t)pl->nkeycols + (size_t)c], e->join_keys[k], row, r);
    }
    free(columns);
    return ok;
}

static bool plan_request(plan *pl, json_t *root, reply *r)
{
    const fdl_program *p = pl->p;
    json_t *request = json_object_get(root, "request");
    pl->request = calloc(pl->rows * (size_t)p->nrequests + 1, sizeof *pl->request);
    if (!pl->request)
        return reply_error(r, 500, "out of memory"), false;
    if (!request || json_is_null(request))
        return true;
    if (!json_is_object(request))
        return reply_error(r, 400, "request: expected an object of request columns"), false;
    const char *name;
    json_t *value;
    json_object_foreach(request, name, value) {
        int f = 0;
        while (f < p->nrequests && strcmp(p->requests[f].name, name) != 0)
            f++;
        if (f == p->nrequests)
            return reply_error(r, 400, "request: unknown request field '%s'", name), false;
        bool first = false;
        if (!column(pl, request, name, "request column", &first, r))
            return false;
        for (size_t row = 0; row < pl->rows; row++)
            if (!json_value(json_array_get(value, row), p->requests[f].type,
                            &pl->request[row * (size_t)p->nrequests + (size_t)f], name, row, r))
                return false;
    }
    return true;
}

static bool plan_time(plan *pl, json_t *root, reply *r)
{
    json_t *as_of = json_object_get(root, "as_of");
    if (!as_of || json_is_null(as_of)) {
        pl->as_of = fdl_now();
        return true;
    }
    fdl_value t;
    if (!json_value(as_of, FDL_TIMESTAMP, &t, "as_of", 0, r) || t.type == FDL_NULL)
        return false;
    pl->as_of = t.as.t;
    return true;
}

/*
 * Vectors as JSON text, cached: an embedding vector is the same array of
 * doubles at the same address for every read of its key, and writing its
 * 128 numbers shortest round-trip was a quarter of a 1-key read. An entry
 * is used only when the address, the dimension and every double (memcmp)
 * match, so a vector computed into reused memory never gets stale text.
 * Direct-mapped by address, VECTOR_SLOTS entries; guarded by the server
 * lock (values are formatted under it).
 */
enum { VECTOR_SLOTS = 1024, VECTOR_MIN_DIM = 8 };

typedef struct vector_text {
    const double *address;
    int32_t dim;
    double *copy;
    char *text;
    size_t length;
} vector_text;

static vector_text *vector_slot(server *s, const double *address)
{
    if (!s->vectors && !(s->vectors = calloc(VECTOR_SLOTS, sizeof *s->vectors)))
        return NULL;
    uintptr_t h = (uintptr_t)address;
    h ^= h >> 17;
    h *= UINT64_C(0x9E3779B97F4A7C15) & UINTPTR_MAX;
    return &s->vectors[(h >> 7) % VECTOR_SLOTS];
}

/* Writes v to text (a memstream whose buffer is c->text), through the cache. */
static void write_cell(server *s, FILE *text, char **buffer, fdl_value v)
{
    if (v.type != FDL_VECTOR || v.dim < VECTOR_MIN_DIM) {
        fdl_write_json_value(text, v);
        return;
    }
    size_t bytes = (size_t)v.dim * sizeof(double);
    vector_text *e = vector_slot(s, v.as.v);
    if (e && e->address == v.as.v && e->dim == v.dim && memcmp(e->copy, v.as.v, bytes) == 0) {
        fwrite(e->text, 1, e->length, text);
        return;
    }
    long start = ftell(text);
    fdl_write_json_value(text, v);
    if (!e || start < 0 || fflush(text) != 0)
        return;
    size_t length = (size_t)(ftell(text) - start);
    double *copy = realloc(e->copy, bytes);
    char *copied = copy ? realloc(e->text, length) : NULL;
    if (!copy || !copied) {
        e->copy = copy;
        e->address = NULL;
        return;
    }
    memcpy(copy, v.as.v, bytes);
    memcpy(copied, *buffer + start, length);
    *e = (vector_text){v.as.v, v.dim, copy, copied, length};
}

void api_read_free(server *s)
{
    for (int i = 0; s->vectors && i < VECTOR_SLOTS; i++) {
        free(s->vectors[i].copy);
        free(s->vectors[i].text);
    }
    free(s->vectors);
    s->vectors = NULL;
}

/* The values of every row, read under the lock and formatted at once. */
typedef struct cells {
    char *text;
    size_t length;
    size_t *start;              /* rows x nfeatures + 1 */
    unsigned char *status;
} cells;

/* The keys of feature f for one row, from the row's key columns. */
static void feature_keys(const plan *pl, int f, const fdl_value *row, fdl_value *keys)
{
    const fdl_feature_desc *fd = &pl->p->features[f];
    int n = 0;
    for (int e = 0; e < fd->nentities; e++) {
        int c = 0;
        for (int i = 0; pl->entities[i] != fd->entities[e]; i++)
            c += pl->p->entities[pl->entities[i]].nkeys;
        for (int k = 0; k < pl->p->entities[fd->entities[e]].nkeys; k++)
            keys[n++] = row[c + k];
    }
}

/* Reads every row; false with r answered on an error. Called with the lock held. */
static bool read_rows(server *s, plan *pl, cells *out, FILE *text, reply *r)
{
    const fdl_program *p = pl->p;
    fdl_value *values = calloc((size_t)pl->nfeatures + 1, sizeof *values);
    fdl_value *keys = calloc((size_t)pl->nkeycols + 1, sizeof *keys);
    fdl_value *set_request = calloc((size_t)p->nrequests + 1, sizeof *set_request);
    bool *found = calloc((size_t)pl->nentities + 1, sizeof *found);
    bool ok = values && keys && set_request && found;
    if (!ok)
        reply_error(r, 500, "out of memory");
    fdl_error err = {0};
    for (size_t row = 0; ok && row < pl->rows; row++) {
        const fdl_value *rk = &pl->keys[row * (size_t)pl->nkeycols];
        const fdl_value *rq = &pl->request[row * (size_t)p->nrequests];
        for (int i = 0, c = 0; i < pl->nentities; c += p->entities[pl->entities[i]].nkeys, i++) {
            fdl_value key = fdl_entity_key(s->store, pl->entities[i], rk + c);
            found[i] = fdl_store_entity(s->store, pl->entities[i], key, false) != NULL;
        }
        int nset = pl->nfeatures - pl->nextras;
        if (pl->set >= 0) {
            const fdl_set_desc *set = &p->sets[pl->set];
            for (int q = 0; q < set->nrequests; q++)
                set_request[q] = rq[set->requests[q]];
            ok = fdl_read_set_request(s->store, pl->set, rk, set_request, pl->as_of, values, &err) == FDL_OK;
        }
        for (int x = nset; ok && x < pl->nfeatures; x++) {
            feature_keys(pl, pl->features[x], rk, keys);
            ok = fdl_read_feature_request(s->store, pl->features[x], keys, rq, pl->as_of, &values[x],
                                          &err) == FDL_OK;
        }
        if (!ok) {
            reply_error(r, err.status == FDL_ERR_MEMORY ? 500 : 400, "row %zu: %s", row, err.message);
            break;
        }
        for (int x = 0; x < pl->nfeatures; x++) {
            size_t cell = row * (size_t)pl->nfeatures + (size_t)x;
            out->start[cell] = (size_t)ftell(text);
            write_cell(s, text, &out->text, values[x]);
            unsigned char st = PRESENT;
            if (values[x].type == FDL_NULL) {
                const fdl_feature_desc *fd = &p->features[pl->features[x]];
                bool any = false;
                for (int e = 0; e < fd->nentities; e++)
                    any |= found[entity_position(pl, fd->entities[e])];
                st = any ? NULL_VALUE : NOT_FOUND;
            }
            out->status[cell] = st;
        }
    }
    free(values);
    free(keys);
    free(set_request);
    free(found);
    return ok;
}

static void write_answer(const plan *pl, const cells *c, FILE *out)
{
    const fdl_program *p = pl->p;
    fputs("{\"metadata\": {\"feature_names\": [", out);
    int n = 0;
    for (int i = 0; i < pl->nentities; i++)
        for (int k = 0; k < p->entities[pl->entities[i]].nkeys; k++, n++) {
            fputs(n ? ", " : "", out);
            json_write_string(out, p->entities[pl->entities[i]].join_keys[k],
                              strlen(p->entities[pl->entities[i]].join_keys[k]));
        }
    for (int x = 0; x < pl->nfeatures; x++, n++) {
        fputs(n ? ", " : "", out);
        json_write_string(out, p->features[pl->features[x]].name, strlen(p->features[pl->features[x]].name));
    }
    fputs("], \"fingerprint\": ", out);
    json_write_string(out, p->fingerprint, strlen(p->fingerprint));
    fputs("}, \"results\": [", out);
    for (int k = 0; k < pl->nkeycols; k++) {
        fputs(k ? ",\n {\"values\": [" : "\n {\"values\": [", out);
        for (size_t row = 0; row < pl->rows; row++) {
            fputs(row ? ", " : "", out);
            fdl_write_json_value(out, pl->keys[row * (size_t)pl->nkeycols + (size_t)k]);
        }
        fputs("], \"statuses\": [", out);
        for (size_t row = 0; row < pl->rows; row++)
            fprintf(out, "%s\"%s\"", row ? ", " : "",
                    pl->keys[row * (size_t)pl->nkeycols + (size_t)k].type == FDL_NULL ? "NULL_VALUE" : "PRESENT");
        fputs("]}", out);
    }
    for (int x = 0; x < pl->nfeatures; x++) {
        fputs(pl->nkeycols || x ? ",\n {\"values\": [" : "\n {\"values\": [", out);
        for (size_t row = 0; row < pl->rows; row++) {
            size_t cell = row * (size_t)pl->nfeatures + (size_t)x;
            fputs(row ? ", " : "", out);
            fwrite(c->text + c->start[cell], 1, c->start[cell + 1] - c->start[cell], out);
        }
        fputs("], \"statuses\": [", out);
        for (size_t row = 0; row < pl->rows; row++)
            fprintf(out, "%s\"%s\"", row ? ", " : "",
                    status_names[c->status[row * (size_t)pl->nfeatures + (size_t)x]]);
        fputs("]}", out);
    }
    fputs("]}\n", out);
}

/* Reads and answers; the plan is complete. */
static void serve_plan(server *s, plan *pl, reply *r)
{
    size_t ncells = pl->rows * (size_t)pl->nfeatures;
    cells c = {NULL, 0, calloc(ncells + 1, sizeof(size_t)), calloc(ncells + 1, 1)};
    FILE *text = open_memstream(&c.text, &c.length);
    if (!text || !c.start || !c.status) {
        reply_error(r, 500, "out of memory");
    } else {
        pthread_mutex_lock(&s->lock);
        bool ok = read_rows(s, pl, &c, text, r);
        pthread_mutex_unlock(&s->lock);
        if (fclose(text) != 0)
            ok = ok && (reply_error(r, 500, "out of memory"), false);
        text = NULL;
        c.start[ncells] = c.length;
        char *answer = NULL;
        size_t length = 0;
        FILE *out = ok ? open_memstream(&answer, &length) : NULL;
        if (out) {
            write_answer(pl, &c, out);
            if (fclose(out) == 0)
                reply_json(r, 200, answer, length);
            else
                reply_error(r, 500, "out of memory");
        } else if (ok) {
            reply_error(r, 500, "out of memory");
        }
    }
    if (text)
        fclose(text);
    free(c.text);
    free(c.start);
    free(c.status);
}

void api_get_online_features(server *s, const char *body, size_t length, reply *r)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, length, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        reply_error(r, 400, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
        return;
    }
    plan pl = {.p = s->program, .set = -1};
    if (!json_is_object(root))
        reply_error(r, 400, "expected a JSON object");
    else if (plan_columns(&pl, root, r) && plan_keys(&pl, root, s, r) && plan_request(&pl, root, r) &&
             plan_time(&pl, root, r))
        serve_plan(s, &pl, r);
    free(pl.features);
    free(pl.keys);
    free(pl.request);
    json_decref(root);
}
