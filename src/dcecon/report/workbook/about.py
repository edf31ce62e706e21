"""The About sheet every workbook opens with: what made it, from what, and what each sheet holds."""

from __future__ import annotations

import math

from dcecon.report.workbook.cells import NONFINITE_NOTE, Book, write_headers, write_title, write_value

FORMULA_NOTE = ("Cells in blue on a light-blue ground are formulas over the cells above or beside them (totals, "
                "gross margins, shares of a rented dollar): select one to trace it. Every other number is the "
                "model's value.")
"""The formula rule, as the About sheet states it."""


def dcecon_version() -> str:
    """The installed dcecon's version."""
    from dcecon import __version__

    return __version__


def about_rows(output, scenario_name: str, backend: str, dtype: str | None = None) -> list[tuple[str, object]]:
    """The rows every About sheet starts with: version, command, command line, scenario, backend, overrides.

    Parameters
    ----------
    output : dcecon.report.outputs.Output
    scenario_name : str
    backend : str
        The backend that computed the result.
    dtype : str, optional

    Returns
    -------
    list of (str, object)
    """
    rows = [("dcecon version", dcecon_version()), ("command", output.command),
            ("command line", output.command_line or "called from Python (no command line)"),
            ("scenario", scenario_name), ("backend", backend if dtype is None else f"{backend} ({dtype})")]
    if output.overrides:
        rows.append(("--set overrides", "; ".join(output.overrides)))
    return rows


TEXT_COLUMN_CHARS = 120
"""Characters a line of the About sheet's wide text column holds (its width is 110 character units)."""

LINE_HEIGHT_POINTS = 15
"""Height of one line of text in a row [points]."""


def _fit_row(ws, row: int, value) -> None:
    """Make a row tall enough for its wrapped text: spreadsheet programs do not all grow a row written with a
    fixed height, and LibreOffice prints an unfitted one over the next."""
    if isinstance(value, str) and len(value) > TEXT_COLUMN_CHARS:
        ws.set_row(row, LINE_HEIGHT_POINTS * math.ceil(len(value) / TEXT_COLUMN_CHARS))


def write_about(book: Book, title: str, rows, sheets) -> None:
    """Write the About sheet (first in the workbook).

    Parameters
    ----------
    book : Book
    title : str
        The first line.
    rows : list of (str, object)
        What made the workbook (:func:`about_rows`) and anything the command adds (an extrapolation label).
    sheets : list of (str, str)
        Each sheet's name and what it holds.
    """
    ws = book.workbook.add_worksheet("About")
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 110)
    wrap = book.format(text_wrap=True, valign="top")
    row = write_title(book, ws, 0, title) + 1
    for label, value in rows:
        ws.write_string(row, 0, label, book.format(bold=True, valign="top"))
        write_value(book, ws, row, 1, value, wrap)
        _fit_row(ws, row, value)
        row += 1
    row += 1
    for label, value in (("formulas", FORMULA_NOTE), ("non-finite numbers", NONFINITE_NOTE),
                         ("units", "Every header names its unit in brackets; a [fraction] is shown as a "
                                   "percentage and stored as a fraction (0.157 shows 15.70%).")):
        ws.write_string(row, 0, label, book.format(bold=True, valign="top"))
        ws.write_string(row, 1, value, wrap)
        _fit_row(ws, row, value)
        row += 1
    row += 1
    write_headers(book, ws, row, ("sheet", "what it holds"))
    for name, what in sheets:
        row += 1
        ws.write_url(row, 0, f"internal:'{name}'!A1", book.format(font_color="blue", underline=1), name)
        ws.write_string(row, 1, what, wrap)
        _fit_row(ws, row, what)
