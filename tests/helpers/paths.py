"""The repository root and the bundled scenario files the tests read."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository root (``tests/helpers/paths.py`` -> ``.``)."""

SCENARIOS = ROOT / "scenarios"
"""The bundled scenario files."""

NEOCLOUD = SCENARIOS / "h100-neocloud-2024.toml"
"""An H100 neocloud fleet of 2024: one cohort, leased site, annual periods."""

GB200 = SCENARIOS / "gb200-nvl72-2025.toml"
"""A GB200 NVL72 build of 2025 in an owned 100 MW building."""

ORACLE = SCENARIOS / "oracle-fy26q1.toml"
"""Oracle's fiscal Q1 2026 AI cloud quarter: a Hopper and a Blackwell cohort on monthly periods."""

COREWEAVE = SCENARIOS / "coreweave-q3-2025.toml"
"""CoreWeave's Q3 2025 quarter: three leveraged vintages (calibrated to its results, see the file's header)."""
