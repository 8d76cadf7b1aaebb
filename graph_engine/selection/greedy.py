"""Greedy optimisers: lazy greedy (CELF), plain greedy and the best single creator.

The optimiser is separate from the objective: it asks the `Problem` for gains. Gains only
shrink as the selection grows (submodularity), so in lazy greedy a stale gain is an upper
bound and most creators are never re-evaluated. Lazy and plain greedy make the same
picks, ties going to the creator listed first. At every step a bound from the data
(`greedy_bound`) is computed; the tightest is kept.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from graph_engine.selection.bounds import cost_lower_bound, greedy_bound
from graph_engine.selection.constraints import BUDGET_RTOL, Constraints
from graph_engine.selection.problem import Problem

__all__ = ["GreedyRun", "best_single", "complete", "greedy", "in_gain_order"]


@dataclass
class GreedyRun:
    """A greedy run: picks in order, their marginal gains, evaluations, tightest bound.

    Attributes
    ----------
    picks
        Local creator ids in pick order (must-includes first).
    gains
        The marginal gain of every pick when it was taken.
    evaluations
        How many marginal gains were computed.
    bound
        Upper bound on the best reach (at the same spend, for a cover); at least the reach.
    cost_lower_bound
        For a cover: lower bound on the cheapest cover's cost (or count); else 0.
    """

    picks: list[int]
    gains: list[float]
    evaluations: int
    bound: float
    cost_lower_bound: float = 0.0


class _Greedy:
    """The state of one greedy run: what is covered, picked, spent, and the gain bounds."""

    def __init__(
        self, p: Problem, limits: Constraints, cost_power: float = 1.0, *, must_gains: bool = True
    ) -> None:
        self.p, self.limits, self.cost_power = p, limits, cost_power
        # what each element still offers (the must-includes taken at once for a completion)
        self.left = p.unreached() if must_gains else p.unreached(p.must)
        self.per_community: dict[int, int] = {}
        self.picks: list[int] = []
        self.gains: list[float] = []
        self.spent = 0.0
        if must_gains:  # each must-include's own marginal gain, in order
            for j in p.must.tolist():
                self.take(j, self.marginal(j))
            self.reach = float(sum(self.gains))
        else:  # all at once (a completion needs only their total)
            self.picks, self.gains = p.must.tolist(), [0.0] * p.must.size
            self.spent = float(p.cost[p.must].sum())
            groups, sizes = np.unique(p.community[p.must], return_counts=True)
            self.per_community = {int(g): int(n) for g, n in zip(groups, sizes, strict=True)}
            self.reach = p.value(p.must)
        self.gain_ub = p.gains(self.left)  # exact now; later entries may go stale
        self.evaluations = p.n
        self.candidate = np.ones(p.n, dtype=bool)
        self.candidate[self.picks] = False
        self.gain_ub[self.picks] = 0.0

    def marginal(self, j: int) -> float:
        """Exact marginal gain of creator `j`."""
        return self.p.marginal(self.left, j)

    def take(self, j: int, gain: float) -> None:
        """Add creator `j`, whose marginal gain is `gain` (the reach is kept by the caller)."""
        p = self.p
        p.take(self.left, j)
        self.picks.append(j)
        self.gains.append(gain)
        self.spent += float(p.cost[j])
        if p.community[j] >= 0:
            group = int(p.community[j])
            self.per_community[group] = self.per_community.get(group, 0) + 1

    def fits(self, j: int) -> bool:
        """Whether creator `j` still fits the budget and its community's cap."""
        if not self.limits.fits(self.spent + float(self.p.cost[j])):
            return False
        group, cap = int(self.p.community[j]), self.limits.cap
        return cap is None or group < 0 or self.per_community.get(group, 0) < cap

    def priority(self, j: int, gain: float) -> float:
        """Gain per cost (to `cost_power`) when cost drives the choice, else the gain."""
        if not self.limits.by_cost:
            return gain
        cost = float(self.p.cost[j])
        return gain / (cost if self.cost_power == 1.0 else cost**self.cost_power)

    def limit_bound(self) -> float:
        """Compute the data bound now: under the limits, or at the same spend for a cover."""
        limits = self.limits
        at = limits.at_spend(self.spent) if limits.is_cover else limits
        return greedy_bound(self.reach, self.gain_ub, self.p, at)

    def running(self) -> bool:
        """Whether the count and the target leave room for another pick."""
        count, target = self.limits.count, self.limits.target
        return (count is None or len(self.picks) < count) and (
            target is None or self.reach < target
        )

    def lazy_picker(self) -> Callable[[], int | None]:
        """Next pick by lazy evaluation: re-evaluate the top of a heap until it is fresh."""
        heap = [
            (-self.priority(j, self.gain_ub[j]), j) for j in np.flatnonzero(self.candidate).tolist()
        ]
        heapq.heapify(heap)
        fresh_at = np.full(self.p.n, len(self.picks), dtype=np.int64)  # picks when exact

        def pick() -> int | None:
            while heap:
                _, j = heapq.heappop(heap)
                if not self.fits(j):
                    self.candidate[j] = False
                    continue
                if fresh_at[j] != len(self.picks):
                    self.gain_ub[j] = self.marginal(j)
                    fresh_at[j] = len(self.picks)
                    self.evaluations += 1
                    heapq.heappush(heap, (-self.priority(j, self.gain_ub[j]), j))
                    continue
                return int(j)
            return None

        return pick

    def plain_picker(self) -> Callable[[], int | None]:
        """Next pick by evaluating every gain, every step (one sparse product each)."""
        p = self.p
        ones = np.ones(p.elements.size)
        incidence = sp.csr_array((ones, p.elements, p.ptr), shape=(p.n, p.m))
        rate = 1.0 if p.rate is None else p.rate

        def pick() -> int | None:
            exact = np.asarray(incidence @ self.left) * rate
            self.evaluations += int(self.candidate.sum())
            self.gain_ub = np.where(self.candidate, exact, self.gain_ub)
            for i in np.flatnonzero(self.candidate).tolist():
                if not self.fits(i):
                    self.candidate[i] = False
            if not self.candidate.any():
                return None
            options = np.flatnonzero(self.candidate)
            scores = np.array([self.priority(i, self.gain_ub[i]) for i in options.tolist()])
            return int(options[int(np.argmax(scores))])

        return pick

    def fill(self, pick: Callable[[], int | None], after: Callable[[], None] | None) -> None:
        """Take the next pick while the limits allow and it adds something."""
        while self.running():
            j = pick()
            if j is None:
                break
            gain = float(self.gain_ub[j])
            if gain <= 0:
                break
            self.take(j, gain)
            self.reach += gain
            self.candidate[j] = False
            self.gain_ub[j] = 0.0
            if after is not None:
                after()


def greedy(
    p: Problem, limits: Constraints, *, lazy: bool = True, cost_power: float = 1.0
) -> GreedyRun:
    """Run (lazy) greedy for max coverage or a cover, under the constraints.

    With cost driving the choice (`Constraints.by_cost`) the priority is gain / cost
    (cost-effective greedy), else the gain; ties go to the lower index, in both the lazy
    and the plain variant, so their picks are the same. Creators that stop fitting
    (budget, community cap) are passed over for good. The bound uses the gains of every
    creator not picked, fitting or not: the optimum may hold creators that greedy can no
    longer afford.

    Parameters
    ----------
    p
        The problem.
    limits
        The constraints; with a target, greedy stops once the target is reached.
    lazy
        Lazy greedy (CELF) if True, else plain greedy (the slow reference).
    cost_power
        With cost driving the choice, the priority is gain / cost ** `cost_power`
        (below 1 leans towards larger creators; the guarantees are for 1).

    Returns
    -------
    GreedyRun
        The picks, their gains, the evaluations and the bounds.
    """
    run = _Greedy(p, limits, cost_power)
    cover = limits.is_cover
    bound = math.inf if cover else min(run.limit_bound(), float(p.weight.sum()))
    cost_lb = cost_lower_bound(run.reach, run.gain_ub, p, limits) if cover else 0.0

    def tighten() -> None:
        nonlocal bound, cost_lb
        if cover:
            cost_lb = max(cost_lb, cost_lower_bound(run.reach, run.gain_ub, p, limits))
        else:
            bound = min(bound, run.limit_bound())

    run.fill(run.lazy_picker() if lazy else run.plain_picker(), tighten)
    if cover:  # bound on reach at the same spend, from the final gains
        bound = min(run.limit_bound(), float(p.weight.sum()))
    return GreedyRun(run.picks, run.gains, run.evaluations, max(bound, run.reach), cost_lb)


def complete(
    p: Problem, limits: Constraints, kept: Sequence[int], banned: int
) -> tuple[list[int], float]:
    """Complete the creators `kept` by lazy greedy, never taking `banned` (no bound).

    Parameters
    ----------
    p
        The problem.
    limits
        The constraints (a count, a budget, a target, a cap).
    kept
        Local creator ids to keep (they must fit the limits together).
    banned
        A local creator id greedy may not take.

    Returns
    -------
    tuple of (list of int, float)
        The completed selection (`kept` first) and its reach.
    """
    run = _Greedy(replace(p, must=np.asarray(kept, dtype=np.int64)), limits, must_gains=False)
    run.candidate[banned] = False
    if limits.budget is not None:  # what cannot fit now never will: keep it off the heap
        run.candidate &= p.cost <= limits.budget * (1 + BUDGET_RTOL) - run.spent
    run.fill(run.lazy_picker(), None)
    return run.picks, run.reach


def best_single(p: Problem, limits: Constraints) -> int | None:
    """Find the affordable creator that adds most to the must-includes.

    Parameters
    ----------
    p
        The problem.
    limits
        The budget (required) and the community cap.

    Returns
    -------
    int or None
        A local creator id; None when no creator fits.
    """
    assert limits.budget is not None
    if limits.count is not None and p.must.size >= limits.count:
        return None  # the must-includes fill the count: nobody else fits
    cap = limits.cap
    gains = p.gains(p.unreached(p.must))
    room = limits.budget - float(p.cost[p.must].sum())
    ok = p.cost <= room * (1 + BUDGET_RTOL)
    ok[p.must] = False
    ok &= ~p.at_cap(p.must, cap)
    if not ok.any():
        return None
    gains = np.where(ok, gains, -1.0)
    return int(np.argmax(gains))


def in_gain_order(p: Problem, chosen: Sequence[int]) -> list[tuple[int, float]]:
    """Order chosen creators greedily by marginal gain (must-includes first).

    Parameters
    ----------
    p
        The problem.
    chosen
        Local creator ids (duplicates are dropped).

    Returns
    -------
    list of (int, float)
        Every creator with its marginal gain when added in this order.
    """
    chosen = list(dict.fromkeys(int(j) for j in chosen))
    must = [j for j in p.must.tolist() if j in chosen]
    rest = [j for j in chosen if j not in must]
    left = p.unreached()
    out = []
    for j in must:
        out.append((j, p.marginal(left, j)))
        p.take(left, j)
    # lazy: a gain only falls as more is covered, so a stale gain bounds the fresh one
    heap = [(-math.inf, i, j) for i, j in enumerate(rest)]
    while heap:
        _, i, j = heapq.heappop(heap)
        gain = p.marginal(left, j)
        if heap and (-gain, i) > heap[0][:2]:
            heapq.heappush(heap, (-gain, i, j))
            continue
        out.append((j, gain))
        p.take(left, j)
    return out
