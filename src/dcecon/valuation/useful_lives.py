"""Book vs economic depreciation of a fleet built from capex vintages (docs/model.md §15).

A *vintage* is one year of capex. Its depreciable base is placed in service
during the year that starts at ``vintage_start`` (a decimal calendar year:
2024.0 for calendar 2024; 2024.4167 for Oracle's fiscal 2025, which starts on
1 June 2024) and is written off straight line over a life ``L`` in years,
which may be fractional (Meta's 5.5 years).

Placement conventions (``convention``):

- ``"spread"`` (default): the base is placed in service evenly across the
  year. This is what a fleet that buys servers every week looks like, and it
  is the continuous form of the half-year convention: the first calendar year
  carries ``B / (2 L)`` (half a year of depreciation on average), the run-off
  is symmetric, and the total over all years is exactly ``B`` for any ``L``.
  Closed form: a unit placed at ``t`` has depreciated ``h(tau - t)`` by time
  ``tau``, ``h(x) = clip(x, 0, L) / L``; averaged over ``t`` in the year,
  ``F(x) = (Phi(x) - Phi(x - 1)) / L`` with ``Phi(z) = clip(z, 0, L)**2 / 2 +
  L * max(z - L, 0)`` and ``x = tau - vintage_start``.
- ``"mid_year"``: the whole base is placed in service at the middle of the
  year (``vintage_start + 0.5``), the textbook half-year convention. Same first
  year and same total as ``"spread"``; the years around the end of the life
  differ (a 1-year life ends on 1 July instead of running off over a year).

Why not start-of-year placement: a company that reports capex for a year has
spent it through the year; charging it a full year of depreciation in its
first year overstates depreciation by ``B / (2 L)`` for a growing fleet.

A change of useful life is a change in accounting estimate (ASC 250-10-45-17):
it is applied prospectively. From the start of ``change_year`` an asset that
is ``a`` years old has its net book value ``1 - a / L_old`` (per unit of
base) written off straight line over the remaining new life ``L_new - a``;
where the asset is already older than the new life, the remaining book value
is charged in the change year. Vintages placed in service from the change
year on use the new life.

References
----------
.. [1] FASB ASC 250-10-45-17, change in accounting estimate (prospective).
.. [2] Meta Platforms, Form 10-K 2024 and Q4-2024 results (29 Jan 2025):
   servers and network assets 5 -> 5.5 years from 1 Jan 2025, about $2.9B
   less 2025 depreciation on assets in service at 31 Dec 2024.
.. [3] Amazon.com, Form 10-K 2024 (7 Feb 2025): a subset of servers and
   networking equipment 6 -> 5 years from 1 Jan 2025, about $0.7B less 2025
   operating income on assets in service at 31 Dec 2024.
.. [4] M. Burry, X post, 10-11 Nov 2025: hyperscalers understate depreciation
   by about $176B over 2026-2028 (2-3 year GPU product cycles).
"""

from __future__ import annotations

import numpy as np

CONVENTIONS = ("spread", "mid_year")
"""Placement conventions accepted by the functions of this module."""

_TINY = 1e-300


def _check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise ValueError(f"unknown convention {convention!r}; choose one of {', '.join(CONVENTIONS)}")


def _phi(z, life):
    """``Phi(z) = clip(z, 0, L)**2 / 2 + L * max(z - L, 0)``: integral of ``clip(w, 0, L)`` up to ``z``."""
    inside = np.clip(z, 0.0, life)
    return 0.5 * inside * inside + life * np.maximum(z - life, 0.0)


def cumulative_fraction(elapsed_years, life_years, convention="spread"):
    """Fraction of a vintage's base written off ``elapsed_years`` after the vintage's year starts [-].

    Parameters
    ----------
    elapsed_years : numeric
        Time since the start of the vintage's year [years].
    life_years : numeric
        Straight-line life, > 0, may be fractional [years].
    convention : {"spread", "mid_year"}
        Placement within the year (see the module docstring).

    Returns
    -------
    numeric
        In ``[0, 1]``; 0 before the year starts, 1 once every unit is fully
        depreciated.

    Notes
    -----
    ``"spread"``: ``(Phi(x) - Phi(x - 1)) / L``; ``"mid_year"``:
    ``clip(x - 0.5, 0, L) / L``.
    """
    _check_convention(convention)
    x = np.asarray(elapsed_years, dtype=np.float64)
    life = np.asarray(life_years, dtype=np.float64)
    if convention == "mid_year":
        return np.clip(x - 0.5, 0.0, life) / life
    return (_phi(x, life) - _phi(x - 1.0, life)) / life


def year_fraction(elapsed_years, life_years, convention="spread"):
    """Fraction of a vintage's base charged in the year that starts ``elapsed_years`` after the vintage [-].

    ``F(x + 1) - F(x)`` with ``F`` = :func:`cumulative_fraction`.

    Examples
    --------
    A 3-year life spread across the year charges 1/6, 1/3, 1/3, 1/6:

    >>> [round(float(year_fraction(k, 3.0)), 6) for k in range(5)]
    [0.166667, 0.333333, 0.333333, 0.166667, 0.0]
    """
    x = np.asarray(elapsed_years, dtype=np.float64)
    return cumulative_fraction(x + 1.0, life_years, convention) - cumulative_fraction(x, life_years, convention)


def _grid(capex_by_year, years, vintage_years):
    capex = np.asarray(capex_by_year, dtype=np.float64)
    years = np.asarray(years, dtype=np.float64)
    vintages = years if vintage_years is None else np.asarray(vintage_years, dtype=np.float64)
    if capex.shape[-1:] != vintages.shape:
        raise ValueError(f"capex_by_year has {capex.shape[-1:]} vintages on its last axis, "
                         f"vintage_years has shape {vintages.shape}")
    # (..., Y, V): elapsed time from the start of vintage v to the start of year y.
    elapsed = years[:, None] - vintages[None, :]
    return capex, years, vintages, elapsed


def _leading(value, capex):
    """A per-fleet parameter shaped ``capex.shape[:-1]`` broadcast to ``(..., 1, 1)``."""
    return np.asarray(value, dtype=np.float64)[..., None, None] if np.ndim(value) else np.float64(value)


def depreciation_by_year(capex_by_year, life_years, years, convention="spread", vintage_years=None):
    """Straight-line depreciation charged in each calendar year by a set of capex vintages [USD].

    Parameters
    ----------
    capex_by_year : array_like, shape (..., V)
        Depreciable base of each vintage, e.g. capex x server share [USD].
    life_years : numeric, broadcastable to ``capex_by_year.shape[:-1]``
        Straight-line life, > 0, may be fractional [years].
    years : array_like, shape (Y,)
        Calendar years to report (the year starting at each value) [year].
    convention : {"spread", "mid_year"}
        Placement of each vintage within its year (see the module docstring).
    vintage_years : array_like, shape (V,), optional
        Start of each vintage's year [decimal year]; default ``years`` (one
        vintage per reported year).

    Returns
    -------
    ndarray, shape (..., Y)
        Depreciation of all vintages in each year [USD].

    Notes
    -----
    ``D[y] = sum_v C[v] * (F(y + 1 - v) - F(y - v))`` with ``F`` =
    :func:`cumulative_fraction`. Summed over enough years the charges of a
    vintage add up to its base exactly.
    """
    capex, _, _, elapsed = _grid(capex_by_year, years, vintage_years)
    fraction = year_fraction(elapsed, _leading(life_years, capex), convention)
    return np.sum(fraction * capex[..., None, :], axis=-1)


def _after_change_point(age, j, old_life, new_life):
    """Charge in year ``change_year + j`` per unit of base aged ``age`` at the change (prospective)."""
    book_value = np.maximum(old_life - age, 0.0) / old_life
    remaining = new_life - age
    safe = np.where(remaining > 0.0, remaining, 1.0)
    spread = book_value * np.clip(remaining - j, 0.0, 1.0) / safe
    at_once = np.where(j == 0.0, book_value, 0.0)
    return np.where(remaining > 0.0, spread, at_once)


def _after_change_spread(age_low, j, old_life, new_life):
    """``integral of _after_change_point(a, j) da`` over ages ``[age_low, age_low + 1]`` (closed form).

    Per unit of base with age ``a`` the charge in year ``T + j`` is
    ``(L_o - a) * clip(L_n - j - a, 0, 1) / (L_o (L_n - a))`` while
    ``a < min(L_n, L_o)``, plus the remaining book value ``(L_o - a) / L_o``
    in year ``T`` where ``L_n <= a < L_o``. With ``u = L_n - a``:

    - ages up to ``L_n - j - 1`` (the full year is inside the new life):
      ``(L_o - a) / (L_n - a) = 1 + (L_o - L_n) / u``, antiderivative
      ``a - (L_o - L_n) ln u``;
    - ages in ``[L_n - j - 1, L_n - j]`` (the new life ends within the
      year): ``u + (L_o - L_n - j) - j (L_o - L_n) / u``, antiderivative
      ``-(u**2 / 2 + (L_o - L_n - j) u - j (L_o - L_n) ln u)``;
    - ``j = 0`` and ages in ``[L_n, L_o]``: ``L_o - a``, antiderivative
      ``L_o a - a**2 / 2``.
    """
    lo_age = age_low
    hi_age = age_low + 1.0
    d = old_life - new_life

    def segment(antiderivative, lower, upper):
        upper = np.maximum(upper, lower)
        a1 = np.clip(lo_age, lower, upper)
        a2 = np.clip(hi_age, lower, upper)
        return antiderivative(a2) - antiderivative(a1)

    def full_year(a):
        return a - d * np.log(np.maximum(new_life - a, _TINY))

    def last_year(a):
        u = new_life - a
        return -(0.5 * u * u + (d - j) * u - j * d * np.log(np.maximum(u, _TINY)))

    def written_off(a):
        return old_life * a - 0.5 * a * a

    cut = new_life - j - 1.0
    total = segment(full_year, -np.inf, np.minimum(cut, old_life))
    total = total + segment(last_year, cut, np.minimum(cut + 1.0, old_life))
    total = total + np.where(j == 0.0, segment(written_off, new_life, old_life), 0.0)
    return total / old_life


def life_change_depreciation_by_year(capex_by_year, old_life_years, new_life_years, change_year, years,
                                     convention="spread", vintage_years=None):
    """Book depreciation when the useful life changes prospectively at the start of ``change_year`` [USD].

    Parameters
    ----------
    capex_by_year : array_like, shape (..., V)
        Depreciable base of each vintage [USD].
    old_life_years, new_life_years : numeric, broadcastable to ``capex_by_year.shape[:-1]``
        Life before and after the change, > 0 [years].
    change_year : int
        Calendar year from whose 1 January the new life applies [year].
    years : array_like of int, shape (Y,)
        Calendar years to report [year].
    convention : {"spread", "mid_year"}
        Placement within the year (see the module docstring).
    vintage_years : array_like, shape (V,), optional
        Start of each vintage's year [decimal year]; default ``years``.

    Returns
    -------
    ndarray, shape (..., Y)
        Book depreciation in each year [USD].

    Raises
    ------
    ValueError
        Under ``"spread"``, a vintage whose year straddles the change date
        (e.g. a fiscal year): it is neither before nor after the change.

    Notes
    -----
    Vintages placed in service before the change follow the old life up to
    ``change_year``; from then on their book value per unit of base,
    ``1 - a / L_old`` at age ``a``, is written off over ``L_new - a`` years
    (at once in ``change_year`` where ``a >= L_new``). Vintages from
    ``change_year`` on use ``L_new`` throughout. With ``L_old == L_new`` the
    result equals :func:`depreciation_by_year`.
    """
    _check_convention(convention)
    capex, years_f, vintages, elapsed = _grid(capex_by_year, years, vintage_years)
    change = float(change_year)
    old_life = _leading(old_life_years, capex)
    new_life = _leading(new_life_years, capex)
    if convention == "spread":
        straddling = (vintages < change) & (vintages + 1.0 > change)
        if np.any(straddling):
            raise ValueError(f"vintages starting at {vintages[straddling].tolist()} straddle the change on "
                             f"1 January {change_year}; give vintages that end by the change or start after it")
        before = vintages + 1.0 <= change
    else:
        before = vintages + 0.5 <= change
    j = years_f[:, None] - change + 0.0 * vintages[None, :]          # (Y, V) years since the change
    if convention == "spread":
        after = _after_change_spread(change - vintages[None, :] - 1.0, j, old_life, new_life)
    else:
        after = _after_change_point(change - vintages[None, :] - 0.5, j, old_life, new_life)
    old = year_fraction(elapsed, old_life, convention)
    new = year_fraction(elapsed, new_life, convention)
    fraction = np.where(before[None, :], np.where(j < 0.0, old, after), new)
    return np.sum(fraction * capex[..., None, :], axis=-1)


def first_year_effect(capex_by_year, vintage_years, old_life_years, new_life_years, change_year,
                      convention="spread"):
    """Change in ``change_year``'s depreciation of the assets in service before the change [USD].

    The figure companies disclose: "based on the assets placed in service as of
    31 December, the change will reduce (increase) next year's depreciation by
    about X".

    Parameters
    ----------
    capex_by_year : array_like, shape (..., V)
        Depreciable base of each vintage whose life changes [USD]. Vintages
        placed in service from ``change_year`` on are ignored.
    vintage_years : array_like, shape (V,)
        Start of each vintage's year [decimal year].
    old_life_years, new_life_years : numeric
        Life before and after the change [years].
    change_year : float
        Start of the year from which the new life applies [decimal year]: 2025 for 1 January 2025, 2022.5
        for Microsoft's fiscal 2023 (from 1 July 2022, with vintages on the same fiscal grid).
    convention : {"spread", "mid_year"}
        Placement within the year.

    Returns
    -------
    ndarray, shape (...)
        New minus old depreciation in the year from ``change_year`` [USD]: negative for a
        longer life (Meta 5 -> 5.5: about -$2.9B), positive for a shorter one
        (Amazon 6 -> 5: about +$0.7B of depreciation, i.e. less operating
        income).

    Notes
    -----
    For a unit aged ``a`` (``a + 1 <= L_new``, ``a + 1 <= L_old``) the effect
    is ``(1 - a / L_o) / (L_n - a) - 1 / L_o = (L_o - L_n) / (L_o (L_n - a))``
    (docs/model.md §15): for Meta ``-1 / (10 (5.5 - a))``, -2% of the base of a
    half-year-old vintage; for Amazon ``+1 / (6 (5 - a))``, +3.7%.
    """
    vintages = np.asarray(vintage_years, dtype=np.float64)
    capex = np.asarray(capex_by_year, dtype=np.float64)
    in_service = vintages + (1.0 if convention == "spread" else 0.5) <= float(change_year)
    capex = np.where(in_service, capex, 0.0)
    year = np.asarray([float(change_year)])
    changed = life_change_depreciation_by_year(capex, old_life_years, new_life_years, change_year, year,
                                               convention, vintages)
    unchanged = depreciation_by_year(capex, old_life_years, year, convention, vintages)
    return (changed - unchanged)[..., 0]


def depreciation_gap(book_usd, economic_usd):
    """Understated depreciation: economic minus book [USD].

    Positive where the book life is longer than the economic one and the
    fleet is young (the book charge is too low); negative in the years when
    economically dead assets are still depreciated on the books.
    """
    return np.asarray(economic_usd, dtype=np.float64) - np.asarray(book_usd, dtype=np.float64)


def depreciation_gap_by_year(capex_by_year, book_life_years, economic_life_years, years, convention="spread",
                             vintage_years=None):
    """Understated depreciation by year, economic minus book, of the same vintages [USD].

    Parameters as :func:`depreciation_by_year`, with two lives [years]. Over
    all years the gap sums to zero (both lives write off the same base); a
    growing fleet shows a positive gap while the book life is the longer one.
    """
    book = depreciation_by_year(capex_by_year, book_life_years, years, convention, vintage_years)
    economic = depreciation_by_year(capex_by_year, economic_life_years, years, convention, vintage_years)
    return depreciation_gap(book, economic)


def window_total(values_by_year, years, first_year, last_year):
    """Sum over the years ``first_year <= y <= last_year`` (last axis) [same unit as the values]."""
    years = np.asarray(years, dtype=np.float64)
    inside = (years >= first_year) & (years <= last_year)
    return np.sum(np.where(inside, np.asarray(values_by_year, dtype=np.float64), 0.0), axis=-1)


def after_tax_overstatement(gap_usd, tax_rate):
    """Earnings overstated after tax by understated depreciation: ``gap * (1 - tax_rate)`` [USD].

    Parameters
    ----------
    gap_usd : numeric
        Pre-tax depreciation gap, economic minus book [USD].
    tax_rate : numeric
        Tax rate on the profit the gap inflates [-]; 21% is the US federal
        statutory rate (Tax Cuts and Jobs Act, 2018).
    """
    return np.asarray(gap_usd, dtype=np.float64) * (1.0 - np.asarray(tax_rate, dtype=np.float64))


def affine_solve(value_at_zero, value_at_one, target):
    """``k`` with ``f(k) = target`` for an affine ``f`` known at 0 and 1 [-].

    The fleet gap is linear in the server share and in a multiplier of the
    projected capex, so "which share (or which capex path) gives Burry's
    $176B" has the closed form ``k = (target - f(0)) / (f(1) - f(0))``;
    NaN where ``f`` does not depend on ``k``.
    """
    f0 = np.asarray(value_at_zero, dtype=np.float64)
    slope = np.asarray(value_at_one, dtype=np.float64) - f0
    safe = np.where(slope != 0.0, slope, 1.0)
    return np.where(slope != 0.0, (np.asarray(target, dtype=np.float64) - f0) / safe, np.nan)


def bisect(function, target, lower, upper, iterations=100):
    """Vectorized bisection: ``x`` in ``[lower, upper]`` with ``function(x) = target``.

    Parameters
    ----------
    function : callable
        Maps an array of ``x`` to an array of values (broadcasting).
    target, lower, upper : numeric
        Target value and bracket; broadcast together.
    iterations : int
        Halvings; 100 reach float64 resolution for any bracket.

    Returns
    -------
    ndarray
        The root where ``function(lower) - target`` and ``function(upper) -
        target`` differ in sign (a root at a bracket end counts); NaN where
        they do not (no root bracketed). As ``numpy_financial.rate``, a
        per-element mask rather than an exception.
    """
    target = np.asarray(target, dtype=np.float64)
    lo = np.asarray(lower, dtype=np.float64) + 0.0 * target
    hi = np.asarray(upper, dtype=np.float64) + 0.0 * target
    f_lo = function(lo) - target
    f_hi = function(hi) - target
    bracketed = np.sign(f_lo) * np.sign(f_hi) <= 0.0
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        f_mid = function(mid) - target
        left = np.sign(f_mid) * np.sign(f_lo) <= 0.0
        hi = np.where(left, mid, hi)
        lo = np.where(left, lo, mid)
        f_lo = np.where(left, f_lo, f_mid)
    return np.where(bracketed, 0.5 * (lo + hi), np.nan)
