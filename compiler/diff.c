/*
 * diff.c - `fdlc diff`: what changed between two versions of the
 * definitions, for review and CI.
 *
 *   fdlc diff [--format text|json] OLD... -- NEW...
 *   fdlc diff [--format text|json] --manifest OLD.json -- NEW...
 *
 * Each side is reduced to a catalog: its features (name, type, per-feature
 * fingerprint: ir_feature_fingerprints, the same one the manifest holds)
 * and its feature sets (the ordered columns). OLD is definition files
 * checked as `fdlc check` does, or the NAME.json manifest of a built
 * library (read with jansson). Then:
 *
 *   added     a new name whose fingerprint no removed feature has;
 *   removed   an old name whose fingerprint no new feature has;
 *   renamed   an old name gone and a new one with the same fingerprint;
 *   changed   the same name, another fingerprint: its values mean something
 *             else, so training data with it needs a backfill;
 *   sets      a set added, removed, or whose vector changed shape (columns
 *             added, removed, reordered or of another type: breaking for a
 *             model served from it), or whose columns changed meaning or
 *             name (the shape is kept).
 *
 * Exit status: 0 nothing changed, 3 changes none of which breaks a served
 * vector, 4 a breaking change (a set removed or reshaped); 1 errors in the
 * definitions, 2 anything else (usage, an unreadable manifest).
 */
#define _POSIX_C_SOURCE 200809L

#include "diff.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "front_fdl.h"
#include "front_yaml.h"
#include "internal.h"
#include "ir.h"
#include "sema.h"

enum { DIFF_SAME = 0, DIFF_DEFINITIONS = 1, DIFF_OTHER = 2, DIFF_CHANGES = 3, DIFF_BREAKING = 4 };

typedef struct cat_feature {
    const char *name;
    const char *type;         /* "float64", "float64_vector[128]" */
    const char *fingerprint;
    const char *definition;
    int match;                /* the other side's feature: same name or renamed; -1 */
} cat_feature;

typedef struct cat_set {
    const char *name;
    int *features;            /* indexes in the catalog's features */
    int nfeatures;
} cat_set;

typedef struct catalog {
    cat_feature *features;
    int nfeatures;
    cat_set *sets;
    int nsets;
} catalog;

static const char diff_usage[] =
    "usage: fdlc diff [--format text|json] OLD... -- NEW...\n"
    "       fdlc diff [--format text|json] --manifest OLD.json -- NEW...\n";

/* ------------------------------------------------------------ catalogs */

static const char *type_string(arena *a, ast_type t)
{
    return t.kind == TYPE_VECTOR ? arena_printf(a, "float64_vector[%d]", t.dim) : type_name(t.kind);
}

/* The catalog of definition files; false after printing their errors. */
static bool catalog_of_files(arena *a, char **files, int nfiles, catalog *out)
{
    source_set sources;
    source_set_init(&sources, a);
    ast_program ast;
    ir_program ir;
    memset(&ast, 0, sizeof ast);
    memset(&ir, 0, sizeof ir);
    for (int i = 0; i < nfiles; i++) {
        int id = source_load(&sources, files[i]);
        size_t n = strlen(files[i]);
        if (id >= 0 && n > 4 && strcmp(files[i] + n - 4, ".fdl") == 0)
            front_fdl_read(&sources, a, id, &ast);
        else if (id >= 0)
            front_yaml_read(&sources, a, id, &ast);
    }
    if (!sema_check(&sources, a, &ast, &ir) || sources.errors > 0) {
        int n = sources.errors;
        fprintf(stderr, "%d error%s generated.\n", n, n == 1 ? "" : "s");
        return false;
    }
    char (*fingerprints)[65] = arena_alloc(a, sizeof *fingerprints * (size_t)(ir.nfeatures + 1));
    ir_feature_fingerprints(a, &ir, fingerprints);
    out->nfeatures = ir.nfeatures;
    out->features = arena_alloc(a, sizeof *out->features * (size_t)(ir.nfeatures + 1));
    for (int i = 0; i < ir.nfeatures; i++)
        out->features[i] = (cat_feature){ir.features[i].name, type_string(a, ir.features[i].type),
                                         fingerprints[i], ir.features[i].definition, -1};
    out->nsets = ir.nsets;
    out->sets = arena_alloc(a, sizeof *out->sets * (size_t)(ir.nsets + 1));
    for (int s = 0; s < ir.nsets; s++)
        out->sets[s] = (cat_set){ir.sets[s].name, ir.sets[s].features, ir.sets[s].nfeatures};
    return true;
}

static const char *json_text(arena *a, json_t *object, const char *key)
{
    const char *s = json_string_value(json_object_get(object, key));
    return s ? arena_strdup(a, s) : NULL;
}

static int find_feature(const catalog *c, const char *name)
{
    for (int i = 0; i < c->nfeatures; i++)
        if (strcmp(c->features[i].name, name) == 0)
            return i;
    return -1;
}

/* One feature of a manifest; false when it lacks what diff needs. */
static bool manifest_feature(arena *a, json_t *item, cat_feature *f)
{
    f->name = json_text(a, item, "name");
    f->fingerprint = json_text(a, item, "fingerprint");
    f->definition = json_text(a, item, "definition");
    const char *type = json_text(a, item, "type");
    json_t *dimension = json_object_get(item, "dimension");
    f->type = type && json_is_integer(dimension)
                  ? arena_printf(a, "%s[%" PRId64 "]", type, (int64_t)json_integer_value(dimension))
                  : type;
    f->match = -1;
    return f->name && f->fingerprint && f->type;
}

/* The catalog of a library's manifest (NAME.json); false after saying why not. */
static bool catalog_of_manifest(arena *a, const char *path, catalog *out)
{
    json_error_t error;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &error);
    if (!root) {
        fprintf(stderr, "fdlc: diff: %s:%d: %s\n", path, error.line, error.text);
        return false;
    }
    json_t *features = json_object_get(root, "features"), *sets = json_object_get(root, "feature_sets");
    bool ok = json_is_array(features) && json_is_array(sets);
    out->nfeatures = ok ? (int)json_array_size(features) : 0;
    out->features = arena_alloc(a, sizeof *out->features * (size_t)(out->nfeatures + 1));
    for (int i = 0; ok && i < out->nfeatures; i++)
        ok = manifest_feature(a, json_array_get(features, (size_t)i), &out->features[i]);
    out->nsets = ok ? (int)json_array_size(sets) : 0;
    out->sets = arena_alloc(a, sizeof *out->sets * (size_t)(out->nsets + 1));
    for (int s = 0; ok && s < out->nsets; s++) {
        json_t *set = json_array_get(sets, (size_t)s), *members = json_object_get(set, "features");
        cat_set *c = &out->sets[s];
        c->name = json_text(a, set, "name");
        ok = c->name && json_is_array(members);
        c->nfeatures = ok ? (int)json_array_size(members) : 0;
        c->features = arena_alloc(a, sizeof(int) * (size_t)(c->nfeatures + 1));
        for (int f = 0; ok && f < c->nfeatures; f++) {
            const char *name = json_string_value(json_array_get(members, (size_t)f));
            c->features[f] = name ? find_feature(out, name) : -1;
            ok = c->features[f] >= 0;
        }
    }
    json_decref(root);
    if (!ok)
        fprintf(stderr,
                "fdlc: diff: %s is not an fdlc manifest with per-feature fingerprints "
                "(built by an older fdlc? build it again)\n", path);
    return ok;
}

/* ------------------------------------------------------------ comparing */

typedef enum set_change {
    SET_SAME, SET_ADDED, SET_REMOVED, SET_RESHAPED, SET_MEANING, SET_RENAMED
} set_change;

static const char *const set_change_names[] = {"same", "added", "removed", "reshaped", "changed", "renamed"};

/* Pairs features by name, then the rest by fingerprint (renames). */
static void match_features(catalog *old, catalog *new)
{
    for (int i = 0; i < old->nfeatures; i++) {
        int j = find_feature(new, old->features[i].name);
        if (j >= 0) {
            old->features[i].match = j;
            new->features[j].match = i;
        }
    }
    for (int i = 0; i < old->nfeatures; i++)
        for (int j = 0; j < new->nfeatures && old->features[i].match < 0; j++)
            if (new->features[j].match < 0 &&
                strcmp(old->features[i].fingerprint, new->features[j].fingerprint) == 0) {
                old->features[i].match = j;
                new->features[j].match = i;
            }
}

/* How a set of OLD compares with the one of the same name in NEW (ni; -1: none). */
static set_change compare_set(const catalog *old, const cat_set *os, const catalog *new, int ni)
{
    if (ni < 0)
        return SET_REMOVED;
    const cat_set *ns = &new->sets[ni];
    if (os->nfeatures != ns->nfeatures)
        return SET_RESHAPED;
    set_change change = SET_SAME;
    for (int k = 0; k < os->nfeatures; k++) {
        const cat_feature *o = &old->features[os->features[k]], *n = &new->features[ns->features[k]];
        if (n->match != os->features[k] || strcmp(o->type, n->type) != 0)
            return SET_RESHAPED;
        if (strcmp(o->fingerprint, n->fingerprint) != 0)
            change = SET_MEANING;
        else if (change == SET_SAME && strcmp(o->name, n->name) != 0)
            change = SET_RENAMED;
    }
    return change;
}

static int find_set(const catalog *c, const char *name)
{
    for (int i = 0; i < c->nsets; i++)
        if (strcmp(c->sets[i].name, name) == 0)
            return i;
    return -1;
}

static json_t *columns(const catalog *c, const cat_set *set)
{
    json_t *list = json_array();
    for (int k = 0; k < set->nfeatures; k++) {
        const cat_feature *f = &c->features[set->features[k]];
        json_array_append_new(list, json_pack("{s:s, s:s}", "name", f->name, "type", f->type));
    }
    return list;
}

static json_t *feature_json(const cat_feature *f)
{
    return json_pack("{s:s, s:s, s:s?}", "name", f->name, "type", f->type, "definition", f->definition);
}

/* The whole comparison as one JSON object (also what the text is printed from). */
static json_t *compare(catalog *old, catalog *new)
{
    match_features(old, new);
    json_t *added = json_array(), *removed = json_array(), *renamed = json_array(), *changed = json_array();
    json_t *sets = json_array();
    for (int i = 0; i < old->nfeatures; i++) {
        const cat_feature *o = &old->features[i];
        const cat_feature *n = o->match >= 0 ? &new->features[o->match] : NULL;
        if (!n)
            json_array_append_new(removed, feature_json(o));
        else if (strcmp(o->name, n->name) != 0)
            json_array_append_new(renamed, json_pack("{s:s, s:s}", "from", o->name, "to", n->name));
        else if (strcmp(o->fingerprint, n->fingerprint) != 0)
            json_array_append_new(changed, json_pack("{s:s, s:o, s:o}", "name", o->name, "old",
                                                     feature_json(o), "new", feature_json(n)));
    }
    for (int j = 0; j < new->nfeatures; j++)
        if (new->features[j].match < 0)
            json_array_append_new(added, feature_json(&new->features[j]));
    bool breaking = false;
    for (int s = 0; s < old->nsets; s++) {
        int ni = find_set(new, old->sets[s].name);
        set_change change = compare_set(old, &old->sets[s], new, ni);
        if (change == SET_SAME)
            continue;
        breaking |= change == SET_REMOVED || change == SET_RESHAPED;
        json_t *item = json_pack("{s:s, s:s, s:b, s:o}", "name", old->sets[s].name, "change",
                                 set_change_names[change], "breaking",
                                 change == SET_REMOVED || change == SET_RESHAPED, "old_columns",
                                 columns(old, &old->sets[s]));
        if (ni >= 0)
            json_object_set_new(item, "new_columns", columns(new, &new->sets[ni]));
        json_array_append_new(sets, item);
    }
    for (int s = 0; s < new->nsets; s++)
        if (find_set(old, new->sets[s].name) < 0)
            json_array_append_new(sets, json_pack("{s:s, s:s, s:b, s:o}", "name", new->sets[s].name, "change",
                                                  "added", "breaking", 0, "new_columns",
                                                  columns(new, &new->sets[s])));
    bool any = json_array_size(added) || json_array_size(removed) || json_array_size(renamed) ||
               json_array_size(changed) || json_array_size(sets);
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:b, s:b}", "added", added, "removed", removed, "renamed",
                     renamed, "changed", changed, "sets", sets, "changes", any, "breaking", breaking);
}

/* ------------------------------------------------------------ printing */

static const char *text_of(json_t *object, const char *key)
{
    const char *s = json_string_value(json_object_get(object, key));
    return s ? s : "";
}

static void print_columns(FILE *out, const char *label, json_t *list)
{
    fprintf(out, "    %s:", label);
    size_t i;
    json_t *column;
    json_array_foreach(list, i, column)
        fprintf(out, "%s %s %s", i ? "," : "", text_of(column, "name"), text_of(column, "type"));
    putc('\n', out);
}

static void print_text(FILE *out, json_t *result)
{
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(result, "added"), i, item)
        fprintf(out, "added    feature %s: %s = %s\n", text_of(item, "name"), text_of(item, "type"),
                text_of(item, "definition"));
    json_array_foreach(json_object_get(result, "removed"), i, item)
        fprintf(out, "removed  feature %s\n", text_of(item, "name"));
    json_array_foreach(json_object_get(result, "renamed"), i, item)
        fprintf(out, "renamed  feature %s -> %s (same meaning)\n", text_of(item, "from"),
                text_of(item, "to"));
    json_array_foreach(json_object_get(result, "changed"), i, item) {
        json_t *o = json_object_get(item, "old"), *n = json_object_get(item, "new");
        fprintf(out, "changed  feature %s: another meaning, its training data needs a backfill\n"
                     "    old: %s = %s\n    new: %s = %s\n",
                text_of(item, "name"), text_of(o, "type"), text_of(o, "definition"), text_of(n, "type"),
                text_of(n, "definition"));
        if (strcmp(text_of(o, "definition"), text_of(n, "definition")) == 0)
            fputs("    (the same definition: a field or feature it reads changed)\n", out);
    }
    json_array_foreach(json_object_get(result, "sets"), i, item) {
        const char *change = text_of(item, "change");
        bool breaking = json_is_true(json_object_get(item, "breaking"));
        fprintf(out, "%-8s set %s%s\n", change, text_of(item, "name"),
                strcmp(change, "reshaped") == 0  ? ": the vector changed shape (breaking for a served model)"
                : strcmp(change, "removed") == 0 ? " (breaking for a served model)"
                : strcmp(change, "changed") == 0 ? ": columns with another meaning"
                : strcmp(change, "renamed") == 0 ? ": columns renamed, the same shape and meaning"
                                                 : "");
        if (breaking || strcmp(change, "added") == 0) {
            if (json_object_get(item, "old_columns"))
                print_columns(out, "old", json_object_get(item, "old_columns"));
            if (json_object_get(item, "new_columns"))
                print_columns(out, "new", json_object_get(item, "new_columns"));
        }
    }
    if (!json_is_true(json_object_get(result, "changes")))
        fputs("no changes\n", out);
}

/* ------------------------------------------------------------ command */

int diff_main(int argc, char **argv)
{
    bool json = false;
    const char *manifest = NULL;
    int i = 0;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc &&
            (strcmp(argv[i + 1], "json") == 0 || strcmp(argv[i + 1], "text") == 0)) {
            json = strcmp(argv[++i], "json") == 0;
        } else if (strcmp(argv[i], "--manifest") == 0 && i + 1 < argc && !manifest) {
            manifest = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "fdlc: diff: unknown option '%s'\n\n%s", argv[i], diff_usage);
            return DIFF_OTHER;
        } else {
            break;
        }
    }
    int old_first = i;
    while (i < argc && strcmp(argv[i], "--") != 0)
        i++;
    int old_count = i - old_first, new_first = i + 1;
    if (i >= argc || new_first >= argc || (manifest ? old_count != 0 : old_count == 0)) {
        fputs(diff_usage, stderr);
        return DIFF_OTHER;
    }
    arena a;
    arena_init(&a);
    catalog old = {0}, new = {0};
    int status = DIFF_SAME;
    if (manifest && !catalog_of_manifest(&a, manifest, &old))
        status = DIFF_OTHER;
    else if (!manifest && !catalog_of_files(&a, argv + old_first, old_count, &old))
        status = DIFF_DEFINITIONS;
    else if (!catalog_of_files(&a, argv + new_first, argc - new_first, &new))
        status = DIFF_DEFINITIONS;
    if (status == DIFF_SAME) {
        json_t *result = compare(&old, &new);
        if (json) {
            char *text = json_dumps(result, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            if (text)
                printf("%s\n", text);
            free(text);
        } else {
            print_text(stdout, result);
        }
        status = json_is_true(json_object_get(result, "breaking"))  ? DIFF_BREAKING
                 : json_is_true(json_object_get(result, "changes")) ? DIFF_CHANGES
                                                                     : DIFF_SAME;
        json_decref(result);
    }
    arena_free(&a);
    if (fflush(stdout) != 0)
        return DIFF_OTHER;
    return status;
}
