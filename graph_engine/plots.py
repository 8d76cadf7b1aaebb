"""Plots of results as PNG files (matplotlib's object API: no global pyplot state).

Nothing is shown; every file is written atomically (`graph_engine.outputs.atomic_path`)
and carries no version stamp, so the same result gives the same bytes. matplotlib is
imported when a plot is drawn, not with this module.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.graph import creator_columns
from graph_engine.outputs import atomic_path

if TYPE_CHECKING:
    from graph_engine.communities import Communities
    from graph_engine.graph import AudienceGraph
    from graph_engine.selection import Selection

__all__ = ["plot_community_sizes", "plot_overlap_matrix", "plot_reach_curve"]


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(fig: Any, path: Path) -> Path:
    with atomic_path(path) as tmp:  # no version stamp: same plot, same bytes
        fig.savefig(tmp, format="png", metadata={"Software": None})
    return path


def plot_overlap_matrix(
    graph: AudienceGraph,
    creators: list[Any],
    path: str | os.PathLike[str],
    *,
    membership: pl.DataFrame | None = None,
    highlight: list[Any] | None = None,
) -> Path:
    """Heat map of pairwise Jaccard overlap, creators ordered by community then size.

    Highlighted creators (e.g. the selection) are marked with a `*`.
    """
    idx = graph.creator_index(creators)
    community = np.zeros(idx.size, dtype=np.int64)
    if membership is not None:
        lookup = dict(
            zip(membership[s.CREATOR_ID].to_list(), membership["community"].to_list(), strict=True)
        )
        community = np.array([lookup.get(c, -1) for c in graph.creator_ids(idx).to_list()])
    order = np.lexsort((-graph.degrees[idx], community))
    idx, community = idx[order], community[order]
    sub = graph.matrix[idx]
    shared = (sub @ sub.T).toarray().astype(np.float64)
    size = np.diag(shared)
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.nan_to_num(shared / (size[:, None] + size[None, :] - shared))
    marked = {str(h) for h in highlight or []}
    named = list(creator_columns(graph.creators, idx).values())  # the handle when there is one
    labels = [
        f"{'*' if str(c) in marked else ''}{h or c}"
        for c, h in zip(named[0].to_list(), named[-1].to_list(), strict=True)
    ]
    fig = _figure(max(6.0, 0.28 * len(idx) + 2), max(5.0, 0.28 * len(idx) + 1.5))
    ax = fig.add_subplot()
    np.fill_diagonal(jaccard, np.nan)  # a creator with itself would set the scale
    peak = float(np.nanmax(jaccard)) if len(idx) > 1 else 1.0
    image = ax.imshow(jaccard, cmap="viridis", vmin=0, vmax=max(peak, 1e-9))
    ax.set_xticks(range(len(idx)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(idx)), labels, fontsize=7)
    for edge in np.flatnonzero(np.diff(community)) + 0.5:
        ax.axhline(edge, color="white", lw=1)
        ax.axvline(edge, color="white", lw=1)
    ax.set_title("Audience overlap (Jaccard), ordered by community; * = selected")
    fig.colorbar(image, ax=ax, shrink=0.8, label="Jaccard")
    return _save(fig, Path(path))


def plot_reach_curve(selection: Selection, path: str | os.PathLike[str]) -> Path:
    """Reach vs number of creators and vs spend, with the upper bound on the optimum."""
    picks = selection.picks
    fig = _figure(10, 4)
    for ax, x, label in (
        (fig.add_subplot(1, 2, 1), [0, *picks["rank"].to_list()], "creators picked"),
        (fig.add_subplot(1, 2, 2), [0.0, *picks["total_cost"].to_list()], "spend ($)"),
    ):
        ax.step(x, [0.0, *picks["reach"].to_list()], where="post", label="reach (selection)")
        ax.axhline(
            selection.upper_bound,
            color="tab:red",
            ls="--",
            label=f"upper bound on optimum ({selection.upper_bound:,.0f})",
        )
        ax.axhline(
            selection.eligible_reach,
            color="grey",
            ls=":",
            label=f"eligible audience ({selection.eligible_reach:,.0f})",
        )
        ax.set_xlabel(label)
        ax.set_ylabel("unique followers reached")
        ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(selection.summary(), fontsize=8)
    return _save(fig, Path(path))


def plot_community_sizes(found: Communities, path: str | os.PathLike[str]) -> Path:
    """Creators per community (bars) and unique audience (labels), largest first."""
    summary = found.summary
    fig = _figure(max(6.0, 0.35 * summary.height + 2), 4)
    ax = fig.add_subplot()
    ax.bar(summary["community"].to_list(), summary["size"].to_list(), color="tab:blue")
    ax.set_xticks(summary["community"].to_list())
    niches = (
        summary["dominant_niche"].to_list()
        if "dominant_niche" in summary.columns
        else [None] * summary.height
    )
    for (x, y, audience), niche in zip(
        summary.select("community", "size", "unique_audience").iter_rows(), niches, strict=True
    ):
        label = f"{audience:,} followers" + (f" · {niche}" if niche else "")
        ax.annotate(
            label, (x, y / 2), ha="center", va="center", fontsize=7, rotation=90, color="white"
        )
    ax.set_xlabel("community")
    ax.set_ylabel("creators")
    ax.set_title(
        f"{found.n_communities} communities ({found.method}), modularity {found.modularity:.3f}"
    )
    return _save(fig, Path(path))
