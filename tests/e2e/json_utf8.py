"""json_utf8.py - every JSON text fdlc writes is valid UTF-8 JSON, whatever
bytes the data and the definitions held (issue 8, part 7).

Strings with ill-formed UTF-8 (a Latin-1 byte, an overlong, an encoded
surrogate, a code point above U+10FFFF, a truncated sequence) and well-formed
multi-byte UTF-8 flow into each writer:

  quarantine, report   fdlc batch --quarantine/--report (a dropped row)
  top_k text           a training-set cell, itself JSON
  manifest             fdlc compile's NAME.json (a description in .fdl)
  drift --json         fdlc drift over two CSVs of such categories
  prediction log       fdl-serve --log (the seed example) with such a key

Each output must decode as strict UTF-8 and parse with json.loads; strings
must read back as Python's bytes.decode('utf-8', 'replace') of the input:
well-formed text unchanged, each maximal ill-formed subpart one U+FFFD.

  json_utf8.py FDLC FDL_SERVE SEED_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import fail, fresh_dir  # noqa: E402

# Ill-formed and well-formed strings, as bytes (no comma, quote or newline:
# they go into CSV cells and protocol lines as they are).
ODD = [
    b"caf\xe9",                 # Latin-1 e-acute
    b"\xc0\xafx",               # overlong "/"
    b"\xed\xa0\x80y",           # encoded surrogate U+D800
    b"\xf4\x90\x80\x80z",       # above U+10FFFF
    b"end\xe2\x82",             # truncated three-byte sequence
    b"\xff\xfe",                # never in UTF-8
]
GOOD = [b"\xc3\xa9t\xc3\xa9", b"\xe6\x97\xa5\xe6\x9c\xac", b"\xf0\x9f\x98\x80", b"tab\there"]

DEFINITIONS = b"""entity user { key user_id: string }

source events at ts {
    ts: timestamp,
    user_id: string,
    tag: string,
    note: string expect(matches "^ok" drop)
}

feature tags_30d of user =
    top_k(events.tag, 20) over 30d
    "description with caf\xe9, \xed\xa0\x80 and \xc3\xa9"

set s { tags_30d }
"""


def strict_json(data, what):
    """data (bytes) as strict UTF-8, parsed as JSON."""
    try:
        return json.loads(data.decode("utf-8", "strict"))
    except (UnicodeDecodeError, ValueError) as e:
        fail("%s is not valid UTF-8 JSON (%s): %r" % (what, e, data[:300]))


def expect_strings(found, what):
    """Every ODD and GOOD string appears in found (a set of str), as
    Python's replacing decoder reads it."""
    for raw in ODD + GOOD:
        wanted = raw.decode("utf-8", "replace")
        if wanted not in found:
            fail("%s: %r should read as %r; strings there: %r" % (what, raw, wanted, sorted(found)))


def strings_in(value, out):
    """All strings in a parsed JSON value (keys too)."""
    if isinstance(value, str):
        out.add(value)
    elif isinstance(value, list):
        for item in value:
            strings_in(item, out)
    elif isinstance(value, dict):
        for key, item in value.items():
            out.add(key)
            strings_in(item, out)
    return out


def run(args, cwd, stdin=None):
    env = dict(os.environ)
    env.setdefault("FDLC_CACHE_DIR", os.path.join(cwd, "cache"))
    return subprocess.run(args, cwd=cwd, env=env, input=stdin, capture_output=True, timeout=110)


def check_batch(fdlc, work):
    with open(os.path.join(work, "d.fdl"), "wb") as f:
        f.write(DEFINITIONS)
    rows = [b"ts,user_id,tag,note"]
    for i, text in enumerate(ODD + GOOD):
        rows.append(b"2024-01-01T00:00:%02dZ,u1,%s,ok" % (i, text))
        rows.append(b"2024-01-01T00:01:%02dZ,u2,x,%s" % (i, text))    # dropped by matches
    with open(os.path.join(work, "events.csv"), "wb") as f:
        f.write(b"\n".join(rows) + b"\n")
    with open(os.path.join(work, "spine.csv"), "wb") as f:
        f.write(b"user_id,timestamp\nu1,2024-01-02T00:00:00Z\n")
    proc = run([fdlc, "batch", "d.fdl", "--source", "events=events.csv", "--spine", "spine.csv",
                "--out", "out.csv", "--quarantine", "q.jsonl", "--report", "report.json"], work)
    if proc.returncode != 0:
        fail("fdlc batch: exit %d: %r" % (proc.returncode, proc.stderr))

    lines = open(os.path.join(work, "q.jsonl"), "rb").read().splitlines()
    if len(lines) != len(ODD + GOOD):
        fail("quarantine: %d lines for %d dropped rows" % (len(lines), len(ODD + GOOD)))
    found = set()
    for n, line in enumerate(lines):
        entry = strict_json(line, "quarantine line %d" % (n + 1))
        strings_in(entry, found)
    # The row is one string of CSV: each value sits inside it.
    rows_text = " ".join(s for s in found)
    for raw in ODD + GOOD:
        if raw.decode("utf-8", "replace") not in rows_text:
            fail("quarantine: %r is in no line" % raw)

    report = strict_json(open(os.path.join(work, "report.json"), "rb").read(), "the report")
    strings_in(report, set())

    out = open(os.path.join(work, "out.csv"), "rb").read().decode("utf-8", "replace")
    cell = out.splitlines()[1].split(",", 2)[2]
    if not (cell.startswith('"') and cell.endswith('"')):
        fail("top_k cell not quoted: %r" % cell)
    # The cell's bytes, CSV-unquoted, as strict UTF-8 JSON.
    raw_cell = open(os.path.join(work, "out.csv"), "rb").read().splitlines()[1].split(b",", 2)[2]
    top = strict_json(raw_cell[1:-1].replace(b'""', b'"'), "the top_k cell")
    expect_strings({value for value, _ in top}, "top_k")
    print("batch: quarantine (%d lines), report and top_k (%d values) are valid UTF-8 JSON"
          % (len(lines), len(top)))


def check_manifest(fdlc, work):
    proc = run([fdlc, "compile", "d.fdl", "-o", "gen"], work)
    if proc.returncode != 0:
        fail("fdlc compile: %r" % proc.stderr)
    manifest = strict_json(open(os.path.join(work, "gen", "fdlfeatures.json"), "rb").read(), "the manifest")
    description = manifest["features"][0]["description"]
    wanted = "description with caf\ufffd, \ufffd\ufffd\ufffd and \u00e9"
    if description != wanted:
        fail("manifest description %r, expected %r" % (description, wanted))
    print("manifest: valid UTF-8 JSON")


def check_drift(fdlc, work):
    for name in ("train.csv", "serving.csv"):
        with open(os.path.join(work, name), "wb") as f:
            f.write(b"category\n" + b"\n".join(ODD + GOOD) + b"\n")
    proc = run([fdlc, "drift", "train.csv", "serving.csv", "--json", "drift.json"], work)
    if proc.returncode not in (0, 3):
        fail("fdlc drift: exit %d: %r" % (proc.returncode, proc.stderr))
    report = strict_json(open(os.path.join(work, "drift.json"), "rb").read(), "drift --json")
    expect_strings(strings_in(report, set()), "drift --json")
    print("drift: valid UTF-8 JSON")


def check_prediction_log(serve, seed, work):
    log = os.path.join(work, "predictions.jsonl")
    requests = b"".join(b"get ranking_v1 %s p%d @2024-03-01T00:00:00Z\n" % (raw, i)
                        for i, raw in enumerate(ODD + GOOD)) + b"quit\n"
    proc = subprocess.run([serve, "--log", log], cwd=seed, input=requests, capture_output=True,
                          timeout=110)
    if proc.returncode != 0:
        fail("fdl-serve: exit %d: %r" % (proc.returncode, proc.stderr))
    lines = open(log, "rb").read().splitlines()
    if len(lines) != len(ODD + GOOD):
        fail("prediction log: %d lines for %d reads" % (len(lines), len(ODD + GOOD)))
    found = set()
    for n, line in enumerate(lines):
        found.add(strict_json(line, "prediction log line %d" % (n + 1))["keys"]["user_id"])
    expect_strings(found, "prediction log keys")
    print("prediction log: %d lines of valid UTF-8 JSON" % len(lines))
    # fdl-serve's own answers print values with the same writer.
    answers = [a[3:] for a in proc.stdout.splitlines() if a.startswith(b"ok [")]
    if len(answers) != len(ODD + GOOD):
        fail("fdl-serve: %d JSON answers for %d reads: %r" % (len(answers), len(ODD + GOOD),
                                                            proc.stdout[:400]))
    for n, answer in enumerate(answers):
        strict_json(answer, "fdl-serve answer %d" % (n + 1))
    print("fdl-serve answers: %d lines of valid UTF-8 JSON" % len(answers))


def main():
    fdlc, serve, seed, work = [os.path.abspath(a) for a in sys.argv[1:5]]
    fresh_dir(work)
    check_batch(fdlc, work)
    check_manifest(fdlc, work)
    check_drift(fdlc, work)
    check_prediction_log(serve, seed, work)


if __name__ == "__main__":
    main()
