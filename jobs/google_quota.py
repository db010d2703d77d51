"""One Google quota per service account, shared by every worker: a pacing row per bucket in PostgreSQL.

Google counts Sheets requests per minute per project and per user (the service account) per
project: 300 and 60, for reads and again for writes. N workers each retrying their own 429s
would spend the quota N times over; instead every request first reserves a slot in the
account's bucket (``google_quota``): a GCRA token bucket, one ``SELECT … FOR UPDATE`` and one
``UPDATE`` per request, with the database's clock, so workers on several machines agree. The
caller sleeps until its slot outside the transaction, so the row is locked for a few
milliseconds only. Drive requests (the cheap ``modifiedTime`` check) have a far larger quota
and are not paced.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Engine, func, select, update
from sqlalchemy.dialects.postgresql import insert

from sync.settings import setting
from sync.sources.google_http import PACE
from sync.store.models import google_quota

SHEETS_HOST = "sheets.googleapis.com"


def requests_per_minute() -> float:
    return max(float(setting("TAIZHANG_GOOGLE_REQUESTS_PER_MINUTE") or 60), 0.1)


def bucket_of(account: str, method: str, url: str) -> str | None:
    """Which quota a request spends: Sheets reads or writes of one account; None for other APIs."""
    if urlsplit(url).hostname != SHEETS_HOST:
        return None
    return f"{account}|sheets|{'read' if method.upper() == 'GET' else 'write'}"


def reserve(engine: Engine, bucket: str, per_minute: float, burst: int = 1) -> tuple[datetime, float]:
    """Take the bucket's next slot: when it starts, and the seconds to wait for it (0: at once).

    GCRA: ``next_at`` is when the bucket is empty again. A request starts at the later of
    ``next_at - (burst - 1) × interval`` and now, and moves ``next_at`` one interval on.
    With ``burst = 1`` requests are evenly spaced: never more than ``per_minute`` in any minute.
    """
    interval = timedelta(seconds=60 / per_minute)
    with engine.begin() as conn:
        now = conn.execute(select(func.now())).scalar_one()
        conn.execute(insert(google_quota).values(bucket=bucket, next_at=now).on_conflict_do_nothing())
        next_at = conn.execute(select(google_quota.c.next_at).where(google_quota.c.bucket == bucket)
                               .with_for_update()).scalar_one()
        start = max(next_at - (burst - 1) * interval, now)
        conn.execute(update(google_quota).where(google_quota.c.bucket == bucket)
                     .values(next_at=max(next_at, now) + interval))
    return start, (start - now).total_seconds()


def pacer(engine: Engine, per_minute: float) -> Callable[[str, str, str], None]:
    def pace(account: str, method: str, url: str) -> None:
        bucket = bucket_of(account, method, url)
        if bucket is not None:
            time.sleep(reserve(engine, bucket, per_minute)[1])
    return pace


@contextmanager
def google_paced(engine: Engine) -> Iterator[None]:
    """Inside: every Google request of this thread waits for its account's shared quota (PostgreSQL only)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    token = PACE.set(pacer(engine, requests_per_minute()))
    try:
        yield
    finally:
        PACE.reset(token)
