"""Time the overview page's queries on a mirror: ``python bench/overview.py URL [REPEAT]``.

Prints JSON {query: median milliseconds}. Uses the app's own ``bench.overview_queries``
when it exists; otherwise times the overview's aggregates from ``sync.queries.overview``
for every street (the heaviest scope: an administrator's first view).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine  # noqa: E402

from sync.db import make_engine  # noqa: E402


def _ours(engine: Engine) -> dict[str, Callable[[], object]]:
    from sync.queries import overview
    return {"places": lambda: overview.places(engine, None),
            "by_place": lambda: overview.by_place(engine, None),
            "monthly_trend": lambda: overview.monthly_trend(engine, None),
            "posts_by_type": lambda: overview.posts_by_type(engine, None)}


def time_queries(engine: Engine, repeat: int) -> dict[str, float]:
    try:
        from bench.overview_queries import time_overview_queries
    except ImportError:
        time_overview_queries = None
    if time_overview_queries is not None:
        runs = [time_overview_queries(engine) for _ in range(repeat)]
        return {name: statistics.median(r[name] for r in runs) * _to_ms(runs[0][name]) for name in runs[0]}
    out = {}
    for name, query in _ours(engine).items():
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            query()
            times.append((time.perf_counter() - started) * 1000)
        out[name] = statistics.median(times)
    return out


def _to_ms(value: float) -> float:
    """The app's helper may report seconds or milliseconds; a query under 10 seconds is seconds."""
    return 1000.0 if value < 10 else 1.0


if __name__ == "__main__":
    found = time_queries(make_engine(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 5)
    print(json.dumps(found))
