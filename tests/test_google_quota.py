"""One Google quota per service account across all workers (issue 19): the shared pacing row."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from jobs.google_quota import bucket_of, reserve
from sync.store.db import make_engine, upgrade
from sync.store.models import google_quota, sync_runs
from tests.conftest import ROOT
from tests.registers import write_config
from tests.service_account import SERVICE_ACCOUNT_EMAIL
from tests.test_gsheet_sync import sheet_rows
from tests.test_queue import start_worker, wait_for

SHEETS = "https://sheets.googleapis.com/v4/spreadsheets/KEY"


@pytest.mark.parametrize(("method", "url", "bucket"), [
    ("GET", SHEETS, "a@p.iam|sheets|read"),  # spreadsheets.get
    ("GET", SHEETS + "/values:batchGet", "a@p.iam|sheets|read"),
    ("post", SHEETS + ":batchUpdate", "a@p.iam|sheets|write"),  # write-back has its own quota
    ("GET", "https://www.googleapis.com/drive/v3/files/KEY", None),  # Drive: a far larger quota, not paced
    ("POST", "https://oauth2.googleapis.com/token", None),
])
def test_each_request_spends_the_quota_google_counts_it_against(method, url, bucket):
    assert bucket_of("a@p.iam", method, url) == bucket


def test_reservations_from_two_workers_never_exceed_the_rate(pg_url):
    engines = [make_engine(pg_url), make_engine(pg_url)]
    upgrade(engines[0])
    starts, lock = [], threading.Lock()

    def worker(engine):
        for _ in range(10):
            start, wait = reserve(engine, "a@p.iam|sheets|read", per_minute=60)
            assert wait >= 0
            with lock:
                starts.append(start)

    threads = [threading.Thread(target=worker, args=(engines[n % 2],)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert len(starts) == 40 and all(b - a >= timedelta(seconds=1) for a, b in zip(starts, starts[1:]))
    # another account (or the write quota) has a bucket of its own: no wait behind these
    assert reserve(engines[1], "b@p.iam|sheets|read", per_minute=60)[1] == 0
    for engine in engines:
        engine.dispose()


@pytest.mark.timeout(240)
def test_two_workers_share_one_service_accounts_quota(tmp_path, pg_url, sheets_emulator, service_account_file,
                                                      monkeypatch):
    per_minute, sources = 60, 6
    for n in range(sources):
        sheets_emulator.add_spreadsheet(f"1Book{n}_0123456789abcdefghijklmnopqrstu", f"台账{n}",
                                        {"报到名册": sheet_rows(3)})
    config = write_config(tmp_path / "taizhang.toml", pg_url, [
        {"name": f"g{n}", "street": "上站街道", "kind": "gsheet", "spreadsheet": f"1Book{n}_0123456789abcdefghijklmnopqrstu",
         "credentials": str(service_account_file), "api_endpoint": sheets_emulator.url} for n in range(sources)])
    monkeypatch.setenv("TAIZHANG_GOOGLE_REQUESTS_PER_MINUTE", str(per_minute))
    workers = [start_worker(config, tmp_path / f"w{n}.log", "-m", "jobs") for n in range(2)]
    try:
        fired = subprocess.run([sys.executable, "-m", "jobs", "enqueue", "--config", str(config)], cwd=ROOT,
                               capture_output=True, text=True, timeout=60, env=os.environ.copy())
        assert fired.returncode == 0, fired.stderr
        engine = make_engine(pg_url)
        with engine.connect() as conn:
            ok = lambda: conn.execute(select(sync_runs.c.id).where(sync_runs.c.status == "ok")).all()  # noqa: E731
            wait_for(lambda: len(ok()) == sources and not conn.commit(), 180)
            bucket = conn.execute(select(google_quota.c.bucket)).scalars().all()
            ran_in = set(conn.execute(text("SELECT DISTINCT pid FROM sync_runs")).scalars())
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
    assert all(proc.wait(60) == 0 for proc in workers)
    engine.dispose()
    assert bucket == [f"{SERVICE_ACCOUNT_EMAIL}|sheets|read"]
    assert ran_in == {proc.pid for proc in workers}  # both workers synced, under one quota
    arrivals = sorted(r.at for r in sheets_emulator.requests if r.kind in ("sheets.get", "values.batchGet"))
    assert len(arrivals) >= 2 * sources  # at least the metadata and the values of each spreadsheet
    # n requests one slot (1 s) apart span at least n - 1 seconds; unpaced, 4 syncs at once took 4 s for 12
    assert arrivals[-1] - arrivals[0] >= (len(arrivals) - 1) * 60 / per_minute * 0.8
