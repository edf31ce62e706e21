"""The fused kernel sources (``kernels/``, shipped as the package ``dcecon.kernels``).

The loader reads them as text, prepends ``#line 1 "file"`` so compiler errors
point at the real file and line, and hashes them for the build caches.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from pathlib import Path

MODEL = "dcecon_model.cuh"
GRID = "dcecon_grid.cuh"
SPECIALISATION = "dcecon_specialisation.cuh"
NATIVE = "dcecon_native.cpp"
CUDA = "dcecon_cuda.cu"
HEADERS = (MODEL, GRID, SPECIALISATION)


def kernel_dir() -> Path:
    """Folder holding the kernel sources (the repository's ``kernels/`` in an editable install)."""
    return Path(str(importlib.resources.files("dcecon.kernels")))


def read(name: str) -> str:
    """Source text of one kernel file."""
    return (kernel_dir() / name).read_text(encoding="utf-8")


def with_line_directive(name: str) -> str:
    """Source text with ``#line 1 "name"`` in front, for accurate compiler messages."""
    return f'#line 1 "{kernel_dir() / name}"\n' + read(name)


def digest(*names: str) -> str:
    """SHA-256 of the named sources and the headers they include."""
    h = hashlib.sha256()
    for name in sorted(set(names) | set(HEADERS)):
        h.update(name.encode())
        h.update(read(name).encode())
    return h.hexdigest()
