"""The layers point one way (docs: README "Layout"; issue: trust and structure).

model <- scenario <- engines (calibration, grid_engine, macro, valuation) <- report <- cli. Every ``import``
in every module is read with :mod:`ast`, function-level (lazy) imports included, so a lazy import cannot hide
an upward reference. The rules are the issue's: backends return raw buffers and import nothing from the grid
engine; no model module imports a report; rendering lives in ``report`` and only ``cli`` imports ``cli``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dcecon"

FORBIDDEN = {
    # package: the packages it must not import
    "model": ("scenario", "grid_engine", "calibration", "macro", "valuation", "report", "cli", "kinds", "backends",
              "evaluate"),
    "backends": ("grid_engine", "calibration", "report", "cli", "kinds", "evaluate", "scenario"),
    "scenario": ("grid_engine", "calibration", "report", "cli", "kinds", "evaluate"),
    "grid_engine": ("report", "cli", "kinds"),
    "calibration": ("report", "cli", "kinds"),
    "macro": ("report", "cli", "kinds", "valuation"),
    "valuation": ("report", "cli", "kinds", "macro"),
    "capital": ("report", "cli", "kinds", "macro", "demand", "grid_engine", "calibration", "fidelity"),
    "demand": ("report", "cli", "kinds", "valuation", "capital", "grid_engine", "calibration", "fidelity"),
    "fidelity": ("report", "cli"),
    "analysis": ("report", "cli", "fidelity"),
    "report": ("cli",),
    "result": ("grid_engine", "calibration", "macro", "valuation", "report", "cli", "kinds", "evaluate"),
    "evaluate": ("grid_engine", "calibration", "macro", "valuation", "report", "cli", "kinds"),
    "io": ("cli", "report", "grid_engine", "calibration", "macro", "valuation", "kinds", "evaluate", "model",
           "backends"),
    "errors": ("cli", "report", "grid_engine", "calibration", "macro", "valuation", "kinds", "evaluate", "model",
               "backends", "scenario", "io"),
}


def _imports(path: Path) -> list[tuple[int, str]]:
    """``(line, module)`` of every import in ``path``, relative imports resolved against the package."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(("dcecon",) + path.relative_to(PACKAGE).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


def _top(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return parts[0]


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if _top(p) in FORBIDDEN)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path):
    top = _top(path)
    upward = [f"{path.relative_to(PACKAGE)}:{line} imports {module}" for line, module in _imports(path)
              if any(module == f"dcecon.{name}" or module.startswith(f"dcecon.{name}.") for name in FORBIDDEN[top])]
    assert not upward, "\n".join(upward)


def test_the_rules_cover_every_package():
    """A new top-level package must say where it sits (add it to FORBIDDEN)."""
    tops = {_top(p) for p in PACKAGE.rglob("*.py")} - {"__init__", "__main__"}
    assert tops <= set(FORBIDDEN) | {"cli", "kinds"}, sorted(tops - set(FORBIDDEN))


def test_every_package_is_listed_for_installation():
    """pyproject.toml lists the packages explicitly (package-dir maps kernels/ and scenarios/ in): a package left out
    would be missing from a wheel, though an editable install still finds it."""
    import tomllib

    listed = set(tomllib.loads((PACKAGE.parents[1] / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(("dcecon",) + p.parent.relative_to(PACKAGE).parts) for p in PACKAGE.rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
