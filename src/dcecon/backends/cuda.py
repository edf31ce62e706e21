"""The GPU backend ``cupy``: the fused grid kernels of ``kernels/dcecon_cuda.cu`` on CuPy.

The kernel source is built by CuPy (NVRTC) as a ``cupy.RawModule``, one
module per specialisation - device, dtype, the metrics a run asks for
(``-DDCECON_OUTPUTS``), tables and quantile sketches on or off, the run's
period and cohort counts rounded up to a few classes (so a thread's arrays
stay near the run's size) - memoized in the process and cached on disk by
CuPy. NVRTC also gets ``-default-device`` (:data:`NVRTC_ONLY_OPTIONS`). The
source is prefixed with ``#line 1 "<file>"`` (compile errors point at the real
file) and with a digest of every kernel source and of the generated contract
header (``dcecon_contract.h``, written by :mod:`dcecon.backends.contract`
into the build folder), so CuPy's cache, keyed by the source text, never
serves a module built from older headers.

A run holds one :class:`GridModule` (from :func:`grid_module`): it keeps the
run's packed arrays (the grid engine's ``KernelArgs``) and the output buffers
on the device from chunk to chunk, uploads each chunk's sampled values through
pinned memory with asynchronous copies on its own (non-blocking) stream,
launches ``dcecon_reduce`` and ``dcecon_merge_blocks``, and copies back only
the reductions (one ``Moments`` per metric, the sketch counts and the table
cells) as raw buffers in the layout of the native kernel's, which the grid
engine turns into a partial reduction as it does the native kernel's. This
module imports nothing from the grid engine. The stream is synchronized before anything
is read. Works with any CuPy build for CUDA 11-13 (``cupy-cuda12x``,
``cupy-cuda13x``): only the RawModule, stream, pinned-memory and runtime calls
common to them are used.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import os
import weakref
from pathlib import Path

import numpy as np

from dcecon.backends import contract, kernel_sources

BLOCK = 128
"""Threads per block of the kernels (``-DDCECON_BLOCK``)."""

LEAN_MIN_BLOCKS = 4
"""Blocks per SM the register budget of a kernel with few metrics must allow (``-DDCECON_MIN_BLOCKS``):
4 x 128 threads caps it at 128 registers, what the lean kernel (gross margin and NPV) fits in without spills."""

SHARED_STATE_METRICS = 4
"""Kernels of at most this many metrics keep their per-thread reductions in shared memory (the kernel's
``DCECON_SHARED_STATE`` default); others in local memory."""

MAX_CARTESIAN_AXES = contract.CUDA_MAX_CARTESIAN_AXES
"""Cartesian axes a GPU run can decode."""

PERIOD_CLASSES = (8, 32, 128, contract.MAX_PERIODS)
COHORT_CLASSES = (1, 4, contract.MAX_COHORTS)
"""Capacities a module is built for: the run's period and cohort counts rounded up to the next class, so that a
thread's arrays stay near the run's size (the bench grid: 6 periods, 1 cohort) while few modules are built (each
build of every metric takes NVRTC 5-10 s)."""

MOMENTS_FIELDS = (("count", "f8"), ("mean", "f8"), ("m2", "f8"), ("minimum", "f8"), ("maximum", "f8"),
                  ("argmin", "i8"), ("argmax", "i8"), ("negative", "i8"), ("nan", "i8"), ("posinf", "i8"),
                  ("neginf", "i8"))
MOMENTS_DTYPE = np.dtype(list(MOMENTS_FIELDS))
"""Layout of the kernels' ``Moments`` (one metric's partial of a block or a chunk)."""

def _all_outputs() -> int:
    from dcecon.model.metrics import KERNEL_METRICS

    return (1 << len(KERNEL_METRICS)) - 1


@dataclasses.dataclass(frozen=True)
class Specialisation:
    """What one CUDA module is built for."""

    dtype: str = "float64"
    outputs: int = -1
    """Bit k for kernel metric k (:func:`dcecon.model.metrics.kernel_mask`); -1: every kernel metric."""
    tables: bool = True
    sketch: bool = True
    axes: int = MAX_CARTESIAN_AXES
    periods: int = contract.MAX_PERIODS
    cohorts: int = contract.MAX_COHORTS

    @property
    def mask(self) -> int:
        return _all_outputs() if self.outputs < 0 else int(self.outputs)

    @property
    def n_selected(self) -> int:
        return bin(self.mask).count("1")

    @property
    def ctype(self) -> str:
        return "double" if self.dtype == "float64" else "float"

    @property
    def min_blocks(self) -> int:
        return LEAN_MIN_BLOCKS if self.n_selected <= SHARED_STATE_METRICS else 1

    def defines(self) -> list[str]:
        """The ``-D`` options of this specialisation (NVRTC and nvcc alike)."""
        return [f"-DDCECON_OUTPUTS={self.mask}u", f"-DDCECON_TABLES={int(self.tables)}",
                f"-DDCECON_SKETCH={int(self.sketch)}", f"-DDCECON_AXES={max(1, int(self.axes))}",
                f"-DDCECON_PERIOD_CAPACITY={int(self.periods)}", f"-DDCECON_COHORT_CAPACITY={int(self.cohorts)}",
                f"-DDCECON_BLOCK={BLOCK}", f"-DDCECON_MIN_BLOCKS={self.min_blocks}",
                f"-DDCECON_SKETCH_SUB_BITS={contract.SKETCH_SUB_BITS}",
                f"-DDCECON_SKETCH_KEY_BASE={contract.SKETCH_KEY_BASE}LL",
                f"-DDCECON_SKETCH_SIDE={contract.SKETCH_SIDE}LL", f"-DDCECON_SKETCH_ZERO={contract.SKETCH_ZERO}LL",
                f"-DDCECON_SKETCH_BUCKETS={contract.SKETCH_N_BUCKETS}LL"]

    def names(self) -> tuple[str, str, str, str]:
        """Name expressions of the module's kernels: evaluate, reduce, merge, limits."""
        return (f"dcecon_evaluate<{self.ctype}>", f"dcecon_reduce<{self.ctype}>", "dcecon_merge_blocks",
                "dcecon_limits")


def include_dir() -> Path:
    """The build folder holding the generated ``dcecon_contract.h`` (``DCECON_CACHE_DIR`` overrides)."""
    override = os.environ.get("DCECON_CACHE_DIR")
    if override:
        base = Path(override)
    else:
        import platformdirs

        base = Path(platformdirs.user_cache_dir("dcecon"))
    return base / "cuda" / "include"


NVRTC_ONLY_OPTIONS = ("-default-device",)
"""NVRTC options nvcc does not take: ``-default-device`` compiles the headers' unannotated helpers and constant
tables for the device (nvcc needs them marked ``__host__ __device__``)."""


def compile_options(spec: Specialisation, include: Path | None = None, nvrtc: bool = True) -> list[str]:
    """Options of the module's build: ``-std=c++17``, the include folders (kernels, generated contract header),
    the specialisation's ``-D`` and, for NVRTC, :data:`NVRTC_ONLY_OPTIONS` (``nvrtc=False``: what nvcc takes)."""
    include = include_dir() if include is None else Path(include)
    options = ["-std=c++17", f"-I{kernel_sources.kernel_dir()}", f"-I{include}", *spec.defines()]
    return options + list(NVRTC_ONLY_OPTIONS) if nvrtc else options


def source_text() -> str:
    """The module's source: a digest of every kernel source and the contract header, then the ``.cu`` file."""
    h = hashlib.sha256(kernel_sources.digest(kernel_sources.CUDA).encode())
    h.update(contract.header_text().encode())
    return f"// dcecon kernel sources {h.hexdigest()[:24]}\n" + kernel_sources.with_line_directive(
        kernel_sources.CUDA)


@functools.lru_cache(maxsize=None)
def _module(device_id: int, spec: Specialisation):
    import cupy

    include = contract.write_header(include_dir()).parent
    with cupy.cuda.Device(device_id):
        module = cupy.RawModule(code=source_text(), options=tuple(compile_options(spec, include)),
                                name_expressions=spec.names())
        module.compile()
        limits = cupy.zeros(11, dtype=cupy.int64)
        module.get_function(spec.names()[3])((1,), (1,), (limits,))
        built = limits.get()
    expected_width = _cell_width(spec.mask)
    if (int(built[0]) != spec.n_selected or int(built[1]) != expected_width
            or int(built[2]) != MOMENTS_DTYPE.itemsize or int(built[3]) != spec.mask):
        raise RuntimeError(f"the CUDA module does not match the packing: built {built.tolist()}, expected "
                           f"{spec.n_selected} metrics, cells of {expected_width}, Moments of "
                           f"{MOMENTS_DTYPE.itemsize} bytes")
    return module


@functools.lru_cache(maxsize=None)
def _kernels(device_id: int, spec: Specialisation) -> tuple:
    """The module's kernels (``RawKernel``: evaluate, reduce, merge, limits), looked up once."""
    import cupy

    module = _module(device_id, spec)
    with cupy.cuda.Device(device_id):
        return tuple(module.get_function(name) for name in spec.names())


def _cell_width(mask: int) -> int:
    from dcecon.model.metrics import KERNEL_METRICS

    return contract.cell_layout([name for k, name in enumerate(KERNEL_METRICS) if (mask >> k) & 1])[0]


def _device_facts(device_id: int) -> dict:
    import cupy

    attributes = cupy.cuda.Device(device_id).attributes
    return {"sms": int(attributes.get("MultiProcessorCount", 80)),
            "registers": int(attributes.get("MaxRegistersPerMultiprocessor", 65536)),
            "threads": int(attributes.get("MaxThreadsPerMultiProcessor", 2048)),
            "shared": int(attributes.get("MaxSharedMemoryPerMultiprocessor", 96 * 1024))}


@functools.lru_cache(maxsize=None)
def _resident_blocks(device_id: int, spec: Specialisation, kernel_index: int) -> int:
    """Blocks of a kernel that the device holds at once (its occupancy, times the SMs)."""
    facts = _device_facts(device_id)
    per_sm = max(1, facts["threads"] // BLOCK)
    try:
        kernel = _kernels(device_id, spec)[kernel_index]
        registers = max(1, int(kernel.num_regs))
        registers = -(-registers // 8) * 8  # allocated in units of 8 per thread
        per_sm = min(per_sm, facts["registers"] // (registers * BLOCK))
        shared = int(kernel.shared_size_bytes)
        if shared > 0:
            per_sm = min(per_sm, facts["shared"] // shared)
    except Exception:  # attributes unavailable: a conservative guess
        per_sm = min(per_sm, 4)
    return max(1, per_sm) * facts["sms"]


def _period_count(extents: dict) -> int:
    j_lo, j_hi = extents["lifetime_range"]
    return max(j_hi, extents["window_periods"]) - min(j_lo, 0)


def capacity_class(n: int, classes) -> int:
    """The smallest of ``classes`` that holds ``n`` (the largest if none does)."""
    return next((c for c in classes if n <= c), classes[-1])


_LIVE: "weakref.WeakSet[GridModule]" = weakref.WeakSet()


class GridModule:
    """One run's CUDA kernels and device buffers (:func:`grid_module`; pass it to :func:`reduce_chunk` and
    :func:`evaluate_chunk`).

    The specialisation (metrics, tables, sketches) is taken from the arguments given here or, where left
    ``None``, from the first chunk's request (``reduce_chunk``) or metrics (``evaluate_chunk``). The packed run
    arrays go to the device once, at the first chunk; output and chunk buffers are reused (grown when a
    chunk is larger) until :meth:`close` or :func:`release_memory`.
    """

    def __init__(self, dtype: str, extents: dict, outputs: int | None = None, tables: bool | None = None,
                 sketch: bool | None = None):
        import cupy

        self.dtype = dtype
        self.periods = _period_count(extents)
        self.outputs, self.tables, self.sketch = outputs, tables, sketch
        self.device_id = cupy.cuda.Device().id
        self._args_id = None
        self._args = None
        self._device = None  # the run's packed arrays on the device
        self._buffers: dict = {}
        self._pinned: dict = {}
        self._stream = None
        self._reduce_spec: Specialisation | None = None
        _LIVE.add(self)

    # --- specialisation ----------------------------------------------------------------------------------

    def specialisation(self, args, outputs: int, tables: bool, sketch: bool) -> Specialisation:
        n_cart, n_cohorts = int(args.spec_int[0]), int(args.g_int[6])
        n_periods = int(args.g_int[2])
        if n_cart > MAX_CARTESIAN_AXES:
            raise RuntimeError(f"the GPU kernels decode at most {MAX_CARTESIAN_AXES} cartesian axes, not {n_cart}")
        if n_cohorts > contract.MAX_COHORTS or n_periods > contract.MAX_PERIODS:
            raise RuntimeError(f"the GPU kernels hold at most {contract.MAX_COHORTS} cohorts and "
                               f"{contract.MAX_PERIODS} periods (this run: {n_cohorts}, {n_periods})")
        # every module decodes up to MAX_CARTESIAN_AXES axes (a 16-entry coordinate buffer costs nothing)
        return Specialisation(str(np.dtype(args.real)), int(outputs), bool(tables), bool(sketch), MAX_CARTESIAN_AXES,
                              capacity_class(max(self.periods, n_periods), PERIOD_CLASSES),
                              capacity_class(max(1, n_cohorts), COHORT_CLASSES))

    def _for_reduce(self, args, metrics, tables: bool, sketch: bool) -> Specialisation:
        from dcecon.model.metrics import kernel_mask

        outputs = kernel_mask(metrics) if self.outputs is None else self.outputs
        tables = bool(tables) if self.tables is None else self.tables
        sketch = bool(sketch) if self.sketch is None else self.sketch
        self._reduce_spec = self.specialisation(args, outputs, tables, sketch)
        return self._reduce_spec

    def _for_evaluate(self, metrics, args) -> Specialisation:
        from dcecon.model.metrics import kernel_mask

        outputs = kernel_mask(metrics)  # the columns the caller reads
        reduced = self._reduce_spec
        if reduced is not None and reduced.mask == outputs:
            return reduced  # the reduce module has the same evaluate kernel: no second build
        # else the default run's module (tables and sketches on): evaluate_chunk alone builds what a grid will use
        tables = bool(self.tables) if self.tables is not None else True
        sketch = bool(self.sketch) if self.sketch is not None else True
        return self.specialisation(args, outputs, tables, sketch)

    # --- device state ------------------------------------------------------------------------------------

    def stream(self):
        import cupy

        if self._stream is None:
            self._stream = cupy.cuda.Stream(non_blocking=True)
        return self._stream

    def device_args(self, args) -> dict:
        """The run's packed arrays on the device (uploaded once per run, on the run's stream)."""
        import cupy

        if self._args_id != id(args) or self._args is not args:
            real = np.dtype(args.real)
            host = {
                "g_real": args.g_real, "g_int": args.g_int, "spec_int": args.spec_int, "sizes": args.sizes,
                "strides": args.strides, "axis_values": np.ascontiguousarray(args.axis_values, dtype=real),
                "value_offsets": args.value_offsets, "bind_offsets": args.bind_offsets,
                "bind_cohort": args.bind_cohort, "bind_param": args.bind_param,
                "base_params": np.ascontiguousarray(args.base_params, dtype=real), "methods": args.methods,
                "table_int": args.table_int, "marginal_dims": args.marginal_dims,
                "marginal_offsets": args.marginal_offsets, "pair_a": args.pair_a, "pair_b": args.pair_b,
                "pair_offsets": args.pair_offsets, "sketch_int": args.sketch_int,
            }
            with cupy.cuda.Device(self.device_id), self.stream():
                self._device = {k: cupy.asarray(np.ascontiguousarray(v)) for k, v in host.items()}
            self._args_id, self._args = id(args), args
        return self._device

    def buffer(self, name: str, size: int, dtype, pinned: bool = False):
        """A reusable device (or pinned host) array of at least ``size`` elements; the first ``size`` of it."""
        import cupy

        size = max(1, int(size))
        dtype = np.dtype(dtype)
        store = self._pinned if pinned else self._buffers
        current = store.get(name)
        if current is None or current.dtype != dtype or current.size < size:
            capacity = max(size, int(current.size * 1.25) if current is not None and current.dtype == dtype else 0)
            if pinned:
                memory = cupy.cuda.alloc_pinned_memory(capacity * dtype.itemsize)
                current = np.frombuffer(memory, dtype=dtype, count=capacity)
            else:
                with cupy.cuda.Device(self.device_id):
                    current = cupy.empty(capacity, dtype=dtype)
            store[name] = current
        return current[:size]

    def upload(self, name: str, host: np.ndarray, dtype):
        """``host`` copied to a reusable device buffer through pinned memory, asynchronously on the stream."""
        from cupy.cuda import runtime

        host = np.ascontiguousarray(host, dtype=dtype)
        staging = self.buffer(name, host.size, dtype, pinned=True)
        device = self.buffer(name, host.size, dtype)
        np.copyto(staging, host.reshape(-1))
        runtime.memcpyAsync(device.data.ptr, staging.ctypes.data, host.nbytes, runtime.memcpyHostToDevice,
                            self.stream().ptr)
        return device

    def download(self, name: str, device) -> np.ndarray:
        """Queue the copy of ``device`` into a reusable pinned buffer; read it after ``stream.synchronize()``."""
        from cupy.cuda import runtime

        host = self.buffer(name, device.size, device.dtype, pinned=True)
        runtime.memcpyAsync(host.ctypes.data, device.data.ptr, device.nbytes, runtime.memcpyDeviceToHost,
                            self.stream().ptr)
        return host

    def close(self) -> None:
        """Free the run's device and pinned buffers (the module stays compiled)."""
        if self._stream is not None:
            try:
                self._stream.synchronize()
            except Exception:
                pass
        self._device, self._args, self._args_id = None, None, None
        self._buffers.clear()
        self._pinned.clear()
        self._stream = None


def grid_module(dtype: str, extents: dict, outputs: int | None = None, tables: bool | None = None,
                sketch: bool | None = None) -> GridModule:
    """A run's :class:`GridModule` on the current device.

    Parameters
    ----------
    dtype : {'float64', 'float32'}
    extents : dict
        ``plan.static_extents()`` (the period count sizes the threads' arrays).
    outputs, tables, sketch : optional
        The specialisation (``kernel_mask(metrics)``, tables on, sketches on); by default taken from the
        first chunk's layout.
    """
    return GridModule(dtype, extents, outputs, tables, sketch)


def _launch_shape(module: GridModule, spec: Specialisation, kernel_index: int, m: int) -> int:
    blocks = min(max(1, -(-m // BLOCK)), _resident_blocks(module.device_id, spec, kernel_index))
    if m * blocks * BLOCK >= 1 << 62:
        raise RuntimeError(f"a chunk of {m} scenarios is too large for one launch")
    return int(blocks)


def _kernel_args(device: dict, sampled, args, start: int, m: int) -> list:
    return [device["g_real"], device["g_int"], device["spec_int"], device["sizes"], device["strides"],
            device["axis_values"], device["value_offsets"], device["bind_offsets"], device["bind_cohort"],
            device["bind_param"], sampled, np.int64(args.n_samples), device["base_params"], device["methods"],
            np.float64(args.discount), np.float64(args.tax), np.int64(start), np.int64(m)]


def evaluate_chunk(module: GridModule, metrics, args, sampled: np.ndarray, start: int, m: int) -> np.ndarray:
    """The metrics ``metrics`` (kernel metric names, in kernel order) of scenarios ``start .. start + m - 1`` on
    the GPU, shape ``(m, len(metrics))`` (host); ``sampled`` holds the chunk's sampled values (host)."""
    import cupy

    spec = module._for_evaluate(metrics, args)
    evaluate = _kernels(module.device_id, spec)[0]
    real = np.dtype(args.real)
    with cupy.cuda.Device(module.device_id):
        device = module.device_args(args)
        stream = module.stream()
        sampled_d = module.upload("sampled", sampled, real)
        out = module.buffer("evaluate_out", m * spec.n_selected, real)
        blocks = _launch_shape(module, spec, 0, m)
        with stream:
            evaluate((blocks,), (BLOCK,), tuple(_kernel_args(device, sampled_d, args, start, m) + [out]))
        host = module.download("evaluate_out", out)
        stream.synchronize()
    return np.array(host, copy=True).reshape(m, spec.n_selected)


def reduce_chunk(module: GridModule, args, metrics, tables: bool, sketch: bool, sampled: np.ndarray,
                 deciles: np.ndarray, start: int, m: int) -> dict:
    """Evaluate and reduce scenarios ``start .. start + m - 1`` on the GPU.

    Parameters
    ----------
    module : GridModule
        The run's module.
    args : KernelArgs
        The run's packed arrays (the grid engine's).
    metrics : sequence of str
        The kernel metrics reduced, in kernel order.
    tables, sketch : bool
        Whether main-effect and 2-D tables, and quantile sketches, are kept.
    sampled, deciles : numpy.ndarray
        The chunk's sampled values and their deciles (host).
    start, m : int
        First scenario and scenario count of the chunk.

    Returns
    -------
    dict of numpy.ndarray
        The raw reduction buffers in the native kernel's layout (``count``, ``mean``, ``m2``, ``minimum``,
        ``argmin``, ``maximum``, ``argmax``, ``counts``, ``sketch``, ``sums``, ``mins``, ``maxs``).
    """
    import cupy
    from cupy.cuda import runtime

    spec = module._for_reduce(args, metrics, tables, sketch)
    if spec.n_selected != len(metrics):
        raise RuntimeError("the GPU module's metrics differ from the run's layout")
    _, reduce, merge, _ = _kernels(module.device_id, spec)
    real = np.dtype(args.real)
    M = spec.n_selected
    width, _ = contract.cell_layout(metrics)
    n_buckets = contract.SKETCH_N_BUCKETS
    groups = int(args.n_groups)
    with cupy.cuda.Device(module.device_id):
        device = module.device_args(args)
        stream = module.stream()
        sampled_d = module.upload("sampled", sampled, real)
        deciles_d = module.upload("deciles", deciles, np.int32)
        blocks = _launch_shape(module, spec, 1, m)
        partials = module.buffer("partials", blocks * M * MOMENTS_DTYPE.itemsize // 8, np.float64)
        merged = module.buffer("merged", M * MOMENTS_DTYPE.itemsize // 8, np.float64)
        sk = module.buffer("sketch", M * n_buckets if spec.sketch else 1, np.uint64)
        sums = module.buffer("sums", groups * width if spec.tables else 1, np.float64)
        mins = module.buffer("mins", groups * M if spec.tables else 1, np.float64)
        maxs = module.buffer("maxs", groups * M if spec.tables else 1, np.float64)
        with stream:
            if spec.sketch:
                runtime.memsetAsync(sk.data.ptr, 0, sk.nbytes, stream.ptr)
            if spec.tables:
                runtime.memsetAsync(sums.data.ptr, 0, sums.nbytes, stream.ptr)
                mins.fill(math.inf)
                maxs.fill(-math.inf)
            reduce((blocks,), (BLOCK,), tuple(
                _kernel_args(device, sampled_d, args, start, m) + [
                    device["table_int"], device["marginal_dims"], device["marginal_offsets"], device["pair_a"],
                    device["pair_b"], device["pair_offsets"], np.int64(groups), deciles_d, device["sketch_int"],
                    partials, sk, sums, mins, maxs]))
            merge((M,), (32,), (partials, np.int64(blocks), merged))
        host = {"merged": module.download("merged", merged)}
        if spec.sketch:
            host["sketch"] = module.download("sketch", sk)
        if spec.tables:
            for name, array in (("sums", sums), ("mins", mins), ("maxs", maxs)):
                host[name] = module.download(name, array)
        stream.synchronize()
    moments = np.array(host["merged"], copy=True).view(MOMENTS_DTYPE)
    return {
        "count": moments["count"].astype(np.float64), "mean": moments["mean"].copy(), "m2": moments["m2"].copy(),
        "minimum": moments["minimum"].copy(), "argmin": moments["argmin"].astype(np.int64),
        "maximum": moments["maximum"].copy(), "argmax": moments["argmax"].astype(np.int64),
        "counts": np.concatenate([moments[f].astype(np.int64) for f in ("negative", "nan", "posinf", "neginf")]),
        "sketch": (np.array(host["sketch"], copy=True).view(np.int64) if spec.sketch
                   else np.zeros(1, dtype=np.int64)),
        "sums": np.array(host["sums"], copy=True) if spec.tables else np.zeros(1),
        "mins": np.array(host["mins"], copy=True) if spec.tables else np.zeros(1),
        "maxs": np.array(host["maxs"], copy=True) if spec.tables else np.zeros(1),
    }


def release_memory() -> None:
    """Free the runs' device and pinned buffers and CuPy's cached memory (end of a run)."""
    for module in list(_LIVE):
        module.close()
    try:
        import cupy

        cupy.get_default_memory_pool().free_all_blocks()
        cupy.get_default_pinned_memory_pool().free_all_blocks()
    except Exception:
        pass
