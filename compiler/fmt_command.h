/*
 * fmt_command.h - the `fdlc fmt` command (print, --check, --write).
 */
#ifndef FDL_FMT_COMMAND_H
#define FDL_FMT_COMMAND_H

/* argv: what follows `fmt`. Exit status: 0 done (--check: nothing would
 * change), 1 errors in the definitions or (--check) files that would
 * change, 2 anything else (usage, a file that could not be written). */
int fmt_main(int argc, char **argv);

#endif
