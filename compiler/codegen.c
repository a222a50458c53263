/*
 * codegen.c - the C code generator: IR to NAME.h, NAME.c and NAME.json.
 *
 * The generated C is a product: readable, each function commented with the
 * definition it came from, warning-free under -Wall -Wextra -Wpedantic, and
 * dependent only on fdlrt.h. Everything taken from definitions is escaped:
 * names become identifiers one-to-one ("names" below: a tag and the
 * definition's index before the name, cg_ident() for struct members), text
 * goes into string literals through emit_string() and into comments through
 * emit_comment_text(), so no definition can break or inject into the
 * generated code.
 */
#define _POSIX_C_SOURCE 200809L   /* open_memstream */

#include "codegen.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "functions.h"
#include "internal.h"     /* fdl_json_write_string: the manifest's strings */

/* The kinds of generated identifiers that carry a definition's name. */
typedef enum tag_kind {
    TAG_SOURCE,         /* src3_orders_check: a source's functions and tables */
    TAG_FEATURE,        /* feat12_count_30d_compute; feat12_count_30d, a local */
    TAG_ENTITY,         /* ent0_user_keys: an entity's tables */
    TAG_SET,            /* set1_ranking_features: a feature set's tables */
    TAG_SOURCE_ID,      /* SOURCE3_orders: enum constants, the index */
    TAG_ENTITY_ID,      /* ENTITY0_user */
    TAG_EMBEDDING_ID,   /* EMBEDDING1_user2vec */
    TAG_COUNT
} tag_kind;

typedef struct generator {
    const ir_program *ir;
    const source_set *sources;
    const char *name;      /* library name, a valid identifier */
    FILE *out;
    arena *arena;
    bool scratch;          /* some expression builds strings in the store's scratch */
    const char *tags[TAG_COUNT];   /* spelling of each tag, see tag_spellings */
    int *plain;            /* per feature: its row of plain_features, or -1 (see "Tables") */
    int nplain;
    int *unit;             /* per feature: the C file of its compute function (0: NAME.c) */
    int *read_unit;        /* per feature: the C file of its read function */
    int nunits;            /* 1: one file; else NAME.c, NAME_1.c... and NAME_units.h */
    int ncompute_units;    /* NAME_1.c ... NAME_{ncompute_units}.c: compute functions */
    int *first_step;       /* per feature: its first step in the read plan being built */
    int *reserved;         /* per feature: the output it is in that plan, or -1 */
    int **reserved_slots;  /* ... and over which entity slots */
    bool limits_known;     /* step_inputs and step_temps computed (plan_limits) */
    int step_inputs, step_temps;
} generator;

static void emit(generator *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(generator *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(g->out, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------- escaping */

/* Words a generated identifier must not be: C keywords and the macros of the
 * headers fdlrt.h includes. Names are otherwise used as written. */
static const char *const reserved_words[] = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "bool", "true", "false", "offsetof",
    "asm", "typeof", "fortran", "errno", "assert", "complex", "imaginary", "noreturn",
    "alignas", "alignof", "static_assert", "thread_local", "nullptr", "constexpr",
    "typeof_unqual", "unreachable",
    "linux", "unix", "i386",   /* predefined by gcc and clang outside strict -std=c11 */
};

/*
 * The C identifier for a name from the definitions, as a struct member.
 * Names are already [A-Za-z_][A-Za-z0-9_]*; a reserved word, a name with no
 * lowercase letter (it could be a macro), a name starting with FDL_ (the
 * runtime's and the header guard's macros) or starting or ending with '_'
 * gets a '_' appended. One-to-one: a name is kept only if it does not end
 * with '_', and a mangled name is the name and a '_'.
 */
const char *cg_ident(arena *a, const char *name)
{
    size_t len = strlen(name);
    bool mangle = name[0] == '_' || name[len - 1] == '_';
    bool lower = false;
    for (size_t i = 0; i < len; i++)
        lower |= name[i] >= 'a' && name[i] <= 'z';
    mangle |= !lower || strncmp(name, "FDL_", 4) == 0;
    for (size_t i = 0; i < sizeof reserved_words / sizeof *reserved_words && !mangle; i++)
        mangle = strcmp(name, reserved_words[i]) == 0;
    return mangle ? arena_printf(a, "%s_", name) : name;
}

/* ---------------------------------------------------------------- names */

/*
 * Every identifier of NAME.h and NAME.c that is spelled with a definition's
 * name is one of
 *
 *   public    NAME_event_S, NAME_ingest_S, NAME_read_set_T,
 *             NAME_read_entity_E, NAME_program  (the documented API), and
 *             NAME_unit_X, X a tagged or fixed name: what the files of a
 *             split program share (see shared());
 *   tagged    TAG INDEX _ NAME [_ ROLE], e.g. src3_orders_check,
 *             feat12_count_30d_compute, SOURCE3_orders: TAG a word of
 *             letters from tag_spellings, INDEX the definition's index in
 *             its kind (decimal, no leading zero), NAME its name as written
 *             (the name is for readers), ROLE one of a fixed list per tag;
 *   a struct member, cg_ident(NAME), alone in its struct's namespace;
 *
 * and every other identifier is fixed: fdl_* and FDL_* of fdlrt.h, C's
 * (INT64_C, bool...), file-scope tables (sources, group_4_aggs, program...)
 * and locals (store, event, keys...). The mapping is one-to-one:
 *
 *  - Tagged names: the leading run of letters is the tag and the digits
 *    after it the index (a name starts after the '_' that ends them), so two
 *    tagged names with a different tag or index differ in that prefix; with
 *    the same tag and index the NAME is the same definition's, so they
 *    differ by the ROLE, and each function emits each (tag, index, role)
 *    once. No fixed identifier starts with a tag followed by a digit (the
 *    tables' indexed names are group_4_aggs: letters then '_'; libc's and
 *    fdlrt.h's start with other words), so none equals a tagged one.
 *  - Public names: after "NAME_" come ingest_, event_, read_set_,
 *    read_entity_, program or unit_, a prefix-free set, then a name unique in its
 *    kind. No fixed name of the generated files starts with NAME_ and one
 *    of those words; the runtime's would for NAME fdl (fdl_program,
 *    fdl_ingest_row), so NAME may not be fdl or start with fdl_ (any case:
 *    cg_library_name_problem() says so to the driver). A tagged name starts with NAME_ only if NAME is a tag followed by digits;
 *    so when NAME's letters are followed by a digit (--name src1, set2) the
 *    tag equal to them is spelled the other way (srcx3_orders_check), see
 *    generator_init.
 *  - Definition names are used bare only as struct members, through
 *    cg_ident(), which keeps C keywords and macros out (FDL_GENERATED_NAME_H,
 *    the header's guard, included: FDL_... is mangled).
 */
static const char *const tag_spellings[TAG_COUNT][2] = {
    [TAG_SOURCE] = {"src", "srcx"},          [TAG_FEATURE] = {"feat", "featx"},
    [TAG_ENTITY] = {"ent", "entx"},          [TAG_SET] = {"set", "setx"},
    [TAG_SOURCE_ID] = {"SOURCE", "SOURCEx"}, [TAG_ENTITY_ID] = {"ENTITY", "ENTITYx"},
    [TAG_EMBEDDING_ID] = {"EMBEDDING", "EMBEDDINGx"},
};

const char *cg_library_name_problem(const char *name)
{
    char lower[4] = {0};
    for (int i = 0; i < 3 && name[i]; i++)
        lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
    if (strcmp(lower, "fdl") == 0 && (name[3] == '\0' || name[3] == '_'))
        return "fdl and fdl_... are the runtime's names (fdlrt.h)";
    return NULL;
}

/* ------------------------------------------------------- tables, files */

/*
 * Two decisions that shape the generated files, made once per program:
 *
 * Plain features. A feature whose value is one runtime call (a window
 * aggregation: fdl_group_read, then its default; an embedding lookup) has
 * no compute function of its own: it is a row of the table plain_features,
 * computed by one shared kernel (plain_read). With thousands of features
 * that is what keeps the C compiler fast: data, not code. Derived features
 * and cosines keep real code (featN_NAME_compute). Every feature keeps a
 * read function (the runtime calls fdl_feature_desc.read), a one-line call
 * of a kernel for most.
 *
 * Files. A program whose features' code is about SPLIT_BYTES of C or more
 * is split into files compiled in parallel: NAME.c keeps ingest, the
 * kernels, the set and entity readers and the tables; NAME_1.c ... hold
 * the compute functions, COMPUTES_PER_FILE each, then the next files the
 * read functions, READS_PER_FILE each, all in definition order; the private
 * header NAME_units.h declares what they share. A smaller program stays one
 * file, NAME.c. The C compiler's cost is mostly per function (about 0.3 ms
 * for a one-line read function at -O0, 1 ms at -O2, 5 ms for a derived
 * feature's at -O2 on the development machine), so files are cut by count;
 * cg_source_level says how hard each is optimized.
 */
enum { SPLIT_BYTES = 600 * 1000, COMPUTES_PER_FILE = 250, READS_PER_FILE = 1500 };

static bool is_plain(const ir_feature *f)
{
    return f->kind == IR_AGGREGATE || f->kind == IR_LOOKUP_EMBEDDING;
}

/* About how many bytes of C feature f's functions take (a read function,
 * and a compute function unless plain): only to decide to split. */
static size_t feature_code_bytes(const ir_program *p, const ir_feature *f)
{
    size_t bytes = 320 + 2 * strlen(f->name);
    if (is_plain(f))
        return bytes;
    bytes += 600 + 2 * strlen(f->definition);
    for (int i = 0; i < f->nrefs; i++)
        bytes += 220 + 3 * strlen(p->features[f->refs[i]].name);
    return bytes;
}

static bool simple_read(generator *g, int f);

/* Features of one entity with a one-column key (simple_read: nearly all)
 * are read through tables (read_feature); the others have a read function
 * of their own, in NAME.c or a read file. */
static void plan_program(generator *g)
{
    const ir_program *p = g->ir;
    size_t n = (size_t)p->nfeatures + 1;
    g->plain = arena_alloc(g->arena, n * sizeof *g->plain);
    g->unit = arena_alloc(g->arena, n * sizeof *g->unit);
    g->read_unit = arena_alloc(g->arena, n * sizeof *g->read_unit);
    size_t total = 0;
    for (int f = 0; f < p->nfeatures; f++) {
        g->plain[f] = is_plain(&p->features[f]) ? g->nplain++ : -1;
        g->unit[f] = 0;
        g->read_unit[f] = simple_read(g, f) ? -1 : 0;
        total += feature_code_bytes(p, &p->features[f]);
    }
    g->nunits = 1;
    if (total < SPLIT_BYTES)
        return;
    int count = 0;
    for (int f = 0; f < p->nfeatures; f++) {
        if (g->plain[f] >= 0)
            continue;
        if (count++ % COMPUTES_PER_FILE == 0)
            g->nunits++;
        g->unit[f] = g->nunits - 1;
    }
    g->ncompute_units = g->nunits - 1;
    count = 0;
    for (int f = 0; f < p->nfeatures; f++) {
        if (g->read_unit[f] < 0)
            continue;
        if (count++ % READS_PER_FILE == 0)
            g->nunits++;
        g->read_unit[f] = g->nunits - 1;
    }
    assert(g->nunits > g->ncompute_units);   /* NAME.c, compute files, read files if any */
}

/* The tag spellings for library `name`: none is NAME's leading letters when
 * a digit follows them (see above). */
static void generator_init(generator *g, const ir_program *p, const source_set *sources, arena *a,
                           const char *name, FILE *out)
{
    assert(cg_library_name_problem(name) == NULL);
    *g = (generator){p, sources, name, out, a, false, {0}, NULL, 0, NULL, NULL, 1, 0, NULL, NULL, NULL, false, 0, 0};
    size_t letters = 0;
    while ((name[letters] >= 'a' && name[letters] <= 'z') || (name[letters] >= 'A' && name[letters] <= 'Z'))
        letters++;
    bool digit = name[letters] >= '0' && name[letters] <= '9';
    for (int t = 0; t < TAG_COUNT; t++) {
        bool clash = digit && strlen(tag_spellings[t][0]) == letters &&
                     strncmp(tag_spellings[t][0], name, letters) == 0;
        g->tags[t] = tag_spellings[t][clash];
    }
    plan_program(g);
}

/* TAG INDEX _ NAME [_ ROLE]: the identifier of one use of a definition. */
static const char *tagged(generator *g, tag_kind tag, int index, const char *name, const char *role)
{
    assert(tag >= 0 && tag < TAG_COUNT && index >= 0 && name && name[0]);
    return arena_printf(g->arena, "%s%d_%s%s%s", g->tags[tag], index, name, role ? "_" : "",
                        role ? role : "");
}

/* Roles of a source: check, push, parse_row, check_row, push_row,
 * push_values, ingest_row, fields, checks, max_null_ratio. */
static const char *src_ident(generator *g, int s, const char *role)
{
    assert(s >= 0 && s < g->ir->nsources && role);
    return tagged(g, TAG_SOURCE, s, g->ir->sources[s].name, role);
}

/* Roles of a feature: compute, read, entities, requests; none: its value,
 * a local of derived features. */
static const char *feat_ident(generator *g, int f, const char *role)
{
    assert(f >= 0 && f < g->ir->nfeatures);
    return tagged(g, TAG_FEATURE, f, g->ir->features[f].name, role);
}

/* Roles of an entity: keys, key_types, calls. */
static const char *ent_ident(generator *g, int e, const char *role)
{
    assert(e >= 0 && e < g->ir->nentities && role);
    return tagged(g, TAG_ENTITY, e, g->ir->entities[e].name, role);
}

/* Roles of a feature set: features, entities, requests, calls. */
static const char *set_ident(generator *g, int s, const char *role)
{
    assert(s >= 0 && s < g->ir->nsets && role);
    return tagged(g, TAG_SET, s, g->ir->sets[s].name, role);
}

/* The enum constants holding the indexes the runtime takes. */
static const char *source_id(generator *g, int s)
{
    return tagged(g, TAG_SOURCE_ID, s, g->ir->sources[s].name, NULL);
}

static const char *entity_id(generator *g, int e)
{
    return tagged(g, TAG_ENTITY_ID, e, g->ir->entities[e].name, NULL);
}

static const char *embedding_id(generator *g, int e)
{
    return tagged(g, TAG_EMBEDDING_ID, e, g->ir->embeddings[e].name, NULL);
}

/* The index of a source of the program. */
static int src_index(generator *g, const ir_source *src)
{
    assert(src >= g->ir->sources && src < g->ir->sources + g->ir->nsources);
    return (int)(src - g->ir->sources);
}

/* NAME_event_S: the public struct of one event of source s. */
static const char *event_type(generator *g, int s)
{
    return arena_printf(g->arena, "%s_event_%s", g->name, g->ir->sources[s].name);
}

/* A C string literal; safe for any bytes (trigraphs included). */
static void emit_string(generator *g, const char *s, size_t len)
{
    fputc('"', g->out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", g->out); break;
        case '\\': fputs("\\\\", g->out); break;
        case '\n': fputs("\\n", g->out); break;
        case '\t': fputs("\\t", g->out); break;
        case '?': fputs("\\?", g->out); break;
        default:
            if (c < 0x20 || c >= 0x7f)
                fprintf(g->out, "\\%03o", c);
            else
                fputc(c, g->out);
        }
    }
    fputc('"', g->out);
}

static void emit_cstring(generator *g, const char *s)
{
    if (s)
        emit_string(g, s, strlen(s));
    else
        fputs("NULL", g->out);
}

/* Whether two characters side by side in a comment would end it (* /), open
 * a nested one (/ *) or start a trigraph (? ?). */
static bool comment_pair(int before, int c)
{
    return (before == '*' && c == '/') || (before == '/' && c == '*') || (before == '?' && c == '?');
}

/*
 * Text inside a comment, as one line of printable ASCII that cannot end the
 * comment, open another, form a trigraph or splice lines, whatever the text
 * next to it: every byte outside printable ASCII is written \xHH (so bidi
 * controls such as U+202E, written E2 80 AE, never reach the file), tab,
 * newline and CR as \t \n \r; a space goes between the two characters of
 * a comment_pair, and before a first (after a last) '*', '/' or '?'; a final
 * backslash, which would splice the next line, is written \x5C.
 */
static void emit_comment_text(generator *g, const char *s)
{
    int last = 0;   /* the last character written; 0 before the first */
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool edge = c == '*' || c == '/' || c == '?';
        if (comment_pair(last, c) || (last == 0 && edge))
            fputc(' ', g->out);
        if (c == '\n' || c == '\t' || c == '\r')
            fprintf(g->out, "\\%c", c == '\n' ? 'n' : c == '\t' ? 't' : 'r');
        else if (c < 0x20 || c >= 0x7f || (c == '\\' && s[1] == '\0'))
            fprintf(g->out, "\\x%02X", c);
        else
            fputc(c, g->out);
        last = c < 0x20 || c >= 0x7f || c == '\\' ? 'x' : c;   /* an escape ends in a letter or digit */
    }
    if (last == '*' || last == '/' || last == '?')
        fputc(' ', g->out);
}

/* "features.yaml:12" for a span. */
static void emit_location(generator *g, span sp)
{
    const source_file *f = source_get(g->sources, sp.file);
    if (!f)
        return;
    uint32_t line, col;
    source_position(g->sources, sp.file, sp.start, &line, &col);
    const char *base = strrchr(f->path, '/');
    emit_comment_text(g, base ? base + 1 : f->path);
    emit(g, ":%u", line);
}

static const char *fdl_type_constant(type_kind k)
{
    switch (k) {
    case TYPE_INT64: return "FDL_INT64";
    case TYPE_FLOAT64: return "FDL_FLOAT64";
    case TYPE_BOOL: return "FDL_BOOL";
    case TYPE_STRING: return "FDL_STRING";
    case TYPE_TIMESTAMP: return "FDL_TIMESTAMP";
    case TYPE_VECTOR: return "FDL_VECTOR";
    default: return "FDL_NULL";
    }
}

static const char *agg_constant(agg_function fn)
{
    static const char *const names[AGG_FUNCTION_COUNT] = {
#define FDL_AGGREGATION(name, id, ...) "FDL_AGG_" #id,
#include "aggregations.def"
#undef FDL_AGGREGATION
    };
    return names[fn];
}

/* ----------------------------------------------------------- expressions */

static void emit_expr(generator *g, const ir_source *source, const expr *e);

static void emit_call(generator *g, const ir_source *source, const expr *e);

static void emit_expr_list_or(generator *g, const ir_source *source, const expr *e, int from)
{
    /* x in (a, b, c) is x = a or x = b or x = c, with SQL's null rules. */
    if (from == e->as.in.list.count - 1) {
        emit(g, "fdl_op_compare(FDL_CMP_EQ, ");
        emit_expr(g, source, e->as.in.operand);
        emit(g, ", ");
        emit_expr(g, source, e->as.in.list.items[from]);
        emit(g, ")");
        return;
    }
    emit(g, "fdl_op_or(fdl_op_compare(FDL_CMP_EQ, ");
    emit_expr(g, source, e->as.in.operand);
    emit(g, ", ");
    emit_expr(g, source, e->as.in.list.items[from]);
    emit(g, "), ");
    emit_expr_list_or(g, source, e, from + 1);
    emit(g, ")");
}

static void emit_expr(generator *g, const ir_source *source, const expr *e)
{
    switch (e->kind) {
    case EXPR_INT:
        emit(g, "fdl_int64(INT64_C(%" PRId64 "))", e->as.int_value);
        break;
    case EXPR_FLOAT: {
        char number[40];
        ir_format_double(e->as.float_value, number, sizeof number);
        emit(g, "fdl_float64(%s)", number);
        break;
    }
    case EXPR_STRING:
        emit(g, "fdl_string(");
        emit_string(g, e->as.string.bytes, (size_t)e->as.string.len);
        emit(g, ", %d)", e->as.string.len);
        break;
    case EXPR_BOOL:
        emit(g, "fdl_bool(%s)", e->as.bool_value ? "true" : "false");
        break;
    case EXPR_NULL:
        emit(g, "fdl_null()");
        break;
    case EXPR_NAME:
        /* A source's field in a where filter; a feature read by a derived feature. */
        if (source)
            emit(g, "event->%s", cg_ident(g->arena, source->fields[e->as.name.ref].name));
        else if (e->as.name.is_request)
            emit(g, "fdl_request_value(request, %d)", e->as.name.ref);
        else
            emit(g, "%s", feat_ident(g, e->as.name.ref, NULL));
        break;
    case EXPR_UNARY:
        if (e->as.unary.op == OP_PLUS) {
            emit_expr(g, source, e->as.unary.operand);
            break;
        }
        emit(g, e->as.unary.op == OP_NOT ? "fdl_op_not(" : "fdl_op_negate(");
        emit_expr(g, source, e->as.unary.operand);
        emit(g, ")");
        break;
    case EXPR_BINARY: {
        expr_op op = e->as.binary.op;
        static const char *compare[] = {"FDL_CMP_EQ", "FDL_CMP_NE", "FDL_CMP_LT",
                                        "FDL_CMP_LE", "FDL_CMP_GT", "FDL_CMP_GE"};
        if (op == OP_AND || op == OP_OR)
            emit(g, "fdl_op_%s(", op == OP_AND ? "and" : "or");
        else if (op >= OP_EQ && op <= OP_GE)
            emit(g, "fdl_op_compare(%s, ", compare[op - OP_EQ]);
        else
            emit(g, "fdl_op_arith('%s', ", expr_op_name(op));
        emit_expr(g, source, e->as.binary.left);
        emit(g, ", ");
        emit_expr(g, source, e->as.binary.right);
        emit(g, ")");
        break;
    }
    case EXPR_IN:
        if (e->as.in.negated)
            emit(g, "fdl_op_not(");
        emit_expr_list_or(g, source, e, 0);
        if (e->as.in.negated)
            emit(g, ")");
        break;
    case EXPR_IS_NULL:
        emit(g, "fdl_bool(%sfdl_is_null(", e->as.is_null.negated ? "!" : "");
        emit_expr(g, source, e->as.is_null.operand);
        emit(g, "))");
        break;
    case EXPR_CALL:
        emit_call(g, source, e);
        break;
    }
}

/* One argument of a call, converted to float64 where sema said so. */
static void emit_argument(generator *g, const ir_source *source, const expr *call, int i)
{
    bool widen = call->as.call.widen && call->as.call.widen[i];
    const expr *argument = call->as.call.args.items[i];
    if (widen && argument->kind == EXPR_INT) {
        /* A literal is converted here, to the same nearest double. */
        char number[40];
        ir_format_double((double)argument->as.int_value, number, sizeof number);
        emit(g, "fdl_float64(%s)", number);
        return;
    }
    if (widen)
        emit(g, "fdl_fn_to_float64(");
    emit_expr(g, source, call->as.call.args.items[i]);
    if (widen)
        emit(g, ")");
}

/*
 * A standard library call (stdlib/functions.def): the query time or the
 * store first when the function needs it, then the fixed arguments, then an
 * optional or repeating parameter as (count, array).
 */
static void emit_call(generator *g, const ir_source *source, const expr *e)
{
    const stdlib_function *f = stdlib_at(e->as.call.function);
    int nargs = e->as.call.args.count;
    emit(g, "%s(", f->c_function);
    const char *separator = "";
    if (f->flags & FN_QUERY_TIME) {
        emit(g, "t");
        separator = ", ";
    }
    if (f->flags & FN_SCRATCH) {
        emit(g, "%sstore", separator);
        separator = ", ";
    }
    bool tail = f->nparams > 0 &&
                (f->params[f->nparams - 1].optional || f->params[f->nparams - 1].repeated);
    int fixed = tail ? f->nparams - 1 : f->nparams;
    for (int i = 0; i < fixed && i < nargs; i++) {
        emit(g, "%s", separator);
        emit_argument(g, source, e, i);
        separator = ", ";
    }
    if (tail) {
        int rest = nargs - fixed;
        emit(g, "%s%d, ", separator, rest);
        if (rest == 0) {
            emit(g, "(const fdl_value *)0");
        } else {
            emit(g, "(const fdl_value[]){");
            for (int i = fixed; i < nargs; i++) {
                if (i > fixed)
                    emit(g, ", ");
                emit_argument(g, source, e, i);
            }
            emit(g, "}");
        }
    }
    emit(g, ")");
}

/* Whether e calls a function with one of the flags (FN_SCRATCH, ...). */
static bool expr_uses(const expr *e, int flags)
{
    if (!e)
        return false;
    switch (e->kind) {
    case EXPR_UNARY: return expr_uses(e->as.unary.operand, flags);
    case EXPR_BINARY: return expr_uses(e->as.binary.left, flags) || expr_uses(e->as.binary.right, flags);
    case EXPR_IS_NULL: return expr_uses(e->as.is_null.operand, flags);
    case EXPR_IN:
        for (int i = 0; i < e->as.in.list.count; i++)
            if (expr_uses(e->as.in.list.items[i], flags))
                return true;
        return expr_uses(e->as.in.operand, flags);
    case EXPR_CALL:
        if (stdlib_at(e->as.call.function)->flags & flags)
            return true;
        for (int i = 0; i < e->as.call.args.count; i++)
            if (expr_uses(e->as.call.args.items[i], flags))
                return true;
        return false;
    default: return false;
    }
}

/* ------------------------------------------------------ typed expressions */

/*
 * Where sema knows an expression's type (int64, float64, bool), its code is
 * native: a value and a null flag (fdl_nint64, fdl_nfloat64, fdl_nbool of
 * fdlrt.h, whose inline helpers are the operators' rules), one local per
 * operator, and `and`/`or` that skip their right side once the left decides.
 * Other nodes (strings, timestamps, vectors, calls, `in` lists, null) stay
 * tagged fdl_values (emit_expr) and are converted where they meet typed ones.
 */
typedef enum typed_kind { K_VALUE, K_INT, K_FLOAT, K_BOOL } typed_kind;

typedef struct typed {
    typed_kind kind;
    const char *text;   /* a C expression of that kind: a local, a literal, a conversion */
    bool is_local;      /* text is a local of its own (used once: it may be reassigned) */
    const expr *literal;   /* an int64 literal: widened to float64 at compile time */
} typed;

typedef struct typed_emitter {
    generator *g;
    const ir_source *source;   /* a where or an expectation: names are its fields */
    int depth;                 /* of blocks, for the indent */
    int temps;                 /* locals v1, v2, ... */
} typed_emitter;

static const char *const typed_c_type[] = {"fdl_value", "fdl_nint64", "fdl_nfloat64", "fdl_nbool"};

static typed_kind kind_of(const expr *e)
{
    switch (e->type.kind) {
    case TYPE_INT64: return K_INT;
    case TYPE_FLOAT64: return K_FLOAT;
    case TYPE_BOOL: return K_BOOL;
    default: return K_VALUE;
    }
}

static typed typed_of(typed_kind kind, const char *text)
{
    typed t = {kind, text, false, NULL};
    return t;
}

/* The tagged expression emit_expr writes for e, as text. */
static typed generic(typed_emitter *te, const expr *e)
{
    generator *g = te->g;
    char *text = NULL;
    size_t size = 0;
    FILE *kept = g->out;
    g->out = open_memstream(&text, &size);
    if (!g->out) {
        g->out = kept;
        emit(g, "#error \"fdlc: out of memory\"\n");
        return typed_of(K_VALUE, "fdl_null()");
    }
    emit_expr(g, te->source, e);
    fclose(g->out);
    g->out = kept;
    const char *copy = arena_strdup(g->arena, text);
    free(text);
    return typed_of(K_VALUE, copy);
}

/* x as kind `to`: the conversions are the operators' own (a tagged value of
 * another type is null; an int64 widens to float64). */
static const char *convert(typed_emitter *te, typed x, typed_kind to)
{
    arena *a = te->g->arena;
    if (x.kind == to)
        return x.text;
    if (to == K_VALUE)
        return arena_printf(a, "%s_value(%s)", typed_c_type[x.kind], x.text);
    if (x.kind == K_VALUE)
        return arena_printf(a, "%s_from(%s)", typed_c_type[to], x.text);
    if (x.kind == K_INT && to == K_FLOAT && x.literal) {
        char number[40];   /* the same nearest double the conversion gives */
        ir_format_double((double)x.literal->as.int_value, number, sizeof number);
        return arena_printf(a, "fdl_nfloat64_of(%s)", number);
    }
    if (x.kind == K_INT && to == K_FLOAT)
        return arena_printf(a, "fdl_nint64_to_float64(%s)", x.text);
    /* Sema gives no other mixes; through a tagged value, to be safe. */
    return arena_printf(a, "%s_from(%s_value(%s))", typed_c_type[to], typed_c_type[x.kind], x.text);
}

/* A new local of `kind` holding text. */
static typed local(typed_emitter *te, typed_kind kind, const char *text)
{
    const char *name = arena_printf(te->g->arena, "v%d", ++te->temps);
    emit(te->g, "%*s%s %s = %s;\n", 4 * (te->depth + 1), "", typed_c_type[kind], name, text);
    typed t = typed_of(kind, name);
    t.is_local = true;
    return t;
}

static typed emit_typed(typed_emitter *te, const expr *e);

static bool numeric(typed_kind k)
{
    return k == K_INT || k == K_FLOAT;
}

static typed emit_typed_arith(typed_emitter *te, const expr *e)
{
    static const char *const names[] = {"add", "sub", "mul", "div", "mod"};
    expr_op op = e->as.binary.op;
    typed_kind lk = kind_of(e->as.binary.left), rk = kind_of(e->as.binary.right), k = kind_of(e);
    bool ints = k == K_INT && lk == K_INT && rk == K_INT;
    /* A float result of two ints would be an int at run time: keep tagged. */
    bool floats = k == K_FLOAT && numeric(lk) && numeric(rk) && (lk == K_FLOAT || rk == K_FLOAT);
    if (!ints && !floats)
        return generic(te, e);
    typed l = emit_typed(te, e->as.binary.left), r = emit_typed(te, e->as.binary.right);
    return local(te, k, arena_printf(te->g->arena, "%s_%s(%s, %s)", typed_c_type[k], names[op - OP_ADD],
                                     convert(te, l, k), convert(te, r, k)));
}

static typed emit_typed_compare(typed_emitter *te, const expr *e)
{
    static const char *const ops[] = {"FDL_CMP_EQ", "FDL_CMP_NE", "FDL_CMP_LT",
                                      "FDL_CMP_LE", "FDL_CMP_GT", "FDL_CMP_GE"};
    const char *op = ops[e->as.binary.op - OP_EQ];
    typed_kind lk = kind_of(e->as.binary.left), rk = kind_of(e->as.binary.right);
    const char *helper;
    if (lk == K_INT && rk == K_INT)
        helper = "fdl_nint64_compare";
    else if (lk == K_FLOAT && rk == K_FLOAT)
        helper = "fdl_nfloat64_compare";
    else if (lk == K_INT && rk == K_FLOAT)
        helper = "fdl_nint64_float64_compare";
    else if (lk == K_FLOAT && rk == K_INT)
        helper = "fdl_nfloat64_int64_compare";
    else if (lk == K_BOOL && rk == K_BOOL)
        helper = "fdl_nbool_compare";
    else   /* strings, timestamps, null: the tagged comparison */
        return local(te, K_BOOL, convert(te, generic(te, e), K_BOOL));
    typed l = emit_typed(te, e->as.binary.left), r = emit_typed(te, e->as.binary.right);
    return local(te, K_BOOL, arena_printf(te->g->arena, "%s(%s, %s, %s)", helper, op,
                                          convert(te, l, lk), convert(te, r, rk)));
}

/* a and b, a or b: b is computed only when a does not decide. */
static typed emit_typed_logic(typed_emitter *te, const expr *e)
{
    bool is_or = e->as.binary.op == OP_OR;
    typed l = emit_typed(te, e->as.binary.left);
    typed result = l.is_local && l.kind == K_BOOL ? l : local(te, K_BOOL, convert(te, l, K_BOOL));
    emit(te->g, "%*sif (!fdl_nbool_decides(%s, %s)) {\n", 4 * (te->depth + 1), "", result.text,
         is_or ? "true" : "false");
    te->depth++;
    typed r = emit_typed(te, e->as.binary.right);
    emit(te->g, "%*s%s = fdl_nbool_%s(%s, %s);\n", 4 * (te->depth + 1), "", result.text,
         is_or ? "or" : "and", result.text, convert(te, r, K_BOOL));
    te->depth--;
    emit(te->g, "%*s}\n", 4 * (te->depth + 1), "");
    return result;
}

static typed emit_typed(typed_emitter *te, const expr *e)
{
    arena *a = te->g->arena;
    typed_kind k = kind_of(e);
    switch (e->kind) {
    case EXPR_INT:
        if (k != K_INT)
            break;
    {
        typed t = typed_of(K_INT, arena_printf(a, "fdl_nint64_of(INT64_C(%" PRId64 "))", e->as.int_value));
        t.literal = e;
        return t;
    }
    case EXPR_FLOAT: {
        char number[40];
        ir_format_double(e->as.float_value, number, sizeof number);
        return typed_of(K_FLOAT, arena_printf(a, "fdl_nfloat64_of(%s)", number));
    }
    case EXPR_BOOL:
        return typed_of(K_BOOL, e->as.bool_value ? "fdl_nbool_of(true)" : "fdl_nbool_of(false)");
    case EXPR_UNARY: {
        expr_op op = e->as.unary.op;
        typed_kind ok = kind_of(e->as.unary.operand);
        if (op == OP_PLUS)
            return emit_typed(te, e->as.unary.operand);
        if ((op == OP_NOT && ok == K_BOOL && k == K_BOOL) || (op == OP_NEG && numeric(ok) && k == ok)) {
            typed x = emit_typed(te, e->as.unary.operand);
            return local(te, k, arena_printf(a, "%s_%s(%s)", typed_c_type[k], op == OP_NOT ? "not" : "neg",
                                             convert(te, x, k)));
        }
        break;
    }
    case EXPR_BINARY: {
        expr_op op = e->as.binary.op;
        if (op >= OP_ADD && op <= OP_MOD)
            return emit_typed_arith(te, e);
        if (op >= OP_EQ && op <= OP_GE)
            return emit_typed_compare(te, e);
        if (op == OP_AND || op == OP_OR)
            return emit_typed_logic(te, e);
        break;
    }
    case EXPR_IS_NULL: {
        typed x = emit_typed(te, e->as.is_null.operand);
        const char *not = e->as.is_null.negated ? "!" : "";
        return local(te, K_BOOL, x.kind == K_VALUE
                                     ? arena_printf(a, "fdl_nbool_of(%sfdl_is_null(%s))", not, x.text)
                                     : arena_printf(a, "fdl_nbool_of(%s%s.null)", not, x.text));
    }
    default:
        break;
    }
    return generic(te, e);   /* names, strings, null, calls, in lists */
}

/* The statements computing e; the result as kind `to`. */
static const char *emit_typed_body(generator *g, const ir_source *source, const expr *e, typed_kind to)
{
    typed_emitter te = {g, source, 0, 0};
    return convert(&te, emit_typed(&te, e), to);
}

static const char *where_name(generator *g, int s, int group)
{
    return src_ident(g, s, arena_printf(g->arena, "where%d", group));
}

static const char *expectation_name(generator *g, int s, int check)
{
    return src_ident(g, s, arena_printf(g->arena, "expect%d", check));
}

/* A where filter or an expression expectation of source s, as a function
 * of the event: whether it holds (null does not). */
static void emit_event_test(generator *g, int s, const char *name, const expr *e, const char *what,
                            const char *text)
{
    emit(g, "/* %s", what);
    emit_comment_text(g, text);
    emit(g, " */\n");
    emit(g, "static bool %s(fdl_store *store, const %s *event)\n{\n    (void)store;\n    (void)event;\n",
         name, event_type(g, s));
    const char *result = emit_typed_body(g, &g->ir->sources[s], e, K_BOOL);
    emit(g, "    return fdl_nbool_is_true(%s);\n}\n\n", result);
}

/* --------------------------------------------------------------- header */

static const char *ident(generator *g, const char *name) { return cg_ident(g->arena, name); }

static void emit_banner(generator *g, const char *file)
{
    emit(g, "/*\n * %s - generated by fdlc %s from:\n", file, FDL_VERSION);
    for (int i = 0; i < g->ir->nfiles; i++) {
        emit(g, " *   ");
        emit_comment_text(g, g->ir->files[i]);
        emit(g, "\n");
    }
    emit(g, " * Fingerprint of the definitions: %s\n", g->ir->fingerprint);
    emit(g, " * Do not edit: change the definitions and run fdlc again.\n */\n");
}

static void emit_header(generator *g)
{
    const ir_program *p = g->ir;
    const char *n = g->name;
    emit_banner(g, arena_printf(g->arena, "%s.h", n));
    emit(g, "#ifndef FDL_GENERATED_%s_H\n#define FDL_GENERATED_%s_H\n\n", n, n);
    emit(g, "#include \"fdlrt.h\"\n\n");
    emit(g, "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n");
    emit(g, "/* The program table: for fdl_store_open() and fdl_batch_run(). */\n");
    emit(g, "const fdl_program *%s_program(void);\n\n", n);
    for (int s = 0; s < p->nsources; s++) {
        const ir_source *src = &p->sources[s];
        emit(g, "/* One event of source %s (", src->name);
        emit_location(g, src->span);
        emit(g, "). A null field is fdl_null(). */\n");
        const char *type = event_type(g, s);
        emit(g, "typedef struct %s {\n", type);
        for (int f = 0; f < src->nfields; f++)
            emit(g, "    fdl_value %s;%*s/* %s%s */\n", ident(g, src->fields[f].name),
                 (int)(24 > strlen(src->fields[f].name) ? 24 - strlen(src->fields[f].name) : 1), "",
                 type_name(src->fields[f].type), f == src->time_field ? ", event time" : "");
        emit(g, "} %s;\n\n", type);
        emit(g, "/* Ingests one %s event into the store (serving and batch alike). */\n", src->name);
        emit(g, "fdl_status %s_ingest_%s(fdl_store *store, const %s *event, fdl_error *err);\n\n",
             n, src->name, type);
    }
    for (int s = 0; s < p->nsets; s++) {
        const ir_set *set = &p->sets[s];
        emit(g, "/*\n * Feature set %s: reads its vector as of time t.\n * keys, one per key column:", set->name);
        for (int e = 0, i = 0; e < set->nentities; e++)
            for (int k = 0; k < p->entities[set->entities[e]].nkeys; k++)
                emit(g, " [%d] %s (%s)", i++, p->entities[set->entities[e]].join_keys[k],
                     p->entities[set->entities[e]].name);
        emit(g, "\n * out:\n");
        for (int f = 0; f < set->nfeatures; f++) {
            const ir_feature *feature = &p->features[set->features[f]];
            emit(g, " *   [%d] %s: %s\n", f, feature->name, type_name(feature->type.kind));
        }
        if (set->nrequests) {
            emit(g, " * request (may be NULL: all null):\n");
            for (int r = 0; r < set->nrequests; r++)
                emit(g, " *   [%d] %s: %s\n", r, p->requests[set->requests[r]].name,
                     type_name(p->requests[set->requests[r]].type));
        } else {
            emit(g, " * request: none (pass NULL)\n");
        }
        emit(g, " */\nfdl_status %s_read_set_%s(fdl_store *store, const fdl_value *keys,\n"
                "    const fdl_value *request, fdl_time t, fdl_value *out);\n\n", n, set->name);
    }
    for (int e = 0; e < p->nentities; e++) {
        emit(g, "/* Every single-entity feature of entity %s, in definition order:", p->entities[e].name);
        int count = 0;
        for (int f = 0; f < p->nfeatures; f++)
            if (p->features[f].nentities == 1 && p->features[f].entities[0] == e)
                emit(g, "%s [%d] %s", count ? "," : "", count, p->features[f].name), count++;
        if (p->entities[e].nkeys > 1) {
            emit(g, "\n * key parts, one per key column:");
            for (int k = 0; k < p->entities[e].nkeys; k++)
                emit(g, " [%d] %s (%s)", k, p->entities[e].join_keys[k], type_name(p->entities[e].key_types[k]));
        }
        emit(g, " */\nfdl_status %s_read_entity_%s(fdl_store *store, %s, fdl_time t,\n"
                "    fdl_value *out);\n\n", n, p->entities[e].name,
             p->entities[e].nkeys > 1 ? "const fdl_value *parts" : "fdl_value key");
    }
    emit(g, "#ifdef __cplusplus\n}\n#endif\n\n#endif\n");
}

/* ----------------------------------------------------------------- body */

/* ----------------------------------------------------------------- ingest */

static const char *check_kind_constant(const ir_check *k)
{
    if (k->invalid)
        return "FDL_CHECK_INVALID";
    switch (k->kind) {
    case EXPECT_NOT_NULL: return "FDL_CHECK_NOT_NULL";
    case EXPECT_RANGE: return "FDL_CHECK_RANGE";
    case EXPECT_IN: return "FDL_CHECK_IN";
    case EXPECT_MATCHES: return "FDL_CHECK_MATCHES";
    case EXPECT_MAX_FUTURE: return "FDL_CHECK_MAX_FUTURE";
    case EXPECT_ORDERED: return "FDL_CHECK_ORDERED";
    case EXPECT_MAX_GAP: return "FDL_CHECK_MAX_GAP";
    case EXPECT_EXISTS_IN: return "FDL_CHECK_EXISTS_IN";
    case EXPECT_MEAN: return "FDL_CHECK_MEAN";
    case EXPECT_STDDEV: return "FDL_CHECK_STDDEV";
    case EXPECT_NULL_RATIO: return "FDL_CHECK_NULL_RATIO";
    case EXPECT_DISTINCT: return "FDL_CHECK_DISTINCT";
    case EXPECT_EXPR: return "FDL_CHECK_EXPR";
    case EXPECT_UNIQUE: return "FDL_CHECK_UNIQUE";
    default: return "FDL_CHECK_INVALID";
    }
}

static const char *policy_constant(policy_kind policy)
{
    switch (policy) {
    case POLICY_DROP: return "FDL_POLICY_DROP";
    case POLICY_CLAMP: return "FDL_POLICY_CLAMP";
    case POLICY_FLAG: return "FDL_POLICY_FLAG";
    case POLICY_IMPUTE: return "FDL_POLICY_IMPUTE";
    default: return "FDL_POLICY_FAIL";
    }
}

/* A constant of a field's type as a static fdl_value initializer. */
static void emit_value_initializer(generator *g, const ir_literal *d)
{
    char number[40];
    switch (d->type) {
    case TYPE_INT64: emit(g, "{FDL_INT64, 0, {.i = INT64_C(%" PRId64 ")}}", d->int_value); break;
    case TYPE_TIMESTAMP: emit(g, "{FDL_TIMESTAMP, 0, {.t = INT64_C(%" PRId64 ")}}", d->int_value); break;
    case TYPE_BOOL: emit(g, "{FDL_BOOL, 0, {.b = %s}}", d->bool_value ? "true" : "false"); break;
    case TYPE_FLOAT64:
        ir_format_double(d->float_value, number, sizeof number);
        emit(g, "{FDL_FLOAT64, 0, {.f = %s}}", number);
        break;
    case TYPE_STRING:
        emit(g, "{FDL_STRING, 0, {.s = {");
        emit_string(g, d->string, (size_t)d->length);
        emit(g, ", %d}}}", d->length);
        break;
    default: emit(g, "{FDL_NULL, 0, {0}}"); break;
    }
}

/* The member of an fdl_value holding a type's payload, for comparisons. */
static const char *payload(type_kind type)
{
    return type == TYPE_FLOAT64 ? "f" : type == TYPE_TIMESTAMP ? "t" : "i";
}

/* The raw payload of a bound, as a C constant of the member's type. */
static const char *bound_constant(generator *g, const ir_literal *d)
{
    char number[40];
    if (d->type == TYPE_FLOAT64) {
        ir_format_double(d->float_value, number, sizeof number);
        return arena_strdup(g->arena, number);
    }
    return arena_printf(g->arena, "INT64_C(%" PRId64 ")", d->int_value);
}

/*
 * Emits what happens after check k found value broken: count it, stop on
 * drop or fail, and apply clamp or impute to the event.
 */
static void emit_violation(generator *g, const ir_source *src, int k, const char *value,
                           const char *clamped)
{
    const ir_check *check = &src->checks[k];
    const char *field = check->field >= 0 ? ident(g, src->fields[check->field].name) : NULL;
    emit(g, "        if ((status = fdl_check_violated(store, %s, %d, %s, err)) != FDL_OK)\n"
            "            return status;\n", source_id(g, src_index(g, src)), k, value);
    bool changes = true;
    if (check->policy == POLICY_IMPUTE) {
        emit(g, "        {\n            static const fdl_value impute = ");
        emit_value_initializer(g, &check->impute);
        emit(g, ";\n            event->%s = impute;\n        }\n", field);
    } else if (check->policy == POLICY_CLAMP && clamped) {
        emit(g, "        event->%s = %s;\n", field, clamped);
    } else if (check->policy == POLICY_FLAG && check->invalid) {
        emit(g, "        event->%s = fdl_null();\n", field);
    } else {
        changes = false;
    }
    if (changes)
        emit(g, "        if (changed)\n            changed[%d] = true;\n", check->field);
}

/* One expectation: test, then the policy. */
static void emit_check(generator *g, const ir_source *src, int k)
{
    const ir_check *check = &src->checks[k];
    const char *S = source_id(g, src_index(g, src));
    type_kind type = check->field >= 0 ? src->fields[check->field].type : TYPE_NULL;
    const char *x = check->field >= 0
                        ? arena_printf(g->arena, "event->%s", ident(g, src->fields[check->field].name))
                        : NULL;
    if (expectation_is_statistical(check->kind))
        return;   /* over many rows: fdl_store_evaluate */
    emit(g, "    /* ");
    if (check->field >= 0)
        emit(g, "%s: ", src->fields[check->field].name);
    emit_comment_text(g, check->text);
    emit(g, ", policy %s */\n", policy_kind_name(check->policy));
    switch (check->kind) {
    case EXPECT_NOT_NULL:
        emit(g, "    if (fdl_is_null(%s)) {\n", x);
        emit_violation(g, src, k, x, NULL);
        break;
    case EXPECT_RANGE: {
        const char *m = payload(type);
        const ir_literal *low = &check->values[0], *high = &check->values[1];
        const char *lo = low->type != TYPE_NULL ? bound_constant(g, low) : NULL;
        const char *hi = high->type != TYPE_NULL ? bound_constant(g, high) : NULL;
        const char *make = type == TYPE_FLOAT64 ? "fdl_float64" : type == TYPE_TIMESTAMP ? "fdl_timestamp" : "fdl_int64";
        emit(g, "    if (!fdl_is_null(%s) && (", x);
        if (lo)
            emit(g, "%s.as.%s < %s", x, m, lo);
        if (lo && hi)
            emit(g, " || ");
        if (hi)
            emit(g, "%s.as.%s > %s", x, m, hi);
        emit(g, ")) {\n");
        const char *clamped = lo && hi ? arena_printf(g->arena, "%s(%s.as.%s < %s ? %s : %s)", make, x, m, lo, lo, hi)
                                       : arena_printf(g->arena, "%s(%s)", make, lo ? lo : hi);
        emit_violation(g, src, k, x, clamped);
        break;
    }
    case EXPECT_IN:
        emit(g, "    {\n        static const fdl_value allowed[] = {");
        for (int i = 0; i < check->nvalues; i++) {
            emit(g, i ? ",\n            " : "\n            ");
            emit_value_initializer(g, &check->values[i]);
        }
        emit(g, "\n        };\n        in_set = fdl_check_in(%s, allowed, %d);\n    }\n", x, check->nvalues);
        emit(g, "    if (!fdl_is_null(%s) && !in_set) {\n", x);
        emit_violation(g, src, k, x, NULL);
        break;
    case EXPECT_MATCHES:
        emit(g, "    if (!fdl_is_null(%s) && !fdl_check_matches(store, %s, %d, %s)) {\n", x, S, k, x);
        emit_violation(g, src, k, x, NULL);
        break;
    case EXPECT_MAX_FUTURE: {
        emit(g, "    if (!fdl_is_null(%s) &&\n        %s.as.t > fdl_store_processing_time(store) + INT64_C(%" PRId64 ") * FDL_MICROS_PER_SECOND) {\n",
             x, x, check->seconds);
        const char *clamped = arena_printf(g->arena, "fdl_timestamp(fdl_store_processing_time(store) + INT64_C(%" PRId64 ") * FDL_MICROS_PER_SECOND)", check->seconds);
        emit_violation(g, src, k, x, clamped);
        break;
    }
    case EXPECT_ORDERED:
        emit(g, "    if (!fdl_is_null(%s) && !fdl_check_ordered(store, %s, %s.as.t)) {\n", x, S, x);
        emit_violation(g, src, k, x, NULL);
        break;
    case EXPECT_MAX_GAP:
        emit(g, "    if (!fdl_is_null(%s) && !fdl_check_gap(store, %s, %s.as.t, INT64_C(%" PRId64 ") * FDL_MICROS_PER_SECOND)) {\n",
             x, S, x, check->seconds);
        emit_violation(g, src, k, x, NULL);
        break;
    case EXPECT_EXISTS_IN:
        if (check->reference >= 0)
            emit(g, "    if (!fdl_is_null(%s) && !fdl_check_exists(store, %d, %s)) {\n", x, check->reference, x);
        else
            emit(g, "    if (!fdl_is_null(%s) && fdl_is_null(fdl_embedding_lookup(store, %s, %s))) {\n",
                 x, embedding_id(g, check->embedding), x);
        emit_violation(g, src, k, x, NULL);
        break;
    case EXPECT_EXPR:
        emit(g, "    if (!%s(store, event)) {\n", expectation_name(g, src - g->ir->sources, k));
        emit_violation(g, src, k, "fdl_null()", NULL);
        break;
    case EXPECT_UNIQUE:
        emit(g, "    {\n        const fdl_value key[] = {");
        for (int i = 0; i < check->nfields; i++)
            emit(g, "%sevent->%s", i ? ", " : "", ident(g, src->fields[check->fields[i]].name));
        emit(g, "};\n        if (!fdl_check_unique(store, %s, %d, %d, key)) {\n",
             S, k, check->nfields);
        emit_violation(g, src, k, "fdl_null()", NULL);
        emit(g, "        }\n");
        break;
    default:
        return;
    }
    emit(g, "    }\n");
}

/*
 * srcN_SOURCE_check: runs the source's expectations on an event (docs/language.md,
 * "Expectations"), changing it as clamp and impute say. invalid[f] (row form
 * only) marks a field whose text did not parse; the event then holds the
 * text as a string, for the reason.
 */
static void emit_check_function(generator *g, int s)
{
    const ir_program *p = g->ir;
    const ir_source *src = &p->sources[s];
    const char *S = source_id(g, s);
    const char *time = ident(g, src->fields[src->time_field].name);
    emit(g, "/* Expectations of source %s (", src->name);
    emit_location(g, src->span);
    emit(g, "): counts and policies; see fdl_check_violated. */\n");
    emit(g, "static fdl_status %s(fdl_store *store, %s *event, const bool *invalid,\n"
            "    bool *changed, fdl_error *err)\n{\n", src_ident(g, s, "check"), event_type(g, s));
    bool in_set = false;
    for (int k = 0; k < src->nchecks; k++)
        in_set |= !src->checks[k].invalid && src->checks[k].kind == EXPECT_IN;
    emit(g, "    fdl_status status;\n    (void)changed;   /* NULL, or changed[f] set when a policy replaces field f */\n");
    if (in_set)
        emit(g, "    bool in_set;\n");
    emit(g, "    const fdl_value row[] = {");
    for (int f = 0; f < src->nfields; f++)
        emit(g, "%sevent->%s", f ? ", " : "", ident(g, src->fields[f].name));
    emit(g, "};\n");
    emit(g, "    fdl_check_begin(store, %s, row, invalid);   /* counts the row, observes its fields */\n", S);
    emit(g, "    /* Values that do not parse (on_invalid); the event time must be there. */\n");
    for (int f = 0; f < src->nfields; f++) {
        const char *field = ident(g, src->fields[f].name);
        if (f == src->time_field)
            emit(g, "    if ((invalid && invalid[%d]) || event->%s.type != FDL_TIMESTAMP) {\n", f, field);
        else if (src->fields[f].type == TYPE_STRING)
            continue;   /* any text is a string */
        else
            emit(g, "    if (invalid && invalid[%d]) {\n", f);
        emit_violation(g, src, f, arena_printf(g->arena, "event->%s", field), NULL);
        emit(g, "    }\n");
    }
    for (int k = src->nfields; k < src->nchecks; k++)
        emit_check(g, src, k);
    emit(g, "    fdl_check_accept(store, %s, event->%s.as.t);\n", S, time);
    for (int r = 0; r < p->nreferences; r++)
        if (p->references[r].source == s)
            emit(g, "    fdl_check_remember(store, %d, event->%s);   /* exists_in %s.%s */\n", r,
                 ident(g, src->fields[p->references[r].field].name), src->name,
                 src->fields[p->references[r].field].name);
    emit(g, "    return FDL_OK;\n}\n\n");
}

/* srcN_SOURCE_push: an accepted event into every group that reads it. */
static void emit_push(generator *g, int s)
{
    const ir_program *p = g->ir;
    const ir_source *src = &p->sources[s];
    emit(g, "/* Source %s (", src->name);
    emit_location(g, src->span);
    emit(g, "): pushes an accepted event into every group that reads it. */\n");
    emit(g, "static fdl_status %s(fdl_store *store, const %s *event, fdl_error *err)\n{\n",
         src_ident(g, s, "push"), event_type(g, s));
    emit(g, "    fdl_store_note_event(store);\n");
    bool read = false;
    for (int gi = 0; gi < p->ngroups; gi++)
        read |= p->groups[gi].source == s;
    if (!read) {
        emit(g, "    /* No feature reads this source yet. */\n    (void)event;\n    (void)err;\n    return FDL_OK;\n}\n\n");
        return;
    }
    emit(g, "    fdl_time time = event->%s.as.t;\n", ident(g, src->fields[src->time_field].name));
    emit(g, "    fdl_status status = FDL_OK;\n");
    emit(g, "    fdl_entity_state *state;\n");
    bool composite = false;
    for (int gi = 0; gi < p->ngroups; gi++)
        composite |= p->groups[gi].source == s && p->entities[p->groups[gi].entity].nkeys > 1;
    if (composite)
        emit(g, "    fdl_value key;\n");
    for (int e = 0; e < p->nentities; e++) {
        bool any = false;
        for (int gi = 0; gi < p->ngroups; gi++)
            if (p->groups[gi].source == s && p->groups[gi].entity == e) {
                const ir_group *grp = &p->groups[gi];
                if (!any && p->entities[e].nkeys > 1) {
                    /* A composite key: its columns encoded into one key value. */
                    emit(g, "\n    /* entity %s, keyed by", p->entities[e].name);
                    for (int k = 0; k < p->entities[e].nkeys; k++)
                        emit(g, "%s %s", k ? "," : "", src->fields[grp->key_fields[k]].name);
                    emit(g, "; a null key is counted by the store */\n    {\n"
                            "        const fdl_value parts[] = {");
                    for (int k = 0; k < p->entities[e].nkeys; k++)
                        emit(g, "%sevent->%s", k ? ", " : "", ident(g, src->fields[grp->key_fields[k]].name));
                    emit(g, "};\n        key = fdl_entity_key(store, %s, parts);\n    }\n",
                         entity_id(g, e));
                    emit(g, "    state = fdl_store_entity(store, %s, key, true);\n",
                         entity_id(g, e));
                    emit(g, "    if (!state && !fdl_is_null(key))\n");
                    emit(g, "        return fdl_error_set(err, FDL_ERR_MEMORY, \"source %s: no memory for entity %s\");\n",
                         src->name, p->entities[e].name);
                    any = true;
                }
                if (!any) {
                    const char *key = ident(g, src->fields[grp->key_field].name);
                    emit(g, "\n    /* entity %s, keyed by %s; a null key is counted by the store */\n",
                         p->entities[e].name, src->fields[grp->key_field].name);
                    emit(g, "    state = fdl_store_entity(store, %s, event->%s, true);\n",
                         entity_id(g, e), key);
                    emit(g, "    if (!state && !fdl_is_null(event->%s))\n", key);
                    emit(g, "        return fdl_error_set(err, FDL_ERR_MEMORY, \"source %s: no memory for entity %s\");\n",
                         src->name, p->entities[e].name);
                    any = true;
                }
                emit(g, "    /* group %d: %s%s%s%s", gi,
                     grp->field < 0 ? "events" : src->fields[grp->field].name,
                     grp->by_field < 0 ? "" : " by ",
                     grp->by_field < 0 ? "" : src->fields[grp->by_field].name,
                     grp->where ? " where " : "");
                emit_comment_text(g, grp->where_text);
                emit(g, " */\n");
                const char *value = grp->field < 0 ? "fdl_null()"
                                                   : arena_printf(g->arena, "event->%s",
                                                                  ident(g, src->fields[grp->field].name));
                if (grp->where) {
                    emit(g, "    if (status == FDL_OK && %s(store, event))\n", where_name(g, s, gi));
                } else {
                    emit(g, "    if (status == FDL_OK)\n");
                }
                if (grp->by_field >= 0)
                    emit(g, "        status = fdl_group_push_by(store, state, %d, time, %s, event->%s);\n",
                         gi, value, ident(g, src->fields[grp->by_field].name));
                else
                    emit(g, "        status = fdl_group_push(store, state, %d, time, %s);\n", gi, value);
            }
    }
    emit(g, "    if (status != FDL_OK)\n");
    emit(g, "        return fdl_error_set(err, status, \"source %s: the store could not take the event\");\n",
         src->name);
    if (g->scratch)
        emit(g, "    if (fdl_scratch_failed(store))\n"
                "        return fdl_error_set(err, FDL_ERR_MEMORY, \"source %s: out of memory in a where filter\");\n",
             src->name);
    emit(g, "    return FDL_OK;\n}\n\n");
}

/* The public typed entry point: argument checks, expectations, push. */
static void emit_typed_ingest(generator *g, int s)
{
    const ir_source *src = &g->ir->sources[s];
    const char *n = g->name, *S = source_id(g, s), *type = event_type(g, s);
    emit(g, "/* Source %s, typed: fields of another type are an error of the caller;\n"
            " * then the expectations, as for a row (a dropped event goes to the quarantine). */\n",
         src->name);
    emit(g, "fdl_status %s_ingest_%s(fdl_store *store, const %s *event, fdl_error *err)\n{\n",
         n, src->name, type);
    for (int f = 0; f < src->nfields; f++) {
        const char *field = ident(g, src->fields[f].name);
        emit(g, "    if (event->%s.type != FDL_NULL && event->%s.type != %s)\n", field, field,
             fdl_type_constant(src->fields[f].type));
        emit(g, "        return fdl_error_set(err, FDL_ERR_ARGUMENT,\n"
                "            \"source %s: field '%s' must be %s, not %%s\",\n"
                "            fdl_type_name(event->%s.type));\n", src->name, src->fields[f].name,
             type_name(src->fields[f].type), field);
    }
    if (g->scratch)
        emit(g, "    fdl_scratch_reset(store);\n");
    emit(g, "    %s checked = *event;\n", type);
    emit(g, "    fdl_status status = %s(store, &checked, NULL, NULL, err);\n", src_ident(g, s, "check"));
    emit(g, "    if (status == FDL_DROPPED) {\n        const fdl_value values[] = {");
    for (int f = 0; f < src->nfields; f++)
        emit(g, "%sevent->%s", f ? ", " : "", ident(g, src->fields[f].name));
    emit(g, "};\n        fdl_quarantine_event(store, %s, NULL, NULL, values);\n    }\n", S);
    emit(g, "    if (status != FDL_OK)\n        return status;\n");
    emit(g, "    return %s(store, &checked, err);\n}\n\n", src_ident(g, s, "push"));
}

/* The start of each row form: the event parsed from fields, with invalid[]. */
static void emit_row_prologue(generator *g, int s)
{
    emit(g, "    %s event;\n    bool invalid[%d] = {false};\n", event_type(g, s), g->ir->sources[s].nfields);
    if (g->scratch)
        emit(g, "    fdl_scratch_reset(store);\n");
    emit(g, "    %s(fields, lengths, &event, invalid);\n", src_ident(g, s, "parse_row"));
}

/* The row forms the runtime calls: strings, one per field in table order. */
static void emit_row_forms(generator *g, int s)
{
    const ir_source *src = &g->ir->sources[s];
    const char *check = src_ident(g, s, "check"), *push = src_ident(g, s, "push");
    int nf = src->nfields;
    emit(g, "/* Source %s from strings: NULL is null; an empty text is null too, except\n"
            " * for strings, where it is \"\". A text that does not parse is kept as a\n"
            " * string and marked invalid. */\n", src->name);
    emit(g, "static void %s(const char *const *fields, const size_t *lengths,\n"
            "    %s *event, bool *invalid)\n{\n", src_ident(g, s, "parse_row"), event_type(g, s));
    for (int f = 0; f < nf; f++) {
        const char *field = ident(g, src->fields[f].name);
        emit(g, "    if (!fields[%d])\n        event->%s = fdl_null();\n", f, field);
        if (src->fields[f].type == TYPE_STRING) {
            emit(g, "    else\n        event->%s = fdl_string(fields[%d], lengths ? lengths[%d] : fdl_text_length(fields[%d]));\n",
                 field, f, f, f);
        } else {
            emit(g, "    else if (fdl_parse_value(%s, fields[%d], lengths ? lengths[%d] : fdl_text_length(fields[%d]),\n"
                    "                             &event->%s, NULL) != FDL_OK) {\n",
                 fdl_type_constant(src->fields[f].type), f, f, f, field);
            emit(g, "        invalid[%d] = true;\n", f);
            emit(g, "        event->%s = fdl_string(fields[%d], lengths ? lengths[%d] : fdl_text_length(fields[%d]));\n    }\n",
                 field, f, f, f);
        }
    }
    emit(g, "}\n\n");

    emit(g, "/* Parses and checks without ingesting (fdl_check_row_fn: batch reads). */\n");
    emit(g, "static fdl_status %s(fdl_store *store, const char *const *fields,\n"
            "    const size_t *lengths, fdl_value *values, bool *changed, fdl_error *err)\n{\n",
         src_ident(g, s, "check_row"));
    emit_row_prologue(g, s);
    emit(g, "    for (int f = 0; f < %d; f++)\n        changed[f] = false;\n", nf);
    emit(g, "    fdl_status status = %s(store, &event, invalid, changed, err);\n", check);
    emit(g, "    if (status != FDL_OK)\n        return status;\n");
    for (int f = 0; f < nf; f++)
        emit(g, "    values[%d] = event.%s;\n", f, ident(g, src->fields[f].name));
    emit(g, "    return FDL_OK;\n}\n\n");

    emit(g, "/* Parses and pushes a row already checked (batch replay). */\n");
    emit(g, "static fdl_status %s(fdl_store *store, const char *const *fields,\n"
            "    const size_t *lengths, fdl_error *err)\n{\n", src_ident(g, s, "push_row"));
    emit_row_prologue(g, s);
    emit(g, "    for (int f = 0; f < %d; f++)\n        if (invalid[f])\n"
            "            return fdl_error_set(err, FDL_ERR_PARSE, \"source %s: field %%d does not parse\", f);\n",
         nf, src->name);
    emit(g, "    if (event.%s.type != FDL_TIMESTAMP)\n"
            "        return fdl_error_set(err, FDL_ERR_PARSE, \"source %s: no event time\");\n",
         ident(g, src->fields[src->time_field].name), src->name);
    emit(g, "    return %s(store, &event, err);\n}\n\n", push);

    emit(g, "/* Pushes the values check_row gave for a row (batch replay: parsed once). */\n");
    emit(g, "static fdl_status %s(fdl_store *store, const fdl_value *values, fdl_error *err)\n{\n",
         src_ident(g, s, "push_values"));
    emit(g, "    %s event;\n", event_type(g, s));
    for (int f = 0; f < nf; f++)
        emit(g, "    event.%s = values[%d];\n", ident(g, src->fields[f].name), f);
    emit(g, "    if (event.%s.type != FDL_TIMESTAMP)\n"
            "        return fdl_error_set(err, FDL_ERR_PARSE, \"source %s: no event time\");\n",
         ident(g, src->fields[src->time_field].name), src->name);
    emit(g, "    return %s(store, &event, err);\n}\n\n", push);

    emit(g, "/* Parses, checks and pushes (fdl_ingest_row: serving). */\n");
    emit(g, "static fdl_status %s(fdl_store *store, const char *const *fields,\n"
            "    const size_t *lengths, fdl_error *err)\n{\n", src_ident(g, s, "ingest_row"));
    emit_row_prologue(g, s);
    emit(g, "    fdl_status status = %s(store, &event, invalid, NULL, err);\n", check);
    emit(g, "    if (status != FDL_OK)\n        return status;\n");
    emit(g, "    return %s(store, &event, err);\n}\n\n", push);
}

/* The where filters of source s's groups and its expression expectations,
 * each a function of the event (emit_event_test). */
static void emit_event_tests(generator *g, int s)
{
    const ir_program *p = g->ir;
    const ir_source *src = &p->sources[s];
    for (int k = 0; k < src->nchecks; k++)
        if (!src->checks[k].invalid && src->checks[k].kind == EXPECT_EXPR)
            emit_event_test(g, s, expectation_name(g, s, k), src->checks[k].expr,
                            arena_printf(g->arena, "Expectation %d of source %s: ", k, src->name),
                            src->checks[k].text);
    for (int gi = 0; gi < p->ngroups; gi++)
        if (p->groups[gi].source == s && p->groups[gi].where)
            emit_event_test(g, s, where_name(g, s, gi), p->groups[gi].where,
                            arena_printf(g->arena, "Group %d's filter: where ", gi),
                            p->groups[gi].where_text);
}

static void emit_ingest(generator *g, int s)
{
    emit_event_tests(g, s);
    emit_check_function(g, s);
    emit_push(g, s);
    emit_typed_ingest(g, s);
    emit_row_forms(g, s);
}

/* A constant of a feature's type (its default). */
static void emit_literal(generator *g, const ir_literal *d)
{
    char number[40];
    switch (d->type) {
    case TYPE_INT64: emit(g, "fdl_int64(INT64_C(%" PRId64 "))", d->int_value); break;
    case TYPE_TIMESTAMP: emit(g, "fdl_timestamp(INT64_C(%" PRId64 "))", d->int_value); break;
    case TYPE_FLOAT64:
        ir_format_double(d->float_value, number, sizeof number);
        emit(g, "fdl_float64(%s)", number);
        break;
    case TYPE_BOOL: emit(g, "fdl_bool(%s)", d->bool_value ? "true" : "false"); break;
    case TYPE_STRING:
        emit(g, "fdl_string(");
        emit_string(g, d->string, (size_t)d->length);
        emit(g, ", %d)", d->length);
        break;
    default: emit(g, "fdl_null()"); break;
    }
}

/* ------------------------------------------------------------- kernels */

/*
 * A function or table other files of a split program use: static when the
 * program is one file; else extern, named NAME_unit_IDENT. NAME_unit_ is a
 * public prefix of its own (see "names"), and IDENT is a tagged or fixed
 * name unique in the program, so two programs linked together never share
 * one; NAME_units.h gives them hidden visibility.
 */
static const char *shared(generator *g, const char *ident)
{
    return g->nunits > 1 ? arena_printf(g->arena, "%s_unit_%s", g->name, ident) : ident;
}

static const char *linkage(generator *g)
{
    return g->nunits > 1 ? "" : "static ";
}

static const char *compute_name(generator *g, int f)
{
    assert(g->plain[f] < 0);
    return shared(g, feat_ident(g, f, "compute"));
}

static const char *read_name(generator *g, int f)
{
    return shared(g, feat_ident(g, f, "read"));
}

/* Whether feature f is read by the kernels read_plain / read_computed: one
 * entity, whose key is one column. */
static bool simple_read(generator *g, int f)
{
    const ir_feature *feature = &g->ir->features[f];
    return feature->nentities == 1 && g->ir->entities[feature->entities[0]].nkeys == 1;
}

/* ------------------------------------------------------------ read plans */

/*
 * A reader (a feature set, an entity, one computed feature) computes every
 * feature it needs once: its outputs and the features those read, each a
 * step of a static table the kernel run_steps() runs in order, inputs
 * before the features that read them. Values 0..nout-1 are the reader's
 * out[], the others its temporaries. So a derived feature that reads
 * another twice, or a set whose cosine reads two of its own embeddings,
 * computes each of them once (issue 9: "each feature computed at most once
 * per set read").
 */
typedef struct plan_step {
    int feature;        /* -1: a copy of value inputs[first] (a feature listed twice) */
    int *slots;         /* the reader's entity slot of each of the feature's entities */
    int dest;           /* the value it computes */
    int first, count;   /* a computed feature: its inputs, inputs[first .. first+count) */
    int next;           /* the next step of the same feature (other slots), or -1 */
} plan_step;

typedef struct read_plan {
    plan_step *steps;
    int nsteps, step_cap;
    int *inputs;
    int ninputs, input_cap;
    int nout, ntemps;
} read_plan;

/* The generator's per-feature first step of the plan being built: -1 when
 * the plan has none; reset after each plan for the steps it made. */
static int *plan_first_step(generator *g)
{
    if (!g->first_step) {
        size_t n = (size_t)g->ir->nfeatures + 1;
        g->first_step = arena_alloc(g->arena, sizeof(int) * n);
        g->reserved = arena_alloc(g->arena, sizeof(int) * n);
        g->reserved_slots = arena_alloc(g->arena, sizeof(int *) * n);
        for (size_t f = 0; f < n; f++) {
            g->first_step[f] = g->reserved[f] = -1;
            g->reserved_slots[f] = NULL;
        }
    }
    return g->first_step;
}

static void plan_init(generator *g, read_plan *pl, int nout)
{
    *pl = (read_plan){NULL, 0, 0, NULL, 0, 0, nout, 0};
    plan_first_step(g);
}

/* Forgets the plan's steps in the generator's index (the plan itself stays
 * in the arena until the generator's end). */
static void plan_done(generator *g, read_plan *pl)
{
    for (int s = 0; s < pl->nsteps; s++)
        if (pl->steps[s].feature >= 0)
            g->first_step[pl->steps[s].feature] = g->reserved[pl->steps[s].feature] = -1;
}

static plan_step *plan_add_step(generator *g, read_plan *pl)
{
    if (pl->nsteps == pl->step_cap) {
        int cap = pl->step_cap ? 2 * pl->step_cap : 8;
        plan_step *steps = arena_alloc(g->arena, sizeof *steps * (size_t)cap);
        if (pl->nsteps)
            memcpy(steps, pl->steps, sizeof *steps * (size_t)pl->nsteps);
        pl->steps = steps;
        pl->step_cap = cap;
    }
    return &pl->steps[pl->nsteps++];
}

static int plan_add_inputs(generator *g, read_plan *pl, const int *values, int count)
{
    if (pl->ninputs + count > pl->input_cap) {
        int cap = pl->input_cap ? 2 * pl->input_cap : 8;
        while (cap < pl->ninputs + count)
            cap *= 2;
        int *inputs = arena_alloc(g->arena, sizeof *inputs * (size_t)cap);
        if (pl->ninputs)
            memcpy(inputs, pl->inputs, sizeof *inputs * (size_t)pl->ninputs);
        pl->inputs = inputs;
        pl->input_cap = cap;
    }
    int first = pl->ninputs;
    for (int i = 0; i < count; i++)
        pl->inputs[pl->ninputs++] = values[i];
    return first;
}

/* The features a computed feature reads: count, and the i-th with the map
 * from its entities to the reader feature's (see ir_feature). */
static int feature_inputs(const ir_feature *f)
{
    return f->kind == IR_DERIVED ? f->nrefs : f->kind == IR_COSINE_SIMILARITY ? 2 : 0;
}

static int feature_input(const ir_feature *f, int i, const int **map)
{
    assert(i >= 0 && i < feature_inputs(f));
    if (f->kind == IR_DERIVED) {
        *map = f->ref_slots[i];
        return f->refs[i];
    }
    *map = &f->arg_slots[i];   /* an argument is a feature of one entity */
    return f->args[i];
}

/*
 * The value of feature f over the reader's entity slots `slots`: an earlier
 * step's if the plan has one, else a new step after those of its inputs;
 * into value `want` when want >= 0 (an output), else a new temporary.
 */
static int plan_value(generator *g, read_plan *pl, int f, const int *slots, int want)
{
    const ir_feature *feature = &g->ir->features[f];
    size_t key_bytes = sizeof(int) * (size_t)feature->nentities;
    for (int s = g->first_step[f]; s >= 0; s = pl->steps[s].next) {
        if (memcmp(pl->steps[s].slots, slots, key_bytes) != 0)
            continue;
        int have = pl->steps[s].dest;
        if (want < 0 || want == have)
            return have;
        plan_step *copy = plan_add_step(g, pl);
        *copy = (plan_step){-1, NULL, want, plan_add_inputs(g, pl, &have, 1), 1, -1};
        return want;
    }
    int count = feature_inputs(feature);
    int *values = arena_alloc(g->arena, sizeof(int) * (size_t)(count + 1));
    for (int i = 0; i < count; i++) {
        const int *map;
        int input = feature_input(feature, i, &map);
        const ir_feature *target = &g->ir->features[input];
        int *target_slots = arena_alloc(g->arena, sizeof(int) * (size_t)target->nentities);
        for (int e = 0; e < target->nentities; e++) {
            assert(map[e] >= 0 && map[e] < feature->nentities);
            target_slots[e] = slots[map[e]];
        }
        values[i] = plan_value(g, pl, input, target_slots, -1);
    }
    /* An input that is also an output goes straight there. */
    if (want < 0 && g->reserved[f] >= 0 && memcmp(g->reserved_slots[f], slots, key_bytes) == 0)
        want = g->reserved[f];
    int dest = want >= 0 ? want : pl->nout + pl->ntemps++;
    int first = plan_add_inputs(g, pl, values, count);
    int *own = arena_alloc(g->arena, key_bytes + sizeof(int));
    memcpy(own, slots, key_bytes);
    plan_step *step = plan_add_step(g, pl);
    *step = (plan_step){f, own, dest, first, count, g->first_step[f]};
    g->first_step[f] = pl->nsteps - 1;
    return dest;
}

/* The reader's slot of each of feature f's entities. */
static int *reader_slots(generator *g, int f, const int *entities, int nentities)
{
    const ir_feature *feature = &g->ir->features[f];
    int *slots = arena_alloc(g->arena, sizeof(int) * (size_t)(feature->nentities + 1));
    for (int e = 0; e < feature->nentities; e++) {
        slots[e] = -1;
        for (int k = 0; k < nentities && slots[e] < 0; k++)
            if (entities[k] == feature->entities[e])
                slots[e] = k;
        assert(slots[e] >= 0);   /* a reader's entities cover its features' */
    }
    return slots;
}

/* The plan of a reader of `features` (its outputs, in order) over `entities`. */
static void plan_reader(generator *g, read_plan *pl, const int *features, int nfeatures,
                        const int *entities, int nentities)
{
    plan_init(g, pl, nfeatures);
    int **slots = arena_alloc(g->arena, sizeof(int *) * (size_t)(nfeatures + 1));
    for (int i = 0; i < nfeatures; i++) {
        int f = features[i];
        slots[i] = reader_slots(g, f, entities, nentities);
        if (g->reserved[f] < 0) {   /* the first time it is listed */
            g->reserved[f] = i;
            g->reserved_slots[f] = slots[i];
        }
    }
    for (int i = 0; i < nfeatures; i++)
        plan_value(g, pl, features[i], slots[i], i);
    for (int i = 0; i < nfeatures; i++)
        g->reserved[features[i]] = -1;
}

/* The plan of computed feature f read alone, over its own entities. */
static void plan_feature(generator *g, read_plan *pl, int f)
{
    const ir_feature *feature = &g->ir->features[f];
    plan_reader(g, pl, &f, 1, feature->entities, feature->nentities);
}

/* The most temporaries a one-entity computed feature's read needs (the
 * kernel read_computed holds them) and the most inputs of any computed
 * feature (run_steps gathers them): the constants STEP_TEMPS, STEP_INPUTS. */
static void plan_limits(generator *g)
{
    if (g->limits_known)
        return;
    g->limits_known = true;
    plan_first_step(g);   /* in the generator's arena, not the plans' below */
    g->step_temps = 1;
    g->step_inputs = 1;
    for (int f = 0; f < g->ir->nfeatures; f++) {
        const ir_feature *feature = &g->ir->features[f];
        if (g->plain[f] >= 0)
            continue;
        if (feature_inputs(feature) > g->step_inputs)
            g->step_inputs = feature_inputs(feature);
        if (!simple_read(g, f))
            continue;
        arena scratch;
        arena_init(&scratch);
        arena *kept = g->arena;
        g->arena = &scratch;
        read_plan pl;
        plan_feature(g, &pl, f);
        plan_done(g, &pl);
        g->arena = kept;
        arena_free(&scratch);
        if (pl.ntemps > g->step_temps)
            g->step_temps = pl.ntemps;
    }
}

/* Value v of a reader, as its comment shows it. */
static const char *plan_value_name(generator *g, const read_plan *pl, int v)
{
    return v < pl->nout ? arena_printf(g->arena, "out[%d]", v)
                        : arena_printf(g->arena, "temp[%d]", v - pl->nout);
}

/* The plan's static tables, `steps` and (if any) `inputs`. */
static void emit_plan_tables(generator *g, const read_plan *pl, const char *steps, const char *inputs)
{
    const ir_program *p = g->ir;
    emit(g, "    static const feature_step %s[%d] = {\n", steps, pl->nsteps);
    for (int s = 0; s < pl->nsteps; s++) {
        const plan_step *step = &pl->steps[s];
        const char *dest = plan_value_name(g, pl, step->dest);
        if (step->feature < 0) {
            emit(g, "        {%d, 0, -1, NULL, %d, 1},   /* %s = %s: listed again */\n", step->dest,
                 step->first, dest, plan_value_name(g, pl, pl->inputs[step->first]));
        } else if (g->plain[step->feature] >= 0) {
            emit(g, "        {%d, %d, %d, NULL, 0, 0},   /* %s %s */\n", step->dest, step->slots[0],
                 g->plain[step->feature], dest, p->features[step->feature].name);
        } else {
            emit(g, "        {%d, 0, -1, %s, %d, %d},   /* %s %s", step->dest,
                 compute_name(g, step->feature), step->first, step->count, dest,
                 p->features[step->feature].name);
            for (int i = 0; i < step->count; i++)
                emit(g, "%s%s", i ? ", " : " of ", plan_value_name(g, pl, pl->inputs[step->first + i]));
            emit(g, " */\n");
        }
    }
    emit(g, "    };\n");
    if (pl->ninputs) {
        emit(g, "    static const int %s[%d] = {", inputs, pl->ninputs);
        for (int i = 0; i < pl->ninputs; i++)
            emit(g, "%s%d", i ? ", " : "", pl->inputs[i]);
        emit(g, "};\n");
    }
}

/* The arguments of run_steps / read_computed naming the plan's tables. */
static const char *plan_arguments(generator *g, const read_plan *pl, const char *steps, const char *inputs)
{
    return arena_printf(g->arena, "%s, %d, %s", steps, pl->nsteps,
                        pl->ninputs ? inputs : "(const int *)0");
}

/* Which kernels the program uses (an unused static function is a warning). */
typedef struct kernel_use {
    bool read_plain, read_computed, run_steps;
} kernel_use;

static kernel_use kernels_used(generator *g)
{
    const ir_program *p = g->ir;
    kernel_use use = {false, false, false};
    for (int f = 0; f < p->nfeatures; f++) {
        if (simple_read(g, f))
            *(g->plain[f] >= 0 ? &use.read_plain : &use.read_computed) = true;
        use.run_steps |= g->plain[f] < 0;                 /* its read */
        use.run_steps |= p->features[f].nentities == 1;   /* its entity's reader */
    }
    for (int s = 0; s < p->nsets; s++)
        use.run_steps |= p->sets[s].nfeatures > 0;
    return use;
}

/* The types the kernels and tables share (in NAME_units.h when split). */
static void emit_kernel_types(generator *g)
{
    plan_limits(g);
    emit(g, "/* A computed feature's function: the values of the features it reads, in\n"
            " * its order (a cosine's two arguments, a derived feature's names). */\n"
            "typedef fdl_value compute_function(fdl_store *store, const fdl_value *in,\n"
            "    const fdl_value *request, fdl_time t);\n"
            "typedef compute_function *compute_fn;\n");
    if (g->nunits > 1)
        emit(g, "/* A feature's read function (fdl_feature_desc.read). */\n"
                "typedef fdl_status read_function(fdl_store *store, const fdl_value *keys,\n"
                "    const fdl_value *request, fdl_time t, fdl_value *out);\n");
    emit(g, "\n");
    emit(g, "/* A plain feature: one runtime call, then its default. */\n"
            "typedef struct plain_feature {\n"
            "    int group;          /* >= 0: fdl_group_read(store, state, group, index, t, out) */\n"
            "    int index;          /* group -1: fdl_embedding_lookup(store, index, key) */\n"
            "    bool has_default;   /* a null result reads as fallback */\n"
            "    fdl_value fallback;\n"
            "} plain_feature;\n\n");
    emit(g, "/* One feature a reader computes, once, into value `dest`: values below the\n"
            " * reader's output count are its out[], the others its temporaries. A plain\n"
            " * feature (row `plain`) reads the state and key of entity slot `slot`; a\n"
            " * computed one calls `compute` on the values inputs[first .. first+count);\n"
            " * with neither, dest is a copy of value inputs[first]. */\n"
            "typedef struct feature_step {\n"
            "    int dest;\n"
            "    int slot;\n"
            "    int plain;\n"
            "    compute_fn compute;\n"
            "    int first, count;\n"
            "} feature_step;\n\n");
    emit(g, "/* The most inputs of a computed feature; the most temporaries of a\n"
            " * one-entity computed feature's read (read_computed). */\n"
            "enum { STEP_INPUTS = %d, STEP_TEMPS = %d };\n\n", g->step_inputs, g->step_temps);
}

/* The kernels' signatures (definitions and, when split, prototypes). */
static void emit_kernel_signature(generator *g, const char *which)
{
    if (strcmp(which, "plain_read") == 0)
        emit(g, "%sfdl_status %s(fdl_store *store, fdl_entity_state *state, fdl_value key, int row,\n"
                "    fdl_time t, fdl_value *out)", linkage(g), shared(g, which));
    else if (strcmp(which, "read_plain") == 0)
        emit(g, "%sfdl_status %s(fdl_store *store, int entity, const fdl_value *keys, int row,\n"
                "    fdl_time t, fdl_value *out)", linkage(g), shared(g, which));
    else if (strcmp(which, "run_steps") == 0)
        emit(g, "%sfdl_status %s(fdl_store *store, fdl_entity_state *const *states,\n"
                "    const fdl_value *keys, const fdl_value *request, fdl_time t,\n"
                "    const feature_step *steps, int n, const int *inputs,\n"
                "    fdl_value *out, int nout, fdl_value *temp)", linkage(g), shared(g, which));
    else
        emit(g, "%sfdl_status %s(fdl_store *store, int entity, const fdl_value *keys,\n"
                "    const fdl_value *request, const feature_step *steps, int n, const int *inputs,\n"
                "    fdl_time t, fdl_value *out)", linkage(g), shared(g, which));
}

static void emit_run_steps(generator *g)
{
    emit(g, "/* Runs steps[0..n) in order (see feature_step); stops at an error. */\n");
    emit_kernel_signature(g, "run_steps");
    emit(g, "\n{\n"
            "    for (int i = 0; i < n; i++) {\n"
            "        const feature_step *step = &steps[i];\n"
            "        fdl_value *dest = step->dest < nout ? &out[step->dest] : &temp[step->dest - nout];\n");
    if (g->nplain)
        emit(g, "        if (step->plain >= 0) {\n"
                "            fdl_status status = %s(store, states[step->slot], keys[step->slot],\n"
                "                                   step->plain, t, dest);\n"
                "            if (status != FDL_OK)\n"
                "                return status;\n"
                "            continue;\n"
                "        }\n", shared(g, "plain_read"));
    else
        emit(g, "        (void)states;\n        (void)keys;\n");
    emit(g, "        fdl_value in[STEP_INPUTS];\n"
            "        /* step->count <= STEP_INPUTS, by construction */\n"
            "        for (int k = 0; k < step->count; k++) {\n"
            "            int v = inputs[step->first + k];\n"
            "            in[k] = v < nout ? out[v] : temp[v - nout];\n"
            "        }\n"
            "        *dest = step->compute ? step->compute(store, in, request, t) : in[0];\n"
            "    }\n"
            "    return FDL_OK;\n}\n\n");
}

/* The kernels: every plain feature is computed by plain_read, every reader
 * by run_steps; the read functions of one-entity features go through
 * read_plain and read_computed. */
static void emit_kernels(generator *g)
{
    kernel_use use = kernels_used(g);
    if (g->nplain) {
        emit(g, "/* Computes plain feature `row` (plain_features) for one entity. */\n");
        emit_kernel_signature(g, "plain_read");
        emit(g, "\n{\n    const plain_feature *feature = &plain_features[row];\n"
                "    if (feature->group >= 0) {\n"
                "        fdl_status status = fdl_group_read(store, state, feature->group, feature->index, t, out);\n"
                "        if (status != FDL_OK)\n            return status;\n"
                "    } else {\n"
                "        *out = fdl_embedding_lookup(store, feature->index, key);\n    }\n"
                "    if (feature->has_default && fdl_is_null(*out))\n"
                "        *out = feature->fallback;\n"
                "    return FDL_OK;\n}\n\n");
    }
    if (use.run_steps)
        emit_run_steps(g);
    const char *reset = g->scratch ? "    fdl_scratch_reset(store);\n" : "";
    const char *result = g->scratch ? "    return status == FDL_OK && fdl_scratch_failed(store) ? FDL_ERR_MEMORY : status;\n"
                                    : "    return status;\n";
    if (use.read_plain) {
        emit(g, "/* Reads plain feature `row` of one entity whose key is one column. */\n");
        emit_kernel_signature(g, "read_plain");
        if (g->scratch)
            emit(g, "\n{\n%s    fdl_entity_state *state = fdl_store_entity(store, entity, keys[0], false);\n"
                    "    fdl_status status = %s(store, state, keys[0], row, t, out);\n%s}\n\n",
                 reset, shared(g, "plain_read"), result);
        else
            emit(g, "\n{\n    fdl_entity_state *state = fdl_store_entity(store, entity, keys[0], false);\n"
                    "    return %s(store, state, keys[0], row, t, out);\n}\n\n", shared(g, "plain_read"));
    }
    if (use.read_computed) {
        emit(g, "/* Reads a computed feature of one entity whose key is one column: its\n"
                " * plan, with the feature as out[0]. */\n");
        emit_kernel_signature(g, "read_computed");
        emit(g, "\n{\n%s    fdl_value temp[STEP_TEMPS];\n"
                "    fdl_entity_state *states[1];\n"
                "    states[0] = fdl_store_entity(store, entity, keys[0], false);\n"
                "    fdl_status status = %s(store, states, keys, request, t, steps, n, inputs, out, 1, temp);\n%s}\n\n",
             reset, shared(g, "run_steps"), result);
    }
}

/* The kernels a split program's files share (NAME_units.h). */
static void emit_shared_prototypes(generator *g)
{
    kernel_use use = kernels_used(g);
    static const char *const names[] = {"plain_read", "run_steps", "read_plain", "read_computed"};
    bool used[] = {g->nplain > 0, use.run_steps, use.read_plain, use.read_computed};
    for (int i = 0; i < 4; i++)
        if (used[i]) {
            emit_kernel_signature(g, names[i]);
            emit(g, ";\n");
        }
}

/* What a split program's files share is hidden from the library's users. */
static const char visibility_push[] = "#if defined(__GNUC__)\n#pragma GCC visibility push(hidden)\n#endif\n";
static const char visibility_pop[] = "#if defined(__GNUC__)\n#pragma GCC visibility pop\n#endif\n";

/* Marks computed feature f and the computed features it reads, through any
 * depth: the compute functions its plan names. */
static void mark_computes(generator *g, int f, bool *used)
{
    if (used[f] || g->plain[f] >= 0)
        return;
    used[f] = true;
    const ir_feature *feature = &g->ir->features[f];
    for (int i = 0; i < feature_inputs(feature); i++) {
        const int *map;
        mark_computes(g, feature_input(feature, i, &map), used);
    }
}

/* In a file of a split program: the features' functions it uses that
 * other files define (compute_function and read_function, NAME_units.h):
 * NAME.c's readers may name any compute function, a read file's plans
 * those its features read. Compute files call none. */
static void emit_unit_declarations(generator *g, int unit)
{
    const ir_program *p = g->ir;
    bool any = false;
    bool *used = arena_alloc(g->arena, sizeof(bool) * (size_t)(p->nfeatures + 1));
    for (int f = 0; f < p->nfeatures; f++)
        used[f] = unit == 0 && g->plain[f] < 0;
    if (unit > 0)
        for (int f = 0; f < p->nfeatures; f++)
            if (g->read_unit[f] == unit)
                mark_computes(g, f, used);
    for (int f = 0; f < p->nfeatures; f++) {
        if (!used[f] || g->plain[f] >= 0 || g->unit[f] == unit)
            continue;
        if (!any)
            emit(g, "/* Defined in the program's other files. */\n%s", visibility_push);
        any = true;
        emit(g, "compute_function %s;\n", compute_name(g, f));
    }
    if (unit == 0)
        for (int f = 0; f < p->nfeatures; f++) {
            if (g->read_unit[f] <= 0)
                continue;
            if (!any)
                emit(g, "/* Defined in the program's other files. */\n%s", visibility_push);
            any = true;
            emit(g, "read_function %s;\n", read_name(g, f));
        }
    if (any)
        emit(g, "%s\n", visibility_pop);
}


/* A feature's place and meaning, for the comment before its code or row:
 * "FILE:LINE): DEFINITION[, default VALUE]" (the caller opened the paren). */
static void emit_feature_summary(generator *g, const ir_feature *f)
{
    emit_location(g, f->ast->name.span);
    emit(g, "): ");
    emit_comment_text(g, f->definition);
    if (f->has_default) {
        emit(g, ", default ");
        emit_comment_text(g, ir_literal_text(g->arena, &f->default_value));
    }
}

/* One row of plain_features: a plain feature's group and aggregation (or
 * embedding) and default, commented with its definition. */
static void emit_plain_row(generator *g, int fi)
{
    const ir_feature *f = &g->ir->features[fi];
    assert(g->plain[fi] >= 0 && g->plain[fi] < g->nplain);
    ir_literal none = {0};
    none.type = TYPE_NULL;
    if (f->ast->description) {
        emit(g, "    /* ");
        emit_comment_text(g, f->ast->description);
        emit(g, " */\n");
    }
    if (f->kind == IR_AGGREGATE)
        emit(g, "    {%d, %d, %s, ", f->group, f->agg, f->has_default ? "true" : "false");
    else
        emit(g, "    {-1, %s, %s, ", embedding_id(g, f->embedding), f->has_default ? "true" : "false");
    emit_value_initializer(g, f->has_default ? &f->default_value : &none);
    emit(g, "},   /* [%d] %s (", g->plain[fi], f->name);
    emit_feature_summary(g, f);
    emit(g, " */\n");
}

static void emit_plain_table(generator *g)
{
    if (!g->nplain)
        return;
    emit(g, "/* The plain features, in definition order: the window aggregations and\n"
            " * embedding lookups, each computed by plain_read. */\n");
    emit(g, "static const plain_feature plain_features[%d] = {\n", g->nplain);
    for (int f = 0; f < g->ir->nfeatures; f++)
        if (g->plain[f] >= 0)
            emit_plain_row(g, f);
    emit(g, "};\n\n");
}

/* ---------------------------------------------------------- features */

/* featN_FEATURE_compute(store, in, request, t): a computed feature from the
 * values of the features it reads (the reader computed them first), then
 * its default. Plain features have none. */
static void emit_compute(generator *g, int fi)
{
    const ir_program *p = g->ir;
    const ir_feature *f = &p->features[fi];
    if (g->plain[fi] >= 0)
        return;
    emit(g, "/* %s (", f->name);
    emit_feature_summary(g, f);
    if (f->ast->description) {
        emit(g, "\n * ");
        emit_comment_text(g, f->ast->description);
    }
    emit(g, " */\n");
    emit(g, "%sfdl_value %s(fdl_store *store, const fdl_value *in,\n"
            "    const fdl_value *request, fdl_time t)\n{\n", linkage(g), compute_name(g, fi));
    /* Not every expression reads the store (scratch), the request or the time. */
    emit(g, "    (void)store;\n    (void)request;\n    (void)t;\n");
    switch (f->kind) {
    case IR_COSINE_SIMILARITY:
        emit(g, "    fdl_value out = fdl_cosine_similarity(in[0], in[1]);   /* %s, %s */\n",
             p->features[f->args[0]].name, p->features[f->args[1]].name);
        break;
    case IR_DERIVED:
        if (f->nrefs == 0)
            emit(g, "    (void)in;\n");
        for (int i = 0; i < f->nrefs; i++)
            emit(g, "    const fdl_value %s = in[%d];\n", feat_ident(g, f->refs[i], NULL), i);
        emit(g, "    fdl_value out = %s;\n", emit_typed_body(g, NULL, f->expr, K_VALUE));
        break;
    default:
        assert(!"a plain feature has no compute function");
    }
    if (f->has_default) {
        emit(g, "    if (fdl_is_null(out))\n        out = ");
        emit_literal(g, &f->default_value);
        emit(g, ";\n");
    }
    emit(g, "    return out;\n}\n\n");
}

/* Looks up the entity states for a list of keys, then computes. */
static void emit_state_lookup(generator *g, const int *entities, int count, const char *indent)
{
    emit(g, "%sfdl_entity_state *states[%d];\n", indent, count);
    for (int e = 0; e < count; e++)
        emit(g, "%sstates[%d] = fdl_store_entity(store, %s, keys[%d], false);\n", indent, e,
             entity_id(g, entities[e]), e);
}

/* Whether any of these entities has a composite key. */
static bool any_composite(generator *g, const int *entities, int count)
{
    for (int i = 0; i < count; i++)
        if (g->ir->entities[entities[i]].nkeys > 1)
            return true;
    return false;
}

/*
 * Public reads take one value per key column (a composite key's columns in
 * order); compute functions take one key per entity. Emits `keys` built from
 * `parts` when some entity has a composite key.
 */
static void emit_key_assembly(generator *g, const int *entities, int count)
{
    emit(g, "    fdl_value keys[%d];\n", count);
    int part = 0;
    for (int i = 0; i < count; i++) {
        const ir_entity *entity = &g->ir->entities[entities[i]];
        if (entity->nkeys > 1)
            emit(g, "    keys[%d] = fdl_entity_key(store, %s, &parts[%d]);\n", i,
                 entity_id(g, entities[i]), part);
        else
            emit(g, "    keys[%d] = parts[%d];\n", i, part);
        part += entity->nkeys;
    }
}

/* Runs a reader's plan over `states`/`keys` into out[0..nout): its tables,
 * its temporaries, the call. Ends the function. */
static void emit_plan_run(generator *g, const read_plan *pl, const char *steps, const char *inputs)
{
    emit_plan_tables(g, pl, steps, inputs);
    if (pl->ntemps)
        emit(g, "    fdl_value temp[%d];\n", pl->ntemps);
    emit(g, "    fdl_status status = %s(store, states, keys, request, t,\n"
            "        %s, out, %d, %s);\n", shared(g, "run_steps"), plan_arguments(g, pl, steps, inputs),
         pl->nout, pl->ntemps ? "temp" : "(fdl_value *)0");
    emit(g, g->scratch ? "    return status == FDL_OK && fdl_scratch_failed(store) ? FDL_ERR_MEMORY : status;\n"
                       : "    return status;\n");
}

/* featN_FEATURE_read: the read function (fdl_feature_desc.read) of a
 * feature of several entities, or of an entity with a composite key. */
static void emit_read_feature(generator *g, int fi)
{
    const ir_feature *f = &g->ir->features[fi];
    assert(!simple_read(g, fi));   /* those are rows of feature_readers */
    emit(g, "/* Reads feature %s; keys:", f->name);
    for (int e = 0; e < f->nentities; e++)
        emit(g, " %s", g->ir->entities[f->entities[e]].name);
    emit(g, ". */\n");
    bool composite = any_composite(g, f->entities, f->nentities);
    emit(g, "%sfdl_status %s(fdl_store *store, const fdl_value *%s,\n"
            "    const fdl_value *request, fdl_time t, fdl_value *out)\n{\n", linkage(g),
         read_name(g, fi), composite ? "parts" : "keys");
    if (g->plain[fi] >= 0)
        emit(g, "    (void)request;\n");
    if (g->scratch)
        emit(g, "    fdl_scratch_reset(store);\n");
    if (composite)
        emit_key_assembly(g, f->entities, f->nentities);
    emit_state_lookup(g, f->entities, f->nentities, "    ");
    if (g->plain[fi] >= 0) {
        emit(g, "    fdl_status status = %s(store, states[0], keys[0], %d, t, out);\n",
             shared(g, "plain_read"), g->plain[fi]);
        emit(g, g->scratch ? "    return status == FDL_OK && fdl_scratch_failed(store) ? FDL_ERR_MEMORY : status;\n"
                           : "    return status;\n");
    } else {
        read_plan pl;
        plan_feature(g, &pl, fi);
        emit_plan_run(g, &pl, feat_ident(g, fi, "steps"), feat_ident(g, fi, "inputs"));
        plan_done(g, &pl);
    }
    emit(g, "}\n\n");
}

/* Whether some feature is read through the tables (read_feature). */
static bool any_table_read(generator *g)
{
    for (int f = 0; f < g->ir->nfeatures; f++)
        if (g->read_unit[f] < 0)
            return true;
    return false;
}

/*
 * The features of one entity with a one-column key, read alone: rows of
 * feature_readers (a plain row, or a computed feature's plan, whose tables
 * are here), run by read_feature, the program's fdl_program.read_feature.
 * Data rather than a function per feature: with 10,000 features the C
 * compiler's cost is per function.
 */
static void emit_table_reads(generator *g)
{
    const ir_program *p = g->ir;
    if (!any_table_read(g))
        return;
    const char **steps = arena_alloc(g->arena, sizeof(char *) * (size_t)(p->nfeatures + 1));
    const char **inputs = arena_alloc(g->arena, sizeof(char *) * (size_t)(p->nfeatures + 1));
    int *nsteps = arena_alloc(g->arena, sizeof(int) * (size_t)(p->nfeatures + 1));
    bool any_plan = false;
    for (int f = 0; f < p->nfeatures; f++) {
        steps[f] = inputs[f] = "NULL";
        nsteps[f] = 0;
        if (g->read_unit[f] >= 0 || g->plain[f] >= 0)
            continue;
        if (!any_plan)
            emit(g, "/* The plans of the computed features read alone (feature_readers). */\n");
        any_plan = true;
        read_plan pl;
        plan_feature(g, &pl, f);
        const char *s = feat_ident(g, f, "steps"), *in = feat_ident(g, f, "inputs");
        emit_plan_tables(g, &pl, s, in);
        steps[f] = s;
        inputs[f] = pl.ninputs ? in : "NULL";
        nsteps[f] = pl.nsteps;
        plan_done(g, &pl);
    }
    if (any_plan)
        emit(g, "\n");
    emit(g, "/* How read_feature reads each feature: of entity `entity`, plain row\n"
            " * `plain`, or else its plan. Entity -1: a feature with a read function of\n"
            " * its own (fdl_feature_desc.read), never read here. */\n"
            "typedef struct feature_reader {\n"
            "    int entity;\n"
            "    int plain;\n"
            "    const feature_step *steps;\n"
            "    int nsteps;\n"
            "    const int *inputs;\n"
            "} feature_reader;\n\n");
    emit(g, "static const feature_reader feature_readers[%d] = {\n", p->nfeatures);
    for (int f = 0; f < p->nfeatures; f++) {
        if (g->read_unit[f] >= 0)
            emit(g, "    {-1, -1, NULL, 0, NULL},");
        else
            emit(g, "    {%s, %d, %s, %d, %s},", entity_id(g, p->features[f].entities[0]), g->plain[f],
                 steps[f], nsteps[f], inputs[f]);
        emit(g, "   /* [%d] %s */\n", f, p->features[f].name);
    }
    emit(g, "};\n\n");
    emit(g, "/* fdl_program.read_feature: feature `feature` of one entity whose key is one column. */\n"
            "static fdl_status read_feature(fdl_store *store, int feature, const fdl_value *keys,\n"
            "    const fdl_value *request, fdl_time t, fdl_value *out)\n{\n"
            "    const feature_reader *reader = &feature_readers[feature];\n");
    kernel_use use = kernels_used(g);
    if (use.read_plain)
        emit(g, "    if (reader->plain >= 0)\n"
                "        return %s(store, reader->entity, keys, reader->plain, t, out);\n",
             shared(g, "read_plain"));
    if (use.read_computed)
        emit(g, "    return %s(store, reader->entity, keys, request, reader->steps, reader->nsteps,\n"
                "        reader->inputs, t, out);\n}\n\n", shared(g, "read_computed"));
    else
        emit(g, "    (void)request;\n    return FDL_ERR_ARGUMENT;   /* no computed feature is read here */\n}\n\n");
}

static void emit_read_set(generator *g, int si)
{
    const ir_set *set = &g->ir->sets[si];
    emit(g, "/* Feature set %s (", set->name);
    emit_location(g, set->span);
    emit(g, "). */\n");
    bool composite = any_composite(g, set->entities, set->nentities);
    emit(g, "fdl_status %s_read_set_%s(fdl_store *store, const fdl_value *%s,\n"
            "    const fdl_value *set_request, fdl_time t, fdl_value *out)\n{\n", g->name, set->name,
         composite ? "parts" : "keys");
    if (set->nrequests == 0) {
        emit(g, "    (void)set_request;\n    const fdl_value *request = (const fdl_value *)0;\n");
    } else {
        /* The set's request fields, in its order, placed at the program's slots. */
        emit(g, "    fdl_value request[%d];\n", g->ir->nrequests);
        emit(g, "    for (int i = 0; i < %d; i++)\n        request[i] = fdl_null();\n", g->ir->nrequests);
        for (int r = 0; r < set->nrequests; r++)
            emit(g, "    request[%d] = fdl_request_value(set_request, %d);   /* %s */\n",
                 set->requests[r], r, g->ir->requests[set->requests[r]].name);
    }
    if (set->nfeatures == 0) {
        emit(g, "    (void)request;\n    (void)store;\n    (void)%s;\n    (void)t;\n    (void)out;\n"
                "    return FDL_OK;\n}\n\n", composite ? "parts" : "keys");
        return;
    }
    if (g->scratch)
        emit(g, "    fdl_scratch_reset(store);\n");
    if (composite)
        emit_key_assembly(g, set->entities, set->nentities);
    emit_state_lookup(g, set->entities, set->nentities, "    ");
    read_plan pl;
    plan_reader(g, &pl, set->features, set->nfeatures, set->entities, set->nentities);
    emit_plan_run(g, &pl, set_ident(g, si, "steps"), set_ident(g, si, "inputs"));
    plan_done(g, &pl);
    emit(g, "}\n\n");
}

static void emit_read_entity(generator *g, int e)
{
    const ir_program *p = g->ir;
    int *features = arena_alloc(g->arena, sizeof(int) * (size_t)(p->nfeatures + 1));
    int count = 0;
    for (int f = 0; f < p->nfeatures; f++)
        if (p->features[f].nentities == 1 && p->features[f].entities[0] == e)
            features[count++] = f;
    emit(g, "/* Every feature of entity %s alone. */\n", p->entities[e].name);
    bool composite = p->entities[e].nkeys > 1;
    emit(g, "fdl_status %s_read_entity_%s(fdl_store *store, %s, fdl_time t,\n"
            "    fdl_value *out)\n{\n", g->name, p->entities[e].name,
         composite ? "const fdl_value *parts" : "fdl_value key");
    if (count == 0) {
        emit(g, "    (void)store;\n    (void)%s;\n    (void)t;\n    (void)out;\n    return FDL_OK;\n}\n\n",
             composite ? "parts" : "key");
        return;
    }
    if (g->scratch)
        emit(g, "    fdl_scratch_reset(store);\n");
    if (composite) {
        emit(g, "    fdl_value key = fdl_entity_key(store, %s, parts);\n", entity_id(g, e));
    }
    emit(g, "    const fdl_value *keys = &key;\n");
    emit(g, "    const fdl_value *request = (const fdl_value *)0;   /* request fields read as null */\n");
    emit(g, "    fdl_entity_state *states[1];\n");
    emit(g, "    states[0] = fdl_store_entity(store, %s, key, false);\n", entity_id(g, e));
    int entity[1] = {e};
    read_plan pl;
    plan_reader(g, &pl, features, count, entity, 1);
    emit_plan_run(g, &pl, ent_ident(g, e, "steps"), ent_ident(g, e, "inputs"));
    plan_done(g, &pl);
    emit(g, "}\n\n");
}

static void emit_tables(generator *g)
{
    const ir_program *p = g->ir;
    emit(g, "/* ------------------------------------------------------------ tables */\n\n");
    if (p->nentities) {
        for (int e = 0; e < p->nentities; e++) {
            const ir_entity *entity = &p->entities[e];
            emit(g, "static const char *const %s[] = {", ent_ident(g, e, "keys"));
            for (int k = 0; k < entity->nkeys; k++) {
                emit(g, k ? ", " : "");
                emit_cstring(g, entity->join_keys[k]);
            }
            emit(g, "};\nstatic const fdl_type %s[] = {", ent_ident(g, e, "key_types"));
            for (int k = 0; k < entity->nkeys; k++)
                emit(g, "%s%s", k ? ", " : "", fdl_type_constant(entity->key_types[k]));
            emit(g, "};\n");
        }
        emit(g, "\nstatic const fdl_entity_desc entities[] = {\n");
        for (int e = 0; e < p->nentities; e++) {
            emit(g, "    {");
            emit_cstring(g, p->entities[e].name);
            emit(g, ", ");
            emit_cstring(g, p->entities[e].join_key);
            emit(g, ", %s, %d, %s, %s},\n", fdl_type_constant(p->entities[e].key_type),
                 p->entities[e].nkeys, ent_ident(g, e, "keys"), ent_ident(g, e, "key_types"));
        }
        emit(g, "};\n\n");
    }
    for (int s = 0; s < p->nsources; s++) {
        const ir_source *src = &p->sources[s];
        emit(g, "static const fdl_field_desc %s[] = {\n", src_ident(g, s, "fields"));
        for (int f = 0; f < src->nfields; f++) {
            emit(g, "    {");
            emit_cstring(g, src->fields[f].name);
            emit(g, ", %s},\n", fdl_type_constant(src->fields[f].type));
        }
        emit(g, "};\n\n");
    }
    for (int s = 0; s < p->nsources; s++) {
        const ir_source *src = &p->sources[s];
        emit(g, "/* Checks of source %s, in the order %s runs them. */\n", src->name,
             src_ident(g, s, "check"));
        emit(g, "static const fdl_check_desc %s[] = {\n", src_ident(g, s, "checks"));
        for (int k = 0; k < src->nchecks; k++) {
            const ir_check *check = &src->checks[k];
            char low[40], high[40];
            ir_format_double(check->has_low ? check->low : 0, low, sizeof low);
            ir_format_double(check->has_high ? check->high : 0, high, sizeof high);
            emit(g, "    {%s, %d, %s, ", check_kind_constant(check), check->field,
                 policy_constant(check->policy));
            emit_cstring(g, check->text);
            emit(g, ", ");
            emit_cstring(g, check->pattern);
            emit(g, ", INT64_C(%" PRId64 ") * FDL_MICROS_PER_SECOND, %d, %d, %s, %s, %s, %s},\n",
                 check->seconds, check->reference, check->embedding, check->has_low ? "true" : "false",
                 check->has_high ? "true" : "false", low, high);
        }
        emit(g, "};\n");
        if (src->sla_max_null_ratio) {
            emit(g, "static const double %s[] = {", src_ident(g, s, "max_null_ratio"));
            for (int f = 0; f < src->nfields; f++) {
                char number[40];
                ir_format_double(src->sla_max_null_ratio[f], number, sizeof number);
                emit(g, "%s%s", f ? ", " : "", number);
            }
            emit(g, "};\n");
        }
        emit(g, "\n");
    }
    if (p->nsources) {
        emit(g, "static const fdl_source_desc sources[] = {\n");
        for (int s = 0; s < p->nsources; s++) {
            const ir_source *src = &p->sources[s];
            char pass_rate[40];
            ir_format_double(src->sla_pass_rate, pass_rate, sizeof pass_rate);
            emit(g, "    {");
            emit_cstring(g, src->name);
            emit(g, ", %d, %s, %d,\n     %s, %s, %s,\n     %d, %s,\n"
                    "     {%s, INT64_C(%" PRId64 "), %s},\n     %s},\n",
                 src->nfields, src_ident(g, s, "fields"), src->time_field, src_ident(g, s, "ingest_row"),
                 src_ident(g, s, "check_row"), src_ident(g, s, "push_row"), src->nchecks,
                 src_ident(g, s, "checks"), pass_rate, src->sla_min_rows,
                 src->sla_max_null_ratio ? src_ident(g, s, "max_null_ratio") : "NULL",
                 src_ident(g, s, "push_values"));
        }
        emit(g, "};\n\n");
    }
    if (p->nreferences) {
        emit(g, "/* The (source, field) pairs exists_in expectations look values up in. */\n");
        emit(g, "static const fdl_reference_desc references[] = {\n");
        for (int r = 0; r < p->nreferences; r++)
            emit(g, "    {%s, %d},   /* %s.%s */\n", source_id(g, p->references[r].source),
                 p->references[r].field, p->sources[p->references[r].source].name,
                 p->sources[p->references[r].source].fields[p->references[r].field].name);
        emit(g, "};\n\n");
    }
    if (p->nembeddings) {
        emit(g, "static const fdl_embedding_desc embeddings[] = {\n");
        for (int e = 0; e < p->nembeddings; e++) {
            emit(g, "    {");
            emit_cstring(g, p->embeddings[e].name);
            emit(g, ", %s, %d, ", entity_id(g, p->embeddings[e].entity),
                 p->embeddings[e].dimension);
            emit_cstring(g, p->embeddings[e].path);
            emit(g, "},\n");
        }
        emit(g, "};\n\n");
    }
    for (int gi = 0; gi < p->ngroups; gi++) {
        const ir_group *grp = &p->groups[gi];
        for (int a = 0; a < grp->naggs; a++) {
            if (grp->aggs[a].npercentiles == 0)
                continue;
            emit(g, "static const double group_%d_agg_%d_percentiles[] = {", gi, a);
            for (int i = 0; i < grp->aggs[a].npercentiles; i++) {
                char number[40];
                ir_format_double(grp->aggs[a].percentiles[i], number, sizeof number);
                emit(g, "%s%s", i ? ", " : "", number);
            }
            emit(g, "};\n");
        }
        emit(g, "static const fdl_agg_desc group_%d_aggs[] = {\n", gi);
        for (int a = 0; a < grp->naggs; a++) {
            char percentile[40];
            ir_format_double(grp->aggs[a].percentile, percentile, sizeof percentile);
            const char *list = grp->aggs[a].npercentiles
                ? arena_printf(g->arena, "%d, group_%d_agg_%d_percentiles", grp->aggs[a].npercentiles, gi, a)
                : "0, NULL";
            emit(g, "    {%s, INT64_C(%" PRId64 ") * FDL_MICROS_PER_SECOND, %s, %" PRId64 ", %s, %s},\n",
                 agg_constant(grp->aggs[a].function), grp->aggs[a].window_seconds,
                 fdl_type_constant(grp->aggs[a].result), grp->aggs[a].k, percentile, list);
        }
        emit(g, "};\n\n");
    }
    if (p->ngroups) {
        emit(g, "static const fdl_group_desc groups[] = {\n");
        for (int gi = 0; gi < p->ngroups; gi++) {
            const ir_group *grp = &p->groups[gi];
            const ir_source *src = &p->sources[grp->source];
            const char *description = grp->field < 0
                ? arena_printf(g->arena, "%s%s%s", src->name, grp->where ? " where " : "", grp->where_text)
                : arena_printf(g->arena, "%s.%s%s%s%s%s", src->name, src->fields[grp->field].name,
                               grp->by_field < 0 ? "" : " by ",
                               grp->by_field < 0 ? "" : src->fields[grp->by_field].name,
                               grp->where ? " where " : "", grp->where_text);
            emit(g, "    {");
            emit_cstring(g, description);
            emit(g, ", %s, %s, %s, %d, group_%d_aggs, %s, ",
                 entity_id(g, grp->entity), source_id(g, src_index(g, src)),
                 fdl_type_constant(grp->value_type), grp->naggs, gi,
                 fdl_type_constant(grp->by_type));
            /* hop: 0 for exact sliding windows, else the tile length */
            if (grp->hop_seconds)
                emit(g, "INT64_C(%" PRId64 ") * FDL_MICROS_PER_SECOND},\n", grp->hop_seconds);
            else
                emit(g, "0},\n");
        }
        emit(g, "};\n\n");
    }
    bool single = false;
    for (int f = 0; f < p->nfeatures; f++)
        single |= p->features[f].nentities == 1;
    if (single) {
        emit(g, "/* The entity list of every feature of one entity: &single_entity[E]. */\n");
        emit(g, "static const int single_entity[] = {");
        for (int e = 0; e < p->nentities; e++)
            emit(g, "%s%s", e ? ", " : "", entity_id(g, e));
        emit(g, "};\n");
    }
    for (int f = 0; f < p->nfeatures; f++) {
        if (p->features[f].nentities > 1) {
            emit(g, "static const int %s[] = {", feat_ident(g, f, "entities"));
            for (int e = 0; e < p->features[f].nentities; e++)
                emit(g, "%s%s", e ? ", " : "", entity_id(g, p->features[f].entities[e]));
            emit(g, "};\n");
        }
        if (p->features[f].nrequests) {
            emit(g, "static const int %s[] = {", feat_ident(g, f, "requests"));
            for (int r = 0; r < p->features[f].nrequests; r++)
                emit(g, "%s%d", r ? ", " : "", p->features[f].requests[r]);
            emit(g, "};\n");
        }
    }
    if (p->nfeatures) {
        emit(g, "\nstatic const fdl_feature_desc features[] = {\n");
        for (int f = 0; f < p->nfeatures; f++) {
            const ir_feature *feature = &p->features[f];
            emit(g, "    {");
            emit_cstring(g, feature->name);
            const char *entities = feature->nentities == 1
                ? arena_printf(g->arena, "&single_entity[%s]", entity_id(g, feature->entities[0]))
                : feat_ident(g, f, "entities");
            emit(g, ", %s, %d, %d, %s, ", fdl_type_constant(feature->type.kind),
                 feature->type.dim, feature->nentities, entities);
            emit_cstring(g, feature->ast->description);
            emit(g, ", %s, %d, %s},\n", g->read_unit[f] < 0 ? "NULL" : read_name(g, f),
                 feature->nrequests,
                 feature->nrequests ? feat_ident(g, f, "requests") : "NULL");
        }
        emit(g, "};\n\n");
    }
    for (int s = 0; s < p->nsets; s++) {
        const ir_set *set = &p->sets[s];
        emit(g, "static const int %s[] = {", set_ident(g, s, "features"));
        for (int f = 0; f < set->nfeatures; f++)
            emit(g, "%s%d", f ? ", " : "", set->features[f]);
        emit(g, "};\nstatic const int %s[] = {", set_ident(g, s, "entities"));
        for (int e = 0; e < set->nentities; e++)
            emit(g, "%s%s", e ? ", " : "", entity_id(g, set->entities[e]));
        emit(g, "};\n");
        if (set->nrequests) {
            emit(g, "static const int %s[] = {", set_ident(g, s, "requests"));
            for (int r = 0; r < set->nrequests; r++)
                emit(g, "%s%d", r ? ", " : "", set->requests[r]);
            emit(g, "};\n");
        }
    }
    if (p->nsets) {
        emit(g, "\nstatic const fdl_set_desc sets[] = {\n");
        for (int s = 0; s < p->nsets; s++) {
            const ir_set *set = &p->sets[s];
            emit(g, "    {");
            emit_cstring(g, set->name);
            emit(g, ", %d, %s, %d, %s,\n     %s_read_set_%s, %d, %s},\n", set->nfeatures,
                 set_ident(g, s, "features"), set->nentities, set_ident(g, s, "entities"), g->name,
                 set->name, set->nrequests, set->nrequests ? set_ident(g, s, "requests") : "NULL");
        }
        emit(g, "};\n\n");
    }
    if (p->nrequests) {
        emit(g, "/* Request-time fields of all sets, read by request.NAME. */\n");
        emit(g, "static const fdl_field_desc requests[] = {\n");
        for (int r = 0; r < p->nrequests; r++) {
            emit(g, "    {");
            emit_cstring(g, p->requests[r].name);
            emit(g, ", %s},\n", fdl_type_constant(p->requests[r].type));
        }
        emit(g, "};\n\n");
    }
    emit(g, "static const fdl_program program = {\n");
    emit(g, "    FDL_ABI_VERSION,\n    ");
    emit_cstring(g, g->name);
    emit(g, ",\n    \"%s\",\n", p->fingerprint);
    emit(g, "    %d, %s,\n", p->nentities, p->nentities ? "entities" : "NULL");
    emit(g, "    %d, %s,\n", p->nsources, p->nsources ? "sources" : "NULL");
    emit(g, "    %d, %s,\n", p->nembeddings, p->nembeddings ? "embeddings" : "NULL");
    emit(g, "    %d, %s,\n", p->ngroups, p->ngroups ? "groups" : "NULL");
    emit(g, "    %d, %s,\n", p->nfeatures, p->nfeatures ? "features" : "NULL");
    emit(g, "    %d, %s,\n", p->nsets, p->nsets ? "sets" : "NULL");
    emit(g, "    %d, %s,\n", p->nrequests, p->nrequests ? "requests" : "NULL");
    emit(g, "    %d, %s,\n", p->nreferences, p->nreferences ? "references" : "NULL");
    emit(g, "    %s,\n", any_table_read(g) ? "read_feature" : "NULL");
    emit(g, "};\n\n");
    emit(g, "const fdl_program *%s_program(void)\n{\n    return &program;\n}\n", g->name);
}

/* The enum constants of entities, sources and embeddings. */
static void emit_enums(generator *g)
{
    const ir_program *p = g->ir;
    if (p->nentities) {
        emit(g, "enum {");
        for (int e = 0; e < p->nentities; e++)
            emit(g, "%s %s = %d", e ? "," : "", entity_id(g, e), e);
        emit(g, " };\n");
    }
    if (p->nsources) {
        emit(g, "enum {");
        for (int s = 0; s < p->nsources; s++)
            emit(g, "%s %s = %d", s ? "," : "", source_id(g, s), s);
        emit(g, " };\n");
    }
    if (p->nembeddings) {
        emit(g, "enum {");
        for (int e = 0; e < p->nembeddings; e++)
            emit(g, "%s %s = %d", e ? "," : "", embedding_id(g, e), e);
        emit(g, " };\n");
    }
}

/* NAME.c: the whole program, or, when split, all but the features' functions. */
static void emit_source_file(generator *g)
{
    const ir_program *p = g->ir;
    emit_banner(g, arena_printf(g->arena, "%s.c", g->name));
    if (g->nunits > 1) {
        emit(g, "#include \"%s_units.h\"\n", g->name);
    } else {
        emit(g, "#include \"%s.h\"\n\n", g->name);
        emit_enums(g);
    }
    emit(g, "\n/* ------------------------------------------------------------ ingest */\n\n");
    for (int s = 0; s < p->nsources; s++)
        emit_ingest(g, s);
    emit(g, "/* -------------------------------------------------------------- read */\n\n");
    if (g->nunits == 1)
        emit_kernel_types(g);
    emit_plain_table(g);
    emit_kernels(g);
    if (g->nunits > 1)
        emit_unit_declarations(g, 0);
    for (int f = 0; f < p->nfeatures; f++)
        if (g->unit[f] == 0)
            emit_compute(g, f);
    emit_table_reads(g);
    for (int f = 0; f < p->nfeatures; f++)
        if (g->read_unit[f] == 0)
            emit_read_feature(g, f);
    for (int s = 0; s < p->nsets; s++)
        emit_read_set(g, s);
    for (int e = 0; e < p->nentities; e++)
        emit_read_entity(g, e);
    emit_tables(g);
}

/* NAME_K.c, K >= 1, of a split program: the functions of its features. */
static void emit_unit_file(generator *g, int unit)
{
    const ir_program *p = g->ir;
    assert(unit >= 1 && unit < g->nunits);
    emit_banner(g, arena_printf(g->arena, "%s_%d.c", g->name, unit));
    emit(g, "#include \"%s_units.h\"\n\n", g->name);
    emit_unit_declarations(g, unit);
    for (int f = 0; f < p->nfeatures; f++)
        if (g->unit[f] == unit)
            emit_compute(g, f);
    for (int f = 0; f < p->nfeatures; f++)
        if (g->read_unit[f] == unit)
            emit_read_feature(g, f);
}

/* NAME_units.h: what the files of a split program share. */
static void emit_units_header(generator *g)
{
    const char *n = g->name;
    emit_banner(g, arena_printf(g->arena, "%s_units.h", n));
    emit(g, "/* Private to the program's files NAME.c, NAME_1.c...: not an API. */\n");
    emit(g, "#ifndef FDL_GENERATED_%s_UNITS_H\n#define FDL_GENERATED_%s_UNITS_H\n\n", n, n);
    emit(g, "#include \"%s.h\"\n\n", n);
    emit_enums(g);
    emit(g, "\n");
    emit_kernel_types(g);
    emit(g, "/* Shared by the files only: hidden from the library's users. */\n%s", visibility_push);
    emit_shared_prototypes(g);
    emit(g, "%s\n#endif\n", visibility_pop);
}

/*
 * A vector feature's dimension in the manifest: its type's, and for
 * first_k/last_k (whose type leaves it open) k, the most it holds, with
 * "dimension_varies": fewer events give a shorter vector.
 */
static void manifest_dimension(const ir_program *p, const ir_feature *f, FILE *out)
{
    int64_t k = 0;
    if (f->kind == IR_AGGREGATE && f->type.dim == 0) {
        const ir_agg *agg = &p->groups[f->group].aggs[f->agg];
        if (agg->function == AGG_FIRST_K || agg->function == AGG_LAST_K)
            k = agg->k;
    }
    if (k > 0)
        fprintf(out, ", \"dimension\": %" PRId64 ", \"dimension_varies\": true", k);
    else
        fprintf(out, ", \"dimension\": %d", f->type.dim);
}

/* -------------------------------------------------------------- manifest */

static void json_string(FILE *out, const char *s)
{
    if (!s) {
        fputs("null", out);
        return;
    }
    fdl_json_write_string(out, s, strlen(s));    /* valid UTF-8 whatever the names hold */
}

void cg_manifest(const ir_program *p, const char *name, FILE *out)
{
    fprintf(out, "{\n  \"fdlc_version\": \"%s\",\n  \"name\": ", FDL_VERSION);
    json_string(out, name);
    fprintf(out, ",\n  \"fingerprint\": \"%s\",\n  \"c_files\": [", p->fingerprint);
    /* The C files to compile and link (NAME.h and, when split, NAME_units.h
     * beside them), for build systems. */
    arena a;
    arena_init(&a);
    int nunits = cg_source_count(p, &a);
    arena_free(&a);
    for (int unit = 0; unit < nunits; unit++) {
        fputs(unit ? ", " : "", out);
        char *file = unit ? arena_printf(&a, "%s_%d.c", name, unit) : arena_printf(&a, "%s.c", name);
        json_string(out, file);
    }
    arena_free(&a);
    fputs("],\n  \"entities\": [", out);
    for (int e = 0; e < p->nentities; e++) {
        fprintf(out, "%s\n    {\"name\": ", e ? "," : "");
        json_string(out, p->entities[e].name);
        fputs(", \"join_key\": ", out);
        json_string(out, p->entities[e].join_key);
        fprintf(out, ", \"key_type\": \"%s\"}", type_name(p->entities[e].key_type));
    }
    fputs("\n  ],\n  \"sources\": [", out);
    for (int s = 0; s < p->nsources; s++) {
        const ir_source *src = &p->sources[s];
        fprintf(out, "%s\n    {\"name\": ", s ? "," : "");
        json_string(out, src->name);
        fputs(", \"timestamp\": ", out);
        json_string(out, src->fields[src->time_field].name);
        fputs(", \"fields\": [", out);
        for (int f = 0; f < src->nfields; f++) {
            fprintf(out, "%s{\"name\": ", f ? ", " : "");
            json_string(out, src->fields[f].name);
            fprintf(out, ", \"type\": \"%s\"}", type_name(src->fields[f].type));
        }
        fputs("]", out);
        if (src->retention_seconds > 0) {   /* only when declared: documentation */
            char retention[32];
            ir_duration_text(src->retention_seconds, retention, sizeof retention);
            fprintf(out, ", \"retention\": \"%s\", \"retention_seconds\": %" PRId64, retention,
                    src->retention_seconds);
        }
        fputs("}", out);
    }
    fputs("\n  ],\n  \"embeddings\": [", out);
    for (int e = 0; e < p->nembeddings; e++) {
        fprintf(out, "%s\n    {\"name\": ", e ? "," : "");
        json_string(out, p->embeddings[e].name);
        fputs(", \"entity\": ", out);
        json_string(out, p->entities[p->embeddings[e].entity].name);
        fprintf(out, ", \"dimension\": %d, \"path\": ", p->embeddings[e].dimension);
        json_string(out, p->embeddings[e].path);
        fputs("}", out);
    }
    fputs("\n  ],\n  \"features\": [", out);
    /* Per feature: what its values mean, for `fdlc diff` (ir.h). */
    char (*fingerprints)[65] = arena_alloc(&a, sizeof *fingerprints * (size_t)(p->nfeatures + 1));
    ir_feature_fingerprints(&a, p, fingerprints);
    for (int i = 0; i < p->nfeatures; i++) {
        const ir_feature *f = &p->features[i];
        fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
        json_string(out, f->name);
        fprintf(out, ", \"fingerprint\": \"%s\"", fingerprints[i]);
        fprintf(out, ", \"type\": \"%s\"", type_name(f->type.kind));
        if (f->type.kind == TYPE_VECTOR)
            manifest_dimension(p, f, out);
        fputs(", \"entities\": [", out);
        for (int e = 0; e < f->nentities; e++) {
            fputs(e ? ", " : "", out);
            json_string(out, p->entities[f->entities[e]].name);
        }
        fputs("], \"definition\": ", out);
        json_string(out, f->definition);
        fputs(", \"description\": ", out);
        json_string(out, f->ast->description);
        fputs(", \"tags\": [", out);
        for (int t = 0; t < f->ast->ntags; t++) {
            fputs(t ? ", " : "", out);
            json_string(out, f->ast->tags[t]);
        }
        fprintf(out, "], \"online_compute\": %s}", f->ast->online_compute ? "true" : "false");
    }
    fputs("\n  ],\n  \"feature_sets\": [", out);
    for (int s = 0; s < p->nsets; s++) {
        fprintf(out, "%s\n    {\"name\": ", s ? "," : "");
        json_string(out, p->sets[s].name);
        fputs(", \"entities\": [", out);
        for (int e = 0; e < p->sets[s].nentities; e++) {
            fputs(e ? ", " : "", out);
            json_string(out, p->entities[p->sets[s].entities[e]].name);
        }
        fputs("], \"features\": [", out);
        for (int f = 0; f < p->sets[s].nfeatures; f++) {
            fputs(f ? ", " : "", out);
            json_string(out, p->features[p->sets[s].features[f]].name);
        }
        fputs("]}", out);
    }
    fputs("\n  ]\n}\n", out);
    arena_free(&a);
}

void cg_header(const ir_program *p, const source_set *sources, arena *a, const char *name, FILE *out)
{
    generator g;
    generator_init(&g, p, sources, a, name, out);
    emit_header(&g);
}

/* A generator for the source files: scratch decided for the whole program. */
static void source_generator(generator *g, const ir_program *p, const source_set *sources, arena *a,
                             const char *name, FILE *out)
{
    generator_init(g, p, sources, a, name, out);
    for (int i = 0; i < p->ngroups; i++)
        g->scratch |= expr_uses(p->groups[i].where, FN_SCRATCH);
    for (int i = 0; i < p->nfeatures; i++)
        g->scratch |= expr_uses(p->features[i].expr, FN_SCRATCH);
    for (int i = 0; i < p->nentities; i++)
        g->scratch |= p->entities[i].nkeys > 1;   /* fdl_entity_key builds keys in scratch */
}

int cg_source_count(const ir_program *p, arena *a)
{
    generator g;
    generator_init(&g, p, NULL, a, "features", NULL);
    return g.nunits;
}

int cg_source_level(const ir_program *p, arena *a, int unit)
{
    generator g;
    generator_init(&g, p, NULL, a, "features", NULL);
    assert(unit >= 0 && unit < g.nunits);
    /* -O0 for the features' files: their functions are one-line calls of
     * the kernels and derived expressions made of runtime calls on tagged
     * values, which -O1 or -O2 barely speed up but compile 3x and 5x
     * slower (measured in bench/README.md, "Compiling many features"). */
    return unit == 0 ? 2 : 0;
}

void cg_source_unit(const ir_program *p, const source_set *sources, arena *a, const char *name,
                    int unit, FILE *out)
{
    generator g;
    source_generator(&g, p, sources, a, name, out);
    assert(unit >= 0 && unit < g.nunits);
    if (unit == 0)
        emit_source_file(&g);
    else
        emit_unit_file(&g, unit);
}

void cg_source(const ir_program *p, const source_set *sources, arena *a, const char *name, FILE *out)
{
    cg_source_unit(p, sources, a, name, 0, out);
}

void cg_units_header(const ir_program *p, const source_set *sources, arena *a, const char *name,
                     FILE *out)
{
    generator g;
    source_generator(&g, p, sources, a, name, out);
    assert(g.nunits > 1);
    emit_units_header(&g);
}
