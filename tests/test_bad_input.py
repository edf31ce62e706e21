"""Bad input on the command line: exit status 2, one line on stderr, nothing written.

The contract (``dcecon.cli.main``): bad input prints exactly one line
``dcecon: error: FILE: FIELD: what is wrong`` on standard error, exits with
status 2, shows no traceback and writes nothing. Every case below runs as a
real process (``sys.executable -m dcecon``) through both ``dcecon run`` and
``dcecon calibrate ... --write OUT.toml``; after the calibrate run OUT.toml
(and any temporary file beside it) must not exist.

The bad scenarios are the bundled h100-neocloud-2024.toml with one string
replaced, written into ``tmp_path``; the command runs in ``tmp_path`` so the
file is named by its short relative name in the message.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from dcecon.backends import BackendUnavailableError, resolve_backend

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "h100-neocloud-2024.toml"
BASE_TEXT = BASE.read_text(encoding="utf-8")

# Strings of h100-neocloud-2024.toml that the cases edit (checked in test_the_edited_strings_exist).
UTILIZATION = 'utilization = { value = 1.0, source = "latent-space-2024" }'
PRICE = 'price_usd_per_gpu_hour = { value = 2.0,'
PUE = 'pue = { value = 1.56, source = "uptime-2024" }'
METHOD = 'depreciation_method = "straight_line"'
BOOK_LIFE = 'book_life_years = { value = 5,'
COLOCATION = 'colocation_usd_per_kw_month = { value = 0.0,'
COHORT_NAME = 'name = "h100-2024"'


def _dcecon(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcecon", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def _edited(*replacements: tuple[str, str]) -> str:
    text = BASE_TEXT
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@dataclasses.dataclass(frozen=True)
class Case:
    """One bad input: the scenario text (None: no file at all), extra arguments, what the line must say."""

    name: str
    text: str | None
    extra: tuple[str, ...] = ()
    prefix: str = ""            # the line starts with "dcecon: error: " + prefix
    contains: tuple[str, ...] = ()
    skip_if: Callable[[], bool] | None = None


def _cupy_usable() -> bool:
    try:
        resolve_backend("cupy")
    except BackendUnavailableError:
        return False
    return True


CASES = [
    # Schema bound: utilization is a fraction of hours billed, <= 1 (docs/model.md §2).
    Case("utilization_above_one", _edited((UTILIZATION, UTILIZATION.replace("1.0", "1.5"))),
         prefix="bad.toml: cohorts.0.utilization: ", contains=("1.5",)),
    # Schema bound: a rental price is >= 0.
    Case("negative_price", _edited((PRICE, PRICE.replace("2.0", "-2.0"))),
         prefix="bad.toml: cohorts.0.price_usd_per_gpu_hour: ", contains=("-2",)),
    # extra="forbid": a misspelt key beside the right one is an unknown field.
    Case("unknown_key", _edited((UTILIZATION, UTILIZATION + "\nutilisation = 0.5")),
         prefix="bad.toml: cohorts.0.utilisation: ", contains=("unknown field",)),
    # The same typo replacing the right key: the line names the key the user wrote, not only the required
    # field it leaves missing (pydantic lists 'missing' before 'extra_forbidden').
    Case("misspelt_required_key", _edited(("\nutilization = ", "\nutilisation = ")),
         prefix="bad.toml: cohorts.0.utilisation: ", contains=("unknown field",)),
    # Every { value, source } must cite an id under [sources].
    Case("unknown_source_id", _edited((PUE, PUE.replace("uptime-2024", "nope"))),
         prefix="bad.toml: site.pue: ", contains=("'nope'",)),
    Case("missing_file", None, prefix="bad.toml: ", contains=("no such file",)),
    Case("malformed_toml", _edited((PUE, "pue = = 1.56")), prefix="bad.toml: ", contains=("malformed TOML", "line")),
    # --set on paths that do not exist: a misspelt cohort field, a site field, a cohort index out of range.
    Case("set_misspelt_field", BASE_TEXT, ("--set", "cohorts.0.utilisation=0.5"),
         prefix="--set: cohorts.0.utilisation: ", contains=("utilisation",)),
    Case("set_unknown_site_field", BASE_TEXT, ("--set", "site.nope=1"), prefix="--set: site.nope: "),
    Case("set_cohort_out_of_range", BASE_TEXT, ("--set", "cohorts.7.utilization=0.5"),
         prefix="--set: cohorts.7.utilization: ", contains=("7",)),
    # --set needs PATH=VALUE.
    Case("set_without_equals", BASE_TEXT, ("--set", "cohorts.0.utilization"),
         prefix="--set: cohorts.0.utilization: ", contains=("PATH=VALUE",)),
    # Double declining balance runs whole years only (docs/model.md §3; schema Cohort._checks).
    Case("ddb_fractional_book_life",
         _edited((METHOD, 'depreciation_method = "double_declining_balance"'),
                 (BOOK_LIFE, BOOK_LIFE.replace("5", "5.5"))),
         prefix="bad.toml: cohorts.0", contains=("book_life_years", "5.5")),
    # A site is leased or owned, not both (docs/model.md §2).
    Case("colocation_and_facility_capex",
         _edited((COLOCATION, 'facility_capex_usd_per_mw = 11.7e6\nfacility_life_years = 20\n' + COLOCATION)),
         prefix="bad.toml: site", contains=("colocation_usd_per_kw_month", "facility_capex_usd_per_mw")),
    # A cohort name must be an identifier (schema.IDENTIFIER): "1" would be read as an index by
    # --set cohorts.1.utilization, "*" as every cohort.
    Case("cohort_name_not_an_identifier", _edited((COHORT_NAME, 'name = "1"')),
         prefix="bad.toml: cohorts.0.name: ", contains=("must start with a letter", "'1'")),
    Case("cohort_name_wildcard", _edited((COHORT_NAME, 'name = "*"')),
         prefix="bad.toml: cohorts.0.name: ", contains=("must start with a letter", "'*'")),
    # Nesting deeper than the parser's stack (RecursionError in tomllib at 500 arrays) or than any scenario
    # needs: one line naming the file, not a traceback (scenario/validation.py MAX_NESTING_DEPTH = 32).
    Case("nested_500_deep", "x = " + "[" * 500 + "]" * 500 + "\n" + BASE_TEXT,
         prefix="bad.toml: ", contains=("nesting deeper than 32 levels",)),
    Case("nested_5000_deep", "x = " + "[" * 5000 + "]" * 5000 + "\n" + BASE_TEXT,
         prefix="bad.toml: ", contains=("nesting deeper than 32 levels",)),
    Case("nested_5000_deep_keys", "x." + ".".join(["a"] * 5000) + " = 1\n" + BASE_TEXT,
         prefix="bad.toml: x: ", contains=("nesting deeper than 32 levels",)),
    Case("set_nested_5000_deep", BASE_TEXT, ("--set", "site.pue=" + "[" * 5000 + "]" * 5000),
         prefix="--set: site.pue: ", contains=("nesting deeper than 32 levels",)),
    # --backend cupy where CuPy or a GPU is missing: a one-line reason, not an ImportError.
    Case("cupy_without_gpu", BASE_TEXT, ("--backend", "cupy"), contains=("cupy",), skip_if=_cupy_usable),
]

CALIBRATE_ARGS = ("--target", "gross_margin=0.2", "--free", "cohorts.0.price_usd_per_gpu_hour", "--write", "OUT.toml")


def test_the_edited_strings_exist():
    # The cases edit the bundled file by string replacement; if it is reworded the cases must follow.
    for old in (UTILIZATION, PRICE, PUE, METHOD, BOOK_LIFE, COLOCATION, COHORT_NAME):
        assert BASE_TEXT.count(old) == 1, old


def _run_case(case: Case, command: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, set[str]]:
    if case.skip_if is not None and case.skip_if():
        pytest.skip("CuPy and a GPU are usable here, so --backend cupy is not bad input")
    if case.text is not None:
        (tmp_path / "bad.toml").write_text(case.text, encoding="utf-8")
    before = {p.name for p in tmp_path.iterdir()}
    args = (command, "bad.toml", *case.extra) + (CALIBRATE_ARGS if command == "calibrate" else ())
    return _dcecon(*args, cwd=tmp_path), before


@pytest.mark.parametrize("command", ["run", "calibrate"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_exits_2_with_one_line_naming_file_and_field(case, command, tmp_path):
    proc, before = _run_case(case, command, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("dcecon: error: " + case.prefix), line
    for fragment in case.contains:
        assert fragment in line, line
    assert proc.stdout == ""
    # Nothing written: no OUT.toml, no temporary file beside it, nothing else new.
    assert not (tmp_path / "OUT.toml").exists()
    assert {p.name for p in tmp_path.iterdir()} == before


def test_calibrate_refuses_to_overwrite_its_input(tmp_path):
    # --write onto the scenario being calibrated is bad input too, and leaves the file as it was.
    (tmp_path / "s.toml").write_text(BASE_TEXT, encoding="utf-8")
    proc = _dcecon("calibrate", "s.toml", "--target", "gross_margin=0.2", "--free",
                   "cohorts.0.price_usd_per_gpu_hour", "--write", "s.toml", cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
    assert (tmp_path / "s.toml").read_text(encoding="utf-8") == BASE_TEXT
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]
