"""The workbook of ``dcecon run`` on a fleet scenario: P&L by period, where each rented dollar goes, the
investment view, cohorts, inputs with their sources (docs/workbook.md).

The window P&L's flows per period are the model's values (:attr:`dcecon.result.Result.periods`); COGS, gross
profit and gross margin per period, the Total row, the gross margin and each line per rented dollar are
formulas over them, so an analyst can trace every total to its periods. The model's own window figures sit
under them as values, to compare.
"""

from __future__ import annotations

from dcecon.model.fleet import ECONOMIC_NAMES, FINANCING_NAMES
from dcecon.report.units import description_unit
from dcecon.report.workbook.about import about_rows, write_about
from dcecon.report.workbook.cells import (Book, cell, figure_unit, header, safe_ratio_formula, sheet_range, span,
                                          unit_text, write_formula, write_headers, write_title, write_url, write_value)
from dcecon.result import extrapolation_note
from dcecon.scenario.paths import SET_PROVENANCE
from dcecon.scenario.sources import sources_used

PNL_SHEET, DOLLAR_SHEET, INVESTMENT_SHEET, COHORT_SHEET, INPUT_SHEET, SOURCE_SHEET = (
    "P&L", "Rented dollar", "Investment", "Cohorts", "Inputs", "Sources")

PERIOD_COLUMNS = ("period_start_year", "revenue_usd", "depreciation_usd", "power_cost_usd", "facility_cost_usd",
                  "opex_usd", "cogs_usd", "gross_profit_usd", "gross_margin", "ebitda_usd", "energy_kwh",
                  "billed_gpu_hours")
"""Columns of the P&L sheet, in order."""

COST_NAMES = ("depreciation_usd", "power_cost_usd", "facility_cost_usd", "opex_usd")
"""The costs of goods sold: COGS is their sum and gross profit is revenue less COGS (docs/model.md §4)."""

DOLLAR_PARTS = COST_NAMES + ("gross_profit_usd",)
"""Where each rented dollar goes: the costs and what is left, adding up to revenue."""

SUMMED = ("revenue_usd",) + COST_NAMES + ("cogs_usd", "gross_profit_usd", "ebitda_usd", "energy_kwh",
                                          "billed_gpu_hours")
"""Columns whose window total is the sum of the periods (flows)."""

PER_RENTED_DOLLAR = ("revenue_usd",) + COST_NAMES + ("cogs_usd", "gross_profit_usd", "ebitda_usd")
"""USD columns shown per rented dollar (each / revenue)."""

INVESTMENT_ROWS = (
    ("Capex", "capex_usd"),
    ("NPV", "npv_usd"),
    ("IRR", "irr"),
    ("Payback", "payback_years"),
    ("Break-even price (age 0)", "breakeven_price_usd_per_gpu_hour"),
    ("Break-even utilization", "breakeven_utilization"),
    ("Cost per billed GPU-hour", "cost_usd_per_billed_gpu_hour"),
    ("Lifetime revenue", "lifetime_revenue_usd"),
    ("Lifetime gross profit", "lifetime_gross_profit_usd"),
    ("Lifetime gross margin", "lifetime_gross_margin"),
)
"""The investment view as the report prints it, with the lifetime sums behind its margin."""

COHORT_ADDITIVE = ("gpus",) + SUMMED + ("capex_usd",)
"""Cohort columns whose fleet value is the sum over cohorts."""

PNL_FIRST_ROW = 4
"""Zero-based row of the first period on the P&L sheet (title, note, blank line, headers above)."""


# --- P&L by period ----------------------------------------------------------------------------------------------

def pnl_rows(n_periods: int) -> dict:
    """Zero-based rows of the P&L sheet: ``first`` and ``last`` period, ``total``, ``per_dollar``, ``model``."""
    last = PNL_FIRST_ROW + n_periods - 1
    return {"first": PNL_FIRST_ROW, "last": last, "total": last + 1, "per_dollar": last + 2, "model": last + 3}


def period_formula(name: str, row: int) -> str | None:
    """The formula of a per-period cell, or None for a model value.

    ``cogs_usd = depreciation + power + facility + opex``, ``gross_profit_usd = revenue - cogs`` and
    ``gross_margin = gross_profit / revenue`` (docs/model.md §4), on row ``row`` [zero-based].
    """
    col = PERIOD_COLUMNS.index
    if name == "cogs_usd":
        return f"=SUM({span(row, col('depreciation_usd'), row, col('opex_usd'))})"
    if name == "gross_profit_usd":
        return f"={cell(row, col('revenue_usd'))}-{cell(row, col('cogs_usd'))}"
    if name == "gross_margin":
        return safe_ratio_formula(cell(row, col("gross_profit_usd")), cell(row, col("revenue_usd")))
    return None


def total_formula(name: str, rows: dict) -> str:
    """The Total row's formula of a column: the sum of the periods, or gross profit / revenue."""
    col = PERIOD_COLUMNS.index
    if name == "gross_margin":
        return safe_ratio_formula(cell(rows["total"], col("gross_profit_usd")), cell(rows["total"], col("revenue_usd")))
    return f"=SUM({span(rows['first'], col(name), rows['last'])})"


def per_dollar_formula(name: str, rows: dict) -> str:
    """A total per rented dollar: the column's total / the revenue total."""
    col = PERIOD_COLUMNS.index
    return safe_ratio_formula(cell(rows["total"], col(name)), cell(rows["total"], col("revenue_usd"), absolute=True))


def share(value: float, revenue: float) -> float:
    """``value / revenue``, NaN without revenue [-]."""
    return value / revenue if revenue else float("nan")


def write_pnl(book: Book, result) -> None:
    """The P&L sheet: one row per window period, the Total row, per rented dollar, the model's window figures,
    and a column chart of revenue, COGS and gross profit by period."""
    s = result.scenario
    ws = book.workbook.add_worksheet(PNL_SHEET)
    rows = pnl_rows(len(result.periods))
    end = s.start_year + s.horizon_years
    write_title(book, ws, 0, f"Window P&L by period: {s.name}, {s.start_year:.4f} to {end:.4f} "
                             f"({s.n_periods} periods of 1/{s.periods_per_year} year)")
    ws.write_string(1, 0, "Revenue, costs, EBITDA, energy and billed hours are the model's values per period; "
                          "COGS, gross profit, gross margin, the Total row and the per-rented-dollar row are formulas "
                          "over them (blue). The last row is the model's window figure, to compare.")
    write_headers(book, ws, PNL_FIRST_ROW - 1, [header(n, figure_unit(n)) for n in PERIOD_COLUMNS])
    ws.set_row(PNL_FIRST_ROW - 1, 32)
    ws.set_column(0, 0, 30)
    ws.set_column(1, len(PERIOD_COLUMNS) - 1, 17)
    for k, period in enumerate(result.periods):
        row = rows["first"] + k
        for c, name in enumerate(PERIOD_COLUMNS):
            formula = period_formula(name, row)
            if formula is None:
                write_value(book, ws, row, c, period[name], book.number(figure_unit(name), name))
            else:
                write_formula(book, ws, row, c, formula, book.formula(figure_unit(name), name), period[name])
    figures = result.figures
    revenue = figures["revenue_usd"]
    bold = book.format(bold=True, top=1)
    ws.write_string(rows["total"], 0, "Total (formula)", bold)
    ws.write_string(rows["per_dollar"], 0, "Per rented dollar (formula)", book.format(bold=True))
    ws.write_string(rows["model"], 0, "Model's window figure", book.format(italic=True))
    for c, name in enumerate(PERIOD_COLUMNS[1:], start=1):
        unit = figure_unit(name)
        write_formula(book, ws, rows["total"], c, total_formula(name, rows),
                      book.formula(unit, name, bold=True, top=1), figures[name])
        if name in PER_RENTED_DOLLAR:
            write_formula(book, ws, rows["per_dollar"], c, per_dollar_formula(name, rows), book.formula("-"),
                          share(figures[name], revenue))
        write_value(book, ws, rows["model"], c, figures[name], book.number(unit, name, italic=True))
    ws.freeze_panes(PNL_FIRST_ROW, 1)
    ws.insert_chart(rows["model"] + 2, 1, pnl_chart(book, rows))


def pnl_chart(book: Book, rows: dict):
    """Column chart of revenue, COGS and gross profit by period (native Excel chart)."""
    chart = book.workbook.add_chart({"type": "column"})
    col = PERIOD_COLUMNS.index
    categories = sheet_range(PNL_SHEET, rows["first"], 0, rows["last"], 0)
    for name, colour in (("revenue_usd", "#404040"), ("cogs_usd", "#A6A6A6"), ("gross_profit_usd", "#1F4E79")):
        chart.add_series({"name": header(name, "USD"), "categories": categories,
                          "values": sheet_range(PNL_SHEET, rows["first"], col(name), rows["last"], col(name)),
                          "fill": {"color": colour}, "border": {"color": "black"}})
    chart.set_title({"name": "P&L by period"})
    chart.set_x_axis({"name": header("period_start_year", "year"), "num_format": "0.00"})
    chart.set_y_axis({"name": "per period [USD]", "num_format": "#,##0"})
    chart.set_size({"width": 760, "height": 360})
    return chart


# --- cohorts and where each rented dollar goes --------------------------------------------------------------

def cohort_columns(cohorts) -> list[str]:
    """Every key of the cohorts' rows, in the order they first appear."""
    names: list[str] = []
    for row in cohorts:
        names += [k for k in row if k not in names]
    return names


def cohort_layout(result) -> dict:
    """Where the Cohorts sheet puts its rows and columns (the Rented dollar sheet refers to them).

    Returns
    -------
    dict
        ``columns`` (names), ``first`` and ``last`` cohort row, ``total`` (the fleet row) [zero-based].
    """
    first = 3
    last = first + len(result.cohorts) - 1
    return {"columns": cohort_columns(result.cohorts), "first": first, "last": last, "total": last + 1}


def write_cohorts(book: Book, result) -> None:
    """The Cohorts sheet: each cohort's window P&L and its investment view on its own clock, and a fleet row
    of sums (formulas) for the additive columns (:func:`cohort_layout`)."""
    ws = book.workbook.add_worksheet(COHORT_SHEET)
    layout = cohort_layout(result)
    names, first, last, total = layout["columns"], layout["first"], layout["last"], layout["total"]
    write_title(book, ws, 0, "Cohorts: window P&L; investment view on each cohort's own clock (from its "
                             "in_service_year)")
    write_headers(book, ws, first - 1, [header(n, None if n in ("name", "depreciation_method") else figure_unit(n))
                                        for n in names])
    ws.set_row(first - 1, 45)
    ws.set_column(0, len(names) - 1, 16)
    for k, row in enumerate(result.cohorts):
        for c, name in enumerate(names):
            write_value(book, ws, first + k, c, row.get(name), book.number(figure_unit(name), name))
    ws.write_string(total, 0, "fleet (formula)", book.format(bold=True, top=1))
    for c, name in enumerate(names):
        if name in COHORT_ADDITIVE:
            value = result.figures.get(name, sum(r.get(name, 0.0) for r in result.cohorts))
            write_formula(book, ws, total, c, f"=SUM({span(first, c, last)})",
                          book.formula(figure_unit(name), name, bold=True, top=1), value)
        elif name == "gross_margin" and {"gross_profit_usd", "revenue_usd"} <= set(names):
            write_formula(book, ws, total, c, safe_ratio_formula(cell(total, names.index("gross_profit_usd")),
                                                                 cell(total, names.index("revenue_usd"))),
                          book.formula("-", bold=True, top=1), result.figures["gross_margin"])
    ws.freeze_panes(first, 1)


def write_rented_dollar(book: Book, result, cohorts: dict) -> None:
    """The Rented dollar sheet: per cohort and for the fleet, depreciation, power, facility, opex and gross
    profit per USD of window revenue (formulas over the Cohorts sheet; they add up to 1), and a stacked column
    chart of them."""
    ws = book.workbook.add_worksheet(DOLLAR_SHEET)
    write_title(book, ws, 0, "Where each rented dollar goes: each part / window revenue (formulas over the "
                             "Cohorts sheet; a gross loss is a negative part)")
    first = 3
    write_headers(book, ws, first - 1, ["cohort"] + [header(n, "-") for n in DOLLAR_PARTS] + [header("sum", "-")])
    ws.set_row(first - 1, 32)
    ws.set_column(0, len(DOLLAR_PARTS) + 1, 18)
    columns = cohorts["columns"]
    labelled = [(r["name"], cohorts["first"] + k, r) for k, r in enumerate(result.cohorts)]
    labelled.append(("fleet", cohorts["total"], result.figures))
    revenue_col = columns.index("revenue_usd")
    for k, (name, source_row, values) in enumerate(labelled):
        row = first + k
        ws.write_string(row, 0, name)
        for c, part in enumerate(DOLLAR_PARTS, start=1):
            numerator = f"'{COHORT_SHEET}'!{cell(source_row, columns.index(part))}"
            denominator = f"'{COHORT_SHEET}'!{cell(source_row, revenue_col)}"
            write_formula(book, ws, row, c, safe_ratio_formula(numerator, denominator), book.formula("-"),
                          share(values[part], values["revenue_usd"]))
        total = sum(share(values[p], values["revenue_usd"]) for p in DOLLAR_PARTS)
        write_formula(book, ws, row, len(DOLLAR_PARTS) + 1, f"=SUM({span(row, 1, row, len(DOLLAR_PARTS))})",
                      book.formula("-"), total)
    last = first + len(labelled) - 1
    chart = book.workbook.add_chart({"type": "column", "subtype": "stacked"})
    for c, (part, colour) in enumerate(zip(DOLLAR_PARTS, ("#404040", "#7F7F7F", "#A6A6A6", "#D9D9D9", "#1F4E79")),
                                       start=1):
        chart.add_series({"name": f"='{DOLLAR_SHEET}'!{cell(first - 1, c, True)}",
                          "categories": sheet_range(DOLLAR_SHEET, first, 0, last, 0),
                          "values": sheet_range(DOLLAR_SHEET, first, c, last, c),
                          "fill": {"color": colour}, "border": {"color": "black"}})
    chart.set_title({"name": "Where each rented dollar goes"})
    chart.set_y_axis({"name": "share of window revenue [fraction]", "num_format": "0%"})
    chart.set_x_axis({"name": "cohort"})
    chart.set_size({"width": 720, "height": 380})
    ws.insert_chart(last + 2, 1, chart)


# --- investment view --------------------------------------------------------------------------------------------

def write_investment(book: Book, result) -> None:
    """The Investment sheet: the investment view (every cohort's whole life, discounted to start_year), the
    levered view and book vs economic depreciation, as the model's values with units."""
    ws = book.workbook.add_worksheet(INVESTMENT_SHEET)
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 36)
    ws.set_column(2, 3, 18)
    row = write_title(book, ws, 0, "Investment view: every cohort's whole service life, discounted to start_year")
    note = extrapolation_note(result.scenario)
    if note:
        ws.merge_range(row, 0, row, 3, f"Extrapolated: {note}", book.format(text_wrap=True, italic=True, valign="top"))
        ws.set_row(row, 60)
        row += 1
    blocks = (("Investment view (fleet)", INVESTMENT_ROWS),
              ("Financing (window; DSCR over the debt's life)", tuple((n, n) for n in FINANCING_NAMES)),
              ("Book vs economic depreciation (window)", tuple((n, n) for n in ECONOMIC_NAMES)))
    for title, items in blocks:
        row += 1
        ws.write_string(row, 0, title, book.format(bold=True))
        row += 1
        write_headers(book, ws, row, ("figure", "field", "unit", "fleet"))
        for label, name in items:
            row += 1
            unit = figure_unit(name)
            ws.write_string(row, 0, label)
            ws.write_string(row, 1, name)
            ws.write_string(row, 2, unit_text(unit, name))
            write_value(book, ws, row, 3, result.figures[name], book.number(unit, name))
        row += 1


# --- inputs and sources -----------------------------------------------------------------------------------------

def model_fields(model, prefix: str) -> list[tuple[str, object, str]]:
    """``(path, value, description)`` of every scalar field of a pydantic model, in schema order; nested models
    and lists of models are walked (``cohorts.0.gpus``)."""
    from pydantic import BaseModel

    out = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, BaseModel):
            out += model_fields(value, f"{path}.")
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for k, item in enumerate(value):
                out += model_fields(item, f"{path}.{k}.")
        elif not isinstance(value, (dict, list)):
            out.append((path, value, info.description or ""))
    return out


INPUT_SKIPPED = ("kind", "name", "description", "notes")
"""Top-level fields the Inputs sheet leaves to the About sheet (text, not inputs)."""


def scenario_inputs(scenario) -> list[tuple[str, object, str]]:
    """Every input of a fleet scenario as ``(path, value, description)``: the window, site, finance and each
    cohort's fields (``labels`` and text fields excluded: the About sheet shows them)."""
    return [(p, v, d) for p, v, d in model_fields(scenario, "")
            if p not in INPUT_SKIPPED and not p.startswith("labels.")]


def source_of(scenario, path: str) -> dict:
    """The source behind one input: ``id``, ``title``, ``as_of``, ``url``, ``note`` (empty strings where none)."""
    source_id = scenario.provenance.get(path, "")
    if source_id == SET_PROVENANCE:
        return {"id": source_id, "title": "set on the command line (--set)", "as_of": "", "url": "", "note": ""}
    source = scenario.sources.get(source_id)
    if source is None:
        return {"id": source_id, "title": "", "as_of": "", "url": "", "note": ""}
    return {"id": source_id, **source.model_dump()}


INPUT_HEADERS = ("field", "value", "unit", "source id", "source title", "source date (as of)", "source URL",
                 "source note", "field description")


def write_inputs(book: Book, scenario) -> None:
    """The Inputs sheet: every field of the scenario with its value, unit and source (URL as a hyperlink)."""
    ws = book.workbook.add_worksheet(INPUT_SHEET)
    write_title(book, ws, 0, f"Inputs of {scenario.name}: every field, its value and unit, and the source behind it")
    write_headers(book, ws, 2, INPUT_HEADERS)
    for c, width in enumerate((40, 16, 16, 26, 50, 14, 50, 60, 80)):
        ws.set_column(c, c, width)
    wrap = book.format(text_wrap=True, valign="top")
    for k, (path, value, description) in enumerate(scenario_inputs(scenario)):
        row = 3 + k
        unit = description_unit(description)
        source = source_of(scenario, path)
        ws.write_string(row, 0, path)
        write_value(book, ws, row, 1, value, book.number(unit, path))
        ws.write_string(row, 2, "" if unit == "value" else unit_text(unit, path))
        for c, key in ((3, "id"), (4, "title"), (5, "as_of")):
            if source[key]:
                ws.write_string(row, c, source[key])
        write_url(book, ws, row, 6, source["url"])
        if source["note"]:
            ws.write_string(row, 7, source["note"])
        ws.write_string(row, 8, description, wrap)
    ws.freeze_panes(3, 1)


def write_sources(book: Book, scenario) -> None:
    """The Sources sheet: each cited source, its title, date, URL (a hyperlink), note and the fields it backs."""
    ws = book.workbook.add_worksheet(SOURCE_SHEET)
    write_title(book, ws, 0, "Sources behind the inputs")
    write_headers(book, ws, 2, ("id", "title", "as of", "URL", "note", "fields it backs"))
    for c, width in enumerate((28, 60, 12, 60, 60, 60)):
        ws.set_column(c, c, width)
    for k, entry in enumerate(sources_used(scenario)):
        row = 3 + k
        ws.write_string(row, 0, entry["id"])
        for c, key in ((1, "title"), (2, "as_of"), (4, "note")):
            if entry.get(key):
                ws.write_string(row, c, entry[key])
        write_url(book, ws, row, 3, entry.get("url", ""))
        ws.write_string(row, 5, ", ".join(entry["fields"]))


# --- the workbook -----------------------------------------------------------------------------------------------

SHEETS = (
    (PNL_SHEET, "window P&L by period (model values), Total row, gross margin and each line per rented dollar "
                "(formulas), the model's window figures; column chart by period"),
    (DOLLAR_SHEET, "per cohort and fleet: depreciation, power, facility, opex and gross profit per rented dollar "
                   "(formulas over Cohorts); stacked column chart"),
    (INVESTMENT_SHEET, "NPV, IRR, payback, break-even price and utilization, cost per billed GPU-hour, lifetime "
                       "margin; financing; book vs economic depreciation"),
    (COHORT_SHEET, "each cohort's window P&L and investment view; fleet sums (formulas)"),
    (INPUT_SHEET, "every scenario field: value, unit, source (id, title, date, URL as a hyperlink)"),
    (SOURCE_SHEET, "each cited source and the fields it backs"),
)


def write_run(book: Book, output) -> None:
    """Every sheet of a fleet run's workbook."""
    result = output.result
    s = result.scenario
    rows = about_rows(output, s.name, result.backend, result.dtype)
    end = s.start_year + s.horizon_years
    rows += [("description", s.description),
             ("window", f"{s.start_year:.4f} to {end:.4f}: {s.n_periods} periods of 1/{s.periods_per_year} year"),
             ("cohorts", ", ".join(c.name for c in s.cohorts))]
    note = extrapolation_note(s)
    if note:
        rows.append(("extrapolated", note))
    if s.notes.strip():
        rows.append(("scenario notes", s.notes.strip()))
    write_about(book, f"dcecon run {s.name}: workbook", rows, SHEETS)
    write_pnl(book, result)
    write_rented_dollar(book, result, cohort_layout(result))
    write_investment(book, result)
    write_cohorts(book, result)
    write_inputs(book, s)
    write_sources(book, s)
