"""_convert.py - between Python/pandas values and the runtime's text and values.

Into the runtime everything goes as text, the way a CSV cell would, and is
parsed by the runtime itself (so a value means the same in Python as in
fdlc batch): floats as repr() (shortest text that reads back to the same
double), timestamps as RFC 3339 in UTC with microseconds, bools as
true/false, null (None, NaN, NaT, pandas.NA) as no cell.

Out of it, columns get pandas' nullable types: int64 -> Int64, float64 ->
float64 (null: NaN), bool -> boolean, timestamp -> datetime64[ns, UTC],
string -> string, vectors -> object column of 1-d float64 numpy arrays
(null: None).
"""
import datetime
import json
import math
import numbers
import re
import warnings

import numpy as np
import pandas as pd

from . import _native
from .errors import from_native

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def is_null(value):
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, np.floating) and np.isnan(value):
        return True
    if isinstance(value, np.datetime64) and np.isnat(value):
        return True
    return False


def parse_time(text):
    """Microseconds since the epoch of an RFC 3339 text or epoch seconds (the runtime's parser)."""
    try:
        return _native.parse_time(text)
    except _native.NativeError as e:
        raise from_native(e) from None


def time_micros(value):
    """A time as microseconds since the epoch: str (RFC 3339 or epoch seconds,
    the runtime's parser), datetime (naive = UTC), pandas.Timestamp, numpy.datetime64."""
    if isinstance(value, str):
        return parse_time(value)
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        if value.tzinfo is None:
            value = value.tz_localize("UTC")
        return int(value.value // 1000)    # ns -> us, truncated toward -inf like the runtime's floor
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        delta = value - _EPOCH
        return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds
    if isinstance(value, datetime.date):
        return time_micros(datetime.datetime(value.year, value.month, value.day))
    raise TypeError("fdl: a time must be a str, datetime, pandas.Timestamp or numpy.datetime64, not %s"
                    % type(value).__name__)


def to_text(value, kind=None):
    """The cell text of one value, or None for null. kind: the runtime type it goes to,
    when known: an int64 given as an integral float (pandas makes an int column with
    missing values float64) is written as the integer."""
    if is_null(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if kind == "int64" and value.is_integer() and abs(value) < 2.0 ** 63:
            return str(int(value))
        return repr(value)
    if isinstance(value, (datetime.datetime, datetime.date, np.datetime64, pd.Timestamp)):
        return _native.format_time(time_micros(value))
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (list, tuple, np.ndarray)):
        return json.dumps([float(x) for x in value])
    return str(value)


def column_texts(series, kind=None):
    """A pandas Series as cell texts (None for null); kind as for to_text."""
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        values = series.dt.tz_convert("UTC") if series.dt.tz is not None else series
        micros = values.array.asi8 // 1000 if hasattr(values.array, "asi8") else None
        if micros is not None:
            nat = series.isna().to_numpy()
            return [None if n else _native.format_time(int(m)) for m, n in zip(micros, nat)]
    return [to_text(v, kind) for v in series.tolist()]


def write_csv(frame, path, kinds=None):
    """Writes a DataFrame as a CSV fdlc reads: a header, cells as to_text (kinds: {column:
    runtime type} where known), null as an empty unquoted cell, the empty string as ""."""
    kinds = kinds or {}
    columns = [column_texts(frame.iloc[:, i], kinds.get(c)) for i, c in enumerate(frame.columns)]
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(_quote(str(c)) for c in frame.columns) + "\n")
        for row in zip(*columns):
            out.write(",".join("" if cell is None else _quote(cell) for cell in row) + "\n")


def _quote(text):
    if text == "" or any(ch in text for ch in ',"\r\n') or text != text.strip():
        return '"' + text.replace('"', '""') + '"'
    return text


# One cell and what ends it; a quoted cell keeps its quotes (null vs "").
_CELL = re.compile(r'("[^"]*(?:""[^"]*)*"|[^,\r\n"]*)(,|\r\n|\n|\r|\Z)')


def read_csv_cells(path):
    """The rows of an RFC 4180 CSV as lists of str, None for an unquoted empty cell
    (fdlc's null), "" for a quoted one."""
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    rows, row, pos, end = [], [], 0, len(text)
    while pos < end:
        m = _CELL.match(text, pos)
        if not m or (m.end() == pos and pos < end):
            raise ValueError("fdl: malformed CSV at offset %d of %s" % (pos, path))
        cell, sep = m.group(1), m.group(2)
        if cell.startswith('"'):
            row.append(cell[1:-1].replace('""', '"'))
        else:
            row.append(cell if cell else None)
        pos = m.end()
        if sep != ",":
            rows.append(row)
            row = []
    if row:
        rows.append(row)
    return rows


def _vector(text):
    """A JSON array of numbers as a float64 array, each element read as float() reads it
    (correctly rounded, so the shortest round-trip text gives back the very double;
    "-0" is -0.0). numpy's text parser (C strtod) is fast; anything it does not
    take whole goes through json."""
    body = text[1:-1] if text.startswith("[") and text.endswith("]") else None
    if body is not None and body.strip():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                vector = np.fromstring(body, dtype=np.float64, sep=",")
                if len(vector) == body.count(",") + 1:
                    return vector
            except (ValueError, DeprecationWarning):
                pass
    return np.array(json.loads(text, parse_int=float), dtype=np.float64)


def _parse_bool(text):
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise ValueError("fdl: not a bool: %r" % text)


def column(texts, kind):
    """A typed pandas array from cell texts (None: null), kind one of the runtime's types."""
    if kind == "int64":
        return pd.array([None if t is None else int(t) for t in texts], dtype="Int64")
    if kind == "float64":
        return np.array([math.nan if t is None else float(t) for t in texts], dtype=np.float64)
    if kind == "bool":
        return pd.array([None if t is None else _parse_bool(t) for t in texts], dtype="boolean")
    if kind == "timestamp":
        return timestamps([None if t is None else parse_time(t) for t in texts])
    if kind == "string":
        return pd.array(texts, dtype="string")
    if kind == "vector":
        out = np.empty(len(texts), dtype=object)
        parsed = {}     # a training set repeats each embedding in many rows
        for i, t in enumerate(texts):
            if t is not None:
                vector = parsed.get(t)
                if vector is None:
                    vector = parsed[t] = _vector(t)
                out[i] = vector.copy()      # rows never share an array
        return out
    raise ValueError("fdl: unknown type %r" % kind)


def timestamps(micros):
    """A datetime64[ns, UTC] array from microseconds since the epoch (None: NaT)."""
    mask = np.array([m is None for m in micros], dtype=bool)
    values = pd.to_datetime(np.array([0 if m is None else m for m in micros], dtype=np.int64),
                            unit="us", utc=True)
    if mask.any():
        values = values.where(~mask)
    return values.array


def header(path):
    """The column names of a CSV file (its first record)."""
    with open(path, encoding="utf-8", newline="") as f:
        first = f.readline()
    cells, pos = [], 0
    while True:
        m = _CELL.match(first, pos)
        cell = m.group(1)
        cells.append(cell[1:-1].replace('""', '"') if cell.startswith('"') else cell)
        if m.group(2) != ",":
            return cells
        pos = m.end()


def infer_column(texts):
    """A spine column fdl has no type for: Int64, float64, else string."""
    for kind in ("int64", "float64"):
        try:
            return column(texts, kind)
        except ValueError:
            continue
    return column(texts, "string")


def value(v, kind):
    """A value read from the store (as _native returns it) in its Python type."""
    if v is None:
        return None
    if kind == "timestamp":
        return pd.Timestamp(v * 1000, tz="UTC")
    if kind == "vector":
        return np.array(v, dtype=np.float64)
    return v

