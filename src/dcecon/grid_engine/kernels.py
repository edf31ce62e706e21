"""Run grid chunks on the fused kernels (``native`` CPU library, ``cupy`` CUDA module).

This module packs a :class:`~dcecon.grid_engine.plan.GridPlan` into the flat
arrays the kernels take (``kernels/dcecon_grid.cuh``) and turns their
reductions back into a :class:`~dcecon.grid_engine.reduce.Partial`, so that
merging, results and outputs are shared with the array-API path.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from dcecon.backends import contract
from dcecon.backends.contract import DERIVED_INPUTS, FINANCE_INPUTS, KERNEL_PARAMETERS, cell_layout
from dcecon.grid_engine import sketch
from dcecon.grid_engine.plan import FINANCE, GridPlan
from dcecon.grid_engine.reduce import Layout, Partial, _split_stats, sparsify_table
from dcecon.model.cohort import COHORT_PARAMETERS
from dcecon.model.depreciation import METHODS
from dcecon.model.time import hours_per_period

IT_POWER_MW = len(COHORT_PARAMETERS)
N_PARAMS = len(KERNEL_PARAMETERS)


@dataclasses.dataclass
class KernelArgs:
    """The chunk-independent arrays of a run, in the kernels' layout."""

    real: np.dtype
    g_real: np.ndarray
    g_int: np.ndarray
    spec_int: np.ndarray
    sizes: np.ndarray
    strides: np.ndarray
    axis_values: np.ndarray
    value_offsets: np.ndarray
    bind_offsets: np.ndarray
    bind_cohort: np.ndarray
    bind_param: np.ndarray
    base_params: np.ndarray
    methods: np.ndarray
    discount: float
    tax: float
    n_samples: int
    table_int: np.ndarray
    marginal_dims: np.ndarray
    marginal_offsets: np.ndarray
    pair_a: np.ndarray
    pair_b: np.ndarray
    pair_offsets: np.ndarray
    n_groups: int
    sketch_int: np.ndarray
    group_sizes: list


def pack(plan: GridPlan, extents: dict, layout: Layout, dtype: str) -> KernelArgs:
    """Pack a plan for the kernels (see ``kernels/dcecon_grid.cuh``)."""
    real = np.dtype(dtype)
    s = plan.scenario
    ppy = s.periods_per_year
    j_lo, j_hi = extents["lifetime_range"]
    j0 = min(j_lo, 0)
    j1 = max(j_hi, extents["window_periods"])
    g_real = np.asarray([s.start_year + j0 / ppy, s.start_year, hours_per_period(ppy), 1.0 / ppy], dtype=np.float64)
    g_int = np.asarray([ppy, j0, j1 - j0, -j0, extents["window_periods"], extents["n_schedule_years"],
                        len(plan.host_fleet)], dtype=np.int32)
    dims = plan.dimensions
    sizes = np.asarray(plan.shape, dtype=np.int64)
    strides = np.asarray(plan.strides, dtype=np.int64)
    values = [np.asarray(a.values, dtype=real) for a in plan.axes]
    axis_values = np.concatenate(values) if values else np.zeros(1, dtype=real)
    value_offsets = np.cumsum([0] + [len(v) for v in values[:-1]]).astype(np.int64) if values else np.zeros(
        1, dtype=np.int64)
    bind_offsets, bind_cohort, bind_param = [0], [], []
    for axis in dims:
        for target, name in plan.bindings[axis.path]:
            if target == FINANCE:
                if name not in FINANCE_INPUTS:
                    continue  # a debt field: it moves only the levered metrics, which the kernels do not compute
                bind_cohort.append(-1)
                bind_param.append(FINANCE_INPUTS.index(name))
            elif name in KERNEL_PARAMETERS:
                bind_cohort.append(int(target))
                bind_param.append(KERNEL_PARAMETERS.index(name))
            # else: an input of the array model's figures only (economic_life_years): not a kernel input
        bind_offsets.append(len(bind_cohort))
    base = np.zeros((len(plan.host_fleet), N_PARAMS), dtype=np.float64)
    for k, (params, _) in enumerate(plan.host_fleet):
        base[k, :IT_POWER_MW] = [params[name] for name in COHORT_PARAMETERS]
        cohort = s.cohorts[k]
        for j, name in enumerate(DERIVED_INPUTS):
            value = getattr(cohort, name)
            base[k, IT_POWER_MW + j] = math.nan if value is None else value
        if cohort.generation_interval_years is not None and cohort.next_generation_year is None:
            base[k, COHORT_PARAMETERS.index("next_generation_year")] = math.nan  # in_service_year + interval
    methods = np.asarray([METHODS.index(method) for _, method in plan.host_fleet], dtype=np.int32)

    group_sizes, marginal_offsets, offset = [], [], 0
    for d in layout.marginal_dims:
        marginal_offsets.append(offset)
        n = layout.dim_size(d)
        group_sizes.append(("marginal", d, n))
        offset += n
    pair_offsets = []
    for a, b in layout.pairs:
        pair_offsets.append(offset)
        group_sizes.append(("pair", (a, b), layout.shape[a] * layout.shape[b]))
        offset += layout.shape[a] * layout.shape[b]

    def ints(values, dtype=np.int32):
        return np.asarray(values if values else [0], dtype=dtype)

    return KernelArgs(
        real, g_real, g_int, np.asarray([len(plan.axes), len(dims), len(plan.sampled)], dtype=np.int32),
        ints(list(sizes), np.int64), ints(list(strides), np.int64), axis_values, value_offsets,
        np.asarray(bind_offsets, dtype=np.int32), ints(bind_cohort), ints(bind_param),
        np.ascontiguousarray(base.astype(real).reshape(-1)), methods,
        float(s.finance.discount_rate), float(s.finance.tax_rate), plan.n_samples,
        np.asarray([len(layout.marginal_dims), len(layout.pairs)], dtype=np.int32),
        ints(layout.marginal_dims), ints(marginal_offsets, np.int64), ints([a for a, _ in layout.pairs]),
        ints([b for _, b in layout.pairs]), ints(pair_offsets, np.int64), max(offset, 1),
        np.asarray([contract.SKETCH_SUB_BITS, contract.SKETCH_KEY_BASE, contract.SKETCH_SIDE, contract.SKETCH_ZERO,
                    contract.SKETCH_N_BUCKETS], dtype=np.int64),
        group_sizes,
    )


def chunk_inputs(plan: GridPlan, args: KernelArgs, start: int, stop: int):
    """Sampled values (m x n_sampled) and their deciles for a chunk (host)."""
    m = stop - start
    values, deciles = plan.sampled_values(start, stop)
    if values:
        sampled = np.ascontiguousarray(np.stack(values, axis=1).astype(args.real))
        groups = np.ascontiguousarray(np.stack(deciles, axis=1).astype(np.int32))
    else:
        sampled = np.zeros(1, dtype=args.real)
        groups = np.zeros(1, dtype=np.int32)
    return sampled, groups, m


def partial_from_buffers(args: KernelArgs, layout: Layout, start: int, stop: int, buffers: dict) -> Partial:
    """Turn the kernels' reduction buffers into a :class:`Partial`."""
    M = len(layout.metrics)
    width, slots = cell_layout(layout.metrics)
    marginals, tables = {}, {}
    if layout.marginal_dims or layout.pairs:
        offset = 0
        inner = len(layout.shape) - 1
        for kind, key, n in args.group_sizes:
            sums = buffers["sums"][offset * width:(offset + n) * width]
            lows = buffers["mins"][offset * M:(offset + n) * M]
            highs = buffers["maxs"][offset * M:(offset + n) * M]
            if (key if kind == "marginal" else key[1]) == inner:  # statistic-major: (width, n), (M, n)
                cells, lows, highs = sums.reshape(width, n).T, lows.reshape(M, n).T, highs.reshape(M, n).T
            else:  # cell-major: (n, width), (n, M)
                cells, lows, highs = sums.reshape(n, width), lows.reshape(n, M), highs.reshape(n, M)
            scenarios = cells[:, :1]
            counts = np.concatenate([scenarios if slot is None else cells[:, 3 + M + slot:4 + M + slot]
                                     for slot in slots], axis=1)
            block = {"sum": np.concatenate([cells[:, 3:3 + M], counts, cells[:, 1:3], scenarios], axis=1),
                     "min": lows, "max": highs}
            if kind == "pair":
                a, b = key
                block = {k: v.reshape(layout.shape[a], layout.shape[b], -1) for k, v in block.items()}
                tables[key] = sparsify_table({k: np.array(v) for k, v in _split_stats(block, M).items()})
            else:
                marginals[key] = sparsify_table({k: np.array(v) for k, v in _split_stats(block, M).items()})
            offset += n
    n_buckets = sketch.N_BUCKETS if layout.quantiles else 0
    sk = buffers["sketch"][:M * n_buckets].reshape(M, n_buckets).copy()
    negative, nan, posinf, neginf = (buffers["counts"][k * M:(k + 1) * M].copy() for k in range(4))
    return Partial(
        start, stop, np.rint(buffers["count"]).astype(np.int64), buffers["mean"].copy(), buffers["m2"].copy(),
        nan, posinf, neginf, negative, buffers["minimum"].copy(), buffers["argmin"].copy(), buffers["maximum"].copy(),
        buffers["argmax"].copy(), sk, marginals, tables,
    )


def empty_buffers(args: KernelArgs, layout: Layout) -> dict:
    """Output buffers of one reduce call."""
    M = len(layout.metrics)
    width, _ = cell_layout(layout.metrics)
    tables = bool(layout.marginal_dims or layout.pairs)
    return {
        "count": np.zeros(M), "mean": np.zeros(M), "m2": np.zeros(M), "minimum": np.zeros(M),
        "argmin": np.zeros(M, dtype=np.int64), "maximum": np.zeros(M), "argmax": np.zeros(M, dtype=np.int64),
        "counts": np.zeros(4 * M, dtype=np.int64),
        "sketch": np.zeros(max(1, M * sketch.N_BUCKETS if layout.quantiles else 1), dtype=np.int64),
        "sums": np.zeros(max(1, args.n_groups * width if tables else 1)),
        "mins": np.zeros(max(1, args.n_groups * M if tables else 1)),
        "maxs": np.zeros(max(1, args.n_groups * M if tables else 1)),
    }


def _common(args: KernelArgs, sampled, start, m, threads):
    return [args.g_real, args.g_int, args.spec_int, args.sizes, args.strides, args.axis_values, args.value_offsets,
            args.bind_offsets, args.bind_cohort, args.bind_param, sampled, args.n_samples, args.base_params,
            args.methods, args.discount, args.tax, start, m, threads]


def _suffix(args: KernelArgs) -> str:
    return "f64" if args.real == np.float64 else "f32"


def native_evaluate(lib, plan: GridPlan, args: KernelArgs, start: int, stop: int, threads: int = 0) -> np.ndarray:
    """The selected metrics of scenarios ``start .. stop - 1`` from the native kernel, shape ``(m, n_metrics)``."""
    sampled, _, m = chunk_inputs(plan, args, start, stop)
    return native_evaluate_sampled(lib, args, sampled, start, m, len(plan.selection.metrics), threads)


def native_evaluate_sampled(lib, args: KernelArgs, sampled: np.ndarray, start: int, m: int, n_metrics: int,
                            threads: int = 0) -> np.ndarray:
    """The native kernel's metrics of scenarios ``start .. start + m - 1`` given their sampled values already drawn
    (``sampled``: shape ``(m, n_sampled)``, as :func:`chunk_inputs` makes them), shape ``(m, n_metrics)``."""
    sampled = np.ascontiguousarray(sampled, dtype=args.real)
    out = np.zeros((m, n_metrics), dtype=args.real)
    code = getattr(lib, f"dcecon_evaluate_{_suffix(args)}")(*_common(args, sampled, start, m, threads), out)
    if code != 0:
        raise RuntimeError(_limit_message(code))
    return out


def native_reduce(lib, plan: GridPlan, args: KernelArgs, layout: Layout, start: int, stop: int,
                  threads: int = 0) -> Partial:
    """Evaluate and reduce scenarios ``start .. stop - 1`` with the native kernel."""
    sampled, deciles, m = chunk_inputs(plan, args, start, stop)
    b = empty_buffers(args, layout)
    code = getattr(lib, f"dcecon_reduce_{_suffix(args)}")(
        *_common(args, sampled, start, m, threads), args.table_int, args.marginal_dims, args.marginal_offsets,
        args.pair_a, args.pair_b, args.pair_offsets, args.n_groups, deciles, args.sketch_int,
        b["count"], b["mean"], b["m2"], b["minimum"], b["argmin"], b["maximum"], b["argmax"], b["counts"],
        b["sketch"], b["sums"], b["mins"], b["maxs"])
    if code != 0:
        raise RuntimeError(_limit_message(code))
    return partial_from_buffers(args, layout, start, stop, b)


def cuda_evaluate(module, plan: GridPlan, args: KernelArgs, start: int, stop: int) -> np.ndarray:
    """The selected metrics of scenarios ``start .. stop - 1`` from the CUDA kernel, shape ``(m, n_metrics)``."""
    from dcecon.backends import cuda

    sampled, _, m = chunk_inputs(plan, args, start, stop)
    return cuda.evaluate_chunk(module, plan.selection.metrics, args, sampled, start, m)


def cuda_reduce(module, plan: GridPlan, args: KernelArgs, layout: Layout, start: int, stop: int) -> Partial:
    """Evaluate and reduce scenarios ``start .. stop - 1`` with the CUDA kernel."""
    from dcecon.backends import cuda

    sampled, deciles, m = chunk_inputs(plan, args, start, stop)
    buffers = cuda.reduce_chunk(module, args, layout.metrics, bool(layout.marginal_dims or layout.pairs),
                                bool(layout.quantiles), sampled, deciles, start, m)
    return partial_from_buffers(args, layout, start, stop, buffers)


def _limit_message(code: int) -> str:
    return {1: "the scenario has more cohorts or periods than the kernels were built for",
            2: "more than 64 cartesian axes"}.get(code, f"kernel error {code}")
