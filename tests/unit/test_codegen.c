/*
 * test_codegen.c - the C code generator: escaping, identifiers, and that the
 * output compiles warning-free under -Wall -Wextra -Wpedantic -Werror.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "codegen.h"
#include "compile_helper.h"

/* Names that are C keywords or macros, text that tries to break out of
 * comments and strings, trigraphs, escapes in where-strings. */
static const char hostile_yaml[] =
    "entities:\n"
    "  - {name: int, join_key: default, description: \"*/ #include <evil.h> /*\"}\n"
    "  - {name: \"EOF\", join_key: k, key_type: int64}\n"
    "sources:\n"
    "  - name: assert\n"
    "    timestamp: for\n"
    "    description: \"ends with a backslash \\\\\"\n"
    "    fields:\n"
    "      - {name: default, type: string}\n"
    "      - {name: k, type: int64}\n"
    "      - {name: bool, type: float64}\n"
    "      - {name: errno, type: string}\n"
    "      - {name: x_, type: int64}\n"
    "      - {name: x, type: int64}\n"
    "features:\n"
    "  - name: case\n"
    "    entity: int\n"
    "    description: \"?\?/ trigraph and \\\"quotes\\\" and */ and \\n newline\"\n"
    "    aggregation:\n"
    "      function: sum\n"
    "      source: assert.bool\n"
    "      window: 1d\n"
    "      where: \"errno != '*/\\\\\\\"?\?/' and default in ('a', 'b\\\\n') and x_ + x > 0\"\n"
    "  - {name: while, entity: \"EOF\", aggregation: {function: last, source: assert.errno, window: lifetime}}\n"
    "feature_sets:\n"
    "  - {name: return, features: [case, while]}\n";

/* noinline: gcc 12 -O2 takes the returned text for the local pointer to it (-Wdangling-pointer) */
__attribute__((noinline)) static char *generate_named(const compiled *c, bool header, const char *name)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    arena a;
    arena_init(&a);
    if (header)
        cg_header(&c->ir, &c->sources, &a, name, out);
    else
        cg_source(&c->ir, &c->sources, &a, name, out);
    arena_free(&a);
    fclose(out);
    return text;
}

static char *generate(const compiled *c, bool header)
{
    return generate_named(c, header, "lib");
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Compiles the generated code of library `name` with a real compiler and the
 * strict flags, plus `flags`. */
static void compiles_cleanly_named(const compiled *c, const char *cc, const char *name, const char *flags)
{
    char dir[] = "/tmp/fdl-codegen-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], command[1024];
    char *h = generate_named(c, true, name), *src = generate_named(c, false, name);
    snprintf(path, sizeof path, "%s/%s.h", dir, name);
    write_text(path, h);
    snprintf(path, sizeof path, "%s/%s.c", dir, name);
    write_text(path, src);
    snprintf(command, sizeof command,
             "%s -std=c11 -Wall -Wextra -Wpedantic -Werror %s -I%s/runtime/include -c %s/%s.c -o %s/lib.o 2>%s/log",
             cc, flags, FDL_SOURCE_DIR, dir, name, dir, dir);
    int status = system(command);
    if (status != 0) {
        snprintf(command, sizeof command, "cat %s/log; cat -n %s/%s.c | head -80", dir, dir, name);
        (void)system(command);
    }
    snprintf(command, sizeof command, "rm -rf %s", dir);
    (void)system(command);
    free(h);
    free(src);
    assert_int_equal(status, 0);
}

static void compiles_cleanly(const compiled *c, const char *cc)
{
    compiles_cleanly_named(c, cc, "lib", "");
}

static void hostile_names_and_text_compile(void **state)
{
    (void)state;
    compiled c;
    compile_one(&c, hostile_yaml);
    if (!c.ok)
        print_error("%s\n", c.diagnostics);
    assert_true(c.ok);
    compiles_cleanly(&c, "gcc");
    if (system("command -v clang >/dev/null 2>&1") == 0)
        compiles_cleanly(&c, "clang");
    char *src = generate(&c, false);
    /* The injected text stays inside a comment or a string literal. */
    assert_null(strstr(src, "*/ #include"));
    assert_non_null(strstr(src, "event->default_"));
    assert_non_null(strstr(src, "event->errno_"));
    assert_non_null(strstr(src, "event->x_"));
    assert_non_null(strstr(src, "event->x__"));   /* x_ and x stay distinct */
    free(src);
    compiled_free(&c);
}

static void identifiers_are_one_to_one(void **state)
{
    (void)state;
    arena a;
    arena_init(&a);
    assert_string_equal(cg_ident(&a, "amount"), "amount");
    assert_string_equal(cg_ident(&a, "int"), "int_");
    assert_string_equal(cg_ident(&a, "int_"), "int__");
    assert_string_equal(cg_ident(&a, "NULL"), "NULL_");
    assert_string_equal(cg_ident(&a, "_x"), "_x_");
    assert_string_equal(cg_ident(&a, "true"), "true_");
    assert_string_not_equal(cg_ident(&a, "x_"), cg_ident(&a, "x"));
    assert_string_equal(cg_ident(&a, "FDL_GENERATED_lib_H"), "FDL_GENERATED_lib_H_");   /* a macro */
    assert_string_equal(cg_ident(&a, "linux"), "linux_");   /* predefined outside -std=c11 */
    arena_free(&a);
}

/* Definitions whose names collided in C under the old scheme (issue 8.4):
 * check_orders_row, compute_fields, check_fields; and the public names
 * NAME_ingest_a_event (source a_event) against source ingest_a's struct. */
static const char colliding_yaml[] =
    "entities:\n"
    "  - {name: user, join_key: user_id}\n"
    "  - {name: x_event, join_key: user_id}\n"
    "sources:\n"
    "  - {name: orders, timestamp: ts, fields: [{name: user_id, type: string}]}\n"
    "  - {name: orders_row, timestamp: ts, fields: [{name: user_id, type: string}]}\n"
    "  - {name: compute, timestamp: ts, fields: [{name: user_id, type: string}]}\n"
    "  - {name: check, timestamp: ts, fields: [{name: user_id, type: string}]}\n"
    "  - {name: fields, timestamp: ts, fields: [{name: user_id, type: string}]}\n"
    "  - {name: a_event, timestamp: ts, fields: [{name: user_id, type: string}]}\n"
    "  - {name: ingest_a, timestamp: ts, fields: [{name: user_id, type: string}]}\n"
    "  - {name: read_entity_x, timestamp: ts, fields: [{name: user_id, type: string}]}\n"
    "features:\n"
    "  - {name: fields, entity: user, aggregation: {function: count, source: compute, window: 1d}}\n"
    "  - {name: orders_row, entity: user, aggregation: {function: count, source: orders, window: 1d}}\n"
    "  - {name: v_fields, entity: user, expr: 'fields + 1'}\n"
    "  - {name: SOURCE0_orders, entity: x_event, aggregation: {function: count, source: check, window: 1d}}\n"
    "feature_sets:\n"
    "  - {name: check, features: [fields, v_fields]}\n";

static void colliding_names_compile(void **state)
{
    (void)state;
    compiled c;
    compile_one(&c, colliding_yaml);
    if (!c.ok)
        print_error("%s\n", c.diagnostics);
    assert_true(c.ok);
    compiles_cleanly(&c, "gcc");
    /* A library named like a tag: the tag is spelled the other way. */
    compiles_cleanly_named(&c, "gcc", "src1", "");
    compiles_cleanly_named(&c, "gcc", "SOURCE0", "");
    char *src = generate_named(&c, false, "src1");
    assert_non_null(strstr(src, "static fdl_status srcx1_orders_row_check("));
    assert_non_null(strstr(src, "static fdl_value feat2_v_fields_compute("));
    /* Aggregations are rows of the kernel's table, with no function of their own. */
    assert_null(strstr(src, "feat0_fields_compute"));
    assert_non_null(strstr(src, "/* [0] fields ("));
    assert_null(strstr(src, "src1_orders"));
    free(src);
    src = generate(&c, true);
    assert_non_null(strstr(src, "} lib_event_a_event;"));
    assert_non_null(strstr(src, "} lib_event_ingest_a;"));
    assert_non_null(strstr(src, "fdl_status lib_read_entity_x_event("));
    free(src);
    compiled_free(&c);
}

/* Features read by several others of one set: each read computes them once. */
static const char shared_inputs_yaml[] =
    "entities:\n"
    "  - {name: user, join_key: user_id}\n"
    "  - {name: item, join_key: item_id}\n"
    "sources:\n"
    "  - name: events\n"
    "    timestamp: ts\n"
    "    fields: [{name: user_id, type: string}, {name: item_id, type: string}, {name: x, type: float64}]\n"
    "features:\n"
    "  - {name: n, entity: user, aggregation: {function: count, source: events, window: 1d}}\n"
    "  - {name: s, entity: user, aggregation: {function: sum, source: events.x, window: 1d}}\n"
    "  - {name: m, entity: item, aggregation: {function: mean, source: events.x, window: 1d}}\n"
    "  - {name: per, entity: user, expr: 's / n'}\n"
    "  - {name: both, entities: [user, item], expr: 'per * n + m'}\n"
    "  - {name: twice, entities: [item, user], expr: 'both - per + both'}\n"
    "feature_sets:\n"
    "  - {name: wide, features: [twice, both, per, n, m]}\n";

/* The feature names a steps table's comments list, one per step, in order;
 * a copy of a value listed again is "=". */
static int step_names(const char *table, char names[][32], int max)
{
    const char *end = strstr(table, "};");
    int n = 0;
    for (const char *at = strstr(table, "/* "); at && at < end && n < max; at = strstr(at + 1, "/* ")) {
        const char *name = strchr(at + 3, ' ');   /* past "out[i]" or "temp[i]" */
        assert_non_null(name);
        name++;
        size_t len = strcspn(name, " *");
        if (name[0] == '=')
            len = 1;
        assert_true(len < 32);
        memcpy(names[n], name, len);
        names[n++][len] = '\0';
    }
    return n;
}

static void reads_compute_each_feature_once(void **state)
{
    (void)state;
    compiled c;
    compile_one(&c, shared_inputs_yaml);
    if (!c.ok)
        print_error("%s\n", c.diagnostics);
    assert_true(c.ok);
    compiles_cleanly(&c, "gcc");
    char *src = generate(&c, false);
    int tables = 0;
    for (const char *at = strstr(src, "static const feature_step "); at;
         at = strstr(at + 1, "static const feature_step ")) {
        char names[64][32];
        int n = step_names(at, names, 64);
        assert_true(n > 0);
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                if (strcmp(names[i], "=") != 0 && strcmp(names[i], names[j]) == 0)
                    fail_msg("%s computed twice in %.60s", names[i], at);
        tables++;
    }
    /* The set, 2 entities, and the reads of the 3 computed features. */
    assert_int_equal(tables, 6);
    /* The set computes n, s, m, per and both once each: 6 steps with twice. */
    const char *set = strstr(src, "set0_wide_steps[");
    assert_non_null(set);
    char names[64][32];
    assert_int_equal(step_names(set, names, 64), 6);
    free(src);
    compiled_free(&c);
}

static void library_names(void **state)
{
    (void)state;
    assert_null(cg_library_name_problem("features"));
    assert_null(cg_library_name_problem("src1"));
    assert_null(cg_library_name_problem("fdlx"));
    assert_null(cg_library_name_problem("fd"));
    assert_non_null(cg_library_name_problem("fdl"));
    assert_non_null(cg_library_name_problem("FDL"));
    assert_non_null(cg_library_name_problem("fdl_store"));
    assert_non_null(cg_library_name_problem("Fdl_x"));
}

/* Text reaching comments and strings (issue 8.5, 8.11e): U+202E and other
 * bidi controls, control bytes, trigraphs, comment ends, a final backslash. */
static const char hostile_text_yaml[] =
    "entities:\n"
    "  - {name: user, join_key: user_id}\n"
    "sources:\n"
    "  - {name: s, timestamp: ts, fields: [{name: user_id, type: string}]}\n"
    "features:\n"
    "  - name: f\n"
    "    entity: user\n"
    "    description: \"a \\u202e b \\u2066 c \\x01 d \\x1b e ?\?= ?\?/ ??\?! /*/ x */ y **/ z \\\\\"\n"
    "    aggregation:\n"
    "      function: count\n"
    "      source: s\n"
    "      window: 1d\n"
    "      where: \"user_id != '\\u202e?\?=*/\\\\\\\\'\"\n";

static void hostile_text_stays_inert(void **state)
{
    (void)state;
    compiled c;
    compile_one(&c, hostile_text_yaml);
    if (!c.ok)
        print_error("%s\n", c.diagnostics);
    assert_true(c.ok);
    compiles_cleanly_named(&c, "gcc", "lib", "-Wbidi-chars=any -Wtrigraphs");
    char *src = generate(&c, false);
    for (const char *p = src; *p; p++)
        if (!((*p >= 0x20 && *p < 0x7f) || *p == '\n'))
            fail_msg("byte 0x%02x at offset %ld: %.40s", (unsigned char)*p, (long)(p - src), p);
    assert_null(strstr(src, "??"));
    /* The comment shows the bytes; no '* /' or '/ *' pair survives. */
    assert_non_null(strstr(src, "/* a \\xE2\\x80\\xAE b \\xE2\\x81\\xA6 c \\x01 d \\x1B e ? ?= ? ?/ ? ? ?! / * / x * / y ** / z \\x5C */"));
    /* The string literal keeps the value, byte for byte. */
    assert_non_null(strstr(src, "fdl_string(\"\\342\\200\\256\\?\\?=*/\\\\\", 9)"));
    free(src);
    compiled_free(&c);
}

static void seed_example_compiles(void **state)
{
    (void)state;
    compiled c;
    const char *catalog_path = FDL_SOURCE_DIR "/examples/seed/catalog.yaml";
    const char *features_path = FDL_SOURCE_DIR "/examples/seed/features.yaml";
    memset(&c, 0, sizeof c);
    arena_init(&c.arena);
    source_set_init(&c.sources, &c.arena);
    c.sources.out = open_memstream(&c.diagnostics, &c.diagnostics_size);
    front_yaml_read(&c.sources, &c.arena, source_load(&c.sources, catalog_path), &c.ast);
    front_yaml_read(&c.sources, &c.arena, source_load(&c.sources, features_path), &c.ast);
    c.ok = sema_check(&c.sources, &c.arena, &c.ast, &c.ir);
    fclose(c.sources.out);
    assert_true(c.ok);
    compiles_cleanly(&c, "gcc");
    char *src = generate(&c, false);
    /* Every function says where its definition came from. */
    assert_non_null(strstr(src, " user_purchase_count_30d (features.yaml:11): count(purchases) over 30d */"));
    assert_non_null(strstr(src, "cosine_similarity(user.user_embedding, product.product_embedding)"));
    free(src);
    compiled_free(&c);
}

/*
 * A program large enough to be split (NAME.c, NAME_units.h, NAME_k.c): a
 * composite key (scratch space), request fields, features of two entities
 * read by a set in the other order, derived features reading computed ones.
 * Every file compiles alone under -Werror (gcc, and clang when there), they
 * link, nothing of NAME_unit_ is left undefined or exported.
 */
static char *split_program_yaml(void)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    fputs("entities:\n"
          "  - {name: user, join_key: user_id}\n"
          "  - {name: item, join_keys: [store_id, sku], key_types: [int64, string]}\n"
          "sources:\n"
          "  - name: orders\n"
          "    timestamp: ts\n"
          "    fields:\n"
          "      - {name: ts, type: timestamp}\n"
          "      - {name: user_id, type: string}\n"
          "      - {name: store_id, type: int64}\n"
          "      - {name: sku, type: string}\n"
          "      - {name: amount, type: float64}\n"
          "features:\n", out);
    for (int i = 0; i < 1200; i++) {
        fprintf(out, "  - {name: u%d, entity: user, aggregation: {function: sum, source: orders.amount,"
                     " window: %dh}, default: 0.0}\n", i, i % 50 + 1);
        if (i % 4 == 0)
            fprintf(out, "  - {name: k%d, entity: item, aggregation: {function: count, source: orders,"
                         " window: %dd}}\n", i, i % 30 + 1);
        if (i % 3 == 2 && i < 5)
            fprintf(out, "  - {name: d%d, entity: user, expr: 'u%d * 2 + u0'}\n", i, i);
        else if (i % 3 == 2)   /* a derived feature reading another, maybe in another file */
            fprintf(out, "  - {name: d%d, entity: user, expr: 'u%d * 2 + d%d'}\n", i, i, i - 3);
        if (i % 12 == 8)
            fprintf(out, "  - {name: m%d, entities: [item, user], expr: 'k%d + d%d'}\n", i, i, i);
        if (i % 12 == 5)
            fprintf(out, "  - {name: r%d, entity: user, expr: 'u%d + request.bonus'}\n", i, i);
    }
    fputs("feature_sets:\n  - name: s\n    features: [u0, k0, d2, m8, r5, u1199, m1196]\n"
          "    request: [{name: bonus, type: float64}]\n", out);
    fclose(out);
    return text;
}

/* Runs a shell command; its exit status (prints its output on failure). */
static int shell(const char *command)
{
    int status = system(command);
    if (status != 0)
        print_error("failed: %s\n", command);
    return status;
}

static void split_program_compiles(void **state)
{
    (void)state;
    char *yaml = split_program_yaml();
    compiled c;
    compile_one(&c, yaml);
    if (!c.ok)
        print_error("%s\n", c.diagnostics);
    assert_true(c.ok);
    arena a;
    arena_init(&a);
    int n = cg_source_count(&c.ir, &a);
    assert_true(n >= 3);
    assert_int_equal(cg_source_level(&c.ir, &a, 0), 2);
    char dir[] = "/tmp/fdl-split-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], command[2048];
    snprintf(path, sizeof path, "%s/lib.h", dir);
    FILE *out = fopen(path, "w");
    cg_header(&c.ir, &c.sources, &a, "lib", out);
    fclose(out);
    snprintf(path, sizeof path, "%s/lib_units.h", dir);
    out = fopen(path, "w");
    cg_units_header(&c.ir, &c.sources, &a, "lib", out);
    fclose(out);
    for (int unit = 0; unit < n; unit++) {
        if (unit)
            snprintf(path, sizeof path, "%s/lib_%d.c", dir, unit);
        else
            snprintf(path, sizeof path, "%s/lib.c", dir);
        out = fopen(path, "w");
        cg_source_unit(&c.ir, &c.sources, &a, "lib", unit, out);
        fclose(out);
        snprintf(command, sizeof command,
                 "cd %s && gcc -std=c11 -O0 -fPIC -Wall -Wextra -Wpedantic -Werror -I%s/runtime/include -c %s -o %d.o",
                 dir, FDL_SOURCE_DIR, path, unit);
        assert_int_equal(shell(command), 0);
        snprintf(command, sizeof command,
                 "! command -v clang >/dev/null 2>&1 || clang -std=c11 -fsyntax-only -Wall -Wextra"
                 " -Wpedantic -Werror -I%s/runtime/include %s", FDL_SOURCE_DIR, path);
        assert_int_equal(shell(command), 0);
    }
    snprintf(command, sizeof command,
             "cd %s && gcc -shared *.o -o lib.so && ! nm -u lib.so | grep -q lib_unit_ && "
             "! nm -D --defined-only lib.so | grep -q lib_unit_ && nm -D --defined-only lib.so | grep -q lib_read_set_s",
             dir);
    int status = shell(command);
    snprintf(command, sizeof command, "rm -rf %s", dir);
    (void)system(command);
    assert_int_equal(status, 0);
    arena_free(&a);
    compiled_free(&c);
    free(yaml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identifiers_are_one_to_one),
        cmocka_unit_test(hostile_names_and_text_compile),
        cmocka_unit_test(seed_example_compiles),
        cmocka_unit_test(colliding_names_compile),
        cmocka_unit_test(reads_compute_each_feature_once),
        cmocka_unit_test(library_names),
        cmocka_unit_test(hostile_text_stays_inert),
        cmocka_unit_test(split_program_compiles),
    };
    return cmocka_run_group_tests_name("codegen", tests, NULL, NULL);
}
