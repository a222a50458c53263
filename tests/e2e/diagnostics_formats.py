"""diagnostics_formats.py - fdlc's diagnostics for CI and editors.

Runs the real `fdlc check` and checks:
  - --format=json: one object per error or warning with its code, name,
    message, file, line, columns and notes; valid UTF-8 JSON whatever bytes
    the input has; exit status as in text mode;
  - --format=sarif: the structure GitHub code scanning reads from SARIF
    2.1.0 (the required properties, checked against a schema written here
    with python3-jsonschema, as the official schema is not packaged), a rule
    per code with results pointing at it by id and index, regions in code
    points, relative paths as percent-encoded URIs;
  - colour: --color=always|never, and auto: colour on a terminal (a pty)
    unless NO_COLOR is set, never into a pipe;
  - lints: each warning, -Wno-NAME, -Werror, --require-descriptions, an
    unknown -W option refused; W0005 (a window longer than a source's
    retention) in YAML and .fdl, JSON and SARIF;
  - fdlc explain CODE | SLUG, the list, an unknown code.

usage: diagnostics_formats.py FDLC SOURCE_DIR WORK_DIR
"""
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import unittest

import jsonschema

FDLC = SRC = WORK = None

BASE = """entities:
  - name: user
    join_key: user_id
    description: "a user"
sources:
  - name: purchases
    timestamp: ts
    description: "purchases"
    fields:
      - {name: ts, type: timestamp}
      - {name: user_id, type: string}
      - {name: amount, type: float64}
"""

ERRORS = BASE + """features:
  - name: n
    entity: user
    aggregation: {function: count, source: purchases, windw: 30d}
  - name: n
    entity: user
    aggregation: {function: count, source: purchases, window: 7d}
  - name: k
    entity: user
    aggregation: {function: count, source: purchase, window: 30d}
"""

LINTS = BASE + """features:
  - name: served
    entity: user
    description: "served"
    aggregation: {function: count, source: purchases, window: 7d, where: "1 > 2"}
  - name: unused
    entity: user
    aggregation: {function: count, source: purchases, window: 7d}
feature_sets:
  - name: s
    description: "the set"
    features: [served]
"""

# W0005: the source keeps 90 days; 13w (91 days) and lifetime exceed it,
# 90d does not. The same program in .fdl.
RETENTION = """entities:
  - {name: user, join_key: user_id}
sources:
  - name: orders
    timestamp: ts
    retention: 90d
    fields:
      - {name: ts, type: timestamp}
      - {name: user_id, type: string}
features:
  - {name: n_90d, entity: user, aggregation: {function: count, source: orders, window: 90d}}
  - {name: n_13w, entity: user, aggregation: {function: count, source: orders, window: 13w}}
  - {name: n_ever, entity: user, aggregation: {function: count, source: orders, window: lifetime}}
feature_sets:
  - {name: s, features: [n_90d, n_13w, n_ever]}
"""
RETENTION_FDL = """entity user { key user_id }
source orders at ts { ts: timestamp, user_id: string } retention 90d
feature n_90d of user = count(orders) over 90d
feature n_13w of user = count(orders) over 13w
feature n_ever of user = count(orders) over lifetime
set s { n_90d, n_13w, n_ever }
"""


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)
    return name


def fdlc(*args, env=None, stderr=subprocess.PIPE):
    return subprocess.run([FDLC, *args], cwd=WORK, stdout=subprocess.PIPE, stderr=stderr,
                          env=env, timeout=60)


def table_codes():
    """The codes of compiler/diagnostics.def, in order."""
    with open(os.path.join(SRC, "compiler", "diagnostics.def")) as f:
        return re.findall(r'^DIAG\([A-Z_0-9]+, "([EW]\d{4})"', f.read(), re.M)


# The parts of SARIF 2.1.0 GitHub code scanning reads, with the properties
# the SARIF schema requires (version, runs, tool.driver.name, a rule's id,
# a result's message) and those GitHub needs (ruleId, a location's file
# and region).
TEXT = {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}
REGION = {
    "type": "object",
    "required": ["startLine", "startColumn", "endLine", "endColumn"],
    "properties": {k: {"type": "integer", "minimum": 1}
                   for k in ("startLine", "startColumn", "endLine", "endColumn")},
}
PHYSICAL = {
    "type": "object",
    "required": ["artifactLocation", "region"],
    "properties": {
        "artifactLocation": {"type": "object", "required": ["uri"],
                             "properties": {"uri": {"type": "string", "format": "uri-reference"}}},
        "region": REGION,
    },
}
LOCATION = {"type": "object", "properties": {"id": {"type": "integer", "minimum": 0},
                                             "physicalLocation": PHYSICAL, "message": TEXT}}
SARIF_SCHEMA = {
    "type": "object",
    "required": ["version", "runs", "$schema"],
    "properties": {
        "version": {"const": "2.1.0"},
        "runs": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
            "type": "object",
            "required": ["tool", "results"],
            "properties": {
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "tool": {"type": "object", "required": ["driver"], "properties": {"driver": {
                    "type": "object",
                    "required": ["name", "rules"],
                    "properties": {
                        "name": {"type": "string"},
                        "version": {"type": "string"},
                        "rules": {"type": "array", "items": {
                            "type": "object",
                            "required": ["id", "shortDescription", "fullDescription", "help",
                                         "defaultConfiguration"],
                            "properties": {
                                "id": {"type": "string"}, "name": {"type": "string"},
                                "shortDescription": TEXT, "fullDescription": TEXT, "help": TEXT,
                                "defaultConfiguration": {"type": "object", "properties": {
                                    "level": {"enum": ["none", "note", "warning", "error"]}}},
                            }}},
                    }}}},
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["ruleId", "ruleIndex", "level", "message", "locations"],
                    "properties": {
                        "ruleId": {"type": "string"},
                        "ruleIndex": {"type": "integer", "minimum": 0},
                        "level": {"enum": ["none", "note", "warning", "error"]},
                        "message": TEXT,
                        "locations": {"type": "array", "items": LOCATION},
                        "relatedLocations": {"type": "array", "items": LOCATION},
                    }}},
            }}},
    },
}


class Json(unittest.TestCase):
    def test_errors_and_notes(self):
        r = fdlc("check", "--format=json", write("errors.yaml", ERRORS))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, b"", "JSON mode prints nothing on stderr")
        doc = json.loads(r.stdout.decode("utf-8"))
        self.assertEqual(doc["version"], 1)
        self.assertEqual(doc["errors"], 3)
        got = [(d["code"], d["name"], d["line"], d["column"]) for d in doc["diagnostics"]]
        self.assertEqual(got, [("E0101", "unknown-key", 16, 55), ("E0204", "duplicate-definition", 17, 11),
                               ("E0202", "unknown-name", 22, 44)])
        first = doc["diagnostics"][0]
        self.assertEqual(first["message"], "unknown key 'windw' in aggregation; did you mean 'window'?")
        self.assertEqual((first["file"], first["end_line"], first["end_column"]), ("errors.yaml", 16, 60))
        self.assertEqual(first["severity"], "error")
        notes = doc["diagnostics"][1]["notes"]
        self.assertEqual(len(notes), 1)
        self.assertEqual((notes[0]["line"], notes[0]["column"]), (14, 11))

    def test_clean_file(self):
        r = fdlc("check", "--format=json", "-Wno-unused-feature", "-Wno-constant-where",
                 write("clean.yaml", LINTS))
        self.assertEqual(r.returncode, 0)
        self.assertEqual(json.loads(r.stdout)["diagnostics"], [])

    def test_bytes_that_are_not_utf8(self):
        text = ERRORS.replace("source: purchase,", "source: pur\xffch\x01ase,").encode("latin-1")
        r = fdlc("check", "--format=json", write("latin1.yaml", text))
        doc = json.loads(r.stdout.decode("utf-8"))   # strict: must be UTF-8
        self.assertTrue(doc["errors"] >= 1)

    def test_file_that_cannot_be_read(self):
        r = fdlc("check", "--format=json", "missing.yaml")
        doc = json.loads(r.stdout)
        self.assertEqual(doc["diagnostics"][0]["code"], "E0001")
        self.assertIsNone(doc["diagnostics"][0]["line"])


class Sarif(unittest.TestCase):
    def run_sarif(self, *files):
        r = fdlc("check", "--format=sarif", *files)
        doc = json.loads(r.stdout.decode("utf-8"))
        jsonschema.validate(doc, SARIF_SCHEMA, format_checker=jsonschema.FormatChecker())
        return r, doc

    def test_structure(self):
        r, doc = self.run_sarif(write("errors.yaml", ERRORS))
        self.assertEqual(r.returncode, 1)
        run = doc["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        self.assertEqual([rule["id"] for rule in rules], table_codes())
        for result in run["results"]:
            self.assertEqual(rules[result["ruleIndex"]]["id"], result["ruleId"])
        first = run["results"][0]
        self.assertEqual(first["ruleId"], "E0101")
        loc = first["locations"][0]["physicalLocation"]
        self.assertEqual(loc["artifactLocation"]["uri"], "errors.yaml")
        self.assertEqual(loc["region"], {"startLine": 16, "startColumn": 55, "endLine": 16, "endColumn": 60})
        related = run["results"][1]["relatedLocations"]
        self.assertEqual(related[0]["message"]["text"], "'n' is first defined here")

    def test_columns_in_code_points_and_uris(self):
        # A two-byte and a four-byte character before the mistake on its line.
        text = ERRORS.replace("aggregation: {function: count, source: purchase,",
                              "aggregation: {tags: [\"é😀\"], function: count, source: purchase,")
        _, doc = self.run_sarif(write("with space é.yaml", text))
        results = doc["runs"][0]["results"]
        self.assertEqual(doc["runs"][0]["columnKind"], "unicodeCodePoints")
        tagged = [r for r in results if r["ruleId"] == "E0101" and "tags" in r["message"]["text"]]
        self.assertEqual(len(tagged), 1)
        unknown = [r for r in results if r["ruleId"] == "E0202"][0]
        loc = unknown["locations"][0]["physicalLocation"]
        self.assertEqual(loc["artifactLocation"]["uri"], "with%20space%20%C3%A9.yaml")
        line = text.split("\n")[loc["region"]["startLine"] - 1]
        self.assertEqual(line[loc["region"]["startColumn"] - 1:loc["region"]["endColumn"] - 1], "purchase")

    def test_warnings(self):
        r, doc = self.run_sarif(write("lints.yaml", LINTS))
        self.assertEqual(r.returncode, 0)
        levels = sorted((x["ruleId"], x["level"]) for x in doc["runs"][0]["results"])
        self.assertEqual(levels, [("W0001", "warning"), ("W0002", "warning")])


class Colour(unittest.TestCase):
    ESC = b"\x1b["

    def test_always_and_never(self):
        write("errors.yaml", ERRORS)
        self.assertIn(self.ESC + b"1;31merror", fdlc("check", "--color=always", "errors.yaml").stderr)
        self.assertNotIn(self.ESC, fdlc("check", "--color=never", "errors.yaml").stderr)
        self.assertNotIn(self.ESC, fdlc("check", "--color=auto", "errors.yaml").stderr)  # a pipe

    def on_terminal(self, env):
        write("errors.yaml", ERRORS)
        leader, follower = pty.openpty()
        try:
            subprocess.run([FDLC, "check", "errors.yaml"], cwd=WORK, stdout=subprocess.DEVNULL,
                           stderr=follower, env=env, timeout=60)
            os.close(follower)
            out = b""
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: the other side is closed
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            os.close(leader)

    def test_auto_on_a_terminal_and_no_color(self):
        env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
        self.assertIn(self.ESC, self.on_terminal(env))
        self.assertNotIn(self.ESC, self.on_terminal(dict(env, NO_COLOR="1")))

    def test_bad_value(self):
        r = fdlc("check", "--color=sometimes", write("errors.yaml", ERRORS))
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"--color takes auto, always or never", r.stderr)


class Lints(unittest.TestCase):
    def codes(self, *args):
        r = fdlc("check", *args, write("lints.yaml", LINTS))
        return r.returncode, re.findall(r"(warning|error)\[(W\d+)\]", r.stderr.decode())

    def test_default(self):
        self.assertEqual(self.codes(), (0, [("warning", "W0002"), ("warning", "W0001")]))

    def test_off(self):
        self.assertEqual(self.codes("-Wno-unused-feature"), (0, [("warning", "W0002")]))
        self.assertEqual(self.codes("-Wno-constant-where", "-Wno-unused-feature"), (0, []))

    def test_werror(self):
        status, codes = self.codes("-Werror")
        self.assertEqual((status, codes), (1, [("error", "W0002"), ("error", "W0001")]))
        r = fdlc("check", "-Werror", "lints.yaml")
        self.assertIn(b"[-Werror,-Wunused-feature]", r.stderr)
        self.assertEqual(self.codes("-Werror", "-Wno-constant-where", "-Wno-unused-feature"), (0, []))
        # compile refuses too, and writes nothing
        out = os.path.join(WORK, "out")
        shutil.rmtree(out, ignore_errors=True)
        r = fdlc("compile", "-Werror", "lints.yaml", "-o", out)
        self.assertEqual(r.returncode, 1)
        self.assertFalse(os.path.exists(os.path.join(out, "fdlfeatures.c")))

    def test_require_descriptions(self):
        status, codes = self.codes("--require-descriptions", "-Wno-constant-where", "-Wno-unused-feature")
        self.assertEqual((status, codes), (0, [("warning", "W0003")]))
        r = fdlc("check", "--require-descriptions", "lints.yaml")
        self.assertIn(b"feature 'unused' has no description", r.stderr)
        self.assertEqual(self.codes("-Wmissing-description", "-Wno-constant-where", "-Wno-unused-feature"),
                         (0, [("warning", "W0003")]))
        self.assertEqual(self.codes("--require-descriptions", "-Werror", "-Wno-constant-where",
                                    "-Wno-unused-feature"), (1, [("error", "W0003")]))

    def test_unknown_option(self):
        r = fdlc("check", "-Wno-such-thing", write("lints.yaml", LINTS))
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"unknown warning option '-Wno-such-thing'", r.stderr)
        self.assertEqual(fdlc("check", "-Wno-unknown-key", "lints.yaml").returncode, 2)  # errors stay errors


class Retention(unittest.TestCase):
    """W0005 window-exceeds-retention, as the other lints."""

    def codes(self, *args, name="retention.yaml", text=RETENTION):
        r = fdlc("check", *args, write(name, text))
        return r.returncode, re.findall(r"(warning|error)\[(W\d+)\]", r.stderr.decode())

    def test_json(self):
        r = fdlc("check", "--format=json", write("retention.yaml", RETENTION))
        self.assertEqual(r.returncode, 0)
        got = [(d["code"], d["name"], d["severity"], d["line"], d["column"], d["end_column"])
               for d in json.loads(r.stdout)["diagnostics"]]
        self.assertEqual(got, [("W0005", "window-exceeds-retention", "warning", 12, 88, 91),
                               ("W0005", "window-exceeds-retention", "warning", 13, 89, 97)])
        message = json.loads(r.stdout)["diagnostics"][0]["message"]
        for part in ("'n_13w'", "13w", "90d", "'orders'"):
            self.assertIn(part, message)

    def test_fdl_alike(self):
        warned = (0, [("warning", "W0005"), ("warning", "W0005")])
        self.assertEqual(self.codes(), warned)
        self.assertEqual(self.codes(name="retention.fdl", text=RETENTION_FDL), warned)

    def test_off_and_werror(self):
        self.assertEqual(self.codes("-Wno-window-exceeds-retention"), (0, []))
        self.assertEqual(self.codes("-Werror"), (1, [("error", "W0005"), ("error", "W0005")]))
        self.assertIn(b"[-Werror,-Wwindow-exceeds-retention]",
                      fdlc("check", "-Werror", "retention.yaml").stderr)
        self.assertEqual(self.codes("-Werror", "-Wno-window-exceeds-retention"), (0, []))
        out = os.path.join(WORK, "retention-out")
        shutil.rmtree(out, ignore_errors=True)
        r = fdlc("compile", "-Werror", "retention.yaml", "-o", out)
        self.assertEqual(r.returncode, 1)
        self.assertFalse(os.path.exists(out) and os.listdir(out))

    def test_sarif(self):
        r = fdlc("check", "--format=sarif", write("retention.yaml", RETENTION))
        doc = json.loads(r.stdout)
        jsonschema.validate(doc, SARIF_SCHEMA, format_checker=jsonschema.FormatChecker())
        results = doc["runs"][0]["results"]
        self.assertEqual([(x["ruleId"], x["level"]) for x in results], [("W0005", "warning")] * 2)

    def test_within_retention_is_quiet(self):
        text = RETENTION.replace("window: 13w", "window: 12w").replace("window: lifetime", "window: 1d")
        self.assertEqual(self.codes(text=text), (0, []))

    def test_explain(self):
        for name in ("W0005", "window-exceeds-retention"):
            r = fdlc("explain", name)
            self.assertEqual(r.returncode, 0)
            self.assertTrue(r.stdout.startswith(b"warning[W0005] window-exceeds-retention: "))
            self.assertIn(b"retention: 90d", r.stdout)


class Explain(unittest.TestCase):
    def test_code(self):
        for name in ("E0101", "e0101", "unknown-key"):
            r = fdlc("explain", name)
            self.assertEqual(r.returncode, 0)
            self.assertTrue(r.stdout.startswith(b"error[E0101] unknown-key: "))
            self.assertIn(b"Right:", r.stdout)
            self.assertIn(b"window: 30d", r.stdout)

    def test_list_and_unknown(self):
        listed = fdlc("explain").stdout.decode().split("\n")
        self.assertEqual([line.split()[0] for line in listed if line], table_codes())
        r = fdlc("explain", "E9999")
        self.assertEqual(r.returncode, 2)
        self.assertIn(b"no diagnostic 'E9999'", r.stderr)


def main():
    global FDLC, SRC, WORK
    FDLC, SRC, WORK = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    unittest.main(argv=sys.argv[:1], verbosity=1)


if __name__ == "__main__":
    main()
