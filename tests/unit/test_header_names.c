/*
 * test_header_names.c - output names that would shadow a system header are
 * refused with the reason (compiler/header_names.c); the default and other
 * names pass; every C-identifier header at the top of /usr/include that
 * glibc installs is in the table.
 */
#define _XOPEN_SOURCE 700   /* popen */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "header_names.h"

static void test_refused_with_reason(void **state)
{
    (void)state;
    static const char *const names[] = {"features", "stdio", "string", "math", "time", "errno",
                                        "unistd", "pthread", "malloc", "endian", "fdlrt",
                                        "FEATURES", "Stdio", "limits", "stdatomic", "threads"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *reason = header_name_problem(names[i]);
        assert_non_null(reason);
        assert_non_null(strstr(reason, "would shadow"));
        assert_non_null(strstr(reason, FDL_DEFAULT_OUTPUT_NAME));
    }
    assert_non_null(strstr(header_name_problem("features"), "<features.h>"));
    assert_non_null(strstr(header_name_problem("Stdio"), "<stdio.h>"));
    assert_non_null(strstr(header_name_problem("fdlrt"), "runtime"));
}

static void test_allowed(void **state)
{
    (void)state;
    static const char *const names[] = {FDL_DEFAULT_OUTPUT_NAME, "seed", "ranking", "features2",
                                        "my_features", "stdio_x", "lib", "x", "fdlrt_x"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        assert_null(header_name_problem(names[i]));
}

/* glibc's own top-level headers (libc6-dev's file list, when dpkg has it):
 * each that is a C identifier is refused. */
static void test_glibc_headers_covered(void **state)
{
    (void)state;
    FILE *list = popen("dpkg -L libc6-dev 2>/dev/null", "r");
    assert_non_null(list);
    char line[4096];
    int checked = 0;
    while (fgets(line, sizeof line, list)) {
        line[strcspn(line, "\n")] = '\0';
        const char *prefix = "/usr/include/";
        size_t n = strlen(line), p = strlen(prefix);
        if (strncmp(line, prefix, p) != 0 || n < p + 3 || strcmp(line + n - 2, ".h") != 0)
            continue;
        line[n - 2] = '\0';
        const char *name = line + p;
        if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
            strlen(name))
            continue;   /* a subdirectory's header, or not an identifier (stdc-predef) */
        if (!header_name_problem(name))
            fail_msg("glibc's <%s.h> is not in compiler/header_names.c's table", name);
        checked++;
    }
    pclose(list);
    if (checked == 0)
        skip();   /* not a dpkg system */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_with_reason),
        cmocka_unit_test(test_allowed),
        cmocka_unit_test(test_glibc_headers_covered),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
