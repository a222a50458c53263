/*
 * inputs.h - the source files `fdlc batch` is given: a --source whose path
 * is a glob pattern (`--source purchases='data/purchases-*.csv.gz'`) stands
 * for every matching file, in sorted order.
 */
#ifndef FDL_INPUTS_H
#define FDL_INPUTS_H

#include <stdbool.h>

#include "fdlrt.h"

/*
 * Replaces each source whose path holds *, ? or [ by one entry per file it
 * matches (sorted by name); a pattern that matches nothing is an error
 * (printed). sources must have room for *n entries; the result is a new
 * array in *out (free it, then inputs_free for the names).
 */
bool inputs_expand_sources(const fdl_batch_source *sources, int n, fdl_batch_source **out, int *nout);
/* Frees the file names inputs_expand_sources made. */
void inputs_free(void);

#endif
