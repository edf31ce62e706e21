"""Circular deals: a supplier funds a customer that buys the supplier's products.

The loop this module was written for (all figures as reported; sources in
the references below; formulas in docs/model.md §14)::

    Nvidia --(invests up to $100B, $10B per GW as each GW is deployed)--> OpenAI
    OpenAI --(pays about $60B a year for about 5 years from 2027, 4.5 GW)--> Oracle
    Oracle --(buys GPU systems, about $35B of the $50-60B each GW costs)--> Nvidia

Two ratios describe it:

- :func:`investment_to_supplier_sales`: the supplier's investment per dollar
  of its systems bought for the same GW, i.e. the most of that spend the
  investment could fund if all of it went to the supplier's systems. What is
  unknown: how OpenAI spends the equity (the deal does not tie it to Nvidia
  purchases), who buys the systems (OpenAI or the clouds that build for it),
  and whether all of "up to $100B" is invested (a letter of intent, paid as
  each GW is deployed). So it is an upper bound, not a measured
  "self-funded" share;
- :func:`revenue_coverage`: the share of the customer's contracted payments
  that its present revenue covers.

Pure functions of numbers or arrays (they broadcast); no namespace needed.

References
----------
.. [1] NVIDIA and OpenAI, "OpenAI and NVIDIA announce strategic partnership to
   deploy 10 gigawatts of NVIDIA systems" (2025-09-22): a letter of intent; at
   least 10 GW; up to $100B, invested progressively as each gigawatt is deployed;
   https://nvidianews.nvidia.com/news/openai-and-nvidia-announce-strategic-partnership-to-deploy-10gw-of-nvidia-systems
.. [2] Jensen Huang, Nvidia Q2 FY2026 earnings call (2025-08-27): a gigawatt
   of AI data center costs $50-60B, about $35B of it Nvidia systems;
   https://investor.nvidia.com/
.. [3] Wall Street Journal (2025-09-10): OpenAI to buy about $300B of
   computing power from Oracle over about five years from 2027; the 4.5 GW
   from OpenAI, "Stargate advances with 4.5 GW partnership with Oracle"
   (2025-07-22).
.. [4] OpenAI revenue about $13B in 2025: Brad Gerstner's figure, which Sam
   Altman answered was "well more" (BG2 podcast, 2025-11).
"""

from __future__ import annotations


def investment_to_supplier_sales(investment_usd, customer_spend_with_supplier_usd):
    """The supplier's investment per dollar of its systems bought for the same build-out [-].

    Parameters
    ----------
    investment_usd : numeric
        What the supplier invests in the customer [USD].
    customer_spend_with_supplier_usd : numeric
        What the customer (directly, or through an intermediary such as a
        cloud that builds for it) spends on the supplier's products over the
        same build-out [USD].

    Notes
    -----
    ``ratio = investment_usd / customer_spend_with_supplier_usd``: the share
    of that spend the investment could fund **if all of it went to the
    supplier's systems** (an upper bound on the circularity; the deal does
    not say how the money is spent, nor who buys the systems). A value above
    1 means the supplier invests more than it sells and is returned as it
    is. Nvidia -> OpenAI: $10B invested per GW against about $35B of Nvidia
    systems per GW: 10 / 35 = 28.6% at most.
    """
    return investment_usd / customer_spend_with_supplier_usd


def revenue_coverage(customer_revenue_usd_per_year, contracted_payments_usd_per_year):
    """Share of a customer's contracted payments covered by its revenue [-].

    Parameters
    ----------
    customer_revenue_usd_per_year : numeric
        The customer's revenue [USD/year] (all of it: no costs are deducted,
        so this is an upper bound on what revenue alone can pay).
    contracted_payments_usd_per_year : numeric
        Payments it has contracted to make [USD/year].

    Notes
    -----
    ``coverage = revenue / payments``. OpenAI: about $13B of 2025 revenue
    against about $60B a year owed to Oracle from 2027: 13 / 60 = 21.7%.
    Below 1 the rest must come from revenue growth, new capital or the
    supplier's investment.
    """
    return customer_revenue_usd_per_year / contracted_payments_usd_per_year


def deal_summary(investment_usd, deployed_gw, capex_usd_per_gw, supplier_systems_usd_per_gw):
    """The supplier-to-customer leg: investment per GW and the share of sales it funds.

    Parameters
    ----------
    investment_usd : numeric
        Supplier's investment in the customer [USD] (Nvidia -> OpenAI: up to $100B).
    deployed_gw : numeric
        GW the investment is tied to [GW] (at least 10).
    capex_usd_per_gw : numeric
        All-in cost of a GW [USD/GW] (Huang: $50-60B).
    supplier_systems_usd_per_gw : numeric
        The supplier's products in that cost [USD/GW] (Huang: about $35B).

    Returns
    -------
    dict
        ``investment_usd_per_gw = investment / gw``;
        ``supplier_sales_usd = gw * systems_per_gw``;
        ``investment_to_supplier_sales = investment / supplier_sales``
        (:func:`investment_to_supplier_sales`, an upper bound);
        ``build_capex_usd = gw * capex_per_gw``;
        ``investment_share_of_build_capex = investment / build_capex``;
        ``supplier_share_of_capex = systems_per_gw / capex_per_gw``.
    """
    supplier_sales = deployed_gw * supplier_systems_usd_per_gw
    build_capex = deployed_gw * capex_usd_per_gw
    return {
        "investment_usd_per_gw": investment_usd / deployed_gw,
        "supplier_sales_usd": supplier_sales,
        "investment_to_supplier_sales": investment_to_supplier_sales(investment_usd, supplier_sales),
        "build_capex_usd": build_capex,
        "investment_share_of_build_capex": investment_usd / build_capex,
        "supplier_share_of_capex": supplier_systems_usd_per_gw / capex_usd_per_gw,
    }


def contract_summary(payments_usd_per_year, contract_years, contracted_gw, customer_revenue_usd_per_year):
    """The customer-to-intermediary leg: what is owed and how much of it revenue covers.

    Parameters
    ----------
    payments_usd_per_year : numeric
        Contracted payments [USD/year] (OpenAI -> Oracle: about $60B).
    contract_years : numeric
        Length of the contract [years] (about 5).
    contracted_gw : numeric
        Capacity contracted [GW] (4.5).
    customer_revenue_usd_per_year : numeric
        The customer's revenue [USD/year] (OpenAI 2025: about $13B).

    Returns
    -------
    dict
        ``contract_total_usd = payments * years``;
        ``payments_usd_per_gw_year = payments / gw``;
        ``revenue_coverage`` (:func:`revenue_coverage`);
        ``funding_gap_usd_per_year = payments - revenue``.
    """
    return {
        "contract_total_usd": payments_usd_per_year * contract_years,
        "payments_usd_per_gw_year": payments_usd_per_year / contracted_gw,
        "revenue_coverage": revenue_coverage(customer_revenue_usd_per_year, payments_usd_per_year),
        "funding_gap_usd_per_year": payments_usd_per_year - customer_revenue_usd_per_year,
    }


def loop_summary(investment_usd, deployed_gw, capex_usd_per_gw, supplier_systems_usd_per_gw,
                 payments_usd_per_year, contract_years, contracted_gw, customer_revenue_usd_per_year):
    """The whole loop supplier -> customer -> intermediary -> supplier (Nvidia -> OpenAI -> Oracle -> Nvidia).

    Parameters are those of :func:`deal_summary` and :func:`contract_summary`.

    Returns
    -------
    dict
        The figures of both legs, and for the intermediary's part of the loop:

        - ``intermediary_capex_usd = contracted_gw * capex_usd_per_gw``: what
          the intermediary (Oracle) spends to build the contracted GW;
        - ``intermediary_spend_with_supplier_usd = contracted_gw *
          supplier_systems_usd_per_gw``: the part of it that flows to the
          supplier (Nvidia);
        - ``supplier_investment_in_loop_usd = contracted_gw * investment_usd /
          deployed_gw``: the supplier's investment released for those GW;
        - ``loop_investment_to_supplier_sales``: the second over the first
          (:func:`investment_to_supplier_sales`, an upper bound);
        - ``investment_share_of_contract = supplier_investment_in_loop /
          contract_total``: the share of what the customer owes the
          intermediary that the supplier's investment can pay;
        - ``contract_to_intermediary_capex = contract_total /
          intermediary_capex``: the intermediary's contracted revenue per
          dollar it builds with (before power, staff and financing).

    Notes
    -----
    Assumptions, stated because the deals do not say:

    1. the intermediary builds at the same all-in cost per GW as the deal
       (Huang's $50-60B) and the supplier's share of its spend is the same
       (about $35B per GW, 64% at the $55B mid-point);
    2. the contracted GW count toward the GW that release the supplier's
       investment ($10B per GW), i.e. the Oracle capacity is part of the 10 GW.

    Under both, the loop's investment-to-sales ratio equals the deal's (per
    GW, $10B of $35B), whatever the number of GW; the contract changes who
    carries the rest.
    """
    per_gw = investment_usd / deployed_gw
    contract = contract_summary(payments_usd_per_year, contract_years, contracted_gw, customer_revenue_usd_per_year)
    spend_with_supplier = contracted_gw * supplier_systems_usd_per_gw
    investment_in_loop = contracted_gw * per_gw
    intermediary_capex = contracted_gw * capex_usd_per_gw
    return {
        **deal_summary(investment_usd, deployed_gw, capex_usd_per_gw, supplier_systems_usd_per_gw),
        **contract,
        "intermediary_capex_usd": intermediary_capex,
        "intermediary_spend_with_supplier_usd": spend_with_supplier,
        "supplier_investment_in_loop_usd": investment_in_loop,
        "loop_investment_to_supplier_sales": investment_to_supplier_sales(investment_in_loop, spend_with_supplier),
        "investment_share_of_contract": investment_in_loop / contract["contract_total_usd"],
        "contract_to_intermediary_capex": contract["contract_total_usd"] / intermediary_capex,
    }
