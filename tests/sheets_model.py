"""In-memory spreadsheets for the Sheets API emulator: cells, notes, ranges, batchUpdate.

Pure data, no HTTP: `tests/sheets_emulator.py` serves it. Behaviour copies what the real
Sheets API v4 does where our code depends on it (trimmed value ranges, serial dates, grid
limits, atomic batchUpdate); anything else is refused with a 400 so a test notices.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime, UTC
from typing import Any

from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter

from tests.sheets_cells import parse_range, quote_title, render_value
from tests.sheets_errors import ApiError


@dataclass
class Sheet:
    title: str
    rows: list[list[Any]]
    sheet_id: int
    hidden: bool = False
    row_count: int = 1000
    col_count: int = 26
    frozen_rows: int = 0
    sheet_type: str = "GRID"
    merges: list[str] = field(default_factory=list)  # A1 ranges, e.g. "C4:C11"


@dataclass
class Spreadsheet:
    key: str
    title: str
    sheets: list[Sheet]
    time_zone: str = "Asia/Shanghai"
    notes: dict[tuple[str, str], str] = field(default_factory=dict)  # (sheet title, A1) → text
    modified: datetime = field(default_factory=lambda: datetime.now(UTC))
    role: str | None = "writer"  # what the service account may do: writer, reader, None

    def sheet(self, title: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.title == title:
                return sheet
        raise ApiError(400, f"Unable to parse range: {title}")

    def sheet_by_id(self, sheet_id: int) -> Sheet:
        for sheet in self.sheets:
            if sheet.sheet_id == sheet_id:
                return sheet
        raise ApiError(400, f"No grid with id: {sheet_id}")

    def cell(self, sheet: Sheet, row: int, col: int) -> Any:
        """0-based cell value, "" when empty."""
        if row < len(sheet.rows) and col < len(sheet.rows[row]):
            value = sheet.rows[row][col]
            return "" if value is None else value
        return ""

    def put(self, sheet: Sheet, row: int, col: int, value: Any) -> None:
        _check_grid(sheet, row, col)
        while len(sheet.rows) <= row:
            sheet.rows.append([])
        cells = sheet.rows[row]
        while len(cells) <= col:
            cells.append("")
        cells[col] = value

    def merge(self, sheet: Sheet, a1_range: str) -> None:
        """Merge a range as Sheets does: the top-left value stays, every other cell is emptied."""
        (r1, c1), (r2, c2) = (coordinate_to_tuple(end) for end in a1_range.split(":"))
        for r in range(r1 - 1, r2):
            for c in range(c1 - 1, c2):
                if (r, c) != (r1 - 1, c1 - 1) and self.cell(sheet, r, c) != "":
                    self.put(sheet, r, c, "")
        sheet.merges.append(a1_range)

    def set_note(self, sheet: Sheet, row: int, col: int, text: str) -> None:
        _check_grid(sheet, row, col)
        ref = (sheet.title, f"{get_column_letter(col + 1)}{row + 1}")
        if text:
            self.notes[ref] = text
        else:
            self.notes.pop(ref, None)

    def note(self, sheet: Sheet, row: int, col: int) -> str:
        return self.notes.get((sheet.title, f"{get_column_letter(col + 1)}{row + 1}"), "")

    # ---- reads -------------------------------------------------------------------------

    def drive_file(self, fields: str) -> dict[str, Any]:
        """Drive files.get, honouring a flat `fields` list."""
        full = {"kind": "drive#file", "id": self.key, "name": self.title,
                "mimeType": "application/vnd.google-apps.spreadsheet",
                "createdTime": "2020-08-01T00:00:00.000Z", "modifiedTime": rfc3339(self.modified)}
        wanted = [f.strip() for f in fields.split(",") if f.strip()]
        return {name: full[name] for name in wanted or ["kind", "id", "name", "mimeType"]
                if name in full}

    def metadata(self, include_grid_data: bool) -> dict[str, Any]:
        return {
            "spreadsheetId": self.key,
            "properties": {"title": self.title, "locale": "zh_CN", "timeZone": self.time_zone},
            "sheets": [self._sheet_metadata(s, include_grid_data) for s in self.sheets],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.key}/edit",
        }

    def _sheet_metadata(self, sheet: Sheet, include_grid_data: bool) -> dict[str, Any]:
        grid = {"rowCount": sheet.row_count, "columnCount": sheet.col_count}
        if sheet.frozen_rows:
            grid["frozenRowCount"] = sheet.frozen_rows
        props: dict[str, Any] = {
            "sheetId": sheet.sheet_id,
            "title": sheet.title,
            "index": self.sheets.index(sheet),
            "sheetType": sheet.sheet_type,
            "gridProperties": grid,
        }
        if sheet.hidden:  # the real API omits false booleans
            props["hidden"] = True
        out: dict[str, Any] = {"properties": props}
        if sheet.merges:  # GridRanges: 0-based, end exclusive; omitted when there are none
            out["merges"] = [_grid_range(sheet.sheet_id, a1) for a1 in sheet.merges]
        if include_grid_data:
            # Only notes: our callers ask for nothing else (fields=…rowData(values(note))).
            noted = [coordinate_to_tuple(a1) for (title, a1) in self.notes if title == sheet.title]
            last_row = max((r for r, _ in noted), default=0)
            last_col = max((c for _, c in noted), default=0)
            row_data = [
                {"values": [_note_cell(self.note(sheet, r, c)) for c in range(last_col)]}
                for r in range(last_row)
            ]
            out["data"] = [{"rowData": row_data}]
        return out

    def values(self, a1_range: str, render: str, date_render: str) -> dict[str, Any]:
        title, r1, c1, r2, c2 = parse_range(a1_range)
        sheet = self.sheet(title)
        r2 = sheet.row_count if r2 is None else min(r2, sheet.row_count)
        c2 = sheet.col_count if c2 is None else min(c2, sheet.col_count)
        rows = [
            [render_value(self.cell(sheet, r, c), render, date_render) for c in range(c1, c2)]
            for r in range(r1, r2)
        ]
        rows = [_rstrip(row) for row in rows]
        while rows and not rows[-1]:
            rows.pop()
        span = f"{get_column_letter(c1 + 1)}{r1 + 1}:{get_column_letter(c2)}{r2}"
        out: dict[str, Any] = {"range": f"{quote_title(title)}!{span}", "majorDimension": "ROWS"}
        if rows:
            out["values"] = rows
        return out

    # ---- writes ------------------------------------------------------------------------

    def batch_update(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Apply every request or none, as the real API does."""
        draft = copy.deepcopy(self)
        replies = [draft._apply(i, request) for i, request in enumerate(requests)]
        self.sheets, self.notes = draft.sheets, draft.notes
        return replies

    def _apply(self, index: int, request: dict[str, Any]) -> dict[str, Any]:
        (kind, body), = request.items()
        handler = getattr(self, f"_req_{kind}", None)
        if handler is None:
            raise ApiError(400, f"Invalid requests[{index}]: emulator does not support {kind}")
        return handler(body)

    def _req_addSheet(self, body: dict[str, Any]) -> dict[str, Any]:
        props = body.get("properties", {})
        title = props.get("title") or f"Sheet{len(self.sheets) + 1}"
        if any(s.title == title for s in self.sheets):
            raise ApiError(400, f'Invalid requests[0].addSheet: A sheet with the name "{title}" '
                                "already exists. Please enter another name.")
        sheet_id = props.get("sheetId", max((s.sheet_id for s in self.sheets), default=0) + 1)
        if any(s.sheet_id == sheet_id for s in self.sheets):
            raise ApiError(400, f"Invalid requests[0].addSheet: sheet ID {sheet_id} already exists")
        grid = props.get("gridProperties", {})
        sheet = Sheet(title, [], sheet_id, hidden=props.get("hidden", False),
                      row_count=grid.get("rowCount", 1000), col_count=grid.get("columnCount", 26),
                      frozen_rows=grid.get("frozenRowCount", 0))
        self.sheets.insert(props.get("index", len(self.sheets)), sheet)
        return {"addSheet": {"properties": self._sheet_metadata(sheet, False)["properties"]}}

    def _req_updateSheetProperties(self, body: dict[str, Any]) -> dict[str, Any]:
        props, sheet = body["properties"], self.sheet_by_id(body["properties"]["sheetId"])
        grid = props.get("gridProperties", {})
        setters = {
            "hidden": lambda: setattr(sheet, "hidden", props.get("hidden", False)),
            "gridProperties.rowCount": lambda: self._resize(
                sheet, grid["rowCount"], sheet.col_count),
            "gridProperties.columnCount": lambda: self._resize(
                sheet, sheet.row_count, grid["columnCount"]),
            "gridProperties.frozenRowCount": lambda: setattr(
                sheet, "frozen_rows", grid.get("frozenRowCount", 0)),
        }
        for name in body["fields"].split(","):
            if name.strip() not in setters:
                raise ApiError(400, f"emulator does not support updateSheetProperties field {name}")
            setters[name.strip()]()
        if sheet.frozen_rows >= sheet.row_count:
            raise ApiError(400, "You can't freeze all visible rows on the sheet.")
        return {}

    def _resize(self, sheet: Sheet, rows: int, cols: int) -> None:
        sheet.rows = [row[:cols] for row in sheet.rows[:rows]]
        sheet.row_count, sheet.col_count = rows, cols
        for title, a1 in list(self.notes):
            r, c = coordinate_to_tuple(a1)
            if title == sheet.title and (r > rows or c > cols):
                del self.notes[(title, a1)]

    def _req_updateCells(self, body: dict[str, Any]) -> dict[str, Any]:
        fields = _cell_fields(body["fields"])
        rows = body.get("rows", [])
        if "start" in body:
            start = body["start"]
            sheet = self.sheet_by_id(start.get("sheetId", 0))
            r0, c0 = start.get("rowIndex", 0), start.get("columnIndex", 0)
            height = len(rows)
            width = max((len(r.get("values", [])) for r in rows), default=0)
        else:
            sheet, r0, c0, height, width = self._grid_range(body["range"])
        for r in range(height):
            cells = rows[r].get("values", []) if r < len(rows) else []
            for c in range(width):
                self._write_cell(sheet, r0 + r, c0 + c, cells[c] if c < len(cells) else {}, fields)
        return {}

    def _req_repeatCell(self, body: dict[str, Any]) -> dict[str, Any]:
        fields = _cell_fields(body["fields"])
        sheet, r0, c0, height, width = self._grid_range(body["range"])
        for r in range(r0, r0 + height):
            for c in range(c0, c0 + width):
                self._write_cell(sheet, r, c, body.get("cell", {}), fields)
        return {}

    def _grid_range(self, grid_range: dict[str, Any]) -> tuple[Sheet, int, int, int, int]:
        sheet = self.sheet_by_id(grid_range.get("sheetId", 0))
        r0, c0 = grid_range.get("startRowIndex", 0), grid_range.get("startColumnIndex", 0)
        r1 = grid_range.get("endRowIndex", sheet.row_count)
        c1 = grid_range.get("endColumnIndex", sheet.col_count)
        return sheet, r0, c0, r1 - r0, c1 - c0

    def _write_cell(
        self, sheet: Sheet, row: int, col: int, data: dict[str, Any], fields: set[str]
    ) -> None:
        if "userEnteredValue" in fields:
            # one of stringValue, numberValue, boolValue, formulaValue; none means cleared
            value = next(iter(data.get("userEnteredValue", {}).values()), "")
            self.put(sheet, row, col, value)
        if "note" in fields:
            self.set_note(sheet, row, col, data.get("note", ""))


def rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _check_grid(sheet: Sheet, row: int, col: int) -> None:
    if row >= sheet.row_count or col >= sheet.col_count:
        raise ApiError(
            400,
            f"Range ('{sheet.title}'!{get_column_letter(col + 1)}{row + 1}) exceeds grid "
            f"limits. Max rows: {sheet.row_count}, max columns: {sheet.col_count}",
        )


def _grid_range(sheet_id: int, a1_range: str) -> dict[str, int]:
    (r1, c1), (r2, c2) = (coordinate_to_tuple(end) for end in a1_range.split(":"))
    return {"sheetId": sheet_id, "startRowIndex": r1 - 1, "endRowIndex": r2,
            "startColumnIndex": c1 - 1, "endColumnIndex": c2}


def _note_cell(text: str) -> dict[str, str]:
    return {"note": text} if text else {}


def _cell_fields(mask: str) -> set[str]:
    fields = {"userEnteredValue", "note"} if mask == "*" else {f.strip() for f in mask.split(",")}
    unsupported = fields - {"userEnteredValue", "note"}
    if unsupported:
        raise ApiError(400, f"emulator does not support cell fields {sorted(unsupported)}")
    return fields


def _rstrip(row: list[Any]) -> list[Any]:
    while row and row[-1] == "":
        row.pop()
    return row
