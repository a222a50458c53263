"""compare_training_sets_test.py - bench/compare_training_sets.py, the cell
check of bench/vs_duckdb.sh, says equal exactly when the cells are equal.

No DuckDB here (it is never a test dependency): the other system's training
set is fdlc's own output of examples/seed respelled the way DuckDB writes
CSV (", " between vector elements, Python's shortest float text, quotes
where fdlc has none), which must compare equal; then single planted changes
each must be found: a float one ulp away, a vector element one ulp away, a
null against an empty string, -0.0 against 0.0, integers beyond 2^53, a
missing row, a renamed column. Also: every case reaches the right exit
status (0 equal, 1 differ, 2 unreadable input).

  compare_training_sets_test.py FDLC SEED_DIR COMPARE_PY WORK_DIR
"""
import csv
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import describe_run, fail, fresh_dir, run_fdlc  # noqa: E402


def duckdb_spelling(cell):
    """A cell of fdlc's output as DuckDB's COPY would write the same value."""
    if cell.startswith("[") and cell.endswith("]"):
        return "[" + ", ".join(repr(float(e)) for e in cell[1:-1].split(",")) + "]"
    try:
        int(cell)
        return cell
    except ValueError:
        pass
    try:
        return repr(float(cell))
    except ValueError:
        return cell


def write_csv(path, rows, null_columns=()):
    """Writes rows; a None cell is null (empty, unquoted), every other cell
    is quoted, as a stricter writer might (QUOTE_ALL would quote nulls)."""
    with open(path, "w", newline="") as f:
        for row in rows:
            f.write(",".join("" if c is None else '"' + c.replace('"', '""') + '"' for c in row))
            f.write("\n")


def read_rows(path):
    """fdlc's output: its cells, None for an empty cell (fdlc writes null so,
    and no empty strings here)."""
    with open(path, newline="") as f:
        return [[c if c != "" else None for c in row] for row in csv.reader(f)]


class Compare:
    def __init__(self, compare_py, work):
        self.compare_py = compare_py
        self.work = work
        self.cases = 0

    def run(self, a, b):
        return subprocess.run([sys.executable, self.compare_py, a, b],
                              capture_output=True, text=True, timeout=60)

    def expect(self, label, rows_a, rows_b, status, *texts):
        """Writes both tables, compares them, checks status and output."""
        self.cases += 1
        a = os.path.join(self.work, "%02d_a.csv" % self.cases)
        b = os.path.join(self.work, "%02d_b.csv" % self.cases)
        write_csv(a, rows_a)
        write_csv(b, rows_b)
        self.expect_files(label, a, b, status, *texts)

    def expect_files(self, label, a, b, status, *texts):
        proc = self.run(a, b)
        if proc.returncode != status:
            fail("%s: expected exit status %d\n%s" % (label, status, describe_run(proc)))
        for text in texts:
            if text not in proc.stdout:
                fail("%s: output lacks %r\n%s" % (label, text, describe_run(proc)))


def changed(rows, r, c, value):
    copy = [list(row) for row in rows]
    copy[r][c] = value
    return copy


def main():
    if len(sys.argv) != 5:
        fail("usage: compare_training_sets_test.py FDLC SEED_DIR COMPARE_PY WORK_DIR")
    fdlc, seed, compare_py, work = (os.path.abspath(p) for p in sys.argv[1:])
    work = fresh_dir(work)
    out = os.path.join(work, "fdlc.csv")
    data = os.path.join(seed, "data")
    proc = run_fdlc(fdlc, ["batch", "catalog.yaml", "features.yaml",
                           "--source", "purchases=data/purchases.csv",
                           "--source", "orders=data/orders.csv",
                           "--spine", os.path.join(data, "spine.csv"),
                           "--set", "ranking_v1", "--out", out], seed, work)
    if proc.returncode != 0:
        fail("fdlc batch failed: " + describe_run(proc))
    compare = Compare(compare_py, work)

    # fdlc's file against itself, and against DuckDB's spelling of it.
    rows = read_rows(out)
    header = rows[0]
    column = {name: i for i, name in enumerate(header)}
    cells = (len(rows) - 1) * len(header)
    compare.expect_files("identical files", out, out, 0, "%s equal, 0 differing" % format(cells, ","))
    respelled = [header] + [[None if c is None else duckdb_spelling(c) for c in row] for row in rows[1:]]
    if respelled == rows:
        fail("the respelled copy is the same text: the test would prove nothing")
    compare.expect("DuckDB's spelling", rows, respelled, 0, "%s equal, 0 differing" % format(cells, ","),
                   "every cell exactly equal")

    # Find a row with a mean, a cosine and both vectors, and one with a null.
    full = next(r for r in range(1, len(rows)) if all(c is not None for c in rows[r]))
    mean = column["user_avg_order_value_90d"]
    affinity = column["user_product_affinity"]
    vector = column["user_embedding"]
    count = column["user_purchase_count_30d"]
    x = float(rows[full][mean])
    one_ulp = changed(respelled, full, mean, repr(math.nextafter(x, math.inf)))
    compare.expect("a float one ulp away", rows, one_ulp, 1,
                   "1 differing", "user_avg_order_value_90d 1", "(1 ulps)",
                   "row %d, user_avg_order_value_90d" % full)
    y = float(rows[full][affinity])
    compare.expect("a cosine two ulps away", rows,
                   changed(respelled, full, affinity,
                           repr(math.nextafter(math.nextafter(y, 2.0), 2.0))), 1,
                   "user_product_affinity 1", "(2 ulps)")
    elements = rows[full][vector][1:-1].split(",")
    elements[5] = repr(math.nextafter(float(elements[5]), -math.inf))
    compare.expect("a vector element one ulp away", rows,
                   changed(respelled, full, vector, "[" + ", ".join(elements) + "]"), 1,
                   "user_embedding 1", "(1 ulps)")
    compare.expect("a vector one element short", rows,
                   changed(respelled, full, vector, "[" + ", ".join(elements[:-1]) + "]"), 1,
                   "user_embedding 1", "worst relative difference: inf")
    compare.expect("a count off by one", rows,
                   changed(respelled, full, count, str(int(rows[full][count]) + 1)), 1,
                   "user_purchase_count_30d 1")
    compare.expect("a count spelled as a double", rows,
                   changed(respelled, full, count, rows[full][count] + ".0"), 0, "0 differing")
    compare.expect("a value against null", rows, changed(respelled, full, mean, None), 1,
                   "1 differing")
    compare.expect("a key's case", rows,
                   changed(respelled, full, column["user_id"], rows[full][column["user_id"]].upper()),
                   1, "user_id 1")

    # Small tables for what the seed does not hold.
    h = ["k", "v"]
    compare.expect("null against the empty string", [h, ["a", None]], [h, ["a", ""]], 1,
                   "1 differing")
    compare.expect("empty strings", [h, ["a", ""]], [h, ["a", ""]], 0, "0 differing")
    compare.expect("-0.0 against 0.0", [h, ["a", "-0.0"]], [h, ["a", "0.0"]], 1, "1 differing")
    compare.expect("0 against 0.0", [h, ["a", "0"]], [h, ["a", "0.0"]], 0, "0 differing")
    compare.expect("2^53 + 1 against the double 2^53", [h, ["a", "9007199254740993"]],
                   [h, ["a", "9007199254740992.0"]], 1, "1 differing")
    compare.expect("integers beyond 64 bits", [h, ["a", "123456789012345678901234567890"]],
                   [h, ["a", "123456789012345678901234567891"]], 1, "1 differing")
    compare.expect("NaN", [h, ["a", "nan"]], [h, ["a", "NaN"]], 0, "0 differing")
    compare.expect("1e-05 against 0.00001", [h, ["a", "0.00001"]], [h, ["a", "1e-05"]], 0,
                   "0 differing")
    compare.expect("a null vector element", [h, ["a", "[1,2]"]], [h, ["a", "[1, NULL]"]], 1,
                   "1 differing")
    compare.expect("quoted text with commas, quotes, newlines",
                   [h, ['x,"y"\nz', "1"]], [h, ['x,"y"\nz', "1"]], 0, "0 differing")
    compare.expect("a missing row", [h, ["a", "1"], ["b", "2"]], [h, ["a", "1"]], 1,
                   "fewer rows")
    compare.expect("an extra row", [h, ["a", "1"]], [h, ["a", "1"], ["b", "2"]], 1, "more rows")
    compare.expect("a renamed column", [h, ["a", "1"]], [["k", "w"], ["a", "1"]], 1,
                   "headers differ")
    compare.expect_files("a missing file", out, os.path.join(work, "absent.csv"), 2)
    print("ok: %d comparisons, each with the expected verdict" % compare.cases)


if __name__ == "__main__":
    main()
