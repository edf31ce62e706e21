"""Rich tables of ``dcecon sobol`` (Sobol' indices) and ``dcecon morris`` (Morris screening)."""

from __future__ import annotations

from rich.table import Table

from dcecon.report import format as fmt
from dcecon.report.console import make_console


def index(value: float, half_width: float) -> str:
    """``0.526 ± 0.019``."""
    return f"{value:.3f} ± {half_width:.3f}"


def _range(r) -> str:
    return f"{r.low:g} .. {r.high:g}"


def render_sobol(result) -> None:
    """Print a :class:`~dcecon.analysis.sobol.SobolResult`: one row per input, by total index."""
    console = make_console()
    show = fmt.metric_format(result.metric)
    console.print(f"[bold]{result.scenario}[/bold]: Sobol' indices of {result.metric} (mean {show(result.mean)}, "
                  f"std {show(result.std)}), n = {result.n:,}, {result.n_evaluations:,} evaluations in "
                  f"{result.eval_seconds:.2f} s on {result.backend} {result.dtype}")
    level = f"{100 * result.conf_level:g}%"
    table = Table(title=f"Variance shares ({level} confidence half-widths), by total index", header_style="bold")
    for column in ("input", "range", "first-order S1", "total ST", "interactions ST - S1"):
        table.add_column(column, justify="left" if column in ("input", "range") else "right")
    for k in result.order:
        r = result.ranges[k]
        table.add_row(r.path, _range(r), index(result.s1[k], result.s1_conf[k]),
                      index(result.st[k], result.st_conf[k]), f"{result.st[k] - result.s1[k]:.3f}")
    console.print(table)
    if result.s2 is not None:
        pairs = Table(title="Second-order indices S2 (pairwise interactions)", header_style="bold")
        for column in ("input a", "input b", "S2"):
            pairs.add_column(column, justify="right" if column == "S2" else "left")
        for row in result.second_order_frame().itertuples():
            pairs.add_row(row.input_a, row.input_b, index(row.S2, row.S2_conf))
        console.print(pairs)
    console.print(f"Most influential: [bold]{result.most_influential}[/bold] (ST "
                  f"{result.st[result.order[0]]:.3f}); sum of S1 {float(result.s1.sum()):.3f} (1 for an additive "
                  "model)")


def render_morris(result) -> None:
    """Print a :class:`~dcecon.analysis.morris.MorrisResult`: one row per input, by ``mu*``."""
    console = make_console()
    show = fmt.metric_format(result.metric)
    console.print(f"[bold]{result.scenario}[/bold]: Morris screening of {result.metric}, {result.trajectories:,} "
                  f"trajectories on {result.levels} levels, {result.n_evaluations:,} evaluations in "
                  f"{result.eval_seconds:.2f} s on {result.backend} {result.dtype}")
    level = f"{100 * result.conf_level:g}%"
    table = Table(title=f"Elementary effects per full range of each input, by mu* ({level} confidence)",
                  header_style="bold")
    for column in ("input", "range", "mu*", "mu* ±", "mu", "sigma"):
        table.add_column(column, justify="left" if column in ("input", "range") else "right")
    for k in result.order:
        r = result.ranges[k]
        table.add_row(r.path, _range(r), show(result.mu_star[k]), show(result.mu_star_conf[k]), show(result.mu[k]),
                      show(result.sigma[k]))
    console.print(table)
    console.print("mu*: mean absolute change of the metric when the input crosses its range; sigma large against "
                  "mu*: non-linear or interacting")
