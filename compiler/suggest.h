/*
 * suggest.h - "did you mean" for misspelt names.
 */
#ifndef FDL_SUGGEST_H
#define FDL_SUGGEST_H

/* The candidate closest to word by edit distance, if close enough to be a
 * plausible typo (distance <= 2 and less than half the word); else one it
 * abbreviates (amt: amount); else NULL. */
const char *suggest_closest(const char *word, const char *const *candidates, int count);

#endif
