"""Time what the overview page asks the database for: ``python -m bench.overview_queries URL``.

``time_overview_queries(engine)`` runs the overview's queries once each, as the page does on an
administrator's first view (every street, all time, nothing cached: the filters' places, the place
table, the months behind the KPIs, their changes and the trends, the post types and the streets'
health for the ranking), plus a street-staff view (one street: its communities, no health), and
returns seconds per query and the totals. bench/run.py calls it on the million-row mirror of
bench/million.py.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from sqlalchemy import Engine, select

from sync.store.models import sources
from sync.queries import overview, ranking


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def time_overview_queries(engine: Engine) -> dict[str, float]:
    """Seconds per overview query (every street), and the whole render's SQL for all and for one street."""
    with engine.connect() as conn:
        street = conn.execute(select(sources.c.street).order_by(sources.c.street).limit(1)).scalar()
    out: dict[str, float] = {}
    for scope, streets in (("all", None), ("one_street", (street,))):
        queries = {"places": lambda s=streets: overview.places(engine, s),
                   "by_place": lambda s=streets: overview.by_place(engine, s),
                   "monthly": lambda s=streets: overview.monthly(engine, s),
                   "posts_by_type": lambda s=streets: overview.posts_by_type(engine, s)}
        if ranking.level_for(streets) == "street":
            queries["street_health"] = lambda s=streets: ranking.street_health(engine, s)
        timings = {name: _timed(query) for name, query in queries.items()}
        if scope == "all":
            out.update(timings)
        out[f"overview_{scope}"] = sum(timings.values())
    return out


if __name__ == "__main__":
    from sync.store.db import make_engine

    print(json.dumps(time_overview_queries(make_engine(sys.argv[1])), indent=2))
