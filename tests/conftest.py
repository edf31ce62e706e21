"""Shared fixtures: the array backends every model test runs on, and the session's native kernel build.

The same test bodies run on NumPy and on array-api-strict:
``array_api_strict`` implements nothing but the array API standard, so a
model function that passes there uses only the standard and will also run on
CuPy. GPU tests are marked ``gpu`` and skipped unless CuPy imports and sees
a usable CUDA device (``helpers.gpu``).

The native kernel is built once per test session into a folder under
pytest's base temp (``native_cache``), never into the user's cache. A module
that runs the kernel directly or in subprocesses asks for it with
``pytestmark = pytest.mark.usefixtures("native_cache")`` (or a test takes
``native_lib``).

Plain helpers (no fixtures) shared by several modules live in
``tests/helpers/`` and are imported as ``helpers.<module>``.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

pytest.register_assert_rewrite("helpers")  # before the first import of the package: asserts show their values

from dcecon.backends import native, resolve_backend, to_numpy  # noqa: E402
from helpers.gpu import CUPY_USABLE  # noqa: E402
from helpers.native_cache import CACHE_FOLDER  # noqa: E402

BACKEND_NAMES = ("numpy", "array-api-strict")
"""Backends every model test runs on (CPU, always available in the test extra)."""


@pytest.fixture(scope="session", params=BACKEND_NAMES)
def xp_backend(request):
    """A :class:`dcecon.backends.Backend` (float64) for each CPU array namespace.

    Session-scoped so that hypothesis ``@given`` tests may use it.
    """
    return resolve_backend(request.param)


@pytest.fixture(scope="session")
def cupy_backend():
    """The CuPy backend; skips the test where no GPU is usable."""
    if not CUPY_USABLE:
        pytest.skip("needs CuPy and a usable CUDA GPU")
    return resolve_backend("cupy")


def as_numpy(array) -> np.ndarray:
    """Any backend's array (or a Python number) as a float64 NumPy array, for asserts."""
    return np.asarray(to_numpy(array), dtype=np.float64)


@pytest.fixture(scope="session")
def to_np():
    """:func:`as_numpy` as a fixture."""
    return as_numpy


@pytest.fixture(scope="module")
def native_cache(tmp_path_factory):
    """``DCECON_CACHE_DIR`` -> one folder per test session, so tests never touch the user's cache.

    The folder's path is fixed under the session's base temp
    (``helpers.native_cache.CACHE_FOLDER``), so the library is built once
    (about 2 s) however many modules use this fixture; the environment and
    the loader's memo are restored at the end of the module.
    """
    folder = tmp_path_factory.getbasetemp() / CACHE_FOLDER
    folder.mkdir(exist_ok=True)
    previous = os.environ.get("DCECON_CACHE_DIR")
    os.environ["DCECON_CACHE_DIR"] = str(folder)
    native.load_library.cache_clear()
    yield folder
    native.load_library.cache_clear()
    if previous is None:
        os.environ.pop("DCECON_CACHE_DIR", None)
    else:
        os.environ["DCECON_CACHE_DIR"] = previous


@pytest.fixture(scope="module")
def native_lib(native_cache):
    """The native library built into the session's cache (skips only where no C++ compiler exists)."""
    if native.find_compiler() is None:
        pytest.skip("no C++ compiler (CXX, c++, g++ or clang++) on this machine")
    return native.load_library()
