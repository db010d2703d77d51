"""Throughput of the job queue: many small sources, 1, 2 and 4 worker processes on one PostgreSQL.

``python -m bench.queue_throughput --db URL [--sources 2000] [--workers 1 2 4] [--concurrency 2] [--smoke]``

For each worker count: a fresh PostgreSQL schema of its own (created and dropped here, so
the database may hold other data), the sources provisioned from a config (untimed), the
workers started and ready, then every source queued at once (``defer_source_syncs``, what
the leader does) and timed until the last sync finished: first a full sync into the empty
mirror, then a pass where every source is unchanged. CPU is read from ``/proc`` for each
worker process over each pass. Prints a table and, unless ``--smoke``, rewrites the queue
section of BENCHMARKS.md (below bench/run.py's notes marker, which that script keeps).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from bench.run import BENCH_KEY  # noqa: E402
from sync.store.models import sync_runs  # noqa: E402

START, END = "<!-- queue:start -->", "<!-- queue:end -->"
TICK = os.sysconf("SC_CLK_TCK")


@dataclass
class Pass:
    seconds: float
    cpu: list[float]  # per worker process

    def rate(self, sources: int) -> float:
        return sources / self.seconds


@dataclass
class Result:
    workers: int
    full: Pass
    unchanged: Pass
    defer_seconds: float
    db_mb: float


def tiny_books(folder: Path, count: int) -> list[Path]:
    """``count`` small registers (10 members, 5 wishes), each with people of its own: every source a real sync."""
    from tests.registers import roster_row, wish_row, write_register
    from tests.validation_cases import person_id

    folder.mkdir(parents=True, exist_ok=True)
    books = []
    for n in range(count):
        books.append(folder / f"s{n:04d}.xlsx")
        if not books[-1].exists():
            people = [10 * n + i for i in range(10)]  # person_id is unique per birthday for 500 people
            write_register(books[-1], [roster_row(p, 身份证号=person_id(p % 500, born=f"{1950 + p // 500}0307", male=p % 2 == 1),
                                                  姓名=f"党员{p:05d}") for p in people],
                           [wish_row(i) for i in range(1, 6)])
    return books


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime, every thread included


def schema_url(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def wait_until(engine, status: str, count: int, procs: list[subprocess.Popen]) -> None:
    query = select(func.count()).select_from(sync_runs).where(sync_runs.c.status == status)
    unfinished = text("SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
                      "AND task_name = 'taizhang:sync_source'")
    while True:
        with engine.connect() as conn:
            if conn.execute(query).scalar() >= count and conn.execute(unfinished).scalar() == 0:
                return
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a worker exited early: see its log in the output folder")
        time.sleep(0.2)


def timed_pass(engine, status: str, procs: list[subprocess.Popen], sources: int) -> tuple[Pass, float]:
    from jobs.queue import defer_source_syncs

    before = [cpu_seconds(p.pid) for p in procs]
    started = time.perf_counter()
    queued, _waiting = defer_source_syncs(engine)
    deferred = time.perf_counter() - started
    assert len(queued) == sources
    wait_until(engine, status, sources, procs)
    seconds = time.perf_counter() - started
    return Pass(seconds, [cpu_seconds(p.pid) - b for p, b in zip(procs, before)]), deferred


def run_config(db: str, books: list[Path], workers: int, concurrency: int, out: Path) -> Result:
    from jobs.queue import close_deferrers
    from sync.service import open_mirror
    from tests.registers import write_config

    schema = f"bench_queue_{uuid.uuid4().hex[:8]}"
    admin = create_engine(db)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = schema_url(db, schema)
    env = os.environ.copy() | {"TAIZHANG_SECRET_KEY": BENCH_KEY, "TAIZHANG_DATA_DIR": str(out / "data")}
    os.environ.update({"TAIZHANG_SECRET_KEY": BENCH_KEY, "TAIZHANG_DATA_DIR": str(out / "data")})
    config = write_config(out / f"queue-{workers}.toml", url, [
        {"name": b.stem, "street": f"街道{n % 50:02d}", "kind": "excel", "path": str(b)} for n, b in enumerate(books)])
    mirror = open_mirror(str(config))  # migrate and provision: not timed
    procs = []
    try:
        for n in range(workers):
            log = out / f"worker-{workers}-{n}.log"
            procs.append(subprocess.Popen([sys.executable, "-m", "jobs", "worker", "--config", str(config),
                                           "--concurrency", str(concurrency)], cwd=ROOT, env=env,
                                          stdout=subprocess.DEVNULL, stderr=log.open("w")))
            while "任务队列工作进程已启动" not in log.read_text(encoding="utf-8"):
                if procs[-1].poll() is not None:
                    raise SystemExit(f"worker did not start: {log}")
                time.sleep(0.1)
        full, defer_seconds = timed_pass(mirror.engine, "ok", procs, len(books))
        unchanged, _ = timed_pass(mirror.engine, "unchanged", procs, len(books))
        with mirror.engine.connect() as conn:
            size = conn.execute(text("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                                     "JOIN pg_namespace n ON n.oid = c.relnamespace "
                                     "WHERE n.nspname = current_schema() AND c.relkind = 'r'")).scalar()
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(120)
        close_deferrers()
        mirror.engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    return Result(workers, full, unchanged, defer_seconds, size / 2**20)


def table(results: list[Result], sources: int, concurrency: int, load: tuple[float, ...]) -> str:
    lines = [f"{sources:,} small sources (10 members and 5 wishes each), `--concurrency {concurrency}` per worker, "
             f"PostgreSQL on the same machine; load average before: {load[0]:.1f}. "
             "**This machine's 2 cores are shared with other engineers' work**: the figures are "
             "what it gave at that moment, and beyond 2 processes they measure contention, not scaling.", "",
             "| workers | full sync: sources/s | CPU s per worker | CPU ms per source | unchanged: sources/s "
             "| CPU s per worker | queueing all (s) | mirror + queue size (MB) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append(f"| {r.workers} | {r.full.rate(sources):.1f} | {' / '.join(f'{c:.1f}' for c in r.full.cpu)} "
                     f"| {1000 * sum(r.full.cpu) / sources:.0f} | {r.unchanged.rate(sources):.1f} "
                     f"| {' / '.join(f'{c:.1f}' for c in r.unchanged.cpu)} | {r.defer_seconds:.1f} "
                     f"| {r.db_mb:.0f} |")
    return "\n".join(lines)


def write_section(body: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    old = path.read_text(encoding="utf-8")
    section = f"{START}\n{body}\n{END}"
    if START in old:
        before, rest = old.split(START, 1)
        new = before + section + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n### The job queue: sources per second (python -m bench.queue_throughput)\n\n" + section + "\n"
    path.write_text(new, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("TAIZHANG_TEST_DATABASE_URL"),
                        help="a PostgreSQL URL; a schema per run is created and dropped there")
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--smoke", action="store_true", help="6 sources, 1 worker, BENCHMARKS.md left alone")
    args = parser.parse_args()
    if not args.db:
        raise SystemExit("--db URL (PostgreSQL) is required")
    if args.smoke:
        args.sources, args.workers = 6, [1]
    load = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) if args.smoke else ROOT / "bench" / "out" / "queue"
        books = tiny_books(out / "books", args.sources)
        results = []
        for workers in args.workers:
            results.append(run_config(args.db, books, workers, args.concurrency, out))
            print(f"{workers} worker(s): {results[-1].full.rate(args.sources):.1f} sources/s", file=sys.stderr)
    body = table(results, args.sources, args.concurrency, load)
    print(body)
    if not args.smoke:
        write_section(body)


if __name__ == "__main__":
    main()
