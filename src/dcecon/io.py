"""Input and output shared by every layer: JSON with non-finite floats, and files never half-written.

:func:`json_safe` and :func:`dumps_json` write infinities and NaN as the
strings ``"inf"``, ``"-inf"`` and ``"nan"`` (every ``--json`` output and
``summary.json`` use them). Every output of dcecon (calibrated scenarios, grid summaries, Parquet
tables, resumable chunk reductions) goes through :func:`atomic_write`: the
content is written to a temporary file in the target's folder and renamed
over the target, so an interrupted run leaves either the old file or the new
one, never a fragment.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float (nested in dicts, lists and tuples) replaced by ``"inf"``, ``"-inf"``
    or ``"nan"``, so that strict JSON readers accept it."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def dumps_json(value: Any, indent: int | None = 2) -> str:
    """Strict JSON text of ``value`` (see :func:`json_safe`)."""
    return json.dumps(json_safe(value), indent=indent)


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


def write_new_text(path, text: str, what: str = "--out") -> None:
    """Write ``text`` to ``path`` atomically; a missing folder is a :class:`~dcecon.ScenarioError` naming ``what``."""
    from dcecon.errors import ScenarioError

    path = Path(path)
    if not path.resolve().parent.is_dir():
        raise ScenarioError(what, str(path), "its folder does not exist")
    atomic_write_text(path, text)
