"""Validation: a table's cells -> a normalised frame plus every issue, in Chinese.

Three layers, each reported once per cell: normalisation (can the cell be read as its
kind?), the dataset's pandera model (lazy, per column), and the dataset's row rules
(cross-field and cross-dataset). Errors keep a row out of the mirror; warnings flag it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from collections.abc import Iterator
from typing import Any

import pandas as pd

from schemas import ERROR, INFO, WARNING, Context, Dataset
from schemas.checks import PROBLEMS
from sync.sources.grid import SourceUnreadable, Workbook, column_letter
from sync.check.issues import Issue
from sync.check.normalize import CLEAN_KINDS, already_clean, as_text, normalise
from sync.check.privacy import mask
from sync.check.table import TEMPLATE_SHEETS, Table, extract_table, sheet_issue

FRAME_DTYPES = {"date": "datetime64[s]", "int": "Int64", "number": "Float64"}


@dataclass
class SheetResult:
    sheet: str
    dataset: str | None
    header_row: int | None
    rows: int  # data rows read
    valid_rows: int  # rows without errors
    issues: list[Issue] = field(default_factory=list)
    frame: pd.DataFrame | None = None  # canonical columns + sheet_row, valid, warnings
    headers: dict[str, tuple[str, str]] = field(default_factory=dict)  # field -> (column letter, header)
    mirror_warned: list[int] = field(default_factory=list)  # frame rows only the mirror's rule warned (a re-check resets them)
    digest: str | None = None  # ``content_digest()``, once worked out
    collected: Any = None  # the mirror's own cache of this result's rows (``sync.store.mirror.Collected``)

    def content_digest(self) -> str | None:
        """A digest of the sheet's own cells (``valid`` and ``warned`` left out: they also move when
        another sheet, or another source's roster, changes); worked out once, by a worker ahead of
        the run when there is one."""
        if self.frame is None:
            return None
        if self.digest is None:
            content = self.frame.drop(columns=["valid", "warned"])
            hashed = pd.util.hash_pandas_object(content, index=False).values.tobytes()
            self.digest = hashlib.sha256(hashed).hexdigest()[:32]
        return self.digest

    def as_json(self) -> dict[str, Any]:
        return {"sheet": self.sheet, "dataset": self.dataset, "header_row": self.header_row,
                "rows": self.rows, "valid_rows": self.valid_rows,
                "issues": [i.as_json() for i in self.issues]}


class _Collector:
    """Issues of one table, at most one per cell, in sheet order when sorted."""

    def __init__(self, table: Table, raw: dict[str, list[Any] | None]):
        self.table, self.raw = table, raw
        self.issues: list[Issue] = []
        self.seen: set[tuple[int, str]] = set()
        # messages name fields by their canonical headers; say them as this sheet spells them
        renamed = {table.dataset.fields[n].header: h for n, h in table.headers.items()
                   if h != table.dataset.fields[n].header}
        self.spelled = (re.compile("|".join(sorted(map(re.escape, renamed), key=len, reverse=True))), renamed) \
            if renamed else None

    def words(self, message: str) -> str:
        if self.spelled is None:
            return message
        pattern, renamed = self.spelled
        return pattern.sub(lambda m: renamed[m.group(0)], message)

    def add(self, pos: int, name: str, severity: str, check: str, message: str) -> None:
        if (pos, name) in self.seen:
            return
        self.seen.add((pos, name))
        t, meta = self.table, self.table.dataset.fields[name]
        values = self.raw.get(name)
        value = as_text(values[pos]) if values is not None and values[pos] not in (None, "") else None
        present = name in t.columns
        self.issues.append(Issue(
            severity, t.grid.title, t.sheet_rows[pos],
            t.cell_ref(pos, name) if present else None,
            t.headers.get(name, meta.header), name,
            mask(value, meta.kind) if meta.personal else value, check, self.words(message)))


def _normalise_column(values: list[Any], kind: str) -> tuple[list[Any], dict[int, Any]]:
    """Normalised values and {position: problem}; equal raw cells are normalised once."""
    cache: dict[Any, tuple[Any, Any]] = {}
    out, problems = [], {}
    quick = kind in CLEAN_KINDS
    for pos, raw in enumerate(values):
        if quick and raw.__class__ is str and (clean := already_clean(raw, kind)) is not None:
            out.append(clean)
            continue
        key = (type(raw), raw)  # True == 1 == 1.0 as dict keys, but they don't normalise alike
        try:
            result = cache[key]
        except KeyError:
            result = cache[key] = normalise(raw, kind)
        except TypeError:  # unhashable cell types never come from our readers, but stay safe
            result = normalise(raw, kind)
        out.append(result[0])
        if result[1] is not None:
            problems[pos] = result[1]
    return out, problems


def build_frame(table: Table, found: _Collector) -> pd.DataFrame:
    d, n = table.dataset, len(table.row_index)
    columns: dict[str, pd.Series] = {}
    for name, meta in d.fields.items():
        values = found.raw[name]
        if values is None:
            normalised = [None] * n
        else:
            normalised, problems = _normalise_column(values, meta.kind)
            for pos, problem in problems.items():
                found.add(pos, name, ERROR, problem.check, problem.message)
        dtype = FRAME_DTYPES.get(meta.kind, "str")
        if meta.kind == "date":
            columns[name] = pd.to_datetime(pd.Series(normalised, dtype=object)).astype(dtype)
        else:
            columns[name] = pd.Series(normalised, dtype=dtype)
    frame = pd.DataFrame(columns)
    frame["sheet_row"] = pd.Series(table.sheet_rows, dtype="int64")
    return frame


def schema_failures(d: Dataset, frame: pd.DataFrame) -> Iterator[tuple[str, str, Any, int]]:
    """The failure cases of the dataset's pandera model on the frame, as (column, check name, value,
    row position), column by column in the model's order: nulls in a column that may not hold them,
    then each of the column's checks, run by pandera itself on the column's other values.

    What ``schema.validate(frame, lazy=True)`` reports cell by cell, without the container's error
    collection, which cost 44% of the whole check (its failure reports are built for any schema;
    ours are words for people, built here only for the failing cells). The frame always has every
    column (``build_frame``), of the model's dtypes, and no model has a check over several columns:
    ``test_schema_failures_are_panderas`` holds the two to the same cases.
    """
    for name, column in d.schema.columns.items():
        series = frame[name]
        nulls = series.isna().to_numpy()
        if not column.nullable:
            yield from ((name, "not_nullable", None, int(pos)) for pos in nulls.nonzero()[0])
        present = series[~nulls]
        if present.empty:
            continue
        for check in column.checks:
            passed = check(present).check_output  # one flag per value checked (every check is vectorised)
            yield from ((name, check.name, present[pos], int(pos)) for pos in passed.index[~passed.to_numpy(dtype=bool)])


def _schema_message(d: Dataset, name: str, check: str, value: Any) -> tuple[str, str]:
    """(check id, Chinese message) for one pandera failure case."""
    meta = d.fields[name]
    if check == "not_nullable":
        return "required", f"{meta.header}不能为空"
    if check in PROBLEMS:
        return check, PROBLEMS[check](str(value)) or f"{meta.header}不正确"
    if check.startswith("isin"):
        return "allowed_values", f"“{value}”不是允许的{meta.header}（应为：{'、'.join(d.choices(name))}）"
    if check == "not_future":
        return check, f"{meta.header}晚于今天"
    if check.startswith("str_length"):
        stats = next(c.statistics for c in d.schema.columns[name].checks if c.name == "str_length")
        low, high = stats.get("min_value"), stats.get("max_value")
        span = f"{low}至{high}个字" if low else f"不超过{high}个字"
        return "length", f"{meta.header}应为{span}，实为{len(str(value))}个字"
    if check.startswith("greater_than_or_equal_to"):
        return "range", f"{meta.header}不能小于0"
    if check.startswith("in_range"):
        return "range", f"{meta.header}应在0至10000之间"
    return check, f"{meta.header}不符合要求（{check}）"


def validate_table(table: Table, ctx: Context | None = None) -> SheetResult:
    ctx = ctx or Context()
    d = table.dataset
    raw = {name: table.column_values(name) for name in d.fields}
    found = _Collector(table, raw)
    frame = build_frame(table, found)
    for name, check, value, pos in schema_failures(d, frame):
        if check == "not_nullable" and name not in table.columns:
            continue  # a missing column is one sheet-level error, not one per row
        check_id, message = _schema_message(d, name, check, value)
        found.add(pos, name, ERROR, check_id, message)
    for rule in d.rules:
        for pos, message in rule.violated(frame, ctx).dropna().items():
            found.add(int(pos), rule.field, rule.severity, rule.check, message)
    error_rows = {i.row for i in found.issues if i.severity == ERROR}
    warned_rows = {i.row for i in found.issues if i.severity == WARNING}
    frame["valid"] = ~frame["sheet_row"].isin(error_rows) & (not table.blocked)
    frame["warned"] = frame["sheet_row"].isin(warned_rows)
    issues = table.issues + sorted(found.issues, key=lambda i: (i.row, table.columns.get(i.field or "", 0)))
    letters = {name: (column_letter(table.grid.first_col + j), table.headers[name])
               for name, j in table.columns.items()}
    return SheetResult(table.grid.title, d.name, table.header_row, len(frame),
                       int(frame["valid"].sum()), issues, frame, letters)


def _sheet_only(grid_title: str, issues: list[Issue], dataset: str | None = None) -> SheetResult:
    return SheetResult(grid_title, dataset, None, 0, 0, issues)


def validate_sheets(workbook: Workbook, *, dataset: str | None = None, sheet: str | None = None,
                      sheets: dict[str, str] | None = None,
                      communities: frozenset[str] | None = None,
                      roster_names: frozenset[str] | None = None) -> list[SheetResult]:
    """Validate every worksheet (or the one named) of a workbook.

    ``sheets`` maps worksheet titles to datasets (the source registry's mapping); without
    it each worksheet's dataset is detected from its headers, or ``dataset`` forces one.
    A roster in the same workbook (else ``roster_names``, the street's roster in the mirror)
    lets wishes and posts check their claimers and holders.
    """
    if sheet is not None and not any(g.title == sheet for g in workbook.grids):
        names = "、".join(g.title for g in workbook.grids)
        raise SourceUnreadable(f"找不到工作表“{sheet}”（本文件的工作表：{names}）")
    # every worksheet is looked at, even with ``sheet``: the roster may be on another one
    tables: list[Table | SheetResult] = []
    grids = [g for g in workbook.grids if g.title not in TEMPLATE_SHEETS or g.title in (sheets or {}) or g.title == sheet]
    for grid in grids:
        wanted = (sheets or {}).get(grid.title, dataset)
        if grid.hidden and grid.title not in (sheets or {}) and grid.title != sheet:
            tables.append(_sheet_only(grid.title, [sheet_issue(grid, INFO, "hidden_sheet", "隐藏的工作表，已跳过")]))
            continue
        found = extract_table(grid, wanted)
        tables.append(found if isinstance(found, Table) else
                      _sheet_only(grid.title, found, wanted))
    rosters = [t for t in tables if isinstance(t, Table) and t.dataset.name == "roster"]
    names = roster_names
    if rosters:
        names = frozenset(n for t in rosters for n, _ in map(lambda v: normalise(v, "name"),
                                                              t.column_values("name") or []) if n)
    ctx = Context(roster_names=names, communities=communities)
    return [validate_table(t, ctx) if isinstance(t, Table) else t for t in tables]
