/*
 * fuzz_batch.c - libFuzzer harness: fdl_batch_run on a fixed program
 * (program.yaml, compiled at build time by the fdlc just built).
 *
 * The input is two CSV files, the source `orders` and the spine, split at
 * the first NUL byte (no NUL: an empty spine). The run's processing time
 * is fixed, so an input always does the same. When the run writes its
 * output (it succeeded, or only an SLA broke), then:
 *   - accepted + dropped = the source's data rows, counted by the CSV
 *     reader here: every row read is either kept or dropped, none lost;
 *   - the output reads back as CSV with a header and one row per spine row,
 *     each as wide as the header, and starts with the spine row's cells.
 */
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "fdlfeatures.h"
#include "internal.h"

/* Data records of a CSV file (the header not counted); -1 if malformed. */
static long count_rows(const char *path)
{
    fdl_error err = {0};
    fdl_csv_reader *reader = fdl_csv_open(path, &err);
    FUZZ_CHECK(reader != NULL, "cannot open %s: %s", path, err.message);
    const char **fields;
    const size_t *lengths;
    const bool *quoted;
    int n, status;
    long rows = -1;
    while ((status = fdl_csv_next(reader, &fields, &lengths, &quoted, &n, &err)) == 1)
        rows++;
    fdl_csv_close(reader);
    return status < 0 ? -1 : (rows < 0 ? 0 : rows);
}

/* A cell as the output holds it: null (unquoted empty) or bytes. */
static bool same_cell(const char *a, size_t alen, bool aquoted, const char *b, size_t blen, bool bquoted)
{
    bool anull = alen == 0 && !aquoted, bnull = blen == 0 && !bquoted;
    return anull == bnull && alen == blen && memcmp(a, b, alen) == 0;
}

/* The output: a header, then one row per spine row holding its cells. */
static void check_output(const char *out_path, const char *spine_path, uint64_t spine_rows)
{
    fdl_error err = {0};
    fdl_csv_reader *out = fdl_csv_open(out_path, &err);
    FUZZ_CHECK(out != NULL, "cannot open the output: %s", err.message);
    fdl_csv_reader *spine = fdl_csv_open(spine_path, &err);
    FUZZ_CHECK(spine != NULL, "cannot open the spine: %s", err.message);
    const char **of, **sf;
    const size_t *ol, *sl;
    const bool *oq, *sq;
    int on, sn, width = -1;
    uint64_t rows = 0;
    int status;
    while ((status = fdl_csv_next(out, &of, &ol, &oq, &on, &err)) == 1) {
        FUZZ_CHECK(width < 0 || on == width, "output row %llu has %d cells, the header %d",
                   (unsigned long long)rows, on, width);
        int spine_status = fdl_csv_next(spine, &sf, &sl, &sq, &sn, &err);
        FUZZ_CHECK(spine_status == 1, "output row %llu has no spine row", (unsigned long long)rows);
        FUZZ_CHECK(sn <= on, "output row %llu narrower than its spine row", (unsigned long long)rows);
        for (int i = 0; i < sn; i++)
            FUZZ_CHECK(same_cell(of[i], ol[i], oq[i], sf[i], sl[i], sq[i]),
                       "output row %llu cell %d is not the spine's", (unsigned long long)rows, i + 1);
        if (width < 0)
            width = on;
        else
            rows++;
    }
    FUZZ_CHECK(status == 0, "the output does not read back: %s", err.message);
    FUZZ_CHECK(width >= 0, "the output has no header");
    FUZZ_CHECK(fdl_csv_next(spine, &sf, &sl, &sq, &sn, &err) == 0, "spine rows missing from the output");
    FUZZ_CHECK(rows == spine_rows, "%llu output rows for %llu spine rows", (unsigned long long)rows,
               (unsigned long long)spine_rows);
    fdl_csv_close(out);
    fdl_csv_close(spine);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t source_size = nul ? (size_t)(nul - data) : size;
    const char *source_path = fuzz_scratch_path("orders.csv");
    const char *spine_path = fuzz_scratch_path("spine.csv");
    const char *out_path = fuzz_scratch_path("out.csv");
    fuzz_write_file(source_path, data, source_size);
    if (nul)
        fuzz_write_file(spine_path, nul + 1, size - source_size - 1);
    else
        fuzz_write_file(spine_path, "", 0);
    remove(out_path);

    fdl_batch_source sources[] = {{"orders", source_path}};
    fdl_batch_options options = {0};
    options.sources = sources;
    options.nsources = 1;
    options.spine_path = spine_path;
    options.out_path = out_path;
    options.quarantine_path = "/dev/null";
    options.now = (fdl_time)1735689600 * FDL_MICROS_PER_SECOND;   /* 2025-01-01 */
    fdl_batch_stats stats;
    fdl_error err = {0};
    fdl_status status = fdl_batch_run(fdlfeatures_program(), &options, &stats, &err);
    if (status != FDL_OK && status != FDL_ERR_SLA)
        return 0;

    long source_rows = count_rows(source_path);
    long spine_rows = count_rows(spine_path);
    FUZZ_CHECK(source_rows >= 0 && spine_rows >= 0, "batch accepted a malformed CSV file");
    FUZZ_CHECK(stats.accepted + stats.dropped == (uint64_t)source_rows,
               "%llu accepted + %llu dropped, but %ld rows read", (unsigned long long)stats.accepted,
               (unsigned long long)stats.dropped, source_rows);
    FUZZ_CHECK(stats.spine_rows == (uint64_t)spine_rows, "%llu spine rows counted, %ld in the file",
               (unsigned long long)stats.spine_rows, spine_rows);
    check_output(out_path, spine_path, stats.spine_rows);
    return 0;
}
