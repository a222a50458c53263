"""setup.py - builds the Python module fdl (a C extension over libfdlrt).

Offline, with the system Python and Debian's packages only:

    /usr/bin/python3 -m pip install --no-build-isolation --no-index ./python

The extension needs the fdl runtime. By default it compiles the runtime's
sources from the tree this directory sits in (../runtime). A CMake build
passes its own instead through the environment:

    FDL_RUNTIME_LIB      a static libfdlrt.a (built with -fPIC), linked whole
    FDL_RUNTIME_INCLUDE  the directories holding fdlrt.h (os.pathsep-separated)
    FDL_FDLC             the fdlc the module runs by default (else FDLC or PATH at run time)
"""
import glob
import os

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIME = os.path.normpath(os.path.join(HERE, "..", "runtime"))


def runtime_include_dirs():
    given = os.environ.get("FDL_RUNTIME_INCLUDE")
    if given:
        return [d for d in given.split(os.pathsep) if d]
    # The public header may sit in runtime/include (an installable layout) or runtime/.
    # stdlib/: the aggregation table the runtime's sources include.
    stdlib = os.path.normpath(os.path.join(RUNTIME, "..", "stdlib"))
    return [d for d in (os.path.join(RUNTIME, "include"), RUNTIME)
            if os.path.exists(os.path.join(d, "fdlrt.h"))] + [RUNTIME, stdlib]


def runtime_parts():
    """(sources, extra link arguments) that put the whole runtime in the extension."""
    library = os.environ.get("FDL_RUNTIME_LIB")
    if library:
        # Whole: the generated libraries call runtime functions the extension does not.
        return [], ["-Wl,--whole-archive", library, "-Wl,--no-whole-archive"]
    sources = sorted(glob.glob(os.path.join(RUNTIME, "*.c")))
    if not sources:
        raise SystemExit("fdl: no runtime sources in %s; set FDL_RUNTIME_LIB and "
                         "FDL_RUNTIME_INCLUDE" % RUNTIME)
    return [os.path.relpath(s, HERE) for s in sources], []


class BuildPy(build_py):
    """Writes fdl/_config.py: the fdlc this build was made with, if given."""

    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "fdl", "_config.py")
        with open(target, "w", encoding="utf-8") as out:
            out.write("# Written by setup.py.\nFDLC = %r\n" % os.environ.get("FDL_FDLC", ""))


sources, link_args = runtime_parts()
native = Extension(
    "fdl._native",
    sources=["fdl/_native.c"] + sources,
    include_dirs=runtime_include_dirs(),
    # The runtime's own flags: values bit-identical to fdlc batch (no fused a*b+c).
    extra_compile_args=["-std=c11", "-ffp-contract=off", "-fvisibility=default"],
    extra_link_args=link_args,
    libraries=["m", "dl", "pthread"],
)

setup(
    name="fdl",
    version="0.1.0",
    description="Python bindings of fdlc: check, compile, training sets and an online store",
    packages=["fdl"],
    ext_modules=[native],
    cmdclass={"build_py": BuildPy},
    python_requires=">=3.9",
    install_requires=[],   # numpy and pandas: Debian's python3-numpy, python3-pandas
)
