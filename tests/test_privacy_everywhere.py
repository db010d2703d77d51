"""Issue 14, point 4: an ID number or a phone is masked wherever it is stored or shown,
whichever column it came from.

Before: a phone shifted into 性别 by "delete cell, shift left" was stored in the issue and shown
in full on the data-quality page, in downloads and in ``validate --format json``; a full ID
typed into 姓名 or a phone in 备注 was shown to supervisors.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date

import pytest
from sqlalchemy import insert, select, update

from pages.common import csv_bytes
from sync.check.privacy import mask_text
from sync.queries.records import records
from sync.service import open_mirror, sync_sources
from sync.store.db import alembic_config, make_engine, upgrade
from sync.store.models import issues, roster, row_history
from tests.app_world import rendered, sign_in
from tests.conftest import ROOT
from tests.registers import write_config
from tests.validation_cases import person_id, write_xlsx

# a full ID number, mobile or landline, anywhere
FULL = re.compile(r"(?<![0-9])([0-9]{17}[0-9Xx]|1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")
EXAMPLE = "0353-1234567"  # the example landline our own messages quote ("座机如 0353-1234567")
def make_id(n: int) -> str:
    return person_id(n, born="19850307")


HEADERS = ["姓名", "身份证号", "性别", "联系电话", "工作单位", "报到社区", "报到日期", "备注"]
ID_IN_NAME = make_id(7)
NOTE = f"家属电话13912345678，座机0353-2021234，身份证{make_id(8)}"


def person(n: int, **changes) -> list:
    row = {"姓名": f"党员{n:03d}", "身份证号": make_id(n), "性别": "男", "联系电话": f"138{n:08d}",
           "工作单位": "阳泉市供电公司", "报到社区": "德胜街社区", "报到日期": date(2020, 8, 10), "备注": "无"}
    row.update(changes)
    return [row[h] for h in HEADERS]


def leaky_rows(note: str = NOTE) -> list[list]:
    # "delete cell, shift left": 联系电话 moved into 性别, the row ends one cell early
    shifted = person(1)
    shifted[2:] = shifted[3:] + [""]
    return [HEADERS, shifted,
            person(3, 性别="0353-2021234"),  # a landline where 性别 belongs
            person(5, 姓名=ID_IN_NAME),  # an ID number typed into 姓名: a valid row (18 characters)
            person(9, 备注=note)]  # a phone, a landline and an ID in 备注


# (text, masked)
MASK_CASES = [
    ("13812345678", "138****5678"),
    ("0353-2021234", "035*****1234"),
    ("03532021234", "035****1234"),
    (make_id(7), make_id(7)[:6] + "********" + make_id(7)[-4:]),
    ("电话：13812345678。", "电话：138****5678。"),
    ("编号 W0001，2020年8月10日，活动12次", "编号 W0001，2020年8月10日，活动12次"),
    ("138123456789", "138123456789"),  # 12 digits: not a mobile
    (None, None),
    (12, 12),
]


@pytest.mark.parametrize("text, masked", MASK_CASES)
def test_mask_text(text, masked):
    assert mask_text(text) == masked


def test_validate_json_masks_every_id_and_phone(tmp_path):
    path = write_xlsx(tmp_path / "名册.xlsx", {"报到名册": leaky_rows()})
    done = subprocess.run([sys.executable, "-m", "sync", "validate", str(path), "--format", "json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=os.environ.copy())
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    values = {i["cell"]: i["value"] for s in report["sheets"] for i in s["issues"]}
    assert values["C2"] == "138****0001" and values["C3"] == "035*****1234"
    assert FULL.findall(done.stdout.replace(EXAMPLE, "")) == []


def synced_once(tmp_path, db_url):
    """A one-source mirror synced from a roster whose free text holds an ID and a phone; its workbook."""
    book = write_xlsx(tmp_path / "a.xlsx", {"报到名册": leaky_rows(note="无")})
    config = write_config(tmp_path / "taizhang.toml", db_url,
                          [{"name": "a", "street": "上站街道", "kind": "excel", "path": str(book)}])
    mirror = open_mirror(str(config))
    sync_sources(mirror)
    return book, mirror


def test_the_mirror_stores_no_id_or_phone_outside_their_columns(tmp_path, db_url):
    book, mirror = synced_once(tmp_path, db_url)
    write_xlsx(book, {"报到名册": leaky_rows()})  # 备注 edited: the change goes to row_history
    [result] = sync_sources(mirror)
    assert result.status == "ok" and result.updated == 1
    with mirror.engine.connect() as conn:
        stored = [*conn.execute(select(issues.c.value, issues.c.message, issues.c.column)).all(),
                  *conn.execute(select(row_history.c.old, row_history.c.new)).all(),
                  *conn.execute(select(roster.c.name, roster.c.note, roster.c.employer)).all()]
        names = set(conn.execute(select(roster.c.name)).scalars())
    assert [v for row in stored for v in row if isinstance(v, str) and FULL.search(v.replace(EXAMPLE, ""))] == []
    assert mask_text(ID_IN_NAME) in names
    mirror.engine.dispose()


def test_rows_stored_before_masking_are_masked_when_listed(tmp_path, db_url):
    _book, mirror = synced_once(tmp_path, db_url)
    with mirror.engine.begin() as conn:  # as a row written before free text was masked on the way in
        conn.execute(update(roster).values(note=NOTE, name=ID_IN_NAME))
    listed = records(mirror.engine, mirror.vault, "roster", ("上站街道",), limit=None)[0]
    assert FULL.findall(listed.to_string()) == []
    revealed = records(mirror.engine, mirror.vault, "roster", ("上站街道",), limit=None, reveal=True)[0]
    assert set(revealed["备注"]) == {NOTE}  # an admin who switches full values on sees what is stored
    mirror.engine.dispose()


def test_stored_issues_and_history_are_masked_by_the_migration(db_url):
    from alembic import command

    engine = make_engine(db_url)
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "0005")  # a mirror from before this change (0006 masks)
    with engine.begin() as conn:
        conn.execute(insert(issues).values(source="a", severity="error", sheet="名册", check="allowed_values",
                                           value="13812345678", message="“13812345678”不是允许的性别（如 0353-1234567）"))
        conn.execute(insert(row_history).values(run_id=1, dataset="roster", source="a", row_id=1, change="update",
                                                field="note", old="无", new="电话0353-2021234",
                                                changed_at=date(2026, 1, 1)))
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(select(issues.c.value, issues.c.message)).one() == (
            "138****5678", "“138****5678”不是允许的性别（如 0353-1234567）")
        assert conn.execute(select(row_history.c.old, row_history.c.new)).one() == ("无", "电话035*****1234")
    engine.dispose()


def test_supervisors_see_and_download_no_id_or_phone(own_world):
    write_xlsx(own_world.root / "shangzhan.xlsx", {"报到名册": leaky_rows()})
    mirror = open_mirror()
    assert [r.status for r in sync_sources(mirror, ["shangzhan"], allow_mass_delete=True)] == ["ok"]
    for page in ("pages/quality.py", "pages/street.py"):
        at = sign_in("supervisor")
        at.switch_page(page).run()
        assert not at.exception, at.exception
        assert FULL.findall(rendered(at).replace(EXAMPLE, "")) == [], page
    download = csv_bytes(records(mirror.engine, mirror.vault, "roster", ("上站街道",), limit=None)[0]).decode("utf-8-sig")
    assert "备注" in download and FULL.findall(download) == []
    mirror.engine.dispose()
