"""Selection: the fewest, cheapest creators for the most unique reach, with a bound.

The problem is weighted maximum coverage (or, for a target reach, partial set cover) over
followers. One idea per module, each depending only on those above it:

- `constraints`: the limits (count, budget, target, community cap), one frozen record;
- `problem`: the objective (weighted coverage) and audience signatures (`compress`);
- `bounds`: upper bounds on the reach, a cost lower bound, and the optimality rule;
- `concave`: under exposure, the concave-extension bound on the expected reach;
- `greedy`: lazy greedy (CELF), plain greedy, the best single creator;
- `exact`: the HiGHS integer program;
- `result`: `Selection` and the method as typed fields (`SolveMethod`);
- `eligibility`: eligible creators, costs, communities and follower weights;
- `select`: `select_creators`, which runs them in turn.
"""

from __future__ import annotations

from graph_engine.selection.bounds import lagrangian_bound, proven, tighten
from graph_engine.selection.constraints import Constraints, Minimize
from graph_engine.selection.eligibility import creator_costs
from graph_engine.selection.problem import Problem, compress, rows_of
from graph_engine.selection.result import Selection, SolveMethod
from graph_engine.selection.select import Method, select_creators

__all__ = [
    "Constraints",
    "Method",
    "Minimize",
    "Problem",
    "Selection",
    "SolveMethod",
    "compress",
    "creator_costs",
    "lagrangian_bound",
    "proven",
    "rows_of",
    "select_creators",
    "tighten",
]
