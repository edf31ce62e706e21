"""The metric table: every per-scenario figure a grid run can reduce (``docs/grid.md``, "Metrics").

One entry per metric, in the order of the reductions and of the kernels'
``Metric`` enum (the kernels' contract header is generated from this table by
:mod:`dcecon.backends.contract`, so the two cannot drift). A metric is
computed only when a run asks for it or for a metric that needs it
(``dcecon grid --metrics``); the fused kernels compute the metrics marked
``kernel``, and a run that asks for any other one runs on the array model.

Definitions are in docs/model.md: the window P&L (docs/model.md §4), the
investment view (docs/model.md §6, §8), financing (docs/model.md §12) and
book vs economic depreciation (docs/model.md §13).
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class MetricSpec:
    """One reducible figure.

    Attributes
    ----------
    name : str
        Field name, with its unit (``npv_usd``, ``gross_margin``).
    unit : str
        Unit in words (``USD``, ``-``, ``years``, ``USD/GPU-hour``).
    group : str
        ``window`` (window P&L), ``investment`` (whole-life view),
        ``financing`` (levered view) or ``economic`` (book vs economic
        depreciation).
    higher_is_better : bool
        Whether the best scenario is the maximum (else the minimum).
    kernel : bool
        Computed by the fused kernels (``native``, ``cupy``).
    default : bool
        Part of the default selection of ``dcecon grid``.
    always_finite : bool
        Finite for every valid scenario (sums of flows, NPV), so a table needs no count of defined values
        for it (one count per cell serves).
    description : str
        One line for ``--help`` and the docs.
    """

    name: str
    unit: str
    group: str
    higher_is_better: bool
    kernel: bool
    default: bool
    always_finite: bool
    description: str


def _m(name, unit, group, higher, description, kernel=True, default=True, always_finite=None):
    finite = unit in ("USD", "kWh") if always_finite is None else always_finite
    return MetricSpec(name, unit, group, higher, kernel, default, finite, description)


METRIC_TABLE: tuple[MetricSpec, ...] = (
    _m("revenue_usd", "USD", "window", True, "window revenue"),
    _m("depreciation_usd", "USD", "window", False, "window depreciation (book life)"),
    _m("power_cost_usd", "USD", "window", False, "window power cost"),
    _m("facility_cost_usd", "USD", "window", False, "window facility cost (lease or building depreciation)"),
    _m("opex_usd", "USD", "window", False, "window maintenance and other opex"),
    _m("cogs_usd", "USD", "window", False, "window cost of goods sold"),
    _m("gross_profit_usd", "USD", "window", True, "window gross profit"),
    _m("gross_margin", "-", "window", True, "window gross profit / revenue (NaN without revenue)"),
    _m("ebitda_usd", "USD", "window", True, "window EBITDA"),
    _m("energy_kwh", "kWh", "window", False, "window energy drawn from the grid"),
    _m("npv_usd", "USD", "investment", True, "NPV of every cohort's whole life at the discount rate"),
    _m("irr", "-/year", "investment", True, "IRR of the same cash flows (NaN where none)"),
    _m("payback_years", "years", "investment", False, "years until free cash flow repays capex (inf if never)"),
    _m("breakeven_price_usd_per_gpu_hour", "USD/GPU-hour", "investment", False,
       "age-0 price that makes lifetime gross profit zero"),
    _m("breakeven_utilization", "-", "investment", False, "utilization that makes lifetime gross profit zero"),
    _m("cost_usd_per_billed_gpu_hour", "USD/GPU-hour", "investment", False, "lifetime COGS per billed GPU-hour"),
    _m("interest_usd", "USD", "financing", False, "window interest", kernel=False, default=False),
    _m("principal_usd", "USD", "financing", False, "window principal repaid", kernel=False, default=False),
    _m("interest_coverage", "-", "financing", True, "window EBIT / interest (inf without debt)", kernel=False,
       default=False),
    _m("dscr_window", "-", "financing", True, "window CFADS / debt service", kernel=False, default=False),
    _m("dscr_min", "-", "financing", True, "lowest DSCR of any period with debt service", kernel=False,
       default=False),
    _m("dscr_avg", "-", "financing", True, "mean DSCR over the periods with debt service", kernel=False,
       default=False),
    _m("equity_usd", "USD", "financing", False, "equity invested (capex less debt)", kernel=False, default=False),
    _m("equity_irr", "-/year", "financing", True, "IRR of the equity cash flows", kernel=False, default=False),
    _m("economic_depreciation_usd", "USD", "economic", False, "window depreciation over the economic life",
       kernel=False, default=False),
    _m("depreciation_gap_usd", "USD", "economic", False, "economic minus book depreciation over the window",
       kernel=False, default=False),
    _m("earnings_overstatement_usd", "USD", "economic", False, "the gap after tax: gap x (1 - tax rate)",
       kernel=False, default=False),
)

METRICS: tuple[str, ...] = tuple(m.name for m in METRIC_TABLE)
"""Every metric, in table order."""

KERNEL_METRICS: tuple[str, ...] = tuple(m.name for m in METRIC_TABLE if m.kernel)
"""Metrics of the fused kernels, in the order of their ``Metric`` enum."""

DEFAULT_METRICS: tuple[str, ...] = tuple(m.name for m in METRIC_TABLE if m.default)
"""What ``dcecon grid`` reduces when ``--metrics`` is not given: the window P&L and the investment view."""

BY_NAME = {m.name: m for m in METRIC_TABLE}

HIGHER_IS_BETTER = frozenset(m.name for m in METRIC_TABLE if m.higher_is_better)
"""Metrics whose best scenario is the maximum; for all others (costs, break-evens, payback) it is the minimum."""

SELECTION_WORDS = {"default": DEFAULT_METRICS, "all": METRICS}
"""Words ``--metrics`` takes besides metric names."""


ALWAYS_FINITE = frozenset(m.name for m in METRIC_TABLE if m.always_finite)
"""Metrics that are finite in every valid scenario: window sums of flows, NPV, equity invested."""


def kernel_mask(selected) -> int:
    """Bit ``k`` set for each selected metric at position ``k`` of :data:`KERNEL_METRICS`."""
    mask = 0
    for name in selected:
        mask |= 1 << KERNEL_METRICS.index(name)
    return mask


def needs_array_model(selected) -> list[str]:
    """The selected metrics that the fused kernels do not compute."""
    return [name for name in selected if not BY_NAME[name].kernel]
