"""A Google Sheets API v4 + Drive v3 + OAuth token emulator on 127.0.0.1 for tests.

Serves exactly what gspread 6.2.1 and google-auth send for our reads and write-back:
the service-account JWT grant (signature checked), Drive files.get, spreadsheets.get,
values:batchGet and batchUpdate. Every request is logged with its kind; faults (HTTP errors,
delays, connection resets) can be scripted per kind or per call number. Dates are
`tests.sheets_cells.SheetDate` cells: serial numbers unformatted, text formatted.

    emulator = SheetsEmulator().start()
    emulator.add_spreadsheet("KEY", "名册", {"Sheet1": [["姓名", "报到日期"],
                                                        ["张三", SheetDate(date(2020, 8, 10))]]})
    emulator.edit("KEY", "Sheet1", "A2", "张三丰")  # bumps the Drive modifiedTime
    emulator.merge("KEY", "Sheet1", "C2:C9")  # spreadsheets.get then lists it under merges
    emulator.fail("values.batchGet", status=429, times=2)  # or call=3, delay=…, reset=True
    ...
    emulator.count("drive.get")
"""

from __future__ import annotations

import io
import json
import re
import secrets
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qs, unquote

from google.auth import jwt
from openpyxl.utils.cell import coordinate_to_tuple

from tests.sheets_errors import DEFAULT_MESSAGES, ApiError, google_error, service_disabled
from tests.sheets_model import Sheet, Spreadsheet

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # the JWT audience google-auth signs
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SCOPE = "https://www.googleapis.com/auth/"
READ_SHEETS = {SCOPE + s for s in ("spreadsheets", "spreadsheets.readonly",
                                   "drive", "drive.readonly")}
WRITE_SHEETS = {SCOPE + s for s in ("spreadsheets", "drive")}
READ_DRIVE = {SCOPE + s for s in ("drive", "drive.readonly", "drive.metadata.readonly",
                                  "drive.metadata", "drive.file")}
NEEDED_SCOPES = {"drive.get": READ_DRIVE, "sheets.get": READ_SHEETS,
                 "values.batchGet": READ_SHEETS, "batchUpdate": WRITE_SHEETS}
API_OF_KIND = {"drive.get": "drive", "sheets.get": "sheets", "values.batchGet": "sheets",
               "batchUpdate": "sheets"}
ROUTES = [
    ("POST", re.compile(r"^/token$"), "token"),
    ("GET", re.compile(r"^/drive/v3/files/([^/]+)$"), "drive.get"),
    ("GET", re.compile(r"^/v4/spreadsheets/([^/:]+)$"), "sheets.get"),
    ("GET", re.compile(r"^/v4/spreadsheets/([^/:]+)/values:batchGet$"), "values.batchGet"),
    ("POST", re.compile(r"^/v4/spreadsheets/([^/:]+):batchUpdate$"), "batchUpdate"),
]


@dataclass
class Fault:
    kind: str | None  # endpoint kind, or None for any
    call: int | None  # 1-based position in the request log, or None for any
    status: int | None = None
    delay: float = 0.0
    reset: bool = False
    body: dict | str | None = None  # str: sent as text/html, like a captive portal
    times: int = 1


@dataclass
class LoggedRequest:
    method: str
    path: str  # decoded, without the query
    kind: str
    query: dict[str, list[str]]
    status: int = 0  # 0 while pending, or when the connection was reset
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class _Grant:
    email: str
    scopes: set[str]


@dataclass
class SheetsEmulator:
    spreadsheets: dict[str, Spreadsheet] = field(default_factory=dict)
    requests: list[LoggedRequest] = field(default_factory=list)
    disabled_apis: set[str] = field(default_factory=set)  # "sheets" / "drive": 403 SERVICE_DISABLED
    _faults: list[Fault] = field(default_factory=list)
    _accounts: dict[str, tuple[str, str]] = field(default_factory=dict)  # email → (kid, PEM)
    _tokens: dict[str, _Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None

    # ---- lifecycle and set-up ------------------------------------------------------------

    def start(self) -> SheetsEmulator:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        # a thread sleeping in a delay fault must not block shutdown
        self._server.daemon_threads = True
        self._server.emulator = self  # type: ignore[attr-defined]
        # a short poll keeps stop() quick: shutdown() waits for the loop to notice
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def register_account(self, email: str, key_id: str, public_pem: str) -> None:
        self._accounts[email] = (key_id, public_pem)

    def add_spreadsheet(self, key: str, title: str, sheets: Mapping[str, list[list[Any]]], *,
                        hidden: Iterable[str] = (), time_zone: str = "Asia/Shanghai",
                        role: str | None = "writer") -> Spreadsheet:
        hidden = set(hidden)
        grids = [Sheet(name, [list(r) for r in rows], sheet_id=1000 + i, hidden=name in hidden,
                       row_count=max(1000, len(rows)),
                       col_count=max([26] + [len(r) for r in rows]))
                 for i, (name, rows) in enumerate(sheets.items())]
        book = Spreadsheet(key, title, grids, time_zone=time_zone, role=role)
        with self._lock:
            self.spreadsheets[key] = book
        return book

    def edit(self, key: str, sheet: str, a1: str, value: Any) -> None:
        """Change one cell the way a person would: the Drive modifiedTime moves on."""
        with self._lock:
            book = self.spreadsheets[key]
            row, col = coordinate_to_tuple(a1)
            book.put(book.sheet(sheet), row - 1, col - 1, value)
            self._touch(book)

    def merge(self, key: str, sheet: str, a1_range: str) -> None:
        """Merge cells the way a person would (Format → Merge): the Drive modifiedTime moves on."""
        with self._lock:
            book = self.spreadsheets[key]
            book.merge(book.sheet(sheet), a1_range)
            self._touch(book)

    def _touch(self, book: Spreadsheet) -> None:
        book.modified = max(datetime.now(UTC), book.modified + timedelta(milliseconds=1))

    # ---- faults and the request log ------------------------------------------------------

    def fail(self, kind: str | None = None, *, call: int | None = None, status: int | None = None,
             delay: float = 0.0, reset: bool = False, body: dict | str | None = None,
             times: int = 1) -> None:
        """Script a fault for the next `times` matching requests (kind and/or call number)."""
        with self._lock:
            self._faults.append(Fault(kind, call, status, delay, reset, body, times))

    def count(self, kind: str | None = None) -> int:
        return sum(1 for r in self.requests if kind is None or r.kind == kind)

    def kinds(self) -> list[str]:
        return [r.kind for r in self.requests]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def _take_fault(self, kind: str, call: int) -> Fault | None:
        for fault in self._faults:
            if fault.times > 0 and fault.kind in (None, kind) and fault.call in (None, call):
                fault.times -= 1
                return fault
        return None

    # ---- request handling ----------------------------------------------------------------

    def handle(self, h: BaseHTTPRequestHandler) -> None:
        raw_path, _, raw_query = h.path.partition("?")
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        kind, key = "unknown", ""
        for method, pattern, name in ROUTES:
            match = pattern.match(raw_path)  # split the raw path first: ids may hold %2F
            if match and h.command == method:
                kind, key = name, unquote(match.group(1)) if match.groups() else ""
        entry = LoggedRequest(h.command, unquote(raw_path), kind, parse_qs(raw_query))
        with self._lock:
            self.requests.append(entry)
            fault = self._take_fault(kind, len(self.requests))
        if fault and fault.delay:
            self._stopping.wait(fault.delay)
        if fault and fault.reset:
            return _reset(h)
        if fault and fault.status:
            return _send(h, entry, fault.status, fault.body or self._error(kind, fault.status))
        try:
            status, payload = 200, self._dispatch(kind, key, entry.query, body, h)
        except ApiError as exc:
            status, payload = exc.code, self._error(kind, exc.code, exc.message, exc.reason)
        _send(h, entry, status, payload)

    def _error(self, kind: str, code: int, message: str | None = None,
               reason: str | None = None) -> dict:
        if kind == "token":  # RFC 6749 shape, which google-auth parses
            return {"error": reason or "internal_failure", "error_description": message or ""}
        return google_error(code, message, reason)

    def _dispatch(self, kind: str, key: str, query: dict[str, list[str]], body: bytes,
                  h: BaseHTTPRequestHandler) -> dict[str, Any]:
        if kind == "token":
            return self._grant(parse_qs(body.decode()))
        if kind == "unknown":
            raise ApiError(404, f"emulator has no route for {h.command} {h.path}")
        self._authorise(kind, h.headers.get("Authorization", ""))
        with self._lock:
            book = self._open(kind, key)
            if kind == "drive.get":
                return book.drive_file(query.get("fields", [""])[0])
            if kind == "sheets.get":
                return book.metadata(query.get("includeGridData", ["false"])[0] == "true")
            if kind == "values.batchGet":
                render = query.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
                dates = query.get("dateTimeRenderOption", ["SERIAL_NUMBER"])[0]
                ranges = [book.values(r, render, dates) for r in query.get("ranges", [])]
                return {"spreadsheetId": key, "valueRanges": ranges}
            replies = book.batch_update(json.loads(body or b"{}").get("requests", []))
            self._touch(book)
            return {"spreadsheetId": key, "replies": replies}

    def _authorise(self, kind: str, header: str) -> None:
        grant = self._tokens.get(header.removeprefix("Bearer ").strip())
        if not header.startswith("Bearer ") or grant is None:
            raise ApiError(401, DEFAULT_MESSAGES[401])
        if API_OF_KIND[kind] in self.disabled_apis:
            raise service_disabled(API_OF_KIND[kind])
        if not grant.scopes & NEEDED_SCOPES[kind]:
            raise ApiError(403, "Request had insufficient authentication scopes.",
                           "ACCESS_TOKEN_SCOPE_INSUFFICIENT")

    def _open(self, kind: str, key: str) -> Spreadsheet:
        book = self.spreadsheets.get(key)
        if kind == "drive.get" and (book is None or book.role is None):
            # Drive hides files the caller cannot see: 404, never 403
            raise ApiError(404, f"File not found: {key}.", "notFound")
        if book is None:
            raise ApiError(404, DEFAULT_MESSAGES[404])
        if book.role is None or (kind == "batchUpdate" and book.role != "writer"):
            raise ApiError(403, DEFAULT_MESSAGES[403])
        return book

    def _grant(self, form: dict[str, list[str]]) -> dict[str, Any]:
        if form.get("grant_type") != [JWT_GRANT]:
            raise ApiError(400, "Invalid grant_type.", "unsupported_grant_type")
        assertion = form.get("assertion", [""])[0]
        try:
            claims = jwt.decode(assertion, verify=False)
            key_id, public_pem = self._accounts[claims["iss"]]
        except (ValueError, KeyError):
            raise ApiError(400, "Invalid grant: account not found", "invalid_grant") from None
        try:
            jwt.decode(assertion, certs={key_id: public_pem}, clock_skew_in_seconds=10,
                       audience=[GOOGLE_TOKEN_URI, self.url + "/token"])
        except ValueError:
            raise ApiError(400, "Invalid JWT Signature.", "invalid_grant") from None
        token = "ya29.emu-" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = _Grant(claims["iss"], set(claims.get("scope", "").split()))
        return {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}


def _send(h: BaseHTTPRequestHandler, entry: LoggedRequest, status: int,
          payload: dict | str) -> None:
    html = isinstance(payload, str)
    data = (payload if html else json.dumps(payload, ensure_ascii=False)).encode()
    entry.status = status
    try:
        h.send_response(status)
        h.send_header("Content-Type", f"{'text/html' if html else 'application/json'}; "
                                      "charset=UTF-8")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
    except OSError:  # the client gave up (timeout) before we answered
        h.close_connection = True


def _reset(h: BaseHTTPRequestHandler) -> None:
    """Drop the connection with a TCP RST and no response at all."""
    sock = h.connection
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.close_connection = True
    h.rfile.close()
    h.wfile.close()
    sock.close()  # the last reference: the kernel sends RST
    h.rfile, h.wfile = io.BytesIO(), io.BytesIO()  # what the handler's epilogue flushes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Google serves it

    def _serve(self) -> None:
        self.server.emulator.handle(self)  # type: ignore[attr-defined]

    do_GET = do_POST = do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read the request log instead."""
