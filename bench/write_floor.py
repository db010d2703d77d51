"""The write-only floor: python-calamine reads every worksheet and our own mirror rows are written, no checks.

The same tables and columns as the real mirror (``make_engine`` + ``upgrade``, then the
project's ``bulk_insert``: one executemany on SQLite, COPY on PostgreSQL), in one transaction:
the ID number encrypted, its lookup hash and masked form, a blake2b row hash over the joined
cells, bookkeeping columns filled. A sheet's header row is the first of its first 20 rows
that names the key field and at least half the fields of a register (canonical headers or
aliases, normalised as the reader does); its dataset is the register it names most fields of. Nothing is validated
or normalised beyond what the typed columns need: dates as dates (a date cell, a serial
number, or the first y-m-d run of digits in a text), numbers as numbers, the rest as text,
an empty cell as NULL. The only rows left out are those the table cannot hold: no key, or
a key already written for the source (the mirror's unique key). Free text is not masked, no
rules, no enums, no same-person lookups, no diff against what the mirror held: the
realistic lower limit for our sync.

``python bench/write_floor.py DB FILE...`` where DB is a SQLite file (or ``sqlite:///`` URL),
or a ``postgresql://`` URL; the mirror should be empty (the benchmark wipes it first). The
source of a file's rows is the file's name without its suffix.
"""

from __future__ import annotations

import hashlib
import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import python_calamine as calamine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from schemas import DATASETS  # noqa: E402
from sync.check.headers import HEADER_SCAN_ROWS, header_index, normalise_header  # noqa: E402
from sync.check.normalize import EXCEL_EPOCH  # noqa: E402
from sync.check.privacy import mask_id  # noqa: E402
from sync.store.crypto import default_vault  # noqa: E402
from sync.store.db import bulk_insert, make_engine, upgrade  # noqa: E402
from sync.store.models import DATA_TABLES, now  # noqa: E402

_YMD = re.compile(r"(\d{4})\D{1,3}(\d{1,2})\D{1,3}(\d{1,2})")


def url_of(database: str) -> str:
    if database.startswith("postgresql://"):
        return database.replace("postgresql://", "postgresql+psycopg://", 1)
    if database.startswith(("postgresql", "sqlite")):
        return database
    return f"sqlite:///{Path(database).resolve()}"


def header(rows: list[list[Any]]) -> tuple[str, int, dict[int, str]] | None:
    """(dataset, header row position, column -> field) of the first row naming a register's fields."""
    for pos, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        named = [normalise_header(v) if v != "" else "" for v in row]
        best = None
        for name, d in DATASETS.items():
            index, columns = header_index(name), {}
            for j, text in enumerate(named):
                field = index.get(text)
                if field is not None and field not in columns.values():
                    columns[j] = field
            if d.key in columns.values() and 2 * len(columns) >= len(d.fields):
                if best is None or len(columns) > len(best[2]):
                    best = (name, pos, columns)
        if best:
            return best
    return None


def as_text(v: Any) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # a phone or an ID number typed into a number cell
    return v if isinstance(v, str) else str(v)


def as_date(v: Any) -> date | None:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    try:
        if isinstance(v, (int, float)):
            return EXCEL_EPOCH + timedelta(days=int(v))
        found = _YMD.search(str(v))
        return date(*map(int, found.groups())) if found else None
    except (ValueError, OverflowError):
        return None


def as_number(v: Any, kind: type) -> int | float | None:
    try:
        return kind(float(v)) if kind is int else kind(v)
    except (TypeError, ValueError, OverflowError):  # a date or a word in a number column
        return None


CONVERT = {"date": as_date, "int": lambda v: as_number(v, int), "number": lambda v: as_number(v, float)}


def mirror_rows(source: str, sheet: str, dataset: str, rows: list[list[Any]], start: int, columns: dict[int, str],
                vault, seen: set, moment: datetime) -> tuple[list[str], list[tuple]]:
    """The table's columns and one tuple per data row under the header (sheet rows from ``start`` + 1)."""
    d = DATASETS[dataset]
    id_field = next((n for n, m in d.fields.items() if m.kind == "id"), None)
    where = {f: j for j, f in columns.items()}
    kept, numbers = [], []  # rows with a key not written yet
    for number, row in enumerate(rows, start + 1):
        key = row[where[d.key]]
        key = as_text(key) if key != "" else None
        if key is not None and key not in seen:
            seen.add(key)
            kept.append(row)
            numbers.append(number)
    values = {}  # field -> its column, converted (calamine's grid is a rectangle: every row is as wide)
    for f, meta in d.fields.items():
        j, convert = where.get(f), CONVERT.get(meta.kind, as_text)
        values[f] = [None] * len(kept) if j is None else [None if r[j] == "" else convert(r[j]) for r in kept]
    texts = zip(*([v if isinstance(v, str) else str(v) for v in column] for column in values.values()))
    digests = [hashlib.blake2b("\x1f".join((*t, sheet)).encode(), digest_size=16).hexdigest() for t in texts]
    names = [f for f in d.fields if f != id_field]
    out = [values[f] for f in names]
    if id_field:
        plain = values[id_field]
        names += [f"{id_field}_enc", f"{id_field}_hash", f"{id_field}_masked"]
        out += [list(map(vault.encrypt, plain)), list(map(vault.lookup_hash, plain)), list(map(mask_id, plain))]
    n = len(kept)
    names += ["source", "sheet", "sheet_row", "row_hash", "warned", "stale", "first_seen_at", "updated_at"]
    out += [[source] * n, [sheet] * n, numbers, digests, [False] * n, [False] * n, [moment] * n, [moment] * n]
    return names, list(zip(*out))


def main(database: str, paths: list[str]) -> None:
    engine = make_engine(url_of(database))
    upgrade(engine)
    vault, moment, rows_written = default_vault(), now(), 0
    with engine.begin() as conn:
        for path in paths:
            source = Path(path).stem
            seen: dict[str, set] = {name: set() for name in DATASETS}
            book = calamine.CalamineWorkbook.from_path(path)
            for sheet in book.sheet_names:
                rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
                found = header(rows)
                if found is None:
                    continue
                dataset, pos, columns = found
                names, values = mirror_rows(source, sheet, dataset, rows[pos + 1:], pos + 1, columns, vault,
                                            seen[dataset], moment)
                bulk_insert(conn, DATA_TABLES[dataset], names, values)
                rows_written += len(values)
    engine.dispose()
    print(rows_written)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
