"""Whole-process cases: what a user of the command line waits for, start-up included.

Each contender here is one fresh process, started by a small launcher (`LAUNCHER`) and
timed from fork to exit; peak RSS is that process's own. The engine runs its installed
`graph-engine` script; peers run the equivalent work as a process on the same interpreter:

- start-up: a minimal two-command typer app, with typer's defaults;
- `audience` of 3 creators: DuckDB `count(DISTINCT follower_id)` on the raw Parquet;
- `similar` of one creator by shared followers: a DuckDB join of its followers' edges;
- all-pairs overlap to Parquet: a DuckDB self-join `COPY ... TO` Parquet, raw Parquet in.

The 4.6M-edge graph is the generator's (2,000 creators, 1M followers, 20 niches), as
the issue that asked for these figures measured.

Every case first compiles the package's bytecode, as installing a wheel does: an editable
install under PYTHONDONTWRITEBYTECODE (set on some machines) would otherwise compile every
module of the engine again in every process (~50 ms), a cost no installed user pays.
"""

from __future__ import annotations

import compileall
import contextlib
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.cases import edges_100m, gen_parquet, gen_store, generated, register, store_of
from benchmarks.framework import DATA, ROOT, Case, Contender

ENGINE = str(Path(sys.executable).with_name("graph-engine"))
GEN_4M = {
    "n_creators": 2_000,
    "n_followers": 1_000_000,
    "n_edges": 4_600_000,
    "n_niches": 20,
    "mixing": 0.1,
    "seed": 1,
}
MINIMAL_TYPER = '''
import typer

app = typer.Typer()


@app.command()
def select(store: str, count: int = 10) -> None:
    """Choose creators."""


@app.command()
def info(store: str) -> None:
    """Show a store."""


app()
'''


# Linux carries a parent's peak RSS into its children (fork copies the address space and
# exec keeps the peak), so a command spawned by the worker, which has imported the engine
# to find its data, would report at least the worker's size. This launcher is the
# command's parent instead: it starts small, forks and execs the command, and writes the
# command's wall time (fork to exit, the launcher's own start-up left out) and its peak
# RSS (from wait4) to the file named first.
LAUNCHER = """
import json, os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        os.write(2, f"cannot run {argv[0]}: {exc}".encode())
    os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
code = os.waitstatus_to_exitcode(status)
with open(out, "w") as f:
    json.dump({"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024, "exit": code}, f)
"""


def _process(
    argv: Callable[[], list[str]], parse: Callable[[str], Any], *, tree: bool = False
) -> tuple[Callable[[list[str]], Any], Callable[[], list[str]]]:
    """A contender's timed call and its setup: run one process, summarise its stdout.

    Returns ``(run, setup)`` for `Contender`: `argv()` is built in the untimed setup (it
    may import the engine to find or build its data), `run` runs the process under
    `LAUNCHER`, which reports its wall time (``process_seconds``, the figure the runner
    shows) and its own peak RSS (``child_peak_rss_mb``).

    With `tree`, the peak of the summed RSS of the process and all its descendants is
    sampled every 50 ms (`tree_peak_rss_mb`): a Spark driver's JVM and Python workers
    are not waited-for children, so the child's own peak leaves them out.
    """

    def run(args: list[str]) -> Any:
        with tempfile.TemporaryDirectory() as tmp:
            report = Path(tmp) / "process.json"
            launch = [sys.executable, "-c", LAUNCHER, str(report), *args]
            with subprocess.Popen(
                launch, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
            ) as child:
                sampler = _TreeSampler(child.pid) if tree else None
                try:
                    stdout, stderr = child.communicate()
                finally:
                    peak = sampler.stop() if sampler else None
            ran = json.loads(report.read_text()) if report.exists() else {"exit": None}
        if child.returncode != 0 or ran["exit"] != 0:
            raise RuntimeError(f"exit {ran['exit']}: {stderr.strip()[-300:]}")
        extra = {"tree_peak_rss_mb": peak} if peak is not None else {}
        return {
            **parse(stdout),
            "process_seconds": ran["seconds"],
            "child_peak_rss_mb": round(ran["peak_rss_mb"]),
            **extra,
        }

    return run, argv


class _TreeSampler:
    """Sample a process tree's summed RSS in a thread; `stop` gives the peak in MB."""

    def __init__(self, pid: int) -> None:
        import threading

        import psutil

        self._peak = 0
        try:
            self._root: psutil.Process | None = psutil.Process(pid)
        except psutil.Error:  # gone already
            self._root = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        if self._root is None:
            return
        while not self._done.wait(0.05):
            try:  # the launcher's children: the command, its JVM and workers
                tree = self._root.children(recursive=True)
                total = 0
                for p in tree:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
            except psutil.Error:  # the root has exited
                return
            self._peak = max(self._peak, total)

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return round(self._peak / 2**20)


def _prepared(make: Callable[[], object]) -> Callable[[], object]:
    """`make` (the case's data), after compiling the engine's bytecode once."""

    def prepare() -> object:
        compileall.compile_dir(ROOT / "graph_engine", quiet=1)
        return make()

    return prepare


def _minimal_app() -> str:
    path = DATA / "minimal_typer.py"
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        path.write_text(MINIMAL_TYPER)
    return str(path)


def _lines(stdout: str) -> dict[str, int]:
    return {"lines": len(stdout.splitlines())}


def _startup_case(name: str, engine_args: list[str], peer_args: list[str]) -> Case:
    engine = _process(lambda: [ENGINE, *engine_args], _lines)
    peer = _process(lambda: [sys.executable, _minimal_app(), *peer_args], _lines)
    return Case(
        name,
        f"`graph-engine {' '.join(engine_args)}` vs a minimal typer app, whole process",
        [
            Contender(f"graph-engine {' '.join(engine_args)}", *engine),
            Contender(f"minimal typer {' '.join(peer_args)}", *peer),
        ],
        prepare=_prepared(_minimal_app),
    )


register(_startup_case("startup-help", ["--help"], ["--help"]))
register(_startup_case("startup-version", ["--version"], ["--help"]))
register(_startup_case("startup-command-help", ["select", "--help"], ["select", "--help"]))


# -- short queries and all pairs, whole process ---------------------------------------


def _edges_4m() -> Path:
    return generated("gen-4m", **GEN_4M)


def _store_4m() -> Path:
    return store_of("gen-4m", _edges_4m())


AUDIENCE_IDS = (1, 2, 3)


def _store_100m() -> Path:
    return store_of("gen-100m", edges_100m(), keep=1)


def _same(key: str) -> Callable[[dict[str, Any]], list[str]]:
    def check(results: dict[str, Any]) -> list[str]:
        got = {name: str((r["result"] or {}).get(key)) for name, r in results.items()}
        return [] if len(set(got.values())) == 1 else [f"{key} differs: {got}"]

    return check


def _short_query(
    name: str,
    about: str,
    engine_args: list[str],
    engine_parse: Callable[[Any], Any],
    sql: Callable[[Path], str],
    duckdb_show: str,
    duckdb_parse: Callable[[str], Any],
    key: str,
) -> None:
    """Register a short query at 4.6M and 100M edges: the engine's CLI vs a DuckDB process.

    `sql(edges)` is DuckDB's query on the raw Parquet; `duckdb_show` prints its rows `r`.
    """
    for size, edges, store, items, slow in (
        ("4.6m", _edges_4m, _store_4m, 4_600_000, False),
        ("100m", edges_100m, _store_100m, 99_500_000, True),
    ):

        def engine(store: Callable[[], Path] = store) -> list[str]:
            return [ENGINE, name, str(store()), *engine_args, "--format", "json"]

        def duckdb(edges: Callable[[], Path] = edges) -> list[str]:
            code = (
                f"import duckdb; r = duckdb.sql({sql(edges())!r}).fetchall(); print({duckdb_show})"
            )
            return [sys.executable, "-c", code]

        register(
            Case(
                f"{name}-cli-{size}",
                about,
                [
                    Contender(
                        f"graph-engine {name}",
                        *_process(engine, lambda out: {key: engine_parse(json.loads(out))}),
                    ),
                    Contender(
                        "duckdb process", *_process(duckdb, lambda out: {key: duckdb_parse(out)})
                    ),
                ],
                prepare=_prepared(store),
                items=items,
                check=_same(key),
                slow=slow,
            )
        )


_short_query(
    "audience",
    "`graph-engine audience STORE 1 2 3` vs DuckDB distinct count on the raw Parquet",
    [str(i) for i in AUDIENCE_IDS],
    lambda report: report["reach"],
    lambda edges: (
        f"SELECT count(DISTINCT follower_id) FROM '{edges}' "
        f"WHERE creator_id IN ({', '.join(map(str, AUDIENCE_IDS))})"
    ),
    "r[0][0]",
    lambda out: int(out.strip()),
    "reach",
)
_short_query(
    "similar",
    "`graph-engine similar STORE 1 --by shared` vs a DuckDB join of creator 1's followers",
    ["1", "--by", "shared", "--top-k", "10"],
    lambda rows: [row["shared"] for row in rows],
    lambda edges: (
        f"WITH a AS (SELECT follower_id FROM '{edges}' WHERE creator_id = 1) "
        f"SELECT count(*) AS shared FROM '{edges}' e JOIN a USING (follower_id) "
        "WHERE creator_id <> 1 GROUP BY creator_id ORDER BY shared DESC LIMIT 10"
    ),
    "[x[0] for x in r]",
    json.loads,
    "shared",
)


def _pairs_rows(path: Path) -> dict[str, int]:
    import polars as pl

    return {"pairs": pl.scan_parquet(path).select(pl.len()).collect().item()}


def _overlap_case(
    size: str, edges: Callable[[], Path], store: Callable[[], Path], items: int
) -> None:
    """Register `overlap-cli-SIZE`: the engine's all pairs to Parquet vs DuckDB's self-join."""
    mine, theirs = DATA / f"pairs-engine-{size}.parquet", DATA / f"pairs-duckdb-{size}.parquet"

    def engine() -> list[str]:
        return [ENGINE, "overlap", str(store()), "--output", str(mine)]

    def duckdb() -> list[str]:
        sql = (
            f"COPY (SELECT a.creator_id AS creator_a, b.creator_id AS creator_b, count(*) AS "
            f"shared FROM '{edges()}' a JOIN '{edges()}' b ON a.follower_id = "
            f"b.follower_id AND a.creator_id < b.creator_id GROUP BY ALL) TO '{theirs}' "
            "(FORMAT parquet)"
        )
        return [sys.executable, "-c", f"import duckdb; duckdb.sql({sql!r})"]

    def same_pairs(results: dict[str, Any]) -> list[str]:
        counts = {"engine": _pairs_rows(mine)["pairs"], "duckdb": _pairs_rows(theirs)["pairs"]}
        return [] if len(set(counts.values())) == 1 else [f"pair counts differ: {counts}"]

    register(
        Case(
            f"overlap-cli-{size}",
            "`graph-engine overlap STORE -o pairs.parquet` vs a DuckDB self-join COPY to Parquet",
            [
                Contender("graph-engine overlap", *_process(engine, _lines)),
                Contender("duckdb process", *_process(duckdb, _lines)),
            ],
            prepare=_prepared(store),
            items=items,
            check=same_pairs,
        )
    )


_overlap_case("4.6m", _edges_4m, _store_4m, 4_600_000)
_overlap_case("10m", gen_parquet, gen_store, 10_000_000)


# -- the cost of each audience filter at 100M edges, whole process --------------------

FILTERS: dict[str, list[str]] = {
    "no filter": [],
    "--exclude-audience-of 4,5,6": ["--exclude-audience-of", "4,5,6"],
    "--followers-where 'following < 20'": ["--followers-where", "following < 20"],
    "--reach-rate 0.3 --posts 2": ["--reach-rate", "0.3", "--posts", "2"],
    "--affinity-to 4,5": ["--affinity-to", "4,5"],
}


def _filtered(command: list[str], extra: list[str]) -> Callable[[], list[str]]:
    def argv() -> list[str]:
        head, tail = command[0], command[1:]
        return [ENGINE, head, str(_store_100m()), *tail, *extra, "--format", "json"]

    return argv


def _figures(*keys: str) -> Callable[[str], dict[str, Any]]:
    def parse(out: str) -> dict[str, Any]:
        found = json.loads(out)
        return {k: found.get(k) for k in keys if isinstance(found, dict)}

    return parse


register(
    Case(
        "filters-cli-100m",
        "`graph-engine audience STORE 1 2 3` at 100M edges, with each audience filter",
        [
            Contender(
                f"audience {label}",
                *_process(
                    _filtered(["audience", "1", "2", "3"], extra),
                    _figures("reach", "expected_reach", "audience_filter"),
                ),
            )
            for label, extra in FILTERS.items()
        ],
        prepare=_prepared(_store_100m),
        items=99_500_000,
        slow=True,
    )
)
register(
    Case(
        "similar-affinity-cli-100m",
        "`graph-engine similar STORE 1` at 100M edges: by shared followers, by affinity",
        [
            Contender(
                f"similar --by {by}",
                *_process(_filtered(["similar", "1"], ["--by", by, "--min-shared", "50"]), _lines),
            )
            for by in ("shared", "affinity")
        ],
        prepare=_prepared(_store_100m),
        items=99_500_000,
        slow=True,
    )
)
register(
    Case(
        "select-exposure-cli-100m",
        "`graph-engine select STORE --count 20` at 100M edges: plain reach vs expected reach",
        [
            Contender(
                f"select {label}",
                *_process(
                    _filtered(["select", "--count", "20", "--time-limit", "20"], extra),
                    _figures("reach", "expected_reach", "gap", "method"),
                ),
                timeout=600,
            )
            for label, extra in {
                "plain reach": [],
                "--reach-rate 0.3 --posts 2": ["--reach-rate", "0.3", "--posts", "2"],
            }.items()
        ],
        prepare=_prepared(_store_100m),
        items=99_500_000,
        slow=True,
    )
)
