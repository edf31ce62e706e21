"""The workbooks of ``dcecon table``, ``tornado``, ``montecarlo``, ``sobol`` and ``morris`` (docs/workbook.md).

Each writes the analysis's result object as it is (the numbers of the command's ``--json``), with a native
chart; the few cells that are sums or differences of cells beside them (a tornado's swing, a histogram's
shares, a Sobol' interval) are formulas.
"""

from __future__ import annotations

import math

import numpy as np

from dcecon.model.metrics import HIGHER_IS_BETTER
from dcecon.report.units import field_unit
from dcecon.report.workbook.about import about_rows, write_about
from dcecon.report.workbook.cells import (Book, cell, figure_unit, header, safe_ratio_formula, sheet_range, span,
                                          three_colour_scale, unit_text, write_formula, write_headers, write_title,
                                          write_value)

MAX_SERIES = 24
"""Most rows of a two-way table drawn as lines on its chart (evenly picked when there are more)."""


def finite_or_nan(value) -> float:
    """``value`` as a float (None: NaN)."""
    return math.nan if value is None else float(value)


# --- dcecon table -----------------------------------------------------------------------------------------------

def charted_rows(n_rows: int) -> list[int]:
    """Which rows of a table its chart draws: all, or :data:`MAX_SERIES` evenly spaced ones."""
    if n_rows <= MAX_SERIES:
        return list(range(n_rows))
    return sorted(set(np.linspace(0, n_rows - 1, MAX_SERIES).round().astype(int).tolist()))


def write_table(book: Book, output) -> None:
    """The data table's workbook: the table with a 3-colour scale, its break-even column (or row) when it was
    asked for, and a line chart of the metric against the column (or row) values."""
    table = output.result
    about = about_rows(output, table.scenario, table.backend, "float64")  # a data table computes in float64
    write_about(book, f"dcecon table {table.scenario}: workbook", about,
                (("Table", "the metric in each cell, a 3-colour scale; the exact break-even of each row "
                           "(with --breakeven); a line chart"),))
    ws = book.workbook.add_worksheet("Table")
    unit = figure_unit(table.metric)
    row_unit = field_unit(table.row_path)
    two_way = table.col_path is not None
    title = f"{header(table.metric, unit)} by {table.row_path}" + (f" and {table.col_path}" if two_way else "")
    write_title(book, ws, 0, f"Data table of {table.scenario}: {title}")
    top = 2
    ws.set_column(0, 0, 34)
    cols = table.col_values if two_way else np.asarray([math.nan])
    if two_way:
        col_unit = field_unit(table.col_path)
        ws.write_string(top - 1, 1, f"columns: {header(table.col_path, col_unit)}", book.format(bold=True))
        ws.write_string(top, 0, f"{header(table.row_path, row_unit)} \\ {header(table.metric, unit)}",
                        book.format(bold=True, bottom=1))
        for c, value in enumerate(cols, start=1):
            write_value(book, ws, top, c, float(value), book.number(col_unit, table.col_path, bold=True, bottom=1))
    else:
        write_headers(book, ws, top, (header(table.row_path, row_unit), header(table.metric, unit)))
    first = top + 1
    for k, value in enumerate(table.row_values):
        write_value(book, ws, first + k, 0, float(value), book.number(row_unit, table.row_path, bold=True))
        for c, number in enumerate(table.values[k], start=1):
            write_value(book, ws, first + k, c, float(number), book.number(unit, table.metric))
    last = first + len(table.row_values) - 1
    n_cols = table.values.shape[1]
    ws.set_column(1, n_cols + 3, 16)
    three_colour_scale(ws, first, 1, last, n_cols, table.metric in HIGHER_IS_BETTER)
    if table.breakeven is not None:
        write_breakeven(book, ws, table, first, last, n_cols)
    ws.insert_chart(last + 4, 1, table_chart(book, table, first, n_cols))


def write_breakeven(book: Book, ws, table, first: int, last: int, n_cols: int) -> None:
    """The break-even: a two-way table's column value where the metric is zero, beside each row; a one-way
    table's row value, under the table."""
    frame = table.breakeven
    solved = table.col_path or table.row_path
    solved_unit = field_unit(solved)
    unit = figure_unit(table.metric)
    lo, hi = table.search
    note = f"searched within {lo:g} to {hi:g}; method: closed form, bracketed root, or none in range"
    if table.col_path is not None:
        c = n_cols + 2
        write_headers(book, ws, first - 1, (header(f"break-even {solved}", solved_unit),
                                            header(f"{table.metric} there", unit), "method"), first_col=c)
        for k, (x, achieved, method) in enumerate(zip(frame[solved], frame[table.metric], frame["method"])):
            write_value(book, ws, first + k, c, float(x), book.number(solved_unit, solved))
            write_value(book, ws, first + k, c + 1, float(achieved), book.number(unit, table.metric))
            ws.write_string(first + k, c + 2, str(method))
        ws.write_string(last + 1, c, note, book.format(italic=True))
        return
    row = last + 2
    write_headers(book, ws, row, (header(f"break-even {solved}", solved_unit), header(f"{table.metric} there", unit),
                                  "method"))
    write_value(book, ws, row + 1, 0, float(frame[solved].iloc[0]), book.number(solved_unit, solved))
    write_value(book, ws, row + 1, 1, float(frame[table.metric].iloc[0]), book.number(unit, table.metric))
    ws.write_string(row + 1, 2, str(frame["method"].iloc[0]))
    ws.write_string(row + 2, 0, note, book.format(italic=True))


def table_chart(book: Book, table, first: int, n_cols: int):
    """Line chart of the metric against the column values, one line per row (:func:`charted_rows`); a one-way
    table: the metric against the row values."""
    chart = book.workbook.add_chart({"type": "line"})
    unit = figure_unit(table.metric)
    if table.col_path is None:
        last = first + len(table.row_values) - 1
        chart.add_series({"name": table.metric, "categories": sheet_range("Table", first, 0, last, 0),
                          "values": sheet_range("Table", first, 1, last, 1), "marker": {"type": "circle"}})
        chart.set_x_axis({"name": header(table.row_path, field_unit(table.row_path))})
    else:
        for k in charted_rows(len(table.row_values)):
            chart.add_series({"name": f"='Table'!{cell(first + k, 0, True)}",
                              "categories": sheet_range("Table", first - 1, 1, first - 1, n_cols),
                              "values": sheet_range("Table", first + k, 1, first + k, n_cols),
                              "marker": {"type": "circle"}})
        chart.set_x_axis({"name": header(table.col_path, field_unit(table.col_path))})
        chart.set_legend({"position": "right"})
    chart.set_title({"name": f"{table.metric} ({table.scenario})"})
    chart.set_y_axis({"name": header(table.metric, unit)})
    chart.set_size({"width": 720, "height": 380})
    return chart


# --- dcecon tornado ---------------------------------------------------------------------------------------------

TORNADO_FIRST_ROW = 5
"""Zero-based row of the first input on the Tornado sheet."""


def swing_formula(low_cell: str, high_cell: str) -> str:
    """``|metric at high - metric at low|``, the text ``nan`` when either is not a number."""
    return f'=IF(AND(ISNUMBER({low_cell}),ISNUMBER({high_cell})),ABS({high_cell}-{low_cell}),"nan")'


def delta_formula(value_cell: str, base_cell: str) -> str:
    """``value - base``, the text ``nan`` when either is not a number."""
    return f'=IF(AND(ISNUMBER({value_cell}),ISNUMBER({base_cell})),{value_cell}-{base_cell},"nan")'


def write_tornado(book: Book, output) -> None:
    """The tornado's workbook: its inputs sorted by swing (largest first), the swing and each end's change from
    the base as formulas, a native bar chart; the spider points with a scatter chart when computed."""
    result = output.result
    sheets = [("Tornado", "each input's low and high value, the metric there, the swing (formula); bar chart")]
    if result.spider:
        sheets.append(("Spider", "the metric at evenly spaced values of each input; scatter chart"))
    rows = about_rows(output, result.scenario, result.backend, result.dtype)
    rows.append(("scenarios evaluated", result.n_points))
    write_about(book, f"dcecon tornado {result.scenario}: workbook", rows, sheets)
    ws = book.workbook.add_worksheet("Tornado")
    unit = figure_unit(result.metric)
    metric_fmt = book.number(unit, result.metric)
    write_title(book, ws, 0, f"Tornado of {header(result.metric, unit)}: one input at a time, the others at base")
    ws.write_string(2, 0, header(f"base {result.metric}", unit), book.format(bold=True))
    write_value(book, ws, 2, 1, result.base_metric, metric_fmt)
    base_cell = cell(2, 1, absolute=True)
    headers = ("input", "unit of the input", header("base value", "unit of the input"), "low (as given)",
               "high (as given)", header("low value", "unit of the input"), header("high value", "unit of the input"),
               header(f"{result.metric} at low", unit), header(f"{result.metric} at high", unit),
               header("swing", unit), header("low - base", unit), header("high - base", unit))
    first = TORNADO_FIRST_ROW
    write_headers(book, ws, first - 1, headers)
    ws.set_row(first - 1, 45)
    ws.set_column(0, 0, 36)
    ws.set_column(1, len(headers) - 1, 15)
    for k, s in enumerate(result.inputs):
        row = first + k
        field = field_unit(s.path)
        field_fmt = book.number(field, s.path)
        ws.write_string(row, 0, s.path)
        ws.write_string(row, 1, unit_text(field))
        write_value(book, ws, row, 2, s.base, field_fmt)
        ws.write_string(row, 3, s.low_text)
        ws.write_string(row, 4, s.high_text)
        write_value(book, ws, row, 5, s.low, field_fmt)
        write_value(book, ws, row, 6, s.high, field_fmt)
        write_value(book, ws, row, 7, s.metric_at_low, metric_fmt)
        write_value(book, ws, row, 8, s.metric_at_high, metric_fmt)
        formula_fmt = book.formula(unit, result.metric)
        write_formula(book, ws, row, 9, swing_formula(cell(row, 7), cell(row, 8)), formula_fmt, s.swing)
        write_formula(book, ws, row, 10, delta_formula(cell(row, 7), base_cell), formula_fmt,
                      s.metric_at_low - result.base_metric)
        write_formula(book, ws, row, 11, delta_formula(cell(row, 8), base_cell), formula_fmt,
                      s.metric_at_high - result.base_metric)
    last = first + len(result.inputs) - 1
    chart = book.workbook.add_chart({"type": "bar"})
    for col, name, colour in ((10, "at low value", "#7F7F7F"), (11, "at high value", "#1F4E79")):
        chart.add_series({"name": name, "categories": sheet_range("Tornado", first, 0, last, 0),
                          "values": sheet_range("Tornado", first, col, last, col), "fill": {"color": colour},
                          "border": {"color": "black"}, "overlap": 100, "gap": 60})
    chart.set_title({"name": f"Tornado of {result.metric}: change from the base"})
    chart.set_x_axis({"name": header(f"{result.metric} - base", unit)})
    chart.set_y_axis({"reverse": True})
    chart.set_size({"width": 720, "height": 120 + 40 * max(len(result.inputs), 1)})
    ws.insert_chart(last + 3, 0, chart)
    if result.spider:
        write_spider(book, result)


def write_spider(book: Book, result) -> None:
    """The Spider sheet: each input's points (value, change from base, metric) and a scatter chart of the
    metric against the change."""
    ws = book.workbook.add_worksheet("Spider")
    unit = figure_unit(result.metric)
    write_title(book, ws, 0, f"Spider of {header(result.metric, unit)}: the metric against each input's change "
                             "from its base value")
    write_headers(book, ws, 2, ("input", header("value", "unit of the input"), header("change", "-"),
                                header(result.metric, unit)))
    ws.set_column(0, 0, 36)
    ws.set_column(1, 3, 16)
    chart = book.workbook.add_chart({"type": "scatter", "subtype": "straight_with_markers"})
    row = 3
    for line in result.spider:
        first = row
        for value, change, metric in zip(line.values, line.changes, line.metric):
            ws.write_string(row, 0, line.path)
            write_value(book, ws, row, 1, float(value), book.number(field_unit(line.path), line.path))
            write_value(book, ws, row, 2, float(change), book.number("-"))
            write_value(book, ws, row, 3, float(metric), book.number(unit, result.metric))
            row += 1
        chart.add_series({"name": line.path, "categories": sheet_range("Spider", first, 2, row - 1, 2),
                          "values": sheet_range("Spider", first, 3, row - 1, 3), "marker": {"type": "circle"}})
    chart.set_title({"name": f"Spider of {result.metric}"})
    chart.set_x_axis({"name": header("change from base", "-"), "num_format": "0%"})
    chart.set_y_axis({"name": header(result.metric, unit)})
    chart.set_size({"width": 720, "height": 400})
    ws.insert_chart(2, 5, chart)


# --- dcecon montecarlo ------------------------------------------------------------------------------------------

def histogram_bins(n_draws: int) -> int:
    """Bins of the histogram of ``n_draws`` finite draws: sqrt(n), between 10 and 60 (as the figure)."""
    return min(60, max(10, int(math.sqrt(max(n_draws, 1)))))


def histogram(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(counts, edges)`` of the finite ``values`` over :func:`histogram_bins` equal bins from their min to
    their max."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.histogram(finite, bins=histogram_bins(finite.size))


def write_monte_carlo(book: Book, output) -> None:
    """The Monte Carlo workbook: headline figures, statistics and percentiles of every metric, a histogram of
    the ``--metric`` (shares as formulas) with a column chart, the inputs' distributions and the regression
    tornado."""
    result = output.result
    rows = about_rows(output, result.scenario, result.backend, result.dtype)
    rows += [("draws", result.draws), ("seed", result.seed), ("kept draws", result.kept_draws)]
    write_about(book, f"dcecon montecarlo {result.scenario}: workbook", rows, (
        ("Summary", "draws, P(NPV < 0) and P(gross margin < 0) with standard errors, expected shortfall, the "
                    "metric's mean; the inputs' distributions"),
        ("Statistics", "per metric: mean, standard error, std, min, max, P(X < 0), expected shortfall"),
        ("Percentiles", "per metric: P1 to P99 with 95% confidence intervals"),
        ("Histogram", f"the distribution of {result.metric} over the kept draws; column chart"),
        ("Regression", f"standardized rank regression of {result.metric} on the inputs; bar chart")))
    write_mc_summary(book, result)
    write_mc_statistics(book, result)
    write_mc_percentiles(book, result)
    write_mc_histogram(book, result)
    write_mc_regression(book, result)


SUMMARY_UNITS = {"draws": "draws", "mean": None, "se": None, "p_npv_negative": "-", "p_npv_negative_se": "-",
                 "p_gross_margin_negative": "-", "p_gross_margin_negative_se": "-",
                 "expected_shortfall_npv_usd_5": "USD"}
"""Units of the headline figures (None: the metric's)."""


def write_mc_summary(book: Book, result) -> None:
    """The Summary sheet: headline figures and the inputs' distributions."""
    ws = book.workbook.add_worksheet("Summary")
    write_title(book, ws, 0, f"Monte Carlo over {result.scenario}: {result.draws:,} draws, seed {result.seed}")
    write_headers(book, ws, 2, ("figure", "value", "unit"))
    ws.set_column(0, 0, 40)
    ws.set_column(1, 2, 30)
    row = 2
    for name, value in result.summary.items():
        if name in ("metric", "converged"):
            continue
        row += 1
        unit = SUMMARY_UNITS.get(name, "value") or figure_unit(result.metric)
        label = f"{name} ({result.metric})" if name in ("mean", "se") else name
        ws.write_string(row, 0, label)
        write_value(book, ws, row, 1, value, book.number(unit, name))
        ws.write_string(row, 2, unit_text(unit))
    row += 2
    write_headers(book, ws, row, ("input", "distribution", "unit"))
    for path, distribution in zip(result.inputs, result.distributions):
        row += 1
        ws.write_string(row, 0, path)
        ws.write_string(row, 1, distribution)
        ws.write_string(row, 2, unit_text(field_unit(path)))


STAT_COUNTS = ("draws", "finite", "nan")
STAT_VALUES = ("mean", "se", "std", "min", "max", "expected_shortfall_5")
STAT_SHARES = ("share_negative", "share_negative_se")


def write_mc_statistics(book: Book, result) -> None:
    """The Statistics sheet: one row per metric."""
    ws = book.workbook.add_worksheet("Statistics")
    write_title(book, ws, 0, "Statistics of every metric over every draw")
    headers = (["metric", "unit"] + [header(n, "draws") for n in STAT_COUNTS]
               + [header(n, "unit of the metric") for n in STAT_VALUES] + [header(n, "-") for n in STAT_SHARES])
    write_headers(book, ws, 2, headers)
    ws.set_row(2, 45)
    ws.set_column(0, 0, 34)
    ws.set_column(1, len(headers) - 1, 15)
    for k, metric in enumerate(result.metrics):
        row = 3 + k
        stats = result.statistics[metric]
        unit = figure_unit(metric)
        ws.write_string(row, 0, metric)
        ws.write_string(row, 1, unit_text(unit))
        c = 2
        for names, fmt in ((STAT_COUNTS, book.number("count")), (STAT_VALUES, book.number(unit, metric)),
                           (STAT_SHARES, book.number("-"))):
            for name in names:
                write_value(book, ws, row, c, stats.get(name), fmt)
                c += 1


def write_mc_percentiles(book: Book, result) -> None:
    """The Percentiles sheet: per metric, P1 to P99 with their 95% confidence intervals."""
    ws = book.workbook.add_worksheet("Percentiles")
    write_title(book, ws, 0, "Percentiles over every draw, with 95% confidence intervals")
    write_headers(book, ws, 2, ("metric", "unit", header("percentile", "%"), header("value", "unit of the metric"),
                                header("low", "unit of the metric"), header("high", "unit of the metric")))
    ws.set_row(2, 30)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 5, 16)
    frame = result.percentiles_frame()
    for k, (metric, percentile, value, low, high) in enumerate(frame[["metric", "percentile", "value", "low",
                                                                      "high"]].itertuples(index=False)):
        row = 3 + k
        unit = figure_unit(metric)
        fmt = book.number(unit, metric)
        ws.write_string(row, 0, metric)
        ws.write_string(row, 1, unit_text(unit))
        write_value(book, ws, row, 2, percentile, book.number("count"))
        for c, number in ((3, value), (4, low), (5, high)):
            write_value(book, ws, row, c, finite_or_nan(number), fmt)


def write_mc_histogram(book: Book, result) -> None:
    """The Histogram sheet: the ``--metric`` over the kept draws, each bin's share a formula, a column chart."""
    ws = book.workbook.add_worksheet("Histogram")
    metric = result.metric
    unit = figure_unit(metric)
    column = list(result.metrics).index(metric)
    counts, edges = histogram(np.asarray(result.kept_metrics, dtype=np.float64)[:, column])
    write_title(book, ws, 0, f"Histogram of {header(metric, unit)}: the first {result.kept_draws:,} of "
                             f"{result.draws:,} draws (finite values), equal bins from the min to the max")
    write_headers(book, ws, 2, (header("bin low", unit), header("bin high", unit), header("bin middle", unit),
                                header("draws", "draws"), header("share", "-")))
    ws.set_row(2, 30)
    ws.set_column(0, 4, 18)
    first = 3
    last = first + len(counts) - 1
    total = max(int(counts.sum()), 0)
    fmt = book.number(unit, metric)
    for k, count in enumerate(counts):
        row = first + k
        write_value(book, ws, row, 0, float(edges[k]), fmt)
        write_value(book, ws, row, 1, float(edges[k + 1]), fmt)
        write_formula(book, ws, row, 2, f"=({cell(row, 0)}+{cell(row, 1)})/2", book.formula(unit, metric),
                      (float(edges[k]) + float(edges[k + 1])) / 2)
        write_value(book, ws, row, 3, int(count), book.number("count"))
        write_formula(book, ws, row, 4, safe_ratio_formula(cell(row, 3), cell(last + 1, 3, absolute=True)),
                      book.formula("-"), count / total if total else math.nan)
    ws.write_string(last + 1, 0, "total (formula)", book.format(bold=True, top=1))
    write_formula(book, ws, last + 1, 3, f"=SUM({span(first, 3, last)})", book.formula("count", bold=True, top=1),
                  total)
    if len(counts) == 0:
        ws.write_string(first, 0, f"no finite {metric} among the kept draws")
        return
    chart = book.workbook.add_chart({"type": "column"})
    chart.add_series({"name": "draws", "categories": sheet_range("Histogram", first, 2, last, 2),
                      "values": sheet_range("Histogram", first, 3, last, 3), "gap": 0,
                      "fill": {"color": "#A6A6A6"}, "border": {"color": "black"}})
    chart.set_title({"name": f"Distribution of {metric}"})
    chart.set_x_axis({"name": header(f"{metric}, bin middle", unit), "num_format": "#,##0.###"})
    chart.set_y_axis({"name": header("draws", "draws")})
    chart.set_legend({"none": True})
    chart.set_size({"width": 760, "height": 380})
    ws.insert_chart(2, 6, chart)


def write_mc_regression(book: Book, result) -> None:
    """The Regression sheet: the regression tornado of the ``--metric`` (SRRC, share of variance, Spearman) and
    a bar chart of the SRRCs."""
    ws = book.workbook.add_worksheet("Regression")
    frame = result.regression_frame()
    write_title(book, ws, 0, f"Standardized rank regression of {result.metric} on the inputs (kept draws)")
    columns = list(frame.columns)
    write_headers(book, ws, 2, [c if c == "input" else header(c, "-") for c in columns])
    ws.set_row(2, 30)
    ws.set_column(0, 0, 36)
    ws.set_column(1, len(columns), 16)
    for k, values in enumerate(frame.itertuples(index=False)):
        for c, value in enumerate(values):
            write_value(book, ws, 3 + k, c, value if c == 0 else finite_or_nan(value),
                        None if c == 0 else book.number("ratio" if columns[c] in ("srrc", "spearman") else "-"))
    if len(frame) == 0 or "srrc" not in columns:
        return
    last = 3 + len(frame) - 1
    col = columns.index("srrc")
    chart = book.workbook.add_chart({"type": "bar"})
    chart.add_series({"name": "SRRC", "categories": sheet_range("Regression", 3, 0, last, 0),
                      "values": sheet_range("Regression", 3, col, last, col), "fill": {"color": "#1F4E79"}})
    chart.set_title({"name": f"Regression tornado of {result.metric}"})
    chart.set_x_axis({"name": header("standardized rank regression coefficient", "-")})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    ws.insert_chart(last + 2, 0, chart)


# --- dcecon sobol and morris ------------------------------------------------------------------------------------

def write_sobol(book: Book, output) -> None:
    """The Sobol' workbook: S1 and ST per input with their confidence intervals (bounds as formulas), a
    column chart with the intervals as error bars, and second-order indices when computed."""
    result = output.result
    rows = about_rows(output, result.scenario, result.backend, result.dtype)
    rows += [("base sample n", result.n), ("model evaluations", result.n_evaluations), ("seed", result.seed),
             ("confidence level", f"{result.conf_level:.0%} (bootstrap, normal approximation)"),
             (header(f"mean {result.metric}", figure_unit(result.metric)), result.mean),
             (header(f"std {result.metric}", figure_unit(result.metric)), result.std)]
    write_about(book, f"dcecon sobol {result.scenario}: workbook", rows, (
        ("Indices", "first-order (S1) and total (ST) indices per input, by ST, with confidence intervals; "
                    "column chart with error bars"),))
    ws = book.workbook.add_worksheet("Indices")
    write_title(book, ws, 0, f"Sobol' indices of {result.metric} ({result.conf_level:.0%} confidence intervals: "
                             "index ± half-width)")
    headers = ("input", "unit of the input", header("low", "unit of the input"), header("high", "unit of the input"),
               header("S1", "-"), header("S1 half-width", "-"), header("S1 low", "-"), header("S1 high", "-"),
               header("ST", "-"), header("ST half-width", "-"), header("ST low", "-"), header("ST high", "-"))
    write_headers(book, ws, 2, headers)
    ws.set_row(2, 30)
    ws.set_column(0, 0, 36)
    ws.set_column(1, len(headers) - 1, 14)
    first = 3
    frame = result.to_frame()
    for k, r in enumerate(frame.itertuples(index=False)):
        row = first + k
        unit = field_unit(r.input)
        ws.write_string(row, 0, r.input)
        ws.write_string(row, 1, unit_text(unit))
        write_value(book, ws, row, 2, r.low, book.number(unit, r.input))
        write_value(book, ws, row, 3, r.high, book.number(unit, r.input))
        for c, index, half in ((4, r.S1, r.S1_conf), (8, r.ST, r.ST_conf)):
            write_value(book, ws, row, c, index, book.number("ratio"))
            write_value(book, ws, row, c + 1, half, book.number("ratio"))
            write_formula(book, ws, row, c + 2, f"={cell(row, c)}-{cell(row, c + 1)}", book.formula("ratio"),
                          index - half)
            write_formula(book, ws, row, c + 3, f"={cell(row, c)}+{cell(row, c + 1)}", book.formula("ratio"),
                          index + half)
    last = first + len(frame) - 1
    chart = book.workbook.add_chart({"type": "column"})
    for c, name, colour in ((4, "S1 (first order)", "#A6A6A6"), (8, "ST (total)", "#1F4E79")):
        half = sheet_range("Indices", first, c + 1, last, c + 1)
        chart.add_series({"name": name, "categories": sheet_range("Indices", first, 0, last, 0),
                          "values": sheet_range("Indices", first, c, last, c), "fill": {"color": colour},
                          "border": {"color": "black"},
                          "y_error_bars": {"type": "custom", "plus_values": half, "minus_values": half}})
    chart.set_title({"name": f"Sobol' indices of {result.metric}"})
    chart.set_y_axis({"name": header("index", "-"), "num_format": "0.00"})
    chart.set_size({"width": 720, "height": 380})
    ws.insert_chart(last + 2, 0, chart)
    if result.s2 is not None:
        write_second_order(book, ws, result, last + 22)


def write_second_order(book: Book, ws, result, row: int) -> None:
    """Second-order indices per pair of inputs, largest first."""
    ws.write_string(row, 0, "Second-order indices (pairs of inputs)", book.format(bold=True))
    write_headers(book, ws, row + 1, ("input a", "input b", header("S2", "-"), header("S2 half-width", "-")))
    for k, r in enumerate(result.second_order_frame().itertuples(index=False)):
        ws.write_string(row + 2 + k, 0, r.input_a)
        ws.write_string(row + 2 + k, 1, r.input_b)
        write_value(book, ws, row + 2 + k, 2, r.S2, book.number("ratio"))
        write_value(book, ws, row + 2 + k, 3, r.S2_conf, book.number("ratio"))


def write_morris(book: Book, output) -> None:
    """The Morris workbook: mu, mu*, its confidence half-width and sigma per input (by mu*), and a bar chart
    of mu*."""
    result = output.result
    unit = figure_unit(result.metric)
    rows = about_rows(output, result.scenario, result.backend, result.dtype)
    rows += [("trajectories", result.trajectories), ("levels", result.levels), ("seed", result.seed),
             ("model evaluations", result.n_evaluations)]
    write_about(book, f"dcecon morris {result.scenario}: workbook", rows,
                (("Morris", "elementary effects per input, by mu*; bar chart of mu*"),))
    ws = book.workbook.add_worksheet("Morris")
    write_title(book, ws, 0, f"Morris screening of {result.metric}: elementary effects per full range of each input")
    per_range = f"{figure_unit(result.metric)} per full range" if unit != "-" else "fraction per full range"
    headers = ("input", "unit of the input", header("low", "unit of the input"), header("high", "unit of the input"),
               header("mu", per_range), header("mu_star", per_range), header("mu_star half-width", per_range),
               header("sigma", per_range))
    write_headers(book, ws, 2, headers)
    ws.set_row(2, 45)
    ws.set_column(0, 0, 36)
    ws.set_column(1, len(headers) - 1, 16)
    frame = result.to_frame()
    fmt = book.number(unit, result.metric)
    for k, r in enumerate(frame.itertuples(index=False)):
        row = 3 + k
        field = field_unit(r.input)
        ws.write_string(row, 0, r.input)
        ws.write_string(row, 1, unit_text(field))
        write_value(book, ws, row, 2, r.low, book.number(field, r.input))
        write_value(book, ws, row, 3, r.high, book.number(field, r.input))
        for c, value in ((4, r.mu), (5, r.mu_star), (6, r.mu_star_conf), (7, r.sigma)):
            write_value(book, ws, row, c, value, fmt)
    last = 3 + len(frame) - 1
    chart = book.workbook.add_chart({"type": "bar"})
    half = sheet_range("Morris", 3, 6, last, 6)
    chart.add_series({"name": "mu*", "categories": sheet_range("Morris", 3, 0, last, 0),
                      "values": sheet_range("Morris", 3, 5, last, 5), "fill": {"color": "#1F4E79"},
                      "x_error_bars": {"type": "custom", "plus_values": half, "minus_values": half}})
    chart.set_title({"name": f"Morris mu* of {result.metric}"})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"none": True})
    ws.insert_chart(last + 2, 0, chart)
