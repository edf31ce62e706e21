"""``dcecon tornado``: swing each input one at a time and print the inputs sorted by swing (and a spider)."""

from __future__ import annotations

from dcecon.cli.arguments import add_evaluation_options, whole
from dcecon.cli.output_options import add_output_options


def register(sub) -> None:
    """Add ``dcecon tornado`` to the sub-parsers."""
    p = sub.add_parser("tornado", help="swing each input one at a time between a low and a high value and sort "
                                       "the inputs by how much they move a metric (tornado and spider)")
    p.add_argument("scenario", help="fleet scenario TOML file or bundled name")
    p.add_argument("--vary", action="append", default=[], metavar="PATH=LOW:HIGH",
                   help="an input and its range (repeatable): values (cohorts.0.utilization=0.6:1.0) or changes "
                        "relative to the scenario's value (cohorts.0.price_usd_per_gpu_hour=-20%%:+20%%); '*' "
                        "moves every cohort together")
    p.add_argument("--metric", default="gross_margin",
                   help="the metric to swing (a name of dcecon grid --metrics; default gross_margin)")
    p.add_argument("--spider", type=whole, default=None, metavar="N",
                   help="also N evenly spaced points per input from low to high (spider: metric against the "
                        "change of the input)")
    add_evaluation_options(p)
    add_output_options(p)
    p.set_defaults(func=_cmd_tornado)


def _cmd_tornado(args) -> int:
    from dcecon.analysis.tornado import tornado
    from dcecon.cli.backend_warnings import fallback_warnings_as_lines
    from dcecon.cli.output_options import check_outputs, command_line, write_outputs
    from dcecon.report.outputs import Output

    check_outputs(args)  # before any work
    with fallback_warnings_as_lines():
        result = tornado(args.scenario, args.vary, metric=args.metric, spider=args.spider, overrides=args.set,
                         backend=args.backend, dtype=args.dtype, threads=args.threads)
    write_outputs(args, Output("tornado", result, scenario=args.scenario, overrides=tuple(args.set),
                               backend=args.backend, command_line=command_line(args)))
    if args.json:
        from dcecon.io import dumps_json

        print(dumps_json(result.to_dict()))
        return 0
    from dcecon.report.console import make_console
    from dcecon.report.tornado import render_tornado

    render_tornado(result, make_console())
    return 0

