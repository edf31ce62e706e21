"""The ``dcecon`` command line: run, calibrate, grid, macro, scenarios.

Bad input prints one line ``dcecon: error: FILE: FIELD: what is wrong`` to
standard error and exits with status 2; nothing is written.
"""

from __future__ import annotations

import argparse
import os
import sys

from dcecon.backends import BACKEND_CHOICES, BackendUnavailableError
from dcecon.scenario.errors import ScenarioError

EXIT_BAD_INPUT = 2


class UsageError(Exception):
    """Bad command-line usage (reported like bad scenario input)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, no usage dump; "dcecon: error: grid: ..." (no doubled "dcecon:")
        command = self.prog.removeprefix("dcecon").strip()
        raise UsageError(f"{command}: {message}" if command else message)


def _cmd_run(args) -> int:
    from dcecon.kinds import run_file
    from dcecon.scenario.bundled import resolve_scenario_path

    from dcecon.cli.output_options import wants_output

    path = resolve_scenario_path(args.scenario)
    if not wants_output(args):
        return run_file(path, args.set, args.json, args.backend, args.dtype)
    return _run_with_outputs(path, args)


def _run_with_outputs(path, args) -> int:
    """``dcecon run --plot DIR --xlsx FILE --html FILE``: as :func:`dcecon.kinds.run_file`, and the outputs
    written (their paths and the scenario's kind checked before any work; the files written before the report
    prints)."""
    from dcecon.cli.output_options import check_outputs, command_line, write_outputs
    from dcecon.kinds import kind_named
    from dcecon.report.outputs import Output, check_kind
    from dcecon.scenario.bundled import scenario_kind

    check_outputs(args)
    kind = kind_named(scenario_kind(path), path)
    check_kind(kind.name, args.plot is not None, args.xlsx is not None, args.html is not None, args.scenario)
    scenario = kind.load(path, args.set)
    figures = kind.evaluate(scenario, args.backend, args.dtype)
    write_outputs(args, Output("run", figures, scenario=scenario, kind=kind.name, overrides=tuple(args.set),
                               backend=args.backend, command_line=command_line(args)))
    if args.json:
        print(kind.to_json(scenario, figures))
    else:
        kind.render(scenario, figures)
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
    from dcecon.cli.output_options import add_output_options

    add_output_options(run)
    run.set_defaults(func=_cmd_run)

    from dcecon.cli import (calibrate_command, fidelity_command, goal_seek_command, grid_command, macro_command,
                            monte_carlo_command, scenarios_command, sobol_command, table_command, tornado_command)

    calibrate_command.register(sub, common)
    grid_command.register(sub)
    scenarios_command.register(sub)
    macro_command.register(sub)
    fidelity_command.register(sub)
    tornado_command.register(sub)
    sobol_command.register(sub)
    table_command.register(sub)
    goal_seek_command.register(sub)
    monte_carlo_command.register(sub)
    return parser


def main(argv=None) -> int:
    """Entry point of the ``dcecon`` console script."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        args.argv = list(argv)  # the command as typed, for manifests, workbooks and reports
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
