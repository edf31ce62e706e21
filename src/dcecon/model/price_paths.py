"""Rental price paths beyond a constant yearly decline (docs/model.md §11).

The price of a cohort in a period is its age-0 price times three factors:

- the constant yearly decline with age, ``(1 - d) ** a`` (docs/model.md §2);
- a one-off step cut at a calendar date, ``1 - cut`` from the first period
  that starts on or after ``price_step_year`` (a DeepSeek-style shock);
- generation steps: a new GPU generation arrives every
  ``generation_interval_years`` from ``next_generation_year``, and each
  arrival cuts the older cohort's price by ``generation_price_cut``:
  ``(1 - cut) ** k`` with ``k`` the arrivals up to the period start.

Dates are compared at the start of each period, with a 1e-9-year tolerance.
A cohort without a step has ``price_step_year = +inf``; without generations,
``next_generation_year = +inf``.

References
----------
.. [1] Epoch AI, "Trends in GPU Price-Performance" (2022): GPU price-performance
   doubles about every 2.5 years; https://epoch.ai/blog/trends-in-gpu-price-performance
.. [2] DeepSeek R1 vs OpenAI o1: output $2.19 vs $60 per million tokens (DeepSeek API
   pricing, Jan 2025, https://api-docs.deepseek.com/quick_start/pricing; OpenAI API
   pricing, https://openai.com/api/pricing/).
.. [3] DeepSeek, "Day 6: One More Thing, DeepSeek-V3/R1 Inference System Overview"
   (2025-03-01, https://github.com/deepseek-ai/open-infra-index): about 14.8k output
   tokens/s per 8-GPU H800 node while decoding, H800s costed at $2 per GPU-hour.
"""

from __future__ import annotations

DATE_TOLERANCE_YEARS = 1e-9


def step_factor(xp, period_start_year, price_step_year, price_step_cut):
    """``1 - cut`` from the step date on, 1 before it [-]."""
    return xp.where(period_start_year >= price_step_year - DATE_TOLERANCE_YEARS, 1.0 - price_step_cut, 1.0)


def generation_arrivals(xp, period_start_year, next_generation_year, generation_interval_years):
    """Generations that have arrived by the period start: ``floor((t - t0) / N) + 1`` once ``t >= t0``."""
    since = period_start_year - next_generation_year
    arrived = xp.floor(since / generation_interval_years + DATE_TOLERANCE_YEARS) + 1.0
    return xp.where(since >= -DATE_TOLERANCE_YEARS, arrived, 0.0)


def generation_factor(xp, period_start_year, next_generation_year, generation_interval_years, generation_price_cut):
    """``(1 - cut) ** arrivals`` [-]."""
    arrivals = generation_arrivals(xp, period_start_year, next_generation_year, generation_interval_years)
    return (1.0 - generation_price_cut) ** arrivals


def usd_per_gpu_hour_from_tokens(price_usd_per_million_tokens, tokens_per_second_per_gpu):
    """Revenue per billed GPU-hour of token pricing [USD / GPU-hour].

    ``tokens/s x 3600 s/h x price / 1e6`` (issue: token economics).
    """
    return tokens_per_second_per_gpu * 3600.0 * price_usd_per_million_tokens / 1e6


def usd_per_million_tokens_from_gpu_hour(price_usd_per_gpu_hour, tokens_per_second_per_gpu):
    """The token price equivalent to a GPU-hour price [USD / million tokens]."""
    return price_usd_per_gpu_hour * 1e6 / (tokens_per_second_per_gpu * 3600.0)


def flat_breakeven_usd_per_million_tokens(cost_usd_per_billed_gpu_hour, tokens_per_second_per_gpu):
    """The flat token price at which lifetime gross profit is zero [USD / million tokens].

    Parameters
    ----------
    cost_usd_per_billed_gpu_hour : numeric
        Lifetime COGS over lifetime billed GPU-hours [USD / GPU-hour]
        (``cost_usd_per_billed_gpu_hour``, docs/model.md §8).
    tokens_per_second_per_gpu : numeric
        Tokens served per second per billed GPU [tokens/s/GPU].

    Notes
    -----
    ``flat = cost_usd_per_billed_gpu_hour * 1e6 / (tokens_per_second_per_gpu * 3600)``:
    the price that, held for every billed hour, makes revenue equal COGS.
    It differs from the row's ``breakeven_price_usd_per_million_tokens``, the
    **age-0** price with the cohort's whole price path (decline, step cut,
    generations) applied after it (docs/model.md §8, §11): with a step cut
    of ``c`` the age-0 break-even is the pre-cut list price needed, higher
    than the flat one. The two are equal when the price path is flat.
    DeepSeek's decode nodes (14.8k output tokens/s per 8 H800s, $2 per
    GPU-hour): $2 / (1,850 x 3,600 / 1e6) = $0.300 per million output tokens.
    """
    return usd_per_million_tokens_from_gpu_hour(cost_usd_per_billed_gpu_hour, tokens_per_second_per_gpu)
