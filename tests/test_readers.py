"""Readers: workbooks through calamine, CSV in the encodings staff save, and every way a file can be bad."""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import pytest

from sync.sources.grid import SourceUnreadable
from sync.sources.readers import read_file
from sync.check.source import check_source
from tests.validation_cases import record, rows_of, write_xlsx

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CORPUS_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv"}
CORPUS_FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix.lower() in CORPUS_SUFFIXES) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared spreadsheet corpus is not beside the repo ({CORPUS})")

CHINESE = re.compile(r"[\u4e00-\u9fff]")
ROWS = [["姓名", "联系电话", "报到社区", "备注"],
        ["张三", "13812345678", "德胜街社区", "周一、周三值班"],
        ["李四", "0353-2021234", "金三角社区", "“党员先锋岗”"]]
RARE = [["姓名", "联系电话", "报到社区", "备注"],
        ["吉𠮷", "13812345678", "德胜街社区", "𠮷 is outside GBK"],
        ["王䶮", "13912345678", "金三角社区", "䶮 arrived in GB18030"],
        ["张喆堃", "13712345678", "新源社区", "喆、堃、犇、赟、昇 are in GBK but not GB2312"]]


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    return "\r\n".join(delimiter.join(row) for row in rows) + "\r\n"


# (file name, bytes, rows read)
CSV_CASES = [
    ("utf8.csv", _csv(ROWS).encode("utf-8"), ROWS),
    ("utf8_bom.csv", _csv(ROWS).encode("utf-8-sig"), ROWS),
    ("gbk.csv", _csv(ROWS).encode("gbk"), ROWS),
    ("gb18030.csv", _csv(ROWS).encode("gb18030"), ROWS),
    ("gb18030_rare.csv", _csv(RARE).encode("gb18030"), RARE),
    ("utf8_rare.csv", _csv(RARE).encode("utf-8"), RARE),
    ("utf16.csv", _csv(ROWS).encode("utf-16"), ROWS),  # with BOM, as Excel's "Unicode text"
    ("utf16be.csv", b"\xfe\xff" + _csv(ROWS).encode("utf-16-be"), ROWS),
    ("semicolon.csv", _csv(ROWS, ";").encode("utf-8"), ROWS),
    ("tab.csv", _csv(ROWS, "\t").encode("gbk"), ROWS),
    ("lf_only.csv", _csv(ROWS).replace("\r\n", "\n").encode("utf-8"), ROWS),
    ("quoted.csv", '姓名,备注\r\n张三,"周一,周三"\r\n李四,"说""好"""\r\n'.encode("gbk"),
     [["姓名", "备注"], ["张三", "周一,周三"], ["李四", '说"好"']]),
    ("ragged.csv", "姓名,联系电话,备注\n张三\n李四,139\n".encode(),
     [["姓名", "联系电话", "备注"], ["张三", "", ""], ["李四", "139", ""]]),
    ("one_column.csv", "姓名\n张三\n李四\n".encode("gbk"), [["姓名"], ["张三"], ["李四"]]),
    ("bom_only.csv", b"\xef\xbb\xbf", []),
]

# (file name, bytes, fragment of the Chinese reason)
UNREADABLE_CASES = [
    ("garbage.csv", bytes(range(256)) * 8, "二进制"),
    ("png.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "二进制"),
    ("utf16_no_bom.csv", _csv(ROWS).encode("utf-16-le"), "二进制"),
    ("spanish.csv", "Nombre,Ciudad\nJosé,Bogotá\nNiño,Málaga\n".encode("latin-1"), "无法识别文件编码"),
    ("empty.csv", b"", "文件是空的"),
    ("empty.xlsx", b"", "文件是空的"),
    ("notes.txt", "姓名\n张三\n".encode(), "不支持的文件类型“.txt”"),
    ("scan.pdf", b"%PDF-1.4\n", "不支持的文件类型“.pdf”"),
    ("noext", b"a,b\n", "不支持的文件类型“无扩展名”"),
    ("text.xlsx", "姓名,电话\n张三,138\n".encode(), "无法解压"),
    ("text.xls", "姓名\t电话\n张三\t138\n".encode("gbk"), "已损坏或格式无法识别"),
    ("html.xls", "<html><table><tr><td>姓名</td></tr></table></html>".encode(), "已损坏或格式无法识别"),
]

PASSWORD_FILES = ["calamine/pass_protected.xlsx", "calamine/pass_protected.xlsb", "calamine/pass_protected.ods",
                  "calamine/issue_385.xls", "messytables/encrypted_no_password.xls"]


def _unreadable(path: Path) -> str:
    with pytest.raises(SourceUnreadable) as caught:
        read_file(path)
    message = str(caught.value)
    assert CHINESE.search(message) and "\n" not in message
    return message


@pytest.mark.parametrize("name, data, rows", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_csv(tmp_path, name, data, rows):
    path = tmp_path / name
    path.write_bytes(data)
    book = read_file(path)
    [grid] = book.grids
    assert grid.title == path.stem
    assert grid.rows == rows
    assert (grid.first_row, grid.first_col, grid.hidden) == (1, 1, False)


def test_doubled_quotes_after_the_sniffed_sample(tmp_path):
    # Regression: csv.Sniffer saw quoted fields but no doubled quotes in its 8 KiB sample and
    # set doublequote=False, so a later "说""好""" came out as 说"好""" (garbled, no error).
    lines = ["心愿编号,社区,心愿内容"] + [f'XY-{n:03d},德胜街社区,"书包,文具"' for n in range(400)]
    lines.append('XY-999,德胜街社区,"想要一本""红岩"""')
    path = tmp_path / "wishes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = read_file(path).grids[0].rows
    assert rows[1] == ["XY-000", "德胜街社区", "书包,文具"]
    assert rows[-1] == ["XY-999", "德胜街社区", '想要一本"红岩"']


# Regression: GB18030 was the last resort and decodes nearly any bytes, so a Latin-1 or Big5 file
# was read as mojibake (Fran鏾is, 春翴絪腹) instead of being refused with a clear reason.
@pytest.mark.parametrize("text, encoding", [
    ("nom,ville\nFrançois,Besançon\nHélène,Orléans\n", "latin-1"),
    ("Name,Straße\nJürgen Müller,Hauptstraße 5\n", "cp1252"),
    ("姓名,聯絡電話,社區\n陳大文,0912345678,德勝街社區\n", "big5"),
])
def test_not_gbk_is_refused_not_garbled(tmp_path, text, encoding):
    path = tmp_path / "other.csv"
    path.write_bytes(text.encode(encoding))
    assert "无法识别文件编码" in _unreadable(path)


@needs_corpus
def test_corpus_big5_file_is_refused():
    assert "无法识别文件编码" in _unreadable(CORPUS / "messytables" / "characters.csv")


def test_gbk_csv_register_validates(tmp_path):
    rows = rows_of("roster", [record("roster", 0), record("roster", 1, name="王　犇")])
    path = tmp_path / "名册.csv"
    path.write_bytes(_csv([[str(c) for c in row] for row in rows]).encode("gbk"))
    [result] = check_source(read_file(path))
    assert (result.sheet, result.dataset, result.rows, result.valid_rows, result.issues) == ("名册", "roster", 2, 2, [])
    assert result.frame["name"].tolist() == ["张三", "王犇"]


@pytest.mark.parametrize("name, data, fragment", UNREADABLE_CASES, ids=[c[0] for c in UNREADABLE_CASES])
def test_unreadable(tmp_path, name, data, fragment):
    path = tmp_path / name
    path.write_bytes(data)
    message = _unreadable(path)
    assert fragment in message
    assert name in message or fragment.startswith("不支持的文件类型")  # the type is the whole story there


def test_missing_file(tmp_path):
    assert "找不到文件" in _unreadable(tmp_path / "不存在.xlsx")


def test_directory_is_not_a_file(tmp_path):
    assert "找不到文件" in _unreadable(tmp_path)


def _register(tmp_path: Path, name: str = "book.xlsx") -> Path:
    return write_xlsx(tmp_path / name, {
        "报到名册": rows_of("roster", [record("roster", 0, registered_on=date(2020, 8, 10))], title="报到名册"),
        "说明": [["填表说明"]]}, hidden=("说明",))


def test_xlsx(tmp_path):
    book = read_file(_register(tmp_path))
    assert book.name == "book.xlsx" and book.fingerprint.startswith("sha256:")
    roster, notes = book.grids
    assert (roster.title, roster.hidden, notes.title, notes.hidden) == ("报到名册", False, "说明", True)
    assert roster.rows[0][0] == "报到名册"
    assert roster.rows[2][0] == record("roster", 0)["id_number"]
    assert date(2020, 8, 10) in roster.rows[2]  # a date cell stays a date


def test_upper_case_suffix(tmp_path):
    book = read_file(_register(tmp_path, "BOOK.XLSX"))
    assert [g.title for g in book.grids] == ["报到名册", "说明"]


def test_fingerprint_follows_content(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(_csv(ROWS).encode("utf-8"))
    same = read_file(path).fingerprint
    assert read_file(path).fingerprint == same
    path.write_bytes(_csv(ROWS[:2]).encode("utf-8"))
    assert read_file(path).fingerprint != same


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_truncated_xlsx(tmp_path, cut):
    data = _register(tmp_path).read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: int(len(data) * cut)])
    assert "已损坏" in _unreadable(path)


def test_xlsx_with_a_corrupt_part(tmp_path):
    source = _register(tmp_path)
    path = tmp_path / "corrupt.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]  # the XML stops mid-element
            zout.writestr(item, data)
    assert "已损坏" in _unreadable(path)


@needs_corpus
@pytest.mark.parametrize("name", PASSWORD_FILES)
def test_password_protected(name):
    assert "密码" in _unreadable(CORPUS / name)


@needs_corpus
@pytest.mark.parametrize("name, sheets, first_row", [
    ("messytables/simple.ods", ["Sheet1"], ["Name", "Age", "When"]),
    ("messytables/simple.xls", ["simple.csv"], ["date", "temperature", "place"]),
    ("messytables/unicode_sheet_name.xls", ["mês"], ["this spreadsheet has got a unicode character in the sheet name"]),
    ("calamine/issue127.xlsb", [f"Sheet{n}" for n in range(1, 9)], None),  # order kept
])
def test_corpus_formats(name, sheets, first_row):
    book = read_file(CORPUS / name)
    assert [g.title for g in book.grids] == sheets
    assert (book.grids[0].rows[0] if book.grids[0].rows else None) == first_row


@needs_corpus
@pytest.mark.parametrize("name, hidden", [("calamine/any_sheets.xlsx", [False, True, True]),
                                          ("calamine/any_sheets.xls", [False, True, True]),
                                          ("calamine/any_sheets.xlsb", [False, True, True])])
def test_corpus_hidden_and_chart_sheets(name, hidden):
    book = read_file(CORPUS / name)
    assert [g.hidden for g in book.grids] == hidden  # the chart sheet is not a worksheet


@needs_corpus
def test_corpus_is_complete():
    assert len(CORPUS_FILES) == 162


@needs_corpus
@pytest.mark.timeout(30)
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_corpus_file_reads_or_says_why(path):
    try:
        book = read_file(path)
    except SourceUnreadable as exc:
        assert CHINESE.search(str(exc)) and path.name in str(exc)
        return
    assert book.grids
    results = check_source(book)
    assert [r.sheet for r in results] == [g.title for g in book.grids]
    for r in results:  # none of these is a register: each sheet gets one info, nothing more
        assert (r.dataset, r.rows, r.valid_rows) == (None, 0, 0)
        assert [i.severity for i in r.issues] == ["info"]


def test_column_letters_and_a1_positions_are_openpyxls():
    """sync.sources.grid spells columns itself (importing openpyxl costs 0.19 s at every start): the same
    letters and positions as openpyxl for every column a sheet can have, and no reference read wrongly."""
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter

    from sync.sources.grid import a1_position, column_letter
    for column in range(1, 16_385):
        letters = column_letter(column)
        assert letters == get_column_letter(column)
        reference = f"{letters}{column * 64}"
        column_text, row = coordinate_from_string(reference)
        assert a1_position(reference) == (row, column_index_from_string(column_text))
    for bad in ("A0", "1A", "", "A", "AAAA1", "a1", "A1:B2"):
        with pytest.raises(ValueError):
            a1_position(bad)
