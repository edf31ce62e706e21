"""The CPU backend ``native``: the fused kernel compiled by the host C++ compiler.

``kernels/dcecon_native.cpp`` (with the model and grid headers) is compiled
once with ``-O3 -march=native -ffp-contract=off`` and OpenMP when the
compiler has it, into a shared library cached under the user's cache folder
(``platformdirs.user_cache_dir("dcecon")/native``), keyed by the sources'
hash, the compiler's version and the flags, and loaded with ctypes.
``-ffp-contract=off`` keeps multiply-adds unfused, so results do not depend
on whether the CPU has FMA. A missing compiler or a failed build gives a
one-line warning and ``None`` (the caller falls back to NumPy). A cache entry
is loaded only if its SHA-256 matches the stamp written when it was built
(loading a truncated library can crash the process); one that does not
match, or does not load, is rebuilt.
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from dcecon.backends import kernel_sources

BASE_FLAGS = ("-O3", "-march=native", "-ffp-contract=off", "-fPIC", "-shared", "-std=c++17")
OPENMP_FLAG = "-fopenmp"


class NativeUnavailable(RuntimeError):
    """The native backend cannot be built or loaded here."""


def cache_dir() -> Path:
    """Where built libraries are kept (``DCECON_CACHE_DIR`` overrides)."""
    override = os.environ.get("DCECON_CACHE_DIR")
    if override:
        return Path(override) / "native"
    import platformdirs

    return Path(platformdirs.user_cache_dir("dcecon")) / "native"


def find_compiler() -> str | None:
    """The C++ compiler: ``$CXX``, else ``c++``, ``g++`` or ``clang++`` on the PATH."""
    candidates = [os.environ.get("CXX")] if os.environ.get("CXX") else []
    candidates += ["c++", "g++", "clang++"]
    for name in candidates:
        path = shutil.which(name) if name else None
        if path:
            return path
    return None


def _compiler_version(compiler: str) -> str:
    try:
        return subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def build_key(compiler: str, flags) -> str:
    """Cache key: sources, compiler version and flags."""
    h = hashlib.sha256()
    h.update(kernel_sources.digest(kernel_sources.NATIVE).encode())
    h.update(_compiler_version(compiler).encode())
    h.update(" ".join(flags).encode())
    return h.hexdigest()[:24]


def _compile(compiler: str, flags, target: Path) -> None:
    source = kernel_sources.kernel_dir() / kernel_sources.NATIVE
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".build.", suffix=".so")
    os.close(fd)
    try:
        command = [compiler, *flags, "-I", str(kernel_sources.kernel_dir()), "-o", tmp, str(source)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["unknown error"])[0]
            raise NativeUnavailable(f"the C++ build failed: {first}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _openmp_works(compiler: str) -> bool:
    with tempfile.TemporaryDirectory() as folder:
        src = Path(folder) / "omp.cpp"
        src.write_text("#include <omp.h>\nint main() { return omp_get_max_threads() > 0 ? 0 : 1; }\n")
        done = subprocess.run([compiler, OPENMP_FLAG, str(src), "-o", str(Path(folder) / "omp")],
                              capture_output=True, timeout=120)
        return done.returncode == 0


def _declare(lib) -> None:
    c = ctypes
    p = np.ctypeslib.ndpointer
    for suffix, real in (("f64", np.float64), ("f32", np.float32)):
        common = [p(np.float64), p(np.int32), p(np.int32), p(np.int64), p(np.int64), p(real), p(np.int64),
                  p(np.int32), p(np.int32), p(np.int32), p(real), c.c_longlong, p(real), p(np.int32), c.c_double,
                  c.c_double, c.c_longlong, c.c_longlong, c.c_int]
        evaluate = getattr(lib, f"dcecon_evaluate_{suffix}")
        evaluate.argtypes = common + [p(real, flags="C_CONTIGUOUS")]
        evaluate.restype = c.c_int
        reduce = getattr(lib, f"dcecon_reduce_{suffix}")
        reduce.argtypes = common + [p(np.int32), p(np.int32), p(np.int64), p(np.int32), p(np.int32), p(np.int64),
                                    c.c_longlong, p(np.int32), p(np.int64)] + [
            p(np.float64), p(np.float64), p(np.float64), p(np.float64), p(np.int64), p(np.float64), p(np.int64),
            p(np.int64), p(np.int64), p(np.float64), p(np.float64), p(np.float64)]
        reduce.restype = c.c_int
    lib.dcecon_max_threads.restype = c.c_int
    lib.dcecon_limits.argtypes = [p(np.int32)]


@functools.lru_cache(maxsize=None)
def load_library(rebuild: bool = False):
    """Build (if needed) and load the native library; raises :class:`NativeUnavailable`."""
    compiler = find_compiler()
    if compiler is None:
        raise NativeUnavailable("no C++ compiler found (set CXX, or install g++)")
    flags = list(BASE_FLAGS)
    if _openmp_works(compiler):
        flags.append(OPENMP_FLAG)
    target = cache_dir() / f"dcecon-native-{build_key(compiler, flags)}.so"
    stamp = target.with_suffix(".sha256")
    for attempt in range(2):
        if not target.exists() or rebuild or not _intact(target, stamp):
            target.unlink(missing_ok=True)  # a truncated library can crash the loader: never load one
            _compile(compiler, flags, target)
            stamp.write_text(_file_digest(target))
        try:
            lib = ctypes.CDLL(str(target))
            _declare(lib)
            return lib
        except (OSError, AttributeError):
            target.unlink(missing_ok=True)  # corrupted or stale cache entry: rebuild once
            rebuild = True
    raise NativeUnavailable(f"the built library {target} does not load")


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _intact(target: Path, stamp: Path) -> bool:
    """Whether the cached library is byte for byte the one that was built (its SHA-256 stamp matches)."""
    try:
        return stamp.read_text().strip() == _file_digest(target)
    except OSError:
        return False


def available() -> bool:
    """Whether the native backend can be built and loaded (never raises)."""
    try:
        load_library()
        return True
    except Exception:
        return False


def load_or_warn():
    """The library, or ``None`` after a one-line warning on standard error."""
    try:
        return load_library()
    except Exception as exc:  # no compiler, failed build, unloadable library
        print(f"dcecon: warning: native backend unavailable ({exc}); using numpy", file=sys.stderr)
        return None


def limits(lib) -> dict:
    """Compile-time limits of the library."""
    out = np.zeros(4, dtype=np.int32)
    lib.dcecon_limits(out)
    return {"max_cohorts": int(out[0]), "max_periods": int(out[1]), "n_params": int(out[2]),
            "n_metrics": int(out[3])}


warnings.filterwarnings("default", category=RuntimeWarning, module=__name__)
