"""What changes things: sync now, confirm-and-apply of a held run, registering a source, managing users."""

from __future__ import annotations

from pathlib import Path

from pages.common import plain
from sync.store.db import make_engine
from sync.registry import get_source
from sync.sources.kinds.upload import stored_path
from sync.submissions import list_versions
from sync.store.users import authenticate, get_user
from tests.app_world import PASSWORD, ROSTER, by_label, open_page, write_xlsx


def test_sync_now_runs_the_chosen_source(own_world):
    at = open_page("shangzhan", "pages/runs.py")
    by_label(at.checkbox, "即使表格未变化").check()
    by_label(at.button, "立即同步").click().run()
    assert not at.exception, at.exception
    history = next(d.value for d in at.dataframe if "触发方式" in d.value)
    assert (history.iloc[0]["数据源"], history.iloc[0]["触发方式"], history.iloc[0]["状态"]) == (
        "shangzhan", "应用", "成功")


def test_held_run_is_applied_after_an_admin_confirms(own_world):
    write_xlsx(own_world.root / "xiazhan.xlsx", {"报到名册": [ROSTER]})  # every member deleted: looks like an accident
    at = open_page("admin", "pages/runs.py")
    by_label(at.selectbox, "数据源").select("下站街道·xiazhan")
    by_label(at.button, "立即同步").click().run()
    assert any("已暂停" in w.value for w in at.warning)
    assert by_label(at.button, "确认并应用").disabled
    staff = open_page("xiazhan", "pages/runs.py")
    assert any("已暂停" in w.value for w in staff.warning) and not [b for b in staff.button if b.label == "确认并应用"]
    by_label(at.checkbox, "我已核对表格").check().run()
    by_label(at.button, "确认并应用").click().run()
    assert not at.exception, at.exception
    assert not any("已暂停" in w.value for w in at.warning)
    at.switch_page("pages/overview.py").run()
    assert {m.label: m.value for m in at.metric}["报到党员"] == "4"  # 下站's two members are gone


def test_admin_registers_a_source_after_a_preview(own_world):
    path = write_xlsx(own_world.root / "new.xlsx", {"名册": [ROSTER, ["11010519491231002X", "周新", "女", "13800000000",
                                                                   "单位", "新社区", "", "2020-06-01"]]})
    at = open_page("admin", "pages/sources.py")
    by_label(at.text_input, "名称").input("newstreet")
    by_label(at.text_input, "区县").input("郊区")
    by_label(at.text_input, "街道").input("新街道")
    by_label(at.radio, "来源类型").set_value("path").run()
    by_label(at.text_input, "服务器上的文件路径").input(str(path))
    by_label(at.text_input, "定时同步").input("0 8 * * 1-5").run()
    assert by_label(at.button, "保存").disabled  # a new source is saved only after a preview
    assert any("接下来" in c.value and "（周一）08:00" in c.value for c in at.caption)
    by_label(at.button, "测试连接并预览校验").click().run()
    assert not at.exception, at.exception
    assert any("已读取" in s.value for s in at.success)
    summary = next(d.value for d in at.dataframe if "合格行" in d.value)
    assert summary.iloc[0]["台账"] == "在职党员报到名册" and summary.iloc[0]["合格行"] == 1
    by_label(at.selectbox, "工作表“名册”").select("roster")
    by_label(at.button, "保存").click().run()
    assert any("已保存" in s.value for s in at.success)
    source = get_source(make_engine(own_world.db_url), "newstreet")
    assert (source.street, source.kind, source.path, source.sheets, source.schedule) == (
        "新街道", "excel", str(path), {"名册": "roster"}, "0 8 * * 1-5")


def test_admin_uploads_a_workbook(own_world):
    data = Path(own_world.root / "xinyuan.xlsx").read_bytes()
    at = open_page("admin", "pages/sources.py")
    by_label(at.text_input, "名称").input("uploaded")
    by_label(at.text_input, "街道").input("新源街道")
    at.file_uploader[0].set_value(("新源.xlsx", data, "application/octet-stream"))
    at.run()
    by_label(at.button, "测试连接并预览校验").click().run()
    by_label(at.button, "保存").click().run()
    assert not at.exception, at.exception
    engine = make_engine(own_world.db_url)
    source = get_source(engine, "uploaded")
    stored = stored_path(source.path)  # the first version, under the data folder, named by its content
    assert source.kind == "upload" and stored.is_relative_to(own_world.root / "data" / "uploads")
    assert stored.read_bytes() == data and "新源" not in str(stored)
    [version] = list_versions(engine, "uploaded")
    assert (version.filename, version.uploaded_by, version.current) == ("新源.xlsx", "admin", True)


def test_bad_schedule_is_explained(own_world):
    at = open_page("admin", "pages/sources.py")
    by_label(at.text_input, "定时同步").input("every day").run()
    assert any("cron" in e.value for e in at.error)


def test_admin_creates_and_disables_users(own_world):
    at = open_page("admin", "pages/users.py")
    by_label(at.text_input, "用户名").input("laowang")
    by_label(at.text_input, "初始密码").input(PASSWORD)
    by_label(at.selectbox, "角色").select("staff")
    by_label(at.multiselect, "街道").select("新源街道")
    by_label(at.button, "创建").click().run()
    assert not at.exception, at.exception
    engine = make_engine(own_world.db_url)
    assert get_user(engine, "laowang").streets == ("新源街道",)
    by_label(at.selectbox, "用户").select("laowang").run()
    by_label(at.toggle, "启用").set_value(False)
    by_label(at.button, "保存修改").click().run()
    assert authenticate(engine, "laowang", PASSWORD) is None


def test_staff_without_street_is_refused(own_world):
    at = open_page("admin", "pages/users.py")
    by_label(at.text_input, "用户名").input("nobody")
    by_label(at.text_input, "初始密码").input(PASSWORD)
    by_label(at.selectbox, "角色").select("staff")
    by_label(at.button, "创建").click().run()
    assert any("至少要绑定一个街道" in e.value for e in at.error)
    assert get_user(make_engine(own_world.db_url), "nobody") is None


def test_two_sources_over_one_file_are_warned_and_their_people_listed_twice(own_world):
    # issue 13: a source renamed in the app beside the TOML's one doubled the street, unnoticed
    from sync.registry import save_source
    from sync.service import open_mirror, sync_sources

    mirror = open_mirror()
    save_source(mirror.engine, "shangzhan_copy", {"street": "上站街道", "district": "城区", "kind": "excel",
                                                  "path": str(own_world.root / "shangzhan.xlsx")})
    results = sync_sources(mirror, ["shangzhan_copy"])
    mirror.engine.dispose()
    assert [r.source for r in results] == ["shangzhan_copy", "shangzhan"]  # the people's other roster, checked again
    assert "注意：与数据源“shangzhan”读取同一个文件或表格" in results[0].message
    at = open_page("admin", "pages/sources.py")
    assert any(plain("shangzhan_copy") in w.value and "同一个文件" in w.value for w in at.warning)  # plain text
    at.switch_page("pages/quality.py").run()
    assert not at.exception, at.exception
    assert "同一人在多处报到" in [s.value for s in at.subheader]
    twice = next(d.value for d in at.dataframe if "问题说明" in d.value and len(d.value) and
                 d.value["问题说明"].str.contains("本街道").all())
    assert set(twice["数据源"]) == {"shangzhan", "shangzhan_copy"}
