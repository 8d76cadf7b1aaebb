"""Seeded synthetic audience graphs with planted niches, written as input files.

The model: creator popularity is heavy-tailed (Pareto), each creator belongs to one planted
niche, each follower has a home niche and a heavy-tailed number of follows. A follow goes
to a creator of the follower's home niche with probability ``1 - mixing`` and to any
creator otherwise, in both cases in proportion to popularity. Followers are generated in
chunks, each chunk's edges deduplicated and appended to the output, so memory is bounded
by the chunk size whatever the number of edges.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from graph_engine import schema as s
from graph_engine.errors import ParameterError
from graph_engine.vocab import SynthFormat

__all__ = [
    "SynthFormat",
    "SynthGraph",
    "generate_graph",
    "price_per_post",
]


# (followers, price per post in $) anchors of the default price model (DESIGN.md figures);
# prices are interpolated in log-log space between them.
_PRICE_ANCHORS = np.array(
    [[100, 5], [1_000, 25], [100_000, 400], [1_000_000, 1_400], [10_000_000, 25_000]],
    dtype=np.float64,
)
_CHUNK_EDGES = 4_000_000


@dataclass(frozen=True)
class SynthGraph:
    """Paths and sizes of a generated graph."""

    edges_path: Path
    creators_path: Path
    n_creators: int
    n_followers: int
    n_edges: int


def price_per_post(followers: np.ndarray) -> np.ndarray:
    """Typical price per post in $ for a follower count (log-log interpolation of anchors)."""
    x = np.log10(np.maximum(followers, 1).astype(np.float64))
    return np.asarray(
        10 ** np.interp(x, np.log10(_PRICE_ANCHORS[:, 0]), np.log10(_PRICE_ANCHORS[:, 1]))
    )


def generate_graph(
    out: str | os.PathLike[str],
    *,
    n_creators: int = 1_000,
    n_followers: int = 100_000,
    n_edges: int = 500_000,
    n_niches: int = 10,
    mixing: float = 0.1,
    seed: int = 0,
    format: SynthFormat = "parquet",
    popularity_exponent: float = 1.2,
    activity_exponent: float = 1.8,
) -> SynthGraph:
    """Write a synthetic graph to ``out/edges.{parquet,csv}`` and ``out/creators.csv``.

    Parameters
    ----------
    out
        The folder to write into (created when missing).
    n_creators, n_followers
        How many creators and followers.
    n_edges
        Target number of follows; the result has slightly fewer after duplicate draws.
    n_niches
        How many planted audience niches.
    mixing
        Share of follows that ignore the follower's niche (0: pure niches, 1: no niches).
    popularity_exponent, activity_exponent
        Pareto tail exponents of creator popularity and follower activity (smaller: heavier).
    seed
        Seed of the generator (same seed, same files).
    format
        The edge file's format: ``"parquet"`` or ``"csv"``.

    Returns
    -------
    SynthGraph
        The paths written and the sizes.

    Notes
    -----
    The same arguments and seed give the same files, byte for byte. The creators file holds
    ``creator_id, handle, niche, declared_followers, cost, engagement_rate``; costs follow
    `price_per_post` with noise, engagement falls as audiences grow.
    """
    _check(n_creators, n_followers, n_edges, n_niches, mixing)
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    popularity = rng.pareto(popularity_exponent, n_creators) + 1.0
    creator_niche = rng.integers(0, n_niches, n_creators)
    order = np.argsort(creator_niche, kind="stable")  # creators grouped by niche
    cum = np.cumsum(popularity[order])
    bounds = np.searchsorted(creator_niche[order], np.arange(n_niches + 1), side="left")
    lo = np.concatenate([[0.0], cum])[bounds[:-1]]
    hi = np.concatenate([[0.0], cum])[bounds[1:]]
    niche_weight = hi - lo
    niche_p = niche_weight / niche_weight.sum()

    activity = rng.pareto(activity_exponent, n_followers) + 1.0
    home = rng.choice(n_niches, size=n_followers, p=niche_p)
    # a follower cannot follow more creators than its niche (plus its share of the rest) has
    niche_size = np.diff(bounds)[home]
    cap = np.maximum(1, np.floor(0.9 * (niche_size + mixing * (n_creators - niche_size))))
    scale = n_edges / activity.sum()
    for _ in range(20):  # rescale so the capped follows still add up to the target
        follows = np.minimum(cap, np.maximum(1, np.round(activity * scale)))
        if follows.sum() >= n_edges or np.all(follows == cap):
            break
        scale *= n_edges / follows.sum()
    follows = follows.astype(np.int64)

    edges_path = out_dir / f"edges.{format}"
    degree = np.zeros(n_creators, dtype=np.int64)
    total = 0
    writer = _EdgeWriter(edges_path, format)
    try:
        chunk = (np.cumsum(follows) - follows) // _CHUNK_EDGES  # chunk of each follower
        cuts = [0, *(np.flatnonzero(np.diff(chunk)) + 1).tolist(), n_followers]
        for start, stop in itertools.pairwise(cuts):
            fol, creator = _draw_chunk(
                rng, start, follows[start:stop], home, mixing, cum, lo, hi, bounds, order
            )
            degree += np.bincount(creator, minlength=n_creators)
            total += fol.size
            # accounts share one id space, as on a real platform: creators are 1..n_creators,
            # followers come after them (so no follow is mistaken for a self-follow)
            writer.write(creator + 1, fol + n_creators + 1)
    finally:
        writer.close()

    creators_path = out_dir / "creators.csv"
    _creators_frame(degree, creator_niche, rng).write_csv(creators_path)
    return SynthGraph(edges_path, creators_path, n_creators, int(n_followers), total)


def _draw_chunk(
    rng: np.random.Generator,
    start: int,
    follows: np.ndarray,
    home: np.ndarray,
    mixing: float,
    cum: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    bounds: np.ndarray,
    order: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (follower, creator) pairs for followers start.., each with its follow count.

    A repeated draw is drawn again, so popular creators do not eat the target; the last
    rounds draw uniformly within the niche to fill what popularity-weighted draws miss.
    """
    n_creators = order.size
    local = np.arange(follows.size, dtype=np.int64)
    want = follows
    keys = np.empty(0, dtype=np.int64)
    for round_ in range(8):
        fol = np.repeat(local, want)
        if fol.size == 0:
            break
        niche = home[start + fol]
        cross = rng.random(fol.size) < mixing
        u = rng.random(fol.size)
        target = np.where(cross, u * cum[-1], lo[niche] + u * (hi[niche] - lo[niche]))
        pos = np.minimum(np.searchsorted(cum, target, side="right"), n_creators - 1)
        if round_ >= 4:
            size = bounds[niche + 1] - bounds[niche]
            uniform = bounds[niche] + (u * size).astype(np.int64)
            pos = np.where(cross, (u * n_creators).astype(np.int64), uniform)
        keys = np.concatenate([keys, fol * n_creators + order[pos]])
        keys.sort(kind="stable")  # a sorted run plus new keys; faster than np.unique here
        keys = keys[np.concatenate([[True], keys[1:] != keys[:-1]])]
        want = follows - np.bincount(keys // n_creators, minlength=follows.size)
    return keys // n_creators + start, keys % n_creators


def _check(n_creators: int, n_followers: int, n_edges: int, n_niches: int, mixing: float) -> None:
    for name, value in (
        ("creators", n_creators),
        ("followers", n_followers),
        ("edges", n_edges),
        ("niches", n_niches),
    ):
        if value < 1:
            raise ParameterError(f"`{name}` must be at least 1, got {value}")
    if n_niches > n_creators:
        raise ParameterError(f"`niches` ({n_niches}) cannot exceed `creators` ({n_creators})")
    if not 0.0 <= mixing <= 1.0:
        raise ParameterError(f"`mixing` must be between 0 and 1, got {mixing}")


def _creators_frame(
    degree: np.ndarray, niche: np.ndarray, rng: np.random.Generator
) -> pl.DataFrame:
    n = degree.size
    cost = price_per_post(degree) * rng.lognormal(0.0, 0.25, n)
    engagement = 0.08 * np.maximum(degree, 1) ** -0.15 * rng.lognormal(0.0, 0.2, n)
    return pl.DataFrame(
        {
            s.CREATOR_ID: np.arange(n, dtype=np.int64) + 1,
            "handle": [f"creator_{i + 1}" for i in range(n)],
            "niche": [f"niche_{k}" for k in niche.tolist()],
            "declared_followers": degree,
            "cost": np.round(cost, 2),
            "engagement_rate": np.round(np.clip(engagement, 0.001, 0.5), 5),
        }
    )


class _EdgeWriter:
    """Appends (creator_id, follower_id) chunks to one Parquet or CSV file."""

    def __init__(self, path: Path, format: SynthFormat) -> None:
        self.path, self.format = path, format
        self.schema = pa.schema([(s.CREATOR_ID, pa.int64()), (s.FOLLOWER_ID, pa.int64())])
        self._pq: pq.ParquetWriter | None = None
        self._csv = None
        if format == "parquet":
            self._pq = pq.ParquetWriter(path, self.schema, compression="zstd")
        else:
            self._csv = path.open("wb")
            self._csv.write(f"{s.CREATOR_ID},{s.FOLLOWER_ID}\n".encode())

    def write(self, creator: np.ndarray, follower: np.ndarray) -> None:
        table = pa.table({s.CREATOR_ID: creator, s.FOLLOWER_ID: follower}, schema=self.schema)
        if self._pq is not None:
            self._pq.write_table(table)
        else:
            assert self._csv is not None
            pl.from_arrow(table).write_csv(self._csv, include_header=False)  # type: ignore[union-attr]

    def close(self) -> None:
        if self._pq is not None:
            self._pq.close()
        if self._csv is not None:
            self._csv.close()
