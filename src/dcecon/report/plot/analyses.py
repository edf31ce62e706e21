"""Figures of the sensitivity and risk analyses: tornado, spider, Monte Carlo histogram and CDF, Sobol' indices.

Each takes the analysis's result object (:func:`dcecon.tornado`,
:func:`dcecon.monte_carlo`, :func:`dcecon.sobol`) and draws what it holds;
nothing is recomputed.
"""

from __future__ import annotations

import math

import numpy as np

from dcecon.report.plot import style

PERCENTILES = ("p5", "p50", "p95")
"""Percentiles marked on the Monte Carlo figures (from the result's statistics over every draw)."""


def _scaled(metric: str, values):
    factor, unit = style.metric_scale(metric, values)
    return factor, unit


def tornado_chart(result):
    """Tornado: for each input, the metric with the input at its low and at its high value, as bars from the
    base value, the largest swing on top.

    Bars are the ``BarContainer`` s labelled ``at low value`` and ``at high value`` (one bar per input, in the
    result's order, top to bottom); the y tick labels are the inputs with their ranges.

    Parameters
    ----------
    result : TornadoResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    inputs = result.inputs
    every = [result.base_metric] + [s.metric_at_low for s in inputs] + [s.metric_at_high for s in inputs]
    factor, unit = _scaled(result.metric, every)
    base = result.base_metric / factor
    figure, ax = style.new_figure(size=(8.0, 2.4 + 0.45 * max(len(inputs), 1)))
    y = np.arange(len(inputs))[::-1]  # the first (largest swing) on top
    low = np.array([s.metric_at_low for s in inputs], dtype=np.float64) / factor - base
    high = np.array([s.metric_at_high for s in inputs], dtype=np.float64) / factor - base
    ax.barh(y, low, left=base, height=0.6, label="at low value", **style.fill(1))
    ax.barh(y, high, left=base, height=0.6, label="at high value", **style.fill(2))
    ax.axvline(base, color="black", linewidth=1.0)
    ticks = [f"{s.path}\n{s.low:g} to {s.high:g} {style.unit_text(style.field_unit(s.path, ''), s.path)}".rstrip()
             for s in inputs]  # a '*' path over differing fields has no one unit: none shown
    ax.set_yticks(y, ticks, fontsize=7)
    ax.set_xlabel(style.label(result.metric, unit))
    ax.set_ylabel(style.label("input", "its own unit"))
    ax.set_title(f"{result.scenario}: tornado of {result.metric} (base {_value(result.base_metric, factor)} "
                 f"{style.unit_text(unit)})")
    ax.legend(fontsize=7, loc="lower right")
    style.add_source(figure, f"scenario {result.scenario}; one input at a time, the others at base; "
                             f"{result.n_points} scenarios on {result.backend} {result.dtype} (docs/tornado.md)")
    return figure


def _value(value: float, factor: float) -> str:
    return f"{value / factor:.4g}" if math.isfinite(value) else "n/a"


def spider_chart(result):
    """Spider: the metric against the change of each input from its base value, one line per input.

    Parameters
    ----------
    result : TornadoResult
        Run with ``spider`` points.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from dcecon.scenario.errors import ScenarioError

    if not result.spider:
        raise ScenarioError("spider", None, "the tornado has no spider points; run it with spider=N (--spider N)")
    every = np.concatenate([line.metric for line in result.spider] + [[result.base_metric]])
    factor, unit = _scaled(result.metric, every)
    figure, ax = style.new_figure()
    for i, line in enumerate(result.spider):
        ax.plot(100.0 * np.asarray(line.changes), np.asarray(line.metric) / factor, label=line.path, **style.line(i))
    ax.axhline(result.base_metric / factor, color="0.5", linewidth=0.8)
    ax.axvline(0.0, color="0.5", linewidth=0.8)
    ax.set_xlabel(style.label("change of the input from its base value", "%"))
    ax.set_ylabel(style.label(result.metric, unit))
    ax.set_title(f"{result.scenario}: spider of {result.metric}")
    ax.legend(fontsize=7)
    style.add_source(figure, f"scenario {result.scenario}; one input at a time, the others at base, "
                             f"{style.computed_on(result.backend, result.dtype)} "
                             "(an input whose base is 0 has no relative change and is not drawn; docs/tornado.md)")
    return figure


def _draws(result, metric: str) -> np.ndarray:
    column = list(result.metrics).index(metric)
    values = np.asarray(result.kept_metrics, dtype=np.float64)[:, column]
    return values[np.isfinite(values)]


def _risk_marks(ax, result, metric: str, factor: float) -> None:
    stats = result.statistics[metric]
    for name, style_ in zip(PERCENTILES, ("--", "-", ":")):
        value = stats.get(name)
        if value is None or not math.isfinite(value):
            continue
        artist = ax.axvline(value / factor, color="black", linestyle=style_, linewidth=1.1,
                            label=f"{name.upper()} {value / factor:.4g}")
        artist.set_gid(f"percentile-{name}")


def _loss_label(result, metric: str) -> str:
    share = result.statistics[metric]["share_negative"]
    se = result.statistics[metric].get("share_negative_se")
    what = "P(loss) = P(NPV < 0)" if metric == "npv_usd" else f"P({metric} < 0)"
    return f"{what} = {share:.1%}" + (f" ± {se:.1%}" if se is not None and math.isfinite(se) else "")


def _mc_source(result) -> str:
    kept = f"histogram of the first {result.kept_draws:,} of {result.draws:,} draws" \
        if result.kept_draws < result.draws else f"{result.draws:,} draws"
    inputs = "; ".join(f"{p} ~ {d}" for p, d in zip(result.inputs, result.distributions))
    return (f"scenario {result.scenario}; {kept}, seed {result.seed}, "
            f"{style.computed_on(result.backend, result.dtype)}; percentiles and P(loss) over every draw; "
            f"{inputs} (docs/monte-carlo.md)")


def monte_carlo_histogram(result, metric: str | None = None):
    """Histogram of a Monte Carlo metric with P5, P50, P95 and the loss region (metric < 0) and its
    probability.

    Parameters
    ----------
    result : MonteCarloResult
    metric : str, optional
        A metric of the run (default: the run's ``metric``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    metric = _mc_metric(result, metric)
    values = _draws(result, metric)
    factor, unit = _scaled(metric, values)
    figure, ax = style.new_figure()
    ax.hist(values / factor, bins=min(60, max(10, int(math.sqrt(len(values))))), color="0.7", edgecolor="black",
            linewidth=0.4, label="draws")
    if values.size and values.min() < 0:
        ax.axvspan(values.min() / factor, min(0.0, values.max() / factor), color="0.85", hatch="//", alpha=0.6,
                   zorder=0, label=_loss_label(result, metric))
    else:
        ax.plot([], [], " ", label=_loss_label(result, metric))
    _risk_marks(ax, result, metric, factor)
    ax.set_xlabel(style.label(metric, unit))
    ax.set_ylabel(style.label("draws", "count per bin"))
    ax.set_title(f"{result.scenario}: distribution of {metric}")
    ax.legend(fontsize=7)
    style.add_source(figure, _mc_source(result))
    return figure


def monte_carlo_cdf(result, metric: str | None = None):
    """Empirical CDF of a Monte Carlo metric with P5, P50, P95 and P(metric < 0) read at 0.

    Parameters
    ----------
    result : MonteCarloResult
    metric : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    metric = _mc_metric(result, metric)
    values = np.sort(_draws(result, metric))
    factor, unit = _scaled(metric, values)
    figure, ax = style.new_figure()
    probability = np.arange(1, len(values) + 1) / max(len(values), 1)
    ax.step(values / factor, probability, where="post", color="black", linewidth=1.4, label="share of draws")
    _risk_marks(ax, result, metric, factor)
    loss = result.statistics[metric]["share_negative"]
    ax.axhline(loss, color="0.4", linestyle="-.", linewidth=1.0)
    ax.plot([0.0], [loss], marker="D", color="black", linestyle="none", label=_loss_label(result, metric))
    ax.set_ylim(0.0, 1.0)
    ax.set_xlabel(style.label(metric, unit))
    ax.set_ylabel(style.label("cumulative probability", "fraction of draws"))
    ax.set_title(f"{result.scenario}: cumulative distribution of {metric}")
    ax.legend(fontsize=7, loc="lower right")
    style.add_source(figure, _mc_source(result))
    return figure


def _mc_metric(result, metric):
    from dcecon.scenario.errors import ScenarioError

    metric = result.metric if metric is None else metric
    if metric not in result.metrics:
        raise ScenarioError("metric", str(metric), f"was not computed by this run; it computed "
                                                   f"{', '.join(result.metrics)}")
    if result.kept_metrics is None or not len(result.kept_metrics):
        raise ScenarioError("metric", metric, "the run kept no draws to draw")
    return metric


def sobol_chart(result):
    """First-order (S1) and total (ST) Sobol' indices per input, as bars with their confidence intervals.

    Parameters
    ----------
    result : SobolResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    paths = [r.path for r in result.ranges]
    x = np.arange(len(paths))
    width = 0.38
    figure, ax = style.new_figure(size=(8.0, 4.8))
    level = f"{result.conf_level:.0%}"
    ax.bar(x - width / 2, result.s1, width, yerr=result.s1_conf, capsize=3, label=f"first order S1 ({level} interval)",
           error_kw={"elinewidth": 1.0}, **style.fill(1))
    ax.bar(x + width / 2, result.st, width, yerr=result.st_conf, capsize=3, label=f"total ST ({level} interval)",
           error_kw={"elinewidth": 1.0}, **style.fill(2))
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xticks(x, [f"{r.path}\n{r.low:g} to {r.high:g}" for r in result.ranges], fontsize=7, rotation=0)
    ax.set_xlabel(style.label("input, uniform on its range", "units of the input"))
    ax.set_ylabel(style.label("Sobol' index", "fraction of variance"))
    ax.set_title(f"{result.scenario}: Sobol' indices of {result.metric}")
    ax.legend(fontsize=7)
    style.add_source(figure, f"scenario {result.scenario}; Saltelli design n = {result.n:,} "
                             f"({result.n_evaluations:,} evaluations, seed {result.seed}, "
                             f"{style.computed_on(result.backend, result.dtype)}), SALib's analysis, "
                             f"bootstrap intervals (docs/sobol.md)")
    return figure


def morris_chart(result):
    """Morris screening: each input's mean absolute elementary effect ``mu*`` (with its confidence interval)
    against the spread of its effects ``sigma``, each point labelled with the input.

    An input far right matters; one high above the ``sigma = mu*`` line acts non-linearly or through
    interactions (Campolongo, Cariboni and Saltelli 2007; docs/sobol.md).

    Parameters
    ----------
    result : MorrisResult

    Returns
    -------
    matplotlib.figure.Figure
    """
    factor, unit = style.metric_scale(result.metric, np.concatenate([result.mu_star, result.sigma]))
    mu_star = np.asarray(result.mu_star, dtype=np.float64) / factor
    conf = np.asarray(result.mu_star_conf, dtype=np.float64) / factor
    sigma = np.asarray(result.sigma, dtype=np.float64) / factor
    figure, ax = style.new_figure(size=(8.0, 4.8))
    ax.errorbar(mu_star, sigma, xerr=conf, fmt="none", ecolor="0.45", elinewidth=1.0, capsize=3,
                label=f"{result.conf_level:.0%} interval of mu*")
    ax.scatter(mu_star, sigma, s=36, color="0.15", marker="o", zorder=3, label="input")
    top = float(np.nanmax(np.concatenate([mu_star + conf, sigma, [0.0]]))) or 1.0
    ax.plot([0.0, top * 1.05], [0.0, top * 1.05], color="black", linestyle="--", linewidth=0.8,
            label="sigma = mu*")
    for x, y, r in zip(mu_star, sigma, result.ranges):
        ax.annotate(r.path, (x, y), textcoords="offset points", xytext=(5, 4), fontsize=7)
    ax.set_xlim(left=0.0)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel(style.label(f"mu*, mean |elementary effect| on {result.metric}", f"{unit} per full range"))
    ax.set_ylabel(style.label("sigma, spread of effects", f"{unit} per full range"))
    ax.set_title(f"{result.scenario}: Morris screening of {result.metric}")
    ax.legend(fontsize=7, loc="upper left")
    style.add_source(figure, f"scenario {result.scenario}; Morris design, {result.trajectories:,} trajectories on "
                             f"{result.levels} levels (seed {result.seed}, {style.computed_on(result.backend, result.dtype)}), "
                             f"SALib's analysis (docs/sobol.md)")
    return figure


def tornado_figures(result) -> dict:
    """``tornado`` (and ``spider`` with spider points), by file stem."""
    figures = {f"tornado-{result.metric}": tornado_chart(result)}
    if result.spider:
        figures[f"spider-{result.metric}"] = spider_chart(result)
    return figures


def monte_carlo_figures(result) -> dict:
    """Histogram and CDF of the run's metric, by file stem."""
    return {f"histogram-{result.metric}": monte_carlo_histogram(result),
            f"cdf-{result.metric}": monte_carlo_cdf(result)}


def sobol_figures(result) -> dict:
    """The indices' bars, by file stem."""
    return {f"sobol-{result.metric}": sobol_chart(result)}


def morris_figures(result) -> dict:
    """The screening chart, by file stem."""
    return {f"morris-{result.metric}": morris_chart(result)}
