"""oracle.py - the documented semantics of source expectations, in Python.

An independent reading of docs/language.md ("Expectations", "Batch",
"Time and visibility", "CSV formats"): given the spec of case.py and the
case's files, it computes what a batch run must report, quarantine and
write, without using any of fdlc's code and without looking at what
case.py planted:

  * the reading order: each file in file order, files in --source order,
    except that a source named by another's exists_in is read first;
  * per row: every field parses (on_invalid: drop ends the row, flag makes
    the value null, impute replaces it); then each field's expectations in
    field order, each list in written order, statistical ones aside and
    exists_in deferred; then the exprs; then the exists_in and unique
    checks; a drop or fail ends the row's checks, clamp and impute change
    what later checks see;
  * ordered and max_gap against the latest time of the accepted rows read
    before (the data keeps every reading of "the rows before it" equal);
    exists_in SOURCE.FIELD against the values of accepted rows read before;
    unique against accepted rows read before, rows with a null part
    unchecked;
  * counters: read = accepted + dropped, clean = no violation at all;
  * statistics over every row read, values as read (an invalid value is
    neither null nor a value); SLAs (pass_rate = clean / read, min_rows on
    rows read, max_null_ratio as null_ratio);
  * the training set: accepted rows with their values after policies,
    events visible to a spine row at t when t - w <= time < t.
"""
import math
import os
import re
import sys
from fractions import Fraction

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from e2e_common import (INT64_MAX, INT64_MIN, MICROS, exact_float_sum,  # noqa: E402
                        parse_time, read_csv)

_INT = re.compile(r"^[+-]?[0-9]+$")
_FLOAT = re.compile(r"^[+-]?([0-9]+(\.[0-9]+)?|\.[0-9]+)([eE][+-]?[0-9]+)?$")
_DURATION = re.compile(r"^([0-9]+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}

STATISTICAL = ("mean", "stddev", "null_ratio", "distinct")


class Invalid(Exception):
    pass


def parse_cell(type_, cell):
    """A CSV cell (e2e_common.Cell) as a value of type_: None is null;
    raises Invalid when it does not parse (docs: "Values in cells")."""
    text = cell.text
    if type_ == "string":
        return None if (text == "" and not cell.quoted) else text
    if text == "":
        return None
    if type_ == "int64":
        if not _INT.match(text) or not INT64_MIN <= int(text) <= INT64_MAX:
            raise Invalid(text)
        return int(text)
    if type_ == "float64":
        if not _FLOAT.match(text):
            raise Invalid(text)
        value = float(text)
        if not math.isfinite(value):
            raise Invalid(text)
        return value
    if type_ == "bool":
        if text.lower() in ("true", "1"):
            return True
        if text.lower() in ("false", "0"):
            return False
        raise Invalid(text)
    if type_ == "timestamp":
        try:
            return parse_time(text)
        except (ValueError, OverflowError):
            raise Invalid(text)
    raise AssertionError(type_)


def parse_text(type_, text):
    """A literal of the definitions (bounds, impute values) as type_."""
    class _C:
        pass
    cell = _C()
    cell.text, cell.quoted = str(text), True
    return parse_cell(type_, cell)


def duration_micros(text):
    m = _DURATION.match(text)
    return int(m.group(1)) * _UNITS[m.group(2)] * MICROS


def reading_order(spec):
    """--source order, a source named by another's exists_in first."""
    referenced = {}
    for s in spec["sources"]:
        for f in s["fields"]:
            for e in f["expect"]:
                if e["kind"] == "exists_in" and "." in e["arg"]:
                    referenced.setdefault(s["name"], set()).add(e["arg"].split(".")[0])
    order, done = [], set()

    def visit(name):
        if name in done:
            return
        done.add(name)
        for ref in sorted(referenced.get(name, ()), key=spec["order"].index):
            if ref != name:
                visit(ref)
        order.append(name)

    for name in spec["order"]:
        visit(name)
    return order


class SourceState:
    def __init__(self, spec_source):
        self.spec = spec_source
        self.read = self.accepted = self.dropped = self.failed = self.clean = 0
        self.violations = {}                 # expectation id -> count
        self.ids = []                        # every check id, in check order
        for f in spec_source["fields"]:
            self.ids.append(f["name"] + ".invalid")
        for f in spec_source["fields"]:
            self.ids += [e["id"] for e in f["expect"]]
        self.ids += [e["id"] for e in spec_source["expect"]]
        for id_ in self.ids:
            self.violations[id_] = 0
        self.field_rows = {f["name"]: 0 for f in spec_source["fields"]}
        self.field_nulls = {f["name"]: 0 for f in spec_source["fields"]}
        self.field_invalid = {f["name"]: 0 for f in spec_source["fields"]}
        self.field_values = {f["name"]: [] for f in spec_source["fields"]}
        self.latest = None
        self.unique_seen = {e["id"]: set() for e in spec_source["expect"] if e["kind"] == "unique"}
        self.values_of = {}                  # field -> set of accepted values
        self.events = []                     # accepted rows: (time, values, line)


def _policy_name(policy):
    return policy if isinstance(policy, str) else "impute"


def _in_range(type_, value, bounds):
    low, high = (None if b is None else parse_text(type_, b) for b in bounds)
    if low is not None and value < low:
        return False, low
    if high is not None and value > high:
        return False, high
    return True, None


def _within(value, bounds):
    low, high = bounds
    return (low is None or value >= low) and (high is None or value <= high)


class Oracle:
    """Runs the batch semantics over a case directory."""

    def __init__(self, spec, case_dir, embedding_keys, stop_on_fail=True):
        self.spec = spec
        self.dir = case_dir
        self.embedding_keys = set(embedding_keys)
        self.now = parse_time(spec["now"])
        self.states = {s["name"]: SourceState(s) for s in spec["sources"]}
        self.quarantine = []
        self.found = []                      # every violation: (file, line, expectation id)
        self.failure = None                  # the first row that failed
        # Batch stops at the first fail; serving rejects the row and goes on.
        self.stop_on_fail = stop_on_fail
        self.order = reading_order(spec)

    # ---------------------------------------------------------- the rows

    def run(self):
        for name in self.order:
            if not self._read_source(name):
                return self
        return self

    def _read_source(self, name):
        state = self.states[name]
        spec_source = state.spec
        path = name + ".csv"
        records = read_csv(os.path.join(self.dir, path))
        header = [c.text for c in records[0]]
        column = {f["name"]: header.index(f["name"]) for f in spec_source["fields"]}
        for index, record in enumerate(records[1:]):
            line = index + 2              # one physical line per record in these files
            cells = {f["name"]: record[column[f["name"]]] for f in spec_source["fields"]}
            outcome = self._check_row(state, cells, path, line)
            state.read += 1
            kind, id_, field_name, value_text = outcome
            if kind == "fail":
                state.failed += 1
                if self.failure is None:
                    self.failure = {"file": path, "line": line, "source": name,
                                    "field": field_name, "expectation": id_, "value": value_text}
                if self.stop_on_fail:
                    return False
            if kind == "drop":
                state.dropped += 1
                self.quarantine.append({"file": path, "line": line, "source": name,
                                        "field": field_name, "expectation": id_,
                                        "policy": "drop", "value": value_text,
                                        "row": [cells[f["name"]].text for f in spec_source["fields"]]})
        return True

    def _check_row(self, state, cells, path, line):
        """("accept"|"drop"|"fail", expectation id, field, value text)."""
        s = state.spec
        broke = False
        values = {}
        def parse(f):
            value = parse_cell(f["type"], cells[f["name"]])
            if value is None and f["name"] == s["timestamp"]:
                raise Invalid("")           # an empty time is invalid, never null
            return value

        # Statistics over the values as read, every row.
        for f in s["fields"]:
            name = f["name"]
            state.field_rows[name] += 1
            try:
                value = parse(f)
            except Invalid:
                state.field_invalid[name] += 1
                continue
            if value is None:
                state.field_nulls[name] += 1
            else:
                state.field_values[name].append(value)

        def violate(id_):
            nonlocal broke
            broke = True
            state.violations[id_] += 1
            self.found.append((path, line, id_))

        def finish(kind, id_, field_name):
            if not broke:
                state.clean += 1
            text = cells[field_name].text if field_name else None
            return kind, id_, field_name, text

        # 1. Every field parses.
        for f in s["fields"]:
            name = f["name"]
            try:
                values[name] = parse(f)
            except Invalid:
                id_ = name + ".invalid"
                violate(id_)
                policy = f["on_invalid"] or "fail"
                if policy in ("fail", "drop"):
                    return finish(policy, id_, name)
                values[name] = None if policy == "flag" else parse_text(f["type"], policy[1])

        # 2. Field expectations, exists_in and statistical ones aside.
        deferred = []
        for f in s["fields"]:
            name, type_ = f["name"], f["type"]
            for e in f["expect"]:
                kind = e["kind"]
                if kind in STATISTICAL:
                    continue
                if kind == "exists_in":
                    deferred.append((f, e))
                    continue
                value = values[name]
                ok, replacement = self._field_check(state, f, e, value)
                if ok:
                    continue
                violate(e["id"])
                policy = e["policy"]
                if policy in ("fail", "drop"):
                    return finish(policy, e["id"], name)
                if policy == "clamp":
                    values[name] = replacement
                elif isinstance(policy, tuple):
                    values[name] = parse_text(type_, policy[1])

        # 3. Row expressions.
        for e in s["expect"]:
            if e["kind"] != "expr":
                continue
            if e["fn"](values) is True:
                continue
            violate(e["id"])
            if e["policy"] in ("fail", "drop"):
                return finish(e["policy"], e["id"], None)

        # 4. exists_in, then unique.
        for f, e in deferred:
            name = f["name"]
            value = values[name]
            if value is None:
                continue
            target = e["arg"]
            if "." in target:
                ref_source, ref_field = target.split(".")
                found = value in self.states[ref_source].values_of.get(ref_field, set())
            else:
                found = value in self.embedding_keys
            if found:
                continue
            violate(e["id"])
            policy = e["policy"]
            if policy in ("fail", "drop"):
                return finish(policy, e["id"], name)
            if isinstance(policy, tuple):
                values[name] = parse_text(f["type"], policy[1])
        keys = {}
        for e in s["expect"]:
            if e["kind"] != "unique":
                continue
            key = tuple(values[n] for n in e["arg"])
            if any(k is None for k in key):
                continue
            keys[e["id"]] = key
            if key in state.unique_seen[e["id"]]:
                violate(e["id"])
                if e["policy"] in ("fail", "drop"):
                    return finish(e["policy"], e["id"], e["arg"][0] if len(e["arg"]) == 1 else None)

        # Accepted: what later rows check against.
        for id_, key in keys.items():
            state.unique_seen[id_].add(key)
        for name, value in values.items():
            if value is not None:
                state.values_of.setdefault(name, set()).add(value)
        time = values[s["timestamp"]]
        state.latest = time if state.latest is None else max(state.latest, time)
        state.accepted += 1
        state.events.append((time, dict(values)))
        return finish("accept", None, None)

    def _field_check(self, state, f, e, value):
        """(passes, clamp replacement)."""
        kind, type_ = e["kind"], f["type"]
        if kind == "not_null":
            return value is not None, None
        if value is None:
            return True, None
        if kind == "range":
            return _in_range(type_, value, e["arg"])
        if kind == "in":
            return value in [parse_text(type_, v) for v in e["arg"]], None
        if kind == "matches":
            return re.search(e["arg"], value) is not None, None
        if kind == "max_future":
            limit = self.now + duration_micros(e["arg"])
            return value <= limit, limit
        if kind == "ordered":
            return state.latest is None or value >= state.latest, None
        if kind == "max_gap":
            return state.latest is None or value - state.latest <= duration_micros(e["arg"]), None
        raise AssertionError(kind)

    # -------------------------------------------------------- statistics

    def verdicts(self):
        """Statistical expectations and SLAs: dicts with source, id (or
        'sla.KIND[.FIELD]'), field, value, passed, fatal."""
        out = []
        for s in self.spec["sources"]:
            state = self.states[s["name"]]
            for f in s["fields"]:
                name = f["name"]
                values = state.field_values[name]
                rows = state.field_rows[name]
                for e in f["expect"]:
                    if e["kind"] not in STATISTICAL:
                        continue
                    value, passed = field_statistic(e["kind"], values, rows,
                                                    state.field_nulls[name], e["arg"])
                    out.append({"source": s["name"], "id": e["id"], "field": name,
                                "kind": e["kind"], "value": value, "passed": passed,
                                "fatal": not passed and e["policy"] == "fail"})
            sla = s.get("sla") or {}
            if "pass_rate" in sla:
                rate = state.clean / state.read if state.read else 1.0
                out.append({"source": s["name"], "id": "sla.pass_rate", "field": None,
                            "kind": "pass_rate", "value": rate,
                            "passed": rate >= sla["pass_rate"], "fatal": rate < sla["pass_rate"]})
            if "min_rows" in sla:
                out.append({"source": s["name"], "id": "sla.min_rows", "field": None,
                            "kind": "min_rows", "value": float(state.read),
                            "passed": state.read >= sla["min_rows"],
                            "fatal": state.read < sla["min_rows"]})
            for name, limit in (sla.get("max_null_ratio") or {}).items():
                rows = state.field_rows[name]
                ratio = state.field_nulls[name] / rows if rows else 0.0
                out.append({"source": s["name"], "id": "sla.max_null_ratio." + name,
                            "field": name, "kind": "max_null_ratio", "value": ratio,
                            "passed": ratio <= limit, "fatal": ratio > limit})
        return out

    # ----------------------------------------------------------- features

    def training_set(self, spine_records):
        """Rows of (spine cells, {feature: value}) in spine order."""
        header = [c.text for c in spine_records[0]]
        rows = []
        for record in spine_records[1:]:
            cells = {h: c for h, c in zip(header, record)}
            t = parse_time(cells["timestamp"].text)
            keys = {"user": cells["user_id"].text, "product": cells["product_id"].text}
            values = {}
            for name, entity, function, source, window, where in self.spec["features"]:
                src, _, fld = source.partition(".")
                join = "user_id" if entity == "user" else "product_id"
                w = None if window == "lifetime" else duration_micros(window)
                picked = []
                for time, ev in self.states[src].events:
                    if ev[join] is None or ev[join] != keys[entity]:
                        continue
                    if not time < t or (w is not None and time < t - w):
                        continue
                    if where and not _where(where, ev):
                        continue
                    picked.append(ev)
                values[name] = aggregate(function, [ev[fld] for ev in picked] if fld else picked,
                                         self.spec, src, fld)
            rows.append((record, values))
        return rows


def _where(text, ev):
    m = re.match(r'^(\w+) = "(\w+)"$', text)
    value = ev[m.group(1)]
    return value is not None and value == m.group(2)


def aggregate(function, items, spec, source, field):
    if function == "count":
        return len(items) if not field else sum(1 for v in items if v is not None)
    values = [v for v in items if v is not None]
    type_ = next(f["type"] for s in spec["sources"] if s["name"] == source
                 for f in s["fields"] if f["name"] == field)
    if function == "sum":
        return sum(values) if type_ == "int64" else exact_float_sum(values) if values else 0.0
    if function == "mean":
        if not values:
            return None
        return exact_float_sum(values) / len(values) if type_ == "float64" else \
            float(Fraction(sum(values), 1)) / len(values)
    if function == "max":
        return max(values) if values else None
    if function == "min":
        return min(values) if values else None
    raise AssertionError(function)


def field_statistic(kind, values, rows, nulls, arg):
    """(measured value, holds) of a statistical expectation."""
    if kind == "null_ratio":
        if rows == 0:
            return 0.0, True
        ratio = nulls / rows
        return ratio, ratio <= arg
    if kind == "distinct":
        n = len(set(values))
        return float(n), _within(n, arg)
    if not values:
        return None, True
    n = len(values)
    exact = [Fraction(v) for v in values]
    mean = sum(exact) / n
    if kind == "mean":
        return float(mean), _within(mean, [None if b is None else Fraction(b) for b in arg])
    if kind == "stddev":
        if n < 2:
            return 0.0, True
        variance = sum((x - mean) ** 2 for x in exact) / (n - 1)
        value = math.sqrt(variance)
        return value, _within(value, arg)
    raise AssertionError(kind)
