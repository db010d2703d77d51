"""bulk_insert stores exactly what SQLAlchemy's insert stores, and never leaks row values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from sync.store.db import BulkWriteFailed, bulk_insert, make_engine, upgrade
from sync.store.models import roster, row_history

WHEN = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


def roster_rows(start: int, n: int, enc: str = "token") -> list[dict]:
    return [{"source": "a", "sheet": "报到名册", "sheet_row": i + 4, "row_hash": f"{i:032x}", "warned": i % 2 == 0,
             "stale": False, "first_seen_at": WHEN, "updated_at": WHEN, "deleted_at": None if i % 3 else WHEN,
             "id_number_enc": enc, "id_number_hash": f"h{i}", "id_number_masked": "1403**********001X",
             "name": f"张{i}", "gender": None, "phone": "13800000000", "employer": "单位", "party_org": None,
             "community": "德胜街社区", "grid": None, "registered_on": date(2020, 1, 1 + i % 28),
             "post_type": "政策宣讲", "note": None} for i in range(start, start + n)]


def stored(engine, table) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r)[1:] for r in conn.execute(select(table).order_by(table.c.id))]


def test_bulk_insert_stores_what_sqlalchemy_stores(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    rows = roster_rows(0, 40)
    with engine.begin() as conn:
        conn.execute(roster.insert(), rows)
    expected = stored(engine, roster)
    with engine.begin() as conn:
        conn.execute(roster.delete())
        columns = list(rows[0])
        bulk_insert(conn, roster, columns, [tuple(r[c] for c in columns) for r in rows])
    assert stored(engine, roster) == expected
    history = [(1, "update", "phone", "138****0000", None, 7, "roster", "a", WHEN)]
    with engine.begin() as conn:
        bulk_insert(conn, row_history, ["row_id", "change", "field", "old", "new", "run_id", "dataset", "source",
                                        "changed_at"], history)
    with engine.connect() as conn:
        found = conn.execute(select(row_history.c.row_id, row_history.c.change, row_history.c.old,
                                    row_history.c.run_id, row_history.c.changed_at)).all()
    assert [tuple(r) for r in found] == [(1, "update", "138****0000", 7, found[0].changed_at)]
    at = found[0].changed_at  # SQLite hands back naive UTC
    assert (at if at.tzinfo else at.replace(tzinfo=UTC)) == WHEN
    engine.dispose()


def test_a_failing_bulk_insert_names_no_row_value_and_writes_nothing(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    rows = roster_rows(0, 3) + roster_rows(0, 1, enc="secret-13912345678")  # the last repeats the first's key
    columns = list(rows[0])
    with pytest.raises(Exception) as failed, engine.begin() as conn:
        bulk_insert(conn, roster, columns, [tuple(r[c] for c in columns) for r in rows])
    text = "".join(str(e) for e in (failed.value, failed.value.__cause__, failed.value.__context__) if e)
    assert "13912345678" not in text and "13800000000" not in text
    if engine.dialect.name == "postgresql":
        assert isinstance(failed.value, BulkWriteFailed)
    assert stored(engine, roster) == []
    engine.dispose()
