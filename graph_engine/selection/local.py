"""Local search: drop one pick, let greedy spend what it freed, keep what is better.

Greedy under a budget stops where the next cost-effective creator no longer fits, and the
money left over, or one early pick that later picks made redundant, can cost a few
percent of reach; a greedy cover overshoots its target with its last picks. Dropping
each pick in turn (weakest first: the least reach it alone covers, per cost) and
completing the rest by greedy, with the dropped creator barred, finds those
improvements; the first that helps is kept and the search starts again from it. Under a
budget the search also starts from greedy runs that lean towards larger creators
(`COST_POWERS`). Work is bounded by a number of completions (the same request gives the
same picks) and by the deadline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import numpy as np

from graph_engine.selection.bounds import slack
from graph_engine.selection.clock import Deadline
from graph_engine.selection.constraints import TARGET_ATOL, Constraints
from graph_engine.selection.greedy import complete, greedy
from graph_engine.selection.problem import Problem

__all__ = ["COST_POWERS", "SWAP_WORK", "local_search", "swap_search"]

# entries the search may visit from one start: completions x entries of the problem
# (~300 completions of SNAP ego-Twitter's 611,035 entries, ~1 s; a deadline stops it
# earlier)
SWAP_WORK = 200_000_000
# when cost drives the choice, swap search also starts from greedy with priority
# gain / cost ** power: cost-effective greedy (power 1) fills a budget with many small
# creators, the optimum often holds fewer large ones (measured on SNAP ego-Twitter with
# costs proportional to audience: power 0.8 + swaps beat a 900 s HiGHS run)
COST_POWERS = (0.9, 0.8, 0.7, 0.6, 0.5)


def local_search(
    p: Problem,
    limits: Constraints,
    picks: Sequence[int],
    deadline: Deadline,
    *,
    greedy_seconds: float = 0.0,
) -> tuple[list[int], int]:
    """Swap search from `picks` and, when cost drives the choice, from other greedy starts.

    Parameters
    ----------
    p
        The problem.
    limits
        The constraints.
    picks
        A feasible selection (the greedy picks).
    deadline
        When to stop at the latest.
    greedy_seconds
        What one greedy run took: another start begins only if its greedy run and
        swaps (as long as the longest start so far) fit before the deadline.

    Returns
    -------
    tuple of (list of int, int)
        The best selection found (at least as good as `picks`; the first start wins
        ties) and the swaps that improved the start it came from (0 when it is `picks`
        unchanged).
    """
    began = time.perf_counter()
    best, swaps = swap_search(p, limits, picks, deadline, estimate=greedy_seconds)
    score = _score(p, limits, best)
    if not limits.by_cost:
        return best, swaps
    longest = greedy_seconds + time.perf_counter() - began  # a start: greedy and its swaps
    for power in COST_POWERS:
        if deadline.left() <= longest:
            break
        began = time.perf_counter()
        start = greedy(p, limits, cost_power=power).picks
        found, n = swap_search(p, limits, start, deadline, estimate=greedy_seconds)
        longest = max(longest, time.perf_counter() - began)
        value = _score(p, limits, found)
        if value > score + slack(score):
            best, score, swaps = found, value, max(n, 1)
    return best, swaps


def swap_search(
    p: Problem,
    limits: Constraints,
    picks: Sequence[int],
    deadline: Deadline,
    *,
    estimate: float = 0.0,
) -> tuple[list[int], int]:
    """Improve a selection by one-out, greedy-refill swaps until none helps.

    For a reach maximum a swap must raise the reach; for a cover (a target reach) it must
    still reach the target and spend less, where the refill is the cheaper of greedy and
    the cheapest single creator that closes the gap.

    Parameters
    ----------
    p
        The problem.
    limits
        The constraints: a count and/or budget, or a target; the community cap.
    picks
        A feasible selection (local ids), must-includes among them.
    deadline
        When to stop at the latest: no completion starts that would overrun it, judged
        by the longest so far.
    estimate
        Seconds a completion is expected to take before one has been timed (a greedy
        run's time bounds it).

    Returns
    -------
    tuple of (list of int, int)
        The best selection found (at least as good as `picks`) and how many swaps
        improved it.
    """
    best = [int(j) for j in picks]
    score = _score(p, limits, best)
    budget = max(1, SWAP_WORK // max(p.entries, 1))
    must = set(p.must.tolist())
    swaps = completions = 0
    slowest = estimate  # the longest completion so far: none starts that would overrun
    while completions < budget and deadline.left() > slowest:
        for r in _weakest_first(p, best, by_cost=limits.by_cost):
            if r in must:
                continue
            if completions >= budget or deadline.left() <= slowest:
                return best, swaps
            completions += 1
            started = time.perf_counter()
            candidate = _refill(p, limits, [j for j in best if j != r], r)
            slowest = max(slowest, time.perf_counter() - started)
            value = _score(p, limits, candidate)
            if value > score + slack(score):
                best, score, swaps = candidate, value, swaps + 1
                break
        else:
            return best, swaps  # a full round without an improvement: a local optimum
    return best, swaps


def _score(p: Problem, limits: Constraints, chosen: list[int]) -> float:
    """Return what a swap must raise: the reach, or for a cover minus its spend."""
    if not limits.is_cover:
        return p.value(chosen)
    if not limits.meets_target(p.value(chosen)):
        return -math.inf
    return -p.spend(chosen, by_cost=limits.by_cost)


def _refill(p: Problem, limits: Constraints, kept: list[int], banned: int) -> list[int]:
    """Complete `kept` by greedy; for a cover also try the cheapest single finisher."""
    filled, _ = complete(p, limits, kept, banned=banned)
    if not limits.is_cover or limits.target is None:
        return filled
    need = limits.target - p.value(kept)
    gains = p.gains(p.unreached(kept))
    closes = gains >= need - TARGET_ATOL
    closes[[*kept, banned]] = False
    closes &= ~p.at_cap(kept, limits.cap)
    if limits.count is not None and len(kept) >= limits.count:
        closes[:] = False
    if not closes.any():
        return filled
    spend = p.unit_spend(by_cost=limits.by_cost)
    finisher = int(np.flatnonzero(closes)[np.argmin(spend[closes])])
    single = [*kept, finisher]
    return min(filled, single, key=lambda s: -_score(p, limits, s))


def _weakest_first(p: Problem, chosen: list[int], *, by_cost: bool) -> list[int]:
    """Order picks by the reach only they cover, per cost (cheapest to lose first)."""
    lists = [p.covers(j) for j in chosen]
    times = np.bincount(np.concatenate(lists), minlength=p.m) if lists else np.zeros(p.m)
    alone = np.array([float(p.weight[e][times[e] == 1].sum()) for e in lists])
    if p.rate is not None:  # under exposure a pick wins only its rate of those alone
        alone = alone * p.rate[chosen]
    worth = alone / np.maximum(p.cost[chosen].astype(float), 1e-12) if by_cost else alone
    return [chosen[i] for i in np.argsort(worth, kind="stable").tolist()]
