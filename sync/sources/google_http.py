"""The one module that talks to Google: credentials, a gspread HTTP client, retries, errors.

gspread has no base-URL option and its `BackOffHTTPClient` never gives up, so
`GoogleHTTPClient` rewrites Google's URL prefixes to `api_endpoint`, puts a timeout on every
request and retries 429, 5xx, timeouts and dropped connections with capped exponential
backoff and full jitter. `google_client()` turns every failure into a `SourceUnreadable`
whose Chinese message says what to do; neither the private key nor a token ever appears in
a message or a log line.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Callable, Iterator, Mapping
from urllib.parse import urlsplit

import requests
from google.auth.exceptions import RefreshError, TransportError
from google.oauth2 import service_account
from gspread.exceptions import APIError, NoValidUrlKeyFound
from gspread.http_client import HTTPClient
from gspread.utils import extract_id_from_url

from sync.sources.grid import SourceUnreadable

log = logging.getLogger(__name__)

GOOGLE_PREFIXES = ("https://sheets.googleapis.com", "https://www.googleapis.com")
RETRY_STATUSES = {408, 429, 500, 502, 503, 504}
# Drive reports rate limits as 403 with one of these reasons; Sheets as 429.
RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"}
RETRY_ERRORS = (requests.ConnectionError, requests.Timeout,
                requests.exceptions.ChunkedEncodingError, TransportError)
KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]+")
# Called as pace(account, method, url) before every attempt of every request; the job queue sets
# it (jobs.google_quota) so all workers share each service account's quota. Unset: no pacing.
PACE: ContextVar[Callable[[str, str, str], None] | None] = ContextVar("google_pace", default=None)


@dataclass(frozen=True)
class RetryPolicy:
    """Per request: at most `attempts` tries and `total` seconds, waits capped at `cap`."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    total: float = 60.0

    def backoff(self, attempt: int) -> float:
        # Full jitter: clients hit by the same outage do not retry in lock-step.
        return random.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))


class RetriesExhausted(Exception):
    def __init__(self, failure: str, attempts: int, elapsed: float) -> None:
        super().__init__(failure)
        self.failure, self.attempts, self.elapsed = failure, attempts, elapsed


class GoogleHTTPClient(HTTPClient):
    """gspread's HTTP client with a base-URL rewrite, a timeout and a retry policy."""

    def __init__(self, auth: Any, session: requests.Session | None = None, *,
                 api_endpoint: str | None = None, timeout: float = 30,
                 retry: RetryPolicy | None = None) -> None:
        super().__init__(auth, session)
        self.set_timeout(timeout)
        self.api_endpoint = api_endpoint.rstrip("/") if api_endpoint else None
        self.retry = retry or RetryPolicy()

    def rebase(self, url: str) -> str:
        """Google's URL moved onto `api_endpoint` (Sheets and Drive share one base)."""
        prefix = next((p for p in GOOGLE_PREFIXES if url.startswith(p)), None)
        if self.api_endpoint and prefix:
            return self.api_endpoint + url[len(prefix):]
        return url

    def request(self, method: str, endpoint: str, params: Any = None, data: Any = None,
                json: Any = None, files: Any = None, headers: Any = None) -> requests.Response:
        url, policy, started, attempt = self.rebase(endpoint), self.retry, time.monotonic(), 0
        pace, account = PACE.get(), getattr(self.auth, "service_account_email", "")
        while True:
            attempt += 1
            if pace is not None:  # time spent waiting for the quota is not the request's budget
                before = time.monotonic()
                pace(account, method, endpoint)
                started += time.monotonic() - before
            # Never let one slow request outlive the whole budget.
            budget = max(policy.total - (time.monotonic() - started), 0.1)
            timeout = min(float(self.timeout or budget), budget)
            try:
                response = self.session.request(method, url, params=params, data=data, json=json,
                                                files=files, headers=headers, timeout=timeout)
            except RETRY_ERRORS as exc:
                failure = _describe(exc, url, timeout)
            else:
                if response.ok:
                    return response
                if not _retryable(response):
                    raise APIError(response)
                failure = f"HTTP {response.status_code}"
            elapsed, wait = time.monotonic() - started, policy.backoff(attempt)
            if attempt >= policy.attempts or elapsed + wait >= policy.total:
                raise RetriesExhausted(failure, attempt, elapsed)
            log.warning("Google API %s %s: %s; retrying in %.2f s (attempt %d of %d)",
                        method.upper(), urlsplit(url).path, failure, wait, attempt + 1,
                        policy.attempts)
            time.sleep(wait)


def _describe(exc: Exception, url: str, timeout: float) -> str:
    # google-auth wraps failures of the token request in TransportError
    token = isinstance(exc, TransportError)
    if isinstance(exc.__cause__ if token else exc, requests.Timeout):
        return f"请求超时（超过 {timeout:g} 秒）"
    return "无法连接谷歌认证服务" if token else f"与 {urlsplit(url).netloc} 的连接中断或无法建立"


def _error_reasons(response: requests.Response) -> set[str]:
    try:
        error = response.json()["error"]
        items = list(error.get("errors", [])) + list(error.get("details", []))
        return {item["reason"] for item in items if "reason" in item}
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()


def _retryable(response: requests.Response) -> bool:
    if response.status_code in RETRY_STATUSES:
        return True
    return response.status_code == 403 and bool(_error_reasons(response) & RATE_LIMIT_REASONS)


def spreadsheet_key(spreadsheet: str) -> str:
    """The spreadsheet key from a bare key or any docs.google.com link."""
    text = spreadsheet.strip()
    try:
        key = extract_id_from_url(text) if "/" in text or "=" in text else text
    except NoValidUrlKeyFound:
        key = ""
    if not KEY_PATTERN.fullmatch(key):
        raise SourceUnreadable(f"无法识别表格编号：{text}：请粘贴浏览器地址栏中的表格链接")
    return key


def load_credentials(credentials: str | Path | Mapping[str, Any],
                     scopes: tuple[str, ...]) -> tuple[service_account.Credentials, str, str]:
    """Service-account credentials, their client_email, and a label naming where they came from."""
    info, label = _key_info(credentials)
    if info.get("type") != "service_account":
        raise SourceUnreadable(f"{label}：不是服务账号密钥（type 应为 service_account），请在谷歌云"
                               "控制台为服务账号创建 JSON 密钥")
    missing = [name for name in ("client_email", "private_key", "token_uri") if not info.get(name)]
    if missing:
        raise SourceUnreadable(f"{label}：缺少字段 {'、'.join(missing)}，请重新下载密钥文件")
    try:
        creds = service_account.Credentials.from_service_account_info(info, scopes=scopes)
    except (ValueError, TypeError):
        raise SourceUnreadable(f"{label}：私钥无法解析，请重新下载密钥文件") from None
    return creds, info["client_email"], label


def _key_info(credentials: str | Path | Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    if isinstance(credentials, Mapping):
        return dict(credentials), "服务账号密钥（配置中的 JSON）"
    text = str(credentials)
    if text.lstrip().startswith("{"):  # the key JSON itself, e.g. from an environment variable
        raw, label = text, "服务账号密钥（JSON 文本）"
    else:
        label = f"服务账号密钥文件 {text}"
        try:
            raw = Path(text).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise SourceUnreadable(f"找不到服务账号密钥文件：{text}") from None
        except (OSError, UnicodeDecodeError):
            raise SourceUnreadable(f"无法读取服务账号密钥文件：{text}：请检查文件权限") from None
    try:
        info = json.loads(raw)
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise SourceUnreadable(f"{label}：不是有效的 JSON，请重新下载密钥文件")
    return info, label


@contextmanager
def google_client(credentials: str | Path | Mapping[str, Any], key: str,
                  scopes: tuple[str, ...], *, writing: bool = False,
                  api_endpoint: str | None = None, timeout: float = 30,
                  retry: RetryPolicy | None = None) -> Iterator[GoogleHTTPClient]:
    """A client for one spreadsheet; any Google failure inside leaves as `SourceUnreadable`."""
    creds, account, label = load_credentials(credentials, scopes)
    if api_endpoint:
        # google-auth looks up a "regional access boundary" at iamcredentials.googleapis.com after
        # each token; behind a replaced endpoint (a proxy, a private endpoint, the tests) that
        # host is out of reach and must not be contacted around the endpoint.
        creds._is_regional_access_boundary_lookup_required = lambda: False
    client = GoogleHTTPClient(creds, api_endpoint=api_endpoint, timeout=timeout, retry=retry)
    try:
        yield client
    except RetriesExhausted as exc:
        raise SourceUnreadable(f"谷歌表格服务暂时不可用（{exc.failure}，共尝试 {exc.attempts} 次，"
                               f"用时 {exc.elapsed:.1f} 秒）：请稍后再试") from None
    except RefreshError as exc:
        if exc.retryable:
            raise SourceUnreadable("谷歌认证服务暂时不可用：请稍后再试") from None
        reason = str(exc.args[0] if exc.args else exc)[:160]
        raise SourceUnreadable(f"谷歌拒绝了{label}（{reason}）：请检查服务账号 {account} "
                               "及其密钥是否仍然有效，必要时重新创建密钥") from None
    except APIError as exc:
        raise SourceUnreadable(api_error_message(exc.response, key, account, writing)) from None
    except (ValueError, KeyError):  # a 200 that is not the API's JSON: a portal or a bad proxy
        raise SourceUnreadable("谷歌表格接口返回了无法识别的内容：请检查 api_endpoint 设置"
                               "或网络代理") from None
    finally:
        client.session.close()


def api_error_message(response: requests.Response, key: str, account: str,
                      writing: bool) -> str:
    status, reasons = response.status_code, _error_reasons(response)
    try:
        detail = str(response.json()["error"]["message"])[:200]
    except (ValueError, KeyError, TypeError):
        detail = response.reason or ""
    if status == 404:
        # Drive answers 404, not 403, for a file the caller cannot see.
        return (f"找不到表格（{key}）：请检查表格链接或编号；如果链接无误，"
                f"请将表格共享给 {account}")
    if status == 403 and reasons & {"SERVICE_DISABLED", "accessNotConfigured"}:
        return f"服务账号所在的谷歌云项目未启用所需接口（{detail}）：请启用 Google Sheets API 和 Google Drive API"
    if status == 403 and "ACCESS_TOKEN_SCOPE_INSUFFICIENT" not in reasons:
        if writing:
            return f"无权写入该表格：请将表格共享给 {account}（编辑者权限，回写校验结果需要）"
        return f"无权读取该表格：请将表格共享给 {account}（查看者权限即可）"
    if status == 401:
        return f"谷歌不接受服务账号 {account} 的凭据：请检查密钥是否已停用或删除"
    return f"谷歌表格接口拒绝了请求（HTTP {status}：{detail}）"
