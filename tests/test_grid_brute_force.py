"""The grid engine equals a brute-force loop over ``dcecon.evaluate`` (docs/grid.md).

Every reduction that ``dcecon grid`` reports is checked against the same
reduction computed here, with NumPy, from one ``dcecon.evaluate`` call per
scenario:

- each scenario's inputs come from an independent decoding of the flat index
  (``itertools.product`` over the axis values, row-major, samples fastest), or
  for a sampled dimension from ``GridPlan.dimension_values`` (the draws
  themselves are checked separately: strata, deciles, bounds);
- the scenario is the raw scenario dict with each of the axis's concrete
  fields set to the value, validated by the schema, exactly as
  ``load_scenario(path, overrides=[...])`` would build it (so a
  ``book_life_years`` axis also moves a defaulted service life, a site value
  reaches every cohort that does not override it, and ``it_power_mw`` sizes
  the GPU count: the engine's parameter binding is not used);
- counts, NaN and infinity counts, shares and table counts must be equal;
  means, standard deviations (population, over finite values) and min/max to
  ``rtol 1e-9`` (the engine evaluates a whole chunk at once, so its sums are
  in a different order); quantiles within the sketch's stated relative error
  of NumPy's value at rank ``floor(q (n - 1))`` of the sorted non-NaN values.

Grids: the two-cohort Oracle fixture (``cohorts.*`` wildcards, a cohort named
by name, site values shared by both cohorts, finance, whole-year book lives),
the single-cohort H100 neocloud (utilization and price from 0, which gives
NaN margins and IRRs and infinite break-evens and paybacks; fractional
straight-line book life; in-service year), a double-declining-balance variant,
GB200 NVL72 (``it_power_mw`` and ``power_kw_per_gpu``, owned facility), and a
sampled run (64 Sobol / LHS / random draws of uniform, triangular, normal and
lognormal inputs per grid cell). About 1,900 ``evaluate`` calls in all.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import norm

import dcecon
from dcecon.result import RESULT_FIELDS
from dcecon.grid_engine import sampling, sketch
from dcecon.grid_engine.api import execute, prepare
from dcecon.grid_engine.result import HIGHER_IS_BETTER, QUANTILE_NAMES, QUANTILES
from dcecon.grid_engine.spec import NORMAL_TAIL_SIGMAS
from dcecon.scenario import paths
from dcecon.scenario.loader import apply_overrides, load_raw, load_scenario, validate

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
ORACLE = SCENARIOS / "oracle-fy26q1.toml"
NEOCLOUD = SCENARIOS / "h100-neocloud-2024.toml"
GB200 = SCENARIOS / "gb200-nvl72-2025.toml"

RTOL = 1e-9
"""Means, std, min/max: the engine sums a chunk in another order than a loop does."""

ZERO_MAGNITUDE = 2.0 ** -30
"""The sketch counts |x| below this as zero (sketch.MIN_MAGNITUDE, its documented contract)."""


# --- the brute force --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class BruteForce:
    """One ``dcecon.evaluate`` per scenario of a plan.

    Attributes
    ----------
    plan : GridPlan
    raw, provenance : dict
        The scenario (with ``--set`` applied) the axes are laid over.
    values : list of numpy.ndarray
        Per dimension (``plan.dimensions`` order), each scenario's value.
    coords : list of numpy.ndarray
        Per cartesian axis, each scenario's coordinate.
    metrics : dict of str to numpy.ndarray
        Per :data:`RESULT_FIELDS` name, each scenario's figure from ``dcecon.evaluate``.
    """

    plan: object
    raw: dict
    provenance: dict
    values: list
    coords: list
    metrics: dict

    @property
    def n(self) -> int:
        return self.plan.n_scenarios

    def parameters(self, index: int) -> dict:
        return {axis.path: float(v[index]) for axis, v in zip(self.plan.dimensions, self.values)}


def make_plan(path, axes, samples=None, sampler="sobol", seed=0, sets=()):
    raw, provenance = load_raw(path)
    apply_overrides(raw, list(sets), provenance, path)
    plan = prepare(copy.deepcopy(raw), dict(provenance), str(path), list(axes), samples, sampler, seed)
    return plan, raw, provenance


def scenario_at(raw, provenance, file, plan, values, index):
    """The scenario of one grid point, built from the raw dict like ``--set`` would, then validated."""
    trial = copy.deepcopy(raw)
    for axis, column in zip(plan.dimensions, values):
        for concrete in axis.concrete_paths:
            paths.set_value(trial, concrete, float(column[index]))
    return validate(trial, dict(provenance), str(file))


def brute_force(path, axes, samples=None, sampler="sobol", seed=0, sets=()) -> BruteForce:
    plan, raw, provenance = make_plan(path, axes, samples, sampler, seed, sets)
    n = plan.n_scenarios
    # Independent mixed-radix decoding: row-major over the cartesian axes (last fastest), samples fastest of all.
    cells = np.asarray(list(itertools.product(*(range(size) for size in plan.shape))), dtype=np.int64)
    cells = cells.reshape(plan.n_cells, len(plan.shape))
    per_scenario = np.repeat(cells, plan.n_samples, axis=0)
    coords = [per_scenario[:, k] for k in range(len(plan.shape))]
    values = [np.asarray(axis.values, dtype=np.float64)[c] for axis, c in zip(plan.axes, coords)]
    if plan.sampled:
        drawn, _ = plan.dimension_values(0, n)
        values += [np.asarray(v, dtype=np.float64) for v in drawn[len(plan.axes):]]
    metrics = {name: np.empty(n) for name in RESULT_FIELDS}
    for i in range(n):
        result = dcecon.evaluate(scenario_at(raw, provenance, path, plan, values, i), backend="numpy")
        for name in RESULT_FIELDS:
            metrics[name][i] = result.figures[name]
    return BruteForce(plan, raw, provenance, values, coords, metrics)


def run_grid(bf: BruteForce, chunk_size=None, backend="numpy"):
    return execute(bf.plan, backend=backend, chunk_size=chunk_size)


# --- expected reductions (NumPy on the brute force) -------------------------------------------------------------


def _scale(x: np.ndarray) -> float:
    finite = x[np.isfinite(x)]
    return float(np.max(np.abs(finite))) if finite.size else 1.0


def assert_close(got, want, scale, what, rtol=RTOL):
    """``got == want`` to ``rtol`` of ``max(|want|, scale)``; NaN and infinities must match exactly."""
    got, want = float(got), float(want)
    if math.isnan(want) or math.isinf(want):
        assert got == want or (math.isnan(got) and math.isnan(want)), f"{what}: got {got!r}, want {want!r}"
        return
    assert math.isfinite(got), f"{what}: got {got!r}, want {want!r}"
    assert abs(got - want) <= rtol * max(abs(want), scale), f"{what}: got {got!r}, want {want!r}"


def group_stats(x: np.ndarray, member: np.ndarray) -> dict:
    """Mean over the finite values, finite count, min/max over the non-NaN values (NaN when none)."""
    part = x[member]
    finite = part[np.isfinite(part)]
    known = part[~np.isnan(part)]
    return {
        "count": int(finite.size),
        "mean": float(finite.mean()) if finite.size else math.nan,
        "min": float(known.min()) if known.size else math.nan,
        "max": float(known.max()) if known.size else math.nan,
        "no_finite_value": finite.size == 0,
    }


def expected_quantile(x: np.ndarray, q: float) -> float:
    """NumPy's value at rank floor(q (n - 1)) of the sorted non-NaN values (tiny magnitudes count as zero)."""
    known = np.sort(x[~np.isnan(x)])
    if known.size == 0:
        return math.nan
    value = float(known[math.floor(q * (known.size - 1))])
    return 0.0 if abs(value) < ZERO_MAGNITUDE else value


def assert_quantile(got, want, what):
    if math.isnan(want) or math.isinf(want) or want == 0.0:
        assert got == want or (math.isnan(got) and math.isnan(want)), f"{what}: got {got!r}, want {want!r}"
        return
    # The sketch's bound, plus rounding: the loop and the chunk may put a value on either side of a bucket edge.
    bound = sketch.RELATIVE_ACCURACY * abs(want) * (1 + 1e-9)
    assert abs(got - want) <= bound, (f"{what}: got {got!r}, want {want!r} "
                                      f"(rel. error {abs(got - want) / abs(want):.3g})")


def assert_extreme_index(index, x, want_value, what):
    """The reported argmin/argmax attains the extreme; where exactly one scenario does, it is that one."""
    scale = _scale(x)
    if math.isinf(want_value):
        attaining = np.flatnonzero(x == want_value)
    else:
        attaining = np.flatnonzero(np.abs(x - want_value) <= RTOL * max(abs(want_value), scale))
    assert index in attaining, (f"{what}: scenario {index} does not attain {want_value!r} "
                                f"(those that do: {attaining[:8]})")


def dimension_groups(bf: BruteForce):
    """Per dimension: its group labels (axis coordinate, or decile of a sampled draw, from the CDF below)."""
    groups = list(bf.coords)
    for axis, values in zip(bf.plan.sampled, bf.values[len(bf.plan.axes):]):
        groups.append(np.minimum(np.floor(cdf(axis.distribution, values) * 10).astype(np.int64), 9))
    return groups


def cdf(distribution, x: np.ndarray) -> np.ndarray:
    """The distribution's CDF, written out here (truncated normal and lognormal included), for deciles and strata."""
    p = distribution.params
    if distribution.kind == "uniform":
        return (x - p[0]) / (p[1] - p[0])
    if distribution.kind == "triangular":
        lo, mode, hi = p
        left = (x - lo) ** 2 / ((hi - lo) * (mode - lo))
        right = 1.0 - (hi - x) ** 2 / ((hi - lo) * (hi - mode))
        return np.where(x < mode, left, right)
    mu, sigma = p
    z = (x - mu) / sigma if distribution.kind == "normal" else (np.log(x) - mu) / sigma
    lower, upper = distribution.lower, distribution.upper
    if distribution.kind == "normal":
        a, b = (lower - mu) / sigma, (upper - mu) / sigma
    else:
        a = (math.log(lower) - mu) / sigma if lower > 0 else -np.inf
        b = (math.log(upper) - mu) / sigma
    return (norm.cdf(z) - norm.cdf(a)) / (norm.cdf(b) - norm.cdf(a))


# --- the checks -------------------------------------------------------------------------------------------------


def assert_summary_matches(result, bf: BruteForce):
    n = bf.n
    for metric in RESULT_FIELDS:
        x = bf.metrics[metric]
        s = result.metric_summary(metric)
        finite = x[np.isfinite(x)]
        known = x[~np.isnan(x)]
        scale = _scale(x)
        assert s["count"] == n, metric
        assert s["finite"] == finite.size, metric
        assert s["nan"] == int(np.isnan(x).sum()), metric
        assert s["posinf"] == int(np.isposinf(x).sum()), metric
        assert s["neginf"] == int(np.isneginf(x).sum()), metric
        assert_close(s["mean"], finite.mean() if finite.size else math.nan, scale, f"{metric} mean")
        assert_close(s["std"], finite.std() if finite.size else math.nan, scale, f"{metric} std", rtol=1e-8)
        want_min = float(known.min()) if known.size else math.nan
        want_max = float(known.max()) if known.size else math.nan
        assert_close(s["min"], want_min, scale, f"{metric} min")
        assert_close(s["max"], want_max, scale, f"{metric} max")
        if known.size:
            assert_extreme_index(s["argmin"], x, want_min, f"{metric} argmin")
            assert_extreme_index(s["argmax"], x, want_max, f"{metric} argmax")
        else:
            assert s["argmin"] == s["argmax"] == -1, metric
        want_share = float((known < 0).sum() / known.size) if known.size else math.nan
        assert_close(s["share_negative"], want_share, 0.0, f"{metric} share negative", rtol=0.0)
        for name, q in zip(QUANTILE_NAMES, QUANTILES):
            assert_quantile(s[name], expected_quantile(x, q), f"{metric} {name}")
    # The headline shares: gross margin < 0 and NPV < 0 among scenarios where the figure is defined.
    gm, npv = bf.metrics["gross_margin"], bf.metrics["npv_usd"]
    assert result.share_gross_margin_negative == (gm[~np.isnan(gm)] < 0).sum() / (~np.isnan(gm)).sum()
    assert result.share_npv_negative == (npv[~np.isnan(npv)] < 0).sum() / (~np.isnan(npv)).sum()


def assert_best_and_worst_match(result, bf: BruteForce):
    for metric in RESULT_FIELDS:
        x = bf.metrics[metric]
        known = x[~np.isnan(x)]
        higher = metric in HIGHER_IS_BETTER
        for pick, want_max in ((result.best, higher), (result.worst, not higher)):
            entry = pick(metric)
            want = float(known.max() if want_max else known.min())
            assert_close(entry["value"], want, _scale(x), f"{pick.__name__} {metric}")
            assert_extreme_index(entry["index"], x, want, f"{pick.__name__} {metric}")
            # Its parameters are those of that scenario, from the independent decoding.
            assert entry["parameters"] == pytest.approx(bf.parameters(entry["index"]), rel=1e-15), metric
            assert entry["metric"] == metric


def assert_marginals_match(result, bf: BruteForce, metrics=RESULT_FIELDS, skip_groups_without_finite=True):
    """Main effects per dimension value (or decile) against the brute-force groups.

    Groups where a metric has no finite value (e.g. payback never reached at a
    zero price) are compared in :func:`test_main_effect_min_max_of_groups_without_a_finite_value`.
    """
    groups = dimension_groups(bf)
    frame = result.marginals
    for d, axis in enumerate(bf.plan.dimensions):
        size = axis.size if axis.values is not None else 10
        for metric in metrics:
            x = bf.metrics[metric]
            table = result.marginal(axis.path, metric) if metric in ("gross_margin", "npv_usd") else (
                frame[(frame["path"] == axis.path) & (frame["metric"] == metric)].set_index("value"))
            assert len(table) == size, (axis.path, metric)
            if axis.values is not None:
                np.testing.assert_array_equal(table.index.to_numpy(), axis.values)
            for g in range(size):
                want = group_stats(x, groups[d] == g)
                row = table.iloc[g]
                what = f"{axis.path}[{g}] {metric}"
                assert int(row["count"]) == want["count"], what
                assert_close(row["mean"], want["mean"], _scale(x), f"{what} mean")
                if want["no_finite_value"] and skip_groups_without_finite:
                    continue
                assert_close(row["min"], want["min"], _scale(x), f"{what} min")
                assert_close(row["max"], want["max"], _scale(x), f"{what} max")


TABLE_METRICS = ("gross_margin", "npv_usd", "irr", "payback_years", "breakeven_utilization", "revenue_usd")


def assert_tables_match(result, bf: BruteForce, metrics=TABLE_METRICS):
    """Every 2-D table (every pair of cartesian axes, both orientations) and every stat."""
    plan = bf.plan
    gm, npv = bf.metrics["gross_margin"], bf.metrics["npv_usd"]
    for a, b in itertools.combinations(range(len(plan.axes)), 2):
        for x_dim, y_dim in ((a, b), (b, a)):
            x_axis, y_axis = plan.axes[x_dim], plan.axes[y_dim]
            for metric in metrics:
                values = bf.metrics[metric]
                tables = {stat: result.table(x_axis.path, y_axis.path, stat=stat, metric=metric)
                          for stat in ("mean", "min", "max", "count", "share_npv_positive",
                                       "share_gross_margin_positive")}
                for frame in tables.values():
                    assert frame.shape == (y_axis.size, x_axis.size)
                    np.testing.assert_array_equal(frame.index.to_numpy(), y_axis.values)
                    np.testing.assert_array_equal(frame.columns.to_numpy(), x_axis.values)
                for i in range(y_axis.size):
                    for j in range(x_axis.size):
                        cell = (bf.coords[y_dim] == i) & (bf.coords[x_dim] == j)
                        want = group_stats(values, cell)
                        what = f"{y_axis.path}[{i}] x {x_axis.path}[{j}] {metric}"
                        assert tables["count"].iloc[i, j] == want["count"], what
                        assert_close(tables["mean"].iloc[i, j], want["mean"], _scale(values), f"{what} mean")
                        if not want["no_finite_value"]:
                            assert_close(tables["min"].iloc[i, j], want["min"], _scale(values), f"{what} min")
                            assert_close(tables["max"].iloc[i, j], want["max"], _scale(values), f"{what} max")
                        # Shares among all scenarios of the cell (a NaN margin is not positive).
                        assert tables["share_npv_positive"].iloc[i, j] == np.mean(npv[cell] > 0), what
                        assert tables["share_gross_margin_positive"].iloc[i, j] == np.mean(gm[cell] > 0), what


def assert_everything_matches(result, bf: BruteForce):
    assert result.plan.n_scenarios == bf.n
    assert_summary_matches(result, bf)
    assert_best_and_worst_match(result, bf)
    assert_marginals_match(result, bf)
    assert_tables_match(result, bf)


# --- the grids --------------------------------------------------------------------------------------------------

GRIDS = {
    # Two cohorts: a wildcard axis, a site value reaching both cohorts, a cohort named by name, finance,
    # and the Blackwell cohort's book life in whole years (which also moves its defaulted service life).
    "oracle-five-axes": dict(path=ORACLE, axes=[
        "cohorts.*.utilization=0.2:0.9:5",
        "site.pue=1.1,1.4",
        "cohorts.hopper.price_usd_per_gpu_hour=2:4.5:4",
        "finance.discount_rate=0.06,0.12",
        "cohorts.1.book_life_years=4,5,6",
    ]),
    "oracle-electricity-tax": dict(path=ORACLE, axes=[
        "site.electricity_usd_per_kwh=0.03:0.15:4",
        "cohorts.blackwell.utilization=0.1:0.9:5",
        "cohorts.0.book_life_years=3,6",
        "finance.tax_rate=0,0.21,0.35",
    ]),
    # Zero utilization and zero price: NaN gross margins and IRRs, infinite break-evens and paybacks.
    "neocloud-with-zeros": dict(path=NEOCLOUD, axes=[
        "cohorts.0.utilization=0:0.95:5",
        "cohorts.0.price_usd_per_gpu_hour=0:4:5",
        "cohorts.0.book_life_years=3,4.5,6",
        "cohorts.0.in_service_year=2024,2024.5",
        "site.pue=1.2,1.56",
    ]),
    "neocloud-ddb": dict(path=NEOCLOUD, sets=['cohorts.0.depreciation_method="double_declining_balance"'], axes=[
        "cohorts.0.book_life_years=3,4,5,6",
        "cohorts.0.utilization=0.5:0.9:3",
        "cohorts.0.salvage_fraction=0,0.1",
    ]),
    # Sized by power: gpus = it_power_mw * 1000 / power_kw_per_gpu; owned building.
    "gb200-power": dict(path=GB200, axes=[
        "cohorts.0.it_power_mw=50,100,200",
        "cohorts.0.power_kw_per_gpu=1.2,1.6667,2.4",
        "cohorts.0.book_life_years=4,6,7",
        "cohorts.0.in_service_year=2025.5,2026.25",
        "cohorts.0.utilization=0.5,0.9",
        "site.facility_capex_usd_per_mw=8e6,15e6",
    ]),
}

SAMPLED_AXES = [
    "cohorts.0.book_life_years=4,6",
    "cohorts.0.in_service_year=2024,2025",
    "cohorts.0.utilization=normal(0.85, 0.15)",       # truncated at the field's upper bound 1
    "cohorts.0.price_usd_per_gpu_hour=lognormal(0.9, 0.3)",
    "site.pue=triangular(1.1, 1.3, 1.6)",
    "site.electricity_usd_per_kwh=uniform(0.04, 0.12)",
    "cohorts.0.salvage_fraction=normal(0.9, 0.1)",    # truncated below the exclusive upper bound 1
]
SAMPLES = 64

_CACHE: dict = {}


def brute(name: str) -> BruteForce:
    """Brute force of a named grid (each computed once per test session)."""
    if name not in _CACHE:
        if name.startswith("sampled-"):
            _CACHE[name] = brute_force(NEOCLOUD, SAMPLED_AXES, samples=SAMPLES, sampler=name.split("-", 1)[1],
                                       seed=7)
        else:
            _CACHE[name] = brute_force(**GRIDS[name])
    return _CACHE[name]


# --- tests ------------------------------------------------------------------------------------------------------


def test_brute_force_builds_scenarios_like_load_scenario_with_overrides():
    """The brute force's scenario of a point is the one ``load_scenario(path, overrides=[...])`` builds."""
    bf = brute("oracle-five-axes")
    for index in (0, 17, bf.n - 1):
        overrides = [f"{concrete}={value!r}" for axis, value in zip(bf.plan.dimensions, bf.parameters(index).values())
                     for concrete in axis.concrete_paths]
        loaded = load_scenario(ORACLE, overrides)
        built = scenario_at(bf.raw, bf.provenance, ORACLE, bf.plan, bf.values, index)
        assert loaded.model_dump(exclude={"provenance"}) == built.model_dump(exclude={"provenance"})
        assert dcecon.evaluate(loaded, backend="numpy").npv_usd == bf.metrics["npv_usd"][index]


@pytest.mark.parametrize("name", list(GRIDS))
def test_plan_decodes_every_index_like_a_row_major_loop(name):
    """``parameters_at(i)`` (mixed radix, last axis fastest) equals itertools.product's i-th point."""
    bf = brute(name)
    assert bf.plan.n_scenarios == math.prod(len(a.values) for a in bf.plan.axes)
    for index in range(bf.n):
        assert bf.plan.parameters_at(index) == bf.parameters(index)


@pytest.mark.parametrize("chunk_size", [None, 7, 60], ids=["one-chunk", "chunk-7", "chunk-60"])
@pytest.mark.parametrize("name", list(GRIDS))
def test_grid_equals_brute_force_over_evaluate(name, chunk_size):
    """Summary, shares, best/worst, main effects and 2-D tables equal the brute force, however chunked.

    ``chunk_size`` 7 and 60 leave the outer axes outside the chunk's dense
    block, so the scattered (outer-axis) table paths are compared too.
    """
    bf = brute(name)
    result = run_grid(bf, chunk_size=chunk_size)
    assert_everything_matches(result, bf)


def test_grid_through_dcecon_grid_api_equals_brute_force():
    """``dcecon.grid(scenario, axes=dict)`` (the Python API) gives the same reductions as the brute force."""
    bf = brute("oracle-five-axes")
    axes = dict(text.split("=", 1) for text in GRIDS["oracle-five-axes"]["axes"])
    result = dcecon.grid(dcecon.load_scenario(ORACLE), axes=axes, backend="numpy")
    assert_summary_matches(result, bf)
    assert_best_and_worst_match(result, bf)


def test_best_npv_of_the_oracle_grid_is_the_corner_hand_picked():
    """Hand reasoning: NPV rises with utilization and price and falls with PUE and the discount rate.

    So the best NPV of oracle-five-axes (positive there) is at utilization 0.9,
    PUE 1.1, Hopper price $4.5, discount 6% (book life moves the tax timing
    only; it is whatever the brute force says).
    """
    bf = brute("oracle-five-axes")
    best = run_grid(bf).best("npv_usd")["parameters"]
    assert best["cohorts.*.utilization"] == 0.9
    assert best["site.pue"] == 1.1
    assert best["cohorts.hopper.price_usd_per_gpu_hour"] == 4.5
    assert best["finance.discount_rate"] == 0.06
    # The worst corner is the other end on the monotone axes; its discount rate is not hand-picked: there
    # the operating cash flows after capex are negative, so a lower rate makes the NPV worse, not better.
    worst = run_grid(bf).worst("npv_usd")["parameters"]
    assert (worst["cohorts.*.utilization"], worst["site.pue"], worst["cohorts.hopper.price_usd_per_gpu_hour"]) == (
        0.2, 1.4, 2.0)


def test_zero_price_and_utilization_give_nan_and_inf_counts_from_evaluate():
    """The neocloud grid holds NaN margins (zero revenue) and infinite paybacks; the counts equal evaluate's."""
    bf = brute("neocloud-with-zeros")
    result = run_grid(bf)
    for metric in ("gross_margin", "irr", "payback_years", "breakeven_utilization"):
        x = bf.metrics[metric]
        s = result.metric_summary(metric)
        assert (s["nan"], s["posinf"], s["neginf"]) == (np.isnan(x).sum(), np.isposinf(x).sum(),
                                                         np.isneginf(x).sum())
    # The grid really has both kinds (else this test proves nothing): 5 x 5 points with zero revenue per
    # other-axis combination: utilization 0 (5 prices) + price 0 (5 utilizations) - both 0 (1) = 9 of 25.
    assert np.isnan(bf.metrics["gross_margin"]).sum() == 9 * (bf.n // 25)
    assert np.isposinf(bf.metrics["payback_years"]).sum() > 0


def test_main_effect_min_max_of_groups_without_a_finite_value():
    """At price 0 the H100 never pays back: the brute force's min and max payback of that group are +inf."""
    bf = brute("neocloud-with-zeros")
    result = run_grid(bf)
    x = bf.metrics["payback_years"]
    zero_price = bf.coords[1] == 0
    assert np.all(np.isposinf(x[zero_price]))  # from evaluate
    row = result.marginal("cohorts.0.price_usd_per_gpu_hour", "payback_years").loc[0.0]
    assert (row["min"], row["max"]) == (math.inf, math.inf)
    cell = result.table("cohorts.0.price_usd_per_gpu_hour", "cohorts.0.utilization", stat="min",
                        metric="payback_years")
    assert cell.iloc[2, 0] == math.inf


def test_array_api_strict_backend_equals_numpy_to_1e_12():
    """The same grid on array-api-strict (the array API standard only) equals NumPy: counts exactly, floats 1e-12."""
    bf = brute("neocloud-ddb")
    on_numpy = run_grid(bf, backend="numpy")
    strict = run_grid(bf, backend="array-api-strict")
    assert strict.stats.backend == "array-api-strict"
    a, b = on_numpy.merged, strict.merged
    for name in ("count", "nan", "posinf", "neginf", "negative", "argmin", "argmax", "sketch"):
        np.testing.assert_array_equal(getattr(b, name), getattr(a, name), err_msg=name)
    for name in ("mean", "m2", "minimum", "maximum"):
        np.testing.assert_allclose(getattr(b, name), getattr(a, name), rtol=1e-12, atol=0, err_msg=name)
    for d in a.marginals:
        for stat in a.marginals[d]:
            np.testing.assert_allclose(b.marginals[d][stat], a.marginals[d][stat], rtol=1e-12, err_msg=f"{d} {stat}")
    for pair in a.tables:
        for stat in a.tables[pair]:
            np.testing.assert_allclose(b.tables[pair][stat], a.tables[pair][stat], rtol=1e-12,
                                       err_msg=f"{pair} {stat}")
    # And hence array-api-strict also equals the brute force.
    assert_summary_matches(strict, bf)


# --- sampled runs -----------------------------------------------------------------------------------------------

SAMPLERS = ("sobol", "lhs", "random")


@pytest.mark.parametrize("chunk_size", [None, 40], ids=["whole-cells", "split-cells"])
@pytest.mark.parametrize("sampler", SAMPLERS)
def test_sampled_grid_equals_brute_force_over_evaluate(sampler, chunk_size):
    """2 x 2 cartesian cells x 64 draws of five distributions: every reduction equals the brute force.

    Main effects of the sampled inputs are per decile of the draw; the
    brute force puts each draw in its decile through the distribution's CDF
    written out in this file. ``chunk_size=40`` splits a cell's 64 samples.
    """
    bf = brute(f"sampled-{sampler}")
    result = run_grid(bf, chunk_size=chunk_size)
    assert_everything_matches(result, bf)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_parameters_at_gives_each_sampled_scenarios_draw(sampler):
    """``plan.parameters_at(i)`` (one index at a time) equals the draws of a whole-run decoding."""
    bf = brute(f"sampled-{sampler}")
    for index in (0, 1, 63, 64, 130, bf.n - 1):
        assert bf.plan.parameters_at(index) == bf.parameters(index)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_sampled_main_effects_are_per_decile_of_each_draw(sampler):
    """A sampled input gets ten rows, one per decile; the counts are how many draws fall in each decile."""
    bf = brute(f"sampled-{sampler}")
    result = run_grid(bf)
    groups = dimension_groups(bf)
    for k, axis in enumerate(bf.plan.sampled):
        d = len(bf.plan.axes) + k
        table = result.marginal(axis.path, "revenue_usd")
        assert len(table) == 10
        want = np.bincount(groups[d], minlength=10)
        np.testing.assert_array_equal(table["count"].to_numpy(), want)
        # Each decile's reported value is the distribution's median draw of that decile, increasing.
        assert np.all(np.diff(table.index.to_numpy()) > 0)
    if sampler == "lhs":
        # Hand count: decile g spans strata [6.4 g, 6.4 (g + 1)) of 64; the strata wholly inside it hold one draw
        # each, and a stratum cut by a decile edge puts its one draw on either side.
        for k in range(len(bf.plan.sampled)):
            d = len(bf.plan.axes) + k
            for cell in range(bf.plan.n_cells):
                counts = np.bincount(groups[d][cell * SAMPLES:(cell + 1) * SAMPLES], minlength=10)
                for g in range(10):
                    lo, hi = Fraction(SAMPLES * g, 10), Fraction(SAMPLES * (g + 1), 10)
                    whole = math.floor(hi) - math.ceil(lo)
                    cut = (lo.denominator != 1) + (hi.denominator != 1)
                    assert whole <= counts[g] <= whole + cut, (bf.plan.sampled[k].path, cell, g, counts)


def test_lhs_puts_exactly_one_sample_in_each_stratum_of_every_dimension():
    """Latin hypercube: in every cell, each of the N = 64 strata of each dimension holds exactly one draw.

    Checked on the raw uniforms and, through the CDF, on the drawn values.
    """
    u = sampling.uniforms("lhs", SAMPLES, 5, 0, SAMPLES, seed=7)
    for k in range(5):
        assert sorted(np.floor(u[:, k] * SAMPLES).astype(int)) == list(range(SAMPLES))
    # Other sample counts, including ones that are not powers of two (cycle walking of the permutation).
    for n in (1, 2, 3, 10, 100, 1000):
        u = sampling.uniforms("lhs", n, 3, 0, n, seed=3)
        for k in range(3):
            assert sorted(np.floor(u[:, k] * n).astype(int)) == list(range(n))
        # ... and the same points, fetched in pieces.
        pieces = np.concatenate([sampling.uniforms("lhs", n, 3, a, min(a + 7, n), seed=3) for a in range(0, n, 7)])
        np.testing.assert_array_equal(pieces, u)
    bf = brute("sampled-lhs")
    for k, axis in enumerate(bf.plan.sampled):
        values = bf.values[len(bf.plan.axes) + k]
        strata = np.floor(cdf(axis.distribution, values) * SAMPLES + 1e-9).astype(int)
        for cell in range(bf.plan.n_cells):
            block = strata[cell * SAMPLES:(cell + 1) * SAMPLES]
            assert sorted(np.minimum(block, SAMPLES - 1)) == list(range(SAMPLES)), axis.path


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_draws_stay_inside_the_support_and_the_field_bounds(sampler):
    """Uniform/triangular inside their support; normal/lognormal truncated to the field's bounds and +-8 sigma.

    Utilization ~ normal(0.85, 0.15) has 16% of its mass above the field's
    bound 1 (hand: 1 - Phi(1)); salvage ~ normal(0.9, 0.1) has 16% at or
    above the *exclusive* bound 1. No draw leaves the bounds (the brute
    force validated every scenario through the schema), and the truncation
    still reaches close to the bound.
    """
    bf = brute(f"sampled-{sampler}")
    by_path = {axis.path: bf.values[len(bf.plan.axes) + k] for k, axis in enumerate(bf.plan.sampled)}
    util = by_path["cohorts.0.utilization"]
    assert util.min() >= 0.85 - NORMAL_TAIL_SIGMAS * 0.15 and util.max() <= 1.0
    assert util.max() > 0.97
    salvage = by_path["cohorts.0.salvage_fraction"]
    assert salvage.max() < 1.0 and salvage.min() >= 0.9 - NORMAL_TAIL_SIGMAS * 0.1
    assert salvage.max() > 0.97
    price = by_path["cohorts.0.price_usd_per_gpu_hour"]
    assert np.all(price > 0) and price.max() <= math.exp(0.9 + NORMAL_TAIL_SIGMAS * 0.3)
    pue = by_path["site.pue"]
    assert pue.min() >= 1.1 and pue.max() <= 1.6
    elec = by_path["site.electricity_usd_per_kwh"]
    assert elec.min() >= 0.04 and elec.max() <= 0.12
    # Each cell's 64 draws are the same draws: sample j does not depend on the cell (hand: index % 64).
    for values in by_path.values():
        blocks = values.reshape(bf.plan.n_cells, SAMPLES)
        assert np.all(blocks == blocks[0])


def test_truncated_normal_follows_its_cdf():
    """The truncated normal's draws are the inverse of the CDF written here: F(ppf(u)) = u (scipy's Phi)."""
    bf = brute("sampled-sobol")
    for axis in bf.plan.sampled:
        u = np.linspace(0.0005, 0.9995, 201)
        np.testing.assert_allclose(cdf(axis.distribution, axis.distribution.ppf(u)), u, atol=1e-9,
                                   err_msg=axis.path)


def test_sampled_dimension_deciles_of_the_plan_match_the_cdf():
    """The plan's decile of each draw (its group) is floor(10 F(x)) with F the distribution's CDF."""
    for sampler in SAMPLERS:
        bf = brute(f"sampled-{sampler}")
        _, plan_groups = bf.plan.dimension_values(0, bf.n)
        ours = dimension_groups(bf)
        for d in range(len(bf.plan.axes), len(bf.plan.dimensions)):
            np.testing.assert_array_equal(plan_groups[d], ours[d])
