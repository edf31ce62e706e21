"""Published figures and what the bundled scenarios say about them: the claim files and their loader.

A claim file is ``src/dcecon/fidelity/claims/<topic>.toml``, an array of ``[[claim]]`` tables and nothing else::

    [[claim]]
    id = "oracle-q1-gross-margin"
    claim = "Oracle kept about 14 cents of gross profit per rented dollar (quarter to 31 Aug 2025)"
    published = 0.14
    unit = "ratio"
    source = "The Information, 'Internal Oracle Data Show Financial Challenge of Renting Out Nvidia Chips', 2025-10-07"
    url = "https://..."
    scenario = "oracle-fy26q1"
    value = "gross_margin"
    status = "target"
    note = "solved by dcecon calibrate from three targets: a target, not evidence"

:func:`load_claims` reads every ``*.toml`` of the folder and checks each claim against :class:`Claim` (unknown
keys, a missing field, a status or unit that does not exist, a scenario that is not bundled, a claim with a
scenario but no ``value`` path or the other way round, an id used twice across files). The first problem is a
:class:`~dcecon.errors.ScenarioError` naming the file and the field, ``claim.<id>.<field>`` (the claim's index
when its id is unusable): one line on the command line, exit status 2.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from dcecon.scenario.bundled import bundled_names
from dcecon.scenario.errors import ScenarioError
from dcecon.scenario.validation import error_field, validation_message

CLAIMS_DIR = Path(__file__).resolve().parent / "claims"
"""Folder of the bundled claim files (package data ``dcecon.fidelity``: ``claims/*.toml``)."""

STATUSES = ("out-of-sample", "target", "derived", "input", "not-covered")
"""What a claim's published figure is to the model, in report order.

- ``out-of-sample``: the model predicts it from inputs that do not include it, and nothing was fitted to it:
  the only status that is evidence for the model;
- ``target``: a calibration target: a free parameter was solved so that the model hits it;
- ``derived``: arithmetic of the inputs (a ratio or product of typed-in figures): it checks the arithmetic,
  not the economics;
- ``input``: typed into a scenario file: the model shows it back;
- ``not-covered``: no bundled scenario addresses it (no ``scenario``, no ``value``)."""

Status = Literal["out-of-sample", "target", "derived", "input", "not-covered"]
assert Status.__args__ == STATUSES

UNITS = ("ratio", "usd", "usd_per_gpu_hour", "usd_per_million_tokens", "gw", "twh", "years", "x", "count",
         "days", "seconds", "points", "square_feet", "calendar_year")
"""Units of a published figure. ``ratio`` is a fraction of one (0.14 for 14 %, also growth rates and shares);
``x`` a multiple (1.36 for 1.36x); ``years`` a duration; ``calendar_year`` a date (2029); ``count`` people, deals,
shares; ``points`` index points; the others as named [USD, USD/GPU-hour, USD per million tokens, GW, TWh, days,
seconds, square feet]."""

Unit = Literal["ratio", "usd", "usd_per_gpu_hour", "usd_per_million_tokens", "gw", "twh", "years", "x", "count",
               "days", "seconds", "points", "square_feet", "calendar_year"]
assert Unit.__args__ == UNITS

CLAIM_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
"""A claim id: kebab-case, lower-case letters and digits (``oracle-q1-gross-margin``)."""

VALUE_PATH = re.compile(r"[^.\s]+(?:\.[^.\s]+)*")
"""A dotted path into a ``--json`` object: non-empty parts without spaces (``cohorts.0.gross_margin``)."""

TABLE = "claim"
"""The one top-level key of a claim file: its array of ``[[claim]]`` tables."""


class ClaimFieldError(ValueError):
    """A claim whose fields contradict each other; ``field`` is the one to fix."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


class Claim(BaseModel):
    """One published figure, where it comes from, and where the model's value for it is (if anywhere)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = Field(pattern=f"^{CLAIM_ID.pattern}$", description="Unique id across every claim file, kebab-case "
                                                          "(``oracle-q1-gross-margin``).")
    claim: str = Field(min_length=1, description="The published statement, in one sentence with its period.")
    published: float = Field(strict=True, description="The published number, a plain float in ``unit`` (0.14 for "
                                                      "14 %, 3.9e9 for $3.9B) [unit].")
    unit: Unit = Field(description="Unit of ``published`` and of the model's value (see UNITS); ``ratio`` and "
                                   "``calendar_year`` claims are compared by difference, all others by "
                                   "model / published - 1.")
    source: str = Field(min_length=1, description="The public source: publisher, title, date (never a file "
                                                  "path).")
    url: Optional[str] = Field(default=None, pattern=r"^https?://\S+$", description="Address of the source, if "
                                                                                     "public.")
    scenario: Optional[str] = Field(default=None, min_length=1, description="Name of the bundled scenario that "
                                                                            "addresses the figure; omitted for a "
                                                                            "not-covered claim.")
    value: Optional[str] = Field(default=None, pattern=f"^{VALUE_PATH.pattern}$",
                                 description="Dotted path to the model's figure in the object that "
                                             "``dcecon run SCENARIO --json --backend numpy`` prints "
                                             "(``cohorts.1.gross_profit_usd``; a list item by index or by its "
                                             "``name``/``id``); with ``scenario`` only.")
    status: Status = Field(description="What the figure is to the model: input, target, derived, "
                                       "out-of-sample or not-covered (see STATUSES).")
    note: str = Field(default="", description="Why the status is what it is, and anything a reader needs to "
                                              "judge the match.")

    @field_validator("claim", "source", "note")
    @classmethod
    def _one_line(cls, text: str, info) -> str:
        """Runs of white space (TOML multi-line strings included) become one space; a claim and a source say
        something."""
        text = " ".join(text.split())
        if not text and info.field_name != "note":
            raise ValueError("is blank")
        return text

    @model_validator(mode="after")
    def _scenario_value_and_status_agree(self):
        problem = consistency_problem(self.scenario, self.value, self.status)
        if problem is not None:
            raise ClaimFieldError(*problem)
        return self


def consistency_problem(scenario: str | None, value: str | None, status: str) -> tuple[str, str] | None:
    """The field to fix and why, when a claim's scenario, value path and status contradict each other.

    Parameters
    ----------
    scenario : str or None
        The bundled scenario named by the claim.
    value : str or None
        Its dotted path into that scenario's ``--json`` object.
    status : str
        One of :data:`STATUSES`.

    Returns
    -------
    tuple of (str, str) or None
        ``(field, message)``; None when they agree: a scenario goes with a value path and any status but
        ``not-covered``, and a ``not-covered`` claim has neither.
    """
    if status == "not-covered":
        if scenario is not None:
            return "scenario", "a not-covered claim names no scenario (drop it, or give the claim its real status)"
        if value is not None:
            return "value", "a not-covered claim has no value path (drop it, or name the scenario)"
        return None
    if scenario is None:
        return "scenario", (f"a {status!r} claim names the bundled scenario that addresses it; a figure no "
                            f"scenario addresses is 'not-covered'")
    if value is None:
        return "value", f"is required with scenario {scenario!r}: the dotted path of the model's figure in " \
                        f"`dcecon run {scenario} --json`"
    return None


PATTERN_MESSAGES = {
    "id": "must be kebab-case: lower-case letters and digits joined by '-' (oracle-q1-gross-margin)",
    "value": "is not a dotted path such as cohorts.0.gross_margin (no empty parts, no spaces)",
    "url": "is not a web address (http:// or https://, no spaces)",
}
"""What a field that does not match its pattern must look like."""


def _message(error: dict) -> str:
    """One line for a pydantic error of a claim: unknown keys name the claim fields, patterns say the form."""
    name = str(error["loc"][-1]) if error["loc"] else ""
    if error["type"] == "extra_forbidden":
        close = difflib.get_close_matches(name, list(Claim.model_fields), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"a claim has {', '.join(Claim.model_fields)}"
        return f"unknown field; {hint}"
    if error["type"] == "string_pattern_mismatch" and name in PATTERN_MESSAGES:
        return f"{PATTERN_MESSAGES[name]} (got {error['input']!r})"
    return validation_message(Claim, error)


def _claim_key(table, index: int) -> str:
    """How errors name a claim: its id when it is a valid one, else its index in the file."""
    ident = table.get("id") if isinstance(table, dict) else None
    return ident if isinstance(ident, str) and CLAIM_ID.fullmatch(ident) else str(index)


def _validated(table, index: int, path: Path, scenarios: list[str]) -> Claim:
    """One ``[[claim]]`` table as a :class:`Claim`, or the :class:`ScenarioError` naming its field."""
    key = _claim_key(table, index)
    if not isinstance(table, dict):
        raise ScenarioError(path, f"{TABLE}.{index}", "is not a table; write each claim as [[claim]]")
    try:
        claim = Claim.model_validate(table)
    except ValidationError as exc:
        errors = exc.errors()
        error = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, ClaimFieldError):
            raise ScenarioError(path, f"{TABLE}.{key}.{cause.field}", str(cause)) from None
        field = error_field(error["loc"])
        raise ScenarioError(path, f"{TABLE}.{key}" + (f".{field}" if field else ""), _message(error)) from None
    if claim.scenario is not None and claim.scenario not in scenarios:
        close = difflib.get_close_matches(claim.scenario, scenarios, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else " (dcecon scenarios lists them)"
        raise ScenarioError(path, f"{TABLE}.{key}.scenario", f"no bundled scenario {claim.scenario!r}{hint}")
    return claim


def read_claim_file(path: Path, scenarios: list[str] | None = None) -> list[Claim]:
    """The claims of one file, in file order.

    Parameters
    ----------
    path : pathlib.Path
        A claim file (TOML with only ``[[claim]]`` tables).
    scenarios : list of str, optional
        Names a claim's ``scenario`` may take; the bundled scenarios by default.

    Returns
    -------
    list of Claim

    Raises
    ------
    ScenarioError
        The file cannot be read, is not TOML, has a key other than ``claim`` or no claim, or a claim is invalid.
    """
    scenarios = bundled_names() if scenarios is None else scenarios
    try:
        with Path(path).open("rb") as handle:
            document = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(path, None, f"not valid TOML: {exc}") from None
    except OSError as exc:
        raise ScenarioError(path, None, exc.strerror or str(exc)) from None
    extra = [key for key in document if key != TABLE]
    if extra:
        raise ScenarioError(path, extra[0], f"unknown top-level key; a claim file holds only [[{TABLE}]] tables")
    tables = document.get(TABLE)
    if not isinstance(tables, list) or not tables:
        raise ScenarioError(path, TABLE, f"no claims; write each one as a [[{TABLE}]] table")
    return [_validated(table, index, Path(path), scenarios) for index, table in enumerate(tables)]


def claim_files(folder: Path | None = None) -> list[Path]:
    """The claim files of ``folder`` (the bundled claims by default), sorted by name."""
    return sorted((CLAIMS_DIR if folder is None else Path(folder)).glob("*.toml"))


def load_claims(folder: Path | str | None = None) -> list[tuple[Path, Claim]]:
    """Every claim of every ``*.toml`` file in ``folder``, with the file it comes from.

    Parameters
    ----------
    folder : pathlib.Path or str, optional
        A folder of claim files (``--claims``); the bundled ``claims/`` by default.

    Returns
    -------
    list of (pathlib.Path, Claim)
        In file-name order, then file order.

    Raises
    ------
    ScenarioError
        ``folder`` is empty text, is not a folder or holds no claim file, a file is invalid (see
        :func:`read_claim_file`), or an id is used twice (the second use is named, with the file of the first).
    """
    if isinstance(folder, str) and not folder.strip():
        raise ScenarioError("--claims", None, "is empty; give a folder of claim files (*.toml)")
    folder = CLAIMS_DIR if folder is None else Path(folder)
    if not folder.is_dir():
        raise ScenarioError("--claims", str(folder), "is not a folder")
    files = claim_files(folder)
    if not files:
        raise ScenarioError("--claims", str(folder), "holds no claim file (*.toml)")
    scenarios = bundled_names()
    found: list[tuple[Path, Claim]] = []
    first_file: dict[str, Path] = {}
    for path in files:
        for claim in read_claim_file(path, scenarios):
            if claim.id in first_file:
                where = "earlier in this file" if first_file[claim.id] == path else f"also in {first_file[claim.id]}"
                raise ScenarioError(path, f"{TABLE}.{claim.id}.id", f"duplicate claim id ({where})")
            first_file[claim.id] = path
            found.append((path, claim))
    return found
