"""generated_names.py - adversarial definition names and text against the C
code generator (issue 8, parts 4, 5 and 11e).

    generated_names.py FDLC SOURCE_DIR WORK [PROGRAMS [SEED]]

Names: makes PROGRAMS definition sets (a deterministic seed) whose names are
built to collide under naive C naming: every kind's name is drawn from one
pool, so a source, a field, an entity, an embedding, a feature, a set and a
request field share spellings; the pool holds the names codegen emits
(check_X, X_row, X_fields, compute_X, SOURCE_X, src0_X_check, ...) and the
public API's (NAME_ingest_X, NAME_X_event, NAME_read_set_X, NAME_program)
built from the program's own names and its --name, C keywords, libc names
and macros, every fdl_/FDL_ name of runtime/include/fdlrt.h, the locals of generated
functions, names differing only by '_', and 128-character names. The --name
itself is drawn adversarially too (src0, SOURCE, check, fdl, ...). Each set
must pass `fdlc compile`, and the generated NAME.c must compile with
cc -std=c11 -Wall -Wextra -Wpedantic -Werror -Wbidi-chars=any (gcc 12).

Text: a program whose description, where-string, default, expectation text,
embedding path and definition file name hold U+202E, other bidi controls,
control bytes, `??=`/`??/` trigraphs, `*/`, `/*/` and a trailing backslash:
the generated files must be printable ASCII only, hold no `??`, and compile
under the same flags (a `*/` escaping its comment would reach a failing
_Static_assert).

Standard library only; the compiler is $CC or cc.
"""
import os
import random
import re
import shutil
import subprocess
import sys

KEYWORDS = """auto break case char const continue default do double else enum extern float for
goto if inline int long register restrict return short signed sizeof static struct switch
typedef union unsigned void volatile while _Alignas _Alignof _Atomic _Bool _Complex _Generic
_Imaginary _Noreturn _Static_assert _Thread_local bool true false nullptr constexpr typeof
typeof_unqual static_assert alignas alignof thread_local asm fortran complex imaginary
noreturn""".split()
# libc functions, types and macros (lowercase ones included), compiler macros.
LIBC = """errno assert NULL EOF stdin stdout stderr offsetof INT64_C UINT8_C PRId64 PRIu64
SCNd64 INT64_MAX SIZE_MAX isnan isinf signbit fpclassify isfinite HUGE_VAL main printf
malloc free exit abort time memcpy strlen size_t ptrdiff_t int64_t uint8_t intptr_t
wchar_t max_align_t linux unix i386 __STDC__ __LINE__ __FILE__ __func__ _Pragma __x
__bool_true_false_are_defined setjmp va_arg environ""".split()
# What generated functions name locally or at file scope, under any scheme.
FIXED = """entities sources embeddings groups features sets requests references program
group_0_aggs group_0_agg_0_percentiles entity_0_keys entity_0_key_types feature_0_entities
feature_0_requests set_0_features set_0_entities set_0_requests store event status time
state key keys parts states request set_request t out a b in_set row changed invalid fields
lengths values checked impute allowed feature_states feature_keys err fields_ check push
parse compute read ingest row event_ v_ SOURCE ENTITY EMBEDDING src0 feat0 ent0 emb0 set0
grp0 src feat ent emb SOURCE0 ENTITY0 EMBEDDING0 x X _ a_ _a a__b a_b""".split()
# Prefixes and suffixes codegen (old or new) puts around a definition name.
TEMPLATES = """{b}_row {b}_fields {b}_checks {b}_max_null_ratio check_{b} push_{b}
parse_{b}_row check_{b}_row push_{b}_row ingest_{b}_row compute_{b} read_{b} v_{b}
SOURCE_{b} ENTITY_{b} EMBEDDING_{b} {b}_event event_{b} ingest_{b} read_set_{b}
read_entity_{b} {lib}_{b} {lib}_ingest_{b} {lib}_{b}_event {lib}_event_{b}
{lib}_read_set_{b} {lib}_read_entity_{b} {lib}_program src0_{b} src1_{b}_check
src0_{b}_push feat0_{b} feat1_{b}_compute feat0_{b}_read ent0_{b} emb0_{b} set0_{b}
SOURCE0_{b} ENTITY0_{b} {b}_ _{b} {b}__ {b}_0 {b}_1_ {b}_{b} FDL_GENERATED_{lib}_H""".split()
LIB_NAMES = """features lib src0 src feat0 feat1_x ent0 SOURCE ENTITY EMBEDDING check compute
fields program fdl FDL x X _ _lib lib_ ingest read read_set event set0 grp0 main errno
entities v ent0x set12 SOURCE3_x EMBEDDING""".split() + ["L" * 64]
EXPRESSION_KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}   # grammar/expr.l
EXPRESSION_WORDS = {"and", "or", "not", "in", "is", "null", "true", "false", "request", "over"}
TYPES = ["int64", "float64"]
DESCRIPTION = ("RLO \u202e evil \u202c, LRI \u2066 x \u2069, bell \x07 esc \x1b del \x7f tab\t"
               "nl\n ??= ??/ ??( ??' ???! */ _Static_assert(0, \"comment escaped\"); /* "
               "/*/ **/ // \\")


def runtime_names(source_dir):
    """Every fdl_ and FDL_ identifier of the public runtime header."""
    with open(os.path.join(source_dir, "runtime", "include", "fdlrt.h"), encoding="utf-8") as f:
        return sorted(set(re.findall(r"\b(?:fdl|FDL)_\w+", f.read())))


def runtime_prefix(lib):
    """Whether --name lib is the runtime's prefix, which fdlc refuses."""
    return lib.lower() == "fdl" or lib.lower().startswith("fdl_")


def header_names(source_dir):
    """The names fdlc refuses as --name because NAME.h would shadow a system
    header (compiler/header_names.c's table), lower case."""
    with open(os.path.join(source_dir, "compiler", "header_names.c"), encoding="utf-8") as f:
        table = f.read().split("static const header_set")[0]
    return set(re.findall(r'"([a-z_0-9]+)"', table))


def quote(text):
    """A YAML double-quoted scalar for any text (escapes as JSON does)."""
    out = []
    for ch in text:
        if ch in "\"\\":
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7f or 0x80 <= ord(ch) < 0xa0:
            out.append("\\x%02x" % ord(ch))
        elif ord(ch) > 0xffff or 0x2000 <= ord(ch) < 0x2100:
            out.append("\\u%04x" % ord(ch))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def expr_string(text):
    """An expression's single-quoted string literal for any text."""
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


# What codegen emits around a definition's name, per kind: the old scheme
# (check_X, X_fields...), the tagged one (src0_X_check...) and the public API.
# Names are solved from them: source B with check_B == check_A_row is A_row.
EMITTED = {
    "source": """check_{} push_{} parse_{}_row check_{}_row push_{}_row ingest_{}_row {}_fields
        {}_checks {}_max_null_ratio SOURCE_{} src{i}_{}_check src{i}_{}_push src{i}_{}_parse_row
        src{i}_{}_check_row src{i}_{}_push_row src{i}_{}_ingest_row src{i}_{}_fields
        src{i}_{}_checks SOURCE{i}_{} {lib}_{}_event {lib}_event_{} {lib}_ingest_{}""",
    "feature": "compute_{} read_{} v_{} feat{i}_{}_compute feat{i}_{}_read feat{i}_{} feat{i}_{}_entities",
    "entity": "ENTITY_{} ENTITY{i}_{} ent{i}_{}_keys ent{i}_{}_key_types {lib}_read_entity_{}",
    "set": "set{i}_{}_features set{i}_{}_entities {lib}_read_set_{}",
    "embedding": "EMBEDDING_{} EMBEDDING{i}_{}",
}


def emitted(kind, name, lib):
    return [p.replace("{}", name).format(i=i, lib=lib)
            for p in EMITTED.get(kind, "").split() for i in range(3)]


def solve(kind, target, lib):
    """The names of `kind` that codegen (some scheme) would spell `target`."""
    for pattern in EMITTED.get(kind, "").split():
        for i in range(3):
            prefix, suffix = (part.format(i=i, lib=lib) for part in pattern.split("{}"))
            if (target.startswith(prefix) and target.endswith(suffix) and
                    len(target) > len(prefix) + len(suffix)):
                yield target[len(prefix):len(target) - len(suffix)]


class Namer:
    """Draws names for one program: per kind unique, across kinds shared."""

    def __init__(self, rng, pool, lib):
        self.rng = rng
        self.lib = lib
        self.pool = list(pool)
        self.taken = []   # (kind, name) given in this program
        self.used = {}

    def variants(self, base):
        return [t.format(b=base, lib=self.lib) for t in TEMPLATES]

    def take(self, kind, avoid=()):
        used = self.used.setdefault(kind, set())
        if self.rng.random() < 0.5:
            # Built to collide: a name that some scheme spells like another
            # definition's emitted name, a fixed name or a runtime name.
            targets = [t for k, n in self.taken for t in emitted(k, n, self.lib)] + self.pool
            for target in self.rng.sample(targets, min(len(targets), 200)):
                for name in solve(kind, target, self.lib):
                    if self.usable(name, used, avoid):
                        return self.give(kind, name, used)
        for _ in range(1000):
            draw = self.rng.random()
            if draw < 0.35:
                name = self.rng.choice(self.pool)
            else:
                # Mostly around a name this program already uses.
                base = self.rng.choice([n for _, n in self.taken] if self.taken and draw < 0.8
                                       else self.pool)
                name = self.rng.choice(self.variants(base.strip("_") or "x"))
            name = name[:128]
            if self.usable(name, used, avoid):
                return self.give(kind, name, used)
        raise RuntimeError("no name left for %s" % kind)

    @staticmethod
    def usable(name, used, avoid):
        # Words an expression reads as keywords or literals are refused as
        # names by sema (any case): not the subject of this test.
        return (len(name) <= 128 and name not in used and name.lower() not in avoid and
                name.lower() not in EXPRESSION_KEYWORDS and
                re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is not None)

    def give(self, kind, name, used):
        used.add(name)
        self.taken.append((kind, name))
        return name


def make_program(rng, base_pool, lib, text=False):
    """One definition set as YAML text."""
    namer = Namer(rng, rng.sample(base_pool, 12), lib)
    plain = EXPRESSION_WORDS    # names an expression must be able to spell
    entities = [(namer.take("entity", {"request"}), namer.take("field", plain))
                for _ in range(rng.randint(1, 3))]
    keys = [k for _, k in entities]
    sources = []
    for _ in range(rng.randint(1, 4)):
        name = namer.take("source")
        namer.used["source_field"] = set(keys)
        time = namer.take("source_field")
        fields = [(time, "timestamp")] + [(k, "string") for k in keys]
        for _ in range(rng.randint(1, 4)):
            fields.append((namer.take("source_field", plain), rng.choice(TYPES)))
        sources.append((name, time, fields))
    embeddings = [(namer.take("embedding"), rng.choice(entities)[0]) for _ in range(rng.randint(0, 2))]
    requests = [namer.take("request", plain) for _ in range(rng.randint(0, 2))]
    features = []   # (name, entity, yaml body)
    for entity, _ in entities:
        for source, _, fields in sources:
            features.append((namer.take("feature", plain), entity,
                             "aggregation: {function: count, source: %s, window: 7d}" % quote(source)))
            numeric = [f for f, t in fields if t in TYPES]
            if numeric:
                field = rng.choice(numeric)
                where = "%s > 0" % field
                if text:
                    where += " and %s != %s" % (keys[0], expr_string(DESCRIPTION))
                features.append((namer.take("feature", plain), entity,
                                 "aggregation: {function: sum, source: %s, window: 30d, where: %s}"
                                 % (quote(source + "." + field), quote(where))))
    for embedding, entity in embeddings:
        features.append((namer.take("feature", plain), entity,
                         "computation: {function: lookup_embedding, model: %s, dimension: 3}\n"
                         "    value_type: float64_vector" % quote(embedding)))
    for _ in range(rng.randint(1, 3)):
        target = rng.choice(features[:len(entities) * len(sources)])
        expr = "coalesce(%s, 0) + 1" % target[0]
        if requests:
            expr += " + coalesce(request.%s, 0)" % rng.choice(requests)
        features.append((namer.take("feature", plain), target[1], "expr: %s" % quote(expr)))
    sets = []
    for _ in range(rng.randint(1, 3)):
        chosen = rng.sample(features, rng.randint(1, len(features)))
        sets.append((namer.take("set"), [f[0] for f in chosen]))

    out = ["entities:"]
    for entity, key in entities:
        out.append("  - {name: %s, join_key: %s}" % (quote(entity), quote(key)))
    out.append("sources:")
    for name, time, fields in sources:
        out.append("  - name: %s\n    timestamp: %s\n    fields:" % (quote(name), quote(time)))
        for field, type_ in fields:
            out.append("      - {name: %s, type: %s}" % (quote(field), type_))
            if text and type_ == "int64":
                out[-1] = out[-1][:-1] + ", expect: [{range: [0, 9], policy: flag}]}"
        if text:
            out.append("    expect:\n      - {expr: %s, policy: flag}" %
                       quote("%s != %s" % (keys[0], expr_string(DESCRIPTION))))
    if embeddings:
        out.append("embeddings:")
        for embedding, entity in embeddings:
            path = "data/" + (DESCRIPTION if text else embedding) + ".csv"
            out.append("  - {name: %s, entity: %s, dimension: 3, path: %s}"
                       % (quote(embedding), quote(entity), quote(path)))
    out.append("features:")
    for name, entity, body in features:
        out.append("  - name: %s\n    entity: %s\n    %s" % (quote(name), quote(entity), body))
        if text:
            out.append("    description: %s" % quote(DESCRIPTION))
    out.append("feature_sets:")
    for name, members in sets:
        out.append("  - name: %s\n    features: [%s]" % (quote(name), ", ".join(quote(m) for m in members)))
        if requests:
            out.append("    request: [%s]" % ", ".join("{name: %s, type: float64}" % quote(r)
                                                      for r in requests))
        if text:
            out.append("    description: %s" % quote(DESCRIPTION))
    return "\n".join(out) + "\n"


FLAGS = {}   # per compiler


def run(command, **kwargs):
    return subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)


def cc_flags(source_dir, cc="cc"):
    flags = ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Wtrigraphs",
             "-I", os.path.join(source_dir, "runtime", "include")]
    # gcc 12 has -Wbidi-chars; the bytes test below holds for any compiler.
    probe = run([cc, "-Werror", "-Wbidi-chars=any", "-fsyntax-only", "-x", "c", os.devnull])
    return flags + (["-Wbidi-chars=any"] if probe.returncode == 0 else [])


def compile_batch(cc, source_dir, paths):
    """Compiles generated .c files in one cc call; returns error text or None."""
    if cc not in FLAGS:
        FLAGS[cc] = cc_flags(source_dir, cc)
    proc = run([cc] + FLAGS[cc] + ["-fsyntax-only"] + paths)
    return proc.stdout.decode("utf-8", "replace") if proc.returncode else None


def generate(fdlc, work, index, yaml_text, lib, file_name="defs.yaml"):
    """fdlc compile of one definition set; the generated .c path."""
    directory = os.path.join(work, "p%03d" % index)
    os.makedirs(directory)
    with open(os.path.join(directory, file_name), "w", encoding="utf-8") as f:
        f.write(yaml_text)
    proc = run([fdlc, "compile", file_name, "-o", "gen", "--name", lib], cwd=directory)
    if proc.returncode:
        raise SystemExit("FAIL: fdlc compile of %s/%s:\n%s" % (directory, file_name,
                                                               proc.stdout.decode("utf-8", "replace")))
    return os.path.join(directory, "gen", lib + ".c")


def check_text(path):
    """The generated file is printable ASCII and holds no trigraph start."""
    data = open(path, "rb").read()
    bad = [i for i, c in enumerate(data) if not (0x20 <= c < 0x7f or c == 0x0a)]
    if bad:
        i = bad[0]
        return "%s: byte 0x%02x at offset %d: %r" % (path, data[i], i, data[max(0, i - 40):i + 20])
    if b"??" in data:
        i = data.index(b"??")
        return "%s: '??' at offset %d: %r" % (path, i, data[max(0, i - 40):i + 20])
    return None


def main():
    fdlc, source_dir, work = (os.path.abspath(a) for a in sys.argv[1:4])
    programs = int(sys.argv[4]) if len(sys.argv) > 4 else 300
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    cc = os.environ.get("CC", "cc")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    rng = random.Random(seed)
    base_pool = KEYWORDS + LIBC + FIXED + runtime_names(source_dir) + \
        ["n" * 128, "N" * 127 + "_", "_" + "u" * 127]
    failures = []

    # The runtime's prefix is refused as --name (NAME_program would be fdl_program).
    for lib in ("fdl", "FDL", "fdl_store", "Fdl_x"):
        directory = os.path.join(work, "refused_" + lib)
        os.makedirs(directory)
        with open(os.path.join(directory, "defs.yaml"), "w", encoding="utf-8") as f:
            f.write(make_program(random.Random(1), base_pool, lib))
        proc = run([fdlc, "compile", "defs.yaml", "-o", "gen", "--name", lib], cwd=directory)
        if proc.returncode != 2 or b"runtime" not in proc.stdout:
            failures.append("--name %s: expected exit status 2 and a reason, got %d:\n%s"
                            % (lib, proc.returncode, proc.stdout.decode("utf-8", "replace")))

    # Text: one program, hostile text everywhere text reaches generated C.
    text_file = "defs \u202e \x01 ??= *.yaml"
    path = generate(fdlc, work, 0, make_program(rng, base_pool, "lib", text=True), "lib", text_file)
    for generated in (path, path[:-2] + ".h"):
        problem = check_text(generated)
        if problem:
            failures.append("text: " + problem)
    error = compile_batch(cc, source_dir, [path])
    if error:
        failures.append("text: %s does not compile:\n%s" % (path, error[:3000]))

    # Names: many programs, compiled in batches of 25 files per cc call.
    paths = []
    shadowing = header_names(source_dir)
    assert "features" in shadowing and "stdio" in shadowing
    for i in range(1, programs + 1):
        lib = rng.choice(LIB_NAMES + [rng.choice(base_pool)])
        if (not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,63}", lib) or runtime_prefix(lib)
                or lib.lower() in shadowing):
            lib = "fdlfeatures"
        paths.append(generate(fdlc, work, i, make_program(rng, base_pool, lib), lib))
    for start in range(0, len(paths), 25):
        batch = paths[start:start + 25]
        if compile_batch(cc, source_dir, batch) is None:
            continue
        for path in batch:   # which of them
            error = compile_batch(cc, source_dir, [path])
            if error:
                failures.append("names: %s does not compile:\n%s" % (path, error[:2000]))

    for failure in failures[:10]:
        print("FAIL: " + failure)
    if failures:
        print("%d of %d generated programs failed" % (len(failures), programs + 1))
        return 1
    print("ok: %d adversarial name sets and the hostile-text program compile cleanly" % programs)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
