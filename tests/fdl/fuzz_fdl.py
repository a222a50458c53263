#!/usr/bin/env python3
"""fuzz_fdl.py - expectations, policies, SLAs and retention in .fdl through fdlc, at random.

    fuzz_fdl.py FDLC SOURCE_DIR [PROGRAMS [MUTATIONS [SEED]]]

1. PROGRAMS random sources with every kind of expectation, policy,
   on_invalid, SLA and retention, values that are hard to keep (text that looks like a
   number, bool or null, escapes, control characters): `fdlc fmt` must be
   idempotent and convert fdl -> yaml -> fdl unchanged, and `fdlc check
   --dump-ir` must print the same for the .fdl file and its YAML form, or
   report the same errors.
2. MUTATIONS mutated copies of tests/fdl files (bytes deleted, copied,
   replaced, tokens of the new syntax inserted) through `fdlc check`,
   `fdlc fmt` and `fdlc fmt --to yaml`: no crash and no sanitizer report
   (run it with the sanitizer build), and whatever fmt accepts formats to
   a fixed point that converts there and back unchanged (for valid UTF-8:
   YAML cannot hold other bytes).
Deterministic for a given SEED.
"""
import os, random, re, shutil, subprocess, sys, tempfile

fdlc = os.path.abspath(sys.argv[1])
src = os.path.abspath(sys.argv[2])
programs = int(sys.argv[3]) if len(sys.argv) > 3 else 40
mutations = int(sys.argv[4]) if len(sys.argv) > 4 else 100
rng = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
work = tempfile.mkdtemp(prefix="fdl-fuzz-")
env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
failures = 0


def run(args, text_for_report):
    p = subprocess.run([fdlc] + list(args), cwd=work, capture_output=True, env=env, timeout=60)
    if p.returncode < 0 or p.returncode >= 64 or b"Sanitizer" in p.stderr or b"runtime error" in p.stderr:
        report("crash or sanitizer report in fdlc %s" % " ".join(args), text_for_report,
               p.stderr.decode("utf-8", "replace")[-3000:])
        return None
    return p


def report(what, text, detail=""):
    global failures
    failures += 1
    keep = os.path.join(work, "failure%d.fdl" % failures)
    with open(keep, "wb") as f:
        f.write(text if isinstance(text, bytes) else text.encode())
    print("FAIL: %s (input kept as %s)\n%s" % (what, keep, detail))


def write(name, data):
    with open(os.path.join(work, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def round_trip(name, first, text):
    """first: fmt's output for name; checks the fixed point and there and back."""
    ext = name.rsplit(".", 1)[1]
    other = "yaml" if ext == "fdl" else "fdl"
    write("canon." + ext, first)
    again = run(["fmt", "canon." + ext], text)
    there = run(["fmt", "--to", other, "canon." + ext], text)
    if not again or not there:
        return
    if again.returncode != 0:
        return report("the canonical form does not read back", text, again.stderr.decode("utf-8", "replace"))
    if again.stdout != first:
        return report("fmt is not idempotent", text)
    write("there." + other, there.stdout)
    back = run(["fmt", "--to", ext, "there." + other], text)
    if back and back.stdout != first:
        report("%s -> %s -> %s changed the text" % (ext, other, ext), text)


def s(text):  # an fdl string literal
    out = '"'
    for ch in text:
        out += {'"': '\\"', '\\': '\\\\', '\n': '\\n', '\t': '\\t', '\r': '\\r', '\0': '\\0'}.get(ch, ch)
    return out + '"'
weird = ["", "+5", "1e999", "0x10", "True", "null", "~", "12", "-0.5", "a,b", "[x]", "{y}", "#c", "it's",
         'q"', "back\\", "tab\t", "nl\n", "\x01ctl", "\x7f", "\u00e9t\u00e9", "NULL", "yes", "- a", ": b", "\0nul"]
def number():
    return rng.choice(["0", "1", "-1", "007", "1.5", "-.5", "5.", "1e4", "2E-3", "9223372036854775807",
                       "-9223372036854775807", "0.1", "100", "null"])
def value(kind):
    if rng.random() < 0.15: return s(rng.choice(weird))
    if kind == "string": return s(rng.choice(weird + ["books", "food"]))
    if kind == "bool": return rng.choice(["true", "false", "null"])
    if kind == "timestamp": return rng.choice(["1700000000", s("2024-01-01T00:00:00Z"), "null"])
    return number()
def policy(allowed, kind):
    p = rng.choice(allowed + [None])
    if p is None: return ""
    if p == "impute": return " impute " + value(kind)
    return " " + p
def duration():
    return str(rng.randint(1, 500)) + rng.choice("smhdw")
def field_expect(kind, names):
    k = rng.choice(["not_null", "range", "in", "matches", "max_future", "ordered", "max_gap", "exists_in",
                    "mean", "stddev", "null_ratio", "distinct"])
    pol = ["fail", "drop", "clamp", "flag", "impute"]
    if k == "not_null": t = "not_null"
    elif k == "range": t = "range [%s, %s]" % (value(kind), value(kind))
    elif k == "in": t = "in [%s]" % ", ".join(value(kind) for _ in range(rng.randint(1, 4)))
    elif k == "matches": t = "matches " + s(rng.choice(["^a", "b$", "[0-9]+", "x|y"] + weird))
    elif k in ("max_future", "max_gap"): t = k + " " + duration()
    elif k == "ordered": t = "ordered"
    elif k == "exists_in": t = "exists_in " + rng.choice(["other.k", "other.n", "emb"])
    elif k in ("mean", "stddev", "distinct"): t = "%s [%s, %s]" % (k, number(), number())
    else: t = "null_ratio " + number()
    return t + policy(pol, kind)
def row_expect(names):
    if rng.random() < 0.5:
        return "unique [%s]" % ", ".join(rng.sample(names, rng.randint(1, len(names)))) + policy(["fail", "drop", "flag"], "string")
    e = rng.choice(["%s is not null" % rng.choice(names), "%s > 0 or %s = 'x'" % (names[0], names[-1]), "true",
                    "not (%s in (1, 2))" % rng.choice(names)])
    return "expr(%s)" % e + policy(["fail", "drop", "flag"], "string")
kinds = ["int64", "float64", "bool", "string", "timestamp"]


def program():
    names = ["f%d" % i for i in range(rng.randint(1, 5))]
    fields = ["ts: timestamp" + (" on_invalid " + rng.choice(["drop", "fail"]) if rng.random() < .3 else "")
              + (" expect(%s)" % field_expect("timestamp", names) if rng.random() < .5 else "")]
    for name in names:
        kind = rng.choice(kinds)
        f = "%s: %s" % (name, kind)
        if rng.random() < 0.4:
            f += " on_invalid" + (policy(["fail", "drop", "flag", "impute"], kind) or " flag")
        if rng.random() < 0.8:
            f += " expect(%s)" % ", ".join(field_expect(kind, names) for _ in range(rng.randint(0, 4)))
        fields.append(f)
    clauses = []
    if rng.random() < .7:
        clauses.append(" expect(%s)" % ", ".join(row_expect(names) for _ in range(rng.randint(0, 3))))
    if rng.random() < .7:
        items = []
        if rng.random() < .7:
            items.append("pass_rate " + rng.choice(["0.99", "1", "0", ".5", "1e-3"]))
        if rng.random() < .7:
            items.append("min_rows " + rng.choice(["0", "1000", "-1", "9223372036854775807"]))
        if rng.random() < .7:
            items.append("max_null_ratio(%s)" % ", ".join(
                "%s %s" % (n, rng.choice(["0", "0.01", "1"])) for n in rng.sample(names, rng.randint(1, len(names)))))
        rng.shuffle(items)
        clauses.append(" sla(%s)" % ", ".join(items))
    if rng.random() < .3:
        clauses.append(" retention " + rng.choice(["90d", "2160h", "13w", "1s", "15m"]))
    if rng.random() < .5:
        clauses.append(" " + s(rng.choice(weird[:-1])))   # a description holds no NUL
    rng.shuffle(clauses)
    return ("entity e { key k }\nsource other at t { k: string, n: int64 }\n"
            "embedding emb of e dimension 2 from \"e.csv\"\n"
            "source s at ts {\n    " + ",\n    ".join(fields) + "\n}" + "".join(clauses) + "\n")


def errors(stderr):
    return sorted(set(re.findall(r"error: (.*)", stderr.decode("utf-8", "replace"))))


valid = 0
for _ in range(programs):
    text = program()
    write("g.fdl", text)
    formatted = run(["fmt", "g.fdl"], text)
    if not formatted:
        continue
    if formatted.returncode != 0:
        report("the front end rejects a generated program", text, formatted.stderr.decode())
        continue
    round_trip("g.fdl", formatted.stdout, text)
    as_yaml = run(["fmt", "--to", "yaml", "g.fdl"], text)
    if not as_yaml:
        continue
    write("g.yaml", as_yaml.stdout)
    yaml_formatted = run(["fmt", "g.yaml"], text)
    if yaml_formatted:
        round_trip("g.yaml", yaml_formatted.stdout, text)
    left, right = run(["check", "--dump-ir", "g.fdl"], text), run(["check", "--dump-ir", "g.yaml"], text)
    if left and right:
        if left.returncode != right.returncode or left.stdout != right.stdout:
            report("check --dump-ir differs between the .fdl and the YAML form", text)
        elif errors(left.stderr) != errors(right.stderr):
            report("the .fdl and the YAML form report different errors", text,
                   "%s\n%s" % (errors(left.stderr), errors(right.stderr)))
        valid += left.returncode == 0

tokens = [b"expect(", b"sla(", b"on_invalid", b"impute", b"drop", b"clamp", b"flag", b"fail", b"range",
          b"in", b"[", b"]", b"(", b")", b",", b"-", b"null", b"true", b"1h", b"1 h", b"0.5", b"\"x\"",
          b"max_null_ratio(", b"unique [", b"expr(", b"exists_in", b"a.b", b"9223372036854775808",
          b"1e999", b"`in`", b"}", b"{", b":", b"#", b"'", b"\"", b"\\", b"\x00", b"\xff", b"\x01",
          b"not_null", b"pass_rate", b"min_rows", b"max_future", b"source", b"\n", b"retention ",
          b"retention 90d", b"0d", b"lifetime"]


def mutate(t):
    t = bytearray(t)
    for _ in range(rng.randint(1, 4)):
        op, i = rng.random(), rng.randrange(len(t) + 1)
        if op < 0.3 and len(t) > 1:
            del t[i:min(len(t), i + rng.randint(1, 8))]
        elif op < 0.6:
            t[i:i] = rng.choice(tokens)
        elif op < 0.8 and len(t) > 1:
            j = rng.randrange(len(t))
            t[i:i] = t[j:min(len(t), j + rng.randint(1, 40))]
        elif len(t):
            t[min(i, len(t) - 1)] = rng.randrange(256)
    return bytes(t)


seeds = []
for name in ["all.fdl", "diagnostics/expectations.fdl", "diagnostics/expectations-syntax.fdl"]:
    with open(os.path.join(src, "tests/fdl", name), "rb") as f:
        seeds.append(f.read())
values = subprocess.run([fdlc, "fmt", "--to", "fdl", os.path.join(src, "tests/fdl/values.yaml")],
                        capture_output=True, env=env)
seeds.append(values.stdout)
fixed_points = 0
for _ in range(mutations):
    text = mutate(rng.choice(seeds))
    write("m.fdl", text)
    for args in (["check", "m.fdl"], ["fmt", "m.fdl"], ["fmt", "--to", "yaml", "m.fdl"]):
        p = run(args, text)
        try:
            text.decode("utf-8")
            utf8 = True
        except UnicodeDecodeError:
            utf8 = False
        if p and p.returncode == 0 and args[0] == "fmt" and utf8:
            fixed_points += 1
            round_trip("m.yaml" if "yaml" in args else "m.fdl", p.stdout, text)

print("fuzz_fdl: %d programs (%d valid), %d mutations (%d formatted), %d failures"
      % (programs, valid, mutations, fixed_points, failures))
if failures == 0:
    shutil.rmtree(work)
sys.exit(1 if failures else 0)
