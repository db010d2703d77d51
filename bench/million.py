"""A benchmark fixture: a mirror of one million synthetic rows, bulk-inserted straight into SQL.

The rows follow the city's proportions (roster : wishes : posts = 36 : 35 : 2) over 18 streets
of six communities each, with realistic widths (an encrypted ID is a 120-character token)
and 2% soft-deleted. It bypasses the sync on purpose (only the overview's queries are timed) and
then fills the summary table the dashboards read with the function migration 0008 uses.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Engine, Float, Integer, insert

from schemas import DATASETS
from sync.store.db import make_engine, upgrade
from sync.demo.people import STREETS
from sync.store.models import DATA_TABLES, sources
from sync.store.summary import refresh_summary

SHARE = {"roster": 36, "wishes": 35, "posts": 2}
COMMUNITIES = 6  # per street
CHUNK = 20_000
EPOCH = date(2018, 1, 1)


def _streets() -> list[tuple[str, str, str, list[str]]]:
    return [(slug, street, district, [f"{street[:2]}第{k + 1}社区" for k in range(COMMUNITIES)])
            for slug, street, district, _named in STREETS]


def _value(rng: random.Random, dataset: str, column: Any, i: int, when: datetime) -> Any:
    name, kind = column.name, column.type
    choices = DATASETS[dataset].choices(name) if name in DATASETS[dataset].fields else ()
    if name in ("first_seen_at", "updated_at"):
        return when
    if name == "deleted_at":
        return when if rng.random() < 0.02 else None
    if name in ("warned", "stale"):
        return False
    if name == "sheet_row":
        return i + 4
    if choices:
        return rng.choice(choices)
    if isinstance(kind, Date):
        return None if name == "completed_on" and rng.random() < 0.5 else EPOCH + timedelta(days=rng.randrange(2900))
    if isinstance(kind, Integer):
        return rng.randrange(60)
    if isinstance(kind, Float):
        return round(rng.uniform(0, 400), 1)
    if isinstance(kind, Boolean | DateTime):
        return None
    if name.endswith("_enc"):
        return "gAAAAA" + f"{i:0114d}"
    if name.endswith(("_hash", "row_hash")):
        return f"{i:064x}"
    if name == DATASETS[dataset].key:
        return f"K{i:08d}"
    if name.endswith("_masked"):
        return "140302********1234"
    return f"{name}{i % 997}"


def build_million(url: str, rows: int = 1_000_000, seed: int = 7) -> Engine:
    """Create the schema at ``url`` (which must be empty) and fill it with ``rows`` rows."""
    engine = make_engine(url)
    upgrade(engine)
    rng = random.Random(seed)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    streets = _streets()
    with engine.begin() as conn:
        conn.execute(insert(sources), [{"name": slug, "street": street, "district": district, "kind": "excel",
                                        "path": f"/nowhere/{slug}.xlsx", "created_at": when, "updated_at": when}
                                       for slug, street, district, _c in streets])
    total = sum(SHARE.values())
    for dataset, share in SHARE.items():
        table = DATA_TABLES[dataset]
        columns = [c for c in table.columns if c.name != "id"]
        count = rows * share // total
        for start in range(0, count, CHUNK):
            batch = []
            for i in range(start, min(count, start + CHUNK)):
                slug, _street, _district, communities = streets[i % len(streets)]
                row = {c.name: _value(rng, dataset, c, i, when) for c in columns}
                row.update(source=slug, sheet=dataset, community=rng.choice(communities))
                batch.append(row)
            with engine.begin() as conn:
                conn.execute(insert(table), batch)
    with engine.begin() as conn:
        refresh_summary(conn)  # what each sync keeps in step, computed for every source at once
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")  # the planner's statistics, as a live mirror would have them
    return engine
