"""Composing and delivering mail: SMTP when ``[smtp]`` is configured, else ``.eml`` files in the outbox.

Every message is recorded in ``deliveries`` with its whole RFC 5322 text, so a failed one is
sent again, as it was, on the next report run.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP, default
from email.utils import format_datetime, getaddresses, parseaddr
from pathlib import Path
from typing import Any, Protocol

from sync.terms import TIMEZONE
from sync.private_files import write_private
from sync.settings import data_dir, secret_section, setting

TLS_MODES = ("starttls", "ssl", "none")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
DEFAULT_SENDER = "台账通 <taizhang@localhost>"
SMTP_TIMEOUT_SECONDS = 30
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class MailConfigError(Exception):
    """``[smtp]`` is wrong; nothing is sent. The message is Chinese."""


class SendFailed(Exception):
    """One message could not be handed over; the message is Chinese."""


CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]+")


def header_text(value: Any) -> str:
    """Text safe for a mail header: each run of control characters (CR, LF, …) becomes one space."""
    return CONTROL_RE.sub(" ", str(value)).strip()


ADDRESS_RE = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+")


def clean_addresses(values: list[str] | str | None) -> list[str]:
    """Usable recipient addresses, from a list or a comma-separated string; an entry carrying
    control characters (a header injection attempt) or no valid address is dropped whole."""
    items = [part for v in ([values] if isinstance(values, str) else values or []) for part in str(v).split(",")]
    out = set()
    for item in items:
        addr = parseaddr(item)[1]
        if addr and ADDRESS_RE.fullmatch(addr) and header_text(item) == item.strip():
            out.add(item.strip())
    return sorted(out)


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    maintype: str = XLSX[0]
    subtype: str = XLSX[1]


def compose(sender: str, to: list[str], subject: str, text: str, html: str,
            attachments: Sequence[Attachment] = (), inline: Sequence[tuple[str, Attachment]] = ()) -> EmailMessage:
    """A multipart message: plain text, HTML alternative (with ``inline`` images, by Content-ID), attachments;
    headers built by ``email``."""
    msg = EmailMessage(policy=default)
    msg["From"] = header_text(sender)
    msg["To"] = ", ".join(header_text(a) for a in to)
    msg["Subject"] = header_text(subject)
    msg["Date"] = format_datetime(datetime.now(TIMEZONE))
    # not make_msgid: its random decimal part is sometimes 18 digits, which data-loss filters read as an ID number
    domain = parseaddr(header_text(sender))[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = f"<taizhang.{secrets.token_urlsafe(16)}@{domain}>"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    for cid, image in inline:  # the HTML shows it as <img src="cid:...">
        msg.get_payload()[-1].add_related(image.data, maintype=image.maintype, subtype=image.subtype,
                                          cid=f"<{cid}>", filename=header_text(image.filename))
    for a in attachments:
        msg.add_attachment(a.data, maintype=a.maintype, subtype=a.subtype, filename=header_text(a.filename))
    return msg


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    tls: str = "starttls"
    user: str | None = None
    password: str | None = None
    timeout: float = SMTP_TIMEOUT_SECONDS


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def smtp_settings(section: dict[str, Any]) -> SmtpSettings | None:
    """The TOML's ``[smtp]`` (secrets fill gaps; the password never comes from the TOML); None: outbox."""
    values = {**secret_section("smtp"), **{k: v for k, v in section.items() if k != "password"}}
    if not values.get("host"):
        return None
    tls = str(values.get("tls", "starttls")).lower()
    if tls not in TLS_MODES:
        raise MailConfigError(f"[smtp] tls 应为 {'、'.join(TLS_MODES)} 之一，实为“{tls}”")
    host = str(values["host"])
    if tls == "none" and not is_loopback(host):
        raise MailConfigError(f"[smtp] tls = \"none\" 只允许连接本机邮件服务器（localhost、127.0.0.1、::1），"
                              f"“{host}”不是本机：请改用 starttls 或 ssl")
    if not values.get("sender"):
        raise MailConfigError("[smtp] 缺少 sender（发件人地址，如 \"台账通 <taizhang@example.org>\"）")
    try:
        port, timeout = int(values.get("port") or DEFAULT_PORTS[tls]), float(values.get("timeout") or SMTP_TIMEOUT_SECONDS)
    except (TypeError, ValueError):
        raise MailConfigError("[smtp] port 和 timeout 应为数字") from None
    password = setting("TAIZHANG_SMTP_PASSWORD") or secret_section("smtp").get("password")
    return SmtpSettings(host, port, str(values["sender"]), tls, values.get("user") or None, password, timeout)


class Transport(Protocol):
    status: str  # what a delivery handed over becomes: sent | outbox

    def send(self, raw: bytes, label: str) -> None: ...

    def close(self) -> None: ...


def envelope(raw: bytes) -> tuple[str, list[str]]:
    """Envelope sender and recipients, read from a stored message's own headers."""
    headers = BytesParser(policy=default).parsebytes(raw, headersonly=True)
    to = [addr for _name, addr in getaddresses([str(h) for f in ("To", "Cc") for h in headers.get_all(f, [])]) if addr]
    return parseaddr(str(headers["From"]))[1], to


class SmtpTransport:
    status = "sent"

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._conn: smtplib.SMTP | None = None
        self._broken: str | None = None  # a server that refused us once is not dialled for every message

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()  # verifies the certificate and the host name
        if s.tls == "ssl":
            conn = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.tls == "starttls":
            conn.starttls(context=context)
        if s.user:
            conn.login(s.user, s.password or "")
        return conn

    def send(self, raw: bytes, label: str) -> None:
        if self._broken:
            raise SendFailed(self._broken)
        sender, to = envelope(raw)
        try:
            if self._conn is None:
                self._conn = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            self._broken = smtp_error(exc, self.settings)
            raise SendFailed(self._broken) from None
        try:
            self._conn.sendmail(sender, to, raw)
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SendFailed(smtp_error(exc, self.settings)) from None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.quit()
            except (OSError, smtplib.SMTPException):
                pass  # the server went away first: nothing left to close
            self._conn = None


def smtp_error(exc: BaseException, s: SmtpSettings) -> str:
    """What went wrong with the mail server, in words an administrator can act on."""
    where = f"{s.host}:{s.port}"
    if isinstance(exc, ConnectionRefusedError):
        return f"无法连接邮件服务器 {where}（连接被拒绝）：请确认服务器地址、端口和服务状态"
    if isinstance(exc, TimeoutError):
        return f"连接邮件服务器 {where} 超时（{s.timeout:g} 秒）"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"邮件服务器 {where} 的证书验证失败（{exc.verify_message}）"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"邮件服务器 {where} 不支持 STARTTLS：请改用 tls = \"ssl\" 或检查端口"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"邮件服务器 {where} 拒绝登录：请检查 [smtp] user 和 TAIZHANG_SMTP_PASSWORD"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # the server's own code tells a typo (550, permanent) from a busy server (451, retried)
        refused = "、".join(f"{to}（{code} {reply.decode(errors='replace')[:100]}）"
                           for to, (code, reply) in exc.recipients.items())
        return f"邮件服务器拒绝了收件人：{refused}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"邮件服务器 {where} 拒绝发送（{exc.smtp_code} {exc.smtp_error.decode(errors='replace')[:200]}）"
    return f"发送邮件失败（{type(exc).__name__}: {str(exc)[:200]}）"


class OutboxTransport:
    """Writes each message as an .eml file: mail is prepared even where none can be sent."""

    status = "outbox"

    def __init__(self, directory: Path | None = None):
        self.directory = directory or data_dir() / "outbox"

    def send(self, raw: bytes, label: str) -> None:
        try:
            # readable only by the owner: a message lists a street's issues (issue 14)
            write_private(self.directory / f"{datetime.now(TIMEZONE):%Y%m%d-%H%M%S}-{label}.eml", raw)
        except OSError as exc:
            raise SendFailed(f"无法写入发件箱 {self.directory}（{exc.strerror}）") from None

    def close(self) -> None:
        pass


def open_transport(section: dict[str, Any]) -> Transport:
    settings = smtp_settings(section)
    return SmtpTransport(settings) if settings else OutboxTransport()


def sender_of(section: dict[str, Any]) -> str:
    settings = smtp_settings(section)
    return settings.sender if settings else str(section.get("sender") or DEFAULT_SENDER)


def as_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=SMTP)  # CRLF line ends, as sent and as stored for a retry
