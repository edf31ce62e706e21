"""Typed scenario files: one pydantic model per TOML section.

Every field has a description with its unit and bounds; ``extra="forbid"``
turns a misspelt key into an error instead of a silently ignored one.
Numbers in a scenario file may be written plainly or as
``{ value = 50000, source = "latent-space-2024" }``; the loader strips the
source into :attr:`Scenario.provenance` before validation.
"""

from __future__ import annotations

import re
import typing
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from dcecon.model.depreciation import METHODS

DepreciationMethod = Literal["straight_line", "double_declining_balance", "sum_of_years_digits"]
assert set(DepreciationMethod.__args__) == set(METHODS)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value, info):
        """A numeric field takes a number: not a boolean (``true`` would read as 1) nor text."""
        field = cls.model_fields.get(info.field_name)
        if field is not None and isinstance(value, (bool, str)) and _numeric(field.annotation):
            raise ValueError("must be a valid number, not a boolean or text")
        return value


def _numeric(annotation) -> bool:
    args = typing.get_args(annotation)
    if annotation in (float, int):
        return True
    if typing.get_origin(annotation) is Literal:
        return all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in args)
    return bool(args) and (float in args or int in args) and all(a in (float, int, type(None)) for a in args)


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
"""What a name addressed by a dotted path looks like: a letter or ``_``, then letters, digits, ``_`` and ``-``
(``h100-2024``); so ``cohorts.1.x`` is always an index, ``cohorts.*.x`` always every cohort."""


def identifier_problem(name, example: str = "cohorts.NAME.utilization") -> str | None:
    """Why ``name`` cannot be addressed in a dotted path (``example``, e.g. ``cohorts.NAME.utilization``), or None."""
    if not isinstance(name, str):
        return None  # pydantic reports the type
    if IDENTIFIER.fullmatch(name) is None:
        return ("must start with a letter or '_' and hold only letters, digits, '_' and '-', since dotted paths "
                f"such as --set {example} address it")
    return None


def identifier_keys(table: dict, what: str, example: str) -> dict:
    """``table`` unchanged when every key is an identifier (:func:`identifier_problem`); else a ``ValueError``
    naming ``what`` (``"company"``, ``"issuer"``...) and the key."""
    for key in table:
        problem = identifier_problem(key, example)
        if problem:
            raise ValueError(f"{what} id {key!r} {problem}")
    return table


def first_repeat(names) -> tuple[int, int] | None:
    """``(first, repeat)`` indices of the first name that occurs twice, or None."""
    seen: dict = {}
    for index, name in enumerate(names):
        if name in seen:
            return seen[name], index
        seen[name] = index
    return None


def unique_names_error(title: str, items, label: str) -> ValidationError | None:
    """A validation error at ``ITEM_INDEX.name`` for the first repeated name of ``items``, or None.

    Raised from a field validator, pydantic reports it at ``FIELD.ITEM_INDEX.name`` (``cohorts.2.name``),
    the path a user edits.
    """
    repeat = first_repeat([item.name for item in items])
    if repeat is None:
        return None
    first, index = repeat
    error = PydanticCustomError("duplicate_name", "repeats the name of {label} {first}; names must be unique",
                                {"label": label, "first": first})
    return ValidationError.from_exception_data(title, [InitErrorDetails(type=error, loc=(index, "name"),
                                                                        input=items[index].name)])


class Source(_Strict):
    """Where a figure comes from."""

    title: str = Field(description="Title of the report, article or filing.")
    url: str = Field(default="", description="Address of the source, if public.")
    as_of: str = Field(description="Date of the figure or publication (YYYY-MM or YYYY-MM-DD).")
    note: str = Field(default="", description="How the figure was read or derived; 'secondary' if a summary.")


class Site(_Strict):
    """Power and facility shared by all cohorts unless a cohort overrides them."""

    pue: float = Field(ge=1.0, le=5.0, description="Power usage effectiveness, facility power / IT power [-], >= 1.")
    electricity_usd_per_kwh: float = Field(ge=0.0, le=10.0, description="Electricity price at age 0 [USD/kWh].")
    electricity_escalation_per_year: float = Field(
        default=0.0, gt=-1.0, le=1.0,
        description="Yearly change of the electricity price with cohort age [-/year]; default 0: flat.",
    )
    colocation_usd_per_kw_month: Optional[float] = Field(
        default=None, ge=0.0, description="Leased facility: rent per kW of IT load per month [USD/kW-month].",
    )
    facility_capex_usd_per_mw: Optional[float] = Field(
        default=None, ge=0.0, description="Owned facility: building capex per MW of IT load, IT excluded [USD/MW].",
    )
    facility_life_years: Optional[float] = Field(
        default=None, gt=0.0, description="Owned facility: straight-line depreciation life of the building [years].",
    )

    @model_validator(mode="after")
    def _one_facility(self):
        _check_facility(self.colocation_usd_per_kw_month, self.facility_capex_usd_per_mw, required=True)
        return self


def _check_facility(colocation, facility_capex, required):
    if colocation is not None and facility_capex is not None:
        raise ValueError("give either colocation_usd_per_kw_month (leased) or facility_capex_usd_per_mw (owned), "
                         "not both")
    if required and colocation is None and facility_capex is None:
        raise ValueError("the facility needs colocation_usd_per_kw_month (leased) or facility_capex_usd_per_mw (owned)")


class Finance(_Strict):
    """Cost of capital and taxes."""

    discount_rate: float = Field(ge=0.0, le=1.0, description="WACC used for NPV [-/year].")
    tax_rate: float = Field(default=0.0, ge=0.0, le=1.0,
                            description="Tax on positive gross profit [-]; default 0: pre-tax view.")
    debt_fraction: float = Field(default=0.0, ge=0.0, le=1.0,
                                 description="Share of each cohort's capex borrowed at its in-service date [-]; "
                                             "default 0: unlevered.")
    interest_rate: Optional[float] = Field(default=None, ge=0.0, le=1.0,
                                           description="Interest rate on the debt [-/year], paid per period at "
                                                       "interest_rate / periods_per_year.")
    debt_term_years: Optional[float] = Field(default=None, gt=0.0, le=50.0,
                                             description="Level-payment amortization term of the debt [years].")

    @model_validator(mode="after")
    def _debt(self):
        if self.debt_fraction > 0 and (self.interest_rate is None or self.debt_term_years is None):
            raise ValueError("debt_fraction > 0 needs interest_rate and debt_term_years")
        return self


class Cohort(_Strict):
    """One vintage of GPUs (docs/model.md §2)."""

    name: str = Field(description="Label of the cohort, e.g. 'h100-2024': a letter or '_', then letters, digits, "
                                  "'_' and '-' (it is addressed as cohorts.NAME.field); unique in the scenario.")
    gpus: Optional[float] = Field(default=None, gt=0.0, description="Number of GPUs [GPU].")
    it_power_mw: Optional[float] = Field(
        default=None, gt=0.0,
        description="IT load instead of a GPU count [MW]; gpus = it_power_mw * 1000 / power_kw_per_gpu.",
    )
    in_service_year: float = Field(ge=1990.0, le=2200.0, description="Decimal year the cohort starts earning [year].")
    service_life_years: Optional[float] = Field(
        default=None, gt=0.0, le=50.0,
        description="Years the cohort earns and costs power, facility and opex [years]; default: book_life_years.",
    )
    capex_usd_per_gpu: float = Field(ge=0.0, description="All-in IT capex per GPU: GPU, server share, network, "
                                                         "storage [USD/GPU].")
    book_life_years: float = Field(gt=0.0, le=50.0, description="Accounting depreciation life [years]; may be "
                                                                "fractional for straight line.")
    economic_life_years: Optional[float] = Field(
        default=None, gt=0.0, le=50.0,
        description="Economic life: how long the GPUs really hold their value [years]; reports the gap between "
                    "depreciation over this life and the book depreciation. Default: the book life.")
    depreciation_method: DepreciationMethod = Field(
        default="straight_line", description="straight_line, double_declining_balance or sum_of_years_digits.",
    )
    salvage_fraction: float = Field(default=0.0, ge=0.0, lt=1.0,
                                    description="Residual value as a fraction of capex [-]; default 0: none.")
    power_kw_per_gpu: float = Field(gt=0.0, le=100.0, description="IT power per GPU at full load, server share "
                                                                  "included [kW/GPU].")
    idle_power_fraction: float = Field(ge=0.0, le=1.0, description="Power drawn when not billed, as a fraction "
                                                                   "of full load [-].")
    utilization: float = Field(ge=0.0, le=1.0, description="Fraction of hours billed [-].")
    price_usd_per_gpu_hour: Optional[float] = Field(
        default=None, ge=0.0,
        description="Rental price at age 0 [USD/GPU-hour]; or price the cohort per token instead.")
    price_usd_per_million_tokens: Optional[float] = Field(
        default=None, ge=0.0,
        description="Token pricing: price per million tokens served at age 0 [USD/million tokens]; "
                    "revenue per billed hour = tokens_per_second_per_gpu x 3600 x price / 1e6.")
    tokens_per_second_per_gpu: Optional[float] = Field(
        default=None, gt=0.0, description="Token pricing: tokens served per second per billed GPU [tokens/s/GPU].")
    price_decline_per_year: float = Field(gt=-1.0, lt=1.0, description="Yearly decline of the rental price "
                                                                       "with age [-/year].")
    price_step_year: Optional[float] = Field(
        default=None, ge=1990.0, le=2200.0,
        description="Date of a one-off price cut, e.g. a DeepSeek-style shock [decimal year]; default: none.")
    price_step_cut: float = Field(default=0.0, ge=0.0, lt=1.0,
                                  description="Share of the price lost from price_step_year on [-]; default 0.")
    generation_interval_years: Optional[float] = Field(
        default=None, gt=0.0, le=50.0,
        description="A new GPU generation arrives every this many years [years]; default: none.")
    generation_price_cut: float = Field(
        default=0.0, ge=0.0, lt=1.0,
        description="Share of this cohort's price each arriving generation takes away [-]; default 0.")
    next_generation_year: Optional[float] = Field(
        default=None, ge=1990.0, le=2200.0,
        description="First arrival of a newer generation [decimal year]; default in_service_year + "
                    "generation_interval_years.")
    maintenance_fraction_of_capex_per_year: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Repairs and spares per year as a fraction of capex [-/year]; "
                                                 "default 0: none.",
    )
    other_opex_usd_per_gpu_year: float = Field(
        default=0.0, ge=0.0, description="Staff, network, software, insurance [USD/GPU-year]; default 0: none.",
    )
    pue: Optional[float] = Field(default=None, ge=1.0, le=5.0, description="Override of site.pue [-].")
    electricity_usd_per_kwh: Optional[float] = Field(default=None, ge=0.0, le=10.0,
                                                     description="Override of site.electricity_usd_per_kwh [USD/kWh].")
    electricity_escalation_per_year: Optional[float] = Field(
        default=None, gt=-1.0, le=1.0, description="Override of site.electricity_escalation_per_year [-/year].")
    colocation_usd_per_kw_month: Optional[float] = Field(
        default=None, ge=0.0, description="Override: this cohort's facility is leased at this rent [USD/kW-month].")
    facility_capex_usd_per_mw: Optional[float] = Field(
        default=None, ge=0.0, description="Override: this cohort's facility is owned at this capex [USD/MW].")
    facility_life_years: Optional[float] = Field(
        default=None, gt=0.0, description="Override of site.facility_life_years [years].")

    @field_validator("name")
    @classmethod
    def _name_is_an_identifier(cls, name: str) -> str:
        problem = identifier_problem(name)
        if problem:
            raise ValueError(problem)
        return name

    @model_validator(mode="after")
    def _checks(self):
        if (self.gpus is None) == (self.it_power_mw is None):
            raise ValueError("give exactly one of gpus or it_power_mw")
        _check_facility(self.colocation_usd_per_kw_month, self.facility_capex_usd_per_mw, required=False)
        tokens = (self.price_usd_per_million_tokens is not None, self.tokens_per_second_per_gpu is not None)
        if any(tokens) and not all(tokens):
            raise ValueError("token pricing needs both price_usd_per_million_tokens and tokens_per_second_per_gpu")
        if all(tokens) == (self.price_usd_per_gpu_hour is not None):
            raise ValueError("give either price_usd_per_gpu_hour or token pricing (price_usd_per_million_tokens "
                             "and tokens_per_second_per_gpu), exactly one")
        if self.price_step_cut > 0 and self.price_step_year is None:
            raise ValueError("price_step_cut needs price_step_year (the date of the cut)")
        if self.generation_price_cut > 0 and self.generation_interval_years is None:
            raise ValueError("generation_price_cut needs generation_interval_years")
        if (self.depreciation_method != "straight_line" and self.economic_life_years is not None
                and not float(self.economic_life_years).is_integer()):
            raise ValueError(f"economic_life_years must be a whole number of years for {self.depreciation_method} "
                             f"(got {self.economic_life_years})")
        if self.depreciation_method != "straight_line" and not float(self.book_life_years).is_integer():
            raise ValueError(f"book_life_years must be a whole number of years for {self.depreciation_method} "
                             f"(got {self.book_life_years}); only straight_line takes fractional lives")
        return self


class Labels(_Strict):
    """What a scenario's figures are, beyond their sources: read by the report and ``--json``."""

    fitted_window: Optional[str] = Field(
        default=None, min_length=1,
        description="The window whose published figures the scenario's inputs were calibrated to, e.g. 'the "
                    "quarter to 31 Aug 2025'. When set, the report prints above the investment view that its "
                    "lifetime NPV, IRR, break-evens and margins extrapolate the inputs fitted to that window over "
                    "every cohort's whole service life, and dcecon run --json carries the same sentence as "
                    "'extrapolated' (null when unset).")
    lifetime_note: Optional[str] = Field(
        default=None, min_length=1,
        description="What the extrapolation carries over in particular (e.g. a ramp-up utilization held for a "
                    "whole life); appended to the fitted_window sentence. Needs fitted_window.")

    @model_validator(mode="after")
    def _note_needs_window(self):
        if self.lifetime_note is not None and self.fitted_window is None:
            raise ValueError("lifetime_note needs fitted_window (the window the inputs were fitted to)")
        return self


class Scenario(_Strict):
    """A scenario file (docs/model.md §1-§8, §11-§13)."""

    kind: Literal["fleet"] = Field(default="fleet", description="Scenario kind: 'fleet' (GPU cohorts; the default); "
                                                                "'macro', 'circular' and 'useful-lives' files have "
                                                                "their own schemas.")
    name: str = Field(description="Short identifier, e.g. 'h100-neocloud-2024'.")
    description: str = Field(description="One line: what the scenario represents.")
    notes: str = Field(default="", description="How the figures were chosen and modelled; free text.")
    start_year: float = Field(ge=1990.0, le=2200.0, description="Decimal year the window starts [year].")
    horizon_years: float = Field(gt=0.0, le=60.0, description="Length of the window [years].")
    periods_per_year: Literal[1, 4, 12] = Field(description="Periods a year: 1, 4 or 12.")
    site: Site = Field(description="Power and facility.")
    finance: Finance = Field(description="Cost of capital and taxes.")
    cohorts: list[Cohort] = Field(min_length=1, description="The GPU vintages of the fleet.")
    sources: dict[str, Source] = Field(default_factory=dict, description="Sources cited by id.")
    grid: dict[str, object] = Field(default_factory=dict,
                                    description="Grid axes by dotted path (see docs/grid.md); used by dcecon grid.")
    labels: Optional[Labels] = Field(
        default=None,
        description="Optional [labels] table: how to read the figures, e.g. fitted_window for a scenario "
                    "calibrated to one quarter whose investment view extrapolates it (docs/oracle.md).")
    provenance: dict[str, str] = Field(default_factory=dict, exclude=True,
                                       description="Source id of each sourced field, by dotted path (filled by the "
                                                   "loader).")

    @field_validator("cohorts")
    @classmethod
    def _cohort_names_are_unique(cls, cohorts: list[Cohort]) -> list[Cohort]:
        error = unique_names_error(cls.__name__, cohorts, "cohort")
        if error is not None:
            raise error
        return cohorts

    @model_validator(mode="after")
    def _checks(self):
        periods = self.horizon_years * self.periods_per_year
        if abs(periods - round(periods)) > 1e-6:
            raise ValueError(f"horizon_years * periods_per_year must be a whole number of periods (got {periods:g})")
        for k, cohort in enumerate(self.cohorts):
            if cohort.price_step_year is not None and cohort.price_step_year < self.start_year - 1e-9:
                raise ValueError(f"cohorts.{k}.price_step_year {cohort.price_step_year:g} is before the window "
                                 f"starts ({self.start_year:g}); a price step must fall inside or after the window")
        for cohort in self.cohorts:
            if cohort.facility_capex_usd_per_mw is not None or (
                cohort.colocation_usd_per_kw_month is None and self.site.facility_capex_usd_per_mw is not None
            ):
                life = cohort.facility_life_years or self.site.facility_life_years
                if life is None:
                    raise ValueError(f"cohort {cohort.name!r} has an owned facility but no facility_life_years")
        return self

    @property
    def n_periods(self) -> int:
        """Periods in the window."""
        return int(round(self.horizon_years * self.periods_per_year))



class DescribedScenario(_Strict):
    """What every scenario file of the host-arithmetic kinds (macro, circular, debt, capex-wave, adoption-roi,
    commitments) starts with: its name, description, notes and sources."""

    name: str = Field(description="Short identifier, e.g. 'bain-200gw-2030'.")
    description: str = Field(description="One line: what the scenario represents.")
    notes: str = Field(default="", description="How the figures were chosen and modelled; free text.")
    sources: dict[str, Source] = Field(default_factory=dict, description="Sources cited by id.")
    provenance: dict[str, str] = Field(default_factory=dict, exclude=True,
                                       description="Source id of each sourced field, by dotted path (filled by the "
                                                   "loader).")
