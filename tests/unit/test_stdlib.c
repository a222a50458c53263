/*
 * test_stdlib.c - the standard library on the compiler's side: the table of
 * stdlib/functions.def as compiler/functions.c parses it (every row, checked
 * against the .def file's own text), the type checking of calls in
 * compiler/sema.c through the YAML front end (arity, types, the shared
 * number and T classes, the query time, unknown names), and the calls the
 * code generator emits (widening of int64 arguments, tails as arrays).
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "codegen.h"
#include "compile_helper.h"
#include "fdlrt.h"
#include "functions.h"

/* ------------------------------------------------------------ the table */

/* Every C function of the table, taken by address: each row names a
 * function that fdlrt.h declares and the runtime defines (or this file
 * would not compile or link). */
typedef void (*any_function)(void);
static const struct { const char *name; any_function address; } runtime_functions[] = {
#define FDL_FUNCTION(name, c_function, signature, flags, doc) {#c_function, (any_function)c_function},
#include "functions.def"
#undef FDL_FUNCTION
};

static void every_row_parses(void **state)
{
    (void)state;
    int count = stdlib_count();
    assert_int_equal(count, (int)(sizeof runtime_functions / sizeof runtime_functions[0]));
    assert_true(count >= 30);
    for (int i = 0; i < count; i++) {
        const stdlib_function *f = stdlib_at(i);
        assert_non_null(f->name);
        assert_non_null(f->doc);
        assert_true(f->doc[0] != '\0');
        /* The C function is fdl_fn_NAME, and is the one linked above. */
        char c_name[64];
        snprintf(c_name, sizeof c_name, "fdl_fn_%s", f->name);
        assert_string_equal(f->c_function, c_name);
        assert_string_equal(runtime_functions[i].name, c_name);
        assert_non_null(runtime_functions[i].address);
        assert_int_equal(stdlib_find(f->name), i);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(stdlib_at(j)->name, f->name);

        /* Parameters: required ones first, then at most one optional or
         * repeated one, last. */
        assert_true(f->nparams >= 1 && f->nparams <= STDLIB_MAX_PARAMS);
        int required = 0;
        for (int p = 0; p < f->nparams; p++) {
            const stdlib_param *param = &f->params[p];
            assert_non_null(param->name);
            assert_true(param->name[0] != '\0');
            assert_false(param->optional && param->repeated);
            if (param->optional || param->repeated)
                assert_int_equal(p, f->nparams - 1);
            else
                required++;
            if (param->class == CLASS_TYPE)
                assert_true(param->type >= TYPE_INT64 && param->type <= TYPE_VECTOR);
        }
        assert_int_equal(f->min_args, required);
        bool repeated = f->params[f->nparams - 1].repeated;
        assert_int_equal(f->max_args, repeated ? -1 : f->nparams);
        assert_true(f->min_args <= f->nparams);
        assert_true(f->result.class != CLASS_ANY);
        /* A shared result needs a shared parameter to take its type from. */
        if (f->result.class != CLASS_TYPE) {
            bool found = false;
            for (int p = 0; p < f->nparams; p++)
                found |= f->params[p].class == f->result.class;
            assert_true(found);
        }
        /* Flags: the query time and scratch space only where they are used. */
        assert_int_equal(f->flags & ~(FN_STRICT | FN_QUERY_TIME | FN_SCRATCH), 0);
        if (f->flags & FN_SCRATCH)
            assert_true(f->result.class == CLASS_TYPE && f->result.type == TYPE_STRING);
    }
    assert_int_equal(stdlib_find("no_such_function"), -1);
    assert_int_equal(stdlib_find(""), -1);
    assert_int_equal(stdlib_find("ABS"), -1);     /* names are case-sensitive */
}

static void flags_as_documented(void **state)
{
    (void)state;
    /* Only coalesce and if see nulls; only age reads the query time; the
     * functions that build strings take the store. */
    for (int i = 0; i < stdlib_count(); i++) {
        const stdlib_function *f = stdlib_at(i);
        bool lenient = strcmp(f->name, "coalesce") == 0 || strcmp(f->name, "if") == 0;
        assert_int_equal((f->flags & FN_STRICT) != 0, !lenient);
        assert_int_equal((f->flags & FN_QUERY_TIME) != 0, strcmp(f->name, "age") == 0);
        bool builds = strcmp(f->name, "lower") == 0 || strcmp(f->name, "upper") == 0 ||
                      strcmp(f->name, "concat") == 0 || strcmp(f->name, "to_string") == 0;
        assert_int_equal((f->flags & FN_SCRATCH) != 0, builds);
    }
}

static char *read_text_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)size, f), (size_t)size);
    text[size] = '\0';
    fclose(f);
    return text;
}

/*
 * Reads the rows of functions.def as text (FDL_FUNCTION( at the start of a
 * line; the signature is the first string literal after the C name) and
 * checks stdlib_describe gives back "name(PARAMS) -> RESULT" for the
 * signature "PARAMS -> RESULT" written there.
 */
static void describe_round_trips_the_def_file(void **state)
{
    (void)state;
    char *def = read_text_file(FDL_SOURCE_DIR "/stdlib/functions.def");
    arena a;
    arena_init(&a);
    int rows = 0;
    for (const char *line = def; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        static const char opening[] = "FDL_FUNCTION(";
        if (strncmp(line, opening, sizeof opening - 1) != 0)
            continue;
        const char *name = line + sizeof opening - 1;
        size_t name_len = strcspn(name, ",");
        const char *quote = strchr(name, '"');
        assert_non_null(quote);
        const char *end = strchr(quote + 1, '"');
        assert_non_null(end);
        const char *arrow = strstr(quote, " -> ");
        assert_true(arrow && arrow < end);
        char expected[256];
        snprintf(expected, sizeof expected, "%.*s(%.*s) -> %.*s", (int)name_len, name,
                 (int)(arrow - quote - 1), quote + 1, (int)(end - arrow - 4), arrow + 4);
        char function_name[64];
        snprintf(function_name, sizeof function_name, "%.*s", (int)name_len, name);
        int index = stdlib_find(function_name);
        if (index != rows)
            fail_msg("row %d of functions.def (%s) is function %d of the table", rows, function_name, index);
        assert_string_equal(stdlib_describe(&a, stdlib_at(index)), expected);
        rows++;
    }
    assert_int_equal(rows, stdlib_count());
    /* A few written out in full, so a common mistake in both cannot hide. */
    assert_string_equal(stdlib_describe(&a, stdlib_at(stdlib_find("abs"))), "abs(number x) -> number");
    assert_string_equal(stdlib_describe(&a, stdlib_at(stdlib_find("round"))),
                        "round(float64 x, int64 digits?) -> float64");
    assert_string_equal(stdlib_describe(&a, stdlib_at(stdlib_find("coalesce"))),
                        "coalesce(T x, T more...) -> T");
    assert_string_equal(stdlib_describe(&a, stdlib_at(stdlib_find("to_string"))), "to_string(any x) -> string");
    assert_string_equal(stdlib_describe(&a, stdlib_at(stdlib_find("dot"))),
                        "dot(vector a, vector b) -> float64");
    arena_free(&a);
    free(def);
}

static void parsed_signatures(void **state)
{
    (void)state;
    const stdlib_function *round_fn = stdlib_at(stdlib_find("round"));
    assert_int_equal(round_fn->nparams, 2);
    assert_int_equal(round_fn->min_args, 1);
    assert_int_equal(round_fn->max_args, 2);
    assert_int_equal(round_fn->params[0].class, CLASS_TYPE);
    assert_int_equal(round_fn->params[0].type, TYPE_FLOAT64);
    assert_true(round_fn->params[1].optional);
    assert_int_equal(round_fn->params[1].type, TYPE_INT64);
    assert_string_equal(round_fn->params[1].name, "digits");
    assert_int_equal(round_fn->result.type, TYPE_FLOAT64);

    const stdlib_function *least = stdlib_at(stdlib_find("least"));
    assert_int_equal(least->min_args, 1);
    assert_int_equal(least->max_args, -1);
    assert_int_equal(least->params[0].class, CLASS_NUMBER);
    assert_true(least->params[1].repeated);
    assert_int_equal(least->result.class, CLASS_NUMBER);
    /* Arguments past the last parameter bind to the repeating one. */
    assert_ptr_equal(stdlib_param_of(least, 0), &least->params[0]);
    assert_ptr_equal(stdlib_param_of(least, 1), &least->params[1]);
    assert_ptr_equal(stdlib_param_of(least, 7), &least->params[1]);
    assert_ptr_equal(stdlib_param_of(round_fn, 1), &round_fn->params[1]);

    const stdlib_function *if_fn = stdlib_at(stdlib_find("if"));
    assert_int_equal(if_fn->min_args, 3);
    assert_int_equal(if_fn->max_args, 3);
    assert_int_equal(if_fn->params[0].type, TYPE_BOOL);
    assert_int_equal(if_fn->params[1].class, CLASS_SHARED);
    assert_int_equal(if_fn->params[2].class, CLASS_SHARED);
    assert_int_equal(if_fn->result.class, CLASS_SHARED);

    const stdlib_function *cast = stdlib_at(stdlib_find("to_int64"));
    assert_int_equal(cast->params[0].class, CLASS_ANY);
    assert_int_equal(cast->result.type, TYPE_INT64);

    const stdlib_function *haversine = stdlib_at(stdlib_find("haversine_km"));
    assert_int_equal(haversine->nparams, 4);
    assert_string_equal(haversine->params[3].name, "lon2");
}

/* -------------------------------------------------------- type checking */

static const char catalog_yaml[] =
    "entities:\n"
    "  - {name: user, join_key: user_id}\n"
    "sources:\n"
    "  - name: orders\n"
    "    timestamp: ts\n"
    "    fields:\n"
    "      - {name: user_id, type: string}\n"
    "      - {name: amount, type: float64}\n"
    "      - {name: items, type: int64}\n"
    "      - {name: note, type: string}\n"
    "      - {name: paid, type: bool}\n";

/* features.yaml with one count feature filtered by `where`. */
static void compile_where(compiled *c, const char *where, char *features, size_t size)
{
    int n = snprintf(features, size,
             "features:\n"
             "  - name: n\n"
             "    entity: user\n"
             "    aggregation:\n"
             "      function: count\n"
             "      source: orders\n"
             "      window: 1d\n"
             "      where: \"%s\"\n",
             where);
    assert_true(n > 0 && (size_t)n < size);
    const char *files[] = {"catalog.yaml", catalog_yaml, "features.yaml", features, NULL, NULL};
    compile_texts(c, files);
}

static int count_of(const char *text, const char *part)
{
    int n = 0;
    for (const char *at = strstr(text, part); at; at = strstr(at + 1, part))
        n++;
    return n;
}

static void accepted(const char *where)
{
    compiled c;
    char features[1024];
    compile_where(&c, where, features, sizeof features);
    if (!c.ok)
        fail_msg("'%s' should compile:\n%s", where, c.diagnostics);
    compiled_free(&c);
}

/* Exactly one error, whose message contains expected, placed at the first
 * occurrence of `at` in the where text (line 8 of features.yaml). */
static void rejected(const char *where, const char *expected, const char *at)
{
    compiled c;
    char features[1024];
    compile_where(&c, where, features, sizeof features);
    assert_false(c.ok);
    if (!strstr(c.diagnostics, expected))
        fail_msg("'%s': expected '%s' in:\n%s", where, expected, c.diagnostics);
    if (count_of(c.diagnostics, "error[") != 1)
        fail_msg("'%s': expected one error in:\n%s", where, c.diagnostics);
    if (at) {
        const char *line8 = strstr(features, "      where: \"");
        int column = (int)(strstr(line8, "\"") + 1 - line8) + (int)(strstr(where, at) - where) + 1;
        char location[64];
        snprintf(location, sizeof location, "features.yaml:8:%d: error[", column);
        if (!strstr(c.diagnostics, location))
            fail_msg("'%s': expected the error at %s in:\n%s", where, location, c.diagnostics);
    }
    compiled_free(&c);
}

static void arity_is_checked(void **state)
{
    (void)state;
    rejected("abs() > 1", "abs takes 1 argument, not 0", "abs(");
    rejected("abs(items, 2) > 1", "abs takes 1 argument, not 2", "abs(");
    rejected("pow(2) > 1", "pow takes 2 arguments, not 1", "pow(");
    rejected("clamp(items, 1) > 1", "clamp takes 3 arguments, not 2", "clamp");
    rejected("haversine_km(1, 2, 3) > 1", "haversine_km takes 4 arguments, not 3", NULL);
    rejected("round(amount, 1, 2) > 1", "round takes 1 to 2 arguments, not 3", "round");
    rejected("least() > 1", "least takes at least 1 argument, not 0", "least");
    rejected("concat() = 'a'", "concat takes at least 1 argument, not 0", NULL);
    rejected("if(paid, 1) = 1", "if takes 3 arguments, not 2", NULL);
    /* The note shows the signature. */
    rejected("round(amount, 1, 2) > 1", "note: round(float64 x, int64 digits?) -> float64", NULL);
    /* The optional and repeating parameters. */
    accepted("round(amount) > 1 and round(amount, 2) > 1");
    accepted("least(items) > 1 and least(items, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) > 1");
    accepted("concat(note) = 'a' and concat(note, 'b', note, '', user_id) = 'c'");
}

static void argument_types_are_checked(void **state)
{
    (void)state;
    rejected("length(items) > 1", "argument 1 of length (s) must be a string, not int64", "items");
    rejected("abs(note) > 1", "argument 1 of abs (x) must be a number (int64 or float64), not string", "note");
    rejected("sqrt(paid) > 1", "argument 1 of sqrt (x) must be a number (int64 or float64), not bool", "paid");
    rejected("round(amount, 1.5) > 1", "argument 2 of round (digits) must be an int64, not float64", "1.5");
    rejected("if(items, 1, 2) > 0", "argument 1 of if (condition) must be a bool, not int64", "items");
    rejected("hour_of_day(items) > 1", "argument 1 of hour_of_day (t) must be a timestamp, not int64", "items");
    rejected("norm(amount) > 1", "argument 1 of norm (a) must be a float64_vector, not float64", "amount");
    rejected("least(items, note) > 1", "argument 2 of least (more) must be a number (int64 or float64), not string", "note");
    rejected("starts_with(note, 1)", "argument 2 of starts_with (prefix) must be a string, not int64", "1");
    /* float64 parameters take int64; any takes every scalar. */
    accepted("sqrt(items) > 1 and pow(items, 2) > 1 and haversine_km(items, 0, 1, amount) > 1");
    accepted("to_int64(note) > 1 and to_int64(paid) > 0 and to_int64(ts) > 0 and to_float64(items) > 1");
    accepted("to_string(ts) = 'x' and to_string(amount) = 'y' and to_string(paid) = 'true'");
    /* The literal null has every type. */
    accepted("length(null) is null and abs(null) is null and if(null, 1, 2) = 2");
}

static void shared_types_must_agree(void **state)
{
    (void)state;
    rejected("if(items > 1, 'a', 2) = 'a'",
             "argument 3 of if must have the type the arguments before it share (string, from argument 2), not int64", "2)");
    rejected("coalesce(note, paid) = 'x'",
             "argument 2 of coalesce must have the type the arguments before it share (string, from argument 1), not bool", "paid");
    /* A null argument does not fix the type. */
    rejected("coalesce(null, note, ts) = 'x'",
             "argument 3 of coalesce must have the type the arguments before it share (string, from argument 2), not timestamp", "ts");
    rejected("if(paid, ts, 1) is null",
             "argument 3 of if must have the type the arguments before it share (timestamp, from argument 2), not int64", "1)");
    /* int64 and float64 mix. */
    accepted("coalesce(items, 1.5) > 1 and if(paid, 1, amount) > 0 and coalesce(null, null) is null");
}

/* The result type, seen through "where must be a bool expression, not X". */
static void result_type(const char *where, const char *type)
{
    char expected[128];
    snprintf(expected, sizeof expected, "where must be a bool expression, not %s", type);
    rejected(where, expected, NULL);
}

static void result_types_follow_the_signature(void **state)
{
    (void)state;
    result_type("abs(items)", "int64");
    result_type("abs(amount)", "float64");
    result_type("floor(items)", "int64");
    result_type("least(items, 2, 3)", "int64");
    result_type("least(items, 2.5)", "float64");
    result_type("greatest(1, amount, items)", "float64");
    result_type("clamp(items, 0, 10)", "int64");
    result_type("clamp(items, 0, 10.0)", "float64");
    result_type("coalesce(items, 1)", "int64");
    result_type("coalesce(null, items, 2.5)", "float64");
    result_type("coalesce(note, 'x')", "string");
    result_type("if(paid, ts, null)", "timestamp");
    result_type("if(paid, 1, 2.5)", "float64");
    result_type("sign(amount)", "int64");
    result_type("round(items)", "float64");
    result_type("length(note)", "int64");
    result_type("concat(note, 'x')", "string");
    result_type("days_between(ts, ts)", "float64");
    result_type("to_int64(amount)", "int64");
    result_type("to_string(items)", "string");
    accepted("coalesce(paid, false)");
    accepted("contains(note, 'x') and starts_with(note, 'y') and not ends_with(note, 'z')");
}

static void query_time_is_refused_in_where_filters(void **state)
{
    (void)state;
    rejected("age(ts) > 1",
             "age() reads the query time, which a where filter has not: use it in a derived feature",
             "age");
    rejected("amount > 0 and coalesce(age(ts), 0) < 7", "age() reads the query time", "age");
}

static void unknown_functions(void **state)
{
    (void)state;
    rejected("lenght(note) > 1", "unknown function 'lenght'; did you mean 'length'?", "lenght");
    rejected("items > 0 and uper(note) = 'A'", "unknown function 'uper'; did you mean 'upper'?", "uper");
    rejected("frobnicate(items) > 1", "unknown function 'frobnicate'", "frobnicate");
    compiled c;
    char features[1024];
    compile_where(&c, "frobnicate(items) > 1", features, sizeof features);
    assert_null(strstr(c.diagnostics, "did you mean"));
    compiled_free(&c);
    /* Case matters, as for every name. */
    rejected("ABS(items) > 1", "unknown function 'ABS'", "ABS");
}

/* An error in an argument is reported once, not again for the call. */
static void argument_errors_are_not_repeated(void **state)
{
    (void)state;
    rejected("length(notes) > 1", "source 'orders' has no field 'notes'", "notes");
    rejected("abs(length(items)) > 1", "argument 1 of length (s) must be a string", "items");
}

/* ------------------------------------------------------ generated calls */

static char *generated_source(const char *where)
{
    compiled c;
    char features[2048];
    compile_where(&c, where, features, sizeof features);
    if (!c.ok)
        fail_msg("'%s' should compile:\n%s", where, c.diagnostics);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    arena a;
    arena_init(&a);
    cg_source(&c.ir, &c.sources, &a, "lib", out);
    arena_free(&a);
    fclose(out);
    compiled_free(&c);
    return text;
}

static void generates(const char *where, const char *expected)
{
    char *source = generated_source(where);
    if (!strstr(source, expected))
        fail_msg("'%s': expected\n  %s\nin the generated code:\n%s", where, expected, source);
    free(source);
}

static void int64_arguments_are_widened_where_float64_is_wanted(void **state)
{
    (void)state;
    generates("least(items, 2.5) < 3",
              "fdl_fn_least(fdl_fn_to_float64(event->items), 1, (const fdl_value[]){fdl_float64(2.5)})");
    generates("least(amount, 3) > 0",
              "fdl_fn_least(event->amount, 1, (const fdl_value[]){fdl_float64(3.0)})");
    /* All int64: nothing to convert. */
    generates("least(items, 3) > 0",
              "fdl_fn_least(event->items, 1, (const fdl_value[]){fdl_int64(INT64_C(3))})");
    generates("least(items) > 0", "fdl_fn_least(event->items, 0, (const fdl_value *)0)");
    generates("clamp(items, 0, 2.5) > 0",
              "fdl_fn_clamp(fdl_fn_to_float64(event->items), fdl_float64(0.0), fdl_float64(2.5))");
    generates("sqrt(items) > 1", "fdl_fn_sqrt(fdl_fn_to_float64(event->items))");
    generates("pow(2, 10) > 1", "fdl_fn_pow(fdl_float64(2.0), fdl_float64(10.0))");
    generates("if(paid, 1, 2.5) > 0", "fdl_fn_if(event->paid, fdl_float64(1.0), fdl_float64(2.5))");
    generates("coalesce(null, items, 2.5) > 0",
              "fdl_fn_coalesce(fdl_null(), 2, (const fdl_value[]){fdl_fn_to_float64(event->items), fdl_float64(2.5)})");
    generates("coalesce(items, 1) > 0",
              "fdl_fn_coalesce(event->items, 1, (const fdl_value[]){fdl_int64(INT64_C(1))})");
    /* The optional digits stay int64; x is converted. */
    generates("round(items) > 0", "fdl_fn_round(fdl_fn_to_float64(event->items), 0, (const fdl_value *)0)");
    generates("round(amount, 2) > 0",
              "fdl_fn_round(event->amount, 1, (const fdl_value[]){fdl_int64(INT64_C(2))})");
    /* A literal becomes the nearest double: 2^53 + 1 -> 2^53. */
    generates("least(amount, 9007199254740993) > 0",
              "fdl_fn_least(event->amount, 1, (const fdl_value[]){fdl_float64(9007199254740992.0)})");
    /* any and int64 parameters are not converted. */
    generates("to_string(items) = '1'", "fdl_fn_to_string(store, event->items)");
    generates("abs(items) > 0", "fdl_fn_abs(event->items)");
    generates("haversine_km(items, 0, 1.5, amount) > 0",
              "fdl_fn_haversine_km(fdl_fn_to_float64(event->items), fdl_float64(0.0), fdl_float64(1.5), event->amount)");
}

static void string_builders_take_the_store(void **state)
{
    (void)state;
    generates("concat(lower(note), upper(user_id)) = 'x'",
              "fdl_fn_concat(store, fdl_fn_lower(store, event->note), 1, (const fdl_value[]){fdl_fn_upper(store, event->user_id)})");
    /* The ingest function rewinds the scratch space. */
    generates("lower(note) = 'x'", "fdl_scratch_reset(store);");
    char *source = generated_source("length(note) > 1");
    assert_null(strstr(source, "fdl_scratch_"));   /* none needed */
    free(source);
}

/* Calls of every function compile against fdlrt.h's prototypes. */
static void generated_calls_compile_cleanly(void **state)
{
    (void)state;
    static const char everything[] =
        "abs(items) + sign(amount) + log(amount) + log1p(items) + exp(amount) + sqrt(items)"
        " + pow(amount, items) + floor(amount) + ceil(items) + round(amount) + round(items, 1)"
        " + clamp(items, 0, 1.5) + least(items) + greatest(items, amount, 3)"
        " + coalesce(amount, items, null) + if(paid, items, 0) + length(note)"
        " + hour_of_day(ts) + day_of_week(ts) + days_between(ts, ts) + epoch_seconds(ts)"
        " + haversine_km(amount, amount, 1, 2) + to_int64(note) + to_float64(paid) > 0"
        " and concat(lower(note), upper(user_id), to_string(ts)) = 'x'"
        " and contains(note, 'a') and starts_with(note, 'b') and ends_with(note, 'c')";
    char *source = generated_source(everything);
    compiled c;
    char features[2048];
    compile_where(&c, everything, features, sizeof features);
    assert_true(c.ok);
    char dir[] = "/tmp/fdl-stdlib-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[256], command[1024];
    arena a;
    arena_init(&a);
    snprintf(path, sizeof path, "%s/lib.h", dir);
    FILE *h = fopen(path, "w");
    assert_non_null(h);
    cg_header(&c.ir, &c.sources, &a, "lib", h);
    fclose(h);
    snprintf(path, sizeof path, "%s/lib.c", dir);
    FILE *src = fopen(path, "w");
    assert_non_null(src);
    fputs(source, src);
    fclose(src);
    arena_free(&a);
    snprintf(command, sizeof command,
             "cc -std=c11 -Wall -Wextra -Wpedantic -Werror -I%s/runtime/include -c %s/lib.c -o %s/lib.o 2>%s/log"
             " || cat %s/log",
             FDL_SOURCE_DIR, dir, dir, dir, dir);
    assert_int_equal(system(command), 0);
    snprintf(path, sizeof path, "%s/lib.o", dir);
    FILE *object = fopen(path, "rb");
    bool built = object != NULL;
    if (object)
        fclose(object);
    snprintf(command, sizeof command, "rm -rf %s", dir);
    (void)system(command);
    assert_true(built);
    free(source);
    compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_row_parses),
        cmocka_unit_test(flags_as_documented),
        cmocka_unit_test(describe_round_trips_the_def_file),
        cmocka_unit_test(parsed_signatures),
        cmocka_unit_test(arity_is_checked),
        cmocka_unit_test(argument_types_are_checked),
        cmocka_unit_test(shared_types_must_agree),
        cmocka_unit_test(result_types_follow_the_signature),
        cmocka_unit_test(query_time_is_refused_in_where_filters),
        cmocka_unit_test(unknown_functions),
        cmocka_unit_test(argument_errors_are_not_repeated),
        cmocka_unit_test(int64_arguments_are_widened_where_float64_is_wanted),
        cmocka_unit_test(string_builders_take_the_store),
        cmocka_unit_test(generated_calls_compile_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
