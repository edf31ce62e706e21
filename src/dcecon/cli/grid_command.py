"""``dcecon grid``: sweep a scenario over axes and samples, print a summary, write the results."""

from __future__ import annotations

import math
import sys

from dcecon.backends import BACKEND_CHOICES
from dcecon.cli.arguments import whole
from dcecon.cli.backend_warnings import fallback_warnings_as_lines
from dcecon.model.metrics import DEFAULT_METRICS
from dcecon.cli.cluster_options import add_cluster_options, cluster_client
from dcecon.cli.output_options import add_output_options
from dcecon.report import format as fmt
from dcecon.scenario.errors import ScenarioError

ESTIMATE_SHOWN_ABOVE_SECONDS = 2.0
"""The time estimate is printed (standard error, even with --quiet or --json) for runs longer than this [s]."""

KEY_METRICS = (
    ("gross_margin", fmt.percent),
    ("npv_usd", fmt.money),
    ("irr", fmt.percent),
    ("payback_years", fmt.years),
    ("breakeven_price_usd_per_gpu_hour", fmt.price),
    ("breakeven_utilization", fmt.percent),
    ("cost_usd_per_billed_gpu_hour", fmt.price),
    ("revenue_usd", fmt.money),
    ("gross_profit_usd", fmt.money),
)


def register(sub) -> None:
    """Add ``dcecon grid`` to the sub-parsers."""
    p = sub.add_parser("grid", help="evaluate a scenario over a grid or a sample of parameters")
    p.add_argument("scenario", help="scenario TOML file (its [grid] table adds axes)")
    p.add_argument("--axis", action="append", default=[], metavar="PATH=SPEC",
                   help="an axis: start:stop:num, v1,v2,..., or a distribution uniform(a,b), triangular(lo,mode,hi), "
                        "normal(mu,sigma), lognormal(mu,sigma), pert(min,mode,max), truncnormal(mu,sigma,lo,hi), "
                        "choice(v:w,...), empirical(FILE.csv:COLUMN) (with --sample); '*' moves every cohort")
    p.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", help="override a field first")
    p.add_argument("--sample", type=whole, default=None, metavar="N",
                   help="draws per grid point for distribution axes")
    p.add_argument("--sampler", default="sobol", choices=("sobol", "lhs", "random"), help="sampling design")
    p.add_argument("--seed", type=whole, default=0, help="seed of the sampler")
    p.add_argument("--backend", default="auto", choices=BACKEND_CHOICES, help="array backend")
    p.add_argument("--dtype", default="float64", choices=("float64", "float32"),
                   help="float32 trades accuracy (about 1e-4 relative, see docs/backends.md) for speed")
    p.add_argument("--threads", type=whole, default=None,
                   help="threads of the native kernel, 1 to 4 per core (default: all cores)")
    p.add_argument("--max-memory", default="1GiB", help="memory budget that sets the chunk size (default 1GiB)")
    p.add_argument("--out", metavar="DIR", help="write summary.json, Parquet tables and a manifest here")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in --out DIR")
    p.add_argument("--save-scenarios", action="store_true", help="also write every scenario (partitioned Parquet)")
    p.add_argument("--max-output", default="1GiB", help="refuse --save-scenarios above this size (default 1GiB)")
    p.add_argument("--force", action="store_true",
                   help="run a grid of more than 1e11 scenarios or estimated over an hour, and write --save-scenarios "
                        "output above --max-output, and replace --plot, --xlsx and --html files that already exist")
    p.add_argument("--metrics", default=None, metavar="NAMES",
                   help="metrics to compute and reduce, comma-separated (e.g. gross_margin,npv_usd), 'default' (the "
                        "window P&L and investment view) or 'all' (adds the levered and economic-depreciation "
                        "figures); only these and what they need are computed")
    p.add_argument("--tables", default=None, metavar="auto|none|A:B[,C:D]",
                   help="main effects and 2-D tables: auto (default: every pair of axes up to 65,536 cells), none "
                        "(neither), or these pairs of axis paths")
    p.add_argument("--no-quantiles", dest="quantiles", action="store_const", const=False, default=None,
                   help="keep no quantile sketches (no p1..p99 in the summary; faster)")
    p.add_argument("--quiet", action="store_true",
                   help="no progress bar or grid-size line (a time estimate over 2 s is still printed)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    add_cluster_options(p)
    add_output_options(p, force=False)
    p.set_defaults(func=_cmd_grid)


def _cmd_grid(args) -> int:
    from dcecon.cli.output_options import check_outputs, command_line, write_outputs
    from dcecon.grid_engine.api import execute, load_fleet_file, prepare
    from dcecon.grid_engine.cluster import parse_cluster
    from dcecon.report.outputs import Output

    check_outputs(args)  # before any work
    drawn = "--plot" if args.plot is not None else ("--html" if args.html is not None else None)
    if drawn and args.tables is not None and args.tables.strip() == "none":
        raise ScenarioError(drawn, None, "draws the grid's main effects and tables: run it without --tables none")
    parse_cluster(args.cluster, args.scheduler_file)
    raw, provenance, args.scenario = load_fleet_file(args.scenario, args.set)
    plan = prepare(raw, provenance, args.scenario, args.axis, args.sample, args.sampler, args.seed,
                   metrics=args.metrics, tables=args.tables, quantiles=args.quantiles)
    interactive = sys.stderr.isatty() and not args.quiet and not args.json
    chatty = not args.quiet and not args.json

    progress = task = None
    if interactive:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        class _Rate(TextColumn):
            def render(self, task_):
                speed = task_.finished_speed or task_.speed
                return fmt_rate(speed)

        from rich.console import Console

        progress = Progress(TextColumn("grid"), BarColumn(), MofNCompleteColumn(), _Rate(""),
                            TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True)

    def on_estimate(seconds, chunk):
        if seconds > ESTIMATE_SHOWN_ABOVE_SECONDS:  # even with --quiet: a long run says so
            print(f"estimated time: {seconds:,.1f} s ({chunk:,} scenarios per chunk)", file=sys.stderr)

    def on_chunk(done, total):
        if progress is not None:
            progress.update(task, completed=done)

    def on_start(backend, chunk):
        if chatty and plan.sampled and plan.sampler == "sobol" and plan.n_samples & (plan.n_samples - 1):
            print(f"note: {plan.n_samples} is not a power of 2; Sobol' points are balanced only for powers of 2",
                  file=sys.stderr)
        if chatty:
            dims = " x ".join(f"{a.size}" for a in plan.axes) or "1"
            samples = f" x {plan.n_samples:,} {plan.sampler} samples" if plan.sampled else ""
            print(f"grid: {plan.n_scenarios:,} scenarios ({dims}{samples}) on {backend.name} {backend.dtype_name}",
                  file=sys.stderr)
        if progress is not None:
            progress.start()
            nonlocal task
            task = progress.add_task("grid", total=plan.n_scenarios)

    command = command_line(args)
    try:
        with fallback_warnings_as_lines(), cluster_client(args, chatty) as client:
            result = execute(plan, scenario_file=args.scenario, backend=args.backend, dtype=args.dtype,
                             max_memory=args.max_memory, out=args.out, resume=args.resume,
                             save_scenarios=args.save_scenarios, max_output=args.max_output, force=args.force,
                             on_chunk=on_chunk, on_estimate=on_estimate, command=command, threads=args.threads,
                             on_start=on_start, client=client)
    except KeyboardInterrupt:
        if args.out:  # the chunks done so far are saved: say how to continue
            print(f"dcecon: interrupted; the finished chunks are saved in {args.out}: run the same command with "
                  "--resume to continue", file=sys.stderr)
            return 130
        raise
    finally:
        if progress is not None and task is not None:
            progress.stop()
    write_outputs(args, Output("grid", result, scenario=args.scenario, overrides=tuple(args.set),
                               backend=args.backend, command_line=command))
    if args.json:
        from dcecon.io import dumps_json

        print(dumps_json(result.to_dict()))
        return 0
    render_summary(result, args.out)
    return 0


def formatter(metric: str):
    """How a metric's values print, from its unit in the metric table."""
    from dcecon.model.metrics import BY_NAME

    if "coverage" in metric or "dscr" in metric:
        return fmt.ratio
    return {"USD": fmt.money, "kWh": fmt.energy, "years": fmt.years, "USD/GPU-hour": fmt.price,
            "-/year": fmt.percent, "-": fmt.percent}.get(BY_NAME[metric].unit, fmt.number)


def fmt_rate(per_second) -> str:
    """``1.23 M scen/s`` ("" when unknown: no chunk computed, every one reloaded by --resume)."""
    if not per_second or not math.isfinite(per_second):
        return ""
    if per_second >= 1e6:
        return f"{per_second / 1e6:,.2f} M scen/s"
    return f"{per_second / 1e3:,.1f} k scen/s"


def render_summary(result, out=None) -> None:
    """Print the readable summary of a grid run."""
    from rich.table import Table

    from dcecon.report.console import make_console

    console = make_console()
    plan, stats = result.plan, result.stats
    rate = fmt_rate(stats.scenarios_per_second) or "nothing computed"
    reloaded = f", {stats.resumed_chunks:,} reloaded" if stats.resumed_chunks else ""
    console.print(f"[bold]{plan.scenario.name}[/bold]: {plan.n_scenarios:,} scenarios in {stats.seconds:.2f} s "
                  f"({rate}, backend {stats.backend} {stats.dtype}, "
                  f"{stats.n_chunks} chunk(s) of up to {stats.chunk_size:,}{reloaded})")
    for axis in plan.dimensions:
        what = axis.distribution.describe() if axis.is_sampled else f"{axis.size} values {axis.spec}"
        console.print(f"  {axis.path}: {what}")
    shares = [f"{label} < 0 in [bold]{fmt.percent(result.metric_summary(metric)['share_negative'])}[/bold]"
              for label, metric in (("gross margin", "gross_margin"), ("NPV", "npv_usd")) if metric in result.metrics]
    if shares:
        shares[0] += " of scenarios"
        console.print("; ".join(shares))

    table = Table(title=f"Distribution over the grid (quantiles within "
                        f"{100 * result.to_dict()['quantile_relative_error']:.2f}%)", header_style="bold")
    for column in ("metric", "mean", "min", "p5", "p50", "p95", "max", "n/a"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    shown = [(metric, f) for metric, f in KEY_METRICS if metric in result.metrics]
    if result.metrics != DEFAULT_METRICS:  # a chosen selection: every metric it asked for
        shown += [(metric, formatter(metric)) for metric in result.metrics if metric not in dict(KEY_METRICS)]
    for metric, f in shown:
        s = result.metric_summary(metric)
        na = s["nan"] + (s["posinf"] if metric in ("payback_years",) else 0)
        table.add_row(metric, f(s["mean"]), f(s["min"]), f(s["p5"]), f(s["p50"]), f(s["p95"]), f(s["max"]),
                      f"{na:,}" if na else "")
    console.print(table)

    extremes = Table(title="Best and worst scenarios", header_style="bold")
    for column in ("", "metric", "value", "parameters"):
        extremes.add_column(column)
    for label, pick in (("best", result.best), ("worst", result.worst)):
        for metric, f in (("npv_usd", fmt.money), ("gross_margin", fmt.percent)):
            if metric not in result.metrics:
                continue
            entry = pick(metric)
            params = ", ".join(f"{k}={v:.6g}" for k, v in entry.get("parameters", {}).items())
            extremes.add_row(label, metric, f(entry["value"]), params)
    console.print(extremes)

    for d, axis in enumerate(plan.dimensions):
        if d not in result.merged.marginals:
            continue
        effect = Table(title=f"Main effect of {axis.path}", header_style="bold")
        table_data = result.merged.marginals[d]
        scenarios = table_data["scenarios"][:, 0]
        columns = [("value", None)]
        if "gross_margin" in result.metrics:
            margin = result.marginal(axis.path, "gross_margin")
            columns.append(("mean gross margin", lambda i: fmt.percent(margin["mean"].iloc[i])))
        if "npv_usd" in result.metrics:
            npv = result.marginal(axis.path, "npv_usd")
            share = table_data["positive_npv"][:, 0] / scenarios.clip(min=1)
            columns += [("mean NPV", lambda i: fmt.money(npv["mean"].iloc[i])),
                        ("share NPV > 0", lambda i: fmt.percent(share[i]))]
        if len(columns) == 1:
            first = result.metrics[0]
            other = result.marginal(axis.path, first)
            columns.append((f"mean {first}", lambda i: fmt.number(other["mean"].iloc[i])))
        for column, _ in columns:
            effect.add_column(column, justify="right")
        rows = list(range(len(scenarios)))
        if len(rows) > 16:
            rows = rows[:: math.ceil(len(rows) / 16)]
        labels = result._dim_labels(d)
        for i in rows:
            effect.add_row(labels[i], *[show(i) for _, show in columns[1:]])
        console.print(effect)
    if out:
        console.print(f"wrote {out}/summary.json, marginals.parquet, tables.parquet, manifest.json")
