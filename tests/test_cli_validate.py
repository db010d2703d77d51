"""`python -m sync validate` as staff and scripts run it: a real subprocess, real files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.validation_cases import record, rows_of, write_xlsx

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
SHEET_KEYS = {"sheet": str, "dataset": (str, type(None)), "header_row": (int, type(None)), "rows": int,
              "valid_rows": int, "issues": list}
ISSUE_KEYS = {"severity": str, "row": (int, type(None)), "cell": (str, type(None)), "column": (str, type(None)),
              "field": (str, type(None)), "value": (str, type(None)), "check": str, "message": str}


def validate(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sync", "validate", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("books")
    roster = rows_of("roster", [record("roster", 0), record("roster", 1)], title="上站街道在职党员报到名册（2020年8月）")
    bad = rows_of("roster", [record("roster", 0), record("roster", 1, phone="1381234567", name="张")])
    wishes = rows_of("wishes", [record("wishes", 0, claimer="钱七"), record("wishes", 1)])
    return {
        "clean": write_xlsx(d / "clean.xlsx", {"报到名册": roster}),
        "errors": write_xlsx(d / "errors.xlsx", {"报到名册": bad, "说明": [["填表说明：红色为必填"]]}),
        "warnings": write_xlsx(d / "warnings.xlsx", {"报到名册": roster, "微心愿": wishes}),
        "corrupt": _write(d / "corrupt.xlsx", (d / "clean.xlsx").read_bytes()[:500]),
        "unsupported": _write(d / "register.pdf", b"%PDF-1.4\n"),
        "missing": d / "missing.xlsx",
    }


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _readme_contract() -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```json\n(.*?)```", text, re.S).group(1)
    return json.loads(block)


def _assert_shape(obj: dict, keys: dict) -> None:
    assert set(obj) == set(keys)
    for key, kind in keys.items():
        assert isinstance(obj[key], kind), (key, obj[key])


def test_text_report_clean(books):
    done = validate(books["clean"])
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"文件：{books['clean']}"
    assert "工作表“报到名册”（在职党员报到名册）：表头在第2行，读取 2 行，合格 2 行；错误 0 个，警告 0 个，提示 0 个" in lines
    assert lines[-1] == "合计：错误 0 个，警告 0 个。没有需要修改的错误。"
    assert done.stderr == ""


def test_text_report_with_errors(books):
    done = validate(books["errors"])
    assert done.returncode == 1
    out = done.stdout
    assert "工作表“报到名册”（在职党员报到名册）：表头在第1行，读取 2 行，合格 1 行；错误 2 个" in out
    assert "  [错误] 第3行 B3 【姓名】姓名应为2至20个字，实为1个字（当前值：张）" in out
    assert re.search(r"\[错误\] 第3行 D3 【联系电话】联系电话格式不正确.*（当前值：138\*\*\*4567）", out)
    assert "1381234567" not in out
    assert "工作表“说明”（未识别）" in out and "[提示] 整表 未识别为台账" in out
    assert "请按上面的单元格位置逐一修改" in out


def test_json_contract(books):
    done = validate(books["errors"], "--format", "json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    contract = _readme_contract()
    assert set(report) == set(contract) == {"file", "sheets"}
    assert report["file"] == str(books["errors"])
    assert set(report["sheets"][0]) == set(contract["sheets"][0])
    assert set(report["sheets"][0]["issues"][0]) == set(contract["sheets"][0]["issues"][0])
    roster, notes = report["sheets"]
    for sheet in report["sheets"]:
        _assert_shape(sheet, SHEET_KEYS)
        for issue in sheet["issues"]:
            _assert_shape(issue, ISSUE_KEYS)
            assert issue["severity"] in ("error", "warning", "info")
    assert (roster["sheet"], roster["dataset"], roster["header_row"], roster["rows"], roster["valid_rows"]) == (
        "报到名册", "roster", 1, 2, 1)
    assert [(i["row"], i["cell"], i["column"], i["field"], i["value"], i["check"]) for i in roster["issues"]] == [
        (3, "B3", "姓名", "name", "张", "length"), (3, "D3", "联系电话", "phone", "138***4567", "phone_valid")]
    assert (notes["dataset"], notes["header_row"], notes["rows"]) == (None, None, 0)
    [info] = notes["issues"]
    assert (info["severity"], info["row"], info["cell"], info["check"]) == ("info", None, None, "not_a_register")


def test_warnings_only_exit_zero(books):
    done = validate(books["warnings"], "--format", "json")
    assert done.returncode == 0
    roster, wishes = json.loads(done.stdout)["sheets"]
    assert [(i["severity"], i["cell"], i["check"]) for i in wishes["issues"]] == [
        ("warning", "I2", "claimer_in_roster")]
    assert wishes["valid_rows"] == 2


def test_dataset_option(books):
    forced = validate(books["clean"], "--dataset", "wishes", "--format", "json")
    assert forced.returncode == 1
    [sheet] = json.loads(forced.stdout)["sheets"]
    assert (sheet["dataset"], sheet["header_row"], sheet["issues"][0]["check"]) == ("wishes", None, "header_not_found")
    assert validate(books["clean"], "--dataset", "roster").returncode == 0


def test_sheet_option(books):
    done = validate(books["warnings"], "--sheet", "微心愿", "--format", "json")
    assert done.returncode == 0
    [sheet] = json.loads(done.stdout)["sheets"]
    assert sheet["sheet"] == "微心愿" and [i["check"] for i in sheet["issues"]] == ["claimer_in_roster"]


def test_missing_sheet_exit_2(books):
    done = validate(books["warnings"], "--sheet", "不存在")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == ["错误：找不到工作表“不存在”（本文件的工作表：报到名册、微心愿）"]


@pytest.mark.parametrize("book, reason", [("missing", "找不到文件"), ("corrupt", "已损坏"),
                                          ("unsupported", "不支持的文件类型“.pdf”")])
def test_unreadable_exit_2(books, book, reason):
    done = validate(books[book], "--format", "json")
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("错误：") and reason in line
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared spreadsheet corpus is not beside the repo ({CORPUS})")
def test_password_protected_exit_2():
    done = validate(CORPUS / "calamine" / "pass_protected.xlsx")
    assert done.returncode == 2
    assert "密码" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["validate", "--dataset", "foo", "x.xlsx"], ["validate", "."], ["nope"],
                                  ["run", "--bogus"]])
def test_usage_mistakes_are_one_chinese_line(args):
    # Regression: click printed its English usage box for a bad option value or a directory.
    done = subprocess.run([sys.executable, "-m", "sync", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：用法不对：") and "Traceback" not in done.stderr
