/*
 * bench_numbers.c - number text in the runtime: formatting and parsing
 * doubles, parsing timestamps, reading CSV and writing a training set.
 *
 * For the same inputs in one run it prints the C library reference (the
 * rule fdl_format_float used to follow with snprintf "%.15g/16g/17g" and
 * strtod, and strtod for parsing) beside the runtime's functions: ns per
 * number and MB/s of text, wall time, and the CPU time of the process.
 * Then fdl_csv_next over real files (the seed data's purchases.csv and
 * user2vec_v3.csv), with and without parsing every cell, and a
 * training-set-like file (100k rows: keys, a timestamp, scalars and two
 * 128-d vectors) written through fdl_csv_write_value, in MB/s.
 *
 * It uses only functions the runtime has had for long (fdl_format_float,
 * fdl_parse_value, fdl_parse_time, fdl_csv_next, fdl_csv_write_value), so
 * the same source links against an older libfdlrt for a before/after
 * comparison (bench/README.md says how). It exits 1 if a formatted text
 * differs from the reference's or a parsed double from strtod's.
 *
 * Each figure is the best (least CPU time) of three runs (one with
 * --quick): on a shared machine the others' load only adds time.
 *
 * Usage: bench_numbers [--quick] [--csv-only] [--data DIR] [--out FILE]
 *   --csv-only: only reading the files, best of five runs each.
 *   DIR: the seed data (default build-bench/bench/data); files missing
 *        there are skipped. FILE: the training set written (default
 *        bench_numbers_train.csv, removed afterwards).
 */
#define _POSIX_C_SOURCE 200809L

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"

/* ------------------------------------------------------------ timing */

typedef struct stopwatch {
    struct timespec wall, cpu;
} stopwatch;

static void start(stopwatch *s)
{
    clock_gettime(CLOCK_MONOTONIC, &s->wall);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &s->cpu);
}

static double seconds_between(struct timespec a, struct timespec b)
{
    return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
}

/* Wall and CPU seconds since start. */
static void stop(const stopwatch *s, double *wall, double *cpu)
{
    struct timespec w, c;
    clock_gettime(CLOCK_MONOTONIC, &w);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
    *wall = seconds_between(s->wall, w);
    *cpu = seconds_between(s->cpu, c);
}

/* Runs body reps times and keeps the run of least CPU time: on a shared
 * machine the others' load only ever adds time. */
static int reps = 3;
#define MEASURE(wall, cpu, body)                                                           \
    do {                                                                                   \
        (wall) = (cpu) = 1e300;                                                            \
        for (int rep_ = 0; rep_ < reps; rep_++) {                                          \
            stopwatch s_;                                                                  \
            double w_, c_;                                                                 \
            start(&s_);                                                                    \
            body;                                                                          \
            stop(&s_, &w_, &c_);                                                           \
            if (c_ < (cpu)) {                                                              \
                (cpu) = c_;                                                                \
                (wall) = w_;                                                               \
            }                                                                              \
        }                                                                                  \
    } while (0)

static void report(const char *what, const char *how, long count, size_t bytes, double wall,
                   double cpu)
{
    printf("  %-34s %-10s %8.1f ns/item %8.1f MB/s   wall %.3f s  cpu %.3f s\n", what, how,
           cpu * 1e9 / (double)count, (double)bytes / 1e6 / cpu, wall, cpu);
}

static uint64_t rng_state = 42;

static uint64_t next_random(void)
{
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double uniform(void)     /* [-1, 1) with 53 random bits */
{
    return (double)(next_random() >> 11) * 0x1p-52 - 1.0;
}

/* --------------------------------------------------------- references */

/* The old fdl_format_float: first of %.15g, %.16g, %.17g that reads back. */
static size_t reference_format(double f, char *text, size_t size)
{
    int n = 0;
    for (int precision = 15; precision <= 17; precision++) {
        n = snprintf(text, size, "%.*g", precision, f);
        if (strtod(text, NULL) == f)
            break;
    }
    return (size_t)n;
}

/* ------------------------------------------------------ format, parse */

typedef struct texts {
    char *bytes;        /* NUL-separated */
    size_t *offsets;
    size_t *lengths;
    size_t total;       /* text bytes, separators not counted */
} texts;

static int failures;

static void bench_format(const char *what, const double *values, long n, texts *out)
{
    char text[64];
    double wall, cpu;
    size_t bytes = 0;

    MEASURE(wall, cpu, {
        bytes = 0;
        for (long i = 0; i < n; i++)
            bytes += reference_format(values[i], text, sizeof text);
    });
    report(what, "snprintf", n, bytes, wall, cpu);
    double reference_cpu = cpu;

    MEASURE(wall, cpu, {
        bytes = 0;
        for (long i = 0; i < n; i++)
            bytes += fdl_format_float(values[i], text, sizeof text);
    });
    report(what, "runtime", n, bytes, wall, cpu);
    printf("  %-34s %-10s %8.1fx\n", what, "speedup", reference_cpu / cpu);

    /* Same text, kept for the parsing runs. */
    out->bytes = malloc(bytes + (size_t)n);
    out->offsets = malloc((size_t)n * sizeof *out->offsets);
    out->lengths = malloc((size_t)n * sizeof *out->lengths);
    size_t at = 0;
    for (long i = 0; i < n; i++) {
        char expected[64];
        size_t len = fdl_format_float(values[i], text, sizeof text);
        reference_format(values[i], expected, sizeof expected);
        if (strcmp(text, expected) != 0 && failures++ < 5)
            fprintf(stderr, "bench_numbers: %a: '%s', the reference '%s'\n", values[i], text,
                    expected);
        memcpy(out->bytes + at, text, len + 1);
        out->offsets[i] = at;
        out->lengths[i] = len;
        at += len + 1;
    }
    out->total = bytes;
}

static void bench_parse(const char *what, const texts *in, long n)
{
    double wall, cpu, sum = 0;

    MEASURE(wall, cpu, {
        sum = 0;
        for (long i = 0; i < n; i++)
            sum += strtod(in->bytes + in->offsets[i], NULL);
    });
    report(what, "strtod", n, in->total, wall, cpu);
    double reference_cpu = cpu;

    double sum2 = 0;
    MEASURE(wall, cpu, {
        sum2 = 0;
        for (long i = 0; i < n; i++) {
            fdl_value v;
            fdl_parse_value(FDL_FLOAT64, in->bytes + in->offsets[i], in->lengths[i], &v, NULL);
            sum2 += v.as.f;
        }
    });
    report(what, "runtime", n, in->total, wall, cpu);
    printf("  %-34s %-10s %8.1fx\n", what, "speedup", reference_cpu / cpu);
    if (sum != sum2 && failures++ < 5)
        fprintf(stderr, "bench_numbers: %s: parsed sums differ\n", what);
    for (long i = 0; i < n; i++) {
        fdl_value v;
        fdl_parse_value(FDL_FLOAT64, in->bytes + in->offsets[i], in->lengths[i], &v, NULL);
        double expected = strtod(in->bytes + in->offsets[i], NULL);
        if (memcmp(&v.as.f, &expected, sizeof expected) != 0 && failures++ < 5)
            fprintf(stderr, "bench_numbers: '%s' parsed as %a, strtod %a\n",
                    in->bytes + in->offsets[i], v.as.f, expected);
    }
}

static void free_texts(texts *t)
{
    free(t->bytes);
    free(t->offsets);
    free(t->lengths);
}

/* Timestamps as the seed data writes them: UTC "Z" and some offsets,
 * a few with fractions of a second. */
static void bench_times(long n)
{
    char *bytes = malloc((size_t)n * 40);
    size_t *offsets = malloc((size_t)n * sizeof *offsets);
    size_t *lengths = malloc((size_t)n * sizeof *lengths);
    size_t at = 0, total = 0;
    for (long i = 0; i < n; i++) {
        fdl_time t = (fdl_time)(INT64_C(1704067200) + (int64_t)(next_random() % 31536000)) *
                     FDL_MICROS_PER_SECOND;
        uint64_t kind = next_random() % 20;
        char text[64];
        size_t len;
        if (kind == 0)
            t += (fdl_time)(next_random() % 1000000);
        len = fdl_format_time(t, text, sizeof text);
        if (kind == 1) {
            /* The same instant in +02:00 */
            fdl_format_time(t + 2 * 3600 * FDL_MICROS_PER_SECOND, text, sizeof text);
            len = strlen(text) - 1;
            memcpy(text + len, "+02:00", 7);
            len += 6;
        }
        memcpy(bytes + at, text, len + 1);
        offsets[i] = at;
        lengths[i] = len;
        at += len + 1;
        total += len;
    }
    double wall, cpu;
    uint64_t sum = 0;  /* wraps: only keeps the work from being optimized away */
    /* Five passes per measurement: one is only a few milliseconds. */
    MEASURE(wall, cpu, {
        for (int pass = 0; pass < 5; pass++)
            for (long i = 0; i < n; i++) {
                fdl_time t;
                fdl_parse_time(bytes + offsets[i], lengths[i], &t, NULL);
                sum += (uint64_t)t;
            }
    });
    report("timestamps (RFC 3339)", "runtime", 5 * n, 5 * total, wall, cpu);
    if (sum == 0)
        printf("(sum %llu)\n", (unsigned long long)sum);
    free(bytes);
    free(offsets);
    free(lengths);
}

/* --------------------------------------------------------------- CSV */

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The type of a cell: timestamp, float64 or string, from its text. */
static fdl_type guess_type(const char *text, size_t len)
{
    fdl_value v;
    if (len > 0 && fdl_parse_value(FDL_TIMESTAMP, text, len, &v, NULL) == FDL_OK)
        return FDL_TIMESTAMP;
    if (len > 0 && fdl_parse_value(FDL_FLOAT64, text, len, &v, NULL) == FDL_OK)
        return FDL_FLOAT64;
    return FDL_STRING;
}

/* One pass over the file; false on an error. */
static bool read_once(const char *path, bool parse, long *records, long *cells, long *bad)
{
    fdl_error err = {0};
    fdl_csv_reader *reader = fdl_csv_open(path, &err);
    if (!reader) {
        fprintf(stderr, "bench_numbers: %s\n", err.message);
        return false;
    }
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int nfields;
    fdl_type types[1024];
    int ntypes = 0;
    *records = *cells = *bad = 0;
    int status;
    while ((status = fdl_csv_next(reader, &fields, &lengths, &quoted, &nfields, &err)) == 1) {
        ++*records;
        if (!parse || *records == 1)
            continue;   /* the header */
        if (ntypes == 0) {
            ntypes = nfields < 1024 ? nfields : 1024;
            for (int i = 0; i < ntypes; i++)
                types[i] = guess_type(fields[i], lengths[i]);
        }
        for (int i = 0; i < nfields && i < ntypes; i++) {
            fdl_value v;
            if (fdl_parse_value(types[i], fields[i], lengths[i], &v, NULL) != FDL_OK)
                ++*bad;
            ++*cells;
        }
    }
    if (status < 0)
        fprintf(stderr, "bench_numbers: %s\n", err.message);
    fdl_csv_close(reader);
    return status == 0;
}

static void bench_read(const char *path, bool parse)
{
    long long size = file_size(path);
    if (size < 0) {
        printf("  %s: missing, skipped\n", path);
        return;
    }
    long records = 0, cells = 0, bad = 0;
    double wall, cpu;
    bool ok = true;
    MEASURE(wall, cpu, ok &= read_once(path, parse, &records, &cells, &bad));
    if (!ok)
        failures++;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char what[80];
    snprintf(what, sizeof what, "read %s%s", name, parse ? " +parse" : "");
    printf("  %-34s %-10s %8.1f MB/s  %ld records %ld cells (%ld bad)   wall %.3f s  cpu %.3f s\n",
           what, "runtime", (double)size / 1e6 / cpu, records, cells, bad, wall, cpu);
}

/*
 * A training set: user and product keys, a timestamp, a label, a count, a
 * mean, two 128-d vectors of six-decimal values (as the seed embeddings)
 * and a cosine (17 digits). The values come from tables made beforehand,
 * so that only writing is timed. Returns the bytes written, -1 on error.
 */
enum { DIM = 128, TABLE_ROWS = 1024 };
static double vector_table[TABLE_ROWS][DIM];
static double scalar_table[TABLE_ROWS][2];

static long long write_once(const char *path, long rows)
{
    FILE *out = fopen(path, "wb");
    if (!out) {
        perror(path);
        return -1;
    }
    static char buffer[1 << 16];
    setvbuf(out, buffer, _IOFBF, sizeof buffer);
    for (long r = 0; r < rows; r++) {
        char user[16], product[16];
        int ul = snprintf(user, sizeof user, "u%06ld", r % 100000);
        int pl = snprintf(product, sizeof product, "p%05ld", (r * 7) % 10000);
        const double *scalars = scalar_table[r % TABLE_ROWS];
        fdl_value cells[] = {
            fdl_string(user, (size_t)ul), fdl_string(product, (size_t)pl),
            fdl_timestamp((fdl_time)(INT64_C(1719985164) + r) * FDL_MICROS_PER_SECOND),
            fdl_int64(r & 1), fdl_int64(r % 37),
            r % 5 ? fdl_float64(scalars[0]) : fdl_null(),
            fdl_vector(vector_table[r % TABLE_ROWS], DIM),
            fdl_vector(vector_table[(r * 7 + 3) % TABLE_ROWS], DIM), fdl_float64(scalars[1]),
        };
        for (size_t c = 0; c < sizeof cells / sizeof cells[0]; c++) {
            if (c > 0)
                putc(',', out);
            fdl_csv_write_value(out, cells[c]);
        }
        putc('\n', out);
    }
    fflush(out);
    long long size = ferror(out) ? -1 : ftell(out);
    fclose(out);
    return size;
}

static void bench_write(const char *path, long rows)
{
    for (int r = 0; r < TABLE_ROWS; r++) {
        for (int i = 0; i < DIM; i++)
            vector_table[r][i] = round(uniform() * 2e6) / 1e6;
        scalar_table[r][0] = round(uniform() * 50000) / 100;
        scalar_table[r][1] = uniform();
    }
    long long size = 0;
    double wall, cpu;
    MEASURE(wall, cpu, size = write_once(path, rows));
    if (size < 0) {
        failures++;
        return;
    }
    printf("  %-34s %-10s %8.1f MB/s  %lld bytes, %ld rows   wall %.3f s  cpu %.3f s\n",
           "write training set", "runtime", (double)size / 1e6 / cpu, size, rows, wall, cpu);
}

/* Reading the seed data's files (not with --quick); false on an error. */
static bool bench_csv_files(const char *data, bool quick)
{
    printf("csv (MB/s of file per cpu second)\n");
    static const char *files[] = {"purchases.csv", "user2vec_v3.csv"};
    for (size_t i = 0; i < sizeof files / sizeof files[0] && !quick; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", data, files[i]);
        bench_read(path, false);
        bench_read(path, true);
    }
    return failures == 0;
}

int main(int argc, char **argv)
{
    bool quick = false, csv_only = false;
    const char *data = "build-bench/bench/data";
    const char *out = "bench_numbers_train.csv";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (strcmp(argv[i], "--csv-only") == 0)
            csv_only = true;
        else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
            data = argv[++i];
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
            out = argv[++i];
        else {
            fprintf(stderr, "usage: bench_numbers [--quick] [--csv-only] [--data DIR] [--out FILE]\n");
            return 2;
        }
    }
    long n = quick ? 20000 : 1000000;
    if (quick)
        reps = 1;
    if (csv_only) {
        /* Only the files, five runs each: the reader's figures are the
         * ones the neighbours and the program's own past move most. */
        reps = 5;
        return bench_csv_files(data, quick) ? 0 : 1;
    }
    double *values = malloc((size_t)n * sizeof *values);
    texts t;

    printf("numbers: %ld per kind (cpu ns per item; MB/s of text)\n", n);
    for (long i = 0; i < n; i++) {
        uint64_t bits;
        do
            bits = next_random();
        while ((bits >> 52 & 0x7ff) == 0x7ff);
        memcpy(&values[i], &bits, sizeof bits);
    }
    bench_format("format random doubles", values, n, &t);
    bench_parse("parse random doubles (17 digits)", &t, n);
    free_texts(&t);

    for (long i = 0; i < n; i++)
        values[i] = uniform();
    bench_format("format uniform [-1,1)", values, n, &t);
    bench_parse("parse uniform [-1,1)", &t, n);
    free_texts(&t);

    for (long i = 0; i < n; i++)
        values[i] = round(uniform() * 1e6) / 1e6;
    bench_format("format embedding (6 decimals)", values, n, &t);
    bench_parse("parse embedding (6 decimals)", &t, n);
    free_texts(&t);
    free(values);

    bench_times(n);

    bench_csv_files(data, quick);
    bench_write(out, quick ? 1000 : 100000);
    if (quick) {
        bench_read(out, false);
        bench_read(out, true);
    }
    remove(out);
    if (failures) {
        fprintf(stderr, "bench_numbers: %d mismatches\n", failures);
        return 1;
    }
    return 0;
}
