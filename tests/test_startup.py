"""An unchanged source costs a hash and two small transactions: no heavy import on that path."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT
from tests.registers import roster_row, write_config, write_register

# runs `python -m sync run ...` in-process, then names the heavy modules it loaded
SYNC_THEN_LIST_MODULES = """
import runpy, sys
sys.argv = ["sync", *sys.argv[1:]]
try:
    runpy.run_module("sync", run_name="__main__")
except SystemExit:
    pass
heavy = ("pandas", "pandera", "pyarrow", "alembic", "openpyxl", "schemas")
print("LOADED", sorted(m for m in heavy if m in sys.modules))
"""


def loaded_by_sync(*args: str) -> str:
    done = subprocess.run([sys.executable, "-c", SYNC_THEN_LIST_MODULES, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    return next(line for line in done.stdout.splitlines() if line.startswith("LOADED"))


def test_an_unchanged_sync_loads_no_pandas_pandera_alembic_or_openpyxl(tmp_path):
    # Regression guard for the unchanged path's start-up (2 s -> 0.3 s for a city): the schemas,
    # pandas and pandera, Alembic and openpyxl are imported only when a source has changed.
    book = write_register(tmp_path / "a.xlsx", [roster_row(i) for i in range(1, 6)])
    config = write_config(tmp_path / "taizhang.toml", f"sqlite:///{tmp_path / 'm.db'}", [
        {"name": "a", "street": "上站街道", "kind": "excel", "path": str(book)}])
    assert "pandas" in loaded_by_sync("run", "--config", str(config))  # the first sync reads and validates
    assert loaded_by_sync("run", "--config", str(config)) == "LOADED []"
