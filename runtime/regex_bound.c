/*
 * regex_bound.c - the bounds a `matches` pattern must keep before anyone
 * hands it to regcomp: fdlc check (a located diagnostic) and fdl_store_open
 * (a refused program) both ask fdl_regex_bound, so they can never disagree.
 *
 * Why: glibc's regcomp copies a repeated subexpression once per repetition
 * ("a+" is "aa*", "a{1,255}" is 255 copies), so nested or stacked
 * repetitions multiply: "a+++++++++++++++++++++" (23 bytes) took 12.9 s and
 * 3 GB. A repeated subexpression that can match the empty string is worse
 * still (each copy's closure reaches all the later ones): "(a?){1,255}" four
 * times over took 25 ms and 30 MB for 1020 copies. The bounds, measured on
 * glibc 2.36 (tests/unit/test_regex_bound.c keeps the worst shapes):
 *   - at most FDL_REGEX_MAX_LENGTH bytes;
 *   - counts in {n}, {n,} and {n,m} (and glibc's {,m}) at most
 *     FDL_REGEX_MAX_COUNT (POSIX's smallest RE_DUP_MAX, so portable too);
 *   - no quantifier right after another ("a++", "a+?": POSIX has no lazy or
 *     possessive forms, so "+?" would silently mean "(a+)?");
 *   - no repetition that may run more than once ("+", "{n,}", "{n,m}" with
 *     m > 1) of something that can match the empty string ("(a?)+");
 *   - at most FDL_REGEX_MAX_COPIES atoms once every repetition is expanded
 *     (each atom counts the product of its enclosing repetitions' copies:
 *     "*" and "?" 1, "+" 2, "{n}" n, "{n,}" n + 1, "{n,m}" m);
 *   - groups nested at most FDL_REGEX_MAX_DEPTH deep.
 * Within them the slowest patterns we found ("(a{0,255}b){1,8}", 200 "a?" then
 * "b" repeated {1,10}, "(a?b?c?d?e?f?g?h){1,255}") compile in about 3.4 ms
 * (best of 5, one pattern per process) with a peak RSS under 7 MB; past
 * them "a" and 17 "+" takes 350 ms and 85 MB, and each "+" doubles that.
 * The checker only measures: whether the pattern is valid is regcomp's call.
 */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>

#include "internal.h"

#define TOO_MANY_COPIES \
    "its repetitions multiply to more than " FDL_REGEX_TEXT(FDL_REGEX_MAX_COPIES) " copies when compiled"

typedef struct {
    const char *s;
    size_t len;
    size_t pos;
    int depth;
    const char *why;            /* the first bound broken, NULL while none */
    size_t at;                  /* and the byte it was found at */
} rx;

typedef struct {
    size_t copies;              /* atoms after expansion, capped above the budget */
    bool nullable;              /* can match the empty string */
} rx_size;

static void refuse(rx *r, size_t at, const char *why)
{
    if (!r->why) {
        r->why = why;
        r->at = at;
    }
}

/* a * b without overflow: anything above the budget is as bad as any other. */
static size_t times(size_t a, size_t b)
{
    size_t cap = FDL_REGEX_MAX_COPIES + 1;
    if (a == 0 || b == 0)
        return 0;
    return a > cap / b ? cap : a * b;
}

static size_t plus(size_t a, size_t b)
{
    size_t cap = FDL_REGEX_MAX_COPIES + 1;
    return a + b > cap ? cap : a + b;
}

static rx_size parse_alternation(rx *r);

/* A bracket expression: "[" ["^"] ["]"] ... "]", with [:class:], [.coll.]
 * and [=equiv=] inside. Left at the byte after the closing "]". */
static void skip_bracket(rx *r)
{
    assert(r->s[r->pos] == '[');
    r->pos++;
    if (r->pos < r->len && r->s[r->pos] == '^')
        r->pos++;
    if (r->pos < r->len && r->s[r->pos] == ']')
        r->pos++;
    while (r->pos < r->len && r->s[r->pos] != ']') {
        char open = r->pos + 1 < r->len ? r->s[r->pos + 1] : 0;
        if (r->s[r->pos] == '[' && (open == ':' || open == '.' || open == '=')) {
            size_t end = r->pos + 2;
            while (end + 1 < r->len && !(r->s[end] == open && r->s[end + 1] == ']'))
                end++;
            r->pos = end + 2 <= r->len ? end + 2 : r->len;
        } else {
            r->pos++;
        }
    }
    if (r->pos < r->len)
        r->pos++;
}

/* atom: "(" alternation ")" | bracket | "\" char | "^" | "$" | char */
static rx_size parse_atom(rx *r)
{
    char c = r->s[r->pos];
    if (c == '(') {
        size_t open = r->pos++;
        if (++r->depth > FDL_REGEX_MAX_DEPTH)
            refuse(r, open, "groups are nested more than " FDL_REGEX_TEXT(FDL_REGEX_MAX_DEPTH) " deep");
        rx_size inner = r->why ? (rx_size){1, false} : parse_alternation(r);
        r->depth--;
        if (r->pos < r->len && r->s[r->pos] == ')')
            r->pos++;
        return inner;
    }
    if (c == '[') {
        skip_bracket(r);
        return (rx_size){1, false};
    }
    if (c == '\\') {
        r->pos += r->pos + 1 < r->len ? 2 : 1;
        /* a back-reference may match the empty string */
        char next = r->s[r->pos - 1];
        return (rx_size){1, next >= '1' && next <= '9'};
    }
    r->pos++;
    return (rx_size){1, c == '^' || c == '$'};   /* anchors match no bytes */
}

/* A decimal count at r->pos, at most FDL_REGEX_MAX_COUNT + 1 (capped). */
static bool read_count(rx *r, size_t *pos, size_t *out)
{
    size_t start = *pos, n = 0;
    while (*pos < r->len && r->s[*pos] >= '0' && r->s[*pos] <= '9') {
        n = n * 10 + (size_t)(r->s[*pos] - '0');
        if (n > FDL_REGEX_MAX_COUNT)
            n = FDL_REGEX_MAX_COUNT + 1;
        (*pos)++;
    }
    *out = n;
    return *pos > start;
}

/* "{n}", "{n,}", "{n,m}", or glibc's "{,m}" and "{,}" (a missing n is 0)
 * at r->pos: true with the counts (max 0 when open-ended) and r->pos after
 * it; false, r->pos unmoved, if it is not one (regcomp then decides what
 * the "{" means). */
static bool read_interval(rx *r, size_t *min, size_t *max, bool *open_ended)
{
    size_t pos = r->pos + 1;
    bool has_min = read_count(r, &pos, min);
    bool comma = pos < r->len && r->s[pos] == ',';
    if (!has_min && !comma)
        return false;
    *max = *min;
    *open_ended = false;
    if (comma) {
        pos++;
        *open_ended = !read_count(r, &pos, max);
    }
    if (pos >= r->len || r->s[pos] != '}')
        return false;
    r->pos = pos + 1;
    return true;
}

/* One quantifier at r->pos, if any, applied to atom: true if there was one. */
static bool apply_quantifier(rx *r, rx_size *atom)
{
    size_t at = r->pos;
    char c = r->s[at];
    size_t copies, min = 0, max = 0;
    bool open_ended = false;
    if (c == '*' || c == '?' || c == '+') {
        r->pos++;
        copies = c == '+' ? 2 : 1;      /* "a+" is "aa*"; "*" and "?" loop or skip one copy */
        min = c == '+';
    } else if (c == '{' && read_interval(r, &min, &max, &open_ended)) {
        if (min > FDL_REGEX_MAX_COUNT || max > FDL_REGEX_MAX_COUNT)
            refuse(r, at, "a repetition count is above " FDL_REGEX_TEXT(FDL_REGEX_MAX_COUNT));
        if (!open_ended && max < min)
            return true;                    /* regcomp refuses it */
        copies = open_ended ? min + 1 : (max > 0 ? max : 1);
    } else {
        return false;
    }
    if (copies > 1 && atom->nullable)
        refuse(r, at, "it repeats something that can match the empty string");
    atom->copies = times(atom->copies, copies);
    atom->nullable = atom->nullable || min == 0;
    return true;
}

/* Whether a quantifier starts at r->pos (r is left as it was). */
static bool at_quantifier(rx *r)
{
    if (r->pos >= r->len)
        return false;
    char c = r->s[r->pos];
    size_t pos = r->pos, min, max;
    bool open_ended;
    if (c == '*' || c == '+' || c == '?')
        return true;
    bool interval = c == '{' && read_interval(r, &min, &max, &open_ended);
    r->pos = pos;
    return interval;
}

/* piece: atom quantifier? */
static rx_size parse_piece(rx *r)
{
    rx_size atom = parse_atom(r);
    if (r->pos < r->len && apply_quantifier(r, &atom) && at_quantifier(r))
        refuse(r, r->pos, "a quantifier follows another (POSIX has no lazy or possessive forms); "
                          "group the first one");
    return atom;
}

/* concatenation: piece* (up to "|", ")" or the end) */
static rx_size parse_concatenation(rx *r)
{
    rx_size all = {0, true};
    while (r->pos < r->len && !r->why && r->s[r->pos] != '|' &&
           !(r->s[r->pos] == ')' && r->depth > 0)) {
        rx_size piece = parse_piece(r);
        all.copies = plus(all.copies, piece.copies);
        all.nullable = all.nullable && piece.nullable;
        if (all.copies > FDL_REGEX_MAX_COPIES)
            refuse(r, r->pos - 1, TOO_MANY_COPIES);
    }
    return all;
}

/* alternation: concatenation ("|" concatenation)* */
static rx_size parse_alternation(rx *r)
{
    rx_size all = parse_concatenation(r);
    while (r->pos < r->len && !r->why && r->s[r->pos] == '|') {
        r->pos++;
        rx_size branch = parse_concatenation(r);
        all.copies = plus(all.copies, branch.copies);
        all.nullable = all.nullable || branch.nullable;
        if (all.copies > FDL_REGEX_MAX_COPIES)
            refuse(r, r->pos - 1, TOO_MANY_COPIES);
    }
    return all;
}

const char *fdl_regex_bound(const char *pattern, size_t len, size_t *at)
{
    assert(pattern || len == 0);
    rx r = {.s = pattern, .len = len};
    if (len > FDL_REGEX_MAX_LENGTH)
        refuse(&r, FDL_REGEX_MAX_LENGTH, "it is longer than " FDL_REGEX_TEXT(FDL_REGEX_MAX_LENGTH) " bytes");
    if (!r.why)
        parse_alternation(&r);      /* at depth 0 a ")" is read as an atom */
    assert(r.why || r.pos == r.len);
    if (at)
        *at = r.at;
    return r.why;
}
