"""The result of a selection: picks, reach, cost, bounds, and how they were found."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import polars as pl

from graph_engine import schema as s
from graph_engine.names import Creators, creator_columns
from graph_engine.outputs import money
from graph_engine.selection.constraints import TARGET_ATOL
from graph_engine.selection.problem import Problem

__all__ = ["Bound", "Optimiser", "Selection", "SolveMethod", "Solver", "picks_frame"]

Optimiser = Literal["greedy", "plain-greedy"]
Bound = Literal["greedy", "lagrangian", "concave"]
Solver = Literal["highs"]


@dataclass(frozen=True)
class SolveMethod:
    """How a selection was found and bounded, as typed fields.

    Attributes
    ----------
    optimiser
        ``"greedy"`` (lazy) or ``"plain-greedy"``.
    best_single
        Whether the best single affordable creator beat cost-effective greedy.
    swaps
        How many one-out, greedy-refill swaps improved the greedy picks.
    bound
        The upper bound that held before any solver ran: ``"greedy"`` (the data bound
        along the greedy run), ``"lagrangian"`` (tightened by Lagrangian relaxation) or,
        under exposure, ``"concave"`` (tightened by the concave extension).
    solver
        ``"highs"`` when the integer program was solved, else None.
    status
        The solver's model status text (e.g. ``"Optimal"``), None without a solver.
    proven
        Whether the selection is proven optimal (the cheapest, for a target reach).

    Examples
    --------
    >>> SolveMethod("greedy", bound="lagrangian", solver="highs", status="Optimal").text
    'greedy+lagrangian-bound+exact (Optimal)'
    """

    optimiser: Optimiser
    best_single: bool = False
    swaps: int = 0
    bound: Bound = "greedy"
    solver: Solver | None = None
    status: str | None = None
    proven: bool = False

    @property
    def text(self) -> str:
        """The method as one ``+``-joined label, e.g. ``"greedy+best-single"``."""
        parts: list[str] = [self.optimiser]
        if self.best_single:
            parts.append("best-single")
        if self.swaps:
            parts.append("swaps")
        if self.bound != "greedy":
            parts.append(f"{self.bound}-bound")
        if self.solver is not None:
            parts.append(f"exact ({self.status})")
        return "+".join(parts)

    def __str__(self) -> str:
        """Return the label (`text`)."""
        return self.text

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class Selection:
    """The chosen creators, in pick order, with reach, cost and how close to optimal.

    `upper_bound` bounds the best reach any selection satisfying the same constraints
    could have (at the same count or budget; at the same spend for a target reach), so
    ``reach >= (1 - gap) * optimum``. For a target reach, `cost_lower_bound` bounds the
    cheapest selection reaching the target.

    Attributes
    ----------
    picks
        One row per creator in pick order: rank, ids, cost, marginal and running reach.
    reach
        Unique reach (weighted) of the picks.
    eligible_reach
        Reach of every eligible creator together.
    total_cost
        Cost of the picks.
    upper_bound
        Upper bound on the best reach (floored when every weight is an integer).
    solve
        How the selection was found and bounded.
    constraints
        The request, for reports.
    evaluations
        Marginal gains computed by greedy.
    n_elements
        Elements of the last problem solved (followers, or audience signatures).
    n_eligible
        Eligible creators.
    cost_lower_bound
        For a target reach: lower bound on the cheapest cost (or count); else None.
    seconds
        Wall time.
    notes
        Remarks for the user.
    frequency
        Followers the picks reach exactly 1, 2, 3 and 4+ times (`audience.frequency_of`).
    total_reach
        With people excluded (`exclusion.Exclusion`), everyone the picks reach, excluded
        people included (`reach` counts only the others); else None.
    expected_reach
        Under exposure (a reach rate): the expected reach of the picks, which the
        selection maximises and `upper_bound` bounds (`reach` then counts everyone the
        picks can reach); else None.
    eligible_expected_reach
        Under exposure: the expected reach of every eligible creator together.
    """

    picks: pl.DataFrame
    reach: float
    eligible_reach: float
    total_cost: float
    upper_bound: float
    solve: SolveMethod
    constraints: dict[str, Any]
    evaluations: int
    n_elements: int
    n_eligible: int
    cost_lower_bound: float | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    total_reach: int | None = None
    frequency: pl.DataFrame | None = None
    expected_reach: float | None = None
    eligible_expected_reach: float | None = None

    @property
    def method(self) -> str:
        """The method as one label, e.g. ``"greedy+lagrangian-bound+exact (Optimal)"``."""
        return self.solve.text

    @property
    def optimal(self) -> bool:
        """Whether the selection is proven optimal (the cheapest, for a target reach)."""
        return self.solve.proven

    @property
    def curve(self) -> pl.DataFrame:
        """Reach (and expected reach) vs number of creators and vs spend, in pick order."""
        expected = ["expected_reach"] if "expected_reach" in self.picks.columns else []
        return self.picks.select("rank", "reach", *expected, "total_cost", "reach_share")

    @property
    def reach_share(self) -> float:
        """Reach as a share of the eligible creators' combined audience."""
        return self.reach / self.eligible_reach if self.eligible_reach else 0.0

    @property
    def objective(self) -> float:
        """The figure the selection maximises and `upper_bound` bounds.

        The expected reach under exposure, else the reach.
        """
        return self.reach if self.expected_reach is None else self.expected_reach

    @property
    def objective_share(self) -> float:
        """The objective as a share of all eligible creators' (what a target is of)."""
        if self.expected_reach is None:
            return self.reach_share
        whole = self.eligible_expected_reach or 0.0
        return self.expected_reach / whole if whole else 0.0

    @property
    def gap(self) -> float:
        """(upper bound - objective) / upper bound: the selection is within this of optimal."""
        return (
            max(0.0, (self.upper_bound - self.objective) / self.upper_bound)
            if self.upper_bound
            else 0.0
        )

    def summary(self) -> str:
        """Describe the result in one line: reach, picks, cost, and how close to optimal.

        Returns
        -------
        str
            The line.
        """
        target = self.constraints.get("target_reach")
        if target is not None and self.objective_share < target - TARGET_ATOL:
            return (
                f"{self._reached()}; the target of {100 * target:.1f}% cannot be met "
                f"under these constraints (method {self.method})"
            )
        if self.cost_lower_bound is not None:  # target reach: how close to the cheapest
            return self._cover_summary(self.cost_lower_bound)
        best = "optimal" if self.expected_reach is None else "the best expected reach"
        status = "optimal (proven)" if self.optimal else f"within {100 * self.gap:.2f}% of {best}"
        return (
            f"{self._reached()}; {status} (upper bound {_num(self.upper_bound)}, "
            f"method {self.method})"
        )

    def _reached(self) -> str:
        """Describe picks, reach, share and cost: the start of every summary."""
        total = "" if self.total_reach is None else f", {_num(self.total_reach)} in all"
        expected = (
            ""
            if self.expected_reach is None
            else f"; expected {'weighted ' if self.constraints.get('weight') else ''}reach "
            f"{_num(round(self.expected_reach, 1))} ({100 * self.objective_share:.1f}% of the "
            f"eligible expected reach; {self.constraints.get('exposure')})"
        )
        return (
            f"{self.picks.height} creators reach {self._amount(self.reach)}"
            f"{total} ({100 * self.reach_share:.1f}% of the eligible audience) for "
            f"{money(self.total_cost, self.currency)}{expected}"
        )

    @property
    def unit(self) -> str:
        """What `reach` counts: unique followers, or a weighted total (never called people)."""
        weight = self.constraints.get("weight")
        return "unique followers" if weight is None else f"weighted reach (sum of `{weight}`)"

    def _amount(self, value: float) -> str:
        if self.constraints.get("weight") is None:
            return f"{_num(value)} unique followers"
        return f"a {self.unit} of {_num(value)}"

    @property
    def currency(self) -> str:
        """The currency of the costs (a symbol or code), as given to the selection."""
        return str(self.constraints.get("currency") or "$")

    def _cover_summary(self, lb: float) -> str:
        """Summarise a cover that meets its target, with its cost lower bound."""
        by_cost = self.constraints.get("minimize") == "cost"
        spent = self.total_cost if by_cost else float(self.picks.height)
        if not by_cost and math.isfinite(lb):  # a count: no plan uses a fraction of one
            lb = float(math.ceil(lb - 1e-9))
        status = (
            "the cheapest possible (proven)"
            if self.optimal
            else f"at most {100 * (spent - lb) / lb:.1f}% above the cheapest possible"
            if 0 < lb < math.inf
            else "no useful lower bound"
        )
        return (
            f"{self._reached()}; {status} (lower bound "
            f"{money(lb, self.currency) if by_cost else f'{lb:,.2f} creators'}, "
            f"method {self.method})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return every figure of the result as a dict (JSON-ready after `to_jsonable`).

        Returns
        -------
        dict
            Keys ``picks``, ``reach``, ..., ``method`` (the label) and ``solve`` (the
            method as typed fields).
        """
        return {
            "picks": self.picks,
            **({"frequency": self.frequency} if self.frequency is not None else {}),
            "reach": self.reach,
            "reach_share": self.reach_share,
            "eligible_reach": self.eligible_reach,
            "total_cost": self.total_cost,
            "upper_bound": self.upper_bound,
            "gap": self.gap,
            "cost_lower_bound": self.cost_lower_bound,
            **({"total_reach": self.total_reach} if self.total_reach is not None else {}),
            **(
                {
                    "expected_reach": self.expected_reach,
                    "eligible_expected_reach": self.eligible_expected_reach,
                    "expected_reach_share": self.objective_share,
                }
                if self.expected_reach is not None
                else {}
            ),
            "optimal": self.optimal,
            "method": self.method,
            "solve": self.solve.to_dict(),
            "constraints": self.constraints,
            "evaluations": self.evaluations,
            "n_eligible": self.n_eligible,
            "n_elements": self.n_elements,
            "notes": self.notes,
            "curve": self.curve,
        }


def _num(x: float) -> str:
    """Format a whole number without decimals, else with one."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"


def picks_frame(
    graph: Creators,
    p: Problem,
    ordered: list[tuple[int, float]],
    labels: pl.Series | None = None,
    *,
    exposed: bool = False,
) -> pl.DataFrame:
    """Build the picks table: one row per creator with its cost and running reach.

    Parameters
    ----------
    graph
        The graph (for ids, tiers and follower counts).
    p
        The problem the picks refer to (local ids).
    ordered
        Local creator ids in pick order, each with its marginal gain.
    labels
        The community label of every community code (`community_codes`); the
        `community` column shows these, as given.
    exposed
        Under exposure: add the expected columns (the gains of `ordered`).

    Returns
    -------
    polars.DataFrame
        Columns rank, creator_id, tier, followers, cost, marginal_reach, reach,
        total_cost, reach_share, under exposure marginal_expected_reach and
        expected_reach (the gains of `ordered`; reach then counts everyone the picks can
        reach), and community when there are communities.
    """
    local = np.array([j for j, _ in ordered], dtype=np.int64)
    dense = p.index[local] if local.size else np.zeros(0, dtype=np.int64)
    gains = np.array([g for _, g in ordered], dtype=np.float64)
    marginal = gains if p.rate is None else _plain_gains(p, local)
    cost = p.cost[local] if local.size else np.zeros(0)
    total = float(p.weight.sum())
    frame = pl.DataFrame(
        {
            "rank": np.arange(1, local.size + 1, dtype=np.int64),
            **creator_columns(graph.creators, dense),
            s.TIER: graph.creators[s.TIER].gather(dense),
            s.FOLLOWERS: graph.degrees[dense].astype(np.int64),
            "cost": cost,
            "marginal_reach": marginal,
            "reach": np.cumsum(marginal),
            "total_cost": np.cumsum(cost),
            "reach_share": np.cumsum(marginal) / total if total else np.zeros(local.size),
        }
    )
    if bool(np.all(p.weight == np.round(p.weight))):  # whole people: integers in every file
        frame = frame.with_columns(pl.col("marginal_reach", "reach").round().cast(pl.Int64))
    if exposed:  # what the selection maximised (the plain gains for a rate of 1)
        frame = frame.with_columns(
            pl.Series("marginal_expected_reach", gains),
            pl.Series("expected_reach", np.cumsum(gains)),
        )
    if (p.community >= 0).any():
        codes = pl.Series(p.community[local] if local.size else np.zeros(0, dtype=np.int64))
        shown = codes if labels is None else labels.gather(codes.set(codes < 0, None))
        frame = frame.with_columns(shown.alias("community"))
    return frame


def _plain_gains(p: Problem, local: np.ndarray) -> np.ndarray:
    """Return what each pick adds to the people the picks can reach at all, in order."""
    plain = replace(p, rate=None)
    left = plain.unreached()
    out = np.zeros(local.size)
    for i, j in enumerate(local.tolist()):
        out[i] = plain.marginal(left, j)
        plain.take(left, j)
    return out
