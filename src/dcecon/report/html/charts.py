"""Charts in the page: each matplotlib figure inlined as an ``<svg>`` element, so the page needs no file, font
or network to draw it.

Matplotlib's SVG names its clip paths and hatch patterns with a random salt, and every figure numbers its
elements from 1, so two figures in one page would share ids. :func:`inline_svg` renames every id of a figure
in order of appearance under the figure's own prefix (``chart3-17``): ids are unique in the page, and the same
figure gives the same text (a deterministic page).
"""

from __future__ import annotations

import re
from html import escape

_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.S)
"""The XML declaration and DOCTYPE before ``<svg``: not allowed inside an HTML document."""

_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
"""Matplotlib's RDF block (creator and version): nothing the page shows."""

_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'(href="#|url\(#)([^")]+)')


def svg_text(figure) -> str:
    """The figure as SVG text (:func:`dcecon.report.plot.output.figure_bytes`), glyphs drawn as paths."""
    from dcecon.report.plot.output import figure_bytes

    return figure_bytes(figure, "svg").decode("utf-8")


def renamed_ids(svg: str, prefix: str) -> str:
    """``svg`` with every ``id`` and every reference to it (``href="#..."``, ``url(#...)``) renamed to
    ``PREFIX-N``, N counting from 1 in order of appearance."""
    names: dict[str, str] = {}
    for found in _ID.finditer(svg):
        names.setdefault(found.group(1), f"{prefix}-{len(names) + 1}")
    svg = _ID.sub(lambda m: f'id="{names[m.group(1)]}"', svg)
    return _REFERENCE.sub(lambda m: m.group(1) + names.get(m.group(2), m.group(2)), svg)


def inline_svg(figure, prefix: str, label: str) -> str:
    """A figure as an inline ``<svg>`` element that scales to the page's width.

    Parameters
    ----------
    figure : matplotlib.figure.Figure
    prefix : str
        Prefix of the figure's ids, unique in the page (``chart1``).
    label : str
        What the chart shows: its accessible name and the tooltip over it.

    Returns
    -------
    str
    """
    svg = _METADATA.sub("", _PROLOGUE.sub("", svg_text(figure), count=1), count=1)
    svg = renamed_ids(svg, prefix)
    opening = re.match(r"<svg\b[^>]*>", svg).group(0)
    tagged = opening[:-1] + f' role="img" aria-label="{escape(label, quote=True)}" class="chart">'
    return tagged + f"<title>{escape(label)}</title>" + svg[len(opening):]


def chart_figure(figure, prefix: str, stem: str) -> str:
    """A chart in a ``<figure>`` captioned with its file stem (the name ``--plot`` gives it)."""
    return (f'<figure data-chart="{escape(stem, quote=True)}">{inline_svg(figure, prefix, stem)}'
            f"<figcaption>{escape(stem)}</figcaption></figure>")


def chart_gallery(figures: dict, prefix: str = "chart") -> str:
    """Every figure of a command, in order, each in its own ``<figure>`` (ids ``PREFIX1-N``, ``PREFIX2-N``...)."""
    return "".join(chart_figure(figure, f"{prefix}{n}", stem) for n, (stem, figure) in enumerate(figures.items(), 1))
