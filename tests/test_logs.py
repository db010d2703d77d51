"""Personal data and secrets never reach a log line (issue 8)."""

from __future__ import annotations

import logging
import os

import pytest
from sqlalchemy import text

from sync.service import open_mirror, sync_sources
from tests.validation_cases import person_id
from tests.registers import roster_row, write_config, write_register

PEOPLE = range(1, 6)


def secrets_in(text_: str) -> list[str]:
    """Full ID numbers, full phones and the master key that appear in the text."""
    wanted = [person_id(i, born="19850307", male=i % 2 == 1) for i in PEOPLE] + [f"138{i:08d}" for i in PEOPLE]
    wanted.append(os.environ["TAIZHANG_SECRET_KEY"])
    return [w for w in wanted if w in text_]


@pytest.fixture
def configured(tmp_path):
    book = write_register(tmp_path / "a.xlsx", [roster_row(i) for i in PEOPLE])
    return write_config(tmp_path / "taizhang.toml", f"sqlite:///{tmp_path / 'm.db'}", [
        {"name": "a", "street": "上站街道", "kind": "excel", "path": str(book)}])


def test_a_sync_logs_no_personal_data(configured, caplog):
    caplog.set_level(logging.DEBUG)
    mirror = open_mirror(str(configured))
    assert sync_sources(mirror)[0].status == "ok"
    assert secrets_in(caplog.text) == []


def test_a_failing_statement_logs_no_row_values(configured, caplog):
    # Regression: SQLAlchemy put a failed INSERT's parameters (full phone numbers) into the
    # exception text, and so into the log; engines now hide parameters.
    caplog.set_level(logging.DEBUG)
    mirror = open_mirror(str(configured))
    with mirror.engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON roster BEGIN SELECT RAISE(ABORT, 'refused'); END"))
    result = sync_sources(mirror)[0]
    assert result.status == "failed" and "镜像保持不变" in result.message
    assert "refused" in caplog.text  # the failure itself is logged, for the administrator
    assert secrets_in(caplog.text + result.message) == []
