"""Exact: an integer program (HiGHS) on the compressed problem, warm-started from greedy.

``x_j`` in {0, 1} per creator, ``0 <= y_e <= 1`` per element, ``y_e <= sum_{j covers e}
x_j``. Reach modes maximise ``sum w_e y_e``; a cover minimises cost (or count) subject to
``sum w_e y_e >= target``. `highspy` is imported when a program is solved, not before.
"""

from __future__ import annotations

import atexit
import math
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from graph_engine.selection.bounds import GAP_RTOL
from graph_engine.selection.clock import Deadline
from graph_engine.selection.constraints import Constraints
from graph_engine.selection.problem import Problem

__all__ = [
    "BINARY_THRESHOLD",
    "MIN_SOLVER_SECONDS",
    "SOLVER_GRACE",
    "SOLVER_RTOL",
    "ExactSolution",
    "solve_exact",
]

# a creator variable above this in the solver's answer is chosen
BINARY_THRESHOLD = 0.5
# the objective the solver reports and that of the solution it returns may differ by this
# (relative to max(1, |objective|)): its feasibility tolerances, not a wrong answer
SOLVER_RTOL = 1e-6
# HiGHS refuses a time limit of 0; the interrupt enforces the deadline itself
MIN_SOLVER_SECONDS = 0.01
# seconds past the deadline after which a solver that has not stopped is left behind
SOLVER_GRACE = 1.0


@dataclass(frozen=True)
class ExactSolution:
    """What the solver found.

    Attributes
    ----------
    chosen
        Local creator ids of the best solution found (the warm start if none).
    objective
        Its objective value.
    dual_bound
        The solver's bound on the optimum (may be infinite).
    optimal
        Whether the solver proved the solution optimal.
    status
        The solver's model status text, e.g. ``"Optimal"``.
    """

    chosen: list[int]
    objective: float
    dual_bound: float
    optimal: bool
    status: str


@dataclass
class _Rows:
    """The constraint matrix in triplets, with the row bounds, built row block by block."""

    rows: list[np.ndarray]
    cols: list[np.ndarray]
    vals: list[np.ndarray]
    lower: list[float]
    upper: list[float]

    def add(self, columns: np.ndarray, values: np.ndarray, lo: float, hi: float) -> None:
        """Append one row."""
        self.rows.append(np.full(columns.size, len(self.lower)))
        self.cols.append(columns)
        self.vals.append(values)
        self.lower.append(lo)
        self.upper.append(hi)

    def matrix(self, n_cols: int) -> sp.csc_array:
        """Return the matrix, column-wise."""
        return sp.csc_array(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(len(self.lower), n_cols),
        )


def _constraint_rows(p: Problem, limits: Constraints, inf: float) -> _Rows:
    """Coverage rows ``y_e - sum_{j covers e} x_j <= 0``, then count, budget, target, caps."""
    n, m = p.n, p.m
    x_cols = np.repeat(np.arange(n), np.diff(p.ptr))
    out = _Rows(
        rows=[p.elements, np.arange(m)],
        cols=[x_cols, n + np.arange(m)],
        vals=[np.full(p.elements.size, -1.0), np.ones(m)],
        lower=[-inf] * m,
        upper=[0.0] * m,
    )
    if limits.count is not None:
        out.add(np.arange(n), np.ones(n), -inf, float(limits.count))
    if limits.budget is not None:
        out.add(np.arange(n), p.cost.astype(float), -inf, float(limits.budget))
    if limits.target is not None:
        out.add(n + np.arange(m), p.weight.astype(float), float(limits.target), inf)
    if limits.cap is not None:
        for group in np.unique(p.community[p.community >= 0]).tolist():
            members = np.flatnonzero(p.community == group)
            out.add(members, np.ones(members.size), -inf, float(limits.cap))
    return out


def _program(highspy: Any, p: Problem, limits: Constraints) -> Any:
    """Build the integer program as a `highspy.HighsLp`."""
    n, m = p.n, p.m
    rows = _constraint_rows(p, limits, highspy.kHighsInf)
    a = rows.matrix(n + m)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n + m, len(rows.lower)
    if limits.target is None:
        lp.col_cost_ = np.concatenate([np.zeros(n), p.weight.astype(float)])
        lp.sense_ = highspy.ObjSense.kMaximize
    else:
        unit = p.unit_spend(by_cost=limits.by_cost)
        lp.col_cost_ = np.concatenate([unit, np.zeros(m)])
        lp.sense_ = highspy.ObjSense.kMinimize
    col_lower = np.zeros(n + m)
    col_lower[p.must] = 1.0
    lp.col_lower_, lp.col_upper_ = col_lower, np.ones(n + m)
    lp.row_lower_, lp.row_upper_ = np.array(rows.lower), np.array(rows.upper)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    lp.integrality_ = [highspy.HighsVarType.kInteger] * n + [highspy.HighsVarType.kContinuous] * m
    return lp


def _warm_start_values(p: Problem, warm: Sequence[int]) -> np.ndarray:
    """Return the column values of the picks `warm`: each pick and what it covers at 1."""
    x = np.zeros(p.n + p.m)
    x[list(warm)] = 1.0
    x[p.n :][p.covered(warm)] = 1.0
    return x


def _warm_start(highspy: Any, p: Problem, warm: Sequence[int]) -> Any:
    """Express the greedy picks, and what they cover, as a `highspy.HighsSolution`."""
    start = highspy.HighsSolution()
    start.col_value = _warm_start_values(p, warm).tolist()
    start.value_valid = True
    return start


def solve_exact(
    p: Problem, limits: Constraints, *, warm: Sequence[int], deadline: Deadline
) -> ExactSolution:
    """Solve the integer program with HiGHS (one thread, fixed seed), warm-started.

    The solver stops at `deadline` (its own time limit, and an interrupt checked at
    every simplex, interior-point and branch-and-bound callback) with the best solution
    and bound it has.

    The solver's answer is checked against its own solution: when the objective it reports
    is not the objective of the solution it returns (HiGHS 1.16 can lose the presolve
    offset of a MIP start, and then also misplaces its bound), the program is solved
    again without the warm start.

    Parameters
    ----------
    p
        The problem (compressed: elements are audience signatures).
    limits
        The constraints; with a target, the program is a cover.
    warm
        Local creator ids of a feasible start (the greedy picks); may be empty.
    deadline
        When the solver must stop (a retry gets only what is left).

    Returns
    -------
    ExactSolution
        The best solution found and the solver's bound and status.
    """
    import highspy

    lp = _program(highspy, p, limits)
    solution, consistent = _run(highspy, p, lp, warm, deadline)
    if warm and not consistent and not deadline.passed:
        solution, _ = _run(highspy, p, lp, (), deadline)
    return solution


def _run(
    highspy: Any, p: Problem, lp: Any, warm: Sequence[int], deadline: Deadline
) -> tuple[ExactSolution, bool]:
    """Run HiGHS once; also tell whether its objective is that of its solution."""
    h = _new_highs(highspy)
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(deadline.left(), MIN_SOLVER_SECONDS))

    seen: dict[str, Any] = {}  # the last bound and solution the callbacks saw

    def stop_at_deadline(event: Any) -> None:
        if deadline.passed:
            event.interrupt()

    def note_mip(event: Any) -> None:
        seen["dual"] = float(event.data_out.mip_dual_bound)
        seen["primal"] = float(event.data_out.mip_primal_bound)
        stop_at_deadline(event)

    def note_solution(event: Any) -> None:
        seen["x"] = np.array(event.data_out.mip_solution, dtype=float)

    h.cbSimplexInterrupt += stop_at_deadline
    h.cbIpmInterrupt += stop_at_deadline
    h.cbMipInterrupt += note_mip
    h.cbMipImprovingSolution += note_solution
    h.setOptionValue("mip_rel_gap", GAP_RTOL)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 0)
    h.passModel(lp)
    if warm:
        h.setSolution(_warm_start(highspy, p, warm))
    solver = threading.Thread(target=h.run, name="highs", daemon=True)
    solver.start()
    solver.join(deadline.left() + SOLVER_GRACE)
    if solver.is_alive():  # in a phase that checks no clock (root cut separation): leave it
        h.disableCallbacks()  # it must not call back into Python as the process ends
        _LEFT_BEHIND.append(solver)
        return _left_behind(p, lp, warm, seen), True
    status = h.getModelStatus()
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value)
    chosen = (
        np.flatnonzero(values[: p.n] > BINARY_THRESHOLD).tolist() if values.size else list(warm)
    )
    objective = float(info.objective_function_value)
    consistent = True
    if values.size and math.isfinite(objective):
        own = float(np.dot(np.asarray(lp.col_cost_, dtype=float), values))
        consistent = abs(own - objective) <= SOLVER_RTOL * max(1.0, abs(own))
    solution = ExactSolution(
        chosen=chosen,
        objective=objective,
        dual_bound=float(info.mip_dual_bound),
        optimal=status == highspy.HighsModelStatus.kOptimal,
        status="Time limit reached"
        if status == highspy.HighsModelStatus.kInterrupt
        else h.modelStatusToString(status),
    )
    return solution, consistent


def _new_highs(highspy: Any) -> Any:
    """Make a `highspy.Highs`; the banner HiGHS prints once per process goes to stderr.

    Results on stdout (a library user's JSON, a notebook cell) must not start with it.
    """
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no file descriptor 1
        return highspy.Highs()
    try:
        os.dup2(2, 1)
        return highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


_LEFT_BEHIND: list[threading.Thread] = []


@atexit.register
def _settle_left_behind() -> None:
    """Give solvers left behind a moment to finish before the interpreter shuts down.

    A solver thread that returns into a finalising interpreter aborts the process; one
    still computing is simply ended with it.
    """
    for solver in _LEFT_BEHIND:
        solver.join(SOLVER_GRACE)


def _left_behind(p: Problem, lp: Any, warm: Sequence[int], seen: dict[str, Any]) -> ExactSolution:
    """Answer with what the callbacks last reported, when the solver overran its deadline.

    The solver thread is left to finish on its own (a daemon: it does not keep the
    process alive). Its best solution so far (else the warm start) is returned, with the
    last bound it reported only when the objective it reported with it is that solution's
    own (see `solve_exact`); else no bound.
    """
    x = seen.get("x")
    if x is None or x.size != p.n + p.m:
        x = _warm_start_values(p, warm)
    own = float(np.dot(np.asarray(lp.col_cost_, dtype=float), x))
    primal = seen.get("primal", math.nan)
    consistent = math.isfinite(primal) and abs(own - primal) <= SOLVER_RTOL * max(1.0, abs(own))
    return ExactSolution(
        chosen=np.flatnonzero(x[: p.n] > BINARY_THRESHOLD).tolist(),
        objective=own,
        dual_bound=seen.get("dual", math.nan) if consistent else math.nan,
        optimal=False,
        status="Time limit reached",
    )
