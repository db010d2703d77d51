"""Demo data: believable street workbooks, with planted mistakes, for a first start and benchmarks.

``generate_city(out, scale, seed)`` writes one ``.xlsx`` per street (报到名册 / 微心愿 /
志愿服务岗) laid out the way staff really keep them: a merged title row and a blank row
above the header, header aliases, a column nobody asked for (微信号), dates typed every
which way, a 合计 row and a 填表人 footer. At ``scale=1`` the city has the seed report's
36,000 members, 35,000 wishes and 2,000 posts over 18 streets; the street count is
``round(18 * scale)`` clamped to 4..18, so every demo shows all three districts.
"""

from __future__ import annotations

import json
import os
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.utils.cell import get_column_letter

from schemas import DATASETS
from sync.demo.mistakes import Mistake, min_rows, plant_mistakes
from sync.demo.people import STREETS, People, invent_communities
from sync.demo.records import Record, post_records, roster_records, wish_records
from sync.check.headers import header_index, normalise_header
from sync.check.normalize import EXCEL_EPOCH
from sync.outputs.template import SHEET_TITLES, column_width

REPO_ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = "sqlite:///data/taizhang.db"
SCHEDULE = "*/30 * * * *"
ROBOT_KINDS = ("wecom", "dingtalk", "feishu")  # the demo's street robots take turns, so each kind shows
APP_URL = "http://localhost:8501"
DEFAULT_SCALE = 0.01  # the committed demo: 4 streets, a few hundred rows
DEFAULT_SEED = 2020
CITY_ROWS = {"roster": 36_000, "wishes": 35_000, "posts": 2_000}  # the seed report's city
MIN_STREETS = 4
PARALLEL_ROWS = 20_000  # below this a process pool costs more than it saves
HEADER_ROW = 3  # title, blank, header: as staff sheets have it
# the headers as one street's staff typed them: some aliases, one column nobody asked for
LAYOUTS = {
    "roster": ("身份证号码", "姓名", "性别", "手机号", "微信号", "工作单位", "所在党组织", "报到社区", "网格",
               "报到日期", "认领岗位", "备注"),
    "wishes": ("心愿编号", "社区", "心愿人", "联系电话", "心愿内容", "心愿类别", "登记日期", "认领状态", "认领人",
               "认领单位", "认领日期", "兑现日期"),
    "posts": ("岗位编号", "社区", "岗位类型", "岗位名称", "岗位责任人", "联系电话", "设岗日期", "开展活动次数",
              "服务时长（小时）", "状态"),
}
HEADINGS = {"roster": "{street}在职党员报到名册（2025年12月）", "wishes": "{street}微心愿认领登记表（2025年）",
            "posts": "{street}党员志愿服务岗设岗定责台账（2025年）"}
UNITS = {"roster": "人", "wishes": "个", "posts": "个"}


@dataclass(frozen=True)
class Planted:
    """One planted mistake and what validating its cell must say (check None: nothing)."""

    sheet: str
    cell: str
    field: str
    check: str | None
    severity: str | None
    what: str


@dataclass(frozen=True)
class StreetFile:
    name: str  # pinyin slug, also the source name in taizhang.toml
    street: str
    district: str
    communities: tuple[str, ...]
    path: Path
    rows: dict[str, int] = field(default_factory=dict)  # dataset -> data rows written
    planted: tuple[Planted, ...] = ()


def street_count(scale: float) -> int:
    return min(len(STREETS), max(MIN_STREETS, round(len(STREETS) * scale)))


def staff_date(rng: random.Random, day: date) -> Any:
    """A date as staff leave it: mostly a date cell, otherwise text in their own format."""
    roll = rng.random()
    if roll < 0.6:
        return day
    if roll < 0.75:
        return f"{day.year}/{day.month}/{day.day}"
    if roll < 0.87:
        return f"{day.year}年{day.month}月{day.day}日"
    if roll < 0.95:
        return f"{day.year}.{day.month}.{day.day}"
    return (day - EXCEL_EPOCH).days  # a serial number: pasted without its format


@cache
def layout_fields(dataset: str) -> tuple[str | None, ...]:
    """The canonical field under each of the layout's headers (None: 微信号), as the reader maps them."""
    index = header_index(dataset)
    return tuple(index.get(normalise_header(h)) for h in LAYOUTS[dataset])


def _cells(dataset: str, record: Record, rng: random.Random | None) -> list[Any]:
    """One sheet row; with ``rng`` the values get staff variety (planted rows go as they are)."""
    fields = DATASETS[dataset].fields
    out: list[Any] = []
    for name in layout_fields(dataset):
        if name is None:
            out.append(f"wx{rng.randrange(10**9)}" if rng and rng.random() < 0.4 else None)
            continue
        value = record[name]
        if rng and isinstance(value, date):
            value = staff_date(rng, value)
        elif rng and fields[name].kind == "phone" and value and value[0] == "1" and rng.random() < 0.15:
            value = int(value)  # typed into a number-formatted cell
        out.append(value)
    return out


def _write_sheet(book: Workbook, dataset: str, street: str, records: list[Record],
                 planted: dict[int, Mistake], rng: random.Random, people: People) -> None:
    sheet = book.create_sheet(SHEET_TITLES[dataset])
    headers = LAYOUTS[dataset]
    for j, (header, name) in enumerate(zip(headers, layout_fields(dataset)), 1):
        sheet.column_dimensions[get_column_letter(j)].width = column_width(dataset, name, header) if name else 12
    sheet.merged_cells.add(f"A1:{get_column_letter(len(headers))}1")
    sheet.append([HEADINGS[dataset].format(street=street)])
    sheet.append([])
    sheet.append(list(headers))
    for pos, record in enumerate(records):
        sheet.append(_cells(dataset, record, None if pos in planted else rng))
    sheet.append(["合计", f"共{len(records)}{UNITS[dataset]}"])
    sheet.append([f"填表人：{people.name()}", None, None, f"审核人：{people.name()}", None, None,
                  "填报日期：2025年12月31日"])


def _planted(dataset: str, planted: dict[int, Mistake]) -> list[Planted]:
    columns = {name: j for j, name in enumerate(layout_fields(dataset), 1)}
    return [Planted(SHEET_TITLES[dataset], f"{get_column_letter(columns[m.field])}{HEADER_ROW + 1 + pos}",
                    m.field, m.check, m.severity, m.what) for pos, m in sorted(planted.items())]


def generate_street(out: Path, slug: str, street: str, district: str, communities: tuple[str, ...],
                    counts: dict[str, int], seed: int) -> StreetFile:
    """One street's workbook; its content depends only on (seed, slug, counts)."""
    rng = random.Random(f"{seed}/{slug}")
    people = People(rng)
    roster = roster_records(people, communities, counts["roster"])
    records = {"roster": roster,
               "wishes": wish_records(people, communities, roster, counts["wishes"]),
               "posts": post_records(people, communities, roster, counts["posts"])}
    planted = {d: plant_mistakes(d, rows, people, roster) for d, rows in records.items()}
    book = Workbook(write_only=True)  # streams rows: a 20,000-row sheet costs no more memory than one
    for dataset, rows in records.items():
        _write_sheet(book, dataset, street, rows, planted[dataset], rng, people)
    path = out / f"{slug}.xlsx"
    book.save(path)
    return StreetFile(slug, street, district, communities, path,
                      {d: len(rows) for d, rows in records.items()},
                      tuple(p for d in records for p in _planted(d, planted[d])))


def apportion(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights``, summing to exactly ``total`` (largest remainder)."""
    shares = [total * w / sum(weights) for w in weights]
    out = [int(share) for share in shares]
    for i in sorted(range(len(shares)), key=lambda i: out[i] - shares[i])[:total - sum(out)]:
        out[i] += 1
    return out


def generate_city(out: Path, scale: float = DEFAULT_SCALE, seed: int = DEFAULT_SEED) -> list[StreetFile]:
    """Write one workbook per street into ``out`` and return what was written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    streets = STREETS[:street_count(scale)]
    weights = [rng.uniform(0.7, 1.3) for _ in streets]  # streets differ in size
    shares = {d: apportion(round(total * scale), weights) for d, total in CITY_ROWS.items()}
    taken = {c for s in STREETS for c in s[3]}
    jobs, rows = [], 0
    for k, (slug, street, district, named) in enumerate(streets):
        count = len(named) if len(named) >= 3 else rng.randint(4, 6)  # the seed names all of 上站's
        counts = {d: max(min_rows(d), shares[d][k]) for d in CITY_ROWS}
        rows += sum(counts.values())
        jobs.append((out, slug, street, district, invent_communities(rng, named, count, taken), counts, seed))
    if rows < PARALLEL_ROWS:
        return [generate_street(*job) for job in jobs]
    # openpyxl spends ~8 µs a cell; streets are independent, so big cities use every core
    with ProcessPoolExecutor(min(len(jobs), os.cpu_count() or 1)) as pool:
        return list(pool.map(generate_street, *zip(*jobs)))


def write_sources_toml(files: list[StreetFile], path: Path, root: Path = REPO_ROOT) -> Path:
    """The source registry file for the streets written (paths relative to ``root`` when inside it)."""
    def text(value: str | list[str]) -> str:
        return json.dumps(value, ensure_ascii=False)  # a JSON string or list of strings is valid TOML

    lines = ["[database]", f"url = {text(DATABASE_URL)}", "", "[reports]",
             f"supervisors = {text(['zuzhibu@example.org'])}  # the city digest"]
    for f in files:
        where = f.path.resolve()
        where = where.relative_to(root) if where.is_relative_to(root) else where
        lines += ["", "[[sources]]", f"name = {text(f.name)}", f"street = {text(f.street)}",
                  f"district = {text(f.district)}", 'kind = "excel"', f"path = {text(where.as_posix())}",
                  f"communities = {text(list(f.communities))}", f"schedule = {text(SCHEDULE)}",
                  f"recipients = {text([f'{f.name}@example.org'])}"]
    lines += ["", "[app]", f"base_url = {text(APP_URL)}  # links in the group robots' messages"]
    for n, f in enumerate(files):  # webhooks from the environment: the demo posts nowhere until they are set
        kind, env = ROBOT_KINDS[n % len(ROBOT_KINDS)], f"TAIZHANG_DEMO_{f.name.upper()}"
        lines += ["", "[[channels]]", f"name = {text(f.street + '工作群')}", f"kind = {text(kind)}",
                  f"webhook = {text(f'env:{env}_WEBHOOK')}"]
        lines += [f"secret = {text(f'env:{env}_SECRET')}"] if kind != "wecom" else []
        lines += [f"streets = {text([f.street])}"]
    lines += ["", "[[channels]]", f"name = {text('全市督导群')}", 'kind = "wecom"',
              f"webhook = {text('env:TAIZHANG_DEMO_CITY_WEBHOOK')}", "digest = true"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
