"""schema_test.py - docs/fdl.schema.json against every example.

Every YAML definition file of the tree that fdlc accepts, and the YAML form
(`fdlc fmt --to yaml`) of every .fdl example, validates against the schema;
files with misspelt keys or malformed values do not. YAML is read as
editors read it (YAML 1.2 numbers: `1e-3` is a float), through Debian's
python3-yaml, and validated with python3-jsonschema (Draft 2020-12).

usage: schema_test.py FDLC ROOT
"""
import json
import os
import re
import subprocess
import sys

import jsonschema
import yaml

FDLC, ROOT = sys.argv[1], sys.argv[2]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


class Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2's floats (1e-3 without a dot) and
    timestamps kept as text (fdlc reads them as text)."""


Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"), list("-+0123456789."))
Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in Loader.yaml_implicit_resolvers.items()}


def load(text):
    return yaml.load(text, Loader=Loader)


# Definition files fdlc accepts, each with the files it needs beside it.
ACCEPTED = [
    ["examples/seed/catalog.yaml", "examples/seed/features.yaml"],
    ["examples/validation/definitions.yaml"],
    ["tests/fdl/all.yaml"], ["tests/fdl/awkward.yaml"], ["tests/fdl/values.yaml"],
    ["tests/e2e/serve/wide_keys.yaml"], ["tests/fuzz/program.yaml"],
    ["tests/golden/codegen/by_and_lists.yaml"],
]
FDL = [["examples/seed/catalog.fdl", "examples/seed/features.fdl"], ["examples/validation/definitions.fdl"],
       ["tests/fdl/all.fdl"]]

# (what, a change to the seed's features.yaml text, what the schema must refuse)
BROKEN = [
    ("a misspelt key", ("aggregation:", "agregation:")),
    ("a window in words", ("window: 30d", "window: 30 days")),
    ("an unknown top-level key", ("features:", "featurez:")),
    ("an unknown aggregation", ("function: count", "function: tally")),
]


def main():
    with open(os.path.join(ROOT, "docs", "fdl.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    # The aggregation functions are exactly the rows of stdlib/aggregations.def.
    with open(os.path.join(ROOT, "stdlib", "aggregations.def")) as f:
        table = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    rows = re.findall(r"FDL_AGGREGATION\(\s*([a-z_0-9]+)\s*,", table)
    listed = schema["$defs"]["aggregation"]["properties"]["function"]["enum"]
    check(len(rows) >= 18 and sorted(rows) == sorted(listed),
          "the schema's aggregation functions are the table's: %s against %s" % (listed, rows))

    def errors(doc):
        return ["%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:160]) for e in validator.iter_errors(doc)]

    count = 0
    for group in ACCEPTED:
        paths = [os.path.join(ROOT, p) for p in group]
        r = subprocess.run([FDLC, "check", *paths], capture_output=True, text=True)
        check(r.returncode == 0, "fdlc accepts %s: %s" % (group, r.stderr[:300]))
        for path in paths:
            with open(path) as f:
                problems = errors(load(f.read()))
            check(not problems, "%s validates: %s" % (path, problems[:3]))
            count += 1
    for group in FDL:
        paths = [os.path.join(ROOT, p) for p in group]
        for path in paths:
            r = subprocess.run([FDLC, "fmt", "--to", "yaml", path], capture_output=True, text=True)
            check(r.returncode == 0, "fdlc fmt --to yaml %s: %s" % (path, r.stderr[:300]))
            problems = errors(load(r.stdout))
            check(not problems, "the YAML form of %s validates: %s" % (path, problems[:3]))
            count += 1
    with open(os.path.join(ROOT, "examples", "seed", "features.yaml")) as f:
        seed = f.read()
    for what, (old, new) in BROKEN:
        assert old in seed, old
        check(errors(load(seed.replace(old, new, 1))), "the schema refuses %s" % what)
    catalog = load(open(os.path.join(ROOT, "examples", "seed", "catalog.yaml")).read())
    catalog["sources"][0]["fields"][0]["type"] = "float32"
    check(errors(catalog), "the schema refuses an unknown field type")
    catalog = load(open(os.path.join(ROOT, "examples", "seed", "catalog.yaml")).read())
    catalog["sources"][0]["retention"] = "90d"
    check(not errors(catalog), "the schema takes a source's retention")
    for bad in ("90 days", "lifetime", 90):
        catalog["sources"][0]["retention"] = bad
        check(errors(catalog), "the schema refuses retention %r" % (bad,))
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("schema_test: %d files validate" % count)


main()
