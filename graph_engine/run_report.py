"""The HTML report of a run: one self-contained page an analyst can send.

`render_report` turns a run's results into one HTML page: the plan in plain words (with
what the bound proves), the picks with their handles, and five inline SVG charts (reach
curve, budget frontier, overlap heat map of the picks, exposure frequency, community
sizes) plus the community table. Nothing is loaded from the network: no script, no font,
no stylesheet outside the page, so it opens offline and can be mailed as one file.
`write_report` rebuilds the inputs from a run folder (``graph-engine report RUN_DIR``);
`graph_engine.pipeline.run_job` passes them from memory.
"""

from __future__ import annotations

import html
import io
import math
import os
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.errors import InputError
from graph_engine.graph import AudienceGraph, read_store
from graph_engine.outputs import money, write_text

__all__ = ["REPORT_NAME", "ReportInputs", "read_run", "render_report", "write_report"]

REPORT_NAME = "report.html"


@dataclass(frozen=True)
class ReportInputs:
    """What a report shows: a run's summary and, when the run had them, its parts."""

    summary: dict[str, Any]
    selection: dict[str, Any] | None = None
    picks_graph: AudienceGraph | None = None  # the picked creators and their followers
    communities: pl.DataFrame | None = None  # communities.summary
    membership: pl.DataFrame | None = None  # creator_id -> community


def render_report(inputs: ReportInputs) -> str:
    """Render the report as one self-contained HTML page.

    Parameters
    ----------
    inputs
        The run's summary and parts (see `ReportInputs`).

    Returns
    -------
    str
        The page (UTF-8 text; every chart is inline SVG).
    """
    sel = inputs.selection
    sections = [_section("The plan", _plan(inputs.summary, sel))]
    if sel is not None and sel["picks"]:
        picks = pl.DataFrame(sel["picks"])
        names = _names(picks)
        sections.append(_section("Picks", _picks_table(picks, names, _currency(sel))))
        sections.append(_section("Reach curve", _svg(_reach_curve(sel))))
        sections.append(_section("Budget frontier", _svg(_budget_frontier(sel))))
        if inputs.picks_graph is not None:
            graph = inputs.picks_graph
            ids = picks[s.CREATOR_ID].to_list()
            chart = _heat_map(graph, ids, names, _communities_of(picks, inputs.membership))
            sections.append(_section("Overlap of the picks", _svg(chart)))
        if sel.get("frequency"):
            sections.append(_section("Exposure frequency", _svg(_frequency(sel))))
    if inputs.communities is not None and inputs.communities.height:
        sections.append(_section("Communities", _svg(_community_sizes(inputs.communities))))
        sections.append(_table(_community_rows(inputs.communities)))
    return _PAGE.substitute(
        title=html.escape(f"graph-engine report: {inputs.summary.get('job', 'run')}"),
        graph=html.escape(_graph_line(inputs.summary)),
        body="\n".join(sections),
    )


def write_report(run_dir: str | os.PathLike[str]) -> Path:
    """Write ``report.html`` into a run folder from the files the run wrote.

    Parameters
    ----------
    run_dir
        A folder written by `graph_engine.run_job` (``graph-engine run``).

    Returns
    -------
    Path
        The report file.
    """
    inputs = read_run(run_dir)
    return write_text(Path(run_dir) / REPORT_NAME, render_report(inputs))


def read_run(run_dir: str | os.PathLike[str]) -> ReportInputs:
    """Rebuild a report's inputs from a run folder.

    Parameters
    ----------
    run_dir
        A folder written by `graph_engine.run_job`.

    Returns
    -------
    ReportInputs
        The summary, selection, picks' graph and communities found there.
    """
    import json

    root = Path(run_dir)
    file = root / "summary.json"
    try:
        summary = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"`{root}` is not a run folder (no summary.json); hint: `graph-engine run JOB`"
        ) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"`{file}` is unreadable: {exc}") from exc
    outputs = summary.get("outputs", {})
    selection = None
    if "selection_json" in outputs:
        selection = json.loads((root / outputs["selection_json"]).read_text(encoding="utf-8"))
    picks_graph = None
    if selection is not None and selection["picks"]:
        store = Path(outputs.get("store", "store"))
        ids = [p[s.CREATOR_ID] for p in selection["picks"]]
        picks_graph = read_store(store if store.is_absolute() else root / store, creators=ids)
    return ReportInputs(
        summary=summary,
        selection=selection,
        picks_graph=picks_graph,
        communities=_frame(root, outputs.get("community_summary")),
        membership=_frame(root, outputs.get("communities")),
    )


# -- text -------------------------------------------------------------------------------


def _plan(summary: dict[str, Any], sel: dict[str, Any] | None) -> str:
    if sel is None:
        return "<p>This run made no selection.</p>"
    lines = [html.escape(summary.get("selection", {}).get("summary", ""))]
    lines.append(html.escape(_bound_in_words(sel)))
    lines += [html.escape(note) for note in sel.get("notes", [])]
    return "".join(f"<p>{line}</p>" for line in lines if line)


def _bound_in_words(sel: dict[str, Any]) -> str:
    """Say what the certificate proves, in the words an analyst would use."""
    if sel.get("cost_lower_bound") is not None:
        low, cost = float(sel["cost_lower_bound"]), float(sel["total_cost"])
        if sel.get("constraints", {}).get("minimize") != "cost":
            count, fewest = len(sel.get("picks", [])), math.ceil(low - 1e-9)
            if sel["optimal"] or count <= fewest:
                return "No plan with fewer creators reaches this target: this one is the smallest."
            return (
                f"No plan reaching the target needs fewer than {fewest:,} creators, so this "
                f"plan uses at most {count - fewest:,} more than the fewest possible."
            )
        if sel["optimal"] or cost <= low:
            return "No cheaper plan reaches this target: this plan is the cheapest possible."
        return (
            f"No plan reaching the target costs less than {money(low, _currency(sel))}, so this "
            f"plan costs at most {cost / low - 1:.1%} more than the cheapest possible."
        )
    bound = float(sel["upper_bound"])
    people = "people" if sel.get("expected_reach") is None else "people in expectation"
    if sel["optimal"]:
        return f"No selection under these constraints reaches more {people}: this one is optimal."
    return (
        f"No selection under these constraints can reach more than {bound:,.0f} {people}, so "
        f"this plan is at most {float(sel['gap']):.1%} below the best possible."
    )


def _currency(sel: dict[str, Any]) -> str:
    return str(sel.get("constraints", {}).get("currency") or "$")


def _graph_line(summary: dict[str, Any]) -> str:
    g = summary.get("graph", {})
    return (
        f"{g.get('creators', 0):,} creators, {g.get('followers', 0):,} followers, "
        f"{g.get('edges', 0):,} follows"
    )


def _names(picks: pl.DataFrame) -> list[str]:
    """Label each pick: its handle beside its id when the creators file gave one."""
    name = s.name_column(picks)
    return _named(picks[s.CREATOR_ID].to_list(), picks[name].to_list() if name else None)


def _picks_table(picks: pl.DataFrame, names: list[str], currency: str) -> str:
    rows = [["rank", "creator", "tier", "followers", "cost", "new reach", "reach", "share"]]
    for row, name in zip(picks.to_dicts(), names, strict=True):
        rows.append(
            [
                str(row["rank"]),
                name,
                str(row.get(s.TIER, "")),
                f"{int(row[s.FOLLOWERS]):,}",
                money(float(row["cost"]), currency),
                f"{round(row['marginal_reach']):,}",
                f"{round(row['reach']):,}",
                f"{float(row['reach_share']):.1%}",
            ]
        )
    return _table(rows)


def _community_rows(summary: pl.DataFrame) -> list[list[str]]:
    rows = [["community", "creators", "unique audience", "density", "top creators"]]
    for row in summary.to_dicts():
        rows.append(
            [
                str(row["community"]),
                f"{row['size']:,}",
                f"{row['unique_audience']:,}",
                f"{row['internal_density']:.1%}",
                ", ".join(_named(row["top_creators"][:5], row.get("top_handles"))),
            ]
        )
    return rows


def _named(ids: list[Any], handles: list[Any] | None) -> list[str]:
    """Each creator as ``handle (id)`` when it has a handle, else its id."""
    shown = handles if handles is not None else [None] * len(ids)
    return [f"{h} ({c})" if h else str(c) for c, h in zip(ids, shown, strict=False)]


def _table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows[1:]
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(title: str, content: str) -> str:
    return f"<section><h2>{html.escape(title)}</h2>{content}</section>"


def _frame(root: Path, name: str | None) -> pl.DataFrame | None:
    return pl.read_parquet(root / name) if name and (root / name).is_file() else None


def _communities_of(picks: pl.DataFrame, membership: pl.DataFrame | None) -> list[Any]:
    if membership is None:
        return [None] * picks.height
    lookup = dict(
        zip(
            [str(c) for c in membership[s.CREATOR_ID].to_list()],
            membership["community"].to_list(),
            strict=True,
        )
    )
    return [lookup.get(str(c)) for c in picks[s.CREATOR_ID].to_list()]


# -- charts (matplotlib's object API, drawn to SVG text) --------------------------------


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _svg(fig: Any) -> str:
    import matplotlib

    buffer = io.StringIO()
    # text stays text (searchable, small); a fixed salt gives the same ids every run
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "graph-engine"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return '<figure class="chart">' + text[text.index("<svg") :] + "</figure>"


def _reach_curve(sel: dict[str, Any]) -> Any:
    curve = pl.DataFrame(sel["curve"])
    exposed = sel.get("expected_reach") is not None  # the bound is on the expected reach
    column = "expected_reach" if exposed else "reach"
    eligible = sel["eligible_expected_reach"] if exposed else sel["eligible_reach"]
    fig = _figure(7, 3.6)
    ax = fig.add_subplot()
    ax.step([0, *curve["rank"].to_list()], [0, *curve[column].to_list()], where="post")
    ax.axhline(float(sel["upper_bound"]), color="tab:red", ls="--", label="bound on the best")
    ax.axhline(float(eligible), color="grey", ls=":", label="eligible audience")
    ax.set_xlabel("creators picked")
    ax.set_ylabel("expected people reached" if exposed else "unique people reached")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    return fig


def _budget_frontier(sel: dict[str, Any]) -> Any:
    curve = pl.DataFrame(sel["curve"])
    fig = _figure(7, 3.6)
    ax = fig.add_subplot()
    spend = [0.0, *curve["total_cost"].to_list()]
    reach = [0.0, *curve["reach"].to_list()]
    ax.plot(spend, reach, marker="o", ms=3)
    ax.set_xlabel(f"spend ({_currency(sel)})")
    ax.set_ylabel("unique people reached")
    ax.set_title("reach bought by each step of the plan", fontsize=9)
    ax.grid(alpha=0.3)
    return fig


def _heat_map(graph: AudienceGraph, ids: list[Any], names: list[str], blocks: list[Any]) -> Any:
    """Draw the picks x picks map: % of the row creator's audience also following the column."""
    order = sorted(range(len(ids)), key=lambda i: (blocks[i] is None, str(blocks[i]), i))
    idx = graph.creator_index([ids[i] for i in order])
    rows = graph.matrix[idx]
    shared = (rows @ rows.T).toarray().astype(np.float64)
    followers = np.maximum(np.diag(shared), 1.0)
    share = 100.0 * shared / followers[:, None]
    np.fill_diagonal(share, np.nan)
    n = len(idx)
    labels = [names[i] for i in order]
    fig = _figure(max(5.0, 0.45 * n + 3), max(4.0, 0.45 * n + 2))
    ax = fig.add_subplot()
    # the scale ends at the largest overlap shown (rounded up to 10%), not at one pair of
    # near-duplicates nor at 100% (which would leave every cell dark)
    top = float(np.nanmax(share)) if n > 1 else 100.0
    image = ax.imshow(share, cmap="viridis", vmin=0, vmax=max(10.0, np.ceil(top / 10) * 10))
    ax.set_xticks(range(n), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(n), labels, fontsize=7)
    if n <= 30:
        for i in range(n):
            for j in range(n):
                if i != j:
                    color = "white" if share[i, j] < 0.6 * top else "black"
                    cell = f"{share[i, j]:.0f}"
                    ax.text(j, i, cell, ha="center", va="center", fontsize=6, color=color)
    ordered = [blocks[i] for i in order]
    starts = [k for k in range(n) if k == 0 or ordered[k] != ordered[k - 1]]
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else n
        if start:
            ax.axhline(start - 0.5, color="white", lw=1.5)
            ax.axvline(start - 0.5, color="white", lw=1.5)
        if ordered[start] is not None:
            ax.annotate(
                f"community {ordered[start]}",
                ((start + end - 1) / 2, -0.7),
                ha="center",
                va="bottom",
                fontsize=7,
                annotation_clip=False,
            )
    fig.colorbar(image, ax=ax, shrink=0.8, label="% of the row creator's audience")
    return fig


def _frequency(sel: dict[str, Any]) -> Any:
    """Draw the selection's frequency table: people its picks reach 1, 2, 3, 4+ times.

    Under exposure, the expected number who see that many of the posts stands beside.
    """
    table = pl.DataFrame(sel["frequency"])
    counts = table["followers"].to_list()
    fig = _figure(6, 3.2)
    ax = fig.add_subplot()
    x = np.arange(table.height)
    exposed = "expected_followers" in table.columns
    width = 0.4 if exposed else 0.8
    bars = ax.bar(x - (width / 2 if exposed else 0), counts, width, label="followed")
    ax.bar_label(bars, labels=[f"{c:,}" for c in counts], fontsize=8)
    if exposed:
        seen = table["expected_followers"].to_list()
        more = ax.bar(x + width / 2, seen, width, color="tab:orange", label="posts seen (expected)")
        ax.bar_label(more, labels=[f"{c:,.0f}" for c in seen], fontsize=8)
        ax.legend(fontsize=8)
    ax.set_xticks(x, table["times"].to_list())
    ax.set_xlabel("times reached by the picks")
    ax.set_ylabel("people")
    return fig


def _community_sizes(summary: pl.DataFrame) -> Any:
    fig = _figure(max(5.0, 0.4 * summary.height + 2), 3.2)
    ax = fig.add_subplot()
    labels = [str(c) for c in summary["community"].to_list()]
    bars = ax.bar(labels, summary["size"].to_list(), color="tab:green")
    audience = summary["unique_audience"].to_list()
    ax.bar_label(bars, labels=[f"{a:,} people" for a in audience], fontsize=7)
    ax.set_xlabel("community")
    ax.set_ylabel("creators")
    return fig


_PAGE = Template(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem;
       color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25rem 0.6rem; text-align: right; }
th:nth-child(2), td:nth-child(2) { text-align: left; }
figure.chart { margin: 0; } figure.chart svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>$title</h1>
<p>$graph</p>
$body
<footer><p>Made by graph-engine; exact counts of unique followers.</p></footer>
</body>
</html>
"""
)
