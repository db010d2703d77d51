"""What a source's fingerprint says: is its content the one whose results stand?

The fingerprint is the kind's (a file's content hash, Google's modifiedTime) plus the hash of
the source's configuration that changes a result. It is recorded after an ok run *and* after a
held one: "unchanged" means "the content whose results stand", so the same held content stays
held without being read, and anything else — the last good bytes put back, say — is read and
checked afresh (a held run's issues never outlive the fix). A change-time fingerprint is trusted
for ``recheck`` only: values arriving through IMPORTRANGE or add-ons never move modifiedTime.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from sync.registry import Source
from sync.sources.grid import Workbook
from sync.sources.kinds import kind_of
from sync.store.models import aware, now, sync_runs

STILL_HELD = "表格未变化，仍暂停："  # an unchanged run after a held one: still held, the issues still open


def config_hash(source: Source) -> str:
    """What, beyond the sheet's content, changes the result of a sync."""
    blob = json.dumps([source.sheets, sorted(source.communities or [])], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def known_content(source: Source, recheck: timedelta | None = None) -> str | None:
    """The kind's fingerprint of the content whose results stand, or None: read it."""
    if not (source.fingerprint and source.fingerprint.endswith("|" + config_hash(source))):
        return None
    if recheck and not kind_of(source).content_fingerprint and (
            source.read_at is None or now() - aware(source.read_at) >= recheck):
        return None
    return source.fingerprint.rsplit("|", 1)[0]


def known_values(source: Source, workbook: Workbook, when: datetime) -> dict[str, Any]:
    """The ``sources`` columns that record ``workbook`` as the content whose results now stand."""
    return {"fingerprint": f"{workbook.fingerprint}|{config_hash(source)}", "read_at": when, "last_checked_at": when}


def standing_hold(engine: Engine, source: Source) -> str | None:
    """The message of the source's last verdict on its content when that was "held", else None."""
    with engine.connect() as conn:
        last = conn.execute(select(sync_runs.c.status, sync_runs.c.message)
                            .where(sync_runs.c.source == source.name, sync_runs.c.status.in_(("ok", "held")))
                            .order_by(sync_runs.c.id.desc()).limit(1)).first()
    return last.message.removeprefix(STILL_HELD) if last is not None and last.status == "held" else None
