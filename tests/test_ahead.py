"""Checking ahead on the second core (issue 17): a run with the worker process leaves the same
mirror, issues and run records as a run in one process; the worker's results stand only for the
bytes and the street roster they were checked with. SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import pytest

from sqlalchemy import select

import sync.ahead
import sync.check.source
from sync.service import open_mirror, sync_sources
from sync.store.models import issues, posts, roster, sync_runs, wishes
from tests.registers import roster_row, wish_row, write_config, write_register

SHARED = 7  # on two streets' rosters: the first street is checked again in the same run


def a_city(folder: Path) -> list[dict]:
    """Four sources: two rosters sharing a person, wishes whose claimers are another source's roster
    (synced earlier in the same run), and a file that can't be read."""
    write_register(folder / "a_shangzhan.xlsx", [roster_row(n) for n in (1, 2, SHARED)])
    write_register(folder / "b_shangzhan_wishes.xlsx", wishes=[wish_row(1), wish_row(2, 认领人="党员099")])
    write_register(folder / "c_xiazhan.xlsx", [roster_row(n, 报到社区="滨河西社区") for n in (11, 12, SHARED)])
    (folder / "d_broken.xlsx").write_bytes(b"not a workbook at all")
    street = {"a": "上站街道", "b": "上站街道", "c": "下站街道", "d": "下站街道"}
    return [{"name": path.stem, "street": street[path.stem[0]], "district": "城区", "kind": "excel", "path": str(path)}
            for path in sorted(folder.glob("*.xlsx"))]


def run_and_read(config: Path, *, ahead: bool) -> tuple[list, dict]:
    mirror = open_mirror(str(config))
    try:
        runs = [(r.source, r.status, r.message.split("（")[0], r.inserted, r.updated, r.errors, r.warnings)
                for r in sync_sources(mirror, ahead=ahead)]
        with mirror.engine.connect() as conn:
            stored = {
                "issues": sorted(conn.execute(select(issues.c.source, issues.c.sheet, issues.c.cell, issues.c.check,
                                                     issues.c.severity, issues.c.message)).all()),
                "rows": sorted(tuple(map(str, r)) for t in (roster, wishes, posts) for r in conn.execute(
                    select(t.c.source, t.c.sheet_row, t.c.row_hash, t.c.stale, t.c.warned, t.c.deleted_at.is_(None)))),
                "runs": sorted(conn.execute(select(sync_runs.c.source, sync_runs.c.status, sync_runs.c.trigger)).all()),
                # the ID numbers as stored: tokens encrypted by a worker decrypt to the row's own number
                "ids": sorted((source, number, mirror.vault.lookup_hash(number) == digest) for source, number, digest in (
                    (source, mirror.vault.decrypt(token), digest) for source, token, digest in conn.execute(
                        select(roster.c.source, roster.c.id_number_enc, roster.c.id_number_hash)))),
            }
        return runs, stored
    finally:
        mirror.engine.dispose()


def test_a_run_checked_ahead_stores_what_a_run_in_one_process_stores(tmp_path, db_url, monkeypatch):
    monkeypatch.setattr(sync.ahead.Ahead, "_claim", lambda self, name: sync.ahead.Claims.WORKER)  # the worker checks every source asked
    sources = a_city(tmp_path / "city")
    alone = run_and_read(write_config(tmp_path / "alone.toml", f"sqlite:///{tmp_path / 'alone.db'}", sources),
                         ahead=False)
    checked_here: list[str] = []
    real = sync.check.source.check_sheets

    def counted(workbook, ctx):  # counts in this process only: the worker's calls are its own
        checked_here.append(workbook.name)
        return real(workbook, ctx)

    monkeypatch.setattr(sync.check.source, "check_sheets", counted)
    ahead = run_and_read(write_config(tmp_path / "ahead.toml", db_url, sources), ahead=True)
    assert ahead == alone
    runs, stored = ahead
    assert [(name, status) for name, status, *_ in runs] == [
        ("a_shangzhan", "ok"), ("b_shangzhan_wishes", "ok"), ("c_xiazhan", "ok"), ("d_broken", "failed"),
        ("a_shangzhan", "ok")]
    # the claimer 党员099 is not on the street's roster, which reached the mirror during this run
    assert ("b_shangzhan_wishes", "微心愿", "G4", "claimer_in_roster", "warning") in [i[:5] for i in stored["issues"]]
    # the worker checked the last sources; the wishes were checked again here (the roster moved since)
    assert "c_xiazhan.xlsx" not in checked_here and "b_shangzhan_wishes.xlsx" in checked_here


WORKER_DELAY = 3.0
SLOW_SOURCE = "a_shangzhan"
check_ahead = sync.ahead.check_ahead


def slow_check_ahead(slot, source, *rest):
    """The worker's check, ``WORKER_DELAY`` seconds late for ``SLOW_SOURCE`` once it has claimed it
    (forked: the worker runs this module's copy, as patched when it was forked)."""
    if source.name != SLOW_SOURCE:
        return check_ahead(slot, source, *rest)
    if sync.ahead._claims.claim(slot, sync.ahead.Claims.WORKER) != sync.ahead.Claims.FREE:
        return None
    time.sleep(WORKER_DELAY)
    return sync.ahead.checked(source, *rest, sync.ahead._vault)


def slow_worker(monkeypatch, source: str = "a_shangzhan") -> None:
    """The worker late with its first source, ``source``, which it claims before the run asks for it."""
    monkeypatch.setattr(sys.modules[__name__], "SLOW_SOURCE", source)
    monkeypatch.setattr(sync.ahead, "check_ahead", slow_check_ahead)
    take = sync.ahead.Ahead.take

    def take_once_the_worker_has_begun(self, name):
        deadline = time.monotonic() + 60
        while self.claims._owner[0] == sync.ahead.Claims.FREE and time.monotonic() < deadline:
            time.sleep(0.01)
        return take(self, name)

    monkeypatch.setattr(sync.ahead.Ahead, "take", take_once_the_worker_has_begun)


def test_a_run_waiting_for_its_worker_checks_what_the_worker_has_not_started_itself(tmp_path, db_url, monkeypatch):
    """While the run waits for the worker, it takes back the newest sources asked and not started
    yet and checks them itself (both cores busy when writing is light: a re-sync of every workbook
    went from 6.8 s to 5.4 s): the same runs, issues and rows as a run in one process."""
    folder = tmp_path / "city"
    sources = [s for s in a_city(folder) if s["name"] != "d_broken"]
    write_register(folder / "e_xiazhan_wishes.xlsx", wishes=[wish_row(5, 社区="滨河西社区", 认领人="党员011")])
    sources.append({"name": "e_xiazhan_wishes", "street": "下站街道", "district": "城区", "kind": "excel",
                    "path": str(folder / "e_xiazhan_wishes.xlsx")})
    alone = run_and_read(write_config(tmp_path / "alone.toml", f"sqlite:///{tmp_path / 'alone.db'}", sources),
                         ahead=False)
    checked_here: list[str] = []
    real = sync.check.source.check_sheets

    def counted(workbook, ctx):
        checked_here.append(workbook.name)
        return real(workbook, ctx)

    monkeypatch.setattr(sync.check.source, "check_sheets", counted)
    stolen: list[str] = []
    steal = sync.ahead.Ahead._steal

    def watched(self):
        before = set(self.kept)
        took = steal(self)
        stolen.extend(sorted(set(self.kept) - before))
        return took

    monkeypatch.setattr(sync.ahead.Ahead, "_steal", watched)
    slow_worker(monkeypatch)
    ahead = run_and_read(write_config(tmp_path / "ahead.toml", db_url, sources), ahead=True)
    assert ahead == alone
    # the worker is late with the first: the run took back the others, last first, while it waited
    assert stolen == ["e_xiazhan_wishes", "c_xiazhan", "b_shangzhan_wishes"]
    assert {"c_xiazhan.xlsx", "e_xiazhan_wishes.xlsx"} <= set(checked_here)
    assert "a_shangzhan.xlsx" not in checked_here  # the worker's


def test_a_run_of_unchanged_files_starts_no_worker(tmp_path, db_url):
    """An unchanged city costs a hash per file: no worker, no pandas, nothing read ahead."""
    from sync.ahead import Ahead
    from sync.registry import list_sources

    sources = a_city(tmp_path / "city")
    config = write_config(tmp_path / "ahead.toml", db_url, sources)
    run_and_read(config, ahead=True)
    mirror = open_mirror(str(config))
    try:
        found = list_sources(mirror.engine, enabled_only=True)
        readable = [s for s in found if s.name != "d_broken"]  # a failed file has no known content: read again
        unchanged = Ahead(mirror.engine, mirror.vault, readable, {}, force=False, recheck=None)
        assert unchanged.pool is None and unchanged.futures == {}
        unchanged.close()
        write_register(Path(sources[2]["path"]), [roster_row(n, 报到社区="滨河西社区") for n in (11, 12)])
        edited = Ahead(mirror.engine, mirror.vault, found, {}, force=False, recheck=None)
        try:
            assert list(edited.futures) == ["c_xiazhan", "d_broken"]
        finally:
            edited.close()
    finally:
        mirror.engine.dispose()



def with_a_file_that_ends_a_worker(tmp_path: Path) -> tuple[list[dict], tuple[list, dict]]:
    """The city with, first, a 2 KB xlsx whose one cell at XFD1048576 makes calamine ask for 512 GiB;
    and what a run in one process leaves of it."""
    from tests.test_read_limits import hostile_xlsx

    folder = tmp_path / "city"
    sources = a_city(folder)
    hostile_xlsx(folder / "a_abort.xlsx", 1, "XFD1048576", declare=False)
    sources.insert(0, {"name": "a_abort", "street": "上站街道", "district": "城区", "kind": "excel",
                       "path": str(folder / "a_abort.xlsx")})
    return sources, run_and_read(write_config(tmp_path / "alone.toml", f"sqlite:///{tmp_path / 'alone.db'}",
                                              sources), ahead=False)


def test_a_file_that_ends_a_worker_is_reported_by_the_run_and_the_rest_still_syncs(tmp_path, db_url, caplog,
                                                                                     monkeypatch):
    """The workers read their files themselves, under the reader's caps (no fork per file): calamine
    asking 512 GiB for one cell at XFD1048576 ends the worker (the pool breaks). The run reads that
    file in its own capped child and says why in one line, and checks the sources after it itself:
    the same runs, issues and rows as a run in one process."""
    sources, alone = with_a_file_that_ends_a_worker(tmp_path)
    monkeypatch.setattr(sync.ahead.Ahead, "_claim", lambda self, name: sync.ahead.Claims.WORKER)  # the worker reads it: the run waits
    with caplog.at_level(logging.INFO, logger="taizhang.sync"):
        ahead = run_and_read(write_config(tmp_path / "ahead.toml", db_url, sources), ahead=True)
    assert ahead == alone
    assert "checking a_abort ahead failed" in caplog.messages  # the worker reading it ended: the pool broke
    runs = {name: (status, message) for name, status, message, *_ in ahead[0]}
    assert runs["a_abort"][0] == "failed" and "内存超过" in runs["a_abort"][1]
    assert [runs[n][0] for n in ("a_shangzhan", "b_shangzhan_wishes", "c_xiazhan")] == ["ok", "ok", "ok"]


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_worker_that_dies_while_the_run_checks_sources_it_took_back_leaves_no_result_unset(tmp_path, db_url):
    """Regression (issue 17, taking work back): the first version cancelled the futures it took back.
    A cancelled future waits in the pool's queue until the worker asks for its next task; the worker
    died first (a file past the caps), and Python 3.11's pool, marking every queued task broken,
    failed on the cancelled one (InvalidStateError in its thread) and left the tasks after it
    unmarked, to be waited for for ever. Here the worker claims the hostile file, is late with it
    while the run takes back every other source, then dies on it."""
    sources, alone = with_a_file_that_ends_a_worker(tmp_path)
    with pytest.MonkeyPatch.context() as monkeypatch:
        slow_worker(monkeypatch, "a_abort")
        ahead = run_and_read(write_config(tmp_path / "ahead.toml", db_url, sources), ahead=True)
    assert ahead == alone
    runs = {name: status for name, status, *_ in ahead[0]}
    assert runs["a_abort"] == "failed" and runs["c_xiazhan"] == "ok"
