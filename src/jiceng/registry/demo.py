"""Demo data for the base registry: people, houses, organizations, places, components and credit records of
the demo county 青溪县, and links from the demo events to the people and places they concern.

Everything is first made as plain rows (dicts of strings keyed by the schema's field names, as an import
file would give them) by pure functions of a random generator, the county plan and "today"; the step then
writes the rows through the registry's real import path (``registry.imports.import_rows``), and tenancies and
special groups through their actions.

How big: ``DEMO_PEOPLE`` residents, or the environment variable ``JICENG_DEMO_PEOPLE`` (0 skips the step);
under pytest the default is ``TEST_PEOPLE``. Organizations, places, components and credit records scale with
the number of people (about 1,500, 600, 5,000 and 300 for 50,000 people).

What it looks like: households by family type (old couples, nuclear families, three generations, left-behind
grandchildren whose parents work away …) give an aged rural population like 丽水's; villages have their clan
surnames and 畲族 families (蓝家村 most of all); urban communities live in estates of buildings, units and
rooms, villages in numbered houses clustered in hamlets. A share of the houses is rented out to floating
workers from 安徽, 江西, 贵州, 四川 …, who are registered as tenants with their inflow reason. Every point
lies inside its grid.

A second step, after the event history, links events to the people, houses, organizations and places their
titles speak of (``EventParty``): the parties of a dispute by their surnames, the shop or key place of a
safety or market complaint, the rented house of a rental complaint.
"""

from __future__ import annotations

import bisect
import itertools
import math
import os
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final

import shapely
from shapely.geometry import LineString, Point, shape
from shapely.geometry.base import BaseGeometry

from jiceng.core.validators import make_credit_code, make_id_number
from jiceng.demo.county import AREA_CODE, COUNTY, CountyPlan, RegionPlan
from jiceng.demo.steps import DemoContext, demo_step
from jiceng.org.models import RegionLevel

DEMO_PEOPLE: Final = 50_000
TEST_PEOPLE: Final = 600  # under pytest, unless JICENG_DEMO_PEOPLE says otherwise
PEOPLE_ENV: Final = "JICENG_DEMO_PEOPLE"
COUNTY_CODE: Final = COUNTY[0]
COUNTY_NAME: Final = COUNTY[1]

Row = dict[str, str]


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def people_to_load() -> int:
    raw = os.environ.get(PEOPLE_ENV, "").strip()
    if raw:
        return max(0, int(raw))
    return TEST_PEOPLE if "PYTEST_VERSION" in os.environ else DEMO_PEOPLE


@dataclass(frozen=True)
class Sizes:
    """How many of each kind, for a number of people."""

    people: int
    organizations: int
    places: int
    components: int
    credit: int

    @classmethod
    def for_people(cls, people: int) -> Sizes:
        return cls(
            people=people,
            organizations=max(150, people * 3 // 100),
            places=max(60, people * 12 // 1000),
            components=max(150, people // 10),
            credit=max(30, people * 6 // 1000),
        )


# --- names --------------------------------------------------------------------------------------------------

# Surnames of 丽水 (陈, 吴, 叶, 周 lead; 蓝, 雷, 钟 are the 畲族 ones), relative frequencies.
LOCAL_SURNAMES: Final = {
    "陈": 80, "吴": 55, "李": 50, "王": 50, "叶": 50, "周": 42, "张": 42, "刘": 32, "徐": 30, "林": 28,
    "潘": 24, "金": 20, "杨": 20, "朱": 18, "胡": 18, "黄": 18, "郑": 18, "毛": 15, "何": 14, "季": 12,
    "应": 12, "余": 12, "蓝": 8, "雷": 8, "钟": 7, "方": 10, "许": 10, "蔡": 9, "赵": 9, "孙": 9,
    "卢": 8, "项": 8, "鲍": 7, "程": 7, "邱": 7, "谢": 7, "沈": 7, "梅": 6, "柳": 6, "汤": 5,
    "练": 5, "管": 5, "杜": 5, "魏": 5, "蒋": 5, "汪": 5, "马": 5, "罗": 5, "任": 5, "姚": 5,
    "宋": 4, "邹": 4, "范": 4, "严": 4, "施": 4, "钱": 4, "傅": 4, "夏": 4, "俞": 4, "曾": 3,
    "葛": 3, "廖": 3, "华": 3, "留": 3, "包": 3, "丁": 3, "唐": 3, "董": 3, "舒": 2, "麻": 2,
    "阙": 2, "纪": 2, "单": 1, "查": 1,
}  # fmt: skip
# Surnames in the whole country (the floating population).
NATIONAL_SURNAMES: Final = {
    "王": 71, "李": 70, "张": 67, "刘": 54, "陈": 53, "杨": 34, "黄": 23, "赵": 22, "吴": 20, "周": 19,
    "徐": 16, "孙": 15, "马": 15, "朱": 14, "胡": 13, "郭": 12, "何": 12, "高": 11, "林": 11, "罗": 10,
    "郑": 9, "梁": 9, "谢": 8, "宋": 7, "唐": 7, "许": 7, "韩": 7, "冯": 7, "邓": 7, "曹": 6,
    "彭": 6, "曾": 6, "肖": 6, "田": 5, "董": 5, "袁": 5, "潘": 5, "于": 5, "蒋": 5, "蔡": 5,
    "余": 5, "杜": 5, "叶": 4, "程": 4, "苏": 4, "魏": 4, "吕": 4, "丁": 4, "任": 4, "沈": 4,
    "姚": 4, "卢": 4, "姜": 4, "崔": 4, "钟": 4, "谭": 3, "陆": 3, "汪": 3, "范": 3, "金": 3,
    "石": 3, "廖": 3, "贾": 3, "夏": 3, "韦": 3, "付": 3, "方": 3, "白": 3, "邹": 3, "孟": 3,
    "熊": 3, "秦": 3, "邱": 3, "江": 3, "尹": 3, "薛": 2, "闫": 2, "段": 2, "雷": 2, "侯": 2,
    "龙": 2, "史": 2, "陶": 2, "黎": 2, "贺": 2, "顾": 2, "毛": 2, "郝": 2, "龚": 2, "邵": 2,
    "万": 2, "钱": 2, "严": 2, "覃": 2, "武": 2, "戴": 2, "莫": 2, "孔": 2, "向": 2, "汤": 2,
}  # fmt: skip
SHE_SURNAMES: Final = {"蓝": 45, "雷": 35, "钟": 15, "李": 5}  # 畲族
YI_SURNAMES: Final = ("吉克", "阿说", "沙马", "阿苦", "马海", "吉伍", "俄木", "海来", "曲比", "阿约")
YI_GIVEN: Final = ("阿依", "尔布", "曲布", "拉哈", "木呷", "伍各", "阿芝", "石哈", "日莫", "阿呷")


@dataclass(frozen=True)
class _Era:
    until: int  # born before this year
    single: float  # share of one-character given names
    male: tuple[str, str, str]  # whole names, first characters, second characters
    female: tuple[str, str, str]


ERAS: Final = (
    _Era(
        1955,
        0.12,
        (
            "建国 国华 根土 金水 福生 水根 土根 火根 长根 金根 德明 荣华 有才 樟林 关松 炳南 仁法 正富 庆余",
            "德福金根荣有仁正庆宝春永长水志炳",
            "明生林华富根才法余贵发松龙海土水",
        ),
        (
            "桂英 秀英 玉兰 翠花 凤英 菊花 月娥 桂香 秀珍 金花 素珍 彩娥 雪英 荷花 玉仙 招娣 爱莲 兰香 银花",
            "桂秀玉翠凤菊月素彩雪金银兰爱美春",
            "英兰花娥香珍仙莲芳凤梅娣菊妹琴",
        ),
    ),
    _Era(
        1975,
        0.22,
        (
            "建华 志强 国平 卫东 建军 海军 伟民 立新 红卫 永康 建平 国庆 小平 文华 新华 跃进 卫国 建林 伟忠",
            "建国志卫伟立红永文新海跃小忠利旭晓",
            "华强平东军民新康林忠明兵勇伟刚斌荣",
        ),
        (
            "丽华 红梅 海燕 美芳 丽萍 秀芳 玉梅 素芬 雪梅 爱华 建英 春燕 小红 月红 美娟 彩芬 丽君 秀琴",
            "丽红海美秀玉素雪爱建春小月彩晓金卫",
            "华梅燕芳萍芬英红娟君琴霞兰玲珍莉",
        ),
    ),
    _Era(
        1995,
        0.22,
        (
            "俊杰 晓东 志伟 海涛 建伟 鹏飞 文杰 剑锋 晓峰 家豪 伟杰 振华 少华 永强 立峰 明辉",
            "俊晓志海建鹏文剑家伟振玉少永立佳明宇",
            "杰东伟涛飞锋峰豪斌波亮磊辉鹏浩强龙",
        ),
        (
            "丽娜 晓燕 婷婷 静怡 雅琴 佳佳 晓丽 美玲 露露 倩倩 丹丹 慧敏 雪芳 春燕 海燕",
            "丽晓婷静雅佳美露倩丹慧雪春海玉彩琳",
            "娜燕婷怡琴佳丽玲露倩丹敏静颖洁璐莉",
        ),
    ),
    _Era(
        2010,
        0.12,
        (
            "浩然 子豪 宇航 俊熙 天宇 博文 一帆 思远 泽宇 家乐 宇杰 晨阳 佳豪 文博 嘉豪 凯文",
            "浩子宇俊天博一思泽家晨佳文嘉昊凯宏",
            "然豪航熙宇文帆远杰阳乐博轩琦涛铭楠",
        ),
        (
            "欣怡 梦瑶 佳怡 雨欣 诗琪 思琪 雨婷 静雯 晓雪 子怡 梦婷 佳琪 欣悦 雅婷 可欣",
            "欣梦佳雨诗思静晓子雅可若紫婉心",
            "怡瑶欣琪婷雯雪悦萱涵彤妍洁蕾琳",
        ),
    ),
    _Era(
        9999,
        0.06,
        (
            "梓睿 宇轩 子墨 奕辰 沐阳 一鸣 皓轩 睿泽 梓轩 浩宇 锦程 承泽 言希 景行 子谦 安然",
            "梓宇子奕沐一皓睿锦承言景俊逸辰安",
            "睿轩墨辰阳鸣泽程希行谦熙铭航宸宁",
        ),
        (
            "梓涵 诗涵 雨桐 一诺 可馨 子萱 语嫣 思彤 若汐 紫涵 芷若 欣妍 沐晴 安琪 依诺 语桐",
            "梓诗雨一可子语思若紫芷欣沐安依梦",
            "涵桐诺馨萱嫣彤汐若妍晴琪然宁溪瑶",
        ),
    ),
)

FOREIGN_NAMES: Final = {
    # country code (GB/T 2659 numeric), nationality, names
    "704": ("越南", ("阮氏秋香", "阮氏玲", "黎氏红", "陈氏梅", "阮氏兰", "范氏花", "武氏月", "黎氏雪")),
    "104": ("缅甸", ("玛丹丹", "玛敏敏", "玛苏苏")),
    "410": ("韩国", ("朴敏浩", "金秀妍", "李俊昊", "崔智媛")),
    "392": ("日本", ("佐藤健", "田中裕子", "铃木一郎")),
    "840": ("美国", ("DAVID MILLER", "EMILY BROWN", "JOHN SMITH")),
}
# Residence permits of 港澳台 residents carry 810000 / 820000 / 830000 in place of the region code.
PERMIT_REGIONS: Final = {"810000": "中国香港", "820000": "中国澳门", "830000": "中国台湾"}


def _weighted(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


class Picker:
    """A weighted random choice among fixed options (cumulative weights computed once)."""

    __slots__ = ("cum", "keys", "total")

    def __init__(self, weights: Mapping[Any, float]) -> None:
        self.keys = list(weights)
        self.cum = list(itertools.accumulate(weights[k] for k in self.keys))
        self.total = self.cum[-1]

    def __call__(self, rng: random.Random) -> Any:
        return self.keys[bisect.bisect(self.cum, rng.random() * self.total)]


def _era(birth_year: int) -> _Era:
    return next(e for e in ERAS if birth_year < e.until)


def given_name(rng: random.Random, birth_year: int, sex: str) -> str:
    """A given name of 1 or 2 characters in the fashion of the birth year."""
    era = _era(birth_year)
    whole, first, second = era.male if sex == "1" else era.female
    if rng.random() < era.single:
        return rng.choice(second)
    if rng.random() < 0.4:
        return rng.choice(whole.split())
    a, b = rng.choice(first), rng.choice(second)
    return a + (b if b != a else rng.choice(second))


# --- places the people come from ----------------------------------------------------------------------------

# Counties of 丽水 and of Zhejiang that locals were born in (GB/T 2260).
LISHUI_COUNTIES: Final = _words(
    "331102 331121 331122 331123 331124 331125 331126 331127 331181"
)  # 莲都 青田 缙云 遂昌 松阳 云和 庆元 景宁 龙泉
ZHEJIANG_COUNTIES: Final = _words(
    "330102 330106 330203 330302 330324 330381 330382 330681 330782 330802 331002 331082 330523 330825"
)


@dataclass(frozen=True)
class Origin:
    """A county the floating population comes from, and who lives there."""

    code: str
    name: str  # province, city and county
    weight: float
    minorities: tuple[tuple[str, float], ...] = ()  # ethnicity code, share


ORIGINS: Final = (
    Origin("341221", "安徽省阜阳市临泉县", 6),
    Origin("341222", "安徽省阜阳市太和县", 4),
    Origin("341623", "安徽省亳州市利辛县", 4),
    Origin("340826", "安徽省安庆市宿松县", 3),
    Origin("361128", "江西省上饶市鄱阳县", 6),
    Origin("361127", "江西省上饶市余干县", 4),
    Origin("360730", "江西省赣州市宁都县", 4),
    Origin("361025", "江西省抚州市乐安县", 2),
    Origin("411625", "河南省周口市郸城县", 4),
    Origin("411628", "河南省周口市鹿邑县", 3),
    Origin("411323", "河南省南阳市淅川县", 3),
    Origin("411526", "河南省信阳市潢川县", 2),
    Origin("511321", "四川省南充市南部县", 3),
    Origin("511324", "四川省南充市仪陇县", 3),
    Origin("510722", "四川省绵阳市三台县", 2),
    Origin("513431", "四川省凉山彝族自治州昭觉县", 1.5, (("07", 0.9),)),
    Origin("520526", "贵州省毕节市威宁彝族回族苗族自治县", 5, (("07", 0.25), ("03", 0.1), ("06", 0.15))),
    Origin("520527", "贵州省毕节市赫章县", 3, (("07", 0.15), ("06", 0.1))),
    Origin("522623", "贵州省黔东南苗族侗族自治州施秉县", 2.5, (("06", 0.5), ("12", 0.1))),
    Origin("522725", "贵州省黔南布依族苗族自治州瓮安县", 2, (("09", 0.2), ("06", 0.1))),
    Origin("500235", "重庆市云阳县", 2.5),
    Origin("500243", "重庆市彭水苗族土家族自治县", 1.5, (("06", 0.3), ("15", 0.3))),
    Origin("431026", "湖南省郴州市汝城县", 2),
    Origin("433125", "湖南省湘西土家族苗族自治州保靖县", 1.5, (("15", 0.6), ("06", 0.15))),
    Origin("450881", "广西壮族自治区贵港市桂平市", 2, (("08", 0.2),)),
    Origin("451024", "广西壮族自治区百色市德保县", 1.5, (("08", 0.9),)),
    Origin("530627", "云南省昭通市镇雄县", 3, (("06", 0.05), ("07", 0.05))),
    Origin("532622", "云南省文山壮族苗族自治州砚山县", 1, (("08", 0.3), ("07", 0.2))),
    Origin("421087", "湖北省荆州市松滋市", 1.5),
    Origin("350725", "福建省南平市政和县", 2),
    Origin("350722", "福建省南平市浦城县", 2),
    Origin("330327", "浙江省温州市苍南县", 3),
    Origin("330328", "浙江省温州市文成县", 2),
    Origin("331022", "浙江省台州市三门县", 1.5),
)
HOME_TOWNS: Final = _words(
    "城关 新集 大河 杨庄 李店 石桥 高坪 柳林 长岭 白沙 双河 马坪 黄土 龙潭 新店 花园 太平"
)
HOME_VILLAGES: Final = _words(
    "王庄 张湾 刘楼 前进 和平 红星 新民 光明 胜利 永安 东风 桥头 河口 上湾 下湾 新村"
)
# Married-in women from afar now registered here, and the minorities among them.
MARRIED_IN_MINORITIES: Final = (("06", 0.3), ("15", 0.2), ("08", 0.15), ("07", 0.1), ("09", 0.1))

MOBILE_PREFIXES: Final = _words(
    "130 131 132 133 134 135 136 137 138 139 147 150 151 152 153 155 156 157 158 159 166 173 175 176 177 "
    "178 180 181 182 183 184 185 186 187 188 189 191 193 195 198 199"
)


# --- occupations and education ------------------------------------------------------------------------------

RURAL_WORK: Final = {
    "务农": 26,
    "香菇种植": 6,
    "茶农": 6,
    "来料加工": 8,
    "竹木制品加工": 5,
    "个体经营": 9,
    "企业职工": 12,
    "建筑工人": 7,
    "驾驶员": 4,
    "农家乐经营": 3,
    "民宿经营": 2,
    "无业": 6,
    "家务": 6,
}
URBAN_WORK: Final = {
    "企业职工": 24,
    "个体经营": 13,
    "销售人员": 6,
    "餐饮服务": 5,
    "驾驶员": 4,
    "快递员": 2,
    "外卖骑手": 2,
    "保安": 2,
    "自由职业": 3,
    "会计": 2,
    "无业": 5,
    "家务": 5,
}
SKILLED_WORK: Final = {
    "公务员": 6,
    "事业单位职工": 7,
    "教师": 6,
    "医生": 3,
    "护士": 3,
    "工程师": 4,
    "企业管理人员": 5,
    "银行职员": 3,
    "律师": 1,
    "企业职工": 12,
    "个体经营": 6,
    "自由职业": 3,
}
FLOATING_WORK: Final = {
    "服装厂工人": 10,
    "竹木制品厂工人": 8,
    "五金厂工人": 6,
    "阀门厂工人": 4,
    "建筑工人": 12,
    "装修工": 5,
    "餐饮服务员": 7,
    "厨师": 4,
    "快递员": 5,
    "外卖骑手": 5,
    "保安": 3,
    "保洁员": 3,
    "货车司机": 3,
    "个体经营": 4,
}

# Education (GB/T 4658) of adults by birth year: until (exclusive) → code weights.
EDUCATION_BY_COHORT: Final = (
    (1950, {"90": 32, "80": 48, "70": 15, "60": 5}),
    (1965, {"90": 10, "80": 40, "70": 33, "60": 11, "40": 3, "30": 2, "20": 1}),
    (1980, {"90": 2, "80": 15, "70": 45, "60": 17, "40": 8, "30": 8, "20": 5}),
    (1995, {"80": 3, "70": 25, "60": 15, "40": 15, "30": 22, "20": 18, "10": 2}),
    (9999, {"70": 4, "60": 10, "40": 18, "30": 32, "20": 31, "10": 5}),
)
HIGHER_EDUCATION: Final = frozenset({"10", "20", "30"})


# --- household types ----------------------------------------------------------------------------------------

# (type, weight in villages, weight in urban communities)
HOUSEHOLD_TYPES: Final = (
    ("single_elderly", 13, 8),
    ("elderly_couple", 20, 14),
    ("middle_couple", 9, 10),
    ("single_adult", 6, 8),
    ("couple", 4, 7),
    ("nuclear", 21, 33),
    ("three_gen_up", 8, 11),
    ("three_gen_down", 12, 8),
    ("skipped_gen", 8, 1.5),
    ("husband_away", 3, 1),
    ("single_parent", 3, 4),
    ("with_sibling", 1, 1),
)
FLOATING_TYPES: Final = (
    ("single_worker", 40),
    ("worker_couple", 22),
    ("family", 20),
    ("dormitory", 10),
    ("shop_family", 8),
)

# Relations (GB/T 4761).
HEAD, SPOUSE, SON, DAUGHTER, GRANDCHILD, PARENT, SIBLING, RELATIVE, NON_RELATIVE = (
    "02",
    "10",
    "20",
    "30",
    "40",
    "50",
    "70",
    "80",
    "99",
)
REGISTERED, FLOATING, FOREIGN, AWAY = "registered", "floating", "foreign", "away"

PICK_LOCAL_SURNAME: Final = Picker(LOCAL_SURNAMES)
PICK_NATIONAL_SURNAME: Final = Picker(NATIONAL_SURNAMES)
PICK_SHE_SURNAME: Final = Picker(SHE_SURNAMES)
PICK_ORIGIN: Final = Picker({o: o.weight for o in ORIGINS})
PICK_FAR_ORIGIN: Final = Picker({o: o.weight for o in ORIGINS if not o.code.startswith("33")})
PICK_FLOATING_TYPE: Final = Picker(dict(FLOATING_TYPES))
RURAL_HOUSEHOLDS: Final = Picker({k: v for k, v, _u in HOUSEHOLD_TYPES})
URBAN_HOUSEHOLDS: Final = Picker({k: u for k, _v, u in HOUSEHOLD_TYPES})
PICK_FLOATING_WORK: Final = Picker(FLOATING_WORK)
PICK_SKILLED_WORK: Final = Picker(SKILLED_WORK)
WORK_PICKERS: Final = {
    (urban, sex): Picker(
        {
            k: w
            for k, w in (URBAN_WORK if urban else RURAL_WORK).items()
            if sex == "2" or k not in ("家务", "来料加工")
        }
    )
    for urban in (True, False)
    for sex in ("1", "2")
}


def _education_weights(weights: Mapping[str, float], factor: float) -> dict[str, float]:
    return {code: w * (factor if code in HIGHER_EDUCATION else 1) for code, w in weights.items()}


# Floating workers went to school less often, town people more often than villagers.
EDUCATION_PICKERS: Final = {
    variant: [Picker(_education_weights(w, factor)) for _until, w in EDUCATION_BY_COHORT]
    for variant, factor in (("rural", 1.0), ("urban", 1.6), ("floating", 0.35))
}


# --- the plan of the county, seen from the registry ---------------------------------------------------------


@dataclass
class GridInfo:
    grid: RegionPlan
    village: RegionPlan
    township: RegionPlan
    roads: list[str] = field(default_factory=list)

    @property
    def urban(self) -> bool:
        return self.village.kind == "community"

    @property
    def street(self) -> bool:
        return self.township.kind == "street"

    @property
    def weight(self) -> float:
        """How many people live here, relatively."""
        if self.urban:
            return 2.0
        return 0.7 if self.township.kind == "xiang" else 1.0

    @property
    def floating_share(self) -> float:
        if self.street:
            return 0.15
        return 0.13 if self.urban else 0.08

    @property
    def locality(self) -> str:
        """The township and village as an address starts: 青溪县白鹭镇下坑村."""
        return f"{COUNTY_NAME}{self.township.name}{self.village.name}"


SEAT_ROADS: Final = _words(
    "青溪大道 人民路 中山路 建设路 环城东路 环城西路 解放街 府前路 文昌路 望江路 丽阳路 南门街 溪口路 "
    "东城大道 金桥路 新华路 桂花路 东湖路 花园路 滨江路 育才路 紫金路 江滨路 五一街"
)


def _short(name: str) -> str:
    return re.sub("(社区|村|街道|镇|乡)$", "", name)


def grid_infos(plan: CountyPlan) -> list[GridInfo]:
    """Every grid of the county, with its village, township and the roads that cross it."""
    infos: list[GridInfo] = []
    for township in plan.at_level(RegionLevel.TOWNSHIP):
        short = _short(township.name)
        for v_index, village in enumerate(plan.children(township.code)):
            base = _short(village.name)
            if township.kind == "street":
                own = [f"{base}路", f"{base}街"] if base + "路" in SEAT_ROADS else [f"{base}路"]
                roads = own + [SEAT_ROADS[(v_index * 3 + k) % len(SEAT_ROADS)] for k in range(3)]
            elif village.kind == "community":
                roads = [f"{short}大道", f"{short}老街", f"{short}中路", f"{short}新街", "工业园路"]
            else:
                roads = [f"{base}村道", f"{short}线"]
            roads = list(dict.fromkeys(roads))
            for grid in plan.children(village.code):
                infos.append(GridInfo(grid, village, township, roads))
    return infos


class Geo:
    """Grid polygons, and points inside them."""

    M_LAT: Final = 1 / 111_320  # degrees of latitude per metre
    M_LNG: Final = 1 / (111_320 * math.cos(math.radians(28.45)))

    def __init__(self) -> None:
        self._shapes: dict[str, BaseGeometry] = {}

    def shape(self, region: RegionPlan) -> BaseGeometry:
        geom = self._shapes.get(region.code)
        if geom is None:
            geom = shape(region.boundary)
            shapely.prepare(geom)
            self._shapes[region.code] = geom
        return geom

    def inside(self, region: RegionPlan, x: float, y: float) -> bool:
        return bool(self.shape(region).contains_properly(Point(x, y)))

    def random_point(self, rng: random.Random, region: RegionPlan) -> tuple[float, float]:
        geom = self.shape(region)
        min_x, min_y, max_x, max_y = geom.bounds
        for _attempt in range(1000):
            x, y = round(rng.uniform(min_x, max_x), 6), round(rng.uniform(min_y, max_y), 6)
            if geom.contains_properly(Point(x, y)):
                return x, y
        raise ValueError(f"no point found inside {region.code}")

    def near(
        self, rng: random.Random, region: RegionPlan, center: tuple[float, float], metres: float
    ) -> tuple[float, float]:
        """A point about ``metres`` from ``center`` (normally distributed), inside the region."""
        geom = self.shape(region)
        for _attempt in range(40):
            x = round(center[0] + rng.gauss(0, metres) * self.M_LNG, 6)
            y = round(center[1] + rng.gauss(0, metres) * self.M_LAT, 6)
            if geom.contains_properly(Point(x, y)):
                return x, y
        return self.random_point(rng, region)

    def lines(self, rng: random.Random, region: RegionPlan, n: int) -> list[LineString]:
        """``n`` straight streets across the region (the longest piece of each line inside it)."""
        geom = self.shape(region)
        c = geom.representative_point()
        span = max(geom.bounds[2] - geom.bounds[0], geom.bounds[3] - geom.bounds[1]) * 2
        result: list[LineString] = []
        base_angle = rng.uniform(0, math.pi)
        for k in range(n):
            angle = base_angle + k * math.pi / max(n, 1) + rng.uniform(-0.3, 0.3)
            ox, oy = self.random_point(rng, region) if k else (c.x, c.y)
            dx, dy = math.cos(angle) * span, math.sin(angle) * span
            piece = LineString([(ox - dx, oy - dy), (ox + dx, oy + dy)]).intersection(geom)
            parts = [p for p in shapely.get_parts(piece) if isinstance(p, LineString) and p.length > 0]
            if parts:
                result.append(max(parts, key=lambda p: p.length))
        return result


# --- drafts -------------------------------------------------------------------------------------------------


@dataclass
class HouseDraft:
    code: str
    info: GridInfo
    lng: float
    lat: float
    address: str
    building: str = ""
    unit_no: str = ""
    room: str = ""
    use: str = "01"
    floors: int = 1
    area: float = 90.0
    owner_name: str = ""
    rental_use: str = ""
    rental_start: date | None = None
    rental_end: date | None = None
    households: list[HouseholdDraft] = field(default_factory=list)

    def row(self) -> Row:
        return {
            "code": self.code,
            "building": self.building,
            "unit_no": self.unit_no,
            "room": self.room,
            "use": self.use,
            "owner_name": self.owner_name,
            "floors": str(self.floors),
            "area_m2": f"{self.area:.2f}",
            "rental_use": self.rental_use,
            "rental_start": self.rental_start.isoformat() if self.rental_start else "",
            "rental_end": self.rental_end.isoformat() if self.rental_end else "",
            "region": self.info.grid.code,
            "address": self.address,
            "lng": f"{self.lng:.6f}",
            "lat": f"{self.lat:.6f}",
        }


@dataclass
class PersonDraft:
    name: str
    sex: str  # "1" male, "2" female
    birth: date
    relation: str
    population_type: str = REGISTERED
    id_region: str = COUNTY_CODE
    id_number: str = ""
    ethnicity: str = "01"
    phone: str = ""
    education: str = ""
    occupation: str = ""
    inflow_reason: str = ""
    hukou_address: str = ""
    care_groups: set[str] = field(default_factory=set)
    household: HouseholdDraft | None = None

    def age(self, today: date) -> int:
        return today.year - self.birth.year - ((today.month, today.day) < (self.birth.month, self.birth.day))

    def row(self) -> Row:
        household = self.household
        assert household is not None and household.house is not None
        house = household.house
        return {
            "name": self.name,
            "id_number": self.id_number,
            "phone": self.phone,
            "ethnicity": self.ethnicity,
            "population_type": self.population_type,
            "inflow_reason": self.inflow_reason,
            "education": self.education,
            "occupation": self.occupation,
            "house": house.code,
            "household": household.number,
            "relation_to_head": self.relation,
            "care_groups": ",".join(sorted(self.care_groups)),
            "region": house.info.grid.code,
            "address": house.address,
            "lng": f"{house.lng:.6f}",
            "lat": f"{house.lat:.6f}",
            "hukou_address": self.hukou_address,
        }


@dataclass
class HouseholdDraft:
    number: str
    kind: str  # a household type
    members: list[PersonDraft]
    house: HouseDraft | None = None
    floating: bool = False

    @property
    def head(self) -> PersonDraft:
        return self.members[0]

    def row(self) -> Row:
        house = self.house
        assert house is not None
        return {
            "number": self.number,
            "house": house.code,
            "region": house.info.grid.code,
            "address": house.address,
            "lng": f"{house.lng:.6f}",
            "lat": f"{house.lat:.6f}",
        }


@dataclass
class SpecialDraft:
    id_number: str
    group: str
    details: dict[str, str]
    started_on: date
    region_code: str


@dataclass
class TenancyDraft:
    house_code: str
    id_number: str
    start: date | None
    end: date | None


@dataclass
class RegistryPlan:
    """Every row the demo registry is made of, in the order they are written."""

    houses: list[Row] = field(default_factory=list)
    households: list[Row] = field(default_factory=list)
    people: list[Row] = field(default_factory=list)
    organizations: list[Row] = field(default_factory=list)
    places: list[Row] = field(default_factory=list)
    components: list[Row] = field(default_factory=list)
    credit: list[Row] = field(default_factory=list)
    tenancies: list[TenancyDraft] = field(default_factory=list)
    special_groups: list[SpecialDraft] = field(default_factory=list)

    def bulk(self) -> list[tuple[str, list[Row]]]:
        """(kind, rows) in dependency order."""
        return [
            ("house", self.houses),
            ("household", self.households),
            ("person", self.people),
            ("organization", self.organizations),
            ("place", self.places),
            ("component", self.components),
            ("credit", self.credit),
        ]


# --- people and houses --------------------------------------------------------------------------------------


class PeopleMaker:
    """Households of people in houses, grid by grid."""

    def __init__(self, rng: random.Random, plan: CountyPlan, today: date, geo: Geo) -> None:
        self.rng = rng
        self.plan = plan
        self.today = today
        self.geo = geo
        self.today_ordinal = today.toordinal()
        self.infos = grid_infos(plan)
        self.used_ids: set[str] = set()
        self.used_phones: set[str] = set()
        self.houses: list[HouseDraft] = []
        self.households: list[HouseholdDraft] = []
        self.house_seq: Counter[str] = Counter()  # by grid
        self.household_seq: Counter[str] = Counter()  # by village (registered); "L" + village (floating)
        self.village_numbers: Counter[str] = Counter()  # house numbers by village
        self.road_numbers: Counter[str] = Counter()
        self.estate_names: set[str] = set()
        self.village_surnames: dict[str, Picker] = {}

    # -- who ------------------------------------------------------------------------------------------------

    def surnames_of(self, village: RegionPlan) -> Picker:
        """A village's surnames: a couple of clans hold half of a rural village (its name tells one)."""
        found = self.village_surnames.get(village.code)
        if found is not None:
            return found
        weights: dict[str, float] = dict(LOCAL_SURNAMES)
        if village.kind == "village":
            named = village.name.endswith("家村") or len(village.name) == 2  # 周家村, 叶村: the clan's name
            clans = [village.name[0]] if named and village.name[0] in LOCAL_SURNAMES else []
            clans += self.rng.sample(sorted(LOCAL_SURNAMES, key=lambda s: -LOCAL_SURNAMES[s])[:20], 2)
            total = sum(weights.values())
            for k, clan in enumerate(dict.fromkeys(clans)):
                weights[clan] = weights.get(clan, 0) + total * (0.45 if k == 0 else 0.2)
        picker = self.village_surnames[village.code] = Picker(weights)
        return picker

    def she_share(self, village: RegionPlan) -> float:
        """The share of 畲族 households: most of 蓝家村, a few in other rural villages."""
        if "蓝" in village.name:
            return 0.6
        return 0.06 if village.kind == "village" else 0.01

    def birth(self, age: int) -> date:
        """A birthday ``age`` years ago (give or take the leap days), before today."""
        days = int(age * 365.2425) + self.rng.randint(1, 364)
        return date.fromordinal(self.today_ordinal - days)

    def person(
        self, age: int, sex: str, relation: str, surname: str, population_type: str = REGISTERED
    ) -> PersonDraft:
        age = max(0, min(age, 101))
        born = self.birth(age)
        return PersonDraft(
            surname + given_name(self.rng, born.year, sex), sex, born, relation, population_type
        )

    def phone(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 99_999_999):08d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def id_number(self, region6: str, born: date, sex: str) -> str:
        for _attempt in range(200):
            seq = self.rng.randint(0, 99) * 10 + self.rng.choice(
                (1, 3, 5, 7, 9) if sex == "1" else (0, 2, 4, 6, 8)
            )
            number = make_id_number(region6, born, seq)
            if number not in self.used_ids:
                self.used_ids.add(number)
                return number
        raise ValueError(f"no free ID number for {region6} {born}")

    # -- households -----------------------------------------------------------------------------------------

    def registered_household(self, info: GridInfo) -> list[PersonDraft]:
        """The members of a registered household (the head first), by a random household type."""
        rng = self.rng
        kind = (URBAN_HOUSEHOLDS if info.urban else RURAL_HOUSEHOLDS)(rng)
        surnames = self.surnames_of(info.village)
        she = rng.random() < self.she_share(info.village)
        pool = PICK_SHE_SURNAME if she else surnames

        def surname() -> str:
            return str((pool if rng.random() < 0.75 else PICK_LOCAL_SURNAME)(rng))

        family = surname()
        members: list[PersonDraft] = []

        def add(
            age: int, sex: str, relation: str, name: str | None = None, ptype: str = REGISTERED
        ) -> PersonDraft:
            p = self.person(age, sex, relation, name or surname(), ptype)
            members.append(p)
            return p

        def couple(head_age: int, male_head: float = 0.8) -> tuple[PersonDraft, PersonDraft]:
            head_male = rng.random() < male_head
            wife_age = head_age + rng.randint(-6, 1) if head_male else head_age
            husband_age = head_age if head_male else head_age + rng.randint(-1, 6)
            if head_male:
                h = add(husband_age, "1", HEAD, family)
                w = add(wife_age, "2", SPOUSE)
                return h, w
            w = add(wife_age, "2", HEAD, family)
            h = add(husband_age, "1", SPOUSE)
            return h, w

        def children(
            mother_age: int, father: PersonDraft, n: int, relation_son: str = SON, away: bool = False
        ) -> None:
            age = mother_age - rng.randint(22, 31)
            kid_surname = father.name[0] if rng.random() < 0.93 else members[0].name[0]
            for _k in range(n):
                if age < 0:
                    break
                sex = "1" if rng.random() < 0.53 else "2"
                relation = relation_son if relation_son != SON else (SON if sex == "1" else DAUGHTER)
                add(age, sex, relation, kid_surname, AWAY if away and age >= 18 else REGISTERED)
                age -= rng.randint(1, 6)

        if kind == "single_elderly":
            add(rng.randint(65, 94), "2" if rng.random() < 0.62 else "1", HEAD, family)
        elif kind == "elderly_couple":
            couple(rng.randint(60, 88), 0.9)
        elif kind == "middle_couple":  # the children have left, or one is still at home
            h, w = couple(rng.randint(46, 64))
            if rng.random() < 0.25:
                children(w.age(self.today), h, 1)
        elif kind == "single_adult":
            add(rng.randint(20, 64), "1" if rng.random() < 0.6 else "2", HEAD, family)
        elif kind == "couple":
            couple(rng.randint(23, 40))
        elif kind in ("nuclear", "three_gen_up"):
            h, w = couple(rng.randint(29, 58))
            n = _weighted(rng, {1: 45, 2: 40, 3: 10} if info.urban else {1: 30, 2: 50, 3: 15})
            children(w.age(self.today), h, n)
            if kind == "three_gen_up":
                head = members[0]
                age = head.age(self.today) + rng.randint(24, 32)
                if rng.random() < 0.6:
                    add(age + rng.randint(0, 3), "1", PARENT, head.name[0])
                add(age + rng.randint(-2, 1), "2", PARENT)
        elif kind in ("three_gen_down", "skipped_gen"):
            head_age = rng.randint(50, 72) if kind == "three_gen_down" else rng.randint(52, 76)
            if rng.random() < 0.8:
                h, w = couple(head_age, 0.9)
            else:
                h = w = add(head_age, "2" if rng.random() < 0.7 else "1", HEAD, family)
            away = kind == "skipped_gen"
            son_age = max(18, head_age - rng.randint(23, 30))
            son = add(son_age, "1", SON, family if h.sex == "1" else h.name[0], AWAY if away else REGISTERED)
            wife = add(son_age + rng.randint(-5, 1), "2", RELATIVE, None, AWAY if away else REGISTERED)
            before = len(members)
            children(wife.age(self.today), son, _weighted(rng, {1: 55, 2: 40, 3: 5}), GRANDCHILD)
            if away:
                for kid in members[before:]:
                    if kid.age(self.today) < 16:
                        kid.care_groups.add("left_behind_child")
        elif kind == "husband_away":
            h, w = couple(rng.randint(28, 48), 1.0)
            h.population_type = AWAY
            children(w.age(self.today), h, _weighted(rng, {1: 50, 2: 45, 3: 5}))
        elif kind == "single_parent":
            parent = add(rng.randint(30, 56), "2" if rng.random() < 0.65 else "1", HEAD, family)
            mother_age = parent.age(self.today) if parent.sex == "2" else parent.age(self.today) - 2
            children(mother_age, parent, _weighted(rng, {1: 65, 2: 35}))
        else:  # with_sibling
            head = add(rng.randint(40, 72), "1", HEAD, family)
            add(
                head.age(self.today) + rng.randint(-8, 8), "1" if rng.random() < 0.6 else "2", SIBLING, family
            )
        if she:
            for m in members:
                if m.name[0] in SHE_SURNAMES or rng.random() < 0.5:
                    m.ethnicity = "22"
        _distinct_names(rng, members)
        return members

    def floating_household(self) -> tuple[list[PersonDraft], Origin]:
        """A household of the floating population, all from one county (fellow villagers share a room)."""
        rng = self.rng
        kind = PICK_FLOATING_TYPE(rng)
        origin = PICK_ORIGIN(rng)
        members: list[PersonDraft] = []

        def surname() -> str:
            if origin.code == "513431":
                return rng.choice(YI_SURNAMES)
            return str(PICK_NATIONAL_SURNAME(rng))

        def add(age: int, sex: str, relation: str, reason: str, name: str | None = None) -> PersonDraft:
            family = name or surname()
            p = self.person(age, sex, relation, family, FLOATING)
            if family in YI_SURNAMES:  # 彝族 names: a clan name and a given name, 4 characters
                p.name = family + rng.choice(YI_GIVEN)
            p.inflow_reason = reason
            members.append(p)
            return p

        work = "01" if rng.random() < 0.85 else _weighted(rng, {"03": 5, "04": 1, "08": 3, "09": 1, "99": 1})
        if kind == "single_worker":
            sex = "1" if rng.random() < 0.65 else "2"
            reason = work if sex == "1" or rng.random() < 0.85 else "05"
            add(rng.randint(18, 52), sex, HEAD, reason)
        elif kind in ("worker_couple", "family", "shop_family"):
            reason = "03" if kind == "shop_family" else work
            head = add(rng.randint(22, 50), "1", HEAD, reason)
            wife = add(
                head.age(self.today) + rng.randint(-6, 1), "2", SPOUSE, reason if rng.random() < 0.7 else "06"
            )
            if kind != "worker_couple" and (kind == "family" or rng.random() < 0.6):
                age = wife.age(self.today) - rng.randint(21, 30)
                for _k in range(_weighted(rng, {1: 60, 2: 40})):
                    if age < 0:
                        break
                    sex = "1" if rng.random() < 0.53 else "2"
                    family = head.name[:2] if head.name[:2] in YI_SURNAMES else head.name[0]
                    add(min(age, 17), sex, SON if sex == "1" else DAUGHTER, "06", family)
                    age -= rng.randint(2, 6)
        else:  # dormitory: fellow workers, not related
            for k in range(rng.randint(3, 6)):
                add(
                    rng.randint(18, 48),
                    "1" if rng.random() < 0.75 else "2",
                    HEAD if k == 0 else NON_RELATIVE,
                    "01",
                )
        home = f"{origin.name}{rng.choice(HOME_TOWNS)}镇{rng.choice(HOME_VILLAGES)}村"
        for m in members:
            m.id_region = origin.code
            if m.relation == NON_RELATIVE:  # a fellow worker from another village of the county
                m.hukou_address = f"{origin.name}{rng.choice(HOME_TOWNS)}镇{rng.choice(HOME_VILLAGES)}村"
            else:
                m.hukou_address = home
            if m.name[:2] in YI_SURNAMES:
                m.ethnicity = "07"
                continue
            for code, share in origin.minorities:
                if rng.random() < share:
                    m.ethnicity = code
                    break
        # children have a parent's ethnicity
        for m in members[1:]:
            if m.relation in (SON, DAUGHTER) and m.ethnicity not in (
                members[0].ethnicity,
                members[1].ethnicity,
            ):
                m.ethnicity = members[0].ethnicity if rng.random() < 0.8 else members[1].ethnicity
        _distinct_names(rng, members)
        return members, origin

    def foreigner(self, household: list[PersonDraft], urban: bool) -> list[PersonDraft] | None:
        """Make a member of ``household`` a foreign wife (villages), or return a household of one resident
        of 港澳台 or abroad (town)."""
        rng = self.rng
        if not urban:
            wives = [
                m
                for m in household
                if m.relation == SPOUSE and m.sex == "2" and 24 <= m.age(self.today) <= 55
            ]
            if not wives:
                return None
            wife = wives[0]
            country = _weighted(rng, {"704": 8, "104": 2})
            nationality, names = FOREIGN_NAMES[country]
            wife.name = rng.choice(names)
            wife.population_type = FOREIGN
            wife.id_region = "933" + country  # the 外国人永久居留身份证 number: 9, province 33, country
            wife.hukou_address = nationality
            wife.ethnicity = "97"
            return household
        if rng.random() < 0.5:
            region = _weighted(rng, {"830000": 5, "810000": 3, "820000": 1})
            p = self.person(
                rng.randint(30, 62),
                "1" if rng.random() < 0.7 else "2",
                HEAD,
                str(PICK_NATIONAL_SURNAME(rng)),
                FOREIGN,
            )
            p.id_region = region
            p.hukou_address = PERMIT_REGIONS[region]
        else:
            country = _weighted(rng, {"410": 4, "392": 2, "840": 2})
            nationality, names = FOREIGN_NAMES[country]
            p = self.person(rng.randint(28, 60), "1", HEAD, "", FOREIGN)
            p.name = rng.choice(names)
            p.id_region = "933" + country
            p.hukou_address = nationality
            p.ethnicity = "97"
        p.inflow_reason = _weighted(rng, {"03": 5, "09": 3, "01": 2})
        return [p]

    # -- attributes -----------------------------------------------------------------------------------------

    def fill(self, p: PersonDraft, urban: bool) -> None:
        """Birthplace (the ID number), education, occupation, phone and hukou of one person."""
        rng = self.rng
        age = p.age(self.today)
        if p.population_type in (REGISTERED, AWAY):
            if age < 30 and rng.random() < 0.92:
                p.id_region = COUNTY_CODE
            else:
                roll = rng.random()
                if p.ethnicity == "22" and roll < 0.25:
                    p.id_region = "331127"  # 景宁畲族自治县
                elif roll < 0.78:
                    p.id_region = COUNTY_CODE
                elif roll < 0.9:
                    p.id_region = rng.choice(LISHUI_COUNTIES)
                elif roll < 0.97 or p.sex == "1":
                    p.id_region = rng.choice(ZHEJIANG_COUNTIES)
                elif p.ethnicity == "22":  # 畲族 marry within 丽水 and the neighbouring counties
                    p.id_region = rng.choice(("331127", "331123", "331181"))
                else:  # married in from afar
                    origin = PICK_FAR_ORIGIN(rng)
                    p.id_region = origin.code
                    for code, share in MARRIED_IN_MINORITIES:
                        if rng.random() < share * 0.3:
                            p.ethnicity = code
                            break
        p.id_number = self.id_number(p.id_region, p.birth, p.sex)
        p.education = self.education(p, age, urban)
        p.occupation = self.occupation(p, age, urban)
        has_phone = 0.0 if age < 6 else 0.05 if age < 12 else 0.5 if age < 16 else 0.97 if age < 75 else 0.45
        if rng.random() < has_phone:
            p.phone = self.phone()

    def education(self, p: PersonDraft, age: int, urban: bool) -> str:
        rng = self.rng
        if age < 6:
            return ""
        if age < 12:
            return "80"
        if age < 15:
            return "70"
        if age < 18:
            return "60" if rng.random() < 0.6 else "40"
        cohort = next(k for k, (until, _w) in enumerate(EDUCATION_BY_COHORT) if p.birth.year < until)
        variant = "floating" if p.population_type == FLOATING else "urban" if urban else "rural"
        return str(EDUCATION_PICKERS[variant][cohort](rng))

    def occupation(self, p: PersonDraft, age: int, urban: bool) -> str:
        rng = self.rng
        if age < 6:
            return "学龄前儿童"
        if age < 16 or (age <= 22 and p.education in HIGHER_EDUCATION | {"60", "40"} and rng.random() < 0.75):
            return "学生"
        if p.population_type == AWAY:
            return "外出务工" if rng.random() < 0.85 else "外出经商"
        if p.population_type == FOREIGN:
            return (
                rng.choice(("家务", "务农", "来料加工"))
                if p.relation == SPOUSE
                else rng.choice(("企业管理人员", "外籍教师", "个体经营", "工程师"))
            )
        if p.population_type == FLOATING:
            if p.inflow_reason == "03":
                return "个体经营"
            if p.inflow_reason == "06":
                return "家务" if rng.random() < 0.5 else str(PICK_FLOATING_WORK(rng))
            return str(PICK_FLOATING_WORK(rng))
        retire = 60 if p.sex == "1" else 55
        if age >= retire:
            if urban or rng.random() < 0.25:
                return "退休" if age < 85 or rng.random() < 0.7 else "无"
            return "务农" if age < 78 else "无"
        if p.education in HIGHER_EDUCATION and rng.random() < 0.7:
            return str(PICK_SKILLED_WORK(rng))
        return str(WORK_PICKERS[(urban, p.sex)](rng))

    # -- houses ---------------------------------------------------------------------------------------------

    def house_code(self, info: GridInfo) -> str:
        self.house_seq[info.grid.code] += 1
        return f"FW{info.grid.code}{self.house_seq[info.grid.code]:05d}"

    def estate_name(self, info: GridInfo) -> str:
        rng = self.rng
        for _attempt in range(50):
            if rng.random() < 0.2:
                name = f"{_short(info.village.name)}{rng.choice(('新村', '小区', '公寓'))}"
            else:
                name = rng.choice(ESTATE_WORDS) + rng.choice(ESTATE_SUFFIXES)
            if name not in self.estate_names:
                self.estate_names.add(name)
                return name
        name = f"{_short(info.village.name)}{len(self.estate_names)}号小区"
        self.estate_names.add(name)
        return name

    def apartments(self, info: GridInfo) -> Iterator[HouseDraft]:
        """Flats of one estate after another: buildings (幢) of units (单元) of rooms (室)."""
        rng = self.rng
        while True:
            name = self.estate_name(info)
            old = name.endswith(("新村", "公寓")) or rng.random() < 0.3
            center = self.geo.random_point(rng, info.grid)
            road = rng.choice(info.roads)
            self.road_numbers[road] += rng.randint(2, 12)
            road_no = self.road_numbers[road]
            for b in range(1, rng.randint(4, 14 if info.street else 6) + 1):
                floors = rng.randint(5, 7) if old or not info.street else rng.choice((11, 15, 18, 18, 26))
                units = rng.randint(1, 3)
                lng, lat = self.geo.near(rng, info.grid, center, 60)
                area = rng.choice((68, 75, 86, 89, 98, 110, 120, 128, 135, 143)) + rng.uniform(-3, 3)
                for u in range(1, units + 1):
                    for f in range(1, floors + 1):
                        for door in (1, 2):
                            room = f"{f}{door:02d}"
                            yield HouseDraft(
                                code=self.house_code(info),
                                info=info,
                                lng=lng,
                                lat=lat,
                                address=f"{info.locality}{road}{road_no}号{name}{b}幢{u}单元{room}室",
                                building=str(b),
                                unit_no=str(u),
                                room=room,
                                floors=floors,
                                area=area + (8 if door == 1 else 0),
                            )

    def village_house(self, info: GridInfo, hamlets: list[tuple[float, float]]) -> HouseDraft:
        """A detached house (自建房) of a village, numbered village-wide, in one of the grid's hamlets."""
        rng = self.rng
        self.village_numbers[info.village.code] += 1
        number = self.village_numbers[info.village.code]
        lng, lat = self.geo.near(rng, info.grid, rng.choice(hamlets), 110)
        if info.urban:  # a town seat's older houses line its streets
            road = rng.choice(info.roads)
            self.road_numbers[road] += rng.randint(1, 3)
            address = f"{info.locality}{road}{self.road_numbers[road]}号"
            use = "06" if rng.random() < 0.25 else "01"
        else:
            address = f"{info.locality}{number}号"
            use = "01"
        return HouseDraft(
            code=self.house_code(info),
            info=info,
            lng=lng,
            lat=lat,
            address=address,
            use=use,
            floors=rng.choice((2, 3, 3, 3, 4, 4, 5)),
            area=rng.uniform(110, 320),
        )

    # -- a grid ---------------------------------------------------------------------------------------------

    def household_number(self, info: GridInfo, floating: bool) -> str:
        key = ("L" if floating else "") + info.village.code
        self.household_seq[key] += 1
        n = self.household_seq[key]
        return f"{info.village.code}L{n:04d}" if floating else f"{info.village.code}{n:05d}"

    def populate(self, info: GridInfo, target: int, foreigners: int = 0) -> int:
        """Households in the grid until about ``target`` people live there, ``foreigners`` of them from
        abroad (foreign wives in villages, people from 港澳台 or abroad renting in town); returns how many."""
        rng = self.rng
        floating_target = round(target * info.floating_share)
        registered: list[list[PersonDraft]] = []
        count = 0
        while count < target - floating_target:
            members = self.registered_household(info)
            registered.append(members)
            count += len(members)
        floating: list[list[PersonDraft]] = []
        if not info.urban:
            for members in registered[::-1]:
                if foreigners and self.foreigner(members, False) is not None:
                    foreigners -= 1
        while foreigners > 0:
            made = self.foreigner([], True)
            assert made is not None
            floating.append(made)
            foreigners -= 1
            count += len(made)
        while count < target:
            members, _origin = self.floating_household()
            floating.append(members)
            count += len(members)
        flats = self.apartments(info) if info.urban else None
        apartment_share = 0.0 if not info.urban else (0.95 if info.street else 0.55)
        hamlets = [self.geo.random_point(rng, info.grid) for _k in range(rng.randint(1, 3))]
        own_houses: list[HouseDraft] = []

        def next_flat() -> HouseDraft:
            assert flats is not None
            while True:
                flat = next(flats)
                self.houses.append(flat)
                if rng.random() >= 0.07:  # the rest stand empty
                    return flat

        for members in registered:
            household = HouseholdDraft(self.household_number(info, False), "registered", members)
            if (
                own_houses
                and not info.urban
                and len(members) <= 2
                and members[0].age(self.today) >= 60
                and rng.random() < 0.3
            ):
                house = rng.choice(own_houses)  # old parents as their own household in the family house
            elif flats is not None and rng.random() < apartment_share:
                house = next_flat()
            else:
                house = self.village_house(info, hamlets)
                self.houses.append(house)
            self.settle(household, house)
            own_houses.append(house)
        for members in floating:
            household = HouseholdDraft(self.household_number(info, True), "floating", members, floating=True)
            dormitory = len(members) >= 3 and members[1].relation == NON_RELATIVE
            if flats is not None and rng.random() < apartment_share:
                house = next_flat()
            elif own_houses and rng.random() < 0.85:
                house = rng.choice(own_houses)  # rooms let in a family house
            else:
                house = self.village_house(info, hamlets)
                self.houses.append(house)
            if not house.rental_use:
                house.rental_use = "01" if dormitory else "02"
                house.rental_start = self.today - timedelta(days=rng.randint(10, 900))
                end = house.rental_start + timedelta(days=365 * rng.choice((1, 1, 2, 3)))
                while end < self.today:
                    end += timedelta(days=365)
                house.rental_end = end
            self.settle(household, house)
        for house in own_houses:
            if not house.owner_name:
                house.owner_name = house.households[0].head.name
        return count

    def settle(self, household: HouseholdDraft, house: HouseDraft) -> None:
        household.house = house
        house.households.append(household)
        for m in household.members:
            m.household = household
            if m.population_type in (REGISTERED, AWAY):
                m.hukou_address = house.address  # registered where they live (the same text indexes once)
            self.fill(m, house.info.urban)
        self.households.append(household)

    def build(self, people: int) -> None:
        """Households in every grid, about ``people`` residents in all, more in town than in the hills."""
        infos = self.infos
        total = sum(i.weight for i in infos)
        shares = [people * i.weight / total for i in infos]
        targets = [math.floor(s) for s in shares]
        for k in sorted(range(len(infos)), key=lambda k: targets[k] - shares[k])[: people - sum(targets)]:
            targets[k] += 1
        foreign = Counter(
            self.rng.choices(
                range(len(infos)), weights=targets, k=max(3, round(people * 0.0006)) if people else 0
            )
        )
        for k, (info, target) in enumerate(zip(infos, targets, strict=True)):
            if target:
                self.populate(info, target, foreign[k])
        # landlords of flats let out, and owners of empty flats: people of the same community
        by_village: dict[str, list[str]] = defaultdict(list)
        for h in self.households:
            if not h.floating and h.house is not None:
                by_village[h.house.info.village.code].append(h.head.name)
        for house in self.houses:
            if not house.owner_name:
                names = by_village.get(house.info.village.code) or [self.person(50, "1", HEAD, "王").name]
                house.owner_name = self.rng.choice(names)

    def people(self) -> Iterator[PersonDraft]:
        for h in self.households:
            yield from h.members


ESTATE_WORDS: Final = _words(
    "阳光 金色 锦绣 江滨 丽景 翡翠 华府 书香 和园 溪畔 银湖 凤凰 紫金 龙腾 香樟 碧水 绿城 桂园 明珠 新城 "
    "御景 春江 云溪 瓯江 栖霞 望湖 兰亭 翠竹 枫林 清华"
)
ESTATE_SUFFIXES: Final = ("花园", "苑", "小区", "家园", "华庭", "名邸", "公馆", "雅苑")


def _distinct_names(rng: random.Random, members: Sequence[PersonDraft]) -> None:
    """No two members of a household with the same name (siblings get other given names)."""
    seen: set[str] = set()
    for m in members:
        for _attempt in range(20):
            if m.name not in seen:
                break
            surname = m.name[:2] if m.name[:2] in YI_SURNAMES else m.name[0]
            given = rng.choice(YI_GIVEN) if surname in YI_SURNAMES else given_name(rng, m.birth.year, m.sex)
            m.name = surname + given
        seen.add(m.name)


# --- care groups and special groups ---------------------------------------------------------------------


def assign_care_groups(rng: random.Random, households: Sequence[HouseholdDraft], today: date) -> None:
    """Care groups (关爱对象) on a plausible share of the people."""
    for h in households:
        if h.floating:
            continue
        ages = [m.age(today) for m in h.members]
        present = [m for m in h.members if m.population_type != AWAY]
        rural = h.house is not None and not h.house.info.urban
        if len(present) == 1 and ages[0] >= 65:
            present[0].care_groups.add("elderly_alone")
            if rural and rng.random() < 0.06:
                present[0].care_groups.add("tekun")
        elif len(present) >= 2 and all(m.age(today) >= 60 for m in present):
            for m in present:
                m.care_groups.add("empty_nest")
        poor = 0.03 if rural else 0.012
        if len(present) <= 2 and min(ages) >= 60:
            poor *= 2
        if rng.random() < poor and "tekun" not in present[0].care_groups:
            for m in h.members:
                m.care_groups.add("dibao")
        for m, age in zip(h.members, ages, strict=True):
            disabled = 0.006 if age < 18 else (0.02 if age < 60 else 0.07)
            if rng.random() < disabled:
                m.care_groups.add("disabled")
            if m.sex == "1" and 24 <= age <= 85 and rng.random() < 0.035:
                m.care_groups.add("veteran")
            if age >= 18 and rng.random() < (0.004 if age < 60 else 0.012):
                m.care_groups.add("serious_illness")


# group: (share of eligible people, who is eligible)
SPECIAL_GROUP_RULES: Final[dict[str, tuple[float, Callable[[PersonDraft, int], bool]]]] = {
    "mental": (0.006, lambda p, age: 18 <= age <= 80),
    "released": (0.005, lambda p, age: 22 <= age <= 65 and (p.sex == "1" or age % 6 == 0)),
    "community_correction": (0.0012, lambda p, age: 20 <= age <= 65 and (p.sex == "1" or age % 5 == 0)),
    "drug": (0.0015, lambda p, age: 18 <= age <= 55 and (p.sex == "1" or age % 4 == 0)),
    "youth": (0.012, lambda p, age: 12 <= age <= 25),
    "left_behind": (
        0.02,
        lambda p, age: "left_behind_child" in p.care_groups or "elderly_alone" in p.care_groups,
    ),
    "aids": (0.0004, lambda p, age: 20 <= age <= 60),
}
# Weights of the codes a special group's details take (the rest of a table's codes weigh 1).
DETAIL_WEIGHTS: Final = {
    "risk_level": {"01": 40, "02": 30, "03": 15, "04": 8, "05": 4, "06": 1},
    "diagnosis": {"01": 50, "04": 15, "05": 8, "06": 10, "07": 8},
    "control": {"01": 60, "05": 15, "06": 20, "02": 3},
    "crime_class": {"05": 35, "06": 25, "04": 20, "02": 12, "03": 8},
    "rectifying_category": {"02": 80, "03": 8, "04": 8, "01": 3},
    "concern_degree": {"01": 15, "02": 35, "03": 50},
    "left_behind_type": {"01": 50, "03": 35, "02": 15},
}


def special_group_drafts(
    rng: random.Random, people: Sequence[PersonDraft], today: date
) -> list[SpecialDraft]:
    """About 1 % of the people in special groups, with their details coded by the GB/T 31000 tables."""
    from jiceng.registry import codes

    result: list[SpecialDraft] = []
    for group, (share, eligible) in SPECIAL_GROUP_RULES.items():
        fields = {**codes.SPECIAL_GROUP_FIELDS[group], **codes.COMMON_SPECIAL_GROUP_FIELDS}
        fields.pop("release_type", None)  # only for ended correction
        for p in people:
            age = p.age(today)
            if p.population_type == FOREIGN or not eligible(p, age) or rng.random() >= share:
                continue
            details: dict[str, str] = {}
            for name, table_id in fields.items():
                if name not in DETAIL_WEIGHTS and rng.random() < 0.25:
                    continue  # not every detail is known
                table = codes.table(table_id)
                weights = {c: DETAIL_WEIGHTS.get(name, {}).get(c, 1) for c in table}
                if group == "left_behind" and name == "left_behind_type":
                    weights = {"03": 1} if "left_behind_child" in p.care_groups else {"01": 1}
                details[name] = str(_weighted(rng, weights))
            assert p.household is not None and p.household.house is not None
            result.append(
                SpecialDraft(
                    p.id_number,
                    group,
                    details,
                    today - timedelta(days=rng.randint(20, 1800)),
                    p.household.house.info.grid.code,
                )
            )
    return result


# --- organizations and places -------------------------------------------------------------------------------

BRANDS: Final = _words(
    "鑫源 永盛 好又多 福满多 隆兴 惠民 顺发 家乐 兴旺 恒达 华美 宏达 天成 金鼎 瑞丰 万家 一品 江南 绿谷 "
    "丽景 山海 青山 溪源 翔宇 博远 聚福 佳和 诚信 银河 新禾 益民 百味 乡缘 森林 云中"
)
# Shop kinds as the demo events name them (see events.demo.SHOP_KINDS): kind → (industry, 九小场所 type).
SHOPS: Final = {
    "小吃店": ("H", "小餐饮"),
    "五金店": ("F", "小商店"),
    "超市": ("F", "小商店"),
    "水果店": ("F", "小商店"),
    "理发店": ("O", "小美容"),
    "早餐店": ("H", "小餐饮"),
    "烧烤店": ("H", "小餐饮"),
    "棋牌室": ("R", "小娱乐"),
    "汽修店": ("O", "小生产加工"),
    "药店": ("F", "小商店"),
    "农资店": ("F", "小商店"),
    "面馆": ("H", "小餐饮"),
    "建材店": ("F", "小商店"),
    "民宿": ("H", "小旅馆"),
    "网吧": ("R", "小网吧"),
    "足浴店": ("O", "小美容洗浴"),
    "诊所": ("Q", "小医疗"),
    "托管班": ("P", "小学校"),
    "服装店": ("F", "小商店"),
    "家电维修部": ("O", "小生产加工"),
    "快餐店": ("H", "小餐饮"),
    "宾馆": ("H", "小旅馆"),
    "KTV": ("R", "小歌舞娱乐"),
    "来料加工点": ("C", "小生产加工"),
}
# Enterprise kinds: words of the name → (industry, share, employees range, risk, key-place type or "").
ENTERPRISES: Final = {
    "竹木制品": ("C", 8, (10, 200), "general", ""),
    "香菇": ("A", 4, (5, 60), "low", ""),
    "茶业": ("A", 4, (5, 80), "low", ""),
    "阀门": ("C", 3, (20, 300), "general", ""),
    "服装": ("C", 5, (20, 400), "general", ""),
    "五金制品": ("C", 4, (10, 150), "general", ""),
    "建材": ("F", 5, (3, 40), "low", ""),
    "建设工程": ("E", 7, (10, 300), "general", "construction"),
    "电子科技": ("I", 3, (5, 80), "low", ""),
    "生态农业": ("A", 4, (3, 50), "low", ""),
    "旅游开发": ("N", 2, (5, 60), "low", ""),
    "物流": ("G", 3, (5, 120), "general", ""),
    "食品": ("C", 4, (10, 150), "general", ""),
    "汽车服务": ("O", 2, (3, 30), "low", ""),
    "园林绿化": ("N", 2, (5, 60), "low", ""),
    "文化传媒": ("R", 2, (2, 20), "low", ""),
    "物业管理": ("K", 3, (10, 120), "low", ""),
    "房地产开发": ("K", 2, (10, 80), "general", "construction"),
    "商贸": ("F", 6, (2, 30), "low", ""),
    "化工": ("C", 1, (20, 150), "high", "hazmat"),
    "燃气": ("D", 1, (10, 60), "major", "hazmat"),
    "烟花爆竹": ("F", 0.5, (3, 20), "high", "hazmat"),
    "购物中心": ("F", 1, (30, 200), "general", "crowded"),
    "大酒店": ("H", 1.5, (20, 150), "general", "crowded"),
    "影城": ("R", 0.5, (10, 40), "general", "crowded"),
}
COOPERATIVE_PRODUCTS: Final = _words("香菇 茶叶 高山蔬菜 杨梅 毛竹 中药材 黄精 油茶 蜂蜜 稻鱼 甜橘柚 笋干")
SOCIETIES: Final = (
    ("51", "01", "青溪县个体劳动者协会"),
    ("51", "01", "青溪县老年人体育协会"),
    ("51", "01", "青溪县摄影家协会"),
    ("51", "01", "青溪县书法家协会"),
    ("51", "01", "青溪县农村电商协会"),
    ("51", "01", "青溪县民宿行业协会"),
    ("51", "01", "青溪县畲族文化研究会"),
    ("51", "01", "青溪县志愿者协会"),
    ("51", "01", "青溪县慈善总会"),
    ("53", "03", "青溪县教育发展基金会"),
    ("52", "02", "青溪县阳光社会工作服务中心"),
    ("52", "02", "青溪县启航青少年服务中心"),
)
SOCIETY_KINDS: Final = ("幼儿园", "培训学校", "社会工作服务中心", "居家养老服务中心")
INDUSTRY_SOCIAL: Final = "S"
PENALTY_SOURCES: Final = (
    # source, document number template, titles (of an organization), amounts
    (
        "青溪县市场监督管理局",
        "青市监处罚〔{y}〕{n}号",
        ("销售过期食品", "未取得食品经营许可从事食品经营", "价格违法", "虚假宣传", "销售不合格产品"),
    ),
    (
        "青溪县综合行政执法局",
        "青综执罚决字〔{y}〕第{n:04d}号",
        ("占道经营", "违法建设", "未按规定运输建筑垃圾", "擅自设置户外广告"),
    ),
    (
        "丽水市生态环境局青溪分局",
        "丽环青罚〔{y}〕{n}号",
        ("超标排放水污染物", "未批先建", "未按规定贮存危险废物"),
    ),
    (
        "青溪县应急管理局",
        "（青）应急罚〔{y}〕{n}号",
        ("未按规定开展安全生产教育培训", "安全设施未保持正常使用", "未如实记录安全生产检查情况"),
    ),
    (
        "青溪县消防救援大队",
        "青消行罚决字〔{y}〕{n}号",
        ("消防设施未保持完好有效", "占用、堵塞疏散通道", "电动自行车违规停放充电"),
    ),
)


class OrganizationMaker:
    """Enterprises, individual businesses, cooperatives, social organizations and institutions, with the key
    places many of them run."""

    def __init__(self, rng: random.Random, maker: PeopleMaker, sizes: Sizes) -> None:
        self.rng = rng
        self.maker = maker
        self.today = maker.today
        self.geo = maker.geo
        self.sizes = sizes
        self.infos = maker.infos
        self.orgs: list[Row] = []
        self.places: list[Row] = []
        self.used_codes: set[str] = set()
        self.used_names: set[str] = set()
        self.place_seq: Counter[str] = Counter()
        self.by_township: dict[str, list[GridInfo]] = defaultdict(list)
        for info in self.infos:
            self.by_township[info.township.code].append(info)
        # adults who can run a business or answer for a place, by township
        self.adults: dict[str, list[PersonDraft]] = defaultdict(list)
        for p in maker.people():
            if p.population_type in (REGISTERED, FLOATING) and 25 <= p.age(self.today) <= 66 and p.phone:
                assert p.household is not None and p.household.house is not None
                self.adults[p.household.house.info.township.code].append(p)

    # -- helpers --------------------------------------------------------------------------------------------

    def credit_code(self, prefix: str, new_style: bool | None = None) -> str:
        rng = self.rng
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        while True:
            if new_style if new_style is not None else rng.random() < 0.7:
                body = "MA2" + "".join(rng.choice(alphabet) for _ in range(5))
            else:
                body = f"{rng.randint(10_000_000, 79_999_999)}"
            code = make_credit_code(f"{prefix}{COUNTY_CODE}{body}{_org_check(body)}")
            if code not in self.used_codes:
                self.used_codes.add(code)
                return code

    def pick_grid(self, urban_weight: float, township: RegionPlan | None = None) -> GridInfo:
        infos = self.by_township[township.code] if township is not None else self.infos
        return self.rng.choices(infos, weights=[urban_weight if i.urban else 1.0 for i in infos])[0]

    def address(self, info: GridInfo) -> tuple[str, float, float]:
        rng = self.rng
        lng, lat = self.geo.random_point(rng, info.grid)
        if info.urban:
            road = rng.choice(info.roads)
            self.maker.road_numbers[road] += rng.randint(1, 4)
            return f"{info.locality}{road}{self.maker.road_numbers[road]}号", lng, lat
        self.maker.village_numbers[info.village.code] += 1
        return f"{info.locality}{self.maker.village_numbers[info.village.code]}号", lng, lat

    def boss(self, info: GridInfo) -> PersonDraft | None:
        found = self.adults.get(info.township.code)
        return self.rng.choice(found) if found else None

    def landline(self) -> str:
        return f"{AREA_CODE}-{self.rng.randint(7_100_000, 7_399_999)}"

    def unique(self, name: str) -> str | None:
        if name in self.used_names:
            return None
        self.used_names.add(name)
        return name

    def org(
        self,
        info: GridInfo,
        name: str,
        prefix: str,
        kind: str,
        industry: str,
        employees: int,
        risk: str = "low",
        enterprise_category: str = "",
        social_type: str = "",
        registration: str = "",
        landline: bool = False,
    ) -> Row:
        address, lng, lat = self.address(info)
        boss = self.boss(info)
        phone = self.landline() if landline or boss is None or self.rng.random() < 0.25 else boss.phone
        row = {
            "credit_code": self.credit_code(prefix),
            "name": name,
            "org_kind": kind,
            "enterprise_category": enterprise_category,
            "social_org_type": social_type,
            "registration_type": registration,
            "legal_representative": boss.name if boss else "",
            "contact_phone": phone,
            "industry": industry,
            "employees": str(employees),
            "risk_level": risk,
            "region": info.grid.code,
            "address": address,
            "lng": f"{lng:.6f}",
            "lat": f"{lat:.6f}",
        }
        self.orgs.append(row)
        return row

    def place(
        self,
        place_type: str,
        name: str,
        org: Row | None,
        info: GridInfo | None = None,
        *,
        risk: str = "general",
        area: tuple[int, int] = (50, 400),
        capacity: tuple[int, int] = (10, 80),
        cycle: int = 30,
        hazard: str = "",
    ) -> None:
        rng = self.rng
        if org is not None:
            region, address, lng, lat = org["region"], org["address"], org["lng"], org["lat"]
            village_code = region[:12]
            responsible, phone = org["legal_representative"], org["contact_phone"]
        else:
            assert info is not None
            address, x, y = self.address(info)
            region, lng, lat = info.grid.code, f"{x:.6f}", f"{y:.6f}"
            village_code = info.village.code
            boss = self.boss(info)
            responsible, phone = (boss.name, boss.phone) if boss else ("", self.landline())
        self.place_seq[village_code] += 1
        size = rng.randint(*area)
        roll = rng.random()
        if roll < 0.03:
            last = None  # never inspected yet
        elif roll < 0.15:
            last = self.today - timedelta(days=cycle + rng.randint(1, max(2, cycle)))  # overdue
        else:
            last = self.today - timedelta(days=rng.randint(0, cycle - 1))
        self.places.append(
            {
                "code": f"CS{village_code}{self.place_seq[village_code]:04d}",
                "name": name[:120],
                "place_type": place_type,
                "organization": org["credit_code"] if org else "",
                "responsible_name": responsible,
                "responsible_phone": phone,
                "area_m2": f"{size}.00",
                "capacity": str(rng.randint(*capacity)),
                "fire_extinguishers": str(max(2, size // 60 + rng.randint(0, 3))),
                "emergency_exits": str(min(8, max(1, size // 300 + rng.randint(0, 2)))),
                "has_sprinklers": "是"
                if size > 1000 or (place_type == "crowded" and rng.random() < 0.8)
                else "否",
                "hazards": hazard or _weighted(rng, {"00": 60, "02": 30, "01": 6, "99": 4}),
                "risk_level": risk,
                "inspection_cycle_days": str(cycle),
                "last_inspected_on": last.isoformat() if last else "",
                "region": region,
                "address": address,
                "lng": lng,
                "lat": lat,
            }
        )

    # -- the county's institutions ------------------------------------------------------------------------

    def institutions(self) -> None:
        """Hospitals, health centres, schools, care homes, markets, gas stations and village collectives."""
        rng = self.rng
        seat = [i for i in self.infos if i.street]
        for name, beds in (("青溪县人民医院", 600), ("青溪县中医院", 300), ("青溪县妇幼保健院", 120)):
            org = self.org(rng.choice(seat), name, "12", "institution", "Q", beds, "general", landline=True)
            self.place(
                "hospital",
                name,
                org,
                risk="high",
                area=(8000, 40000),
                capacity=(300, 1500),
                cycle=30,
                hazard="02",
            )
        for name in (
            "青溪中学",
            "青溪县第二中学",
            "青溪县职业中等专业学校",
            "青溪县实验小学",
            "青溪县城东小学",
            "青溪县实验幼儿园",
        ):
            org = self.org(
                rng.choice(seat), name, "12", "institution", "P", rng.randint(60, 220), landline=True
            )
            self.place("school", name, org, risk="high", area=(6000, 60000), capacity=(400, 2500), cycle=30)
        for township in self.maker.plan.at_level(RegionLevel.TOWNSHIP):
            short = _short(township.name)
            seat_infos = [i for i in self.by_township[township.code] if i.urban] or self.by_township[
                township.code
            ]
            here = rng.choice(seat_infos)
            health = (
                f"{township.name}社区卫生服务中心"
                if township.kind == "street"
                else f"{COUNTY_NAME}{township.name}卫生院"
            )
            org = self.org(here, health, "12", "institution", "Q", rng.randint(20, 90), landline=True)
            self.place("hospital", health, org, area=(800, 4000), capacity=(50, 300), cycle=30)
            if township.kind != "street":
                for school in (
                    f"{COUNTY_NAME}{short}{township.name[-1]}中心小学",
                    f"{COUNTY_NAME}{short}中心幼儿园",
                ):
                    org = self.org(here, school, "12", "institution", "P", rng.randint(15, 60), landline=True)
                    self.place("school", school, org, risk="high", area=(2000, 12000), capacity=(100, 800))
                home = f"{COUNTY_NAME}{township.name}敬老院"
                org = self.org(here, home, "12", "institution", "Q", rng.randint(5, 20), landline=True)
                self.place(
                    "care_home",
                    home,
                    org,
                    risk="high",
                    area=(600, 3000),
                    capacity=(20, 120),
                    cycle=15,
                    hazard="02",
                )
                if township.kind == "town":
                    school = f"{COUNTY_NAME}{short}镇中学"
                    org = self.org(here, school, "12", "institution", "P", rng.randint(30, 90), landline=True)
                    self.place("school", school, org, risk="high", area=(5000, 20000), capacity=(300, 1200))
            else:
                home = f"{township.name}居家养老服务中心"
                org = self.org(here, home, "52", "social", "Q", rng.randint(4, 15), social_type="02")
                self.place("care_home", home, org, area=(300, 1200), capacity=(20, 80), cycle=15)
            market = f"{COUNTY_NAME}{short}农贸市场"
            org = self.org(
                here,
                f"{COUNTY_NAME}{short}农贸市场管理有限公司",
                "91",
                "enterprise",
                "L",
                rng.randint(4, 20),
                "general",
                "01",
                registration="150",
            )
            self.place("market", market, org, area=(1500, 6000), capacity=(300, 1500), hazard="01")
            station = rng.choice(("中国石化", "中国石油"))
            name = f"{station}销售股份有限公司浙江丽水{COUNTY_NAME}{short}加油站"
            org = self.org(
                here,
                name,
                "91",
                "enterprise",
                "F",
                rng.randint(6, 15),
                "high",
                "01",
                registration="160",
                landline=True,
            )
            self.place(
                "gas_station",
                f"{station}{short}加油站",
                org,
                risk="high",
                area=(800, 3000),
                capacity=(10, 40),
                cycle=15,
                hazard="02",
            )
            for village in self.maker.plan.children(township.code):
                infos = [i for i in self.by_township[township.code] if i.village.code == village.code]
                collective = f"{COUNTY_NAME}{township.name}{village.name}股份经济合作社"
                self.org(
                    rng.choice(infos), collective, "N2", "other", "A", rng.randint(3, 9), registration="120"
                )
        bus_station = self.org(
            rng.choice(seat),
            "青溪县城关汽车客运站",
            "91",
            "enterprise",
            "G",
            rng.randint(20, 80),
            "general",
            "01",
            registration="150",
            landline=True,
        )
        self.place(
            "crowded",
            "青溪县城关汽车客运站",
            bus_station,
            risk="high",
            area=(3000, 15000),
            capacity=(500, 3000),
        )
        for name in ("青溪县体育馆", "青溪县文化中心"):
            org = self.org(
                rng.choice(seat), name, "12", "institution", "R", rng.randint(10, 40), landline=True
            )
            self.place("crowded", name, org, risk="high", area=(3000, 15000), capacity=(500, 3000))
        for name in ("普济寺", "观音堂", "基督教青溪堂", "灵山寺", "青溪天主堂", "白云庵"):
            info = rng.choice(self.infos)
            org = self.org(info, f"{COUNTY_NAME}{name}", "71", "other", "S", rng.randint(1, 8))
            self.place("religious", name, org, risk="low", area=(200, 2000), capacity=(50, 400), cycle=90)

    # -- the rest, at random ------------------------------------------------------------------------------

    def shop(self) -> None:
        rng = self.rng
        info = self.pick_grid(3.0)
        kind = rng.choice(list(SHOPS))
        industry, nine = SHOPS[kind]
        trade = f"{rng.choice(LOCAL_SURNAMES_TOP)}记" if rng.random() < 0.45 else rng.choice(BRANDS)
        place = _short(info.village.name) if info.street else _short(info.township.name)
        name = self.unique(f"{COUNTY_NAME}{place}{trade}{kind}")
        if name is None:
            return
        org = self.org(info, name, "92", "individual", industry, rng.randint(1, 8), "low", "03")
        if rng.random() < 0.42:
            risky = nine in ("小旅馆", "小歌舞娱乐", "小网吧", "小美容洗浴", "小生产加工")
            self.place(
                "nine_small",
                f"{trade}{kind}",
                org,
                risk="general" if risky else "low",
                area=(30, 400),
                capacity=(5, 60),
                cycle=30 if risky else 90,
            )

    def enterprise(self) -> None:
        rng = self.rng
        words = _weighted(rng, {k: v[1] for k, v in ENTERPRISES.items()})
        industry, _share, staff, risk, place_type = ENTERPRISES[words]
        info = self.pick_grid(1.5)
        brand = rng.choice(BRANDS)
        lead = _weighted(rng, {COUNTY_NAME: 60, "丽水市": 12, "浙江": 15, "青溪": 13})
        suffix = "有限公司" if rng.random() < 0.9 else "股份有限公司"
        name = self.unique(f"{lead}{brand}{words}{suffix}")
        if name is None:
            return
        registration = (
            "160"
            if suffix == "股份有限公司"
            else _weighted(rng, {"150": 70, "170": 15, "120": 3, "130": 2, "110": 2, "300": 2, "200": 1})
        )
        category = "02" if registration in ("300", "200") else "01"
        org = self.org(
            info,
            name,
            "91",
            "enterprise",
            industry,
            rng.randint(*staff),
            risk,
            category,
            registration=registration,
        )
        if place_type == "construction":
            project = f"{rng.choice(ESTATE_WORDS)}{rng.choice(ESTATE_SUFFIXES)}项目工地"
            self.place(
                "construction",
                project,
                org,
                risk="high",
                area=(3000, 30000),
                capacity=(30, 300),
                cycle=15,
                hazard="99",
            )
        elif place_type == "hazmat":
            gas = words == "燃气"
            depot = f"{brand}液化气储配站" if gas else f"{brand}{words}仓库"
            risk = "major" if gas else "high"
            self.place(
                "hazmat", depot, org, risk=risk, area=(300, 3000), capacity=(5, 40), cycle=7, hazard="02"
            )
        elif place_type == "crowded":
            self.place(
                "crowded",
                f"{brand}{words}",
                org,
                risk="high",
                area=(2000, 20000),
                capacity=(300, 3000),
                hazard="02",
            )
        elif industry == "C" and rng.random() < 0.35:
            self.place(
                "other",
                f"{brand}{words}厂区",
                org,
                risk=risk,
                area=(1000, 12000),
                capacity=(20, 300),
                hazard="02",
            )

    def cooperative(self) -> None:
        rng = self.rng
        info = self.pick_grid(0.1)
        product = rng.choice(COOPERATIVE_PRODUCTS)
        name = self.unique(f"{COUNTY_NAME}{info.village.name}{product}专业合作社")
        if name is not None:
            self.org(info, name, "93", "enterprise", "A", rng.randint(5, 60), "low", "04", registration="190")

    def society(self) -> None:
        rng = self.rng
        info = self.pick_grid(2.0)
        kind = rng.choice(SOCIETY_KINDS)
        name = self.unique(f"{COUNTY_NAME}{rng.choice(BRANDS)}{kind}")
        if name is None:
            return
        industry = {"幼儿园": "P", "培训学校": "P"}.get(kind, "Q")
        org = self.org(info, name, "52", "social", industry, rng.randint(3, 40), social_type="02")
        if kind in ("幼儿园", "培训学校"):
            risk = "high" if kind == "幼儿园" else "general"
            short = name.removeprefix(COUNTY_NAME)
            self.place("school", short, org, risk=risk, area=(200, 2000), capacity=(30, 300))
        elif kind == "居家养老服务中心":
            self.place(
                "care_home",
                name.removeprefix(COUNTY_NAME),
                org,
                area=(200, 1000),
                capacity=(10, 60),
                cycle=15,
            )

    def build(self) -> None:
        rng = self.rng
        self.institutions()
        for prefix, social_type, name in SOCIETIES:
            self.unique(name)
            info = rng.choice([i for i in self.infos if i.street])
            staff = rng.randint(1, 12)
            self.org(info, name, prefix, "social", INDUSTRY_SOCIAL, staff, social_type=social_type)
        makers = {self.shop: 55, self.enterprise: 33, self.cooperative: 7, self.society: 5}
        while len(self.orgs) < self.sizes.organizations:
            _weighted(rng, makers)()
        # more small shops and workshops (九小场所) until the grid workers' list is full
        with_place = {p["organization"] for p in self.places}
        small = [o for o in self.orgs if o["org_kind"] == "individual" and o["credit_code"] not in with_place]
        rng.shuffle(small)
        for org in small[: max(0, self.sizes.places - len(self.places))]:
            name = org["name"].removeprefix(COUNTY_NAME)
            self.place("nine_small", name, org, risk="low", area=(20, 200), capacity=(3, 30), cycle=90)


LOCAL_SURNAMES_TOP: Final = tuple(sorted(LOCAL_SURNAMES, key=lambda s: -LOCAL_SURNAMES[s])[:24])


def _org_check(body8: str) -> str:
    """The GB 11714 check character of an 8-character organization code body."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body8, weights, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else ("0" if check == 11 else str(check))


# --- city components ----------------------------------------------------------------------------------------

# class (大类+小类) → (weight in town, weight in villages, owner, maintainer, may be missing)
COMPONENTS: Final = {
    "0101": (9, 2, "青溪县自来水有限公司", "青溪县自来水有限公司", True),
    "0102": (9, 1, "青溪县住房和城乡建设局", "青溪县市政公用事业服务中心", True),
    "0103": (10, 1, "青溪县住房和城乡建设局", "青溪县市政公用事业服务中心", True),
    "0104": (6, 0.5, "青溪县住房和城乡建设局", "青溪县市政公用事业服务中心", True),
    "0105": (4, 1, "国网浙江青溪县供电有限公司", "国网浙江青溪县供电有限公司", True),
    "0106": (3, 0.5, "青溪县综合行政执法局", "青溪县路灯管理所", True),
    "0107": (5, 1, "中国电信股份有限公司青溪分公司", "中国电信股份有限公司青溪分公司", True),
    "0111": (3, 0.2, "青溪县天然气有限公司", "青溪县天然气有限公司", True),
    "0113": (1, 0.2, "", "青溪县市政公用事业服务中心", True),
    "0116": (4, 1, "青溪县消防救援大队", "青溪县自来水有限公司", False),
    "0117": (2, 1, "国网浙江青溪县供电有限公司", "国网浙江青溪县供电有限公司", False),
    "0118": (
        2,
        0.5,
        "中国移动通信集团浙江有限公司青溪分公司",
        "中国移动通信集团浙江有限公司青溪分公司",
        False,
    ),
    "0121": (14, 6, "青溪县综合行政执法局", "青溪县路灯管理所", False),
    "0124": (0.3, 0, "青溪县邮政分公司", "青溪县邮政分公司", False),
    "0201": (1, 0.3, "青溪县住房和城乡建设局", "青溪县城市停车管理有限公司", False),
    "0202": (1.5, 0.5, "青溪县交通运输局", "青溪县公共交通有限公司", False),
    "0206": (4, 1, "青溪县公安局交通警察大队", "青溪县公安局交通警察大队", True),
    "0207": (1, 0, "青溪县公安局交通警察大队", "青溪县公安局交通警察大队", False),
    "0209": (2, 0.2, "青溪县住房和城乡建设局", "青溪县市政公用事业服务中心", False),
    "0213": (3, 0.5, "青溪县民政局", "青溪县民政局", True),
    "0301": (1, 0.6, "青溪县综合行政执法局", "青溪县环境卫生管理所", False),
    "0303": (0.5, 0.2, "青溪县综合行政执法局", "青溪县环境卫生管理所", False),
    "0304": (8, 2, "青溪县综合行政执法局", "青溪县环境卫生管理所", True),
    "0305": (2, 0.2, "青溪县综合行政执法局", "青溪县综合行政执法局", False),
    "0306": (2, 1.5, "青溪县综合行政执法局", "青溪县环境卫生管理所", False),
    "0401": (0.2, 1, "青溪县自然资源和规划局", "青溪县林业总站", False),
    "0402": (12, 0.5, "青溪县住房和城乡建设局", "青溪县园林绿化管理所", False),
    "0403": (2, 0, "青溪县住房和城乡建设局", "青溪县园林绿化管理所", True),
    "0404": (1, 0, "青溪县住房和城乡建设局", "青溪县园林绿化管理所", True),
    "0405": (1, 0.2, "青溪县住房和城乡建设局", "青溪县园林绿化管理所", False),
    "0406": (0.2, 0, "青溪县文化和广电旅游体育局", "青溪县文化馆", False),
    "0408": (1, 0.2, "青溪县住房和城乡建设局", "青溪县园林绿化管理所", True),
    "0501": (1, 1, "青溪县委宣传部", "所在村（社区）", True),
    "0502": (0.1, 0, "青溪县人民防空办公室", "青溪县人民防空办公室", False),
    "0503": (0.1, 0, "青溪县住房和城乡建设局", "青溪县市政公用事业服务中心", False),
    "0601": (0.05, 0.05, "青溪县应急管理局", "青溪县应急管理局", False),
    "0602": (0.2, 0.1, "青溪县住房和城乡建设局", "青溪县建设工程质量安全监督站", False),
    "0603": (0.5, 1, "青溪县水利局", "青溪县水利工程管理站", False),
    "0604": (3, 1, "青溪县公安局", "青溪县公安局", False),
    "0605": (1, 0.3, "青溪县消防救援大队", "青溪县消防救援大队", True),
}
OCCUPIABLE: Final = frozenset({"0201", "0405", "0209", "0116", "0301"})


def component_rows(rng: random.Random, infos: Sequence[GridInfo], geo: Geo, count: int) -> list[Row]:
    """City components along the streets of the urban grids (and a few in villages): most intact, some
    damaged, missing or occupied; codes 331129 + class + a serial per class."""
    from jiceng.registry import codes

    weights = [5.0 if i.urban else 0.4 for i in infos]
    total = sum(weights)
    per_grid = [round(count * w / total) for w in weights]
    per_grid[max(range(len(infos)), key=lambda k: weights[k])] += count - sum(per_grid)
    serial: Counter[str] = Counter()
    rows: list[Row] = []
    for info, n in zip(infos, per_grid, strict=True):
        if n <= 0:
            continue
        streets = geo.lines(rng, info.grid, 3 if info.urban else 1)
        names = rng.sample(info.roads, min(len(info.roads), len(streets))) if streets else []
        classes = {c: (t if info.urban else v) for c, (t, v, *_rest) in COMPONENTS.items()}
        classes = {c: w for c, w in classes.items() if w > 0}
        for _k in range(n):
            minor = _weighted(rng, classes)
            if streets and minor not in ("0401", "0603"):
                s = rng.randrange(len(streets))
                line, road = streets[s], names[s % len(names)]
                along = line.interpolate(rng.random(), normalized=True)
                x, y = geo.near(rng, info.grid, (along.x, along.y), 8)
                address = f"{info.locality}{road}" + (
                    f"{rng.randint(1, 300)}号旁"
                    if rng.random() < 0.7
                    else f"与{rng.choice(info.roads)}交叉口"
                )
                if address.endswith(f"与{road}交叉口"):
                    address = f"{info.locality}{road}{rng.randint(1, 300)}号旁"
            else:
                x, y = geo.random_point(rng, info.grid)
                address = (
                    f"{info.locality}{rng.choice(('村口', '溪边', '后山', '祠堂旁', '文化礼堂旁', '桥头'))}"
                )
            _town, _village, owner, maintainer, can_miss = COMPONENTS[minor]
            roll = rng.random()
            if roll < 0.045:
                state = "damaged"
            elif roll < 0.065 and can_miss:
                state = "missing"
            elif roll < 0.085 and minor in OCCUPIABLE:
                state = "occupied"
            else:
                state = "intact"
            serial[minor] += 1
            rows.append(
                {
                    "code": f"{COUNTY_CODE}{minor}{serial[minor]:06d}",
                    "name": codes.COMPONENT_CLASSES[minor],
                    "state": state,
                    "owner_department": owner,
                    "maintainer": maintainer
                    if maintainer != "所在村（社区）"
                    else f"{info.village.name}委员会",
                    "region": info.grid.code,
                    "address": address,
                    "lng": f"{x:.6f}",
                    "lat": f"{y:.6f}",
                }
            )
    return rows


# --- credit -------------------------------------------------------------------------------------------------


# Licences by the holder's industry: (licence, issuer, number template).
LICENSES: Final = {
    "H": ("食品经营许可证", "青溪县市场监督管理局", "JY2" + COUNTY_CODE + "{serial:07d}"),
    "F": ("食品经营许可证", "青溪县市场监督管理局", "JY1" + COUNTY_CODE + "{serial:07d}"),
    "C": ("排污许可证", "丽水市生态环境局青溪分局", "{code}001P"),
    "E": ("建筑施工企业安全生产许可证", "浙江省住房和城乡建设厅", "（浙）JZ安许证字〔{y}〕{n:06d}"),
    "G": ("道路运输经营许可证", "青溪县交通运输局", "浙交运管许可丽字" + COUNTY_CODE + "{serial:06d}号"),
    "A": ("食品生产许可证", "青溪县市场监督管理局", "SC1" + COUNTY_CODE + "{serial:07d}"),
    "hazmat": ("危险化学品经营许可证", "青溪县应急管理局", "浙丽危化经字〔{y}〕{n:04d}"),
}


def credit_rows(
    rng: random.Random, people: Sequence[PersonDraft], orgs: Sequence[Row], count: int, today: date
) -> list[Row]:
    """Public credit entries: penalties, licences, abnormal operation, red and black lists on organizations;
    dishonest judgment debtors, penalties and commendations on people."""
    adults = [p for p in people if p.population_type in (REGISTERED, FLOATING) and 22 <= p.age(today) <= 70]
    businesses = [o for o in orgs if o["org_kind"] in ("enterprise", "individual")]
    enterprises = [o for o in orgs if o["org_kind"] == "enterprise"]
    licensable = [o for o in businesses if o["industry"] in LICENSES]
    rows: list[Row] = []
    numbers: Counter[str] = Counter()

    def number(template: str, year: int) -> str:
        key = template + str(year)
        if key not in numbers:  # the county's own entries are a few of the year's decisions
            numbers[key] = rng.randint(5, 60)
        numbers[key] += rng.randint(1, 9)
        return template.format(y=year, n=numbers[key])

    def dates(days: tuple[int, int], valid_years: int | None) -> dict[str, str]:
        decided = today - timedelta(days=rng.randint(*days))
        result = {"decided_on": decided.isoformat(), "valid_from": decided.isoformat()}
        if valid_years:
            result["valid_until"] = (decided + timedelta(days=365 * valid_years)).isoformat()
        return result

    kinds = {
        "org_penalty": 30,
        "org_abnormal": 10,
        "org_license": 12,
        "org_red": 10,
        "org_black": 5,
        "org_dishonest": 8,
        "person_dishonest": 12,
        "person_penalty": 5,
        "person_commendation": 6,
        "person_red": 2,
    }
    while len(rows) < count:
        kind = _weighted(rng, kinds)
        shop = False
        if kind.startswith("org"):
            org = rng.choice(
                enterprises
                if kind in ("org_red", "org_black")
                else licensable
                if kind == "org_license"
                else businesses
            )
            subject = {"subject_credit_code": org["credit_code"]}
            who, shop = org["name"], org["org_kind"] == "individual"
        else:
            p = rng.choice(adults)
            subject = {"subject_id_number": p.id_number}
            who = p.name
        row: Row
        if kind in ("org_penalty", "person_penalty"):
            # people: building and street order; shops: markets, streets and fire safety; firms: any
            sources = (
                PENALTY_SOURCES[1:2]
                if kind == "person_penalty"
                else [PENALTY_SOURCES[k] for k in (0, 1, 4)]
                if shop
                else PENALTY_SOURCES
            )
            source, template, acts = rng.choice(sources)
            act = rng.choice(acts)
            amount = rng.choice((500, 1000, 2000, 3000, 5000, 10000, 20000, 50000))
            when = dates((5, 1000), 3)
            year = int(when["decided_on"][:4])
            row = {
                "credit_kind": "penalty",
                "title": f"{who}{act}案",
                "document_number": number(template, year),
                "source": source,
                "description": f"当事人{who}{act}，依法责令改正并处罚款人民币{amount}元。",
                **when,
            }
        elif kind == "org_abnormal":
            reason = rng.choice(("未按规定期限公示年度报告", "通过登记的住所或者经营场所无法联系"))
            when = dates((30, 900), None)
            row = {
                "credit_kind": "abnormal",
                "title": f"{who}列入经营异常名录",
                "document_number": number("青市监异〔{y}〕{n}号", int(when["decided_on"][:4])),
                "source": "青溪县市场监督管理局",
                "description": f"因{reason}，列入经营异常名录。",
                **when,
            }
        elif kind == "org_license":
            license_name, source, template = LICENSES[org["industry"]]
            if any(w in org["name"] for w in ("化工", "燃气", "烟花爆竹")):
                license_name, source, template = LICENSES["hazmat"]
            when = dates((10, 1200), 5)
            year = int(when["decided_on"][:4])
            row = {
                "credit_kind": "license",
                "title": f"{who}取得{license_name}",
                "document_number": template.format(
                    y=year,
                    n=rng.randint(100, 9999),
                    code=org["credit_code"],
                    serial=rng.randint(0, 9_999_999),
                ),
                "source": source,
                "description": f"准予行政许可：{license_name}，有效期五年。",
                **when,
            }
        elif kind in ("org_red", "person_red"):
            title, source = rng.choice(
                (
                    ("纳税信用A级纳税人", "国家税务总局青溪县税务局"),
                    ("浙江省“守合同重信用”企业", "青溪县市场监督管理局"),
                    ("劳动保障守法诚信单位", "青溪县人力资源和社会保障局"),
                )
                if kind == "org_red"
                else (("诚信示范户", "青溪县精神文明建设指导中心"), ("青溪县文明家庭", "青溪县妇女联合会"))
            )
            when = dates((10, 700), rng.choice((1, 2, 3)))
            row = {
                "credit_kind": "red_list",
                "title": f"{who}被评为{title}",
                "source": source,
                "description": "",
                **when,
            }
        elif kind == "org_black":
            title, source = rng.choice(
                (
                    ("拖欠农民工工资失信联合惩戒对象名单", "青溪县人力资源和社会保障局"),
                    ("严重违法失信主体名单", "青溪县市场监督管理局"),
                )
            )
            when = dates((30, 900), 3)
            row = {
                "credit_kind": "black_list",
                "title": f"{who}列入{title}",
                "document_number": number("青信惩〔{y}〕{n}号", int(when["decided_on"][:4])),
                "source": source,
                "description": "依法实施联合惩戒。",
                **when,
            }
        elif kind in ("org_dishonest", "person_dishonest"):
            when = dates((20, 1500), None)
            year = int(when["decided_on"][:4])
            owed = rng.choice((8000, 15000, 32000, 56000, 120000, 380000, 1_200_000))
            row = {
                "credit_kind": "dishonest",
                "title": f"{who}被列为失信被执行人",
                "document_number": number("（{y}）浙1129执{n}号", year),
                "source": "青溪县人民法院",
                "description": f"有履行能力而拒不履行生效法律文书确定的义务，涉案金额{owed}元。",
                **when,
            }
        else:  # person_commendation
            title, source = rng.choice(
                (
                    ("“最美青溪人”", "中共青溪县委宣传部"),
                    ("见义勇为先进个人", "青溪县见义勇为基金会"),
                    ("优秀网格员", "中共青溪县委政法委员会"),
                    ("无偿献血奉献奖", "青溪县卫生健康局"),
                )
            )
            when = dates((10, 1000), None)
            row = {
                "credit_kind": "commendation",
                "title": f"{who}获评{title}",
                "source": source,
                "description": "",
                **when,
            }
        rows.append({**subject, **row})
    return rows


# --- the whole registry -----------------------------------------------------------------------------------


def build_registry(rng: random.Random, plan: CountyPlan, people: int, today: date) -> RegistryPlan:
    """Every row of the demo registry. Pure: the same generator state, plan, count and day, the same rows."""
    geo = Geo()
    sizes = Sizes.for_people(people)
    rngs = [random.Random(rng.getrandbits(64)) for _ in range(6)]
    maker = PeopleMaker(rngs[0], plan, today, geo)
    maker.build(people)
    assign_care_groups(rngs[1], maker.households, today)
    result = RegistryPlan()
    result.houses = [h.row() for h in maker.houses]
    result.households = [h.row() for h in maker.households]
    everyone = list(maker.people())
    result.people = [p.row() for p in everyone]
    for h in maker.households:
        if h.floating and h.house is not None and h.house.rental_use:
            result.tenancies.append(
                TenancyDraft(h.house.code, h.head.id_number, h.house.rental_start, h.house.rental_end)
            )
    result.special_groups = special_group_drafts(rngs[2], everyone, today)
    orgs = OrganizationMaker(rngs[3], maker, sizes)
    orgs.build()
    result.organizations, result.places = orgs.orgs, orgs.places
    result.components = component_rows(rngs[4], maker.infos, geo, sizes.components)
    result.credit = credit_rows(rngs[5], everyone, orgs.orgs, sizes.credit, today)
    return result


# --- writing it ---------------------------------------------------------------------------------------------

KIND_LABELS: Final = {
    "house": "房屋",
    "household": "户",
    "person": "实有人口",
    "organization": "组织机构",
    "place": "重点场所",
    "component": "城市部件",
    "credit": "信用记录",
}


def write_registry(ctx: DemoContext, plan: RegistryPlan) -> dict[str, int]:
    """Write the rows through the import (houses → households → people → organizations → places →
    components → credit), then the tenancies and special groups through their actions."""
    from jiceng.registry import actions
    from jiceng.registry.imports import import_rows
    from jiceng.registry.models import House

    counts: dict[str, int] = {}
    for kind, rows in plan.bulk():
        progress = _Progress(ctx, KIND_LABELS[kind], len(rows))
        report = import_rows(ctx.actor, kind, rows, progress=progress)
        if report.error_rows:
            raise RuntimeError(f"demo {kind} rows refused ({report.error_rows}): {report.errors[:3]}")
        counts[kind] = report.created
        progress.done(report.created)

    started = time.perf_counter()
    houses = {
        h.code: h
        for h in House.objects.filter(rental_use__gt="").only("id", "code", "rental_use", "region_code")
    }
    by_index = _people_by_id(
        [t.id_number for t in plan.tenancies] + [s.id_number for s in plan.special_groups]
    )
    for tenancy in plan.tenancies:
        actions.add_tenant(
            ctx.actor, houses[tenancy.house_code], by_index[tenancy.id_number], tenancy.start, tenancy.end
        )
    counts["tenancy"] = len(plan.tenancies)
    workers = _grid_workers(ctx)
    for entry in plan.special_groups:
        person = by_index[entry.id_number]
        responsible = next((u for prefix, u in workers if entry.region_code.startswith(prefix)), None)
        actions.add_special_group(
            ctx.actor,
            person,
            entry.group,
            entry.details,
            started_on=entry.started_on,
            responsible=responsible,
        )
    counts["special_group"] = len(plan.special_groups)
    ctx.log(
        f"  {len(plan.tenancies)} 租住登记, {len(plan.special_groups)} 特殊人群 "
        f"({time.perf_counter() - started:.1f} s)"
    )
    return counts


def _people_by_id(id_numbers: Sequence[str]) -> dict[str, Any]:
    from jiceng.core.crypto import blind_index
    from jiceng.registry.models import Person

    wanted = {blind_index(n): n for n in id_numbers}
    found: dict[str, Any] = {}
    keys = list(wanted)
    for start in range(0, len(keys), 500):
        for person in Person.objects.filter(id_number_index__in=keys[start : start + 500]):
            found[wanted[person.id_number_index]] = person
    return found


def _grid_workers(ctx: DemoContext) -> list[tuple[str, Any]]:
    """(region-code prefix, user) of the demo grid workers, finest jurisdiction first."""
    from jiceng.accounts.roles import Role

    found = []
    for user in ctx.users.values():
        prefix = user.jurisdiction_prefix
        if prefix and user.has_role(Role.GRID_WORKER):
            found.append((prefix, user))
    return sorted(found, key=lambda pu: (-len(pu[0]), pu[1].username))


class _Progress:
    """Logs an import's progress about every fifth of the way (and at the end)."""

    def __init__(self, ctx: DemoContext, label: str, total: int) -> None:
        self.ctx, self.label, self.total = ctx, label, total
        self.step = max(5000, total // 5)
        self.shown = 0
        self.started = time.perf_counter()

    def __call__(self, rows: int) -> None:
        if rows - self.shown >= self.step and rows < self.total:
            self.shown = rows
            self.ctx.log(f"  {rows}/{self.total} {self.label} ({time.perf_counter() - self.started:.1f} s)")

    def done(self, created: int) -> None:
        self.ctx.log(f"  {created} {self.label} ({time.perf_counter() - self.started:.1f} s)")


def load_registry(ctx: DemoContext, people: int, today: date) -> RegistryPlan:
    """Plan the registry of ``people`` residents as of ``today`` and write it; returns the plan."""
    started = time.perf_counter()
    plan = build_registry(ctx.rng, ctx.plan, people, today)
    ctx.log(
        f"  planned {len(plan.people)} 人, {len(plan.households)} 户, {len(plan.houses)} 房屋, "
        f"{len(plan.organizations)} 组织, {len(plan.places)} 场所, {len(plan.components)} 部件, "
        f"{len(plan.credit)} 信用 ({time.perf_counter() - started:.1f} s)"
    )
    ctx.extra["registry"] = write_registry(ctx, plan)
    return plan


def ensure_safety_officers(ctx: DemoContext) -> int:
    """A public-safety officer (综治干部, who follows the special groups) at every township's 平安办.
    Returns how many were added."""
    from jiceng.accounts.actions import create_user
    from jiceng.accounts.models import User
    from jiceng.accounts.roles import Role
    from jiceng.demo.county import DEMO_PASSWORD, person_names

    wanted = []
    for township in ctx.plan.at_level(RegionLevel.TOWNSHIP):
        username = f"{township.key}_safety"
        if username not in ctx.users and not User.objects.filter(username=username).exists():
            wanted.append((username, f"{township.code[:9]}-PAB"))
    taken = set(User.objects.values_list("full_name", flat=True))
    rng = random.Random(f"{ctx.seed}:registry.staff")
    names = [n for n in person_names(rng, len(wanted) + len(taken)) if n not in taken]
    for (username, unit_code), full_name in zip(wanted, names, strict=False):
        user = create_user(
            ctx.actor,
            username=username,
            password=DEMO_PASSWORD,
            unit_code=unit_code,
            roles=[Role.SAFETY_OFFICER],
            full_name=full_name,
        )
        ctx.users[username] = user
        ctx.add_account(user, [Role.SAFETY_OFFICER])
    return len(wanted)


@demo_step(order=400, name="registry.base")
def create_registry(ctx: DemoContext) -> None:
    """实有人口 in households and houses, organizations, places, components, credit (JICENG_DEMO_PEOPLE)."""
    people = people_to_load()
    if people == 0:
        ctx.log(f"  skipped ({PEOPLE_ENV}=0)")
        return
    added = ensure_safety_officers(ctx)
    if added:
        ctx.log(f"  {added} 综治干部 (public-safety officers who follow the special groups)")
    load_registry(ctx, people, _today())


def _today() -> date:
    from jiceng.core.workdays import SHANGHAI

    return datetime.now(SHANGHAI).date()


# --- who and where the demo events concern ----------------------------------------------------------------

PARTY_IN_TITLE: Final = re.compile(r"([\u4e00-\u9fff])某")
RENTAL_WORDS: Final = ("出租", "群租", "租户", "房东", "押金")
HOUSE_WORDS: Final = ("宅基地", "漏水", "排水", "建房", "搭建", "扩建", "继承", "房产", *RENTAL_WORDS)
CARE_WORDS: Final = (
    ("独居老人", "elderly_alone"),
    ("特困", "tekun"),
    ("低保", "dibao"),
    ("困难", "dibao"),
    ("残疾", "disabled"),
    ("留守儿童", "left_behind_child"),
)
# Words of an event's title (its category's name) → the types of key place it may be about.
PLACE_WORDS: Final = (
    (("加油站",), ("gas_station",)),
    (("农贸市场", "集贸市场", "市场"), ("market",)),
    (("学校", "幼儿园", "校园"), ("school",)),
    (("医院", "卫生院", "诊所", "医疗"), ("hospital",)),
    (("敬老院", "养老"), ("care_home",)),
    (("工地", "施工", "脚手架", "建筑"), ("construction",)),
    (("危险化学品", "危化", "易制毒", "烟花爆竹"), ("hazmat",)),
    (("燃气", "液化气", "气瓶"), ("hazmat", "nine_small")),
    (("人员密集", "商场", "宾馆"), ("crowded", "market")),
    (("九小场所", "三合一", "小场所"), ("nine_small",)),
    (("锅炉", "压力容器", "特种设备", "有限空间", "粉尘", "生产"), ("other", "hazmat")),
    (("宗教",), ("religious",)),
)
PERSON_FAMILIES: Final = frozenset({"dispute", "key_groups", "livelihood", "illegal_building"})
PLACE_FAMILIES: Final = frozenset(
    {"safety", "market", "street_trade", "environment", "public_order", "advert"}
)


@dataclass
class _Site:
    id: int
    name: str
    lng: float
    lat: float
    kind: str = ""  # org kind, place type
    extra: int | None = None  # a place's organization, a person's house
    age: int = 0
    groups: tuple[str, ...] = ()


@dataclass
class _Villages:
    """The registry by village code (organizations and places by township code too), for finding the
    parties of events."""

    people: dict[str, list[_Site]] = field(default_factory=lambda: defaultdict(list))
    orgs: dict[str, list[_Site]] = field(default_factory=lambda: defaultdict(list))
    places: dict[str, list[_Site]] = field(default_factory=lambda: defaultdict(list))
    rentals: dict[str, list[_Site]] = field(default_factory=lambda: defaultdict(list))
    place_of_org: dict[int, int] = field(default_factory=dict)

    @classmethod
    def load(cls, today: date) -> _Villages:
        from jiceng.registry.models import House, KeyPlace, Organization, Person

        found = cls()
        people = Person.objects.alive().filter(population_type__in=[REGISTERED, FLOATING])
        for pk, name, born, house, groups, region, lng, lat in people.order_by("id").values_list(
            "id", "name", "birth_date", "house_id", "care_groups", "region_code", "lng", "lat"
        ):
            age = (today - born).days // 365 if born else 40
            found.people[region[:12]].append(
                _Site(pk, name, lng or 0, lat or 0, extra=house, age=age, groups=tuple(groups or ()))
            )
        for pk, name, kind, region, lng, lat in (
            Organization.objects.alive()
            .order_by("id")
            .values_list("id", "name", "org_kind", "region_code", "lng", "lat")
        ):
            org = _Site(pk, name, lng or 0, lat or 0, kind)
            found.orgs[region[:12]].append(org)
            found.orgs[region[:9]].append(org)  # the township's
        for pk, name, kind, org, region, lng, lat in (
            KeyPlace.objects.alive()
            .order_by("id")
            .values_list("id", "name", "place_type", "organization_id", "region_code", "lng", "lat")
        ):
            place = _Site(pk, name, lng or 0, lat or 0, kind, org)
            found.places[region[:12]].append(place)
            found.places[region[:9]].append(place)
            if org is not None:
                found.place_of_org.setdefault(org, pk)
        for pk, address, region, lng, lat in (
            House.objects.alive()
            .filter(rental_use__gt="")
            .order_by("id")
            .values_list("id", "address", "region_code", "lng", "lat")
        ):
            found.rentals[region[:12]].append(_Site(pk, address, lng or 0, lat or 0))
        return found


def _nearest(sites: Sequence[_Site], lng: float, lat: float) -> _Site | None:
    return min(sites, key=lambda s: (s.lng - lng) ** 2 + (s.lat - lat) ** 2, default=None)


@dataclass
class _Links:
    people: list[int] = field(default_factory=list)
    houses: list[int] = field(default_factory=list)
    orgs: list[int] = field(default_factory=list)
    places: list[int] = field(default_factory=list)

    def add(self, bucket: list[int], pk: int | None) -> None:
        if pk is not None and pk not in bucket:
            bucket.append(pk)

    def __bool__(self) -> bool:
        return bool(self.people or self.houses or self.orgs or self.places)


def event_links(
    rng: random.Random, title: str, family: str, village: str, lng: float, lat: float, sites: _Villages
) -> _Links:
    """The people, houses, organizations and places an event's title speaks of, found in its village: the
    parties of a dispute by their surnames ("王某与李某…"), the cared-for person of a livelihood request, the
    shop named in the title or else the key place nearest to a safety hazard, the rented house of a
    rental complaint."""
    links = _Links()
    people = [p for p in sites.people.get(village, ()) if p.age >= 18]
    if family in PERSON_FAMILIES:
        wanted_group = next((g for word, g in CARE_WORDS if word in title), None)
        if family == "livelihood" and wanted_group:
            pool = [p for p in sites.people.get(village, ()) if wanted_group in p.groups]
            surnames = PARTY_IN_TITLE.findall(title)
            if surnames:  # "独居老人项某": only a 项
                pool = [p for p in pool if p.name[0] in surnames]
            if pool:
                chosen = rng.choice(pool)
                links.add(links.people, chosen.id)
                links.add(links.houses, chosen.extra)
        else:
            for surname in list(dict.fromkeys(PARTY_IN_TITLE.findall(title)))[:2]:
                pool = [p for p in people if p.name.startswith(surname) and p.id not in links.people]
                if pool:
                    near = sorted(pool, key=lambda p: (p.lng - lng) ** 2 + (p.lat - lat) ** 2)[:20]
                    chosen = rng.choice(near)
                    links.add(links.people, chosen.id)
                    if not links.houses and any(w in title for w in HOUSE_WORDS):
                        links.add(links.houses, chosen.extra)
    shop = SHOP_IN_TITLE.search(title)
    if shop and (family in PLACE_FAMILIES or family in ("dispute", "garbage")):
        kind = shop.group(1)
        for area in (sites.orgs.get(village, ()), sites.orgs.get(village[:9], ())):
            orgs = [o for o in area if o.name.endswith(kind)]
            named = [
                o for o in orgs if o.name[-len(kind) - 3 :] in title or o.name[-len(kind) - 2 :] in title
            ]
            org = _nearest(named or orgs, lng, lat)
            if org is not None:
                links.add(links.orgs, org.id)
                links.add(links.places, sites.place_of_org.get(org.id))
                break
    elif family in PLACE_FAMILIES:
        types = next((t for words, t in PLACE_WORDS if any(w in title for w in words)), ())
        for area in (sites.places.get(village, ()), sites.places.get(village[:9], ())):
            place = _nearest([p for p in area if p.kind in types], lng, lat)
            if place is not None:
                links.add(links.places, place.id)
                links.add(links.orgs, place.extra)
                break
    if any(w in title for w in RENTAL_WORDS) and family in ("public_order", "safety", "dispute"):
        rental = _nearest(sites.rentals.get(village, ()), lng, lat)
        if rental is not None:
            links.add(links.houses, rental.id)
    return links


SHOP_IN_TITLE: Final = re.compile("(" + "|".join(sorted(SHOPS, key=len, reverse=True)) + ")")


@demo_step(order=520, name="registry.event_parties")
def link_event_parties(ctx: DemoContext) -> None:
    """The people, houses, organizations and places the demo events concern (parties, places of hazards)."""
    from jiceng.events.models import Event
    from jiceng.registry.models import Person

    if not Event.objects.exists() or not Person.objects.exists():
        ctx.log("  skipped: no events or no people")
        return
    link_events(ctx, _today())


def link_events(ctx: DemoContext, today: date) -> int:
    """Link every event whose title names people or places of the registry; returns how many links."""
    from jiceng.audit.actions import record
    from jiceng.events.demo import family_of
    from jiceng.events.models import Event
    from jiceng.registry.models import EventParty

    started = time.perf_counter()
    sites = _Villages.load(today)
    families: dict[int, str] = {}
    parties: list[EventParty] = []
    linked = 0
    for event in Event.objects.select_related("category").order_by("id"):
        if event.category_id not in families:
            families[event.category_id] = family_of(event.category).key
        links = event_links(
            ctx.rng,
            f"{event.title}（{event.category.name}）",
            families[event.category_id],
            event.region_code[:12],
            event.lng or 0,
            event.lat or 0,
            sites,
        )
        if not links:
            continue
        linked += 1
        parties += [EventParty(event=event, person_id=pk) for pk in links.people]
        parties += [EventParty(event=event, house_id=pk) for pk in links.houses]
        parties += [EventParty(event=event, organization_id=pk) for pk in links.orgs]
        parties += [EventParty(event=event, place_id=pk) for pk in links.places]
    EventParty.objects.bulk_create(parties, batch_size=1000)
    counts = Counter(
        "person"
        if p.person_id
        else "house"
        if p.house_id
        else "organization"
        if p.organization_id
        else "place"
        for p in parties
    )
    record(
        "registry.event_party.link",
        actor=ctx.actor,
        object_type="registry.eventparty",
        changes={"events": linked, **counts},
    )
    ctx.log(
        f"  {linked} 事件关联 {counts['person']} 人, {counts['house']} 房屋, {counts['organization']} 组织, "
        f"{counts['place']} 场所 ({time.perf_counter() - started:.1f} s)"
    )
    return len(parties)
