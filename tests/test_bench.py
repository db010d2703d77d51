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


def test_write_floor_writes_our_mirror_rows_unchecked(tmp_path):
    """The write-only floor fills the real mirror's tables: every row our sync keeps is there with the same
    values, except those whose only mistake our sync normalises away; and rows our sync rejects are there too."""
    import sqlite3

    from bench.city import city
    from sync.demo.mistakes import MISTAKES
    c = city(tmp_path, 0.01, 2020)
    config = c.write_config(tmp_path / "ours.toml", f"sqlite:///{tmp_path / 'ours.db'}")
    floor = tmp_path / "floor.db"
    for args, fine in ((["bench/write_floor.py", str(floor), *map(str, c.files())], (0,)),
                       (["-m", "sync", "run", "--config", str(config)], (0, 1))):  # 1: the city's planted errors
        done = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode in fine and "Traceback" not in done.stderr, done.stderr[-3000:]
    ours, written = sqlite3.connect(tmp_path / "ours.db"), sqlite3.connect(floor)
    left_out = {"id", "row_hash", "warned", "first_seen_at", "updated_at", "id_number_enc"}  # random or judged
    for table in ("roster", "wishes", "posts"):
        columns = [r[1] for r in ours.execute(f"PRAGMA table_info({table})")]
        assert columns == [r[1] for r in written.execute(f"PRAGMA table_info({table})")]
        select = f"SELECT {', '.join(c for c in columns if c not in left_out)} FROM {table}"
        kept, floor_rows = set(ours.execute(select)), set(written.execute(select))
        normalised = sum(m.check is None for m in MISTAKES[table]) * len(c.streets)
        assert len(kept - floor_rows) == normalised, table
        assert len(floor_rows) > len(kept), table
    ours.close()
    written.close()


def test_queue_bench_smoke_prints_its_table():
    if not os.environ.get("TAIZHANG_TEST_DATABASE_URL"):
        pytest.skip("TAIZHANG_TEST_DATABASE_URL is not set (.ci/run sets it)")
    before = (ROOT / "BENCHMARKS.md").read_bytes()
    done = subprocess.run([sys.executable, "-m", "bench.queue_throughput", "--smoke"], cwd=ROOT, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| workers | full sync: sources/s |" in done.stdout and "\n| 1 | " in done.stdout
    assert (ROOT / "BENCHMARKS.md").read_bytes() == before, "--smoke must leave BENCHMARKS.md alone"
