"""Browser sign-ins that survive a reload: a random token in an HttpOnly cookie, stored here only as
its SHA-256, ending when it expires, when the user signs out, or when the password is reset or the
account disabled.

A token never passes through page JavaScript: signing in makes a one-time *ticket* (valid for
``TICKET_SECONDS``), the browser posts it to the app's ``/auth/session`` route, and that route's
response sets the cookie with a token made there (``redeem_ticket``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select, update

from sync.store.models import user_sessions

TICKET_SECONDS = 120
COOKIE = "taizhang_session"  # the HttpOnly cookie app.py sets
COOKIE_HEADER = "X-Taizhang"  # app.py's routes answer only requests carrying it (no cross-site form can)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite gives naive UTC back


def start_session(engine: Engine, username: str, minutes: float) -> tuple[int, str]:
    """A new session for ``username`` lasting ``minutes``: its id and the one-time ticket for the cookie."""
    ticket, now = secrets.token_urlsafe(32), datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(delete(user_sessions).where(user_sessions.c.expires_at < now))
        session_id = conn.execute(user_sessions.insert().values(
            username=username, ticket_hash=_digest(ticket), created_at=now,
            expires_at=now + timedelta(minutes=minutes)).returning(user_sessions.c.id)).scalar_one()
    return session_id, ticket


def redeem_ticket(engine: Engine, ticket: str) -> tuple[str, int] | None:
    """The cookie's token and its max-age in seconds for a fresh ticket, once; None otherwise."""
    if not ticket:
        return None
    token, now = secrets.token_urlsafe(32), datetime.now(UTC)
    with engine.begin() as conn:
        row = conn.execute(select(user_sessions.c.id, user_sessions.c.created_at, user_sessions.c.expires_at)
                           .where(user_sessions.c.ticket_hash == _digest(ticket))).first()
        if row is None or now - _aware(row.created_at) > timedelta(seconds=TICKET_SECONDS):
            return None
        taken = conn.execute(update(user_sessions).where(user_sessions.c.id == row.id,
                                                          user_sessions.c.ticket_hash == _digest(ticket))
                             .values(ticket_hash=None, token_hash=_digest(token))).rowcount
    seconds = int((_aware(row.expires_at) - now).total_seconds())
    return (token, seconds) if taken == 1 and seconds > 0 else None


def session_of(engine: Engine, token: str | None) -> tuple[int, str, datetime] | None:
    """(session id, username, signed in at) for a live cookie token; None when unknown or expired."""
    if not token:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(user_sessions).where(user_sessions.c.token_hash == _digest(token))).first()
    if row is None or _aware(row.expires_at) <= datetime.now(UTC):
        return None
    return row.id, row.username, _aware(row.created_at)


def end_session(engine: Engine, session_id: int | None = None, token: str | None = None) -> None:
    """Sign one session out, by its id or its cookie token."""
    condition = (user_sessions.c.id == session_id) if session_id is not None else \
        (user_sessions.c.token_hash == _digest(token or ""))
    with engine.begin() as conn:
        conn.execute(delete(user_sessions).where(condition))


def end_user_sessions(engine: Engine, username: str) -> None:
    """Sign a user out everywhere (a password reset, a disabled account)."""
    with engine.begin() as conn:
        conn.execute(delete(user_sessions).where(user_sessions.c.username == username))
