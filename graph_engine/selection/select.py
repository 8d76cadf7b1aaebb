"""`select_creators`: the fewest, cheapest creators for the most unique reach, with a bound.

Steps: eligible creators and their costs; lazy greedy on the creators x followers
incidence, with a data bound at every step; under a budget, the best single creator;
for ``method="auto"``, a Lagrangian bound; then, when asked (or when ``auto`` finds the
problem small enough and greedy not proven optimal), the integer program on audience
signatures, warm-started from greedy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import polars as pl

from graph_engine.errors import ParameterError
from graph_engine.exposure import Exposure
from graph_engine.graph import AudienceGraph, CreatorId
from graph_engine.selection.audiences import Audiences, GraphAudiences
from graph_engine.selection.bounds import (
    LAGRANGIAN_ITERATIONS,
    cover_lagrangian,
    lagrangian,
    proven,
    proven_cheapest,
    slack,
    tighten,
)
from graph_engine.selection.clock import Deadline
from graph_engine.selection.concave import exposure_bound
from graph_engine.selection.constraints import (
    BUDGET_RTOL,
    Constraints,
    Minimize,
    check_cap,
    check_limits,
)
from graph_engine.selection.eligibility import community_codes, creator_costs, eligible_creators
from graph_engine.selection.exact import solve_exact
from graph_engine.selection.greedy import GreedyRun, best_single, greedy, in_gain_order
from graph_engine.selection.local import local_search
from graph_engine.selection.problem import Problem
from graph_engine.selection.result import Selection, SolveMethod, picks_frame
from graph_engine.vocab import Method

__all__ = [
    "AUTO_EXACT_CREATORS",
    "AUTO_EXACT_ELEMENTS",
    "LAGRANGIAN_MIN_ITERATIONS",
    "LAGRANGIAN_WORK",
    "LOCAL_SEARCH_SHARE",
    "UNSPENT_SHARE",
    "Method",
    "binding_notes",
    "select_creators",
]


# `method="auto"` solves exactly when the compressed problem is at most this big
AUTO_EXACT_ELEMENTS = 200_000
AUTO_EXACT_CREATORS = 5_000
# Lagrangian bound effort in entry-operations (~3 s on 10M edges); a fixed amount of work,
# not of time, so that the same job gives the same bound
LAGRANGIAN_WORK = 100_000_000
# however big the problem, at least this many Lagrangian steps
LAGRANGIAN_MIN_ITERATIONS = 5
# local search gets at most this share of the time left after greedy
LOCAL_SEARCH_SHARE = 0.5
# a budget with more than this share left over is reported as unspent
UNSPENT_SHARE = 0.005


def select_creators(
    graph: AudienceGraph | Audiences,
    *,
    count: int | None = None,
    budget: float | None = None,
    target_reach: float | None = None,
    minimize: Minimize = "cost",
    must_include: Sequence[CreatorId] = (),
    must_exclude: Sequence[CreatorId] = (),
    min_engagement: float | None = None,
    communities: str | pl.DataFrame | Mapping[Any, Any] | None = None,
    max_per_community: int | None = None,
    price_by_tier: Mapping[str, float] | None = None,
    posts: int = 1,
    reach_rate: float | str | None = None,
    overhead: float = 0.0,
    weight: str | None = None,
    max_following: int | None = None,
    method: Method = "auto",
    time_limit: float = 10.0,
    currency: str = "$",
) -> Selection:
    """Choose creators that maximise unique reach under constraints, with a bound.

    Parameters
    ----------
    graph
        The graph; its creators are the eligible ones (narrow it with
        `AudienceGraph.subgraph` for tiers, follower counts or an id list). Or the
        followers as groups counted elsewhere (`audiences.SignatureAudiences`, what
        `spark.spark_select` passes): the same answer for plain reach under a count or a
        budget, without the edges in memory.
    count, budget
        At most `count` creators and/or a total cost of at most `budget`.
    target_reach, minimize
        Instead: the cheapest (``minimize="cost"``) or smallest (``"count"``) selection
        reaching this share (0-1] of the eligible audience (greedy cover).
    must_include, must_exclude
        Creator ids forced in or out.
    min_engagement
        Only creators whose `engagement_rate` is at least this.
    communities, max_per_community
        At most `max_per_community` creators per community; `communities` is a creators
        column name (e.g. ``"niche"``), a frame with `creator_id` and `community`, or a
        mapping creator id -> community.
    price_by_tier, posts, overhead
        cost = price per post x posts + overhead; the price per post is the `cost` column
        of the creators metadata, else the price of the creator's tier (DESIGN.md defaults,
        overridable with `price_by_tier`).
    reach_rate
        Exposure: the share of a creator's followers one post reaches (a number in
        (0, 1], or a creators column such as ``"reach_rate"``). With `posts` posts a
        follower of creators C is reached with probability ``1 - prod(1 - q_c)``,
        ``q_c = 1 - (1 - rate_c) ** posts`` (`exposure.Exposure`); the selection then
        maximises the expected reach, and `upper_bound` bounds it. Greedy's guarantee
        and the data bound hold (the expected reach is monotone submodular); the
        Lagrangian bound and the integer program are for plain reach, so
        ``method="exact"`` is refused and ``"auto"`` is greedy, swaps, the data bound and
        the concave-extension bound (`concave.exposure_bound`). A rate of 1 for every
        creator is plain reach, solved and bounded as such.
    weight, max_following
        Weighted reach: a numeric followers column to weigh followers by, and/or a weight
        of 0 for followers following more than `max_following` creators of the store
        (likely mass-followers).
    method, time_limit
        ``"greedy"`` (lazy greedy; budgets: the better of cost-effective greedy and the
        best single creator), ``"exact"`` (HiGHS integer program warm-started from greedy),
        ``"auto"`` (exact when the compressed problem has at most 200,000 elements and
        5,000 creators and the greedy picks are not already proven optimal by a
        Lagrangian-relaxation bound, computed first with a fixed work budget: about 3 s on
        10M edges), ``"plain-greedy"`` (the non-lazy reference, slow). `time_limit` is
        wall-clock seconds for the whole selection from this call (less the time
        `SignatureAudiences` spend gathering the groups, on Spark): every phase after
        greedy gets what is left, the solver is interrupted when it runs out, and the
        best answer and bound found by then are returned.
    currency
        The currency of the costs, as reports show it: a symbol (``$``, ``€``) before
        the amount, a code (``EUR``) after it.

    Returns
    -------
    Selection
        The picks in order, their reach and cost, and the bounds.

    Raises
    ------
    ParameterError
        For contradictory or out-of-range constraints.
    SchemaError
        For a missing or invalid column (engagement, communities, weights).

    Notes
    -----
    Greedy reaches at least 1 - 1/e (63%) of the optimum under a count and, as the better
    of cost-effective greedy and the best single creator, at least 0.405 of it under a
    budget (Tang et al. 2021). The reported `upper_bound` is computed from the data and is
    usually far tighter than those guarantees; when every follower weight is an integer
    it is rounded down to one (see `graph_engine.selection.bounds.proven`).

    Examples
    --------
    >>> import polars as pl
    >>> from graph_engine.tables import build_tables
    >>> edges = pl.DataFrame({"creator_id": ["a", "a", "a", "b", "b", "c"],
    ...                       "follower_id": [1, 2, 3, 3, 4, 5]})
    >>> g = AudienceGraph.from_tables(build_tables([edges]))
    >>> sel = select_creators(g, count=2)
    >>> sel.picks["creator_id"].to_list(), sel.reach, sel.optimal
    (['a', 'b'], 4.0, True)
    """
    started = time.perf_counter()
    _check_arguments(
        count=count,
        budget=budget,
        target_reach=target_reach,
        max_per_community=max_per_community,
        posts=posts,
        overhead=overhead,
        min_engagement=min_engagement,
        max_following=max_following,
        time_limit=time_limit,
    )
    exposure = None if reach_rate is None else Exposure(reach_rate, posts)
    audiences = GraphAudiences(graph) if isinstance(graph, AudienceGraph) else graph
    roster = audiences.roster
    rows, must, notes = eligible_creators(roster, must_include, must_exclude, min_engagement)
    cost = creator_costs(roster, rows, price_by_tier, posts, overhead)
    community, labels = community_codes(roster, rows, communities, max_per_community)
    # Greedy runs on the raw creators x followers incidence (free: the rows of the CSR);
    # the integer program on audience signatures. Both give the same values: the
    # compression is exact, and compressing for greedy would cost more than it saves.
    inc = audiences.incidence(rows, weight=weight, max_following=max_following)
    # the clock runs from this call, less the time spent gathering followers elsewhere
    deadline = Deadline.after(time_limit - (time.perf_counter() - started - inc.gathering))
    rate = None if exposure is None else exposure.rates(roster.creators, rows)
    if rate is not None and bool(np.all(rate == 1.0)):
        rate = None  # every follower of a pick is reached: plain reach, with every bound
    if rate is not None and method == "exact":
        raise ParameterError(
            "the integer program maximises plain reach; expected reach under a reach rate is "
            "not linear; hint: use --method auto (greedy, swaps and a bound) or greedy"
        )
    if inc.multiplicity is not None and (rate is not None or target_reach is not None):
        raise ParameterError(
            "followers counted in groups give plain reach under a count or a budget; "
            "hint: use the embedded engine for --reach-rate and --target-reach"
        )
    p = Problem(
        rows, cost, inc.ptr, inc.elements, inc.weight, community, must, rate, inc.multiplicity
    )
    total = p.value(np.arange(p.n))  # the expected reach of all of them, under exposure
    _check_must(p, count, budget)
    limits = Constraints.of(
        count=count,
        budget=budget,
        target=None if target_reach is None else target_reach * total,
        minimize=minimize,
        cap=max_per_community,
    )
    run, sol = _solve(audiences, p, limits, method, deadline, notes)
    notes.extend(binding_notes(sol.p, limits, sol.picks))
    constraints = {
        "count": count,
        "budget": budget,
        "target_reach": target_reach,
        "minimize": minimize if target_reach is not None else None,
        "must_include": [str(x) for x in must_include],
        "must_exclude": [str(x) for x in must_exclude],
        "min_engagement": min_engagement,
        "max_per_community": max_per_community,
        "communities": communities
        if isinstance(communities, str)
        else (None if communities is None else "given"),
        "posts": posts,
        "reach_rate": reach_rate,
        "exposure": None if exposure is None else exposure.describe(),
        "overhead": overhead,
        "weight": weight,
        "max_following": max_following,
        "eligible_creators": sol.p.n,
        "audience_filter": "; ".join(roster.filters) or None,
        "currency": _currency(currency),
    }
    ordered = (
        list(zip(run.picks, run.gains, strict=True))
        if sol.picks == run.picks
        else in_gain_order(sol.p, sol.picks)
    )
    plain = replace(sol.p, rate=None)  # who the picks can reach at all
    return Selection(
        frequency=audiences.frequency(p, sol.picks, exposure),
        picks=picks_frame(roster, sol.p, ordered, labels, exposed=exposure is not None),
        reach=sol.reach if exposure is None else plain.value(sol.picks),
        expected_reach=None if exposure is None else sol.reach,
        eligible_expected_reach=None if exposure is None else total,
        eligible_reach=total if exposure is None else plain.value(np.arange(plain.n)),
        total_cost=float(sol.p.cost[sol.picks].sum()),
        upper_bound=max(tighten(sol.bound, integral=sol.integral), sol.reach),
        solve=replace(sol.solve, proven=bool(sol.optimal)),
        constraints=constraints,
        evaluations=run.evaluations,
        n_elements=sol.p.m,
        n_eligible=sol.p.n,
        cost_lower_bound=sol.cost_lb,
        seconds=time.perf_counter() - started,
        notes=[*roster.filters, *notes],
    )


def binding_notes(p: Problem, limits: Constraints, picks: list[int]) -> list[str]:
    """Say which limit stopped a reach maximum short: the cap, the budget, or nothing left.

    Parameters
    ----------
    p
        The problem the picks refer to.
    limits
        The constraints.
    picks
        Local ids of the chosen creators.

    Returns
    -------
    list of str
        Notes for the user (none when no limit left reach or money on the table).
    """
    spent = float(p.cost[picks].sum())
    left = math.inf if limits.budget is None else limits.budget - spent
    short = limits.count is not None and len(picks) < limits.count
    unspent = limits.budget is not None and left > UNSPENT_SHARE * limits.budget
    if limits.is_cover or not (short or unspent):
        return []  # nothing to explain (and no pass over the edges)
    gains = p.gains(p.unreached(picks))
    useful = gains > 0
    useful[picks] = False
    capped = p.at_cap(picks, limits.cap)
    dear = p.cost > left * (1 + BUDGET_RTOL)
    notes = []
    if short and not useful.any():
        notes.append(
            f"only {len(picks)} of the {limits.count} creators asked for add reach: the "
            "other eligible creators' followers are all reached already"
        )
    elif short and not (useful & ~capped).any():
        notes.append(
            f"the cap of {limits.cap} per community limits the selection to {len(picks)} "
            f"of the {limits.count} creators asked for"
        )
    elif short and not (useful & ~capped & ~dear).any():
        notes.append(f"the budget limits the selection to {len(picks)} creators")
    if unspent:
        fitting = useful & ~capped
        cheapest = float(p.cost[fitting].min()) if fitting.any() else None
        notes.append(
            f"{left:,.2f} of the budget is left unspent: "
            + (
                f"the cheapest other creator that adds reach costs {cheapest:,.2f}"
                if cheapest is not None
                else "no other creator adds reach"
            )
        )
    return notes


def _check_arguments(
    *,
    count: int | None,
    budget: float | None,
    target_reach: float | None,
    max_per_community: int | None,
    posts: int,
    overhead: float,
    min_engagement: float | None,
    max_following: int | None,
    time_limit: float,
) -> None:
    """Reject contradictory or out-of-range arguments, before reading any data."""
    check_limits(count=count, budget=budget, has_target=target_reach is not None)
    if target_reach is not None and not 0 < target_reach <= 1:
        raise ParameterError(f"`target_reach` is a share in (0, 1], got {target_reach}")
    check_cap(max_per_community)
    if posts < 1 or not (overhead >= 0 and math.isfinite(overhead)):
        raise ParameterError(
            f"`posts` must be at least 1 and `overhead` a finite number >= 0, got {posts} "
            f"and {overhead}"
        )
    if min_engagement is not None and not (min_engagement >= 0 and math.isfinite(min_engagement)):
        raise ParameterError(
            f"`min_engagement` must be a finite number >= 0, got {min_engagement}; hint: "
            "--min-engagement 0.02 for 2%"
        )
    if max_following is not None and max_following < 1:
        raise ParameterError(
            f"`max_following` must be at least 1 (followers following more creators count "
            f"0), got {max_following}"
        )
    if not (time_limit > 0 and math.isfinite(time_limit)):
        raise ParameterError(f"`time_limit` must be a positive number of seconds, got {time_limit}")


def _check_must(p: Problem, count: int | None, budget: float | None) -> None:
    """Reject must-include lists that break the count or the budget on their own."""
    if count is not None and count < p.must.size:
        raise ParameterError(
            f"`count` ({count}) is smaller than the must-include list ({p.must.size})"
        )
    if budget is not None and float(p.cost[p.must].sum()) > budget:
        raise ParameterError(
            f"the must-include creators cost {p.cost[p.must].sum():,.2f}, over the budget "
            f"{budget:,.2f}"
        )


@dataclass
class _Solution:
    """The answer so far, as the stages refine it."""

    p: Problem  # the problem the picks refer to (compressed after the integer program)
    picks: list[int]
    reach: float
    bound: float  # upper bound on the best reach (not floored)
    cost_lb: float | None  # for a cover
    optimal: bool
    solve: SolveMethod
    integral: bool  # every element weight an integer


def _solve(
    audiences: Audiences,
    p: Problem,
    limits: Constraints,
    method: Method,
    deadline: Deadline,
    notes: list[str],
) -> tuple[GreedyRun, _Solution]:
    """Greedy, then the Lagrangian bound and the integer program when they are due.

    Every phase after greedy gets only the time left before `deadline`.
    """
    began = time.perf_counter()
    run, sol = _greedy_stage(p, limits, method, notes)
    if method in ("auto", "exact") and not sol.optimal:
        _swap_stage(sol, limits, deadline, time.perf_counter() - began)
    relaxable = p.rate is None  # the relaxations and the program are for plain reach
    if method == "auto" and relaxable and not sol.optimal and not limits.is_cover:
        _lagrangian_stage(sol, limits, deadline)
    if method == "auto" and not relaxable and not sol.optimal and not limits.is_cover:
        _exposure_bound_stage(sol, limits, deadline)
    if method == "auto" and relaxable and limits.is_cover and limits.meets_target(sol.reach):
        _cover_bound_stage(sol, limits, deadline)
    signatures = None
    small = relaxable and p.n <= AUTO_EXACT_CREATORS
    if method == "exact" or (method == "auto" and not sol.optimal and small):
        signatures = audiences.signatures(p)
        if method == "auto" and signatures[2].size > AUTO_EXACT_ELEMENTS:
            signatures = None
    if signatures is not None and deadline.passed:
        notes.append("the time limit was reached before the integer program could run")
    elif signatures is not None:
        compressed = Problem(p.index, p.cost, *signatures, p.community, p.must)
        _exact_stage(sol, compressed, limits, deadline)
    elif limits.is_cover:
        spent = p.spend(sol.picks, by_cost=limits.by_cost)
        sol.optimal = proven_cheapest(spent, sol.cost_lb or 0.0)
    if limits.is_cover and not limits.meets_target(sol.reach):
        sol.optimal = False  # a cover that misses its target is no answer, however cheap
        notes.append("the target reach cannot be met under these constraints")
    return run, sol


def _greedy_stage(
    p: Problem, limits: Constraints, method: Method, notes: list[str]
) -> tuple[GreedyRun, _Solution]:
    """Greedy, and under a budget the best single creator if it does better."""
    lazy = method != "plain-greedy"
    run = greedy(p, limits, lazy=lazy)
    picks, single_won = run.picks, False
    if limits.budget is not None and not limits.is_cover:
        single = best_single(p, limits)
        if single is not None and p.value([*p.must.tolist(), single]) > p.value(picks):
            picks, single_won = [*p.must.tolist(), single], True
            notes.append("the best single affordable creator beat cost-effective greedy")
    reach = p.value(picks)
    integral = p.integral
    return run, _Solution(
        p=p,
        picks=picks,
        reach=reach,
        bound=run.bound,
        cost_lb=run.cost_lower_bound if limits.is_cover else None,
        optimal=proven(reach, run.bound, integral=integral),
        solve=SolveMethod("greedy" if lazy else "plain-greedy", best_single=single_won),
        integral=integral,
    )


def _swap_stage(
    sol: _Solution, limits: Constraints, deadline: Deadline, greedy_seconds: float
) -> None:
    """Improve the greedy picks by local search (the bound is unchanged)."""
    # at most half the time left: the bound and the solver need the rest
    share = Deadline.after(deadline.left() * LOCAL_SEARCH_SHARE)
    picks, swaps = local_search(sol.p, limits, sol.picks, share, greedy_seconds=greedy_seconds)
    if swaps:
        sol.picks, sol.reach = picks, sol.p.value(picks)
        sol.solve = replace(sol.solve, swaps=swaps)
        if not limits.is_cover:  # a cover's optimality is decided by its cost bound
            sol.optimal = proven(sol.reach, sol.bound, integral=sol.integral)


def _iterations(p: Problem) -> int:
    """Subgradient steps of one Lagrangian bound: a fixed work budget, clipped."""
    work = LAGRANGIAN_WORK / max(p.entries, 1)
    return int(np.clip(work, LAGRANGIAN_MIN_ITERATIONS, LAGRANGIAN_ITERATIONS))


def _lagrangian_stage(sol: _Solution, limits: Constraints, deadline: Deadline) -> None:
    """Tighten the bound by Lagrangian relaxation: often proves greedy optimal, cheaply."""
    p = sol.p
    refined = lagrangian(
        p,
        p.covered(sol.picks),
        limits,
        lower=sol.reach,
        seconds=deadline.left(),  # a safety cap; the work budget is what stops it
        max_iterations=_iterations(p),
        integral=sol.integral,
    )
    if refined < sol.bound - slack(sol.bound):  # named only for more than float noise
        sol.solve = replace(sol.solve, bound="lagrangian")
    sol.bound = min(sol.bound, refined)
    sol.optimal = proven(sol.reach, sol.bound, integral=sol.integral)


def _exposure_bound_stage(sol: _Solution, limits: Constraints, deadline: Deadline) -> None:
    """Tighten the bound on expected reach by its concave extension (Frank-Wolfe)."""
    p = sol.p
    refined = exposure_bound(
        p,
        limits,
        sol.picks,
        lower=sol.reach,
        seconds=deadline.left(),
        max_iterations=_iterations(p),
    )
    if refined < sol.bound:
        sol.bound, sol.solve = refined, replace(sol.solve, bound="concave")
    sol.optimal = proven(sol.reach, sol.bound, integral=sol.integral)


def _cover_bound_stage(sol: _Solution, limits: Constraints, deadline: Deadline) -> None:
    """Raise a cover's cost lower bound by Lagrangian relaxation."""
    p = sol.p
    spent = p.spend(sol.picks, by_cost=limits.by_cost)
    raised = cover_lagrangian(
        p, limits, upper=spent, seconds=deadline.left(), max_iterations=_iterations(p)
    )
    if not limits.by_cost:  # a count is an integer
        raised = math.ceil(raised - slack(raised))
    if raised > (sol.cost_lb or 0.0):
        sol.cost_lb, sol.solve = raised, replace(sol.solve, bound="lagrangian")
    sol.optimal = proven_cheapest(spent, sol.cost_lb or 0.0)


def _exact_stage(sol: _Solution, p: Problem, limits: Constraints, deadline: Deadline) -> None:
    """Solve the integer program on the compressed problem `p`, keeping what is better."""
    exact = solve_exact(p, limits, warm=sol.picks, deadline=deadline)
    sol.p = p
    dual = exact.dual_bound if math.isfinite(exact.dual_bound) else None
    if not limits.is_cover:
        if p.value(exact.chosen) >= sol.reach:
            sol.picks, sol.reach = exact.chosen, p.value(exact.chosen)
        sol.bound = sol.bound if dual is None else min(sol.bound, dual)
        sol.optimal = exact.optimal or proven(sol.reach, sol.bound, integral=sol.integral)
    else:
        by_cost = limits.by_cost
        if limits.meets_target(p.value(exact.chosen)) and p.spend(
            exact.chosen, by_cost=by_cost
        ) <= p.spend(sol.picks, by_cost=by_cost):
            sol.picks = exact.chosen
        sol.reach = p.value(sol.picks)
        sol.cost_lb = max(sol.cost_lb or 0.0, 0.0 if dual is None else dual)
        sol.optimal = exact.optimal
    sol.solve = replace(sol.solve, solver="highs", status=exact.status)


def _currency(currency: str) -> str:
    text = currency.strip()
    bad = any(c.isspace() or c.isdigit() or not c.isprintable() for c in text)
    if not text or len(text) > 8 or bad:
        raise ParameterError(
            f"`currency` must be a symbol or code such as $ or EUR, got {currency!r}"
        )
    return text
