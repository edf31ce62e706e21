"""Files of a grid run: the output folder, resumable chunk reductions, Parquet tables.

Layout of ``--out DIR``::

    DIR/manifest.json      what was run (scenario, axes, samples, backend, chunking,
                           fingerprint, status: running | complete)
    DIR/summary.json       per-metric summary, shares, best and worst scenarios
    DIR/marginals.parquet  main effects (path, value, metric, mean, min, max, count)
    DIR/tables.parquet     2-D tables (x_path, y_path, x_value, y_value, metric, ...)
    DIR/scenarios/         with --save-scenarios: every scenario's inputs and outputs,
                           one Parquet file per chunk (a partitioned dataset)
    DIR/.partials/         each finished chunk's reductions, for --resume

Every file is written to a temporary name and renamed, so a killed run never
leaves a half-written file; bad input is rejected before the folder is made.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dcecon import __version__
from dcecon.io import atomic_write, atomic_write_bytes, dumps_json
from dcecon.grid_engine.reduce import Partial
from dcecon.scenario.errors import ScenarioError

MANIFEST = "manifest.json"
PARTIALS = ".partials"


def write_json(path: Path, obj) -> None:
    """Write JSON atomically (NaN and infinities as strings)."""

    atomic_write_bytes(path, (dumps_json(obj) + "\n").encode())


def write_parquet(path: Path, frame) -> None:
    """Write a DataFrame as Parquet atomically."""
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def check_output_folder(out: Path, fingerprint: str, resume: bool, fingerprint_on=None) -> dict | None:
    """Refuse a folder that holds other results; return the manifest to resume, if any.

    Raises
    ------
    ScenarioError
        The folder holds another run's results (or this run's from another
        backend or dtype, when ``fingerprint_on(backend, dtype)`` tells), or
        holds results and ``--resume`` was not given, or ``--resume`` has
        nothing to resume.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ScenarioError("--out", str(out), "exists and is not a folder")
    manifest_path = out / MANIFEST
    if manifest_path.exists():
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, json.JSONDecodeError):
            raise ScenarioError("--out", str(out), "holds an unreadable manifest.json; choose another folder") from None
        if manifest.get("fingerprint") != fingerprint:
            backend, dtype = manifest.get("backend"), manifest.get("dtype")
            if (fingerprint_on is not None and isinstance(backend, str) and isinstance(dtype, str)
                    and fingerprint_on(backend, dtype) == manifest.get("fingerprint")):
                # the same run on another backend or dtype: backends agree to rounding, not bitwise
                raise ScenarioError("--out", str(out), f"holds this run's results from backend {backend} {dtype} "
                                                       f"(this run would use another); add --backend {backend} "
                                                       f"--dtype {dtype} to continue it, or choose another folder")
            raise ScenarioError("--out", str(out), f"holds another run's results (scenario "
                                                   f"{manifest.get('scenario')!r}, fingerprint "
                                                   f"{manifest.get('fingerprint')}); choose another folder")
        if not resume:
            raise ScenarioError("--out", str(out), "already holds this run's results; add --resume to continue or "
                                                   "finish it, or choose another folder")
        return manifest
    if resume:
        raise ScenarioError("--resume", str(out), "has no run to resume (no manifest.json)")
    if out.exists() and any(out.iterdir()):
        raise ScenarioError("--out", str(out), "is not empty and holds no dcecon run; choose another folder")
    return None


class PartialStore:
    """Saves each chunk's reductions (and scenarios) in the output folder; reloads them on resume."""

    def __init__(self, out: Path, keep_scenarios: bool = False):
        self.out = Path(out)
        self.partials = self.out / PARTIALS
        self.scenarios = self.out / "scenarios"
        self.keep_scenarios = keep_scenarios
        self.partials.mkdir(parents=True, exist_ok=True)
        if keep_scenarios:
            self.scenarios.mkdir(parents=True, exist_ok=True)

    def _path(self, start: int, stop: int) -> Path:
        return self.partials / f"chunk-{start:016d}-{stop:016d}.npz"

    def load(self, start: int, stop: int) -> Partial | None:
        """The saved reductions of this chunk, or None (also for a damaged file, which is redone)."""
        path = self._path(start, stop)
        if not path.exists():
            return None
        if self.keep_scenarios and not (self.scenarios / f"chunk-{start:016d}.parquet").exists():
            return None
        try:
            with np.load(path) as data:
                return Partial.from_arrays({k: data[k] for k in data.files})
        except Exception:
            path.unlink(missing_ok=True)
            return None

    def save(self, partial: Partial, scenarios: dict | None) -> None:
        """Save a chunk's reductions (and its scenarios) atomically."""
        if self.keep_scenarios and scenarios is not None:
            import pandas as pd

            write_parquet(self.scenarios / f"chunk-{partial.start:016d}.parquet", pd.DataFrame(scenarios))
        atomic_write(self._path(partial.start, partial.stop),
                     lambda tmp: np.savez_compressed(tmp, **partial.to_arrays()), suffix=".npz")


def manifest(plan, scenario_file, backend, dtype, chunk_size, max_memory, status, command=None) -> dict:
    """What was run: enough to rerun it and to refuse mixing it with another run."""
    return {
        "dcecon_version": __version__,
        "status": status,
        "fingerprint": plan.fingerprint(backend, dtype),
        "scenario": plan.scenario.name,
        "scenario_file": str(scenario_file) if scenario_file else None,
        "command": command,
        "dimensions": [{"path": a.path, "spec": a.spec} for a in plan.dimensions],
        "grid_shape": list(plan.shape),
        "samples": plan.n_samples if plan.sampled else 0,
        "sampler": plan.sampler,
        "seed": plan.seed,
        "n_scenarios": plan.n_scenarios,
        "backend": backend,
        "dtype": dtype,
        "chunk_size": chunk_size,
        "max_memory_bytes": max_memory,
    }


def write_results(out: Path, result) -> None:
    """Write summary.json, marginals.parquet and tables.parquet."""
    out = Path(out)
    write_json(out / "summary.json", result.to_dict())
    write_parquet(out / "marginals.parquet", result.marginals)
    write_parquet(out / "tables.parquet", result.tables_long())
