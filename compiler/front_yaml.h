/*
 * front_yaml.h - the YAML front end: definition files to AST.
 *
 * Reads one file with libyaml into a small node tree (with limits on depth,
 * size and alias expansion, so no input can exhaust memory or the stack),
 * then maps its keys onto ast_program declarations. Every error is located
 * and reported; reading goes on to find the rest.
 */
#ifndef FDL_FRONT_YAML_H
#define FDL_FRONT_YAML_H

#include "ast.h"

enum {
    YAML_MAX_DEPTH = 64,          /* nesting of mappings and sequences */
    YAML_MAX_NODES = 1000000,     /* nodes visited, aliases included */
};

/* Parses source file `file` and appends its declarations to program.
 * Returns false if any error was reported. */
bool front_yaml_read(source_set *sources, arena *a, int file, ast_program *program);

#endif
