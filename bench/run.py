"""The benchmark: the floor, the write-only floor, the peer and our sync, as medians of whole-process runs.

``python bench/run.py [--scale S] [--db URL] [--repeat N] [--smoke]`` generates a city into
``bench/out/`` (kept between runs), measures, prints a table and rewrites BENCHMARKS.md
(everything above its notes marker). ``--db`` names a PostgreSQL database the benchmark may
wipe (its name must contain "bench"); ``--smoke`` is the CI check: a tiny city, one run,
a temporary folder, BENCHMARKS.md left alone.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.city import City, changed_rows, city  # noqa: E402
from bench.measure import Measurement, Run, child_env, measure, measure_rounds, run_child  # noqa: E402
from bench.report import Figures, print_table, write_markdown  # noqa: E402

BENCH_KEY = "YmVuY2htYXJrLWtleS1ub3Qtc2VjcmV0LTMyYnl0ZXM="  # a fixed key: runs are comparable
MILLION = 1_000_000
WRITE_FLOOR = "write-only floor: calamine + our mirror rows, no checks"


class Database:
    """One mirror the benchmark may wipe: a SQLite file in the output folder, or a PostgreSQL URL."""

    def __init__(self, out: Path, url: str | None, name: str):
        self.path = out / f"{name}.db"
        self.url = url or f"sqlite:///{self.path}"
        self.kind = "PostgreSQL" if url else "SQLite"

    def reset(self) -> None:
        if self.kind == "SQLite":
            for p in self.path.parent.glob(self.path.name + "*"):
                shutil.rmtree(p) if p.is_dir() else p.unlink()
            return
        import psycopg
        with psycopg.connect(self.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")

    def snapshot(self) -> Path | None:
        if self.kind != "SQLite":
            return None
        copy = self.path.with_suffix(".snapshot")
        shutil.copyfile(self.path, copy)
        return copy

    def restore(self, copy: Path) -> None:
        self.reset()
        shutil.copyfile(copy, self.path)


def written_since(db: Database, after_run: int) -> int:
    """Rows a sync wrote (inserted + updated + deleted), from the sync_runs it recorded."""
    from sqlalchemy import func, select

    from sync.store.db import make_engine
    from sync.store.models import sync_runs
    engine = make_engine(db.url)
    with engine.connect() as conn:
        total = conn.execute(select(func.coalesce(func.sum(sync_runs.c.inserted + sync_runs.c.updated
                                                           + sync_runs.c.deleted), 0))
                             .where(sync_runs.c.id > after_run)).scalar_one()
    engine.dispose()
    return total


def expected_writes(db: Database, c: City, variant: str) -> tuple[int, int, int]:
    """(rows edited in the changed copy, how many of them the mirror holds — what a re-sync must
    write — and the last sync_runs id before the re-sync)."""
    from sqlalchemy import and_, func, or_, select

    from sync.store.db import make_engine
    from sync.store.models import DATA_TABLES, sync_runs
    from sync.outputs.template import SHEET_TITLES
    engine = make_engine(db.url)
    edited, held = 0, 0
    with engine.connect() as conn:
        for dataset, table in DATA_TABLES.items():
            rows = {s.name: changed_rows(c, s, variant)[dataset] for s in c.streets}
            edited += sum(map(len, rows.values()))
            wanted = [and_(table.c.source == name, table.c.sheet_row.in_(r)) for name, r in rows.items() if r]
            if not wanted:
                continue
            held += conn.execute(select(func.count()).where(
                or_(*wanted), table.c.sheet == SHEET_TITLES[dataset], table.c.deleted_at.is_(None))).scalar_one()
        last = conn.execute(select(func.coalesce(func.max(sync_runs.c.id), 0))).scalar_one()
    engine.dispose()
    return edited, held, last


RESYNCS = {"changed": "1% of rows changed, in every workbook", "changed-one": "1% of rows changed, in one workbook"}


def ours(c: City, db: Database, out: Path, env: dict, repeat: int, label: str,
         alongside: dict[str, Run] | None = None) -> dict[str, Measurement]:
    """Full sync on a fresh mirror, in rounds with the runs it is compared with (``alongside``,
    returned first under their keys), then unchanged re-sync, and re-syncs with 1% of rows changed."""
    config = str(c.write_config(out / f"{db.path.stem}.toml", db.url))
    sync = ["-m", "sync", "run", "--config", config]

    def fresh() -> None:
        db.reset()
        c.use("base")

    compared = dict(alongside or {})
    # the full sync last in each round: the unchanged re-sync below starts from its mirror
    measured = measure_rounds([*compared.values(), Run(f"ours: full sync, {label}", sync, before=fresh)], env, repeat)
    found = dict(zip([*compared, "full"], measured))
    found["unchanged"] = measure(f"ours: unchanged re-sync, {label}", sync, env, repeat)
    copy = db.snapshot()
    for variant, title in RESYNCS.items():
        counts: list[tuple[int, int, int]] = []

        def base_then_changed(variant=variant, counts=counts) -> None:
            c.use("base")
            if copy is not None:
                db.restore(copy)
            else:
                fresh()
                run_child(sync, env)
            counts.append(expected_writes(db, c, variant))
            c.use(variant)

        def count(_sample, counts=counts) -> None:
            edited, held, last = counts[-1]
            counts[-1] = (edited, held, written_since(db, last))

        m = measure(f"ours: re-sync, {title}, {label}", sync, env, repeat, before=base_then_changed, after=count)
        edited, held, _ = counts[-1]
        written = max(w for _e, _h, w in counts)
        m.note = f"{edited} rows edited, {held} of them valid in the mirror, {written} written"
        m.extra = {"edited": edited, "held": held, "written": written}
        found[variant] = m
    c.use("base")
    return found


def overview(out: Path, rows: int, repeat: int, env: dict, url: str | None) -> dict[str, float]:
    from bench.million import build_million
    from sync.store.db import head_revision
    db = Database(out, url, f"million-{rows}")
    marker = out / f"million-{rows}-{head_revision()}.built"  # a new migration (an index) means a new mirror
    if not marker.exists() or db.kind == "PostgreSQL":
        db.reset()
        build_million(db.url, rows).dispose()
        marker.touch()
    sample = run_child(["bench/overview.py", db.url, str(repeat)], env)
    return json.loads(sample.output.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 36,000 roster + 35,000 wishes + 2,000 posts")
    parser.add_argument("--db", help="a PostgreSQL URL to measure our sync on as well (it is wiped)")
    parser.add_argument("--repeat", type=int, default=3, help="whole-process runs per figure (the median is shown)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--no-scaling", action="store_true", help="skip the full sync of ten times the data")
    parser.add_argument("--smoke", action="store_true", help="tiny city, one run, temporary folder, no BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.db and "bench" not in args.db.rsplit("/", 1)[-1]:
        parser.error("--db must name a scratch database whose name contains 'bench': the benchmark wipes it")
    if args.smoke:
        args.scale, args.repeat = 0.01, 1
    out = Path(tempfile.mkdtemp(prefix="taizhang-bench-")) if args.smoke else ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    env = child_env(TAIZHANG_SECRET_KEY=BENCH_KEY, TAIZHANG_DATA_DIR=str(out / "data"))
    figures = Figures(scale=args.scale, repeat=args.repeat, db_url=args.db)
    try:
        base = city(out, args.scale, args.seed)
        figures.rows = base.rows
        files = [str(f) for f in base.files()]
        scratch = out / "scratch.db"
        wipe = lambda: scratch.unlink(missing_ok=True)  # noqa: E731
        written = Database(out, None, "write-floor")
        compared = {"floor": Run("floor: calamine + sqlite3 executemany", ["bench/floor.py", str(scratch), *files],
                                 before=wipe),
                    "write_floor": Run(WRITE_FLOOR, ["bench/write_floor.py", str(written.path), *files],
                                       before=written.reset),
                    "peer": Run("peer: pandas.read_excel(openpyxl) + to_sql",
                                ["bench/peer.py", f"sqlite:///{scratch}", *files], before=wipe)}
        for key, m in ours(base, Database(out, None, "ours"), out, env, args.repeat, "SQLite", compared).items():
            figures.add(m, key)
        if not args.no_scaling:
            ten = city(out, args.scale * 10, args.seed)
            figures.rows_ten = ten.rows
            config = ten.write_config(out / "ten.toml", f"sqlite:///{out / 'ten.db'}")
            figures.add(measure(f"ours: full sync, 10× data ({ten.rows:,} rows), SQLite",
                                ["-m", "sync", "run", "--config", str(config)],
                                env, args.repeat, before=Database(out, None, "ten").reset), "full_ten")
        if args.db:
            pg = Database(out, args.db, "pg")
            compared = {"floor": Run("floor: calamine + psycopg executemany (PostgreSQL)",
                                     ["bench/floor.py", args.db, *files], before=pg.reset),
                        "write_floor": Run(f"{WRITE_FLOOR} (PostgreSQL)", ["bench/write_floor.py", args.db, *files],
                                           before=pg.reset)}
            for key, m in ours(base, pg, out, env, args.repeat, "PostgreSQL", compared).items():
                figures.add(m, f"{key}_pg")
        rows = 20_000 if args.smoke else MILLION
        figures.overview_rows = rows
        figures.overview = overview(out, rows, 3 if args.smoke else 7, env, None)
        if args.db:
            figures.overview_pg = overview(out, rows, 3 if args.smoke else 7, env, args.db)
    finally:
        if args.smoke:
            shutil.rmtree(out, ignore_errors=True)
    print_table(figures)
    if not args.smoke:
        write_markdown(figures, ROOT / "BENCHMARKS.md")


if __name__ == "__main__":
    main()
