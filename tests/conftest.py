"""Shared fixtures. Real databases, real servers: nothing that can run for real is mocked."""

from __future__ import annotations

import base64
import os
import sys
import uuid
from pathlib import Path

import json
from collections.abc import Iterator
from typing import Any

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
    yield from _pg_schema()


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL schema only, for what exists only there (the job queue)."""
    yield from _pg_schema()


def _pg_schema() -> Iterator[str]:
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


@pytest.fixture
def street(tmp_path, db_url):
    """One source over one register workbook (tests/registers.py's OneSource), on both databases."""
    from tests.registers import OneSource
    return OneSource(tmp_path, db_url)


# --- the Streamlit app's worlds (tests/app_world.py builds them) ---------------------------------

@pytest.fixture(scope="module")
def shared_world(tmp_path_factory):
    """One synced world for the tests of a module that only read."""
    from tests.app_world import synced_world
    return synced_world(tmp_path_factory.mktemp("city"))


@pytest.fixture
def app_env(shared_world, monkeypatch):
    from tests.app_world import apply_env, forget_app_state
    apply_env(monkeypatch, shared_world)
    yield shared_world
    forget_app_state()


@pytest.fixture
def own_world(tmp_path, monkeypatch):
    """A synced world of the test's own, for tests that change data, sources or users."""
    from tests.app_world import apply_env, forget_app_state, synced_world
    world = synced_world(tmp_path / "city")
    apply_env(monkeypatch, world)
    yield world
    forget_app_state()


@pytest.fixture
def upload_world(tmp_path, monkeypatch):
    """Like own_world, with 上站街道's source (shangzhan) fed by hand-ins on 提交台账."""
    from tests.app_world import apply_env, forget_app_state, synced_world
    world = synced_world(tmp_path / "city", uploads=("shangzhan",))
    apply_env(monkeypatch, world)
    yield world
    forget_app_state()


# --- Google Sheets: a running emulator (tests/sheets_emulator.py) and a service account it trusts ---

@pytest.fixture(scope="session")
def rsa_private_key():
    """One RSA key for the whole session: generating one costs ~0.1 s."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sheets_emulator() -> Iterator:
    from tests.sheets_emulator import SheetsEmulator
    emulator = SheetsEmulator().start()
    yield emulator
    emulator.stop()


@pytest.fixture
def service_account_info(sheets_emulator, rsa_private_key) -> dict[str, Any]:
    from tests.service_account import make_service_account_info
    return make_service_account_info(sheets_emulator, rsa_private_key)


@pytest.fixture
def service_account_file(service_account_info: dict[str, Any], tmp_path: Path) -> Path:
    path = tmp_path / "taizhang-sync-key.json"
    path.write_text(json.dumps(service_account_info, indent=2), encoding="utf-8")
    return path
