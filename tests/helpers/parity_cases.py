"""The scenarios and small grids every kernel is checked on against the NumPy model.

Explicit cases cover every option of the model (straight line with
fractional lives, double declining balance and sum of years digits with
whole lives, service life shorter and longer than the book life, owned and
leased facilities, cohort overrides of PUE, electricity and facility, 1-4
cohort fleets with in-service dates before the start, on and off the period
grid, ``it_power_mw`` cohorts, 1/4/12 periods a year, zero and negative
price decline, electricity escalation, taxes, salvage, price paths - token
pricing, a step cut, generation steps -, sampled dimensions); randomized
cases draw those options from a seeded generator. The numbers are drawn
from ranges of real fleets (:func:`make_raw`), so the cases are inputs, not
expected values: the expected values come from the NumPy model
(:func:`helpers.parity_checks.reference`).

Used by tests/test_native_parity.py (which checks that the cases cover every
option), tests/test_float32.py and tests/test_gpu_parity.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import dcecon
from dcecon.grid_engine.api import prepare
from dcecon.scenario.loader import validate


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

REDUCTION_CASES = [EXPLICIT_CASES[0], EXPLICIT_CASES[5], EXPLICIT_CASES[6], *SAMPLED_CASES, RANDOM_CASES[0],
                   RANDOM_CASES[3]]
"""The cases whose grid reductions (``dcecon.grid``) are compared: a one-cohort annual grid, two fleets, every
sampled case and two randomized ones."""
