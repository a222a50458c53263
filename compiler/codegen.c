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
        g->unit[f] = g->read_unit[f] = 0;
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
        if (count++ % READS_PER_FILE == 0)
            g->nunits++;
        g->read_unit[f] = g->nunits - 1;
    }
    assert(g->nunits > g->ncompute_units + 1);   /* NAME.c, compute files, read files */
}

/* The tag spellings for library `name`: none is NAME's leading letters when
 * a digit follows them (see above). */
static void generator_init(generator *g, const ir_program *p, const source_set *sources, arena *a,
                           const char *name, FILE *out)
{
    assert(cg_library_name_problem(name) == NULL);
    *g = (generator){p, sources, name, out, a, false, {0}, NULL, 0, NULL, NULL, 1, 0};
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
    static const char *names[AGG_FUNCTION_COUNT] = {
        "FDL_AGG_COUNT", "FDL_AGG_SUM", "FDL_AGG_MEAN", "FDL_AGG_MIN", "FDL_AGG_MAX",
        "FDL_AGG_FIRST", "FDL_AGG_LAST", "FDL_AGG_VARIANCE", "FDL_AGG_STDDEV",
        "FDL_AGG_COUNT_DISTINCT", "FDL_AGG_FIRST_K", "FDL_AGG_LAST_K", "FDL_AGG_PERCENTILE",
        "FDL_AGG_APPROX_PERCENTILE", "FDL_AGG_APPROX_COUNT_DISTINCT", "FDL_AGG_TOP_K",
        "FDL_AGG_MIN_BY", "FDL_AGG_MAX_BY",
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
        emit(g, "    if (!fdl_is_true(");
        emit_expr(g, src, check->expr);
        emit(g, ")) {\n");
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
                    emit(g, "    if (status == FDL_OK && fdl_is_true(");
                    emit_expr(g, src, grp->where);
                    emit(g, "))\n");
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

static void emit_ingest(generator *g, int s)
{
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

/* Which kernels the program uses (an unused static function is a warning). */
typedef struct kernel_use {
    bool read_plain, read_computed, call_features;
} kernel_use;

/* Whether feature fi, read by a caller over `entities`, has its keys side by
 * side there (then one row of a feature_call table computes it); its first
 * key's place in *slot. */
static bool contiguous_slots(generator *g, int fi, const int *entities, int nentities, int *slot)
{
    const ir_feature *f = &g->ir->features[fi];
    int first = -1;
    for (int e = 0; e < f->nentities; e++) {
        int at = -1;
        for (int k = 0; k < nentities; k++)
            if (entities[k] == f->entities[e])
                at = k;
        if (e == 0)
            first = at;
        else if (at != first + e)
            return false;
    }
    *slot = first;
    return first >= 0;
}

static kernel_use kernels_used(generator *g)
{
    const ir_program *p = g->ir;
    kernel_use use = {false, false, false};
    for (int f = 0; f < p->nfeatures; f++) {
        if (simple_read(g, f))
            *(g->plain[f] >= 0 ? &use.read_plain : &use.read_computed) = true;
        use.call_features |= p->features[f].nentities == 1;   /* its entity's reader */
    }
    for (int s = 0; s < p->nsets; s++)
        for (int i = 0; i < p->sets[s].nfeatures; i++) {
            int slot;
            use.call_features |= contiguous_slots(g, p->sets[s].features[i], p->sets[s].entities,
                                                  p->sets[s].nentities, &slot);
        }
    return use;
}

/* The types the kernels and tables share (in NAME_units.h when split). */
static void emit_kernel_types(generator *g)
{
    emit(g, "/* A feature's compute function: states and keys in its entity order. */\n"
            "typedef fdl_status compute_function(fdl_store *store, fdl_entity_state *const *states,\n"
            "    const fdl_value *keys, const fdl_value *request, fdl_time t, fdl_value *out);\n"
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
    emit(g, "/* One feature a set or entity reader computes, into the next value of out:\n"
            " * plain row `plain`, or else `compute`; its states and keys start at `slot`\n"
            " * of the reader's. */\n"
            "typedef struct feature_call {\n"
            "    int slot;\n"
            "    int plain;\n"
            "    compute_fn compute;\n"
            "} feature_call;\n\n");
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
    else
        emit(g, "%sfdl_status %s(fdl_store *store, int entity, const fdl_value *keys,\n"
                "    const fdl_value *request, compute_fn compute, fdl_time t, fdl_value *out)",
             linkage(g), shared(g, which));
}

/* The kernels: every plain feature is computed by plain_read; the read
 * functions of one-entity features and the set and entity readers go
 * through read_plain, read_computed and call_features. */
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
        emit(g, "/* Reads a computed feature of one entity whose key is one column. */\n");
        emit_kernel_signature(g, "read_computed");
        emit(g, "\n{\n%s    fdl_entity_state *states[1];\n"
                "    states[0] = fdl_store_entity(store, entity, keys[0], false);\n"
                "    fdl_status status = compute(store, states, keys, request, t, out);\n%s}\n\n",
             reset, result);
    }
    if (use.call_features) {
        emit(g, "/* Computes calls[0..n) into out[0..n), in order; stops at an error. */\n"
                "static fdl_status call_features(fdl_store *store, fdl_entity_state *const *states,\n"
                "    const fdl_value *keys, const fdl_value *request, fdl_time t,\n"
                "    const feature_call *calls, int n, fdl_value *out)\n{\n"
                "    for (int i = 0; i < n; i++) {\n"
                "        const feature_call *call = &calls[i];\n"
                "        fdl_status status = call->compute\n"
                "            ? call->compute(store, &states[call->slot], &keys[call->slot], request, t, &out[i])\n");
        if (g->nplain)
            emit(g, "            : %s(store, states[call->slot], keys[call->slot], call->plain, t, &out[i]);\n",
                 shared(g, "plain_read"));
        else
            emit(g, "            : FDL_ERR_ARGUMENT;   /* no plain features: never */\n");
        emit(g, "        if (status != FDL_OK)\n            return status;\n    }\n    return FDL_OK;\n}\n\n");
    }
}

/* The kernels a split program's files share (NAME_units.h). */
static void emit_shared_prototypes(generator *g)
{
    kernel_use use = kernels_used(g);
    static const char *const names[] = {"plain_read", "read_plain", "read_computed"};
    bool used[] = {g->nplain > 0, use.read_plain, use.read_computed};
    for (int i = 0; i < 3; i++)
        if (used[i]) {
            emit_kernel_signature(g, names[i]);
            emit(g, ";\n");
        }
}

/* What a split program's files share is hidden from the library's users. */
static const char visibility_push[] = "#if defined(__GNUC__)\n#pragma GCC visibility push(hidden)\n#endif\n";
static const char visibility_pop[] = "#if defined(__GNUC__)\n#pragma GCC visibility pop\n#endif\n";

/* In a file of a split program: the features' functions it uses that
 * other files define (compute_function and read_function, NAME_units.h). */
static void emit_unit_declarations(generator *g, int unit)
{
    const ir_program *p = g->ir;
    bool any = false;
    /* Each feature's users come after it: mark them in one pass. */
    bool *used = arena_alloc(g->arena, sizeof(bool) * (size_t)(p->nfeatures + 1));
    for (int f = 0; f < p->nfeatures; f++)
        used[f] = unit == 0 && g->plain[f] < 0;
    if (unit > 0)
        for (int i = 0; i < p->nfeatures; i++) {
            const ir_feature *user = &p->features[i];
            used[i] |= g->read_unit[i] == unit && g->plain[i] < 0;
            if (g->unit[i] != unit || g->plain[i] >= 0)
                continue;
            for (int r = 0; r < user->nrefs; r++)
                used[user->refs[r]] = true;
            if (user->kind == IR_COSINE_SIMILARITY)
                used[user->args[0]] = used[user->args[1]] = true;
        }
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
            if (!any)
                emit(g, "/* Defined in the program's other files. */\n%s", visibility_push);
            any = true;
            emit(g, "read_function %s;\n", read_name(g, f));
        }
    if (any)
        emit(g, "%s\n", visibility_pop);
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
    emit_location(g, f->ast->name.span);
    emit(g, "): ");
    emit_comment_text(g, f->definition);
    if (f->has_default) {
        emit(g, ", default ");
        emit_comment_text(g, ir_literal_text(g->arena, &f->default_value));
    }
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

/*
 * Calls feature ti into dest, with the caller's states and keys picked by
 * slots (target's key i is the caller's slots[i]); returns on error.
 */
static void emit_feature_call(generator *g, int ti, const int *slots, const char *dest)
{
    const ir_feature *target = &g->ir->features[ti];
    if (g->plain[ti] >= 0) {
        emit(g, "    if ((status = %s(store, states[%d], keys[%d], %d, t, %s)) != FDL_OK)\n"
                "        return status;   /* %s */\n", shared(g, "plain_read"), slots[0], slots[0],
             g->plain[ti], dest, target->name);
        return;
    }
    const char *compute = compute_name(g, ti);
    bool contiguous = true;
    for (int e = 1; e < target->nentities; e++)
        contiguous &= slots[e] == slots[e - 1] + 1;
    if (contiguous) {
        emit(g, "    if ((status = %s(store, &states[%d], &keys[%d], request, t, %s)) != FDL_OK)\n"
                "        return status;\n", compute, slots[0], slots[0], dest);
        return;
    }
    emit(g, "    {\n        fdl_entity_state *feature_states[] = {");
    for (int e = 0; e < target->nentities; e++)
        emit(g, "%sstates[%d]", e ? ", " : "", slots[e]);
    emit(g, "};\n        const fdl_value feature_keys[] = {");
    for (int e = 0; e < target->nentities; e++)
        emit(g, "%skeys[%d]", e ? ", " : "", slots[e]);
    emit(g, "};\n        if ((status = %s(store, feature_states, feature_keys, request, t, %s)) != FDL_OK)\n"
            "            return status;\n    }\n", compute, dest);
}

/* featN_FEATURE_compute(store, states, keys, request, t, out): states and
 * keys in the feature's entity order. Plain features have none. */
static void emit_compute(generator *g, int fi)
{
    const ir_program *p = g->ir;
    const ir_feature *f = &p->features[fi];
    if (g->plain[fi] >= 0)
        return;
    emit(g, "/* %s (", f->name);
    emit_location(g, f->ast->name.span);
    emit(g, "): ");
    emit_comment_text(g, f->definition);
    if (f->has_default) {
        emit(g, ", default ");
        emit_comment_text(g, ir_literal_text(g->arena, &f->default_value));
    }
    if (f->ast->description) {
        emit(g, "\n * ");
        emit_comment_text(g, f->ast->description);
    }
    emit(g, " */\n");
    emit(g, "%sfdl_status %s(fdl_store *store, fdl_entity_state *const *states,\n"
            "    const fdl_value *keys, const fdl_value *request, fdl_time t, fdl_value *out)\n{\n",
         linkage(g), compute_name(g, fi));
    /* request: read by request.NAME and passed on to the computed features it
     * reads, if any (plain ones do not take it). */
    emit(g, "    (void)request;\n");
    switch (f->kind) {
    case IR_COSINE_SIMILARITY:
        emit(g, "    fdl_value a, b;\n    fdl_status status;\n");
        for (int i = 0; i < 2; i++)
            emit_feature_call(g, f->args[i], &f->arg_slots[i], i ? "&b" : "&a");
        emit(g, "    *out = fdl_cosine_similarity(a, b);\n");
        break;
    case IR_DERIVED:
        if (f->nrefs == 0) {
            emit(g, "    (void)store;\n    (void)states;\n    (void)keys;\n    (void)t;\n");
        } else {
            /* The features it reads, each computed once, then the expression. */
            emit(g, "    fdl_value");
            for (int i = 0; i < f->nrefs; i++)
                emit(g, "%s %s", i ? "," : "", feat_ident(g, f->refs[i], NULL));
            emit(g, ";\n    fdl_status status;\n");
            for (int i = 0; i < f->nrefs; i++)
                emit_feature_call(g, f->refs[i], f->ref_slots[i],
                                  arena_printf(g->arena, "&%s", feat_ident(g, f->refs[i], NULL)));
        }
        emit(g, "    *out = ");
        emit_expr(g, NULL, f->expr);
        emit(g, ";\n");
        break;
    default:
        assert(!"a plain feature has no compute function");
    }
    if (f->has_default) {
        emit(g, "    if (fdl_is_null(*out))\n        *out = ");
        emit_literal(g, &f->default_value);
        emit(g, ";\n");
    }
    emit(g, "    return FDL_OK;\n}\n\n");
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

/* featN_FEATURE_read: the feature table's read function. One entity whose
 * key is one column (almost every feature) goes through a kernel. */
static void emit_read_feature(generator *g, int fi)
{
    const ir_feature *f = &g->ir->features[fi];
    emit(g, "/* Reads feature %s; keys:", f->name);
    for (int e = 0; e < f->nentities; e++)
        emit(g, " %s", g->ir->entities[f->entities[e]].name);
    emit(g, ". */\n");
    bool composite = any_composite(g, f->entities, f->nentities);
    emit(g, "%sfdl_status %s(fdl_store *store, const fdl_value *%s,\n"
            "    const fdl_value *request, fdl_time t, fdl_value *out)\n{\n", linkage(g),
         read_name(g, fi), composite ? "parts" : "keys");
    if (simple_read(g, fi)) {
        if (g->plain[fi] >= 0)
            emit(g, "    (void)request;\n    return %s(store, %s, keys, %d, t, out);\n}\n\n",
                 shared(g, "read_plain"), entity_id(g, f->entities[0]), g->plain[fi]);
        else
            emit(g, "    return %s(store, %s, keys, request, %s, t, out);\n}\n\n",
                 shared(g, "read_computed"), entity_id(g, f->entities[0]), compute_name(g, fi));
        return;
    }
    const char *call = g->plain[fi] >= 0
        ? arena_printf(g->arena, "%s(store, states[0], keys[0], %d, t, out)", shared(g, "plain_read"),
                       g->plain[fi])
        : arena_printf(g->arena, "%s(store, states, keys, request, t, out)", compute_name(g, fi));
    if (g->plain[fi] >= 0)
        emit(g, "    (void)request;\n");
    if (g->scratch) {
        emit(g, "    fdl_scratch_reset(store);\n");
        if (composite)
            emit_key_assembly(g, f->entities, f->nentities);
        emit_state_lookup(g, f->entities, f->nentities, "    ");
        emit(g, "    fdl_status status = %s;\n", call);
        emit(g, "    return status == FDL_OK && fdl_scratch_failed(store) ? FDL_ERR_MEMORY : status;\n}\n\n");
        return;
    }
    emit_state_lookup(g, f->entities, f->nentities, "    ");
    emit(g, "    return %s;\n}\n\n", call);
}

/*
 * Computes the features listed into out[], for keys/states of `entities`:
 * those whose keys sit side by side among the reader's are rows of the
 * table `calls` (runs of them computed by call_features), the others (a
 * feature of several entities in another order) are called one by one.
 */
static void emit_compute_calls(generator *g, const char *calls, const int *features, int nfeatures,
                               const int *entities, int nentities)
{
    const ir_program *p = g->ir;
    int *slot = arena_alloc(g->arena, sizeof(int) * (size_t)(nfeatures + 1));
    int rows = 0;
    for (int i = 0; i < nfeatures; i++)
        if (contiguous_slots(g, features[i], entities, nentities, &slot[i]))
            rows++;
        else
            slot[i] = -1;
    if (rows) {
        emit(g, "    static const feature_call %s[%d] = {\n", calls, rows);
        for (int i = 0; i < nfeatures; i++) {
            if (slot[i] < 0)
                continue;
            int f = features[i];
            if (g->plain[f] >= 0)
                emit(g, "        {%d, %d, NULL},   /* out[%d] %s */\n", slot[i], g->plain[f], i,
                     p->features[f].name);
            else
                emit(g, "        {%d, -1, %s},   /* out[%d] %s */\n", slot[i], compute_name(g, f), i,
                     p->features[f].name);
        }
        emit(g, "    };\n");
    }
    emit(g, "    fdl_status status;\n");
    int row = 0;
    for (int i = 0; i < nfeatures;) {
        if (slot[i] < 0) {
            const ir_feature *f = &p->features[features[i]];
            /* Where this feature's keys sit among the caller's. */
            int *slots = arena_alloc(g->arena, sizeof(int) * (size_t)(f->nentities + 1));
            for (int e = 0; e < f->nentities; e++) {
                slots[e] = -1;
                for (int k = 0; k < nentities; k++)
                    if (entities[k] == f->entities[e])
                        slots[e] = k;
            }
            emit_feature_call(g, features[i], slots, arena_printf(g->arena, "&out[%d]", i));
            i++;
            continue;
        }
        int run = 0;
        while (i + run < nfeatures && slot[i + run] >= 0)
            run++;
        emit(g, "    if ((status = call_features(store, states, keys, request, t, &%s[%d], %d, &out[%d])) != FDL_OK)\n"
                "        return status;\n", calls, row, run, i);
        row += run;
        i += run;
    }
    emit(g, g->scratch ? "    return fdl_scratch_failed(store) ? FDL_ERR_MEMORY : FDL_OK;\n"
                       : "    return FDL_OK;\n");
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
    if (g->scratch)
        emit(g, "    fdl_scratch_reset(store);\n");
    if (composite)
        emit_key_assembly(g, set->entities, set->nentities);
    emit_state_lookup(g, set->entities, set->nentities, "    ");
    emit_compute_calls(g, set_ident(g, si, "calls"), set->features, set->nfeatures, set->entities,
                       set->nentities);
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
    emit_compute_calls(g, ent_ident(g, e, "calls"), features, count, entity, 1);
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
            emit(g, ", %s, %d, %s},\n", read_name(g, f), feature->nrequests,
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
        fputs("]}", out);
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
    for (int i = 0; i < p->nfeatures; i++) {
        const ir_feature *f = &p->features[i];
        fprintf(out, "%s\n    {\"name\": ", i ? "," : "");
        json_string(out, f->name);
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
