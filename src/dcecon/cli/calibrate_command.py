"""``dcecon calibrate``: solve free parameters of a fleet scenario so that its results hit targets."""

from __future__ import annotations

import datetime
from pathlib import Path

from dcecon.io import dumps_json, write_new_text
from dcecon.scenario.errors import ScenarioError


def register(sub, common) -> None:
    """Add ``dcecon calibrate`` to the sub-parsers (``common`` adds the options every scenario command has)."""
    cal = sub.add_parser("calibrate", help="solve free parameters so that results hit targets")
    common(cal)
    cal.add_argument("--target", action="append", default=[], metavar="METRIC=VALUE",
                     help="e.g. --target gross_margin=0.14 --target revenue_usd=900e6")
    cal.add_argument("--free", action="append", default=[], metavar="PATH",
                     help="a field to solve for; '*' moves every cohort by one factor (cohorts.*.utilization)")
    cal.add_argument("--write", metavar="OUT.toml", help="write the calibrated scenario here")
    cal.set_defaults(func=_cmd_calibrate, backend="numpy")


def _cmd_calibrate(args) -> int:
    import tomli_w
    from rich.table import Table

    from dcecon.calibration.solver import calibrate, calibrated_document, parse_target
    from dcecon.cli.scenarios_command import resolve_scenario_path
    from dcecon.cli import format as fmt
    from dcecon.cli.report import make_console, render
    from dcecon.scenario.loader import apply_overrides, load_raw

    targets = dict(parse_target(t) for t in args.target)
    args.scenario = str(resolve_scenario_path(args.scenario))
    if args.write:
        target = Path(args.write)
        if target.resolve() == Path(args.scenario).resolve():
            raise ScenarioError("--write", None, f"refusing to overwrite the input scenario {args.scenario}")
        if target.is_dir():
            raise ScenarioError("--write", args.write, "is a folder; give a file name such as calibrated.toml")
        if not target.resolve().parent.is_dir():
            raise ScenarioError("--write", args.write, "its folder does not exist")
    raw, provenance = load_raw(args.scenario)
    apply_overrides(raw, args.set, provenance, args.scenario)
    calibration = calibrate(raw, provenance, args.scenario, targets, args.free, backend=args.backend,
                            dtype=args.dtype)

    console = make_console()
    if not args.json:
        render(calibration.result, console)
        solved = Table(title="Calibration: solved parameters", header_style="bold")
        for column in ("free parameter", "field", "before", "after"):
            solved.add_column(column, justify="left" if column in ("free parameter", "field") else "right")
        for parameter, x in zip(calibration.free, calibration.solution):
            for path, before, after in zip(parameter.concrete_paths, parameter.base_values, parameter.values(x)):
                label = f"{parameter.path} (x{x:.4f})" if parameter.is_factor else parameter.path
                solved.add_row(label, path, f"{before:,.6g}", f"{after:,.6g}")
        console.print(solved)
        fit = Table(title="Calibration: targets", header_style="bold")
        for column in ("target", "wanted", "achieved", "residual"):
            fit.add_column(column, justify="left" if column == "target" else "right")
        for name, wanted in calibration.targets.items():
            achieved = calibration.achieved[name]
            f = fmt.percent if not name.endswith(("_usd", "_kwh")) else fmt.money
            fit.add_row(name, f(wanted), f(achieved), f"{calibration.residuals[name]:.3g}")
        console.print(fit)
        worst = max(abs(r) / (max(abs(calibration.targets[n]), 1.0) if n.endswith(("_usd", "_kwh")) else 1.0)
                    for n, r in calibration.residuals.items())
        if not worst <= 1e-4:  # NaN (a target the model cannot reach, e.g. an IRR that does not exist) included
            console.print(f"[yellow]warning: the targets were not all reached (largest residual {worst:.3g}); "
                          f"the fit is a least-squares compromise within the fields' bounds[/yellow]")
    else:
        out = {
            "targets": calibration.targets,
            "achieved": calibration.achieved,
            "residuals": calibration.residuals,
            "solved": calibration.solved_values(),
            "success": calibration.success,
            "result": calibration.result.to_dict(),
        }
        print(dumps_json(out))
    if args.write:
        document = calibrated_document(calibration, args.scenario, datetime.date.today().isoformat())
        header = (f"# Calibrated by `dcecon calibrate {args.scenario}` on {datetime.date.today().isoformat()};\n"
                  f"# calibrated fields cite the source 'dcecon-calibration'.\n")
        write_new_text(Path(args.write), header + tomli_w.dumps(document), "--write")
        if not args.json:
            console.print(f"wrote {args.write}")
    return 0
