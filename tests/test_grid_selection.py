"""A grid run computes what it asks for, and what it computes equals a brute-force loop over ``dcecon.evaluate``.

For several metric selections (the lean pair gross margin + NPV, the full
default, a mixed subset of the investment view, every metric), tables
(``auto``, ``none``, explicit pairs) and with or without quantile sketches,
the NumPy and native grids are checked reduction by reduction against
NumPy statistics of the per-scenario figures of ``dcecon.evaluate`` - the
reference model, one call per scenario, each scenario built with
``load_scenario(path, overrides=[...])``:

- counts of finite, NaN, +inf, -inf and negative values, table counts, and
  the argmin/argmax (the first scenario attaining the extreme) exactly - but
  where two scenarios tie mathematically (a book life does not move a
  pre-tax IRR) the native kernel may rank either first: its IRR starts from
  the neighbouring scenario's root, so tied values can differ in the last
  bit; then both must equal the extreme to 1e-12;
- means, population standard deviations, extremes and table means, minima
  and maxima to 1e-10 relative (the engine sums in a different order).

The grids have four cartesian axes, so the native kernel's pre-aggregated
tables (the innermost axis paired with an axis outside the two innermost) and
its vector updates are exercised; one grid is sampled (two draws per cell).
"""

from __future__ import annotations

import itertools
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dcecon
from dcecon.backends import native
from dcecon.grid_engine.api import execute, prepare
from dcecon.model.metrics import DEFAULT_METRICS, METRICS
from dcecon.scenario.loader import load_raw, load_scenario

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "benchmarks" / "bench-h100-leased-6y.toml"
COREWEAVE = ROOT / "scenarios" / "coreweave-q3-2025.toml"

AXES = {  # four cartesian axes, the innermost last; utilization from 0 gives NaN margins and IRRs
    "cohorts.0.utilization": [0.0, 0.5, 0.95],
    "cohorts.0.price_usd_per_gpu_hour": [1.0, 2.5, 4.0],
    "cohorts.0.book_life_years": [3.0, 5.0],
    "site.pue": [1.1, 1.3, 1.6],
}

SELECTIONS = {
    "lean": ("gross_margin", "npv_usd"),
    "full": DEFAULT_METRICS,
    "investment": ("irr", "payback_years", "breakeven_utilization", "cost_usd_per_billed_gpu_hour"),
}


def _reference(path, axes, metrics):
    """Per-scenario figures from ``dcecon.evaluate`` over the cartesian product (outermost axis first)."""
    rows = []
    for values in itertools.product(*axes.values()):
        overrides = [f"{p}={v!r}" for p, v in zip(axes, values)]
        result = dcecon.evaluate(load_scenario(path, overrides=overrides), backend="numpy")
        rows.append([result.figures[m] for m in metrics])
    return np.asarray(rows, dtype=np.float64)


def _run(path, axes, backend, metrics, tables="auto", quantiles=True):
    raw, provenance = load_raw(path)
    plan = prepare(raw, provenance, str(path), [f"{p}={','.join(map(str, v))}" for p, v in axes.items()],
                   metrics=list(metrics), tables=tables, quantiles=quantiles)
    return execute(plan, backend=backend, chunk_size=17 if backend == "numpy" else None)


def _backends():
    return ["numpy", pytest.param("native", marks=pytest.mark.skipif(not native.available(),
                                                                      reason="no C++ compiler"))]


def _check_summary(result, expected, metrics):
    assert result.metrics == tuple(metrics)
    for j, metric in enumerate(metrics):
        x = expected[:, j]
        s = result.metric_summary(metric)
        finite = x[np.isfinite(x)]
        number = ~np.isnan(x)
        assert s["finite"] == finite.size, metric
        assert s["nan"] == int(np.isnan(x).sum()), metric
        assert s["posinf"] == int(np.isposinf(x).sum()) and s["neginf"] == int(np.isneginf(x).sum()), metric
        assert s["share_negative"] == pytest.approx((x < 0).sum() / number.sum() if number.any() else math.nan,
                                                    nan_ok=True)
        if finite.size:
            assert s["mean"] == pytest.approx(finite.mean(), rel=1e-10, abs=1e-12), metric
            assert s["std"] == pytest.approx(finite.std(), rel=1e-9, abs=1e-9 * abs(finite).max()), metric
        if number.any():
            for key, extreme in (("argmin", np.nanmin(x)), ("argmax", np.nanmax(x))):
                first = int(np.flatnonzero(x == extreme)[0])
                if s[key] != first:  # a tie to rounding: both values equal the extreme to 1e-12
                    assert x[s[key]] == pytest.approx(extreme, rel=1e-12, abs=1e-12), (metric, key)
                    assert first in np.flatnonzero(np.isclose(x, extreme, rtol=1e-12, atol=1e-12)), (metric, key)
            assert s["min"] == pytest.approx(np.nanmin(x), rel=1e-10), metric
            assert s["max"] == pytest.approx(np.nanmax(x), rel=1e-10), metric


def _check_tables(result, expected, metrics, axes, pairs):
    shape = tuple(len(v) for v in axes.values())
    cube = expected.reshape(shape + (len(metrics),))
    paths = list(axes)
    for a, b in pairs:
        ia, ib = paths.index(a), paths.index(b)
        for j, metric in enumerate(metrics):
            data = np.moveaxis(cube[..., j], (ia, ib), (0, 1)).reshape(shape[ia], shape[ib], -1)
            finite = np.isfinite(data)
            count = finite.sum(axis=2)
            mean = np.where(count > 0, np.where(finite, data, 0).sum(axis=2) / np.maximum(count, 1), np.nan)
            got_mean = result.table(a, b, stat="mean", metric=metric).to_numpy().T
            got_count = result.table(a, b, stat="count", metric=metric).to_numpy().T
            np.testing.assert_array_equal(got_count, count, err_msg=f"{metric} {a} x {b}")
            np.testing.assert_allclose(got_mean, mean, rtol=1e-10, atol=1e-12, err_msg=f"{metric} {a} x {b}")
            with np.errstate(all="ignore"):
                low = np.where(np.isnan(data).all(axis=2), np.nan, np.nanmin(np.where(np.isnan(data), np.inf, data), axis=2))
            np.testing.assert_allclose(result.table(a, b, stat="min", metric=metric).to_numpy().T, low,
                                       rtol=1e-10, err_msg=f"{metric} {a} x {b}")
    for d, path in enumerate(paths):
        for j, metric in enumerate(metrics):
            data = np.moveaxis(cube[..., j], d, 0).reshape(shape[d], -1)
            finite = np.isfinite(data)
            count = finite.sum(axis=1)
            mean = np.where(count > 0, np.where(finite, data, 0).sum(axis=1) / np.maximum(count, 1), np.nan)
            got = result.marginal(path, metric)
            np.testing.assert_array_equal(got["count"].to_numpy(), count)
            np.testing.assert_allclose(got["mean"].to_numpy(), mean, rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def reference_all():
    """Every metric of every scenario of the bench grid, from dcecon.evaluate (54 evaluations)."""
    return _reference(BENCH, AXES, METRICS)


@pytest.mark.parametrize("backend", _backends())
@pytest.mark.parametrize("selection", sorted(SELECTIONS))
def test_selected_metrics_equal_brute_force_with_default_tables(backend, selection, reference_all):
    metrics = SELECTIONS[selection]
    expected = reference_all[:, [METRICS.index(m) for m in metrics]]
    result = _run(BENCH, AXES, backend, metrics)
    _check_summary(result, expected, metrics)
    paths = list(AXES)
    _check_tables(result, expected, metrics, AXES, [(a, b) for a, b in itertools.combinations(paths, 2)])


@pytest.mark.parametrize("backend", _backends())
def test_lean_run_without_tables_or_quantiles_keeps_exact_summary(backend, reference_all):
    metrics = SELECTIONS["lean"]
    expected = reference_all[:, [METRICS.index(m) for m in metrics]]
    result = _run(BENCH, AXES, backend, metrics, tables="none", quantiles=False)
    _check_summary(result, expected, metrics)
    assert result.merged.tables == {} and result.merged.marginals == {}
    assert math.isnan(result.metric_summary("npv_usd")["p50"])  # no sketch, no quantiles
    with pytest.raises(dcecon.ScenarioError, match="irr: was not computed by this run"):
        result.metric_summary("irr")


@pytest.mark.parametrize("backend", _backends())
def test_explicit_table_pairs_only(backend, reference_all):
    metrics = SELECTIONS["lean"]
    expected = reference_all[:, [METRICS.index(m) for m in metrics]]
    pairs = [("cohorts.0.utilization", "site.pue"), ("cohorts.0.price_usd_per_gpu_hour", "cohorts.0.book_life_years")]
    result = _run(BENCH, AXES, backend, metrics, tables=",".join(f"{a}:{b}" for a, b in pairs))
    assert len(result.merged.tables) == 2
    _check_tables(result, expected, metrics, AXES, pairs)


def test_every_metric_including_levered_and_economic_runs_on_the_array_model(capsys):
    axes = {"finance.debt_fraction": [0.0, 0.5], "cohorts.0.utilization": [0.6, 0.9]}
    expected = _reference(COREWEAVE, axes, METRICS)
    result = _run(COREWEAVE, axes, "auto", ["all"])
    assert result.stats.backend in ("numpy", "cupy-array")
    _check_summary(result, expected, METRICS)


def test_native_and_numpy_agree_on_a_sampled_grid():
    if not native.available():
        pytest.skip("no C++ compiler")
    raw, provenance = load_raw(BENCH)
    axes = ["cohorts.0.utilization=0.4,0.9", "cohorts.0.price_decline_per_year=0,0.2", "site.pue=uniform(1.1,1.6)",
            "cohorts.0.price_usd_per_gpu_hour=normal(2.5,0.5)"]
    runs = {}
    for backend in ("numpy", "native"):
        plan = prepare(raw, provenance, str(BENCH), axes, samples=8, metrics="gross_margin,npv_usd,irr")
        runs[backend] = execute(plan, backend=backend)
    a, b = runs["numpy"].merged, runs["native"].merged
    np.testing.assert_array_equal(a.count, b.count)
    np.testing.assert_array_equal(a.argmin, b.argmin)
    np.testing.assert_array_equal(a.argmax, b.argmax)
    np.testing.assert_allclose(a.mean, b.mean, rtol=1e-10)
    np.testing.assert_allclose(a.minimum, b.minimum, rtol=1e-10)
    for d in a.marginals:
        np.testing.assert_array_equal(a.marginals[d]["count"], b.marginals[d]["count"])
        np.testing.assert_allclose(a.marginals[d]["sum"], b.marginals[d]["sum"], rtol=1e-10)
    np.testing.assert_array_equal(a.sketch, b.sketch)


def test_metrics_options_in_the_grid_table_and_the_command_line(tmp_path):
    """``metrics``/``tables``/``quantiles`` in ``[grid]`` apply; the command line's options replace them."""
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'extends = "{BENCH.as_posix()}"\n[grid]\n"cohorts.0.utilization" = [0.5, 0.9]\n'
                        'metrics = ["npv_usd"]\ntables = "none"\nquantiles = false\n')
    result = dcecon.grid(dcecon.load_scenario(scenario), backend="numpy")
    assert result.metrics == ("npv_usd",) and result.merged.marginals == {}
    result = dcecon.grid(dcecon.load_scenario(scenario), backend="numpy", metrics="gross_margin", tables="auto")
    assert result.metrics == ("gross_margin",) and result.merged.marginals


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "dcecon", "grid", str(BENCH), "--axis",
                           "cohorts.0.utilization=0.5,0.9", "--axis", "site.pue=1.2,1.4", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("args, expected", [
    (["--metrics", "gross_margin,npv"], "dcecon: error: --metrics: npv: unknown metric; choose from revenue_usd,"),
    (["--metrics", ""], "dcecon: error: --metrics: (empty): unknown metric"),
    (["--tables", "cohorts.0.utilization:site.puee"], "dcecon: error: --tables: site.puee: is not an axis of this "
                                                       "run; axes: cohorts.0.utilization, site.pue"),
    (["--tables", "site.pue"], "dcecon: error: --tables: site.pue: write a 2-D table as PATH_A:PATH_B"),
    (["--tables", "site.pue:site.pue"], "dcecon: error: --tables: site.pue:site.pue: pairs an axis with itself"),
])
def test_unknown_metric_or_table_path_is_one_line_and_exit_2(tmp_path, args, expected):
    done = _cli(*args, "--out", "out", cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()


def test_lean_command_prints_only_what_it_computed(tmp_path):
    done = _cli("--metrics", "gross_margin,npv_usd", "--tables", "none", "--no-quantiles", "--backend", "numpy",
                cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "gross_margin" in done.stdout and "npv_usd" in done.stdout
    assert "irr" not in done.stdout and "Main effect" not in done.stdout


def test_the_lean_command_of_docs_grid_runs(tmp_path):
    """docs/grid.md, "Choosing what a run computes" (and README.md, "Pay only for what you ask"): the
    10^7-scenario lean command, run as written."""
    import re
    import shlex

    text = (ROOT / "docs" / "grid.md").read_text()
    section = text[text.index("## Choosing what a run computes"):]
    command = re.search(r"```sh\n(dcecon grid .*?)\n```", section, re.S).group(1)
    assert command in (ROOT / "README.md").read_text(), "README.md shows the same command"
    args = shlex.split(command)[2:]
    args = [str(ROOT / a) if a.endswith(".toml") else a for a in args]
    done = subprocess.run([sys.executable, "-m", "dcecon", "grid", *args, "--json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    import json

    summary = json.loads(done.stdout)
    assert summary["n_scenarios"] == 10 * 100 * 4 * 25 * 100
    assert set(summary["metrics"]) == {"gross_margin", "npv_usd"}
