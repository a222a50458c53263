#!/usr/bin/env python3
"""compare_training_sets.py - are two training sets the same, cell by cell?

Compares a training set written by `fdlc batch` with one written by another
system (DuckDB's COPY ... TO CSV in bench/vs_duckdb.sh) as values, not as
text: the same header, the same number of rows, and row by row in order
every cell equal:

  * null is an empty unquoted cell (fdlc and DuckDB both write it so); an
    empty quoted cell `""` is the empty string, not null;
  * a cell `[a, b, ...]` is a vector: DuckDB separates its elements with
    ", ", fdlc with ","; an element NULL is a null element; vectors are
    equal when they have the same length and every element is equal;
  * integers (`-?[0-9]+`) are compared exactly, as integers;
  * other numbers are compared exactly as doubles: float(text) equal, and
    the same sign for zeros (fdlc orders -0.0 before +0.0); NaN equals NaN.
    An integer and a double are equal when they are the same number;
  * anything else is compared as text.

Two cells with the same text (vectors after removing the space after each
comma) are equal without being parsed: the text reads as one value. That
keeps the comparison of 2 x 128-element vector cells per row fast.

Prints the counts of cells compared, equal and differing (by column), the
vector elements compared, the worst relative difference and its distance in
units in the last place (ulps), and the first differences. Exit status: 0
when every cell is equal, 1 when any cell differs (or the headers or row
counts differ), 2 on a usage or input error.

usage: compare_training_sets.py FDLC.csv OTHER.csv [--show N]
"""
import argparse
import csv
import math
import re
import struct
import sys

INTEGER = re.compile(r"[+-]?[0-9]+\Z")


class Null:
    """The null cell (or vector element); one instance, NULL."""

    def __repr__(self):
        return "null"


NULL = Null()


def split_record(text):
    """(text, quoted) of each cell of one raw CSV record (RFC 4180)."""
    cells, i, n = [], 0, len(text.rstrip("\r\n"))
    while True:
        if i < n and text[i] == '"':
            i += 1
            parts = []
            while True:
                j = text.index('"', i)
                parts.append(text[i:j])
                if j + 1 < n and text[j + 1] == '"':
                    parts.append('"')
                    i = j + 2
                else:
                    i = j + 1
                    break
            cells.append(("".join(parts), True))
        else:
            j = text.find(",", i, n)
            j = n if j < 0 else j
            cells.append((text[i:j], False))
            i = j
        if i >= n:
            return cells
        assert text[i] == ","
        i += 1
        if i == n:
            cells.append(("", False))
            return cells


def records(path):
    """Yields each record of a CSV file as a list of cells: str, or NULL for
    an empty unquoted cell."""
    raw = []

    def lines(f):
        for line in f:
            raw.append(line)
            yield line

    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.reader(lines(f), strict=True):
            if "" in row:
                # csv reads "" and an empty cell alike: the raw text tells.
                quoted = split_record("".join(raw))
                if len(quoted) != len(row):
                    raise ValueError(f"{path}: cannot split record {''.join(raw)!r}")
                row = [NULL if cell == "" and not q else cell for cell, (_, q) in zip(row, quoted)]
            raw.clear()
            yield row


def parse_scalar(text):
    """A cell's or vector element's value: NULL, int, float or str."""
    if text is NULL:
        return NULL
    if INTEGER.match(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def parse(text):
    if text is not NULL and text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        if not inner:
            return []
        return [parse_scalar(NULL if e.strip() == "NULL" else e.strip()) for e in inner.split(",")]
    return parse_scalar(text)


def ordered_bits(x):
    """A double's bits as an integer that orders like the doubles."""
    (bits,) = struct.unpack("<q", struct.pack("<d", x))
    return bits if bits >= 0 else -(bits & 0x7FFFFFFFFFFFFFFF)


class Difference:
    """How far apart two unequal values are (numbers only)."""

    def __init__(self):
        self.relative = 0.0
        self.ulps = 0

    def note(self, a, b):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            a, b = float(a), float(b)
            if math.isfinite(a) and math.isfinite(b):
                scale = max(abs(a), abs(b))
                relative = abs(a - b) / scale if scale else 0.0
                self.relative = max(self.relative, relative)
                self.ulps = max(self.ulps, abs(ordered_bits(a) - ordered_bits(b)))
                return
        self.relative = math.inf


def scalars_equal(a, b):
    if a is NULL or b is NULL:
        return a is b
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return a == b   # Python compares an int and a float exactly
    return type(a) is type(b) and a == b


def values_equal(a, b, difference):
    if isinstance(a, list) or isinstance(b, list):
        if not (isinstance(a, list) and isinstance(b, list)) or len(a) != len(b):
            difference.relative = math.inf
            return False
        equal = True
        for x, y in zip(a, b):
            if not scalars_equal(x, y):
                difference.note(x, y)
                equal = False
        return equal
    if scalars_equal(a, b):
        return True
    difference.note(a, b)
    return False


def same_text(a, b):
    if a is NULL or b is NULL:
        return a is b
    if a == b:
        return True
    if a.startswith("[") and b.startswith("["):
        return a.replace(", ", ",") == b.replace(", ", ",")
    return False


def vector_length(text):
    if text is NULL or not text.startswith("[") or not text.endswith("]"):
        return 0
    return 0 if text == "[]" else text.count(",") + 1


def shorten(text, limit=80):
    if text is NULL:
        return "null"
    return text if len(text) <= limit else text[:limit] + "..."


def compare(path_a, path_b, show, out):
    rows_a, rows_b = records(path_a), records(path_b)
    header_a, header_b = next(rows_a, None), next(rows_b, None)
    if header_a is None or header_b is None:
        print(f"FAILED: {path_a if header_a is None else path_b} is empty", file=out)
        return 1
    if header_a != header_b:
        print("FAILED: the headers differ:", file=out)
        print(f"  {path_a}: {','.join(map(str, header_a))}", file=out)
        print(f"  {path_b}: {','.join(map(str, header_b))}", file=out)
        return 1
    columns = header_a
    differing = [0] * len(columns)
    cells = elements = rows = 0
    difference = Difference()
    shown = []
    status = 0
    for row_a in rows_a:
        row_b = next(rows_b, None)
        if row_b is None:
            print(f"FAILED: {path_b} has fewer rows ({rows}) than {path_a}", file=out)
            status = 1
            break
        rows += 1
        if len(row_a) != len(columns) or len(row_b) != len(columns):
            print(f"FAILED: row {rows} has {len(row_a)} and {len(row_b)} cells, "
                  f"not {len(columns)}", file=out)
            return 1
        for c, (a, b) in enumerate(zip(row_a, row_b)):
            cells += 1
            elements += vector_length(a)
            if same_text(a, b) or values_equal(parse(a), parse(b), difference):
                continue
            differing[c] += 1
            if len(shown) < show:
                shown.append(f"  row {rows}, {columns[c]}: {shorten(a)} | {shorten(b)}")
    else:
        if next(rows_b, None) is not None:
            print(f"FAILED: {path_b} has more rows than {path_a} ({rows})", file=out)
            status = 1
    total_differing = sum(differing)
    print(f"rows: {rows:,}, columns: {len(columns)}", file=out)
    print(f"cells: {cells:,} compared, {cells - total_differing:,} equal, "
          f"{total_differing:,} differing (vector elements compared: {elements:,})", file=out)
    if total_differing:
        by_column = ", ".join(f"{columns[c]} {n:,}" for c, n in enumerate(differing) if n)
        print(f"differing cells by column: {by_column}", file=out)
        print(f"worst relative difference: {difference.relative:.3g} "
              f"({difference.ulps:,} ulps)", file=out)
        print(f"first differences (row, column: {path_a} | {path_b}):", file=out)
        for line in shown:
            print(line, file=out)
        status = 1
    else:
        print("worst relative difference: 0 (every cell exactly equal)", file=out)
    return status


def main():
    parser = argparse.ArgumentParser(
        description="Compare two training sets cell by cell, as values (see the module docstring).")
    parser.add_argument("fdlc_csv")
    parser.add_argument("other_csv")
    parser.add_argument("--show", type=int, default=10, metavar="N",
                        help="print the first N differing cells (default 10)")
    args = parser.parse_args()
    csv.field_size_limit(1 << 30)
    try:
        return compare(args.fdlc_csv, args.other_csv, args.show, sys.stdout)
    except (OSError, ValueError, csv.Error) as e:
        print(f"compare_training_sets.py: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
