"""Files of a grid run: the output folder, its lock, resumable chunk reductions, Parquet tables.

Layout of ``--out DIR``::

    DIR/manifest.json      what was run (scenario, axes, samples, backend, chunking,
                           fingerprint, status: running | complete)
    DIR/summary.json       per-metric summary, shares, best and worst scenarios
    DIR/marginals.parquet  main effects (path, value, metric, mean, min, max, count)
    DIR/tables.parquet     2-D tables (x_path, y_path, x_value, y_value, metric, ...)
    DIR/scenarios/         with --save-scenarios: every scenario's inputs and outputs,
                           one Parquet file per chunk (a partitioned dataset)
    DIR/.partials/         each finished chunk's reductions, for --resume
    DIR/.dcecon.lock       held (fcntl.flock) by the run writing the folder; holds its pid

Every file is written to a temporary name and renamed, so a killed run never
leaves a half-written file; bad input is rejected before the folder is made.
A manifest read back for ``--resume`` is validated like any input
(:class:`Manifest`); every failure to create or write the folder is a
:class:`~dcecon.ScenarioError` ``--out: DIR: why``.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dcecon import __version__
from dcecon.grid_engine.reduce import Partial
from dcecon.grid_engine.sampling import SAMPLERS
from dcecon.io import atomic_write, atomic_write_bytes, dumps_json
from dcecon.scenario.errors import ScenarioError

try:  # POSIX; elsewhere a folder is not locked
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

MANIFEST = "manifest.json"
PARTIALS = ".partials"
LOCK = ".dcecon.lock"

LOCK_ATTEMPTS = 5
"""Tries to take a folder's lock before telling that another run holds it."""

LOCK_RETRY_SECONDS = 0.02
"""Wait between two tries [s]."""


class ManifestDimension(BaseModel):
    """One dimension of a run as the manifest records it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    path: str = Field(description="Dotted scenario path of the axis, as given (may hold '*').")
    spec: str = Field(description="The axis spec it was parsed from: start:stop:num, a list or a distribution.")


class Manifest(BaseModel):
    """``DIR/manifest.json``: what a grid run computes, enough to rerun it and to refuse mixing it with another."""

    model_config = ConfigDict(extra="forbid", strict=True)

    dcecon_version: str = Field(description="Version of dcecon that wrote the folder.")
    status: Literal["running", "complete"] = Field(description="'running' until the results are written.")
    fingerprint: str = Field(pattern=r"^[0-9a-f]{16}$",
                             description="Hash of the scenario, axes, samples, sampler, seed, selection, backend "
                                         "and dtype (GridPlan.fingerprint).")
    scenario: str = Field(description="Name of the scenario.")
    scenario_file: str | None = Field(description="The scenario file, if the run came from one.")
    command: str | None = Field(description="The command line that started the run, if any.")
    dimensions: list[ManifestDimension] = Field(description="Cartesian axes, then sampled dimensions.")
    grid_shape: list[int] = Field(description="Sizes of the cartesian axes [values].")
    samples: int = Field(ge=0, description="Draws per grid point (0 without --sample) [scenarios].")
    sampler: Literal[SAMPLERS] = Field(description="Sampling design.")
    seed: int = Field(ge=0, description="Seed of the sampler.")
    n_scenarios: int = Field(gt=0, description="Scenarios of the run [scenarios].")
    backend: Literal["numpy", "native", "cupy", "cupy-array", "array-api-strict"] = Field(
        description="The backend that computes the run (a run resumes only on it).")
    dtype: Literal["float64", "float32"] = Field(description="Floating dtype of the run.")
    chunk_size: int = Field(gt=0, description="Scenarios per chunk (a resumed run keeps it) [scenarios].")
    max_memory_bytes: int = Field(gt=0, description="Memory budget that set the chunk size [bytes].")
    save_scenarios: bool = Field(default=False, description="Whether every scenario is written to scenarios/.")
    seconds: float | None = Field(default=None, ge=0, description="Wall time of the last run, once complete [s].")
    resumed_chunks: int | None = Field(default=None, ge=0,
                                       description="Chunks reloaded from .partials/ by the last run, once "
                                                   "complete [chunks].")


@contextlib.contextmanager
def writing(out: Path, action: str = "cannot be written"):
    """Turn an ``OSError`` while creating or writing the folder into ``--out: DIR: why``.

    ``action`` says what failed for the folder itself; a file inside it is named.
    """
    try:
        yield
    except OSError as exc:
        why = exc.strerror or str(exc)
        inside = getattr(exc, "filename", None) and Path(exc.filename).parent == Path(out)
        message = f"cannot write {Path(exc.filename).name} ({why})" if inside else f"{action} ({why})"
        raise ScenarioError("--out", str(out), message) from None


def write_json(path: Path, obj) -> None:
    """Write JSON atomically (NaN and infinities as strings)."""

    atomic_write_bytes(path, (dumps_json(obj) + "\n").encode())


def write_parquet(path: Path, frame) -> None:
    """Write a DataFrame as Parquet atomically."""
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def read_json_model(path: Path, model, what: str = "dcecon", check_raw=None):
    """Read a JSON file into a pydantic ``model``; any problem is one line naming the file and the field.

    Parameters
    ----------
    path : Path
        The file (an ``--out`` folder's manifest).
    model : type
        The pydantic model (``extra="forbid"``).
    what : str
        Whose file it is, in the unknown-field message (``dcecon``, ``dcecon montecarlo``).
    check_raw : callable, optional
        Called with the parsed JSON object before validation (to tell another kind of run's file apart).

    Raises
    ------
    ScenarioError
        Unreadable, not JSON, not an object, or a field missing, unknown, of the wrong type or out of range.
    """
    from dcecon.scenario.validation import error_field, validation_message

    try:
        raw = json.loads(Path(path).read_bytes())
    except OSError as exc:
        raise ScenarioError(str(path), None, f"cannot be read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), None, f"is not valid JSON ({exc}); restore it or choose another --out "
                                             "folder") from None
    if not isinstance(raw, dict):
        raise ScenarioError(str(path), None, f"is not a JSON object but a {type(raw).__name__}; restore it or "
                                             "choose another --out folder")
    if check_raw is not None:
        check_raw(raw)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        message = validation_message(model, error)
        if error["type"] == "extra_forbidden":
            message = f"unknown field (a {what} manifest has no such key)"
        raise ScenarioError(str(path), error_field(error["loc"]), message + "; restore it or choose another "
                                                                            "--out folder") from None


def read_manifest(path: Path) -> Manifest:
    """Read and validate a grid run's manifest (:func:`read_json_model`)."""
    return read_json_model(path, Manifest)


def check_output_folder(out: Path, fingerprint: str, resume: bool, fingerprint_on=None,
                        holding_lock: bool = False) -> Manifest | None:
    """Refuse a folder that holds other results or that another run is writing; return the manifest to resume.

    ``holding_lock``: the caller holds the folder's :class:`FolderLock` (so the lock is not looked at).

    Raises
    ------
    ScenarioError
        The folder holds another run's results (or this run's from another
        backend or dtype, when ``fingerprint_on(backend, dtype)`` tells), or
        holds results and ``--resume`` was not given, or ``--resume`` has
        nothing to resume, or its manifest is not a valid :class:`Manifest`.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ScenarioError("--out", str(out), "exists and is not a folder")
    holder = None if holding_lock else locked_by(out)
    if holder is not None:
        raise ScenarioError("--out", str(out), busy_message(holder))
    manifest_path = out / MANIFEST
    if manifest_path.exists():
        manifest = read_manifest(manifest_path)
        if manifest.fingerprint != fingerprint:
            backend, dtype = manifest.backend, manifest.dtype
            if fingerprint_on is not None and fingerprint_on(backend, dtype) == manifest.fingerprint:
                # the same run on another backend or dtype: backends agree to rounding, not bitwise
                raise ScenarioError("--out", str(out), f"holds this run's results from backend {backend} {dtype} "
                                                       f"(this run would use another); add --backend {backend} "
                                                       f"--dtype {dtype} to continue it, or choose another folder")
            raise ScenarioError("--out", str(out), f"holds another run's results (scenario "
                                                   f"{manifest.scenario!r}, fingerprint "
                                                   f"{manifest.fingerprint}); choose another folder")
        if not resume:
            raise ScenarioError("--out", str(out), "already holds this run's results; add --resume to continue or "
                                                   "finish it, or choose another folder")
        return manifest
    if resume:
        raise ScenarioError("--resume", str(out), "has no run to resume (no manifest.json)")
    with writing(out):
        if out.exists() and any(entry.name != LOCK for entry in out.iterdir()):
            raise ScenarioError("--out", str(out), "is not empty and holds no dcecon run; choose another folder")
    return None


def busy_message(holder: str) -> str:
    """What a run is told when another holds the folder's lock (``holder``: its pid, or '')."""
    who = f"pid {holder}" if holder.isdigit() else "another process"
    return f"another dcecon ({who}) is writing there; wait for it to finish or choose another folder"


def locked_by(out: Path) -> str | None:
    """The pid (text, '' if unknown) of the process that holds ``DIR/.dcecon.lock``, or None if none does.

    Only looks: a folder without a lock file gets none.
    """
    path = Path(out) / LOCK
    if fcntl is None or not path.is_file():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return os.read(fd, 32).decode(errors="replace").strip()
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class FolderLock:
    """An exclusive ``fcntl.flock`` on ``DIR/.dcecon.lock`` while a run writes the folder.

    The operating system drops the lock when the process ends, however it
    ends, so a killed run never leaves a stale lock: a lock file whose
    process is gone is simply taken over. The file holds the pid of the
    holder, for the message of a second run. Use as a context manager.
    """

    def __init__(self, out: Path):
        self.out = Path(out)
        self.path = self.out / LOCK
        self.fd: int | None = None

    def acquire(self) -> None:
        """Take the lock.

        Raises
        ------
        ScenarioError
            Another process holds it (``--out: DIR: another dcecon (pid N) is writing there``), or the lock
            file cannot be created.
        """
        if fcntl is None:  # pragma: no cover - Windows
            return
        with writing(self.out):
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        for attempt in range(LOCK_ATTEMPTS):  # a run that only looks (locked_by) holds it for microseconds
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if attempt + 1 < LOCK_ATTEMPTS:
                    time.sleep(LOCK_RETRY_SECONDS)
        else:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            raise ScenarioError("--out", str(self.out), busy_message(holder))
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.fd = fd

    def release(self) -> None:
        """Drop the lock (the file stays; the next run takes it over)."""
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the flock
            self.fd = None

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        self.release()


class PartialStore:
    """Saves each chunk's reductions (and scenarios) in the output folder; reloads them on resume."""

    def __init__(self, out: Path, keep_scenarios: bool = False):
        self.out = Path(out)
        self.partials = self.out / PARTIALS
        self.scenarios = self.out / "scenarios"
        self.keep_scenarios = keep_scenarios

    def _path(self, start: int, stop: int) -> Path:
        return self.partials / f"chunk-{start:016d}-{stop:016d}.npz"

    def saved(self, start: int, stop: int) -> bool:
        """Whether this chunk's files exist (a damaged one is found, and redone, only by :meth:`load`)."""
        if self.keep_scenarios and not (self.scenarios / f"chunk-{start:016d}.parquet").exists():
            return False
        return self._path(start, stop).exists()

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
        """Save a chunk's reductions (and its scenarios) atomically (``--out: DIR: why`` if it cannot)."""
        with writing(self.out):
            self.partials.mkdir(parents=True, exist_ok=True)
            if self.keep_scenarios:
                self.scenarios.mkdir(parents=True, exist_ok=True)
            self._write(partial, scenarios)

    def _write(self, partial: Partial, scenarios: dict | None) -> None:
        if self.keep_scenarios and scenarios is not None:
            import pandas as pd

            write_parquet(self.scenarios / f"chunk-{partial.start:016d}.parquet", pd.DataFrame(scenarios))
        atomic_write(self._path(partial.start, partial.stop),
                     lambda tmp: np.savez_compressed(tmp, **partial.to_arrays()), suffix=".npz")


def manifest(plan, scenario_file, backend, dtype, chunk_size, max_memory, status, command=None,
             save_scenarios=False) -> Manifest:
    """What was run: enough to rerun it and to refuse mixing it with another run."""
    return Manifest(
        dcecon_version=__version__,
        status=status,
        fingerprint=plan.fingerprint(backend, dtype),
        scenario=plan.scenario.name,
        scenario_file=str(scenario_file) if scenario_file else None,
        command=command,
        dimensions=[ManifestDimension(path=a.path, spec=a.spec) for a in plan.dimensions],
        grid_shape=list(plan.shape),
        samples=plan.n_samples if plan.sampled else 0,
        sampler=plan.sampler,
        seed=plan.seed,
        n_scenarios=plan.n_scenarios,
        backend=backend,
        dtype=dtype,
        chunk_size=int(chunk_size),
        max_memory_bytes=int(max_memory),
        save_scenarios=bool(save_scenarios),
    )


def write_manifest(out: Path, meta: Manifest) -> None:
    """Write ``DIR/manifest.json`` atomically (``seconds`` and ``resumed_chunks`` only once complete)."""
    with writing(out):
        unset = {name for name in ("seconds", "resumed_chunks") if getattr(meta, name) is None}
        write_json(Path(out) / MANIFEST, meta.model_dump(mode="json", exclude=unset))


def write_results(out: Path, result) -> None:
    """Write summary.json, marginals.parquet and tables.parquet (``--out: DIR: why`` if they cannot be)."""
    out = Path(out)
    with writing(out):
        write_json(out / "summary.json", result.to_dict())
        write_parquet(out / "marginals.parquet", result.marginals)
        write_parquet(out / "tables.parquet", result.tables_long())
