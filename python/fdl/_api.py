"""_api.py - fdl's functions: check, compile, build, training_set, and Store.

check/compile/build/training_set run fdlc (see _fdlc.py); training_set is
`fdlc batch` itself, its CSV read back into typed columns, so its values are
those of fdlc batch bit for bit (floats are printed shortest round-trip and
read back with float()). Store loads a library built by `fdlc build` into
this process and runs the runtime's store on it (_native.c).
"""
import glob
import json
import os
import re
import shutil
import tempfile

import numpy as np
import pandas as pd

from . import _convert, _fdlc, _native
from .errors import DataError, Error, ExpectationError, ToolError, from_native

_LIBRARY_NAME = "pyfeatures"      # the name of the libraries fdl builds for itself


def check(files, flags=()):
    """Type-checks definition files (.yaml or .fdl); returns the list of
    fdl.Diagnostic (errors, warnings, notes), empty when all is well.
    flags: more options for `fdlc check` (e.g. warning options), passed as given."""
    files = _fdlc.file_list(files)
    result = _fdlc.run(["check"] + list(flags) + files)
    if result.returncode not in (0, 1):
        raise _fdlc.failure(result, files, "check")
    diagnostics = _fdlc.parse_diagnostics(result.stderr, files)
    if result.returncode == 1 and not any(d.severity == "error" for d in diagnostics):
        # An error fdl could not read: keep fdlc's words rather than lose them.
        diagnostics.append(_fdlc.Diagnostic(None, None, None, "error", result.stderr.strip()))
    return diagnostics


def _stamp(path):
    st = os.stat(path)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _written(out_dir, name, started):
    """The files of `fdlc compile -o out_dir [--name name]`: dict of header, sources, manifest."""
    if name is None:
        manifests = [p for p in glob.glob(os.path.join(out_dir, "*.json"))
                     if started.get(p) != _stamp(p)]
        for path in manifests:
            try:
                with open(path, encoding="utf-8") as f:
                    data = json.load(f)
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and "fdlc_version" in data:
                name = data["name"]
                break
        else:
            raise ToolError("fdlc compile wrote no manifest in %s" % out_dir)
    manifest = os.path.join(out_dir, name + ".json")
    with open(manifest, encoding="utf-8") as f:
        c_files = json.load(f).get("c_files", [name + ".c"])
    return {"name": name, "header": os.path.join(out_dir, name + ".h"),
            "sources": [os.path.join(out_dir, c) for c in c_files], "manifest": manifest}


def compile(files, out_dir, name=None):   # noqa: A001 - the API the issue names
    """Compiles definitions to C in out_dir (created if needed): NAME.h, NAME.c (or
    several units) and NAME.json. Returns a dict with 'name', 'header', 'sources'
    and 'manifest' paths. Raises DefinitionError (with .diagnostics) on errors."""
    files = _fdlc.file_list(files)
    out_dir = os.fspath(out_dir)
    args = ["compile"] + files + ["-o", out_dir]
    if name is not None:
        args += ["--name", name]
    # What was there before: the manifest fdlc writes is the one that changed.
    started = {p: _stamp(p) for p in glob.glob(os.path.join(out_dir, "*.json"))}
    result = _fdlc.run(args)
    if result.returncode != 0:
        raise _fdlc.failure(result, files, "compile")
    return _written(out_dir, name, started)


def build(files, out_dir, name):
    """Compiles definitions and builds out_dir/libNAME.so with the C compiler; returns its path."""
    files = _fdlc.file_list(files)
    out_dir = os.fspath(out_dir)
    result = _fdlc.run(["build"] + files + ["-o", out_dir, "--name", name])
    if result.returncode != 0:
        raise _fdlc.failure(result, files, "build")
    return os.path.join(out_dir, "lib%s.so" % name)


def _load(library, name=None):
    """_native.Library for a path libNAME.so."""
    library = os.fspath(library)
    if name is None:
        m = re.fullmatch(r"lib(\w+)\.so", os.path.basename(library))
        if not m:
            raise Error("fdl: '%s' must be a path to libNAME.so (built by fdlc build --name NAME)"
                        % library)
        name = m.group(1)
    try:
        return _native.Library(library, name)
    except _native.NativeError as e:
        raise from_native(e) from None


class _Program:
    """The tables of a loaded library, by name."""

    def __init__(self, library):
        self.library = library
        d = library.describe()
        self.name, self.fingerprint = d["name"], d["fingerprint"]
        self.entities, self.sources, self.features = d["entities"], d["sources"], d["features"]
        self.sets, self.embeddings, self.requests = d["sets"], d["embeddings"], d["requests"]

    @staticmethod
    def _index(items, name, what):
        for i, item in enumerate(items):
            if item["name"] == name:
                return i
        raise Error("fdl: no %s named '%s' (there are: %s)"
                    % (what, name, ", ".join(item["name"] for item in items) or "none"))

    def source(self, name):
        return self._index(self.sources, name, "source")

    def set(self, name):
        return self._index(self.sets, name, "feature set")

    def feature(self, name):
        return self._index(self.features, name, "feature")

    def embedding(self, name):
        return self._index(self.embeddings, name, "embedding")

    def key_columns(self, entity_indexes):
        """[(column, type)] of the entities' key columns, in order."""
        return [(k, t) for e in entity_indexes
                for k, t in zip(self.entities[e]["keys"], self.entities[e]["key_types"])]


def _library_for(files, work_dir, lib=None):
    """(_native.Library, path): lib if given, else the definitions built in work_dir."""
    if lib is not None:
        return _load(lib), os.fspath(lib)
    path = build(files, work_dir, _LIBRARY_NAME)
    return _load(path, _LIBRARY_NAME), path


def _input_path(what, value, work_dir, name, kinds):
    """A CSV path for a source or spine given as a path or a DataFrame (written to work_dir;
    kinds: {column: runtime type})."""
    if isinstance(value, pd.DataFrame):
        path = os.path.join(work_dir, name + ".csv")
        _convert.write_csv(value, path, kinds)
        return path
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    raise TypeError("fdl: %s must be a path or a pandas.DataFrame, not %s" % (what, type(value).__name__))


def _spine_kinds(program, spine_time):
    """{column: type} of the spine's columns fdl knows: keys, the time column, request fields."""
    kinds = {name: kind for name, kind in program.requests}
    for entity in program.entities:
        kinds.update(zip(entity["keys"], entity["key_types"]))
    kinds[spine_time] = "timestamp"
    return kinds


def training_set(files, sources, spine, feature_set=None, embeddings=None, spine_time=None,
                 now=None, threads=None, lib=None, quarantine=None, report=None):
    """A point-in-time correct training set, exactly as `fdlc batch` makes it, as a DataFrame.

    files: definition files. sources: {source name: CSV path or DataFrame}.
    spine: CSV path or DataFrame (its key columns and time column). feature_set:
    the set to compute (None: every feature of the spine's entities).
    embeddings: {name: CSV path} overriding the definitions' paths. spine_time:
    the spine's time column (default "timestamp"). now: processing time for
    max_future. threads: replay threads (same output for any). lib: a
    libNAME.so already built from these files. quarantine, report: paths for
    fdlc batch's --quarantine and --report.

    Columns: the spine's (from a DataFrame spine, as given; from a CSV, keys
    and time typed, other columns Int64, float64 or string), then one per
    feature, typed (see the module's doc)."""
    files = _fdlc.file_list(files)
    with tempfile.TemporaryDirectory(prefix="fdl-") as work:
        library, lib_path = _library_for(files, work, lib)
        program = _Program(library)
        args = ["batch"] + files + ["--lib", lib_path]
        # In the dict's order, as fdlc takes --source options: events of equal times
        # replay in source order.
        for i, (source, data) in enumerate(sources.items()):
            fields = (dict(program.sources[program.source(source)]["fields"])
                      if any(s["name"] == source for s in program.sources) else {})
            args += ["--source", "%s=%s" % (source, _input_path("source " + source, data, work,
                                                                 "source%d" % i, fields))]
        spine_time = spine_time or "timestamp"
        spine_path = _input_path("spine", spine, work, "spine", _spine_kinds(program, spine_time))
        out = os.path.join(work, "training.csv")
        args += ["--spine", spine_path, "--out", out]
        if feature_set is not None:
            args += ["--set", feature_set]
        args += ["--spine-time", spine_time]
        for name, path in sorted((embeddings or {}).items()):
            args += ["--embedding", "%s=%s" % (name, os.fspath(path))]
        if now is not None:
            args += ["--now", _native.format_time(_convert.time_micros(now))]
        if threads is not None:
            args += ["--threads", str(int(threads))]
        if quarantine is not None:
            args += ["--quarantine", os.fspath(quarantine)]
        if report is not None:
            args += ["--report", os.fspath(report)]
        result = _fdlc.run(args)
        if result.returncode == 5:
            raise ExpectationError(result.stderr.strip(), status="check")
        if result.returncode != 0:
            raise _fdlc.failure(result, files, "batch")
        return _frame(program, _convert.read_csv_cells(out), spine if isinstance(spine, pd.DataFrame)
                      else spine_path, spine_time)


def _frame(program, rows, spine, spine_time):
    """The DataFrame of fdlc batch's output rows (header first)."""
    if not rows:
        raise ToolError("fdlc batch wrote no header")
    header, body = rows[0], rows[1:]
    features = {f["name"]: f["type"] for f in program.features}
    # The spine's columns come first, then the features.
    nspine = len(spine.columns) if isinstance(spine, pd.DataFrame) else len(_convert.header(spine))
    data = {}
    columns = list(zip(*body)) if body else [()] * len(header)
    known = _spine_kinds(program, spine_time)
    spine_kinds = [known.get(c) for c in header[:nspine]]
    for i, name in enumerate(header):
        texts = list(columns[i])
        if i < nspine:
            if isinstance(spine, pd.DataFrame):
                data[i] = spine.iloc[:, i].reset_index(drop=True)
            elif spine_kinds[i] is not None:
                data[i] = _convert.column(texts, spine_kinds[i])
            else:
                data[i] = _convert.infer_column(texts)
        else:
            data[i] = _convert.column(texts, features[name])
    frame = pd.DataFrame({i: pd.Series(data[i]) if not isinstance(data[i], pd.Series) else data[i]
                          for i in range(len(header))})
    frame.columns = header
    if isinstance(spine, pd.DataFrame):
        frame.index = spine.index       # rows in spine order: join back on the spine's index
    return frame


def _raise_native(e):
    raise from_native(e) from None


class Store:
    """An online store in this process (the serving path), over definitions or a built library.

        store = fdl.Store(["catalog.yaml", "features.yaml"])
        store.ingest("purchases", dataframe_or_rows)
        store.get("ranking_v1", ("u0001", "p0002"), at="2024-03-01T00:00:00Z")

    source: definition files (built with fdlc build into a temporary directory),
    or lib: a libNAME.so built by fdlc build. embeddings: {name: CSV path}
    loaded at open (others from the definitions' paths unless
    load_embeddings=False). keep_history: keep every event (as-of reads far
    back). lateness: seconds behind the newest event a read or event may
    still come (default: the runtime's, one hour)."""

    def __init__(self, files=None, lib=None, embeddings=None, load_embeddings=True,
                 keep_history=False, lateness=None):
        if (files is None) == (lib is None):
            raise TypeError("fdl.Store takes definition files or lib=, one of them")
        if files is not None and isinstance(files, (str, os.PathLike)) and os.fspath(files).endswith(".so"):
            files, lib = None, files
        if lib is not None:
            library = _load(lib)
        else:
            work = tempfile.mkdtemp(prefix="fdl-store-")
            try:
                # Loaded, the library may go: the process keeps its mapping.
                library = _load(build(files, work, _LIBRARY_NAME), _LIBRARY_NAME)
            finally:
                shutil.rmtree(work, ignore_errors=True)
        self._program = _Program(library)
        override = dict(embeddings or {})
        for name in override:
            self._program.embedding(name)
        kwargs = {"keep_history": bool(keep_history), "load_embeddings": False}
        if lateness is not None:
            kwargs["lateness"] = int(round(float(lateness) * 1000000))
        try:
            self._store = _native.Store(library, **kwargs)
            for i, e in enumerate(self._program.embeddings):
                path = override.get(e["name"], e["path"] if load_embeddings else None)
                if path:
                    self._store.load_embedding(i, os.fspath(path))
        except _native.NativeError as e:
            _raise_native(e)

    # -- what is defined

    @property
    def sources(self):
        """{source: [field names]}"""
        return {s["name"]: [f for f, _ in s["fields"]] for s in self._program.sources}

    @property
    def feature_sets(self):
        """{set: [feature names]}"""
        features = self._program.features
        return {s["name"]: [features[i]["name"] for i in s["features"]] for s in self._program.sets}

    @property
    def fingerprint(self):
        return self._program.fingerprint

    # -- events

    def ingest(self, source, rows):
        """Ingests events of a source: a DataFrame (columns by field name), a dict (one
        event), or an iterable of dicts or of sequences (cells in field order). Values
        may be Python/numpy/pandas values or text. Returns how many were accepted
        (the others were dropped by an expectation whose policy is drop)."""
        index = self._program.source(source)
        fields = [f for f, _ in self._program.sources[index]["fields"]]
        try:
            return self._store.ingest(index, self._cells(source, fields, rows))
        except _native.NativeError as e:
            _raise_native(e)

    def _cells(self, source, fields, rows):
        kinds = dict(self._program.sources[self._program.source(source)]["fields"])
        if isinstance(rows, pd.DataFrame):
            missing = [f for f in fields if f not in rows.columns]
            if missing:
                raise DataError("fdl: source %s: the DataFrame has no column %s"
                                % (source, ", ".join(repr(m) for m in missing)))
            return list(zip(*[_convert.column_texts(rows[f], kinds[f]) for f in fields]))
        if isinstance(rows, dict):
            rows = [rows]
        cells = []
        for row in rows:
            if isinstance(row, dict):
                unknown = set(row) - set(fields)
                if unknown:
                    raise DataError("fdl: source %s has no field %s" % (source, ", ".join(sorted(unknown))))
                cells.append([_convert.to_text(row.get(f), kinds[f]) for f in fields])
            else:
                cells.append([_convert.to_text(v, kinds.get(f)) for v, f in zip(row, fields)]
                             + [_convert.to_text(v) for v in list(row)[len(fields):]])
        return cells

    # -- reads

    def get(self, feature_set, keys, at=None, request=None):
        """Reads a feature set as of `at` (default: now).

        keys: one key (a scalar for a one-column key, a tuple with one value per
        key column of the set's entities, in order, or a dict by key column)
        -> a dict {feature: value}; or many (a list of such keys, or a DataFrame
        with the key columns) -> a DataFrame, one row per key. at: a time (str,
        datetime, Timestamp) or, with many keys, a sequence of times or the name of
        a column of the keys DataFrame. request: {request field: value} (with many
        keys: a DataFrame column name per field, or one value for all)."""
        index = self._program.set(feature_set)
        desc = self._program.sets[index]
        names = [self._program.features[i]["name"] for i in desc["features"]]
        kinds = [self._program.features[i]["type"] for i in desc["features"]]
        columns = self._program.key_columns(desc["entities"])
        requests = [self._program.requests[r][0] for r in desc["requests"]]
        return self._read(lambda k, r, t: self._store.read_set(index, k, r, t),
                          names, kinds, columns, requests, keys, at, request)

    def get_feature(self, feature, keys, at=None, request=None):
        """Reads one feature: like get, the value itself for one key, a Series for many."""
        index = self._program.feature(feature)
        desc = self._program.features[index]
        columns = self._program.key_columns(desc["entities"])
        requests = [name for name, _ in self._program.requests]
        result = self._read(lambda k, r, t: self._store.read_feature(index, k, r, t),
                            [feature], [desc["type"]], columns, requests, keys, at, request)
        return result[feature]

    def _read(self, read, names, kinds, columns, requests, keys, at, request):
        many = isinstance(keys, (list, pd.DataFrame))
        if not many:
            values = self._read_one(read, columns, requests, keys, at, request)
            return {n: _convert.value(v, k) for n, v, k in zip(names, values, kinds)}
        if isinstance(keys, pd.DataFrame):
            frame = keys
            key_rows = list(zip(*[frame[c].tolist() for c, _ in columns])) if len(frame) else []
            if isinstance(at, str) and at in frame.columns:
                at = frame[at].tolist()
            if isinstance(request, dict):
                request = {f: frame[v].tolist() if isinstance(v, str) and v in frame.columns else v
                           for f, v in request.items()}
        else:
            key_rows = keys
        n = len(key_rows)
        times = list(at) if isinstance(at, (list, tuple, pd.Series, np.ndarray)) else [at] * n
        if len(times) != n:
            raise Error("fdl: %d keys but %d times" % (n, len(times)))
        per_row = []
        for i in range(n):
            row_request = None
            if request is not None:
                row_request = {f: (v[i] if isinstance(v, (list, tuple, pd.Series, np.ndarray)) else v)
                               for f, v in request.items()}
            per_row.append(self._read_one(read, columns, requests, key_rows[i], times[i], row_request))
        out = {}
        for j, (name, kind) in enumerate(zip(names, kinds)):
            out[name] = _typed_values([row[j] for row in per_row], kind)
        return pd.DataFrame(out, index=keys.index if isinstance(keys, pd.DataFrame) else None)

    def _read_one(self, read, columns, requests, key, at, request):
        if isinstance(key, dict):
            missing = [c for c, _ in columns if c not in key]
            if missing:
                raise Error("fdl: the key has no column %s" % ", ".join(missing))
            parts = [key[c] for c, _ in columns]
        elif isinstance(key, tuple):
            parts = list(key)
        else:
            parts = [key]
        if len(parts) != len(columns):
            raise Error("fdl: a key here has %d columns (%s), got %d"
                        % (len(columns), ", ".join(c for c, _ in columns), len(parts)))
        texts = [_convert.to_text(p, kind) for p, (_, kind) in zip(parts, columns)]
        t = _native.now() if at is None else _convert.time_micros(at)
        request_texts = None
        kinds = dict(self._program.requests)
        if request:
            unknown = set(request) - set(requests)
            if unknown:
                raise Error("fdl: no request field %s here (there are: %s)"
                            % (", ".join(sorted(unknown)), ", ".join(requests) or "none"))
            request_texts = [_convert.to_text(request.get(r), kinds.get(r)) for r in requests]
        try:
            return read(texts, request_texts, t)
        except _native.NativeError as e:
            _raise_native(e)

    # -- counters, life

    def set_limits(self, max_entities=0, max_bytes=0):
        """Bounds the store (0: no bound): at a bound, ingest refuses events whole with
        fdl.LimitError; nothing held is dropped to make room."""
        self._store.set_limits(int(max_entities), int(max_bytes))

    def stats(self):
        """The store's counters (events ingested, entities, events held, bytes held, ...)."""
        return self._store.stats()

    def source_counts(self, source):
        """{read, accepted, dropped, failed, clean} of a source since the store opened."""
        return self._store.source_counts(self._program.source(source))

    def close(self):
        """Frees the store (also done when it is garbage-collected)."""
        self._store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _typed_values(values, kind):
    """A column of values read from the store, typed as training_set types them."""
    if kind == "int64":
        return pd.array(values, dtype="Int64")
    if kind == "float64":
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if kind == "bool":
        return pd.array(values, dtype="boolean")
    if kind == "timestamp":
        return _convert.timestamps(values)
    if kind == "string":
        return pd.array(values, dtype="string")
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = None if v is None else np.array(v, dtype=np.float64)
    return out
