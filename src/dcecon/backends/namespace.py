"""Backend selection and the single exit of arrays to the host.

``auto`` takes CuPy when ``cupy.cuda.is_available()`` is true, else NumPy.
``numpy`` and ``cupy`` force the choice; asking for ``cupy`` without a usable
GPU raises :class:`BackendUnavailableError` with a one-line reason. CuPy is
imported lazily, never aliased to NumPy.
"""

from __future__ import annotations

import dataclasses
import importlib
from types import ModuleType
from typing import Any

import array_api_compat
import numpy as np

BACKEND_CHOICES = ("auto", "numpy", "cupy", "array-api-strict")
"""Names accepted by ``--backend`` and ``dcecon.evaluate(backend=...)``."""

DTYPE_CHOICES = ("float64", "float32")


class BackendUnavailableError(RuntimeError):
    """The requested backend cannot run on this machine."""


@dataclasses.dataclass(frozen=True)
class Backend:
    """An array namespace with the dtype the model computes in.

    Attributes
    ----------
    name : str
        ``numpy``, ``cupy`` or ``array-api-strict``.
    xp : module
        The array-API namespace (``array_api_compat`` wrapped for NumPy/CuPy).
    dtype_name : str
        ``float64`` (default) or ``float32``.
    """

    name: str
    xp: ModuleType
    dtype_name: str = "float64"

    @property
    def dtype(self) -> Any:
        """The floating dtype object of this namespace."""
        return getattr(self.xp, self.dtype_name)

    def asarray(self, value: Any) -> Any:
        """Put ``value`` on this backend's device in its dtype."""
        return self.xp.asarray(value, dtype=self.dtype)


def _cupy_usable() -> tuple[bool, str]:
    try:
        cupy = importlib.import_module("cupy")
    except Exception as exc:  # ImportError, or a broken CUDA install
        return False, f"cupy is not installed ({type(exc).__name__}); install dcecon[gpu]"
    try:
        if not cupy.cuda.is_available():
            return False, "cupy is installed but no CUDA GPU is usable"
    except Exception as exc:
        return False, f"cupy cannot reach a CUDA device: {exc}"
    return True, ""


def resolve_backend(name: str = "auto", dtype: str = "float64") -> Backend:
    """Return the :class:`Backend` for a backend name.

    Parameters
    ----------
    name : {'auto', 'numpy', 'cupy', 'array-api-strict'}
        ``auto`` takes CuPy when a GPU is usable, else NumPy.
    dtype : {'float64', 'float32'}
        Floating dtype of every computation; float64 unless asked otherwise.

    Raises
    ------
    BackendUnavailableError
        For ``cupy`` without a usable GPU, or an unknown name.
    """
    if dtype not in DTYPE_CHOICES:
        raise BackendUnavailableError(f"dtype must be one of {', '.join(DTYPE_CHOICES)}, not {dtype!r}")
    if name == "auto":
        usable, _ = _cupy_usable()
        name = "cupy" if usable else "numpy"
    if name == "numpy":
        return Backend("numpy", array_api_compat.array_namespace(np.empty(0)), dtype)
    if name == "cupy":
        usable, why = _cupy_usable()
        if not usable:
            raise BackendUnavailableError(f"backend 'cupy' is not usable: {why}")
        cupy = importlib.import_module("cupy")
        return Backend("cupy", array_api_compat.array_namespace(cupy.empty(0)), dtype)
    if name == "array-api-strict":
        try:
            strict = importlib.import_module("array_api_strict")
        except ImportError as exc:
            raise BackendUnavailableError("backend 'array-api-strict' needs the array-api-strict package") from exc
        return Backend("array-api-strict", strict, dtype)
    raise BackendUnavailableError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_CHOICES)}")


def namespace_of(*arrays: Any) -> ModuleType:
    """The array-API namespace of ``arrays`` (Python scalars are ignored).

    Mixed namespaces raise ``TypeError``: nothing moves between host and
    device silently.
    """
    return array_api_compat.array_namespace(*arrays)


def to_numpy(array: Any) -> np.ndarray:
    """Copy an array of any backend to a NumPy array on the host.

    This is the only place where results leave the device.
    """
    if isinstance(array, np.ndarray):
        return array
    if array_api_compat.is_cupy_array(array):
        return array.get()
    if isinstance(array, (float, int)):
        return np.asarray(array, dtype=np.float64)
    return np.asarray(array)
