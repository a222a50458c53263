/*
 * materialize.h - `fdlc materialize`: the state a serving store would hold
 * after ingesting source files, written as a store snapshot into a data
 * directory for fdl-server to start from (docs/snapshots.md).
 */
#ifndef FDLC_MATERIALIZE_H
#define FDLC_MATERIALIZE_H

#include <stdint.h>

#include "fdlrt.h"

/* The snapshot a data directory's state starts from: DIR/snapshot-<tag,
 * 20 digits>.fdls, so that names sort as tags do. materialize writes tag 0. */
#define FDLC_SNAPSHOT_NAME "snapshot-%020llu.fdls"

/* argv holds the arguments after the word "materialize". Returns the exit
 * status (0; 1 bad definitions; 2 usage, input or I/O; 5 the data broke
 * its contract: the snapshot is written, as batch writes its output). */
int materialize_main(int argc, char **argv);

/* main.c: compiles the definitions and loads their library (lib, else the
 * build cache) as fdlc batch does. NULL after a message on stderr, with
 * the exit status in *status; else dlclose(*handle) when done. */
const fdl_program *fdlc_load_program(char **files, int nfiles, const char *lib, void **handle,
                                     int *status);

#endif
