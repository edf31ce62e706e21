"""``--plot DIR``: check the folder before any work, then write each figure as PNG and SVG, atomically.

The folder is checked first (:func:`check_plot_dir`), so bad input costs no
computation and writes nothing: a path that exists and is not a folder, or a
folder that cannot be created or written, is one :class:`~dcecon.ScenarioError`
naming ``--plot``. A missing folder (and missing parents) is created, as
``--out`` does. Files are named ``STEM.png`` and ``STEM.svg``; a file of the same
name from an earlier run is replaced, each through :func:`dcecon.io.atomic_write`,
so a reader sees the old figure or the new one, never a fragment.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from dcecon.scenario.errors import ScenarioError

OPTION = "--plot"
"""The option named in errors."""

FORMATS = ("png", "svg")
"""The files written for each figure, by extension."""


def check_plot_dir(path, option: str = OPTION) -> Path:
    """The folder ``--plot DIR`` will write into, checked before any work.

    Parameters
    ----------
    path : str or Path
        The folder; it and its missing parents are created when the figures are written.
    option : str
        The option named in errors.

    Returns
    -------
    Path

    Raises
    ------
    ScenarioError
        ``path`` exists and is not a folder, or is a folder that cannot be written, or cannot be created
        (its nearest existing parent is not a writable folder).
    """
    folder = Path(path)
    if str(path).strip() == "":
        raise ScenarioError(option, None, "give a folder to write the figures into")
    if folder.exists() and not folder.is_dir():
        raise ScenarioError(option, str(folder), "exists and is not a folder")
    if folder.is_dir():
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ScenarioError(option, str(folder), "is a folder that cannot be written")
        return folder
    parent = next((p for p in folder.resolve().parents if p.exists()), None)
    if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise ScenarioError(option, str(folder), "its folder cannot be created here (no writable parent)")
    return folder


def figure_bytes(figure, fmt: str) -> bytes:
    """The figure rendered as ``fmt`` (``png`` or ``svg``), without a creation date or software version, so
    the same figure gives the same bytes."""
    import matplotlib

    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context({"svg.hashsalt": "dcecon"}):  # SVG ids from a fixed salt, not a random one
        figure.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def write_figures(figures: dict, path, option: str = OPTION) -> list[Path]:
    """Write every figure as ``DIR/STEM.png`` and ``DIR/STEM.svg``.

    Every figure is rendered in memory first, so a figure that fails to render writes nothing; then each file
    is written atomically.

    Parameters
    ----------
    figures : dict of str to Figure
        File stem -> figure.
    path : str or Path
        The folder (checked again, then created with its parents).
    option : str
        The option named in errors.

    Returns
    -------
    list of Path
        The files written, in order.
    """
    from dcecon.io import atomic_write_bytes

    folder = check_plot_dir(path, option)
    rendered = [(folder / f"{stem}.{fmt}", figure_bytes(figure, fmt)) for stem, figure in figures.items()
                for fmt in FORMATS]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ScenarioError(option, str(folder), f"cannot be created ({exc.strerror or exc})") from None
    written = []
    for target, data in rendered:
        try:
            atomic_write_bytes(target, data)
        except OSError as exc:
            raise ScenarioError(option, str(target), f"cannot be written ({exc.strerror or exc})") from None
        written.append(target)
    return written


def written_line(files, folder) -> str:
    """The line a command prints to standard error after ``--plot``: ``wrote N files (PNG and SVG) to DIR: ...``."""
    names = ", ".join(sorted({Path(f).stem for f in files}))
    return f"dcecon: wrote {len(files)} files (PNG and SVG) to {folder}: {names}"
