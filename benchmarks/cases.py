"""The benchmark cases. Data is generated once (seeded) and cached in benchmarks/.data.

Real data: SNAP ego-Twitter when present (see benchmarks/README.md) (J. McAuley and J. Leskovec,
"Learning to Discover Social Circles in Ego Networks", NIPS 2012; J. Leskovec and
A. Krevl, SNAP Datasets, 2014); cases that need it are skipped with a message otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.framework import DATA, EGO_TWITTER, Case, Contender

# -- data ---------------------------------------------------------------------------------

GEN_10M = {
    "n_creators": 2_000,
    "n_followers": 2_000_000,
    "n_edges": 10_000_000,
    "n_niches": 20,
    "mixing": 0.1,
    "seed": 1,
}


def generated(name: str, fmt: str = "parquet", **params: Any) -> Path:
    """Edge file of a generated graph, made once and cached."""
    from graph_engine import generate_graph

    out = DATA / f"{name}-{fmt}"
    path = out / f"edges.{fmt}"
    if not path.exists():
        print(f"  generating {name} ({fmt}) ...", flush=True)
        generate_graph(out, format=fmt, **params)  # type: ignore[arg-type]
    return path


def store_of(name: str, edges: Path, **options: Any) -> Path:
    """A store built from `edges` (with the generator's creators file when it has one)."""
    from graph_engine import ingest_into_store
    from graph_engine.store import current_version

    store = DATA / f"{name}.store"
    if current_version(store) is None:
        creators = edges.parent / "creators.csv"
        if creators.exists():
            options.setdefault("creators", creators)
        ingest_into_store([edges], store, **options)
    return store


def no_ego() -> str | None:
    return None if EGO_TWITTER.exists() else f"{EGO_TWITTER} not found"


# -- ingest -------------------------------------------------------------------------------


def _engine_ingest(path_fn: Callable[[], Path], **options: Any) -> Contender:
    def run(_: Any) -> dict[str, Any]:
        from graph_engine import ingest

        tables = ingest([path_fn()], **options)
        return {
            "edges": tables.edges.height,
            "duplicates": tables.duplicates,
            "rejected": tables.rejected,
        }

    return Contender("graph-engine", run)


def _polars_naive(path_fn: Callable[[], Path]) -> Contender:
    """Read, drop nulls and self-follows, unique, sort: no dense ids, no rejects table."""

    def run(_: Any) -> dict[str, Any]:
        import polars as pl

        path = path_fn()
        if path.suffix == ".parquet":
            frame = pl.scan_parquet(path)
        elif path.suffix == ".csv":
            frame = pl.scan_csv(path)
        else:
            frame = pl.read_csv(
                path, has_header=False, separator=" ", new_columns=["follower_id", "creator_id"]
            ).lazy()
        edges = (
            frame.drop_nulls()
            .filter(pl.col("creator_id") != pl.col("follower_id"))
            .unique()
            .sort("creator_id", "follower_id")
            .collect()
        )
        return {"edges": edges.height}

    return Contender("polars read+unique+sort", run)


def _duckdb_naive(path_fn: Callable[[], Path]) -> Contender:
    def run(_: Any) -> dict[str, Any]:
        import duckdb

        path = path_fn()
        if path.suffix == ".parquet":
            src = f"read_parquet('{path}')"
        elif path.suffix == ".csv":
            src = f"read_csv('{path}')"
        else:
            src = (
                f"read_csv('{path}', delim=' ', header=false, "
                "columns={'follower_id': 'BIGINT', 'creator_id': 'BIGINT'})"
            )
        con = duckdb.connect()
        con.execute(
            f"CREATE TABLE e AS SELECT DISTINCT creator_id, follower_id FROM {src} "
            "WHERE creator_id IS NOT NULL AND follower_id IS NOT NULL "
            "AND creator_id <> follower_id ORDER BY creator_id, follower_id"
        )
        return {"edges": con.execute("SELECT count(*) FROM e").fetchone()[0]}  # type: ignore[index]

    return Contender("duckdb distinct+order", run)


def _ingest_contenders(path_fn: Callable[[], Path]) -> list[Contender]:
    return [_engine_ingest(path_fn), _polars_naive(path_fn), _duckdb_naive(path_fn)]


def _same_edges(results: dict[str, Any]) -> list[str]:
    counts = {n: r["result"]["edges"] for n, r in results.items() if r["result"]}
    return [] if len(set(counts.values())) <= 1 else [f"edge counts differ: {counts}"]


def _ingest_check(
    edge_bytes: int, target_rate: float, items: int
) -> Callable[[dict[str, Any]], list[str]]:
    def check(results: dict[str, Any]) -> list[str]:
        problems = _same_edges(results)
        engine = results["graph-engine"]
        if engine["seconds"]:
            rate = items / engine["seconds"] / 1e6
            rss_ratio = engine["peak_rss_mb"] * 2**20 / edge_bytes
            print(
                f"  graph-engine: {rate:.2f} M edges/s (target {target_rate}), peak RSS "
                f"{rss_ratio:.2f}x the edge columns in memory (target 3x)"
            )
        return problems

    return check


def gen_parquet() -> Path:
    return generated("gen-10m", "parquet", **GEN_10M)


def _gen_csv() -> Path:
    return generated("gen-10m", "csv", **GEN_10M)


def _ego() -> Path:
    return EGO_TWITTER


def _ego_check(results: dict[str, Any]) -> list[str]:
    problems = _same_edges(results)
    engine = results["graph-engine"]["result"]
    if engine and (engine["edges"], engine["rejected"]) != (1_768_135, {"self_follow": 14}):
        problems.append(f"ego-Twitter: expected 1,768,135 edges and 14 self-follows, got {engine}")
    return problems


EDGE_COLUMNS_10M = 10_000_000 * 16  # two int64 id columns

CASES: dict[str, Case] = {}


def register(case: Case) -> Case:
    CASES[case.name] = case
    return case


register(
    Case(
        "ingest-parquet-10m",
        "ingest a 10M-edge generator Parquet file (2,000 creators x 2M followers)",
        _ingest_contenders(gen_parquet),
        prepare=gen_parquet,
        items=10_000_000,
        check=_ingest_check(EDGE_COLUMNS_10M, 5.0, 10_000_000),
    )
)
register(
    Case(
        "ingest-csv-10m",
        "ingest the same graph as CSV",
        _ingest_contenders(_gen_csv),
        prepare=_gen_csv,
        items=10_000_000,
        check=_ingest_check(EDGE_COLUMNS_10M, 2.0, 10_000_000),
    )
)
register(
    Case(
        "ingest-ego-twitter",
        "ingest SNAP ego-Twitter (1,768,149 lines, 14 self-follows)",
        _ingest_contenders(_ego),
        skip=no_ego,
        items=1_768_149,
        check=_ego_check,
    )
)


# -- overlap ------------------------------------------------------------------------------


def gen_store() -> Path:
    return store_of("gen-10m", gen_parquet())


def _ego_store() -> Path:
    return store_of("ego-twitter", EGO_TWITTER)


def _graph_setup(store_fn: Callable[[], Path], **choice: Any) -> Callable[[], Any]:
    def setup() -> Any:
        from graph_engine import read_store
        from graph_engine.overlap import compute_overlap

        graph = read_store(store_fn()).subgraph(**choice)
        # warm-up outside the timing, as every peer's import is: the first call loads the
        # compiled kernels (ctypes, ~1 ms) and the lazily imported modules
        compute_overlap(graph.take(np.arange(min(2, graph.n_creators))))
        return graph

    return setup


def _dense_edges_setup(store_fn: Callable[[], Path], **choice: Any) -> Callable[[], Any]:
    def setup() -> Any:
        import duckdb  # noqa: F401  # the import is setup, not work
        import polars as pl

        g = _graph_setup(store_fn, **choice)()
        import numpy as np

        return pl.DataFrame(
            {
                "creator": np.repeat(np.arange(g.n_creators, dtype=np.int32), g.degrees),
                "follower": g.indices,
            }
        )

    return setup


def _summary(n_pairs: int, total_shared: int) -> dict[str, int]:
    return {"pairs": int(n_pairs), "sum_shared": int(total_shared)}


def _engine_overlap(graph: Any) -> dict[str, int]:
    from graph_engine.overlap import overlap_blocks

    n = total = 0
    for block in overlap_blocks(graph):
        n += block.height
        total += int(block["shared"].sum())
    return _summary(n, total)


def _scipy_setup(store_fn: Callable[[], Path], **choice: Any) -> Callable[[], Any]:
    def setup() -> Any:
        g = _graph_setup(store_fn, **choice)()
        b = g.matrix
        return b, b.T.tocsr()

    return setup


def _scipy_product(state: Any) -> dict[str, int]:
    import numpy as np
    import scipy.sparse as sp

    b, bt = state
    c = sp.triu(b @ bt, k=1)  # the bare product, upper triangle for the same answer
    return _summary(c.nnz, int(np.asarray(c.sum())))


def _polars_self_join(edges: Any) -> dict[str, int]:
    import polars as pl

    pairs = (
        edges.lazy()
        .join(edges.lazy(), on="follower", suffix="_b")
        .filter(pl.col("creator") < pl.col("creator_b"))
        .group_by("creator", "creator_b")
        .len()
        .collect()
    )
    return _summary(pairs.height, int(pairs["len"].sum()))


def _duckdb_self_join(edges: Any) -> dict[str, int]:
    import duckdb  # imported in setup already (_dense_edges_setup)

    con = duckdb.connect()
    con.register("edges_frame", edges)
    con.execute("CREATE TABLE e AS SELECT * FROM edges_frame")
    n, total = con.execute(
        "SELECT count(*), sum(shared) FROM (SELECT a.creator, b.creator, count(*) AS shared "
        "FROM e a JOIN e b ON a.follower = b.follower AND a.creator < b.creator GROUP BY ALL)"
    ).fetchone()  # type: ignore[misc]
    return _summary(n, total)


def _networkx_setup(store_fn: Callable[[], Path], **choice: Any) -> Callable[[], Any]:
    """networkx's own input: the bipartite graph, built untimed (as the engine's CSR is)."""

    def setup() -> Any:
        import networkx as nx

        graph = _graph_setup(store_fn, **choice)()
        g = nx.Graph()
        rows = graph.indptr
        for c in range(graph.n_creators):
            g.add_edges_from(
                (("c", c), ("f", int(f))) for f in graph.indices[rows[c] : rows[c + 1]]
            )
        return g, [("c", c) for c in range(graph.n_creators)]

    return setup


def _networkx_projection(state: Any) -> dict[str, int]:
    import networkx as nx

    g, creators = state
    proj = nx.bipartite.weighted_projected_graph(g, creators)  # weight = shared followers
    return _summary(proj.number_of_edges(), sum(w for _, _, w in proj.edges(data="weight")))


def _overlap_contenders(
    store_fn: Callable[[], Path], networkx: bool, **choice: Any
) -> list[Contender]:
    out = [
        Contender("graph-engine", _engine_overlap, _graph_setup(store_fn, **choice)),
        Contender("scipy B@B.T (floor)", _scipy_product, _scipy_setup(store_fn, **choice)),
        Contender("duckdb self-join", _duckdb_self_join, _dense_edges_setup(store_fn, **choice)),
        Contender("polars self-join", _polars_self_join, _dense_edges_setup(store_fn, **choice)),
    ]
    if networkx:
        out.append(
            Contender(
                "networkx projection",
                _networkx_projection,
                _networkx_setup(store_fn, **choice),
                timeout=600,
            )
        )
    return out


def _same_answer(results: dict[str, Any]) -> list[str]:
    answers = {n: r["result"] for n, r in results.items() if r["result"]}
    distinct = {tuple(sorted(a.items())) for a in answers.values()}
    return [] if len(distinct) <= 1 else [f"answers differ: {answers}"]


# the largest creator subset of the 10M graph that networkx projects in about a minute
NX_SUBSET = {"min_followers": 20_000}

register(
    Case(
        "overlap-10m",
        "all pairs, 2,000 creators x 2M followers x 10M edges",
        _overlap_contenders(gen_store, networkx=False),
        prepare=gen_store,
        check=_same_answer,
    )
)
register(
    Case(
        "overlap-10m-networkx-subset",
        f"the 10M graph's creators with >= {NX_SUBSET['min_followers']:,} followers, with networkx",
        _overlap_contenders(gen_store, networkx=True, **NX_SUBSET),
        prepare=gen_store,
        check=_same_answer,
    )
)
register(
    Case(
        "overlap-ego",
        "ego-Twitter creators with >= 100 followers, all pairs",
        _overlap_contenders(_ego_store, networkx=True, min_followers=100),
        skip=no_ego,
        prepare=lambda: _ego_store() if EGO_TWITTER.exists() else None,
        check=_same_answer,
    )
)


# -- selection ----------------------------------------------------------------------------

GEN_10K = {
    "n_creators": 10_000,
    "n_followers": 2_000_000,
    "n_edges": 10_000_000,
    "n_niches": 40,
    "mixing": 0.1,
    "seed": 2,
}


def _gen10k_store() -> Path:
    return store_of("gen-10k-10m", generated("gen-10k-10m", "parquet", **GEN_10K))


def _select(store_fn: Callable[[], Path], method: str, **kwargs: Any) -> Contender:
    def run(graph: Any) -> dict[str, Any]:
        from graph_engine.selection import select_creators

        sel = select_creators(graph, method=method, **kwargs)  # type: ignore[arg-type]
        return {
            "reach": sel.reach,
            "upper_bound": round(sel.upper_bound, 1),
            "optimal": sel.optimal,
            "evaluations": sel.evaluations,
            "picks": sel.picks["creator_id"].to_list()[:5],
            "cost": round(sel.total_cost, 2),
        }

    label = {
        "greedy": "graph-engine (lazy greedy)",
        "plain-greedy": "plain greedy",
        "exact": "exact (HiGHS)",
        "auto": "graph-engine auto (+ bound)",
    }[method]
    return Contender(label, run, _graph_setup(store_fn), timeout=900)


def _by_hand(
    store_fn: Callable[[], Path], how: str, *, count: int | None = None, budget: float | None = None
) -> Contender:
    """What an analyst does by hand: the biggest creators, or random ones, until full."""

    def run(graph: Any) -> dict[str, Any]:
        import numpy as np

        from graph_engine.audience import audience_report
        from graph_engine.selection import creator_costs as _costs

        if how == "top":
            order = np.argsort(-graph.degrees, kind="stable")
        else:
            order = np.random.default_rng(7).permutation(graph.n_creators)
        cost = _costs(graph, np.arange(graph.n_creators), None, 1, 0.0)
        chosen, spent = [], 0.0
        for j in order.tolist():
            if count is not None and len(chosen) >= count:
                break
            if budget is not None and spent + cost[j] > budget:
                continue
            chosen.append(j)
            spent += cost[j]
        ids = graph.creator_ids(np.array(chosen)).to_list()
        return {
            "reach": float(audience_report(graph, ids).summary["reach"]),
            "cost": round(spent, 2),
            "picks": ids[:5],
        }

    return Contender(
        {"top": "top by followers", "random": "random picks"}[how], run, _graph_setup(store_fn)
    )


def _selection_check(results: dict[str, Any]) -> list[str]:
    engine = results["graph-engine (lazy greedy)"]["result"]
    problems = []
    if not engine:
        return ["graph-engine failed"]
    plain = results.get("plain greedy", {}).get("result")
    if plain:
        if plain["picks"] != engine["picks"]:
            problems.append("lazy and plain greedy picked differently")
        print(
            f"  gain evaluations: plain {plain['evaluations']:,} / lazy "
            f"{engine['evaluations']:,} = {plain['evaluations'] / engine['evaluations']:.0f}x "
            "fewer (target 50x)"
        )
    for name in ("top by followers", "random picks"):
        other = results.get(name, {}).get("result")
        if other:
            print(
                f"  reach vs {name}: {engine['reach'] / other['reach']:.2f}x "
                f"({engine['reach']:,.0f} vs {other['reach']:,.0f})"
            )
    print(
        f"  lazy greedy: within {100 * (1 - engine['reach'] / engine['upper_bound']):.2f}% of "
        "optimal by its greedy bound"
    )
    auto = results.get("graph-engine auto (+ bound)", {}).get("result")
    if auto:
        gap = 100 * (1 - auto["reach"] / auto["upper_bound"])
        print(f"  auto: within {gap:.2f}% of optimal (Lagrangian bound)")
    return problems


register(
    Case(
        "select-10k-k100",
        "k = 100 of 10,000 creators, 10M-edge generator graph (time after load)",
        [
            _select(_gen10k_store, "greedy", count=100),
            _select(_gen10k_store, "auto", count=100),
            _select(_gen10k_store, "plain-greedy", count=100),
            _by_hand(_gen10k_store, "top", count=100),
            _by_hand(_gen10k_store, "random", count=100),
        ],
        prepare=_gen10k_store,
        check=_selection_check,
    )
)
register(
    Case(
        "select-10k-budget",
        "budget $5,000 (generator prices), same graph",
        [
            _select(_gen10k_store, "greedy", budget=5_000),
            _select(_gen10k_store, "auto", budget=5_000),
            _select(_gen10k_store, "plain-greedy", budget=5_000),
            _by_hand(_gen10k_store, "top", budget=5_000),
            _by_hand(_gen10k_store, "random", budget=5_000),
        ],
        prepare=_gen10k_store,
        check=_selection_check,
    )
)


def _ego200() -> Any:
    from graph_engine import read_store

    return read_store(_ego_store()).subgraph(min_followers=200)


def _exact_check(results: dict[str, Any]) -> list[str]:
    problems = []
    for k in (5, 10, 20):
        greedy = results[f"graph-engine (lazy greedy) k={k}"]["result"]
        exact = results[f"exact (HiGHS) k={k}"]["result"]
        if greedy and exact:
            share = greedy["reach"] / exact["reach"]
            print(
                f"  k={k}: greedy {greedy['reach']:,.0f} = {100 * share:.2f}% of "
                f"{'proven optimum' if exact['optimal'] else 'best found'} {exact['reach']:,.0f}"
                f"; greedy's own bound {greedy['upper_bound']:,.0f}"
            )
            if exact["optimal"] and greedy["upper_bound"] < exact["reach"] - 1e-6:
                problems.append(f"k={k}: greedy bound below the proven optimum")
            if share < 0.98:
                problems.append(f"k={k}: greedy below 98% of the optimum")
    return problems


def _ego_select(method: str, k: int) -> Contender:
    def run(graph: Any) -> dict[str, Any]:
        from graph_engine.selection import select_creators

        sel = select_creators(graph, count=k, method=method, time_limit=300)  # type: ignore[arg-type]
        return {
            "reach": sel.reach,
            "upper_bound": round(sel.upper_bound, 1),
            "optimal": sel.optimal,
            "elements": sel.n_elements,
            "eligible": sel.n_eligible,
        }

    name = "graph-engine (lazy greedy)" if method == "greedy" else "exact (HiGHS)"
    return Contender(f"{name} k={k}", run, _ego200, timeout=900)


register(
    Case(
        "select-ego-exact",
        "ego-Twitter creators with >= 200 followers: greedy vs proven optimum, k = 5, 10, 20",
        [_ego_select(m, k) for k in (5, 10, 20) for m in ("greedy", "exact")],
        skip=no_ego,
        prepare=lambda: _ego_store() if EGO_TWITTER.exists() else None,
        check=_exact_check,
    )
)


# -- communities --------------------------------------------------------------------------


def _overlap_graph_setup(store_fn: Callable[[], Path], **choice: Any) -> Callable[[], Any]:
    """The creator overlap graph (jaccard weights) as arrays, shared by every contender."""

    def setup() -> Any:
        import polars as pl

        from graph_engine.overlap import compute_overlap

        graph = _graph_setup(store_fn, **choice)()
        pairs = compute_overlap(graph)
        index = pl.DataFrame({"creator_a": graph.creator_ids(), "i": range(graph.n_creators)})
        pairs = pairs.join(index, on="creator_a").join(
            index.rename({"creator_a": "creator_b", "i": "j"}), on="creator_b"
        )
        return graph.n_creators, pairs.select("i", "j").to_numpy(), pairs["jaccard"].to_numpy()

    return setup


def _engine_partition(method: str) -> Callable[[Any], Any]:
    def run(state: Any) -> dict[str, Any]:
        from graph_engine.communities import partition

        n, edges, weights = state
        labels, q = partition(n, edges, weights, method=method, seed=0)  # type: ignore[arg-type]
        return {"communities": int(labels.max()) + 1, "modularity": round(q, 4)}

    return run


def _networkx_louvain(state: Any) -> dict[str, Any]:
    import networkx as nx

    n, edges, weights = state
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(
        zip(edges[:, 0].tolist(), edges[:, 1].tolist(), weights.tolist(), strict=True)
    )
    parts = nx.community.louvain_communities(g, weight="weight", seed=0)
    return {"communities": len(parts), "modularity": round(nx.community.modularity(g, parts), 4)}


def _community_contenders(store_fn: Callable[[], Path], **choice: Any) -> list[Contender]:
    setup = _overlap_graph_setup(store_fn, **choice)
    return [
        Contender("graph-engine leiden", _engine_partition("leiden"), setup),
        Contender("graph-engine louvain", _engine_partition("louvain"), setup),
        Contender("networkx louvain", _networkx_louvain, setup, timeout=900),
    ]


register(
    Case(
        "communities-10m",
        "partition the overlap graph of the 10M graph's 2,000 creators (jaccard)",
        _community_contenders(gen_store),
        prepare=gen_store,
    )
)
register(
    Case(
        "communities-ego",
        "partition the overlap graph of ego-Twitter creators with >= 100 followers",
        _community_contenders(_ego_store, min_followers=100),
        skip=no_ego,
        prepare=lambda: _ego_store() if EGO_TWITTER.exists() else None,
    )
)

MIXINGS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9)


def _nmi_sweep(_: Any) -> dict[str, Any]:
    from graph_engine import AudienceGraph, generate_graph, ingest
    from graph_engine.communities import detect_communities, normalized_mutual_information

    out: dict[str, Any] = {}
    for mixing in MIXINGS:
        gen = generate_graph(
            DATA / f"nmi-{mixing}",
            n_creators=1_000,
            n_followers=200_000,
            n_edges=1_000_000,
            n_niches=10,
            mixing=mixing,
            seed=5,
        )
        graph = AudienceGraph.from_tables(ingest([gen.edges_path], creators=gen.creators_path))
        planted = graph.creators["niche"].to_list()
        for method in ("leiden", "louvain"):
            for weight in ("jaccard", "shared"):
                found = detect_communities(graph, method=method, weight=weight, seed=0)  # type: ignore[arg-type]
                nmi = normalized_mutual_information(
                    found.membership["community"].to_list(), planted
                )
                out[f"{method}/{weight} mixing={mixing}"] = round(nmi, 3)
    return out


def _nmi_check(results: dict[str, Any]) -> list[str]:
    res = results["graph-engine"]["result"] or {}
    print("  NMI (found vs planted niches), 1,000 creators x 200K followers x 1M edges, 10 niches:")
    print("    " + " " * 16 + "  ".join(f"{m:>5}" for m in MIXINGS))
    for method in ("leiden", "louvain"):
        for weight in ("jaccard", "shared"):
            row = "  ".join(
                f"{res.get(f'{method}/{weight} mixing={m}', float('nan')):5.2f}" for m in MIXINGS
            )
            print(f"    {method + '/' + weight:16s}{row}")
    bad = [k for k, v in res.items() if "jaccard" in k and k.endswith("mixing=0.1") and v < 0.9]
    return [f"NMI below 0.9 at 10% mixing: {bad}"] if bad else []


register(
    Case(
        "communities-nmi",
        "NMI of Leiden and Louvain vs planted niches, mixing 0.05 .. 0.9",
        [Contender("graph-engine", _nmi_sweep, timeout=1800)],
        check=_nmi_check,
    )
)


# -- scale (slow: run with --all or by name) ----------------------------------------------

GEN_100M = {
    "n_creators": 20_000,
    "n_followers": 20_000_000,
    "n_edges": 100_000_000,
    "n_niches": 100,
    "mixing": 0.1,
    "seed": 3,
}


def edges_100m() -> Path:
    return generated("gen-100m", "parquet", **GEN_100M)


def _generate_100m(_: Any) -> dict[str, Any]:
    from graph_engine import generate_graph

    out = DATA / "gen-100m-timing"
    g = generate_graph(out, format="parquet", **GEN_100M)  # type: ignore[arg-type]
    return {"edges": g.n_edges}


def _ingest_100m(_: Any) -> dict[str, Any]:
    from graph_engine import ingest_into_store
    from graph_engine.store import read_manifest

    store = DATA / "gen-100m.store"
    ingest_into_store(
        [edges_100m()],
        store,
        mode="replace" if (store / "CURRENT").exists() else "create",
        keep=1,
        creators=edges_100m().parent / "creators.csv",
    )
    return {"edges": read_manifest(store)["counts"]["edges"]}


def _overlap_top50(graph: Any) -> dict[str, Any]:
    from graph_engine.outputs import write_frames
    from graph_engine.overlap import empty_pairs, overlap_blocks

    n = write_frames(
        overlap_blocks(graph, top_k=50), DATA / "gen-100m-top50.parquet", empty=empty_pairs(graph)
    )
    return {"pairs": n}


def _select_k100(graph: Any) -> dict[str, Any]:
    from graph_engine.selection import select_creators

    sel = select_creators(graph, count=100)
    return {"reach": sel.reach, "gap": round(sel.gap, 5), "method": sel.method}


def _store_100m() -> Any:
    from graph_engine import read_store

    return read_store(DATA / "gen-100m.store")


register(
    Case(
        "scale-100m",
        "20,000 creators x 20M followers x 100M edges: generate, ingest, overlap top 50, "
        "select k = 100",
        [
            Contender("generate 100M", _generate_100m, timeout=3600),
            Contender("ingest 100M", _ingest_100m, timeout=3600),
            Contender("overlap top-50", _overlap_top50, _store_100m, timeout=5400),
            Contender("select k=100 (auto)", _select_k100, _store_100m, timeout=3600),
        ],
        prepare=edges_100m,
        slow=True,
    )
)
