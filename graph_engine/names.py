"""Naming creators: their ids and handles in results, and finding them by either."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cached_property
from typing import Any, Protocol

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.errors import UnknownCreatorError, did_you_mean

__all__ = ["CreatorId", "CreatorLookup", "Creators", "Roster", "creator_columns", "creator_labels"]

CreatorId = int | str
_INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII digits only: `²` is not an id


def creator_columns(
    creators: pl.DataFrame, index: np.ndarray | None = None, suffix: str = ""
) -> dict[str, pl.Series]:
    """Columns that name creators in a result: the original id, and the handle beside it.

    Parameters
    ----------
    creators
        A creators table (row ``i`` is dense id ``i``), such as `AudienceGraph.creators`.
    index
        Dense ids (all creators when None).
    suffix
        ``""`` gives ``creator_id`` (and ``handle``); ``"_a"`` gives ``creator_a`` (and
        ``handle_a``), and so on.

    Returns
    -------
    dict
        Column name to `polars.Series`, in order: the id, then the handle (or name) when
        the creators table has one.
    """
    rows = None if index is None else np.asarray(index)
    ids = creators[s.CREATOR_ID]
    out = {
        f"creator{suffix}" if suffix else s.CREATOR_ID: ids if rows is None else ids.gather(rows)
    }
    name = s.name_column(creators)
    if name is not None:
        col = creators[name].cast(pl.String)
        out[f"{name}{suffix}"] = col if rows is None else col.gather(rows)
    return out


def creator_labels(creators: pl.DataFrame, index: np.ndarray) -> list[str]:
    """Return short labels for plots: each creator's handle (or name), else its id.

    Parameters
    ----------
    creators
        A creators table (row ``i`` is dense id ``i``).
    index
        Dense ids.

    Returns
    -------
    list of str
        One label per dense id.
    """
    ids, *names = creator_columns(creators, index).values()
    handles = names[0].to_list() if names else [None] * len(ids)
    return [str(h or c) for c, h in zip(ids.to_list(), handles, strict=True)]


def _handle_key(text: str) -> str:
    """How a handle is matched: without a leading `@`, case-insensitive, trimmed."""
    return text.strip().removeprefix("@").casefold()


class CreatorLookup:
    """Dense ids of creators given by original id or by handle (or name).

    An original id matches first (text typed on a command line matches integer ids);
    otherwise a handle matches without its `@` and regardless of case. A handle that
    several creators share is refused with their ids. A miss suggests the closest id or
    handle.
    """

    def __init__(self, creators: pl.DataFrame) -> None:
        """Index the creators table.

        Parameters
        ----------
        creators
            The creators table (row ``i`` is dense id ``i``).
        """
        self.creators = creators
        ids = creators[s.CREATOR_ID].to_list()
        self._ids: dict[Any, int] = dict(zip(ids, range(len(ids)), strict=True))
        self._numeric = creators.schema[s.CREATOR_ID] == pl.Int64

    @cached_property
    def _handles(self) -> dict[str, list[int]]:
        """Rows of each handle key (built on the first lookup that is not an id)."""
        col = s.name_column(self.creators)
        out: dict[str, list[int]] = {}
        if col is not None:
            for row, name in enumerate(self.creators[col].cast(pl.String).to_list()):
                if name:
                    out.setdefault(_handle_key(name), []).append(row)
        return out

    def index(self, creator_ids: Iterable[CreatorId]) -> np.ndarray:
        """Dense ids of the given creators, in the given order.

        Parameters
        ----------
        creator_ids
            Original ids or handles.

        Returns
        -------
        numpy.ndarray
            int64 dense ids.

        Raises
        ------
        UnknownCreatorError
            A creator is neither an id nor a handle (with the closest one as a hint), or
            a handle names several creators.
        """
        return np.asarray([self._one(cid) for cid in creator_ids], dtype=np.int64)

    def _one(self, cid: CreatorId) -> int:
        key: Any = cid
        if self._numeric and isinstance(cid, str) and _INTEGER.fullmatch(cid.strip()):
            key = int(cid)
        elif not self._numeric and not isinstance(cid, str):
            key = str(cid)
        if key in self._ids:
            return self._ids[key]
        rows = self._handles.get(_handle_key(str(cid)), [])
        if len(rows) == 1:
            return rows[0]
        if rows:
            ids = ", ".join(f"`{v}`" for v in self.creators[s.CREATOR_ID].gather(rows[:5]))
            raise UnknownCreatorError(
                f"handle `{cid}` names {len(rows)} creators ({ids}); hint: give the id"
            )
        names = [str(k) for k in list(self._ids)[:100_000]]
        col = s.name_column(self.creators)
        if col is not None:
            names += [str(v) for v in self.creators[col].head(100_000).to_list() if v]
        raise UnknownCreatorError(
            f"creator `{cid}` is not in the graph{did_you_mean(str(cid), names)}; hint: "
            "`graph-engine creators STORE --search TEXT` lists the creators"
        )


class Creators(Protocol):
    """What a selection needs to know of the creators: an `AudienceGraph`, or a `Roster`."""

    @property
    def creators(self) -> pl.DataFrame:
        """The creators table (row ``i`` is dense id ``i``)."""
        ...

    @property
    def degrees(self) -> np.ndarray:
        """Observed followers per creator (dense order)."""
        ...

    @property
    def filters(self) -> tuple[str, ...]:
        """The audience filters applied, in words (empty for none)."""
        ...

    def creator_index(self, creator_ids: Iterable[CreatorId]) -> np.ndarray:
        """Dense ids of the given creators (ids or handles), in the given order."""
        ...

    def creator_ids(self, index: np.ndarray | None = None) -> pl.Series:
        """Original creator ids of the given dense ids (all when None)."""
        ...


class Roster:
    """A store's creators without their edges (the `Creators` a Spark selection uses).

    Parameters
    ----------
    creators
        The store's creators table (row ``i`` is dense id ``i``, with the observed
        ``followers`` of every creator).
    """

    def __init__(self, creators: pl.DataFrame) -> None:
        self.creators = creators
        self.degrees = creators[s.FOLLOWERS].to_numpy()
        self.filters: tuple[str, ...] = ()
        self._lookup = CreatorLookup(creators)

    def creator_index(self, creator_ids: Iterable[CreatorId]) -> np.ndarray:
        """Dense ids of the given creators (ids or handles), in the given order.

        Parameters
        ----------
        creator_ids
            Original ids or handles.

        Returns
        -------
        numpy.ndarray
            int64 dense ids (see `CreatorLookup.index`).
        """
        return self._lookup.index(creator_ids)

    def creator_ids(self, index: np.ndarray | None = None) -> pl.Series:
        """Original creator ids of the given dense ids (all when None).

        Parameters
        ----------
        index
            Dense ids, or None.

        Returns
        -------
        polars.Series
            The ids.
        """
        col = self.creators[s.CREATOR_ID]
        return col if index is None else col.gather(np.asarray(index))
