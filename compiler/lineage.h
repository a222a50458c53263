/*
 * lineage.h - what feeds what: sources and embeddings -> features ->
 * derived features -> feature sets, computed from the checked program, and
 * the two commands that show it (`fdlc graph`, lineage.c; `fdlc docs`,
 * catalog.c).
 */
#ifndef FDL_LINEAGE_H
#define FDL_LINEAGE_H

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"
#include "ir.h"
#include "source.h"

typedef enum lineage_kind {
    LINEAGE_SOURCE,          /* index into ir.sources */
    LINEAGE_EMBEDDING,       /* ir.embeddings */
    LINEAGE_FEATURE,         /* ir.features */
    LINEAGE_SET,             /* ir.sets */
} lineage_kind;

typedef struct lineage_node {
    lineage_kind kind;
    int index;
    const char *name;
} lineage_node;

/* from feeds to (indexes into nodes). */
typedef struct lineage_edge {
    int from, to;
} lineage_edge;

typedef struct lineage {
    lineage_node *nodes;
    int nnodes;
    lineage_edge *edges;
    int nedges;
    /* Where each kind's nodes start in nodes (kind order, then IR order). */
    int first[4];
} lineage;

/* Definitions loaded and checked (front ends, then sema), as fdlc check does. */
typedef struct lineage_program {
    arena arena;
    source_set sources;
    ast_program ast;
    ir_program ir;
} lineage_program;

/* Loads and checks files; false (errors printed, the count on stderr) if any error.
 * The arena is initialised either way: lineage_program_free it. */
bool lineage_program_load(lineage_program *p, char **files, int nfiles);
void lineage_program_free(lineage_program *p);

/* The lineage of a checked program, allocated in a. */
void lineage_build(lineage *g, const ir_program *ir, arena *a);
/* The node of (kind, IR index). */
int lineage_node_of(const lineage *g, lineage_kind kind, int index);
const char *lineage_kind_name(lineage_kind kind);

/* Graphviz text. With link_pages, nodes link to the catalog's pages. */
void lineage_write_dot(FILE *out, const lineage *g, bool link_pages);
/* {"nodes": [{"id", "kind", "name"}], "edges": [{"from", "to"}]} */
void lineage_write_json(FILE *out, const lineage *g);

/* `fdlc graph` and `fdlc docs`: exit statuses as main.c's. */
int lineage_graph_main(int argc, char **argv);
int catalog_docs_main(int argc, char **argv);

/* The anchor of a node in the catalog: "feature-NAME", bytes outside
 * [A-Za-z0-9_-] as ".XX"; the page it is on in page. */
const char *lineage_anchor(arena *a, const lineage_node *n);
/* The same for any kind of name ("entity", ...). */
const char *lineage_anchor_name(arena *a, const char *kind, const char *name);
const char *lineage_page(lineage_kind kind);

#endif
