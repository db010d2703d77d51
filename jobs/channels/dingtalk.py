"""钉钉 (DingTalk) custom group robot: message bodies, signing, mentions, and what its replies mean.

Documented in 自定义机器人接入 (open.dingtalk.com/document/group/custom-robot-access):
- the webhook ``https://oapi.dingtalk.com/robot/send?access_token=TOKEN`` takes a JSON POST in UTF-8;
- 加签: ``timestamp`` (milliseconds, within an hour of DingTalk's clock) and
  ``sign = urlEncode(base64(HmacSHA256(key=secret, msg=timestamp + "\\n" + secret)))`` are appended to
  the URL's query;
- ``msgtype: markdown`` with ``markdown.title`` (the notification preview) and ``markdown.text``;
  ``at.atMobiles`` @-mentions by phone, and the text must carry ``@phone`` for the mention to show;
- each robot sends at most 20 messages a minute; beyond that it is throttled for 10 minutes.
Replies are ``{"errcode": 0, "errmsg": "ok"}``; errors seen in the field: 130101 ``send too fast,
exceed 20 times per minute``; 310000 ``sign not match`` / ``invalid timestamp`` / ``keywords not in
content`` / an IP outside the whitelist. DingTalk documents no size limit for custom robots: the
message is kept to the same 4,096 bytes as WeCom's (its enterprise robots allow 15,000).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any
from urllib.parse import quote_plus

from jobs.channels.brief import Brief, Style, fit
from jobs.channels.replies import LATER, Reply, read_reply

KIND = "dingtalk"
NAME = "钉钉"
MARKDOWN_BYTES = 4096
IMAGES = False  # custom robots take an image only as a public URL
ERRORS = {130101: ("发送太频繁，钉钉已对该机器人限流 10 分钟：下次发送报告时重发", LATER),
          310000: ("签名或安全设置不符：请核对加签密钥、服务器时间、自定义关键词或 IP 白名单", LATER)}
MARKDOWN = Style(heading=lambda s: f"#### {s}", subheading=lambda s: f"**{s}**", bold=lambda s: f"**{s}**",
                 link=lambda label, url: f"[{label}]({url})", bullet="- ", gap="\n\n",
                 newline="\n\n")  # DingTalk's markdown joins single line breaks


def sign(timestamp_ms: int, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def bodies(brief: Brief, chart: bytes | None, mention: bool) -> list[dict[str, Any]]:
    """One markdown message; custom robots take images only by public URL, so the chart stays in the mail."""
    return [{"msgtype": "markdown", "markdown": {"title": f"{brief.title}：{brief.headline}",
                                                 "text": fit(brief, MARKDOWN, MARKDOWN_BYTES)}}]


def finish(body: dict[str, Any], url: str, secret: str | None, mobiles: list[str], now: float
           ) -> tuple[str, dict[str, Any]]:
    """The signed URL and the body with its mentions (phones are added here, never stored)."""
    if mobiles:
        text = body["markdown"]["text"] + "\n\n" + " ".join(f"@{m}" for m in mobiles)
        body = {**body, "markdown": {**body["markdown"], "text": text},
                "at": {"atMobiles": list(mobiles), "isAtAll": False}}
    if secret:
        timestamp = int(now * 1000)
        url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={sign(timestamp, secret)}"
    return url, body


def reply(status: int, data: Any) -> Reply:
    return read_reply(status, data, "errcode", "errmsg", ERRORS)


def content(body: dict[str, Any]) -> str:
    return body["markdown"]["text"]
