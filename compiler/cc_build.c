/*
 * cc_build.c - runs the C compiler on generated code (cc_build.h): one
 * process for a one-file program; for a split one, one compile per file,
 * as many at a time as there are CPUs, then one link.
 *
 * The generated files are independent once NAME_units.h declares what they
 * share, so a 10,000-feature program (a dozen files) builds in about the
 * time of its largest file per core, and no compiler process holds the
 * whole program in memory.
 */
#define _XOPEN_SOURCE 700

#include "cc_build.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_WORDS = 40 };

/* The flags every generated file is compiled with. -ffp-contract=off: no
 * fused multiply-add may change a result (batch and serving bit-identical). */
static const char *const compile_flags[] = {"-std=c11", "-ffp-contract=off", "-fPIC",
                                            "-Wall", "-Wextra", "-Wpedantic"};
static const char *const optimize_flags[] = {"-O0", "-O1", "-O2"};

static const char *optimize_flag(const int *levels, int unit)
{
    int level = levels ? levels[unit] : 2;
    return optimize_flags[level < 0 ? 0 : level > 2 ? 2 : level];
}

void cc_unit_path(const char *dir, const char *name, int unit, char *path, size_t size)
{
    if (unit == 0)
        snprintf(path, size, "%s/%s.c", dir, name);
    else
        snprintf(path, size, "%s/%s_%d.c", dir, name, unit);
}

/* A command line: $CC's words, then up to `extra` more. Words point into
 * the command's own copy of $CC and into strings that outlive it. */
typedef struct command {
    char cc[1024];
    char **argv;
    int argc, capacity;
} command;

static bool command_start(command *c, int extra)
{
    const char *cc = getenv("CC");
    snprintf(c->cc, sizeof c->cc, "%s", cc && *cc ? cc : "cc");
    c->argc = 0;
    c->capacity = MAX_WORDS + extra + 1;
    c->argv = calloc((size_t)c->capacity, sizeof *c->argv);
    if (!c->argv) {
        fprintf(stderr, "fdlc: out of memory\n");
        return false;
    }
    for (char *word = strtok(c->cc, " \t"); word && c->argc < MAX_WORDS; word = strtok(NULL, " \t"))
        c->argv[c->argc++] = word;
    return true;
}

static void command_add(command *c, const char *word)
{
    assert(c->argc < c->capacity - 1);
    c->argv[c->argc++] = (char *)word;
    c->argv[c->argc] = NULL;
}

/* Starts the command and frees its words; its pid, or -1 with a message. */
static pid_t command_spawn(command *c)
{
    c->argv[c->argc] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        fprintf(stderr, "fdlc: cannot start the C compiler: %s\n", strerror(errno));
    if (pid == 0) {
        execvp(c->argv[0], c->argv);
        fprintf(stderr, "fdlc: cannot run the C compiler '%s': %s\n", c->argv[0], strerror(errno));
        _exit(127);
    }
    free(c->argv);
    c->argv = NULL;
    return pid;
}

/* Waits for one of the n children in pids (removed from it); whether it exited 0. */
static bool wait_one(pid_t *pids, int *n)
{
    for (;;) {
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0 && errno == EINTR)
            continue;
        if (pid < 0) {   /* none left: they were reaped elsewhere */
            *n = 0;
            return false;
        }
        for (int i = 0; i < *n; i++)
            if (pids[i] == pid) {
                pids[i] = pids[--*n];
                return WIFEXITED(status) && WEXITSTATUS(status) == 0;
            }
    }
}

/* Waits for one child. */
static bool wait_for(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Renames a built library over path: only over a regular file (a symbolic
 * link's target is replaced, the link kept). */
static bool install_library(const char *temp, const char *path)
{
    struct stat st;
    char *target = NULL;
    if (lstat(path, &st) == 0) {
        target = realpath(path, NULL);
        if (!target || stat(target, &st) != 0 || !S_ISREG(st.st_mode)) {
            fprintf(stderr, "fdlc: '%s' is not a regular file: refusing to replace it\n", path);
            free(target);
            unlink(temp);
            return false;
        }
    }
    /* The linker kept mkstemp's 0600: give what a plain create would. */
    mode_t mask = umask(0);
    umask(mask);
    chmod(temp, 0777 & ~mask);
    bool ok = rename(temp, target ? target : path) == 0;
    if (!ok) {
        fprintf(stderr, "fdlc: cannot write '%s': %s\n", path, strerror(errno));
        unlink(temp);
    }
    free(target);
    return ok;
}

/* How many compilers may run at once: $FDLC_JOBS, else the online CPUs. */
static int build_jobs(void)
{
    const char *env = getenv("FDLC_JOBS");
    long jobs = env && *env ? strtol(env, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    return jobs < 1 ? 1 : jobs > 64 ? 64 : (int)jobs;
}

/*
 * Compiles the nunits files to objects in objdir, at most build_jobs() at
 * a time; waits for all that started, even after a failure.
 */
static bool compile_units(const char *dir, const char *name, int nunits, const int *levels,
                          const char *include, const char *objdir, char (*objects)[4400],
                          char (*sources)[4400])
{
    int jobs = build_jobs(), running = 0, next = 0;
    pid_t *pids = calloc((size_t)jobs, sizeof *pids);
    bool ok = pids != NULL;
    while (ok && next < nunits) {
        if (running == jobs) {
            ok = wait_one(pids, &running);
            continue;
        }
        command c;
        if (!command_start(&c, 16)) {
            ok = false;
            break;
        }
        for (size_t i = 0; i < sizeof compile_flags / sizeof *compile_flags; i++)
            command_add(&c, compile_flags[i]);
        command_add(&c, optimize_flag(levels, next));
        cc_unit_path(dir, name, next, sources[next], sizeof sources[next]);
        snprintf(objects[next], sizeof objects[next], "%s/%d.o", objdir, next);
        command_add(&c, include);
        command_add(&c, "-c");
        command_add(&c, sources[next]);
        command_add(&c, "-o");
        command_add(&c, objects[next]);
        pid_t pid = command_spawn(&c);
        if (pid < 0) {
            ok = false;
            break;
        }
        pids[running++] = pid;
        next++;
    }
    while (running > 0)
        ok &= wait_one(pids, &running);
    free(pids);
    return ok && next == nunits;
}

/* Removes the objects and their directory. */
static void remove_objects(const char *objdir, char (*objects)[4400], int n)
{
    for (int i = 0; i < n; i++)
        if (objects[i][0])
            unlink(objects[i]);
    rmdir(objdir);
}

bool cc_build_library(const char *dir, const char *name, int nunits, const int *levels,
                      const char *include_dir, char *library, size_t size)
{
    char include[4200], temp[4300], source[4400];
    snprintf(library, size, "%s/lib%s.so", dir, name);
    snprintf(include, sizeof include, "-I%s", include_dir);
    /* cc writes a temporary of ours; only a whole library is renamed into place. */
    snprintf(temp, sizeof temp, "%s/.lib%s.so.fdlc-XXXXXX", dir, name);
    int fd = mkstemp(temp);
    if (fd < 0) {
        fprintf(stderr, "fdlc: cannot create a temporary in '%s': %s\n", dir, strerror(errno));
        return false;
    }
    close(fd);
    command c;
    bool ok = command_start(&c, 16 + (nunits > 1 ? nunits : 0));
    if (ok && nunits <= 1) {
        for (size_t i = 0; i < sizeof compile_flags / sizeof *compile_flags; i++)
            command_add(&c, compile_flags[i]);
        command_add(&c, optimize_flag(levels, 0));
        cc_unit_path(dir, name, 0, source, sizeof source);
        command_add(&c, "-shared");
        command_add(&c, include);
        command_add(&c, source);
        command_add(&c, "-o");
        command_add(&c, temp);
        pid_t pid = command_spawn(&c);
        ok = pid > 0 && wait_for(pid);
    } else if (ok) {
        char objdir[4300];
        snprintf(objdir, sizeof objdir, "%s/.%s.objects-XXXXXX", dir, name);
        char (*objects)[4400] = calloc((size_t)nunits, sizeof *objects);
        char (*sources)[4400] = calloc((size_t)nunits, sizeof *sources);
        if (!objects || !sources || !mkdtemp(objdir)) {
            fprintf(stderr, "fdlc: cannot create a build directory in '%s': %s\n", dir, strerror(errno));
            ok = false;
        } else {
            ok = compile_units(dir, name, nunits, levels, include, objdir, objects, sources);
            if (ok) {
                command_add(&c, "-shared");
                for (int i = 0; i < nunits; i++)
                    command_add(&c, objects[i]);
                command_add(&c, "-o");
                command_add(&c, temp);
                pid_t pid = command_spawn(&c);
                ok = pid > 0 && wait_for(pid);
            }
            remove_objects(objdir, objects, nunits);
        }
        free(objects);
        free(sources);
    }
    free(c.argv);   /* NULL once spawned */
    if (!ok) {
        fprintf(stderr, "fdlc: the C compiler failed building '%s'\n", library);
        unlink(temp);
        return false;
    }
    return install_library(temp, library);
}
