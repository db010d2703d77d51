"""The leader lease: of all schedulers sharing one mirror, only the lease holder runs jobs.

Every scheduler (the worker, each app process's embedded one) keeps its own timetable and
asks for the lease on a heartbeat and again when a job fires. Taking or renewing it is one
conditional UPDATE (or an INSERT racing on the primary key), so the database decides: two
schedulers firing the same job at once cannot both pass. A holder that dies stops
renewing; after LEASE_SECONDS another scheduler takes over.

A lease row rather than a PostgreSQL advisory lock: one code path for SQLite and
PostgreSQL, no connection pinned for the life of the process (session advisory locks are
lost behind a transaction-pooling proxy such as PgBouncer), and the check needs no state
beyond the holder's name, so a job function can make it from plain arguments.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from sync.store.models import leases

LEASE_NAME = "taizhang:scheduler"
LEASE_SECONDS = 60
HEARTBEAT_SECONDS = 20  # three heartbeats per lease: one slow database round-trip loses nothing


def new_holder() -> str:
    """A name unique to one scheduler: host, process and a random part (two per process are fine)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _now(conn) -> datetime:
    # PostgreSQL may serve workers on several machines: its clock is the one they share
    if conn.dialect.name == "postgresql":
        return conn.execute(select(func.now())).scalar_one()
    return datetime.now(UTC)


def try_lead(engine: Engine, holder: str, seconds: int = LEASE_SECONDS, name: str = LEASE_NAME) -> bool:
    """Renew the lease if ``holder`` has it, take it if it is free or expired; True when held."""
    with engine.begin() as conn:
        now = _now(conn)
        until = now + timedelta(seconds=seconds)
        renewed = conn.execute(update(leases).where(
            leases.c.name == name, or_(leases.c.holder == holder, leases.c.expires_at < now))
            .values(holder=holder, expires_at=until)).rowcount
        if renewed:
            return True
        if conn.execute(select(leases.c.name).where(leases.c.name == name)).first() is not None:
            return False
    try:
        with engine.begin() as conn:
            conn.execute(insert(leases).values(name=name, holder=holder, expires_at=until))
    except IntegrityError:  # another scheduler inserted it first
        return False
    return True


def current_holder(engine: Engine, name: str = LEASE_NAME) -> str | None:
    """Who holds an unexpired lease, if anyone."""
    with engine.connect() as conn:
        now = _now(conn)
        return conn.execute(select(leases.c.holder).where(leases.c.name == name,
                                                          leases.c.expires_at >= now)).scalar()


def release(engine: Engine, holder: str, name: str = LEASE_NAME) -> None:
    """Give the lease up at once (on shutdown), so a waiting scheduler need not wait for expiry."""
    with engine.begin() as conn:
        conn.execute(delete(leases).where(leases.c.name == name, leases.c.holder == holder))
