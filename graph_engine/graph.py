"""AudienceGraph: the in-memory biadjacency of creators x followers (CSR, dense ids)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.exclusion import Exclusion
from graph_engine.names import CreatorId, CreatorLookup
from graph_engine.store import StoreVersion, reading

if TYPE_CHECKING:
    import igraph
    import networkx
    import scipy.sparse as sp

    from graph_engine.tables import StoreTables

__all__ = [
    "AudienceGraph",
    "CreatorId",
    "read_population",
    "read_reach",
    "read_shared_counts",
    "read_store",
]


@dataclass(frozen=True, eq=False, init=False)
class AudienceGraph:
    """Creators x followers as a CSR biadjacency matrix, with id maps and metadata.

    Row ``c`` of the matrix is the audience of creator ``c`` (dense id); ``indices`` holds
    dense follower ids, sorted within each row. ``creators`` and ``followers`` are the store
    tables, row ``i`` describing dense id ``i``.

    Examples
    --------
    >>> import polars as pl
    >>> from graph_engine.tables import build_tables
    >>> edges = pl.DataFrame({"creator_id": ["a", "a", "b", "c"], "follower_id": [1, 2, 2, 3]})
    >>> g = AudienceGraph.from_tables(build_tables([edges]))
    >>> g.n_creators, g.n_followers, g.n_edges
    (3, 3, 4)
    >>> sorted(g.audience("a").to_list())
    [1, 2]
    """

    indptr: np.ndarray
    indices: np.ndarray
    creators: pl.DataFrame
    n_followers: int
    filters: tuple[str, ...]

    def __init__(
        self,
        indptr: np.ndarray,
        indices: np.ndarray,
        creators: pl.DataFrame,
        followers: pl.DataFrame | Callable[[], pl.DataFrame],
        n_followers: int | None = None,
        filters: tuple[str, ...] = (),
    ) -> None:
        """Hold the CSR and the tables; ``followers`` may be a reader called on first use.

        Parameters
        ----------
        indptr, indices
            The CSR: row ``c`` is ``indices[indptr[c]:indptr[c + 1]]``.
        creators
            The creators table (row ``i`` is dense id ``i``).
        followers
            The followers table, or a function that reads it (a short query that never
            needs follower ids or attributes then never reads them).
        n_followers
            The number of followers; required when ``followers`` is a reader.
        filters
            What was removed from the audiences when the graph was read, in words (see
            `Exclusion`); every report of the graph says it.
        """
        if isinstance(followers, pl.DataFrame):
            self.__dict__["followers"] = followers  # the cached_property's value
            n_followers = followers.height
        elif n_followers is None:
            raise TypeError("n_followers is required when followers is a reader")
        else:
            self.__dict__["_read_followers"] = followers
        object.__setattr__(self, "indptr", indptr)
        object.__setattr__(self, "indices", indices)
        object.__setattr__(self, "creators", creators)
        object.__setattr__(self, "n_followers", int(n_followers))
        object.__setattr__(self, "filters", tuple(filters))

    @cached_property
    def followers(self) -> pl.DataFrame:
        """The followers table (row ``i`` describes dense follower id ``i``)."""
        frame: pl.DataFrame = self.__dict__.pop("_read_followers")()
        if frame.height != self.n_followers:
            raise AssertionError(f"{frame.height} followers read, {self.n_followers} expected")
        return frame

    @classmethod
    def from_tables(cls, tables: StoreTables) -> AudienceGraph:
        """Build from store tables (edges sorted by creator, follower)."""
        return cls.from_edges(
            tables.edges[s.CREATOR].to_numpy(),
            tables.edges[s.FOLLOWER].to_numpy(),
            creators=tables.creators,
            followers=tables.followers,
        )

    @classmethod
    def from_edges(
        cls,
        creator: np.ndarray,
        follower: np.ndarray,
        *,
        creators: pl.DataFrame,
        followers: pl.DataFrame,
    ) -> AudienceGraph:
        """Build from dense edge arrays sorted by (creator, follower), without duplicates."""
        # sorted by creator: row c starts where creator c does (a binary search per row,
        # not a pass over every edge); the rows searched for must fit the column's type
        if np.iinfo(creator.dtype).max < creators.height:
            creator = creator.astype(np.int64)
        rows = np.arange(creators.height + 1, dtype=creator.dtype)
        indptr = np.searchsorted(creator, rows, side="left").astype(np.int64)
        return cls(
            indptr=indptr,
            indices=np.ascontiguousarray(follower, dtype=np.int32),
            creators=creators,
            followers=followers,
        )

    # -- sizes and ids ------------------------------------------------------------------

    @property
    def n_creators(self) -> int:
        """The number of creators."""
        return self.creators.height

    @property
    def n_edges(self) -> int:
        """The number of follows (creator, follower) edges."""
        return int(self.indices.shape[0])

    def __repr__(self) -> str:
        """Sum up the graph in one line, as networkx does."""
        return (
            f"AudienceGraph with {self.n_creators:,} creators, {self.n_followers:,} "
            f"followers, {self.n_edges:,} edges"
        )

    @cached_property
    def degrees(self) -> np.ndarray:
        """Observed followers per creator (dense order)."""
        return np.diff(self.indptr)

    @cached_property
    def matrix(self) -> sp.csr_array:
        """The biadjacency as a scipy CSR array of int32 ones (creators x followers)."""
        import scipy.sparse as sp

        data = np.ones(self.n_edges, dtype=np.int32)
        return sp.csr_array(
            (data, self.indices, self.indptr), shape=(self.n_creators, self.n_followers)
        )

    @cached_property
    def _creator_lookup(self) -> CreatorLookup:
        return CreatorLookup(self.creators)

    def creator_index(self, creator_ids: Iterable[CreatorId]) -> np.ndarray:
        """Dense ids of the given creators (original ids or handles), in the given order.

        Ids given as strings are matched to integer ids too (as typed on a command line);
        a handle matches without its `@`, regardless of case (see `CreatorLookup`).
        """
        return self._creator_lookup.index(creator_ids)

    def creator_ids(self, index: np.ndarray | None = None) -> pl.Series:
        """Original creator ids of the given dense ids (all when None)."""
        col = self.creators[s.CREATOR_ID]
        return col if index is None else col.gather(np.asarray(index))

    def audience(self, creator_id: CreatorId) -> pl.Series:
        """Original follower ids of one creator."""
        c = int(self.creator_index([creator_id])[0])
        rows = self.indices[self.indptr[c] : self.indptr[c + 1]]
        return self.followers[s.FOLLOWER_ID].gather(rows)

    # -- choosing creators --------------------------------------------------------------

    def choose(
        self,
        *,
        creators: Sequence[CreatorId] | None = None,
        tiers: Sequence[str] | None = None,
        min_followers: int | None = None,
        max_followers: int | None = None,
    ) -> np.ndarray:
        """Dense ids (sorted) of the creators matching every given filter.

        Parameters
        ----------
        creators
            Original ids to keep.
        tiers
            Tier names to keep (nano, micro, macro, mega).
        min_followers, max_followers
            Bounds on observed followers in this graph, inclusive.
        """
        return _choose(
            self.creators,
            self.degrees,
            self.creator_index,
            creators=creators,
            tiers=tiers,
            min_followers=min_followers,
            max_followers=max_followers,
        )

    def subgraph(
        self,
        *,
        creators: Sequence[CreatorId] | None = None,
        tiers: Sequence[str] | None = None,
        min_followers: int | None = None,
        max_followers: int | None = None,
    ) -> AudienceGraph:
        """Restrict the graph to the chosen creators (see `choose`) and their followers.

        Dense ids are renumbered; creators and followers keep their relative order and
        their store columns (``following`` still counts every creator of the store).
        """
        if creators is None and not tiers and min_followers is None and max_followers is None:
            return self
        rows = self.choose(
            creators=creators, tiers=tiers, min_followers=min_followers, max_followers=max_followers
        )
        return self.take(rows)

    def take(self, rows: np.ndarray) -> AudienceGraph:
        """Restrict the graph to the creators with these dense ids (kept in sorted order).

        Parameters
        ----------
        rows
            Dense creator ids.

        Returns
        -------
        AudienceGraph
            Those creators and their followers, renumbered.
        """
        rows = np.unique(np.asarray(rows, dtype=np.int64))
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        degrees = ends - starts
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(degrees, out=indptr[1:])
        # positions of the chosen rows' entries in `indices`, without a Python loop
        offsets = np.repeat(starts - indptr[:-1], degrees) + np.arange(indptr[-1])
        return _restricted(
            self.creators[rows],
            lambda: self.followers,
            indptr,
            self.indices[offsets],
            degrees,
            self.filters,
        )

    def excluding(self, exclude: Exclusion) -> AudienceGraph:
        """Leave people out of every measure (see `Exclusion`): drop their edges.

        Parameters
        ----------
        exclude
            The creators whose audiences, and the followers, to leave out.

        Returns
        -------
        AudienceGraph
            The same creators with the rest of their followers (`filters` says so);
            the graph itself when nothing is excluded.
        """
        if not exclude:
            return self
        drop = np.zeros(self.n_followers, dtype=bool)
        for c in self.creator_index(exclude.audience_of).tolist():
            drop[self.indices[self.indptr[c] : self.indptr[c + 1]]] = True
        drop, note = exclude.mark_followers(self.followers.lazy(), drop)
        keep = ~drop[self.indices]
        rows = np.repeat(np.arange(self.n_creators), self.degrees)[keep]
        degrees = np.bincount(rows, minlength=self.n_creators)
        indptr = np.zeros(self.n_creators + 1, dtype=np.int64)
        np.cumsum(degrees, out=indptr[1:])
        return _restricted(
            self.creators,
            lambda: self.followers,
            indptr,
            self.indices[keep],
            degrees,
            (*self.filters, note),
        )

    # -- exports ------------------------------------------------------------------------

    def to_networkx(self) -> networkx.Graph:
        """Export a bipartite networkx graph: nodes ``("creator", id)``, ``("follower", id)``.

        Creator nodes carry ``bipartite=0`` and their metadata; follower nodes ``bipartite=1``.
        Meant for small graphs: networkx stores every edge as Python objects.
        """
        import networkx as nx

        g = nx.Graph()
        for row in self.creators.iter_rows(named=True):
            g.add_node(("creator", row[s.CREATOR_ID]), bipartite=0, **row)
        fids = self.followers[s.FOLLOWER_ID].to_list()
        g.add_nodes_from((("follower", f) for f in fids), bipartite=1)
        cids = self.creators[s.CREATOR_ID].to_list()
        rows = np.repeat(np.arange(self.n_creators), self.degrees)
        g.add_edges_from(
            (("creator", cids[c]), ("follower", fids[f]))
            for c, f in zip(rows.tolist(), self.indices.tolist(), strict=True)
        )
        return g

    def to_igraph(self) -> igraph.Graph:
        """Export a bipartite igraph graph: vertices ``0..n_creators-1`` are creators.

        Vertex attributes: ``type`` (False creator, True follower), ``kind`` and ``id``
        (original id); creator vertices also carry the creators metadata columns.
        """
        import igraph as ig

        n_c, n_f = self.n_creators, self.n_followers
        rows = np.repeat(np.arange(n_c, dtype=np.int64), self.degrees)
        edges = np.column_stack([rows, self.indices.astype(np.int64) + n_c])
        g = ig.Graph(n=n_c + n_f, edges=edges.tolist(), directed=False)
        g.vs["type"] = [False] * n_c + [True] * n_f
        g.vs["kind"] = ["creator"] * n_c + ["follower"] * n_f
        g.vs["id"] = self.creators[s.CREATOR_ID].to_list() + self.followers[s.FOLLOWER_ID].to_list()
        for col in self.creators.columns:
            if col not in (s.CREATOR_ID,):
                g.vs[col] = self.creators[col].to_list() + [None] * n_f
        return g


def read_store(
    store: str | os.PathLike[str],
    version: str | None = None,
    *,
    creators: Sequence[CreatorId] | None = None,
    tiers: Sequence[str] | None = None,
    min_followers: int | None = None,
    max_followers: int | None = None,
    exclude: Exclusion | None = None,
) -> AudienceGraph:
    """Load a version of a store (the live one by default) as an `AudienceGraph`.

    Parameters
    ----------
    store
        The store directory (made by `graph_engine.write_store` or `graph-engine ingest`).
    version
        A version name such as ``"v000002"`` (`graph-engine versions` lists them); None
        for the live version.
    creators, tiers, min_followers, max_followers
        Load only the creators matching every given filter (see `AudienceGraph.choose`)
        and their followers: the same graph as ``read_store(store).subgraph(...)``, but
        only the chosen creators' edges are read (edges are sorted by creator, so Parquet
        skips every row group without one), so a short query costs time proportional to
        the creators asked for, not to the store.
    exclude
        People to remove from every measure (see `Exclusion`): their edges are dropped
        as the graph is built, so every count of the graph is among the rest (incremental
        reach). Creators keep their tier; ``followers`` counts who is left.

    Returns
    -------
    AudienceGraph
        The creators and followers of that version (or of the chosen creators).
    """
    choice: dict[str, Any] = {
        "creators": creators,
        "tiers": tiers,
        "min_followers": min_followers,
        "max_followers": max_followers,
    }
    chosen = creators is not None or bool(tiers) or min_followers is not None
    chosen = chosen or max_followers is not None

    def load(v: StoreVersion) -> AudienceGraph:
        if chosen or exclude:
            return _read_chosen(v, choice if chosen else None, exclude)
        edges = v.read("edges").rechunk()  # one buffer per column: numpy views, no copies
        return AudienceGraph.from_edges(
            edges[s.CREATOR].to_numpy(),
            edges[s.FOLLOWER].to_numpy(),
            creators=v.read("creators"),
            followers=v.read("followers"),
        )

    return reading(store, load, version)


def read_reach(store: str | os.PathLike[str], creators: Sequence[CreatorId]) -> int:
    """Count everyone some creators reach in a store, nobody excluded (their edges only).

    Parameters
    ----------
    store
        The store directory.
    creators
        Original ids or handles.

    Returns
    -------
    int
        The size of the union of their audiences.
    """
    return read_store(store, creators=creators).n_followers if creators else 0


def read_population(store: str | os.PathLike[str], *, exclude: Exclusion | None = None) -> int:
    """Count the people of a store that an exclusion leaves in (every follower without one).

    Parameters
    ----------
    store
        The store directory.
    exclude
        People left out (`exclusion.Exclusion`).

    Returns
    -------
    int
        Followers of the store not excluded: the baseline of an affinity index.
    """

    def load(v: StoreVersion) -> int:
        everyone = v.rows("followers")
        if not exclude:
            return everyone
        drop, _ = exclude.mask(v, v.read("creators"))
        return everyone - int(np.count_nonzero(drop))

    return reading(store, load)


def read_shared_counts(
    store: str | os.PathLike[str], creator: CreatorId, *, exclude: Exclusion | None = None
) -> tuple[pl.DataFrame, int, np.ndarray, int]:
    """Count the followers one creator shares with every creator of a store, in one scan.

    Reads the creator's followers (its row groups only), then the edges of those
    followers in one streaming pass of the edges' two integer columns: memory follows
    the creator's audience, not the store, and no CSR is built.

    Parameters
    ----------
    store
        The store directory (its live version is read).
    creator
        The creator's original id.
    exclude
        People left out of every count; the table's ``followers`` then counts the rest
        (one more streaming pass).

    Returns
    -------
    tuple
        The creators table, the creator's dense id, ``shared[d]``: followers the
        creator shares with dense creator ``d`` (its own followers at its own index), and
        the people of the store not excluded.
    """

    def load(v: StoreVersion) -> tuple[pl.DataFrame, int, np.ndarray, int]:
        table = v.read("creators")
        c = int(CreatorLookup(table).index([creator])[0])
        edges = v.scan("edges")
        audience = edges.filter(pl.col(s.CREATOR) == c).select(s.FOLLOWER).collect()
        mine = audience[s.FOLLOWER].to_numpy()
        population = v.rows("followers")
        if exclude:
            drop, _ = exclude.mask(v, table)
            mine = mine[~drop[mine]]
            gone = pl.Series(np.flatnonzero(drop), dtype=pl.Int32).implode()
            left = edges.filter(~pl.col(s.FOLLOWER).is_in(gone)).group_by(s.CREATOR).len()
            kept = np.zeros(table.height, dtype=np.int64)
            counted = left.collect()
            kept[counted[s.CREATOR].to_numpy()] = counted["len"].to_numpy()
            table = table.with_columns(pl.Series(s.FOLLOWERS, kept))
            population -= int(np.count_nonzero(drop))
        per = (
            edges.filter(pl.col(s.FOLLOWER).is_in(pl.Series(mine, dtype=pl.Int32).implode()))
            .group_by(s.CREATOR)
            .len()
            .collect()
        )
        shared = np.zeros(table.height, dtype=np.int64)
        shared[per[s.CREATOR].to_numpy()] = per["len"].to_numpy()
        return table, c, shared, population

    return reading(store, load)


def _read_chosen(
    version: StoreVersion, choice: dict[str, Any] | None, exclude: Exclusion | None = None
) -> AudienceGraph:
    """Read the chosen creators (all when `choice` is None) and their followers.

    Only the chosen creators' edges are read; edges to the people `exclude` marks are
    left out, and the graph's `filters` say so.
    """
    table = version.read("creators")
    if choice is None:
        rows = np.arange(table.height, dtype=np.int64)
        edges = version.read("edges")
    else:
        rows = _choose(table, table[s.FOLLOWERS].to_numpy(), CreatorLookup(table).index, **choice)
        # a list of values, not an imploded Series: only then does polars skip the row
        # groups without a chosen creator (3 creators of 100M edges: 4 ms, not 90 ms)
        edges = version.scan("edges").filter(pl.col(s.CREATOR).is_in(rows.tolist())).collect()
    creator = edges[s.CREATOR].to_numpy()
    follower = edges[s.FOLLOWER].to_numpy()
    filters: tuple[str, ...] = ()
    if exclude:
        drop, note = exclude.mask(version, table)
        keep = ~drop[follower]
        creator, follower, filters = creator[keep], follower[keep], (note,)
    degrees = np.bincount(np.searchsorted(rows, creator), minlength=len(rows))
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(degrees, out=indptr[1:])
    followers = version.read_later("followers")  # a short query may never need them
    return _restricted(table[rows], followers, indptr, follower, degrees, filters)


def _restricted(
    creators: pl.DataFrame,
    followers: pl.DataFrame | Callable[[], pl.DataFrame],
    indptr: np.ndarray,
    members: np.ndarray,
    degrees: np.ndarray,
    filters: tuple[str, ...] = (),
) -> AudienceGraph:
    """Build the graph of some creators (rows, CSR, degrees) and only their followers.

    `members` holds the store's dense follower ids; they are renumbered over the followers
    that remain, which keep their relative order and store columns (``following`` still
    counts every creator of the store: a follower's activity does not change because fewer
    creators are studied, and selection uses it for mass-followers).
    """
    kept, new_id = np.unique(members, return_inverse=True)

    def kept_followers() -> pl.DataFrame:
        table = followers if isinstance(followers, pl.DataFrame) else followers()
        return table[kept].with_columns(
            pl.int_range(0, len(kept), dtype=pl.Int32).alias(s.FOLLOWER)
        )

    return AudienceGraph(
        indptr=indptr,
        indices=new_id.astype(np.int32).reshape(-1),
        creators=creators.with_columns(
            pl.int_range(0, creators.height, dtype=pl.Int32).alias(s.CREATOR),
            pl.Series(s.FOLLOWERS, degrees, dtype=pl.Int64),
        ),
        followers=kept_followers,
        n_followers=len(kept),
        filters=filters,
    )


def _choose(
    table: pl.DataFrame,
    degrees: np.ndarray,
    index: Callable[[Iterable[CreatorId]], np.ndarray],
    *,
    creators: Sequence[CreatorId] | None = None,
    tiers: Sequence[str] | None = None,
    min_followers: int | None = None,
    max_followers: int | None = None,
) -> np.ndarray:
    mask = np.ones(table.height, dtype=bool)
    if creators is not None:
        chosen = np.zeros(table.height, dtype=bool)
        chosen[index(creators)] = True
        mask &= chosen
    if tiers:
        s.check_tiers(tiers)
        mask &= table[s.TIER].is_in(list(tiers)).to_numpy()
    if min_followers is not None:
        mask &= degrees >= min_followers
    if max_followers is not None:
        mask &= degrees <= max_followers
    return np.flatnonzero(mask)
