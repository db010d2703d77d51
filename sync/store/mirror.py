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
class Collected:
    """What ``collect`` worked out of one sheet's rows, kept on its result: a re-check of the same
    results in the same run (only the mirror's rule, so only ``warned``, may differ) takes each
    row's key, and its row hash where the row's warned flag is the one it was hashed with."""

    keys: list[Any]
    warned: list[bool]
    digests: list[str]


@dataclass
class _Sheet:
    """A sheet's rows for the mirror: its result, and its columns as Python values once built."""

    result: SheetResult
    values: dict[str, list[Any]] | None = None
    index: dict[int, int] | None = None  # frame position -> position in ``values``; None: every row
    digests: list[str] = field(default_factory=list)  # every row's hash now


@dataclass
class Incoming:
    """One dataset of one source as the sheets hold it now.

    Every valid row's key and row hash; the mirror rows themselves (``records``) are built when
    asked for: a re-sync that writes 1% of the rows builds 1% of them.
    """

    digests: dict[str, str] = field(default_factory=dict)  # key -> row hash of its valid row
    invalid_keys: set[str] = field(default_factory=set)  # keys whose sheet row has errors now
    rows_read: int = 0
    blocked: list[str] = field(default_factory=list)  # sheets with sheet-level errors
    unkeyed: set[str] = field(default_factory=set)  # sheets with a row whose key can't be read: none of theirs is "gone"
    vault: Vault | None = None
    places: dict[str, tuple[_Sheet, int]] = field(default_factory=dict)  # key -> its sheet and frame position

    def records(self, keys: list[str]) -> list[dict[str, Any]]:
        """The mirror rows of these keys (in this order), built sheet by sheet, column by column."""
        groups: dict[int, tuple[_Sheet, list[int], list[int]]] = {}  # sheet -> (frame positions, slots in keys)
        for slot, key in enumerate(keys):
            sheet, pos = self.places[key]
            group = groups.get(id(sheet))
            if group is None:
                group = groups[id(sheet)] = (sheet, [], [])
            group[1].append(pos)
            group[2].append(slot)
        out: list[Any] = [None] * len(keys)
        for sheet, positions, slots in groups.values():
            result = sheet.result
            if sheet.values is not None and sheet.index is None:
                values, at = sheet.values, positions
            elif sheet.index is not None and all(p in sheet.index for p in positions):
                values, at = sheet.values, [sheet.index[p] for p in positions]
            else:  # a re-check: only these rows' values
                values, at = _columns(result.dataset, result.frame.iloc[positions], self.vault), range(len(positions))
            for slot, record in zip(slots, _records(sheet, values, positions, at)):
                out[slot] = record
        return out

    def all_records(self) -> dict[str, dict[str, Any]]:
        keys = list(self.digests)
        return dict(zip(keys, self.records(keys)))


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


def _columns(dataset: str, frame: pd.DataFrame, vault: Vault) -> dict[str, list[Any]]:
    """A frame's fields as the mirror stores them: Python values, free text masked, the ID's lookup hash."""
    d = DATASETS[dataset]
    values = {name: _python(frame[name], meta.kind) for name, meta in d.fields.items()}
    for name in free_text_fields(d):  # an ID or a phone typed into 姓名 or 备注 is not stored in full
        values[name] = mask_texts(values[name])
    if d.id_field:
        values[f"{d.id_field}_hash"] = [vault.lookup_hash(v) if v else None for v in values[d.id_field]]
    return values


def _hash_fields(dataset: str) -> list[str]:
    d = DATASETS[dataset]
    return ([f"{d.id_field}_hash"] if d.id_field else []) + [n for n in d.fields if n != d.id_field]


def _digests(dataset: str, values: dict[str, list[Any]], sheet: str, warned: list[bool]) -> list[str]:
    """Every row's hash at once, over one canonical text form of [hash fields..., sheet, warned]
    (so a reader's dtype never makes a row look changed), column by column."""
    fields = DATASETS[dataset].fields
    texts = [_canonical_column(values[n], fields[n].kind if n in fields else "id") for n in _hash_fields(dataset)]
    return list(map(_digest, map("\x1f".join, zip(*texts, repeat(sheet), map(str, warned)))))


def _records(sheet: _Sheet, values: dict[str, list[Any]], positions: list[int], at) -> list[dict[str, Any]]:
    """The mirror rows of the frame's rows ``positions``, whose values are at ``at`` in ``values``."""
    result, digests = sheet.result, sheet.digests
    d = DATASETS[result.dataset]
    id_field, fields = d.id_field, _hash_fields(d.name)
    rows, warned = result.frame["sheet_row"].tolist(), result.frame["warned"].tolist()
    columns = [values[n] for n in fields]
    if list(at) == list(range(len(columns[0]))):  # every row, in order: the first sync of a sheet
        cells = zip(*columns)
    else:
        cells = zip(*([column[j] for j in at] for column in columns))
    out = []
    for pos, row in zip(positions, cells):
        record = dict(zip(fields, row))
        record.update(sheet=result.sheet, sheet_row=rows[pos], warned=bool(warned[pos]),
                      row_hash=digests[pos])
        out.append(record)
    if id_field:
        plain = values[id_field]
        for record, j in zip(out, at):
            record[f"{id_field}_plain"] = plain[j]
            record[f"{id_field}_masked"] = mask(plain[j], "id")
    return out


def collect(results: list[SheetResult], vault: Vault) -> dict[str, Incoming]:
    """Valid rows of every sheet, per dataset, keyed (``check_source`` has made every key unique)."""
    incoming = {name: Incoming(vault=vault) for name in DATASETS}
    for result in results:
        if result.dataset is None or result.frame is None:
            continue
        target, frame = incoming[result.dataset], result.frame
        target.rows_read += len(frame)
        if any(i.severity == ERROR and i.row is None for i in result.issues):
            target.blocked.append(result.sheet)
            continue
        sheet = _Sheet(result)
        warned = [bool(w) for w in frame["warned"].tolist()]
        kept = result.collected
        if isinstance(kept, Collected) and len(kept.warned) == len(warned):
            keys, digests = kept.keys, list(kept.digests)
            moved = [pos for pos, (was, now) in enumerate(zip(kept.warned, warned)) if was != now]
            if moved:  # rows the mirror's rule warns differently now: their hashes change (and they are written)
                sheet.values = _columns(result.dataset, frame.iloc[moved], vault)
                sheet.index = {pos: j for j, pos in enumerate(moved)}
                for pos, digest in zip(moved, _digests(result.dataset, sheet.values, result.sheet,
                                                       [warned[p] for p in moved])):
                    digests[pos] = digest
        else:
            sheet.values = _columns(result.dataset, frame, vault)
            keys = sheet.values[key_column(result.dataset)]
            digests = _digests(result.dataset, sheet.values, result.sheet, warned)
            result.collected = Collected(keys, warned, digests)
        sheet.digests = digests
        if _has_unreadable_key(result, keys):
            target.unkeyed.add(result.sheet)
        for pos, (key, ok, digest) in enumerate(zip(keys, frame["valid"].tolist(), digests)):
            if key is None:
                continue
            if not ok:
                target.invalid_keys.add(key)
                continue
            target.digests[key] = digest
            target.places[key] = (sheet, pos)
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
    # deleted or not, not when: SQLite would parse every row's timestamp text (2.6x the query's time)
    existing = conn.execute(select(table.c.id, table.c[key], table.c.row_hash, table.c.deleted_at.is_not(None),
                                   table.c.stale, table.c.sheet).where(table.c.source == source)).all()
    plan.active_before = sum(1 for row in existing if not row[3])
    if now_in.blocked:
        return plan  # a sheet we can't read properly changes nothing of its dataset
    seen: set[str] = set()
    changed: list[tuple[str, int, bool]] = []  # (key, row id, restored)
    for row_id, row_key, stored_hash, deleted, stale, sheet in existing:
        seen.add(row_key)
        digest = now_in.digests.get(row_key)
        if digest is not None:
            if digest != stored_hash or deleted or stale:
                changed.append((row_key, row_id, bool(deleted)))
                if deleted:
                    plan.moved_keys.add(row_key)
        elif row_key in now_in.invalid_keys or sheet in now_in.unkeyed:
            # turned invalid, or maybe the row whose key can't be read now: its last good version stays
            if not deleted and not stale:
                plan.stale.append(row_id)
        elif not deleted:
            plan.deletes.append(row_id)
            plan.moved_keys.add(row_key)
    new = [k for k in now_in.digests if k not in seen]
    records = now_in.records([k for k, _i, _r in changed] + new)
    plan.updates = [{**r, "_id": row_id, "_restore": restored} for r, (_k, row_id, restored) in zip(records, changed)]
    plan.inserts = records[len(changed):]
    plan.moved_keys.update(new)
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
