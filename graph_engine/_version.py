"""The package's version: defined here once (``pyproject.toml`` reads it at build time).

A literal, not `importlib.metadata`: reading the installed metadata costs every command
~20 ms at start-up.
"""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
