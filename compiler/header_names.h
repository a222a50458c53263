/*
 * header_names.h - output names (fdlc compile --name) that would shadow a
 * system header: NAME.h beside the generated code is found before the C
 * library's own <NAME.h> once its directory is on the include path (-I), as
 * every build system puts it.
 */
#ifndef FDL_HEADER_NAMES_H
#define FDL_HEADER_NAMES_H

/* The name fdlc compile and build use without --name: no header's. */
#define FDL_DEFAULT_OUTPUT_NAME "fdlfeatures"

/*
 * Why NAME.h would shadow a header (C standard, POSIX, glibc, or the
 * runtime's own fdlrt.h), or NULL when it would not. Letters are compared
 * regardless of case (case-insensitive file systems).
 */
const char *header_name_problem(const char *name);

#endif
