"""Emailed validation reports (issue 5): what a real SMTP server receives, masking, retries, outbox, notify_on."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from email import message_from_bytes
from email.policy import default

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from jobs.cli import main
from jobs.mail import MailConfigError
from sync.terms import TIMEZONE
from sync.store.models import deliveries, sheets
from tests.jobs_support import (RefusingInbox, FULL_ID, FULL_MOBILE, PERSONAL, attachment, everything_readable, free_port,
                                make_street, self_signed_context, smtp_server)
from tests.registers import roster_row, wish_row, write_register


@pytest.fixture
def street(tmp_path, db_url):
    street = make_street(tmp_path, db_url)
    assert street.sync().status == "ok"
    yield street
    street.close()


def smtp_to(port: int) -> dict:
    return {"host": "127.0.0.1", "port": port, "tls": "none", "sender": "台账通 <taizhang@city.example.org>"}


def rows(query_result):
    return [tuple(r) for r in query_result]


def recorded(street):
    with street.mirror().engine.connect() as conn:
        return conn.execute(select(deliveries.c.kind, deliveries.c.source, deliveries.c.status, deliveries.c.attempts)
                            .order_by(deliveries.c.id)).all()


def test_street_report_arrives_with_cells_to_fix_and_an_issue_workbook(street):
    with smtp_server() as inbox:
        street.configure(smtp=smtp_to(inbox.port))
        outcome = street.send()
    assert [d.status for d in outcome.deliveries] == ["sent", "sent"]
    mail = {m["To"]: m for m in inbox.messages()}["staff@shangzhan.example.org"]
    today = datetime.now(TIMEZONE).date()
    assert mail["Subject"] == f"【台账通】上站街道 台账校验报告 {today:%Y-%m-%d}：错误 3 处，警告 1 处"
    assert inbox.envelopes[0].rcpt_tos == ["staff@shangzhan.example.org"]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert text.startswith("上站街道（城区）台账校验报告\n")
    assert "[报到名册] 第8行 D8 【联系电话】" in text and "第9行 B9 【身份证号】" in text
    assert "<td>D8</td><td>联系电话</td>" in html and "在职党员报到名册" in html
    assert "[微心愿] 第4行 G4 【认领人】" in text  # the warning
    assert "报到名册：最近修改" in text
    name, data = attachment(mail)
    assert name == f"台账问题清单_上站街道_{today:%Y-%m-%d}.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(data))["问题清单"]
    cells = {(r[2], r[4]): r for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert set(cells) == {("报到名册", "D8"), ("报到名册", "B9"), ("微心愿", "D3"), ("微心愿", "G4")}
    assert cells["报到名册", "D8"][6] == "错误" and cells["微心愿", "G4"][6] == "警告"


def test_no_full_id_number_or_phone_anywhere_in_any_mail(street):
    with smtp_server() as inbox:
        street.configure(smtp=smtp_to(inbox.port))
        street.send()
    assert len(inbox.envelopes) == 2
    for envelope in inbox.envelopes:
        readable = everything_readable(envelope.content)
        assert not any(p in readable for p in PERSONAL)
        assert not FULL_ID.search(readable) and not FULL_MOBILE.search(readable)
    # the long wish quoted a phone in free text: it arrives masked
    assert "139****5678" in everything_readable(inbox.envelopes[0].content)


def test_digest_gives_supervisors_every_street(tmp_path, street):
    with smtp_server() as inbox:
        street.configure(smtp=smtp_to(inbox.port))
        street.send()
    digest = {m["To"]: m for m in inbox.messages()}["boss@city.example.org"]
    assert digest["Subject"].startswith("【台账通】全市台账校验汇总 ")
    assert digest["Subject"].endswith("：1 个街道，错误 3 处，警告 1 处")
    text = digest.get_body(("plain",)).get_content()
    assert "城区 · 上站街道：读取 9 行，合格 6 行；错误 3 处，警告 1 处；最近成功同步" in text
    book = openpyxl.load_workbook(io.BytesIO(attachment(digest)[1]))
    assert book.sheetnames == ["街道汇总", "问题清单"]
    assert [c.value for c in book["街道汇总"][2]][:7] == ["城区", "上站街道", 1, 9, 6, 3, 1]
    assert book["问题清单"].max_row == 5


def test_a_failed_sync_and_a_stale_sheet_are_reported(street):
    with street.mirror().engine.begin() as conn:
        conn.execute(update(sheets).where(sheets.c.sheet == "微心愿")
                     .values(changed_at=datetime.now(TIMEZONE) - timedelta(days=40)))
    street.configure(path=str(street.tmp / "gone.xlsx"))
    assert street.sync().status == "failed"
    mails = {o.kind: o.message for o in _plan(street)}
    assert mails["street"]["Subject"].endswith("：错误 3 处，警告 1 处，1 个数据源同步异常")
    assert "shangzhan：最近同步" in mails["street"].get_body(("plain",)).get_content()
    digest = mails["digest"].get_body(("plain",)).get_content()
    assert "  超过 30 天未更新：微心愿\n" in digest
    assert "  同步异常：shangzhan：失败，找不到文件" in digest


def test_smtp_down_is_recorded_and_the_stored_message_is_retried_next_run(street):
    port = free_port()  # nothing listens here yet: connection refused
    street.configure(smtp=smtp_to(port))
    first = street.send()
    assert [d.status for d in first.deliveries] == ["failed", "failed"]
    assert "连接被拒绝" in first.failed[0].error
    assert rows(recorded(street)) == [("street", "上站街道", "failed", 1), ("digest", None, "failed", 1)]
    with smtp_server(port) as inbox:
        second = street.send()
    assert [(d.id, d.status, d.attempts) for d in second.deliveries[:2]] == [(1, "sent", 2), (2, "sent", 2)]
    with street.mirror().engine.connect() as conn:
        stored = conn.execute(select(deliveries.c.message).where(deliveries.c.id == 1)).scalar_one()
    retried = message_from_bytes(stored, policy=default)["Message-ID"]
    assert retried in [m["Message-ID"] for m in inbox.messages()]  # the very message composed the first time
    assert len(inbox.envelopes) == 4  # two retried, two of this run


@pytest.mark.parametrize("reply", ["550 5.1.1 Mailbox unavailable", "451 4.3.0 Try again later"])
def test_rcpt_refused_is_recorded_and_sent_on_the_next_run(street, reply):
    handler = RefusingInbox(reply)
    with smtp_server(handler=handler) as inbox:
        street.configure(smtp=smtp_to(inbox.port))
        first = street.send()
        assert [d.status for d in first.deliveries] == ["failed", "failed"]
        assert reply[:3] in first.failed[0].error
        assert inbox.envelopes == []
        handler.reply = ""
        second = street.send()
    assert [(d.status, d.attempts) for d in second.deliveries[:2]] == [("sent", 2), ("sent", 2)]
    assert len(inbox.envelopes) == 4


def test_cli_exits_non_zero_with_a_chinese_message_when_a_delivery_fails(street):
    street.configure(smtp=smtp_to(free_port()))
    result = CliRunner().invoke(main, ["report", "--config", str(street.config)])
    assert result.exit_code == 1
    assert "封邮件发送失败" in result.output and "下次发送报告时自动重试" in result.output


def test_without_smtp_mail_goes_to_the_outbox_as_eml_files(tmp_path, street):
    outcome = street.send()
    assert [d.status for d in outcome.deliveries] == ["outbox", "outbox"]
    files = sorted((tmp_path / "data" / "outbox").glob("*.eml"))
    assert [f.name.split("-")[-1] for f in files] == ["street.eml", "digest.eml"]
    msg = message_from_bytes(files[0].read_bytes(), policy=default)
    assert msg["Subject"].startswith("【台账通】上站街道 台账校验报告") and msg["To"] == "staff@shangzhan.example.org"


def test_dry_run_prints_without_sending_or_recording(tmp_path, street):
    result = CliRunner().invoke(main, ["report", "--config", str(street.config), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "收件人：staff@shangzhan.example.org" in result.output
    assert "主题：【台账通】上站街道 台账校验报告" in result.output and "第8行 D8" in result.output
    assert recorded(street) == [] and not (tmp_path / "data" / "outbox").exists()


def test_source_option_sends_only_that_street_and_no_digest(street):
    outcome = street.send(["shangzhan"])
    assert [d.kind for d in outcome.deliveries] == ["street"]
    result = CliRunner().invoke(main, ["report", "--config", str(street.config), "--source", "nope"])
    assert result.exit_code == 2 and "没有名为“nope”的数据源" in result.output


def test_starttls_refuses_a_server_whose_certificate_is_not_trusted(tmp_path, street):
    with smtp_server(tls_context=self_signed_context(tmp_path)) as inbox:
        street.configure(smtp={**smtp_to(inbox.port), "tls": "starttls"})
        outcome = street.send(["shangzhan"])
    assert "证书验证失败" in outcome.failed[0].error and inbox.envelopes == []


def test_starttls_is_never_skipped_when_the_server_lacks_it(street):
    with smtp_server() as inbox:
        street.configure(smtp={**smtp_to(inbox.port), "tls": "starttls"})
        outcome = street.send(["shangzhan"])
    assert "不支持 STARTTLS" in outcome.failed[0].error and inbox.envelopes == []


def test_tls_none_is_refused_for_a_remote_server(street):
    street.configure(smtp={**smtp_to(25), "host": "smtp.example.org"})
    with pytest.raises(MailConfigError, match="只允许连接本机邮件服务器"):
        street.send()
    result = CliRunner().invoke(main, ["report", "--config", str(street.config)])
    assert result.exit_code == 2 and "smtp.example.org" in result.output and recorded(street) == []


def test_header_injection_through_sheet_names_values_street_and_recipients_fails(tmp_path, db_url):
    street = make_street(tmp_path, db_url, street="上站街道\r\nBcc: evil@example.org",
                         recipients=["staff@shangzhan.example.org", "x@example.org\r\nBcc: evil@example.org"])
    book = openpyxl.load_workbook(street.book)
    book["报到名册"].title = "报到名册\r\nBcc evil@example.org"
    book["微心愿"]["F3"] = "=cmd|' /C calc'!A0\r\nBcc: evil@example.org <script>"
    book["微心愿"]["F3"].data_type = "s"  # typed text, not a formula the workbook would compute
    book.save(street.book)
    street.sync()
    with smtp_server() as inbox:
        street.configure(smtp=smtp_to(inbox.port))
        street.send(["shangzhan"])
    envelope = inbox.envelopes[0]
    assert envelope.rcpt_tos == ["staff@shangzhan.example.org"]
    head = envelope.content.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")
    assert not any(line.lower().startswith("bcc") for line in head)
    mail = inbox.messages()[0]
    assert mail["Bcc"] is None
    assert "\n" not in mail["Subject"] and mail["Subject"].startswith("【台账通】上站街道 Bcc: evil@example.org 台账校验报告")
    assert "=cmd|&#39; /C calc&#39;!A0" in mail.get_body(("html",)).get_content()
    assert "<script>" not in mail.get_body(("html",)).get_content()
    sheet = openpyxl.load_workbook(io.BytesIO(attachment(mail)[1]))["问题清单"]
    values = [r[7] for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert "'=cmd|' /C calc'!A0\nBcc: evil@example.org <script>" in values  # XML keeps LF only
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    street.close()


def test_more_than_200_errors_lists_200_and_counts_the_rest(tmp_path, db_url):
    street = make_street(tmp_path, db_url)
    write_register(street.book, [roster_row(n, 联系电话="12345") for n in range(1, 206)])
    street.sync()
    mail = next(o for o in _plan(street) if o.kind == "street").message
    text = mail.get_body(("plain",)).get_content()
    assert text.count("【联系电话】") == 200 and "……另有 5 条，见附件《台账问题清单》。" in text
    assert openpyxl.load_workbook(io.BytesIO(attachment(mail)[1]))["问题清单"].max_row == 206
    street.close()


def _plan(street):
    from jobs.reports import plan_reports
    return plan_reports(street.mirror()).outgoing


def _street_kinds(outcome):
    return [d.kind for d in outcome.deliveries if d.kind == "street"]


def test_notify_on_issues_skips_a_clean_street_and_always_does_not(tmp_path, db_url):
    street = make_street(tmp_path, db_url)
    write_register(street.book, [roster_row(n) for n in range(1, 4)], [wish_row(1)])
    street.sync()
    outcome = street.send()
    assert _street_kinds(outcome) == [] and outcome.skipped == ["上站街道：notify_on=issues：没有错误、警告或同步异常"]
    street.configure(notify_on="always")
    assert _street_kinds(street.send()) == ["street"]
    street.close()


def test_notify_on_changes_reports_only_after_something_changed(tmp_path, db_url):
    street = make_street(tmp_path, db_url, notify_on="changes")
    street.sync()
    assert _street_kinds(street.send()) == ["street"]  # never reported before
    street.sync()  # the same workbook again: nothing changed
    outcome = street.send()
    assert _street_kinds(outcome) == [] and "上次报告后没有变化" in outcome.skipped[0]
    write_register(street.book, [roster_row(n) for n in range(1, 8)], [wish_row(1), wish_row(2)])
    street.sync()
    assert _street_kinds(street.send()) == ["street"]
    street.close()


def test_digest_mail_shows_the_chart_inline(street):
    with smtp_server() as inbox:
        street.configure(smtp=smtp_to(inbox.port))
        street.send()
    digest = {m["To"]: m for m in inbox.messages()}["boss@city.example.org"]
    assert 'src="cid:taizhang-digest-chart"' in digest.get_body(("html",)).get_content()
    [chart] = [p for p in digest.walk() if p.get_content_type() == "image/png"]
    assert chart["Content-ID"] == "<taizhang-digest-chart>" and chart.get_content().startswith(b"\x89PNG")
    assert "见邮件中的图表" in digest.get_body(("plain",)).get_content()
