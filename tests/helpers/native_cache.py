"""The session's native build folder, and ``python -m dcecon`` subprocesses that use it.

The fixtures ``native_cache`` (sets ``DCECON_CACHE_DIR`` to
:data:`CACHE_FOLDER` under the session's base temp) and ``native_lib`` (the
library built there) are in ``tests/conftest.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys

from helpers.paths import ROOT

CACHE_FOLDER = "dcecon-native-cache"
"""Folder under pytest's session base temp that holds the native build of this test session."""


def subprocess_env(cache_dir, **extra) -> dict:
    """Environment of a ``dcecon`` subprocess that uses the session's native cache (``extra``: more variables)."""
    env = dict(os.environ)
    env["DCECON_CACHE_DIR"] = str(cache_dir)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_cli(args, env, check=True) -> subprocess.CompletedProcess:
    """``python -m dcecon ARGS`` in a subprocess (the console script's code path), from the repository root.

    With ``check``, a non-zero exit status fails the test with its standard error.
    """
    done = subprocess.run([sys.executable, "-m", "dcecon", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    if check:
        assert done.returncode == 0, f"dcecon {' '.join(args)} failed ({done.returncode}):\n{done.stderr}"
    return done
