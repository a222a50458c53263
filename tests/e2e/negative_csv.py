#!/usr/bin/env python3
"""negative_csv.py - malformed CSV input makes `fdlc batch` fail cleanly.

Usage: negative_csv.py FDLC WORK_DIR

Each case writes one bad row into an otherwise valid source or spine file
and checks that fdlc batch exits with status 5 when a source's cell does not
parse (the fields' default on_invalid policy, fail: the data broke its
contract) or 2 for malformed CSV and spine rows (a failed run, per
docs/language.md), that stderr names the file and the physical line the bad
row starts on (blank lines and line breaks inside quoted cells count), and
that no output file is left behind. A valid run first proves the good rows
are good, so each failure is caused by its one bad row.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import describe_run, fresh_dir, run_fdlc  # noqa: E402

DEFINITIONS = """\
entities:
  - name: account
    join_key: account_id
    key_type: int64
sources:
  - name: events
    timestamp: ts
    fields:
      - {name: ts, type: timestamp}
      - {name: account_id, type: int64}
      - {name: amount, type: float64}
      - {name: n, type: int64}
      - {name: flag, type: bool}
      - {name: note, type: string}
features:
  - name: amount_sum_1d
    entity: account
    aggregation: {function: sum, source: events.amount, window: 1d}
  - name: n_max_lifetime
    entity: account
    aggregation: {function: max, source: events.n, window: lifetime}
  - name: flag_last_1w
    entity: account
    aggregation: {function: last, source: events.flag, window: 1w}
"""

EVENTS_HEADER = "ts,account_id,amount,n,flag,note\n"
GOOD_EVENTS = [
    "2024-01-01T00:00:00Z,1,1.5,3,true,plain\n",
    '2024-01-01T01:00:00Z,1,2.5,4,false,"two\nlines"\n',   # physical lines 3-4
    "\n",                                                   # blank line 5
    "1704074400,2,-0.25,5,1,x\n",                           # line 6
]
SPINE_HEADER = "account_id,timestamp\n"
GOOD_SPINE = ["1,2024-01-02T00:00:00Z\n", "2,2024-01-02T00:00:00+01:00\n"]

# name, file ("events" or "spine"), bad row. The bad row goes after the
# good ones: line 7 of events.csv, line 4 of spine.csv.
CASES = [
    ("bad float", "events", "2024-01-01T02:00:00Z,1,12.x,3,true,a\n"),
    ("float with a hex form", "events", "2024-01-01T02:00:00Z,1,0x10,3,true,a\n"),
    ("nan float", "events", "2024-01-01T02:00:00Z,1,nan,3,true,a\n"),
    ("float overflow", "events", "2024-01-01T02:00:00Z,1,1e400,3,true,a\n"),
    ("bad int64", "events", "2024-01-01T02:00:00Z,1,1.0,3x,true,a\n"),
    ("int64 out of range", "events", "2024-01-01T02:00:00Z,1,1.0,9223372036854775808,true,a\n"),
    ("bad key", "events", "2024-01-01T02:00:00Z,one,1.0,3,true,a\n"),
    ("bad bool", "events", "2024-01-01T02:00:00Z,1,1.0,3,yes,a\n"),
    ("too few columns", "events", "2024-01-01T02:00:00Z,1,1.0,3,true\n"),
    ("too many columns", "events", "2024-01-01T02:00:00Z,1,1.0,3,true,a,extra\n"),
    ("bad timestamp", "events", "2024-13-01T02:00:00Z,1,1.0,3,true,a\n"),
    ("timestamp without zone", "events", "2024-01-01T02:00:00,1,1.0,3,true,a\n"),
    ("date without time", "events", "2024-01-01,1,1.0,3,true,a\n"),
    ("leap second", "events", "2024-01-01T23:59:60Z,1,1.0,3,true,a\n"),
    ("empty time", "events", ",1,1.0,3,true,a\n"),
    ("quote inside unquoted cell", "events", '2024-01-01T02:00:00Z,1,1.0,3,true,a"b\n'),
    ("text after closing quote", "events", '2024-01-01T02:00:00Z,1,1.0,3,true,"a"b\n'),
    ("spine: bad timestamp", "spine", "1,2024-01-02T25:00:00Z\n"),
    ("spine: empty time", "spine", "1,\n"),
    ("spine: too many columns", "spine", "1,2024-01-02T00:00:00Z,3\n"),
    ("spine: bad key", "spine", "x1,2024-01-02T00:00:00Z\n"),
]
BAD_LINE = {"events": 7, "spine": 4}
# Malformed CSV, not a value: the run fails before any expectation sees it.
STRUCTURAL = {"too few columns", "too many columns", "quote inside unquoted cell",
              "text after closing quote"}


def expected_status(name, bad_file):
    return 2 if bad_file == "spine" or name in STRUCTURAL else 5


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def run_case(fdlc, work, bad_file, bad_row):
    events = EVENTS_HEADER + "".join(GOOD_EVENTS) + (bad_row if bad_file == "events" else "")
    spine = SPINE_HEADER + "".join(GOOD_SPINE) + (bad_row if bad_file == "spine" else "")
    write(os.path.join(work, "events.csv"), events)
    write(os.path.join(work, "spine.csv"), spine)
    out = os.path.join(work, "out.csv")
    if os.path.exists(out):
        os.remove(out)
    proc = run_fdlc(fdlc, ["batch", "defs.yaml", "--source", "events=events.csv",
                           "--spine", "spine.csv", "--out", out], cwd=work, work=work)
    return proc, os.path.exists(out)


def main():
    if len(sys.argv) != 3:
        print("usage: negative_csv.py FDLC WORK_DIR")
        sys.exit(2)
    fdlc, work = (os.path.abspath(a) for a in sys.argv[1:])
    fresh_dir(work)
    write(os.path.join(work, "defs.yaml"), DEFINITIONS)

    proc, written = run_case(fdlc, work, None, "")
    if proc.returncode != 0 or not written:
        print("FAIL: the valid input does not run\n" + describe_run(proc))
        sys.exit(1)

    failures = 0
    for name, bad_file, bad_row in CASES:
        proc, written = run_case(fdlc, work, bad_file, bad_row)
        path = bad_file + ".csv"
        # The file as given on the command line (or its full path), then
        # ":LINE" and a non-digit.
        located = re.search(r"(^|[\s/])%s:%d\b" % (re.escape(path), BAD_LINE[bad_file]),
                            proc.stderr, re.MULTILINE)
        problems = []
        expected = expected_status(name, bad_file)
        if proc.returncode != expected:
            problems.append("exit status %d, expected %d" % (proc.returncode, expected))
        if not located:
            problems.append("stderr does not name %s:%d" % (path, BAD_LINE[bad_file]))
        if written:
            problems.append("an output file was left behind")
        if problems:
            failures += 1
            print("FAIL %s: %s\n%s" % (name, "; ".join(problems), describe_run(proc)))
        else:
            print("ok   %s: %s" % (name, proc.stderr.strip().splitlines()[0]))
    if failures:
        print("FAIL: %d of %d cases" % (failures, len(CASES)))
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
