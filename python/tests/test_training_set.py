"""fdl.training_set: typed columns holding exactly (bit for bit) the values
of `fdlc batch`, whose CSV is read here independently with the csv module
and float()."""
import datetime
import json
import math
import struct
import subprocess

import numpy as np
import pandas as pd
import pytest

import fdl
from conftest import SEED, SEED_DATA, TYPES, read_reference

FEATURE_DTYPES = {"n": "Int64", "total": "float64", "qty_sum": "Int64", "avg": "float64",
                  "last_ok": "boolean", "last_note": "string", "latest": "datetime64[ns, UTC]",
                  "last3": "object", "pcts": "object", "tip": "float64"}


def bits(x):
    return struct.pack("<d", x)


def batch_reference(tmp_path, files, sources, spine, feature_set):
    out = tmp_path / "reference.csv"
    args = [fdl.fdlc_path(), "batch"] + files
    for name, path in sources.items():
        args += ["--source", "%s=%s" % (name, path)]
    args += ["--spine", str(spine), "--out", str(out), "--set", feature_set]
    subprocess.run(args, check=True, stderr=subprocess.DEVNULL)
    return read_reference(out)


def same_value(cell, value, kind):
    """The typed value equals fdlc batch's CSV cell (csv module: null and "" both read '')."""
    missing = value is None or value is pd.NA or value is pd.NaT or (
        isinstance(value, float) and math.isnan(value))
    if kind == "string":
        return (cell == "" and (missing or value == "")) or (not missing and value == cell)
    if cell == "":
        return missing
    if missing:
        return False
    if kind == "Int64":
        return int(cell) == value
    if kind == "float64":
        return bits(float(cell)) == bits(value)
    if kind == "boolean":
        return {"true": True, "false": False}[cell] == value
    if kind == "datetime64[ns, UTC]":
        return datetime.datetime.fromisoformat(cell.replace("Z", "+00:00")) == value.to_pydatetime()
    # vectors: a JSON array per cell, a 1-d float64 array per value
    expected = [float(x) for x in json.loads(cell, parse_float=str, parse_int=str)]
    return (isinstance(value, np.ndarray) and value.dtype == np.float64 and value.ndim == 1
            and [bits(x) for x in expected] == [bits(x) for x in value])


def assert_identical(frame, header, rows, kinds):
    assert list(frame.columns) == header
    assert len(frame) == len(rows)
    for j, name in enumerate(header):
        kind = kinds.get(name)
        if kind is None:
            continue
        column = frame[name]
        for i, row in enumerate(rows):
            assert same_value(row[j], column.iloc[i], kind), (name, i, row[j], column.iloc[i])


def test_values_are_those_of_fdlc_batch(tmp_path, data_dir):
    events, spine = data_dir / "events.csv", data_dir / "spine.csv"
    header, rows = batch_reference(tmp_path, [TYPES], {"events": events}, spine, "user_all")
    frame = fdl.training_set(TYPES, sources={"events": str(events)}, spine=str(spine),
                             feature_set="user_all")
    assert_identical(frame, header, rows, FEATURE_DTYPES)
    # Not vacuous: every kind of value occurs, nulls too.
    assert frame["last_note"].eq("").any() and frame["last_note"].isna().any()
    assert frame["last_ok"].eq(True).any() and frame["last_ok"].isna().any()
    assert frame["last3"].map(lambda v: v is not None and len(v) == 3).any()
    assert frame["pcts"].map(lambda v: v is not None and v.shape == (2,)).any()
    assert frame["tip"].notna().any() and frame["tip"].isna().any()


def test_column_types(data_dir):
    frame = fdl.training_set([TYPES], sources={"events": data_dir / "events.csv"},
                             spine=data_dir / "spine.csv", feature_set="user_all")
    for name, dtype in FEATURE_DTYPES.items():
        assert str(frame[name].dtype) == dtype, name
    # Spine columns from a CSV: keys and time typed by the definitions, others inferred.
    assert str(frame["user_id"].dtype) == "string"
    assert str(frame["store_id"].dtype) == "Int64"
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert str(frame["label"].dtype) == "Int64"
    assert str(frame["rate"].dtype) == "float64"
    vectors = frame["pcts"].dropna()
    assert all(isinstance(v, np.ndarray) and v.shape == (2,) and v.dtype == np.float64 for v in vectors)


def test_dataframe_inputs_give_the_same_frame(data_dir, frames):
    events, spine = frames
    from_files = fdl.training_set(TYPES, sources={"events": data_dir / "events.csv"},
                                  spine=data_dir / "spine.csv", feature_set="user_all")
    from_frames = fdl.training_set(TYPES, sources={"events": events}, spine=spine,
                                   feature_set="user_all")
    # The spine's columns come back as given.
    pd.testing.assert_frame_equal(from_frames[list(spine.columns)], spine)
    for name, kind in FEATURE_DTYPES.items():
        a, b = from_files[name], from_frames[name]
        if kind == "object":
            assert all((x is None and y is None) or (x is not None and y is not None and
                       [bits(v) for v in x] == [bits(v) for v in y]) for x, y in zip(a, b)), name
        else:
            pd.testing.assert_series_equal(a, b, check_exact=True)


def test_seed_example_matches_fdlc_batch(tmp_path):
    sources = {"purchases": SEED_DATA + "/purchases.csv", "orders": SEED_DATA + "/orders.csv"}
    spine = SEED_DATA + "/spine.csv"
    header, rows = batch_reference(tmp_path, SEED, sources, spine, "ranking_v1")
    frame = fdl.training_set(SEED, sources=sources, spine=spine, feature_set="ranking_v1")
    kinds = {"user_purchase_count_30d": "Int64", "user_avg_order_value_90d": "float64",
             "product_embedding": "object", "user_embedding": "object",
             "user_product_affinity": "float64"}
    assert_identical(frame, header, rows, kinds)
    assert frame["product_embedding"].map(lambda v: v is not None and v.shape == (128,)).any()


def test_a_prebuilt_library_and_threads_give_the_same(tmp_path, data_dir):
    lib = fdl.build(TYPES, tmp_path, "typesfeatures")
    a = fdl.training_set(TYPES, sources={"events": data_dir / "events.csv"},
                         spine=data_dir / "spine.csv", feature_set="by_item", lib=lib, threads=3)
    b = fdl.training_set(TYPES, sources={"events": data_dir / "events.csv"},
                         spine=data_dir / "spine.csv", feature_set="by_item", threads=1)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert str(a["item_n"].dtype) == "Int64"


def test_errors_carry_fdlcs_message(tmp_path, data_dir):
    with pytest.raises(fdl.Error, match="no_such_set"):
        fdl.training_set(TYPES, sources={"events": data_dir / "events.csv"},
                         spine=data_dir / "spine.csv", feature_set="no_such_set")
    with pytest.raises(fdl.Error, match="events"):
        fdl.training_set(TYPES, sources={}, spine=data_dir / "spine.csv")
    broken = tmp_path / "broken.csv"
    broken.write_text("ts,user_id,store_id,sku,amount,qty,ok,note\n2024-01-01T00:00:00Z,u1,1,a,notanumber,1,true,x\n")
    strict = tmp_path / "strict.fdl"
    strict.write_text("entity user { key user_id }\n"
                      "source events at ts { ts: timestamp, user_id: string, amount: float64 on_invalid fail }\n"
                      "feature n of user = count(events) over 1d\n")
    broken.write_text("ts,user_id,amount\n2024-01-01T00:00:00Z,u1,notanumber\n")
    with pytest.raises(fdl.ExpectationError, match="amount"):
        fdl.training_set(str(strict), sources={"events": broken}, spine=data_dir / "spine.csv")
    with pytest.raises(TypeError):
        fdl.training_set(TYPES, sources={"events": 42}, spine=data_dir / "spine.csv")


def test_embedding_paths_can_be_overridden(tmp_path):
    sources = {"purchases": SEED_DATA + "/purchases.csv", "orders": SEED_DATA + "/orders.csv"}
    spine = SEED_DATA + "/spine.csv"
    # A user table whose every vector is [1, 0, ...]: the affinity is then a product vector's
    # first element over its norm, different from the definitions' table.
    ones = tmp_path / "users.csv"
    with open(SEED_DATA + "/user2vec_v3.csv", encoding="utf-8") as f:
        lines = f.read().splitlines()
    ones.write_text(lines[0] + "\n" + "".join(
        line.split(",")[0] + "," + ",".join(["1"] + ["0"] * 127) + "\n" for line in lines[1:]))
    default = fdl.training_set(SEED, sources=sources, spine=spine, feature_set="ranking_v1")
    other = fdl.training_set(SEED, sources=sources, spine=spine, feature_set="ranking_v1",
                             embeddings={"user2vec_v3": ones})
    assert other["user_embedding"].dropna().map(lambda v: v[0] == 1.0 and not v[1:].any()).all()
    assert not default["user_product_affinity"].equals(other["user_product_affinity"])
