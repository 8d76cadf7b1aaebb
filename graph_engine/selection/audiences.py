"""Where a selection's followers come from: a graph's rows, or audience signatures.

`select_creators` asks an `Audiences` for three things: the incidence of the eligible
creators (what greedy, local search and the Lagrangian bound run on), the compressed
problem (what the integer program runs on), and the frequency table of the picks.

- `GraphAudiences`: a graph in memory. The incidence is the graph's own rows, one
  element per follower; `compress` makes the signatures.
- `SignatureAudiences`: groups of identical followers counted elsewhere (by Spark), one
  element per group (`Signatures`): the creators followed, the weight of each follower
  (0 or 1), and how many followers share both. Every optimiser sees what the
  per-follower problem gives it -- gains are sums of weights, and what scales with
  followers (effort budgets, subgradient norms) goes through `Problem.multiplicity` --
  so the picks, the reach and the bounds are those of `GraphAudiences` on the same graph.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import polars as pl

from graph_engine.audience import frequency_of, frequency_table
from graph_engine.errors import ParameterError
from graph_engine.exposure import FREQUENCY_TOP, Exposure
from graph_engine.graph import AudienceGraph
from graph_engine.names import Creators, Roster
from graph_engine.selection.eligibility import follower_weights
from graph_engine.selection.problem import Problem, compress, rows_of, signature_hash

__all__ = [
    "SIGNATURE_SCHEMA",
    "Audiences",
    "GraphAudiences",
    "Incidence",
    "SignatureAudiences",
    "Signatures",
]

# one row per group of followers: sorted dense creator ids, follower weight, followers
SIGNATURE_SCHEMA = pl.Schema(
    [("creators", pl.List(pl.Int64)), ("weight", pl.Float64()), ("followers", pl.Int64())]
)

# the dense ids of the eligible creators, and max_following -> one row per group
Signatures = Callable[[np.ndarray, int | None], pl.DataFrame]


@dataclass(frozen=True)
class Incidence:
    """The eligible creators' elements in CSR form (see `Problem`).

    ``gathering`` is the time spent counting them elsewhere (seconds; 0 for a graph in
    memory): a selection's time limit does not count it, as it does not count reading
    a graph.
    """

    ptr: np.ndarray
    elements: np.ndarray
    weight: np.ndarray
    multiplicity: np.ndarray | None
    gathering: float = 0.0


class Audiences(Protocol):
    """The followers of a selection's creators (`GraphAudiences`, `SignatureAudiences`)."""

    @property
    def roster(self) -> Creators:
        """The creators: ids, handles, metadata and observed followers."""
        ...

    def incidence(
        self, rows: np.ndarray, *, weight: str | None, max_following: int | None
    ) -> Incidence:
        """Return the elements of the creators `rows` (dense ids, local order)."""
        ...

    def signatures(self, p: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the audience signatures of `p`'s creators: ``(ptr, elements, weight)``."""
        ...

    def frequency(self, p: Problem, picks: list[int], exposure: Exposure | None) -> pl.DataFrame:
        """Count the followers the picks (local ids of `p`) reach 1, 2, 3, 4+ times."""
        ...


class GraphAudiences:
    """The followers of a graph in memory: one element per follower.

    Parameters
    ----------
    graph
        The graph.
    """

    def __init__(self, graph: AudienceGraph) -> None:
        self.graph = graph
        self._weight = np.zeros(0)

    @property
    def roster(self) -> Creators:
        """The graph itself."""
        return self.graph

    def incidence(
        self, rows: np.ndarray, *, weight: str | None, max_following: int | None
    ) -> Incidence:
        """Return the graph's rows of the creators `rows`, one element per follower.

        Parameters
        ----------
        rows
            Dense ids of the creators, in local order.
        weight, max_following
            A followers column to weigh followers by, and a cut-off of creators followed
            beyond which a follower weighs 0 (`follower_weights`).

        Returns
        -------
        Incidence
            Every follower of the graph an element (those of no creator in `rows` too).
        """
        self._weight = follower_weights(self.graph, weight, max_following)
        return Incidence(*rows_of(self.graph, rows), self._weight, None)

    def signatures(self, p: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Compress `p`'s followers into audience signatures (`compress`).

        Parameters
        ----------
        p
            The problem `incidence` made.

        Returns
        -------
        tuple of numpy.ndarray
            ``ptr``, ``elements`` and ``weight`` of the signatures.
        """
        return compress(self.graph, p.index, self._weight)

    def frequency(self, p: Problem, picks: list[int], exposure: Exposure | None) -> pl.DataFrame:
        """Count the followers the picks reach 1, 2, 3, 4+ times (`frequency_of`).

        Parameters
        ----------
        p
            The problem the picks refer to.
        picks
            Local ids of the chosen creators.
        exposure
            The exposure, for the expected distribution too.

        Returns
        -------
        polars.DataFrame
            The frequency table.
        """
        return frequency_of(self.graph, p.index[np.asarray(picks, dtype=np.int64)], exposure)


class SignatureAudiences:
    """Followers counted as groups with the same creators and weight (one element each).

    Parameters
    ----------
    roster
        The store's creators.
    gather
        Returns the groups of followers of the eligible creators (`SIGNATURE_SCHEMA`):
        for every set of eligible creators some followers follow (and no other eligible
        one), and every follower weight among them, how many followers that is.
    """

    def __init__(self, roster: Roster, gather: Signatures) -> None:
        self._roster = roster
        self._gather = gather

    @property
    def roster(self) -> Creators:
        """The store's creators."""
        return self._roster

    def incidence(
        self, rows: np.ndarray, *, weight: str | None, max_following: int | None
    ) -> Incidence:
        """Gather the groups of followers of the creators `rows`, one element per group.

        Parameters
        ----------
        rows
            Dense ids of the creators, ascending.
        weight
            Must be None: groups hold followers of weight 0 or 1.
        max_following
            Followers following more than this many creators of the store weigh 0.

        Returns
        -------
        Incidence
            One element per group, ordered by the signature hash (then weight), its
            weight the group's total and its multiplicity the group's size.

        Raises
        ------
        ParameterError
            For a weight column.
        """
        if weight is not None:
            raise ParameterError(
                "a follower weight column is not aggregated into audience signatures yet; "
                "hint: use the embedded engine for --weight"
            )
        began = time.perf_counter()
        groups = self._gather(rows, max_following)
        gathering = time.perf_counter() - began
        lengths = groups["creators"].list.len().to_numpy().astype(np.int64)
        members = np.searchsorted(rows, groups["creators"].explode().to_numpy())
        h = signature_hash(members, lengths, rows.size)
        follower_weight = groups["weight"].to_numpy()
        order = np.lexsort((follower_weight, h))  # one order, whatever order Spark gave
        start = np.zeros(lengths.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=start[1:])
        rank = np.empty(order.size, dtype=np.int64)
        rank[order] = np.arange(order.size)
        element = np.repeat(rank, lengths)
        by_creator = np.lexsort((element, members))
        ptr = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(members, minlength=rows.size), out=ptr[1:])
        multiplicity = groups["followers"].to_numpy().astype(np.int64)[order]
        return Incidence(
            ptr,
            element[by_creator],
            follower_weight[order] * multiplicity,
            multiplicity,
            gathering,
        )

    def signatures(self, p: Problem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keep the groups that weigh something: they are the audience signatures.

        With weights of 0 or 1 every set of creators is one group of weight 1 at most,
        and the groups are in the order of the signature hash, as `compress` gives them.

        Parameters
        ----------
        p
            The problem `incidence` made.

        Returns
        -------
        tuple of numpy.ndarray
            ``ptr``, ``elements`` and ``weight`` of the signatures.
        """
        keep = p.weight > 0
        renumber = np.cumsum(keep) - 1
        creator = np.repeat(np.arange(p.n), np.diff(p.ptr))
        kept = keep[p.elements]
        ptr = np.zeros(p.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(creator[kept], minlength=p.n), out=ptr[1:])
        return ptr, renumber[p.elements[kept]], p.weight[keep]

    def frequency(self, p: Problem, picks: list[int], exposure: Exposure | None) -> pl.DataFrame:
        """Count the followers the picks reach 1, 2, 3, 4+ times, group by group.

        Parameters
        ----------
        p
            The problem `incidence` made.
        picks
            Local ids of the chosen creators.
        exposure
            Must be None (the expected distribution needs every follower's creators).

        Returns
        -------
        polars.DataFrame
            The frequency table (`audience.frequency_table`).
        """
        assert exposure is None and p.multiplicity is not None
        lists = [p.covers(j) for j in picks]
        times = np.bincount(np.concatenate([np.zeros(0, np.int64), *lists]), minlength=p.m)
        reached = times > 0
        counts = np.bincount(
            np.minimum(times[reached], FREQUENCY_TOP),
            weights=p.multiplicity[reached],
            minlength=FREQUENCY_TOP + 1,
        )
        return frequency_table(counts[1:].astype(np.int64))
