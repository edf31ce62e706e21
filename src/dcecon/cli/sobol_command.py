"""``dcecon sobol`` (Sobol' indices) and ``dcecon morris`` (Morris screening) of one metric over input ranges."""

from __future__ import annotations

from dcecon.cli.arguments import add_evaluation_options, whole
from dcecon.cli.cluster_options import add_cluster_options, cluster_client
from dcecon.cli.output_options import add_output_options


def _common(p) -> None:
    p.add_argument("scenario", help="fleet scenario TOML file or bundled name")
    p.add_argument("--vary", action="append", default=[], metavar="PATH=LOW:HIGH",
                   help="an input and its range (repeatable), uniform on it: values (cohorts.0.utilization=0.6:1.0) "
                        "or changes relative to the scenario's value (site.pue=-10%%:+10%%); '*' moves every cohort "
                        "together")
    p.add_argument("--metric", default="gross_margin",
                   help="the metric to analyse (a name of dcecon grid --metrics; default gross_margin)")
    p.add_argument("--seed", type=whole, default=0, help="seed of the design and of the bootstrap (default 0)")
    add_evaluation_options(p)


def register(sub) -> None:
    """Add ``dcecon sobol`` and ``dcecon morris`` to the sub-parsers."""
    from dcecon.analysis.morris import DEFAULT_LEVELS, DEFAULT_TRAJECTORIES
    from dcecon.analysis.sobol import DEFAULT_N

    p = sub.add_parser("sobol", help="first-order and total Sobol' indices of a metric over input ranges "
                                     "(SALib's design and analysis, evaluations on the grid engine)")
    _common(p)
    p.add_argument("--n", type=whole, default=DEFAULT_N,
                   help=f"base sample size, a power of two: n (D + 2) evaluations for D inputs, n (2D + 2) with "
                        f"--second-order (default {DEFAULT_N})")
    p.add_argument("--second-order", action="store_true", help="also estimate pairwise interaction indices S2")
    add_cluster_options(p)
    add_output_options(p)
    p.set_defaults(func=_cmd_sobol)

    m = sub.add_parser("morris", help="Morris screening (mu*, sigma) of a metric over input ranges: cheap, for "
                                      "many inputs")
    _common(m)
    add_cluster_options(m)
    add_output_options(m)
    m.add_argument("--trajectories", type=whole, default=DEFAULT_TRAJECTORIES, metavar="R",
                   help=f"trajectories: R (D + 1) evaluations (default {DEFAULT_TRAJECTORIES})")
    m.add_argument("--levels", type=whole, default=DEFAULT_LEVELS,
                   help=f"levels of the grid each input moves on, even (default {DEFAULT_LEVELS})")
    m.set_defaults(func=_cmd_morris)


def _print_json(result) -> int:
    from dcecon.io import dumps_json

    print(dumps_json(result.to_dict()))
    return 0


def _cmd_sobol(args) -> int:
    from dcecon.analysis.sobol import sobol
    from dcecon.cli.backend_warnings import fallback_warnings_as_lines
    from dcecon.cli.output_options import check_outputs, command_line, write_outputs
    from dcecon.grid_engine.cluster import parse_cluster
    from dcecon.report.outputs import Output

    check_outputs(args)  # before any work
    parse_cluster(args.cluster, args.scheduler_file)
    with fallback_warnings_as_lines(), cluster_client(args, not args.json) as client:
        result = sobol(args.scenario, args.vary, metric=args.metric, n=args.n, seed=args.seed,
                       second_order=args.second_order, overrides=args.set, backend=args.backend, dtype=args.dtype,
                       threads=args.threads, client=client)
    write_outputs(args, Output("sobol", result, scenario=args.scenario, overrides=tuple(args.set),
                               backend=args.backend, command_line=command_line(args)))
    if args.json:
        return _print_json(result)
    from dcecon.report.sobol import render_sobol

    render_sobol(result)
    return 0


def _cmd_morris(args) -> int:
    from dcecon.analysis.morris import morris
    from dcecon.cli.backend_warnings import fallback_warnings_as_lines
    from dcecon.cli.output_options import check_outputs, command_line, write_outputs
    from dcecon.grid_engine.cluster import parse_cluster
    from dcecon.report.outputs import Output

    check_outputs(args)  # before any work
    parse_cluster(args.cluster, args.scheduler_file)
    with fallback_warnings_as_lines(), cluster_client(args, not args.json) as client:
        result = morris(args.scenario, args.vary, metric=args.metric, trajectories=args.trajectories,
                        levels=args.levels, seed=args.seed, overrides=args.set, backend=args.backend,
                        dtype=args.dtype, threads=args.threads, client=client)
    write_outputs(args, Output("morris", result, scenario=args.scenario, overrides=tuple(args.set),
                               backend=args.backend, command_line=command_line(args)))
    if args.json:
        return _print_json(result)
    from dcecon.report.sobol import render_morris

    render_morris(result)
    return 0
