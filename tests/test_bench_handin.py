"""bench/handin.py runs end to end (in process only). Never a timed test: no figure is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(300)
def test_handin_benchmark_prints_its_table_and_leaves_benchmarks_md_alone():
    before = (ROOT / "BENCHMARKS.md").read_bytes()
    done = subprocess.run([sys.executable, "-m", "bench.handin", "--repeat", "1"], cwd=ROOT, capture_output=True,
                          text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "A 5,000-row street workbook" in done.stdout and "`check_workbook`" in done.stdout
    assert "annotated copy" in done.stdout
    assert (ROOT / "BENCHMARKS.md").read_bytes() == before  # only --write touches it
