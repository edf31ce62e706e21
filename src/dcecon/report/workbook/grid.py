"""The workbook of ``dcecon grid``: summary statistics per metric, best and worst scenarios, main effects per
axis with a line chart each, and the 2-D tables as heatmaps (3-colour scales) (docs/workbook.md).

Every number is the grid run's own reduction (:class:`dcecon.grid_engine.result.GridResult`), the ones
``dcecon grid --json`` prints; nothing is recomputed.
"""

from __future__ import annotations

from dcecon.model.metrics import HIGHER_IS_BETTER
from dcecon.report.units import field_unit
from dcecon.report.workbook.about import about_rows, write_about
from dcecon.report.workbook.cells import (Book, figure_unit, header, sheet_range, three_colour_scale, unit_text,
                                          write_headers, write_title, write_value)

SUMMARY_SHEET, EXTREMES_SHEET, EFFECTS_SHEET, TABLES_SHEET = "Summary", "Best and worst", "Main effects", "Tables"

STAT_COLUMNS = ("mean", "std", "min", "p1", "p5", "p25", "p50", "p75", "p95", "p99", "max")
"""Statistics in the metric's unit, in the Summary sheet's order."""

COUNT_COLUMNS = ("count", "finite", "nan", "posinf", "neginf")
"""Counts of scenarios [scenarios]."""

HEADLINE_METRICS = ("npv_usd", "gross_margin", "irr")
"""Metrics whose best and worst scenarios the run reports (as ``--json``)."""

HEATMAP_METRICS = ("gross_margin", "npv_usd")
"""Metrics of the 2-D tables (those the run computed; else its first metric), as the figures draw them."""

MAX_COLUMNS = 16_000
"""Most values a 2-D table puts across (Excel has 16,384 columns); a longer axis goes down the rows."""


def heatmap_metrics(metrics) -> list[str]:
    """The metrics the Tables sheet shows: :data:`HEATMAP_METRICS` the run computed, else its first."""
    chosen = [m for m in HEATMAP_METRICS if m in metrics]
    return chosen or list(metrics[:1])


def chart_metric(metrics) -> str:
    """The metric the main-effect charts draw: NPV if computed, else gross margin, else the first."""
    for name in ("npv_usd", "gross_margin"):
        if name in metrics:
            return name
    return metrics[0]


def write_summary(book: Book, result) -> None:
    """The Summary sheet: the run's settings and dimensions, then one row per metric: counts, mean, std,
    quantiles, extremes, share negative, and the scenarios of the extremes."""
    ws = book.workbook.add_worksheet(SUMMARY_SHEET)
    summary = result.to_dict()
    row = write_title(book, ws, 0, f"Grid over {summary['scenario']}: {summary['n_scenarios']:,} scenarios") + 1
    for label, value, unit in (("scenarios", summary["n_scenarios"], "scenarios"),
                               ("share of scenarios with gross margin < 0", summary["share_gross_margin_negative"],
                                "-"),
                               ("share of scenarios with NPV < 0", summary["share_npv_negative"], "-"),
                               ("draws per grid point (sampled axes)", summary["samples"], "count"),
                               ("sampler", summary["sampler"], None), ("seed", summary["seed"], None),
                               ("quantile relative error", summary["quantile_relative_error"], "-")):
        ws.write_string(row, 0, header(label, unit))
        write_value(book, ws, row, 1, value, book.number(unit or "value"))
        row += 1
    row += 1
    write_headers(book, ws, row, ("axis", "unit", "spec", "values", "distribution"))
    for dim in summary["dimensions"]:
        row += 1
        ws.write_string(row, 0, dim["path"])
        ws.write_string(row, 1, unit_text(field_unit(dim["path"])))
        ws.write_string(row, 2, str(dim["spec"]))
        write_value(book, ws, row, 3, dim["size"], book.number("count"))
        write_value(book, ws, row, 4, dim["distribution"])
    row += 2
    headers = (["metric", "unit"] + [header(c, "scenarios") for c in COUNT_COLUMNS]
               + [header(c, "unit of the metric") for c in STAT_COLUMNS]
               + [header("share_negative", "-"), header("argmin", "index"), header("argmax", "index")])
    write_headers(book, ws, row, headers)
    ws.set_row(row, 45)
    for metric, stats in summary["metrics"].items():
        row += 1
        unit = figure_unit(metric)
        ws.write_string(row, 0, metric)
        ws.write_string(row, 1, unit_text(unit))
        c = 2
        for name in COUNT_COLUMNS:
            write_value(book, ws, row, c, stats[name], book.number("count"))
            c += 1
        for name in STAT_COLUMNS:
            write_value(book, ws, row, c, stats[name], book.number(unit, metric))
            c += 1
        write_value(book, ws, row, c, stats["share_negative"], book.number("-"))
        write_value(book, ws, row, c + 1, stats["argmin"], book.number("count"))
        write_value(book, ws, row, c + 2, stats["argmax"], book.number("count"))
    ws.set_column(0, 0, 44)
    ws.set_column(1, len(headers) - 1, 15)


def write_extremes(book: Book, result) -> None:
    """The Best and worst sheet: for NPV, gross margin and IRR (those computed), the best and the worst
    scenario, its value and its value of every axis."""
    ws = book.workbook.add_worksheet(EXTREMES_SHEET)
    summary = result.to_dict()
    paths = [d["path"] for d in summary["dimensions"]]
    write_title(book, ws, 0, "Best and worst scenarios (best: the maximum, or the minimum of a cost)")
    write_headers(book, ws, 2, ["which", "metric", header("value", "unit of the metric"), "unit",
                                header("scenario index", "index")] + [header(p, field_unit(p)) for p in paths])
    ws.set_row(2, 45)
    row = 2
    for which in ("best", "worst"):
        for metric, entry in summary[which].items():
            row += 1
            unit = figure_unit(metric)
            ws.write_string(row, 0, which)
            ws.write_string(row, 1, metric)
            write_value(book, ws, row, 2, entry["value"], book.number(unit, metric))
            ws.write_string(row, 3, unit_text(unit))
            write_value(book, ws, row, 4, entry["index"], book.number("count"))
            for c, path in enumerate(paths, start=5):
                value = entry.get("parameters", {}).get(path)
                write_value(book, ws, row, c, value, book.number(field_unit(path), path))
    ws.set_column(0, 4, 16)
    ws.set_column(5, 5 + len(paths), 24)


def write_main_effects(book: Book, result) -> None:
    """The Main effects sheet: for each axis, the mean of every metric at each of its values (or deciles of
    a sampled input) over all other inputs, and a line chart of one metric (:func:`chart_metric`)."""
    ws = book.workbook.add_worksheet(EFFECTS_SHEET)
    row = write_title(book, ws, 0, "Main effects: the mean of each metric at each value of one axis, over every "
                                   "other input") + 1
    frame = result.marginals
    metrics = list(result.metrics)
    drawn = chart_metric(metrics)
    ws.set_column(0, 1, 20)
    ws.set_column(2, 2 + len(metrics), 17)
    for d, axis in enumerate(result.plan.dimensions):
        part = frame[frame["path"] == axis.path]
        if part.empty:
            continue
        unit = field_unit(axis.path)
        ws.write_string(row, 0, f"{axis.path} ({axis.spec})", book.format(bold=True))
        row += 1
        write_headers(book, ws, row, [header(axis.path, unit), "label"]
                      + [header(f"mean {m}", figure_unit(m)) for m in metrics])
        ws.set_row(row, 45)
        first = row + 1
        values = part[part["metric"] == metrics[0]]
        for k, (value, label) in enumerate(zip(values["value"], values["label"])):
            write_value(book, ws, first + k, 0, float(value), book.number(unit, axis.path))
            ws.write_string(first + k, 1, str(label))
        for j, metric in enumerate(metrics):
            means = part[part["metric"] == metric]["mean"].to_numpy()
            for k, mean in enumerate(means):
                write_value(book, ws, first + k, 2 + j, float(mean), book.number(figure_unit(metric), metric))
        last = first + len(values) - 1
        col = 2 + metrics.index(drawn)
        chart = book.workbook.add_chart({"type": "line"})
        chart.add_series({"name": f"mean {drawn}", "categories": sheet_range(EFFECTS_SHEET, first, 1, last, 1),
                          "values": sheet_range(EFFECTS_SHEET, first, col, last, col),
                          "line": {"color": "black"}, "marker": {"type": "circle"}})
        chart.set_title({"name": f"Main effect of {axis.path} on {drawn}"})
        chart.set_x_axis({"name": header(axis.path, unit)})
        chart.set_y_axis({"name": header(f"mean {drawn}", figure_unit(drawn))})
        chart.set_legend({"none": True})
        chart.set_size({"width": 560, "height": 300})
        ws.insert_chart(first, 3 + len(metrics), chart)
        row = max(last + 2, first + 16)


def write_tables(book: Book, result) -> None:
    """The Tables sheet: each 2-D table the run kept, mean of :func:`heatmap_metrics` in each cell, rows the
    pair's first axis and columns its second (the longer axis down the rows when it would not fit across),
    with a 3-colour scale (green at the better end)."""
    ws = book.workbook.add_worksheet(TABLES_SHEET)
    row = write_title(book, ws, 0, "2-D tables: the mean of the metric in each cell, over every other input") + 1
    dims = result.plan.dimensions
    ws.set_column(0, 0, 30)
    if not result.merged.tables:
        ws.write_string(row, 0, "This run kept no 2-D table (fewer than two cartesian axes, or tables off).")
        return
    for a, b in result.merged.tables:
        y_path, x_path = dims[a].path, dims[b].path
        for metric in heatmap_metrics(result.metrics):
            frame = result.table(x_path, y_path, "mean", metric)
            if frame.shape[1] > MAX_COLUMNS:
                frame = frame.T
            unit = figure_unit(metric)
            rows_path, cols_path = frame.index.name, frame.columns.name
            ws.write_string(row, 0, f"mean {header(metric, unit)}: rows {header(rows_path, field_unit(rows_path))}, "
                                    f"columns {header(cols_path, field_unit(cols_path))}", book.format(bold=True))
            row += 1
            ws.write_string(row, 0, f"{rows_path} \\ {cols_path}", book.format(bold=True, bottom=1))
            for c, value in enumerate(frame.columns, start=1):
                write_value(book, ws, row, c, float(value),
                            book.number(field_unit(cols_path), cols_path, bold=True, bottom=1))
            first = row + 1
            for k, (value, cells) in enumerate(zip(frame.index, frame.to_numpy())):
                write_value(book, ws, first + k, 0, float(value), book.number(field_unit(rows_path), rows_path,
                                                                              bold=True))
                for c, number in enumerate(cells, start=1):
                    write_value(book, ws, first + k, c, float(number), book.number(unit, metric))
            last = first + frame.shape[0] - 1
            three_colour_scale(ws, first, 1, last, frame.shape[1], metric in HIGHER_IS_BETTER)
            row = last + 2


def write_grid(book: Book, output) -> None:
    """Every sheet of a grid run's workbook."""
    result = output.result
    name = result.plan.scenario.name
    rows = about_rows(output, name, result.stats.backend, result.stats.dtype)
    rows.append(("scenarios", f"{result.plan.n_scenarios:,}"))
    sheets = ((SUMMARY_SHEET, "the run's axes; per metric: counts, mean, std, quantiles, min, max, share < 0"),
              (EXTREMES_SHEET, "best and worst scenario of NPV, gross margin and IRR, with their axis values"),
              (EFFECTS_SHEET, "per axis: the mean of each metric at each value, over every other input; a line "
                              "chart each"),
              (TABLES_SHEET, "2-D tables of the mean gross margin and NPV, with 3-colour scales"))
    write_about(book, f"dcecon grid {name}: workbook", rows, sheets)
    write_summary(book, result)
    write_extremes(book, result)
    write_main_effects(book, result)
    write_tables(book, result)
