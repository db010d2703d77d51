"""The overview's measures (domain.md "What the dashboards show"), read from the summary table.

The summary (sync/store/summary.py) holds per source, community and month the live rows' counts
and the posts' sums, kept in step by every sync; these queries never read the data tables. A
period is whole months (sync/queries/periods.py) and applies to members (by 报到日期) and wishes
(by 登记日期); posts are their current state. The KPIs' previous values compare flows with the
previous period's flows, and the posts with the posts set up by the previous period's end.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, Engine, and_, case, func, select, true

from sync.queries.scope import Streets, frame, rate, visible_sources
from sync.store.models import sources, summary

PLACE = ["district", "street", "community"]
MEASURES = ["members", "wishes", "claimed", "completed", "posts", "staffed", "vacant", "activities", "service_hours"]
FLOWS = ("members", "wishes", "claimed", "completed")  # counted in the period; the rest are the posts now
MONTHLY = summary.c.post_type.is_(None)  # month rows; post-type rows carry the posts once more


def places(engine: Engine, streets: Streets) -> pd.DataFrame:
    """The districts and streets the user may see (for the filters)."""
    stmt = (select(sources.c.district, sources.c.street).distinct()
            .where(*visible_sources(streets), sources.c.retired_at.is_(None))
            .order_by(sources.c.district, sources.c.street))
    return frame(engine, stmt)


def _scope(streets: Streets) -> list[ColumnElement]:
    """The summary rows a user may see: not from a retired source, in their street(s)."""
    live = [summary.c.source.not_in(select(sources.c.name).where(sources.c.retired_at.is_not(None)))]
    if streets is None:
        return live
    return [*live, summary.c.source.in_(select(sources.c.name).where(sources.c.street.in_(streets)))]


def in_period(start: date | None, end: date | None) -> ColumnElement:
    """Month rows of the months from ``start`` to ``end``."""
    month = summary.c.month
    bounds = ([month >= start.replace(day=1)] if start else []) + ([month <= end] if end else [])
    return and_(*bounds) if bounds else true()


def _ints(table: pd.DataFrame, columns) -> pd.DataFrame:
    return table.astype({c: "int64" for c in columns if c != "service_hours"} | {"service_hours": "float64"})


def by_place(engine: Engine, streets: Streets, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Every measure per district → street → community (members and wishes in the period, posts
    now): summed per source first, then joined to the (small) sources table."""
    period = in_period(start, end)
    flows = [func.sum(case((period, summary.c[m]), else_=0)).label(m) if start or end else
             func.sum(summary.c[m]).label(m) for m in FLOWS]
    inner = (select(summary.c.source, summary.c.community, *flows,
                    *(func.sum(summary.c[m]).label(m) for m in MEASURES if m not in FLOWS))
             .where(*_scope(streets), MONTHLY).group_by(summary.c.source, summary.c.community).subquery())
    place = [sources.c.district, sources.c.street, inner.c.community]
    stmt = (select(*place, *(func.sum(inner.c[m]).label(m) for m in MEASURES))
            .select_from(inner.join(sources, sources.c.name == inner.c.source)).group_by(*place).order_by(*place))
    return _ints(frame(engine, stmt, PLACE + MEASURES), MEASURES)


def _with_rates(sums: dict[str, float | int]) -> dict[str, float | int | None]:
    return sums | {"claim_rate": rate(sums["claimed"], sums["wishes"]),
                   "completion_rate": rate(sums["completed"], sums["wishes"])}


def totals(table: pd.DataFrame) -> dict[str, float | int | None]:
    """The headline numbers from a by_place frame, with the claim and completion rates."""
    return _with_rates({m: (table[m].sum().item() if len(table) else 0) for m in MEASURES})


def roll_up(table: pd.DataFrame, level: str) -> pd.DataFrame:
    """by_place summed to district, street or community, with the rates."""
    keys = PLACE[: PLACE.index(level) + 1]
    out = table.groupby(keys, as_index=False)[MEASURES].sum()
    wishes = out["wishes"].where(out["wishes"] > 0)
    out["claim_rate"] = (out["claimed"] / wishes).round(3)
    out["completion_rate"] = (out["completed"] / wishes).round(3)
    return out


def monthly(engine: Engine, streets: Streets) -> pd.DataFrame:
    """Every measure per month of the rows' own dates, all time: members by 报到日期, wishes by
    登记日期 (claimed and completed as they are now), posts by 设岗日期; a NaT month holds the posts
    without a 设岗日期."""
    stmt = (select(summary.c.month, *(func.sum(summary.c[m]).label(m) for m in MEASURES))
            .where(*_scope(streets), MONTHLY).group_by(summary.c.month).order_by(summary.c.month))
    out = _ints(frame(engine, stmt, ["month", *MEASURES]), MEASURES)
    out["month"] = pd.to_datetime(out["month"])
    return out


def kpis(months: pd.DataFrame, start: date | None = None, end: date | None = None) -> dict[str, float | int | None]:
    """The headline numbers from ``monthly``: members and wishes of the months from start to end,
    posts set up by the end (undated posts always counted); with the rates."""
    month = months["month"]
    upto = month.isna() | (month <= _month(end)) if end else pd.Series(True, index=months.index)
    flows = upto & (month >= _month(start)) if start else upto
    return _with_rates({m: months.loc[flows if m in FLOWS else upto, m].sum().item() for m in MEASURES})


def _month(day: date) -> pd.Timestamp:
    return pd.Timestamp(day.replace(day=1))


def cumulative(counts: pd.DataFrame, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Members and wishes registered up to each month of the period: running totals since the
    first row, one per month (months without rows too) up to the period's end or the last row."""
    counts = counts.dropna(subset=["month"])
    if counts.empty or (end is not None and _month(end) < counts["month"].min()):
        return pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"), "members": [], "wishes": []})
    first = counts["month"].min()
    last = _month(end) if end is not None else counts["month"].max()
    months = pd.date_range(first, last, freq="MS", name="month")
    running = counts.set_index("month")[["members", "wishes"]].reindex(months, fill_value=0).cumsum()
    return running[running.index >= (_month(start) if start is not None else first)].reset_index()


def quarterly(counts: pd.DataFrame, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Per quarter of the period with wishes: how many were raised, and the share of them claimed
    and completed by now."""
    month = counts["month"]
    inside = month.notna()
    if start is not None:
        inside &= month >= _month(start)
    if end is not None:
        inside &= month <= _month(end)
    inside = counts[inside]
    grouped = inside.groupby(inside["month"].dt.to_period("Q"))[["wishes", "claimed", "completed"]].sum()
    grouped = grouped[grouped["wishes"] > 0]
    return pd.DataFrame({"quarter": [f"{q.year}年Q{q.quarter}" for q in grouped.index],
                         "wishes": grouped["wishes"].to_numpy(),
                         "claim_rate": (grouped["claimed"] / grouped["wishes"]).round(3).to_numpy(),
                         "completion_rate": (grouped["completed"] / grouped["wishes"]).round(3).to_numpy()})


def posts_by_type(engine: Engine, streets: Streets) -> pd.DataFrame:
    """The post types now: posts (revoked included), staffed, vacant, revoked, activities, service hours."""
    s = summary.c
    counts = ["posts", "staffed", "vacant", "revoked", "activities"]
    stmt = (select(s.post_type, func.sum(s.posts + s.revoked).label("posts"),
                   *(func.sum(s[m]).label(m) for m in counts[1:]), func.sum(s.service_hours).label("service_hours"))
            .where(*_scope(streets), s.post_type.is_not(None)).group_by(s.post_type).order_by(s.post_type))
    return _ints(frame(engine, stmt, ["post_type", *counts, "service_hours"]), [*counts, "service_hours"])
