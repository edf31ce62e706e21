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
import re
from pathlib import Path

from dcecon.backends import resolve_backend
from dcecon.grid_engine import output
from dcecon.grid_engine.engine import DEFAULT_MAX_MEMORY_BYTES, chunk_size_for, run
from dcecon.grid_engine.plan import make_plan
from dcecon.grid_engine.result import GridResult
from dcecon.grid_engine.sampling import SAMPLERS
from dcecon.grid_engine.selection import (GRID_TABLE_OPTIONS, Selection, parse_metrics, parse_quantiles,
                                          parse_tables)
from dcecon.grid_engine.spec import parse_axes
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.loader import scenario_to_raw, validate
from dcecon.scenario.schema import Scenario

_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1e3, "kb": 1e3, "kib": 1024, "m": 1e6, "mb": 1e6, "mib": 1024**2, "g": 1e9,
          "gb": 1e9, "gib": 1024**3, "t": 1e12, "tb": 1e12, "tib": 1024**4}


def parse_size(text, option: str) -> int:
    """``'1GiB'``, ``'512MB'``, ``'2e9'`` or an int -> bytes."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        match = _SIZE_RE.match(str(text))
        unit = (match.group(2) or "").lower() if match else None
        if not match or unit not in _UNITS:
            try:
                value = float(text)
            except ValueError:
                raise ScenarioError(option, str(text), "is not a size such as 1GiB, 512MB or 2e9") from None
        else:
            value = float(match.group(1)) * _UNITS[unit]
    if not math.isfinite(value) or value <= 0 or value > 2**62:
        raise ScenarioError(option, str(text), "must be a positive size such as 1GiB")
    return int(value)


def human_size(n_bytes: float) -> str:
    """``1.50 GiB``, ``12.0 MiB``, ``800 B``."""
    for scale, unit in ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if n_bytes >= scale:
            return f"{n_bytes / scale:.2f} {unit}"
    return f"{n_bytes:.0f} B"


def _axis_strings(axes) -> list[str]:
    if axes is None:
        return []
    if isinstance(axes, dict):
        out = []
        for path, spec in axes.items():
            if isinstance(spec, (list, tuple)):
                spec = ",".join(str(v) for v in spec)
                if not spec:
                    spec = ""
            out.append(f"{path}={spec}")
        return out
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
    if samples is not None and samples <= 0:
        raise ScenarioError("--sample", str(samples), "must be a positive number of samples")
    if not 0 <= int(seed) < 2**63:
        raise ScenarioError("--seed", str(seed), "must be a whole number from 0 to 2**63 - 1")
    grid_table = dict(scenario.grid) if use_grid_table else {}
    options = {key: grid_table.pop(key) for key in GRID_TABLE_OPTIONS if key in grid_table}
    parsed = parse_axes(raw, provenance, file, _axis_strings(axes), grid_table)
    where = f"{file} [grid]"
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


MAX_SCENARIOS = 10**15
"""Largest grid a run accepts (10^15 scenarios: about a day on a GPU at 10^10 scenarios/s)."""


def save_scenarios_bytes(plan) -> int:
    """Uncompressed size of ``--save-scenarios`` output [bytes] (an upper bound of the Parquet size)."""
    return plan.n_scenarios * 8 * (1 + len(plan.dimensions) + len(plan.selection.metrics))


def execute(plan, *, scenario_file=None, backend="auto", dtype="float64", max_memory=DEFAULT_MAX_MEMORY_BYTES,
            out=None, resume=False, save_scenarios=False, max_output=1 << 30, force=False, on_chunk=None,
            on_estimate=None, command=None, chunk_size=None, threads=0, on_start=None) -> GridResult:
    """Run a prepared plan, writing the output folder if ``out`` is given."""
    max_memory = parse_size(max_memory, "--max-memory")
    max_output = parse_size(max_output, "--max-output")
    if threads < 0:
        raise ScenarioError("--threads", str(threads), "must be 0 (all cores) or a positive number of threads")
    if resume and out is None:
        raise ScenarioError("--resume", None, "needs --out DIR (the folder of the run to continue)")
    if out is not None and Path(out).exists() and not Path(out).is_dir():
        raise ScenarioError("--out", str(out), "exists and is not a folder")
    if out is not None and not Path(out).exists():
        parent = next((p for p in Path(out).resolve().parents if p.exists()), None)
        if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise ScenarioError("--out", str(out), "its folder cannot be created here (no writable parent)")
    chosen = resolve_backend(backend, dtype, kernels=True, threads=threads)
    if chosen.kernel is not None:
        reason = kernel_limit_reason(plan, chosen.kernel)
        if reason:
            import sys

            print(f"dcecon: warning: {reason}; using the array model on {'cupy-array' if chosen.kernel == 'cuda' else 'numpy'}",
                  file=sys.stderr)
            chosen = resolve_backend("cupy-array" if chosen.kernel == "cuda" else "numpy", dtype)
    if save_scenarios and out is None:
        raise ScenarioError("--save-scenarios", None, "needs --out DIR")
    if save_scenarios and not force:
        size = save_scenarios_bytes(plan)
        if size > max_output:
            raise ScenarioError("--save-scenarios", None, f"would write about {human_size(size)}, more than "
                                                          f"--max-output {human_size(max_output)}; raise "
                                                          f"--max-output or add --force")
    store = None
    extents = plan.static_extents()
    size = chunk_size or chunk_size_for(plan, extents, max_memory, chosen.dtype_name,
                                        on_host=not chosen.name.startswith("cupy"), kernel=chosen.kernel)
    if save_scenarios and not chunk_size:  # every scenario's row passes through the host: bound the chunk by it
        row_bytes = save_scenarios_bytes(plan) // max(plan.n_scenarios, 1)
        size = max(1, min(size, max_memory // (4 * row_bytes)))
    if out is not None:
        out = Path(out)
        previous = output.check_output_folder(out, plan.fingerprint(chosen.name, chosen.dtype_name), resume,
                                              fingerprint_on=plan.fingerprint)
        if previous is not None:
            size = int(previous["chunk_size"])  # the same chunks, so the result is identical
            save_scenarios = save_scenarios or bool(previous.get("save_scenarios"))
        try:  # parent folders included, as README's runs/... examples expect on a fresh clone
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ScenarioError("--out", str(out), f"cannot be created ({exc.strerror or exc})") from None
        meta = output.manifest(plan, scenario_file, chosen.name, chosen.dtype_name, size, max_memory, "running",
                               command)
        meta["save_scenarios"] = bool(save_scenarios)
        output.write_json(out / output.MANIFEST, meta)
        store = output.PartialStore(out, keep_scenarios=save_scenarios)
    if on_start is not None:
        on_start(chosen, size)
    merged, layout, stats = run(plan, chosen, chosen.dtype_name, max_memory, chunk_size=size, store=store,
                                on_chunk=on_chunk, on_estimate=on_estimate)
    result = GridResult(plan, merged, layout, stats)
    if out is not None:
        output.write_results(out, result)
        meta["status"] = "complete"
        meta["seconds"] = stats.seconds
        meta["resumed_chunks"] = stats.resumed_chunks
        output.write_json(out / output.MANIFEST, meta)
    return result


def grid(scenario: Scenario, axes=None, samples=None, sampler="sobol", seed=0, backend="auto", dtype="float64",
         max_memory=DEFAULT_MAX_MEMORY_BYTES, out=None, resume=False, save_scenarios=False, max_output=1 << 30,
         force=False, chunk_size=None, threads=0, metrics=None, tables=None, quantiles=None) -> GridResult:
    """Evaluate a scenario over a grid of parameters and reduce the results.

    Parameters
    ----------
    scenario : Scenario
        From :func:`dcecon.load_scenario`; its ``[grid]`` table adds axes.
    axes : dict of str to spec, or list of 'PATH=SPEC' strings
        Spec: ``'start:stop:num'``, ``'v1,v2'`` or a list of numbers, or a
        distribution such as ``'uniform(0.3, 0.9)'`` (needs ``samples``).
    samples : int, optional
        Draws per grid point for the distribution axes.
    sampler : {'sobol', 'lhs', 'random'}
    seed : int
    backend : {'auto', 'numpy', 'native', 'cupy', 'cupy-array', 'array-api-strict'}
        ``auto``: the CUDA kernel with a usable GPU, else the native CPU kernel, else NumPy.
    dtype : {'float64', 'float32'}
    max_memory : int or str
        Memory budget that sets the chunk size, e.g. ``'1GiB'``.
    out : path, optional
        Output folder (summary.json, Parquet tables, manifest); enables ``resume``.
    save_scenarios : bool
        Also write every scenario's inputs and outputs (refused above ``max_output`` unless ``force``).
    threads : int
        Threads of the native kernel (0: all cores).
    metrics : str or list of str, optional
        Metrics to reduce, e.g. ``["gross_margin", "npv_usd"]``; ``"all"``; default: the window P&L and the
        investment view (or the ``[grid]`` table's ``metrics``). Only these, and what they need, are computed.
    tables : {'auto', 'none'} or str or list of 'PATH_A:PATH_B', optional
        Main effects and 2-D tables: ``auto`` (default), ``none``, or these pairs of axes.
    quantiles : bool, optional
        Keep quantile sketches (default True).

    Returns
    -------
    GridResult
    """
    raw = scenario_to_raw(scenario)
    plan = prepare(raw, dict(scenario.provenance), scenario.name, axes, samples, sampler, seed, metrics=metrics,
                   tables=tables, quantiles=quantiles)
    return execute(plan, backend=backend, dtype=dtype, max_memory=max_memory, out=out, resume=resume,
                   save_scenarios=save_scenarios, max_output=max_output, force=force, chunk_size=chunk_size,
                   threads=threads)
