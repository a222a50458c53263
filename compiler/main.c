/*
 * main.c - the fdlc driver: calls the stages in a straight line.
 *
 *   files -> front_yaml (AST) -> sema (IR) -> codegen (C) -> cc -> batch
 *
 * Commands: check, compile, build, batch, materialize, library, verify, fmt, diff, drift,
 * functions, graph, docs, explain, version, help.
 * Exit status: 0 success, 1 errors in the definitions, 3 drift found (drift),
 * 4 differences found (verify),
 * 2 anything else
 * (usage, files, the C compiler, a batch run that failed).
 */
#define _XOPEN_SOURCE 700

#include <assert.h>
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch_progress.h"
#include "cc_build.h"
#include "codegen.h"
#include "diag_output.h"
#include "lint.h"
#include "drift.h"
#include "diff.h"
#include "fmt_command.h"
#include "materialize.h"
#include "format.h"
#include "internal.h"
#include "predlog_read.h"
#include "fdlrt.h"
#include "front_fdl.h"
#include "front_yaml.h"
#include "header_names.h"
#include "install_paths.h"
#include "inputs.h"
#include "ir.h"
#include "lineage.h"
#include "sema.h"
#include "functions.h"

enum { EXIT_DEFINITIONS = 1, EXIT_OTHER = 2, EXIT_CONTRACT = 5 };

static const char usage_text[] =
    "usage: fdlc <command> [arguments]\n"
    "\n"
    "commands:\n"
    "  check FILE... [--dump-ir]          type-check and lint definitions\n"
    "        [--format=text|json|sarif] [--color=auto|always|never] [-Werror] [-Wno-NAME]\n"
    "        [--require-descriptions]     (these options apply to every command that reads\n"
    "                                     definitions; JSON and SARIF go to stdout)\n"
    "  compile FILE... -o DIR [--name N]  write DIR/N.h, DIR/N.c, DIR/N.json (N: fdlfeatures)\n"
    "  build FILE... -o DIR [--name N]    compile, then build DIR/libN.so with $CC (cc)\n"
    "  batch FILE... --source NAME=PATH... --spine PATH --out PATH|-\n"
    "        [--set NAME] [--spine-time COL] [--embedding NAME=PATH]... [--lib DIR/libN.so]\n"
    "        [--quarantine PATH] [--report PATH.json] [--now TIME] [--threads N] [--timings]\n"
    "        [--progress|--quiet]\n"
    "                                     build a point-in-time correct training set, checking the\n"
    "                                     sources' expectations (exit 5 when the data breaks them);\n"
    "                                     N threads (default: the CPUs available), the same output\n"
    "                                     for any N; --timings: the run's parts, on stderr;\n"
    "                                     a source may be given again (its files read as one),\n"
    "                                     as a glob, or gzip (.csv.gz); progress on a terminal\n"
    "                                     (--progress: always, --quiet: never, nor the summary)\n"
    "  materialize FILE... --source NAME=PATH... --data DIR [--until TIME] [--embedding NAME=PATH]...\n"
    "        [--lib DIR/libN.so] [--quarantine PATH] [--now TIME]\n"
    "                                     write the store state ingesting the sources would give\n"
    "                                     (DIR/snapshot-00000000000000000000.fdls) for a server to start from\n"
    "  fmt [--to fdl|yaml] FILE...        print definitions in canonical form (or convert)\n"
    "  fmt --check|--write FILE...        list the files fmt would change (exit 1 if any), or\n"
    "                                     rewrite them in place (comments are kept)\n"
    "  library FILE...                    build (or reuse) the cached library of the definitions,\n"
    "                                     as batch does, and print its path (used by fdl-server)\n"
    "  verify FILE... --log PATH --source NAME=PATH... [--embedding NAME=PATH]...\n"
    "        [--lib DIR/libN.so] [--allow-other-fingerprint]\n"
    "                                     recompute a prediction log through batch and compare (exit 4\n"
    "                                     on differences)\n"
    "  diff [--format json] OLD... -- NEW...  (or --manifest OLD.json -- NEW...)\n"
    "                                     features added, removed, renamed, changed in meaning;\n"
    "                                     sets reshaped (exit 3 changes, 4 breaking, 0 none)\n"
    "  functions                          list the expression functions\n"
    "  explain [CODE]                     explain a diagnostic code (E0101, W0001); alone, list them\n"
    "  graph FILE... [--format dot|json]  print the lineage: sources -> features -> sets\n"
    "  docs FILE... -o DIR                write a static HTML catalog (and lineage.svg) to DIR\n"
    "  drift TRAIN.csv SERVING.csv [--ignore COL]... [--json PATH]\n"
    "                                     compare feature distributions (exit 3 on drift)\n"
    "  version                            print the version\n";

static void usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "fdlc: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage_text);
}

/* ------------------------------------------------------- front to IR */

typedef struct compilation {
    arena arena;
    source_set sources;
    ast_program ast;
    ir_program ir;
} compilation;

/* Reads one file with the front end its name asks for. */
static void read_definitions(compilation *c, int id, const char *path)
{
    size_t length = strlen(path);
    if (length > 4 && strcmp(path + length - 4, ".fdl") == 0)
        front_fdl_read(&c->sources, &c->arena, id, &c->ast);
    else
        front_yaml_read(&c->sources, &c->arena, id, &c->ast);
}

/* The diagnostic options of this run (parse_options sets them; every
 * command that compiles definitions reads them). */
static diag_config diagnostics_config = {.color = -1};

/* Runs the front end, sema and the lints over all files; false if any error. */
static bool compile_definitions(compilation *c, char **files, int nfiles)
{
    arena_init(&c->arena);
    source_set_init(&c->sources, &c->arena);
    diag_configure(&c->sources, &diagnostics_config);
    memset(&c->ast, 0, sizeof c->ast);
    for (int i = 0; i < nfiles; i++) {
        int id = source_load(&c->sources, files[i]);
        if (id >= 0)
            read_definitions(c, id, files[i]);
    }
    /* Sema runs even after front-end errors, on what did parse: one run shows all errors. */
    bool ok = sema_check(&c->sources, &c->arena, &c->ast, &c->ir) && c->sources.errors == 0;
    if (ok) {
        lint_program(&c->sources, &c->arena, &c->ast, &c->ir);
        ok = c->sources.errors == 0;  /* -Werror */
    }
    if (ok) {
        c->ir.files = (const char **)files;
        c->ir.nfiles = nfiles;
    } else if (c->sources.config.format == DIAG_FORMAT_TEXT) {
        int n = c->sources.errors;
        fprintf(stderr, "%d error%s generated.\n", n, n == 1 ? "" : "s");
    }
    diag_write_document(&c->sources, stdout);
    return ok;
}

static bool is_identifier(const char *s)
{
    if (!s[0] || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (const char *p = s; *p; p++)
        if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return false;
    return strlen(s) <= 64;
}

/* ------------------------------------------------------------ files */

/* mkdir -p, new directories with mode (less the umask). */
static bool make_directories(const char *path, mode_t mode)
{
    char buf[4096];
    if (strlen(path) >= sizeof buf)
        return false;
    strcpy(buf, path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, mode) != 0 && errno != EEXIST)
                return false;
            *p = '/';
        }
    return mkdir(buf, mode) == 0 || errno == EEXIST;
}

/* Writes one generated file: which file of a program is `unit` (the
 * source files' index; 0 for the others). */
typedef void (*writer_fn)(const compilation *c, const char *name, int unit, FILE *out);

static void write_header(const compilation *c, const char *name, int unit, FILE *out)
{
    (void)unit;
    arena a;
    arena_init(&a);
    cg_header(&c->ir, &c->sources, &a, name, out);
    arena_free(&a);
}

static void write_units_header(const compilation *c, const char *name, int unit, FILE *out)
{
    (void)unit;
    arena a;
    arena_init(&a);
    cg_units_header(&c->ir, &c->sources, &a, name, out);
    arena_free(&a);
}

static void write_source(const compilation *c, const char *name, int unit, FILE *out)
{
    arena a;
    arena_init(&a);
    cg_source_unit(&c->ir, &c->sources, &a, name, unit, out);
    arena_free(&a);
}

static void write_manifest(const compilation *c, const char *name, int unit, FILE *out)
{
    (void)unit;
    cg_manifest(&c->ir, name, out);
}

/* How many C files the program's source takes (cg_source_count). */
static int source_count(const compilation *c)
{
    arena a;
    arena_init(&a);
    int n = cg_source_count(&c->ir, &a);
    arena_free(&a);
    return n;
}

/* Writes a file through fdl_output (a unique temporary renamed into place):
 * readers never see half of it, and a failure leaves the old file. */
static bool write_file(const compilation *c, const char *path, const char *name, int unit,
                       writer_fn writer)
{
    fdl_output out;
    fdl_error err;
    if (fdl_output_open(&out, path, &err) != FDL_OK) {
        fprintf(stderr, "fdlc: %s\n", err.message);
        return false;
    }
    writer(c, name, unit, out.file);
    if (fdl_output_commit(&out, &err) != FDL_OK) {
        fprintf(stderr, "fdlc: %s\n", err.message);
        return false;
    }
    return true;
}

/* Refuses outputs that are inputs or each other (fdl_paths_check). */
static bool paths_distinct(const fdl_path_use *uses, int n)
{
    fdl_error err;
    if (fdl_paths_check(uses, n, &err) == FDL_OK)
        return true;
    fprintf(stderr, "fdlc: %s\n", err.message);
    return false;
}

/* The definition files as inputs, then room for `extra` more uses. */
static fdl_path_use *definition_uses(char **files, int nfiles, int extra, int *n)
{
    fdl_path_use *uses = calloc((size_t)(nfiles + extra) + 1, sizeof *uses);
    if (!uses) {
        fprintf(stderr, "fdlc: out of memory\n");
        exit(EXIT_OTHER);
    }
    for (int i = 0; i < nfiles; i++)
        uses[i] = (fdl_path_use){files[i], "the definition file", false};
    *n = nfiles;
    return uses;
}

/* Whether path is a file fdlc generated (its banner says so): only those
 * are removed as stale. */
static bool generated_by_fdlc(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return false;
    char line[2][256] = {{0}};
    bool ok = fgets(line[0], sizeof line[0], in) && fgets(line[1], sizeof line[1], in) &&
              strcmp(line[0], "/*\n") == 0 && strstr(line[1], " - generated by fdlc ");
    fclose(in);
    return ok;
}

/* Removes what an earlier, larger build of NAME left in DIR: NAME_K.c from
 * unit nunits on, and NAME_units.h when the program is one file. */
static void remove_stale_units(const char *dir, const char *name, int nunits)
{
    char path[4400];
    for (int unit = nunits > 1 ? nunits : 1;; unit++) {
        cc_unit_path(dir, name, unit, path, sizeof path);
        if (!generated_by_fdlc(path) || unlink(path) != 0)
            break;
    }
    snprintf(path, sizeof path, "%s/%s_units.h", dir, name);
    if (nunits == 1 && generated_by_fdlc(path))
        unlink(path);
}

/*
 * DIR/NAME.h, NAME.c and NAME.json, and for a large program NAME_units.h and
 * NAME_1.c ... (cg_source_count); none may be a definition file. Each is
 * written safely (write_file). Returns the number of C files, 0 on failure.
 */
static int generate(const compilation *c, const char *dir, const char *name)
{
    if (!make_directories(dir, 0777)) {
        fprintf(stderr, "fdlc: cannot create directory '%s': %s\n", dir, strerror(errno));
        return 0;
    }
    int nunits = source_count(c);
    int nfiles = 3 + (nunits > 1 ? nunits : 0);
    char (*paths)[4400] = calloc((size_t)nfiles, sizeof *paths);
    writer_fn *writers = calloc((size_t)nfiles, sizeof *writers);
    int *units = calloc((size_t)nfiles, sizeof *units);
    if (!paths || !writers || !units) {
        fprintf(stderr, "fdlc: out of memory\n");
        exit(EXIT_OTHER);
    }
    int k = 0;
    snprintf(paths[k], sizeof paths[k], "%s/%s.h", dir, name);
    writers[k++] = write_header;
    if (nunits > 1) {
        snprintf(paths[k], sizeof paths[k], "%s/%s_units.h", dir, name);
        writers[k++] = write_units_header;
    }
    for (int unit = 0; unit < nunits; unit++) {
        cc_unit_path(dir, name, unit, paths[k], sizeof paths[k]);
        units[k] = unit;
        writers[k++] = write_source;
    }
    snprintf(paths[k], sizeof paths[k], "%s/%s.json", dir, name);
    writers[k++] = write_manifest;
    assert(k == nfiles);
    int n;
    fdl_path_use *uses = definition_uses((char **)c->ir.files, c->ir.nfiles, nfiles, &n);
    for (int i = 0; i < nfiles; i++)
        uses[n++] = (fdl_path_use){paths[i], "the generated file", true};
    bool ok = paths_distinct(uses, n);
    free(uses);
    for (int i = 0; i < nfiles && ok; i++)
        ok = write_file(c, paths[i], name, units[i], writers[i]);
    if (ok)
        remove_stale_units(dir, name, nunits);
    free(paths);
    free(writers);
    free(units);
    return ok ? nunits : 0;
}

/* Builds DIR/libNAME.so from the program's C files (cc_build.c), each
 * optimized as cg_source_level says. */
static bool build_library(const compilation *c, const char *dir, const char *name, int nunits,
                          char *library, size_t size)
{
    const char *include_dir = install_runtime_include_dir();   /* NULL: it said why */
    if (!include_dir)
        return false;
    int *levels = calloc((size_t)nunits, sizeof *levels);
    if (!levels) {
        fprintf(stderr, "fdlc: out of memory\n");
        return false;
    }
    arena a;
    arena_init(&a);
    for (int unit = 0; unit < nunits; unit++)
        levels[unit] = cg_source_level(&c->ir, &a, unit);
    arena_free(&a);
    bool ok = cc_build_library(dir, name, nunits, levels, include_dir, library, size);
    free(levels);
    return ok;
}

/* ----------------------------------------------------------- commands */

typedef struct options {
    char **files;
    int nfiles;
    const char *out_dir;
    const char *name;
    bool dump_ir;
    /* batch */
    fdl_batch_source *sources;
    int nsources;
    fdl_batch_embedding *embeddings;
    int nembeddings;
    const char *spine, *out, *set, *spine_time, *lib;
    const char *quarantine, *report, *now, *threads;
    bool timings, progress, quiet;
    /* verify */
    const char *log;
    bool allow_other_fingerprint;
} options;

static void free_options(options *o)
{
    free(o->files);
    free(o->sources);
    free(o->embeddings);
    inputs_free();
}

/* Splits NAME=PATH. */
static bool split_assignment(char *arg, const char **name, const char **path)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return false;
    *eq = '\0';
    *name = arg;
    *path = eq + 1;
    return true;
}

static bool parse_options(int argc, char **argv, options *o, bool batch)
{
    memset(o, 0, sizeof *o);
    o->files = calloc((size_t)argc + 1, sizeof(char *));
    o->sources = calloc((size_t)argc + 1, sizeof(fdl_batch_source));
    o->embeddings = calloc((size_t)argc + 1, sizeof(fdl_batch_embedding));
    o->name = FDL_DEFAULT_OUTPUT_NAME;
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        const char **value = NULL;
        if (strcmp(arg, "-o") == 0 && !batch)
            value = &o->out_dir;
        else if (strcmp(arg, "--name") == 0 && !batch)
            value = &o->name;
        else if (strcmp(arg, "--dump-ir") == 0 && !batch) {
            o->dump_ir = true;
            continue;
        } else if (batch && strcmp(arg, "--spine") == 0)
            value = &o->spine;
        else if (batch && strcmp(arg, "--out") == 0)
            value = &o->out;
        else if (batch && strcmp(arg, "--set") == 0)
            value = &o->set;
        else if (batch && strcmp(arg, "--spine-time") == 0)
            value = &o->spine_time;
        else if (batch && strcmp(arg, "--lib") == 0)
            value = &o->lib;
        else if (batch && strcmp(arg, "--quarantine") == 0)
            value = &o->quarantine;
        else if (batch && strcmp(arg, "--report") == 0)
            value = &o->report;
        else if (batch && strcmp(arg, "--now") == 0)
            value = &o->now;
        else if (batch && strcmp(arg, "--threads") == 0)
            value = &o->threads;
        else if (batch && strcmp(arg, "--timings") == 0) {
            o->timings = true;
            continue;
        } else if (batch && (strcmp(arg, "--progress") == 0 || strcmp(arg, "--quiet") == 0)) {
            *(arg[2] == 'p' ? &o->progress : &o->quiet) = true;
            continue;
        }
        else if (batch && strcmp(arg, "--log") == 0)
            value = &o->log;
        else if (batch && strcmp(arg, "--allow-other-fingerprint") == 0) {
            o->allow_other_fingerprint = true;
            continue;
        }
        else if (batch && (strcmp(arg, "--source") == 0 || strcmp(arg, "--embedding") == 0)) {
            if (i + 1 >= argc) {
                usage_error("%s needs NAME=PATH", arg);
                return false;
            }
            const char *name, *path;
            if (!split_assignment(argv[i + 1], &name, &path)) {
                usage_error("expected NAME=PATH, not '%s'", argv[i + 1]);
                return false;
            }
            if (arg[2] == 's')
                o->sources[o->nsources++] = (fdl_batch_source){name, path};
            else
                o->embeddings[o->nembeddings++] = (fdl_batch_embedding){name, path};
            i++;
            continue;
        } else if (arg[0] == '-' && arg[1]) {
            int diagnostic = diag_option(&diagnostics_config, arg);
            if (diagnostic == 0)
                usage_error("unknown option '%s'", arg);
            if (diagnostic <= 0)
                return false;
            continue;
        } else {
            o->files[o->nfiles++] = arg;
            continue;
        }
        if (i + 1 >= argc) {
            usage_error("%s needs a value", arg);
            return false;
        }
        *value = argv[++i];
    }
    if (o->nfiles == 0) {
        usage_error("%s", "no definition files given");
        return false;
    }
    fdl_batch_source *expanded;   /* --source NAME='PATTERN*': every file it matches */
    if (batch && !inputs_expand_sources(o->sources, o->nsources, &expanded, &o->nsources))
        return false;
    if (batch) {
        free(o->sources);
        o->sources = expanded;
    }
    if (!is_identifier(o->name)) {
        usage_error("--name '%s' must be a C identifier (letters, digits, '_')", o->name);
        return false;
    }
    if (cg_library_name_problem(o->name)) {
        char reason[256];
        snprintf(reason, sizeof reason, "--name '%s': %s", o->name, cg_library_name_problem(o->name));
        usage_error("%s", reason);
        return false;
    }
    if (header_name_problem(o->name)) {
        fprintf(stderr, "fdlc: --name '%s': %s\n", o->name, header_name_problem(o->name));
        return false;
    }
    return true;
}

static int command_check(int argc, char **argv)
{
    options o;
    if (!parse_options(argc, argv, &o, false)) {
        free_options(&o);
        return EXIT_OTHER;
    }
    compilation c;
    bool ok = compile_definitions(&c, o.files, o.nfiles);
    if (ok && o.dump_ir)
        ir_dump(&c.ir, stdout);
    arena_free(&c.arena);
    free_options(&o);
    return ok ? 0 : EXIT_DEFINITIONS;
}

static int command_compile(int argc, char **argv, bool build)
{
    options o;
    if (!parse_options(argc, argv, &o, false)) {
        free_options(&o);
        return EXIT_OTHER;
    }
    if (!o.out_dir) {
        usage_error("%s", "-o DIR is required");
        free_options(&o);
        return EXIT_OTHER;
    }
    compilation c;
    int status = 0, nunits;
    if (!compile_definitions(&c, o.files, o.nfiles))
        status = EXIT_DEFINITIONS;
    else if (!(nunits = generate(&c, o.out_dir, o.name)))
        status = EXIT_OTHER;
    else if (build) {
        char library[4200];
        if (!build_library(&c, o.out_dir, o.name, nunits, library, sizeof library))
            status = EXIT_OTHER;
    }
    arena_free(&c.arena);
    free_options(&o);
    return status;
}

/*
 * The directory for cached builds of `fdlc batch`: $FDLC_CACHE_DIR, else
 * $XDG_CACHE_HOME/fdlc, ~/.cache/fdlc, $XDG_RUNTIME_DIR/fdlc-cache (a
 * per-user directory), and only then /tmp/fdlc-cache-UID. Whichever it is,
 * cache_trusted checks it before a library in it is loaded.
 */
static void cache_directory(char *out, size_t size)
{
    const char *dir = getenv("FDLC_CACHE_DIR");
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    if (dir && *dir)
        snprintf(out, size, "%s", dir);
    else if (xdg && *xdg)
        snprintf(out, size, "%s/fdlc", xdg);
    else if (home && *home)
        snprintf(out, size, "%s/.cache/fdlc", home);
    else if (runtime && *runtime)
        snprintf(out, size, "%s/fdlc-cache", runtime);
    else
        snprintf(out, size, "/tmp/fdlc-cache-%ld", (long)geteuid());
}

/*
 * The cache's trust rule: a library is loaded only from a directory, and
 * only as a file, that this user owns and no one else may write (no group
 * or other write bit), and never through a symbolic link below the cache
 * directory. Anyone else able to put a file there could run code as us.
 */
static bool owned_and_private(const char *path, const struct stat *st, const char *what)
{
    if (st->st_uid != geteuid()) {
        fprintf(stderr,
                "fdlc: the build cache %s '%s' belongs to uid %ld, not to you (uid %ld): refusing to"
                " load code from it; remove it, or set FDLC_CACHE_DIR to a directory of your own\n",
                what, path, (long)st->st_uid, (long)geteuid());
        return false;
    }
    if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        fprintf(stderr,
                "fdlc: the build cache %s '%s' is writable by others (mode %03o): refusing to load"
                " code from it; chmod go-w it, or set FDLC_CACHE_DIR to a directory of your own\n",
                what, path, (unsigned)(st->st_mode & 0777));
        return false;
    }
    return true;
}

static bool cache_directory_trusted(const char *cache)
{
    struct stat st;
    if (stat(cache, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "fdlc: the build cache '%s' is not a directory\n", cache);
        return false;
    }
    return owned_and_private(cache, &st, "directory");
}

static bool cache_trusted(const char *cache, const char *dir, const char *library)
{
    struct stat st;
    if (!cache_directory_trusted(cache))
        return false;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "fdlc: the build cache entry '%s' is not a directory\n", dir);
        return false;
    }
    if (!owned_and_private(dir, &st, "entry"))
        return false;
    if (lstat(library, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "fdlc: the cached library '%s' is missing or not a regular file;"
                        " remove '%s' to rebuild it\n", library, dir);
        return false;
    }
    return owned_and_private(library, &st, "library");
}

/* Removes a build directory of ours and the files a build leaves in it. */
static void remove_build(const char *dir)
{
    static const char *const files[] = {"features.h", "features_units.h", "features.json",
                                        "libfeatures.so"};
    char path[4400];
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    for (int unit = 0;; unit++) {
        cc_unit_path(dir, "features", unit, path, sizeof path);
        if (unlink(path) != 0)
            break;
    }
    rmdir(dir);
}

/* Appends the bytes of a file to out (a note when it cannot be read). */
static void append_file(FILE *out, const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        fprintf(out, "(unreadable %s)", path);
        return;
    }
    char buffer[8192];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, in)) > 0)
        fwrite(buffer, 1, n, out);
    fclose(in);
}

/*
 * Builds the library for these definitions, or reuses the cached one. The
 * cache key hashes everything the build depends on: the generated C, the
 * runtime header it compiles against (its ABI version and table layouts),
 * and the compiler command. A change of any of them never reuses a stale
 * build.
 */
static bool cached_library(const compilation *c, char *library, size_t size)
{
    const char *include_dir = install_runtime_include_dir();
    if (!include_dir)
        return false;
    char *text = NULL;
    size_t length = 0;
    FILE *mem = open_memstream(&text, &length);
    if (!mem)
        return false;
    int nunits = source_count(c);
    write_header(c, "features", 0, mem);
    if (nunits > 1)
        write_units_header(c, "features", 0, mem);
    for (int unit = 0; unit < nunits; unit++)
        write_source(c, "features", unit, mem);
    const char *cc = getenv("CC");
    fprintf(mem, "\n-- abi %d cc %s fdlc %s\n-- fdlrt.h\n", FDL_ABI_VERSION, cc && *cc ? cc : "cc",
            FDL_VERSION);
    char header[4200];
    snprintf(header, sizeof header, "%s/fdlrt.h", include_dir);
    append_file(mem, header);
    fclose(mem);
    char key[65];
    ir_sha256_hex(text, length, key);
    free(text);

    char cache[4096], dir[4200];
    cache_directory(cache, sizeof cache);
    if (!make_directories(cache, 0700)) {
        fprintf(stderr, "fdlc: cannot create the build cache '%s': %s\n", cache, strerror(errno));
        return false;
    }
    snprintf(dir, sizeof dir, "%s/%s", cache, key);
    snprintf(library, size, "%s/libfeatures.so", dir);
    struct stat st;
    if (lstat(dir, &st) == 0)
        return cache_trusted(cache, dir, library);
    if (!cache_directory_trusted(cache))
        return false;
    /* Build in a private directory beside, then rename into place: concurrent
     * runs never see half a build. */
    char temp[4300];
    snprintf(temp, sizeof temp, "%s/.build-XXXXXX", cache);
    if (!mkdtemp(temp)) {
        fprintf(stderr, "fdlc: cannot create a build directory in '%s': %s\n", cache, strerror(errno));
        return false;
    }
    char built[4400];
    if (!generate(c, temp, "features") ||
        !build_library(c, temp, "features", nunits, built, sizeof built)) {
        remove_build(temp);
        return false;
    }
    /* Whatever the umask, what is loaded later is ours alone to change. */
    if (stat(built, &st) == 0)
        chmod(built, st.st_mode & 0755);
    if (rename(temp, dir) != 0) {
        int error = errno;
        remove_build(temp);
        if (lstat(dir, &st) != 0) {   /* not another run's build that won the race */
            fprintf(stderr, "fdlc: cannot move the build into the cache '%s': %s\n", dir,
                    strerror(error));
            return false;
        }
    }
    return cache_trusted(cache, dir, library);
}

/* libNAME.so -> NAME */
static bool library_name(const char *path, char *name, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (strncmp(base, "lib", 3) != 0 || len < 7 || strcmp(base + len - 3, ".so") != 0 || len - 6 >= size)
        return false;
    memcpy(name, base + 3, len - 6);
    name[len - 6] = '\0';
    return is_identifier(name);
}

/*
 * Loads the library for compiled definitions (--lib, else the cache) and
 * runs the batch path over o's sources and embeddings into out, with spine,
 * set and spine time column as given. Returns an exit status.
 */
/* --threads N (1..FDL_BATCH_MAX_THREADS); without it, the CPUs available. */
static bool batch_threads(const char *text, int *threads)
{
    if (!text) {
        int n = fdl_cpus_available();
        *threads = n < FDL_BATCH_MAX_THREADS ? n : FDL_BATCH_MAX_THREADS;
        return true;
    }
    char *end;
    errno = 0;
    long n = strtol(text, &end, 10);
    if (errno || end == text || *end || n < 1 || n > FDL_BATCH_MAX_THREADS) {
        fprintf(stderr, "fdlc: --threads '%s': expected a number from 1 to %d\n", text,
                FDL_BATCH_MAX_THREADS);
        return false;
    }
    *threads = (int)n;
    return true;
}

/*
 * Loads the library of compiled definitions (lib, else the build cache,
 * building it there first) and returns its program, checked against the
 * definitions (ABI, fingerprint); NULL after a message on stderr. *handle
 * is for dlclose (NULL on failure).
 */
static const fdl_program *load_program(compilation *c, const char *lib, void **handle)
{
    char library[4400], name[256] = "features";
    *handle = NULL;
    if (lib) {
        snprintf(library, sizeof library, "%s", lib);
        if (!library_name(lib, name, sizeof name)) {
            fprintf(stderr, "fdlc: --lib '%s' must be a path to libNAME.so\n", lib);
            return NULL;
        }
    } else if (!cached_library(c, library, sizeof library)) {
        return NULL;
    }
    /* dlopen searches the library path for names without a slash. */
    char resolved[4500];
    snprintf(resolved, sizeof resolved, "%s%s", strchr(library, '/') ? "" : "./", library);
    *handle = dlopen(resolved, RTLD_NOW | RTLD_LOCAL);
    if (!*handle) {
        fprintf(stderr, "fdlc: cannot load '%s': %s\n", library, dlerror());
        return NULL;
    }
    char symbol[300];
    snprintf(symbol, sizeof symbol, "%s_program", name);
    const fdl_program *(*entry)(void);
    *(void **)&entry = dlsym(*handle, symbol);
    const fdl_program *program = entry ? entry() : NULL;
    if (!entry)
        fprintf(stderr, "fdlc: '%s' has no %s(): not a library built by fdlc build --name %s\n",
                library, symbol, name);
    else if (program->abi_version != FDL_ABI_VERSION)
        fprintf(stderr, "fdlc: '%s' was built for runtime ABI %d; this fdlc has ABI %d: rebuild it\n",
                library, program->abi_version, FDL_ABI_VERSION);
    else if (strcmp(program->fingerprint, c->ir.fingerprint) != 0)
        fprintf(stderr,
                "fdlc: '%s' was built from other definitions (fingerprint %.12s..., these are %.12s...);"
                " rebuild it with fdlc build\n", library, program->fingerprint, c->ir.fingerprint);
    else
        return program;
    dlclose(*handle);
    *handle = NULL;
    return NULL;
}

const fdl_program *fdlc_load_program(char **files, int nfiles, const char *lib, void **handle,
                                     int *status)
{
    compilation *c = malloc(sizeof *c);
    *handle = NULL;
    if (!c) {
        *status = EXIT_OTHER;
        return NULL;
    }
    const fdl_program *program = NULL;
    *status = EXIT_DEFINITIONS;
    if (compile_definitions(c, files, nfiles)) {
        *status = EXIT_OTHER;
        program = load_program(c, lib, handle);
    }
    arena_free(&c->arena);
    free(c);
    return program;
}

static int run_batch(compilation *c, const options *o, const char *spine, const char *spine_time,
                     const char *set, const char *out, bool quiet)
{
    int status = EXIT_OTHER;
    void *handle;
    const fdl_program *program = load_program(c, o->lib, &handle);
    if (!program)
        return EXIT_OTHER;
    /* Embedding tables: the paths of these definitions, unless overridden. */
    fdl_batch_embedding *embeddings = calloc((size_t)c->ir.nembeddings + (size_t)o->nembeddings + 1,
                                             sizeof *embeddings);
    if (!embeddings) {
        fprintf(stderr, "fdlc: out of memory\n");
        goto done;
    }
    int nembeddings = 0;
    for (int i = 0; i < o->nembeddings; i++)
        embeddings[nembeddings++] = o->embeddings[i];
    for (int e = 0; e < c->ir.nembeddings; e++) {
        bool overridden = false;
        for (int i = 0; i < o->nembeddings; i++)
            overridden |= strcmp(o->embeddings[i].name, c->ir.embeddings[e].name) == 0;
        if (!overridden)
            embeddings[nembeddings++] = (fdl_batch_embedding){c->ir.embeddings[e].name, c->ir.embeddings[e].path};
    }
    fdl_batch_options batch = {
        .sources = o->sources, .nsources = o->nsources,
        .embeddings = embeddings, .nembeddings = nembeddings,
        .spine_path = spine, .spine_time_column = spine_time,
        .set_name = set, .out_path = out,
        .quarantine_path = o->quarantine, .report_path = o->report,
        .summary = quiet ? NULL : stderr,
    };
    batch_progress display;
    if (batch_progress_init(&display, stderr, o->progress, quiet)) {
        batch.progress = batch_progress_show;
        batch.progress_context = &display;
        batch.progress_interval = batch_progress_interval();
    }
    fdl_batch_stats stats = {0};
    fdl_error err = {0};
    if (!batch_threads(o->threads, &batch.threads)) {
        free(embeddings);
        goto done;
    }
    if (o->now && fdl_parse_time(o->now, strlen(o->now), &batch.now, &err) != FDL_OK) {
        fprintf(stderr, "fdlc: --now '%s': %s\n", o->now, err.message);
        free(embeddings);
        goto done;
    }
    fdl_status result = fdl_batch_run(program, &batch, &stats, &err);
    if (result == FDL_ERR_SLA) {
        /* The training set and report are written; the data broke its contract. */
        fprintf(stderr, "fdlc: batch: %s\n", err.message);
        status = EXIT_CONTRACT;
    } else if (result != FDL_OK) {
        fprintf(stderr, "fdlc: batch: %s\n", err.message);
        status = result == FDL_ERR_CHECK ? EXIT_CONTRACT : EXIT_OTHER;
    } else {
        if (!quiet)
            fprintf(stderr, "fdlc: batch: %llu rows read (%llu accepted, %llu dropped), %llu spine rows"
                            " -> %s in %.3f s\n",
                    (unsigned long long)stats.events, (unsigned long long)stats.accepted,
                    (unsigned long long)stats.dropped, (unsigned long long)stats.spine_rows, out,
                    stats.seconds);
        if (o->timings)
            fprintf(stderr, "fdlc: batch: %.3f s load embeddings, %.3f s read and check, %.3f s sort,"
                            " %.3f s replay (%d thread%s), %.3f s write\n",
                    stats.load_seconds, stats.read_seconds, stats.sort_seconds, stats.replay_seconds,
                    stats.threads, stats.threads == 1 ? "" : "s", stats.write_seconds);
        status = 0;
    }
    free(embeddings);
done:
    dlclose(handle);
    return status;
}

/* fdlc library FILE...: the cached library's path on stdout, for fdl-server,
 * which compiles definitions through the same cache as batch. */
static int command_library(int argc, char **argv)
{
    options o;
    if (!parse_options(argc, argv, &o, false)) {
        free_options(&o);
        return EXIT_OTHER;
    }
    compilation c;
    int status = 0;
    char library[4400];
    if (!compile_definitions(&c, o.files, o.nfiles))
        status = EXIT_DEFINITIONS;
    else if (!cached_library(&c, library, sizeof library))
        status = EXIT_OTHER;
    else
        printf("%s\n", library);
    arena_free(&c.arena);
    free_options(&o);
    return status == 0 && fflush(stdout) != 0 ? EXIT_OTHER : status;
}

/* Every file batch reads or writes; no output may be an input or another
 * output (the runtime checks its own files again; this adds the
 * definitions and the library). */
static bool batch_paths_distinct(const options *o)
{
    int n;
    fdl_path_use *uses = definition_uses(o->files, o->nfiles, o->nsources + o->nembeddings + 5, &n);
    for (int i = 0; i < o->nsources; i++)
        uses[n++] = (fdl_path_use){o->sources[i].path, "the source file", false};
    for (int i = 0; i < o->nembeddings; i++)
        uses[n++] = (fdl_path_use){o->embeddings[i].path, "the embedding table", false};
    uses[n++] = (fdl_path_use){o->lib, "the library", false};
    uses[n++] = (fdl_path_use){o->spine, "the spine", false};
    uses[n++] = (fdl_path_use){o->out, "--out", true};
    uses[n++] = (fdl_path_use){o->quarantine, "--quarantine", true};
    uses[n++] = (fdl_path_use){o->report, "--report", true};
    bool ok = paths_distinct(uses, n);
    free(uses);
    return ok;
}

static int command_batch(int argc, char **argv)
{
    options o;
    if (!parse_options(argc, argv, &o, true)) {
        free_options(&o);
        return EXIT_OTHER;
    }
    if (!o.spine || !o.out) {
        usage_error("%s", "batch needs --spine PATH and --out PATH");
        free_options(&o);
        return EXIT_OTHER;
    }
    if (!batch_paths_distinct(&o)) {
        free_options(&o);
        return EXIT_OTHER;
    }
    compilation c;
    if (!compile_definitions(&c, o.files, o.nfiles)) {
        arena_free(&c.arena);
        free_options(&o);
        return EXIT_DEFINITIONS;
    }
    int status = run_batch(&c, &o, o.spine, o.spine_time, o.set, o.out, o.quiet);
    arena_free(&c.arena);
    free_options(&o);
    return status;
}

/* One CSV cell: null empty and unquoted, the empty string as "". */
static void write_csv_cell(FILE *out, const char *text)
{
    if (!text)
        return;
    bool quote = !*text || strpbrk(text, ",\"\r\n") != NULL;
    if (!quote) {
        fputs(text, out);
        return;
    }
    putc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            putc('"', out);
        putc(*p, out);
    }
    putc('"', out);
}

static const char *logged_text(const logged_field *fields, int n, const char *name, bool *found)
{
    for (int i = 0; i < n; i++)
        if (strcmp(fields[i].name, name) == 0) {
            *found = true;
            return fields[i].text;
        }
    *found = false;
    return NULL;
}

enum { EXIT_DIFFERENCES = 4 };

/*
 * fdlc verify FILE... --log PATH --source NAME=PATH... [--embedding ...]
 * [--lib ...] [--allow-other-fingerprint]: recomputes every vector of a
 * prediction log through the batch path (a spine made of the logged keys,
 * request fields and times) and compares each value with what was served.
 */
static int command_verify(int argc, char **argv)
{
    options o;
    if (!parse_options(argc, argv, &o, true)) {
        free_options(&o);
        return EXIT_OTHER;
    }
    if (!o.log) {
        usage_error("%s", "verify needs --log PATH (a prediction log written by fdl_store_log_open)");
        free_options(&o);
        return EXIT_OTHER;
    }
    compilation c;
    if (!compile_definitions(&c, o.files, o.nfiles)) {
        arena_free(&c.arena);
        free_options(&o);
        return EXIT_DEFINITIONS;
    }
    int status = EXIT_OTHER;
    FILE *log = fopen(o.log, "r");
    if (!log) {
        fprintf(stderr, "fdlc: verify: cannot open %s: %s\n", o.log, strerror(errno));
        goto done;
    }
    logged_read *reads = NULL;
    size_t nreads = 0, capacity = 0;
    char *line = NULL;
    size_t line_capacity = 0;
    bool malformed = false;
    while (getline(&line, &line_capacity, log) >= 0) {
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        if (nreads == capacity) {
            capacity = capacity ? capacity * 2 : 256;
            logged_read *grown = realloc(reads, capacity * sizeof *reads);
            if (!grown) {
                malformed = true;
                break;
            }
            reads = grown;
        }
        const char *why;
        if (!predlog_parse_line(&c.arena, line, &reads[nreads], &why)) {
            fprintf(stderr, "fdlc: verify: %s:%zu: %s\n", o.log, nreads + 1, why);
            malformed = true;
            break;
        }
        if (strcmp(reads[nreads].fingerprint, c.ir.fingerprint) != 0 && !o.allow_other_fingerprint) {
            fprintf(stderr,
                    "fdlc: verify: %s:%zu was served by other definitions (fingerprint %.12s..., "
                    "these are %.12s...); --allow-other-fingerprint compares anyway\n",
                    o.log, nreads + 1, reads[nreads].fingerprint, c.ir.fingerprint);
            malformed = true;
            break;
        }
        nreads++;
    }
    free(line);
    fclose(log);
    if (malformed) {
        free(reads);
        goto done;
    }

    uint64_t compared = 0, differences = 0;
    bool *done_read = calloc(nreads + 1, sizeof *done_read);
    status = 0;
    for (size_t first = 0; first < nreads && status == 0; first++) {
        if (done_read[first])
            continue;
        const char *set_name = reads[first].set;
        const ir_set *set = NULL;
        for (int s = 0; s < c.ir.nsets; s++)
            if (strcmp(c.ir.sets[s].name, set_name) == 0)
                set = &c.ir.sets[s];
        if (!set) {
            fprintf(stderr, "fdlc: verify: %s:%zu: these definitions have no feature set '%s'\n",
                    o.log, first + 1, set_name);
            status = EXIT_OTHER;
            break;
        }
        /* The spine: key columns, request fields, the time; one row per read of the set. */
        /* In a directory of our own: nothing else can be there. */
        char temp_dir[4200], spine_path[4300], out_path[4300];
        const char *tmp = getenv("TMPDIR");
        snprintf(temp_dir, sizeof temp_dir, "%s/fdlc-verify-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        FILE *spine = NULL;
        if (mkdtemp(temp_dir)) {
            snprintf(spine_path, sizeof spine_path, "%s/spine.csv", temp_dir);
            snprintf(out_path, sizeof out_path, "%s/out.csv", temp_dir);
            spine = fopen(spine_path, "wx");
            if (!spine)
                rmdir(temp_dir);
        }
        if (!spine) {
            fprintf(stderr, "fdlc: verify: cannot write a temporary spine: %s\n", strerror(errno));
            status = EXIT_OTHER;
            break;
        }
        int ncolumns = 0;
        const char **columns = arena_alloc(&c.arena, sizeof(char *) * 256);
        bool *is_key = arena_alloc(&c.arena, sizeof(bool) * 256);
        for (int e = 0; e < set->nentities; e++) {
            const ir_entity *entity = &c.ir.entities[set->entities[e]];
            for (int k = 0; k < entity->nkeys && ncolumns < 255; k++) {
                is_key[ncolumns] = true;
                columns[ncolumns++] = entity->join_keys[k];
            }
        }
        for (int r = 0; r < set->nrequests && ncolumns < 255; r++) {
            is_key[ncolumns] = false;
            columns[ncolumns++] = c.ir.requests[set->requests[r]].name;
        }
        for (int i = 0; i < ncolumns; i++) {
            write_csv_cell(spine, columns[i]);
            putc(',', spine);
        }
        fputs("__fdlc_time\n", spine);
        size_t *rows = calloc(nreads + 1, sizeof *rows);
        size_t nrows = 0;
        for (size_t i = first; i < nreads; i++) {
            if (done_read[i] || strcmp(reads[i].set, set_name) != 0)
                continue;
            done_read[i] = true;
            rows[nrows++] = i;
            for (int k = 0; k < ncolumns; k++) {
                bool found;
                const char *text = is_key[k] ? logged_text(reads[i].keys, reads[i].nkeys, columns[k], &found)
                                             : logged_text(reads[i].request, reads[i].nrequest, columns[k], &found);
                write_csv_cell(spine, text);
                putc(',', spine);
            }
            write_csv_cell(spine, reads[i].time);
            putc('\n', spine);
        }
        bool written = fclose(spine) == 0;
        if (!written || run_batch(&c, &o, spine_path, "__fdlc_time", set_name, out_path, true) != 0) {
            if (!written)
                fprintf(stderr, "fdlc: verify: cannot write a temporary spine\n");
            status = EXIT_OTHER;
        } else {
            /* The recomputed vectors, in spine order: compare value by value. */
            fdl_error err = {0};
            fdl_csv_reader *reader = fdl_csv_open(out_path, &err);
            const char **cells;
            const size_t *lengths;
            const bool *quoted;
            int ncells;
            char **header = NULL;
            int nheader = 0;
            if (!reader || fdl_csv_next(reader, &cells, &lengths, &quoted, &ncells, &err) != 1) {
                fprintf(stderr, "fdlc: verify: %s\n", err.message);
                status = EXIT_OTHER;
            } else {
                nheader = ncells;
                header = calloc((size_t)ncells + 1, sizeof *header);
                for (int i = 0; i < ncells; i++)
                    header[i] = strndup(cells[i], lengths[i]);
                for (size_t r = 0; r < nrows; r++) {
                    if (fdl_csv_next(reader, &cells, &lengths, &quoted, &ncells, &err) != 1 ||
                        ncells != nheader) {
                        fprintf(stderr, "fdlc: verify: the recomputed training set ends early\n");
                        status = EXIT_OTHER;
                        break;
                    }
                    const logged_read *logged = &reads[rows[r]];
                    for (int col = ncolumns + 1; col < ncells; col++) {
                        bool found;
                        const char *served = logged_text(logged->values, logged->nvalues, header[col], &found);
                        bool recomputed_null = lengths[col] == 0 && !quoted[col];
                        bool same = !found ? false
                                    : served == NULL ? recomputed_null
                                    : !recomputed_null && strlen(served) == lengths[col] &&
                                      memcmp(served, cells[col], lengths[col]) == 0;
                        compared++;
                        if (same)
                            continue;
                        if (++differences <= 20) {
                            printf("%s:%zu: set %s at %s, keys", o.log, rows[r] + 1, set_name, logged->time);
                            for (int k = 0; k < logged->nkeys; k++)
                                printf(" %s=%s", logged->keys[k].name,
                                       logged->keys[k].text ? logged->keys[k].text : "null");
                            printf(": %s served %s, recomputed %.*s\n", header[col],
                                   !found ? "(missing)" : served ? served : "null",
                                   recomputed_null ? 4 : (int)lengths[col],
                                   recomputed_null ? "null" : cells[col]);
                        }
                    }
                }
            }
            for (int i = 0; i < nheader; i++)
                free(header[i]);
            free(header);
            fdl_csv_close(reader);
        }
        free(rows);
        unlink(spine_path);
        unlink(out_path);
        rmdir(temp_dir);
    }
    free(done_read);
    free(reads);
    if (status == 0) {
        printf("fdlc: verify: %zu reads, %llu values compared, %llu difference%s\n", nreads,
               (unsigned long long)compared, (unsigned long long)differences,
               differences == 1 ? "" : "s");
        status = differences ? EXIT_DIFFERENCES : 0;
    }
done:
    arena_free(&c.arena);
    free_options(&o);
    return status;
}

static int command_functions(void)
{
    arena a;
    arena_init(&a);
    for (int i = 0; i < stdlib_count(); i++) {
        const stdlib_function *f = stdlib_at(i);
        printf("%s\n    %s\n", stdlib_describe(&a, f), f->doc);
    }
    printf("\nnumber: int64 or float64 (float64 if any argument is); T: one shared type;\n"
           "name?: optional; name...: repeats. A null argument gives null except for\n"
           "coalesce and if. See docs/language.md.\n");
    arena_free(&a);
    return 0;
}

/* A signal that ends fdlc removes the temporaries it had open first. */
static void on_fatal_signal(int sig)
{
    fdl_output_remove_temporaries();
    signal(sig, SIG_DFL);
    raise(sig);
}

int main(int argc, char **argv)
{
    static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ};
    for (size_t i = 0; i < sizeof fatal_signals / sizeof *fatal_signals; i++)
        signal(fatal_signals[i], on_fatal_signal);
    if (argc < 2) {
        fputs(usage_text, stderr);
        return EXIT_OTHER;
    }
    const char *command = argv[1];
    if (strcmp(command, "check") == 0)
        return command_check(argc - 2, argv + 2);
    if (strcmp(command, "compile") == 0)
        return command_compile(argc - 2, argv + 2, false);
    if (strcmp(command, "build") == 0)
        return command_compile(argc - 2, argv + 2, true);
    if (strcmp(command, "batch") == 0)
        return command_batch(argc - 2, argv + 2);
    if (strcmp(command, "library") == 0)
        return command_library(argc - 2, argv + 2);
    if (strcmp(command, "verify") == 0)
        return command_verify(argc - 2, argv + 2);
    if (strcmp(command, "materialize") == 0)
        return materialize_main(argc - 2, argv + 2);
    if (strcmp(command, "fmt") == 0)
        return fmt_main(argc - 2, argv + 2);
    if (strcmp(command, "diff") == 0)
        return diff_main(argc - 2, argv + 2);
    if (strcmp(command, "drift") == 0)
        return drift_main(argc - 2, argv + 2);
    if (strcmp(command, "functions") == 0)
        return command_functions();
    if (strcmp(command, "explain") == 0)
        return diag_explain(argc - 2, argv + 2);
    if (strcmp(command, "graph") == 0)
        return lineage_graph_main(argc - 2, argv + 2);
    if (strcmp(command, "docs") == 0)
        return catalog_docs_main(argc - 2, argv + 2);
    if (strcmp(command, "version") == 0 || strcmp(command, "--version") == 0) {
        printf("fdlc %s (runtime ABI %d)\n", FDL_VERSION, FDL_ABI_VERSION);
        return 0;
    }
    if (strcmp(command, "help") == 0 || strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    usage_error("unknown command '%s'", command);
    return EXIT_OTHER;
}
