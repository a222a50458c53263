/*
 * materialize.c - `fdlc materialize FILE... --source NAME=PATH... --data
 * DIR [--until TIME] [--embedding NAME=PATH]... [--lib PATH]
 * [--quarantine PATH] [--now TIME]`: the offline -> online step. The
 * sources are read and checked by the batch path's reader and pushed in
 * time order into one serving store (fdl_materialize, runtime/batch.c),
 * whose state is saved as DIR/snapshot-00000000000000000000.fdls (tag 0):
 * a server started on DIR begins with its windows full instead of
 * replaying history. DIR is created when missing and must hold nothing
 * else (a server's log there would not belong to this state).
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "materialize.h"

enum { EXIT_USAGE = 2, EXIT_CONTRACT = 5 };

typedef struct materialize_args {
    char **files;
    int nfiles;
    fdl_batch_source *sources;
    int nsources;
    fdl_batch_embedding *embeddings;
    int nembeddings;
    const char *data, *until, *lib, *quarantine, *now;
} materialize_args;

static const char usage[] =
    "usage: fdlc materialize FILE... --source NAME=PATH... --data DIR [--until TIME]\n"
    "                        [--embedding NAME=PATH]... [--lib DIR/libN.so] [--quarantine PATH]\n"
    "                        [--now TIME]\n";

static bool usage_error(const char *what, const char *arg)
{
    fprintf(stderr, "fdlc: materialize: %s%s%s\n\n%s", what, arg ? " " : "", arg ? arg : "", usage);
    return false;
}

static bool split_assignment(char *arg, const char **name, const char **path)
{
    char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return false;
    *eq = '\0';
    *name = arg;
    *path = eq + 1;
    return true;
}

static bool parse_args(int argc, char **argv, materialize_args *a)
{
    memset(a, 0, sizeof *a);
    a->files = calloc((size_t)argc + 1, sizeof *a->files);
    a->sources = calloc((size_t)argc + 1, sizeof *a->sources);
    a->embeddings = calloc((size_t)argc + 1, sizeof *a->embeddings);
    if (!a->files || !a->sources || !a->embeddings)
        return usage_error("out of memory", NULL);
    for (int i = 0; i < argc; i++) {
        char *arg = argv[i];
        const char **value = NULL;
        if (strcmp(arg, "--data") == 0)
            value = &a->data;
        else if (strcmp(arg, "--until") == 0)
            value = &a->until;
        else if (strcmp(arg, "--lib") == 0)
            value = &a->lib;
        else if (strcmp(arg, "--quarantine") == 0)
            value = &a->quarantine;
        else if (strcmp(arg, "--now") == 0)
            value = &a->now;
        else if (strcmp(arg, "--source") == 0 || strcmp(arg, "--embedding") == 0) {
            const char *name, *path;
            if (i + 1 >= argc || !split_assignment(argv[i + 1], &name, &path))
                return usage_error("expected NAME=PATH after", arg);
            if (arg[2] == 's')
                a->sources[a->nsources++] = (fdl_batch_source){name, path};
            else
                a->embeddings[a->nembeddings++] = (fdl_batch_embedding){name, path};
            i++;
            continue;
        } else if (arg[0] == '-' && arg[1]) {
            return usage_error("unknown option", arg);
        } else {
            a->files[a->nfiles++] = arg;
            continue;
        }
        if (i + 1 >= argc)
            return usage_error("a value is needed after", arg);
        *value = argv[++i];
    }
    if (a->nfiles == 0)
        return usage_error("no definition files given", NULL);
    if (!a->data)
        return usage_error("--data DIR is required", NULL);
    return true;
}

/* DIR exists (made when missing) and holds nothing but, maybe, the
 * snapshot about to be replaced. */
static bool prepare_data_dir(const char *dir, const char *snapshot_name)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "fdlc: materialize: cannot create '%s': %s\n", dir, strerror(errno));
        return false;
    }
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "fdlc: materialize: cannot open '%s': %s\n", dir, strerror(errno));
        return false;
    }
    struct dirent *entry;
    bool ok = true;
    while (ok && (entry = readdir(d))) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || strcmp(name, snapshot_name) == 0)
            continue;
        fprintf(stderr,
                "fdlc: materialize: '%s' holds '%s': materialize into a new data directory (a "
                "server's log or snapshots there would not belong to this state)\n", dir, name);
        ok = false;
    }
    closedir(d);
    return ok;
}

static bool parse_time_arg(const char *option, const char *text, fdl_time *out)
{
    fdl_error err;
    if (fdl_parse_time(text, strlen(text), out, &err) == FDL_OK)
        return true;
    fprintf(stderr, "fdlc: materialize: %s '%s': %s\n", option, text, err.message);
    return false;
}

static int run(const materialize_args *a)
{
    char name[64], path[4200];
    snprintf(name, sizeof name, FDLC_SNAPSHOT_NAME, 0ULL);
    snprintf(path, sizeof path, "%s/%s", a->data, name);
    fdl_materialize_options options = {
        .sources = a->sources, .nsources = a->nsources,
        .embeddings = a->embeddings, .nembeddings = a->nembeddings,
        .snapshot_path = path, .tag = 0, .quarantine_path = a->quarantine, .summary = stderr,
    };
    if ((a->until && !parse_time_arg("--until", a->until, &options.until)) ||
        (a->now && !parse_time_arg("--now", a->now, &options.now)))
        return EXIT_USAGE;
    options.has_until = a->until != NULL;
    int status;
    void *handle;
    const fdl_program *program = fdlc_load_program(a->files, a->nfiles, a->lib, &handle, &status);
    if (!program)
        return status;
    if (!prepare_data_dir(a->data, name)) {
        dlclose(handle);
        return EXIT_USAGE;
    }
    fdl_batch_stats stats;
    fdl_error err;
    fdl_status result = fdl_materialize(program, &options, &stats, &err);
    dlclose(handle);
    if (result != FDL_OK) {
        fprintf(stderr, "fdlc: materialize: %s\n", err.message);
        return result == FDL_ERR_SLA || result == FDL_ERR_CHECK ? EXIT_CONTRACT : EXIT_USAGE;
    }
    fprintf(stderr, "fdlc: materialize: %llu rows read (%llu accepted, %llu dropped) -> %s in %.3f s\n",
            (unsigned long long)stats.events, (unsigned long long)stats.accepted,
            (unsigned long long)stats.dropped, path, stats.seconds);
    return 0;
}

int materialize_main(int argc, char **argv)
{
    materialize_args a;
    int status = parse_args(argc, argv, &a) ? run(&a) : EXIT_USAGE;
    free(a.files);
    free(a.sources);
    free(a.embeddings);
    return status;
}
