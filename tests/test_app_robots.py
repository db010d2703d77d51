"""Group robots on the sources page (issue 18): added and assigned by an admin, never shown in full."""

from __future__ import annotations

from sync.store.channels import list_channels, save_channel
from sync.store.crypto import default_vault
from sync.store.db import make_engine
from tests.app_world import by_label, open_page, rendered

KEY = "693a91f6-7aoc-4bc4-97a0-0ec2sifa9kq7"
HOOK = f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={KEY}"
DING_SECRET = "SECd41d8cd98f00b204e9800998ecf8427e"


def robots(world):
    """The robots as stored (read without provisioning the TOML's again)."""
    engine = make_engine(world.db_url)
    found = {c.name: c for c in list_channels(engine, default_vault())}
    engine.dispose()
    return found


def test_admin_adds_a_robot_and_never_sees_its_secrets_again(own_world):
    with own_world.config.open("a", encoding="utf-8") as f:  # one robot declared in the TOML too
        f.write(f'\n[[channels]]\nname = "下站钉钉群"\nkind = "dingtalk"\n'
                f'webhook = "https://oapi.dingtalk.com/robot/send?access_token=ab12cd34ef56"\n'
                f'secret = "{DING_SECRET}"\nstreets = ["下站街道"]\n')
    at = open_page("admin", "pages/sources.py")
    by_label(at.text_input, "名称（如").input("上站企业微信群")
    by_label(at.text_input, "webhook 地址").input(HOOK)
    by_label(at.multiselect, "发送这些街道的报告").select("上站街道")
    by_label(at.text_area, "@提醒的手机号").input("13511112222")
    by_label(at.button, "保存群机器人").click().run()
    assert not at.exception, at.exception
    assert any("已保存群机器人“上站企业微信群”" in s.value for s in at.success)
    page = rendered(at)
    assert KEY not in page and "ab12cd34ef56" not in page and DING_SECRET not in page and "13511112222" not in page
    assert "https://qyapi.weixin.qq.com/…9kq7" in page and "135****2222" in page and "已设置" in page
    saved = robots(own_world)["上站企业微信群"]
    assert (saved.kind, saved.streets, saved.mobiles) == ("wecom", ("上站街道",), ("13511112222",))


def test_a_wrong_robot_is_refused_with_a_chinese_line(own_world):
    at = open_page("admin", "pages/sources.py")
    by_label(at.text_input, "名称（如").input("坏群")
    by_label(at.text_input, "webhook 地址").input("qyapi.weixin.qq.com/send")
    by_label(at.multiselect, "发送这些街道的报告").select("上站街道")
    by_label(at.button, "保存群机器人").click().run()
    assert any("webhook 应为完整地址" in e.value for e in at.error) and "坏群" not in robots(own_world)


def test_the_source_editor_sends_a_street_report_to_the_chosen_robot(own_world):
    engine = make_engine(own_world.db_url)  # a robot added in the app earlier
    save_channel(engine, default_vault(), "城区群", {"kind": "wecom", "webhook": "env:TZ_HOOK", "digest": True})
    engine.dispose()
    at = open_page("admin", "pages/sources.py")
    by_label(at.selectbox, "编辑数据源").select("shangzhan").run()
    by_label(at.multiselect, "报告同时发到这些群机器人").select("城区群")
    by_label(at.button, "保存").click().run()
    assert not at.exception, at.exception
    assert robots(own_world)["城区群"].streets == ("上站街道",)
    assert "环境变量 TZ_HOOK" in rendered(at)
