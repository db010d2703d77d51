"""企业微信 (WeCom) group robot: message bodies, mentions, and what its replies mean.

Documented in 群机器人配置说明 (developer.work.weixin.qq.com/document/path/91770):
- the webhook ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY`` takes a JSON POST; the
  key in the URL is the only credential (no signing);
- ``msgtype: markdown``: ``content`` at most 4,096 bytes of UTF-8, and markdown cannot @ anyone;
- ``msgtype: text``: ``content`` at most 2,048 bytes, ``mentioned_mobile_list`` @-mentions by phone;
- ``msgtype: image``: ``base64`` of the image and the ``md5`` of the image before encoding, at most
  2 MB before encoding, JPG or PNG;
- each robot sends at most 20 messages a minute.
Replies are ``{"errcode": 0, "errmsg": "ok"}``; the errors seen in the field: 45009 ``api freq out of
limit`` (over the rate), 93000 ``invalid webhook url``, 40058 ``… exceed max length``.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from jobs.channels.brief import PLAIN, Brief, Style, fit
from jobs.channels.replies import LATER, NOW, Reply, read_reply

KIND = "wecom"
NAME = "企业微信"
MARKDOWN_BYTES = 4096
TEXT_BYTES = 2048
IMAGE_BYTES = 2 * 1024 * 1024
IMAGES = True
ERRORS = {45009: ("发送太频繁：每个机器人每分钟最多 20 条", NOW),
          93000: ("webhook 地址无效：请核对机器人的 webhook", LATER),
          40058: ("消息超过长度上限", LATER)}
MARKDOWN = Style(heading=lambda s: f"### {s}", subheading=lambda s: f"**{s}**", bold=lambda s: f"**{s}**",
                 link=lambda label, url: f"[{label}]({url})", bullet="> ")


def bodies(brief: Brief, chart: bytes | None, mention: bool) -> list[dict[str, Any]]:
    """The messages for one brief: markdown (or text, when phones are to be @-mentioned), then the chart."""
    if mention:
        out = [{"msgtype": "text", "text": {"content": fit(brief, PLAIN, TEXT_BYTES)}}]
    else:
        out = [{"msgtype": "markdown", "markdown": {"content": fit(brief, MARKDOWN, MARKDOWN_BYTES)}}]
    if chart and len(chart) <= IMAGE_BYTES:
        out.append({"msgtype": "image", "image": {"base64": base64.b64encode(chart).decode(),
                                                  "md5": hashlib.md5(chart).hexdigest()}})
    return out


def finish(body: dict[str, Any], url: str, secret: str | None, mobiles: list[str], now: float
           ) -> tuple[str, dict[str, Any]]:
    """The request as sent: the phones are added here, never stored with the message."""
    if body["msgtype"] == "text" and mobiles:
        body = {**body, "text": {**body["text"], "mentioned_mobile_list": list(mobiles)}}
    return url, body


def reply(status: int, data: Any) -> Reply:
    return read_reply(status, data, "errcode", "errmsg", ERRORS)


def content(body: dict[str, Any]) -> str:
    """What the group reads (for the dry run)."""
    if body["msgtype"] == "image":
        return f"（图片：PNG，{len(base64.b64decode(body['image']['base64'])) // 1024 + 1} KB，上限 2 MB）"
    return body[body["msgtype"]]["content"]
