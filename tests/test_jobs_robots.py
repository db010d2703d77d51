"""Reports to group robots (issue 18): what a local WeCom / DingTalk / Feishu webhook server receives,
signatures, size caps, rate limits and their documented replies, retries, masking, secrets."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from jobs.cli import main
from sync.store.models import deliveries
from tests.jobs_support import FULL_ID, FULL_MOBILE, PERSONAL, free_port, make_street
from tests.registers import roster_row, write_register
from tests.robots_emulator import RobotsEmulator

WECOM_KEY = "wk-2d1e7f0c-55aa-4b1c-9e3f-6a7b8c9d0e1f"
DING_TOKEN, DING_SECRET = "dt-8f7e6d5c4b3a", "SEC0123456789abcdef0123456789abcdef"
FEISHU_TOKEN, FEISHU_SECRET = "fs-0a1b2c3d4e5f", "fsSecret-9z8y7x6w5v"
MOBILE = "13511112222"  # a staff phone to @-mention (not one of the sheets' phones)
SECRETS = (WECOM_KEY, DING_TOKEN, DING_SECRET, FEISHU_TOKEN, FEISHU_SECRET)


def quick(**overrides):
    """A robot policy with short waits, so the rate-limit tests take seconds, not minutes."""
    from sync.sources.google_http import RetryPolicy
    return {"retry": RetryPolicy(attempts=8, base=0.2, cap=0.5, total=10.0), "max_wait": 5.0, **overrides}


@pytest.fixture(autouse=True)
def fresh_buckets():
    """The robots' token buckets live for the process: each test starts with full ones."""
    from jobs.channels import delivery
    delivery._BUCKETS.clear()
    yield
    delivery._BUCKETS.clear()


@pytest.fixture
def robots():
    emulator = RobotsEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def street(tmp_path, db_url):
    street = make_street(tmp_path, db_url)
    assert street.sync().status == "ok"
    yield street
    street.close()


def three_robots(robots: RobotsEmulator, **feishu) -> list[dict]:
    """The street's report to a robot of each kind; the digest to WeCom."""
    return [{"name": "上站企业微信群", "kind": "wecom", "webhook": robots.wecom(WECOM_KEY), "streets": ["上站街道"],
             "mobiles": [MOBILE]},
            {"name": "上站钉钉群", "kind": "dingtalk", "webhook": robots.dingtalk(DING_TOKEN, DING_SECRET),
             "secret": DING_SECRET, "streets": ["上站街道"], "mobiles": [MOBILE]},
            {"name": "上站飞书群", "kind": "feishu", "webhook": robots.feishu(FEISHU_TOKEN, FEISHU_SECRET),
             "secret": FEISHU_SECRET, "streets": ["上站街道"], **feishu},
            {"name": "全市督导群", "kind": "wecom", "webhook": robots.wecom("city-key-0001"), "digest": True}]


def robot_rows(street):
    with street.mirror().engine.connect() as conn:
        return conn.execute(select(deliveries.c.kind, deliveries.c.channel, deliveries.c.status, deliveries.c.attempts,
                                   deliveries.c.error).where(deliveries.c.channel.is_not(None))
                            .order_by(deliveries.c.id)).all()


def texts(exchanges) -> list[str]:
    return [json.dumps(e.body, ensure_ascii=False) for e in exchanges]


def test_each_robot_gets_the_street_report_in_its_own_format_signed(street, robots):
    street.configure(channels=three_robots(robots), app={"base_url": "https://taizhang.example.org/"})
    outcome = street.send()
    assert not outcome.failed, [d.error for d in outcome.failed]
    assert robots.refused() == []  # every signature and size checked out
    [wecom] = robots.accepted("wecom", WECOM_KEY)
    assert wecom.body["msgtype"] == "text" and wecom.body["text"]["mentioned_mobile_list"] == [MOBILE]
    content = wecom.body["text"]["content"]
    assert content.startswith("【上站街道 台账校验 ") and "错误 3 处，警告 1 处" in content
    assert "报到名册 D8 【联系电话】" in content and "报到名册 B9 【身份证号】" in content
    assert "微心愿 G4 【认领人】" in content and "（警告）" in content
    assert "https://taizhang.example.org/data-quality" in content
    [ding] = robots.accepted("dingtalk", DING_TOKEN)
    assert ding.query["timestamp"] and ding.query["sign"]  # the emulator verified the HMAC-SHA256
    assert ding.body["at"] == {"atMobiles": [MOBILE], "isAtAll": False}
    assert ding.body["markdown"]["text"].endswith(f"@{MOBILE}") and "**先改这几处**" in ding.body["markdown"]["text"]
    assert "[打开台账通“数据质量”页](https://taizhang.example.org/data-quality)" in ding.body["markdown"]["text"]
    [feishu] = robots.accepted("feishu", FEISHU_TOKEN)
    card = feishu.body["card"]
    assert feishu.body["msg_type"] == "interactive" and feishu.body["sign"] and feishu.body["timestamp"].isdigit()
    assert card["header"]["title"]["content"].startswith("上站街道 台账校验 ") and card["header"]["template"] == "red"
    assert "错误 3 处，警告 1 处" in card["elements"][0]["text"]["content"]
    assert [(kind, channel, status) for kind, channel, status, *_ in robot_rows(street)] == [
        ("street", "上站企业微信群", "sent"), ("street", "上站钉钉群", "sent"), ("street", "上站飞书群", "sent"),
        ("digest", "全市督导群", "sent"), ("digest", "全市督导群", "sent")]


def test_no_full_id_number_or_sheet_phone_reaches_any_robot(street, robots):
    street.configure(channels=three_robots(robots))
    street.send()
    bodies = "\n".join(texts(robots.accepted())).replace(MOBILE, "")
    assert not any(p in bodies for p in PERSONAL)
    assert not FULL_ID.search(bodies) and not FULL_MOBILE.search(bodies)
    assert "139＊＊＊＊5678" in bodies  # the phone in the long wish: masked (and its * made inert)
    with street.mirror().engine.connect() as conn:  # the stored bodies carry no @-mentioned phone either
        stored = b"".join(conn.execute(select(deliveries.c.message).where(deliveries.c.channel.is_not(None))).scalars())
    assert MOBILE.encode() not in stored


def test_digest_robot_gets_the_lines_and_the_chart_as_a_wecom_image(street, robots):
    street.configure(channels=three_robots(robots))
    street.send()
    markdown, image = robots.accepted("wecom", "city-key-0001")
    content = markdown.body["markdown"]["content"]
    assert content.startswith("### 全市台账校验汇总 ") and "**1 个街道：错误 3 处，警告 1 处**" in content
    assert "城区·上站街道：错误 3，警告 1；认领率 100%，完成率 100%" in content  # its one live wish: done
    assert "汇总图见" not in content  # WeCom gets the picture itself
    png = base64.b64decode(image.body["image"]["base64"])
    assert png.startswith(b"\x89PNG") and hashlib.md5(png).hexdigest() == image.body["image"]["md5"]
    assert len(png) <= 2 * 1024 * 1024


def test_a_wrong_secret_is_recorded_with_the_platform_code_and_resent_once_fixed(street, robots):
    channels = three_robots(robots)
    channels[1]["secret"] = "SECwrong"
    channels[2]["secret"] = "wrong"
    street.configure(channels=channels)
    first = street.send()
    errors = {d.channel: d.error for d in first.failed}
    assert errors["上站钉钉群"].startswith("钉钉群机器人“上站钉钉群”：钉钉返回 310000：sign not match（签名或安全设置不符")
    assert errors["上站飞书群"].startswith("飞书群机器人“上站飞书群”：飞书返回 19021：sign match fail")
    street.configure(channels=three_robots(robots))
    second = street.send(["shangzhan"])
    retried = [d for d in second.deliveries if d.attempts == 2]
    assert sorted((d.channel, d.status) for d in retried) == [("上站钉钉群", "sent"), ("上站飞书群", "sent")]
    # the retried message and this run's: two each, no more
    assert len(robots.accepted("dingtalk", DING_TOKEN)) == 2 and len(robots.accepted("feishu", FEISHU_TOKEN)) == 2


@pytest.mark.parametrize("kind, code", [("wecom", 45009), ("feishu", 11232)])
def test_a_rate_limit_reply_is_retried_with_backoff_none_lost_none_doubled(street, robots, kind, code):
    hook = {"wecom": robots.wecom, "feishu": robots.feishu}[kind]("busy")
    street.configure(channels=[{"name": "群", "kind": kind, "webhook": hook, "streets": ["上站街道"], "digest": True}])
    robots.refuse(kind, "busy", 2)  # another process has just spent the robot's quota
    outcome = street.send(**quick(window=3.0))  # after the reply our own bucket waits a token out: 0.15 s here
    assert [(d.kind, d.status, d.attempts) for d in outcome.deliveries if d.channel][:2] == [
        ("street", "sent", 1), ("digest", "sent", 1)]
    assert [e.reply.get("errcode", e.reply.get("code")) for e in robots.refused()] == [code, code]
    titles = [json.dumps(e.body, ensure_ascii=False) for e in robots.accepted(kind, "busy")]
    assert len(titles) == len(set(titles)) == (3 if kind == "wecom" else 2)  # each message once (WeCom: + chart)


def test_token_bucket_holds_messages_back_instead_of_flooding(tmp_path, db_url, robots):
    street = make_street(tmp_path, db_url)
    street.sync()
    street.configure(channels=[{"name": "群", "kind": "feishu", "webhook": robots.feishu("t1"),
                                "streets": ["上站街道"], "digest": True}])
    street.send(per_minute=1, window=0.5)  # each message waits for the one before it to age out
    street.send(per_minute=1, window=0.5)
    times = [e.at for e in robots.accepted("feishu", "t1")]
    assert len(times) == 4 and robots.refused() == []
    assert all(later - earlier >= 0.4 for earlier, later in zip(times, times[1:]))
    street.close()


def test_dingtalk_throttle_defers_to_the_next_run_none_lost_none_doubled(street, robots):
    ding = {"name": "钉钉群", "kind": "dingtalk", "webhook": robots.dingtalk("dt", per_window=3),
            "streets": ["上站街道"], "digest": True}
    street.configure(channels=[ding])
    robots.spend("dingtalk", "dt", 2)  # two sent elsewhere this minute: one more is allowed
    first = street.send(**quick())
    assert [(d.kind, d.status) for d in first.deliveries if d.channel] == [("street", "sent"), ("digest", "failed")]
    assert "130101" in first.failed[0].error and "下次发送报告时重发" in first.failed[0].error
    assert len(robots.refused()) == 1  # throttled for ten minutes: not hammered again in this run
    robots.skew += 601  # ten minutes later
    second = street.send(**quick())
    assert [(d.kind, d.status, d.attempts) for d in second.deliveries if d.channel] == [
        ("digest", "sent", 2), ("street", "sent", 1), ("digest", "sent", 1)]
    kinds = [e.body["markdown"]["title"].split(" ")[0] for e in robots.accepted("dingtalk", "dt")]
    assert kinds == ["上站街道", "全市台账校验汇总", "上站街道", "全市台账校验汇总"]  # 4 rows sent, 4 arrived


@pytest.mark.parametrize("kind, mobiles, cap", [("wecom", [], 4096), ("wecom", [MOBILE], 2048),
                                                 ("dingtalk", [MOBILE], 4096), ("feishu", [], 4096)])
def test_a_long_list_is_cut_to_the_platform_cap_in_one_message(tmp_path, db_url, robots, kind, mobiles, cap):
    street = make_street(tmp_path, db_url)
    write_register(street.book, [roster_row(n, 联系电话="12345") for n in range(1, 206)])
    street.sync()
    hook = {"wecom": robots.wecom, "dingtalk": robots.dingtalk, "feishu": robots.feishu}[kind]("tok")
    street.configure(channels=[{"name": "群", "kind": kind, "webhook": hook, "streets": ["上站街道"], "mobiles": mobiles}])
    assert not street.send(["shangzhan"]).failed
    [received] = robots.accepted(kind, "tok")
    body = received.body
    text = {"wecom": lambda: body[body["msgtype"]]["content"], "dingtalk": lambda: body["markdown"]["text"],
            "feishu": lambda: body["card"]["elements"][0]["text"]["content"]}[kind]()
    assert len(text.encode()) <= cap
    listed = text.count("【联系电话】")
    assert 0 < listed <= 10 and f"……还有 {205 - listed} 处，见邮件附件或应用" in text
    street.close()


def test_sheet_text_cannot_mention_everyone_or_plant_a_link(tmp_path, db_url, robots):
    street = make_street(tmp_path, db_url)
    write_register(street.book, [roster_row(1), roster_row(2, 性别="<at id=all></at>[点我](http://evil.example) @所有人")])
    street.sync()
    street.configure(channels=[{"name": "群", "kind": "feishu", "webhook": robots.feishu("tok"), "streets": ["上站街道"]},
                               {"name": "钉", "kind": "dingtalk", "webhook": robots.dingtalk("tok"),
                                "streets": ["上站街道"]}])
    street.send(["shangzhan"])
    sent = "\n".join(texts(robots.accepted()))
    assert "<at" not in sent and "](http://evil" not in sent and "@所有人" not in sent
    assert "＜at id=all＞＜/at＞［点我］（http://evil.example）" in sent
    street.close()


INERT_CASES = [("<at id=all></at>", "＜at id=all＞＜/at＞"), ("[点我](http://a.example)", "［点我］（http://a.example）"),
               ("**粗体** _斜体_ `代码`", "＊＊粗体＊＊ ＿斜体＿ ｀代码｀"), ("# 标题", "＃ 标题"), ("@所有人", "＠所有人"),
               ("第1行\r\n第2行", "第1行  第2行"), ("<font color=\"warning\">", "＜font color=\"warning\"＞"),
               ("张　伟，2020-08-10 0353-1234567", "张　伟，2020-08-10 0353-1234567")]


@pytest.mark.parametrize("text, expected", INERT_CASES)
def test_markup_in_sheet_text_becomes_full_width(text, expected):
    from jobs.channels.brief import inert
    assert inert(text) == expected


def test_secrets_are_never_logged_nor_recorded(street, robots, caplog):
    channels = three_robots(robots)
    channels[0]["webhook"] = f"http://127.0.0.1:{free_port()}/cgi-bin/webhook/send?key={WECOM_KEY}"  # refused
    channels[1]["secret"] = "SECwrong"
    street.configure(channels=channels)
    with caplog.at_level(logging.DEBUG):
        outcome = street.send(**quick())
        street.configure(channels=[{**three_robots(robots)[0]}, *channels[1:]])  # WeCom reachable again
        result = CliRunner().invoke(main, ["report", "--config", str(street.config)])
    assert "无法连接 127.0.0.1（ConnectionError）" in {d.channel: d.error for d in outcome.failed}["上站企业微信群"]
    assert result.exit_code == 1 and "条群机器人消息发送失败" in result.output
    seen = caplog.text + result.output + "".join(str(r) for r in robot_rows(street))
    assert [s for s in (*SECRETS, "SECwrong") if s in seen] == []


def test_an_unset_webhook_variable_fails_with_its_name(street, monkeypatch):
    street.configure(channels=[{"name": "群", "kind": "wecom", "webhook": "env:TZ_TEST_HOOK", "streets": ["上站街道"]}])
    outcome = street.send(["shangzhan"])
    assert outcome.failed[0].error == "企业微信群机器人“群”：环境变量 TZ_TEST_HOOK 未设置（webhook）"


def test_dry_run_prints_each_robot_message_and_sends_nothing(tmp_path, street, robots):
    street.configure(channels=three_robots(robots))
    result = CliRunner().invoke(main, ["report", "--config", str(street.config), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "演练：将发送 2 封报告邮件、5 条群机器人消息" in result.output
    for header in ("群机器人：企业微信群机器人“上站企业微信群”\n消息类型：text", "群机器人：钉钉群机器人“上站钉钉群”\n消息类型：markdown",
                   "群机器人：飞书群机器人“上站飞书群”\n消息类型：interactive", "群机器人：企业微信群机器人“全市督导群”\n消息类型：image"):
        assert header in result.output
    assert "@提醒：135****2222" in result.output and MOBILE not in result.output
    assert "报到名册 D8 【联系电话】" in result.output
    assert not any(s in result.output for s in SECRETS)
    assert robots.exchanges == [] and robot_rows(street) == []


def test_demo_dry_run_prints_one_message_per_street_robot_and_the_digest(tmp_path, monkeypatch):
    from sync.cli import main as sync_main

    monkeypatch.chdir(Path(__file__).resolve().parents[1])  # the demo's paths are relative to the repository
    db = ["--config", "data/demo/taizhang.toml", "--db", f"sqlite:///{tmp_path / 'demo.db'}"]
    assert CliRunner().invoke(sync_main, ["run", *db]).exit_code == 0
    result = CliRunner().invoke(main, ["report", *db, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert re.findall(r"^群机器人：(.+)$", result.output, re.M) == [
        "企业微信群机器人“上站街道工作群”", "钉钉群机器人“下站街道工作群”", "飞书群机器人“桃林街道工作群”",
        "企业微信群机器人“河坡街道工作群”", "企业微信群机器人“全市督导群”", "企业微信群机器人“全市督导群”"]
    assert "消息类型：image" in result.output.split("全市督导群”")[-1]  # the digest's chart
