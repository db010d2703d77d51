"""What every dashboard query shares: street scoping, the live-row filter, portable date maths.

``streets`` is the caller's visibility: a tuple of street names, or None for every street.
Street staff only ever pass their own streets, so no query can return another street's rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, Select, Table, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlalchemy.types import Float

from sync.store.models import sources
from sync.check.privacy import mask_phone

Streets = tuple[str, ...] | None
DATE_COLUMNS = {"roster": "registered_on", "wishes": "raised_on"}  # what the period filter applies to


class days_between(FunctionElement):  # noqa: N801 - reads like the SQL function it compiles to
    """Whole days from the first date to the second, on SQLite and PostgreSQL alike."""

    type = Float()
    inherit_cache = True


@compiles(days_between)
def _days_generic(element, compiler, **kw) -> str:
    start, end = list(element.clauses)
    return f"(CAST({compiler.process(end, **kw)} AS DATE) - CAST({compiler.process(start, **kw)} AS DATE))"


@compiles(days_between, "sqlite")
def _days_sqlite(element, compiler, **kw) -> str:
    start, end = list(element.clauses)
    return f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"


def live(table: Table, streets: Streets, start: date | None = None, end: date | None = None,
         date_column: str | None = None) -> list[ColumnElement]:
    """Conditions for the rows a user may see: in the sheet now, not from a retired source, in their
    streets, in the period."""
    conditions: list[ColumnElement] = [table.c.deleted_at.is_(None),
                                       table.c.source.not_in(select(sources.c.name).where(sources.c.retired_at.is_not(None)))]
    if streets is not None:
        conditions.append(table.c.source.in_(select(sources.c.name).where(sources.c.street.in_(streets))))
    column = table.c[date_column] if date_column else None
    if column is not None and start is not None:
        conditions.append(column >= start)
    if column is not None and end is not None:
        conditions.append(column <= end)
    return conditions


def with_place(table: Table) -> Any:
    """The data table joined to its source, for district and street."""
    return table.join(sources, sources.c.name == table.c.source)


def visible_sources(streets: Streets) -> list[ColumnElement]:
    return [] if streets is None else [sources.c.street.in_(streets)]


def frame(conn: Connection | Engine, stmt: Select, columns: list[str] | None = None) -> pd.DataFrame:
    """A small result (aggregates, one page of rows) as a DataFrame."""
    if isinstance(conn, Engine):
        with conn.connect() as c:
            return frame(c, stmt, columns)
    result = conn.execute(stmt)
    return pd.DataFrame(result.fetchall(), columns=columns or list(result.keys()))


def masked_phones(values: pd.Series) -> pd.Series:
    """Phones masked; empty cells (None, or NaN when a whole column is empty) stay empty."""
    return values.map(lambda v: mask_phone(v) if isinstance(v, str) else None)


def count_if(condition: ColumnElement) -> ColumnElement:
    """How many rows meet the condition (0, never NULL, on an empty group)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def rate(part: int | float, whole: int | float) -> float | None:
    return part / whole if whole else None
