"""飞书 (Feishu) custom group robot: card messages, signing, and what its replies mean.

Documented in 自定义机器人使用指南 (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot):
- the webhook ``https://open.feishu.cn/open-apis/bot/v2/hook/TOKEN`` takes a JSON POST, at most 20 KB
  (a larger or malformed body is answered ``{"code": 9499, "msg": "Bad Request"}``);
- 签名校验: the body carries ``timestamp`` (seconds, within an hour) and
  ``sign = base64(HmacSHA256(key=timestamp + "\\n" + secret, msg=""))``; a mismatch is code 19021
  ``sign match fail or timestamp is not within one hour from current time``;
  a keyword miss is 19024, an address outside the IP whitelist 19022;
- ``msg_type: interactive`` with a ``card`` (header and ``lark_md`` text); images need an
  ``image_key`` from the image upload API, which takes an app's ``tenant_access_token`` — a custom
  robot has none, so the chart stays in the mail;
- rate: 100 requests a minute and 5 a second per robot (频控策略, open.feishu.cn/document/
  server-docs/api-call-guide/frequency-control); beyond it, or at busy moments such as the top of the
  hour, the reply is 11232; the OpenAPI's general limit answers 99991400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from jobs.channels.brief import Brief, Style, fit
from jobs.channels.replies import LATER, NOW, Reply, read_reply

KIND = "feishu"
NAME = "飞书"
CONTENT_BYTES = 4096  # the card text; the whole body stays far below the documented 20 KB
IMAGES = False  # an image_key needs an app's token, which a custom robot has not
ERRORS = {19021: ("签名校验失败：请核对签名密钥，并确认服务器时间准确", LATER),
          19022: ("请求来源不在机器人的 IP 白名单内", LATER),
          19024: ("消息不含机器人设置的自定义关键词", LATER),
          9499: ("请求格式不正确或超过 20 KB", LATER),
          11232: ("飞书限流：稍后重试", NOW),
          99991400: ("飞书限流：稍后重试", NOW)}
# the title is the card's header, not repeated in its text
LARK_MD = Style(heading=lambda s: "", subheading=lambda s: f"**{s}**", bold=lambda s: s,
                link=lambda label, url: f"[{label}]({url})", bullet="· ")


def sign(timestamp: int, secret: str) -> str:
    return base64.b64encode(hmac.new(f"{timestamp}\n{secret}".encode(), b"", hashlib.sha256).digest()).decode()


def bodies(brief: Brief, chart: bytes | None, mention: bool) -> list[dict[str, Any]]:
    text = fit(brief, LARK_MD, CONTENT_BYTES).lstrip("\n")
    return [{"msg_type": "interactive", "card": {
        "config": {"wide_screen_mode": True},
        "header": {"title": {"tag": "plain_text", "content": brief.title},
                   "template": "red" if brief.alarm else "green"},
        "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": text}}]}}]


def finish(body: dict[str, Any], url: str, secret: str | None, mobiles: list[str], now: float
           ) -> tuple[str, dict[str, Any]]:
    if secret:
        timestamp = int(now)
        body = {"timestamp": str(timestamp), "sign": sign(timestamp, secret), **body}
    return url, body


def reply(status: int, data: Any) -> Reply:
    return read_reply(status, data, "code", "msg", ERRORS)


def content(body: dict[str, Any]) -> str:
    card = body["card"]
    return card["header"]["title"]["content"] + "\n" + card["elements"][0]["text"]["content"]
