"""Files an analyst sends: workbooks with real numbers, and reports that keep every part."""

from __future__ import annotations

import itertools
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from .conftest import SYNTHETIC
from .sweep import invoke

ROOT = Path(__file__).resolve().parents[1]
LIST = ["1", "@creator_2", "68", "300"]  # ids and a handle
IDS = [1, 2, 68, 300]


@pytest.fixture()
def store(synthetic_store: Path) -> Path:
    return synthetic_store


@pytest.fixture()
def audiences(synthetic_audiences: dict[int, set[int]]) -> dict[int, set[int]]:
    return {i: synthetic_audiences[i] for i in IDS}


def _sheet(book: openpyxl.Workbook, name: str) -> list[dict[str, object]]:
    rows = list(book[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_an_audience_workbook_has_every_part_as_real_numbers(store, audiences, tmp_path):
    out = invoke("audience", store, *LIST, "--output", tmp_path / "list.xlsx")
    assert out.code == 0, out.stderr
    book = openpyxl.load_workbook(tmp_path / "list.xlsx")
    assert book.sheetnames == ["summary", "creators", "shared", "shared_percent", "frequency"]
    figures = {r["figure"]: r["value"] for r in _sheet(book, "summary")}
    assert figures["reach"] == len(set().union(*audiences.values()))
    assert figures["total_followers"] == sum(len(a) for a in audiences.values())
    creators = _sheet(book, "creators")
    assert [r["creator_id"] for r in creators] == [str(i) for i in IDS]  # ids stay text
    assert [r["handle"] for r in creators] == [f"creator_{i}" for i in IDS]
    assert [r["followers"] for r in creators] == [len(audiences[i]) for i in IDS]
    ws = book["creators"]
    share = next(c.column_letter for c in ws[1] if c.value == "exclusive_share")
    assert ws[f"{share}2"].number_format == "0.00%" and isinstance(ws[f"{share}2"].value, float)
    shared = _sheet(book, "shared")
    percent = _sheet(book, "shared_percent")
    for (i, a), (_j, b) in itertools.product(enumerate(IDS), repeat=2):
        header = f"creator_{b}"
        assert shared[i][header] == len(audiences[a] & audiences[b])
        expected = len(audiences[a] & audiences[b]) / len(audiences[a])
        assert percent[i][header] == pytest.approx(expected, abs=5e-5)  # 0.1234 shown as 12.34%
    cell = book["shared_percent"]["C2"]
    assert cell.number_format == "0.00%" and cell.value == 1  # a creator shares all with itself


def test_an_audience_report_in_a_table_format_is_a_file_per_part(store, audiences, tmp_path):
    out = invoke("audience", store, *LIST, "--output", tmp_path / "list.csv")
    assert out.code == 0, out.stderr
    assert "list.summary.csv" in out.stderr and "list.shared_percent.csv" in out.stderr
    creators = pl.read_csv(tmp_path / "list.csv")
    assert creators["followers"].to_list() == [len(audiences[i]) for i in IDS]
    summary = pl.read_csv(tmp_path / "list.summary.csv")
    assert summary.height == 1 and summary["reach"][0] == len(set().union(*audiences.values()))
    assert pl.read_csv(tmp_path / "list.shared.csv").height == len(IDS)
    assert pl.read_csv(tmp_path / "list.shared_percent.csv").height == len(IDS)
    stdout = invoke("audience", store, *LIST, "--format", "csv")
    assert stdout.stdout.startswith("creator_id,handle,tier,followers")  # one table


def test_a_selection_workbook_has_picks_curve_and_constraints(store, tmp_path):
    out = invoke("select", store, "--count", "3", "--output", tmp_path / "sel.xlsx")
    assert out.code == 0, out.stderr
    book = openpyxl.load_workbook(tmp_path / "sel.xlsx")
    assert book.sheetnames[:2] == ["summary", "picks"] and "constraints" in book.sheetnames
    figures = {r["figure"]: r["value"] for r in _sheet(book, "summary")}
    assert {r["figure"]: r["value"] for r in _sheet(book, "constraints")}["count"] == 3
    picks = _sheet(book, "picks")
    assert len(picks) == 3
    assert picks[-1]["reach"] == figures["reach"]  # the curve ends at the reach
    assert [p["rank"] for p in picks] == [1, 2, 3]
    assert all(isinstance(p["marginal_reach"], int | float) for p in picks)
    csv = invoke("select", store, "--count", "3", "--output", tmp_path / "sel.csv")
    assert csv.code == 0, csv.stderr
    picks_csv = pl.read_csv(tmp_path / "sel.csv")
    assert picks_csv.height == 3 and picks_csv["reach"].dtype == pl.Int64  # not 26030.0
    assert pl.read_csv(tmp_path / "sel.summary.csv")["constraints.count"][0] == 3


def test_an_overlap_workbook_holds_every_pair_or_refuses(store, tmp_path, monkeypatch):
    out = invoke("overlap", store, "--min-shared", "50", "--output", tmp_path / "pairs.xlsx")
    assert out.code == 0, out.stderr
    rows = _sheet(openpyxl.load_workbook(tmp_path / "pairs.xlsx"), "pairs")
    parquet = tmp_path / "pairs.parquet"
    assert invoke("overlap", store, "--min-shared", "50", "--output", parquet).code == 0
    expected = pl.read_parquet(parquet)
    assert len(rows) == expected.height > 0
    assert [r["shared"] for r in rows] == expected["shared"].to_list()
    from graph_engine import outputs

    monkeypatch.setattr(outputs, "EXCEL_ROWS", 10)
    refused = invoke("overlap", store, "--output", tmp_path / "big.xlsx")
    assert refused.code == 1 and "a worksheet holds 10" in refused.stderr
    assert not (tmp_path / "big.xlsx").exists()


@pytest.mark.parametrize("suffix", [".gexf", ".graphml"])
def test_the_overlap_network_opens_in_networkx_with_every_pair(store, tmp_path, suffix):
    import networkx as nx

    from graph_engine import compute_overlap, read_store

    path = tmp_path / f"net{suffix}"
    out = invoke("overlap", store, "--min-shared", "20", "--output", path)
    assert out.code == 0, out.stderr
    net = nx.read_gexf(path) if suffix == ".gexf" else nx.read_graphml(path)
    graph = read_store(store)
    pairs = compute_overlap(graph, min_shared=20)
    assert net.number_of_nodes() == graph.n_creators  # every creator, isolated or not
    assert net.number_of_edges() == pairs.height > 0
    for a, b, shared, jaccard in pairs.select("creator_a", "creator_b", "shared", "jaccard").rows():
        edge = net.edges[str(a), str(b)]
        assert int(edge["shared"]) == shared
        assert float(edge["jaccard"]) == pytest.approx(jaccard)
        followers_a = graph.degrees[graph.creator_index([a])[0]]
        assert float(edge["share_of_a"]) == pytest.approx(shared / followers_a)
    node = net.nodes["68"]
    assert node["handle"] == "creator_68" and int(node["followers"]) == len(graph.audience(68))
    assert node["tier"] in ("nano", "micro", "macro", "mega")
    # the communities are a real partition of this network: modularity well above zero
    groups: dict[int, set[str]] = {}
    for n, attrs in net.nodes(data=True):
        groups.setdefault(int(attrs["community"]), set()).add(n)
    assert nx.community.modularity(net, groups.values(), weight="jaccard") > 0.3


def test_counts_are_integers_in_json(store):
    import json

    out = invoke("select", store, "--count", "3", "--format", "json")
    result = json.loads(out.stdout)
    assert isinstance(result["reach"], int) and isinstance(result["upper_bound"], int)
    assert all(isinstance(p["marginal_reach"], int) for p in result["picks"])
    assert all(isinstance(p["reach"], int) for p in result["picks"])


def test_tables_fit_80_columns_and_show_shares_as_percent(store):
    from .sweep import run_cli

    out = run_cli("overlap", store, "--limit", "3", COLUMNS="80")
    assert out.code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert "…" not in out.stdout  # no header or cell is cut
    assert "columns not shown (" in out.stdout and "share_of_b" in out.stdout
    wide = run_cli("audience", store, "1", "2", COLUMNS="200")
    assert wide.code == 0, wide.stderr
    row = next(line for line in wide.stdout.splitlines() if "creator_1 " in line)
    assert row.count("%") == 2  # exclusive share and contribution
    picks = run_cli("select", store, "--count", "2", COLUMNS="200").stdout
    cost = next(line for line in picks.splitlines() if line.startswith("│")).split("│")[6]
    assert len(cost.strip().split(".")[-1]) == 2  # money with two decimals


@pytest.mark.parametrize(("listed", "diagram"), [(2, "venn"), (3, "venn"), (6, "upset")])
def test_audience_plots_a_shortlist(store, tmp_path, listed, diagram):
    from matplotlib.image import imread

    ids = [str(i) for i in (1, 2, 68, 300, 29, 150)[:listed]]
    out = invoke("audience", store, *ids, "--plot", tmp_path / "plots")
    assert out.code == 0, out.stderr
    names = sorted(p.name for p in (tmp_path / "plots").iterdir())
    assert names == sorted(["heatmap.png", f"{diagram}.png", "frequency.png"])
    for name in names:
        pixels = imread(tmp_path / "plots" / name)
        assert pixels.shape[0] > 200 and pixels.std() > 0.05, f"{name} is blank"


def test_intersection_sizes_are_the_exact_venn_regions(store):
    from graph_engine import read_store
    from graph_engine.audience import audience_report, intersection_sizes

    ids = [1, 2, 68, 300, 29]
    graph = read_store(store, creators=ids)
    idx = graph.creator_index(ids)
    sets = [set(graph.audience(i).to_list()) for i in ids]
    everyone = set().union(*sets)
    expected: dict[int, int] = {}
    for follower in everyone:
        key = sum(1 << b for b, s in enumerate(sets) if follower in s)
        expected[key] = expected.get(key, 0) + 1
    assert intersection_sizes(graph, idx) == expected
    times = [sum(f in s for s in sets) for f in everyone]
    freq = audience_report(graph, ids).frequency
    assert freq["followers"].to_list() == [
        times.count(1),
        times.count(2),
        times.count(3),
        sum(t >= 4 for t in times),
    ]


def test_money_is_shown_with_the_currency_given(store):
    import json

    out = invoke("select", store, "--count", "2", "--currency", "EUR")
    assert out.code == 0, out.stderr
    first = out.stdout.splitlines()[0]
    cost = json.loads(invoke("select", store, "--count", "2", "--format", "json").stdout)
    assert f"for {cost['total_cost']:,.2f} EUR;" in first
    euro = invoke("select", store, "--count", "2", "--currency", "€", "--format", "json")
    assert json.loads(euro.stdout)["constraints"]["currency"] == "€"
    assert "for $" in invoke("select", store, "--count", "2").stdout.splitlines()[0]
    bad = invoke("select", store, "--count", "2", "--currency", "a b")
    assert bad.code == 1 and "currency" in bad.stderr


def test_a_top_k_network_has_each_pair_once_with_shares_from_its_ends(store, tmp_path):
    import networkx as nx

    from graph_engine import compute_overlap, read_store

    out = invoke("overlap", store, "--top-k", "2", "--output", tmp_path / "k.gexf")
    assert out.code == 0, out.stderr
    net = nx.read_gexf(tmp_path / "k.gexf")
    pairs = compute_overlap(read_store(store), top_k=2)
    unique = {tuple(sorted((a, b))) for a, b in pairs.select("creator_a", "creator_b").rows()}
    assert net.number_of_edges() == len(unique)
    for a, b, share_a in pairs.select("creator_a", "creator_b", "share_of_a").rows():
        edge = net.edges[str(a), str(b)]
        mine = "share_of_a" if a == min(a, b) else "share_of_b"  # stored from the lower id
        assert float(edge[mine]) == pytest.approx(share_a)


def test_odd_input_is_one_line_not_a_traceback(store, tmp_path):
    from .sweep import run_cli

    for args in (
        ["overlap", store, "--min-shared", "200", "-o", tmp_path / "a[1]?.xlsx"],
        ["audience", store, "--", "--1"],
        ["audience", store, "²"],
        ["select", store, "--count", "1", "--currency", "1"],
        ["creators", store, "--tier", "micr"],
    ):
        out = run_cli(*args)
        assert "Traceback" not in out.stderr, (args, out.stderr)
        assert out.code in (0, 1), (args, out.stderr)
    assert run_cli("creators", store, "--tier", "micr").code == 1
    assert run_cli("select", store, "--count", "1", "--currency", "1").code == 1
    assert (tmp_path / "a[1]?.xlsx").is_file()


def test_a_selection_reports_how_often_its_picks_reach_each_follower(store):
    import json

    from graph_engine import read_store, select_creators

    result = json.loads(invoke("select", store, "--count", "4", "--format", "json").stdout)
    picks = [int(p["creator_id"]) for p in result["picks"]]
    edges = pl.read_parquet(SYNTHETIC / "edges.parquet").filter(pl.col("creator_id").is_in(picks))
    times = edges.group_by("follower_id").len()["len"].to_list()
    expected = [times.count(1), times.count(2), times.count(3), sum(t >= 4 for t in times)]
    assert [row["followers"] for row in result["frequency"]] == expected
    assert sum(expected) == result["reach"]
    effective = [sum(t >= k for t in times) for k in (1, 2, 3, 4)]  # effective reach at k+
    assert [row["at_least"] for row in result["frequency"]] == effective
    sel = select_creators(read_store(store), count=4)
    assert sel.frequency is not None and sel.frequency["followers"].to_list() == expected


def test_plots_into_a_folder_that_cannot_be_made_is_one_line(store, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = invoke("audience", store, "1", "2", "--plot", blocker / "plots")
    assert out.code == 1 and "cannot write plots to" in out.stderr
    assert "Traceback" not in out.stderr and blocker.read_text() == ""


def test_info_writes_every_part_too(store, tmp_path):
    out = invoke("info", store, "--output", tmp_path / "info.xlsx")
    assert out.code == 0, out.stderr
    book = openpyxl.load_workbook(tmp_path / "info.xlsx")
    assert book.sheetnames[:2] == ["summary", "tiers"] and "sources" in book.sheetnames
    figures = {r["figure"]: r["value"] for r in _sheet(book, "summary")}
    edges = pl.read_parquet(SYNTHETIC / "edges.parquet").unique()
    assert (
        figures["edges"] == edges.height and figures["creators"] == edges["creator_id"].n_unique()
    )
