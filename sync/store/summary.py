"""The summary table: per source × dataset × community × month × status (× post type for posts),
the live rows' count and the posts' activities and service hours.

Every dashboard figure that is a count or a sum over months reads it instead of the million-row
data tables. ``refresh_summary`` recomputes one source's summary rows from its data rows; the sync
calls it inside the source's transaction, right after the mirror writer (the only thing that
changes data rows), so the two never disagree. Migration 0003 and bench/million.py call it for
every source.
"""

from __future__ import annotations

from sqlalchemy import Connection, Integer, String, delete, func, insert, literal, null, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Date

from sync.store.models import summary

DATE_COLUMNS = {"roster": "registered_on", "wishes": "raised_on", "posts": "started_on"}  # what "month" is


class month_start(FunctionElement):  # noqa: N801 - reads like the SQL it compiles to
    """The first day of a date's month, as a date."""

    type = Date()
    inherit_cache = True


@compiles(month_start)
def _month_generic(element, compiler, **kw) -> str:
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(month_start, "sqlite")
def _month_sqlite(element, compiler, **kw) -> str:
    # SQLite keeps dates as ISO text: the month's first day is a prefix and a suffix (NULL stays NULL)
    return f"(substr({compiler.process(element.clauses, **kw)}, 1, 7) || '-01')"


def _aggregate(dataset: str, source: str | None):
    """SELECT of one dataset's summary rows, from its live rows."""
    from sync.store.models import DATA_TABLES  # built from the schemas on first use

    table = DATA_TABLES[dataset]
    month = month_start(table.c[DATE_COLUMNS[dataset]])
    status = table.c.status if dataset != "roster" else None
    post_type = table.c.post_type if dataset == "posts" else None
    groups = [c for c in (table.c.source, table.c.community, month, status, post_type) if c is not None]
    sums = ([func.coalesce(func.sum(table.c.activities), 0), func.coalesce(func.sum(table.c.service_hours), 0.0)]
            if dataset == "posts" else [literal(0, Integer), literal(0.0)])
    where = [table.c.deleted_at.is_(None)] + ([table.c.source == source] if source is not None else [])
    return (select(table.c.source, literal(dataset, String), table.c.community, month,
                   status if status is not None else null(), post_type if post_type is not None else null(),
                   func.count(), *sums)
            .where(*where).group_by(*groups))


COLUMNS = ["source", "dataset", "community", "month", "status", "post_type", "rows", "activities", "service_hours"]


def refresh_summary(conn: Connection, source: str | None = None) -> None:
    """Recompute the summary rows of ``source`` (None: every source) inside the caller's transaction."""
    conn.execute(delete(summary).where(*([summary.c.source == source] if source is not None else [])))
    for dataset in DATE_COLUMNS:
        conn.execute(insert(summary).from_select(COLUMNS, _aggregate(dataset, source)))
