"""Errors as Google's APIs send them, for the Sheets emulator.

gspread's APIError reads `error.code` and `error.message` from the body; google-auth reads
`error` and `error_description` from the token endpoint's.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A request the real API would refuse; the emulator turns it into an error response."""

    def __init__(self, code: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason  # google.rpc.ErrorInfo reason, when the real API sends one


STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
                502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
DEFAULT_MESSAGES = {
    401: "Request had invalid authentication credentials. Expected OAuth 2 access token, "
         "login cookie or other valid authentication credential.",
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute "
         "per user' of service 'sheets.googleapis.com' for consumer 'project_number:1234567'.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}
DEFAULT_REASONS = {429: "RATE_LIMIT_EXCEEDED"}


def google_error(code: int, message: str | None = None, reason: str | None = None) -> dict:
    """The error body Google's APIs send; gspread's APIError reads error.code and message."""
    error: dict[str, Any] = {"code": code,
                             "message": message or DEFAULT_MESSAGES.get(code, "Error"),
                             "status": STATUS_NAMES.get(code, "UNKNOWN")}
    reason = reason or DEFAULT_REASONS.get(code)
    if reason:
        error["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                             "reason": reason, "domain": "googleapis.com"}]
    return {"error": error}


def service_disabled(api: str) -> ApiError:
    """What Google answers when the caller's cloud project has not enabled `api`."""
    name = {"sheets": "Google Sheets API", "drive": "Google Drive API"}[api]
    console = f"https://console.developers.google.com/apis/api/{api}.googleapis.com/overview"
    return ApiError(403, f"{name} has not been used in project 1234567 before or it is "
                         f"disabled. Enable it by visiting {console}?project=1234567 then retry.",
                    "SERVICE_DISABLED")
