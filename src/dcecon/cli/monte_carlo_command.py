"""``dcecon montecarlo``: a correlated Monte Carlo of a scenario, with its risk figures and regression tornado."""

from __future__ import annotations

import sys

from dcecon.backends import BACKEND_CHOICES
from dcecon.cli.arguments import number, whole
from dcecon.cli.cluster_options import add_cluster_options, cluster_client
from dcecon.cli.output_options import add_output_options


def register(sub) -> None:
    """Add ``dcecon montecarlo`` to the sub-parsers."""
    p = sub.add_parser("montecarlo", help="draw inputs from distributions (optionally rank-correlated) and report "
                                          "P(NPV < 0), means with standard errors, percentiles and a regression "
                                          "tornado")
    p.add_argument("scenario", help="fleet scenario TOML file or bundled name (its [grid] table's distributions "
                                    "and [grid.correlations] are used)")
    p.add_argument("--vary", action="append", default=[], metavar="PATH=DIST",
                   help="an input and its distribution (repeatable): uniform(a,b), triangular(lo,mode,hi), "
                        "normal(mu,sigma), lognormal(mu,sigma), pert(min,mode,max), truncnormal(mu,sigma,lo,hi), "
                        "choice(v1:w1,v2:w2,...), empirical(FILE.csv:COLUMN)")
    p.add_argument("--draws", type=whole, default=10_000, metavar="N",
                   help="draws (default 10,000; with --until-se the first batch)")
    p.add_argument("--correlate", action="append", default=[], metavar="A,B=RHO",
                   help="rank correlation between two inputs (repeatable), applied with Iman-Conover")
    p.add_argument("--metric", default="npv_usd",
                   help="metric of --until-se and of the regression tornado (default npv_usd)")
    p.add_argument("--metrics", default=None, metavar="NAMES",
                   help="more metrics to report (comma-separated names, default or all); gross_margin and npv_usd "
                        "always are")
    p.add_argument("--until-se", type=number, default=None, metavar="X",
                   help="keep drawing, doubling the draws each batch, until the standard error of --metric's mean "
                        "is below X (in the metric's units)")
    p.add_argument("--max-draws", type=whole, default=None, metavar="N",
                   help="stop --until-se at this many draws (default 1e9)")
    p.add_argument("--seed", type=whole, default=0, help="seed of the draws (default 0)")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a field first")
    p.add_argument("--backend", default="auto", choices=BACKEND_CHOICES, help="array backend (as dcecon grid)")
    p.add_argument("--dtype", default="float64", choices=("float64", "float32"), help="floating dtype")
    p.add_argument("--threads", type=whole, default=None,
                   help="threads of the native kernel, 1 to 4 per core (default: all cores)")
    p.add_argument("--max-memory", default="1GiB", help="memory budget that sets the chunk size (default 1GiB)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="save the run's state here after each chunk (and summary.json once complete), so that "
                        "--resume can continue it")
    p.add_argument("--resume", action="store_true",
                   help="continue the interrupted run in --out DIR from its last saved chunk")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    add_cluster_options(p)
    add_output_options(p)
    p.set_defaults(func=_cmd_monte_carlo)


def _cmd_monte_carlo(args) -> int:
    from dcecon.analysis.monte_carlo import monte_carlo
    from dcecon.cli.backend_warnings import fallback_warnings_as_lines

    def progress(draws, se):
        if args.until_se is not None and not args.json:
            print(f"montecarlo: {draws:,} draws, standard error of the mean {args.metric}: {se:,.6g}",
                  file=sys.stderr)

    from dcecon.cli.output_options import check_outputs, command_line, write_outputs
    from dcecon.grid_engine.cluster import parse_cluster
    from dcecon.report.outputs import Output

    check_outputs(args)  # before any work
    parse_cluster(args.cluster, args.scheduler_file)
    command = command_line(args)
    try:
        with fallback_warnings_as_lines(), cluster_client(args, not args.json) as client:
            result = monte_carlo(args.scenario, args.vary, args.draws, correlate=args.correlate,
                                 metrics=args.metrics, metric=args.metric, until_se=args.until_se,
                                 max_draws=args.max_draws, seed=args.seed, backend=args.backend, dtype=args.dtype,
                                 threads=args.threads, max_memory=args.max_memory, overrides=args.set,
                                 on_batch=progress, out=args.out, resume=args.resume, command=command,
                                 client=client)
    except KeyboardInterrupt:
        if args.out:  # the chunks done so far are saved: say how to continue
            print(f"dcecon: interrupted; the finished chunks are saved in {args.out}: run the same command with "
                  "--resume to continue", file=sys.stderr)
            return 130
        raise
    if result.resumed_draws and not args.json:
        print(f"montecarlo: resumed {args.out} at {result.resumed_draws:,} of {result.draws:,} draws",
              file=sys.stderr)
    if not result.converged:
        print(f"dcecon: warning: --until-se: the standard error of the mean {result.metric} is "
              f"{result.statistics[result.metric]['se']:,.6g} after {result.draws:,} draws (--max-draws), above "
              f"{result.until_se:,.6g}", file=sys.stderr)
    write_outputs(args, Output("montecarlo", result, scenario=args.scenario, overrides=tuple(args.set),
                               backend=args.backend, command_line=command))
    if args.json:
        from dcecon.io import dumps_json

        print(dumps_json(result.to_dict()))
        return 0
    from dcecon.report.console import make_console
    from dcecon.report.monte_carlo import render_monte_carlo

    render_monte_carlo(result, make_console())
    return 0
