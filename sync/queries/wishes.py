"""Micro-wishes: the funnel, days to claim and to complete, wishes waiting too long."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Engine, case, func, select

from sync.store.models import sources, wishes
from sync.check.privacy import mask_texts
from sync.queries.scope import DATE_COLUMNS, Streets, days_between, frame, live, masked_phones, with_place

WAIT_DAYS = 30
BUCKETS = ((7, "7天以内"), (30, "8–30天"), (90, "31–90天"))
OVER = "90天以上"


def _bucket(days) -> object:
    return case(*((days <= limit, label) for limit, label in BUCKETS), else_=OVER)


def durations(engine: Engine, streets: Streets, start: date | None = None, end: date | None = None,
              today: date | None = None) -> pd.DataFrame:
    """Per street: wishes, average days to claim and to complete, pending wishes waiting > 30 days."""
    today = today or date.today()
    to_claim = days_between(wishes.c.raised_on, wishes.c.claimed_on)
    to_complete = days_between(wishes.c.claimed_on, wishes.c.completed_on)
    waiting = case(((wishes.c.status == "待认领") & (wishes.c.raised_on < today - timedelta(days=WAIT_DAYS)), 1),
                   else_=0)
    stmt = (select(sources.c.district, sources.c.street, func.count().label("wishes"),
                   func.avg(to_claim).label("days_to_claim"), func.avg(to_complete).label("days_to_complete"),
                   func.coalesce(func.sum(waiting), 0).label("waiting"))
            .select_from(with_place(wishes)).where(*live(wishes, streets, start, end, DATE_COLUMNS["wishes"]))
            .group_by(sources.c.district, sources.c.street).order_by(sources.c.district, sources.c.street))
    out = frame(engine, stmt)
    return out.astype({"days_to_claim": "float64", "days_to_complete": "float64"}).round(1)


def duration_buckets(engine: Engine, streets: Streets, start: date | None = None,
                     end: date | None = None) -> pd.DataFrame:
    """How many wishes were claimed (completed) within 7, 30, 90 days or later."""
    parts = []
    with engine.connect() as conn:
        for name, first, then in (("claim", "raised_on", "claimed_on"), ("complete", "claimed_on", "completed_on")):
            bucket = _bucket(days_between(wishes.c[first], wishes.c[then])).label("bucket")
            stmt = (select(bucket, func.count().label(name))
                    .where(*live(wishes, streets, start, end, DATE_COLUMNS["wishes"]), wishes.c[then].is_not(None),
                           wishes.c[first].is_not(None)).group_by(bucket))
            parts.append(frame(conn, stmt).set_index("bucket"))
    order = [label for _limit, label in BUCKETS] + [OVER]
    return pd.concat(parts, axis=1).reindex(order).fillna(0).astype("int64").rename_axis("bucket").reset_index()


def by_category(engine: Engine, streets: Streets, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    category = func.coalesce(wishes.c.category, "未分类").label("category")
    stmt = (select(category, wishes.c.status, func.count().label("wishes"))
            .where(*live(wishes, streets, start, end, DATE_COLUMNS["wishes"]))
            .group_by(category, wishes.c.status).order_by(category))
    return frame(engine, stmt)


def waiting(engine: Engine, streets: Streets, today: date | None = None, limit: int = 500) -> tuple[pd.DataFrame, int]:
    """Pending wishes raised more than 30 days ago, longest waiting first; phones masked."""
    today = today or date.today()
    conditions = live(wishes, streets) + [wishes.c.status == "待认领",
                                          wishes.c.raised_on < today - timedelta(days=WAIT_DAYS)]
    stmt = (select(sources.c.street.label("街道"), wishes.c.community.label("社区"), wishes.c.wish_id.label("心愿编号"),
                   wishes.c.wisher.label("心愿人"), wishes.c.wisher_phone.label("联系电话"),
                   wishes.c.content.label("心愿内容"), wishes.c.raised_on.label("登记日期"))
            .select_from(with_place(wishes)).where(*conditions).order_by(wishes.c.raised_on).limit(limit))
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(wishes).where(*conditions)).scalar_one()
        rows = frame(conn, stmt)
    rows["联系电话"] = masked_phones(rows["联系电话"])
    for column in ("心愿人", "心愿内容"):  # free text: an ID or a phone typed there is masked too
        rows[column] = mask_texts(rows[column].tolist())
    rows["等待天数"] = [(today - d).days for d in rows["登记日期"]]
    return rows, total
