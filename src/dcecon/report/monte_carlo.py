"""The report of ``dcecon montecarlo``: headline risk figures, per-metric statistics and percentiles, the achieved
rank correlations and the regression tornado."""

from __future__ import annotations

import math

from rich.table import Table

from dcecon.report import format as fmt

def _se(f, value: float) -> str:
    """A standard error in the metric's format, with two decimals for percentages (``0.05%``)."""
    if f is fmt.percent and math.isfinite(value):
        return f"{100 * value:.2f}%"
    return f(value)


def _share(value: float, se: float) -> str:
    if not math.isfinite(value):
        return fmt.percent(value)
    return f"{100 * value:.2f}% ± {100 * se:.2f}%"


def headline_table(result) -> Table:
    """P(NPV < 0), P(gross margin < 0) with their standard errors, the expected shortfall and the mean of the
    ``--metric``."""
    s = result.summary
    f = fmt.metric_format(result.metric)
    draws = f"{result.draws:,} draws"
    if result.until_se is not None:
        draws += (f" (--until-se {f(result.until_se)} reached)" if result.converged
                  else f" (--until-se {f(result.until_se)} NOT reached: --max-draws)")
    if result.resumed_draws:
        draws += f" ({result.resumed_draws:,} reloaded by --resume)"
    table = Table(title=f"Monte Carlo of {result.scenario}: {draws}, {result.backend} {result.dtype}, "
                        f"{result.seconds:.2f} s")
    table.add_column("figure")
    table.add_column("value (± standard error)", justify="right")
    table.add_row("P(NPV < 0)", _share(s["p_npv_negative"], s["p_npv_negative_se"]))
    table.add_row("P(gross margin < 0)", _share(s["p_gross_margin_negative"], s["p_gross_margin_negative_se"]))
    table.add_row("expected shortfall of NPV at 5% (mean of the worst 5%)", fmt.money(s["expected_shortfall_npv_usd_5"]))
    table.add_row(f"mean {result.metric}", f"{f(s['mean'])} ± {_se(f, s['se'])}")
    return table


def statistics_table(result) -> Table:
    """One row per metric: mean ± SE, standard deviation, P(X < 0), p5, p50, p95 with their 95% intervals."""
    how = "exact" if result.quantile_relative_error == 0 else "quantile sketch, ±0.39%"
    table = Table(title=f"Distributions (percentiles {how}; [95% confidence interval])")
    for name in ("metric", "mean ± SE", "std", "P(< 0)", "p5", "p50", "p95"):
        table.add_column(name, justify="left" if name == "metric" else "right")
    for name in result.metrics:
        st = result.statistics[name]
        f = fmt.metric_format(name)
        cells = [f"{f(st[f'p{p}'])} [{f(st[f'p{p}_low'])}, {f(st[f'p{p}_high'])}]" for p in (5, 50, 95)]
        table.add_row(name, f"{f(st['mean'])} ± {_se(f, st['se'])}", f(st["std"]), fmt.percent(st["share_negative"]),
                      *cells)
    return table


def correlation_table(result) -> Table | None:
    """Requested and achieved rank correlation of every pair of inputs (None with one input)."""
    frame = result.correlation_frame()
    if frame.empty:
        return None
    table = Table(title=f"Rank correlations of the inputs (Spearman, first {result.kept_draws:,} draws)")
    for name in ("input A", "input B", "requested", "achieved"):
        table.add_column(name, justify="right" if name in ("requested", "achieved") else "left")
    for row in frame.itertuples():
        table.add_row(row.input_a, row.input_b, f"{row.requested:+.3f}", f"{row.achieved:+.3f}")
    return table


def regression_table(result) -> Table:
    """The regression tornado of the ``--metric``: SRRC and contribution to variance, largest first."""
    reg = result.regression[result.metric]
    table = Table(title=f"Regression tornado of {result.metric} (standardized rank regression, R² "
                        f"{reg.r_squared:.3f}, {reg.draws:,} draws)")
    share = "SRRC² share" if result.requested_correlation is not None else "contribution to variance"
    for name in ("input", "SRRC", share, "rank correlation"):
        table.add_column(name, justify="left" if name == "input" else "right")
    for row in reg.to_frame().itertuples():
        table.add_row(row.input, f"{row.srrc:+.3f}", fmt.percent(row.contribution_to_variance), f"{row.spearman:+.3f}")
    return table


def render_monte_carlo(result, console) -> None:
    """Print the report of a :class:`~dcecon.analysis.monte_carlo.MonteCarloResult`."""
    console.print(headline_table(result))
    console.print(statistics_table(result))
    correlations = correlation_table(result)
    if correlations is not None:
        console.print(correlations)
    console.print(regression_table(result))
