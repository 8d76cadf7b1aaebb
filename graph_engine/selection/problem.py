"""The objective: weighted coverage of elements (followers or audience signatures).

`Problem` knows what a set of creators covers and what it is worth; the optimisers ask
it for gains and values. Under exposure (`rate`), creator j reaches each element it
covers with probability ``rate[j]`` and the objective is the expected covered weight,
``sum_e w_e (1 - prod_{j in S covering e} (1 - rate[j]))``: monotone and submodular, so
greedy, its guarantee and the data bound hold unchanged. The optimisers carry the weight
each element still offers (`unreached`): 0 once covered, ``w_e prod (1 - rate)`` under
exposure; a creator's gain is its rate times what its elements still offer. `compress`
turns followers into audience signatures: followers followed by the same set of eligible
creators collapse into one element whose weight is their number (or their summed
follower weight).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp

from graph_engine.graph import AudienceGraph

__all__ = ["Problem", "compress", "rows_of", "signature_hash"]

_HASH_SEED = 0x5EED  # the random keys of `signature_hash`: one order of signatures everywhere


@dataclass(frozen=True)
class Problem:
    """Weighted coverage over elements (followers or audience signatures).

    Creator ``j`` (0..n-1, local) covers elements ``elements[ptr[j]:ptr[j+1]]``; element
    ``e`` weighs ``weight[e]``.

    Attributes
    ----------
    index
        Graph dense id of every local creator.
    cost
        Cost of every local creator.
    ptr, elements
        Creator -> element lists in CSR form.
    weight
        Weight of every element.
    community
        Community code of every local creator, -1 when none.
    must
        Local ids of the must-include creators.
    rate
        Under exposure, the chance each creator reaches one of its elements; None for
        plain coverage (every creator reaches all its elements).
    multiplicity
        Followers per element when an element stands for a group of identical followers
        (the same creators, the same weight; its weight is then the group's total), so
        that effort budgets and subgradient norms count followers as the uncompressed
        problem does; None when every element is one follower.
    """

    index: np.ndarray
    cost: np.ndarray
    ptr: np.ndarray
    elements: np.ndarray
    weight: np.ndarray
    community: np.ndarray
    must: np.ndarray
    rate: np.ndarray | None = None
    multiplicity: np.ndarray | None = None

    @property
    def n(self) -> int:
        """The number of creators."""
        return int(self.index.size)

    @property
    def m(self) -> int:
        """The number of elements."""
        return int(self.weight.size)

    @property
    def entries(self) -> int:
        """The creator-follower entries the problem stands for (its work per pass)."""
        if self.multiplicity is None:
            return int(self.elements.size)
        return int(self.multiplicity[self.elements].sum())

    @property
    def integral(self) -> bool:
        """Whether every reach is an integer: plain coverage with integer weights."""
        return self.rate is None and bool(np.all(self.weight == np.floor(self.weight)))

    def covers(self, j: int) -> np.ndarray:
        """Return the elements creator `j` covers.

        Parameters
        ----------
        j
            A local creator id.

        Returns
        -------
        numpy.ndarray
            Element ids (a view).
        """
        return self.elements[self.ptr[j] : self.ptr[j + 1]]

    def unreached(self, chosen: Sequence[int] | np.ndarray = ()) -> np.ndarray:
        """Return the weight each element still offers once `chosen` are taken.

        Parameters
        ----------
        chosen
            Local creator ids.

        Returns
        -------
        numpy.ndarray
            A new float array: the element's weight times its chance of being reached by
            none of `chosen` (0 or the full weight in plain coverage).
        """
        left = self.weight.astype(np.float64, copy=True)
        for j in chosen:
            self.take(left, int(j))
        return left

    def take(self, left: np.ndarray, j: int) -> None:
        """Update `left` (from `unreached`) in place for taking creator `j`.

        Parameters
        ----------
        left
            What each element still offers.
        j
            A local creator id.
        """
        cov = self.covers(j)
        if self.rate is None:
            left[cov] = 0.0
        else:
            left[cov] *= 1.0 - float(self.rate[j])

    def marginal(self, left: np.ndarray, j: int) -> float:
        """Return the exact marginal gain of creator `j` given what `left` still offers.

        Parameters
        ----------
        left
            What each element still offers (`unreached`).
        j
            A local creator id.

        Returns
        -------
        float
            The weight (expected weight, under exposure) creator `j` would add.
        """
        gain = float(left[self.covers(j)].sum())
        return gain if self.rate is None else gain * float(self.rate[j])

    def gains(self, left: np.ndarray) -> np.ndarray:
        """Compute the exact marginal gain of every creator (a gather and a segmented sum).

        Parameters
        ----------
        left
            What each element still offers (`unreached`).

        Returns
        -------
        numpy.ndarray
            The weight each creator would add.
        """
        per_entry = left[self.elements]
        out = np.zeros(self.n)
        nonempty = np.flatnonzero(np.diff(self.ptr) > 0)
        if nonempty.size:  # segments of non-empty rows are contiguous, so reduceat is exact
            out[nonempty] = np.add.reduceat(per_entry, self.ptr[nonempty])
        return out if self.rate is None else out * self.rate

    def covered(self, chosen: Sequence[int] | np.ndarray) -> np.ndarray:
        """Return the mask of the elements that the chosen creators cover.

        Parameters
        ----------
        chosen
            Local creator ids.

        Returns
        -------
        numpy.ndarray
            A boolean mask over the elements (under exposure: the elements they may reach).
        """
        mask = np.zeros(self.m, dtype=bool)
        for j in chosen:  # a slice per creator: no index array as long as the edges
            mask[self.covers(int(j))] = True
        return mask

    def value(self, chosen: Sequence[int] | np.ndarray) -> float:
        """Return the reach of the chosen creators: the weight of what they cover.

        Parameters
        ----------
        chosen
            Local creator ids.

        Returns
        -------
        float
            The covered weight; under exposure, its expectation.
        """
        if self.rate is None:
            return float(self.weight[self.covered(chosen)].sum())
        return float((self.weight - self.unreached(chosen)).sum())

    def unit_spend(self, *, by_cost: bool) -> np.ndarray:
        """Return what each creator spends: its cost (as floats), or 1 for a count.

        Parameters
        ----------
        by_cost
            Costs if True, else ones.

        Returns
        -------
        numpy.ndarray
            One value per creator.
        """
        return self.cost.astype(float) if by_cost else np.ones(self.n)

    def at_cap(self, chosen: Sequence[int] | np.ndarray, cap: int | None) -> np.ndarray:
        """Return the mask of creators whose community already holds `cap` of `chosen`.

        Parameters
        ----------
        chosen
            Local creator ids.
        cap
            Creators allowed per community; None for no cap (an all-False mask).

        Returns
        -------
        numpy.ndarray
            A boolean mask over the creators (creators without a community never set).
        """
        if cap is None:
            return np.zeros(self.n, dtype=bool)
        groups, sizes = np.unique(
            self.community[np.asarray(chosen, dtype=np.int64)], return_counts=True
        )
        return np.isin(self.community, groups[(groups >= 0) & (sizes >= cap)])

    def spend(self, chosen: Sequence[int], *, by_cost: bool) -> float:
        """Return what a cover minimises for the chosen creators: their cost or number.

        Parameters
        ----------
        chosen
            Local creator ids.
        by_cost
            Their total cost if True, else their number.

        Returns
        -------
        float
            The cost or the count.
        """
        return float(self.cost[list(chosen)].sum()) if by_cost else float(len(chosen))


def compress(
    graph: AudienceGraph, rows: np.ndarray, follower_weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compute the audience signatures of the creators `rows`: (ptr, elements, weight).

    Followers with identical sets of these creators become one element whose weight sums
    their `follower_weight`; followers of weight 0 are dropped. Grouping hashes each
    follower's creator set twice (sums of random 64-bit keys) and then checks every
    follower against its group's representative, element by element, so the result is
    exact; a hash collision (never seen) falls back to exact list grouping.

    Parameters
    ----------
    graph
        The graph.
    rows
        Dense ids of the creators, in local order.
    follower_weight
        Weight of every follower of the graph.

    Returns
    -------
    tuple of numpy.ndarray
        Creator -> element lists in CSR form (``ptr``, ``elements``; creators in the
        order of `rows`) and the element weights.
    """
    bt = sp.csr_array(graph.matrix[rows].T)  # followers x chosen creators
    bt.sort_indices()
    deg = np.diff(bt.indptr)
    alive = np.flatnonzero((deg > 0) & (follower_weight > 0))
    starts = bt.indptr[:-1][alive]
    members = bt.indices[_segment_positions(starts, deg[alive])]  # the alive rows, end to end
    h = signature_hash(members, deg[alive], rows.size)
    order = np.argsort(h, kind="stable")
    new = np.ones(order.size, dtype=bool)
    new[1:] = np.diff(h[order]) != 0
    group = np.empty(order.size, dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    rep = alive[order[new]]  # representative follower of each group
    if not _same_rows(bt, alive, rep[group]):
        group, rep = _exact_groups(bt, alive)
    weight = np.bincount(group, weights=follower_weight[alive], minlength=rep.size)
    # element x creator lists from the representatives, then transpose to creator -> elements
    rep_deg = deg[rep]
    ptr = np.zeros(rep.size + 1, dtype=np.int64)
    np.cumsum(rep_deg, out=ptr[1:])
    cols = bt.indices[_segment_positions(bt.indptr[rep], rep_deg)]
    by_creator = sp.csr_array(
        (np.ones(cols.size, dtype=np.int8), cols, ptr), shape=(rep.size, rows.size)
    ).T.tocsr()
    by_creator.sort_indices()
    return by_creator.indptr.astype(np.int64), by_creator.indices.astype(np.int64), weight


def signature_hash(members: np.ndarray, lengths: np.ndarray, n: int) -> np.ndarray:
    """Hash sets of creators: the sum of a random 64-bit key per creator, and the set's size.

    Signatures are ordered by this hash, so the integer program sees the same elements
    in the same order however the signatures were gathered.

    Parameters
    ----------
    members
        The sets end to end: local creator ids (0..n-1), set after set.
    lengths
        The size of every set (each at least 1).
    n
        The number of creators.

    Returns
    -------
    numpy.ndarray
        One int64 hash per set (sums wrap around).
    """
    keys = np.random.default_rng(_HASH_SEED).integers(-(2**62), 2**62, size=n)
    if lengths.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.zeros(lengths.size, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    h: np.ndarray = np.add.reduceat(keys[members], starts)
    h += lengths.astype(np.int64) * np.int64(0x9E3779B97F4A7C15 - 2**64)  # mix in the size
    return h


def rows_of(graph: AudienceGraph, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the CSR (ptr, followers) of the given creators, from the graph's arrays.

    Parameters
    ----------
    graph
        The graph.
    rows
        Dense ids of the creators, in local order.

    Returns
    -------
    tuple of numpy.ndarray
        ``ptr`` and the follower ids; the graph's own arrays (no copy) for every creator.
    """
    if rows.size == graph.n_creators:  # every creator: no copy at all
        return graph.indptr, graph.indices
    lengths = graph.degrees[rows]
    ptr = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    return ptr, graph.indices[_segment_positions(graph.indptr[rows], lengths)]


def _segment_positions(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenate the ranges start..start+length of every segment, vectorised."""
    total = int(lengths.sum())
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.asarray(np.repeat(starts, lengths) + (np.arange(total) - offsets))


def _same_rows(bt: sp.csr_array, rows: np.ndarray, reps: np.ndarray) -> bool:
    """Tell whether every row in `rows` (ascending) equals its representative in `reps`."""
    deg = np.diff(bt.indptr)
    other = rows != reps  # a representative trivially equals itself
    rows, reps = rows[other], reps[other]
    if not np.array_equal(deg[rows], deg[reps]):
        return False
    alive = np.zeros(deg.size, dtype=bool)
    alive[rows] = True
    pos = np.flatnonzero(np.repeat(alive, deg))  # entries of `rows`, in order
    shift = np.repeat(bt.indptr[reps] - bt.indptr[rows], deg[rows])
    return bool(np.array_equal(bt.indices[pos], bt.indices[pos + shift]))


def _exact_groups(bt: sp.csr_array, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group followers by their exact creator lists (slow path, polars list hashing)."""
    deg = np.diff(bt.indptr)
    frame = pl.DataFrame(
        {
            "row": np.repeat(alive, deg[alive]),
            "c": bt.indices[_segment_positions(bt.indptr[alive], deg[alive])],
        }
    )
    lists = frame.group_by("row", maintain_order=True).agg("c")
    lists = lists.with_columns(pl.col("c").rank("dense").alias("g") - 1)
    group = lists["g"].to_numpy().astype(np.int64)
    first = lists.group_by("g").agg(pl.col("row").first()).sort("g")
    return group, first["row"].to_numpy()
