"""The HTML report, checked in a real headless Chromium against brute-force answers.

`make test` installs Chromium from the system package manager when it is missing (see
the README); without it these tests fail, they are not skipped.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from graph_engine.pipeline import read_job, run_job
from graph_engine.run_report import write_report

from .sweep import assert_clean_failure, invoke

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_graphs" / "twitter100" / "followers.tsv.gz"


def _chromium() -> str:
    found = os.environ.get("GRAPH_ENGINE_CHROMIUM") or next(
        (p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))),
        None,
    )
    if found is None:
        pytest.fail("Chromium is needed for the report tests; `make test` installs it")
    return found


def _browse(page: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Open `page` in headless Chromium with every host unresolvable (offline)."""
    return subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={cwd / 'profile'}",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            *args,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        check=True,
    )


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("run") / "out"
    run_job(read_job(ROOT / "sample_graphs" / "twitter100.toml", output_dir=str(out)))
    return out


def _audiences() -> dict[str, set[str]]:
    with gzip.open(SAMPLE, "rt", newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        out: dict[str, set[str]] = {}
        for row in rows:
            out.setdefault(row["creator"], set()).add(row["follower"])
    return out


def test_the_report_renders_offline_with_every_chart_and_true_numbers(run_dir, tmp_path):
    import json

    page = run_dir / "report.html"
    text = page.read_text(encoding="utf-8")
    # self-contained: no script, no stylesheet or image from elsewhere
    assert "<script" not in text and "<link" not in text and "@import" not in text
    assert not re.findall(r"""(?:src|href)\s*=\s*["'](?!#|data:)""", text)
    dom = _browse(page, "--dump-dom", cwd=tmp_path).stdout
    assert dom.count("<svg") >= 5  # reach, frontier, heat map, frequency, communities
    picks = [p["creator_id"] for p in json.loads((run_dir / "selection.json").read_text())["picks"]]
    # brute force from the raw sample file: how often the picks reach each person
    audiences = _audiences()
    times = Counter(f for c in picks for f in audiences[c])
    expected = [sum(1 for t in times.values() if t == k) for k in (1, 2, 3)]
    expected.append(sum(1 for t in times.values() if t >= 4))
    for count in expected:
        assert f">{count:,}<" in dom, count
    assert f"{len(times):,} unique followers" in dom
    assert "this one is optimal" in dom
    for creator in picks:
        assert f">{creator}<" in dom


def test_the_report_screenshot_is_not_blank(run_dir, tmp_path):
    import matplotlib.image

    shot = tmp_path / "report.png"
    _browse(
        run_dir / "report.html", f"--screenshot={shot}", "--window-size=1280,3000", cwd=tmp_path
    )
    pixels = matplotlib.image.imread(shot)[..., :3]
    inked = (pixels.mean(axis=2) < 0.9).mean()
    assert pixels.std() > 0.05 and inked > 0.03, (pixels.std(), inked)


def test_report_rewrites_the_same_page_from_the_run_folder(run_dir):
    from_run = (run_dir / "report.html").read_bytes()
    (run_dir / "report.html").unlink()
    assert write_report(run_dir) == run_dir / "report.html"
    assert (run_dir / "report.html").read_bytes() == from_run  # same inputs, same page
    out = invoke("report", run_dir)
    assert out.code == 0, out.stderr


def test_report_of_a_folder_that_is_not_a_run(tmp_path):
    assert_clean_failure(invoke("report", tmp_path), "not a run folder")
