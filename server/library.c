/*
 * library.c - fdl-server's definitions library: built through the same
 * cache as `fdlc batch` (by running `fdlc library FILE...`, which prints
 * the cached library's path), or a built --lib libNAME.so; then dlopen'd.
 * The generated library resolves the runtime's symbols against the copy
 * linked into fdl-server (exported, as fdlc does).
 *
 * Which fdlc: $FDLC if set, else the fdlc beside fdl-server's executable
 * (an install), else ../compiler/fdlc from it (the build tree), else PATH.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server.h"

extern char **environ;

static bool executable(const char *path)
{
    return access(path, X_OK) == 0;
}

/* The fdlc to run, into out (a bare "fdlc" means: search PATH). */
static void find_fdlc(char *out, size_t size)
{
    const char *env = getenv("FDLC");
    if (env && *env) {
        snprintf(out, size, "%s", env);
        return;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *dir = dirname(self);
        snprintf(out, size, "%s/fdlc", dir);
        if (executable(out))
            return;
        snprintf(out, size, "%s/../compiler/fdlc", dir);
        if (executable(out))
            return;
    }
    snprintf(out, size, "fdlc");
}

/* Runs fdlc library FILE... and reads the path it prints; its diagnostics
 * go to our stderr as they are. */
static bool run_fdlc_library(const server_options *o, char *path, size_t size)
{
    char fdlc[PATH_MAX + 32];
    find_fdlc(fdlc, sizeof fdlc);
    char **argv = calloc((size_t)o->nfiles + 3, sizeof *argv);
    int pipefd[2];
    if (!argv || pipe(pipefd) != 0) {
        fprintf(stderr, "fdl-server: cannot run fdlc: %s\n", strerror(errno));
        free(argv);
        return false;
    }
    argv[0] = fdlc;
    argv[1] = "library";
    for (int i = 0; i < o->nfiles; i++)
        argv[i + 2] = o->files[i];
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipefd[0]);
    pid_t pid;
    int error = posix_spawnp(&pid, fdlc, &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    free(argv);
    close(pipefd[1]);
    if (error) {
        fprintf(stderr, "fdl-server: cannot run %s: %s (set FDLC, or use --lib)\n", fdlc, strerror(error));
        close(pipefd[0]);
        return false;
    }
    size_t got = 0;
    ssize_t n;
    while (got + 1 < size && (n = read(pipefd[0], path + got, size - got - 1)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        got += (size_t)n;
    }
    close(pipefd[0]);
    path[got] = '\0';
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "fdl-server: %s library failed (the definitions, above)\n", fdlc);
        return false;
    }
    char *newline = strchr(path, '\n');
    if (newline)
        *newline = '\0';
    if (!*path) {
        fprintf(stderr, "fdl-server: %s library printed no path\n", fdlc);
        return false;
    }
    return true;
}

/* libNAME.so -> NAME_program, the generated entry point. */
static bool entry_symbol(const char *path, char *symbol, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (strncmp(base, "lib", 3) != 0 || len < 7 || strcmp(base + len - 3, ".so") != 0 ||
        len - 6 + sizeof "_program" > size)
        return false;
    snprintf(symbol, size, "%.*s_program", (int)(len - 6), base + 3);
    return true;
}

/* The manifest the compiler wrote beside the library (DIR/NAME.json). */
static void load_manifest(library *lib, const char *symbol)
{
    char path[4600];
    const char *slash = strrchr(lib->path, '/');
    int dir = slash ? (int)(slash - lib->path) : 1;
    snprintf(path, sizeof path, "%.*s/%.*s.json", dir, slash ? lib->path : ".",
             (int)(strlen(symbol) - strlen("_program")), symbol);
    FILE *in = fopen(path, "rb");
    if (!in)
        return;
    char *text = NULL;
    size_t length = 0;
    FILE *mem = open_memstream(&text, &length);
    char buffer[8192];
    size_t n;
    while (mem && (n = fread(buffer, 1, sizeof buffer, in)) > 0)
        fwrite(buffer, 1, n, mem);
    fclose(in);
    if (mem && fclose(mem) == 0) {
        lib->manifest = text;
        lib->manifest_length = length;
    }
}

bool library_load(library *lib, const server_options *o, const char *argv0)
{
    (void)argv0;
    memset(lib, 0, sizeof *lib);
    if (o->lib)
        snprintf(lib->path, sizeof lib->path, "%s%s", strchr(o->lib, '/') ? "" : "./", o->lib);
    else if (!run_fdlc_library(o, lib->path, sizeof lib->path))
        return false;
    char symbol[300];
    if (!entry_symbol(lib->path, symbol, sizeof symbol)) {
        fprintf(stderr, "fdl-server: '%s' must be a path to libNAME.so\n", lib->path);
        return false;
    }
    lib->handle = dlopen(lib->path, RTLD_NOW | RTLD_LOCAL);
    if (!lib->handle) {
        fprintf(stderr, "fdl-server: cannot load '%s': %s\n", lib->path, dlerror());
        return false;
    }
    const fdl_program *(*entry)(void);
    *(void **)&entry = dlsym(lib->handle, symbol);
    if (!entry) {
        fprintf(stderr, "fdl-server: '%s' has no %s(): not a library built by fdlc\n", lib->path, symbol);
        library_unload(lib);
        return false;
    }
    lib->program = entry();
    if (lib->program->abi_version != FDL_ABI_VERSION) {
        fprintf(stderr, "fdl-server: '%s' was built for runtime ABI %d; this server has ABI %d: rebuild it\n",
                lib->path, lib->program->abi_version, FDL_ABI_VERSION);
        library_unload(lib);
        return false;
    }
    load_manifest(lib, symbol);
    return true;
}

void library_unload(library *lib)
{
    if (lib->handle)
        dlclose(lib->handle);
    free(lib->manifest);
    memset(lib, 0, sizeof *lib);
}
