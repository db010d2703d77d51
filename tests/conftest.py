"""Shared fixtures. Real databases, real servers: nothing that can run for real is mocked."""

from __future__ import annotations

import base64
import os
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_URL = os.environ.get("TAIZHANG_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """Every test gets its own data folder and key; cached secrets are forgotten around it."""
    from sync import settings

    for name in settings.SETTINGS:
        if name != "TAIZHANG_TEST_DATABASE_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TAIZHANG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TAIZHANG_SECRET_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    settings._secrets.cache_clear()
    yield
    settings._secrets.cache_clear()


def _pg_schema_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty mirror database: a SQLite file, and a PostgreSQL schema when configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'mirror.db'}"
        return
    if not PG_URL:
        pytest.skip("TAIZHANG_TEST_DATABASE_URL is not set (.ci/run sets it)")
    from sqlalchemy import create_engine, text

    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
