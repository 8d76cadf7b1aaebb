"""Cases, contenders, and the worker protocol shared by every benchmark.

A case prepares its data once (cached under benchmarks/.data), then each contender runs
in a fresh subprocess (`python -m benchmarks.worker CASE CONTENDER`): untimed setup, the
timed call, and a JSON line with seconds, peak RSS and a small result summary that the
runner compares across contenders (peers must agree with the engine).
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
# SNAP ego-Twitter (not shipped: 1.7M edges): put it in benchmarks/.data/ or name it here
EGO_TWITTER = Path(os.environ.get("GRAPH_ENGINE_EGO_TWITTER", DATA / "ego-twitter_combined.txt.gz"))


@dataclass(frozen=True)
class Contender:
    name: str
    run: Callable[[Any], Any]
    setup: Callable[[], Any] = lambda: None
    timeout: float = 600.0


@dataclass(frozen=True)
class Case:
    """One benchmark: contenders[0] is this engine, the baseline of every ratio."""

    name: str
    description: str
    contenders: list[Contender]
    prepare: Callable[[], object] = lambda: None
    skip: Callable[[], str | None] = lambda: None
    items: int | None = None  # e.g. edges, for a throughput column
    item_name: str = "edges"
    slow: bool = False
    check: Callable[[dict[str, Any]], list[str]] = field(default=lambda results: [])

    def contender(self, name: str) -> Contender:
        return next(c for c in self.contenders if c.name == name)


def peak_rss_mb() -> float:
    """Peak RSS of this worker since it started.

    Linux's ``ru_maxrss`` keeps the peak of the process that forked this one (the runner,
    which may have generated a graph), so the worker reads its own high-water mark,
    ``VmHWM``, which starts afresh at exec; elsewhere it falls back to ``ru_maxrss``.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        status = ""
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(contender: Contender) -> dict[str, Any]:
    """Run one contender in this process: untimed setup, timed run."""
    state = contender.setup()
    rss_setup = peak_rss_mb()
    start = time.perf_counter()
    result = contender.run(state)
    seconds = time.perf_counter() - start
    # a whole-process contender reports its process's own time and peak (or its process
    # tree's peak): the worker's, which hold what setup imported, are not the contender's
    found = result if isinstance(result, dict) else {}
    seconds = found.get("process_seconds", seconds)
    peak = found.get("tree_peak_rss_mb") or found.get("child_peak_rss_mb") or peak_rss_mb()
    return {
        "seconds": seconds,
        "peak_rss_mb": peak,
        "setup_rss_mb": rss_setup,
        "result": result,
    }


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=str, sort_keys=True)
