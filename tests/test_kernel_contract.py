"""The kernels' contract header is generated from the Python definitions, and no literal is copied by hand.

``dcecon.backends.contract`` writes ``dcecon_contract.h`` (enums, limits,
tolerances, IRR constants) into each build's folder. These tests parse the
generated text back and compare it with the Python definitions it comes from
(``dcecon.model``), and check that the kernel sources hold none of those
values as literals - so the kernels and the NumPy reference cannot drift.
Also: the native build cache is keyed by the CPU's identity, and a start
with the library already built runs no compiler.
"""

from __future__ import annotations

import math
import re
import subprocess

import pytest

from dcecon.backends import contract, kernel_sources, native
from dcecon.model import finance
from dcecon.model.cohort import COHORT_PARAMETERS
from dcecon.model.depreciation import BOOK_CLOCK_EPSILON, METHODS
from dcecon.model.metrics import ALWAYS_FINITE, KERNEL_METRICS, kernel_mask
from dcecon.model.price_paths import DATE_TOLERANCE_YEARS
from dcecon.model.time import AGE_SNAP_TOLERANCE_PERIODS

HEADER = contract.header_text()


def _enum(name: str) -> dict[str, int]:
    body = re.search(r"enum " + name + r" \{(.*?)\};", HEADER, re.S).group(1)
    return {k: int(v) for k, v in re.findall(r"(\w+) = (\d+)", body)}


def _constant(name: str) -> float:
    return float(re.search(r"constexpr (?:double|int|unsigned) " + name + r" = ([-0-9.e+]+)u?;", HEADER).group(1))


def test_enums_follow_the_python_tables():
    assert _enum("Param") == {**{n.upper(): k for k, n in enumerate(COHORT_PARAMETERS + contract.DERIVED_INPUTS)},
                              "N_PARAMS": len(COHORT_PARAMETERS) + 3}
    assert _enum("Method") == {**{n.upper(): k for k, n in enumerate(METHODS)}, "N_METHODS": 3}
    assert _enum("Metric") == {**{f"M_{n.upper()}": k for k, n in enumerate(KERNEL_METRICS)}, "N_METRICS": 16}
    assert _enum("Finance") == {"FIN_DISCOUNT_RATE": 0, "FIN_TAX_RATE": 1, "N_FINANCE": 2}


def test_constants_equal_the_python_definitions_bit_for_bit():
    assert _constant("AGE_SNAP_TOLERANCE_PERIODS") == AGE_SNAP_TOLERANCE_PERIODS
    assert _constant("DATE_TOLERANCE_YEARS") == DATE_TOLERANCE_YEARS
    assert _constant("BOOK_CLOCK_EPSILON") == BOOK_CLOCK_EPSILON
    assert _constant("IRR_Y_MIN") == math.log1p(finance.IRR_LOWER_BOUND)
    assert _constant("IRR_Y_MAX") == math.log1p(finance.IRR_UPPER_BOUND)
    assert _constant("IRR_MAX_ITERATIONS") == finance.IRR_MAX_ITERATIONS
    assert _constant("IRR_STEP_TOLERANCE_F64") == finance.IRR_STEP_TOLERANCE["float64"]
    assert _constant("IRR_START_MARGIN") == finance.IRR_START_MARGIN
    assert _constant("IRR_DEFAULT_GUESS_Y") == math.log1p(finance.IRR_DEFAULT_GUESS)
    assert _constant("IRR_SCAN_RANK_PENALTY") == finance.IRR_SCAN_RANK_PENALTY
    scan = re.search(r"irr_scan_y\(int r\) \{\n    const double values\[IRR_N_SCAN\] = \{(.*?)\};", HEADER).group(1)
    assert [float(v) for v in scan.split(",")] == [math.log1p(r) for r in finance.IRR_SCAN_RATES]
    assert _constant("ALWAYS_FINITE_MASK") == kernel_mask([m for m in KERNEL_METRICS if m in ALWAYS_FINITE])
    assert _constant("MAX_COHORTS") == contract.MAX_COHORTS and _constant("MAX_PERIODS") == contract.MAX_PERIODS


@pytest.mark.parametrize("literal", ["4.605170185988091", "6.908754779315221", "0.09531017980432487", "1e-13",
                                     "1e-12", "1e-9", "1e-3", "768", "-0.99", "1000.0", "GROSS_MARGIN = "])
def test_kernel_sources_copy_no_contract_value(literal):
    """(Units - 1,000 kW per MW, 3,600 s per hour, 10^6 tokens per million, 12 months - are not contract values.)"""
    for name in (kernel_sources.MODEL, kernel_sources.GRID, kernel_sources.NATIVE, kernel_sources.CUDA):
        assert literal not in kernel_sources.read(name), f"{literal} is copied into {name}"


def test_generated_header_is_rewritten_only_when_it_changes(tmp_path):
    target = contract.write_header(tmp_path)
    assert target.read_text() == HEADER
    stamp = target.stat().st_mtime_ns
    contract.write_header(tmp_path)
    assert target.stat().st_mtime_ns == stamp


def test_build_key_changes_with_the_cpu(monkeypatch):
    """A cache folder shared between machines never serves code built with -march=native for another CPU."""
    compiler = native.find_compiler() or "c++"
    flags = list(native.BASE_FLAGS)
    key = native.build_key(compiler, flags, "g++ 12")
    monkeypatch.setattr(native, "cpu_identity", lambda: "x86_64|another CPU|avx2")
    assert native.build_key(compiler, flags, "g++ 12") != key


def test_specialisations_are_separate_libraries_with_their_own_metrics():
    if not native.available():
        pytest.skip("no C++ compiler")
    lean = native.load_library(outputs=kernel_mask(["gross_margin", "npv_usd"]), tables=False, sketch=False)
    full = native.load_library()
    assert native.limits(lean)["outputs"] == kernel_mask(["gross_margin", "npv_usd"])
    assert not native.limits(lean)["tables"] and not native.limits(lean)["sketch"]
    assert native.limits(full)["outputs"] == (1 << 16) - 1 and native.limits(full)["tables"]


def test_a_start_with_the_library_built_runs_no_compiler(monkeypatch):
    """The compiler's version and OpenMP support are remembered; a cached library loads without a probe."""
    if not native.available():
        pytest.skip("no C++ compiler")
    native.load_library()
    native.load_library.cache_clear()

    def no_compiler(*args, **kwargs):
        raise AssertionError(f"ran {args[0] if args else kwargs}")

    monkeypatch.setattr(subprocess, "run", no_compiler)
    try:
        assert native.load_library() is not None
    finally:
        native.load_library.cache_clear()


def test_the_lean_kernel_is_vectorised_into_packed_instructions():
    """docs/backends.md, "Packed instructions": the 8-lane model and the block reductions use packed doubles."""
    import shutil

    if not native.available() or shutil.which("objdump") is None:
        pytest.skip("needs the native backend and objdump")
    lib = native.load_library(outputs=kernel_mask(["gross_margin", "npv_usd"]), tables=False, sketch=True)
    listing = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C", lib._name], capture_output=True,
                             text=True, check=True).stdout
    packed = {}
    for block in re.split(r"\n(?=[0-9a-f]+ <)", listing):
        head = re.match(r"[0-9a-f]+ <(.*)>:", block)
        if head:
            packed[head.group(1)] = len(re.findall(r"\tv\w+pd\s+[^\n]*%[yz]mm", block))
    lanes = [n for n in packed if "evaluate_lanes<double" in n and "__vector" in n]
    assert lanes and max(packed[n] for n in lanes) >= 50, "the 8-lane model is not vectorised"
    assert max(v for n, v in packed.items() if "reduce_block" in n) >= 10, "the block reductions are not vectorised"
