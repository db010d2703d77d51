"""``check_source``: the ONE place where a workbook becomes results.

Per worksheet: find the table, normalise, validate (``sync.check.validate``). Across the
worksheets of one source and against the mirror: claimers and post holders against the
street's roster, a key repeated on another worksheet of the same register, and a roster member
registered in another source's roster too (another street, or another community of this one:
双报到 means one home community; ``sync.same_person`` finds them in the mirror). Every caller
(``sync validate``, ``sync run``, ``jobs annotate``, the app's preview and uploads) goes through
here, so they report the same issues for the same workbook.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from schemas import DATASETS, ERROR, WARNING
from sync.check.issues import Issue
from sync.check.privacy import mask
from sync.check.validate import SheetResult, validate_sheets
from sync.sources.grid import Workbook


@dataclass(frozen=True)
class Elsewhere:
    """A live roster row of another source holding the same ID number."""

    source: str
    street: str
    community: str | None


# ID numbers -> where else each is registered (only those found); built from the mirror by the lookup hash
ELSEWHERE = "registered_elsewhere"  # the check id of the one rule that asks the mirror
FindElsewhere = Callable[[Sequence[str]], Mapping[str, Sequence[Elsewhere]]]


@dataclass(frozen=True)
class SourceContext:
    """What, beyond its cells, a workbook is checked against."""

    sheets: dict[str, str] | None = None  # worksheet title -> dataset (the registry's mapping)
    communities: frozenset[str] | None = None  # the street's communities, when configured
    roster_names: frozenset[str] | None = None  # the street's roster in the mirror (when the workbook has none)
    dataset: str | None = None  # validate every worksheet as this register (``validate --dataset``)
    sheet: str | None = None  # report only this worksheet (``validate --sheet``)
    street: str | None = None  # the source's own street, to tell another street from another community
    registered_elsewhere: FindElsewhere | None = None  # the other sources' rosters in the mirror


def check_source(workbook: Workbook, context: SourceContext | None = None) -> list[SheetResult]:
    """Every worksheet's result, with every cross-sheet and cross-dataset rule applied."""
    ctx = context or SourceContext()
    return against_mirror(check_sheets(workbook, ctx), ctx)


def check_sheets(workbook: Workbook, ctx: SourceContext) -> list[SheetResult]:
    """``check_source`` up to the rule that asks the mirror's other rosters: what the workbook,
    its mapping and the street's roster names decide (a sync keeps it for a re-check in the same run)."""
    results = validate_sheets(workbook, dataset=ctx.dataset, sheet=ctx.sheet, sheets=ctx.sheets,
                                communities=ctx.communities, roster_names=ctx.roster_names)
    repeated_keys_across_sheets(results)
    return results


def against_mirror(results: list[SheetResult], ctx: SourceContext) -> list[SheetResult]:
    """``check_sheets``' results with the other sources' rosters as the mirror holds them now.

    Repeatable on the same results: what an earlier call added is taken away first, so a source
    re-checked in the same run (``sync.same_person``) is not read and validated twice.
    """
    for result in results:
        if result.mirror_warned:
            result.issues = [i for i in result.issues if i.check != ELSEWHERE]
            result.frame.iloc[result.mirror_warned, result.frame.columns.get_loc("warned")] = False
            result.mirror_warned = []
    if ctx.registered_elsewhere is not None:
        registered_in_other_sources(results, ctx.registered_elsewhere, ctx.street)
    return [r for r in results if ctx.sheet is None or r.sheet == ctx.sheet]


def _usable(result: SheetResult) -> bool:
    """A register sheet whose rows can reach the mirror (no sheet-level error)."""
    return (result.dataset is not None and result.frame is not None
            and not any(i.severity == ERROR and i.row is None for i in result.issues))


def repeated_keys_across_sheets(results: list[SheetResult]) -> None:
    """A key of a valid row seen on an earlier worksheet of the same register: an error at its cell.

    The first worksheet (in workbook order) keeps the key; the later row is marked invalid.
    A key repeated within one worksheet is the dataset's own ``*_unique`` row rule.
    """
    first: dict[tuple[str, str], tuple[str, int]] = {}  # (dataset, key) -> (sheet, sheet row)
    for result in filter(_usable, results):
        d = DATASETS[result.dataset]
        frame = result.frame
        letter, header = result.headers[d.key]
        found: list[Issue] = []
        for pos, key, valid, row in zip(range(len(frame)), frame[d.key], frame["valid"], frame["sheet_row"]):
            if not valid or key is None or pd.isna(key):
                continue
            seen = first.setdefault((d.name, key), (result.sheet, int(row)))
            if seen[0] == result.sheet:
                continue
            found.append(Issue(ERROR, result.sheet, int(row), f"{letter}{row}", header, d.key,
                               None if d.fields[d.key].personal else str(key), f"{d.key}_unique",
                               f"{header}与工作表“{seen[0]}”第{seen[1]}行重复"))
            frame.iat[pos, frame.columns.get_loc("valid")] = False
        if found:
            result.issues = sorted(result.issues + found, key=lambda i: (i.row is not None, i.row or 0))
            result.valid_rows = int(frame["valid"].sum())


def registered_in_other_sources(results: list[SheetResult], find: FindElsewhere, street: str | None) -> None:
    """A valid roster row whose person is live in another source's roster: a warning at the ID cell.

    The other source gets the same warning at its own cell when it is checked (``sync.same_person``
    has it checked again when this sync adds or removes the person).
    """
    for result in filter(_usable, results):
        if result.dataset != "roster":
            continue
        frame = result.frame
        valid = frame["valid"].tolist()
        ids = frame["id_number"].tolist()
        found = find([i for i, ok in zip(ids, valid) if ok and isinstance(i, str)])
        if not found:
            continue
        letter, header = result.headers["id_number"]
        warned_at = frame.columns.get_loc("warned")
        extra: list[Issue] = []
        for pos, (number, ok, row) in enumerate(zip(ids, valid, frame["sheet_row"].tolist())):
            places = found.get(number) if ok else None
            if not places:
                continue
            where = "、".join(dict.fromkeys(
                (f"{p.street}{p.community or ''}" if p.street != street else f"本街道{p.community or ''}")
                + f"（数据源“{p.source}”）" for p in places))
            extra.append(Issue(WARNING, result.sheet, int(row), f"{letter}{row}", header, "id_number",
                               mask(number, "id"), ELSEWHERE,
                               f"同一人也在{where}报到：在职党员只在一个居住社区报到，请核实后只保留一处"))
            if not frame.iat[pos, warned_at]:
                result.mirror_warned.append(pos)
                frame.iat[pos, warned_at] = True
        result.issues = sorted(result.issues + extra, key=lambda i: (i.row is not None, i.row or 0))
