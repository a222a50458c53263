#!/usr/bin/env python3
"""random_oracle.py - randomized differential test of `fdlc batch`.

Usage: random_oracle.py FDLC WORK_DIR SEED [SEED...]

For each seed it generates, from a fixed random stream:

  * definitions (two files: entities and sources, then features and a
    feature set): a string-keyed and an int64-keyed entity, two sources with
    int64/float64/bool/string/timestamp fields (one with its time field left
    out of `fields`), and features using all 13 aggregations over fields of
    every applicable type (count, sum, mean, min, max, first, last,
    variance, stddev, count_distinct, first_k/last_k with k in 1..6,
    percentile at 0, 0.25, 0.5, 0.9, 1 and random p), count over a source
    and over fields, windows in s/m/h/d/w and lifetime, and random `where:`
    filters (comparisons, and/or/not, in/not in, is [not] null, arithmetic,
    functions), plus PINNED fields that reach each new function's edges;
    and, from a random stream of their own (so older seeds keep their
    features and data), top_k over every scalar type with k in 1..5,
    approx_percentile at the same p, and approx_count_distinct (lifetime
    only), over random windows and lifetime; and, from a third stream,
    percentile and approx_percentile with a list of 1 to 5 percentiles
    (a vector: each element checked as the one-percentile form is) and
    min_by/max_by over every scalar value type ordered by an int64,
    float64, bool or timestamp field (the time field too), whose ties (in
    by; in by and time) must go to the later event, then the larger value;
  * and, from a stream of their own again, hopped features (`hop:`) of
    every function that takes one (count, sum, mean, min, max, first, last,
    variance, stddev, approx_percentile with one p or a list,
    approx_count_distinct, min_by, max_by) over every applicable type, with
    events planted at the tile edges of spine rows: a read at t covers
    end - w <= time < end, end = t rounded down to a multiple of the hop
    (tiles aligned to the epoch), as docs/language.md says;
  * and, from a stream of their own again, skewness and kurtosis (checked
    against exact rationals within the documented bound; null below 3 / 4
    values, for zero variance, with |x| >= 2^200) and max_k / min_k (bit
    for bit), over windows, lifetime and hops;
  * event CSVs with null cells, events planted exactly at t - w and at t for
    spine times, ties in event time within and across sources, rows out of
    time order, RFC 3339 times with mixed offsets and fractions and epoch
    seconds, null and empty-string keys, int64 sums that overflow, floats
    whose naive sum differs from the exact one, floats at and just below
    2^511 (variance null; squares near the top of float64), -0.0 and +0.0,
    quoted cells, CRLF, BOM, blank lines, shuffled and extra columns;
  * a spine with keys never seen, null keys and rows out of time order;
  * a `default:` on about a third of the features (drawn from a stream of
    its own, so the other draws do not depend on it): a null result reads
    as the default, in every type's CSV spelling;

then runs the real fdlc (with --set, and without --set on a spine holding one
entity's key) and compares every cell with a brute-force answer: for each
spine row and feature, scan the key's events, keep those in the window whose
filter is true, aggregate. Semantics are those of docs/language.md.

variance and stddev are computed with exact rationals (Fraction): n*S2 -
S1^2 over n*(n-1), rounded once. The docs promise "within about 1 ulp", and
the runtime rounds twice (the exact numerator, then the division), so a cell
may be either the correctly rounded value or that documented two-rounding
value, never anything else, and never more than 1 ulp from the exact
answer; the run ends with how many cells were which. percentile follows the
documented formula in its float operation order; first_k/last_k are
compared element by element, bit for bit. top_k is compared as text: the
brute-force counts ordered by count, then by compare_payload's total order,
spelled as window.c spells it (numbers as the CSV spells floats, -0.0 and
+0.0 one value printed 0, strings and RFC 3339 times as JSON strings with
'"' and backslash escaped and control bytes as \\u00XX). The sketches are
compared within their bounds: approx_percentile within 1% of the value at
rank floor(p (n - 1)) (exact when that is 0; null when empty),
approx_count_distinct within max(2, 7%) of the exact distinct count (0 when
empty); the run ends with the largest errors seen.

On a mismatch it prints seed, row, feature, expected and got, the feature's
definition, and keeps the work directory.
"""
import math
import os
import random
import shutil
import struct
import sys
from datetime import timedelta
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import (EPOCH, INT64_MAX, INT64_MIN, MICROS, Mismatches,  # noqa: E402
                        csv_quote, describe_run, float_cell_check, format_float, format_time,
                        fresh_dir, parse_time, read_csv, run_fdlc, same_float)
from e2e_common import expected_cell as common_expected_cell  # noqa: E402

# ------------------------------------------------------------------ schema

ENTITIES = {
    "user": {"key": "user_id", "type": "string"},
    "shop": {"key": "shop_id", "type": "int64"},
}

# Field order as the definitions declare it; payments' time field paid_at
# is not listed, so the compiler adds it.
SOURCES = {
    "visits": {"time": "ts", "fields": [
        ("ts", "timestamp"), ("user_id", "string"), ("shop_id", "int64"), ("qty", "int64"),
        ("price", "float64"), ("promo", "bool"), ("tag", "string"), ("seen_at", "timestamp"),
        ("delta", "float64")]},
    "payments": {"time": "paid_at", "fields": [
        ("user_id", "string"), ("shop_id", "int64"), ("amount", "float64"), ("big", "int64"),
        ("memo", "string"), ("ok", "bool"), ("due", "timestamp"), ("huge", "float64")]},
}


def field_types(source):
    """Every field of a source (its time field included) -> type."""
    types = {SOURCES[source]["time"]: "timestamp"}
    types.update(dict(SOURCES[source]["fields"]))
    return types


WINDOW_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
WINDOW_CHOICES = ["40s", "90s", "7200s", "15m", "90m", "1440m", "2h", "5h", "1d", "3d",
                  "1w", "2w"]

USERS = ["u1", "u2", "u3", "", "\u00fc5", "u,6"]
SHOPS = [1, 2, -3, INT64_MAX, 40]
STRINGS = ["a", "b", "ab", "abc", "", "B", "a,b", 'say "hi"', "line\nbreak", "\u00fc",
           "zz", "a\\b", "it's", " a "]
FLOATS = [0.1, 0.2, 0.3, 1e16, -1e16, 1.0, -0.0, 0.0, 2.5, -7.75, 1e-300, 123456789.123,
          0.7, 3.0, -1.0]
# Beyond 2^511 (variance null) and just below it (squares near the top of
# float64: the variance numerator n*S2 - S1^2 itself overflows).
HUGE_FLOATS = [1.5e308, -1.5e308, 1e308, 0.5, -0.0, 2.0, 2.0 ** 511, -2.0 ** 510,
               float.fromhex("0x1.fffffffffffffp+510"), -float.fromhex("0x1.fffffffffffffp+510")]
SIGNED_ZEROS = [-0.0, 0.0, 0.5]      # min/max must order -0.0 before +0.0
BIG_INTS = [1 << 62, (1 << 62) + 7, -(1 << 62), INT64_MAX, INT64_MIN, 3 << 61]

T0 = parse_time("2024-05-01T00:00:00Z")
# Timestamp field values far from the events: before 1970 (negative), the
# epoch itself, the last microsecond of year 9999.
FAR_TIMES = [-1, -MICROS, -2208988800 * MICROS + 123456, 0,
             parse_time("9999-12-31T23:59:59.999999Z")]


def window_micros(window):
    if window == "lifetime":
        return None
    return int(window[:-1]) * WINDOW_UNITS[window[-1]] * MICROS


# --------------------------------------------------------------- rendering

def render_time(rng, micros):
    """A timestamp cell in one of the accepted spellings."""
    if micros % MICROS == 0 and rng.random() < 0.25:
        seconds = micros // MICROS
        return ("+" if seconds >= 0 and rng.random() < 0.2 else "") + str(seconds)
    offset_minutes = rng.choice([0, 0, 0, 120, -330, 840, -720, 60])
    try:
        local = EPOCH + timedelta(microseconds=micros + offset_minutes * 60 * MICROS)
    except OverflowError:       # past year 9999 in local time: write UTC
        offset_minutes = 0
        local = EPOCH + timedelta(microseconds=micros)
    text = local.strftime("%Y-%m-%d") + rng.choice("TTt ") + local.strftime("%H:%M:%S")
    if local.microsecond:
        fraction = "%06d" % local.microsecond
        form = rng.random()
        if form < 0.3:
            fraction = fraction.rstrip("0")
        elif form < 0.5:
            fraction += "987"   # digits past microseconds are truncated
        text += "." + fraction
    elif rng.random() < 0.15:
        text += rng.choice([".0", ".000", ".000000000"])
    if offset_minutes == 0:
        text += rng.choice(["Z", "Z", "z", "+00:00"])
    else:
        sign = "+" if offset_minutes > 0 else "-"
        text += "%s%02d:%02d" % (sign, abs(offset_minutes) // 60, abs(offset_minutes) % 60)
    return text


def render_value(rng, type_, value):
    """(text, quoted) of a CSV cell holding value (None = null)."""
    if value is None:
        return "", False
    if type_ == "string":
        return value, value == "" or rng.random() < 0.1
    if type_ == "int64":
        if value >= 0 and rng.random() < 0.15:
            text = rng.choice(["+", "0", "00"]) + str(value)
        else:
            text = str(value)
    elif type_ == "float64":
        text = repr(value)
        if text.endswith(".0") and rng.random() < 0.3:
            text = text[:-2]                       # "3"
        elif text.startswith("0.") and rng.random() < 0.3:
            text = text[1:]                        # ".7"
        elif text.startswith("-0.") and rng.random() < 0.3:
            text = "-" + text[2:]                  # "-.7"
        if not text.startswith("-") and rng.random() < 0.1:
            text = "+" + text
    elif type_ == "bool":
        text = rng.choice(["true", "TRUE", "True", "1"] if value else ["false", "FALSE", "fAlse", "0"])
    elif type_ == "timestamp":
        text = render_time(rng, value)
    else:
        raise AssertionError(type_)
    return text, rng.random() < 0.08


def write_csv(rng, path, header, rows):
    """rows: lists of (text, quoted). Random CRLF, BOM and blank lines."""
    newline = rng.choice(["\n", "\r\n"])
    parts = ["\ufeff"] if rng.random() < 0.3 else []
    parts.append(",".join(csv_quote(h) for h in header) + newline)
    for row in rows:
        if rng.random() < 0.03:
            parts.append(newline)
        parts.append(",".join(csv_quote(text, quoted) for text, quoted in row) + newline)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(parts))


# ------------------------------------------------------------- expressions

def int64_or_null(x):
    return x if INT64_MIN <= x <= INT64_MAX else None


def float_or_null(x):
    return x if math.isfinite(x) else None


def arith(op, a, ta, b, tb):
    """Binary arithmetic with the documented null rules."""
    if a is None or b is None:
        return None
    if ta == "int64" and tb == "int64":
        if op == "+":
            return int64_or_null(a + b)
        if op == "-":
            return int64_or_null(a - b)
        if op == "*":
            return int64_or_null(a * b)
        if b == 0:
            return None
        quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)   # toward zero
        if op == "/":
            return int64_or_null(quotient)
        return a - b * quotient     # sign of the dividend
    x, y = float(a), float(b)
    try:
        if op == "+":
            return float_or_null(x + y)
        if op == "-":
            return float_or_null(x - y)
        if op == "*":
            return float_or_null(x * y)
        if y == 0.0:
            return None
        if op == "/":
            return float_or_null(x / y)
        return float_or_null(math.fmod(x, y))
    except OverflowError:
        return None


def compare(op, a, ta, b, tb):
    if a is None or b is None:
        return None
    if ta == "string":
        a, b = a.encode("utf-8"), b.encode("utf-8")
    # Python compares int with float exactly, as the runtime does.
    return {"=": a == b, "!=": a != b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def logic_and(a, b):
    if a is False or b is False:
        return False
    if a is True and b is True:
        return True
    return None


def logic_or(a, b):
    if a is True or b is True:
        return True
    if a is False and b is False:
        return False
    return None


def logic_not(a):
    return None if a is None else not a


def string_literal(rng, s):
    out = []
    for c in s:
        if c == "'":
            out.append(rng.choice(["''", "\\'"]))
        elif c == "\\":
            out.append("\\\\")
        elif c == "\n":
            out.append("\\n")
        else:
            out.append(c)
    return "'" + "".join(out) + "'"


class ExprGen:
    """Random well-typed where-expressions with an evaluator for each.

    Each generator returns (text, type, evaluate) with evaluate(event) the
    value under the documented SQL null rules. Operands are parenthesized,
    so the text's meaning never depends on precedence.
    """

    def __init__(self, rng, source):
        self.rng = rng
        self.source = source
        self.types = field_types(source)

    def kw(self, word):
        r = self.rng.random()
        return word.upper() if r < 0.15 else word.capitalize() if r < 0.25 else word

    def fields_of(self, *types):
        return [f for f, t in self.types.items() if t in types]

    def field(self, *types):
        name = self.rng.choice(self.fields_of(*types))
        text = self.source + "." + name if self.rng.random() < 0.15 else name
        return text, self.types[name], lambda ev: ev[name]

    def number(self, depth):
        rng = self.rng
        r = rng.random()
        if depth <= 0 or r < 0.35:
            return self.field("int64", "float64")
        if r < 0.5:
            value = rng.choice([0, 1, 2, 3, 5, 10, 100, 4611686018427387904, INT64_MAX])
            return str(value), "int64", lambda ev: value
        if r < 0.6:
            text = rng.choice(["0.5", ".5", "1e3", "2.5E-3", "1.", "0.1", "1e16", "3.25",
                               "1e300", "0.0"])
            value = float(text)
            return text, "float64", lambda ev: value
        if r < 0.8:
            op = rng.choice("+-*/%")
            at, ta, fa = self.number(depth - 1)
            bt, tb, fb = self.number(depth - 1)
            type_ = "int64" if ta == tb == "int64" else "float64"
            return ("(%s %s %s)" % (at, op, bt), type_,
                    lambda ev: arith(op, fa(ev), ta, fb(ev), tb))
        if r < 0.84:
            at, ta, fa = self.number(depth - 1)
            if rng.random() < 0.2:
                return "(+%s)" % at, ta, fa

            def negate(ev):
                a = fa(ev)
                if a is None:
                    return None
                return int64_or_null(-a) if ta == "int64" else -a
            return "(-%s)" % at, ta, negate
        if r < 0.88:
            return self.choice_call(depth, self.number)
        if r < 0.91:
            name = rng.choice(["hour_of_day", "day_of_week"])
            at, _, fa = self.field("timestamp")
            day = 86400 * MICROS

            def calendar(ev):
                t = fa(ev)
                if t is None:
                    return None
                if name == "hour_of_day":
                    return t % day // (3600 * MICROS)
                return (t // day + 3) % 7 + 1      # 1970-01-01 was a Thursday (4)
            return "%s(%s)" % (name, at), "int64", calendar
        if r < 0.94:
            at, ta, fa = self.number(depth - 1)

            def absolute(ev):
                a = fa(ev)
                if a is None:
                    return None
                return int64_or_null(abs(a)) if ta == "int64" else abs(a)
            return "abs(%s)" % at, ta, absolute
        st, _, fs = self.string(depth - 1)
        return ("length(%s)" % st, "int64",
                lambda ev: None if fs(ev) is None else len(fs(ev)))   # code points

    def string(self, depth):
        rng = self.rng
        r = rng.random()
        if depth <= 0 or r < 0.45:
            if rng.random() < 0.55:
                return self.field("string")
            value = rng.choice(STRINGS)
            return string_literal(rng, value), "string", lambda ev: value
        if r < 0.65:
            name = rng.choice(["lower", "upper"])
            at, _, fa = self.string(depth - 1)
            ascii_letters = ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
            table = str.maketrans(*(ascii_letters if name == "lower" else ascii_letters[::-1]))

            def change_case(ev):
                a = fa(ev)
                return None if a is None else a.translate(table)   # ASCII letters only
            return "%s(%s)" % (name, at), "string", change_case
        if r < 0.8:
            parts = [self.string(depth - 1) for _ in range(rng.randint(1, 3))]

            def concat(ev):
                values = [f(ev) for _, _, f in parts]
                return None if None in values else "".join(values)
            return "concat(%s)" % ", ".join(t for t, _, _ in parts), "string", concat
        return self.choice_call(depth, self.string)

    def choice_call(self, depth, operand):
        """coalesce(...) or if(cond, a, b) over operands of one kind; numbers
        share a type: float64 if any is float64, the int64 ones converted."""
        rng = self.rng
        if rng.random() < 0.5:
            args = [operand(depth - 1) for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.2:
                args.insert(rng.randrange(len(args) + 1), ("null", args[0][1], lambda ev: None))
            condition = None
        else:
            condition = self.boolean(depth - 1)
            args = [operand(depth - 1), operand(depth - 1)]
        types = {t for _, t, _ in args}
        type_ = "float64" if "float64" in types else types.pop()

        def unified(value):
            return float(value) if value is not None and type_ == "float64" else value

        if condition is None:
            def coalesce(ev):
                for _, _, f in args:
                    value = f(ev)
                    if value is not None:
                        return unified(value)
                return None
            return "coalesce(%s)" % ", ".join(t for t, _, _ in args), type_, coalesce
        ct, _, fc = condition
        (at, _, fa), (bt, _, fb) = args
        return ("if(%s, %s, %s)" % (ct, at, bt), type_,
                lambda ev: unified(fa(ev) if fc(ev) is True else fb(ev)))

    def comparable_pair(self, depth):
        """Two operands of a comparison: (at, ta, fa, bt, tb, fb)."""
        r = self.rng.random()
        if r < 0.5:
            return self.number(depth) + self.number(depth)
        if r < 0.75:
            return self.string(depth) + self.string(depth)
        if r < 0.87:
            at, ta, fa = self.field("bool")
            value = self.rng.random() < 0.5
            return (at, ta, fa, self.kw("true" if value else "false"), "bool", lambda ev: value)
        return self.field("timestamp") + self.field("timestamp")

    def boolean(self, depth):
        rng = self.rng
        r = rng.random()
        if depth > 0 and r < 0.3:
            op = rng.choice(["and", "or"])
            at, _, fa = self.boolean(depth - 1)
            bt, _, fb = self.boolean(depth - 1)
            combine = logic_and if op == "and" else logic_or
            return ("(%s %s %s)" % (at, self.kw(op), bt), "bool",
                    lambda ev: combine(fa(ev), fb(ev)))
        if depth > 0 and r < 0.38:
            at, _, fa = self.boolean(depth - 1)
            return "(%s %s)" % (self.kw("not"), at), "bool", lambda ev: logic_not(fa(ev))
        r = rng.random()
        if r < 0.4:
            at, ta, fa, bt, tb, fb = self.comparable_pair(depth - 1)
            op = rng.choice(["=", "!=", "<", "<=", ">", ">="])
            spelled = {"=": rng.choice(["=", "=="]), "!=": rng.choice(["!=", "<>"])}.get(op, op)
            return ("(%s %s %s)" % (at, spelled, bt), "bool",
                    lambda ev: compare(op, fa(ev), ta, fb(ev), tb))
        if r < 0.55:
            return self.membership(depth)
        if r < 0.7:
            if rng.random() < 0.5:
                at, _, fa = self.field(*sorted(set(self.types.values())))
            else:
                at, _, fa = self.number(depth - 1)
            negated = rng.random() < 0.5
            text = "(%s %s %s)" % (at, self.kw("is"),
                                   (self.kw("not") + " " if negated else "") + self.kw("null"))
            return text, "bool", lambda ev: (fa(ev) is not None) == negated
        if r < 0.8:
            at, ta, fa = self.field("bool")
            return at, ta, fa
        if r < 0.92:
            name = rng.choice(["starts_with", "ends_with", "contains"])
            at, _, fa = self.string(depth - 1)
            bt, _, fb = self.string(depth - 1)
            test = {"starts_with": lambda a, b: a.startswith(b),
                    "ends_with": lambda a, b: a.endswith(b),
                    "contains": lambda a, b: b in a}[name]

            def call(ev):
                a, b = fa(ev), fb(ev)
                return None if a is None or b is None else test(a, b)
            return "%s(%s, %s)" % (name, at, bt), "bool", call
        value = rng.choice([True, False, None])
        text = self.kw("null" if value is None else "true" if value else "false")
        return text, "bool", lambda ev: value

    def membership(self, depth):
        rng = self.rng
        kind = rng.random()
        if kind < 0.5:
            at, ta, fa = self.number(depth - 1)
            items = [self.number(0) for _ in range(rng.randint(1, 4))]
        else:
            at, ta, fa = self.string(depth - 1)
            items = [self.string(0) for _ in range(rng.randint(1, 4))]
        if rng.random() < 0.15:
            items.append(("null", ta, lambda ev: None))
        negated = rng.random() < 0.4

        def member(ev):
            a = fa(ev)
            result = False
            for _, tb, fb in items:
                result = logic_or(result, compare("=", a, ta, fb(ev), tb))
            return logic_not(result) if negated else result
        text = "(%s %s%s (%s))" % (at, self.kw("not") + " " if negated else "", self.kw("in"),
                                   ", ".join(t for t, _, _ in items))
        return text, "bool", member


# ---------------------------------------------------------------- features

AGGREGATION_TYPES = {
    "count": ["int64", "float64", "bool", "string", "timestamp"],
    "sum": ["int64", "float64"],
    "mean": ["int64", "float64"],
    "min": ["int64", "float64", "bool", "string", "timestamp"],
    "max": ["int64", "float64", "bool", "string", "timestamp"],
    "first": ["int64", "float64", "bool", "string", "timestamp"],
    "last": ["int64", "float64", "bool", "string", "timestamp"],
    "variance": ["int64", "float64"],
    "stddev": ["int64", "float64"],
    "count_distinct": ["int64", "float64", "bool", "string", "timestamp"],
    "first_k": ["int64", "float64"],
    "last_k": ["int64", "float64"],
    "percentile": ["int64", "float64"],
}

# percentile: the fixed points of interest (the ends, the median, ranks that
# fall between values), as YAML spells them; make_features adds random ones.
PERCENTILE_TEXTS = ["0", "0.0", "0.25", "0.5", ".5", "0.9", "1", "1.0"]

# The sketch-backed and JSON aggregations, drawn from a stream of their own
# (see add_sketch_features) so the draws above, and so every older seed's
# features and data, stay what they were.
SKETCH_AGGREGATION_TYPES = {
    "top_k": ["int64", "float64", "bool", "string", "timestamp"],
    "approx_percentile": ["int64", "float64"],
    "approx_count_distinct": ["int64", "float64", "bool", "string", "timestamp"],
}
# Fields at an edge: -0.0 and +0.0 one value of top_k; approx_percentile
# over values near the top of float64 and over int64 beyond 2^53.
SKETCH_PINNED = [
    ("top_k", "float64", "visits", "delta"),
    ("approx_percentile", "float64", "payments", "huge"),
    ("approx_percentile", "int64", "payments", "big"),
    ("approx_count_distinct", "float64", "visits", "delta"),
]


def result_type(function, field_type):
    if function in ("percentile_list", "approx_percentile_list"):
        return "float64_vector"
    if function in ("count", "count_distinct", "approx_count_distinct"):
        return "int64"
    if function == "top_k":
        return "string"
    if function in ("mean", "variance", "stddev", "percentile", "approx_percentile",
                    "skewness", "kurtosis"):
        return "float64"
    if function in ("first_k", "last_k", "max_k", "min_k"):
        return "float64_vector"
    return field_type


class Feature:
    def __init__(self, name, entity, source, function, field, window, where):
        self.name, self.entity, self.source = name, entity, source
        self.function, self.field, self.window = function, field, window
        self.where = where              # (text, evaluate) or None
        self.field_type = field_types(source)[field] if field else None
        self.type = result_type(function, self.field_type)
        self.span = window_micros(window)
        self.default = None             # (value, YAML text) or None
        self.k = None                   # first_k / last_k: 1..6; top_k: 1..5
        self.percentile = None          # percentile: (p, YAML text)
        self.percentiles = None         # percentile: [P, ...]: [(p, YAML text), ...]
        self.by = None                  # min_by / max_by: the ordering field
        if function.endswith("_list"):  # the list forms: a vector of percentiles
            self.function = function[:-len("_list")]
        self.hop = None                 # hopped: (micros, YAML text)

    def bounds(self, t):
        """The window a read at t covers: start <= time < end (start None:
        lifetime). Hopped: end is t rounded down to a multiple of the hop
        (Python's // floors, as the tiles do before the epoch)."""
        if self.hop is not None:
            end = t // self.hop[0] * self.hop[0]
            return end - self.span, end
        return (None if self.span is None else t - self.span), t

    def yaml(self, rng):
        lines = ["  - name: %s" % self.name, "    entity: %s" % self.entity,
                 "    aggregation:", "      function: %s" % self.function,
                 "      source: %s" % (self.source + ("." + self.field if self.field else "")),
                 "      window: %s" % self.window]
        if self.hop is not None:
            lines.append("      hop: %s" % self.hop[1])
        if self.k is not None:
            lines.append("      k: %d" % self.k)
        if self.percentile is not None:
            lines.append("      percentile: %s" % self.percentile[1])
        if self.percentiles is not None:
            lines.append("      percentile: [%s]" % ", ".join(t for _, t in self.percentiles))
        if self.by is not None:
            lines.append("      by: %s" % self.by)
        if self.where:
            lines.append("      where: '%s'" % self.where[0].replace("'", "''"))
        if rng.random() < 0.3:
            lines.append("    value_type: %s" % self.type)
        if self.default is not None:
            lines.append("    default: %s" % self.default[1])
        return "\n".join(lines) + "\n"


# Defaults per result type: (value as compute() holds it, YAML text).
DEFAULTS = {
    "int64": [(-1, "-1"), (0, "0"), (INT64_MAX, str(INT64_MAX))],
    "float64": [(0.5, "0.5"), (-2.25, "-2.25"), (1e-300, "1e-300"), (0.0, "0")],
    "bool": [(True, "true"), (False, "false")],
    "string": [("none", "none"), ("a,b", "'a,b'"), ('say "hi"', "'say \"hi\"'")],
    "timestamp": [(parse_time("2024-01-01T00:00:00Z"), '"2024-01-01T00:00:00Z"'),
                  (parse_time("2023-12-31T23:59:59.5Z"), '"2023-12-31T23:59:59.5Z"')],
}


def give_defaults(seed, features):
    """A default on about a third of the features, from a stream of its own
    (none on vectors: the language has no vector defaults)."""
    rng = random.Random(seed * 7919 + 17)
    for f in features:
        if rng.random() < 0.35 and f.type in DEFAULTS:
            f.default = rng.choice(DEFAULTS[f.type])


# Fields whose values reach an edge of a function, in every seed:
# (function, type, source, field).
PINNED = [
    ("percentile", "float64", "payments", "huge"),      # b - a beyond float64
    ("variance", "float64", "payments", "huge"),        # |x| >= 2^511: null
    ("variance", "float64", "visits", "price"),         # 1e16 and 0.1: cancellation
    ("stddev", "float64", "visits", "price"),
    ("variance", "int64", "payments", "big"),           # beyond 2^53: split doubles
    ("count_distinct", "float64", "visits", "delta"),   # -0.0 and +0.0
    ("percentile", "float64", "visits", "delta"),       # -0.0 sorts before +0.0
    ("last_k", "int64", "payments", "big"),             # int64 -> float64 rounding
]


def make_features(rng):
    # One window of each unit, and lifetime.
    windows = [rng.choice([w for w in WINDOW_CHOICES if w.endswith(unit)])
               for unit in WINDOW_UNITS] + ["lifetime"]
    combos = [(f, t) for f, types in AGGREGATION_TYPES.items() for t in types]
    combos.append(("count", None))
    combos += [(rng.choice(list(AGGREGATION_TYPES)), None) for _ in range(24)]
    combos += PINNED
    features = []
    for n, combo in enumerate(combos):
        function, type_ = combo[:2]
        if type_ is None and function != "count":
            type_ = rng.choice(AGGREGATION_TYPES[function])
        entity = rng.choice(list(ENTITIES))
        source = combo[2] if len(combo) > 2 else rng.choice(list(SOURCES))
        field = None
        if len(combo) > 2:
            field = combo[3]
        elif type_ is not None:
            field = rng.choice([f for f, t in field_types(source).items() if t == type_])
        where = None
        while rng.random() < 0.55:
            text, _, evaluate = ExprGen(rng, source).boolean(3)
            # A bare `null` has no type, so fdlc rejects it as a filter.
            if text.lower() != "null":
                where = (text, evaluate)
                break
        window = windows[n % len(windows)] if n < len(windows) else rng.choice(windows)
        feature = Feature("f%02d_%s_%s" % (n, function, field or source), entity, source,
                          function, field, window, where)
        if function in ("first_k", "last_k"):
            feature.k = rng.randint(1, 6)
        if function == "percentile":
            if rng.random() < 0.75:
                text = rng.choice(PERCENTILE_TEXTS)
            else:
                text = repr(rng.random())
            feature.percentile = (float(text), text)
        features.append(feature)
    return windows, features


def add_sketch_features(seed, windows, features):
    """top_k, approx_percentile and approx_count_distinct features, from a
    stream of their own: every type, k in 1..5, random windows and
    lifetime (approx_count_distinct: lifetime only, the one window it
    accepts)."""
    rng = random.Random(seed * 104729 + 3)
    combos = [(f, t) for f, types in SKETCH_AGGREGATION_TYPES.items() for t in types]
    combos += [(f, t) for f, types in SKETCH_AGGREGATION_TYPES.items() for t in types]
    combos += SKETCH_PINNED
    first = len(features)
    for n, combo in enumerate(combos, start=first):
        function, type_ = combo[:2]
        source = combo[2] if len(combo) > 2 else rng.choice(list(SOURCES))
        field = combo[3] if len(combo) > 2 else \
            rng.choice([f for f, t in field_types(source).items() if t == type_])
        entity = rng.choice(list(ENTITIES))
        where = None
        while rng.random() < 0.4:
            text, _, evaluate = ExprGen(rng, source).boolean(3)
            if text.lower() != "null":
                where = (text, evaluate)
                break
        if function == "approx_count_distinct":
            window = "lifetime"
        else:
            # Every window (lifetime among them) for the first of each
            # function and type, then random ones.
            window = windows[(n - first) % len(windows)] if rng.random() < 0.5 \
                else rng.choice(windows)
        feature = Feature("f%02d_%s_%s" % (n, function, field), entity, source,
                          function, field, window, where)
        if function == "top_k":
            feature.k = rng.randint(1, 5)
        if function == "approx_percentile":
            text = rng.choice(PERCENTILE_TEXTS) if rng.random() < 0.75 else repr(rng.random())
            feature.percentile = (float(text), text)
        features.append(feature)


# min_by/max_by: value types and the types of the field that orders.
BY_VALUE_TYPES = ["int64", "float64", "bool", "string", "timestamp"]
BY_TYPES = ["int64", "float64", "bool", "timestamp"]


def add_list_and_by_features(seed, windows, features):
    """percentile and approx_percentile with a list of percentiles (1 to 5
    of them, duplicates and the ends among them), and min_by/max_by over
    every value type ordered by every by type (the time field too), from a
    stream of their own so that every older seed keeps its features."""
    rng = random.Random(seed * 15485863 + 11)
    combos = [(f, t) for f in ("percentile_list", "approx_percentile_list")
              for t in ("int64", "float64")]
    combos += [(f, t) for f in ("min_by", "max_by") for t in BY_VALUE_TYPES]
    combos += [(rng.choice(["min_by", "max_by"]), rng.choice(BY_VALUE_TYPES)) for _ in range(6)]
    combos += [("percentile_list", "float64", "visits", "delta"),     # -0.0 before +0.0
               ("max_by", "float64", "visits", "delta")]              # ties decided by value
    first = len(features)
    for n, combo in enumerate(combos, start=first):
        function, type_ = combo[:2]
        source = combo[2] if len(combo) > 2 else rng.choice(list(SOURCES))
        field = combo[3] if len(combo) > 2 else \
            rng.choice([f for f, t in field_types(source).items() if t == type_])
        entity = rng.choice(list(ENTITIES))
        where = None
        while rng.random() < 0.3:
            text, _, evaluate = ExprGen(rng, source).boolean(3)
            if text.lower() != "null":
                where = (text, evaluate)
                break
        window = windows[(n - first) % len(windows)] if rng.random() < 0.5 else rng.choice(windows)
        feature = Feature("f%02d_%s_%s" % (n, function, field), entity, source,
                          function, field, window, where)
        if function.endswith("_list"):
            texts = [rng.choice(PERCENTILE_TEXTS) if rng.random() < 0.6 else repr(rng.random())
                     for _ in range(rng.randint(1, 5))]
            feature.percentiles = [(float(t), t) for t in texts]
        else:
            # bool orders (few distinct values: many ties), and the time field
            feature.by = rng.choice([f for f, t in field_types(source).items()
                                     if t in BY_TYPES and f != field])
        features.append(feature)


def extreme_by(feature, events):
    """min_by/max_by as docs/language.md defines them: among the events with
    both values, the one whose by-value is smallest (min_by) or largest
    (max_by); ties go to the later event, then to the larger value."""
    pairs = [ev for ev in events if ev[feature.field] is not None and ev[feature.by] is not None]
    if not pairs:
        return None
    by_key = total_order_key(field_types(feature.source)[feature.by])
    value_key = total_order_key(feature.field_type)
    if feature.function == "max_by":
        best = max(pairs, key=lambda ev: (by_key(ev[feature.by]), ev["_time"],
                                          value_key(ev[feature.field])))
    else:
        # smallest by-value; among equal ones the latest event, then the largest value
        best = max(pairs, key=lambda ev: (Reversed(by_key(ev[feature.by])), ev["_time"],
                                          value_key(ev[feature.field])))
    return best[feature.field]


class Reversed:
    """A sort key ordered the other way round."""

    def __init__(self, key):
        self.key = key

    def __lt__(self, other):
        return other.key < self.key

    def __eq__(self, other):
        return self.key == other.key


class ApproximateVector:
    """An expected approx_percentile list cell: one Approximate per p."""

    def __init__(self, items):
        self.items = items
        self.exact = [a.exact for a in items]

    def check(self, text):
        if not (text.startswith("[") and text.endswith("]")):
            return "not a vector"
        parts = text[1:-1].split(",")
        if len(parts) != len(self.items):
            return "%d values, expected %d" % (len(parts), len(self.items))
        for part, item in zip(parts, self.items):
            problem = item.check(part)
            if problem:
                return problem
        return None


# Hopped windows: (window, hop), the hop dividing the window, from one tile
# to many; every function that takes a hop, over every type it takes.
HOP_CHOICES = [("1d", "1h"), ("2h", "10m"), ("3d", "1d"), ("90m", "90s"), ("1w", "1d"),
               ("15m", "1m"), ("40s", "20s"), ("5h", "5h"), ("2w", "12h"), ("1440m", "6h")]
HOP_AGGREGATION_TYPES = {
    "count": [None, "int64", "string"],
    "sum": ["int64", "float64"],
    "mean": ["int64", "float64"],
    "min": ["int64", "float64", "bool", "string", "timestamp"],
    "max": ["int64", "float64", "bool", "string", "timestamp"],
    "first": ["int64", "float64", "bool", "string", "timestamp"],
    "last": ["int64", "float64", "bool", "string", "timestamp"],
    "variance": ["int64", "float64"],
    "stddev": ["int64", "float64"],
    "approx_percentile": ["int64", "float64"],
    "approx_count_distinct": ["int64", "float64", "bool", "string", "timestamp"],
}
HOP_PINNED = [
    ("sum", "float64", "visits", "price"),          # exact float sums merged across tiles
    ("sum", "int64", "payments", "big"),            # int64 overflow across tiles
    ("variance", "float64", "payments", "huge"),    # |x| >= 2^511 in one tile: null
    ("min", "float64", "visits", "delta"),          # -0.0 before +0.0 across tiles
    ("max", "float64", "visits", "delta"),
]
# Drawn after the ones above (so those keep their draws): percentile lists
# and min_by/max_by over tiles, where a tile keeps its best (by, time,
# value) and ties across tiles must still go to the later event, then the
# larger value.
HOP_BY_AND_LISTS = [(f, t) for f in ("min_by", "max_by") for t in BY_VALUE_TYPES] + [
    ("approx_percentile_list", "int64"), ("approx_percentile_list", "float64"),
    ("max_by", "float64", "visits", "delta"),       # ties in by decided by value, -0.0 < +0.0
]


def add_hop_features(seed, features):
    """Hopped features, from a stream of their own (so every older seed's
    features keep their draws), with defaults drawn from it too. Returns them."""
    rng = random.Random(seed * 1299709 + 11)
    combos = [(f, t) for f, types in HOP_AGGREGATION_TYPES.items() for t in types]
    combos += HOP_PINNED
    combos += HOP_BY_AND_LISTS
    hopped = []
    for n, combo in enumerate(combos, start=len(features)):
        function, type_ = combo[:2]
        source = combo[2] if len(combo) > 2 else rng.choice(list(SOURCES))
        field = combo[3] if len(combo) > 2 else None
        if field is None and type_ is not None:
            field = rng.choice([f for f, t in field_types(source).items() if t == type_])
        entity = rng.choice(list(ENTITIES))
        where = None
        while rng.random() < 0.4:
            text, _, evaluate = ExprGen(rng, source).boolean(3)
            if text.lower() != "null":
                where = (text, evaluate)
                break
        window, hop = HOP_CHOICES[(n - len(features)) % len(HOP_CHOICES)] \
            if rng.random() < 0.6 else rng.choice(HOP_CHOICES)
        feature = Feature("f%02d_hop_%s_%s" % (n, function, field or source), entity, source,
                          function, field, window, where)
        feature.hop = (window_micros(hop), hop)
        if function == "approx_percentile":
            text = rng.choice(PERCENTILE_TEXTS) if rng.random() < 0.75 else repr(rng.random())
            feature.percentile = (float(text), text)
        elif function == "approx_percentile_list":
            texts = [rng.choice(PERCENTILE_TEXTS) if rng.random() < 0.6 else repr(rng.random())
                     for _ in range(rng.randint(1, 5))]
            feature.percentiles = [(float(t), t) for t in texts]
        elif function in ("min_by", "max_by"):
            feature.by = rng.choice([f for f, t in field_types(source).items()
                                     if t in BY_TYPES and f != field])
        if rng.random() < 0.35 and feature.type in DEFAULTS:
            feature.default = rng.choice(DEFAULTS[feature.type])
        hopped.append(feature)
    features += hopped
    return hopped


# skewness and kurtosis, from a stream of their own (so every older seed's
# features keep their draws): sliding windows, lifetime and hopped, over
# int64 and float64 fields, pinned on the fields at their edges; then
# max_k and min_k (the same windows: tiles keep their best k).
SHAPE_PINNED = [
    ("float64", "payments", "huge"),    # |x| >= 2^200: null
    ("float64", "visits", "price"),     # 1e16 and 0.1: cancellation in the power sums
    ("int64", "payments", "big"),       # beyond 2^53: split doubles, x^4 near 2^248
    ("float64", "visits", "delta"),     # -0.0, +0.0, 0.5: zero variance often
]


def add_shape_features(seed, windows, features):
    """skewness and kurtosis features, appended; returns them."""
    rng = random.Random(seed * 7368787 + 13)
    combos = [(f, t) for f in ("skewness", "kurtosis") for t in ("int64", "float64")] * 2
    combos += [(f,) + pinned for f in ("skewness", "kurtosis") for pinned in SHAPE_PINNED]
    # max_k / min_k: every numeric type, -0.0 and +0.0, int64
    # beyond 2^53 (rounded to float64 as first_k's are)
    combos += [(f, t) for f in ("max_k", "min_k") for t in ("int64", "float64")] * 2
    combos += [(f, "float64", "visits", "delta") for f in ("max_k", "min_k")]
    combos += [(f, "int64", "payments", "big") for f in ("max_k", "min_k")]
    added = []
    for n, combo in enumerate(combos, start=len(features)):
        function, type_ = combo[:2]
        source = combo[2] if len(combo) > 2 else rng.choice(list(SOURCES))
        field = combo[3] if len(combo) > 2 else \
            rng.choice([f for f, t in field_types(source).items() if t == type_])
        entity = rng.choice(list(ENTITIES))
        where = None
        while rng.random() < 0.3:
            text, _, evaluate = ExprGen(rng, source).boolean(3)
            if text.lower() != "null":
                where = (text, evaluate)
                break
        hop = None
        if rng.random() < 0.3:
            window, hop = rng.choice(HOP_CHOICES)
        else:
            window = rng.choice(windows)
        feature = Feature("f%02d_%s_%s" % (n, function, field), entity, source,
                          function, field, window, where)
        if hop is not None:
            feature.hop = (window_micros(hop), hop)
        if function in ("max_k", "min_k"):
            feature.k = rng.choice([1, 2, 3, 5, 8])
        elif rng.random() < 0.35:
            feature.default = rng.choice(DEFAULTS["float64"])
        added.append(feature)
    features += added
    return added


def add_hop_edges(seed, spine, events, hopped):
    """Events at the edges a hopped read at t draws, for the row's own keys:
    end - w and end (in and out), end - 1 (the last tile in), and t - 1 when
    t is inside a tile (its own tile: out), from a stream of their own."""
    rng = random.Random(seed * 15485863 + 5)
    for row in spine:
        if rng.random() < 0.5:
            f = rng.choice(hopped)
            start, end = f.bounds(row["time"])
            for time in (start, start - 1, end - 1, end, row["time"] - 1):
                if rng.random() < 0.7:
                    event = make_event(rng, f.source, time, row["user_id"], row["shop_id"])
                    event["_time"] = time
                    events.insert(rng.randrange(len(events) + 1), event)


# -------------------------------------------------------------------- data

def random_value(rng, source, field, type_):
    if rng.random() < 0.12:
        return None
    if type_ == "int64":
        if field == "big":
            return rng.choice(BIG_INTS) if rng.random() < 0.3 else rng.randint(-100, 100)
        if rng.random() < 0.05:
            return rng.choice([INT64_MAX, INT64_MIN])
        return rng.randint(-3, 20)
    if type_ == "float64":
        if field == "huge":
            return rng.choice(HUGE_FLOATS)
        if field == "delta":
            return rng.choice(SIGNED_ZEROS)
        return rng.choice(FLOATS) if rng.random() < 0.7 else round(rng.uniform(-1000, 1000), 3)
    if type_ == "bool":
        return rng.random() < 0.5
    if type_ == "string":
        return rng.choice(STRINGS)
    if type_ == "timestamp":
        if rng.random() < 0.1:
            return rng.choice(FAR_TIMES)
        return T0 + rng.randrange(0, 12 * 86400) * MICROS + rng.choice([0, 0, 250000, 1, 999999])
    raise AssertionError(type_)


def make_event(rng, source, time, user, shop):
    event = {"_source": source}
    for field, type_ in field_types(source).items():
        event[field] = random_value(rng, source, field, type_)
    event[SOURCES[source]["time"]] = time
    event["user_id"] = user
    event["shop_id"] = shop
    return event


def random_user(rng):
    r = rng.random()
    return None if r < 0.05 else rng.choice(USERS)


def random_shop(rng):
    return None if rng.random() < 0.05 else rng.choice(SHOPS)


def make_data(rng, windows, spine_count=120, events_per_source=450):
    spans = [window_micros(w) for w in windows if w != "lifetime"]
    spine = []
    for _ in range(spine_count):
        if spine and rng.random() < 0.1:
            t = rng.choice(spine)["time"]            # two rows at the same time
        else:
            t = T0 + rng.randrange(2 * 86400, 14 * 86400) * MICROS
            if rng.random() < 0.2:
                t += rng.randrange(1, MICROS)
        user = rng.choice(USERS + ["ghost", None, ""])
        shop = rng.choice(SHOPS + [77, None])
        spine.append({"time": t, "user_id": user, "shop_id": shop,
                      "note": rng.choice(["x", "", None, "a,b"])})

    events = []
    for source in SOURCES:
        for _ in range(events_per_source):
            anchor = rng.choice(spine)
            span = rng.choice(spans)
            time = anchor["time"] - rng.randrange(-span // 10, span + span // 3)
            if rng.random() < 0.5:
                time -= time % MICROS
            user = anchor["user_id"] if rng.random() < 0.7 else random_user(rng)
            shop = anchor["shop_id"] if rng.random() < 0.7 else random_shop(rng)
            events.append(make_event(rng, source, time, user, shop))
    # Deliberate edges: events exactly at t - w and at t (and 1 us inside
    # and outside) for the row's own keys, often in both sources at once.
    for row in spine:
        if rng.random() < 0.8:
            span = rng.choice(spans)
            for time in (row["time"] - span, row["time"],
                         row["time"] - span - 1, row["time"] - 1):
                for source in SOURCES:
                    if rng.random() < 0.6:
                        events.append(make_event(rng, source, time, row["user_id"], row["shop_id"]))
    # Ties: copy the time of another event, often from the other source.
    for event in rng.sample(events, len(events) // 8):
        other = rng.choice(events)
        event[SOURCES[event["_source"]]["time"]] = other[SOURCES[other["_source"]]["time"]]
    # An int64 sum that leaves the int64 range on the way but ends inside it
    # (the running sum is 128-bit), in one window of one key.
    row = rng.choice(spine)
    for k, value in enumerate([INT64_MAX, INT64_MAX, -INT64_MAX, 5]):
        event = make_event(rng, "payments", row["time"] - 1 - k, row["user_id"], row["shop_id"])
        event["big"] = value
        events.append(event)
    rng.shuffle(events)     # file order is not time order
    for event in events:
        event["_time"] = event[SOURCES[event["_source"]]["time"]]
    return spine, events


def write_sources(rng, work, events):
    """Writes one CSV per source; sets each event's file row number."""
    paths = {}
    for source in SOURCES:
        columns = list(field_types(source)) + ["junk"]
        rng.shuffle(columns)
        types = field_types(source)
        rows = []
        for event in events:
            if event["_source"] != source:
                continue
            event["_row"] = len(rows)
            rows.append([render_value(rng, types[c], event[c]) if c != "junk"
                         else (rng.choice(["", "zz", "1,2"]), False) for c in columns])
        paths[source] = os.path.join(work, source + ".csv")
        write_csv(rng, paths[source], columns, rows)
    return paths


def write_spine(rng, path, spine, key_columns, time_column):
    columns = ["note"] + key_columns + [time_column]
    rng.shuffle(columns)
    rows = []
    for row in spine:
        cells = []
        for c in columns:
            if c == time_column:
                cells.append((render_time(rng, row["time"]), rng.random() < 0.05))
            elif c == "shop_id":
                cells.append(render_value(rng, "int64", row["shop_id"]))
            else:
                cells.append(render_value(rng, "string", row[c]))
        rows.append(cells)
    write_csv(rng, path, columns, rows)
    return columns, rows


# ------------------------------------------------------------------ oracle

def float_key(x):
    return (x, math.copysign(1.0, x))     # -0.0 orders before +0.0


def exact_float_sum(values):
    """The exact sum, correctly rounded once; None if not finite."""
    total = sum((Fraction(v) for v in values), Fraction(0))
    try:
        rounded = float(total)
    except OverflowError:
        return None
    # A zero exact sum is +0.0 even when every term is -0.0 (IEEE addition
    # would give -0.0): that is math.fsum's answer, which the docs name.
    return rounded


class Rounded:
    """An expected variance or stddev, which the docs promise "within about
    1 ulp": exact is the true value correctly rounded once (for stddev the
    square root of the correctly rounded variance); documented is what the
    method window.c describes gives: the exact numerator n*S2 - S1^2
    rounded once, then divided by n*(n-1) (a second rounding)."""

    def __init__(self, exact, documented):
        self.exact, self.documented = exact, documented

    def __repr__(self):
        return "Rounded(%r, %r)" % (self.exact, self.documented)


HUGE_MOMENT = 2.0 ** 511        # |x| >= 2^511: x*x would overflow, variance null


def sample_variance(values, function):
    """variance / stddev by exact rational arithmetic (see Rounded)."""
    n = len(values)
    if n < 2 or any(abs(v) >= HUGE_MOMENT for v in values):
        return None
    exact_values = [Fraction(v) for v in values]
    s1 = sum(exact_values, Fraction(0))
    s2 = sum((x * x for x in exact_values), Fraction(0))
    # The docs: null "if the sum of squares exceeds the largest double"
    # (window.c: its canonical expansion would not round to a finite double).
    try:
        float(s2)
    except OverflowError:
        return None
    numerator = n * s2 - s1 * s1
    try:
        exact = float(numerator / (n * (n - 1)))      # Fraction -> float rounds correctly
    except OverflowError:
        return None
    # The numerator itself may exceed float64 when the variance does not:
    # round it scaled by 2^-2h (a power of two changes no rounding while
    # everything stays normal), divide, scale back, as window.c does.
    h = max(0, (numerator.numerator.bit_length() - numerator.denominator.bit_length()) // 2 - 500)
    try:
        documented = math.ldexp(float(numerator / 4 ** h) / float(n * (n - 1)), 2 * h)
    except OverflowError:
        return None
    if not math.isfinite(exact) or not math.isfinite(documented):
        return None
    if function == "stddev":
        return Rounded(math.sqrt(exact), math.sqrt(documented))
    return Rounded(exact, documented)


class Shape:
    """An expected skewness or kurtosis: exact is the true value (from exact
    rationals) correctly rounded; the docs promise the runtime within
    1e-14 of it relative (skewness), or within 1e-14 * (|kurtosis| + adj)
    with adj = 3 (n - 1)^2 / ((n - 2) (n - 3)) (kurtosis, whose last step
    subtracts adj). loose: the window holds values below 2^-200 in
    magnitude, whose powers underflow (documented): then only a value
    near exact, or null for a window of such values alone, is asked."""

    def __init__(self, exact, tolerance, loose):
        self.exact, self.tolerance, self.loose = exact, tolerance, loose

    def check(self, text):
        if text == "":
            return None if self.loose else "null"
        got = float(text)
        if abs(got - self.exact) <= self.tolerance:
            if self.tolerance > 0:
                SHAPE_ERRORS[0] = max(SHAPE_ERRORS[0], abs(got - self.exact) / self.tolerance)
            return None
        return "%r off by %g, allowed %g" % (got, abs(got - self.exact), self.tolerance)


SHAPE_HUGE = 2.0 ** 200         # |x| >= 2^200: x^4 would grow too large, null
SHAPE_TINY = 2.0 ** -200        # 0 < |x| < 2^-200: powers underflow
SHAPE_ERRORS = [0.0]            # the largest error seen, as a fraction of the allowed


def shape_exact(values, kurtosis):
    """The exact central sums A2 = n S2 - S1^2, A3 = n^2 m3, A4 = n^3 m4 and
    the pandas formula on them (docs/language.md), or None."""
    n = len(values)
    if n < (4 if kurtosis else 3) or any(abs(v) >= SHAPE_HUGE for v in values):
        return None
    xs = [Fraction(v) for v in values]
    mean = sum(xs, Fraction(0)) / n
    m2 = sum(((x - mean) ** 2 for x in xs), Fraction(0))
    if m2 == 0:
        return None
    loose = any(v != 0 and abs(v) < SHAPE_TINY for v in values)
    if not kurtosis:
        m3 = sum(((x - mean) ** 3 for x in xs), Fraction(0))
        # pandas: n sqrt(n - 1) / (n - 2) * m3 / m2^1.5 (m2, m3 the central sums)
        square = Fraction(n * n * (n - 1), (n - 2) ** 2) * m3 * m3 / (m2 ** 3)
        exact = math.copysign(math.sqrt(float(square)), float(m3)) if m3 else 0.0
        return Shape(exact, 1e-14 * abs(exact), loose)
    m4 = sum(((x - mean) ** 4 for x in xs), Fraction(0))
    # pandas: n (n + 1) (n - 1) m4 / ((n - 2) (n - 3) m2^2) - 3 (n - 1)^2 / ((n - 2) (n - 3))
    adj = Fraction(3 * (n - 1) ** 2, (n - 2) * (n - 3))
    exact = float(Fraction(n * (n + 1) * (n - 1), (n - 2) * (n - 3)) * m4 / (m2 * m2) - adj)
    return Shape(exact, 1e-14 * (abs(exact) + float(adj)), loose)


def interpolation_pair(xs, p):
    """(a, b, h - floor h) that percentile p of the sorted xs interpolates
    between, or the value itself when h lands on a rank."""
    n = len(xs)
    h = float(n - 1) * p
    floor_h = float(math.floor(h))
    i = int(floor_h)
    if i >= n - 1:
        return xs[-1]
    if h == floor_h:
        return xs[i]
    return xs[i], xs[i + 1], h - floor_h


def percentile(values, p):
    """docs/language.md: h = (n - 1) * p, x[floor h] + (h - floor h) *
    (x[floor h + 1] - x[floor h]) over the values as float64 sorted with
    -0.0 before +0.0, in that float operation order; exactly x[h] when h is
    an integer. When b - a overflows, window.c halves everything (not in
    the docs): 2 * (a/2 + f * (b/2 - a/2))."""
    xs = sorted((float(v) for v in values), key=float_key)
    pair = interpolation_pair(xs, p)
    if not isinstance(pair, tuple):
        return pair
    a, b, fraction = pair
    difference = b - a
    if math.isfinite(difference):
        result = a + fraction * difference
    else:
        result = 2.0 * (a * 0.5 + fraction * (b * 0.5 - a * 0.5))
    return result if math.isfinite(result) else None


class Approximate:
    """An expected approx_percentile or approx_count_distinct cell: the exact
    answer and how far the sketch may be from it. approx_percentile: the
    value at rank floor(p (n - 1)) within 1% relative error (a zero exactly
    zero); approx_count_distinct: within max(2, 7%) of the distinct count
    (4.4 standard errors of 1.6%; near exact this small), or, when predicted
    is given (the estimate of a HyperLogLog built as sketch.c documents it,
    see hll_estimate), exactly that: a few hash collisions among a small
    set can put an honest estimate beyond 7%, and a predicted estimate
    checks lifetime and hopped (merged per tile) sketches bit for bit."""

    def __init__(self, type_, exact, predicted=None):
        self.type, self.exact, self.predicted = type_, exact, predicted
        if type_ == "float64":
            self.tolerance = 0.01 * abs(exact)
        else:
            self.tolerance = max(2.0, 0.07 * exact)

    def check(self, text):
        """None if text is an accepted answer, else why not."""
        if text == "":
            return "null, expected about %r" % self.exact
        try:
            got = float(text) if self.type == "float64" else int(text)
        except ValueError:
            return "not a number"
        if self.type == "int64" and got < 0:
            return "negative count"
        error = abs(got - self.exact)
        APPROX_ERRORS[self.type] = max(APPROX_ERRORS[self.type],
                                       error / abs(self.exact) if self.exact else error)
        if self.predicted is not None:
            if got != self.predicted:
                return "%r, the HyperLogLog of the window's values estimates %r (exact %r)" \
                    % (got, self.predicted, self.exact)
            return None
        if not math.isfinite(got) or error > self.tolerance:
            return "%r is %g from the exact %r, allowed %g" % (got, error, self.exact,
                                                               self.tolerance)
        return None


# approx_count_distinct, rebuilt from sketch.h/sketch.c and the value hashes
# of window.c (payload_hash) and hashmap.c (fdl_hash_bytes): 2^12 registers,
# register = the top 12 bits of the hash, rank = leading zeros of the rest
# + 1; the estimate is HLL's, with linear counting below 2.5 m.
MASK64 = (1 << 64) - 1
HLL_BITS = 12


def mix64(x):
    x ^= x >> 33
    x = (x * 0xff51afd7ed558ccd) & MASK64
    x ^= x >> 33
    x = (x * 0xc4ceb9fe1a85ec53) & MASK64
    return x ^ (x >> 33)


def hash_bytes(data):
    h = 0x9e3779b97f4a7c15 ^ ((len(data) * 0xff51afd7ed558ccd) & MASK64)
    n = len(data)
    p = 0
    while n - p >= 8:
        h = (mix64(h ^ int.from_bytes(data[p:p + 8], "little")) + 0x9e3779b97f4a7c15) & MASK64
        p += 8
    tail = int.from_bytes(data[p:], "little")
    return mix64(h ^ tail ^ (((n - p) << 59) & MASK64))


def value_hash(type_, v):
    if type_ == "float64":
        return mix64(struct.unpack("<Q", struct.pack("<d", 0.0 if v == 0.0 else v))[0])
    if type_ == "string":
        return hash_bytes(v.encode("utf-8"))
    if type_ == "bool":
        return mix64(1 if v else 0)
    return mix64(v & MASK64)            # int64 and timestamps (microseconds)


def hll_estimate(type_, values):
    registers = [0] * (1 << HLL_BITS)
    for v in set(values):
        h = value_hash(type_, v)
        rest = (h << HLL_BITS) & MASK64
        rank = (64 - rest.bit_length()) + 1 if rest else 64 - HLL_BITS + 1
        index = h >> (64 - HLL_BITS)
        registers[index] = max(registers[index], rank)
    m = float(1 << HLL_BITS)
    total = 0.0
    for r in registers:                 # in register order, as sketch.c adds
        total += math.ldexp(1.0, -r)
    zeros = registers.count(0)
    estimate = 0.7213 / (1.0 + 1.079 / m) * m * m / total
    if estimate <= 2.5 * m and zeros > 0:
        estimate = m * math.log(m / zeros)
    return int(math.floor(estimate + 0.5))  # llround of a positive number


# Largest relative error seen (absolute when the exact answer is 0).
APPROX_ERRORS = {"float64": 0.0, "int64": 0.0}


def total_order_key(type_):
    """compare_payload in window.c: numbers and times numerically (-0.0
    before +0.0), false before true, strings bytewise."""
    if type_ == "float64":
        return float_key
    if type_ == "string":
        return lambda s: s.encode("utf-8")
    return lambda v: v


def json_string(s):
    """json_string in window.c: only '"' and backslash get a backslash,
    control bytes and DEL become \\u00XX; other bytes (UTF-8) pass through."""
    out = ['"']
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append("\\u%04x" % ord(c))
        else:
            out.append(c)
    return "".join(out) + '"'


def top_k_json(type_, values, k):
    """The k most frequent values with their counts, as the docs spell it:
    count descending, then the type's total order; -0.0 and +0.0 one value
    (a dict merges them), printed 0."""
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    order = total_order_key(type_)
    ranked = sorted(counts.items(), key=lambda item: order(item[0]))
    ranked.sort(key=lambda item: -item[1])          # stable: value order within a count
    parts = []
    for value, count in ranked[:k]:
        if type_ == "int64":
            text = str(value)
        elif type_ == "float64":
            text = format_float(0.0 if value == 0.0 else value)
        elif type_ == "bool":
            text = "true" if value else "false"
        elif type_ == "timestamp":
            text = json_string(format_time(value))
        else:
            text = json_string(value)
        parts.append("[%s,%d]" % (text, count))
    return "[" + ",".join(parts) + "]"


def aggregate(feature, events):
    """The feature's value over the events in its window that pass the filter."""
    if feature.function == "count" and feature.field is None:
        return len(events)
    values = [ev[feature.field] for ev in events if ev[feature.field] is not None]
    function, type_ = feature.function, feature.field_type
    if function == "count":
        return len(values)
    if function == "sum":
        if type_ == "int64":
            return int64_or_null(sum(values))
        return exact_float_sum(values) if values else 0.0
    if function == "count_distinct":
        return len(set(values))         # 0 when empty; -0.0 == 0.0 in a set
    if function == "approx_count_distinct":
        return Approximate("int64", len(set(values)), hll_estimate(type_, values)) if values else 0
    if not values:
        return None
    if function == "mean":
        if type_ == "int64":
            return float(sum(values)) / len(values)
        total = exact_float_sum(values)
        return None if total is None else total / len(values)
    if function in ("first", "last"):
        return values[0] if function == "first" else values[-1]
    if function in ("min_by", "max_by"):
        return extreme_by(feature, events)
    if feature.percentiles is not None:
        # each element exactly what the one-percentile form gives
        if function == "percentile":
            items = [percentile(values, p) for p, _ in feature.percentiles]
            return None if any(x is None for x in items) else items
        xs = sorted((float(v) for v in values), key=float_key)
        return ApproximateVector([Approximate("float64", xs[int(math.floor(float(len(xs) - 1) * p))])
                                  for p, _ in feature.percentiles])
    if function in ("variance", "stddev"):
        return sample_variance(values, function)
    if function in ("skewness", "kurtosis"):
        return shape_exact(values, function == "kurtosis")
    if function == "percentile":
        return percentile(values, feature.percentile[0])
    if function == "approx_percentile":
        xs = sorted((float(v) for v in values), key=float_key)
        return Approximate("float64", xs[int(math.floor(float(len(xs) - 1) * feature.percentile[0]))])
    if function == "top_k":
        return top_k_json(type_, values, feature.k)
    if function == "first_k":
        return [float(v) for v in values[:feature.k]]
    if function == "last_k":
        return [float(v) for v in values[::-1][:feature.k]]
    if function in ("max_k", "min_k"):
        ordered = sorted((float(v) for v in values), key=float_key,
                         reverse=function == "max_k")
        return ordered[:feature.k]
    key = {"float64": float_key, "string": lambda s: s.encode("utf-8")}.get(type_, lambda v: v)
    return (min if function == "min" else max)(values, key=key)


def expected_cell(type_, value):
    if value is None:
        return ("", False), None
    if type_ == "int64":
        return (str(value), False), None
    if type_ == "float64":
        return (format_float(value), False), float_cell_check(value)
    if type_ == "bool":
        return ("true" if value else "false", False), None
    if type_ == "timestamp":
        return (format_time(value), False), None
    if type_ == "float64_vector":
        return common_expected_cell(type_, value)
    return (value, value == "" or any(c in value for c in ',"\r\n')), None


def ulp_distance(a, b):
    """How many doubles apart a and b are (both finite, same sign or zero)."""
    def ordered(x):
        bits = struct.unpack("<q", struct.pack("<d", x))[0]
        return bits if bits >= 0 else -(bits & 0x7FFFFFFFFFFFFFFF)
    return abs(ordered(a) - ordered(b))


class RoundingStats:
    """What the variance/stddev cells showed: how many were the correctly
    rounded value, how many only the documented two-rounding one, and the
    largest distance in ulps between what fdlc printed and the true value
    correctly rounded."""

    def __init__(self):
        self.exact = 0
        self.documented_only = 0
        self.max_ulps = 0

    def check(self, rounded, text):
        """None if text is an accepted answer, else why not."""
        for candidate in (rounded.exact, rounded.documented):
            if text == format_float(candidate) and same_float(float(text), candidate):
                distance = ulp_distance(candidate, rounded.exact)
                # The docs promise "within about 1 ulp": accept no more.
                if distance > 1:
                    return "%d ulps from the exact %r" % (distance, rounded.exact)
                if distance == 0:
                    self.exact += 1
                else:
                    self.documented_only += 1
                self.max_ulps = max(self.max_ulps, distance)
                return None
        return "neither the exact %r nor the documented %r" % (rounded.exact, rounded.documented)


ROUNDING = RoundingStats()


def compute(spine, events, features, source_order):
    """expected[row][feature name] = value, by brute force."""
    ordered = sorted(events, key=lambda ev: (ev["_time"], source_order.index(ev["_source"]),
                                             ev["_row"]))
    passes, coverage = {}, {}
    for f in features:
        if f.where:
            passes[f.name] = {id(ev): f.where[1](ev) is True
                              for ev in ordered if ev["_source"] == f.source}
    expected = []
    for row in spine:
        t = row["time"]
        values = {}
        for f in features:
            key_field = ENTITIES[f.entity]["key"]
            key = row[key_field]
            if key is None:
                chosen = []
            else:
                start, end = f.bounds(t)
                chosen = [ev for ev in ordered
                          if ev["_source"] == f.source and ev[key_field] == key
                          and ev["_time"] < end and (start is None or ev["_time"] >= start)
                          and (f.where is None or passes[f.name][id(ev)])]
                if f.hop is not None and any(
                        end <= ev["_time"] < t and ev["_source"] == f.source
                        and ev[key_field] == key for ev in ordered):
                    coverage["hopped reads leaving out events of t's own tile"] = \
                        coverage.get("hopped reads leaving out events of t's own tile", 0) + 1
                if any(ev["_time"] == t and ev["_source"] == f.source and ev[key_field] == key
                       for ev in ordered):
                    coverage["reads with an event at exactly t"] = \
                        coverage.get("reads with an event at exactly t", 0) + 1
            values[f.name] = aggregate(f, chosen)
            note_coverage(coverage, f, chosen, values[f.name], t)
            if values[f.name] is None and f.default is not None:
                values[f.name] = f.default[0]
                coverage["nulls read as a default"] = \
                    coverage.get("nulls read as a default", 0) + 1
        expected.append(values)
    print("coverage: " + ", ".join("%s %d" % item for item in sorted(coverage.items())))
    return expected


def note_coverage(coverage, feature, chosen, value, t):
    """Counts the edge cases the oracle met, so a run shows what it tested."""
    def bump(name):
        coverage[name] = coverage.get(name, 0) + 1
    if feature.hop is not None:
        if any(ev["_time"] == feature.bounds(t)[0] for ev in chosen):
            bump("hopped windows holding an event at exactly end-w")
        if any(ev["_time"] == feature.bounds(t)[1] - 1 for ev in chosen):
            bump("hopped windows holding an event at end-1us")
    elif feature.span is not None and any(ev["_time"] == t - feature.span for ev in chosen):
        bump("windows holding an event at exactly t-w")
    if feature.field is None:
        return
    values = [ev[feature.field] for ev in chosen if ev[feature.field] is not None]
    if feature.function == "sum" and feature.field_type == "int64" and value is None:
        bump("int64 sums overflowing")
    if feature.function == "sum" and feature.field_type == "int64" and value is not None and \
            any(not INT64_MIN <= sum(values[:k]) <= INT64_MAX for k in range(len(values))):
        bump("int64 sums leaving the range midway")
    if feature.function in ("sum", "mean") and feature.field_type == "float64" and \
            value is not None and values:
        naive = 0.0
        for v in values:
            naive += v
        if feature.function == "sum" and naive != value:
            bump("float sums where naive summation differs")
    if feature.function in ("first", "last") and len(values) > 1:
        times = [ev["_time"] for ev in chosen if ev[feature.field] is not None]
        edge = times[0] if feature.function == "first" else times[-1]
        if times.count(edge) > 1:
            bump("first/last decided by a tie")
    if feature.function in ("first_k", "last_k") and 0 < len(values) < feature.k:
        bump("k-vectors shorter than k")
    if feature.function in ("first_k", "last_k") and len(values) > feature.k:
        bump("k-vectors cut to k")
    if feature.function == "count_distinct" and feature.field_type == "float64" and \
            any(v == 0.0 and math.copysign(1.0, v) < 0 for v in values) and \
            any(v == 0.0 and math.copysign(1.0, v) > 0 for v in values):
        bump("count_distinct over -0.0 and +0.0")
    if feature.function == "top_k" and values:
        counts = sorted(({v: values.count(v) for v in values}).values(), reverse=True)
        if len(counts) > feature.k and counts[feature.k - 1] == counts[feature.k]:
            bump("top_k cut through equal counts (value order decides)")
        if len(counts) > 1 and counts[0] == counts[1]:
            bump("top_k first place tied")
        if feature.field_type == "float64" and \
                any(v == 0.0 and math.copysign(1.0, v) < 0 for v in values) and \
                any(v == 0.0 and math.copysign(1.0, v) > 0 for v in values):
            bump("top_k over -0.0 and +0.0")
        if feature.field_type == "string" and any(c in v for v in values for c in '"\\\n'):
            bump("top_k strings JSON-escaped")
    if feature.function == "approx_count_distinct" and isinstance(value, Approximate):
        bump("approx_count_distinct reads")
    if feature.function == "approx_percentile" and isinstance(value, Approximate):
        bump("approx_percentile reads")
    if isinstance(value, ApproximateVector):
        bump("approx_percentile list reads")
    if feature.function == "percentile" and feature.percentiles is not None and value is not None:
        bump("percentile list reads")
    if feature.function in ("min_by", "max_by") and value is not None:
        bump("min_by/max_by reads")
        by = [ev[feature.by] for ev in chosen
              if ev[feature.field] is not None and ev[feature.by] is not None]
        extreme = (min if feature.function == "min_by" else max)(by)
        ties = [ev for ev in chosen if ev[feature.field] is not None and ev[feature.by] == extreme]
        if len(ties) > 1:
            bump("min_by/max_by decided by a tie in by")
            if len({ev["_time"] for ev in ties}) < len(ties):
                bump("min_by/max_by ties at one time (value decides)")
    if feature.function in ("variance", "stddev") and value is None and len(values) >= 2:
        bump("variances null from |x| >= 2^511")
    if feature.function in ("max_k", "min_k") and values:
        bump("%s values" % feature.function)
        if len(values) > feature.k:
            bump("max_k/min_k cut to k")
        if any(v == 0.0 and math.copysign(1.0, v) < 0 for v in values) and \
                any(v == 0.0 and math.copysign(1.0, v) > 0 for v in values):
            bump("max_k/min_k over -0.0 and +0.0")
    if feature.function in ("skewness", "kurtosis"):
        least = 4 if feature.function == "kurtosis" else 3
        if isinstance(value, Shape):
            bump("%s values" % feature.function)
            if value.loose:
                bump("%s over values below 2^-200" % feature.function)
        elif len(values) < least:
            bump("%s null below %d values" % (feature.function, least))
        elif any(abs(v) >= SHAPE_HUGE for v in values):
            bump("%s null from |x| >= 2^200" % feature.function)
        else:
            bump("%s null from zero variance" % feature.function)
    if feature.percentiles is not None:
        return
    if feature.function == "percentile" and value is not None and \
            not any(same_float(value, float(v)) for v in values):
        bump("percentiles interpolated")
    if feature.function == "percentile" and len(values) > 1:
        pair = interpolation_pair(sorted((float(v) for v in values), key=float_key),
                                  feature.percentile[0])
        if isinstance(pair, tuple) and not math.isfinite(pair[1] - pair[0]):
            bump("percentiles interpolated across a gap beyond float64")


def check_run(label, out_path, spine_columns, spine_rows, features, expected, features_by_name):
    records = read_csv(out_path)
    want = spine_columns + [f.name for f in features]
    got = [c.text for c in records[0]]
    if got != want:
        print("FAIL %s: header\n  got      %r\n  expected %r" % (label, got, want))
        return False
    if len(records) - 1 != len(spine_rows):
        print("FAIL %s: %d rows, expected %d" % (label, len(records) - 1, len(spine_rows)))
        return False
    bad = Mismatches(label)
    stats = {"cells": 0, "null": 0}
    wrong_features = set()
    for i, (record, cells, values) in enumerate(zip(records[1:], spine_rows, expected), start=1):
        if len(record) != len(want):
            bad.add(i, "*", len(want), len(record), "cell count")
            continue
        for k, (text, quoted) in enumerate(cells):
            bad.check_cell(i, spine_columns[k], (text, quoted if text == "" else None), record[k])
        for k, f in enumerate(features):
            before = bad.count
            value, got = values[f.name], record[len(spine_columns) + k]
            if isinstance(value, Rounded):
                problem = ROUNDING.check(value, got.text)
                if problem:
                    bad.add(i, f.name, format_float(value.exact), got.text, problem)
            elif isinstance(value, Shape):
                problem = value.check(got.text)
                if problem:
                    bad.add(i, f.name, repr(value.exact), got.text, problem)
            elif isinstance(value, (Approximate, ApproximateVector)):
                problem = value.check(got.text)
                if problem:
                    bad.add(i, f.name, "about %r" % value.exact, got.text, problem)
            else:
                cell, check = expected_cell(f.type, value)
                bad.check_cell(i, f.name, cell, got, check)
            stats["cells"] += 1
            stats["null"] += values[f.name] is None
            if bad.count != before:
                wrong_features.add(f.name)
    if bad.count:
        for name in sorted(wrong_features):
            print("definition of %s:\n%s" % (name, features_by_name[name].yaml(random.Random(0))))
        print("FAIL %s: %d cells differ" % (label, bad.count))
        return False
    print("%s: %d rows x %d features, %d cells equal (%d null)"
          % (label, len(spine_rows), len(features), stats["cells"], stats["null"]))
    return True


def definitions(rng, features, set_features):
    entities = ["entities:"]
    for name, e in ENTITIES.items():
        entities.append("  - name: %s\n    join_key: %s" % (name, e["key"]))
        if e["type"] != "string" or rng.random() < 0.5:
            entities.append("    key_type: %s" % e["type"])
    sources = ["sources:"]
    for name, s in SOURCES.items():
        sources.append("  - name: %s\n    timestamp: %s\n    fields:" % (name, s["time"]))
        sources += ["      - {name: %s, type: %s}" % f for f in s["fields"]]
    catalog = "\n".join(entities + sources) + "\n"
    text = "features:\n" + "".join(f.yaml(rng) for f in features)
    text += "feature_sets:\n  - name: train\n    features:\n"
    text += "".join("      - %s\n" % f.name for f in set_features)
    return catalog, text


def run_seed(fdlc, work, seed, threads=(None,), only_entity=None):
    """Checks every run's output against the oracle; with several thread
    counts (None: fdlc's default), each run once per count, and the outputs
    must also be the same bytes. With only_entity, the program keeps only
    that entity's features (so fdlc's batch replays key by key)."""
    rng = random.Random(seed)
    windows, features = make_features(rng)
    add_sketch_features(seed, windows, features)
    add_list_and_by_features(seed, windows, features)
    give_defaults(seed, features)
    spine, events = make_data(rng, windows)
    set_features = rng.sample(features, rng.randint(len(features) * 2 // 3, len(features)))
    hopped = add_hop_features(seed, features)
    set_features += hopped
    shaped = add_shape_features(seed, windows, features)
    set_features += shaped
    hopped += [f for f in shaped if f.hop is not None]
    add_hop_edges(seed, spine, events, hopped)
    if only_entity:
        features = [f for f in features if f.entity == only_entity]
        set_features = [f for f in set_features if f.entity == only_entity]
    catalog, feature_text = definitions(rng, features, set_features)
    with open(os.path.join(work, "catalog.yaml"), "w") as f:
        f.write(catalog)
    with open(os.path.join(work, "features.yaml"), "w") as f:
        f.write(feature_text)
    source_order = list(SOURCES)
    rng.shuffle(source_order)
    paths = write_sources(rng, work, events)
    time_column = rng.choice(["timestamp", "as_of"])
    time_args = ["--spine-time", time_column] if time_column != "timestamp" else []

    expected = compute(spine, events, features, source_order)
    by_name = {f.name: f for f in features}
    ok = True
    runs = [
        # The set's columns, over a spine with both keys.
        ("seed %d with --set" % seed, ["user_id", "shop_id"], ["--set", "train"], set_features),
        # No set: every feature whose entity has a key column, in
        # definition order.
        ("seed %d without --set" % seed, ["user_id"], [],
         [f for f in features if f.entity == "user"]),
    ]
    for n, (label, keys, extra, columns) in enumerate(runs):
        if not columns:
            continue            # (only_entity: no feature of the spine's key)
        spine_path = os.path.join(work, "spine%d.csv" % n)
        spine_columns, spine_rows = write_spine(rng, spine_path, spine, keys, time_column)
        first = None
        for count in threads:
            out = os.path.join(work, "out%d-%s.csv" % (n, count or "default"))
            args = ["batch", "catalog.yaml", "features.yaml"]
            for source in source_order:
                args += ["--source", "%s=%s" % (source, os.path.basename(paths[source]))]
            args += ["--spine", os.path.basename(spine_path), "--out", out] + time_args + extra
            if count is not None:
                args += ["--threads", str(count)]
            proc = run_fdlc(fdlc, args, cwd=work, work=work)
            if proc.returncode != 0:
                print("FAIL %s: fdlc batch failed (cd %s && fdlc %s)\n%s"
                      % (label, work, " ".join(args), describe_run(proc)))
                ok = False
                continue
            ok = check_run(label, out, spine_columns, spine_rows, columns, expected, by_name) and ok
            with open(out, "rb") as f:
                data = f.read()
            if first is None:
                first = (count, data)
            elif data != first[1]:
                print("FAIL %s: --threads %s wrote other bytes than --threads %s"
                      % (label, count, first[0]))
                ok = False
    return ok


def main():
    if len(sys.argv) < 4:
        print("usage: random_oracle.py FDLC WORK_DIR SEED [SEED...]")
        sys.exit(2)
    fdlc, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    failed = []
    for seed in (int(s) for s in sys.argv[3:]):
        seed_dir = fresh_dir(os.path.join(work, "seed%d" % seed))
        if run_seed(fdlc, seed_dir, seed):
            shutil.rmtree(seed_dir)
        else:
            failed.append(seed)
            print("seed %d: work files kept in %s" % (seed, seed_dir))
    print("variance/stddev cells: %d correctly rounded, %d only within 1 ulp "
          "(the documented two roundings), max %d ulp"
          % (ROUNDING.exact, ROUNDING.documented_only, ROUNDING.max_ulps))
    print("skewness/kurtosis cells: largest error %.3f of the documented bound" % SHAPE_ERRORS[0])
    print("sketches: approx_percentile max relative error %.9f (allowed 0.01), "
          "approx_count_distinct max error %.3f"
          % (APPROX_ERRORS["float64"], APPROX_ERRORS["int64"]))
    if failed:
        print("FAIL: seeds %s" % failed)
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
