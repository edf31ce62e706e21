"""Array backends: the one place that decides which array library runs the model.

The model in :mod:`dcecon.model` is written once against the array API
standard; this package picks the namespace (NumPy, CuPy or any array-API
namespace such as ``array_api_strict`` for tests) and is the only exit of
results to the host (:func:`to_numpy`).

A grid run's backend comes from :func:`resolve_grid_backend`: ``auto`` takes
the CUDA kernel with a usable GPU, else the native CPU kernel, else NumPy,
and when it ends on NumPy it says why in a :class:`BackendFallbackWarning`
(``dcecon grid`` prints it as one ``dcecon: warning:`` line).
"""

from __future__ import annotations

import warnings

from dcecon.backends.namespace import (
    BACKEND_CHOICES,
    Backend,
    BackendUnavailableError,
    namespace_of,
    resolve_backend,
    to_numpy,
)


class BackendFallbackWarning(UserWarning):
    """``--backend auto`` runs a grid on NumPy, the slowest backend: no usable GPU and no native kernel."""


def resolve_grid_backend(name: str = "auto", dtype: str = "float64", threads: int = 0) -> Backend:
    """The :class:`Backend` of a grid run (fused kernels allowed).

    Parameters
    ----------
    name : str
        One of :data:`BACKEND_CHOICES`.
    dtype : {'float64', 'float32'}
    threads : int
        Threads of the native kernel (0: all cores).

    Warns
    -----
    BackendFallbackWarning
        ``auto`` found neither a usable GPU (CuPy) nor a native kernel (no C++ compiler, or a failed build),
        and runs on NumPy; the message says why.
    """
    if name != "auto":
        return resolve_backend(name, dtype, kernels=True, threads=threads)
    resolve_backend("numpy", dtype)  # a bad dtype is refused before any probing
    from dcecon.backends import namespace, native

    usable, why_not_gpu = namespace._cupy_usable()
    if usable:
        return resolve_backend("cupy", dtype, kernels=True, threads=threads)
    try:
        native.load_library()
    except Exception as exc:  # no compiler, failed build, unloadable library
        warnings.warn(f"--backend auto: no GPU ({why_not_gpu}) and no native kernel ({exc}); running on numpy, the "
                      "slowest backend", BackendFallbackWarning, stacklevel=2)
        return resolve_backend("numpy", dtype)
    return resolve_backend("native", dtype, kernels=True, threads=threads)


__all__ = [
    "BACKEND_CHOICES",
    "Backend",
    "BackendFallbackWarning",
    "BackendUnavailableError",
    "namespace_of",
    "resolve_backend",
    "resolve_grid_backend",
    "to_numpy",
]
