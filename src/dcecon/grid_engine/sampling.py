"""Uniform variates for sampled dimensions, addressed by global sample index.

Every sampler returns the same points for sample ``j`` however the run is
chunked, so chunk size never changes a result and a resumed run equals an
uninterrupted one.

- ``sobol``: scrambled Sobol' points (``scipy.stats.qmc.Sobol``), reached with
  ``fast_forward``; best with a power-of-two sample count.
- ``lhs``: Latin hypercube. Stratum ``pi_k(j)`` of dimension ``k`` comes from a
  keyed pseudo-random permutation of ``0 .. N-1`` (a Feistel network with
  cycle walking), so no permutation table is stored; the offset inside the
  stratum is a hashed uniform.
- ``random``: counter-based uniforms: SplitMix64 of ``(seed, j, k)``.

References
----------
.. [1] Owen, A. B., *Monte Carlo theory, methods and examples*, ch. 10 (LHS)
   and ch. 17 (scrambled nets).
.. [2] Steele, Lea, Flood, "Fast splittable pseudorandom number generators",
   OOPSLA 2014 (SplitMix64).
"""

from __future__ import annotations

import numpy as np

SAMPLERS = ("sobol", "lhs", "random")

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix64(x: np.ndarray) -> np.ndarray:
    """The SplitMix64 finalizer of uint64 values (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = x.astype(np.uint64) + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        return z ^ (z >> np.uint64(31))


def hashed_uniform(seed: int, index: np.ndarray, stream: int) -> np.ndarray:
    """Uniform [0, 1) from ``(seed, index, stream)``, 53 random bits."""
    with np.errstate(over="ignore"):
        key = splitmix64(np.asarray([seed * 1_000_003 + stream], dtype=np.uint64))[0]
        z = splitmix64(index.astype(np.uint64) ^ key)
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def _feistel_permute(values: np.ndarray, n: int, seed: int, stream: int) -> np.ndarray:
    """A keyed bijection of ``0 .. n-1`` (Feistel network on the next even bit width, cycle walking)."""
    bits = max(2, int(np.ceil(np.log2(max(n, 2)))))
    bits += bits % 2
    half = bits // 2
    mask = np.uint64((1 << half) - 1)
    out = values.astype(np.uint64)
    pending = np.ones(out.shape, dtype=bool)
    result = out.copy()
    while pending.any():
        x = result[pending]
        left, right = x >> np.uint64(half), x & mask
        for round_ in range(4):
            key = np.uint64((seed * 0x2545F491 + stream * 0x9E37 + round_ * 0x61C8) & 0xFFFFFFFF)
            f = splitmix64(right ^ key) & mask
            left, right = right, left ^ f
        x = (left << np.uint64(half)) | right
        result[pending] = x
        pending[pending] = x >= np.uint64(n)
    return result.astype(np.int64)


def uniforms(sampler: str, n_samples: int, dims: int, start: int, stop: int, seed: int) -> np.ndarray:
    """Uniform variates of samples ``start .. stop - 1``, shape ``(stop - start, dims)``.

    Parameters
    ----------
    sampler : {'sobol', 'lhs', 'random'}
    n_samples : int
        Total number of samples of the run (LHS strata).
    dims : int
        Number of sampled dimensions.
    start, stop : int
        Global sample indices of the chunk.
    seed : int
        Seed of the run.
    """
    index = np.arange(start, stop, dtype=np.int64)
    if dims == 0:
        return np.empty((stop - start, 0))
    if sampler == "sobol":
        from scipy.stats import qmc

        engine = qmc.Sobol(d=dims, scramble=True, seed=seed)
        if start:
            engine.fast_forward(start)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the CLI notes a non-power-of-2 count once
            return engine.random(stop - start)
    if sampler == "lhs":
        columns = []
        for k in range(dims):
            stratum = _feistel_permute(index, n_samples, seed, k)
            offset = hashed_uniform(seed, index, 1000 + k)
            columns.append((stratum + offset) / n_samples)
        return np.stack(columns, axis=1)
    if sampler == "random":
        return np.stack([hashed_uniform(seed, index, k) for k in range(dims)], axis=1)
    raise ValueError(f"unknown sampler {sampler!r}; choose one of {', '.join(SAMPLERS)}")
