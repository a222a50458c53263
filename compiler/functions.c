/*
 * functions.c - the function table, expanded from stdlib/functions.def, with
 * each signature string parsed once into parameters. The signatures are ours
 * (not user input): a malformed one is a bug, caught by an assertion here
 * and by the unit tests, which parse every row.
 */
#include "functions.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

static stdlib_function table[] = {
#define FDL_FUNCTION(name, c_function, signature, flags, doc) \
    {#name, #c_function, signature, flags, doc, 0, {{0}}, {0}, 0, 0},
#include "functions.def"
#undef FDL_FUNCTION
};

enum { TABLE_SIZE = (int)(sizeof table / sizeof table[0]) };

/* Parses a type word of a signature into p; false if it is none. */
static bool parse_type_word(const char *word, size_t len, stdlib_param *p)
{
    static const struct { const char *word; stdlib_class class; type_kind type; } words[] = {
        {"number", CLASS_NUMBER, TYPE_ERROR}, {"T", CLASS_SHARED, TYPE_ERROR},
        {"any", CLASS_ANY, TYPE_ERROR},       {"int64", CLASS_TYPE, TYPE_INT64},
        {"float64", CLASS_TYPE, TYPE_FLOAT64}, {"bool", CLASS_TYPE, TYPE_BOOL},
        {"string", CLASS_TYPE, TYPE_STRING},  {"timestamp", CLASS_TYPE, TYPE_TIMESTAMP},
        {"vector", CLASS_TYPE, TYPE_VECTOR},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].word) == len && memcmp(words[i].word, word, len) == 0) {
            p->class = words[i].class;
            p->type = words[i].type;
            return true;
        }
    return false;
}

static size_t word_length(const char *s)
{
    size_t n = 0;
    while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
           (s[n] >= '0' && s[n] <= '9') || s[n] == '_')
        n++;
    return n;
}

/* Parses "TYPE name[?|...], ... -> RESULT"; false when malformed. Parameter
 * names point into the signature (kept as static strings of their own). */
static bool parse_signature(stdlib_function *f)
{
    static char names[TABLE_SIZE][STDLIB_MAX_PARAMS][32];
    int row = (int)(f - table);
    const char *s = f->signature;
    f->nparams = 0;
    f->min_args = 0;
    f->max_args = 0;
    while (strncmp(s, "->", 2) != 0) {
        if (f->nparams == STDLIB_MAX_PARAMS)
            return false;
        stdlib_param *p = &f->params[f->nparams];
        size_t n = word_length(s);
        if (!parse_type_word(s, n, p) || s[n] != ' ')
            return false;
        s += n + 1;
        n = word_length(s);
        if (n == 0 || n >= sizeof names[0][0])
            return false;
        memcpy(names[row][f->nparams], s, n);
        p->name = names[row][f->nparams];
        s += n;
        if (*s == '?') {
            p->optional = true;
            s++;
        } else if (strncmp(s, "...", 3) == 0) {
            p->repeated = true;
            s += 3;
        }
        /* Optional and repeated parameters come last; required ones first. */
        if (f->nparams > 0) {
            const stdlib_param *before = &f->params[f->nparams - 1];
            if (before->repeated || (before->optional && !p->optional))
                return false;
        }
        f->nparams++;
        if (!p->optional && !p->repeated)
            f->min_args++;
        if (strncmp(s, ", ", 2) == 0)
            s += 2;
        else if (*s == ' ')
            s++;
        else
            return false;
    }
    s += 2;
    if (*s++ != ' ')
        return false;
    size_t n = word_length(s);
    if (!parse_type_word(s, n, &f->result) || s[n] != '\0' || f->result.class == CLASS_ANY)
        return false;
    bool repeated = f->nparams > 0 && f->params[f->nparams - 1].repeated;
    f->max_args = repeated ? -1 : f->nparams;
    return true;
}

static void parse_table(void)
{
    static bool parsed;
    if (parsed)
        return;
    parsed = true;
    for (int i = 0; i < TABLE_SIZE; i++) {
        bool ok = parse_signature(&table[i]);
        assert(ok && "malformed signature in stdlib/functions.def");
        (void)ok;
    }
}

int stdlib_count(void)
{
    return TABLE_SIZE;
}

const stdlib_function *stdlib_at(int index)
{
    parse_table();
    return &table[index];
}

int stdlib_find(const char *name)
{
    for (int i = 0; i < TABLE_SIZE; i++)
        if (strcmp(table[i].name, name) == 0)
            return i;
    return -1;
}

const stdlib_param *stdlib_param_of(const stdlib_function *f, int argument)
{
    return argument < f->nparams ? &f->params[argument] : &f->params[f->nparams - 1];
}

static const char *class_word(const stdlib_param *p)
{
    switch (p->class) {
    case CLASS_NUMBER: return "number";
    case CLASS_SHARED: return "T";
    case CLASS_ANY: return "any";
    case CLASS_TYPE: break;
    }
    return p->type == TYPE_VECTOR ? "vector" : type_name(p->type);
}

const char *stdlib_describe(arena *a, const stdlib_function *f)
{
    const char *text = arena_printf(a, "%s(", f->name);
    for (int i = 0; i < f->nparams; i++) {
        const stdlib_param *p = &f->params[i];
        text = arena_printf(a, "%s%s%s %s%s", text, i ? ", " : "", class_word(p), p->name,
                            p->optional ? "?" : p->repeated ? "..." : "");
    }
    return arena_printf(a, "%s) -> %s", text, class_word(&f->result));
}
