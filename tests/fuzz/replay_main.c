/*
 * replay_main.c - main() for a harness built without libFuzzer: runs
 * LLVMFuzzerTestOneInput over every file named, or every file in every
 * directory named (sorted, dot files skipped), so that any compiler's build
 * replays the seed corpora and the regression inputs as a ctest test. A
 * broken invariant or a sanitizer report aborts, as under libFuzzer.
 *
 *   fuzz_csv_replay tests/fuzz/corpus/csv tests/fuzz/regressions/csv
 */
#define _POSIX_C_SOURCE 200809L

#include "fuzz.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int replay_file(const char *path)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return 1;
    }
    size_t cap = 4096, size = 0;
    uint8_t *data = malloc(cap);
    size_t n;
    while (data && (n = fread(data + size, 1, cap - size, in)) > 0) {
        size += n;
        if (size == cap) {
            uint8_t *grown = realloc(data, cap *= 2);
            if (!grown)
                free(data);
            data = grown;
        }
    }
    fclose(in);
    if (!data) {
        fprintf(stderr, "replay: out of memory reading %s\n", path);
        return 1;
    }
    /* An exact-size copy, so that ASan sees a read past the input's end. */
    uint8_t *exact = malloc(size ? size : 1);
    if (!exact) {
        free(data);
        return 1;
    }
    memcpy(exact, data, size);
    free(data);
    LLVMFuzzerTestOneInput(exact, size);
    free(exact);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays a directory's files in name order; counts them in *count. */
static int replay_directory(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: cannot open directory %s\n", dir);
        return 1;
    }
    char **names = NULL;
    size_t nnames = 0;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        char **grown = realloc(names, (nnames + 1) * sizeof *names);
        if (!grown)
            break;
        names = grown;
        names[nnames++] = strdup(entry->d_name);
    }
    closedir(d);
    qsort(names, nnames, sizeof *names, by_name);
    int failures = 0;
    for (size_t i = 0; i < nnames; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            failures += replay_file(path);
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return failures;
}

int main(int argc, char **argv)
{
    int failures = 0, count = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            /* A harness with no regression inputs yet has no directory. */
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            failures += replay_directory(argv[i], &count);
        } else {
            failures += replay_file(argv[i]);
            count++;
        }
    }
    printf("replayed %d input%s, %d unreadable\n", count, count == 1 ? "" : "s", failures);
    return failures ? 1 : 0;
}
