#!/usr/bin/env python3
"""check_aggregations_documented.py - docs/language.md's table of result
types ("Result types (field type across, function down)") must say, for
every aggregation of stdlib/aggregations.def and every field type, what the
table's row says: the types it takes (values) and what it gives (result).
Every aggregation must appear there, and the docs must list no other.

Usage: check_aggregations_documented.py SOURCE_DIR
"""
import re
import sys

COLUMNS = ["no field", "int64", "float64", "bool", "string", "timestamp"]
NUMBER = {"int64", "float64"}
SCALAR = {"int64", "float64", "bool", "string", "timestamp"}


def table_rows(source_dir):
    text = open(f"{source_dir}/stdlib/aggregations.def", encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    rows = {}
    for m in re.finditer(r"FDL_AGGREGATION\(\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*,", text):
        name, _id, _param, values, result = m.groups()
        rows[name] = (values, result)
    return rows


def expected_cells(values, result):
    cells = []
    for column in COLUMNS:
        field = None if column == "no field" else column
        takes = {"ANY": True, "NUMBER": field in NUMBER, "SCALAR": field in SCALAR}[values]
        if not takes:
            cells.append("—")
            continue
        cells.append({"INT64": "int64", "FLOAT64": "float64", "STRING": "string",
                      "VECTOR": "float64_vector", "VALUE": field or "—"}[result])
    return cells


def documented(source_dir):
    text = open(f"{source_dir}/docs/language.md", encoding="utf-8").read()
    start = text.index("Result types (field type across, function down")
    table = text[start:].split("\n\n")[1]
    documented = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 7 or "with a list" in cells[0] or not cells[0].startswith("`"):
            continue
        for name in re.findall(r"`(\w+)`", cells[0]):
            documented[name] = cells[1:]
    return documented


def main():
    source_dir = sys.argv[1]
    rows, docs = table_rows(source_dir), documented(source_dir)
    problems = []
    if len(rows) < 18:
        problems.append(f"stdlib/aggregations.def: only {len(rows)} rows read")
    for name, (values, result) in rows.items():
        if name not in docs:
            problems.append(f"docs/language.md: no result types for {name}")
        elif docs[name] != expected_cells(values, result):
            problems.append(f"docs/language.md: {name}: {docs[name]}, but the table says "
                            f"{expected_cells(values, result)}")
    for name in docs:
        if name not in rows:
            problems.append(f"docs/language.md documents {name}, which the table does not have")
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{len(rows)} aggregations, {len(docs)} documented, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
