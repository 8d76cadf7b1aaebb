"""Plots of results as PNG files (matplotlib's object API: no global pyplot state).

Nothing is shown; every file is written atomically (`graph_engine.outputs.atomic_path`)
and carries no version stamp, so the same result gives the same bytes. matplotlib is
imported when a plot is drawn, not with this module.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.errors import GraphEngineError, InputError
from graph_engine.names import creator_labels
from graph_engine.outputs import atomic_path

if TYPE_CHECKING:
    from graph_engine.audience import AudienceReport
    from graph_engine.communities import Communities
    from graph_engine.graph import AudienceGraph
    from graph_engine.selection import Selection

__all__ = [
    "MAX_UPSET",
    "MAX_VALUES",
    "UPSET_BARS",
    "plot_community_sizes",
    "plot_overlap_matrix",
    "plot_reach_curve",
    "plot_shortlist",
]

MAX_VALUES = 30  # creators of a heat map up to which each cell shows its value
MAX_UPSET = 15  # creators an UpSet plot of a shortlist can show (2^15 intersections)


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def _save(fig: Any, path: Path) -> Path:
    try:
        with atomic_path(path) as tmp:  # no version stamp: same plot, same bytes
            fig.savefig(tmp, format="png", metadata={"Software": None})
    except OSError as exc:
        raise InputError(f"cannot write `{path}`: {exc.strerror or exc}") from None
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

    Community blocks are outlined and labelled; cells show the Jaccard in % for up to
    `MAX_VALUES` creators; the colour scale stops at the 98th percentile of the pairs, so
    one near-duplicate pair does not wash out the rest. Highlighted creators (e.g. the
    selection) are marked with a `*`.
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
    labels = [
        f"{'*' if str(c) in marked else ''}{label}"
        for c, label in zip(
            graph.creator_ids(idx).to_list(), creator_labels(graph.creators, idx), strict=True
        )
    ]
    fig = _figure(max(6.0, 0.28 * len(idx) + 2), max(5.0, 0.28 * len(idx) + 1.5))
    ax = fig.add_subplot()
    np.fill_diagonal(jaccard, np.nan)  # a creator with itself would set the scale
    off = jaccard[~np.isnan(jaccard)]
    # the 98th percentile sets the scale: one near-duplicate pair would wash out the rest
    top = float(np.percentile(off, 98)) if off.size else 1.0
    image = ax.imshow(jaccard, cmap="viridis", vmin=0, vmax=max(top, 1e-9))
    n = len(idx)
    ax.set_xticks(range(n), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(n), labels, fontsize=7)
    if n <= MAX_VALUES:  # values in the cells while they are legible
        for i, j in zip(*np.nonzero(~np.isnan(jaccard)), strict=True):
            bright = jaccard[i, j] > 0.6 * top
            ax.text(
                j,
                i,
                f"{100 * jaccard[i, j]:.0f}",
                ha="center",
                va="center",
                fontsize=6,
                color="black" if bright else "white",
            )
    starts = [0, *(np.flatnonzero(np.diff(community)) + 1).tolist()]
    for start, end in zip(starts, [*starts[1:], n], strict=True):
        if start:
            ax.axhline(start - 0.5, color="white", lw=1.5)
            ax.axvline(start - 0.5, color="white", lw=1.5)
        if membership is not None:  # label each community's block on the right
            ax.annotate(
                f"community {community[start]}",
                (1.01, 1 - (start + end) / (2 * n)),
                xycoords="axes fraction",
                fontsize=7,
                va="center",
            )
    title = (
        "Audience overlap (Jaccard %), ordered by community"
        if membership is not None
        else ("Audience overlap (Jaccard %)")
    )
    ax.set_title(title + ("; * = selected" if marked else ""))
    fig.colorbar(
        image,
        ax=ax,
        shrink=0.8,
        label="Jaccard (colour capped at the 98th percentile)",
        extend="max",
        pad=0.12,
    )
    return _save(fig, Path(path))


def plot_reach_curve(selection: Selection, path: str | os.PathLike[str]) -> Path:
    """Reach vs number of creators and vs spend, with the upper bound on the optimum."""
    picks = selection.picks
    exposed = selection.expected_reach is not None  # the bound is on the expected reach
    column, what = ("expected_reach", "expected reach") if exposed else ("reach", "reach")
    eligible = (selection.eligible_expected_reach or 0.0) if exposed else selection.eligible_reach
    fig = _figure(10, 4)
    for ax, x, label in (
        (fig.add_subplot(1, 2, 1), [0, *picks["rank"].to_list()], "creators picked"),
        (
            fig.add_subplot(1, 2, 2),
            [0.0, *picks["total_cost"].to_list()],
            f"spend ({selection.currency})",
        ),
    ):
        ax.step(x, [0.0, *picks[column].to_list()], where="post", label=f"{what} (selection)")
        ax.axhline(
            selection.upper_bound,
            color="tab:red",
            ls="--",
            label=f"upper bound on optimum ({selection.upper_bound:,.0f})",
        )
        ax.axhline(
            eligible,
            color="grey",
            ls=":",
            label=f"eligible audience ({eligible:,.0f})",
        )
        ax.set_xlabel(label)
        ax.set_ylabel(what if exposed else selection.unit)
        ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.suptitle(textwrap.fill(selection.summary(), 110), fontsize=8)  # wrapped, not clipped
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


def plot_shortlist(
    graph: AudienceGraph, report: AudienceReport, directory: str | os.PathLike[str]
) -> list[Path]:
    """Draw what a shortlist needs: the 1-vs-1 heat map, a Venn or UpSet, the frequency.

    Writes ``heatmap.png`` (share of the row creator's audience that also follows the
    column creator, values in the cells; up to `audience.MAX_MATRIX` creators),
    ``venn.png`` for 2-3 creators or ``upset.png`` for 4-`MAX_UPSET` (exact sizes of
    the intersections, the `UPSET_BARS` largest drawn), and ``frequency.png`` (followers
    reached 1, 2, 3, 4+ times). The Venn diagram needs the ``plots`` extra
    (``pip install graph-engine[plots]``, matplotlib-venn).

    Parameters
    ----------
    graph
        A graph holding the listed creators (such as ``read_store(STORE, creators=...)``).
    report
        Their `audience_report`.
    directory
        The folder to write into (created when missing).

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(directory)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write plots to `{out}`: {exc.strerror or exc}") from None
    idx = graph.creator_index(report.creators[s.CREATOR_ID].to_list())
    labels = creator_labels(graph.creators, idx)
    written = []
    if report.shared_percent is not None:
        written.append(_heatmap(report.shared_percent, labels, out / "heatmap.png"))
    if 2 <= len(idx) <= 3:
        written.append(_venn(graph, idx, labels, out / "venn.png"))
    elif 4 <= len(idx) <= MAX_UPSET:
        written.append(_upset(graph, idx, labels, out / "upset.png"))
    written.append(_frequency_bars(report, out / "frequency.png"))
    return written


def _heatmap(percent: pl.DataFrame, labels: list[str], path: Path) -> Path:
    values = percent.select(percent.columns[-len(labels) :]).to_numpy().astype(np.float64)
    n = len(labels)
    fig = _figure(max(5.0, 0.6 * n + 2.5), max(4.0, 0.6 * n + 1.5))
    ax = fig.add_subplot()
    shown = values.copy()
    np.fill_diagonal(shown, np.nan)  # 100% with itself: not part of the scale
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=100)
    for i, j in np.ndindex(n, n):
        text = "" if i == j else f"{values[i, j]:.1f}%"
        dark = i != j and values[i, j] > 60
        ax.text(
            j, i, text, ha="center", va="center", fontsize=7, color="white" if dark else "black"
        )
    ax.set_xticks(range(n), labels, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(n), labels, fontsize=8)
    ax.set_title("Share of the row creator's audience that also follows the column creator")
    fig.colorbar(image, ax=ax, shrink=0.8, label="% of the row creator's followers")
    return _save(fig, path)


def _venn(graph: AudienceGraph, idx: np.ndarray, labels: list[str], path: Path) -> Path:
    try:
        from matplotlib_venn import venn2, venn3
    except ImportError:
        raise GraphEngineError(
            "a Venn diagram needs matplotlib-venn; hint: pip install 'graph-engine[plots]'"
        ) from None

    from graph_engine.audience import intersection_sizes

    sizes = intersection_sizes(graph, idx)
    fig = _figure(6, 5)
    ax = fig.add_subplot()
    if len(idx) == 2:  # matplotlib-venn's order: (10, 01, 11)
        venn2([sizes.get(k, 0) for k in (1, 2, 3)], set_labels=labels, ax=ax)
    else:  # (100, 010, 110, 001, 101, 011, 111)
        venn3([sizes.get(k, 0) for k in (1, 2, 3, 4, 5, 6, 7)], set_labels=labels, ax=ax)
    ax.set_title(f"Followers of {len(idx)} creators: {sum(sizes.values()):,} reached")
    return _save(fig, path)


UPSET_BARS = 30  # intersections an UpSet plot draws (the largest; the rest are counted)


def _upset(graph: AudienceGraph, idx: np.ndarray, labels: list[str], path: Path) -> Path:
    """Draw an UpSet plot with matplotlib: intersection bars over a membership matrix.

    (upsetplot 0.9 fails to draw with matplotlib 3.11 and pandas 2.3.)
    """
    from graph_engine.audience import intersection_sizes

    sizes = intersection_sizes(graph, idx)
    keys = sorted(sizes, key=lambda k: (-sizes[k], k))
    shown, rest = keys[:UPSET_BARS], keys[UPSET_BARS:]
    n, m = len(labels), len(shown)
    fig = _figure(max(8.0, 0.32 * m + 4), 3.5 + 0.3 * n)
    grid = fig.add_gridspec(2, 2, width_ratios=[1, 4], height_ratios=[3, max(1, 0.3 * n)])
    bars = fig.add_subplot(grid[0, 1])
    dots = fig.add_subplot(grid[1, 1], sharex=bars)
    totals = fig.add_subplot(grid[1, 0], sharey=dots)
    heights = [sizes[k] for k in shown]
    drawn = bars.bar(range(m), heights, color="black")
    bars.bar_label(drawn, [f"{h:,}" for h in heights], fontsize=6, rotation=90, padding=2)
    bars.set_ylabel("followers")
    bars.margins(y=0.15)
    bars.tick_params(labelbottom=False)
    note = f"; {len(rest):,} smaller ones ({sum(sizes[k] for k in rest):,} followers) not drawn"
    bars.set_title(
        f"Followers of {n} creators by the exact set they follow{note if rest else ''}",
        fontsize=9,
    )
    for x, key in enumerate(shown):
        inside = [b for b in range(n) if key >> b & 1]
        dots.scatter([x] * n, range(n), color="lightgrey", s=30)
        dots.scatter([x] * len(inside), inside, color="black", s=30)
        if len(inside) > 1:
            dots.plot([x, x], [min(inside), max(inside)], color="black", lw=1.5)
    dots.set_yticks(range(n), labels, fontsize=8)
    dots.set_xticks([])
    dots.invert_yaxis()
    degrees = graph.degrees[idx]
    totals.barh(range(n), degrees, color="tab:blue")
    totals.invert_xaxis()
    totals.set_xlabel("followers")
    totals.tick_params(labelleft=False)
    return _save(fig, path)


def _frequency_bars(report: AudienceReport, path: Path) -> Path:
    freq = report.frequency
    fig = _figure(6, 4)
    ax = fig.add_subplot()
    bars = ax.bar(freq["times"].to_list(), freq["followers"].to_list(), color="tab:blue")
    shares = [f"{100 * v:.1f}%" for v in freq["share"].to_list()]
    ax.bar_label(bars, [f"{n:,}\n{p}" for n, p in zip(freq["followers"], shares, strict=True)])
    ax.set_xlabel("times reached (creators of the list a follower follows)")
    ax.set_ylabel("followers")
    ax.set_title(f"Exposure frequency: {report.summary['reach']:,} followers reached")
    ax.margins(y=0.2)
    return _save(fig, path)
