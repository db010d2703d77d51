"""The benchmark's figures, the issue's targets judged against them, a table and BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from bench.measure import Measurement

NOTES_MARKER = "<!-- notes: everything below this line is kept when bench/run.py rewrites the file -->"
OVERVIEW_MS = 200  # issue 16: the overview's queries, every street
ONE_STREET_MS = 50  # issue 16: the same for one street
# issue 17 (replacing issue 7's full-sync, peer, one-workbook re-sync, scaling and memory targets)
FLOOR_TIMES = 2.5  # full sync vs the floor
WRITE_FLOOR_TIMES = 1.3  # full sync vs the write-only floor (a stretch target)
PEER_TIMES = 4  # the peer's time vs ours
UNCHANGED_TIMES = 0.3  # unchanged city vs the floor
ONE_WORKBOOK_TIMES = 0.2  # 1% of rows changed in one workbook vs the full sync
EVERY_WORKBOOK_TIMES = 0.75  # issue 7: 1% of rows changed in every workbook vs the full sync
TEN_TIMES = 10  # ten times the data vs 1×
PEAK_MB = 300  # our sync's peak memory on the 1× city


@dataclass
class Figures:
    scale: float
    repeat: int
    db_url: str | None
    rows: int = 0
    rows_ten: int = 0
    runs: dict[str, Measurement] = field(default_factory=dict)
    overview_rows: int = 0
    overview: dict[str, float] = field(default_factory=dict)
    overview_pg: dict[str, float] = field(default_factory=dict)
    load: tuple[float, float, float] = field(default_factory=os.getloadavg)  # at the start: the noise

    def add(self, m: Measurement, key: str) -> None:
        self.runs[key] = m
        print(f"  {m.name}: {m.seconds:.2f} s wall, {m.cpu:.2f} s CPU, {m.peak_mb:.0f} MB", file=sys.stderr)


@dataclass(frozen=True)
class Verdict:
    target: str
    required: str
    measured: str
    met: bool


def _ratio(runs: dict[str, Measurement], a: str, b: str) -> tuple[float, float]:
    """(wall-time ratio, CPU-time ratio) of run a to run b."""
    return runs[a].seconds / runs[b].seconds, runs[a].cpu / runs[b].cpu


def _times(wall: float, cpu: float) -> str:
    return f"{wall:.2f}× wall ({cpu:.2f}× CPU)"


def verdicts(f: Figures) -> list[Verdict]:
    r, out = f.runs, []
    for db, s in (("SQLite", ""), ("PostgreSQL", "_pg")):
        if f"full{s}" not in r:
            continue
        floor = "floor_pg" if s else "floor"
        w, c = _ratio(r, f"full{s}", floor)
        out.append(Verdict(f"full sync vs floor ({db})", f"≤ {FLOOR_TIMES:g}×", _times(w, c), w <= FLOOR_TIMES))
        if f"write_floor{s}" in r:
            w, c = _ratio(r, f"full{s}", f"write_floor{s}")
            out.append(Verdict(f"full sync vs write-only floor, stretch ({db})", f"≤ {WRITE_FLOOR_TIMES:g}×",
                               _times(w, c), w <= WRITE_FLOOR_TIMES))
        w, c = _ratio(r, f"unchanged{s}", floor)
        out.append(Verdict(f"unchanged city vs floor, process start included ({db})", f"≤ {UNCHANGED_TIMES:g}×",
                           _times(w, c), w <= UNCHANGED_TIMES))
        for variant, where, limit in (("changed", "every workbook", EVERY_WORKBOOK_TIMES),
                                      ("changed-one", "one workbook", ONE_WORKBOOK_TIMES)):
            changed = r[f"{variant}{s}"]
            out.append(Verdict(f"1%-changed re-sync ({where}) writes only the changed rows ({db})",
                               f"= {changed.extra['held']} rows", f"{changed.extra['written']} rows written",
                               changed.extra["written"] == changed.extra["held"]))
            w, c = _ratio(r, f"{variant}{s}", f"full{s}")
            out.append(Verdict(f"1%-changed re-sync ({where}) vs full sync ({db})", f"≤ {limit:g}×", _times(w, c),
                               w <= limit))
    w, c = _ratio(r, "peer", "full")
    out.append(Verdict("peer vs full sync, the peer's time over ours (SQLite)", f"≥ {PEER_TIMES:g}×", _times(w, c),
                       w >= PEER_TIMES))
    if "full_ten" in r:
        w, c = _ratio(r, "full_ten", "full")
        out.append(Verdict(f"10× data ({f.rows_ten:,} rows) vs 1× time", f"≤ {TEN_TIMES:g}×", _times(w, c),
                           w <= TEN_TIMES))
    for db, timings in (("SQLite", f.overview), ("PostgreSQL", f.overview_pg)):
        if timings:
            total, one = timings["overview_all"], timings["overview_one_street"]
            out.append(Verdict(f"overview page's queries at {f.overview_rows:,} rows, every street ({db})",
                               f"≤ {OVERVIEW_MS} ms", f"{total:.0f} ms", total <= OVERVIEW_MS))
            out.append(Verdict(f"overview page's queries at {f.overview_rows:,} rows, one street ({db})",
                               f"≤ {ONE_STREET_MS} ms", f"{one:.0f} ms", one <= ONE_STREET_MS))
    dbs = [(db, s) for db, s in (("SQLite", ""), ("PostgreSQL", "_pg")) if f"full{s}" in r]
    peak = max(r[k + s].tree_mb for _db, s in dbs for k in ("full", "unchanged", "changed", "changed-one"))
    out.append(Verdict(f"peak memory of our sync and its workers together (PSS), 1× data "
                       f"({', '.join(db for db, _s in dbs)})", f"≤ {PEAK_MB} MB", f"{peak:.0f} MB", peak <= PEAK_MB))
    return out


def machine(f: Figures) -> list[str]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else ""
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    libs = ", ".join(f"{p} {version(p)}" for p in ("python-calamine", "pandas", "pandera", "SQLAlchemy", "psycopg"))
    return [f"- date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            f"- CPU: {os.cpu_count()} cores ({model}); RAM {ram:.0f} GiB; {platform.system()} {platform.release()}",
            f"- Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; {libs}",
            f"- load average at the start: {f.load[0]:.2f} / {f.load[1]:.2f} / {f.load[2]:.2f} (1/5/15 min); "
            f"at the end: {os.getloadavg()[0]:.2f} — the machine is shared, so wall times are noisy "
            "(the CPU column is much steadier)",
            f"- city: scale {f.scale:g} = {f.rows:,} data rows in the workbooks; "
            f"{f.repeat} whole-process runs per figure, median shown"
            + (f"; PostgreSQL: `{_redact(f.db_url)}`" if f.db_url else "")]


def _redact(url: str) -> str:
    head, _, tail = url.rpartition("@")
    return ("…@" + tail) if head else url


def figure_rows(f: Figures) -> list[list[str]]:
    return [[m.name, f"{m.seconds:.2f}", f"{m.cpu:.2f}", f"{m.peak_mb:.0f}", f"{m.tree_mb:.0f}", f"{m.spread * 100:.0f}%",
             m.note]
            for m in f.runs.values()]


def overview_rows(f: Figures) -> list[list[str]]:
    names = list(f.overview or f.overview_pg)
    return [[n, f"{f.overview.get(n, 0):.0f}", f"{f.overview_pg[n]:.0f}" if n in f.overview_pg else "—"]
            for n in names]


def _markdown(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(r) + " |" for r in rows)]


FIGURE_HEADER = ["run", "wall s (median)", "CPU s", "peak MB", "all processes MB", "spread", "notes"]
TARGET_HEADER = ["target", "required", "measured", "met"]


def print_table(f: Figures) -> None:
    print("\n".join(["", *_markdown(FIGURE_HEADER, figure_rows(f)), "",
                     *_markdown(TARGET_HEADER, [[v.target, v.required, v.measured, "yes" if v.met else "NO"]
                                                for v in verdicts(f)]), "",
                     f"overview queries on {f.overview_rows:,} rows (median ms):",
                     *_markdown(["query", "SQLite", "PostgreSQL"], overview_rows(f))]))


def write_markdown(f: Figures, path: Path) -> None:
    kept = ""
    if path.exists() and NOTES_MARKER in (old := path.read_text(encoding="utf-8")):
        kept = old.split(NOTES_MARKER, 1)[1]
    lines = ["# Benchmarks", "",
             "Written by `python bench/run.py" + (f" --scale {f.scale:g}" if f.scale != 1 else "")
             + (" --db …" if f.db_url else "") + "`; the figures are medians of whole-process runs "
             "(`os.wait4` gives each child's own CPU time and peak RSS: \"peak MB\" is the largest process; "
             "\"all processes MB\" the peak of the summed PSS of the command and its workers, sampled every "
             "0.1 s). The floors, the peer and our full sync are measured in rounds, one run of each per round, "
             "so a slow spell of the shared machine falls on all of them.", "",
             "## Machine", "", *machine(f), "",
             "## Figures", "", *_markdown(FIGURE_HEADER, figure_rows(f)), "",
             "## Targets (issue 17; re-sync writes and every-workbook re-sync: issue 7; overview: issue 16)", "",
             *_markdown(TARGET_HEADER, [[v.target, v.required, v.measured, "yes" if v.met else "**no**"]
                                        for v in verdicts(f)]), "",
             f"## Overview queries on {f.overview_rows:,} mirror rows (median ms)", "",
             *_markdown(["query", "SQLite", "PostgreSQL"], overview_rows(f)), "",
             NOTES_MARKER]
    path.write_text("\n".join(lines) + (kept or "\n"), encoding="utf-8")
