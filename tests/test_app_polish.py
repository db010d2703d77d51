"""Issue 15's sessions, URL filters, issue-list readability and admin polish, through AppTest."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

from sync.registry import get_source
from sync.store.db import make_engine
from sync.store.sessions import COOKIE_HEADER, redeem_ticket, session_of
from sync.store.users import get_user
from sync.submissions import list_versions
from tests.app_world import PASSWORD, by_label, issue_list, open_page, sign_in, street_sheets, write_xlsx


def param(at: AppTest, key: str) -> list[str]:
    value = at.query_params.get(key, [])
    return [value] if isinstance(value, str) else list(value)


def scripts(at: AppTest) -> list[str]:
    return [h.value for h in at.get("html") if "<script>" in h.value]


def test_sign_in_hands_the_browser_a_one_time_ticket_for_the_cookie(own_world):
    at = sign_in("shangzhan")
    [script] = scripts(at)
    assert "/auth/session" in script and COOKIE_HEADER in script
    ticket = re.search(r'body: "([\w-]+)"', script).group(1)
    engine = make_engine(own_world.db_url)
    token, _max_age = redeem_ticket(engine, ticket)  # what app.py's route does with it
    assert session_of(engine, token)[1] == "shangzhan"
    at.run()
    assert not scripts(at)  # handed over once, not on every rerun
    at.sidebar.button[0].click().run()  # 退出登录
    assert session_of(engine, token) is None  # the cookie's session ended with the sign-out
    assert any("/auth/signout" in s for s in scripts(at))


def test_a_password_reset_ends_the_browser_session(own_world):
    at = sign_in("xiazhan")
    ticket = re.search(r'body: "([\w-]+)"', scripts(at)[0]).group(1)
    engine = make_engine(own_world.db_url)
    token, _max_age = redeem_ticket(engine, ticket)
    admin = open_page("admin", "pages/users.py")
    by_label(admin.selectbox, "用户").select("xiazhan").run()
    by_label(admin.text_input, "新密码").input("another-pass-123")
    by_label(admin.button, "保存修改").click().run()
    assert session_of(engine, token) is None
    assert any("已保存用户" in s.value for s in admin.success)  # the message outlives the rerun


def test_place_and_period_filters_live_in_the_url_and_follow_across_pages(app_env):
    at = open_page("admin", "pages/overview.py")
    by_label(at.multiselect, "街道").select("下站街道")
    by_label(at.selectbox, "时间段").select("今年").run()
    assert (param(at, "street"), param(at, "period")) == (["下站街道"], ["今年"])
    at.switch_page("pages/wishes.py").run()
    assert by_label(at.multiselect, "街道").value == ["下站街道"] and by_label(at.selectbox, "时间段").value == "今年"
    assert param(at, "street") == ["下站街道"]
    shared = sign_in("supervisor", query={"street": "新源街道", "period": "近12个月"})  # someone opens the shared link
    assert by_label(shared.multiselect, "街道").value == ["新源街道"]
    assert by_label(shared.selectbox, "时间段").value == "近12个月"


def test_a_street_outside_the_users_scope_in_the_url_is_ignored(app_env):
    at = sign_in("shangzhan", query={"street": "下站街道"})
    assert not at.exception and by_label(at.multiselect, "街道").value == []


def test_quality_page_offers_the_annotated_workbook_without_a_filter(app_env):
    at = open_page("shangzhan", "pages/quality.py")
    assert "下载标注问题的工作簿（shangzhan）" in [b.label for b in at.get("download_button")]
    admin = open_page("admin", "pages/quality.py")
    [issue] = issue_list(admin)
    assert (issue["街道"], issue["数据源"]) == ("上站街道", "shangzhan")  # several streets: say whose


def test_cron_help_keeps_its_asterisks(app_env):
    at = open_page("admin", "pages/sources.py")
    field = by_label(at.text_input, "定时同步")
    assert "`*/30 * * * *`" in field.help  # a code span: Markdown leaves the asterisks alone


def test_users_form_starts_least_privileged_and_takes_the_oidc_email(own_world):
    at = open_page("admin", "pages/users.py")
    assert by_label(at.selectbox, "角色").value == "staff"
    by_label(at.text_input, "用户名").input("zhouwu")
    by_label(at.text_input, "邮箱").input("ZhouWu@example.org")
    by_label(at.text_input, "初始密码").input(PASSWORD)
    by_label(at.multiselect, "街道").select("新源街道")
    by_label(at.button, "创建").click().run()
    assert any("已创建用户“zhouwu”" in s.value for s in at.success)
    assert get_user(make_engine(own_world.db_url), "zhouwu").email == "ZhouWu@example.org"
    assert "zhouwu" in next(d.value for d in at.dataframe if "用户名" in d.value)["用户名"].tolist()


def test_save_and_sync_now_lists_the_new_source_at_once(own_world):
    path = own_world.root / "more.xlsx"
    sheets, _ids = street_sheets("新源街道")
    write_xlsx(path, {"报到名册": sheets["报到名册"]})
    at = open_page("admin", "pages/sources.py")
    by_label(at.text_input, "名称").input("xinyuan2")
    by_label(at.text_input, "街道").input("新源街道")
    by_label(at.radio, "来源类型").set_value("path").run()
    by_label(at.text_input, "服务器上的文件路径").input(str(path))
    by_label(at.button, "测试连接并预览校验").click().run()
    assert any("新源街道已有数据源“xinyuan”提供在职党员报到名册" in w.value.replace("\\", "") for w in at.warning)
    by_label(at.button, "保存并立即同步").click().run()
    assert not at.exception, at.exception
    assert any("已保存数据源" in s.value and "同步成功" in s.value for s in at.success)
    listing = next(d.value for d in at.dataframe if "最近同步" in d.value or "名称" in d.value)
    assert "xinyuan2" in listing["名称"].tolist()  # the list above shows it right after saving
    assert get_source(make_engine(own_world.db_url), "xinyuan2").last_ok_at is not None


def test_admin_makes_an_earlier_version_current(upload_world, tmp_path):
    from sync.service import open_mirror
    from sync.submissions import check_workbook, submit_workbook

    sheets, _ids = street_sheets("上站街道")
    mirror = open_mirror()
    data = write_xlsx(tmp_path / "less.xlsx", {**sheets, "微心愿": sheets["微心愿"][:-1]}).read_bytes()
    submit_workbook(mirror, check_workbook(mirror, get_source(mirror.engine, "shangzhan"), "less.xlsx", data), "shangzhan")
    at = open_page("admin", "pages/sources.py")
    by_label(at.selectbox, "编辑数据源").select("shangzhan").run()
    versions = next(d.value for d in at.dataframe if "提交人" in d.value)
    assert list(versions["文件名"]) == ["less.xlsx", "shangzhan.xlsx"] and list(versions["当前版本"]) == ["✓", ""]
    by_label(at.button, "设为当前版本并同步").click().run()
    assert not at.exception, at.exception
    assert any("设为当前版本" in s.value for s in at.success)
    assert [v.current for v in list_versions(mirror.engine, "shangzhan")] == [False, True]
    mirror.engine.dispose()
