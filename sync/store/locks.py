"""Locks that the operating system or the database releases when a holder dies: one per source
(a second sync of it is skipped) and one around schema migrations (a second start waits).

PostgreSQL: a session advisory lock on a dedicated connection (shared by every process and
machine using the mirror). SQLite: ``flock`` on a file beside the database. Either way a
SIGKILLed holder frees the lock at once, so a crash can never wedge a source.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, text


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _lock_dir(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        return Path("data/locks")
    return Path(database).resolve().parent / (Path(database).name + ".locks")


@contextmanager
def named_lock(engine: Engine, name: str, *, wait: bool = False) -> Iterator[bool]:
    """Take the lock ``name``, without waiting unless ``wait``; yields whether it was taken."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            # advisory locks are database-wide: key them by schema too, so two mirrors in one
            # database (a staging schema, parallel test schemas) never block each other
            key = lock_key(f"{conn.execute(text('SELECT current_schema()')).scalar()}:{name}")
            if wait:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
                taken = True
            else:
                taken = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            try:
                yield taken
            finally:
                if taken:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                    conn.commit()
        return
    directory = _lock_dir(engine)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    safe = hashlib.sha256(name.encode()).hexdigest()[:32]
    fd = os.open(directory / f"{safe}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            taken = True
        except BlockingIOError:
            taken = False
        try:
            yield taken
        finally:
            if taken:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def source_lock(engine: Engine, source: str):
    return named_lock(engine, f"taizhang:source:{source}")


def migration_lock(engine: Engine):
    """Held while the schema is upgraded: processes starting at once on a fresh database queue here."""
    return named_lock(engine, "taizhang:migrations", wait=True)

