"""``python -m sync``: validate files, sync sources to the mirror, make demo data and templates."""

from __future__ import annotations

import gc
import json
import sys

import click

from sync.cli_fail import fail
from sync.sources.grid import SourceUnreadable
from sync.terms import RUN_STATUS_WORDS


class DatasetChoice(click.Choice):
    """The datasets as a click choice, read from the schemas only when a command needs them.

    Importing the schemas loads pandera and pandas (about a second); ``sync run`` on an
    unchanged city must not pay for that just to parse its options.
    """

    def __init__(self, *extra: str, ordered: bool = False):
        self._extra, self._ordered = extra, ordered
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        from schemas import DATASETS
        return (*(DATASETS if self._ordered else sorted(DATASETS)), *self._extra)

    @choices.setter
    def choices(self, _value) -> None:
        pass


DATASET_CHOICE = DatasetChoice()




def run_cli(group: click.Group, prog_name: str) -> None:
    """Run a click group; a usage mistake is one Chinese line and exit 2, not click's English box."""
    try:
        group.main(prog_name=prog_name, standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.format_message(), err=True)
        sys.exit(2)
    except click.UsageError as exc:
        fail(f"用法不对：{exc.format_message()}（运行 {prog_name} --help 查看用法）")
    except click.ClickException as exc:
        fail(exc.format_message(), exc.exit_code)
    except click.Abort:
        fail("已取消", 1)


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
    from sync.check.source import SourceContext, check_source
    from sync.outputs.text_report import text_report
    from sync.sources.readers import read_file

    try:
        results = check_source(read_file(path), SourceContext(dataset=dataset, sheet=sheet))
    except SourceUnreadable as exc:
        fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps({"file": path, "sheets": [r.as_json() for r in results]},
                              ensure_ascii=False, indent=2))
    else:
        click.echo(text_report(path, results))
    registers = any(r.dataset for r in results)  # none: nothing was checked, which is not a pass
    sys.exit(1 if not registers or any(i.severity == "error" for r in results for i in r.issues) else 0)




@main.command(help="把数据源同步到数据库镜像（只写有变化的行；异常时镜像保持不变）。")
@click.option("--config", "config_file", help="配置文件；默认 taizhang.toml，不存在时用演示配置。")
@click.option("--db", "db_url", help="数据库 URL，如 sqlite:///data/taizhang.db 或 postgresql+psycopg://…")
@click.option("--source", "names", multiple=True, help="只同步这个数据源（可重复）。")
@click.option("--force", is_flag=True, help="即使表格未变化也重新读取和校验。")
@click.option("--allow-mass-delete", is_flag=True, help="确认本次同步可以删除超过一半的行或清空一个台账。")
def run(config_file: str | None, db_url: str | None, names: tuple[str, ...], force: bool,
        allow_mass_delete: bool) -> None:
    # a run holds a source's rows (tens of thousands of small objects) until they are written: at the
    # default threshold (700) the collector walked them again and again, a sixth of the run's CPU
    # (scale-1 city: 6.8 -> 5.4 s in the run's own process, 6.4 -> 5.8 s in its workers; BENCHMARKS.md)
    gc.set_threshold(10_000, 10, 10)
    from sync.service import UnknownSource, open_mirror, sync_sources
    from sync.store.crypto import SecretKeyInvalid

    try:
        mirror = open_mirror(config_file, db_url)
        results = sync_sources(mirror, list(names) or None, force=force, allow_mass_delete=allow_mass_delete,
                               progress=lambda msg: click.echo(msg, err=True), ahead=True)
    except (SourceUnreadable, UnknownSource, SecretKeyInvalid) as exc:
        fail(str(exc))
    except Exception as exc:  # the database can't be reached or upgraded: one line, no traceback
        fail(f"无法打开数据库（{type(exc).__name__}: {str(exc).splitlines()[0][:200]}）")
    click.echo(f"{'数据源':<12}{'结果':<6}{'读取':>7}{'新增':>7}{'更新':>7}{'删除':>7}{'错误':>7}{'警告':>7}  说明")
    for r in results:
        click.echo(f"{r.source:<15}{RUN_STATUS_WORDS[r.status]:<10}{r.rows_read:>9}{r.inserted:>9}{r.updated:>9}"
                   f"{r.deleted:>9}{r.errors:>9}{r.warnings:>9}  {r.message}（{r.seconds:.2f} 秒）")
    sys.exit(1 if any(r.status in ("held", "failed") for r in results) else 0)


@main.command(help="生成演示数据：每个街道一个 xlsx 台账（含故意埋下的各类错误），以及数据源配置 taizhang.toml。")
@click.option("--out", type=click.Path(file_okay=False), required=True, help="输出目录。")
@click.option("--scale", type=click.FloatRange(min=0, min_open=True),
              help="规模，默认 0.01（4 个街道、约 750 行）；1 约为全市 3.6 万名党员、3.5 万个微心愿、2000 个服务岗（18 个街道）。")
@click.option("--seed", type=int, help="随机种子，默认 2020；种子相同，生成的文件也相同。")
def demo(out: str, scale: float | None, seed: int | None) -> None:
    from pathlib import Path

    from sync.demo.city import generate_city, write_sources_toml

    given = {"scale": scale, "seed": seed}
    files = generate_city(Path(out), **{k: v for k, v in given.items() if v is not None})
    for f in files:
        click.echo(f"{f.path}：{f.district}{f.street}，名册 {f.rows['roster']} 行，"
                   f"微心愿 {f.rows['wishes']} 行，服务岗 {f.rows['posts']} 行")
    click.echo(f"数据源配置：{write_sources_toml(files, Path(out) / 'taizhang.toml')}")


@main.command(help="生成空白台账模板（xlsx）：表头批注、下拉列表、日期和数字限制、示例行和填表说明。")
@click.argument("dataset", type=DatasetChoice("all", ordered=True))
@click.option("--out", type=click.Path(dir_okay=False), required=True, help="输出文件（.xlsx）。")
@click.option("--street", help="街道名称，写进标题行。")
@click.option("--communities", help="本街道的社区，用逗号分隔；给出后“社区”列提供下拉选择。")
def template(dataset: str, out: str, street: str | None, communities: str | None) -> None:
    from schemas import DATASETS
    from sync.outputs.template import parse_communities, write_template

    if not out.lower().endswith(".xlsx"):
        fail(f"模板文件名应以 .xlsx 结尾：{out}")
    datasets = list(DATASETS) if dataset == "all" else [dataset]
    click.echo(f"已生成模板：{write_template(out, datasets, street, parse_communities(communities))}")


@main.command("rotate-key", help="更换个人信息加密密钥：在一个事务中用新密钥重新加密数据库中的全部身份证号。")
@click.option("--config", "config_file", help="配置文件；默认 taizhang.toml，不存在时用演示配置。")
@click.option("--db", "db_url", help="数据库 URL，如 sqlite:///data/taizhang.db 或 postgresql+psycopg://…")
def rotate_key_command(config_file: str | None, db_url: str | None) -> None:
    from sync.service import open_mirror
    from sync.store.crypto import SecretKeyInvalid
    from sync.store.keys import rotate_key

    try:
        mirror = open_mirror(config_file, db_url)
        rows, path = rotate_key(mirror.engine, mirror.vault)
    except (SourceUnreadable, SecretKeyInvalid) as exc:
        fail(str(exc))
    except Exception as exc:  # the database can't be reached: one line, no traceback; nothing was changed
        fail(f"无法打开数据库（{type(exc).__name__}: {str(exc).splitlines()[0][:200]}），密钥未更换")
    click.echo(f"已用新密钥重新加密 {rows} 个身份证号。新密钥：{path}（仅属主可读）")
    if path.name.endswith(".new"):
        click.echo("当前密钥来自 TAIZHANG_SECRET_KEY：请把它改为该文件的内容，删除该文件，再重启应用和定时任务。")
    else:
        click.echo("请立即备份新的密钥文件，并重启应用和定时任务（它们仍持有旧密钥，在重启前不会同步）。")


def _add_groups() -> None:
    from sync.users_cli import users
    main.add_command(users)


_add_groups()
