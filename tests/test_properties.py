"""Property-based tests (hypothesis): no input breaks header matching, normalisation,
date parsing or the ID and phone checks, and normalisation is idempotent."""

from __future__ import annotations

import string
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import DATASETS
from schemas.checks import id_check_char, id_number_problem, phone_problem
from sync.sources.grid import Grid
from sync.check.headers import find_header, normalise_header
from sync.check.normalize import EARLIEST, NORMALISERS, normalise
from sync.check.table import Table, extract_table
from sync.check.validate import validate_table

CELLS = st.one_of(
    st.text(max_size=30), st.integers(min_value=-(10**20), max_value=10**20), st.floats(allow_nan=True),
    st.booleans(), st.dates(), st.datetimes(), st.just(""),
    st.sampled_from(["#REF!", "#N/A", "　张　三　", "１３８１２３４５６７８", "2020年8月10日", "2020.8.10", "已完成 ",
                     "1.10105194912310E+17", "11010519491231002x", "44053", "合计", "填表人：赵六"]))
TEXT_KINDS = ("text", "name", "enum", "phone", "id")
DATE_FORMATS = ("{d.year}/{d.month}/{d.day}", "{d.year}.{d.month}.{d.day}", "{d:%Y-%m-%d}",
                "{d.year}年{d.month}月{d.day}日", "{d:%Y%m%d}")


@given(st.text())
def test_header_normalisation_never_fails_and_is_idempotent(text):
    once = normalise_header(text)
    assert normalise_header(once) == once


@given(CELLS, st.sampled_from(sorted(NORMALISERS)))
def test_normalise_never_raises_and_returns_a_value_or_a_problem(value, kind):
    out, problem = normalise(value, kind)
    assert out is None or problem is None
    if problem is not None:
        assert problem.message and problem.check


@given(CELLS, st.sampled_from(TEXT_KINDS))
def test_text_normalisation_is_idempotent(value, kind):
    out, problem = normalise(value, kind)
    if out is not None:
        assert normalise(out, kind) == (out, None)


@given(st.dates(min_value=EARLIEST, max_value=date(9999, 12, 31)), st.sampled_from(DATE_FORMATS))
def test_every_staff_date_format_reads_back_the_same_date(day, fmt):
    assert normalise(fmt.format(d=day), "date") == (day, None)
    assert normalise(datetime(day.year, day.month, day.day, 9, 30), "date") == (day, None)


@given(st.text())
def test_id_and_phone_checks_never_raise(text):
    id_number_problem(text)
    phone_problem(text)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
       st.text(alphabet=string.digits, min_size=9, max_size=9))
def test_generated_ids_pass_and_any_other_check_character_fails(born, digits):
    first17 = digits[:6] + f"{born:%Y%m%d}" + digits[6:]
    assert id_number_problem(first17 + id_check_char(first17)) is None
    for wrong in set("0123456789X") - {id_check_char(first17)}:
        assert "校验位" in id_number_problem(first17 + wrong)


@given(st.lists(st.lists(CELLS, max_size=8), max_size=25))
def test_header_search_never_fails_on_any_grid(rows):
    find_header(rows)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(DATASETS)), st.lists(st.lists(CELLS, min_size=12, max_size=12), max_size=15))
def test_validation_never_fails_on_any_cells_under_a_real_header(dataset, rows):
    header = [meta.header for meta in DATASETS[dataset].fields.values()]
    grid = Grid("表", [header + [""] * (12 - len(header))] + rows)
    table = extract_table(grid, dataset)
    assert isinstance(table, Table)
    result = validate_table(table)
    assert result.valid_rows <= result.rows == len(table.row_index)
    assert all(i.message for i in result.issues)
