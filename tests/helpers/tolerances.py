"""Tolerances of the kernel comparisons, and where their values come from.

Errors are scale-aware (:func:`helpers.parity_checks.scaled_errors`):
``|a - b| / (|b| + scale)`` with ``scale`` the size of the terms a metric
is computed from (:func:`helpers.parity_checks.metric_scales`).
"""

from __future__ import annotations

RTOL = 1e-10
"""float64 tolerance of every kernel-vs-NumPy comparison (scale-aware): the kernels reproduce the NumPy model
operation for operation (``kernels/dcecon_model.cuh``), and the rounding actually seen is about 1e-14, four to
five orders of magnitude below this bound (tests/test_native_parity.py)."""

FLOAT32_BOUND = {
    "revenue_usd": 2e-4, "depreciation_usd": 2e-4, "power_cost_usd": 2e-4, "facility_cost_usd": 2e-4,
    "opex_usd": 2e-4, "cogs_usd": 2e-4, "gross_profit_usd": 2e-4, "ebitda_usd": 2e-4, "energy_kwh": 2e-4,
    "npv_usd": 2e-4, "breakeven_price_usd_per_gpu_hour": 2e-4, "breakeven_utilization": 2e-4,
    "cost_usd_per_billed_gpu_hour": 2e-4,
    "gross_margin": 1e-4,
    "irr": 2e-4,
    "payback_years": 1e-3,
}
"""Per metric, the bound on the scale-aware float32 error against float64: about 10x the worst error measured
on NumPy and the native kernel (the table in tests/test_float32.py's docstring, which also checks that the
measured figures still hold)."""
