"""Login throttling: failures counted per user name and per client; a lock-out after too many.

Before (issue 14) 40 wrong passwords went through in 6.6 s, then the right one was accepted,
and nothing was logged. Counts live in the database (``login_failures``), so every app replica
and restart shares them. A locked name or client is refused before its password is even
checked, whether the name exists or not (the answer never tells which names exist).
Failures and lock-outs are logged, never with a password; a name that is no user's is not
logged either (it may be a password typed into the wrong field).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from sync.store.models import login_failures, now

log = logging.getLogger("taizhang.auth")
WINDOW = timedelta(minutes=15)  # failures further apart than this start a new count
LOCK = timedelta(minutes=15)
LIMITS = {"user": 5, "client": 20}  # failures within WINDOW that lock the name, the client


class LoginLocked(Exception):
    """Too many failures; the message is Chinese and says how long to wait."""


@dataclass(frozen=True)
class Attempt:
    username: str
    client: str  # an IP address, or "local"
    known: bool = False  # the name is a user's (only then is it logged)

    @property
    def keys(self) -> dict[str, str]:
        return {"user": f"user:{self.username.strip().lower()}"[:200], "client": f"client:{self.client}"[:200]}

    def who(self) -> str:
        return f"用户 {self.username.strip()}" if self.known else "不存在的用户名"


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def check_allowed(engine: Engine, attempt: Attempt) -> None:
    """Raise LoginLocked when the name or the client is locked out now."""
    with engine.connect() as conn:
        rows = {r.key: _aware(r.locked_until) for r in conn.execute(
            select(login_failures.c.key, login_failures.c.locked_until)
            .where(login_failures.c.key.in_(attempt.keys.values())))}
    moment = now()
    for kind, key in attempt.keys.items():
        until = rows.get(key)
        if until is not None and until > moment:
            minutes = max(1, -(-int((until - moment).total_seconds()) // 60))
            log.warning("登录被拒绝（已锁定）：%s，来自 %s", attempt.who(), attempt.client)
            raise LoginLocked(locked_message(kind, minutes))


def locked_message(kind: str, minutes: int) -> str:
    if kind == "user":
        return f"该账号登录失败次数过多，已暂时锁定：请 {minutes} 分钟后再试（忘记密码请联系管理员重设）"
    return f"此设备登录失败次数过多，已暂时禁止登录：请 {minutes} 分钟后再试"


def _count(conn: Connection, key: str, limit: int, moment: datetime) -> bool:
    """One more failure for ``key``; whether it locks it now."""
    row = conn.execute(select(login_failures).where(login_failures.c.key == key).with_for_update()).first()
    if row is None or _aware(row.first_at) < moment - WINDOW:
        failures, first_at = 1, moment
    else:
        failures, first_at = row.failures + 1, _aware(row.first_at)
    locked = failures >= limit
    values = {"failures": 0 if locked else failures, "first_at": first_at,
              "locked_until": moment + LOCK if locked else None}
    if row is None:
        conn.execute(login_failures.insert().values(key=key, **values))
    else:
        conn.execute(update(login_failures).where(login_failures.c.key == key).values(**values))
    return locked


def record_failure(engine: Engine, attempt: Attempt) -> str | None:
    """Count a failed login; returns what this failure locked ("user" or "client"), if anything."""
    moment = now()
    locked_now: list[str] = []
    for _try in range(2):  # two first failures of one key at once: the loser counts again as an update
        try:
            with engine.begin() as conn:
                conn.execute(delete(login_failures).where(  # forget what no longer counts
                    login_failures.c.first_at < moment - WINDOW - LOCK,
                    (login_failures.c.locked_until.is_(None)) | (login_failures.c.locked_until < moment)))
                locked_now = [kind for kind, key in attempt.keys.items() if _count(conn, key, LIMITS[kind], moment)]
            break
        except IntegrityError:
            continue
    log.warning("登录失败：%s，来自 %s", attempt.who(), attempt.client)
    for kind in locked_now:
        log.warning("登录失败次数过多，已锁定 %d 分钟：%s", LOCK.seconds // 60,
                    attempt.who() if kind == "user" else f"来自 {attempt.client} 的登录")
    return locked_now[0] if locked_now else None


def clear_user(engine: Engine, username: str) -> None:
    """A good login or a password reset by an admin: the name's count starts again."""
    with engine.begin() as conn:
        conn.execute(delete(login_failures).where(
            login_failures.c.key == Attempt(username, "").keys["user"]))
