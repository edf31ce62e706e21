"""``dcecon table``: a one- or two-way data table of a metric, with its exact break-even line."""

from __future__ import annotations

from dcecon.backends import BACKEND_CHOICES
from dcecon.cli.output_options import add_output_options


def register(sub) -> None:
    """Add ``dcecon table`` to the sub-parsers."""
    p = sub.add_parser("table", help="a one- or two-way data table of a metric, with its exact break-even line")
    p.add_argument("scenario", help="scenario TOML file or bundled scenario name")
    p.add_argument("--rows", required=True, metavar="PATH=SPEC",
                   help="the rows: a path and start:stop:num or v1,v2,... (as --axis of dcecon grid)")
    p.add_argument("--cols", default=None, metavar="PATH=SPEC", help="the columns (a two-way table)")
    p.add_argument("--metric", default="npv_usd", help="the metric in the cells (default npv_usd)")
    p.add_argument("--breakeven", action="store_true",
                   help="add, for each row, the exact column value where the metric is zero (one-way: the row "
                        "value), searched within the field's bounds")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a field first")
    p.add_argument("--backend", default="auto", choices=BACKEND_CHOICES, help="array backend (as dcecon grid)")
    p.add_argument("--json", action="store_true", help="print the table as one JSON object")
    add_output_options(p)
    p.set_defaults(func=_cmd_table)


def _cmd_table(args) -> int:
    from dcecon.analysis.data_table import data_table
    from dcecon.cli.backend_warnings import fallback_warnings_as_lines
    from dcecon.cli.output_options import check_outputs, command_line, write_outputs
    from dcecon.report.outputs import Output

    check_outputs(args)  # before any work
    with fallback_warnings_as_lines():
        table = data_table(args.scenario, args.rows, args.cols, args.metric, args.breakeven, args.set, args.backend)
        write_outputs(args, Output("table", table, scenario=args.scenario, overrides=tuple(args.set),
                                   backend=args.backend, command_line=command_line(args)))
    if args.json:
        from dcecon.io import dumps_json

        print(dumps_json(table.to_dict()))
        return 0
    from dcecon.report.data_table import render_data_table

    render_data_table(table)
    return 0
