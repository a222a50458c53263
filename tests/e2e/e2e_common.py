"""e2e_common.py - helpers shared by the end-to-end oracle tests.

The oracles check `fdlc batch` against answers computed here, so nothing in
this module uses fdlc's code: CSV is parsed by a small RFC 4180 reader that
keeps whether a cell was quoted (the output tells null `` from the empty
string `""` that way), timestamps are parsed and printed from the rules in
docs/language.md, and floats are printed the documented way (the shortest of
%.15g, %.16g, %.17g that reads back).
"""
import math
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from fractions import Fraction

MICROS = 1_000_000
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


class Cell:
    """One CSV cell: its unescaped text and whether it was quoted."""

    __slots__ = ("text", "quoted")

    def __init__(self, text, quoted):
        self.text = text
        self.quoted = quoted

    def __repr__(self):
        return ('"%s"' if self.quoted else "%s") % self.text


def parse_csv(data):
    """Parses RFC 4180 text (str) into a list of records of Cells.

    A BOM is skipped, records end at LF or CRLF, blank lines are skipped.
    Raises ValueError on malformed input: the output of fdlc must be clean.
    """
    if data.startswith("\ufeff"):
        data = data[1:]
    records, record = [], []
    i, n = 0, len(data)
    while i < n:
        if not record and data[i] in "\r\n":
            # A blank line (no cell read yet on this line).
            if data[i] == "\r":
                if data[i + 1:i + 2] != "\n":
                    raise ValueError("lone CR at offset %d" % i)
                i += 1
            i += 1
            continue
        if data[i] == '"':
            i += 1
            text = []
            while True:
                j = data.find('"', i)
                if j < 0:
                    raise ValueError("end of data inside quotes")
                text.append(data[i:j])
                if data[j + 1:j + 2] == '"':
                    text.append('"')
                    i = j + 2
                else:
                    i = j + 1
                    break
            record.append(Cell("".join(text), True))
        else:
            j = i
            while j < n and data[j] not in ',\r\n':
                if data[j] == '"':
                    raise ValueError("quote inside an unquoted cell at offset %d" % j)
                j += 1
            record.append(Cell(data[i:j], False))
            i = j
        if i >= n:
            records.append(record)
            record = []
        elif data[i] == ",":
            i += 1
            if i >= n:
                record.append(Cell("", False))
                records.append(record)
                record = []
        elif data[i] == "\n":
            records.append(record)
            record = []
            i += 1
        elif data[i] == "\r":
            if data[i + 1:i + 2] != "\n":
                raise ValueError("lone CR at offset %d" % i)
            records.append(record)
            record = []
            i += 2
        else:
            raise ValueError("text after a closing quote at offset %d" % i)
    if record:
        records.append(record)
    return records


def read_csv(path):
    # surrogateescape: bytes that are not UTF-8 (a truncated string) show up
    # as a cell mismatch instead of stopping the comparison.
    with open(path, "r", encoding="utf-8", errors="surrogateescape", newline="") as f:
        return parse_csv(f.read())


def csv_quote(text, force=False):
    """One cell in RFC 4180 form, quoted when needed or forced (an empty
    text stays unquoted, a null, unless forced: `""` is the empty string)."""
    if force or any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


# ------------------------------------------------------------ timestamps

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$")
_EPOCH = re.compile(r"^[+-]?\d+$")


def parse_time(text):
    """Microseconds since the epoch for an RFC 3339 or epoch-seconds cell."""
    if _EPOCH.match(text):
        return int(text) * MICROS
    m = _RFC3339.match(text)
    if not m:
        raise ValueError("not a timestamp: %r" % text)
    year, month, day, hour, minute, second = (int(m.group(k)) for k in range(1, 7))
    fraction = (m.group(7) or "")[:6].ljust(6, "0")  # truncated to microseconds
    local = datetime(year, month, day, hour, minute, second, int(fraction), tzinfo=timezone.utc)
    micros = (local - EPOCH) // timedelta(microseconds=1)
    if m.group(9):
        offset = (int(m.group(10)) * 60 + int(m.group(11))) * 60 * MICROS
        micros -= offset if m.group(9) == "+" else -offset
    return micros


def format_time(micros):
    """RFC 3339 in UTC, a fraction only when needed, trailing zeros dropped."""
    moment = EPOCH + timedelta(microseconds=micros)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += ("." + "%06d" % moment.microsecond).rstrip("0")
    return text + "Z"


# ----------------------------------------------------------------- floats

def format_float(x):
    """The shortest of %.15g, %.16g, %.17g that reads back to x."""
    for precision in (15, 16, 17):
        text = "%.*g" % (precision, x)
        if float(text) == x:
            return text
    raise AssertionError("unreachable: %.17g reads back" % x)


def same_float(a, b):
    """Bit-for-bit equality (tells -0.0 from 0.0)."""
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def format_vector(values):
    return "[" + ",".join(format_float(v) for v in values) + "]"


def exact_float_sum(values):
    """The exact sum of doubles, correctly rounded once (math.fsum's answer:
    a zero sum is +0.0 even when every term is -0.0); None if not finite."""
    total = sum((Fraction(v) for v in values), Fraction(0))
    try:
        return float(total)
    except OverflowError:
        return None


def encode_cell(value):
    """A cell to write: None is null (an empty unquoted cell), "" the empty
    string (`""`), other text quoted only when it must be."""
    if value is None:
        return ""
    if value == "":
        return '""'
    return csv_quote(value)


def expected_cell(type_, value):
    """(expected (text, quoted), value check or None) for an output cell of
    a scalar or vector type; timestamps are given as epoch microseconds."""
    if value is None:
        return ("", False), None
    if type_ == "int64":
        return (str(value), False), None
    if type_ == "float64":
        return (format_float(value), False), float_cell_check(value)
    if type_ == "bool":
        return ("true" if value else "false", False), None
    if type_ == "timestamp":
        return (format_time(value), False), None
    if type_ == "float64_vector":
        text = format_vector(value)
        return (text, True if "," in text else None), vector_cell_check(value)
    return (value, value == "" or any(c in value for c in ',"\r\n')), None


# ------------------------------------------------------------ comparison

class Mismatches:
    """Collects cell mismatches and prints the first ones."""

    def __init__(self, label, limit=40):
        self.label = label
        self.limit = limit
        self.count = 0

    def add(self, row, column, expected, got, detail=""):
        self.count += 1
        if self.count <= self.limit:
            print("MISMATCH %s row %s column %s: expected %r, got %r%s"
                  % (self.label, row, column, expected, got, detail and " (" + detail + ")"))

    def check_cell(self, row, column, expected_cell, got_cell, value_check=None):
        """expected_cell: (text, quoted) with quoted None meaning "either"."""
        text, quoted = expected_cell
        if got_cell.text != text:
            self.add(row, column, text, got_cell.text)
            return
        if quoted is not None and got_cell.quoted != quoted:
            self.add(row, column, csv_quote(text, quoted), repr(got_cell), "quoting")
            return
        if value_check:
            problem = value_check(got_cell.text)
            if problem:
                self.add(row, column, text, got_cell.text, problem)


def float_cell_check(expected):
    """A check that the cell parses with float() to exactly expected."""
    def check(text):
        if not same_float(float(text), expected):
            return "float(%r) != %r" % (text, expected)
        return None
    return check


def vector_cell_check(expected):
    def check(text):
        if not (text.startswith("[") and text.endswith("]")):
            return "not a JSON array"
        parts = text[1:-1].split(",")
        if len(parts) != len(expected):
            return "dimension %d != %d" % (len(parts), len(expected))
        for k, (part, value) in enumerate(zip(parts, expected)):
            if not same_float(float(part), value):
                return "element %d: float(%r) != %r" % (k, part, value)
        return None
    return check


# --------------------------------------------------------------- running

def fresh_dir(path):
    if os.path.exists(path):
        shutil.rmtree(path)
    os.makedirs(path)
    return path


def run_fdlc(fdlc, args, cwd, work, timeout=55):
    """Runs fdlc with args in cwd; returns the CompletedProcess (text mode)."""
    env = dict(os.environ)
    # Never let a test write to ~/.cache: ctest sets FDLC_CACHE_DIR, and a
    # direct run gets a cache in its work directory.
    env.setdefault("FDLC_CACHE_DIR", os.path.join(work, "cache"))
    return subprocess.run([fdlc] + args, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def describe_run(proc):
    return "exit status %d\n--- stdout\n%s--- stderr\n%s" % (proc.returncode, proc.stdout, proc.stderr)


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)
