"""The common look of dcecon's figures: Agg canvas, grey-scale-readable fills and lines, units, a source line.

Every figure is a bare :class:`matplotlib.figure.Figure` on an Agg canvas (no
pyplot, no global state, no display needed). Colours come in pairs with a
hatch or a line style, so that a chart printed in grey still tells its series
apart; every axis label ends in a unit in brackets (``price [USD/GPU-hour]``)
and every figure carries a source line under the chart (:func:`add_source`).
"""

from __future__ import annotations

import math

from matplotlib.backends.backend_agg import FigureCanvasAgg  # each figure gets its own Agg canvas: pyplot's
from matplotlib.figure import Figure  # backend (a notebook's, a GUI's) is neither used nor changed

from dcecon.report.units import field_unit, unit_text  # noqa: F401 (field_unit: dcecon.plot callers)

FILLS = ("0.20", "0.55", "0.80", "0.95", "0.40", "0.70")
"""Grey levels of filled series, dark to light (fractions of white) [-]."""

HATCHES = ("", "//", "..", "xx", "\\\\", "++")
"""Hatches paired with :data:`FILLS`, so neighbouring series differ in texture as well as shade."""

LINE_STYLES = ("-", "--", ":", "-.")
"""Line styles of line series, in order."""

MARKERS = ("o", "s", "^", "D", "v", "P")
"""Markers of line series, in order (with :data:`LINE_STYLES`, distinct in grey)."""

SOURCE_GID = "dcecon-source"
"""``gid`` of the source line's text artist (tests and the HTML report find it by this id)."""

FIGURE_SIZE_INCHES = (8.0, 4.8)
"""Default figure size [inches]; saved at :data:`DPI`."""

DPI = 150
"""Resolution of the PNG files [dots per inch]."""

SOURCE_CHAR_INCHES = 0.052
"""Mean width of a character of the 6.5-point source line [inches] (to reserve its height)."""

SOURCE_LINE_INCHES = 0.11
"""Height of one line of the source line [inches]."""

MONEY_SCALES = ((1e12, "trillion USD"), (1e9, "billion USD"), (1e6, "million USD"), (1e3, "thousand USD"))
"""Scales of money axes: the largest whose factor is at most the data's magnitude."""


def new_figure(n_axes: int = 1, size=FIGURE_SIZE_INCHES, sharey: bool = False):
    """A figure on an Agg canvas and its axes (one Axes, or a list of ``n_axes`` side by side).

    Parameters
    ----------
    n_axes : int
        Axes side by side.
    size : (float, float)
        Width and height [inches].
    sharey : bool
        Share the y axis between the axes.

    Returns
    -------
    (Figure, Axes or list of Axes)
    """
    figure = Figure(figsize=size, dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, n_axes, sharey=sharey, squeeze=False)[0]
    for ax in axes:
        ax.grid(True, color="0.85", linewidth=0.6)
        ax.set_axisbelow(True)
    return figure, (axes[0] if n_axes == 1 else list(axes))


def fill(i: int) -> dict:
    """Bar keyword arguments of series ``i``: grey face, black edge, hatch."""
    return {"facecolor": FILLS[i % len(FILLS)], "edgecolor": "black", "hatch": HATCHES[i % len(HATCHES)],
            "linewidth": 0.6}


def line(i: int) -> dict:
    """Line keyword arguments of series ``i``: black or dark grey, line style and marker (on at most about 20
    points, so long series stay readable)."""
    return {"color": "black" if i % 2 == 0 else "0.35", "linestyle": LINE_STYLES[i % len(LINE_STYLES)],
            "marker": MARKERS[i % len(MARKERS)], "markersize": 4, "linewidth": 1.4, "markevery": 0.05}


def label(name: str, unit: str) -> str:
    """``'name [unit]'`` (:func:`dcecon.report.units.unit_text`: ``fraction``, ``ratio``...)."""
    return f"{name} [{unit_text(unit, name)}]"


def field_label(path: str) -> str:
    """Axis label of a scenario field: its path and unit."""
    return label(path, field_unit(path))


def metric_unit(metric: str) -> str:
    """Unit of a metric of the metric table (``USD``, ``-``, ``years``...)."""
    from dcecon.model.metrics import BY_NAME

    return BY_NAME[metric].unit


def money_scale(values) -> tuple[float, str]:
    """``(factor, unit)`` to show USD ``values`` in (``(1e9, 'billion USD')``): the largest scale at most the
    largest finite magnitude."""
    finite = [abs(float(v)) for v in values if v is not None and math.isfinite(float(v))]
    top = max(finite, default=0.0)
    for factor, unit in MONEY_SCALES:
        if top >= factor:
            return factor, unit
    return 1.0, "USD"


def metric_scale(metric: str, values) -> tuple[float, str]:
    """``(factor, unit)`` of a metric's axis: money scaled by :func:`money_scale`, others as they are."""
    unit = metric_unit(metric)
    if unit == "USD":
        return money_scale(values)
    return 1.0, unit_text(unit)


def add_source(figure, text: str) -> None:
    """Write the source line under the chart (small grey text at the figure's bottom left, ``gid``
    :data:`SOURCE_GID`)."""
    from dcecon import __version__

    artist = figure.text(0.005, 0.004, "", fontsize=6.5, color="0.25", ha="left", va="bottom", wrap=True,
                         parse_math=False)
    artist.set_gid(SOURCE_GID)
    _set_source_text(figure, artist, f"Source: dcecon {__version__}; {text}")


def _set_source_text(figure, artist, line_text: str) -> None:
    """Set the source line's text and keep the axes clear of its wrapped lines."""
    width, height = figure.get_size_inches()
    n_lines = math.ceil(len(line_text) * SOURCE_CHAR_INCHES / (0.97 * width))
    artist.set_text(line_text)
    room = min(0.4, (0.06 + SOURCE_LINE_INCHES * n_lines) / height)
    figure.get_layout_engine().set(rect=(0, room, 1, 1 - room))


def extend_source(figure, text: str) -> None:
    """Add ``; text`` to a figure's source line (what the command changed: ``--set`` overrides)."""
    artist = next(t for t in figure.texts if t.get_gid() == SOURCE_GID)
    _set_source_text(figure, artist, f"{artist.get_text().rstrip('.')}; {text}")


def computed_on(backend: str, dtype: str) -> str:
    """``computed on BACKEND DTYPE``, for source lines."""
    return f"computed on {backend} {dtype}"


def scenario_source(scenario) -> str:
    """``scenario NAME (sources: id, id...)`` of a scenario with a ``sources`` table."""
    sources = getattr(scenario, "sources", None) or {}
    ids = ", ".join(sorted(sources)) if sources else "none listed"
    return f"scenario {scenario.name} (sources: {ids})"
