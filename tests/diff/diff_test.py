#!/usr/bin/env python3
"""diff_test.py - `fdlc diff` and the per-feature fingerprints it compares.

  diff_test.py FDLC WORK_DIR

One base program and variants of it, each compared with the base from the
definition files and from the base's built manifest (--manifest): the same
findings and exit status both ways, in text and in JSON.
"""
import json
import os
import shutil
import subprocess
import sys

FDLC, WORK = (os.path.abspath(a) for a in sys.argv[1:3])
FAILED = []

BASE = """
entities:
  - {name: user, join_key: user_id}
sources:
  - name: orders
    timestamp: ts
    fields:
      - {name: ts, type: timestamp}
      - {name: user_id, type: string}
      - {name: amount, type: float64}
      - {name: note, type: string}
features:
  - name: spend_7d
    entity: user
    aggregation: {function: sum, source: orders.amount, window: 7d}
  - name: n_7d
    entity: user
    aggregation: {function: count, source: orders, window: 7d}
  - name: avg_7d
    entity: user
    expr: "spend_7d / n_7d"
feature_sets:
  - name: ranking
    features: [spend_7d, n_7d, avg_7d]
"""

# name: (edits to BASE as (old, new) pairs, exit status, expected findings)
# findings: {"added": [names], "removed": [...], "renamed": [(from, to)],
#            "changed": [...], "sets": {name: change}}
VARIANTS = {
    "same": ([], 0, {}),
    "reformatted": ([("window: 7d}", "window: 168h}"), ("- {name: note", "# a comment\n      - {name: note")],
                    0, {}),
    "unrelated_field": ([("{name: note, type: string}", "{name: remark, type: int64}")], 0, {}),
    "renamed": ([("name: n_7d", "name: orders_7d"), ('"spend_7d / n_7d"', '"spend_7d / orders_7d"'),
                 ("[spend_7d, n_7d, avg_7d]", "[spend_7d, orders_7d, avg_7d]")],
                3, {"renamed": [("n_7d", "orders_7d")], "sets": {"ranking": "renamed"}}),
    "window": ([("source: orders, window: 7d", "source: orders, window: 14d")],
               3, {"changed": ["n_7d", "avg_7d"], "sets": {"ranking": "changed"}}),
    "field_type": ([("{name: amount, type: float64}", "{name: amount, type: int64}")],
                   4, {"changed": ["spend_7d", "avg_7d"], "sets": {"ranking": "reshaped"}}),
    "added": ([("features:\n", "features:\n  - name: last_note\n    entity: user\n"
                               "    aggregation: {function: last, source: orders.note, window: 1d}\n")],
              3, {"added": ["last_note"]}),
    "reordered": ([("[spend_7d, n_7d, avg_7d]", "[n_7d, spend_7d, avg_7d]")], 4, {"sets": {"ranking": "reshaped"}}),
    "set_removed": ([("feature_sets:\n  - name: ranking\n    features: [spend_7d, n_7d, avg_7d]\n", "")],
                    4, {"sets": {"ranking": "removed"}}),
    "removed": ([("  - name: avg_7d\n    entity: user\n    expr: \"spend_7d / n_7d\"\n", ""),
                 ("[spend_7d, n_7d, avg_7d]", "[spend_7d, n_7d]")],
                4, {"removed": ["avg_7d"], "sets": {"ranking": "reshaped"}}),
}


def fail(message):
    FAILED.append(message)
    print("FAIL " + message)


def run(args, cwd):
    return subprocess.run([FDLC] + args, cwd=cwd, capture_output=True, text=True)


def findings(result):
    """The JSON answer reduced to the shape of VARIANTS' expectations."""
    found = {}
    for key in ("added", "removed", "changed"):
        if result[key]:
            found[key] = sorted(item["name"] for item in result[key])
    if result["renamed"]:
        found["renamed"] = sorted((item["from"], item["to"]) for item in result["renamed"])
    if result["sets"]:
        found["sets"] = {item["name"]: item["change"] for item in result["sets"]}
    return found


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    with open(os.path.join(WORK, "base.yaml"), "w") as f:
        f.write(BASE)
    built = run(["compile", "base.yaml", "-o", "lib"], WORK)
    if built.returncode != 0:
        fail("compile base.yaml: " + built.stderr)
        sys.exit(1)
    manifest = json.load(open(os.path.join(WORK, "lib", "fdlfeatures.json")))
    if not all(len(f.get("fingerprint", "")) == 64 for f in manifest["features"]):
        fail("the manifest lacks per-feature fingerprints")
    for name, (edits, status, expected) in VARIANTS.items():
        text = BASE
        for old, new in edits:
            if old not in text:
                fail("%s: the edit %r does not apply" % (name, old))
            text = text.replace(old, new)
        path = name + ".yaml"
        with open(os.path.join(WORK, path), "w") as f:
            f.write(text)
        for old_side in (["base.yaml"], ["--manifest", "lib/fdlfeatures.json"]):
            how = "%s from %s" % (name, old_side[-1])
            result = run(["diff", "--format", "json"] + old_side + ["--", path], WORK)
            if result.returncode != status:
                fail("%s: exit %d, not %d: %s" % (how, result.returncode, status, result.stderr))
                continue
            got = findings(json.loads(result.stdout))
            want = {k: sorted(v) if isinstance(v, list) else v for k, v in expected.items()}
            if got != want:
                fail("%s: found %s, not %s" % (how, got, want))
            plain = run(["diff"] + old_side + ["--", path], WORK)
            if plain.returncode != status or (status == 0) != (plain.stdout == "no changes\n"):
                fail("%s: the text form: exit %d, %r" % (how, plain.returncode, plain.stdout))
    # Usage and errors: 2 and 1.
    for args, want in ((["diff", "base.yaml"], 2), (["diff", "--", "base.yaml"], 2),
                       (["diff", "--manifest", "missing.json", "--", "base.yaml"], 2),
                       (["diff", "--manifest", "base.yaml", "--", "base.yaml"], 2),
                       (["diff", "base.yaml", "--", "nonexistent.yaml"], 1)):
        result = run(args, WORK)
        if result.returncode != want:
            fail("%s: exit %d, not %d" % (" ".join(args), result.returncode, want))
    if FAILED:
        print("%d failure(s)" % len(FAILED))
        sys.exit(1)
    print("all passed (%d variants, each from files and from a manifest)" % len(VARIANTS))


main()
