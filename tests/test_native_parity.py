"""The native kernel (host C++, ``kernels/dcecon_native.cpp``) equals the NumPy array-API model.

The NumPy model (``src/dcecon/model``, evaluated per chunk by
``dcecon.grid_engine.batch.evaluate_chunk``) is the reference; the fused
kernel must reproduce it operation for operation (``kernels/dcecon_model.cuh``
says so), so in float64 every output agrees to ``RTOL = 1e-10``, four to five
orders of magnitude above the rounding actually seen (about 1e-14).

"Relative" is scale-aware: ``|a - b| <= RTOL * (|b| + scale)``, where
``scale`` is the magnitude of the terms a quantity is computed from (see
:func:`metric_scales`). Sums of same-signed terms (revenue, costs, energy,
break-even price, cost per billed hour) have ``scale = 0`` (plain relative
error); a difference of large terms (gross profit, EBITDA, NPV, the slope of
the break-even utilization) carries the rounding of its terms, not of its
(possibly tiny) result, so its scale is the size of those terms; rates (IRR)
and years (payback) get an absolute floor of 1 (a rate near 0 has no
meaningful relative error). NaN and infinity positions must be identical.

What is checked:

- scenario by scenario, ``kernels.native_evaluate`` against ``evaluate_chunk``
  on explicit cases that cover every option (straight line with fractional
  lives, double declining balance and sum of years digits with whole lives,
  service life shorter and longer than the book life, owned and leased
  facilities, cohort overrides of PUE, electricity and facility, 1-4 cohort
  fleets with in-service dates before the start, on and off the period grid,
  ``it_power_mw`` cohorts, 1/4/12 periods a year, zero and negative price
  decline, electricity escalation, taxes, salvage, price paths - token
  pricing, a step cut, generation steps -, sampled dimensions) plus
  randomized cases drawing those options from a seeded generator;
- grid reductions of ``dcecon.grid(..., backend="native")`` against
  ``backend="numpy"``: counts, NaN/inf counts, negatives, sketches and table
  counts exactly equal; argmin/argmax equal, or on a scenario whose value
  ties the other's to rounding (mathematically equal values, e.g. opex along
  an axis it does not depend on, are summed in another order by the kernel);
  moments, extremes and table sums to ``RTOL`` (scale-aware); sampled runs
  (Sobol', LHS, random) and a chunk size that splits a cell's samples;
- thread counts: ``threads=1`` vs ``2`` (and OpenMP granting fewer threads);
- the CLI: ``dcecon grid ... --json`` on ``native`` and ``numpy``;
- every finite IRR is a root of its NPV (both backends);
- regressions of two fixed bugs: an IRR that was not a root (a stalled
  false-position step taken for convergence), and a ``next_generation_year``
  axis ignored by the array model.

The helpers are reused by ``tests/test_gpu_parity.py`` and
``tests/test_float32.py``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dcecon
from dcecon.backends import native, resolve_backend
from dcecon.grid_engine import kernels
from dcecon.grid_engine.api import prepare
from dcecon.grid_engine.batch import METRICS, chunk_parameters, evaluate_chunk
from dcecon.grid_engine.reduce import make_layout
from dcecon.model import finance
from dcecon.model.cohort import cohort_flows
from dcecon.model.fleet import window_and_lifetime
from dcecon.scenario.loader import load_raw, validate

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
NEOCLOUD = SCENARIOS / "h100-neocloud-2024.toml"

RTOL = 1e-10
"""float64 tolerance of every comparison (scale-aware, see the module docstring)."""

CACHE_FOLDER = "dcecon-native-cache"
"""Folder under pytest's session base temp that holds the native build of this test session."""

COL = {name: j for j, name in enumerate(METRICS)}

EXACT_TABLE_STATS = ("count", "positive_margin", "positive_npv")

NONRESULT_SUMMARY_KEYS = {"backend", "seconds", "scenarios_per_second", "chunks", "chunk_size"}
"""summary.json fields that describe the run, not its results: the backend's name, timing, and the chunk size
that each backend derives from its own memory model (engine.chunk_size_for)."""


# --- the session's native build ---------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def native_cache(tmp_path_factory):
    """``DCECON_CACHE_DIR`` -> one folder per test session, so tests never touch the user's cache.

    The folder's path is fixed under the session's base temp, so the library
    is built once (about 2 s) however many modules use this fixture; the
    environment and the loader's memo are restored at the end of the module.
    """
    folder = tmp_path_factory.getbasetemp() / CACHE_FOLDER
    folder.mkdir(exist_ok=True)
    previous = os.environ.get("DCECON_CACHE_DIR")
    os.environ["DCECON_CACHE_DIR"] = str(folder)
    native.load_library.cache_clear()
    yield folder
    native.load_library.cache_clear()
    if previous is None:
        os.environ.pop("DCECON_CACHE_DIR", None)
    else:
        os.environ["DCECON_CACHE_DIR"] = previous


@pytest.fixture(scope="module")
def native_lib(native_cache):
    """The native library built into the session's cache (skips only where no C++ compiler exists)."""
    if native.find_compiler() is None:
        pytest.skip("no C++ compiler (CXX, c++, g++ or clang++) on this machine")
    return native.load_library()


def subprocess_env(cache_dir, **extra) -> dict:
    """Environment of a ``dcecon`` subprocess that uses the session's native cache."""
    env = dict(os.environ)
    env["DCECON_CACHE_DIR"] = str(cache_dir)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_cli(args, env, check=True) -> subprocess.CompletedProcess:
    """``python -m dcecon ARGS`` in a subprocess (the console script's code path)."""
    done = subprocess.run([sys.executable, "-m", "dcecon", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    if check:
        assert done.returncode == 0, f"dcecon {' '.join(args)} failed ({done.returncode}):\n{done.stderr}"
    return done


# --- scenarios ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CohortOptions:
    """The structural options of one cohort; its numbers are drawn by :func:`make_raw`.

    ``overrides`` may hold ``pue``, ``electricity``, ``escalation`` (own
    values instead of the site's), ``owned`` (own building capex and life) and
    ``leased`` (own colocation rent). ``tokens``: priced per million tokens
    instead of per GPU-hour; ``price_step``: ``(years after start_year,
    cut)`` of a one-off price cut; ``generations``: ``(interval, cut, first
    arrival in years after start_year or None for the default
    in_service_year + interval)``.
    """

    method: str = "straight_line"
    book_life: float = 5.0
    service_life: float | None = None
    in_service_offset: float = 0.0
    sized_by_power: bool = False
    overrides: tuple = ()
    facility_life: float | None = None
    tokens: bool = False
    price_step: tuple | None = None
    generations: tuple | None = None


def make_raw(seed: int, *, periods_per_year: int, horizon_years: float, owned_site: bool, cohorts, taxed=True,
             start_year=2025.0) -> dict:
    """A raw scenario dict with the given structure and numbers drawn from ``default_rng(seed)``.

    The ranges are those of real fleets (the bundled scenarios sit inside
    them): capex 20-60k USD per GPU, 0.7-1.8 kW, 1-5 USD/h, PUE 1.1-1.6, ...
    """
    rng = np.random.default_rng(seed)

    def u(lo, hi):
        return round(float(rng.uniform(lo, hi)), 6)

    site = {"pue": u(1.1, 1.6), "electricity_usd_per_kwh": u(0.04, 0.15),
            "electricity_escalation_per_year": u(-0.02, 0.05)}
    if owned_site:
        site["facility_capex_usd_per_mw"] = u(8e6, 14e6)
        site["facility_life_years"] = float(rng.integers(8, 25))
    else:
        site["colocation_usd_per_kw_month"] = u(50.0, 200.0)
    entries = []
    for k, c in enumerate(cohorts):
        entry = {
            "name": f"cohort{k}", "in_service_year": start_year + c.in_service_offset,
            "capex_usd_per_gpu": u(20000, 60000), "book_life_years": c.book_life, "depreciation_method": c.method,
            "salvage_fraction": u(0.0, 0.2), "power_kw_per_gpu": u(0.7, 1.8), "idle_power_fraction": u(0.1, 0.5),
            "utilization": u(0.3, 1.0), "price_decline_per_year": u(-0.05, 0.3),
            "maintenance_fraction_of_capex_per_year": u(0.0, 0.05), "other_opex_usd_per_gpu_year": u(0.0, 3000.0),
        }
        if c.tokens:  # 0.3-2 USD per million tokens at 500-2,000 tokens/s: 0.5-14 USD per GPU-hour
            entry["price_usd_per_million_tokens"] = u(0.3, 2.0)
            entry["tokens_per_second_per_gpu"] = u(500.0, 2000.0)
        else:
            entry["price_usd_per_gpu_hour"] = u(1.0, 5.0)
        if c.price_step is not None:
            entry["price_step_year"] = start_year + c.price_step[0]
            entry["price_step_cut"] = c.price_step[1]
        if c.generations is not None:
            entry["generation_interval_years"], entry["generation_price_cut"] = c.generations[:2]
            if c.generations[2] is not None:
                entry["next_generation_year"] = start_year + c.generations[2]
        if c.sized_by_power:
            entry["it_power_mw"] = u(1.0, 50.0)
        else:
            entry["gpus"] = float(rng.integers(100, 5000))
        if c.service_life is not None:
            entry["service_life_years"] = c.service_life
        if "pue" in c.overrides:
            entry["pue"] = u(1.05, 1.9)
        if "electricity" in c.overrides:
            entry["electricity_usd_per_kwh"] = u(0.02, 0.3)
        if "escalation" in c.overrides:
            entry["electricity_escalation_per_year"] = u(-0.05, 0.08)
        if "owned" in c.overrides:
            entry["facility_capex_usd_per_mw"] = u(5e6, 15e6)
            entry["facility_life_years"] = c.facility_life or float(rng.integers(5, 20))
        elif c.facility_life is not None:
            entry["facility_life_years"] = c.facility_life
        if "leased" in c.overrides:
            entry["colocation_usd_per_kw_month"] = u(80.0, 250.0)
        entries.append(entry)
    return {
        "name": f"parity-{seed}",
        "description": "a parity-test fleet (numbers drawn from a seeded generator)",
        "start_year": start_year,
        "horizon_years": horizon_years,
        "periods_per_year": periods_per_year,
        "site": site,
        "finance": {"discount_rate": u(0.03, 0.15), "tax_rate": u(0.1, 0.3) if taxed else 0.0},
        "cohorts": entries,
    }


@dataclasses.dataclass(frozen=True)
class Case:
    """A scenario and the axes of a small grid over it."""

    id: str
    raw: dict
    axes: tuple
    samples: int | None = None
    sampler: str = "sobol"

    def scenario(self):
        """The validated scenario (``dcecon.scenario.loader.validate``)."""
        return validate(self.raw, {}, "test")

    def plan(self):
        """The grid plan (``dcecon.grid_engine.api.prepare``)."""
        return prepare(self.raw, {}, "test", axes=list(self.axes), samples=self.samples, sampler=self.sampler)

    def grid(self, **kwargs):
        """``dcecon.grid`` of this case."""
        return dcecon.grid(self.scenario(), axes=list(self.axes), samples=self.samples, sampler=self.sampler,
                           **kwargs)


SL, DDB, SYD = "straight_line", "double_declining_balance", "sum_of_years_digits"

EXPLICIT_CASES = [
    # utilization 0 gives no revenue: NaN margin and IRR, infinite break-even utilization; price 0 infinite ones
    Case("sl-annual-leased", make_raw(1, periods_per_year=1, horizon_years=5, owned_site=False, taxed=False,
                                      cohorts=[CohortOptions(SL, 5.0)]),
         ("cohorts.0.utilization=0:1:5", "cohorts.0.price_usd_per_gpu_hour=0,2,4", "finance.discount_rate=0,0.1")),
    # fractional straight-line lives (5.5 as Meta's), service life longer than the book life, owned site, taxes
    Case("sl-fractional-quarterly-owned",
         make_raw(2, periods_per_year=4, horizon_years=6, owned_site=True,
                  cohorts=[CohortOptions(SL, 5.5, service_life=7.0)]),
         ("cohorts.0.book_life_years=4.5,5.5,6.25", "cohorts.0.utilization=0.4,0.9", "finance.tax_rate=0,0.21")),
    # double declining balance, service life shorter than the book life, zero and negative price decline, salvage
    Case("ddb-monthly-short-service",
         make_raw(3, periods_per_year=12, horizon_years=3, owned_site=False,
                  cohorts=[CohortOptions(DDB, 5.0, service_life=3.5)]),
         ("cohorts.0.salvage_fraction=0,0.1,0.3", "cohorts.0.price_decline_per_year=-0.05,0,0.2",
          "cohorts.0.book_life_years=3,4,6")),
    # sum of years digits, electricity escalation (negative, zero, positive), owned building capex incl. 0
    Case("syd-quarterly-escalation",
         make_raw(4, periods_per_year=4, horizon_years=4.5, owned_site=True,
                  cohorts=[CohortOptions(SYD, 4.0, service_life=6.0)]),
         ("site.electricity_escalation_per_year=-0.03,0,0.05", "site.facility_capex_usd_per_mw=0,9e6,14e6",
          "finance.discount_rate=0,0.12")),
    # a book life axis on a cohort whose service life defaults to it (the axis moves both)
    Case("ddb-annual-default-service",
         make_raw(5, periods_per_year=1, horizon_years=4, owned_site=False, cohorts=[CohortOptions(DDB, 4.0)]),
         ("cohorts.0.book_life_years=2,3,5,7", "cohorts.0.salvage_fraction=0,0.15")),
    # four cohorts: all methods, in service before the start and off the quarterly grid, one sized by IT power,
    # overrides of PUE, electricity and facility (owned with a building life shorter than the service life)
    Case("fleet-4-mixed-quarterly",
         make_raw(6, periods_per_year=4, horizon_years=5, owned_site=False, cohorts=[
             CohortOptions(SL, 5.5, in_service_offset=-2.3),
             CohortOptions(DDB, 4.0, in_service_offset=0.0, overrides=("pue",)),
             CohortOptions(SYD, 5.0, in_service_offset=0.37, sized_by_power=True, overrides=("electricity",)),
             CohortOptions(SL, 3.0, service_life=6.0, in_service_offset=1.25, overrides=("owned",),
                           facility_life=4.0)]),
         ("cohorts.*.utilization=0.2,0.7,1", "cohorts.2.it_power_mw=5,40",
          "cohorts.1.in_service_year=2024.6,2025,2025.37")),
    # three cohorts, monthly, owned site: a leased cohort, an escalation override, PUE + electricity overrides
    Case("fleet-3-monthly-overrides",
         make_raw(7, periods_per_year=12, horizon_years=2, owned_site=True, cohorts=[
             CohortOptions(SL, 4.0, in_service_offset=-1.0, overrides=("leased",)),
             CohortOptions(DDB, 3.0, in_service_offset=0.5 / 12 + 0.01, overrides=("escalation",)),
             CohortOptions(SYD, 4.0, in_service_offset=0.2, sized_by_power=True, overrides=("pue", "electricity"))]),
         ("site.pue=1.1,1.5", "site.facility_life_years=3,30", "finance.tax_rate=0,0.3")),
    # two cohorts bought before the window on annual periods, one off the yearly grid (2021.6)
    Case("fleet-2-annual-early",
         make_raw(8, periods_per_year=1, horizon_years=3, owned_site=True, cohorts=[
             CohortOptions(SL, 4.0, service_life=4.0, in_service_offset=-3.4),
             CohortOptions(DDB, 6.0, in_service_offset=-1.0, overrides=("leased",))]),
         ("cohorts.0.service_life_years=2,4.5,8", "cohorts.*.price_decline_per_year=-0.1,0,0.3")),
    # price paths: a step cut inside the window, generation steps (default first arrival, which follows an
    # in-service axis), token pricing with an explicit first arrival
    Case("price-paths-quarterly",
         make_raw(9, periods_per_year=4, horizon_years=5, owned_site=False, cohorts=[
             CohortOptions(SL, 5.0, in_service_offset=-0.5, price_step=(1.3, 0.4), generations=(1.5, 0.2, None)),
             CohortOptions(DDB, 4.0, in_service_offset=0.25, tokens=True, generations=(2.0, 0.3, 0.9))]),
         ("cohorts.0.price_step_cut=0,0.3,0.6", "cohorts.0.generation_interval_years=1,2.5",
          "cohorts.0.in_service_year=2024.3,2025.1", "cohorts.1.price_usd_per_million_tokens=0,0.5,2")),
    Case("price-paths-monthly-tokens",
         make_raw(10, periods_per_year=12, horizon_years=2.5, owned_site=True, cohorts=[
             CohortOptions(SYD, 3.0, tokens=True, price_step=(0.55, 0.25)),
             CohortOptions(SL, 5.5, in_service_offset=-1.2, generations=(0.75, 0.1, -0.3))]),
         ("cohorts.0.tokens_per_second_per_gpu=400,1500,3000", "cohorts.0.price_step_year=2025.2,2026.05",
          "cohorts.1.next_generation_year=2025.1,2026.3", "cohorts.1.generation_price_cut=0,0.35")),
]

SAMPLED_CASES = [
    Case("sampled-sobol",
         make_raw(11, periods_per_year=4, horizon_years=4, owned_site=False, cohorts=[
             CohortOptions(SL, 5.0), CohortOptions(DDB, 4.0, in_service_offset=0.6)]),
         ("cohorts.0.utilization=0.5,0.9", "cohorts.*.price_usd_per_gpu_hour=uniform(0.5, 5)",
          "site.electricity_usd_per_kwh=triangular(0.03, 0.08, 0.2)", "finance.discount_rate=normal(0.08, 0.03)"),
         samples=16, sampler="sobol"),
    Case("sampled-lhs",
         make_raw(12, periods_per_year=12, horizon_years=2, owned_site=True, cohorts=[CohortOptions(SYD, 3.0)]),
         ("finance.tax_rate=0,0.25", "cohorts.0.price_decline_per_year=uniform(-0.2, 0.4)",
          "cohorts.0.capex_usd_per_gpu=lognormal(10.5, 0.3)"),
         samples=20, sampler="lhs"),
    Case("sampled-random",
         make_raw(13, periods_per_year=1, horizon_years=5, owned_site=False, cohorts=[
             CohortOptions(SL, 5.5, service_life=6.0), CohortOptions(SL, 3.0, in_service_offset=-1.5)]),
         ("cohorts.0.utilization=0.3,1", "cohorts.0.in_service_year=uniform(2023.5, 2026.2)"),
         samples=12, sampler="random"),
    Case("sampled-price-paths",
         make_raw(14, periods_per_year=4, horizon_years=3, owned_site=False, cohorts=[
             CohortOptions(SL, 4.0, tokens=True, price_step=(1.0, 0.3), generations=(1.0, 0.15, None))]),
         ("cohorts.0.price_step_cut=uniform(0, 0.8)", "cohorts.0.tokens_per_second_per_gpu=triangular(300, 900, 2500)",
          "cohorts.0.generation_interval_years=uniform(0.5, 3)"),
         samples=16, sampler="lhs"),
]


def random_case(seed: int) -> Case:
    """A case whose every structural option is drawn from ``default_rng(seed)`` (the numbers too)."""
    rng = np.random.default_rng(1000 + seed)
    ppy = int(rng.choice([1, 4, 12]))
    horizon = float(rng.choice({1: [1.0, 3.0, 5.0], 4: [0.25, 2.5, 4.0], 12: [0.25, 1.5, 3.0]}[ppy]))
    owned_site = bool(rng.random() < 0.5)
    cohorts = []
    for k in range(int(rng.integers(1, 5))):
        method = str(rng.choice([SL, DDB, SYD]))
        book = float(rng.choice([3.0, 4.5, 5.5, 6.25])) if method == SL else float(rng.integers(2, 8))
        service = None if rng.random() < 0.4 else round(float(book * rng.choice([0.5, 0.8, 1.0, 1.3, 1.7])), 4)
        offset = float(rng.choice([-3.5, -1.0, 0.0, 0.37, 1.25, 0.5 / 12]))
        overrides = tuple(o for o in ("pue", "electricity", "escalation") if rng.random() < 0.3)
        facility = rng.random()
        overrides += ("leased",) if owned_site and facility < 0.3 else ("owned",) if facility < 0.3 else ()
        tokens = bool(rng.random() < 0.25)
        step = (float(rng.choice([0.0, 0.6, 1.75])), round(float(rng.uniform(0.1, 0.5)), 3)) if rng.random() < 0.3 \
            else None
        generations = (float(rng.choice([0.5, 1.0, 2.5])), round(float(rng.uniform(0.05, 0.4)), 3),
                       None if rng.random() < 0.5 else float(rng.choice([-0.4, 0.3, 1.0]))) if rng.random() < 0.3 \
            else None
        cohorts.append(CohortOptions(method, book, service, offset, bool(rng.random() < 0.3), overrides, None,
                                     tokens, step, generations))
    raw = make_raw(seed, periods_per_year=ppy, horizon_years=horizon, owned_site=owned_site, cohorts=cohorts,
                   taxed=bool(rng.random() < 0.7))
    price_axis = ("cohorts.0.price_usd_per_million_tokens=0.2,1.5" if cohorts[0].tokens
                  else "cohorts.0.price_usd_per_gpu_hour=0.5,2,6")
    pool = ["cohorts.*.utilization=0,0.5,1", price_axis, "finance.discount_rate=0,0.2",
            "finance.tax_rate=0,0.35", "cohorts.0.price_decline_per_year=-0.1,0,0.25", "cohorts.0.salvage_fraction=0,0.3",
            "cohorts.*.capex_usd_per_gpu=15000,70000", f"cohorts.0.in_service_year={2025 - 1.3},{2025 + 0.7}"]
    if not all("escalation" in c.overrides for c in cohorts):
        pool.append("site.electricity_escalation_per_year=-0.04,0.06")
    if not all("pue" in c.overrides for c in cohorts):
        pool.append("site.pue=1.05,1.7")
    pool.append("cohorts.0.it_power_mw=2,30" if cohorts[0].sized_by_power else "cohorts.0.gpus=64,8000")
    picked = rng.choice(len(pool), size=2, replace=False)
    return Case(f"random-{seed}", raw, tuple(pool[i] for i in sorted(picked)))


RANDOM_CASES = [random_case(seed) for seed in range(14)]
ALL_CASES = EXPLICIT_CASES + SAMPLED_CASES + RANDOM_CASES
CASE_IDS = [c.id for c in ALL_CASES]


# --- the reference and the comparison --------------------------------------------------------------------------


def reference(plan, start: int = 0, stop: int | None = None, dtype: str = "float64"):
    """Metrics of scenarios ``start .. stop - 1`` from the NumPy model (``evaluate_chunk``), shape ``(m, 16)``."""
    stop = plan.n_scenarios if stop is None else stop
    values, _ = plan.dimension_values(start, stop)
    out = evaluate_chunk(resolve_backend("numpy", dtype), plan, plan.static_extents(), values, stop - start)
    return np.stack([np.asarray(out[name], dtype=np.float64) for name in METRICS], axis=1)


def metric_scales(plan, metrics: np.ndarray, start: int = 0, stop: int | None = None) -> np.ndarray:
    """The magnitude of the terms each metric of each scenario is computed from, shape ``(m, 16)``.

    - sums (or ratios of sums) of same-signed terms - revenue, costs, energy,
      break-even price, cost per billed hour: 0, the error is relative to
      the value itself;
    - gross profit and EBITDA: window revenue + COGS (EBITDA's terms are
      revenue, power, opex and lease, all inside revenue + COGS);
    - gross margin = gross profit / revenue: (revenue + COGS) / revenue;
    - NPV: capex + lifetime revenue + lifetime COGS (every cash flow - free
      cash flow, tax on at most the gross profit, terminal value <= capex,
      capex - is bounded by these), times ``(1 + r)^(years before start)``
      for cohorts bought before the valuation date, whose flows are
      compounded forward;
    - break-even utilization ``u* = F / S`` with ``S = R - P``, ``R`` the
      lifetime revenue at full utilization and ``P`` the full-load power cost
      times ``1 - idle`` (fleet.investment_view): ``S`` carries the rounding
      of ``R + P``, so ``u*`` that of ``|u*| (R + P) / |S|``;
    - IRR [-/year] and payback [years]: 1, an absolute floor.

    The terms come from the same NumPy model (``window_and_lifetime``'s
    lifetime sums and capex, ``cohort_flows`` on the lifetime grid).
    """
    stop = plan.n_scenarios if stop is None else stop
    m = stop - start
    backend = resolve_backend("numpy")
    extents = plan.static_extents()
    values, _ = plan.dimension_values(start, stop)
    fleet, finance = chunk_parameters(backend, plan, values)
    s = plan.scenario
    _, _, view = window_and_lifetime(backend.xp, fleet, finance["discount_rate"], finance["tax_rate"], s.start_year,
                                     extents["window_periods"], extents["lifetime_range"], s.periods_per_year,
                                     extents["n_schedule_years"])

    def column(a):
        return np.broadcast_to(np.asarray(a, dtype=np.float64).reshape(-1), (m,))

    revenue, cogs = metrics[:, COL["revenue_usd"]], metrics[:, COL["cogs_usd"]]
    earliest = np.min(np.stack([column(params["in_service_year"]) for params, _ in fleet]), axis=0)
    compounding = (1.0 + column(finance["discount_rate"])) ** np.maximum(0.0, s.start_year - earliest)
    scale = np.zeros_like(metrics)
    scale[:, COL["gross_profit_usd"]] = revenue + cogs
    scale[:, COL["ebitda_usd"]] = revenue + cogs
    scale[:, COL["gross_margin"]] = (revenue + cogs) / np.where(revenue > 0, revenue, 1.0)
    scale[:, COL["npv_usd"]] = compounding * (column(view["capex_usd"]) + column(view["lifetime_revenue_usd"])
                                              + column(view["lifetime_cogs_usd"]))
    scale[:, COL["irr"]] = 1.0
    scale[:, COL["payback_years"]] = 1.0
    j_lo = min(extents["lifetime_range"][0], 0)
    j_hi = max(extents["lifetime_range"][1], extents["window_periods"])
    full_revenue = full_power = 0.0
    for params, method in fleet:
        flows = cohort_flows(backend.xp, params, method, s.start_year + j_lo / s.periods_per_year, j_hi - j_lo,
                             s.periods_per_year, extents["n_schedule_years"])
        full_revenue = full_revenue + column(np.sum(flows["revenue_at_full_utilization_usd"], axis=-1))
        full_power = full_power + column(np.sum(flows["power_cost_at_full_load_usd"], axis=-1)
                                         * (1.0 - np.asarray(params["idle_power_fraction"]).reshape(-1)))
    slope = full_revenue - full_power
    breakeven = np.abs(metrics[:, COL["breakeven_utilization"]])
    with np.errstate(divide="ignore", invalid="ignore"):
        scale[:, COL["breakeven_utilization"]] = np.where(slope > 0, breakeven * (full_revenue + full_power)
                                                          / np.where(slope > 0, slope, 1.0), 0.0)
    return scale


def scaled_errors(actual: np.ndarray, expected: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``|a - b| / (|b| + scale)`` where both are finite, 0 elsewhere (same shape)."""
    a, b = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    both = np.isfinite(a) & np.isfinite(b)
    with np.errstate(invalid="ignore", divide="ignore"):
        err = np.abs(a - b) / (np.abs(b) + scale)
    return np.where(both & (np.abs(b) + scale > 0), err, np.where(both & (a != b), np.inf, 0.0))


def special_mismatch(actual: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Where NaN positions or infinities (with their sign) differ."""
    a, b = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    nan_differs = np.isnan(a) != np.isnan(b)
    inf_differs = (np.isinf(a) | np.isinf(b)) & ~(np.isnan(a) | np.isnan(b)) & (a != b)
    return nan_differs | inf_differs


def assert_metrics_close(actual, expected, scale, rtol=RTOL, plan=None, start=0, what="native"):
    """Every metric of every scenario: ``|a - b| <= rtol * (|b| + scale)``; NaN and inf positions identical."""
    problems = []
    err = scaled_errors(actual, expected, scale)
    special = special_mismatch(actual, expected)
    for name, j in COL.items():
        bad = np.flatnonzero(special[:, j] | (err[:, j] > rtol))
        if bad.size:
            i = bad[np.argmax(np.where(special[bad, j], np.inf, err[bad, j]))]
            where = plan.parameters_at(start + int(i)) if plan is not None else {}
            problems.append(f"{name}: {bad.size} scenario(s), e.g. #{start + i} {what}={actual[i, j]!r} "
                            f"numpy={expected[i, j]!r} scaled error {err[i, j]:.3g} (scale {scale[i, j]:.4g}) "
                            f"at {where}")
    assert not problems, "\n".join(problems)


def file_plan(path, axes, samples=None, sampler="sobol"):
    """The plan of ``dcecon grid PATH --axis ...`` (``load_raw`` + ``prepare``, as the CLI builds it)."""
    raw, provenance = load_raw(path)
    return prepare(raw, provenance, path, axes=list(axes), samples=samples, sampler=sampler)


def kernel_inputs(plan, dtype="float64", chunk=None):
    """``(layout, args)`` of a plan as the engine packs them (``kernels.pack``)."""
    chunk = chunk or plan.n_scenarios
    layout = make_layout(plan.shape, plan.n_samples, len(plan.sampled), METRICS, chunk)
    return layout, kernels.pack(plan, plan.static_extents(), layout, dtype)


def check_pointwise(plan, evaluate, dtype="float64", rtol=RTOL, what="native"):
    """Compare ``evaluate(plan, args, start, stop) -> (m, 16)`` with the NumPy reference.

    Runs the whole grid, and a range starting inside it (the kernels take the
    sampled values chunk-relative and decode coordinates from the global index).
    """
    n = plan.n_scenarios
    expected = reference(plan)
    scale = metric_scales(plan, expected)
    _, args = kernel_inputs(plan, dtype)
    for start, stop in ((0, n), (n // 3, n)):
        actual = np.asarray(evaluate(plan, args, start, stop), dtype=np.float64)
        assert actual.shape == (stop - start, len(METRICS))
        assert_metrics_close(actual, expected[start:stop], scale[start:stop], rtol, plan, start, what)
    return expected


@dataclasses.dataclass
class GridReference:
    """Every scenario of a plan from the NumPy model, with the scales of :func:`metric_scales`.

    ``size[j]`` is the largest ``|value| + scale`` of metric ``j`` over the
    grid (the size of what a reduction adds up). :meth:`tied` says whether
    two scenarios' values of a metric are equal to rounding: the extreme of
    mathematically tied values (e.g. opex over an axis it does not depend
    on) may fall on either scenario, since the backends add cohorts and
    periods in different orders (NumPy sums each cohort over periods, the
    kernel each period over cohorts).
    """

    values: np.ndarray
    scale: np.ndarray
    size: np.ndarray

    @classmethod
    def of(cls, plan) -> "GridReference":
        values = reference(plan)
        scale = metric_scales(plan, values)
        size = np.where(np.isfinite(values), np.abs(values) + scale, 0.0).max(axis=0)
        return cls(values, scale, size)

    def tied(self, metric: str, i: int, k: int, rtol: float = RTOL) -> bool:
        j = COL[metric]
        if i < 0 or k < 0:
            return i == k
        a, b = self.values[i, j], self.values[k, j]
        return bool(a == b or abs(a - b) <= rtol * (abs(b) + self.scale[k, j]))


def grid_metric_scales(plan) -> np.ndarray:
    """Per metric, the largest ``|value| + scale`` over the grid's scenarios (:class:`GridReference`)."""
    return GridReference.of(plan).size


def _close(a, b, scale, rtol):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if np.any(special_mismatch(a, b)):
        return False
    both = np.isfinite(a) & np.isfinite(b)
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), a.shape)
    return bool(np.all(np.abs(a[both] - b[both]) <= rtol * (np.abs(b[both]) + scale[both])))


def assert_results_close(actual, expected, plan, rtol=RTOL, what="native"):
    """Two :class:`GridResult` of the same plan and metric selection: counts and indices equal, sums and
    moments to ``rtol``.

    Counts (finite, NaN, +-inf, negative), sketch buckets and table counts
    must be equal; argmin/argmax equal unless the two scenarios' values tie to
    rounding (:meth:`GridReference.tied`); means, std, min/max and table sums
    agree to ``rtol`` on the scale of the metric's values (a table sum adds
    ``count`` of them).
    """
    metrics = list(expected.metrics)
    assert list(actual.metrics) == metrics, f"{what} computed {actual.metrics}, numpy {expected.metrics}"
    ref = GridReference.of(plan)
    size = ref.size[[COL[m] for m in metrics]]
    a, b = actual.merged, expected.merged
    problems = []
    for field in ("count", "nan", "posinf", "neginf", "negative", "sketch"):
        if not np.array_equal(getattr(a, field), getattr(b, field)):
            diff = np.flatnonzero(np.any(np.reshape(getattr(a, field) != getattr(b, field), (len(metrics), -1)),
                                         axis=1))
            problems.append(f"{field} differs for {[metrics[i] for i in diff]}")
    for field in ("argmin", "argmax"):
        for j, metric in enumerate(metrics):
            i, k = int(getattr(a, field)[j]), int(getattr(b, field)[j])
            if i != k and not ref.tied(metric, i, k, rtol):
                problems.append(f"{field} of {metric}: {what} #{i} ({ref.values[i, COL[metric]]!r}) vs numpy #{k} "
                                f"({ref.values[k, COL[metric]]!r}), not a tie")
    for field in ("minimum", "maximum", "mean"):
        if not _close(getattr(a, field), getattr(b, field), size, rtol):
            problems.append(f"{field}: {what} {getattr(a, field)} vs numpy {getattr(b, field)}")
    count = np.maximum(b.count, 1)
    std_a, std_b = np.sqrt(np.maximum(a.m2, 0) / count), np.sqrt(np.maximum(b.m2, 0) / count)
    if not _close(std_a, std_b, size, rtol):
        problems.append(f"std: {what} {std_a} vs numpy {std_b}")
    for kind, ours, theirs in (("marginal", a.marginals, b.marginals), ("table", a.tables, b.tables)):
        assert ours.keys() == theirs.keys(), f"{kind} keys differ: {ours.keys()} vs {theirs.keys()}"
        for key in theirs:
            for stat in EXACT_TABLE_STATS:
                if not np.array_equal(ours[key][stat], theirs[key][stat]):
                    problems.append(f"{kind} {key} {stat} differs")
            if not _close(ours[key]["sum"], theirs[key]["sum"], theirs[key]["count"] * size, rtol):
                problems.append(f"{kind} {key} sum differs beyond {rtol}")
            for stat in ("min", "max"):
                if not _close(ours[key][stat], theirs[key][stat], size, rtol):
                    problems.append(f"{kind} {key} {stat} differs beyond {rtol}")
    assert not problems, "\n".join(problems)
    assert_summaries_close(actual.to_dict(), expected.to_dict(), ref, rtol)


def assert_summaries_close(actual: dict, expected: dict, ref: GridReference, rtol=RTOL,
                           ignore=NONRESULT_SUMMARY_KEYS):
    """Two summary.json objects (``GridResult.to_dict`` or ``dcecon grid --json``): equal but for rounding.

    Integers and strings (counts, ``"nan"``/``"inf"``) must be equal; a
    metric's floats agree to ``rtol * (|b| + ref.size[metric])``; other floats
    (shares, accuracy) to ``rtol``; argmin/argmax and the best/worst
    scenario's index (and so its parameters) are equal or tie to rounding.
    """
    size_of = dict(zip(METRICS, np.asarray(ref.size, dtype=np.float64)))
    problems = []

    def walk(a, b, path, scale):
        if isinstance(b, dict):
            if set(a) - ignore != set(b) - ignore:
                problems.append(f"{path}: keys {sorted(set(a) ^ set(b))}")
                return
            for key in b:
                if key in ignore and path == "":
                    continue
                walk(a[key], b[key], f"{path}.{key}", size_of.get(key, scale))
        elif isinstance(b, list):
            if len(a) != len(b):
                problems.append(f"{path}: lengths {len(a)} vs {len(b)}")
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]", scale)
        elif isinstance(b, float) and isinstance(a, (int, float)):
            same = a == b or (math.isnan(a) and math.isnan(b))
            if not same and not abs(a - b) <= rtol * (abs(b) + scale):
                problems.append(f"{path}: {a!r} vs {b!r}")
        elif a != b:
            problems.append(f"{path}: {a!r} vs {b!r}")

    def without(d, keys):
        return {k: v for k, v in d.items() if k not in keys}

    for metric, b in expected["metrics"].items():
        a = actual["metrics"][metric]
        for key in ("argmin", "argmax"):
            if a[key] != b[key] and not ref.tied(metric, a[key], b[key], rtol):
                problems.append(f".metrics.{metric}.{key}: #{a[key]} vs #{b[key]}, not a tie")
        walk(without(a, ("argmin", "argmax")), without(b, ("argmin", "argmax")), f".metrics.{metric}",
             size_of[metric])
    for key in ("best", "worst"):
        for metric, b in expected[key].items():
            a = actual[key][metric]
            if a["index"] != b["index"] and ref.tied(metric, a["index"], b["index"], rtol):
                a, b = without(a, ("index", "parameters")), without(b, ("index", "parameters"))
            walk(a, b, f".{key}.{metric}", size_of[metric])
    walk(without(actual, ("metrics", "best", "worst")), without(expected, ("metrics", "best", "worst")), "", 0.0)
    assert not problems, "\n".join(problems[:30])


# --- tests: scenario by scenario --------------------------------------------------------------------------------


def native_evaluator(lib, threads=0):
    def evaluate(plan, args, start, stop):
        return kernels.native_evaluate(lib, plan, args, start, stop, threads)

    return evaluate


@pytest.mark.parametrize("case", ALL_CASES, ids=CASE_IDS)
def test_native_matches_numpy_per_scenario(case, native_lib):
    """Every metric of every scenario: native == NumPy to 1e-10 (scale-aware); NaN/inf positions identical."""
    check_pointwise(case.plan(), native_evaluator(native_lib))


def test_cases_cover_every_option():
    """The explicit and randomized cases together exercise every option the brief lists."""
    scenarios = [c.scenario() for c in ALL_CASES]
    cohorts = [(s, c) for s in scenarios for c in s.cohorts]
    assert {c.depreciation_method for _, c in cohorts} == {SL, DDB, SYD}
    assert any(c.depreciation_method == SL and not float(c.book_life_years).is_integer() for _, c in cohorts)
    assert any(c.service_life_years is not None and c.service_life_years < c.book_life_years for _, c in cohorts)
    assert any(c.service_life_years is not None and c.service_life_years > c.book_life_years for _, c in cohorts)
    assert any(s.site.facility_capex_usd_per_mw is not None for s in scenarios)
    assert any(s.site.colocation_usd_per_kw_month is not None for s in scenarios)
    for field in ("pue", "electricity_usd_per_kwh", "electricity_escalation_per_year", "facility_capex_usd_per_mw",
                  "colocation_usd_per_kw_month"):
        assert any(getattr(c, field) is not None for _, c in cohorts), field
    assert {len(s.cohorts) for s in scenarios} >= {1, 2, 3, 4}
    assert any(c.in_service_year < s.start_year for s, c in cohorts)
    assert any(((c.in_service_year - s.start_year) * s.periods_per_year) % 1 for s, c in cohorts)
    assert any(c.it_power_mw is not None for _, c in cohorts)
    assert {s.periods_per_year for s in scenarios} == {1, 4, 12}
    assert any(c.price_decline_per_year < 0 for _, c in cohorts)
    axes = [a for case in ALL_CASES for a in case.axes]
    assert any("price_decline_per_year" in a and ",0," in a for a in axes)
    assert any(s.site.electricity_escalation_per_year != 0 for s in scenarios)
    assert any(s.finance.tax_rate > 0 for s in scenarios)
    assert any(c.salvage_fraction > 0 for _, c in cohorts)
    assert {c.sampler for c in SAMPLED_CASES} == {"sobol", "lhs", "random"}
    # price paths (token pricing, step cut, generation steps with a default and an explicit first arrival)
    assert any(c.price_usd_per_million_tokens is not None for _, c in cohorts)
    assert any(c.price_step_year is not None and c.price_step_cut > 0 for _, c in cohorts)
    assert any(c.generation_interval_years is not None and c.next_generation_year is None for _, c in cohorts)
    assert any(c.next_generation_year is not None for _, c in cohorts)


# --- tests: grid reductions ------------------------------------------------------------------------------------


REDUCTION_CASES = [EXPLICIT_CASES[0], EXPLICIT_CASES[5], EXPLICIT_CASES[6], *SAMPLED_CASES, RANDOM_CASES[0],
                   RANDOM_CASES[3]]


@pytest.mark.parametrize("case", REDUCTION_CASES, ids=[c.id for c in REDUCTION_CASES])
def test_native_grid_reductions_match_numpy(case, native_lib):
    """``dcecon.grid(backend="native")`` vs ``"numpy"``: counts, sketches, argmin/argmax, table counts equal;
    means, std, extremes and table sums to 1e-10 (scale-aware)."""
    ours = case.grid(backend="native")
    theirs = case.grid(backend="numpy")
    assert ours.stats.backend == "native" and theirs.stats.backend == "numpy"
    assert_results_close(ours, theirs, case.plan())


def test_native_chunks_splitting_a_cells_samples(native_lib):
    """A chunk size below the samples of one cell (16 samples, chunks of 5) on native equals one-chunk NumPy."""
    case = SAMPLED_CASES[0]
    ours = case.grid(backend="native", chunk_size=5)
    assert ours.stats.n_chunks > case.plan().n_cells  # each cell's 16 samples span several chunks
    theirs = case.grid(backend="numpy")
    assert_results_close(ours, theirs, case.plan())
    split_numpy = case.grid(backend="numpy", chunk_size=5)
    assert_results_close(ours, split_numpy, case.plan())


def test_native_threads_one_vs_two(native_lib):
    """``threads=1`` vs ``threads=2``: counts, extremes, argmin/argmax, sketches and table counts identical.

    Means, second moments and table sums are merged per thread block (Chan
    et al.; ``dcecon_native.cpp``: "the same for any schedule" - for a given
    thread count), so across thread counts they move by rounding only, as for
    different chunk sizes (tests/test_grid_merge.py): 1e-12 relative here.
    A second run with the same thread count is identical bit for bit.
    """
    case = EXPLICIT_CASES[5]
    one = case.grid(backend="native", threads=1)
    two = case.grid(backend="native", threads=2)
    again = case.grid(backend="native", threads=2)
    plan = case.plan()
    assert_results_close(two, one, plan, rtol=1e-12)
    for field in ("count", "mean", "m2", "nan", "posinf", "neginf", "negative", "minimum", "argmin", "maximum",
                  "argmax", "sketch"):
        assert np.array_equal(getattr(two.merged, field), getattr(again.merged, field), equal_nan=True), field
        exact = field not in ("mean", "m2")
        if exact:
            assert np.array_equal(getattr(two.merged, field), getattr(one.merged, field), equal_nan=True), field
    for key, table in one.merged.tables.items():
        for stat in ("count", "positive_margin", "positive_npv", "min", "max"):
            assert np.array_equal(table[stat], two.merged.tables[key][stat]), (key, stat)


@pytest.mark.parametrize("omp_env", [{"OMP_THREAD_LIMIT": 1}, {"OMP_DYNAMIC": "true"}],
                         ids=["OMP_THREAD_LIMIT=1", "OMP_DYNAMIC=true"])
def test_native_threads_when_openmp_grants_fewer(omp_env, native_cache, native_lib):
    """``--threads 2`` (and the default, all cores) where OpenMP may grant fewer threads than asked give the
    ``--threads 1`` result (regression: reduce_impl used to size its blocks by the request and crashed, -11)."""
    args = ["grid", str(NEOCLOUD), "--axis", "cohorts.0.utilization=0.1:1:10", "--backend", "native", "--json"]
    one = run_cli(args + ["--threads", "1"], subprocess_env(native_cache))
    for threads in ("2", "0"):
        limited = run_cli(args + ["--threads", threads], subprocess_env(native_cache, **omp_env), check=False)
        assert limited.returncode == 0, f"--threads {threads}: exit {limited.returncode}: {limited.stderr[-500:]}"
        ours, theirs = json.loads(limited.stdout), json.loads(one.stdout)
        reference_ = GridReference.of(file_plan(NEOCLOUD, ["cohorts.0.utilization=0.1:1:10"]))
        assert_summaries_close(ours, theirs, reference_, rtol=1e-12)


# --- tests: the CLI ----------------------------------------------------------------------------------------------


def test_cli_native_and_numpy_print_the_same_summary(native_cache, native_lib):
    """``dcecon grid scenarios/h100-neocloud-2024.toml --axis ... --json`` on native and numpy: same summary
    (run fields - backend, timing, chunk size - aside), numbers to 1e-10 (scale-aware)."""
    axes = ["cohorts.0.utilization=0:1:6", "cohorts.0.price_usd_per_gpu_hour=1:4:7", "finance.tax_rate=0,0.21"]
    argv = ["grid", str(NEOCLOUD)] + [f"--axis={a}" for a in axes]
    env = subprocess_env(native_cache)
    ours = json.loads(run_cli(argv + ["--backend", "native", "--json"], env).stdout)
    theirs = json.loads(run_cli(argv + ["--backend", "numpy", "--json"], env).stdout)
    assert ours["backend"] == "native" and theirs["backend"] == "numpy"
    assert ours["dtype"] == theirs["dtype"] == "float64"
    assert_summaries_close(ours, theirs, GridReference.of(file_plan(NEOCLOUD, axes)))


# --- IRR roots and generation axes (regressions) ------------------------------------------------------------


def irr_inputs(plan, monkeypatch):
    """The cash flows and times each scenario's IRR is solved from (captured from ``finance.irr``)."""
    captured = []
    real = finance.irr

    def spy(xp, flows, times):
        captured.append((np.asarray(flows, dtype=np.float64), np.asarray(times, dtype=np.float64)))
        return real(xp, flows, times)

    monkeypatch.setattr(finance, "irr", spy)
    reference(plan)
    monkeypatch.undo()
    flows, times = captured[-1]
    m = plan.n_scenarios
    flows = np.broadcast_to(flows.reshape(-1, flows.shape[-1]), (m, flows.shape[-1]))
    return flows, np.broadcast_to(times.reshape(-1, times.shape[-1]), flows.shape)


def npv_residual(flows, times, rate):
    """``|sum cf (1 + r)^-t| / sum |cf (1 + r)^-t|`` per row (0 at a root, 1 with no cancellation)."""
    with np.errstate(over="ignore", invalid="ignore"):
        terms = flows * np.exp(-times * np.log1p(rate)[:, None])
        return np.abs(terms.sum(axis=1)) / np.abs(terms).sum(axis=1)


@pytest.mark.parametrize("case", ALL_CASES, ids=CASE_IDS)
def test_every_finite_irr_is_a_root(case, native_lib, monkeypatch):
    """Every finite IRR (NumPy and native) makes the NPV of its cash flows vanish: residual <= 1e-9 of the
    discounted terms' size (the solver stops at a step of 1e-13 in ln(1 + r))."""
    plan = case.plan()
    flows, times = irr_inputs(plan, monkeypatch)
    _, args = kernel_inputs(plan)
    for what, rates in (("numpy", reference(plan)[:, COL["irr"]]),
                        ("native", kernels.native_evaluate(native_lib, plan, args, 0, plan.n_scenarios)[:, COL["irr"]])):
        finite = np.isfinite(rates)
        residual = npv_residual(flows[finite], times[finite], rates[finite])
        bad = np.flatnonzero(finite)[residual > 1e-9]
        assert not bad.size, (f"{what}: IRR of {bad.size} scenario(s) is not a root, e.g. #{bad[0]} "
                              f"irr={rates[bad[0]]!r} at {plan.parameters_at(int(bad[0]))}")


def test_irr_returns_a_root():
    """``finance.irr`` of capex, losses and a late salvage: the one root in [-0.99, 1000] (-0.6887, from a dense
    scan of the NPV in y = ln(1 + r), 2e5 points), not the first guess (-0.4648, where the NPV is -9.4e8)."""
    flows = np.array([[-26.6e6, -249.3e6, -1.4e6, -16.7e6, -16.8e6, -16.9e6, -17.0e6, 13.7e6, -1.4e6, -1.4e6,
                       -1.4e6, 0.56e6]])
    times = np.array([[0.0, 0.37, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]])
    ys = np.linspace(math.log1p(finance.IRR_LOWER_BOUND), math.log1p(finance.IRR_UPPER_BOUND), 200001)
    npv = (flows[0][None, :] * np.exp(-np.outer(ys, times[0]))).sum(axis=1)
    roots = np.expm1(ys[:-1][np.sign(npv[:-1]) != np.sign(npv[1:])])
    assert roots.size == 1 and abs(roots[0] + 0.6887) < 1e-3
    rate = float(finance.irr(np, flows, times)[0])
    assert npv_residual(flows, times, np.asarray([rate]))[0] <= 1e-9, f"irr={rate}: not a root"
    assert abs(rate - roots[0]) < 1e-4


NEXT_GENERATION_AXIS = Case(
    "next-generation-axis-on-default",
    make_raw(15, periods_per_year=4, horizon_years=4, owned_site=False,
             cohorts=[CohortOptions(SL, 5.0, generations=(2.0, 0.3, None))]),
    ("cohorts.0.next_generation_year=2025.5,2027",))
"""A ``next_generation_year`` axis on a cohort whose first arrival defaults to in_service_year + interval."""


def test_next_generation_year_axis_on_a_defaulted_arrival(native_lib):
    """Each scenario of a ``next_generation_year`` axis equals ``dcecon.evaluate`` of the scenario with that
    field set (the brute force of tests/test_grid_brute_force.py), on native and on NumPy."""
    case = NEXT_GENERATION_AXIS
    plan = case.plan()
    expected = []
    for value in (2025.5, 2027.0):
        raw = copy.deepcopy(case.raw)
        raw["cohorts"][0]["next_generation_year"] = value
        expected.append([dcecon.evaluate(validate(raw, {}, "brute-force"), backend="numpy").figures[m]
                         for m in ("revenue_usd", "npv_usd")])
    expected = np.asarray(expected)
    assert abs(expected[0, 0] - expected[1, 0]) > 1e-3 * expected[1, 0], "the axis values give different revenue"
    columns = [COL["revenue_usd"], COL["npv_usd"]]
    _, args = kernel_inputs(plan)
    native_values = kernels.native_evaluate(native_lib, plan, args, 0, plan.n_scenarios)[:, columns]
    np.testing.assert_allclose(native_values, expected, rtol=1e-10)
    np.testing.assert_allclose(reference(plan)[:, columns], expected, rtol=1e-10)
