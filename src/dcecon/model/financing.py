"""Debt financing: level-payment amortization, levered cash flows, coverage (issue: valuation).

Each cohort borrows ``debt_fraction`` of its capex when it enters service and
repays it in equal payments every period over ``debt_term_years``, at the
periodic rate ``interest_rate / periods_per_year`` (the mortgage convention
of a spreadsheet's ``PMT(rate/12, n, -principal)``). Per period::

    interest  = balance * i
    principal = payment - interest
    EBIT      = gross profit (COGS carries all depreciation)
    taxes     = tax_rate * max(0, EBIT - interest)          (no loss carry-forward)
    CFADS     = EBITDA - taxes                              (cash available for debt service)
    DSCR      = CFADS / (interest + principal)              (periods with debt service)
    FCFE      = CFADS - interest - principal                (levered free cash flow to equity)

Equity invests ``(1 - debt_fraction) * capex``; the equity IRR is the IRR of
``-equity`` at each in-service date and FCFE (plus salvage and building
residual) at period ends. Interest coverage is EBIT / interest.

References
----------
.. [1] Brealey, Myers, Allen, *Principles of Corporate Finance*, ch. 24
   (project finance, DSCR) and ch. 2 (annuities).
.. [2] Yescombe, *Principles of Project Finance*, 2nd ed., ch. 12 (cover ratios).
"""

from __future__ import annotations


def level_payment(xp, principal_usd, rate_per_period, n_periods):
    """Payment per period that repays ``principal`` over ``n`` periods [USD].

    ``P i / (1 - (1 + i)^-n)``, or ``P / n`` at ``i = 0`` (numpy-financial ``pmt``).
    """
    safe_rate = xp.where(rate_per_period == 0.0, 1.0, rate_per_period)
    annuity = safe_rate / (1.0 - (1.0 + safe_rate) ** (-n_periods))
    return principal_usd * xp.where(rate_per_period == 0.0, 1.0 / n_periods, annuity)


def balance_before_payment(xp, principal_usd, rate_per_period, n_periods, k):
    """Outstanding balance at the start of payment period ``k`` (0-based) [USD].

    ``P ((1 + i)^n - (1 + i)^k) / ((1 + i)^n - 1)``, or ``P (1 - k / n)`` at
    ``i = 0``; zero from ``k = n`` on and before the loan (``k < 0``).
    """
    growth_n = (1.0 + rate_per_period) ** n_periods
    growth_k = (1.0 + rate_per_period) ** k
    safe = xp.where(rate_per_period == 0.0, 1.0, growth_n - 1.0)
    amortizing = xp.where(rate_per_period == 0.0, principal_usd * (1.0 - k / n_periods),
                          principal_usd * (growth_n - growth_k) / safe)
    return xp.where((k >= 0.0) & (k < n_periods), amortizing, 0.0)


def amortization(xp, principal_usd, rate_per_period, n_periods, k):
    """Interest and principal paid in payment period ``k`` [USD, USD]."""
    balance = balance_before_payment(xp, principal_usd, rate_per_period, n_periods, k)
    payment = xp.where((k >= 0.0) & (k < n_periods), level_payment(xp, principal_usd, rate_per_period, n_periods),
                       0.0)
    interest = balance * rate_per_period
    return interest, payment - interest
