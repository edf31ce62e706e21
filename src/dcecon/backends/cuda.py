"""The GPU backend ``cupy``: the fused grid kernels of ``kernels/dcecon_cuda.cu`` on CuPy.

A small loader reads the kernel source, prepends ``#line 1 "file"`` so that
compile errors point at the real file, and builds a ``cupy.RawModule`` once
per (device, dtype, period and cohort capacity) - memoized - with one
template specialization per dtype picked through ``name_expressions``. A
chunk's inputs go to the device once, the kernel reduces in place, the
stream is synchronized before anything is read, and only the reductions come
back (``dcecon.backends.to_numpy`` is the exit). The memory pool is released
at the end of a run (:func:`release_memory`).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from dcecon.backends import kernel_sources

BLOCK = 128
"""Threads per block of the reduce kernel (must match DCECON_BLOCK)."""

MAX_CARTESIAN_AXES = 16
"""Cartesian axes a GPU run can decode (the kernels' coordinate buffer)."""

MOMENTS_DTYPE = np.dtype([("count", "f8"), ("mean", "f8"), ("m2", "f8"), ("minimum", "f8"), ("maximum", "f8"),
                          ("argmin", "i8"), ("argmax", "i8"), ("negative", "i8")])
"""Layout of the kernels' per-block ``Moments`` partials."""


def _capacity(n: int, step: int) -> int:
    return max(step, int(math.ceil(n / step)) * step)


@functools.lru_cache(maxsize=None)
def _module(device_id: int, dtype: str, max_periods: int, max_cohorts: int):
    import cupy

    ctype = "double" if dtype == "float64" else "float"
    source = kernel_sources.with_line_directive(kernel_sources.CUDA)
    options = ("-std=c++17", f"-I{kernel_sources.kernel_dir()}", f"-DDCECON_MAX_PERIODS={max_periods}",
               f"-DDCECON_MAX_COHORTS={max_cohorts}", f"-DDCECON_BLOCK={BLOCK}")
    names = (f"dcecon_evaluate<{ctype}>", f"dcecon_reduce<{ctype}>", "dcecon_merge_blocks")
    with cupy.cuda.Device(device_id):
        module = cupy.RawModule(code=source, options=options, name_expressions=names)
        module.compile()
    return module, names


def grid_module(dtype: str, extents: dict):
    """The compiled module for a run's dtype and period count (built once per device)."""
    import cupy

    j_lo, j_hi = extents["lifetime_range"]
    n_periods = max(j_hi, extents["window_periods"]) - min(j_lo, 0)
    return _module(cupy.cuda.Device().id, dtype, _capacity(n_periods, 32), 16)


def _device_args(args, sampled, start, m):
    import cupy

    real = args.real
    put = cupy.asarray
    return [put(args.g_real), put(args.g_int), put(args.spec_int), put(args.sizes), put(args.strides),
            put(args.axis_values.astype(real)), put(args.value_offsets), put(args.bind_offsets), put(args.bind_cohort),
            put(args.bind_param), put(sampled.astype(real)), np.int64(args.n_samples), put(args.base_params),
            put(args.methods), np.float64(args.discount), np.float64(args.tax), np.int64(start), np.int64(m)]


def evaluate_chunk(compiled, plan, args, start: int, stop: int) -> np.ndarray:
    """Every metric of scenarios ``start .. stop - 1`` on the GPU, shape ``(m, 16)`` (host)."""
    import cupy

    from dcecon.backends import to_numpy
    from dcecon.grid_engine.kernels import chunk_inputs

    module, names = compiled
    sampled, _, m = chunk_inputs(plan, args, start, stop)
    out = cupy.zeros((m, 16), dtype=args.real)
    kernel = module.get_function(names[0])
    kernel(((m + BLOCK - 1) // BLOCK,), (BLOCK,), tuple(_device_args(args, sampled, start, m) + [out]))
    cupy.cuda.get_current_stream().synchronize()
    return to_numpy(out)


def reduce_chunk(compiled, plan, args, layout, start: int, stop: int):
    """Evaluate and reduce scenarios ``start .. stop - 1`` on the GPU into a :class:`Partial`."""
    import cupy

    from dcecon.backends import to_numpy
    from dcecon.grid_engine import sketch
    from dcecon.grid_engine.kernels import chunk_inputs, partial_from_buffers

    if len(plan.axes) > MAX_CARTESIAN_AXES:
        raise RuntimeError(f"the GPU kernels decode at most {MAX_CARTESIAN_AXES} cartesian axes")
    module, names = compiled
    sampled, deciles, m = chunk_inputs(plan, args, start, stop)
    device = cupy.cuda.Device()
    blocks = int(min(max(1, (m + BLOCK - 1) // BLOCK), 32 * device.attributes["MultiProcessorCount"]))
    M = 16
    partials = cupy.zeros(blocks * M * MOMENTS_DTYPE.itemsize // 8, dtype=cupy.float64)
    merged = cupy.zeros(M * MOMENTS_DTYPE.itemsize // 8, dtype=cupy.float64)
    sk = cupy.zeros(M * sketch.N_BUCKETS, dtype=cupy.uint64)
    sums = cupy.zeros(args.n_groups * (2 * M + 2), dtype=cupy.float64)
    mins = cupy.full(args.n_groups * M, math.inf, dtype=cupy.float64)
    maxs = cupy.full(args.n_groups * M, -math.inf, dtype=cupy.float64)
    reduce = module.get_function(names[1])
    reduce((blocks,), (BLOCK,), tuple(_device_args(args, sampled, start, m) + [
        cupy.asarray(args.table_int), cupy.asarray(args.marginal_dims), cupy.asarray(args.marginal_offsets),
        cupy.asarray(args.pair_a), cupy.asarray(args.pair_b), cupy.asarray(args.pair_offsets), cupy.asarray(deciles),
        cupy.asarray(args.sketch_int), partials, sk, sums, mins, maxs]))
    merge = module.get_function(names[2])
    merge((1,), (32,), (partials, np.int64(blocks), merged))
    cupy.cuda.get_current_stream().synchronize()
    moments = to_numpy(merged).view(MOMENTS_DTYPE)
    buffers = {
        "count": moments["count"].astype(np.float64), "mean": moments["mean"].copy(), "m2": moments["m2"].copy(),
        "minimum": moments["minimum"].copy(), "argmin": moments["argmin"].astype(np.int64),
        "maximum": moments["maximum"].copy(), "argmax": moments["argmax"].astype(np.int64),
        "negative": moments["negative"].astype(np.int64), "sketch": to_numpy(sk).astype(np.int64),
        "sums": to_numpy(sums), "mins": to_numpy(mins), "maxs": to_numpy(maxs),
    }
    return partial_from_buffers(args, layout, start, stop, buffers)


def release_memory() -> None:
    """Free CuPy's cached device memory (end of a run)."""
    try:
        import cupy

        cupy.get_default_memory_pool().free_all_blocks()
        cupy.get_default_pinned_memory_pool().free_all_blocks()
    except Exception:
        pass
