"""``dcecon`` command line: run, calibrate (grid, macro and scenarios join later).

Bad input prints one line ``dcecon: error: FILE: FIELD: what is wrong`` to
standard error and exits with status 2; nothing is written.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from pathlib import Path

from dcecon.backends import BACKEND_CHOICES, BackendUnavailableError
from dcecon.files import atomic_write_text
from dcecon.scenario.errors import ScenarioError

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad command-line usage (reported like bad scenario input)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump
        raise UsageError(f"{self.prog}: {message}")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so nothing is half-written."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise ScenarioError(path, None, "its folder does not exist")
    atomic_write_text(path, text)


def _cmd_run(args) -> int:
    from dcecon.cli.scenarios_command import resolve_scenario_path, scenario_kind
    from dcecon.evaluate import evaluate
    from dcecon.scenario.loader import load_scenario

    path = resolve_scenario_path(args.scenario)
    kind = scenario_kind(path)
    if kind in ("macro", "circular"):
        from dcecon.macro.report import run_file

        return run_file(path, args.set, args.json)
    if kind == "useful-lives":
        from dcecon.valuation.report import run_file

        return run_file(path, args.set, args.json)
    if kind != "fleet":
        raise ScenarioError(path, "kind", f"unknown scenario kind {kind!r}; one of fleet, macro, circular, "
                                          "useful-lives")
    scenario = load_scenario(path, args.set)
    result = evaluate(scenario, backend=args.backend, dtype=args.dtype)
    if args.json:
        print(result.to_json())
    else:
        from dcecon.cli.report import render

        render(result)
    return 0


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
        import json

        out = {
            "targets": calibration.targets,
            "achieved": calibration.achieved,
            "residuals": calibration.residuals,
            "solved": calibration.solved_values(),
            "success": calibration.success,
            "result": calibration.result.to_dict(),
        }
        from dcecon.evaluate import _json_safe

        print(json.dumps(_json_safe(out), indent=2))
    if args.write:
        document = calibrated_document(calibration, args.scenario, datetime.date.today().isoformat())
        header = (f"# Calibrated by `dcecon calibrate {args.scenario}` on {datetime.date.today().isoformat()};\n"
                  f"# calibrated fields cite the source 'dcecon-calibration'.\n")
        write_atomically(Path(args.write), header + tomli_w.dumps(document))
        if not args.json:
            console.print(f"wrote {args.write}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``dcecon`` command."""
    parser = _Parser(prog="dcecon", description="Economics of AI data centers: GPU depreciation, power, "
                                                "utilization and gross margin.")
    from dcecon import __version__

    parser.add_argument("--version", action="version", version=f"dcecon {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def common(p):
        p.add_argument("scenario", help="scenario TOML file")
        p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE",
                       help="override a field, e.g. --set cohorts.0.utilization=0.6 (repeatable)")
        p.add_argument("--backend", default="auto", choices=BACKEND_CHOICES,
                       help="array backend (auto: CuPy with a usable GPU, else NumPy)")
        p.add_argument("--dtype", default="float64", choices=("float64", "float32"), help="floating dtype")
        p.add_argument("--json", action="store_true", help="print one JSON object instead of the report")

    run = sub.add_parser("run", help="evaluate a scenario and print its P&L and investment view")
    common(run)
    run.set_defaults(func=_cmd_run)

    cal = sub.add_parser("calibrate", help="solve free parameters so that results hit targets")
    common(cal)
    cal.add_argument("--target", action="append", default=[], metavar="METRIC=VALUE",
                     help="e.g. --target gross_margin=0.14 --target revenue_usd=900e6")
    cal.add_argument("--free", action="append", default=[], metavar="PATH",
                     help="a field to solve for; '*' moves every cohort by one factor (cohorts.*.utilization)")
    cal.add_argument("--write", metavar="OUT.toml", help="write the calibrated scenario here")
    cal.set_defaults(func=_cmd_calibrate, backend="numpy")

    from dcecon.cli import extra_commands

    extra_commands.register(sub)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``dcecon`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        return args.func(args)
    except UsageError as exc:
        print(f"dcecon: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ScenarioError, BackendUnavailableError) as exc:
        print(f"dcecon: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader of our output went away (dcecon run NAME --json | head): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout at exit
        return 0
    except OSError as exc:  # an output folder or file that cannot be written, a file that cannot be read
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(f"dcecon: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("dcecon: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
