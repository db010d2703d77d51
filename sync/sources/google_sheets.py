"""Read a Google Sheets spreadsheet into a `Workbook`, spending as little quota as possible.

Per call: one Drive files.get for modifiedTime (the fingerprint) and, only when it moved,
one spreadsheets.get for titles and time zone plus ONE values:batchGet for every worksheet.
Values come unformatted, so text stays text, numbers stay numbers and dates arrive as
serial numbers for the normaliser (days since 1899-12-30 in the spreadsheet's time zone).
Network, retries and error messages live in `sync.sources.google_http`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from collections.abc import Mapping

from gspread.utils import absolute_range_name

from sync.sources.grid import Grid, Merge, Workbook
from sync.sources.limits import CellBudget, check_sheet_count
from sync.sources.google_http import RetryPolicy, google_client, spreadsheet_key
from sync.terms import RESULTS_SHEET

READ_SCOPES = (
    "https://www.googleapis.com/auth/spreadsheets.readonly",
    "https://www.googleapis.com/auth/drive.metadata.readonly",
)
# Only what we use: a spreadsheet's full metadata can run to megabytes of formats. Merged ranges
# come with it (a merged value sits in the top-left cell only; the checker reads it into the range).
METADATA_FIELDS = "properties(title,timeZone),sheets(properties(title,hidden,sheetType),merges)"
VALUE_PARAMS = {"valueRenderOption": "UNFORMATTED_VALUE",
                "dateTimeRenderOption": "SERIAL_NUMBER", "majorDimension": "ROWS"}


def read_gsheet(spreadsheet: str, credentials: str | Path | Mapping[str, Any], *,
                api_endpoint: str | None = None, known_fingerprint: str | None = None,
                timeout: float = 30, retry: RetryPolicy | None = None) -> Workbook | None:
    """The spreadsheet's worksheets, or None when its modifiedTime equals `known_fingerprint`.

    `spreadsheet` is a key or a link; `credentials` a service-account key file path, the key
    JSON as text, or the parsed dict. Raises `SourceUnreadable` with a Chinese message.
    """
    key = spreadsheet_key(spreadsheet)
    with google_client(credentials, key, READ_SCOPES, api_endpoint=api_endpoint,
                       timeout=timeout, retry=retry) as client:
        # Taken before the values: an edit in between makes the next run read again, never less.
        fingerprint = client.get_file_drive_metadata(key)["modifiedTime"]
        if known_fingerprint and fingerprint == known_fingerprint:
            return None
        metadata = client.fetch_sheet_metadata(
            key, params={"includeGridData": "false", "fields": METADATA_FIELDS})
        sheets = value_sheets(metadata)
        check_sheet_count(len(sheets), metadata.get("properties", {}).get("title", key))
        ranges = [absolute_range_name(sheet["properties"]["title"]) for sheet in sheets]
        values = client.values_batch_get(key, ranges, params=dict(VALUE_PARAMS)) if ranges else {}
    properties = metadata.get("properties", {})
    return Workbook(
        name=properties.get("title", key),
        grids=grids_from_values(sheets, values.get("valueRanges", [])),
        fingerprint=fingerprint,
        timezone=properties.get("timeZone") or Workbook.timezone,
    )


def value_sheets(metadata: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The worksheets that hold cells (properties and merges), minus our own write-back worksheet.

    Chart sheets (sheetType OBJECT) and data-source sheets have no values to ask for; asking
    fails the whole batchGet.
    """
    return [
        sheet for sheet in metadata.get("sheets", [])
        if sheet["properties"].get("sheetType", "GRID") == "GRID"
        and sheet["properties"]["title"] != RESULTS_SHEET
    ]


def grids_from_values(sheets: list[dict[str, Any]],
                      value_ranges: list[Mapping[str, Any]]) -> list[Grid]:
    """One rectangular `Grid` per worksheet; value ranges come back in request order.

    The API omits `values` for an empty worksheet and trims trailing empty cells and rows;
    a whole-sheet range always starts at A1, so a merge's grid indexes are positions in `rows`.
    """
    grids = []
    budget = CellBudget("Google 表格")
    for sheet, value_range in zip(sheets, value_ranges, strict=True):
        props = sheet["properties"]
        rows = [list(row) for row in value_range.get("values", [])]
        width = max((len(row) for row in rows), default=0)
        budget.take(props["title"], len(rows), width)  # before the rows are padded
        for row in rows:
            row.extend([""] * (width - len(row)))
        grids.append(Grid(props["title"], rows, hidden=bool(props.get("hidden", False)),
                          merges=[_merge(m) for m in sheet.get("merges", [])]))
    return grids


def _merge(grid_range: Mapping[str, Any]) -> Merge:
    """A GridRange (0-based, end exclusive, omitted start = 0) as the grid's inclusive positions."""
    r0, c0 = grid_range.get("startRowIndex", 0), grid_range.get("startColumnIndex", 0)
    return r0, c0, grid_range.get("endRowIndex", r0 + 1) - 1, grid_range.get("endColumnIndex", c0 + 1) - 1
