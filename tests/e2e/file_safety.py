"""file_safety.py - nothing a user has is lost, nothing is run that shouldn't be.

Runs the real `fdlc` on the seed example and checks the promises of
docs/language.md "Files fdlc writes" and "The build cache":

  - an output that names an input or another output is refused (exit 2)
    before anything is written, through symbolic and hard links too;
  - outputs are written through a unique temporary renamed into place:
    concurrent runs with one --out give one whole file, a killed or failed
    run leaves no temporary and the old file as it was;
  - FIFOs and symbolic links are written, never replaced; "-" is stdout;
  - the build cache is created 0700 and refused when it, an entry or a
    library in it belongs to another user, is writable by others, or is a
    symbolic link.

usage: file_safety.py FDLC SEED_DIR WORK_DIR
"""
import hashlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
import unittest

FDLC = SEED = WORK = None


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class FileSafety(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.join(WORK, self.id().rsplit(".", 1)[-1])
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.copytree(SEED, self.dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
        self.env = dict(os.environ, FDLC_CACHE_DIR=os.path.join(WORK, "cache"))
        self.inputs = {}
        for root, _, files in os.walk(self.dir):
            for name in files:
                path = os.path.join(root, name)
                self.inputs[path] = digest(path)

    def run_fdlc(self, *args, env=None, **kw):
        return subprocess.run([FDLC, *args], cwd=self.dir, env=env or self.env,
                              capture_output=True, **kw)

    def batch(self, *extra, env=None, **kw):
        return self.run_fdlc("batch", "catalog.yaml", "features.yaml",
                             "--source", "purchases=data/purchases.csv",
                             "--source", "orders=data/orders.csv",
                             "--spine", "data/spine.csv", "--set", "ranking_v1", *extra,
                             env=env, **kw)

    def assert_inputs_unchanged(self):
        for path, before in self.inputs.items():
            self.assertEqual(digest(path), before, "%s was changed" % path)

    def assert_no_temporaries(self, directory=None):
        directory = directory or self.dir
        left = [n for n in os.listdir(directory) if ".fdlc-" in n or n.endswith(".tmp")]
        self.assertEqual(left, [], "temporaries left behind in %s" % directory)

    def expected_output(self):
        path = os.path.join(WORK, "expected.csv")
        if not os.path.exists(path):
            r = self.batch("--out", path)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
        with open(path, "rb") as f:
            return f.read()

    # ---------------------------------------------- 1. outputs and inputs

    def refused(self, *extra, says="refusing"):
        r = self.batch(*extra)
        self.assertEqual(r.returncode, 2, r.stderr.decode())
        self.assertIn(says, r.stderr.decode())
        self.assert_inputs_unchanged()
        self.assert_no_temporaries()
        self.assert_no_temporaries(os.path.join(self.dir, "data"))
        return r.stderr.decode()

    def test_quarantine_over_a_source(self):
        self.refused("--out", "out.csv", "--quarantine", "data/purchases.csv")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out.csv")))

    def test_out_over_the_spine(self):
        self.refused("--out", "data/spine.csv")

    def test_report_over_a_definition_file(self):
        self.refused("--out", "out.csv", "--report", "features.yaml")

    def test_out_over_an_embedding_table(self):
        self.refused("--out", "data/product2vec_v3.csv")

    def test_two_outputs_one_file(self):
        message = self.refused("--out", "out.csv", "--quarantine", "out.csv")
        self.assertIn("same file", message)
        self.refused("--out", "out.csv", "--report", "./out.csv")

    def test_two_new_outputs_one_name(self):
        # Neither exists yet: compared by directory and name.
        os.mkdir(os.path.join(self.dir, "sub"))
        self.refused("--out", "sub/x.csv", "--report", "sub/../sub/x.csv", says="same file")

    def test_through_a_symbolic_link(self):
        os.symlink("data/orders.csv", os.path.join(self.dir, "link.csv"))
        self.refused("--out", "link.csv")

    def test_through_a_hard_link(self):
        os.link(os.path.join(self.dir, "data/purchases.csv"), os.path.join(self.dir, "hard.csv"))
        self.refused("--out", "out.csv", "--report", "hard.csv")

    def test_compile_over_a_definition_file(self):
        # A YAML definition file named like the manifest compile writes.
        shutil.copy(os.path.join(self.dir, "catalog.yaml"), os.path.join(self.dir, "gen.json"))
        self.inputs[os.path.join(self.dir, "gen.json")] = digest(os.path.join(self.dir, "gen.json"))
        r = self.run_fdlc("compile", "gen.json", "features.yaml", "-o", ".", "--name", "gen")
        self.assertEqual(r.returncode, 2, r.stderr.decode())
        self.assertIn("refusing to write over an input", r.stderr.decode())
        self.assert_inputs_unchanged()
        self.assertFalse(os.path.exists(os.path.join(self.dir, "gen.h")))

    def test_drift_json_over_an_input(self):
        self.batch("--out", "train.csv")
        before = digest(os.path.join(self.dir, "train.csv"))
        r = self.run_fdlc("drift", "train.csv", "train.csv", "--json", "train.csv")
        self.assertEqual(r.returncode, 2, r.stderr.decode())
        self.assertEqual(digest(os.path.join(self.dir, "train.csv")), before)

    # ------------------------------------------------ 2. writing outputs

    def test_out_dash_is_standard_output(self):
        r = self.batch("--out", "-")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stdout, self.expected_output())
        self.assertFalse(os.path.exists(os.path.join(self.dir, "-")))

    def test_symbolic_link_is_followed_and_kept(self):
        target = os.path.join(self.dir, "target.csv")
        with open(target, "w") as f:
            f.write("old\n")
        link = os.path.join(self.dir, "link.csv")
        os.symlink("target.csv", link)
        r = self.batch("--out", "link.csv")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertTrue(os.path.islink(link), "the symbolic link was replaced")
        with open(target, "rb") as f:
            self.assertEqual(f.read(), self.expected_output())
        self.assert_no_temporaries()

    def test_fifo_is_written_not_replaced(self):
        fifo = os.path.join(self.dir, "pipe")
        os.mkfifo(fifo)
        got = []
        def read_all():
            with open(fifo, "rb") as f:
                got.append(f.read())
        reader = threading.Thread(target=read_all)
        reader.start()
        r = self.batch("--out", "pipe", timeout=60)
        reader.join(60)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced")
        self.assertEqual(got, [self.expected_output()])

    @unittest.skipUnless(os.geteuid() == 0, "needs root to make a device node")
    def test_character_device(self):
        # A null device of our own: a regression replaces it, not /dev/null.
        null = os.path.join(self.dir, "null")
        os.mknod(null, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        r = self.batch("--out", "null", "--report", "null", "--quarantine", "null")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertTrue(stat.S_ISCHR(os.lstat(null).st_mode), "the device was replaced")

    def test_directory_and_dangling_link_refused(self):
        os.mkdir(os.path.join(self.dir, "d"))
        r = self.batch("--out", "d")
        self.assertEqual(r.returncode, 2)
        self.assertIn("is a directory", r.stderr.decode())
        os.symlink("nowhere/x.csv", os.path.join(self.dir, "dangling"))
        r = self.batch("--out", "dangling")
        self.assertEqual(r.returncode, 2)
        self.assertIn("does not exist", r.stderr.decode())

    def test_concurrent_runs_one_out(self):
        expected = self.expected_output()
        for _ in range(5):
            procs = [subprocess.Popen([FDLC, "batch", "catalog.yaml", "features.yaml",
                                       "--source", "purchases=data/purchases.csv",
                                       "--source", "orders=data/orders.csv",
                                       "--spine", "data/spine.csv", "--set", "ranking_v1",
                                       "--out", "shared.csv"],
                                      cwd=self.dir, env=self.env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE) for _ in range(4)]
            for p in procs:
                _, stderr = p.communicate()
                self.assertEqual(p.returncode, 0, stderr.decode(errors="replace"))
            with open(os.path.join(self.dir, "shared.csv"), "rb") as f:
                self.assertEqual(f.read(), expected)
        self.assert_no_temporaries()

    def test_killed_runs_leave_nothing(self):
        # A spine of 40 copies of the seed's, so that writing takes a while
        # and some kills land in the middle of it.
        with open(os.path.join(self.dir, "data/spine.csv")) as f:
            header, *rows = f.read().splitlines(keepends=True)
        with open(os.path.join(self.dir, "big_spine.csv"), "w") as f:
            f.write(header + "".join(rows * 40))
        args = [FDLC, "batch", "catalog.yaml", "features.yaml",
                "--source", "purchases=data/purchases.csv", "--source", "orders=data/orders.csv",
                "--spine", "big_spine.csv", "--set", "ranking_v1"]
        r = subprocess.run(args + ["--out", "expected.csv"], cwd=self.dir, env=self.env,
                           capture_output=True)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        with open(os.path.join(self.dir, "expected.csv"), "rb") as f:
            expected = f.read()
        out = os.path.join(self.dir, "killed.csv")
        start = time.monotonic()
        subprocess.run(args + ["--out", "timed.csv"], cwd=self.dir, env=self.env, capture_output=True)
        duration = time.monotonic() - start
        for i in range(24):
            p = subprocess.Popen(args + ["--out", "killed.csv", "--report", "killed.json"],
                                 cwd=self.dir, env=self.env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            time.sleep(duration * (0.3 + 0.7 * i / 24))
            p.send_signal(signal.SIGKILL if i % 2 else signal.SIGTERM)
            p.wait()
            self.assert_no_temporaries()
            if os.path.exists(out):
                with open(out, "rb") as f:
                    self.assertEqual(f.read(), expected, "a killed run left half a file")

    def test_failed_run_keeps_the_old_file(self):
        out = os.path.join(self.dir, "out.csv")
        with open(out, "w") as f:
            f.write("precious\n")
        with open(os.path.join(self.dir, "data/orders.csv"), "a") as f:
            f.write('2024-01-01T00:00:00Z,"unterminated\n')
        r = self.batch("--out", "out.csv")
        self.assertEqual(r.returncode, 2, r.stderr.decode())
        with open(out) as f:
            self.assertEqual(f.read(), "precious\n")
        self.assert_no_temporaries()

    def test_longest_file_name(self):
        # The temporary's name must fit NAME_MAX as the output's does.
        name = "n" * 251 + ".csv"
        for _ in range(2):      # created, then replaced
            r = self.batch("--out", name)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
        with open(os.path.join(self.dir, name), "rb") as f:
            self.assertEqual(f.read(), self.expected_output())
        self.assert_no_temporaries()

    def test_mode_of_a_replaced_file_is_kept(self):
        out = os.path.join(self.dir, "out.csv")
        with open(out, "w") as f:
            f.write("old\n")
        os.chmod(out, 0o640)
        r = self.batch("--out", "out.csv")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(stat.S_IMODE(os.stat(out).st_mode), 0o640)

    # ------------------------------------------------------ 3. the cache

    def cache_env(self, cache):
        return dict(self.env, FDLC_CACHE_DIR=cache)

    def test_cache_created_private(self):
        cache = os.path.join(self.dir, "new", "cache")
        r = self.batch("--out", "out.csv", env=self.cache_env(cache))
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(stat.S_IMODE(os.stat(cache).st_mode), 0o700)
        for entry in os.listdir(cache):
            path = os.path.join(cache, entry)
            self.assertEqual(stat.S_IMODE(os.stat(path).st_mode) & 0o022, 0, path)
            lib = os.path.join(path, "libfeatures.so")
            self.assertEqual(stat.S_IMODE(os.stat(lib).st_mode) & 0o022, 0, lib)

    def test_default_cache_without_home_is_per_user(self):
        env = {k: v for k, v in self.env.items()
               if k not in ("FDLC_CACHE_DIR", "HOME", "XDG_CACHE_HOME")}
        env["XDG_RUNTIME_DIR"] = os.path.join(self.dir, "run")
        os.mkdir(env["XDG_RUNTIME_DIR"], 0o700)
        r = self.batch("--out", "out.csv", env=env)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        cache = os.path.join(env["XDG_RUNTIME_DIR"], "fdlc-cache")
        self.assertTrue(os.path.isdir(cache))
        self.assertEqual(stat.S_IMODE(os.stat(cache).st_mode), 0o700)

    def built_cache(self):
        cache = os.path.join(self.dir, "cache")
        r = self.batch("--out", "out.csv", env=self.cache_env(cache))
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        entries = [e for e in os.listdir(cache) if not e.startswith(".")]
        self.assertEqual(len(entries), 1)
        return cache, os.path.join(cache, entries[0])

    def cache_refused(self, cache, says):
        r = self.batch("--out", "again.csv", env=self.cache_env(cache))
        self.assertEqual(r.returncode, 2, r.stderr.decode())
        self.assertIn(says, r.stderr.decode())
        self.assertFalse(os.path.exists(os.path.join(self.dir, "again.csv")))

    def test_cache_writable_by_others_refused(self):
        cache, entry = self.built_cache()
        os.chmod(cache, 0o777)
        self.cache_refused(cache, "writable by others")
        os.chmod(cache, 0o700)
        os.chmod(os.path.join(entry, "libfeatures.so"), 0o777)
        self.cache_refused(cache, "writable by others")

    def test_planted_library_refused(self):
        cache, entry = self.built_cache()
        lib = os.path.join(entry, "libfeatures.so")
        os.rename(lib, os.path.join(self.dir, "elsewhere.so"))
        os.symlink(os.path.join(self.dir, "elsewhere.so"), lib)
        self.cache_refused(cache, "not a regular file")

    @unittest.skipUnless(os.geteuid() == 0, "needs root to give files to another user")
    def test_cache_of_another_user_refused(self):
        cache, entry = self.built_cache()
        other = 4242 if os.geteuid() != 4242 else 4243
        os.chown(os.path.join(entry, "libfeatures.so"), other, other)
        self.cache_refused(cache, "belongs to uid %d" % other)
        os.chown(os.path.join(entry, "libfeatures.so"), 0, 0)
        os.chown(entry, other, other)
        self.cache_refused(cache, "belongs to uid %d" % other)
        os.chown(entry, 0, 0)
        os.chown(cache, other, other)
        self.cache_refused(cache, "belongs to uid %d" % other)


def main():
    global FDLC, SEED, WORK
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    FDLC, SEED, WORK = os.path.abspath(sys.argv[1]), sys.argv[2], os.path.abspath(sys.argv[3])
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    os.umask(0o022)
    result = unittest.main(argv=[sys.argv[0], "-v"], exit=False).result
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
