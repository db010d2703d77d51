"""The ``deliveries`` table: every message handed to SMTP, the outbox or a group robot, and its retries.

Each message is sent through the transport of its channel: ``None`` is e-mail (SMTP or the
outbox), a robot's name is that robot (jobs/channels/delivery.py). A robot's row keeps the JSON
body as composed, before signing: the next run signs it afresh.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import Engine, select, update

from jobs.mail import SendFailed, Transport, as_bytes
from sync.store.models import deliveries
from sync.store.models import now

MAX_ATTEMPTS = 5  # a report older than a few runs is outdated: retrying it forever helps nobody


@dataclass(frozen=True)
class Outgoing:
    kind: str  # street | digest
    source: str | None  # street reports: the street; the digest: None
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def channel(self) -> None:
        return None  # e-mail

    @property
    def raw(self) -> bytes:
        return as_bytes(self.message)


@dataclass(frozen=True)
class RobotOutgoing:
    """One message to a group robot: its unsigned body, without the phones it will @-mention."""

    kind: str  # street | digest
    source: str | None
    channel: str  # the robot's name
    to: str  # how the robot is named to people: 企业微信群机器人“…”
    subject: str
    body: dict[str, Any]

    @property
    def raw(self) -> bytes:
        return json.dumps(self.body, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Delivery:
    id: int
    kind: str
    source: str | None
    to: str
    subject: str
    status: str  # sent | failed | outbox
    error: str | None
    attempts: int
    channel: str | None = None


Transports = Mapping[str | None, Transport]  # channel (None: e-mail) -> how its messages go out


def _transport(transports: Transports, channel: str | None) -> Transport:
    transport = transports.get(channel)
    if transport is None:
        raise SendFailed(f"群机器人“{channel}”已删除或停用")
    return transport


def _attempt(transports: Transports, channel: str | None, raw: bytes, label: str) -> tuple[str, str | None]:
    try:
        transport = _transport(transports, channel)
        transport.send(raw, label)
    except SendFailed as exc:
        return "failed", str(exc)
    return transport.status, None


def _finish(engine: Engine, row_id: int, status: str, error: str | None, attempts: int) -> None:
    with engine.begin() as conn:
        conn.execute(update(deliveries).where(deliveries.c.id == row_id).values(
            status=status, error=error, attempts=attempts, sent_at=now() if status != "failed" else None))


def deliver(engine: Engine, transports: Transports, outgoing: list[Outgoing | RobotOutgoing]) -> list[Delivery]:
    """Hand every message over and record it; the row exists before the attempt, so a crash mid-send
    leaves a failed delivery that the next run retries."""
    done = []
    for item in outgoing:
        raw = item.raw
        with engine.begin() as conn:
            row_id = conn.execute(deliveries.insert().values(
                kind=item.kind, source=item.source, to=item.to, subject=item.subject, status="failed",
                error="发送中断", attempts=1, message=raw, channel=item.channel, created_at=now()
            ).returning(deliveries.c.id)).scalar_one()
        status, error = _attempt(transports, item.channel, raw, f"{row_id:06d}-{item.kind}")
        _finish(engine, row_id, status, error, 1)
        done.append(Delivery(row_id, item.kind, item.source, item.to, item.subject, status, error, 1, item.channel))
    return done


def pending_retries(engine: Engine) -> list[Delivery]:
    """Failed deliveries that the next run sends again."""
    query = (select(deliveries.c.id, deliveries.c.kind, deliveries.c.source, deliveries.c.to, deliveries.c.subject,
                    deliveries.c.status, deliveries.c.error, deliveries.c.attempts, deliveries.c.channel)
             .where(deliveries.c.status == "failed", deliveries.c.attempts < MAX_ATTEMPTS,
                    deliveries.c.message.is_not(None)).order_by(deliveries.c.id))
    with engine.connect() as conn:
        return [Delivery(**row._mapping) for row in conn.execute(query)]


def retry_failed(engine: Engine, transports: Transports) -> list[Delivery]:
    """Send each failed delivery's stored message again, exactly as it was composed."""
    done = []
    for d in pending_retries(engine):
        with engine.connect() as conn:
            raw = conn.execute(select(deliveries.c.message).where(deliveries.c.id == d.id)).scalar_one()
        status, error = _attempt(transports, d.channel, raw, f"{d.id:06d}-{d.kind}")
        _finish(engine, d.id, status, error, d.attempts + 1)
        done.append(Delivery(d.id, d.kind, d.source, d.to, d.subject, status, error, d.attempts + 1, d.channel))
    return done
