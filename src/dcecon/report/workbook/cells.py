"""Writing cells: units in headers, number formats by unit, non-finite numbers, formulas with their results.

Every sheet of the workbook is written through these functions, so one rule holds everywhere (docs/workbook.md):

- a header names the field and its unit, ``revenue_usd [USD]``; a dimensionless fraction prints ``[fraction]``;
- a number is written as a number, formatted by its unit (USD with thousands separators, fractions as
  percentages, years with two decimals);
- a non-finite number (NaN, inf) is written as the text ``nan``, ``inf`` or ``-inf`` (as ``--json`` writes
  it), in italics: XlsxWriter refuses NaN and infinities as numbers, and Excel has no such values;
- a formula is written with the model's value of it as its cached result, so a reader that does not
  recalculate shows the model's figure; a spreadsheet that recalculates shows the formula's own result.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from dcecon.model.metrics import BY_NAME
from dcecon.report.units import RATIO_NAMES, unit_text

FIELD_UNITS = {
    "billed_gpu_hours": "GPU-hour",
    "capex_usd": "USD",
    "gpus": "GPU",
    "in_service_year": "year",
    "period_start_year": "year",
    "price_usd_per_gpu_hour": "USD/GPU-hour",
    "price_usd_per_million_tokens": "USD/million tokens",
    "tokens_per_second_per_gpu": "tokens/s/GPU",
    "breakeven_price_usd_per_million_tokens": "USD/million tokens",
    "flat_breakeven_price_usd_per_million_tokens": "USD/million tokens",
    "lifetime_gross_margin": "-",
}
"""Units of the result fields outside the metric table (:data:`dcecon.model.metrics.BY_NAME`)."""

NUMBER_FORMATS = {
    "USD": "#,##0",
    "USD/GPU-hour": "#,##0.000",
    "USD/kWh": "#,##0.000",
    "USD/million tokens": "#,##0.000",
    "-": "0.00%",
    "-/year": "0.00%",
    "fraction": "0.00%",
    "%": "0.00%",
    "years": "0.00",
    "year": "0.0000",
    "decimal year": "0.0000",
    "kWh": "#,##0",
    "GPU": "#,##0",
    "GPU-hour": "#,##0",
    "count": "#,##0",
    "scenarios": "#,##0",
    "draws": "#,##0",
    "ratio": "0.000",
}
"""Excel number format of each unit; a unit not listed is ``General`` (``USD/...`` other than prices: two
decimals)."""

RATIO_FORMAT = "0.000"
"""Number format of the dimensionless ratios of :data:`RATIO_NAMES`."""

FORMULA_STYLE = {"font_color": "#1F4E79", "bg_color": "#DDEBF7"}
"""How a formula cell looks (blue on light blue), so an analyst sees which cells to trace."""

NONFINITE_NOTE = ("A figure that is not a finite number is written as the text nan, inf or -inf (as dcecon's "
                  "--json writes it), in italics; Excel has no such numbers.")
"""The non-finite rule, as the About sheet states it."""


def header(name: str, unit: str | None) -> str:
    """``'name [unit]'``; just ``name`` when ``unit`` is None (a text column)."""
    return name if unit is None else f"{name} [{unit_text(unit, name)}]"


def figure_unit(name: str) -> str:
    """Unit of a result figure (``npv_usd`` -> ``USD``, ``gross_margin`` -> ``-``), from the metric table, the
    result's own fields, then the name's suffix; ``value`` when nothing names one."""
    if name in BY_NAME:
        return BY_NAME[name].unit
    if name in FIELD_UNITS:
        return FIELD_UNITS[name]
    if name.startswith("lifetime_") and name[len("lifetime_"):] in BY_NAME:
        return BY_NAME[name[len("lifetime_"):]].unit
    for suffix, unit in (("_usd", "USD"), ("_kwh", "kWh"), ("_years", "years"), ("_year", "year"),
                         ("_margin", "-"), ("_fraction", "-")):
        if name.endswith(suffix):
            return unit
    return "value"


def number_format(unit: str, name: str = "") -> str:
    """The Excel number format of a figure of ``unit`` (``name`` picks out the ratios of :data:`RATIO_NAMES`)."""
    leaf = name.rsplit(".", 1)[-1]
    if leaf in RATIO_NAMES:
        return RATIO_FORMAT
    if unit in NUMBER_FORMATS:
        return NUMBER_FORMATS[unit]
    if unit.startswith("USD/"):
        return "#,##0.00"
    return "General"


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (bool excluded), finite or not."""
    if isinstance(value, bool) or value is None:
        return False
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, str)


def nonfinite_text(value: float) -> str:
    """``nan``, ``inf`` or ``-inf`` (the strings of ``--json``)."""
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


@dataclasses.dataclass
class Book:
    """The workbook being written and what every sheet shares.

    Attributes
    ----------
    workbook : xlsxwriter.Workbook
    formula_results : bool
        Write each formula's value as computed by the model as its cached result (False: leave the cached
        result empty, so only a spreadsheet that recalculates shows it).
    formats : dict
        Formats made so far, by their properties (:meth:`format`).
    """

    workbook: Any
    formula_results: bool = True
    formats: dict = dataclasses.field(default_factory=dict)

    def format(self, **properties):
        """The workbook's format with ``properties`` (XlsxWriter's names), made once."""
        key = tuple(sorted(properties.items()))
        if key not in self.formats:
            self.formats[key] = self.workbook.add_format(dict(properties))
        return self.formats[key]

    def number(self, unit: str, name: str = "", **properties):
        """The format of a number of ``unit`` (:func:`number_format`), with further ``properties``."""
        return self.format(num_format=number_format(unit, name), **properties)

    def formula(self, unit: str, name: str = "", **properties):
        """The format of a formula cell of ``unit``: as :meth:`number`, in :data:`FORMULA_STYLE`."""
        return self.number(unit, name, **FORMULA_STYLE, **properties)


def write_value(book: Book, ws, row: int, col: int, value: Any, fmt=None) -> None:
    """Write one value: a number with ``fmt``, a non-finite number as italic text, None as an empty cell,
    anything else as text.

    Parameters
    ----------
    book : Book
    ws : xlsxwriter.worksheet.Worksheet
    row, col : int
        Zero-based cell.
    value : object
    fmt : xlsxwriter.format.Format, optional
    """
    if value is None:
        return
    if is_number(value):
        number = float(value)
        if math.isfinite(number):
            ws.write_number(row, col, number, fmt)
        else:
            ws.write_string(row, col, nonfinite_text(number), book.format(italic=True, align="right"))
        return
    ws.write_string(row, col, str(value), fmt)


def write_formula(book: Book, ws, row: int, col: int, formula: str, fmt, value: Any) -> None:
    """Write a formula with ``value`` (the model's figure) as its cached result.

    Parameters
    ----------
    book : Book
        With ``formula_results`` False the cached result is left empty (a reader must recalculate).
    ws : xlsxwriter.worksheet.Worksheet
    row, col : int
        Zero-based cell.
    formula : str
        ``=SUM(B5:B9)``.
    fmt : xlsxwriter.format.Format
    value : float or str
        What the formula evaluates to, as the model computed it; a non-finite number is cached as its text.
    """
    if not book.formula_results:
        ws.write_formula(row, col, formula, fmt, 0)
        return
    if is_number(value) and not math.isfinite(float(value)):
        value = nonfinite_text(float(value))
    ws.write_formula(row, col, formula, fmt, value)


def cell(row: int, col: int, absolute: bool = False) -> str:
    """A1 reference of a zero-based cell (``$B$5`` when ``absolute``)."""
    return xl_rowcol_to_cell(row, col, row_abs=absolute, col_abs=absolute)


def span(first_row: int, col: int, last_row: int, last_col: int | None = None) -> str:
    """A1 range ``B5:B9`` of zero-based rows ``first_row``..``last_row`` (inclusive)."""
    return f"{cell(first_row, col)}:{cell(last_row, col if last_col is None else last_col)}"


def sheet_range(sheet: str, first_row: int, first_col: int, last_row: int, last_col: int) -> str:
    """Absolute range on a named sheet, ``='P&L'!$B$5:$B$9``, as a chart series takes it."""
    return (f"='{sheet}'!{cell(first_row, first_col, True)}:{cell(last_row, last_col, True)}")


def safe_ratio_formula(numerator: str, denominator: str) -> str:
    """``numerator / denominator`` as a formula that gives the text ``nan`` where the denominator is 0 (as the
    model's ratios are NaN without revenue), not Excel's ``#DIV/0!``."""
    return f'=IF({denominator}=0,"nan",{numerator}/{denominator})'


def write_title(book: Book, ws, row: int, text: str) -> int:
    """A bold title line at ``row``; returns the next row."""
    ws.write_string(row, 0, text, book.format(bold=True, font_size=13))
    return row + 1


def write_headers(book: Book, ws, row: int, headers, first_col: int = 0) -> None:
    """A bold, wrapped header row."""
    fmt = book.format(bold=True, text_wrap=True, valign="top", bottom=1, bg_color="#D9D9D9")
    for k, text in enumerate(headers):
        ws.write_string(row, first_col + k, text, fmt)


def write_url(book: Book, ws, row: int, col: int, url: str, text: str | None = None) -> None:
    """A hyperlink cell for an ``http(s)`` address Excel accepts (at most 2,079 characters); other text as a
    plain string."""
    if url and url.startswith(("http://", "https://")) and len(url) <= 2079:
        ws.write_url(row, col, url, book.format(font_color="blue", underline=1), text or url)
    elif url:
        ws.write_string(row, col, url)


RED, YELLOW, GREEN = "#F8696B", "#FFEB84", "#63BE7B"
"""Colours of the 3-colour scales (Excel's own red-yellow-green)."""


def three_colour_scale(ws, first_row: int, first_col: int, last_row: int, last_col: int,
                       higher_is_better: bool = True) -> None:
    """A red-yellow-green 3-colour scale over a block, as a heatmap: green at the best end (the maximum, or
    the minimum of a cost)."""
    low, high = (RED, GREEN) if higher_is_better else (GREEN, RED)
    ws.conditional_format(first_row, first_col, last_row, last_col,
                          {"type": "3_color_scale", "min_color": low, "mid_color": YELLOW, "max_color": high})
