"""The layout the project promises (docs/architecture.md): public face, lazy imports, arrows."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import graph_engine as ge

PACKAGE = Path(ge.__file__).parent
HEAVY = ("typer", "rich", "click", "igraph", "leidenalg", "numba", "highspy", "matplotlib")
HEAVY_ALL = (*HEAVY, "networkx")
MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages([str(PACKAGE)], "graph_engine.")
    if not m.name.endswith("__main__")
)


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {HEAVY_ALL!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return out.split()


def test_import_graph_engine_loads_no_heavy_dependency():
    assert _loaded_after("import graph_engine") == []


def test_python_dash_m_runs_the_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "graph_engine", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stdout.strip() == f"graph-engine {ge.__version__}"
    helped = subprocess.run(
        [sys.executable, "-m", "graph_engine", "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0 and "Usage: graph-engine" in helped.stdout


def test_no_top_level_cli_package_is_installed():
    import importlib.util

    assert importlib.util.find_spec("cli") is None


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_all_and_it_is_true(name):
    module = importlib.import_module(name)
    assert isinstance(module.__all__, list), name
    for symbol in module.__all__:
        assert hasattr(module, symbol), f"{name}.__all__ names missing `{symbol}`"


@pytest.mark.parametrize("name", MODULES)
def test_submodules_are_modules_not_shadowed_by_functions(name):
    parent, _, leaf = name.rpartition(".")
    assert isinstance(getattr(importlib.import_module(parent), leaf), types.ModuleType), name


def test_every_stage_verb_and_result_is_reachable_from_the_package():
    for verb in (
        "ingest",
        "write_store",
        "read_store",
        "compute_overlap",
        "audience_report",
        "similar_creators",
        "detect_communities",
        "select_creators",
        "read_job",
        "run_job",
        "generate_graph",
    ):
        assert callable(getattr(ge, verb)), verb
    for result in ("AudienceGraph", "AudienceReport", "Communities", "Selection", "JobResult"):
        assert isinstance(getattr(ge, result), type), result


def test_no_module_is_over_700_lines():
    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 700
    }
    assert long == {}


def test_audience_graph_repr_is_short():
    from .conftest import ZOO, graph_from_edges

    graph = graph_from_edges(ZOO["three"])
    assert repr(graph) == "AudienceGraph with 3 creators, 5 followers, 8 edges"


def _imports(path: Path) -> set[str]:
    """graph_engine modules imported by a file, outside `if TYPE_CHECKING:` blocks."""
    tree = ast.parse(path.read_text())
    skipped = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.startswith("graph_engine")}
