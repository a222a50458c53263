"""many_features.py - a program of a few thousand features, end to end
(issue 9, goal 6: the table-driven, split generated code).

bench/gen_many_features.py writes 3,000 features over the seed's catalog;
this test then checks:

  * `fdlc compile` splits the C: NAME.c, NAME_units.h and NAME_1.c ...,
    every file the manifest's c_files lists exists and compiles alone under
    -Wall -Wextra -Wpedantic -Werror, and compiling a small
    program into the same directory afterwards removes the stale NAME_K.c
    and NAME_units.h;
  * `fdlc build` links them into one library; with a C compiler that
    fails it exits 2, keeps the old library and leaves no objects behind;
  * `fdlc batch` (through the build cache: a miss, then a hit) computes a
    set of 120 of the aggregations, plain rows of the kernel table, over
    data made here, and every cell equals the answer computed in Python from
    the documented rules (window t - w <= time < t, `where` filters,
    defaults); a second set of derived features and cosines, which keep real
    code in the split files, runs through the same batch and agrees between
    the cache miss and the cache hit.

Not timed: bench/bench_compile.sh measures the build.

  many_features.py FDLC SOURCE_DIR WORK_DIR
"""
import json
import math
import os
import random
import re
import subprocess
import sys
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_common import fail, fresh_dir, parse_csv  # noqa: E402

FEATURES = 3000
CHECKED = ("count", "sum", "mean", "min", "max", "first", "last", "count_distinct")
UNITS = {"h": 3600, "d": 86400}
BASE = 1704067200  # 2024-01-01T00:00:00Z
DAYS = 400


def run(args, cwd, env=None):
    proc = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        fail("%s exited %d:\n%s" % (" ".join(args[:2]), proc.returncode,
                                     proc.stderr.decode("utf-8", "replace")))
    return proc


def iso(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_data(work, rng):
    """Purchases, orders and a spine: whole seconds, amounts in cents (no
    nulls), distinct times so first/last have no ties."""
    users = ["u%03d" % i for i in range(12)]
    products = ["p%02d" % i for i in range(5)]
    categories = ["books", "food", "games", "music", "toys"]
    times = rng.sample(range(0, DAYS * 86400), 2600)
    purchases = []
    for ts in times[:2000]:
        purchases.append((BASE + ts, rng.choice(users[:10]), rng.choice(products),
                          rng.randrange(1, 120000) / 100, rng.choice(categories)))
    orders = []
    for i, ts in enumerate(times[2000:]):
        orders.append((BASE + ts, i + 1, rng.choice(users[:10]), rng.randrange(1, 300000) / 100))
    spine = []
    for _ in range(60):
        # users 10 and 11 and late reads: empty windows, defaults
        spine.append((rng.choice(users), rng.choice(products),
                      BASE + rng.randrange(3600, (DAYS + 30) * 86400)))
    with open(os.path.join(work, "purchases.csv"), "w") as f:
        f.write("ts,user_id,product_id,amount,category\n")
        for ts, u, p, a, c in purchases:
            f.write("%s,%s,%s,%.2f,%s\n" % (iso(ts), u, p, a, c))
    with open(os.path.join(work, "orders.csv"), "w") as f:
        f.write("order_id,user_id,ordered_at,total_amount\n")
        for ts, i, u, a in orders:
            f.write("%d,%s,%s,%.2f\n" % (i, u, iso(ts), a))
    with open(os.path.join(work, "spine.csv"), "w") as f:
        f.write("user_id,product_id,timestamp,label\n")
        for u, p, t in spine:
            f.write("%s,%s,%s,0\n" % (u, p, iso(t)))
    for name, keys in (("user2vec_v3.csv", users), ("product2vec_v3.csv", products)):
        with open(os.path.join(work, name), "w") as f:
            f.write("key," + ",".join("v%d" % i for i in range(128)) + "\n")
            for k in keys:
                f.write(k + "," + ",".join("%.3f" % rng.uniform(-1, 1) for _ in range(128)) + "\n")
    # Amounts as the CSV holds them (parsed back: the same doubles fdlc reads).
    purchases = [(ts, u, p, float("%.2f" % a), c) for ts, u, p, a, c in purchases]
    orders = [(ts, i, u, float("%.2f" % a)) for ts, i, u, a in orders]
    return purchases, orders, spine


AGG = re.compile(r"    aggregation: \{function: (\w+), source: ([\w.]+), window: (\d+)([hd])"
                 r"(?:, where: '([^']*)')?\}")


def parse_features(text):
    """The generated aggregations: name -> (entity, function, source, field,
    window seconds, where, default), and the derived feature names."""
    features, derived = {}, []
    blocks = text.split("\n  - name: ")[1:]
    for block in blocks:
        lines = block.split("\n")
        name = lines[0]
        if "    expr: " in block or "cosine_similarity" in block:
            derived.append(name)
            continue
        m = AGG.search(block)
        if not m:
            continue
        entity = re.search(r"    entity: (\w+)", block).group(1)
        source, _, field = m.group(2).partition(".")
        default = re.search(r"    default: (\S+)", block)
        features[name] = (entity, m.group(1), source, field or None,
                          int(m.group(3)) * UNITS[m.group(4)], m.group(5),
                          default.group(1) if default else None)
    return features, derived


def where_function(text):
    """A generated where filter as a Python predicate of an event's fields."""
    if text is None:
        return lambda fields: True
    code = text.replace(" = ", " == ")
    return lambda fields: eval(code, {}, fields)  # the generator's four shapes only


def expected(feature, events, t):
    """The value of one aggregation at t, or None (null)."""
    entity, function, source, field, window, where, default = feature
    keep = where_function(where)
    values = []
    for time, fields in events:
        if t - window <= time < t and keep(fields):
            values.append(fields[field] if field else 1)
    if function == "count":
        result = len(values)
    elif function == "count_distinct":
        result = len(set(values))
    elif function == "sum":
        result = math.fsum(values)
    elif not values:
        result = None
    elif function == "mean":
        result = math.fsum(values) / len(values)
    elif function == "min":
        result = min(values)
    elif function == "max":
        result = max(values)
    elif function == "first":
        result = values[0]
    else:
        result = values[-1]
    if result is None and default is not None:
        result = float(default) if "." in default else int(default)
    return result


def check_cell(name, row, cell, want):
    if want is None:
        if cell.text != "" or cell.quoted:
            fail("row %d, %s: expected null, got %r" % (row, name, cell))
        return
    if cell.text == "":
        fail("row %d, %s: expected %r, got null" % (row, name, want))
    got = int(cell.text) if isinstance(want, int) else float(cell.text)
    if got != want or (isinstance(want, float) and math.copysign(1, got) != math.copysign(1, want)):
        fail("row %d, %s: expected %r, got %s" % (row, name, want, cell.text))


def main():
    fdlc, source_dir, work = sys.argv[1:4]
    fdlc, source_dir = os.path.abspath(fdlc), os.path.abspath(source_dir)
    fresh_dir(work)
    rng = random.Random(96)
    defs = os.path.join(work, "many.yaml")
    run([sys.executable, os.path.join(source_dir, "bench", "gen_many_features.py"), defs,
         "--features", str(FEATURES), "--sets", "2"], work)
    with open(defs) as f:
        text = f.read()
    features, derived = parse_features(text)
    chosen = sorted(n for n, f in features.items() if f[1] in CHECKED)
    rng.shuffle(chosen)
    chosen = sorted(chosen[:120])
    if len(chosen) < 100 or len(derived) < 100:
        fail("the generator made too few checkable features: %d, %d" % (len(chosen), len(derived)))
    with open(defs, "a") as f:
        f.write("  - name: checked\n    features: [%s]\n" % ", ".join(chosen))
        f.write("  - name: computed\n    features: [%s]\n" % ", ".join(derived[:150]))

    # Compile: split files, listed in the manifest.
    run([fdlc, "compile", "many.yaml", "-o", "gen"], work)
    gen = os.path.join(work, "gen")
    with open(os.path.join(gen, "fdlfeatures.json")) as f:
        c_files = json.load(f)["c_files"]
    if len(c_files) < 3 or c_files[0] != "fdlfeatures.c":
        fail("expected a split program, manifest c_files: %r" % c_files)
    on_disk = sorted(n for n in os.listdir(gen) if n.endswith(".c"))
    if on_disk != sorted(c_files) or not os.path.exists(os.path.join(gen, "fdlfeatures_units.h")):
        fail("files %r, manifest %r" % (on_disk, c_files))

    # Each file compiles on its own, warning-free (fdlc build does not use -Werror).
    cc = os.environ.get("CC", "cc").split()
    for name in c_files:
        proc = subprocess.run(cc + ["-std=c11", "-O0", "-Wall", "-Wextra", "-Wpedantic", "-Werror",
                                    "-I", os.path.join(source_dir, "runtime", "include"), "-c", name,
                                    "-o", os.devnull], cwd=gen, stderr=subprocess.PIPE)
        if proc.returncode != 0:
            fail("%s does not compile cleanly:\n%s" % (name, proc.stderr.decode("utf-8", "replace")))

    # Build: one library.
    run([fdlc, "build", "many.yaml", "-o", "built"], work)
    library = os.path.join(work, "built", "libfdlfeatures.so")
    if not os.path.exists(library):
        fail("fdlc build wrote no library")
    # A compiler that fails: exit 2, the old library kept, no objects or
    # temporaries left.
    with open(library, "rb") as f:
        before = f.read()
    proc = subprocess.run([fdlc, "build", "many.yaml", "-o", "built"], cwd=work,
                          env=dict(os.environ, CC="false"), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    left = sorted(n for n in os.listdir(os.path.join(work, "built")) if n.startswith("."))
    with open(library, "rb") as f:
        after = f.read()
    if proc.returncode != 2 or left or after != before:
        fail("a failed build: exit %d, left %r, library %s" % (proc.returncode, left,
             "kept" if after == before else "changed"))

    # Batch through the cache, twice (a miss builds the split program).
    env = dict(os.environ, FDLC_CACHE_DIR=os.path.join(work, "cache"))
    purchases, orders, spine = make_data(work, rng)
    outputs = {}
    for attempt in ("miss", "hit"):
        for set_name in ("checked", "computed"):
            out = "%s_%s.csv" % (set_name, attempt)
            run([fdlc, "batch", "many.yaml", "--source", "purchases=purchases.csv",
                 "--source", "orders=orders.csv",
                 "--embedding", "user2vec_v3=user2vec_v3.csv",
                 "--embedding", "product2vec_v3=product2vec_v3.csv",
                 "--spine", "spine.csv", "--set", set_name, "--out", out], work, env)
            with open(os.path.join(work, out)) as f:
                outputs[out] = f.read()
    for set_name in ("checked", "computed"):
        if outputs[set_name + "_miss.csv"] != outputs[set_name + "_hit.csv"]:
            fail("set %s: the cache hit wrote other bytes than the miss" % set_name)

    # Every cell of the checked set against Python.
    events = {"purchases": {}, "orders": {}}
    for ts, u, p, a, c in purchases:
        fields = {"amount": a, "category": c}
        events["purchases"].setdefault(("user", u), []).append((ts, fields))
        events["purchases"].setdefault(("product", p), []).append((ts, fields))
    for ts, _, u, a in orders:
        events["orders"].setdefault(("user", u), []).append((ts, {"total_amount": a}))
    for key in events["purchases"]:
        events["purchases"][key].sort(key=lambda e: e[0])
    for key in events["orders"]:
        events["orders"][key].sort(key=lambda e: e[0])
    records = parse_csv(outputs["checked_miss.csv"])
    header = [c.text for c in records[0]]
    if header[-len(chosen):] != chosen or len(records) != len(spine) + 1:
        fail("unexpected output shape: %d rows, header %r" % (len(records), header[:8]))
    first = len(header) - len(chosen)
    for r, (user, product, t) in enumerate(spine):
        for i, name in enumerate(chosen):
            feature = features[name]
            key = ("user", user) if feature[0] == "user" else ("product", product)
            want = expected(feature, events[feature[2]].get(key, []), t)
            check_cell(name, r + 1, records[r + 1][first + i], want)
    computed = parse_csv(outputs["computed_miss.csv"])
    if len(computed) != len(spine) + 1:
        fail("set computed: %d rows" % len(computed))
    print("many_features: %d C files; %d cells checked, %d derived columns computed"
          % (len(c_files), len(spine) * len(chosen), len(computed[0]) - 4))

    # A small program into the same directory: the split files go.
    seed = os.path.join(source_dir, "examples", "seed")
    run([fdlc, "compile", os.path.join(seed, "catalog.yaml"), os.path.join(seed, "features.yaml"),
         "-o", "gen"], work)
    left = sorted(n for n in os.listdir(gen) if n.startswith("fdlfeatures_"))
    if left:
        fail("stale files of the split program left: %r" % left)


if __name__ == "__main__":
    main()
