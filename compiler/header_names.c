/*
 * header_names.c - the table of top-level header names a generated NAME.h
 * must not take: those of C11, POSIX.1-2017 and glibc (as installed by
 * Debian's libc6-dev in /usr/include), and fdlrt.h. Headers in
 * subdirectories (sys/, bits/, ...) cannot be shadowed by a NAME.h.
 */
#include "header_names.h"

#include <stddef.h>
#include <stdio.h>
#include <strings.h>

typedef struct header_set {
    const char *reason;   /* printf format with %s for the header's name */
    const char *const *names;
} header_set;

static const char *const c_headers[] = {
    "assert", "complex", "ctype", "errno", "fenv", "float", "inttypes", "iso646", "limits",
    "locale", "math", "setjmp", "signal", "stdalign", "stdarg", "stdatomic", "stdbool",
    "stddef", "stdint", "stdio", "stdlib", "stdnoreturn", "string", "tgmath", "threads",
    "time", "uchar", "wchar", "wctype", NULL};

static const char *const posix_headers[] = {
    "aio", "cpio", "dirent", "dlfcn", "fcntl", "fmtmsg", "fnmatch", "ftw", "glob", "grp",
    "iconv", "langinfo", "libgen", "monetary", "mqueue", "ndbm", "netdb", "nl_types", "poll",
    "pthread", "pwd", "regex", "sched", "search", "semaphore", "spawn", "strings", "stropts",
    "syslog", "tar", "termios", "trace", "ulimit", "unistd", "utime", "utmpx", "wordexp", NULL};

static const char *const glibc_headers[] = {
    "features", "aliases", "alloca", "ar", "argp", "argz", "byteswap", "crypt", "elf",
    "endian", "envz", "err", "error", "execinfo", "fpu_control", "fstab", "fts", "gconv",
    "getopt", "gshadow", "ieee754", "ifaddrs", "lastlog", "libintl", "link",
    "malloc", "mcheck", "memory", "mntent", "nss", "ucontext", "obstack", "paths", "printf",
    "proc_service", "pty", "re_comp", "regexp", "resolv", "sgtty", "shadow", "stab",
    "stdio_ext", "sysexits", "syscall", "termio", "thread_db", "ttyent",
    "utmp", "values", "wait", "xlocale", NULL};

static const char *const runtime_headers[] = {"fdlrt", NULL};

static const header_set sets[] = {
    {"%s.h is the C standard library's <%s.h>", c_headers},
    {"%s.h is POSIX's <%s.h>", posix_headers},
    {"%s.h is the C library's <%s.h> (glibc)", glibc_headers},
    {"%s.h is the fdl runtime's own header, which the generated code includes", runtime_headers},
};

const char *header_name_problem(const char *name)
{
    static char reason[512];
    for (size_t s = 0; s < sizeof sets / sizeof *sets; s++)
        for (const char *const *h = sets[s].names; *h; h++)
            if (strcasecmp(name, *h) == 0) {
                /* The table's spelling: the header the user would lose. */
                char what[160];
                snprintf(what, sizeof what, sets[s].reason, *h, *h);
                snprintf(reason, sizeof reason,
                         "%s, and would shadow it wherever the output directory is on the"
                         " include path (-I); choose another name (the default is %s)",
                         what, FDL_DEFAULT_OUTPUT_NAME);
                return reason;
            }
    return NULL;
}
