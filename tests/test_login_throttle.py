"""Issue 14, point 5: login throttling per user and per client, lock-out, logged without passwords.

Before: 40 wrong passwords in 6.6 s, then the right one was accepted, and nothing was logged.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from sync.registry import now
from sync.service import open_mirror
from sync.store.models import login_failures
from sync.store.throttle import LIMITS, LoginLocked
from sync.store.users import authenticate, create_user, update_user
from tests.app_world import APP, PASSWORD

WRONG = "not-the-password-42"


@pytest.fixture
def engine(db_url):
    mirror = open_mirror(db_url=db_url)
    create_user(mirror.engine, "liming", PASSWORD, "staff", ["上站街道"])
    create_user(mirror.engine, "wangfang", PASSWORD, "supervisor")
    yield mirror.engine
    mirror.engine.dispose()


def expire_locks(engine) -> None:
    """Fifteen minutes later (the lock's end, written into its row)."""
    with engine.begin() as conn:
        conn.execute(update(login_failures).values(locked_until=now() - timedelta(seconds=1),
                                                   first_at=now() - timedelta(hours=1)))


def test_forty_wrong_passwords_then_the_right_one_is_refused(engine, caplog):
    # Regression (issue 14): every guess was checked and the 41st, right, one let in.
    caplog.set_level(logging.WARNING, logger="taizhang.auth")
    outcomes = []
    for _ in range(40):
        try:
            outcomes.append(authenticate(engine, "liming", WRONG, "10.0.0.7"))
        except LoginLocked as exc:
            outcomes.append(str(exc))
    assert outcomes[:LIMITS["user"] - 1] == [None] * (LIMITS["user"] - 1)
    assert all("已暂时锁定" in o and "15 分钟" in o for o in outcomes[LIMITS["user"] - 1:])
    with pytest.raises(LoginLocked, match="该账号登录失败次数过多"):
        authenticate(engine, "liming", PASSWORD, "10.0.0.8")  # the right password, another client: still locked
    logged = [r.getMessage() for r in caplog.records]
    assert sum(m.startswith("登录失败：用户 liming，来自 10.0.0.7") for m in logged) == LIMITS["user"]
    assert any("已锁定 15 分钟：用户 liming" in m for m in logged)
    assert all(WRONG not in m and PASSWORD not in m for m in logged)
    assert authenticate(engine, "wangfang", PASSWORD, "10.0.0.7").username == "wangfang"  # others unaffected
    expire_locks(engine)
    assert authenticate(engine, "liming", PASSWORD, "10.0.0.7").username == "liming"
    assert authenticate(engine, "liming", WRONG, "10.0.0.7") is None  # a good login started the count again


def test_one_client_spraying_many_names_is_locked(engine, caplog):
    caplog.set_level(logging.WARNING, logger="taizhang.auth")
    for n in range(LIMITS["client"] - 1):
        assert authenticate(engine, f"guess{n}", WRONG, "203.0.113.9") is None
    with pytest.raises(LoginLocked):  # the 20th failure from this client: it is locked, not a name
        authenticate(engine, "guess-last", WRONG, "203.0.113.9")
    with pytest.raises(LoginLocked, match="此设备"):
        authenticate(engine, "wangfang", PASSWORD, "203.0.113.9")
    assert authenticate(engine, "wangfang", PASSWORD, "198.51.100.2").username == "wangfang"
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "guess" not in logged and "不存在的用户名" in logged  # names that are no user's are not logged


def test_names_that_do_not_exist_are_locked_alike(engine):
    answers = []
    for name in ("liming", "nobody-here"):
        for _ in range(LIMITS["user"]):
            try:
                answers.append((name, authenticate(engine, name, WRONG, f"client-{name}")))
            except LoginLocked as exc:
                answers.append((name, str(exc)))
    assert [a for n, a in answers if n == "liming"] == [a for n, a in answers if n == "nobody-here"]


def test_an_admin_password_reset_lifts_the_lock(engine):
    for _ in range(LIMITS["user"] - 1):
        authenticate(engine, "liming", WRONG)
    with pytest.raises(LoginLocked):
        authenticate(engine, "liming", WRONG)
    update_user(engine, "liming", password="a-new-password-1")
    assert authenticate(engine, "liming", "a-new-password-1").username == "liming"


def test_the_login_page_says_so_in_chinese(own_world):
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    for _ in range(LIMITS["user"]):
        at.text_input[0].input("supervisor")
        at.text_input[1].input(WRONG)
        at.button[0].click().run()
    assert [e.value for e in at.error] == ["该账号登录失败次数过多，已暂时锁定：请 15 分钟后再试（忘记密码请联系管理员重设）"]
    at.text_input[0].input("supervisor")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert "已暂时锁定" in at.error[0].value and not at.metric
