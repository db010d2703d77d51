"""Data quality and sync history: open issues, stale sheets, runs, held runs; per the user's streets."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import Engine, func, select

from sync.store.models import issues, sheets, sources, sync_runs
from sync.queries.scope import Streets, count_if, frame, visible_sources

SEVERITIES = ("error", "warning", "info")


def _issue_filters(streets: Streets, street: str | None, source: str | None, dataset: str | None,
                   severity: str | None, check: str | None = None) -> list:
    conditions = visible_sources(streets)
    for column, value in ((sources.c.street, street), (issues.c.source, source), (issues.c.dataset, dataset),
                          (issues.c.severity, severity), (issues.c.check, check)):
        if value:
            conditions.append(column == value)
    return conditions


def issue_counts(engine: Engine, streets: Streets) -> pd.DataFrame:
    """Open issues per street, source, dataset, severity and check."""
    stmt = (select(sources.c.street, issues.c.source, issues.c.dataset, issues.c.severity, issues.c.check,
                   func.count().label("issues"))
            .select_from(issues.join(sources, sources.c.name == issues.c.source)).where(*visible_sources(streets))
            .group_by(sources.c.street, issues.c.source, issues.c.dataset, issues.c.severity, issues.c.check)
            .order_by(sources.c.street, issues.c.source))
    return frame(engine, stmt)


def issue_list(engine: Engine, streets: Streets, *, street: str | None = None, source: str | None = None,
               dataset: str | None = None, severity: str | None = None, check: str | None = None,
               limit: int | None = None) -> tuple[pd.DataFrame, int]:
    """Open issues in sheet order: street, source, worksheet, row, cell, column, value, message."""
    conditions = _issue_filters(streets, street, source, dataset, severity, check)
    joined = issues.join(sources, sources.c.name == issues.c.source)
    stmt = (select(sources.c.street.label("街道"), issues.c.source.label("数据源"), issues.c.dataset,
                   issues.c.severity, issues.c.sheet.label("工作表"), issues.c.row.label("行"),
                   issues.c.cell.label("单元格"), issues.c.column.label("列"), issues.c.value.label("当前值"),
                   issues.c.message.label("问题说明"), issues.c.check.label("检查项"))
            .select_from(joined).where(*conditions)
            .order_by(sources.c.street, issues.c.source, issues.c.sheet, issues.c.row, issues.c.id))
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(joined).where(*conditions)).scalar_one()
        rows = frame(conn, stmt.limit(limit) if limit else stmt)
    return rows.astype({"行": "Int64"}), total  # whole row numbers, blank for sheet-level issues (never 14.0)


def stale_sheets(engine: Engine, streets: Streets, days: int, now: datetime) -> pd.DataFrame:
    """Worksheets whose content has not changed for ``days`` days (per the last syncs that read them)."""
    stmt = (select(sources.c.street, sheets.c.source, sheets.c.sheet, sheets.c.dataset, sheets.c.rows,
                   sheets.c.changed_at, sheets.c.synced_at)
            .select_from(sheets.join(sources, sources.c.name == sheets.c.source))
            .where(*visible_sources(streets), sheets.c.dataset.is_not(None),
                   sheets.c.changed_at < now - timedelta(days=days))
            .order_by(sheets.c.changed_at))
    return frame(engine, stmt)


def _latest_runs():
    latest = select(sync_runs.c.source, func.max(sync_runs.c.id).label("id")).group_by(sync_runs.c.source).subquery()
    return sync_runs.join(latest, latest.c.id == sync_runs.c.id)


def source_health(engine: Engine, streets: Streets) -> pd.DataFrame:
    """Per source: where it reads from, its last run and last success, and its open errors and warnings."""
    counts = (select(issues.c.source,
                     count_if(issues.c.severity == "error").label("errors"),
                     count_if(issues.c.severity == "warning").label("warnings"))
              .group_by(issues.c.source).subquery())
    latest = _latest_runs()
    stmt = (select(sources.c.district, sources.c.street, sources.c.name, sources.c.kind, sources.c.path,
                   sources.c.spreadsheet, sources.c.enabled, sources.c.retired_at, sources.c.schedule,
                   sources.c.last_ok_at,
                   sync_runs.c.status.label("last_status"), sync_runs.c.finished_at.label("last_run_at"),
                   sync_runs.c.message.label("last_message"),
                   func.coalesce(counts.c.errors, 0).label("errors"),
                   func.coalesce(counts.c.warnings, 0).label("warnings"))
            .select_from(sources.outerjoin(latest, sync_runs.c.source == sources.c.name)
                         .outerjoin(counts, counts.c.source == sources.c.name))
            .where(*visible_sources(streets)).order_by(sources.c.district, sources.c.street, sources.c.name))
    return frame(engine, stmt)


def run_history(engine: Engine, streets: Streets, source: str | None = None, limit: int = 200) -> pd.DataFrame:
    """The latest sync runs, newest first."""
    conditions = [sync_runs.c.source.in_(select(sources.c.name).where(*visible_sources(streets)))]
    if source:
        conditions.append(sync_runs.c.source == source)
    stmt = (select(sync_runs.c.id, sync_runs.c.source, sync_runs.c.status, sync_runs.c.trigger,
                   sync_runs.c.started_at, sync_runs.c.finished_at, sync_runs.c.rows_read, sync_runs.c.inserted,
                   sync_runs.c.updated, sync_runs.c.deleted, sync_runs.c.errors, sync_runs.c.warnings,
                   sync_runs.c.message)
            .where(*conditions).order_by(sync_runs.c.id.desc()).limit(limit))
    return frame(engine, stmt)


def held_sources(engine: Engine, streets: Streets) -> pd.DataFrame:
    """Sources whose latest run was held (mirror untouched, waiting for a confirm)."""
    stmt = (select(sources.c.street, sync_runs.c.source, sync_runs.c.message, sync_runs.c.finished_at)
            .select_from(_latest_runs().join(sources, sources.c.name == sync_runs.c.source))
            .where(*visible_sources(streets), sync_runs.c.status == "held")
            .order_by(sync_runs.c.source))
    return frame(engine, stmt)


def street_registers(engine: Engine, street: str, other_than: str | None = None) -> dict[str, list[str]]:
    """Register (dataset) -> the street's other enabled sources that hold it (per their last sync):
    a second source of one register counts the street's people or wishes twice."""
    stmt = (select(sheets.c.dataset, sources.c.name).distinct()
            .select_from(sheets.join(sources, sources.c.name == sheets.c.source))
            .where(sources.c.street == street, sources.c.enabled.is_(True), sheets.c.dataset.is_not(None),
                   sheets.c.rows > 0, *([sources.c.name != other_than] if other_than else []))
            .order_by(sources.c.name))
    found: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for dataset, name in conn.execute(stmt):
            found.setdefault(dataset, []).append(name)
    return found
