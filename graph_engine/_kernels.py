"""Compiled inner loops: only where numpy and scipy cannot express the work.

The loops are plain C (`_ckernels.c`, built into the library ``graph_engine._ckernels``
when the package is installed) and called through ctypes, which releases the GIL, so
blocks run on threads. Loading them costs about a millisecond: no JIT, nothing compiled
at run time. Callers pass well-formed CSR arrays (the graph's own): the C code does no
bounds checks, so this module fixes the dtypes and contiguity it relies on.

`build_pattern` checks a CSR once and builds its transpose; `shared_counts` counts, for a
block of creators, the followers they share with the other
creators. scipy's sparse product computes every (a, b) entry of B·Bᵀ; the overlap needs
only b > a, and walking each follower's sorted creator list from the end stops at a,
which halves the work. The counting array is one int64 per creator (small, cache-local),
and the next followers' creator lists are prefetched while one is counted.
"""

from __future__ import annotations

import ctypes
import importlib.util
from dataclasses import dataclass
from functools import cache

import numpy as np

from graph_engine.errors import GraphEngineError

__all__ = ["Pattern", "build_pattern", "shared_counts"]

_P = ctypes.c_void_p
_I = ctypes.c_int64


@cache
def _library() -> ctypes.CDLL:
    """Load the compiled kernels once per process."""
    spec = importlib.util.find_spec("graph_engine._ckernels")
    if spec is None or spec.origin is None:
        raise GraphEngineError(
            "graph-engine's compiled kernels (graph_engine._ckernels) are not built; hint: "
            "reinstall the package (`pip install .` or `make test`), which needs a C compiler"
        )
    lib = ctypes.CDLL(spec.origin)
    lib.ge_transpose.argtypes = [_P, _P, _I, _I, _P, _P, _P]
    lib.ge_transpose.restype = None
    lib.ge_shared_counts.argtypes = [_P, _P, _P, _P, _I, _I, ctypes.c_int, _P, _P, _P, _P, _P]
    lib.ge_shared_counts.restype = _I
    return lib


def _flat(array: np.ndarray, dtype: type[np.integer]) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=dtype)


def _check_csr(indptr: np.ndarray, indices: np.ndarray) -> None:
    """Refuse a CSR the C loops would read or write out of bounds (O(rows), not O(edges))."""
    if indptr.size == 0 or indptr[0] != 0 or indptr[-1] != indices.size:
        raise ValueError(f"indptr must run from 0 to the {indices.size:,} indices")
    if indptr.size > 1 and bool((np.diff(indptr) < 0).any()):
        raise ValueError("indptr must not decrease")


@dataclass(frozen=True)
class Pattern:
    """A creators x followers CSR pattern and its transpose, as the C loops need them.

    Made by `build_pattern`, which checks the arrays once, so that `shared_counts` can be
    called for many blocks (on threads) without checking them again.
    """

    indptr: np.ndarray  # int64, creators + 1
    indices: np.ndarray  # int32 follower ids, sorted within each creator
    t_indptr: np.ndarray  # int64, followers + 1
    t_indices: np.ndarray  # int32 creator ids, sorted within each follower

    @property
    def n_rows(self) -> int:
        """The number of creators (rows)."""
        return int(self.indptr.size - 1)


def build_pattern(indptr: np.ndarray, indices: np.ndarray, n_columns: int) -> Pattern:
    """Check a CSR pattern and build its transpose (a counting sort, rows sorted).

    Parameters
    ----------
    indptr, indices
        The creators x followers CSR pattern.
    n_columns
        The number of followers (rows of the transpose).

    Returns
    -------
    Pattern
        The pattern in the kernels' types, with ``t_indptr``/``t_indices``: followers x
        creators, creators sorted within a row.

    Raises
    ------
    ValueError
        The offsets do not run from 0 to the number of indices, or decrease, or an index
        lies outside ``0 .. n_columns - 1``.
    """
    lib = _library()
    indptr, indices = _flat(indptr, np.int64), _flat(indices, np.int32)
    _check_csr(indptr, indices)
    if indices.size and (int(indices.min()) < 0 or int(indices.max()) >= n_columns):
        raise ValueError(f"indices must lie in 0..{n_columns - 1}")
    t_indptr = np.empty(n_columns + 1, dtype=np.int64)
    t_indices = np.empty(indices.size, dtype=np.int32)
    fill = np.empty(max(n_columns, 1), dtype=np.int64)
    lib.ge_transpose(
        indptr.ctypes.data,
        indices.ctypes.data,
        indptr.size - 1,
        n_columns,
        t_indptr.ctypes.data,
        t_indices.ctypes.data,
        fill.ctypes.data,
    )
    return Pattern(indptr, indices, t_indptr, t_indices)


def shared_counts(
    pattern: Pattern, lo: int, hi: int, upper: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count shared followers: (a, b, shared) for creators a in [lo, hi) and every b.

    Parameters
    ----------
    pattern
        The checked pattern and its transpose (`build_pattern`).
    lo, hi
        The block of creators a.
    upper
        Only b > a (each pair once); else every b != a.

    Returns
    -------
    tuple of numpy.ndarray
        ``(a, b, shared)`` as int64, grouped by a, b in the order first met, so the
        same input gives the same output.
    """
    lib = _library()
    n = pattern.n_rows
    if not 0 <= lo <= hi <= n:
        raise ValueError(f"shared_counts: block [{lo}, {hi}) is not within 0..{n}")
    rows = np.arange(lo, hi, dtype=np.int64)
    capacity = int((n - rows - 1).sum()) if upper else (hi - lo) * (n - 1)
    out = [np.empty(max(capacity, 0), dtype=np.int64) for _ in range(3)]
    counts = np.zeros(n, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    k = lib.ge_shared_counts(
        pattern.indptr.ctypes.data,
        pattern.indices.ctypes.data,
        pattern.t_indptr.ctypes.data,
        pattern.t_indices.ctypes.data,
        lo,
        hi,
        int(upper),
        counts.ctypes.data,
        touched.ctypes.data,
        *(o.ctypes.data for o in out),
    )
    a, b, shared = (o[:k].copy() for o in out)
    return a, b, shared
