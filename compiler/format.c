/*
 * format.c - canonical text of definitions, in .fdl or YAML (`fdlc fmt`).
 *
 * Both printers walk the AST of one file in declaration order (entities,
 * sources, embeddings, features, sets, as the front ends store them) and
 * print every field the language gives a meaning to. Expressions are printed
 * with the fewest parentheses their precedence needs; windows and durations
 * in the unit they were written in (read back from their spans); names that
 * are .fdl keywords in backquotes.
 *
 * Comments: both printers write into a memory stream and tell comments.c,
 * as they go, which source spans each output line shows (comment_mark) and
 * where each item begins (comment_lead); comments.c then puts the file's
 * comments back into the text (format_file).
 */
#define _POSIX_C_SOURCE 200809L

#include "format.h"

#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comments.h"
#include "ir.h"

/* ------------------------------------------------------------ names */

/* Lowercase ASCII equality (the expression keywords take any case). */
static bool same_ignoring_case(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

static bool is_fdl_keyword(const char *name)
{
    /* The file keywords, lowercase only. */
    static const char *const file_keywords[] = {
        "entity", "source", "embedding", "feature", "set", "key", "of", "at", "over", "where",
        "tags", "online", "default", "request", "dimension", "from", "lifetime", "expr",
    };
    /* The expression keywords, in any case. */
    static const char *const expression_keywords[] = {
        "and", "or", "not", "in", "is", "null", "true", "false",
    };
    for (size_t i = 0; i < sizeof file_keywords / sizeof file_keywords[0]; i++)
        if (strcmp(file_keywords[i], name) == 0)
            return true;
    for (size_t i = 0; i < sizeof expression_keywords / sizeof expression_keywords[0]; i++)
        if (same_ignoring_case(expression_keywords[i], name))
            return true;
    return false;
}

/* A name as .fdl reads it back: a keyword goes in backquotes. */
static void fdl_name(FILE *out, const char *name)
{
    if (is_fdl_keyword(name))
        fprintf(out, "`%s`", name);
    else
        fputs(name, out);
}

/* A string in double quotes, escaped as both the expression scanner and
 * YAML's double-quoted scalars read it; for YAML (yaml), other control
 * characters too, which YAML does not allow raw (the scanner takes them as
 * they are). */
static void quoted_as(FILE *out, const char *s, size_t len, bool yaml)
{
    putc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\t': fputs("\\t", out); break;
        case '\r': fputs("\\r", out); break;
        case 0: fputs("\\0", out); break;
        default:
            if (yaml && (c < 0x20 || c == 0x7f))
                fprintf(out, "\\x%02X", c);
            else
                putc(c, out);
            break;
        }
    }
    putc('"', out);
}

static void quoted(FILE *out, const char *s, size_t len)
{
    quoted_as(out, s, len, false);
}

static void quoted_text(FILE *out, const char *s)
{
    quoted_as(out, s, strlen(s), false);
}

static void yaml_quoted_text(FILE *out, const char *s)
{
    quoted_as(out, s, strlen(s), true);
}

/* ------------------------------------------------------------ expressions */

enum { PREC_OR = 1, PREC_AND, PREC_NOT, PREC_COMPARE, PREC_SUM, PREC_PRODUCT, PREC_UNARY, PREC_PRIMARY };

static int precedence(const expr *e)
{
    switch (e->kind) {
    case EXPR_BINARY:
        switch (e->as.binary.op) {
        case OP_OR: return PREC_OR;
        case OP_AND: return PREC_AND;
        case OP_ADD: case OP_SUB: return PREC_SUM;
        case OP_MUL: case OP_DIV: case OP_MOD: return PREC_PRODUCT;
        default: return PREC_COMPARE;
        }
    case EXPR_UNARY: return e->as.unary.op == OP_NOT ? PREC_NOT : PREC_UNARY;
    case EXPR_IN:
    case EXPR_IS_NULL: return PREC_COMPARE;
    default: return PREC_PRIMARY;
    }
}

static void print_expr(FILE *out, arena *a, const expr *e, int least, bool fdl);

static void print_name_part(FILE *out, const char *name, bool fdl)
{
    if (fdl)
        fdl_name(out, name);
    else
        fputs(name, out);
}

static void print_expr_inner(FILE *out, arena *a, const expr *e, bool fdl)
{
    switch (e->kind) {
    case EXPR_INT:
    case EXPR_FLOAT:
    case EXPR_BOOL:
    case EXPR_NULL:
        fputs(ir_expr_text(a, e), out);
        return;
    case EXPR_STRING:
        quoted(out, e->as.string.bytes, (size_t)e->as.string.len);
        return;
    case EXPR_NAME:
        if (e->as.name.qualifier) {
            /* request.NAME is the keyword itself in .fdl, never quoted */
            if (strcmp(e->as.name.qualifier, "request") == 0)
                fputs("request", out);
            else
                print_name_part(out, e->as.name.qualifier, fdl);
            putc('.', out);
        }
        print_name_part(out, e->as.name.name, fdl);
        return;
    case EXPR_UNARY:
        if (e->as.unary.op == OP_NOT) {
            fputs("not ", out);
            print_expr(out, a, e->as.unary.operand, PREC_NOT, fdl);
        } else {
            fputs(e->as.unary.op == OP_NEG ? "-" : "+", out);
            /* "- -x", not "--x" */
            if (e->as.unary.operand->kind == EXPR_UNARY)
                putc(' ', out);
            print_expr(out, a, e->as.unary.operand, PREC_UNARY, fdl);
        }
        return;
    case EXPR_BINARY: {
        int p = precedence(e);
        bool compare = p == PREC_COMPARE;
        print_expr(out, a, e->as.binary.left, compare ? p + 1 : p, fdl);
        fprintf(out, " %s ", expr_op_name(e->as.binary.op));
        print_expr(out, a, e->as.binary.right, p + 1, fdl);
        return;
    }
    case EXPR_IN:
        print_expr(out, a, e->as.in.operand, PREC_SUM, fdl);
        fputs(e->as.in.negated ? " not in (" : " in (", out);
        for (int i = 0; i < e->as.in.list.count; i++) {
            if (i)
                fputs(", ", out);
            print_expr(out, a, e->as.in.list.items[i], PREC_OR, fdl);
        }
        putc(')', out);
        return;
    case EXPR_IS_NULL:
        print_expr(out, a, e->as.is_null.operand, PREC_SUM, fdl);
        fputs(e->as.is_null.negated ? " is not null" : " is null", out);
        return;
    case EXPR_CALL:
        print_name_part(out, e->as.call.name, fdl);
        putc('(', out);
        for (int i = 0; i < e->as.call.args.count; i++) {
            if (i)
                fputs(", ", out);
            print_expr(out, a, e->as.call.args.items[i], PREC_OR, fdl);
        }
        putc(')', out);
        return;
    }
}

/* Prints e, in parentheses when it binds looser than `least`. */
static void print_expr(FILE *out, arena *a, const expr *e, int least, bool fdl)
{
    bool parens = precedence(e) < least;
    if (parens)
        putc('(', out);
    print_expr_inner(out, a, e, fdl);
    if (parens)
        putc(')', out);
}

/* An expression as text, for YAML's quoted scalars. */
static char *expr_string(arena *a, const expr *e)
{
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    if (!mem)
        return arena_strdup(a, "");
    print_expr(mem, a, e, PREC_OR, false);
    fclose(mem);
    char *copy = arena_strndup(a, text ? text : "", size);
    free(text);
    return copy;
}

/* ------------------------------------------------------------ pieces */

/* The percentile as written: P, or [P, ...] (the same in .fdl and YAML). */
static void print_percentiles(FILE *out, const ast_aggregation *agg, const char *prefix)
{
    char number[40];
    fputs(prefix, out);
    if (!agg->percentile_list) {
        ir_format_double(agg->percentile, number, sizeof number);
        fputs(number, out);
        return;
    }
    putc('[', out);
    for (int i = 0; i < agg->npercentiles; i++) {
        ir_format_double(agg->percentiles[i], number, sizeof number);
        fprintf(out, "%s%s", i ? ", " : "", number);
    }
    putc(']', out);
}

/* The embedding path relative to the declaring file's directory when it
 * lies below it (the front ends made it absolute). */
static const char *relative_path(arena *a, const source_set *sources, int file, const char *path)
{
    const char *given = source_get(sources, file)->path;
    const char *slash = strrchr(given, '/');
    const char *dir = slash ? arena_strndup(a, given, (size_t)(slash - given)) : "";
    if (dir[0] != '/') {
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd))
            return path;
        dir = *dir ? arena_printf(a, "%s/%s", cwd, dir) : arena_strdup(a, cwd);
    }
    size_t n = strlen(dir);
    if (strncmp(path, dir, n) == 0 && path[n] == '/')
        return path + n + 1;
    return path;
}

/* A name as a YAML scalar: a plain scalar YAML would read as null is quoted. */
static const char *yaml_name(arena *a, const char *name)
{
    if (strcmp(name, "null") == 0 || strcmp(name, "Null") == 0 || strcmp(name, "NULL") == 0)
        return arena_printf(a, "\"%s\"", name);
    return name;
}

/*
 * Whether a literal's text may be written bare: true, false, or a number
 * the .fdl scanner takes whole and in range after an optional '-' (so it
 * reads back as this very text), which YAML also reads back from a plain
 * scalar. Anything else ("+5", "1e999", "0x10", "True") is a quoted string
 * with the same text.
 */
static bool literal_is_bare(const char *text, size_t length)
{
    if (strlen(text) != length)
        return false;
    if (strcmp(text, "true") == 0 || strcmp(text, "false") == 0)
        return true;
    const char *number = text[0] == '-' ? text + 1 : text;
    size_t digits = strspn(number, "0123456789");
    const char *rest = number + digits;
    bool integer = true;
    if (*rest == '.') {
        integer = false;
        size_t fraction = strspn(rest + 1, "0123456789");
        if (digits == 0 && fraction == 0)
            return false;
        rest += 1 + fraction;
    } else if (digits == 0) {
        return false;
    }
    if (*rest == 'e' || *rest == 'E') {
        integer = false;
        rest++;
        if (*rest == '+' || *rest == '-')
            rest++;
        size_t exponent = strspn(rest, "0123456789");
        if (exponent == 0)
            return false;
        rest += exponent;
    }
    if (*rest)
        return false;
    if (!integer)
        return isfinite(strtod(number, NULL));
    /* At most INT64_MAX, leading zeros aside. */
    while (digits > 1 && number[0] == '0')
        number++, digits--;
    return digits < 19 || (digits == 19 && strncmp(number, "9223372036854775807", 19) <= 0);
}

/* A literal kept as written (ast_value): null, bare when it may be and
 * may_be_bare (not for a string field, whose "12" stays a string in the
 * reader's eyes), else a quoted string. Both syntaxes read it back alike. */
static void print_value(FILE *out, const ast_value *v, bool may_be_bare, bool yaml)
{
    if (v->is_null)
        fputs("null", out);
    else if (may_be_bare && literal_is_bare(v->text, v->length))
        fputs(v->text, out);
    else
        quoted_as(out, v->text, v->length, yaml);
}

/* A duration in the largest unit that divides it (7200 s is 2h). */
static const char *duration_text(arena *a, int64_t seconds)
{
    static const struct { int64_t seconds; char unit; } units[] = {
        {604800, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (seconds % units[i].seconds == 0)
            return arena_printf(a, "%" PRId64 "%c", seconds / units[i].seconds, units[i].unit);
    return "?";
}

/*
 * A duration as it was written at sp when that text says `seconds` (24h
 * stays 24h, 7d stays 7d, whichever syntax it is printed in); else, for
 * text the printer cannot see, in the largest unit that divides it.
 */
static const char *written_duration(arena *a, const source_set *sources, span sp, int64_t seconds)
{
    const source_file *f = span_valid(sp) ? source_get(sources, sp.file) : NULL;
    if (f && sp.end <= f->size && sp.end - sp.start < 64) {
        const char *s = f->text + sp.start, *end = f->text + sp.end;
        while (s < end && (*s == ' ' || *s == '"' || *s == '\''))
            s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '"' || end[-1] == '\''))
            end--;
        const char *digits_end = s;
        int64_t number = 0;
        while (digits_end < end && *digits_end >= '0' && *digits_end <= '9' && number < INT64_MAX / 100)
            number = number * 10 + (*digits_end++ - '0');
        static const char units[] = "smhdw";
        static const int64_t unit_seconds[] = {1, 60, 3600, 86400, 604800};
        const char *unit = digits_end > s && digits_end + 1 == end ? strchr(units, *digits_end) : NULL;
        if (unit && *unit && number * unit_seconds[unit - units] == seconds)
            return arena_strndup(a, s, (size_t)(end - s));
    }
    return duration_text(a, seconds);
}

static const char *window_text(arena *a, const source_set *sources, const ast_aggregation *agg)
{
    if (agg->lifetime)
        return "lifetime";
    return written_duration(a, sources, agg->window_span, agg->window_seconds);
}

/* A hop as written, like a window. */
static const char *hop_text(arena *a, const source_set *sources, const ast_aggregation *agg)
{
    return written_duration(a, sources, agg->hop_span, agg->hop_seconds);
}

static const char *double_text(arena *a, double value)
{
    char number[40];
    ir_format_double(value, number, sizeof number);
    return arena_strdup(a, number);
}

/* ------------------------------------------------------------ expectations */

/* Which values of an expectation may be bare: numbers and bools, except
 * where they stand for a string field's values. */
static bool values_may_be_bare(const ast_expectation *e, type_kind field_type)
{
    switch (e->kind) {
    case EXPECT_MATCHES:
        return false;
    case EXPECT_MEAN:
    case EXPECT_STDDEV:
    case EXPECT_NULL_RATIO:
    case EXPECT_DISTINCT:
        return true;
    default:
        return field_type != TYPE_STRING;
    }
}

/* policy words after an expectation, or after on_invalid: ` drop`, ` impute 0` */
static void fdl_policy(FILE *out, const ast_policy *policy, type_kind field_type)
{
    if (policy->kind == POLICY_DEFAULT)
        return;
    fprintf(out, " %s", policy_kind_name(policy->kind));
    if (policy->kind == POLICY_IMPUTE) {
        putc(' ', out);
        print_value(out, &policy->impute, field_type != TYPE_STRING, false);
    }
}

static void yaml_policy(FILE *out, const ast_policy *policy, type_kind field_type)
{
    if (policy->kind != POLICY_IMPUTE) {
        fputs(policy_kind_name(policy->kind), out);
        return;
    }
    fputs("{impute: ", out);
    print_value(out, &policy->impute, field_type != TYPE_STRING, true);
    putc('}', out);
}

static void print_values(FILE *out, const ast_expectation *e, bool bare, bool yaml)
{
    putc('[', out);
    for (int i = 0; i < e->nvalues; i++) {
        if (i)
            fputs(", ", out);
        print_value(out, &e->values[i], bare, yaml);
    }
    putc(']', out);
}

static void fdl_expectation(FILE *out, arena *a, const source_set *sources, const ast_expectation *e,
                            type_kind field_type)
{
    bool bare = values_may_be_bare(e, field_type);
    if (e->kind == EXPECT_EXPR) {
        fputs("expr(", out);
        if (e->expr)
            print_expr(out, a, e->expr, PREC_OR, true);
        putc(')', out);
    } else {
        fputs(expectation_kind_name(e->kind), out);
    }
    switch (e->kind) {
    case EXPECT_RANGE:
    case EXPECT_IN:
    case EXPECT_MEAN:
    case EXPECT_STDDEV:
    case EXPECT_DISTINCT:
        putc(' ', out);
        print_values(out, e, bare, false);
        break;
    case EXPECT_MATCHES:
    case EXPECT_NULL_RATIO:
        putc(' ', out);
        print_value(out, &e->values[0], bare, false);
        break;
    case EXPECT_MAX_FUTURE:
    case EXPECT_MAX_GAP:
        fprintf(out, " %s", written_duration(a, sources, e->argument_span, e->seconds));
        break;
    case EXPECT_EXISTS_IN:
        putc(' ', out);
        fdl_name(out, e->target.text);
        if (e->target_field.text) {
            putc('.', out);
            fdl_name(out, e->target_field.text);
        }
        break;
    case EXPECT_UNIQUE:
        fputs(" [", out);
        for (int i = 0; i < e->nfields; i++) {
            if (i)
                fputs(", ", out);
            fdl_name(out, e->fields[i].text);
        }
        putc(']', out);
        break;
    default:
        break;
    }
    fdl_policy(out, &e->policy, field_type);
}

enum { FDL_LINE_WIDTH = 100 };

/*
 * expect(E, E...) on the line when it fits in FDL_LINE_WIDTH after `used`
 * columns, else one expectation a line, indented under `indent`.
 */
static void fdl_expectations(FILE *out, arena *a, const source_set *sources, comment_layout *L,
                             const ast_expectation *list, int count, type_kind field_type,
                             size_t used, const char *indent)
{
    const char **texts = arena_alloc(a, sizeof *texts * (size_t)count);
    size_t width = used + strlen("expect()") + 1;
    for (int i = 0; i < count; i++) {
        char *text = NULL;
        size_t size = 0;
        FILE *mem = open_memstream(&text, &size);
        if (mem) {
            fdl_expectation(mem, a, sources, &list[i], field_type);
            fclose(mem);
        }
        texts[i] = arena_strndup(a, text ? text : "", text ? size : 0);
        free(text);
        width += strlen(texts[i]) + (i ? 2 : 0);
    }
    bool inline_list = width <= FDL_LINE_WIDTH;
    fputs("expect(", out);
    for (int i = 0; i < count; i++) {
        if (inline_list)
            fputs(i ? ", " : "", out);
        else
            fprintf(out, "%s\n%s    ", i ? "," : "", indent);
        comment_mark(L, list[i].span);
        fputs(texts[i], out);
    }
    if (!inline_list)
        fprintf(out, "\n%s", indent);
    putc(')', out);
}

static void fdl_sla(FILE *out, arena *a, const ast_sla *sla)
{
    const char *separator = "";
    fputs("sla(", out);
    if (sla->has_pass_rate) {
        fprintf(out, "pass_rate %s", double_text(a, sla->pass_rate));
        separator = ", ";
    }
    if (sla->has_min_rows) {
        fprintf(out, "%smin_rows %" PRId64, separator, sla->min_rows);
        separator = ", ";
    }
    if (sla->nmax_null_ratio) {
        fprintf(out, "%smax_null_ratio(", separator);
        for (int i = 0; i < sla->nmax_null_ratio; i++) {
            if (i)
                fputs(", ", out);
            fdl_name(out, sla->max_null_ratio[i].field.text);
            fprintf(out, " %s", double_text(a, sla->max_null_ratio[i].max_ratio));
        }
        putc(')', out);
    }
    putc(')', out);
}

/* One flow mapping: {range: [0, 10000], policy: clamp} */
static void yaml_expectation(FILE *out, arena *a, const source_set *sources, const ast_expectation *e,
                             type_kind field_type)
{
    bool bare = values_may_be_bare(e, field_type);
    fprintf(out, "{%s: ", expectation_kind_name(e->kind));
    switch (e->kind) {
    case EXPECT_NOT_NULL:
    case EXPECT_ORDERED:
        fputs("true", out);
        break;
    case EXPECT_RANGE:
    case EXPECT_IN:
    case EXPECT_MEAN:
    case EXPECT_STDDEV:
    case EXPECT_DISTINCT:
        print_values(out, e, bare, true);
        break;
    case EXPECT_MATCHES:
    case EXPECT_NULL_RATIO:
        print_value(out, &e->values[0], bare, true);
        break;
    case EXPECT_MAX_FUTURE:
    case EXPECT_MAX_GAP:
        fputs(written_duration(a, sources, e->argument_span, e->seconds), out);
        break;
    case EXPECT_EXISTS_IN:
        if (e->target_field.text)
            fprintf(out, "%s.%s", e->target.text, e->target_field.text);
        else
            fputs(yaml_name(a, e->target.text), out);
        break;
    case EXPECT_EXPR:
        yaml_quoted_text(out, e->expr ? expr_string(a, e->expr) : "");
        break;
    case EXPECT_UNIQUE:
        putc('[', out);
        for (int i = 0; i < e->nfields; i++)
            fprintf(out, "%s%s", i ? ", " : "", yaml_name(a, e->fields[i].text));
        putc(']', out);
        break;
    case EXPECT_KIND_COUNT:
        break;
    }
    if (e->policy.kind != POLICY_DEFAULT) {
        fputs(", policy: ", out);
        yaml_policy(out, &e->policy, field_type);
    }
    putc('}', out);
}

static void yaml_expectations(FILE *out, arena *a, const source_set *sources, comment_layout *L,
                              const char *indent, const ast_expectation *list, int count,
                              type_kind field_type)
{
    fprintf(out, "%sexpect:\n", indent);
    for (int i = 0; i < count; i++) {
        comment_mark(L, list[i].span);
        fprintf(out, "%s  - ", indent);
        yaml_expectation(out, a, sources, &list[i], field_type);
        putc('\n', out);
    }
}

static void yaml_sla(FILE *out, arena *a, const ast_sla *sla)
{
    const char *separator = "";
    fputs("    sla: {", out);
    if (sla->has_pass_rate) {
        fprintf(out, "pass_rate: %s", double_text(a, sla->pass_rate));
        separator = ", ";
    }
    if (sla->has_min_rows) {
        fprintf(out, "%smin_rows: %" PRId64, separator, sla->min_rows);
        separator = ", ";
    }
    if (sla->nmax_null_ratio) {
        fprintf(out, "%smax_null_ratio: {", separator);
        for (int i = 0; i < sla->nmax_null_ratio; i++)
            fprintf(out, "%s%s: %s", i ? ", " : "", yaml_name(a, sla->max_null_ratio[i].field.text),
                    double_text(a, sla->max_null_ratio[i].max_ratio));
        putc('}', out);
    }
    fputs("}\n", out);
}

static bool in_file(span sp, int file)
{
    return sp.file == file;
}

/* ------------------------------------------------------------ .fdl */

static void fdl_description(FILE *out, const char *description)
{
    if (description) {
        putc(' ', out);
        quoted_text(out, description);
    }
}

/* The closing '}' of a block whose source span is sp: comments written
 * before the end of the block stay inside it. */
static void closing_lead(comment_layout *L, const source_set *sources, span sp)
{
    /* Only where the span ends at a '}' (a YAML mapping's end is no place). */
    const source_file *f = L && span_valid(sp) ? source_get(sources, sp.file) : NULL;
    if (f && sp.end > sp.start && sp.end <= f->size && f->text[sp.end - 1] == '}')
        comment_lead(L, span_make(sp.file, sp.end - 1, sp.end), "    ");
}

/*
 * The spans a feature's definition line shows (function, source, window,
 * where...) are marked on it, and each leads it: a comment written before
 * any of them goes above the line.
 */
static void body_marks(comment_layout *L, const ast_feature *f, const char *indent)
{
    span spans[10];
    int n = 0;
    if (f->kind == FEATURE_AGGREGATION) {
        const ast_aggregation *agg = &f->aggregation;
        spans[n++] = agg->function.span;
        spans[n++] = agg->source_span;
        spans[n++] = agg->window_span;
        if (agg->has_hop)
            spans[n++] = agg->hop_span;
        if (agg->where)
            spans[n++] = agg->where_span;
        if (agg->has_k)
            spans[n++] = agg->k_span;
        if (agg->has_percentile)
            spans[n++] = agg->percentile_span;
        if (agg->by.text)
            spans[n++] = agg->by.span;
    } else if (f->kind == FEATURE_COMPUTATION) {
        spans[n++] = f->computation.function.span;
        if (f->computation.nargs)
            spans[n++] = f->computation.args_span;
        if (f->computation.model.text)
            spans[n++] = f->computation.model.span;
    } else {
        spans[n++] = f->expr_span;
    }
    for (int i = 0; i < n; i++) {
        comment_lead(L, spans[i], indent);
        comment_mark(L, spans[i]);
    }
}

/* A key line (`    window: 7d`, or a .fdl feature's line) showing the text at sp. */
static void yaml_key(comment_layout *L, span sp, const char *indent)
{
    comment_lead(L, sp, indent);
    comment_mark(L, sp);
}

/*
 * Where a feature's key with no span of its own (description, tags,
 * online_compute) was written: the first `yaml_key:` or `fdl_word` at a
 * word's start within the feature's text, else a zero span. Only a hint
 * for placing comments: a wrong guess moves a comment, never loses it.
 */
static span key_span(const source_set *sources, span within, const char *yaml_key,
                     const char *fdl_word)
{
    const source_file *f = span_valid(within) ? source_get(sources, within.file) : NULL;
    if (!f || within.end > f->size)
        return span_make(0, 0, 0);
    const char *words[] = {yaml_key, fdl_word};
    for (int w = 0; w < 2; w++) {
        size_t n = words[w] ? strlen(words[w]) : 0;
        for (uint32_t i = within.start; n && i + n <= within.end; i++) {
            const char *at = f->text + i;
            bool starts = i == 0 || strchr(" \t\n{,", at[-1]);
            char after = i + n < f->size ? at[n] : '\0';
            bool ends = w == 0 ? after == ':' : !(after == '_' || (after >= 'a' && after <= 'z'));
            if (starts && ends && strncmp(at, words[w], n) == 0)
                return span_make(within.file, i, i + (uint32_t)n);
        }
    }
    return span_make(0, 0, 0);
}

static void format_fdl(FILE *out, const source_set *sources, int file, const ast_program *p, arena *a,
                       comment_layout *L)
{
    bool first = true;
#define SEPARATE() (first ? (void)(first = false) : (void)putc('\n', out))
    for (int i = 0; i < p->nentities; i++) {
        const ast_entity *e = &p->entities[i];
        if (!in_file(e->span, file) || !e->name.text)
            continue;
        SEPARATE();
        comment_lead(L, e->span, "");
        comment_mark(L, e->name.span);
        fputs("entity ", out);
        fdl_name(out, e->name.text);
        fputs(" { key ", out);
        if (e->nkeys > 1)
            putc('(', out);
        for (int k = 0; k < e->nkeys; k++) {
            if (k)
                fputs(", ", out);
            fdl_name(out, e->join_keys[k].text);
            fprintf(out, ": %s", type_name(e->key_types[k]));
        }
        if (e->nkeys > 1)
            putc(')', out);
        fputs(" }", out);
        fdl_description(out, e->description);
        putc('\n', out);
    }
    for (int i = 0; i < p->nsources; i++) {
        const ast_source *s = &p->sources[i];
        if (!in_file(s->span, file) || !s->name.text)
            continue;
        SEPARATE();
        comment_lead(L, s->span, "");
        comment_mark(L, s->name.span);
        comment_mark(L, s->timestamp.span);
        fputs("source ", out);
        fdl_name(out, s->name.text);
        fputs(" at ", out);
        fdl_name(out, s->timestamp.text ? s->timestamp.text : "?");
        fputs(" {\n", out);
        for (int f = 0; f < s->nfields; f++) {
            const ast_field *field = &s->fields[f];
            comment_lead(L, field->name.span, "    ");
            comment_mark(L, field->name.span);
            fputs("    ", out);
            /* The line so far, measured to decide whether expect(...) fits on it. */
            char *line = NULL;
            size_t length = 0;
            FILE *mem = open_memstream(&line, &length);
            if (!mem)
                mem = out, length = 0;
            fdl_name(mem, field->name.text);
            fprintf(mem, ": %s", type_name(field->type));
            if (field->on_invalid.kind != POLICY_DEFAULT) {
                fputs(" on_invalid", mem);
                fdl_policy(mem, &field->on_invalid, field->type);
            }
            if (mem != out) {
                fclose(mem);
                fwrite(line, 1, length, out);
                free(line);
            }
            if (field->nexpects) {
                putc(' ', out);
                fdl_expectations(out, a, sources, L, field->expects, field->nexpects, field->type,
                                 4 + length + 1, "    ");
            }
            fputs(f + 1 < s->nfields ? ",\n" : "\n", out);
        }
        /* The fields' '}', not the end of the clauses after it. */
        closing_lead(L, sources, s->brace.end > s->brace.start ? s->brace : s->span);
        putc('}', out);
        fdl_description(out, s->description);
        if (s->nexpects) {
            fputs("\n    ", out);
            fdl_expectations(out, a, sources, L, s->expects, s->nexpects, TYPE_ERROR, 4, "    ");
        }
        if (s->sla.written) {
            fputs("\n    ", out);
            fdl_sla(out, a, &s->sla);
        }
        if (s->has_retention) {
            putc('\n', out);
            yaml_key(L, s->retention_span, "    ");   /* a comment above it stays above it */
            fprintf(out, "    retention %s",
                    written_duration(a, sources, s->retention_span, s->retention_seconds));
        }
        putc('\n', out);
    }
    for (int i = 0; i < p->nembeddings; i++) {
        const ast_embedding *e = &p->embeddings[i];
        if (!in_file(e->span, file) || !e->name.text)
            continue;
        SEPARATE();
        comment_lead(L, e->span, "");
        comment_mark(L, e->name.span);
        comment_mark(L, e->path_span);
        fputs("embedding ", out);
        fdl_name(out, e->name.text);
        fputs(" of ", out);
        fdl_name(out, e->entity.text ? e->entity.text : "?");
        fprintf(out, " dimension %" PRId64 " from ", e->dimension);
        quoted_text(out, e->path ? relative_path(a, sources, file, e->path) : "");
        fdl_description(out, e->description);
        putc('\n', out);
    }
    for (int i = 0; i < p->nfeatures; i++) {
        const ast_feature *f = &p->features[i];
        if (!in_file(f->span, file) || !f->name.text || f->kind == FEATURE_INVALID)
            continue;
        SEPARATE();
        comment_lead(L, f->span, "");
        comment_mark(L, f->name.span);
        comment_mark(L, f->entities_span);
        fputs("feature ", out);
        fdl_name(out, f->name.text);
        fputs(" of ", out);
        for (int e = 0; e < f->nentities; e++) {
            if (e)
                fputs(", ", out);
            fdl_name(out, f->entities[e].text);
        }
        if (f->has_value_type)
            fprintf(out, ": %s", type_name(f->value_type.kind));
        fputs(" =\n    ", out);
        body_marks(L, f, "    ");
        if (f->kind == FEATURE_AGGREGATION) {
            const ast_aggregation *agg = &f->aggregation;
            fprintf(out, "%s(", agg->function.text);
            fdl_name(out, agg->source.text);
            if (agg->field.text) {
                putc('.', out);
                fdl_name(out, agg->field.text);
            }
            if (agg->where) {
                fputs(" where ", out);
                print_expr(out, a, agg->where, PREC_OR, true);
            }
            if (agg->has_k)
                fprintf(out, ", %" PRId64, agg->k);
            if (agg->has_percentile)
                print_percentiles(out, agg, ", ");
            if (agg->by.text) {
                fputs(", ", out);
                fdl_name(out, agg->by.text);
            }
            fprintf(out, ") over %s", window_text(a, sources, agg));
            if (agg->has_hop)
                fprintf(out, " hop %s", hop_text(a, sources, agg));
        } else if (f->kind == FEATURE_COMPUTATION) {
            const ast_computation *c = &f->computation;
            fprintf(out, "%s(", c->function.text);
            if (c->model.text) {
                fdl_name(out, c->model.text);
                if (c->dimension_written)
                    fprintf(out, ", %" PRId64, c->dimension);
            }
            for (int k = 0; k < c->nargs; k++) {
                if (k)
                    fputs(", ", out);
                if (c->args[k].entity.text) {
                    fdl_name(out, c->args[k].entity.text);
                    putc('.', out);
                }
                fdl_name(out, c->args[k].feature.text);
            }
            putc(')', out);
        } else {
            fputs("expr(", out);
            if (f->expr)
                print_expr(out, a, f->expr, PREC_OR, true);
            putc(')', out);
        }
        if (f->description) {
            fputs("\n", out);
            yaml_key(L, key_span(sources, f->span, "description", NULL), "    ");
            fputs("    ", out);
            quoted_text(out, f->description);
        }
        if (f->ntags) {
            fputs("\n", out);
            yaml_key(L, key_span(sources, f->span, "tags", "tags"), "    ");
            fputs("    tags(", out);
            for (int t = 0; t < f->ntags; t++) {
                if (t)
                    fputs(", ", out);
                quoted_text(out, f->tags[t]);
            }
            putc(')', out);
        }
        if (f->online_compute) {
            fputs("\n", out);
            yaml_key(L, key_span(sources, f->span, "online_compute", "online"), "    ");
            fputs("    online", out);
        }
        if (f->has_default) {
            fputs("\n", out);
            comment_lead(L, f->default_span, "    ");
            comment_mark(L, f->default_span);
            fputs("    default ", out);
            if (literal_is_bare(f->default_text, f->default_length))
                fputs(f->default_text, out);
            else
                quoted(out, f->default_text, f->default_length);
        }
        putc('\n', out);
    }
    for (int i = 0; i < p->nsets; i++) {
        const ast_feature_set *s = &p->sets[i];
        if (!in_file(s->span, file) || !s->name.text)
            continue;
        SEPARATE();
        comment_lead(L, s->span, "");
        comment_mark(L, s->name.span);
        fputs("set ", out);
        fdl_name(out, s->name.text);
        fputs(" {\n", out);
        for (int f = 0; f < s->nfeatures; f++) {
            comment_lead(L, s->features[f].span, "    ");
            comment_mark(L, s->features[f].span);
            fputs("    ", out);
            fdl_name(out, s->features[f].text);
            fputs(f + 1 < s->nfeatures ? ",\n" : "\n", out);
        }
        closing_lead(L, sources, s->span);
        putc('}', out);
        if (s->nrequest) {
            comment_mark(L, s->request_span);
            fputs(" request { ", out);
            for (int r = 0; r < s->nrequest; r++) {
                if (r)
                    fputs(", ", out);
                fdl_name(out, s->request[r].name.text);
                fprintf(out, ": %s", type_name(s->request[r].type));
            }
            fputs(" }", out);
        }
        fdl_description(out, s->description);
        putc('\n', out);
    }
#undef SEPARATE
}

/* ------------------------------------------------------------ YAML */

static void yaml_description(FILE *out, const char *indent, const char *description)
{
    if (description) {
        fprintf(out, "%sdescription: ", indent);
        yaml_quoted_text(out, description);
        putc('\n', out);
    }
}

/* An item of a section (entities:, features:...): the section's first
 * item leads its header line, so a comment before it stays above both. */
static void yaml_item(FILE *out, comment_layout *L, bool *any, const char *section, span sp)
{
    if (!*any) {
        comment_lead(L, sp, "");
        fprintf(out, "%s:\n", section);
        *any = true;
    } else {
        comment_lead(L, sp, "  ");
    }
}

static void format_yaml(FILE *out, const source_set *sources, int file, const ast_program *p, arena *a,
                        comment_layout *L)
{
    bool any = false;
    for (int i = 0; i < p->nentities; i++) {
        const ast_entity *e = &p->entities[i];
        if (!in_file(e->span, file) || !e->name.text)
            continue;
        yaml_item(out, L, &any, "entities", e->span);
        comment_mark(L, e->name.span);
        fprintf(out, "  - name: %s\n", yaml_name(a, e->name.text));
        if (e->nkeys == 1) {
            yaml_key(L, e->join_keys[0].span, "    ");
            fprintf(out, "    join_key: %s\n", yaml_name(a, e->join_keys[0].text));
            fprintf(out, "    key_type: %s\n", type_name(e->key_types[0]));
        } else {
            fputs("    join_keys: [", out);
            for (int k = 0; k < e->nkeys; k++)
                fprintf(out, "%s%s", k ? ", " : "", yaml_name(a, e->join_keys[k].text));
            fputs("]\n    key_types: [", out);
            for (int k = 0; k < e->nkeys; k++)
                fprintf(out, "%s%s", k ? ", " : "", type_name(e->key_types[k]));
            fputs("]\n", out);
        }
        yaml_description(out, "    ", e->description);
    }
    any = false;
    for (int i = 0; i < p->nsources; i++) {
        const ast_source *s = &p->sources[i];
        if (!in_file(s->span, file) || !s->name.text)
            continue;
        yaml_item(out, L, &any, "sources", s->span);
        comment_mark(L, s->name.span);
        fprintf(out, "  - name: %s\n    timestamp: %s\n    fields:\n", yaml_name(a, s->name.text),
                yaml_name(a, s->timestamp.text ? s->timestamp.text : "?"));
        for (int f = 0; f < s->nfields; f++) {
            const ast_field *field = &s->fields[f];
            yaml_key(L, field->name.span, "      ");
            if (field->on_invalid.kind == POLICY_DEFAULT && field->nexpects == 0) {
                fprintf(out, "      - {name: %s, type: %s}\n", yaml_name(a, field->name.text),
                        type_name(field->type));
                continue;
            }
            fprintf(out, "      - name: %s\n", yaml_name(a, field->name.text));
            yaml_key(L, field->type_span, "        ");
            fprintf(out, "        type: %s\n", type_name(field->type));
            if (field->on_invalid.kind != POLICY_DEFAULT) {
                fputs("        on_invalid: ", out);
                yaml_policy(out, &field->on_invalid, field->type);
                putc('\n', out);
            }
            if (field->nexpects)
                yaml_expectations(out, a, sources, L, "        ", field->expects, field->nexpects,
                                  field->type);
        }
        yaml_description(out, "    ", s->description);
        if (s->nexpects)
            yaml_expectations(out, a, sources, L, "    ", s->expects, s->nexpects, TYPE_ERROR);
        if (s->sla.written)
            yaml_sla(out, a, &s->sla);
        if (s->has_retention) {
            yaml_key(L, s->retention_span, "    ");
            fprintf(out, "    retention: %s\n",
                    written_duration(a, sources, s->retention_span, s->retention_seconds));
        }
    }
    any = false;
    for (int i = 0; i < p->nembeddings; i++) {
        const ast_embedding *e = &p->embeddings[i];
        if (!in_file(e->span, file) || !e->name.text)
            continue;
        yaml_item(out, L, &any, "embeddings", e->span);
        comment_mark(L, e->name.span);
        fprintf(out, "  - name: %s\n    entity: %s\n    dimension: %" PRId64 "\n    path: ",
                yaml_name(a, e->name.text), yaml_name(a, e->entity.text ? e->entity.text : "?"), e->dimension);
        yaml_quoted_text(out, e->path ? relative_path(a, sources, file, e->path) : "");
        putc('\n', out);
        yaml_description(out, "    ", e->description);
    }
    any = false;
    for (int i = 0; i < p->nfeatures; i++) {
        const ast_feature *f = &p->features[i];
        if (!in_file(f->span, file) || !f->name.text || f->kind == FEATURE_INVALID)
            continue;
        yaml_item(out, L, &any, "features", f->span);
        comment_mark(L, f->name.span);
        fprintf(out, "  - name: %s\n", yaml_name(a, f->name.text));
        yaml_key(L, f->entities_span, "    ");
        if (f->nentities == 1) {
            fprintf(out, "    entity: %s\n", yaml_name(a, f->entities[0].text));
        } else {
            fputs("    entities: [", out);
            for (int e = 0; e < f->nentities; e++)
                fprintf(out, "%s%s", e ? ", " : "", yaml_name(a, f->entities[e].text));
            fputs("]\n", out);
        }
        if (f->description)
            yaml_key(L, key_span(sources, f->span, "description", NULL), "    ");
        yaml_description(out, "    ", f->description);
        if (f->kind == FEATURE_AGGREGATION) {
            const ast_aggregation *agg = &f->aggregation;
            fputs("    aggregation:\n", out);
            yaml_key(L, agg->function.span, "      ");
            fprintf(out, "      function: %s\n", agg->function.text);
            yaml_key(L, agg->source_span, "      ");
            fprintf(out, "      source: %s%s%s\n", agg->source.text, agg->field.text ? "." : "",
                    agg->field.text ? agg->field.text : "");
            yaml_key(L, agg->window_span, "      ");
            fprintf(out, "      window: %s\n", window_text(a, sources, agg));
            if (agg->has_hop) {
                yaml_key(L, agg->hop_span, "      ");
                fprintf(out, "      hop: %s\n", hop_text(a, sources, agg));
            }
            if (agg->where) {
                yaml_key(L, agg->where_span, "      ");
                fputs("      where: ", out);
                yaml_quoted_text(out, expr_string(a, agg->where));
                putc('\n', out);
            }
            if (agg->has_k) {
                yaml_key(L, agg->k_span, "      ");
                fprintf(out, "      k: %" PRId64 "\n", agg->k);
            }
            if (agg->has_percentile) {
                yaml_key(L, agg->percentile_span, "      ");
                print_percentiles(out, agg, "      percentile: ");
                putc('\n', out);
            }
            if (agg->by.text) {
                yaml_key(L, agg->by.span, "      ");
                fprintf(out, "      by: %s\n", yaml_name(a, agg->by.text));
            }
        } else if (f->kind == FEATURE_COMPUTATION) {
            const ast_computation *c = &f->computation;
            fputs("    computation:\n", out);
            yaml_key(L, c->function.span, "      ");
            fprintf(out, "      function: %s\n", c->function.text);
            if (c->model.text)
                fprintf(out, "      model: %s\n", yaml_name(a, c->model.text));
            if (c->dimension_written)
                fprintf(out, "      dimension: %" PRId64 "\n", c->dimension);
            if (c->nargs) {
                fputs("      args:\n", out);
                for (int k = 0; k < c->nargs; k++) {
                    yaml_key(L, c->args[k].span, "        ");
                    fprintf(out, "        - %s%s%s\n", c->args[k].entity.text ? c->args[k].entity.text : "",
                            c->args[k].entity.text ? "." : "", c->args[k].feature.text);
                }
            }
        } else {
            yaml_key(L, f->expr_span, "    ");
            fputs("    expr: ", out);
            yaml_quoted_text(out, f->expr ? expr_string(a, f->expr) : "");
            putc('\n', out);
        }
        if (f->has_value_type) {
            yaml_key(L, f->value_type_span, "    ");
            fprintf(out, "    value_type: %s\n", type_name(f->value_type.kind));
        }
        if (f->has_default) {
            yaml_key(L, f->default_span, "    ");
            fputs("    default: ", out);
            quoted_as(out, f->default_text, f->default_length, true);
            putc('\n', out);
        }
        if (f->online_compute) {
            yaml_key(L, key_span(sources, f->span, "online_compute", "online"), "    ");
            fputs("    online_compute: true\n", out);
        }
        if (f->ntags) {
            yaml_key(L, key_span(sources, f->span, "tags", "tags"), "    ");
            fputs("    tags: [", out);
            for (int t = 0; t < f->ntags; t++) {
                if (t)
                    fputs(", ", out);
                yaml_quoted_text(out, f->tags[t]);
            }
            fputs("]\n", out);
        }
    }
    any = false;
    for (int i = 0; i < p->nsets; i++) {
        const ast_feature_set *s = &p->sets[i];
        if (!in_file(s->span, file) || !s->name.text)
            continue;
        yaml_item(out, L, &any, "feature_sets", s->span);
        comment_mark(L, s->name.span);
        fprintf(out, "  - name: %s\n", yaml_name(a, s->name.text));
        yaml_description(out, "    ", s->description);
        fputs("    features:\n", out);
        for (int f = 0; f < s->nfeatures; f++) {
            yaml_key(L, s->features[f].span, "      ");
            fprintf(out, "      - %s\n", yaml_name(a, s->features[f].text));
        }
        if (s->nrequest) {
            fputs("    request:\n", out);
            for (int r = 0; r < s->nrequest; r++) {
                yaml_key(L, s->request[r].name.span, "      ");
                fprintf(out, "      - {name: %s, type: %s}\n", yaml_name(a, s->request[r].name.text),
                        type_name(s->request[r].type));
            }
        }
    }
}

void format_file(FILE *out, const source_set *sources, int file, const ast_program *program,
                 format_syntax syntax)
{
    arena a;
    arena_init(&a);
    const source_file *f = source_get(sources, file);
    size_t length = f ? strlen(f->path) : 0;
    bool native_fdl = length > 4 && strcmp(f->path + length - 4, ".fdl") == 0;
    fmt_comments comments;
    comments_scan(sources, file, native_fdl, &a, &comments);
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    comment_layout *layout = mem ? comment_layout_new(&a, sources, file, mem, &text, &size,
                                                         native_fdl == (syntax == FORMAT_FDL)) : NULL;
    if (syntax == FORMAT_FDL)
        format_fdl(mem ? mem : out, sources, file, program, &a, layout);
    else
        format_yaml(mem ? mem : out, sources, file, program, &a, layout);
    if (layout)
        comment_layout_write(layout, &comments, out);
    arena_free(&a);
}
