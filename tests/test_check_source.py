"""One check (issue 12): every caller turns the same workbook into the same issues.

`sync validate`, `sync run`, `jobs annotate` and the app's preview all go through
`sync.check.source.check_source`; these tests run one workbook through each and compare.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from jobs.annotate import annotate_source
from sync.check.source import SourceContext, check_source
from sync.registry import get_source
from sync.service import open_mirror, sync_sources
from sync.source_setup import preview
from sync.sources.kinds import KINDS, kind_named
from sync.sources.kinds.file import EXCEL
from sync.sources.grid import SourceUnreadable
from sync.sources.readers import fingerprint, read_bytes, read_file
from sync.store.crypto import Vault
from sync.store.mirror import collect
from sync.store.models import issues, roster
from sync.terms import RESULTS_SHEET
from tests.registers import ROSTER_HEADERS, post_row, roster_row, wish_row, write_config, write_register
from tests.validation_cases import write_xlsx

ROOT = Path(__file__).resolve().parents[1]


def two_sheet_roster(path: Path) -> Path:
    """Two roster worksheets (two communities' lists) that both hold member 3's ID number."""
    first = [ROSTER_HEADERS, *(roster_row(i) for i in range(1, 5))]
    second = [ROSTER_HEADERS, roster_row(5, 报到社区="金三角社区"), roster_row(3, 姓名="党员三", 报到社区="金三角社区")]
    return write_xlsx(path, {"德胜街社区": first, "金三角社区": second})


def validate_json(path: Path) -> tuple[int, dict]:
    proc = subprocess.run([sys.executable, "-m", "sync", "validate", str(path), "--format", "json"], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)
    return proc.returncode, json.loads(proc.stdout)


def test_validate_reports_an_id_repeated_on_another_worksheet_and_exits_1(tmp_path):
    # bug: the rule lived in the mirror writer, so `validate` said nothing and exited 0
    code, report = validate_json(two_sheet_roster(tmp_path / "名册.xlsx"))
    assert code == 1
    first, second = report["sheets"]
    assert [i["check"] for i in first["issues"]] == []
    [issue] = second["issues"]
    assert (issue["check"], issue["cell"], issue["row"]) == ("id_number_unique", "B3", 3)
    assert issue["message"] == "身份证号与工作表“德胜街社区”第4行重复"
    assert (second["rows"], second["valid_rows"]) == (2, 1)


def _keys(found) -> set[tuple]:
    return {(i["sheet"] if isinstance(i, dict) else i.sheet, i["cell"] if isinstance(i, dict) else i.cell,
             i["check"] if isinstance(i, dict) else i.check) for i in found}


@pytest.fixture
def street_workbook(tmp_path):
    """A street's workbook exercising per-sheet, cross-sheet and cross-dataset rules at once."""
    path = tmp_path / "shangzhan.xlsx"
    write_register(path, [roster_row(i) for i in range(1, 6)] + [roster_row(6, 联系电话="12345")],
                   [wish_row(1), wish_row(2, 认领人="钱七")], [post_row(1), post_row(2, 责任人="孙八")])
    book = openpyxl.load_workbook(path)
    extra = book.create_sheet("补录")
    for row in [ROSTER_HEADERS, roster_row(2, 姓名="党员二"), roster_row(9)]:
        extra.append(row)
    book.save(path)
    return path


def test_every_caller_reports_the_same_issues(tmp_path, db_url, street_workbook):
    config = write_config(tmp_path / "taizhang.toml", db_url, [
        {"name": "shangzhan", "street": "上站街道", "district": "城区", "kind": "excel", "path": str(street_workbook)}])
    expected = {("补录", "B2", "id_number_unique"), ("报到名册", "D8", "phone_valid"),
                ("微心愿", "G4", "claimer_in_roster"), ("志愿服务岗", "E4", "holder_in_roster")}

    code, report = validate_json(street_workbook)
    from_cli = _keys(dict(i, sheet=s["sheet"]) for s in report["sheets"] for i in s["issues"] if i["severity"] != "info")
    assert code == 1 and from_cli == expected

    mirror = open_mirror(str(config))
    try:
        [run] = sync_sources(mirror)
        assert run.status == "ok"
        with mirror.engine.connect() as conn:
            stored = conn.execute(select(issues).where(issues.c.severity != "info")).all()
        from_run = {(i.sheet, i.cell, i.check) for i in stored}

        source = get_source(mirror.engine, "shangzhan")
        values = {k: getattr(source, k) for k in ("street", "district", "kind", "path", "sheets", "communities")}
        from_preview = _keys(i for r in preview(mirror.engine, "shangzhan", values).results for i in r.issues
                             if i.severity != "info")

        out = annotate_source(mirror, "shangzhan", tmp_path / "annotated.xlsx")
        listed = list(openpyxl.load_workbook(out)[RESULTS_SHEET].iter_rows(min_row=2, values_only=True))
        header = [c.value for c in openpyxl.load_workbook(out)[RESULTS_SHEET][1]]
        sheet_at, cell_at, check_at, level_at = (header.index(h) for h in ("工作表", "单元格", "规则", "级别"))
        from_annotate = {(r[sheet_at], r[cell_at], r[check_at]) for r in listed if r[level_at] != "提示"}
    finally:
        mirror.engine.dispose()
    assert from_run == from_preview == from_annotate == from_cli


def test_preview_checks_claimers_against_the_streets_roster_in_the_mirror(tmp_path, db_url):
    # bug: the app's preview left out the street's roster names, so it missed warnings the sync reports
    roster_book = write_register(tmp_path / "roster.xlsx", [roster_row(i) for i in range(1, 4)])
    wishes_book = write_register(tmp_path / "wishes.xlsx", None, [wish_row(1), wish_row(2, 认领人="钱七")])
    config = write_config(tmp_path / "taizhang.toml", db_url, [
        {"name": "roster", "street": "上站街道", "kind": "excel", "path": str(roster_book)},
        {"name": "wishes", "street": "上站街道", "kind": "excel", "path": str(wishes_book)}])
    mirror = open_mirror(str(config))
    try:
        sync_sources(mirror, ["roster"])
        values = {"street": "上站街道", "district": "城区", "kind": "excel", "path": str(wishes_book)}
        found = [i for r in preview(mirror.engine, "wishes", values).results for i in r.issues]
    finally:
        mirror.engine.dispose()
    assert [(i.cell, i.check) for i in found if i.severity == "warning"] == [("G4", "claimer_in_roster")]


def test_the_fingerprint_is_of_exactly_the_bytes_parsed(tmp_path):
    # bug: the file was hashed, then read again to parse; a file rewritten in between was parsed
    # half-written and later runs said "unchanged"
    path = write_register(tmp_path / "a.xlsx", [roster_row(i) for i in range(1, 4)])
    source = get_source_like(path)
    workbook = EXCEL.read(source, None)
    assert workbook.fingerprint == fingerprint(workbook.data) == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    write_register(path, [roster_row(i) for i in range(1, 9)])  # rewritten after the read
    assert read_bytes(workbook.data, "a.xlsx").grids == workbook.grids  # what was parsed is what was hashed
    assert EXCEL.read(source, workbook.fingerprint) is not None  # the new content is read next time
    assert EXCEL.read(source, fingerprint(path.read_bytes())) is None  # unchanged: no parsing


def get_source_like(path: Path):
    from sync.registry import Source
    return Source(id=0, name="a", street="上站街道", district="城区", kind="excel", path=str(path))


@pytest.mark.parametrize("values, problem", [
    ({"kind": "excel"}, "缺少文件路径"),
    ({"kind": "csv", "path": ""}, "缺少文件路径"),
    ({"kind": "gsheet"}, "缺少 spreadsheet"),
    ({"kind": "excel", "path": "a.xlsx"}, None),
    ({"kind": "gsheet", "spreadsheet": "1AbC"}, None),
    ({"kind": "upload"}, "还没有工作簿"),
    ({"kind": "upload", "path": "uploads/x/0123.xlsx"}, None),
])
def test_each_kind_checks_its_own_settings(values, problem):
    found = kind_named(values["kind"]).check(values)
    assert (found is None) if problem is None else problem in found


def test_an_unknown_kind_is_one_chinese_line_naming_the_kinds():
    with pytest.raises(SourceUnreadable, match="来源类型应为 excel、csv、gsheet、upload 之一"):
        kind_named("dropbox")
    assert set(KINDS) == {"excel", "csv", "gsheet", "upload"}


def test_one_sheet_asked_for_is_checked_with_the_others_as_context(tmp_path):
    book = read_file(two_sheet_roster(tmp_path / "名册.xlsx"))
    [first] = check_source(book, SourceContext(sheet="德胜街社区"))
    [second] = check_source(book, SourceContext(sheet="金三角社区"))
    assert first.issues == []
    assert [(i.cell, i.check) for i in second.issues] == [("B3", "id_number_unique")]


def test_a_repeated_key_keeps_the_first_row_in_the_mirror_and_the_later_one_out(tmp_path, db_url):
    path = two_sheet_roster(tmp_path / "名册.xlsx")
    config = write_config(tmp_path / "taizhang.toml", db_url, [
        {"name": "roster", "street": "上站街道", "kind": "excel", "path": str(path)}])
    mirror = open_mirror(str(config))
    try:
        [run] = sync_sources(mirror)
        with mirror.engine.connect() as conn:
            rows = conn.execute(select(roster.c.name, roster.c.sheet).where(roster.c.deleted_at.is_(None))).all()
    finally:
        mirror.engine.dispose()
    assert (run.status, run.inserted, run.errors) == ("ok", 5, 1)
    assert ("党员003", "德胜街社区") in rows and all(name != "党员三" for name, _ in rows)


@pytest.mark.parametrize("finders", [
    ("someone", "nobody"),  # the other side removed the person: the warning and the flag go
    ("nobody", "someone"),  # the other side added them: the warning comes
    ("someone", "someone"),  # asked twice: said once
])
def test_checking_kept_results_against_the_mirror_again_equals_a_fresh_check(tmp_path, finders):
    """Issue 17: ``against_mirror`` is repeatable on ``check_sheets``' results (a same-run re-check)."""
    from sync.check.source import Elsewhere, against_mirror, check_sheets
    path = write_register(tmp_path / "roster.xlsx", [roster_row(n) for n in (1, 2, 3)])
    number = roster_row(2)[1]
    found = {"someone": lambda ids: {number: [Elsewhere("xiazhan", "下站街道", "滨河西社区")]} if number in ids else {},
             "nobody": lambda ids: {}}
    workbook, vault = read_file(path), Vault(b"k" * 32)
    kept = check_sheets(workbook, SourceContext(street="上站街道"))
    for name in finders:
        context = SourceContext(street="上站街道", registered_elsewhere=found[name])
        again = against_mirror(kept, context)
        incoming = collect(again, vault)  # the second time from what the first kept on the results
    fresh = check_source(workbook, context)
    assert [r.issues for r in again] == [r.issues for r in fresh]
    assert [r.frame["warned"].tolist() for r in again] == [r.frame["warned"].tolist() for r in fresh]
    assert sum(i.check == "registered_elsewhere" for r in again for i in r.issues) == (finders[-1] == "someone")
    # the mirror's rows and hashes too: the re-check's collect reuses the first one's row hashes
    expected = collect(fresh, vault)
    assert {d: i.digests for d, i in incoming.items()} == {d: i.digests for d, i in expected.items()}
    assert {d: i.all_records() for d, i in incoming.items()} == {d: i.all_records() for d, i in expected.items()}
    warned = [r["warned"] for r in incoming["roster"].all_records().values()]
    assert warned == [False, finders[-1] == "someone", False]
