"""The bundled scenario files, and a scenario named by file or by bundled name.

``dcecon run h100-neocloud-2024``, ``dcecon.load_scenario("h100-neocloud-2024")``,
``load_macro_scenario("sequoia-2024")`` and ``load_useful_lives(...)`` all
take either a path or the name of a bundled scenario (with or without
``.toml``); a path that exists always wins over a bundled name.
"""

from __future__ import annotations

import difflib
import importlib.resources
import os
import tomllib
from pathlib import Path

from dcecon.scenario.errors import ScenarioError


def bundled_dir() -> Path:
    """Folder of the bundled scenarios (package data ``dcecon.scenarios``: the repository's ``scenarios/``)."""
    try:
        return Path(str(importlib.resources.files("dcecon.scenarios")))
    except ModuleNotFoundError:  # a source tree on the path without an install: the checkout's folder
        return Path(__file__).resolve().parents[3] / "scenarios"


def bundled_names() -> list[str]:
    """Names of the bundled scenarios (file stems), sorted."""
    return sorted(path.stem for path in bundled_dir().glob("*.toml"))


def scenario_argument(value, where: str = "scenario") -> Path:
    """``value`` as a path, or a :class:`ScenarioError` naming ``where`` when it is not a path or a name.

    Parameters
    ----------
    value : str or os.PathLike
        A file path or a bundled scenario name.
    where : str
        The function or option that took it, named in the error (``load_scenario``).

    Raises
    ------
    ScenarioError
        ``value`` is not text or a path (``42``, ``None``, bytes, an already loaded scenario), or is empty.
    """
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise ScenarioError(where, "path", f"must be a scenario file path or a bundled scenario name, not "
                                           f"{type(value).__name__} (got {shown})")
    if not value.strip():
        raise ScenarioError(where, "path", "is empty; give a scenario file path or a bundled scenario name "
                                           "(dcecon scenarios lists them)")
    return Path(value)


def resolve_scenario_path(text) -> Path:
    """A path as given, or the bundled scenario of that name (``oracle-fy26q1`` or ``oracle-fy26q1.toml``).

    A path that exists, or that names a folder (``runs/x.toml``), is taken as
    it is; otherwise a bundled file of that name is taken if there is one.
    When neither exists the path is returned as given (reading it then says
    "no such file").
    """
    path = scenario_argument(text)
    if path.exists() or path.parent != Path("."):
        return path
    name = path.name if path.suffix == ".toml" else f"{path.name}.toml"
    candidate = bundled_dir() / name
    return candidate if candidate.exists() else path


def missing_file_message(path: Path) -> str:
    """What to say when ``path`` does not exist: "no such file", and the closest bundled name if any."""
    if Path(path).parent != Path("."):
        return "no such file"
    stem = Path(path).stem if Path(path).suffix == ".toml" else Path(path).name
    close = difflib.get_close_matches(stem, bundled_names(), n=1)
    hint = f"; did you mean the bundled scenario {close[0]!r}?" if close else \
        " (nor a bundled scenario of that name; dcecon scenarios lists them)"
    return "no such file" + hint


def scenario_kind(path) -> str:
    """The ``kind`` of a scenario file or bundled name, following ``extends`` (``fleet`` when absent)."""
    from dcecon.scenario.loader import load_raw  # the loader resolves names through this module

    raw, _ = load_raw(path)
    kind = raw.get("kind", "fleet")
    return kind if isinstance(kind, str) else "fleet"


def list_scenarios(folder: Path | None = None) -> list[dict]:
    """Name, kind, description and file of every scenario in a folder (bundled by default)."""
    folder = folder or bundled_dir()
    rows = []
    for path in sorted(folder.glob("*.toml")):
        try:
            with path.open("rb") as handle:
                raw = tomllib.load(handle)
            kind = raw.get("kind") or (scenario_kind(path) if "extends" in raw else "fleet")
        except (ScenarioError, OSError, ValueError, RecursionError) as exc:  # list what is there, flag the rest
            rows.append({"name": path.stem, "kind": "?", "description": f"(unreadable: {exc})", "file": str(path)})
            continue
        rows.append({"name": raw.get("name", path.stem), "kind": kind, "description": raw.get("description", ""),
                     "file": str(path)})
    return rows
