"""Analyses on the grid engine: tornado, data tables, Monte Carlo, Sobol/Morris, goal seek."""
