"""List reach: how a list of creators reaches its followers, and how often.

`audience_report` gives per creator figures (followers, exclusive followers, their
contribution), the list's reach and duplication, the pairwise shared matrices of short
lists and the frequency table (followers reached exactly 1, 2, 3 and 4+ times); with an
`exposure.Exposure` also the expected reach and the expected distribution of posts seen,
and with a brand's accounts the affinity index of every creator to the brand's audience.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.affinity import affinity_index
from graph_engine.errors import ParameterError
from graph_engine.exposure import FREQUENCY_TOP, Exposure, expected_times_seen, unreached
from graph_engine.graph import AudienceGraph, CreatorId
from graph_engine.names import creator_columns

__all__ = [
    "MAX_MATRIX",
    "AudienceReport",
    "ListCounts",
    "audience_report",
    "frequency_of",
    "frequency_table",
    "intersection_sizes",
    "list_counts",
    "report_of",
]

MAX_MATRIX = 30  # the shared matrices are shown for lists of at most this many creators


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


def audience_report(
    graph: AudienceGraph,
    creators: Sequence[CreatorId],
    *,
    exposure: Exposure | None = None,
    affinity_to: Sequence[CreatorId] = (),
    population: int | None = None,
) -> AudienceReport:
    """Reach, duplication and exclusive followers of a list of creators.

    Per creator: followers, exclusive (followers of no other listed creator), exclusive
    share (exclusive / followers) and contribution (exclusive / reach: the share of the
    list's reach lost without this creator). For the list: total followers (sum), reach
    (size of the union), duplicated (sum - reach) and expected frequency (sum / reach).
    For up to 30 creators, the pairwise shared matrix in counts and in percent of the row
    creator's followers. The frequency table counts followers reached exactly 1, 2, 3 and
    4 or more times (``share`` of the reach).

    Parameters
    ----------
    graph
        The graph (holding the listed creators, and the `affinity_to` ones).
    creators
        Ids or handles of the list.
    exposure
        A reach rate and posts (`exposure.Exposure`): adds ``expected_reach`` to the
        list and to every creator, and the expected distribution of posts seen to the
        frequency table.
    affinity_to
        A brand's own accounts: adds every listed creator's ``affinity`` index to their
        combined audience (100 = average) and lists the creators by it, highest first.
    population
        People in the whole graph, the affinity baseline (default: the graph's
        followers; give the store's when `graph` holds only some creators).

    Returns
    -------
    AudienceReport
        The per-creator table, the list's figures, the matrices and the frequency.

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
    extra: dict[str, Any] = {}
    if affinity_to:
        affinity, extra = _affinity(graph, idx, affinity_to, population)
        order = np.argsort(-np.nan_to_num(affinity, nan=-1.0), kind="stable")  # undefined last
        idx, affinity = [idx[i] for i in order.tolist()], affinity[order]
    report = report_of(graph.creators, idx, list_counts(graph, idx), graph.filters)
    frame, summary, frequency = report.creators, {**report.summary, **extra}, report.frequency
    if affinity_to:
        frame = frame.with_columns(pl.Series("affinity", affinity, nan_to_null=True))
    if exposure is not None:
        index = np.asarray(idx, dtype=np.int64)
        q = exposure.rates(graph.creators, index)
        frame = frame.with_columns(pl.Series("expected_reach", q * frame[s.FOLLOWERS].to_numpy()))
        summary["expected_reach"] = float((1.0 - unreached(graph, index, q)).sum())
        summary["exposure"] = exposure.describe()
        frequency = _with_expected(frequency, expected_times_seen(graph, index, exposure))
    return replace(report, creators=frame, summary=summary, frequency=frequency)


@dataclass(frozen=True)
class ListCounts:
    """What a list's report is made of, however it was counted (here, or by Spark).

    Attributes
    ----------
    followers
        Followers of each listed creator.
    exclusive
        Followers of each listed creator who follow no other listed creator.
    times
        Followers reached exactly 1, 2, 3, ... times, the last entry `FREQUENCY_TOP` or
        more times.
    matrix
        Shared followers of every two listed creators (their own followers on the
        diagonal); None for lists longer than `MAX_MATRIX`.
    """

    followers: np.ndarray
    exclusive: np.ndarray
    times: np.ndarray
    matrix: np.ndarray | None

    @property
    def reach(self) -> int:
        """Followers of at least one listed creator."""
        return int(self.times.sum())


def list_counts(graph: AudienceGraph, idx: Sequence[int], *, matrix: bool = True) -> ListCounts:
    """Count a list's followers, exclusive followers, frequency and shared matrix.

    Parameters
    ----------
    graph
        The graph.
    idx
        Dense ids of the listed creators (no repeats).
    matrix
        Whether to count the shared matrix (lists of at most `MAX_MATRIX` creators).

    Returns
    -------
    ListCounts
        The counts, in the order of `idx`.
    """
    rows, members, counts = _times_reached(graph, list(idx))
    followers = np.array([r.size for r in rows], dtype=np.int64)
    seg = np.repeat(np.arange(len(rows)), followers)
    exclusive = np.bincount(seg, weights=counts[members] == 1, minlength=len(rows))
    times = np.bincount(np.minimum(counts, FREQUENCY_TOP), minlength=FREQUENCY_TOP + 1)[1:]
    shared = None
    if matrix and len(rows) <= MAX_MATRIX:
        shared = np.diag(followers)
        for i, j in itertools.combinations(range(len(rows)), 2):
            shared[i, j] = shared[j, i] = np.intersect1d(rows[i], rows[j], assume_unique=True).size
    return ListCounts(followers, exclusive.astype(np.int64), times.astype(np.int64), shared)


def report_of(
    creators: pl.DataFrame, idx: Sequence[int], counts: ListCounts, filters: Sequence[str] = ()
) -> AudienceReport:
    """Build a list's report from its counts (`list_counts`, or Spark's).

    Parameters
    ----------
    creators
        The creators table (dense ids are its rows).
    idx
        Dense ids of the listed creators, in the order of `counts`.
    counts
        The list's counts.
    filters
        What was left out of the audience (`AudienceGraph.filters`).

    Returns
    -------
    AudienceReport
        The per-creator table, the figures, the matrices and the frequency table.
    """
    followers, exclusive, reach = counts.followers, counts.exclusive, counts.reach
    total = int(followers.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        frame = pl.DataFrame(
            {
                **creator_columns(creators, np.asarray(idx, dtype=np.int64)),
                s.TIER: creators[s.TIER].gather(list(idx)),
                s.FOLLOWERS: followers,
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
        **({"audience_filter": "; ".join(filters)} if filters else {}),
    }
    shared = shared_percent = None
    if counts.matrix is not None:
        rows_of = frame.select(c for c in (s.CREATOR_ID, s.name_column(frame)) if c)
        names = _labels(frame, taken=set(rows_of.columns))
        matrix = counts.matrix
        shared = rows_of.hstack([pl.Series(n, matrix[:, j]) for j, n in enumerate(names)])
        with np.errstate(divide="ignore", invalid="ignore"):
            pct = np.nan_to_num(100.0 * matrix / followers[:, None])
        shared_percent = rows_of.hstack(
            [pl.Series(n, np.round(pct[:, j], 2)) for j, n in enumerate(names)]
        )
    return AudienceReport(frame, summary, shared, shared_percent, frequency_table(counts.times))


def _affinity(
    graph: AudienceGraph,
    idx: list[int],
    brand: Sequence[CreatorId],
    population: int | None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Affinity index of the creators `idx` to the brand accounts' combined audience.

    NaN (shown as empty) for the brand accounts themselves, for creators without
    followers, and for everyone when no brand follower is left.
    """
    accounts = np.unique(graph.creator_index(brand))  # a brand named twice counts once
    inside = np.zeros(graph.n_followers, dtype=bool)
    for b in accounts.tolist():
        inside[graph.indices[graph.indptr[b] : graph.indptr[b + 1]]] = True
    rows = [graph.indices[graph.indptr[c] : graph.indptr[c + 1]] for c in idx]
    shared = np.array([np.count_nonzero(inside[r]) for r in rows], dtype=np.int64)
    people = graph.n_followers if population is None else population
    brand_size = int(np.count_nonzero(inside))
    followers = np.array([r.size for r in rows])
    index = affinity_index(shared, followers, brand_size, people)
    undefined = np.isin(np.asarray(idx), accounts) | (followers == 0) | (brand_size == 0)
    index = np.where(undefined, np.nan, index)
    names = graph.creator_ids(accounts).cast(pl.String).to_list()
    return index, {"affinity_to": names, "brand_audience": brand_size, "population": people}


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


def frequency_of(
    graph: AudienceGraph, index: np.ndarray, exposure: Exposure | None = None
) -> pl.DataFrame:
    """Count the followers some creators reach exactly 1, 2, 3 and 4 or more times.

    Parameters
    ----------
    graph
        The graph.
    index
        Dense ids of the creators (a plan's picks, a shortlist).
    exposure
        With a reach rate: also the expected number of followers who see exactly 1, 2,
        3 and 4+ of the posts (`exposure.expected_times_seen`).

    Returns
    -------
    polars.DataFrame
        ``times`` (``1``, ``2``, ``3``, ``4+``), ``followers``, their ``share`` of the
        creators' reach, and ``at_least`` (effective reach at 1+, 2+, 3+, 4+); with
        `exposure`, ``expected_followers`` and ``expected_at_least`` too.
    """
    index = np.asarray(index, dtype=np.int64)
    found = frequency_table(list_counts(graph, index.tolist(), matrix=False).times)
    if exposure is None:
        return found
    return _with_expected(found, expected_times_seen(graph, index, exposure))


def _times_reached(
    graph: AudienceGraph, idx: list[int]
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Return the creators' CSR rows, their followers end to end, and each follower's count.

    ``counts[f]`` is how many of the creators follower ``f`` follows (no scipy needed).
    """
    rows = [graph.indices[graph.indptr[i] : graph.indptr[i + 1]] for i in idx]
    members = np.concatenate(rows) if rows else np.empty(0, dtype=np.int32)
    return rows, members, np.bincount(members, minlength=graph.n_followers)


def frequency_table(times: np.ndarray) -> pl.DataFrame:
    """Tabulate the followers reached exactly 1, 2, 3 and 4 or more times.

    ``at_least`` is the effective reach at that frequency: followers reached this many
    times or more (``at_least`` of ``2`` is the effective reach at 2+).

    Parameters
    ----------
    times
        Followers reached exactly 1, 2, 3 times and 4 or more times (4 counts).

    Returns
    -------
    polars.DataFrame
        ``times``, ``followers``, ``share`` of the reach and ``at_least``.
    """
    reach = int(times.sum())
    return pl.DataFrame(
        {
            "times": [*map(str, range(1, FREQUENCY_TOP)), f"{FREQUENCY_TOP}+"],
            "followers": times.astype(np.int64),
            "share": times / reach if reach else np.zeros(FREQUENCY_TOP),
            "at_least": np.cumsum(times[::-1])[::-1].astype(np.int64),
        }
    )


def _with_expected(frequency: pl.DataFrame, expected: np.ndarray) -> pl.DataFrame:
    """Add the expected distribution of posts seen under exposure to a frequency table."""
    return frequency.with_columns(
        pl.Series("expected_followers", expected),
        pl.Series("expected_at_least", np.cumsum(expected[::-1])[::-1]),
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
