"""_fdlc.py - runs the fdlc executable and reads its diagnostics.

fdl uses fdlc itself for everything that compiles (check, compile, build,
batch): one compiler, one set of messages, and training sets made by the
very program whose output they must equal. Which fdlc: fdl.set_fdlc(path),
else $FDLC, else the one this module was built with (FDL_FDLC at build
time), else `fdlc` on PATH.

Diagnostics are read from fdlc's human output, which follows the compiler
convention "FILE:LINE:COLUMN: SEVERITY: MESSAGE" (each followed by an
excerpt of the source, indented with '|', which is skipped) or
"fdlc: SEVERITY: MESSAGE" without a location. A file name may hold ':',
so the names given to fdlc are matched first.
"""
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Optional

from .errors import DefinitionError, ToolError

try:
    from ._config import FDLC as _BUILT_WITH
except ImportError:     # running from the source tree
    _BUILT_WITH = ""

_chosen = None


def set_fdlc(path):
    """Use this fdlc executable from now on (None: back to the default lookup)."""
    global _chosen
    _chosen = os.fspath(path) if path is not None else None


def fdlc_path():
    """The fdlc executable fdl runs; ToolError when there is none."""
    for candidate in (_chosen, os.environ.get("FDLC"), _BUILT_WITH):
        if candidate:
            if os.access(candidate, os.X_OK):
                return candidate
            raise ToolError("fdlc '%s' is not an executable" % candidate)
    found = shutil.which("fdlc")
    if not found:
        raise ToolError("cannot find fdlc: install it, put it on PATH, set $FDLC or call fdl.set_fdlc()")
    return found


@dataclass(frozen=True)
class Diagnostic:
    """One message of fdlc: where (file, 1-based line and column; None when not
    about a place in a file), severity ('error', 'warning' or 'note') and text."""
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    severity: str
    message: str
    code: Optional[str] = None

    def __str__(self):
        where = "%s:%d:%d: " % (self.file, self.line, self.column) if self.file else "fdlc: "
        return "%s%s: %s" % (where, self.severity, self.message)


_SEVERITY = r"(error|warning|note)(?:\[([^\]]*)\])?"
_AT = re.compile(r"(\d+):(\d+): " + _SEVERITY + r": (.*)\Z")
_ANY_FILE = re.compile(r"(.+?):(\d+):(\d+): " + _SEVERITY + r": (.*)\Z")
_NO_FILE = re.compile(r"fdlc: " + _SEVERITY + r": (.*)\Z")
_EXCERPT = re.compile(r"\s*\d*\s\|")
_SUMMARY = re.compile(r"\d+ (error|warning)s? generated\.\Z")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def parse_diagnostics(text, files=()):
    """The diagnostics in fdlc's stderr text; files: the names fdlc was given."""
    found = []
    names = sorted({os.fspath(f) for f in files}, key=len, reverse=True)
    for raw in text.splitlines():
        line = _ANSI.sub("", raw)
        if not line or _EXCERPT.match(line) or _SUMMARY.match(line):
            continue
        diagnostic = None
        for name in names:
            if line.startswith(name + ":"):
                m = _AT.match(line, len(name) + 1)
                if m:
                    diagnostic = Diagnostic(name, int(m.group(1)), int(m.group(2)), m.group(3),
                                            m.group(5), m.group(4))
                    break
        if diagnostic is None:
            m = _ANY_FILE.match(line)
            if m:
                diagnostic = Diagnostic(m.group(1), int(m.group(2)), int(m.group(3)), m.group(4),
                                        m.group(6), m.group(5))
        if diagnostic is None:
            m = _NO_FILE.match(line)
            if m:
                diagnostic = Diagnostic(None, None, None, m.group(1), m.group(3), m.group(2))
        if diagnostic is not None:
            found.append(diagnostic)
    return found


def file_list(files):
    """One path or a list of paths, as a list of str."""
    if isinstance(files, (str, bytes, os.PathLike)):
        files = [files]
    files = [os.fspath(f) for f in files]
    if not files:
        raise ValueError("fdl: no definition files given")
    return files


def run(args, cwd=None):
    """Runs fdlc with args; returns the CompletedProcess (text, never raises on exit status)."""
    env = dict(os.environ)
    env["NO_COLOR"] = "1"           # plain diagnostics, whatever the terminal
    env.setdefault("LC_ALL", "C")
    try:
        return subprocess.run([fdlc_path()] + list(args), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              encoding="utf-8", errors="replace", check=False)
    except OSError as e:
        raise ToolError("cannot run fdlc: %s" % e) from e


def failure(result, files, what):
    """The exception for a failed fdlc run: DefinitionError (exit 1) or ToolError."""
    text = (result.stderr or "").strip()
    if result.returncode == 1:
        diagnostics = parse_diagnostics(result.stderr, files)
        errors = [d for d in diagnostics if d.severity == "error"]
        first = str(errors[0]) if errors else text
        more = " (and %d more errors)" % (len(errors) - 1) if len(errors) > 1 else ""
        return DefinitionError(first + more, diagnostics)
    if result.returncode < 0:
        return ToolError("fdlc %s was killed by signal %d\n%s" % (what, -result.returncode, text))
    return ToolError(text or "fdlc %s failed with exit status %d" % (what, result.returncode))
