"""fdl.Store: the serving path in-process. Its reads equal the training set's
values bit for bit (batch and serving are one computation), keys and times in
every form the API takes, errors as fdl exceptions with fdlc's message."""
import struct

import numpy as np
import pandas as pd
import pytest

import fdl
from conftest import SEED, SEED_DATA, TYPES, make_events
from test_training_set import FEATURE_DTYPES


def bits(x):
    return struct.pack("<d", x)


def same(a, b):
    if a is None or a is pd.NA or a is pd.NaT or (isinstance(a, float) and np.isnan(a)):
        return b is None or b is pd.NA or b is pd.NaT or (isinstance(b, float) and np.isnan(b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and [bits(x) for x in a] == [bits(x) for x in b]
    if isinstance(a, float):
        return isinstance(b, float) and bits(a) == bits(b)
    return a == b


@pytest.fixture()
def store(frames):
    events, _ = frames
    with fdl.Store(TYPES, keep_history=True) as s:
        assert s.ingest("events", events) == len(events)
        yield s


def test_reads_equal_the_training_set(store, frames):
    _, spine = frames
    frame = fdl.training_set(TYPES, sources={"events": frames[0]}, spine=spine, feature_set="user_all")
    for i in range(len(spine)):
        row = spine.iloc[i]
        request = {"rate": None if pd.isna(row["rate"]) else row["rate"]}
        got = store.get("user_all", row["user_id"], at=row["timestamp"], request=request)
        for name in FEATURE_DTYPES:
            assert same(got[name], frame[name].iloc[i]), (name, i, got[name], frame[name].iloc[i])


def test_many_keys_give_a_dataframe_typed_like_the_training_set(store, frames):
    _, spine = frames
    frame = fdl.training_set(TYPES, sources={"events": frames[0]}, spine=spine, feature_set="user_all")
    got = store.get("user_all", spine, at="timestamp", request={"rate": "rate"})
    assert list(got.columns) == list(FEATURE_DTYPES)
    for name, dtype in FEATURE_DTYPES.items():
        assert str(got[name].dtype) == dtype, name
        assert all(same(a, b) for a, b in zip(got[name], frame[name])), name


def test_key_forms_and_composite_keys(store):
    at = "2024-01-20T00:00:00Z"
    by_tuple = store.get("by_item", (2, "b,c"), at=at)
    by_dict = store.get("by_item", {"store_id": 2, "sku": "b,c"}, at=at)
    by_text = store.get("by_item", ("2", "b,c"), at=at)
    assert by_tuple == by_dict == by_text
    assert by_tuple["item_n"] > 0
    many = store.get("by_item", [(2, "b,c"), (1, 'q"t'), (99, "none")], at=pd.Timestamp(at))
    assert list(many["item_n"])[0] == by_tuple["item_n"]
    assert many["item_n"].iloc[2] == 0 and np.isnan(many["item_avg"].iloc[2])
    assert store.get_feature("n", "u1", at=at) == store.get("user_all", "u1", at=at)["n"]


def test_ingest_takes_rows_dicts_and_text():
    rows = make_events(50, seed=5)
    fields = ["ts", "user_id", "store_id", "sku", "amount", "qty", "ok", "note"]
    with fdl.Store([TYPES], keep_history=True) as by_dict, fdl.Store(TYPES, keep_history=True) as by_row:
        assert by_dict.ingest("events", rows) == 50
        assert by_row.ingest("events", [[r[f] for f in fields] for r in rows]) == 50
        assert by_row.sources["events"] == fields
        at = "2024-03-01T00:00:00Z"
        for user in ("u0", "u1", "u5"):
            a, b = by_dict.get("user_all", user, at=at), by_row.get("user_all", user, at=at)
            assert all(same(a[k], b[k]) for k in a)
        assert by_dict.stats()["events_ingested"] == 50
        assert by_dict.source_counts("events")["accepted"] == 50


def test_errors_are_fdl_exceptions_with_the_message(store):
    with pytest.raises(fdl.Error, match="no feature set named 'nope'"):
        store.get("nope", "u1")
    with pytest.raises(fdl.Error, match="no source named"):
        store.ingest("nope", [])
    with pytest.raises(fdl.DataError, match="amount"):
        store.ingest("events", {"ts": "2024-01-01T00:00:00Z", "user_id": "u1", "amount": "lots"})
    with pytest.raises(fdl.DataError):
        store.get("by_item", ("not a number", "a"), at="2024-01-02T00:00:00Z")
    with pytest.raises(fdl.Error, match="2 columns"):
        store.get("by_item", (1,), at="2024-01-02T00:00:00Z")
    with pytest.raises(fdl.Error, match="request field"):
        store.get("user_all", "u1", request={"nope": 1})
    with pytest.raises(fdl.DataError):
        store.get("user_all", "u1", at="not a time")


def test_reads_behind_evicted_history_raise_history_error(frames):
    events, _ = frames
    with fdl.Store(TYPES) as s:
        s.ingest("events", events)
        with pytest.raises(fdl.HistoryError, match="evicted"):
            s.get("user_all", "u1", at="2024-01-02T00:00:00Z")
        # "now" is far after every event: windows are empty, not an error.
        now = s.get("user_all", "u1")
        assert now["n"] == 0 and now["last3"] is None


def test_a_store_over_a_built_library_with_embeddings(tmp_path):
    lib = fdl.build(SEED, tmp_path, "seedlib")
    with fdl.Store(lib=lib, embeddings={"user2vec_v3": SEED_DATA + "/user2vec_v3.csv"},
                   keep_history=True) as s:
        s.ingest("purchases", pd.read_csv(SEED_DATA + "/purchases.csv", dtype=str))
        s.ingest("orders", pd.read_csv(SEED_DATA + "/orders.csv", dtype=str))
        got = s.get("ranking_v1", ("u0002", "p0009"), at="2024-01-24T10:10:56Z")
        assert got["user_purchase_count_30d"] == 10
        assert got["user_avg_order_value_90d"] == 8703.265625
        assert got["user_embedding"].shape == (128,) and isinstance(got["user_product_affinity"], float)
    with pytest.raises(fdl.Error, match="libNAME.so"):
        fdl.Store(lib=str(tmp_path / "seedlib.so"))


def test_limits_refuse_events_with_limit_error():
    rows = make_events(40, seed=8)
    with fdl.Store(TYPES) as s:
        s.set_limits(max_entities=1)
        with pytest.raises(fdl.LimitError):
            s.ingest("events", [r for r in rows if r["user_id"] is not None])
        assert s.stats()["entities"] >= 1


def test_stores_and_training_sets_over_different_definitions_in_one_process(data_dir, tmp_path):
    # Each builds and loads its own library (the same name each time), many times over:
    # a library must never be mistaken for another, nor leak its mapping.
    import gc
    for round in range(3):
        with fdl.Store(SEED) as seed, fdl.Store(TYPES) as types:
            assert "ranking_v1" in seed.feature_sets and "user_all" in types.feature_sets
        frame = fdl.training_set(TYPES, sources={"events": data_dir / "events.csv"},
                                 spine=data_dir / "spine.csv", feature_set="by_item")
        assert list(frame.columns)[-2:] == ["item_n", "item_avg"]
        gc.collect()
    with open("/proc/self/maps", encoding="utf-8") as f:
        assert sum("libpyfeatures.so" in line for line in f) < 20


def test_pandas_read_csv_frames_ingest_as_the_text_does(data_dir):
    # pd.read_csv makes an int column with missing values float64 (qty, 5.0 for 5), bools
    # objects with NaN, and times strings: all must mean what the CSV text means.
    typed = pd.read_csv(data_dir / "events.csv", float_precision="round_trip")
    assert typed["qty"].dtype == np.float64 and typed["qty"].isna().any()
    text = pd.read_csv(data_dir / "events.csv", dtype=str, keep_default_na=False, na_values=[""])
    with fdl.Store(TYPES, keep_history=True) as a, fdl.Store(TYPES, keep_history=True) as b:
        assert a.ingest("events", typed) == b.ingest("events", text) == len(text)
        keys = pd.DataFrame({"user_id": ["u%d" % i for i in range(12)]})
        at = "2024-01-25T00:00:00Z"
        x = a.get("user_all", keys, at=at, request={"rate": 2.0})
        y = b.get("user_all", keys, at=at, request={"rate": 2.0})
        for name in FEATURE_DTYPES:
            assert all(same(p, q) for p, q in zip(x[name], y[name])), name
        assert x["qty_sum"].notna().any()
        # a float key for an int64 key column (store_id 2.0) reads as 2
        assert a.get("by_item", (2.0, "a"), at=at) == a.get("by_item", (2, "a"), at=at)


def test_training_set_keeps_the_spines_index(data_dir, frames):
    events, spine = frames
    spine = spine.set_index(pd.Index(range(1000, 1000 + len(spine))))
    spine["store_id"] = spine["store_id"].astype(float)     # as pandas makes it with gaps
    frame = fdl.training_set(TYPES, sources={"events": events}, spine=spine, feature_set="by_item")
    assert list(frame.index) == list(spine.index)
    assert frame["item_n"].sum() > 0
