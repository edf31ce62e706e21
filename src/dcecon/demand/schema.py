"""Typed ``adoption-roi`` and ``commitments`` scenario files (docs/model.md §16).

As for every scenario kind: each field has a description with its unit and
bounds, ``extra="forbid"`` turns a misspelt key into an error, and numbers
may be written ``{ value = ..., source = "id", note = "..." }``. Tables of
items (``success_rates``, ``commitments``, ``gw_deals``, ``revenue_paths``)
are keyed by identifiers, so ``--set commitments.oracle.total_usd=3e11`` and
``--set revenue_paths.*.growth_after_last_year=0.1`` reach them.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, field_validator, model_validator

from dcecon.scenario.schema import DescribedScenario, _Strict, identifier_keys

ADOPTION_KIND = "adoption-roi"
COMMITMENTS_KIND = "commitments"

Year = Annotated[int, Field(ge=1990, le=2200)]
RevenueUsd = Annotated[float, Field(gt=0.0, description="Revenue of the year [USD/year].")]


# --- adoption-roi -------------------------------------------------------------------------------------------------

class Infrastructure(_Strict):
    """The capex and the WACC arithmetic that turns it into the revenue its owners need."""

    capex_usd: float = Field(gt=0.0, description="Capex spent over capex_period_years [USD] (four hyperscalers, "
                                                 "quarter to 30 Sep 2025: about 112e9).")
    capex_period_years: float = Field(gt=0.0, le=10.0, description="Period of capex_usd [years]: 0.25 for a "
                                                                   "quarter, 1 for a year.")
    it_share_of_capex: float = Field(ge=0.0, le=1.0, description="Share of capex that is IT equipment, recovered "
                                                                 "over it_life_years; the rest over "
                                                                 "facility_life_years [-].")
    it_life_years: float = Field(gt=0.0, le=50.0, description="Economic life of the IT equipment [years].")
    facility_life_years: float = Field(gt=0.0, le=100.0,
                                       description="Economic life of buildings, power and cooling plant [years].")
    wacc: float = Field(ge=0.0, le=1.0, description="Weighted average cost of capital of the owners [-/year].")
    opex_fraction_of_capex_per_year: float = Field(
        default=0.0, ge=0.0, le=1.0,
        description="Power, staff and repairs a year as a fraction of one year's capex [-/year]; 0: capital only "
                    "(a lower bound).")
    other_cost_share: float = Field(default=0.0, ge=0.0, lt=1.0,
                                    description="Share of the owners' revenue taken by other costs (SG&A, "
                                                "software) [-], < 1; 0: none (a lower bound).")
    vintages_in_service: float = Field(gt=0.0, le=50.0,
                                       description="Years of capex at this rate in service [years], at most "
                                                   "it_life_years; it_life_years: the steady state of a fleet "
                                                   "renewed at a constant rate.")

    @model_validator(mode="after")
    def _vintages_within_life(self):
        if self.vintages_in_service > self.it_life_years:
            raise ValueError(f"vintages_in_service ({self.vintages_in_service:g}) cannot exceed it_life_years "
                             f"({self.it_life_years:g}): older IT has retired and its replacement is new capex")
        return self


class Stage(_Strict):
    """One published success rate of enterprise AI initiatives."""

    label: str = Field(description="What the rate counts, e.g. 'use cases in production'.")
    rate: float = Field(gt=0.0, le=1.0, description="Share of initiatives (or use cases, or pilots) that reach "
                                                    "it [-], > 0.")


class Adoption(_Strict):
    """End customers' AI budgets, their margin, and the published success rates of their initiatives."""

    infrastructure_share_of_ai_budgets: float = Field(
        gt=0.0, le=1.0, description="Share of end customers' AI budgets spent on infrastructure (data, storage, "
                                    "compute) [-], > 0.")
    end_customer_gross_margin: float = Field(
        gt=0.0, le=1.0, description="Share of the AI applications' revenue left after their other direct costs "
                                    "[-], > 0.")
    hurdle_return: float = Field(default=0.0, ge=0.0, le=10.0,
                                 description="Return end customers require on their AI spending [-]; 0: "
                                             "break-even.")
    success_rates: dict[str, Stage] = Field(
        min_length=1, description="Published success rates by id (a letter or '_', then letters, digits, '_' "
                                  "and '-'), e.g. 'production'.")
    observed_spend_usd_per_year: Optional[float] = Field(
        default=None, gt=0.0, description="End-customer AI spending observed [USD/year]; compared with the "
                                          "spending required.")

    @field_validator("success_rates")
    @classmethod
    def _ids(cls, rates):
        return identifier_keys(rates, "success rate", "adoption.success_rates.ID.rate")


class AdoptionRoiScenario(DescribedScenario):
    """An adoption-roi scenario: capex -> owners' revenue -> end customers' AI spending -> the revenue it needs."""

    kind: Literal["adoption-roi"] = Field(description="'adoption-roi'.")
    infrastructure: Infrastructure = Field(description="The capex and its capital recovery.")
    adoption: Adoption = Field(description="End customers' budgets, margins and success rates.")


# --- commitments --------------------------------------------------------------------------------------------------

class Commitment(_Strict):
    """One contract with a published dollar value, paid in equal parts over its years."""

    counterparty: str = Field(description="Who is paid, e.g. 'Oracle'.")
    total_usd: float = Field(gt=0.0, description="Total value of the commitment [USD].")
    first_year: Year = Field(description="Calendar year of the first payment [year].")
    years: int = Field(ge=1, le=30, description="Number of yearly payments [years], >= 1.")
    gw: Optional[float] = Field(default=None, gt=0.0, le=1000.0, description="Capacity contracted, if published "
                                                                             "[GW].")
    schedule: Literal["reported", "assumed"] = Field(
        description="'reported' when the first year and length were published, 'assumed' when they are dcecon's "
                    "assumption.")


class GwDeal(_Strict):
    """A deal published in gigawatts with no dollar value: listed, not counted in the payments."""

    counterparty: str = Field(description="The supplier, e.g. 'Nvidia'.")
    what: str = Field(description="What the deal is, in a few words.")
    gw: float = Field(gt=0.0, le=1000.0, description="Capacity of the deal [GW].")
    first_year: Year = Field(description="Calendar year of the first deployment [year].")


class Headline(_Strict):
    """The buyer's own total of its commitments, spread in equal parts over its years."""

    total_usd: float = Field(gt=0.0, description="Published total of the commitments [USD].")
    first_year: Year = Field(description="Calendar year of the first payment [year].")
    years: int = Field(ge=1, le=30, description="Years the total is spread over [years], >= 1.")
    gw: Optional[float] = Field(default=None, gt=0.0, le=1000.0, description="Capacity behind the total, if "
                                                                             "published [GW].")


class RevenuePath(_Strict):
    """A revenue path: anchor years, constant growth between them, compounding after the last."""

    label: str = Field(description="What the path is, e.g. 'projections as reported'.")
    revenue_usd_by_year: dict[Year, RevenueUsd] = Field(
        min_length=1, description="Revenue in anchor years [USD/year], > 0; the first anchor is not after "
                                  "report_first_year.")
    growth_after_last_year: float = Field(default=0.0, ge=-0.9, le=10.0,
                                          description="Growth a year after the last anchor [-/year]; 0: flat.")


class CommitmentsScenario(DescribedScenario):
    """A commitments scenario: what a buyer has committed to pay, year by year, against its revenue paths."""

    kind: Literal["commitments"] = Field(description="'commitments'.")
    company: str = Field(description="The buyer, e.g. 'OpenAI'.")
    report_first_year: Year = Field(description="First calendar year of the report [year].")
    report_last_year: Year = Field(description="Last calendar year of the report [year].")
    commitments: dict[str, Commitment] = Field(
        min_length=1, description="Contracts with a published dollar value, by id (e.g. 'oracle').")
    gw_deals: dict[str, GwDeal] = Field(default_factory=dict,
                                        description="Deals published in GW only, by id: listed, not counted.")
    headline: Optional[Headline] = Field(default=None, description="The buyer's own total, as a second schedule.")
    revenue_paths: dict[str, RevenuePath] = Field(min_length=1, description="Revenue paths by id (e.g. 'flat').")

    @field_validator("commitments", "gw_deals", "revenue_paths")
    @classmethod
    def _ids(cls, table, info):
        return identifier_keys(table, info.field_name.removesuffix("s").replace("_", " "), f"{info.field_name}.ID.FIELD")

    @model_validator(mode="after")
    def _checks(self):
        if self.report_last_year < self.report_first_year:
            raise ValueError("report_last_year must not be before report_first_year")
        if self.report_last_year - self.report_first_year >= 60:
            raise ValueError("the report spans at most 60 years")
        for key, path in self.revenue_paths.items():
            first = min(path.revenue_usd_by_year)
            if first > self.report_first_year:
                raise ValueError(f"revenue_paths.{key}: the first anchor year ({first}) is after report_first_year "
                                 f"({self.report_first_year}); give revenue in {self.report_first_year} or before")
        return self


SCHEMAS = {ADOPTION_KIND: AdoptionRoiScenario, COMMITMENTS_KIND: CommitmentsScenario}
"""The schema of each demand kind."""
