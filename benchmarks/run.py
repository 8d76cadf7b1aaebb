"""Run benchmark cases and print a table of times, peak RSS and ratios against peers.

    python -m benchmarks.run                 # every case that is not slow
    python -m benchmarks.run ingest-parquet-10m overlap-ego --repeat 3
    python -m benchmarks.run --all           # slow scale cases too
    python -m benchmarks.run --list

Each contender runs in a fresh subprocess per repeat; the table shows medians. Raw figures
go to benchmarks/results/<time>.json (or --json PATH).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import process, quality, spark  # noqa: F401  (register their cases)
from benchmarks.cases import CASES
from benchmarks.framework import ROOT, Case


def run_contender(case: Case, name: str, timeout: float) -> dict[str, Any]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    # its own process group: on a timeout the worker and everything it started (a launcher,
    # the command, a JVM) stop, instead of taking cores from the contenders after it
    with subprocess.Popen(
        [sys.executable, "-m", "benchmarks.worker", case.name, name],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return {"error": f"timeout after {timeout:.0f} s"}
    if proc.returncode != 0:
        tail = (stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"exit {proc.returncode}: {tail}"}
    return json.loads(stdout.strip().splitlines()[-1])


def run_case(case: Case, repeat: int) -> dict[str, Any]:
    reason = case.skip()
    if reason:
        print(f"\n## {case.name}: skipped ({reason})")
        return {"skipped": reason}
    print(f"\n## {case.name}: {case.description}", flush=True)
    case.prepare()
    runs: dict[str, list[dict[str, Any]]] = {c.name: [] for c in case.contenders}
    for _ in range(repeat):  # interleaved: a noisy spell hits every contender alike
        for contender in case.contenders:
            done = runs[contender.name]
            if not done or "error" not in done[-1]:
                done.append(run_contender(case, contender.name, contender.timeout))
    results: dict[str, Any] = {}
    for name, done in runs.items():
        ok = [r for r in done if "error" not in r]
        results[name] = {
            "runs": done,
            "seconds": statistics.median(r["seconds"] for r in ok) if ok else None,
            "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in ok) if ok else None,
            "result": ok[0]["result"] if ok else None,
            "error": None if ok else done[-1]["error"],
        }
    _print_table(case, results)
    problems = case.check(results)
    for line in problems:
        print(f"  CHECK: {line}")
    return {"contenders": results, "checks": problems, "items": case.items}


def _print_table(case: Case, results: dict[str, Any]) -> None:
    base = results[case.contenders[0].name]
    rows = [
        ("contender", "seconds", f"M {case.item_name}/s", "peak RSS MB", "time vs engine", "result")
    ]
    for name, r in results.items():
        if r["error"]:
            rows.append((name, "-", "-", "-", "-", r["error"]))
            continue
        rate = f"{case.items / r['seconds'] / 1e6:.2f}" if case.items else "-"
        ratio = f"{r['seconds'] / base['seconds']:.2f}x" if base["seconds"] else "-"
        summary = json.dumps(r["result"], default=str)
        rows.append(
            (name, f"{r['seconds']:.3f}", rate, f"{r['peak_rss_mb']:.0f}", ratio, summary[:70])
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  " + "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("cases", nargs="*", help="case names (default: all fast cases)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (median)")
    parser.add_argument("--all", action="store_true", help="include slow scale cases")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    parser.add_argument("--json", type=Path, help="where to write raw figures")
    args = parser.parse_args(argv)
    if args.list:
        for case in CASES.values():
            print(f"{case.name:28s} {'(slow) ' if case.slow else ''}{case.description}")
        return 0
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case(s): {', '.join(unknown)}; see --list")
    chosen = args.cases or [n for n, c in CASES.items() if args.all or not c.slow]
    report = {"started": time.strftime("%Y-%m-%dT%H:%M:%S"), "cpus": os.cpu_count(), "cases": {}}
    for name in chosen:
        report["cases"][name] = run_case(CASES[name], args.repeat)
    out = args.json or ROOT / "benchmarks" / "results" / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nraw figures: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    failed = [n for n, r in report["cases"].items() if r.get("checks")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
