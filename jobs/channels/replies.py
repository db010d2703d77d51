"""A robot platform's answer, read the same way for all three: success, or a code and what to do about it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NOW = "now"  # back off and try again within this report run (a per-minute limit, a busy server)
LATER = "later"  # record as failed; the next report run sends the stored message again


@dataclass(frozen=True)
class Reply:
    ok: bool
    code: int | None = None
    message: str = ""
    retry: str = LATER
    hint: str = ""

    def describe(self, platform: str) -> str:
        """For ``deliveries.error``: the platform's own code and message, then what it means."""
        said = f"{platform}返回 {self.code}：{self.message}" if self.code is not None else f"{platform}返回 {self.message}"
        return said + (f"（{self.hint}）" if self.hint else "")


def read_reply(status: int, data: Any, code_key: str, message_key: str,
               known: dict[int, tuple[str, str]]) -> Reply:
    """``known``: documented code -> (Chinese hint, NOW or LATER); other codes are retried on the next run."""
    if not isinstance(data, dict) or not isinstance(data.get(code_key), int):
        retry = NOW if status == 429 or status >= 500 else LATER
        return Reply(False, None, f"HTTP {status}", retry, "平台繁忙，稍后重试" if retry == NOW else "")
    code = data[code_key]
    if code == 0 and status < 400:
        return Reply(True, 0)
    hint, retry = known.get(code, ("", LATER))
    return Reply(False, code, str(data.get(message_key, ""))[:200], retry, hint)
