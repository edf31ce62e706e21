"""Valuation views of a fleet: book vs economic depreciation of hyperscaler capex (useful lives)."""
