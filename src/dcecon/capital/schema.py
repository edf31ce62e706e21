"""Typed ``kind = "debt"`` and ``kind = "capex-wave"`` scenario files (docs/capital.md).

As for every scenario file, every field has a description with its unit,
``extra="forbid"`` turns a misspelt key into an error naming it, and numbers
may be written ``{ value = ..., source = "id" }`` with the id under
``[sources.ID]``. Issuer and company ids are identifiers (a letter or ``_``,
then letters, digits, ``_`` and ``-``) because ``--set`` addresses them:
``issuers.oracle.coupon=0.06``, ``companies.meta.server_share=0.5``.
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, field_validator, model_validator

from dcecon.scenario.schema import DescribedScenario, _Strict, first_repeat, identifier_keys, identifier_problem
from dcecon.valuation.useful_lives import CONVENTIONS

DEBT_KIND = "debt"
CAPEX_WAVE_KIND = "capex-wave"

Year = Annotated[int, Field(ge=1990, le=2200)]
CapexUsd = Annotated[float, Field(ge=0.0, description="Capex of the year [USD/year].")]
Life = Annotated[float, Field(gt=0.0, le=50.0, description="A straight-line life [years].")]
Convention = Literal["spread", "mid_year"]
assert set(Convention.__args__) == set(CONVENTIONS)



# --- debt --------------------------------------------------------------------------------------------------------

class Issuer(_Strict):
    """One borrower: its debt and rate, the borrowing it is named for, its income and its AI rental exposure."""

    name: str = Field(description="Display name, e.g. 'Oracle'.")
    debt_usd: float = Field(gt=0.0, description="Debt outstanding on the balance sheet that carries interest [USD].")
    rate: float = Field(gt=0.0, le=0.5, description="Average interest rate on debt_usd [-/year].")
    off_balance_sheet_debt_usd: float = Field(
        default=0.0, ge=0.0, description="Debt of a joint venture or lessor that the issuer services through lease "
                                         "payments (Meta's Hyperion) [USD]; default 0.")
    off_balance_sheet_rate: float = Field(default=0.0, ge=0.0, le=0.5,
                                          description="Coupon of that debt [-/year]; default 0.")
    new_debt_usd: Optional[float] = Field(
        default=None, gt=0.0, description="The named new borrowing (a bond, a project financing) [USD].")
    capex_usd: Optional[float] = Field(
        default=None, gt=0.0, description="Capex of the period the new borrowing funds [USD]; with new_debt_usd it "
                                          "gives the debt-financed share of capex.")
    capex_period: str = Field(default="", description="What capex_usd covers, e.g. 'fiscal 2026 guidance'.")
    operating_income_usd_per_year: float = Field(
        description="Operating income (EBIT), last full year or an annualized quarter [USD/year]; may be negative.")
    operating_income_period: str = Field(default="", description="What the operating income covers, e.g. "
                                                                 "'Q3 2025 x 4'.")
    ebitda_usd_per_year: Optional[float] = Field(
        default=None, description="EBITDA (or adjusted EBITDA) of the same period [USD/year]; gives EBITDA cover.")
    exposed_revenue_usd_per_year: float = Field(
        default=0.0, ge=0.0, description="Revenue from renting out AI compute, which the price and utilization "
                                         "shocks move [USD/year]; 0: the issuer rents none out.")
    variable_cost_share: float = Field(
        default=0.0, ge=0.0, lt=1.0, description="Costs of that revenue that move with billed hours (power), as a "
                                                 "share of it [-]; default 0.")
    repayment_years: Optional[float] = Field(
        default=None, gt=0.0, le=50.0,
        description="Years to repay debt_usd in level payments [years]: gives the debt service a lender tests.")
    published_interest_usd_per_year: Optional[float] = Field(
        default=None, gt=0.0, description="Published interest expense, annualized [USD/year]: a check of "
                                          "debt_usd x rate.")

    @model_validator(mode="after")
    def _checks(self):
        if (self.off_balance_sheet_debt_usd > 0.0) != (self.off_balance_sheet_rate > 0.0):
            raise ValueError("give off_balance_sheet_debt_usd and off_balance_sheet_rate together (or neither)")
        if (self.new_debt_usd is None) != (self.capex_usd is None):
            raise ValueError("give new_debt_usd and capex_usd together (the share of capex needs both)")
        return self


class Shock(_Strict):
    """A change of rental price and billed utilization, applied to every issuer's exposed revenue."""

    name: str = Field(description="Short identifier, e.g. 'price-20'.")
    price_change: float = Field(ge=-1.0, le=1.0, description="Relative change of the price per GPU-hour [-]; -0.2: "
                                                             "20% lower.")
    utilization_factor: float = Field(ge=0.0, le=2.0, description="Billed hours after the shock / before [-]; 0.8: a "
                                                                  "fifth fewer.")


class BondMarket(_Strict):
    """The year's bond issuance of US technology companies beside the hyperscalers' capex."""

    year: Year = Field(description="Calendar year of the issuance [year].")
    us_tech_bonds_usd: float = Field(gt=0.0, description="Bonds issued by US technology companies in the year [USD].")
    growth_vs_prior_year: float = Field(gt=-1.0, le=100.0, description="Growth of that issuance over the prior year "
                                                                       "[-]; 0.7: +70%.")
    hyperscaler_capex_usd: float = Field(gt=0.0, description="Capex of the largest hyperscalers in the same year "
                                                             "[USD].")


class DebtScenario(DescribedScenario):
    """A debt scenario: issuers, their interest and its cover, under shocks."""

    kind: Literal["debt"] = Field(description="'debt'.")
    market: Optional[BondMarket] = Field(default=None, description="The year's tech bond issuance.")
    issuers: dict[str, Issuer] = Field(min_length=1, description="The borrowers by id, e.g. 'oracle'.")
    shocks: list[Shock] = Field(min_length=1, description="Price and utilization shocks, first the base case.")

    @field_validator("issuers")
    @classmethod
    def _ids_are_identifiers(cls, issuers):
        return identifier_keys(issuers, "issuer", "issuers.ID.rate")

    @field_validator("shocks")
    @classmethod
    def _shock_names(cls, shocks):
        for shock in shocks:
            problem = identifier_problem(shock.name, "shocks.NAME.price_change")
            if problem:
                raise ValueError(f"shock name {shock.name!r} {problem}")
        repeat = first_repeat([s.name for s in shocks])
        if repeat is not None:
            raise ValueError(f"shock name {shocks[repeat[1]].name!r} is used twice (shocks {repeat[0]} and "
                             f"{repeat[1]})")
        return shocks


# --- capex wave --------------------------------------------------------------------------------------------------

class Plan(_Strict):
    """A published multi-year capex total (Meta's $600B through 2028, Stargate's $500B over four years)."""

    total_usd: float = Field(gt=0.0, description="Published total over the plan's years [USD].")
    first_year: Year = Field(description="First year of the plan [year].")
    last_year: Year = Field(description="Last year of the plan [year].")

    @model_validator(mode="after")
    def _order(self):
        if self.last_year < self.first_year:
            raise ValueError("plan last_year must not be before first_year")
        return self


class CapexCompany(_Strict):
    """One spender: capex by year and how it extends, the server share, lives and operating income."""

    name: str = Field(description="Display name, e.g. 'Meta Platforms'.")
    capex_usd_by_year: dict[Year, CapexUsd] = Field(
        default_factory=dict, description="Capex reported (or guided) by year label [USD/year]; each year is one "
                                          "vintage. May be empty when a plan gives the path.")
    projected_from_year: Optional[Year] = Field(
        default=None, description="First year whose capex is a projection (guidance, plan, run-rate) [year].")
    plan: Optional[Plan] = Field(default=None, description="A published multi-year total, spread evenly over its "
                                                           "years not in capex_usd_by_year.")
    run_rate_usd_per_quarter: Optional[float] = Field(
        default=None, gt=0.0, description="A quarterly rate held for every year after the reported and plan years, "
                                          "up to capex_last_year [USD/quarter].")
    quarter_capex_usd: Optional[float] = Field(
        default=None, ge=0.0, description="Capex of the reference quarter (published_quarter_total_usd) [USD].")
    server_share: float = Field(gt=0.0, le=1.0, description="Share of capex that is servers and network gear (the "
                                                            "short-lived part) [-].")
    book_life_years: Optional[float] = Field(
        default=None, gt=0.0, le=50.0, description="Book life of servers and network gear now [years]; needed by "
                                                   "the trailing-depreciation check.")
    fiscal_year_start_offset_years: float = Field(
        default=0.0, ge=-1.0, le=0.0, description="The year labelled Y starts at calendar Y + offset [years]; -7/12 "
                                                  "for Oracle (fiscal 2026 starts on 1 June 2025).")
    operating_income_usd: Optional[float] = Field(
        default=None, gt=0.0, description="Operating income of the last full year before the wave [USD/year].")
    operating_income_year: Optional[Year] = Field(default=None, description="Label of that year [year].")
    in_published_totals: bool = Field(
        default=True, description="Whether the company is one of those behind the published totals (the four of "
                                  "the quarter, the five of the trailing capex).")

    @model_validator(mode="after")
    def _checks(self):
        if (self.operating_income_usd is None) != (self.operating_income_year is None):
            raise ValueError("give operating_income_usd and operating_income_year together (or neither)")
        if not self.capex_usd_by_year and self.plan is None:
            raise ValueError("give capex_usd_by_year or a plan (or both)")
        return self


class CapexWaveScenario(DescribedScenario):
    """A capex-wave scenario: published capex paths, the depreciation they create, and operating income."""

    kind: Literal["capex-wave"] = Field(description="'capex-wave'.")
    first_year: Year = Field(description="First calendar year of the report tables [year].")
    last_year: Year = Field(description="Last calendar year of the report tables [year].")
    wave_first_year: Year = Field(description="First vintage of the wave: capex of this year and later is run "
                                              "through the lives [year].")
    capex_last_year: Year = Field(description="Last year of capex: run-rates are held up to it, nothing is spent "
                                              "after it [year].")
    lives_years: list[Life] = Field(min_length=1, description="Lives of servers and network gear to compare "
                                                              "[years], e.g. [3, 5, 6].")
    building_life_years: float = Field(gt=0.0, le=100.0, description="Life of the rest of capex (buildings, power "
                                                                     "and cooling plant) [years].")
    convention: Convention = Field(default="spread", description="Placement of a year's capex: 'spread' evenly "
                                                                 "across it or all at 'mid_year'.")
    published_quarter_total_usd: Optional[float] = Field(
        default=None, gt=0.0, description="Published capex of the companies in the reference quarter [USD].")
    trailing_year: Optional[Year] = Field(default=None, description="Year of the trailing-capex check [year].")
    published_trailing_capex_usd: Optional[float] = Field(
        default=None, gt=0.0, description="Published trailing twelve-month capex of the companies [USD].")
    published_trailing_depreciation_usd: Optional[float] = Field(
        default=None, gt=0.0, description="Published trailing twelve-month depreciation of the companies [USD].")
    companies: dict[str, CapexCompany] = Field(min_length=1, description="The spenders by id, e.g. 'meta'.")

    @field_validator("companies")
    @classmethod
    def _ids_are_identifiers(cls, companies):
        return identifier_keys(companies, "company", "companies.ID.server_share")

    @model_validator(mode="after")
    def _checks(self):
        if self.last_year < self.first_year:
            raise ValueError("last_year must not be before first_year")
        if self.capex_last_year < self.wave_first_year:
            raise ValueError("capex_last_year must not be before wave_first_year")
        trailing = (self.published_trailing_capex_usd, self.published_trailing_depreciation_usd)
        if any(v is not None for v in trailing) and self.trailing_year is None:
            raise ValueError("the published trailing figures need trailing_year")
        for key, company in self.companies.items():
            if self.trailing_year is not None and company.in_published_totals and company.book_life_years is None:
                raise ValueError(f"companies.{key}.book_life_years is needed by the trailing check (trailing_year)")
            plan = company.plan
            if plan is not None:
                reported = sum(v for y, v in company.capex_usd_by_year.items()
                               if plan.first_year <= y <= plan.last_year)
                if reported > plan.total_usd:
                    raise ValueError(f"companies.{key}.plan: total_usd ({plan.total_usd:g}) is below the capex "
                                     f"already given for its years ({reported:g})")
        return self


SCHEMAS = {DEBT_KIND: DebtScenario, CAPEX_WAVE_KIND: CapexWaveScenario}
"""The schema of each capital kind."""
