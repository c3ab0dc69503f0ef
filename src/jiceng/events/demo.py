"""Demo data for events: the demo county's last 90 days of events, played through the real actions.

Every event is reported with ``report_event`` and moved with ``perform`` by a demo user holding the right
role, at a simulated time (``now=``): each event starts at a moment of the last 90 days and its steps follow
after plausible working-time gaps. All events are played together in time order (a discrete-event
simulation), so flow records are chronological across events and a duplicate report finds the open event
it duplicates, as the dispatcher would. A step that would fall after the real "now" is not played: recent
events are still open, in whatever state they reached, and some are overdue (the deadline check marks them).

How many events: ``DEMO_EVENTS``, or the environment variable ``JICENG_DEMO_EVENTS`` (0 skips the step, as the
benchmark does); under pytest the default is ``TEST_EVENTS`` so that tests loading the whole demo stay fast.
Same seed, same history (``ctx.rng`` and one derived generator per event).
"""

from __future__ import annotations

import heapq
import importlib
import math
import os
import random
import re
import time
from collections import Counter, defaultdict
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any, Final

import jsonschema
import shapely
from django.utils import timezone
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from jiceng.accounts.actions import create_user
from jiceng.accounts.models import User, UserRole
from jiceng.accounts.roles import Role
from jiceng.core.validators import make_credit_code
from jiceng.core.workdays import SHANGHAI, default_calendar
from jiceng.demo.county import COUNTY, DEMO_PASSWORD, SURNAMES, RegionPlan, person_names
from jiceng.demo.steps import DemoContext, demo_step
from jiceng.events import queries
from jiceng.events.actions import perform, report_event
from jiceng.events.models import Evaluation, Event, EventCategory, EventState, Level, Source, Urgency
from jiceng.org.models import RegionLevel, Unit, UnitKind

DEMO_EVENTS: Final = 3000  # about 60 s per 1,000 events on 2 cores (SQLite, every action and notification)
TEST_EVENTS: Final = 60  # under pytest, unless JICENG_DEMO_EVENTS says otherwise
EVENTS_ENV: Final = "JICENG_DEMO_EVENTS"
HISTORY_DAYS: Final = 90
COUNTY_CODE: Final = COUNTY[0]
RESIDENTS: Final = 12  # residents who report and rate (the core step makes a few; the rest are added)

S = EventState
TOWNSHIP_HANDLER_KINDS: Final = (UnitKind.TOWNSHIP_STATION, UnitKind.DISPATCHED_AGENCY)

# The channel mix of a county platform: grid workers report most, then the 12345 hotline and residents.
SOURCE_WEIGHTS: Final = {
    Source.GRID_WORKER: 38,
    Source.HOTLINE: 22,
    Source.RESIDENT: 14,
    Source.DEPARTMENT: 8,
    Source.OTHER: 8,
    Source.IOT: 6,
    Source.LEADER: 4,
}
# Streets (the county seat) see more events than rural townships.
TOWNSHIP_KIND_WEIGHT: Final = {"street": 3.0, "town": 1.6, "xiang": 1.0}
URGENCY_WEIGHTS: Final = {Urgency.NORMAL: 86, Urgency.URGENT: 11, Urgency.CRITICAL: 3}
# Probabilities of each turn of an event's life (tunable).
P_ON_SPOT: Final = 0.25  # of grid workers' reports
P_DUPLICATE: Final = 0.03
P_REJECT: Final = 0.04
P_SEND_DOWN: Final = 0.07
P_ESCALATE: Final = 0.07
P_COUNTY_SENDS_BACK: Final = 0.2  # of escalated events: the county hands it back to the township
P_VILLAGE_ESCALATES: Final = 0.15  # of events sent down: the village cannot solve it and reports it up
P_MISDISPATCH: Final = 0.06  # the first unit returns it
P_CO_UNIT: Final = 0.08
P_SUSPEND: Final = 0.03
P_EXTENSION: Final = 0.06
P_DENY_EXTENSION: Final = 0.25
P_SLOW: Final = 0.12  # handled after the due time
P_SUPERVISE: Final = 0.05  # besides most slow ones
P_REWORK: Final = 0.07
P_STUCK: Final = 0.04  # forgotten at some stage: stays open, overdue
EVALUATIONS: Final = {
    Evaluation.SATISFIED: 78,
    Evaluation.BASICALLY_SATISFIED: 14,
    Evaluation.DISSATISFIED: 8,
}
P_REOPEN: Final = 0.8  # of dissatisfied ratings
STUCK_STATES: Final = (
    S.REPORTED,
    S.PENDING_DISPATCH,
    S.DISPATCHED,
    S.HANDLING,
    S.HANDLING,
    S.HANDLED,
    S.EXTENSION_PENDING,
    S.SUSPENDED,
)


# --- how many -----------------------------------------------------------------------------------------------


def events_to_load() -> int:
    raw = os.environ.get(EVENTS_ENV, "").strip()
    if raw:
        return max(0, int(raw))
    return TEST_EVENTS if "PYTEST_VERSION" in os.environ else DEMO_EVENTS


# --- what events say: templates per kind of category --------------------------------------------------------

Texts = tuple[
    tuple[tuple[str, ...], str], ...
]  # (keywords of the leaf category's name, or () for any; template)


@dataclass(frozen=True)
class Family:
    """A kind of event (found by keywords in the category's names) and what its events look like.

    Titles with keywords are used when the leaf category's name has one of them; titles without keywords only
    when the family is ``coherent`` (every member is that kind of thing); else the title names the leaf
    category itself ("{place}{leaf}"), so that a title never says something its category does not.
    """

    key: str
    match: tuple[str, ...]
    weight: float
    titles: Texts
    descriptions: Texts = ()
    results: Texts = ()
    iot: Texts = ()
    units: tuple[str, ...] = ()  # township units that usually handle it, by code suffix
    department: str = "ZHZFJ"  # the county department, by code suffix
    on_spot: bool = False  # a grid worker can often settle it on the spot
    village: bool = False  # often sent down to the village committee
    coherent: bool = False
    leaf_titles: tuple[str, ...] = ()  # titles naming the leaf category, instead of LEAF_TITLES


FAMILIES: Final = (
    Family(
        "dispute",
        ("纠纷", "争议", "矛盾", "调解", "诉求", "来访", "诉前"),
        1.6,
        leaf_titles=(
            "{village}{a}与{b}因{leaf_core}发生纠纷",
            "{village}{villager}{a}反映与{b}存在{leaf_core}方面的矛盾",
        ),
        titles=(
            (("婚", "家庭", "赡养", "抚养"), "{village}{villager}{a}夫妻因家庭琐事发生纠纷"),
            (("赡养", "抚养", "监护"), "{village}{a}兄弟因老人赡养问题发生争执"),
            (("继承", "分家"), "{village}{a}兄妹因房产继承发生纠纷"),
            (("邻里", "相邻"), "{estate}{n}幢{a}与楼下{b}因漏水发生纠纷"),
            (("邻里", "相邻", "排水", "通行"), "{village}{villager}{a}与{b}因排水沟发生邻里纠纷"),
            (("宅基地", "土地", "承包"), "{villager}{a}与{b}因宅基地边界发生纠纷"),
            (("山林", "矿产"), "{village}{a}与{b}因山林承包界址发生争议"),
            (("水域", "水利"), "{village}{villager}因灌溉用水分配发生纠纷"),
            (("劳动", "劳资", "劳务", "福利"), "{shop}拖欠{k}名员工工资"),
            (("劳动", "劳资", "社会保险"), "{village}{spot}工地农民工讨要工资"),
            (("合同及相关纠纷-其他", "交易贸易", "运输仓储"), "{a}与{shop}因装修合同发生纠纷"),
            (("消费",), "{a}与{shop}因商品退换发生消费纠纷"),
            (("租赁", "房产买卖"), "{estate}{n}幢房东{a}与租户{b}因押金发生纠纷"),
            (("物业",), "{estate}业主与物业公司因停车费发生纠纷"),
            (("交通事故",), "{road}发生轻微交通事故双方对赔偿有争议"),
            (("借贷", "金融", "理财", "保险", "担保"), "{village}{a}与{b}因借款问题发生纠纷"),
            (("征收", "征用", "移民"), "{village}{villager}{a}对征迁补偿有异议"),
            (("医疗",), "{a}家属与卫生院因医疗费用发生纠纷"),
            (("人格权", "名誉", "肖像", "网络"), "{a}与{b}因网上言论发生名誉纠纷"),
            (("回访", "协议履行"), "{village}{a}与{b}纠纷调解协议履行情况回访"),
            (("选举",), "{village}{villager}对村委会换届选举程序有异议"),
        ),
        descriptions=(
            ((), "双方争执多次，情绪较为激动，村调委会初步调解未果，需进一步调处。"),
            ((), "当事人{a}反映：双方已多次协商未果，担心矛盾激化，请求帮助调解。"),
            ((), "涉及{k}户群众，双方各执一词，需核实事实后组织调解。"),
        ),
        results=(
            ((), "经司法所和村调委会联合调解，双方达成调解协议并签字。"),
            ((), "组织双方当面调解，已达成一致意见，矛盾化解。"),
            ((), "经调解双方同意按原约定处理，已签订书面协议。"),
        ),
        units=("SFS", "PAB", "PCS"),
        department="SFJ",
        on_spot=True,
        village=True,
    ),
    Family(
        "key_groups",
        (
            "刑满释放",
            "社区矫正",
            "吸毒",
            "戒毒",
            "精神障碍",
            "帮教",
            "毒品",
            "涉毒",
            "信访",
            "上访",
            "留守",
            "法律",
            "普法",
        ),
        0.6,
        titles=(
            (("社区矫正",), "{village}社区矫正对象{a}未按时报到"),
            (("刑满释放", "帮教"), "{village}刑满释放人员{a}返乡后未报到"),
            (("吸毒", "戒毒", "涉毒", "毒品"), "{village}{spot}发现疑似涉毒线索"),
            (("精神障碍",), "{village}严重精神障碍患者{a}近期情绪异常"),
            (("信访", "上访"), "{village}{a}反映诉求未解决，扬言赴省上访"),
            (("留守",), "{village}留守儿童{a}暑期无人照看"),
            (("法律", "普法"), "{village}{villager}{a}提出{leaf}"),
        ),
        descriptions=(
            ((), "已做好记录，请相关单位跟进。"),
            ((), "当事人近况需持续关注，请落实帮扶管控措施。"),
        ),
        results=(
            ((), "已会同村两委上门走访，落实帮扶和管控措施。"),
            ((), "已联系当事人及家属，情况稳定，纳入日常关注。"),
        ),
        units=("SFS", "PCS", "PAB"),
        department="SFJ",
    ),
    Family(
        "garbage",
        ("垃圾", "环境卫生", "保洁", "暴露", "市容环境", "市容", "不洁", "脏乱"),
        2.0,
        titles=(
            (("暴露垃圾",), "{road}与{road2}交叉口有暴露垃圾"),
            (("暴露垃圾", "投放点"), "{estate}{n}幢楼下垃圾桶满溢未清运"),
            (("积存垃圾", "渣土"), "{place}有人乱倒建筑垃圾"),
            (("暴露垃圾", "积存垃圾"), "{village}{spot}生活垃圾堆积"),
            (("分类", "混装"), "{estate}垃圾分类投放点混投严重"),
            (("道路不洁", "遗撒"), "{road}路面有大量泥土遗撒"),
            (("水域不洁",), "{river}{village}段水面漂浮垃圾"),
            (("焚烧",), "{village}{spot}有人焚烧垃圾树叶"),
            (("晾挂",), "{road}沿街商户在行道树上晾挂衣物"),
            (("家禽", "家畜"), "{estate}{n}幢住户在绿化带内散养家禽"),
            (("动物尸体",), "{road}与{road2}交叉口有动物尸体"),
            (("废弃家具",), "{estate}{n}幢楼道口堆放废弃家具"),
        ),
        descriptions=(
            (("暴露垃圾", "积存垃圾", "渣土"), "现场垃圾约{m}平方米，散发异味，影响周边居民出行。"),
            ((), "已持续{k}天无人处理，周边居民反映强烈。"),
            ((), "影响市容环境，请尽快处置。"),
        ),
        results=(
            (("暴露垃圾", "积存垃圾", "投放点"), "已通知环卫公司清运，现场已清理干净。"),
            (("暴露垃圾", "积存垃圾", "投放点"), "垃圾已清运完毕，增设垃圾桶{k}个。"),
            ((), "已督促责任人整改，现场已恢复整洁。"),
            ((), "已安排保洁人员清理，并对周边商户开展门前三包宣传。"),
        ),
        iot=((("暴露垃圾", "投放点", "未分类"), "智能垃圾桶满溢告警：{place}"),),
        units=("ZFZD", "CSGLB", "NYNCB"),
        department="ZHZFJ",
        on_spot=True,
        village=True,
    ),
    Family(
        "construction_waste",
        ("渣土", "建筑垃圾", "施工废弃料", "消纳"),
        0.4,
        titles=(
            (("渣土车", "运输", "超载"), "{road}渣土车未密闭运输沿路遗撒"),
            (("偷倒", "乱倒", "建筑垃圾", "废弃料"), "{place}有人夜间偷倒建筑垃圾"),
            (("消纳",), "{village}{spot}消纳场无证接收渣土"),
        ),
        descriptions=(((), "群众反映多次，夜间车辆进出频繁，影响道路整洁。"),),
        results=(((), "执法中队已立案查处，现场已清理。"), ((), "已责令运输单位整改，车辆加装密闭装置。")),
        units=("ZFZD",),
        department="ZHZFJ",
    ),
    Family(
        "street_trade",
        ("占道", "摊", "乱堆", "出店", "店外", "游商", "烧烤", "废品收购", "门前三包", "晾晒"),
        1.0,
        titles=(
            (("占道经营", "店外", "出店"), "{road}{num}号{shop}占道经营"),
            (("游商", "摊"), "{road}人行道上流动摊贩聚集"),
            (("乱堆",), "{place}乱堆物料占用人行道"),
            (("烧烤",), "{road}夜间露天烧烤油烟扰民"),
            (("废品收购",), "{road}与{road2}交叉口占道收购废品"),
            (("门前三包",), "{shop}门前三包责任未落实"),
        ),
        descriptions=(
            (("占道经营", "店外", "出店", "乱堆"), "商户将货物摆放至人行道约{m}米，行人只能绕行至机动车道。"),
            ((), "早晚高峰影响行人通行和周边环境卫生。"),
        ),
        results=(
            ((), "已劝导商户将物品搬回店内，并签订门前三包责任书。"),
            ((), "执法中队已现场处置，摊贩已疏导至便民疏导点。"),
        ),
        units=("ZFZD", "CSGLB"),
        department="ZHZFJ",
        on_spot=True,
    ),
    Family(
        "advert",
        ("广告", "张贴", "招牌", "涂写"),
        0.5,
        titles=(
            (("户外广告", "广告牌", "广告设施"), "{road}{num}号违规设置户外广告牌"),
            (("小广告", "张贴", "散发"), "{estate}单元门上小广告乱张贴"),
            (("涂写",), "{road}沿线墙面乱涂写"),
        ),
        descriptions=(
            ((), "影响市容，请尽快处理。"),
            (("小广告",), "小广告反复出现，清理后又被张贴。"),
            (("广告牌", "广告设施"), "广告牌固定不牢，存在坠落隐患。"),
        ),
        results=(((), "违规广告已清理拆除。"), (("小广告",), "已组织清理小广告并在楼道张贴提示。")),
        units=("ZFZD", "CSGLB"),
        department="ZHZFJ",
        on_spot=True,
    ),
    Family(
        "facility",
        ("井盖", "路灯", "设施", "破损", "公用", "管道", "水管", "线缆", "积水", "塌陷"),
        1.2,
        titles=(
            (("井盖",), "{road}{num}号门前井盖缺失"),
            (("井盖",), "{road}与{road2}交叉口井盖松动"),
            (("路灯", "照明"), "{road}路灯连续{k}盏不亮"),
            (("塌陷", "道路破损"), "{road}与{road2}交叉口路面塌陷"),
            (("护栏", "交通设施"), "{village}{spot}护栏损坏"),
            (("积水",), "{road}下穿通道积水严重"),
            (("水管",), "{road}{num}号门前自来水管破裂"),
            (("下水道",), "{estate}{n}幢门前下水道堵塞污水外溢"),
            (("线缆",), "{road}架空线缆垂落"),
        ),
        descriptions=(
            ((), "存在安全隐患，夜间通行危险，请尽快维修。"),
            ((), "已设置临时警示标志，需相关单位维修。"),
        ),
        results=(((), "已通知养护单位维修，设施恢复正常。"), ((), "维修完毕，现场已恢复通行。")),
        iot=((("井盖",), "智能井盖位移告警：{road}{num}号"),),
        units=("CSGLB", "NYNCB", "ZFZD"),
        department="ZJJ",
    ),
    Family(
        "green",
        ("绿化", "园林", "树木", "绿地"),
        0.4,
        titles=(
            (("树",), "{road}行道树倾斜有倒伏风险"),
            (("绿地",), "{estate}公共绿地被毁种菜"),
            (("古树",), "{village}{spot}古树枝干断裂"),
        ),
        descriptions=(((), "影响公共绿化和行人安全。"),),
        results=(((), "已修剪扶正并加固。"), ((), "已恢复绿地，并对当事人进行劝导。")),
        units=("CSGLB", "NYNCB"),
        department="ZJJ",
    ),
    Family(
        "illegal_building",
        ("违建", "违法建设", "违章建", "违法建筑", "建房", "私搭", "搭建", "改变房屋"),
        0.9,
        titles=(
            (("建房", "耕地"), "{village}{villager}{a}未经审批建房"),
            (("搭建", "违法建筑", "违建"), "{estate}{n}幢顶楼违规搭建"),
            (("耕地",), "{village}{spot}非法占用耕地堆放建材"),
            (("改变房屋", "违法建筑"), "{road}{num}号店铺违规扩建"),
        ),
        descriptions=(
            ((), "现场正在施工，已砌墙约{m}平方米，未见审批手续。"),
            ((), "群众反映影响邻居采光和消防通道。"),
        ),
        results=(((), "已责令停工，违建部分已自行拆除。"), ((), "执法中队依法处置，违建已拆除恢复原状。")),
        units=("ZFZD", "ZRZYS"),
        department="ZRZYJ",
    ),
    Family(
        "public_order",
        (
            "治安",
            "可疑",
            "赌",
            "盗",
            "涉稳",
            "公共安全",
            "平安",
            "出租房屋",
            "流动人口",
            "群租",
            "境外人员",
            "巡逻",
        ),
        0.9,
        titles=(
            (("可疑",), "{place}有可疑人员深夜徘徊"),
            (("治安",), "{village}{spot}疑似聚众赌博"),
            (("治安", "巡逻"), "{estate}多辆电动车被盗"),
            (("出租房屋", "流动人口"), "{estate}{n}幢出租房屋租户未登记"),
            (("群租",), "{estate}{n}幢一套住房隔成{k}间群租"),
            (("境外人员",), "{estate}有境外人员未申报住宿登记"),
            (("舆情",), "网上出现涉及{village}的不实信息"),
        ),
        descriptions=(((), "群众担心人身财产安全，请求加强巡逻。"), ((), "事发时间约{time}，请核实处理。")),
        results=(
            ((), "派出所已出警处置，并加强夜间巡逻。"),
            ((), "已查明情况，相关人员已依法处理。"),
            (("出租房屋", "流动人口", "群租", "境外"), "已上门核查，补办登记手续。"),
        ),
        units=("PCS", "PAB"),
        department="GAJ",
    ),
    Family(
        "market",
        (
            "市场",
            "食品",
            "药品",
            "价格",
            "无证",
            "无照",
            "特种设备",
            "质量",
            "电梯",
            "企业",
            "失信",
            "出版物",
            "气瓶",
            "计量",
            "虚假宣传",
            "假冒",
        ),
        0.8,
        titles=(
            (("过期", "变质"), "{shop}销售过期食品"),
            (("计量", "缺斤短两", "价格"), "{road}农贸市场缺斤短两"),
            (("电梯",), "{estate}{n}幢电梯年检过期"),
            (("无证", "无照"), "{shop}无证经营"),
            (("假冒", "伪劣", "质量"), "{shop}销售假冒商品"),
            (("餐饮", "卫生"), "{shop}后厨卫生状况差"),
            (("聚餐",), "{village}{villager}{a}家办酒席集体聚餐报备"),
            (("食物中毒",), "{village}{k}名{villager}聚餐后出现腹泻呕吐"),
            (("药品",), "{village}{spot}诊所销售过期药品"),
            (("气瓶",), "{shop}使用未检验液化气瓶"),
        ),
        descriptions=(
            (
                ("消费", "假冒", "质量", "计量", "价格", "虚假", "过期"),
                "消费者反映后与商家协商未果，请依法查处。",
            ),
            (("无证", "无照"), "经营者未亮证经营，存在安全隐患。"),
            ((), "请市场监管部门核实查处。"),
        ),
        results=(
            ((), "市场监管所已现场检查，责令整改并立案调查。"),
            ((), "问题商品已下架，经营者已整改到位。"),
        ),
        units=("SCJGS",),
        department="SCJGJ",
    ),
    Family(
        "safety",
        ("安全", "消防", "隐患", "危化", "危险化学品", "燃气", "电动", "生产", "火灾", "动火", "压力容器"),
        1.1,
        titles=(
            (("消防通道",), "{place}消防通道被占用"),
            (("电动",), "{estate}{n}幢楼道电动车违规充电"),
            (("燃气",), "{shop}后厨燃气管道老化"),
            (("消防", "火灾"), "{estate}{n}幢楼道堆放杂物存在消防隐患"),
            (("出租", "九小场所", "三合一"), "{village}{spot}出租房私拉乱接电线"),
            (("消防设施",), "{shop}灭火器过期"),
            (("危险化学品", "危化"), "{village}{spot}厂房违规存放危险化学品"),
            (("施工",), "{road}工地脚手架未设防护网"),
        ),
        descriptions=(((), "存在较大安全隐患，请尽快督促整改。"), ((), "此前已提醒整改，当事人未落实。")),
        results=(((), "已督促整改到位，隐患消除。"), ((), "已开展安全检查，并对经营者进行安全教育。")),
        iot=((("消防", "火灾"), "烟感报警：{estate}{n}幢"), (("电动", "电气"), "电气火灾监测告警：{shop}")),
        units=("PAB", "ZFZD"),
        department="YJGLJ",
        on_spot=True,
    ),
    Family(
        "environment",
        (
            "污染",
            "排污",
            "噪声",
            "扰民",
            "生态",
            "河道",
            "焚烧",
            "环保",
            "水体",
            "油烟",
            "扬尘",
            "采砂",
            "河长",
        ),
        1.0,
        titles=(
            (("河道", "漂浮", "水体"), "{river}{village}段水面漂浮垃圾"),
            (("油烟",), "{shop}油烟直排扰民"),
            (("噪声", "扰民"), "{place}夜间施工噪声扰民"),
            (("焚烧",), "{village}{spot}露天焚烧秸秆"),
            (("排污", "废水"), "{village}{spot}养殖场污水直排"),
            (("扬尘",), "{road}工地扬尘严重"),
            (("废气",), "{village}{spot}企业夜间偷排废气"),
            (("采砂",), "{river}{village}段有人非法采砂"),
        ),
        descriptions=(((), "影响周边群众正常生活，请尽快处理。"), ((), "已持续{k}天，群众多次反映。")),
        results=(((), "已责令整改，现场已恢复。"), ((), "生态环境部门已现场检查，督促整改到位。")),
        iot=(
            (("废水", "排污", "水体", "漂浮"), "水质监测超标告警：{river}{village}段"),
            (("噪声",), "噪声监测超标告警：{road}"),
        ),
        units=("ZFZD", "NYNCB", "CSGLB"),
        department="STHJ",
    ),
    Family(
        "livelihood",
        (
            "民生",
            "救助",
            "养老",
            "低保",
            "残疾",
            "就业",
            "社保",
            "医保",
            "困难",
            "帮扶",
            "助学",
            "老人",
            "老年",
            "证照",
            "代办",
            "缴费",
            "惠农",
            "公益",
            "志愿",
            "户籍",
            "乞讨",
            "慰问",
            "特困",
        ),
        1.0,
        coherent=True,
        leaf_titles=("{village}{villager}{a}反映{leaf}事项",),
        titles=(
            (("老人", "老年", "养老"), "{village}独居老人{a}生活困难需要帮扶"),
            (("低保", "特困"), "{village}{villager}{a}咨询低保申请"),
            (("救助", "困难"), "{estate}{n}幢困难家庭申请临时救助"),
            (("残疾",), "{village}残疾人{a}申请辅助器具"),
            (("乞讨",), "{road}与{road2}交叉口有流浪乞讨人员"),
        ),
        descriptions=(
            ((), "当事人希望工作人员尽快联系。"),
            (("困难", "救助", "低保", "特困"), "家中{k}口人，收入较低，请求帮助。"),
        ),
        results=(((), "已上门走访，协助办理相关手续。"), ((), "已联系相关部门落实帮扶措施。")),
        units=("SHSWB",),
        department="MZJ",
        village=True,
    ),
    Family(
        "disaster",
        ("防汛", "灾害", "台风", "地质", "山洪", "滑坡", "险情", "低洼"),
        0.5,
        titles=(
            (("河塘", "水库", "堤防"), "{village}{spot}山塘水位上涨"),
            (("山洪", "地质"), "{village}{spot}山体出现裂缝有滑坡隐患"),
            (("转移", "危旧房"), "{village}{k}户危旧房住户需转移"),
        ),
        descriptions=(
            ((), "连续降雨，险情可能扩大，请尽快处置。"),
            ((), "附近有{k}户{villager}，需及时转移。"),
        ),
        results=(((), "已设置警示并转移群众，险情已排除。"), ((), "已组织抢险队处置，险情解除。")),
        iot=(
            (("河塘", "水库", "堤防"), "水位监测超警戒：{village}{spot}"),
            (("山洪", "地质"), "地质灾害监测点位移告警：{village}{spot}"),
        ),
        units=("PAB", "NYNCB"),
        department="YJGLJ",
    ),
    Family(
        "traffic",
        ("交通", "停车", "停放", "车辆", "黑车", "僵尸车", "单车", "地锁"),
        0.5,
        titles=(
            (("乱停", "停放"), "{road}机动车乱停放堵塞通道"),
            (("僵尸车", "废弃车辆"), "{estate}门口僵尸车长期占用车位"),
            (("交通秩序",), "{road}与{road2}交叉口早晚高峰交通秩序混乱"),
            (("单车",), "{road}共享单车堆积占用人行道"),
            (("地锁", "地桩"), "{estate}公共车位被私装地锁"),
        ),
        descriptions=(((), "影响车辆通行，高峰期拥堵严重。"),),
        results=(((), "已联系车主挪车，并张贴告知书。"), ((), "交警已到场处置。")),
        units=("PCS", "ZFZD"),
        department="GAJ",
    ),
)
GENERIC: Final = Family(
    "other",
    (),
    0.6,
    titles=(),
    descriptions=(((), "{place}存在{leaf}情况，需相关部门处理。"), ((), "影响周边群众生活，请核实处理。")),
    results=(((), "已核实并处理完毕。"), ((), "已协调相关单位处置到位。")),
)
LEAF_TITLES: Final = ("{place}{leaf}", "{place}{leaf}", "{place}发现{leaf_issue}")

SOURCE_PREFIX: Final = {
    Source.HOTLINE: "市民来电反映：",
    Source.RESIDENT: "",
    Source.GRID_WORKER: "",
    Source.LEADER: "{leader}交办：",
    Source.DEPARTMENT: "{unit}日常巡查发现：",
    Source.IOT: "设备{device}于{time}触发告警。",
    Source.OTHER: "群众来访反映：",
}
# Who handles what, by words of a category's handler hint: township unit and county department code suffixes.
HINT_UNITS: Final = (
    (("综合执法", "执法中队", "城市管理", "城管"), "ZFZD", "ZHZFJ"),
    (("司法所", "调解", "社区矫正", "安置帮教"), "SFS", "SFJ"),
    (("派出所", "公安", "交警", "禁毒", "流动人口"), "PCS", "GAJ"),
    (("市场监管",), "SCJGS", "SCJGJ"),
    (("自然资源", "不动产"), "ZRZYS", "ZRZYJ"),
    (("平安办", "综治", "维稳", "应急管理", "消防", "安全生产"), "PAB", "YJGLJ"),
    (("民政", "社会事务", "救助", "残联", "就业", "社保"), "SHSWB", "MZJ"),
    (("农业农村", "水利", "河长", "土地承包", "渔政"), "NYNCB", "NYNCJ"),
    (("环卫", "物业", "村镇建设"), "CSGLB", "ZJJ"),
    (("住建", "建设", "排水", "市政"), "CSGLB", "ZJJ"),
    (("生态环境", "环保"), "ZFZD", "STHJ"),
    (("人力社保", "劳动保障", "劳动人事"), "SHSWB", "RSJ"),
    (("卫健", "卫生", "医疗"), "SHSWB", "WJJ"),
)
REJECT_REASONS: Final = (
    "经核实不属于受理范围",
    "上报信息不完整，无法核实",
    "非本辖区事项，已告知当事人向有关部门反映",
    "经现场核实，情况不属实",
)
DUPLICATE_REJECT: Final = "重复上报，原事件已办结"
RETURN_REASONS: Final = (
    "该事项不属于本单位职责范围，请重新分派",
    "经核实应由{unit}牵头处理",
    "涉及执法权限，本单位无法处置",
)
ESCALATE_REASONS: Final = (
    "涉及多部门，需县级统筹协调",
    "超出乡镇处置权限，请县指挥中心协调",
    "问题复杂，需县职能部门处置",
)
SEND_DOWN_REASONS: Final = ("请村（社区）先行调处", "属村级事务，请村（社区）处理并反馈")
SEND_BACK_REASONS: Final = ("属地事项，请乡镇（街道）处置", "请属地乡镇先行处置，县级部门予以指导")
VILLAGE_ESCALATE_REASONS: Final = ("村级调处不成，请镇（街道）协调", "村级无法处置，上报乡镇")
PROGRESS_NOTES: Final = (
    "已到现场查看，正在联系相关责任人",
    "已约谈当事人，正在协调处理",
    "已安排人员处理，预计近日完成",
    "协办单位已到场配合",
)
SUSPEND_REASONS: Final = (
    "当事人外出务工，待其返乡后继续处理",
    "需等待司法鉴定结果",
    "涉及产权争议，待有关部门确权",
    "连续降雨无法施工，待天气好转",
)
EXTENSION_REASONS: Final = (
    "需协调多方当事人，申请延期",
    "维修材料需采购，申请延期",
    "涉及多个部门会商，申请延长办理时限",
)
DENY_REASONS: Final = ("事项简单，请按期办结", "不符合延期条件，请加快办理")
SUPERVISION_NOTES: Final = (
    "该事件已超期，请加快办理并反馈进度",
    "群众反映强烈，请于两个工作日内办结",
    "请高度重视，按时办结",
)
ACKNOWLEDGE_NOTES: Final = ("已收到督办，正在加紧办理", "收到，立即落实")
REWORK_NOTES: Final = (
    "现场复核问题仍未彻底解决，请返工处理",
    "复核发现仍有遗留问题",
    "整改不到位，请重新处理",
)
REWORK_RESULTS: Final = ("已返工处理，遗留问题全部解决。", "已重新整改到位。")
REOPEN_NOTES: Final = ("群众不满意，重新办理", "回访不满意，责成重办")
EVALUATION_COMMENTS: Final = {
    Evaluation.SATISFIED: ("处理及时，很满意", "工作人员态度好，问题解决了", "谢谢，效率很高", ""),
    Evaluation.BASICALLY_SATISFIED: ("基本解决，希望加强日常巡查", "处理有点慢", ""),
    Evaluation.DISSATISFIED: ("问题没有根本解决", "处理太慢，问题反复出现", "没有人联系我"),
}
MERGE_NOTE: Final = "与{ref}为同一事件，合并办理"
RURAL_SPOTS: Final = (
    "村口",
    "文化礼堂旁",
    "老祠堂附近",
    "溪边",
    "后山脚",
    "村委会门口",
    "小学旁",
    "桥头",
    "水库边",
    "机耕路旁",
    "停车场",
    "公交站旁",
)
SHOP_KINDS: Final = (
    "小吃店",
    "五金店",
    "超市",
    "水果店",
    "理发店",
    "早餐店",
    "烧烤店",
    "棋牌室",
    "汽修店",
    "药店",
    "农资店",
    "面馆",
    "建材店",
)
SHOP_BRANDS: Final = ("鑫源", "永盛", "好又多", "福满多", "隆兴", "惠民", "顺发", "家乐", "兴旺")
ESTATE_SUFFIXES: Final = ("花园", "苑", "新村", "家园", "公寓", "小区")
SEAT_ROADS: Final = ("青溪大道", "环城东路", "环城西路", "人民路", "中山路", "建设路")


def _texts(options: Texts, name: str, fallback: Texts = ()) -> list[str]:
    """Texts whose keywords occur in ``name``, else the general ones (no keywords), else ``fallback``'s."""
    specific = [text for keys, text in options if keys and any(k in name for k in keys)]
    return (
        specific
        or [text for keys, text in options if not keys]
        or (_texts(fallback, name) if fallback else [])
    )


def family_of(category: EventCategory) -> Family:
    """The family whose keywords occur in the category's name, or else in its parents' names."""
    node: EventCategory | None = category
    while node is not None:
        for family in FAMILIES:
            if any(k in node.name for k in family.match):
                return family
        node = node.parent
    return GENERIC


def leaf_words(name: str) -> str:
    """A category's name as it reads in a sentence: "劳动人事争议-社会保险" → "社会保险", "其他市容环境问题" →
    "市容环境问题", "计量作弊（缺斤短两）" → "计量作弊"."""
    head, _sep, tail = name.rpartition("-")
    words = tail if head and not tail.startswith("其他") else (head or tail)
    words = re.sub(r"[（(].*?[）)]", "", words).removeprefix("其他")
    return words or name


def title_templates(family: Family, category: EventCategory) -> list[str]:
    """Titles that fit the leaf category: its keyword titles, the family's general ones if the family is
    coherent, and titles naming the category itself."""
    specific = [text for keys, text in family.titles if keys and any(k in category.name for k in keys)]
    general = [text for keys, text in family.titles if not keys] if family.coherent else []
    leaf = list(family.leaf_titles or LEAF_TITLES)
    return (specific or general) * 3 + leaf if specific or general else leaf


class Words:
    """Place and people names for one event's texts, drawn from the demo county's plan."""

    def __init__(
        self,
        rng: random.Random,
        township: RegionPlan,
        village: RegionPlan,
        villages: Sequence[RegionPlan],
        category: EventCategory,
    ) -> None:
        def base(name: str) -> str:
            return name.removesuffix("社区").removesuffix("村")

        short = township.name.removesuffix("街道").removesuffix("镇").removesuffix("乡")
        roads = [base(v.name) + ("路" if i % 3 else "街") for i, v in enumerate(villages)]
        roads += [*SEAT_ROADS] if township.kind == "street" else [f"{short}大道", f"{short}老街"]
        road, road2 = rng.sample(roads, 2)
        surname_a, surname_b = rng.sample(SURNAMES, 2)
        self.rural = village.kind == "village"
        values: dict[str, str] = {
            "township": township.name,
            "village": village.name,
            "road": road,
            "road2": road2,
            "estate": base(village.name) + rng.choice(ESTATE_SUFFIXES),
            "shop": (
                f"{rng.choice(SURNAMES)}记{rng.choice(SHOP_KINDS)}"
                if rng.random() < 0.5
                else f"{rng.choice(SHOP_BRANDS)}{rng.choice(SHOP_KINDS)}"
            ),
            "spot": rng.choice(RURAL_SPOTS),
            "a": f"{surname_a}某",
            "b": f"{surname_b}某",
            "n": str(rng.randint(1, 28)),
            "num": str(rng.randint(1, 320)),
            "k": str(rng.randint(2, 6)),
            "m": str(rng.randint(2, 30)),
            "river": rng.choice(["青溪", base(village.name) + "溪"]),
            "time": f"{rng.randint(0, 23):02d}:{rng.choice(['05', '17', '30', '42', '55'])}",
            "leaf": leaf_words(category.name),
            "leaf_issue": leaf_words(category.name).removesuffix("问题") + "问题",
            "leaf_core": re.sub("(相关纠纷|纠纷|争议)$", "", leaf_words(category.name)) or category.name,
            "villager": "村民" if village.kind == "village" else "居民",
        }
        if self.rural:
            values["place"] = f"{village.name}{values['spot']}"
            values["estate"] = f"{village.name}安置小区"
        else:
            values["place"] = rng.choice(
                [f"{road}{values['num']}号", f"{road}与{road2}交叉口", f"{values['estate']}{values['n']}幢"]
            )
        self.values = values

    def fill(self, template: str, **extra: str) -> str:
        return template.format_map({**self.values, **extra})

    def location(self, template: str) -> str:
        """Where a text made from ``template`` says the event is, as an address inside the village."""
        v = self.values
        if "{estate}" in template:
            spot = f"{v['estate']}{v['n']}幢" if "{n}" in template else v["estate"]
        elif "{road2}" in template:
            spot = f"{v['road']}与{v['road2']}交叉口"
        elif "{road}" in template:
            spot = f"{v['road']}{v['num']}号" if "{num}" in template else v["road"]
        elif "{river}" in template:
            spot = f"{v['river']}{v['village']}段"
        elif "{spot}" in template:
            spot = f"{v['village']}{v['spot']}"
        else:
            spot = v["place"]
        return spot if spot.startswith(v["village"]) else f"{v['village']}{spot}"


# --- the people who act -------------------------------------------------------------------------------------


def _committee_code(village: RegionPlan) -> str:
    return f"{village.code}-{'JWH' if village.kind == 'community' else 'CWH'}"


def ensure_staff(ctx: DemoContext) -> int:
    """A handler in every township station and agency, a grid worker and a cadre in every village, and a
    few more residents, so that each step of an event has its real actor. Returns how many were added."""
    have = set(UserRole.objects.filter(user__unit__isnull=False).values_list("user__unit__code", "role"))
    taken_names = set(User.objects.values_list("full_name", flat=True))
    wanted: list[tuple[str, tuple[str, ...], str | None, str]] = []  # username, roles, unit, note
    for township in ctx.plan.at_level(RegionLevel.TOWNSHIP):
        key = township.key
        for unit in ctx.plan.units:
            if (
                unit.region_code == township.code
                and unit.kind in TOWNSHIP_HANDLER_KINDS
                and (unit.code, Role.HANDLER) not in have
            ):
                wanted.append(
                    (f"{key}_{unit.code.rsplit('-', 1)[1].lower()}", (Role.HANDLER,), unit.code, "承办人")
                )
        for i, village in enumerate(ctx.plan.children(township.code), start=1):
            committee = _committee_code(village)
            if (committee, Role.GRID_WORKER) not in have:
                wanted.append((f"{key}_grid{i}", (Role.GRID_WORKER,), committee, "网格员"))
            if (committee, Role.VILLAGE_CADRE) not in have:
                wanted.append((f"{key}_cadre{i}", (Role.VILLAGE_CADRE,), committee, "干部"))
    residents = User.objects.filter(roles__role=Role.RESIDENT).count()
    wanted += [(f"resident{i}", (Role.RESIDENT,), None, "居民") for i in range(residents + 1, RESIDENTS + 1)]
    names = [n for n in person_names(ctx.rng, len(wanted) + len(taken_names)) if n not in taken_names]
    for (username, roles, unit_code, _note), full_name in zip(wanted, names, strict=False):
        user = create_user(
            ctx.actor,
            username=username,
            password=DEMO_PASSWORD,
            unit_code=unit_code,
            roles=roles,
            full_name=full_name,
        )
        ctx.users[username] = user
        ctx.add_account(user, list(roles))
    return len(wanted)


@dataclass
class Staff:
    """The demo users by what they do and where."""

    dispatchers: dict[str, User] = field(default_factory=dict)  # by township code
    leaders: dict[str, User] = field(default_factory=dict)  # by township code
    handlers: dict[str, list[User]] = field(default_factory=lambda: defaultdict(list))  # by unit code
    grid_workers: dict[str, list[User]] = field(default_factory=lambda: defaultdict(list))  # by village code
    cadres: dict[str, list[User]] = field(default_factory=lambda: defaultdict(list))  # by village code
    county_center: list[User] = field(default_factory=list)
    county_leaders: list[User] = field(default_factory=list)
    residents: list[User] = field(default_factory=list)

    @classmethod
    def load(cls) -> Staff:
        roles: dict[int, set[str]] = defaultdict(set)
        for user_id, role in UserRole.objects.values_list("user_id", "role"):
            roles[user_id].add(role)
        staff = cls()
        for user in (
            User.objects.select_related("unit__region")
            .filter(is_active=True, is_superuser=False)
            .order_by("username")
        ):
            unit = user.unit
            mine = roles[user.pk]
            if unit is None:
                if Role.RESIDENT in mine:
                    staff.residents.append(user)
                continue
            region = unit.region
            if Role.DISPATCHER in mine and unit.kind == UnitKind.TOWNSHIP_COMMAND_ROOM:
                staff.dispatchers.setdefault(region.code, user)
            if Role.LEADER in mine:
                if region.level == RegionLevel.COUNTY:
                    staff.county_leaders.append(user)
                elif region.level == RegionLevel.TOWNSHIP:
                    staff.leaders.setdefault(region.code, user)
            if Role.HANDLER in mine:
                staff.handlers[unit.code].append(user)
            if Role.GRID_WORKER in mine and region.level == RegionLevel.VILLAGE:
                staff.grid_workers[region.code].append(user)
            if Role.VILLAGE_CADRE in mine and region.level == RegionLevel.VILLAGE:
                staff.cadres[region.code].append(user)
            if Role.COUNTY_CENTER in mine:
                staff.county_center.append(user)
        return staff


# --- making up plausible values for a category's extra form -------------------------------------------------


_SKIP: Final = object()  # a value we cannot make up (a pattern we do not know): leave the field out
PLATE_LETTERS: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


# Plausible ranges of the numbers the seeded category forms ask for, by field name.
NUMBER_RANGES: Final = {
    "age": (18, 85),
    "amount": (2000, 300000),
    "area": (5, 300),
    "casualties": (0, 2),
    "count": (1, 30),
    "depth_cm": (10, 60),
    "diners": (30, 300),
    "floors": (1, 4),
    "household": (1, 6),
    "income": (800, 3000),
    "parties": (2, 6),
    "persons": (1, 10),
    "plants": (5, 200),
    "sick": (2, 15),
    "threatened": (3, 40),
    "to_move": (2, 30),
    "trapped": (0, 3),
    "unpaid_amount": (10000, 500000),
    "unpaid_workers": (3, 40),
    "volume": (1, 50),
    "volunteers": (2, 20),
}
COMPANY_KINDS: Final = ("建设", "贸易", "食品", "机械", "物流", "农业开发")


def _fake_text(name: str, schema: dict[str, Any], rng: random.Random, words: dict[str, str]) -> Any:
    title = f"{name} {schema.get('title', '')} {schema.get('description', '')}"
    if "credit_code" in name or "信用代码" in title:
        return make_credit_code(f"91{COUNTY_CODE}{rng.randint(0, 10**8 - 1):08d}{rng.randint(0, 9)}")
    if "device_code" in name or "注册代码" in title:
        return f"3110{COUNTY_CODE}{rng.randint(0, 10**10 - 1):010d}"
    if name in ("cook",) or "姓名" in title:
        return f"{rng.choice(SURNAMES)}{rng.choice('伟强军勇杰涛明超平刚')}"
    if name in ("shop_name", "place_name") or "店铺" in title or "场所名称" in title:
        return words.get("shop", "便民超市")
    if any(w in title for w in ("工地", "单位", "企业", "employer", "site", "entity")):
        return f"青溪{rng.choice(SHOP_BRANDS)}{rng.choice(COMPANY_KINDS)}有限公司"
    if "plate" in title or "车牌" in title:
        return "浙K" + "".join(rng.choice(PLATE_LETTERS) for _ in range(5))
    if "pattern" in schema:
        return _SKIP
    if "电话" in title or "phone" in title:
        return f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}"
    if "地址" in title or "address" in title:
        return words.get("place", "")
    return words.get("leaf", "已核实")


def _fake(name: str, schema: dict[str, Any], rng: random.Random, today: date, words: dict[str, str]) -> Any:
    """A plausible value for one JSON Schema, or _SKIP."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    for key in ("oneOf", "anyOf"):
        if schema.get(key):
            return _fake(name, rng.choice(schema[key]), rng, today, words)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        required = set(schema.get("required", []))
        data: dict[str, Any] = {}
        for prop, sub in schema.get("properties", {}).items():
            if prop not in required and rng.random() < 0.4:
                continue
            value = _fake(prop, sub, rng, today, words)
            if value is not _SKIP and jsonschema.Draft202012Validator(sub).is_valid(value):
                data[prop] = value
        return data
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -1) + 1)
        high = schema.get("maximum", schema.get("exclusiveMaximum", low + 11) - 1)
        usual_low, usual_high = NUMBER_RANGES.get(name, (low, min(high, low + 10)))
        low, high = max(low, usual_low), min(high, usual_high)
        if kind == "integer":
            return rng.randint(math.ceil(low), max(math.ceil(low), math.floor(high)))
        value = rng.uniform(low, high)
        return float(round(value, -2)) if value > 1000 else round(value, 1)
    if kind == "boolean":
        return rng.random() < 0.3
    if kind == "array":
        item = _fake(name, schema.get("items", {"type": "string"}), rng, today, words)
        return _SKIP if item is _SKIP else [item] * max(1, int(schema.get("minItems", 1)))
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date":
            return today.isoformat()
        if fmt == "date-time":
            return datetime.combine(today, clock(9), SHANGHAI).isoformat()
        text = _fake_text(name, schema, rng, words)
        if text is _SKIP:
            return _SKIP
        text = str(text)[: int(schema.get("maxLength", 100))]
        return text.ljust(int(schema.get("minLength", 0)), "。")
    return _SKIP


def form_data_for(
    category: EventCategory, rng: random.Random, today: date, words: dict[str, str] | None = None
) -> dict[str, Any] | None:
    """Values for the category's extra fields that pass its schema, or None if we cannot make them."""
    if not category.form_schema:
        return {}
    for _attempt in range(3):
        data = _fake("form_data", category.form_schema, rng, today, words or {})
        if isinstance(data, dict) and jsonschema.Draft202012Validator(category.form_schema).is_valid(data):
            return data
    return None


# --- the plan of one event ----------------------------------------------------------------------------------


@dataclass
class Plan:
    """What happens to one event: decided up front from its own random generator."""

    start: datetime
    township: RegionPlan
    village: RegionPlan
    grid: RegionPlan
    lng: float
    lat: float
    category: EventCategory
    family: Family
    source: str
    reporter: User
    rng: random.Random
    urgency: str = Urgency.NORMAL
    title: str = ""
    description: str = ""
    address: str = ""
    source_ref: str = ""
    reporter_name: str = ""
    anonymous: bool = False
    form_data: dict[str, Any] = field(default_factory=dict)
    words: dict[str, str] = field(default_factory=dict)  # the places and names its texts use
    on_spot: bool = False
    on_spot_result: str = ""
    reject: bool = False
    duplicate_of: Plan | None = None
    route: str = "township"  # township, village (sent down), county (escalated)
    county_sends_back: bool = False
    village_escalates: bool = False
    misdispatch: bool = False
    co_unit: bool = False
    suspend: bool = False
    extension: str = ""  # "", "approve", "deny"
    slow: bool = False
    supervise: bool = False
    rework: bool = False
    evaluation: str = ""
    reopen: bool = False
    stuck: str = ""  # the state where this event's life stops (forgotten), "" to go on


# Showcases: a few events forced to take each turn, so that even a small history has every state and step.
SHOWCASES: Final[tuple[dict[str, Any], ...]] = (
    {"source": Source.GRID_WORKER, "on_spot": True},
    {"source": Source.RESIDENT, "evaluation": Evaluation.DISSATISFIED, "reopen": True},
    {"source": Source.HOTLINE, "route": "county", "evaluation": Evaluation.SATISFIED},
    {"source": Source.LEADER, "supervise": True, "slow": True, "stuck": S.HANDLING, "primary": True},
    {"source": Source.DEPARTMENT, "misdispatch": True, "stuck": S.HANDLED},
    {"source": Source.IOT, "stuck": S.DISPATCHED},
    {"source": Source.OTHER, "stuck": S.PENDING_DISPATCH},
    {"source": Source.RESIDENT, "reject": True},
    {"source": Source.HOTLINE, "duplicate": True},
    {"source": Source.GRID_WORKER, "route": "village", "evaluation": Evaluation.SATISFIED},
    {"source": Source.GRID_WORKER, "extension": "approve", "stuck": S.EXTENSION_PENDING},
    {"source": Source.HOTLINE, "suspend": True, "stuck": S.SUSPENDED},
    {"source": Source.RESIDENT, "stuck": S.REPORTED},
    {"source": Source.GRID_WORKER, "rework": True, "evaluation": Evaluation.SATISFIED},
    {
        "source": Source.HOTLINE,
        "extension": "approve",
        "supervise": True,
        "evaluation": Evaluation.BASICALLY_SATISFIED,
    },
    {"source": Source.RESIDENT, "suspend": True, "co_unit": True, "evaluation": Evaluation.SATISFIED},
)


def _weighted(rng: random.Random, weights: Mapping[Any, float]) -> Any:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


class History:
    """Plans a history of ``count`` events and plays it forward in time through the actions."""

    def __init__(self, ctx: DemoContext, count: int, now: datetime) -> None:
        self.ctx = ctx
        self.rng = ctx.rng
        self.count = count
        self.now = now
        self.today = now.astimezone(SHANGHAI).date()
        self.calendar = default_calendar()
        self.staff = Staff.load()
        self.units = {u.code: u for u in Unit.objects.select_related("region").filter(is_active=True)}
        self.departments = {
            code.rsplit("-", 1)[1]: u
            for code, u in self.units.items()
            if u.kind == UnitKind.COUNTY_DEPARTMENT and self.staff.handlers.get(code)
        }
        plan = ctx.plan
        self.townships = [t for t in plan.at_level(RegionLevel.TOWNSHIP) if t.code in self.staff.dispatchers]
        self.villages = {t.code: plan.children(t.code) for t in self.townships}
        self.grids = {v.code: plan.children(v.code) for vs in self.villages.values() for v in vs}
        self._shapes: dict[str, BaseGeometry] = {}
        self.categories = self._leaf_categories()
        self.hotline_numbers: Counter[date] = Counter()
        self.iot_numbers: Counter[date] = Counter()
        self.actions: Counter[str] = Counter()
        self.ids: list[int] = []
        self.added_staff = 0
        self.started = time.perf_counter()

    # -- choices -------------------------------------------------------------------------------------

    def _leaf_categories(self) -> list[tuple[EventCategory, Family, float]]:
        cats = list(
            EventCategory.objects.select_related("parent__parent").filter(is_active=True).order_by("code")
        )
        parents = {c.parent_id for c in cats if c.parent_id}
        leaves = [c for c in cats if c.pk not in parents]
        by_family: dict[str, list[EventCategory]] = defaultdict(list)
        families: dict[str, Family] = {}
        for c in leaves:
            if form_data_for(c, random.Random(c.code), self.today) is None:
                continue  # an extra form we cannot fill in
            family = family_of(c)
            by_family[family.key].append(c)
            families[family.key] = family
        return [
            (c, families[key], families[key].weight / len(cs)) for key, cs in by_family.items() for c in cs
        ]

    def shape_of(self, region: RegionPlan) -> BaseGeometry:
        geom = self._shapes.get(region.code)
        if geom is None:
            geom = shape(region.boundary)
            shapely.prepare(geom)
            self._shapes[region.code] = geom
        return geom

    def point_in(
        self,
        grid: RegionPlan,
        rng: random.Random,
        near: tuple[float, float] | None = None,
    ) -> tuple[float, float]:
        geom = self.shape_of(grid)
        min_x, min_y, max_x, max_y = geom.bounds
        for _attempt in range(500):
            if near is not None:
                x, y = near[0] + rng.uniform(-4e-4, 4e-4), near[1] + rng.uniform(-3e-4, 3e-4)
            else:
                x, y = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
            x, y = round(x, 6), round(y, 6)
            if geom.contains_properly(Point(x, y)):
                return x, y
        if near is not None:
            return near
        raise ValueError(f"no point found inside {grid.code}")

    def start_time(
        self, rng: random.Random, source: str, days: tuple[int, int] = (0, HISTORY_DAYS - 1)
    ) -> datetime:
        """A moment of the last 90 days: working hours for staff, daytime and evenings for the public."""
        public = source in (Source.RESIDENT, Source.HOTLINE)
        while True:
            day = self.today - timedelta(days=rng.randint(*days))
            if not public and not self.calendar.is_workday(day):
                continue
            if public:
                minute = rng.randint(7 * 60, 21 * 60 + 30)
            else:
                minute = rng.choice(
                    [rng.randint(8 * 60 + 30, 11 * 60 + 50), rng.randint(13 * 60 + 30, 17 * 60 + 20)]
                )
            start = datetime.combine(day, clock(minute // 60, minute % 60, rng.randint(0, 59)), SHANGHAI)
            if start < self.now - timedelta(minutes=10):
                return start

    def reporter_for(
        self, source: str, township: RegionPlan, village: RegionPlan, lead: Unit | None, rng: random.Random
    ) -> User:
        staff = self.staff
        if source == Source.GRID_WORKER:
            return rng.choice(staff.grid_workers[village.code] or staff.cadres[village.code])
        if source == Source.RESIDENT:
            return rng.choice(staff.residents)
        if source == Source.HOTLINE:
            return rng.choice(staff.county_center) if rng.random() < 0.7 else staff.dispatchers[township.code]
        if source == Source.LEADER:
            if staff.county_leaders and (rng.random() < 0.3 or township.code not in staff.leaders):
                return rng.choice(staff.county_leaders)
            return staff.leaders[township.code]
        if source == Source.DEPARTMENT:
            code = (
                lead.code
                if lead is not None and staff.handlers.get(lead.code)
                else rng.choice(self.township_units(township))
            )
            return staff.handlers[code][0]
        if source == Source.IOT:
            return rng.choice(staff.county_center)
        if rng.random() < 0.7:
            return staff.dispatchers[township.code]
        return rng.choice(staff.cadres[village.code] or [staff.dispatchers[township.code]])

    def township_units(self, township: RegionPlan) -> list[str]:
        """Codes of the township's stations and agencies that have a handler."""
        return [
            code
            for code, u in self.units.items()
            if u.region.code == township.code
            and u.kind in TOWNSHIP_HANDLER_KINDS
            and self.staff.handlers.get(code)
        ]

    def lead_unit(self, p: Plan) -> Unit:
        """The unit that usually handles the category in this township: by the words of the category's
        handler hint (and its kind), else by the kind of event; always one with a handler."""
        codes = self.township_units(p.township)
        kind = p.category.handler_kind
        if kind in TOWNSHIP_HANDLER_KINDS:
            codes = [c for c in codes if self.units[c].kind == kind] or codes
        suffixes = [
            suffix for words, suffix, _dept in HINT_UNITS if any(w in p.category.handler_hint for w in words)
        ]
        for suffix in [*suffixes, *p.family.units]:
            for c in codes:
                if c.endswith(f"-{suffix}"):
                    return self.units[c]
        return self.units[codes[0]]

    def department(self, p: Plan) -> Unit:
        """The county department for an escalated event: by the handler hint's words, else by its kind."""
        suffixes = [
            dept for words, _suffix, dept in HINT_UNITS if any(w in p.category.handler_hint for w in words)
        ]
        for suffix in [*suffixes, p.family.department]:
            if suffix in self.departments:
                return self.departments[suffix]
        return next(iter(self.departments.values()))

    # -- planning ------------------------------------------------------------------------------------------

    def plan(self) -> list[Plan]:
        showcases = SHOWCASES[: self.count]
        plans: list[Plan] = []
        primary: Plan | None = None
        for overrides in showcases:
            p = self.make_plan(random.Random(self.rng.getrandbits(64)), overrides, primary)
            if overrides.get("primary"):
                primary = p
            plans.append(p)
        rngs = [random.Random(self.rng.getrandbits(64)) for _ in range(self.count - len(showcases))]
        starts = sorted((self.start_time(r, _weighted(r, SOURCE_WEIGHTS)), i) for i, r in enumerate(rngs))
        recent: list[Plan] = []
        for start, i in starts:
            rng = rngs[i]
            dup_of = None
            if rng.random() < P_DUPLICATE:
                window = [
                    q
                    for q in recent[-60:]
                    if timedelta(hours=2) < start - q.start < timedelta(days=3)
                    and not (q.on_spot or q.reject or q.duplicate_of)
                ]
                dup_of = rng.choice(window) if window else None
            p = self.make_plan(rng, {"start": start, "duplicate": dup_of is not None}, dup_of)
            plans.append(p)
            recent.append(p)
        return plans

    def make_plan(self, rng: random.Random, forced: dict[str, Any], other: Plan | None) -> Plan:
        """One event's plan; ``forced`` fixes some turns (showcases), ``other`` is the event it duplicates."""
        duplicate_of = other if forced.get("duplicate") else None
        source = forced.get("source") or _weighted(rng, SOURCE_WEIGHTS)
        if duplicate_of is not None:
            source = forced.get("source") or rng.choice([Source.HOTLINE, Source.RESIDENT, Source.GRID_WORKER])
            township, village, grid = duplicate_of.township, duplicate_of.village, duplicate_of.grid
            category, family = duplicate_of.category, duplicate_of.family
            if category.staff_only and source == Source.RESIDENT:
                source = Source.GRID_WORKER  # residents are not offered staff's categories
            start = forced.get("start") or self.calendar.add_work_hours(
                duplicate_of.start, rng.uniform(3, 10)
            )
            lng, lat = self.point_in(grid, rng, near=(duplicate_of.lng, duplicate_of.lat))
        else:
            weights = {t.code: TOWNSHIP_KIND_WEIGHT.get(t.kind, 1.0) for t in self.townships}
            township_code = _weighted(rng, weights)
            township = next(t for t in self.townships if t.code == township_code)
            village = rng.choice(self.villages[township.code])
            grid = rng.choice(self.grids[village.code])
            pool = self.categories
            if source == Source.IOT:
                pool = [c for c in pool if _texts(c[1].iot, c[0].name)] or pool
            if source == Source.RESIDENT:
                pool = [c for c in pool if not c[0].staff_only]
            category, family, _weight = rng.choices(pool, weights=[w for _c, _f, w in pool])[0]
            start = forced.get("start") or self.start_time(rng, source, (8, 40))
            lng, lat = self.point_in(grid, rng)
        words = Words(rng, township, village, self.villages[township.code], category)
        allowed = category.urgencies or list(Urgency.values)
        urgency = _weighted(
            rng, {u: w for u, w in URGENCY_WEIGHTS.items() if u in allowed} or {allowed[0]: 1}
        )
        p = Plan(
            start=start,
            township=township,
            village=village,
            grid=grid,
            lng=lng,
            lat=lat,
            category=category,
            family=family,
            source=source,
            reporter=self.staff.residents[0],
            rng=rng,
            urgency=urgency,
            duplicate_of=duplicate_of,
        )
        if source == Source.IOT and _texts(family.iot, category.name):
            template = rng.choice(_texts(family.iot, category.name))
        else:
            template = rng.choice(title_templates(family, category))
        p.title = words.fill(template)[:200]
        p.address = f"{township.name}{words.location(template)}"[:200]
        if duplicate_of is not None:  # another report of the same thing, in the reporter's words
            p.title, p.address = duplicate_of.title, duplicate_of.address
        lead = self.lead_unit(p)
        p.reporter = self.reporter_for(source, township, village, lead, rng)
        unit = p.reporter.unit
        leader = (
            "县领导"
            if unit is not None and unit.region.level == RegionLevel.COUNTY
            else f"{township.name}领导"
        )
        local = start.astimezone(SHANGHAI)
        prefix = words.fill(
            SOURCE_PREFIX[source],
            leader=leader,
            unit=unit.name if unit else "",
            device=f"{grid.code[-9:]}{rng.randint(1, 99):02d}",
            time=f"{local:%H:%M}",
        )
        detail = words.fill(rng.choice(_texts(family.descriptions, category.name, GENERIC.descriptions)))
        p.description = f"{prefix}{p.title}。{detail}"
        p.form_data = form_data_for(category, rng, local.date(), words.values) or {}
        p.words = words.values
        day = local.date()
        if source == Source.HOTLINE:
            self.hotline_numbers[day] += 1
            p.source_ref = f"12345-{day:%Y%m%d}{self.hotline_numbers[day]:03d}"
            p.reporter_name = f"{rng.choice(SURNAMES)}{rng.choice(['先生', '女士'])}"
        elif source == Source.IOT:
            self.iot_numbers[day] += 1
            p.source_ref = f"IOT-{day:%Y%m%d}-{self.iot_numbers[day]:04d}"
        elif source == Source.RESIDENT:
            p.anonymous = rng.random() < 0.05
        if duplicate_of is None:
            self.decide(p, rng, forced)
        if p.on_spot:
            p.on_spot_result = words.fill(rng.choice(_texts(family.results, category.name, GENERIC.results)))
        return p

    def decide(self, p: Plan, rng: random.Random, forced: dict[str, Any]) -> None:
        """The turns of the event's life, random unless forced."""

        def chance(name: str, probability: float) -> bool:
            return bool(forced[name]) if name in forced else rng.random() < probability

        p.on_spot = p.source == Source.GRID_WORKER and chance(
            "on_spot", P_ON_SPOT if p.family.on_spot else 0.05
        )
        if p.on_spot:
            p.rework = rng.random() < 0.05
            return
        p.reject = chance("reject", P_REJECT * (2 if p.source in (Source.RESIDENT, Source.HOTLINE) else 0.5))
        if p.reject:
            return
        kind = p.category.handler_kind
        if "route" in forced:
            p.route = forced["route"]
        elif kind == UnitKind.VILLAGE_COMMITTEE or (p.family.village and rng.random() < P_SEND_DOWN * 2):
            p.route = "village"
        elif kind == UnitKind.COUNTY_DEPARTMENT or rng.random() < P_ESCALATE:
            p.route = "county"
        if "route" not in forced:
            p.county_sends_back = p.route == "county" and rng.random() < P_COUNTY_SENDS_BACK
            p.village_escalates = p.route == "village" and rng.random() < P_VILLAGE_ESCALATES
        p.misdispatch = chance("misdispatch", P_MISDISPATCH)
        p.co_unit = chance("co_unit", P_CO_UNIT)
        p.suspend = chance("suspend", P_SUSPEND)
        p.extension = forced.get("extension", "")
        if "extension" not in forced and rng.random() < P_EXTENSION:
            p.extension = "deny" if rng.random() < P_DENY_EXTENSION else "approve"
        p.slow = chance("slow", P_SLOW)
        p.supervise = chance("supervise", P_SUPERVISE + (0.6 if p.slow else 0))
        p.rework = chance("rework", P_REWORK)
        if "evaluation" in forced:
            p.evaluation = forced["evaluation"]
        else:
            rated = {Source.RESIDENT: 0.85, Source.HOTLINE: 0.9, Source.GRID_WORKER: 0.3}.get(
                Source(p.source), 0.2
            )
            p.evaluation = _weighted(rng, EVALUATIONS) if rng.random() < rated else ""
        p.reopen = p.evaluation == Evaluation.DISSATISFIED and chance("reopen", P_REOPEN)
        if "stuck" in forced:
            p.stuck = forced["stuck"]
        elif rng.random() < P_STUCK:
            p.stuck = rng.choice(STUCK_STATES)
        if p.stuck == S.EXTENSION_PENDING and not p.extension:
            p.extension = "approve"
        if p.stuck == S.SUSPENDED:
            p.suspend = True

    # -- playing -------------------------------------------------------------------------------------------

    def run(self) -> list[int]:
        """Play every plan in time order (steps after ``now`` are not played); returns the events' ids."""
        heap: list[tuple[datetime, int, Generator[datetime, datetime, None]]] = []
        for seq, p in enumerate(self.plan()):
            life = self.life(p)
            heapq.heappush(heap, (next(life), seq, life))
        while heap:
            at, seq, life = heapq.heappop(heap)
            if at > self.now:
                life.close()
                continue
            try:
                following = life.send(at)
            except StopIteration:
                continue
            heapq.heappush(heap, (max(following, at), seq, life))
        return self.ids

    def later(self, p: Plan, at: datetime, low: float, high: float) -> datetime:
        """``at`` plus a random number of working hours (halved for urgent events, quartered for critical)."""
        factor = {Urgency.URGENT: 0.5, Urgency.CRITICAL: 0.25}.get(Urgency(p.urgency), 1.0)
        return self.calendar.add_work_hours(at, p.rng.uniform(low, high) * factor)

    def act(
        self, user: User, event: Event, action: str, at: datetime, comment: str = "", **fields: Any
    ) -> Event:
        self.actions[action] += 1
        return perform(user, event.pk, action, comment=comment, now=at, **fields)

    def note(self, p: Plan, options: Sequence[str], **extra: str) -> str:
        return p.rng.choice(options).format_map({**p.words, **extra})

    def triage(self, p: Plan, event: Event) -> User:
        """Who triages the event at its current level."""
        if event.level == Level.COUNTY:
            return p.rng.choice(self.staff.county_center)
        if event.level == Level.VILLAGE:
            return self.staff.cadres[p.village.code][0]
        return self.staff.dispatchers[p.township.code]

    def verifier(self, p: Plan, event: Event) -> User:
        """Mostly a grid worker of the village; sometimes the triage checks by phone or on the map."""
        workers = self.staff.grid_workers.get(p.village.code)
        if workers and p.rng.random() < 0.8:
            return p.rng.choice(workers)
        return self.triage(p, event)

    def supervisor(self, p: Plan, event: Event) -> User:
        if event.level == Level.COUNTY or p.rng.random() < 0.2:
            return p.rng.choice(self.staff.county_leaders or self.staff.county_center)
        return self.staff.leaders.get(p.township.code) or self.staff.dispatchers[p.township.code]

    def rater(self, p: Plan, event: Event) -> User:
        """The reporter rates the result if they can reach the event; else the triage records a call-back.

        (A resident has no jurisdiction: ``Event.objects.restrict`` hides even their own reports from them.)
        """
        if (
            event.reporter_id == p.reporter.pk
            and p.rng.random() < 0.8
            and Event.objects.restrict(p.reporter).filter(pk=event.pk).exists()
        ):
            return p.reporter
        return self.triage(p, event)

    def handler_of(self, unit: Unit, p: Plan) -> User:
        return p.rng.choice(self.staff.handlers.get(unit.code) or self.staff.cadres[unit.region.code])

    def report(self, p: Plan, at: datetime) -> Event:
        public = p.source in (Source.RESIDENT, Source.HOTLINE)
        occurred = at - timedelta(minutes=p.rng.randint(0, 180) if public else p.rng.randint(0, 20))
        event, created = report_event(
            p.reporter,
            category=p.category.code,
            title=p.title,
            description=p.description,
            urgency=p.urgency,
            source=p.source,
            source_ref=p.source_ref,
            lng=p.lng,
            lat=p.lat,
            address=p.address,
            occurred_at=occurred,
            reporter_name=p.reporter_name,
            anonymous=p.anonymous,
            form_data=p.form_data,
            on_spot=p.on_spot,
            on_spot_result=p.on_spot_result,
            now=at,
        )
        if not created:
            raise RuntimeError(f"demo event {p.title!r} was taken for a repeat of event {event.pk}")
        self.actions["report"] += 1
        self.ids.append(event.pk)
        step = max(1, self.count // 10)
        if len(self.ids) % step == 0:
            self.ctx.log(f"  {len(self.ids)}/{self.count} 事件 ({time.perf_counter() - self.started:.0f} s)")
        return event

    def life(self, p: Plan) -> Generator[datetime, datetime, None]:
        """One event from report to its last rating; yields when it waits, and is sent the time it wakes."""
        at = yield p.start
        event = self.report(p, at)
        dispatcher = self.staff.dispatchers[p.township.code]
        if p.on_spot:
            if event.state == S.HANDLED:  # the dispatcher confirms the grid worker's on-spot handling
                at = yield self.later(p, at, 0.3, 4)
                if p.rework:
                    event = self.act(dispatcher, event, "verify_fail", at, self.note(p, REWORK_NOTES))
                    at = yield self.later(p, at, 2, 10)
                    event = self.act(p.reporter, event, "handle", at, self.note(p, REWORK_RESULTS))
                    at = yield self.later(p, at, 0.3, 4)
                self.act(dispatcher, event, "verify_pass", at)
            return
        if p.stuck == S.REPORTED:
            return
        at = yield self.later(p, at, 0.1, 1.6)
        if p.duplicate_of is not None:
            found = queries.nearby_duplicates(
                dispatcher, p.category.code, p.lng, p.lat, exclude_id=event.pk, now=at
            )
            if found:
                self.act(
                    dispatcher,
                    event,
                    "merge",
                    at,
                    MERGE_NOTE.format(ref=found[0].ref),
                    merge_into=found[0].pk,
                )
            else:
                self.act(dispatcher, event, "reject", at, DUPLICATE_REJECT)
            return
        if p.reject:
            self.act(dispatcher, event, "reject", at, self.note(p, REJECT_REASONS))
            return
        event = self.act(dispatcher, event, "accept", at)
        if p.stuck == S.PENDING_DISPATCH:
            return
        at = yield self.later(p, at, 0.1, 1.5)
        event, handler, at = yield from self.route(p, event, at)
        if p.stuck == S.DISPATCHED:
            return
        at = yield self.later(p, at, 0.1, 2.5)
        event = self.act(handler, event, "sign", at)
        event, at, done = yield from self.handling(p, event, handler, at)
        if not done:
            return
        event, at, done = yield from self.verification(p, event, handler, at, p.rework)
        if not done or not p.evaluation:
            return
        at = yield self.later(p, at, 2, 16)
        rater = self.rater(p, event)
        event = self.act(
            rater,
            event,
            "evaluate",
            at,
            self.note(p, EVALUATION_COMMENTS[Evaluation(p.evaluation)]),
            evaluation=p.evaluation,
        )
        if not p.reopen:
            return
        at = yield self.later(p, at, 1, 8)
        event = self.act(self.triage(p, event), event, "reopen", at, self.note(p, REOPEN_NOTES))
        at = yield self.later(p, at, 8, 24)
        event = self.act(handler, event, "handle", at, self.note(p, REWORK_RESULTS))
        event, at, done = yield from self.verification(p, event, handler, at, False)
        if done:
            at = yield self.later(p, at, 2, 16)
            second = Evaluation.SATISFIED if p.rng.random() < 0.7 else Evaluation.BASICALLY_SATISFIED
            self.act(
                rater, event, "evaluate", at, self.note(p, EVALUATION_COMMENTS[second]), evaluation=second
            )

    def route(
        self,
        p: Plan,
        event: Event,
        at: datetime,
    ) -> Generator[datetime, datetime, tuple[Event, User, datetime]]:
        """From pending dispatch at the township to dispatched to the unit that handles it: through the
        village, through the county, or straight to a township station or agency."""
        dispatcher = self.staff.dispatchers[p.township.code]
        if p.route == "village" and self.staff.cadres.get(p.village.code):
            event = self.act(dispatcher, event, "send_down", at, self.note(p, SEND_DOWN_REASONS))
            at = yield self.later(p, at, 0.2, 4)
            cadre = self.staff.cadres[p.village.code][0]
            if not p.village_escalates:
                committee = self.units[_committee_code(p.village)]
                event = self.act(cadre, event, "dispatch", at, lead_unit=committee.code)
                return event, cadre, at
            event = self.act(cadre, event, "escalate", at, self.note(p, VILLAGE_ESCALATE_REASONS))
            at = yield self.later(p, at, 0.2, 3)
        elif p.route == "county":
            event = self.act(dispatcher, event, "escalate", at, self.note(p, ESCALATE_REASONS))
            at = yield self.later(p, at, 0.2, 4)
            center = p.rng.choice(self.staff.county_center)
            if not p.county_sends_back:
                department = self.department(p)
                if p.misdispatch:
                    wrong = p.rng.choice(
                        [d for d in self.departments.values() if d != department] or [department]
                    )
                    event = self.act(center, event, "dispatch", at, lead_unit=wrong.code)
                    at = yield self.later(p, at, 0.5, 6)
                    event = self.act(
                        self.handler_of(wrong, p),
                        event,
                        "return",
                        at,
                        self.note(p, RETURN_REASONS, unit=department.name),
                    )
                    at = yield self.later(p, at, 0.3, 3)
                event = self.act(center, event, "dispatch", at, lead_unit=department.code)
                return event, self.handler_of(department, p), at
            event = self.act(center, event, "send_down", at, self.note(p, SEND_BACK_REASONS))
            at = yield self.later(p, at, 0.2, 3)
        lead = self.lead_unit(p)
        others = [c for c in self.township_units(p.township) if c != lead.code]
        if p.misdispatch and others:
            wrong_unit = self.units[p.rng.choice(others)]
            event = self.act(dispatcher, event, "dispatch", at, lead_unit=wrong_unit.code)
            at = yield self.later(p, at, 0.5, 6)
            event = self.act(
                self.handler_of(wrong_unit, p),
                event,
                "return",
                at,
                self.note(p, RETURN_REASONS, unit=lead.name),
            )
            at = yield self.later(p, at, 0.3, 3)
        co_units = [p.rng.choice(others)] if p.co_unit and others else []
        due_days = None if p.rng.random() < 0.85 else p.rng.randint(3, 15)
        event = self.act(
            dispatcher, event, "dispatch", at, lead_unit=lead.code, co_units=co_units, due_days=due_days
        )
        return event, self.handler_of(lead, p), at

    def handling(
        self,
        p: Plan,
        event: Event,
        handler: User,
        at: datetime,
    ) -> Generator[datetime, datetime, tuple[Event, datetime, bool]]:
        """From signed to handled: progress notes, a suspension, an extension, supervision.
        Returns (event, time, whether it reached "handled")."""
        rng, cal = p.rng, self.calendar
        due = event.handle_due_at or cal.add_workdays(at, 5)
        span = max(1.0, cal.work_seconds_between(at, due) / 3600)  # working hours allowed
        took = span * (rng.uniform(1.05, 1.8) if p.slow else rng.uniform(0.2, 0.9))
        handled_at = cal.add_work_hours(at, took)
        if rng.random() < 0.5 or p.co_unit:
            at = yield cal.add_work_hours(at, took * rng.uniform(0.1, 0.4))
            author = handler
            co = event.co_units.select_related("unit__region").first() if p.co_unit else None
            if co is not None:
                author = self.handler_of(co.unit, p)
            event = self.act(author, event, "progress", at, self.note(p, PROGRESS_NOTES))
        if p.suspend:
            at = yield self.later(p, at, 1, 8)
            event = self.act(handler, event, "suspend", at, self.note(p, SUSPEND_REASONS))
            if p.stuck == S.SUSPENDED:
                return event, at, False
            paused = rng.uniform(16, 64)
            at = yield cal.add_work_hours(at, paused)
            event = self.act(handler, event, "resume", at)
            handled_at = cal.add_work_hours(handled_at, paused)
        if p.extension:
            at = yield max(at + timedelta(minutes=10), cal.add_work_hours(at, span * rng.uniform(0.3, 0.6)))
            days = rng.randint(3, 10)
            event = self.act(
                handler, event, "request_extension", at, self.note(p, EXTENSION_REASONS), extra_days=days
            )
            if p.stuck == S.EXTENSION_PENDING:
                return event, at, False
            at = yield self.later(p, at, 0.5, 6)
            if p.extension == "deny":
                event = self.act(
                    self.triage(p, event), event, "deny_extension", at, self.note(p, DENY_REASONS)
                )
            else:
                event = self.act(self.triage(p, event), event, "approve_extension", at)
                new_due = event.handle_due_at or due
                extra = cal.work_seconds_between(due, new_due) / 3600
                handled_at = max(handled_at, cal.add_work_hours(due, extra * rng.uniform(0.1, 0.8)))
        if p.supervise:
            when = (
                cal.add_work_hours(event.handle_due_at or due, rng.uniform(0, 8))
                if p.slow
                else cal.add_work_hours(at, max(0.5, cal.work_seconds_between(at, handled_at) / 3600 * 0.5))
            )
            at = yield max(at + timedelta(minutes=10), when)
            event = self.act(
                self.supervisor(p, event), event, "supervise", at, self.note(p, SUPERVISION_NOTES)
            )
            at = yield self.later(p, at, 0.2, 4)
            event = self.act(handler, event, "acknowledge", at, self.note(p, ACKNOWLEDGE_NOTES))
        if p.stuck == S.HANDLING:
            return event, at, False
        at = yield max(handled_at, cal.add_work_hours(at, rng.uniform(0.3, 4)))
        results = _texts(p.family.results, p.category.name, GENERIC.results)
        event = self.act(handler, event, "handle", at, self.note(p, results))
        return event, at, True

    def verification(
        self,
        p: Plan,
        event: Event,
        handler: User,
        at: datetime,
        rework: bool,
    ) -> Generator[datetime, datetime, tuple[Event, datetime, bool]]:
        """From handled to closed, with a round of rework when the check fails."""
        if p.stuck == S.HANDLED:
            return event, at, False
        at = yield self.later(p, at, 1, 12)
        verifier = self.verifier(p, event)
        if rework:
            event = self.act(verifier, event, "verify_fail", at, self.note(p, REWORK_NOTES))
            at = yield self.later(p, at, 4, 24)
            event = self.act(handler, event, "handle", at, self.note(p, REWORK_RESULTS))
            at = yield self.later(p, at, 1, 12)
        event = self.act(verifier, event, "verify_pass", at)
        return event, at, True


# --- the step -----------------------------------------------------------------------------------------------


def ensure_categories(ctx: DemoContext) -> bool:
    """Seed the category tree if it is empty. False if there is none and no seed to make it with."""
    if EventCategory.objects.exists():
        return True
    try:
        seed = importlib.import_module("jiceng.events.seed")
    except ModuleNotFoundError:
        return False
    seed.seed_categories(ctx.actor)
    return EventCategory.objects.exists()


def load_history(ctx: DemoContext, count: int, now: datetime | None = None) -> History:
    """Add the staff the history needs and play ``count`` events of the 90 days before ``now``."""
    added = ensure_staff(ctx)
    history = History(ctx, count, now or timezone.now())
    history.added_staff = added
    if not history.categories:
        raise ValueError("no leaf event category to report events in")
    history.run()
    return history


@demo_step(order=500, name="events.history")
def create_history(ctx: DemoContext) -> None:
    """Events of the last 90 days from every channel, through the whole workflow (JICENG_DEMO_EVENTS)."""
    count = events_to_load()
    if count == 0:
        ctx.log(f"  skipped ({EVENTS_ENV}=0)")
        return
    if not ensure_categories(ctx):
        ctx.log("  skipped: no event categories (jiceng.events.seed is missing)")
        return
    history = load_history(ctx, count)
    states = Counter(Event.objects.filter(pk__in=history.ids).values_list("state", flat=True))
    ctx.log(
        f"  {history.added_staff} 名承办人、网格员、村干部和居民; {len(history.ids)} 事件, "
        f"{sum(history.actions.values())} 步; "
        + ", ".join(f"{S(s).label}: {n}" for s, n in sorted(states.items(), key=lambda kv: (-kv[1], kv[0])))
    )
    # The deadline check, as the periodic task would have run it: yellow and red warnings are there at once.
    from jiceng.events.tasks import check_deadlines

    warned = check_deadlines(history.now)
    ctx.log(f"  deadline check: {warned}")
