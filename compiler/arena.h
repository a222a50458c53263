/*
 * arena.h - one bump allocator per compilation.
 *
 * Everything the compiler allocates for a run (source text, AST, types, IR,
 * strings) lives in one arena and is released with a single arena_free().
 * Allocation never returns NULL: running out of memory is fatal, as in cproc.
 */
#ifndef FDL_ARENA_H
#define FDL_ARENA_H

#include <stddef.h>

typedef struct arena_block arena_block;

typedef struct arena {
    arena_block *head;   /* newest block; older ones chained behind it */
    size_t total;        /* bytes handed out, for --stats and limits */
} arena;

void arena_init(arena *a);
void arena_free(arena *a);
/* Zero-filled, aligned for any object. */
void *arena_alloc(arena *a, size_t size);
/* Grows an array allocated in the arena; old contents are copied. */
void *arena_grow(arena *a, void *old, size_t old_size, size_t new_size);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
