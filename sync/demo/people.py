"""Made-up people and places for the demo workbooks and the templates' example rows.

Place names follow the seed report (domain.md "Place names for demo data"); every other
street and community is plainly invented. People are random combinations of common
surnames and given names with ID numbers that pass the GB 11643 check: nobody real.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from schemas.checks import ID_CODES, made_up_id

# (pinyin slug, street, district, communities named in the seed); the first four cover
# both named streets and all three districts, so even the smallest demo shows them all
STREETS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("shangzhan", "上站街道", "城区", ("德胜街社区", "金三角社区", "市政府大院社区")),
    ("xiazhan", "下站街道", "城区", ("滨河西社区", "河边街社区", "新华东街社区")),
    ("taolin", "桃林街道", "矿区", ("新源社区",)),
    ("hepo", "河坡街道", "郊区", ("御康社区",)),
    ("dongfeng", "东风街道", "城区", ()),
    ("hongling", "红岭街道", "矿区", ()),
    ("dongcun", "东村街道", "郊区", ()),
    ("nanyuan", "南园街道", "城区", ()),
    ("qingquan", "清泉街道", "矿区", ()),
    ("xiyu", "西峪街道", "郊区", ()),
    ("beipo", "北坡街道", "城区", ()),
    ("shiling", "石岭街道", "矿区", ()),
    ("liulin", "柳林街道", "郊区", ()),
    ("xiguan", "西关街道", "城区", ()),
    ("qingshan", "青山街道", "矿区", ()),
    ("nanzhuang", "南庄街道", "郊区", ()),
    ("chaoyang", "朝阳街道", "矿区", ()),
    ("xingfu", "幸福街道", "郊区", ()),
)
COMMUNITY_WORDS = ("朝晖", "建设", "和平", "光明", "春园", "东兴", "育才", "文化", "友谊", "平安",
                   "康乐", "锦绣", "阳光", "翠竹", "丰收", "长青", "振兴", "兴华", "紫藤", "枫林")
COMMUNITY_ENDINGS = ("东", "西", "南", "北", "里", "苑")

REGIONS = ("140302", "140303", "140311", "140321", "140322")  # Yangquan: 城区 矿区 郊区 平定 盂县
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎常武乔贺赖龚文"
GIVEN = {
    "男": "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林志国建文晓东海峰亮成新",
    "女": "芳娜敏静丽艳娟霞秀英华慧巧美娅玲琳雪婷倩颖洁梅琴云莲真环珍凤红燕萍丹蕾薇璐瑶怡",
}
EMPLOYERS = (
    "阳泉市教育局", "阳泉市第一中学", "阳泉市第二中学", "阳泉市第十一中学", "城区实验小学", "矿区第三小学",
    "阳泉市第一人民医院", "阳泉市中医医院", "阳泉市妇幼保健院", "阳泉市疾病预防控制中心",
    "阳泉市税务局", "阳泉市财政局", "阳泉市统计局", "阳泉市交通运输局", "阳泉市住房和城乡建设局",
    "阳泉市人力资源和社会保障局", "阳泉市市场监督管理局", "阳泉市应急管理局", "阳泉市文化和旅游局",
    "城区人民法院", "郊区人民检察院", "城区人民政府办公室", "矿区人民政府办公室", "郊区农业农村局",
    "阳泉供电公司", "阳泉市自来水公司", "阳泉市燃气公司", "阳泉市公交公司", "阳泉市园林绿化中心",
    "阳泉市图书馆", "阳泉市融媒体中心", "阳泉职业技术学院", "阳泉邮政分公司", "阳泉移动分公司",
    "工商银行阳泉分行", "建设银行阳泉分行", "阳泉煤业集团机关", "阳泉热力公司",
)
PARTY_ORG_ENDINGS = ("党支部", "机关党支部", "第一党支部", "第二党支部", "党总支")


def full_width(text: str) -> str:
    """ASCII digits and letters as their full-width forms (what some IMEs type)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@dataclass(frozen=True)
class Person:
    id_number: str
    name: str
    gender: str
    phone: str
    employer: str


class People:
    """Random made-up people for one street; ID numbers never repeat within it."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used_ids: set[str] = set()

    def name(self, gender: str | None = None, length: int | None = None) -> str:
        rng = self.rng
        gender = gender or rng.choice("男女")
        given_length = (length - 1) if length else rng.choice((1, 2, 2, 2))
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN[gender]) for _ in range(given_length))

    def id_number(self, gender: str, checks: str = ID_CODES) -> str:
        """A new valid ID for someone born 1965–2000; ``checks`` limits its last character."""
        rng = self.rng
        while True:
            born = date(1965, 1, 1) + timedelta(days=rng.randrange(36 * 365))
            seq = rng.randrange(0, 999, 2) + (gender == "男")
            value = made_up_id(rng.choice(REGIONS), born, seq)
            if value[-1] in checks and value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def phone(self) -> str:
        rng = self.rng
        return f"1{rng.choice('35789')}{rng.randrange(10)}{rng.randrange(10**8):08d}"

    def landline(self) -> str:
        return f"0353-{self.rng.randrange(2000000, 8000000)}"  # Yangquan's area code

    def member(self) -> Person:
        gender = self.rng.choice("男女")
        return Person(self.id_number(gender), self.name(gender), gender, self.phone(),
                      self.rng.choice(EMPLOYERS))

    def party_org(self, employer: str) -> str:
        return employer + self.rng.choice(PARTY_ORG_ENDINGS)


def invent_communities(rng: random.Random, named: tuple[str, ...], count: int,
                       taken: set[str]) -> tuple[str, ...]:
    """``named`` plus invented community names up to ``count``, never one already taken."""
    out = list(named)
    while len(out) < count:
        candidate = rng.choice(COMMUNITY_WORDS) + rng.choice(COMMUNITY_ENDINGS) + "社区"
        if candidate not in taken:
            taken.add(candidate)
            out.append(candidate)
    return tuple(out)
