"""Grid reductions merge in any order and any chunking; an interrupted run resumes to the same result.

docs/grid.md, "Merging": partials are merged in order of their start index,
whatever order they finished in, so the result does not depend on arrival
order (on one machine or many); counts, min/max, argmin/argmax and sketches
are exact, sums and means agree to rounding whatever the chunk size. Checked here:

- the run's chunks merged in shuffled orders give a merged :class:`Partial`
  equal, field by field and bit for bit, to the in-order run (``merge``
  sorts partials by start index before combining them);
- the chunk size changes no count, min/max, argmin/argmax, sketch or table
  count (exactly equal: every scenario's figures are computed element-wise, so
  they do not depend on which chunk holds the scenario) and moves means,
  second moments and sums by rounding only (rtol 1e-12), also when a chunk
  holds part of a grid cell's samples;
- ``Partial.to_arrays`` / ``from_arrays`` (and an ``.npz`` file) round-trip;
- a run interrupted after k chunks (an exception from ``on_chunk``, or
  ``SIGKILL`` of a ``dcecon grid`` process), then resumed with ``--resume``,
  writes summary.json, marginals.parquet and tables.parquet identical to an
  uninterrupted run (timing fields aside); a damaged chunk file is redone.
"""

from __future__ import annotations

import copy
import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dcecon.grid_engine import output
from dcecon.grid_engine.api import execute, prepare
from dcecon.grid_engine.engine import run
from dcecon.grid_engine.reduce import Partial, merge
from dcecon.scenario.loader import apply_overrides, load_raw

ROOT = Path(__file__).resolve().parents[1]
ORACLE = ROOT / "scenarios" / "oracle-fy26q1.toml"
NEOCLOUD = ROOT / "scenarios" / "h100-neocloud-2024.toml"

ARRAY_FIELDS = ("count", "mean", "m2", "nan", "posinf", "neginf", "negative", "minimum", "argmin", "maximum",
                "argmax", "sketch")
EXACT_FIELDS = ("count", "nan", "posinf", "neginf", "negative", "minimum", "argmin", "maximum", "argmax", "sketch")
"""Fields that no chunking may change: counts, extremes and their scenarios, sketch bucket counts."""
ROUNDED_FIELDS = ("mean", "m2")

TIMING_FIELDS = {"seconds", "scenarios_per_second", "resumed_chunks"}


def make_plan(path, axes, samples=None, sampler="sobol", seed=0, sets=()):
    raw, provenance = load_raw(path)
    apply_overrides(raw, list(sets), provenance, path)
    return prepare(copy.deepcopy(raw), dict(provenance), str(path), list(axes), samples, sampler, seed)


CARTESIAN = dict(path=ORACLE, axes=[
    "cohorts.*.utilization=0.2:0.9:5",
    "site.pue=1.1,1.25,1.4",
    "cohorts.hopper.price_usd_per_gpu_hour=0:4.5:4",
    "cohorts.1.book_life_years=4,5,6",
])
"""180 scenarios, with NaN IRRs (81) and never-reached paybacks (+inf, 142), so ties and non-finite values merge too."""
SAMPLED = dict(path=NEOCLOUD, axes=[
    "cohorts.0.book_life_years=4,5,6",
    "cohorts.0.in_service_year=2024,2024.5",
    "cohorts.0.utilization=normal(0.8, 0.2)",
    "cohorts.0.price_usd_per_gpu_hour=uniform(0, 4)",
], samples=64, sampler="lhs", seed=11)


@pytest.fixture(scope="module")
def cartesian_plan():
    return make_plan(**CARTESIAN)


@pytest.fixture(scope="module")
def sampled_plan():
    return make_plan(**SAMPLED)


def assert_partials_identical(a: Partial, b: Partial):
    """Every field equal bit for bit (NaN equal to NaN)."""
    assert (a.start, a.stop) == (b.start, b.stop)
    for name in ARRAY_FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
        assert getattr(a, name).dtype == getattr(b, name).dtype, name
    assert a.marginals.keys() == b.marginals.keys()
    for d in a.marginals:
        assert a.marginals[d].keys() == b.marginals[d].keys()
        for stat in a.marginals[d]:
            np.testing.assert_array_equal(a.marginals[d][stat], b.marginals[d][stat], err_msg=f"marginal {d} {stat}")
    assert a.tables.keys() == b.tables.keys()
    for pair in a.tables:
        assert a.tables[pair].keys() == b.tables[pair].keys()
        for stat in a.tables[pair]:
            np.testing.assert_array_equal(a.tables[pair][stat], b.tables[pair][stat], err_msg=f"table {pair} {stat}")


def assert_partials_equal_up_to_rounding(a: Partial, b: Partial, what: str):
    """Exact counts, extremes, argmin/argmax, sketches, table counts/min/max; sums and moments to 1e-12."""
    assert (a.start, a.stop) == (b.start, b.stop)
    for name in EXACT_FIELDS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=f"{what}: {name}")
    finite = a.count > 0
    np.testing.assert_allclose(b.mean[finite], a.mean[finite], rtol=1e-12, atol=0, err_msg=f"{what}: mean")
    # m2 (sum of squared deviations) of a nearly constant metric is tiny next to mean^2: compare relative to
    # count * mean^2 as well, the scale its rounding is relative to.
    scale = np.maximum(np.abs(a.m2), a.count * a.mean**2) * 1e-12
    assert np.all(np.abs(b.m2 - a.m2) <= scale + 1e-300), f"{what}: m2"
    for groups_a, groups_b, kind in ((a.marginals, b.marginals, "marginal"), (a.tables, b.tables, "table")):
        assert groups_a.keys() == groups_b.keys(), f"{what}: {kind}s"
        for key in groups_a:
            for stat in groups_a[key]:
                x, y = groups_a[key][stat], groups_b[key][stat]
                if stat == "sum":
                    np.testing.assert_allclose(y, x, rtol=1e-12, atol=1e-12 * np.max(np.abs(x), initial=0.0),
                                               err_msg=f"{what}: {kind} {key} {stat}")
                else:  # count, positive_margin, positive_npv, min, max
                    np.testing.assert_array_equal(y, x, err_msg=f"{what}: {kind} {key} {stat}")


# --- merge order ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which, chunk_size", [("cartesian", 7), ("cartesian", 40), ("sampled", 24),
                                               ("sampled", 100)])
def test_shuffled_chunk_orders_merge_to_identical_partials(which, chunk_size, cartesian_plan, sampled_plan):
    """Any arrival order of the run's chunks gives, through ``merge``, the in-order run's Partial bit for bit."""
    from dcecon.backends import resolve_backend
    from dcecon.grid_engine.engine import chunking, evaluate_and_reduce

    plan = cartesian_plan if which == "cartesian" else sampled_plan
    in_order, _, stats = run(plan, "numpy", chunk_size=chunk_size)
    n_chunks = stats.n_chunks
    assert n_chunks >= 4  # else the order could not matter
    backend = resolve_backend("numpy")
    layout, bounds = chunking(plan, chunk_size)
    partials = [evaluate_and_reduce(backend, plan, plan.static_extents(), layout, a, b)[0] for a, b in bounds]
    orders = [list(reversed(range(n_chunks)))]
    rng = random.Random(20251)
    for _ in range(3):
        order = list(range(n_chunks))
        rng.shuffle(order)
        orders.append(order)
    for order in orders:
        assert_partials_identical(merge([partials[k] for k in order]), in_order)


def test_merge_sorts_partials_by_start_index(sampled_plan):
    """``merge`` of the same partials in any list order is the same Partial (it sorts by start)."""
    from dcecon.backends import resolve_backend
    from dcecon.grid_engine.batch import METRICS
    from dcecon.grid_engine.engine import evaluate_and_reduce
    from dcecon.grid_engine.reduce import chunk_bounds, make_layout

    plan = sampled_plan
    backend = resolve_backend("numpy")
    extents = plan.static_extents()
    layout = make_layout(plan.shape, plan.n_samples, len(plan.sampled), METRICS, 32)
    bounds = chunk_bounds(layout, plan.n_scenarios, 32)
    partials = [evaluate_and_reduce(backend, plan, extents, layout, a, b)[0] for a, b in bounds]
    reference = merge(partials)
    assert (reference.start, reference.stop) == (0, plan.n_scenarios)
    for seed in range(3):
        shuffled = partials[:]
        random.Random(seed).shuffle(shuffled)
        assert_partials_identical(merge(shuffled), reference)
    # Merging merged halves (two machines) equals merging them all (one machine) up to rounding.
    half = len(partials) // 2
    assert_partials_equal_up_to_rounding(reference, merge([merge(partials[half:]), merge(partials[:half])]),
                                         "two halves")
    with pytest.raises(ValueError):
        merge([])


# --- chunk size -------------------------------------------------------------------------------------------------


def test_chunk_size_does_not_change_cartesian_results(cartesian_plan):
    """180 scenarios in 1 chunk, or in chunks of 1, 4, 7, 12, 45 and 100 scenarios: the same reductions.

    Chunks of 100 hold two rows of 36 (inner axes pue x price x book life);
    7 leaves only the book-life axis inside a chunk, so most tables are
    scattered over outer coordinates; 1 is one scenario per chunk.
    """
    reference, _, stats = run(cartesian_plan, "numpy")
    assert stats.n_chunks == 1
    for size in (1, 4, 7, 12, 45, 100):
        partial, _, stats = run(cartesian_plan, "numpy", chunk_size=size)
        assert stats.n_chunks > 1
        assert_partials_equal_up_to_rounding(reference, partial, f"chunk size {size}")


def test_chunk_size_does_not_change_sampled_results_even_inside_a_cell(sampled_plan):
    """6 cells x 64 LHS samples; chunk sizes below 64 split a cell's samples over several chunks."""
    reference, _, stats = run(sampled_plan, "numpy")
    assert stats.n_chunks == 1
    seen_split = False
    for size in (5, 17, 50, 64, 128, 200):
        partial, layout, stats = run(sampled_plan, "numpy", chunk_size=size)
        seen_split |= size < sampled_plan.n_samples
        if size < sampled_plan.n_samples:  # hand: ceil(64 / ceil(64 / size)) samples per chunk, 6 cells
            per_chunk = math.ceil(64 / math.ceil(64 / size))
            assert stats.n_chunks == 6 * math.ceil(64 / per_chunk)
        assert_partials_equal_up_to_rounding(reference, partial, f"chunk size {size}")
    assert seen_split


def test_chunk_size_does_not_change_the_grid_result_tables(sampled_plan):
    """What a user reads (summary frame, main effects by decile) is the same for chunk sizes 1000 and 9."""
    whole = execute(sampled_plan, backend="numpy")
    split = execute(sampled_plan, backend="numpy", chunk_size=9)
    pd.testing.assert_frame_equal(split.summary, whole.summary, rtol=1e-12, check_exact=False)
    pd.testing.assert_frame_equal(split.marginals, whole.marginals, rtol=1e-12, check_exact=False)
    assert split.best("npv_usd") == whole.best("npv_usd")
    assert split.worst("gross_margin") == whole.worst("gross_margin")


# --- serialization ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["cartesian", "sampled"])
def test_partial_to_arrays_from_arrays_round_trips(which, cartesian_plan, sampled_plan, tmp_path):
    """``from_arrays(to_arrays(p))`` is ``p``, also through an ``.npz`` file (how chunks are saved)."""
    plan = cartesian_plan if which == "cartesian" else sampled_plan
    for chunk_size in (None, 7):
        partial, _, _ = run(plan, "numpy", chunk_size=chunk_size)
        assert partial.tables or which == "sampled"
        assert partial.marginals
        assert_partials_identical(Partial.from_arrays(partial.to_arrays()), partial)
        np.savez(tmp_path / "p.npz", **partial.to_arrays())
        with np.load(tmp_path / "p.npz") as data:
            loaded = Partial.from_arrays({k: data[k] for k in data.files})
        assert_partials_identical(loaded, partial)


# --- resume -----------------------------------------------------------------------------------------------------


def assert_same_outputs(resumed: Path, fresh: Path):
    """summary.json equal but for timing; marginals.parquet and tables.parquet exactly equal."""
    a = json.loads((resumed / "summary.json").read_text())
    b = json.loads((fresh / "summary.json").read_text())
    for key in TIMING_FIELDS:
        a.pop(key, None)
        b.pop(key, None)
    assert a == b
    for name in ("marginals.parquet", "tables.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(resumed / name), pd.read_parquet(fresh / name),
                                      check_exact=True)
    ma = json.loads((resumed / output.MANIFEST).read_text())
    mb = json.loads((fresh / output.MANIFEST).read_text())
    assert ma["status"] == mb["status"] == "complete"
    for key in ("fingerprint", "chunk_size", "n_scenarios", "dimensions", "grid_shape", "samples"):
        assert ma[key] == mb[key], key


class Interrupt(Exception):
    pass


def _interrupting(after_chunks: int):
    calls = []

    def on_chunk(done, total):
        calls.append(done)
        if len(calls) == after_chunks:
            raise Interrupt

    return on_chunk


def test_resume_after_an_interruption_equals_an_uninterrupted_run(sampled_plan, tmp_path):
    """Stop after 5 of the chunks (an exception from on_chunk), resume: the outputs equal a run in one go."""
    interrupted, fresh = tmp_path / "interrupted", tmp_path / "fresh"
    with pytest.raises(Interrupt):
        execute(sampled_plan, backend="numpy", chunk_size=24, out=interrupted, on_chunk=_interrupting(5))
    manifest = json.loads((interrupted / output.MANIFEST).read_text())
    assert manifest["status"] == "running"
    assert not (interrupted / "summary.json").exists()
    saved = sorted((interrupted / output.PARTIALS).glob("chunk-*.npz"))
    assert len(saved) == 5
    # Without --resume the folder is refused; with it the run completes from the saved chunks.
    with pytest.raises(Exception, match="--resume"):
        execute(sampled_plan, backend="numpy", chunk_size=24, out=interrupted)
    resumed = execute(sampled_plan, backend="numpy", out=interrupted, resume=True)
    assert resumed.stats.resumed_chunks == 5
    assert resumed.stats.chunk_size == 24  # taken from the manifest, not from the memory budget
    execute(sampled_plan, backend="numpy", chunk_size=24, out=fresh)
    assert_same_outputs(interrupted, fresh)
    assert json.loads((interrupted / output.MANIFEST).read_text())["resumed_chunks"] == 5


def test_a_damaged_chunk_file_is_redone_on_resume(sampled_plan, tmp_path):
    """A truncated .npz and one of random bytes are evaluated again; the result still equals a fresh run."""
    interrupted, fresh = tmp_path / "interrupted", tmp_path / "fresh"
    with pytest.raises(Interrupt):
        execute(sampled_plan, backend="numpy", chunk_size=24, out=interrupted, on_chunk=_interrupting(6))
    saved = sorted((interrupted / output.PARTIALS).glob("chunk-*.npz"))
    assert len(saved) == 6
    truncated, garbage = saved[1], saved[4]
    truncated.write_bytes(truncated.read_bytes()[:200])
    garbage.write_bytes(os.urandom(4096))
    resumed = execute(sampled_plan, backend="numpy", out=interrupted, resume=True)
    assert resumed.stats.resumed_chunks == 4
    execute(sampled_plan, backend="numpy", chunk_size=24, out=fresh)
    assert_same_outputs(interrupted, fresh)
    for path in (truncated, garbage):  # rewritten as valid chunk files
        with np.load(path) as data:
            Partial.from_arrays({k: data[k] for k in data.files})


KILL_ARGS = [str(NEOCLOUD), "--axis", "cohorts.0.book_life_years=4,5,6",
             "--axis", "cohorts.0.utilization=uniform(0.3,0.95)", "--sample", "12000", "--sampler", "random",
             "--backend", "numpy", "--max-memory", "1MB", "--quiet"]
"""36,000 scenarios; a 1 MB budget gives the smallest chunks (256 scenarios), so about 141 chunk files."""


def _dcecon(*args, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcecon", "grid", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_killed_cli_run_resumes_to_the_uninterrupted_result(tmp_path):
    """SIGKILL a ``dcecon grid --out`` process once chunk files exist; ``--resume`` finishes it identically."""
    killed, fresh = tmp_path / "killed", tmp_path / "fresh"
    proc = subprocess.Popen([sys.executable, "-m", "dcecon", "grid", *KILL_ARGS, "--out", str(killed)],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partials = killed / output.PARTIALS
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if partials.exists() and len(list(partials.glob("chunk-*.npz"))) >= 5:
                break
            time.sleep(0.01)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    done_before = len(list(partials.glob("chunk-*.npz")))
    manifest = json.loads((killed / output.MANIFEST).read_text())
    if manifest["status"] == "complete":
        pytest.skip("the run finished before it could be killed (machine too fast for this grid)")
    assert 5 <= done_before
    assert not (killed / "summary.json").exists()
    # No half-written file was left behind: every chunk file loads.
    for path in partials.glob("chunk-*.npz"):
        with np.load(path) as data:
            Partial.from_arrays({k: data[k] for k in data.files})

    resumed = _dcecon(*KILL_ARGS, "--out", str(killed), "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    uninterrupted = _dcecon(*KILL_ARGS, "--out", str(fresh), cwd=tmp_path)
    assert uninterrupted.returncode == 0, uninterrupted.stderr
    assert_same_outputs(killed, fresh)
    manifest = json.loads((killed / output.MANIFEST).read_text())
    assert manifest["resumed_chunks"] >= done_before
    assert manifest["resumed_chunks"] < manifest["n_scenarios"] / manifest["chunk_size"]
