"""The wall-clock limit of one selection, shared by every phase (greedy, bounds, solver)."""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["Deadline"]


@dataclass(frozen=True)
class Deadline:
    """A moment on the monotonic clock by which a selection must be done.

    Each phase asks how much time is `left` and takes no more; the solver is interrupted
    when it passes (see `graph_engine.selection.exact`).

    Examples
    --------
    >>> clock = Deadline.after(60.0)
    >>> 59 < clock.left() <= 60, clock.passed
    (True, False)
    """

    end: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """Return the deadline `seconds` from now."""
        return cls(time.perf_counter() + seconds)

    def left(self) -> float:
        """Return the seconds left (0 once passed)."""
        return max(0.0, self.end - time.perf_counter())

    @property
    def passed(self) -> bool:
        """Whether no time is left."""
        return self.left() <= 0.0
