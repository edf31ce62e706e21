"""Writing files so that nothing is ever half-written.

Every output of dcecon (calibrated scenarios, grid summaries, Parquet
tables, resumable chunk reductions) goes through :func:`atomic_write`: the
content is written to a temporary file in the target's folder and renamed
over the target, so an interrupted run leaves either the old file or the new
one, never a fragment.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def file_mode() -> int:
    """Permissions of a new file under the process umask (temporary files are created 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path, write, suffix: str = ".tmp") -> None:
    """Create ``path`` atomically: ``write(temporary_path)`` then a rename.

    Parameters
    ----------
    path : str or Path
        The file to create or replace.
    write : callable
        Called with the temporary file's path (a str); it writes the content.
    suffix : str
        Suffix of the temporary name (``.npz`` for ``numpy.savez``, which appends one otherwise).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path, data: bytes) -> None:
    """Write bytes to ``path`` atomically."""
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_text(path, text: str) -> None:
    """Write UTF-8 text to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))
