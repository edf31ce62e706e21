"""A mergeable quantile sketch with a relative-error guarantee (log-linear buckets).

A finite value ``x`` with ``MIN_MAGNITUDE <= |x| < MAX_MAGNITUDE`` falls in the
bucket of its binary exponent ``e`` (``2^e <= |x| < 2^(e+1)``) and of the first
``SUB_BITS`` bits of its mantissa, ``s = floor((|x| / 2^e - 1) * 2^SUB_BITS)``,
on its sign's side (the layout of HDR histograms and of DDSketch's
"log-linear" mapping). A bucket spans a factor ``1 + 2^-SUB_BITS``, so its
midpoint is within relative error ``2^-(SUB_BITS+1)`` (0.39%) of every value in
it. ``|x| < MIN_MAGNITUDE`` counts as zero; magnitudes above
``MAX_MAGNITUDE`` go to the outermost bucket; infinities have their own end
buckets; NaN is not counted.

Buckets are laid out in increasing order of ``x``, so a quantile is a
cumulative-count search, and merging two sketches adds their counts: exact
and independent of order. On NumPy and CuPy the bucket comes straight from
the float's bits; other namespaces compute the same bucket exactly with
``log2`` and a power-of-two correction.

References
----------
.. [1] Masson, Rim, Lee, "DDSketch: a fast and fully-mergeable quantile sketch
   with relative-error guarantees", PVLDB 12(12), 2019.
.. [2] Tene, HdrHistogram (log-linear bucketing of IEEE-754 values).
"""

from __future__ import annotations

import math

import array_api_compat
import numpy as np

from dcecon.backends.contract import (  # the kernels bucket the same way: one definition, in the contract
    SKETCH_E_MAX as E_MAX,
    SKETCH_E_MIN as E_MIN,
    SKETCH_N_BUCKETS as N_BUCKETS,
    SKETCH_SIDE as SIDE,
    SKETCH_SUB_BITS as SUB_BITS,
    SKETCH_ZERO as ZERO,
)

RELATIVE_ACCURACY = 2.0 ** -(SUB_BITS + 1)
"""Relative error bound of every reported quantile [-] (0.39%)."""

MIN_MAGNITUDE = 2.0 ** E_MIN
MAX_MAGNITUDE = 2.0 ** (E_MAX + 1)
SUB = 1 << SUB_BITS


def _magnitude_index(xp, magnitude):
    """``(e - E_MIN) * SUB + s`` for magnitudes in ``[MIN_MAGNITUDE, MAX_MAGNITUDE)`` (float array)."""
    if array_api_compat.is_numpy_namespace(xp) or array_api_compat.is_cupy_namespace(xp):
        bits = magnitude.astype(np.float64).view(np.int64)
        key = (bits >> (52 - SUB_BITS)) - ((E_MIN + 1023) << SUB_BITS)
        return key
    e = xp.floor(xp.log2(magnitude))
    e = xp.where(2.0**e > magnitude, e - 1.0, e)
    e = xp.where(2.0 ** (e + 1.0) <= magnitude, e + 1.0, e)
    s = xp.floor((magnitude / 2.0**e - 1.0) * SUB)
    return xp.astype((e - E_MIN) * SUB + s, xp.int64)


_SIGN_MASK = np.int64(0x7FFFFFFFFFFFFFFF)
_EXPONENT_ALL_ONES = np.int64(0x7FF0000000000000)
_KEY_BASE = (E_MIN + 1023) << SUB_BITS


def _bucket_ids_from_bits(lib, values):
    """NumPy/CuPy fast path of :func:`bucket_ids`: the bucket from the IEEE-754 bits."""
    bits = values.astype(lib.float64, copy=False).view(lib.int64)
    magnitude = bits & _SIGN_MASK
    key = (magnitude >> (52 - SUB_BITS)) - _KEY_BASE
    lib.clip(key, -1, SIDE - 1, out=key)  # -1: below MIN_MAGNITUDE, the zero bucket
    ids = key + (ZERO + 1)
    lib.subtract(2 * ZERO, ids, out=ids, where=bits < 0)
    special = magnitude >= _EXPONENT_ALL_ONES  # inf or nan
    if bool(special.any()):
        ids[special & (magnitude == _EXPONENT_ALL_ONES) & (bits > 0)] = N_BUCKETS - 1
        ids[special & (magnitude == _EXPONENT_ALL_ONES) & (bits < 0)] = 0
        ids[special & (magnitude > _EXPONENT_ALL_ONES)] = -1
    return ids


def bucket_ids(xp, values):
    """Bucket of each value (int64 array; NaN gets -1)."""
    if array_api_compat.is_numpy_namespace(xp):
        return _bucket_ids_from_bits(np, values)
    if array_api_compat.is_cupy_namespace(xp):
        import cupy

        return _bucket_ids_from_bits(cupy, values)
    magnitude = xp.abs(values)
    inside = magnitude >= MIN_MAGNITUDE
    clipped = xp.clip(xp.where(inside & xp.isfinite(values), magnitude, MIN_MAGNITUDE), MIN_MAGNITUDE,
                      MAX_MAGNITUDE * (1.0 - 2.0**-52))
    k = _magnitude_index(xp, clipped)
    ids = xp.where(values > 0, ZERO + 1 + k, ZERO - 1 - k)
    ids = xp.where(inside, ids, ZERO)
    ids = xp.where(values == math.inf, N_BUCKETS - 1, ids)
    ids = xp.where(values == -math.inf, 0, ids)
    return xp.where(xp.isnan(values), -1, ids)


def bucket_value(bucket: int) -> float:
    """The value a bucket reports: the midpoint of its range."""
    if bucket == 0:
        return -math.inf
    if bucket == N_BUCKETS - 1:
        return math.inf
    if bucket == ZERO:
        return 0.0
    k = bucket - ZERO - 1 if bucket > ZERO else ZERO - 1 - bucket
    e, s = divmod(k, SUB)
    low = 2.0 ** (e + E_MIN) * (1.0 + s / SUB)
    mid = low * (1.0 + 0.5 / SUB)
    return mid if bucket > ZERO else -mid


def quantiles(counts: np.ndarray, qs) -> list[float]:
    """Quantiles ``qs`` of a sketch's bucket counts (the value of rank ``floor(q (n - 1))``)."""
    total = int(counts.sum())
    if total == 0:
        return [math.nan for _ in qs]
    cumulative = np.cumsum(counts)
    out = []
    for q in qs:
        rank = math.floor(q * (total - 1))
        bucket = int(np.searchsorted(cumulative, rank, side="right"))
        out.append(bucket_value(bucket))
    return out
