"""Defaults read from the library's own signatures, so the CLI and job files never copy them.

`default_of` takes the function, or (for the CLI, whose ``--help`` must not load the
engine) its dotted name: then the default is read from the module's source, following
module-level names and imports, without importing anything.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["default_of"]


def default_of(function: Callable[..., Any] | str, parameter: str) -> Any:
    """Return the default value of one keyword parameter of a library function.

    Parameters
    ----------
    function
        A library function, e.g. `graph_engine.overlap.compute_overlap`, or its name as
        ``"graph_engine.overlap:compute_overlap"`` (``"module:Class.method"`` for a
        method), read from source without importing the module.
    parameter
        The name of one of its parameters that has a default.

    Returns
    -------
    Any
        The default, as written in the function's signature.

    Examples
    --------
    >>> def f(x, *, k=3): ...
    >>> default_of(f, "k")
    3
    >>> default_of("graph_engine.overlap:compute_overlap", "by")
    'jaccard'
    """
    if isinstance(function, str):
        return _source_default(function, parameter)
    default = inspect.signature(function).parameters[parameter].default
    if default is inspect.Parameter.empty:
        raise TypeError(f"{function.__qualname__}() has no default for `{parameter}`")
    return default


@cache
def _module(name: str) -> ast.Module:
    """Parse a graph_engine module's source (found by path: importing a parent would load it)."""
    root, *parts = name.split(".")
    if root != "graph_engine":
        raise TypeError(f"`{name}` is not a graph_engine module")
    base = Path(__file__).parent.joinpath(*parts)
    path = base / "__init__.py" if base.is_dir() else base.with_suffix(".py")
    return ast.parse(path.read_text(encoding="utf-8"))


def _source_default(target: str, parameter: str) -> Any:
    module, _, qualname = target.partition(":")
    body: list[ast.stmt] = _module(module).body
    node: ast.stmt | None = None
    for part in qualname.split("."):
        node = next(
            (n for n in body if isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name == part),
            None,
        )
        if node is None:
            raise TypeError(f"no `{qualname}` in `{module}`")
        body = node.body
    assert isinstance(node, ast.FunctionDef), target
    args = node.args
    positional = args.posonlyargs + args.args
    pairs = list(
        zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
    )
    pairs += [
        (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
    ]
    for arg, default in pairs:
        if arg.arg == parameter:
            return _value(module, default)
    raise TypeError(f"{qualname}() has no default for `{parameter}`")


def _value(module: str, node: ast.expr) -> Any:
    """Evaluate a default: a literal, a tuple of them, or a module-level name it imports."""
    if isinstance(node, ast.Tuple | ast.List):
        items = [_value(module, e) for e in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Name):
        return _name(module, node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        return _name(_imported_module(module, node.value.id), node.attr)
    return ast.literal_eval(node)


def _name(module: str, name: str) -> Any:
    for stmt in _module(module).body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in stmt.targets
        ):
            return _value(module, stmt.value)
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.target.id == name
            and stmt.value is not None
        ):
            return _value(module, stmt.value)
        if isinstance(stmt, ast.ImportFrom) and stmt.module:
            for alias in stmt.names:
                if (alias.asname or alias.name) == name:
                    return _name(stmt.module, alias.name)
    raise TypeError(f"cannot read `{name}` of `{module}` from source")


def _imported_module(module: str, alias: str) -> str:
    """Return the module that `alias` names in `module` (``import ... as s``)."""
    for stmt in _module(module).body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module:
            for a in stmt.names:
                if (a.asname or a.name) == alias:
                    return f"{stmt.module}.{a.name}"
        if isinstance(stmt, ast.Import):
            for a in stmt.names:
                if a.asname == alias:
                    return a.name
    raise TypeError(f"`{alias}` is not a module imported by `{module}`")
