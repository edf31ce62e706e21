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


def _imports(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """``(line, module)`` of every import in ``path`` (or in ``source``, read as if it were that module's text),
    relative imports resolved against the package."""
    tree = ast.parse(path.read_text() if source is None else source, filename=str(path))
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


NOTEBOOK_DISPLAY = "dcecon.report.notebook"
"""The one upward import the rules allow: a result's ``_repr_html_`` (its Jupyter display) may import exactly
this module, lazily, inside the method, and hand itself over (``from dcecon.report.notebook import repr_html;
return repr_html(self)``), as pandas' ``DataFrame._repr_html_`` hands over to its formatting layer. The result
classes then show as tables in a notebook while their modules import nothing of the report layer when loaded."""

DISPLAY_METHOD = "_repr_html_"
"""The only function in which :data:`NOTEBOOK_DISPLAY` may be imported from a lower layer."""


def _display_imports(tree: ast.AST) -> set[int]:
    """Lines of the imports the notebook exception allows in a module: those of exactly :data:`NOTEBOOK_DISPLAY`
    (``import dcecon.report.notebook`` or ``from dcecon.report.notebook import ...``) that are statements of a
    function named :data:`DISPLAY_METHOD` itself (not of a function nested in it)."""
    allowed = set()
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or function.name != DISPLAY_METHOD:
            continue
        for node in function.body:
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == NOTEBOOK_DISPLAY:
                allowed.add(node.lineno)
            elif isinstance(node, ast.Import) and [alias.name for alias in node.names] == [NOTEBOOK_DISPLAY]:
                allowed.add(node.lineno)
    return allowed


def _upward(path: Path, tree: ast.AST, imports: list[tuple[int, str]]) -> list[str]:
    """The imports of a module that reach a layer above its own, less those the notebook exception allows."""
    top = _top(path)
    allowed = _display_imports(tree)
    return [f"{path.relative_to(PACKAGE)}:{line} imports {module}" for line, module in imports
            if any(module == f"dcecon.{name}" or module.startswith(f"dcecon.{name}.") for name in FORBIDDEN[top])
            and not (line in allowed and (module == NOTEBOOK_DISPLAY or module.startswith(f"{NOTEBOOK_DISPLAY}.")))]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_layer_above_its_own(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    upward = _upward(path, tree, _imports(path))
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


def test_the_notebook_exception_is_used_only_by_repr_html():
    """Every ``_repr_html_`` of a lower layer is the delegation and nothing else: a docstring, ``from
    dcecon.report.notebook import repr_html``, ``return repr_html(self)``; the result classes use it."""
    users = set()
    for path in MODULES:
        tree = ast.parse(path.read_text(), filename=str(path))
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) or function.name != DISPLAY_METHOD:
                continue
            where = f"{path.relative_to(PACKAGE)}:{function.lineno}"
            body = [n for n in function.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
            assert [ast.unparse(n) for n in body] == [f"from {NOTEBOOK_DISPLAY} import repr_html",
                                                      "return repr_html(self)"], where
            users.add(path.relative_to(PACKAGE).as_posix())
    assert users == {"result.py", "grid_engine/result.py", "analysis/tornado.py", "analysis/data_table.py",
                     "analysis/monte_carlo.py", "analysis/sobol.py", "analysis/morris.py", "analysis/goal_seek.py"}


@pytest.mark.parametrize("source, refused", [
    ("def _repr_html_(self):\n    from dcecon.report.notebook import repr_html\n    return repr_html(self)\n", False),
    ("def _repr_html_(self):\n    import dcecon.report.notebook\n", False),
    ("from dcecon.report.notebook import repr_html\n", True),  # at module level: refused
    ("def to_html(self):\n    from dcecon.report.notebook import repr_html\n", True),  # another function
    ("def _repr_html_(self):\n    from dcecon.report.fleet import render\n", True),  # another report module
    ("def _repr_html_(self):\n    from dcecon.report import notebook\n", True),  # not exactly the module
    ("def _repr_html_(self):\n    def inner():\n        from dcecon.report.notebook import repr_html\n", True),
    ("def _repr_html_(self):\n    from dcecon.report.notebook import repr_html\n    from dcecon.cli import main\n", True),
])
def test_the_notebook_exception_admits_nothing_else(source, refused):
    """The exception, applied to small modules of the ``analysis`` layer: only the import of exactly
    ``dcecon.report.notebook`` directly inside ``_repr_html_`` passes."""
    path = PACKAGE / "analysis" / "example.py"
    found = _upward(path, ast.parse(source), _imports(path, source))
    assert bool(found) == refused, found
