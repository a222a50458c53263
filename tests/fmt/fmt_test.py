#!/usr/bin/env python3
"""fmt_test.py - `fdlc fmt` is safe for a pre-commit hook.

  fmt_test.py FDLC SOURCE_DIR WORK_DIR [--update]

- golden: tests/fmt/comments.{yaml,fdl} (a comment in every place) formatted
  and converted give tests/fmt/expected/*; --update rewrites those files;
- every example and tests/fdl program: `fmt --write` then `fmt --check` finds
  nothing (idempotent), and `fdlc compile` writes the same manifest before
  and after (fingerprints, per-feature fingerprints, everything); the same
  with comments inserted at random, each of which comes back once;
- --check: exit 1 and the changed files listed, 0 and nothing otherwise;
- --write: keeps the mode, follows a symbolic link (the link stays), leaves a
  canonical file untouched, writes nothing when a file has an error, refuses
  and when writing fails (a file size limit; a
  read-only directory unless root) leaves the file whole and no temporary.
"""
import os
import random
import resource
import shutil
import signal
import stat
import subprocess
import sys

FDLC, SRC, WORK = (os.path.abspath(a) for a in sys.argv[1:4])
UPDATE = "--update" in sys.argv[4:]
FAILED = []


def fail(message):
    FAILED.append(message)
    print("FAIL " + message)


def run(args, cwd, **kw):
    return subprocess.run([FDLC] + args, cwd=cwd, capture_output=True, text=True, **kw)


def fresh(name):
    path = os.path.join(WORK, name)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def golden():
    here = os.path.join(SRC, "tests", "fmt")
    for name in ("comments.yaml", "comments.fdl"):
        other = "fdl" if name.endswith(".yaml") else "yaml"
        for suffix, args in (("fmt", []), ("to-" + other, ["--to", other])):
            result = run(["fmt"] + args + [name], here)
            expected = os.path.join(here, "expected", name + "." + suffix)
            if result.returncode != 0:
                fail("fmt %s %s: exit %d: %s" % (" ".join(args), name, result.returncode, result.stderr))
                continue
            if UPDATE:
                with open(expected, "w") as f:
                    f.write(result.stdout)
            elif result.stdout != open(expected).read():
                fail("fmt %s %s differs from %s" % (" ".join(args), name, expected))
            # Every comment of the input is in the output, once.
            wanted = comment_texts(open(os.path.join(here, name)).read())
            got = comment_texts(result.stdout)
            if sorted(wanted) != sorted(got):
                fail("fmt %s %s: comments %s became %s" % (" ".join(args), name, wanted, got))


def comment_texts(text):
    """The comments of the test inputs: '# ' up to the next '  # ' or the end."""
    found = []
    for line in text.splitlines():
        at = line.find("# ") if line.lstrip().startswith("#") else line.find("  # ")
        while at >= 0:
            start = line.index("#", at)
            end = line.find("  # ", start + 1)
            found.append(line[start:end if end >= 0 else len(line)].strip())
            at = end
    return found


PROGRAMS = [
    ("seed-yaml", "examples/seed", ["catalog.yaml", "features.yaml"]),
    ("seed-fdl", "examples/seed", ["catalog.fdl", "features.fdl"]),
    ("validation-yaml", "examples/validation", ["definitions.yaml"]),
    ("validation-fdl", "examples/validation", ["definitions.fdl"]),
    ("all-yaml", "tests/fdl", ["all.yaml"]),
    ("all-fdl", "tests/fdl", ["all.fdl"]),
    ("awkward", "tests/fdl", ["awkward.yaml"]),
    ("values", "tests/fdl", ["values.yaml"]),
    ("comments-yaml", "tests/fmt", ["comments.yaml"]),
    ("comments-fdl", "tests/fmt", ["comments.fdl"]),
]


def manifest(cwd, files, out):
    result = run(["compile"] + files + ["-o", out], cwd)
    if result.returncode != 0:
        return None, result.stderr
    return read(os.path.join(out, "fdlfeatures.json")), ""


def programs():
    for name, directory, files in PROGRAMS:
        work = fresh("program-" + name)
        shutil.copytree(os.path.join(SRC, directory), work, dirs_exist_ok=True)
        before, why = manifest(work, files, os.path.join(work, "out-before"))
        if before is None:
            fail("%s: the original does not compile: %s" % (name, why))
            continue
        result = run(["fmt", "--write"] + files, work)
        if result.returncode != 0:
            fail("%s: fmt --write: exit %d: %s" % (name, result.returncode, result.stderr))
            continue
        after, why = manifest(work, files, os.path.join(work, "out-after"))
        if after != before:
            fail("%s: the manifest changed after fmt --write %s" % (name, why))
        result = run(["fmt", "--check"] + files, work)
        if result.returncode != 0 or result.stdout:
            fail("%s: fmt is not idempotent: --check says %d %r" % (name, result.returncode, result.stdout))
        # fdl/fmt_roundtrip converts; here, each file's own text again.
        for f in files:
            if run(["fmt", f], work).stdout.encode() != read(os.path.join(work, f)):
                fail("%s: fmt %s differs from what --write wrote" % (name, f))
    print("ok programs" if not FAILED else "programs done")


def random_comments(seed=12, rounds=8):
    """Comments and blank lines inserted at random (comments on their own
    lines and at line ends) into every program: fmt keeps each comment once,
    is idempotent and keeps the manifest."""
    rng = random.Random(seed)
    tried = 0
    for name, directory, files in PROGRAMS:
        for round_ in range(rounds):
            work = fresh("random-%s-%d" % (name, round_))
            shutil.copytree(os.path.join(SRC, directory), work, dirs_exist_ok=True)
            before, _ = manifest(work, files, os.path.join(work, "out-before"))
            inserted = []
            for f in files:
                lines = open(os.path.join(work, f)).read().split("\n")
                for _ in range(rng.randint(0, 3)):
                    lines.insert(rng.randrange(len(lines)), "")   # blank lines, kept between items
                for _ in range(rng.randint(1, 6)):
                    at = rng.randrange(len(lines))
                    text = "# random %d" % len(inserted)
                    inserted.append(text)
                    if rng.random() < 0.5 and lines[at].strip() and "#" not in lines[at]:
                        lines[at] += "  " + text
                    else:
                        lines.insert(at, " " * rng.randint(0, 6) + text)
                with open(os.path.join(work, f), "w") as out:
                    out.write("\n".join(lines))
            mutated, _ = manifest(work, files, os.path.join(work, "out-mutated"))
            if mutated != before:
                continue        # a comment inside a multi-line scalar: not a comment
            tried += 1
            result = run(["fmt", "--write"] + files, work)
            if result.returncode != 0:
                fail("random %s %d: fmt --write: %s" % (name, round_, result.stderr))
                continue
            text = "".join(open(os.path.join(work, f)).read() for f in files)
            for comment in inserted:
                if text.count(comment + "\n") + text.count(comment + "  #") != 1:
                    fail("random %s %d: %r is there %d times" % (name, round_, comment, text.count(comment)))
            after, _ = manifest(work, files, os.path.join(work, "out-after"))
            if after != before:
                fail("random %s %d: the manifest changed" % (name, round_))
            result = run(["fmt", "--check"] + files, work)
            if result.returncode != 0:
                fail("random %s %d: not idempotent: %s" % (name, round_, result.stdout))
    print("ok random comments (%d programs)" % tried)


def check_codes():
    work = fresh("check")
    shutil.copy(os.path.join(SRC, "tests", "fmt", "comments.yaml"), os.path.join(work, "messy.yaml"))
    with open(os.path.join(work, "clean.yaml"), "w") as f:
        f.write(run(["fmt", "messy.yaml"], work).stdout)
    result = run(["fmt", "--check", "clean.yaml"], work)
    if result.returncode != 0 or result.stdout:
        fail("--check on a canonical file: exit %d, %r" % (result.returncode, result.stdout))
    result = run(["fmt", "--check", "clean.yaml", "messy.yaml"], work)
    if result.returncode != 1 or result.stdout != "messy.yaml\n":
        fail("--check with one file to change: exit %d, %r" % (result.returncode, result.stdout))
    with open(os.path.join(work, "broken.yaml"), "w") as f:
        f.write("features:\n  - name: x\n    entity: [\n")
    result = run(["fmt", "--check", "broken.yaml"], work)
    if result.returncode != 1 or "error" not in result.stderr:
        fail("--check on a file with an error: exit %d, %r" % (result.returncode, result.stderr))
    for args in (["--check", "--write"], ["--to", "fdl", "--write"], ["--bogus"]):
        result = run(["fmt"] + args + ["messy.yaml"], work)
        if result.returncode != 2:
            fail("fmt %s: exit %d, not 2" % (" ".join(args), result.returncode))
    if read(os.path.join(work, "messy.yaml")) != read(os.path.join(SRC, "tests", "fmt", "comments.yaml")):
        fail("--check or a refused command changed a file")
    print("ok --check")


def ignore_file_size_signal():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (200, 200))


def write_safety():
    work = fresh("write")
    original = read(os.path.join(SRC, "tests", "fmt", "comments.yaml"))
    path = os.path.join(work, "a.yaml")
    canonical = run(["fmt", os.path.join(SRC, "tests", "fmt", "comments.yaml")], work).stdout.encode()

    def reset(p=path, mode=0o640):
        with open(p, "wb") as f:
            f.write(original)
        os.chmod(p, mode)

    # The mode is kept; the result is the canonical text.
    reset()
    result = run(["fmt", "--write", "a.yaml"], work)
    if result.returncode != 0 or read(path) != canonical:
        fail("--write: exit %d, or not the canonical text" % result.returncode)
    if stat.S_IMODE(os.stat(path).st_mode) != 0o640:
        fail("--write changed the mode to %o" % stat.S_IMODE(os.stat(path).st_mode))
    # A canonical file is not touched.
    os.utime(path, (1000000000, 1000000000))
    run(["fmt", "--write", "a.yaml"], work)
    if os.stat(path).st_mtime != 1000000000:
        fail("--write touched a canonical file")
    # A symbolic link: the target is rewritten, the link stays.
    reset()
    os.symlink("a.yaml", os.path.join(work, "link.yaml"))
    result = run(["fmt", "--write", "link.yaml"], work)
    if result.returncode != 0 or not os.path.islink(os.path.join(work, "link.yaml")) or read(path) != canonical:
        fail("--write through a link: exit %d, link kept %s" % (result.returncode,
                                                              os.path.islink(os.path.join(work, "link.yaml"))))
    # An error in any file: nothing is written.
    reset()
    with open(os.path.join(work, "broken.yaml"), "w") as f:
        f.write("entities:\n  - name: [\n")
    result = run(["fmt", "--write", "a.yaml", "broken.yaml"], work)
    if result.returncode != 1 or read(path) != original:
        fail("--write with a broken file: exit %d, a.yaml %s" % (result.returncode,
                                                                 "kept" if read(path) == original else "written"))
    # Writing fails (files limited to 200 bytes; fdlc takes SIGXFSZ as fatal:
    # it removes its temporaries and dies of it): the file stays whole, no temporary.
    reset()
    listing = sorted(os.listdir(work))
    result = subprocess.run([FDLC, "fmt", "--write", "a.yaml"], cwd=work, capture_output=True, text=True,
                            preexec_fn=ignore_file_size_signal, restore_signals=False)
    if result.returncode in (0, 1) or read(path) != original or sorted(os.listdir(work)) != listing:
        fail("--write past a file size limit: exit %d, file %s, listing %s" % (
            result.returncode, "kept" if read(path) == original else "CHANGED", sorted(os.listdir(work))))
    # A read-only directory (root may write anyway: skipped for root).
    if os.geteuid() != 0:
        ro = os.path.join(work, "ro")
        os.makedirs(ro)
        reset(os.path.join(ro, "b.yaml"), 0o644)
        os.chmod(ro, 0o555)
        result = run(["fmt", "--write", "ro/b.yaml"], work)
        os.chmod(ro, 0o755)
        if result.returncode != 2 or read(os.path.join(ro, "b.yaml")) != original or os.listdir(ro) != ["b.yaml"]:
            fail("--write in a read-only directory: exit %d" % result.returncode)
    else:
        print("skip read-only directory: running as root, which writes there anyway")
    print("ok --write")


def main():
    golden()
    programs()
    random_comments()
    check_codes()
    write_safety()
    if FAILED:
        print("%d failure(s)" % len(FAILED))
        sys.exit(1)
    print("all passed")


main()
