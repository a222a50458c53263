#!/usr/bin/env python3
"""drift_e2e.py - end-to-end test of `fdlc drift TRAIN.csv SERVING.csv`.

Usage: drift_e2e.py FDLC WORKDIR

Writes a training set and several serving samples (standard library only,
fixed seeds), runs the real fdlc on each pair and checks:
  * exit status 0 when serving is drawn from the training distribution,
    3 for each planted shift (numeric mean +0.5 sd, a category share
    30% -> 60%, a null rate 1% -> 10%), 2 on bad input (missing file,
    malformed CSV with file:line on stderr, no common column);
  * that the JSON report parses, and that exactly the planted feature drifts,
    for the planted reason;
  * the reported PSI, KS D, total variation and null rates against values
    recomputed here, independently, from the same CSV files.
"""
import bisect
import csv
import json
import math
import os
import random
import subprocess
import sys

ROWS_TRAIN = 20000
ROWS_SERVING = 10000
COUNTRIES = ["FR", "DE", "US", "ES", "IT"]
# A quote, a comma and non-ASCII text in a column name and a category check
# that CSV and JSON escaping survive the round trip.
ODD_COLUMN = 'odd "name", here'
ODD_CATEGORY = 'Zürich, "CH"\\'

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def generate(path, seed, rows, amount_shift=0.0, fr_share=0.3, null_rate=0.01):
    """amount ~ N(50 + 10 * amount_shift, 10); country FR with fr_share, the
    rest spread over the others, plus a rare tail; score null with null_rate."""
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["user_id", "event_time", "amount", "country", "score", "embedding",
                      "clicked", ODD_COLUMN])
        for i in range(rows):
            amount = rng.gauss(50 + 10 * amount_shift, 10)
            u = rng.random()
            if u < fr_share:
                country = "FR"
            elif u < 0.995:
                country = COUNTRIES[1 + int((u - fr_share) / (0.995 - fr_share) * 4) % 4]
            else:
                country = "rare-%d" % rng.randrange(20)
            score = "" if rng.random() < null_rate else repr(rng.random())
            embedding = json.dumps([round(rng.gauss(0, 1), 6) for _ in range(4)])
            clicked = "true" if rng.random() < 0.1 else "false"
            odd = ODD_CATEGORY if rng.random() < 0.5 else ""
            out.writerow([i, "2024-03-%02dT%02d:00:00Z" % (1 + i % 28, i % 24), repr(amount),
                          country, score, embedding, clicked, odd])


def read_columns(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    return {name: [row[i] for row in body] for i, name in enumerate(header)}


def floored_psi(train_counts, serving_counts):
    nt, ns = sum(train_counts), sum(serving_counts)
    psi = 0.0
    for t, s in zip(train_counts, serving_counts):
        t, s = max(t / nt, 1e-4), max(s / ns, 1e-4)
        psi += (s - t) * math.log(s / t)
    return psi


def numeric_oracle(train_cells, serving_cells, bins=10):
    train = sorted(float(x) for x in train_cells if x != "")
    serving = sorted(float(x) for x in serving_cells if x != "")
    edges = []
    for k in range(1, bins):
        edge = train[k * len(train) // bins]
        if not edges or edge > edges[-1]:
            edges.append(edge)
    counts_t = [0] * (len(edges) + 1)
    counts_s = [0] * (len(edges) + 1)
    for x in train:
        counts_t[bisect.bisect_right(edges, x)] += 1
    for x in serving:
        counts_s[bisect.bisect_right(edges, x)] += 1
    # KS D: the CDFs compared at every distinct value of either sample.
    d = 0.0
    for x in set(train) | set(serving):
        ft = bisect.bisect_right(train, x) / len(train)
        fs = bisect.bisect_right(serving, x) / len(serving)
        d = max(d, abs(ft - fs))
    return floored_psi(counts_t, counts_s), d


def categorical_oracle(train_cells, serving_cells, train_quoted_empty=0, serving_quoted_empty=0):
    def counts(cells):
        c = {}
        for x in cells:
            if x != "":
                c[x] = c.get(x, 0) + 1
        return c
    ct, cs = counts(train_cells), counts(serving_cells)
    nt, ns = sum(ct.values()), sum(cs.values())
    names = set(ct) | set(cs)
    tv = sum(abs(ct.get(k, 0) / nt - cs.get(k, 0) / ns) for k in names) / 2
    kept_t, kept_s, other_t, other_s = [], [], 0, 0
    for k in names:
        t, s = ct.get(k, 0), cs.get(k, 0)
        if t / nt >= 0.01 or s / ns >= 0.01:
            kept_t.append(t)
            kept_s.append(s)
        else:
            other_t += t
            other_s += s
    if other_t + other_s:
        kept_t.append(other_t)
        kept_s.append(other_s)
    return floored_psi(kept_t, kept_s), tv


def run(fdlc, args, expect_status, what):
    result = subprocess.run([fdlc, "drift"] + args, capture_output=True, text=True)
    check(result.returncode == expect_status,
          "%s: exit status %d, expected %d\nstdout:\n%s\nstderr:\n%s"
          % (what, result.returncode, expect_status, result.stdout, result.stderr))
    return result


def close(a, b, tolerance=1e-9):
    return a is not None and abs(a - b) <= tolerance * max(1.0, abs(b))


def check_report(report_path, train_path, serving_path, drifting, what):
    with open(report_path, encoding="utf-8") as f:
        report = json.load(f)   # must parse
    features = {f["name"]: f for f in report["features"]}
    check(set(features) == {"event_time", "amount", "country", "score", "embedding", "clicked",
                            ODD_COLUMN},
          "%s: compared features %s" % (what, sorted(features)))
    check(report["ignored"] == ["user_id"], "%s: ignored %s" % (what, report["ignored"]))
    kinds = {name: f["kind"] for name, f in features.items()}
    check(kinds == {"event_time": "timestamp", "amount": "numeric", "country": "categorical",
                    "score": "numeric", "embedding": "vector", "clicked": "categorical",
                    ODD_COLUMN: "categorical"}, "%s: kinds %s" % (what, kinds))
    got = {name: f["reasons"] for name, f in features.items() if f["verdict"] == "drift"}
    check(got == drifting, "%s: drifting %s, expected %s" % (what, got, drifting))
    check(report["drift"] == bool(drifting), "%s: drift flag" % what)

    train, serving = read_columns(train_path), read_columns(serving_path)
    for name in ("amount", "score"):
        psi, d = numeric_oracle(train[name], serving[name])
        f = features[name]
        check(close(f["psi"], psi), "%s: %s PSI %s, oracle %r" % (what, name, f["psi"], psi))
        check(close(f["ks_d"], d, 1e-12), "%s: %s KS D %s, oracle %r" % (what, name, f["ks_d"], d))
        check(0 <= f["ks_p"] <= 1, "%s: %s p %s" % (what, name, f["ks_p"]))
        for side, cells in (("train", train[name]), ("serving", serving[name])):
            nulls = sum(1 for x in cells if x == "")
            check(f[side]["nulls"] == nulls and close(f[side]["null_rate"], nulls / len(cells)),
                  "%s: %s %s nulls %s, oracle %d" % (what, name, side, f[side]["nulls"], nulls))
    for name in ("country", "clicked"):
        psi, tv = categorical_oracle(train[name], serving[name])
        f = features[name]
        check(close(f["psi"], psi), "%s: %s PSI %s, oracle %r" % (what, name, f["psi"], psi))
        check(close(f["total_variation"], tv),
              "%s: %s TV %s, oracle %r" % (what, name, f["total_variation"], tv))
    # The odd category came back through CSV and JSON unharmed (the other
    # half of that column is null: csv.writer writes '' as an empty field).
    odd = features[ODD_COLUMN]
    values = [c["value"] for c in odd["categories"]]
    check(ODD_CATEGORY in values, "%s: odd category %r not in %r" % (what, ODD_CATEGORY, values))


def main():
    fdlc, work = sys.argv[1], sys.argv[2]
    os.makedirs(work, exist_ok=True)
    train = os.path.join(work, "train.csv")
    generate(train, 1, ROWS_TRAIN)

    cases = [
        ("same distribution", dict(), {}),
        ("amount mean +0.5 sd", dict(amount_shift=0.5), {"amount": ["psi", "ks"]}),
        ("FR share 30% -> 60%", dict(fr_share=0.6), {"country": ["psi"]}),
        ("score null rate 1% -> 10%", dict(null_rate=0.10), {"score": ["null"]}),
    ]
    for index, (what, shift, drifting) in enumerate(cases):
        serving = os.path.join(work, "serving_%d.csv" % index)
        generate(serving, 100 + index, ROWS_SERVING, **shift)
        report = os.path.join(work, "report_%d.json" % index)
        result = run(fdlc, [train, serving, "--ignore", "user_id", "--json", report],
                     3 if drifting else 0, what)
        check("drifting features: %d of 7" % len(drifting) in result.stdout,
              "%s: summary line missing:\n%s" % (what, result.stdout))
        check_report(report, train, serving, drifting, what)

    # A stricter threshold turns the same-distribution run into drift.
    same = os.path.join(work, "serving_0.csv")
    run(fdlc, [train, same, "--ignore", "user_id", "--ks-threshold", "0.001"], 3, "tiny KS threshold")

    # Bad input: status 2 and a message naming the file (and line).
    missing = os.path.join(work, "missing.csv")
    result = run(fdlc, [train, missing], 2, "missing file")
    check(missing in result.stderr, "missing file not named: %s" % result.stderr)
    malformed = os.path.join(work, "malformed.csv")
    with open(malformed, "w") as f:
        f.write('amount,country\n1.5,FR\n2.5,"DE\n')
    result = run(fdlc, [train, malformed], 2, "malformed CSV")
    check(malformed + ":3" in result.stderr, "malformed CSV: no file:line in %r" % result.stderr)
    disjoint = os.path.join(work, "disjoint.csv")
    with open(disjoint, "w") as f:
        f.write("something_else\n1\n")
    run(fdlc, [train, disjoint], 2, "no common column")
    run(fdlc, [train], 2, "one file")

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("drift e2e: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
