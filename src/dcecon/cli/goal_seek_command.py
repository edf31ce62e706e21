"""``dcecon goal-seek``: for every grid point, the input that gives a target metric."""

from __future__ import annotations

from dcecon.backends import BACKEND_CHOICES


def register(sub) -> None:
    """Add ``dcecon goal-seek`` to the sub-parsers."""
    p = sub.add_parser("goal-seek", help="for every grid point, solve one input for a target metric")
    p.add_argument("scenario", help="scenario TOML file or bundled scenario name")
    p.add_argument("--target", required=True, metavar="METRIC=VALUE", help="the target, e.g. gross_margin=0.14")
    p.add_argument("--solve", required=True, metavar="PATH",
                   help="the input to solve for, e.g. cohorts.0.price_usd_per_gpu_hour")
    p.add_argument("--axis", action="append", default=[], metavar="PATH=SPEC",
                   help="an axis of the grid: start:stop:num or v1,v2,... (repeatable; none: the scenario itself)")
    p.add_argument("--within", default=None, metavar="LO:HI",
                   help="search the solved input here (default: across its field's bounds)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a field first")
    p.add_argument("--backend", default="auto", choices=BACKEND_CHOICES, help="array backend (as dcecon grid)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=_cmd_goal_seek)


def _cmd_goal_seek(args) -> int:
    from dcecon.analysis.goal_seek import solve_goal
    from dcecon.cli.backend_warnings import fallback_warnings_as_lines

    with fallback_warnings_as_lines():
        result = solve_goal(args.scenario, args.target, args.solve, args.axis, args.within, args.set, args.backend)
    if args.json:
        from dcecon.io import dumps_json

        print(dumps_json(result.to_dict()))
        return 0
    from dcecon.report.data_table import render_goal_seek

    render_goal_seek(result)
    return 0
