"""fdl - fdlc from Python: check and compile feature definitions, build
point-in-time correct training sets as pandas DataFrames (the values of
`fdlc batch`, bit for bit), and serve features from an in-process store.

    import fdl
    fdl.check(["catalog.yaml", "features.yaml"])           # [] when all is well
    df = fdl.training_set(files, sources={"purchases": purchases_df},
                          spine=spine_df, feature_set="ranking_v1")
    store = fdl.Store(files)
    store.ingest("purchases", purchases_df)
    store.get("ranking_v1", ("u0001", "p0002"), at="2024-03-01T00:00:00Z")

See docs/python.md.
"""
from ._api import Store, build, check, compile, training_set
from ._fdlc import Diagnostic, fdlc_path, set_fdlc
from .errors import (DataError, DefinitionError, Error, ExpectationError, HistoryError,
                     LimitError, ToolError)

__version__ = "0.1.0"

__all__ = ["check", "compile", "build", "training_set", "Store", "Diagnostic", "set_fdlc",
           "fdlc_path", "Error", "DefinitionError", "DataError", "ExpectationError",
           "HistoryError", "LimitError", "ToolError"]
