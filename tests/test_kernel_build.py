"""Building the fused kernels: the CUDA source compiles, the host build degrades gracefully, ``auto`` picks one.

(a) ``kernels/dcecon_cuda.cu`` compiles with ``nvcc -ptx`` for sm_80 (A100)
    and sm_90 (H100) with the options ``dcecon.backends.cuda`` gives NVRTC
    (the generated contract header on the include path; the lean, full and
    at-the-limits specialisations); the lean reduce kernel fits 128
    registers with no spills (``nvcc -cubin -Xptxas -v``); a compile error
    is reported against the real kernel file and line
    (``kernel_sources.with_line_directive`` puts ``#line 1 "<path>"`` first).
    These need ``nvcc`` (marker ``nvcc``) but no GPU.
(b) The host build (``dcecon.backends.native``): without a C++ compiler the
    ``native`` backend falls back to NumPy with exactly one warning line, in
    Python and through the CLI; a damaged cache entry is rebuilt and gives
    the same results; the cache key follows the sources, compiler and flags.
(c) ``--backend auto`` for grids picks the CUDA kernel with a usable GPU,
    else ``native`` (this machine), and the result says which ran.

Expected results of a kernel build are those of the NumPy model
(``helpers.parity_checks``); the build options are those of
``dcecon.backends.cuda`` and ``dcecon.backends.native``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import dcecon
from dcecon.backends import contract, cuda, kernel_sources, native, resolve_backend
from dcecon.model.metrics import kernel_mask
from dcecon.scenario.loader import load_raw, validate
from helpers.gpu import CUPY_USABLE
from helpers.native_cache import run_cli, subprocess_env
from helpers.parity_checks import GridReference, assert_results_close, assert_summaries_close, file_plan
from helpers.paths import NEOCLOUD, ROOT

pytestmark = pytest.mark.usefixtures("native_cache")

NVCC = shutil.which("nvcc")
requires_nvcc = pytest.mark.skipif(NVCC is None, reason="nvcc (CUDA toolkit) is not on PATH")
nvcc = [pytest.mark.nvcc, requires_nvcc]

CUDA_SOURCE = kernel_sources.kernel_dir() / kernel_sources.CUDA
KERNEL_NAMES = ("dcecon_evaluate", "dcecon_reduce", "dcecon_merge_blocks", "dcecon_limits")

GRID_AXES = ["cohorts.0.utilization=0.5:1:3", "cohorts.0.price_usd_per_gpu_hour=1.5,2.5"]
"""A small grid of the neocloud scenario (no zero utilization, so NumPy emits no RuntimeWarning)."""

LEAN_METRICS = ("gross_margin", "npv_usd")
"""The lean kernel of the benchmarks (benchmarks/bench_limits.py, ``--metrics gross_margin,npv_usd --tables none``)."""

SPECIALISATIONS = {
    # the bench grid (benchmarks/bench-h100-leased-6y.toml): one cohort, 6 annual periods (capacity 8)
    "lean": cuda.Specialisation(outputs=kernel_mask(LEAN_METRICS), tables=False, sketch=True, periods=8, cohorts=1),
    "full": cuda.Specialisation(outputs=-1, tables=True, sketch=True, periods=8, cohorts=1),
    # the contract's limits: every metric, 16 cohorts, 768 periods, 16 axes
    "limits": cuda.Specialisation(),
}
"""Specialisations the CUDA source is compiled for, with the ``-D`` options ``dcecon.backends.cuda`` gives NVRTC."""

REGISTER_BUDGET = 128
"""Registers per thread of the lean reduce kernel: 4 blocks of ``cuda.BLOCK`` = 128 threads per SM (the
``-DDCECON_MIN_BLOCKS`` launch bound cuda.py sets for kernels with few metrics)."""


@pytest.fixture
def contract_include(tmp_path):
    """Folder holding the generated ``dcecon_contract.h`` (``contract.write_header``), for ``-I``."""
    return contract.write_header(tmp_path / "include").parent


def _nvcc(source: Path, out: Path, arch: str, include: Path, *extra: str, mode: str = "-ptx"
          ) -> subprocess.CompletedProcess:
    """``nvcc MODE -arch=ARCH`` with cuda.py's options for nvcc (``-std=c++17``, the kernel folder and the
    contract header's folder on the include path) and ``extra`` (the ``-D`` of a specialisation)."""
    command = [NVCC, mode, f"-arch={arch}", "-std=c++17", "-I", str(kernel_sources.kernel_dir()), "-I", str(include),
               *extra, str(source), "-o", str(out)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def ptxas_report(stderr: str) -> dict:
    """``{entry: {"registers": N, "spill_stores": B, "spill_loads": B, "stack": B}}`` from ``-Xptxas -v``."""
    report, entry, props = {}, None, None
    for line in stderr.splitlines():
        if m := re.search(r"Compiling entry function '([^']+)'", line):
            entry = m.group(1)
            report.setdefault(entry, {})
        elif m := re.search(r"Function properties for (\S+)", line):
            props = m.group(1)
        elif m := re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", line):
            if props in report:
                report[props].update(stack=int(m.group(1)), spill_stores=int(m.group(2)),
                                     spill_loads=int(m.group(3)))
        elif (m := re.search(r"Used (\d+) registers", line)) and entry is not None:
            report[entry]["registers"] = int(m.group(1))
    return report


def _entry(report: dict, name: str, ctype: str) -> dict:
    """The report of kernel ``name<ctype>`` (its mangled name holds ``name`` and ``I<d|f>E``)."""
    code = {"double": "IdE", "float": "IfE"}[ctype]
    found = [v for k, v in report.items() if name in k and code in k]
    assert len(found) == 1, f"{name}<{ctype}> not found once in {list(report)}"
    return found[0]


# --- (a) the CUDA source ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", sorted(SPECIALISATIONS))
@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.nvcc
@requires_nvcc
def test_cuda_source_compiles_to_ptx(arch, which, tmp_path, contract_include):
    """``nvcc -ptx -arch=ARCH -std=c++17 -I kernels -I <contract header> -D... kernels/dcecon_cuda.cu`` succeeds
    for the lean, full and at-the-limits specialisations; the PTX has every kernel.

    The ``-D`` options are ``cuda.Specialisation.defines()``, what ``dcecon.backends.cuda`` gives NVRTC (which
    also gets ``cuda.NVRTC_ONLY_OPTIONS``); a compile error fails the test with nvcc's message.
    """
    out = tmp_path / f"dcecon_{arch}_{which}.ptx"
    done = _nvcc(CUDA_SOURCE, out, arch, contract_include, *SPECIALISATIONS[which].defines())
    assert done.returncode == 0, f"nvcc failed for {arch} ({which}):\n{done.stderr[-4000:]}"
    entries = re.findall(r"\.entry\s+(\S+)\(", out.read_text())
    for name in KERNEL_NAMES:
        assert any(name in entry for entry in entries), f"{name} missing from the PTX entries {entries}"
    # dcecon_evaluate and dcecon_reduce are instantiated for double and float
    assert sum("dcecon_evaluate" in e for e in entries) == 2
    assert sum("dcecon_reduce" in e for e in entries) == 2


@pytest.mark.parametrize("arch", ["sm_80", "sm_90"])
@pytest.mark.nvcc
@requires_nvcc
def test_lean_reduce_kernel_fits_the_register_budget(arch, tmp_path, contract_include):
    """The lean reduce kernel (gross margin and NPV, no tables; float64 and float32) as ptxas builds it for
    ARCH (``nvcc -cubin -Xptxas -v``): at most 128 registers per thread, 0 bytes of spill stores and loads.

    (The full kernel keeps its reductions in local memory and is not held to a register budget.)
    """
    out = tmp_path / f"dcecon_{arch}_lean.cubin"
    done = _nvcc(CUDA_SOURCE, out, arch, contract_include, "-Xptxas", "-v", *SPECIALISATIONS["lean"].defines(),
                 mode="-cubin")
    assert done.returncode == 0, f"nvcc failed for {arch}:\n{done.stderr[-4000:]}"
    report = ptxas_report(done.stderr)
    for ctype in ("double", "float"):
        figures = _entry(report, "dcecon_reduce", ctype)
        what = f"{arch} lean dcecon_reduce<{ctype}>: {figures}"
        print(what)
        assert figures["registers"] <= REGISTER_BUDGET, what
        assert figures["spill_stores"] == 0 and figures["spill_loads"] == 0, what


def test_with_line_directive_names_the_kernel_file():
    """``with_line_directive(name)``: ``#line 1 "<kernels dir>/<name>"`` first, then the file unchanged."""
    for name in (kernel_sources.CUDA, kernel_sources.NATIVE, kernel_sources.MODEL, kernel_sources.GRID):
        text = kernel_sources.with_line_directive(name)
        first, rest = text.split("\n", 1)
        assert first == f'#line 1 "{kernel_sources.kernel_dir() / name}"'
        assert rest == kernel_sources.read(name)


@pytest.mark.nvcc
@requires_nvcc
def test_cuda_compile_error_points_at_the_kernel_file(tmp_path, contract_include):
    """A copy of the source (from ``with_line_directive``) with an error on line 41 compiled elsewhere:
    nvcc's message names ``kernels/dcecon_cuda.cu`` line 41, not the copy."""
    lines = kernel_sources.with_line_directive(kernel_sources.CUDA).splitlines()
    error_line = 41
    lines.insert(error_line, "this_is_not_valid_cuda_code;")  # index 41 follows the directive and 40 lines
    copy = tmp_path / "copy_with_error.cu"
    copy.write_text("\n".join(lines) + "\n")
    done = _nvcc(copy, tmp_path / "copy.ptx", "sm_80", contract_include, *SPECIALISATIONS["lean"].defines())
    assert done.returncode != 0, "the injected error was not reported"
    errors = [line for line in done.stderr.splitlines() if ": error" in line]
    assert errors and errors[0].startswith(f"{CUDA_SOURCE}({error_line}): error"), done.stderr[:1000]
    # every located error is in the kernel file (only nvcc's closing count names the file it was given)
    assert all(line.startswith(str(CUDA_SOURCE)) for line in errors), errors


# --- (b) the host build ------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_loader():
    """Clear the loader's memo before and after a test that changes how the library is found."""
    native.load_library.cache_clear()
    yield
    native.load_library.cache_clear()


def _assert_one_warning(stderr: str):
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one warning line, got {lines}"
    assert lines[0].startswith("dcecon: warning: native backend unavailable") and lines[0].endswith("using numpy")


def test_missing_compiler_falls_back_to_numpy(monkeypatch, capsys, fresh_loader):
    """``find_compiler() -> None``: ``resolve_backend("native", kernels=True)`` is the NumPy backend, and
    exactly one warning line goes to stderr (nothing to stdout)."""
    monkeypatch.setattr(native, "find_compiler", lambda: None)
    backend = resolve_backend("native", kernels=True)
    assert backend.name == "numpy" and backend.kernel is None
    captured = capsys.readouterr()
    assert captured.out == ""
    _assert_one_warning(captured.err)
    assert "no C++ compiler" in captured.err


def test_nonexistent_cxx_and_empty_path_fall_back_to_numpy(monkeypatch, capsys, tmp_path, fresh_loader):
    """``CXX=/nonexistent`` and a PATH without compilers: the same one-line fallback; a grid still runs."""
    monkeypatch.setenv("CXX", "/nonexistent/c++")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("DCECON_CACHE_DIR", str(tmp_path / "cache"))
    assert native.find_compiler() is None
    result = dcecon.grid(dcecon.load_scenario(NEOCLOUD), axes=GRID_AXES, backend="native")
    assert result.stats.backend == "numpy"
    captured = capsys.readouterr()
    _assert_one_warning(captured.err)
    assert not (tmp_path / "cache").exists(), "nothing is written to the cache without a compiler"


def test_cli_without_compiler_runs_on_numpy_with_one_warning(tmp_path):
    """``env CXX=/nonexistent PATH=<venv bin> dcecon grid ... --backend native`` succeeds on NumPy, one warning."""
    venv_bin = Path(sys.executable).parent
    assert (venv_bin / "dcecon").exists(), "the dcecon console script sits next to the interpreter"
    env = {k: v for k, v in os.environ.items() if k not in ("CXX", "DCECON_CACHE_DIR")}
    env.update(CXX="/nonexistent", PATH=str(venv_bin), DCECON_CACHE_DIR=str(tmp_path / "empty-cache"))
    argv = [str(venv_bin / "dcecon"), "grid", str(NEOCLOUD), *(f"--axis={a}" for a in GRID_AXES), "--backend",
            "native"]
    done = subprocess.run(argv + ["--json"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["backend"] == "numpy"
    _assert_one_warning(done.stderr)
    text = subprocess.run(argv + ["--quiet"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert text.returncode == 0, text.stderr
    assert "backend numpy float64" in text.stdout
    _assert_one_warning(text.stderr)


def _damage(path: Path, how: str) -> None:
    size = path.stat().st_size
    if how == "garbage":
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "truncated":
        with open(path, "r+b") as handle:
            handle.truncate(size // 2)
    else:
        raise ValueError(how)


@pytest.mark.parametrize("how", [
    "garbage",
    "empty",
    "truncated",
])
def test_damaged_cache_entry_is_rebuilt(how, tmp_path, native_cache, native_lib):
    """A damaged cached library (a copy of this session's build in a fresh cache, then damaged) is rebuilt
    and the grid gives the same summary as the intact build.

    Run in subprocesses: a library that is mapped in this process must not
    be overwritten, and a crash must not take the test session down.
    """
    cache = tmp_path / "cache"
    (cache / "native").mkdir(parents=True)
    built = sorted((native_cache / "native").glob("dcecon-native-*.so"))
    assert built, "the session build left no library in its cache"
    for so in built:
        shutil.copy2(so, cache / "native" / so.name)
        _damage(cache / "native" / so.name, how)
    argv = ["grid", str(NEOCLOUD), *(f"--axis={a}" for a in GRID_AXES), "--backend", "native", "--json"]
    intact = json.loads(run_cli(argv, subprocess_env(native_cache)).stdout)
    done = run_cli(argv, subprocess_env(cache), check=False)
    assert done.returncode == 0, f"exit {done.returncode}: {done.stderr[-800:]}"
    rebuilt = json.loads(done.stdout)
    assert rebuilt["backend"] == "native", done.stderr
    assert "warning" not in done.stderr
    assert_summaries_close(rebuilt, intact, GridReference.of(file_plan(NEOCLOUD, GRID_AXES)), rtol=0.0)
    libraries = list((cache / "native").glob("dcecon-native-*.so"))
    assert any(p.read_bytes()[:4] == b"\x7fELF" for p in libraries), "no valid library after the rebuild"


def test_build_key_follows_flags_compiler_and_sources(monkeypatch, native_lib):
    """``build_key``: same inputs, same key; another flag, compiler version or kernel source, another key."""
    compiler = native.find_compiler()
    flags = list(native.BASE_FLAGS) + [native.OPENMP_FLAG]
    key = native.build_key(compiler, flags)
    assert key == native.build_key(compiler, list(flags))
    assert re.fullmatch(r"[0-9a-f]{24}", key)
    assert native.build_key(compiler, list(native.BASE_FLAGS)) != key  # without OpenMP
    assert native.build_key(compiler, [f.replace("-O3", "-O2") for f in flags]) != key
    assert native.build_key(compiler, flags + ["-DDCECON_MAX_COHORTS=32"]) != key
    monkeypatch.setattr(native, "_compiler_version", lambda c: "c++ (made up) 99.0")
    assert native.build_key(compiler, flags) != key
    monkeypatch.undo()
    original = kernel_sources.read
    monkeypatch.setattr(kernel_sources, "read", lambda name: original(name) + ("\n// edited\n" if
                                                                               name == kernel_sources.MODEL else ""))
    assert native.build_key(compiler, flags) != key, "an edit of a header changes the key"


def test_library_limits_match_the_python_packing(native_lib):
    """The compiled limits agree with ``dcecon.grid_engine.kernels`` (parameters per cohort, metrics)."""
    from dcecon.grid_engine import kernels
    from dcecon.grid_engine.batch import METRICS

    limits = native.limits(native_lib)
    assert limits["n_params"] == kernels.N_PARAMS
    assert limits["n_metrics"] == len(METRICS)
    assert limits["max_cohorts"] >= 16 and limits["max_periods"] >= 768


# --- (c) auto ------------------------------------------------------------------------------------------------------

AUTO_EXPECTED = "cupy" if CUPY_USABLE else "native"
"""``auto`` for grids: the CUDA kernel with a usable GPU, else the native kernel (a compiler is here)."""


def test_auto_picks_native_for_grids(native_lib):
    """``dcecon.grid(..., backend="auto")`` runs the fused kernel and ``stats.backend`` says which; single
    scenarios (``kernels=False``) stay on the array model."""
    result = dcecon.grid(dcecon.load_scenario(NEOCLOUD), axes=GRID_AXES, backend="auto")
    assert result.stats.backend == AUTO_EXPECTED
    assert result.to_dict()["backend"] == AUTO_EXPECTED
    assert resolve_backend("auto", kernels=True).name == AUTO_EXPECTED
    assert resolve_backend("auto", kernels=False).kernel is None
    reference = dcecon.grid(dcecon.load_scenario(NEOCLOUD), axes=GRID_AXES, backend="numpy")
    assert_results_close(result, reference, file_plan(NEOCLOUD, GRID_AXES))


def test_cli_auto_reports_the_backend_that_ran(native_cache, native_lib):
    """``dcecon grid ... --backend auto``: ``"backend"`` in the JSON, ``backend X float64`` in the summary line."""
    argv = ["grid", str(NEOCLOUD), *(f"--axis={a}" for a in GRID_AXES), "--backend", "auto"]
    env = subprocess_env(native_cache)
    assert json.loads(run_cli(argv + ["--json"], env).stdout)["backend"] == AUTO_EXPECTED
    assert f"backend {AUTO_EXPECTED} float64" in run_cli(argv + ["--quiet"], env).stdout


def _seventeen_cohorts():
    raw, _ = load_raw(NEOCLOUD)
    base = raw["cohorts"][0]
    raw["cohorts"] = [dict(base, name=f"h100-{k}", in_service_year=2024.0 + k / 4) for k in range(17)]
    return validate(raw, {}, "seventeen-cohorts")


@pytest.mark.skipif(CUPY_USABLE, reason="checks the CPU choice of auto")
def test_auto_runs_scenarios_beyond_the_kernel_limits(native_lib):
    """17 cohorts (> DCECON_MAX_COHORTS): ``auto`` still gives a result (falling back to NumPy)."""
    scenario = _seventeen_cohorts()
    axes = ["cohorts.0.utilization=0.5,1"]
    theirs = dcecon.grid(scenario, axes=axes, backend="numpy")
    ours = dcecon.grid(scenario, axes=axes, backend="auto")
    np.testing.assert_allclose(ours.merged.mean, theirs.merged.mean, rtol=1e-10)


def test_native_beyond_the_kernel_limits_warns_and_runs_numpy(native_lib, capsys):
    """Asked for explicitly, ``native`` on a 17-cohort scenario says why in one warning line and runs NumPy."""
    result = dcecon.grid(_seventeen_cohorts(), axes=["cohorts.0.utilization=0.5,1"], backend="native")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "at most 16 cohorts" in err[0]
    assert result.stats.backend == "numpy"

