#!/usr/bin/env python3
"""install_test.py - fdlc as users get it: installed, moved, packaged, and
used from projects of their own (issue 11, "Install and build integration").

  install_test.py MODE --build BUILD --source SRC --work DIR --fdlc FDLC
                  --cmake CMAKE --cpack CPACK --cc CC [--flags FLAGS] [--sanitized]

MODE:
  prefix     `cmake --install BUILD --prefix P`: the files and only those
             (include/ holds fdlrt.h alone), the SONAME, no path of the
             source or build tree in any installed file, a man page that
             describes every command and option `fdlc help` shows; then P
             is copied elsewhere and removed, and the copy's `fdlc batch`
             (a cache of its own, no FDLC_INCLUDE) writes the same training
             set as the build tree's fdlc, also (where unshare -m is allowed)
             with the source and build trees hidden; names that would shadow a system
             header are refused, the default name is not one; an fdlc
             without its include/ says so.
  cmake      an out-of-tree project: find_package(fdlc) against the moved
             prefix + fdlc_add_features(... NAME seedfeat SET ranking_v1),
             built and run (answer.c) and its answer compared with the
             installed `fdlc batch` on the same events; a definition edited
             is compiled again by the next build; a SET the definitions lack
             stops the configuration.
  pkgconfig  the same program built with `cc ... $(pkg-config --cflags --libs
             fdlrt)` against the moved prefix.
  deb        `cpack -G DEB`; `dpkg-deb -c` lists the files, and the fdlc
             extracted from the package builds the seed example.

FLAGS (e.g. the sanitizer flags of the build under test) go to every C
compile and link of the consumers. Python 3 standard library only.
"""
import argparse
import csv
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

SEED_FILES = ["catalog.yaml", "features.yaml"]
EVENTS = {  # the events answer.c ingests, as CSV for fdlc batch
    "purchases": "ts,user_id,product_id,amount,category\n"
                 "2024-03-01T09:30:00Z,u0001,p0003,19.99,food\n"
                 "2024-03-10T12:00:00Z,u0001,p0007,5.50,books\n",
    "orders": "ordered_at,order_id,user_id,total_amount\n"
              "2024-03-02T10:00:00Z,9001,u0001,269.99\n"
              "2024-03-12T10:00:00Z,9002,u0001,30.01\n",
}
SPINE = "user_id,product_id,timestamp\nu0001,p0003,2024-03-21T00:00:00Z\n"
CONSUMER_CMAKE = """cmake_minimum_required(VERSION 3.25)
project(seed_consumer LANGUAGES C)
find_package(fdlc 0.1 REQUIRED)
set(FEATURE_SET ranking_v1 CACHE STRING "the set answer.c reads")
add_executable(answer answer.c)
target_compile_options(answer PRIVATE -Wall -Wextra -Wpedantic -Werror)
set_target_properties(answer PROPERTIES C_STANDARD 11 C_STANDARD_REQUIRED ON)
fdlc_add_features(TARGET answer FILES seed/catalog.yaml seed/features.yaml
                  NAME seedfeat SET ${FEATURE_SET})
"""
SPLIT_CMAKE = """cmake_minimum_required(VERSION 3.25)
project(split_consumer LANGUAGES C)
find_package(fdlc 0.1 REQUIRED)
add_executable(count count.c)
fdlc_add_features(TARGET count FILES seed/catalog.yaml seed/features.yaml many.yaml
                  NAME splitfeat RUNTIME fdlc::fdlrt_static)
"""
SPLIT_MAIN = """#include <stdio.h>
#include "splitfeat.h"
int main(void) { printf("%d features\\n", splitfeat_program()->nfeatures); return 0; }
"""
SPLIT_FEATURES = 2000   # enough for fdlc to split the C (codegen.c, SPLIT_BYTES)
NEW_FEATURE = """
  - name: user_purchase_count_7d_added
    entity: user
    aggregation: {function: count, source: purchases, window: 7d}
    value_type: int64
"""


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def run(command, **kwargs):
    """Runs command; its CompletedProcess (text), failing on a bad status
    unless expect= says otherwise."""
    expect = kwargs.pop("expect", 0)
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True, **kwargs)
    if expect is not None and result.returncode != expect:
        raise Failure("%s: exit status %d, not %d\nstdout:\n%s\nstderr:\n%s"
                      % (" ".join(map(str, command)), result.returncode, expect,
                         result.stdout[-4000:], result.stderr[-4000:]))
    return result


def fdlc_env(work):
    """An environment for an installed fdlc: a cache of its own, nothing
    pointing at a tree."""
    env = dict(os.environ)
    env.pop("FDLC_INCLUDE", None)
    env["FDLC_CACHE_DIR"] = os.path.join(work, "fdlc-cache")
    return env


def install_moved(args, work):
    """Installs BUILD into WORK/installed, copies that to WORK/moved and
    removes the original; returns the moved prefix."""
    first = os.path.join(work, "installed")
    moved = os.path.join(work, "moved")
    run([args.cmake, "--install", args.build, "--prefix", first])
    shutil.copytree(first, moved, symlinks=True)
    shutil.rmtree(first)
    return moved


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def seed_copy(args, dest):
    """The seed definitions and data (embedding tables) in dest/."""
    seed = os.path.join(args.source, "examples", "seed")
    os.makedirs(dest)
    for name in SEED_FILES:
        shutil.copy(os.path.join(seed, name), dest)
    shutil.copytree(os.path.join(seed, "data"), os.path.join(dest, "data"))


# ------------------------------------------------------------------ prefix

def expected_files(prefix):
    for path in ["bin/fdlc", "include/fdlrt.h", "lib/libfdlrt.a", "lib/libfdlrt.so",
                 "lib/libfdlrt.so.0", "lib/cmake/fdlc/fdlcConfig.cmake",
                 "lib/cmake/fdlc/fdlcConfigVersion.cmake", "lib/cmake/fdlc/fdlcTargets.cmake",
                 "lib/cmake/fdlc/FdlcAddFeatures.cmake", "lib/pkgconfig/fdlrt.pc",
                 "share/man/man1/fdlc.1", "share/doc/fdlc/LICENSE"]:
        check(os.path.exists(os.path.join(prefix, path)), "not installed: " + path)
    check(sorted(os.listdir(os.path.join(prefix, "include"))) == ["fdlrt.h"],
          "include/ holds more than fdlrt.h: %s" % os.listdir(os.path.join(prefix, "include")))
    check(os.readlink(os.path.join(prefix, "lib/libfdlrt.so")) == "libfdlrt.so.0",
          "libfdlrt.so does not link to libfdlrt.so.0")
    dynamic = run(["readelf", "-d", os.path.join(prefix, "lib/libfdlrt.so")]).stdout
    check("Library soname: [libfdlrt.so.0]" in dynamic, "SONAME is not libfdlrt.so.0:\n" + dynamic)
    for root, _, files in os.walk(prefix):
        for name in files:
            check(name not in ("internal.h", "window.h", "sketch.h", "xsum.h"),
                  "a private header is installed: " + os.path.join(root, name))


def no_tree_paths(args, prefix):
    """No installed file names the source or build tree (or the prefix it
    was installed to: the install is relocatable)."""
    needles = set()
    for path in (args.source, args.build):
        needles.add(os.path.abspath(path).encode())
        needles.add(os.path.realpath(path).encode())
    for root, _, files in os.walk(prefix):
        for name in files:
            path = os.path.join(root, name)
            if os.path.islink(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            for needle in needles:
                check(needle not in data, "%s names the tree: %s" % (path, needle.decode()))


def man_page_complete(prefix, env):
    """Every command and option of `fdlc help` and `fdlc drift --help` is in
    the man page; groff (when there) formats it without a warning."""
    page = os.path.join(prefix, "share/man/man1/fdlc.1")
    with open(page, encoding="utf-8") as f:
        roff = f.read()
    text = roff.replace("\\-", "-")
    fdlc = os.path.join(prefix, "bin/fdlc")
    usage = run([fdlc, "help"], env=env).stdout
    commands = re.findall(r"^  ([a-z]+) ", usage.split("commands:")[1], re.M)
    check(len(commands) >= 8, "cannot read the commands of fdlc help:\n" + usage)
    for command in commands:
        check(re.search(r'^\.(?:B|BI|BR) "?%s\b' % command, roff, re.M),
              "the man page has no entry for command '%s'" % command)
    drift = run([fdlc, "drift", "--help"], env=env, expect=None)
    options = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", usage + drift.stdout + drift.stderr))
    check(len(options) >= 20, "cannot read the options: %s" % sorted(options))
    for option in sorted(options):
        check(re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(option), text),
              "the man page does not describe %s" % option)
    if shutil.which("groff"):
        result = run(["groff", "-man", "-Tutf8", "-ww", "-z", page])
        check(not result.stderr.strip(), "groff warns about fdlc.1:\n" + result.stderr)


def batch(fdlc, work, defs_dir, out, env):
    """fdlc batch of the seed example's data into out."""
    data = os.path.join(defs_dir, "data")
    run([fdlc, "batch"] + [os.path.join(defs_dir, f) for f in SEED_FILES] +
        ["--source", "purchases=" + os.path.join(data, "purchases.csv"),
         "--source", "orders=" + os.path.join(data, "orders.csv"),
         "--spine", os.path.join(data, "spine.csv"), "--set", "ranking_v1",
         "--threads", "2", "--out", out], cwd=work, env=env)
    with open(out, "rb") as f:
        return f.read()


def hidden_tree_batch(args, prefix, seed, expected):
    """The moved prefix, copied outside the trees, runs fdlc batch in a mount
    namespace where the source and build trees are empty tmpfs mounts: it
    needs nothing of them. Skipped (said so) where unshare is not allowed."""
    if not shutil.which("unshare") or run(["unshare", "-m", "true"], expect=None).returncode != 0:
        print("note: unshare -m not permitted here; the hidden-tree batch is skipped")
        return
    outside = tempfile.mkdtemp(prefix="fdlc-install-test-")
    try:
        shutil.copytree(prefix, os.path.join(outside, "prefix"), symlinks=True)
        shutil.copytree(seed, os.path.join(outside, "seed"))
        hide = [args.source] + ([] if is_under(args.build, args.source) else [args.build])
        fdlc = os.path.join(outside, "prefix", "bin", "fdlc")
        data = os.path.join(outside, "seed", "data")
        out = os.path.join(outside, "hidden.csv")
        batch_command = [fdlc, "batch"] + [os.path.join(outside, "seed", f) for f in SEED_FILES] + [
            "--source", "purchases=" + os.path.join(data, "purchases.csv"),
            "--source", "orders=" + os.path.join(data, "orders.csv"),
            "--spine", os.path.join(data, "spine.csv"), "--set", "ranking_v1",
            "--threads", "2", "--out", out]
        script = "".join("mount -t tmpfs none %s && " % shlex.quote(d) for d in hide)
        script += "test ! -e %s && exec %s" % (shlex.quote(os.path.join(args.source, "CMakeLists.txt")),
                                               " ".join(map(shlex.quote, batch_command)))
        env = dict(os.environ, FDLC_CACHE_DIR=os.path.join(outside, "cache"))
        env.pop("FDLC_INCLUDE", None)
        run(["unshare", "-m", "sh", "-c", script], cwd=outside, env=env)
        with open(out, "rb") as f:
            check(f.read() == expected, "fdlc batch with the trees hidden differs")
    finally:
        shutil.rmtree(outside, ignore_errors=True)


def is_under(path, directory):
    return os.path.realpath(path).startswith(os.path.realpath(directory) + os.sep)


def mode_prefix(args, work):
    prefix = install_moved(args, work)
    expected_files(prefix)
    if args.sanitized:
        # The sanitizers' instrumentation (ASan globals, UBSan source
        # locations) records source paths -ffile-prefix-map does not
        # rewrite; a sanitizer build is for testing, never installed.
        print("note: sanitizer build: the check for tree paths in installed files is skipped")
    else:
        no_tree_paths(args, prefix)
    env = fdlc_env(work)
    man_page_complete(prefix, env)
    fdlc = os.path.join(prefix, "bin/fdlc")

    # The moved fdlc, from elsewhere, against the build tree's.
    seed = os.path.join(work, "seed")
    seed_copy(args, seed)
    installed = batch(fdlc, work, seed, os.path.join(work, "installed.csv"), env)
    tree_env = dict(env, FDLC_CACHE_DIR=os.path.join(work, "tree-cache"))
    tree = batch(args.fdlc, work, seed, os.path.join(work, "tree.csv"), tree_env)
    check(installed == tree, "the installed fdlc batch differs from the build tree's")
    check(installed.count(b"\n") > 10, "the training set is nearly empty")

    hidden_tree_batch(args, prefix, seed, tree)

    # Output names.
    defs = [os.path.join(seed, f) for f in SEED_FILES]
    for name in ["features", "stdio", "Unistd", "malloc", "fdlrt"]:
        result = run([fdlc, "compile"] + defs + ["-o", os.path.join(work, "gen"), "--name", name],
                     env=env, expect=2)
        check("would shadow" in result.stderr and ("%s.h" % name.lower()) in result.stderr,
              "--name %s: no reason given:\n%s" % (name, result.stderr))
    check(not os.path.exists(os.path.join(work, "gen")), "a refused name wrote files")
    run([fdlc, "compile"] + defs + ["-o", os.path.join(work, "gen")], env=env)
    check(sorted(os.listdir(os.path.join(work, "gen"))) ==
          ["fdlfeatures.c", "fdlfeatures.h", "fdlfeatures.json"],
          "default outputs: %s" % os.listdir(os.path.join(work, "gen")))

    # An fdlc without its include/: an error saying so, not a cc failure.
    lonely = os.path.join(work, "lonely", "bin")
    os.makedirs(lonely)
    shutil.copy(fdlc, lonely)
    result = run([os.path.join(lonely, "fdlc"), "build"] + defs + ["-o", os.path.join(work, "lone")],
                 env=env, expect=2)
    check("cannot find fdlrt.h" in result.stderr and "FDLC_INCLUDE" in result.stderr,
          "an fdlc without include/: " + result.stderr)
    run([os.path.join(lonely, "fdlc"), "build"] + defs + ["-o", os.path.join(work, "lone")],
        env=dict(env, FDLC_INCLUDE=os.path.join(prefix, "include")))
    print("ok: installed files, SONAME, man page, moved fdlc batch identical,"
          " names refused")


# ---------------------------------------------------------------- consumers

def batch_answer(fdlc, work, seed, env):
    """The installed fdlc batch's values for answer.c's query."""
    for name, text in EVENTS.items():
        write(os.path.join(work, "events", name + ".csv"), text)
    write(os.path.join(work, "events", "spine.csv"), SPINE)
    out = os.path.join(work, "events", "training.csv")
    run([fdlc, "batch"] + [os.path.join(seed, f) for f in SEED_FILES] +
        ["--source", "purchases=" + os.path.join(work, "events", "purchases.csv"),
         "--source", "orders=" + os.path.join(work, "events", "orders.csv"),
         "--spine", os.path.join(work, "events", "spine.csv"), "--set", "ranking_v1",
         "--out", out], cwd=work, env=env)
    with open(out, encoding="utf-8") as f:
        return list(csv.DictReader(f))[0]


def compare_answer(answer, expected):
    """answer.c's lines against batch's row: the same values."""
    got = dict(line.split("=", 1) for line in answer.strip().splitlines())
    check(got.get("user_purchase_count_30d") == "2", "count: %r" % got)
    check(float(got["user_avg_order_value_90d"]) == 150.0, "mean: %r" % got)
    for name, value in got.items():
        check(name in expected, "answer has %s, batch has not" % name)
        if value.startswith("vector "):
            _, dim, first = value.split()
            cells = expected[name].strip("[]").split(",")
            check(len(cells) == int(dim) and float(cells[0]) == float(first),
                  "%s: %s against batch %s..." % (name, value, expected[name][:40]))
        elif value == "null":
            check(expected[name] == "", "%s: null against batch %r" % (name, expected[name]))
        else:
            check(float(value) == float(expected[name]),
                  "%s: %s against batch %s" % (name, value, expected[name]))


def consumer_dir(args, work):
    project = os.path.join(work, "project")
    seed_copy(args, os.path.join(project, "seed"))
    shutil.copy(os.path.join(args.source, "tests", "install", "answer.c"), project)
    write(os.path.join(project, "CMakeLists.txt"), CONSUMER_CMAKE)
    return project


def mode_cmake(args, work):
    prefix = install_moved(args, work)
    env = fdlc_env(work)
    project = consumer_dir(args, work)
    build = os.path.join(work, "project-build")
    configure = [args.cmake, "-S", project, "-B", build, "-DCMAKE_PREFIX_PATH=" + prefix,
                 "-DCMAKE_C_COMPILER=" + args.cc, "-DCMAKE_C_FLAGS=" + args.flags,
                 "-DCMAKE_EXE_LINKER_FLAGS=" + args.flags]
    run(configure, env=env)
    run([args.cmake, "--build", build, "-j", "2"], env=env)
    answer = run([os.path.join(build, "answer")], env=env).stdout
    expected = batch_answer(os.path.join(prefix, "bin/fdlc"), work, os.path.join(project, "seed"), env)
    compare_answer(answer, expected)
    print("answer:\n" + answer)

    # A definition edited: the next build compiles it again.
    header = os.path.join(build, "fdlc", "answer", "seedfeat.h")
    check(os.path.exists(header), "no generated header at " + header)
    with open(os.path.join(project, "seed", "features.yaml"), "a", encoding="utf-8") as f:
        f.write(NEW_FEATURE)
    run([args.cmake, "--build", build, "-j", "2"], env=env)
    with open(header, encoding="utf-8") as f:
        check("user_purchase_count_7d_added" in f.read(), "the edited definition was not compiled")
    compare_answer(run([os.path.join(build, "answer")], env=env).stdout, expected)
    result = run([args.cmake, "--build", build, "-j", "2"], env=env)
    check("fdlc compile" not in result.stdout, "fdlc ran again with nothing changed:\n" + result.stdout)

    # A SET the definitions do not have.
    result = run(configure[:4] + [os.path.join(work, "bad-set")] + configure[5:] +
                 ["-DFEATURE_SET=no_such_set"], env=env, expect=None)
    check(result.returncode != 0 and "no feature set" in result.stderr and "ranking_v1" in result.stderr,
          "SET no_such_set:\n" + result.stderr)
    split_program(args, work, prefix, env)
    print("ok: find_package(fdlc) + fdlc_add_features build, answer as batch, rebuild on edit,"
          " a split program")


def split_program(args, work, prefix, env):
    """fdlc_add_features on a program fdlc writes as several C files: every
    one is compiled in (else the link fails), with the static runtime. The
    generated C is compiled without FLAGS (sanitizers make 2,000 features'
    code slow to compile; the runtime linked is still instrumented)."""
    project = os.path.join(work, "split")
    seed_copy(args, os.path.join(project, "seed"))
    lines = ["features:"]
    for i in range(SPLIT_FEATURES):
        lines.append("  - {name: f%d, entity: user, value_type: float64, aggregation: {function: sum,"
                     " source: purchases.amount, window: %dd, where: \"amount > %d\"}}"
                     % (i, i % 90 + 1, i))
    write(os.path.join(project, "many.yaml"), "\n".join(lines) + "\n")
    write(os.path.join(project, "count.c"), SPLIT_MAIN)
    write(os.path.join(project, "CMakeLists.txt"), SPLIT_CMAKE)
    build = os.path.join(work, "split-build")
    run([args.cmake, "-S", project, "-B", build, "-DCMAKE_PREFIX_PATH=" + prefix,
         "-DCMAKE_C_COMPILER=" + args.cc, "-DCMAKE_EXE_LINKER_FLAGS=" + args.flags], env=env)
    run([args.cmake, "--build", build, "-j", "2"], env=env)
    units = sorted(n for n in os.listdir(os.path.join(build, "fdlc", "count")) if n.endswith(".c"))
    check(len(units) >= 2 and "splitfeat_1.c" in units, "not a split program: %s" % units)
    out = run([os.path.join(build, "count")], env=env).stdout
    check(out.strip() == "%d features" % (SPLIT_FEATURES + 5), "count says %r" % out)


def mode_pkgconfig(args, work):
    prefix = install_moved(args, work)
    env = fdlc_env(work)
    env["PKG_CONFIG_PATH"] = os.path.join(prefix, "lib", "pkgconfig")
    project = consumer_dir(args, work)
    fdlc = os.path.join(prefix, "bin/fdlc")
    gen = os.path.join(work, "gen")
    run([fdlc, "compile"] + [os.path.join(project, "seed", f) for f in SEED_FILES] +
        ["-o", gen, "--name", "seedfeat"], env=env)
    flags = run(["pkg-config", "--cflags", "--libs", "fdlrt"], env=env).stdout.split()
    check(any(f.startswith("-I") for f in flags) and "-lfdlrt" in flags, "pkg-config: %s" % flags)
    binary = os.path.join(work, "answer")
    run([args.cc] + shlex.split(args.flags) +
        ["-std=c11", "-Wall", "-Wextra", "-Wpedantic", "-Werror", "-I" + gen,
         '-Dseedfeat_FEATURE_SET="ranking_v1"',
         os.path.join(project, "answer.c"), os.path.join(gen, "seedfeat.c"), "-o", binary] + flags,
        env=env)
    needed = run(["readelf", "-d", binary]).stdout
    check("libfdlrt.so.0" in needed, "answer does not need libfdlrt.so.0:\n" + needed)
    answer = run([binary], env=dict(env, LD_LIBRARY_PATH=os.path.join(prefix, "lib"))).stdout
    compare_answer(answer, batch_answer(fdlc, work, os.path.join(project, "seed"), env))
    print("ok: cc $(pkg-config --cflags --libs fdlrt) build, answer as batch")


# --------------------------------------------------------------------- deb

def mode_deb(args, work):
    config = os.path.join(args.build, "CPackConfig.cmake")
    run([args.cpack, "-G", "DEB", "--config", config, "-B", os.path.join(work, "packages")])
    debs = glob.glob(os.path.join(work, "packages", "*.deb"))
    check(len(debs) == 1, "cpack made %s" % debs)
    listing = run(["dpkg-deb", "-c", debs[0]]).stdout
    for path in ["./usr/bin/fdlc", "./usr/include/fdlrt.h", "./usr/lib/libfdlrt.a",
                 "./usr/lib/libfdlrt.so.0", "./usr/lib/cmake/fdlc/fdlcConfig.cmake",
                 "./usr/lib/pkgconfig/fdlrt.pc", "./usr/share/man/man1/fdlc.1"]:
        check(re.search(r" %s( |$)" % re.escape(path), listing, re.M),
              "the .deb lacks %s:\n%s" % (path, listing))
    check("internal.h" not in listing, "the .deb holds a private header")
    info = run(["dpkg-deb", "-I", debs[0]]).stdout
    check(re.search(r"^ Package: fdlc$", info, re.M) and "libyaml" in info,
          "control fields:\n" + info)
    root = os.path.join(work, "root")
    run(["dpkg-deb", "-x", debs[0], root])
    env = fdlc_env(work)
    seed = os.path.join(work, "seed")
    seed_copy(args, seed)
    run([os.path.join(root, "usr/bin/fdlc"), "build"] + [os.path.join(seed, f) for f in SEED_FILES] +
        ["-o", os.path.join(work, "built")], env=env)
    check(os.path.exists(os.path.join(work, "built", "libfdlfeatures.so")), "no library built")
    print("ok: cpack -G DEB: %s, dpkg-deb -c lists the files; its fdlc builds" % os.path.basename(debs[0]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["prefix", "cmake", "pkgconfig", "deb"])
    for name in ["build", "source", "work", "fdlc", "cmake", "cpack", "cc"]:
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--flags", default="")
    parser.add_argument("--sanitized", action="store_true", help="a sanitizer build (FDL_SANITIZE)")
    args = parser.parse_args()
    args.build, args.source = os.path.abspath(args.build), os.path.abspath(args.source)
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        globals()["mode_" + args.mode](args, work)
    except Failure as failure:
        print("FAIL: %s" % failure)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
