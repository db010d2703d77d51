"""The benchmark runs end to end in smoke mode. Never a timed test: no figure is asserted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_bench_smoke_prints_every_figure_and_target():
    before = (ROOT / "BENCHMARKS.md").read_bytes() if (ROOT / "BENCHMARKS.md").exists() else None
    done = subprocess.run([sys.executable, "bench/run.py", "--smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    for figure in ("floor:", "write-only floor:", "peer:", "ours: full sync", "ours: unchanged re-sync",
                   "ours: re-sync, 1% of rows changed, in every workbook", "in one workbook", "10× data",
                   "| target | required | measured | met |", "full sync vs write-only floor", "peak memory of our sync",
                   "overview queries", "by_place"):
        assert figure in done.stdout, figure
    assert "rows written" in done.stdout
    after = (ROOT / "BENCHMARKS.md").read_bytes() if (ROOT / "BENCHMARKS.md").exists() else None
    assert after == before, "--smoke must leave BENCHMARKS.md alone"


def test_queue_bench_smoke_prints_its_table():
    if not os.environ.get("TAIZHANG_TEST_DATABASE_URL"):
        pytest.skip("TAIZHANG_TEST_DATABASE_URL is not set (.ci/run sets it)")
    before = (ROOT / "BENCHMARKS.md").read_bytes()
    done = subprocess.run([sys.executable, "-m", "bench.queue_throughput", "--smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| workers | full sync: sources/s |" in done.stdout and "\n| 1 | " in done.stdout
    assert (ROOT / "BENCHMARKS.md").read_bytes() == before, "--smoke must leave BENCHMARKS.md alone"
