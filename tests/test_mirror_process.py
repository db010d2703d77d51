"""The mirror across processes: SIGKILL mid-transaction, concurrent runs, the CLI's contract."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from sync.store.models import roster, sync_runs
from tests.conftest import ROOT
from tests.registers import roster_row, write_config, write_register

# Runs `python -m sync ...` but pauses right after the n-th call of a function of sync.run
# (by default apply_plan: inside the data transaction, before the commit), so the parent
# can kill it or race it at that point.
PAUSING_SYNC = """
import sys, time, pathlib
import sync.run as run
marker, seconds, target, nth = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
original = getattr(run, target)
calls = []
def paused(*args, **kwargs):
    out = original(*args, **kwargs)
    calls.append(1)
    if len(calls) == nth:
        pathlib.Path(marker).write_text("paused")
        time.sleep(seconds)
    return out
setattr(run, target, paused)
from sync.cli import main
main(sys.argv[5:], prog_name="python -m sync")
"""


def cli(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sync", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env or os.environ.copy())


def start_paused(marker: Path, seconds: float, *args: str, at: str = "apply_plan", nth: int = 1) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", PAUSING_SYNC, str(marker), str(seconds), at, str(nth), *args],
                            cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the paused sync never reached its transaction"
        time.sleep(0.05)
    return proc


@pytest.fixture
def setup(tmp_path, db_url):
    book = write_register(tmp_path / "a.xlsx", [roster_row(i) for i in range(1, 11)])
    config = write_config(tmp_path / "taizhang.toml", db_url, [
        {"name": "a", "street": "上站街道", "kind": "excel", "path": str(book)}])
    return book, config, db_url


def counts(db_url: str) -> tuple[int, list[str]]:
    engine = create_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(roster).where(roster.c.deleted_at.is_(None))).scalar()
        runs = conn.execute(select(sync_runs.c.status).order_by(sync_runs.c.id)).scalars().all()
    engine.dispose()
    return rows, runs


@pytest.mark.timeout(180)
def test_sigkill_inside_the_transaction_loses_nothing_and_the_next_run_finishes(setup, tmp_path):
    book, config, db_url = setup
    assert cli("run", "--config", str(config)).returncode == 0
    write_register(book, [roster_row(i) for i in range(1, 16)])  # five new members
    proc = start_paused(tmp_path / "marker", 60, "run", "--config", str(config))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert counts(db_url) == (10, ["ok", "running"])  # wholly old; the dead run still says running
    again = cli("run", "--config", str(config))
    assert again.returncode == 0, again.stderr
    rows, runs = counts(db_url)
    assert (rows, runs) == (15, ["ok", "failed", "ok"])


@pytest.mark.timeout(180)
def test_two_concurrent_runs_sync_a_source_once(setup, tmp_path):
    book, config, db_url = setup
    first = start_paused(tmp_path / "marker", 10, "run", "--config", str(config))
    second = cli("run", "--config", str(config))
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert second.returncode == 0 and "已跳过" in second.stdout
    assert counts(db_url) == (10, ["ok"])


def test_cli_exit_codes_and_summary(setup):
    book, config, db_url = setup
    ok = cli("run", "--config", str(config))
    assert ok.returncode == 0 and "成功" in ok.stdout and "新增" in ok.stdout
    assert "Traceback" not in ok.stderr
    write_register(book, [roster_row(1)])
    held = cli("run", "--config", str(config))
    assert held.returncode == 1 and "已暂停" in held.stdout
    allowed = cli("run", "--config", str(config), "--allow-mass-delete")
    assert allowed.returncode == 0
    book.write_bytes(b"garbage")
    failed = cli("run", "--config", str(config), "--source", "a")
    assert failed.returncode == 1 and "失败" in failed.stdout and "Traceback" not in failed.stderr
    unknown = cli("run", "--config", str(config), "--source", "nope")
    assert unknown.returncode == 2 and "nope" in unknown.stderr and "Traceback" not in unknown.stderr
    missing = cli("run", "--config", str(config.parent / "missing.toml"))
    assert missing.returncode == 2 and "找不到配置文件" in missing.stderr


def test_generated_key_file_is_readable_only_by_its_owner(tmp_path, monkeypatch):
    from sync.store.crypto import Vault, load_master_key

    monkeypatch.delenv("TAIZHANG_SECRET_KEY")
    key = load_master_key(tmp_path)
    path = tmp_path / "secret.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_master_key(tmp_path) == key  # kept, not regenerated
    vault = Vault(key)
    assert vault.decrypt(vault.encrypt("14030219850307001X")) == "14030219850307001X"
    assert vault.lookup_hash("a") == Vault(key).lookup_hash("a") != Vault(os.urandom(32)).lookup_hash("a")


def test_the_lookup_hash_stays_the_one_every_mirror_holds():
    """Regression guard (issue 17 computes it with ``hmac.digest``): the stored ID hashes are HMAC-SHA256
    hex under the master key's "lookup" key; any other form would match no stored row."""
    import hashlib
    import hmac

    from sync.store.crypto import Vault, _derive

    master = b"m" * 32
    for value in ("14030219850307001X", "", "张三"):
        expected = hmac.new(_derive(master, b"lookup"), value.encode(), hashlib.sha256).hexdigest()
        assert Vault(master).lookup_hash(value) == expected


# (function of sync.run, which call): before reading, inside the transaction (first and
# last dataset written, issues replaced), after the first source committed.
KILL_POINTS = [("read_source", 2), ("apply_plan", 4), ("apply_plan", 6), ("_replace_issues", 2),
               ("_record_sheets", 1), ("_finish", 2)]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("at, nth", KILL_POINTS)
def test_sigkill_during_a_multi_source_sync_leaves_each_source_wholly_old_or_new(tmp_path, db_url, at, nth):
    books = [write_register(tmp_path / f"{n}.xlsx", [roster_row(i) for i in range(1, 11)]) for n in "abc"]
    config = write_config(tmp_path / "taizhang.toml", db_url, [
        {"name": n, "street": "上站街道", "kind": "excel", "path": str(b)} for n, b in zip("abc", books)])
    assert cli("run", "--config", str(config)).returncode == 0
    for book in books:
        write_register(book, [roster_row(i) for i in range(1, 16)])
    proc = start_paused(tmp_path / "marker", 60, "run", "--config", str(config), at=at, nth=nth)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    engine = create_engine(db_url)
    with engine.connect() as conn:
        per_source = dict(conn.execute(select(roster.c.source, func.count()).where(roster.c.deleted_at.is_(None))
                                       .group_by(roster.c.source)).all())
    assert set(per_source.values()) <= {10, 15}, per_source  # never half-written
    again = cli("run", "--config", str(config))
    assert again.returncode == 0, again.stdout + again.stderr
    with engine.connect() as conn:
        per_source = dict(conn.execute(select(roster.c.source, func.count()).where(roster.c.deleted_at.is_(None))
                                       .group_by(roster.c.source)).all())
        running = conn.execute(select(func.count()).select_from(sync_runs).where(sync_runs.c.status == "running"))
        assert running.scalar() == 0
    engine.dispose()
    assert per_source == {"a": 15, "b": 15, "c": 15}
