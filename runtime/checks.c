/*
 * checks.c - source expectations at run time: counters, the state of the
 * checks that remember earlier rows, field statistics, verdicts, the
 * quarantine and the report.
 *
 * The generated check function of a source decides what breaks which
 * expectation (docs/language.md, "Expectations"); it calls in here to count
 * each violation and learn what its policy does, and for the checks that
 * need memory across rows (ordered, max_gap, exists_in, unique) or a
 * compiled pattern (matches). Batch and serving share one store type, so
 * they share these counters by construction.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "sketch.h"
#include "snapshot.h"

/*
 * The statistics window of serving (fdl_store_set_statistics_window): a
 * ring of tiles of event time, each window/WINDOW_TILES wide, aligned to the
 * epoch. Sums of squares are plain doubles here: these feed monitoring
 * verdicts, not features.
 */
enum { WINDOW_TILES = 16 };

typedef struct stats_tile {
    int64_t index;              /* floor(time / tile width); INT64_MIN when empty */
    uint64_t rows, nulls, numbers;
    double sum, sum_squares, min, max;
    fdl_hll *distinct;          /* when a distinct check needs it */
} stats_tile;

/* A field's values as read: counts and a running mean (Welford). */
typedef struct field_state {
    fdl_field_stats stats;
    double m2;                  /* sum of squared deviations from the mean */
    fdl_hashmap *distinct;      /* values seen, when a distinct check needs them */
    bool statistical;           /* a statistical check reads it */
    stats_tile *tiles;          /* WINDOW_TILES, when a window is set */
} field_state;

typedef struct source_state {
    fdl_source_counts counts;
    uint64_t *violations;       /* per check */
    field_state *fields;
    regex_t **patterns;         /* per check: compiled on first use */
    fdl_hashmap **unique;       /* per check: keys seen */
    bool row_violated;          /* the row being checked broke something */
    bool has_latest;
    fdl_time latest;            /* latest time of the accepted rows (arrival order) */
    int64_t newest_tile;        /* of the statistics window; INT64_MIN before any */
} source_state;

struct fdl_checks {
    const fdl_program *program;
    source_state *sources;
    fdl_hashmap **references;   /* per reference: values seen */
    fdl_time processing_time;   /* 0: the wall clock */
    int64_t window;             /* statistics window in microseconds; 0 = since opened */
    FILE *quarantine;
    char *quarantine_path;
    bool quarantine_failed;
    int last_source, last_check;   /* the last violation */
    char reason[320];
    const fdl_value *duplicate; /* the key fdl_check_unique last found seen, for the reason */
    int nduplicate;
    char *text;                 /* a NUL-terminated copy of a value for regexec */
    size_t text_capacity;
};

static void free_tiles(stats_tile *tiles)
{
    for (int i = 0; tiles && i < WINDOW_TILES; i++)
        free(tiles[i].distinct);
    free(tiles);
}

void fdl_checks_free(fdl_checks *checks)
{
    if (!checks)
        return;
    const fdl_program *p = checks->program;
    for (int s = 0; s < p->nsources && checks->sources; s++) {
        source_state *state = &checks->sources[s];
        const fdl_source_desc *source = &p->sources[s];
        for (int k = 0; k < source->nchecks; k++) {
            if (state->patterns && state->patterns[k]) {
                regfree(state->patterns[k]);
                free(state->patterns[k]);
            }
            if (state->unique && state->unique[k])
                fdl_hashmap_free(state->unique[k]);
        }
        for (int f = 0; f < source->nfields && state->fields; f++) {
            if (state->fields[f].distinct)
                fdl_hashmap_free(state->fields[f].distinct);
            free_tiles(state->fields[f].tiles);
        }
        free(state->violations);
        free(state->fields);
        free(state->patterns);
        free(state->unique);
    }
    for (int r = 0; r < p->nreferences && checks->references; r++)
        if (checks->references[r])
            fdl_hashmap_free(checks->references[r]);
    if (checks->quarantine)
        fclose(checks->quarantine);
    free(checks->quarantine_path);
    free(checks->references);
    free(checks->sources);
    free(checks->text);
    free(checks);
}

fdl_checks *fdl_checks_new(const fdl_program *p)
{
    fdl_checks *checks = calloc(1, sizeof *checks);
    if (!checks)
        return NULL;
    checks->program = p;
    checks->sources = calloc((size_t)p->nsources + 1, sizeof *checks->sources);
    checks->references = calloc((size_t)p->nreferences + 1, sizeof *checks->references);
    bool ok = checks->sources && checks->references;
    for (int s = 0; s < p->nsources && ok; s++) {
        const fdl_source_desc *source = &p->sources[s];
        source_state *state = &checks->sources[s];
        size_t nchecks = (size_t)source->nchecks + 1;
        state->violations = calloc(nchecks, sizeof *state->violations);
        state->patterns = calloc(nchecks, sizeof *state->patterns);
        state->unique = calloc(nchecks, sizeof *state->unique);
        state->fields = calloc((size_t)source->nfields + 1, sizeof *state->fields);
        ok = state->violations && state->patterns && state->unique && state->fields;
        state->newest_tile = INT64_MIN;
        for (int f = 0; f < source->nfields && ok; f++)
            state->fields[f].stats.distinct = -1;
        for (int k = 0; k < source->nchecks && ok; k++) {
            const fdl_check_desc *check = &source->checks[k];
            if (check->kind == FDL_CHECK_UNIQUE)
                ok = (state->unique[k] = fdl_hashmap_new()) != NULL;
            if (check->kind >= FDL_CHECK_MEAN && check->kind <= FDL_CHECK_DISTINCT && check->field >= 0)
                state->fields[check->field].statistical = true;
            if (check->kind == FDL_CHECK_DISTINCT && check->field >= 0 &&
                !state->fields[check->field].distinct) {
                ok = (state->fields[check->field].distinct = fdl_hashmap_new()) != NULL;
                state->fields[check->field].stats.distinct = 0;
            }
        }
    }
    for (int r = 0; r < p->nreferences && ok; r++)
        ok = (checks->references[r] = fdl_hashmap_new()) != NULL;
    if (!ok) {
        fdl_checks_free(checks);
        return NULL;
    }
    return checks;
}

/* ------------------------------------------------------ called per row */

/* A value's key bytes (fdl_key_bytes) into buf when it needs it; never NULL. */
static const void *key_of(fdl_value v, char buf[16], size_t *len)
{
    const void *bytes;
    *len = fdl_key_bytes(v, buf, 16, &bytes);
    return bytes ? bytes : "";
}

/* Records a value in a hash set; true when it was not there yet. */
static bool set_insert(fdl_hashmap *set, const void *bytes, size_t len)
{
    void **slot = fdl_hashmap_slot(set, bytes, len, true);
    if (!slot)
        return false;   /* out of memory: treated as seen, never as a false violation of unique */
    if (*slot)
        return false;
    *slot = set;        /* any non-NULL marker */
    return true;
}

static void observe(field_state *state, fdl_value value)
{
    fdl_field_stats *stats = &state->stats;
    stats->rows++;
    if (value.type == FDL_NULL) {
        stats->nulls++;
        return;
    }
    if (state->distinct) {
        char buf[16];
        size_t len;
        const void *bytes = key_of(value, buf, &len);
        if (set_insert(state->distinct, bytes, len))
            stats->distinct++;
    }
    if (value.type != FDL_INT64 && value.type != FDL_FLOAT64)
        return;
    double x = fdl_as_double(value);
    if (stats->numbers == 0 || x < stats->min)
        stats->min = x;
    if (stats->numbers == 0 || x > stats->max)
        stats->max = x;
    stats->numbers++;
    double delta = x - stats->mean;
    stats->mean += delta / (double)stats->numbers;
    state->m2 += delta * (x - stats->mean);
}

/* The tile of time t in a field's ring, emptied if it held an older tile;
 * NULL when t is older than the window. */
/* Is tile index older than the window ending with tile newest? (No overflow.) */
static bool before_window(int64_t index, int64_t newest)
{
    return newest >= INT64_MIN + WINDOW_TILES && index <= newest - WINDOW_TILES;
}

static stats_tile *tile_for(stats_tile *tiles, int64_t index, int64_t newest)
{
    if (before_window(index, newest))
        return NULL;
    int64_t slot = index % WINDOW_TILES;
    stats_tile *tile = &tiles[slot < 0 ? slot + WINDOW_TILES : slot];
    if (tile->index != index) {
        if (tile->index > index)
            return NULL;
        fdl_hll *distinct = tile->distinct;
        memset(tile, 0, sizeof *tile);
        tile->index = index;
        tile->distinct = distinct;
        if (distinct)
            fdl_hll_clear(distinct);
    }
    return tile;
}

/* Serving's statistics window: the row's fields into their time's tile. */
static void observe_window(fdl_checks *checks, source_state *state, const fdl_source_desc *src,
                           const fdl_value *row, const bool *invalid, fdl_time t)
{
    int64_t width = checks->window / WINDOW_TILES > 0 ? checks->window / WINDOW_TILES : 1;
    int64_t index = t >= 0 ? t / width : -((-(t + 1)) / width) - 1;   /* floor */
    if (index > state->newest_tile)
        state->newest_tile = index;
    for (int f = 0; f < src->nfields; f++) {
        field_state *field = &state->fields[f];
        if (!field->statistical || (invalid && invalid[f]))
            continue;
        if (!field->tiles) {
            field->tiles = calloc(WINDOW_TILES, sizeof *field->tiles);
            for (int i = 0; field->tiles && i < WINDOW_TILES; i++) {
                field->tiles[i].index = INT64_MIN;
                if (field->distinct && !(field->tiles[i].distinct = malloc(sizeof(fdl_hll)))) {
                    free_tiles(field->tiles);
                    field->tiles = NULL;
                }
            }
            if (!field->tiles)
                continue;   /* out of memory: the window goes without this field */
        }
        stats_tile *tile = tile_for(field->tiles, index, state->newest_tile);
        if (!tile)
            continue;
        fdl_value v = row[f];
        tile->rows++;
        if (v.type == FDL_NULL) {
            tile->nulls++;
            continue;
        }
        if (tile->distinct) {
            char buf[16];
            size_t len;
            const void *bytes = key_of(v, buf, &len);
            fdl_hll_add_hash(tile->distinct, fdl_hash_bytes(bytes, len));
        }
        if (v.type != FDL_INT64 && v.type != FDL_FLOAT64)
            continue;
        double x = fdl_as_double(v);
        if (tile->numbers == 0 || x < tile->min)
            tile->min = x;
        if (tile->numbers == 0 || x > tile->max)
            tile->max = x;
        tile->numbers++;
        tile->sum += x;
        tile->sum_squares += x * x;
    }
}

/* A field's statistics over the window's tiles. */
static void window_stats(const fdl_checks *checks, const source_state *state, int field,
                         fdl_field_stats *out)
{
    memset(out, 0, sizeof *out);
    out->distinct = -1;
    const field_state *f = &state->fields[field];
    if (!f->tiles)
        return;
    double sum = 0, sum_squares = 0;
    fdl_hll merged;
    if (f->distinct)
        fdl_hll_clear(&merged);
    for (int i = 0; i < WINDOW_TILES; i++) {
        const stats_tile *tile = &f->tiles[i];
        if (tile->index == INT64_MIN || before_window(tile->index, state->newest_tile))
            continue;
        if (tile->numbers && (out->numbers == 0 || tile->min < out->min))
            out->min = tile->min;
        if (tile->numbers && (out->numbers == 0 || tile->max > out->max))
            out->max = tile->max;
        out->rows += tile->rows;
        out->nulls += tile->nulls;
        out->numbers += tile->numbers;
        sum += tile->sum;
        sum_squares += tile->sum_squares;
        if (tile->distinct)
            fdl_hll_merge(&merged, tile->distinct);
    }
    (void)checks;
    if (out->numbers) {
        out->mean = sum / (double)out->numbers;
        double variance = out->numbers > 1
                              ? (sum_squares - sum * sum / (double)out->numbers) / (double)(out->numbers - 1)
                              : 0;
        out->stddev = variance > 0 ? sqrt(variance) : 0;
    }
    if (f->distinct)
        out->distinct = fdl_hll_estimate(&merged);
}

void fdl_store_set_statistics_window(fdl_store *store, int64_t window)
{
    fdl_checks *checks = fdl_store_checks(store);
    checks->window = window > 0 ? window : 0;
    const fdl_program *p = checks->program;
    for (int s = 0; s < p->nsources; s++) {
        checks->sources[s].newest_tile = INT64_MIN;
        for (int f = 0; f < p->sources[s].nfields; f++) {
            free_tiles(checks->sources[s].fields[f].tiles);
            checks->sources[s].fields[f].tiles = NULL;
        }
    }
}

void fdl_check_begin(fdl_store *store, int source, const fdl_value *row, const bool *invalid)
{
    fdl_checks *checks = fdl_store_checks(store);
    source_state *state = &checks->sources[source];
    state->counts.read++;
    state->row_violated = false;
    const fdl_source_desc *src = &checks->program->sources[source];
    for (int f = 0; f < src->nfields; f++) {
        /* The time is never null: an empty one is an invalid value. */
        if ((invalid && invalid[f]) || (f == src->time_field && row[f].type != FDL_TIMESTAMP)) {
            state->fields[f].stats.rows++;
            state->fields[f].stats.invalid++;
        } else {
            observe(&state->fields[f], row[f]);
        }
    }
    fdl_value time = row[src->time_field];
    if (checks->window > 0 && (!invalid || !invalid[src->time_field]) && time.type == FDL_TIMESTAMP)
        observe_window(checks, state, src, row, invalid, time.as.t);
}

/* A value as a reason shows it: strings quoted and cut at 64 bytes. */
static void describe_value(fdl_value v, char *out, size_t size)
{
    size_t len;
    switch (v.type) {
    case FDL_NULL: snprintf(out, size, "null"); break;
    case FDL_INT64:
    case FDL_FLOAT64:
    case FDL_BOOL:
    case FDL_TIMESTAMP:
        /* As a cell holds it (fdl_value_cell_text writes into out). */
        fdl_value_cell_text(v, out, size, &len);
        break;
    case FDL_STRING: {
        /* Quoted, at most 64 bytes, control bytes (NUL too) shown as '?'. */
        size_t n = v.as.s.len > 64 ? 64 : v.as.s.len, at = 0;
        if (size < n + 8)
            n = size > 8 ? size - 8 : 0;
        out[at++] = '\'';
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)v.as.s.ptr[i];
            out[at++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
        }
        out[at++] = '\'';
        if (v.as.s.len > n)
            out[at++] = '.', out[at++] = '.', out[at++] = '.';
        out[at] = '\0';
        break;
    }
    case FDL_VECTOR: snprintf(out, size, "a vector"); break;
    }
}

fdl_status fdl_check_violated(fdl_store *store, int source, int check, fdl_value value,
                              fdl_error *err)
{
    fdl_checks *checks = fdl_store_checks(store);
    source_state *state = &checks->sources[source];
    const fdl_source_desc *src = &checks->program->sources[source];
    const fdl_check_desc *desc = &src->checks[check];
    state->violations[check]++;
    state->row_violated = true;
    checks->last_source = source;
    checks->last_check = check;
    char shown[96];
    describe_value(value, shown, sizeof shown);
    const char *field = desc->field >= 0 ? src->fields[desc->field].name : NULL;
    if (desc->kind == FDL_CHECK_INVALID)
        snprintf(checks->reason, sizeof checks->reason, "%s = %s is not a valid %s", field,
                 value.type == FDL_NULL ? "''" : shown, fdl_type_name(src->fields[desc->field].type));
    else if (desc->kind == FDL_CHECK_UNIQUE && checks->duplicate) {
        /* The key's values, as the fields unique (...) names them. */
        size_t at = (size_t)snprintf(checks->reason, sizeof checks->reason, "key (");
        for (int i = 0; i < checks->nduplicate && at < sizeof checks->reason; i++) {
            describe_value(checks->duplicate[i], shown, sizeof shown);
            at += (size_t)snprintf(checks->reason + at, sizeof checks->reason - at, "%s%s",
                                   i ? ", " : "", shown);
        }
        if (at < sizeof checks->reason)
            snprintf(checks->reason + at, sizeof checks->reason - at,
                     ") was seen before: breaks %s", desc->text);
        checks->duplicate = NULL;
    } else if (!field)
        snprintf(checks->reason, sizeof checks->reason, "the row breaks %s", desc->text);
    else if (value.type == FDL_NULL)
        snprintf(checks->reason, sizeof checks->reason, "%s is null: breaks %s", field, desc->text);
    else
        snprintf(checks->reason, sizeof checks->reason, "%s = %s breaks %s", field, shown, desc->text);
    switch (desc->policy) {
    case FDL_POLICY_FAIL:
        state->counts.failed++;
        return fdl_error_set(err, FDL_ERR_CHECK, "source %s: %s (policy fail)", src->name,
                             checks->reason);
    case FDL_POLICY_DROP:
        state->counts.dropped++;
        return FDL_DROPPED;
    default:
        return FDL_OK;
    }
}

void fdl_check_accept(fdl_store *store, int source, fdl_time time)
{
    source_state *state = &fdl_store_checks(store)->sources[source];
    state->counts.accepted++;
    if (!state->row_violated)
        state->counts.clean++;
    if (!state->has_latest || time > state->latest)
        state->latest = time;
    state->has_latest = true;
}

bool fdl_check_in(fdl_value v, const fdl_value *set, int n)
{
    for (int i = 0; i < n; i++) {
        if (set[i].type != v.type)
            continue;
        switch (v.type) {
        case FDL_INT64: if (v.as.i == set[i].as.i) return true; break;
        case FDL_BOOL: if (v.as.b == set[i].as.b) return true; break;
        case FDL_STRING:
            if (v.as.s.len == set[i].as.s.len &&
                (v.as.s.len == 0 || memcmp(v.as.s.ptr, set[i].as.s.ptr, v.as.s.len) == 0))
                return true;
            break;
        default: break;
        }
    }
    return false;
}

bool fdl_check_matches(fdl_store *store, int source, int check, fdl_value v)
{
    fdl_checks *checks = fdl_store_checks(store);
    source_state *state = &checks->sources[source];
    if (v.type != FDL_STRING)
        return true;
    if (!state->patterns[check]) {
        regex_t *compiled = malloc(sizeof *compiled);
        const char *pattern = checks->program->sources[source].checks[check].pattern;
        if (!compiled || regcomp(compiled, pattern ? pattern : "", REG_EXTENDED | REG_NOSUB) != 0) {
            free(compiled);
            return true;    /* fdlc compiled it already: only out of memory lands here */
        }
        state->patterns[check] = compiled;
    }
    /* A NUL-terminated copy (regexec, and sanitizers' view of it, read up to
     * the NUL); REG_STARTEND then matches the whole value, NUL bytes included. */
    if (v.as.s.len + 1 > checks->text_capacity) {
        size_t capacity = v.as.s.len + 1 > 256 ? v.as.s.len + 1 : 256;
        char *text = realloc(checks->text, capacity);
        if (!text)
            return true;
        checks->text = text;
        checks->text_capacity = capacity;
    }
    if (v.as.s.len)
        memcpy(checks->text, v.as.s.ptr, v.as.s.len);
    checks->text[v.as.s.len] = '\0';
#ifdef REG_STARTEND
    regmatch_t whole = {0, (regoff_t)v.as.s.len};
    return regexec(state->patterns[check], checks->text, 1, &whole, REG_STARTEND) == 0;
#else
    return regexec(state->patterns[check], checks->text, 0, NULL, 0) == 0;   /* up to a NUL */
#endif
}

bool fdl_check_ordered(fdl_store *store, int source, fdl_time t)
{
    source_state *state = &fdl_store_checks(store)->sources[source];
    return !state->has_latest || t >= state->latest;
}

bool fdl_check_gap(fdl_store *store, int source, fdl_time t, int64_t gap)
{
    source_state *state = &fdl_store_checks(store)->sources[source];
    return !state->has_latest || t <= state->latest || t - state->latest <= gap;
}

bool fdl_check_exists(fdl_store *store, int reference, fdl_value v)
{
    if (v.type == FDL_NULL)
        return true;
    char buf[16];
    size_t len;
    const void *bytes = key_of(v, buf, &len);
    return fdl_hashmap_slot(fdl_store_checks(store)->references[reference], bytes, len, false) != NULL;
}

void fdl_check_remember(fdl_store *store, int reference, fdl_value v)
{
    if (v.type == FDL_NULL)
        return;
    char buf[16];
    size_t len;
    const void *bytes = key_of(v, buf, &len);
    set_insert(fdl_store_checks(store)->references[reference], bytes, len);
}

bool fdl_check_unique(fdl_store *store, int source, int check, int n, const fdl_value *parts)
{
    /* Each part as a type byte, an 8-byte length and its key bytes: unambiguous. */
    char stack[256];
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (parts[i].type == FDL_NULL)
            return true;    /* a key with a null part is not checked (SQL UNIQUE) */
        char buf[16];
        const void *bytes;
        total += 9 + fdl_key_bytes(parts[i], buf, sizeof buf, &bytes);
    }
    char *key = total <= sizeof stack ? stack : malloc(total);
    if (!key)
        return true;
    size_t at = 0;
    for (int i = 0; i < n; i++) {
        char buf[16];
        const void *bytes;
        uint64_t len = fdl_key_bytes(parts[i], buf, sizeof buf, &bytes);
        key[at++] = (char)parts[i].type;
        for (int b = 0; b < 8; b++)
            key[at++] = (char)(len >> (8 * b));
        if (len)
            memcpy(key + at, bytes, len);
        at += len;
    }
    fdl_checks *checks = fdl_store_checks(store);
    bool fresh = set_insert(checks->sources[source].unique[check], key, at);
    /* Read by the violation call generated code makes next, while parts is
     * still in scope; cleared there. */
    checks->duplicate = fresh ? NULL : parts;
    checks->nduplicate = n;
    if (key != stack)
        free(key);
    return fresh;
}

fdl_time fdl_store_processing_time(fdl_store *store)
{
    fdl_time t = fdl_store_checks(store)->processing_time;
    return t ? t : fdl_now();
}

void fdl_store_set_processing_time(fdl_store *store, fdl_time t)
{
    fdl_store_checks(store)->processing_time = t;
}

/* ------------------------------------------------------------- counters */

fdl_status fdl_store_source_counts(const fdl_store *store, int source, fdl_source_counts *out)
{
    const fdl_checks *checks = fdl_store_checks_const(store);
    if (source < 0 || source >= checks->program->nsources)
        return FDL_ERR_ARGUMENT;
    *out = checks->sources[source].counts;
    return FDL_OK;
}

uint64_t fdl_store_check_violations(const fdl_store *store, int source, int check)
{
    const fdl_checks *checks = fdl_store_checks_const(store);
    if (source < 0 || source >= checks->program->nsources || check < 0 ||
        check >= checks->program->sources[source].nchecks)
        return 0;
    return checks->sources[source].violations[check];
}

fdl_status fdl_store_field_stats(const fdl_store *store, int source, int field,
                                 fdl_field_stats *out)
{
    const fdl_checks *checks = fdl_store_checks_const(store);
    if (source < 0 || source >= checks->program->nsources || field < 0 ||
        field >= checks->program->sources[source].nfields)
        return FDL_ERR_ARGUMENT;
    const field_state *state = &checks->sources[source].fields[field];
    *out = state->stats;
    out->stddev = state->stats.numbers > 1 ? sqrt(state->m2 / (double)(state->stats.numbers - 1)) : 0;
    return FDL_OK;
}

void fdl_checks_last_violation(const fdl_store *store, int *source, int *check, const char **reason)
{
    const fdl_checks *checks = fdl_store_checks_const(store);
    *source = checks->last_source;
    *check = checks->last_check;
    *reason = checks->reason;
}

/* -------------------------------------------------------------- verdicts */

static double ratio(uint64_t part, uint64_t whole)
{
    return whole ? (double)part / (double)whole : 0;
}

/* Appends a verdict if there is room; counts it either way. */
static void add_verdict(fdl_verdict *out, int max, int *n, fdl_verdict v)
{
    if (*n < max)
        out[*n] = v;
    (*n)++;
}

int fdl_store_evaluate(const fdl_store *store, bool slas, fdl_verdict *out, int max)
{
    const fdl_checks *checks = fdl_store_checks_const(store);
    const fdl_program *p = checks->program;
    int n = 0;
    for (int s = 0; s < p->nsources; s++) {
        const fdl_source_desc *src = &p->sources[s];
        const source_state *state = &checks->sources[s];
        for (int k = 0; k < src->nchecks; k++) {
            const fdl_check_desc *check = &src->checks[k];
            if (check->kind < FDL_CHECK_MEAN || check->kind > FDL_CHECK_DISTINCT)
                continue;
            fdl_field_stats stats;
            if (checks->window > 0)
                window_stats(checks, state, check->field, &stats);
            else
                fdl_store_field_stats(store, s, check->field, &stats);
            fdl_verdict v = {s, k, check->text, check->field, 0, 0, true, false};
            bool measured = true;
            switch (check->kind) {
            case FDL_CHECK_MEAN: v.value = stats.mean; measured = stats.numbers > 0; break;
            case FDL_CHECK_STDDEV: v.value = stats.stddev; measured = stats.numbers > 1; break;
            case FDL_CHECK_NULL_RATIO: v.value = ratio(stats.nulls, stats.rows); measured = stats.rows > 0; break;
            case FDL_CHECK_DISTINCT:
                v.value = (double)stats.distinct;
                measured = stats.rows > stats.nulls + stats.invalid;   /* some value */
                break;
            default: break;
            }
            /* No rows or values: the expectation holds vacuously. */
            if (measured && check->has_low && v.value < check->low) {
                v.passed = false;
                v.limit = check->low;
            } else if (measured && check->has_high && v.value > check->high) {
                v.passed = false;
                v.limit = check->high;
            } else {
                v.limit = check->has_high ? check->high : check->low;
            }
            v.fatal = !v.passed && check->policy == FDL_POLICY_FAIL;
            add_verdict(out, max, &n, v);
        }
        if (!slas)
            continue;
        const fdl_sla_desc *sla = &src->sla;
        if (sla->pass_rate >= 0) {
            double rate = state->counts.read ? ratio(state->counts.clean, state->counts.read) : 1;
            add_verdict(out, max, &n, (fdl_verdict){s, -1, "sla pass_rate", -1, rate, sla->pass_rate,
                                                    rate >= sla->pass_rate, rate < sla->pass_rate});
        }
        if (sla->min_rows >= 0) {
            bool ok = state->counts.read >= (uint64_t)sla->min_rows;
            add_verdict(out, max, &n, (fdl_verdict){s, -1, "sla min_rows", -1, (double)state->counts.read,
                                                    (double)sla->min_rows, ok, !ok});
        }
        for (int f = 0; f < src->nfields && sla->max_null_ratio; f++) {
            if (sla->max_null_ratio[f] < 0)
                continue;
            const fdl_field_stats *stats = &state->fields[f].stats;
            double r = ratio(stats->nulls, stats->rows);
            bool ok = r <= sla->max_null_ratio[f];
            add_verdict(out, max, &n, (fdl_verdict){s, -1, "sla max_null_ratio", f, r,
                                                    sla->max_null_ratio[f], ok, !ok});
        }
    }
    return n;
}

/* Every verdict, allocated; *count set. NULL when out of memory. */
static fdl_verdict *all_verdicts(const fdl_store *store, bool slas, int *count)
{
    int n = fdl_store_evaluate(store, slas, NULL, 0);
    fdl_verdict *verdicts = calloc((size_t)n + 1, sizeof *verdicts);
    if (verdicts)
        fdl_store_evaluate(store, slas, verdicts, n);
    *count = n;
    return verdicts;
}

/* ---------------------------------------------------------------- report */

static const char *policy_name(fdl_policy policy)
{
    static const char *const names[] = {"fail", "drop", "clamp", "flag", "impute"};
    return (unsigned)policy < 5 ? names[policy] : "?";
}

static void json_key(FILE *out, const char *name)
{
    fdl_json_write_string(out, name, strlen(name));
    putc(':', out);
}

static void json_number(FILE *out, double x)
{
    char text[40];
    if (!isfinite(x)) {
        fputs("null", out);
        return;
    }
    fdl_format_float(x, text, sizeof text);
    fputs(text, out);
}

static void write_verdict(FILE *out, const fdl_program *p, const fdl_verdict *v)
{
    const fdl_source_desc *src = &p->sources[v->source];
    fputs("{", out);
    json_key(out, "what");
    fdl_json_write_string(out, v->what, strlen(v->what));
    if (v->field >= 0) {
        fputs(",", out);
        json_key(out, "field");
        fdl_json_write_string(out, src->fields[v->field].name, strlen(src->fields[v->field].name));
    }
    fputs(",", out);
    json_key(out, "value");
    json_number(out, v->value);
    fputs(",", out);
    json_key(out, "limit");
    json_number(out, v->limit);
    fprintf(out, ",\"passed\":%s,\"fatal\":%s}", v->passed ? "true" : "false",
            v->fatal ? "true" : "false");
}

static void write_report(FILE *out, const fdl_store *store, const char *const *files, bool slas,
                         const fdl_verdict *verdicts, int nverdicts)
{
    const fdl_checks *checks = fdl_store_checks_const(store);
    const fdl_program *p = checks->program;
    bool passed = true;
    for (int i = 0; i < nverdicts; i++)
        passed &= !verdicts[i].fatal;
    fputs("{", out);
    json_key(out, "fingerprint");
    fdl_json_write_string(out, p->fingerprint ? p->fingerprint : "", p->fingerprint ? strlen(p->fingerprint) : 0);
    fprintf(out, ",\"passed\":%s,\"sources\":[", passed ? "true" : "false");
    for (int s = 0; s < p->nsources; s++) {
        const fdl_source_desc *src = &p->sources[s];
        const source_state *state = &checks->sources[s];
        const fdl_source_counts *c = &state->counts;
        fputs(s ? ",\n {" : "\n {", out);
        json_key(out, "name");
        fdl_json_write_string(out, src->name, strlen(src->name));
        const char *file = files && files[s] ? files[s] : "";
        fputs(",", out);
        json_key(out, "file");
        fdl_json_write_string(out, file, strlen(file));
        fprintf(out, ",\"rows_read\":%" PRIu64 ",\"rows_accepted\":%" PRIu64
                     ",\"rows_dropped\":%" PRIu64 ",\"rows_failed\":%" PRIu64
                     ",\"rows_clean\":%" PRIu64 ",\"pass_rate\":",
                c->read, c->accepted, c->dropped, c->failed, c->clean);
        json_number(out, c->read ? ratio(c->clean, c->read) : 1);
        fputs(",\n  \"expectations\":[", out);
        bool first = true;
        for (int k = 0; k < src->nchecks; k++) {
            const fdl_check_desc *check = &src->checks[k];
            if (check->kind >= FDL_CHECK_MEAN && check->kind <= FDL_CHECK_DISTINCT)
                continue;
            /* Any text is a valid string: not worth a line. */
            if (check->kind == FDL_CHECK_INVALID && src->fields[check->field].type == FDL_STRING &&
                !state->violations[k])
                continue;
            fputs(first ? "\n   {" : ",\n   {", out);
            first = false;
            if (check->field >= 0) {
                json_key(out, "field");
                fdl_json_write_string(out, src->fields[check->field].name,
                                      strlen(src->fields[check->field].name));
                fputs(",", out);
            }
            json_key(out, "expectation");
            fdl_json_write_string(out, check->text, strlen(check->text));
            fprintf(out, ",\"policy\":\"%s\",\"violations\":%" PRIu64 "}", policy_name(check->policy),
                    state->violations[k]);
        }
        fputs("],\n  \"fields\":[", out);
        for (int f = 0; f < src->nfields; f++) {
            fdl_field_stats stats;
            fdl_store_field_stats(store, s, f, &stats);
            fputs(f ? ",\n   {" : "\n   {", out);
            json_key(out, "name");
            fdl_json_write_string(out, src->fields[f].name, strlen(src->fields[f].name));
            fprintf(out, ",\"type\":\"%s\",\"rows\":%" PRIu64 ",\"nulls\":%" PRIu64
                         ",\"invalid\":%" PRIu64 ",\"null_ratio\":",
                    fdl_type_name(src->fields[f].type), stats.rows, stats.nulls, stats.invalid);
            json_number(out, ratio(stats.nulls, stats.rows));
            if (stats.numbers > 0) {
                fputs(",\"min\":", out);
                json_number(out, stats.min);
                fputs(",\"max\":", out);
                json_number(out, stats.max);
                fputs(",\"mean\":", out);
                json_number(out, stats.mean);
                fputs(",\"stddev\":", out);
                json_number(out, stats.stddev);
            }
            if (stats.distinct >= 0)
                fprintf(out, ",\"distinct\":%" PRId64, stats.distinct);
            fputs("}", out);
        }
        fputs("],\n  \"verdicts\":[", out);
        first = true;
        for (int i = 0; i < nverdicts; i++) {
            if (verdicts[i].source != s)
                continue;
            fputs(first ? "\n   " : ",\n   ", out);
            first = false;
            write_verdict(out, p, &verdicts[i]);
        }
        fputs("]}", out);
    }
    fputs("\n]}\n", out);
}

fdl_status fdl_store_write_report(const fdl_store *store, const char *path,
                                  const char *const *files, bool slas, fdl_error *err)
{
    int n;
    fdl_verdict *verdicts = all_verdicts(store, slas, &n);
    if (!verdicts)
        return fdl_error_set(err, FDL_ERR_MEMORY, "out of memory");
    fdl_output out;
    fdl_status status = fdl_output_open(&out, path, err);
    if (status == FDL_OK) {
        write_report(out.file, store, files, slas, verdicts, n);
        status = fdl_output_commit(&out, err);
    }
    free(verdicts);
    return status;
}

void fdl_store_write_summary(const fdl_store *store, void *file, bool slas)
{
    FILE *out = file;
    const fdl_checks *checks = fdl_store_checks_const(store);
    const fdl_program *p = checks->program;
    int n;
    fdl_verdict *verdicts = all_verdicts(store, slas, &n);
    for (int s = 0; s < p->nsources; s++) {
        const fdl_source_desc *src = &p->sources[s];
        const source_state *state = &checks->sources[s];
        const fdl_source_counts *c = &state->counts;
        fprintf(out, "%s: %" PRIu64 " rows read, %" PRIu64 " accepted, %" PRIu64 " dropped",
                src->name, c->read, c->accepted, c->dropped);
        if (c->failed)
            fprintf(out, ", %" PRIu64 " failed", c->failed);
        fprintf(out, "; pass rate %.4f\n", c->read ? ratio(c->clean, c->read) : 1.0);
        for (int k = 0; k < src->nchecks; k++) {
            if (!state->violations[k])
                continue;
            const fdl_check_desc *check = &src->checks[k];
            fprintf(out, "  %s%s%s: %" PRIu64 " violation%s (%s)\n",
                    check->field >= 0 ? src->fields[check->field].name : "row",
                    ": ", check->text, state->violations[k], state->violations[k] == 1 ? "" : "s",
                    policy_name(check->policy));
        }
        for (int i = 0; verdicts && i < n; i++) {
            const fdl_verdict *v = &verdicts[i];
            if (v->source != s || v->passed)
                continue;
            char value[40], limit[40];
            fdl_format_float(v->value, value, sizeof value);
            fdl_format_float(v->limit, limit, sizeof limit);
            fprintf(out, "  %s%s%s: %s (limit %s)%s\n",
                    v->field >= 0 ? src->fields[v->field].name : "", v->field >= 0 ? ": " : "",
                    v->what, value, limit, v->fatal ? " BROKEN" : " flagged");
        }
    }
    free(verdicts);
}

/* ------------------------------------------------------------ quarantine */

fdl_status fdl_store_quarantine_open(fdl_store *store, const char *path, fdl_error *err)
{
    fdl_checks *checks = fdl_store_checks(store);
    fdl_store_quarantine_close(store, NULL);
    checks->quarantine = fopen(path, "ab");
    if (!checks->quarantine)
        return fdl_error_set(err, FDL_ERR_IO, "%s: cannot open the quarantine", path);
    checks->quarantine_path = strdup(path);
    checks->quarantine_failed = false;
    return FDL_OK;
}

fdl_status fdl_store_quarantine_close(fdl_store *store, fdl_error *err)
{
    fdl_checks *checks = fdl_store_checks(store);
    if (!checks->quarantine)
        return FDL_OK;
    bool failed = checks->quarantine_failed || ferror(checks->quarantine) != 0;
    failed |= fclose(checks->quarantine) != 0;
    checks->quarantine = NULL;
    fdl_status status = FDL_OK;
    if (failed)
        status = fdl_error_set(err, FDL_ERR_IO, "%s: write error in the quarantine",
                               checks->quarantine_path ? checks->quarantine_path : "");
    free(checks->quarantine_path);
    checks->quarantine_path = NULL;
    return status;
}

void fdl_quarantine_write(FILE *out, const fdl_store *store, const char *file, long line,
                          int ncells, const char *const *cells, const size_t *lengths)
{
    const fdl_checks *checks = fdl_store_checks_const(store);
    const fdl_source_desc *src = &checks->program->sources[checks->last_source];
    const fdl_check_desc *check = &src->checks[checks->last_check];
    fputs("{", out);
    json_key(out, "file");
    fdl_json_write_string(out, file ? file : "", file ? strlen(file) : 0);
    fprintf(out, ",\"line\":%ld,", line);
    json_key(out, "source");
    fdl_json_write_string(out, src->name, strlen(src->name));
    fputs(",", out);
    json_key(out, "field");
    if (check->field >= 0)
        fdl_json_write_string(out, src->fields[check->field].name, strlen(src->fields[check->field].name));
    else
        fputs("null", out);
    fputs(",", out);
    json_key(out, "expectation");
    fdl_json_write_string(out, check->text, strlen(check->text));
    fprintf(out, ",\"policy\":\"%s\",", policy_name(check->policy));
    json_key(out, "reason");
    fdl_json_write_string(out, checks->reason, strlen(checks->reason));
    fputs(",", out);
    json_key(out, "row");
    /* The cells as one CSV line, then that line as a JSON string. */
    char *row = NULL;
    size_t size = 0;
    FILE *text = open_memstream(&row, &size);
    if (text) {
        for (int c = 0; c < ncells; c++) {
            if (c)
                putc(',', text);
            if (cells[c])
                fdl_csv_write_field(text, cells[c], lengths[c], false);
        }
        fclose(text);
    }
    fdl_json_write_string(out, row ? row : "", row ? size : 0);
    free(row);
    fputs("}\n", out);
}

/* Serving: the dropped event, as the strings it came in (or its values). */
void fdl_quarantine_event(fdl_store *store, int source, const char *const *cells,
                          const size_t *lengths, const fdl_value *values)
{
    fdl_checks *checks = fdl_store_checks(store);
    if (!checks->quarantine)
        return;
    const fdl_source_desc *src = &checks->program->sources[source];
    const char *texts[256];
    size_t sizes[256];
    char buffers[256][64];
    int n = src->nfields < 256 ? src->nfields : 256;
    if (cells) {
        /* As batch keeps them: an empty text is null except for strings. */
        for (int f = 0; f < n; f++) {
            bool empty = !cells[f] || (lengths[f] == 0 && src->fields[f].type != FDL_STRING);
            texts[f] = empty ? NULL : cells[f];
            sizes[f] = empty ? 0 : lengths[f];
        }
    } else {
        /* From values: each as its CSV cell text (strings as they are). */
        for (int f = 0; f < n; f++)
            texts[f] = fdl_value_cell_text(values[f], buffers[f], 64, &sizes[f]);
    }
    fdl_quarantine_write(checks->quarantine, store, "", (long)checks->sources[source].counts.read,
                         n, texts, sizes);
    if (ferror(checks->quarantine))
        checks->quarantine_failed = true;
}

/* ------------------------------------------------------------ snapshots */

/*
 * The expectations' state in a store snapshot (snapshot.c): the processing
 * time and statistics window settings (for the record: a restored store
 * keeps its own, and the window's tiles only when the windows agree),
 * then per source its counts,
 * violations, the memory of ordered/max_gap (latest time), per field its
 * statistics (and the Welford sum, the distinct set, the window's tiles),
 * per unique check its set of keys; then per reference its set of values.
 * Sets go as their keys' bytes. Not saved: the quarantine file, compiled
 * patterns and the last violation's text (they belong to a run).
 */
static void put_set(fdl_snap_writer *w, const fdl_hashmap *set)
{
    if (!set) {
        fdl_snap_put_u64(w, 0);
        return;
    }
    fdl_snap_put_u64(w, fdl_hashmap_count(set));
    for (size_t i = 0; i < fdl_hashmap_capacity(set); i++) {
        size_t len;
        const void *key = fdl_hashmap_key_at(set, i, &len);
        if (key)
            fdl_snap_put_string(w, key, len);
    }
}

static bool get_set(fdl_snap_reader *r, fdl_hashmap *set)
{
    size_t count;
    if (!fdl_snap_get_count(r, 8, (uint64_t)1 << 40, &count))
        return false;
    if (count > 0 && !set)
        return fdl_snap_fail(r, "a set of values this program does not keep");
    for (size_t i = 0; i < count; i++) {
        const char *bytes;
        size_t len;
        if (!fdl_snap_get_string(r, &bytes, &len))
            return false;
        if (!set_insert(set, bytes, len))
            return fdl_snap_fail(r, "a value twice in a set (or out of memory)");
    }
    return true;
}

static void put_field(fdl_snap_writer *w, const field_state *f)
{
    const fdl_field_stats *s = &f->stats;
    fdl_snap_put_u64(w, s->rows);
    fdl_snap_put_u64(w, s->nulls);
    fdl_snap_put_u64(w, s->invalid);
    fdl_snap_put_u64(w, s->numbers);
    fdl_snap_put_f64(w, s->min);
    fdl_snap_put_f64(w, s->max);
    fdl_snap_put_f64(w, s->mean);
    fdl_snap_put_f64(w, s->stddev);
    fdl_snap_put_i64(w, s->distinct);
    fdl_snap_put_f64(w, f->m2);
    put_set(w, f->distinct);
    fdl_snap_put_u8(w, f->tiles ? 1 : 0);
    for (int i = 0; f->tiles && i < WINDOW_TILES; i++) {
        const stats_tile *t = &f->tiles[i];
        fdl_snap_put_i64(w, t->index);
        fdl_snap_put_u64(w, t->rows);
        fdl_snap_put_u64(w, t->nulls);
        fdl_snap_put_u64(w, t->numbers);
        fdl_snap_put_f64(w, t->sum);
        fdl_snap_put_f64(w, t->sum_squares);
        fdl_snap_put_f64(w, t->min);
        fdl_snap_put_f64(w, t->max);
        if (t->distinct)
            fdl_snap_put_bytes(w, t->distinct->registers, sizeof t->distinct->registers);
    }
}

/* Field statistics are plain doubles that may not be finite (a sum of
 * squares overflows): taken as bits. */
static bool get_double_bits(fdl_snap_reader *r, double *out)
{
    uint64_t bits;
    if (!fdl_snap_get_u64(r, &bits))
        return false;
    memcpy(out, &bits, sizeof *out);
    return true;
}

static bool get_field(fdl_snap_reader *r, field_state *f, bool keep_tiles)
{
    fdl_field_stats *s = &f->stats;
    uint8_t tiles;
    bool ok = fdl_snap_get_u64(r, &s->rows) && fdl_snap_get_u64(r, &s->nulls) &&
              fdl_snap_get_u64(r, &s->invalid) && fdl_snap_get_u64(r, &s->numbers) &&
              get_double_bits(r, &s->min) && get_double_bits(r, &s->max) &&
              get_double_bits(r, &s->mean) && get_double_bits(r, &s->stddev) &&
              fdl_snap_get_i64(r, &s->distinct) && get_double_bits(r, &f->m2) &&
              get_set(r, f->distinct) && fdl_snap_get_u8(r, &tiles);
    if (!ok)
        return false;
    if (f->distinct && (uint64_t)s->distinct != fdl_hashmap_count(f->distinct))
        return fdl_snap_fail(r, "a field's distinct count is not its set's");
    if (tiles > 1 || (tiles && !f->statistical))
        return fdl_snap_fail(r, "statistics tiles of a field no check reads");
    if (!tiles)
        return true;
    if (!(f->tiles = calloc(WINDOW_TILES, sizeof *f->tiles)))
        return fdl_snap_fail(r, "out of memory");
    for (int i = 0; i < WINDOW_TILES; i++) {
        stats_tile *t = &f->tiles[i];
        if (f->distinct && !(t->distinct = malloc(sizeof *t->distinct)))
            return fdl_snap_fail(r, "out of memory");
        ok = fdl_snap_get_i64(r, &t->index) && fdl_snap_get_u64(r, &t->rows) &&
             fdl_snap_get_u64(r, &t->nulls) && fdl_snap_get_u64(r, &t->numbers) &&
             get_double_bits(r, &t->sum) && get_double_bits(r, &t->sum_squares) &&
             get_double_bits(r, &t->min) && get_double_bits(r, &t->max) &&
             (!t->distinct || fdl_snap_get_bytes(r, t->distinct->registers, sizeof t->distinct->registers));
        if (!ok)
            return false;
        if (t->index != INT64_MIN && (t->index % WINDOW_TILES + WINDOW_TILES) % WINDOW_TILES != i)
            return fdl_snap_fail(r, "a statistics tile in the wrong slot");
    }
    if (!keep_tiles) {
        free_tiles(f->tiles);
        f->tiles = NULL;
    }
    return true;
}

void fdl_checks_save(const fdl_checks *checks, fdl_snap_writer *w)
{
    const fdl_program *p = checks->program;
    fdl_snap_put_i64(w, checks->processing_time);
    fdl_snap_put_i64(w, checks->window);
    for (int s = 0; s < p->nsources; s++) {
        const source_state *state = &checks->sources[s];
        const fdl_source_desc *src = &p->sources[s];
        const fdl_source_counts *c = &state->counts;
        fdl_snap_put_u64(w, c->read);
        fdl_snap_put_u64(w, c->accepted);
        fdl_snap_put_u64(w, c->dropped);
        fdl_snap_put_u64(w, c->failed);
        fdl_snap_put_u64(w, c->clean);
        fdl_snap_put_u8(w, state->has_latest ? 1 : 0);
        fdl_snap_put_i64(w, state->latest);
        fdl_snap_put_i64(w, state->newest_tile);
        for (int k = 0; k < src->nchecks; k++) {
            fdl_snap_put_u64(w, state->violations[k]);
            put_set(w, state->unique[k]);
        }
        for (int f = 0; f < src->nfields; f++)
            put_field(w, &state->fields[f]);
    }
    for (int r = 0; r < p->nreferences; r++)
        put_set(w, checks->references[r]);
}

bool fdl_checks_restore(fdl_checks *checks, fdl_snap_reader *r)
{
    const fdl_program *p = checks->program;
    fdl_time processing_time;
    int64_t window;
    if (!fdl_snap_get_i64(r, &processing_time) || !fdl_snap_get_i64(r, &window))
        return false;
    if (window < 0)
        return fdl_snap_fail(r, "a negative statistics window");
    /* Settings stay the restoring store's; the window's tiles only mean
     * something under the same window. */
    bool keep_tiles = window == checks->window;
    for (int s = 0; s < p->nsources; s++) {
        source_state *state = &checks->sources[s];
        const fdl_source_desc *src = &p->sources[s];
        fdl_source_counts *c = &state->counts;
        uint8_t has_latest;
        if (!fdl_snap_get_u64(r, &c->read) || !fdl_snap_get_u64(r, &c->accepted) ||
            !fdl_snap_get_u64(r, &c->dropped) || !fdl_snap_get_u64(r, &c->failed) ||
            !fdl_snap_get_u64(r, &c->clean) || !fdl_snap_get_u8(r, &has_latest) ||
            !fdl_snap_get_i64(r, &state->latest) || !fdl_snap_get_i64(r, &state->newest_tile))
            return false;
        if (has_latest > 1)
            return fdl_snap_fail(r, "a bad source state");
        state->has_latest = has_latest;
        for (int k = 0; k < src->nchecks; k++)
            if (!fdl_snap_get_u64(r, &state->violations[k]) || !get_set(r, state->unique[k]))
                return false;
        for (int f = 0; f < src->nfields; f++)
            if (!get_field(r, &state->fields[f], keep_tiles))
                return false;
        if (!keep_tiles)
            state->newest_tile = INT64_MIN;
    }
    for (int i = 0; i < p->nreferences; i++)
        if (!get_set(r, checks->references[i]))
            return false;
    return true;
}

fdl_checks *fdl_checks_new_like(const fdl_checks *old)
{
    fdl_checks *fresh = fdl_checks_new(old->program);
    if (fresh) {
        fresh->processing_time = old->processing_time;
        fresh->window = old->window;
    }
    return fresh;
}

void fdl_checks_take_run(fdl_checks *fresh, fdl_checks *old)
{
    fresh->quarantine = old->quarantine;
    fresh->quarantine_path = old->quarantine_path;
    fresh->quarantine_failed = old->quarantine_failed;
    old->quarantine = NULL;
    old->quarantine_path = NULL;
    fdl_checks_free(old);
}
