"""Group robots in the configuration and the database (issue 18): `[[channels]]` checks, provisioning,
secrets encrypted at rest and shown masked; the digest chart drawn with a CJK font."""

from __future__ import annotations

import warnings

import pytest
from sqlalchemy import select

from jobs.chart import digest_chart
from sync.config import ConfigError, load_config
from sync.service import open_mirror
from sync.store.channels import assign_street, list_channels, masked_webhook, save_channel
from sync.store.models import channels as channels_table
from tests.registers import toml_value

HOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
GOOD = {"name": "上站群", "kind": "wecom", "webhook": HOOK, "streets": ["上站街道"]}


def write(tmp_path, db_url, *channels, app=None):
    lines = ["[database]", f"url = {toml_value(db_url)}"]
    if app is not None:
        lines += ["[app]"] + [f"{k} = {toml_value(v)}" for k, v in app.items()]
    for channel in channels:
        lines += ["[[channels]]"] + [f"{k} = {toml_value(v)}" for k, v in channel.items()]
    path = tmp_path / "taizhang.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


BAD_CHANNELS = [
    ({"kind": "wecom", "webhook": HOOK, "streets": ["上站街道"]}, "配置文件第1个 [[channels]] 缺少 name"),
    ({**GOOD, "kind": "slack"}, "（上站群）的 kind 应为 wecom、dingtalk、feishu 之一"),
    ({**GOOD, "webhook": "qyapi.weixin.qq.com/send?key=x"}, "的 webhook 应为完整地址（https://…）或 env:环境变量名"),
    ({**GOOD, "webhook": "env:"}, "的 webhook 应为完整地址"),
    ({**GOOD, "secret": "env:1BAD"}, "的 secret 应为密钥文本或 env:环境变量名"),
    ({**GOOD, "streets": "上站街道"}, "的 streets 应为街道名称列表"),
    ({**GOOD, "streets": []}, "既没有 streets 也没有 digest = true，不会收到任何消息"),
    ({**GOOD, "digest": "yes"}, "的 digest 应为 true 或 false"),
    ({**GOOD, "mobiles": ["1381234567"]}, "的 mobiles 应为 11 位手机号列表"),
    ({**GOOD, "kind": "feishu", "mobiles": ["13812345678"]}, "飞书自定义机器人不能按手机号 @ 成员"),
]


@pytest.mark.parametrize("channel, message", BAD_CHANNELS)
def test_a_wrong_channel_is_one_chinese_line_without_the_secret(tmp_path, channel, message):
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, "sqlite://", channel))
    assert message in str(caught.value) and "693a91f6" not in str(caught.value)


def test_duplicate_robot_names_and_a_bad_base_url_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="群机器人名称重复"):
        load_config(write(tmp_path, "sqlite://", GOOD, GOOD))
    with pytest.raises(ConfigError, match=r"\[app\] base_url 应为应用的完整地址"):
        load_config(write(tmp_path, "sqlite://", GOOD, app={"base_url": "taizhang.example.org"}))


def test_declared_robots_are_provisioned_once_encrypted_and_shown_masked(tmp_path, db_url):
    declared = [{**GOOD, "mobiles": ["13812345678"]},
                {"name": "钉钉群", "kind": "dingtalk", "webhook": "env:TZ_DING", "secret": "SECabc123", "digest": True}]
    config = write(tmp_path, db_url, *declared)
    mirror = open_mirror(str(config))
    first = list_channels(mirror.engine, mirror.vault)
    assert [(c.name, c.kind, c.streets, c.digest, c.mobiles) for c in first] == [
        ("上站群", "wecom", ("上站街道",), False, ("13812345678",)), ("钉钉群", "dingtalk", (), True, ())]
    with mirror.engine.connect() as conn:
        stored = conn.execute(select(channels_table)).all()
    raw = repr(stored)
    assert HOOK not in raw and "693a91f6" not in raw and "SECabc123" not in raw and "13812345678" not in raw
    assert {r.name: r.webhook for r in stored}["钉钉群"] == "env:TZ_DING"  # a reference, kept as it is
    assert masked_webhook(mirror.vault, first[0].webhook_ref) == "https://qyapi.weixin.qq.com/…5aaa"
    assert masked_webhook(mirror.vault, first[1].webhook_ref) == "环境变量 TZ_DING"
    again = open_mirror(str(config))  # every start provisions: unchanged robots are not rewritten
    with again.engine.connect() as conn:
        assert conn.execute(select(channels_table.c.webhook, channels_table.c.updated_at)).all() == [
            (r.webhook, r.updated_at) for r in stored]
    mirror.engine.dispose()
    again.engine.dispose()


def test_the_source_editor_assigns_a_street_to_exactly_the_chosen_robots(tmp_path, db_url):
    mirror = open_mirror(str(write(tmp_path, db_url, GOOD, {**GOOD, "name": "另一群", "streets": ["下站街道"]})))
    assign_street(mirror.engine, mirror.vault, "上站街道", ["另一群"])
    assert {c.name: c.streets for c in list_channels(mirror.engine, mirror.vault)} == {
        "上站群": (), "另一群": ("上站街道", "下站街道")}
    save_channel(mirror.engine, mirror.vault, "另一群", {"webhook": "", "enabled": False})  # blank: keep the URL
    kept = {c.name: c for c in list_channels(mirror.engine, mirror.vault)}["另一群"]
    assert mirror.vault.decrypt(kept.webhook_ref) == HOOK and not kept.enabled
    mirror.engine.dispose()


def test_digest_chart_draws_every_chinese_glyph(tmp_path):
    rows = [{"street": s, "errors": e, "warnings": w} for s, e, w in
            [("上站街道", 17, 3), ("下站街道", 15, 4), ("桃林街道", 16, 2), ("河坡街道", 14, 5)]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)" where it would draw a box
        png = digest_chart(rows, {"上站街道": (0.75, 0.5), "下站街道": (0.6, 0.33), "桃林街道": (0.8, 0.45)})
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) < 2 * 1024 * 1024
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width > 900 and height > 300
    (tmp_path / "chart.png").write_bytes(png)
