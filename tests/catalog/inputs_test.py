"""inputs_test.py - fdlc batch's inputs and progress, end to end.

  * a source given as several files (with differently ordered columns), as a
    glob, and gzip-compressed gives a training set byte for byte the one of
    the single plain file, at 1 and 2 threads; a truncated .gz, a glob that
    matches nothing and one file given twice are errors;
  * --progress prints well-formed progress lines; without it and without a
    terminal nothing extra appears; --quiet prints nothing; on a terminal
    (a pseudo-terminal) the line is redrawn in place and erased;
  * fdlc materialize over several files and gzip writes the snapshot of the
    single plain files, byte for byte;
  * the manifest records last_k/first_k dimensions.

usage: inputs_test.py FDLC ROOT WORKDIR
"""
import csv
import gzip
import json
import os
import pty
import re
import shutil
import subprocess
import sys

FDLC, ROOT, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
SEED = os.path.join(ROOT, "examples", "seed")
DATA = os.path.join(SEED, "data")
DEFS = [os.path.join(SEED, "catalog.yaml"), os.path.join(SEED, "features.yaml")]
PROGRESS = re.compile(r"^fdlc: batch: (loading|reading the spine|reading sources|sorting|computing|"
                      r"writing|done) \| \d+ rows read \| \d+ rows/s \| spine \d+% \| "
                      r"(about \d+ s left|time left unknown)$")

failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def batch(sources, out, extra=(), env=None):
    args = [FDLC, "batch", *DEFS, "--spine", os.path.join(DATA, "spine.csv"), "--out", out]
    for name, path in sources:
        args += ["--source", "%s=%s" % (name, path)]
    return subprocess.run(args + list(extra), capture_output=True, text=True, env=env)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def after_header(snapshot):
    """A snapshot's records after its header record, which holds the wall-clock
    time of the save (docs/snapshots.md: magic, version, flags, then records of
    a kind byte, a u64 length, the payload and a u32 CRC)."""
    length = int.from_bytes(snapshot[17:25], "little")
    return snapshot[25 + length + 4:]


def split_purchases():
    """Three files of purchases.csv; the second with its columns reversed."""
    with open(os.path.join(DATA, "purchases.csv"), newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    thirds = [body[: len(body) // 3], body[len(body) // 3: 2 * len(body) // 3], body[2 * len(body) // 3:]]
    paths = []
    for i, part in enumerate(thirds):
        path = os.path.join(WORK, "purchases-%d.csv" % (i + 1))
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            if i == 1:
                w.writerow(header[::-1])
                w.writerows(r[::-1] for r in part)
            else:
                w.writerow(header)
                w.writerows(part)
        paths.append(path)
    with open(paths[2], "rb") as f, gzip.open(paths[2] + ".gz", "wb") as z:
        z.write(f.read())
    return paths


def test_inputs():
    plain = [("purchases", os.path.join(DATA, "purchases.csv")), ("orders", os.path.join(DATA, "orders.csv"))]
    base = os.path.join(WORK, "base.csv")
    r = batch(plain, base, ["--threads", "1"])
    check(r.returncode == 0, "the plain run works: " + r.stderr)
    expected = read(base)
    parts = split_purchases()
    orders_gz = os.path.join(WORK, "orders.csv.gz")
    with open(os.path.join(DATA, "orders.csv"), "rb") as f, gzip.open(orders_gz, "wb") as z:
        z.write(f.read())
    variants = {
        "three files, one gzip": [("purchases", parts[0]), ("orders", orders_gz), ("purchases", parts[1]),
                                  ("purchases", parts[2] + ".gz")],
        "a glob": [("purchases", os.path.join(WORK, "purchases-?.csv")), ("orders", orders_gz)],
    }
    for name, sources in variants.items():
        for threads in ("1", "2"):
            out = os.path.join(WORK, "out.csv")
            r = batch(sources, out, ["--threads", threads])
            check(r.returncode == 0, "%s (%s threads) runs: %s" % (name, threads, r.stderr))
            check(r.returncode == 0 and read(out) == expected,
                  "%s (%s threads): the same bytes as the single plain file" % (name, threads))
            check("3000 rows read" in r.stderr, "%s: every row counted once" % name)

    truncated = os.path.join(WORK, "truncated.csv.gz")
    with open(orders_gz, "rb") as f:
        data = f.read()
    with open(truncated, "wb") as f:
        f.write(data[: len(data) // 2])
    r = batch([("purchases", parts[0]), ("orders", truncated)], os.path.join(WORK, "t.csv"))
    check(r.returncode == 2 and "truncated.csv.gz" in r.stderr and "gzip" in r.stderr,
          "a truncated .gz is an error naming the file: %r" % r.stderr)
    check(not os.path.exists(os.path.join(WORK, "t.csv")), "no output after a gzip error")

    r = batch([("purchases", os.path.join(WORK, "nothing-*.csv")), ("orders", orders_gz)],
              os.path.join(WORK, "g.csv"))
    check(r.returncode == 2 and "no file matches" in r.stderr, "a glob matching nothing: %r" % r.stderr)

    r = batch([("purchases", parts[0]), ("purchases", parts[0]), ("orders", orders_gz)],
              os.path.join(WORK, "twice.csv"))
    check(r.returncode == 2 and "twice" in r.stderr, "one file given twice: %r" % r.stderr)

    # fdlc materialize reads sources as batch does: several files and gzip
    # give the snapshot of the single plain files, byte for byte.
    snapshots = []
    for name, sources in (("plain", plain), ("split", variants["three files, one gzip"])):
        data = os.path.join(WORK, "materialize-" + name)
        shutil.rmtree(data, ignore_errors=True)
        args = [FDLC, "materialize", *DEFS, "--data", data, "--now", "2024-06-01T00:00:00Z"]
        for source, path in sources:
            args += ["--source", "%s=%s" % (source, path)]
        r = subprocess.run(args, capture_output=True, text=True)
        check(r.returncode == 0, "materialize (%s) runs: %s" % (name, r.stderr))
        files = sorted(os.listdir(data)) if os.path.isdir(data) else []
        snapshots.append(after_header(read(os.path.join(data, files[0]))) if len(files) == 1 else None)
    check(snapshots[0] is not None and snapshots[0] == snapshots[1],
          "materialize: several files and gzip give the plain files' snapshot")


def test_progress():
    plain = [("purchases", os.path.join(DATA, "purchases.csv")), ("orders", os.path.join(DATA, "orders.csv"))]
    out = os.path.join(WORK, "p.csv")
    env = dict(os.environ, FDLC_PROGRESS_INTERVAL="0.001")
    r = batch(plain, out, ["--progress"], env)
    lines = [l for l in r.stderr.splitlines() if l.startswith("fdlc: batch: ") and "|" in l]
    check(r.returncode == 0 and lines, "--progress prints progress: %r" % r.stderr)
    for line in lines:
        check(PROGRESS.match(line), "a well-formed progress line: %r" % line)
    check(lines and lines[-1].startswith("fdlc: batch: done | 3000 rows read") and "spine 100%" in lines[-1],
          "the last report is done, every row and the whole spine: %r" % (lines[-1:],))

    r = batch(plain, out, [], env)          # stderr is a pipe: not a terminal
    check(r.returncode == 0 and "|" not in r.stderr and "\r" not in r.stderr,
          "without a terminal no progress: %r" % r.stderr)
    r = batch(plain, out, ["--quiet", "--progress"], env)
    check(r.returncode == 0 and r.stderr == "", "--quiet prints nothing: %r" % r.stderr)

    # On a terminal: redrawn in place (\r, erase to end of line), erased at the end.
    master, slave = pty.openpty()
    args = [FDLC, "batch", *DEFS, "--spine", os.path.join(DATA, "spine.csv"), "--out", out,
            "--source", "purchases=" + plain[0][1], "--source", "orders=" + plain[1][1]]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    check(proc.wait() == 0, "the run on a terminal works")
    text = seen.decode("utf-8", "replace")
    check("\r\x1b[Kfdlc: batch: " in text, "on a terminal the progress line is redrawn: %r" % text[:300])
    summary = text.rfind("fdlc: batch: 3000 rows read")
    check(summary > 0 and text[:summary].endswith("\r\x1b[K") or "\r\x1b[K" in text[:summary][-400:],
          "the progress line is erased before the summary: %r" % text[-400:])


def test_manifest():
    out = os.path.join(WORK, "manifest")
    r = subprocess.run([FDLC, "compile", os.path.join(ROOT, "tests", "fdl", "all.yaml"), "-o", out],
                       capture_output=True, text=True)
    check(r.returncode == 0, "all.yaml compiles: " + r.stderr)
    with open(os.path.join(out, "fdlfeatures.json")) as f:
        features = {f["name"]: f for f in json.load(f)["features"]}
    check(features["last3"].get("dimension") == 3 and features["last3"].get("dimension_varies") is True,
          "last_k k=3 records dimension 3: %r" % features["last3"])
    check(features["first2"].get("dimension") == 2, "first_k k=2 records dimension 2")
    check(features["amount_quantiles"].get("dimension") == 3 and
          "dimension_varies" not in features["amount_quantiles"], "a percentile list keeps its fixed dimension")


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    test_inputs()
    test_progress()
    test_manifest()
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("inputs_test: all passed")


main()
