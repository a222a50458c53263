#!/usr/bin/env python3
"""serve_test.py - fdl-serve and its prediction log when things go wrong.

    serve_test.py CASE FDL_SERVE SEED_DIR WORK_DIR

Each CASE is one ctest (e2e/serve_CASE); the service runs in WORK_DIR,
never in the source tree, with the seed example's embeddings from SEED_DIR:

  log_sigkill      a service killed with SIGKILL right after `stats` said
                   `logged N` leaves exactly N complete JSON lines
  log_full_disk    --log /dev/full: every failed line counted in log_errors,
                   none in logged, exit status 2 at the end; --log-fsync
                   lines are logged
  log_concurrent   two services appending to one log at once: every line is
                   one whole JSON object, none lost (one write per line)
  report_confined  `report NAME` only with --report-dir, only a plain file
                   name, never through a symlink or over a directory
  line_cap         a line over --max-line (and over the default) answers
                   `error: line too long` and the next request is served
  io_errors        stdout on /dev/full and an unreadable stdin: exit 2
  out_of_memory    under a 64 MiB address-space limit: a --max-line buffer
                   that cannot be allocated, and events until the store
                   cannot take one: an error answer, then exit 2 (skipped
                   in a sanitizer build, which needs far more address space)
  wide_keys        (FDL_SERVE built over wide_keys.yaml) sets of 17 and 20
                   key columns are served; with ASan, no overflow
"""
import json
import os
import resource
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from e2e_common import fail, fresh_dir  # noqa: E402

EVENT = "ingest purchases 2024-03-01T09:30:00Z,u0001,p0003,19.99,food"
AT = "@2024-03-02T00:00:00Z"
# Unknown keys: null embeddings, a short line (well under a stdio buffer).
SHORT_GET = "get ranking_v1 nobody nothing " + AT
# Known keys: two 128-d embeddings, a line of about 3 KB.
LONG_GET = "get ranking_v1 u0001 p0003 " + AT


def embeddings(seed):
    """Options that load the seed's embedding tables from SEED_DIR."""
    return ["--embedding", "product2vec_v3=" + os.path.join(seed, "data/product2vec_v3.csv"),
            "--embedding", "user2vec_v3=" + os.path.join(seed, "data/user2vec_v3.csv")]


def serve(binary, args, requests, seed, **kwargs):
    """Runs the service in the work directory over the requests; the
    CompletedProcess (text)."""
    return subprocess.run([binary] + embeddings(seed) + args, input="".join(r + "\n" for r in requests),
                          capture_output=True, text=True, timeout=100, **kwargs)


def stats_of(line):
    """The counters of a `stats` answer, as a dict of ints."""
    words = line.split()
    if not words or words[0] != "ok":
        fail("not a stats answer: %r" % line)
    return {words[i]: int(words[i + 1]) for i in range(1, len(words) - 1, 2)}


def log_lines(path):
    """The log's lines, each checked to be a whole JSON object ending in a newline."""
    data = open(path, "rb").read()
    if data and not data.endswith(b"\n"):
        fail("%s ends in the middle of a line: %r" % (path, data[-80:]))
    lines = data.decode("utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
        except ValueError:
            fail("%s:%d is not one JSON object: %r" % (path, number, line[:200]))
        if not isinstance(entry, dict) or entry.get("set") != "ranking_v1":
            fail("%s:%d is not a logged read: %r" % (path, number, line[:200]))
    return lines


def case_log_sigkill(binary, seed, work):
    log = os.path.join(work, "predictions.jsonl")
    proc = subprocess.Popen([binary, "--log", log] + embeddings(seed), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    requests = [EVENT] + [SHORT_GET, LONG_GET] * 3 + ["stats"]
    proc.stdin.write("".join(r + "\n" for r in requests))
    proc.stdin.flush()
    answers = [proc.stdout.readline() for _ in requests]
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    proc.stdin.close()
    logged = stats_of(answers[-1])["logged"]
    if logged != 6:
        fail("stats said logged %d after 6 reads: %r" % (logged, answers[-1]))
    lines = log_lines(log)
    if len(lines) != logged:
        fail("stats said logged %d, but after SIGKILL the log holds %d lines" % (logged, len(lines)))
    print("log_sigkill: %d lines counted, %d on disk after SIGKILL" % (logged, len(lines)))


def case_log_full_disk(binary, seed, work):
    done = serve(binary, ["--log", "/dev/full"], [EVENT, SHORT_GET, SHORT_GET, "stats", "quit"], seed)
    answers = done.stdout.splitlines()
    if len(answers) != 4 or not all(a.startswith("ok") for a in answers):
        fail("reads must still be answered:\n" + done.stdout + done.stderr)
    counters = stats_of(answers[-1])
    if counters["logged"] != 0 or counters["log_errors"] != 2:
        fail("2 reads on a full disk: logged %d, log_errors %d (want 0 and 2)"
             % (counters["logged"], counters["log_errors"]))
    if done.returncode != 2 or "prediction log" not in done.stderr:
        fail("a log that lost reads must end with exit status 2 and say so: %d %r"
             % (done.returncode, done.stderr))
    # --log-fsync: synced lines are counted as logged, on a file and on a
    # device that cannot be synced (/dev/null: fdatasync fails with EINVAL).
    for path in [os.path.join(work, "synced.jsonl"), "/dev/null"]:
        done = serve(binary, ["--log", path, "--log-fsync"], [EVENT, SHORT_GET, LONG_GET, "stats"], seed)
        counters = stats_of(done.stdout.splitlines()[-1])
        if (counters["logged"], counters["log_errors"], done.returncode) != (2, 0, 0):
            fail("--log-fsync to %s: %r, exit status %d" % (path, counters, done.returncode))
    if len(log_lines(os.path.join(work, "synced.jsonl"))) != 2:
        fail("--log-fsync: 2 lines wanted")
    print("log_full_disk: log_errors %d, exit status 2; --log-fsync logs" % 2)


def case_log_concurrent(binary, seed, work):
    log = os.path.join(work, "predictions.jsonl")
    per_process = 3000
    requests = [EVENT] + [LONG_GET if i % 2 else SHORT_GET for i in range(per_process)] + ["quit"]
    text = "".join(r + "\n" for r in requests)
    procs = [subprocess.Popen([binary, "--log", log] + embeddings(seed), stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, text=True) for _ in range(2)]
    # Both get their input before either is waited for, so they run together.
    for proc in procs:
        proc.stdin.write(text[:len(text) // 2])
        proc.stdin.flush()
    for proc in procs:
        proc.stdin.write(text[len(text) // 2:])
        proc.stdin.close()
    for proc in procs:
        if proc.wait(timeout=100) != 0:
            fail("a service failed: exit status %d" % proc.returncode)
    lines = log_lines(log)
    if len(lines) != 2 * per_process:
        fail("%d reads served, %d lines logged" % (2 * per_process, len(lines)))
    print("log_concurrent: %d lines from 2 processes, all whole" % len(lines))


def expect_answer(done, index, prefix, what):
    answers = done.stdout.splitlines()
    if index >= len(answers) or not answers[index].startswith(prefix):
        fail("%s: want an answer starting %r, got:\n%s%s" % (what, prefix, done.stdout, done.stderr))


def case_report_confined(binary, seed, work):
    victim = os.path.join(work, "victim.txt")
    with open(victim, "w") as f:
        f.write("precious\n")
    # No --report-dir: no file is written anywhere.
    done = serve(binary, [], ["report " + victim, "report r.json", "quit"], seed)
    expect_answer(done, 0, "error", "report without --report-dir")
    expect_answer(done, 1, "error", "report without --report-dir")
    if open(victim).read() != "precious\n" or os.path.exists(os.path.join(work, "r.json")):
        fail("report wrote a file without --report-dir")

    reports = fresh_dir(os.path.join(work, "reports"))
    os.symlink(victim, os.path.join(reports, "link.json"))
    os.mkdir(os.path.join(reports, "adir"))
    refused = ["../escape.json", "sub/r.json", ".hidden", "..", "", "link.json", "adir", "n" * 256]
    done = serve(binary, ["--report-dir", reports],
                 [EVENT] + ["report " + name for name in refused]
                 + ["report r.json", "report r.json", "report " + "n" * 255, "quit"],
                 seed)
    for i, name in enumerate(refused):
        expect_answer(done, 1 + i, "error", "report %r" % name)
    expect_answer(done, 1 + len(refused), "ok", "report r.json")
    expect_answer(done, 2 + len(refused), "ok", "report r.json again (replaces it)")
    expect_answer(done, 3 + len(refused), "ok", "a name of 255 bytes")
    if open(victim).read() != "precious\n":
        fail("report wrote through a symlink")
    if sorted(os.listdir(reports)) != ["adir", "link.json", "n" * 255, "r.json"] or os.path.exists(
            os.path.join(work, "escape.json")):
        fail("unexpected files: %r" % sorted(os.listdir(reports)))
    report = json.load(open(os.path.join(reports, "r.json")))
    if not isinstance(report, dict):
        fail("the report is not a JSON object")
    print("report_confined: %d names refused, a plain name written" % len(refused))


def case_line_cap(binary, seed, work):
    long_line = "get ranking_v1 " + "x" * 100 + " p0003"
    done = serve(binary, ["--max-line", "64"], [long_line, "stats", "x" * 64, "quit"], seed)
    expect_answer(done, 0, "error: line too long", "a line over --max-line 64")
    expect_answer(done, 1, "ok events", "the request after a long line")
    expect_answer(done, 2, "error: unknown request", "a line of exactly 64 bytes")
    # The default cap (1 MiB): a 2 MiB line is refused, not buffered.
    done = serve(binary, [], ["get " + "y" * (2 << 20), "stats", "quit"], seed)
    expect_answer(done, 0, "error: line too long", "a 2 MiB line")
    expect_answer(done, 1, "ok events", "the request after a 2 MiB line")
    if done.returncode != 0:
        fail("exit status %d after a long line" % done.returncode)
    for bad in ["0", "-1", "x", "99999999999999"]:
        done = serve(binary, ["--max-line", bad], ["quit"], seed)
        if done.returncode != 2:
            fail("--max-line %s accepted" % bad)
    print("line_cap: long lines answered with an error, the service goes on")


def case_io_errors(binary, seed, work):
    with open("/dev/full", "w") as full:
        done = subprocess.run([binary] + embeddings(seed), input="stats\nstats\nquit\n", stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60)
    if done.returncode != 2 or "fdl-serve" not in done.stderr:
        fail("answers written to a full disk: exit status %d, stderr %r" % (done.returncode, done.stderr))
    # A directory as stdin: read(2) fails with EISDIR, which is not end of input.
    fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
    try:
        done = subprocess.run([binary] + embeddings(seed), stdin=fd, capture_output=True, text=True,
                              timeout=60)
    finally:
        os.close(fd)
    if done.returncode != 2 or "fdl-serve" not in done.stderr:
        fail("unreadable requests: exit status %d, stderr %r" % (done.returncode, done.stderr))
    print("io_errors: write and read errors end with exit status 2")


def limit_memory():
    """In the child: at most 64 MiB of address space."""
    resource.setrlimit(resource.RLIMIT_AS, (64 << 20, 64 << 20))


def case_out_of_memory(binary, seed, work):
    if os.environ.get("FDL_SANITIZE", "OFF").upper() in ("ON", "1", "TRUE", "YES"):
        print("out_of_memory: skipped (sanitizer build)")
        return
    done = serve(binary, ["--max-line", str(1 << 30)], ["stats"], seed, preexec_fn=limit_memory)
    if done.returncode != 2 or "out of memory" not in done.stderr:
        fail("a 1 GiB line buffer under 64 MiB: exit status %d, stderr %r" % (done.returncode, done.stderr))
    # Distinct users and products: the store grows until an event fails.
    events = ["ingest purchases 2024-03-01T09:30:00Z,u%07d,p%07d,1.5,food" % (i, i) for i in range(400000)]
    done = serve(binary, [], events + ["stats"], seed, preexec_fn=limit_memory)
    answers = done.stdout.splitlines()
    if done.returncode != 2 or "out of memory" not in done.stderr:
        fail("the store out of memory: exit status %d, stderr %r" % (done.returncode, done.stderr))
    if not answers or not answers[-1].startswith("error") or len(answers) >= len(events):
        fail("want the failed event answered with an error, then nothing: %d answers, last %r"
             % (len(answers), answers[-1:]))
    print("out_of_memory: exit 2 at start and after %d events" % (len(answers) - 1))


def case_wide_keys(binary, seed, work):
    wide = ["k%d" % i for i in range(1, 18)]
    event = "ingest events 2024-03-01T00:00:00Z," + ",".join(wide) + ",1,2,3"
    log = os.path.join(work, "wide.jsonl")
    requests = [event, "get wide17 %s %s" % (" ".join(wide), AT),
                "get wide20 %s 1 2 3 %s" % (" ".join(wide), AT),
                "get wide20 %s 1 2 3 4 %s" % (" ".join(wide), AT),
                "get wide20 " + " ".join(["k"] * 200),
                # 17 keys and no @TIME: 18 words, which once fit, then 17 keys did not.
                "get wide17 " + " ".join(wide), "quit"]
    # No embeddings in these definitions: no --embedding options.
    done = subprocess.run([binary, "--log", log], input="".join(r + "\n" for r in requests),
                          capture_output=True, text=True, timeout=100)
    expect_answer(done, 0, "ok", "the event")
    expect_answer(done, 1, "ok [1]", "17 key columns")
    expect_answer(done, 2, "ok [1, 1]", "20 key columns")
    expect_answer(done, 3, "error: set wide20 takes 20 keys", "21 keys")
    expect_answer(done, 4, "error: set wide20 takes 20 keys", "200 keys")
    expect_answer(done, 5, "ok [", "17 key columns, read now")
    if done.returncode != 0 or done.stderr:
        fail("exit status %d, stderr:\n%s" % (done.returncode, done.stderr))
    entry = json.loads(open(log).read().splitlines()[1])
    if len(entry["keys"]) != 20 or entry["keys"]["w17"] != "k17" or entry["keys"]["s3"] != 3:
        fail("logged keys: %r" % entry["keys"])
    print("wide_keys: 17 and 20 key columns served and logged")


def main():
    case, binary, seed, work = sys.argv[1:5]
    fresh_dir(work)
    os.chdir(work)
    globals()["case_" + case](binary, seed, work)


if __name__ == "__main__":
    main()
