# %% [markdown]
# # fdl from Python: the seed example
#
# A notebook in script form (cells start with `# %%`; Jupyter, VS Code and
# jupytext open it as a notebook, `python3 quickstart.py` runs it whole).
# It checks the seed definitions, builds a point-in-time correct training
# set as a pandas DataFrame, then serves the same features from an
# in-process store and shows that both paths agree.
#
# Needs the module installed (`/usr/bin/python3 -m pip install
# --no-build-isolation --no-index ./python`, see docs/python.md) and fdlc
# (on PATH, or $FDLC).

# %%
import os

import numpy as np
import pandas as pd

import fdl

SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "seed")
FILES = [os.path.join(SEED, "catalog.yaml"), os.path.join(SEED, "features.yaml")]
DATA = os.path.join(SEED, "data")

# %% [markdown]
# ## Check the definitions
# `fdl.check` returns fdlc's diagnostics (file, line, column, severity, message).

# %%
diagnostics = fdl.check(FILES)
print("diagnostics:", diagnostics or "none")
assert not [d for d in diagnostics if d.severity == "error"]

# %% [markdown]
# ## A training set
# Sources and spine may be CSV paths or DataFrames. The values are those of
# `fdlc batch`, bit for bit; the columns are typed (Int64, float64,
# datetime64[ns, UTC], string, vectors as numpy arrays).

# %%
purchases = pd.read_csv(os.path.join(DATA, "purchases.csv"))
orders = pd.read_csv(os.path.join(DATA, "orders.csv"))
spine = pd.read_csv(os.path.join(DATA, "spine.csv"))
spine["timestamp"] = pd.to_datetime(spine["timestamp"], utc=True)

training = fdl.training_set(FILES, sources={"purchases": purchases, "orders": orders},
                            spine=spine, feature_set="ranking_v1")
print(training.dtypes)
print(training[["user_id", "product_id", "timestamp", "user_purchase_count_30d",
                "user_avg_order_value_90d", "user_product_affinity"]].head())

# %% [markdown]
# ## Serving the same features
# A store in this process: ingest events, read a feature set as of a time.

# %%
store = fdl.Store(FILES, keep_history=True)
store.ingest("purchases", purchases)
store.ingest("orders", orders)

first = spine.iloc[0]
served = store.get("ranking_v1", (first["user_id"], first["product_id"]), at=first["timestamp"])
print({k: (v if not isinstance(v, np.ndarray) else "vector[%d]" % len(v)) for k, v in served.items()})

# %% [markdown]
# Every spine row read from the store equals the training set's row.

# %%
served_all = store.get("ranking_v1", spine, at="timestamp")
for column in ["user_purchase_count_30d", "user_avg_order_value_90d", "user_product_affinity"]:
    pd.testing.assert_series_equal(served_all[column], training[column], check_exact=True)
print("batch and serving agree on %d rows" % len(spine))
store.close()
