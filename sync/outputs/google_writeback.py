"""Show validation results inside the staff's own Google spreadsheet.

A worksheet `校验结果` rewritten with one row per issue, and a note on every offending cell,
in one spreadsheets.get (worksheets and existing notes) and at most one batchUpdate. Staff
values are never written: note requests carry `fields: note` only. Notes staff wrote
themselves are kept; ours follow a marker line and are the only part we replace or clear.
The results worksheet's A1 note carries a digest of its content, so a run with the same
issues sends no batchUpdate at all and does not bump the spreadsheet's modifiedTime.
"""

from __future__ import annotations

import hashlib
import json
from itertools import count
from pathlib import Path
from typing import Any
from collections.abc import Iterable, Mapping

from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.utils.exceptions import CellCoordinatesException

from sync.sources.kinds.base import Located
from sync.sources.kinds.gsheet import google_credentials
from sync.sources.google_http import RetryPolicy, google_client, spreadsheet_key
from sync.check.issues import SEVERITY_WORDS, Issue
from sync.terms import FORMULA_STARTS, RESULTS_SHEET

RESULTS_HEADER = ("工作表", "行号", "单元格", "列名", "级别", "问题说明")
WRITE_SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)
NOTE_MARK = "【台账通校验】"
DIGEST_NOTE = "本工作表由台账通在每次同步时自动重写，请勿手工修改。\n内容摘要：{}"
# OWASP CSV injection: text starting with these becomes a formula once exported and reopened.
NOTES_FIELDS = ("sheets(properties(sheetId,title,sheetType,gridProperties(rowCount,columnCount)),"
                "data(startRow,startColumn,rowData(values(note))))")

CellRef = tuple[str, int, int]  # worksheet title, 0-based row, 0-based column


def write_back_source(source: Located, issues: list[Issue]) -> None:
    """Write a Google source's current issues into its spreadsheet (the source's opt-in write-back)."""
    write_back(source.spreadsheet or "", google_credentials(source), issues, api_endpoint=source.api_endpoint)


def write_back(spreadsheet: str, credentials: str | Path | Mapping[str, Any],
               issues: list[Issue], *, api_endpoint: str | None = None, timeout: float = 30,
               retry: RetryPolicy | None = None) -> None:
    """Rewrite `校验结果` and the cell notes to match `issues`. Needs editor access."""
    key = spreadsheet_key(spreadsheet)
    with google_client(credentials, key, WRITE_SCOPES, writing=True, api_endpoint=api_endpoint,
                       timeout=timeout, retry=retry) as client:
        metadata = client.fetch_sheet_metadata(
            key, params={"includeGridData": "true", "fields": NOTES_FIELDS})
        requests = plan_write_back(metadata, issues)
        if requests:
            client.batch_update(key, {"requests": requests})


def plan_write_back(metadata: Mapping[str, Any], issues: list[Issue]) -> list[dict[str, Any]]:
    """The batchUpdate requests that bring the spreadsheet in line with `issues`; [] if none."""
    sheets = {s["properties"]["title"]: s["properties"] for s in metadata.get("sheets", [])}
    notes = existing_notes(metadata)
    requests = note_requests(sheets, notes, issues)
    rows = results_rows(issues)
    digest = hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode()).hexdigest()[:16]
    results = sheets.get(RESULTS_SHEET)
    if results is None or notes.get((RESULTS_SHEET, 0, 0)) != DIGEST_NOTE.format(digest):
        requests += results_requests(results, rows, digest, sheets)
    return requests


def existing_notes(metadata: Mapping[str, Any]) -> dict[CellRef, str]:
    notes = {}
    for sheet in metadata.get("sheets", []):
        title = sheet["properties"]["title"]
        for block in sheet.get("data", []):
            top, left = block.get("startRow", 0), block.get("startColumn", 0)
            for r, row in enumerate(block.get("rowData", [])):
                for c, cell in enumerate(row.get("values", [])):
                    if cell.get("note"):
                        notes[(title, top + r, left + c)] = cell["note"]
    return notes


def note_requests(sheets: Mapping[str, Mapping[str, Any]], notes: Mapping[CellRef, str],
                  issues: Iterable[Issue]) -> list[dict[str, Any]]:
    """Set our part of each offending cell's note; clear it from cells that are now fine."""
    wanted: dict[CellRef, list[str]] = {}
    for issue in issues:
        ref = _cell_ref(sheets, issue)
        if ref:
            label = SEVERITY_WORDS.get(issue.severity, issue.severity)
            wanted.setdefault(ref, []).append(f"[{label}] {issue.message}")
    ours_before = {ref for ref, text in notes.items() if NOTE_MARK in text}
    requests = []
    for ref in sorted(set(wanted) | ours_before):
        old = notes.get(ref, "")
        staff = old.split(NOTE_MARK)[0].rstrip()
        # the rows of a merged block share its top-left cell: say a repeated message once
        ours = NOTE_MARK + "\n" + "\n".join(dict.fromkeys(wanted[ref])) if ref in wanted else ""
        new = "\n\n".join(part for part in (staff, ours) if part)
        if new != old:
            title, row, col = ref
            requests.append({"updateCells": {
                "start": {"sheetId": sheets[title]["sheetId"], "rowIndex": row, "columnIndex": col},
                "rows": [{"values": [{"note": new}]}],
                "fields": "note",
            }})
    return requests


def _cell_ref(sheets: Mapping[str, Mapping[str, Any]], issue: Issue) -> CellRef | None:
    """Where a note can go: a real cell of a staff worksheet, inside its grid."""
    props = sheets.get(issue.sheet)
    if not issue.cell or props is None or issue.sheet == RESULTS_SHEET:
        return None
    try:
        row, col = coordinate_to_tuple(issue.cell)
    except (ValueError, CellCoordinatesException):
        return None
    grid = props.get("gridProperties", {})
    if row > grid.get("rowCount", 0) or col > grid.get("columnCount", 0):
        return None  # a note outside the grid would fail the whole batchUpdate
    return issue.sheet, row - 1, col - 1


def results_rows(issues: Iterable[Issue]) -> list[list[Any]]:
    rows: list[list[Any]] = [list(RESULTS_HEADER)]
    for issue in issues:
        rows.append([issue.sheet, issue.row if issue.row is not None else "", issue.cell or "",
                     issue.column or "", SEVERITY_WORDS.get(issue.severity, issue.severity),
                     issue.message])
    return rows


def results_requests(results: Mapping[str, Any] | None, rows: list[list[Any]], digest: str,
                     sheets: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Create or resize `校验结果` to fit `rows` exactly, then overwrite every cell of it."""
    # One spare row: Sheets refuses to freeze every row of a worksheet.
    grid = {"rowCount": len(rows) + 1, "columnCount": len(RESULTS_HEADER), "frozenRowCount": 1}
    if results is None:
        used = {props["sheetId"] for props in sheets.values()}
        sheet_id = next(i for i in count(1) if i not in used)
        first = {"addSheet": {"properties": {"sheetId": sheet_id, "title": RESULTS_SHEET,
                                             "gridProperties": grid}}}
    else:
        sheet_id = results["sheetId"]
        first = {"updateSheetProperties": {
            "properties": {"sheetId": sheet_id, "gridProperties": grid},
            "fields": "gridProperties.rowCount,gridProperties.columnCount,"
                      "gridProperties.frozenRowCount",
        }}
    body = [{"values": [cell_data(value) for value in row]} for row in rows]
    body[0]["values"][0]["note"] = DIGEST_NOTE.format(digest)
    write = {"updateCells": {
        "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": grid["rowCount"],
                  "startColumnIndex": 0, "endColumnIndex": grid["columnCount"]},
        "rows": body,
        "fields": "userEnteredValue,note",
    }}
    return [first, write]


def cell_data(value: Any) -> dict[str, Any]:
    """A literal cell: stringValue is stored as typed (never parsed as a formula, like RAW);
    a leading apostrophe also defuses text that would turn into a formula once exported."""
    if value == "":
        return {}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"userEnteredValue": {"numberValue": value}}
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return {"userEnteredValue": {"stringValue": text}}
