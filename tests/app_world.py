"""A small city for the app's tests: three streets' workbooks, synced for real into a temp SQLite mirror.

Every street has its own people, so a test can assert that one street's names, wish numbers
and ID numbers never reach a user bound to another street.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from sync import settings
from tests.validation_cases import person_id, write_xlsx, wrong_check

ADMIN_PASSWORD = "admin-pass-123"
PASSWORD = "street-pass-123"

# street -> (district, source name, communities, members' names, wish id prefix, first ID sequence)
STREETS = {
    "上站街道": ("城区", "shangzhan", ["德胜街社区", "金三角社区"], ["张上站", "李上站", "王上站"], "SZ", 1),
    "下站街道": ("城区", "xiazhan", ["滨河西社区"], ["赵下站", "钱下站"], "XZ", 11),
    "新源街道": ("矿区", "xinyuan", ["新源社区"], ["孙新源"], "XY", 21),
}


ROSTER = ["身份证号", "姓名", "性别", "联系电话", "工作单位", "报到社区", "网格", "报到日期"]
WISHES = ["心愿编号", "社区", "心愿人", "联系电话", "心愿内容", "登记日期", "状态", "认领人", "认领日期", "完成日期"]
POSTS = ["岗位编号", "社区", "岗位类型", "岗位名称", "责任人", "联系电话", "活动次数", "服务时长", "状态"]


@dataclass(frozen=True)
class World:
    root: Path
    config: Path
    db_url: str
    ids: dict[str, list[str]]  # street -> its members' full ID numbers


def street_sheets(street: str) -> tuple[dict[str, list], list[str]]:
    _district, _name, communities, names, prefix, seq = STREETS[street]
    ids = [person_id(seq + i) for i in range(len(names))]
    roster = [ROSTER] + [[ids[i], n, "男" if int(ids[i][16]) % 2 else "女", f"1381234{seq + i:04d}", "阳泉市城区人民政府",
                          communities[i % len(communities)], f"第{i % 2 + 1}网格", f"2020-0{i % 3 + 6}-10"]
                         for i, n in enumerate(names)]
    if street == "上站街道":  # a wrong check digit: an error for the data-quality page
        roster.append([wrong_check(person_id(99)), "错号码", "男", "13812340099", "某单位", communities[0], "", "2020-06-10"])
    statuses = ["已完成", "已认领", "待认领", "待认领"]
    wishes = [WISHES] + [[f"{prefix}-{i + 1:03d}", communities[i % len(communities)], f"{prefix}居民{i + 1}",
                          f"1390000{i:04d}", "家里水管漏水，希望有人帮忙修理", f"2020-0{i % 3 + 6}-01", statuses[i],
                          names[0] if i < 2 else "", "2020-08-03" if i < 2 else "", "2020-08-05" if i == 0 else ""]
                         for i in range(4)]
    posts = [POSTS] + [[f"{prefix}-GW-{i + 1}", communities[0], ["政策宣讲", "治安巡逻"][i], "宣讲员",
                        names[0] if i == 0 else "", "13812345678", 12 * (i + 1), 36.5, ["在岗", "空缺"][i]]
                       for i in range(2)]
    return {"报到名册": roster, "微心愿": wishes, "志愿服务岗": posts}, ids


def build_world(root: Path, uploads: tuple[str, ...] = ()) -> World:
    """Write the workbooks and the TOML configuration (nothing synced yet). The sources named in
    ``uploads`` are fed by hand-ins (kind ``upload``): their workbook is the first version."""
    from sync.sources.kinds.upload import version_file

    root.mkdir(parents=True, exist_ok=True)
    lines, ids = [], {}
    for street, (district, name, communities, *_rest) in STREETS.items():
        sheets, ids[street] = street_sheets(street)
        path = write_xlsx(root / f"{name}.xlsx", sheets)
        kind = "excel"
        if name in uploads:
            kind, data = "upload", path.read_bytes()
            path = version_file(name, path.name, data)
            (root / "data" / path).parent.mkdir(parents=True, exist_ok=True)
            (root / "data" / path).write_bytes(data)
        lines += ["[[sources]]", f'name = "{name}"', f'street = "{street}"', f'district = "{district}"',
                  f'kind = "{kind}"', f'path = "{path}"', f"communities = {communities!r}".replace("'", '"'), ""]
    config = root / "taizhang.toml"
    config.write_text("\n".join(lines), encoding="utf-8")
    return World(root, config, f"sqlite:///{root / 'mirror.db'}", ids)


def world_env(world: World) -> dict[str, str]:
    """The environment the app reads: this world's config, database and data folder."""
    return {"TAIZHANG_CONFIG": str(world.config), "TAIZHANG_DATABASE_URL": world.db_url,
            "TAIZHANG_DATA_DIR": str(world.root / "data"), "TAIZHANG_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "TAIZHANG_SECRET_KEY": base64.urlsafe_b64encode(b"k" * 32).decode(),
            "TAIZHANG_EMBEDDED_WORKER": "0", "TAIZHANG_SESSION_MINUTES": "480"}


def apply_env(monkeypatch, world: World) -> None:
    for name in settings.SETTINGS:
        monkeypatch.delenv(name, raising=False)
    for name, value in world_env(world).items():
        monkeypatch.setenv(name, value)
    settings._secrets.cache_clear()


def add_users(db_url: str) -> None:
    """A supervisor and two street staff (one bound to 上站街道, one to 下站街道 and 新源街道)."""
    from sync.store.db import make_engine
    from sync.store.users import create_user

    engine = make_engine(db_url)
    create_user(engine, "supervisor", PASSWORD, "supervisor")
    create_user(engine, "shangzhan", PASSWORD, "staff", ["上站街道"])
    create_user(engine, "xiazhan", PASSWORD, "staff", ["下站街道", "新源街道"])
    engine.dispose()


APP = Path(__file__).resolve().parent.parent / "ui.py"  # the Streamlit script app.py serves
PASSWORDS = {"admin": ADMIN_PASSWORD}


def synced_world(root: Path, uploads: tuple[str, ...] = ()) -> World:
    """A world whose sources are synced and whose users exist, as after the app's first start."""
    from sync.service import open_mirror, sync_sources
    from sync.sources.kinds.upload import stored_path
    from sync.store.users import ensure_admin
    from sync.submissions import record_version

    world = build_world(root, uploads)
    with pytest.MonkeyPatch.context() as patch:
        apply_env(patch, world)
        mirror = open_mirror()
        for source in (s for s in mirror.config.sources if s["name"] in uploads):
            record_version(mirror.engine, source["name"], f"{source['name']}.xlsx",
                           stored_path(source["path"]).read_bytes(), "admin")
        sync_sources(mirror)
        ensure_admin(mirror.engine)
        mirror.engine.dispose()
    add_users(world.db_url)
    settings._secrets.cache_clear()
    return world


def sign_in(username: str, password: str | None = None, query: dict[str, str] | None = None) -> AppTest:
    """The app after signing in through its login form; opened with ``query`` in its URL when given
    (a bookmarked or shared link)."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params.update(query or {})
    at.run()
    fields = {t.label: t for t in at.text_input}
    fields["用户名"].input(username)
    fields["密码"].input(password or PASSWORDS.get(username, PASSWORD))
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def open_page(username: str, page: str) -> AppTest:
    """The app signed in as ``username``, switched to ``page`` (``pages/….py``), which raised nothing."""
    at = sign_in(username)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def by_label(widgets, label: str):
    """The first of ``widgets`` (``at.button``, ``at.text_input`` …) whose label starts with ``label``."""
    return next(w for w in widgets if w.label.startswith(label))


def rendered(at: AppTest) -> str:
    """Every value, label and option the page rendered, as one text (tables included)."""
    out: list[str] = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            walk(child)
        for attr in ("value", "options", "label", "body"):
            try:
                value = getattr(node, attr)
            except Exception:  # an element without this attribute, or an unset widget
                continue
            out.append(value.to_string() if isinstance(value, pd.DataFrame) else str(value))

    walk(at._tree)
    return "\n".join(out)


def forget_app_state() -> None:
    """Streamlit's caches and the cached secrets live across tests: clear them after each."""
    st.cache_resource.clear()
    st.cache_data.clear()
    settings._secrets.cache_clear()


class IssueTable(HTMLParser):
    """The rows of the page's issue list (pages.issue_view), read back from its HTML as text."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "tr" and self.headers:
            self.rows.append([])
        if tag in ("th", "td"):
            self._cell = []

    def handle_data(self, data) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def handle_endtag(self, tag) -> None:
        if tag in ("th", "td") and self._cell is not None:
            (self.rows[-1] if tag == "td" else self.headers).append("".join(self._cell))
            self._cell = None


def issue_list(at: AppTest) -> list[dict[str, str]]:
    """Every issue the page drew as text (the escaped HTML list), one dict per issue by column."""
    found = []
    for element in at.get("html"):
        if 'class="tz-issues"' in element.value:
            table = IssueTable()
            table.feed(element.value)
            found += [dict(zip(table.headers, row)) for row in table.rows]
    return found


