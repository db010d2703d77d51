"""The check stage asks the pandera models cell by cell (issue 17): ``schema_failures`` must report
exactly the failure cases ``schema.validate(frame, lazy=True)`` reports, for every dataset, and
``already_clean`` must agree with the normaliser it stands in for."""

from __future__ import annotations

from datetime import date, timedelta

import pandera.errors
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas import DATASETS
from sync.check.normalize import CLEAN_KINDS, already_clean, normalise
from sync.check.source import check_source
from sync.check.validate import schema_failures
from sync.sources.readers import read_file
from tests.registers import post_row, roster_row, wish_row, write_register
from tests.validation_cases import person_id

LATER = date.today() + timedelta(days=30)

# (dataset, rows, any failure): valid rows and rows breaking every check of the model, nulls included
CASES = [
    ("roster", [roster_row(1), roster_row(2, 姓名="李"), roster_row(3, 性别="男性"), roster_row(4, 联系电话="12345"),
                roster_row(5, 身份证号=person_id(5)[:17] + "0"), roster_row(6, 工作单位=None, 报到社区=""),
                roster_row(7, 报到日期=LATER), roster_row(8, 姓名=None, 身份证号=None, 联系电话=None, 报到日期=None)], True),
    ("wishes", [wish_row(1), wish_row(2, 心愿内容="需" * 201), wish_row(3, 状态="办理中"), wish_row(4, 登记日期=LATER),
                wish_row(5, 认领日期=LATER, 完成日期=LATER), wish_row(6, 心愿人=None, 社区=None, 状态=None)], True),
    ("posts", [post_row(1), post_row(2, 岗位类型="站岗"), post_row(3, 活动次数=-1), post_row(4, **{"服务时长（小时）": 10001}),
               post_row(5, 状态="暂停"), post_row(6, 岗位名称=None, 岗位类型=None)], True),
    ("roster", [roster_row(n) for n in range(1, 6)], False),
]


def _frame(tmp_path, dataset, rows):
    path = write_register(tmp_path / "book.xlsx", **{dataset: rows})
    [result] = [r for r in check_source(read_file(path)) if r.dataset == dataset]
    return result.frame


@pytest.mark.parametrize("dataset, rows, fails", CASES)
def test_schema_failures_are_panderas(tmp_path, dataset, rows, fails):
    d, frame = DATASETS[dataset], _frame(tmp_path, dataset, rows)
    ours = sorted((name, check, str(value), pos) for name, check, value, pos in schema_failures(d, frame))
    try:
        d.schema.validate(frame, lazy=True)
        theirs = []
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases.dropna(subset=["index"])  # dtype reports name no cell
        theirs = sorted((name, str(check).split("(")[0], str(None if check == "not_nullable" else value), int(pos))
                        for name, check, value, pos in zip(cases["column"], cases["check"], cases["failure_case"],
                                                           cases["index"]))
    assert ours == theirs
    assert bool(ours) == fails


@pytest.mark.parametrize("kind", sorted(CLEAN_KINDS))
@given(value=st.text(max_size=24) | st.from_regex(r"\A[0-9]{17}[0-9xX]\Z") | st.sampled_from(
    ["张三", "张　三", " 张三", "ＡＢＣ", "1E5", "#REF!", "13800138000", "0353-1234567", "１３８", "x\u00a0y"]))
def test_a_text_taken_as_already_clean_is_what_the_normaliser_gives(kind, value):
    clean = already_clean(value, kind)
    if clean is not None:
        assert normalise(value, kind) == (clean, None)
