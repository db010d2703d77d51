"""The mirror writer: validated sheets -> one source's rows in SQL, changed rows only.

``plan_source`` compares what the sheets hold now with what the mirror holds (by key and
row hash) and decides inserts, updates, soft deletes and stale marks, without writing.
``apply_plan`` writes a plan inside the caller's transaction. Nothing else writes the
data columns: the diff trusts the stored row hash.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import repeat
from operator import itemgetter
from typing import Any

import pandas as pd
from sqlalchemy import Connection, bindparam, select

from schemas import DATASETS, ERROR
from sync.store.crypto import Vault
from sync.store.db import bulk_insert
from sync.store.models import DATA_TABLES, row_history
from sync.check.privacy import free_text_fields, mask, mask_text, mask_texts
from sync.check.validate import SheetResult

TEXT_KINDS = frozenset({"text", "name", "id", "phone", "enum"})  # held as str in the frame
CHUNK = 500  # ids per IN (...) list: well under every database's parameter limit


@dataclass
class Incoming:
    """One dataset of one source as the sheets hold it now."""

    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> mirror row values
    invalid_keys: set[str] = field(default_factory=set)  # keys whose sheet row has errors now
    rows_read: int = 0
    blocked: list[str] = field(default_factory=list)  # sheets with sheet-level errors
    unkeyed: set[str] = field(default_factory=set)  # sheets with a row whose key can't be read: none of theirs is "gone"


@dataclass
class Plan:
    dataset: str
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)  # with "_id"
    deletes: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    active_before: int = 0
    rows_read: int = 0
    blocked: list[str] = field(default_factory=list)
    moved_keys: set[str] = field(default_factory=set)  # keys that enter or leave the live rows (inserts, deletes, restores)


def key_column(dataset: str) -> str:
    d = DATASETS[dataset]
    return f"{d.key}_hash" if d.fields[d.key].kind == "id" else d.key


def _python(series: pd.Series, kind: str) -> list[Any]:
    """A frame column as Python values (dates as ``date``, missing as None), by numpy: a quarter of
    the time of pandas' ``astype(object).where(...)`` on the nullable and Arrow-backed dtypes."""
    if kind == "date":
        out = series.to_numpy().astype("datetime64[D]").astype(object).tolist()
        for pos in series.isna().to_numpy().nonzero()[0]:
            out[pos] = None
        return out
    return series.to_numpy(dtype=object, na_value=None).tolist()


def _canonical(value: Any) -> str:
    if value is None:
        return "\x00"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return repr(value) if isinstance(value, float) else str(value)


def _canonical_column(values: list[Any], kind: str) -> list[str]:
    """``_canonical`` of each value of one column; a text column (str or None) at list speed."""
    if kind in TEXT_KINDS:
        return ["\x00" if v is None else v for v in values]
    if kind != "date":  # numbers: no memo, 0.0 == -0.0 but their texts differ
        return list(map(_canonical, values))
    done: dict[Any, str] = {}  # dates repeat down a column: format each once
    return [done[v] if v in done else done.setdefault(v, _canonical(v)) for v in values]


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def collect(results: list[SheetResult], vault: Vault) -> dict[str, Incoming]:
    """Valid rows of every sheet, per dataset, keyed (``check_source`` has made every key unique)."""
    incoming = {name: Incoming() for name in DATASETS}
    for result in results:
        if result.dataset is None or result.frame is None:
            continue
        d, target = DATASETS[result.dataset], incoming[result.dataset]
        frame = result.frame
        target.rows_read += len(frame)
        if any(i.severity == ERROR and i.row is None for i in result.issues):
            target.blocked.append(result.sheet)
            continue
        values = {name: _python(frame[name], meta.kind) for name, meta in d.fields.items()}
        for name in free_text_fields(d):  # an ID or a phone typed into 姓名 or 备注 is not stored in full
            values[name] = mask_texts(values[name])
        id_field = d.id_field
        if id_field:
            values[f"{id_field}_hash"] = [vault.lookup_hash(v) if v else None for v in values[id_field]]
        keys = values[key_column(d.name)]
        valid, rows = frame["valid"].tolist(), frame["sheet_row"].tolist()
        if _has_unreadable_key(result, keys):
            target.unkeyed.add(result.sheet)
        warned = [bool(w) for w in frame["warned"].tolist()]
        plain_fields = [n for n in d.fields if n != id_field]
        hash_fields = ([f"{id_field}_hash"] if id_field else []) + plain_fields
        # every row's hash at once, over one canonical text form of [hash fields..., sheet,
        # warned] (so a reader's dtype never makes a row look changed), column by column
        texts = [_canonical_column(values[n], d.fields[n].kind if n in d.fields else "id") for n in hash_fields]
        hashes = map(_digest, map("\x1f".join, zip(*texts, repeat(result.sheet), map(str, warned))))
        for pos, (key, cells, digest) in enumerate(zip(keys, zip(*(values[n] for n in hash_fields)), hashes)):
            if key is None:
                continue
            if not valid[pos]:
                target.invalid_keys.add(key)
                continue
            record = dict(zip(hash_fields, cells))
            record.update(sheet=result.sheet, sheet_row=rows[pos], warned=warned[pos], row_hash=digest)
            if id_field:
                plain = values[id_field][pos]
                record[f"{id_field}_plain"] = plain
                record[f"{id_field}_masked"] = mask(plain, "id")
            target.records[key] = record
    return incoming


def _has_unreadable_key(result: SheetResult, keys: list[Any]) -> bool:
    """A row without a key, or with an error on its key cell (a typo, an ID stored as a number): its
    person can't be matched to the mirror, so no row of the sheet can be told apart from it as gone."""
    key = DATASETS[result.dataset].key
    return any(k is None for k in keys) or any(
        i.severity == ERROR and i.field == key and i.row is not None and i.check != f"{key}_unique"
        for i in result.issues)


def plan_dataset(conn: Connection, source: str, dataset: str, now_in: Incoming) -> Plan:
    table, key = DATA_TABLES[dataset], key_column(dataset)
    plan = Plan(dataset, rows_read=now_in.rows_read, blocked=now_in.blocked)
    existing = conn.execute(select(table.c.id, table.c[key], table.c.row_hash, table.c.deleted_at, table.c.stale,
                                   table.c.sheet).where(table.c.source == source)).all()
    plan.active_before = sum(1 for row in existing if row.deleted_at is None)
    if now_in.blocked:
        return plan  # a sheet we can't read properly changes nothing of its dataset
    seen: set[str] = set()
    for row_id, row_key, stored_hash, deleted_at, stale, sheet in existing:
        seen.add(row_key)
        record = now_in.records.get(row_key)
        if record is not None:
            if record["row_hash"] != stored_hash or deleted_at is not None or stale:
                plan.updates.append({**record, "_id": row_id, "_restore": deleted_at is not None})
                if deleted_at is not None:
                    plan.moved_keys.add(row_key)
        elif row_key in now_in.invalid_keys or sheet in now_in.unkeyed:
            # turned invalid, or maybe the row whose key can't be read now: its last good version stays
            if deleted_at is None and not stale:
                plan.stale.append(row_id)
        elif deleted_at is None:
            plan.deletes.append(row_id)
            plan.moved_keys.add(row_key)
    plan.inserts = [r for k, r in now_in.records.items() if k not in seen]
    plan.moved_keys.update(k for k, r in now_in.records.items() if k not in seen)
    return plan


def _chunks(ids: list[int]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _history_value(dataset: str, name: str, value: Any) -> str | None:
    meta = DATASETS[dataset].fields.get(name)
    if value is None:
        return None
    text = _canonical(value)
    return mask(text, meta.kind) if meta is not None and meta.personal else mask_text(text)


def apply_plan(conn: Connection, source: str, plan: Plan, vault: Vault, run_id: int, now: datetime) -> None:
    """Write one dataset's plan inside the caller's transaction."""
    table, d = DATA_TABLES[plan.dataset], DATASETS[plan.dataset]
    id_field = d.id_field
    data_columns = [c.name for c in table.columns if c.name not in
                    ("id", "source", "first_seen_at", "updated_at", "deleted_at", "stale")]
    if id_field:
        data_columns.remove(f"{id_field}_enc")
    history: list[dict[str, Any]] = []
    if plan.inserts:
        values = itemgetter(*data_columns)
        fixed = (source, now, now, None, False)
        if id_field:
            plain = itemgetter(f"{id_field}_plain")
            rows = [(*values(r), *fixed, vault.encrypt(plain(r))) for r in plan.inserts]
        else:
            rows = [(*values(r), *fixed) for r in plan.inserts]
        bulk_insert(conn, table, [*data_columns, "source", "first_seen_at", "updated_at", "deleted_at", "stale",
                                  *([f"{id_field}_enc"] if id_field else [])], rows)
    if plan.updates:
        compare = [c for c in d.fields if c != id_field]
        old = {}
        for ids in _chunks([u["_id"] for u in plan.updates]):
            for row in conn.execute(select(table.c.id, *(table.c[c] for c in compare)).where(table.c.id.in_(ids))):
                old[row.id] = row._mapping
        for u in plan.updates:
            before = old[u["_id"]]
            if u["_restore"]:
                history.append({"row_id": u["_id"], "change": "restore", "field": None, "old": None, "new": None})
            for c in compare:
                if before[c] != u[c]:
                    history.append({"row_id": u["_id"], "change": "update", "field": c,
                                    "old": _history_value(plan.dataset, c, before[c]),
                                    "new": _history_value(plan.dataset, c, u[c])})
        changing = [c for c in data_columns if c != key_column(plan.dataset)]
        statement = table.update().where(table.c.id == bindparam("_id")).values(
            {c: bindparam(c) for c in changing} | {"updated_at": now, "deleted_at": None, "stale": False})
        conn.execute(statement, [{c: u[c] for c in changing} | {"_id": u["_id"]} for u in plan.updates])
    for ids, values, change in ((plan.deletes, {"deleted_at": now}, "delete"),
                                (plan.stale, {"stale": True}, "stale")):
        for chunk in _chunks(ids):
            conn.execute(table.update().where(table.c.id.in_(chunk)).values(updated_at=now, **values))
        history += [{"row_id": i, "change": change, "field": None, "old": None, "new": None} for i in ids]
    if history:
        fields = ("row_id", "change", "field", "old", "new")
        bulk_insert(conn, row_history, [*fields, "run_id", "dataset", "source", "changed_at"],
                    [(*itemgetter(*fields)(h), run_id, plan.dataset, source, now) for h in history])
