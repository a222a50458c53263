/*
 * lineage.c - the lineage of a checked program and `fdlc graph`.
 *
 * Nodes are the program's sources, embeddings, features and feature sets;
 * an edge says what a node reads: an aggregation its source, an embedding
 * lookup its table, a computation or derived feature the features it reads
 * (so derived features sit one layer further right), a set its features.
 * The graph is printed as Graphviz text or JSON, and catalog.c draws it.
 */
#define _POSIX_C_SOURCE 200809L

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "front_fdl.h"
#include "front_yaml.h"
#include "internal.h"
#include "lineage.h"
#include "sema.h"

enum { EXIT_DEFINITIONS = 1, EXIT_OTHER = 2 };

/* --------------------------------------------------------------- loading */

static void read_definitions(lineage_program *p, int id, const char *path)
{
    size_t length = strlen(path);
    if (length > 4 && strcmp(path + length - 4, ".fdl") == 0)
        front_fdl_read(&p->sources, &p->arena, id, &p->ast);
    else
        front_yaml_read(&p->sources, &p->arena, id, &p->ast);
}

bool lineage_program_load(lineage_program *p, char **files, int nfiles)
{
    arena_init(&p->arena);
    source_set_init(&p->sources, &p->arena);
    memset(&p->ast, 0, sizeof p->ast);
    memset(&p->ir, 0, sizeof p->ir);
    for (int i = 0; i < nfiles; i++) {
        int id = source_load(&p->sources, files[i]);
        if (id >= 0)
            read_definitions(p, id, files[i]);
    }
    bool ok = sema_check(&p->sources, &p->arena, &p->ast, &p->ir) && p->sources.errors == 0;
    if (!ok) {
        int n = p->sources.errors;
        fprintf(stderr, "%d error%s generated.\n", n, n == 1 ? "" : "s");
        return false;
    }
    p->ir.files = (const char **)files;
    p->ir.nfiles = nfiles;
    return true;
}

void lineage_program_free(lineage_program *p)
{
    arena_free(&p->arena);
}

/* ----------------------------------------------------------------- graph */

const char *lineage_kind_name(lineage_kind kind)
{
    static const char *const names[] = {"source", "embedding", "feature", "set"};
    assert(kind >= LINEAGE_SOURCE && kind <= LINEAGE_SET);
    return names[kind];
}

int lineage_node_of(const lineage *g, lineage_kind kind, int index)
{
    int node = g->first[kind] + index;
    assert(node >= 0 && node < g->nnodes && g->nodes[node].kind == kind);
    return node;
}

static void add_node(lineage *g, lineage_kind kind, int index, const char *name)
{
    g->nodes[g->nnodes++] = (lineage_node){kind, index, name};
}

static void add_edge(lineage *g, int from, int to)
{
    for (int e = 0; e < g->nedges; e++)   /* a feature may read another twice */
        if (g->edges[e].from == from && g->edges[e].to == to)
            return;
    g->edges[g->nedges++] = (lineage_edge){from, to};
}

/* The edges into feature f: what it reads. */
static void feature_inputs(lineage *g, const ir_program *ir, int f)
{
    const ir_feature *feature = &ir->features[f];
    int to = lineage_node_of(g, LINEAGE_FEATURE, f);
    switch (feature->kind) {
    case IR_AGGREGATE:
        add_edge(g, lineage_node_of(g, LINEAGE_SOURCE, ir->groups[feature->group].source), to);
        break;
    case IR_LOOKUP_EMBEDDING:
        add_edge(g, lineage_node_of(g, LINEAGE_EMBEDDING, feature->embedding), to);
        break;
    case IR_COSINE_SIMILARITY:
        for (int k = 0; k < 2; k++)
            add_edge(g, lineage_node_of(g, LINEAGE_FEATURE, feature->args[k]), to);
        break;
    case IR_DERIVED:
        for (int k = 0; k < feature->nrefs; k++)
            add_edge(g, lineage_node_of(g, LINEAGE_FEATURE, feature->refs[k]), to);
        break;
    }
}

void lineage_build(lineage *g, const ir_program *ir, arena *a)
{
    memset(g, 0, sizeof *g);
    int nnodes = ir->nsources + ir->nembeddings + ir->nfeatures + ir->nsets;
    int nedges = 0;
    for (int f = 0; f < ir->nfeatures; f++)
        nedges += 2 + ir->features[f].nrefs;
    for (int s = 0; s < ir->nsets; s++)
        nedges += ir->sets[s].nfeatures;
    g->nodes = arena_alloc(a, sizeof *g->nodes * (size_t)(nnodes + 1));
    g->edges = arena_alloc(a, sizeof *g->edges * (size_t)(nedges + 1));
    g->first[LINEAGE_SOURCE] = g->nnodes;
    for (int i = 0; i < ir->nsources; i++)
        add_node(g, LINEAGE_SOURCE, i, ir->sources[i].name);
    g->first[LINEAGE_EMBEDDING] = g->nnodes;
    for (int i = 0; i < ir->nembeddings; i++)
        add_node(g, LINEAGE_EMBEDDING, i, ir->embeddings[i].name);
    g->first[LINEAGE_FEATURE] = g->nnodes;
    for (int i = 0; i < ir->nfeatures; i++)
        add_node(g, LINEAGE_FEATURE, i, ir->features[i].name);
    g->first[LINEAGE_SET] = g->nnodes;
    for (int i = 0; i < ir->nsets; i++)
        add_node(g, LINEAGE_SET, i, ir->sets[i].name);
    assert(g->nnodes == nnodes);
    for (int f = 0; f < ir->nfeatures; f++)
        feature_inputs(g, ir, f);
    for (int s = 0; s < ir->nsets; s++)
        for (int k = 0; k < ir->sets[s].nfeatures; k++)
            add_edge(g, lineage_node_of(g, LINEAGE_FEATURE, ir->sets[s].features[k]),
                     lineage_node_of(g, LINEAGE_SET, s));
    assert(g->nedges <= nedges);
}

/* ----------------------------------------------------------------- names */

const char *lineage_page(lineage_kind kind)
{
    static const char *const pages[] = {"sources.html", "embeddings.html", "features.html",
                                        "sets.html"};
    assert(kind >= LINEAGE_SOURCE && kind <= LINEAGE_SET);
    return pages[kind];
}

const char *lineage_anchor(arena *a, const lineage_node *n)
{
    return lineage_anchor_name(a, lineage_kind_name(n->kind), n->name);
}

const char *lineage_anchor_name(arena *a, const char *kind, const char *name)
{
    size_t length = strlen(kind) + 1 + 3 * strlen(name) + 1;
    char *out = arena_alloc(a, length), *at = out;
    at += sprintf(at, "%s-", kind);
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
        at += plain ? sprintf(at, "%c", *p) : sprintf(at, ".%02X", *p);
    }
    assert((size_t)(at - out) < length);
    return out;
}

/* ------------------------------------------------------------ dot, JSON */

/* A Graphviz double-quoted string: '"' and '\' escaped, line breaks as \n. */
static void dot_string(FILE *out, const char *s)
{
    putc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            putc('\\', out);
        if (*s == '\n')
            fputs("\\n", out);
        else if (*s != '\r')
            putc(*s, out);
    }
    putc('"', out);
}

void lineage_write_dot(FILE *out, const lineage *g, bool link_pages)
{
    static const char *const shapes[] = {"cylinder", "box3d", "box", "folder"};
    static const char *const colours[] = {"#dbeafe", "#ede9fe", "#fef3c7", "#dcfce7"};
    arena a;
    arena_init(&a);
    fputs("digraph lineage {\n"
          "    rankdir=LR;\n"
          "    node [fontname=\"Helvetica\", fontsize=11, style=filled];\n", out);
    for (int i = 0; i < g->nnodes; i++) {
        const lineage_node *n = &g->nodes[i];
        fprintf(out, "    n%d [label=", i);
        dot_string(out, n->name);
        fprintf(out, ", shape=%s, fillcolor=\"%s\", tooltip=", shapes[n->kind], colours[n->kind]);
        char tip[64];
        snprintf(tip, sizeof tip, "%s ", lineage_kind_name(n->kind));
        char *text = arena_alloc(&a, strlen(tip) + strlen(n->name) + 1);
        sprintf(text, "%s%s", tip, n->name);
        dot_string(out, text);
        if (link_pages) {
            const char *anchor = lineage_anchor(&a, n);
            char *url = arena_alloc(&a, strlen(lineage_page(n->kind)) + strlen(anchor) + 2);
            sprintf(url, "%s#%s", lineage_page(n->kind), anchor);
            fputs(", URL=", out);
            dot_string(out, url);
            fputs(", target=\"_top\"", out);
        }
        fputs("];\n", out);
    }
    for (int e = 0; e < g->nedges; e++)
        fprintf(out, "    n%d -> n%d;\n", g->edges[e].from, g->edges[e].to);
    fputs("}\n", out);
    arena_free(&a);
}

void lineage_write_json(FILE *out, const lineage *g)
{
    fputs("{\"nodes\": [", out);
    for (int i = 0; i < g->nnodes; i++) {
        const lineage_node *n = &g->nodes[i];
        fprintf(out, "%s\n  {\"id\": %d, \"kind\": \"%s\", \"name\": ", i ? "," : "", i,
                lineage_kind_name(n->kind));
        fdl_json_write_string(out, n->name, strlen(n->name));
        putc('}', out);
    }
    fputs("\n],\n\"edges\": [", out);
    for (int e = 0; e < g->nedges; e++)
        fprintf(out, "%s\n  {\"from\": %d, \"to\": %d}", e ? "," : "", g->edges[e].from,
                g->edges[e].to);
    fputs("\n]}\n", out);
}

/* ------------------------------------------------------------ fdlc graph */

static const char graph_usage[] = "usage: fdlc graph FILE... [--format dot|json]\n";

/*
 * fdlc graph FILE... [--format dot|json]: the lineage on stdout (dot by
 * default: `fdlc graph defs.yaml | dot -Tsvg > lineage.svg`).
 */
int lineage_graph_main(int argc, char **argv)
{
    const char *format = "dot";
    char **files = calloc((size_t)argc + 1, sizeof *files);
    int nfiles = 0;
    if (!files)
        return EXIT_OTHER;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc)
            format = argv[++i];
        else if (strncmp(argv[i], "--format=", 9) == 0)
            format = argv[i] + 9;
        else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "fdlc: graph: unknown option '%s'\n%s", argv[i], graph_usage);
            free(files);
            return EXIT_OTHER;
        } else
            files[nfiles++] = argv[i];
    }
    if (strcmp(format, "dot") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, "fdlc: graph: --format takes dot or json, not '%s'\n", format);
        free(files);
        return EXIT_OTHER;
    }
    if (nfiles == 0) {
        fprintf(stderr, "fdlc: graph: no definition files given\n%s", graph_usage);
        free(files);
        return EXIT_OTHER;
    }
    lineage_program p;
    int status = EXIT_DEFINITIONS;
    if (lineage_program_load(&p, files, nfiles)) {
        lineage g;
        lineage_build(&g, &p.ir, &p.arena);
        if (strcmp(format, "dot") == 0)
            lineage_write_dot(stdout, &g, false);
        else
            lineage_write_json(stdout, &g);
        status = fflush(stdout) == 0 ? 0 : EXIT_OTHER;
    }
    lineage_program_free(&p);
    free(files);
    return status;
}
