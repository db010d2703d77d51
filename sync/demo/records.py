"""Clean demo records: one dict per register row, canonical field -> a valid value.

Dates fall in 2020–2025 (the seed report's years); every claimer and post holder is a
member of the same street's roster, so clean rows raise no issue, not even a warning.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from schemas.fields import POST_STATUSES, POST_TYPES
from sync.demo.people import People

Record = dict[str, Any]

FIRST_DAY = date(2020, 1, 1)
LAST_DAY = date(2025, 10, 31)  # leaves room for claims and completions before 2026
WISHES = {
    "生活物资": ("希望有一台电风扇过夏天", "需要一袋大米和一桶食用油", "想要一件厚实的冬衣", "需要一床新棉被"),
    "助学助困": ("孩子需要一套初中数学辅导书", "希望有人辅导孩子英语作业", "想要一个新书包和文具", "需要一台旧电脑上网课"),
    "医疗健康": ("需要一副老花镜", "希望有人陪同去医院复查", "需要一台电子血压计", "想要一个助行器"),
    "就业帮扶": ("希望找一份保洁类工作", "想参加面点技能培训", "希望介绍就近的保安岗位"),
    "家政维修": ("厨房水龙头漏水需要维修", "楼道灯坏了需要更换", "需要更换老化的电线插座", "卫生间下水道堵塞需要疏通"),
    "文化娱乐": ("希望有人教用智能手机视频通话", "想要几本大字版书籍", "希望参加社区书法班", "想要一台收音机"),
    "其他": ("希望有人定期上门陪伴聊天", "需要帮忙补办医保卡", "希望帮忙给老房子贴春联"),
}
POST_NAMES = {
    "政策宣讲": ("政策宣讲岗", "理论宣讲岗", "红色宣讲员岗"),
    "扶贫济困": ("困难群众帮扶岗", "结对帮扶岗", "助老助残岗"),
    "公益服务": ("便民服务岗", "义务理发岗", "法律咨询岗", "健康义诊岗"),
    "爱绿护绿": ("绿地认养岗", "护绿巡查岗", "植树护绿岗"),
    "环境维护": ("楼道清洁岗", "垃圾分类督导岗", "小广告清理岗"),
    "治安巡逻": ("夜间巡逻岗", "治安巡逻岗", "平安志愿者岗"),
}
NOTES = ("党员中心户", "退役军人", "楼栋长", "已转入本社区", "网格员")


def a_day(rng: random.Random, first: date = FIRST_DAY, last: date = LAST_DAY) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def maybe(rng: random.Random, share: float, value: Any) -> Any:
    """``value`` in about ``share`` of the rows, None (a blank cell) in the rest."""
    return value if rng.random() < share else None


def roster_records(people: People, communities: tuple[str, ...], n: int) -> list[Record]:
    rng = people.rng
    out = []
    for _ in range(n):
        p = people.member()
        out.append({
            "id_number": p.id_number, "name": p.name, "gender": maybe(rng, 0.9, p.gender),
            "phone": p.phone, "employer": p.employer,
            "party_org": maybe(rng, 0.7, people.party_org(p.employer)),
            "community": rng.choice(communities), "grid": maybe(rng, 0.8, f"第{rng.randint(1, 12)}网格"),
            "registered_on": a_day(rng), "post_type": maybe(rng, 0.6, rng.choice(POST_TYPES)),
            "note": maybe(rng, 0.1, rng.choice(NOTES)),
        })
    return out


def claim(wish: Record, member: Record, rng: random.Random, completed: bool) -> None:
    """Make ``wish`` claimed (and maybe completed) by a roster member, dates in order."""
    claimed = wish["raised_on"] + timedelta(days=rng.randint(0, 30))
    wish.update(status="已完成" if completed else "已认领", claimer=member["name"],
                claimer_unit=member["employer"], claimed_on=claimed,
                completed_on=claimed + timedelta(days=rng.randint(0, 45)) if completed else None)


def wish_records(people: People, communities: tuple[str, ...], roster: list[Record], n: int) -> list[Record]:
    rng = people.rng
    out = []
    for i, raised in enumerate(sorted(a_day(rng) for _ in range(n))):
        category = rng.choice(tuple(WISHES))
        wish = {
            "wish_id": f"XY{raised.year}-{i + 1:05d}", "community": rng.choice(communities),
            "wisher": people.name(),
            "wisher_phone": maybe(rng, 0.8, people.phone() if rng.random() < 0.85 else people.landline()),
            "content": rng.choice(WISHES[category]), "category": maybe(rng, 0.9, category),
            "raised_on": raised, "status": "待认领", "claimer": None, "claimer_unit": None,
            "claimed_on": None, "completed_on": None,
        }
        roll = rng.random()
        if roll < 0.9:
            claim(wish, rng.choice(roster), rng, completed=roll < 0.7)
        out.append(wish)
    return out


def post_records(people: People, communities: tuple[str, ...], roster: list[Record], n: int) -> list[Record]:
    rng = people.rng
    out = []
    for i in range(n):
        post_type = rng.choice(POST_TYPES)
        status = rng.choices(POST_STATUSES, weights=(80, 15, 5))[0]  # 在岗 空缺 撤销
        holder = rng.choice(roster) if status == "在岗" else None
        activities = rng.randint(0, 80)
        out.append({
            "post_id": f"GW-{i + 1:03d}", "community": rng.choice(communities), "post_type": post_type,
            "post_name": f"第{rng.randint(1, 12)}网格{rng.choice(POST_NAMES[post_type])}",
            "holder": holder and holder["name"], "holder_phone": holder and holder["phone"],
            "started_on": maybe(rng, 0.9, a_day(rng, last=date(2024, 12, 31))),
            "activities": maybe(rng, 0.9, activities),
            "service_hours": maybe(rng, 0.8, round(activities * rng.uniform(1.5, 4), 1)),
            "status": status,
        })
    return out
