"""Bundled scenario files of dcecon, shipped as package data (``dcecon.scenarios``).

List them with ``dcecon scenarios``; run one by name with ``dcecon run oracle-fy26q1``.
"""
