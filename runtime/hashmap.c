/*
 * hashmap.c - open-addressing hash map from byte-string keys to pointers.
 *
 * Linear probing over a power-of-two table that doubles at 70% load. Each
 * slot keeps the full 64-bit hash so that probes rarely touch key bytes and
 * growing never rehashes. Keys up to 16 bytes (every int64 key, most string
 * ids) live inside the slot; longer keys get one allocation. Removal is
 * backward-shift deletion (no tombstones), and the table halves when under
 * 1/8 full, so a map that held many keys gives the memory back.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "snapshot.h"

#define HASHMAP_INLINE_KEY 16
#define HASHMAP_MIN_CAPACITY 16

typedef struct hashmap_slot {
    uint64_t hash;
    void *value;
    size_t len;                         /* key length */
    bool used;                          /* false: an empty slot */
    union {
        char local[HASHMAP_INLINE_KEY];
        char *heap;
    } key;
} hashmap_slot;

struct fdl_hashmap {
    hashmap_slot *slots;
    size_t capacity;                    /* a power of two */
    size_t count;
    size_t heap_key_bytes;              /* keys longer than HASHMAP_INLINE_KEY */
};

static inline uint64_t mix64(uint64_t x)
{
    /* The splitmix64 finalizer: full avalanche. */
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return x;
}

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = (x << 8) | p[i];
    return x;
}

uint64_t fdl_hash_bytes(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ (len * UINT64_C(0xff51afd7ed558ccd));
    while (len >= 8) {
        h = mix64(h ^ load64(p)) + UINT64_C(0x9e3779b97f4a7c15);
        p += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    for (size_t i = 0; i < len; i++)
        tail |= (uint64_t)p[i] << (8 * i);
    return mix64(h ^ tail ^ ((uint64_t)len << 59));
}

size_t fdl_key_bytes(fdl_value key, char *buf, size_t size, const void **bytes)
{
    uint64_t bits;
    switch (key.type) {
    case FDL_STRING:
        *bytes = key.as.s.ptr;
        return key.as.s.len;
    case FDL_INT64:
        bits = (uint64_t)key.as.i;
        break;
    case FDL_TIMESTAMP:
        bits = (uint64_t)key.as.t;
        break;
    case FDL_FLOAT64:
        memcpy(&bits, &key.as.f, sizeof bits);
        break;
    case FDL_BOOL:
        bits = key.as.b;
        break;
    default:
        *bytes = NULL;
        return 0;
    }
    if (size < 8) {
        *bytes = NULL;
        return 0;
    }
    for (int i = 0; i < 8; i++)
        buf[i] = (char)(bits >> (8 * i));
    *bytes = buf;
    return 8;
}

fdl_hashmap *fdl_hashmap_new(void)
{
    fdl_hashmap *map = calloc(1, sizeof *map);
    if (!map)
        return NULL;
    map->slots = calloc(HASHMAP_MIN_CAPACITY, sizeof *map->slots);
    if (!map->slots) {
        free(map);
        return NULL;
    }
    map->capacity = HASHMAP_MIN_CAPACITY;
    return map;
}

static const char *slot_key(const hashmap_slot *slot)
{
    return slot->len <= HASHMAP_INLINE_KEY ? slot->key.local : slot->key.heap;
}

void fdl_hashmap_free(fdl_hashmap *map)
{
    if (!map)
        return;
    for (size_t i = 0; i < map->capacity; i++)
        if (map->slots[i].used && map->slots[i].len > HASHMAP_INLINE_KEY)
            free(map->slots[i].key.heap);
    free(map->slots);
    free(map);
}

static bool hashmap_resize(fdl_hashmap *map, size_t capacity)
{
    assert(capacity >= HASHMAP_MIN_CAPACITY && map->count * 10 <= capacity * 7);
    hashmap_slot *slots = calloc(capacity, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < map->capacity; i++) {
        if (!map->slots[i].used)
            continue;
        size_t j = map->slots[i].hash & (capacity - 1);
        while (slots[j].used)
            j = (j + 1) & (capacity - 1);
        slots[j] = map->slots[i];
    }
    free(map->slots);
    map->slots = slots;
    map->capacity = capacity;
    return true;
}

void **fdl_hashmap_slot(fdl_hashmap *map, const void *key, size_t len, bool insert)
{
    uint64_t hash = fdl_hash_bytes(key, len);
    size_t mask = map->capacity - 1;
    size_t i = hash & mask;
    for (; map->slots[i].used; i = (i + 1) & mask) {
        hashmap_slot *slot = &map->slots[i];
        if (slot->hash == hash && slot->len == len &&
            (len == 0 || memcmp(slot_key(slot), key, len) == 0))
            return &slot->value;
    }
    if (!insert)
        return NULL;
    /* Grow first so the slot returned stays where it is. */
    if ((map->count + 1) * 10 > map->capacity * 7) {
        if (!hashmap_resize(map, map->capacity * 2))
            return NULL;
        mask = map->capacity - 1;
        for (i = hash & mask; map->slots[i].used; i = (i + 1) & mask)
            ;
    }
    hashmap_slot *slot = &map->slots[i];
    if (len > HASHMAP_INLINE_KEY) {
        slot->key.heap = malloc(len);
        if (!slot->key.heap)
            return NULL;
        memcpy(slot->key.heap, key, len);
        map->heap_key_bytes += len;
    } else if (len > 0) {
        memcpy(slot->key.local, key, len);
    }
    slot->hash = hash;
    slot->len = len;
    slot->value = NULL;
    slot->used = true;
    map->count++;
    return &slot->value;
}

size_t fdl_hashmap_count(const fdl_hashmap *map)
{
    return map->count;
}

void fdl_hashmap_each(fdl_hashmap *map, void (*fn)(void *value, void *ctx), void *ctx)
{
    for (size_t i = 0; i < map->capacity; i++)
        if (map->slots[i].used)
            fn(map->slots[i].value, ctx);
}

size_t fdl_hashmap_capacity(const fdl_hashmap *map)
{
    return map->capacity;
}

void **fdl_hashmap_slot_at(fdl_hashmap *map, size_t i)
{
    assert(i < map->capacity);
    return map->slots[i].used ? &map->slots[i].value : NULL;
}

bool fdl_hashmap_remove_at(fdl_hashmap *map, size_t i)
{
    assert(i < map->capacity && map->slots[i].used);
    size_t mask = map->capacity - 1;
    if (map->slots[i].len > HASHMAP_INLINE_KEY) {
        free(map->slots[i].key.heap);
        map->heap_key_bytes -= map->slots[i].len;
    }
    /* Pull later entries of the probe run into the hole unless that would
     * move them before their home slot. */
    for (size_t j = (i + 1) & mask; map->slots[j].used; j = (j + 1) & mask) {
        size_t home = map->slots[j].hash & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            map->slots[i] = map->slots[j];
            i = j;
        }
    }
    memset(&map->slots[i], 0, sizeof map->slots[i]);
    map->count--;
    /* Halving at 1/8 (growth doubles at 7/10) keeps both amortized O(1);
     * failing to shrink is fine. */
    if (map->capacity > HASHMAP_MIN_CAPACITY && map->count * 8 < map->capacity)
        return hashmap_resize(map, map->capacity / 2);
    return false;
}

size_t fdl_hashmap_bytes(const fdl_hashmap *map)
{
    return sizeof *map + map->capacity * sizeof *map->slots + map->heap_key_bytes;
}

const void *fdl_hashmap_key_at(const fdl_hashmap *map, size_t i, size_t *len)
{
    assert(i < map->capacity);
    if (!map->slots[i].used)
        return NULL;
    *len = map->slots[i].len;
    return slot_key(&map->slots[i]);
}
