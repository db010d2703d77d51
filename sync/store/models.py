"""The SQL mirror's tables (SQLAlchemy Core). Alembic migrations create and evolve them.

Data tables hold one column per canonical field (schemas/), plus the bookkeeping every
mirror row carries. Roster ID numbers never appear in plain text: an encrypted value,
a keyed lookup hash for matching, and the masked form for display.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (JSON, Boolean, Column, Date, DateTime, Float, Index, Integer, LargeBinary, MetaData,
                        String, Table, Text, UniqueConstraint, false, true)


def now() -> datetime:
    """The time every timestamp of the mirror is written in (UTC; pages and reports show Beijing time)."""
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


# ``metadata``, ``roster``, ``wishes``, ``posts`` and ``DATA_TABLES`` are built on first use
# (see __getattr__ below): the data tables come from the schemas, which import pandera and
# pandas (about a second), and a sync that finds every source unchanged never needs them.
_metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
})


def _ts(name: str, **kw) -> Column:
    return Column(name, DateTime(timezone=True), **kw)


sources = Table(
    "sources", _metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("street", String(100), nullable=False),
    Column("district", String(100), nullable=False, server_default=""),
    Column("kind", String(20), nullable=False),  # excel | csv | gsheet | upload
    Column("path", Text),  # file sources; upload: the current version's file, relative to the data folder
    Column("spreadsheet", Text),  # gsheet: key or URL
    Column("credentials", Text),  # gsheet: key-file path (the key JSON itself stays in secrets)
    Column("api_endpoint", Text),
    Column("sheets", JSON),  # worksheet title -> dataset; NULL: detect by headers
    Column("communities", JSON),  # the street's communities, when configured
    Column("schedule", String(100)),  # cron, Asia/Shanghai
    Column("recipients", JSON),
    Column("notify_on", String(20), nullable=False, server_default="issues"),  # always | issues | changes
    Column("writeback", Boolean, nullable=False, server_default=false()),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("declared", Boolean, nullable=False, server_default=false()),  # provisioned from the TOML file
    _ts("retired_at"),  # a declared source gone from the TOML: disabled, its rows kept but out of the dashboards
    Column("fingerprint", Text),  # of the source content last read whose results stand (synced ok, or held)
    _ts("read_at"),  # when that content was read (Google: a periodic forced read catches what modifiedTime missed)
    _ts("last_checked_at"),
    _ts("last_ok_at"),
    _ts("created_at"),
    _ts("updated_at"),
)

BOOKKEEPING = ("id", "source", "sheet", "sheet_row", "row_hash", "warned", "stale",
               "first_seen_at", "updated_at", "deleted_at")

_COLUMN_TYPES = {"date": Date, "int": Integer, "number": Float}


def _data_table(d: Any) -> Table:
    columns: list[Column] = [
        Column("id", Integer, primary_key=True),
        Column("source", String(100), nullable=False),
        Column("sheet", String(200), nullable=False),
        Column("sheet_row", Integer, nullable=False),
        Column("row_hash", String(64), nullable=False),
        Column("warned", Boolean, nullable=False, server_default=false()),  # has warnings, let in flagged
        Column("stale", Boolean, nullable=False, server_default=false()),  # sheet row now invalid: last good kept
        _ts("first_seen_at", nullable=False),
        _ts("updated_at", nullable=False),
        _ts("deleted_at"),  # NULL while the row is in the sheet
    ]
    for name, meta in d.fields.items():
        if meta.kind == "id":
            columns += [Column(f"{name}_enc", Text, nullable=False),
                        Column(f"{name}_hash", String(64), nullable=False, index=True),  # same person elsewhere
                        Column(f"{name}_masked", String(32), nullable=False)]
        else:
            columns.append(Column(name, _COLUMN_TYPES.get(meta.kind, Text)))
    key = f"{d.key}_hash" if d.fields[d.key].kind == "id" else d.key
    table = Table(d.name, _metadata, *columns, UniqueConstraint("source", key))
    Index(None, table.c.source, table.c.deleted_at)
    Index(None, table.c.community)
    return table


_built: dict[str, Table] = {}
_building = threading.Lock()  # the app's threads may all ask first at once


def _data_tables() -> dict[str, Table]:
    with _building:
        if not _built:
            from schemas import DATASETS
            tables = {name: _data_table(d) for name, d in DATASETS.items()}
            roster, wishes = tables["roster"], tables["wishes"]
            Index(None, roster.c.registered_on)
            Index(None, wishes.c.status)
            # covering indexes for the dashboards' aggregates over live rows (migration 0002)
            Index("ix_roster_live", roster.c.deleted_at, roster.c.source, roster.c.community, roster.c.registered_on)
            Index("ix_wishes_live", wishes.c.deleted_at, wishes.c.source, wishes.c.community, wishes.c.status,
                  wishes.c.raised_on, wishes.c.claimed_on, wishes.c.completed_on)
            _built.update(tables)
    return _built


def __getattr__(name: str) -> Any:
    if name in ("roster", "wishes", "posts"):
        return _data_tables()[name]
    if name == "DATA_TABLES":
        return _data_tables()
    if name == "metadata":  # every table, for Alembic
        _data_tables()
        return _metadata
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


sync_runs = Table(
    "sync_runs", _metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(100), nullable=False, index=True),
    Column("status", String(20), nullable=False),  # ok | unchanged | held | failed | running
    _ts("started_at", nullable=False),
    _ts("finished_at"),
    Column("trigger", String(20), nullable=False, server_default="cli"),  # cli | app | schedule | recheck
    Column("pid", Integer),
    Column("rows_read", Integer, nullable=False, server_default="0"),
    Column("inserted", Integer, nullable=False, server_default="0"),
    Column("updated", Integer, nullable=False, server_default="0"),
    Column("deleted", Integer, nullable=False, server_default="0"),
    Column("errors", Integer, nullable=False, server_default="0"),
    Column("warnings", Integer, nullable=False, server_default="0"),
    Column("message", Text),
)

issues = Table(
    "issues", _metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(100), nullable=False, index=True),
    Column("run_id", Integer),
    Column("dataset", String(20)),
    Column("severity", String(10), nullable=False),
    Column("sheet", String(200), nullable=False),
    Column("row", Integer),
    Column("cell", String(20)),
    Column("column", Text),
    Column("field", String(50)),
    Column("value", Text),  # personal data masked
    Column("check", String(80), nullable=False),
    Column("message", Text, nullable=False),
)

row_history = Table(
    "row_history", _metadata,
    Column("id", Integer, primary_key=True),
    Column("run_id", Integer, nullable=False, index=True),
    Column("dataset", String(20), nullable=False),
    Column("source", String(100), nullable=False),
    Column("row_id", Integer, nullable=False, index=True),
    Column("change", String(10), nullable=False),  # insert | update | delete | restore | stale
    Column("field", String(50)),
    Column("old", Text),  # personal data masked
    Column("new", Text),
    _ts("changed_at", nullable=False),
)

sheets = Table(
    "sheets", _metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(100), nullable=False),
    Column("sheet", String(200), nullable=False),
    Column("dataset", String(20)),
    Column("content_hash", String(64)),
    Column("rows", Integer, nullable=False, server_default="0"),
    Column("valid_rows", Integer, nullable=False, server_default="0"),
    _ts("changed_at"),  # when its content last changed
    _ts("synced_at"),  # when it was last read in a sync that finished
    UniqueConstraint("source", "sheet"),
)

users = Table(
    "users", _metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, unique=True),
    Column("display_name", String(100)),
    Column("password_hash", Text, nullable=False),  # argon2
    Column("role", String(20), nullable=False),  # admin | supervisor | staff
    Column("streets", JSON),  # staff: the streets they may see
    Column("email", Text),
    Column("active", Boolean, nullable=False, server_default=true()),
    _ts("created_at"),
    _ts("last_login_at"),
)

deliveries = Table(
    "deliveries", _metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(20), nullable=False),  # street | digest
    Column("source", String(100)),
    Column("to", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("status", String(20), nullable=False),  # sent | failed | outbox
    Column("error", Text),
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("message", LargeBinary),  # the whole RFC 5322 message (a robot's: its JSON body), to retry as it was
    Column("channel", String(100)),  # the group robot's name; NULL: e-mail
    _ts("created_at", nullable=False),
    _ts("sent_at"),
)

channels = Table(
    "channels", _metadata,  # group robots (WeCom, DingTalk, Feishu): provisioned from TOML, edited in the app
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("kind", String(20), nullable=False),  # wecom | dingtalk | feishu
    Column("webhook", Text, nullable=False),  # "env:NAME", or the URL encrypted (Fernet): a secret
    Column("secret", Text),  # the signing secret, the same way; NULL: unsigned robot
    Column("streets", JSON),  # the streets whose report goes to this robot
    Column("digest", Boolean, nullable=False, server_default=false()),  # the city digest too
    Column("mobiles", Text),  # phones to @, a JSON list encrypted (personal data)
    Column("enabled", Boolean, nullable=False, server_default=true()),
    _ts("created_at"),
    _ts("updated_at"),
)

leases = Table(
    "leases", _metadata,  # leader lock for schedulers on databases without advisory locks
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    _ts("expires_at", nullable=False),
)

meta = Table(
    "meta", _metadata,  # facts about the mirror itself, e.g. the key check value (sync.store.keys)
    Column("name", String(50), primary_key=True),
    Column("value", Text, nullable=False),
    _ts("updated_at"),
)

login_failures = Table(
    "login_failures", _metadata,  # sync.store.throttle: failed logins per user name and per client
    Column("key", String(200), primary_key=True),  # "user:<name>" or "client:<address>"
    Column("failures", Integer, nullable=False, server_default="0"),
    _ts("first_at", nullable=False),  # when the current count began
    _ts("locked_until"),
)

SUMMARY_COUNTS = ("members", "wishes", "claimed", "completed", "posts", "staffed", "vacant", "revoked", "activities")
summary = Table(
    "summary", _metadata,  # the dashboards' counts and sums, kept by sync/store/summary.py in each sync's transaction
    Column("id", Integer, primary_key=True),
    Column("source", String(100), nullable=False, index=True),
    Column("community", Text),
    # a month row: post_type NULL, month = first day of 报到日期 / 登记日期 / 设岗日期 (NULL: posts without one);
    # a post-type row: post_type set, month NULL (posts by type are not counted per month)
    Column("month", Date),
    Column("post_type", String(20)),
    *(Column(name, Integer, nullable=False, server_default="0") for name in SUMMARY_COUNTS),
    Column("service_hours", Float, nullable=False, server_default="0"),
)

google_quota = Table(
    "google_quota", _metadata,  # Google request pacing shared by every worker (jobs.google_quota)
    Column("bucket", String(300), primary_key=True),  # service account | API | read or write
    _ts("next_at", nullable=False),  # the earliest moment the next request of this bucket may start
)

source_versions = Table(
    "source_versions", _metadata,  # every workbook handed in to an upload source (the app's 提交台账)
    Column("id", Integer, primary_key=True),
    Column("source", String(100), nullable=False, index=True),
    Column("file", Text, nullable=False),  # under the data folder, named by content: never the user's name
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("filename", Text, nullable=False),  # the user's file name, shown only
    Column("uploaded_by", String(100)),
    _ts("uploaded_at", nullable=False),
    Column("run_id", Integer),  # the sync that read it when it was handed in or made current
    Column("status", String(20)),  # that run's outcome: ok | unchanged | held | failed
    Column("rows_read", Integer, nullable=False, server_default="0"),
    Column("errors", Integer, nullable=False, server_default="0"),
    Column("warnings", Integer, nullable=False, server_default="0"),
    Column("message", Text),
)

user_sessions = Table(
    "user_sessions", _metadata,  # browser sign-ins that survive a reload (an HttpOnly cookie holds the token)
    Column("id", Integer, primary_key=True),
    Column("username", String(100), nullable=False, index=True),
    Column("ticket_hash", String(64), unique=True),  # one-time, exchanged by the browser for the cookie
    Column("token_hash", String(64), unique=True),  # the cookie's token, stored only as its SHA-256
    _ts("created_at", nullable=False),
    _ts("expires_at", nullable=False),
)
