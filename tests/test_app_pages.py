"""Every page for every role, through the real app (AppTest), on a mirror filled by a real sync."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd
import pytest

from pages.common import csv_bytes, xlsx_bytes
from tests.app_world import issue_list, open_page, rendered, sign_in

READER_PAGES = {"pages/overview.py": "总览", "pages/street.py": "街道", "pages/wishes.py": "微心愿",
                "pages/posts.py": "志愿服务岗", "pages/handin.py": "提交台账", "pages/quality.py": "数据质量",
                "pages/runs.py": "同步记录"}
ADMIN_PAGES = {"pages/sources.py": "数据源管理", "pages/users.py": "用户管理"}
ROLES = ("admin", "supervisor", "shangzhan", "xiazhan")
OTHER_STREETS = {"shangzhan": ("下站街道", "新源街道"), "xiazhan": ("上站街道",)}
OTHER_NAMES = {"shangzhan": ("赵下站", "钱下站", "孙新源", "XZ-001", "XY-001"),
               "xiazhan": ("张上站", "李上站", "王上站", "SZ-001", "错号码")}


@pytest.mark.parametrize("username", ROLES)
@pytest.mark.parametrize("page", READER_PAGES)
def test_every_role_sees_every_reader_page(app_env, username, page):
    at = open_page(username, page)
    assert [t.value for t in at.title] == [READER_PAGES[page]]
    text = rendered(at)
    for full in (n for ids in app_env.ids.values() for n in ids):
        assert full not in text  # ID numbers are masked for everyone by default
    for other in OTHER_NAMES.get(username, ()) + OTHER_STREETS.get(username, ()):
        assert other not in text, f"{username} saw {other} on {page}"
    if page == "pages/street.py":  # the check above can see names: the own street's are there
        assert ("赵下站" if username == "xiazhan" else "张上站") in text


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages(app_env, page):
    at = open_page("admin", page)
    assert [t.value for t in at.title] == [ADMIN_PAGES[page]]


@pytest.mark.parametrize("username", ("supervisor", "shangzhan"))
@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_are_not_in_other_roles_navigation(app_env, username, page):
    at = sign_in(username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(page)


def test_overview_shows_the_measures(app_env):
    at = sign_in("admin")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["报到党员"] == "6"  # 上站 3 (its fourth row has a bad ID), 下站 2, 新源 1
    assert metrics["微心愿"] == "12" and metrics["认领率"] == "50.0%" and metrics["完成率"] == "25.0%"
    assert metrics["志愿服务岗"] == "6" and metrics["空缺岗位"] == "3" and metrics["开展活动（次）"] == "108"
    ranking = next(d.value for d in at.dataframe if "名次" in d.value)
    assert ranking.set_index("街道")["报到党员"].to_dict() == {"上站街道": 3, "下站街道": 2, "新源街道": 1}
    assert list(ranking["名次"]) == [1, 1, 1]  # every street completed 1 of its 4 wishes
    assert ranking["未解决错误"].tolist() == [1, 0, 0] or sorted(ranking["未解决错误"]) == [0, 0, 1]


def test_overview_gives_every_table_a_heading(app_env):
    at = sign_in("admin")
    headings = [h.value for h in at.subheader]
    for heading in ("街道排名", "各街道报到人数、微心愿与已完成", "按区县汇总", "按社区明细", "累计报到党员与微心愿",
                    "按登记季度：已认领、已完成的比例", "各类服务岗（当前状态）"):
        assert heading in headings
    order = [kind for kind in element_kinds(at._tree) if kind in ("subheader", "dataframe")]
    assert order.count("dataframe") == 5  # ranking, districts, communities, quarters, post types
    assert "dataframe, dataframe" not in ", ".join(order) and order[0] == "subheader"  # a heading above each


def element_kinds(node) -> list[str]:
    """The page's elements in order: subheaders and dataframes by kind."""
    kinds = []
    for _index, child in sorted(getattr(node, "children", {}).items()):
        kind = getattr(child, "type", "")
        kinds.append("subheader" if kind == "subheader" or getattr(child, "tag", "") == "h3" else kind)
        kinds += element_kinds(child)
    return kinds


def test_overview_period_without_data_says_so_in_one_line(app_env):
    # Regression: 今年 on data that ended in an earlier year drew charts with 0.000000 axes and None rates.
    at = sign_in("supervisor")
    at.selectbox[0].select("今年").run()
    assert not at.exception
    assert [i.value for i in at.info] == [f"{date.today().year}年没有报到党员或微心愿记录（已有数据的时间：2020年6月至2020年8月），"
                                          "请选择其他时间段。"]
    assert not at.metric and not at.dataframe and not at.get("arrow_vega_lite_chart")
    assert "None" not in rendered(at) and "nan" not in rendered(at)


def test_overview_for_one_street_ranks_its_communities(app_env):
    # Regression: a one-street user saw a 按街道 chart with a single group of bars.
    at = sign_in("shangzhan")
    ranking = next(d.value for d in at.dataframe if "名次" in d.value)
    assert set(ranking["社区"]) == {"德胜街社区", "金三角社区"} and "未解决错误" not in ranking
    assert "社区排名" in [h.value for h in at.subheader]


def test_street_page_opens_at_the_street_and_community_the_overview_links_to(app_env):
    at = sign_in("supervisor")
    at.query_params["street"] = "下站街道"
    at.query_params["community"] = "滨河西社区"
    at.switch_page("pages/street.py").run()
    assert at.selectbox[0].value == "城区·下站街道" and at.selectbox[1].value == "滨河西社区"


def test_street_page_masks_for_staff_and_reveals_for_admin(app_env):
    at = open_page("shangzhan", "pages/street.py")
    roster = next(d.value for d in at.dataframe if "身份证号" in d.value)
    assert set(roster["姓名"]) == {"张上站", "李上站", "王上站"}
    assert all("********" in i for i in roster["身份证号"])
    assert all("****" in p for p in roster["联系电话"])
    assert not [t for t in at.toggle]  # only admins may unmask
    admin = open_page("admin", "pages/street.py")
    admin.toggle[0].set_value(True).run()
    roster = next(d.value for d in admin.dataframe if "身份证号" in d.value)
    assert set(roster["身份证号"]) == set(app_env.ids["上站街道"])


def test_street_page_search(app_env):
    at = open_page("supervisor", "pages/street.py")
    at.selectbox[0].select("城区·下站街道").run()
    at.text_input[0].input("钱").run()
    roster = next(d.value for d in at.dataframe if "身份证号" in d.value)
    assert list(roster["姓名"]) == ["钱下站"]
    at.text_input[0].input(app_env.ids["下站街道"][0]).run()  # a full ID number finds its member
    roster = next(d.value for d in at.dataframe if "身份证号" in d.value)
    assert list(roster["姓名"]) == ["赵下站"]


def test_quality_page_lists_the_issue_for_its_street_only(app_env):
    at = open_page("shangzhan", "pages/quality.py")
    [issue] = issue_list(at)  # as text on the page (browser find reaches it), not in a canvas grid
    assert (issue["单元格"], issue["列"]) == ("A5", "身份证号") and "校验位" in issue["问题说明"]
    assert "街道" not in issue and "数据源" not in issue  # one street's staff: no street or source column
    assert {m.label: m.value for m in at.metric}["未解决的错误"] == "1"
    other = open_page("xiazhan", "pages/quality.py")
    assert {m.label: m.value for m in other.metric}["未解决的错误"] == "0"


def test_wishes_page_lists_long_waiting_wishes(app_env):
    at = open_page("xiazhan", "pages/wishes.py")
    waiting = next(d.value for d in at.dataframe if "等待天数" in d.value)
    assert set(waiting["心愿编号"]) == {"XZ-003", "XZ-004", "XY-003", "XY-004"}
    assert all("****" in p for p in waiting["联系电话"])


def test_runs_page_is_read_only_for_supervisors(app_env):
    supervisor = open_page("supervisor", "pages/runs.py")
    assert "立即同步" not in [b.label for b in supervisor.button]
    staff = open_page("shangzhan", "pages/runs.py")
    assert "立即同步" in [b.label for b in staff.button]
    assert staff.selectbox[0].options == ["全部数据源", "上站街道·shangzhan"]


def test_downloads_are_formula_safe(app_env):
    frame = pd.DataFrame({"姓名": ["=HYPERLINK(\"http://x\")", "张三"], "活动次数": [-3, 5]})
    assert csv_bytes(frame).decode("utf-8-sig").splitlines() == ["姓名,活动次数", "\"'=HYPERLINK(\"\"http://x\"\")\",-3",
                                                                 "张三,5"]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_bytes("名册", frame)))["名册"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["姓名", "活动次数"],
                                                                     ["'=HYPERLINK(\"http://x\")", -3], ["张三", 5]]


def test_quality_page_offers_the_annotated_workbook_of_a_source(app_env):
    at = open_page("shangzhan", "pages/quality.py")
    assert at.selectbox[1].options == ["全部", "shangzhan"]
    at.selectbox[1].select("shangzhan").run()
    assert any(b.label.startswith("下载标注问题的工作簿") for b in at.get("download_button"))


@pytest.mark.parametrize("username, page", [("shangzhan", "pages/quality.py"), ("admin", "pages/quality.py"),
                                             ("admin", "pages/sources.py")])
def test_register_templates_are_offered(app_env, username, page):
    at = open_page(username, page)
    assert not at.exception, at.exception
    labels = [b.label for b in at.get("download_button")]
    assert "下载台账模板（名册、微心愿、志愿服务岗）" in labels
