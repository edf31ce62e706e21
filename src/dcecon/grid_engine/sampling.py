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

Rank correlation between sampled dimensions (:func:`correlated_uniforms`) is
imposed with the Iman-Conover method within fixed blocks of
:data:`CORRELATION_BLOCK` draws aligned on the sample index, so any chunking
gives the same draws.

References
----------
.. [0] Iman, R. L., Conover, W. J., "A distribution-free approach to inducing
   rank correlation among input variables", Communications in Statistics -
   Simulation and Computation 11(3), 1982, 311-334.
.. [1] Owen, A. B., *Monte Carlo theory, methods and examples*, ch. 10 (LHS)
   and ch. 17 (scrambled nets).
.. [2] Steele, Lea, Flood, "Fast splittable pseudorandom number generators",
   OOPSLA 2014 (SplitMix64).
"""

from __future__ import annotations

import functools

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


CORRELATION_BLOCK = 1 << 16
"""Draws per Iman-Conover block: block ``b`` holds samples ``b * 65536 .. (b + 1) * 65536 - 1``."""

PSD_TOLERANCE = 1e-10
"""Smallest eigenvalue a rank-correlation matrix may have (more negative: not positive semi-definite)."""


def correlation_factor(matrix: np.ndarray) -> np.ndarray:
    """A factor ``P`` with ``P @ P.T == matrix`` of a positive semi-definite correlation matrix.

    The eigen-decomposition is used rather than Cholesky so that singular
    matrices (a correlation of 1) are accepted.

    Raises
    ------
    ValueError
        A matrix that is not symmetric with a unit diagonal and entries in [-1, 1], or not positive
        semi-definite (its smallest eigenvalue, in the message).
    """
    c = np.asarray(matrix, dtype=np.float64)
    if c.ndim != 2 or c.shape[0] != c.shape[1] or not np.allclose(c, c.T) or not np.allclose(np.diag(c), 1.0):
        raise ValueError("a correlation matrix must be square and symmetric with 1 on the diagonal")
    if np.any(np.abs(c) > 1.0):
        raise ValueError("correlations must lie in [-1, 1]")
    eigenvalues, vectors = np.linalg.eigh(c)
    if eigenvalues.min() < -PSD_TOLERANCE:
        raise ValueError(f"the correlation matrix is not positive semi-definite (smallest eigenvalue "
                         f"{eigenvalues.min():.4g})")
    return vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))


def pearson_for_spearman(spearman: np.ndarray) -> np.ndarray:
    """Pearson correlation of a bivariate normal with the given Spearman rank correlation, ``2 sin(pi rho_s / 6)``
    (Pearson 1907; Kruskal 1958) [-]."""
    return 2.0 * np.sin(np.pi * np.asarray(spearman, dtype=np.float64) / 6.0)


def score_factor(spearman: np.ndarray) -> np.ndarray:
    """Factor ``P`` of the normal scores' correlation that gives the rank correlation ``spearman``.

    ``spearman`` must be positive semi-definite (:func:`correlation_factor` raises otherwise); its
    Pearson counterpart (:func:`pearson_for_spearman`) is made so by clipping negative eigenvalues when it is
    not, which can happen only for matrices at the edge of the PSD cone.
    """
    correlation_factor(spearman)  # checks the requested matrix
    c = pearson_for_spearman(spearman)
    eigenvalues, vectors = np.linalg.eigh(c)
    return vectors * np.sqrt(np.clip(eigenvalues, 0.0, None))


def iman_conover(u: np.ndarray, factor: np.ndarray, seed: int, block: int) -> np.ndarray:
    """Reorder each column of ``u`` so that its ranks follow the target rank correlation ``factor @ factor.T``.

    Iman & Conover (1982): van der Waerden scores ``Phi^-1(i / (n + 1))`` are
    put in a keyed random order in each column (``S``), decorrelated by the
    Cholesky factor ``F`` of their own correlation and given the target's
    (``T = S F^-T P^T``); each column of ``u`` is then sorted and laid out
    in the rank order of ``T``'s column. Every column keeps its values (its
    marginal distribution); only the pairing across columns changes.

    The scores are normal, so their Pearson correlation ``r`` gives a rank
    (Spearman) correlation of ``(6 / pi) arcsin(r / 2)``; ``factor`` is
    therefore that of :func:`pearson_for_spearman` of the target.

    Parameters
    ----------
    u : numpy.ndarray
        Uniforms of one block, shape ``(n, d)``.
    factor : numpy.ndarray
        ``P`` with ``P @ P.T`` the correlation of the scores, shape ``(d, d)``.
    seed, block : int
        Key the order of the scores (deterministic from the seed and the block index).
    """
    from scipy import stats

    n, d = u.shape
    if n <= d + 1:
        return u
    scores = stats.norm.ppf(np.arange(1, n + 1) / (n + 1))
    s = np.stack([np.random.default_rng([seed, block, k]).permutation(scores) for k in range(d)], axis=1)
    f = np.linalg.cholesky(np.corrcoef(s, rowvar=False).reshape(d, d))
    t = np.linalg.solve(f, s.T).T @ factor.T
    out = np.empty_like(u)
    for k in range(d):
        ranks = np.empty(n, dtype=np.int64)
        ranks[np.argsort(t[:, k], kind="stable")] = np.arange(n)
        out[:, k] = np.sort(u[:, k])[ranks]
    return out


@functools.lru_cache(maxsize=8)
def _correlated_block(sampler: str, n_samples: int, dims: int, block: int, seed: int, key: tuple) -> np.ndarray:
    """Uniforms of one whole Iman-Conover block, correlated (cached: chunks smaller than a block share it)."""
    lo = block * CORRELATION_BLOCK
    hi = lo + CORRELATION_BLOCK
    if sampler == "lhs":  # strata exist only below n_samples
        hi = min(hi, n_samples)
    u = uniforms(sampler, n_samples, dims, lo, hi, seed)
    correlated = np.array(key[0], dtype=bool)
    factor = np.asarray(key[1], dtype=np.float64)
    if correlated.any():
        u[:, correlated] = iman_conover(u[:, correlated], factor, seed, block)
    u.setflags(write=False)
    return u


def correlated_uniforms(sampler: str, n_samples: int, dims: int, samples: np.ndarray, seed: int,
                        correlation: np.ndarray) -> np.ndarray:
    """Uniforms of the sample indices ``samples`` with the rank correlation ``correlation`` between dimensions.

    Block ``b`` of :data:`CORRELATION_BLOCK` samples is always drawn whole
    (``b * B .. (b + 1) * B - 1``; with ``lhs``, up to ``n_samples``) and
    correlated as one (:func:`iman_conover`), so sample ``j``'s point is the
    same however the run is chunked, and with ``random`` the draws of a run
    are the first draws of any longer run with the same seed. Dimensions with
    no correlation to any other keep their draws.

    Parameters
    ----------
    sampler : {'sobol', 'lhs', 'random'}
    n_samples : int
        Samples of the run (LHS strata).
    dims : int
        Sampled dimensions.
    samples : numpy.ndarray
        Global sample indices (int64, any order).
    seed : int
    correlation : numpy.ndarray
        Target rank-correlation matrix, shape ``(dims, dims)``, positive semi-definite.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(samples), dims)``.
    """
    c = np.asarray(correlation, dtype=np.float64)
    correlated = np.any((c != 0) & ~np.eye(dims, dtype=bool), axis=1)
    sub = c[np.ix_(correlated, correlated)]
    key = (tuple(bool(x) for x in correlated), tuple(map(tuple, score_factor(sub))) if correlated.any() else ())
    samples = np.asarray(samples, dtype=np.int64)
    out = np.empty((len(samples), dims))
    blocks = samples // CORRELATION_BLOCK
    for b in np.unique(blocks):
        mask = blocks == b
        u = _correlated_block(sampler, int(n_samples), int(dims), int(b), int(seed), key)
        out[mask] = u[samples[mask] - int(b) * CORRELATION_BLOCK]
    return out
