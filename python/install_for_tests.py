#!/usr/bin/env python3
"""install_for_tests.py - installs the module fdl into a directory of the
build tree, as a user would install it (pip, offline, the system Python),
for the pytest tests and the example to import.

    install_for_tests.py PYTHON SOURCE_DIR WORK_DIR RUNTIME_LIB INCLUDE_DIRS FDLC

The sources are copied to WORK_DIR/src first, so that pip's in-tree build
(build/, *.egg-info) never writes into the source tree; the module lands in
WORK_DIR/site (replaced whole). RUNTIME_LIB, INCLUDE_DIRS (':'-separated)
and FDLC are handed to setup.py (see its docstring).
"""
import os
import shutil
import subprocess
import sys


def main(argv):
    if len(argv) != 7:
        sys.stderr.write(__doc__)
        return 2
    python, source, work, runtime_lib, include_dirs, fdlc = argv[1:]
    src, site = os.path.join(work, "src"), os.path.join(work, "site")
    for path in (src, site):
        shutil.rmtree(path, ignore_errors=True)
    shutil.copytree(source, src, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", "tests", "*.so"))
    env = dict(os.environ, FDL_RUNTIME_LIB=runtime_lib, FDL_FDLC=fdlc,
               FDL_RUNTIME_INCLUDE=include_dirs,
               PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONDONTWRITEBYTECODE="1")
    command = [python, "-m", "pip", "install", "--no-build-isolation", "--no-index", "--no-deps",
               "--no-cache-dir", "--quiet", "--target", site, src]
    print(" ".join(command), flush=True)
    return subprocess.run(command, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv))
