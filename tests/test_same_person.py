"""The same person on two rosters (issue 13): a warning at both cells, in both streets' reports, and
gone from both when one side removes them. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from jobs.report_data import streets
from sync.queries import quality
from sync.service import open_mirror, sync_sources
from sync.store.models import issues, roster
from tests.registers import roster_row, write_config, write_register

SHARED = 7  # roster_row(7): the person on both rosters


@pytest.fixture
def city(tmp_path, db_url):
    """Two sources; ``write(name, numbers, community)`` rewrites one's roster, ``sync()`` syncs all."""
    places = {"shangzhan": ("上站街道", "德胜街社区"), "xiazhan": ("下站街道", "滨河西社区")}

    class City:
        config = write_config(tmp_path / "taizhang.toml", db_url, [
            {"name": name, "street": street, "district": "城区", "kind": "excel", "path": str(tmp_path / f"{name}.xlsx")}
            for name, (street, _community) in places.items()])

        def write(self, name: str, numbers, community: str | None = None):
            community = community or places[name][1]
            write_register(tmp_path / f"{name}.xlsx", [roster_row(n, 报到社区=community) for n in numbers])

        def sync(self, **kw):
            mirror = open_mirror(str(self.config))
            try:
                return [(r.source, r.status, r.inserted, r.updated) for r in sync_sources(mirror, **kw)]
            finally:
                mirror.engine.dispose()

        def run(self, query):
            mirror = open_mirror(str(self.config))
            try:
                if callable(query):
                    return query(mirror.engine)
                with mirror.engine.connect() as conn:
                    return conn.execute(query).all()
            finally:
                mirror.engine.dispose()

        def warnings(self):
            return sorted(self.run(select(issues.c.source, issues.c.cell, issues.c.value, issues.c.message)
                                   .where(issues.c.check == "registered_elsewhere")))

    return City()


def test_a_person_on_two_streets_rosters_is_a_warning_at_both_cells(city):
    city.write("shangzhan", [1, 2, SHARED])
    city.write("xiazhan", [11, 12, 13, SHARED])
    runs = city.sync()
    # xiazhan's sync finds the person in shangzhan and has shangzhan checked again, in the same run
    assert runs == [("shangzhan", "ok", 3, 0), ("xiazhan", "ok", 4, 0), ("shangzhan", "ok", 0, 1)]
    number = roster_row(SHARED)[1]
    masked = number[:6] + "********" + number[-4:]
    assert city.warnings() == [
        ("shangzhan", "B5", masked, "同一人也在下站街道滨河西社区（数据源“xiazhan”）报到：在职党员只在一个居住社区报到，请核实后只保留一处"),
        ("xiazhan", "B6", masked, "同一人也在上站街道德胜街社区（数据源“shangzhan”）报到：在职党员只在一个居住社区报到，请核实后只保留一处")]
    flagged = city.run(select(roster.c.source).where(roster.c.warned.is_(True)).order_by(roster.c.source))
    assert flagged == [("shangzhan",), ("xiazhan",)]
    reported = city.run(lambda engine: {d.street: [i["check"] for i in d.issues] for d in streets(engine)})
    assert reported == {"上站街道": ["registered_elsewhere"], "下站街道": ["registered_elsewhere"]}
    listed, total = city.run(lambda engine: quality.issue_list(engine, None, check="registered_elsewhere"))
    assert total == 2 and list(listed["街道"]) == ["上站街道", "下站街道"]
    assert city.sync() == [("shangzhan", "unchanged", 0, 0), ("xiazhan", "unchanged", 0, 0)]  # no ping-pong


def test_the_warning_goes_from_both_sides_when_one_removes_the_person(city):
    city.write("shangzhan", [1, 2, SHARED])
    city.write("xiazhan", [11, 12, 13, SHARED])
    city.sync()
    city.write("xiazhan", [11, 12, 13])
    runs = city.sync()
    assert runs == [("shangzhan", "unchanged", 0, 0), ("xiazhan", "ok", 0, 0), ("shangzhan", "ok", 0, 1)]
    assert city.warnings() == []


def test_the_same_person_twice_in_one_street_under_two_communities(city, tmp_path):
    city.write("shangzhan", [1, SHARED])
    write_register(tmp_path / "jinsanjiao.xlsx", [roster_row(n, 报到社区="金三角社区") for n in (21, SHARED)])
    config = Path(city.config)
    config.write_text(config.read_text(encoding="utf-8") + "\n".join([
        "[[sources]]", 'name = "jinsanjiao"', 'street = "上站街道"', 'district = "城区"', 'kind = "excel"',
        f'path = "{tmp_path / "jinsanjiao.xlsx"}"', ""]), encoding="utf-8")
    city.sync()
    found = {(source, message.split("：")[0]) for source, _cell, _value, message in city.warnings()}
    assert found == {("jinsanjiao", "同一人也在本街道德胜街社区（数据源“shangzhan”）报到"),
                     ("shangzhan", "同一人也在本街道金三角社区（数据源“jinsanjiao”）报到")}


def test_a_retired_sources_people_count_no_more(city, db_url, tmp_path):
    city.write("shangzhan", [1, 2, SHARED])
    city.write("xiazhan", [11, 12, 13, SHARED])
    city.sync()
    write_config(Path(city.config), db_url, [{"name": "shangzhan", "street": "上站街道", "district": "城区",
                                              "kind": "excel", "path": str(tmp_path / "shangzhan.xlsx")}])
    runs = city.sync()  # xiazhan retired: shangzhan is checked again although its sheet did not change
    assert runs == [("shangzhan", "ok", 0, 1)]
    assert city.warnings() == []


def test_a_recheck_in_the_same_run_validates_no_workbook_twice(city):
    """Issue 17: the re-check applies the mirror's rule again to results kept from earlier in the run."""
    city.write("shangzhan", [1, 2, SHARED])
    city.write("xiazhan", [11, 12, 13, SHARED])
    said: list[str] = []
    runs = city.sync(progress=said.append)
    assert runs == [("shangzhan", "ok", 3, 0), ("xiazhan", "ok", 4, 0), ("shangzhan", "ok", 0, 1)]
    assert [m.split("：")[0] for m in said if "校验" in m] == ["shangzhan", "xiazhan"]
    assert [source for source, *_ in city.warnings()] == ["shangzhan", "xiazhan"]
    flagged = city.run(select(roster.c.source, roster.c.warned).order_by(roster.c.source, roster.c.id))
    assert flagged.count(("shangzhan", True)) == 1 and flagged.count(("xiazhan", True)) == 1


def test_a_workbook_edited_during_the_run_is_read_again_for_its_recheck(city):
    """Kept results stand for the bytes they came from only: an edit before the re-check is read."""
    city.write("shangzhan", [1, 2, SHARED])
    city.write("xiazhan", [11, 12, 13, SHARED])

    def edit_while_xiazhan_writes(message: str) -> None:
        if message == "xiazhan：写入数据库":
            city.write("shangzhan", [1, 2, 3, SHARED])

    runs = city.sync(progress=edit_while_xiazhan_writes)
    assert runs == [("shangzhan", "ok", 3, 0), ("xiazhan", "ok", 4, 0), ("shangzhan", "ok", 1, 1)]
    assert [source for source, *_ in city.warnings()] == ["shangzhan", "xiazhan"]
