"""Constraints: the limits every selection must respect, as one frozen record.

A selection holds at most `count` creators, costs at most `budget`, takes at most `cap`
creators from any one community, or, for a cover, reaches at least `target` (in the units
of the element weights) as cheaply as possible. The optimisers, the bounds and the
integer program all take one `Constraints` instead of these values one by one.

The tolerances with which a selection satisfies a limit are defined here, once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from graph_engine.errors import ParameterError
from graph_engine.vocab import Minimize

__all__ = [
    "BUDGET_RTOL",
    "SPEND_FLOOR",
    "TARGET_ATOL",
    "Constraints",
    "Minimize",
    "check_cap",
    "check_limits",
]


# a spend at most this share above the budget still fits (float noise of summed costs)
BUDGET_RTOL = 1e-12
# a reach (or a reach share) at most this far below its target still meets it
TARGET_ATOL = 1e-9
# the smallest budget a cover's reach bound is taken at (a budget must be positive)
SPEND_FLOOR = 1e-300


def check_limits(*, count: int | None, budget: float | None, has_target: bool) -> None:
    """Check that the size limits make a problem, with the public error messages.

    Parameters
    ----------
    count
        At most this many creators, or None.
    budget
        At most this total cost, or None.
    has_target
        Whether a target reach is asked for instead.

    Raises
    ------
    ParameterError
        When no limit is given, a target is combined with a count or a budget, the count
        is below 1 or the budget is not a positive finite number.
    """
    if count is None and budget is None and not has_target:
        raise ParameterError("give `count`, `budget` or `target_reach`; hint: --count 10")
    if has_target and (count is not None or budget is not None):
        raise ParameterError("`target_reach` cannot be combined with `count` or `budget`")
    if count is not None and count < 1:
        raise ParameterError(f"`count` must be at least 1, got {count}")
    if budget is not None and not (budget > 0 and math.isfinite(budget)):
        raise ParameterError(f"`budget` must be a positive finite number, got {budget}")


def check_cap(cap: int | None) -> None:
    """Check a per-community cap, with the public error message.

    Parameters
    ----------
    cap
        At most this many creators per community, or None.

    Raises
    ------
    ParameterError
        When the cap is below 1.
    """
    if cap is not None and cap < 1:
        raise ParameterError(f"`max_per_community` must be at least 1, got {cap}")


@dataclass(frozen=True)
class Constraints:
    """The limits of one selection problem.

    Attributes
    ----------
    count
        At most this many creators (must-includes count), or None.
    budget
        At most this total cost (must-includes count), or None.
    target
        For a cover: the reach to attain, in the units of the element weights (not a
        share); None when maximising reach.
    cap
        At most this many creators from any one community, or None.
    by_cost
        Whether cost drives the choice: greedy ranks by gain per cost, and a cover
        minimises cost rather than the number of creators.

    Examples
    --------
    >>> limits = Constraints.of(count=5, budget=None, target=None, minimize="cost", cap=None)
    >>> limits.by_cost, limits.is_cover
    (False, False)
    >>> Constraints(count=0)
    Traceback (most recent call last):
    ...
    graph_engine.errors.ParameterError: `count` must be at least 1, got 0
    """

    count: int | None = None
    budget: float | None = None
    target: float | None = None
    cap: int | None = None
    by_cost: bool = False

    def __post_init__(self) -> None:
        """Validate the limits with the same messages as `select_creators`."""
        check_limits(count=self.count, budget=self.budget, has_target=self.target is not None)
        if self.target is not None and not self.target >= 0:
            raise ParameterError(f"`target` (a reach) must be at least 0, got {self.target}")
        check_cap(self.cap)

    @classmethod
    def of(
        cls,
        *,
        count: int | None,
        budget: float | None,
        target: float | None,
        minimize: Minimize,
        cap: int | None,
    ) -> Constraints:
        """Build the constraints of a request, deciding whether cost drives the choice.

        Parameters
        ----------
        count
            At most this many creators, or None.
        budget
            At most this total cost, or None.
        target
            The reach a cover must attain (absolute), or None.
        minimize
            What a cover minimises: ``"cost"`` or ``"count"``; ignored without a target.
        cap
            At most this many creators per community, or None.

        Returns
        -------
        Constraints
            With `by_cost` set when a cover minimises cost, or when a budget binds.
        """
        by_cost = (minimize == "cost") if target is not None else budget is not None
        return cls(count=count, budget=budget, target=target, cap=cap, by_cost=by_cost)

    @property
    def is_cover(self) -> bool:
        """Whether this is a cover (a target reach at least cost), not a reach maximum."""
        return self.target is not None

    def fits(self, spend: float) -> bool:
        """Tell whether a total spend fits the budget, up to `BUDGET_RTOL`.

        Parameters
        ----------
        spend
            The cost of a selection.

        Returns
        -------
        bool
            True without a budget.
        """
        return self.budget is None or spend <= self.budget * (1 + BUDGET_RTOL)

    def meets_target(self, reach: float) -> bool:
        """Tell whether a reach attains the target, up to `TARGET_ATOL`.

        Parameters
        ----------
        reach
            The reach of a selection.

        Returns
        -------
        bool
            True without a target.
        """
        return self.target is None or reach >= self.target - TARGET_ATOL

    def at_spend(self, spent: float) -> Constraints:
        """Return the reach limits at a given spend, for the reach bound of a cover.

        Parameters
        ----------
        spent
            The cost of the cover so far; floored at `SPEND_FLOOR`.

        Returns
        -------
        Constraints
            A budget of `spent` (same community cap), no count and no target.
        """
        return Constraints(budget=max(spent, SPEND_FLOOR), cap=self.cap, by_cost=True)
