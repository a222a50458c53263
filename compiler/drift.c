/*
 * drift.c - `fdlc drift TRAIN.csv SERVING.csv`: does the distribution of each
 * feature served online still look like the one the model was trained on?
 *
 *   header check -> kind inference (train, pass 1) -> accumulate (train,
 *   pass 2; serving, one pass) -> statistics per column -> table / JSON
 *
 * Both files are streamed through the runtime's RFC 4180 reader; memory is
 * the numeric values kept for the KS statistic (8 bytes per non-null cell of
 * a numeric column) plus one entry per distinct category. Kinds come from the
 * training file alone, so that the serving sample is judged against the
 * contract the training data established:
 *   numeric      every non-null cell parses as float64
 *   timestamp    every non-null cell parses as an RFC 3339 timestamp; compared
 *                as numeric seconds since the epoch
 *   vector       every non-null cell is a JSON array of numbers; compared by
 *                the distribution of its Euclidean norm
 *   categorical  anything else (strings, bools); "" is a category, null is not
 *   empty        no non-null cell in training: only null rates are compared
 * A serving cell that does not fit the training kind (text in a numeric
 * column, a vector of another dimension) is counted as invalid.
 */
#define _POSIX_C_SOURCE 200809L

#include "drift.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "internal.h"

/* A category whose share is below this in both files joins "(other)". */
#define DRIFT_RARE_SHARE 0.01
/* Categorical shifts listed per feature. */
#define DRIFT_TOP_SHIFTS 3
/* M_PI is not in C11. */
#define DRIFT_PI 3.14159265358979323846

enum { TRAIN = 0, SERVING = 1 };

static const char usage_text[] =
    "usage: fdlc drift TRAIN.csv SERVING.csv [options]\n"
    "\n"
    "options:\n"
    "  --features A,B,...           compare only these columns (default: all in both files)\n"
    "  --ignore COL[,COL...]        skip columns (keys, timestamps, labels); repeatable\n"
    "  --bins N                     numeric PSI bins at training quantiles (default 10)\n"
    "  --psi-threshold X            drift when PSI > X (default 0.2)\n"
    "  --ks-threshold X             drift when the KS statistic D > X (default 0.1)\n"
    "  --null-shift-threshold X     drift when |null rate change| > X (default 0.05)\n"
    "  --json PATH                  also write the report as JSON\n"
    "\n"
    "exit status: 0 no drift, 3 drift found, 2 bad usage or input\n";

/* ============================================================ statistics */

static double share_floor(size_t count, size_t total)
{
    double share = (double)count / (double)total;
    return share < DRIFT_PSI_EPSILON ? DRIFT_PSI_EPSILON : share;
}

static size_t sum_counts(const size_t *counts, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += counts[i];
    return total;
}

double drift_psi_counts(const size_t *train, const size_t *serving, size_t nbins)
{
    size_t train_total = sum_counts(train, nbins);
    size_t serving_total = sum_counts(serving, nbins);
    if (train_total == 0 || serving_total == 0)
        return 0;
    double psi = 0;
    for (size_t i = 0; i < nbins; i++) {
        double t = share_floor(train[i], train_total);
        double s = share_floor(serving[i], serving_total);
        psi += (s - t) * log(s / t);
    }
    return psi;
}

double drift_total_variation(const size_t *train, const size_t *serving, size_t nbins)
{
    size_t train_total = sum_counts(train, nbins);
    size_t serving_total = sum_counts(serving, nbins);
    if (train_total == 0 || serving_total == 0)
        return 0;
    double l1 = 0;
    for (size_t i = 0; i < nbins; i++)
        l1 += fabs((double)train[i] / (double)train_total -
                   (double)serving[i] / (double)serving_total);
    return l1 / 2;
}

size_t drift_bin_edges(const double *sorted, size_t n, int bins, double *edges)
{
    if (n == 0 || bins < 2)
        return 0;
    size_t nedges = 0;
    for (int k = 1; k < bins; k++) {
        /* k * n fits: n is a count of values in memory, bins is small. */
        double edge = sorted[(size_t)k * n / (size_t)bins];
        if (nedges == 0 || edge > edges[nedges - 1])
            edges[nedges++] = edge;
    }
    return nedges;
}

size_t drift_bin_index(const double *edges, size_t nedges, double x)
{
    /* The number of edges <= x (upper bound), by binary search. */
    size_t low = 0, high = nedges;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (edges[middle] <= x)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

static void *xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) {
        fputs("fdlc: out of memory\n", stderr);
        exit(DRIFT_EXIT_USAGE);
    }
    return q;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fputs("fdlc: out of memory\n", stderr);
        exit(DRIFT_EXIT_USAGE);
    }
    return p;
}

/* Histograms of both samples over the training quantile bins; returns the
 * number of bins and hands the edges and counts to the caller. */
static size_t numeric_histograms(const double *sorted_train, size_t ntrain,
                                 const double *sorted_serving, size_t nserving, int bins,
                                 double **edges_out, size_t **train_out, size_t **serving_out)
{
    double *edges = xcalloc((size_t)bins, sizeof *edges);
    size_t nedges = drift_bin_edges(sorted_train, ntrain, bins, edges);
    size_t nbins = nedges + 1;
    size_t *train = xcalloc(nbins, sizeof *train);
    size_t *serving = xcalloc(nbins, sizeof *serving);
    for (size_t i = 0; i < ntrain; i++)
        train[drift_bin_index(edges, nedges, sorted_train[i])]++;
    for (size_t i = 0; i < nserving; i++)
        serving[drift_bin_index(edges, nedges, sorted_serving[i])]++;
    *edges_out = edges;
    *train_out = train;
    *serving_out = serving;
    return nbins;
}

double drift_numeric_psi(const double *sorted_train, size_t ntrain,
                         const double *sorted_serving, size_t nserving, int bins)
{
    double *edges;
    size_t *train, *serving;
    size_t nbins = numeric_histograms(sorted_train, ntrain, sorted_serving, nserving, bins,
                                      &edges, &train, &serving);
    double psi = drift_psi_counts(train, serving, nbins);
    free(edges);
    free(train);
    free(serving);
    return psi;
}

double drift_ks_statistic(const double *a, size_t n, const double *b, size_t m)
{
    if (n == 0 || m == 0)
        return 0;
    size_t i = 0, j = 0;
    double d = 0;
    while (i < n && j < m) {
        /* Step both empirical CDFs past the smallest remaining value, all
         * its copies on both sides, before comparing: with ties the CDFs
         * only differ between distinct values. */
        double x = a[i] <= b[j] ? a[i] : b[j];
        while (i < n && a[i] <= x)
            i++;
        while (j < m && b[j] <= x)
            j++;
        double gap = fabs((double)i / (double)n - (double)j / (double)m);
        if (gap > d)
            d = gap;
    }
    /* Once one side is exhausted its CDF is 1 and the other only climbs
     * towards 1: the gap can only shrink, so the maximum is already seen. */
    return d;
}

double drift_kolmogorov_sf(double lambda)
{
    if (!(lambda > 0))
        return 1;
    double q;
    if (lambda < 1.18) {
        /* The alternating series converges slowly for small lambda; use the
         * Jacobi theta form of the CDF there:
         * P(K <= l) = sqrt(2 pi) / l * sum_{j>=1} exp(-(2j-1)^2 pi^2 / (8 l^2)). */
        double sum = 0;
        double factor = -DRIFT_PI * DRIFT_PI / (8 * lambda * lambda);
        for (int j = 1; j <= 100; j++) {
            double term = exp(factor * (double)((2 * j - 1) * (2 * j - 1)));
            sum += term;
            if (term < 1e-17 * sum || term == 0)
                break;
        }
        q = 1 - sqrt(2 * DRIFT_PI) / lambda * sum;
    } else {
        double sum = 0, sign = 1;
        for (int j = 1; j <= 100; j++) {
            double term = exp(-2 * (double)j * (double)j * lambda * lambda);
            sum += sign * term;
            sign = -sign;
            if (term < 1e-17 * sum || term == 0)
                break;
        }
        q = 2 * sum;
    }
    return q < 0 ? 0 : q > 1 ? 1 : q;
}

double drift_ks_pvalue(double d, size_t n, size_t m)
{
    if (n == 0 || m == 0)
        return 1;
    double effective = sqrt((double)n * (double)m / ((double)n + (double)m));
    return drift_kolmogorov_sf((effective + 0.12 + 0.11 / effective) * d);
}

/* ============================================================ columns */

typedef enum column_kind {
    KIND_NUMERIC,
    KIND_TIMESTAMP,
    KIND_VECTOR,
    KIND_CATEGORICAL,
    KIND_EMPTY,
} column_kind;

static const char *const kind_names[] = {"numeric", "timestamp", "vector", "categorical", "empty"};

/* What one file holds in one column. */
typedef struct column_side {
    size_t rows;
    size_t nulls;
    size_t invalid;         /* non-null cells that do not fit the column's kind */
    double *values;         /* numeric kinds: the non-null values, sorted once read */
    size_t nvalues, capacity;
    size_t categories;      /* categorical and empty: non-null cells counted */
    double mean, stddev;
} column_side;

typedef struct category {
    const char *text;       /* in the run's arena */
    size_t len;
    size_t count[2];
} category;

/* A category or the "(other)" pool, as reported. */
typedef struct category_bin {
    const category *category;   /* NULL for "(other)" */
    size_t count[2];
} category_bin;

typedef struct column {
    const char *name;
    int index[2];               /* field index in each file */
    column_kind kind;
    /* Kind inference over the training file. */
    bool all_float, all_time, all_vector, any_value;
    int vector_dim;             /* dimension of the first training vector */
    column_side side[2];
    fdl_hashmap *category_map;  /* text -> category */
    /* Results. */
    bool has_null_rate;
    double null_rate[2], null_shift;
    double invalid_rate;        /* serving invalid cells / serving rows */
    bool has_psi, has_ks;
    double psi, ks_d, ks_p, total_variation;
    double *edges;              /* numeric kinds: nbins - 1 edges */
    size_t nbins;
    size_t *bin_count[2];
    category_bin *categories;   /* categorical: kept categories, then "(other)" */
    size_t ncategories;
    size_t ndistinct;
    bool drift_psi, drift_ks, drift_null, drift_type;
} column;

typedef struct drift_options {
    const char *path[2];
    const char *json_path;
    char **features;            /* NULL: every common column */
    size_t nfeatures;
    char **ignored;
    size_t nignored;
    int bins;
    double psi_threshold, ks_threshold, null_shift_threshold;
} drift_options;

typedef struct drift_run {
    arena arena;
    drift_options options;
    size_t rows[2];
    char **header[2];
    int nheader[2];
    column *columns;
    size_t ncolumns;
    size_t ndrift;
} drift_run;

/* ------------------------------------------------------------ reading */

static bool parse_vector(const char *text, size_t len, int *dim, double *norm)
{
    if (len < 2 || text[0] != '[' || text[len - 1] != ']')
        return false;
    char small[256];
    char *copy = len < sizeof small ? small : xrealloc(NULL, len + 1);
    memcpy(copy, text, len);
    copy[len] = '\0';
    /* The norm is scaled by the largest magnitude so that squares of huge
     * components cannot overflow to infinity. */
    double scale = 0, scaled_sum = 1;
    int count = 0;
    bool ok = true;
    char *p = copy + 1;
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != ']') {
        for (;;) {
            char *end;
            errno = 0;
            double x = strtod(p, &end);
            if (end == p || !isfinite(x)) {
                ok = false;
                break;
            }
            count++;
            double magnitude = fabs(x);
            if (magnitude > scale) {
                scaled_sum = 1 + scaled_sum * (scale / magnitude) * (scale / magnitude);
                scale = magnitude;
            } else if (magnitude > 0) {
                scaled_sum += (magnitude / scale) * (magnitude / scale);
            }
            p = end;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p != ']')
                ok = false;
            break;
        }
    }
    ok = ok && p == copy + len - 1;
    if (copy != small)
        free(copy);
    if (ok) {
        *dim = count;
        *norm = scale == 0 ? 0 : scale * sqrt(scaled_sum);
    }
    return ok;
}

static bool parse_number(const char *text, size_t len, double *out)
{
    fdl_value value;
    if (fdl_parse_value(FDL_FLOAT64, text, len, &value, NULL) != FDL_OK || value.type != FDL_FLOAT64)
        return false;
    *out = value.as.f;
    return true;
}

static bool parse_seconds(const char *text, size_t len, double *out)
{
    fdl_time t;
    if (fdl_parse_time(text, len, &t, NULL) != FDL_OK)
        return false;
    *out = (double)t / (double)FDL_MICROS_PER_SECOND;
    return true;
}

static bool is_null(size_t len, bool quoted)
{
    return len == 0 && !quoted;
}

static void infer(column *c, const char *text, size_t len, bool quoted)
{
    if (is_null(len, quoted))
        return;
    c->any_value = true;
    double x;
    int dim;
    /* "" (quoted empty) is a string: it makes a column categorical. */
    if (c->all_float && (len == 0 || !parse_number(text, len, &x)))
        c->all_float = false;
    if (c->all_time && (len == 0 || !parse_seconds(text, len, &x)))
        c->all_time = false;
    if (c->all_vector) {
        if (!parse_vector(text, len, &dim, &x))
            c->all_vector = false;
        else if (c->vector_dim < 0)
            c->vector_dim = dim;
    }
}

static void push_value(column_side *side, double x)
{
    if (side->nvalues == side->capacity) {
        side->capacity = side->capacity ? side->capacity * 2 : 1024;
        side->values = xrealloc(side->values, side->capacity * sizeof *side->values);
    }
    side->values[side->nvalues++] = x;
}

static void count_category(drift_run *run, column *c, int which, const char *text, size_t len)
{
    void **slot = fdl_hashmap_slot(c->category_map, text, len, true);
    if (!slot) {
        fputs("fdlc: out of memory\n", stderr);
        exit(DRIFT_EXIT_USAGE);
    }
    category *entry = *slot;
    if (!entry) {
        entry = arena_alloc(&run->arena, sizeof *entry);
        entry->text = arena_strndup(&run->arena, text, len);
        entry->len = len;
        *slot = entry;
    }
    entry->count[which]++;
    c->side[which].categories++;
}

static void accumulate(drift_run *run, column *c, int which, const char *text, size_t len,
                       bool quoted)
{
    column_side *side = &c->side[which];
    side->rows++;
    if (is_null(len, quoted)) {
        side->nulls++;
        return;
    }
    double x;
    int dim;
    switch (c->kind) {
    case KIND_NUMERIC:
        if (len > 0 && parse_number(text, len, &x))
            push_value(side, x);
        else
            side->invalid++;
        break;
    case KIND_TIMESTAMP:
        if (len > 0 && parse_seconds(text, len, &x))
            push_value(side, x);
        else
            side->invalid++;
        break;
    case KIND_VECTOR:
        if (parse_vector(text, len, &dim, &x) && dim == c->vector_dim)
            push_value(side, x);
        else
            side->invalid++;
        break;
    case KIND_CATEGORICAL:
    case KIND_EMPTY:
        count_category(run, c, which, text, len);
        break;
    }
}

typedef struct csv_file {
    fdl_csv_reader *reader;
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int nfields;
} csv_file;

/* The runtime's messages already name the file and line. */
static bool report_csv_error(const fdl_error *err)
{
    fprintf(stderr, "fdlc: drift: %s\n", err->message);
    return false;
}

/* Opens a file and reads its header. */
static bool open_csv(const char *path, csv_file *file)
{
    fdl_error err = {0};
    memset(file, 0, sizeof *file);
    file->reader = fdl_csv_open(path, &err);
    if (!file->reader)
        return report_csv_error(&err);
    int status = fdl_csv_next(file->reader, &file->fields, &file->lengths, &file->quoted,
                              &file->nfields, &err);
    if (status > 0)
        return true;
    if (status < 0)
        report_csv_error(&err);
    else
        fprintf(stderr, "fdlc: drift: %s: empty file: expected a header line\n", path);
    fdl_csv_close(file->reader);
    file->reader = NULL;
    return false;
}

/* Reads the next record: 1, 0 at the end, -1 after reporting an error (a
 * malformed record, or one whose field count differs from the header's). */
static int next_record(csv_file *file, int expected_fields)
{
    fdl_error err = {0};
    int status = fdl_csv_next(file->reader, &file->fields, &file->lengths, &file->quoted,
                              &file->nfields, &err);
    if (status < 0) {
        report_csv_error(&err);
        return -1;
    }
    if (status > 0 && file->nfields != expected_fields) {
        fprintf(stderr, "fdlc: drift: %s:%ld: expected %d fields as in the header, found %d\n",
                fdl_csv_path(file->reader), fdl_csv_line(file->reader), expected_fields,
                file->nfields);
        return -1;
    }
    return status;
}

static bool read_header(drift_run *run, int which, csv_file *file)
{
    int n = file->nfields;
    run->nheader[which] = n;
    run->header[which] = arena_alloc(&run->arena, (size_t)n * sizeof(char *));
    for (int i = 0; i < n; i++) {
        run->header[which][i] = arena_strndup(&run->arena, file->fields[i], file->lengths[i]);
        for (int j = 0; j < i; j++)
            if (strcmp(run->header[which][j], run->header[which][i]) == 0) {
                fprintf(stderr, "fdlc: drift: %s:%ld: duplicate column '%s'\n", run->options.path[which],
                        fdl_csv_line(file->reader), run->header[which][i]);
                return false;
            }
    }
    return true;
}

static int find_column(char **names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

static bool listed(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return true;
    return false;
}

/* The columns to compare, in training header order. */
static bool select_columns(drift_run *run)
{
    drift_options *o = &run->options;
    for (size_t i = 0; i < o->nignored; i++)
        if (find_column(run->header[TRAIN], run->nheader[TRAIN], o->ignored[i]) < 0 &&
            find_column(run->header[SERVING], run->nheader[SERVING], o->ignored[i]) < 0)
            fprintf(stderr, "fdlc: drift: warning: --ignore %s: no such column in either file\n",
                    o->ignored[i]);
    for (size_t i = 0; i < o->nfeatures; i++)
        for (int which = TRAIN; which <= SERVING; which++)
            if (find_column(run->header[which], run->nheader[which], o->features[i]) < 0) {
                fprintf(stderr, "fdlc: drift: %s: --features names column '%s', which is not in the header\n",
                        o->path[which], o->features[i]);
                return false;
            }
    run->columns = arena_alloc(&run->arena, (size_t)run->nheader[TRAIN] * sizeof(column) + 1);
    for (int i = 0; i < run->nheader[TRAIN]; i++) {
        const char *name = run->header[TRAIN][i];
        int serving_index = find_column(run->header[SERVING], run->nheader[SERVING], name);
        if (serving_index < 0 || listed(o->ignored, o->nignored, name))
            continue;
        if (o->features && !listed(o->features, o->nfeatures, name))
            continue;
        column *c = &run->columns[run->ncolumns++];
        c->name = name;
        c->index[TRAIN] = i;
        c->index[SERVING] = serving_index;
        c->all_float = c->all_time = c->all_vector = true;
        c->vector_dim = -1;
    }
    if (run->ncolumns == 0) {
        fprintf(stderr, "fdlc: drift: no columns to compare: %s and %s have no common column%s\n",
                o->path[TRAIN], o->path[SERVING], o->nignored ? " left after --ignore" : "");
        return false;
    }
    return true;
}

static bool infer_kinds(drift_run *run)
{
    csv_file file;
    if (!open_csv(run->options.path[TRAIN], &file))
        return false;
    int status;
    while ((status = next_record(&file, run->nheader[TRAIN])) > 0)
        for (size_t k = 0; k < run->ncolumns; k++) {
            column *c = &run->columns[k];
            int i = c->index[TRAIN];
            infer(c, file.fields[i], file.lengths[i], file.quoted[i]);
        }
    fdl_csv_close(file.reader);
    if (status < 0)
        return false;
    for (size_t k = 0; k < run->ncolumns; k++) {
        column *c = &run->columns[k];
        if (!c->any_value)
            c->kind = KIND_EMPTY;
        else if (c->all_float)
            c->kind = KIND_NUMERIC;
        else if (c->all_time)
            c->kind = KIND_TIMESTAMP;
        else if (c->all_vector)
            c->kind = KIND_VECTOR;
        else
            c->kind = KIND_CATEGORICAL;
        if (c->kind == KIND_CATEGORICAL || c->kind == KIND_EMPTY)
            c->category_map = fdl_hashmap_new();
    }
    return true;
}

static bool read_file(drift_run *run, int which)
{
    csv_file file;
    if (!open_csv(run->options.path[which], &file))
        return false;
    int status;
    while ((status = next_record(&file, run->nheader[which])) > 0) {
        run->rows[which]++;
        for (size_t k = 0; k < run->ncolumns; k++) {
            column *c = &run->columns[k];
            int i = c->index[which];
            accumulate(run, c, which, file.fields[i], file.lengths[i], file.quoted[i]);
        }
    }
    fdl_csv_close(file.reader);
    return status == 0;
}

/* ------------------------------------------------------------ statistics per column */

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void mean_stddev(column_side *side)
{
    if (side->nvalues == 0)
        return;
    /* long double: sums and squares of values near DBL_MAX stay finite. */
    long double sum = 0;
    for (size_t i = 0; i < side->nvalues; i++)
        sum += side->values[i];
    long double mean = sum / (long double)side->nvalues;
    long double squares = 0;
    for (size_t i = 0; i < side->nvalues; i++) {
        long double d = side->values[i] - mean;
        squares += d * d;
    }
    side->mean = (double)mean;
    side->stddev = (double)sqrtl(squares / (long double)side->nvalues);
}

static void collect_category(void *value, void *ctx)
{
    category ***cursor = ctx;
    *(*cursor)++ = value;
}

static double share(size_t count, size_t total)
{
    return total ? (double)count / (double)total : 0;
}

static int compare_categories(const void *a, const void *b)
{
    const category *x = *(const category *const *)a, *y = *(const category *const *)b;
    /* Most frequent in training first, then in serving, then by text: a
     * stable report whatever order the hash map visits. */
    if (x->count[TRAIN] != y->count[TRAIN])
        return x->count[TRAIN] > y->count[TRAIN] ? -1 : 1;
    if (x->count[SERVING] != y->count[SERVING])
        return x->count[SERVING] > y->count[SERVING] ? -1 : 1;
    size_t n = x->len < y->len ? x->len : y->len;
    int order = memcmp(x->text, y->text, n);
    return order ? order : (x->len > y->len) - (x->len < y->len);
}

static void categorical_statistics(column *c)
{
    size_t n = fdl_hashmap_count(c->category_map);
    c->ndistinct = n;
    category **all = xcalloc(n, sizeof *all);
    category **cursor = all;
    fdl_hashmap_each(c->category_map, collect_category, &cursor);
    qsort(all, n, sizeof *all, compare_categories);
    size_t totals[2] = {c->side[TRAIN].categories, c->side[SERVING].categories};

    /* Total variation over every category, before any pooling. */
    size_t *counts[2] = {xcalloc(n, sizeof(size_t)), xcalloc(n, sizeof(size_t))};
    for (size_t i = 0; i < n; i++)
        for (int w = TRAIN; w <= SERVING; w++)
            counts[w][i] = all[i]->count[w];
    c->total_variation = drift_total_variation(counts[TRAIN], counts[SERVING], n);

    /* PSI over the categories holding at least 1% of either file, the rest
     * pooled, so that a long tail of rare values cannot dominate it. */
    c->categories = xcalloc(n + 1, sizeof *c->categories);
    category_bin other = {NULL, {0, 0}};
    for (size_t i = 0; i < n; i++) {
        if (share(all[i]->count[TRAIN], totals[TRAIN]) >= DRIFT_RARE_SHARE ||
            share(all[i]->count[SERVING], totals[SERVING]) >= DRIFT_RARE_SHARE) {
            category_bin *bin = &c->categories[c->ncategories++];
            bin->category = all[i];
            bin->count[TRAIN] = all[i]->count[TRAIN];
            bin->count[SERVING] = all[i]->count[SERVING];
        } else {
            other.count[TRAIN] += all[i]->count[TRAIN];
            other.count[SERVING] += all[i]->count[SERVING];
        }
    }
    if (other.count[TRAIN] + other.count[SERVING] > 0)
        c->categories[c->ncategories++] = other;
    for (size_t i = 0; i < c->ncategories; i++)
        for (int w = TRAIN; w <= SERVING; w++)
            counts[w][i] = c->categories[i].count[w];
    if (totals[TRAIN] > 0 && totals[SERVING] > 0) {
        c->has_psi = true;
        c->psi = drift_psi_counts(counts[TRAIN], counts[SERVING], c->ncategories);
    }
    free(counts[TRAIN]);
    free(counts[SERVING]);
    free(all);
}

static void numeric_statistics(column *c, int bins)
{
    for (int w = TRAIN; w <= SERVING; w++) {
        column_side *side = &c->side[w];
        if (side->nvalues > 0)   /* values is NULL then, which qsort may not see */
            qsort(side->values, side->nvalues, sizeof *side->values, compare_doubles);
        mean_stddev(side);
    }
    column_side *t = &c->side[TRAIN], *s = &c->side[SERVING];
    c->nbins = numeric_histograms(t->values, t->nvalues, s->values, s->nvalues, bins, &c->edges,
                                  &c->bin_count[TRAIN], &c->bin_count[SERVING]);
    if (t->nvalues > 0 && s->nvalues > 0) {
        c->has_psi = c->has_ks = true;
        c->psi = drift_psi_counts(c->bin_count[TRAIN], c->bin_count[SERVING], c->nbins);
        c->ks_d = drift_ks_statistic(t->values, t->nvalues, s->values, s->nvalues);
        c->ks_p = drift_ks_pvalue(c->ks_d, t->nvalues, s->nvalues);
        c->total_variation = drift_total_variation(c->bin_count[TRAIN], c->bin_count[SERVING],
                                                   c->nbins);
    }
}

static void column_statistics(drift_run *run, column *c)
{
    const drift_options *o = &run->options;
    if (c->side[TRAIN].rows > 0 && c->side[SERVING].rows > 0) {
        c->has_null_rate = true;
        for (int w = TRAIN; w <= SERVING; w++)
            c->null_rate[w] = share(c->side[w].nulls, c->side[w].rows);
        c->null_shift = c->null_rate[SERVING] - c->null_rate[TRAIN];
        c->invalid_rate = share(c->side[SERVING].invalid, c->side[SERVING].rows) -
                          share(c->side[TRAIN].invalid, c->side[TRAIN].rows);
    }
    if (c->kind == KIND_CATEGORICAL)
        categorical_statistics(c);
    else if (c->kind != KIND_EMPTY)
        numeric_statistics(c, o->bins);
    else
        c->ndistinct = fdl_hashmap_count(c->category_map);
    c->drift_psi = c->has_psi && c->psi > o->psi_threshold;
    c->drift_ks = c->has_ks && c->ks_d > o->ks_threshold;
    c->drift_null = c->has_null_rate && fabs(c->null_shift) > o->null_shift_threshold;
    c->drift_type = c->has_null_rate && c->invalid_rate > o->null_shift_threshold;
    if (c->drift_psi || c->drift_ks || c->drift_null || c->drift_type)
        run->ndrift++;
}

/* ============================================================ report */

static bool drifts(const column *c)
{
    return c->drift_psi || c->drift_ks || c->drift_null || c->drift_type;
}

static void format_reasons(const column *c, char *buf, size_t size)
{
    if (!drifts(c)) {
        snprintf(buf, size, "ok");
        return;
    }
    snprintf(buf, size, "DRIFT (%s%s%s%s", c->drift_psi ? "psi, " : "", c->drift_ks ? "ks, " : "",
             c->drift_null ? "null, " : "", c->drift_type ? "type, " : "");
    size_t n = strlen(buf);
    if (n >= 2 && buf[n - 2] == ',')
        snprintf(buf + n - 2, size - (n - 2), ")");
}

/* A category as shown in the table: quoted when it could be misread. */
static void format_category(const category_bin *bin, char *buf, size_t size)
{
    if (!bin->category) {
        snprintf(buf, size, "(other)");
        return;
    }
    const category *cat = bin->category;
    int shown = cat->len > 40 ? 40 : (int)cat->len;
    snprintf(buf, size, "\"%.*s%s\"", shown, cat->text, cat->len > 40 ? "..." : "");
    for (char *p = buf; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
}

#define TABLE_COLUMNS 8

static void print_table(const drift_run *run, FILE *out)
{
    const drift_options *o = &run->options;
    fprintf(out, "train:   %s (%zu rows)\nserving: %s (%zu rows)\n", o->path[TRAIN], run->rows[TRAIN],
            o->path[SERVING], run->rows[SERVING]);
    fprintf(out, "drift when: PSI > %g, KS D > %g, |null rate shift| > %g\n\n", o->psi_threshold,
            o->ks_threshold, o->null_shift_threshold);

    static const char *const titles[TABLE_COLUMNS] = {
        "feature", "kind", "rows train/serving", "null rate train -> serving",
        "PSI", "KS D", "p", "verdict"};
    size_t nrows = run->ncolumns + 1;
    char (*cells)[TABLE_COLUMNS][160] = xcalloc(nrows, sizeof *cells);
    int widths[TABLE_COLUMNS] = {0};
    for (int j = 0; j < TABLE_COLUMNS; j++)
        snprintf(cells[0][j], sizeof cells[0][j], "%s", titles[j]);
    for (size_t k = 0; k < run->ncolumns; k++) {
        const column *c = &run->columns[k];
        char (*row)[160] = cells[k + 1];
        snprintf(row[0], sizeof row[0], "%s", c->name);
        snprintf(row[1], sizeof row[1], "%s", kind_names[c->kind]);
        snprintf(row[2], sizeof row[2], "%zu/%zu", c->side[TRAIN].rows, c->side[SERVING].rows);
        if (c->has_null_rate)
            snprintf(row[3], sizeof row[3], "%.2f%% -> %.2f%%", 100 * c->null_rate[TRAIN],
                     100 * c->null_rate[SERVING]);
        else
            snprintf(row[3], sizeof row[3], "-");
        if (c->has_psi)
            snprintf(row[4], sizeof row[4], "%.4f", c->psi);
        else
            snprintf(row[4], sizeof row[4], "-");
        if (c->has_ks) {
            snprintf(row[5], sizeof row[5], "%.4f", c->ks_d);
            snprintf(row[6], sizeof row[6], "%.3g", c->ks_p);
        } else {
            snprintf(row[5], sizeof row[5], "-");
            snprintf(row[6], sizeof row[6], "-");
        }
        format_reasons(c, row[7], sizeof row[7]);
    }
    for (size_t r = 0; r < nrows; r++)
        for (int j = 0; j < TABLE_COLUMNS; j++) {
            int w = (int)strlen(cells[r][j]);
            if (w > widths[j])
                widths[j] = w;
        }
    for (size_t r = 0; r < nrows; r++) {
        for (int j = 0; j < TABLE_COLUMNS; j++) {
            /* Numbers right-aligned, text left-aligned; no trailing blanks. */
            bool numeric = j >= 4 && j <= 6;
            if (j == TABLE_COLUMNS - 1)
                fprintf(out, "%s\n", cells[r][j]);
            else if (numeric)
                fprintf(out, "%*s  ", widths[j], cells[r][j]);
            else
                fprintf(out, "%-*s  ", widths[j], cells[r][j]);
        }
        if (r == 0)
            continue;
        /* Why a drifting feature drifts. */
        const column *c = &run->columns[r - 1];
        if (!drifts(c))
            continue;
        const column_side *t = &c->side[TRAIN], *s = &c->side[SERVING];
        if (c->kind != KIND_CATEGORICAL && c->kind != KIND_EMPTY && c->has_ks)
            fprintf(out, "    mean %.6g -> %.6g, stddev %.6g -> %.6g%s\n", t->mean, s->mean,
                    t->stddev, s->stddev, c->kind == KIND_VECTOR ? " (of the vector norm)" : "");
        if (c->kind == KIND_CATEGORICAL && c->has_psi) {
            /* The categories whose share moved most. */
            size_t order[DRIFT_TOP_SHIFTS];
            size_t shown = 0;
            double total[2] = {(double)t->categories, (double)s->categories};
            for (size_t pick = 0; pick < DRIFT_TOP_SHIFTS; pick++) {
                double best = 0;
                size_t best_index = SIZE_MAX;
                for (size_t i = 0; i < c->ncategories; i++) {
                    bool taken = false;
                    for (size_t q = 0; q < shown; q++)
                        taken = taken || order[q] == i;
                    double shift = fabs(c->categories[i].count[SERVING] / total[SERVING] -
                                        c->categories[i].count[TRAIN] / total[TRAIN]);
                    if (!taken && shift > best) {
                        best = shift;
                        best_index = i;
                    }
                }
                if (best_index == SIZE_MAX)
                    break;
                order[shown++] = best_index;
            }
            fprintf(out, "    total variation %.4f; largest shifts:", c->total_variation);
            for (size_t q = 0; q < shown; q++) {
                const category_bin *bin = &c->categories[order[q]];
                char label[64];
                format_category(bin, label, sizeof label);
                fprintf(out, "%s %s %.1f%% -> %.1f%%", q ? "," : "", label,
                        100 * bin->count[TRAIN] / total[TRAIN],
                        100 * bin->count[SERVING] / total[SERVING]);
            }
            fputc('\n', out);
        }
        if (c->drift_type)
            fprintf(out, "    %zu serving value%s not %s as in training\n", s->invalid,
                    s->invalid == 1 ? " is" : "s are",
                    c->kind == KIND_VECTOR      ? "a vector of the training dimension"
                    : c->kind == KIND_TIMESTAMP ? "a timestamp"
                                                : "a float64");
    }
    free(cells);

    /* Columns left out, so that a missing feature is never silent. */
    for (int which = TRAIN; which <= SERVING; which++) {
        int other = 1 - which;
        bool first = true;
        for (int i = 0; i < run->nheader[which]; i++) {
            const char *name = run->header[which][i];
            if (find_column(run->header[other], run->nheader[other], name) >= 0)
                continue;
            if (first)
                fprintf(out, "\nonly in %s (not compared):", which == TRAIN ? "train" : "serving");
            fprintf(out, "%s %s", first ? "" : ",", name);
            first = false;
        }
        if (!first)
            fputc('\n', out);
    }
    fprintf(out, "\ndrifting features: %zu of %zu\n", run->ndrift, run->ncolumns);
}

/* ------------------------------------------------------------ JSON */

static void json_string(FILE *out, const char *s, size_t len)
{
    fdl_json_write_string(out, s, len);     /* valid UTF-8 whatever the cells hold */
}

static void json_cstring(FILE *out, const char *s)
{
    json_string(out, s, strlen(s));
}

/* Numbers in shortest round-trip form; null when there is nothing to say. */
static void json_number(FILE *out, bool present, double x)
{
    if (!present || !isfinite(x)) {
        fputs("null", out);
        return;
    }
    char buf[64];
    fdl_format_float(x, buf, sizeof buf);
    fputs(buf, out);
}

static void json_side(FILE *out, const column *c, int which)
{
    const column_side *s = &c->side[which];
    bool numeric = c->kind != KIND_CATEGORICAL && c->kind != KIND_EMPTY;
    size_t values = numeric ? s->nvalues : s->categories;
    fprintf(out, "{\"rows\": %zu, \"nulls\": %zu, \"invalid\": %zu, \"values\": %zu, \"null_rate\": ",
            s->rows, s->nulls, s->invalid, values);
    json_number(out, s->rows > 0, share(s->nulls, s->rows));
    fputs(", \"mean\": ", out);
    json_number(out, numeric && s->nvalues > 0, s->mean);
    fputs(", \"stddev\": ", out);
    json_number(out, numeric && s->nvalues > 0, s->stddev);
    fputc('}', out);
}

static void json_column(FILE *out, const column *c)
{
    fputs("    {\"name\": ", out);
    json_cstring(out, c->name);
    fprintf(out, ", \"kind\": \"%s\",\n     \"train\": ", kind_names[c->kind]);
    json_side(out, c, TRAIN);
    fputs(",\n     \"serving\": ", out);
    json_side(out, c, SERVING);
    fputs(",\n     \"null_rate_shift\": ", out);
    json_number(out, c->has_null_rate, c->null_shift);
    fputs(", \"psi\": ", out);
    json_number(out, c->has_psi, c->psi);
    fputs(", \"ks_d\": ", out);
    json_number(out, c->has_ks, c->ks_d);
    fputs(", \"ks_p\": ", out);
    json_number(out, c->has_ks, c->ks_p);
    fputs(", \"total_variation\": ", out);
    json_number(out, c->has_psi, c->total_variation);
    if (c->kind == KIND_VECTOR)
        fprintf(out, ", \"vector_dimension\": %d", c->vector_dim);
    if (c->kind == KIND_CATEGORICAL || c->kind == KIND_EMPTY)
        fprintf(out, ", \"distinct\": %zu", c->ndistinct);
    if (c->kind == KIND_CATEGORICAL) {
        double total[2] = {(double)c->side[TRAIN].categories, (double)c->side[SERVING].categories};
        fputs(",\n     \"categories\": [", out);
        for (size_t i = 0; i < c->ncategories; i++) {
            const category_bin *bin = &c->categories[i];
            fputs(i ? ",\n       {\"value\": " : "\n       {\"value\": ", out);
            if (bin->category)
                json_string(out, bin->category->text, bin->category->len);
            else
                fputs("\"(other)\"", out);
            fprintf(out, ", \"other\": %s, \"train_count\": %zu, \"serving_count\": %zu, \"train_share\": ",
                    bin->category ? "false" : "true", bin->count[TRAIN], bin->count[SERVING]);
            json_number(out, total[TRAIN] > 0, bin->count[TRAIN] / (total[TRAIN] > 0 ? total[TRAIN] : 1));
            fputs(", \"serving_share\": ", out);
            json_number(out, total[SERVING] > 0,
                        bin->count[SERVING] / (total[SERVING] > 0 ? total[SERVING] : 1));
            fputc('}', out);
        }
        fputs("]", out);
    } else if (c->kind != KIND_EMPTY) {
        fputs(",\n     \"bins\": [", out);
        for (size_t i = 0; i < c->nbins; i++) {
            fputs(i ? ",\n       {\"lower\": " : "\n       {\"lower\": ", out);
            json_number(out, i > 0, i > 0 ? c->edges[i - 1] : 0);
            fputs(", \"upper\": ", out);
            json_number(out, i + 1 < c->nbins, i + 1 < c->nbins ? c->edges[i] : 0);
            fprintf(out, ", \"train_count\": %zu, \"serving_count\": %zu}", c->bin_count[TRAIN][i],
                    c->bin_count[SERVING][i]);
        }
        fputs("]", out);
    }
    fprintf(out, ",\n     \"verdict\": \"%s\", \"reasons\": [", drifts(c) ? "drift" : "ok");
    const char *reasons[4];
    int n = 0;
    if (c->drift_psi)
        reasons[n++] = "psi";
    if (c->drift_ks)
        reasons[n++] = "ks";
    if (c->drift_null)
        reasons[n++] = "null";
    if (c->drift_type)
        reasons[n++] = "type";
    for (int i = 0; i < n; i++)
        fprintf(out, "%s\"%s\"", i ? ", " : "", reasons[i]);
    fputs("]}", out);
}

static void json_names_only_in(FILE *out, const drift_run *run, int which)
{
    int other = 1 - which;
    bool first = true;
    fputc('[', out);
    for (int i = 0; i < run->nheader[which]; i++)
        if (find_column(run->header[other], run->nheader[other], run->header[which][i]) < 0) {
            if (!first)
                fputs(", ", out);
            json_cstring(out, run->header[which][i]);
            first = false;
        }
    fputc(']', out);
}

static bool write_json(const drift_run *run, const char *path)
{
    const drift_options *options = &run->options;
    fdl_path_use uses[] = {{options->path[TRAIN], "the training set", false},
                           {options->path[SERVING], "the serving set", false},
                           {path, "--json", true}};
    fdl_output output;
    fdl_error err;
    if (fdl_paths_check(uses, 3, &err) != FDL_OK || fdl_output_open(&output, path, &err) != FDL_OK) {
        fprintf(stderr, "fdlc: drift: %s\n", err.message);
        return false;
    }
    FILE *out = output.file;
    const drift_options *o = &run->options;
    fputs("{\n  \"train\": {\"path\": ", out);
    json_cstring(out, o->path[TRAIN]);
    fprintf(out, ", \"rows\": %zu},\n  \"serving\": {\"path\": ", run->rows[TRAIN]);
    json_cstring(out, o->path[SERVING]);
    fprintf(out, ", \"rows\": %zu},\n  \"thresholds\": {\"psi\": ", run->rows[SERVING]);
    json_number(out, true, o->psi_threshold);
    fputs(", \"ks_d\": ", out);
    json_number(out, true, o->ks_threshold);
    fputs(", \"null_shift\": ", out);
    json_number(out, true, o->null_shift_threshold);
    fprintf(out, "},\n  \"bins\": %d, \"psi_epsilon\": ", o->bins);
    json_number(out, true, DRIFT_PSI_EPSILON);
    fputs(", \"rare_category_share\": ", out);
    json_number(out, true, DRIFT_RARE_SHARE);
    fprintf(out, ",\n  \"drift\": %s, \"drifting_features\": %zu,\n  \"features\": [\n",
            run->ndrift ? "true" : "false", run->ndrift);
    for (size_t k = 0; k < run->ncolumns; k++) {
        json_column(out, &run->columns[k]);
        fputs(k + 1 < run->ncolumns ? ",\n" : "\n", out);
    }
    fputs("  ],\n  \"only_in_train\": ", out);
    json_names_only_in(out, run, TRAIN);
    fputs(",\n  \"only_in_serving\": ", out);
    json_names_only_in(out, run, SERVING);
    fputs(",\n  \"ignored\": [", out);
    for (size_t i = 0; i < o->nignored; i++) {
        if (i)
            fputs(", ", out);
        json_cstring(out, o->ignored[i]);
    }
    fputs("]\n}\n", out);
    if (fdl_output_commit(&output, &err) != FDL_OK) {
        fprintf(stderr, "fdlc: drift: %s\n", err.message);
        return false;
    }
    return true;
}

/* ============================================================ options */

static bool usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "fdlc drift: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage_text);
    return false;
}

static bool parse_threshold(const char *option, const char *text, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(text, &end);
    if (end == text || *end || errno || !isfinite(x) || x < 0)
        return usage("expected a non-negative number after %s", option);
    *out = x;
    return true;
}

/* Appends the comma-separated names in text to a list. */
static void split_names(arena *a, const char *text, char ***list, size_t *n)
{
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len > 0) {
            *list = arena_grow(a, *list, *n * sizeof(char *), (*n + 1) * sizeof(char *));
            (*list)[(*n)++] = arena_strndup(a, p, len);
        }
        if (!comma)
            break;
        p = comma + 1;
    }
}

static bool parse_options(drift_run *run, int argc, char **argv)
{
    drift_options *o = &run->options;
    o->bins = 10;
    o->psi_threshold = 0.2;
    o->ks_threshold = 0.1;
    o->null_shift_threshold = 0.05;
    int npaths = 0;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (arg[0] != '-' || arg[1] == '\0') {
            if (npaths == 2)
                return usage("unexpected argument '%s': give exactly two files", arg);
            o->path[npaths++] = arg;
            continue;
        }
        if (i + 1 >= argc)
            return usage("option %s needs a value", arg);
        const char *value = argv[++i];
        if (strcmp(arg, "--features") == 0) {
            split_names(&run->arena, value, &o->features, &o->nfeatures);
            if (o->nfeatures == 0)
                return usage("%s: expected column names", arg);
        } else if (strcmp(arg, "--ignore") == 0) {
            split_names(&run->arena, value, &o->ignored, &o->nignored);
        } else if (strcmp(arg, "--json") == 0) {
            o->json_path = value;
        } else if (strcmp(arg, "--bins") == 0) {
            char *end;
            long bins = strtol(value, &end, 10);
            if (end == value || *end || bins < 2 || bins > 1000)
                return usage("--bins: expected a whole number from 2 to 1000, not '%s'", value);
            o->bins = (int)bins;
        } else if (strcmp(arg, "--psi-threshold") == 0) {
            if (!parse_threshold(arg, value, &o->psi_threshold))
                return false;
        } else if (strcmp(arg, "--ks-threshold") == 0) {
            if (!parse_threshold(arg, value, &o->ks_threshold))
                return false;
        } else if (strcmp(arg, "--null-shift-threshold") == 0) {
            if (!parse_threshold(arg, value, &o->null_shift_threshold))
                return false;
        } else {
            return usage("unknown option '%s'", arg);
        }
    }
    if (npaths != 2)
        return usage("expected TRAIN.csv and SERVING.csv%s", "");
    return true;
}

/* ============================================================ driver */

static void free_run(drift_run *run)
{
    for (size_t k = 0; k < run->ncolumns; k++) {
        column *c = &run->columns[k];
        for (int w = TRAIN; w <= SERVING; w++) {
            free(c->side[w].values);
            free(c->bin_count[w]);
        }
        free(c->edges);
        free(c->categories);
        if (c->category_map)
            fdl_hashmap_free(c->category_map);
    }
    arena_free(&run->arena);
}

static bool read_headers(drift_run *run)
{
    for (int which = TRAIN; which <= SERVING; which++) {
        csv_file file;
        if (!open_csv(run->options.path[which], &file))
            return false;
        bool ok = read_header(run, which, &file);
        fdl_csv_close(file.reader);
        if (!ok)
            return false;
    }
    return true;
}

int drift_main(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return DRIFT_EXIT_OK;
        }
    drift_run run;
    memset(&run, 0, sizeof run);
    arena_init(&run.arena);
    bool ok = parse_options(&run, argc, argv) && read_headers(&run) && select_columns(&run) &&
              infer_kinds(&run) && read_file(&run, TRAIN) && read_file(&run, SERVING);
    if (ok) {
        /* Not an error (a quiet hour serves nothing), but nothing is compared. */
        for (int which = TRAIN; which <= SERVING; which++)
            if (run.rows[which] == 0)
                fprintf(stderr, "fdlc: drift: warning: %s has no rows: no statistic can be computed\n",
                        run.options.path[which]);
        for (size_t k = 0; k < run.ncolumns; k++)
            column_statistics(&run, &run.columns[k]);
        print_table(&run, stdout);
        fflush(stdout);
        if (run.options.json_path)
            ok = write_json(&run, run.options.json_path);
    }
    int status = !ok ? DRIFT_EXIT_USAGE : run.ndrift ? DRIFT_EXIT_DRIFT : DRIFT_EXIT_OK;
    free_run(&run);
    return status;
}
