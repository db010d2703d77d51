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


STATUS_WORDS = {"ok": "成功", "unchanged": "未变化", "held": "已暂停", "failed": "失败", "skipped": "已跳过"}


@main.command(help="把数据源同步到数据库镜像（只写有变化的行；异常时镜像保持不变）。")
@click.option("--config", "config_file", help="配置文件；默认 taizhang.toml，不存在时用演示配置。")
@click.option("--db", "db_url", help="数据库 URL，如 sqlite:///data/taizhang.db 或 postgresql+psycopg://…")
@click.option("--source", "names", multiple=True, help="只同步这个数据源（可重复）。")
@click.option("--force", is_flag=True, help="即使表格未变化也重新读取和校验。")
@click.option("--allow-mass-delete", is_flag=True, help="确认本次同步可以删除超过一半的行或清空一个台账。")
def run(config_file: str | None, db_url: str | None, names: tuple[str, ...], force: bool,
        allow_mass_delete: bool) -> None:
    from sync.service import UnknownSource, open_mirror, sync_sources

    try:
        mirror = open_mirror(config_file, db_url)
        results = sync_sources(mirror, list(names) or None, force=force, allow_mass_delete=allow_mass_delete,
                               progress=lambda msg: click.echo(msg, err=True))
    except (SourceUnreadable, UnknownSource) as exc:
        fail(str(exc))
    except Exception as exc:  # the database can't be reached or upgraded: one line, no traceback
        fail(f"无法打开数据库（{type(exc).__name__}: {str(exc).splitlines()[0][:200]}）")
    click.echo(f"{'数据源':<12}{'结果':<6}{'读取':>7}{'新增':>7}{'更新':>7}{'删除':>7}{'错误':>7}{'警告':>7}  说明")
    for r in results:
        click.echo(f"{r.source:<15}{STATUS_WORDS[r.status]:<6}{r.rows_read:>9}{r.inserted:>9}{r.updated:>9}"
                   f"{r.deleted:>9}{r.errors:>9}{r.warnings:>9}  {r.message}（{r.seconds:.2f} 秒）")
    sys.exit(1 if any(r.status in ("held", "failed") for r in results) else 0)
