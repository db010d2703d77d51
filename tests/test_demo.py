"""Demo workbooks: every planted mistake reported at its cell, clean rows valid, deterministic."""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from sync.cli import main
from sync.demo.city import (DEFAULT_SCALE, DEFAULT_SEED, HEADER_ROW, REPO_ROOT, generate_city, street_count,
                       write_sources_toml)
from sync.sources.readers import read_file
from sync.outputs.template import SHEET_TITLES
from sync.check.source import check_source

COMMITTED = REPO_ROOT / "data" / "demo"
# every kind of mistake the brief asks for, by the validator's check id
PLANTED_CHECKS = {
    "id_stored_as_number": "error", "id_number_valid": "error", "phone_valid": "error", "required": "error",
    "not_future": "error", "allowed_values": "error", "gender_matches_id": "error",
    "completed_on_required": "error", "completed_on_not_before_claimed_on": "error",
    "claimer_in_roster": "warning", "wish_id_unique": "error", "holder_required": "error", "range": "error",
}
# messy but valid: the normaliser absorbs them, the validator says nothing at their cells
ABSORBED = {"手机号是全角数字", "姓名中间有全角空格", "身份证号末位是小写x", "性别前后有空格", "状态后面多了空格"}
UNKNOWN_COLUMN = (SHEET_TITLES["roster"], None, "unknown_column", "info")  # the 微信号 column
STREET_COUNTS = [(0.001, 4), (0.01, 4), (0.25, 4), (0.5, 9), (1, 18), (10, 18)]


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    out = tmp_path_factory.mktemp("city")
    return [(f, check_source(read_file(f.path))) for f in generate_city(out)]


def _issues(results) -> set[tuple]:
    return {(i.sheet, i.cell, i.check, i.severity) for r in results for i in r.issues}


def _grids(path: Path) -> dict[str, list]:
    return {g.title: g.rows for g in read_file(path).grids}


def test_every_kind_of_mistake_is_planted(city):
    for f, _ in city:
        planted = {p.check: p.severity for p in f.planted if p.check}
        assert planted == PLANTED_CHECKS
        assert {p.what for p in f.planted if p.check is None} == ABSORBED


def test_validate_reports_exactly_the_planted_mistakes(city):
    for f, results in city:
        expected = {(p.sheet, p.cell, p.check, p.severity) for p in f.planted if p.check}
        assert _issues(results) == expected | {UNKNOWN_COLUMN}, f.name


def test_absorbed_mistakes_raise_nothing_at_their_cells(city):
    for f, results in city:
        flagged = {(i.sheet, i.cell) for r in results for i in r.issues}
        assert not [p for p in f.planted if p.check is None and (p.sheet, p.cell) in flagged]


def test_clean_rows_are_valid(city):
    for f, results in city:
        bad_rows = Counter(p.sheet for p in f.planted if p.severity == "error")  # one mistake a row
        for dataset, result in zip(SHEET_TITLES, results):
            assert (result.sheet, result.dataset, result.header_row) == (SHEET_TITLES[dataset], dataset, HEADER_ROW)
            assert result.rows == f.rows[dataset]
            assert result.valid_rows == result.rows - bad_rows[result.sheet]


def test_same_seed_same_workbooks_other_seed_other_people(tmp_path):
    first = generate_city(tmp_path / "a", seed=7)
    again = generate_city(tmp_path / "b", seed=7)
    other = generate_city(tmp_path / "c", seed=8)
    assert [f.planted for f in first] == [f.planted for f in again]
    for a, b, c in zip(first, again, other):
        assert _grids(a.path) == _grids(b.path)
        assert _grids(a.path)["报到名册"][HEADER_ROW:] != _grids(c.path)["报到名册"][HEADER_ROW:]


def test_process_pool_writes_the_same_city(tmp_path, monkeypatch):
    alone = generate_city(tmp_path / "alone")
    monkeypatch.setattr("sync.demo.city.PARALLEL_ROWS", 0)
    pooled = generate_city(tmp_path / "pooled")
    assert [(f.name, f.rows, f.planted) for f in pooled] == [(f.name, f.rows, f.planted) for f in alone]
    assert [_grids(f.path) for f in pooled] == [_grids(f.path) for f in alone]


def test_committed_demo_is_what_the_generator_makes(tmp_path):
    files = generate_city(tmp_path, DEFAULT_SCALE, DEFAULT_SEED)
    for f in files:
        assert _grids(COMMITTED / f.path.name) == _grids(f.path), f.name
    config = tomllib.loads((COMMITTED / "taizhang.toml").read_text(encoding="utf-8"))
    assert config["database"] == {"url": "sqlite:///data/taizhang.db"}
    assert [(s["name"], s["street"], s["district"], s["path"], tuple(s["communities"])) for s in config["sources"]] \
        == [(f.name, f.street, f.district, f"data/demo/{f.name}.xlsx", f.communities) for f in files]
    assert sorted(p.name for p in COMMITTED.glob("*.xlsx")) == sorted(f.path.name for f in files)


@pytest.mark.parametrize("scale,streets", STREET_COUNTS)
def test_street_count(scale, streets):
    assert street_count(scale) == streets


def test_scale_sets_the_city_size(tmp_path):
    files = generate_city(tmp_path, scale=0.1)
    totals = {d: sum(f.rows[d] for f in files) for d in SHEET_TITLES}
    assert totals == {"roster": 3600, "wishes": 3500, "posts": 200}
    assert [f.street for f in files] == ["上站街道", "下站街道", "桃林街道", "河坡街道"]
    assert files[0].communities == ("德胜街社区", "金三角社区", "市政府大院社区")
    assert len({c for f in files for c in f.communities}) == sum(len(f.communities) for f in files)


def test_sources_toml_has_the_registry_shape(tmp_path):
    files = generate_city(tmp_path / "data" / "demo")
    config = tomllib.loads(write_sources_toml(files, tmp_path / "t.toml", root=tmp_path).read_text("utf-8"))
    first = config["sources"][0]
    assert first == {"name": "shangzhan", "street": "上站街道", "district": "城区", "kind": "excel",
                     "path": "data/demo/shangzhan.xlsx", "communities": ["德胜街社区", "金三角社区", "市政府大院社区"],
                     "schedule": "*/30 * * * *", "recipients": ["shangzhan@example.org"]}
    assert {s["district"] for s in config["sources"]} == {"城区", "矿区", "郊区"}


def test_cli_demo_writes_workbooks_and_registry(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path), "--scale", "0.01", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hepo.xlsx", "shangzhan.xlsx", "taizhang.toml",
                                                          "taolin.xlsx", "xiazhan.xlsx"]
    assert "上站街道" in result.output and "taizhang.toml" in result.output
