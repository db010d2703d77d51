"""The three group-robot webhooks (WeCom, DingTalk, Feishu) on 127.0.0.1, answering as the platforms
document (see the docstrings of jobs/channels/wecom.py, dingtalk.py, feishu.py):

- WeCom ``POST /cgi-bin/webhook/send?key=KEY``: an unknown key is 93000; markdown over 4,096 bytes or
  text over 2,048 is 40058; an image must be PNG/JPG, at most 2 MB, with the md5 of its bytes;
  over the rate (20 a minute) is 45009.
- DingTalk ``POST /robot/send?access_token=T[&timestamp=&sign=]``: a signed robot checks
  ``sign = base64(HmacSHA256(secret, timestamp + "\\n" + secret))`` and a timestamp within an hour
  (310000 otherwise); over 20 a minute is 130101 and the robot stays throttled for ten minutes.
- Feishu ``POST /open-apis/bot/v2/hook/T``: a body over 20 KB is 9499; a signed robot checks
  ``sign = base64(HmacSHA256(key=timestamp + "\\n" + secret, msg=""))`` and a timestamp within an
  hour (19021); over 100 a minute or 5 a second is 11232.

Rates count over a sliding window that a test may shorten; ``refuse`` answers a robot's next requests
as over the rate (as when another process has spent its quota); ``skew`` moves the emulator's clock
(a throttled DingTalk robot recovers after ten minutes). Every request and its reply are kept.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

HOUR = 3600


@dataclass
class Robot:
    platform: str
    token: str
    secret: str | None = None
    per_window: int = 20
    window: float = 60.0
    per_second: int | None = None  # Feishu: 5 a second
    sent: list[float] = field(default_factory=list)  # times of accepted messages
    throttled_until: float = 0.0
    busy: int = 0  # the next requests answered as over the rate (another process spent the quota)

    def over_rate(self, now: float) -> bool:
        recent = [t for t in self.sent if t > now - self.window]
        last_second = [t for t in self.sent if t > now - 1]
        return len(recent) >= self.per_window or (self.per_second is not None and len(last_second) >= self.per_second)


@dataclass
class Exchange:
    platform: str
    token: str
    query: dict[str, str]
    body: Any
    reply: dict[str, Any]
    at: float

    @property
    def ok(self) -> bool:
        return self.reply.get("errcode", self.reply.get("code")) == 0


class RobotsEmulator:
    def __init__(self) -> None:
        self.robots: dict[tuple[str, str], Robot] = {}
        self.exchanges: list[Exchange] = []
        self.skew = 0.0
        self._lock = threading.Lock()
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, reply = emulator.handle(self.path, raw)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> RobotsEmulator:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def now(self) -> float:
        return time.time() + self.skew

    # robots -------------------------------------------------------------------------------

    def wecom(self, key: str, per_window: int = 20, window: float = 60.0) -> str:
        self.robots["wecom", key] = Robot("wecom", key, None, per_window, window)
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def dingtalk(self, token: str, secret: str | None = None, per_window: int = 20, window: float = 60.0) -> str:
        self.robots["dingtalk", token] = Robot("dingtalk", token, secret, per_window, window)
        return f"{self.base}/robot/send?access_token={token}"

    def feishu(self, token: str, secret: str | None = None, per_window: int = 100, window: float = 60.0) -> str:
        self.robots["feishu", token] = Robot("feishu", token, secret, per_window, window, per_second=5)
        return f"{self.base}/open-apis/bot/v2/hook/{token}"

    def refuse(self, platform: str, token: str, times: int) -> None:
        """Answer the robot's next ``times`` requests with the platform's rate-limit reply."""
        self.robots[platform, token].busy = times

    def spend(self, platform: str, token: str, count: int) -> None:
        """Messages another process sent through this robot just now."""
        self.robots[platform, token].sent += [self.now()] * count

    def accepted(self, platform: str | None = None, token: str | None = None) -> list[Exchange]:
        return [e for e in self.exchanges if e.ok and platform in (None, e.platform) and token in (None, e.token)]

    def refused(self) -> list[Exchange]:
        return [e for e in self.exchanges if not e.ok]

    # the endpoints ----------------------------------------------------------------------

    def handle(self, path: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        url = urlsplit(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self._lock:
            if url.path == "/cgi-bin/webhook/send":
                platform, token, reply = "wecom", query.get("key", ""), self._wecom
            elif url.path == "/robot/send":
                platform, token, reply = "dingtalk", query.get("access_token", ""), self._dingtalk
            elif url.path.startswith("/open-apis/bot/v2/hook/"):
                platform, token, reply = "feishu", url.path.rsplit("/", 1)[1], self._feishu
            else:
                return 404, {"error": "not found"}
            robot = self.robots.get((platform, token))
            if robot is None and platform != "wecom":
                return 404, {"error": "unknown robot"}
            answer = reply(robot, query, body, raw)
            accepted = answer.get("errcode", answer.get("code")) == 0
            if accepted:
                robot.sent.append(self.now())
            self.exchanges.append(Exchange(platform, token, query, body, answer, self.now()))
        return 200, answer

    def _wecom(self, robot: Robot | None, query: dict, body: Any, raw: bytes) -> dict[str, Any]:
        if robot is None:
            return {"errcode": 93000, "errmsg": "invalid webhook url, hint: [emulated]"}
        if robot.over_rate(self.now()) or robot.busy:
            robot.busy = max(robot.busy - 1, 0)
            return {"errcode": 45009, "errmsg": "api freq out of limit"}
        kind = body.get("msgtype") if isinstance(body, dict) else None
        limits = {"markdown": 4096, "text": 2048}
        if kind in limits and len(body[kind]["content"].encode()) > limits[kind]:
            return {"errcode": 40058, "errmsg": f"{kind}.content exceed max length {limits[kind]}"}
        if kind == "image":
            image = base64.b64decode(body["image"]["base64"])
            if (len(image) > 2 * 1024 * 1024 or hashlib.md5(image).hexdigest() != body["image"]["md5"]
                    or not image.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8"))):
                return {"errcode": 40058, "errmsg": "invalid image (emulated)"}
        elif kind not in limits:
            return {"errcode": 40008, "errmsg": "invalid message type (emulated)"}
        return {"errcode": 0, "errmsg": "ok"}

    def _dingtalk(self, robot: Robot, query: dict, body: Any, raw: bytes) -> dict[str, Any]:
        if robot.secret:
            stamp = query.get("timestamp", "")
            expected = base64.b64encode(hmac.new(robot.secret.encode(), f"{stamp}\n{robot.secret}".encode(),
                                                 hashlib.sha256).digest()).decode()
            if not stamp.isdigit() or abs(int(stamp) / 1000 - self.now()) > HOUR:
                return {"errcode": 310000, "errmsg": "invalid timestamp"}
            if not hmac.compare_digest(query.get("sign", ""), expected):
                return {"errcode": 310000, "errmsg": "sign not match"}
        now = self.now()
        if now >= robot.throttled_until and robot.over_rate(now):
            robot.throttled_until = now + 600  # over 20 a minute: throttled for ten minutes
        if now < robot.throttled_until:
            return {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        if not (isinstance(body, dict) and body.get("msgtype") == "markdown" and body["markdown"].get("title")
                and body["markdown"].get("text")):
            return {"errcode": 40035, "errmsg": "缺少参数 json (emulated)"}
        return {"errcode": 0, "errmsg": "ok"}

    def _feishu(self, robot: Robot, query: dict, body: Any, raw: bytes) -> dict[str, Any]:
        if len(raw) > 20 * 1024 or not isinstance(body, dict):
            return {"code": 9499, "msg": "Bad Request", "data": {}}
        if robot.secret:
            stamp = str(body.get("timestamp", ""))
            key = f"{stamp}\n{robot.secret}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if (not stamp.isdigit() or abs(int(stamp) - self.now()) > HOUR
                    or not hmac.compare_digest(str(body.get("sign", "")), expected)):
                return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
        if robot.over_rate(self.now()) or robot.busy:
            robot.busy = max(robot.busy - 1, 0)
            return {"code": 11232, "msg": "frequency limited (emulated)"}
        if body.get("msg_type") != "interactive" or "card" not in body:
            return {"code": 9499, "msg": "Bad Request", "data": {}}
        return {"code": 0, "msg": "success", "data": {}}
