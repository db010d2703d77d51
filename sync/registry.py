"""The source registry in the database: provisioned from TOML, edited in the app."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, fields
from datetime import datetime
from itertools import combinations
from typing import Any

from sqlalchemy import Engine, select

from sync.sources.kinds.upload import UPLOAD
from sync.store.models import now, sheets, sources

EDITABLE = ("street", "district", "kind", "path", "spreadsheet", "credentials", "api_endpoint", "sheets",
            "communities", "schedule", "recipients", "notify_on", "writeback", "enabled")


@dataclass(frozen=True)
class Source:
    id: int
    name: str
    street: str
    district: str
    kind: str
    path: str | None = None
    spreadsheet: str | None = None
    credentials: str | None = None
    api_endpoint: str | None = None
    sheets: dict[str, str] | None = None
    communities: list[str] | None = None
    schedule: str | None = None
    recipients: list[str] | None = None
    notify_on: str = "issues"
    writeback: bool = False
    enabled: bool = True
    declared: bool = False  # provisioned from the TOML file
    retired_at: datetime | None = None  # gone from the TOML file: disabled, rows kept out of the dashboards
    fingerprint: str | None = None
    read_at: datetime | None = None
    last_checked_at: datetime | None = None
    last_ok_at: datetime | None = None


_COLUMNS = [f.name for f in fields(Source)]


def _row(values: dict[str, Any]) -> dict[str, Any]:
    return {k: values[k] for k in EDITABLE if k in values}


def save_source(engine: Engine, name: str, values: dict[str, Any], *, declared: bool = False) -> None:
    """Insert or update one source by name (only the keys given change); ``declared``: from the TOML."""
    row = _row(values) | ({"declared": True, "retired_at": None} if declared else {})
    with engine.connect() as conn:
        existing = conn.execute(select(sources).where(sources.c.name == name)).first()
    if existing is not None:
        # write only what differs: a start-up that provisions unchanged sources must not
        # queue behind a sync holding SQLite's write lock
        row = {k: v for k, v in row.items() if existing._mapping[k] != v}
        if not row:
            return
    with engine.begin() as conn:
        if existing is None:
            row.setdefault("district", "")
            conn.execute(sources.insert().values(name=name, created_at=now(), updated_at=now(), **row))
        else:
            conn.execute(sources.update().where(sources.c.id == existing.id).values(updated_at=now(), **row))


def provision_sources(engine: Engine, declared: list[dict[str, Any]]) -> list[str]:
    """Load the TOML's sources by name; idempotent, sources added in the app are left alone.

    A source the file declared before and declares no more is retired: disabled, its rows kept
    (out of the dashboards), its open issues closed. Declared again, it comes back enabled.
    One query reads the sources already there (every start of the CLI comes here); only a
    source that is new or differs is written. Returns what changed, in Chinese, for the run to say.
    """
    names = [s["name"] for s in declared]
    with engine.connect() as conn:
        existing = {r.name: r for r in conn.execute(
            select(sources).where(sources.c.name.in_(names) | sources.c.declared.is_(True)))}
    notices = []
    for source in declared:
        old = existing.get(source["name"])
        if old is not None and old.kind == source.get("kind") == UPLOAD.name:
            source = {k: v for k, v in source.items() if k != "path"}  # the app keeps the current version
        if old is not None and old.retired_at is not None:
            source = {"enabled": True, **source}  # back in the file: back in service
            notices.append(f"数据源“{source['name']}”重新出现在配置文件中，已恢复启用")
        if old is None or not old.declared or old.retired_at is not None or any(
                old._mapping[k] != v for k, v in _row(source).items()):
            save_source(engine, source["name"], source, declared=True)
    gone = sorted(n for n, r in existing.items() if r.declared and r.retired_at is None and n not in names)
    if gone:
        retire_sources(engine, gone)
        notices += [f"数据源“{n}”已从配置文件中删除：已停用，其数据保留但不再计入看板" for n in gone]
    return notices


def retire_sources(engine: Engine, names: list[str]) -> None:
    """Disable sources for good: rows stay (history), out of the dashboards; no open issues remain.

    People on their rosters no longer count as registered there: rosters that shared one of them
    are checked again on their next sync (``sync.same_person``).
    """
    from sync.same_person import recheck_sharing
    from sync.store.models import issues
    with engine.begin() as conn:
        recheck_sharing(conn, names)
        conn.execute(sources.update().where(sources.c.name.in_(names))
                     .values(enabled=False, retired_at=now(), updated_at=now()))
        conn.execute(issues.delete().where(issues.c.source.in_(names)))


def list_sources(engine: Engine, names: list[str] | None = None, *, enabled_only: bool = False) -> list[Source]:
    query = select(*(sources.c[c] for c in _COLUMNS)).order_by(sources.c.district, sources.c.street, sources.c.name)
    if names:
        query = query.where(sources.c.name.in_(names))
    if enabled_only:
        query = query.where(sources.c.enabled.is_(True))
    with engine.connect() as conn:
        return [Source(**row._mapping) for row in conn.execute(query)]


def get_source(engine: Engine, name: str) -> Source | None:
    found = list_sources(engine, [name])
    return found[0] if found else None


_SHEET_KEY = re.compile(r"/d/([A-Za-z0-9_-]+)")


def _location(row: Any) -> str | None:
    """Where a source reads: its file, resolved, or its spreadsheet's key (a link or the bare key)."""
    if row.path:
        return os.path.normpath(os.path.abspath(row.path))  # no file system access: any text is a path here
    if row.spreadsheet:
        found = _SHEET_KEY.search(row.spreadsheet)
        return found.group(1) if found else row.spreadsheet.strip()
    return None


def duplicate_sources(engine: Engine, only: str | None = None) -> dict[str, list[str]]:
    """Enabled sources that would count people twice: two over one file or spreadsheet, or two
    holding the same register of one street (a source renamed in the app, say, beside the old one).

    Source name -> warnings in Chinese; a street that really keeps one register in two workbooks
    reads the warning and lets it be. ``only``: just the pairs with that source (a run asks for
    its own, once per source: every pair of a city's sources each time cost a fifth of an
    unchanged re-sync).
    """
    with engine.connect() as conn:
        live = conn.execute(select(sources.c.name, sources.c.street, sources.c.path, sources.c.spreadsheet,
                                   sources.c.sheets)
                            .where(sources.c.enabled.is_(True), sources.c.retired_at.is_(None))
                            .order_by(sources.c.name)).all()
        read = conn.execute(select(sheets.c.source, sheets.c.dataset).distinct()
                            .where(sheets.c.dataset.is_not(None))).all()
    holds: dict[str, set[str]] = defaultdict(set)
    for name, dataset in read:
        holds[name].add(dataset)
    for row in live:
        holds[row.name].update((row.sheets or {}).values())
    found: dict[str, list[str]] = defaultdict(list)
    where = {row.name: _location(row) for row in live}
    pairs = combinations(live, 2) if only is None else ((a, b) for a in live if a.name == only
                                                        for b in live if b.name != only)
    for a, b in pairs:
        if where[a.name] is not None and where[a.name] == where[b.name]:
            for one, other in ((a, b), (b, a)):
                found[one.name].append(f"与数据源“{other.name}”读取同一个文件或表格，数据会重复计入")
            continue
        shared = sorted(holds[a.name] & holds[b.name]) if a.street == b.street else []
        if shared:
            from schemas import DATASETS  # only when there is something to say: the schemas load pandas
            titles = "、".join(DATASETS[d].title for d in shared)
            for one, other in ((a, b), (b, a)):
                found[one.name].append(f"与数据源“{other.name}”都有{a.street}的{titles}，同一批记录可能重复计入"
                                       "（数据源改名后请停用旧的）")
    return dict(found)


def duplicate_notice(engine: Engine, source: Source) -> str | None:
    """This source's duplicate warnings as one line, for its run."""
    found = duplicate_sources(engine, only=source.name).get(source.name)
    return "；".join(found) if found else None
