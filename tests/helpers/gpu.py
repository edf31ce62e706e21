"""Whether a CUDA GPU is usable here, and the marks of GPU-only tests."""

from __future__ import annotations

import importlib

import pytest


def _cupy_usable() -> bool:
    try:
        cupy = importlib.import_module("cupy")
        return bool(cupy.cuda.is_available())
    except Exception:  # not installed, or a broken CUDA install
        return False


CUPY_USABLE = _cupy_usable()
"""CuPy imports and sees a CUDA device (decided once, at import)."""

requires_gpu = pytest.mark.skipif(not CUPY_USABLE, reason="needs CuPy and a usable CUDA GPU")
"""Skip marker for tests that need CuPy on a GPU; use together with ``pytest.mark.gpu``."""

gpu = [pytest.mark.gpu, requires_gpu]
"""``pytestmark = gpu`` (or ``@pytest.mark.gpu`` + ``@requires_gpu``) for a GPU-only test."""
