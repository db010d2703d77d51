"""The peer: what a user writes instead — pandas.read_excel(engine="openpyxl") + DataFrame.to_sql.

``python bench/peer.py DB_URL FILE...`` (a SQLAlchemy URL: sqlite:///… or postgresql+psycopg://…)
"""

from __future__ import annotations

import sys

import pandas as pd
from sqlalchemy import create_engine

HEADER_ROW = 2  # the street sheets' header is on row 3, under a title and a blank row


def main(url: str, paths: list[str]) -> None:
    engine = create_engine(url)
    rows_written = 0
    with engine.begin() as conn:
        for path in paths:
            for name, frame in pd.read_excel(path, sheet_name=None, engine="openpyxl", header=HEADER_ROW).items():
                frame.to_sql(name, conn, if_exists="append", index=False)
                rows_written += len(frame)
    engine.dispose()
    print(rows_written)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
