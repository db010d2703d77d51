"""The login gate, sessions, the first start, and the users table."""

from __future__ import annotations

import time

import pytest
from streamlit.testing.v1 import AppTest

from sync.store.db import make_engine
from sync.service import open_mirror
from sync.store.users import UserError, authenticate, create_user, ensure_admin, get_user, update_user
from tests.app_world import ADMIN_PASSWORD, APP, PASSWORD, apply_env, build_world, forget_app_state, sign_in


@pytest.fixture
def fresh_world(tmp_path, monkeypatch):
    """Workbooks and a configuration, but no database yet: a fresh clone's first start."""
    world = build_world(tmp_path / "city")
    apply_env(monkeypatch, world)
    yield world
    forget_app_state()


def test_first_start_creates_the_database_syncs_and_shows_data(fresh_world):
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    assert not at.exception, at.exception
    assert [t.label for t in at.text_input] == ["用户名", "密码"] and [b.label for b in at.button] == ["登录"]
    at = sign_in("admin", ADMIN_PASSWORD)
    assert {m.label: m.value for m in at.metric}["报到党员"] == "6"
    at.switch_page("pages/runs.py").run()
    history = next(d.value for d in at.dataframe if "触发方式" in d.value)
    assert set(history["触发方式"]) == {"应用"} and len(history) == 3


def test_wrong_password_is_refused(own_world):
    at = AppTest.from_file(str(APP), default_timeout=60).run()
    at.text_input[0].input("admin")
    at.text_input[1].input("not-the-password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["用户名或密码不正确，或账号已停用"]
    assert not at.metric


def test_session_expires(own_world, monkeypatch):
    monkeypatch.setenv("TAIZHANG_SESSION_MINUTES", "1")
    at = sign_in("supervisor")
    assert at.metric
    at.session_state["auth"] = {**at.session_state["auth"], "since": time.time() - 61}
    at.run()
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert any("登录已过期" in i.value for i in at.info)


def test_a_disabled_account_is_signed_out_at_once(own_world):
    at = sign_in("shangzhan")
    update_user(make_engine(own_world.db_url), "shangzhan", active=False)
    at.run()
    assert any("账号已停用" in i.value for i in at.info) and not at.metric


def test_sign_out(own_world):
    at = sign_in("xiazhan")
    at.sidebar.button[0].click().run()
    assert [b.label for b in at.button] == ["登录"]


def test_generated_admin_password_is_written_to_an_owner_only_file_not_printed(tmp_path, monkeypatch, capsys):
    # Regression (issue 14): the generated password was printed to stdout, which container logs keep.
    from sync.settings import data_dir

    monkeypatch.delenv("TAIZHANG_ADMIN_PASSWORD", raising=False)
    engine = open_mirror(db_url=f"sqlite:///{tmp_path / 'm.db'}").engine
    password = ensure_admin(engine)
    console = capsys.readouterr().out
    path = data_dir() / "admin-password.txt"
    assert password and password not in console and str(path) in console and "仅属主可读" in console
    assert path.read_text().strip() == password and path.stat().st_mode & 0o777 == 0o600
    assert authenticate(engine, "admin", password).role == "admin"
    assert ensure_admin(engine) is None and capsys.readouterr().out == ""


def test_users_rules(tmp_path):
    engine = open_mirror(db_url=f"sqlite:///{tmp_path / 'm.db'}").engine
    admin = create_user(engine, "boss", PASSWORD, "admin")
    assert admin.scope is None and admin.is_admin
    with pytest.raises(UserError, match="已存在"):
        create_user(engine, "boss", PASSWORD, "supervisor")
    with pytest.raises(UserError, match="至少 8 位"):
        create_user(engine, "short", "1234", "supervisor")
    with pytest.raises(UserError, match="至少要绑定一个街道"):
        create_user(engine, "staff", PASSWORD, "staff")
    with pytest.raises(UserError, match="至少要保留一个启用的管理员"):
        update_user(engine, "boss", active=False)
    staff = create_user(engine, "staff", PASSWORD, "staff", ["上站街道"])
    assert staff.scope == ("上站街道",)
    assert update_user(engine, "staff", role="supervisor").streets == ()
    assert authenticate(engine, "staff", "wrong-password") is None and authenticate(engine, "ghost", PASSWORD) is None
    assert get_user(engine, "staff").role == "supervisor"


def test_oidc_sign_in_is_offered_only_when_configured(own_world):
    plain = AppTest.from_file(str(APP), default_timeout=60).run()
    assert [b.label for b in plain.button] == ["登录"]
    oidc = AppTest.from_file(str(APP), default_timeout=60)
    oidc.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                            "client_id": "taizhang", "client_secret": "s",
                            "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration"}
    oidc.run()
    assert not oidc.exception, oidc.exception
    assert [b.label for b in oidc.button] == ["使用单位统一身份认证登录", "登录"]


def test_oidc_users_are_matched_by_their_active_email(own_world):
    from sync.store.users import user_by_email

    engine = make_engine(own_world.db_url)
    create_user(engine, "liming", "a-long-password", "staff", ["上站街道"], email="LiMing@Example.org")
    assert user_by_email(engine, "liming@example.org").username == "liming"
    assert user_by_email(engine, None) is None and user_by_email(engine, "nobody@example.org") is None
    update_user(engine, "liming", active=False)
    assert user_by_email(engine, "liming@example.org") is None
