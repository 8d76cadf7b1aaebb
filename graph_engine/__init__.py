"""graph-engine: audience-overlap graph analytics for creators and their followers.

Every stage's verb and result is here: ``ge.ingest``, ``ge.write_store``,
``ge.read_store``, ``ge.compute_overlap``, ``ge.audience_report``,
``ge.detect_communities``, ``ge.select_creators``, ``ge.run_job``. Each name is imported
when it is first used (PEP 562 ``__getattr__``, as in SPEC 1), so ``import graph_engine``
and the command line start without loading polars, numpy or any stage.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph_engine._version import __version__
    from graph_engine.audience import AudienceReport, audience_report
    from graph_engine.communities import Communities, detect_communities
    from graph_engine.errors import (
        GraphEngineError,
        InputError,
        ParameterError,
        RejectedRowsError,
        SchemaError,
        StoreError,
        UnknownCreatorError,
    )
    from graph_engine.exposure import Exposure
    from graph_engine.graph import AudienceGraph, read_store
    from graph_engine.ingestion import ingest, ingest_into_store
    from graph_engine.outputs import write_frames, write_result
    from graph_engine.overlap import compute_overlap, overlap_blocks, similar_creators
    from graph_engine.pipeline import JobResult, read_job, run_job
    from graph_engine.readers import read_creators, read_edges
    from graph_engine.reports import summarize_store
    from graph_engine.selection import Selection, select_creators
    from graph_engine.store import (
        describe_versions,
        prune,
        read_manifest,
        read_tables,
        restore,
        verify,
        write_store,
    )
    from graph_engine.synth import SynthGraph, generate_graph
    from graph_engine.tables import StoreTables, build_tables

# name -> the module that defines it
_EXPORTS: dict[str, str] = {
    "AudienceGraph": "graph_engine.graph",
    "AudienceReport": "graph_engine.audience",
    "Communities": "graph_engine.communities",
    "Exposure": "graph_engine.exposure",
    "GraphEngineError": "graph_engine.errors",
    "InputError": "graph_engine.errors",
    "JobResult": "graph_engine.pipeline",
    "ParameterError": "graph_engine.errors",
    "RejectedRowsError": "graph_engine.errors",
    "SchemaError": "graph_engine.errors",
    "Selection": "graph_engine.selection",
    "StoreError": "graph_engine.errors",
    "StoreTables": "graph_engine.tables",
    "SynthGraph": "graph_engine.synth",
    "UnknownCreatorError": "graph_engine.errors",
    "__version__": "graph_engine._version",
    "audience_report": "graph_engine.audience",
    "build_tables": "graph_engine.tables",
    "compute_overlap": "graph_engine.overlap",
    "describe_versions": "graph_engine.store",
    "detect_communities": "graph_engine.communities",
    "generate_graph": "graph_engine.synth",
    "ingest": "graph_engine.ingestion",
    "ingest_into_store": "graph_engine.ingestion",
    "overlap_blocks": "graph_engine.overlap",
    "prune": "graph_engine.store",
    "read_creators": "graph_engine.readers",
    "read_edges": "graph_engine.readers",
    "read_job": "graph_engine.pipeline",
    "read_manifest": "graph_engine.store",
    "read_store": "graph_engine.graph",
    "read_tables": "graph_engine.store",
    "restore": "graph_engine.store",
    "run_job": "graph_engine.pipeline",
    "select_creators": "graph_engine.selection",
    "similar_creators": "graph_engine.overlap",
    "summarize_store": "graph_engine.reports",
    "verify": "graph_engine.store",
    "write_frames": "graph_engine.outputs",
    "write_result": "graph_engine.outputs",
    "write_store": "graph_engine.store",
}

__all__ = [
    "AudienceGraph",
    "AudienceReport",
    "Communities",
    "Exposure",
    "GraphEngineError",
    "InputError",
    "JobResult",
    "ParameterError",
    "RejectedRowsError",
    "SchemaError",
    "Selection",
    "StoreError",
    "StoreTables",
    "SynthGraph",
    "UnknownCreatorError",
    "__version__",
    "audience_report",
    "build_tables",
    "compute_overlap",
    "describe_versions",
    "detect_communities",
    "generate_graph",
    "ingest",
    "ingest_into_store",
    "overlap_blocks",
    "prune",
    "read_creators",
    "read_edges",
    "read_job",
    "read_manifest",
    "read_store",
    "read_tables",
    "restore",
    "run_job",
    "select_creators",
    "similar_creators",
    "summarize_store",
    "verify",
    "write_frames",
    "write_result",
    "write_store",
]


def __getattr__(name: str) -> Any:
    """Import an exported name on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'graph_engine' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    """List the exported names (for tab completion)."""
    return sorted([*globals(), *_EXPORTS])
