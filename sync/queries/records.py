"""Row listings for the street page and downloads: one page of rows, searchable, masked by default.

Personal data leaves the database masked (the stored ID mask, phones masked here); only an
admin's explicit request, passing the vault, decrypts ID numbers and shows phones in full.
"""

from __future__ import annotations

import re

import pandas as pd
from sqlalchemy import Engine, func, or_, select

from schemas import DATASETS
from sync.check.privacy import mask_texts
from sync.store.crypto import Vault
from sync.store.models import DATA_TABLES, sources
from sync.queries.scope import Streets, frame, live, masked_phones, with_place

PAGE_ROWS = 500
SEARCHED = {"roster": ("name", "employer", "party_org", "grid"), "wishes": ("wish_id", "wisher", "content", "claimer"),
            "posts": ("post_id", "post_name", "holder")}
ID_PATTERN = re.compile(r"^\d{17}[\dXx]$")
MARKS = {"stale": "未通过校验（显示上次内容）", "warned": "有警告"}


def _columns(dataset: str, reveal: bool) -> list:
    table = DATA_TABLES[dataset]
    out = [sources.c.street.label("街道"), table.c.community.label("社区")]
    for name, meta in DATASETS[dataset].fields.items():
        if name == "community":
            continue
        if meta.kind == "id":
            out.append(table.c[f"{name}_enc" if reveal else f"{name}_masked"].label(meta.header))
        else:
            out.append(table.c[name].label(meta.header))
    return out + [table.c.source.label("数据源"), table.c.sheet.label("工作表"), table.c.sheet_row.label("行号"),
                  table.c.stale, table.c.warned]


def _where(dataset: str, streets: Streets, community: str | None, grid: str | None, status: str | None,
           search: str | None, vault: Vault) -> list:
    table = DATA_TABLES[dataset]
    conditions = live(table, streets)
    if community:
        conditions.append(table.c.community == community)
    if grid and "grid" in table.c:
        conditions.append(table.c.grid == grid)
    if status and "status" in table.c:
        conditions.append(table.c.status == status)
    term = (search or "").strip()
    if term:
        matches = [table.c[f].contains(term, autoescape=True) for f in SEARCHED[dataset]]
        if dataset == "roster" and ID_PATTERN.match(term):  # a full ID number: match its lookup hash
            matches.append(table.c.id_number_hash == vault.lookup_hash(term.upper()))
        conditions.append(or_(*matches))
    return conditions


def records(engine: Engine, vault: Vault, dataset: str, streets: Streets, *, community: str | None = None,
            grid: str | None = None, status: str | None = None, search: str | None = None,
            limit: int | None = PAGE_ROWS, reveal: bool = False) -> tuple[pd.DataFrame, int]:
    """(rows with the sheet's own headers, total matching); ``reveal`` (admins only) unmasks personal data."""
    table = DATA_TABLES[dataset]
    conditions = _where(dataset, streets, community, grid, status, search, vault)
    stmt = (select(*_columns(dataset, reveal)).select_from(with_place(table)).where(*conditions)
            .order_by(sources.c.street, table.c.community, table.c.source, table.c.sheet, table.c.sheet_row))
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(table).where(*conditions)).scalar_one()
        rows = frame(conn, stmt.limit(limit) if limit else stmt)
    return _present(dataset, rows, vault if reveal else None), total


def _present(dataset: str, rows: pd.DataFrame, vault: Vault | None) -> pd.DataFrame:
    d = DATASETS[dataset]
    for meta in d.fields.values():
        if meta.kind == "id" and vault is not None:
            rows[meta.header] = rows[meta.header].map(vault.decrypt)
        elif meta.kind == "phone" and vault is None:
            rows[meta.header] = masked_phones(rows[meta.header])
    if vault is None:  # an ID or a phone in 姓名 or 备注 (rows stored before they were masked on the way in)
        for column in rows.select_dtypes(include=["object", "string"]).columns:
            rows[column] = mask_texts(rows[column].tolist())
    marks = [rows[flag].map({True: text, False: ""}) for flag, text in MARKS.items()]
    rows["标记"] = [" ".join(m for m in pair if m) for pair in zip(*marks)] if len(rows) else []
    return rows.drop(columns=list(MARKS))


def grids(engine: Engine, streets: Streets, community: str | None = None) -> pd.DataFrame:
    """Members per community and grid (the street page's drill-down)."""
    roster = DATA_TABLES["roster"]
    conditions = live(roster, streets) + ([roster.c.community == community] if community else [])
    grid = func.coalesce(roster.c.grid, "（未填网格）")
    stmt = (select(sources.c.street, roster.c.community, grid.label("grid"), func.count().label("members"))
            .select_from(with_place(roster)).where(*conditions)
            .group_by(sources.c.street, roster.c.community, grid).order_by(sources.c.street, roster.c.community, grid))
    return frame(engine, stmt)
