"""The floor: python-calamine reads every worksheet, one executemany per sheet writes the raw rows.

No checks, no types, no keys, one transaction: the least any sync of these files can cost.
``python bench/floor.py DB FILE...`` where DB is a SQLite file, or a ``postgresql://`` URL
(psycopg executemany into text columns, for the PostgreSQL ratios).
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import time, timedelta

import python_calamine as calamine

sqlite3.register_adapter(time, str)  # date and datetime have default adapters on 3.11
sqlite3.register_adapter(timedelta, str)


def connect(database: str):
    if database.startswith("postgresql"):
        import psycopg
        return psycopg.connect(database.replace("postgresql+psycopg://", "postgresql://")), "%s", "text"
    return sqlite3.connect(database), "?", ""


def main(database: str, paths: list[str]) -> None:
    conn, mark, kind = connect(database)
    rows_written = 0
    with conn:
        for path in paths:
            book = calamine.CalamineWorkbook.from_path(path)
            for name in book.sheet_names:
                rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                width = max((len(r) for r in rows), default=0)
                if not width:
                    continue
                table = f'"{name}"'
                conn.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(f'c{j} {kind}' for j in range(width))})")
                conn.cursor().executemany(f"INSERT INTO {table} VALUES ({', '.join([mark] * width)})",
                                          [r if len(r) == width else r + [None] * (width - len(r)) for r in rows])
                rows_written += len(rows)
    conn.close()
    print(rows_written)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
