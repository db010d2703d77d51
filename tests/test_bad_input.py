"""Hostile and broken input (issue 8): each gives a clear Chinese error or a correct read,
never a traceback, never a hang, never unbounded memory."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from sync.sources.grid import SourceUnreadable
from sync.sources.readers import MAX_CELLS, read_file
from sync.check.source import check_source

CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
                 'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
                 '"/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
                 'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
                 'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
             '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
             'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            '2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet '
            'name="名册" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                 'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                 'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def raw_xlsx(path: Path, sheet_xml: str) -> Path:
    """A minimal xlsx written part by part, so a test can put anything in the sheet's XML."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return path


def sheet_xml(rows: str, prolog: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>')


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def expect_refusal(path: Path, *words: str) -> str:
    with pytest.raises(SourceUnreadable) as caught:
        read_file(path)
    message = str(caught.value)
    assert all(w in message for w in words), message
    return message


@pytest.mark.timeout(30)
def test_zip_bomb_is_refused_before_inflating(tmp_path):
    path = raw_xlsx(tmp_path / "bomb.xlsx", sheet_xml(""))
    data = bytearray(path.read_bytes())
    # declare a 4 GiB sheet in the central directory, as a zip bomb does
    at = data.index(b"PK\x01\x02", data.index(b"xl/worksheets/sheet1.xml") - 46 - 200)
    while data[at + 46:at + 46 + 24] != b"xl/worksheets/sheet1.xml":
        at = data.index(b"PK\x01\x02", at + 4)
    struct.pack_into("<I", data, at + 24, 0xFFFFFFF0)
    path.write_bytes(bytes(data))
    expect_refusal(path, "压缩炸弹")


@pytest.mark.timeout(30)
def test_xml_entity_bomb_is_not_expanded(tmp_path):
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
    prolog = f"<!DOCTYPE worksheet [{entities}]>"
    path = raw_xlsx(tmp_path / "lol.xlsx", sheet_xml(f'<row r="1">{inline("A1", "&j;")}</row>', prolog))
    try:
        book = read_file(path)
    except SourceUnreadable as exc:
        assert "损坏" in str(exc)
    else:
        assert sum(len(str(c)) for g in book.grids for r in g.rows for c in r) < 1000


@pytest.mark.timeout(120)
def test_million_row_sheet_is_refused_with_its_size(tmp_path):
    rows = "".join(f'<row r="{i}">{inline(f"A{i}", "x")}<c r="F{i}"><v>1</v></c></row>' for i in range(1, 1_000_001))
    path = raw_xlsx(tmp_path / "huge.xlsx", sheet_xml(rows))
    expect_refusal(path, "过大", "1000000行")


@pytest.mark.timeout(60)
def test_huge_csv_is_refused_while_reading(tmp_path):
    path = tmp_path / "huge.csv"
    line = "a,b,c,d,e,f,g,h,i,j\n"
    path.write_text(line * (MAX_CELLS // 10 + 10), encoding="utf-8")
    expect_refusal(path, "过大")


@pytest.mark.timeout(60)
def test_500_column_sheet_reads_and_reports_unknown_columns_once(tmp_path):
    book = Workbook()
    ws = book.active
    ws.append(["心愿编号", "社区", "心愿人", "心愿内容", "登记日期", "状态"] + [f"列{i}" for i in range(494)])
    ws.append(["W1", "德胜街社区", "刘大妈", "轮椅", "2020-07-01", "待认领"] + ["x"] * 494)
    book.save(tmp_path / "wide.xlsx")
    (result,) = check_source(read_file(tmp_path / "wide.xlsx"))
    assert (result.dataset, result.rows, result.valid_rows) == ("wishes", 1, 1)
    assert sum(i.check == "unknown_column" for i in result.issues) == 494


@pytest.mark.parametrize("name, payload, words", [
    ("garbage.csv", bytes(range(256)) * 40, ("二进制",)),
    ("latin1.csv", "Año,Número\nsí,ñ\n".encode("latin-1"), ("编码",)),
    ("truncated.xlsx", None, ("损坏",)),
    ("empty.xlsx", b"", ("空",)),
    ("notes.txt", b"hello", ("不支持",)),
])
def test_broken_files_give_one_clear_chinese_error(tmp_path, name, payload, words):
    path = tmp_path / name
    if payload is None:
        book = Workbook()
        book.active.append(["姓名"])
        buffer = io.BytesIO()
        book.save(buffer)
        payload = buffer.getvalue()[: len(buffer.getvalue()) // 2]
    path.write_bytes(payload)
    expect_refusal(path, *words)


def test_formula_error_cells_are_reported_not_read_as_values(tmp_path):
    path = tmp_path / "errors.csv"
    path.write_text("心愿编号,社区,心愿人,心愿内容,登记日期,状态\nW1,#REF!,刘大妈,轮椅,#N/A,待认领\n", encoding="utf-8")
    (result,) = check_source(read_file(path))
    found = {(i.cell, i.check) for i in result.issues}
    assert found == {("B2", "formula_error"), ("E2", "formula_error")}
    assert result.valid_rows == 0
