"""procrastinate's schema in the mirror's own PostgreSQL schema, with LISTEN channels of its own.

procrastinate's objects are created unqualified, so they land in the connection's
``search_path`` like every other table of the mirror. Its NOTIFY channels, though, are
database-wide: two mirrors in one database (a staging schema, the test suite's schema per
test) would wake each other's workers, and an "abort job 5" meant for one schema would reach
a worker of the other, where job 5 is another job. So the trigger functions notify on
channels prefixed per schema, and ``jobs.queue.SchemaConnector`` listens on those.
"""

from __future__ import annotations

import hashlib
import re

# the channel literals of procrastinate's trigger functions (sql/schema.sql, 3.x)
CHANNELS = ("'procrastinate_queue_v1#'", "'procrastinate_any_queue_v1'")
_OBJECT = re.compile(r"^CREATE (TABLE|TYPE|FUNCTION) (procrastinate_\w+)", re.MULTILINE)


def include_name(name: str | None, type_: str, _parent_names) -> bool:
    """Alembic's filter: procrastinate's tables are its own, not the models' (autogenerate leaves them)."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def channel_prefix(schema: str) -> str:
    """A short, stable prefix per schema; channel names are identifiers (at most 63 bytes)."""
    return f"tz{hashlib.sha256(schema.encode()).hexdigest()[:10]}/"


# procrastinate_fetch_job_v2 checks, for every waiting job, that no other job holds its lock;
# its own index leads with the id, so each check scanned the whole index: with 1,200 waiting
# sync jobs (each with a lock) one fetch took 0.37 s (bench.queue_throughput). Keyed by lock, a few ms.
LOCK_INDEX = ("CREATE INDEX taizhang_procrastinate_jobs_lock_idx ON procrastinate_jobs (lock) "
              "WHERE status IN ('todo', 'doing');")


def queue_schema_sql(schema: str) -> str:
    """procrastinate's schema.sql with its notifications on this schema's channels, plus LOCK_INDEX."""
    from procrastinate.schema import SchemaManager

    sql = SchemaManager.get_schema()
    for literal in CHANNELS:
        if literal not in sql:  # a procrastinate release changed its triggers: review before upgrading
            raise RuntimeError(f"procrastinate schema.sql no longer contains {literal}")
        sql = sql.replace(literal, f"'{channel_prefix(schema)}{literal[1:]}")
    return sql + "\n" + LOCK_INDEX


def drop_queue_schema_sql() -> str:
    """Statements that remove every procrastinate object that ``queue_schema_sql`` created."""
    from procrastinate.schema import SchemaManager

    found = _OBJECT.findall(SchemaManager.get_schema())
    drops = [f"DROP TABLE IF EXISTS {name} CASCADE;" for kind, name in found if kind == "TABLE"]
    drops += [f"DROP FUNCTION IF EXISTS {name} CASCADE;" for kind, name in found if kind == "FUNCTION"]
    drops += [f"DROP TYPE IF EXISTS {name} CASCADE;" for kind, name in found if kind == "TYPE"]
    return "\n".join(drops)
