"""Browser sessions in the database, and ``python -m sync users`` (issue 15). SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from sync.cli import main
from sync.store.db import make_engine, upgrade
from sync.store.models import user_sessions
from sync.store.sessions import end_session, redeem_ticket, session_of, start_session
from sync.store.users import UserError, authenticate, create_user, get_user, update_user
from sync.user_import import read_user_csv

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "street-pass-123"


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    upgrade(engine)
    create_user(engine, "liming", PASSWORD, "staff", ["上站街道"])
    yield engine
    engine.dispose()


def test_a_ticket_is_exchanged_once_for_a_cookie_token(engine):
    session_id, ticket = start_session(engine, "liming", minutes=60)
    token, max_age = redeem_ticket(engine, ticket)
    assert 3500 < max_age <= 3600
    assert redeem_ticket(engine, ticket) is None  # one time only
    assert session_of(engine, token)[:2] == (session_id, "liming")
    assert session_of(engine, ticket) is None and session_of(engine, "forged") is None and session_of(engine, None) is None


def test_a_stale_ticket_is_refused(engine):
    _id, ticket = start_session(engine, "liming", minutes=60)
    with engine.begin() as conn:
        conn.execute(update(user_sessions).values(created_at=datetime.now(UTC) - timedelta(minutes=5)))
    assert redeem_ticket(engine, ticket) is None


def test_sessions_end_on_expiry_sign_out_password_reset_and_disable(engine):
    def signed_in() -> str:
        return redeem_ticket(engine, start_session(engine, "liming", minutes=60)[1])[0]

    token = signed_in()
    with engine.begin() as conn:
        conn.execute(update(user_sessions).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert session_of(engine, token) is None
    token = signed_in()
    end_session(engine, token=token)
    assert session_of(engine, token) is None
    token, other = signed_in(), signed_in()
    update_user(engine, "liming", password="a-new-password-1")
    assert session_of(engine, token) is None and session_of(engine, other) is None
    token = signed_in()
    update_user(engine, "liming", display_name="李明")  # other changes keep the session
    assert session_of(engine, token) is not None
    update_user(engine, "liming", active=False)
    assert session_of(engine, token) is None


def cli(db_url: str, *args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["users", *args, "--db", db_url], input=stdin)


def test_users_add_list_disable(db_url):
    added = cli(db_url, "add", "liming", "--role", "staff", "--street", "上站街道", "--street", "下站街道",
                "--email", "LiMing@example.org", "--display-name", "李明", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    engine = make_engine(db_url)
    user = authenticate(engine, "liming", PASSWORD)
    assert (user.role, user.streets, user.email, user.display_name) == (
        "staff", ("上站街道", "下站街道"), "LiMing@example.org", "李明")
    listing = cli(db_url, "list")
    assert "liming\t街道工作人员：上站街道、下站街道\tLiMing@example.org\t启用" in listing.output
    assert cli(db_url, "disable", "liming").exit_code == 0
    assert not get_user(engine, "liming").active and authenticate(engine, "liming", PASSWORD) is None
    engine.dispose()


@pytest.mark.parametrize("args, stdin, message", [
    (["add", "x", "--role", "staff", "--password-stdin"], PASSWORD, "至少要绑定一个街道"),
    (["add", "x", "--role", "supervisor", "--password-stdin"], "short", "密码至少 8 位"),
    (["add", "x", "--role", "supervisor", "--email", "not-an-address", "--password-stdin"], PASSWORD, "邮箱格式不正确"),
    (["disable", "ghost"], None, "没有用户“ghost”"),
])
def test_users_add_refusals_are_one_chinese_line(db_url, args, stdin, message):
    result = cli(db_url, *args, stdin=stdin)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_password_stdin_through_a_real_pipe_and_no_terminal(tmp_path):
    db = f"sqlite:///{tmp_path / 'u.db'}"
    piped = subprocess.run([sys.executable, "-m", "sync", "users", "add", "boss", "--role", "admin", "--password-stdin",
                            "--db", db], input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert piped.returncode == 0, piped.stderr
    assert authenticate(make_engine(db), "boss", PASSWORD).role == "admin"
    blind = subprocess.run([sys.executable, "-m", "sync", "users", "add", "x", "--role", "admin", "--db", db],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert blind.returncode == 2 and blind.stderr.strip() == "错误：没有终端可以输入密码：请用 --password-stdin 从标准输入提供"


def test_users_import_many_streets_at_once(db_url, tmp_path):
    csv = tmp_path / "users.csv"
    csv.write_bytes("用户名,角色,街道,邮箱,姓名,密码\n"
                    "shangzhan,街道工作人员,上站街道,sz@example.org,张三,street-pass-1\n"
                    "xiazhan,staff,下站街道、新源街道,,,\n"
                    "duchaa,督导,,,,\n".encode("gbk"))  # Excel on Chinese Windows saves CSV as GBK
    first = cli(db_url, "import", str(csv))
    assert first.exit_code == 0, first.output
    engine = make_engine(db_url)
    assert authenticate(engine, "shangzhan", "street-pass-1").email == "sz@example.org"
    generated = dict(line.split("\t")[0::2] for line in first.output.splitlines() if "初始密码" in line)
    assert set(generated) == {"xiazhan", "duchaa"}
    password = generated["xiazhan"].removeprefix("初始密码：")
    assert authenticate(engine, "xiazhan", password).streets == ("下站街道", "新源街道")
    assert get_user(engine, "duchaa").role == "supervisor"
    again = cli(db_url, "import", str(csv))
    assert again.exit_code == 0 and again.output.count("已存在，未改动") == 3
    engine.dispose()


@pytest.mark.parametrize("text, message", [
    ("姓名\n张三\n", "至少要有“用户名”和“角色”两列"),
    ("用户名,角色\n,staff\n", "第2行：用户名为空"),
    ("用户名,角色\na,boss\n", "第2行：角色应为"),
    ("用户名,角色,街道\na,staff,\n", "第2行：街道工作人员至少要绑定一个街道"),
    ("用户名,角色\na,admin\na,admin\n", "第3行：用户名“a”在文件中重复"),
    ("用户名,角色,密码\na,admin,short\n", "第2行：密码至少 8 位"),
    ("用户名,角色,邮箱\na,admin,nope\n", "第2行：邮箱格式不正确"),
])
def test_bad_import_rows_are_named_and_nothing_is_created(text, message):
    with pytest.raises(UserError, match=message):
        read_user_csv(text.encode(), "users.csv")


def test_bad_import_creates_nobody(db_url, tmp_path):
    csv = tmp_path / "users.csv"
    csv.write_text("用户名,角色,街道\ngood,staff,上站街道\nbad,staff,\n", encoding="utf-8")
    result = cli(db_url, "import", str(csv))
    assert result.exit_code == 1 and "第3行" in result.output
    engine = make_engine(db_url)
    upgrade(engine)
    assert get_user(engine, "good") is None
    engine.dispose()


def test_the_email_oidc_matches_on_is_checked(engine):
    with pytest.raises(UserError, match="邮箱格式不正确"):
        update_user(engine, "liming", email="liming at example")
    assert update_user(engine, "liming", email=" liming@example.org ").email == "liming@example.org"
