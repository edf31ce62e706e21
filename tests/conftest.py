"""Shared fixtures: the same test bodies run on NumPy and on array-api-strict.

``array_api_strict`` implements nothing but the array API standard, so a model
function that passes there uses only the standard and will also run on CuPy.
GPU tests are marked ``gpu`` and skipped unless CuPy imports and sees a usable
CUDA device.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from dcecon.backends import resolve_backend, to_numpy

BACKEND_NAMES = ("numpy", "array-api-strict")
"""Backends every model test runs on (CPU, always available in the test extra)."""


def _cupy_usable() -> bool:
    try:
        cupy = importlib.import_module("cupy")
        return bool(cupy.cuda.is_available())
    except Exception:  # not installed, or a broken CUDA install
        return False


CUPY_USABLE = _cupy_usable()

requires_gpu = pytest.mark.skipif(not CUPY_USABLE, reason="needs CuPy and a usable CUDA GPU")
"""Skip marker for tests that need CuPy on a GPU; use together with ``pytest.mark.gpu``."""

gpu = [pytest.mark.gpu, requires_gpu]
"""``pytestmark = gpu`` (or ``@pytest.mark.gpu`` + ``@requires_gpu``) for a GPU-only test."""


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
    """:func:`as_numpy` as a fixture, for tests that prefer not to import from conftest."""
    return as_numpy
