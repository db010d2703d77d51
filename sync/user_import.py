"""Many users at once from a CSV file (``python -m sync users import``): one street's staff per row.

Columns, by header (Chinese or English, any order): 用户名/username, 角色/role, 街道/streets
(several separated by 、 , ; or spaces), 邮箱/email, 姓名/display_name, 密码/password. Every row is
checked before any user is created; a user already there is left alone; a row without a password
gets a generated one, reported once.
"""

from __future__ import annotations

import csv
import io
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine

from sync.sources.readers import decode_text
from sync.terms import split_list
from sync.store.users import ROLES, UserError, check_account, clean_email, create_user, get_user

COLUMNS = {"用户名": "username", "角色": "role", "街道": "streets", "邮箱": "email", "姓名": "display_name",
           "密码": "password"}
ROLE_WORDS = {**{r: r for r in ROLES}, **{w: r for r, w in ROLES.items()}, "督导": "supervisor"}


@dataclass(frozen=True)
class NewUser:
    line: int  # the CSV's own line number, for messages
    username: str
    role: str
    streets: tuple[str, ...]
    email: str | None
    display_name: str | None
    password: str | None


@dataclass(frozen=True)
class Imported:
    username: str
    created: bool  # False: a user of that name was already there, left alone
    generated_password: str | None = None


def read_user_csv(data: bytes, name: str) -> list[NewUser]:
    """The rows of a users CSV (UTF-8 or GBK); UserError naming every bad line."""
    try:
        text = decode_text(data, name)
    except Exception as exc:  # SourceUnreadable: the file's encoding or content
        raise UserError(str(exc)) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = {h: COLUMNS.get((h or "").strip(), (h or "").strip().lower()) for h in reader.fieldnames or []}
    if not {"username", "role"} <= set(header.values()):
        raise UserError(f"{name} 缺少表头：至少要有“用户名”和“角色”两列（或 username、role）")
    rows, problems, seen = [], [], set()
    for line, raw in enumerate(reader, start=2):
        cells = {header[k]: (v or "").strip() for k, v in raw.items() if k in header}
        if not any(cells.values()):
            continue
        try:
            rows.append(_row(line, cells, seen))
        except UserError as exc:
            problems.append(f"第{line}行：{exc}")
    if problems:
        raise UserError("\n".join(problems))
    return rows


def _row(line: int, cells: dict[str, str], seen: set[str]) -> NewUser:
    username = cells.get("username", "")
    if not username:
        raise UserError("用户名为空")
    if username in seen:
        raise UserError(f"用户名“{username}”在文件中重复")
    seen.add(username)
    role = ROLE_WORDS.get(cells.get("role", ""))
    if role is None:
        raise UserError(f"角色应为 {'、'.join(ROLES)}（或 {'、'.join(ROLES.values())}）之一")
    streets = tuple(split_list(cells.get("streets")))
    password = cells.get("password") or None
    check_account(role, streets, password)
    return NewUser(line, username, role, streets, clean_email(cells.get("email")), cells.get("display_name") or None,
                   password)


def import_users(engine: Engine, rows: list[NewUser]) -> list[Imported]:
    """Create the users not there yet; returns what happened to each row, generated passwords included."""
    done = []
    for row in rows:
        if get_user(engine, row.username) is not None:
            done.append(Imported(row.username, False))
            continue
        password = row.password or secrets.token_urlsafe(12)
        create_user(engine, row.username, password, row.role, row.streets, row.display_name, row.email)
        done.append(Imported(row.username, True, None if row.password else password))
    return done
