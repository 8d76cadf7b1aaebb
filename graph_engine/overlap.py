"""Exact audience overlap: pairwise shared followers, list reach reports, similar audiences.

Shared counts are the entries of B·Bᵀ for the creators x followers biadjacency B. They are
computed in row blocks (a bounded number of output entries each) on a small thread pool
(scipy's sparse product releases the GIL), and every block becomes a tidy frame of pairs
with their metrics, so a caller can stream any number of pairs to disk.
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, get_args

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.errors import ParameterError
from graph_engine.exclusion import Exclusion
from graph_engine.graph import (
    AudienceGraph,
    CreatorId,
    read_shared_counts,
)
from graph_engine.names import creator_columns
from graph_engine.vocab import Metric

__all__ = [
    "FREQUENCY_TOP",
    "LARGE_RESULT",
    "MAX_MATRIX",
    "METRICS",
    "PAIR_SCHEMA",
    "AudienceReport",
    "Metric",
    "audience_report",
    "compute_overlap",
    "empty_pairs",
    "frequency_of",
    "intersection_sizes",
    "overlap_blocks",
    "pair_bound",
    "pair_metrics",
    "similar_creators",
    "strongest_pairs",
]

METRICS: tuple[Metric, ...] = get_args(Metric)

PAIR_SCHEMA: dict[str, Any] = {
    "creator_a": None,  # original id type, filled in per graph
    "creator_b": None,
    "shared": pl.Int64,
    "followers_a": pl.Int64,
    "followers_b": pl.Int64,
    "jaccard": pl.Float64,
    "overlap_coefficient": pl.Float64,
    "share_of_a": pl.Float64,
    "share_of_b": pl.Float64,
}
_BLOCK_ENTRIES = 2_000_000  # output entries of one block product (bounds memory)
MAX_MATRIX = 30
LARGE_RESULT = 10_000_000  # pairs: above this, the command line warns before computing


def _threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def overlap_blocks(
    graph: AudienceGraph,
    *,
    creators: Sequence[CreatorId] | None = None,
    min_shared: int = 1,
    min_jaccard: float = 0.0,
    top_k: int | None = None,
    by: Metric = "jaccard",
    block_entries: int = _BLOCK_ENTRIES,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[pl.DataFrame]:
    """Yield the overlap pairs block by block (see `compute_overlap` for the parameters).

    `progress(done, total)` is called after each block of creators (for progress bars).
    """
    from graph_engine._kernels import shared_counts, transpose  # numba: loaded when needed

    _check(min_shared=min_shared, min_jaccard=min_jaccard, top_k=top_k, by=by)
    if creators is not None:
        graph = graph.take(graph.creator_index(creators))
    n = graph.n_creators
    # many small blocks: with only b > a counted, the first creators carry the most work
    rows_per_block = max(1, min(block_entries // max(n, 1), -(-n // (16 * _threads()))))
    blocks = [(i, min(i + rows_per_block, n)) for i in range(0, n, rows_per_block)]
    t_indptr, t_indices = transpose(graph.indptr, graph.indices, graph.n_followers)
    degrees = graph.degrees

    def work(block: tuple[int, int]) -> pl.DataFrame:
        lo, hi = block
        rows, cols, shared = shared_counts(
            graph.indptr, graph.indices, t_indptr, t_indices, lo, hi, top_k is None
        )
        if min_shared > 1:
            keep = shared >= min_shared
            rows, cols, shared = rows[keep], cols[keep], shared[keep]
        metrics = pair_metrics(shared, degrees[rows], degrees[cols])
        if min_jaccard > 0:
            keep = metrics["jaccard"] >= min_jaccard
            rows, cols, shared = rows[keep], cols[keep], shared[keep]
            metrics = {k: v[keep] for k, v in metrics.items()}
        if top_k is not None:
            keep = _top_k_per_row(rows, cols, metrics[by], top_k)
            rows, cols = rows[keep], cols[keep]
            metrics = {k: v[keep] for k, v in metrics.items()}
        return pl.DataFrame(
            {
                **creator_columns(graph.creators, rows, "_a"),
                **creator_columns(graph.creators, cols, "_b"),
                **metrics,
            }
        )

    done = 0

    def finished(frame: pl.DataFrame) -> pl.DataFrame:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(blocks))
        return frame

    pool = ThreadPoolExecutor(_threads())
    try:
        pending: deque[Any] = deque()
        for block in blocks:
            pending.append(pool.submit(work, block))
            if len(pending) > 2 * _threads():  # bounded look-ahead keeps memory bounded
                yield finished(pending.popleft().result())
        while pending:
            yield finished(pending.popleft().result())
    finally:
        # no wait: a reader that stops early may close this generator from any thread
        # (even, when it is garbage-collected, one of the pool's), which cannot join itself
        pool.shutdown(wait=False, cancel_futures=True)


def compute_overlap(
    graph: AudienceGraph,
    *,
    creators: Sequence[CreatorId] | None = None,
    min_shared: int = 1,
    min_jaccard: float = 0.0,
    top_k: int | None = None,
    by: Metric = "jaccard",
) -> pl.DataFrame:
    """Every pair of creators that share followers, with overlap metrics.

    Parameters
    ----------
    graph
        The creators and their followers.
    creators
        Original ids to restrict to (others: `AudienceGraph.subgraph` first).
    min_shared, min_jaccard
        Drop pairs below these.
    top_k
        Keep, for each creator, its `top_k` partners by `by` (ties: larger shared, then
        partner order). Rows are then directed: `creator_a` is the focal creator, and a pair
        can appear twice. Without `top_k` each pair appears once, `creator_a` first in id
        order.
    by
        The metric that ranks partners for `top_k`.

    Returns
    -------
    polars.DataFrame
        creator_a, creator_b, shared, followers_a, followers_b, jaccard,
        overlap_coefficient (shared / min), share_of_a (shared / followers_a), share_of_b.

    Notes
    -----
    Exact. Time is proportional to the sum over followers of (creators they follow)²,
    split over row blocks on up to four threads; memory is bounded by the block size plus
    the result (use `write_overlap` to stream a large result to disk).

    Examples
    --------
    >>> import polars as pl
    >>> from graph_engine.tables import build_tables
    >>> edges = pl.DataFrame({"creator_id": ["a", "a", "b", "b", "c"],
    ...                       "follower_id": [1, 2, 2, 3, 3]})
    >>> g = AudienceGraph.from_tables(build_tables([edges]))
    >>> compute_overlap(g).select("creator_a", "creator_b", "shared", "jaccard").rows()
    [('a', 'b', 1, 0.3333333333333333), ('b', 'c', 1, 0.5)]
    """
    frames = list(
        overlap_blocks(
            graph,
            creators=creators,
            min_shared=min_shared,
            min_jaccard=min_jaccard,
            top_k=top_k,
            by=by,
        )
    )
    return pl.concat(frames) if frames else empty_pairs(graph)


def pair_bound(graph: AudienceGraph, *, top_k: int | None = None) -> int:
    """Return an upper bound on the number of overlap pairs, without computing them.

    A pair needs a shared follower, so there are at most sum over followers of
    C(d, 2) pairs (d: the creators a follower follows), and at most C(n, 2) for n
    creators. With `top_k` each creator lists its own partners (a pair can appear once
    per side): at most twice that, and at most n x `top_k`. One pass over the edges.

    Parameters
    ----------
    graph
        The graph whose pairs would be computed.
    top_k
        The per-creator limit of `compute_overlap`, if any.

    Returns
    -------
    int
        At least the number of pairs `compute_overlap` would return.

    Examples
    --------
    >>> from graph_engine.tables import build_tables
    >>> edges = pl.DataFrame({"creator_id": ["a", "a", "b", "c"], "follower_id": [1, 2, 1, 1]})
    >>> pair_bound(AudienceGraph.from_tables(build_tables([edges])))
    3
    """
    n = graph.n_creators
    d = np.bincount(graph.indices, minlength=graph.n_followers).astype(np.int64)
    bound = min(n * (n - 1) // 2, int((d * (d - 1) // 2).sum()))
    return bound if top_k is None else min(2 * bound, n * top_k)


def strongest_pairs(
    blocks: Iterable[pl.DataFrame], limit: int, *, by: Metric = "jaccard"
) -> tuple[pl.DataFrame, int]:
    """Keep the `limit` strongest pairs of a stream of blocks, in memory bounded by `limit`.

    Parameters
    ----------
    blocks
        Pair blocks (from `overlap_blocks`), all with one schema.
    limit
        How many pairs to keep (at least 1).
    by
        The metric that ranks pairs; ties go to more shared followers, then to the ids.

    Returns
    -------
    tuple of (polars.DataFrame, int)
        The strongest pairs, strongest first, and the number of pairs seen.

    Examples
    --------
    >>> a = pl.DataFrame({"creator_a": ["x"], "creator_b": ["y"], "shared": [1], "jaccard": [0.5]})
    >>> b = pl.DataFrame({"creator_a": ["x"], "creator_b": ["z"], "shared": [2], "jaccard": [0.9]})
    >>> top, seen = strongest_pairs([a, b], 1)
    >>> top["creator_b"].to_list(), seen
    (['z'], 2)
    """
    if limit < 1:
        raise ParameterError(f"`limit` must be at least 1, got {limit}")
    order = [by, "shared", "creator_a", "creator_b"]
    descending = [True, True, False, False]
    best: pl.DataFrame | None = None
    seen = 0
    for block in blocks:
        seen += block.height
        merged = block if best is None else pl.concat([best, block])
        best = merged.sort(order, descending=descending).head(limit)
    if best is None:
        raise ParameterError("no pair blocks given")
    return best, seen


def empty_pairs(graph: AudienceGraph) -> pl.DataFrame:
    """Return a pairs frame with no rows and the right schema for `graph`'s ids.

    Parameters
    ----------
    graph
        The graph whose creator id type the frame takes.

    Returns
    -------
    polars.DataFrame
        The overlap columns, no rows.
    """
    none = np.zeros(0, dtype=np.int64)
    names = pl.DataFrame(
        {
            **creator_columns(graph.creators, none, "_a"),
            **creator_columns(graph.creators, none, "_b"),
        }
    )
    metrics = {k: v for k, v in PAIR_SCHEMA.items() if v is not None}
    return pl.concat([names, pl.DataFrame(schema=metrics)], how="horizontal")


def pair_metrics(
    shared: np.ndarray, followers_a: np.ndarray, followers_b: np.ndarray
) -> dict[str, np.ndarray]:
    """Compute the metric columns of a set of pairs, vectorised.

    Parameters
    ----------
    shared
        Shared followers of each pair.
    followers_a, followers_b
        Audience sizes of the two creators of each pair.

    Returns
    -------
    dict of numpy.ndarray
        ``shared``, ``followers_a``, ``followers_b``, ``jaccard``,
        ``overlap_coefficient``, ``share_of_a``, ``share_of_b`` (0 where undefined).
    """
    shared = np.asarray(shared, dtype=np.int64)
    fa = np.asarray(followers_a, dtype=np.int64)
    fb = np.asarray(followers_b, dtype=np.int64)
    sf = shared.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "shared": shared,
            "followers_a": fa,
            "followers_b": fb,
            "jaccard": np.nan_to_num(sf / (fa + fb - shared)),
            "overlap_coefficient": np.nan_to_num(sf / np.minimum(fa, fb)),
            "share_of_a": np.nan_to_num(sf / fa),
            "share_of_b": np.nan_to_num(sf / fb),
        }


def _top_k_per_row(rows: np.ndarray, cols: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Mask of the k best entries of each row (by score desc, then column asc)."""
    order = np.lexsort((cols, -score, rows))
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.concatenate([[True], sorted_rows[1:] != sorted_rows[:-1]]))
    group_start = np.repeat(starts, np.diff(np.append(starts, rows.size)))
    rank = np.arange(rows.size) - group_start
    mask = np.zeros(rows.size, dtype=bool)
    mask[order[rank < k]] = True
    return mask


def _check(*, min_shared: int, min_jaccard: float, top_k: int | None, by: str) -> None:
    if min_shared < 1:
        raise ParameterError(f"`min_shared` must be at least 1, got {min_shared}")
    if not 0.0 <= min_jaccard <= 1.0:
        raise ParameterError(f"`min_jaccard` must be between 0 and 1, got {min_jaccard}")
    if top_k is not None and top_k < 1:
        raise ParameterError(f"`top_k` must be at least 1, got {top_k}")
    if by not in METRICS:
        raise ParameterError(f"unknown metric `{by}`; metrics are {', '.join(METRICS)}")


# ---------------------------------------------------------------------------------------
# similar audiences


def similar_creators(
    graph: AudienceGraph | str | os.PathLike[str],
    creator: CreatorId,
    *,
    top_k: int = 10,
    by: Metric = "jaccard",
    exclude: Exclusion | None = None,
) -> pl.DataFrame:
    """Find the `top_k` creators whose audiences are most like `creator`'s, by a metric.

    Parameters
    ----------
    graph
        The creators and their followers, or a store directory: then only the edges of
        the creator's followers are counted, in one scan (`graph.read_shared_counts`),
        and nothing else of the store is loaded.
    creator
        The focal creator's original id.
    top_k
        How many creators to list.
    by
        The metric to rank by.
    exclude
        With a store: people left out of every count (see `exclusion.Exclusion`); a graph
        is filtered when it is read (`read_store(..., exclude=)`).

    Returns
    -------
    polars.DataFrame
        Pairs (creator_a = `creator`) with every metric column; only creators that share
        at least one follower are listed. Ties: larger shared first, then id order.
    """
    _check(min_shared=1, min_jaccard=0.0, top_k=top_k, by=by)
    if isinstance(graph, AudienceGraph):
        if exclude:
            raise ParameterError("`exclude` is for a store; read the graph with it instead")
        c = int(graph.creator_index([creator])[0])
        audience = np.zeros(graph.n_followers, dtype=np.int32)
        audience[graph.indices[graph.indptr[c] : graph.indptr[c + 1]]] = 1
        counts = np.asarray(graph.matrix @ audience, dtype=np.int64)  # shared with everyone
        table, degrees = graph.creators, graph.degrees
    else:
        table, c, counts = read_shared_counts(graph, creator, exclude=exclude)
        degrees = table[s.FOLLOWERS].to_numpy()
    counts[c] = 0
    cols = np.flatnonzero(counts)
    shared = counts[cols]
    metrics = pair_metrics(shared, np.full(cols.size, degrees[c]), degrees[cols])
    order = np.lexsort((cols, -shared, -metrics[by]))[:top_k]
    return pl.DataFrame(
        {
            **creator_columns(table, np.full(order.size, c), "_a"),
            **creator_columns(table, cols[order], "_b"),
            **{k: v[order] for k, v in metrics.items()},
        }
    )


# ---------------------------------------------------------------------------------------
# list reach report


@dataclass(frozen=True)
class AudienceReport:
    """Reach of a list of creators: per creator figures, list totals, pairwise matrix."""

    creators: pl.DataFrame
    summary: dict[str, Any]
    shared: pl.DataFrame | None
    shared_percent: pl.DataFrame | None
    frequency: pl.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """Return the report as one dict: the summary, ``creators`` and the matrices.

        Returns
        -------
        dict
            The summary figures, ``creators``, for short lists ``shared`` and
            ``shared_percent``, and ``frequency``.
        """
        out: dict[str, Any] = dict(self.summary)
        out["creators"] = self.creators
        if self.shared is not None:
            out["shared"] = self.shared
            out["shared_percent"] = self.shared_percent
        out["frequency"] = self.frequency
        return out


def audience_report(graph: AudienceGraph, creators: Sequence[CreatorId]) -> AudienceReport:
    """Reach, duplication and exclusive followers of a list of creators.

    Per creator: followers, exclusive (followers of no other listed creator), exclusive
    share (exclusive / followers) and contribution (exclusive / reach: the share of the
    list's reach lost without this creator). For the list: total followers (sum), reach
    (size of the union), duplicated (sum - reach) and expected frequency (sum / reach).
    For up to 30 creators, the pairwise shared matrix in counts and in percent of the row
    creator's followers. The frequency table counts followers reached exactly 1, 2, 3 and
    4 or more times (``share`` of the reach).

    Examples
    --------
    >>> import polars as pl
    >>> from graph_engine.tables import build_tables
    >>> edges = pl.DataFrame({"creator_id": ["a", "a", "b", "b", "c"],
    ...                       "follower_id": [1, 2, 2, 3, 3]})
    >>> g = AudienceGraph.from_tables(build_tables([edges]))
    >>> r = audience_report(g, ["a", "b", "c"])
    >>> r.summary["reach"], r.summary["total_followers"], r.summary["duplicated"]
    (3, 5, 2)
    >>> r.creators["exclusive"].to_list()
    [1, 0, 0]
    >>> r.frequency["followers"].to_list()  # 1 follower reached once, 2 twice
    [1, 2, 0, 0]
    """
    if not creators:
        raise ParameterError("`creators` is empty; hint: name at least one creator")
    idx = list(dict.fromkeys(graph.creator_index(creators).tolist()))  # dedupe, keep order
    rows, members, counts = _times_reached(graph, idx)
    followers = np.array([r.size for r in rows], dtype=np.int64)
    reach = int(np.count_nonzero(counts))
    seg = np.repeat(np.arange(len(idx)), followers)
    exclusive = np.bincount(seg, weights=counts[members] == 1, minlength=len(idx))
    exclusive = exclusive.astype(np.int64)
    total = int(followers.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pl.DataFrame(
            {
                **creator_columns(graph.creators, np.asarray(idx)),
                s.TIER: graph.creators[s.TIER].gather(idx),
                s.FOLLOWERS: followers.astype(np.int64),
                "exclusive": exclusive,
                "exclusive_share": np.nan_to_num(exclusive / followers),
                "contribution": exclusive / reach if reach else np.zeros(len(idx)),
            }
        )
    summary = {
        "n_creators": len(idx),
        "total_followers": total,
        "reach": reach,
        "duplicated": total - reach,
        "expected_frequency": total / reach if reach else 0.0,
        **({"audience_filter": "; ".join(graph.filters)} if graph.filters else {}),
    }
    shared = shared_percent = None
    if len(idx) <= MAX_MATRIX:
        matrix = np.diag(followers)
        for i, j in itertools.combinations(range(len(idx)), 2):
            matrix[i, j] = matrix[j, i] = np.intersect1d(rows[i], rows[j], assume_unique=True).size
        rows_of = frame.select(c for c in (s.CREATOR_ID, s.name_column(frame)) if c)
        names = _labels(frame, taken=set(rows_of.columns))
        shared = rows_of.hstack([pl.Series(n, matrix[:, j]) for j, n in enumerate(names)])
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.nan_to_num(100.0 * matrix / followers[:, None])
        shared_percent = rows_of.hstack(
            [pl.Series(n, np.round(pct[:, j], 2)) for j, n in enumerate(names)]
        )
    return AudienceReport(frame, summary, shared, shared_percent, _frequency(counts, reach))


def intersection_sizes(graph: AudienceGraph, idx: np.ndarray) -> dict[int, int]:
    """Exact followers of each intersection of some creators: bitmask -> count.

    Bit ``i`` of a key is set when the follower follows creator ``idx[i]`` (at most 62
    creators); every key present follows at least one of them.

    Parameters
    ----------
    graph
        The graph.
    idx
        Dense ids of the creators.

    Returns
    -------
    dict
        Intersection bitmask to its number of followers (non-empty ones only).
    """
    mask = np.zeros(graph.n_followers, dtype=np.int64)
    for bit, c in enumerate(idx.tolist()):
        mask[graph.indices[graph.indptr[c] : graph.indptr[c + 1]]] |= 1 << bit
    keys, counts = np.unique(mask[mask > 0], return_counts=True)
    return dict(zip(keys.tolist(), counts.tolist(), strict=True))


FREQUENCY_TOP = 4  # the frequency table's last row counts followers reached this often or more


def frequency_of(graph: AudienceGraph, index: np.ndarray) -> pl.DataFrame:
    """Count the followers some creators reach exactly 1, 2, 3 and 4 or more times.

    Parameters
    ----------
    graph
        The graph.
    index
        Dense ids of the creators (a plan's picks, a shortlist).

    Returns
    -------
    polars.DataFrame
        ``times`` (``1``, ``2``, ``3``, ``4+``), ``followers``, their ``share`` of the
        creators' reach, and ``at_least`` (effective reach at 1+, 2+, 3+, 4+).
    """
    counts = _times_reached(graph, np.asarray(index).tolist())[2]
    return _frequency(counts, int(np.count_nonzero(counts)))


def _times_reached(
    graph: AudienceGraph, idx: list[int]
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Return the creators' CSR rows, their followers end to end, and each follower's count.

    ``counts[f]`` is how many of the creators follower ``f`` follows (no scipy needed).
    """
    rows = [graph.indices[graph.indptr[i] : graph.indptr[i + 1]] for i in idx]
    members = np.concatenate(rows) if rows else np.empty(0, dtype=np.int32)
    return rows, members, np.bincount(members, minlength=graph.n_followers)


def _frequency(counts: np.ndarray, reach: int) -> pl.DataFrame:
    """Followers reached exactly 1, 2, 3 and 4 or more times by the list.

    ``at_least`` is the effective reach at that frequency: followers reached this many
    times or more (``at_least`` of ``2`` is the effective reach at 2+).
    """
    times = np.bincount(np.minimum(counts, FREQUENCY_TOP), minlength=FREQUENCY_TOP + 1)[1:]
    return pl.DataFrame(
        {
            "times": [*map(str, range(1, FREQUENCY_TOP)), f"{FREQUENCY_TOP}+"],
            "followers": times.astype(np.int64),
            "share": times / reach if reach else np.zeros(FREQUENCY_TOP),
            "at_least": np.cumsum(times[::-1])[::-1].astype(np.int64),
        }
    )


def _labels(creators: pl.DataFrame, taken: set[str]) -> list[str]:
    """Column headers for creators: their handles when distinct, else their ids.

    A header that would repeat one already `taken` (or another header) gets ``#k``.
    """
    ids = [str(v) for v in creators[s.CREATOR_ID].to_list()]
    name = s.name_column(creators)
    handles = [str(h) for h in creators[name].to_list() if h] if name else []
    labels = handles if len(set(handles)) == len(ids) else ids
    out: list[str] = []
    for label in labels:
        unique, k = label, 1
        while unique in taken:
            k += 1
            unique = f"{label} #{k}"
        taken.add(unique)
        out.append(unique)
    return out
