#!/usr/bin/env python3
"""run_test.py - end-to-end tests of source expectations (data contracts).

Usage:
  run_test.py contract FDLC WORK_DIR [--seed N]
  run_test.py fail FDLC WORK_DIR
  run_test.py sla FDLC WORK_DIR
  run_test.py serving FDLC SERVE_PARITY CASE_DIR WORK_DIR [--variant NAME]

contract  case.py's main variant through `fdlc batch --quarantine --report
          --now`: the oracle (oracle.py) must find exactly the planted
          violations (else the generator and the oracle disagree), and fdlc
          must agree with the oracle on everything: each dropped row in the
          quarantine with its file, line, source, field, expectation, policy
          and cells; per source read, accepted, dropped, clean (read =
          accepted + dropped); per expectation its violations; the field
          statistics, statistical verdicts and SLAs of the report; and every
          cell of the training set, computed from the accepted rows with
          their values after policies.
fail      four expectations turned to fail (ordered, range, unique, and an
          on_invalid left to its default): run after run, exit status 5
          and an error naming file:line of the first failing row in reading
          order, the field, the expectation and the value; no training set
          written. Each run deletes the row the last one stopped at.
sla       a broken SLA and a broken statistical expectation with policy
          fail: exit status 5, the training set (equal to the oracle's) and
          the report (with those verdicts broken) still written.
serving   the case generated at build time, fed by serve_parity (the
          serving API) in batch arrival order: the same counters, violations,
          verdicts and quarantined rows (file and line aside) as the batch
          run, and the same feature vectors, byte for byte (round-trip
          floats, so bit for bit). With --variant fail_range: serving
          rejects each failing event (FDL_ERR_CHECK, counted as failed) and
          goes on; compared with the oracle run the same way.

Every comparison prints what differs and the test fails (exit 1).
"""
import json
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import case  # noqa: E402
import oracle  # noqa: E402
from e2e_common import (Mismatches, describe_run, expected_cell, fresh_dir,  # noqa: E402
                        parse_csv, read_csv, run_fdlc)

SOURCE_FILES = {name: name + ".csv" for name in case.SOURCE_ORDER}


class Problems:
    def __init__(self):
        self.count = 0

    def add(self, message):
        self.count += 1
        if self.count <= 60:
            print("MISMATCH " + message)

    def check(self, what, expected, got):
        if expected != got:
            self.add("%s: expected %r, got %r" % (what, expected, got))

    def close(self, label):
        if self.count:
            print("FAIL: %s: %d mismatches" % (label, self.count))
            sys.exit(1)


# ------------------------------------------------------------------ setup

def embedding_keys(case_dir):
    rows = read_csv(os.path.join(case_dir, "product_vec.csv"))
    return [r[0].text for r in rows[1:]]


def run_oracle(spec, case_dir, stop_on_fail=True):
    return oracle.Oracle(spec, case_dir, embedding_keys(case_dir), stop_on_fail).run()


def check_plants(o, planted):
    """The generator's plants and the oracle's findings must be the same
    set: otherwise one of them misreads the documented semantics."""
    planted_set = sorted((p["file"], p["line"], p["expectation"]) for p in planted)
    found = sorted(o.found)
    if planted_set != found:
        print("planted, not found by the oracle:", sorted(set(planted_set) - set(found)))
        print("found by the oracle, not planted:", sorted(set(found) - set(planted_set)))
        print("FAIL: case.py and oracle.py disagree")
        sys.exit(1)


def batch_args(case_dir, out, quarantine=None, report=None, now=case.NOW):
    args = ["batch", "catalog.yaml", "features.yaml"]
    for name in case.SOURCE_ORDER:
        args += ["--source", "%s=%s" % (name, SOURCE_FILES[name])]
    args += ["--spine", "spine.csv", "--set", case.SET_NAME, "--out", out, "--now", now]
    if quarantine:
        args += ["--quarantine", quarantine]
    if report:
        args += ["--report", report]
    return args


# -------------------------------------------------------------- expectations

def spec_expectations(spec, source):
    """Every check of a source in check order: (id, kind, field or None,
    policy name): one invalid check per field, then the field
    expectations, then the source's own (fdl_source_desc.checks)."""
    s = next(s for s in spec["sources"] if s["name"] == source)
    out = [(f["name"] + ".invalid", "invalid", f["name"],
            oracle._policy_name(f["on_invalid"] or "fail")) for f in s["fields"]]
    for f in s["fields"]:
        out += [(e["id"], e["kind"], f["name"], oracle._policy_name(e["policy"])) for e in f["expect"]]
    out += [(e["id"], e["kind"], None, oracle._policy_name(e["policy"])) for e in s["expect"]]
    return out


_KINDS = ("not_null", "range", "in", "matches", "max_future", "ordered", "max_gap", "exists_in",
          "mean", "stddev", "null_ratio", "distinct", "expr", "unique")


def kind_of_text(text):
    """The expectation kind a check's text names ("range [0, 1000]" ->
    range); anything about parsing ("on_invalid", "invalid ...") -> invalid."""
    if text is None:
        return None
    word = re.split(r"[\s:\[({]", text.strip(), 1)[0]
    if word in _KINDS:
        return word
    if word == "valid" or "invalid" in text or "parse" in text:
        return "invalid"
    return word


def match_checks(spec, source, checks, problems, label, statistical=True):
    """Pairs a source's checks as fdlc lists them (dicts with kind, field)
    with the spec's, by (field, kind, occurrence); returns {id: check}.
    statistical: whether the list has the statistical ones (the report
    gives those as verdicts instead)."""
    expected = [e for e in spec_expectations(spec, source)
                if statistical or e[1] not in oracle.STATISTICAL]
    slots = {}
    for id_, kind, field, policy in expected:
        slots.setdefault((field, kind), []).append(id_)
    out = {}
    taken = {}
    for check in checks:
        key = (check["field"], check["kind"])
        ids = slots.get(key, [])
        n = taken.get(key, 0)
        if n >= len(ids):
            problems.add("%s: %s: unexpected check %r" % (label, source, check))
            continue
        taken[key] = n + 1
        out[ids[n]] = check
    types = {f["name"]: f["type"] for s in spec["sources"] if s["name"] == source
             for f in s["fields"]}
    for id_, kind, field, policy in expected:
        if id_ not in out and kind == "invalid" and types[field] == "string" and not statistical:
            continue        # the report leaves out what cannot happen: a string always parses
        if id_ not in out:
            problems.add("%s: %s: no check for %s (%s of %s)" % (label, source, id_, kind, field))
        elif out[id_].get("policy") not in (None, policy):
            problems.add("%s: %s: %s has policy %r, expected %r"
                         % (label, source, id_, out[id_].get("policy"), policy))
    return out


# ------------------------------------------------------------------ report
#
# The report (fdl_store_write_report): {"fingerprint", "passed", "sources":
# [{"name", "file", "rows_read", "rows_accepted", "rows_dropped",
# "rows_failed", "rows_clean", "pass_rate", "expectations": [{"field"?,
# "expectation", "policy", "violations"}], "fields": [{"name", "type",
# "rows", "nulls", "invalid", "null_ratio", "min"?, "max"?, "mean"?,
# "stddev"?, "distinct"?}], "verdicts": [{"what", "field"?, "value",
# "limit", "passed", "fatal"}]}]}. Statistical expectations appear as
# verdicts only.

def report_sources(report):
    """{source name: its object}."""
    return {s["name"]: s for s in report.get("sources", [])}


def report_checks(source_obj):
    """The source's expectations as dicts with kind, field, policy, text,
    violations (the shape serve_parity's counts use)."""
    return [{"kind": kind_of_text(e.get("expectation")), "field": e.get("field"),
             "policy": e.get("policy"), "text": e.get("expectation"),
             "violations": e.get("violations")}
            for e in source_obj.get("expectations", [])]


def compare_counts(label, o, counts_by_source, problems):
    """counts_by_source: {source: {read, accepted, dropped, clean}}."""
    for name, state in o.states.items():
        got = counts_by_source.get(name)
        if got is None:
            problems.add("%s: no counts for source %s" % (label, name))
            continue
        for key in ("read", "accepted", "dropped", "clean", "failed"):
            if key != "failed" or got.get(key) is not None:
                problems.check("%s: %s %s" % (label, name, key), getattr(state, key), got.get(key))
        if got.get("read") is not None and got.get("accepted") is not None:
            dropped = got.get("dropped") or 0
            failed = got.get("failed") or 0
            if got["read"] != got["accepted"] + dropped + failed:
                problems.add("%s: %s: read %s != accepted %s + dropped %s + failed %s"
                             % (label, name, got["read"], got["accepted"], dropped, failed))


def compare_violations(label, spec, o, checks_by_source, problems, statistical=True):
    for name, state in o.states.items():
        checks = match_checks(spec, name, checks_by_source.get(name, []), problems, label,
                              statistical)
        for id_, check in checks.items():
            # Statistical expectations have verdicts, not per-row violations.
            if id_ in state.violations and check["kind"] not in oracle.STATISTICAL:
                problems.check("%s: %s %s violations" % (label, name, id_),
                               state.violations[id_], check.get("violations"))


def verdict_key(v):
    """(sla|stat, kind, field) of a verdict from its text ("mean [1.0,
    500.0]" with its field; "sla pass_rate", "sla max_null_ratio" with its
    field)."""
    what = v.get("what") or ""
    if what.startswith("sla "):
        return ("sla", what.split()[1], v.get("field"))
    return ("stat", kind_of_text(what), v.get("field"))


def compare_verdicts(label, o, verdicts_by_source, problems):
    """Every statistical expectation and SLA: measured value (within 1e-9
    relative: a mean or a deviation may be summed in another order) and
    verdict."""
    for name in o.states:
        expected = [v for v in o.verdicts() if v["source"] == name]
        got = {}
        for v in verdicts_by_source.get(name, []):
            got.setdefault(verdict_key(v), []).append(v)
        for v in expected:
            key = ("sla", v["kind"], v["field"]) if v["id"].startswith("sla.") else \
                ("stat", v["kind"], v["field"])
            candidates = got.get(key) or []
            if not candidates:
                problems.add("%s: %s: no verdict for %s (have %s)" % (label, name, v["id"], sorted(got)))
                continue
            g = candidates.pop(0)
            problems.check("%s: %s %s verdict" % (label, name, v["id"]), v["passed"], g.get("passed"))
            problems.check("%s: %s %s fatal" % (label, name, v["id"]), v["fatal"], g.get("fatal"))
            value = g.get("value")
            if v["value"] is not None and (value is None or not math.isclose(
                    value, v["value"], rel_tol=1e-9, abs_tol=1e-12)):
                problems.add("%s: %s %s value: expected %r, got %r"
                             % (label, name, v["id"], v["value"], value))
        for key, rest in got.items():
            for g in rest:
                problems.add("%s: %s: unexpected verdict %r" % (label, name, g))


def compare_field_stats(label, spec, o, report, problems):
    """Each field's rows, nulls and invalid values in the report; for
    int64 and float64 fields min and max (exact), mean and standard
    deviation (within 1e-9 relative); distinct where the report has it."""
    types = {(s["name"], f["name"]): f["type"] for s in spec["sources"] for f in s["fields"]}
    for name, source_obj in report_sources(report).items():
        state = o.states.get(name)
        if state is None:
            continue
        seen = set()
        for f in source_obj.get("fields", []):
            fname = f.get("name")
            if fname not in state.field_rows:
                problems.add("%s: %s: report has unknown field %r" % (label, name, fname))
                continue
            seen.add(fname)
            where = "%s: %s.%s" % (label, name, fname)
            problems.check(where + " rows", state.field_rows[fname], f.get("rows"))
            problems.check(where + " nulls", state.field_nulls[fname], f.get("nulls"))
            problems.check(where + " invalid", state.field_invalid[fname], f.get("invalid"))
            values = state.field_values[fname]
            if "distinct" in f:
                problems.check(where + " distinct", len(set(values)), f["distinct"])
            if types[(name, fname)] not in ("int64", "float64") or not values:
                continue
            for key, expected in (("min", min(values)), ("max", max(values))):
                got = f.get(key)
                if got is None or float(got) != float(expected):
                    problems.add("%s %s: expected %r, got %r" % (where, key, expected, got))
            for key in ("mean", "stddev"):
                if len(values) < 2 and key == "stddev":
                    continue
                expected, _ = oracle.field_statistic(key, values, 0, 0, [None, None])
                got = f.get(key)
                if got is None or not math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12):
                    problems.add("%s %s: expected %r, got %r" % (where, key, expected, got))
        for fname in state.field_rows:
            if fname not in seen:
                problems.add("%s: %s: report lacks field %s" % (label, name, fname))


def compare_report(label, spec, o, report, problems):
    counts, checks, verdicts = {}, {}, {}
    for name, obj in report_sources(report).items():
        counts[name] = {k: obj.get("rows_" + k)
                        for k in ("read", "accepted", "dropped", "failed", "clean")}
        checks[name] = report_checks(obj)
        verdicts[name] = obj.get("verdicts", [])
        state = o.states.get(name)
        rate = obj.get("pass_rate")
        if state and (rate is None or not math.isclose(rate, state.clean / state.read,
                                                       rel_tol=1e-12)):
            problems.add("%s: %s pass_rate: expected %r, got %r"
                         % (label, name, state.clean / state.read, rate))
    problems.check("%s: passed" % label, not any(v["fatal"] for v in o.verdicts()),
                   report.get("passed"))
    compare_counts(label, o, counts, problems)
    compare_violations(label, spec, o, checks, problems, statistical=False)
    compare_verdicts(label, o, verdicts, problems)
    compare_field_stats(label, spec, o, report, problems)


# -------------------------------------------------------------- quarantine

def read_quarantine(path, problems, label):
    lines = []
    with open(path, encoding="utf-8") as f:
        for k, text in enumerate(f, start=1):
            try:
                lines.append(json.loads(text))
            except ValueError as e:
                problems.add("%s: quarantine line %d is not JSON (%s): %r" % (label, k, e, text))
    return lines


def quarantine_key(spec, entry, with_place):
    """What identifies a quarantined row; the expectation as its kind."""
    row = entry.get("row")
    if isinstance(row, str):
        records = parse_csv(row)
        cells = [c.text for c in records[0]] if records else []
    else:
        cells = row
    kind = kind_of_text(entry.get("expectation"))
    place = (os.path.basename(entry.get("file") or ""), entry.get("line")) if with_place else ()
    return place + (entry.get("source"), entry.get("field"), kind, entry.get("policy"),
                    json.dumps(cells))


def oracle_quarantine_keys(spec, o, with_place):
    kinds = {}
    for s in spec["sources"]:
        for id_, kind, field, policy in spec_expectations(spec, s["name"]):
            kinds[(s["name"], id_)] = (kind, field)
    out = []
    for q in o.quarantine:
        kind, field = kinds[(q["source"], q["expectation"])]    # a row expectation: None
        place = (q["file"], q["line"]) if with_place else ()
        out.append(place + (q["source"], field, kind, "drop", json.dumps(q["row"])))
    return out


def compare_quarantine(label, spec, o, entries, problems, with_place=True):
    """The quarantine holds exactly the oracle's dropped rows (each once),
    with a reason."""
    remaining = {}
    for e in entries:
        key = quarantine_key(spec, e, with_place)
        remaining[key] = remaining.get(key, 0) + 1
    for e in sorted(oracle_quarantine_keys(spec, o, with_place), key=str):
        if remaining.get(e):
            remaining[e] -= 1
        else:
            problems.add("%s: quarantine lacks %r" % (label, e))
    for g, n in remaining.items():
        for _ in range(n):
            problems.add("%s: unexpected quarantine entry %r" % (label, g))
    # The reason names the expectation, and for a field its name and the
    # value as read (the planted drops are never of a value a policy
    # changed first).
    reasons = {}
    for e in entries:
        reasons.setdefault((e.get("source"), e.get("line") if with_place else None,
                            e.get("expectation")), []).append(e.get("reason") or "")
    for q in o.quarantine:
        line = (q["line"] if with_place else q["line"] - 1)
        candidates = [r for (source, l, text), rs in reasons.items() for r in rs
                      if source == q["source"] and (l == line or not with_place) and text]
        field = q["field"] if not q["expectation"].startswith("row.") else None
        needles = [field, q["value"]] if field else []
        ok = [r for r in candidates if all(n in r for n in needles if n)]
        if with_place and not ok:
            problems.add("%s: %s:%d: no reason naming %r among %r"
                         % (label, q["file"], q["line"], needles, candidates))
    for entry in entries:
        reason = entry.get("reason") or ""
        if not reason or (entry.get("expectation") or "") not in reason and \
                kind_of_text(entry.get("expectation")) != "invalid":
            problems.add("%s: the reason does not name the expectation: %r" % (label, entry))


# ----------------------------------------------------------- training set

def compare_training(label, o, case_dir, out_path, problems):
    spine = read_csv(os.path.join(case_dir, "spine.csv"))
    got = read_csv(out_path)
    expected = o.training_set(spine)
    feature_types = {}
    for name, entity, function, source, window, where in case.FEATURES:
        if function == "count":
            feature_types[name] = "int64"
        elif function == "mean":
            feature_types[name] = "float64"
        else:
            src, _, fld = source.partition(".")
            feature_types[name] = next(f["type"] for s in o.spec["sources"] if s["name"] == src
                                       for f in s["fields"] if f["name"] == fld)
    header = [c.text for c in spine[0]] + [f[0] for f in case.FEATURES]
    problems.check("%s: header" % label, header, [c.text for c in got[0]])
    problems.check("%s: rows" % label, len(spine) - 1, len(got) - 1)
    cells = Mismatches(label)
    for r, ((record, values), out) in enumerate(zip(expected, got[1:]), start=1):
        for c, cell in enumerate(record):
            if out[c].text != cell.text:
                cells.add(r, header[c], cell.text, out[c].text)
        for k, (name, *_rest) in enumerate(case.FEATURES):
            column = len(record) + k
            if column >= len(out):
                cells.add(r, name, "a cell", "none")
                continue
            exp, check = expected_cell(feature_types[name], values[name])
            cells.check_cell(r, name, exp, out[column], check)
    if cells.count:
        problems.add("%s: %d training-set cells differ" % (label, cells.count))


# ------------------------------------------------------------------- modes

def contract(fdlc, work, seed):
    work = fresh_dir(work)
    case_dir = os.path.join(work, "case")
    spec, planted = case.write_case(case_dir, seed, "main")
    o = run_oracle(spec, case_dir)
    check_plants(o, planted)
    proc = run_fdlc(fdlc, batch_args(case_dir, "training.csv", "quarantine.jsonl", "report.json"),
                    case_dir, work)
    if proc.returncode != 0:
        print("FAIL: fdlc batch: expected exit status 0\n" + describe_run(proc))
        sys.exit(1)
    problems = Problems()
    if not proc.stderr.strip():
        problems.add("no summary on stderr")
    entries = read_quarantine(os.path.join(case_dir, "quarantine.jsonl"), problems, "quarantine")
    compare_quarantine("quarantine", spec, o, entries, problems)
    # Every planted drop is there, on its line, with its expectation.
    by_line = {(os.path.basename(e.get("file") or ""), e.get("line")): e for e in entries}
    for p in planted:
        if p["policy"] != "drop":
            continue
        e = by_line.get((p["file"], p["line"]))
        kind = next(k for i, k, f, pol in spec_expectations(spec, p["source"]) if i == p["expectation"])
        if e is None or kind_of_text(e.get("expectation")) != kind:
            problems.add("planted %s:%d (%s) not quarantined as %s: %r"
                         % (p["file"], p["line"], p["expectation"], kind, e))
    with open(os.path.join(case_dir, "report.json")) as f:
        report = json.load(f)
    compare_report("report", spec, o, report, problems)
    compare_training("training set", o, case_dir, os.path.join(case_dir, "training.csv"), problems)
    # Another processing time (with a zone offset): max_future moves with
    # it, and so does everything downstream; the oracle follows.
    later = "2024-03-11T02:30:00+02:00"
    spec_later = dict(spec, now=later)
    o_later = run_oracle(spec_later, case_dir)
    if o_later.states["purchases"].violations["ts.max_future"] == \
            o.states["purchases"].violations["ts.max_future"]:
        problems.add("the case does not tell --now %s from %s" % (later, case.NOW))
    proc = run_fdlc(fdlc, batch_args(case_dir, "training_later.csv", "quarantine_later.jsonl",
                                     "report_later.json", now=later), case_dir, work)
    if proc.returncode != 0:
        problems.add("fdlc batch --now %s: expected exit status 0\n%s" % (later, describe_run(proc)))
    else:
        entries = read_quarantine(os.path.join(case_dir, "quarantine_later.jsonl"), problems,
                                  "quarantine --now " + later)
        compare_quarantine("quarantine --now " + later, spec_later, o_later, entries, problems)
        with open(os.path.join(case_dir, "report_later.json")) as f:
            compare_report("report --now " + later, spec_later, o_later, json.load(f), problems)
        compare_training("training set --now " + later, o_later, case_dir,
                         os.path.join(case_dir, "training_later.csv"), problems)
    problems.close("expectations contract seed %d" % seed)
    total = sum(s.read for s in o.states.values())
    print("ok: %d rows read, %d planted violations, %d quarantined, %d verdicts, %d spine rows"
          % (total, len(planted), len(o.quarantine), len(o.verdicts()),
             len(read_csv(os.path.join(case_dir, "spine.csv"))) - 1))


# What each fail of the fail_all variant must name: expectation id ->
# (field, a word of the expectation). In reading order (users first).
FAILS = {
    "ts.ordered": ("ts", "ordered"),
    "amount.invalid": ("amount", "float64"),
    "qty.range": ("qty", "range"),
    "row.unique_order": ("order_id", "unique"),
}


def fail_mode(fdlc, work):
    """The fail_all variant (one definition, compiled once) run again and
    again: each run must stop at the first failing row in reading order,
    which is then deleted from its file for the next run, until every
    fail expectation has stopped a run once."""
    work = fresh_dir(work)
    case_dir = os.path.join(work, "case")
    spec, planted = case.write_case(case_dir, 1, "fail_all")
    problems = Problems()
    stopped = []
    for run in range(len(FAILS)):
        o = run_oracle(spec, case_dir)
        failure = o.failure
        if failure is None or failure["expectation"] not in FAILS:
            print("FAIL: run %d: the oracle stops at %r" % (run + 1, failure))
            sys.exit(1)
        stopped.append(failure["expectation"])
        field_name, word = FAILS[failure["expectation"]]
        label = "run %d (%s)" % (run + 1, failure["expectation"])
        proc = run_fdlc(fdlc, batch_args(case_dir, "training.csv", "quarantine.jsonl",
                                         "report.json"), case_dir, work)
        before = problems.count
        if proc.returncode != 5:
            problems.add("%s: expected exit status 5\n%s" % (label, describe_run(proc)))
        else:
            where = "%s:%d" % (failure["file"], failure["line"])
            for needle in (where, field_name, word, failure["value"]):
                if needle and needle not in proc.stderr:
                    problems.add("%s: stderr does not name %r:\n%s" % (label, needle, proc.stderr))
        if os.path.exists(os.path.join(case_dir, "training.csv")):
            problems.add("%s: a failed run left a training set" % label)
        error = [l for l in proc.stderr.splitlines() if l.startswith("fdlc:")]
        if problems.count == before:
            print("ok: %s: %s" % (label, error[0] if error else proc.stderr.strip()))
        # The next run goes past this row.
        path = os.path.join(case_dir, failure["file"])
        with open(path, newline="") as f:
            lines = f.readlines()
        del lines[failure["line"] - 1]
        with open(path, "w", newline="") as f:
            f.writelines(lines)
    if sorted(stopped) != sorted(FAILS):
        problems.add("the runs stopped at %r, not once at each of %r" % (stopped, sorted(FAILS)))
    problems.close("expectations fail policy")


def sla_mode(fdlc, work):
    work = fresh_dir(work)
    case_dir = os.path.join(work, "case")
    spec, planted = case.write_case(case_dir, 1, "sla")
    o = run_oracle(spec, case_dir)
    check_plants(o, planted)
    fatal = [v["id"] for v in o.verdicts() if v["fatal"]]
    if sorted(fatal) != ["amount.mean", "sla.min_rows"]:
        print("FAIL: the sla variant should break exactly amount.mean and clicks min_rows: %r" % fatal)
        sys.exit(1)
    proc = run_fdlc(fdlc, batch_args(case_dir, "training.csv", "quarantine.jsonl", "report.json"),
                    case_dir, work)
    problems = Problems()
    if proc.returncode != 5:
        problems.add("expected exit status 5\n" + describe_run(proc))
    for needle in ("min_rows", "mean"):
        if needle not in proc.stderr:
            problems.add("stderr does not name %r:\n%s" % (needle, proc.stderr))
    out = os.path.join(case_dir, "training.csv")
    report_path = os.path.join(case_dir, "report.json")
    if not os.path.exists(out):
        problems.add("no training set written")
    else:
        compare_training("training set", o, case_dir, out, problems)
    if not os.path.exists(report_path):
        problems.add("no report written")
    else:
        with open(report_path) as f:
            compare_report("report", spec, o, json.load(f), problems)
    if os.path.exists(os.path.join(case_dir, "quarantine.jsonl")):
        entries = read_quarantine(os.path.join(case_dir, "quarantine.jsonl"), problems, "quarantine")
        compare_quarantine("quarantine", spec, o, entries, problems)
    else:
        problems.add("no quarantine written")
    problems.close("expectations sla")
    print("ok: exit status 5, training set, report and quarantine written; broken: %s" % fatal)


def serving_mode(fdlc, exe, case_dir, work, variant):
    """variant main: serving against the oracle and against batch. A fail
    variant: batch stops at the first fail (exit 5), serving rejects each
    failing event with FDL_ERR_CHECK, counts it as failed and goes on:
    compared with the oracle run the same way."""
    import subprocess
    work = fresh_dir(work)
    spec = case.make_spec(variant)
    with open(os.path.join(case_dir, "planted.json")) as f:
        planted = json.load(f)
    batch_like = variant == "main"
    o = run_oracle(spec, case_dir, stop_on_fail=False)
    check_plants(o, planted)
    problems = Problems()
    if not batch_like and not any(s.failed for s in o.states.values()):
        print("FAIL: variant %s fails no row" % variant)
        sys.exit(1)
    batch_q = os.path.join(work, "batch_quarantine.jsonl")
    batch_r = os.path.join(work, "batch_report.json")
    batch_out = os.path.join(work, "batch_training.csv")
    proc = run_fdlc(fdlc, batch_args(case_dir, batch_out, batch_q, batch_r), case_dir, work)
    if proc.returncode != (0 if batch_like else 5):
        print("FAIL: fdlc batch: expected exit status %d\n%s"
              % (0 if batch_like else 5, describe_run(proc)))
        sys.exit(1)
    serve = {k: os.path.join(work, "serving_" + k) for k in
             ("training.csv", "counts.json", "quarantine.jsonl", "report.json")}
    args = [exe]
    for name in case.SOURCE_ORDER:
        args += ["--source", "%s=%s" % (name, os.path.join(case_dir, SOURCE_FILES[name]))]
    args += ["--spine", os.path.join(case_dir, "spine.csv"), "--set", case.SET_NAME,
             "--now", case.NOW, "--out", serve["training.csv"], "--counts", serve["counts.json"],
             "--quarantine", serve["quarantine.jsonl"], "--report", serve["report.json"]]
    run = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        print("FAIL: serve_parity\n" + describe_run(run))
        sys.exit(1)
    with open(serve["counts.json"]) as f:
        counts = json.load(f)
    # The arrival order serve_parity derived: referenced sources first.
    problems.check("serving arrival order", oracle.reading_order(spec), counts["order"])
    # The serving counters against the oracle...
    compare_counts("serving counters", o, counts["sources"], problems)
    for name, c in counts["sources"].items():
        fed = c["fed"]
        problems.check("serving %s: statuses returned vs counters" % name,
                       (fed["rows"], fed["ok"], fed["dropped"], fed["failed"]),
                       (c["read"], c["accepted"], c["dropped"], c["failed"]))
    compare_violations("serving violations", spec, o,
                       {n: c["checks"] for n, c in counts["sources"].items()}, problems)
    by_source = {}
    for v in counts["verdicts"]:
        by_source.setdefault(v["source"], []).append(v)
    compare_verdicts("serving verdicts", o, by_source, problems)
    if o.failure:
        # The rejection names the field, the expectation and the value.
        message = counts.get("first_failure") or ""
        s = next(s for s in spec["sources"] if s["name"] == o.failure["source"])
        kind = next(k for i, k, f, p in spec_expectations(spec, s["name"])
                    if i == o.failure["expectation"])
        for needle in (o.failure["field"], kind, o.failure["value"]):
            if needle and needle not in message:
                problems.add("serving: FDL_ERR_CHECK message does not name %r: %r" % (needle, message))
    elif counts.get("first_failure") is not None:
        problems.add("serving: an event was rejected: %r" % counts["first_failure"])
    with open(serve["report.json"]) as f:
        serving_report = json.load(f)
    compare_report("serving report", spec, o, serving_report, problems)
    # Quarantine: the oracle's dropped rows, file "" and line the event's
    # number in its source (one line per record here: the file line - 1).
    entries = read_quarantine(serve["quarantine.jsonl"], problems, "serving quarantine")
    compare_quarantine("serving quarantine", spec, o, entries, problems, with_place=False)
    for e in entries:
        if e.get("file") != "":
            problems.add("serving quarantine: file should be \"\": %r" % e)
    for q, e in zip(sorted(o.quarantine, key=lambda q: (q["source"], q["line"])),
                    sorted(entries, key=lambda e: (str(e.get("source")), e.get("line") or 0))):
        problems.check("serving quarantine: line of %s:%d" % (q["file"], q["line"]),
                       q["line"] - 1, e.get("line"))
    compare_training("serving vectors", o, case_dir, serve["training.csv"], problems)
    if batch_like:
        # ... and against batch's report, number for number.
        with open(batch_r) as f:
            batch_report = json.load(f)
        compare_report("batch report", spec, o, batch_report, problems)
        b_sources, s_sources = report_sources(batch_report), report_sources(serving_report)
        # fdl_store_source_counts and fdl_store_check_violations against
        # batch's report, directly (both were checked against the oracle).
        for name, c in counts["sources"].items():
            b = b_sources.get(name, {})
            problems.check("serving counters vs batch report: %s" % name,
                           [b.get("rows_" + k) for k in ("read", "accepted", "dropped", "clean")],
                           [c[k] for k in ("read", "accepted", "dropped", "clean")])
            batch_checks = {(x["field"], x["text"]): x["violations"] for x in report_checks(b)}
            for check in c["checks"]:
                key = (check["field"], check["text"])
                if key in batch_checks:
                    problems.check("fdl_store_check_violations vs batch report: %s %s" % (name, key),
                                   batch_checks[key], check["violations"])
                elif check["kind"] not in oracle.STATISTICAL and check["violations"]:
                    problems.add("serving %s: check %s has violations, not in batch's report"
                                 % (name, key))
        for name in o.states:
            b, s = b_sources.get(name, {}), s_sources.get(name, {})
            bc = [(c["kind"], c["field"], c["text"], c["violations"]) for c in report_checks(b)]
            sc = [(c["kind"], c["field"], c["text"], c["violations"]) for c in report_checks(s)]
            problems.check("batch vs serving report: %s expectations" % name, bc, sc)
        batch_entries = read_quarantine(batch_q, problems, "batch quarantine")
        strip = [sorted(json.dumps({k: v for k, v in e.items() if k not in ("file", "line")},
                                   sort_keys=True) for e in es) for es in (batch_entries, entries)]
        problems.check("batch vs serving quarantine (file, line aside)", strip[0], strip[1])
        # The vectors: byte for byte the batch file. Floats are written
        # round-trip exact, so equal text is equal bits.
        with open(batch_out, "rb") as f:
            batch_bytes = f.read()
        with open(serve["training.csv"], "rb") as f:
            serving_bytes = f.read()
        if batch_bytes != serving_bytes:
            problems.add("serving vectors differ from the batch training set")
            b_rows = parse_csv(batch_bytes.decode())
            s_rows = parse_csv(serving_bytes.decode())
            for r, (b, s) in enumerate(zip(b_rows, s_rows)):
                if [c.text for c in b] != [c.text for c in s]:
                    problems.add("row %d: batch %r, serving %r"
                                 % (r, [c.text for c in b], [c.text for c in s]))
        compare_training("batch training set", o, case_dir, batch_out, problems)
    problems.close("expectations serving parity (%s)" % variant)
    print("ok: %s: %d rows fed (%d failed), counters, violations, verdicts, %d quarantined rows "
          "and %d vectors equal" % (variant, sum(c["read"] for c in counts["sources"].values()),
                                    sum(c["failed"] for c in counts["sources"].values()),
                                    len(entries), len(read_csv(serve["training.csv"])) - 1))


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "contract":
        seed = 1
        if "--seed" in args:
            seed = int(args[args.index("--seed") + 1])
            args = args[:args.index("--seed")]
        contract(os.path.abspath(args[0]), os.path.abspath(args[1]), seed)
    elif mode == "fail":
        fail_mode(os.path.abspath(args[0]), os.path.abspath(args[1]))
    elif mode == "sla":
        sla_mode(os.path.abspath(args[0]), os.path.abspath(args[1]))
    elif mode == "serving":
        variant = "main"
        if "--variant" in args:
            variant = args[args.index("--variant") + 1]
            args = args[:args.index("--variant")]
        serving_mode(*[os.path.abspath(a) for a in args[:4]], variant)
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
