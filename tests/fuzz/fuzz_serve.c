/*
 * fuzz_serve.c - libFuzzer harness: the serving line protocol of
 * examples/serve/serve.c, on the fixed program of program.yaml.
 *
 * serve.c is compiled into this harness with -Dmain=fdl_serve_main, as it
 * is, and run in-process once per input: the input becomes its stdin (a
 * fmemopen stream) and its stdout is captured (open_memstream). Its
 * processing time is fixed, its prediction log and quarantine go to
 * /dev/null, and every `report NAME` request is rewritten to name one
 * scratch file in --report-dir (so no input leaves a trail of files). Invariant: one answer per request, as serve.c
 * promises: a line "ok..." or "error: ..." (schema's answer goes on over
 * lines "source ...", "set ..." and "end"), and no other line.
 */
#define _GNU_SOURCE

#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

int fdl_serve_main(int argc, char **argv);

/* Rewrites "report ANYTHING" lines to report to the scratch file (whose
 * directory is the --report-dir); counts
 * the requests serve.c answers (it skips blank and # lines, stops at quit). */
static char *prepare_input(const uint8_t *data, size_t size, size_t *out_size, long *requests)
{
    const char *report = strrchr(fuzz_scratch_path("report.json"), '/') + 1;
    char *out = NULL;
    FILE *stream = open_memstream(&out, out_size);
    FUZZ_CHECK(stream != NULL, "open_memstream failed");
    *requests = 0;
    bool quit = false;
    for (size_t start = 0; start < size;) {
        const uint8_t *newline = memchr(data + start, '\n', size - start);
        size_t end = newline ? (size_t)(newline - data) + 1 : size;
        size_t length = end - start;
        const char *line = (const char *)data + start;
        if (length >= 7 && memcmp(line, "report ", 7) == 0)
            fprintf(stream, "report %s\n", report);
        else
            fwrite(line, 1, length, stream);
        /* As serve.c sees it: CR and LF stripped from the end. */
        size_t text = length;
        while (text > 0 && (line[text - 1] == '\n' || line[text - 1] == '\r'))
            text--;
        if (!quit && text > 0 && line[0] != '#') {
            if (text >= 4 && memcmp(line, "quit", 4) == 0 && (text == 4 || line[4] == '\0'))
                quit = true;
            else
                (*requests)++;
        }
        start = end;
    }
    FUZZ_CHECK(fclose(stream) == 0, "open_memstream failed");
    return out;
}

static bool starts_with(const char *line, size_t length, const char *prefix)
{
    size_t n = strlen(prefix);
    return length >= n && memcmp(line, prefix, n) == 0;
}

/* Answers in the output: lines "ok..." or "error: ..."; the only other
 * lines are schema's body (source, set) and its closing "end". */
static long count_answers(const char *text, size_t size)
{
    long answers = 0;
    for (size_t start = 0; start < size;) {
        const char *newline = memchr(text + start, '\n', size - start);
        FUZZ_CHECK(newline != NULL, "the last answer is not a whole line");
        const char *line = text + start;
        size_t length = (size_t)(newline - line);
        if (starts_with(line, length, "ok") || starts_with(line, length, "error: "))
            answers++;
        else
            FUZZ_CHECK(starts_with(line, length, "source ") || starts_with(line, length, "set ") ||
                           (length == 3 && memcmp(line, "end", 3) == 0),
                       "an answer line that is no answer: '%.*s'", (int)length, line);
        start += length + 1;
    }
    return answers;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t input_size;
    long requests;
    char *input = prepare_input(data, size, &input_size, &requests);
    if (input_size == 0) {
        free(input);
        return 0;
    }
    FILE *in = fmemopen(input, input_size, "r");
    FUZZ_CHECK(in != NULL, "fmemopen failed");
    char *output = NULL;
    size_t output_size = 0;
    FILE *out = open_memstream(&output, &output_size);
    FUZZ_CHECK(out != NULL, "open_memstream failed");

    FILE *saved_in = stdin, *saved_out = stdout;
    stdin = in;
    stdout = out;
    /* The scratch file's directory, for --report-dir. */
    static char report_dir[4096];
    const char *report = fuzz_scratch_path("report.json");
    snprintf(report_dir, sizeof report_dir, "%.*s", (int)(strrchr(report, '/') - report), report);
    char *argv[] = {"fdl-serve", "--now", "2025-01-01T00:00:00Z", "--log", "/dev/null",
                    "--quarantine", "/dev/null", "--report-dir", report_dir, NULL};
    int status = fdl_serve_main(9, argv);
    stdin = saved_in;
    stdout = saved_out;
    fclose(in);
    FUZZ_CHECK(fclose(out) == 0, "open_memstream failed");

    FUZZ_CHECK(status == 0, "fdl-serve exited %d", status);
    long answers = count_answers(output, output_size);
    FUZZ_CHECK(answers == requests, "%ld answers for %ld requests", answers, requests);
    free(output);
    free(input);
    return 0;
}
