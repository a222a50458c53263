/*
 * suggest.c - edit distance for "did you mean" suggestions.
 */
#include "suggest.h"

#include <stdbool.h>
#include <string.h>

/* Levenshtein distance, giving up (returning limit + 1) on long words. */
static int edit_distance(const char *a, const char *b, int limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return limit + 1;
    int row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diagonal = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int above = row[j];
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int best = diagonal + cost;
            if (row[j] + 1 < best)
                best = row[j] + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[lb];
}

/* True when word abbreviates candidate as people do (amt for amount, qty
 * for quantity): the same first letter, then the rest of word in order,
 * at least three letters and a third of the candidate. */
static bool abbreviates(const char *word, const char *candidate)
{
    size_t lw = strlen(word), lc = strlen(candidate);
    if (lw < 3 || lw >= lc || lw * 3 < lc || word[0] != candidate[0])
        return false;
    const char *c = candidate;
    for (const char *w = word; *w; w++, c++) {
        c = strchr(c, *w);
        if (!c)
            return false;
    }
    return true;
}

const char *suggest_closest(const char *word, const char *const *candidates, int count)
{
    const char *best = NULL;
    int best_distance = 3;
    int len = (int)strlen(word);
    for (int i = 0; i < count; i++) {
        if (!candidates[i])
            continue;
        int d = edit_distance(word, candidates[i], 2);
        if (d < best_distance && d * 2 < len + 1) {
            best = candidates[i];
            best_distance = d;
        }
    }
    if (best)
        return best;
    /* No typo close enough: an abbreviation, the shortest if several. */
    for (int i = 0; i < count; i++)
        if (candidates[i] && abbreviates(word, candidates[i]) &&
            (!best || strlen(candidates[i]) < strlen(best)))
            best = candidates[i];
    return best;
}
