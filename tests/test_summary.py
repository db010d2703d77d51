"""The summary table never disagrees with the rows: after random syncs, deletes, stale rows, held
runs and retired sources, and after migration 0008 rebuilds it for a mirror that already has rows.

The expected figures are aggregated here, in Python, straight from the data tables' live rows:
an oracle that shares no code with sync/store/summary.py.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from sync.registry import save_source
from sync.service import open_mirror, sync_sources
from sync.store.models import posts, roster, summary, wishes
from sync.store.summary import MEASURES
from tests.registers import write_config
from tests.validation_cases import person_id, write_xlsx

COMMUNITIES = ["德胜街社区", "金三角社区", "市政府大院社区"]
ROSTER = ["姓名", "身份证号", "性别", "联系电话", "工作单位", "报到社区", "报到日期"]
WISHES = ["心愿编号", "社区", "心愿人", "心愿内容", "登记日期", "状态", "认领人", "认领日期", "完成日期"]
POSTS = ["岗位编号", "社区", "岗位类型", "岗位名称", "责任人", "状态", "设岗日期", "活动次数", "服务时长"]
POST_TYPES = ["政策宣讲", "扶贫济困", "治安巡逻"]
FIRST = date(2019, 11, 1)


class Register:
    """One source's three worksheets as a model the test mutates at random, then writes."""

    def __init__(self, rng: random.Random, offset: int):
        self.rng, self.offset, self.next = rng, offset, 0
        self.rows: dict[str, dict[int, dict]] = {"roster": {}, "wishes": {}, "posts": {}}
        self.removed: dict[str, dict[int, dict]] = {"roster": {}, "wishes": {}, "posts": {}}

    def day(self) -> date:
        return FIRST + timedelta(days=self.rng.randrange(500))

    def new(self, dataset: str) -> dict:
        rng = self.rng
        if dataset == "roster":
            return {"community": rng.choice(COMMUNITIES), "on": self.day(), "bad": False}
        if dataset == "wishes":
            return {"community": rng.choice(COMMUNITIES), "on": self.day(),
                    "status": rng.choice(["待认领", "已认领", "已完成"]), "bad": False}
        return {"community": rng.choice(COMMUNITIES), "type": rng.choice(POST_TYPES),
                "status": rng.choice(["在岗", "空缺", "撤销"]), "on": rng.choice([None, self.day()]),
                "activities": rng.randrange(30), "hours": round(rng.uniform(0, 90), 1), "bad": False}

    def mutate(self) -> None:
        rng = self.rng
        for dataset, rows in self.rows.items():
            for _ in range(rng.randrange(2, 7)):
                self.next += 1
                rows[self.offset + self.next] = self.new(dataset)
            keys = sorted(rows) if len(rows) >= 6 else []  # never half a register: that sync would be held
            for key in rng.sample(keys, min(len(keys), rng.randrange(3))):  # gone from the sheet
                self.removed[dataset][key] = rows.pop(key)
            for key in rng.sample(sorted(rows), min(len(rows), rng.randrange(4))):  # edited
                rows[key] = {**self.new(dataset), "bad": False}
            for key in rng.sample(sorted(rows), min(len(rows), rng.randrange(3))):  # turned invalid (stale)
                rows[key]["bad"] = True
            for key in rng.sample(sorted(self.removed[dataset]), min(len(self.removed[dataset]), rng.randrange(2))):
                rows[key] = self.removed[dataset].pop(key)  # back in the sheet: restored

    def sheets(self) -> dict[str, list]:
        # a birth year per 500 numbers: the two streets never share a person (that would re-check the other)
        roster_rows = [[f"党员{n:04d}", person_id(n, born=f"{1980 + n // 500}0101", male=n % 2 == 1), "男" if n % 2 == 1 else "女",
                        "12345" if r["bad"] else f"138{n:08d}", "阳泉市供电公司", r["community"], r["on"]]
                       for n, r in sorted(self.rows["roster"].items())]
        wish_rows = []
        for n, r in sorted(self.rows["wishes"].items()):
            claimed = r["status"] != "待认领"
            done = r["status"] == "已完成" and not r["bad"]  # 已完成 without 完成日期: an error
            wish_rows.append([f"W{n:04d}", r["community"], "刘大妈", "需要一台轮椅", r["on"], r["status"] if not
                              r["bad"] else "已完成", "党员0001" if claimed or r["bad"] else None,
                              r["on"] + timedelta(days=2) if claimed or r["bad"] else None,
                              r["on"] + timedelta(days=5) if done else None])
        post_rows = [[f"G{n:04d}", r["community"], r["type"], "夜间巡逻", "党员0001" if r["status"] == "在岗" else None,
                      r["status"], r["on"], -3 if r["bad"] else r["activities"], r["hours"]]
                     for n, r in sorted(self.rows["posts"].items())]
        return {"报到名册": [ROSTER, *roster_rows], "微心愿": [WISHES, *wish_rows], "志愿服务岗": [POSTS, *post_rows]}


def month(day: date | None) -> date | None:
    return None if day is None else day.replace(day=1)


def from_rows(conn) -> dict[tuple, dict]:
    """What the summary must hold, aggregated in Python from every live data row."""
    found: dict[tuple, Counter] = {}

    def add(key: tuple, **values) -> None:
        found.setdefault(key, Counter()).update(values)

    for row in conn.execute(select(roster).where(roster.c.deleted_at.is_(None))).mappings():
        add((row["source"], row["community"], month(row["registered_on"]), None), members=1)
    for row in conn.execute(select(wishes).where(wishes.c.deleted_at.is_(None))).mappings():
        add((row["source"], row["community"], month(row["raised_on"]), None), wishes=1,
            claimed=int(row["status"] in ("已认领", "已完成")), completed=int(row["status"] == "已完成"))
    for row in conn.execute(select(posts).where(posts.c.deleted_at.is_(None))).mappings():
        status = row["status"]
        values = {"posts": int(status != "撤销"), "staffed": int(status == "在岗"), "vacant": int(status == "空缺"),
                  "revoked": int(status == "撤销"), "activities": row["activities"] or 0,
                  "service_hours": row["service_hours"] or 0.0}
        add((row["source"], row["community"], month(row["started_on"]), None), **values)
        add((row["source"], row["community"], None, row["post_type"]), **values)
    return {k: {m: round(v[m], 6) for m in MEASURES} for k, v in found.items()}


def from_summary(conn) -> dict[tuple, dict]:
    found = {}
    for r in conn.execute(select(summary)).mappings():
        key = (r["source"], r["community"], r["month"], r["post_type"])
        assert key not in found, f"summary key twice: {key}"
        found[key] = {m: round(r[m], 6) for m in MEASURES}
    return found


def assert_in_step(engine) -> None:
    with engine.connect() as conn:
        expected, stored = from_rows(conn), from_summary(conn)
    assert expected, "the test synced no rows"
    assert stored == expected


@pytest.fixture
def city(tmp_path, db_url):
    books = {name: tmp_path / f"{name}.xlsx" for name in ("shangzhan", "xiazhan")}
    config = write_config(tmp_path / "taizhang.toml", db_url, [
        {"name": name, "street": street, "district": "城区", "kind": "excel", "path": str(books[name])}
        for name, street in (("shangzhan", "上站街道"), ("xiazhan", "下站街道"))])
    mirror = open_mirror(str(config))
    yield mirror, books
    mirror.engine.dispose()


@pytest.mark.parametrize("seed", [1, 2])
def test_summary_equals_the_rows_after_random_syncs_deletes_stale_rows_and_retired_sources(city, seed):
    mirror, books = city
    rng = random.Random(seed)
    registers = {name: Register(rng, offset) for name, offset in (("shangzhan", 0), ("xiazhan", 500))}
    statuses = []
    for _round in range(5):
        for name, register in registers.items():
            register.mutate()
            write_xlsx(books[name], register.sheets())
        statuses += [r.status for r in sync_sources(mirror)]
        assert_in_step(mirror.engine)
    assert set(statuses) == {"ok"}
    # a held run (the roster came back empty) leaves rows and summary as they were
    sheets = registers["shangzhan"].sheets()
    write_xlsx(books["shangzhan"], {**sheets, "报到名册": sheets["报到名册"][:1]})
    assert sync_sources(mirror, ["shangzhan"])[0].status == "held"
    assert_in_step(mirror.engine)
    # a retired source keeps its rows in the mirror, and its summary rows with them
    save_source(mirror.engine, "xiazhan", {"enabled": False})
    registers["shangzhan"].mutate()
    write_xlsx(books["shangzhan"], registers["shangzhan"].sheets())
    assert [r.source for r in sync_sources(mirror)] == ["shangzhan"]
    assert_in_step(mirror.engine)
    with mirror.engine.connect() as conn:
        assert conn.execute(select(summary.c.id).where(summary.c.source == "xiazhan")).first() is not None
        stale = conn.execute(select(roster.c.id).where(roster.c.stale.is_(True), roster.c.deleted_at.is_(None)))
        assert stale.first() is not None, "the random rounds made no stale row: the test lost its point"


def test_migration_0008_fills_the_summary_for_a_mirror_that_has_rows(city):
    from alembic import command

    from sync.store.db import alembic_config, upgrade

    mirror, books = city
    register = Register(random.Random(3), 0)
    register.mutate()
    write_xlsx(books["shangzhan"], register.sheets())
    sync_sources(mirror, ["shangzhan"])
    with mirror.engine.begin() as connection:  # back to the schema before the summary table
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    upgrade(mirror.engine)
    assert_in_step(mirror.engine)
