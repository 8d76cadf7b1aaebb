"""Compiled inner loops (numba): only where numpy and scipy cannot express the work.

Callers pass well-formed CSR arrays (the graph's own): compiled code does no bounds checks.

`shared_counts` counts, for a block of creators, the followers they share with the other
creators. scipy's sparse product computes every (a, b) entry of B·Bᵀ; the overlap needs
only b > a, and walking each follower's sorted creator list from the end stops at a,
which halves the work. The counting array is one int64 per creator (small, cache-local).
Compiled once and cached on disk; the GIL is released, so blocks run on threads.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["shared_counts", "transpose"]


@numba.njit(cache=True, nogil=True)
def shared_counts(
    indptr: np.ndarray,
    indices: np.ndarray,
    t_indptr: np.ndarray,
    t_indices: np.ndarray,
    lo: int,
    hi: int,
    upper: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count shared followers: (a, b, shared) for creators a in [lo, hi) and every b.

    `indptr`/`indices`: creators x followers CSR; `t_indptr`/`t_indices`: its transpose
    with creators sorted within each follower. With `upper`, only b > a; else every
    b != a. Pairs come grouped by a, in a fixed order (first met), so the same input gives
    the same output.
    """
    n = indptr.size - 1
    counts = np.zeros(n, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    capacity = 0
    for a in range(lo, hi):
        capacity += (n - a - 1) if upper else (n - 1)
    out_a = np.empty(capacity, dtype=np.int64)
    out_b = np.empty(capacity, dtype=np.int64)
    out_s = np.empty(capacity, dtype=np.int64)
    k = 0
    for a in range(lo, hi):
        m = 0
        for p in range(indptr[a], indptr[a + 1]):
            f = indices[p]
            start = t_indptr[f]
            q = t_indptr[f + 1] - 1
            while q >= start:
                b = t_indices[q]
                q -= 1
                if b <= a:
                    if upper:
                        break  # sorted: every creator left of here is <= a
                    if b == a:
                        continue
                if counts[b] == 0:
                    touched[m] = b
                    m += 1
                counts[b] += 1
        for i in range(m):
            b = touched[i]
            out_a[k] = a
            out_b[k] = b
            out_s[k] = counts[b]
            counts[b] = 0
            k += 1
    return out_a[:k].copy(), out_b[:k].copy(), out_s[:k].copy()


@numba.njit(cache=True, nogil=True)
def transpose(
    indptr: np.ndarray, indices: np.ndarray, n_columns: int
) -> tuple[np.ndarray, np.ndarray]:
    """Build the CSR pattern of the transpose (no values), rows sorted: a counting sort.

    Parameters
    ----------
    indptr, indices
        The creators x followers CSR pattern.
    n_columns
        The number of followers (rows of the transpose).

    Returns
    -------
    tuple of numpy.ndarray
        ``(t_indptr, t_indices)``: followers x creators, creators sorted within a row.
    """
    t_indptr = np.zeros(n_columns + 1, dtype=np.int64)
    for p in range(indices.size):
        t_indptr[indices[p] + 1] += 1
    for j in range(n_columns):
        t_indptr[j + 1] += t_indptr[j]
    fill = t_indptr[:-1].copy()
    t_indices = np.empty(indices.size, dtype=np.int32)
    for row in range(indptr.size - 1):
        for p in range(indptr[row], indptr[row + 1]):
            j = indices[p]
            t_indices[fill[j]] = row
            fill[j] += 1
    return t_indptr, t_indices
