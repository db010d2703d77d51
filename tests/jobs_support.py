"""Set-up for the jobs tests: a street's register synced into a real mirror, a real SMTP server
(aiosmtpd on 127.0.0.1), and the parsing of what arrived."""

from __future__ import annotations

import io
import ipaddress
import re
import socket
import ssl
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sync.service import Mirror, open_mirror, sync_sources
from tests.validation_cases import person_id, wrong_check
from tests.registers import roster_row, toml_value, wish_row, write_config, write_register

BAD_CHECK_ID = wrong_check(person_id(20, born="19850307"))
LONG_WISH = "需要有人每周帮忙买菜，联系我儿子13912345678。" + "请" * 200
PERSONAL = [person_id(n, born="19850307", male=n % 2 == 1) for n in range(1, 8)] + [BAD_CHECK_ID, "13912345678"] + \
    [f"138{n:08d}" for n in range(1, 8)]
FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9X](?![0-9])")
FULL_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def messy_register(path: Path) -> Path:
    """Five good members, a bad phone (D8), a bad ID check digit (B9); a wish too long (D3, with a
    phone inside) and one claimed by nobody on the roster (G4, a warning)."""
    return write_register(path, [roster_row(n) for n in range(1, 6)]
                          + [roster_row(6, 联系电话="1381234567"), roster_row(7, 身份证号=BAD_CHECK_ID)],
                          [wish_row(1, 心愿内容=LONG_WISH), wish_row(2, 认领人="王五")])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every envelope it is given."""

    def __init__(self):
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [message_from_bytes(e.original_content or e.content, policy=default) for e in self.envelopes]


class RefusingInbox(Inbox):
    """A server that answers every RCPT TO with ``reply`` (e.g. 550 or 451) until told to accept."""

    def __init__(self, reply: str):
        super().__init__()
        self.reply = reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reply:
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"


@contextmanager
def smtp_server(port: int | None = None, handler: Inbox | None = None, **smtp: Any) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1; ``smtp`` goes to aiosmtpd's SMTP (e.g. ``tls_context``)."""
    inbox = handler or Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port(), **smtp)
    controller.start()
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()


def self_signed_context(tmp_path: Path) -> ssl.SSLContext:
    """A server TLS context whose certificate no client trusts (self-signed, for 127.0.0.1)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    return context


def attachment(msg: EmailMessage) -> tuple[str, bytes]:
    part = next(msg.iter_attachments())
    return part.get_filename(), part.get_content()


def everything_readable(raw: bytes) -> str:
    """The raw message plus every decoded part, plus the XML inside attached workbooks."""
    msg = message_from_bytes(raw, policy=default)
    text = raw.decode("ascii", errors="replace")
    for part in msg.walk():  # MIME boundaries are random digits of the email library's own making
        text = text.replace(part.get_boundary() or "\0", "")
    texts = [text]
    for part in msg.walk():
        if part.is_multipart():
            continue
        content = part.get_content()
        if part.get_content_type() == "image/png":
            continue  # the digest's chart: pixels, no text
        if isinstance(content, bytes):
            with zipfile.ZipFile(io.BytesIO(content)) as z:
                texts += [z.read(n).decode("utf-8", errors="replace") for n in z.namelist()]
        else:
            texts.append(content)
    return "\n".join(texts)


@dataclass
class Street:
    """One street office: its workbook, a config naming it, and the mirror they make."""

    tmp: Path
    db_url: str
    book: Path
    config: Path
    source: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # [reports], [smtp], [app]
    channels: list[dict[str, Any]] = field(default_factory=list)  # [[channels]]
    mirrors: list[Mirror] = field(default_factory=list)

    def configure(self, smtp: dict[str, Any] | None = None, reports: dict[str, Any] | None = None,
                  app: dict[str, Any] | None = None, channels: list[dict[str, Any]] | None = None,
                  **source: Any) -> None:
        """Rewrite the config: the given tables replace their predecessors, source keys are merged."""
        self.source.update(source)
        self.tables.update({k: v for k, v in (("reports", reports), ("smtp", smtp), ("app", app)) if v is not None})
        self.channels = self.channels if channels is None else channels
        extra = "".join(f"\n[{name}]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in table.items())
                        for name, table in self.tables.items() if table)
        extra += "".join("\n[[channels]]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in c.items())
                         for c in self.channels)
        write_config(self.config, self.db_url, [self.source], extra)

    def mirror(self) -> Mirror:
        self.mirrors.append(open_mirror(str(self.config)))
        return self.mirrors[-1]

    def sync(self):
        return sync_sources(self.mirror(), force=True)[0]

    def send(self, names: list[str] | None = None, **policy: Any):
        from jobs.channels.delivery import RobotPolicy
        from jobs.reports import send_reports
        return send_reports(self.mirror(), names, RobotPolicy(**policy))

    def close(self) -> None:
        for m in self.mirrors:
            m.engine.dispose()


def make_street(tmp_path: Path, db_url: str, **source: Any) -> Street:
    book = messy_register(tmp_path / "shangzhan.xlsx")
    street = Street(tmp_path, db_url, book, tmp_path / "taizhang.toml",
                    {"name": "shangzhan", "street": "上站街道", "district": "城区", "kind": "excel",
                     "path": str(book), "recipients": ["staff@shangzhan.example.org"]})
    street.configure(reports={"supervisors": ["boss@city.example.org"]}, **source)
    return street
