"""Careless edits never cost rows (issue 13): unreadable keys, the mass-delete guard per register,
and a held run that leaves nothing behind once the sheet is fixed. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sync.store.models import issues, posts, roster, wishes
from tests.registers import ROSTER_HEADERS, active, post_row, roster_row, wish_row
from tests.validation_cases import wrong_check

ID = ROSTER_HEADERS.index("身份证号")


def stale_count(street, table=roster) -> int:
    return street.query(select(func.count()).select_from(table).where(
        table.c.stale.is_(True), table.c.deleted_at.is_(None)))[0][0]


def with_id(n: int, value) -> list:
    row = roster_row(n)
    row[ID] = value
    return row


# how the ID cell of 27 of 60 members turns unreadable
UNREADABLE = [
    ("blanked", lambda n: ""),
    ("stored as a number", lambda n: int(roster_row(n)[ID][:17])),  # Excel kept 15-17 digits of it
    ("a typo in the check digit", lambda n: wrong_check(roster_row(n)[ID])),
]


@pytest.mark.parametrize("how, cell", UNREADABLE, ids=[c[0] for c in UNREADABLE])
def test_a_row_whose_key_turns_unreadable_keeps_its_last_good_version(street, how, cell):
    # Regression: blanking or number-storing the ID of 27 members soft-deleted 25 of them
    rows = [roster_row(n) for n in range(1, 61)]
    street.write(rows)
    assert street.sync().inserted == 60
    broken = [with_id(n, cell(n)) if n <= 27 else rows[n - 1] for n in range(1, 61)]
    street.write(broken)
    result = street.sync()
    assert (result.status, result.deleted) == ("ok", 0)
    assert (active(street), stale_count(street)) == (60, 27)
    street.write(rows)  # the IDs typed again
    result = street.sync()
    assert (result.status, result.deleted, active(street), stale_count(street)) == ("ok", 0, 60, 0)


def test_no_row_of_a_worksheet_with_an_unreadable_key_is_deleted_as_gone(street):
    rows = [roster_row(n) for n in range(1, 11)]
    street.write(rows, [wish_row(1), wish_row(2)])
    street.sync()
    street.write([with_id(1, "")] + rows[1:8], [wish_row(1)])  # 9 and 10 removed while 1 can't be matched
    result = street.sync()
    assert (result.status, result.deleted) == ("ok", 1)  # only the wish: its sheet's keys are all readable
    assert (active(street), stale_count(street)) == (10, 3)
    street.write(rows[:8], [wish_row(1)])  # the key readable again: now 9 and 10 are really gone
    result = street.sync()
    assert (result.deleted, active(street), stale_count(street)) == (2, 8, 0)


# (what, registers before, registers after, held register's title)
MASS_DELETES = [
    ("4 of 5 posts beside a large roster", dict(roster=48, posts=5), dict(roster=48, posts=1), "志愿服务岗"),
    ("38 of 48 roster rows beside many wishes", dict(roster=48, wishes=60), dict(roster=10, wishes=60), "在职党员报到名册"),
    ("posts come back empty beside a large roster", dict(roster=48, posts=5), dict(roster=48, posts=0), "志愿服务岗"),
]


def _register(street, counts):
    street.write_all(roster=[roster_row(n) for n in range(1, counts.get("roster", 0) + 1)],
                     wishes=[wish_row(n) for n in range(1, counts.get("wishes", 0) + 1)] if "wishes" in counts else None,
                     posts=[post_row(n) for n in range(1, counts.get("posts", 0) + 1)] if "posts" in counts else None)


@pytest.mark.parametrize("what, before, after, title", MASS_DELETES, ids=[c[0] for c in MASS_DELETES])
def test_the_mass_delete_guard_counts_each_register(street, what, before, after, title):
    # Regression: the guard summed a source's registers, so a large roster let 4 of 5 posts go
    _register(street, before)
    assert street.sync().status == "ok"
    _register(street, after)
    held = street.sync()
    assert held.status == "held" and title in held.message, held.message
    counts = (active(street), active(street, wishes), active(street, posts))
    assert counts == (before.get("roster", 0), before.get("wishes", 0), before.get("posts", 0))
    assert street.sync(allow_mass_delete=True).status == "ok"


def test_a_held_run_leaves_nothing_behind_once_the_last_good_bytes_come_back(street):
    # Regression: after a held run the next run said "unchanged" (the fingerprint was still the last
    # good one) and the held run's 缺少必填列 stayed open and went out in reports
    from openpyxl import load_workbook

    street.write([roster_row(n) for n in range(1, 6)])
    assert street.sync().status == "ok"
    good = street.path.read_bytes()
    book = load_workbook(street.path)
    book["报到名册"]["B2"] = "证件"  # the ID column's header renamed
    book.save(street.path)
    assert street.sync().status == "held"
    again = street.sync()  # the same broken bytes: still held, without reading them again
    assert again.status == "held" and again.message.startswith("表格未变化，仍暂停：") and "表头错误" in again.message
    assert ("missing_column",) in street.query(select(issues.c.check))
    street.path.write_bytes(good)
    restored = street.sync()
    assert (restored.status, restored.inserted, restored.updated, restored.deleted) == ("ok", 0, 0, 0)
    assert street.query(select(issues.c.check)) == []
    assert street.sync().status == "unchanged"


def test_a_confirmed_mass_delete_reads_the_held_content_again(street):
    rows = [roster_row(n) for n in range(1, 11)]
    street.write(rows)
    street.sync()
    street.write(rows[:3])
    assert street.sync().status == "held"
    assert street.sync().status == "held"  # unchanged and still held
    confirmed = street.sync(allow_mass_delete=True)
    assert (confirmed.status, confirmed.deleted, active(street)) == ("ok", 7, 3)
