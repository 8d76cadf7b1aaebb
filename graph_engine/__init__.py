"""graph-engine: audience-overlap graph analytics for creators and their followers."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from graph_engine.errors import (
    GraphEngineError,
    InputError,
    ParameterError,
    RejectedRowsError,
    SchemaError,
    StoreError,
    UnknownCreatorError,
)
from graph_engine.graph import AudienceGraph, read_store
from graph_engine.ingest import StoreTables, build_tables, ingest, read_creators, read_edges
from graph_engine.store import ingest_into_store, prune, read_manifest, read_tables, write_store
from graph_engine.synth import generate_graph

try:
    __version__ = version("graph-engine")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = [
    "AudienceGraph",
    "GraphEngineError",
    "InputError",
    "ParameterError",
    "RejectedRowsError",
    "SchemaError",
    "StoreError",
    "StoreTables",
    "UnknownCreatorError",
    "__version__",
    "build_tables",
    "generate_graph",
    "ingest",
    "ingest_into_store",
    "prune",
    "read_creators",
    "read_edges",
    "read_manifest",
    "read_store",
    "read_tables",
    "write_store",
]
