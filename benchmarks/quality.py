"""Selection quality: budgeted and target-reach selections against the best known answer.

Instances are SNAP ego-Twitter creators with at least N followers, priced as real
creators are, roughly in proportion to their audience: cost = 0.5 x followers x a
log-normal factor (sigma 0.3, seed 7) + 20. Contenders:

- graph-engine `auto` with `--time-limit 20` (greedy, local search, Lagrangian bound,
  HiGHS warm-started), the baseline;
- graph-engine `greedy` (cost-effective greedy and the best single creator): what a
  plain submodular tool returns;
- apricot's budgeted `MaxCoverageSelection` (`sample_cost`), a published greedy;
- HiGHS on the same integer program for `GRAPH_ENGINE_QUALITY_LIMIT` seconds (600 by
  default): the optimum when it proves one, else the best it found and its bound.

The check prints each contender's reach as a share of the best reach any contender found
(of the proven optimum when HiGHS proved one) and the engine's certified gap.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from benchmarks.cases import _ego_store, no_ego, register
from benchmarks.framework import EGO_TWITTER, Case, Contender

LONG_LIMIT = float(os.environ.get("GRAPH_ENGINE_QUALITY_LIMIT", "600"))
INSTANCES = [  # (min followers, budget)
    (300, 2_000.0),
    (100, 5_000.0),
    (100, 20_000.0),
]


def _priced(min_followers: int) -> Any:
    import numpy as np
    import polars as pl

    from graph_engine import read_store

    graph = read_store(_ego_store(), min_followers=min_followers)
    factor = np.random.default_rng(7).lognormal(0.0, 0.3, graph.n_creators)
    cost = np.round(graph.degrees * 0.5 * factor + 20, 2)
    return replace(graph, creators=graph.creators.with_columns(cost=pl.Series(cost)))


ENGINE = "graph-engine auto (20 s)"
LONG = f"HiGHS warm-started ({LONG_LIMIT:.0f} s)"


def _engine(method: str, limit: float, request: dict[str, Any]) -> Any:
    def run(graph: Any) -> dict[str, Any]:
        from graph_engine.selection import select_creators

        sel = select_creators(graph, method=method, time_limit=limit, **request)  # type: ignore[arg-type]
        return {
            "reach": sel.reach,
            "reach_share": round(sel.reach_share, 5),
            "upper_bound": sel.upper_bound,
            "gap": round(sel.gap, 5),
            "cost": round(sel.total_cost, 2),
            "cost_lower_bound": round(sel.cost_lower_bound or 0.0, 2),
            "optimal": sel.optimal,
            "picks": sel.picks.height,
            "method": sel.method,
        }

    return run


def _apricot(budget: float) -> Any:
    def run(graph: Any) -> dict[str, Any]:
        import numpy as np
        import scipy.sparse as sp
        from apricot import MaxCoverageSelection

        from graph_engine.audience import audience_report

        cost = graph.creators["cost"].to_numpy()
        # apricot refuses a budget above the number of rows: scale budget and costs alike
        scale = (graph.n_creators - 1) / budget
        x = sp.csr_matrix(graph.matrix, dtype=np.float64)
        x.indices, x.indptr = x.indices.astype(np.int32), x.indptr.astype(np.int32)  # its kernels
        chosen = (
            MaxCoverageSelection(budget * scale, optimizer="lazy", verbose=False)
            .fit(x, sample_cost=cost * scale)
            .ranking
        )
        ids = graph.creator_ids(np.asarray(chosen)).to_list()
        return {
            "reach": float(audience_report(graph, ids).summary["reach"]),
            "cost": round(float(cost[chosen].sum()), 2),
            "picks": len(ids),
        }

    return run


def _check(results: dict[str, Any], budget: float) -> list[str]:
    found = {name: r["result"] for name, r in results.items() if r.get("result")}
    engine = found.get(ENGINE)
    if not engine:
        return ["graph-engine failed"]
    best = max(r["reach"] for r in found.values())
    exact = found.get(LONG)
    proven = bool(exact and exact["optimal"])
    problems = []
    for name, r in found.items():
        print(f"  {name}: reach {r['reach']:,.0f} = {100 * r['reach'] / best:.2f}% of best")
    print(
        f"  best {'proven optimal' if proven else 'known'}: {best:,.0f}; engine certified gap "
        f"{100 * engine['gap']:.2f}% (bound {engine['upper_bound']:,.0f})"
    )
    if engine["upper_bound"] < best - 1e-6:
        problems.append("the engine's bound is below a reach someone found")
    over = [name for name, r in found.items() if r["cost"] > budget + 1e-6]
    if over:
        problems.append(f"over budget: {over}")
    return problems


def _case(
    name: str,
    what: str,
    min_followers: int,
    request: dict[str, Any],
    check: Callable[[dict[str, Any]], list[str]],
    peers: list[Contender],
) -> Case:
    def setup() -> Any:
        return _priced(min_followers)

    return Case(
        f"select-quality-ego{min_followers}-{name}",
        f"{what}, ego-Twitter creators with >= {min_followers} followers, costs ~ audience: "
        "engine vs greedy, peers and a long HiGHS run",
        [
            Contender(ENGINE, _engine("auto", 20.0, request), setup),
            Contender("cost-effective greedy", _engine("greedy", 20.0, request), setup),
            *[replace(peer, setup=setup) for peer in peers],
            Contender(LONG, _engine("exact", LONG_LIMIT, request), setup, LONG_LIMIT + 300),
        ],
        prepare=lambda: _ego_store() if EGO_TWITTER.exists() else None,
        skip=no_ego,
        check=check,
    )


for _min, _budget in INSTANCES:
    register(
        _case(
            f"b{_budget:.0f}",
            f"budget {_budget:,.0f}",
            _min,
            {"budget": _budget},
            lambda results, budget=_budget: _check(results, budget),
            [Contender("apricot MaxCoverage", _apricot(_budget))],
        )
    )


# -- the cheapest plan for a target reach -------------------------------------------------

COVERS = [(300, 0.5), (100, 0.5)]  # (min followers, target share of the eligible audience)


def _cover_check(results: dict[str, Any], share: float) -> list[str]:
    found = {name: r["result"] for name, r in results.items() if r.get("result")}
    engine = found.get(ENGINE)
    if not engine:
        return ["graph-engine failed"]
    cheapest = min(r["cost"] for r in found.values())
    bound = max(r["cost_lower_bound"] for r in found.values())
    for name, r in found.items():
        print(f"  {name}: cost {r['cost']:,.2f} = {100 * r['cost'] / cheapest:.2f}% of cheapest")
    print(
        f"  engine lower bound {engine['cost_lower_bound']:,.2f} = "
        f"{100 * engine['cost_lower_bound'] / engine['cost']:.1f}% of its plan's cost; best "
        f"bound of any contender {bound:,.2f}"
    )
    problems = [f"{n} misses the target" for n, r in found.items() if r["reach_share"] < share]
    if bound > cheapest + 1e-6:
        problems.append("a lower bound above a plan someone found")
    return problems


for _min, _share in COVERS:
    register(
        _case(
            f"t{round(100 * _share)}",
            f"cheapest plan reaching {100 * _share:.0f}%",
            _min,
            {"target_reach": _share},
            lambda results, share=_share: _cover_check(results, share),
            [],
        )
    )
