"""What a group robot says: one short message per street and one for the city digest, in any
platform's markdown dialect.

A chat message is read on a phone: the counts, the first few cells to fix, stale worksheets and
failed sources, then a link to the app. A long list is cut ("……还有 N 处，见邮件附件或应用")
until the message fits the platform's size limit; it is never split into several messages (a
robot may send 20 a minute, and a flood buries the group).

Everything quoted from a sheet arrives masked and scrubbed (jobs/report_data.py) and is made inert
here: the characters that are markup on one platform or another (``<at id=all>``, ``[x](url)``,
``**``, ``#``, ``@``…) become their full-width forms, so a cell can neither mention the whole group
nor plant a link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from jobs.report_data import StreetData

FIRST_FEW = 10  # cells listed in a chat message at most; the mail and the app have them all
QUALITY_PATH = "/data-quality"  # app.py's URL path of the 数据质量 page
INERT = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "(": "（", ")": "）", "*": "＊", "_": "＿",
                       "#": "＃", "`": "｀", "@": "＠", "\\": "＼", "|": "｜", "~": "～", "&": "＆",
                       "\r": " ", "\n": " ", "\t": " "})


def inert(value: Any) -> str:
    """Sheet-derived text as plain characters on every platform."""
    return str(value if value is not None else "").translate(INERT)


@dataclass(frozen=True)
class Section:
    heading: str
    lines: tuple[str, ...]
    unit: str = "处"


@dataclass(frozen=True)
class Brief:
    kind: str  # street | digest
    source: str | None  # the street; the digest: None
    title: str
    headline: str
    summary: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    link: str | None = None
    footnote: str | None = None
    alarm: bool = False  # errors or failed syncs: platforms that colour a message use red


@dataclass(frozen=True)
class Style:
    """One platform's markdown dialect (or plain text)."""

    heading: Callable[[str], str]
    subheading: Callable[[str], str]
    bold: Callable[[str], str]
    link: Callable[[str, str], str]
    bullet: str = "- "
    gap: str = "\n"  # between blocks
    newline: str = "\n"  # between the lines of a block


PLAIN = Style(heading=lambda s: f"【{s}】", subheading=lambda s: f"{s}：", bold=lambda s: s,
              link=lambda label, url: f"{label}：{url}", bullet="· ")


def render(brief: Brief, style: Style, shown: list[int]) -> str:
    """The message with the first ``shown[i]`` lines of each section."""
    blocks = [style.heading(brief.title), style.bold(brief.headline)]
    if brief.summary:
        blocks.append(style.newline.join(brief.summary))
    for section, count in zip(brief.sections, shown):
        lines = [style.subheading(section.heading)] + [style.bullet + line for line in section.lines[:count]]
        if count < len(section.lines):
            lines.append(f"……还有 {len(section.lines) - count} {section.unit}，见邮件附件或应用")
        blocks.append(style.newline.join(lines))
    blocks += [b for b in (brief.footnote, style.link("打开台账通“数据质量”页", brief.link) if brief.link else None) if b]
    return style.gap.join(blocks)


def fit(brief: Brief, style: Style, budget: int) -> str:
    """The message within ``budget`` UTF-8 bytes: the longest list loses a line until it fits."""
    shown = [min(len(s.lines), FIRST_FEW) for s in brief.sections]
    while True:
        text = render(brief, style, shown)
        if len(text.encode()) <= budget:
            return text
        longest = max(range(len(shown)), key=shown.__getitem__, default=None)
        if longest is None or shown[longest] == 0:
            # only a freak street name gets here: cut the text itself, on a character boundary
            return text.encode()[:budget - 3].decode(errors="ignore") + "…"
        shown[longest] -= 1


def quality_link(app: dict[str, Any]) -> str | None:
    """The app's 数据质量 page when ``[app] base_url`` is set."""
    base = app.get("base_url")
    return base.rstrip("/") + QUALITY_PATH if base else None


def _issue_line(issue: dict[str, Any], multi: bool) -> str:
    where = f"{issue['sheet']} {issue['cell']}" if issue["row"] is not None else f"{issue['sheet']} 整表"
    column = f"【{issue['column']}】" if issue["column"] else ""
    value = f"（当前值：{issue['value']}）" if issue["value"] else ""
    warned = "（警告）" if issue["severity"] == "warning" else ""
    return inert(f"{issue['source'] + ' · ' if multi else ''}{where} {column}{issue['message']}{value}{warned}")


def street_brief(data: StreetData, now: datetime, stale_days: int, link: str | None) -> Brief:
    errors, warnings = data.count("error"), data.count("warning")
    headline = f"错误 {errors} 处，警告 {warnings} 处" if errors or warnings else "未发现问题"
    if data.failed_sources:
        headline += f"，{len(data.failed_sources)} 个数据源同步异常"
    summary = tuple(f"{d['title']}：读取 {d['rows']} 行，合格 {d['valid_rows']} 行；错误 {d['errors']}，"
                    f"警告 {d['warnings']}" for d in data.datasets())
    to_fix = sorted((i for i in data.issues if i["severity"] in ("error", "warning")),
                    key=lambda i: i["severity"] != "error")  # sorted() is stable: sheet order kept within each
    sections = [Section("先改这几处", tuple(_issue_line(i, len(data.sources) > 1) for i in to_fix)),
                Section(f"超过 {stale_days} 天未更新的工作表", tuple(inert(s) for s in data.stale(
                    now - timedelta(days=stale_days))), "个"),
                Section("同步异常的数据源", tuple(inert(p) for p in data.problems()), "个")]
    return Brief("street", data.street, inert(f"{data.street} 台账校验 {now:%Y-%m-%d}"), headline, summary,
                 tuple(s for s in sections if s.lines), link, alarm=bool(errors or data.failed_sources))


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate:.0%}"


def digest_brief(rows: list[dict[str, Any]], rates: dict[str, tuple[float | None, float | None]],
                 now: datetime, link: str | None, footnote: str | None) -> Brief:
    """The city digest: one line per street (errors, warnings, claim and completion rates), the failures."""
    errors, warnings = sum(r["errors"] for r in rows), sum(r["warnings"] for r in rows)
    lines = []
    for r in rows:
        claim, completion = rates.get(r["street"], (None, None))
        stale = f"；{len(r['stale'])} 个工作表超期未更新" if r["stale"] else ""
        lines.append(inert(f"{r['district'] or '未分区'}·{r['street']}：错误 {r['errors']}，警告 {r['warnings']}；"
                           f"认领率 {_percent(claim)}，完成率 {_percent(completion)}{stale}"))
    problems = tuple(inert(f"{r['street']} · {p}") for r in rows for p in r["problems"])
    sections = (Section("各街道", tuple(lines), "个街道"), Section("同步异常的数据源", problems, "个"))
    return Brief("digest", None, f"全市台账校验汇总 {now:%Y-%m-%d}",
                 f"{len(rows)} 个街道：错误 {errors} 处，警告 {warnings} 处", (),
                 tuple(s for s in sections if s.lines), link, footnote, bool(errors or problems))
