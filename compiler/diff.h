/*
 * diff.h - the `fdlc diff` command (diff.c).
 */
#ifndef FDL_DIFF_H
#define FDL_DIFF_H

/* argv: what follows `diff`. Exit status: 0 no change, 3 changes, 4 a
 * breaking change, 1 errors in the definitions, 2 anything else. */
int diff_main(int argc, char **argv);

#endif
