/*
 * compile_helper.h - runs the front end and sema over YAML held in strings,
 * capturing diagnostics, for the compiler's unit tests.
 */
#ifndef FDL_TEST_COMPILE_HELPER_H
#define FDL_TEST_COMPILE_HELPER_H

#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front_yaml.h"
#include "ir.h"
#include "sema.h"

typedef struct compiled {
    arena arena;
    source_set sources;
    ast_program ast;
    ir_program ir;
    bool ok;
    char *diagnostics;     /* everything printed, NUL-terminated */
    size_t diagnostics_size;
} compiled;

/* Compiles files given as (name, text) pairs; NULL name ends the list. */
static inline void compile_texts(compiled *c, const char *const *files)
{
    memset(c, 0, sizeof *c);
    arena_init(&c->arena);
    source_set_init(&c->sources, &c->arena);
    c->sources.out = open_memstream(&c->diagnostics, &c->diagnostics_size);
    for (int i = 0; files[2 * i]; i++) {
        int id = source_add(&c->sources, files[2 * i], files[2 * i + 1], strlen(files[2 * i + 1]));
        front_yaml_read(&c->sources, &c->arena, id, &c->ast);
    }
    c->ok = sema_check(&c->sources, &c->arena, &c->ast, &c->ir) && c->sources.errors == 0;
    fclose(c->sources.out);
}

static inline void compile_one(compiled *c, const char *text)
{
    const char *files[] = {"defs.yaml", text, NULL, NULL};
    compile_texts(c, files);
}

static inline void compiled_free(compiled *c)
{
    free(c->diagnostics);
    arena_free(&c->arena);
}

/* The catalog most tests build on. */
static const char base_yaml[] =
    "entities:\n"
    "  - {name: user, join_key: user_id}\n"
    "  - {name: account, join_key: account_id, key_type: int64}\n"
    "sources:\n"
    "  - name: orders\n"
    "    timestamp: ts\n"
    "    fields:\n"
    "      - {name: user_id, type: string}\n"
    "      - {name: account_id, type: int64}\n"
    "      - {name: amount, type: float64}\n"
    "      - {name: items, type: int64}\n"
    "      - {name: note, type: string}\n"
    "embeddings:\n"
    "  - {name: user2vec, entity: user, dimension: 4, path: u.csv}\n";

#endif
