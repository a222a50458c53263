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

static char *generate(const compiled *c, bool header)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    arena a;
    arena_init(&a);
    if (header)
        cg_header(&c->ir, &c->sources, &a, "lib", out);
    else
        cg_source(&c->ir, &c->sources, &a, "lib", out);
    arena_free(&a);
    fclose(out);
    return text;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Compiles the generated code with a real compiler and the strict flags. */
static void compiles_cleanly(const compiled *c, const char *cc)
{
    char dir[] = "/tmp/fdl-codegen-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], command[1024];
    char *h = generate(c, true), *src = generate(c, false);
    snprintf(path, sizeof path, "%s/lib.h", dir);
    write_text(path, h);
    snprintf(path, sizeof path, "%s/lib.c", dir);
    write_text(path, src);
    snprintf(command, sizeof command,
             "%s -std=c11 -Wall -Wextra -Wpedantic -Werror -I%s/runtime -c %s/lib.c -o %s/lib.o 2>%s/log",
             cc, FDL_SOURCE_DIR, dir, dir, dir);
    int status = system(command);
    if (status != 0) {
        snprintf(command, sizeof command, "cat %s/log; cat -n %s/lib.c | head -80", dir, dir);
        (void)system(command);
    }
    snprintf(command, sizeof command, "rm -rf %s", dir);
    (void)system(command);
    free(h);
    free(src);
    assert_int_equal(status, 0);
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
    arena_free(&a);
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
    assert_non_null(strstr(src, "/* user_purchase_count_30d (features.yaml:11): count(purchases) over 30d"));
    assert_non_null(strstr(src, "cosine_similarity(user.user_embedding, product.product_embedding)"));
    free(src);
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(identifiers_are_one_to_one),
        cmocka_unit_test(hostile_names_and_text_compile),
        cmocka_unit_test(seed_example_compiles),
    };
    return cmocka_run_group_tests_name("codegen", tests, NULL, NULL);
}
