"""The concave-extension bound on the best expected reach under exposure.

With ``a_j = -log(1 - rate_j)``, ``F(x) = sum_e w_e (1 - exp(-sum_{j covers e} a_j x_j))``
equals the expected reach at every 0/1 selection and is concave; Frank-Wolfe on it gives,
at every step, a bound on the best expected reach (`exposure_bound`).
"""

from __future__ import annotations

import math
import time

import numpy as np

from graph_engine.selection.bounds import LAGRANGIAN_ITERATIONS, Relaxed, proven
from graph_engine.selection.constraints import Constraints
from graph_engine.selection.problem import Problem

__all__ = ["LINE_SEARCH_STEPS", "RATE_CEILING", "exposure_bound"]

# the concave-extension bound treats a reach rate of 1 as 1 - this (and adds it back)
RATE_CEILING = 1e-12
# Newton steps of the concave bound's line search
LINE_SEARCH_STEPS = 6


def exposure_bound(
    p: Problem,
    limits: Constraints,
    start: list[int],
    *,
    lower: float,
    seconds: float,
    max_iterations: int = LAGRANGIAN_ITERATIONS,
) -> float:
    """Bound the best expected reach by the concave extension of the objective.

    With ``a_j = -log(1 - rate_j)``, ``F(x) = sum_e w_e (1 - exp(-sum_{j covers e} a_j
    x_j))`` equals the expected reach at every 0/1 selection and is concave, so for any
    fractional ``x`` of the relaxed constraints (as in `lagrangian`) and the best ``y``
    for its gradient, ``F(x) + grad F(x) . (y - x)`` bounds the best expected reach
    (the Frank-Wolfe duality gap). Starting from the greedy picks, Frank-Wolfe steps with
    a Newton line search move ``x`` towards the relaxed maximum; the smallest
    bound seen is returned. It stops once `proven` holds for `lower`, after
    `max_iterations`, or after `seconds`.

    Parameters
    ----------
    p
        The problem, with reach rates.
    limits
        The count or the budget, and the community cap (a count takes precedence).
    start
        A feasible selection (the greedy picks).
    lower
        An expected reach attained under the same constraints.
    seconds
        A safety cap on the time.
    max_iterations
        At most this many Frank-Wolfe steps.

    Returns
    -------
    float
        The bound (a rate of 1 is taken as ``1 - RATE_CEILING``, whose effect, at most
        ``RATE_CEILING`` per unit of weight, is added back).
    """
    assert p.rate is not None
    deadline = time.perf_counter() + seconds
    a = -np.log1p(-np.minimum(p.rate, 1.0 - RATE_CEILING))
    w = p.weight
    must = np.zeros(p.n, dtype=bool)
    must[p.must] = True
    relaxed = Relaxed(p, limits, np.zeros(0, dtype=np.int64), must)  # for best_x only

    nonempty = np.flatnonzero(np.diff(p.ptr) > 0)

    def exposure(x: np.ndarray) -> np.ndarray:  # sum_j a_j x_j per element (x is sparse)
        out = np.zeros(p.m)
        for j in np.flatnonzero(x).tolist():
            out[p.covers(j)] += a[j] * x[j]
        return out

    def gradient(offered: np.ndarray) -> np.ndarray:  # a_j * what j's elements offer
        out = np.zeros(p.n)
        if nonempty.size:  # contiguous segments: reduceat is exact (as in Problem.gains)
            out[nonempty] = np.add.reduceat(offered[p.elements], p.ptr[nonempty])
        grad: np.ndarray = a * out
        return grad

    def value(s: np.ndarray) -> float:
        return float((w * -np.expm1(-s)).sum())

    x = np.zeros(p.n)
    x[start] = 1.0
    s = exposure(x)
    best, slowest = math.inf, 0.0
    for _ in range(max_iterations):
        began = time.perf_counter()
        grad = gradient(w * np.exp(-s))
        y = relaxed.best_x(grad)
        best = min(best, value(s) + float(grad @ (y - x)))
        if proven(lower, best, integral=False):
            break
        towards = exposure(y) - s
        moved = np.flatnonzero(towards)  # the line search needs only the elements that move
        step = _line_search(w[moved], s[moved], towards[moved])
        x, s = x + step * (y - x), s + step * towards
        slowest = max(slowest, time.perf_counter() - began)
        if time.perf_counter() + slowest > deadline:  # no step that would overrun
            break
    return best + float(w.sum()) * RATE_CEILING


def _line_search(w: np.ndarray, s: np.ndarray, t: np.ndarray) -> float:
    """Maximise ``phi(g) = sum w (1 - exp(-(s + g t)))`` over g in [0, 1].

    `phi` is concave, so its slope falls; safeguarded Newton steps on the slope (one pass
    gives slope and curvature) keep a bracket where the slope changes sign.
    """

    def slope(g: float) -> tuple[float, float]:
        e = w * t * np.exp(-(s + g * t))
        return float(e.sum()), float(-(e * t).sum())

    lo, hi = 0.0, 1.0
    if slope(hi)[0] >= 0:
        return hi
    if slope(lo)[0] <= 0:
        return lo
    g = 0.5
    for _ in range(LINE_SEARCH_STEPS):
        d, dd = slope(g)
        lo, hi = (g, hi) if d > 0 else (lo, g)
        newton = g - d / dd if dd < 0 else (lo + hi) / 2
        g = newton if lo < newton < hi else (lo + hi) / 2
    return g
