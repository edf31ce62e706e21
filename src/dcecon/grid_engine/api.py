"""``dcecon.grid``: run a grid from Python or from ``dcecon grid``.

Example::

    import dcecon
    scenario = dcecon.load_scenario("scenarios/h100-neocloud-2024.toml")
    result = dcecon.grid(scenario, axes={
        "cohorts.0.utilization": "0.3:0.95:14",
        "cohorts.0.price_usd_per_gpu_hour": "1:4:31",
        "cohorts.0.book_life_years": [3, 4, 5, 6],
    }, backend="numpy")
    result.summary                      # one row per metric
    result.table("cohorts.0.price_usd_per_gpu_hour", "cohorts.0.utilization", stat="share_npv_positive")
    result.best("npv_usd"), result.worst("gross_margin")
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from dcecon.backends import BACKEND_CHOICES, resolve_backend, resolve_grid_backend
from dcecon.grid_engine import output
from dcecon.grid_engine.engine import DEFAULT_MAX_MEMORY_BYTES, chunk_size_for, first_chunk, run
from dcecon.grid_engine.plan import make_plan
from dcecon.grid_engine.result import GridResult
from dcecon.grid_engine.sampling import SAMPLERS
from dcecon.grid_engine.selection import (GRID_TABLE_OPTIONS, Selection, parse_metrics, parse_quantiles,
                                          parse_tables)
from dcecon.grid_engine.spec import parse_axes
from dcecon.scenario.bundled import resolve_scenario_path
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.loader import apply_overrides, load_raw, scenario_to_raw, validate
from dcecon.scenario.schema import Scenario

MAX_SCENARIOS = 10**15
"""Largest grid a run accepts, even with ``force`` (10^15 scenarios: about a day on a GPU at 10^10 scenarios/s)."""

MAX_SCENARIOS_UNFORCED = 10**11
"""Largest grid a run accepts without ``--force`` [scenarios] (about 6 hours at the 4.3 M scenarios/s of the
native kernel with every default metric on 2 cores, benchmarks/README.md)."""

MAX_SECONDS_UNFORCED = 3600.0
"""Longest estimated run accepted without ``--force`` [s]."""

THREADS_PER_CORE_MAX = 4
"""``--threads`` is refused above this many threads per usable core."""


def parse_size(text, option: str) -> int:
    """``'1GiB'``, ``'512MB'``, ``'2e9'`` or a number -> bytes (units by :class:`pydantic.ByteSize`: ``kb``/``k``
    are 1000 bytes, ``kib`` 1024, and so on to ``eib``)."""
    from pydantic import ByteSize, TypeAdapter, ValidationError

    if isinstance(text, bool):
        value = math.nan
    elif isinstance(text, (int, float)):
        value = float(text)
    else:
        try:
            value = float(text)  # '2e9': a plain number of bytes, which ByteSize does not read
        except (TypeError, ValueError):
            try:
                value = float(TypeAdapter(ByteSize).validate_python(str(text)))
            except ValidationError:
                raise ScenarioError(option, str(text), "is not a size such as 1GiB, 512MB or 2e9") from None
    if not math.isfinite(value) or value <= 0 or value > 2**62:
        raise ScenarioError(option, str(text), "must be a positive size such as 1GiB")
    return int(value)


def human_size(n_bytes: float) -> str:
    """``1.5GiB``, ``12.0MiB``, ``800B`` (:meth:`pydantic.ByteSize.human_readable`, binary units)."""
    from pydantic import ByteSize

    return ByteSize(int(n_bytes)).human_readable()


def human_duration(seconds: float) -> str:
    """``45 s``, ``1 hour``, ``5.41 hours``, ``12 days``, ``2.34 years`` from a time [s]."""
    for scale, unit in ((365.25 * 86400, "year"), (86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= scale:
            value = f"{seconds / scale:,.3g}" if seconds < 1000 * scale else f"{seconds / scale:,.0f}"
            return f"{value} {unit}" if value == "1" else f"{value} {unit}s"
    return f"{seconds:.0f} s"


def usable_cores() -> int:
    """CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def max_threads() -> int:
    """Most ``--threads`` accepted: :data:`THREADS_PER_CORE_MAX` per usable core."""
    return THREADS_PER_CORE_MAX * usable_cores()


def is_whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_threads(threads) -> int:
    """``--threads``: None (all cores) or a whole number from 1 to :func:`max_threads`; the kernel's value
    (0: all cores)."""
    if threads is None:
        return 0
    top = max_threads()
    if not is_whole(threads) or not 1 <= int(threads) <= top:
        raise ScenarioError("--threads", str(threads), f"must be a whole number of threads from 1 to {top} (4 per "
                                                       f"core of the {usable_cores()} here); leave it out to use "
                                                       "all cores")
    return int(threads)


def check_out(out) -> Path | None:
    """``--out``: None or a folder path."""
    if out is None:
        return None
    if not isinstance(out, (str, os.PathLike)) or not str(os.fspath(out)).strip():
        raise ScenarioError("--out", repr(out), "must be the path of a folder")
    return Path(out)


def check_run_size(plan, estimated_seconds: float, backend: str, force: bool) -> None:
    """Refuse, without ``force``, a grid of more than :data:`MAX_SCENARIOS_UNFORCED` scenarios or one estimated
    to take more than :data:`MAX_SECONDS_UNFORCED`."""
    if force or (plan.n_scenarios <= MAX_SCENARIOS_UNFORCED and estimated_seconds <= MAX_SECONDS_UNFORCED):
        return
    raise ScenarioError("--axis", None, f"the grid has {plan.n_scenarios:,} scenarios, estimated time "
                                        f"{estimated_seconds:,.0f} s ({human_duration(estimated_seconds)}) on "
                                        f"{backend}; runs of more than {MAX_SCENARIOS_UNFORCED:,} scenarios or "
                                        f"{human_duration(MAX_SECONDS_UNFORCED)} need --force: add --force to run "
                                        "it, or use fewer values or samples")


def load_fleet_file(scenario, overrides=(), command: str = "dcecon grid") -> tuple[dict, dict, str]:
    """Raw dict, provenance and path of a fleet scenario file or bundled name, with ``--set`` overrides.

    ``scenario`` may also be a loaded :class:`~dcecon.scenario.schema.Scenario` (its name stands for the file);
    ``command`` (``dcecon table``, ``dcecon montecarlo``...) is named when the file is of another kind.

    Raises
    ------
    ScenarioError
        Unreadable or malformed file, bad override, or a scenario of another kind (``macro``, ...).
    """
    if isinstance(scenario, Scenario):
        raw, provenance = scenario_to_raw(scenario), dict(scenario.provenance)
        apply_overrides(raw, list(overrides), provenance, scenario.name)
        return raw, provenance, scenario.name
    path = str(resolve_scenario_path(scenario))
    raw, provenance = load_raw(path)
    kind = raw.get("kind", "fleet")
    if kind != "fleet":
        raise ScenarioError(path, "kind", f"{command} sweeps fleet scenarios; this is a {kind!r} scenario (run it "
                                          "with dcecon run, change it with --set)")
    apply_overrides(raw, list(overrides), provenance, path)
    return raw, provenance, path


def axis_strings(axes) -> list[str]:
    if axes is None:
        return []
    if isinstance(axes, str):
        return [axes]
    if not isinstance(axes, (dict, list, tuple)):
        raise ScenarioError("--axis", repr(axes), "axes must be a dict of path to spec or a list of 'PATH=SPEC' "
                                                  "strings")
    if isinstance(axes, dict):
        out = []
        for path, spec in axes.items():
            if isinstance(spec, (list, tuple)):
                spec = ",".join(str(v) for v in spec)
                if not spec:
                    spec = ""
            out.append(f"{path}={spec}")
        return out
    if not all(isinstance(a, str) for a in axes):
        raise ScenarioError("--axis", repr(axes), "axes must be a dict of path to spec or a list of 'PATH=SPEC' "
                                                  "strings")
    return list(axes)


def prepare(raw: dict, provenance: dict, file, axes=(), samples=None, sampler="sobol", seed=0, use_grid_table=True,
            metrics=None, tables=None, quantiles=None):
    """Validate everything and build the plan (nothing is run or written).

    ``metrics``, ``tables`` and ``quantiles`` choose what the run computes
    (:mod:`dcecon.grid_engine.selection`); where one is None the scenario's
    ``[grid]`` table's value is taken, else the default.
    """
    scenario = validate(raw, dict(provenance), file)
    if sampler not in SAMPLERS:
        raise ScenarioError("--sampler", sampler, f"choose one of {', '.join(SAMPLERS)}")
    if samples is not None and (not is_whole(samples) or samples <= 0):
        raise ScenarioError("--sample", str(samples), "must be a positive whole number of samples")
    if not is_whole(seed) or not 0 <= int(seed) < 2**63:
        raise ScenarioError("--seed", str(seed), "must be a whole number from 0 to 2**63 - 1")
    samples, seed = (None if samples is None else int(samples)), int(seed)  # NumPy integers become ints
    grid_table = dict(scenario.grid) if use_grid_table else {}
    options = {key: grid_table.pop(key) for key in GRID_TABLE_OPTIONS if key in grid_table}
    parsed = parse_axes(raw, provenance, file, axis_strings(axes), grid_table)
    where = f"{file} [grid]"
    if "correlations" in options:
        raise ScenarioError(where, "correlations", "dcecon grid draws its sampled inputs independently; run the "
                                                   "correlated draws with dcecon montecarlo (docs/monte-carlo.md)")
    chosen_metrics = parse_metrics(metrics) if metrics is not None else parse_metrics(options.get("metrics"), where)
    cartesian = [a.path for a in parsed if not a.is_sampled]
    sampled = [a.path for a in parsed if a.is_sampled]
    chosen_tables = (parse_tables(tables, cartesian, sampled) if tables is not None
                     else parse_tables(options.get("tables"), cartesian, sampled, where))
    chosen_quantiles = (parse_quantiles(quantiles) if quantiles is not None
                        else parse_quantiles(options.get("quantiles"), where))
    selection = Selection(chosen_metrics, chosen_tables, chosen_quantiles)
    plan = make_plan(scenario, parsed, samples or 0, sampler, seed, selection)
    if plan.n_scenarios == 0:
        raise ScenarioError("--axis", None, "the grid has 0 points")
    if plan.n_scenarios > MAX_SCENARIOS:
        raise ScenarioError("--axis", None, f"the grid has {plan.n_scenarios:.3g} scenarios, more than the "
                                            f"{MAX_SCENARIOS:.0e} a run can walk; use fewer values or --sample")
    return plan


def kernel_limit_reason(plan, kernel: str) -> str | None:
    """Why the fused kernels cannot run this plan (limits of dcecon.backends.contract), or None."""
    from dcecon.backends.contract import (CUDA_MAX_CARTESIAN_AXES, MAX_COHORTS, MAX_PERIODS,
                                          NATIVE_MAX_CARTESIAN_AXES)
    from dcecon.model.metrics import needs_array_model

    missing = needs_array_model(plan.selection.metrics)
    if missing:
        return f"the fused kernels do not compute {', '.join(missing)}"
    extents = plan.static_extents()
    j_lo, j_hi = extents["lifetime_range"]
    periods = max(j_hi, extents["window_periods"]) - min(j_lo, 0)
    cohorts = len(plan.host_fleet)
    axes = len(plan.axes)
    max_axes = CUDA_MAX_CARTESIAN_AXES if kernel == "cuda" else NATIVE_MAX_CARTESIAN_AXES
    if cohorts > MAX_COHORTS:
        return f"the fused kernels take at most {MAX_COHORTS} cohorts (this scenario has {cohorts})"
    if periods > MAX_PERIODS:
        return f"the fused kernels take at most {MAX_PERIODS} periods (this run needs {periods})"
    if axes > max_axes:
        return f"the fused kernels decode at most {max_axes} cartesian axes (this run has {axes})"
    return None


def save_scenarios_bytes(plan) -> int:
    """Uncompressed size of ``--save-scenarios`` output [bytes] (an upper bound of the Parquet size)."""
    return plan.n_scenarios * 8 * (1 + len(plan.dimensions) + len(plan.selection.metrics))


def execute(plan, *, scenario_file=None, backend="auto", dtype="float64", max_memory=DEFAULT_MAX_MEMORY_BYTES,
            out=None, resume=False, save_scenarios=False, max_output=1 << 30, force=False, on_chunk=None,
            on_estimate=None, command=None, chunk_size=None, threads=None, on_start=None, client=None) -> GridResult:
    """Run a prepared plan, writing the output folder if ``out`` is given.

    Before anything is written the run's first chunk is evaluated and timed;
    without ``force`` a grid of more than :data:`MAX_SCENARIOS_UNFORCED`
    scenarios, or one estimated at more than :data:`MAX_SECONDS_UNFORCED`,
    is refused. ``on_estimate(seconds, chunk)`` gets the estimate, ``on_start(backend, chunk_size)``
    is called when the run starts. The output folder is locked while the run writes it. With ``client`` (a
    ``distributed.Client``) the chunks are computed on its cluster (:mod:`dcecon.grid_engine.cluster`), with the
    same chunks, merge and files as in one process.

    Raises
    ------
    ScenarioError
        Bad options, a run too large without ``force``, an output folder that cannot be used (another run's,
        locked by another process, a damaged manifest, not writable).
    """
    max_memory = parse_size(max_memory, "--max-memory")
    max_output = parse_size(max_output, "--max-output")
    kernel_threads = check_threads(threads)
    if chunk_size is not None and (not is_whole(chunk_size) or chunk_size <= 0):
        raise ScenarioError("chunk_size", str(chunk_size), "must be a positive whole number of scenarios")
    chunk_size = None if chunk_size is None else int(chunk_size)
    if backend not in BACKEND_CHOICES:
        raise ScenarioError("--backend", str(backend), f"choose one of {', '.join(BACKEND_CHOICES)}")
    if dtype not in ("float64", "float32"):
        raise ScenarioError("--dtype", str(dtype), "choose one of float64, float32")
    out = check_out(out)
    if resume and out is None:
        raise ScenarioError("--resume", None, "needs --out DIR (the folder of the run to continue)")
    if out is not None and out.exists() and not out.is_dir():
        raise ScenarioError("--out", str(out), "exists and is not a folder")
    if out is not None and not out.exists():
        parent = next((p for p in out.resolve().parents if p.exists()), None)
        if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise ScenarioError("--out", str(out), "its folder cannot be created here (no writable parent)")
    if client is not None:
        from dcecon.grid_engine import cluster

        cluster.check_client(client)
        chosen = cluster.worker_backend(client, backend, dtype, kernel_threads)
    else:
        chosen = resolve_grid_backend(backend, dtype, kernel_threads)
    if chosen.kernel is not None:
        reason = kernel_limit_reason(plan, chosen.kernel)
        if reason:
            import sys

            array_backend = "cupy-array" if chosen.kernel == "cuda" else "numpy"
            print(f"dcecon: warning: {reason}; using the array model on {array_backend}", file=sys.stderr)
            chosen = (resolve_backend(array_backend, dtype) if client is None
                      else cluster.backend_named(array_backend, dtype))
    if save_scenarios and out is None:
        raise ScenarioError("--save-scenarios", None, "needs --out DIR")
    if save_scenarios and not force:
        size = save_scenarios_bytes(plan)
        if size > max_output:
            raise ScenarioError("--save-scenarios", None, f"would write about {human_size(size)}, more than "
                                                          f"--max-output {human_size(max_output)}; raise "
                                                          f"--max-output or add --force")
    extents = plan.static_extents()
    size = chunk_size or chunk_size_for(plan, extents, max_memory, chosen.dtype_name,
                                        on_host=not chosen.name.startswith("cupy"), kernel=chosen.kernel)
    if save_scenarios and not chunk_size:  # every scenario's row passes through the host: bound the chunk by it
        row_bytes = save_scenarios_bytes(plan) // max(plan.n_scenarios, 1)
        size = max(1, min(size, max_memory // (4 * row_bytes)))
    fingerprint = plan.fingerprint(chosen.name, chosen.dtype_name)
    store = None
    if out is not None:
        previous = output.check_output_folder(out, fingerprint, resume, fingerprint_on=plan.fingerprint)
        if previous is not None:
            size = previous.chunk_size  # the same chunks, so the result is identical
            save_scenarios = save_scenarios or previous.save_scenarios
        store = output.PartialStore(out, keep_scenarios=save_scenarios)
    first = first_chunk(plan, chosen, size, store, client)  # nothing is written yet
    estimate = first.estimated_seconds if first is not None else 0.0
    check_run_size(plan, estimate, chosen.name, force)
    lock = None
    if out is not None:
        with output.writing(out, "cannot be created"):  # parents included, as README's runs/... examples expect
            out.mkdir(parents=True, exist_ok=True)
        lock = output.FolderLock(out)
        lock.acquire()
    try:
        if out is not None:  # under the lock: the folder may have changed since it was checked
            previous = output.check_output_folder(out, fingerprint, resume, fingerprint_on=plan.fingerprint,
                                                  holding_lock=True)
            if previous is not None:
                size = previous.chunk_size
                save_scenarios = save_scenarios or previous.save_scenarios
            store = output.PartialStore(out, keep_scenarios=save_scenarios)
            meta = output.manifest(plan, scenario_file, chosen.name, chosen.dtype_name, size, max_memory, "running",
                                   command, save_scenarios)
            output.write_manifest(out, meta)
        if on_start is not None:
            on_start(chosen, size)
        if on_estimate is not None and first is not None:
            on_estimate(estimate, first.stop - first.start)
        merged, layout, stats = run(plan, chosen, chosen.dtype_name, max_memory, chunk_size=size, store=store,
                                    on_chunk=on_chunk, first=first, client=client)
        result = GridResult(plan, merged, layout, stats)
        if out is not None:
            output.write_results(out, result)
            output.write_manifest(out, meta.model_copy(update={"status": "complete", "seconds": stats.seconds,
                                                                "resumed_chunks": stats.resumed_chunks}))
    finally:
        if lock is not None:
            lock.release()
    return result


def grid(scenario, axes=None, samples=None, sampler="sobol", seed=0, backend="auto", dtype="float64",
         max_memory=DEFAULT_MAX_MEMORY_BYTES, out=None, resume=False, save_scenarios=False, max_output=1 << 30,
         force=False, chunk_size=None, threads=None, metrics=None, tables=None, quantiles=None,
         client=None) -> GridResult:
    """Evaluate a scenario over a grid of parameters and reduce the results.

    Parameters
    ----------
    scenario : Scenario, str or path
        From :func:`dcecon.load_scenario`, or a scenario file or bundled name (as ``dcecon grid`` takes it);
        its ``[grid]`` table adds axes.
    axes : dict of str to spec, or list of 'PATH=SPEC' strings
        Spec: ``'start:stop:num'``, ``'v1,v2'`` or a list of numbers, or a
        distribution such as ``'uniform(0.3, 0.9)'`` (needs ``samples``).
    samples : int, optional
        Draws per grid point for the distribution axes.
    sampler : {'sobol', 'lhs', 'random'}
    seed : int
    backend : {'auto', 'numpy', 'native', 'cupy', 'cupy-array', 'array-api-strict'}
        ``auto``: the CUDA kernel with a usable GPU, else the native CPU kernel, else NumPy (with a
        :class:`dcecon.backends.BackendFallbackWarning` saying why).
    dtype : {'float64', 'float32'}
    max_memory : int or str
        Memory budget that sets the chunk size, e.g. ``'1GiB'`` [bytes].
    out : path, optional
        Output folder (summary.json, Parquet tables, manifest); enables ``resume``.
    save_scenarios : bool
        Also write every scenario's inputs and outputs (refused above ``max_output`` unless ``force``).
    force : bool
        Run a grid above :data:`MAX_SCENARIOS_UNFORCED` scenarios or :data:`MAX_SECONDS_UNFORCED` estimated,
        and write ``save_scenarios`` output above ``max_output``.
    threads : int, optional
        Threads of the native kernel, 1 to :func:`max_threads` (default: all cores).
    metrics : str or list of str, optional
        Metrics to reduce, e.g. ``["gross_margin", "npv_usd"]``; ``"all"``; default: the window P&L and the
        investment view (or the ``[grid]`` table's ``metrics``). Only these, and what they need, are computed.
    tables : {'auto', 'none'} or str or list of 'PATH_A:PATH_B', optional
        Main effects and 2-D tables: ``auto`` (default), ``none``, or these pairs of axes.
    quantiles : bool, optional
        Keep quantile sketches (default True).
    client : distributed.Client, optional
        Compute the chunks on this Dask cluster (docs/cluster.md); the result is the one-process run's (counts,
        extremes and tables exactly, sums and means to rounding). Default: this process, without Dask.

    Returns
    -------
    GridResult

    Raises
    ------
    ScenarioError
        Any bad argument, with the message ``dcecon grid`` prints for the same mistake.
    """
    if isinstance(scenario, Scenario):
        raw, provenance, file = scenario_to_raw(scenario), dict(scenario.provenance), scenario.name
    else:  # a file or a bundled name; anything else is refused by the resolver
        raw, provenance, file = load_fleet_file(scenario)
    plan = prepare(raw, provenance, file, axes, samples, sampler, seed, metrics=metrics, tables=tables,
                   quantiles=quantiles)
    return execute(plan, scenario_file=None if isinstance(scenario, Scenario) else file, backend=backend,
                   dtype=dtype, max_memory=max_memory, out=out, resume=resume, save_scenarios=save_scenarios,
                   max_output=max_output, force=force, chunk_size=chunk_size, threads=threads, client=client)
