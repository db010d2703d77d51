"""Whole-process measurements: wall time, CPU time and peak memory of one child at a time.

Each run goes through ``bench/child.py``, a tiny process that forks the measured command
and reads its rusage with ``os.wait4``: exactly that child's figures, not the maximum over
every child so far (``RUSAGE_CHILDREN``) nor the benchmark's own memory.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Sample:
    seconds: float  # wall clock, process start to exit
    cpu: float  # user + system
    peak_mb: float  # maximum resident set size of one process (the command or a child of it)
    output: str
    tree_mb: float = 0.0  # peak of the summed PSS of the command and every process under it


@dataclass
class Measurement:
    name: str
    samples: list[Sample] = field(default_factory=list)
    note: str = ""
    extra: dict[str, int] = field(default_factory=dict)  # counts a figure is judged by

    @property
    def seconds(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def peak_mb(self) -> float:
        return statistics.median(s.peak_mb for s in self.samples)

    @property
    def tree_mb(self) -> float:
        return statistics.median(s.tree_mb for s in self.samples)

    @property
    def spread(self) -> float:
        """(max - min) / median of the wall times: how noisy the repeats were."""
        times = [s.seconds for s in self.samples]
        return (max(times) - min(times)) / self.seconds if self.seconds else 0.0


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="0", **extra)
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def run_child(args: list[str], env: dict[str, str]) -> Sample:
    """Run ``python args...`` from the repository root; raise with its output if it fails."""
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "out", "w+", encoding="utf-8") as out:
        figures = Path(tmp) / "figures.json"
        subprocess.run([sys.executable, str(ROOT / "bench" / "child.py"), str(figures), sys.executable, *args],
                       cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
        out.seek(0)
        output = out.read()
        found = json.loads(figures.read_text(encoding="utf-8"))
    if found["status"] not in (0, 1):  # sync run exits 1 when a source has errors to fix
        raise RuntimeError(f"{' '.join(args)} exited {found['status']}:\n{output[-3000:]}")
    return Sample(found["seconds"], found["cpu"], found["peak_kb"] / 1024, output, found["tree_kb"] / 1024)


@dataclass
class Run:
    """One figure to measure: a command, with untimed steps before and after each run."""

    name: str
    args: list[str]
    before: Callable[[], None] | None = None
    after: Callable[[Sample], None] | None = None


def measure_rounds(runs: list[Run], env: dict[str, str], repeat: int) -> list[Measurement]:
    """The medians of ``repeat`` whole-process runs of each, taken in rounds (one run of each per
    round): a slow spell of the shared machine falls on every figure compared, not on one of them."""
    results = [Measurement(r.name) for r in runs]
    for _ in range(repeat):
        for run, result in zip(runs, results):
            if run.before:
                run.before()
            sample = run_child(run.args, env)
            if run.after:
                run.after(sample)
            result.samples.append(sample)
    return results


def measure(name: str, args: list[str], env: dict[str, str], repeat: int,
            before: Callable[[], None] | None = None, after: Callable[[Sample], None] | None = None) -> Measurement:
    """The median of ``repeat`` whole-process runs; ``before`` resets state, untimed."""
    return measure_rounds([Run(name, args, before, after)], env, repeat)[0]
