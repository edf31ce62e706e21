"""The CUDA kernels (``kernels/dcecon_cuda.cu`` via ``dcecon.backends.cuda``) and the array model on CuPy equal
the NumPy reference: the checks of ``tests/test_native_parity.py`` run on the GPU.

Expected values come from the NumPy model on the CPU
(``helpers.parity_checks.reference``), on the cases of
``helpers.parity_cases``; tolerances are ``helpers.tolerances``.

- ``cuda.evaluate_chunk`` (via ``grid_engine.kernels.cuda_evaluate``) scenario by scenario against
  ``evaluate_chunk`` on
  NumPy, on every parity case (float64, ``RTOL = 1e-10`` scale-aware, NaN/inf
  positions identical), and for the lean selection (gross margin and NPV);
- ``dcecon.grid(..., backend="cupy")`` (``cuda.reduce_chunk``: per-thread
  runs reduced per block with warp shuffles, block partials merged in order,
  sketches and tables by atomics) against ``backend="numpy"`` for several
  selections - lean (gross margin + NPV) without and with tables, the full
  default with tables ``auto`` and with tables ``none`` and no quantiles, an
  investment subset - on a fleet, a sampled grid and a grid of several
  thread blocks: counts, NaN/inf/negative counts, sketch buckets and table
  counts exactly equal; argmin/argmax equal (or on a scenario whose value ties
  the other's to rounding, as for the native kernel); means, standard
  deviations, extremes and table sums to 1e-10 (scale-aware);
- a chunk size that splits a cell's samples (device buffers reused across
  many chunks), bit-for-bit repeatable reductions, float32 within the bounds
  of ``tests/test_float32.py`` (``FLOAT32_BOUND``), the CLI ``--backend cupy
  --json`` against ``--backend numpy --json``;
- the ``cupy-array`` backend (the array-API model on CuPy), last.

Every test needs CuPy and a CUDA GPU (``gpu`` marker, skipped elsewhere); the
module imports no CuPy at collection time. ``benchmarks/gpu/run.sh`` runs it
on a GPU machine.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from dcecon.backends import cuda, resolve_backend, to_numpy
from dcecon.grid_engine import kernels
from dcecon.grid_engine.api import prepare
from dcecon.grid_engine.batch import METRICS, evaluate_chunk
from helpers.gpu import gpu
from helpers.native_cache import run_cli, subprocess_env
from helpers.parity_cases import ALL_CASES, CASE_IDS, EXPLICIT_CASES, REDUCTION_CASES, SAMPLED_CASES, Case
from helpers.parity_checks import (
    COL,
    GridReference,
    assert_results_close,
    assert_summaries_close,
    check_pointwise,
    file_plan,
    kernel_inputs,
    metric_scales,
    reference,
    scaled_errors,
    special_mismatch,
)
from helpers.paths import NEOCLOUD
from helpers.tolerances import FLOAT32_BOUND, RTOL

pytestmark = [*gpu, pytest.mark.usefixtures("native_cache")]

MANY_BLOCKS = Case("gpu-many-blocks", EXPLICIT_CASES[5].raw,
                   ("cohorts.*.utilization=0:1:10", "cohorts.2.it_power_mw=5:40:10", "finance.discount_rate=0:0.2:6"))
"""600 scenarios: more than one block of ``cuda.BLOCK`` threads, so the warp, block and block-merge folds run."""

LEAN = ("gross_margin", "npv_usd")

SELECTIONS = {
    "lean": dict(metrics=LEAN, tables="none"),
    "lean-tables": dict(metrics=LEAN, tables="auto"),
    "investment": dict(metrics=("irr", "payback_years", "breakeven_utilization", "cost_usd_per_billed_gpu_hour"),
                       tables="auto"),
    "full": dict(metrics=None, tables="auto"),
    "full-no-tables-no-quantiles": dict(metrics=None, tables="none", quantiles=False),
}
"""Metric, table and quantile selections of the reduction tests (``dcecon.grid`` keywords). The lean and
investment kernels (at most ``cuda.SHARED_STATE_METRICS`` metrics) keep their reductions in shared memory,
the full ones in local memory."""

SELECTION_CASES = [EXPLICIT_CASES[5], SAMPLED_CASES[0], MANY_BLOCKS]
"""A 4-cohort quarterly fleet, a sampled grid (tables by decile) and a grid of several blocks."""


def cuda_evaluator(dtype="float64"):
    """``(plan, args, start, stop) -> (m, n_selected)`` from the CUDA ``dcecon_evaluate`` kernel (host array)."""

    def evaluate(plan, args, start, stop):
        module = cuda.grid_module(dtype, plan.static_extents())
        return kernels.cuda_evaluate(module, plan, args, start, stop)

    return evaluate


def cupy_array_evaluator(plan, args, start, stop):
    """The array-API model on CuPy (``evaluate_chunk`` with the ``cupy-array`` backend), copied to the host."""
    values, _ = plan.dimension_values(start, stop)
    out = evaluate_chunk(resolve_backend("cupy-array"), plan, plan.static_extents(), values, stop - start)
    return np.stack([np.asarray(to_numpy(out[name]), dtype=np.float64) for name in METRICS], axis=1)


# --- the CUDA kernels, scenario by scenario ----------------------------------------------------------------------


@pytest.mark.parametrize("case", ALL_CASES + [MANY_BLOCKS], ids=CASE_IDS + [MANY_BLOCKS.id])
def test_cuda_kernel_matches_numpy_per_scenario(case):
    """Every metric of every scenario: CUDA kernel == NumPy to 1e-10 (scale-aware); NaN/inf positions identical."""
    check_pointwise(case.plan(), cuda_evaluator(), what="cuda")


@pytest.mark.parametrize("case", EXPLICIT_CASES[:2] + [EXPLICIT_CASES[5]], ids=lambda c: c.id)
def test_cuda_lean_kernel_matches_numpy_per_scenario(case):
    """The lean specialisation (``-DDCECON_OUTPUTS`` = gross margin and NPV) returns those two columns, equal to
    the NumPy reference's to 1e-10 (scale-aware), from the start of the grid and from inside it."""
    plan = prepare(case.raw, {}, "test", axes=list(case.axes), metrics=list(LEAN), tables="none")
    assert tuple(plan.selection.metrics) == LEAN
    expected = reference(plan)
    scale = metric_scales(plan, expected)
    columns = [COL[m] for m in LEAN]
    _, args = kernel_inputs(plan)
    n = plan.n_scenarios
    for start in (0, n // 3):
        actual = np.asarray(cuda_evaluator()(plan, args, start, n), dtype=np.float64)
        assert actual.shape == (n - start, len(LEAN))
        err = scaled_errors(actual, expected[start:, columns], scale[start:, columns])
        assert not special_mismatch(actual, expected[start:, columns]).any(), "NaN/inf positions differ"
        assert err.max() <= RTOL, f"scaled error {err.max():.3g}"


# --- the CUDA kernels, grid reductions --------------------------------------------------------------------------


@pytest.mark.parametrize("case", REDUCTION_CASES + [MANY_BLOCKS], ids=[c.id for c in REDUCTION_CASES + [MANY_BLOCKS]])
def test_cuda_grid_reductions_match_numpy(case):
    """``dcecon.grid(backend="cupy")`` vs ``numpy`` (default selection): counts, sketches, table counts equal;
    argmin/argmax equal or tied; means, std, extremes and table sums to 1e-10 (scale-aware)."""
    ours = case.grid(backend="cupy")
    assert ours.stats.backend == "cupy"
    assert_results_close(ours, case.grid(backend="numpy"), case.plan(), what="cupy")


@pytest.mark.parametrize("selection", sorted(SELECTIONS))
@pytest.mark.parametrize("case", SELECTION_CASES, ids=[c.id for c in SELECTION_CASES])
def test_cuda_selections_match_numpy(case, selection):
    """Each selection (lean, lean with tables, an investment subset, full, full without tables or quantiles) on
    the CUDA kernel equals the same selection on NumPy (``assert_results_close``)."""
    kwargs = SELECTIONS[selection]
    ours = case.grid(backend="cupy", **kwargs)
    theirs = case.grid(backend="numpy", **kwargs)
    assert ours.stats.backend == "cupy"
    assert ours.metrics == theirs.metrics
    if kwargs.get("quantiles") is False:
        assert ours.merged.sketch.size == 0
    assert_results_close(ours, theirs, case.plan(), what=f"cupy {selection}")


def test_cuda_chunks_splitting_a_cells_samples():
    """Chunks of 5 inside cells of 16 samples on the CUDA kernel (one run's device buffers reused by every
    chunk) equal the one-chunk NumPy run."""
    case = SAMPLED_CASES[0]
    ours = case.grid(backend="cupy", chunk_size=5)
    assert ours.stats.n_chunks > case.plan().n_cells
    assert_results_close(ours, case.grid(backend="numpy"), case.plan(), what="cupy")


def test_cuda_reductions_are_deterministic():
    """Two runs of the CUDA reduction give the same moments, extremes, counts and sketches bit for bit (fixed
    fold order; integer atomics)."""
    first, second = MANY_BLOCKS.grid(backend="cupy"), MANY_BLOCKS.grid(backend="cupy")
    for field in ("count", "mean", "m2", "minimum", "argmin", "maximum", "argmax", "negative", "nan", "posinf",
                  "neginf", "sketch"):
        assert np.array_equal(getattr(first.merged, field), getattr(second.merged, field), equal_nan=True), field


@pytest.mark.parametrize("case", EXPLICIT_CASES + SAMPLED_CASES, ids=[c.id for c in EXPLICIT_CASES + SAMPLED_CASES])
def test_cuda_float32_within_bounds(case):
    """The float32 CUDA kernel against float64 NumPy: the bounds of tests/test_float32.py."""
    plan = case.plan()
    _, args = kernel_inputs(plan, "float32")
    expected = reference(plan)
    actual = np.asarray(cuda_evaluator("float32")(plan, args, 0, plan.n_scenarios), dtype=np.float64)
    err = scaled_errors(actual, expected, metric_scales(plan, expected)).max(axis=0)
    over = {m: f"{err[j]:.2e} > {FLOAT32_BOUND[m]:.0e}" for m, j in COL.items() if err[j] > FLOAT32_BOUND[m]}
    assert not over, over
    assert not special_mismatch(actual, expected).any(), "NaN/inf positions differ from float64"


def test_cli_cupy_and_numpy_print_the_same_summary(native_cache):
    """``dcecon grid ... --backend cupy --json`` and ``--backend numpy --json``: same summary to 1e-10."""
    axes = ["cohorts.0.utilization=0:1:6", "cohorts.0.price_usd_per_gpu_hour=1:4:7", "finance.tax_rate=0,0.21"]
    argv = ["grid", str(NEOCLOUD), *(f"--axis={a}" for a in axes), "--json"]
    env = subprocess_env(native_cache)
    ours = json.loads(run_cli(argv + ["--backend", "cupy"], env).stdout)
    theirs = json.loads(run_cli(argv + ["--backend", "numpy"], env).stdout)
    assert ours["backend"] == "cupy"
    assert_summaries_close(ours, theirs, GridReference.of(file_plan(NEOCLOUD, axes)))


# --- the array model on CuPy (cupy-array) -----------------------------------------------------------------------


@pytest.mark.parametrize("case", EXPLICIT_CASES + SAMPLED_CASES, ids=[c.id for c in EXPLICIT_CASES + SAMPLED_CASES])
def test_cupy_array_model_matches_numpy_per_scenario(case):
    """The array-API model on CuPy equals it on NumPy (same code, another namespace)."""
    check_pointwise(case.plan(), cupy_array_evaluator, what="cupy-array")


@pytest.mark.parametrize("case", REDUCTION_CASES + [MANY_BLOCKS], ids=[c.id for c in REDUCTION_CASES + [MANY_BLOCKS]])
def test_cupy_array_grid_reductions_match_numpy(case):
    """``dcecon.grid(backend="cupy-array")`` vs ``numpy``: as for the CUDA kernel."""
    ours = case.grid(backend="cupy-array")
    assert ours.stats.backend == "cupy-array"
    assert_results_close(ours, case.grid(backend="numpy"), case.plan(), what="cupy-array")
