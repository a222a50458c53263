/*
 * output.c - how every file fdlc and the runtime write is written, so that
 * nothing a user has is lost:
 *
 *   - an output that names an input or another output is refused before
 *     anything is opened for writing (fdl_paths_check: device and inode,
 *     through symbolic links, not path strings);
 *   - a regular file is written to a unique, unnamed temporary in the
 *     target's own directory (O_TMPFILE, else mkstemp) that is renamed over
 *     the target only when every byte is written and synced: a reader, a
 *     concurrent run or a crash never sees half a file, and a failed run
 *     leaves the old file as it was;
 *   - a FIFO or character device (/dev/stdout, /dev/null, a pipe) is written
 *     in place, never replaced; a symbolic link is followed to its target,
 *     which is written and the link kept; "-" is standard output;
 *   - a directory, socket, block device or a link to nothing is refused.
 *
 * Temporaries with a name (the mkstemp fallback and the moment between
 * naming and renaming an O_TMPFILE) are registered, so that a signal
 * handler can remove them (fdl_output_remove_temporaries).
 */
#define _GNU_SOURCE

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* ----------------------------------------------- temporaries to clean up */

enum { MAX_TEMPORARIES = 32 };

/* Names the signal handler may unlink: written before a name exists on
 * disk, cleared after it is gone or renamed. */
static char *volatile temporaries[MAX_TEMPORARIES];

static void register_temporary(char *name)
{
    for (int i = 0; i < MAX_TEMPORARIES; i++)
        if (!temporaries[i]) {
            temporaries[i] = name;
            return;
        }
    /* More than 32 files at once: this one is not cleaned up on a signal. */
}

static void unregister_temporary(const char *name)
{
    for (int i = 0; i < MAX_TEMPORARIES; i++)
        if (temporaries[i] == name)
            temporaries[i] = NULL;
}

/* Async-signal-safe: unlink only. */
void fdl_output_remove_temporaries(void)
{
    for (int i = 0; i < MAX_TEMPORARIES; i++) {
        char *name = temporaries[i];
        if (name)
            unlink(name);
    }
}

/* --------------------------------------------------------------- helpers */

static fdl_status output_error(fdl_error *err, const char *path, const char *what, int error)
{
    if (error)
        return fdl_error_set(err, FDL_ERR_IO, "%s: %s: %s", path, what, strerror(error));
    return fdl_error_set(err, FDL_ERR_IO, "%s: %s", path, what);
}

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

/* The directory part of path ("." when it has none). */
static char *directory_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return copy_string(".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (dir) {
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    return dir;
}

static const char *base_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static bool is_null_device(const struct stat *st)
{
    struct stat null_device;
    return S_ISCHR(st->st_mode) && stat("/dev/null", &null_device) == 0 &&
           st->st_rdev == null_device.st_rdev;
}

/* ---------------------------------------------------- inputs and outputs */

/* Where a path leads: an existing file's device and inode, or, for a file
 * not yet there, its directory's and its name. */
typedef struct identity {
    dev_t dev;
    ino_t ino;
    const char *name;       /* NULL for an existing file */
    bool exists, replaceable, null_device;
} identity;

static bool identify(const char *path, identity *id)
{
    struct stat st;
    memset(id, 0, sizeof *id);
    if (strcmp(path, "-") == 0) {
        if (fstat(STDOUT_FILENO, &st) != 0)
            return false;
    } else if (stat(path, &st) != 0) {
        if (errno != ENOENT)
            return false;
        struct stat link;
        if (lstat(path, &link) == 0)
            return false;           /* a link to nothing: refused when opened */
        char *dir = directory_of(path);
        bool ok = dir && stat(dir, &st) == 0;
        free(dir);
        if (!ok)
            return false;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        id->name = base_of(path);
        id->replaceable = true;
        return true;
    }
    id->dev = st.st_dev;
    id->ino = st.st_ino;
    id->exists = true;
    id->replaceable = S_ISREG(st.st_mode);
    id->null_device = is_null_device(&st);
    return true;
}

static bool same_identity(const identity *a, const identity *b)
{
    if (a->dev != b->dev || a->ino != b->ino)
        return false;
    if (!a->name || !b->name)
        return !a->name && !b->name;
    return strcmp(a->name, b->name) == 0;
}

fdl_status fdl_paths_check(const fdl_path_use *uses, int n, fdl_error *err)
{
    identity *ids = calloc((size_t)n + 1, sizeof *ids);
    bool *known = calloc((size_t)n + 1, sizeof *known);
    if (!ids || !known) {
        free(ids);
        free(known);
        return fdl_error_set(err, FDL_ERR_MEMORY, "out of memory");
    }
    for (int i = 0; i < n; i++)
        known[i] = uses[i].path && identify(uses[i].path, &ids[i]);
    fdl_status status = FDL_OK;
    for (int i = 0; i < n && status == FDL_OK; i++) {
        if (!known[i] || !uses[i].output || ids[i].null_device)
            continue;
        for (int j = 0; j < n && status == FDL_OK; j++) {
            if (j == i || !known[j] || !same_identity(&ids[i], &ids[j]))
                continue;
            if (uses[j].output && j < i)
                status = fdl_error_set(err, FDL_ERR_ARGUMENT,
                                       "%s '%s' and %s '%s' are the same file: refusing to write it twice",
                                       uses[j].role, uses[j].path, uses[i].role, uses[i].path);
            else if (!uses[j].output && ids[i].replaceable)
                status = fdl_error_set(err, FDL_ERR_ARGUMENT,
                                       "%s '%s' is %s '%s': refusing to write over an input",
                                       uses[i].role, uses[i].path, uses[j].role, uses[j].path);
        }
    }
    free(ids);
    free(known);
    return status;
}

/* ------------------------------------------------------------- one output */

/* An unnamed file in dir (O_TMPFILE), else a named one from mkstemp. */
static int open_temporary(fdl_output *o, const char *dir, const char *base)
{
#ifdef O_TMPFILE
    /* Naming it later goes through /proc/self/fd: without /proc, mkstemp. */
    if (access("/proc/self/fd", X_OK) == 0) {
        int unnamed = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
        if (unnamed >= 0)
            return unnamed;
        if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT)
            return -1;
    }
#endif
    size_t n = strlen(dir) + strlen(base) + 32;
    o->temp = malloc(n);
    if (!o->temp)
        return errno = ENOMEM, -1;
    /* At most 64 bytes of the name: any name's temporary fits NAME_MAX. */
    snprintf(o->temp, n, "%s/.%.64s.fdlc-XXXXXX", dir, base);
    register_temporary(o->temp);
    int fd = mkostemp(o->temp, O_CLOEXEC);
    if (fd < 0) {
        unregister_temporary(o->temp);
        free(o->temp);
        o->temp = NULL;
        return -1;
    }
    /* mkstemp makes 0600; the output gets what a plain create would. */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    return fd;
}

/* Opens a regular file's replacement: target is the resolved path. */
static fdl_status open_replacement(fdl_output *o, const char *target, const struct stat *old,
                                   fdl_error *err)
{
    if (old && access(target, W_OK) != 0)
        return output_error(err, o->path, "cannot write", errno);
    char *dir = directory_of(target);
    if (!dir)
        return fdl_error_set(err, FDL_ERR_MEMORY, "out of memory");
    o->target = copy_string(target);
    int fd = o->target ? open_temporary(o, dir, base_of(target)) : -1;
    free(dir);
    if (fd < 0)
        return output_error(err, o->path, "cannot create a temporary beside it", errno);
    if (old)
        fchmod(fd, old->st_mode & 07777);   /* keep the mode of the file replaced */
    o->fd = fd;
    return FDL_OK;
}

fdl_status fdl_output_open(fdl_output *o, const char *path, fdl_error *err)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->path = copy_string(path);
    if (!o->path)
        return fdl_error_set(err, FDL_ERR_MEMORY, "out of memory");
    fdl_status status = FDL_OK;
    struct stat st;
    if (strcmp(path, "-") == 0) {
        o->file = stdout;
        o->is_stdout = true;
        return FDL_OK;
    }
    if (stat(path, &st) != 0) {
        struct stat link;
        if (errno != ENOENT)
            status = output_error(err, path, "cannot write", errno);
        else if (lstat(path, &link) == 0)
            status = output_error(err, path, "is a symbolic link to a file that does not exist", 0);
        else
            status = open_replacement(o, path, NULL, err);
    } else if (S_ISREG(st.st_mode)) {
        char *target = realpath(path, NULL);
        if (!target)
            status = output_error(err, path, "cannot resolve", errno);
        else
            status = open_replacement(o, target, &st, err);
        free(target);
    } else if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)) {
        o->fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
        if (o->fd < 0)
            status = output_error(err, path, "cannot write", errno);
    } else {
        status = output_error(err, path,
                              S_ISDIR(st.st_mode) ? "is a directory"
                                                  : "is not a regular file, FIFO or character device",
                              0);
    }
    if (status == FDL_OK && !(o->file = fdopen(o->fd, "wb")))
        status = output_error(err, path, "cannot write", errno);
    if (status != FDL_OK)
        fdl_output_abort(o);
    return status;
}

/* Gives the unnamed temporary a name beside the target. */
static bool name_temporary(fdl_output *o, int fd)
{
    char *dir = directory_of(o->target);
    if (!dir)
        return errno = ENOMEM, false;
    size_t n = strlen(dir) + strlen(base_of(o->target)) + 32;
    o->temp = malloc(n);
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    bool ok = false;
    for (int attempt = 0; o->temp && attempt < 100 && !ok; attempt++) {
        snprintf(o->temp, n, "%s/.%.64s.fdlc-%ld-%d", dir, base_of(o->target), (long)getpid(),
                 attempt);
        register_temporary(o->temp);
        ok = linkat(AT_FDCWD, proc, AT_FDCWD, o->temp, AT_SYMLINK_FOLLOW) == 0;
        if (!ok)
            unregister_temporary(o->temp);
        if (!ok && errno != EEXIST)
            break;
    }
    free(dir);
    if (!ok) {
        int saved = errno;
        free(o->temp);
        o->temp = NULL;
        errno = saved;
    }
    return ok;
}

/* Makes a rename durable: the directory's entry is synced too. */
static void sync_directory(const char *target)
{
    char *dir = directory_of(target);
    int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

static void release(fdl_output *o)
{
    if (o->temp) {
        unregister_temporary(o->temp);
        free(o->temp);
    }
    free(o->target);
    free(o->path);
    memset(o, 0, sizeof *o);
    o->fd = -1;
}

fdl_status fdl_output_commit(fdl_output *o, fdl_error *err)
{
    assert(o->file);
    if (o->is_stdout) {
        bool failed = fflush(stdout) != 0 || ferror(stdout);
        fdl_status status = failed ? output_error(err, "standard output", "write error", errno) : FDL_OK;
        release(o);
        return status;
    }
    int error = 0;
    if (fflush(o->file) != 0 || ferror(o->file))
        error = errno ? errno : EIO;
    if (!error && o->target && fsync(fileno(o->file)) != 0)
        error = errno;
    if (!error && o->target && !o->temp && !name_temporary(o, fileno(o->file)))
        error = errno;
    if (fclose(o->file) != 0 && !error)
        error = errno ? errno : EIO;
    o->file = NULL;
    if (!error && o->target && rename(o->temp, o->target) != 0)
        error = errno;
    if (error) {
        fdl_status status = output_error(err, o->path, "write error", error);
        if (o->temp)
            unlink(o->temp);
        release(o);
        return status;
    }
    if (o->target)
        sync_directory(o->target);
    release(o);
    return FDL_OK;
}

void fdl_output_abort(fdl_output *o)
{
    if (o->file && !o->is_stdout)
        fclose(o->file);
    else if (!o->file && o->fd >= 0)
        close(o->fd);
    if (o->temp)
        unlink(o->temp);
    release(o);
}
