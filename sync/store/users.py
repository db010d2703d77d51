"""The app's users: argon2 password hashes, roles, and the streets street staff may see.

Roles: ``admin`` (everything), ``supervisor`` (every street, read-only), ``staff`` (bound
to one or more streets; sees only their rows, sources, issues and downloads).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError

from sync.settings import data_dir, setting
from sync.store.lengths import too_long
from sync.store.models import now, users
from sync.private_files import write_private
from sync.store.throttle import LOCK, Attempt, LoginLocked, check_allowed, clear_user, locked_message, record_failure
from sync.store.sessions import end_user_sessions
from sync.terms import EMAIL

ROLES = {"admin": "管理员", "supervisor": "督导（只读）", "staff": "街道工作人员"}
MIN_PASSWORD = 8
ADMIN_PASSWORD_FILE = "admin-password.txt"
_hasher = PasswordHasher()
# verified against when the user does not exist, so a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class UserError(ValueError):
    """A user can't be created or changed as asked; the message is Chinese."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str
    streets: tuple[str, ...] = ()
    display_name: str | None = None
    email: str | None = None
    active: bool = True

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def scope(self) -> tuple[str, ...] | None:
        """The streets this user may see; None means every street."""
        return self.streets if self.role == "staff" else None


def _user(row) -> User:
    return User(row.id, row.username, row.role, tuple(row.streets or ()), row.display_name, row.email, row.active)


def clean_email(email: str | None) -> str | None:
    """An e-mail address as stored (OIDC sign-in matches on it), or None; UserError when malformed."""
    email = (email or "").strip()
    if email and not EMAIL.match(email):
        raise UserError(f"邮箱格式不正确：{email}")
    return email or None


def check_account(role: str, streets: list[str] | tuple[str, ...], password: str | None) -> None:
    if role not in ROLES:
        raise UserError(f"角色应为 {'、'.join(ROLES)} 之一")
    if role == "staff" and not streets:
        raise UserError("街道工作人员至少要绑定一个街道")
    if password is not None and len(password) < MIN_PASSWORD:
        raise UserError(f"密码至少 {MIN_PASSWORD} 位")


def create_user(engine: Engine, username: str, password: str, role: str, streets: list[str] | tuple[str, ...] = (),
                display_name: str | None = None, email: str | None = None) -> User:
    username = username.strip()
    if not username:
        raise UserError("用户名不能为空")
    check_account(role, streets, password)
    problem = too_long(users, {"username": username, "display_name": display_name})
    if problem:
        raise UserError(problem)
    values = {"username": username, "password_hash": _hasher.hash(password), "role": role,
              "streets": list(streets) if role == "staff" else [], "display_name": display_name or None,
              "email": clean_email(email), "active": True, "created_at": now()}
    try:
        with engine.begin() as conn:
            conn.execute(users.insert().values(**values))
    except IntegrityError:
        raise UserError(f"用户名“{username}”已存在") from None
    return get_user(engine, username)


def get_user(engine: Engine, username: str) -> User | None:
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    return _user(row) if row else None


def user_by_email(engine: Engine, email: str | None) -> User | None:
    """The active user whose e-mail an identity provider vouched for (OIDC sign-in), else None."""
    if not email:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(users).where(func.lower(users.c.email) == email.strip().lower(),
                                               users.c.active.is_(True))).first()
    return _user(row) if row else None


def list_users(engine: Engine) -> list[User]:
    with engine.connect() as conn:
        return [_user(r) for r in conn.execute(select(users).order_by(users.c.username))]


def authenticate(engine: Engine, username: str, password: str, client: str = "local") -> User | None:
    """The active user with this name and password, else None (and the same time spent either way).

    Raises LoginLocked (Chinese) when the name or the client has failed too often lately
    (sync.store.throttle), including on the failure that locks it; ``client`` is its address.
    """
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username.strip())).first()
    attempt = Attempt(username, client, known=row is not None)
    check_allowed(engine, attempt)  # a locked name is refused before its password is tried
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
        if row is None or not row.active:
            raise VerificationError
    except (VerificationError, InvalidHashError):
        locked = record_failure(engine, attempt)
        if locked:
            raise LoginLocked(locked_message(locked, LOCK.seconds // 60)) from None
        return None
    clear_user(engine, row.username)
    values = {"last_login_at": now()}
    if _hasher.check_needs_rehash(row.password_hash):
        values["password_hash"] = _hasher.hash(password)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == row.id).values(**values))
    return _user(row)


def update_user(engine: Engine, username: str, *, role: str | None = None, streets: list[str] | None = None,
                active: bool | None = None, password: str | None = None, display_name: str | None = None,
                email: str | None = None) -> User:
    """Change a user; the last active admin can't be demoted or disabled. A new password or a
    disabled account ends the user's browser sessions."""
    current = get_user(engine, username)
    if current is None:
        raise UserError(f"没有用户“{username}”")
    role = role or current.role
    streets = current.streets if streets is None else tuple(streets)
    check_account(role, streets, password)
    problem = too_long(users, {"display_name": display_name})
    if problem:
        raise UserError(problem)
    still_admin = role == "admin" and (current.active if active is None else active)
    if current.is_admin and current.active and not still_admin and _active_admins(engine) <= 1:
        raise UserError("至少要保留一个启用的管理员")
    values = {"role": role, "streets": list(streets) if role == "staff" else []}
    if active is not None:
        values["active"] = active
    if password:
        values["password_hash"] = _hasher.hash(password)
        clear_user(engine, username)  # a reset by an admin also lifts a lock-out
    if display_name is not None:
        values["display_name"] = display_name or None
    if email is not None:
        values["email"] = clean_email(email)
    with engine.begin() as conn:
        conn.execute(update(users).where(users.c.id == current.id).values(**values))
    if password or active is False:
        end_user_sessions(engine, username)
    return get_user(engine, username)


def _active_admins(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(users).where(
            users.c.role == "admin", users.c.active.is_(True))).scalar_one()


def ensure_admin(engine: Engine) -> str | None:
    """On first start (no users at all) create ``admin``; returns a generated password.

    A generated password is written to ``<data>/admin-password.txt`` (0600), never to the console:
    container logs keep whatever was printed (issue 14). The console says where it is.
    """
    with engine.connect() as conn:
        if conn.execute(select(func.count()).select_from(users)).scalar_one():
            return None
    configured = setting("TAIZHANG_ADMIN_PASSWORD")
    if configured is not None and len(configured) < MIN_PASSWORD:
        raise UserError(f"TAIZHANG_ADMIN_PASSWORD 至少 {MIN_PASSWORD} 位")
    password = configured or secrets.token_urlsafe(12)
    try:
        create_user(engine, "admin", password, "admin", display_name="管理员")
    except UserError:
        if get_user(engine, "admin"):  # another process created it first
            return None
        raise
    if configured:
        return None
    path = write_private(data_dir() / ADMIN_PASSWORD_FILE, f"{password}\n".encode())
    print(f"台账通：已创建管理员账号 admin，初始密码已写入 {path}（仅属主可读）：登录后请在“用户管理”中修改密码，"
          "并删除该文件", flush=True)
    return password
