"""fdl.check and fdl.compile: diagnostics with their places, outputs, errors."""
import json
import os

import pytest

import fdl
from conftest import SEED, TYPES


def test_clean_definitions_have_no_diagnostics():
    assert fdl.check(SEED) == []
    assert fdl.check(TYPES) == []


def test_errors_come_with_file_line_column(tmp_path):
    bad = tmp_path / "bad: name.yaml"     # a ':' in the name must not confuse the parser
    bad.write_text("entities:\n  - name: user\n    join_key: user_id\n"
                   "features:\n  - name: x\n    entity: nope\n    aggregation: {function: count}\n")
    diagnostics = fdl.check([str(bad)])
    errors = [d for d in diagnostics if d.severity == "error"]
    assert errors, diagnostics
    unknown = [d for d in errors if "unknown entity 'nope'" in d.message]
    assert len(unknown) == 1
    d = unknown[0]
    assert (d.file, d.line, d.column) == (str(bad), 6, 13)
    assert str(d).startswith("%s:6:13: error: unknown entity" % bad)


def test_missing_file_is_an_error_without_a_place(tmp_path):
    missing = str(tmp_path / "nope.yaml")
    diagnostics = fdl.check([missing])
    assert len(diagnostics) == 1
    d = diagnostics[0]
    assert d.severity == "error" and d.file is None and d.line is None
    assert "cannot open" in d.message and missing in d.message


def test_compile_writes_header_source_and_manifest(tmp_path):
    out = fdl.compile(SEED, tmp_path / "gen", name="seedfeatures")
    assert out["name"] == "seedfeatures"
    for path in [out["header"], out["manifest"]] + out["sources"]:
        assert os.path.getsize(path) > 0
    with open(out["manifest"], encoding="utf-8") as f:
        assert json.load(f)["name"] == "seedfeatures"


def test_compile_default_name(tmp_path):
    out = fdl.compile(SEED, tmp_path)
    assert os.path.exists(out["header"]) and out["header"].endswith(out["name"] + ".h")


def test_compile_errors_raise_with_diagnostics(tmp_path):
    bad = tmp_path / "bad.fdl"
    bad.write_text("entity user { key user_id }\nfeature x of nobody = count(nothing) over 1d\n")
    with pytest.raises(fdl.DefinitionError) as caught:
        fdl.compile([str(bad)], tmp_path / "out")
    e = caught.value
    assert isinstance(e, fdl.Error)
    assert e.diagnostics and all(d.file == str(bad) and d.line == 2 for d in e.diagnostics
                                 if d.severity == "error")
    assert str(e).startswith("%s:2:" % bad)
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").glob("*.c"))


def test_a_missing_fdlc_is_a_tool_error(tmp_path):
    fdl.set_fdlc(str(tmp_path / "no-such-fdlc"))
    try:
        with pytest.raises(fdl.ToolError):
            fdl.check(SEED)
    finally:
        fdl.set_fdlc(None)


def test_flags_go_to_fdlc(tmp_path):
    with pytest.raises(fdl.ToolError, match="--no-such-option"):
        fdl.check(SEED, flags=["--no-such-option"])
