"""graph-engine: audience-overlap graph analytics for creators and their followers.

Every stage's verb and result is here: ``ge.ingest``, ``ge.write_store``,
``ge.read_store``, ``ge.compute_overlap``, ``ge.audience_report``,
``ge.detect_communities``, ``ge.select_creators``, ``ge.run_job``. Heavy dependencies
(igraph, leidenalg, numba, highspy, matplotlib, networkx) load only when a stage needs
them, so ``import graph_engine`` stays light.
"""

from __future__ import annotations

from graph_engine._version import __version__
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
from graph_engine.graph import AudienceGraph, read_store
from graph_engine.ingestion import ingest, ingest_into_store
from graph_engine.outputs import write_frames, write_result
from graph_engine.overlap import (
    AudienceReport,
    audience_report,
    compute_overlap,
    overlap_blocks,
    similar_creators,
)
from graph_engine.pipeline import JobResult, read_job, run_job
from graph_engine.readers import read_creators, read_edges
from graph_engine.reports import summarize_store
from graph_engine.selection import Selection, select_creators
from graph_engine.store import prune, read_manifest, read_tables, write_store
from graph_engine.synth import SynthGraph, generate_graph
from graph_engine.tables import StoreTables, build_tables

__all__ = [
    "AudienceGraph",
    "AudienceReport",
    "Communities",
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
    "run_job",
    "select_creators",
    "similar_creators",
    "summarize_store",
    "write_frames",
    "write_result",
    "write_store",
]
