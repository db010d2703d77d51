"""Handing in a workbook (issue 15): check without storing, submit as a new version, versions kept,
made current again and pruned. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sync.registry import get_source, save_source
from sync.service import open_mirror, sync_sources
from sync.sources.kinds.upload import stored_path, version_file
from sync.store.models import roster, source_versions, sync_runs
from sync.submissions import (SubmissionRefused, check_workbook, list_versions, make_current, prune_versions,
                              record_version, submit_workbook)
from sync.sources.grid import SourceUnreadable
from tests.registers import roster_row, write_config, write_register
from tests.validation_cases import write_xlsx


def workbook_bytes(tmp_path: Path, rows: list[list], name: str = "book.xlsx") -> bytes:
    return write_register(tmp_path / "made" / name, rows).read_bytes()


@pytest.fixture
def mirror(tmp_path, db_url):
    """An upload source ``shangzhan`` whose first version (10 members) is synced, and a path source."""
    path_book = write_register(tmp_path / "xiazhan.xlsx", [roster_row(i) for i in range(50, 53)])
    config = write_config(tmp_path / "taizhang.toml", db_url, [
        {"name": "xiazhan", "street": "下站街道", "district": "城区", "kind": "excel", "path": str(path_book)}])
    m = open_mirror(str(config))
    first = workbook_bytes(tmp_path, [roster_row(i) for i in range(1, 11)], "first.xlsx")
    save_source(m.engine, "shangzhan", {"street": "上站街道", "district": "城区", "kind": "upload",
                                        "path": version_file("shangzhan", "上站名册.xlsx", first)})
    record_version(m.engine, "shangzhan", "上站名册.xlsx", first, "admin")
    assert [r.status for r in sync_sources(m)] == ["ok", "ok"]
    yield m
    m.engine.dispose()


def submit(m, source, name: str, data: bytes, user: str):
    """What the page does: check the workbook, then submit what was checked."""
    return submit_workbook(m, check_workbook(m, source, name, data), user)


def count(m, statement) -> int:
    with m.engine.connect() as conn:
        return conn.execute(statement).scalar_one()


def members(m, source: str = "shangzhan") -> int:
    return count(m, select(func.count()).select_from(roster).where(roster.c.source == source,
                                                                    roster.c.deleted_at.is_(None)))


def test_check_reports_issues_and_the_mirror_change_without_storing_anything(mirror, tmp_path):
    data = workbook_bytes(tmp_path, [roster_row(i) for i in range(1, 9)] + [roster_row(9, 联系电话="12345")]
                          + [roster_row(i) for i in (11, 12)])
    runs, files = count(mirror, select(func.count()).select_from(sync_runs)), sorted((tmp_path / "data").rglob("*"))
    checked = check_workbook(mirror, get_source(mirror.engine, "shangzhan"), "新名册.xlsx", data)
    [change] = checked.changes
    assert (change.dataset, change.rows_read, change.inserts, change.updates, change.deletes, change.stale,
            change.active_before) == ("roster", 11, 2, 0, 1, 1, 10)
    assert checked.problem is None and checked.count("error") == 1
    assert [(i.cell, i.column) for r in checked.results for i in r.issues if i.severity == "error"] == [("D11", "联系电话")]
    assert members(mirror) == 10  # nothing applied
    assert count(mirror, select(func.count()).select_from(sync_runs)) == runs
    assert sorted((tmp_path / "data").rglob("*")) == files  # nothing stored


def test_a_submission_becomes_the_current_version_and_is_synced(mirror, tmp_path):
    data = workbook_bytes(tmp_path, [roster_row(i) for i in range(1, 13)])
    version, result = submit(mirror, get_source(mirror.engine, "shangzhan"), "上站名册（改）.xlsx", data, "liming")
    assert (result.status, result.inserted) == ("ok", 2) and members(mirror) == 12
    versions = list_versions(mirror.engine, "shangzhan")
    assert [v.filename for v in versions] == ["上站名册（改）.xlsx", "上站名册.xlsx"]
    assert [v.current for v in versions] == [True, False] and versions[0].id == version.id
    assert (versions[0].uploaded_by, versions[0].status, versions[0].rows_read) == ("liming", "ok", 12)
    file = stored_path(versions[0].file)
    assert file.read_bytes() == data and "上站" not in str(file) and file.is_relative_to(tmp_path / "data")
    assert get_source(mirror.engine, "shangzhan").path == versions[0].file


def test_a_held_submission_says_why_and_applies_once_an_admin_confirms(mirror, tmp_path):
    data = workbook_bytes(tmp_path, [roster_row(1)])  # 9 of 10 members gone: looks like an accident
    source = get_source(mirror.engine, "shangzhan")
    checked = check_workbook(mirror, source, "x.xlsx", data)
    version, result = submit_workbook(mirror, checked, "liming")
    predicted = checked.problem
    assert result.status == "held" and result.message == predicted and "超过一半" in predicted
    assert members(mirror) == 10 and list_versions(mirror.engine, "shangzhan")[0].status == "held"
    [confirmed] = sync_sources(mirror, ["shangzhan"], allow_mass_delete=True, force=True)
    assert confirmed.status == "ok" and members(mirror) == 1
    assert list_versions(mirror.engine, "shangzhan")[0].status == "ok"  # the version shows the last word


@pytest.mark.parametrize("name, data, refusal, message", [
    ("same.xlsx", "current", SubmissionRefused, "与当前版本完全相同"),
    ("other.xlsx", "no register", SubmissionRefused, "未提交：未找到任何台账工作表"),
    ("broken.xlsx", b"PK\x03\x04 not really a zip", SourceUnreadable, "文件已损坏"),
    ("notes.txt", b"hello", SourceUnreadable, "不支持的文件类型"),
])
def test_refused_submissions_store_nothing(mirror, tmp_path, name, data, refusal, message):
    if data == "current":  # the current version's own bytes
        data = stored_path(list_versions(mirror.engine, "shangzhan")[0].file).read_bytes()
    elif data == "no register":
        data = write_xlsx(tmp_path / "other.xlsx", {"Sheet1": [["随便", "什么"], ["a", "b"]]}).read_bytes()
    files = sorted((tmp_path / "data").rglob("*"))
    with pytest.raises(refusal, match=message):
        submit(mirror, get_source(mirror.engine, "shangzhan"), name, data, "liming")
    assert len(list_versions(mirror.engine, "shangzhan")) == 1 and sorted((tmp_path / "data").rglob("*")) == files


def test_a_path_source_is_checked_but_never_replaced(mirror, tmp_path):
    source = get_source(mirror.engine, "xiazhan")
    data = workbook_bytes(tmp_path, [roster_row(i) for i in range(50, 54)])
    checked = check_workbook(mirror, source, "edited.xlsx", data)
    assert [(c.inserts, c.deletes) for c in checked.changes] == [(1, 0)]
    with pytest.raises(SubmissionRefused, match="只能检查副本"):
        submit(mirror, source, "edited.xlsx", data, "xiazhan")
    assert members(mirror, "xiazhan") == 3 and get_source(mirror.engine, "xiazhan").path == source.path


def test_an_earlier_version_is_made_current_again(mirror, tmp_path):
    first = list_versions(mirror.engine, "shangzhan")[0]
    submit(mirror, get_source(mirror.engine, "shangzhan"), "b.xlsx",
                    workbook_bytes(tmp_path, [roster_row(i) for i in range(1, 15)]), "liming")
    assert members(mirror) == 14
    result = make_current(mirror, "shangzhan", first.id)
    assert result.status == "ok" and members(mirror) == 10
    assert [v.current for v in list_versions(mirror.engine, "shangzhan")] == [False, True]
    with pytest.raises(SubmissionRefused, match="没有这个版本"):
        make_current(mirror, "shangzhan", 99999)


def test_old_versions_are_pruned_but_never_the_current_one(mirror, tmp_path, monkeypatch):
    monkeypatch.setenv("TAIZHANG_KEEP_VERSIONS", "2")
    first = list_versions(mirror.engine, "shangzhan")[0]
    books = [workbook_bytes(tmp_path, [roster_row(i) for i in range(1, 12 + n)], f"v{n}.xlsx") for n in range(3)]
    for n in (0, 1):
        submit(mirror, get_source(mirror.engine, "shangzhan"), f"v{n}.xlsx", books[n], "liming")
    assert [v.filename for v in list_versions(mirror.engine, "shangzhan")] == ["v1.xlsx", "v0.xlsx"]
    assert not stored_path(first.file).exists()  # its file went with it
    v0 = list_versions(mirror.engine, "shangzhan")[1]
    make_current(mirror, "shangzhan", v0.id)
    assert prune_versions(mirror.engine, "shangzhan", keep=1) == 0  # beyond the count, but current
    record_version(mirror.engine, "shangzhan", "v2.xlsx", books[2], "liming")
    kept = list_versions(mirror.engine, "shangzhan")
    assert [(v.filename, v.current) for v in kept] == [("v2.xlsx", True), ("v1.xlsx", False)]
    assert not stored_path(v0.file).exists()


def test_a_missing_version_file_fails_the_sync_with_a_chinese_reason(mirror):
    stored_path(list_versions(mirror.engine, "shangzhan")[0].file).unlink()
    [result] = sync_sources(mirror, ["shangzhan"], force=True)
    assert result.status == "failed" and "当前版本的文件不见了" in result.message
    assert members(mirror) == 10


def test_versions_table_records_size_and_content_hash(mirror):
    import hashlib
    with mirror.engine.connect() as conn:
        row = conn.execute(select(source_versions)).one()
    data = stored_path(row.file).read_bytes()
    assert (row.size, row.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert io.BytesIO(data).read(2) == b"PK"


def test_a_declared_upload_source_keeps_its_current_version_across_starts(tmp_path, db_url):
    # Regression: provisioning from the TOML put the declared path back on every start, so a
    # restart silently made the first version current again.
    from sync.sources.kinds.upload import store_version

    first = workbook_bytes(tmp_path, [roster_row(i) for i in range(1, 4)], "a.xlsx")
    file = version_file("jiedao", "a.xlsx", first)
    store_version(file, first)
    config = write_config(tmp_path / "taizhang.toml", db_url, [
        {"name": "jiedao", "street": "某街道", "district": "郊区", "kind": "upload", "path": file}])
    m = open_mirror(str(config))
    assert sync_sources(m)[0].status == "ok"
    version, _result = submit(m, get_source(m.engine, "jiedao"), "b.xlsx",
                              workbook_bytes(tmp_path, [roster_row(i) for i in range(1, 5)], "b.xlsx"), "liming")
    m.engine.dispose()
    again = open_mirror(str(config))
    assert get_source(again.engine, "jiedao").path == version.file and members(again, "jiedao") == 4
    again.engine.dispose()
