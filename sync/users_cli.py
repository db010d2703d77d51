"""``python -m sync users``: the app's accounts from the command line (add, list, disable, import).

The database is found as ``sync run`` finds it: ``--db``, else TAIZHANG_DATABASE_URL, else the
configuration file's ``[database] url``, else ``data/taizhang.db``.
"""

from __future__ import annotations

import sys

import click

CONFIG = click.option("--config", "config_file", help="配置文件；默认 taizhang.toml，不存在时用演示配置。")
DB = click.option("--db", "db_url", help="数据库 URL；默认与 sync run 相同。")


def _engine(config_file: str | None, db_url: str | None):
    from sync.cli_fail import fail
    from sync.config import load_config
    from sync.sources.grid import SourceUnreadable
    from sync.store.db import make_engine, upgrade

    try:
        engine = make_engine(load_config(config_file, db_url).database_url)
        upgrade(engine)
    except SourceUnreadable as exc:
        fail(str(exc))
    except Exception as exc:  # the database can't be reached or upgraded: one line, no traceback
        fail(f"无法打开数据库（{type(exc).__name__}: {str(exc).splitlines()[0][:200]}）")
    return engine


def _password(from_stdin: bool) -> str:
    from sync.cli_fail import fail

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        fail("没有终端可以输入密码：请用 --password-stdin 从标准输入提供")
    return click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次")


def _user_error(action):
    """Run ``action``; a UserError is one Chinese line per problem on stderr and exit 1."""
    from sync.store.users import UserError

    try:
        return action()
    except UserError as exc:
        for line in str(exc).splitlines():
            click.echo(f"错误：{line}", err=True)
        sys.exit(1)


@click.group(help="管理应用的用户账号：新建、列出、停用、从 CSV 批量导入。")
def users() -> None:
    pass


@users.command(help="新建一个用户。")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "supervisor", "staff"]), required=True,
              help="角色：admin 管理员，supervisor 督导（只读），staff 街道工作人员。")
@click.option("--street", "streets", multiple=True, help="街道工作人员可见的街道（可重复；staff 必填）。")
@click.option("--email", help="邮箱：配置统一身份认证（OIDC）时按它匹配用户。")
@click.option("--display-name", help="姓名，显示在应用中。")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码（一行），否则在终端提示输入。")
@CONFIG
@DB
def add(name: str, role: str, streets: tuple[str, ...], email: str | None, display_name: str | None,
        password_stdin: bool, config_file: str | None, db_url: str | None) -> None:
    from sync.registry import list_sources
    from sync.store.users import create_user

    engine = _engine(config_file, db_url)
    password = _password(password_stdin)
    user = _user_error(lambda: create_user(engine, name, password, role, streets, display_name, email))
    known = {s.street for s in list_sources(engine)}
    for street in (s for s in user.streets if s not in known):
        click.echo(f"提示：还没有街道为“{street}”的数据源，该用户暂时看不到数据", err=True)
    click.echo(f"已创建用户“{user.username}”（{_role_words(user)}）")


@users.command(name="list", help="列出全部用户。")
@CONFIG
@DB
def list_(config_file: str | None, db_url: str | None) -> None:
    from sync.store.users import list_users

    for user in list_users(_engine(config_file, db_url)):
        state = "启用" if user.active else "停用"
        click.echo(f"{user.username}\t{_role_words(user)}\t{user.email or '-'}\t{state}")


@users.command(help="停用一个用户（其已登录的浏览器会话随即失效）。")
@click.argument("name")
@CONFIG
@DB
def disable(name: str, config_file: str | None, db_url: str | None) -> None:
    from sync.store.users import update_user

    engine = _engine(config_file, db_url)
    _user_error(lambda: update_user(engine, name, active=False))
    click.echo(f"已停用用户“{name}”")


@users.command(name="import", help="从 CSV 批量新建用户（列：用户名、角色、街道、邮箱、姓名、密码）。")
@click.argument("file", type=click.Path(dir_okay=False))
@CONFIG
@DB
def import_(file: str, config_file: str | None, db_url: str | None) -> None:
    from pathlib import Path

    from sync.cli_fail import fail
    from sync.user_import import import_users, read_user_csv

    path = Path(file)
    if not path.is_file():
        fail(f"找不到文件：{file}")
    rows = _user_error(lambda: read_user_csv(path.read_bytes(), path.name))
    engine = _engine(config_file, db_url)
    done = _user_error(lambda: import_users(engine, rows))
    for item in done:
        if not item.created:
            click.echo(f"{item.username}\t已存在，未改动")
        elif item.generated_password:
            click.echo(f"{item.username}\t已创建\t初始密码：{item.generated_password}")
        else:
            click.echo(f"{item.username}\t已创建")
    click.echo(f"共 {len(done)} 行：新建 {sum(i.created for i in done)} 个用户", err=True)


def _role_words(user) -> str:
    from sync.store.users import ROLES

    return ROLES[user.role] + (f"：{'、'.join(user.streets)}" if user.role == "staff" else "")
