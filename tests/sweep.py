"""Shared harness of the bad-input sweep: run the real CLI and check how it fails.

Every bad input must end in exit 0, exit 1 with one line on stderr that names what was
wrong, or exit 2 (usage) -- never a traceback, and never a change to files it did not
create. Each ``tests/test_bad_*.py`` module holds one table of cases built on `run_cli`
and `assert_clean_failure`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_cli(*args: str | os.PathLike[str], cwd: Path | None = None, **env: str) -> Outcome:
    """Run ``python -m graph_engine ARGS`` in a fresh process (what a user runs)."""
    proc = subprocess.run(
        [sys.executable, "-m", "graph_engine", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200", **env},
        timeout=300,
        check=False,
    )
    return Outcome(proc.returncode, proc.stdout, proc.stderr)


def assert_clean_failure(out: Outcome, *needles: str, code: int = 1) -> None:
    """The command failed with `code`, without a traceback, in one line naming `needles`."""
    assert "Traceback" not in out.stderr, out.stderr
    assert out.code == code, (out.code, out.stdout, out.stderr)
    if code == 1:
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1, out.stderr
        assert lines[0].startswith("error: "), out.stderr
        for needle in needles:
            assert needle.lower() in lines[0].lower(), (needle, lines[0])


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its bytes (to prove a failure changed nothing)."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def invoke(*args: str | os.PathLike[str]) -> Outcome:
    """Run the CLI in this process (fast); an uncaught exception counts as a traceback."""
    from typer.testing import CliRunner

    from graph_engine.cli.app import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    stderr = result.stderr
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += f"\nTraceback (in process): {result.exception!r}"
    return Outcome(result.exit_code, result.stdout, stderr)
