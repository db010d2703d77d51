"""Engines and schema upgrades: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, Table, create_engine, event, text
from sqlalchemy.exc import DBAPIError

from sync.private_files import create_private

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*=\s*(.+)$", re.MULTILINE)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the app read while a sync writes; busy_timeout makes writers queue, not fail
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for the mirror; a SQLite file (0600) and its folder (0700) are created when missing.

    ``hide_parameters``: a failed statement's error (and so the log) must never carry the
    row's values, which include phone numbers.
    """
    if url.startswith("sqlite"):
        database = url.split("///", 1)[1] if "///" in url else ""
        if database and database != ":memory:":
            create_private(Path(database))  # SQLite gives its -wal and -shm files the same mode
        engine = create_engine(url, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def alembic_config() -> Config:
    from alembic.config import Config
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """The single newest migration, read from the scripts' text; None when that isn't clear."""
    revisions, parents = set(), set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        found, down = _REVISION.search(source), _DOWN.search(source)
        if found is None or down is None:
            return None
        revisions.add(found.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """Whether the schema is already at the newest migration (one query, no Alembic import)."""
    head = head_revision()
    if head is None:
        return False
    try:
        with engine.connect() as conn:
            current = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:  # no alembic_version table yet: a new database
        return False
    return current == [head]


def upgrade(engine: Engine) -> None:
    """Bring the database schema to the newest migration (idempotent, run on every start).

    Every start of the CLI, the worker and the app comes here; when the schema is already
    at head, one query answers and Alembic (a tenth of a second to import) is never loaded.
    """
    if at_head(engine):
        return
    from alembic import command

    from sync.store.locks import migration_lock
    # two starts on a fresh PostgreSQL raced on CREATE TABLE (IntegrityError on
    # pg_type_typname_nsp_index, 2 tries in 4): the second now waits, then finds the schema at head
    with migration_lock(engine), engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class BulkWriteFailed(Exception):
    """A COPY into the mirror failed; the database's own text (which quotes row values) is left out."""


def bulk_insert(conn: Connection, table: Table, columns: list[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert many rows inside the caller's transaction: COPY on PostgreSQL, else one executemany.

    The values stored are those of ``conn.execute(table.insert(), dicts)`` (SQLite gets each
    column's own SQLAlchemy bind processor), without SQLAlchemy's per-row parameter handling,
    which cost more than the database's own work (perf-facts.md: 0.93 s against 0.36 s for
    36,000 rows).
    """
    if not rows:
        return
    dialect, quote = conn.dialect, conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        try:
            with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except Exception as exc:  # its message and context quote the offending row: keep them out of logs
            raise BulkWriteFailed(f"COPY {table.name} failed ({type(exc).__name__})") from None
        finally:
            cursor.close()
        return
    if dialect.name != "sqlite":
        conn.execute(table.insert(), [dict(zip(columns, row)) for row in rows])
        return
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    if any(processors):
        values = list(zip(*rows))
        for j, process in enumerate(processors):
            if process is not None:
                done: dict[Any, Any] = {}  # dates and timestamps repeat: convert each once
                values[j] = [done[v] if v in done else done.setdefault(v, process(v)) for v in values[j]]
        rows = list(zip(*values))
    conn.exec_driver_sql(f"INSERT INTO {target} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)
