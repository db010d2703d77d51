"""The overview's measures (domain.md "What the dashboards show"), aggregated in SQL."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import Engine, Label, Select, Table, func, select

from sync.store.models import posts, roster, sources, wishes
from sync.queries.scope import DATE_COLUMNS, Streets, count_if, frame, live, month_of, rate, visible_sources

PLACE = ["district", "street", "community"]
CLAIMED = ("已认领", "已完成")
MEASURES = ["members", "wishes", "claimed", "completed", "posts", "staffed", "vacant", "activities", "service_hours"]


def places(engine: Engine, streets: Streets) -> pd.DataFrame:
    """The districts and streets the user may see (for the filters)."""
    stmt = (select(sources.c.district, sources.c.street).distinct()
            .where(*visible_sources(streets), sources.c.retired_at.is_(None))
            .order_by(sources.c.district, sources.c.street))
    return frame(engine, stmt)


def _per_place(table: Table, measures: list[Label], conditions: list) -> Select:
    """Measures summed per district, street and community: grouped per source first, in the
    mirror's live-row index, then joined to the (small) sources table."""
    inner = (select(table.c.source, table.c.community, *measures).where(*conditions)
             .group_by(table.c.source, table.c.community).subquery())
    place = [sources.c.district, sources.c.street, inner.c.community]
    return (select(*place, *(func.sum(inner.c[m.name]).label(m.name) for m in measures))
            .select_from(inner.join(sources, sources.c.name == inner.c.source)).group_by(*place))


def by_place(engine: Engine, streets: Streets, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Every measure per district → street → community (the period applies to members and wishes)."""
    members = _per_place(roster, [func.count().label("members")],
                         live(roster, streets, start, end, DATE_COLUMNS["roster"]))
    raised = _per_place(wishes, [func.count().label("wishes"), count_if(wishes.c.status.in_(CLAIMED)).label("claimed"),
                                 count_if(wishes.c.status == "已完成").label("completed")],
                        live(wishes, streets, start, end, DATE_COLUMNS["wishes"]))
    held = _per_place(posts, [count_if(posts.c.status != "撤销").label("posts"),
                              count_if(posts.c.status == "在岗").label("staffed"),
                              count_if(posts.c.status == "空缺").label("vacant"),
                              func.coalesce(func.sum(posts.c.activities), 0).label("activities"),
                              func.coalesce(func.sum(posts.c.service_hours), 0.0).label("service_hours")],
                      live(posts, streets))
    with engine.connect() as conn:
        parts = [frame(conn, stmt).set_index(PLACE) for stmt in (members, raised, held)]
    merged = pd.concat(parts, axis=1).reindex(columns=MEASURES)
    merged = merged.fillna(0).astype({m: "int64" for m in MEASURES if m != "service_hours"})
    return merged.sort_index().reset_index()


def totals(table: pd.DataFrame) -> dict[str, float | int | None]:
    """The headline numbers from a by_place frame, with the claim and completion rates."""
    sums = {m: (table[m].sum().item() if len(table) else 0) for m in MEASURES}
    sums["claim_rate"] = rate(sums["claimed"], sums["wishes"])
    sums["completion_rate"] = rate(sums["completed"], sums["wishes"])
    return sums


def roll_up(table: pd.DataFrame, level: str) -> pd.DataFrame:
    """by_place summed to district or street, with the rates."""
    keys = PLACE[: PLACE.index(level) + 1]
    out = table.groupby(keys, as_index=False)[MEASURES].sum()
    out["claim_rate"] = (out["claimed"] / out["wishes"].where(out["wishes"] > 0)).round(3)
    out["completion_rate"] = (out["completed"] / out["wishes"].where(out["wishes"] > 0)).round(3)
    return out


def monthly_trend(engine: Engine, streets: Streets, start: date | None = None,
                  end: date | None = None) -> pd.DataFrame:
    """Per month: members registered, wishes raised, wishes completed."""
    series = {"members": (roster, "registered_on"), "raised": (wishes, "raised_on"),
              "completed": (wishes, "completed_on")}
    parts = []
    with engine.connect() as conn:
        for name, (table, column) in series.items():
            month = month_of(table.c[column]).label("month")
            # no "date IS NOT NULL" here: it would steer SQLite to the date-only index and off
            # the covering live-row index; the undated rows' NULL month is dropped below
            stmt = select(month, func.count().label(name)).where(*live(table, streets, start, end, column))
            parts.append(frame(conn, stmt.group_by(month)).dropna(subset=["month"]).set_index("month"))
    out = pd.concat(parts, axis=1).fillna(0).astype("int64").sort_index()
    return out.rename_axis("month").reset_index()


def posts_by_type(engine: Engine, streets: Streets) -> pd.DataFrame:
    """The six post types: posts, staffed, vacant, activities and service hours."""
    stmt = (select(posts.c.post_type, func.count().label("posts"),
                   count_if(posts.c.status == "在岗").label("staffed"),
                   count_if(posts.c.status == "空缺").label("vacant"),
                   count_if(posts.c.status == "撤销").label("revoked"),
                   func.coalesce(func.sum(posts.c.activities), 0).label("activities"),
                   func.coalesce(func.sum(posts.c.service_hours), 0.0).label("service_hours"))
            .where(*live(posts, streets)).group_by(posts.c.post_type).order_by(posts.c.post_type))
    return frame(engine, stmt)
