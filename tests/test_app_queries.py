"""The dashboard queries on SQLite and PostgreSQL: same numbers, street scope honoured, dates portable."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from sync.queries import overview, quality, ranking, records, wishes
from sync.queries.scope import masked_phones
from sync.service import open_mirror, sync_sources
from tests.app_world import apply_env, build_world

TODAY = date(2020, 9, 1)


@pytest.fixture
def engine(db_url, tmp_path, monkeypatch):
    world = build_world(tmp_path / "city")
    apply_env(monkeypatch, world)
    mirror = open_mirror(db_url=db_url)
    sync_sources(mirror)
    yield mirror.engine
    mirror.engine.dispose()


def test_by_place_and_totals(engine):
    table = overview.by_place(engine, None)
    assert table.set_index("community")["members"].to_dict() == {"德胜街社区": 2, "金三角社区": 1, "滨河西社区": 2,
                                                                   "新源社区": 1}
    totals = overview.totals(table)
    assert (totals["wishes"], totals["claimed"], totals["completed"], totals["claim_rate"]) == (12, 6, 3, 0.5)
    assert overview.totals(overview.by_place(engine, ("下站街道",)))["members"] == 2
    assert overview.by_place(engine, ("无此街道",)).empty


def test_period_filter_and_monthly_trends(engine):
    table = overview.by_place(engine, None, date(2020, 7, 1), date(2020, 7, 31))
    assert overview.totals(table)["members"] == 2  # registered 2020-07-10: 李上站 and 钱下站
    months = overview.monthly(engine, ("上站街道",))
    dated = months.dropna(subset=["month"])  # the undated row holds the posts without a 设岗日期
    assert months["month"].isna().sum() == 1 and months.loc[months["month"].isna(), "posts"].item() == 2
    counts = dated.set_index(dated["month"].dt.strftime("%Y-%m"))[["members", "wishes", "claimed", "completed"]]
    assert counts.to_dict("index") == {"2020-06": {"members": 1, "wishes": 2, "claimed": 1, "completed": 1},
                                       "2020-07": {"members": 1, "wishes": 1, "claimed": 1, "completed": 0},
                                       "2020-08": {"members": 1, "wishes": 1, "claimed": 0, "completed": 0}}
    running = overview.cumulative(months)
    assert running[["members", "wishes"]].values.tolist() == [[1, 2], [2, 3], [3, 4]]
    assert overview.cumulative(months, date(2020, 7, 1), date(2020, 9, 30))["members"].tolist() == [2, 3, 3]
    assert overview.cumulative(months, date(2021, 1, 1), date(2021, 12, 31))["members"].tolist() == [3] * 12
    assert overview.cumulative(months, date(2019, 1, 1), date(2019, 12, 31)).empty
    quarters = overview.quarterly(months)
    assert quarters.to_dict("records") == [{"quarter": "2020年Q2", "wishes": 2, "claim_rate": 0.5, "completion_rate": 0.5},
                                           {"quarter": "2020年Q3", "wishes": 2, "claim_rate": 0.5, "completion_rate": 0.0}]
    assert overview.quarterly(months, date(2021, 1, 1), date(2021, 12, 31)).empty


@pytest.mark.parametrize("start, end", [(None, None), (date(2020, 7, 1), date(2020, 7, 31)),
                                        (date(2020, 1, 1), date(2020, 6, 30)), (date(2021, 1, 1), date(2021, 6, 30))])
def test_kpis_from_the_months_agree_with_the_place_table(engine, start, end):
    kpis = overview.kpis(overview.monthly(engine, None), start, end)
    assert kpis == overview.totals(overview.by_place(engine, None, start, end))


def test_kpis_of_an_earlier_end_count_posts_set_up_by_then(engine):
    months = overview.monthly(engine, None)
    assert overview.kpis(months)["posts"] == 6  # the posts have no 设岗日期: always counted
    june, july = overview.kpis(months, None, date(2020, 6, 30)), overview.kpis(months, None, date(2020, 7, 31))
    assert (june["members"], july["members"], june["posts"]) == (3, 5, 6)  # members by then; undated posts always


def test_posts_by_type_and_the_street_ranking(engine):
    types = overview.posts_by_type(engine, None).set_index("post_type")
    assert types.loc["政策宣讲", ["posts", "staffed", "activities"]].tolist() == [3, 3, 36]
    assert types.loc["治安巡逻", ["posts", "vacant", "service_hours"]].tolist() == [3, 3, 109.5]
    health = ranking.street_health(engine, None).set_index("street")
    assert health.loc["上站街道", "errors"] == 1 and health.loc["下站街道", "errors"] == 0
    assert health["last_ok_at"].notna().all() and health["changed_at"].notna().all()
    ranked = ranking.ranking(overview.by_place(engine, None), health.reset_index(), "street",
                             datetime.now(UTC))
    assert ranked["street"].tolist() == ["上站街道", "下站街道", "新源街道"]  # 25% complete each: most members first
    assert ranked["days_unchanged"].tolist() == [0, 0, 0] and ranked["errors"].tolist() == [1, 0, 0]
    one = ranking.ranking(overview.by_place(engine, ("上站街道",)), None, ranking.level_for(("上站街道",)),
                          datetime.now(UTC))
    assert one["community"].tolist() == ["德胜街社区", "金三角社区"] and one["rank"].tolist() == [1, 2]


def test_wish_durations_and_waiting(engine):
    per_street = wishes.durations(engine, None, today=TODAY).set_index("street")
    assert per_street.loc["上站街道", "days_to_claim"] == pytest.approx((63 + 33) / 2)  # 06-01→08-03, 07-01→08-03
    assert per_street.loc["上站街道", "days_to_complete"] == 2 and per_street.loc["上站街道", "waiting"] == 2
    rows, total = wishes.waiting(engine, ("下站街道",), TODAY)
    assert total == 2 and list(rows["心愿编号"]) == ["XZ-004", "XZ-003"] and list(rows["等待天数"]) == [92, 31]


def test_records_are_scoped_searched_and_masked(engine):
    vault = open_mirror().vault
    rows, total = records.records(engine, vault, "roster", ("上站街道",), search="李")
    assert total == 1 and rows["姓名"][0] == "李上站" and "********" in rows["身份证号"][0]
    rows, total = records.records(engine, vault, "wishes", ("新源街道",), search="SZ-")
    assert total == 0


def test_quality_queries(engine):
    issues, total = quality.issue_list(engine, ("上站街道",))
    assert total == 1 and issues["单元格"][0] == "A5"
    assert quality.issue_list(engine, ("下站街道",))[1] == 0
    health = quality.source_health(engine, None).set_index("name")
    assert health.loc["shangzhan", "errors"] == 1 and health.loc["xiazhan", "last_status"] == "ok"
    assert len(quality.stale_sheets(engine, None, 0, datetime.now(UTC))) == 9
    assert len(quality.run_history(engine, ("新源街道",))) == 1 and quality.held_sources(engine, None).empty


def test_masked_phones_keep_empty_cells_empty():
    # regression: a page of rows whose phone cells were all empty came back as NaN and crashed the mask
    masked = masked_phones(pd.Series([None, float("nan"), "13812345678"]))
    assert masked.isna().tolist() == [True, True, False] and masked[2] == "138****5678"
