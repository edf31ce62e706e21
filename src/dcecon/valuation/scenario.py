"""``kind = "useful-lives"`` scenario files: hyperscaler capex by year, server shares and lives.

The file follows the conventions of the other scenario files (see
:mod:`dcecon.scenario.loader`): numbers may be written as
``{ value = X, source = "id", note = "..." }`` with the id under
``[sources.ID]``; ``extends = "base.toml"`` lays a file over a base;
``--set PATH=VALUE`` overrides a field (provenance ``--set``). Bad input is a
:class:`ScenarioError` naming the file (``--set`` for an override) and the
dotted field, e.g. ``companies.meta.capex_usd_by_year.2024``.

Paths for ``--set`` (:mod:`dcecon.scenario.paths`, as for every kind): a
top-level field (``window_first_year``), or ``companies.<id|*>.<field>``
(``companies.*.economic_life_years=4``), or
``companies.<id|*>.capex_usd_by_year.<year>`` (a year that is not in the
table adds a vintage). A company id follows the rule of cohort names
(:data:`dcecon.scenario.schema.IDENTIFIER`), so ``companies.*`` and
``companies.a.b`` can only mean one thing.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional, Union

from pydantic import Field, field_validator, model_validator

from dcecon.scenario.loader import load_document
from dcecon.scenario.schema import Source, _Strict, identifier_keys
from dcecon.valuation.useful_lives import CONVENTIONS

KIND = "useful-lives"

Year = Annotated[int, Field(ge=1990, le=2200)]
CapexUsd = Annotated[float, Field(ge=0.0, description="Capex of the year [USD].")]
Convention = Literal["spread", "mid_year"]
assert set(Convention.__args__) == set(CONVENTIONS)


Fraction = Annotated[float, Field(gt=0.0, le=1.0)]


class EffectVintages(_Strict):
    """The vintages a published life-change effect is measured on, where they are not the capex table's.

    Microsoft states its effect for fiscal 2023 (from 1 July 2022) on the assets in service at 30 June 2022;
    its capex table is by calendar year (for the depreciation tables), so the check uses fiscal-year vintages.
    """

    capex_usd_by_year: dict[Year, CapexUsd] = Field(
        min_length=1, description="Capex by fiscal year label [USD/year]; each year is one vintage.")
    fiscal_year_start_offset_years: float = Field(
        default=0.0, ge=-1.0, le=0.0,
        description="The fiscal year labelled Y starts at calendar Y + offset [years]; the life change then "
                    "starts at change_year + offset (-0.5 for Microsoft: fiscal 2023 starts on 1 July 2022).")


class Company(_Strict):
    """One hyperscaler: capex by year, the share of it that is short-lived, its lives and tax rate."""

    name: str = Field(description="Display name, e.g. 'Meta Platforms'.")
    capex_usd_by_year: dict[Year, CapexUsd] = Field(
        min_length=1,
        description="Capex (incl. assets acquired under finance leases where the company reports them) by "
                    "fiscal year label [USD/year]; each year is one vintage.",
    )
    fiscal_year_start_offset_years: float = Field(
        default=0.0, ge=-1.0, le=0.0,
        description="The fiscal year labelled Y starts at calendar Y + offset [years]; 0 for calendar years, "
                    "-7/12 for Oracle (fiscal 2026 starts on 1 June 2025).",
    )
    projected_from_year: Optional[Year] = Field(
        default=None, description="First year label whose capex is a projection (guidance or analyst "
                                  "estimate), not a reported figure [year].",
    )
    server_share: float = Field(gt=0.0, le=1.0, description="Share of capex that is servers and network "
                                                            "equipment (the short-lived part) [-].")
    book_life_years: float = Field(gt=0.0, le=50.0, description="Book useful life of servers and network "
                                                                "equipment now [years]; may be fractional.")
    previous_book_life_years: Optional[float] = Field(
        default=None, gt=0.0, le=50.0,
        description="Book life before the last change [years]; with change_year.",
    )
    change_year: Optional[Year] = Field(
        default=None, description="Calendar year from whose 1 January book_life_years applies [year]; "
                                  "applied prospectively to the assets already in service.",
    )
    change_fraction: Union[Fraction, Literal["fit"]] = Field(
        default=1.0,
        description="Share of the servers and network base whose life changed [-]; the rest keeps "
                    "previous_book_life_years. 'fit': a subset of undisclosed size (Amazon), solved so that "
                    "the company's published effect is reproduced; only for a company in fit_companies.",
    )
    published_effect_basis: Literal["in_service", "with_additions"] = Field(
        default="in_service",
        description="What published_first_year_effect_usd covers: 'in_service', the assets in service before "
                    "the change (Meta, Amazon, Microsoft); 'with_additions', also those added in the change "
                    "year (Alphabet's 2023 figure).",
    )
    effect_vintages: Optional[EffectVintages] = Field(
        default=None,
        description="Vintages the published effect is measured on when they differ from capex_usd_by_year "
                    "(a fiscal year); default: capex_usd_by_year.",
    )
    economic_life_years: float = Field(gt=0.0, le=50.0, description="Economic life of servers and network "
                                                                    "equipment [years].")
    tax_rate: float = Field(ge=0.0, lt=1.0, description="Tax rate on the profit that understated depreciation "
                                                        "inflates [-].")
    published_first_year_effect_usd: Optional[float] = Field(
        default=None,
        description="Published change of the change year's depreciation on the assets in service before it "
                    "[USD]; negative: less depreciation (Meta about -2.9e9), positive: more (Amazon about 0.7e9).",
    )

    @field_validator("change_fraction", mode="before")
    @classmethod
    def _fraction_or_fit(cls, value):
        if value == "fit":
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
            raise ValueError("must be a number in (0, 1] or 'fit'")
        return float(value)

    @model_validator(mode="after")
    def _checks(self):
        if (self.previous_book_life_years is None) != (self.change_year is None):
            raise ValueError("give previous_book_life_years and change_year together (or neither)")
        if self.change_year is None and self.published_first_year_effect_usd is not None:
            raise ValueError("published_first_year_effect_usd needs a life change (previous_book_life_years, "
                             "change_year)")
        if self.change_year is None and self.change_fraction != 1.0:
            raise ValueError("change_fraction needs a life change (previous_book_life_years, change_year)")
        if self.change_fraction == "fit" and self.published_first_year_effect_usd is None:
            raise ValueError("change_fraction = 'fit' needs published_first_year_effect_usd to fit it to")
        if self.effect_vintages is not None and self.change_year is None:
            raise ValueError("effect_vintages needs a life change (previous_book_life_years, change_year)")
        if self.change_year is not None and self.fiscal_year_start_offset_years != 0.0:
            raise ValueError("a life change needs calendar-year vintages (fiscal_year_start_offset_years = 0)")
        return self


class UsefulLivesScenario(_Strict):
    """A useful-lives scenario file."""

    kind: Literal["useful-lives"] = Field(description="Scenario kind: 'useful-lives'.")
    name: str = Field(description="Short identifier, e.g. 'hyperscaler-useful-lives'.")
    description: str = Field(description="One line: what the scenario represents.")
    notes: str = Field(default="", description="How the figures were chosen; free text.")
    report_first_year: Year = Field(description="First calendar year of the report tables [year].")
    report_last_year: Year = Field(description="Last calendar year of the report tables [year].")
    window_first_year: Year = Field(description="First calendar year of the gap window compared with the "
                                                "published estimate [year].")
    window_last_year: Year = Field(description="Last calendar year of that window [year].")
    convention: Convention = Field(default="spread", description="Placement of a year's capex: 'spread' "
                                                                 "evenly across it or all at 'mid_year'.")
    published_window_gap_usd: float = Field(
        gt=0.0, description="Published estimate of the understated depreciation over the window, all "
                            "companies [USD] (Burry: 176e9 over 2026-2028).",
    )
    companies: dict[str, Company] = Field(
        min_length=1, description="The companies by id, e.g. 'meta': a letter or '_', then letters, digits, '_' and "
                                  "'-' (it is addressed as companies.ID.field).")
    fit_companies: list[str] = Field(
        default_factory=list,
        description="Companies whose published life-change effects fix the common share scale (and their own "
                    "change_fraction where it is 'fit'); every other published effect is predicted out of "
                    "sample. Empty: no fit, share scale 1.")
    sources: dict[str, Source] = Field(default_factory=dict, description="Sources cited by id.")
    provenance: dict[str, str] = Field(default_factory=dict, exclude=True,
                                       description="Source id of each sourced field, by dotted path.")

    @field_validator("companies")
    @classmethod
    def _ids_are_identifiers(cls, companies: dict[str, Company]) -> dict[str, Company]:
        return identifier_keys(companies, "company", "companies.ID.server_share")

    @field_validator("fit_companies")
    @classmethod
    def _fit_set(cls, fit_companies: list[str], info) -> list[str]:
        companies = info.data.get("companies")
        if companies is None:
            return fit_companies
        for key in fit_companies:
            if key not in companies:
                raise ValueError(f"no company {key!r} (companies: {', '.join(companies)})")
            if companies[key].published_first_year_effect_usd is None:
                raise ValueError(f"{key!r} has no published_first_year_effect_usd to fit to")
        if len(set(fit_companies)) != len(fit_companies):
            raise ValueError("a company is listed twice")
        if fit_companies and all(companies[k].change_fraction == "fit" for k in fit_companies):
            raise ValueError("every listed company fits its own change_fraction, so nothing fixes the common "
                             "share scale; list one with a known change_fraction")
        for key, company in companies.items():
            if company.change_fraction == "fit" and key not in fit_companies:
                raise ValueError(f"companies.{key}.change_fraction = 'fit' needs {key!r} listed here")
        return fit_companies

    @model_validator(mode="after")
    def _checks(self):
        if self.report_last_year < self.report_first_year:
            raise ValueError("report_last_year must not be before report_first_year")
        if self.window_last_year < self.window_first_year:
            raise ValueError("window_last_year must not be before window_first_year")
        return self


def load_useful_lives(path, overrides=()) -> UsefulLivesScenario:
    """Load, override and validate a ``kind = "useful-lives"`` scenario file.

    Parameters
    ----------
    path : str or Path
        The TOML file (``extends``, ``[sources]`` and ``{ value, source }``
        handled by :func:`dcecon.scenario.loader.load_raw`), or the name of a
        bundled one (``"hyperscaler-useful-lives"``).
    overrides : iterable of str
        ``PATH=VALUE`` strings as given to ``--set``.

    Raises
    ------
    ScenarioError
        ``path`` not a path or name, a missing or malformed file, a file of
        another kind, unknown key or source id, value out of bounds, a
        company id that is not an identifier, ``--set`` on a path the schema
        lacks.
    """
    return load_document(path, overrides, UsefulLivesScenario, "load_useful_lives", kind=KIND)
