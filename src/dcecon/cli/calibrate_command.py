"""``dcecon calibrate``: solve free parameters of a fleet scenario so that its results hit targets.

Exit status: 0 when every target is reached within the tolerance (and the
``--write`` file, if any, is written); 1 when a target is missed (the
results and residuals are still printed, ``"success": false`` in ``--json``,
one line on standard error, nothing written); 2 for bad input, including a
target the figure cannot take and a ``--write`` file that exists without
``--force``.
"""

from __future__ import annotations

import datetime
import sys
import tomllib
from pathlib import Path

from dcecon.io import dumps_json, write_new_text
from dcecon.scenario.errors import ScenarioError

EXIT_TARGETS_MISSED = 1
"""Exit status of a calibration that did not reach every target."""


def register(sub, common) -> None:
    """Add ``dcecon calibrate`` to the sub-parsers (``common`` adds the options every scenario command has)."""
    cal = sub.add_parser("calibrate", help="solve free parameters so that results hit targets")
    common(cal)
    cal.add_argument("--target", action="append", default=[], metavar="METRIC=VALUE",
                     help="e.g. --target gross_margin=0.14 --target revenue_usd=900e6")
    cal.add_argument("--free", action="append", default=[], metavar="PATH",
                     help="a field to solve for; '*' moves every cohort by one factor (cohorts.*.utilization)")
    cal.add_argument("--write", metavar="OUT.toml",
                     help="write the calibrated scenario here (only when every target is reached)")
    cal.add_argument("--force", action="store_true",
                     help="let --write replace an existing file (the scenario itself or a file it extends too)")
    cal.set_defaults(func=_cmd_calibrate, backend="numpy")


def extended_files(path: Path) -> list[Path]:
    """The files a scenario extends, nearest first (``extends`` followed from file to file).

    Parameters
    ----------
    path : Path
        A scenario file that :func:`dcecon.scenario.loader.load_raw` has read
        (so the chain exists and has no cycle).

    Returns
    -------
    list of Path
        Resolved paths of its base, the base's base, ...
    """
    chain: list[Path] = []
    current = path.resolve()
    while True:
        extends = tomllib.loads(current.read_text(encoding="utf-8")).get("extends")
        if not isinstance(extends, str):
            return chain
        current = (current.parent / extends).resolve()
        if current in chain:
            return chain
        chain.append(current)


def check_write_target(write: str | None, force: bool, scenario: Path) -> None:
    """Refuse a ``--write`` file that cannot or should not be written, before any solving.

    Raises
    ------
    ScenarioError
        ``--write: FILE: ...``: a folder, a missing folder, or an existing
        file without ``--force`` (the message says when it is the scenario
        being calibrated or a file it extends); ``--force`` without ``--write``.
    """
    if write is None:
        if force:
            raise ScenarioError("--force", None, "lets --write replace an existing file; give --write OUT.toml too")
        return
    target = Path(write)
    if target.is_dir():
        raise ScenarioError("--write", write, "is a folder; give a file name such as calibrated.toml")
    if not target.resolve().parent.is_dir():
        raise ScenarioError("--write", write, "its folder does not exist")
    if force or not target.exists():
        return
    resolved = target.resolve()
    if resolved == scenario.resolve():
        role = "is the scenario being calibrated"
    elif resolved in extended_files(scenario):
        role = f"is extended by the scenario being calibrated ({scenario})"
    else:
        role = "exists"
    raise ScenarioError("--write", write, f"{role}; give --force to overwrite it")


def _cmd_calibrate(args) -> int:
    import tomli_w

    from dcecon.calibration.solver import calibrate, calibrated_document, parse_target
    from dcecon.scenario.bundled import resolve_scenario_path
    from dcecon.report.calibration import render_calibration
    from dcecon.report.console import make_console
    from dcecon.scenario.loader import apply_overrides, load_raw

    targets = dict(parse_target(t) for t in args.target)
    scenario = resolve_scenario_path(args.scenario)
    args.scenario = str(scenario)
    raw, provenance = load_raw(args.scenario)
    check_write_target(args.write, args.force, scenario)
    apply_overrides(raw, args.set, provenance, args.scenario)
    calibration = calibrate(raw, provenance, args.scenario, targets, args.free, backend=args.backend,
                            dtype=args.dtype)

    console = make_console()
    if args.json:
        print(dumps_json({
            "targets": calibration.targets,
            "achieved": calibration.achieved,
            "residuals": calibration.residuals,
            "residual_scales": calibration.scales,
            "tolerance": calibration.tolerance,
            "solved": calibration.solved_values(),
            "success": calibration.success,
            "message": calibration.message,
            "result": calibration.result.to_dict(),
        }))
    else:
        render_calibration(calibration, console)
    if not calibration.success:
        unwritten = f"; {args.write} not written" if args.write else ""
        print(f"dcecon: calibrate: {calibration.message}{unwritten}", file=sys.stderr)
        return EXIT_TARGETS_MISSED
    if args.write:
        check_write_target(args.write, args.force, scenario)  # a file that appeared while solving
        today = datetime.date.today().isoformat()
        document = calibrated_document(calibration, args.scenario, today)
        header = (f"# Calibrated by `dcecon calibrate {args.scenario}` on {today};\n"
                  f"# calibrated fields cite the source 'dcecon-calibration'.\n")
        write_new_text(Path(args.write), header + tomli_w.dumps(document), "--write")
        if not args.json:
            console.print(f"wrote {args.write}")
    return 0
