/*
 * store.c - the online store: entity states, embedding tables, and the
 * entry points that run a program's generated ingest and read functions.
 *
 * Per entity of the program the store keeps a hash map from the entity's
 * canonical key bytes to its state; a state holds the windowed aggregation
 * state (window.c) of every group keyed by that entity, each created on
 * the group's first push. Embedding tables are loaded at open (by default)
 * or replaced later, one per embedding of the program.
 *
 * Memory. Time moves forward for the whole store: its watermark is the
 * newest event time pushed (or given to fdl_store_advance_time) less the
 * lateness option, and a read reaching before watermark - W (per group)
 * is refused for every key (window.h). So the events before that cut can
 * go without a read of their own key: each push expires its own group
 * first, and every ingest sweeps a few more hash-map slots (SWEEP_SLOTS),
 * expiring those entities' groups and dropping the groups, then entities,
 * left empty. Entity pointers therefore stay valid only until the next
 * sweep point (fdl_store_note_event, the first call of every generated
 * push, and fdl_store_advance_time). Entity states are accounted as they
 * come and go; group states (fdl_group_state_bytes, which walks a state's
 * parts) only while a byte limit is set, as deltas around every call that
 * changes one. Without a limit bytes_held walks the states when asked:
 * an ingest or read then pays nothing for an answer nobody needs yet.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "snapshot.h"
#include "window.h"

/* The last key looked up, per entity: consecutive events and reads of one
 * key (a batch worker's replay, a session's burst) skip the hash and the
 * probe. Cleared whenever a state is freed. */
typedef struct entity_memo {
    struct fdl_entity_state *state;     /* NULL: nothing remembered */
    size_t len;
    char key[32];                       /* longer keys are not remembered */
} entity_memo;

struct fdl_entity_state {
    int entity;                         /* index into program->entities */
    fdl_group_state *groups[];          /* per group of the entity, NULL until pushed */
};

struct fdl_store {
    const fdl_program *program;
    fdl_store_options options;
    fdl_hashmap **entity_maps;          /* per entity */
    entity_memo *memo;                  /* per entity */
    int *entity_ngroups;                /* per entity: groups keyed by it */
    int *group_slot;                    /* per group: its slot in an entity state */
    fdl_group_plan *plans;              /* per group */
    fdl_embedding_table **embeddings;   /* per embedding, NULL until loaded */
    bool embeddings_borrowed;           /* another store's: not ours to free or replace */
    fdl_store_stats stats;
    /* Scratch space for strings built by expressions (lower, concat, ...):
     * chunks that never move, rewound by every public call. */
    struct scratch_chunk *scratch_first, *scratch_current;
    bool scratch_failed;                /* an allocation failed since the rewind */
    fdl_predlog *log;                   /* the prediction log, NULL when off */
    fdl_checks *checks;                 /* expectations: counters and state */
    /* Memory (see the header comment). */
    fdl_time newest;                    /* newest event time, FDL_TIME_MIN before any */
    fdl_time watermark;                 /* newest - lateness; FDL_TIME_MIN: no cut */
    int sweep_entity;                   /* the sweep's position: entity map, */
    size_t sweep_slot;                  /* then slot */
    /* Entity and group states, by their accounting; changed by unsigned
     * deltas (after - before), whose wrap-around subtracts exactly. */
    uint64_t state_bytes;
    bool account_groups;                /* state_bytes includes the group states */
    bool lazy_eviction;                 /* fdl_store_set_eager_eviction(false): only reads evict */
    uint64_t max_entities, max_bytes;   /* fdl_store_set_limits; 0 = none */
};

/* Hash-map slots each ingest sweeps: enough to visit every entity within
 * (capacity / SWEEP_SLOTS) ingests, few enough to cost little per event. */
enum { SWEEP_SLOTS = 8 };

fdl_checks *fdl_store_checks(fdl_store *store)
{
    return store->checks;
}

const fdl_checks *fdl_store_checks_const(const fdl_store *store)
{
    return store->checks;
}

typedef struct scratch_chunk {
    struct scratch_chunk *next;
    size_t size, used;
    _Alignas(16) char data[];   /* aligned as malloc's: any value fits */
} scratch_chunk;

enum { SCRATCH_CHUNK = 64 * 1024 };

void fdl_scratch_reset(fdl_store *store)
{
    for (scratch_chunk *c = store->scratch_first; c; c = c->next)
        c->used = 0;
    store->scratch_current = store->scratch_first;
    store->scratch_failed = false;
}

bool fdl_scratch_failed(const fdl_store *store)
{
    return store->scratch_failed;
}

void *fdl_scratch_alloc(fdl_store *store, size_t n)
{
    if (n > SIZE_MAX / 2) {
        store->scratch_failed = true;
        return NULL;
    }
    n = (n + 15) & ~(size_t)15;
    scratch_chunk *c = store->scratch_current;
    while (c && c->size - c->used < n)
        c = c->next;
    if (!c) {
        size_t size = n > SCRATCH_CHUNK ? n : SCRATCH_CHUNK;
        c = malloc(sizeof *c + size);
        if (!c) {
            store->scratch_failed = true;
            return NULL;
        }
        c->size = size;
        c->used = 0;
        /* Link it after the current chunk (or first): later chunks stay reusable. */
        scratch_chunk *after = store->scratch_current;
        if (after) {
            c->next = after->next;
            after->next = c;
        } else {
            c->next = store->scratch_first;
            store->scratch_first = c;
        }
    }
    store->scratch_current = c;
    void *p = c->data + c->used;
    c->used += n;
    return p;
}

fdl_store_options fdl_store_options_default(void)
{
    fdl_store_options options = {.keep_history = false, .load_embeddings = true,
                                 .lateness = FDL_STORE_DEFAULT_LATENESS};
    return options;
}

const fdl_program *fdl_store_program(const fdl_store *store)
{
    return store->program;
}

static void free_entity_state(void *value, void *ctx)
{
    fdl_store *store = ctx;
    fdl_entity_state *state = value;
    if (!state)
        return;
    for (int i = 0; i < store->entity_ngroups[state->entity]; i++)
        fdl_group_state_free(state->groups[i]);
    free(state);
}

void fdl_store_close(fdl_store *store)
{
    if (!store)
        return;
    fdl_store_log_close(store, NULL);
    fdl_checks_free(store->checks);
    const fdl_program *p = store->program;
    if (store->entity_maps) {
        for (int e = 0; e < p->nentities; e++) {
            if (!store->entity_maps[e])
                continue;
            fdl_hashmap_each(store->entity_maps[e], free_entity_state, store);
            fdl_hashmap_free(store->entity_maps[e]);
        }
    }
    if (store->plans)
        for (int g = 0; g < p->ngroups; g++)
            fdl_group_plan_free(&store->plans[g]);
    if (store->embeddings && !store->embeddings_borrowed)
        for (int i = 0; i < p->nembeddings; i++)
            fdl_embedding_table_free(store->embeddings[i]);
    free(store->entity_maps);
    free(store->memo);
    free(store->entity_ngroups);
    free(store->group_slot);
    free(store->plans);
    free(store->embeddings);
    for (scratch_chunk *c = store->scratch_first, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(store);
}

/* A matches check's pattern within fdl_regex_bound's bounds, as fdlc
 * check demanded: regcomp on a pattern past them may take seconds and
 * gigabytes, and a table need not come from fdlc. */
static fdl_status check_pattern(const fdl_program *p, int s, int k, fdl_error *err)
{
    const fdl_check_desc *check = &p->sources[s].checks[k];
    if (check->kind != FDL_CHECK_MATCHES)
        return FDL_OK;
    size_t at;
    const char *why = check->pattern ? fdl_regex_bound(check->pattern, strlen(check->pattern), &at)
                                     : "there is none";
    if (!why)
        return FDL_OK;
    return fdl_error_set(err, FDL_ERR_ARGUMENT,
                         "program '%s': check '%s' of source '%s': regular expression refused: %s",
                         p->name ? p->name : "", check->text, p->sources[s].name ? p->sources[s].name : "",
                         why);
}

/* Every index in the tables must be in range: generated code is trusted,
 * but a hand-written or mismatched table must not crash the store. */
static fdl_status check_program(const fdl_program *p, fdl_error *err)
{
    if (p->nentities < 0 || p->ngroups < 0 || p->nembeddings < 0 || p->nsources < 0 ||
        p->nfeatures < 0 || p->nsets < 0)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "program '%s': negative table size",
                             p->name ? p->name : "");
    for (int e = 0; e < p->nentities; e++)
        if (p->entities[e].nkeys < 1 || !p->entities[e].join_keys || !p->entities[e].key_types)
            return fdl_error_set(err, FDL_ERR_ARGUMENT, "program '%s': entity %d has no key columns",
                                 p->name ? p->name : "", e);
    for (int g = 0; g < p->ngroups; g++)
        if (p->groups[g].entity < 0 || p->groups[g].entity >= p->nentities)
            return fdl_error_set(err, FDL_ERR_ARGUMENT, "program '%s': group %d has no entity",
                                 p->name ? p->name : "", g);
    for (int i = 0; i < p->nembeddings; i++)
        if (p->embeddings[i].entity < 0 || p->embeddings[i].entity >= p->nentities)
            return fdl_error_set(err, FDL_ERR_ARGUMENT, "program '%s': embedding %d has no entity",
                                 p->name ? p->name : "", i);
    if (p->nreferences < 0 || (p->nreferences > 0 && !p->references))
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "program '%s': bad reference table",
                             p->name ? p->name : "");
    for (int r = 0; r < p->nreferences; r++)
        if (p->references[r].source < 0 || p->references[r].source >= p->nsources ||
            p->references[r].field < 0 ||
            p->references[r].field >= p->sources[p->references[r].source].nfields)
            return fdl_error_set(err, FDL_ERR_ARGUMENT, "program '%s': reference %d is out of range",
                                 p->name ? p->name : "", r);
    for (int s = 0; s < p->nsources; s++) {
        const fdl_source_desc *src = &p->sources[s];
        if (src->nchecks < 0 || (src->nchecks > 0 && !src->checks))
            return fdl_error_set(err, FDL_ERR_ARGUMENT, "program '%s': source %d has a bad check table",
                                 p->name ? p->name : "", s);
        for (int k = 0; k < src->nchecks; k++)
            if (src->checks[k].field < -1 || src->checks[k].field >= src->nfields ||
                /* only row expectations have no field */
                (src->checks[k].field < 0 && src->checks[k].kind != FDL_CHECK_EXPR &&
                 src->checks[k].kind != FDL_CHECK_UNIQUE) ||
                src->checks[k].reference >= p->nreferences ||
                src->checks[k].embedding >= p->nembeddings || !src->checks[k].text)
                return fdl_error_set(err, FDL_ERR_ARGUMENT,
                                     "program '%s': check %d of source %d is out of range",
                                     p->name ? p->name : "", k, s);
        for (int k = 0; k < src->nchecks; k++) {
            fdl_status status = check_pattern(p, s, k, err);
            if (status != FDL_OK)
                return status;
        }
    }
    return FDL_OK;
}

fdl_store *fdl_store_open(const fdl_program *program, const fdl_store_options *options,
                          fdl_error *err)
{
    if (!program) {
        fdl_error_set(err, FDL_ERR_ARGUMENT, "no program");
        return NULL;
    }
    if (program->abi_version != FDL_ABI_VERSION) {
        fdl_error_set(err, FDL_ERR_ABI,
                      "program '%s' was generated for runtime ABI %d; this runtime has ABI %d",
                      program->name ? program->name : "", program->abi_version, FDL_ABI_VERSION);
        return NULL;
    }
    if (check_program(program, err) != FDL_OK)
        return NULL;
    fdl_store *store = calloc(1, sizeof *store);
    if (!store) {
        fdl_error_set(err, FDL_ERR_MEMORY, "out of memory");
        return NULL;
    }
    store->program = program;
    store->options = options ? *options : fdl_store_options_default();
    store->newest = store->watermark = FDL_TIME_MIN;
    if (store->options.lateness < 0) {
        free(store);
        fdl_error_set(err, FDL_ERR_ARGUMENT, "the store's lateness must not be negative");
        return NULL;
    }
    /* calloc(0) may return NULL: ask for one element at least. */
    size_t nentities = (size_t)program->nentities + 1;
    size_t ngroups = (size_t)program->ngroups + 1;
    store->entity_maps = calloc(nentities, sizeof *store->entity_maps);
    store->memo = calloc(nentities, sizeof *store->memo);
    store->entity_ngroups = calloc(nentities, sizeof *store->entity_ngroups);
    store->group_slot = calloc(ngroups, sizeof *store->group_slot);
    store->plans = calloc(ngroups, sizeof *store->plans);
    store->embeddings = calloc((size_t)program->nembeddings + 1, sizeof *store->embeddings);
    store->checks = fdl_checks_new(program);
    if (!store->checks || !store->entity_maps || !store->memo || !store->entity_ngroups || !store->group_slot || !store->plans ||
        !store->embeddings)
        goto out_of_memory;
    for (int e = 0; e < program->nentities; e++)
        if (!(store->entity_maps[e] = fdl_hashmap_new()))
            goto out_of_memory;
    for (int g = 0; g < program->ngroups; g++) {
        const fdl_group_desc *group = &program->groups[g];
        store->group_slot[g] = store->entity_ngroups[group->entity]++;
        if (fdl_group_plan_init(&store->plans[g], group, err) != FDL_OK) {
            fdl_store_close(store);
            return NULL;
        }
    }
    if (store->options.load_embeddings) {
        for (int i = 0; i < program->nembeddings; i++) {
            const fdl_embedding_desc *desc = &program->embeddings[i];
            if (!desc->default_path) {
                fdl_error_set(err, FDL_ERR_ARGUMENT, "embedding '%s' has no default path",
                              desc->name ? desc->name : "");
                fdl_store_close(store);
                return NULL;
            }
            if (fdl_store_load_embedding(store, i, desc->default_path, err) != FDL_OK) {
                fdl_store_close(store);
                return NULL;
            }
        }
    }
    return store;

out_of_memory:
    fdl_store_close(store);
    fdl_error_set(err, FDL_ERR_MEMORY, "out of memory");
    return NULL;
}

/* ------------------------------------------------------------ embeddings */

fdl_value fdl_entity_key(fdl_store *store, int entity, const fdl_value *parts)
{
    const fdl_entity_desc *desc = &store->program->entities[entity];
    if (desc->nkeys <= 1)
        return parts[0];
    /* Each part as a type byte, then 8 bytes (an int64) or a 4-byte length
     * and the bytes (a string): no two different tuples encode alike. */
    size_t size = 0;
    for (int k = 0; k < desc->nkeys; k++) {
        if (parts[k].type == FDL_NULL)
            return fdl_null();
        if (parts[k].type == FDL_STRING && parts[k].as.s.len > UINT32_MAX)
            return fdl_null();
        size += 1 + (parts[k].type == FDL_STRING ? 4 + parts[k].as.s.len : 8);
    }
    unsigned char *out = fdl_scratch_alloc(store, size);
    if (!out)
        return fdl_null();
    size_t at = 0;
    for (int k = 0; k < desc->nkeys; k++) {
        const fdl_value *v = &parts[k];
        out[at++] = (unsigned char)v->type;
        if (v->type == FDL_STRING) {
            uint32_t len = (uint32_t)v->as.s.len;
            for (int b = 0; b < 4; b++)
                out[at++] = (unsigned char)(len >> (8 * b));
            if (len)
                memcpy(out + at, v->as.s.ptr, len);
            at += len;
        } else {
            uint64_t bits = v->type == FDL_TIMESTAMP ? (uint64_t)v->as.t : (uint64_t)v->as.i;
            for (int b = 0; b < 8; b++)
                out[at++] = (unsigned char)(bits >> (8 * b));
        }
    }
    return fdl_string((const char *)out, size);
}

fdl_status fdl_store_load_embedding(fdl_store *store, int embedding, const char *path,
                                    fdl_error *err)
{
    const fdl_program *p = store->program;
    if (embedding < 0 || embedding >= p->nembeddings)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "no embedding %d (the program has %d)",
                             embedding, p->nembeddings);
    if (!path)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "no path for embedding '%s'",
                             p->embeddings[embedding].name);
    if (store->embeddings_borrowed)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "embedding '%s': this store borrows its tables",
                             p->embeddings[embedding].name);
    const fdl_embedding_desc *desc = &p->embeddings[embedding];
    fdl_embedding_table *table = fdl_embedding_table_load(
        path, p->entities[desc->entity].key_type, desc->dimension, err);
    if (!table)
        return err ? err->status : FDL_ERR_IO;
    fdl_embedding_table_free(store->embeddings[embedding]);
    store->embeddings[embedding] = table;
    return FDL_OK;
}

bool fdl_store_holds_table_vector(const fdl_store *store, const double *p)
{
    for (int i = 0; i < store->program->nembeddings; i++)
        if (fdl_embedding_table_holds(store->embeddings[i], p))
            return true;
    return false;
}

fdl_status fdl_store_borrow_embeddings(fdl_store *store, const fdl_store *owner, fdl_error *err)
{
    const fdl_program *p = store->program;
    if (owner->program != p)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "embeddings borrowed from another program's store");
    for (int i = 0; i < p->nembeddings; i++)
        if (store->embeddings[i])
            return fdl_error_set(err, FDL_ERR_ARGUMENT,
                                 "embedding '%s': the store has loaded a table of its own",
                                 p->embeddings[i].name);
    for (int i = 0; i < p->nembeddings; i++)
        store->embeddings[i] = owner->embeddings[i];
    store->embeddings_borrowed = true;
    return FDL_OK;
}

fdl_value fdl_embedding_lookup(fdl_store *store, int embedding, fdl_value key)
{
    const fdl_program *p = store->program;
    if (embedding < 0 || embedding >= p->nembeddings || !store->embeddings[embedding] ||
        key.type == FDL_NULL)
        return fdl_null();
    const double *vector = fdl_embedding_table_find(store->embeddings[embedding], key);
    if (!vector)
        return fdl_null();
    return fdl_vector(vector, p->embeddings[embedding].dimension);
}

/* ---------------------------------------------------------------- memory */

static size_t entity_state_size(const fdl_store *store, int entity)
{
    return sizeof(fdl_entity_state) + (size_t)store->entity_ngroups[entity] * sizeof(fdl_group_state *);
}

/* A group state's bytes, when state_bytes follows them (else 0). */
static size_t group_bytes(const fdl_store *store, const fdl_group_state *g)
{
    return store->account_groups ? fdl_group_state_bytes(g) : 0;
}

typedef struct byte_sum {
    const fdl_store *store;
    uint64_t n;
} byte_sum;

static void add_group_bytes(void *value, void *ctx)
{
    const fdl_entity_state *state = value;
    byte_sum *sum = ctx;
    for (int i = 0; state && i < sum->store->entity_ngroups[state->entity]; i++)
        if (state->groups[i])
            sum->n += fdl_group_state_bytes(state->groups[i]);
}

/* The bytes of every group state, by a walk. */
static uint64_t all_group_bytes(const fdl_store *store)
{
    byte_sum sum = {store, 0};
    for (int e = 0; e < store->program->nentities; e++)
        fdl_hashmap_each(store->entity_maps[e], add_group_bytes, &sum);
    return sum.n;
}

static uint64_t bytes_held(const fdl_store *store)
{
    uint64_t n = store->state_bytes;
    if (!store->account_groups)
        n += all_group_bytes(store);
    for (int e = 0; e < store->program->nentities; e++)
        n += fdl_hashmap_bytes(store->entity_maps[e]);
    return n;
}

static bool over_limit(const fdl_store *store)
{
    return (store->max_entities && store->stats.entities >= store->max_entities) ||
           (store->max_bytes && bytes_held(store) >= store->max_bytes);
}

static void move_watermark(fdl_store *store, fdl_time t)
{
    if (store->newest != FDL_TIME_MIN && t <= store->newest)
        return;
    store->newest = t;
    fdl_time lateness = store->options.lateness;
    store->watermark = t < FDL_TIME_MIN + lateness ? FDL_TIME_MIN : t - lateness;
}

/*
 * Expires every group of an entity to the watermark and frees the groups
 * left empty; true when the entity holds no group any more.
 */
static bool expire_entity(fdl_store *store, fdl_entity_state *state)
{
    bool empty = true;
    for (int i = 0; i < store->entity_ngroups[state->entity]; i++) {
        fdl_group_state *g = state->groups[i];
        if (!g)
            continue;
        size_t before = group_bytes(store, g);
        if (fdl_group_state_expire(g, store->watermark, &store->stats))
            store->state_bytes += group_bytes(store, g) - before;
        if (fdl_group_state_empty(g, store->watermark)) {
            store->state_bytes -= group_bytes(store, g);
            fdl_group_state_free(g);
            state->groups[i] = NULL;
        } else {
            empty = false;
        }
    }
    return empty;
}

/*
 * Visits slot *at of entity map e: expires the entity there and drops it
 * when left empty. False when it dropped one: a later key of the probe run
 * may have moved into the slot (visit it again), or the map was resized
 * and *at starts over (a key visited twice or once less this round is
 * visited the next).
 */
/*
 * Removes the key at position *at of entity map e and frees its state (the
 * groups it still has included), with their accounting and the key the
 * store remembers. A later key of the probe run may move into *at (look
 * at it again); *at becomes 0 when the map was resized instead.
 */
static void drop_entity(fdl_store *store, int e, size_t *at)
{
    fdl_hashmap *map = store->entity_maps[e];
    fdl_entity_state *state = *fdl_hashmap_slot_at(map, *at);
    if (state) {
        for (int i = 0; i < store->entity_ngroups[e]; i++)
            if (state->groups[i]) {
                store->state_bytes -= group_bytes(store, state->groups[i]);
                fdl_group_state_free(state->groups[i]);
            }
        if (store->memo[e].state == state)
            store->memo[e].state = NULL;
        store->state_bytes -= entity_state_size(store, e);
        free(state);
        store->stats.entities--;
    }
    if (fdl_hashmap_remove_at(map, *at))
        *at = 0;
}

static bool visit_slot(fdl_store *store, int e, size_t *at)
{
    void **slot = fdl_hashmap_slot_at(store->entity_maps[e], *at);
    /* (a NULL value: creating the state failed; the next push retries) */
    if (!slot || !*slot || !expire_entity(store, *slot)) {
        (*at)++;
        return true;
    }
    drop_entity(store, e, at);      /* (expire_entity freed its groups) */
    store->stats.entities_dropped++;
    return false;
}

static bool sweeping(const fdl_store *store)
{
    return !store->options.keep_history && !store->lazy_eviction && store->watermark != FDL_TIME_MIN &&
           store->program->nentities > 0;
}

/* Moves the sweep budget slots on from where the last one stopped (drops
 * are not counted: each entity is dropped once). */
static void sweep(fdl_store *store, size_t budget)
{
    if (!sweeping(store))
        return;
    while (budget > 0) {
        int e = store->sweep_entity;
        if (store->sweep_slot >= fdl_hashmap_capacity(store->entity_maps[e])) {
            store->sweep_slot = 0;
            store->sweep_entity = (e + 1) % store->program->nentities;
            budget--;
        } else if (visit_slot(store, e, &store->sweep_slot)) {
            budget--;
        }
    }
}

void fdl_store_advance_time(fdl_store *store, fdl_time t)
{
    move_watermark(store, t);
    if (!sweeping(store))
        return;
    /* Every slot of every map, apart from the incremental sweep. */
    for (int e = 0; e < store->program->nentities; e++)
        for (size_t at = 0; at < fdl_hashmap_capacity(store->entity_maps[e]);)
            visit_slot(store, e, &at);
}

void fdl_store_forget_entities(fdl_store *store)
{
    for (int e = 0; e < store->program->nentities; e++)
        for (size_t at = 0; at < fdl_hashmap_capacity(store->entity_maps[e]);) {
            if (fdl_hashmap_slot_at(store->entity_maps[e], at))
                drop_entity(store, e, &at);
            else
                at++;
        }
}

void fdl_store_set_eager_eviction(fdl_store *store, bool on)
{
    store->lazy_eviction = !on;     /* (the sweep checks it) */
}

void fdl_store_set_limits(fdl_store *store, uint64_t max_entities, uint64_t max_bytes)
{
    store->max_entities = max_entities;
    store->max_bytes = max_bytes;
    /* A byte limit is checked before every ingest: follow the group
     * states from now on instead of walking them each time. */
    if (max_bytes && !store->account_groups) {
        store->state_bytes += all_group_bytes(store);
        store->account_groups = true;
    }
}

/* ------------------------------------------------------- ingest and read */

fdl_status fdl_ingest_row(fdl_store *store, int source, const char *const *fields,
                          const size_t *lengths, fdl_error *err)
{
    const fdl_program *p = store->program;
    if (source < 0 || source >= p->nsources)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "no source %d (the program has %d)",
                             source, p->nsources);
    if (!fields || !lengths || !p->sources[source].ingest_row)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "source '%s': no fields to ingest",
                             p->sources[source].name);
    if (over_limit(store)) {
        store->stats.events_refused++;
        return fdl_error_set(err, FDL_ERR_LIMIT,
                             "source '%s': the store is at its limit (%llu entities, %llu bytes held; "
                             "limits %llu entities, %llu bytes): event refused",
                             p->sources[source].name, (unsigned long long)store->stats.entities,
                             (unsigned long long)bytes_held(store),
                             (unsigned long long)store->max_entities,
                             (unsigned long long)store->max_bytes);
    }
    fdl_status status = p->sources[source].ingest_row(store, fields, lengths, err);
    if (status == FDL_DROPPED)
        fdl_quarantine_event(store, source, fields, lengths, NULL);
    return status;
}

static fdl_status read_error(fdl_status status, fdl_error *err, const char *what,
                             const char *name, fdl_time t)
{
    char when[64];
    fdl_format_time(t, when, sizeof when);
    switch (status) {
    case FDL_ERR_HISTORY:
        return fdl_error_set(err, status,
                             "%s '%s' as of %s: the window reaches before history the store "
                             "already evicted (behind an earlier read of the key, or more than "
                             "the store's lateness behind its newest event; open the store "
                             "with keep_history for reads that go back in time)",
                             what, name, when);
    case FDL_ERR_MEMORY:
        return fdl_error_set(err, status, "%s '%s': out of memory", what, name);
    default:
        return fdl_error_set(err, status, "%s '%s' as of %s failed", what, name, when);
    }
}

/* Each request value must be null or of its field's declared type. */
static fdl_status check_request(const fdl_program *p, const char *what, const char *name,
                                const int *fields, int count, const fdl_value *request,
                                fdl_error *err)
{
    if (!request)
        return FDL_OK;
    for (int i = 0; i < count; i++) {
        const fdl_field_desc *field = &p->requests[fields ? fields[i] : i];
        if (request[i].type != FDL_NULL && request[i].type != field->type)
            return fdl_error_set(err, FDL_ERR_ARGUMENT,
                                 "%s '%s': request field '%s' must be %s or null, not %s", what, name,
                                 field->name, fdl_type_name(field->type),
                                 fdl_type_name(request[i].type));
    }
    return FDL_OK;
}

fdl_status fdl_read_set_request(fdl_store *store, int set, const fdl_value *keys,
                                const fdl_value *request, fdl_time t, fdl_value *out,
                                fdl_error *err)
{
    const fdl_program *p = store->program;
    if (set < 0 || set >= p->nsets)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "no feature set %d (the program has %d)",
                             set, p->nsets);
    const fdl_set_desc *desc = &p->sets[set];
    if ((!keys && desc->nentities > 0) || !out || !desc->read)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "feature set '%s': missing keys or output",
                             desc->name);
    fdl_status status = check_request(p, "feature set", desc->name, desc->requests,
                                      desc->nrequests, request, err);
    if (status != FDL_OK)
        return status;
    status = desc->read(store, keys, request, t, out);
    if (status != FDL_OK)
        return read_error(status, err, "feature set", desc->name, t);
    if (store->log) {
        if (fdl_predlog_append(store->log, p, set, keys, request, t, out))
            store->stats.reads_logged++;
        else
            store->stats.log_errors++;
    }
    return FDL_OK;
}

fdl_status fdl_store_log_close(fdl_store *store, fdl_error *err)
{
    fdl_status status = fdl_predlog_close(store->log, store->stats.log_errors, err);
    store->log = NULL;
    return status;
}

fdl_status fdl_store_log_open_flags(fdl_store *store, const char *path, unsigned flags,
                                    fdl_error *err)
{
    fdl_status status = fdl_store_log_close(store, err);
    if (status != FDL_OK)
        return status;
    status = fdl_predlog_open(path, flags, &store->log, err);
    if (status != FDL_OK)
        return status;
    store->stats.log_errors = 0;
    return FDL_OK;
}

fdl_status fdl_store_log_open(fdl_store *store, const char *path, fdl_error *err)
{
    return fdl_store_log_open_flags(store, path, 0, err);
}

fdl_status fdl_read_set(fdl_store *store, int set, const fdl_value *keys, fdl_time t,
                        fdl_value *out, fdl_error *err)
{
    return fdl_read_set_request(store, set, keys, NULL, t, out, err);
}

fdl_status fdl_read_feature_request(fdl_store *store, int feature, const fdl_value *keys,
                                    const fdl_value *request, fdl_time t, fdl_value *out,
                                    fdl_error *err)
{
    const fdl_program *p = store->program;
    if (feature < 0 || feature >= p->nfeatures)
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "no feature %d (the program has %d)",
                             feature, p->nfeatures);
    const fdl_feature_desc *desc = &p->features[feature];
    if ((!keys && desc->nentities > 0) || !out || (!desc->read && !p->read_feature))
        return fdl_error_set(err, FDL_ERR_ARGUMENT, "feature '%s': missing keys or output",
                             desc->name);
    fdl_status status = check_request(p, "feature", desc->name, NULL, p->nrequests, request, err);
    if (status != FDL_OK)
        return status;
    status = desc->read ? desc->read(store, keys, request, t, out)
                        : p->read_feature(store, feature, keys, request, t, out);
    return status == FDL_OK ? FDL_OK : read_error(status, err, "feature", desc->name, t);
}

fdl_status fdl_read_feature(fdl_store *store, int feature, const fdl_value *keys,
                            fdl_time t, fdl_value *out, fdl_error *err)
{
    return fdl_read_feature_request(store, feature, keys, NULL, t, out, err);
}

/* ----------------------------------------------------------------- stats */

void fdl_store_get_stats(const fdl_store *store, fdl_store_stats *stats)
{
    *stats = store->stats;
    stats->bytes_held = bytes_held(store);
}

void fdl_store_note_event(fdl_store *store)
{
    store->stats.events_ingested++;
    /* The safe point: no entity pointer of this event is taken yet. */
    sweep(store, SWEEP_SLOTS);
}

/* -------------------------------------------------- entities and groups */

fdl_entity_state *fdl_store_entity(fdl_store *store, int entity, fdl_value key, bool create)
{
    const fdl_program *p = store->program;
    if (entity < 0 || entity >= p->nentities || key.type == FDL_NULL)
        return NULL;
    /* A composite key arrives encoded by fdl_entity_key, as a string. */
    fdl_type expected = p->entities[entity].nkeys > 1 ? FDL_STRING : p->entities[entity].key_type;
    if (key.type != expected)
        return NULL;
    char buffer[8];
    const void *bytes;
    size_t len = fdl_key_bytes(key, buffer, sizeof buffer, &bytes);
    entity_memo *memo = &store->memo[entity];
    if (memo->state && memo->len == len && (len == 0 || memcmp(memo->key, bytes, len) == 0))
        return memo->state;
    void **slot = fdl_hashmap_slot(store->entity_maps[entity], bytes, len, create);
    if (!slot)
        return NULL;
    if (!*slot) {
        size_t size = entity_state_size(store, entity);
        fdl_entity_state *state = calloc(1, size);
        if (!state)
            return NULL;                /* the slot stays empty; a retry fills it */
        state->entity = entity;
        *slot = state;
        store->stats.entities++;
        store->state_bytes += size;
    }
    if (len <= sizeof memo->key) {
        if (len)
            memcpy(memo->key, bytes, len);
        memo->len = len;
        memo->state = *slot;
    }
    return *slot;
}

fdl_status fdl_group_push(fdl_store *store, fdl_entity_state *entity, int group,
                          fdl_time time, fdl_value value)
{
    return fdl_group_push_by(store, entity, group, time, value, fdl_null());
}

fdl_status fdl_group_push_by(fdl_store *store, fdl_entity_state *entity, int group,
                             fdl_time time, fdl_value value, fdl_value by)
{
    const fdl_program *p = store->program;
    if (group < 0 || group >= p->ngroups)
        return FDL_ERR_ARGUMENT;
    if (!entity) {
        store->stats.events_null_key++;
        return FDL_OK;
    }
    if (p->groups[group].entity != entity->entity)
        return FDL_ERR_ARGUMENT;
    fdl_group_state **state = &entity->groups[store->group_slot[group]];
    if (!*state) {
        if (!(*state = fdl_group_state_new(&store->plans[group])))
            return FDL_ERR_MEMORY;
        store->state_bytes += group_bytes(store, *state);
    }
    size_t before = group_bytes(store, *state);
    /* Expire first: an event before the cut is late (lifetime only). */
    if (!store->options.keep_history && !store->lazy_eviction)
        fdl_group_state_expire(*state, store->watermark, &store->stats);
    fdl_status status = fdl_group_state_push(*state, time, value, by, &store->stats);
    store->state_bytes += group_bytes(store, *state) - before;
    if (status == FDL_OK)
        move_watermark(store, time);    /* an event refused moves no time */
    return status;
}

fdl_status fdl_group_read(fdl_store *store, fdl_entity_state *entity, int group, int agg,
                          fdl_time t, fdl_value *out)
{
    const fdl_program *p = store->program;
    *out = fdl_null();
    if (group < 0 || group >= p->ngroups || agg < 0 || agg >= p->groups[group].naggs)
        return FDL_ERR_ARGUMENT;
    const fdl_agg_desc *desc = &p->groups[group].aggs[agg];
    if (entity && p->groups[group].entity != entity->entity)
        return FDL_ERR_ARGUMENT;
    /* Before the store's cut every key answers alike, held or dropped. */
    if (!store->options.keep_history &&
        fdl_group_read_expired(&store->plans[group], agg, t, store->watermark))
        return FDL_ERR_HISTORY;
    fdl_group_state *state = entity ? entity->groups[store->group_slot[group]] : NULL;
    if (!state) {
        *out = fdl_group_empty_result(desc);
        return FDL_OK;
    }
    size_t before = group_bytes(store, state);
    fdl_status status = fdl_group_state_read(state, agg, t, store->options.keep_history, out,
                                             &store->stats);
    store->state_bytes += group_bytes(store, state) - before;
    return status;
}

/* -------------------------------------------- snapshot.c's access (snapshot.h) */

fdl_hashmap *fdl_store_entity_map(const fdl_store *store, int entity)
{
    assert(entity >= 0 && entity < store->program->nentities);
    return store->entity_maps[entity];
}

fdl_group_state **fdl_store_group_ref(const fdl_store *store, fdl_entity_state *state, int group)
{
    assert(group >= 0 && group < store->program->ngroups &&
           store->program->groups[group].entity == state->entity);
    return &state->groups[store->group_slot[group]];
}

const fdl_group_plan *fdl_store_group_plan(const fdl_store *store, int group)
{
    return &store->plans[group];
}

fdl_entity_state *fdl_store_entity_insert(fdl_store *store, int entity, const void *key, size_t len,
                                          bool *existed)
{
    void **slot = fdl_hashmap_slot(store->entity_maps[entity], key, len, true);
    *existed = slot && *slot;
    if (!slot || *slot)
        return NULL;
    size_t size = entity_state_size(store, entity);
    fdl_entity_state *state = calloc(1, size);
    if (!state) {
        size_t at = 0;      /* the empty slot goes (a later sweep would drop it anyway) */
        while (fdl_hashmap_slot_at(store->entity_maps[entity], at) != slot)
            at++;
        fdl_hashmap_remove_at(store->entity_maps[entity], at);
        return NULL;
    }
    state->entity = entity;
    *slot = state;
    store->stats.entities++;
    store->state_bytes += size;
    return state;
}

void fdl_store_snapshot_times(const fdl_store *store, fdl_time *newest, fdl_time *watermark)
{
    *newest = store->newest;
    *watermark = store->watermark;
}

fdl_store_stats *fdl_store_snapshot_stats(fdl_store *store)
{
    return &store->stats;
}

bool fdl_store_embedding_loaded(const fdl_store *store, int embedding)
{
    return store->embeddings[embedding] != NULL;
}

bool fdl_store_is_fresh(const fdl_store *store)
{
    return store->stats.entities == 0 && store->stats.events_ingested == 0 &&
           store->newest == FDL_TIME_MIN;
}

void fdl_store_restored(fdl_store *store, fdl_time newest, fdl_time watermark)
{
    /* The saved cut stays (reads before it were refused); this store's
     * own lateness may cut later still. */
    store->newest = FDL_TIME_MIN;
    move_watermark(store, newest);
    if (watermark > store->watermark)
        store->watermark = watermark;
    if (store->account_groups)
        store->state_bytes += all_group_bytes(store);
}

void fdl_store_clear_state(fdl_store *store)
{
    fdl_store_forget_entities(store);
    uint64_t reads_logged = store->stats.reads_logged, log_errors = store->stats.log_errors;
    memset(&store->stats, 0, sizeof store->stats);
    store->stats.reads_logged = reads_logged;
    store->stats.log_errors = log_errors;
    store->newest = store->watermark = FDL_TIME_MIN;
    store->state_bytes = 0;
}

void fdl_store_replace_checks(fdl_store *store, fdl_checks *fresh)
{
    fdl_checks_take_run(fresh, store->checks);
    store->checks = fresh;
}

fdl_checks *fdl_store_swap_checks(fdl_store *store, fdl_checks *checks)
{
    fdl_checks *old = store->checks;
    store->checks = checks;
    return old;
}
