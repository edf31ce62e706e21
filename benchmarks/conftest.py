"""Benchmark fixtures: the grids the issues name, built lazily (never materialized).

Sizes: ``DCECON_BENCH_SIZES`` (comma-separated scenario counts; default
``1e6``) - the issue's 10^6 to 10^8 sweep is ``DCECON_BENCH_SIZES=1e6,1e7,1e8``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

from dcecon.grid_engine.api import prepare
from dcecon.scenario.loader import apply_overrides, load_raw

ROOT = Path(__file__).resolve().parent.parent


def bench_sizes() -> list[int]:
    """Scenario counts to benchmark (env ``DCECON_BENCH_SIZES``)."""
    text = os.environ.get("DCECON_BENCH_SIZES", "1e6")
    return [int(float(x)) for x in text.split(",") if x.strip()]


def single_cohort_plan(n_scenarios: int):
    """The single-cohort, 6-year annual model: h100-neocloud-2024 with a 6-year window and life.

    Three cartesian axes (utilization, price, price decline) of equal size,
    their product rounded up to at least ``n_scenarios``.
    """
    raw, provenance = load_raw(ROOT / "scenarios" / "h100-neocloud-2024.toml")
    apply_overrides(raw, ["horizon_years=6", "cohorts.0.book_life_years=6"], provenance)
    side = math.ceil(n_scenarios ** (1 / 3))
    axes = [f"cohorts.0.utilization=0.3:0.95:{side}", f"cohorts.0.price_usd_per_gpu_hour=1:4:{side}",
            f"cohorts.0.price_decline_per_year=0:0.4:{side}"]
    return prepare(raw, provenance, "h100-6y", axes)


def four_cohort_plan(n_scenarios: int):
    """The 4-cohort quarterly model (benchmarks/fleet-4-cohorts-quarterly.toml) over three axes."""
    raw, provenance = load_raw(ROOT / "benchmarks" / "fleet-4-cohorts-quarterly.toml")
    side = math.ceil(n_scenarios ** (1 / 3))
    axes = [f"cohorts.*.utilization=0.3:0.95:{side}", f"cohorts.*.price_usd_per_gpu_hour=1:4:{side}",
            f"site.electricity_usd_per_kwh=0.03:0.15:{side}"]
    return prepare(raw, provenance, "fleet-4q", axes)


@pytest.fixture(scope="session")
def sizes():
    return bench_sizes()
