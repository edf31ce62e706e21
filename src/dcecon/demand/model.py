"""The arithmetic of demand: capex to end-customer revenue, commitments to coverage (docs/model.md §16).

Pure functions of Python numbers (and lists of them); no arrays, no I/O.
The capital recovery arithmetic is the macro layer's
(:func:`dcecon.macro.model.capital_recovery_factor_of`,
:func:`dcecon.macro.model.required_revenue_usd_per_year`), reused, not copied.

References
----------
.. [1] Brealey, Myers, Allen, *Principles of Corporate Finance*, ch. 6:
   equivalent annual cost and the capital recovery factor.
.. [2] David Cahn, Sequoia Capital, "AI's $600B Question" (2024-06,
   https://www.sequoiacap.com/article/ais-600b-question/): 50% gross margin
   of the companies selling AI to end users.
"""

from __future__ import annotations

from dcecon.macro.model import capital_recovery_factor_of, required_revenue_usd_per_year


# --- ai-adoption-roi: from capex to the revenue end customers must earn -------------------------------------------

def annualised_usd_per_year(amount_usd, period_years):
    """A spend over a period as a rate a year [USD/year].

    Parameters
    ----------
    amount_usd : float
        What was spent over the period [USD] (four hyperscalers' capex in the quarter to 30 Sep 2025: about $112B).
    period_years : float
        Length of the period [years], > 0 (a quarter: 0.25).

    Notes
    -----
    ``rate = amount_usd / period_years``: $112B / 0.25 = $448B a year.
    """
    return amount_usd / period_years


def vintage_required_revenue_usd_per_year(capex_usd_per_year, it_share_of_capex, it_life_years,
                                          facility_life_years, wacc, opex_fraction_of_capex_per_year=0.0,
                                          other_cost_share=0.0):
    """Revenue one year of capex needs in each year of its IT life to earn the WACC [USD/year].

    Parameters
    ----------
    capex_usd_per_year : float
        One year of all-in capex [USD].
    it_share_of_capex : float
        Share of it that is IT equipment, recovered over ``it_life_years``; the rest (buildings, power and
        cooling plant) over ``facility_life_years`` [-].
    it_life_years, facility_life_years : float
        Economic lives [years].
    wacc : float
        Weighted average cost of capital [-/year].
    opex_fraction_of_capex_per_year : float, default 0
        Operations (power, staff, repairs) a year as a fraction of the capex [-/year].
    other_cost_share : float, default 0
        Share of revenue taken by other costs (SG&A, software) [-], < 1.

    Notes
    -----
    ``(capex * s * crf(wacc, it_life) + capex * (1 - s) * crf(wacc, facility_life) + opex) / (1 - other)``,
    :func:`dcecon.macro.model.required_revenue_usd_per_year` with the facility term the building's capital
    charge, as in :func:`dcecon.macro.model.fleet_figures`. $448B at s = 35/55, 5 and 20 years, 10%:
    285.09e9 x 0.263797 + 162.91e9 x 0.117460 = $94.34B a year.
    """
    it_capex = capex_usd_per_year * it_share_of_capex
    facility_charge = (capex_usd_per_year - it_capex) * capital_recovery_factor_of(wacc, facility_life_years)
    return required_revenue_usd_per_year(it_capex, capital_recovery_factor_of(wacc, it_life_years), 0.0,
                                         facility_charge, opex_fraction_of_capex_per_year * capex_usd_per_year,
                                         other_cost_share)


def run_rate_required_revenue_usd_per_year(vintage_required_usd_per_year, vintages_in_service):
    """Revenue needed a year once ``vintages_in_service`` years of capex at the same rate are in service [USD/year].

    Notes
    -----
    ``vintage_required * vintages_in_service``; exact while ``vintages_in_service`` does not exceed the IT
    life (no vintage has retired yet). At the IT life it is the steady state of a fleet renewed at a constant
    rate: 5 x $94.34B = $471.7B.
    """
    return vintage_required_usd_per_year * vintages_in_service


def end_customer_spend_usd_per_year(infrastructure_revenue_usd_per_year, infrastructure_share_of_ai_budgets):
    """End customers' AI spending of which the infrastructure revenue is the infrastructure share [USD/year].

    Notes
    -----
    ``spend = infrastructure_revenue / infrastructure_share``: if 66% of AI budgets go to infrastructure
    (data, storage, compute), $471.7B of infrastructure revenue is 66% of $714.7B of AI budgets.
    """
    return infrastructure_revenue_usd_per_year / infrastructure_share_of_ai_budgets


def application_revenue_required_usd_per_year(spend_usd_per_year, end_customer_gross_margin, hurdle_return=0.0):
    """Revenue the end customers' AI applications must earn for their AI spending to pay [USD/year].

    Parameters
    ----------
    spend_usd_per_year : float
        End customers' AI spending [USD/year].
    end_customer_gross_margin : float
        Share of that revenue left after its other direct costs [-], > 0 (Cahn, Sequoia: 50%).
    hurdle_return : float, default 0
        Return the end customers require on the spending [-]; 0: break-even.

    Notes
    -----
    ``revenue = spend * (1 + hurdle) / gross_margin``: its gross profit pays the spending with the hurdle.
    $714.7B at 50%: $1.43T.
    """
    return spend_usd_per_year * (1.0 + hurdle_return) / end_customer_gross_margin


def revenue_per_usd_of_cost(success_rate, end_customer_gross_margin, hurdle_return=0.0):
    """Revenue each successful initiative must earn per dollar it cost, when only the successes earn [USD/USD].

    Parameters
    ----------
    success_rate : float
        Share of initiatives (by spending: all are assumed to cost the same) that earn anything [-], > 0.
    end_customer_gross_margin, hurdle_return : float
        As in :func:`application_revenue_required_usd_per_year`.

    Notes
    -----
    ``(1 + hurdle) / (gross_margin * success_rate)``: N initiatives of cost c must earn
    ``N c (1 + h) / m``; only ``N s`` of them earn, so each earns ``c (1 + h) / (m s)``. At a 25% success
    rate and a 50% margin: 8 dollars of revenue per dollar of cost.
    """
    return (1.0 + hurdle_return) / (end_customer_gross_margin * success_rate)


def return_multiple_required(success_rate, hurdle_return=0.0):
    """Gross profit each successful initiative must return per dollar it cost [USD/USD].

    Notes
    -----
    ``(1 + hurdle) / success_rate``: the successes carry the failures' cost. 25%: 4x (an ROI of 300%); 7%:
    14.3x; 5%: 20x.
    """
    return (1.0 + hurdle_return) / success_rate


# --- openai-compute-commitments: payments, revenue paths, coverage --------------------------------------------------

def level_payments_usd(total_usd, first_year, years, report_years):
    """A commitment paid in equal parts over ``years`` from ``first_year``, on each of ``report_years`` [USD/year].

    Parameters
    ----------
    total_usd : float
        Total value of the commitment [USD].
    first_year : int
        Calendar year of the first payment.
    years : int
        Number of yearly payments, >= 1.
    report_years : sequence of int
        The calendar years to report.

    Returns
    -------
    list of float
        ``total / years`` in the years ``first_year .. first_year + years - 1``, 0 elsewhere. $300B over 5 years
        from 2027: $60B a year in 2027-2031.
    """
    payment = total_usd / years
    return [payment if first_year <= year < first_year + years else 0.0 for year in report_years]


def revenue_path_usd(anchors_usd_by_year, growth_after_last_year, report_years):
    """Revenue by year from anchor years, geometric between anchors and compounding after the last [USD/year].

    Parameters
    ----------
    anchors_usd_by_year : dict of int to float
        Revenue in some years [USD/year], > 0; the first anchor must not be after the first report year.
    growth_after_last_year : float
        Growth a year after the last anchor [-/year] (0: flat).
    report_years : sequence of int
        The calendar years to report.

    Returns
    -------
    list of float
        For a year ``y`` between anchors ``(a, Ra)`` and ``(b, Rb)``: ``Ra * (Rb / Ra) ** ((y - a) / (b - a))``
        (constant growth between them); after the last anchor ``(b, Rb)``: ``Rb * (1 + g) ** (y - b)``.
        $29.4B in 2026 and $125B in 2029 give $47.6B in 2027 and $77.2B in 2028.
    """
    anchors = sorted(anchors_usd_by_year.items())
    out = []
    for year in report_years:
        if year < anchors[0][0]:
            raise ValueError(f"year {year} is before the first anchor year {anchors[0][0]}")
        last_year, last_usd = anchors[-1]
        if year >= last_year:
            out.append(last_usd * (1.0 + growth_after_last_year) ** (year - last_year))
            continue
        for (a, ra), (b, rb) in zip(anchors, anchors[1:]):
            if a <= year < b:
                out.append(ra * (rb / ra) ** ((year - a) / (b - a)))
                break
    return out


def coverage_ratio(revenue_usd, payments_usd):
    """Revenue over commitment payments in one year [-]; None when nothing is owed that year.

    Notes
    -----
    ``coverage = revenue / payments``: all of the revenue counted, none of it spent on anything else, so an
    upper bound on what revenue alone can pay. $13B against $9.91B owed in 2025: 1.31.
    """
    return None if payments_usd <= 0.0 else revenue_usd / payments_usd


def year_coverage_stays_at_one(report_years, coverages):
    """First year from which coverage is at least 1 in every later report year; None if there is none.

    A year with nothing owed (coverage None) counts as covered. The answer is within the report years only:
    None means "not before the last report year", not "never".
    """
    first = None
    for year, coverage in zip(report_years, coverages):
        if coverage is None or coverage >= 1.0:
            first = year if first is None else first
        else:
            first = None
    return first


def funding_gap_usd(revenue_usd, payments_usd):
    """What revenue does not cover in one year [USD], 0 when it covers all: ``max(payments - revenue, 0)``."""
    return max(payments_usd - revenue_usd, 0.0)

