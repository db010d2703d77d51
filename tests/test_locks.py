"""Per-source locks: one holder at a time, released on exit, scoped to one mirror."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from sync.store.db import make_engine
from sync.store.locks import source_lock
from tests.conftest import PG_URL, _pg_schema_url


def test_a_source_lock_has_one_holder_and_is_released(db_url):
    engine = make_engine(db_url)
    with source_lock(engine, "a") as first:
        with source_lock(engine, "a") as second, source_lock(engine, "b") as other:
            assert (first, second, other) == (True, False, True)
    with source_lock(engine, "a") as again:
        assert again
    engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="TAIZHANG_TEST_DATABASE_URL is not set (.ci/run sets it)")
def test_mirrors_in_two_schemas_of_one_database_do_not_block_each_other():
    # Regression: advisory locks are database-wide, so a sync in one schema made the same
    # source in another schema (a staging mirror, a parallel test run) report "已跳过".
    admin = create_engine(PG_URL)
    schemas = ["t_" + uuid.uuid4().hex[:12] for _ in range(2)]
    with admin.begin() as conn:
        for schema in schemas:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    engines = [make_engine(_pg_schema_url(s)) for s in schemas]
    try:
        with source_lock(engines[0], "shangzhan") as one, source_lock(engines[1], "shangzhan") as two:
            assert one and two
    finally:
        for engine in engines:
            engine.dispose()
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
