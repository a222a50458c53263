"""textmate_test.py - editors/fdl.tmLanguage.json, the .fdl grammar.

The file is valid JSON with the keys a TextMate grammar needs, every
pattern compiles, and a small tokenizer that applies the grammar as
TextMate does (earliest match first, then pattern order; begin/end
regions) gives: every reserved word of grammar/expr.l's keyword tables a
keyword scope, every aggregation of stdlib/aggregations.def and every function of
`fdlc functions` a function scope, every type a type scope, and the
examples' definitions, comments, strings and durations their scopes.

usage: textmate_test.py FDLC ROOT
"""
import json
import os
import re
import subprocess
import sys

FDLC, ROOT = sys.argv[1], sys.argv[2]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


with open(os.path.join(ROOT, "editors", "fdl.tmLanguage.json")) as f:
    GRAMMAR = json.load(f)


def expand(patterns):
    """The patterns with includes resolved, in order."""
    out = []
    for p in patterns:
        if "include" in p:
            out += expand([GRAMMAR["repository"][p["include"][1:]]])
        elif "patterns" in p and "match" not in p and "begin" not in p:
            out += expand(p["patterns"])
        else:
            out.append(p)
    return out


TOP = expand(GRAMMAR["patterns"])


def tokenize(line):
    """[(text, scope)] of one line (regions end on the same line here)."""
    tokens, pos = [], 0
    while pos < len(line):
        best = None
        for p in TOP:
            rx = re.compile(p.get("match") or p["begin"])
            m = rx.search(line, pos)
            if m and m.end() > m.start() and (best is None or m.start() < best[1].start()):
                best = (p, m)
        if best is None:
            break
        p, m = best
        if "begin" in p:
            end = re.compile(p["end"]).search(line, m.end())
            stop = end.end() if end else len(line)
            tokens.append((line[m.start():stop], p["name"]))
            pos = stop
            continue
        if "captures" in p:
            for group, capture in p["captures"].items():
                if m.group(int(group)) is not None:
                    tokens.append((m.group(int(group)), capture["name"]))
        else:
            tokens.append((m.group(0), p["name"]))
        pos = m.end()
    return tokens


def scope_of(line, word):
    for text, scope in tokenize(line):
        if text == word:
            return scope
    return None


def main():
    check(GRAMMAR.get("scopeName") == "source.fdl" and "fdl" in GRAMMAR.get("fileTypes", []),
          "scopeName source.fdl for .fdl files")
    for name, p in GRAMMAR["repository"].items():
        for q in expand([p]):
            for key in ("match", "begin", "end"):
                if key in q:
                    try:
                        re.compile(q[key])
                    except re.error as e:
                        check(False, "%s: %s does not compile: %s" % (name, key, e))

    with open(os.path.join(ROOT, "grammar", "expr.l")) as f:
        lexer = f.read()
    keywords = re.findall(r'\{"([a-z_]+)", TOK_[A-Z_]+\}', lexer)
    check(len(keywords) >= 20, "the keyword tables of grammar/expr.l are found (%d)" % len(keywords))
    for word in keywords:
        scope = scope_of("x %s y" % word, word)
        if word in ("null", "true", "false"):
            check(scope == "constant.language.fdl", "%s is a constant (%s)" % (word, scope))
        else:
            check(scope and scope.startswith("keyword."), "reserved word %s is a keyword (%s)" % (word, scope))
    check(scope_of("over 30d hop 1h", "hop") == "keyword.other.fdl", "hop after a window")

    with open(os.path.join(ROOT, "stdlib", "aggregations.def")) as f:
        table = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
    aggregations = re.findall(r"FDL_AGGREGATION\(\s*([a-z_0-9]+)\s*,", table)
    check(len(aggregations) >= 18, "stdlib/aggregations.def lists the aggregations")
    for name in aggregations:
        check(scope_of("= %s(orders.x) over 7d" % name, name) == "support.function.aggregation.fdl",
              "aggregation %s" % name)
    listing = subprocess.run([FDLC, "functions"], capture_output=True, text=True).stdout
    functions = re.findall(r"^([a-z_0-9]+)\(", listing, re.M)
    check(len(functions) >= 20, "fdlc functions lists functions")
    for name in functions:
        scope = scope_of("expr(%s(a, b))" % name, name)
        check(scope and scope.startswith("support.function"), "function %s (%s)" % (name, scope))
    for t in ("int64", "float64", "bool", "string", "timestamp", "float64_vector"):
        check(scope_of("a: %s," % t, t) == "storage.type.fdl", "type %s" % t)

    line = 'feature big_30d of user: int64 = count(purchases where amount > 100) over 30d "Big" # note'
    tokens = tokenize(line)
    check(("feature", "keyword.other.definition.fdl") in tokens, "feature is a definition keyword")
    check(("big_30d", "entity.name.type.fdl") in tokens, "the declared name")
    check(("30d", "constant.numeric.duration.fdl") in tokens, "a duration")
    check(('"Big"', "string.quoted.double.fdl") in tokens, "a string")
    check(("# note", "comment.line.number-sign.fdl") in tokens, "a comment")
    check(scope_of('x "a # not a comment"', '"a # not a comment"') == "string.quoted.double.fdl",
          "# inside a string is not a comment")
    line = "    amount: float64 on_invalid impute 0 expect(range [0, 10000] clamp, mean [1, 500]),"
    tokens = tokenize(line)
    for word, scope in (("on_invalid", "keyword.control.expectation.fdl"), ("expect", "keyword.control.expectation.fdl"),
                        ("range", "keyword.control.expectation.fdl"), ("clamp", "keyword.control.policy.fdl"),
                        ("impute", "keyword.control.policy.fdl")):
        check((word, scope) in tokens, "%s in a field's expectations: %r" % (word, tokens))
    check(scope_of("    drop: string,", "drop") is None, "a field called drop is a name, not a policy")
    tokens = tokenize("} sla(min_rows 1) retention 90d")
    check(("retention", "keyword.control.expectation.fdl") in tokens, "retention before a duration: %r" % tokens)
    check(("90d", "constant.numeric.duration.fdl") in tokens, "a retention's duration")
    check(scope_of("    retention: int64,", "retention") is None, "a field called retention is a name")

    for example in ("examples/seed/features.fdl", "examples/seed/catalog.fdl", "tests/fdl/all.fdl"):
        with open(os.path.join(ROOT, example)) as f:
            for number, text in enumerate(f, 1):
                m = re.match(r"(entity|source|embedding|feature|set) ", text)
                if m:
                    check(tokenize(text)[0] == (m.group(1), "keyword.other.definition.fdl"),
                          "%s:%d starts with a definition keyword" % (example, number))
    if failures:
        print("%d failure(s)" % len(failures))
        sys.exit(1)
    print("textmate_test: %d keywords, %d functions checked" % (len(keywords), len(functions)))


main()
