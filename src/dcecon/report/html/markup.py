"""HTML building blocks of the report and of the notebook display: escaped text, tables with exact values on
hover, sections and links.

Every piece of text that reaches the page goes through :func:`html.escape` here; callers pass plain text.
A numeric cell carries its exact value twice: as ``title`` (the browser shows it on hover) and as
``data-value`` (``repr`` of the float, so a test or a script can read back the number behind the rounded text).
"""

from __future__ import annotations

import dataclasses
import math
from html import escape
from urllib.parse import urlsplit


@dataclasses.dataclass(frozen=True)
class Cell:
    """One table cell: the text shown and, for a number, its exact value.

    Attributes
    ----------
    text : str
        What the cell shows (``$69.30M``), plain text.
    value : float, optional
        The exact number behind ``text`` [units of the figure]; shown on hover and kept in ``data-value``.
    markup : str, optional
        HTML shown instead of the escaped ``text`` (a link), built from escaped parts by the caller.
    """

    text: str
    value: float | None = None
    markup: str | None = None


def value_cell(value, formatter) -> Cell:
    """A cell showing ``formatter(value)`` with ``value`` kept exact (None shows as ``-``)."""
    if value is None:
        return Cell(formatter(value))
    return Cell(formatter(value), float(value))


def exact_text(value: float) -> str:
    """``repr`` of a float (``69300000.0``, ``inf``, ``nan``): the ``data-value`` of a numeric cell."""
    return repr(float(value)) if math.isfinite(value) else str(float(value))


def attributes(**pairs) -> str:
    """`` name="value"`` pairs, escaped, in the order given; None values left out (``data_key`` ->
    ``data-key``)."""
    return "".join(f' {name.rstrip("_").replace("_", "-")}="{escape(str(value), quote=True)}"'
                   for name, value in pairs.items() if value is not None)


def _cell(cell, tag: str, numeric: bool) -> str:
    if not isinstance(cell, Cell):
        cell = Cell("" if cell is None else str(cell))
    value = None if cell.value is None else exact_text(cell.value)
    hover = None if cell.value is None else f"{cell.value:.10g}"
    css = "num" if numeric else None
    shown = escape(cell.text) if cell.markup is None else cell.markup
    return f"<{tag}{attributes(class_=css, title=hover, data_value=value)}>{shown}</{tag}>"


def table(caption: str, header, rows, key: str, numeric=None, row_keys=None) -> str:
    """An HTML table.

    Parameters
    ----------
    caption : str
        What the table shows (plain text).
    header : sequence of str
        Column titles.
    rows : sequence of sequences
        One sequence of cells (str or :class:`Cell`) per row; the first cell heads the row.
    key : str
        ``data-table`` of the table: a stable name tests and scripts find it by (``window-pnl``).
    numeric : set of int, optional
        Columns aligned right (default: every column but the first).
    row_keys : sequence of str, optional
        ``data-key`` of each row (the figure's name, ``revenue_usd``).

    Returns
    -------
    str
    """
    numeric = set(range(1, len(header))) if numeric is None else set(numeric)
    head = "".join(f"<th{attributes(class_='num' if i in numeric else None)}>{escape(h)}</th>"
                   for i, h in enumerate(header))
    body = []
    for n, row in enumerate(rows):
        row_key = None if row_keys is None else row_keys[n]
        cells = "".join(_cell(c, "th" if i == 0 else "td", i in numeric) for i, c in enumerate(row))
        body.append(f"<tr{attributes(data_key=row_key)}>{cells}</tr>")
    return (f"<table{attributes(data_table=key)}><caption>{escape(caption)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")


def section(title: str, *parts: str, key: str | None = None) -> str:
    """``<section>`` with an ``<h2>`` title and the given HTML parts."""
    return f"<section{attributes(id=key)}><h2>{escape(title)}</h2>{''.join(parts)}</section>"


def paragraph(text: str, css: str | None = None) -> str:
    """A ``<p>`` of plain text."""
    return f"<p{attributes(class_=css)}>{escape(text)}</p>"


def bullets(items) -> str:
    """A ``<ul>`` of plain-text items."""
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def definitions(pairs) -> str:
    """A ``<dl>`` of ``(term, description)`` plain-text pairs."""
    return "<dl>" + "".join(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in pairs) + "</dl>"


def link(url: str, text: str) -> str:
    """``<a href>`` to a public ``http(s)`` address, opening in a new tab; any other address prints as text."""
    if urlsplit(url).scheme not in ("http", "https"):
        return escape(text)
    return f'<a{attributes(href=url, rel="noopener noreferrer", target="_blank")}>{escape(text)}</a>'
