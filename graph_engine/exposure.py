"""Exposure: a post reaches only part of a creator's audience.

One post of creator c reaches each of its followers with probability ``p_c``, its reach
rate (a number, or a creators column such as ``reach_rate``); ``n`` posts reach a
follower with probability ``q_c = 1 - (1 - p_c) ** n``. Posts reach followers
independently, so a follower of creators C is reached with probability
``1 - prod(1 - q_c for c in C)`` and the expected reach of a list is the sum of those
chances over its followers. The number of times a follower sees a post is a sum of
binomials, ``Binomial(n, p_c)`` over C; `expected_times_seen` gives its expected
distribution over the followers. With a rate of 1 every figure is the plain one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from graph_engine.errors import ParameterError, SchemaError, did_you_mean
from graph_engine.graph import AudienceGraph

__all__ = [
    "FREQUENCY_TOP",
    "MAX_POSTS",
    "Exposure",
    "expected_reach",
    "expected_times_seen",
    "read_rate",
    "unreached",
]

FREQUENCY_TOP = 4  # the frequency tables' last row: reached this often or more
MAX_POSTS = 10_000  # posts per creator: far beyond any campaign, well inside every float


def read_rate(value: float | str) -> float | str:
    """Read a reach rate as given on a command line or in a job: a number, or a column.

    Parameters
    ----------
    value
        A number, text holding one (``"0.3"``), or a creators column name.

    Returns
    -------
    float or str
        The number, or the column name (stripped).

    Examples
    --------
    >>> read_rate("0.3"), read_rate("reach_rate"), read_rate(0.5)
    (0.3, 'reach_rate', 0.5)
    """
    if not isinstance(value, str):
        return value
    try:
        return float(value)
    except ValueError:
        return value.strip()


@dataclass(frozen=True)
class Exposure:
    """How much of a creator's audience its posts reach.

    Attributes
    ----------
    rate
        The share of a creator's followers one post reaches, in (0, 1], or the name of a
        creators column holding each creator's rate.
    posts
        Posts per creator (at least 1).

    Examples
    --------
    >>> e = Exposure(0.3, posts=2)
    >>> round(float(e.chance(np.array([0.3]))[0]), 4)  # 1 - 0.7 ** 2
    0.51
    >>> e.describe()
    "each post reaches 30% of a creator's followers, 2 posts per creator"
    """

    rate: float | str
    posts: int = 1

    def __post_init__(self) -> None:
        """Check the rate and the number of posts."""
        if isinstance(self.rate, str):
            if not self.rate.strip():
                raise ParameterError("the reach rate column name is empty")
        elif isinstance(self.rate, bool) or not isinstance(self.rate, int | float):
            raise ParameterError(
                f"the reach rate is a number in (0, 1] or a creators column name, got {self.rate!r}"
            )
        elif not (0 < self.rate <= 1):
            raise ParameterError(
                f"the reach rate is the share of a creator's followers one post reaches, in "
                f"(0, 1], got {self.rate}; hint: --reach-rate 0.3 for 30%, or a creators "
                "column such as reach_rate"
            )
        if isinstance(self.posts, bool) or not isinstance(self.posts, int):
            raise ParameterError(f"`posts` is a whole number of posts, got {self.posts!r}")
        if not 1 <= self.posts <= MAX_POSTS:
            raise ParameterError(
                f"`posts` must be between 1 and {MAX_POSTS:,} per creator, got {self.posts}"
            )

    def per_post(self, creators: pl.DataFrame, rows: np.ndarray) -> np.ndarray:
        """Return the reach rate of one post of each creator `rows`.

        Parameters
        ----------
        creators
            The creators table (with the rate column when `rate` names one).
        rows
            Rows of that table (dense creator ids).

        Returns
        -------
        numpy.ndarray
            One rate in (0, 1] per row.

        Raises
        ------
        SchemaError
            When the column is missing, not numeric, or has a value outside (0, 1] or
            no value for one of these creators.
        """
        if not isinstance(self.rate, str):
            return np.full(len(rows), float(self.rate))
        name = self.rate
        if name not in creators.columns:
            hint = did_you_mean(name, creators.columns)
            raise SchemaError(
                f"no creators column {name!r} for the reach rate{hint}; hint: add it to the "
                "creators file (`ingest --creators FILE`), or give a number such as 0.3"
            )
        column = creators[name]
        if not column.dtype.is_numeric():
            raise SchemaError(f"the reach rate column {name!r} is {column.dtype}, not numbers")
        values = column.cast(pl.Float64).gather(rows).to_numpy()
        bad = ~((values > 0) & (values <= 1))  # NaN and missing (NaN after to_numpy) too
        if bad.any():
            ids = creators["creator_id"].gather(rows[bad][:3]).to_list()
            raise SchemaError(
                f"{int(bad.sum()):,} creators have no reach rate in (0, 1] in column "
                f"{name!r} (e.g. {', '.join(map(str, ids))}); hint: fill the column in the "
                "creators file, or leave those creators out"
            )
        return values

    def chance(self, per_post: np.ndarray) -> np.ndarray:
        """Return the chance that a creator's posts reach a given follower: 1 - (1-p)^n.

        Parameters
        ----------
        per_post
            One post's reach rate of each creator.

        Returns
        -------
        numpy.ndarray
            ``q`` per creator (computed as ``-expm1(n log1p(-p))``, exact for p = 1).
        """
        with np.errstate(divide="ignore"):
            miss = np.log1p(-np.asarray(per_post, dtype=np.float64))
            q: np.ndarray = -np.expm1(self.posts * miss)
        return q

    def rates(self, creators: pl.DataFrame, rows: np.ndarray) -> np.ndarray:
        """Return ``q`` for each creator `rows`: the chance its posts reach a follower.

        Parameters
        ----------
        creators
            The creators table.
        rows
            Rows of that table.

        Returns
        -------
        numpy.ndarray
            One chance per row.
        """
        return self.chance(self.per_post(creators, rows))

    def describe(self) -> str:
        """Say the exposure in words, for reports.

        Returns
        -------
        str
            E.g. ``"each post reaches 30% of a creator's followers, 2 posts per creator"``.
        """
        rate = (
            f"the share in column `{self.rate}`"
            if isinstance(self.rate, str)
            else f"{100 * self.rate:g}%"
        )
        posts = "1 post" if self.posts == 1 else f"{self.posts} posts"
        return f"each post reaches {rate} of a creator's followers, {posts} per creator"


def unreached(graph: AudienceGraph, index: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Return each follower's chance of being reached by none of some creators.

    Parameters
    ----------
    graph
        The graph.
    index
        Dense ids of the creators.
    q
        The chance each of them reaches one of its followers (`Exposure.rates`).

    Returns
    -------
    numpy.ndarray
        One probability per follower of the graph (1 for followers of none of them).
    """
    miss = np.ones(graph.n_followers)
    for c, chance in zip(np.asarray(index).tolist(), np.asarray(q).tolist(), strict=True):
        miss[graph.indices[graph.indptr[c] : graph.indptr[c + 1]]] *= 1.0 - chance
    return miss


def expected_reach(graph: AudienceGraph, index: np.ndarray, exposure: Exposure) -> float:
    """Return the expected number of followers some creators' posts reach.

    Parameters
    ----------
    graph
        The graph.
    index
        Dense ids of the creators.
    exposure
        The reach rate and the posts.

    Returns
    -------
    float
        The sum over followers of ``1 - prod(1 - q_c)``.

    Examples
    --------
    >>> import polars as pl
    >>> from graph_engine.tables import build_tables
    >>> edges = pl.DataFrame({"creator_id": ["a", "a", "b"], "follower_id": [1, 2, 2]})
    >>> g = AudienceGraph.from_tables(build_tables([edges]))
    >>> expected_reach(g, np.array([0, 1]), Exposure(0.5))  # 0.5 + (1 - 0.5 * 0.5)
    1.25
    """
    index = np.asarray(index, dtype=np.int64)
    miss = unreached(graph, index, exposure.rates(graph.creators, index))
    return float((1.0 - miss).sum())


def expected_times_seen(graph: AudienceGraph, index: np.ndarray, exposure: Exposure) -> np.ndarray:
    """Return the expected number of followers who see 1, 2, 3 and 4+ of the posts.

    Each creator's ``n`` posts reach a follower ``Binomial(n, p_c)`` times; a follower's
    count is the sum over the creators it follows. With one rate for all, that is
    ``Binomial(m n, p)`` for a follower of m of them (a histogram of m does); with a rate
    per creator, the distribution (truncated at `FREQUENCY_TOP`) is built creator by
    creator, vectorised over that creator's followers.

    Parameters
    ----------
    graph
        The graph.
    index
        Dense ids of the creators.
    exposure
        The reach rate and the posts.

    Returns
    -------
    numpy.ndarray
        ``FREQUENCY_TOP`` expected counts: exactly 1, 2, 3, and 4 or more times.
    """
    index = np.asarray(index, dtype=np.int64)
    p = exposure.per_post(graph.creators, index)
    rows = [graph.indices[graph.indptr[c] : graph.indptr[c + 1]] for c in index.tolist()]
    if not isinstance(exposure.rate, str):  # one rate: only how many creators one follows matters
        members = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int32)
        followed = np.bincount(np.bincount(members, minlength=graph.n_followers))
        out = np.zeros(FREQUENCY_TOP)
        for m in np.flatnonzero(followed[1:]).tolist():  # Binomial(m * posts, p)
            out += followed[m + 1] * _binomial_top((m + 1) * exposure.posts, float(p[0]))[1:]
        return out
    touched = np.unique(np.concatenate(rows)) if rows else np.zeros(0, dtype=np.int32)
    where = np.zeros(graph.n_followers, dtype=np.int64)
    where[touched] = np.arange(touched.size)
    dist = np.zeros((touched.size, FREQUENCY_TOP + 1))
    dist[:, 0] = 1.0
    for members, rate in zip(rows, p.tolist(), strict=True):
        pmf = _binomial_top(exposure.posts, rate)
        at = where[members]
        before, after = dist[at], np.zeros((at.size, FREQUENCY_TOP + 1))
        for i in range(FREQUENCY_TOP + 1):
            for j in range(FREQUENCY_TOP + 1):
                after[:, min(i + j, FREQUENCY_TOP)] += before[:, i] * pmf[j]
        dist[at] = after
    counts: np.ndarray = dist.sum(axis=0)[1:]
    return counts


def _binomial_top(n: int, p: float) -> np.ndarray:
    """P(Binomial(n, p) = k) for k < FREQUENCY_TOP, and P(>= FREQUENCY_TOP) last."""
    k = np.arange(FREQUENCY_TOP)
    pmf = np.array([math.comb(n, int(i)) * p**i * (1 - p) ** (n - i) if i <= n else 0.0 for i in k])
    return np.append(pmf, max(0.0, 1.0 - pmf.sum()))
