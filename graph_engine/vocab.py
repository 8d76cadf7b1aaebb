"""The words users choose from: every option's allowed values, defined once.

The CLI, the job file and the library's signatures all use these `Literal` types, so a
choice is spelled in one place; this module imports nothing, so a command's ``--help``
can show the choices without loading the engine (see DESIGN.md for the vocabulary).
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "CommunityMethod",
    "Direction",
    "EdgeFormat",
    "Engine",
    "IdSpace",
    "Method",
    "Metric",
    "Minimize",
    "SimilarBy",
    "SynthFormat",
    "Tier",
    "Weight",
    "WriteMode",
]

# How to read an edge file ("auto": from its name) and the order of "a b" in a SNAP list.
EdgeFormat = Literal["auto", "csv", "parquet", "jsonl", "snap"]
Direction = Literal["follower-creator", "creator-follower"]
# Whether creator and follower ids name the same kind of account ("shared": a user who
# follows herself is a self-follow and rejected) or different kinds ("separate": users x
# artists, where equal ids are different entities).
IdSpace = Literal["shared", "separate"]
# Creator size classes, smallest first (thresholds in graph_engine.schema).
Tier = Literal["nano", "micro", "macro", "mega"]
# How a commit treats the store's live version.
WriteMode = Literal["create", "append", "replace"]
# Pair metrics of the overlap table, and the ones a community graph can be weighted by.
Metric = Literal["jaccard", "shared", "overlap_coefficient", "share_of_a", "share_of_b"]
Weight = Literal["jaccard", "shared", "overlap_coefficient"]
# What `similar` ranks by: a pair metric, or the affinity index to the creator's audience.
SimilarBy = Literal[Metric, "affinity"]
CommunityMethod = Literal["leiden", "louvain"]
# Selection: how to solve, and what a target-reach cover minimises.
Method = Literal["auto", "greedy", "exact", "plain-greedy"]
Minimize = Literal["cost", "count"]
# Where the work runs: this process, or an Apache Spark cluster (graph_engine.spark).
Engine = Literal["embedded", "spark"]
# File format of a generated graph.
SynthFormat = Literal["parquet", "csv"]
