"""Helpers shared by several test modules: plain modules, imported as ``helpers.<module>``.

``tests/`` has no ``__init__.py``, so pytest's default ``prepend`` import
mode puts ``tests/`` first on ``sys.path`` before it imports
``tests/conftest.py`` and the test modules; ``from helpers.parity_cases
import ALL_CASES`` then works whatever the working directory (``python -m
pytest -q`` from the repository root, as CI runs it, or ``pytest
tests/test_float32.py``). ``tests/conftest.py`` registers this package for
pytest's assertion rewriting, so a failed ``assert`` here shows its values.

- :mod:`helpers.paths`: the repository root and the bundled scenario files;
- :mod:`helpers.gpu`: whether CuPy sees a usable GPU, and the ``gpu`` marks;
- :mod:`helpers.native_cache`: the session's native build folder and
  ``python -m dcecon`` subprocesses that use it (the fixtures
  ``native_cache`` and ``native_lib`` live in ``tests/conftest.py``);
- :mod:`helpers.parity_cases`: the scenarios and grids every kernel is
  checked on (``tests/test_native_parity.py``, ``test_float32.py``,
  ``test_gpu_parity.py``);
- :mod:`helpers.parity_checks`: the NumPy reference and the scale-aware
  comparisons of a kernel's metrics and grid reductions against it;
- :mod:`helpers.tolerances`: the float64 and float32 tolerances, with where
  their values come from.
"""
