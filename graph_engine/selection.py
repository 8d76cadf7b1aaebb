"""Selection: the fewest, cheapest creators for the most unique reach, with a bound.

The problem is weighted maximum coverage (or, for a target reach, partial set cover) over
followers. Steps:

1. Eligible creators and their costs (price per post x posts + overhead).
2. Audience signatures: followers followed by the same set of eligible creators collapse
   into one element whose weight is their number (or their summed follower weight).
3. Lazy greedy (CELF): gains only shrink as the selection grows (submodularity), so a stale
   gain is an upper bound and most creators are never re-evaluated. Same picks as plain
   greedy, ties going to the creator listed first.
4. A bound from the data at every greedy step: reach so far + the best remaining marginal
   gains that fit the count or budget; the tightest is reported.
5. Optionally an integer program (HiGHS) on the compressed problem, warm-started from greedy.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
import scipy.sparse as sp

from graph_engine import schema as s
from graph_engine.errors import ParameterError, SchemaError, did_you_mean
from graph_engine.graph import AudienceGraph, CreatorId

Method = Literal["auto", "greedy", "exact", "plain-greedy"]
Minimize = Literal["cost", "count"]

# `method="auto"` solves exactly when the compressed problem is at most this big
AUTO_EXACT_ELEMENTS = 200_000
AUTO_EXACT_CREATORS = 5_000
# Lagrangian bound effort in entry-operations (~3 s on 10M edges); a fixed amount of work,
# not of time, so that the same job gives the same bound
LAGRANGIAN_WORK = 100_000_000


@dataclass(frozen=True)
class Selection:
    """The chosen creators, in pick order, with reach, cost and how close to optimal.

    `upper_bound` bounds the best reach any selection satisfying the same constraints
    could have (at the same count or budget; at the same spend for a target reach), so
    ``reach >= (1 - gap) * optimum``. For a target reach, `cost_lower_bound` bounds the
    cheapest selection reaching the target.
    """

    picks: pl.DataFrame
    reach: float
    eligible_reach: float
    total_cost: float
    upper_bound: float
    method: str
    optimal: bool
    constraints: dict[str, Any]
    evaluations: int
    n_elements: int
    n_eligible: int
    cost_lower_bound: float | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def curve(self) -> pl.DataFrame:
        """Reach vs number of creators and vs spend, in pick order."""
        return self.picks.select("rank", "reach", "total_cost", "reach_share")

    @property
    def reach_share(self) -> float:
        """Reach as a share of the eligible creators' combined audience."""
        return self.reach / self.eligible_reach if self.eligible_reach else 0.0

    @property
    def gap(self) -> float:
        """(upper bound - reach) / upper bound: the selection is within this of optimal."""
        return (
            max(0.0, (self.upper_bound - self.reach) / self.upper_bound)
            if self.upper_bound
            else 0.0
        )

    def summary(self) -> str:
        """One line: reach, picks, cost, and how close to optimal."""
        target = self.constraints.get("target_reach")
        if target is not None and self.reach_share < target - 1e-9:
            return (
                f"{self.picks.height} creators reach {_num(self.reach)} unique followers "
                f"({100 * self.reach_share:.1f}% of the eligible audience) for "
                f"${self.total_cost:,.2f}; the target of {100 * target:.1f}% cannot be met "
                f"under these constraints (method {self.method})"
            )
        if self.cost_lower_bound is not None:  # target reach: how close to the cheapest
            unit = "$" if self.constraints.get("minimize") == "cost" else ""
            spent = self.total_cost if unit else float(self.picks.height)
            lb = self.cost_lower_bound
            status = (
                "the cheapest possible (proven)"
                if self.optimal
                else f"at most {100 * (spent - lb) / lb:.1f}% above the cheapest possible"
                if lb > 0
                else "no useful lower bound"
            )
            return (
                f"{self.picks.height} creators reach {_num(self.reach)} unique followers "
                f"({100 * self.reach_share:.1f}% of the eligible audience) for "
                f"${self.total_cost:,.2f}; {status} (lower bound {unit}{lb:,.2f}"
                f"{'' if unit else ' creators'}, method {self.method})"
            )
        status = "optimal (proven)" if self.optimal else f"within {100 * self.gap:.2f}% of optimal"
        return (
            f"{self.picks.height} creators reach {_num(self.reach)} unique followers "
            f"({100 * self.reach_share:.1f}% of the eligible audience) for "
            f"${self.total_cost:,.2f}; {status} (upper bound {_num(self.upper_bound)}, "
            f"method {self.method})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "picks": self.picks,
            "reach": self.reach,
            "reach_share": self.reach_share,
            "eligible_reach": self.eligible_reach,
            "total_cost": self.total_cost,
            "upper_bound": self.upper_bound,
            "gap": self.gap,
            "cost_lower_bound": self.cost_lower_bound,
            "optimal": self.optimal,
            "method": self.method,
            "constraints": self.constraints,
            "evaluations": self.evaluations,
            "n_eligible": self.n_eligible,
            "n_elements": self.n_elements,
            "notes": self.notes,
            "curve": self.curve,
        }


def _num(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


# ---------------------------------------------------------------------------------------
# the compressed problem


@dataclass(frozen=True)
class Problem:
    """Weighted coverage over audience signatures.

    Creator ``j`` (0..n-1, local) covers elements ``elements[ptr[j]:ptr[j+1]]``; element
    ``e`` weighs ``weight[e]``. ``index`` maps local creators to graph dense ids.
    """

    index: np.ndarray
    cost: np.ndarray
    ptr: np.ndarray
    elements: np.ndarray
    weight: np.ndarray
    community: np.ndarray  # -1 when none
    must: np.ndarray  # local ids

    @property
    def n(self) -> int:
        return int(self.index.size)

    @property
    def m(self) -> int:
        return int(self.weight.size)

    def covers(self, j: int) -> np.ndarray:
        return self.elements[self.ptr[j] : self.ptr[j + 1]]

    def gains(self, covered: np.ndarray) -> np.ndarray:
        """Exact marginal gain of every creator: one gather and a segmented sum."""
        per_entry = np.where(covered, 0.0, self.weight)[self.elements]
        out = np.zeros(self.n)
        nonempty = np.flatnonzero(np.diff(self.ptr) > 0)
        if nonempty.size:  # segments of non-empty rows are contiguous, so reduceat is exact
            out[nonempty] = np.add.reduceat(per_entry, self.ptr[nonempty])
        return out

    def covered(self, chosen: Sequence[int] | np.ndarray) -> np.ndarray:
        """Mask of the elements that the chosen creators cover."""
        mask = np.zeros(self.m, dtype=bool)
        for j in chosen:
            mask[self.covers(int(j))] = True
        return mask

    def value(self, chosen: Sequence[int] | np.ndarray) -> float:
        return float(self.weight[self.covered(chosen)].sum())


def compress(
    graph: AudienceGraph, rows: np.ndarray, follower_weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Audience signatures of the creators `rows`: (ptr, elements, weight).

    Followers with identical sets of these creators become one element whose weight sums
    their `follower_weight`; followers of weight 0 are dropped. Returns creator -> element
    lists in CSR form (creators in the order of `rows`) and the element weights.

    Grouping hashes each follower's creator set twice (sums of random 64-bit keys) and then
    checks every follower against its group's representative, element by element, so the
    result is exact; a hash collision (never seen) falls back to exact list grouping.
    """
    bt = sp.csr_array(graph.matrix[rows].T)  # followers x chosen creators
    bt.sort_indices()
    deg = np.diff(bt.indptr)
    alive = np.flatnonzero((deg > 0) & (follower_weight > 0))
    starts = bt.indptr[:-1][alive]
    rng = np.random.default_rng(0x5EED)
    keys = rng.integers(-(2**62), 2**62, size=rows.size)
    h = np.add.reduceat(keys[bt.indices], starts) if alive.size else np.zeros(0, dtype=np.int64)
    h += deg[alive].astype(np.int64) * np.int64(0x9E3779B97F4A7C15 - 2**64)  # mix in the degree
    order = np.argsort(h, kind="stable")
    new = np.ones(order.size, dtype=bool)
    new[1:] = np.diff(h[order]) != 0
    group = np.empty(order.size, dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    rep = alive[order[new]]  # representative follower of each group
    if not _same_rows(bt, alive, rep[group]):
        group, rep = _exact_groups(bt, alive)
    weight = np.bincount(group, weights=follower_weight[alive], minlength=rep.size)
    # element x creator lists from the representatives, then transpose to creator -> elements
    rep_deg = deg[rep]
    ptr = np.zeros(rep.size + 1, dtype=np.int64)
    np.cumsum(rep_deg, out=ptr[1:])
    cols = bt.indices[_segment_positions(bt.indptr[rep], rep_deg)]
    by_creator = sp.csr_array(
        (np.ones(cols.size, dtype=np.int8), cols, ptr), shape=(rep.size, rows.size)
    ).T.tocsr()
    by_creator.sort_indices()
    return by_creator.indptr.astype(np.int64), by_creator.indices.astype(np.int64), weight


def _rows_of(graph: AudienceGraph, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CSR (ptr, followers) of the given creators, straight from the graph's arrays."""
    if rows.size == graph.n_creators:  # every creator: no copy at all
        return graph.indptr, graph.indices
    lengths = graph.degrees[rows]
    ptr = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(lengths, out=ptr[1:])
    return ptr, graph.indices[_segment_positions(graph.indptr[rows], lengths)]


def _segment_positions(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ranges start..start+length for every segment, vectorised."""
    total = int(lengths.sum())
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.asarray(np.repeat(starts, lengths) + (np.arange(total) - offsets))


def _same_rows(bt: sp.csr_array, rows: np.ndarray, reps: np.ndarray) -> bool:
    """Whether every row in `rows` (ascending) equals its representative in `reps`."""
    deg = np.diff(bt.indptr)
    other = rows != reps  # a representative trivially equals itself
    rows, reps = rows[other], reps[other]
    if not np.array_equal(deg[rows], deg[reps]):
        return False
    alive = np.zeros(deg.size, dtype=bool)
    alive[rows] = True
    pos = np.flatnonzero(np.repeat(alive, deg))  # entries of `rows`, in order
    shift = np.repeat(bt.indptr[reps] - bt.indptr[rows], deg[rows])
    return bool(np.array_equal(bt.indices[pos], bt.indices[pos + shift]))


def _exact_groups(bt: sp.csr_array, alive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group followers by their exact creator lists (slow path, polars list hashing)."""
    deg = np.diff(bt.indptr)
    frame = pl.DataFrame(
        {
            "row": np.repeat(alive, deg[alive]),
            "c": bt.indices[_segment_positions(bt.indptr[alive], deg[alive])],
        }
    )
    lists = frame.group_by("row", maintain_order=True).agg("c")
    lists = lists.with_columns(pl.col("c").rank("dense").alias("g") - 1)
    group = lists["g"].to_numpy().astype(np.int64)
    first = lists.group_by("g").agg(pl.col("row").first()).sort("g")
    return group, first["row"].to_numpy()


# ---------------------------------------------------------------------------------------
# greedy and bounds


@dataclass
class _Run:
    """A greedy run: picks in order, marginal gains, evaluations, tightest bound."""

    picks: list[int]
    gains: list[float]
    evaluations: int
    bound: float
    cost_lower_bound: float = 0.0


def _fractional_knapsack(gain: np.ndarray, cost: np.ndarray, capacity: float) -> float:
    """Max of sum(gain * x) with sum(cost * x) <= capacity, 0 <= x <= 1 (greedy by ratio)."""
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


def _top_per_community(gain: np.ndarray, community: np.ndarray, cap: int) -> np.ndarray:
    """Gains with all but the `cap` largest of each community set to 0.

    Under a count, any selection with at most `cap` per community has a gain sum no larger
    than the top-k of these (not so under a budget, where cheaper creators may be chosen).
    """
    order = np.lexsort((-gain, community))
    grouped = community[order]
    starts = np.flatnonzero(np.concatenate([[True], grouped[1:] != grouped[:-1]]))
    rank = np.arange(order.size) - np.repeat(starts, np.diff(np.append(starts, order.size)))
    keep = np.zeros(gain.size, dtype=bool)
    keep[order[(rank < cap) | (grouped < 0)]] = True
    return np.where(keep, gain, 0.0)


def _bound(
    reach: float,
    gain_ub: np.ndarray,
    p: Problem,
    count: int | None,
    budget: float | None,
    cap: int | None = None,
) -> float:
    """Reach so far + the best remaining marginal gains that fit the constraints.

    Valid for any selection S containing the must-includes (submodularity):
    OPT <= f(S) + sum of the marginal gains (w.r.t. S) of OPT's other members, and those
    number at most count - |must| and cost at most budget - cost(must).
    """
    bounds = []
    if count is not None:
        k = count - p.must.size
        gains = _top_per_community(gain_ub, p.community, cap) if cap is not None else gain_ub
        top = np.partition(gains, gains.size - k)[-k:] if 0 < k < gains.size else gains
        bounds.append(reach + float(top.sum()) if k > 0 else reach)
    if budget is not None:
        capacity = budget - float(p.cost[p.must].sum())
        bounds.append(reach + _fractional_knapsack(gain_ub, p.cost, capacity))
    return min(bounds)


def lagrangian_bound(
    p: Problem,
    covered: np.ndarray,
    *,
    count: int | None,
    budget: float | None,
    cap: int | None,
    lower: float,
    seconds: float,
    max_iterations: int = 500,
) -> float:
    """Tighten the upper bound on max coverage by Lagrangian relaxation.

    Relaxing ``y_e <= sum_{j covers e} x_j`` with multipliers ``0 <= l_e <= w_e`` gives,
    for every ``l``, the valid bound ``L(l) = sum_e (w_e - l_e) + max_x sum_j x_j s_j(l)``
    with ``s_j = sum_{e in j} l_e`` and x over the relaxed constraints (the k best scores;
    a fractional knapsack under a budget; must-includes fixed at 1). Starting from
    ``l = w * [not covered by the greedy picks]`` -- where L equals the greedy bound -- a
    projected subgradient method (Polyak steps towards `lower`) lowers it towards the LP
    bound, within `seconds`. Returns the smallest bound seen.
    """
    deadline = time.perf_counter() + seconds
    w = p.weight
    lam = np.where(covered, 0.0, w)
    rows = np.repeat(np.arange(p.n), np.diff(p.ptr))
    must = np.zeros(p.n, dtype=bool)
    must[p.must] = True
    k = None if count is None else count - p.must.size
    capacity = None if budget is None else budget - float(p.cost[p.must].sum())
    best, theta, stall = math.inf, 1.0, 0
    for _ in range(max_iterations):
        score = np.bincount(rows, weights=lam[p.elements], minlength=p.n)
        free = np.where(must, 0.0, score)
        x = np.zeros(p.n)
        x[must] = 1.0
        if k is not None:
            ranked = _top_per_community(free, p.community, cap) if cap is not None else free
            if k > 0:
                top = np.argsort(-ranked, kind="stable")[:k]
                x[top[ranked[top] > 0]] = 1.0
        else:
            assert capacity is not None
            x += _knapsack_solution(free, p.cost, capacity)
        value = float((w - lam).sum() + (x * score).sum())
        if not value >= best - 1e-9 * max(1.0, value):  # improved (or the first value)
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 8:
                theta, stall = theta / 2, 0
        if best - lower <= 1e-6 * max(1.0, best) or theta < 1e-4 or time.perf_counter() > deadline:
            break
        cover = np.bincount(p.elements, weights=x[rows], minlength=p.m)
        grad = cover - 1.0  # dL/dl_e
        active = ~(((lam <= 0) & (grad > 0)) | ((lam >= w) & (grad < 0)))
        norm = float((grad[active] ** 2).sum())
        if norm == 0:
            break
        lam = np.clip(lam - theta * (value - lower) / norm * grad, 0.0, w)
    return best


def _knapsack_solution(gain: np.ndarray, cost: np.ndarray, capacity: float) -> np.ndarray:
    """The fractional knapsack's x (greedy by ratio), for the Lagrangian bound."""
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


def _cost_lower_bound(
    reach: float, gain_ub: np.ndarray, p: Problem, target: float, by_cost: bool
) -> float:
    """A lower bound on the cost (or count) of any selection reaching `target`.

    Any such selection X (it holds the must-includes) has marginal gains w.r.t. the current
    selection adding up to at least target - reach, so its other members cost at least the
    cheapest fractional way to collect that much gain.
    """
    cost = p.cost if by_cost else np.ones(p.n)
    base = float(cost[p.must].sum())
    need = target - reach
    if need <= 0:
        return base
    useful = gain_ub > 0
    g, c = gain_ub[useful], cost[useful]
    order = np.argsort(-(g / c), kind="stable")
    g, c = g[order], c[order]
    collected = np.cumsum(g)
    full = int(np.searchsorted(collected, need, side="left"))
    if full >= g.size:
        return math.inf  # unreachable
    paid = float(c[:full].sum())
    left = need - (collected[full - 1] if full else 0.0)
    return base + paid + float(c[full]) * left / float(g[full])


def _greedy(
    p: Problem,
    *,
    count: int | None,
    budget: float | None,
    cap: int | None,
    lazy: bool = True,
    target: float | None = None,
    by_cost: bool | None = None,
) -> _Run:
    """(Lazy) greedy for max coverage under a count and/or a budget, with community caps.

    With a budget the priority is gain / cost (cost-effective greedy), else the gain; ties
    go to the lower index, in both the lazy and the plain variant, so their picks are the
    same. Creators that stop fitting (budget, community cap) are passed over for good.
    The bound uses the gains of every creator not picked, fitting or not: the optimum may
    hold creators that greedy can no longer afford.
    """
    covered = np.zeros(p.m, dtype=bool)
    per_community: dict[int, int] = {}
    picks: list[int] = []
    gains: list[float] = []
    spent = 0.0

    def take(j: int, gain: float) -> None:
        nonlocal spent
        covered[p.covers(j)] = True
        picks.append(j)
        gains.append(gain)
        spent += float(p.cost[j])
        if p.community[j] >= 0:
            per_community[int(p.community[j])] = per_community.get(int(p.community[j]), 0) + 1

    def fits(j: int) -> bool:
        if budget is not None and spent + float(p.cost[j]) > budget * (1 + 1e-12):
            return False
        group = int(p.community[j])
        return cap is None or group < 0 or per_community.get(group, 0) < cap

    ratio = budget is not None if by_cost is None else by_cost

    def priority(j: int, gain: float) -> float:
        return gain / float(p.cost[j]) if ratio else gain

    def limit_bound() -> float:
        if target is None:
            return _bound(reach, gain_ub, p, count, budget, cap)
        return _bound(reach, gain_ub, p, None, max(spent, 1e-300))

    for j in p.must.tolist():
        cov = p.covers(j)
        take(j, float(p.weight[cov][~covered[cov]].sum()))
    reach = float(sum(gains))
    gain_ub = p.gains(covered)  # exact now; later entries may go stale (upper bounds)
    evaluations = p.n
    candidate = np.ones(p.n, dtype=bool)
    candidate[picks] = False
    gain_ub[picks] = 0.0
    bound = min(limit_bound(), float(p.weight.sum())) if target is None else math.inf
    cost_lb = _cost_lower_bound(reach, gain_ub, p, target, ratio) if target is not None else 0.0
    heap = [(-priority(j, gain_ub[j]), j) for j in np.flatnonzero(candidate).tolist()]
    heapq.heapify(heap)
    fresh_at = np.full(p.n, len(picks), dtype=np.int64)  # pick count when gain was exact
    incidence: sp.csr_array | None = None  # plain greedy only

    while (count is None or len(picks) < count) and (target is None or reach < target):
        if lazy:
            if not heap:
                break
            _, j = heapq.heappop(heap)
            if not fits(j):
                candidate[j] = False
                continue
            if fresh_at[j] != len(picks):
                cov = p.covers(j)
                gain_ub[j] = float(p.weight[cov][~covered[cov]].sum())
                fresh_at[j] = len(picks)
                evaluations += 1
                heapq.heappush(heap, (-priority(j, gain_ub[j]), j))
                continue
        else:  # plain greedy: every gain, every step (one sparse product each, its best form)
            if incidence is None:
                ones = np.ones(p.elements.size)
                incidence = sp.csr_array((ones, p.elements, p.ptr), shape=(p.n, p.m))
            exact = np.asarray(incidence @ np.where(covered, 0.0, p.weight))
            evaluations += int(candidate.sum())
            gain_ub = np.where(candidate, exact, gain_ub)
            for i in np.flatnonzero(candidate).tolist():
                if not fits(i):
                    candidate[i] = False
            if not candidate.any():
                break
            options = np.flatnonzero(candidate)
            scores = np.array([priority(i, gain_ub[i]) for i in options.tolist()])
            j = int(options[int(np.argmax(scores))])
        gain = float(gain_ub[j])
        if gain <= 0:
            break
        take(j, gain)
        reach += gain
        candidate[j] = False
        gain_ub[j] = 0.0
        if target is None:
            bound = min(bound, limit_bound())
        else:
            cost_lb = max(cost_lb, _cost_lower_bound(reach, gain_ub, p, target, ratio))
    if target is not None:  # bound on reach at the same spend, from the final gains
        bound = min(limit_bound(), float(p.weight.sum()))
    return _Run(picks, gains, evaluations, max(bound, reach), cost_lb)


# ---------------------------------------------------------------------------------------
# exact: an integer program on the compressed problem


@dataclass(frozen=True)
class _Exact:
    chosen: list[int]
    objective: float
    dual_bound: float
    optimal: bool
    status: str


def _exact(
    p: Problem,
    *,
    count: int | None,
    budget: float | None,
    cap: int | None,
    target: float | None,
    by_cost: bool,
    warm: Sequence[int],
    time_limit: float,
) -> _Exact:
    """Solve with HiGHS: x_j in {0,1} per creator, 0 <= y_e <= 1 per element, y_e <= sum x.

    Reach modes maximise sum w_e y_e; target mode minimises cost (or count) subject to
    sum w_e y_e >= target. Warm-started from the greedy picks.
    """
    import highspy

    n, m = p.n, p.m
    # coverage rows: y_e - sum_{j covers e} x_j <= 0
    x_rows = p.elements
    x_cols = np.repeat(np.arange(n), np.diff(p.ptr))
    rows = [x_rows, np.arange(m)]
    cols = [x_cols, n + np.arange(m)]
    vals = [np.full(x_rows.size, -1.0), np.ones(m)]
    lower: list[float] = [-highspy.kHighsInf] * m
    upper: list[float] = [0.0] * m
    r = m

    def add_row(columns: np.ndarray, values: np.ndarray, lo: float, hi: float) -> None:
        nonlocal r
        rows.append(np.full(columns.size, r))
        cols.append(columns)
        vals.append(values)
        lower.append(lo)
        upper.append(hi)
        r += 1

    inf = highspy.kHighsInf
    if count is not None:
        add_row(np.arange(n), np.ones(n), -inf, float(count))
    if budget is not None:
        add_row(np.arange(n), p.cost.astype(float), -inf, float(budget))
    if target is not None:
        add_row(n + np.arange(m), p.weight.astype(float), float(target), inf)
    if cap is not None:
        for group in np.unique(p.community[p.community >= 0]).tolist():
            members = np.flatnonzero(p.community == group)
            add_row(members, np.ones(members.size), -inf, float(cap))
    a = sp.csc_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, n + m)
    )
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n + m, r
    if target is None:
        lp.col_cost_ = np.concatenate([np.zeros(n), p.weight.astype(float)])
        lp.sense_ = highspy.ObjSense.kMaximize
    else:
        unit = p.cost.astype(float) if by_cost else np.ones(n)
        lp.col_cost_ = np.concatenate([unit, np.zeros(m)])
        lp.sense_ = highspy.ObjSense.kMinimize
    col_lower = np.zeros(n + m)
    col_lower[p.must] = 1.0
    lp.col_lower_, lp.col_upper_ = col_lower, np.ones(n + m)
    lp.row_lower_, lp.row_upper_ = np.array(lower), np.array(upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [highspy.HighsVarType.kContinuous] * m
    h = highspy.Highs()  # type: ignore[no-untyped-call]
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("mip_rel_gap", 1e-9)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.passModel(lp)
    if warm:
        x = np.zeros(n + m)
        x[list(warm)] = 1.0
        x[n:][np.unique(np.concatenate([p.covers(j) for j in warm]))] = 1.0
        start = highspy.HighsSolution()
        start.col_value = x.tolist()
        start.value_valid = True
        h.setSolution(start)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value)
    chosen = np.flatnonzero(values[:n] > 0.5).tolist() if values.size else list(warm)
    return _Exact(
        chosen=chosen,
        objective=float(info.objective_function_value),
        dual_bound=float(info.mip_dual_bound),
        optimal=status == highspy.HighsModelStatus.kOptimal,
        status=h.modelStatusToString(status),
    )


# ---------------------------------------------------------------------------------------
# the public entry point


def select_creators(
    graph: AudienceGraph,
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
    overhead: float = 0.0,
    weight: str | None = None,
    max_following: int | None = None,
    method: Method = "auto",
    time_limit: float = 10.0,
) -> Selection:
    """Choose creators that maximise unique reach under constraints, with a bound.

    Parameters
    ----------
    graph
        The graph; its creators are the eligible ones (narrow it with
        `AudienceGraph.subgraph` for tiers, follower counts or an id list).
    count, budget
        At most `count` creators and/or a total cost of at most `budget`.
    target_reach
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
    weight, max_following
        Weighted reach: a numeric followers column to weigh followers by, and/or a weight
        of 0 for followers following more than `max_following` creators of the store
        (likely mass-followers).
    method
        ``"greedy"`` (lazy greedy; budgets: the better of cost-effective greedy and the
        best single creator), ``"exact"`` (HiGHS integer program warm-started from greedy,
        within `time_limit` seconds), ``"auto"`` (exact when the compressed problem has at
        most 200,000 elements and 5,000 creators and the greedy picks are not already
        proven optimal by a Lagrangian-relaxation bound, computed first with a fixed
        work budget: about 3 s on 10M edges),
        ``"plain-greedy"`` (the non-lazy reference, slow).

    Notes
    -----
    Greedy reaches at least 1 - 1/e (63%) of the optimum under a count and, as the better
    of cost-effective greedy and the best single creator, at least 0.405 of it under a
    budget (Tang et al. 2021). The reported `upper_bound` is computed from the data and is
    usually far tighter than those guarantees.

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
    if count is None and budget is None and target_reach is None:
        raise ParameterError("give `count`, `budget` or `target_reach`; hint: --count 10")
    if target_reach is not None and (count is not None or budget is not None):
        raise ParameterError("`target_reach` cannot be combined with `count` or `budget`")
    if count is not None and count < 1:
        raise ParameterError(f"`count` must be at least 1, got {count}")
    if budget is not None and budget <= 0:
        raise ParameterError(f"`budget` must be positive, got {budget}")
    if target_reach is not None and not 0 < target_reach <= 1:
        raise ParameterError(f"`target_reach` is a share in (0, 1], got {target_reach}")
    if max_per_community is not None and max_per_community < 1:
        raise ParameterError(f"`max_per_community` must be at least 1, got {max_per_community}")
    if posts < 1 or overhead < 0:
        raise ParameterError("`posts` must be at least 1 and `overhead` at least 0")

    rows, must, notes = _eligible(graph, must_include, must_exclude, min_engagement)
    cost = _costs(graph, rows, price_by_tier, posts, overhead)
    community = _communities(graph, rows, communities, max_per_community)
    follower_weight = _follower_weights(graph, weight, max_following)
    # Greedy runs on the raw creators x followers incidence (free: the rows of the CSR);
    # the integer program on audience signatures. Both give the same values: the
    # compression is exact, and compressing for greedy would cost more than it saves.
    p = Problem(rows, cost, *_rows_of(graph, rows), follower_weight, community, must)
    total = p.value(np.arange(p.n))
    if count is not None and count < must.size:
        raise ParameterError(
            f"`count` ({count}) is smaller than the must-include list ({must.size})"
        )
    if budget is not None and float(cost[must].sum()) > budget:
        raise ParameterError(
            f"the must-include creators cost {cost[must].sum():,.2f}, over the budget {budget:,.2f}"
        )

    target = None if target_reach is None else target_reach * total
    by_cost = (minimize == "cost") if target is not None else budget is not None
    run = _greedy(
        p,
        count=count,
        budget=budget,
        cap=max_per_community,
        lazy=method != "plain-greedy",
        target=target,
        by_cost=by_cost,
    )
    picks, used = run.picks, "greedy" if method != "plain-greedy" else "plain-greedy"
    if budget is not None and target is None:
        single = _best_single(p, budget, max_per_community)
        if single is not None and p.value([*p.must.tolist(), single]) > p.value(picks):
            picks, used = [*p.must.tolist(), single], used + "+best-single"
            notes.append("the best single affordable creator beat cost-effective greedy")
    reach = p.value(picks)
    bound = run.bound
    cost_lb = run.cost_lower_bound if target is not None else None
    optimal = bound - reach <= 1e-9 * max(1.0, bound)
    if method == "auto" and not optimal and target is None:
        # cheap first: a Lagrangian bound often proves greedy optimal without a solver
        refined = lagrangian_bound(
            p,
            p.covered(picks),
            count=count,
            budget=budget,
            cap=max_per_community,
            lower=reach,
            seconds=time_limit,  # a safety cap; the work budget below is what stops it
            max_iterations=int(np.clip(LAGRANGIAN_WORK / max(p.elements.size, 1), 5, 500)),
        )
        if refined < bound:
            bound, used = refined, used + "+lagrangian-bound"
        optimal = bound - reach <= 1e-6 * max(1.0, bound)
    signatures = None
    if method == "exact" or (method == "auto" and not optimal and p.n <= AUTO_EXACT_CREATORS):
        signatures = compress(graph, rows, follower_weight)
        if method == "auto" and signatures[2].size > AUTO_EXACT_ELEMENTS:
            signatures = None
    if signatures is not None:
        p = Problem(rows, cost, *signatures, community, must)
        exact = _exact(
            p,
            count=count,
            budget=budget,
            cap=max_per_community,
            target=target,
            by_cost=by_cost,
            warm=picks,
            time_limit=time_limit,
        )
        if target is None:
            if p.value(exact.chosen) >= reach:
                picks, reach = exact.chosen, p.value(exact.chosen)
            bound = min(bound, exact.dual_bound) if math.isfinite(exact.dual_bound) else bound
            optimal = exact.optimal or bound - reach <= 1e-9 * max(1.0, bound)
        else:
            if p.value(exact.chosen) >= target - 1e-9 and _objective(
                p, exact.chosen, by_cost
            ) <= _objective(p, picks, by_cost):
                picks = exact.chosen
            reach = p.value(picks)
            cost_lb = max(
                cost_lb or 0.0, exact.dual_bound if math.isfinite(exact.dual_bound) else 0.0
            )
            optimal = exact.optimal
        used = f"{used}+exact ({exact.status})"
    elif target is not None:
        optimal = _objective(p, picks, by_cost) <= (cost_lb or 0.0) + 1e-9
    if target is not None and reach < target - 1e-9:
        optimal = False  # a cover that misses its target is no answer, however cheap
        notes.append("the target reach cannot be met under these constraints")
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
        "overhead": overhead,
        "weight": weight,
        "max_following": max_following,
        "eligible_creators": p.n,
    }
    ordered = (
        list(zip(run.picks, run.gains, strict=True))
        if picks == run.picks
        else _in_gain_order(p, picks)
    )
    frame = _picks_frame(graph, p, ordered)
    return Selection(
        picks=frame,
        reach=reach,
        eligible_reach=total,
        total_cost=float(p.cost[picks].sum()),
        upper_bound=max(bound, reach),
        method=used,
        optimal=bool(optimal),
        constraints=constraints,
        evaluations=run.evaluations,
        n_elements=p.m,
        n_eligible=p.n,
        cost_lower_bound=cost_lb,
        seconds=time.perf_counter() - started,
        notes=notes,
    )


def _objective(p: Problem, chosen: Sequence[int], by_cost: bool) -> float:
    return float(p.cost[list(chosen)].sum()) if by_cost else float(len(chosen))


def _best_single(p: Problem, budget: float, cap: int | None) -> int | None:
    """The affordable creator that adds most to the must-includes."""
    gains = p.gains(p.covered(p.must))
    room = budget - float(p.cost[p.must].sum())
    ok = p.cost <= room * (1 + 1e-12)
    ok[p.must] = False
    if cap is not None and p.must.size:
        full = [
            g
            for g in np.unique(p.community[p.must])
            if g >= 0 and (p.community[p.must] == g).sum() >= cap
        ]
        ok &= ~np.isin(p.community, full)
    if not ok.any():
        return None
    gains = np.where(ok, gains, -1.0)
    return int(np.argmax(gains))


def _in_gain_order(p: Problem, chosen: Sequence[int]) -> list[tuple[int, float]]:
    """Chosen creators in greedy order of marginal gain (must-includes first)."""
    chosen = list(dict.fromkeys(int(j) for j in chosen))
    must = [j for j in p.must.tolist() if j in chosen]
    rest = [j for j in chosen if j not in must]
    covered = np.zeros(p.m, dtype=bool)
    out = []
    for j in must:
        cov = p.covers(j)
        out.append((j, float(p.weight[cov][~covered[cov]].sum())))
        covered[cov] = True
    while rest:
        gains = [float(p.weight[p.covers(j)][~covered[p.covers(j)]].sum()) for j in rest]
        best = int(np.argmax(gains))
        j = rest.pop(best)
        out.append((j, gains[best]))
        covered[p.covers(j)] = True
    return out


def _picks_frame(
    graph: AudienceGraph, p: Problem, ordered: list[tuple[int, float]]
) -> pl.DataFrame:
    local = np.array([j for j, _ in ordered], dtype=np.int64)
    dense = p.index[local] if local.size else np.zeros(0, dtype=np.int64)
    marginal = np.array([g for _, g in ordered], dtype=np.float64)
    cost = p.cost[local] if local.size else np.zeros(0)
    total = float(p.weight.sum())
    frame = pl.DataFrame(
        {
            "rank": np.arange(1, local.size + 1, dtype=np.int64),
            s.CREATOR_ID: graph.creator_ids(dense),
            s.TIER: graph.creators[s.TIER].gather(dense),
            s.FOLLOWERS: graph.degrees[dense].astype(np.int64),
            "cost": cost,
            "marginal_reach": marginal,
            "reach": np.cumsum(marginal),
            "total_cost": np.cumsum(cost),
            "reach_share": np.cumsum(marginal) / total if total else np.zeros(local.size),
        }
    )
    if (p.community >= 0).any():
        frame = frame.with_columns(pl.Series("community", p.community[local]).cast(pl.Int64))
    return frame


# ---------------------------------------------------------------------------------------
# eligibility, costs, communities, weights


def _eligible(
    graph: AudienceGraph,
    must_include: Sequence[CreatorId],
    must_exclude: Sequence[CreatorId],
    min_engagement: float | None,
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    notes: list[str] = []
    keep = graph.degrees > 0
    if min_engagement is not None:
        if "engagement_rate" not in graph.creators.columns:
            raise SchemaError(
                "`min_engagement` needs an `engagement_rate` creators column; hint: ingest "
                "with --creators FILE holding engagement_rate"
            )
        rate = graph.creators["engagement_rate"].fill_null(-1.0).to_numpy()
        keep &= rate >= min_engagement
    excluded = graph.creator_index(must_exclude) if must_exclude else np.zeros(0, dtype=np.int64)
    forced = graph.creator_index(must_include) if must_include else np.zeros(0, dtype=np.int64)
    clash = set(excluded.tolist()) & set(forced.tolist())
    if clash:
        ids = graph.creator_ids(np.array(sorted(clash))).to_list()
        raise ParameterError(f"creators {ids} are both must-include and must-exclude")
    keep[excluded] = False
    if forced.size and not keep[forced].all():
        notes.append("some must-include creators did not pass the filters; kept anyway")
    keep[forced] = True
    rows = np.flatnonzero(keep)
    if rows.size == 0:
        raise ParameterError("no eligible creator is left; hint: loosen the constraints")
    local = np.searchsorted(rows, forced)
    return rows, np.asarray(list(dict.fromkeys(local.tolist())), dtype=np.int64), notes


def _costs(
    graph: AudienceGraph,
    rows: np.ndarray,
    price_by_tier: Mapping[str, float] | None,
    posts: int,
    overhead: float,
) -> np.ndarray:
    prices = dict(s.DEFAULT_PRICE_BY_TIER) | dict(price_by_tier or {})
    for tier in prices:
        if tier not in s.TIERS:
            raise ParameterError(
                f"unknown tier `{tier}` in the price table{did_you_mean(tier, s.TIERS)}"
            )
    creators = graph.creators[rows]
    by_tier = creators[s.TIER].replace_strict(prices, return_dtype=pl.Float64)
    price = (
        creators["cost"].cast(pl.Float64).fill_null(by_tier)
        if "cost" in creators.columns
        else by_tier
    )
    cost = price.to_numpy() * posts + overhead
    bad = np.flatnonzero(~(cost > 0))
    if bad.size:
        cid = graph.creator_ids(rows[bad[:1]]).to_list()[0]
        raise ParameterError(
            f"creator {cid!r} costs {cost[bad[0]]}; costs must be positive; hint: fix its "
            "`cost` or pass --overhead"
        )
    return np.asarray(cost, dtype=np.float64)


def _communities(
    graph: AudienceGraph,
    rows: np.ndarray,
    communities: str | pl.DataFrame | Mapping[Any, Any] | None,
    cap: int | None,
) -> np.ndarray:
    if communities is None:
        if cap is not None:
            raise ParameterError("`max_per_community` needs `communities` (a column or a result)")
        return np.full(rows.size, -1, dtype=np.int64)
    ids = graph.creator_ids(rows)
    if isinstance(communities, str):
        if communities not in graph.creators.columns:
            raise SchemaError(
                f"no creators column `{communities}`"
                f"{did_you_mean(communities, graph.creators.columns)}"
            )
        labels = graph.creators[communities].gather(rows)
    else:
        pairs = (
            zip(
                communities[s.CREATOR_ID].to_list(), communities["community"].to_list(), strict=True
            )
            if isinstance(communities, pl.DataFrame)
            else communities.items()
        )
        mapping = {str(k): v for k, v in pairs}  # ids compared as text: 7 and "7" match
        labels = pl.Series([mapping.get(str(c)) for c in ids.to_list()])
    codes = labels.cast(pl.String).rank("dense").fill_null(0).to_numpy().astype(np.int64) - 1
    return codes


def _follower_weights(
    graph: AudienceGraph, weight: str | None, max_following: int | None
) -> np.ndarray:
    w = np.ones(graph.n_followers)
    if weight is not None:
        if weight not in graph.followers.columns:
            raise SchemaError(
                f"no followers column `{weight}`{did_you_mean(weight, graph.followers.columns)}"
            )
        col = graph.followers[weight]
        if not col.dtype.is_numeric():
            raise SchemaError(f"followers column `{weight}` must be numeric, it is {col.dtype}")
        w = col.cast(pl.Float64).fill_null(0.0).to_numpy()
        if (w < 0).any():
            raise SchemaError(f"followers column `{weight}` has negative weights")
    if max_following is not None:
        w = np.where(graph.followers[s.FOLLOWING].to_numpy() > max_following, 0.0, w)
    return w
