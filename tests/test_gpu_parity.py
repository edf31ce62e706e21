"""The CUDA kernels (``kernels/dcecon_cuda.cu`` via ``dcecon.backends.cuda``) and the array model on CuPy equal
the NumPy reference: the bodies of ``tests/test_native_parity.py`` run on the GPU.

- ``cuda.evaluate_chunk`` scenario by scenario against ``evaluate_chunk`` on
  NumPy, on every parity case (float64, ``RTOL = 1e-10`` scale-aware, NaN/inf
  positions identical); the ``cupy-array`` backend (the array-API model on
  CuPy) the same way;
- ``dcecon.grid(..., backend="cupy")`` (``cuda.reduce_chunk``: per-block
  moments, atomics for sketches and tables) and ``backend="cupy-array"``
  reductions against ``backend="numpy"``, including a sampled run, a chunk
  size that splits a cell's samples and a grid of several thread blocks;
- float32 on the CUDA kernel within the bounds of ``tests/test_float32.py``;
- the CLI ``--backend cupy --json`` against ``--backend numpy --json``.

Every test needs CuPy and a CUDA GPU (``gpu`` marker, skipped elsewhere); the
module imports no CuPy at collection time.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import gpu
from test_float32 import BOUND
from test_native_parity import (  # noqa: F401  (native_cache is an autouse fixture)
    ALL_CASES,
    CASE_IDS,
    COL,
    EXPLICIT_CASES,
    NEOCLOUD,
    REDUCTION_CASES,
    SAMPLED_CASES,
    Case,
    GridReference,
    assert_results_close,
    assert_summaries_close,
    check_pointwise,
    file_plan,
    kernel_inputs,
    metric_scales,
    native_cache,
    reference,
    run_cli,
    scaled_errors,
    special_mismatch,
    subprocess_env,
)

from dcecon.backends import cuda, resolve_backend, to_numpy
from dcecon.grid_engine.batch import METRICS, evaluate_chunk

pytestmark = gpu

MANY_BLOCKS = Case("gpu-many-blocks", EXPLICIT_CASES[5].raw,
                   ("cohorts.*.utilization=0:1:10", "cohorts.2.it_power_mw=5:40:10", "finance.discount_rate=0:0.2:6"))
"""600 scenarios: more than one block of ``cuda.BLOCK`` threads, so the tree and block merges run."""


def cuda_evaluator(dtype="float64"):
    """``(plan, args, start, stop) -> (m, 16)`` from the CUDA ``dcecon_evaluate`` kernel (host array)."""

    def evaluate(plan, args, start, stop):
        module = cuda.grid_module(dtype, plan.static_extents())
        return cuda.evaluate_chunk(module, plan, args, start, stop)

    return evaluate


def cupy_array_evaluator(plan, args, start, stop):
    """The array-API model on CuPy (``evaluate_chunk`` with the ``cupy-array`` backend), copied to the host."""
    values, _ = plan.dimension_values(start, stop)
    out = evaluate_chunk(resolve_backend("cupy-array"), plan, plan.static_extents(), values, stop - start)
    return np.stack([np.asarray(to_numpy(out[name]), dtype=np.float64) for name in METRICS], axis=1)


@pytest.mark.parametrize("case", ALL_CASES + [MANY_BLOCKS], ids=CASE_IDS + [MANY_BLOCKS.id])
def test_cuda_kernel_matches_numpy_per_scenario(case):
    """Every metric of every scenario: CUDA kernel == NumPy to 1e-10 (scale-aware); NaN/inf positions identical."""
    check_pointwise(case.plan(), cuda_evaluator(), what="cuda")


@pytest.mark.parametrize("case", EXPLICIT_CASES + SAMPLED_CASES, ids=[c.id for c in EXPLICIT_CASES + SAMPLED_CASES])
def test_cupy_array_model_matches_numpy_per_scenario(case):
    """The array-API model on CuPy equals it on NumPy (same code, another namespace)."""
    check_pointwise(case.plan(), cupy_array_evaluator, what="cupy-array")


@pytest.mark.parametrize("backend", ["cupy", "cupy-array"])
@pytest.mark.parametrize("case", REDUCTION_CASES + [MANY_BLOCKS], ids=[c.id for c in REDUCTION_CASES] + [MANY_BLOCKS.id])
def test_gpu_grid_reductions_match_numpy(case, backend):
    """``dcecon.grid(backend=cupy | cupy-array)`` vs ``numpy``: counts, sketches, table counts equal; argmin/argmax
    equal or tied; means, std, extremes and table sums to 1e-10 (scale-aware)."""
    ours = case.grid(backend=backend)
    assert ours.stats.backend == backend
    assert_results_close(ours, case.grid(backend="numpy"), case.plan(), what=backend)


def test_cuda_chunks_splitting_a_cells_samples():
    """Chunks of 5 inside cells of 16 samples on the CUDA kernel equal the one-chunk NumPy run."""
    case = SAMPLED_CASES[0]
    ours = case.grid(backend="cupy", chunk_size=5)
    assert ours.stats.n_chunks > case.plan().n_cells
    assert_results_close(ours, case.grid(backend="numpy"), case.plan(), what="cupy")


def test_cuda_reductions_are_deterministic():
    """Two runs of the CUDA reduction give the same moments and extremes bit for bit (fixed fold order)."""
    first, second = MANY_BLOCKS.grid(backend="cupy"), MANY_BLOCKS.grid(backend="cupy")
    for field in ("count", "mean", "m2", "minimum", "argmin", "maximum", "argmax", "negative", "sketch"):
        assert np.array_equal(getattr(first.merged, field), getattr(second.merged, field), equal_nan=True), field


@pytest.mark.parametrize("case", EXPLICIT_CASES + SAMPLED_CASES, ids=[c.id for c in EXPLICIT_CASES + SAMPLED_CASES])
def test_cuda_float32_within_bounds(case):
    """The float32 CUDA kernel against float64 NumPy: the bounds of tests/test_float32.py."""
    plan = case.plan()
    _, args = kernel_inputs(plan, "float32")
    expected = reference(plan)
    actual = np.asarray(cuda_evaluator("float32")(plan, args, 0, plan.n_scenarios), dtype=np.float64)
    err = scaled_errors(actual, expected, metric_scales(plan, expected)).max(axis=0)
    over = {m: f"{err[j]:.2e} > {BOUND[m]:.0e}" for m, j in COL.items() if err[j] > BOUND[m]}
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
