"""``dcecon scenarios``: the bundled scenario files, and running one by name."""

from __future__ import annotations

import importlib.resources
import tomllib
from pathlib import Path

SCENARIO_KINDS = ("fleet", "macro", "circular", "useful-lives")


def bundled_dir() -> Path:
    """Folder of the bundled scenarios (the repository's ``scenarios/`` in an editable install)."""
    return Path(str(importlib.resources.files("dcecon.scenarios")))


def resolve_scenario_path(text: str) -> Path:
    """A path as given, or the bundled scenario of that name (``oracle-fy26q1`` or ``oracle-fy26q1.toml``)."""
    path = Path(text)
    if path.exists() or path.suffix == ".toml" and path.parent != Path("."):
        return path
    name = text if text.endswith(".toml") else f"{text}.toml"
    candidate = bundled_dir() / name
    return candidate if candidate.exists() else path


def scenario_kind(path: Path) -> str:
    """The ``kind`` of a scenario file, following ``extends`` (``fleet`` when absent)."""
    from dcecon.scenario.loader import load_raw

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
        except Exception as exc:  # list what is there, flag what does not read
            rows.append({"name": path.stem, "kind": "?", "description": f"(unreadable: {exc})", "file": str(path)})
            continue
        rows.append({"name": raw.get("name", path.stem), "kind": kind, "description": raw.get("description", ""),
                     "file": str(path)})
    return rows


def register(sub) -> None:
    """Add ``dcecon scenarios``."""
    p = sub.add_parser("scenarios", help="list the bundled scenarios (run one with: dcecon run NAME)")
    p.add_argument("--dir", help="list the scenarios of this folder instead")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=_cmd_scenarios)


def _cmd_scenarios(args) -> int:
    import json

    from rich.table import Table

    from dcecon.cli.report import make_console
    from dcecon.scenario.errors import ScenarioError

    folder = Path(args.dir) if args.dir else None
    if folder is not None and not folder.is_dir():
        raise ScenarioError("--dir", str(folder), "is not a folder")
    rows = list_scenarios(folder)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    table = Table(title=f"Scenarios in {folder or bundled_dir()}", header_style="bold")
    for column in ("name", "kind", "description"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["name"], row["kind"], row["description"])
    make_console().print(table)
    return 0
