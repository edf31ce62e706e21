"""A mergeable quantile sketch with a relative-error guarantee (DDSketch-style).

A value ``x`` with ``|x| >= MIN_MAGNITUDE`` falls in bucket
``k = ceil(log_gamma |x|)`` on its sign's side, with ``gamma = (1 + a) / (1 - a)``;
a bucket is reported as ``2 gamma^k / (gamma + 1)``, within relative error ``a``
of every value in it. ``|x| < MIN_MAGNITUDE`` counts as zero (absolute error
below ``MIN_MAGNITUDE``); magnitudes above ``MAX_MAGNITUDE`` go to the last
bucket; infinities have their own end buckets; NaN is not counted. Buckets are
laid out in increasing order of ``x``, so a quantile is a cumulative-count
search, and merging two sketches is adding their counts - exact and
order-free.

References
----------
.. [1] Masson, Rim, Lee, "DDSketch: a fast and fully-mergeable quantile sketch
   with relative-error guarantees", PVLDB 12(12), 2019.
"""

from __future__ import annotations

import math

import numpy as np

RELATIVE_ACCURACY = 0.005
"""Relative error bound of every reported quantile [-] (0.5%)."""

MIN_MAGNITUDE = 1e-9
MAX_MAGNITUDE = 1e18

GAMMA = (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY)
LOG_GAMMA = math.log(GAMMA)
K_MIN = math.ceil(math.log(MIN_MAGNITUDE) / LOG_GAMMA)
K_MAX = math.ceil(math.log(MAX_MAGNITUDE) / LOG_GAMMA)
SIDE = K_MAX - K_MIN + 1
"""Buckets on each sign's side."""

N_BUCKETS = 2 * SIDE + 3
"""-inf, negative side (descending magnitude), zero, positive side, +inf."""

ZERO = SIDE + 1


def bucket_ids(xp, values):
    """Bucket of each value (int64 array; NaN gets -1)."""
    magnitude = xp.abs(values)
    finite = xp.isfinite(values)
    safe = xp.where(finite & (magnitude >= MIN_MAGNITUDE), magnitude, 1.0)
    k = xp.clip(xp.ceil(xp.log(safe) / LOG_GAMMA), float(K_MIN), float(K_MAX)) - K_MIN
    positive = ZERO + 1.0 + k
    negative = ZERO - 1.0 - k
    ids = xp.where(values > 0, positive, negative)
    ids = xp.where(magnitude < MIN_MAGNITUDE, float(ZERO), ids)
    ids = xp.where(values == math.inf, float(N_BUCKETS - 1), ids)
    ids = xp.where(values == -math.inf, 0.0, ids)
    ids = xp.where(xp.isnan(values), -1.0, ids)
    return xp.astype(ids, xp.int64)


def bucket_value(bucket: int) -> float:
    """The value a bucket reports."""
    if bucket == 0:
        return -math.inf
    if bucket == N_BUCKETS - 1:
        return math.inf
    if bucket == ZERO:
        return 0.0
    if bucket > ZERO:
        k = bucket - ZERO - 1 + K_MIN
        return 2.0 * GAMMA**k / (GAMMA + 1.0)
    k = ZERO - 1 - bucket + K_MIN
    return -2.0 * GAMMA**k / (GAMMA + 1.0)


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
