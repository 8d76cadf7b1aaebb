"""Defaults read from the library's own signatures, so the CLI and job files never copy them."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["default_of"]


def default_of(function: Callable[..., Any], parameter: str) -> Any:
    """Return the default value of one keyword parameter of a library function.

    Parameters
    ----------
    function
        A library function, e.g. `graph_engine.overlap.compute_overlap`.
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
    """
    default = inspect.signature(function).parameters[parameter].default
    if default is inspect.Parameter.empty:
        raise TypeError(f"{function.__qualname__}() has no default for `{parameter}`")
    return default
