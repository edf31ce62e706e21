"""Figures (``dcecon.plot``, ``--plot DIR``): each kind is drawn for a bundled scenario, and what it draws is
checked against the numbers it draws from, read back from the figure's artists (and, for the break-even line,
from its rendered pixels).

Expected values come from the model's own results (``dcecon.evaluate``, ``dcecon.data_table``'s exact
break-evens, the analyses' result objects), from the published figures the macro scenario quotes (Bain's $2T,
Sequoia's $600B), or from the definition of the chart (the parts of a rented dollar add up to 1).
Everything runs on the NumPy backend (no kernel build) with small designs.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import matplotlib.image
import numpy as np
import pytest

import dcecon
from dcecon.cli.main import main
from dcecon.report import plot
from dcecon.report.plot import style

SCENARIO = "h100-neocloud-2024"
ROWS = "cohorts.0.utilization=0.5:1:6"
COLS = "cohorts.0.price_usd_per_gpu_hour=1:3:9"
VARY = ["cohorts.0.price_usd_per_gpu_hour=-20%:+20%", "cohorts.0.utilization=0.7:1.0", "site.pue=1.1:1.6",
        "cohorts.0.book_life_years=3:6"]


@pytest.fixture(scope="module")
def result():
    return dcecon.evaluate(SCENARIO, backend="numpy")


@pytest.fixture(scope="module")
def loss_result():
    """CoreWeave Q3 2025: its H100 and H200 cohorts lose money in the quarter (gross margin < 0)."""
    return dcecon.evaluate("coreweave-q3-2025", backend="numpy")


@pytest.fixture(scope="module")
def table():
    return dcecon.data_table(SCENARIO, rows=ROWS, cols=COLS, metric="npv_usd", breakeven=True, backend="numpy")


@pytest.fixture(scope="module")
def tornado_result():
    return dcecon.tornado(SCENARIO, VARY, metric="npv_usd", spider=5, backend="numpy")


@pytest.fixture(scope="module")
def mc_result():
    return dcecon.monte_carlo(SCENARIO, ["cohorts.0.utilization=pert(0.6,0.8,0.95)",
                                         "cohorts.0.price_usd_per_gpu_hour=triangular(1.5,2,2.5)"], 1024,
                              backend="numpy")


@pytest.fixture(scope="module")
def sobol_result():
    return dcecon.sobol(SCENARIO, ["cohorts.0.utilization=0.6:1.0", "site.pue=1.1:1.6"], n=64, backend="numpy")


@pytest.fixture(scope="module")
def morris_result():
    return dcecon.morris(SCENARIO, ["cohorts.0.utilization=0.6:1.0", "site.pue=1.1:1.6"], trajectories=10,
                         backend="numpy")


@pytest.fixture(scope="module")
def macro():
    from dcecon.kinds import KINDS
    from dcecon.scenario.bundled import resolve_scenario_path

    kind = KINDS["macro"]
    scenario = kind.load(resolve_scenario_path("bain-200gw-2030"), [])
    return scenario, kind.evaluate(scenario, "numpy", "float64")


@pytest.fixture(scope="module")
def every_figure(result, loss_result, table, tornado_result, mc_result, sobol_result, morris_result, macro):
    """Every figure kind, by name."""
    figures = {f"run/{k}": f for k, f in plot.run_figures(result).items()}
    figures["run/rented-dollar-loss"] = plot.rented_dollar(loss_result)
    figures.update({f"table/{k}": f for k, f in plot.table_figures(table, backend="numpy", scenario=SCENARIO).items()})
    one_way = dcecon.data_table(SCENARIO, rows="cohorts.0.price_usd_per_gpu_hour=1:3:5", metric="irr",
                                breakeven=True, backend="numpy")
    figures["table/one-way"] = plot.table_line(one_way)
    figures.update({f"tornado/{k}": f for k, f in plot.tornado_figures(tornado_result).items()})
    figures.update({f"mc/{k}": f for k, f in plot.monte_carlo_figures(mc_result).items()})
    figures.update({f"sobol/{k}": f for k, f in plot.sobol_figures(sobol_result).items()})
    figures.update({f"morris/{k}": f for k, f in plot.morris_figures(morris_result).items()})
    figures.update({f"macro/{k}": f for k, f in plot.macro_figures(*macro).items()})
    return figures


def _bars(ax, label):
    """The patches of the bar container labelled ``label``."""
    for container in ax.containers:
        if container.get_label() == label:
            return list(container.patches)
    raise AssertionError(f"no bars labelled {label!r}: {[c.get_label() for c in ax.containers]}")


def _line(ax, gid):
    found = [line for line in ax.get_lines() if line.get_gid() == gid]
    assert found, f"no line {gid!r}: {[line.get_gid() for line in ax.get_lines()]}"
    return found[0]


# --- every figure ---------------------------------------------------------------------------------------------

def test_every_figure_kind_is_drawn_for_a_bundled_scenario(every_figure):
    """Run (4 kinds), heatmap, one-way table, tornado, spider, histogram, CDF, Sobol', Morris, macro."""
    stems = {name.split("/")[1].rsplit("-", 1)[0] if name.startswith(("mc/", "sobol/", "morris/", "tornado/")) else name
             for name in every_figure}
    for expected in ("run/rented-dollar", "run/pnl-by-cohort", "run/cumulative-cash", "run/price-vs-cost",
                     "table/heatmap-npv_usd", "table/one-way", "tornado", "spider", "histogram", "cdf",
                     "sobol", "morris", "macro/macro-chain"):
        assert expected in stems or any(name.endswith(expected) for name in every_figure), expected


def test_every_axis_has_a_label_with_a_unit_in_brackets(every_figure):
    for name, figure in every_figure.items():
        for ax in figure.axes:
            if ax.get_label() == "<colorbar>":
                labels = [ax.get_ylabel() or ax.get_xlabel()]
            else:
                labels = [ax.get_xlabel(), ax.get_ylabel()]
            for text in labels:
                assert re.search(r"\S \[[^\]]+\]$", text), f"{name}: axis label {text!r} has no [unit]"


def test_every_figure_has_its_source_line_under_the_chart(every_figure):
    for name, figure in every_figure.items():
        lines = [t for t in figure.texts if t.get_gid() == style.SOURCE_GID]
        assert len(lines) == 1, name
        text = lines[0].get_text()
        assert text.startswith(f"Source: dcecon {dcecon.__version__}; "), name
        figure.canvas.draw()
        below = lines[0].get_window_extent().y1
        assert all(ax.get_window_extent().y0 > below for ax in figure.axes), f"{name}: the source line overlaps"


# --- run ------------------------------------------------------------------------------------------------------

def test_rented_dollar_parts_are_the_window_pnl_shares_and_add_up_to_one(result):
    """Each part is its window P&L line over window revenue (dcecon run --json); the parts add up to 1."""
    ax = plot.rented_dollar(result).axes[0]
    f = result.figures
    expected = {"depreciation": f["depreciation_usd"], "power": f["power_cost_usd"],
                "facility": f["facility_cost_usd"], "opex": f["opex_usd"], "gross profit": f["gross_profit_usd"]}
    widths = {label: _bars(ax, label)[0].get_width() for label in expected}
    for label, value in expected.items():
        assert widths[label] == pytest.approx(value / f["revenue_usd"], rel=1e-12)
    assert sum(widths.values()) == pytest.approx(1.0, rel=1e-12)


def test_rented_dollar_shows_a_gross_loss_left_of_zero(loss_result):
    """CoreWeave's H100 cohort: costs stack past 1, and the loss bar is its (negative) gross margin."""
    ax = plot.rented_dollar(loss_result).axes[0]
    h100 = next(c for c in loss_result.cohorts if c["name"] == "h100-2023")
    assert h100["gross_margin"] < 0
    loss = _bars(ax, "gross loss")
    names = [t.get_text() for t in ax.get_yticklabels()]
    bar = loss[names.index("h100-2023")]
    assert bar.get_x() == 0.0 and bar.get_width() == pytest.approx(h100["gross_margin"], rel=1e-12)
    costs = sum(_bars(ax, label)[names.index("h100-2023")].get_width()
                for label in ("depreciation", "power", "facility", "opex"))
    assert costs == pytest.approx(1.0 - h100["gross_margin"], rel=1e-12)


def test_pnl_by_cohort_stacks_add_up_to_each_periods_fleet_gross_profit(loss_result):
    """Cohort bars from the model's window flows, summed per period, give Result.periods (3 cohorts, gains and
    losses)."""
    figure = plot.pnl_by_cohort(loss_result)
    ax = figure.axes[0]
    factor, _ = style.money_scale([p["gross_profit_usd"] for p in loss_result.periods]
                                  + [c["revenue_usd"] for c in loss_result.cohorts])
    n = len(loss_result.periods)
    totals = np.zeros(n)
    for cohort in loss_result.scenario.cohorts:
        totals += [patch.get_height() for patch in _bars(ax, cohort.name)]
    expected = np.array([p["gross_profit_usd"] for p in loss_result.periods])
    np.testing.assert_allclose(totals * factor, expected, rtol=1e-9)


def test_cumulative_cash_crosses_zero_at_the_models_payback(result):
    """The line of cumulative free cash flow less capex is zero at Result.payback_years (3.81 years for the
    $2 H100), the model's own payback."""
    ax = plot.cumulative_cash(result).axes[0]
    line = next(line for line in ax.get_lines() if line.get_label().startswith("cumulative"))
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    when = result.scenario.cohorts[0].in_service_year + result.payback_years
    assert result.payback_years == pytest.approx(3.8065244271319165, rel=1e-12)
    assert abs(np.interp(when, x, y)) <= 1e-9 * abs(y[0])
    marker = next(line for line in ax.get_lines() if line.get_label().startswith("payback"))
    assert marker.get_xdata()[0] == pytest.approx(when, rel=1e-15)


def test_price_vs_cost_averages_to_the_cohorts_lifetime_cost_per_billed_hour(result):
    """Cost per billed GPU-hour per period, weighted by billed hours over the life, is the cohort's
    cost_usd_per_billed_gpu_hour of dcecon run --json; the price starts at the scenario's $2.00."""
    ax = plot.price_vs_cost(result).axes[0]
    price, cost = ax.get_lines()[0], ax.get_lines()[1]
    _, flows = plot.run.cohort_life_flows(result.scenario, 0)
    hours = flows["billed_gpu_hours"]
    weighted = float(np.sum(np.asarray(cost.get_ydata()) * hours) / np.sum(hours))
    assert weighted == pytest.approx(result.cohorts[0]["cost_usd_per_billed_gpu_hour"], rel=1e-12)
    assert price.get_ydata()[0] == pytest.approx(2.0, rel=1e-12)


# --- heatmaps ---------------------------------------------------------------------------------------------------

def test_heatmap_breakeven_lines_lie_on_the_exact_breakevens(table):
    """The gross margin = 0 and NPV = 0 lines pass, row by row, through data_table's exact break-evens (1e-9);
    the NPV line is the table's own break-even column ($2.9426443/GPU-hour at 70%, docs/tables.md)."""
    figure = plot.table_figures(table, backend="numpy", scenario=SCENARIO)["heatmap-npv_usd"]
    ax = figure.axes[0]
    for metric in ("gross_margin", "npv_usd"):
        exact = dcecon.data_table(SCENARIO, rows=ROWS, cols=COLS, metric=metric, breakeven=True, backend="numpy")
        line = _line(ax, f"breakeven-{metric}")
        np.testing.assert_allclose(line.get_xdata(), exact.breakeven["cohorts.0.price_usd_per_gpu_hour"],
                                   rtol=1e-9)
        np.testing.assert_array_equal(line.get_ydata(), exact.row_values)
    npv = _line(ax, "breakeven-npv_usd")
    assert npv.get_xdata()[2] == pytest.approx(2.9426443, abs=5e-8)


def test_heatmap_breakeven_line_is_drawn_at_its_pixel_column(table):
    """Rendered: at the row of 70% utilization, the pixel where the exact break-even price falls is black
    (the line's marker), and the cell colour is not."""
    figure = plot.table_figures(table, backend="numpy", scenario=SCENARIO)["heatmap-npv_usd"]
    ax = figure.axes[0]
    figure.canvas.draw()
    pixels = np.asarray(figure.canvas.buffer_rgba())[..., :3].astype(int)
    height = pixels.shape[0]
    x_exact = float(table.breakeven["cohorts.0.price_usd_per_gpu_hour"].iloc[2])
    px, py = ax.transData.transform((x_exact, 0.7))
    column, row = int(round(px)), height - int(round(py))
    assert pixels[row, column].max() < 60, pixels[row, column]
    # a pixel 12 columns left: the cell, not the line (the marker is 7 pixels across at 150 dpi)
    assert pixels[row, column - 12].max() > 60


def test_heatmap_marks_the_base_scenario(table):
    """The $2 H100 at 100% utilization (h100-neocloud-2024.toml)."""
    ax = plot.table_figures(table, backend="numpy", scenario=SCENARIO)["heatmap-npv_usd"].axes[0]
    base = _line(ax, "base-scenario")
    assert (base.get_xdata()[0], base.get_ydata()[0]) == (2.0, 1.0)


def test_grid_heatmap_draws_the_same_exact_breakevens_over_a_two_axis_grid():
    grid = dcecon.grid(SCENARIO, axes={"cohorts.0.utilization": "0.5:1:3", "cohorts.0.price_usd_per_gpu_hour":
                                       "1:3:5"}, backend="numpy")
    figures = plot.grid_figures(grid, backend="numpy")
    assert set(figures) == {"heatmap-gross_margin", "heatmap-npv_usd"}
    ax = figures["heatmap-npv_usd"].axes[0]
    exact = dcecon.data_table(SCENARIO, rows="cohorts.0.utilization=0.5:1:3", cols="cohorts.0.price_usd_per_gpu_hour"
                              "=1:3:5", metric="npv_usd", breakeven=True, backend="numpy")
    np.testing.assert_allclose(_line(ax, "breakeven-npv_usd").get_xdata(),
                               exact.breakeven["cohorts.0.price_usd_per_gpu_hour"], rtol=1e-9)
    cells = ax.collections[0].get_array()
    factor, _ = style.money_scale(exact.values.ravel())
    np.testing.assert_allclose(np.asarray(cells).reshape(3, 5) * factor, exact.values, rtol=1e-9)


# --- analyses ---------------------------------------------------------------------------------------------------

def test_tornado_bars_are_in_swing_order(tornado_result):
    """Top to bottom, each input's span (from its two bars' patches) is its swing, largest first."""
    ax = plot.tornado_chart(tornado_result).axes[0]
    low, high = _bars(ax, "at low value"), _bars(ax, "at high value")
    spans = []
    for a, b in zip(low, high):
        ends = [a.get_x(), a.get_x() + a.get_width(), b.get_x(), b.get_x() + b.get_width()]
        spans.append((a.get_y(), max(ends) - min(ends)))
    spans.sort(key=lambda s: -s[0])  # top first
    widths = [w for _, w in spans]
    factor, _ = style.money_scale([tornado_result.base_metric] + [s.metric_at_low for s in tornado_result.inputs]
                                  + [s.metric_at_high for s in tornado_result.inputs])
    np.testing.assert_allclose(np.array(widths) * factor, [s.swing for s in tornado_result.inputs], rtol=1e-9)
    assert widths == sorted(widths, reverse=True)
    ticks = sorted(zip(ax.get_yticks(), ax.get_yticklabels()), key=lambda tick: -tick[0])
    assert [t.get_text().split("\n")[0] for _, t in ticks] == [s.path for s in tornado_result.inputs]


def test_spider_lines_are_the_spider_points(tornado_result):
    ax = plot.spider_chart(tornado_result).axes[0]
    for line, points in zip(ax.get_lines(), tornado_result.spider):
        assert line.get_label() == points.path
        np.testing.assert_allclose(line.get_xdata(), 100 * points.changes, rtol=1e-12)


def test_monte_carlo_marks_p5_p50_p95_and_the_probability_of_loss(mc_result):
    stats = mc_result.statistics["npv_usd"]
    for figure in (plot.monte_carlo_histogram(mc_result), plot.monte_carlo_cdf(mc_result)):
        ax = figure.axes[0]
        factor, _ = style.money_scale([stats["p5"], stats["p95"]])
        for name in ("p5", "p50", "p95"):
            assert _line(ax, f"percentile-{name}").get_xdata()[0] * factor == pytest.approx(stats[name], rel=1e-12)
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert any(t.startswith(f"P(loss) = P(NPV < 0) = {stats['share_negative']:.1%}") for t in legend), legend
    cdf = plot.monte_carlo_cdf(mc_result).axes[0]
    loss = next(line for line in cdf.get_lines() if line.get_label().startswith("P(loss)"))
    assert (loss.get_xdata()[0], loss.get_ydata()[0]) == (0.0, stats["share_negative"])


def test_sobol_bars_and_intervals_are_the_indices(sobol_result):
    ax = plot.sobol_chart(sobol_result).axes[0]
    first = [p.get_height() for p in _bars(ax, "first order S1 (95% interval)")]
    total = [p.get_height() for p in _bars(ax, "total ST (95% interval)")]
    np.testing.assert_allclose(first, sobol_result.s1, rtol=1e-12)
    np.testing.assert_allclose(total, sobol_result.st, rtol=1e-12)
    container = next(c for c in ax.containers if c.get_label() == "first order S1 (95% interval)")
    segments = container.errorbar.lines[2][0].get_segments()
    np.testing.assert_allclose([s[1][1] - s[0][1] for s in segments], 2 * np.asarray(sobol_result.s1_conf),
                               rtol=1e-9)


def test_a_one_axis_grid_draws_its_main_effects(tmp_path):
    """A grid with no 2-D table (one axis): the mean line is GridResult.marginal's mean, the band its min/max."""
    result = dcecon.grid(SCENARIO, ["cohorts.0.utilization=0.5:1:6"], backend="numpy")
    figures = plot.grid_figures(result)
    assert sorted(figures) == ["main-effects-gross_margin", "main-effects-npv_usd"]
    ax = figures["main-effects-gross_margin"].axes[0]
    mean = next(line for line in ax.get_lines() if line.get_label() == "mean")
    effect = result.marginal("cohorts.0.utilization", "gross_margin")
    np.testing.assert_allclose(mean.get_xdata(), effect.index.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(mean.get_ydata(), effect["mean"].to_numpy(), rtol=1e-12)
    assert ax.get_xlabel() == "cohorts.0.utilization [fraction]"


def test_a_grid_without_tables_is_not_drawn_and_says_so_before_any_work(tmp_path, capsys):
    code = main(["grid", SCENARIO, "--axis", "cohorts.0.utilization=0.5:1:3", "--tables", "none",
                 "--plot", str(tmp_path / "figs")])
    assert code == 2
    assert capsys.readouterr().err == ("dcecon: error: --plot: draws the grid's main effects and tables: run it "
                                       "without --tables none\n")
    assert not (tmp_path / "figs").exists()


def test_morris_points_are_mu_star_and_sigma_labelled_by_input(morris_result):
    """Each point sits at the input's (mu*, sigma) from SALib's analysis (MorrisResult), in the metric's unit."""
    ax = plot.morris_chart(morris_result).axes[0]
    points = ax.collections[-1].get_offsets()
    np.testing.assert_allclose(np.asarray(points)[:, 0], morris_result.mu_star, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(points)[:, 1], morris_result.sigma, rtol=1e-12)
    assert [t.get_text() for t in ax.texts] == [r.path for r in morris_result.ranges]
    assert "[fraction per full range]" in ax.get_xlabel()


def test_macro_chain_stacks_to_the_required_revenue_beside_bain_and_sequoia(macro):
    """$2.68T a year to earn the WACC on 200 GW (dcecon run bain-200gw-2030 --json), beside Bain's $2T and
    Sequoia's $600B (their published figures)."""
    scenario, figures = macro
    ax = plot.macro_chain(scenario, figures).axes[0]
    patches = [p for p in ax.patches if abs(p.get_x() + p.get_width() / 2) < 1e-9]
    assert sum(p.get_height() for p in patches) * 1e12 == pytest.approx(figures["required_revenue_usd_per_year"],
                                                                        rel=1e-12)
    heights = {round(p.get_x() + p.get_width() / 2): p.get_height() for p in ax.patches}
    assert heights[1] == pytest.approx(2.0, rel=1e-12) and heights[2] == pytest.approx(0.6, rel=1e-12)
    assert "200 GW demand -> 166.7 GW IT" in ax.texts[-1].get_text()


# --- --plot DIR -------------------------------------------------------------------------------------------------

def _loads(folder, stems):
    for stem in stems:
        image = matplotlib.image.imread(folder / f"{stem}.png")
        assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 600
        root = ElementTree.parse(folder / f"{stem}.svg").getroot()
        assert root.tag.endswith("svg")
    assert not [p for p in folder.iterdir() if p.name.startswith(".")], "a temporary file was left"


def test_run_plot_writes_png_and_svg_that_load(tmp_path, capsys):
    folder = tmp_path / "new" / "figures"  # missing parents are created, as --out does
    assert main(["run", SCENARIO, "--backend", "numpy", "--json", "--plot", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert '"scenario": "h100-neocloud-2024"' in out
    assert err.startswith(f"dcecon: wrote 8 files (PNG and SVG) to {folder}")
    _loads(folder, ("rented-dollar", "pnl-by-cohort", "cumulative-cash", "price-vs-cost"))
    before = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    capsys.readouterr()
    assert main(["run", SCENARIO, "--backend", "numpy", "--json", "--plot", str(folder)]) == 2  # not without --force
    out, err = capsys.readouterr()
    assert out == "" and err == f"dcecon: error: --plot: {folder / 'rented-dollar.png'}: exists; pass --force to replace it\n"
    assert {p.name: p.stat().st_mtime_ns for p in folder.iterdir()} == before  # nothing written
    assert main(["run", SCENARIO, "--backend", "numpy", "--json", "--plot", str(folder), "--force"]) == 0
    assert len(list(folder.iterdir())) == 8


def test_run_plot_of_the_macro_scenario(tmp_path, capsys):
    assert main(["run", "bain-200gw-2030", "--plot", str(tmp_path)]) == 0
    _loads(tmp_path, ("macro-chain",))


@pytest.mark.parametrize("argv, stems", [
    (["grid", SCENARIO, "--axis", "cohorts.0.utilization=0.6:1:3", "--axis", "cohorts.0.price_usd_per_gpu_hour=1.5:2.5:3",
      "--quiet"], ("heatmap-gross_margin", "heatmap-npv_usd")),
    (["table", SCENARIO, "--rows", "cohorts.0.utilization=0.6:1:3", "--cols", "cohorts.0.price_usd_per_gpu_hour=1.5:2.5:3"],
     ("heatmap-npv_usd",)),
    (["tornado", SCENARIO, "--vary", "site.pue=1.1:1.6", "--vary", "cohorts.0.utilization=0.7:1", "--spider", "3"],
     ("tornado-gross_margin", "spider-gross_margin")),
    (["montecarlo", SCENARIO, "--vary", "cohorts.0.utilization=uniform(0.6,1)", "--draws", "256"],
     ("histogram-npv_usd", "cdf-npv_usd")),
    (["sobol", SCENARIO, "--vary", "site.pue=1.1:1.6", "--vary", "cohorts.0.utilization=0.7:1", "--n", "64"],
     ("sobol-gross_margin",)),
], ids=["grid", "table", "tornado", "montecarlo", "sobol"])
def test_each_command_plot_writes_its_figures(argv, stems, tmp_path, capsys):
    assert main([*argv, "--backend", "numpy", "--json", "--plot", str(tmp_path)]) == 0
    assert "dcecon: wrote" in capsys.readouterr().err
    _loads(tmp_path, stems)


@pytest.mark.parametrize("command", [["run", SCENARIO], ["grid", SCENARIO, "--axis", "site.pue=1.1,1.2"],
                                     ["table", SCENARIO, "--rows", "site.pue=1.1,1.2"],
                                     ["tornado", SCENARIO, "--vary", "site.pue=1.1:1.6"],
                                     ["montecarlo", SCENARIO, "--vary", "site.pue=uniform(1.1,1.6)"],
                                     ["sobol", SCENARIO, "--vary", "site.pue=1.1:1.6"]],
                         ids=lambda c: c[0])
def test_plot_on_a_path_that_is_a_file_is_one_line_exit_2(command, tmp_path, capsys):
    target = tmp_path / "figures"
    target.write_text("not a folder")
    assert main([*command, "--backend", "numpy", "--plot", str(target)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"dcecon: error: --plot: {target}: exists and is not a folder\n"
    assert target.read_text() == "not a folder" and sorted(p.name for p in tmp_path.iterdir()) == ["figures"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_plot_in_an_unwritable_folder_is_one_line_exit_2(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["run", SCENARIO, "--backend", "numpy", "--plot", str(locked)]) == 2
        assert main(["run", SCENARIO, "--backend", "numpy", "--plot", str(locked / "sub")]) == 2
    finally:
        locked.chmod(0o700)
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [f"dcecon: error: --plot: {locked}: is a folder that cannot be written",
                                f"dcecon: error: --plot: {locked / 'sub'}: its folder cannot be created here "
                                "(no writable parent)"]
    assert list(locked.iterdir()) == []


def test_plot_of_a_kind_without_figures_is_one_line_exit_2(tmp_path, capsys):
    assert main(["run", "ai-debt-2025", "--plot", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no figures for a scenario of kind 'debt' yet" in err
    assert not (tmp_path / "x").exists()


def test_dcecon_plot_is_the_figure_namespace_and_the_cli_does_not_load_matplotlib():
    """``dcecon.plot.rented_dollar`` is the function; building the parser (every command's --plot) in a fresh
    process imports no matplotlib."""
    assert dcecon.plot.rented_dollar is plot.run.rented_dollar
    assert "plot" in dcecon.__all__
    code = ("import sys; from dcecon.cli.main import build_parser; build_parser(); "
            "print('matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_a_figure_that_fails_to_render_writes_nothing(tmp_path):
    """All figures render in memory before the first file is written."""
    good, _ = style.new_figure()
    good.axes[0].set_xlabel("x [m]")

    class Broken:
        def savefig(self, *args, **kwargs):
            raise RuntimeError("cannot render")

    with pytest.raises(RuntimeError):
        plot.write_figures({"good": good, "broken": Broken()}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_money_axes_scale_to_the_largest_magnitude():
    """$2.68T -> trillion USD; $51.3M -> million USD; non-finite values are ignored."""
    assert style.money_scale([2.676e12, 1e9]) == (1e12, "trillion USD")
    assert style.money_scale([-51.3e6, math.inf, math.nan]) == (1e6, "million USD")
    assert style.money_scale([12.0]) == (1.0, "USD")
