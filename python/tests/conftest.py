"""conftest.py - shared fixtures of the fdl tests: the tree's paths, and
deterministic event and spine data (as CSV files and as DataFrames) that
exercise every column type, nulls, empty strings, awkward text and floats
that need all 17 digits.

Run by ctest (python/CMakeLists.txt) with the module installed into the
build tree; FDLC names the fdlc under test, FDLC_CACHE_DIR its cache.
"""
import csv
import math
import os
import random

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
TYPES = os.path.join(HERE, "data", "types.fdl")
SEED = [os.path.join(ROOT, "examples", "seed", "catalog.yaml"),
        os.path.join(ROOT, "examples", "seed", "features.yaml")]
SEED_DATA = os.path.join(ROOT, "examples", "seed", "data")

USERS = ["u%d" % i for i in range(12)]
ITEMS = [(s, k) for s in (1, 2, -7) for k in ("a", "b,c", 'q"t')]
NOTES = ["plain", "", None, "comma, inside", 'quote " inside', "line\nbreak", "ünïcødé ✓", " padded "]


def _time(seconds):
    """RFC 3339 with a fraction now and then."""
    whole, frac = divmod(seconds, 1)
    import datetime
    t = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(seconds=int(whole))
    text = t.strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += (".%06d" % round(frac * 1e6)).rstrip("0")
    return text + "Z"


def make_events(n=600, seed=11):
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        seconds = rng.randrange(0, 40 * 86400) + rng.choice([0, 0, 0.25, 0.123456])
        store, sku = rng.choice(ITEMS)
        amount = rng.choice([rng.random() * 1000, rng.uniform(-5, 5), 1e-300, 1.7976931348623157e300,
                             -0.0, 0.1 + 0.2, None])
        qty = rng.choice([rng.randrange(-100, 100), 2 ** 40, None])
        ok = rng.choice([True, False, None])
        rows.append({"ts": _time(seconds), "user_id": rng.choice(USERS + [None]), "store_id": store,
                     "sku": sku, "amount": amount, "qty": qty, "ok": ok, "note": rng.choice(NOTES)})
    return rows


def make_spine(n=150, seed=12):
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        store, sku = rng.choice(ITEMS)
        rows.append({"user_id": rng.choice(USERS + ["nobody"]), "store_id": store, "sku": sku,
                     "timestamp": _time(rng.randrange(0, 42 * 86400)), "label": i % 3,
                     "rate": rng.choice([0.5, 1.25, None])})
    return rows


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        assert math.isfinite(value)
        return repr(value)
    return str(value)


def write_rows(path, rows):
    """CSV with the csv module; null is an empty cell, the empty string a quoted one."""
    columns = list(rows[0])
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(",".join(columns) + "\n")
        for row in rows:
            cells = []
            for c in columns:
                v = row[c]
                text = _cell(v)
                if v is not None and (text == "" or any(ch in text for ch in ',"\n\r ')):
                    text = '"' + text.replace('"', '""') + '"'
                cells.append(text)
            f.write(",".join(cells) + "\n")
    return path


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("data")
    write_rows(str(d / "events.csv"), make_events())
    write_rows(str(d / "spine.csv"), make_spine())
    return d


@pytest.fixture(scope="session")
def frames():
    """The same events and spine as DataFrames with pandas' own types."""
    import pandas as pd
    events = pd.DataFrame(make_events())
    events["ts"] = pd.to_datetime(events["ts"], utc=True)
    events["qty"] = events["qty"].astype("Int64")
    events["ok"] = events["ok"].astype("boolean")
    events["note"] = events["note"].astype("string")
    spine = pd.DataFrame(make_spine())
    spine["timestamp"] = pd.to_datetime(spine["timestamp"], utc=True)
    return events, spine


def read_reference(path):
    """fdlc batch's CSV with the csv module: header and rows of str."""
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]
