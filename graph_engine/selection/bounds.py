"""Bounds on the optimum, and the one rule that calls a selection proven optimal.

Upper bounds on the best reach: the data-dependent greedy bound (reach so far + the best
remaining marginal gains that fit; a fractional knapsack under a budget) and a Lagrangian
relaxation that tightens it (under exposure, the concave-extension bound of
`selection.concave` instead). For a cover, a lower bound on the cheapest cost.

The optimality rule
-------------------
A reach is proven optimal when the upper bound exceeds it by at most float noise,
``GAP_RTOL * max(1, |bound|)``. When every element weight is an integer, every reach is an
integer, so a bound may first be floored: ``floor(bound + GAP_RTOL * max(1, |bound|))``
is still a valid upper bound (`tighten`), and that floored value is the one reported and
compared (`proven`). The Lagrangian relaxation stops by the same rule.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from graph_engine.selection.constraints import TARGET_ATOL, Constraints
from graph_engine.selection.problem import Problem

__all__ = [
    "GAP_RTOL",
    "LAGRANGIAN_ITERATIONS",
    "LAGRANGIAN_MIN_STEP",
    "LAGRANGIAN_STALL",
    "Relaxed",
    "cost_lower_bound",
    "cover_lagrangian",
    "fractional_knapsack",
    "greedy_bound",
    "knapsack_solution",
    "lagrangian",
    "lagrangian_bound",
    "proven",
    "proven_cheapest",
    "slack",
    "tighten",
    "top_per_community",
]

# float noise, relative to max(1, |bound|): a gap this small is no gap
GAP_RTOL = 1e-9
# the Lagrangian relaxation: at most this many subgradient steps ...
LAGRANGIAN_ITERATIONS = 500
# ... halving the step after this many steps without improvement ...
LAGRANGIAN_STALL = 8
# ... and giving up once the step factor falls below this
LAGRANGIAN_MIN_STEP = 1e-4


def slack(bound: float) -> float:
    """Return the float noise allowed around a bound: ``GAP_RTOL * max(1, |bound|)``.

    Parameters
    ----------
    bound
        A bound (or any objective value).

    Returns
    -------
    float
        The tolerance.
    """
    return GAP_RTOL * max(1.0, abs(bound))


def tighten(bound: float, *, integral: bool) -> float:
    """Return the tightest valid form of an upper bound on the reach.

    Parameters
    ----------
    bound
        An upper bound on the best reach.
    integral
        Whether every element weight is an integer: then the optimum is an integer, and
        ``floor(bound + slack(bound))`` bounds it too.

    Returns
    -------
    float
        The floored bound when `integral` (and the bound is finite), else `bound`.

    Examples
    --------
    >>> tighten(7.6, integral=True), tighten(6.9999999999999, integral=True)
    (7.0, 7.0)
    >>> tighten(7.6, integral=False)
    7.6
    """
    if integral and math.isfinite(bound):
        return float(math.floor(bound + slack(bound)))
    return bound


def proven(reach: float, bound: float, *, integral: bool) -> bool:
    """Tell whether a reach is proven optimal by an upper bound: the one optimality rule.

    Parameters
    ----------
    reach
        The reach of a selection satisfying the constraints.
    bound
        An upper bound on the best reach under the same constraints.
    integral
        Whether every element weight is an integer (the bound is floored first).

    Returns
    -------
    bool
        ``tighten(bound) - reach <= slack(tighten(bound))``.

    Examples
    --------
    >>> proven(7.0, 7.9, integral=True), proven(7.0, 7.9, integral=False)
    (True, False)
    >>> proven(7.0, 7.0 + 1e-12, integral=False)
    True
    """
    tight = tighten(bound, integral=integral)
    return tight - reach <= slack(tight)


def proven_cheapest(spent: float, lower_bound: float) -> bool:
    """Tell whether a cover is proven cheapest by a lower bound on the cheapest cover.

    The same rule as `proven`, for a minimum: the cost may exceed the lower bound by float
    noise only. Costs are not assumed integral.

    Parameters
    ----------
    spent
        The cost (or count) of a cover reaching the target.
    lower_bound
        A lower bound on the cost (or count) of any such cover.

    Returns
    -------
    bool
        ``spent - lower_bound <= slack(lower_bound)``.
    """
    return proven(-spent, -lower_bound, integral=False)


def fractional_knapsack(gain: np.ndarray, cost: np.ndarray, capacity: float) -> float:
    """Maximise ``sum(gain * x)`` with ``sum(cost * x) <= capacity``, ``0 <= x <= 1``.

    Parameters
    ----------
    gain
        Gain of every item.
    cost
        Positive cost of every item.
    capacity
        The capacity.

    Returns
    -------
    float
        The optimum, by the greedy-by-ratio rule.
    """
    if capacity <= 0:
        return 0.0
    useful = (gain > 0) & (cost <= capacity)  # nothing dearer than the capacity can fit
    g, c = gain[useful], cost[useful]
    order = np.argsort(-(g / c), kind="stable")
    g, c = g[order], c[order]
    spent = np.cumsum(c)
    full = int(np.searchsorted(spent, capacity, side="right"))
    total = float(g[:full].sum())
    if full < g.size:
        left = capacity - (spent[full - 1] if full else 0.0)
        total += float(g[full]) * left / float(c[full])
    return total


def knapsack_solution(gain: np.ndarray, cost: np.ndarray, capacity: float) -> np.ndarray:
    """Return the fractional knapsack's ``x`` (greedy by ratio), for the Lagrangian bound.

    Parameters
    ----------
    gain
        Gain of every item.
    cost
        Positive cost of every item.
    capacity
        The capacity.

    Returns
    -------
    numpy.ndarray
        ``x`` in [0, 1] per item, at most one of them fractional.
    """
    x = np.zeros(gain.size)
    if capacity <= 0:
        return x
    useful = np.flatnonzero((gain > 0) & (cost <= capacity))
    order = useful[np.argsort(-(gain[useful] / cost[useful]), kind="stable")]
    spent = np.cumsum(cost[order])
    full = int(np.searchsorted(spent, capacity, side="right"))
    x[order[:full]] = 1.0
    if full < order.size:
        left = capacity - (spent[full - 1] if full else 0.0)
        x[order[full]] = left / cost[order[full]]
    return x


def top_per_community(gain: np.ndarray, community: np.ndarray, cap: int) -> np.ndarray:
    """Return the gains with all but the `cap` largest of each community set to 0.

    Under a count, any selection with at most `cap` per community has a gain sum no larger
    than the top-k of these (not so under a budget, where cheaper creators may be chosen).

    Parameters
    ----------
    gain
        Gain of every creator.
    community
        Community code of every creator, -1 when none (never capped).
    cap
        At most this many creators per community.

    Returns
    -------
    numpy.ndarray
        The capped gains.
    """
    order = np.lexsort((-gain, community))
    grouped = community[order]
    starts = np.flatnonzero(np.concatenate([[True], grouped[1:] != grouped[:-1]]))
    rank = np.arange(order.size) - np.repeat(starts, np.diff(np.append(starts, order.size)))
    keep = np.zeros(gain.size, dtype=bool)
    keep[order[(rank < cap) | (grouped < 0)]] = True
    return np.where(keep, gain, 0.0)


def greedy_bound(reach: float, gain_ub: np.ndarray, p: Problem, limits: Constraints) -> float:
    """Bound the best reach: reach so far + the best remaining marginal gains that fit.

    Valid for any selection S containing the must-includes (submodularity):
    OPT <= f(S) + sum of the marginal gains (w.r.t. S) of OPT's other members, and those
    number at most count - |must| and cost at most budget - cost(must).

    Parameters
    ----------
    reach
        The reach of S.
    gain_ub
        Upper bounds on the marginal gains w.r.t. S (0 for S's members).
    p
        The problem.
    limits
        The count, budget and community cap (the target is not used).

    Returns
    -------
    float
        The smallest of the count and the budget bounds.
    """
    bounds = []
    if limits.count is not None:
        k = limits.count - p.must.size
        cap = limits.cap
        gains = top_per_community(gain_ub, p.community, cap) if cap is not None else gain_ub
        top = np.partition(gains, gains.size - k)[-k:] if 0 < k < gains.size else gains
        bounds.append(reach + float(top.sum()) if k > 0 else reach)
    if limits.budget is not None:
        capacity = limits.budget - float(p.cost[p.must].sum())
        bounds.append(reach + fractional_knapsack(gain_ub, p.cost, capacity))
    return min(bounds)


def cost_lower_bound(reach: float, gain_ub: np.ndarray, p: Problem, limits: Constraints) -> float:
    """Bound from below the cost (or count) of any selection reaching the target.

    Any such selection X (it holds the must-includes) has marginal gains w.r.t. the current
    selection adding up to at least target - reach, so its other members cost at least the
    cheapest fractional way to collect that much gain.

    Parameters
    ----------
    reach
        The reach of the current selection.
    gain_ub
        Upper bounds on the marginal gains w.r.t. it.
    p
        The problem.
    limits
        The target, and whether cost (else the count) is minimised.

    Returns
    -------
    float
        The lower bound; infinity when the target is out of reach.
    """
    assert limits.target is not None
    cost = p.unit_spend(by_cost=limits.by_cost)
    base = float(cost[p.must].sum())
    need = limits.target - reach
    if need <= 0:
        return base
    useful = gain_ub > 0
    g, c = gain_ub[useful], cost[useful]
    order = np.argsort(-(g / c), kind="stable")
    g, c = g[order], c[order]
    collected = np.cumsum(g)
    full = int(np.searchsorted(collected, need, side="left"))
    if full >= g.size:  # all of it falls short: out of reach, or short by float noise only
        close = g.size > 0 and collected[-1] >= need - TARGET_ATOL
        return base + float(c.sum()) if close else math.inf
    paid = float(c[:full].sum())
    left = need - (collected[full - 1] if full else 0.0)
    return base + paid + float(c[full]) * left / float(g[full])


@dataclass
class _Steps:
    """The step factor of a subgradient method, shared by both Lagrangian bounds.

    It is halved after `LAGRANGIAN_STALL` steps that do not improve the best bound; the
    method gives up once it falls below `LAGRANGIAN_MIN_STEP` or time runs out.
    """

    theta: float = 1.0
    stall: int = 0

    def after(self, improved: bool) -> None:
        """Count one step, improving the best bound or not."""
        self.stall = 0 if improved else self.stall + 1
        if self.stall >= LAGRANGIAN_STALL:
            self.theta, self.stall = self.theta / 2, 0

    def exhausted(self, deadline: float) -> bool:
        """Whether the step is too small to go on, or `deadline` (perf_counter) passed."""
        return self.theta < LAGRANGIAN_MIN_STEP or time.perf_counter() > deadline


@dataclass(frozen=True)
class Relaxed:
    """The fixed parts of the Lagrangian relaxation of one problem (and `best_x` for any)."""

    p: Problem
    limits: Constraints
    rows: np.ndarray  # creator of every entry of p.elements
    must: np.ndarray  # mask of the must-includes

    def best_x(self, score: np.ndarray) -> np.ndarray:
        """Maximise ``sum_j x_j score_j`` over the relaxed constraints (must-includes at 1)."""
        p, limits = self.p, self.limits
        free = np.where(self.must, 0.0, score)
        x = np.zeros(p.n)
        x[self.must] = 1.0
        if limits.count is not None:
            k = limits.count - p.must.size
            cap = limits.cap
            ranked = top_per_community(free, p.community, cap) if cap is not None else free
            if k > 0:
                top = np.argsort(-ranked, kind="stable")[:k]
                x[top[ranked[top] > 0]] = 1.0
        else:
            assert limits.budget is not None
            capacity = limits.budget - float(p.cost[p.must].sum())
            x += knapsack_solution(free, p.cost, capacity)
        return x

    def step(self, lam: np.ndarray, x: np.ndarray, size: float) -> np.ndarray | None:
        """Take one projected subgradient step of the given size; None at a stationary point."""
        p = self.p
        cover = np.bincount(p.elements, weights=x[self.rows], minlength=p.m)
        grad = cover - 1.0  # dL/dl_e
        active = ~(((lam <= 0) & (grad > 0)) | ((lam >= p.weight) & (grad < 0)))
        if p.multiplicity is not None:  # an element is m followers, each with this gradient:
            # the norm counts each of them, and the group's multiplier moves m times as far
            norm = float((p.multiplicity[active] * grad[active] ** 2).sum())
            grad = grad * p.multiplicity
        else:
            norm = float((grad[active] ** 2).sum())
        if norm == 0:
            return None
        return np.asarray(np.clip(lam - size / norm * grad, 0.0, p.weight))


def lagrangian(
    p: Problem,
    covered: np.ndarray,
    limits: Constraints,
    *,
    lower: float,
    seconds: float,
    max_iterations: int = LAGRANGIAN_ITERATIONS,
    integral: bool = False,
) -> float:
    """Tighten the upper bound on max coverage by Lagrangian relaxation.

    Relaxing ``y_e <= sum_{j covers e} x_j`` with multipliers ``0 <= l_e <= w_e`` gives,
    for every ``l``, the valid bound ``L(l) = sum_e (w_e - l_e) + max_x sum_j x_j s_j(l)``
    with ``s_j = sum_{e in j} l_e`` and x over the relaxed constraints (the k best scores;
    a fractional knapsack under a budget; must-includes fixed at 1). Starting from
    ``l = w * [not covered by the greedy picks]`` -- where L equals the greedy bound -- a
    projected subgradient method (Polyak steps towards `lower`) lowers it towards the LP
    bound. It stops once `proven` holds for `lower`, after `max_iterations`, when the step
    gets too small, or after `seconds`.

    Parameters
    ----------
    p
        The problem.
    covered
        Mask of the elements the greedy picks cover.
    limits
        The count or the budget, and the community cap (a count takes precedence).
    lower
        A reach attained under the same constraints (the Polyak target).
    seconds
        A safety cap on the time.
    max_iterations
        At most this many subgradient steps.
    integral
        Whether every element weight is an integer (for the stopping rule).

    Returns
    -------
    float
        The smallest bound seen (not floored; see `tighten`).
    """
    deadline = time.perf_counter() + seconds
    w = p.weight
    lam = np.where(covered, 0.0, w)
    must = np.zeros(p.n, dtype=bool)
    must[p.must] = True
    relaxed = Relaxed(p, limits, np.repeat(np.arange(p.n), np.diff(p.ptr)), must)
    best, steps = math.inf, _Steps()
    for _ in range(max_iterations):
        score = np.bincount(relaxed.rows, weights=lam[p.elements], minlength=p.n)
        x = relaxed.best_x(score)
        value = float((w - lam).sum() + (x * score).sum())
        improved = not value >= best - slack(value)  # (or the first value)
        best = value if improved else best
        steps.after(improved)
        if proven(lower, best, integral=integral) or steps.exhausted(deadline):
            break
        moved = relaxed.step(lam, x, steps.theta * (value - lower))
        if moved is None:
            break
        lam = moved
    return best


def lagrangian_bound(
    p: Problem,
    covered: np.ndarray,
    *,
    count: int | None,
    budget: float | None,
    cap: int | None,
    lower: float,
    seconds: float,
    max_iterations: int = LAGRANGIAN_ITERATIONS,
    integral: bool | None = None,
) -> float:
    """Tighten the upper bound on max coverage by Lagrangian relaxation (keyword form).

    The same as `lagrangian`, with the limits given one by one.

    Parameters
    ----------
    p
        The problem.
    covered
        Mask of the elements the greedy picks cover.
    count, budget, cap
        The count and/or the budget, and the community cap.
    lower
        A reach attained under the same constraints (the Polyak target).
    seconds
        A safety cap on the time.
    max_iterations
        At most this many subgradient steps.
    integral
        Whether every element weight is an integer; by default read from `p`.

    Returns
    -------
    float
        The smallest bound seen (not floored; see `tighten`).
    """
    return lagrangian(
        p,
        covered,
        Constraints(count=count, budget=budget, cap=cap),
        lower=lower,
        seconds=seconds,
        max_iterations=max_iterations,
        integral=p.integral if integral is None else integral,
    )


def cover_lagrangian(
    p: Problem,
    limits: Constraints,
    *,
    upper: float,
    seconds: float,
    max_iterations: int = LAGRANGIAN_ITERATIONS,
) -> float:
    """Bound from below the cheapest cover's cost (or count) by Lagrangian relaxation.

    Relaxing ``y_e <= sum_{j covers e} x_j`` with multipliers ``mu_e >= 0`` gives, for
    every ``mu``, the valid bound ``sum_j min(0, c_j - s_j) + min {sum_e mu_e y_e :
    sum_e w_e y_e >= target, 0 <= y <= 1}`` with ``s_j = sum_{e in j} mu_e`` (creators at
    1 where that lowers the sum, must-includes always, at most `cap` per community; the
    second part is a fractional knapsack: elements cheapest per weight first). Starting
    from ``mu_e`` = the lowest cost per element of a creator covering e, a projected
    subgradient method (Polyak steps towards `upper`) raises it towards the LP bound.

    Parameters
    ----------
    p
        The problem.
    limits
        The cover: the target, the community cap, and whether cost (else the count) is
        spent.
    upper
        The spend of a cover found (the Polyak target; the search stops once the bound
        reaches it).
    seconds
        A cap on the time.
    max_iterations
        At most this many subgradient steps.

    Returns
    -------
    float
        The largest bound seen; infinity when the target exceeds the total weight.
    """
    assert limits.target is not None
    deadline = time.perf_counter() + seconds
    c = p.unit_spend(by_cost=limits.by_cost)
    rows = np.repeat(np.arange(p.n), np.diff(p.ptr))
    must = np.zeros(p.n, dtype=bool)
    must[p.must] = True
    useful = np.flatnonzero(p.weight > 0)
    w = p.weight[useful].astype(float)
    if limits.target > w.sum() + slack(w.sum()):
        return math.inf
    share = (c / np.maximum(np.diff(p.ptr), 1))[rows]
    mu = np.full(p.m, np.inf)
    np.minimum.at(mu, p.elements, share)
    mu[~np.isfinite(mu)] = 0.0
    mu[p.weight <= 0] = 0.0
    best, steps = -math.inf, _Steps()
    for _ in range(max_iterations):
        reduced = c - np.bincount(rows, weights=mu[p.elements], minlength=p.n)
        gain = np.where(must, 0.0, np.maximum(-reduced, 0.0))
        if limits.cap is not None:
            gain = top_per_community(gain, p.community, limits.cap)
        x = (gain > 0) | must
        order = useful[np.argsort(mu[useful] / w, kind="stable")]
        filled = np.cumsum(p.weight[order])
        k = min(int(np.searchsorted(filled, limits.target, side="left")), order.size - 1)
        y = np.zeros(p.m)
        y[order[:k]] = 1.0
        y[order[k]] = (limits.target - (filled[k - 1] if k else 0.0)) / p.weight[order[k]]
        value = float(reduced[x].sum() + (mu * y).sum())
        improved = value > best + slack(value)
        best = value if improved else best
        steps.after(improved)
        if proven_cheapest(upper, best) or steps.exhausted(deadline):
            break
        grad = y - np.bincount(p.elements, weights=x[rows].astype(float), minlength=p.m)
        norm = float((grad**2).sum())
        if norm == 0:
            break
        mu = np.maximum(0.0, mu + steps.theta * (upper - value) / norm * grad)
    return best
