"""The mirror (issue 3): incremental, one transaction per source, never wiping.

Every test runs on SQLite and, when TAIZHANG_TEST_DATABASE_URL is set, on PostgreSQL.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from sync.store.models import issues, roster, row_history, sheets, sync_runs, wishes
from sync.service import open_mirror, sync_sources
from tests.validation_cases import person_id
from tests.registers import active, roster_row, wish_row, write_config, write_register


def test_first_sync_inserts_valid_rows_and_keeps_invalid_ones_out(street):
    street.write([roster_row(i) for i in range(1, 11)] + [roster_row(11, 联系电话="12345")],
                 [wish_row(1), wish_row(2, 状态="已完成", 完成日期=None)])
    result = street.sync()
    assert (result.status, result.rows_read, result.inserted, result.errors) == ("ok", 13, 11, 2)
    assert active(street) == 10 and active(street, wishes) == 1
    run = street.query(select(sync_runs))[-1]
    assert (run.status, run.inserted, run.errors) == ("ok", 11, 2)
    found = street.query(select(issues.c.sheet, issues.c.row, issues.c.cell, issues.c.check).order_by(issues.c.row))
    assert ("报到名册", 13, "D13", "phone_valid") in found
    assert ("微心愿", 4, "I4", "completed_on_required") in found


def test_id_numbers_are_never_stored_in_plain_text(street):
    ids = [person_id(i, born="19850307", male=i % 2 == 1) for i in range(1, 6)]
    street.write([roster_row(i) for i in range(1, 6)])
    street.sync()
    rows = street.query(select(roster))
    dump = repr(rows)
    assert not any(i in dump for i in ids)
    masked = sorted(r.id_number_masked for r in rows)
    assert masked == sorted(i[:6] + "********" + i[-4:] for i in ids)
    assert all(len(r.id_number_hash) == 64 for r in rows)


def test_unchanged_source_is_not_parsed_again(street):
    street.write([roster_row(i) for i in range(1, 6)])
    assert street.sync().status == "ok"
    again = street.sync()
    assert (again.status, again.rows_read, again.inserted, again.updated) == ("unchanged", 0, 0, 0)
    assert street.sync(force=True).status == "ok"


def test_one_cell_edited_writes_one_row_and_its_history(street):
    rows = [roster_row(i) for i in range(1, 21)]
    street.write(rows)
    street.sync()
    rows[4] = roster_row(5, 工作单位="阳泉市第一中学")
    street.write(rows)
    result = street.sync()
    assert (result.status, result.inserted, result.updated, result.deleted) == ("ok", 0, 1, 0)
    history = street.query(select(row_history.c.change, row_history.c.field, row_history.c.old, row_history.c.new))
    assert history == [("update", "employer", "阳泉市供电公司", "阳泉市第一中学")]


def test_phone_changes_are_masked_in_history(street):
    rows = [roster_row(i) for i in range(1, 4)]
    street.write(rows)
    street.sync()
    rows[0] = roster_row(1, 联系电话="13912345678")
    street.write(rows)
    street.sync()
    (change,) = street.query(select(row_history.c.field, row_history.c.old, row_history.c.new))
    assert change == ("phone", "138****0001", "139****5678")


def test_removed_row_is_soft_deleted_and_restored_when_it_comes_back(street):
    rows = [roster_row(i) for i in range(1, 11)]
    street.write(rows)
    street.sync()
    street.write(rows[:9])
    assert street.sync().deleted == 1
    assert active(street) == 9
    assert street.query(select(func.count()).select_from(roster))[0][0] == 10
    street.write(rows)
    result = street.sync()
    assert (result.updated, active(street)) == (1, 10)
    assert [h.change for h in street.query(select(row_history).order_by(row_history.c.id))] == ["delete", "restore"]


def test_row_turned_invalid_keeps_its_last_good_version_marked_stale(street):
    rows = [roster_row(i) for i in range(1, 6)]
    street.write(rows)
    street.sync()
    rows[2] = roster_row(3, 报到日期="2099-01-01", 工作单位="新单位")
    street.write(rows)
    result = street.sync()
    assert (result.status, result.deleted, result.updated) == ("ok", 0, 0)
    (row,) = street.query(select(roster).where(roster.c.stale.is_(True)))
    assert (row.employer, row.registered_on, row.deleted_at) == ("阳泉市供电公司", date(2020, 8, 10), None)
    rows[2] = roster_row(3)
    street.write(rows)
    street.sync()
    assert street.query(select(func.count()).select_from(roster).where(roster.c.stale.is_(True)))[0][0] == 0


def test_mass_delete_is_held_until_allowed(street):
    rows = [roster_row(i) for i in range(1, 11)]
    street.write(rows)
    street.sync()
    street.write(rows[:4])
    held = street.sync()
    assert held.status == "held" and "超过一半" in held.message
    assert active(street) == 10
    assert street.query(select(sync_runs.c.status).order_by(sync_runs.c.id))[-1] == ("held",)
    allowed = street.sync(allow_mass_delete=True)
    assert (allowed.status, allowed.deleted, active(street)) == ("ok", 6, 4)


def test_sheet_that_comes_back_empty_is_held(street):
    street.write([roster_row(i) for i in range(1, 4)], [wish_row(1)])
    street.sync()
    street.write([], [wish_row(1)])
    held = street.sync()
    assert held.status == "held" and "读取到0行" in held.message
    assert active(street) == 3


def test_missing_key_column_is_held_with_a_sheet_level_issue(street, tmp_path):
    street.write([roster_row(i) for i in range(1, 4)])
    street.sync()
    from openpyxl import load_workbook
    book = load_workbook(street.path)
    book["报到名册"]["B2"] = "证件"  # the ID column's header renamed
    book.save(street.path)
    held = street.sync()
    assert held.status == "held" and "表头错误" in held.message
    assert active(street) == 3
    found = street.query(select(issues.c.check, issues.c.row).where(issues.c.severity == "error"))
    assert ("missing_column", None) in found


def test_unreadable_source_fails_and_leaves_the_mirror(street):
    street.write([roster_row(i) for i in range(1, 4)])
    street.sync()
    street.path.write_bytes(b"PK\x03\x04 this is not a workbook")
    failed = street.sync()
    assert failed.status == "failed" and "损坏" in failed.message
    assert active(street) == 3


def test_missing_file_fails_with_the_path(street):
    failed = street.sync()
    assert failed.status == "failed" and str(street.path) in failed.message


def test_second_sync_of_a_locked_source_is_skipped(street):
    from sync.store.locks import source_lock

    street.write([roster_row(1)])
    mirror = open_mirror(str(street.path.parent / "taizhang.toml"))
    with source_lock(mirror.engine, "shangzhan") as taken:
        assert taken
        result = street.sync()
    assert result.status == "skipped" and "已跳过" in result.message
    assert street.sync().status == "ok"
    mirror.engine.dispose()


def test_sheets_record_when_content_last_changed(street):
    rows = [roster_row(i) for i in range(1, 4)]
    street.write(rows, [wish_row(1)])
    street.sync()
    first = {r.sheet: r.changed_at for r in street.query(select(sheets))}
    rows[0] = roster_row(1, 工作单位="别处")
    street.write(rows, [wish_row(1)])
    street.sync()
    second = {r.sheet: r for r in street.query(select(sheets))}
    assert second["报到名册"].changed_at > first["报到名册"]
    assert second["微心愿"].changed_at == first["微心愿"]
    assert second["微心愿"].synced_at > first["微心愿"]


def test_claimer_checked_against_the_streets_roster_in_the_mirror(tmp_path, db_url):
    roster_book = write_register(tmp_path / "roster.xlsx", [roster_row(1)])
    wish_book = write_register(tmp_path / "wishes.xlsx", None, [wish_row(1), wish_row(2, 认领人="孙悟空")])
    config = write_config(tmp_path / "taizhang.toml", db_url, [
        {"name": "a_roster", "street": "上站街道", "kind": "excel", "path": str(roster_book)},
        {"name": "b_wishes", "street": "上站街道", "kind": "excel", "path": str(wish_book)}])
    mirror = open_mirror(str(config))
    results = sync_sources(mirror)
    assert [r.status for r in results] == ["ok", "ok"]
    with mirror.engine.connect() as conn:
        warned = conn.execute(select(issues.c.row, issues.c.check).where(issues.c.severity == "warning")).all()
        flagged = conn.execute(select(wishes.c.wish_id).where(wishes.c.warned.is_(True))).scalars().all()
    assert warned == [(4, "claimer_in_roster")] and flagged == ["W0002"]
    mirror.engine.dispose()


def test_a_key_repeated_on_another_worksheet_is_an_error_at_its_cell(tmp_path, db_url):
    from openpyxl import load_workbook

    book = write_register(tmp_path / "a.xlsx", None, [wish_row(1), wish_row(2)])
    workbook = load_workbook(book)
    copy = workbook.copy_worksheet(workbook["微心愿"])
    copy.title = "微心愿（续）"
    workbook.save(book)
    config = write_config(tmp_path / "taizhang.toml", db_url, [
        {"name": "a", "street": "上站街道", "kind": "excel", "path": str(book)}])
    mirror = open_mirror(str(config))
    result = sync_sources(mirror)[0]
    with mirror.engine.connect() as conn:
        found = conn.execute(select(issues.c.sheet, issues.c.cell, issues.c.value, issues.c.message)
                             .where(issues.c.check == "wish_id_unique").order_by(issues.c.cell)).all()
    mirror.engine.dispose()
    assert (result.status, result.inserted) == ("ok", 2)
    assert found == [("微心愿（续）", "A3", "W0001", "心愿编号与工作表“微心愿”第3行重复"),
                     ("微心愿（续）", "A4", "W0002", "心愿编号与工作表“微心愿”第4行重复")]


def test_a_sheet_is_not_changed_by_a_change_of_another_sheet(street):
    # Regression: the sheet hash covered the valid/warned flags, so a new roster member (which
    # clears a wish's claimer warning) made the untouched 微心愿 sheet look changed.
    wish = [wish_row(1, 认领人="党员004")]
    street.write([roster_row(i) for i in range(1, 4)], wish)
    street.sync()
    first = {r.sheet: r.changed_at for r in street.query(select(sheets))}
    street.write([roster_row(i) for i in range(1, 5)], wish)
    street.sync()
    second = {r.sheet: r.changed_at for r in street.query(select(sheets))}
    assert second["报到名册"] > first["报到名册"] and second["微心愿"] == first["微心愿"]
