"""``python -m sync``: validate files, sync sources to the mirror, make demo data and templates."""

from __future__ import annotations

import json
import sys

import click

from schemas import DATASETS
from sync.grid import SourceUnreadable

DATASET_CHOICE = click.Choice(sorted(DATASETS))


def fail(message: str, code: int = 2) -> None:
    """One clear line on stderr, no traceback."""
    click.echo(f"错误：{message}", err=True)
    sys.exit(code)


@click.group(help="台账通：读取街道台账表格，逐格校验，同步到数据库。")
def main() -> None:
    pass


@main.command(help="校验一个表格文件（xlsx/xlsm/xls/xlsb/ods/csv），报告每个需要修改的单元格。")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--dataset", type=DATASET_CHOICE, help="按哪种台账校验；不填则按表头自动识别。")
@click.option("--sheet", help="只校验这个工作表。")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式：text 中文报告，json 机器可读。")
def validate(path: str, dataset: str | None, sheet: str | None, fmt: str) -> None:
    from sync.readers import read_file
    from sync.report import text_report
    from sync.validate import validate_workbook

    try:
        results = validate_workbook(read_file(path), dataset=dataset, sheet=sheet)
    except SourceUnreadable as exc:
        fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps({"file": path, "sheets": [r.as_json() for r in results]},
                              ensure_ascii=False, indent=2))
    else:
        click.echo(text_report(path, results))
    sys.exit(1 if any(i.severity == "error" for r in results for i in r.issues) else 0)
