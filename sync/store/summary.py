"""The summary table: what the dashboards count and sum, per source, community and month.

Two kinds of row, both per source and community:

- a month row (``post_type`` NULL) per month of the rows' own dates — members by 报到日期, wishes
  by 登记日期 (with how many of them are claimed and completed now), posts by 设岗日期 (their
  status now, activities and service hours); posts without a 设岗日期 in a row whose month is NULL;
- a post-type row (``month`` NULL) per post type: the posts' status, activities and hours.

Statuses are columns rather than rows, so a million-row mirror of 18 streets has about 11,000
summary rows and every dashboard aggregate reads those. ``refresh_summary`` recomputes one
source's rows from its live data rows (soft-deleted rows out, stale rows in with their last good
values, as everywhere on the dashboards); the sync calls it inside the source's transaction right
after the mirror writer, the only thing that changes data rows, so the two never disagree.
Migration 0008 and bench/million.py call it for every source.
"""

from __future__ import annotations

from sqlalchemy import (Connection, Date, Float, Integer, String, case, cast, delete, func, insert, literal, null, select,
                        union_all)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from sync.store.models import SUMMARY_COUNTS, summary

MEASURES = (*SUMMARY_COUNTS, "service_hours")
CLAIMED = ("已认领", "已完成")
UNTYPED = "未分类"  # a post without a type still needs a post-type row of its own


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


def _count_if(condition: ColumnElement) -> ColumnElement:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _parts(source: str | None) -> list:
    """One SELECT per dataset (and per grain of posts), each already grouped, in MEASURES' columns."""
    from sync.store.models import DATA_TABLES  # built from the schemas on first use

    roster, wishes, posts = DATA_TABLES["roster"], DATA_TABLES["wishes"], DATA_TABLES["posts"]
    post_measures = {"posts": _count_if(posts.c.status != "撤销"), "staffed": _count_if(posts.c.status == "在岗"),
                     "vacant": _count_if(posts.c.status == "空缺"), "revoked": _count_if(posts.c.status == "撤销"),
                     "activities": func.coalesce(func.sum(posts.c.activities), 0),
                     "service_hours": func.coalesce(func.sum(posts.c.service_hours), 0.0)}
    post_type = func.coalesce(posts.c.post_type, UNTYPED)
    grains = [(roster, month_start(roster.c.registered_on), None, {"members": func.count()}),
              (wishes, month_start(wishes.c.raised_on), None,
               {"wishes": func.count(), "claimed": _count_if(wishes.c.status.in_(CLAIMED)),
                "completed": _count_if(wishes.c.status == "已完成")}),
              (posts, month_start(posts.c.started_on), None, post_measures),
              (posts, None, post_type, post_measures)]
    parts = []
    for table, month, kind, measures in grains:
        where = [table.c.deleted_at.is_(None)] + ([table.c.source == source] if source is not None else [])
        keys = [table.c.source, table.c.community, month if month is not None else kind]
        values = [measures.get(m, literal(0.0 if m == "service_hours" else 0, Float if m == "service_hours"
                                          else Integer)).label(m) for m in MEASURES]
        parts.append(select(table.c.source.label("source"), table.c.community.label("community"),
                            (month if month is not None else cast(null(), Date)).label("month"),
                            (kind if kind is not None else cast(null(), String)).label("post_type"), *values)
                     .where(*where).group_by(*keys))
    return parts


def refresh_summary(conn: Connection, source: str | None = None) -> None:
    """Recompute the summary rows of ``source`` (None: every source) inside the caller's transaction."""
    conn.execute(delete(summary).where(*([summary.c.source == source] if source is not None else [])))
    merged = union_all(*_parts(source)).subquery()
    keys = [merged.c.source, merged.c.community, merged.c.month, merged.c.post_type]
    rows = select(*keys, *(func.sum(merged.c[m]) for m in MEASURES)).group_by(*keys)
    conn.execute(insert(summary).from_select(["source", "community", "month", "post_type", *MEASURES], rows))
