"""The source registry in the database: provisioned from TOML, edited in the app."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select

from sync.store.models import now, sources

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
    fingerprint: str | None = None
    last_checked_at: datetime | None = None
    last_ok_at: datetime | None = None


_COLUMNS = [f.name for f in fields(Source)]


def _row(values: dict[str, Any]) -> dict[str, Any]:
    return {k: values[k] for k in EDITABLE if k in values}


def save_source(engine: Engine, name: str, values: dict[str, Any]) -> None:
    """Insert or update one source by name (only the keys given change)."""
    row = _row(values)
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


def provision_sources(engine: Engine, declared: list[dict[str, Any]]) -> None:
    """Load the TOML's sources by name; idempotent, sources added in the app are left alone.

    One query reads the declared sources already there (every start of the CLI comes here);
    only a source that is new or differs goes through save_source.
    """
    names = [s["name"] for s in declared]
    if not names:
        return
    with engine.connect() as conn:
        existing = {r.name: r for r in conn.execute(select(sources).where(sources.c.name.in_(names)))}
    for source in declared:
        old = existing.get(source["name"])
        if old is None or any(old._mapping[k] != v for k, v in _row(source).items()):
            save_source(engine, source["name"], source)


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
