"""提交台账 (issue 15) through the real app (AppTest), one test per state of the page."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest

from sync.registry import get_source
from sync.store.db import make_engine
from sync.submissions import list_versions
from tests.app_world import street_sheets, issue_list, person_id, sign_in, write_xlsx

PAGE = "pages/handin.py"


def workbook(tmp: Path, name: str, *, bad_phone: bool = False, drop_members: int = 0) -> bytes:
    """上站街道's workbook as the world has it, optionally with a bad phone or members deleted."""
    sheets, _ids = street_sheets("上站街道")
    if bad_phone:
        sheets["报到名册"][1][3] = "1381234"
    if drop_members:
        sheets["报到名册"] = sheets["报到名册"][:len(sheets["报到名册"]) - drop_members]
    return write_xlsx(tmp / name, sheets).read_bytes()


def fixed(tmp: Path) -> bytes:
    """The workbook with its wrong ID number fixed and one more member: no errors, one insert."""
    sheets, _ids = street_sheets("上站街道")
    roster = [r for r in sheets["报到名册"] if r[1] != "错号码"]
    roster.append([person_id(5), "周上站", "男", "13812340005", "阳泉市城区人民政府", "德胜街社区", "", "2020-06-10"])
    return write_xlsx(tmp / "fixed.xlsx", {**sheets, "报到名册": roster}).read_bytes()


def open_handin(username: str):
    at = sign_in(username)
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def drop(at, name: str, data: bytes):
    at.file_uploader[0].set_value((name, data, "application/octet-stream"))
    at.run()
    assert not at.exception, at.exception
    return at


def labels(at) -> list[str]:
    return [b.label for b in at.button]


def shown(markdown: str) -> str:
    """What a reader sees of Markdown whose sheet- or user-derived parts were escaped (pages.common.plain)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def texts(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_staff_see_only_their_streets_sources(upload_world):
    at = open_handin("xiazhan")
    assert [t.value for t in at.title] == ["提交台账"]
    assert at.selectbox[0].options == ["下站街道·xiazhan（Excel/WPS 工作簿）", "新源街道·xinyuan（Excel/WPS 工作簿）"]
    assert any("不会替换它" in c.value for c in at.caption)  # a path source: a check only


def test_a_workbook_with_errors_shows_every_cell_and_the_mirror_change(upload_world, tmp_path):
    at = drop(open_handin("shangzhan"), "上站名册.xlsx", workbook(tmp_path, "b.xlsx", bad_phone=True))
    assert "读取 10 行，合格 8 行；错误 2 处，警告 0 处" in texts(at)
    issues = issue_list(at)
    assert [(i["单元格"], i["列"]) for i in issues] == [("D2", "联系电话"), ("A5", "身份证号")]
    assert "手机号应为" in issues[0]["问题说明"] and issues[0]["当前值"] == "1******"
    assert any("在职党员报到名册：读取 4 行（合格 2 行）。新增 0 行，更新 0 行，删除 0 行；1 行现有错误" in m
               for m in texts(at).splitlines())
    downloads = {b.label: b for b in at.get("download_button")}
    assert {"下载标注问题的工作簿", "下载 CSV", "下载 Excel"} <= set(downloads)
    assert labels(at)[:2] == ["提交", "只检查，不提交"]


def test_downloads_of_a_check_hold_whole_row_numbers_and_the_marked_workbook(upload_world, tmp_path):
    from pages.common import annotated_bytes, csv_bytes
    from pages.issue_view import results_frame
    from sync.service import open_mirror
    from sync.submissions import check_workbook

    mirror = open_mirror()
    checked = check_workbook(mirror, get_source(mirror.engine, "shangzhan"), "b.xlsx",
                             workbook(tmp_path, "b.xlsx", bad_phone=True))
    csv = csv_bytes(results_frame(checked.results)).decode("utf-8-sig").splitlines()
    assert csv[1].split(",")[3] == "2"  # regression: row numbers came out as 2.0 in downloads
    book = openpyxl.load_workbook(io.BytesIO(annotated_bytes(checked.workbook, checked.results)))
    assert book["报到名册"]["D2"].fill.fgColor.rgb.endswith("FFC7CE") and "校验结果" in book.sheetnames
    mirror.engine.dispose()


def test_check_only_stores_nothing(upload_world, tmp_path):
    at = drop(open_handin("shangzhan"), "b.xlsx", workbook(tmp_path, "b.xlsx", bad_phone=True))
    at.button[1].click().run()
    assert any("没有保存任何内容" in i.value for i in at.info)
    assert not issue_list(at)  # the uploader is cleared for the next workbook
    assert len(list_versions(make_engine(upload_world.db_url), "shangzhan")) == 1


def test_submitting_makes_the_current_version_and_the_dashboard_follows(upload_world, tmp_path):
    at = drop(open_handin("shangzhan"), "上站名册-改.xlsx", fixed(tmp_path))
    assert not issue_list(at) and any("没有发现问题" in s.value for s in at.success)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert any("已提交“上站名册-改.xlsx”" in shown(s.value) and "新增1" in s.value for s in at.success)
    versions = list_versions(make_engine(upload_world.db_url), "shangzhan")
    assert (versions[0].filename, versions[0].uploaded_by, versions[0].current, versions[0].status) == (
        "上站名册-改.xlsx", "shangzhan", True, "ok")
    history = next(d.value for d in at.dataframe if "提交人" in d.value)
    assert list(history["文件名"]) == ["上站名册-改.xlsx", "shangzhan.xlsx"]
    at.switch_page("pages/overview.py").run()
    assert {m.label: m.value for m in at.metric}["报到党员"] == "4"  # 上站街道: 3 members + the new one


def test_a_held_submission_says_why_and_an_admin_confirms_it(upload_world, tmp_path):
    data = workbook(tmp_path, "few.xlsx", drop_members=4)  # every member gone: looks like an accident
    staff = drop(open_handin("shangzhan"), "few.xlsx", data)
    assert any("同步时会暂停" in w.value for w in staff.warning)
    staff.button[0].click().run()
    assert any("已暂停" in w.value for w in staff.warning)
    assert "确认并应用" not in labels(staff)
    admin = open_handin("admin")
    admin.selectbox[0].select("shangzhan").run()
    assert any("已暂停" in w.value for w in admin.warning)
    admin.checkbox[0].check().run()
    next(b for b in admin.button if b.label == "确认并应用").click().run()
    assert not admin.exception, admin.exception
    assert not any("已暂停" in w.value for w in admin.warning)
    assert list_versions(make_engine(upload_world.db_url), "shangzhan")[0].status == "ok"


def test_supervisors_check_but_do_not_submit(upload_world, tmp_path):
    at = drop(open_handin("supervisor"), "b.xlsx", workbook(tmp_path, "b.xlsx", bad_phone=True))
    assert issue_list(at) and "提交" not in labels(at) and "检查完毕" in labels(at)


def test_a_path_sources_edited_copy_is_checked_not_replaced(upload_world, tmp_path):
    before = get_source(make_engine(upload_world.db_url), "xiazhan").path
    sheets, _ids = street_sheets("下站街道")
    at = drop(open_handin("xiazhan"), "下站.xlsx", write_xlsx(tmp_path / "x.xlsx", sheets).read_bytes())
    assert "提交" not in labels(at) and "检查完毕" in labels(at)
    at.button[0].click().run()
    assert get_source(make_engine(upload_world.db_url), "xiazhan").path == before


@pytest.mark.parametrize("name, data, message", [
    ("坏文件.xlsx", b"PK\x03\x04 broken", "无法读取："),
    ("名册.xlsx", None, "未找到任何台账工作表"),
])
def test_unreadable_or_foreign_files_are_one_chinese_line(upload_world, tmp_path, name, data, message):
    data = data or write_xlsx(tmp_path / "other.xlsx", {"Sheet1": [["随便", "什么"], ["a", "b"]]}).read_bytes()
    at = drop(open_handin("shangzhan"), name, data)
    assert [message in shown(e.value) for e in at.error] == [True]
    assert "提交" not in labels(at) and not at.exception


def test_a_bookmarked_source_opens_after_sign_in(upload_world):
    at = sign_in("xiazhan", query={"source": "xinyuan"})
    at.switch_page(PAGE).run()
    assert at.selectbox[0].value == "xinyuan"
