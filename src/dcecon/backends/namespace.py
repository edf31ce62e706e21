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

from dcecon.errors import BackendUnavailableError

BACKEND_CHOICES = ("auto", "numpy", "native", "cupy", "cupy-array", "array-api-strict")
"""Names accepted by ``--backend``.

- ``numpy``: the array-API model on NumPy (the readable reference);
- ``native``: the fused kernel compiled for this CPU (grids; single scenarios run on NumPy);
- ``cupy``: the fused CUDA kernel on an NVIDIA GPU (grids; single scenarios run the array model on CuPy);
- ``cupy-array``: the array-API model on CuPy (cross-checks);
- ``array-api-strict``: the array-API model on the strict stand-in namespace (tests);
- ``auto``: ``cupy`` with a usable GPU, else ``native`` for grids when a C++ compiler is there, else ``numpy``.
"""

DTYPE_CHOICES = ("float64", "float32")


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
    kernel: str | None = None
    threads: int = 0

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


def resolve_backend(name: str = "auto", dtype: str = "float64", kernels: bool = False, threads: int = 0) -> Backend:
    """Return the :class:`Backend` for a backend name.

    Parameters
    ----------
    name : str
        One of :data:`BACKEND_CHOICES`.
    dtype : {'float64', 'float32'}
        Floating dtype of every computation; float64 unless asked otherwise.
    kernels : bool
        True for grid runs, where ``auto`` may pick the fused kernels
        (``cupy``, then ``native``); single-scenario evaluation uses the
        array model.
    threads : int
        Threads of the native kernel (0: all cores).

    Raises
    ------
    BackendUnavailableError
        For ``cupy`` without a usable GPU, or an unknown name.
    """
    if dtype not in DTYPE_CHOICES:
        raise BackendUnavailableError(f"dtype must be one of {', '.join(DTYPE_CHOICES)}, not {dtype!r}")
    numpy_xp = array_api_compat.array_namespace(np.empty(0))
    if name == "auto":
        usable, _ = _cupy_usable()
        if usable:
            name = "cupy"
        elif kernels:
            from dcecon.backends import native

            name = "native" if native.available() else "numpy"
        else:
            name = "numpy"
    if name == "numpy":
        return Backend("numpy", numpy_xp, dtype)
    if name == "native":
        if not kernels:
            return Backend("numpy", numpy_xp, dtype)
        from dcecon.backends import native

        if native.load_or_warn() is None:
            return Backend("numpy", numpy_xp, dtype)
        return Backend("native", numpy_xp, dtype, kernel="native", threads=threads)
    if name in ("cupy", "cupy-array"):
        usable, why = _cupy_usable()
        if not usable:
            raise BackendUnavailableError(f"backend {name!r} is not usable: {why}")
        cupy = importlib.import_module("cupy")
        kernel = "cuda" if (name == "cupy" and kernels) else None
        return Backend(name, array_api_compat.array_namespace(cupy.empty(0)), dtype, kernel=kernel)
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
