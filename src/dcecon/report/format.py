"""Number formatting for reports: money, percentages, hours."""

from __future__ import annotations

import math


def money(value: float) -> str:
    """``$1.23B``, ``$456.7M``, ``$12.3k``, ``$1.65`` (sign kept)."""
    if value is None or not math.isfinite(value):
        return _nonfinite(value)
    sign = "-" if value < 0 else ""
    v = abs(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if v >= scale:
            return f"{sign}${v / scale:,.2f}{suffix}"
    return f"{sign}${v:,.2f}"


def price(value: float) -> str:
    """``$2.85 /GPU-h``."""
    if value is None or not math.isfinite(value):
        return _nonfinite(value)
    return f"${value:,.3f}/GPU-h"


def percent(value: float) -> str:
    """``14.0%``."""
    if value is None or not math.isfinite(value):
        return _nonfinite(value)
    return f"{100 * value:.1f}%"


def ratio(value: float) -> str:
    """``0.17x``."""
    if value is None or not math.isfinite(value):
        return _nonfinite(value)
    return f"{value:.2f}x"


def number(value: float) -> str:
    """``1.23``, ``4.57e+06``: four significant digits, for figures without a unit of their own."""
    if value is None or not math.isfinite(value):
        return _nonfinite(value)
    return f"{value:,.4g}"


def years(value: float) -> str:
    """``3.42 years``, ``never``."""
    if value is None or not math.isfinite(value):
        return "never" if value == math.inf else _nonfinite(value)
    return f"{value:.2f} years"


def energy(value_kwh: float) -> str:
    """``1.75 TWh``, ``57.4 GWh``."""
    if value_kwh is None or not math.isfinite(value_kwh):
        return _nonfinite(value_kwh)
    for scale, suffix in ((1e9, "TWh"), (1e6, "GWh"), (1e3, "MWh")):
        if abs(value_kwh) >= scale:
            return f"{value_kwh / scale:,.2f} {suffix}"
    return f"{value_kwh:,.0f} kWh"


def _nonfinite(value) -> str:
    if value is None:
        return "-"
    if math.isnan(value):
        return "n/a"
    return "inf" if value > 0 else "-inf"


def metric_format(metric: str):
    """How values of a grid metric print, from its unit in the metric table (``dcecon.model.metrics``): money,
    percent, price, years, energy; coverage ratios and DSCRs as ``1.85x``; else a plain number."""
    from dcecon.model.metrics import BY_NAME

    if "coverage" in metric or "dscr" in metric:
        return ratio
    return {"USD": money, "-": percent, "-/year": percent, "years": years, "USD/GPU-hour": price,
            "kWh": energy}.get(BY_NAME[metric].unit, number)
