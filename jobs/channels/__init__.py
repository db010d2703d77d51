"""Group robots (WeCom, DingTalk, Feishu): each platform's module builds its message bodies and signs
them; ``brief`` says what a message contains; ``delivery`` sends with the platforms' rate limits."""

from __future__ import annotations

from dataclasses import replace

from jobs.channels import dingtalk, feishu, wecom
from jobs.channels.brief import Brief
from jobs.deliveries import RobotOutgoing
from sync.store.channels import Channel, masked_mobiles

PLATFORMS = {m.KIND: m for m in (wecom, dingtalk, feishu)}


def robot_messages(channel: Channel, brief: Brief, chart: bytes | None = None) -> list[RobotOutgoing]:
    """What one robot gets for one brief (the chart only where the platform takes an image; elsewhere the
    brief's footnote says where to find it)."""
    platform = PLATFORMS[channel.kind]
    if chart and platform.IMAGES:
        brief = replace(brief, footnote=None)
    bodies = platform.bodies(brief, chart, bool(channel.mobiles))
    subject = f"{brief.title}：{brief.headline}"
    return [RobotOutgoing(brief.kind, brief.source, channel.name, channel.label,
                          subject if n == 0 else f"{brief.title}（图表）", body) for n, body in enumerate(bodies)]


def describe(outgoing: RobotOutgoing, channel: Channel | None) -> str:
    """A robot message as the dry run prints it: who gets it, its type and size, what the group reads."""
    platform = PLATFORMS[channel.kind] if channel else None
    kind = outgoing.body.get("msgtype") or outgoing.body.get("msg_type")
    mentions = "、".join(masked_mobiles(channel)) if channel and channel.mobiles else ""
    lines = [f"群机器人：{outgoing.to}", f"消息类型：{kind}（{len(outgoing.raw):,} 字节）"]
    if mentions and kind != "image":
        lines.append(f"@提醒：{mentions}")
    lines += ["-" * 40, platform.content(outgoing.body).rstrip() if platform else "", "=" * 40]
    return "\n".join(lines)
