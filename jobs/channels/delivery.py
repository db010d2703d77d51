"""Sending to group robots the way the platforms ask: a token bucket per robot, retries with backoff
for the documented rate-limit replies, and errors that never carry a secret.

WeCom and DingTalk allow each robot 20 messages a minute (DingTalk then throttles it for ten
minutes), Feishu 100 a minute and 5 a second: one bucket of 20 a minute per robot keeps under all
three. A message waits for a token (up to ``max_wait``) rather than being refused. The bucket lives
in this process, across report runs; when another process has spent the robot's quota the platform says so (WeCom
45009, Feishu 11232), and the message waits and is tried again, with capped exponential backoff and
jitter; DingTalk's 130101 means ten minutes of silence, so that message is recorded as failed and
the next report run sends it again, as stored.

The webhook URL (it holds the robot's key) and the signing secret appear in no error and no log
line: a connection error names the host only, and urllib3's request lines (DEBUG) are silenced.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from jobs.channels import PLATFORMS
from jobs.channels.replies import NOW, Reply
from jobs.mail import SendFailed
from sync.sources.google_http import RetryPolicy
from sync.store.channels import Channel, ChannelUnresolved, reveal
from sync.store.crypto import Vault

log = logging.getLogger("taizhang.robots")
# urllib3 logs every request line at DEBUG, query string and all: a robot's URL is its key
logging.getLogger("urllib3.connectionpool").setLevel(max(logging.INFO, logging.getLogger("urllib3.connectionpool").level))


@dataclass(frozen=True)
class RobotPolicy:
    per_minute: int = 20  # WeCom's and DingTalk's documented limit, under Feishu's
    window: float = 60.0
    max_wait: float = 180.0  # seconds a message may wait for a token before it is left to the next run
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(attempts=4, base=5.0, cap=30.0, total=120.0))
    timeout: float = 10.0  # per request


class TokenBucket:
    """``capacity`` tokens, refilled evenly over ``window`` seconds; thread-safe."""

    def __init__(self, capacity: int, window: float, clock: Callable[[], float] = time.monotonic):
        self.capacity, self.rate, self.clock = capacity, capacity / window, clock
        self.tokens, self.stamp = float(capacity), clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        moment = self.clock()
        self.tokens = min(self.capacity, self.tokens + (moment - self.stamp) * self.rate)
        self.stamp = moment

    def acquire(self, max_wait: float) -> bool:
        """Take a token, waiting for one up to ``max_wait`` seconds; False when none would come in time."""
        with self._lock:
            self._refill()
            wait = max(0.0, (1 - self.tokens) / self.rate)
            if wait > max_wait:
                return False
            self.tokens -= 1  # spent now; the wait below lets the refill catch up
        time.sleep(wait)
        return True

    def drain(self) -> None:
        """The platform said the quota is spent: wait as if every token had been used."""
        with self._lock:
            self._refill()
            self.tokens = min(self.tokens, 0.0)


_BUCKETS: dict[tuple[str, int, float], TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def bucket_for(name: str, policy: RobotPolicy) -> TokenBucket:
    """The robot's bucket in this process, shared by every report run (the worker's, the CLI's)."""
    with _BUCKETS_LOCK:
        return _BUCKETS.setdefault((name, policy.per_minute, policy.window),
                                   TokenBucket(policy.per_minute, policy.window))


class RobotTransport:
    """One robot as a ``jobs.mail.Transport``: ``send`` posts a stored body, signed now."""

    status = "sent"

    def __init__(self, channel: Channel, vault: Vault, policy: RobotPolicy, session: requests.Session):
        self.channel, self.vault, self.policy, self.session = channel, vault, policy, session
        self.platform = PLATFORMS[channel.kind]
        self.bucket = bucket_for(channel.name, policy)

    def _post(self, body: dict) -> Reply:
        try:
            url = reveal(self.vault, self.channel.webhook_ref, "webhook")
            secret = reveal(self.vault, self.channel.secret_ref, "签名密钥")
        except ChannelUnresolved as exc:
            raise SendFailed(f"{self.channel.label}：{exc}") from None
        url, body = self.platform.finish(body, url, secret, list(self.channel.mobiles), time.time())
        try:
            response = self.session.post(url, json=body, timeout=self.policy.timeout)
        except requests.RequestException as exc:  # str(exc) would quote the URL, key and all
            return Reply(False, None, f"无法连接 {urlsplit(url).hostname}（{type(exc).__name__}）", NOW)
        try:
            data = response.json()
        except ValueError:
            data = None
        return self.platform.reply(response.status_code, data)

    def send(self, raw: bytes, label: str) -> None:
        body, started, policy = json.loads(raw), time.monotonic(), self.policy
        for attempt in range(1, policy.retry.attempts + 1):
            if not self.bucket.acquire(policy.max_wait):
                raise SendFailed(f"{self.channel.label}：每分钟最多发送 {policy.per_minute} 条，本次等待超时；"
                                 "下次发送报告时重发")
            reply = self._post(body)
            if reply.ok:
                log.info("%s：已发送 %s", self.channel.label, label)
                return
            log.warning("%s：%s（第 %d 次）", self.channel.label, reply.describe(self.platform.NAME), attempt)
            pause = policy.retry.backoff(attempt)
            if (reply.retry != NOW or attempt == policy.retry.attempts
                    or time.monotonic() - started + pause > policy.retry.total):
                raise SendFailed(f"{self.channel.label}：{reply.describe(self.platform.NAME)}")
            if reply.code is not None:
                self.bucket.drain()  # a rate-limit reply: the quota is spent, whoever spent it
            time.sleep(pause)

    def close(self) -> None:
        pass


def robot_transports(channels: list[Channel], vault: Vault, policy: RobotPolicy,
                     session: requests.Session) -> dict[str, RobotTransport]:
    return {c.name: RobotTransport(c, vault, policy, session) for c in channels}
