"""A small, safe expression language for choosing followers (``following < 500``).

An expression is parsed with Python's own grammar (`ast`), and only these forms are
accepted; each becomes a polars expression, so nothing is ever evaluated as Python:

- column names, and constants (numbers, text in quotes, ``true``/``false``/``null``);
- comparisons ``==, !=, <, <=, >, >=`` (chained: ``10 <= following < 500``);
- ``in`` / ``not in`` a list of constants (``country in ["DE", "AT"]``);
- ``and``, ``or``, ``not`` and parentheses;
- ``column == null`` / ``column != null``: whether a cell is missing.

A comparison with a missing cell is false (the follower is not kept).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterable
from typing import Any

import polars as pl

from graph_engine.errors import ParameterError, did_you_mean

__all__ = ["parse_where"]

_COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_NAMED = {"true": True, "false": False, "null": None, "True": True, "False": False, "None": None}
_MAX_LENGTH = 2_000


def parse_where(text: str, columns: Iterable[str]) -> pl.Expr:
    """Turn a ``--followers-where`` expression into a polars expression (never `eval`).

    Parameters
    ----------
    text
        The expression, such as ``following < 500 and country in ["DE", "AT"]``.
    columns
        The followers table's columns (a name that is none of them is an error).

    Returns
    -------
    polars.Expr
        A boolean expression; a follower is kept where it is true (null: not kept).

    Raises
    ------
    ParameterError
        The text is not an expression of the language, or names an unknown column.

    Examples
    --------
    >>> frame = pl.DataFrame({"following": [3, 800, 40], "country": ["DE", "FR", "AT"]})
    >>> keep = parse_where('following < 500 and country in ["DE", "AT"]', frame.columns)
    >>> frame.filter(keep)["following"].to_list()
    [3, 40]
    """
    names = list(columns)
    if len(text) > _MAX_LENGTH:
        raise ParameterError(f"`--followers-where` is longer than {_MAX_LENGTH:,} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise _error(text, f"it does not parse ({exc.msg})") from None
    return _expr(tree.body, text, names)


def _expr(node: ast.AST, text: str, names: list[str]) -> pl.Expr:
    if isinstance(node, ast.BoolOp):
        parts = [_expr(v, text, names) for v in node.values]
        out = parts[0]
        for part in parts[1:]:
            out = out & part if isinstance(node.op, ast.And) else out | part
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ~_expr(node.operand, text, names)
    if isinstance(node, ast.Compare):
        return _compare(node, text, names)
    if isinstance(node, ast.Name) and node.id not in _NAMED:
        return _column(node.id, names)
    raise _error(text, f"`{ast.unparse(node)}` is not a comparison")


def _compare(node: ast.Compare, text: str, names: list[str]) -> pl.Expr:
    out: pl.Expr | None = None
    left = node.left
    for op, right in zip(node.ops, node.comparators, strict=True):
        if isinstance(op, ast.In | ast.NotIn):
            values = _values(right, text)
            part = _operand(left, text, names).is_in(values)
            part = ~part if isinstance(op, ast.NotIn) else part
        elif isinstance(op, ast.Eq | ast.NotEq) and _is_null(right) != _is_null(left):
            column = _operand(right if _is_null(left) else left, text, names)
            part = column.is_null() if isinstance(op, ast.Eq) else column.is_not_null()
        elif type(op) in _COMPARE:
            part = _COMPARE[type(op)](_operand(left, text, names), _operand(right, text, names))
        else:
            raise _error(text, f"`{ast.unparse(node)}` uses an operator the language lacks")
        out = part if out is None else out & part
        left = right
    assert out is not None
    return out


def _is_null(node: ast.AST) -> bool:
    """`null` (or `None`): compared with ``==``/``!=`` it asks whether a cell is missing."""
    return isinstance(node, ast.Name) and node.id in ("null", "None")


def _operand(node: ast.AST, text: str, names: list[str]) -> pl.Expr:
    if isinstance(node, ast.Name) and node.id not in _NAMED:
        return _column(node.id, names)
    return pl.lit(_constant(node, text))


def _constant(node: ast.AST, text: str) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str | bool):
        return node.value
    if isinstance(node, ast.Name) and node.id in _NAMED:
        return _NAMED[node.id]
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
    ):
        return -node.operand.value
    raise _error(text, f"`{ast.unparse(node)}` is not a column name or a constant")


def _values(node: ast.AST, text: str) -> list[Any]:
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return [_constant(v, text) for v in node.elts]
    raise _error(text, f"`in` needs a list of constants, got `{ast.unparse(node)}`")


def _column(name: str, names: list[str]) -> pl.Expr:
    if name not in names:
        raise ParameterError(
            f"`--followers-where`: no followers column `{name}`{did_you_mean(name, names)}; "
            f"the columns are {', '.join(names)}"
        )
    return pl.col(name)


def _error(text: str, why: str) -> ParameterError:
    return ParameterError(
        f"`--followers-where {text}`: {why}; hint: compare columns with constants, e.g. "
        '`following < 500 and country in ["DE", "AT"]`'
    )
