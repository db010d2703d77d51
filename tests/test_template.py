"""Templates (issue 9): generated from the schemas, filled correctly they validate clean."""

from __future__ import annotations

import random
import re

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils.cell import get_column_letter, range_boundaries

from schemas import DATASETS
from sync.cli import main
from sync.demo.people import People
from sync.demo.records import post_records, roster_records, wish_records
from sync.sources.readers import read_file
from sync.check.table import EXAMPLE_MARK
from sync.check.table import LISTS_SHEET
from sync.outputs.template import (EXAMPLE_ROW, HEADER_ROW, LAST_ROW, SHEET_TITLES, build_template,
                           parse_communities, write_template)
from sync.check.source import SourceContext, check_source

COMMUNITIES = ["德胜街社区", "金三角社区", "市政府大院社区"]
MANY_COMMUNITIES = [f"第{i}号很长很长名字的示范社区" for i in range(1, 41)]  # > Excel's 255-char inline list
TEMPLATES = [["roster"], ["wishes"], ["posts"], list(DATASETS)]
FILLED_ROWS = 40
RANGES = [("posts", "activities", "whole", "greaterThanOrEqual", "0", None),
          ("posts", "service_hours", "decimal", "between", "0", "10000"),
          ("roster", "name", "textLength", "between", "2", "20"),
          ("wishes", "content", "textLength", "between", "0", "200")]
COMMUNITY_TEXT = [("德胜街社区,金三角社区", ["德胜街社区", "金三角社区"]),
                  ("德胜街社区，金三角社区、 市政府大院社区 ", COMMUNITIES),
                  ("", None), (None, None)]


def _valid_rows(communities: list[str]) -> dict[str, list[dict]]:
    people = People(random.Random(9))
    names = tuple(communities)
    roster = roster_records(people, names, FILLED_ROWS)
    return {"roster": roster, "wishes": wish_records(people, names, roster, FILLED_ROWS),
            "posts": post_records(people, names, roster, FILLED_ROWS)}


def _fill(path, datasets: list[str], communities: list[str]) -> None:
    book = load_workbook(path)
    rows = _valid_rows(communities)
    for dataset in datasets:
        sheet = book[SHEET_TITLES[dataset]]
        for i, record in enumerate(rows[dataset]):
            for j, name in enumerate(DATASETS[dataset].fields, 1):
                sheet.cell(EXAMPLE_ROW + 1 + i, j, record[name])
    book.save(path)


def _validation(sheet, column: str):
    """The data validation covering a column's first data cell."""
    cell = f"{column}{EXAMPLE_ROW + 1}"
    found = [dv for dv in sheet.data_validations.dataValidation if cell in dv.sqref]
    assert len(found) <= 1
    return found[0] if found else None


def _list_values(book, validation) -> list[str]:
    formula = validation.formula1
    if formula.startswith('"'):
        return formula.strip('"').split(",")
    title, ref = formula.rsplit("!", 1)
    min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
    sheet = book[title.strip("'")]
    return [sheet.cell(r, min_col).value for r in range(min_row, max_row + 1)]


def _column(dataset: str, name: str) -> str:
    return get_column_letter(list(DATASETS[dataset].fields).index(name) + 1)


@pytest.mark.parametrize("datasets", TEMPLATES, ids=lambda d: "+".join(d))
def test_filled_template_validates_clean(tmp_path, datasets):
    path = write_template(tmp_path / "t.xlsx", datasets, "上站街道", COMMUNITIES)
    _fill(path, datasets, COMMUNITIES)
    results = check_source(read_file(path), SourceContext(communities=frozenset(COMMUNITIES)))
    assert [(i.sheet, i.cell, i.check, i.severity) for r in results for i in r.issues] == []
    registers = [r for r in results if r.dataset]
    assert [(r.sheet, r.header_row, r.rows, r.valid_rows) for r in registers] == \
        [(SHEET_TITLES[d], HEADER_ROW, FILLED_ROWS, FILLED_ROWS) for d in datasets]


@pytest.mark.parametrize("dataset", DATASETS)
def test_example_row_is_skipped_and_is_itself_a_valid_row(tmp_path, dataset):
    path = write_template(tmp_path / "t.xlsx", [dataset])
    assert check_source(read_file(path))[0].rows == 0
    book = load_workbook(path)
    sheet = book[SHEET_TITLES[dataset]]
    marked = [c for c in sheet[EXAMPLE_ROW] if isinstance(c.value, str) and c.value.startswith(EXAMPLE_MARK)]
    assert len(marked) == 1
    marked[0].value = marked[0].value.removeprefix(EXAMPLE_MARK)
    book.save(path)
    result = check_source(read_file(path))[0]
    assert (result.rows, result.valid_rows, result.issues) == (1, 1, [])


@pytest.mark.parametrize("communities", [None, COMMUNITIES, MANY_COMMUNITIES], ids=["none", "inline", "_lists"])
def test_every_enum_and_the_communities_are_dropdowns(tmp_path, communities):
    path = write_template(tmp_path / "t.xlsx", list(DATASETS), communities=communities)
    book = load_workbook(path)
    for dataset, d in DATASETS.items():
        sheet = book[SHEET_TITLES[dataset]]
        for name, _meta in d.fields.items():
            validation = _validation(sheet, _column(dataset, name))
            wanted = communities if name == "community" and communities else list(d.choices(name))
            if wanted:
                assert validation.type == "list" and _list_values(book, validation) == wanted, (dataset, name)
                assert f"{EXAMPLE_ROW}:" in str(validation.sqref) and str(validation.sqref).endswith(str(LAST_ROW))
            else:
                assert validation is None or validation.type != "list", (dataset, name)
    assert (LISTS_SHEET in book.sheetnames) == (communities == MANY_COMMUNITIES)
    if communities == MANY_COMMUNITIES:
        assert book[LISTS_SHEET].sheet_state == "hidden" and book.sheetnames[-1] == LISTS_SHEET


@pytest.mark.parametrize("dataset,name,kind,operator,low,high", RANGES)
def test_number_and_length_limits_come_from_the_schema(dataset, name, kind, operator, low, high):
    sheet = build_template([dataset])[SHEET_TITLES[dataset]]
    validation = _validation(sheet, _column(dataset, name))
    assert (validation.type, validation.operator, validation.formula1, validation.formula2) == \
        (kind, operator, low, high)


def test_date_columns_are_validated_and_formatted():
    book = build_template(list(DATASETS))
    for dataset, d in DATASETS.items():
        sheet = book[SHEET_TITLES[dataset]]
        for name in (n for n, meta in d.fields.items() if meta.kind == "date"):
            column = _column(dataset, name)
            validation = _validation(sheet, column)
            # the template's lower bound is the reader's: no date before 1950 is accepted
            assert (validation.type, validation.formula1, validation.formula2) == ("date", "DATE(1950,1,1)", "TODAY()")
            assert sheet[f"{column}{LAST_ROW}"].number_format == "yyyy-mm-dd"


def test_id_and_phone_columns_are_text_for_every_ready_row():
    book = build_template(list(DATASETS))
    for dataset, d in DATASETS.items():
        sheet = book[SHEET_TITLES[dataset]]
        for name in (n for n, meta in d.fields.items() if meta.kind in ("id", "phone")):
            column = _column(dataset, name)
            assert {sheet[f"{column}{row}"].number_format for row in range(EXAMPLE_ROW, LAST_ROW + 1)} == {"@"}


def test_headers_are_canonical_frozen_styled_and_commented():
    book = build_template(list(DATASETS), street="上站街道")
    for dataset, d in DATASETS.items():
        sheet = book[SHEET_TITLES[dataset]]
        assert sheet.freeze_panes == f"A{EXAMPLE_ROW}"
        assert sheet["A1"].value == f"上站街道{d.title}"
        for cell, (_name, meta) in zip(sheet[HEADER_ROW], d.fields.items()):
            assert cell.value == meta.header and cell.font.bold
            assert meta.rule in cell.comment.text
            assert sheet.column_dimensions[cell.column_letter].width >= 10


def test_guide_sheet_lists_every_field_rule():
    book = build_template(list(DATASETS))
    assert book.sheetnames == [*SHEET_TITLES.values(), "填表说明"]
    text = "\n".join(str(c.value) for row in book["填表说明"].iter_rows() for c in row if c.value)
    for d in DATASETS.values():
        for meta in d.fields.values():
            assert meta.header in text and meta.rule in text


@pytest.mark.parametrize("text,names", COMMUNITY_TEXT)
def test_parse_communities(text, names):
    assert parse_communities(text) == names


def test_cli_template(tmp_path):
    out = tmp_path / "上站.xlsx"
    result = CliRunner().invoke(main, ["template", "all", "--out", str(out), "--street", "上站街道",
                                       "--communities", ",".join(COMMUNITIES)])
    assert result.exit_code == 0, result.output
    assert load_workbook(out).sheetnames == [*SHEET_TITLES.values(), "填表说明"]
    wrong = CliRunner().invoke(main, ["template", "roster", "--out", str(tmp_path / "t.csv")])
    assert wrong.exit_code == 2 and re.search(r"\.xlsx", wrong.output)
