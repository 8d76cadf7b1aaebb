"""The layout the project promises (docs/architecture.md): public face, lazy imports, arrows."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import subprocess
import sys
import types
from pathlib import Path

import pytest

import graph_engine as ge
from graph_engine.cli.app import COMMANDS

PACKAGE = Path(ge.__file__).parent
HEAVY = ("typer", "rich", "click", "igraph", "leidenalg", "numba", "highspy", "matplotlib")
HEAVY_ALL = (*HEAVY, "networkx")
MODULES = sorted(  # the Python modules (not the compiled kernels' library)
    m.name
    for m in pkgutil.walk_packages([str(PACKAGE)], "graph_engine.")
    if not m.name.endswith("__main__")
    and str(getattr(importlib.util.find_spec(m.name), "origin", "")).endswith(".py")
)


def _loaded_after(code: str, modules: tuple[str, ...] = HEAVY_ALL) -> list[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return out.split()


def test_import_graph_engine_loads_no_heavy_dependency():
    assert _loaded_after("import graph_engine") == []


def test_import_graph_engine_loads_no_polars_numpy_or_stage():
    loaded = _loaded_after("import graph_engine", ("polars", "numpy", "graph_engine.graph"))
    assert loaded == []


def test_every_lazy_export_resolves_to_its_modules_object():
    exports = ge._EXPORTS
    assert sorted(ge.__all__) == sorted(exports)
    for name, module in exports.items():
        assert getattr(ge, name) is getattr(importlib.import_module(module), name), name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = ge.nope
    # the TYPE_CHECKING imports (what mypy and editors see) name the same objects
    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    guarded = next(n for n in tree.body if isinstance(n, ast.If))
    typed = {
        alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert typed == exports


def test_the_version_is_defined_once_and_installed_as_such():
    from importlib.metadata import version

    assert version("graph-engine") == ge.__version__  # pyproject reads _version.py


def test_python_dash_m_runs_the_command_line():
    done = subprocess.run(
        [sys.executable, "-m", "graph_engine", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip() == f"graph-engine {ge.__version__}"
    helped = subprocess.run(
        [sys.executable, "-m", "graph_engine", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert helped.returncode == 0 and "Usage: graph-engine" in helped.stdout


def test_the_command_table_is_what_the_command_modules_register():
    import typer

    from graph_engine.cli.app import _load, _short_help

    registered: dict[str, str] = {}
    for module in {m for m, _ in COMMANDS.values()}:
        commands = typer.Typer()
        importlib.import_module(f"graph_engine.cli.commands.{module}").register(commands)
        for name in typer.main.get_group(commands).commands:
            registered[name] = module
    assert registered == {name: module for name, (module, _) in COMMANDS.items()}
    for name, (module, function) in COMMANDS.items():
        callback = _load(name).callback
        assert callback.__name__ == function and callback.__module__.endswith(module)
        assert _short_help(name) == callback.__doc__.splitlines()[0]


_PROBE = """
import sys
sys.argv = ["graph-engine", *{args!r}]
from graph_engine.cli.app import main
try:
    main()
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.startswith("graph_engine"))
print("LOADED:", *loaded, *(m for m in ("polars", "numpy", "scipy") if m in sys.modules))
"""


# what any --help may load: the shell, the vocabularies and the errors, not the engine
_SHELL = {
    "graph_engine",
    "graph_engine._defaults",
    "graph_engine._version",
    "graph_engine.cli",
    "graph_engine.cli._options",
    "graph_engine.cli._render",
    "graph_engine.cli.commands",
    "graph_engine.cli.app",
    "graph_engine.errors",
    "graph_engine.vocab",
}


def _probe(args: list[str]) -> tuple[list[str], set[str], list[str]]:
    """Run the CLI with `args`; return the command modules, other engine modules, heavy libs."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(args=args)], capture_output=True, text=True, check=True
    )
    line = next(x for x in done.stdout.splitlines() if x.startswith("LOADED:"))
    loaded = line.split()[1:]
    commands = [m for m in loaded if m.startswith("graph_engine.cli.commands.")]
    engine = {m for m in loaded if m.startswith("graph_engine") and m not in commands}
    return commands, engine, [m for m in loaded if not m.startswith("graph_engine")]


@pytest.mark.parametrize("args", [["--help"], ["--version"]])
def test_top_level_help_loads_no_command(args):
    commands, engine, heavy = _probe(args)
    assert commands == [] and heavy == [] and engine <= _SHELL


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_commands_help_loads_only_its_module_and_no_engine(name):
    """`CMD --help` imports its own command module, and neither polars, numpy nor a stage."""
    commands, engine, heavy = _probe([name, "--help"])
    assert commands == [f"graph_engine.cli.commands.{COMMANDS[name][0]}"]
    assert heavy == [], f"{name} --help imports {heavy}"
    assert engine <= _SHELL, f"{name} --help imports {sorted(engine - _SHELL)}"


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
        if isinstance(node, ast.ImportFrom) and node.module == "graph_engine":
            found.update(f"graph_engine.{a.name}" for a in node.names)  # submodules or names
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m.startswith("graph_engine")}


def _layers() -> dict[str, int]:
    """Module -> layer, read from the table in docs/architecture.md (the one definition)."""
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    table = doc.split("| layer | modules |", 1)[1].split("\n\n", 1)[0]
    layers: dict[str, int] = {}
    for row in table.splitlines()[2:]:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        for name in cells[1].replace("\\_", "_").split(","):
            layers[name.strip()] = int(cells[0])
    return layers


def _unit(module: str) -> str:
    """The layer table's name for a module: its top-level part inside graph_engine."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_layer_table_names_every_module():
    layers = _layers()
    files = {p for p in PACKAGE.glob("*.py")} | {p for p in PACKAGE.glob("*/__init__.py")}
    units = {p.stem if p.name != "__init__.py" else p.parent.name for p in files}
    units = {"__init__" if u == "graph_engine" else u for u in units}
    assert units == set(layers)


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_imports_only_point_down(path):
    layers = _layers()
    relative = path.relative_to(PACKAGE.parent).with_suffix("")
    module = ".".join(relative.parts).removesuffix(".__init__")
    here = _unit(module)
    for target in _imports(path):
        there = _unit(target)
        if there == here:
            continue  # within one module or one package (selection/, cli/)
        assert layers[there] < layers[here], f"{module} imports {target} (layer not lower)"


def test_defaults_read_from_source_equal_the_signatures():
    """The CLI reads defaults from source (no import); they must be the imported ones."""
    import inspect

    from graph_engine._defaults import default_of

    calls = [
        node
        for path in sorted((PACKAGE / "cli").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "default_of"
        and isinstance(node.args[0], ast.Constant)
    ]
    assert len(calls) >= 25
    for call in calls:
        target, parameter = call.args[0].value, call.args[1].value
        module, _, qualname = target.partition(":")
        function = importlib.import_module(module)
        for part in qualname.split("."):
            function = getattr(function, part)
        expected = inspect.signature(function).parameters[parameter].default
        assert default_of(target, parameter) == expected, (target, parameter)
