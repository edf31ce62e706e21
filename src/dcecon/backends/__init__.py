"""Array backends: the one place that decides which array library runs the model.

The model in :mod:`dcecon.model` is written once against the array API
standard; this package picks the namespace (NumPy, CuPy or any array-API
namespace such as ``array_api_strict`` for tests) and is the only exit of
results to the host (:func:`to_numpy`).
"""

from dcecon.backends.namespace import (
    BACKEND_CHOICES,
    Backend,
    BackendUnavailableError,
    namespace_of,
    resolve_backend,
    to_numpy,
)

__all__ = [
    "BACKEND_CHOICES",
    "Backend",
    "BackendUnavailableError",
    "namespace_of",
    "resolve_backend",
    "to_numpy",
]
