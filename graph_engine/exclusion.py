"""Who is left out of every measure: a brand's own audience, a list, a follower filter.

An `Exclusion` marks followers of a store version (`Exclusion.mask`) or of a graph in
memory (`AudienceGraph.excluding`); their edges are dropped as the graph is built, so
every count is among the people left (incremental reach).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.errors import ParameterError
from graph_engine.names import CreatorId, CreatorLookup
from graph_engine.store import StoreVersion
from graph_engine.where import parse_where

__all__ = ["Exclusion"]


@dataclass(frozen=True)
class Exclusion:
    """People left out of every measure: a brand's own audience, a past campaign's, a list.

    Attributes
    ----------
    audience_of
        Creators (ids or handles) whose followers are excluded (the brand's accounts,
        last campaign's creators).
    followers
        Original follower ids to exclude (ids not in the store are ignored and counted).
    """

    audience_of: tuple[CreatorId, ...] = ()
    followers: tuple[int | str, ...] = ()
    where: str | None = None

    def __bool__(self) -> bool:
        """Return whether anything is excluded."""
        return bool(self.audience_of or self.followers or self.where)

    def _outside(self, followers: pl.LazyFrame) -> np.ndarray:
        """Mark the followers that `where` does not keep (a null counts as not kept)."""
        expr = parse_where(self.where or "", followers.collect_schema().names())
        try:
            keep = followers.select(expr.fill_null(False).alias("keep")).collect()["keep"]
        except pl.exceptions.PolarsError as exc:
            raise ParameterError(
                f"`--followers-where {self.where}` cannot be evaluated: "
                f"{str(exc).splitlines()[0][:200]}; hint: compare numbers with numbers and "
                "text with quoted text"
            ) from None
        if keep.dtype != pl.Boolean:
            raise ParameterError(f"`--followers-where {self.where}` is not true or false")
        return ~keep.to_numpy()

    def mask(
        self, version: StoreVersion, creators: pl.DataFrame | None = None
    ) -> tuple[np.ndarray, str]:
        """Mark the excluded people among a version's followers, and say who they are.

        Reads the excluded creators' edges (their row groups only) and, for listed
        followers or a `where`, the followers table's columns it needs.

        Parameters
        ----------
        version
            The store version.
        creators
            Its creators table, when the caller has read it already.

        Returns
        -------
        tuple
            A boolean mask over the version's dense follower ids, and its description
            (`describe`).
        """
        drop = np.zeros(version.rows("followers"), dtype=bool)
        if self.audience_of:
            table = version.read("creators") if creators is None else creators
            rows = CreatorLookup(table).index(self.audience_of)
            of = (
                version.scan("edges")
                .filter(pl.col(s.CREATOR).is_in(pl.Series(rows, dtype=pl.Int32)))
                .select(s.FOLLOWER)
                .collect()
            )
            drop[of[s.FOLLOWER].to_numpy()] = True
        return self.mark_followers(version.scan("followers"), drop)

    def mark_followers(self, followers: pl.LazyFrame, drop: np.ndarray) -> tuple[np.ndarray, str]:
        """Add the listed followers and those `where` does not keep to `drop` (by row).

        Parameters
        ----------
        followers
            The followers table (row ``i`` is dense follower ``i``).
        drop
            The mask so far (the excluded audiences); changed in place.

        Returns
        -------
        tuple
            The mask and its description.
        """
        found = 0
        if self.followers:
            dtype = followers.collect_schema()[s.FOLLOWER_ID]
            listed = pl.Series([str(f) for f in self.followers]).cast(dtype, strict=False)
            hit = followers.select(pl.col(s.FOLLOWER_ID).is_in(listed.drop_nulls().implode()))
            listed_mask = hit.collect().to_series().to_numpy()
            found = int(listed_mask.sum())
            drop |= listed_mask
        if self.where:
            drop |= self._outside(followers)
        return drop, self.describe(int(drop.sum()), found)

    def describe(self, n_excluded: int | None = None, found: int | None = None) -> str:
        """Say in words who is left out, for every report of the graph.

        Parameters
        ----------
        n_excluded
            How many of the store's followers that leaves out, when known.
        found
            How many of the listed followers are in the store, when known.

        Returns
        -------
        str
            For example "1,234 followers left out: excluding the audience of brand
            (reach is incremental, among the people not excluded)".
        """
        said = []
        if self.where:
            said.append(f"counting only followers matching `{self.where}`")
        parts = []
        if self.audience_of:
            shown = ", ".join(str(c) for c in self.audience_of[:5])
            more = f" and {len(self.audience_of) - 5} more" if len(self.audience_of) > 5 else ""
            parts.append(f"the audience of {shown}{more}")
        if self.followers:
            of = "" if found is None else f"{found:,} of the "
            parts.append(f"{of}{len(self.followers):,} listed followers")
        if parts:
            said.append(
                f"excluding {' and '.join(parts)} (reach is incremental, among the people "
                "not excluded)"
            )
        plural = "" if n_excluded == 1 else "s"
        left = "" if n_excluded is None else f"{n_excluded:,} follower{plural} left out: "
        return left + "; ".join(said)
