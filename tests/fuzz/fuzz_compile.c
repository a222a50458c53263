/*
 * fuzz_compile.c - the compiler pipeline on one in-memory definition file,
 * for the YAML and .fdl harnesses: front end, then (when it parsed) the
 * formatter, then sema, then (when it checked) all three code generators.
 * Diagnostics and generated text go to /dev/null: only crashes, sanitizer
 * reports and leaks count. Everything lives in one arena, freed at the end,
 * so LeakSanitizer sees any allocation made outside it and kept.
 */
#include "fuzz_compile.h"

#include <string.h>

#include "codegen.h"
#include "format.h"
#include "front_fdl.h"
#include "front_yaml.h"
#include "lint.h"
#include "sema.h"

/* Generated C and the manifest for a program that checked. */
static void generate(ir_program *ir, const source_set *sources, const char *path)
{
    static const char *files[1];
    files[0] = path;
    ir->files = files;
    ir->nfiles = 1;
    FILE *out = fuzz_devnull();
    arena a;
    arena_init(&a);
    cg_header(ir, sources, &a, "features", out);
    cg_source(ir, sources, &a, "features", out);
    cg_manifest(ir, "features", out);
    arena_free(&a);
}

void fuzz_compile(const uint8_t *data, size_t size, bool fdl)
{
    const char *path = fdl ? "fuzz.fdl" : "fuzz.yaml";
    arena a;
    arena_init(&a);
    source_set sources;
    source_set_init(&sources, &a);
    sources.out = fuzz_devnull();
    ast_program ast;
    memset(&ast, 0, sizeof ast);
    int id = source_add(&sources, path, (const char *)data, size);
    bool parsed = fdl ? front_fdl_read(&sources, &a, id, &ast) : front_yaml_read(&sources, &a, id, &ast);
    if (parsed && sources.errors == 0)
        format_file(fuzz_devnull(), &sources, id, &ast, fdl ? FORMAT_YAML : FORMAT_FDL);
    ir_program ir;
    memset(&ir, 0, sizeof ir);
    /* As fdlc does: sema runs even after front-end errors, the lints after
     * a clean check (all of them: descriptions too). */
    sources.config.disabled[DIAG_MISSING_DESCRIPTION] = false;
    if (sema_check(&sources, &a, &ast, &ir) && sources.errors == 0) {
        lint_program(&sources, &a, &ast, &ir);
        generate(&ir, &sources, path);
    }
    arena_free(&a);
}
