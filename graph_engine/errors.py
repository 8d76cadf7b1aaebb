"""Errors raised by graph-engine.

Every error the library raises on purpose derives from `GraphEngineError`; each subclass
also inherits the matching built-in so that ``except ValueError`` keeps working.
The CLI turns these into one line on stderr and exit code 1.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "GraphEngineError",
    "InputError",
    "ParameterError",
    "RejectedRowsError",
    "SchemaError",
    "StoreError",
    "UnknownCreatorError",
    "did_you_mean",
]


class GraphEngineError(Exception):
    """Base class of every error graph-engine raises on purpose."""


class InputError(GraphEngineError, ValueError):
    """An input file is missing, unreadable, or holds no usable rows."""


class SchemaError(GraphEngineError, ValueError):
    """A column is missing or has the wrong type."""


class RejectedRowsError(GraphEngineError, ValueError):
    """`strict=True` ingest met rows that would have been rejected."""


class StoreError(GraphEngineError, OSError):
    """The store is missing, already exists, or is damaged."""


class UnknownCreatorError(GraphEngineError, KeyError):
    """A creator id is not in the graph."""

    def __str__(self) -> str:
        """Return the message unquoted (KeyError would quote it)."""
        return str(self.args[0]) if self.args else ""


class ParameterError(GraphEngineError, ValueError):
    """A parameter value is out of range or inconsistent with another one."""


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return a hint such as " (did you mean `follower_id`?)", or "" when nothing is close."""
    close = difflib.get_close_matches(value, [str(c) for c in choices], n=1, cutoff=0.5)
    return f" (did you mean `{close[0]}`?)" if close else ""
