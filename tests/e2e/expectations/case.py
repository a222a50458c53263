#!/usr/bin/env python3
"""case.py - the source-expectations test case: definitions, data, plants.

A fixed-seed generator of definitions (YAML) and CSV data for three
sources that between them use every expectation kind (not_null, range, in,
matches, max_future, ordered, max_gap, exists_in SOURCE.FIELD, exists_in
EMBEDDING, mean, stddev, null_ratio, distinct, expr, unique) and every
policy (fail, drop, clamp, flag, impute, on_invalid drop/flag/impute),
with an embedding table, features that read the sources (counts, sums,
means, min and max, so accepted and dropped rows and the values policies
put in change them), a feature set and a spine. Into otherwise clean rows it plants violations at known lines and
records them (planted.json: file, line, expectation, policy), including
the interactions the documented order of checks decides:

  * a drop ends the row's checks (a null user_id that would also break
    `in`; a row that breaks an expr and would break exists_in, which runs
    after the exprs);
  * clamp and impute change what later checks see (amount 2500 clamped to
    1000 then passes `amount * qty <= 5000`; an unparseable age imputed to
    -1 then clamped to 0; a time clamped by max_future then collides in
    unique; a dwell clamped to 0 then breaks `dwell >= 1`);
  * exists_in and unique see only accepted rows read before (a purchase of
    a user whose only users row was dropped; an order_id reused from a
    dropped row; unique ignores rows with a null part).

The spec below (USERS, PURCHASES, CLICKS, FEATURES) is plain data read both by this generator
(to write YAML) and by oracle.py (to apply the documented semantics); the
oracle never looks at the planted list, and the tests check the two agree.

Variants change policies or SLAs for the fail and SLA tests:
  main        every policy but fail on rows; statistical ones flag
  fail_range  purchases.qty range -> fail (a planted qty 80 stops the run)
  fail_all    fail_range, and purchases unique order_id -> fail,
              purchases.amount on_invalid left out (fail, the default),
              users.ts ordered -> fail (users is read first)
  sla         clicks min_rows 100000, purchases amount mean [1, 2] policy fail

Usage: case.py OUT_DIR [--seed N] [--variant NAME]
"""
import argparse
import copy
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from e2e_common import MICROS, format_time, parse_time  # noqa: E402

NOW = "2024-03-10T00:00:00Z"          # fdlc batch --now, serving's processing time
NOW_MICROS = parse_time(NOW)
HOUR = 3600 * MICROS
DAY = 24 * HOUR

# ------------------------------------------------------------------- spec
#
# An expectation: {"id", "kind", "arg", "policy"}; policies are "fail",
# "drop", "clamp", "flag" or ("impute", TEXT). Expressions carry a Python
# function over the row's values (three-valued: None is null) for the
# oracle next to the text fdlc reads.


def _mul_le(row):
    a, q = row["amount"], row["qty"]
    return None if a is None or q is None else a * float(q) <= 5000.0


def _discount_le(row):
    d, a = row["discount"], row["amount"]
    return None if d is None or a is None else d <= a


def _dwell_ge(row):
    d = row["dwell"]
    return None if d is None else d >= 1.0


def expect(id_, kind, arg, policy):
    return {"id": id_, "kind": kind, "arg": arg, "policy": policy}


def field(name, type_, on_invalid=None, *expects):
    return {"name": name, "type": type_, "on_invalid": on_invalid, "expect": list(expects)}


USERS = {
    "name": "users",
    "timestamp": "ts",
    "fields": [
        field("ts", "timestamp", "drop",
              expect("ts.ordered", "ordered", True, "drop"),
              expect("ts.max_gap", "max_gap", "2d", "flag")),
        field("user_id", "string", None,
              expect("user_id.not_null", "not_null", True, "drop"),
              expect("user_id.matches", "matches", "^u[0-9]+$", "drop"),
              expect("user_id.distinct", "distinct", [10, 1000], "flag")),
        field("tier", "string", None,
              expect("tier.in", "in", ["gold", "silver", "bronze"], ("impute", "bronze")),
              expect("tier.distinct", "distinct", [1, 3], "flag")),
        field("age", "int64", ("impute", "-1"),
              expect("age.range", "range", [0, 120], "clamp"),
              expect("age.mean", "mean", [20, 60], "flag"),
              expect("age.null_ratio", "null_ratio", 0.2, "flag")),
    ],
    "expect": [expect("row.unique_user", "unique", ["user_id"], "drop")],
    "sla": {"pass_rate": 0.5, "min_rows": 10, "max_null_ratio": {"age": 0.5}},
}

PURCHASES = {
    "name": "purchases",
    "timestamp": "ts",
    "fields": [
        field("ts", "timestamp", "drop",
              expect("ts.max_future", "max_future", "1d", "drop")),
        field("user_id", "string", None,
              expect("user_id.not_null", "not_null", True, "drop"),
              expect("user_id.exists_in", "exists_in", "users.user_id", "flag")),
        field("product_id", "string", None,
              expect("product_id.exists_in", "exists_in", "product_vec", "drop")),
        field("amount", "float64", ("impute", "0"),
              expect("amount.range", "range", [0, 1000], "clamp"),
              expect("amount.mean", "mean", [1, 500], "flag"),
              expect("amount.stddev", "stddev", [0, 1000], "flag")),
        field("qty", "int64", "flag",
              expect("qty.not_null", "not_null", True, ("impute", "1")),
              expect("qty.range", "range", [1, 50], "drop")),
        field("category", "string", None,
              # The impute value must pass the check it repairs (sema).
              expect("category.in", "in", ["books", "food", "games", "other"],
                     ("impute", "other")),
              expect("category.null_ratio", "null_ratio", 0.3, "flag")),
        field("coupon", "string", None,
              expect("coupon.matches", "matches", "^C[0-9]{3}$", "flag")),
        field("order_id", "int64"),
        field("discount", "float64"),
    ],
    "expect": [
        dict(expect("row.expr_total", "expr", "amount * qty <= 5000", "drop"), fn=_mul_le),
        dict(expect("row.expr_discount", "expr", "discount <= amount", "flag"), fn=_discount_le),
        expect("row.unique_order", "unique", ["order_id"], "drop"),
        expect("row.unique_coupon", "unique", ["user_id", "coupon"], "flag"),
    ],
    "sla": {"pass_rate": 0.3, "min_rows": 10, "max_null_ratio": {"coupon": 0.95}},
}

CLICKS = {
    "name": "clicks",
    "timestamp": "ts",
    "fields": [
        field("ts", "timestamp", "drop",
              expect("ts.max_future", "max_future", "1h", "clamp")),
        field("user_id", "string", None,
              expect("user_id.exists_in", "exists_in", "users.user_id", "drop")),
        field("product_id", "string", None,
              expect("product_id.exists_in", "exists_in", "product_vec", ("impute", "p000"))),
        field("dwell", "float64", "drop",
              expect("dwell.range", "range", [0, 600], "clamp"),
              expect("dwell.stddev", "stddev", [0, 50], "flag")),
        field("device", "string", None,
              expect("device.in", "in", ["ios", "android", "web"], "drop"),
              expect("device.not_null", "not_null", True, "flag")),
    ],
    "expect": [
        dict(expect("row.expr_dwell", "expr", "dwell >= 1", "flag"), fn=_dwell_ge),
        expect("row.unique_click", "unique", ["user_id", "ts"], "drop"),
    ],
    "sla": {"min_rows": 10},
}

# Sources in --source order: users is not first on purpose, so that batch
# must read it first for the exists_in expectations of the other two.
SOURCE_ORDER = ["purchases", "clicks", "users"]

EMBEDDING = {"name": "product_vec", "entity": "product", "dimension": 2}
PRODUCTS = ["p%03d" % i for i in range(20)]

# Features: name, entity, function, source(.field), window, where.
FEATURES = [
    ("purchase_count_30d", "user", "count", "purchases", "30d", None),
    ("amount_sum_life", "user", "sum", "purchases.amount", "lifetime", None),
    ("qty_sum_7d", "user", "sum", "purchases.qty", "7d", None),
    ("other_category_count", "user", "count", "purchases", "lifetime", 'category = "other"'),
    ("click_count_3d", "user", "count", "clicks", "3d", None),
    ("dwell_mean_life", "user", "mean", "clicks.dwell", "lifetime", None),
    ("user_rows", "user", "count", "users", "lifetime", None),
    ("max_age", "user", "max", "users.age", "lifetime", None),
    ("bronze_users", "user", "count", "users", "lifetime", 'tier = "bronze"'),
    ("age_sum", "user", "sum", "users.age", "lifetime", None),
    # Values after policies: clamped times, dwells and amounts.
    ("last_click_time", "user", "max", "clicks.ts", "lifetime", None),
    ("min_amount_life", "user", "min", "purchases.amount", "lifetime", None),
    ("product_clicks", "product", "count", "clicks", "lifetime", None),
    ("product_max_dwell", "product", "max", "clicks.dwell", "lifetime", None),
    ("product_amount_30d", "product", "sum", "purchases.amount", "30d", None),
]
SET_NAME = "training"


def make_spec(variant):
    sources = copy.deepcopy([PURCHASES, CLICKS, USERS])
    by_name = {s["name"]: s for s in sources}

    def find(source, id_):
        s = by_name[source]
        for e in s["expect"] + [e for f in s["fields"] for e in f["expect"]]:
            if e["id"] == id_:
                return e
        raise KeyError(id_)

    if variant not in ("main", "fail_range", "fail_all", "sla"):
        raise SystemExit("unknown variant " + variant)
    if variant in ("fail_range", "fail_all"):
        find("purchases", "qty.range")["policy"] = "fail"
    if variant == "fail_all":
        find("purchases", "row.unique_order")["policy"] = "fail"
        next(f for f in by_name["purchases"]["fields"] if f["name"] == "amount")["on_invalid"] = None
        find("users", "ts.ordered")["policy"] = "fail"
    if variant == "sla":
        by_name["clicks"]["sla"]["min_rows"] = 100000
        find("purchases", "amount.mean")["arg"] = [1, 2]
        find("purchases", "amount.mean")["policy"] = "fail"
    return {"sources": sources, "order": SOURCE_ORDER, "now": NOW, "embedding": EMBEDDING,
            "products": PRODUCTS, "features": FEATURES, "set": SET_NAME}


# ------------------------------------------------------------------ YAML

def _yaml_scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if text and all(c.isalnum() or c in "_." for c in text) and text not in ("true", "false", "null"):
        return text
    return "'" + text.replace("'", "''") + "'"


def _yaml_value(value):
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_scalar(v) for v in value) + "]"
    return _yaml_scalar(value)


def _yaml_policy(policy):
    if isinstance(policy, tuple):
        return "{impute: %s}" % _yaml_scalar(policy[1])
    return policy


def _yaml_expect(e):
    arg = e["arg"]
    if e["kind"] == "unique" and len(arg) == 1:
        arg_text = _yaml_scalar(arg[0])      # the one-name form
    else:
        arg_text = _yaml_value(arg)
    return "{%s: %s, policy: %s}" % (e["kind"], arg_text, _yaml_policy(e["policy"]))


def catalog_yaml(spec):
    out = ["# Generated by tests/e2e/expectations/case.py: do not edit.",
           "entities:",
           "  - {name: user, join_key: user_id}",
           "  - {name: product, join_key: product_id}",
           "embeddings:",
           "  - {name: %s, entity: %s, dimension: %d, path: product_vec.csv}"
           % (spec["embedding"]["name"], spec["embedding"]["entity"], spec["embedding"]["dimension"]),
           "sources:"]
    for s in spec["sources"]:
        out.append("  - name: " + s["name"])
        out.append("    timestamp: " + s["timestamp"])
        out.append("    fields:")
        for f in s["fields"]:
            out.append("      - name: " + f["name"])
            out.append("        type: " + f["type"])
            if f["on_invalid"] is not None:
                out.append("        on_invalid: " + _yaml_policy(f["on_invalid"]))
            if f["expect"]:
                out.append("        expect:")
                for e in f["expect"]:
                    out.append("          - " + _yaml_expect(e))
        if s["expect"]:
            out.append("    expect:")
            for e in s["expect"]:
                out.append("      - " + _yaml_expect(e))
        sla = s.get("sla")
        if sla:
            parts = []
            for key in ("pass_rate", "min_rows"):
                if key in sla:
                    parts.append("%s: %s" % (key, _yaml_scalar(sla[key])))
            if sla.get("max_null_ratio"):
                parts.append("max_null_ratio: {%s}" % ", ".join(
                    "%s: %s" % (k, _yaml_scalar(v)) for k, v in sla["max_null_ratio"].items()))
            out.append("    sla: {%s}" % ", ".join(parts))
    return "\n".join(out) + "\n"


def features_yaml(spec):
    out = ["# Generated by tests/e2e/expectations/case.py: do not edit.", "features:"]
    for name, entity, function, source, window, where in spec["features"]:
        agg = "{function: %s, source: %s, window: %s%s}" % (
            function, source, window, ", where: " + _yaml_scalar(where) if where else "")
        out.append("  - {name: %s, entity: %s, aggregation: %s}" % (name, entity, agg))
    out.append("feature_sets:")
    out.append("  - name: %s" % spec["set"])
    out.append("    features: [%s]" % ", ".join(f[0] for f in spec["features"]))
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ data

def _t(micros):
    return format_time(micros)


def _money(rng, low=1.0, high=300.0):
    return repr(round(rng.uniform(low, high), 2))


class Rows:
    """A source file's rows in file order, with what each plants."""

    def __init__(self, source, columns):
        self.source = source
        self.columns = columns
        self.rows = []          # dicts column -> cell text (None: empty, null)
        self.plants = []        # per row: list of (expectation id, policy)

    def add(self, row, plants=()):
        self.rows.append(row)
        self.plants.append(list(plants))

    def insert(self, index, row, plants=()):
        self.rows.insert(index, row)
        self.plants.insert(index, list(plants))


def _policy_of(spec, source, id_):
    for s in spec["sources"]:
        if s["name"] == source:
            for f in s["fields"]:
                if id_ == f["name"] + ".invalid":
                    return f["on_invalid"] or "fail"
                for e in f["expect"]:
                    if e["id"] == id_:
                        return e["policy"]
            for e in s["expect"]:
                if e["id"] == id_:
                    return e["policy"]
    raise KeyError((source, id_))


def make_data(spec, seed):
    """Rows of the three sources, the embedding and the spine."""
    rng = random.Random(seed)
    users = ["u%04d" % i for i in range(1, 31)]

    # users: times strictly increasing in file order (ordered, max_gap 2d).
    u = Rows("users", ["ts", "user_id", "tier", "age"])
    for user in users:
        u.add({"ts": None, "user_id": user, "tier": rng.choice(["gold", "silver", "bronze"]),
               "age": str(rng.randint(18, 70)) if rng.random() > 0.1 else None})
    # (row, plants, kind of time): inserted at random places, in this order.
    u_plants = [
        ({"ts": "not-a-time", "user_id": "u0100", "tier": "gold", "age": "30"},
         ["ts.invalid"], "any"),
        ({"ts": None, "user_id": "u0101", "tier": "gold", "age": "30"}, ["ts.invalid"], "empty"),
        # u0500's only row: out of order, dropped; its purchases break exists_in.
        ({"user_id": "u0500", "tier": "gold", "age": "40"}, ["ts.ordered"], "earlier"),
        ({"user_id": "u0102", "tier": "silver", "age": "41"}, ["ts.max_gap"], "gap"),
        ({"user_id": None, "tier": "gold", "age": "35"}, ["user_id.not_null"], "next"),
        ({"user_id": "x17", "tier": "gold", "age": "35"}, ["user_id.matches"], "next"),
        ({"user_id": "u0103", "tier": "platinum", "age": "35"}, ["tier.in"], "next"),
        ({"user_id": "u0104", "tier": "silver", "age": "abc"}, ["age.invalid", "age.range"], "next"),
        ({"user_id": "u0105", "tier": "bronze", "age": "150"}, ["age.range"], "next"),
        ({"user_id": "u0003", "tier": "gold", "age": "33"}, ["row.unique_user"], "next"),
        # Dropped by matches before unique sees it: no unique violation.
        ({"user_id": "y0003", "tier": "gold", "age": "33"}, ["user_id.matches"], "next"),
        ({"user_id": "u0106", "tier": "bronze", "age": None}, [], "next"),
    ]
    for row, plants, kind in u_plants:
        row = dict(row, _kind=kind)
        u.insert(rng.randint(5, len(u.rows)), row, plants)
    # u0003 must come before its duplicate: move the duplicate to the end.
    dup = next(i for i, r in enumerate(u.rows) if r["user_id"] == "u0003" and r.get("_kind"))
    row, plants = u.rows.pop(dup), u.plants.pop(dup)
    u.add(row, plants)
    t = parse_time("2024-02-01T00:00:00Z")
    latest = None
    for row in u.rows:
        kind = row.pop("_kind", "next")
        if kind in ("any", "empty"):
            continue                                   # no time: latest unchanged
        if kind == "earlier":
            row["ts"] = _t(latest - 5 * HOUR)
            continue
        step = 3 * DAY if kind == "gap" else rng.randint(2, 10) * HOUR
        t = (latest if latest is not None else t) + step
        row["ts"] = _t(t)
        latest = t

    accepted_users = [r["user_id"] for r, p in zip(u.rows, u.plants)
                      if r["user_id"] in users or r["user_id"] in ("u0102", "u0103", "u0104",
                                                                    "u0105", "u0106")]

    # purchases: times at random in February and March, before now.
    p = Rows("purchases", ["order_id", "ts", "user_id", "product_id", "amount", "qty",
                           "category", "coupon", "discount", "note"])
    start, end = parse_time("2024-02-05T00:00:00Z"), NOW_MICROS - HOUR
    order = [1000]
    coupons = iter("C%03d" % i for i in range(100, 1000))

    def purchase(**over):
        order[0] += 1
        amount = _money(rng)
        row = {"order_id": str(order[0]), "ts": _t(rng.randrange(start, end, MICROS)),
               "user_id": rng.choice(accepted_users), "product_id": rng.choice(PRODUCTS),
               "amount": amount, "qty": str(rng.randint(1, 5)),
               "category": rng.choice(["books", "food", "games"]),
               "coupon": next(coupons) if rng.random() < 0.2 else None,
               "discount": repr(round(float(amount) * rng.random() * 0.5, 2)),
               "note": rng.choice(["", "gift", "x"])}
        row.update(over)
        return row

    for _ in range(120):
        p.add(purchase())
    dropped_qty_order = "5001"
    p_plants = [
        (purchase(ts="yesterday"), ["ts.invalid"]),
        (purchase(ts=None), ["ts.invalid"]),
        (purchase(ts=_t(NOW_MICROS + 2 * DAY)), ["ts.max_future"]),
        (purchase(ts=_t(NOW_MICROS + DAY)), []),                 # exactly at the bound
        (purchase(user_id=None, category="toys"), ["user_id.not_null"]),
        (purchase(user_id="u0999"), ["user_id.exists_in"]),
        (purchase(user_id="u0500"), ["user_id.exists_in"]),
        (purchase(user_id="u0500"), ["user_id.exists_in"]),
        (purchase(product_id="p999"), ["product_id.exists_in"]),
        (purchase(amount="12.x", discount="0"), ["amount.invalid"]),
        (purchase(amount="2500", qty="5", discount="10"), ["amount.range"]),
        (purchase(amount="-5", discount="-5"), ["amount.range"]),
        (purchase(qty="two"), ["qty.invalid", "qty.not_null"]),
        (purchase(qty=None), ["qty.not_null"]),
        (purchase(qty="80", order_id=dropped_qty_order), ["qty.range"]),
        (purchase(amount="900", qty="10", discount="1"), ["row.expr_total"]),
        (purchase(amount=None), ["row.expr_total"]),
        # Dropped by the expr, which runs before exists_in: exists_in unseen.
        (purchase(amount="900", qty="10", user_id="u0998"), ["row.expr_total"]),
        (purchase(discount=None), ["row.expr_discount"]),
        (purchase(amount="10", discount="999"), ["row.expr_discount"]),
        (purchase(category="toys"), ["category.in"]),
        (purchase(category='""'), ["category.in"]),
        (purchase(category=None), []),
        (purchase(coupon="X1"), ["coupon.matches"]),
        (purchase(order_id=None), []),
        (purchase(order_id=None), []),
    ]
    for row, plants in p_plants:
        p.insert(rng.randint(1, len(p.rows)), row, plants)
    # Plants that refer to earlier rows go at the end, after what they copy.
    first = next(r for r, pl in zip(p.rows, p.plants) if not pl and r["order_id"] is not None)
    p.add(purchase(order_id=first["order_id"], note="hello, \"quoted\" world"),
          ["row.unique_order"])
    p.add(purchase(order_id=dropped_qty_order), [])         # the first one was dropped
    with_coupon = next(r for r, pl in zip(p.rows, p.plants) if r["coupon"] and not pl)
    p.add(purchase(user_id=with_coupon["user_id"], coupon=with_coupon["coupon"]),
          ["row.unique_coupon"])
    p.add(purchase(user_id=with_coupon["user_id"], coupon=None), [])

    # clicks
    c = Rows("clicks", ["ts", "user_id", "product_id", "dwell", "device"])
    cstart = parse_time("2024-02-20T00:00:00Z")
    seen = set()

    def click(**over):
        while True:
            row = {"ts": _t(rng.randrange(cstart, end, MICROS)), "user_id": rng.choice(accepted_users),
                   "product_id": rng.choice(PRODUCTS), "dwell": repr(round(rng.uniform(1, 90), 1)),
                   "device": rng.choice(["ios", "android", "web"])}
            row.update(over)
            if (row["user_id"], row["ts"]) not in seen or "ts" in over:
                seen.add((row["user_id"], row["ts"]))
                return row

    for _ in range(120):
        c.add(click())
    far = NOW_MICROS + 5 * DAY
    c_plants = [
        (click(ts="1709251200x"), ["ts.invalid"]),
        (click(ts=_t(far), dwell="0.5", user_id="u0002"), ["ts.max_future", "row.expr_dwell"]),
        (click(user_id="u0999"), ["user_id.exists_in"]),
        (click(user_id="x17"), ["user_id.exists_in"]),
        (click(product_id="p777"), ["product_id.exists_in"]),
        (click(dwell="abc"), ["dwell.invalid"]),
        (click(dwell="1000"), ["dwell.range"]),
        (click(dwell="-3"), ["dwell.range", "row.expr_dwell"]),
        (click(dwell="0.25"), ["row.expr_dwell"]),
        (click(dwell=None), ["row.expr_dwell"]),
        (click(device="tv"), ["device.in"]),
        (click(device=None), ["device.not_null"]),
        # A drop ends the row's checks, and exists_in runs after the
        # others: the unknown user is never looked up.
        (click(device="tv", user_id="u0999"), ["device.in"]),
    ]
    for row, plants in c_plants:
        c.insert(rng.randint(1, len(c.rows)), row, plants)
    c.add(click(ts=_t(far), user_id="u0001"), ["ts.max_future"])
    # clamped to now + 1h like the row above: then a unique violation.
    c.add(click(ts=_t(far + HOUR), user_id="u0001"), ["ts.max_future", "row.unique_click"])
    twin = next(r for r, pl in zip(c.rows, c.plants) if not pl)
    c.add(click(ts=twin["ts"], user_id=twin["user_id"]), ["row.unique_click"])

    # The spine: known users (and the ones the plants make interesting),
    # products, times across the data and after the clamped ones.
    spine = []
    special = ["u0001", "u0002", "u0003", "u0104", "u0105", "u0500", "u0999", "x17", "u0103"]
    times = [parse_time("2024-02-10T00:00:00Z") + k * 12 * HOUR for k in range(60)]
    times += [NOW_MICROS + HOUR, NOW_MICROS + HOUR + 1, NOW_MICROS + 3 * DAY]
    for k in range(70):
        user = special[k % len(special)] if k < 2 * len(special) else rng.choice(users)
        product = rng.choice(PRODUCTS + ["p999", "p777"])
        spine.append({"timestamp": _t(rng.choice(times)), "user_id": user, "product_id": product})

    vectors = [(key, repr(round(rng.uniform(-1, 1), 3)), repr(round(rng.uniform(-1, 1), 3)))
               for key in PRODUCTS]
    return {"users": u, "purchases": p, "clicks": c, "spine": spine, "embedding": vectors}


def _cell(text):
    if text is None:
        return ""
    if text == '""':
        return '""'                     # the empty string, written as such
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def write_case(out, seed, variant):
    """Writes every file of the case into out; returns the planted list."""
    os.makedirs(out, exist_ok=True)
    spec = make_spec(variant)
    data = make_data(spec, seed)
    with open(os.path.join(out, "catalog.yaml"), "w") as f:
        f.write(catalog_yaml(spec))
    with open(os.path.join(out, "features.yaml"), "w") as f:
        f.write(features_yaml(spec))
    planted = []
    for name in ("users", "purchases", "clicks"):
        rows = data[name]
        path = name + ".csv"
        with open(os.path.join(out, path), "w", newline="") as f:
            f.write(",".join(rows.columns) + "\n")
            for line, (row, plants) in enumerate(zip(rows.rows, rows.plants), start=2):
                f.write(",".join(_cell(row[c]) for c in rows.columns) + "\n")
                for id_ in plants:
                    policy = _policy_of(spec, name, id_)
                    planted.append({"file": path, "line": line, "source": name,
                                    "expectation": id_,
                                    "policy": policy if isinstance(policy, str) else "impute"})
    with open(os.path.join(out, "spine.csv"), "w", newline="") as f:
        f.write("timestamp,user_id,product_id\n")
        for row in data["spine"]:
            f.write("%s,%s,%s\n" % (row["timestamp"], row["user_id"], row["product_id"]))
    with open(os.path.join(out, "product_vec.csv"), "w", newline="") as f:
        f.write("key,v0,v1\n")
        for key, a, b in data["embedding"]:
            f.write("%s,%s,%s\n" % (key, a, b))
    with open(os.path.join(out, "planted.json"), "w") as f:
        json.dump(planted, f, indent=1)
    return spec, planted


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--variant", default="main")
    args = parser.parse_args()
    write_case(args.out, args.seed, args.variant)


if __name__ == "__main__":
    main()
