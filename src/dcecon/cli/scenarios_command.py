"""``dcecon scenarios``: the bundled scenario files, and running one by name."""

from __future__ import annotations

from pathlib import Path

from dcecon.scenario.bundled import bundled_dir, list_scenarios


def register(sub) -> None:
    """Add ``dcecon scenarios``."""
    p = sub.add_parser("scenarios", help="list the bundled scenarios (run one with: dcecon run NAME)")
    p.add_argument("--dir", help="list the scenarios of this folder instead")
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=_cmd_scenarios)


def _cmd_scenarios(args) -> int:
    import json

    from rich.table import Table

    from dcecon.report.console import make_console
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
