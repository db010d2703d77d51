"""The supervisors' ranked table: each street (or, inside one street, each community) with its
members, wishes, claim and completion rates, open errors and how fresh its data is."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func, select

from sync.queries.overview import roll_up
from sync.queries.scope import Streets, count_if, frame, visible_sources
from sync.store.models import issues, sheets, sources

COLUMNS = ["members", "wishes", "claimed", "completed", "claim_rate", "completion_rate"]


def street_health(engine: Engine, streets: Streets) -> pd.DataFrame:
    """Per street: open errors, the latest good sync of its sources, and when one of its
    registers' worksheets last changed."""
    errors = (select(issues.c.source, count_if(issues.c.severity == "error").label("errors"))
              .group_by(issues.c.source).subquery())
    changed = (select(sheets.c.source, func.max(sheets.c.changed_at).label("changed_at"))
               .where(sheets.c.dataset.is_not(None)).group_by(sheets.c.source).subquery())
    stmt = (select(sources.c.street, func.coalesce(func.sum(errors.c.errors), 0).label("errors"),
                   func.max(sources.c.last_ok_at).label("last_ok_at"), func.max(changed.c.changed_at).label("changed_at"))
            .select_from(sources.outerjoin(errors, errors.c.source == sources.c.name)
                         .outerjoin(changed, changed.c.source == sources.c.name))
            .where(*visible_sources(streets)).group_by(sources.c.street))
    out = frame(engine, stmt, ["street", "errors", "last_ok_at", "changed_at"]).astype({"errors": "int64"})
    for column in ("last_ok_at", "changed_at"):
        out[column] = pd.to_datetime(out[column], utc=True)
    return out


def versus_city(value: float | None, city: float | None) -> str | None:
    """Whether a place's rate is above or below the city's (the colour of its cell)."""
    if value is None or city is None or pd.isna(value):
        return None
    return "above" if value >= city else "below"


def level_for(streets: Streets) -> str:
    """Streets side by side, or one street's communities when only one street is in view."""
    return "community" if streets is not None and len(streets) == 1 else "street"


def ranking(table: pd.DataFrame, health: pd.DataFrame | None, level: str, now: datetime) -> pd.DataFrame:
    """by_place rolled up to ``level``, ranked by completion rate (then members); streets also get
    their open errors, last good sync and days since a worksheet last changed."""
    out = roll_up(table, level)
    keys = ["district", "street"] + (["community"] if level == "community" else [])
    out = out[keys + COLUMNS]
    if level == "street" and health is not None:
        out = out.merge(health, on="street", how="left")
        out["errors"] = out["errors"].fillna(0).astype("int64")
        out["days_unchanged"] = (pd.Timestamp(now) - out["changed_at"]).dt.days.astype("Int64")
        out = out.drop(columns=["changed_at"])
    out = out.sort_values(["completion_rate", "members"], ascending=False, na_position="last", kind="stable")
    out.insert(0, "rank", out["completion_rate"].rank(ascending=False, method="min").astype("Int64"))
    return out.reset_index(drop=True)
